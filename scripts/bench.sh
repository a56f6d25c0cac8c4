#!/usr/bin/env bash
# Benchmark the exec guard (no assertions; prints a table):
#  (a) 500 fork+execs of /bin/true from sh: bare, with an empty preloaded .so
#      (the floor any preload pays), and under `interlock run`; best of 5 each;
#      ratios interlock/empty (budget 1.03x) and empty/bare. The loop is timed
#      from inside the command; the wall time of the whole command (with the
#      wrapper's start-up, which (b) budgets) is printed beside it.
#  (b) `interlock run -- /bin/true` vs `/bin/true`: mean extra ms over 50 runs
#      (budget 5 ms).
#  Seccomp layer rows: (a) also runs `interlock run --no-seccomp` (the preload
#  alone; the 1.03x row compares that with the empty .so) and `--no-strict`
#  (execs and connects trapped only), and the default run over the empty .so
#  (issue 20's budget, 1.05x) and reports the
#  supervisor on vs bare sh (budget 1.15x); (b) startup with vs without the
#  supervisor (budget 5 ms more).
#  (c) 50k create+rename+delete of temp files (budget 1.05x); (d) 200k
#  open+close of a file no rule names: the open hooks alone in a shell-init
#  session (budget 1.05x), and under `interlock run`, whose seccomp filter
#  adds the kernel's cost of any filter (printed as the floor); (e) make -j2
#  of a small real C project (budget 1.03x) and (e') of 41 one-line files,
#  the exec-bound worst case.
#  (f) SQL through libsqlite3 (issue 22): ns per prepared statement, bare and
#  guarded, for one the quick keyword check passes and one the SQL judge
#  reads, with the process tree's CPU time and the wall time; (f') the
#  dlsym hook, all a program that loads no client library runs differently.
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

exec "$python" - "$bin" "$work/empty.so" "${RUNS:-5}" "${N:-500}" "${SINGLES:-50}" "$root" <<'PYEOF'
import os, subprocess, sys, time

interlock, empty_so, runs, n, singles = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
src_root = sys.argv[6]
loop = 'i=0; while [ $i -lt %d ]; do /bin/true; i=$((i+1)); done' % n
base_env = dict(os.environ)

def timed(argv, env):
    t0 = time.perf_counter()
    r = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL)
    t1 = time.perf_counter()
    if r.returncode != 0:
        sys.exit("bench: %r exited %d" % (argv, r.returncode))
    return t1 - t0

# The loop is timed from inside the guarded tree (timeit forks and waits for
# the shell), so the wrapper's own start-up and teardown, which (b)
# measures and budgets on its own, are not counted twice; the wall time of
# the whole command is printed beside it.
timeit_c = os.path.join(os.path.dirname(empty_so), "timeit.c")
open(timeit_c, "w").write(r"""#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	struct timespec t0, t1;
	int st;
	if (argc < 2)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t p = fork();
	if (p == 0) {
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	if (p < 0 || waitpid(p, &st, 0) < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.6f\n", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
""")
timeit = timeit_c[:-2]
subprocess.run(["cc", "-O2", "-o", timeit, timeit_c], check=True)

def loop_timed(argv, env):
    t0 = time.perf_counter()
    r = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    t1 = time.perf_counter()
    if r.returncode != 0:
        sys.exit("bench: %r exited %d" % (argv, r.returncode))
    return float(r.stdout.split()[-1]), t1 - t0

empty_env = dict(base_env, LD_PRELOAD=empty_so)
shloop = [timeit, "sh", "-c", loop]
configs = [
    ("bare", shloop, base_env),
    ("empty .so", shloop, empty_env),
    ("interlock run", [interlock, "run", "--"] + shloop, base_env),
    ("no-seccomp", [interlock, "run", "--no-seccomp", "--"] + shloop, base_env),
    ("no-strict", [interlock, "run", "--no-strict", "--"] + shloop, base_env),
]
# warm up caches once
for _, argv, env in configs:
    loop_timed(argv, env)
# interleave the configurations so drift (thermal, other load) hits all alike
samples = {name: [] for name, _, _ in configs}
walls = {name: [] for name, _, _ in configs}
for _ in range(runs):
    for name, argv, env in configs:
        inner, wall = loop_timed(argv, env)
        samples[name].append(inner)
        walls[name].append(wall)
res = {k: min(v) for k, v in samples.items()}
wall = {k: min(v) for k, v in walls.items()}
# Best of N is the figure the budgets are checked against; the median of
# the same interleaved samples is printed under it, because on a shared
# 2-vCPU machine one lucky bare sample moves the best-of ratio by a percent
# or two.
import statistics
med = statistics.median

