#!/usr/bin/env bash
# A statically linked client that connects to a protected loopback address:
# the preload never sees it, the supervisor must. The protected server sees
# nothing; another address works; a host rule matches through the session's
# pinned names (INTERLOCK_HOSTS) and profiles. A client that swaps the
# address from a second thread cannot slip past the check.
. "$(dirname "$0")/lib.sh"

LOG=$SANDBOX/connections.log
PORTF=$SANDBOX/port
cat >"$SANDBOX/server.py" <<'EOF'
import socket, sys, threading
log = open(sys.argv[2], "a", buffering=1)
socks = []
port = 0
for addr in ("127.0.0.7", "127.0.0.8"):
    s = socket.socket()
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
threading.Event().wait(120)
EOF
"$PYTHON" "$SANDBOX/server.py" "$PORTF" "$LOG" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; _cleanup' EXIT
for _ in $(seq 50); do [ -s "$PORTF" ] && break; sleep 0.1; done
PORT=$(cat "$PORTF")
seen() { grep -c "^$1 " "$LOG" 2>/dev/null || true; }

cat >>"$RULES_DIR/50-seccomp-test.conf" <<EOF

[test-protected-address]
on = connect
address = 127.0.0.7
port = $PORT
action = deny
why = test rule: the protected service
match = connect 127.0.0.7:$PORT

[test-prod-host]
on = connect
profile = staging
host = *.prod.example.com
action = deny
why = test rule: production from staging
match = connect db.prod.example.com:5432
EOF
printf '127.0.0.8 db.prod.example.com\n' >"$SANDBOX/hosts"

run_capture guard rawconnect 127.0.0.7 "$PORT"
assert_eq "static connect to the protected address: refused with EACCES" "13" "$STATUS"
assert_contains "the static client is told why" "$ERR" "test-protected-address"
sleep 0.3
assert_eq "the protected server saw nothing" "0" "$(seen 127.0.0.7)"
run_capture guard rawconnect 127.0.0.8 "$PORT"
assert_eq "static connect to another address works" "0" "$STATUS"
sleep 0.3
assert_eq "the other server got the line" "1" "$(seen 127.0.0.8)"

# TCP Fast Open connects inside sendto/sendmsg: judged like connect.
for how in sendto sendmsg; do
    run_capture guard rawconnect 127.0.0.7 "$PORT" "$how"
    assert_eq "static Fast Open $how to the protected address: refused" "13" "$STATUS"
    run_capture guard rawconnect 127.0.0.8 "$PORT" "$how"
    assert_eq "static Fast Open $how to another address works" "0" "$STATUS"
done
sleep 0.3
assert_eq "Fast Open: the protected server still saw nothing" "0" "$(seen 127.0.0.7)"
assert_eq "Fast Open: the other server got both lines" "3" "$(seen 127.0.0.8)"

# The time-of-check race: a second thread swaps the address between the
# allowed and the protected one while the first connects. The supervisor
# connects with the copy it judged, so no swap reaches the protected server
# (answered with "continue", about one connect in ten did, measured here).
run_capture guard swapconnect 127.0.0.8 127.0.0.7 "$PORT" 300
assert_eq "swapping client: runs to the end" "0" "$STATUS"
sleep 0.3
assert_eq "swapping client: the protected server saw nothing" "0" "$(grep -c '^127.0.0.7 swap' "$LOG" || true)"
assert_eq "swapping client: its allowed connects got through" "$OUT" "$(grep -c '^127.0.0.8 swap' "$LOG" || true)"
if [ "${OUT:-0}" -gt 0 ]; then _ok "swapping client: some connects succeeded ($OUT)"; else _fail "swapping client: no connect succeeded"; fi

export INTERLOCK_HOSTS=$SANDBOX/hosts
GUARD_OPTS=(--profile staging)
run_capture guard rawconnect 127.0.0.8 "$PORT"
assert_status "staging: a pinned production name is refused for a static client" 13
GUARD_OPTS=()
run_capture guard rawconnect 127.0.0.8 "$PORT"
assert_eq "no profile: the same connect works" "0" "$STATUS"

finish
