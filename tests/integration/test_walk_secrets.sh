#!/usr/bin/env bash
# A secret met by a tree walk is skipped without a question (judge.c,
# walked_past; the preload's record of listed directories, walked.c; the
# walker trait of rules.d/00-programs.conf): grep -r, tar, cp -r, zip and
# rsync in a project with a .env, or
# over a home with a key, read everything else and are refused the secret
# with a line that says it was met by a walk, not a question for a human
# (with a terminal, the answer would be no, and asking at every grep
# teaches yes). A program that names the file (cat .env, an app opening
# its .env without listing the directory) is asked as before; so is one
# that is no walker (an interpreter lists directories to import modules:
# python app.py opens its .env by name). A .env the session wrote is its own.
. "$(dirname "$0")/lib.sh"

WALK="met while walking a directory tree"
ASK="needs a human's confirmation"
PROJ=$HOME/proj
mkdir -p "$PROJ/src/deep" "$HOME/.ssh"
cd "$PROJ" || exit 1
echo "API_KEY=planted-secret" >.env
echo "API_KEY=" >.env.example
echo "# TODO: ship" >src/a.py
echo "TODO deep" >src/deep/b.txt
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\nplanted\n' >"$HOME/.ssh/id_ed25519"
sleep 0.05

walked() { # DESC: the last run skipped the secret by a walk, and asked nobody
    assert_contains "$1: said it was a walk" "$ERR" "$WALK"
    assert_not_contains "$1: asked nobody" "$ERR" "$ASK"
    assert_not_contains "$1: the secret stayed out" "$OUT" "planted"
}

# ------------------------------------------------- walks: skipped, not asked
run_capture guard grep -rn TODO .
assert_eq "grep -r TODO . ends as grep does with an unreadable file" "2" "$STATUS"
assert_contains "... every other file searched" "$OUT" "src/deep/b.txt:1:TODO deep"
walked "grep -r"
assert_contains "... names the rule" "$ERR" "(rule cred-dotenv)"

run_capture guard grep -rl planted .
assert_not_contains "grep -rl for the secret's value: .env is not listed" "$OUT" ".env"
walked "grep -rl"

run_capture guard bash -c "tar cf - . | tar tf -"
assert_contains "tar of the project: the sources are in the archive" "$OUT" "./src/a.py"
assert_not_contains "... .env is not" "$OUT" "./.env
"
walked "tar"

run_capture guard cp -r "$PROJ" "$SANDBOX/copy"
assert_exists "cp -r: the copy has the sources" "$SANDBOX/copy/src/deep/b.txt"
assert_missing "... not the secret" "$SANDBOX/copy/.env"
assert_exists "... and .env.example (no secret)" "$SANDBOX/copy/.env.example"
walked "cp -r"

if have_tool zip; then
    run_capture guard zip -qr "$SANDBOX/p.zip" .
    run_capture unzip -l "$SANDBOX/p.zip"
    assert_contains "zip -r: the sources are in the archive" "$OUT" "src/a.py"
    assert_not_contains "... .env is not" "$OUT" " .env
"
fi
if have_tool rsync; then
    run_capture guard rsync -a "$PROJ/" "$SANDBOX/rs/"
    assert_exists "rsync -a: the copy has the sources" "$SANDBOX/rs/src/a.py"
    assert_missing "... not the secret" "$SANDBOX/rs/.env"
    walked "rsync"
fi

run_capture guard grep -rn --include='*' -e planted "$HOME"
assert_not_contains "grep -r over HOME: the key's content stays out" "$OUT" "OPENSSH"
assert_contains "... the key skipped as a walk" "$ERR" "id_ed25519: this is an SSH private key"
walked "grep -r HOME"

# ------------------------------------------------- named: asked as before
expect_blocked "cat .env" guard cat .env
assert_contains "... asked (no terminal: refused)" "$ERR" "$ASK"
assert_not_contains "... not as a walk" "$ERR" "$WALK"
expect_blocked "grep -r naming .env" guard grep -r API .env
assert_contains "... asked" "$ERR" "$ASK"
expect_blocked "an app opening its .env by name" guard "$PYTHON" -c 'print(open(".env").read())'
assert_contains "... asked" "$ERR" "$ASK"
expect_blocked "an app that lists its own directory (python's imports do), then opens .env" guard "$PYTHON" -c '
import os
os.listdir(".")
print(open(".env").read())'
assert_contains "... asked: an interpreter is no walker" "$ERR" "$ASK"
assert_not_contains "... not as a walk" "$ERR" "$WALK"
printf 'import json\nprint(open(".env").read())\n' >app.py
expect_blocked "python app.py loading its .env" guard "$PYTHON" app.py
assert_contains "... asked" "$ERR" "$ASK"
rm -f app.py
expect_blocked "python's os.walk reading every file: asked as any program but a walker" guard "$PYTHON" -c '
import os
for root, dirs, files in os.walk("."):
    for f in files:
        open(os.path.join(root, f)).read()'
assert_contains "... asked" "$ERR" "$ASK"

# ------------------------------------------------- the session's own secret
run_capture guard bash -c 'cd "$1" && echo "LOCAL=1" >.env.local && grep -rn LOCAL .' _ "$PROJ"
assert_contains "a .env the session wrote is read by the walk" "$OUT" ".env.local:1:LOCAL=1"
assert_not_contains "... and only the older one is skipped" "$ERR" ".env.local"
rm -f .env.local

finish
