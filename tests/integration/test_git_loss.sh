#!/usr/bin/env bash
# git judged by what it would throw away (rules.d/20-git.conf `loses`,
# lib/engine/git_loss.c), in real repositories: each operation that loses
# work is refused without a terminal (the data is still there afterwards,
# and the refusal names what would have been lost); the same operation
# where nothing would be lost runs without a question. Spellings that
# used to slip through (checkout FILE without --, --pathspec-from-file,
# rm -f, read-tree -u --reset, update-ref --stdin, send-pack, push made
# forced by -c, branch -M/-f, checkout -B, the reflog/prune chain) are
# covered. A repository the session copied or unpacked is its own; what
# tools add to an existing .git (an exclude line, a hook) runs and is on
# record; refs and HEAD written by hand are asked. One approval at a real
# terminal runs the operation.
. "$(dirname "$0")/lib.sh"

REPO=$HOME/work
mkrepo "$REPO" || { _fail "mkrepo"; finish; }
cd "$REPO" || exit 1
printf 'line 1\n' >work.txt
mkdir -p src && printf 'int main;\n' >src/main.c
printf '*.log\n' >.gitignore
git add . && git commit -q -m "work"
BARE=$SANDBOX/remote.git
mkbare "$BARE" && git remote add origin "$BARE" && git push -q origin main 2>/dev/null
git branch -q merged
git checkout -q -b lonely && echo "only here" >lonely.txt && git add lonely.txt && git commit -q -m lonely &&
    git checkout -q main

edit() { printf 'the user'"'"'s edit\n' >>work.txt; }
edited() { grep -q "the user's edit" work.txt; }
clean_tree() { git checkout -q -- . && git clean -qfd; }

# --------------------------------------------------------- reset --hard
clean_tree
expect_ok "reset --hard on a clean tree: nothing lost, no question" guard git reset --hard -q
edit
expect_blocked "reset --hard over an uncommitted edit" guard git reset --hard -q
assert_contains "the refusal names what is lost" "$ERR" "it would lose: 1 file with uncommitted changes: work.txt"
if edited; then _ok "the edit is still there"; else _fail "the edit is still there"; fi
clean_tree
printf 'staged\n' >staged.txt && git add staged.txt
expect_blocked "reset --hard over staged work" guard git reset --hard -q
assert_contains "staged work is named" "$ERR" "1 staged change: staged.txt"
assert_exists "the staged file is still there" "$REPO/staged.txt"
git rm -q --cached staged.txt && rm staged.txt

# --------------------------------------------------------- checkout / restore of files
clean_tree
expect_ok "checkout of a clean file: no question" guard git checkout work.txt
expect_ok "checkout of a branch (a switch keeps local changes): no question" guard bash -c 'git checkout -q merged && git checkout -q main'
edit
expect_blocked "checkout FILE without --" guard git checkout work.txt
expect_blocked "checkout HEAD FILE" guard git checkout HEAD work.txt
expect_blocked "checkout -- FILE" guard git checkout -- work.txt
expect_blocked "checkout . from a subdirectory's parent" guard git -C src checkout ..
printf 'work.txt\n' >"$SANDBOX/paths"
expect_blocked "checkout --pathspec-from-file" guard git checkout --pathspec-from-file="$SANDBOX/paths"
expect_blocked "restore FILE" guard git restore work.txt
expect_ok "checkout of another, clean file while work.txt is edited" guard git checkout src/main.c
expect_blocked "rm -f of an edited file" guard git rm -q -f work.txt
expect_blocked "read-tree -u --reset HEAD" guard git read-tree -u --reset HEAD
if edited; then _ok "after checkout/restore/rm/read-tree: the edit is still there"; else _fail "after checkout/restore/rm/read-tree: the edit is still there"; fi
clean_tree
expect_ok "rm -f of a clean file: git has it" guard git rm -q -f src/main.c
git reset -q HEAD src/main.c && git checkout -q -- src/main.c

