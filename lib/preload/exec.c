/* The exec family. glibc builds execv, execvp, execl* and fexecve on an
 * internal execve that a preload cannot see, so each entry point is hooked
 * here. These may run in a vfork child: stack memory only. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload.h"
#include "rawsys.h"

#define ENV_STR 8192

/* An exec the hooks judged (marked, see rawsys.h). */
static int sys_execve(const char *path, char *const argv[], char *const envp[])
{
	return (int)il_sysm(SYS_execve, (long)path, (long)argv, (long)envp, 0, 0);
}

/* The execve itself, with the environment re-injected. glibc's execve is
 * the bare system call; calling the kernel directly needs no lookup of it
 * in every process (dlsym cost about 4000 instructions at each start). */
static int do_execve(const char *path, char *const argv[], char *const envp[])
{
	size_t slots = il_env_slots(envp);
	char *fixed[slots];
	char strbuf[ENV_STR];
	char *const *env = il_env_fix(envp, fixed, strbuf, sizeof strbuf);
	return sys_execve(path, argv, env);
}

/* An exec of a file that is not there fails before reaching the kernel.
 * Programs that walk PATH themselves (python's subprocess, the exec*p
 * fallbacks) try every directory in turn; under the seccomp layer each
 * miss would be a round trip to the supervisor, and a lookup costs less
 * than a microsecond. Other errors are left to the kernel to report. */
static int exec_target_missing(const char *path)
{
	int saved = errno;
	if (path && *path && access(path, F_OK) < 0 && (errno == ENOENT || errno == ENOTDIR))
		return 1;
	errno = saved;
	return 0;
}

/* One readlinkat tells both: a missing file fails here (as above), and a
 * symlink is judged as the program it leads to (exec_real.c). */
IL_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	char real_buf[4096];
	int missing;
	const char *real = il_exec_real(path, 0, 0, real_buf, sizeof real_buf, &missing);
	if (missing) {
		errno = missing;
		return -1;
	}
	if (il_check_exec_at(path, real, IL_EXEC_IN_CHILD, argv, envp) < 0)
		return -1;
	return do_execve(path, argv, envp);
}

IL_EXPORT int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

/* What glibc's execvp family does with a file the kernel will not run
 * (ENOEXEC): hand it to /bin/sh as a script. */
static void exec_script(const char *path, char *const argv[], char *const env[])
{
	size_t argc = 0;
	while (argv && argv[argc])
		argc++;
	const char *sh_argv[argc + 3];
	sh_argv[0] = "/bin/sh";
	sh_argv[1] = path;
	for (size_t i = 1; i <= argc; i++)
		sh_argv[i + 1] = argv[i];
	sh_argv[argc ? argc + 1 : 2] = 0;
	/* not marked: the hooks judged the script, the supervisor judges sh */
	il_sys4(SYS_execve, (long)"/bin/sh", (long)sh_argv, (long)env, 0);
}

/* Errors after which glibc's PATH walk goes on to the next directory. */
static int walk_goes_on(int e)
{
	return e == EACCES || e == ENOENT || e == ESTALE || e == ENOTDIR || e == ENODEV || e == ETIMEDOUT;
}

/* glibc's execvpe walk, for what the direct exec in execvpe leaves: the
 * file it found failed in a way the walk goes on from. Every directory
 * is tried in order; EACCES is remembered and reported at the end. */
static int exec_walk(const char *file, char *const argv[], char *const env[])
{
	int eacces = 0, tried = 0, fits;
	char buf[4096];
	for (const char *d = il_path_dirs(); d;) {
		d = il_path_entry(d, file, buf, sizeof buf, &fits);
		if (!fits)
			continue;
		tried = 1;
		if (!exec_target_missing(buf)) /* else errno is ENOENT or ENOTDIR */
			sys_execve(buf, argv, env);
		if (errno == ENOEXEC)
			exec_script(buf, argv, env);
		if (errno == EACCES)
			eacces = 1;
		else if (!walk_goes_on(errno))
			return -1;
	}
	if (eacces)
		errno = EACCES;
	else if (!tried)
		errno = ENAMETOOLONG;
	return -1;
}

