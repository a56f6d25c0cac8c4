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
	l->v[l->n++] = (struct il_cmd){ il_basename(argv[0]), av, argc, cwd, layer, c->envp, c->stdin_text };
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

/* What earlier commands of one command line made, for the ones after:
 *
 * - a plan saved by `terraform plan -destroy -out=p` and applied later
 *   (`&& terraform apply p`): the apply does what the plan says, so it is
 *   read with the plan's options;
 * - a program file made by `ln -s /usr/bin/git g`, `cp /bin/rm zap`
 *   ([program] makes-program): running it (`./g reset --hard`) runs that
 *   program, and is judged as it too. At run time the exec hook follows a
 *   symlink itself; this is for the command line read before it runs, and
 *   for a copy, which no hook can tell from any other program. */
struct il_saved_plan {
	const char *prog, *file;
	const char **opts;
	int nopts;
	struct il_saved_plan *next;
};
struct il_prog_copy {
	const char *file, *program; /* absolute file made; the program it runs */
	struct il_prog_copy *next;
};
struct il_line_facts {
	struct il_saved_plan *plans;
	struct il_prog_copy *copies;
};

static struct il_line_facts *line_facts(struct il_peel_ctx *c)
{
	if (!c->line && (c->line = il_arena_alloc(c->a, sizeof *c->line)))
		*c->line = (struct il_line_facts){ 0 };
	return c->line;
}

/* The value of one of the options in list at argv[*i] (-out=p, -out p,
 * --out=p), else NULL; *i moves past a separate value. */
static const char *list_value(const char *list, const char **argv, int argc, int *i)
{
	const char *s = argv[*i];
	size_t n = 0;
	while (s[n] && s[n] != '=')
		n++;
	if (s[0] != '-' || !il_list_has(list, s, n))
		return 0;
	if (s[n] == '=')
		return s + n + 1;
	return *i + 1 < argc ? argv[++*i] : 0;
}

static const char **saved_plan(struct il_peel_ctx *c, const struct il_snap_prog *p, const char **argv, int *argc,
			       const char *cwd)
{
	const char *list = il_snap_str(c->snap, p->saved_plan_options);
	const char *prog = il_basename(argv[0]);
	const char **opts = il_arena_alloc(c->a, sizeof *opts * (size_t)*argc);
	int nopts = 0;
	const char *out = 0, *last = 0;
	for (int i = 1; opts && i < *argc; i++) {
		const char *v = list_value(list, argv, *argc, &i);
		if (v)
			out = v;
		else if (argv[i][0] == '-')
			opts[nopts++] = argv[i];
		else
			last = argv[i];
	}
	struct il_line_facts *lf = line_facts(c);
	if (out) {
		struct il_saved_plan *sp = il_arena_alloc(c->a, sizeof *sp);
		const char *file = il_path_abs(c->a, cwd, out);
		if (sp && file && lf) {
			*sp = (struct il_saved_plan){ prog, file, opts, nopts, lf->plans };
			lf->plans = sp;
		}
		return argv;
	}
	const char *file = last ? il_path_abs(c->a, cwd, last) : 0;
	for (const struct il_saved_plan *sp = lf ? lf->plans : 0; file && sp; sp = sp->next) {
		if (!il_streq(sp->prog, prog) || !il_streq(sp->file, file) || !sp->nopts)
			continue;
		const char **av = il_arena_alloc(c->a, sizeof *av * (size_t)(*argc + sp->nopts + 1));
		if (!av)
			return argv;
		il_memcpy(av, argv, sizeof *av * (size_t)*argc);
		il_memcpy(av + *argc, sp->opts, sizeof *av * (size_t)sp->nopts);
		*argc += sp->nopts;
		av[*argc] = 0;
		return av;
	}
	return argv;
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
			if (!*file)
				continue; /* find "": no such file, nothing found under it */
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

/* ln -s TARGET LINK, cp SRC DST: DST (or DST/ + SRC's name) runs SRC. */
static void note_copy(struct il_peel_ctx *c, const struct il_snap_prog *p, const char **argv, int argc,
		      const char *cwd)
{
	const char *vals = il_snap_str(c->snap, p->value_options);
	const char *ops[3];
	int n = 0, ddash = 0, symbolic = 0;
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (!ddash && il_streq(s, "--")) {
			ddash = 1;
		} else if (!ddash && s[0] == '-' && s[1]) {
			if (il_list_has(vals, s, il_strlen(s)))
				i++;
			/* ln -s: a relative target is relative to the link's directory */
			for (const char *q = s + 1; *q && s[1] != '-'; q++)
				symbolic |= *q == 's';
			symbolic |= il_streq(s, "--symbolic");
		} else if (n < 3) {
			ops[n++] = s;
		}
	}
	struct il_line_facts *lf = line_facts(c);
	if (n != 2 || !*ops[0] || !*ops[1] || !lf)
		return;
	const char *dst = ops[1];
	size_t dl = il_strlen(dst);
	if (dst[dl - 1] == '/') {
		const char *name = il_basename(ops[0]);
		size_t nl = il_strlen(name);
		char *d = il_arena_alloc(c->a, dl + nl + 1);
		if (!d)
			return;
		il_memcpy(d, dst, dl);
		il_memcpy(d + dl, name, nl + 1);
		dst = d;
	}
	struct il_prog_copy *pc = il_arena_alloc(c->a, sizeof *pc);
	const char *file = il_path_abs(c->a, cwd, dst);
	const char *from = cwd;
	if (file && symbolic && il_streq(il_basename(argv[0]), "ln")) {
		size_t fl = (size_t)(il_basename(file) - file);
		from = il_arena_strndup(c->a, file, fl > 1 ? fl - 1 : fl);
	}
	const char *src = from ? il_path_abs(c->a, from, ops[0]) : 0;
	if (pc && file && src) {
		*pc = (struct il_prog_copy){ file, src, lf->copies };
		lf->copies = pc;
	}
}

