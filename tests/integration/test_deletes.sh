#!/usr/bin/env bash
# Deletes that never exec (lib/preload/unlink.c, lib/engine/deletes.c),
# judged by what they lose: python3 shutil.rmtree / os.remove, perl
# unlink, node fs.rmSync, rename, and rm itself (its waiver ends where loss
# begins) leave uncommitted changes, untracked work, .git, a database and a
# top-level folder of a fake HOME intact without a human; with a human, one
# question covers the whole tree. What loses nothing runs unasked: a
# tracked, unmodified file (git has it), an ignored one, the agent's own
# new files, build dirs, caches, node_modules, temp files. git aliases are
# expanded before matching.
. "$(dirname "$0")/lib.sh"

HAVE_NODE=
if have_tool node nodejs; then HAVE_NODE=1; fi

REPO=$HOME/project
mkrepo "$REPO" || { _fail "mkrepo"; finish; }
mkdir -p "$REPO/src"
echo "int main(void) { return 0; }" >"$REPO/src/main.c"
echo "int util(void) { return 1; }" >"$REPO/src/util.c"
echo "# project" >"$REPO/README.md"
printf '*.log\n' >"$REPO/.gitignore"
git -C "$REPO" add src README.md .gitignore && git -C "$REPO" commit -q -m "more files"
DOCS=$HOME/Documents
mkdir -p "$DOCS/letters"
echo "dear user" >"$DOCS/letters/letter.txt"
echo "notes" >"$DOCS/notes.txt"
echo "not really sqlite" >"$REPO/app.db"
# the user's work, made before any session: an uncommitted edit and a new file
echo "int main(void) { return 42; } /* the user's edit */" >"$REPO/src/main.c"
echo "the user's plan" >"$REPO/PLAN.md"

# scratch: recreated before each cleanup test
mkscratch() {
    mkdir -p "$REPO/build/obj" "$REPO/node_modules/left-pad" "$REPO/src/__pycache__" "$REPO/.pytest_cache"
    echo o >"$REPO/build/obj/main.o"
    echo "module.exports = 1" >"$REPO/node_modules/left-pad/index.js"
    echo pyc >"$REPO/src/__pycache__/main.cpython-311.pyc"
    echo c >"$REPO/.pytest_cache/v"
    echo "a log" >"$REPO/debug.log"
}
mkscratch

# the user's work and what git keeps: all there, the edit in place
work_intact() {
    assert_exists "$1: work and .git intact" "$REPO/file.txt" "$REPO/src/main.c" "$REPO/README.md" \
        "$REPO/PLAN.md" "$REPO/.git/HEAD" "$REPO/.git/index"
    assert_contains "$1: the uncommitted edit kept" "$(cat "$REPO/src/main.c" 2>/dev/null)" "the user's edit"
}

# puts back the tracked files a blocked run removed before it reached the
# loss (git has them), leaving the edit alone
restore_deleted() { git -C "$REPO" ls-files -d -z | xargs -0 -r git -C "$REPO" checkout -q --; }

cd "$REPO" || exit 1

# ------------------------------------------------------------ git work tree
expect_blocked "python shutil.rmtree of a work tree" guard "$PYTHON" -c 'import shutil, sys; shutil.rmtree(sys.argv[1])' "$REPO"
assert_contains "rmtree: a loss rule is named" "$ERR" "(rule delete-"
# a copy of python named rm, made in the session, is not rm
py=$(readlink -f "$(command -v "$PYTHON")")
expect_blocked "python copied to a file named rm" guard bash -c 'cp "$1" "$2/rm" && "$2/rm" -c "import shutil, sys; shutil.rmtree(sys.argv[1])" "$3"' sh "$py" "$SANDBOX" "$REPO"
restore_deleted
work_intact "after rmtree"
expect_blocked "python os.remove of a file with uncommitted changes" guard "$PYTHON" -c 'import os; os.remove("src/main.c")'
assert_contains "os.remove: named as uncommitted work" "$ERR" "delete-uncommitted"
expect_blocked "perl unlink of a file with uncommitted changes" guard perl -e 'unlink("src/main.c") or die "perl: $!\n"'
expect_blocked "python os.remove of an untracked file the session did not make" guard "$PYTHON" -c 'import os; os.remove("PLAN.md")'
assert_contains "os.remove: named as untracked work" "$ERR" "delete-untracked"
expect_blocked "python os.remove inside .git" guard "$PYTHON" -c 'import os; os.remove(".git/HEAD")'
work_intact "after the single removes"
# rm: its command line names only what a glob expanded to
expect_blocked "rm of a file with uncommitted changes" guard rm -f src/main.c
expect_blocked "rm of an untracked file the session did not make" guard rm PLAN.md
cat >"$SANDBOX/clean.sh" <<'SH'
cd "$1" && rm -rf *
SH
expect_blocked "rm -rf * from a script file in the work tree's root" guard bash "$SANDBOX/clean.sh" "$REPO"
restore_deleted
work_intact "after rm"
# the same as a bash -c string, as agents run it: a shell's * keeps .git,
# so the tree is not lost and the files are judged one by one: in a clean
# tree (tracked files, ignored output) nothing is lost and nothing asked
CLEAN=$HOME/tidy
mkrepo "$CLEAN" && mkdir -p "$CLEAN/src" && echo "x" >"$CLEAN/src/x.c" && printf '*.o\n' >"$CLEAN/.gitignore" &&
    git -C "$CLEAN" add . && git -C "$CLEAN" commit -q -m tidy && echo obj >"$CLEAN/src/x.o"
