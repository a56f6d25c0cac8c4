#!/usr/bin/env bash
# `interlock hook claude-code` (issue 23): Claude Code's PreToolUse JSON in,
# its hook output out, from the verdict `interlock check` gives. Outside a
# session: deny -> "deny" with the blocked line, confirm -> "ask", allow ->
# no decision. Inside `interlock run`: confirm -> "allow" (interlock asks the
# human itself, so the human is asked once), or "deny" when that session can
# ask no one. Input that is not a tool call fails closed (exit 2).
. "$(dirname "$0")/lib.sh"

mkrepo "$SANDBOX/work/proj"
echo "uncommitted" >>"$SANDBOX/work/proj/file.txt" # reset --hard would lose it
mkdir -p "$HOME/.ssh" && echo key >"$HOME/.ssh/id_ed25519"
echo notes >"$SANDBOX/work/notes.txt"

# call TOOL INPUT-JSON: a PreToolUse call as Claude Code sends it
call() {
    "$PYTHON" -c '
import json, sys
print(json.dumps({"session_id": "s1", "transcript_path": "/dev/null", "cwd": sys.argv[3],
                  "permission_mode": "default", "hook_event_name": "PreToolUse",
                  "tool_name": sys.argv[1], "tool_input": json.loads(sys.argv[2]),
                  "tool_use_id": "toolu_1"}))' "$1" "$2" "$SANDBOX/work"
}
# decision: permissionDecision (or "none") and the reason from stdout
decision() {
    "$PYTHON" -c '
import json, sys
text = sys.stdin.read()
if not text.strip():
    print("none\t"); sys.exit(0)
o = json.loads(text)   # exactly one JSON document
h = o["hookSpecificOutput"]
assert h["hookEventName"] == "PreToolUse"
print("%s\t%s" % (h["permissionDecision"], h.get("permissionDecisionReason", "")))'
}
# hook DESC TOOL INPUT [WANT-DECISION [REASON-PART]]
hook() {
    local desc=$1 tool=$2 input=$3 want=$4 part=${5:-}
    call "$tool" "$input" >"$SANDBOX/call.json"
    run_capture bash -c '"$1" hook claude-code <"$2"' _ "$INTERLOCK_BIN" "$SANDBOX/call.json"
    local d r
    IFS=$'\t' read -r d r < <(printf '%s' "$OUT" | decision)
    if [ "$STATUS" = 0 ] && [ "$d" = "$want" ]; then _ok "$desc: $want"; else
        _fail "$desc: expected $want, got '$d' (status $STATUS)"
        _last_run
    fi
    [ -z "$part" ] || assert_contains "$desc: the reason" "$r" "$part"
}

echo "# outside a session"
hook "Bash rm -rf / (a deny rule)" Bash '{"command": "rm -rf /", "description": "x"}' deny "interlock: blocked: rm -rf /"
hook "the deny reason tells the agent not to work around it" Bash '{"command": "rm -rf /"}' deny "do not try to work around this block"
hook "Bash rm -rf of a git work tree (confirm)" Bash '{"command": "rm -rf proj"}' ask "(rule fs-rm-git)"
hook "Bash through a wrapper and a shell string" Bash '{"command": "cd /tmp && sudo -n bash -c \"git -C '"$SANDBOX"'/work/proj reset --hard\""}' ask "rule"
hook "Bash ls (allow: Claude Code decides)" Bash '{"command": "ls -la && git status"}' none
hook "Read of an SSH key (an open, confirm)" Read "{\"file_path\": \"$HOME/.ssh/id_ed25519\"}" ask "SSH private key"
hook "Read of an ordinary file" Read "{\"file_path\": \"$SANDBOX/work/notes.txt\"}" none
hook "Write over an ordinary file" Write "{\"file_path\": \"$SANDBOX/work/notes.txt\", \"content\": \"x\"}" none
hook "Edit of interlock's own rules (built in)" Edit "{\"file_path\": \"$XDG_CONFIG_HOME/interlock/rules.d/x.conf\", \"old_string\": \"a\", \"new_string\": \"b\"}" deny "interlock"
hook "a tool interlock does not judge (Glob)" Glob '{"pattern": "**/*.c"}' none

echo "# the same verdicts as interlock check"
run_capture "$INTERLOCK_BIN" check --json -c "rm -rf proj"
assert_contains "check agrees: confirm" "$OUT" '"action":"confirm"'

echo "# inside interlock run: one question"
call Bash '{"command": "rm -rf proj"}' >"$SANDBOX/confirm.json"
GUARD_OPTS=(--prompt-timeout 5)
run_capture guard bash -c "cd '$SANDBOX/work' && '$INTERLOCK_BIN' hook claude-code <'$SANDBOX/confirm.json'"
IFS=$'\t' read -r d r < <(printf '%s' "$OUT" | decision)
assert_eq "in a session that can ask (held for approve): allow, interlock asks itself" allow "$d"
assert_contains "... and says so" "$r" "interlock run asks for it itself"
GUARD_OPTS=()
run_capture guard bash -c "cd '$SANDBOX/work' && '$INTERLOCK_BIN' hook claude-code <'$SANDBOX/confirm.json'"
IFS=$'\t' read -r d r < <(printf '%s' "$OUT" | decision)
assert_eq "in a session that can ask no one (no terminal, no --prompt-timeout): deny" deny "$d"
assert_contains "... with the refusal the command would meet" "$r" "no human terminal is available"
call Bash '{"command": "rm -rf /"}' >"$SANDBOX/deny.json"
GUARD_OPTS=(--prompt-timeout 5)
run_capture guard bash -c "'$INTERLOCK_BIN' hook claude-code <'$SANDBOX/deny.json'"
GUARD_OPTS=()
IFS=$'\t' read -r d r < <(printf '%s' "$OUT" | decision)
assert_eq "in a session, a deny rule: deny" deny "$d"
assert_exists "nothing ran" "$SANDBOX/work/proj/.git/HEAD"

echo "# fail closed, bad usage"
run_capture bash -c "echo 'not json' | '$INTERLOCK_BIN' hook claude-code"
assert_status "input that is not JSON: exit 2 (Claude Code blocks the call)" 2
assert_contains "... saying why on stderr" "$ERR" "refused (fail closed)"
run_capture bash -c "echo '{\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"Bash\",\"tool_input\":{}}' | '$INTERLOCK_BIN' hook claude-code"
assert_status "another hook event: exit 2" 2
run_capture bash -c "echo '{\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Bash\",\"tool_input\":{}}' | '$INTERLOCK_BIN' hook claude-code"
assert_status "a Bash call without a command: exit 2" 2
assert_status "an unknown agent: 125" 125 "$INTERLOCK_BIN" hook cursor
assert_status "no agent: 125" 125 "$INTERLOCK_BIN" hook
run_capture "$INTERLOCK_BIN" hook --help
assert_contains "hook --help" "$OUT" "usage: interlock hook claude-code"

finish
