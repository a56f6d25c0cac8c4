/* Deciding one exec: peel it into commands, match every command against
 * the rules that name its program, keep the strictest verdict. */
#include <string.h>

#include "engine_int.h"

struct dctx {
	struct il_snap_view *v;
	struct il_arena *a;
	const struct il_exec_event *ev;
	pcre2_match_data *md;
	pcre2_match_context *mc;
	const char *home, *home2;
	int error;
	int only_rule; /* -1, or the one rule to try (rule examples) */
};

/* Per-command facts computed on first use. */
struct cmdinfo {
	const struct il_cmd *cmd;
	int scanned;
	struct il_argscan scan;
	const char *words; /* operands joined */
	const char *args;  /* argv[1..] joined */
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
	il_argscan(d->a, d->v, ci->cmd, &ci->scan);
	ci->words = join(d->a, ci->scan.operands, ci->scan.noperands);
	ci->args = join(d->a, ci->cmd->argv + 1, ci->cmd->argc - 1);
}

/* Runs pattern i on s; on a match, stores the (?<target>) capture. */
static int run(struct dctx *d, const struct il_snap_cond *c, const char *s, const char **target)
{
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
		if (run(d, c, v[i], target))
			return 1;
	return 0;
}

static int cond_holds(struct dctx *d, struct cmdinfo *ci, const struct il_snap_cond *c, const char **target)
{
	scan(d, ci);
	const struct il_cmd *cmd = ci->cmd;
	switch (c->kind) {
	case IL_C_WORDS:
		return run(d, c, ci->words, target);
	case IL_C_OPTION:
		return any(d, c, ci->scan.options, ci->scan.noptions, target);
	case IL_C_NO_OPTION:
		return !any(d, c, ci->scan.options, ci->scan.noptions, 0);
	case IL_C_ARG:
		return any(d, c, cmd->argv + 1, cmd->argc - 1, target);
	case IL_C_NO_ARG:
		return !any(d, c, cmd->argv + 1, cmd->argc - 1, 0);
	case IL_C_ARGS:
		return run(d, c, ci->args, target);
	}
	return 0;
}

/* A target ending in a bare glob (DIR/ followed by a star) removes
 * everything in DIR: judge it as DIR. */
static const char *strip_glob_tail(struct il_arena *a, const char *p)
{
	size_t n = il_strlen(p);
	size_t k = n;
	while (k > 0 && p[k - 1] != '/')
		k--;
	int all_glob = k < n;
	for (size_t i = k; i < n; i++)
		if (p[i] != '*' && p[i] != '.' && p[i] != '?')
			all_glob = 0;
	if (!all_glob || k == 0)
		return p;
	return k == 1 ? "/" : il_arena_strndup(a, p, k - 1);
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
		if (!t || !*t)
			continue;
		const char *abs = il_path_abs(d->a, ci->cmd->cwd, t);
		if (!abs)
			return 0;
		abs = strip_glob_tail(d->a, abs);
		if (abs && il_path_predicates(abs, wanted, d->home, d->home2))
			return abs;
		if (captured)
			break;
	}
	return 0;
}

static int profile_active(struct dctx *d, const struct il_snap_rule *r)
{
	if (r->profiles == IL_NONE)
		return 1;
	const char *p = d->ev->profile;
	return p && *p && il_list_has(il_snap_str(d->v, r->profiles), p, il_strlen(p));
}

static void expand_word(char *out, size_t cap, const char *tmpl, const char *target)
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
	if (!out[0] && cap > 3)
		il_memcpy(out, "yes", 4);
}

