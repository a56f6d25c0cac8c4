/* Deciding one exec: peel it into commands, match every command against
 * the rules that name its program, keep the strictest verdict. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "decide_int.h"



/* Per-command facts computed on first use. */
struct cmdinfo {
	const struct il_cmd *cmd;
	int scanned;
	struct il_argscan scan;
	const char *words; /* operands joined */
	const char *args;  /* argv[1..] joined, request data read from its files */
	const char **argv; /* argv, the same (il_request_data_argv) */
	int argc;          /* of argv: config files add words (il_cmd_view) */
	const char *stmts[4]; /* statements read from stdin or files, as arguments (il_cmd_statements) */
	int nstmts;
};

static const char *join(struct il_arena *a, const char *const *v, int n)
{
	size_t len = 1;
	for (int i = 0; i < n; i++)
		len += il_strlen(v[i]) + 1;
	char *s = il_arena_alloc(a, len);
	if (!s)
		return "";
	size_t o = 0;
	for (int i = 0; i < n; i++) {
		if (i)
			s[o++] = ' ';
		size_t l = il_strlen(v[i]);
		il_memcpy(s + o, v[i], l);
		o += l;
	}
	s[o] = 0;
	return s;
}

static void scan(struct dctx *d, struct cmdinfo *ci)
{
	if (ci->scanned)
		return;
	ci->scanned = 1;
	const struct il_cmd *view = il_cmd_view(d->a, d->v, ci->cmd, d->ev);
	il_argscan(d->a, d->v, view, &ci->scan);
	ci->words = join(d->a, ci->scan.operands, ci->scan.noperands);
	ci->argv = il_request_data_argv(d->a, d->v, view);
	ci->argc = view->argc;
	ci->args = join(d->a, ci->argv + 1, ci->argc - 1);
	ci->nstmts = il_cmd_statements(d->a, d->v, view, d->ev, ci->stmts, 4);
}

/* Runs pattern i on s; on a match, stores the (?<target>) capture. */
int il_dec_run(struct dctx *d, const struct il_snap_cond *c, const char *s, const char **target)
{
	/* decoded at the first pattern a decision runs, not at its setup: most
	 * execs (and the wrapper's own judging of its command) run none */
	if (il_snap_decode(d->v) < 0) {
		d->error = 1; /* fail closed, as a pattern that hit its limits */
		return 1;
	}
	const pcre2_code *code = d->v->codes[c->pattern];
	int rc = pcre2_match(code, (PCRE2_SPTR)s, il_strlen(s), 0, 0, d->md, d->mc);
	if (rc < 0) {
		if (rc != PCRE2_ERROR_NOMATCH)
			d->error = 1; /* limits hit: treat as a match, fail closed */
		return rc != PCRE2_ERROR_NOMATCH;
	}
	if (c->target_group && target && !*target) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(d->md);
		uint32_t g = c->target_group;
		if ((int)g < rc && ov[2 * g] != PCRE2_UNSET)
			*target = il_arena_strndup(d->a, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
	}
	return 1;
}

static int any(struct dctx *d, const struct il_snap_cond *c, const char *const *v, int n, const char **target)
{
	for (int i = 0; i < n; i++)
		if (il_dec_run(d, c, v[i], target))
			return 1;
	return 0;
}

static int cond_holds(struct dctx *d, struct cmdinfo *ci, const struct il_snap_cond *c, const char **target)
{
	scan(d, ci);
	char *const *env = ci->cmd->envp ? ci->cmd->envp : d->ev->envp;
	int nenv = 0;
	while ((c->kind == IL_C_ENV || c->kind == IL_C_NO_ENV) && env && env[nenv])
		nenv++;
	switch (c->kind) {
	case IL_C_WORDS:
		return il_dec_run(d, c, ci->words, target);
	case IL_C_OPTION:
		return any(d, c, ci->scan.options, ci->scan.noptions, target);
	case IL_C_NO_OPTION:
		return !any(d, c, ci->scan.options, ci->scan.noptions, 0);
	case IL_C_ARG:
		return any(d, c, ci->argv + 1, ci->argc - 1, target) || any(d, c, ci->stmts, ci->nstmts, target);
	case IL_C_NO_ARG:
		return !any(d, c, ci->argv + 1, ci->argc - 1, 0) && !any(d, c, ci->stmts, ci->nstmts, 0);
	case IL_C_ARGS:
		return il_dec_run(d, c, ci->args, target);
	case IL_C_ENV:
		return any(d, c, (const char *const *)env, nenv, target);
	case IL_C_NO_ENV:
		return !any(d, c, (const char *const *)env, nenv, 0);
	}
	return 0;
}

