/* The exec decision as the hooks see it: the prefilter (one hash probe on
 * the program's name, and on the name of the file a symlink leads to),
 * then the engine's judge, then settle.c carries the verdict out.
 * Heap-free; scratch memory is one private mapping per judged exec, and
 * only execs of programs some rule names get that far. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "il.h"
#include "preload.h"
#include "rawsys.h"

#define SCRATCH_SIZE (4u << 20)

/* Each name is asked once: argv[0] is usually the path itself, and a
 * name no rule names walks every glob rule's list. */
static int is_candidate(struct il_snap_view *v, const char *path, const char *real, char *const argv[])
{
	const char *p = path ? il_basename(path) : 0;
	if (p && il_snap_exec_candidate(v, p))
		return 1;
	const char *r = real ? il_basename(real) : 0;
	if (r && !(p && il_streq(r, p)) && il_snap_exec_candidate(v, r))
		return 1;
	const char *a = argv && argv[0] ? il_basename(argv[0]) : 0;
	return a && !(p && il_streq(a, p)) && !(r && il_streq(a, r)) && il_snap_exec_candidate(v, a);
}

/* What the new program will read first on stdin, copied without taking
 * it: a regular file from its current offset, a pipe through tee(2). An
 * empty pipe (its writer has not written yet) or a terminal: unknown. It
 * is this process's stdin: only an exec in the child that makes it. */
static long peek_stdin(void *ctx, char *buf, size_t cap)
{
	(void)ctx;
	int saved = errno;
	struct stat st;
	long got = -1;
	if (il_sys4(SYS_fstat, 0, (long)&st, 0, 0) == 0 && S_ISREG(st.st_mode)) {
		long off = il_sys4(SYS_lseek, 0, 0, SEEK_CUR, 0);
		got = off < 0 ? -1 : il_sys4(SYS_pread64, 0, (long)buf, (long)cap, off);
	} else if (S_ISFIFO(st.st_mode)) {
		int p[2];
		if (il_sys4(SYS_pipe2, (long)p, O_CLOEXEC | O_NONBLOCK, 0, 0) == 0) {
			long n = il_sys4(SYS_tee, 0, p[1], (long)cap, SPLICE_F_NONBLOCK);
			for (got = 0; n > 0 && got < n;) {
				long r = il_sys4(SYS_read, p[0], (long)(buf + got), n - got, 0);
				if (r <= 0)
					break;
				got += r;
			}
			if (n <= 0)
				got = -1;
			il_sys4(SYS_close, p[0], 0, 0, 0);
			il_sys4(SYS_close, p[1], 0, 0, 0);
		}
	}
	errno = saved;
	return got;
}

/* This process, as the maker of the exec (unless-caller rules): its
 * program's base name and its arguments, read when a rule asks. Raw system
 * calls: our own open hook must not judge this read. NULL when it cannot
 * be read. */
struct self_caller {
	struct il_snap_view *v;
	char cmdline[2048];
	const char *vec[64];
};

static const char *const *self_caller(void *ctx)
{
	struct self_caller *c = ctx;
	const char *exe = il_self_name(c->v);
	if (!exe)
		return 0;
	long fd = il_sys4(SYS_openat, AT_FDCWD, (long)"/proc/self/cmdline", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	long n = il_sys4(SYS_read, fd, (long)c->cmdline, (long)sizeof c->cmdline, 0);
	il_sys4(SYS_close, fd, 0, 0, 0);
	if (n <= 0 || il_caller_split(c->cmdline, (size_t)n, exe, c->vec, 64) < 1)
		return 0;
	return c->vec;
}

/* A shell string whose refusal the agent would not read: an agent that
 * spawns `bash -c STRING` per tool call (node's child_process, libuv) gets
 * "spawn /bin/bash EACCES" for a refused shell and the line this process
 * wrote is not in the tool result. With no terminal to ask on (a deny, or
 * a confirm refused at once or held for `interlock approve`) and a verdict
 * about a command inside the string, a dynamic shell runs: the preload,
 * put back into its environment on this exec, judges each command in it at
 * its own exec (the line on the shell's stderr, status 126) and the
 * seccomp supervisor, when there is one, does again (the same rule in
 * cli/seccomp/trap_exec.c). With a terminal, or for a static shell, the
 * string is judged whole as before. */
static int leave_to_shell(struct il_snap_view *v, const struct il_verdict *d, const char *path, const char *real,
			  char *const argv[])
{
	if (d->error || d->quiet || !d->exec_judged)
		return 0;
	if (d->action != IL_DENY && !(d->action == IL_CONFIRM && !il_snap_tty(v)))
		return 0;
	return il_exec_is_shell_string(argv) && il_exec_is_dynamic(real ? real : path);
}

int il_check_exec(const char *path, char *const argv[], char *const envp[])
{
	return il_check_exec_at(path, 0, IL_EXEC_UNKNOWN, argv, envp);
}

int il_check_exec_at(const char *path, const char *real, unsigned how, char *const argv[], char *const envp[])
{
	int saved = errno;
	int broken = 0;
	struct il_snap_view *v = il_snapshot(&broken);
	if (!v && !broken) {
		errno = saved;
		return 0;
	}
	char real_buf[4096];
	if ((how & IL_EXEC_UNKNOWN) && v) {
		int missing;
		real = il_exec_real(path, 0, 0, real_buf, sizeof real_buf, &missing);
		if (missing) { /* nothing runs */
			errno = saved;
			return 0;
		}
	}
	if (v && !is_candidate(v, path, real, argv)) {
		errno = saved;
		return 0;
	}
	/* Nothing runs when the file is not there; execvp-style callers
	 * (python's subprocess among them) probe every PATH entry this way. */
	if (v && path && path[0] == '/' && access(path, F_OK) < 0 && (errno == ENOENT || errno == ENOTDIR)) {
		errno = saved;
		return 0;
	}
	char cwd[4096];
	if (!getcwd(cwd, sizeof cwd))
		il_memcpy(cwd, "/", 2);
	struct il_scratch sc;
	struct il_verdict verdict;
	int result = 0;
	if (!v || il_scratch_open(&sc, SCRATCH_SIZE) < 0) {
		verdict = (struct il_verdict){ .action = IL_DENY, .rule = -1, .rule_id = "fail-closed" };
		verdict.why = v ? "interlock has no memory to evaluate this command"
				: "the interlock session's rule set cannot be read (the session may have ended), so every command is refused";
		char line[1024];
		il_blocked_line(line, sizeof line, path ? path : "exec", &verdict, IL_ANS_RULE);
		il_say(line);
		errno = EACCES;
		return -1;
	}
	struct self_caller caller = { .v = v };
	struct il_exec_event ev = { path, argv, envp, cwd, il_sess.profile, self_caller, &caller, real,
				    (how & IL_EXEC_IN_CHILD) ? peek_stdin : 0, 0 };
	il_judge_exec(v, &ev, &sc.a, &verdict);
	if (verdict.action >= IL_CONFIRM && leave_to_shell(v, &verdict, path, real, argv))
		result = 0;
	else if (verdict.action >= IL_LOG)
		result = il_settle(v, &verdict, path, sc.text, IL_TEXT_SIZE);
	il_scratch_close(&sc);
	errno = result ? EACCES : saved;
	return result;
}