/* The program a file made earlier in the line runs, or NULL. */
static const char *copied_program(struct il_peel_ctx *c, const char *path, const char *cwd)
{
	int slash = 0;
	for (const char *q = path; *q && !slash; q++)
		slash = *q == '/';
	if (!slash || !c->line || !c->line->copies)
		return 0; /* a bare name is found on PATH, not in the line */
	const char *file = il_path_abs(c->a, cwd, path);
	for (const struct il_prog_copy *pc = c->line->copies; file && pc; pc = pc->next)
		if (il_streq(pc->file, file))
			return pc->program;
	return 0;
}

void il_peel(struct il_peel_ctx *c, const char **argv, int argc, const char *cwd, int layer)
{
	if (argc <= 0 || layer > MAX_LAYERS || c->budget-- <= 0 || c->a->failed)
		return;
	const struct il_snap_prog *p = il_snap_prog_for(c->snap, il_basename(argv[0]));
	struct il_snap_view *v = c->snap;
	const char *runs = copied_program(c, argv[0], cwd);
	if (runs && !il_streq(il_basename(runs), il_basename(argv[0]))) {
		const char **av = il_arena_alloc(c->a, sizeof *av * (size_t)(argc + 1));
		if (av) {
			il_memcpy(av, argv, sizeof *av * (size_t)argc);
			av[0] = runs;
			av[argc] = 0;
			il_peel(c, av, argc, cwd, layer);
		}
	}
	if (p && (p->flags & IL_T_MAKES_PROGRAM))
		note_copy(c, p, argv, argc, cwd);
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
		if (p && p->saved_plan_options != IL_NONE)
			argv = saved_plan(c, p, argv, &argc, ccwd ? ccwd : cwd);
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
	/* env X=1 cmd, sudo X=1 cmd: cmd runs with X set */
	int assign = i;
	if (p->flags & IL_T_ASSIGNMENTS)
		while (i < argc && il_is_assignment(argv[i]))
			i++;
	char *const *outer = c->envp;
	c->envp = il_env_with(c->a, c->envp, argv + assign, i - assign);
	i += (int)p->skip_operands;
	/* flock FILE -c CMD: options may follow the skipped operands. */
	if (p->skip_operands && i < argc && argv[i][0] == '-')
		i = read_options(c, &o, argv, argc, i, &ccwd, layer, &shell_flag);
	if (i < argc && (p->flags & IL_T_JOIN_COMMAND))
		join_and_parse(c, argv + i, argc - i, ccwd, layer);
	else if (i < argc)
		il_peel(c, argv + i, argc - i, ccwd, layer + 1);
	c->envp = outer;
}