static void try_rule(struct dctx *d, struct cmdinfo *ci, uint32_t ri, struct il_verdict *out)
{
	const struct il_snap_rule *r = il_snap_rule(d->v, ri);
	if (r->on != IL_ON_EXEC || (int)r->action <= out->action || !profile_active(d, r))
		return;
	const struct il_snap_cond *conds = (const void *)(d->v->base + r->conds);
	const char *captured = 0;
	for (uint32_t k = 0; k < r->nconds; k++)
		if (!cond_holds(d, ci, &conds[k], &captured))
			return;
	const char *target = captured;
	if (r->targets) {
		scan(d, ci);
		target = target_hit(d, ci, r->targets, captured);
		if (!target)
			return;
	}
	out->action = (int)r->action;
	out->rule = (int)ri;
	out->rule_id = il_snap_str(d->v, r->id);
	out->why = il_snap_str(d->v, r->why);
	out->target = target;
	out->cmd = ci->cmd;
	expand_word(out->word, sizeof out->word, il_snap_str(d->v, r->confirm), target);
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

static int fail(struct il_verdict *out)
{
	out->error = 1;
	out->action = IL_DENY;
	out->why = "interlock could not evaluate this command (too large or too complex); a human must run it";
	return -1;
}

static int setup(struct dctx *d, struct il_snap_view *v, const struct il_exec_event *ev, struct il_arena *a,
		 struct il_verdict *out, int only_rule)
{
	*out = (struct il_verdict){ .action = IL_ALLOW, .rule = -1 };
	*d = (struct dctx){ .v = v, .a = a, .ev = ev, .only_rule = only_rule };
	if (il_snap_decode(v) < 0)
		return fail(out);
	pcre2_general_context *g = il_pcre2_context(a);
	d->md = g ? pcre2_match_data_create(32, g) : 0;
	d->mc = g ? pcre2_match_context_create(g) : 0;
	if (!d->md || !d->mc)
		return fail(out);
	pcre2_set_heap_limit(d->mc, 1024); /* KiB */
	pcre2_set_match_limit(d->mc, 1000000);
	d->home = il_env_get(ev->envp, "HOME");
	d->home2 = il_snap_str(v, v->hdr->home);
	return 0;
}

static int finish(struct dctx *d, struct il_cmdlist *list, struct il_peel_ctx *pc, struct il_verdict *out)
{
	for (int i = 0; i < list->n && out->action < IL_DENY; i++)
		match_cmd(d, &list->v[i], out);
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
	if (setup(&d, v, ev, a, out, only_rule) < 0)
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
		return fail(out);
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
	if (setup(&d, v, ev, a, out, only_rule) < 0)
		return -1;
	struct il_cmdlist list = { 0 };
	struct il_peel_ctx pc = { .snap = v, .a = a, .envp = ev->envp, .out = &list, .budget = 4096 };
	il_shell_parse(&pc, text, ev->cwd, 0);
	return finish(&d, &list, &pc, out);
}

size_t il_format_argv(char *buf, size_t cap, const char *const *argv, int argc)
{
	size_t o = 0;
	if (!cap)
		return 0;
	for (int i = 0; i < argc && o + 1 < cap; i++) {
		const char *s = argv[i];
		int plain = *s != 0;
		for (const char *p = s; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			      *p == '-' || *p == '_' || *p == '/' || *p == '.' || *p == '=' || *p == ':' || *p == ',' ||
			      *p == '+' || *p == '@' || *p == '%' || *p == '~'))
				plain = 0;
		if (i && o + 1 < cap)
			buf[o++] = ' ';
		if (!plain && o + 1 < cap)
			buf[o++] = '\'';
		for (; *s && o + 1 < cap; s++) {
			unsigned char ch = (unsigned char)*s;
			if (ch == '\'' && o + 4 < cap) {
				il_memcpy(buf + o, "'\\''", 4);
				o += 4;
			} else if (ch < 0x20 || ch == 0x7f) {
				buf[o++] = '?';
			} else {
				buf[o++] = (char)ch;
			}
		}
		if (!plain && o + 1 < cap)
			buf[o++] = '\'';
	}
	if (o + 1 >= cap && cap > 4)
		il_memcpy(buf + cap - 4, "...", 3), o = cap - 1;
	buf[o] = 0;
	return o;
}

/* ---- opens ---- */

/* The base name of a path, as a (pointer, length) without copying. */
static const char *base_of(const char *path, size_t *len)
{
	const char *b = path, *p = path;
	for (; *p; p++)
		if (*p == '/' && p[1])
			b = p + 1;
	size_t n = (size_t)(p - b);
	while (n && b[n - 1] == '/')
		n--;
	*len = n;
	return b;
}

static int slot_has_access(const struct il_snap_view *v, const struct il_snap_slot *s, unsigned access)
{
	const uint32_t *ri = (const void *)(v->base + s->rules);
	for (uint32_t i = 0; i < s->nrules; i++)
		if (il_snap_rule(v, ri[i])->access & access)
			return 1;
	return 0;
}

