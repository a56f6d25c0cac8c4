/* interlock's own files: the rule directories, the audit log, the session
 * directory, the compiled rules cache and the library (the wrapper writes their list into the
 * snapshot). No guarded process may create, change, delete or move them,
 * whatever the rules say: the preload's hooks and the --strict supervisor
 * both ask here. Every rename, and every open or delete of a name that
 * could be ours, passes through: both tests are a few compares for the
 * paths that are not. */
#include <string.h>

#include "engine_int.h"

/* The last two bytes of one of: .conf .jsonl .snap .so .sock interlock .d */
static int own_tail(char a, char z)
{
	return (a == 'n' && (z == 'f' || z == 'l')) || (a == 'a' && z == 'p') || (a == 's' && z == 'o') ||
	       (a == 'c' && z == 'k') || (a == '.' && z == 'd');
}

int il_own_file_base(const char *b, size_t n)
{
	if (n < 2 || !own_tail(b[n - 2], b[n - 1]))
		return 0;
	/* *.snap: a session's rules.snap, and the compiled rules kept for
	 * the next session (cli/commands/snap_cache.c, rules-KEY.snap) */
	return (n > 5 && (il_streq(b + n - 5, ".conf") || il_streq(b + n - 5, ".snap"))) || il_streq(b, "audit.jsonl") ||
	       il_streq(b, "libinterlock.so") || il_streq(b, "broker.sock") || il_streq(b, "rules.d") ||
	       il_streq(b, "interlock");
}

int il_own_file_name(const char *path)
{
	size_t n = il_strlen(path);
	if (n < 2 || !own_tail(path[n - 2], path[n - 1]))
		return 0;
	const char *b = il_basename(path);
	return il_own_file_base(b, il_strlen(b));
}

/* One pass over the list: each entry is compared with abs only as far as
 * they agree, and skipped with strchr where they part. */
int il_path_protected(const char *list, const char *abs, int ancestors)
{
	if (!list || !*list || !abs)
		return 0;
	if (ancestors && abs[0] == '/' && !abs[1])
		return 1; /* the root is above everything */
	const char *e = list;
	while (*e) {
		size_t k = 0;
		while (e[k] && e[k] != '\n' && abs[k] && e[k] == abs[k])
			k++;
		int entry_done = !e[k] || e[k] == '\n';
		/* abs at or below the entry: ENTRY, ENTRY/... (an entry that
		 * ends in / matches what follows it) */
		if (entry_done && k && (abs[k] == '/' || !abs[k] || e[k - 1] == '/'))
			return 1;
		/* abs above the entry: ABS/...ENTRY */
		if (ancestors && !abs[k] && k && e[k] == '/')
			return 1;
		const char *nl = entry_done ? e + k : strchr(e + k, '\n');
		if (!nl)
			break;
		e = *nl ? nl + 1 : nl;
		while (*e == '\n')
			e++;
	}
	return 0;
}