IL_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	if (!file || !*file) {
		errno = ENOENT;
		return -1;
	}
	char buf[4096], real_buf[4096];
	const char *real;
	int known;
	const char *path = il_search_path_real(file, buf, sizeof buf, real_buf, sizeof real_buf, &real, &known);
	if (il_check_exec_at(path, real, (known ? IL_EXEC_KNOWN : IL_EXEC_UNKNOWN) | IL_EXEC_IN_CHILD, argv, envp) < 0)
		return -1;
	size_t slots = il_env_slots(envp);
	char *fixed[slots];
	char strbuf[ENV_STR];
	char *const *env = il_env_fix(envp, fixed, strbuf, sizeof strbuf);
	if (path != buf) { /* a name with a slash, or nothing found */
		if (strchr(file, '/')) {
			sys_execve(file, argv, env);
			if (errno == ENOEXEC)
				exec_script(file, argv, env);
			return -1;
		}
		return exec_walk(file, argv, env);
	}
	/* Straight to the file the search found. glibc's walk would first
	 * try execve in every PATH directory before it, and under the seccomp
	 * layer each miss is a round trip to the supervisor (a compiler
	 * looking up `as` makes ten). */
	sys_execve(path, argv, env);
	if (errno == ENOEXEC)
		exec_script(path, argv, env);
	if (!walk_goes_on(errno))
		return -1;
	return exec_walk(file, argv, env);
}

IL_EXPORT int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

/* execl and friends: collect the variadic arguments into a stack argv. */
#define COLLECT_ARGS(arg0, ap, argv, extra)                                   \
	size_t n_ = 1;                                                         \
	va_list count_;                                                        \
	va_copy(count_, ap);                                                   \
	while (va_arg(count_, const char *))                                   \
		n_++;                                                          \
	va_end(count_);                                                        \
	const char *argv[n_ + 1];                                              \
	argv[0] = arg0;                                                        \
	for (size_t i_ = 1; i_ <= n_; i_++)                                    \
		argv[i_] = va_arg(ap, const char *);                          \
	extra

IL_EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	COLLECT_ARGS(arg, ap, argv, );
	va_end(ap);
	return execve(path, (char *const *)argv, environ);
}

IL_EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	COLLECT_ARGS(arg, ap, argv, );
	va_end(ap);
	return execvpe(file, (char *const *)argv, environ);
}

IL_EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	COLLECT_ARGS(arg, ap, argv, char *const *envp = va_arg(ap, char *const *););
	va_end(ap);
	return execve(path, (char *const *)argv, envp);
}

IL_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	if (fd < 0 || !argv || !envp) { /* glibc's own checks */
		errno = EINVAL;
		return -1;
	}
	char buf[4096];
	const char *path = il_fd_path(fd, buf, sizeof buf); /* the file itself: no link */
	if (il_check_exec_at(path ? path : "", 0, IL_EXEC_KNOWN | IL_EXEC_IN_CHILD, argv, envp) < 0)
		return -1;
	size_t slots = il_env_slots(envp);
	char *fixed[slots];
	char strbuf[ENV_STR];
	char *const *env = il_env_fix(envp, fixed, strbuf, sizeof strbuf);
	/* as glibc does it: execveat on the fd itself */
	return (int)il_sysm(SYS_execveat, fd, (long)"", (long)argv, (long)env, AT_EMPTY_PATH);
}

IL_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	char buf[4096];
	const char *resolved = path;
	if (path && path[0] != '/' && dirfd != AT_FDCWD) {
		const char *dir = il_fd_path(dirfd, buf, sizeof buf);
		size_t dl = dir ? il_strlen(dir) : 0, pl = il_strlen(path);
		if (dir && (!*path || (flags & AT_EMPTY_PATH))) {
			resolved = dir;
		} else if (dir && dl + pl + 2 <= sizeof buf) {
			buf[dl] = '/';
			il_memcpy(buf + dl + 1, path, pl + 1);
			resolved = buf;
		}
	}
	if (il_check_exec_at(resolved, 0, IL_EXEC_UNKNOWN | IL_EXEC_IN_CHILD, argv, envp) < 0)
		return -1;
	size_t slots = il_env_slots(envp);
	char *fixed[slots];
	char strbuf[ENV_STR];
	char *const *env = il_env_fix(envp, fixed, strbuf, sizeof strbuf);
	return (int)il_sysm(SYS_execveat, dirfd, (long)path, (long)argv, (long)env, flags);
}
