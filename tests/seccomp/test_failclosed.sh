#!/usr/bin/env bash
# Fail closed: when the supervisor (the wrapper) dies, the kernel answers the
# guarded tree's trapped system calls itself, with ENOSYS: a notification
# still waiting when the listener closes, and every later one. Nothing the
# tree runs after that (destructive or not) gets to exec.
. "$(dirname "$0")/lib.sh"

V="$SANDBOX/work/victim"

# start_waiter DIR PROG ARGS...: `interlock run -- probe wait DIR PROG ARGS`
# in the background; sets WRAPPER and waits for the probe to be running.
start_waiter() {
    local dir=$1
    shift
    rm -rf "$dir" && mkdir -p "$dir"
    "$INTERLOCK_BIN" run -- probe wait "$dir" "$@" </dev/null >"$dir/out" 2>"$dir/err" &
    WRAPPER=$!
    local i
    for i in $(seq 200); do [ -s "$dir/pid" ] && return 0; sleep 0.05; done
    return 1
}

# result DIR: the probe's one word, once it has printed it
result() {
    local i
    for i in $(seq 100); do [ -s "$1/out" ] && break; sleep 0.05; done
    cat "$1/out"
}

# -- a later notification: the wrapper is killed, then the tree execs
D="$SANDBOX/w1"
victim "$V"
start_waiter "$D" /bin/rm -r "$V" || _fail "probe did not start"
kill -9 "$WRAPPER"
wait "$WRAPPER" 2>/dev/null
touch "$D/go"
assert_eq "supervisor killed, then exec: ENOSYS" "ENOSYS" "$(result "$D")"
assert_exists "supervisor killed, then exec: data intact" "$V/data"

# -- a pending notification: the exec is trapped while the wrapper is
# stopped (so nobody has received it), then the wrapper is killed
D="$SANDBOX/w2"
victim "$V"
start_waiter "$D" /bin/rm -r "$V" || _fail "probe did not start"
kill -STOP "$WRAPPER"
touch "$D/go"
waiting=no
for i in $(seq 100); do
    c=$(pgrep -P "$(cat "$D/pid")" | head -n1)
    if [ -n "$c" ] && grep -q seccomp "/proc/$c/wchan" 2>/dev/null; then waiting=yes; break; fi
    sleep 0.05
done
assert_eq "exec waits in the kernel for the (stopped) supervisor" "yes" "$waiting"
kill -9 "$WRAPPER"
kill -CONT "$WRAPPER" 2>/dev/null
wait "$WRAPPER" 2>/dev/null
assert_eq "pending exec when the supervisor dies: ENOSYS" "ENOSYS" "$(result "$D")"
assert_exists "pending exec: data intact" "$V/data"

# -- the tree outlives a normal session end: no exec afterwards either
D="$SANDBOX/w3"
mkdir -p "$D"
run_capture guard sh -c "probe wait '$D' /bin/echo LATE >'$D/out' 2>&1 & while [ ! -s '$D/pid' ]; do sleep 0.05; done"
assert_eq "session with a background process ended" "0" "$STATUS"
for _ in $(seq 100); do [ -s "$D/pid" ] && break; sleep 0.05; done
touch "$D/go"
assert_eq "exec after the session ended: ENOSYS" "ENOSYS" "$(result "$D")"
finish
