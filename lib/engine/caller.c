/* Which program a process is, for the rules that exempt programs by
 * name: exec rules' `unless-caller` (git runs `git reset --hard` itself to
 * fill the work tree `git worktree add` just made) and open rules'
 * `unless-program` (ssh reads its own key, npm its own ~/.npmrc).
 *
 * A process is named by its executable (/proc/PID/exe, which it cannot
 * rewrite), or when that is a script interpreter, by the script it runs:
 * the aws CLI is `python3 /usr/bin/aws`, npm is `node /usr/bin/npm`,
 * while `python3 myscript.py` is myscript.py and `python3 -c CODE` is
 * python3. A name is only worth something for a program that was there
 * before the agent: a file made or changed in this session (`cp /bin/cat
 * ./ssh`, a hard link, an edited script) names nothing, and neither does
 * a program whose environment loads other code into it (PYTHONPATH for
 * python, --require in NODE_OPTIONS for node).
 * Heap-free: it runs in exec and open hooks, possibly in a vfork child. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine_int.h"

int il_nul_split(char *buf, size_t n, const char **vec, int cap)
{
	int k = 0;
	for (size_t i = 0; i < n && k < cap - 1;) {
		vec[k++] = buf + i;
		while (i < n && buf[i])
			i++;
		i++;
	}
	if (n && buf[n - 1] && k > 0) /* cut short: the last string is partial */
		k--;
	if (cap > 0)
		vec[k] = 0;
	return k;
}

/* Born, linked or written after the session began (statx, following a
 * symlink to the file itself; a hard link made now bumps the file's
 * ctime, whatever its birth). Unknown counts as changed; without a
 * session start (the sessionless snapshot) nothing can be told. */
static int changed_in_session(const struct il_snap_view *v, const char *dir, const char *path)
{
	const struct il_snap_hdr *h = v->hdr;
	if (!h->del_since_sec)
		return 0;
	char buf[4096];
	if (path[0] != '/' && dir) {
		size_t dl = il_strlen(dir), pl = il_strlen(path);
		if (dl + pl + 2 > sizeof buf)
			return 1;
		il_memcpy(buf, dir, dl);
		buf[dl] = '/';
		il_memcpy(buf + dl + 1, path, pl + 1);
		path = buf;
	}
#if defined(SYS_statx) && defined(STATX_BTIME)
	struct statx sx;
	if (syscall(SYS_statx, AT_FDCWD, path, 0, STATX_BTIME | STATX_CTIME, &sx) < 0)
		return 1;
	const struct statx_timestamp *t[2] = { &sx.stx_ctime, (sx.stx_mask & STATX_BTIME) ? &sx.stx_btime : 0 };
	for (int i = 0; i < 2; i++)
		if (t[i] && ((uint64_t)t[i]->tv_sec > h->del_since_sec ||
			     ((uint64_t)t[i]->tv_sec == h->del_since_sec && t[i]->tv_nsec >= h->del_since_nsec)))
			return 1;
	return 0;
#else
	(void)path;
	return 0;
#endif
}

/* [program python3] for python3.11: a version suffix is not a program. */
static const struct il_snap_prog *versioned_prog(const struct il_snap_view *v, const char *name)
{
	const struct il_snap_prog *p = il_snap_prog_for(v, name);
	char base[128];
	size_t k = il_strlen(name);
	while (!p && k < sizeof base) {
		size_t j = k;
		while (j > 0 && name[j - 1] >= '0' && name[j - 1] <= '9')
			j--;
		if (j == k || j < 2 || name[j - 1] != '.')
			break;
		k = j - 1;
		il_memcpy(base, name, k);
		base[k] = 0;
		p = il_snap_prog_for(v, base);
	}
	return p;
}

/* Does the environment load code the program did not bring? code-env
 * holds globs over NAME=VALUE (PYTHONPATH=?*, NODE_OPTIONS=*--require*):
 * NODE_OPTIONS=--max-old-space-size=4096 loads nothing. LD_PRELOAD is
 * not looked at: stdbuf, fakeroot and sanitizers preload libraries of
 * their own, and a library written to read a token through its owner is
 * the work of a hostile agent, which a preload cannot stop anyway. */
static int loads_code(const struct il_snap_view *v, const struct il_snap_prog *p, char *const *envp)
{
	const char *globs = p ? il_snap_str(v, p->code_env) : 0;
	for (const char *s = globs; envp && s && *s;) {
		while (*s == ' ' || *s == '\t')
			s++;
		size_t n = 0;
		while (s[n] && s[n] != ' ' && s[n] != '\t')
			n++;
		char glob[256];
		if (n && n < sizeof glob) {
			il_memcpy(glob, s, n);
			glob[n] = 0;
			for (char *const *e = envp; *e; e++)
				if (il_glob_match(glob, *e))
					return 1;
		}
		s += n;
	}
	return 0;
}

/* The script an interpreter runs: its first operand, past options (those
 * in value-options take a value); NULL when it runs code given otherwise
 * (no-script-options: python -c, -m; a lone - is stdin). */
static const char *script_of(const struct il_snap_view *v, const struct il_snap_prog *p, const char *const *argv)
{
	const char *vals = il_snap_str(v, p->value_options), *none = il_snap_str(v, p->no_script_options);
	for (int i = 1; argv[i]; i++) {
		const char *s = argv[i];
		if (il_streq(s, "--"))
			return argv[i + 1];
		if (s[0] != '-')
			return s;
		if (!s[1])
			return 0;
		if (s[1] == '-') {
			size_t n = 0;
			while (s[n] && s[n] != '=')
				n++;
			if (il_list_has(none, s, n))
				return 0;
			if (!s[n] && il_list_has(vals, s, n) && argv[i + 1])
				i++;
			continue;
		}
		for (size_t j = 1; s[j]; j++) {
			char opt[3] = { '-', s[j], 0 };
			if (il_list_has(none, opt, 2))
				return 0;
			if (il_list_has(vals, opt, 2)) {
				if (!s[j + 1] && argv[i + 1])
					i++;
				break;
			}
		}
	}
	return 0;
}

const char *il_program_name(const struct il_snap_view *v, const char *exe, const char *const *argv,
			    char *const *envp, const char *dir)
{
	if (!v || !exe || !*exe || changed_in_session(v, 0, exe))
		return 0;
	const char *name = il_basename(exe);
	const struct il_snap_prog *p = versioned_prog(v, name);
	if (loads_code(v, p, envp))
		return 0;
	if (!p || !(p->flags & IL_T_INTERPRETER) || !argv || !argv[0])
		return name;
	const char *script = script_of(v, p, argv);
	if (!script || !*script)
		return name;
	return changed_in_session(v, dir, script) ? 0 : il_basename(script);
}

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