int il_open_candidate(const struct il_snap_view *v, const char *path, unsigned access)
{
	const struct il_snap_hdr *h = v->hdr;
	if (!(h->open_access & access))
		return 0;
	/* One backward scan: the base name and its extension. */
	const char *end = path + __builtin_strlen(path);
	while (end > path + 1 && end[-1] == '/')
		end--;
	const char *slash = memrchr(path, '/', (size_t)(end - path));
	const char *b = slash ? slash + 1 : path;
	size_t n = (size_t)(end - b);
	const char *dot = n ? memrchr(b, '.', n) : 0;
	if (dot)
		dot++;
	if (!n)
		return 0;
	const struct il_glob_filter *f = (const void *)(v->base + h->oglob_filter);
	unsigned char c0 = (unsigned char)b[0], c1 = (unsigned char)end[-1];
	const struct il_snap_slot *s;
	if (f->lit_first[c0] & access) {
		s = il_snap_lookup_in(v, h->oslots, h->noslots, b, n);
		if (s && slot_has_access(v, s, access))
			return 1;
	}
	if (dot && dot < end && (f->ext_first[(unsigned char)*dot] & access)) {
		s = il_snap_lookup_in(v, h->xslots, h->nxslots, dot, (size_t)(end - dot));
		if (s && slot_has_access(v, s, access))
			return 1;
	}
	if (!((f->any | f->first[c0] | f->last[c1]) & access))
		return 0;
	char name[256];
	if (n >= sizeof name)
		return 1; /* cannot check cheaply: look closer */
	il_memcpy(name, b, n);
	name[n] = 0;
	const uint32_t *g = (const void *)(v->base + h->oglob);
	for (uint32_t i = 0; i < h->noglob; i++) {
		const struct il_snap_rule *r = il_snap_rule(v, g[i]);
		if ((r->access & access) && il_snap_rule_names(v, r, name))
			return 1;
	}
	return 0;
}

/* Paths under HOME are matched as ~/REST, so rules need not know HOME. */
static const char *tilde_form(struct il_arena *a, const char *abs, const char *home)
{
	if (!home || home[0] != '/' || (home[0] == '/' && !home[1]))
		return 0;
	size_t n = il_strlen(home);
	while (n > 1 && home[n - 1] == '/')
		n--;
	if (!il_strneq(abs, home, n) || (abs[n] != '/' && abs[n] != 0))
		return 0;
	size_t rest = il_strlen(abs + n);
	char *t = il_arena_alloc(a, rest + 2);
	if (!t)
		return 0;
	t[0] = '~';
	il_memcpy(t + 1, abs + n, rest + 1);
	return t;
}

static int other_process(const char *abs, long pid)
{
	if (!il_strneq(abs, "/proc/", 6))
		return 0;
	const char *p = abs + 6;
	long n = 0;
	if (*p < '0' || *p > '9')
		return 0; /* self, thread-self, sys, ... */
	while (*p >= '0' && *p <= '9')
		n = n * 10 + (*p++ - '0');
	return (*p == '/' || !*p) && n != pid;
}

static void try_open_rule(struct dctx *d, const struct il_open_event *ev, const char *abs, const char *subject,
			  uint32_t ri, struct il_verdict *out)
{
	const struct il_snap_rule *r = il_snap_rule(d->v, ri);
	if (r->on != IL_ON_OPEN || !(r->access & ev->access) || (int)r->action <= out->action ||
	    !profile_active(d, r))
		return;
	if (r->unless != IL_NONE && ev->process && il_snap_globs_match(d->v, r->unless, ev->process))
		return;
	size_t n;
	const char *b = base_of(abs, &n);
	char name[256];
	if (n < sizeof name) {
		il_memcpy(name, b, n);
		name[n] = 0;
		if (!il_snap_rule_names(d->v, r, name))
			return;
	}
	const struct il_snap_cond *conds = (const void *)(d->v->base + r->conds);
	for (uint32_t k = 0; k < r->nconds; k++) {
		int hit = run(d, &conds[k], subject, 0);
		if (hit != (conds[k].kind == IL_C_PATH))
			return;
	}
	if (r->targets) {
		unsigned got = il_path_predicates(abs, r->targets & ~IL_P_OTHER_PROCESS, d->home, d->home2);
		if ((r->targets & IL_P_OTHER_PROCESS) && other_process(abs, ev->pid))
			got |= IL_P_OTHER_PROCESS;
		if (!got)
			return;
	}
	out->action = (int)r->action;
	out->rule = (int)ri;
	out->rule_id = il_snap_str(d->v, r->id);
	out->why = il_snap_str(d->v, r->why);
	out->target = abs;
	out->cmd = 0;
	expand_word(out->word, sizeof out->word, il_snap_str(d->v, r->confirm), abs);
}

static void try_open_slot(struct dctx *d, const struct il_open_event *ev, const char *abs, const char *subject,
			  const struct il_snap_slot *s, struct il_verdict *out)
{
	if (!s)
		return;
	const uint32_t *ri = (const void *)(d->v->base + s->rules);
	for (uint32_t i = 0; i < s->nrules; i++)
		if (d->only_rule < 0 || (uint32_t)d->only_rule == ri[i])
			try_open_rule(d, ev, abs, subject, ri[i], out);
}

