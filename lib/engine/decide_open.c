/* Deciding one open: the cheap name prefilter every open pays, then the
 * open rules on the canonical path (as written and as resolved). */
#include <string.h>

#include "decide_int.h"
#include "open_quick.h"

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

int il_open_named(const struct il_snap_view *v, const char *b, const char *end, unsigned access)
{
	const struct il_snap_hdr *h = v->hdr;
	const struct il_glob_filter *f = (const void *)(v->base + h->oglob_filter);
	size_t n = (size_t)(end - b);
	unsigned char c0 = (unsigned char)b[0], c1 = (unsigned char)end[-1];
	const struct il_snap_slot *s;
	if (f->lit_first[c0] & f->lit_last[c1] & access) {
		s = il_snap_lookup_in(v, h->oslots, h->noslots, b, n);
		if (s && slot_has_access(v, s, access))
			return 1;
	}
	if (!(f->ext_last[c1] & access))
		return 0;
	const char *dot = memrchr(b, '.', n);
	if (dot && ++dot < end && (f->ext_first[(unsigned char)*dot] & access)) {
		s = il_snap_lookup_in(v, h->xslots, h->nxslots, dot, (size_t)(end - dot));
		if (s && slot_has_access(v, s, access))
			return 1;
	}
	return 0;
}

/* The name passed il_open_candidate's quick reject (open_quick.h): the
 * literal and extension indexes, then the globs. */
int il_open_closer(const struct il_snap_view *v, const char *b, const char *end, unsigned access)
{
	if (il_open_named(v, b, end, access))
		return 1;
	const struct il_snap_hdr *h = v->hdr;
	const struct il_glob_filter *f = (const void *)(v->base + h->oglob_filter);
	size_t n = (size_t)(end - b);
	unsigned char c0 = (unsigned char)b[0], c1 = (unsigned char)end[-1];
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
	size_t n = il_trim_len(home);
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
	    !il_dec_profile_active(d, r))
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
		int hit = il_dec_run(d, &conds[k], subject, 0);
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
	out->quiet = 0;
	/* ps opens every process's environ to list them and shows none of it
	 * unless asked: a question per process would be noise, and the answer
	 * is no anyway. */
	if (r->quiet != IL_NONE && ev->process && il_snap_globs_match(d->v, r->quiet, ev->process)) {
		out->action = IL_DENY;
		out->quiet = 1;
	}
	out->rule = (int)ri;
	out->rule_id = il_snap_str(d->v, r->id);
	out->why = il_snap_str(d->v, r->why);
	out->target = abs;
	out->cmd = 0;
	il_dec_expand_word(out->word, sizeof out->word, il_snap_str(d->v, r->confirm), abs);
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

/* A file in a directory too deep to name: no rule can be matched against
 * a path nobody knows, so a name some rule could match (id_ed25519, .env,
 * *.db) is treated as the protected file it may be. */
static int decide_unnamed(struct il_snap_view *v, const struct il_open_event *ev, struct il_verdict *out)
{
	*out = (struct il_verdict){ .action = IL_ALLOW, .rule = -1 };
	if (!il_open_candidate(v, ev->path, ev->access))
		return 0;
	out->action = IL_CONFIRM;
	out->rule_id = "open-unnamed";
	out->why = "this file is in a directory nested too deep for interlock to name (its path is longer than "
		   "PATH_MAX), and its name is one the open rules protect; it is treated as protected";
	out->target = ev->cwd;
	il_memcpy(out->word, "yes", 4);
	return 0;
}

int il_decide_open(struct il_snap_view *v, const struct il_open_event *ev, struct il_arena *a,
		   struct il_verdict *out, int only_rule)
{
	if (ev->unnamed)
		return decide_unnamed(v, ev, out);
	struct il_exec_event xev = { 0, 0, ev->envp, ev->cwd, ev->profile, 0, 0, 0, 0, 0 };
	struct dctx d;
	if (il_dec_setup(&d, v, &xev, a, out, only_rule) < 0)
		return -1;
	/* Both the path as written and the file it leads to: a link named
	 * innocently or a credential name pointing elsewhere. */
	const char *lex = il_path_abs(a, ev->cwd, ev->path);
	/* A hook that resolved the path already (to find where it leads) need
	 * not pay a readlink per component twice. */
	const char *real = ev->resolved ? lex : il_path_resolve(a, ev->cwd, ev->path);
	if (!lex || !real)
		return il_dec_fail(out);
	match_open_path(&d, ev, lex, out);
	if (!il_streq(lex, real))
		match_open_path(&d, ev, real, out);
	/* A secret the agent wrote itself in this session (a .env for the dev
	 * server, a key it generated) or a database it made: reading or
	 * emptying it loses nothing the session did not already hold. Rules
	 * that judge other writes (inside .git) still apply. */
	if (out->action == IL_CONFIRM && out->rule >= 0 && !out->quiet &&
	    !(il_snap_rule(v, (uint32_t)out->rule)->access & ~(unsigned)(IL_A_READ | IL_A_TRUNCATE)) &&
	    il_born_in_session(v, real)) {
		out->action = IL_ALLOW;
		out->rule = -1;
		out->rule_id = out->why = out->target = 0;
	}
	if (a->failed || d.error) {
		out->error = 1;
		if (out->action < IL_DENY) {
			out->action = IL_DENY;
			out->why = "interlock could not evaluate this open; a human must do it";
		}
	}
	return 0;
}
