/* What `xargs CMD` at the end of a pipe runs CMD on, when the pipe starts
 * with a command that lists files: `find DIR TESTS | xargs rm` removes what
 * `find DIR TESTS -exec rm {} +` would, and `ls DIR | xargs rm -rf` what
 * `find DIR -mindepth 1 -maxdepth 1 -exec rm -rf {} +` would. Each xargs of
 * such a pipe is judged a second time as that find, so the find rules see
 * the delete whichever way it is spelled.
 *
 * Stages between the two pass the list on: grep, sort, head, sed, tr, awk,
 * `xargs grep -l`, `xargs ls -t` ... A grep that keeps matching lines (not
 * -v) or an `xargs grep -l` selects some of the files, as a find -name does;
 * the synthesized find then carries a -regex test. Anything else in
 * between (a command this does not know) ends the list: its output is not
 * the files any more. At run time the exec hook sees the real rm and its
 * real operands anyway; this is for `interlock check` and for the whole
 * line being judged before it runs. */
#include "engine_int.h"

static const char *const passing[] = { "grep", "egrep", "fgrep", "rg", "sort", "uniq", "head", "tail", "sed",
				       "awk", "gawk", "mawk", "tr", "cut", "cat", "tee", "perl", "tac", 0 };

static int in_list(const char *const *l, const char *w)
{
	for (int i = 0; l[i]; i++)
		if (il_streq(l[i], w))
			return 1;
	return 0;
}

/* Skips wrappers with flag options only (sudo, nice, nohup, time, env). */
static int skip_wrappers(const char **w, int n)
{
	static const char *const wr[] = { "sudo", "doas", "nice", "nohup", "time", "env", "command", 0 };
	int i = 0;
	while (i < n && in_list(wr, il_basename(w[i]))) {
		i++;
		while (i < n && w[i][0] == '-' && w[i][1] && !il_streq(w[i], "--"))
			i++;
		if (i < n && il_streq(w[i], "--"))
			i++;
	}
	return i;
}

/* grep PATTERN keeps the lines that match: a selection unless -v (or
 * -L, files without a match, for xargs grep). The pattern, when found. */
static int grep_selects(const char **w, int n, const char **pattern)
{
	*pattern = 0;
	int sel = 1, ddash = 0;
	for (int i = 1; i < n; i++) {
		const char *s = w[i];
		if (!ddash && il_streq(s, "--")) {
			ddash = 1;
		} else if (!ddash && s[0] == '-' && s[1]) {
			if (s[1] != '-')
				for (const char *p = s + 1; *p; p++)
					sel &= *p != 'v' && *p != 'L';
			else
				sel &= !il_streq(s, "--invert-match") && !il_streq(s, "--files-without-match");
			if ((il_streq(s, "-e") || il_streq(s, "--regexp")) && i + 1 < n)
				*pattern = w[++i];
		} else if (!*pattern) {
			*pattern = s;
		}
	}
	return sel;
}

/* xargs's own options; returns the index of its command (n: none) and the
 * replace string of -I/-i (NULL: the names are appended). */
static int xargs_command(const char **w, int n, int i, const char **replace)
{
	static const char *const vals[] = { "-a", "-d", "-E", "-I", "-L", "-n", "-P", "-s", "--arg-file",
					    "--delimiter", "--max-lines", "--max-args", "--max-procs",
					    "--max-chars", "--process-slot-var", 0 };
	*replace = 0;
	for (i++; i < n; i++) {
		const char *s = w[i];
		if (il_streq(s, "--"))
			return i + 1;
		if (s[0] != '-' || !s[1])
			return i;
		if (il_streq(s, "-I") && i + 1 < n) {
			*replace = w[++i];
		} else if (s[1] == 'I' && s[2]) {
			*replace = s + 2;
		} else if (il_streq(s, "-i") || il_streq(s, "--replace")) {
			*replace = "{}";
		} else if ((s[1] == 'i' && s[2]) || (il_strneq(s, "--replace=", 10))) {
			*replace = s[1] == 'i' ? s + 2 : s + 10;
		} else if (in_list(vals, s) && i + 1 < n) {
			i++;
		}
	}
	return n;
}

/* ls [OPTS] [DIR]: the find that lists the same names (one level, the
 * dot-files too when -a/-A; a glob operand is a -name test). NULL when ls
 * lists something else (-d: the operands themselves; several operands). */
