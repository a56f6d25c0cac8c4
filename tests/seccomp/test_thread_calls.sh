#!/usr/bin/env bash
# Calls made from a thread that is not the process's first: a notification
# names the thread (its TID). Everything the supervisor does with it must
# still work: take the thread's socket to make an allowed connect
# (pidfd_open), write the refusal to its stderr when that is a regular file
# (pidfd_getfd), read its memory and cwd, and key the audit record, the
# approvals and the one-record-per-process logging by the process, not the
# thread. inthread.c makes each call from a second thread; it is static, so
# only the supervisor sees it. Every run's stderr is a regular file here.
. "$(dirname "$0")/lib.sh"

PORTF=$SANDBOX/port
LOG=$SANDBOX/connections.log
cat >"$SANDBOX/server.py" <<'EOF'
import socket, sys, threading
log = open(sys.argv[2], "a", buffering=1)
socks, port = [], 0
for fam, addr in ((socket.AF_INET, "127.0.0.7"), (socket.AF_INET, "127.0.0.8"), (socket.AF_INET6, "::1")):
    s = socket.socket(fam)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    port = s.getsockname()[1]
    s.listen(16)
    socks.append(s)
open(sys.argv[1], "w").write(str(port))
def serve(s):
    while True:
        c, _ = s.accept()
        log.write("%s %s\n" % (s.getsockname()[0], c.recv(100).decode(errors="replace").strip()))
        c.close()
for s in socks:
    threading.Thread(target=serve, args=(s,), daemon=True).start()
threading.Event().wait(300)
EOF
"$PYTHON" "$SANDBOX/server.py" "$PORTF" "$LOG" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; _cleanup' EXIT
for _ in $(seq 50); do [ -s "$PORTF" ] && break; sleep 0.1; done
PORT=$(cat "$PORTF")
seen() { grep -c "^$1 hello from a thread" "$LOG" 2>/dev/null || true; }

SECRET=thread-$RANDOM-key
mkdir -p "$HOME/.ssh"
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n' "$SECRET" >"$HOME/.ssh/id_ed25519"
echo "plain text" >"$SANDBOX/work/notes.txt"
cat >>"$RULES_DIR/50-seccomp-test.conf" <<EOF

[test-protected-address]
on = connect
address = 127.0.0.7
port = $PORT
action = deny
why = test rule: the protected service
match = connect 127.0.0.7:$PORT

[test-watched-address]
on = connect
address = 127.0.0.8
port = $PORT
action = log
why = test rule: connects here are recorded
match = connect 127.0.0.8:$PORT

[test-ssh-key]
on = open
access = read
name = id_*
path = (^|/)\.ssh/(?!.*\.pub\$)[^/]+\$
action = confirm
why = test rule: an SSH private key
match = read ~/.ssh/id_ed25519
EOF

pid_records() { # how many audit records name pid $1 for rule $2
    "$PYTHON" - "$AUDIT_LOG" "$1" "$2" <<'EOF'
import json, sys
n = 0
try:
    for line in open(sys.argv[1]):
        r = json.loads(line)
        n += r.get("pid") == int(sys.argv[2]) and r.get("rule") == sys.argv[3]
except FileNotFoundError:
    pass
print(n)
EOF
}

for mode in default strict; do
    GUARD_OPTS=()
    [ $mode = strict ] && GUARD_OPTS=(--strict)
    run_capture guard inthread connect 127.0.0.8 "$PORT"
    assert_eq "$mode: an allowed connect from a thread works" "0" "$STATUS"
    run_capture guard inthread connect ::1 "$PORT"
    assert_eq "$mode: an allowed IPv6 connect from a thread works" "0" "$STATUS"
    run_capture guard inthread connect 127.0.0.7 "$PORT"
    assert_eq "$mode: a refused connect from a thread: EACCES" "13" "$STATUS"
    assert_contains "$mode: ... and the thread's process is told why (stderr is a file)" "$ERR" \
        "interlock: blocked: connect to 127.0.0.7"
    assert_contains "$mode: ... naming the rule" "$ERR" "(rule test-protected-address)"

    V="$SANDBOX/work/victim-$mode"
    victim "$V"
    run_capture guard inthread exec /bin/rm -r "$V"
    assert_eq "$mode: rm -r exec'd from a thread: refused" "13" "$STATUS"
    assert_contains "$mode: ... with the reason" "$ERR" "(rule test-rm-r)"
    assert_exists "$mode: ... and the directory is still there" "$V/data"
    run_capture guard inthread exec /bin/echo from a thread
    assert_eq "$mode: an allowed exec from a thread runs" "from a thread" "$OUT"
done
sleep 0.3
assert_eq "the allowed connects reached the server" "2" "$(seen 127.0.0.8)"
assert_eq "the allowed IPv6 connects reached the server" "2" "$(seen ::1)"
assert_eq "the protected server saw nothing" "0" "$(seen 127.0.0.7)"

# The audit record names the process, not the thread: a static program's
# refused exec from its second thread, and a logged connect.
cat >"$SANDBOX/pidof_thread.sh" <<EOF
echo \$\$ >"$SANDBOX/the-pid"
exec inthread connect 127.0.0.8 $PORT
EOF
GUARD_OPTS=()
run_capture guard sh "$SANDBOX/pidof_thread.sh"
assert_eq "a logged connect from a thread works" "0" "$STATUS"
assert_eq "its audit record names the process" "1" "$(pid_records "$(cat "$SANDBOX/the-pid")" test-watched-address)"

GUARD_OPTS=(--strict)
run_capture guard inthread read "$HOME/.ssh/id_ed25519"
assert_eq "--strict: a key read from a thread: refused" "13" "$STATUS"
assert_not_contains "--strict: ... not printed" "$OUT" "$SECRET"
assert_contains "--strict: ... the reason" "$ERR" "(rule test-ssh-key)"
run_capture guard inthread read "$SANDBOX/work/notes.txt"
assert_eq "--strict: an ordinary read from a thread works" "plain text" "$OUT"

finish
