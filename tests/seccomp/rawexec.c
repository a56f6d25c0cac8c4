/* rawexec PROG [ARG]...: execve(2) through syscall(2), the way a static or
 * Go program execs: no libc wrapper, so no LD_PRELOAD hook can see it. The
 * environment is stripped to PATH (no LD_PRELOAD, no session variables),
 * or kept with RAWEXEC_KEEP_ENV=1 (a static agent such as Codex CLI
 * spawning its shell with the session's environment), less the variable
 * RAWEXEC_UNSET names (no preload puts it back in a static program).
 * Exit: 126 EACCES, 38 ENOSYS (the supervisor is gone), 2 ENOENT, 1 other;
 * the failure is printed as "rawexec: execve PROG: ERRNAME". */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: rawexec PROG [ARG]...\n", stderr);
		return 1;
	}
	extern char **environ;
	char *envp[] = { "PATH=/usr/bin:/bin", 0 };
	const char *keep = getenv("RAWEXEC_KEEP_ENV"), *drop = getenv("RAWEXEC_UNSET");
	if (drop && *drop)
		unsetenv(drop);
	syscall(SYS_execve, argv[1], argv + 1, keep && !strcmp(keep, "1") ? environ : envp);
	int e = errno;
	fprintf(stderr, "rawexec: execve %s: %s\n", argv[1], strerrorname_np(e) ? strerrorname_np(e) : "?");
	return e == EACCES ? 126 : e == ENOSYS ? 38 : e == ENOENT ? 2 : 1;
}
