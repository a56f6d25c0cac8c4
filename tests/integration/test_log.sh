#!/usr/bin/env bash
# interlock log: the audit log as a table, filters, --json, --follow, bad
# lines named as FILE:LINE, skipped and counted, no terminal escapes from
# argv, colours only on a terminal and never with NO_COLOR; JSON escapes and
# the bytes the audit writer passes through read back as written.
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
assert_contains "log: a bad line is named FILE:LINE" "$ERR" "$F:2: skipped a malformed line: not valid JSON"
assert_contains "log: a truncated line is named FILE:LINE" "$ERR" "$F:6: skipped a malformed line: not valid JSON"
assert_eq "log: two bad lines, two messages and the count" "3" "$(printf '%s\n' "$ERR" | wc -l)"
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

# A --file that is not there is a mistake; the default audit log that is
# not there yet only means nothing was recorded.
run_capture "$INTERLOCK_BIN" log --file "$SANDBOX/none.jsonl"
assert_status "--file of a missing file: 125" 125
assert_contains "--file of a missing file: says which" "$ERR" "$SANDBOX/none.jsonl"
assert_eq "--file of a missing file: no table" "" "$OUT"
run_capture timeout 5 "$INTERLOCK_BIN" log --follow --file "$SANDBOX/none.jsonl"
assert_status "--follow --file of a missing file: 125, not a wait" 125
run_capture env XDG_STATE_HOME="$SANDBOX/fresh-state" "$INTERLOCK_BIN" log
assert_status "no audit log yet: exit 0" 0
assert_contains "no audit log yet: says so" "$ERR" "no decisions recorded yet"
assert_status "bad argument: 125" 125 "$INTERLOCK_BIN" log --bogus
assert_status "log --help" 0 "$INTERLOCK_BIN" log --help
# --decision takes the decisions the writers record, nothing else
for word in maybe logged deny Denied ''; do
    run_capture L --decision "$word"
    assert_status "--decision '$word': 125" 125
    assert_contains "--decision '$word': names the values" "$ERR" "allowed or denied"
done

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
if wait_for_text "$SANDBOX/follow.err" "$G:3: skipped a malformed line: not valid JSON"; then
    _ok "--follow: bad lines are reported as FILE:LINE"; else
    _fail "--follow: bad lines are reported as FILE:LINE" "$(cat "$SANDBOX/follow.err")"; fi
# rotation: the file is replaced
mv "$G" "$G.1"
printf '%s\n' '{"time":"2021-02-02T00:00:00.000Z","argv":["echo","rotated"],"rule":"r2","decision":"denied","by":"rule"}' >"$G.new"
mv "$G.new" "$G"
if wait_for_text "$SANDBOX/follow.out" "echo rotated"; then _ok "--follow: follows a rotated file"; else
    _fail "--follow: follows a rotated file" "$(cat "$SANDBOX/follow.out")"; fi
printf 'garbage after rotation\n' >>"$G"
if wait_for_text "$SANDBOX/follow.err" "$G:2: skipped a malformed line"; then
    _ok "--follow: lines are counted afresh in a rotated file"; else
    _fail "--follow: lines are counted afresh in a rotated file" "$(cat "$SANDBOX/follow.err")"; fi
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

# ------------------------------------------------- parsing: what is read back
# JSON escapes decode before the table quotes and cleans them; \xHH stays the
# text the writer made of a byte that is not UTF-8; \u0000 shows as '?'.
E="$SANDBOX/escapes.jsonl"
printf '%s\n' \
    '{"time":"2021-03-01T00:00:00.000Z","argv":["printf","q\"uo\\te","new\nline","caf\u00e9","x\\xffy","n\u0000ul"],"rule":"r\u00e9","decision":"denied","by":"rule"}' \
    '{"time":"2021-03-02T00:00:00.000Z","argv":["echo","\ud83d\ude00 \/ \t\b"],"rule":"other","action":"deny"}' >"$E"
