#!/usr/bin/env bash
# A DELETE written in a client's config instead of its command line: curl
# -K FILE, ~/.curlrc, -K - fed by a here-document (from a script file, where
# only the exec of curl is seen and its stdin is peeked at, and from a shell
# string), ~/.wgetrc and wget -e. Real curl and wget under `interlock run`
# against a local server that logs every request: the DELETE never reaches
# it, while a config that says GET (the near-miss) does. And the
# environment: TF_CLI_ARGS with -destroy for a terraform apply, set by a
# script the way an agent would, stopped before terraform runs.
. "$(dirname "$0")/lib.sh"

have_tool curl curl || finish
have_tool wget wget || finish
LOG=$SANDBOX/requests.log
PORTF=$SANDBOX/port
cat >"$SANDBOX/server.py" <<'EOF'
import http.server, sys, socketserver, threading
log = open(sys.argv[2], "a", buffering=1)
class H(http.server.BaseHTTPRequestHandler):
    def handle_any(self):
        log.write("%s %s\n" % (self.command, self.path))
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok\n")
    do_GET = do_POST = do_DELETE = do_PUT = handle_any
    def log_message(self, *a): pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
s = S(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
threading.Thread(target=s.serve_forever, daemon=True).start()
threading.Event().wait(300)
EOF
"$PYTHON" "$SANDBOX/server.py" "$PORTF" "$LOG" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; _cleanup' EXIT
for _ in $(seq 50); do [ -s "$PORTF" ] && break; sleep 0.1; done
URL=http://127.0.0.1:$(cat "$PORTF")
: >"$LOG"

# no_delete DESC: the server saw no DELETE since the last call
no_delete() {
    if grep -q '^DELETE' "$LOG"; then _fail "$1: a DELETE reached the server" "$(cat "$LOG")"; else _ok "$1: no DELETE reached the server"; fi
    : >"$LOG"
}
# saw METHOD PATH DESC
saw() {
    if grep -qx "$1 $2" "$LOG"; then _ok "$3: the server saw $1 $2"; else _fail "$3: expected $1 $2" "$(cat "$LOG")"; fi
    : >"$LOG"
}

cd "$SANDBOX/work" || exit 1
printf '# a config an agent wrote\nrequest = "DELETE"\nsilent\n' >del.cfg
printf -- '-X DELETE\n' >short.cfg
printf 'request = GET\nsilent\n' >get.cfg

# --- curl -K FILE
expect_blocked "curl -K with request = DELETE" guard curl -K del.cfg "$URL/items/7"
no_delete "curl -K del.cfg"
expect_blocked "curl --config= with -X DELETE" guard curl --config=short.cfg "$URL/items/8"
no_delete "curl --config=short.cfg"
expect_blocked "curl -sK FILE in a cluster, through bash -c" guard bash -c "curl -sK del.cfg '$URL/items/9'"
no_delete "bash -c curl -sK"
expect_ok "curl -K with request = GET (near-miss)" guard curl -K get.cfg "$URL/items/7"
saw GET /items/7 "curl -K get.cfg"

# --- ~/.curlrc, and -q that skips it
printf 'request = DELETE\n' >"$HOME/.curlrc"
expect_blocked "~/.curlrc with request = DELETE" guard curl -s "$URL/items/10"
no_delete "curl with ~/.curlrc"
expect_ok "curl -q does not read ~/.curlrc" guard curl -q -s "$URL/items/10"
saw GET /items/10 "curl -q"
rm -f "$HOME/.curlrc"

# --- -K - fed by a here-document: in a shell string (the string is read),
# and in a script file (only curl's exec is seen; its stdin is peeked at)
expect_blocked "bash -c: curl -K - <<EOF request = DELETE" guard bash -c "curl -s -K - '$URL/items/11' <<'EOF'
request = DELETE
EOF"
no_delete "bash -c heredoc"
cat >del.sh <<EOF
curl -s -K - '$URL/items/12' <<'END'
request = DELETE
END
EOF
expect_blocked "a script: curl -K - with a here-document" guard bash del.sh
no_delete "bash del.sh"
expect_blocked "a script: curl -K - from a file on stdin" guard sh -c "curl -s -K - '$URL/items/13' <del.cfg"
no_delete "curl -K - <del.cfg"
cat >get.sh <<EOF
curl -s -K - '$URL/items/14' <<'END'
request = GET
END
EOF
expect_ok "a script: curl -K - with a GET here-document (near-miss)" guard bash get.sh
saw GET /items/14 "bash get.sh"
expect_blocked "echo piped into curl -K -" guard sh -c "echo 'request = DELETE' | curl -s -K - '$URL/items/15'"
no_delete "echo | curl -K -"

# --- wget: ~/.wgetrc and -e
printf 'method = DELETE\n' >"$HOME/.wgetrc"
expect_blocked "~/.wgetrc with method = DELETE" guard wget -q -O- "$URL/items/20"
no_delete "wget with ~/.wgetrc"
rm -f "$HOME/.wgetrc"
expect_blocked "wget -e method=DELETE" guard wget -q -O- -e method=DELETE "$URL/items/21"
no_delete "wget -e"
expect_ok "wget -e robots=off (near-miss)" guard wget -q -O- -e robots=off "$URL/items/22"
saw GET /items/22 "wget -e robots=off"

# --- TF_CLI_ARGS: a terraform apply that would destroy, set through the
# environment by a script; a stand-in terraform records that it ran
mkdir -p "$SANDBOX/tfbin"
printf '#!/bin/sh\necho ran >"%s/tf.ran"\n' "$SANDBOX" >"$SANDBOX/tfbin/terraform"
chmod +x "$SANDBOX/tfbin/terraform"
printf 'export TF_CLI_ARGS_apply="-auto-approve -destroy"\nterraform apply\n' >apply.sh
expect_blocked "export TF_CLI_ARGS_apply=-destroy in a script, then terraform apply" \
    guard env PATH="$SANDBOX/tfbin:$PATH" bash apply.sh
assert_missing "terraform did not run" "$SANDBOX/tf.ran"
expect_blocked "TF_CLI_ARGS in python's environment for the exec" \
    guard env PATH="$SANDBOX/tfbin:$PATH" "$PYTHON" -c '
import os, subprocess, sys
sys.exit(subprocess.call(["terraform", "apply"], env=dict(os.environ, TF_CLI_ARGS="-destroy")))'
assert_missing "terraform did not run (python)" "$SANDBOX/tf.ran"
expect_ok "TF_CLI_ARGS without -destroy (near-miss)" guard env PATH="$SANDBOX/tfbin:$PATH" TF_CLI_ARGS=-no-color terraform apply
assert_exists "terraform ran" "$SANDBOX/tf.ran"

finish
