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

/* A list of [environment] globs, split once: every variable of the
 * environment meets every glob at each start, and most globs are a name
 * or `*_SUFFIX`, compared here without fnmatch. */
enum { G_NAME, G_SUFFIX, G_OTHER };
struct globs {
	int n;
	struct glob {
		const char *p;
		size_t k;
		int kind;
	} g[512];
};

static int wild(char c)
{
	return c == '*' || c == '?' || c == '[' || c == '\\';
}

static void split_globs(const char *list, struct globs *gl)
{
	gl->n = 0;
	for (const char *p = list; p && *p && gl->n < (int)(sizeof gl->g / sizeof gl->g[0]);) {
		p += strspn(p, " \t\n");
		size_t k = strcspn(p, " \t\n"), lit = 0;
		if (!k)
			break;
		while (lit < k && !wild(p[lit]))
			lit++;
		int kind = lit == k ? G_NAME : G_OTHER;
		if (p[0] == '*' && k > 1) {
			size_t i = 1;
			while (i < k && !wild(p[i]))
				i++;
			if (i == k)
				kind = G_SUFFIX;
		}
		gl->g[gl->n++] = (struct glob){ p, k, kind };
		p += k;
	}
}

static int glob_matches(const struct glob *g, const char *name, size_t n)
{
	switch (g->kind) {
	case G_NAME:
		return g->k == n && name[0] == g->p[0] && !memcmp(g->p, name, n);
	case G_SUFFIX:
		return n >= g->k - 1 && name[n - 1] == g->p[g->k - 1] && !memcmp(name + n - (g->k - 1), g->p + 1, g->k - 1);
	}
	char glob[256];
	if (g->k >= sizeof glob)
		return 0;
	memcpy(glob, g->p, g->k);
	glob[g->k] = 0;
	return !fnmatch(glob, name, 0);
}

static int matches(const struct globs *gl, const char *name)
{
	size_t n = strlen(name);
	for (int i = 0; i < gl->n; i++)
		if (glob_matches(&gl->g[i], name, n))
			return 1;
	return 0;
}

/* The three lists of a rule set. */
struct env_lists {
	struct globs keep, remove, password;
};

static void env_lists(const struct il_ruleset *rs, struct env_lists *l)
{
	split_globs(rs->env_keep, &l->keep);
	split_globs(rs->env_remove, &l->remove);
	split_globs(rs->env_remove_password, &l->password);
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

static int secret(const struct env_lists *l, const char *name, const char *value)
{
	if (matches(&l->keep, name))
		return 0;
	return matches(&l->remove, name) || (value && matches(&l->password, name) && url_with_password(value));
}

int il_env_secret(const struct il_ruleset *rs, const char *name, const char *value)
{
	struct env_lists l;
	env_lists(rs, &l);
	return secret(&l, name, value);
}

int il_env_removable(const struct il_ruleset *rs, const char *name)
{
	struct env_lists l;
	env_lists(rs, &l);
	return !matches(&l.keep, name) && (matches(&l.remove, name) || matches(&l.password, name));
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
	struct env_lists l;
	env_lists(rs, &l);
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		if (!eq || eq == environ[i])
			continue;
		char *name = strndup(environ[i], (size_t)(eq - environ[i]));
		if (!name)
			abort();
		if (secret(&l, name, eq + 1) && !passed(name, pass, npass))
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