run_capture "$INTERLOCK_BIN" log --file "$E"
assert_status "escapes: exit 0" 0
assert_eq "escapes: no complaints" "" "$ERR"
assert_contains "escapes: \\\" \\\\ \\n \\u00e9 \\xHH \\u0000 decoded, quoted and cleaned" "$OUT" \
    "2021-03-01 00:00:00  denied    rule              ré                     printf 'q\"uo\\te' 'new?line' 'café' 'x\\xffy' 'n?ul'"
assert_contains "escapes: a surrogate pair, \\/ and control escapes" "$OUT" \
    "deny      -                 other                   echo '$(printf '\360\237\230\200') / ??'"
run_capture "$INTERLOCK_BIN" log --file "$E" --rule "ré"
assert_eq "escapes: --rule compares the decoded id" "2" "$(printf '%s\n' "$OUT" | wc -l)"
run_capture "$INTERLOCK_BIN" log --file "$E" --json -n 0
assert_eq "escapes: --json prints the lines byte for byte" "$(cat "$E")" "$OUT"

# Bytes the audit writer lets through undecoded (its UTF-8 check accepts an
# encoded surrogate): the record is still shown, never dropped as malformed.
printf '{"time":"2021-03-03T00:00:00.000Z","argv":["rm","\355\240\200"],"rule":"odd-bytes","decision":"denied","by":"rule"}\n' \
    >"$SANDBOX/raw.jsonl"
run_capture "$INTERLOCK_BIN" log --file "$SANDBOX/raw.jsonl"
assert_contains "raw bytes the writer passes through: the record is shown" "$OUT" "odd-bytes"
assert_eq "raw bytes the writer passes through: no complaints" "" "$ERR"

# A malformed line between good ones: named FILE:LINE with why, the others
# still print (table and --json), the count closes, exit 0.
M="$SANDBOX/middle.jsonl"
{
    sed -n 1p "$F"
    printf '%s\n' '{"time":"2021-01-01T11:00:00.000Z","rule":"broken","decision":"denied"' # no closing brace
    sed -n 3p "$F"
    printf '%s\n' '{"time":"2021-01-01T12:00:00.000Z","rule":"late","decision":"denied"} trailing'
    sed -n 5p "$F"
} >"$M"
run_capture "$INTERLOCK_BIN" log --file "$M"
assert_status "malformed in the middle: exit 0" 0
assert_contains "malformed in the middle: record before it" "$OUT" "git-reset-hard"
assert_contains "malformed in the middle: record after it" "$OUT" "rm -rf '/w/a b'"
assert_contains "malformed in the middle: last record" "$OUT" "busybox"
assert_not_contains "malformed in the middle: no half record" "$OUT" "broken"
assert_not_contains "malformed in the middle: text after the object refuses the line" "$OUT" "late"
assert_eq "malformed in the middle: header + 3 records" "4" "$(printf '%s\n' "$OUT" | wc -l)"
assert_contains "malformed in the middle: FILE:LINE of the truncated line" "$ERR" \
    "$M:2: skipped a malformed line: not valid JSON: "
assert_contains "malformed in the middle: FILE:LINE and column of the trailing text" "$ERR" \
    "$M:4: skipped a malformed line: not valid JSON: unexpected character at column 71"
assert_contains "malformed in the middle: the count" "$ERR" "interlock log: skipped 2 malformed lines in $M"
run_capture "$INTERLOCK_BIN" log --file "$M" --json -n 0
assert_eq "malformed in the middle --json: the three good lines" "$(sed -n '1p;3p;5p' "$M")" "$OUT"

# Lines that are JSON but not a decision record, each with its reason.
N="$SANDBOX/notobj.jsonl"
printf '%s\n' '[1,2]' '"a string"' '42' 'null' '{}' '{"rule":"x"}' \
    '{"decision":"denied","argv":"rm -rf /"}' '{"decision":"denied","argv":["rm",1]}' \
    '{"decision":"denied","rule":5}' "$(sed -n 1p "$F")" >"$N"
run_capture "$INTERLOCK_BIN" log --file "$N"
assert_status "not records: exit 0" 0
for i in 1 2 3 4; do
    assert_contains "not records: line $i is not an object" "$ERR" "$N:$i: skipped a malformed line: not a JSON object"
