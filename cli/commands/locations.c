/* Where things are: rule directories, the preload library, the audit log.
 * interlock is relocatable: the library and the shipped rules are found
 * relative to the executable, both in a build tree and in an install. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

extern char **environ;

static char *xasprintf2(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 1;
	char *s = malloc(n);
	if (!s)
		abort();
	snprintf(s, n, "%s%s", a, b);
	return s;
}

static char *exe_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	if (n <= 0)
		return strdup(".");
	buf[n] = 0;
	char *slash = strrchr(buf, '/');
	if (slash)
		*slash = 0;
	return strdup(buf);
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static char *shipped_rules(void)
{
	char *dir = exe_dir();
	char *installed = xasprintf2(dir, "/" IL_REL_DATADIR "/rules.d");
	free(dir);
	if (is_dir(installed)) {
		char *real = realpath(installed, 0); /* bin/../share -> share, for messages */
		if (real) {
			free(installed);
			return real;
		}
		return installed;
	}
	free(installed);
	return strdup(IL_SOURCE_RULES_DIR);
}

static void push(char ***v, int *n, char *s)
{
	*v = realloc(*v, sizeof **v * (size_t)(*n + 2));
	if (!*v)
		abort();
	(*v)[(*n)++] = s;
	(*v)[*n] = 0;
}

char **il_rule_dirs(const struct il_opts *o)
{
	char **v = 0;
	int n = 0;
	push(&v, &n, 0);
	n = 0;
	const char *over = getenv("INTERLOCK_RULES_PATH");
	if (over && *over) {
		char *copy = strdup(over), *save = 0;
		for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(0, ":", &save))
			push(&v, &n, strdup(d));
		free(copy);
	} else {
		push(&v, &n, shipped_rules());
		push(&v, &n, strdup(IL_SYSCONFDIR "/interlock/rules.d"));
		const char *xdg = getenv("XDG_CONFIG_HOME");
		const char *home = getenv("HOME");
		if (xdg && *xdg)
			push(&v, &n, xasprintf2(xdg, "/interlock/rules.d"));
		else if (home && *home)
			push(&v, &n, xasprintf2(home, "/.config/interlock/rules.d"));
	}
	for (int i = 0; o && i < o->nrules; i++)
		push(&v, &n, strdup(o->rules[i]));
	return v;
}

void il_strv_free(char **v)
{
	for (int i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

char *il_library_path(void)
{
	const char *env = getenv("INTERLOCK_LIBRARY");
	if (env && *env)
		return realpath(env, 0);
	char *dir = exe_dir();
	const char *cands[] = { "/libinterlock.so", "/" IL_REL_LIBDIR "/libinterlock.so" };
	for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
		char *p = xasprintf2(dir, cands[i]);
		if (is_file(p)) {
			char *r = realpath(p, 0);
			free(p);
			free(dir);
			return r;
		}
		free(p);
	}
	free(dir);
	return 0;
}

char *il_audit_path(void)
{
	char buf[4096];
	if (!il_audit_default_path(environ, buf, sizeof buf)) /* the preload's own default */
		return xasprintf2("/tmp", "/.local/state/interlock/audit.jsonl");
	return xasprintf2(buf, "");
}

const char *il_program_path(const char *file, char *buf, size_t cap)
{
	if (strchr(file, '/'))
		return file;
	const char *path = getenv("PATH");
	if (!path)
		path = "/bin:/usr/bin";
	char *copy = strdup(path), *save = 0;
	const char *found = file;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(0, ":", &save)) {
		snprintf(buf, cap, "%s/%s", d, file);
		if (access(buf, X_OK) == 0 && is_file(buf)) {
			found = buf;
			break;
		}
	}
	free(copy);
	return found;
}

/* What no guarded process may change (newline-separated): every rule
 * directory in force and the standard ones even when overridden (a later
 * session would read them), the audit log, the session directory and the
 * library. */
char *il_protected_paths(const struct il_opts *o, const char *audit, const char *session_dir, const char *lib)
{
	char **dirs = il_rule_dirs(o);
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *user = xdg && *xdg ? xasprintf2(xdg, "/interlock") : xasprintf2(home && *home ? home : "/", "/.config/interlock");
	char *shipped = shipped_rules();
	/* the compiled rules the next session starts from (snap_cache.c) */
	char *cache = il_cache_dir();
	const char *extra[] = { IL_SYSCONFDIR "/interlock", user, shipped, audit, session_dir, lib, cache ? cache : "" };
	size_t n = 1;
	for (int i = 0; dirs[i]; i++) {
		char *real = realpath(dirs[i], 0);
		if (real) {
			free(dirs[i]);
			dirs[i] = real;
		}
		n += strlen(dirs[i]) + 1;
	}
	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
		n += strlen(extra[i]) + 1;
	char *s = malloc(n), *p = s;
	if (!s)
		abort();
	*p = 0;
	for (int i = 0; dirs[i]; i++)
		p += sprintf(p, "%s\n", dirs[i]);
	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
		p += sprintf(p, "%s\n", extra[i]);
	il_strv_free(dirs);
	free(user);
	free(shipped);
	free(cache);
	return s;
}

/* INTERLOCK_HOSTS names a hosts(5)-style file ("ADDRESS NAME...") whose
 * names the session resolves to those addresses: tests use it to give
 * loopback servers production-like names without touching /etc/hosts.
 * Read once by the wrapper; the agent cannot change it afterwards. Returns
 * "name address" lines, or NULL. */
char *il_pinned_hosts(void)
{
	const char *path = getenv("INTERLOCK_HOSTS");
	FILE *f = path && *path ? fopen(path, "r") : 0;
	if (!f)
		return 0;
	char *out = 0;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	char line[1024];
	while (m && fgets(line, sizeof line, f)) {
		char *save = 0, *addr = strtok_r(line, " \t\r\n", &save);
		if (!addr || addr[0] == '#')
			continue;
		for (char *name = strtok_r(0, " \t\r\n", &save); name && name[0] != '#';
		     name = strtok_r(0, " \t\r\n", &save))
			fprintf(m, "%s %s\n", name, addr);
	}
	fclose(f);
	if (m)
		fclose(m);
	return out;
}
