#!/usr/bin/env bash
# An agent's own network under the default `interlock run` (supervisor on,
# the shipped rules): every client an agent is made of connects from worker
# threads and resolves names on them. Each one here reaches a package host
# named pkg.interlock.test, answered by a real DNS server (dnsmasq) on
# loopback, in a private network and mount namespace with its own
# resolv.conf:
#   python threads (TCP and connected UDP; IPv4, IPv6, the name), glibc's
#   resolver over UDP and over TCP (options use-vc), a static Go client
#   making 50 requests at once (Go's own resolver and threads: only the
#   supervisor sees it), node fetch (libuv's thread pool), curl (its
#   resolver thread), and `npm install left-pad` from the host's registry;
#   the same under --strict.
# Then with rules that refuse the host: every one is refused, the host sees
# nothing, and each program is told why on its stderr (the audit log too).
if [ -z "${NETLAB_INSIDE:-}" ]; then
    # the namespaces need root (a user namespace would make the supervisor
    # root of nothing it has to read); the skip says so
    if [ "$(id -u)" != 0 ] || ! unshare --mount --net true 2>/dev/null; then
        echo "$(basename "$0" .sh): SKIP: needs root for a private network namespace"
        exit 77
    fi
    NETLAB_INSIDE=1 exec unshare --mount --net --fork -- bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
LAB="$INTERLOCK_SRC/tests/seccomp/netlab"
# the shipped rules, as a new user runs them (their connect rules make the
# supervisor trap every connect)
export INTERLOCK_RULES_PATH="$INTERLOCK_SRC/rules.d"
HOSTNAME_=pkg.interlock.test

have_tool dnsmasq dnsmasq-base || finish
have_tool ip iproute2 || finish

# ---------------------------------------------------------------- the lab
ip link set lo up || { _fail "bring up loopback in the namespace"; finish; }
RESOLV="$SANDBOX/resolv.conf"
printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:2\n' >"$RESOLV"
mount --bind "$RESOLV" /etc/resolv.conf || { _fail "bind-mount a private resolv.conf"; finish; }
# no /etc/hosts entry may answer for the name: the DNS server must
grep -q "$HOSTNAME_" /etc/hosts && { _fail "/etc/hosts must not name $HOSTNAME_"; finish; }
dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --no-poll --bind-interfaces \
    --listen-address=127.0.0.1 --port=53 --user=root --pid-file="$SANDBOX/dnsmasq.pid" \
    --address="/$HOSTNAME_/127.0.0.1" --address="/$HOSTNAME_/::1" --log-queries \
    --log-facility="$SANDBOX/dnsmasq.log" &
DNS=$!
LOG="$SANDBOX/requests.log"
"$PYTHON" "$LAB/server.py" "$SANDBOX/port" "$HOSTNAME_" "$LOG" &
SERVER=$!
trap 'kill $DNS $SERVER 2>/dev/null; _cleanup' EXIT
for _ in $(seq 100); do [ -s "$SANDBOX/port" ] && break; sleep 0.1; done
PORT=$(cat "$SANDBOX/port")
URL="http://$HOSTNAME_:$PORT/"
for _ in $(seq 50); do getent ahosts "$HOSTNAME_" >/dev/null && break; sleep 0.1; done
assert_contains "the lab: dnsmasq answers for the host" "$(getent ahosts "$HOSTNAME_")" "127.0.0.1"
requests() { wc -l <"$LOG" | tr -d ' '; }
queries() { grep -c "query.*$HOSTNAME_" "$SANDBOX/dnsmasq.log" || true; }

# ---------------------------------------------------------------- clients
GOBIN_="$SANDBOX/bin/goclient"
have_go=0
if have_tool go golang-go; then
    # static: no preload ever enters it, only the supervisor sees it
    if (cd "$LAB" && GOCACHE="$SANDBOX/gocache" GOPATH="$SANDBOX/gopath" GOFLAGS=-mod=mod GO111MODULE=off \
        CGO_ENABLED=0 go build -o "$GOBIN_" goclient.go) 2>"$SANDBOX/go.err"; then
        have_go=1
    else
        _fail "build the Go client" "$(head -c 600 "$SANDBOX/go.err")"
    fi
fi
have_node=0
have_tool node nodejs && have_tool npm npm && have_node=1
have_tool curl curl

cat >"$SANDBOX/fetch.js" <<'EOF'
// ten fetches at once: the name through libuv's thread pool (getaddrinfo)
const url = process.argv[2];
Promise.all(Array.from({ length: 10 }, () => fetch(url).then((r) => r.text())))
  .then((b) => { console.log("fetched " + b.length); })
  .catch((e) => { console.log("fetch failed: " + (e.cause ? e.cause.code || e.cause : e)); process.exit(1); });
