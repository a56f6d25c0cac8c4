#!/usr/bin/env bash
# fopen and opendir open with the session's marker under `interlock run`
# (the preload makes the open itself and wraps it with fdopen/fdopendir):
# a program must see exactly what it sees bare (positions, close-on-exec,
# errors, modes left to libc), and a dynamic program that lists and reads
# directories works as bare.
. "$(dirname "$0")/lib.sh"

cc -O2 -Wall -Wextra -o "$SANDBOX/bin/stdio_probe" "$_seccomp_dir/stdio_probe.c" ||
    skip "cannot compile stdio_probe.c"
mkdir -p "$SANDBOX/bare" "$SANDBOX/guarded"
"$SANDBOX/bin/stdio_probe" "$SANDBOX/bare" >"$SANDBOX/bare.out" 2>&1
run_capture guard "$SANDBOX/bin/stdio_probe" "$SANDBOX/guarded"
assert_eq "stdio_probe ran under interlock run" "0" "$STATUS"
assert_eq "fopen and opendir behave as bare under interlock run" "$(cat "$SANDBOX/bare.out")" "$OUT"
assert_not_contains "... and nothing is blocked" "$ERR" "$BLOCKED_MARK"
run_capture guard "$PYTHON" -c 'import os, sys; print(sorted(os.listdir(sys.argv[1])))' "$SANDBOX/guarded"
assert_eq "python os.listdir under interlock run" "['a.txt', 'b.txt']" "$OUT"
finish
