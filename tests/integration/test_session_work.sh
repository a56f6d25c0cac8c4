#!/usr/bin/env bash
# What the session made is the agent's own, whatever program throws it
# away: a repository it cloned or copied (rm -rf of it), files and build
# output it made in a work tree (git clean), and a SQLite database that
# holds no one's rows (sqlite3 on its command line). Each of these was
# asked about while nothing could be lost; the same operations over what
# was there before the session are still refused. Each guarded line is
# one session: what it makes after it starts is its own.
. "$(dirname "$0")/lib.sh"

have_tool sqlite3 sqlite3 || finish

REPO=$HOME/src/app
mkrepo "$REPO" || { _fail "mkrepo"; finish; }
cd "$REPO" || exit 1
printf 'build/\n*.o\nnode_modules/\n' >.gitignore && git add .gitignore && git commit -q -m ignore
mkdir -p node_modules/dep "$HOME/src/notes"
echo "old dependency" >node_modules/dep/index.js
echo "the user's draft" >draft.txt
echo "the user's notes" >"$HOME/src/notes/n.txt"
echo "moved in later" >"$HOME/src/older.txt"
mkdir -p "$HOME/data" && sqlite3 "$HOME/data/app.db" 'CREATE TABLE users(id); INSERT INTO users VALUES (1);'
# for the rewrites by rename below: a repository of its own (git clean in
# the one above names its untracked files), a home folder, a key
SITE=$HOME/src/site
mkrepo "$SITE" || _fail "mkrepo site"
for f in plan list todo chain; do echo "the user's $f" >"$SITE/$f.md"; done
mkdir -p "$HOME/Documents" "$HOME/.ssh" && echo "the user's letter" >"$HOME/Documents/letter.txt"
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\nthe user key\n' >"$HOME/.ssh/id_ed25519"
sleep 0.1 # everything above is older than the sessions below

# ------------------------------------------------- repositories it made
expect_ok "rm -rf of a cp -r copy with edits in it" guard bash -c \
    'cp -r "$HOME/src/app" "$HOME/src/copy" && echo edit >>"$HOME/src/copy/file.txt" && rm -rf "$HOME/src/copy"'
assert_missing "... the copy is gone" "$HOME/src/copy"
expect_ok "rm -rf of a clone, from inside it" guard bash -c \
    'git clone -q "$HOME/src/app" "$HOME/src/clone" && cd "$HOME/src/clone" && echo x >new.txt && cd .. && rm -rf clone'
assert_missing "... the clone is gone" "$HOME/src/clone"
expect_blocked "rm -rf of the user's repository" guard rm -rf "$REPO"
expect_blocked "git init in the user's folder, then rm -rf of it" guard bash -c \
    'cd "$HOME/src/notes" && git init -q && git add -A && git -c user.name=a -c user.email=a@x commit -qm n && cd .. && rm -rf notes'
assert_exists "... the user's repository and notes are there" "$REPO/file.txt" "$HOME/src/notes/n.txt"

# ------------------------------------------------- git clean of its own output
expect_ok "git clean -fdX of build output made in the session" guard bash -c \
    'mkdir -p build && touch build/app.o main.o && git clean -q -fdX -e "!node_modules/"'
assert_missing "... the build output is gone" "$REPO/build" "$REPO/main.o"
assert_exists "... node_modules, not named, is there" "$REPO/node_modules/dep/index.js"
expect_ok "git clean -f -e draft.txt of a file made in the session" guard bash -c \
    'touch generated.txt && git clean -q -f -e draft.txt'
expect_ok "git clean -fdx of node_modules from before the session (a scratch dir)" guard \
    git clean -q -fdx -e draft.txt
assert_missing "... node_modules is gone" "$REPO/node_modules"
expect_blocked "git clean -f over the user's untracked draft" guard git clean -f
assert_contains "... the refusal names it" "$ERR" "1 untracked file or directory: draft.txt"
expect_blocked "git clean -fd of a new directory holding an older file" guard bash -c \
    'mkdir -p holder && mv "$HOME/src/older.txt" holder/ && git clean -q -fd -e draft.txt'
assert_exists "... the draft and the moved file are there" "$REPO/draft.txt" "$REPO/holder/older.txt"

# ------------------------------------------------- sqlite3 on its command line
expect_ok "sqlite3 :memory: with a DROP TABLE" guard sqlite3 :memory: 'CREATE TABLE t(x); DROP TABLE t;'
expect_ok "sqlite3 on a database that is not there yet" guard bash -c \
    'sqlite3 fresh.db "DROP TABLE IF EXISTS t; CREATE TABLE t(x); DELETE FROM t;" && rm fresh.db'
expect_ok "sqlite3 on a database made in the session" guard bash -c \
    'sqlite3 own.db "CREATE TABLE t(x)" && sqlite3 own.db "DROP TABLE t" && rm own.db'
expect_ok "sqlite3 on a database in a temp directory" guard bash -c \
    'd=$(mktemp -d) && sqlite3 "$d/s.db" "CREATE TABLE t(x)" && printf "drop table t;\n" | sqlite3 "$d/s.db"; s=$?; rm -rf "$d"; exit $s'