expect_ok "bash -c 'rm -rf *' in a clean work tree's root" guard bash -c "cd '$CLEAN' && rm -rf *"
assert_exists "... .git is still there" "$CLEAN/.git/HEAD"
assert_eq "... only tracked files went (git has them)" "D file.txt D src/x.c" \
    "$(git -C "$CLEAN" status --porcelain | sort | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')"
git -C "$CLEAN" checkout -q -- . && echo "new work" >"$CLEAN/idea.txt"
sleep 0.05 # older than the session: a file born in the coarse clock tick the session starts in is its own
expect_blocked "bash -c 'rm -rf ./*' over untracked work" guard bash -c "cd '$CLEAN' && rm -rf ./*"
assert_contains "... asked for the untracked file, by what it loses" "$ERR" "delete-untracked"
assert_exists "... the untracked file is still there" "$CLEAN/idea.txt"
if [ -n "$HAVE_NODE" ]; then
    expect_blocked "node fs.rmSync of a work tree" guard node -e 'require("fs").rmSync(process.argv[1], {recursive: true, force: true})' "$REPO"
    restore_deleted
    work_intact "after fs.rmSync"
fi
expect_blocked "mv the work tree away" guard mv "$REPO" "$SANDBOX/moved"
assert_missing "the work tree did not move" "$SANDBOX/moved"
expect_blocked "mv .git away" guard mv .git "$SANDBOX/history"
assert_missing ".git did not move" "$SANDBOX/history"
work_intact "after mv"
expect_blocked "python os.rename of an edited file out of the tree" guard "$PYTHON" -c 'import os, sys; os.rename("src/main.c", sys.argv[1])' "$HOME/stash.c"
work_intact "after rename out"
expect_blocked "python os.remove of a database file" guard "$PYTHON" -c 'import os; os.remove("app.db")'
assert_exists "database file intact" "$REPO/app.db"
# protection follows the data: a rename that sheds it is asked
expect_blocked "rename a database to a name that is not one, then remove it" guard "$PYTHON" -c 'import os; os.rename("app.db", "app.old"); os.remove("app.old")'
assert_exists "the database is still there under its name" "$REPO/app.db"
expect_ok "rename a database to its backup name (still a database)" guard "$PYTHON" -c 'import os; os.rename("app.db", "app.db.bak")'
expect_blocked "... and the backup is protected as the database was" guard rm app.db.bak
mv app.db.bak app.db
mkdir -p "$HOME/.ssh" && echo "key" >"$HOME/.ssh/id_ed25519" && chmod 600 "$HOME/.ssh/id_ed25519"
expect_blocked "mv a private key to a .pub name" guard mv "$HOME/.ssh/id_ed25519" "$HOME/.ssh/x.pub"
assert_exists "the key is still there" "$HOME/.ssh/id_ed25519"
echo "API_KEY=secret" >.env
sleep 0.05 # older than the session (as above)
expect_blocked "mv .env to .env.example" guard mv .env .env.example
assert_exists ".env is still there" "$REPO/.env"
rm -f .env
expect_blocked "mv .git to another name in the tree" guard mv .git old-git
# overwriting a database in place is judged as the truncation it is
size_before=$(stat -c %s app.db)
expect_blocked "truncate -s of a database" guard truncate -s 1 app.db
expect_blocked "dd over a database with conv=notrunc" guard dd if=/dev/zero of=app.db bs=4 count=1 conv=notrunc status=none
expect_blocked "shred of a database" guard shred -n 1 app.db
assert_eq "the database is as it was" "$size_before not really sqlite" "$(stat -c %s app.db) $(cat app.db)"
if have_tool sqlite3 sqlite3; then
    sqlite3 "$REPO/rows.sqlite" "create table t(x); insert into t values (1), (2), (3);"
    sqlite3 "$SANDBOX/empty.db" "create table e(y);"
    expect_blocked "sqlite3 :memory: .backup over a database" guard sqlite3 :memory: ".backup rows.sqlite"
    expect_blocked "sqlite3 .restore over a database" guard sqlite3 rows.sqlite ".restore $SANDBOX/empty.db"
    assert_eq "its rows are all there" "3" "$(sqlite3 rows.sqlite 'select count(*) from t')"
    expect_ok "sqlite3 .backup of a database to a new file" guard sqlite3 rows.sqlite ".backup $SANDBOX/rows-backup.sqlite"
    rm -f rows.sqlite
