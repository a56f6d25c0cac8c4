/* Notifications of waiting questions (notify.h). The wrapper has a
 * supervisor thread by the time a question comes, so everything the child
 * needs (argv, environment) is built before fork(): after it only
 * async-signal-safe calls until the exec. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "notify.h"

extern char **environ;

#define QUESTION_VARS 8

static int guarded_var(const char *e)
{
	return !strncmp(e, "INTERLOCK_SESSION=", 18) || !strncmp(e, "INTERLOCK_SNAPSHOT=", 19) ||
	       !strncmp(e, "INTERLOCK_PROFILE=", 18) || !strncmp(e, "INTERLOCK_QUESTION_", 19);
}

char **il_notify_env(void)
{
	size_t n = 0;
	while (environ[n])
		n++;
	/* room for the question's variables, filled in per question */
	char **env = calloc(n + QUESTION_VARS + 1, sizeof *env);
	if (!env)
		return 0;
	size_t k = QUESTION_VARS;
	for (size_t i = 0; i < n; i++)
		if (!guarded_var(environ[i]))
			env[k++] = strdup(environ[i]);
	env[k] = 0;
	return env;
}

void il_notify_env_free(char **env)
{
	for (size_t i = QUESTION_VARS; env && env[i]; i++)
		free(env[i]);
	free(env);
}

char *il_notify_default(void)
{
	if (!getenv("DBUS_SESSION_BUS_ADDRESS") && !getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY"))
		return 0;
	const char *path = getenv("PATH");
	char *copy = strdup(path ? path : "/usr/bin:/bin"), *save = 0, *found = 0;
	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(0, ":", &save)) {
		char buf[4096];
		snprintf(buf, sizeof buf, "%s/notify-send", d);
		if (access(buf, X_OK) == 0)
			found = strdup(buf);
	}
	free(copy);
	return found;
}

static char *var(const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value ? value : "") + 2;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s=%s", name, value ? value : "");
	return s;
}

/* In the child of fork(): detach, quiet stdio, exec. Signal-safe only. */
static void run_detached(const char *path, char *const *argv, char *const *envp)
{
	if (fork() != 0) /* the middle child: gone at once, so the wrapper reaps it now */
		_exit(0);
	setsid();
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0), dup2(null, 1), dup2(null, 2);
	}
	/* nothing of the wrapper's: the broker's sockets, the pty, the listener */
	syscall(SYS_close_range, 3, ~0U, 0);
	execve(path, argv, envp);
	_exit(127);
}

void il_notify_question(void *ctx, const struct il_broker_req *r)
{
	struct il_notify *n = ctx;
	if (!n || !n->env || (!n->command && !n->notify_send))
		return;
	const char *names[QUESTION_VARS] = { "INTERLOCK_QUESTION_ID",	   "INTERLOCK_QUESTION_SESSION",
					     "INTERLOCK_QUESTION_COMMAND", "INTERLOCK_QUESTION_WHY",
					     "INTERLOCK_QUESTION_RULE",	   "INTERLOCK_QUESTION_WORD",
					     "INTERLOCK_QUESTION_TARGET",  "INTERLOCK_QUESTION_CWD" };
	const char *values[QUESTION_VARS] = { r->id, n->session, r->command, r->why, r->rule, r->word, r->target, r->cwd };
	char **env = n->env;
	int ok = 1;
	for (int i = 0; i < QUESTION_VARS; i++)
		ok &= (env[i] = var(names[i], values[i])) != 0;
	char title[] = "interlock: a question is waiting";
	char body[1024];
	snprintf(body, sizeof body, "%s\n%.400s\ninterlock approve %s", r->id, r->command, r->id);
	char sh[] = "/bin/sh", dash_c[] = "-c", app[] = "-a", name[] = "interlock";
	char *argv_sh[] = { sh, dash_c, (char *)n->command, 0 };
	char *argv_ns[] = { (char *)n->notify_send, app, name, title, body, 0 };
	if (ok) {
		pid_t p = fork();
		if (p == 0)
			run_detached(n->command ? sh : n->notify_send, n->command ? argv_sh : argv_ns, env);
		if (p > 0)
			while (waitpid(p, 0, 0) < 0 && errno == EINTR)
				;
	}
	for (int i = 0; i < QUESTION_VARS; i++) {
		free(env[i]);
		env[i] = 0;
	}
}
