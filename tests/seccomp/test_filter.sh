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

# How the supervisor is scheduled (supervisor_sched.c): root's wrapper runs
# SCHED_FIFO (1) so the tree it answers cannot preempt it; nothing it starts
# inherits that (SCHED_RESET_ON_FORK), and INTERLOCK_SUPERVISOR_RT=0 keeps
# it an ordinary task. Field 41 of /proc/PID/stat is the policy.
policies='echo "$(cut -d" " -f41 /proc/$PPID/stat) $(cut -d" " -f41 /proc/$$/stat)"'
run_capture guard sh -c "$policies"
if [ "$(id -u)" = 0 ]; then
    assert_eq "root: wrapper realtime, command ordinary" "1 0" "$OUT"
fi
assert_contains "the command never inherits realtime" " $OUT" " 0"
run_capture env INTERLOCK_SUPERVISOR_RT=0 "${_setsid[@]}" "$INTERLOCK_BIN" run -- sh -c "$policies"
assert_eq "INTERLOCK_SUPERVISOR_RT=0: both ordinary" "0 0" "$OUT"
run_capture "${_setsid[@]}" "$INTERLOCK_BIN" run --no-seccomp -- sh -c "$policies"
assert_eq "--no-seccomp: no supervisor, both ordinary" "0 0" "$OUT"

# --no-seccomp: no layer, no message
run_capture "${_setsid[@]}" "$INTERLOCK_BIN" run --no-seccomp -- probe listener
assert_not_contains "--no-seccomp: nothing said" "$ERR" "seccomp"
finish
