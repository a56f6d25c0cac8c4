#!/usr/bin/env bash
# Benchmark the exec guard (no assertions; prints a table):
#  (a) 500 fork+execs of /bin/true from sh: bare, with an empty preloaded .so
#      (the floor any preload pays), and under `interlock run`; best of 5 each;
#      ratios interlock/empty (budget 1.03x) and empty/bare.
#  (b) `interlock run -- /bin/true` vs `/bin/true`: mean extra ms over 50 runs
#      (budget 5 ms).
# Usage: scripts/bench.sh [BUILD_DIR]   (default build/; env RUNS, N, SINGLES)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
build=$(cd "$build" && pwd)
bin=$build/interlock
lib=$build/libinterlock.so
[ -x "$bin" ] && [ -f "$lib" ] || { echo "bench: build first ($bin, $lib)" >&2; exit 1; }
python=$(python3 -c 'import sys; print(sys.executable)')

work=$(mktemp -d "${TMPDIR:-/tmp}/interlock-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
: >"$work/empty.c"
cc -shared -fPIC -O2 -o "$work/empty.so" "$work/empty.c"

# hermetic session: shipped rules, audit log and config in the temp dir
export INTERLOCK_RULES_PATH=$root/rules.d
export HOME=$work/home XDG_STATE_HOME=$work/state XDG_CONFIG_HOME=$work/config
mkdir -p "$HOME" "$XDG_STATE_HOME" "$XDG_CONFIG_HOME"
unset LD_PRELOAD
cd "$work"

exec "$python" - "$bin" "$work/empty.so" "${RUNS:-5}" "${N:-500}" "${SINGLES:-50}" <<'PYEOF'
import os, subprocess, sys, time

interlock, empty_so, runs, n, singles = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
loop = 'i=0; while [ $i -lt %d ]; do /bin/true; i=$((i+1)); done' % n
base_env = dict(os.environ)

def timed(argv, env):
    t0 = time.perf_counter()
    r = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL)
    t1 = time.perf_counter()
    if r.returncode != 0:
        sys.exit("bench: %r exited %d" % (argv, r.returncode))
    return t1 - t0

empty_env = dict(base_env, LD_PRELOAD=empty_so)
configs = [
    ("bare", ["sh", "-c", loop], base_env),
    ("empty .so", ["sh", "-c", loop], empty_env),
    ("interlock run", [interlock, "run", "--", "sh", "-c", loop], base_env),
]
# warm up caches once
for _, argv, env in configs:
    timed(argv, env)
# interleave the configurations so drift (thermal, other load) hits all alike
samples = {name: [] for name, _, _ in configs}
for _ in range(runs):
    for name, argv, env in configs:
        samples[name].append(timed(argv, env))
res = {k: min(v) for k, v in samples.items()}

print("(a) %d fork+execs of /bin/true from sh, best of %d" % (n, runs))
print("    %-16s %10s %12s" % ("config", "total ms", "us per exec"))
for name, _, _ in configs:
    print("    %-16s %10.1f %12.1f" % (name, res[name] * 1e3, res[name] * 1e6 / n))
print("    %-26s %6.3fx   (budget 1.03x)" % ("interlock / empty .so", res["interlock run"] / res["empty .so"]))
print("    %-26s %6.3fx   (floor, about 1.08x)" % ("empty .so / bare", res["empty .so"] / res["bare"]))
print("    %-26s %6.3fx" % ("interlock / bare", res["interlock run"] / res["bare"]))

bare = []
guarded = []
timed(["/bin/true"], base_env)
timed([interlock, "run", "--", "/bin/true"], base_env)
for _ in range(singles):
    bare.append(timed(["/bin/true"], base_env))
    guarded.append(timed([interlock, "run", "--", "/bin/true"], base_env))
mb = sum(bare) / len(bare) * 1e3
mg = sum(guarded) / len(guarded) * 1e3
print()
print("(b) single command, mean of %d runs" % singles)
print("    %-30s %8.3f ms" % ("/bin/true", mb))
print("    %-30s %8.3f ms" % ("interlock run -- /bin/true", mg))
print("    %-30s %8.3f ms   (budget 5 ms)" % ("extra", mg - mb))
PYEOF
