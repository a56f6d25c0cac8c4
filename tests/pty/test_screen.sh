#!/usr/bin/env bash
# The agent's screen is whole again after a question (issue 17), as a human
# sees it: interlock runs in a real terminal (tmux), tmux renders the
# screen, and capture-pane reads it back.
#   - a line-mode agent: its lines are there after the answer and the
#     prompt is not (the prompt was drawn on the alternate screen);
#   - a full-screen agent (its own alternate screen): it is made to redraw
#     (a SIGWINCH) after the answer, so the prompt does not stay drawn over it.
. "$(dirname "$0")/../integration/lib.sh"
have_tool tmux tmux || finish

RULES="$SANDBOX/rules"
mkdir -p "$RULES"
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
export INTERLOCK_RULES_PATH="$RULES"
SOCK="$SANDBOX/tmux.sock"
tm() { tmux -S "$SOCK" "$@"; }
trap 'tm kill-server 2>/dev/null; _cleanup' EXIT
screen() { tm capture-pane -p -t il; }
# wait_screen TEXT: until the rendered screen shows TEXT (10 s)
wait_screen() {
    local i
    for i in $(seq 100); do
        screen | grep -qF -- "$1" && return 0
        sleep 0.1
    done
    return 1
}
start() { # the agent's command line, in a fresh 80x24 terminal
    tm kill-server 2>/dev/null
    for _ in $(seq 50); do tm has-session 2>/dev/null || break; sleep 0.1; done
    rm -f "$SOCK"
    tm -f /dev/null new-session -d -s il -x 80 -y 24 \
        "cd '$SANDBOX/work' && env INTERLOCK_RULES_PATH='$RULES' HOME='$HOME' XDG_STATE_HOME='$XDG_STATE_HOME' \
         XDG_RUNTIME_DIR='$SANDBOX/run' '$INTERLOCK_BIN' run -- $1; echo EXITED; sleep 30"
}
mkdir -p "$SANDBOX/run" && chmod 700 "$SANDBOX/run"

# ---------------------------------------------------------------- line mode
mkdir -p "$SANDBOX/work/v1"
cat >"$SANDBOX/line.sh" <<'EOF'
for i in 1 2 3; do echo "agent line $i"; done
sleep 0.3
python3 -c 'import subprocess; subprocess.run(["rm", "-r", "v1"])'
echo "agent after"
EOF
start "bash $SANDBOX/line.sh"
if wait_screen 'to allow'; then _ok "line mode: the question is on screen"; else
    _fail "line mode: the question is on screen" "$(screen)"; fi
assert_not_contains "line mode: the agent's lines are not drawn under the question" "$(screen)" "agent line 1"
word=$(screen | sed -n 's/.*Type "\([^"]*\)" to allow.*/\1/p' | head -1)
tm send-keys -t il "$word" Enter
if wait_screen 'EXITED'; then _ok "line mode: the agent ran to the end"; else _fail "line mode: the agent ran to the end" "$(screen)"; fi
after=$(screen)
assert_contains "line mode: the agent's lines are back" "$after" "agent line 3"
assert_contains "line mode: its output goes on below them" "$after" "agent after"
assert_not_contains "line mode: the question is gone from the screen" "$after" "to allow"
assert_missing "line mode: the approved rm ran" "$SANDBOX/work/v1"

# ---------------------------------------------------------------- full screen
mkdir -p "$SANDBOX/work/v2"
cat >"$SANDBOX/tui.py" <<'EOF'
import signal, subprocess, sys, time
out = sys.stdout
def draw(label):
    out.write("\033[H\033[2J")
    for row in range(10):
        out.write("%s row %d\r\n" % (label, row))
    out.flush()
redraws = [0]
def on_winch(sig, frame):
    redraws[0] += 1
    draw("REDRAWN")
signal.signal(signal.SIGWINCH, on_winch)
out.write("\033[?1049h")
draw("FIRST")
time.sleep(0.3)
subprocess.run(["rm", "-r", "v2"])
time.sleep(1.5)
out.write("\033[?1049l")
out.write("tui redraws %d\n" % redraws[0])
out.flush()
EOF
start "$PYTHON $SANDBOX/tui.py"
if wait_screen 'to allow'; then _ok "full screen: the question is on screen"; else
    _fail "full screen: the question is on screen" "$(screen)"; fi
word=$(screen | sed -n 's/.*Type "\([^"]*\)" to allow.*/\1/p' | head -1)
tm send-keys -t il "$word" Enter
if wait_screen 'REDRAWN row 9'; then _ok "full screen: the agent redrew its screen after the answer"; else
    _fail "full screen: the agent redrew its screen after the answer" "$(screen)"; fi
assert_not_contains "full screen: no question left drawn over it" "$(screen)" "to allow"
wait_screen 'EXITED'
assert_missing "full screen: the approved rm ran" "$SANDBOX/work/v2"

finish