static const char **ls_as_find(struct il_arena *a, const char **w, int n, int *out_n)
{
	const char *dir = ".", *name = 0;
	int nops = 0, recursive = 0;
	for (int i = 1; i < n; i++) {
		const char *s = w[i];
		if (s[0] == '-' && s[1]) {
			for (const char *p = s + 1; s[1] != '-' && *p; p++) {
				if (*p == 'd')
					return 0;
				recursive |= *p == 'R';
			}
			if (il_streq(s, "--directory"))
				return 0;
			recursive |= il_streq(s, "--recursive");
			continue;
		}
		if (++nops > 1)
			return 0;
		int glob = 0;
		for (const char *p = s; *p; p++)
			glob |= *p == '*' || *p == '?' || *p == '[';
		if (!glob) {
			dir = s;
			continue;
		}
		const char *base = il_basename(s);
		if (base != s) {
			char *d = il_arena_strndup(a, s, (size_t)(base - s) > 1 ? (size_t)(base - s) - 1 : 1);
			if (!d)
				return 0;
			dir = d;
		}
		name = base;
	}
	const char **f = il_arena_alloc(a, sizeof *f * 8);
	if (!f)
		return 0;
	int k = 0;
	f[k++] = "find";
	f[k++] = dir;
	f[k++] = "-mindepth";
	f[k++] = "1";
	if (!recursive) {
		f[k++] = "-maxdepth";
		f[k++] = "1";
	}
	if (name) {
		f[k++] = "-name";
		f[k++] = name;
	}
	*out_n = k;
	return f;
}

/* find WORDS [-regex P] -exec CMD ARGS {} + for `xargs CMD ARGS`. */
static void judge_as_find(struct il_peel_ctx *c, const struct il_pipe_src *src, const char **w, int n, int cmd,
			  const char *replace, const char *cwd, int layer)
{
	if (cmd >= n)
		return; /* xargs alone runs echo */
	int cap = src->n + (n - cmd) + 6;
	const char **f = il_arena_alloc(c->a, sizeof *f * (size_t)(cap + 1));
	if (!f)
		return;
	int k = 0;
	for (int i = 0; i < src->n; i++) {
		const char *s = src->words[i];
		/* find's own actions print the list; drop the ones that delete
		 * or run things, they are judged with find itself */
		if (il_streq(s, "-delete"))
			continue;
		f[k++] = s;
	}
	if (src->selected) {
		f[k++] = "-regex";
		f[k++] = src->pattern ? src->pattern : "(selected-in-the-pipe)";
	}
	f[k++] = "-exec";
	int replaced = 0;
	for (int i = cmd; i < n; i++) {
		if (replace && il_streq(w[i], replace)) {
			f[k++] = "{}";
			replaced = 1;
		} else {
			f[k++] = w[i];
		}
	}
	if (!replaced)
		f[k++] = "{}";
	f[k++] = replace ? ";" : "+";
	f[k] = 0;
	if (c->budget-- > 0)
		il_peel(c, f, k, src->cwd ? src->cwd : cwd, layer + 1);
}

void il_pipe_stage(struct il_peel_ctx *c, struct il_pipe_src *src, const char **words, int nwords, const char *cwd,
		   int layer, int to_pipe)
{
	int s = skip_wrappers(words, nwords);
	const char **w = words + s;
	int n = nwords - s;
	const char *prog = n > 0 ? il_basename(w[0]) : "";
	int keep = 0;
	if (n > 0 && src->words && il_streq(prog, "xargs")) {
		const char *replace;
		int cmd = xargs_command(w, n, 0, &replace);
		judge_as_find(c, src, w, n, cmd, replace, cwd, layer);
		const char *inner = cmd < n ? il_basename(w[cmd]) : "echo";
		const char *pat;
		if (il_streq(inner, "grep") || il_streq(inner, "egrep") || il_streq(inner, "fgrep")) {
			keep = 1;
			if (grep_selects(w + cmd, n - cmd, &pat))
				src->selected = 1, src->pattern = pat;
		}
		keep |= il_streq(inner, "ls") || il_streq(inner, "echo");
	} else if (n > 0 && src->words && in_list(passing, prog)) {
		const char *pat;
		keep = 1;
		if ((il_streq(prog, "grep") || il_streq(prog, "egrep") || il_streq(prog, "fgrep") ||
		     il_streq(prog, "rg")) &&
		    grep_selects(w, n, &pat))
			src->selected = 1, src->pattern = pat;
	}
	if (!to_pipe) {
		*src = (struct il_pipe_src){ 0 };
		return;
	}
	if (keep)
		return;
	*src = (struct il_pipe_src){ 0 };
	if (n > 0 && il_streq(prog, "find")) {
		/* find ... -exec grep -l PATTERN {} ; prints the files that
		 * contain PATTERN: a selection, as an xargs grep -l later is */
		int sel = 0;
		for (int i = 1; i + 1 < n; i++)
			if ((il_streq(w[i], "-exec") || il_streq(w[i], "-execdir")) &&
			    (il_streq(il_basename(w[i + 1]), "grep") || il_streq(il_basename(w[i + 1]), "egrep") ||
			     il_streq(il_basename(w[i + 1]), "fgrep"))) {
				const char *pat;
				int end = i + 1;
				while (end < n && !il_streq(w[end], ";") && !il_streq(w[end], "+"))
					end++;
				sel |= grep_selects(w + i + 1, end - i - 1, &pat);
			}
		*src = (struct il_pipe_src){ w, n, cwd, sel, 0 };
	} else if (n > 0 && il_streq(prog, "ls")) {
		int fn = 0;
		const char **f = ls_as_find(c->a, w, n, &fn);
		if (f)
			*src = (struct il_pipe_src){ f, fn, cwd, 0, 0 };
	}
}
