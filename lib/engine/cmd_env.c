/* A command's environment as a shell string or a wrapper sets it:
 * `TF_CLI_ARGS=-destroy terraform apply`, `export X=1; cmd`, `env X=1
 * cmd`, `sudo X=1 cmd`. Rules with `env =` read it (terraform takes
 * arguments from TF_CLI_ARGS), and so does `$X` in what follows. */
#include "engine_int.h"

int il_is_assignment(const char *s)
{
	size_t n = 0;
	while (s[n] == '_' || (s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
	       (n > 0 && s[n] >= '0' && s[n] <= '9'))
		n++;
	return n > 0 && s[n] == '=';
}

static size_t name_len(const char *s)
{
	size_t n = 0;
	while (s[n] && s[n] != '=')
		n++;
	return n;
}

/* Is e (NAME=...) set by one of the assignments? */
static int overridden(const char *e, const char *const *assign, int n)
{
	size_t l = name_len(e);
	for (int i = 0; i < n; i++)
		if (name_len(assign[i]) == l && il_strneq(assign[i], e, l))
			return 1;
	return 0;
}

char *const *il_env_with(struct il_arena *a, char *const *envp, const char *const *assign, int n)
{
	if (n <= 0)
		return envp;
	int m = 0;
	while (envp && envp[m])
		m++;
	char **out = il_arena_alloc(a, sizeof *out * (size_t)(n + m + 1));
	if (!out)
		return envp;
	int k = 0;
	for (int i = n - 1; i >= 0; i--) /* the last assignment of a name wins */
		if (!overridden(assign[i], assign + i + 1, n - i - 1))
			out[k++] = (char *)assign[i];
	for (int i = 0; i < m; i++)
		if (!overridden(envp[i], assign, n))
			out[k++] = envp[i];
	out[k] = 0;
	return out;
}
