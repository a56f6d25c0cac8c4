/* A command's arguments as its rules must read them, which is not always
 * its argv:
 *
 * - A client reads options from config files too: curl from -K FILE and
 *   ~/.curlrc, wget from ~/.wgetrc and -e CMD ([program] config-options,
 *   config-line-options, config-files, config-format). Their options are
 *   spliced in where the client reads them, so `curl -K del.cfg URL` with
 *   `request = DELETE` in del.cfg is judged as `curl -K del.cfg --request
 *   DELETE URL`. `-K -` reads the command's standard input: a
 *   here-document on the command line, or what the host peeked at.
 * - find -exec CMD ARGS ; runs CMD: ARGS are CMD's (peel.c judges CMD on
 *   its own), so `find . -exec echo -delete ;` is not find's -delete. The
 *   view keeps -exec and CMD's name, which rules about `-exec rm` read.
 *
 * Heap-free; files are read with system calls no hook sees (client_int.h). */
#include "client_int.h"

#define VIEW_WORDS 1024 /* words a config adds, at most */

/* ~/REST or $VAR/REST, else path itself; NULL when HOME or VAR is unset. */
static const char *expand(struct il_arena *a, const char *path, size_t n, char *const *envp)
{
	const char *val = 0;
	size_t skip = 0;
	if (path[0] == '~' && (n == 1 || path[1] == '/')) {
		val = il_env_get(envp, "HOME");
		skip = 1;
	} else if (path[0] == '$') {
		char name[64];
		size_t k = 1;
		while (k < n && path[k] != '/' && k < sizeof name)
			k++;
		if (k - 1 >= sizeof name)
			return 0;
		il_memcpy(name, path + 1, k - 1);
		name[k - 1] = 0;
		val = il_env_get(envp, name);
		skip = k;
	} else {
		return il_arena_strndup(a, path, n);
	}
	if (!val || !*val)
		return 0;
	size_t vl = il_strlen(val);
	char *out = il_arena_alloc(a, vl + (n - skip) + 1);
	if (!out)
		return 0;
	il_memcpy(out, val, vl);
	il_memcpy(out + vl, path + skip, n - skip);
	out[vl + n - skip] = 0;
	return out;
}

/* config-files: each space-separated entry is read when it is there; an
 * entry a|b|c is the first of its alternatives that is (curl reads only
 * the first .curlrc it finds). */
static int default_configs(struct il_arena *a, const char *files, const char *format, char *const *envp,
			   const char **w, int n, int cap)
{
	for (const char *p = files; *p;) {
		while (*p == ' ' || *p == '\t')
			p++;
		const char *e = p;
		while (*e && *e != ' ' && *e != '\t')
			e++;
		for (const char *alt = p; alt < e;) {
			const char *ae = alt;
			while (ae < e && *ae != '|')
				ae++;
			const char *path = ae > alt ? expand(a, alt, (size_t)(ae - alt), envp) : 0;
			const char *text = path && path[0] == '/' ? il_read_small_file(a, "/", path) : 0;
			if (text) {
				n = il_config_words(a, format, text, w, n, cap);
				break;
			}
			alt = ae < e ? ae + 1 : ae;
		}
		p = e;
	}
	return n;
}

static const char *stdin_of(struct il_arena *a, const struct il_cmd *cmd, const struct il_exec_event *ev)
{
	if (cmd->stdin_text || cmd->layer != 0 || !ev || !ev->stdin_peek)
		return cmd->stdin_text;
	char *buf = il_arena_alloc(a, IL_FILE_MAX + 1);
	long n = buf ? ev->stdin_peek(ev->stdin_ctx, buf, IL_FILE_MAX) : -1;
	if (n < 0)
		return 0;
	buf[n] = 0;
	return buf;
}

/* The value of an option in list at argv[*i] (attached, or the next
 * argument, which is copied to w as well); NULL when a is no such option. */
static const char *take_value(const char *list, const struct il_cmd *cmd, int *i, const char **w, int *n,
			      int cap, int *is_opt)
{
	const char *at;
	*is_opt = list && il_option_value(list, cmd->argv[*i], &at);
	if (!*is_opt)
		return 0;
	if (*n < cap)
		w[(*n)++] = cmd->argv[*i];
	if (at)
		return at;
	if (*i + 1 >= cmd->argc)
		return 0;
	++*i;
	if (*n < cap)
		w[(*n)++] = cmd->argv[*i];
	return cmd->argv[*i];
}