# --------------------------------------------------------- clean
expect_ok "clean -fd with nothing untracked: no question" guard git clean -fd
printf 'a note\n' >notes.md && mkdir -p drafts && printf 'x\n' >drafts/d.txt && printf 'log\n' >debug.log
expect_blocked "clean -fd over untracked work" guard git clean -fd
assert_contains "clean: the refusal names the files" "$ERR" "untracked files or directories: drafts/, notes.md"
assert_exists "clean: untracked work is still there" "$REPO/notes.md" "$REPO/drafts/d.txt"
rm -rf notes.md drafts
expect_ok "clean -f with only an ignored file (kept without -x)" guard git clean -f
expect_blocked "clean -fX deletes the ignored file: asked" guard git clean -fX
rm -f debug.log

# --------------------------------------------------------- stash
expect_ok "stash drop with no stash: nothing to lose (git's own error)" guard bash -c 'git stash drop -q 2>/dev/null; true'
edit && git stash -q
expect_blocked "stash drop of a stash entry" guard git stash drop
assert_contains "stash: named" "$ERR" "1 stash entry: stash@{0}"
expect_blocked "stash clear" guard git stash clear
assert_eq "the stash entry is still there" "1" "$(git stash list | wc -l)"
git stash pop -q && clean_tree

# --------------------------------------------------------- branches
expect_ok "branch -D of a merged branch: no question" guard git branch -D merged
expect_blocked "branch -D of a branch whose commit is nowhere else" guard git branch -D lonely
assert_contains "branch: named" "$ERR" "branch lonely holds 1 commit on no other branch, tag or remote"
expect_blocked "branch -M over it" guard git branch -M main lonely
expect_blocked "branch -f over it" guard git branch -f lonely main
expect_blocked "checkout -B over it" guard git checkout -B lonely main
expect_blocked "switch -C over it" guard git switch -C lonely main
assert_eq "the lonely commit is still on its branch" "only here" "$(git show lonely:lonely.txt)"
git branch -q merged2
expect_ok "checkout -B of a branch that holds nothing new" guard git checkout -q -B merged2 main
git checkout -q main

# --------------------------------------------------------- refs, remotes, history
expect_blocked "update-ref --stdin (its commands are unseen)" guard bash -c 'echo "delete refs/heads/lonely" | git update-ref --stdin'
expect_blocked "update-ref -d" guard git update-ref -d refs/heads/lonely
expect_blocked "send-pack --force" guard git send-pack --force "$BARE" main
expect_blocked "send-pack :ref (a delete)" guard git send-pack "$BARE" :refs/heads/main
expect_blocked "push made forced by -c remote.origin.push=+" guard git -c remote.origin.push=+lonely:main push origin
expect_blocked "push made a mirror by -c remote.origin.mirror" guard git -c remote.origin.mirror=true push origin
expect_blocked "reflog expire shortened by -c" guard git -c gc.reflogExpire=now -c gc.reflogExpireUnreachable=now reflog expire --all
expect_blocked "prune --expire=1.second.ago" guard git prune --expire=1.second.ago
assert_eq "the remote still has main" "$(git rev-parse main)" "$(git --git-dir="$BARE" rev-parse main)"
assert_eq "lonely is still there" "only here" "$(git show lonely:lonely.txt)"
expect_ok "a plain push runs" guard git push -q origin main
# a forced push is judged by what the remote has now (ls-remote)
echo "next" >next.txt && git add next.txt && git commit -q -m next
expect_ok "push --force that only fast-forwards: nothing lost, no question" guard git push -q --force origin main
assert_eq "... the remote has the new commit" "$(git rev-parse main)" "$(git --git-dir="$BARE" rev-parse main)"
git commit -q --amend -m "next, reworded"
expect_blocked "push --force over a commit the pushed one does not contain" guard git push -q --force origin main
assert_contains "... naming it" "$ERR" "it would lose: 1 commit on origin main that the pushed commit does not contain"
expect_blocked "push +main, the same" guard git push -q origin +main
expect_blocked "push --force without a refspec (the current branch)" guard git push -q --force
git clone -q "$BARE" "$SANDBOX/colleague" && git -C "$SANDBOX/colleague" -c user.name=C -c user.email=c@x.invalid \
    commit -q --allow-empty -m "theirs" && git -C "$SANDBOX/colleague" push -q origin main
