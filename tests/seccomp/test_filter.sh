#!/usr/bin/env bash
# What the guarded tree cannot do to the filter, decided on register values
# only: stack a listener of its own (EBUSY), switch seccomp off for a tracee,
# type into a terminal, use io_uring. And a nested `interlock run` says once
# that its layer is off and keeps guarding with the preload (the outer
# supervisor still watches).
. "$(dirname "$0")/lib.sh"

run_capture guard probe listener
assert_eq "a second listener in the chain: EBUSY" "EBUSY" "$OUT"
run_capture guard probe suspend
assert_eq "PTRACE_O_SUSPEND_SECCOMP: EPERM" "EPERM" "$OUT"
run_capture guard probe tiocsti
assert_eq "TIOCSTI: EPERM" "EPERM" "$OUT"
run_capture guard probe iouring
assert_eq "io_uring_setup: EPERM" "EPERM" "$OUT"
run_capture guard probe status
assert_contains "the tree runs under a filter" "$OUT" "Seccomp:	2"
if [ "$(id -u)" = 0 ]; then
    # CAP_SYS_ADMIN needs no no_new_privs: setuid programs keep working
    assert_contains "root: no_new_privs not set" "$OUT" "NoNewPrivs:	0"
fi
run_capture "$SANDBOX/bin/probe" listener
assert_eq "outside interlock the same probe succeeds" "ok" "$OUT"

# nested: the inner wrapper cannot add a listener; one line, then the preload
V="$SANDBOX/work/victim"
victim "$V"
run_capture guard "$INTERLOCK_BIN" run -- sh -c "echo inner ran"
assert_eq "nested run: works" "0" "$STATUS"
assert_contains "nested run: says the layer is off, once" "$ERR" "seccomp layer off"
assert_eq "nested run: one line about it" "1" "$(grep -c 'seccomp layer off' "$ERRF")"
run_capture guard "$INTERLOCK_BIN" run -- rawexec /bin/rm -r "$V"
assert_exists "nested run: the outer supervisor still stops a static rm -r" "$V/data"

# How the supervisor is scheduled (supervisor_sched.c): the wrapper takes
# the shortest EEVDF slice (0.1 ms) once the command is started, so the
# command keeps the default. Seen in /proc/PID/sched where the kernel shows
# it (6.12+ with scheduler debugging).
slices='echo "$(sed -n "s/^se.slice *: *//p" /proc/$PPID/sched) $(sed -n "s/^se.slice *: *//p" /proc/$$/sched)"'
if grep -q '^se.slice' /proc/self/sched 2>/dev/null; then
    run_capture guard sh -c "$slices"
    assert_eq "the wrapper runs with a 0.1 ms slice" "100000" "${OUT%% *}"
    assert_eq "the command keeps its own" "$(sed -n 's/^se.slice *: *//p' /proc/self/sched)" "${OUT##* }"
    run_capture "${_setsid[@]}" "$INTERLOCK_BIN" run --no-seccomp -- sh -c "$slices"
    assert_not_contains "--no-seccomp: no supervisor, no short slice" "$OUT" "100000"
fi

# --no-seccomp: no layer, no message
run_capture "${_setsid[@]}" "$INTERLOCK_BIN" run --no-seccomp -- probe listener
assert_not_contains "--no-seccomp: nothing said" "$ERR" "seccomp"
finish