expect_blocked "sqlite3 DROP TABLE on the user's database" guard sqlite3 "$HOME/data/app.db" 'DROP TABLE users'
expect_blocked "... with the statement in -cmd before the file" guard sqlite3 -cmd 'DROP TABLE users' "$HOME/data/app.db"
assert_eq "the user's rows are there" "1" "$(sqlite3 "$HOME/data/app.db" 'SELECT count(*) FROM users')"

# ------------------------------------------------- cp / mv / install onto a file
cd "$REPO" || exit 1
expect_blocked "cp over the user's untracked draft" guard cp "$HOME/src/notes/n.txt" draft.txt
expect_blocked "mv -f over it" guard mv -f "$HOME/src/notes/n.txt" "$REPO/draft.txt"
expect_blocked "install over the user's database" guard install -m 600 "$HOME/src/notes/n.txt" "$HOME/data/app.db"
assert_eq "... the draft is as it was" "the user's draft" "$(cat draft.txt)"
assert_exists "... and the notes were not moved" "$HOME/src/notes/n.txt"
expect_ok "cp over a tracked file git has unchanged" guard bash -c 'cp file.txt copy.txt && cp copy.txt file.txt && rm copy.txt'
expect_ok "mv over a file the session made" guard bash -c 'echo a >made.txt && echo b >made2.txt && mv made2.txt made.txt && rm made.txt'
expect_ok "cp --backup over the draft keeps the old one" guard bash -c \
    'cp --backup=numbered draft.txt draft.txt.new && cp -b draft.txt.new draft.txt'
assert_eq "... the backup holds the draft" "the user's draft" "$(cat draft.txt~)"

# ------------------------------------------------- a file rewritten by rename keeps its age
# sed -i, perl -i, os.replace and editors' atomic saves write a new file and
# rename it over the old one: the new inode is born in the session, but
# what it holds is the user's file, edited. Each line is one session: the
# rewrite and the delete that follows it.
cd "$SITE" || exit 1
expect_blocked "sed -i over the user's untracked file, then rm" guard bash -c \
    'sed -i "s/user/user-edited/" plan.md && rm plan.md'
assert_contains "... refused at the rm, as untracked work" "$ERR" "delete-untracked"
assert_eq "... the file is there, edited" "the user-edited's plan" "$(cat plan.md)"
expect_blocked "os.replace over it, then os.remove" guard "$PYTHON" -c '
import os
open("list.md.tmp", "w").write("the list, rewritten\n")
os.replace("list.md.tmp", "list.md")
os.remove("list.md")'
assert_eq "... the file is there, rewritten" "the list, rewritten" "$(cat list.md)"
expect_blocked "sed -i twice (the second replaces a file of the session), then rm" guard bash -c \
    'sed -i "s/user/one/" chain.md && sed -i "s/one/two/" chain.md && rm chain.md'
assert_exists "... the file is there" "$SITE/chain.md"
# (from python: a shell string's git clean is judged before the string runs)
expect_blocked "os.replace, then git clean -f" guard "$PYTHON" -c '
import os, subprocess, sys
open("todo.md.tmp", "w").write("the todo, rewritten\n")
os.replace("todo.md.tmp", "todo.md")
sys.exit(subprocess.run(["git", "clean", "-q", "-f"]).returncode)'
assert_contains "... refused as git clean of untracked work" "$ERR" "git-clean-force"
assert_exists "... the file is there" "$SITE/todo.md"
expect_blocked "perl -i in a top-level home folder, then rm" guard bash -c \
    'perl -pi -e "s/user/edited/" "$HOME/Documents/letter.txt" && rm "$HOME/Documents/letter.txt"'
assert_eq "... the letter is there" "the edited's letter" "$(cat "$HOME/Documents/letter.txt")"
expect_ok "sed -i of a file the session made, then rm" guard bash -c \
    'echo mine >mine.md && sed -i "s/mine/ours/" mine.md && sed -i "s/ours/again/" mine.md && rm mine.md'
expect_ok "os.replace over a file the session made, then os.remove" guard "$PYTHON" -c '
import os
open("made.md", "w").write("a\n")
open("made.md.tmp", "w").write("b\n")
os.replace("made.md.tmp", "made.md")
os.remove("made.md")'
assert_missing "... both are gone" "$SITE/mine.md" "$SITE/made.md"

# ------------------------------------------------- a rename onto a private key
expect_blocked "os.replace of a new file onto the user's private key" guard "$PYTHON" -c '
import os
k = os.path.join(os.environ["HOME"], ".ssh", "id_ed25519")
open(k + ".new", "w").write("another key\n")
os.replace(k + ".new", k)'
assert_contains "... as an overwrite of the key" "$ERR" "data-overwrite-private-key"
expect_blocked "... from a temp directory" guard "$PYTHON" -c '
import os, tempfile
fd, t = tempfile.mkstemp()
os.write(fd, b"another key\n"); os.close(fd)
os.rename(t, os.path.join(os.environ["HOME"], ".ssh", "id_ed25519"))'
assert_contains "... the key is the user's" "$(cat "$HOME/.ssh/id_ed25519")" "the user key"
expect_ok "os.replace onto a key the session made" guard "$PYTHON" -c '
import os
k = os.path.join(os.environ["HOME"], ".ssh", "id_session")
open(k, "w").write("made here\n")
open(k + ".new", "w").write("made again\n")
os.replace(k + ".new", k)
os.remove(k)'

finish
