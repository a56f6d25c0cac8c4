/* Peeling: turning one exec into the list of commands it really runs.
 * `sudo env -i nice rm -rf /` is four layers; every layer is matched, so a
 * rule about rm sees the rm however it was wrapped. How each program wraps
 * comes from its [program NAME] traits, not from code. */
#include "engine_int.h"

#define MAX_LAYERS 16

int il_cmdlist_add(struct il_peel_ctx *c, const char **argv, int argc, const char *cwd, int layer)
{
	struct il_cmdlist *l = c->out;
	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 8;
		struct il_cmd *v = il_arena_alloc(c->a, sizeof *v * (size_t)cap);
		if (!v)
			return -1;
		for (int i = 0; i < l->n; i++)
			v[i] = l->v[i];
		l->v = v;
		l->cap = cap;
	}
	/* argv must be NULL-terminated for the matcher; copy the pointers. */
	const char **av = il_arena_alloc(c->a, sizeof(char *) * (size_t)(argc + 1));
	if (!av)
		return -1;
	for (int i = 0; i < argc; i++)
		av[i] = argv[i];
	av[argc] = 0;
	l->v[l->n++] = (struct il_cmd){ il_basename(argv[0]), av, argc, cwd, layer };
	return 0;
}

/* Value of an option at argv[*i] whose name is n bytes long: attached
 * (`--chdir=DIR`, `-CDIR`) or the next argument. */
static const char *option_value(const char **argv, int argc, int *i, const char *s, size_t n)
{
	if (s[n] == '=')
		return s + n + 1;
	if (s[1] != '-' && s[n])
		return s + n;
	if (*i + 1 < argc)
		return argv[++*i];
	return 0;
}

struct opt_lists {
	const char *value, *chdir, *shell;
	int single_long;
};

enum opt_kind { OPT_FLAG, OPT_VALUE, OPT_CHDIR, OPT_SHELL };

static enum opt_kind classify(const struct opt_lists *o, const char *name, size_t n)
{
	if (il_list_has(o->chdir, name, n))
		return OPT_CHDIR;
	if (il_list_has(o->shell, name, n) && il_list_has(o->value, name, n))
		return OPT_SHELL;
	if (il_list_has(o->value, name, n))
		return OPT_VALUE;
	return OPT_FLAG;
}

/* Reads options from argv[*i] on. Stops at the first operand when
 * stop_at_operand (wrappers: what follows is the command). Applies chdir
 * options to *cwd and parses shell-string options. Returns the index of the
 * first operand (or argc), and sets *shell_flag if a shell flag such as sh's
 * -c was seen. */
static int read_options(struct il_peel_ctx *c, const struct opt_lists *o, const char **argv, int argc,
			int start, const char **cwd, int layer, int *shell_flag)
{
	int i;
	for (i = start; i < argc; i++) {
		const char *s = argv[i];
		if (s[0] != '-' || !s[1])
			return i;
		if (s[1] == '-' && !s[2])
			return i + 1;
		size_t n;
		if (s[1] == '-' || o->single_long) {
			n = 0;
			while (s[n] && s[n] != '=')
				n++;
		} else {
			/* Short cluster: walk letters until one takes a value. */
			n = 0;
			for (size_t j = 1; s[j]; j++) {
				char opt[3] = { '-', s[j], 0 };
				if (classify(o, opt, 2) != OPT_FLAG) {
					n = j + 1;
					s = argv[i];
					break;
				}
				if (il_list_has(o->shell, opt, 2))
					*shell_flag = 1;
			}
			if (!n)
				continue;
			/* The letter at n-1 takes a value: the rest or the next argument. */
			char opt[3] = { '-', s[n - 1], 0 };
			enum opt_kind k = classify(o, opt, 2);
			const char *v = s[n] ? s + n : (i + 1 < argc ? argv[++i] : 0);
			if (v && k == OPT_CHDIR)
				*cwd = il_path_abs(c->a, *cwd, v);
			else if (v && k == OPT_SHELL && c->budget-- > 0)
				il_shell_parse(c, v, *cwd, layer + 1);
			continue;
		}
		enum opt_kind k = classify(o, s, n);
		if (k == OPT_FLAG) {
			if (il_list_has(o->shell, s, n))
				*shell_flag = 1;
			continue;
		}
		const char *v = option_value(argv, argc, &i, s, n);
		if (v && k == OPT_CHDIR)
			*cwd = il_path_abs(c->a, *cwd, v);
		else if (v && k == OPT_SHELL && c->budget-- > 0)
			il_shell_parse(c, v, *cwd, layer + 1);
	}
	return i;
}

