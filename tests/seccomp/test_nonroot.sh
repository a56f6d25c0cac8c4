#!/usr/bin/env bash
# An unprivileged user: the filter needs no_new_privs, which interlock sets
# for the whole tree. Then the same programs are stopped as for root, and a
# setuid program cannot gain privileges inside the session (the price;
# --no-seccomp gives it back). Needs root to switch to uid 65534.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root to run as an unprivileged user"
command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
NB=65534

# nobody must reach the programs, the rules and its own directories
chmod 755 "$SANDBOX" "$SANDBOX/bin" "$RULES_DIR"
chmod 644 "$RULES_DIR"/*.conf
U="$SANDBOX/nobody"
mkdir -p "$U/home" "$U/state" "$U/work" "$U/tmp"
V="$U/work/victim"
victim "$V"
chown -R "$NB:$NB" "$U"

as_nobody() {
    setpriv --reuid=$NB --regid=$NB --clear-groups -- \
        env -u XDG_RUNTIME_DIR HOME="$U/home" XDG_STATE_HOME="$U/state" XDG_CONFIG_HOME="$U/home/.config" \
        TMPDIR="$U/tmp" "$@"
}
nguard() {
    as_nobody "${_setsid[@]}" timeout -k 5 "$GUARD_TIMEOUT" "$INTERLOCK_BIN" run ${GUARD_OPTS[@]+"${GUARD_OPTS[@]}"} -- "$@"
}

if grep -q '^se.slice' /proc/self/sched 2>/dev/null; then
    run_capture nguard sh -c 'sed -n "s/^se.slice *: *//p" /proc/$PPID/sched'
    assert_eq "nobody: the short slice needs no privilege" "100000" "$OUT"
fi

run_capture nguard probe status
assert_contains "nobody: the tree runs under a filter" "$OUT" "Seccomp:	2"
assert_contains "nobody: no_new_privs is set" "$OUT" "NoNewPrivs:	1"
assert_not_contains "nobody: the layer is on (no message)" "$ERR" "seccomp layer off"

run_capture nguard rawexec /bin/rm -r "$V"
assert_eq "nobody: static raw rm -r refused" "126" "$STATUS"
assert_exists "nobody: data intact" "$V/data"
assert_contains "nobody: agent told" "$ERR" "$BLOCKED_MARK"
run_capture nguard rawexec /usr/bin/env -i /bin/sh -c "rm -rf '$V'"
assert_exists "nobody: env -i sh -c rm -rf refused, data intact" "$V/data"
run_capture nguard rawexec /bin/echo hello
assert_eq "nobody: harmless static exec runs" "hello" "$OUT"
run_capture nguard probe listener
assert_eq "nobody: a second listener: EBUSY" "EBUSY" "$OUT"
run_capture nguard probe suspend
assert_eq "nobody: PTRACE_O_SUSPEND_SECCOMP: EPERM" "EPERM" "$OUT"

# setuid: no privileges inside the session; --no-seccomp restores them
cp "$SANDBOX/bin/probe" "$SANDBOX/bin/suidprobe"
chown 0:0 "$SANDBOX/bin/suidprobe" && chmod 4755 "$SANDBOX/bin/suidprobe"
if [ "$(as_nobody "$SANDBOX/bin/suidprobe" euid)" = "euid=0" ]; then
    run_capture nguard suidprobe euid
    assert_eq "nobody: a setuid program gains nothing under the filter" "euid=$NB" "$OUT"
    GUARD_OPTS=(--no-seccomp)
    run_capture nguard suidprobe euid
    assert_eq "nobody: --no-seccomp: setuid works again" "euid=0" "$OUT"
    GUARD_OPTS=()
else
    echo "note: setuid has no effect on $SANDBOX (nosuid mount?); setuid check skipped"
fi

# connect: the supervisor takes the socket (pidfd_getfd) and connects for
# the target, which a non-root supervisor may do for its own descendants.
cat >"$SANDBOX/listen.py" <<'EOF'
import socket, sys
s = socket.socket(); s.bind(("127.0.0.9", 0)); s.listen(4)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
s.settimeout(20)
c, _ = s.accept(); open(sys.argv[2], "w").write(c.recv(100).decode())
EOF
"$PYTHON" "$SANDBOX/listen.py" "$SANDBOX/nport" "$SANDBOX/ngot" &
LISTENER=$!
for _ in $(seq 50); do [ -s "$SANDBOX/nport" ] && break; sleep 0.1; done
cat >>"$RULES_DIR/50-seccomp-test.conf" <<EOF

[test-nonroot-protected]
on = connect
address = 127.0.0.10
action = deny
why = test rule: a protected address
match = connect 127.0.0.10:5432
EOF
run_capture nguard rawconnect 127.0.0.10 "$(cat "$SANDBOX/nport")"
assert_eq "nobody: static connect to a protected address refused" "13" "$STATUS"
run_capture nguard rawconnect 127.0.0.9 "$(cat "$SANDBOX/nport")"
assert_eq "nobody: an allowed static connect is made for it" "0" "$STATUS"
wait "$LISTENER"
assert_eq "nobody: the server got the line" "hello from a static program" "$(tr -d '\n' <"$SANDBOX/ngot")"
finish
