#!/usr/bin/env bash
# What an agent's session looks like under interlock: run it as
#   ./build/interlock run -- bash scripts/demo.sh
# Everything happens in a temporary directory that is removed at the end.
# On a terminal you are asked before each destructive step (Enter says no);
# without one every such step is refused.
set -u
top=$(mktemp -d "${TMPDIR:-/tmp}/interlock-demo.XXXXXX")
trap 'rm -rf "$top"' EXIT
cd "$top" || exit 1
git init -q app && cd app || exit 1
echo 'print("hello")' > main.py
git add main.py && git -c user.name=demo -c user.email=demo@example.invalid commit -qm "initial"
echo "# work in progress" >> main.py

step() { printf '\n$ %s\n' "$*"; "$@"; echo "(exit status $?)"; }
step git status --short
step git commit -qm "docs: never run git reset --hard" --allow-empty
step git reset --hard
step bash -c 'cd .. && rm -rf app'
step python3 -c 'import shutil, subprocess; subprocess.run(["rm", "-rf", "."])'
step rm -rf ./build
echo
if [ -f main.py ] && grep -q "work in progress" main.py; then
  echo "demo: the repository and its uncommitted change are intact"
elif [ -t 0 ]; then
  echo "demo: you typed the confirmation word, so it ran (on a scratch copy)"
else
  echo "demo: DATA LOST without a human's yes: interlock failed" >&2
  exit 1
fi