static void match_open_path(struct dctx *d, const struct il_open_event *ev, const char *abs, struct il_verdict *out)
{
	struct il_snap_view *v = d->v;
	const char *subject = tilde_form(d->a, abs, d->home);
	if (!subject)
		subject = tilde_form(d->a, abs, d->home2);
	if (!subject)
		subject = abs;
	const struct il_snap_hdr *h = v->hdr;
	size_t n;
	const char *b = base_of(abs, &n);
	try_open_slot(d, ev, abs, subject, il_snap_lookup_in(v, h->oslots, h->noslots, b, n), out);
	for (size_t k = n; k > 0; k--)
		if (b[k - 1] == '.') {
			try_open_slot(d, ev, abs, subject, il_snap_lookup_in(v, h->xslots, h->nxslots, b + k, n - k), out);
			break;
		}
	const uint32_t *g = (const void *)(v->base + h->oglob);
	for (uint32_t i = 0; i < h->noglob; i++)
		if (d->only_rule < 0 || (uint32_t)d->only_rule == g[i])
			try_open_rule(d, ev, abs, subject, g[i], out);
}

int il_decide_open(struct il_snap_view *v, const struct il_open_event *ev, struct il_arena *a,
		   struct il_verdict *out, int only_rule)
{
	struct il_exec_event xev = { 0, 0, ev->envp, ev->cwd, ev->profile };
	struct dctx d;
	if (setup(&d, v, &xev, a, out, only_rule) < 0)
		return -1;
	/* Both the path as written and the file it leads to: a link named
	 * innocently or a credential name pointing elsewhere. */
	const char *lex = il_path_abs(a, ev->cwd, ev->path);
	const char *real = il_path_resolve(a, ev->cwd, ev->path);
	if (!lex || !real)
		return fail(out);
	match_open_path(&d, ev, lex, out);
	if (!il_streq(lex, real))
		match_open_path(&d, ev, real, out);
	if (a->failed || d.error) {
		out->error = 1;
		if (out->action < IL_DENY) {
			out->action = IL_DENY;
			out->why = "interlock could not evaluate this open; a human must do it";
		}
	}
	return 0;
}

/* ---- connects ---- */

static void format_addr(char *buf, size_t cap, const struct il_net_event *ev)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	int v4 = 1;
	for (int i = 0; i < 10; i++)
		v4 &= ev->addr[i] == 0;
	v4 &= ev->addr[10] == 0xff && ev->addr[11] == 0xff;
	if (v4) {
		for (int i = 12; i < 16 && o + 5 < cap; i++) {
			unsigned b = ev->addr[i];
			if (i > 12)
				buf[o++] = '.';
			if (b >= 100)
				buf[o++] = (char)('0' + b / 100);
			if (b >= 10)
				buf[o++] = (char)('0' + b / 10 % 10);
			buf[o++] = (char)('0' + b % 10);
		}
	} else {
		for (int i = 0; i < 16 && o + 6 < cap; i += 2) {
			if (i)
				buf[o++] = ':';
			buf[o++] = hex[ev->addr[i] >> 4], buf[o++] = hex[ev->addr[i] & 15];
			buf[o++] = hex[ev->addr[i + 1] >> 4], buf[o++] = hex[ev->addr[i + 1] & 15];
		}
	}
	buf[o] = 0;
}

int il_decide_connect(struct il_snap_view *v, const struct il_net_event *ev, struct il_arena *a,
		      struct il_verdict *out, int only_rule)
{
	struct il_exec_event xev = { 0, 0, ev->envp, "/", ev->profile };
	struct dctx d;
	if (setup(&d, v, &xev, a, out, only_rule) < 0)
		return -1;
	char *addr = il_arena_alloc(a, 64);
	if (!addr)
		return fail(out);
	format_addr(addr, 64, ev);
	const uint32_t *ci = (const void *)(v->base + v->hdr->connect_rules);
	for (uint32_t i = 0; i < v->hdr->nconnect; i++) {
		if (only_rule >= 0 && ci[i] != (uint32_t)only_rule)
			continue;
		const struct il_snap_rule *r = il_snap_rule(v, ci[i]);
		if ((int)r->action <= out->action || !profile_active(&d, r))
			continue;
		if (r->ports != IL_NONE && !il_port_list_has(il_snap_str(v, r->ports), ev->port))
			continue;
		/* A rule with both hosts and addresses matches either. */
		int named = r->hosts != IL_NONE && ev->host && il_snap_globs_match(v, r->hosts, ev->host);
		int addressed = r->addresses != IL_NONE && il_cidr_list_has(il_snap_str(v, r->addresses), ev->addr);
		if ((r->hosts != IL_NONE || r->addresses != IL_NONE) && !named && !addressed)
			continue;
		out->action = (int)r->action;
		out->rule = (int)ci[i];
		out->rule_id = il_snap_str(v, r->id);
		out->why = il_snap_str(v, r->why);
		out->target = ev->host && *ev->host ? ev->host : addr;
		out->cmd = 0;
		expand_word(out->word, sizeof out->word, il_snap_str(v, r->confirm), out->target);
	}
	return 0;
}
