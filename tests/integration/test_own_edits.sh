#!/usr/bin/env bash
# The session's own edits of tracked files (lib/engine/adopted.c, "own
# edits"): an agent that edits a file git has unchanged and then puts it
# back (git checkout -- f, git restore, git reset --hard, git checkout -f,
# rm) loses nothing of the user's, and is not asked, whatever wrote the
# edit (a shell's >>, python's open('w'), sed -i's rename). The same over
# a file that held the user's uncommitted edits before the session is
# still refused, and when both are lost the question names only the
# user's file; so is a file git stash pop wrote back (the user's edits in a
# new file). The record is in the session directory, which the guarded
# tree cannot write. No terminal: a question ends as a refusal. Each
# guarded line is one session.
. "$(dirname "$0")/lib.sh"

REPO=$HOME/src/app
mkrepo "$REPO" || { _fail "mkrepo"; finish; }
cd "$REPO" || exit 1
printf 'a\n' >a.txt && printf 'b\n' >b.txt && mkdir -p src && printf 'int x;\n' >src/m.c
git add . && git commit -q -m files

# reset: every tracked file as git has it, the index refreshed (sessions
# below start after this); then optionally the user's own edit, made
# before the session.
reset_tree() {
    git checkout -q -f -- . && git clean -qfd
    sleep 0.05
    git status --porcelain >/dev/null
}
# agent CMDS: CMDS run from a script file, so that what git is asked
# about is judged when git itself starts, after the edits before it (a
# `bash -c` line is judged as a whole before any of it runs)
agent() {
    printf '%s\n' "$1" >"$SANDBOX/step.sh"
    guard bash "$SANDBOX/step.sh"
}
user_edit() { printf "the user's edit\n" >>"$1"; }
has_user_edit() { grep -q "the user's edit" "$1"; }

# ------------------------------------------------- the agent's own edits: free
reset_tree
expect_ok "echo >> then git checkout -- f" guard bash -c 'echo agent-edit >>a.txt && git checkout -- a.txt'
assert_eq "... a.txt is as git has it" "a" "$(cat a.txt)"
reset_tree
expect_ok "python open('w') then git restore f" guard bash -c \
    '"$PYTHON" -c "open(\"a.txt\", \"w\").write(\"agent\\n\")" && git restore a.txt'
assert_eq "... restored" "a" "$(cat a.txt)"
reset_tree
expect_ok "sed -i (a rename over the file) then git restore f" guard bash -c 'sed -i s/a/agent/ a.txt && git restore a.txt'
assert_eq "... restored" "a" "$(cat a.txt)"
reset_tree
expect_ok "edits in two files, then git reset --hard" guard bash -c \
    'echo x >>a.txt && sed -i s/int/long/ src/m.c && git reset -q --hard'
assert_eq "... nothing modified" "" "$(git status --porcelain)"
reset_tree
expect_ok "edit, then git checkout -f" guard bash -c 'echo x >>b.txt && git checkout -q -f'
reset_tree
expect_ok "edit, sed -i over the edit, then rm of the file" guard bash -c 'echo x >>a.txt && sed -i s/x/y/ a.txt && rm a.txt'
assert_missing "... removed" "$REPO/a.txt"
reset_tree
expect_ok "edit, put back, edit again, put back (git's own checkout writes a new file)" guard bash -c \
    'echo 1 >>a.txt && git checkout -- a.txt && echo 2 >>a.txt && git checkout -- a.txt'
reset_tree
expect_ok "the agent's mv of its edited file to another tracked name, then git checkout -- ." guard bash -c \
    'echo x >>a.txt && mv a.txt b.txt && git checkout -- .'

# ------------------------------------------------- the user's edits: still asked
# git stash pop writes the user's edits back into new files: born in the
# session, but not its work (lib/preload/restored.c)
reset_tree
user_edit a.txt
expect_blocked "git stash, git stash pop, then git checkout -- f over the user's edit" agent \
    'git stash -q && git stash pop -q && git checkout -- a.txt'