/* A target ending in a bare glob (DIR/ followed by a star) removes
 * everything in DIR: judge it as DIR. *hidden_kept: the glob cannot match
 * a name starting with '.' (a shell's * skips them), so DIR/.git stays. */
static const char *strip_glob_tail(struct il_arena *a, const char *p, int *hidden_kept)
{
	size_t n = il_strlen(p);
	size_t k = n;
	while (k > 0 && p[k - 1] != '/')
		k--;
	int all_glob = k < n;
	for (size_t i = k; i < n; i++)
		if (p[i] != '*' && p[i] != '.' && p[i] != '?')
			all_glob = 0;
	*hidden_kept = 0;
	if (!all_glob || k == 0)
		return p;
	*hidden_kept = p[k] != '.';
	return k == 1 ? "/" : il_arena_strndup(a, p, k - 1);
}

/* Is the repository at or around abs (a work tree root, or a path in its
 * .git) one the session made: its work tree directory and its .git both
 * born after the session began (git clone, cp -r, tar x, mkdir + git init)?
 * Then nothing in it is the user's; what a delete below it reaches is
 * still judged file by file by the delete hooks. `git init` in a directory
 * the user already had is not: the directory is older than the session. */
static int session_repository(struct dctx *d, const char *abs)
{
	const char *g = il_git_component(abs);
	size_t rn = g ? (size_t)(g - abs) : il_trim_len(abs);
	const char *root = rn ? il_arena_strndup(d->a, abs, rn) : 0;
	const char *git = root ? il_path_abs(d->a, root, ".git") : 0;
	return git && il_born_in_session(d->v, root) && il_born_in_session(d->v, git);
}

/* delete-protected: would deleting this existing file be asked about
 * (deletes.c)? For programs that destroy a file's bytes in place (shred):
 * the content is gone before the unlink hook could ask. */
static int delete_protected(struct dctx *d, const struct il_cmd *cmd, const char *abs)
{
	struct stat st;
	int saved = errno;
	int file = lstat(abs, &st) == 0 && S_ISREG(st.st_mode);
	errno = saved;
	char *const *envp = cmd->envp ? cmd->envp : d->ev->envp;
	if (!file || !il_delete_candidate(d->v, abs, envp))
		return 0;
	struct il_delete_event ev = { .path = abs, .kind = IL_DEL_UNLINK, .envp = envp, .profile = d->ev->profile,
				      .process = cmd->name ? il_basename(cmd->name) : 0 };
	struct il_verdict v;
	il_decide_delete(d->v, &ev, d->a, &v);
	return v.action >= IL_CONFIRM;
}

