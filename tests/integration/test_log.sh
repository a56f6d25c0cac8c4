#!/usr/bin/env bash
# interlock log: the audit log as a table, filters, --json, --follow, bad
# lines skipped and counted, no terminal escapes from argv, colours only on a
# terminal and never with NO_COLOR.
. "$(dirname "$0")/lib.sh"
export TZ=UTC

F="$SANDBOX/audit.jsonl"
now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
cat >"$F" <<JSON
{"time":"2021-01-01T10:00:00.000Z","session":"s1","profile":null,"pid":1,"ppid":0,"exe":"/usr/bin/git","argv":["git","reset","--hard"],"cwd":"/w","event":"exec","rule":"git-reset-hard","action":"confirm","decision":"denied","by":"no-terminal"}
not json at all
{"time":"2021-01-02T10:00:00.000Z","session":"s1","profile":null,"pid":2,"ppid":1,"exe":"/usr/bin/rm","argv":["rm","-rf","/w/a b"],"cwd":"/w","event":"exec","rule":"fs-rm-git","action":"confirm","decision":"allowed","by":"human"}

{"time":"2021-01-03T10:00:00.000Z","session":"s2","profile":"p","pid":3,"ppid":1,"exe":"/bin/busybox","argv":["rm","-r","x\u001b[31mRED\u00e9"],"cwd":"/w","event":"exec","rule":"fs-rm-git","action":"deny","decision":"denied","by":"rule","extra":{"nested":[1,{"a":null}]}}
{"time":"2021-01-04T10:00:00.000Z","decision":"denied","argv":["trunc
{"time":"$now","session":"s3","profile":null,"pid":4,"ppid":1,"exe":"/usr/bin/git","argv":["git","push","--force"],"cwd":"/w","event":"exec","rule":"git-push-force","action":"confirm","decision":"denied","by":"timeout"}
JSON
L() { "$INTERLOCK_BIN" log --file "$F" "$@"; }

run_capture L
assert_status "log: exit 0" 0
assert_contains "log: header" "$OUT" "TIME                 DECISION  BY                RULE                    COMMAND"
assert_contains "log: a row with local time, decision, by, rule, command" "$OUT" \
    "2021-01-01 10:00:00  denied    no-terminal       git-reset-hard          git reset --hard"
assert_contains "log: arguments are shell-quoted" "$OUT" "rm -rf '/w/a b'"
assert_contains "log: the executed file is shown when argv[0] differs" "$OUT" "[/bin/busybox]"
assert_not_contains "log: no terminal escapes from argv" "$OUT" $'\033'
assert_contains "log: control characters are replaced" "$OUT" "x?[31mREDé"
assert_contains "log: bad lines are counted on stderr" "$ERR" "skipped 2 malformed lines"
assert_eq "log: header + 4 records" "5" "$(printf '%s\n' "$OUT" | wc -l)"
printf '%s\n' '{"time":"2021-01-05T00:00:00.000Z","exe":"/home/u/.ssh/id_rsa","argv":["read","/home/u/.ssh/id_rsa"],"event":"open","rule":"cred-ssh","action":"confirm","decision":"denied","by":"no-terminal"}' >"$SANDBOX/open.jsonl"
run_capture "$INTERLOCK_BIN" log --file "$SANDBOX/open.jsonl"
assert_contains "log: an open event names the event, access and path" "$OUT" "cred-ssh                open: read /home/u/.ssh/id_rsa"
assert_not_contains "log: no executed-file suffix for opens" "$OUT" "["

run_capture L -n 2
assert_eq "-n 2: header + the last 2" "3" "$(printf '%s\n' "$OUT" | wc -l)"
assert_contains "-n 2: the newest record is last" "$(printf '%s\n' "$OUT" | tail -n 1)" "git-push-force"
run_capture L -n2
assert_eq "-n2 works too" "3" "$(printf '%s\n' "$OUT" | wc -l)"
run_capture L -n 0
assert_eq "-n 0: all" "5" "$(printf '%s\n' "$OUT" | wc -l)"

run_capture L --rule fs-rm-git
assert_eq "--rule: only that rule" "2" "$(printf '%s\n' "$OUT" | grep -c fs-rm-git)"
assert_not_contains "--rule: no other rule" "$OUT" "git-reset-hard"
run_capture L --decision allowed
assert_contains "--decision allowed" "$OUT" "allowed   human"
assert_not_contains "--decision allowed: no denials" "$OUT" "denied"
run_capture L --decision denied --rule fs-rm-git
assert_eq "filters combine" "1" "$(printf '%s\n' "$OUT" | grep -c 'denied    rule')"

run_capture L --since 1h
assert_eq "--since 1h: only the recent record" "2" "$(printf '%s\n' "$OUT" | wc -l)"
assert_contains "--since 1h: it is the recent one" "$OUT" "git-push-force"
run_capture L --since 2021-01-02
assert_not_contains "--since DATE excludes earlier" "$OUT" "git-reset-hard"
assert_contains "--since DATE includes later" "$OUT" "busybox"
run_capture L --since "2021-01-02 10:00:01"
assert_not_contains "--since DATE TIME excludes the exact earlier second" "$OUT" "/w/a b"
run_capture L --since 2021-01-03T09:59:59Z
assert_contains "--since ISO Z" "$OUT" "busybox"
run_capture L --since yesterday-ish
assert_status "--since garbage: 125" 125
assert_contains "--since garbage: says what it expects" "$ERR" "expected"

run_capture L --json -n 0
assert_status "--json" 0
assert_eq "--json: only the parsable records" "4" "$(printf '%s\n' "$OUT" | wc -l)"
assert_eq "--json: lines are the raw lines" "$(sed -n 1p "$F")" "$(printf '%s\n' "$OUT" | head -n 1)"
printf '%s\n' "$OUT" >"$SANDBOX/json.out"
run_capture "$PYTHON" -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$SANDBOX/json.out"
assert_status "--json: every line is JSON" 0
run_capture L --json --rule git-push-force
assert_contains "--json honours filters" "$OUT" '"rule":"git-push-force"'
assert_not_contains "--json honours filters (2)" "$OUT" "git-reset-hard"

run_capture "$INTERLOCK_BIN" log --file "$SANDBOX/none.jsonl"
assert_status "missing log: exit 0" 0
assert_contains "missing log: says so" "$ERR" "no decisions recorded yet"
assert_status "bad argument: 125" 125 "$INTERLOCK_BIN" log --bogus
assert_status "log --help" 0 "$INTERLOCK_BIN" log --help

# ------------------------------------------- colours: only on a terminal
tty_log() { # NO_COLOR_VALUE ("-": unset) ARGS...
    "$PYTHON" - "$@" <<'PY'
import os, pty, sys
nc = sys.argv[1]
argv = [os.environ["INTERLOCK_BIN"], "log"] + sys.argv[2:]
env = dict(os.environ)
env.pop("NO_COLOR", None)
if nc != "-":
    env["NO_COLOR"] = nc
pid, fd = pty.fork()
if pid == 0:
    os.execve(argv[0], argv, env)
out = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
PY
}
run_capture tty_log - --file "$F"
assert_contains "terminal: denied in red" "$OUT" $'\033[31mdenied'
assert_contains "terminal: allowed in green" "$OUT" $'\033[32mallowed'
assert_not_contains "terminal: still no escapes from argv" "$OUT" $'\033[31mRED'
run_capture tty_log 1 --file "$F"
assert_not_contains "terminal with NO_COLOR=1: no colours" "$OUT" $'\033['
run_capture tty_log - --json --file "$F"
assert_not_contains "terminal with --json: no colours" "$OUT" $'\033[3'
run_capture env NO_COLOR= "$INTERLOCK_BIN" log --file "$F"
assert_not_contains "not a terminal: no colours" "$OUT" $'\033['

# ------------------------------------------------------------ --follow
G="$SANDBOX/follow.jsonl"
sed -n 1p "$F" >"$G"
"$INTERLOCK_BIN" log --follow --file "$G" -n 5 >"$SANDBOX/follow.out" 2>"$SANDBOX/follow.err" </dev/null &
fpid=$!
wait_for_text() { # FILE TEXT: up to 10 s
    local _
    for _ in $(seq 1 100); do
        grep -qF -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
if wait_for_text "$SANDBOX/follow.out" "git-reset-hard"; then _ok "--follow: prints what is there"; else _fail "--follow: prints what is there"; fi
# a record appended in two pieces is printed once it is complete
printf '%s' '{"time":"2021-02-01T00:00:00.000Z","argv":["echo","first"],"rule":"r1",' >>"$G"
sleep 0.5
printf '%s\n' '"decision":"denied","by":"rule"}' >>"$G"
if wait_for_text "$SANDBOX/follow.out" "echo first"; then _ok "--follow: an appended record appears"; else
    _fail "--follow: an appended record appears" "$(cat "$SANDBOX/follow.out" "$SANDBOX/follow.err")"; fi
printf 'garbage\n' >>"$G"
if wait_for_text "$SANDBOX/follow.err" "skipped a malformed line"; then _ok "--follow: bad lines are reported"; else
    _fail "--follow: bad lines are reported"; fi
# rotation: the file is replaced
mv "$G" "$G.1"
printf '%s\n' '{"time":"2021-02-02T00:00:00.000Z","argv":["echo","rotated"],"rule":"r2","decision":"denied","by":"rule"}' >"$G.new"
mv "$G.new" "$G"
if wait_for_text "$SANDBOX/follow.out" "echo rotated"; then _ok "--follow: follows a rotated file"; else
    _fail "--follow: follows a rotated file" "$(cat "$SANDBOX/follow.out")"; fi
kill "$fpid" 2>/dev/null
wait "$fpid" 2>/dev/null

# --------------------------------------- the real log written by a guarded run
mkrepo "$SANDBOX/work/repo"
echo changed >"$SANDBOX/work/repo/file.txt"
guard bash -c "git -C '$SANDBOX/work/repo' reset -q --hard" </dev/null >/dev/null 2>&1
run_capture "$INTERLOCK_BIN" log
assert_contains "real log: the guarded refusal appears" "$OUT" "git-reset-hard"
assert_contains "real log: as denied (no terminal)" "$OUT" "denied    no-terminal"
run_capture "$INTERLOCK_BIN" log --json -n 1
assert_contains "real log --json: the raw record" "$OUT" '"rule":"git-reset-hard"'

finish
