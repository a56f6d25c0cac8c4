/* probe WHAT: static checks of what the guarded tree can and cannot do
 * against the seccomp layer. Prints one word (an errno name or "ok") on
 * stdout, exits 0 unless the probe itself could not run.
 *   listener    install a second filter with a listener (expected EBUSY)
 *   suspend     PTRACE_O_SUSPEND_SECCOMP on a child (expected EPERM)
 *   tiocsti     TIOCSTI on fd 0 (expected EPERM)
 *   iouring     io_uring_setup (expected EPERM)
 *   status      the Seccomp: and NoNewPrivs: lines of /proc/self/status
 *   euid        the effective uid (a setuid copy shows whether it took effect)
 *   wait DIR PROG [ARG]...   write DIR/pid, wait for DIR/go, then execve
 *               PROG (raw) in a child that was forked before DIR/go
 *               appeared and print its errno name ("ok" if it ran) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PTRACE_O_SUSPEND_SECCOMP
#define PTRACE_O_SUSPEND_SECCOMP (1 << 21)
#endif

static int say(long r)
{
	puts(r < 0 ? strerrorname_np(errno) : "ok");
	return 0;
}

static int listener(void)
{
	struct sock_filter f[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	struct sock_fprog prog = { 1, f };
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	return say(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog));
}

static int suspend(void)
{
	pid_t c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	long r = ptrace(PTRACE_SEIZE, c, 0, (void *)(long)PTRACE_O_SUSPEND_SECCOMP);
	int e = errno;
	kill(c, SIGKILL);
	waitpid(c, 0, 0);
	errno = e;
	return say(r);
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, 0);
}

/* The child blocks in execve once DIR/go exists; the parent reports. */
static int wait_exec(const char *dir, char **argv)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/pid", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return 1;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	snprintf(path, sizeof path, "%s/go", dir);
	int p[2];
	if (pipe(p) < 0)
		return 1;
	pid_t c = fork();
	if (c == 0) {
		close(p[0]);
		while (access(path, F_OK) < 0)
			msleep(10);
		char *envp[] = { "PATH=/usr/bin:/bin", 0 };
		syscall(SYS_execve, argv[0], argv, envp);
		int e = errno;
		(void)!write(p[1], &e, sizeof e);
		_exit(1);
	}
	close(p[1]);
	int e = 0;
	ssize_t n;
	while ((n = read(p[0], &e, sizeof e)) < 0 && errno == EINTR)
		;
	waitpid(c, 0, 0);
	puts(n == (ssize_t)sizeof e ? strerrorname_np(e) : "ok");
	return 0;
}

int main(int argc, char **argv)
{
	const char *w = argc > 1 ? argv[1] : "";
	setvbuf(stdout, 0, _IONBF, 0);
	if (!strcmp(w, "listener"))
		return listener();
	if (!strcmp(w, "suspend"))
		return suspend();
	if (!strcmp(w, "tiocsti")) {
		char c = 'x';
		return say(ioctl(0, TIOCSTI, &c));
	}
	if (!strcmp(w, "iouring"))
		return say(syscall(SYS_io_uring_setup, 1, calloc(1, 256)));
	if (!strcmp(w, "status")) {
		char line[256];
		FILE *f = fopen("/proc/self/status", "r");
		while (f && fgets(line, sizeof line, f))
			if (!strncmp(line, "Seccomp:", 8) || !strncmp(line, "NoNewPrivs:", 11))
				fputs(line, stdout);
		return f ? 0 : 1;
	}
	if (!strcmp(w, "euid")) {
		printf("euid=%d\n", (int)geteuid());
		return 0;
	}
	if (!strcmp(w, "wait") && argc > 3)
		return wait_exec(argv[2], argv + 3);
	fputs("usage: probe listener|suspend|tiocsti|iouring|status|euid|wait DIR PROG [ARG]...\n", stderr);
	return 1;
}
