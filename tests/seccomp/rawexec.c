/* rawexec PROG [ARG]...: execve(2) through syscall(2), the way a static or
 * Go program execs: no libc wrapper, so no LD_PRELOAD hook can see it. The
 * environment is stripped to PATH (no LD_PRELOAD, no session variables).
 * Exit: 126 EACCES, 38 ENOSYS (the supervisor is gone), 2 ENOENT, 1 other;
 * the failure is printed as "rawexec: execve PROG: ERRNAME". */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: rawexec PROG [ARG]...\n", stderr);
		return 1;
	}
	char *envp[] = { "PATH=/usr/bin:/bin", 0 };
	syscall(SYS_execve, argv[1], argv + 1, envp);
	int e = errno;
	fprintf(stderr, "rawexec: execve %s: %s\n", argv[1], strerrorname_np(e) ? strerrorname_np(e) : "?");
	return e == EACCES ? 126 : e == ENOSYS ? 38 : e == ENOENT ? 2 : 1;
}