static const char *target_hit(struct dctx *d, struct cmdinfo *ci, unsigned wanted, const char *captured)
{
	const struct il_snap_prog *p = il_snap_prog_for(d->v, ci->cmd->name);
	int n = ci->scan.noperands;
	if (p && (p->flags & IL_T_LEADING_OPERANDS))
		n = ci->scan.nleading;
	if (p && (p->flags & IL_T_LEADING_OPERANDS) && n == 0 && !captured) {
		static const char *const dot[] = { "." };
		ci->scan.operands = (const char **)dot;
		n = 1;
	}
	for (int i = captured ? -1 : 0; i < n; i++) {
		const char *t = i < 0 ? captured : ci->scan.operands[i];
		if (!t || !*t || __builtin_strchr(t, IL_UNKNOWN_CH))
			continue; /* a value the string does not tell: judged at its exec */
		const char *abs = il_path_abs(d->a, ci->cmd->cwd, t);
		if (!abs)
			return 0;
		int hidden_kept;
		abs = strip_glob_tail(d->a, abs, &hidden_kept);
		/* rm -rf * in a work tree root (in ~/project as well) keeps .git:
		 * what it loses is judged file by file by the delete hooks
		 * (uncommitted and untracked work asked, what git has free),
		 * not as the tree */
		unsigned here = wanted;
		if (hidden_kept && abs && (wanted & (IL_P_GIT_WORKTREE | IL_P_HOME_CHILD)) &&
		    il_path_predicates(abs, IL_P_GIT_WORKTREE, d->home, d->home2))
			here &= ~(unsigned)(IL_P_GIT_WORKTREE | IL_P_HOME_CHILD);
		unsigned repo = IL_P_GIT_WORKTREE | IL_P_GIT_DIR;
		if (abs && (here & repo) && il_path_predicates(abs, here & repo, d->home, d->home2) &&
		    session_repository(d, abs))
			here &= ~repo;
		if (abs && (here & IL_P_DELETE_PROTECTED) && delete_protected(d, ci->cmd, abs))
			return abs;
		if (abs && here && il_path_predicates(abs, here, d->home, d->home2))
			return abs;
		if (captured)
			break;
	}
	return 0;
}

int il_dec_profile_active(struct dctx *d, const struct il_snap_rule *r)
{
	if (r->profiles == IL_NONE)
		return 1;
	const char *p = d->ev->profile;
	return p && *p && il_list_has(il_snap_str(d->v, r->profiles), p, il_strlen(p));
}

void il_dec_expand_word(char *out, size_t cap, const char *tmpl, const char *target)
{
	size_t o = 0;
	const char *base = target ? il_basename(target) : "";
	while (*tmpl && o + 1 < cap) {
		const char *rep = 0;
		size_t skip = 0;
		if (il_strneq(tmpl, "{target-path}", 13))
			rep = target ? target : "", skip = 13;
		else if (il_strneq(tmpl, "{target}", 8))
			rep = base, skip = 8;
		if (rep) {
			for (; *rep && o + 1 < cap; rep++)
				out[o++] = *rep;
			tmpl += skip;
		} else {
			out[o++] = *tmpl++;
		}
	}
	out[o] = 0;
	if ((!out[0] || __builtin_strchr(out, IL_UNKNOWN_CH)) && cap > 3)
		il_memcpy(out, "yes", 4); /* no word a human could type */
}

/* loses = database: the client of a database file (database-file trait:
 * sqlite3, duckdb) loses no one's rows when the file is in memory (no
 * operand, :memory:), is not there yet or empty (the client creates it), lies in a
 * temp or scratch directory or was made in this session: the facts the
 * SQL hooks waive a statement by (sql_judge.c). A server's database, a
 * URI (file:...?mode=...) or a name that may be an option's second value
 * (-lookaside SIZE N) could be anyone's: asked. */
static int database_loses(struct dctx *d, struct cmdinfo *ci)
{
	const struct il_snap_prog *p = il_snap_prog_for(d->v, ci->cmd->name);
	if (!p || !(p->flags & IL_T_DATABASE_FILE))
		return 1;
	scan(d, ci);
	const char *file = ci->scan.noperands ? ci->scan.operands[0] : "";
	if (!*file || il_streq(file, ":memory:"))
		return 0;
	int digits = 1;
	for (const char *s = file; *s && digits; s++)
		digits = *s >= '0' && *s <= '9';
	if (digits || il_strneq(file, "file:", 5))
		return 1;
	const char *abs = il_path_abs(d->a, ci->cmd->cwd, file);
	struct stat st;
	if (!abs)
		return 1;
	int saved = errno; /* a hook that allows leaves errno as it was */
	int there = lstat(abs, &st) == 0 || errno != ENOENT;
	errno = saved;
	if (!there || il_empty_file(abs))
		return 0;
	char *const *envp = ci->cmd->envp ? ci->cmd->envp : d->ev->envp;
	return il_delete_candidate(d->v, abs, envp) && !il_born_in_session(d->v, abs);
}