print("(a) %d fork+execs of /bin/true from sh, best of %d" % (n, runs))
print("    %-16s %10s %12s %14s" % ("config", "loop ms", "us per exec", "wall ms (all)"))
for name, _, _ in configs:
    print("    %-16s %10.1f %12.1f %14.1f" % (name, res[name] * 1e3, res[name] * 1e6 / n, wall[name] * 1e3))
print("    %-26s %6.3fx   (budget 1.03x)" % ("no-seccomp / empty .so", res["no-seccomp"] / res["empty .so"]))
print("    %-26s %6.3fx   (floor, about 1.08x)" % ("empty .so / bare", res["empty .so"] / res["bare"]))
print("    %-26s %6.3fx   (budget 1.15x: supervisor on)" % ("interlock / bare", res["interlock run"] / res["bare"]))
print("    %-26s %6.3fx" % ("  median / median", med(samples["interlock run"]) / med(samples["bare"])))
print("    %-26s %6.3fx   (wall time, with the wrapper's start-up)" % ("  whole command", wall["interlock run"] / wall["bare"]))
print("    %-26s %6.3fx   (the supervisor's own share)" % ("interlock / no-seccomp", res["interlock run"] / res["no-seccomp"]))
print("    %-26s %6.3fx   (budget 1.05x, issue 20: default run over the floor)" % ("interlock / empty .so", res["interlock run"] / res["empty .so"]))
print("    %-26s %6.3fx   (execs and connects trapped only)" % ("no-strict / empty .so", res["no-strict"] / res["empty .so"]))

bare = []
guarded = []
nosc = []
timed(["/bin/true"], base_env)
timed([interlock, "run", "--", "/bin/true"], base_env)
for _ in range(singles):
    bare.append(timed(["/bin/true"], base_env))
    guarded.append(timed([interlock, "run", "--", "/bin/true"], base_env))
    nosc.append(timed([interlock, "run", "--no-seccomp", "--", "/bin/true"], base_env))
mb = sum(bare) / len(bare) * 1e3
mg = sum(guarded) / len(guarded) * 1e3
mn = sum(nosc) / len(nosc) * 1e3
print()
print("(b) single command, mean of %d runs" % singles)
print("    %-30s %8.3f ms" % ("/bin/true", mb))
print("    %-30s %8.3f ms" % ("interlock run -- /bin/true", mg))
print("    %-30s %8.3f ms   (budget 5 ms)" % ("extra", mg - mb))
print("    %-30s %8.3f ms" % ("interlock run --no-seccomp", mn))
print("    %-30s %8.3f ms   (budget 5 ms)" % ("supervisor startup", mg - mn))
# (c) deletes that never exec (issue 8): a C program creates, renames and
#     deletes 50k temporary files (open/rename/unlink hooks); its own loop
#     time, bare vs under `interlock run`, best of RUNS; budget 1.05x.
# On tmpfs when there is one: on a disk file system the journal and the
# directory's state swung the ratio by tens of percent between runs (once
# below 1.0x). tmpfs is also the stricter test: its own work is cheaper, so
# the hooks' share is larger. Each sample gets a fresh directory.
import shutil, tempfile
churn_root = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else os.path.dirname(empty_so)
churn_c = os.path.join(os.path.dirname(empty_so), "churn.c")
churn = os.path.join(os.path.dirname(empty_so), "churn")
with open(churn_c, "w") as f:
    f.write(r"""#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	int n = atoi(argv[2]);
	char a[4096], b[4096];
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++) {
		snprintf(a, sizeof a, "%s/f%d.tmp", argv[1], i);
		snprintf(b, sizeof b, "%s/f%d.done", argv[1], i);
		int fd = open(a, O_CREAT | O_WRONLY | O_TRUNC, 0600);
		if (fd < 0 || close(fd) < 0 || rename(a, b) < 0 || unlink(b) < 0) {
			perror(a);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.6f\n", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
""")
churn += ".bin"
subprocess.run(["cc", "-O2", "-o", churn, churn_c], check=True)
nfiles = int(os.environ.get("CHURN", "50000"))

def churn_time(argv):
    churn_dir = tempfile.mkdtemp(prefix="interlock-churn.", dir=churn_root)
    try:
        r = subprocess.run(argv + [churn, churn_dir, str(nfiles)], env=base_env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, text=True)
    finally:
        shutil.rmtree(churn_dir, ignore_errors=True)
    if r.returncode != 0:
        sys.exit("bench: churn %r exited %d" % (argv, r.returncode))
    return float(r.stdout.split()[-1])

