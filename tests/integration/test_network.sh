#!/usr/bin/env bash
# Network: connect and resolver hooks against real servers on loopback
# addresses, with production-like names given by a hosts file the session
# pins (INTERLOCK_HOSTS) instead of /etc/hosts. curl, python3 urllib and
# socket, and a raw connect are stopped for a protected host and pass for
# others; curl DELETE and a GraphQL volumeDelete never reach the server
# while a GraphQL query does; switching the profile changes what is
# reachable.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || { echo "SKIP: curl missing"; exit 77; }
LOG=$SANDBOX/requests.log
PORTF=$SANDBOX/port
cat >"$SANDBOX/server.py" <<'EOF'
import http.server, sys, socketserver
log = open(sys.argv[2], "a", buffering=1)
class H(http.server.BaseHTTPRequestHandler):
    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode(errors="replace") if n else ""
        log.write("%s %s %s %s\n" % (self.server.server_address[0], self.command, self.path, body.replace("\n", " ")))
        self.send_response(200); self.end_headers(); self.wfile.write(b'{"data":{}}')
    do_GET = do_POST = do_DELETE = do_PUT = handle_any
    def log_message(self, *a): pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
srvs = [S((a, 0), H) for a in ("127.0.0.7", "127.0.0.8")]
assert srvs[0].server_address[1]
# the same port on both addresses keeps the test simple
port = srvs[0].server_address[1]
srvs[1].server_close(); srvs[1] = S(("127.0.0.8", port), H)
open(sys.argv[1], "w").write(str(port))
import threading
for s in srvs: threading.Thread(target=s.serve_forever, daemon=True).start()
threading.Event().wait(120)
EOF
"$PYTHON" "$SANDBOX/server.py" "$PORTF" "$LOG" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; _cleanup' EXIT
for _ in $(seq 50); do [ -s "$PORTF" ] && break; sleep 0.1; done
PORT=$(cat "$PORTF")

cat >"$SANDBOX/hosts" <<EOF
127.0.0.7 db.prod.example.com backboard.railway.app
127.0.0.8 api.staging.example.com
EOF
export INTERLOCK_HOSTS=$SANDBOX/hosts
mkdir -p "$SANDBOX/rules"
cat >"$SANDBOX/rules/95-test-net.conf" <<EOF
[test-protected-port]
on = connect
address = 127.0.0.7
port = $PORT
action = deny
why = the test's protected service
match = connect 127.0.0.7:$PORT
no-match = connect 127.0.0.8:$PORT
EOF
GUARD_OPTS=(--rules "$SANDBOX/rules")
served() { grep -c "$1" "$LOG" 2>/dev/null || true; }

# --- by address (any profile)
before=$(served 127.0.0.7)
expect_blocked "curl to the protected address" guard curl -s -m 5 "http://127.0.0.7:$PORT/x"
expect_blocked "python urllib to the protected address" guard "$PYTHON" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.7:$PORT/x', timeout=5)"
expect_blocked "python raw socket connect" guard "$PYTHON" -c "import socket; socket.create_connection(('127.0.0.7', $PORT), timeout=5)"
assert_contains "raw connect fails with EACCES" "$ERR" "Permission denied"
assert_eq "the protected server saw nothing" "$before" "$(served 127.0.0.7)"
expect_ok "curl to another address" guard curl -s -m 5 "http://127.0.0.8:$PORT/ok"
expect_ok "python to another address" guard "$PYTHON" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.8:$PORT/ok2', timeout=5)"
assert_eq "the other server was reached" "2" "$(served 127.0.0.8)"

# --- by name, through the resolver, in the staging profile
GUARD_OPTS=(--profile staging)
before=$(served 127.0.0.7)
expect_blocked "staging: curl to db.prod.example.com" guard curl -s -m 5 "http://db.prod.example.com:$PORT/"
expect_blocked "staging: python to db.prod.example.com" guard "$PYTHON" -c "import urllib.request; urllib.request.urlopen('http://db.prod.example.com:$PORT/', timeout=5)"
assert_contains "message names the profile's rule" "$ERR" "staging-no-production-hosts"
expect_ok "staging: staging host reachable" guard curl -s -m 5 "http://api.staging.example.com:$PORT/s"
assert_eq "production server saw nothing in staging" "$before" "$(served 127.0.0.7)"
GUARD_OPTS=()
expect_ok "no profile: the same host is reachable" guard curl -s -m 5 "http://db.prod.example.com:$PORT/noprofile"
assert_eq "reached without the profile" "$((before + 1))" "$(served 127.0.0.7)"
GUARD_OPTS=(--profile offline)
expect_blocked "offline profile: Railway's API host" guard curl -s -m 5 "http://backboard.railway.app:$PORT/graphql/v2"
GUARD_OPTS=()