git fetch -q origin 2>/dev/null; git reset -q --hard origin/main 2>/dev/null; git commit -q --allow-empty -m "mine"
git -C "$SANDBOX/colleague" -c user.name=C -c user.email=c@x.invalid commit -q --allow-empty -m "theirs again" &&
    git -C "$SANDBOX/colleague" push -q origin main
expect_blocked "push --force over a commit pushed since the last fetch" guard git push -q --force origin main
assert_contains "... named as never fetched" "$ERR" "has commits this repository has never fetched"
assert_eq "the colleague's commit is still on the remote" "theirs again" "$(git --git-dir="$BARE" log -1 --format=%s main)"
git fetch -q origin && git reset -q --hard origin/main
expect_ok "gc --prune of two weeks runs" guard git gc -q --prune=2.weeks.ago

# --------------------------------------------------------- .git: copies are the session's, additions logged
clean_tree
expect_ok "cp -r of the repository: the copy's new .git is the session's own" guard cp -r "$REPO" "$SANDBOX/copy"
assert_eq "the copy is a working repository" "$(git rev-parse HEAD)" "$(git -C "$SANDBOX/copy" rev-parse HEAD)"
tar cf "$SANDBOX/repo.tar" -C "$HOME" work
mkdir -p "$SANDBOX/untar"
expect_ok "tar x of a repository archive" guard tar xf "$SANDBOX/repo.tar" -C "$SANDBOX/untar"
assert_exists "the unpacked .git is whole" "$SANDBOX/untar/work/.git/HEAD" "$SANDBOX/untar/work/.git/index"
before=$(grep -c '"rule":"data-git-additions"' "$AUDIT_LOG" 2>/dev/null || true)
expect_ok "an ignore line appended to .git/info/exclude" guard bash -c 'echo "*.tmp" >>.git/info/exclude'
expect_ok "a hook installed in .git/hooks" guard bash -c 'printf "#!/bin/sh\nexit 0\n" >.git/hooks/pre-commit && chmod +x .git/hooks/pre-commit'
assert_eq "both additions are on record" "$((${before:-0} + 2))" "$(grep -c '"rule":"data-git-additions"' "$AUDIT_LOG")"
head_before=$(git rev-parse main)
expect_blocked "a ref rewritten by hand" guard bash -c 'echo 0000000000000000000000000000000000000000 >.git/refs/heads/main'
expect_blocked "HEAD written by python" guard "$PYTHON" -c 'open(".git/HEAD", "w").write("ref: refs/heads/gone\n")'
assert_eq "main and HEAD are as they were" "$head_before main" "$(git rev-parse main) $(git symbolic-ref --short HEAD)"
rm -f .git/hooks/pre-commit

# --------------------------------------------------------- a human says yes
edit
cat >"$SANDBOX/human.py" <<'PYEOF'
import os, re, sys
sys.path.insert(0, os.environ["PTYDIR"])
from ptylib import BIN, Terminal
rx = re.compile(r'Type "([^"]*)" to allow')
t = Terminal([BIN, "run", "--", "git", "reset", "--hard", "-q"], env=dict(os.environ), cwd=os.environ["REPO"])
m = t.expect(rx, timeout=20)
print("names-loss=%s" % ("work.txt" in t.text()))
if m:
    t.type(m.group(1) + "\r")
print("status=%s" % t.wait(30))
print("questions=%d" % len(rx.findall(t.text())))
t.close()
PYEOF
run_capture env PTYDIR="$INTERLOCK_SRC/tests/pty" REPO="$REPO" "$PYTHON" "$SANDBOX/human.py"
assert_contains "human: the question names the file that would be lost" "$OUT" "names-loss=True"
assert_contains "human: one question" "$OUT" "questions=1"
assert_contains "human: reset --hard ran after yes" "$OUT" "status=0"
if edited; then _fail "human: the edit was thrown away as approved"; else _ok "human: the edit was thrown away as approved"; fi

finish
