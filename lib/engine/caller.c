/* The process making an exec, for exec rules' `unless-caller`: git runs
 * `git reset --hard` itself to fill the work tree that `git worktree add`
 * just made, and nothing is lost there. The caller is named as the rules
 * name programs: by its program's base name (from /proc/PID/exe, which the
 * process cannot rewrite) followed by its arguments (from its cmdline).
 * Heap-free: it runs in exec hooks, possibly in a vfork child. */
#include "engine_int.h"

int il_caller_split(char *cmdline, size_t n, const char *exe, const char **vec, int cap)
{
	if (cap < 2 || !exe || !*exe)
		return -1;
	int k = 0;
	vec[k++] = il_basename(exe);
	size_t i = 0;
	while (i < n && cmdline[i]) /* argv[0]: the program is named by exe */
		i++;
	for (i++; i < n && k < cap - 1;) {
		vec[k++] = cmdline + i;
		while (i < n && cmdline[i])
			i++;
		i++;
	}
	if (n && cmdline[n - 1] && k > 1) /* a cmdline cut short: its last word is partial */
		k--;
	vec[k] = 0;
	return k;
}

static int has_arg(const char *const *caller, const char *word)
{
	for (const char *const *a = caller + 1; *a; a++)
		if (il_streq(*a, word))
			return 1;
	return 0;
}

/* One pattern: "PROGRAM-GLOB WORD... !WORD..." — the program matches, the
 * words appear among its arguments in this order, and no !WORD is among
 * them (`git submodule--helper update !--force`). */
static int one_matches(const char *p, const char *end, const char *const *caller)
{
	char word[256];
	int first = 1;
	const char *const *a = caller + 1;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		size_t n = 0;
		while (p < end && *p != ' ' && *p != '\t') {
			if (n + 1 >= sizeof word)
				return 0;
			word[n++] = *p++;
		}
		if (!n)
			break;
		word[n] = 0;
		if (first) {
			if (!il_glob_match(word, caller[0]))
				return 0;
			first = 0;
			continue;
		}
		if (word[0] == '!') {
			if (has_arg(caller, word + 1))
				return 0;
			continue;
		}
		while (*a && !il_streq(*a, word))
			a++;
		if (!*a)
			return 0;
		a++;
	}
	return !first;
}

int il_caller_matches(const char *patterns, const char *const *caller)
{
	if (!patterns || !caller || !caller[0])
		return 0;
	for (const char *p = patterns; *p;) {
		const char *end = p;
		while (*end && *end != '\n')
			end++;
		if (one_matches(p, end, caller))
			return 1;
		p = *end ? end + 1 : end;
	}
	return 0;
}
