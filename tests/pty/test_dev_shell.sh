#!/usr/bin/env bash
# The dev shell as a human uses it: `eval "$(interlock shell-init bash)"`
# typed at a live interactive prompt (a real terminal: tmux). The shell is
# re-executed to be guarded, and what was typed before survives: a plain
# variable, an alias, a function, the directory. interlock_deactivate exists
# at once. The prompt has the wrapper's words: a no leaves the target, an
# agent's `bash -c "rm ...; echo after"` is asked once, WORD! covers the rest
# of the session, and interlock_deactivate ends the guard.
. "$(dirname "$0")/../integration/lib.sh"
have_tool tmux tmux || finish

RULES="$SANDBOX/rules"
mkdir -p "$RULES" "$SANDBOX/work/here" "$SANDBOX/run"
chmod 700 "$SANDBOX/run"
cp "$INTERLOCK_SRC/rules.d/00-programs.conf" "$RULES/"
cat >"$RULES/50-test.conf" <<'EOF'
[test-confirm]
on = exec
program = rm
option = ^(-r|-R|--recursive)$
action = confirm
why = test rule
match = rm -r x
EOF
SOCK="$SANDBOX/tmux.sock"
tm() { tmux -S "$SOCK" "$@"; }
trap 'tm kill-server 2>/dev/null; _cleanup' EXIT
history_() { tm capture-pane -p -J -S - -t sh; }
wait_for() { # TEXT [N]: until the terminal's history shows TEXT N times (10 s)
    local i
    for i in $(seq 100); do
        [ "$(history_ | grep -cF -- "$1")" -ge "${2:-1}" ] && return 0
        sleep 0.1
    done
    return 1
}
typed() { tm send-keys -t sh -l -- "$1"; tm send-keys -t sh Enter; }
prompts() { history_ | grep -c 'to allow once' || true; }

tm -f /dev/null new-session -d -s sh -x 120 -y 40 \
    "cd '$SANDBOX/work' && env -u LD_PRELOAD -u INTERLOCK_SESSION -u INTERLOCK_SNAPSHOT HOME='$HOME' \
     INTERLOCK_RULES_PATH='$RULES' XDG_STATE_HOME='$XDG_STATE_HOME' XDG_RUNTIME_DIR='$SANDBOX/run' \
     PATH='$(dirname "$INTERLOCK_BIN"):$PATH' PS1='dev\$ ' bash --norc -i"
wait_for 'dev$' || _fail "the shell started" "$(history_)"

typed "MYVAR=kept-value; alias ll='echo ALIAS-WORKS'; myfn() { echo FN-WORKS; }; cd here"
n=$(history_ | grep -c 'dev\$')
typed 'eval "$(interlock shell-init bash)"'
wait_for 'dev$' $((n + 1)) || _fail "the shell comes back after the eval" "$(history_)"
typed 'echo "v=$MYVAR"; ll; myfn; pwd; type -t interlock_deactivate; grep -c libinterlock /proc/$$/maps'
wait_for 'FN-WORKS' || _fail "the guarded shell answers" "$(history_)"
out=$(history_)
assert_contains "a plain variable survives the activation" "$out" "v=kept-value"
assert_contains "an alias survives" "$out" "ALIAS-WORKS"
assert_contains "a function survives" "$out" "FN-WORKS"
assert_contains "the directory survives" "$out" "$SANDBOX/work/here"
assert_contains "interlock_deactivate is defined" "$out" "function"
assert_not_contains "the shell itself is preloaded" "$(history_ | tail -n 3)" $'\n0'

mkdir -p "$SANDBOX/work/here/v1"
typed 'rm -r v1; echo "rc=$?"'
wait_for 'to allow once' || _fail "a question is asked in the dev shell" "$(history_)"
assert_contains "the dev shell's question has the wrapper's words" "$(history_)" \
    'Type "yes" to allow once, "yes!" to allow for the rest of this session'
typed ''
wait_for 'rc=' || _fail "the refused rm returned" "$(history_)"
assert_contains "a no is told as a human's no" "$(history_)" "a human denied it"
assert_exists "a no leaves the target" "$SANDBOX/work/here/v1"

# an agent's way: one question for the string and the rm it runs
before=$(prompts)
typed "python3 -c \"import subprocess; subprocess.run(['bash', '-c', 'rm -r v1; echo AFTER-\$((6*7))'])\""
wait_for 'to allow once' $((before + 1)) || _fail "the agent's command is asked" "$(history_)"
typed 'yes'
wait_for 'AFTER-42' || _fail "the agent's command ran" "$(history_)"
sleep 0.5
assert_eq "one question for bash -c and the rm it named" "$((before + 1))" "$(prompts)"
assert_missing "the approved rm ran" "$SANDBOX/work/here/v1"

# WORD!: the same operation again in this session is not asked
mkdir -p "$SANDBOX/work/here/v2"
before=$(prompts)
typed 'rm -r v2; echo "rc2=$?"'
wait_for 'to allow once' $((before + 1)) || _fail "rm -r v2 is asked" "$(history_)"
typed 'yes!'
wait_for 'rc2=0' || _fail "rm -r v2 ran after yes!" "$(history_)"
mkdir -p "$SANDBOX/work/here/v2"
typed 'rm -r v2; echo "rc3=$?"'
wait_for 'rc3=0' || _fail "rm -r v2 again ran" "$(history_)"
assert_eq "yes! covers the same operation for the rest of the session" "$((before + 1))" "$(prompts)"
assert_missing "and it ran" "$SANDBOX/work/here/v2"

# the way out
mkdir -p "$SANDBOX/work/here/v3"
# an agent cannot end the guard: only the shell that started the session can
typed "bash -c 'interlock shell-init --end; echo end=\$?'"
wait_for 'end=' || _fail "an agent's try to end the session returned" "$(history_)"
assert_contains "a process other than the shell cannot end the session" "$(history_)" "end=125"
n=$(history_ | grep -c 'dev\$')
typed 'interlock_deactivate; echo "off=$?"; exec bash --norc -i'
wait_for 'off=0' || _fail "interlock_deactivate ran" "$(history_)"
wait_for 'dev$' $((n + 2))
typed 'rm -r v3; echo "rc4=$?"'
wait_for 'rc4=0' || _fail "after interlock_deactivate, rm runs unasked" "$(history_)"
assert_missing "the guard is off" "$SANDBOX/work/here/v3"

finish