EOF
mkdir -p "$SANDBOX/proj"
echo '{"name":"proj","version":"1.0.0","private":true}' >"$SANDBOX/proj/package.json"
npm_runs=0
npm_install() { # a cache of its own each time: npm falls back to its cache when the host is refused
    npm_runs=$((npm_runs + 1))
    (cd "$SANDBOX/proj" && rm -rf node_modules package-lock.json &&
        guard npm install --registry "$URL" --no-audit --no-fund --no-update-notifier --prefer-online \
            --fetch-retries=0 --fetch-timeout=15000 --cache "$SANDBOX/npm-cache-$npm_runs" left-pad)
}

# python, both resolver transports, both families and the name
run_all_clients() { # $1: label (run options in GUARD_OPTS)
    local l=$1 before
    before=$(queries)
    run_capture guard "$PYTHON" "$LAB/pyclient.py" "$URL"
    assert_eq "$l: python threads by name (TCP and UDP)" "tcp 8/8 udp 8/8 " "$OUT"
    if [ "$(queries)" -gt "$before" ]; then _ok "$l: the name went through the DNS server"; else
        _fail "$l: the name went through the DNS server"; fi
    run_capture guard "$PYTHON" "$LAB/pyclient.py" "http://127.0.0.1:$PORT/"
    assert_eq "$l: python threads to an IPv4 address" "tcp 8/8 udp 8/8 " "$OUT"
    run_capture guard "$PYTHON" "$LAB/pyclient.py" "http://[::1]:$PORT/"
    assert_eq "$l: python threads to an IPv6 address" "tcp 8/8 udp 8/8 " "$OUT"
    printf 'nameserver 127.0.0.1\noptions use-vc timeout:2 attempts:2\n' >"$RESOLV"
    run_capture guard "$PYTHON" "$LAB/pyclient.py" "$URL"
    assert_eq "$l: python threads, the resolver over TCP (use-vc)" "tcp 8/8 udp 8/8 " "$OUT"
    printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:2\n' >"$RESOLV"
    if [ "$have_go" = 1 ]; then
        run_capture guard "$GOBIN_" "$URL"
        assert_eq "$l: a static Go client, 50 requests at once" "50/50 " "$OUT"
    fi
    if [ "$have_node" = 1 ]; then
        run_capture guard node "$SANDBOX/fetch.js" "$URL"
        assert_eq "$l: node fetch (libuv's threads)" "fetched 10" "$OUT"
    fi
    if command -v curl >/dev/null; then
        run_capture guard curl -sS --max-time 20 "$URL"
        assert_eq "$l: curl by name (its resolver thread)" "ok" "$OUT"
    fi
    if [ "$have_node" = 1 ]; then
        run_capture npm_install
        assert_eq "$l: npm install left-pad from the host" "0" "$STATUS"
        assert_exists "$l: left-pad is installed" "$SANDBOX/proj/node_modules/left-pad/index.js"
    fi
}

GUARD_OPTS=()
run_all_clients "default run"
GUARD_OPTS=(--strict)
run_all_clients "--strict"
assert_eq "nothing was refused or logged on the way" "0" "$(audit_lines)"

# ---------------------------------------------------------------- refused
# By name for the programs whose resolver the preload sees; a static Go
# program's own resolver is seen by nobody, so its rule names the address
# (docs/seccomp.md, "connect").
mkdir -p "$SANDBOX/deny"
cat >"$SANDBOX/deny/50-deny-host.conf" <<EOF
[test-package-host]
on = connect
host = $HOSTNAME_
action = deny
why = test rule: the package host is off limits
match = connect $HOSTNAME_:443

[test-package-address]
on = connect
address = 127.0.0.1, ::1
port = $PORT
action = deny
why = test rule: the package host's address is off limits
match = connect 127.0.0.1:$PORT
EOF
refused() { # $1: label; the last run must have failed, told why, reached nothing
    local l=$1 seen=$2
    if [ "$STATUS" -ne 0 ]; then _ok "$l: refused (status $STATUS)"; else _fail "$l: refused" && _last_run; fi
    assert_contains "$l: told why on its stderr" "$ERR" "interlock: blocked: connect to"
    assert_contains "$l: the message names the rule" "$ERR" "(rule test-package-"
    assert_eq "$l: the host saw nothing" "$seen" "$(requests)"
}
for mode in default strict; do
    GUARD_OPTS=(--rules "$SANDBOX/deny")
    [ $mode = strict ] && GUARD_OPTS+=(--strict)
    seen=$(requests)
    run_capture guard "$PYTHON" "$LAB/pyclient.py" "$URL"
    refused "$mode: python threads" "$seen"
    [ "$have_go" = 1 ] && { run_capture guard "$GOBIN_" "$URL"; refused "$mode: static Go client" "$seen"; }
    [ "$have_node" = 1 ] && { run_capture guard node "$SANDBOX/fetch.js" "$URL"; refused "$mode: node fetch" "$seen"; }
    command -v curl >/dev/null && { run_capture guard curl -sS --max-time 20 "$URL"; refused "$mode: curl" "$seen"; }
    [ "$have_node" = 1 ] && { run_capture npm_install; refused "$mode: npm install" "$seen"; }
done
assert_contains "the refusals are in the audit log" "$(cat "$AUDIT_LOG" 2>/dev/null)" '"rule":"test-package-'

finish