assert_contains "... names the file" "$ERR" "1 file with uncommitted changes: a.txt"
if has_user_edit a.txt; then _ok "... the user's edit is there"; else _fail "... the user's edit is there"; fi
reset_tree
user_edit b.txt
expect_blocked "git stash, git stash apply, then rm of the file" agent 'git stash -q && git stash apply -q && rm b.txt'
if has_user_edit b.txt; then _ok "... the user's edit is there"; else _fail "... the user's edit is there"; fi
git stash clear
reset_tree
user_edit b.txt
expect_ok "git stash pop of the user's edit, then the agent's own edit of another file put back" agent \
    'git stash -q && git -C . stash pop -q && echo x >>a.txt && git checkout -- a.txt'
if has_user_edit b.txt; then _ok "... the user's edit is there"; else _fail "... the user's edit is there"; fi
reset_tree
user_edit a.txt
expect_blocked "git checkout -- f over the user's earlier edit (and the agent's)" agent \
    'echo agent-edit >>a.txt && git checkout -- a.txt'
assert_contains "... names the file" "$ERR" "1 file with uncommitted changes: a.txt"
if has_user_edit a.txt; then _ok "... the user's edit is there"; else _fail "... the user's edit is there"; fi
expect_blocked "sed -i over the user's edited file, then git restore" agent 'sed -i s/a/agent/ a.txt && git restore a.txt'
if has_user_edit a.txt; then _ok "... the user's edit is there"; else _fail "... the user's edit is there"; fi
expect_blocked "rm of the user's edited file after an edit" agent 'echo x >>a.txt && rm a.txt'
assert_contains "... as uncommitted work" "$ERR" "delete-uncommitted"
assert_exists "... it is there" "$REPO/a.txt"

reset_tree
user_edit b.txt
expect_blocked "git reset --hard over one own edit and one of the user's" agent \
    'echo agent >>a.txt && git reset -q --hard'
assert_contains "... the question names the user's file" "$ERR" "1 file with uncommitted changes: b.txt"
assert_not_contains "... and not the agent's" "$ERR" "a.txt"
assert_eq "... asked when git started, after the agent's edit" "agent" "$(tail -n1 a.txt)"
if has_user_edit b.txt; then _ok "... the user's edit is there"; else _fail "... the user's edit is there"; fi

reset_tree
user_edit b.txt
expect_blocked "mv of the user's edited file onto a clean one, then git checkout -- ." agent \
    'mv b.txt a.txt && git checkout -- a.txt'
if has_user_edit a.txt; then _ok "... the user's edit is there"; else _fail "... the user's edit is there"; fi

# an edit made in an earlier session is not this session's own
reset_tree
guard bash -c 'echo earlier-session >>a.txt' </dev/null
expect_blocked "an edit of an earlier session, put back in a later one" guard git checkout -- a.txt
assert_contains "... names it" "$ERR" "a.txt"

# ------------------------------------------------- the record
reset_tree
expect_blocked "the guarded tree cannot append to the record" guard bash -c \
    'echo forged >>"$(dirname "$INTERLOCK_SNAPSHOT")/own-edits"'
expect_blocked "... nor write it from python" guard "$PYTHON" -c \
    'import os; open(os.path.dirname(os.environ["INTERLOCK_SNAPSHOT"]) + "/own-edits", "ab").write(bytes(32))'
expect_blocked "... nor rename a file onto it" guard bash -c \
    'd=$(dirname "$INTERLOCK_SNAPSHOT"); head -c 32 /dev/zero >"$SANDBOX/tmp/forged" && mv "$SANDBOX/tmp/forged" "$d/own-edits"'
expect_blocked "... nor the adopted record beside it" guard bash -c \
    'echo forged >>"$(dirname "$INTERLOCK_SNAPSHOT")/adopted"'

# without a session: nothing recorded, nothing changes
reset_tree
echo agent >>a.txt
run_capture "$INTERLOCK_BIN" check --json -- git checkout -- a.txt
assert_contains "interlock check still asks about a changed file" "$OUT" '"action":"confirm"'

finish
