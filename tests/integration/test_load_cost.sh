#!/usr/bin/env bash
# What every process of a guarded tree pays for loading libinterlock.so
# before it calls a hook (issue 20 measures an exec loop against an empty
# preloaded library): no system call more than an empty library, at most a
# page fault or two more, and none of the entries that cost each process at
# start and exit (DT_FINI, a .bss the file does not cover). The values the
# constructors keep spill from their small store into a big one when long:
# a long library path still works (a long argument list: test_cred_owners.sh).
. "$(dirname "$0")/lib.sh"

echo "# the library's layout"
dyn=$(readelf -dW "$INTERLOCK_LIB")
if grep -q '(FINI)' <<<"$dyn"; then
    _fail "no DT_FINI (the loader would call an empty _fini at the end of .text in every exit)" "$(grep '(FINI)' <<<"$dyn")"
else
    _ok "no DT_FINI"
fi
rw=$(readelf -lW "$INTERLOCK_LIB" | awk '$1 == "LOAD" && $7 == "RW" {print $5, $6}')
read -r filesz memsz <<<"$rw"
if [ -n "$filesz" ] && [ "$filesz" = "$memsz" ]; then
    _ok "the writable segment is all in the file (no anonymous mapping for .bss): $filesz"
else
    _fail "the writable segment is all in the file" "FileSiz $filesz MemSiz $memsz (lib/preload/bss_in_file.ld)"
fi

echo "# a process that loads it and calls no hook"
printf '/* nothing */\n' >"$SANDBOX/empty.c"
if ! cc -shared -fPIC -o "$SANDBOX/empty.so" "$SANDBOX/empty.c"; then
    _fail "an empty library could be built (cc)"
    finish
fi
# Page faults of /bin/true with each library, interleaved; the median of
# each, as the count moves by one or two with where things land (ASLR).
# The session variables make the constructor keep them (nothing is opened).
"$PYTHON" - "$SANDBOX/empty.so" "$INTERLOCK_LIB" >"$SANDBOX/faults" <<'EOF'
import os, statistics, sys
env = dict(os.environ, INTERLOCK_SESSION="0123456789abcdef",
           INTERLOCK_SNAPSHOT="/nonexistent/interlock-load-cost/rules.snap")
counts = {lib: [] for lib in sys.argv[1:]}
for _ in range(41):
    for lib in sys.argv[1:]:
        pid = os.posix_spawn("/bin/true", ["/bin/true"], dict(env, LD_PRELOAD=lib))
        _, status, usage = os.wait4(pid, 0)
        counts[lib].append(usage.ru_minflt)
print(" ".join(str(statistics.median(counts[lib])) for lib in sys.argv[1:]))
EOF
read -r empty_pf lib_pf <"$SANDBOX/faults"
if "$PYTHON" -c 'import sys; sys.exit(0 if float(sys.argv[2]) <= float(sys.argv[1]) + 3 else 1)' "$empty_pf" "$lib_pf"; then
    _ok "page faults of /bin/true: $lib_pf with the library, $empty_pf with an empty one"
else
    _fail "page faults of /bin/true within 3 of an empty library's" "library $lib_pf, empty $empty_pf (IL_HOT, lib/preload/preload.h)"
fi
if command -v strace >/dev/null; then
    for lib in "$SANDBOX/empty.so" "$INTERLOCK_LIB"; do
        strace -qq -o "$SANDBOX/trace" -E INTERLOCK_SESSION=0123456789abcdef -E LD_PRELOAD="$lib" /bin/true
        grep -cv '^+++' "$SANDBOX/trace"
    done >"$SANDBOX/calls"
    { read -r empty_calls; read -r lib_calls; } <"$SANDBOX/calls"
    assert_eq "system calls of /bin/true: as many as with an empty library" "$empty_calls" "$lib_calls"
else
    echo "SKIP system call count (no strace)"
fi

echo "# long values go to the big store"
long="$SANDBOX/lib"
while [ ${#long} -lt 600 ]; do long="$long/a-directory-name-that-makes-the-path-long"; done
mkdir -p "$long"
cp "$INTERLOCK_LIB" "$long/libinterlock.so"
# no session: the library keeps itself in children preloaded this way, and
# puts itself back when a program strips it
run_capture env LD_PRELOAD="$long/libinterlock.so" /bin/sh -c 'env -u LD_PRELOAD /bin/sh -c "echo \"\$LD_PRELOAD\""'
assert_eq "a ${#long}-byte library path is put back into a stripped child's environment" \
    "$long/libinterlock.so" "$(cat "$OUTF")"

finish