static int is_assignment(const char *s)
{
	size_t n = 0;
	while (s[n] == '_' || (s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
	       (n > 0 && s[n] >= '0' && s[n] <= '9'))
		n++;
	return n > 0 && s[n] == '=';
}

static void join_and_parse(struct il_peel_ctx *c, const char **argv, int argc, const char *cwd, int layer)
{
	size_t len = 1;
	for (int k = 0; k < argc; k++)
		len += il_strlen(argv[k]) + 1;
	char *s = il_arena_alloc(c->a, len);
	if (!s)
		return;
	size_t o = 0;
	for (int k = 0; k < argc; k++) {
		size_t l = il_strlen(argv[k]);
		il_memcpy(s + o, argv[k], l);
		o += l;
		s[o++] = ' ';
	}
	s[o] = 0;
	il_shell_parse(c, s, cwd, layer + 1);
}

/* find DIR... -exec CMD ARGS {} ; -- {} is each file found under each
 * starting point. Without tests that select files by name, time or type,
 * that includes the starting point itself, so {} is judged as it; with
 * such tests, as something strictly inside it. */
static void peel_exec_options(struct il_peel_ctx *c, const struct il_snap_prog *p, const char **argv, int argc,
			      const char *cwd, int layer)
{
	struct il_snap_view *v = c->snap;
	const char *execopts = il_snap_str(v, p->exec_options);
	const char *leadopts = il_snap_str(v, p->leading_options);
	const char *valopts = il_snap_str(v, p->value_options);
	const char *filters = il_snap_str(v, p->filter_options);
	int i = 1;
	while (i < argc && argv[i][0] == '-' && il_leading_option(leadopts, argv[i]))
		i += (il_list_has(valopts, argv[i], il_strlen(argv[i])) && i + 1 < argc) ? 2 : 1;
	int first = i, nlead = 0;
	while (first + nlead < argc && argv[first + nlead][0] != '-' && argv[first + nlead][0] != '(' &&
	       argv[first + nlead][0] != '!')
		nlead++;
	static const char *const dot[] = { "." };
	const char *const *lead = nlead ? argv + first : dot;
	if (!nlead)
		nlead = 1;
	int filtered = 0;
	for (int k = first; k < argc; k++)
		if (il_list_has(filters, argv[k], il_strlen(argv[k])))
			filtered = 1;
	for (i = first; i < argc; i++) {
		if (!il_list_has(execopts, argv[i], il_strlen(argv[i])))
			continue;
		int start = i + 1, end = start;
		while (end < argc && !il_streq(argv[end], ";") && !il_streq(argv[end], "+"))
			end++;
		for (int t = 0; end > start && t < nlead && c->budget-- > 0; t++) {
			const char *file = lead[t];
			if (filtered) {
				size_t n = il_strlen(lead[t]);
				char *inside = il_arena_alloc(c->a, n + 4);
				if (!inside)
					return;
				il_memcpy(inside, lead[t], n);
				il_memcpy(inside + n, "/{}", 4);
				file = inside;
			}
			const char **av = il_arena_alloc(c->a, sizeof(char *) * (size_t)(end - start + 1));
			if (!av)
				return;
			for (int k = start; k < end; k++)
				av[k - start] = il_streq(argv[k], "{}") ? file : argv[k];
			il_peel(c, av, end - start, cwd, layer + 1);
		}
		i = end;
	}
}

void il_peel(struct il_peel_ctx *c, const char **argv, int argc, const char *cwd, int layer)
{
	if (argc <= 0 || layer > MAX_LAYERS || c->budget-- <= 0 || c->a->failed)
		return;
	const struct il_snap_prog *p = il_snap_prog_for(c->snap, il_basename(argv[0]));
	struct il_snap_view *v = c->snap;
	struct opt_lists o = { 0 };
	if (p) {
		o.value = il_snap_str(v, p->value_options);
		o.chdir = il_snap_str(v, p->chdir_options);
		o.shell = il_snap_str(v, p->shell_options);
		o.single_long = (p->flags & IL_T_SINGLE_DASH_LONG) != 0;
	}
	if (!p || !(p->flags & (IL_T_WRAPPER | IL_T_APPLET))) {
		/* An ordinary program: its own chdir options (git -C) apply to
		 * it; shell strings and -exec commands inside are peeled. */
		const char *ccwd = cwd;
		int shell_flag = 0;
		if (p && (o.chdir || o.shell)) {
			/* Options may follow operands: scan every argument. */
			for (int i = 1; i < argc;) {
				int next = read_options(c, &o, argv, argc, i, &ccwd, layer, &shell_flag);
				if (next < argc && next > 0 && il_streq(argv[next - 1], "--"))
					break;
				if (shell_flag && next < argc) {
					if (c->budget-- > 0)
						il_shell_parse(c, argv[next], ccwd, layer + 1);
					shell_flag = 0;
					break; /* sh -c STRING: the rest are $0 $1 ... */
				}
				i = next + 1;
			}
		}
		il_cmdlist_add(c, argv, argc, ccwd ? ccwd : cwd, layer);
		if (p && p->exec_options != IL_NONE)
			peel_exec_options(c, p, argv, argc, ccwd, layer);
		/* git aliases (git_alias.c): `git undo` may be `git reset --hard` */
		if (il_streq(il_basename(argv[0]), "git"))
			il_git_alias_peel(c, argv, argc, cwd, ccwd, layer);
		return;
	}
	il_cmdlist_add(c, argv, argc, cwd, layer);
	if (p->flags & IL_T_APPLET) {
		if (argc > 1)
			il_peel(c, argv + 1, argc - 1, cwd, layer + 1);
		return;
	}
	int i = 1;
	const char *subs = il_snap_str(v, p->subcommands);
	if (subs) {
		if (argc < 2 || !il_list_has(subs, argv[1], il_strlen(argv[1])))
			return;
		i = 2;
	}
	int shell_flag = 0;
	const char *ccwd = cwd;
	i = read_options(c, &o, argv, argc, i, &ccwd, layer, &shell_flag);
	if (p->flags & IL_T_ASSIGNMENTS)
		while (i < argc && is_assignment(argv[i]))
			i++;
	i += (int)p->skip_operands;
	/* flock FILE -c CMD: options may follow the skipped operands. */
	if (p->skip_operands && i < argc && argv[i][0] == '-')
		i = read_options(c, &o, argv, argc, i, &ccwd, layer, &shell_flag);
	if (i >= argc)
		return;
	if (p->flags & IL_T_JOIN_COMMAND)
		join_and_parse(c, argv + i, argc - i, ccwd, layer);
	else
		il_peel(c, argv + i, argc - i, ccwd, layer + 1);
}