/* "WHY; it would lose: WHAT" */
static const char *with_loss(struct il_arena *a, const char *why, const char *lost)
{
	size_t w = il_strlen(why), l = il_strlen(lost);
	char *s = il_arena_alloc(a, w + l + 20);
	if (!s)
		return why;
	il_memcpy(s, why, w);
	il_memcpy(s + w, "; it would lose: ", 17);
	il_memcpy(s + w + 17, lost, l + 1);
	return s;
}

static void try_rule(struct dctx *d, struct cmdinfo *ci, uint32_t ri, struct il_verdict *out)
{
	const struct il_snap_rule *r = il_snap_rule(d->v, ri);
	if (r->on != IL_ON_EXEC || (int)r->action <= out->action || !il_dec_profile_active(d, r))
		return;
	const struct il_snap_cond *conds = (const void *)(d->v->base + r->conds);
	const char *captured = 0;
	for (uint32_t k = 0; k < r->nconds; k++)
		if (!cond_holds(d, ci, &conds[k], &captured))
			return;
	/* `git restore --help` shows the manual and does nothing else */
	scan(d, ci);
	if (ci->scan.help)
		return;
	/* A program's own internal step (git filling a new worktree), and only
	 * the exec itself: a shell line it runs is someone else's command. */
	if (r->callers != IL_NONE && ci->cmd->layer == 0 && d->ev->caller) {
		if (!d->caller_asked) {
			d->caller = d->ev->caller(d->ev->caller_ctx);
			d->caller_asked = 1;
		}
		if (il_caller_matches(il_snap_str(d->v, r->callers), d->caller))
			return;
	}
	const char *target = captured;
	if (r->targets) {
		scan(d, ci);
		target = target_hit(d, ci, r->targets, captured);
		if (!target)
			return;
	}
	/* a git command that throws nothing away is not asked about; one that
	 * does says what (the last thing looked at: it may run git) */
	const char *lost = 0;
	if ((r->loses & IL_LOSS_DATABASE) && !database_loses(d, ci))
		return;
	unsigned git_facts = r->loses & ~(unsigned)IL_LOSS_DATABASE;
	if (git_facts && !il_git_loses(d->v, d->a, ci->cmd, d->ev->envp, git_facts, &lost))
		return;
	out->action = (int)r->action;
	out->rule = (int)ri;
	out->rule_id = il_snap_str(d->v, r->id);
	out->why = lost ? with_loss(d->a, il_snap_str(d->v, r->why), lost) : il_snap_str(d->v, r->why);
	out->target = target;
	out->cmd = ci->cmd;
	il_dec_expand_word(out->word, sizeof out->word, il_snap_str(d->v, r->confirm), target);
}

static void match_cmd(struct dctx *d, const struct il_cmd *cmd, struct il_verdict *out)
{
	struct cmdinfo ci = { .cmd = cmd };
	if (d->only_rule >= 0) {
		if (il_snap_rule_names(d->v, il_snap_rule(d->v, (uint32_t)d->only_rule), cmd->name))
			try_rule(d, &ci, (uint32_t)d->only_rule, out);
		return;
	}
	const struct il_snap_slot *s = il_snap_lookup(d->v, cmd->name);
	if (s && s->nrules) {
		const uint32_t *ri = (const void *)(d->v->base + s->rules);
		for (uint32_t i = 0; i < s->nrules; i++)
			try_rule(d, &ci, ri[i], out);
	}
	const uint32_t *g = (const void *)(d->v->base + d->v->hdr->glob_rules);
	for (uint32_t i = 0; i < d->v->hdr->nglob; i++)
		if (il_snap_rule_names(d->v, il_snap_rule(d->v, g[i]), cmd->name))
			try_rule(d, &ci, g[i], out);
}

