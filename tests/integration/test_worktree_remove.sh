#!/usr/bin/env bash
# `git worktree remove --force` is judged by what it deletes that git has
# nowhere else (rules.d/20-git.conf, git-worktree-remove-force, `loses =
# worktree`): the removed worktree's changed, staged and untracked files,
# less the session's own. Agents add a worktree per task and throw it away
# when done: a worktree the session added is free to remove whatever the
# agent left in it; one that was there before the session is asked about
# when it holds someone's work, and the question names the files. No
# terminal: a question ends as a refusal. Each guarded line is a session.
. "$(dirname "$0")/lib.sh"

REPO=$HOME/src/app
mkrepo "$REPO" || { _fail "mkrepo"; finish; }
cd "$REPO" || exit 1
printf 'a\n' >a.txt && mkdir -p src && printf 'int x;\n' >src/m.c
git add . && git commit -q -m files

# agent CMDS: run from a script file, so that git is judged when it
# starts, after the steps before it (a `bash -c` line is judged whole
# before any of it runs, when the worktree may not exist yet)
agent() {
    printf '%s\n' "$1" >"$SANDBOX/step.sh"
    guard bash "$SANDBOX/step.sh"
}
# old_worktree DIR BRANCH: a worktree added before the session
old_worktree() {
    git worktree add -q "$1" -b "$2" && sleep 0.05
}

# ------------------------------------------------- the session's worktree: free
expect_ok "add a worktree, edit, stage, leave untracked files, remove --force" agent '
set -e
git worktree add -q ../task-1 -b task-1
cd ../task-1
echo agent >>a.txt
sed -i s/int/long/ src/m.c && git add src/m.c
mkdir -p notes && echo draft >notes/plan.md && echo tmp >scratch.txt
cd ../app
git worktree remove --force ../task-1'
assert_missing "... the worktree is gone" "$HOME/src/task-1"

expect_ok "the same from bash -c under python, removed by its last path component" \
    guard "$PYTHON" -c '
import subprocess
subprocess.run(["git", "worktree", "add", "-q", "../task-2", "-b", "task-2"], check=True)
open("../task-2/new.py", "w").write("x = 1\n")
open("../task-2/a.txt", "a").write("agent\n")
subprocess.run(["bash", "-c", "git worktree remove -f task-2"], check=True)'
assert_missing "... the worktree is gone" "$HOME/src/task-2"

expect_ok "a locked worktree of the session's (-f -f)" agent '
set -e
git worktree add -q ../task-3 -b task-3
git worktree lock ../task-3
echo x >../task-3/out.log
git worktree remove -f -f ../task-3'
assert_missing "... the worktree is gone" "$HOME/src/task-3"

# ------------------------------------------------- a worktree from before: by what it holds
old_worktree ../old-clean old-clean
expect_ok "an older worktree the session only edited (its own edits, its own new files)" agent '
set -e
echo agent >>../old-clean/a.txt
echo new >../old-clean/new.txt
git worktree remove --force ../old-clean'
assert_missing "... the worktree is gone" "$HOME/src/old-clean"

old_worktree ../feature feature
printf "the user's edit\n" >>../feature/a.txt
expect_blocked "an older worktree with the user's uncommitted edit" agent 'git worktree remove --force ../feature'
assert_contains "... names the file" "$ERR" "1 file with uncommitted work in the worktree $HOME/src/feature: a.txt"
assert_contains "... by the rule" "$ERR" "git-worktree-remove-force"
assert_exists "... the edit is there" "$HOME/src/feature/a.txt"
assert_contains "... the edit is there" "$(cat "$HOME/src/feature/a.txt")" "the user's edit"

expect_blocked "the same named by its last path component, from bash -c" guard bash -c 'git worktree remove -f feature'
assert_exists "... the worktree is there" "$HOME/src/feature/a.txt"
expect_blocked "the same through git -C from elsewhere" guard bash -c "cd /tmp && git -C '$REPO' worktree remove --force ../feature"
assert_exists "... the worktree is there" "$HOME/src/feature/a.txt"

old_worktree ../wip wip
printf 'notes\n' >../wip/TODO.md
printf 'int y;\n' >../wip/src/n.c && git -C ../wip add src/n.c
expect_blocked "an older worktree with the user's untracked and staged files" agent \
    'echo agent >>../wip/a.txt; git worktree remove --force ../wip'
assert_contains "... counts both, not the agent's edit" "$ERR" "2 files with uncommitted work in the worktree"
assert_contains "... names the untracked file" "$ERR" "TODO.md"
assert_contains "... names the staged file" "$ERR" "src/n.c"
assert_not_contains "... not the session's own edit" "$ERR" "a.txt"
assert_exists "... the untracked file is there" "$HOME/src/wip/TODO.md"

# a file older than the session moved into the session's worktree is
# not the session's work (a rename keeps its birth time)
printf 'kept\n' >"$HOME/old-notes.md"
expect_blocked "the session's worktree holding an older file moved into it" agent '
set -e
git worktree add -q ../task-4 -b task-4
mv "$HOME/old-notes.md" ../task-4/
git worktree remove --force ../task-4'
assert_exists "... the file is there" "$HOME/src/task-4/old-notes.md"

# ------------------------------------------------- nothing to weigh
expect_ok "remove without --force (git refuses an unclean worktree itself)" agent \
    'git worktree add -q ../task-5 -b task-5 && git worktree remove ../task-5'
expect_ok "a worktree name git does not know (git says so, nothing is deleted)" agent \
    'git worktree remove --force ../no-such-tree; true'
expect_ok "a worktree whose directory is gone already (git only forgets it)" agent '
git worktree add -q ../task-6 -b task-6 && rm -rf ../task-6 && git worktree remove --force ../task-6'
expect_ok "data that mentions it" guard bash -c \
    'git commit -q --allow-empty -m "git worktree remove --force ../feature" && git log -1 --format=%s | grep -q worktree'

finish
