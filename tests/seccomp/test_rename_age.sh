#!/usr/bin/env bash
# A file the session rewrote by rename keeps the age of the file it
# replaced, whoever made the rename: a static program's rename is judged by
# the supervisor, which writes the session's record (lib/engine/adopted.c)
# as the preload's hook does, and the deletes that follow read it, in the
# supervisor (a static unlink) and in the preload (rm) alike. The same
# rename over a file the session made leaves it the agent's own. No
# terminal: a question ends as a refusal.
. "$(dirname "$0")/lib.sh"
export INTERLOCK_RULES_PATH="$INTERLOCK_SRC/rules.d"

P=$HOME/proj
mkrepo "$P" || _fail "mkrepo"
echo "the user's draft" >"$P/draft.md"
echo "the user's other draft" >"$P/other.md"
sleep 0.1 # older than the sessions below
cd "$P" || exit 1
GUARD_OPTS=(--strict)

expect_blocked "static rename of a new file over the user's untracked draft, then static unlink" guard sh -c \
    'echo rewritten >draft.md.new && "$1" rename draft.md.new draft.md && "$1" unlink draft.md' sh "$SANDBOX/bin/inthread"
assert_contains "... refused at the unlink, as untracked work" "$ERR" "delete-untracked"
assert_eq "... the draft is there, rewritten" "rewritten" "$(cat draft.md)"
expect_blocked "static rename over the other draft, then rm (the preload reads the record)" guard sh -c \
    'echo rewritten >other.md.new && "$1" rename other.md.new other.md && rm other.md' sh "$SANDBOX/bin/inthread"
assert_exists "... the draft is there" "$P/other.md"
expect_ok "static rename over a file the session made, then static unlink" guard sh -c \
    'echo a >mine.md && echo b >mine.md.new && "$1" rename mine.md.new mine.md && "$1" unlink mine.md' sh "$SANDBOX/bin/inthread"
assert_missing "... it is gone" "$P/mine.md"

finish