churn_time([])
churn_time([interlock, "run", "--"])
cb, ci = [], []
for _ in range(max(runs, 5)):
    cb.append(churn_time([]))
    ci.append(churn_time([interlock, "run", "--"]))
print()
print("(c) create + rename + delete of %d temporary files in %s, best of %d" % (nfiles, churn_root, len(cb)))
print("    %-30s %8.1f ms" % ("bare", min(cb) * 1e3))
print("    %-30s %8.1f ms" % ("interlock run", min(ci) * 1e3))
print("    %-30s %8.3fx   (budget 1.05x)" % ("interlock / bare", min(ci) / min(cb)))
print("    %-30s %8.3fx" % ("  median / median", med(ci) / med(cb)))
# (d) the open family (issue 4): a C program opens and closes a file no rule
# names 200k times; timed inside the program.
openloop_c = os.path.join(os.path.dirname(churn), "openloop.c")
open(openloop_c, "w").write(r"""
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
	int n = atoi(argv[2]);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++) { int fd = open(argv[1], O_RDONLY); if (fd < 0) return 1; close(fd); }
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.6f\n", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
""")
openloop = openloop_c[:-2]
subprocess.run(["cc", "-O2", "-o", openloop, openloop_c], check=True)
plain = os.path.join(os.path.dirname(churn), "plain.txt")
open(plain, "w").write("x\n")
nopens = int(os.environ.get("OPENS", "200000"))

# The seccomp floor: any seccomp filter sends every system call of the
# process through the kernel's slower entry path (about 13 ns here), so an
# open+close loop pays it twice per round whatever the filter says. This
# wrapper installs a one-rule filter and nothing else: the floor interlock's
# supervisor cannot go below, as the empty .so is for the preload in (a).
floor_c = os.path.join(os.path.dirname(churn), "scfloor.c")
open(floor_c, "w").write(r"""
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv) {
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x3fffffff, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { 4, f };
	if (argc < 2 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		return 125;
	execv(argv[1], argv + 1);
	return 127;
}
""")
scfloor = floor_c[:-2]
subprocess.run(["cc", "-O2", "-o", scfloor, floor_c], check=True)

