/* What `interlock run` takes out of the agent's environment before it
 * starts: a token there is a credential every guarded process holds
 * without opening anything, so no open rule could ever ask about it.
 *
 * [environment] names the variables by glob (`*_TOKEN`, `AWS_SECRET_*`),
 * because a list of names misses the next service's token (HF_TOKEN);
 * `remove-with-password` names variables removed only when their value is
 * a URL carrying a password (DATABASE_URL=postgres://u:pw@host/db), since
 * the same names usually hold harmless URLs. keep (the agent's own model
 * API keys) wins over both, and so does --pass-env. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

extern char **environ;

/* Does the glob g (k bytes, not terminated) match name? Most globs of
 * [environment] are a name or `*_SUFFIX`, compared here without fnmatch:
 * every variable of the environment meets every glob at each start. */
static int glob_matches(const char *g, size_t k, const char *name)
{
	size_t n = strlen(name);
	if (!memchr(g, '*', k) && !memchr(g, '?', k) && !memchr(g, '[', k) && !memchr(g, '\\', k))
		return k == n && !memcmp(g, name, n);
	if (g[0] == '*' && !memchr(g + 1, '*', k - 1) && !memchr(g + 1, '?', k - 1) && !memchr(g + 1, '[', k - 1) &&
	    !memchr(g + 1, '\\', k - 1))
		return n >= k - 1 && !memcmp(name + n - (k - 1), g + 1, k - 1);
	char glob[256];
	if (k >= sizeof glob)
		return 0;
	memcpy(glob, g, k);
	glob[k] = 0;
	return !fnmatch(glob, name, 0);
}

/* Does a word of list (space-separated globs) match name? */
static int matches(const char *list, const char *name)
{
	for (const char *p = list; p && *p;) {
		p += strspn(p, " \t");
		size_t k = strcspn(p, " \t");
		if (k && glob_matches(p, k, name))
			return 1;
		p += k;
	}
	return 0;
}

/* scheme://user:password@host...: a URL that carries a password (an
 * empty one, user:@host, carries none). */
static int url_with_password(const char *v)
{
	const char *s = strstr(v, "://");
	if (!s)
		return 0;
	s += 3;
	size_t auth = strcspn(s, "/?#@");
	if (s[auth] != '@')
		return 0;
	const char *colon = memchr(s, ':', auth);
	return colon && colon + 1 < s + auth;
}

static int passed(const char *name, const char *const *pass, int npass)
{
	for (int i = 0; i < npass; i++)
		if (!strcmp(pass[i], name))
			return 1;
	return 0;
}

int il_env_secret(const struct il_ruleset *rs, const char *name, const char *value)
{
	if (matches(rs->env_keep, name))
		return 0;
	return matches(rs->env_remove, name) ||
	       (value && matches(rs->env_remove_password, name) && url_with_password(value));
}

int il_env_removable(const struct il_ruleset *rs, const char *name)
{
	return !matches(rs->env_keep, name) &&
	       (matches(rs->env_remove, name) || matches(rs->env_remove_password, name));
}

void il_env_scrub(const struct il_ruleset *rs, const char *const *pass, int npass)
{
	char removed[2048] = "";
	size_t used = 0;
	int more = 0;
	/* collect first: unsetenv reshuffles environ under a walk */
	size_t n = 0;
	while (environ[n])
		n++;
	char **names = calloc(n + 1, sizeof *names);
	if (!names)
		abort(); /* never start the agent with the secrets left in */
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		if (!eq || eq == environ[i])
			continue;
		char *name = strndup(environ[i], (size_t)(eq - environ[i]));
		if (!name)
			abort();
		if (il_env_secret(rs, name, eq + 1) && !passed(name, pass, npass))
			names[k++] = name;
		else
			free(name);
	}
	for (size_t i = 0; i < k; i++) {
		unsetenv(names[i]);
		int w = snprintf(removed + used, sizeof removed - used, "%s%s", used ? ", " : "", names[i]);
		if (w > 0 && (size_t)w < sizeof removed - used)
			used += (size_t)w;
		else
			more = 1;
		free(names[i]);
	}
	free(names);
	if (k)
		fprintf(stderr, "interlock: removed from the guarded environment: %s%s (keep one with --pass-env NAME)\n",
			removed, more ? ", ..." : "");
}
