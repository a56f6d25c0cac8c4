/* interlock's own files: the rule directories, the audit log, the session
 * directory and the library (the wrapper writes their list into the
 * snapshot). No guarded process may create, change, delete or move them,
 * whatever the rules say: the preload's hooks and the --strict supervisor
 * both ask here. */
#include "engine_int.h"

int il_own_file_name(const char *path)
{
	const char *b = il_basename(path);
	size_t n = il_strlen(b);
	return (n > 5 && il_streq(b + n - 5, ".conf")) || il_streq(b, "audit.jsonl") || il_streq(b, "rules.snap") ||
	       il_streq(b, "libinterlock.so") || il_streq(b, "broker.sock") || il_streq(b, "rules.d") ||
	       il_streq(b, "interlock");
}

static int under(const char *path, const char *dir, size_t n)
{
	return n && il_strneq(path, dir, n) && (path[n] == '/' || path[n] == 0 || dir[n - 1] == '/');
}

/* Does dir (n bytes) lie at or below p? p is then one of its ancestors. */
static int above(const char *p, const char *dir, size_t n)
{
	size_t pn = il_strlen(p);
	if (pn == 1 && p[0] == '/')
		return 1;
	return pn <= n && il_strneq(dir, p, pn) && (dir[pn] == '/' || dir[pn] == 0);
}

int il_path_protected(const char *list, const char *abs, int ancestors)
{
	while (list && *list) {
		size_t n = 0;
		while (list[n] && list[n] != '\n')
			n++;
		if (under(abs, list, n) || (ancestors && above(abs, list, n)))
			return 1;
		list += n;
		while (*list == '\n')
			list++;
	}
	return 0;
}