fi

# nothing lost: git has it, git ignores it, the session made it
mkscratch
expect_ok "python os.remove of a tracked, unmodified file" guard "$PYTHON" -c 'import os; os.remove("src/util.c")'
assert_missing "util.c removed" "$REPO/src/util.c"
expect_ok "rm of a tracked, unmodified file" guard rm README.md
git -C "$REPO" checkout -q -- src/util.c README.md
expect_ok "perl unlink of an ignored file" guard perl -e 'unlink("debug.log") == 1 or die "perl: $!\n"'
assert_missing "debug.log removed" "$REPO/debug.log"
expect_ok "the agent's own new files: made and removed in one session" guard bash -c '
echo draft >notes-new.md && rm notes-new.md &&
python3 -c "open(\"gen.txt\", \"w\").write(\"x\"); import os; os.remove(\"gen.txt\")"'
assert_missing "the agent's files removed" "$REPO/notes-new.md" "$REPO/gen.txt"
work_intact "after the free deletes"

# ------------------------------------------------------------ home folder
expect_blocked "python shutil.rmtree of ~/Documents" guard "$PYTHON" -c 'import shutil, sys; shutil.rmtree(sys.argv[1])' "$DOCS"
assert_exists "~/Documents intact after rmtree" "$DOCS/letters/letter.txt" "$DOCS/notes.txt"
expect_blocked "perl unlink in ~/Documents" guard perl -e 'unlink($ARGV[0]) or die "perl: $!\n"' "$DOCS/notes.txt"
assert_exists "~/Documents/notes.txt intact" "$DOCS/notes.txt"
if [ -n "$HAVE_NODE" ]; then
    expect_blocked "node fs.rmSync of ~/Documents" guard node -e 'require("fs").rmSync(process.argv[1], {recursive: true, force: true})' "$DOCS"
    assert_exists "~/Documents intact after fs.rmSync" "$DOCS/letters/letter.txt" "$DOCS/notes.txt"
fi

# ------------------------------------------------------------ audit
if grep -q '"event":"delete"' "$AUDIT_LOG" 2>/dev/null && grep -q '"rule":"delete-git-tree"' "$AUDIT_LOG"; then
    _ok "audit: delete events recorded"
else
    _fail "audit: delete events recorded" "$(tail -n 3 "$AUDIT_LOG" 2>/dev/null)"
fi

# ------------------------------------------------------------ git aliases
echo "uncommitted work" >>"$REPO/file.txt"
git -C "$REPO" config alias.undo "reset --hard"
expect_blocked "git undo (alias of reset --hard)" guard git undo
assert_contains "git undo: judged as reset --hard" "$ERR" "git-reset-hard"
assert_contains "uncommitted change kept" "$(cat "$REPO/file.txt")" "uncommitted work"
git config --global alias.wipe "checkout -- ."
expect_blocked "git wipe (global alias of checkout -- .)" guard git wipe
expect_blocked "git -c alias.zap='reset --hard' zap" guard git -c alias.zap='reset --hard' zap
git -C "$REPO" config alias.nuke '!sh -c "rm -rf ."'
expect_blocked "git nuke (!sh -c 'rm -rf .')" guard git nuke
work_intact "after git aliases"
assert_contains "uncommitted change still kept" "$(cat "$REPO/file.txt")" "uncommitted work"
git -C "$REPO" config alias.st "status --short"
expect_ok "a harmless alias runs" guard git st
git -C "$REPO" checkout -q -- file.txt

# ------------------------------------------------------------ free
# (the blocked deletes above took untracked files with them: they are free)
mkscratch
expect_ok "python shutil.rmtree of build, node_modules, __pycache__, .pytest_cache" guard "$PYTHON" -c '
import shutil
for d in ("build", "node_modules", "src/__pycache__", ".pytest_cache"):
    shutil.rmtree(d)'