int il_dec_fail(struct il_verdict *out)
{
	out->error = 1;
	out->action = IL_DENY;
	out->why = "interlock could not evaluate this command (too large or too complex); a human must run it";
	return -1;
}

int il_dec_setup(struct dctx *d, struct il_snap_view *v, const struct il_exec_event *ev, struct il_arena *a,
		 struct il_verdict *out, int only_rule)
{
	*out = (struct il_verdict){ .action = IL_ALLOW, .rule = -1 };
	*d = (struct dctx){ .v = v, .a = a, .ev = ev, .only_rule = only_rule };
	pcre2_general_context *g = il_pcre2_context(a);
	d->md = g ? pcre2_match_data_create(32, g) : 0;
	d->mc = g ? pcre2_match_context_create(g) : 0;
	if (!d->md || !d->mc)
		return il_dec_fail(out);
	pcre2_set_heap_limit(d->mc, 1024); /* KiB */
	pcre2_set_match_limit(d->mc, 1000000);
	d->home = il_env_get(ev->envp, "HOME");
	d->home2 = il_snap_str(v, v->hdr->home);
	return 0;
}

/* A confirm: every command of the exec that needs the question on its own,
 * so that a yes covers each of them (and the shell's exec of one passes). */
static void collect_ops(struct dctx *d, struct il_cmdlist *list, struct il_verdict *out)
{
	struct il_op *ops = il_arena_alloc(d->a, sizeof *ops * IL_MAX_OPS);
	if (!ops)
		return;
	int n = 0;
	for (int i = 0; i < list->n && n < IL_MAX_OPS; i++) {
		struct il_verdict one = { .action = IL_ALLOW, .rule = -1 };
		match_cmd(d, &list->v[i], &one);
		if (one.action != IL_CONFIRM)
			continue;
		const char *key = il_op_key(d->a, &list->v[i]);
		if (key)
			ops[n++] = (struct il_op){ one.rule_id, one.target, key };
	}
	out->ops = ops;
	out->nops = n;
}

/* Shell builtins (bash, dash, zsh, ksh): a rule on one of these names
 * (echo and printf feeding nsupdate) is seen only in the string, never at
 * an exec. */
static int is_builtin(const char *name)
{
	static const char *const b[] = {
		".", ":", "[", "alias", "bg", "bind", "break", "builtin", "caller", "cd", "command", "compgen",
		"complete", "compopt", "continue", "declare", "dirs", "disown", "echo", "enable", "eval", "exec",
		"exit", "export", "false", "fc", "fg", "getopts", "hash", "help", "history", "jobs", "kill", "let",
		"local", "logout", "mapfile", "popd", "print", "printf", "pushd", "pwd", "read", "readarray",
		"readonly", "return", "set", "shift", "shopt", "source", "suspend", "test", "times", "trap", "true",
		"type", "typeset", "ulimit", "umask", "unalias", "unset", "wait", "whence", "zmodload", 0 };
	for (int i = 0; b[i]; i++)
		if (il_streq(name, b[i]))
			return 1;
	return 0;
}

/* out->exec_judged: every command of the string that is not allowed runs
 * as an exec of its own, where it is judged again (il.h). */
static void mark_exec_judged(struct dctx *d, struct il_cmdlist *list, struct il_verdict *out)
{
	int ok = 1, any = 0;
	for (int i = 0; i < list->n && ok; i++) {
		const struct il_cmd *c = &list->v[i];
		struct il_verdict one = { .action = IL_ALLOW, .rule = -1 };
		match_cmd(d, c, &one);
		if (one.action < IL_CONFIRM)
			continue;
		any = 1;
		ok = c->layer > 0 && !c->stdin_text && c->name && !is_builtin(c->name) && !one.quiet && !one.error;
	}
	out->exec_judged = ok && any;
}