# --- API-level destruction by command line
before=$(served DELETE)
expect_blocked "curl -X DELETE" guard curl -s -m 5 -X DELETE "http://127.0.0.8:$PORT/volumes/1"
expect_blocked "curl --request=DELETE" guard curl -s -m 5 --request=DELETE "http://127.0.0.8:$PORT/volumes/1"
assert_eq "no DELETE reached the server" "$before" "$(served DELETE)"
before=$(served volumeDelete)
expect_blocked "GraphQL volumeDelete" guard curl -s -m 5 -H 'Content-Type: application/json' \
    -d '{"query":"mutation { volumeDelete(volumeId: \"vol-123\") }"}' "http://127.0.0.8:$PORT/graphql/v2"
assert_eq "the mutation never reached the server" "$before" "$(served volumeDelete)"
expect_ok "GraphQL query passes" guard curl -s -m 5 -H 'Content-Type: application/json' \
    -d '{"query":"query { me { projects { edges { node { id } } } } }"}' "http://127.0.0.8:$PORT/graphql/v2"
assert_eq "the query reached the server" "1" "$(served 'query { me')"

# --- the same body written to a file first (the mutation is read from it)
mkdir -p "$SANDBOX/work/api"
printf '%s' '{"query":"mutation {\n  volumeDelete(volumeId: \"vol-456\")\n}"}' >"$SANDBOX/work/api/delete.json"
printf '%s' '{"query":"query { volumes { id name } }"}' >"$SANDBOX/work/api/list.json"
cd "$SANDBOX/work/api" || exit 1
before=$(served vol-456)
expect_blocked "curl -d @delete.json" guard curl -s -m 5 -d @delete.json "http://127.0.0.8:$PORT/graphql/v2"
expect_blocked "curl -sd@delete.json" guard curl -m 5 -sd@delete.json "http://127.0.0.8:$PORT/graphql/v2"
expect_blocked "curl --data-binary @ by absolute path" guard curl -s -m 5 \
    --data-binary "@$SANDBOX/work/api/delete.json" "http://127.0.0.8:$PORT/graphql/v2"
expect_blocked "curl --json=@delete.json" guard curl -s -m 5 --json=@delete.json "http://127.0.0.8:$PORT/graphql/v2"
expect_blocked "wget --post-file=delete.json" guard wget -q -T 5 -O /dev/null --post-file=delete.json \
    "http://127.0.0.8:$PORT/graphql/v2"
expect_blocked "bash -c curl from another directory" guard bash -c \
    "cd /; curl -s -m 5 -d @'$SANDBOX/work/api/delete.json' http://127.0.0.8:$PORT/graphql/v2"
expect_blocked "python subprocess curl -d @file" guard "$PYTHON" -c \
    "import subprocess, sys; sys.exit(subprocess.run(['curl', '-s', '-m', '5', '-d', '@delete.json', 'http://127.0.0.8:$PORT/graphql/v2']).returncode)"
assert_eq "no mutation from a file reached the server" "$before" "$(served vol-456)"
expect_ok "curl -d @list.json (a query) passes" guard curl -s -m 5 -d @list.json "http://127.0.0.8:$PORT/graphql/v2"
assert_eq "the query from a file reached the server" "1" "$(served 'volumes { id name }')"
check_json curl -d @delete.json https://api.example.com/graphql
assert_eq "check: a body file is read relative to the working directory" "confirm" "$CHECK_ACTION"
check_json gh api graphql --input delete.json
assert_eq "check: gh api --input FILE" "confirm" "$CHECK_ACTION"
check_json wget --body-file delete.json --method=POST https://api.example.com/graphql
assert_eq "check: wget --body-file FILE" "confirm" "$CHECK_ACTION"
check_json curl -d @no-such-file.json https://api.example.com/graphql
assert_eq "check: a body file that is not there is judged as written" "allow" "$CHECK_ACTION"
cd "$SANDBOX" || exit 1

# --- check reports the verdicts
check_json curl -X DELETE https://api.example.com/v1/volumes/1
assert_eq "check: curl DELETE" "confirm" "$CHECK_ACTION"
CHECK_OPTS=(--profile staging --connect)
check_json db.prod.example.com:5432
assert_eq "check: staging connect to prod" "deny" "$CHECK_ACTION"
CHECK_OPTS=(--connect)
check_json db.prod.example.com:5432
assert_eq "check: the same connect without a profile" "allow" "$CHECK_ACTION"

finish
