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
cp "$INTERLOCK_SRC/rules.d/00-programs.conf" "$INTERLOCK_SRC/rules.d/10-filesystem.conf" "$RULES/"
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

# start SHELL-COMMAND: a fresh terminal with an interactive shell, prompt "dev$ "
start() {
    tm kill-server 2>/dev/null
    for _ in $(seq 50); do tm has-session 2>/dev/null || break; sleep 0.1; done
    rm -f "$SOCK"
    tm -f /dev/null new-session -d -s sh -x 120 -y 40 \
        "cd '$SANDBOX/work' && env -u LD_PRELOAD -u INTERLOCK_SESSION -u INTERLOCK_SNAPSHOT HOME='$HOME' \
         INTERLOCK_RULES_PATH='$RULES' XDG_STATE_HOME='$XDG_STATE_HOME' XDG_RUNTIME_DIR='$SANDBOX/run' \
         PATH='$(dirname "$INTERLOCK_BIN"):$PATH' PS1='dev\$ ' $1"
    wait_for 'dev$' || _fail "$1 started" "$(history_)"
}

# activate SHELL DEFINE EVAL CHECK: what was typed before the activation is
# still there after it, and the shell itself is preloaded
activate() {
    local sh=$1 n out
    typed "$2"
    n=$(history_ | grep -c 'dev\$')
    typed "$3"
    wait_for 'dev$' $((n + 1)) || _fail "$sh: the shell comes back after the activation" "$(history_)"
    typed "$4"
    wait_for 'FN-WORKS' || _fail "$sh: the guarded shell answers" "$(history_)"
    sleep 0.3
    out=$(history_)
    # whole lines: what the shell printed, not what was typed
    line_is() { if grep -qxF -- "$3" <<<"$out"; then _ok "$sh: $1"; else _fail "$sh: $1" "$2" "$out"; fi; }
    line_is "a plain variable survives the activation" "v=kept-value" "v=kept-value"
    line_is "an alias survives" "ALIAS-WORKS" "ALIAS-WORKS"
    line_is "a function survives" "FN-WORKS" "FN-WORKS"
    line_is "the directory survives" "the directory" "$SANDBOX/work/here"
    if grep -qxE -- '(interlock_deactivate: )?function' <<<"$out"; then _ok "$sh: interlock_deactivate is defined"; else
        _fail "$sh: interlock_deactivate is defined" "$out"; fi
    line_is "the shell itself is preloaded" "maps" "maps=yes"
}

for other in zsh fish; do
    have_tool $other $other || continue
    case $other in
    zsh)
        start "zsh -f -i"
        activate zsh "MYVAR=kept-value; alias ll='echo ALIAS-WORKS'; myfn() { echo FN-WORKS; }; cd here" \
            'eval "$(interlock shell-init zsh)"' \
            'echo "v=$MYVAR"; ll; myfn; pwd; whence -w interlock_deactivate; grep -q libinterlock /proc/$$/maps && echo maps=yes'
        ;;
    fish)
        start "fish -N -C 'function fish_prompt; echo \"dev\\\$ \"; end'"
        activate fish "set MYVAR kept-value; alias ll 'echo ALIAS-WORKS'; function myfn; echo FN-WORKS; end; cd here" \
            'interlock shell-init fish | source' \
            'echo "v=$MYVAR"; ll; myfn; pwd; type -t interlock_deactivate; grep -q libinterlock /proc/$fish_pid/maps; and echo maps=yes'
        ;;
    esac
    mkdir -p "$SANDBOX/work/here/$other"
    typed "rm -r $other"
    if wait_for 'to allow once'; then _ok "$other: a destructive command is asked"; else
        _fail "$other: a destructive command is asked" "$(history_)"; fi
    typed ''
    sleep 0.5
    assert_exists "$other: a no keeps it" "$SANDBOX/work/here/$other"
done

start "bash --norc -i"
activate bash "MYVAR=kept-value; alias ll='echo ALIAS-WORKS'; myfn() { echo FN-WORKS; }; cd here" \
    'eval "$(interlock shell-init bash)"' \
    'echo "v=$MYVAR"; ll; myfn; pwd; type -t interlock_deactivate; grep -q libinterlock /proc/$$/maps && echo maps=yes'

mkdir -p "$SANDBOX/work/here/v1"
typed 'rm -r v1; echo "rc=$?"'
wait_for 'to allow once' || _fail "a question is asked in the dev shell" "$(history_)"
assert_contains "the dev shell's question has the wrapper's words" "$(history_)" \
    'Type "yes" to allow once, "yes!" to allow for the rest of this session'
typed ''
wait_for 'rc=' 2 || _fail "the refused rm returned" "$(history_)"
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

# rm -rf of a work tree holding the user's work: one question for the exec
# and the unlinks it makes (the approval is kept in the session's file)
P=$HOME/proj
mkdir -p "$P/src" && echo "int main;" >"$P/src/main.c" && git -C "$P" init -q &&
    git -C "$P" add . && git -C "$P" -c user.name=t -c user.email=t@t commit -qm first &&
    echo "int main = 1; /* not committed */" >"$P/src/main.c" && echo plan >"$P/PLAN.md"
before=$(prompts)
typed 'rm -rf ~/proj; echo "rc5=$?"'
wait_for 'to allow once' $((before + 1)) || _fail "rm -rf of a work tree is asked" "$(history_)"
typed 'proj' # a question with a target asks for its name
wait_for 'rc5=' 2 || _fail "rm -rf of a work tree returned" "$(history_)"
assert_contains "the approved rm -rf ran to the end" "$(history_)" "rc5=0"
assert_eq "one question for rm -rf and the uncommitted work it deletes" "$((before + 1))" "$(prompts)"
assert_missing "the work tree is gone" "$P"

# the way out
mkdir -p "$SANDBOX/work/here/v3"
# an agent cannot end the guard: only the shell that started the session can
typed "bash -c 'interlock shell-init --end; echo end=\$?'"
# twice: the typed line itself shows "end=" once
wait_for 'end=' 2 || _fail "an agent's try to end the session returned" "$(history_)"
assert_contains "a process other than the shell cannot end the session" "$(history_)" "end=125"
n=$(history_ | grep -c 'dev\$')
typed 'interlock_deactivate; echo "off=$?"; exec bash --norc -i'
wait_for 'off=0' || _fail "interlock_deactivate ran" "$(history_)"
wait_for 'dev$' $((n + 2))
typed 'rm -r v3; echo "rc4=$?"'
wait_for 'rc4=0' || _fail "after interlock_deactivate, rm runs unasked" "$(history_)"
assert_missing "the guard is off" "$SANDBOX/work/here/v3"

finish