static int finish(struct dctx *d, struct il_cmdlist *list, struct il_peel_ctx *pc, struct il_verdict *out)
{
	for (int i = 0; i < list->n && out->action < IL_DENY; i++)
		match_cmd(d, &list->v[i], out);
	if (out->action == IL_CONFIRM && d->only_rule < 0)
		collect_ops(d, list, out);
	if (out->action >= IL_CONFIRM && d->only_rule < 0)
		mark_exec_judged(d, list, out);
	if (d->a->failed || d->error || pc->budget <= 0) {
		/* Out of scratch or limits: the exec could not be judged. */
		out->error = 1;
		if (out->action < IL_DENY) {
			out->action = IL_DENY;
			out->why = "interlock could not evaluate this command (too large or too complex); a human must run it";
		}
	}
	return 0;
}

static int decide(struct il_snap_view *v, const struct il_exec_event *ev, struct il_arena *a,
		  struct il_verdict *out, int only_rule)
{
	struct dctx d;
	if (il_dec_setup(&d, v, ev, a, out, only_rule) < 0)
		return -1;
	int argc = 0;
	while (ev->argv && ev->argv[argc])
		argc++;
	/* The program is what is executed, not what argv[0] claims; when the
	 * two differ (busybox applets, exec -a) both are looked at. */
	const char *argv0 = argc ? ev->argv[0] : "";
	const char *prog = ev->path && *ev->path ? ev->path : argv0;
	const char **av = il_arena_alloc(a, sizeof(char *) * (size_t)(argc + 2));
	if (!av)
		return il_dec_fail(out);
	for (int i = 0; i < argc; i++)
		av[i] = ev->argv[i];
	av[0] = prog;
	av[argc ? argc : 1] = 0;
	if (!argc)
		argc = 1;
	struct il_cmdlist list = { 0 };
	struct il_peel_ctx pc = { .snap = v, .a = a, .envp = ev->envp, .out = &list, .budget = 4096 };
	il_peel(&pc, av, argc, ev->cwd, 0);
	if (argv0[0] && !il_streq(il_basename(argv0), il_basename(prog)) &&
	    il_snap_exec_candidate(v, il_basename(argv0))) {
		const char **av2 = il_arena_alloc(a, sizeof(char *) * (size_t)(argc + 1));
		if (av2) {
			for (int i = 0; i < argc; i++)
				av2[i] = av[i];
			av2[0] = argv0;
			av2[argc] = 0;
			il_peel(&pc, av2, argc, ev->cwd, 0);
		}
	}
	/* A symlink runs the file it leads to (ln -s /usr/bin/git /tmp/g):
	 * that program is judged as well; argv0 stays, for multi-call ones. */
	const char *real = ev->real && *ev->real ? il_basename(ev->real) : 0;
	if (real && !il_streq(real, il_basename(prog)) && !il_streq(real, il_basename(argv0)) &&
	    il_snap_exec_candidate(v, real)) {
		const char **av3 = il_arena_alloc(a, sizeof(char *) * (size_t)(argc + 1));
		if (av3) {
			for (int i = 0; i < argc; i++)
				av3[i] = av[i];
			av3[0] = ev->real;
			av3[argc] = 0;
			il_peel(&pc, av3, argc, ev->cwd, 0);
		}
	}
	return finish(&d, &list, &pc, out);
}

int il_decide_exec(struct il_snap_view *v, const struct il_exec_event *ev, struct il_arena *a,
		   struct il_verdict *out)
{
	return decide(v, ev, a, out, -1);
}

int il_decide_shell(struct il_snap_view *v, const char *text, const struct il_exec_event *ev,
		    struct il_arena *a, struct il_verdict *out, int only_rule)
{
	struct dctx d;
	if (il_dec_setup(&d, v, ev, a, out, only_rule) < 0)
		return -1;
	struct il_cmdlist list = { 0 };
	struct il_peel_ctx pc = { .snap = v, .a = a, .envp = ev->envp, .out = &list, .budget = 4096 };
	il_shell_parse(&pc, text, ev->cwd, 0);
	return finish(&d, &list, &pc, out);
}
