#!/usr/bin/env bash
# The session's own edits (lib/engine/adopted.c) made by a static program:
# its opens and renames are judged by the supervisor, which takes the
# evidence through the same engine function as the preload's hooks
# (il_own_edit_candidate, il_own_edit_note, il_adopt_note), and the git
# command that puts the file back reads it in the preload. No terminal: a
# question ends as a refusal.
. "$(dirname "$0")/lib.sh"
export INTERLOCK_RULES_PATH="$INTERLOCK_SRC/rules.d"

P=$HOME/proj
mkrepo "$P" || _fail "mkrepo"
cd "$P" || exit 1
printf 'b\n' >b.txt && git add b.txt && git commit -q -m b
GUARD_OPTS=(--strict)
T=$SANDBOX/bin/inthread
reset_tree() {
    git checkout -q -f -- . && git clean -qfd
    sleep 0.05
    git status --porcelain >/dev/null
}

reset_tree
expect_ok "static truncating open of a clean file, then git checkout -- f" guard sh -c \
    '"$1" open t file.txt && git checkout -- file.txt' sh "$T"
assert_eq "... put back" "committed content" "$(cat file.txt)"
reset_tree
expect_ok "static rename of a new file over a clean one, then git restore" guard sh -c \
    'echo rewritten >b.txt.new && "$1" rename b.txt.new b.txt && git restore b.txt' sh "$T"
assert_eq "... put back" "b" "$(cat b.txt)"

reset_tree
echo "the user's edit" >>b.txt
printf '"$1" open t b.txt\ngit checkout -- b.txt\n' >"$SANDBOX/step.sh"
expect_blocked "static truncating open of the user's edited file, then git checkout -- f" guard sh "$SANDBOX/step.sh" "$T"
assert_contains "... names it" "$ERR" "1 file with uncommitted changes: b.txt"

finish