const struct il_cmd *il_cmd_view(struct il_arena *a, const struct il_snap_view *v, const struct il_cmd *cmd,
				 const struct il_exec_event *ev)
{
	const struct il_snap_prog *p = il_snap_prog_for(v, cmd->name);
	if (!p)
		return cmd;
	const char *cfg = il_snap_str(v, p->config_options), *line = il_snap_str(v, p->config_line_options);
	const char *files = il_snap_str(v, p->config_files), *format = il_snap_str(v, p->config_format);
	const char *execs = il_snap_str(v, p->exec_options), *data = il_snap_str(v, p->data_options);
	if (!cfg && !line && !files && !execs && !data)
		return cmd;
	char *const *envp = cmd->envp ? cmd->envp : ev ? ev->envp : 0;
	int cap = cmd->argc + VIEW_WORDS;
	const char **w = il_arena_alloc(a, sizeof *w * (size_t)(cap + 1));
	if (!w)
		return cmd;
	const char *in = 0;
	int n = 0, changed = 0, ddash = 0;
	w[n++] = cmd->argv[0];
	/* curl -q (--disable) as the first argument: no .curlrc */
	int skip_files = format && il_streq(format, "curl") && cmd->argc > 1 &&
			 (il_streq(cmd->argv[1], "-q") || il_streq(cmd->argv[1], "--disable"));
	if (files && !skip_files)
		n = default_configs(a, files, format, envp, w, n, cap);
	for (int i = 1; i < cmd->argc; i++) {
		const char *s = cmd->argv[i], *val;
		int is_opt;
		if (ddash || il_streq(s, "--")) {
			ddash = 1;
		} else if (execs && il_list_has(execs, s, il_strlen(s))) {
			/* -exec CMD ARGS ;  ->  -exec CMD ; */
			if (n < cap)
				w[n++] = s;
			if (i + 1 < cmd->argc && n < cap)
				w[n++] = cmd->argv[++i];
			while (i + 1 < cmd->argc && !il_streq(cmd->argv[i + 1], ";") && !il_streq(cmd->argv[i + 1], "+"))
				i++, changed = 1;
			continue;
		} else if ((val = take_value(cfg, cmd, &i, w, &n, cap, &is_opt)) || is_opt) {
			const char *text = !val ? 0 : il_streq(val, "-") ? (in = stdin_of(a, cmd, ev)) : il_read_small_file(a, cmd->cwd, val);
			int before = n;
			n = il_config_words(a, format, text, w, n, cap);
			changed |= n != before;
			continue;
		} else if ((val = take_value(line, cmd, &i, w, &n, cap, &is_opt)) || is_opt) {
			int before = n;
			n = il_config_words(a, format, val, w, n, cap);
			changed |= n != before;
			continue;
		} else if (data) {
			const char *at;
			if (il_option_value(data, s, &at) &&
			    ((at && il_streq(at, "@-")) || (!at && i + 1 < cmd->argc && il_streq(cmd->argv[i + 1], "@-"))))
				in = stdin_of(a, cmd, ev);
		}
		if (n < cap)
			w[n++] = s;
	}
	changed |= n != cmd->argc || in != cmd->stdin_text;
	if (!changed)
		return cmd;
	w[n] = 0;
	struct il_cmd *view = il_arena_alloc(a, sizeof *view);
	if (!view)
		return cmd;
	*view = *cmd;
	view->argv = w;
	view->argc = n;
	view->stdin_text = in ? in : cmd->stdin_text;
	return view;
}

int il_cmd_statements(struct il_arena *a, const struct il_snap_view *v, const struct il_cmd *cmd,
		      const struct il_exec_event *ev, const char **out, int cap)
{
	const struct il_snap_prog *p = il_snap_prog_for(v, cmd->name);
	if (!p)
		return 0;
	int n = 0;
	const char *files = il_snap_str(v, p->statement_file_options);
	for (int i = 1; files && i < cmd->argc && n < cap; i++) {
		if (il_streq(cmd->argv[i], "--"))
			break;
		const char *at;
		if (!il_option_value(files, cmd->argv[i], &at))
			continue;
		const char *name = at ? at : i + 1 < cmd->argc ? cmd->argv[++i] : 0;
		const char *text = !name ? 0 : il_streq(name, "-") ? stdin_of(a, cmd, ev) : il_read_small_file(a, cmd->cwd, name);
		if (text && *text)
			out[n++] = text;
	}
	if ((p->flags & IL_T_STDIN_STATEMENTS) && n < cap) {
		const char *in = stdin_of(a, cmd, ev);
		if (in && *in)
			out[n++] = in;
	}
	return n;
}
