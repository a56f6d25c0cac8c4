#!/usr/bin/env bash
# Audit shipping (issue 23): with `[audit] to = ... syslog journald` in
# interlock.conf, every record also reaches syslog and the journal, the
# message being the same JSON line as the file's, from each writer: the
# preload in a guarded process (a deny rule), the broker (a question no one
# could answer) and the wrapper (the command itself refused). The syslog
# and journal sockets are unix datagram sockets this test binds itself
# (syslog-socket, journald-socket), so no syslog daemon is needed.
. "$(dirname "$0")/lib.sh"

mkrepo "$SANDBOX/work/repo"
RULES="$SANDBOX/rules"
mkdir -p "$RULES"
cat >"$RULES/50-test.conf" <<'RULE'
[test-deny-marker]
on = exec
program = printf
words = ^deny-marker$
action = deny
why = test deny rule
match = printf deny-marker
RULE
# An agent's script: the preload refuses printf in process (a deny rule),
# the broker the rm -rf (it needs a human; there is no terminal).
cat >"$SANDBOX/agent.sh" <<SH
/usr/bin/printf deny-marker
rm -rf '$SANDBOX/work/repo'
echo after
SH
CONF="$XDG_CONFIG_HOME/interlock/interlock.conf"
mkdir -p "$(dirname "$CONF")"

# listen NAME: a datagram socket at $SANDBOX/NAME.sock; each datagram is one
# line of $SANDBOX/NAME.got (JSON-quoted: datagrams may hold newlines)
cat >"$SANDBOX/listen.py" <<'PY'
import json, os, socket, sys, time
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
open(out + ".ready", "w").close()
s.settimeout(0.2)
end = time.monotonic() + 120
while time.monotonic() < end and not os.path.exists(out + ".stop"):
    try:
        data = s.recv(200000)
    except socket.timeout:
        continue
    with open(out, "a") as f:
        f.write(json.dumps(data.decode("utf-8", "replace")) + "\n")
PY
listen() {
    rm -f "$SANDBOX/$1.sock" "$SANDBOX/$1.got" "$SANDBOX/$1.got.stop" "$SANDBOX/$1.got.ready"
    "$PYTHON" "$SANDBOX/listen.py" "$SANDBOX/$1.sock" "$SANDBOX/$1.got" &
    for _ in $(seq 100); do [ -e "$SANDBOX/$1.got.ready" ] && break; sleep 0.05; done
}
stop_listening() {
    local n
    for n in "$@"; do touch "$SANDBOX/$n.got.stop"; done
    wait
}
# got NAME: the datagrams received, one JSON string per line
got() { cat "$SANDBOX/$1.got" 2>/dev/null; }

cat >"$SANDBOX/same.py" <<'PY'
# same.py AUDIT SYSLOG JOURNAL: every file record arrived in both, whole
import json, sys
recs = [l.rstrip("\n") for l in open(sys.argv[1])]
sys_msgs = [json.loads(l) for l in open(sys.argv[2])]
jn = [json.loads(l) for l in open(sys.argv[3])]
bad = 0
for r in recs:
    s = [m for m in sys_msgs if m.endswith("]: " + r)]
    j = [m for m in jn if ("MESSAGE=" + r + "\n") in m]
    if len(s) != 1 or len(j) != 1:
        print("not shipped once each: %s (syslog %d, journal %d)" % (r[:200], len(s), len(j)))
        bad = 1
print("%d records" % len(recs))
sys.exit(bad)
PY

echo "# file + syslog + journald"
cat >"$CONF" <<CONF
# a fleet's configuration management writes this (or /etc/interlock/interlock.conf)
[audit]
to = file syslog, journald
facility = local3
tag = interlock-test
syslog-socket = $SANDBOX/syslog.sock
journald-socket = $SANDBOX/journal.sock
CONF
listen syslog
listen journal
GUARD_OPTS=(--rules "$RULES")
run_capture guard bash "$SANDBOX/agent.sh"
assert_contains "the deny rule refused printf" "$ERR" "test deny rule"
assert_exists "the repository is intact" "$SANDBOX/work/repo/.git/HEAD"
run_capture guard rm -rf "$SANDBOX/work/repo"
assert_eq "the command itself refused by the wrapper" 126 "$STATUS"
stop_listening syslog journal
assert_eq "three records in the file (preload, broker, wrapper)" 3 "$(audit_lines)"
run_capture "$PYTHON" "$SANDBOX/same.py" "$AUDIT_LOG" "$SANDBOX/syslog.got" "$SANDBOX/journal.got"
assert_status "each file record reached syslog and the journal, the same JSON line" 0
syslog=$(got syslog)
assert_contains "syslog: facility local3, severity warning for a denial (<156>)" "$syslog" '<156>'
assert_contains "syslog: the tag and a pid" "$syslog" ' interlock-test['
assert_contains "syslog: the preload's record (a deny rule, in the guarded process)" "$syslog" '\"rule\":\"test-deny-marker\"'
assert_contains "syslog: the broker's record (no terminal)" "$syslog" '\"by\":\"no-terminal\"'
journal=$(got journal)
assert_contains "journald: PRIORITY" "$journal" 'PRIORITY=4'
assert_contains "journald: the identifier" "$journal" 'SYSLOG_IDENTIFIER=interlock-test'
assert_contains "journald: a field to filter on" "$journal" 'INTERLOCK_RULE=test-deny-marker'
assert_contains "journald: the decision" "$journal" 'INTERLOCK_DECISION=denied'
run_capture "$PYTHON" -c '
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    json.loads(m.split("]: ", 1)[1])   # the message is a whole JSON record
' "$SANDBOX/syslog.got"
assert_status "every syslog message carries a whole JSON record" 0

echo "# syslog only: the file is left alone"
cat >"$CONF" <<CONF
[audit]
to = syslog   # no file
syslog-socket = $SANDBOX/syslog.sock
CONF
before=$(audit_lines)
listen syslog
run_capture guard /usr/bin/printf deny-marker
stop_listening syslog
assert_eq "to = syslog: nothing appended to the file" "$before" "$(audit_lines)"
assert_contains "to = syslog: the record went to syslog, facility user (<12>)" "$(got syslog)" '<12>'

echo "# no socket listening: decisions still go on"
cat >"$CONF" <<CONF
[audit]
to = file syslog
syslog-socket = $SANDBOX/nobody-listens.sock
CONF
before=$(audit_lines)
run_capture guard bash "$SANDBOX/agent.sh"
assert_contains "the refusals still happen and the session goes on" "$OUT" "after"
assert_exists "the repository is intact" "$SANDBOX/work/repo/.git/HEAD"
assert_eq "the file still gets its records" $((before + 2)) "$(audit_lines)"

echo "# the guarded tree cannot turn shipping off"
run_capture guard bash -c "echo '[audit]' > '$CONF'"
assert_contains "writing interlock.conf from the session is refused" "$ERR" "$BLOCKED_MARK"
assert_contains "the config is as it was" "$(cat "$CONF")" "nobody-listens.sock"

finish