def open_time(argv):
    r = subprocess.run(argv + [openloop, plain, str(nopens)], env=base_env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit("bench: open loop %r exited %d" % (argv, r.returncode))
    return float(r.stdout.split()[-1])

# The open hooks alone: a dev-shell session (shell-init) preloads the
# library with the same rules and installs no seccomp filter.
shell_session = ["bash", "-c", 'eval "$("$0" shell-init bash)" || exit 125; "$@"; r=$?; interlock_deactivate; exit $r',
                 interlock]
ob, oi, of, op = [], [], [], []
open_time([]); open_time([interlock, "run", "--"]); open_time([scfloor]); open_time(shell_session)
for _ in range(max(runs, 5)):
    ob.append(open_time([]))
    oi.append(open_time([interlock, "run", "--"]))
    of.append(open_time([scfloor]))
    op.append(open_time(shell_session))
print()
print("(d) %d open+close of a file no rule names, best of %d" % (nopens, len(ob)))
print("    %-30s %8.1f ns per open" % ("bare", min(ob) * 1e9 / nopens))
print("    %-30s %8.1f ns per open" % ("open hooks (shell-init)", min(op) * 1e9 / nopens))
print("    %-30s %8.1f ns per open" % ("seccomp floor (1-rule filter)", min(of) * 1e9 / nopens))
print("    %-30s %8.1f ns per open" % ("interlock run", min(oi) * 1e9 / nopens))
print("    %-30s %8.3fx   (budget 1.05x: the open hooks)" % ("shell-init / bare", min(op) / min(ob)))
print("    %-30s %8.3fx" % ("  median / median", med(op) / med(ob)))
print("    %-30s %8.3fx   (hooks + the supervisor's filter)" % ("interlock / bare", min(oi) / min(ob)))
print("    %-30s %8.3fx" % ("  median / median", med(oi) / med(ob)))
print("    %-30s %8.3fx   (any seccomp filter)" % ("seccomp floor / bare", min(of) / min(ob)))
print("    %-30s %8.3fx   (the open hook's own share)" % ("interlock / seccomp floor", min(oi) / min(of)))
# --no-strict: the opens are not trapped at all (by default the loop's
# opens are trapped too, and pass the filter with the session's marker)
os_ = [open_time([interlock, "run", "--no-strict", "--"]) for _ in range(3)]
print("    %-30s %8.1f ns per open" % ("interlock run --no-strict", min(os_) * 1e9 / nopens))
print("    %-30s %8.3fx" % ("--no-strict / bare", min(os_) / min(ob)))

# (e) make -j2 of a small C project, bare and guarded. The project is real
#     code: interlock's own lib/ (engine and preload sources) copied to a
#     temp dir with a plain Makefile that compiles each file and links a
#     shared library. (e') is the exec-bound worst case: 41 one-line files,
#     where a compile is mostly process start-up (no budget).
def build_time(proj, argv):
    subprocess.run(["make", "-s", "-C", proj, "clean"], stdout=subprocess.DEVNULL, check=True)
    return timed(argv + ["make", "-s", "-j2", "-C", proj], base_env)

def make_bench(label, proj, n):
    bb, bi = [], []
    build_time(proj, []); build_time(proj, [interlock, "run", "--"])
    for _ in range(n):
        bb.append(build_time(proj, []))
        bi.append(build_time(proj, [interlock, "run", "--"]))
    print()
    print("%s, best of %d" % (label, len(bb)))
    print("    %-30s %8.1f ms" % ("bare", min(bb) * 1e3))
    print("    %-30s %8.1f ms" % ("interlock run", min(bi) * 1e3))
    return min(bi) / min(bb), med(bi) / med(bb)

work_dir = os.path.dirname(churn)
real = os.path.join(work_dir, "real")
for sub in ("engine", "preload"):
    shutil.copytree(os.path.join(src_root, "lib", sub), os.path.join(real, sub))
srcs = sorted(os.path.join(sub, f) for sub in ("engine", "preload")
              for f in os.listdir(os.path.join(real, sub)) if f.endswith(".c"))
lines = sum(1 for f in srcs for _ in open(os.path.join(real, f)))
open(os.path.join(real, "Makefile"), "w").write(
    "SRCS = %s\nOBJS = $(SRCS:.c=.o)\n"
    "CFLAGS = -O2 -g -fPIC -D_GNU_SOURCE -Iengine -Ipreload\n"
    "libreal.so: $(OBJS)\n\t$(CC) -shared -o $@ $(OBJS)\n"
    "%%.o: %%.c\n\t$(CC) $(CFLAGS) -c $< -o $@\n"
    "clean:\n\trm -f $(OBJS) libreal.so\n" % " ".join(srcs))
r, m = make_bench("(e) make -j2 of a small C project (%d files, %d lines of C)" % (len(srcs), lines), real, max(runs, 3))
print("    %-30s %8.3fx   (budget 1.03x)" % ("interlock / bare", r))
print("    %-30s %8.3fx" % ("  median / median", m))

proj = os.path.join(work_dir, "proj")
os.makedirs(proj, exist_ok=True)
objs = []
for i in range(40):
    open(os.path.join(proj, "f%d.c" % i), "w").write(
        "#include <stdio.h>\n#include <string.h>\nint f%d(const char *s) { return (int)strlen(s) + %d; }\n" % (i, i))
    objs.append("f%d.o" % i)
open(os.path.join(proj, "main.c"), "w").write("int main(void) { return 0; }\n")
open(os.path.join(proj, "Makefile"), "w").write(
    "OBJS = %s main.o\napp: $(OBJS)\n\t$(CC) -o $@ $(OBJS)\n%%.o: %%.c\n\t$(CC) -O1 -c $< -o $@\n"
    "clean:\n\trm -f $(OBJS) app\n" % " ".join(objs))
r, m = make_bench("(e') make -j2 of 41 one-line C files (exec-bound: a compile is mostly start-up)", proj, max(runs, 3))
print("    %-30s %8.3fx   (no budget: the worst case)" % ("interlock / bare", r))
print("    %-30s %8.3fx" % ("  median / median", m))
# (f) SQL through client libraries (issue 22). A C program linked with
#     libsqlite3 prepares and finalizes one statement N times (timed inside
#     it), bare and under `interlock run`, best of RUNS, with the CPU time
#     of the whole process tree and the wall time of the command beside it:
#     a statement that cannot lose data (the hook's quick keyword check),
#     and a DELETE ... WHERE that the SQL judge reads and allows (the
#     per-statement cost of a candidate). (f') what a program that never
#     loads a client library does differently: its dlsym calls pass the
#     dlsym hook (RTLD_DEFAULT, a handle, dlopen(NULL)'s handle; no budget).
import resource
def tree_run(argv):
    """(inner loop s, CPU s of the process tree, wall s) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(argv, env=base_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        sys.exit("bench: %r exited %d" % (argv, r.returncode))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return float(r.stdout.split()[-1]), cpu, wall

sqlbench_c = os.path.join(work_dir, "sqlbench.c")
open(sqlbench_c, "w").write(r"""#include <stdio.h>
#include <stdlib.h>
#include <time.h>
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
int sqlite3_open(const char *, sqlite3 **);
int sqlite3_exec(sqlite3 *, const char *, int (*)(void *, int, char **, char **), void *, char **);
int sqlite3_prepare_v2(sqlite3 *, const char *, int, sqlite3_stmt **, const char **);
int sqlite3_finalize(sqlite3_stmt *);
int sqlite3_close(sqlite3 *);
int main(int argc, char **argv)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	struct timespec t0, t1;
	if (argc < 4 || sqlite3_open(argv[1], &db))
		return 2;
	int n = atoi(argv[2]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++) {
		if (sqlite3_prepare_v2(db, argv[3], -1, &st, 0))
			return 1;
		sqlite3_finalize(st);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.6f\n", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	sqlite3_close(db);
	return 0;
}
""")
sqlbench = os.path.join(work_dir, "sqlbench")
built = subprocess.run(["cc", "-O2", "-o", sqlbench, sqlbench_c, "-l:libsqlite3.so.0"]).returncode == 0
print()
if not built:
    print("(f) skipped: no libsqlite3.so.0 to link against (package libsqlite3-0)")
else:
    # in HOME and older than the sessions: a database the judge looks at
    bench_db = os.path.join(os.environ["HOME"], "bench.db")
    subprocess.run(["sqlite3", bench_db, "CREATE TABLE IF NOT EXISTS t (id INTEGER)"], check=True)
    time.sleep(0.05)
    cases = [("SELECT id FROM t WHERE id = 1", int(os.environ.get("SQL_N", "100000"))),
             ("DELETE FROM t WHERE id = -1", int(os.environ.get("SQL_JUDGED_N", "20000")))]
    print("(f) sqlite3_prepare_v2 + finalize from a C program, best of %d" % max(runs, 3))
    print("    %-32s %-13s %10s %10s %10s" % ("statement", "config", "ns/stmt", "tree cpu ms", "wall ms"))
    for sql, count in cases:
        argv = [sqlbench, bench_db, str(count), sql]
        tree_run(argv); tree_run([interlock, "run", "--"] + argv)
        got = {"bare": [], "interlock run": []}
        for _ in range(max(runs, 3)):
            got["bare"].append(tree_run(argv))
            got["interlock run"].append(tree_run([interlock, "run", "--"] + argv))
        for name in ("bare", "interlock run"):
            inner = min(x[0] for x in got[name])
            print("    %-32s %-13s %10.0f %10.1f %10.1f" % (sql if name == "bare" else "", name, inner * 1e9 / count,
                  min(x[1] for x in got[name]) * 1e3, min(x[2] for x in got[name]) * 1e3))
        extra = (min(x[0] for x in got["interlock run"]) - min(x[0] for x in got["bare"])) * 1e9 / count
        print("    %-32s %-13s %10.0f   (ns per statement)" % ("", "extra", extra))

dlsym_c = os.path.join(work_dir, "dlsymloop.c")
open(dlsym_c, "w").write(r"""#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv)
{
	int n = atoi(argv[1]);
	void *self = dlopen(0, RTLD_LAZY), *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++)
		if (!dlsym(RTLD_DEFAULT, "getpid") || !dlsym(libc, "getpid") || !dlsym(self, "getpid"))
			return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.6f\n", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
""")
dlsymloop = os.path.join(work_dir, "dlsymloop")
subprocess.run(["cc", "-O2", "-o", dlsymloop, dlsym_c, "-ldl"], check=True)
ncalls = int(os.environ.get("DLSYMS", "300000"))
argv = [dlsymloop, str(ncalls)]
tree_run(argv); tree_run([interlock, "run", "--"] + argv)
db_, di_ = [], []
for _ in range(max(runs, 5)):
    db_.append(tree_run(argv))
    di_.append(tree_run([interlock, "run", "--"] + argv))
print()
print("(f') %d x 3 dlsym calls (RTLD_DEFAULT, a handle, dlopen(NULL)'s handle), best of %d" % (ncalls, len(db_)))
print("    %-30s %8.1f ns per call" % ("bare", min(x[0] for x in db_) * 1e9 / ncalls / 3))
print("    %-30s %8.1f ns per call" % ("interlock run", min(x[0] for x in di_) * 1e9 / ncalls / 3))
print("    %-30s %8.3fx   (no budget)" % ("interlock / bare", min(x[0] for x in di_) / min(x[0] for x in db_)))
PYEOF
