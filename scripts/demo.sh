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

# step WHAT COMMAND: says what the agent is about to do, shows the command
# as an agent would type it, and runs it the way agents do (bash -c).
step() {
  printf '\n# %s\n$ %s\n' "$1" "$2"
  bash -c "$2"
  echo "(exit status $?)"
}
step "look at the work in progress (harmless)" \
  'git status --short'
step "a commit message that names a destructive command is only data: not asked" \
  'git commit -qm "docs: never run git reset --hard" --allow-empty'
step "throw the uncommitted change away: asked on a terminal, refused without one" \
  'git reset --hard'
step "delete the whole repository from a shell string" \
  'cd .. && rm -rf app'
step "the same from python, as an agent's tool would do it" \
  'python3 -c "import subprocess, sys
try:
    sys.exit(subprocess.run([\"rm\", \"-rf\", \".\"]).returncode)
except PermissionError as e:
    print(\"python: the rm was refused:\", e.strerror)
    sys.exit(126)"'
step "remove build output: nothing would be lost, so nothing is asked" \
  'mkdir -p build && touch build/app.o && rm -rf ./build'
echo
if [ -f main.py ] && grep -q "work in progress" main.py; then
  echo "demo: the repository and its uncommitted change are intact"
elif [ -t 0 ]; then
  echo "demo: you typed the confirmation word, so it ran (on a scratch copy)"
else
  echo "demo: DATA LOST without a human's yes: interlock failed" >&2
  exit 1
fi
