/* Runs git's read-only plumbing for a fact the index alone cannot give
 * (git_loss.c: what a reset, a clean or a branch -D would throw away). The
 * engine runs in hooks (preload), in the supervisor and in the CLI, so
 * this is raw system calls only: a child made with clone() that signals
 * nobody when it ends (no SIGCHLD for the host's handlers to reap), a
 * pipe for its output, execve of a fixed git binary with a fixed
 * environment.
 *
 * What the child is given, and why:
 *   - /usr/bin/git (or /bin/git), never a PATH search: a `git` the agent
 *     put first in PATH must not run outside the guard's view;
 *   - an environment of its own: no LD_PRELOAD (the preload would judge
 *     its own fact-finding), no GIT_DIR/GIT_WORK_TREE of the command (the
 *     caller refuses those cases), no global or system configuration
 *     (GIT_CONFIG_NOSYSTEM, GIT_CONFIG_GLOBAL=/dev/null), no optional
 *     locks (GIT_OPTIONAL_LOCKS=0: a fact never rewrites the index);
 *   - `-c core.fsmonitor=false`: a repository's config could name a
 *     program to run for it. The commands used (diff-index --cached,
 *     rev-parse, rev-list, clean --dry-run, stash list) read objects, refs
 *     and the index; none runs filters, hooks or diff drivers.
 * The child gets GIT_RUN_MS to answer, then it is killed and the fact is
 * unknown (the caller then assumes the worst). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine_int.h"

#define GIT_RUN_MS 5000
#define MAX_ARGS 48

static const char *git_binary(void)
{
	static const char *const where[] = { "/usr/bin/git", "/bin/git", "/usr/local/bin/git" };
	for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
		struct stat st;
		/* root's or the system's, not a file the user could have replaced */
		if (fstatat(AT_FDCWD, where[i], &st, 0) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0 &&
		    !(st.st_mode & 022))
			return where[i];
	}
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The child: stdout to the pipe, nothing else open that matters. */
static __attribute__((noreturn)) void child(const char *dir, const char *git, const char *const *argv, int out)
{
	static char *const envp[] = { "PATH=/usr/bin:/bin",
				      "LC_ALL=C",
				      "GIT_CONFIG_NOSYSTEM=1",
				      "GIT_CONFIG_GLOBAL=/dev/null",
				      "GIT_OPTIONAL_LOCKS=0",
				      "GIT_TERMINAL_PROMPT=0",
				      "GIT_NO_REPLACE_OBJECTS=1",
				      0 };
	long null = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		syscall(SYS_dup3, (int)null, 0, 0);
		syscall(SYS_dup3, (int)null, 2, 0);
	}
	syscall(SYS_dup3, out, 1, 0);
	if (syscall(SYS_chdir, dir) == 0)
		syscall(SYS_execve, git, argv, envp);
	syscall(SYS_exit_group, 127);
	__builtin_unreachable();
}

int il_git_run(const char *dir, const char *const *args, char *out, size_t cap, size_t *outlen)
{
	*outlen = 0;
	if (cap)
		out[0] = 0;
	const char *git = git_binary();
	if (!git || !dir)
		return -1;
	const char *argv[MAX_ARGS + 4] = { "git", "-c", "core.fsmonitor=false" };
	int argc = 3;
	for (int i = 0; args[i]; i++) {
		if (argc >= MAX_ARGS)
			return -1;
		argv[argc++] = args[i];
	}
	argv[argc] = 0;
	int saved = errno;
	int p[2];
	if (syscall(SYS_pipe2, p, O_CLOEXEC) < 0)
		return -1;
	/* like fork, but the end of the child signals nobody: only our wait4
	 * (with __WALL) sees it */
	long pid = syscall(SYS_clone, 0L, 0L, 0L, 0L, 0L);
	if (pid == 0)
		child(dir, git, argv, p[1]);
	syscall(SYS_close, p[1]);
	if (pid < 0) {
		syscall(SYS_close, p[0]);
		errno = saved;
		return -1;
	}
	long long deadline = now_ms() + GIT_RUN_MS;
	size_t n = 0;
	int timed_out = 0;
	for (;;) {
		long long left = deadline - now_ms();
		struct pollfd pf = { p[0], POLLIN, 0 };
		struct timespec ts = { left / 1000, (left % 1000) * 1000000 };
		if (left <= 0 || syscall(SYS_ppoll, &pf, 1L, &ts, 0L, 0L) == 0) {
			timed_out = 1;
			break;
		}
		char sink[512];
		char *to = n + 1 < cap ? out + n : sink;
		size_t room = n + 1 < cap ? cap - 1 - n : sizeof sink;
		long k = syscall(SYS_read, p[0], to, room);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		if (to == out + n)
			n += (size_t)k;
	}
	syscall(SYS_close, p[0]);
	if (timed_out)
		syscall(SYS_kill, pid, SIGKILL);
	int st = 0;
	while (syscall(SYS_wait4, pid, &st, __WALL, 0L) < 0 && errno == EINTR)
		;
	errno = saved;
	if (cap)
		out[n < cap ? n : cap - 1] = 0;
	*outlen = n;
	if (timed_out || !WIFEXITED(st) || n + 1 >= cap)
		return -1; /* no answer, or more than we can read: unknown */
	return WEXITSTATUS(st);
}
