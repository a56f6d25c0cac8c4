/* posix_spawn, system and popen. glibc runs their child through an internal
 * execve (in a CLONE_VM child), so the decision has to be made here, in the
 * parent, before anything is started. */
#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "preload.h"

#define ENV_STR 8192

IL_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			  const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	if (il_check_exec(path, argv, envp) < 0)
		return EACCES;
	size_t slots = il_env_slots(envp);
	char *fixed[slots];
	char strbuf[ENV_STR];
	char *const *env = il_env_fix(envp, fixed, strbuf, sizeof strbuf);
	if (!il_next((void **)&il_real.posix_spawn, "posix_spawn"))
		return ENOSYS;
	return il_real.posix_spawn(pid, path, fa, attr, argv, env);
}

IL_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			   const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	char buf[4096], real_buf[4096];
	const char *real;
	int known;
	const char *path = il_search_path_real(file, buf, sizeof buf, real_buf, sizeof real_buf, &real, &known);
	if (il_check_exec_at(path, real, known ? IL_EXEC_KNOWN : IL_EXEC_UNKNOWN, argv, envp) < 0)
		return EACCES;
	size_t slots = il_env_slots(envp);
	char *fixed[slots];
	char strbuf[ENV_STR];
	char *const *env = il_env_fix(envp, fixed, strbuf, sizeof strbuf);
	/* Straight to the file the search found, as execvpe does (exec.c):
	 * glibc's walk would try every PATH directory before it in the
	 * child. Where that file fails as the walk would go on from,
	 * posix_spawnp itself decides. Not for a relative PATH entry: a
	 * chdir file action would move what it names. */
	if (path == buf && buf[0] == '/') {
		if (!il_next((void **)&il_real.posix_spawn, "posix_spawn"))
			return ENOSYS;
		int e = il_real.posix_spawn(pid, buf, fa, attr, argv, env);
		if (e != EACCES && e != ENOENT && e != ENOTDIR && e != ESTALE && e != ENODEV && e != ETIMEDOUT)
			return e;
	}
	if (!il_next((void **)&il_real.posix_spawnp, "posix_spawnp"))
		return ENOSYS;
	return il_real.posix_spawnp(pid, file, fa, attr, argv, env);
}

/* system() and popen() pass the process's own environ to /bin/sh. If the
 * program removed LD_PRELOAD from it, put it back so that the shell and what
 * it runs stay guarded. This is not a vfork context: setenv is fine. */
static void restore_environ(void)
{
	size_t slots = il_env_slots(environ);
	char *fixed[slots];
	char strbuf[ENV_STR];
	char *const *env = il_env_fix(environ, fixed, strbuf, sizeof strbuf);
	if (env == environ)
		return;
	for (size_t i = 0; env[i]; i++) {
		const char *e = env[i];
		const char *eq = e;
		while (*eq && *eq != '=')
			eq++;
		if (!*eq)
			continue;
		char name[64];
		size_t n = (size_t)(eq - e);
		if (n >= sizeof name || (n != 10 && !il_strneq(e, "INTERLOCK_", 10)))
			continue;
		if (n == 10 && !il_strneq(e, "LD_PRELOAD", 10))
			continue;
		il_memcpy(name, e, n);
		name[n] = 0;
		const char *cur = getenv(name);
		if (!cur || !il_streq(cur, eq + 1))
			setenv(name, eq + 1, 1);
	}
}

static int check_shell(const char *cmd)
{
	char *const argv[] = { "sh", "-c", (char *)cmd, 0 };
	return il_check_exec_at("/bin/sh", 0, IL_EXEC_KNOWN, argv, environ); /* judged as sh */
}

IL_EXPORT int system(const char *cmd)
{
	if (!il_next((void **)&il_real.system, "system")) {
		errno = ENOSYS;
		return -1;
	}
	if (!cmd)
		return il_real.system(cmd);
	if (check_shell(cmd) < 0)
		return 126 << 8; /* what sh reports for a command it cannot execute */
	restore_environ();
	return il_real.system(cmd);
}

IL_EXPORT FILE *popen(const char *cmd, const char *mode)
{
	if (!il_next((void **)&il_real.popen, "popen")) {
		errno = ENOSYS;
		return 0;
	}
	if (cmd && check_shell(cmd) < 0)
		return 0;
	restore_environ();
	return il_real.popen(cmd, mode);
}

/* fork: map the rule set in the parent before the child is made, so that
 * a shell's children inherit it instead of each mapping it again for its
 * exec (open, fstat, mmap, close and the page faults, per command). The
 * load takes no lock and allocates nothing. vfork is not wrapped: a vfork
 * child must not return through a frame of ours. */
static void *real_fork;

IL_EXPORT pid_t fork(void)
{
	pid_t (*fn)(void) = il_next(&real_fork, "fork");
	if (!fn) {
		errno = ENOSYS;
		return -1;
	}
	if (il_sess.active) {
		int saved = errno, broken;
		il_snapshot(&broken);
		errno = saved;
	}
	return fn();
}