assert_missing "scratch dirs removed" "$REPO/build" "$REPO/node_modules" "$REPO/src/__pycache__" "$REPO/.pytest_cache"
if [ -n "$HAVE_NODE" ]; then
    expect_ok "node fs.rmSync of node_modules and build" guard node -e 'const fs = require("fs"); for (const d of ["node_modules", "build"]) fs.rmSync(d, {recursive: true, force: true})'
    assert_missing "node removed them" "$REPO/node_modules" "$REPO/build"
fi
expect_ok "rm -rf build (exec rules judge rm)" guard rm -rf build src/__pycache__
expect_ok "temp files: create, rename, delete" guard "$PYTHON" -c '
import os, tempfile, shutil
d = tempfile.mkdtemp()
for i in range(200):
    p = os.path.join(d, "f%d" % i)
    open(p, "w").write("x")
    os.rename(p, p + ".done")
    os.remove(p + ".done")
shutil.rmtree(d)
with tempfile.NamedTemporaryFile() as f:
    f.write(b"x")'
expect_ok "rename of a tracked file inside the work tree" guard "$PYTHON" -c 'import os; os.rename("README.md", "README.txt"); os.rename("README.txt", "README.md")'
expect_ok "new files in ~/Documents are the agent's own" guard "$PYTHON" -c '
import os, shutil, sqlite3, sys
d = os.path.join(sys.argv[1], "agent-scratch")
os.makedirs(d)
open(os.path.join(d, "x.txt"), "w").write("x")
db = sqlite3.connect(os.path.join(sys.argv[1], "agent.db"))
db.execute("create table t(x)"); db.execute("insert into t values (1)"); db.commit(); db.close()
os.remove(os.path.join(sys.argv[1], "agent.db"))
shutil.rmtree(d)' "$DOCS"
assert_missing "agent's own files removed" "$DOCS/agent-scratch" "$DOCS/agent.db"
echo "second" >"$REPO/second.txt"
git -C "$REPO" add second.txt && git -C "$REPO" commit -q -m second
expect_ok "git rm (git deletes in its own work tree)" guard git rm -q second.txt
assert_missing "git removed it" "$REPO/second.txt"
git -C "$REPO" commit -q -m "rm second"
work_intact "at the end"

# ------------------------------------------------------------ with a human
# One question for a recursive delete of the work tree, naming it; the
# word is the tree's base name; after yes the rest goes through. Enter
# alone denies and leaves everything.
cat >"$SANDBOX/human.py" <<'PYEOF'
import os, re, sys
sys.path.insert(0, os.environ["PTYDIR"])
from ptylib import BIN, Terminal
repo = os.environ["REPO"]
rx = re.compile(r'Type "([^"]*)" to allow')
script = 'import shutil, sys; shutil.rmtree(sys.argv[1]); print("rc=0")'
# deny: Enter alone
t = Terminal([BIN, "run", "--", sys.executable, "-c", script, repo], env=dict(os.environ), cwd=os.path.dirname(repo))
m = t.expect(rx, timeout=20)
print("deny-word=%s" % (m.group(1) if m else None))
t.type("\r")
t.wait(30)
print("deny-prompts=%d" % len(rx.findall(t.text())))
print("deny-intact=%s" % os.path.exists(os.path.join(repo, "file.txt")))
t.close()
# allow: the word, once
t = Terminal([BIN, "run", "--", sys.executable, "-c", script, repo], env=dict(os.environ), cwd=os.path.dirname(repo))
m = t.expect(rx, timeout=20)
print("allow-word=%s" % (m.group(1) if m else None))
if m:
    t.type(m.group(1) + "\r")
t.wait(30)
print("allow-prompts=%d" % len(rx.findall(t.text())))
print("allow-gone=%s" % (not os.path.exists(repo)))
print("allow-ran=%s" % ("rc=0" in t.text()))
t.close()
PYEOF
run_capture env PTYDIR="$INTERLOCK_SRC/tests/pty" REPO="$REPO" "$PYTHON" "$SANDBOX/human.py"
assert_contains "human: asked naming the work tree" "$OUT" "deny-word=project"
assert_contains "human: Enter denies, one question" "$OUT" "deny-prompts=1"
assert_contains "human: tree intact after a no" "$OUT" "deny-intact=True"
assert_contains "human: asked once for the whole tree" "$OUT" "allow-prompts=1"
assert_contains "human: the tree is gone after a yes" "$OUT" "allow-gone=True"
assert_contains "human: rmtree finished" "$OUT" "allow-ran=True"
if [ "$STATUS" -ne 0 ]; then _fail "human: pty driver ran" "$ERR"; fi

finish