done
assert_contains "not records: {} says what is missing" "$ERR" "$N:5: skipped a malformed line: no \"decision\" or \"action\""
assert_contains "not records: no decision" "$ERR" "$N:6: skipped a malformed line: no \"decision\" or \"action\""
assert_contains "not records: argv a string" "$ERR" "$N:7: skipped a malformed line: \"argv\" is not an array of strings"
assert_contains "not records: argv with a number" "$ERR" "$N:8: skipped a malformed line: \"argv\" is not an array of strings"
assert_contains "not records: rule a number" "$ERR" "$N:9: skipped a malformed line: \"rule\" is not a string or null"
assert_contains "not records: the one good line prints" "$OUT" "git-reset-hard"
assert_contains "not records: more than 10: the first 10 are named, all are counted" "$ERR" \
    "skipped 9 malformed lines in $N"
printf '%s\n' 'x' 'x' 'x' >>"$N"
run_capture "$INTERLOCK_BIN" log --file "$N"
assert_contains "more than 10 bad lines: the count says only the first 10 are named" "$ERR" \
    "skipped 12 malformed lines in $N (the first 10 are listed above)"
assert_contains "more than 10 bad lines: the 10th bad line is named" "$ERR" "$N:11: skipped"
assert_not_contains "more than 10 bad lines: the 11th is not" "$ERR" "$N:12: skipped"

# A raw control character: not JSON, and --json (which prints lines as they
# are) must not pass it to the terminal.
printf '{"time":"2021-03-04T00:00:00.000Z","argv":["a\033[2Jb"],"rule":"esc","decision":"denied","by":"rule"}\n' >"$SANDBOX/ctl.jsonl"
run_capture "$INTERLOCK_BIN" log --file "$SANDBOX/ctl.jsonl" --json
assert_not_contains "raw control character: --json does not print it" "$OUT" $'\033'
assert_contains "raw control character: named with its column" "$ERR" \
    "$SANDBOX/ctl.jsonl:1: skipped a malformed line: not valid JSON: control character 0x1b at column 46"

# An empty log and a log of blank lines: the header, nothing else, no error.
: >"$SANDBOX/empty.jsonl"
run_capture "$INTERLOCK_BIN" log --file "$SANDBOX/empty.jsonl"
assert_status "empty log: exit 0" 0
assert_eq "empty log: the header only" "1" "$(printf '%s\n' "$OUT" | wc -l)"
assert_contains "empty log: the header" "$OUT" "TIME"
assert_eq "empty log: nothing on stderr" "" "$ERR"
run_capture "$INTERLOCK_BIN" log --file "$SANDBOX/empty.jsonl" --json
assert_eq "empty log --json: no output" "" "$OUT"
printf '\n  \n\r\n' >"$SANDBOX/blank.jsonl"
run_capture "$INTERLOCK_BIN" log --file "$SANDBOX/blank.jsonl"
assert_eq "blank lines: the header only" "1" "$(printf '%s\n' "$OUT" | wc -l)"
assert_eq "blank lines: not malformed" "" "$ERR"

# Round trip through the real writer: a guarded process with odd arguments
# (quote, backslash, newline, é, a byte that is not UTF-8) is refused, and
# the log shows them as the writer recorded them.
mkrepo "$SANDBOX/work/odd"
guard "$PYTHON" -c '
import os, shutil, sys
try:
    os.execv(shutil.which("rm"), [b"rm", b"-rf", os.fsencode(sys.argv[1]), b"q\"uo\\te", b"new\nline",
                                  "caf\u00e9".encode(), b"x\xffy"])
except PermissionError:
    sys.exit(126)' "$SANDBOX/work/odd" </dev/null >/dev/null 2>&1
assert_exists "real odd argv: the repository survives" "$SANDBOX/work/odd/.git/HEAD"
run_capture "$INTERLOCK_BIN" log -n 1
assert_contains "real odd argv: the arguments read back" "$OUT" \
    "rm -rf $SANDBOX/work/odd 'q\"uo\\te' 'new?line' 'café' 'x\\xffy'"
assert_eq "real odd argv: no malformed lines" "" "$ERR"

finish
