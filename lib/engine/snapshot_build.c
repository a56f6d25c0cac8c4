/* Serializing a loaded rule set into the snapshot read by every guarded
 * process (layout in snapshot.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ruleset.h"
#include "snapshot.h"

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static uint32_t buf_reserve(struct buf *b, size_t n, size_t align)
{
	size_t off = (b->len + align - 1) & ~(align - 1);
	if (off + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < off + n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			abort();
		memset(b->p + b->cap, 0, cap - b->cap);
		b->cap = cap;
	}
	b->len = off + n;
	return (uint32_t)off;
}

static uint32_t buf_add(struct buf *b, const void *data, size_t n, size_t align)
{
	uint32_t off = buf_reserve(b, n, align);
	memcpy(b->p + off, data, n);
	return off;
}

static uint32_t add_str(struct buf *s, const char *str)
{
	if (!str)
		return IL_NONE;
	return buf_add(s, str, strlen(str) + 1, 1);
}

uint32_t il_hash_name(const char *s) IL_HIDDEN;

/* Program names a rule names literally go into the hash; rules whose globs
 * have wildcards are checked for every candidate exec instead. */
static int has_wildcard(const char *g)
{
	return strpbrk(g, "*?[") != 0;
}

struct slot_build {
	char *name;
	uint32_t prog;
	uint32_t *rules;
	uint32_t nrules;
};

static struct slot_build *slot_for(struct slot_build **slots, int *n, const char *name)
{
	for (int i = 0; i < *n; i++) /* the first byte settles most of them */
		if ((*slots)[i].name[0] == name[0] && !strcmp((*slots)[i].name, name))
			return &(*slots)[i];
	*slots = realloc(*slots, sizeof **slots * (size_t)(*n + 1));
	if (!*slots)
		abort();
	struct slot_build *s = &(*slots)[(*n)++];
	*s = (struct slot_build){ strdup(name), IL_NONE, 0, 0 };
	return s;
}

static void slot_add_rule(struct slot_build *s, uint32_t rule)
{
	s->rules = realloc(s->rules, sizeof *s->rules * (s->nrules + 1));
	if (!s->rules)
		abort();
	s->rules[s->nrules++] = rule;
}

/* Writes an open-addressing table (at most half full) of the slots. */
static uint32_t emit_table(struct buf *b, struct buf *strs, struct slot_build *slots, int n, uint32_t *ncap)
{
	uint32_t cap = 16;
	while (cap < (uint32_t)n * 2)
		cap *= 2;
	struct il_snap_slot *table = calloc(cap, sizeof *table);
	if (!table)
		abort();
	for (uint32_t i = 0; i < cap; i++)
		table[i].name = IL_NONE;
	for (int i = 0; i < n; i++) {
		struct slot_build *s = &slots[i];
		uint32_t hv = il_hash_name(s->name), j = hv & (cap - 1);
		while (table[j].name != IL_NONE)
			j = (j + 1) & (cap - 1);
		table[j].name = add_str(strs, s->name);
		table[j].hash = hv;
		table[j].prog = s->prog;
		table[j].nrules = s->nrules;
		table[j].rules = s->nrules ? buf_add(b, s->rules, sizeof *s->rules * s->nrules, 4) : 0;
		free(s->rules);
		free(s->name);
	}
	free(slots);
	*ncap = cap;
	uint32_t off = buf_add(b, table, sizeof *table * cap, 8);
	free(table);
	return off;
}

/* `*.ext` (ext without wildcards): indexable by extension. */
static const char *ext_glob(const char *g)
{
	if (g[0] != '*' || g[1] != '.' || !g[2] || has_wildcard(g + 2) || strchr(g + 2, '.'))
		return 0;
	return g + 2;
}

static int profile_indexed(const struct il_rule_src *r, const struct il_session_meta *m)
{
	if (!r->profiles || !m || m->all_profiles)
		return 1;
	if (!m->profile || !*m->profile)
		return 0;
	size_t n = strlen(m->profile);
	for (const char *p = r->profiles; *p;) {
		p += strspn(p, " \t,");
		size_t k = strcspn(p, " \t,");
		if (k == n && !strncmp(p, m->profile, n))
			return 1;
		p += k;
	}
	return 0;
}

static int literal(char c)
{
	return c != '*' && c != '?' && c != '[' && c != ']' && c != '\\';
}

static void mark_first(uint8_t bits[256], char c, unsigned access)
{
	bits[(unsigned char)c] |= (uint8_t)access;
}

static void filter_add(struct il_glob_filter *f, const char *g, unsigned access)
{
	size_t n = strlen(g);
	if (literal(g[0]))
		mark_first(f->first, g[0], access);
	else if (n && literal(g[n - 1]) && (n < 2 || g[n - 2] != '\\'))
		mark_first(f->last, g[n - 1], access);
	else
		f->any |= access;
}

int il_snapshot_build_rules(const struct il_ruleset *rs, const struct il_session_meta *m, void **out, size_t *len)
{
	struct buf b = { 0 }, strs = { 0 };
	buf_reserve(&b, sizeof(struct il_snap_hdr), 8);
	struct il_snap_hdr h = { 0 };
	memcpy(h.magic, IL_SNAP_MAGIC, 8);
	h.version = IL_SNAP_VERSION;
	h.pcre2_major = PCRE2_MAJOR;
	h.pcre2_minor = PCRE2_MINOR;
	add_str(&strs, ""); /* offset 0 is the empty string */

	/* Patterns in rule order; each condition records its index. */
	int npat = 0;
	for (int i = 0; i < rs->nrules; i++)
		npat += rs->rules[i].nconds;
	const pcre2_code **codes = calloc((size_t)npat + 1, sizeof *codes);
	if (!codes)
		abort();

	struct il_snap_rule *rules = calloc((size_t)rs->nrules + 1, sizeof *rules);
	struct slot_build *slots = 0, *oslots = 0, *xslots = 0;
	int nslots_used = 0, noslots = 0, nxslots = 0;
	uint32_t *globr = calloc((size_t)rs->nrules + 1, sizeof *globr);
	uint32_t *oglob = calloc((size_t)rs->nrules + 1, sizeof *oglob);
	struct il_glob_filter gf = { 0 };
	uint32_t *conn = calloc((size_t)rs->nrules + 1, sizeof *conn);
	if (!conn)
		abort();
	if (!rules || !globr || !oglob)
		abort();
	int pi = 0;
	for (int i = 0; i < rs->nrules; i++) {
		const struct il_rule_src *r = &rs->rules[i];
		struct il_snap_rule *sr = &rules[i];
		sr->id = add_str(&strs, r->id);
		sr->why = add_str(&strs, r->why ? r->why : "");
		sr->confirm = add_str(&strs, r->confirm ? r->confirm : "yes");
		sr->file = add_str(&strs, r->file);
		sr->line = (uint32_t)r->line;
		sr->on = (uint32_t)r->on;
		sr->action = (uint32_t)r->action;
		sr->targets = r->targets;
		sr->profiles = r->profiles ? add_str(&strs, r->profiles) : IL_NONE;
		sr->globs = add_str(&strs, r->globs ? r->globs : "");
		sr->nconds = (uint32_t)r->nconds;
		struct il_snap_cond *conds = calloc((size_t)r->nconds + 1, sizeof *conds);
		if (!conds)
			abort();
		for (int k = 0; k < r->nconds; k++) {
			int g = pcre2_substring_number_from_name(r->conds[k].code, (PCRE2_SPTR) "target");
			conds[k] = (struct il_snap_cond){ (uint32_t)r->conds[k].kind, (uint32_t)pi,
							  g > 0 ? (uint32_t)g : 0 };
			codes[pi++] = r->conds[k].code;
		}
		sr->conds = buf_add(&b, conds, sizeof *conds * (size_t)(r->nconds ? r->nconds : 1), 8);
		free(conds);

		sr->access = r->access;
		sr->unless = r->unless ? add_str(&strs, r->unless) : IL_NONE;
		sr->quiet = r->quiet ? add_str(&strs, r->quiet) : IL_NONE;
		sr->callers = r->callers ? add_str(&strs, r->callers) : IL_NONE;
		sr->loses = r->loses;
		sr->hosts = r->hosts ? add_str(&strs, r->hosts) : IL_NONE;
		sr->addresses = r->addresses ? add_str(&strs, r->addresses) : IL_NONE;
		sr->ports = r->ports ? add_str(&strs, r->ports) : IL_NONE;
		if (r->on == IL_ON_CONNECT)
			conn[h.nconnect++] = (uint32_t)i;
		int wild = 0, open = r->on == IL_ON_OPEN;
		/* An open rule of a profile this session is not in can never
		 * match: leave it out of the index every open consults. */
		if (open && !profile_indexed(r, m))
			continue;
		if (open)
			h.open_access |= r->access;
		char *globs = strdup(r->globs ? r->globs : ""), *save = 0;
		for (char *g = strtok_r(globs, " \t", &save); g; g = strtok_r(0, " \t", &save)) {
			if (open && ext_glob(g)) {
				slot_add_rule(slot_for(&xslots, &nxslots, ext_glob(g)), (uint32_t)i);
				const char *x = ext_glob(g);
				mark_first(gf.ext_first, x[0], r->access);
				mark_first(gf.ext_last, x[strlen(x) - 1], r->access);
			} else if (has_wildcard(g)) {
				wild = 1;
				if (open)
					filter_add(&gf, g, r->access);
			} else if (open) {
				mark_first(gf.lit_first, g[0], r->access);
				mark_first(gf.lit_last, g[strlen(g) - 1], r->access);
				slot_add_rule(slot_for(&oslots, &noslots, g), (uint32_t)i);
			} else {
				slot_add_rule(slot_for(&slots, &nslots_used, g), (uint32_t)i);
			}
		}
		free(globs);
		if (wild && open)
			oglob[h.noglob++] = (uint32_t)i;
		else if (wild)
			globr[h.nglob++] = (uint32_t)i;
	}
	h.nrules = (uint32_t)rs->nrules;
	h.rules = buf_add(&b, rules, sizeof *rules * (size_t)(rs->nrules ? rs->nrules : 1), 8);
	h.glob_rules = buf_add(&b, globr, sizeof *globr * (h.nglob ? h.nglob : 1), 4);
	h.oglob = buf_add(&b, oglob, sizeof *oglob * (h.noglob ? h.noglob : 1), 4);
	h.oglob_filter = buf_add(&b, &gf, sizeof gf, 8);
	h.connect_rules = buf_add(&b, conn, sizeof *conn * (h.nconnect ? h.nconnect : 1), 4);
	free(conn);
	free(rules);
	free(globr);
	free(oglob);

	struct il_snap_prog *progs = calloc((size_t)rs->nprogs + 1, sizeof *progs);
	if (!progs)
		abort();
	for (int i = 0; i < rs->nprogs; i++) {
		const struct il_prog_src *p = &rs->progs[i];
		progs[i] = (struct il_snap_prog){
			add_str(&strs, p->name), p->flags, p->skip_operands,
			add_str(&strs, p->value_options), add_str(&strs, p->chdir_options),
			add_str(&strs, p->shell_options), add_str(&strs, p->exec_options),
			add_str(&strs, p->subcommands), add_str(&strs, p->leading_options),
			add_str(&strs, p->filter_options), add_str(&strs, p->data_options),
			add_str(&strs, p->data_file_options), add_str(&strs, p->help_options),
			add_str(&strs, p->no_script_options), add_str(&strs, p->code_env),
			add_str(&strs, p->config_options), add_str(&strs, p->config_line_options),
			add_str(&strs, p->config_files), add_str(&strs, p->config_format),
			add_str(&strs, p->saved_plan_options), add_str(&strs, p->statement_file_options),
		};
		slot_for(&slots, &nslots_used, p->name)->prog = (uint32_t)i;
	}
	h.nprogs = (uint32_t)rs->nprogs;
	h.progs = buf_add(&b, progs, sizeof *progs * (size_t)(rs->nprogs ? rs->nprogs : 1), 8);
	free(progs);

	h.slots = emit_table(&b, &strs, slots, nslots_used, &h.nslots);
	h.oslots = emit_table(&b, &strs, oslots, noslots, &h.noslots);
	h.xslots = emit_table(&b, &strs, xslots, nxslots, &h.nxslots);

	h.npatterns = (uint32_t)npat;
	if (npat) {
		uint8_t *ser;
		PCRE2_SIZE serlen;
		int32_t rc = pcre2_serialize_encode(codes, npat, &ser, &serlen, 0);
		if (rc < 0) {
			free(codes);
			free(b.p);
			free(strs.p);
			return -1;
		}
		h.patterns = buf_add(&b, ser, serlen, 8);
		h.patterns_len = (uint32_t)serlen;
		pcre2_serialize_free(ser);
	}
	free(codes);

	/* [deletes] and [environment]: what the rules say, the same in every
	 * session. The session's facts (il_snapshot_seal) are added after. */
	h.del_free = add_str(&strs, rs->del_free ? rs->del_free : "");
	h.del_programs = add_str(&strs, rs->del_programs ? rs->del_programs : "");
	h.del_exec_judged = add_str(&strs, rs->del_exec_judged ? rs->del_exec_judged : "");
	h.env_remove = add_str(&strs, rs->env_remove ? rs->env_remove : "");
	h.env_keep = add_str(&strs, rs->env_keep ? rs->env_keep : "");
	h.env_remove_password = add_str(&strs, rs->env_remove_password ? rs->env_remove_password : "");
	h.session = h.home = h.audit = h.profile = h.protect = 0; /* "" until sealed */
	h.socket = h.tty = h.hosts = h.del_tmpdir = h.adopted = IL_NONE;
	h.prompt_timeout = 60;

	h.strings = buf_add(&b, strs.p, strs.len, 8);
	h.strings_len = (uint32_t)strs.len;
	free(strs.p);
	h.size = (uint32_t)b.len;
	memcpy(b.p, &h, sizeof h);
	*out = b.p;
	*len = b.len;
	return 0;
}

/* The strings are the last part of a snapshot, so a session's facts are
 * appended to them without moving anything the rules part addresses: the
 * rules part can be built once and cached (cli/commands/snap_cache.c). */
static uint32_t append_str(struct buf *b, const struct il_snap_hdr *h, const char *str)
{
	if (!str)
		return IL_NONE;
	return buf_add(b, str, strlen(str) + 1, 1) - h->strings;
}

/* The strings a session adds, in the order il_snapshot_seal_in appends
 * them (those it may leave out count too: room is never short). */
static size_t facts_size(const struct il_session_meta *m)
{
	const char *facts[] = { m ? m->session : 0, m ? m->home : 0,   m ? m->audit : 0, m ? m->profile : 0,
				m ? m->socket : 0,  m ? m->protect : 0, m ? m->tty : 0,   m ? m->hosts : 0,
				getenv("TMPDIR"),   m ? m->adopted : 0 };
	size_t need = 0;
	for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++)
		need += (facts[i] ? strlen(facts[i]) : 0) + 1;
	return need;
}

/* A rules part's header, if it is one: its size and strings end it. */
static int rules_header(const void *rules, size_t len, struct il_snap_hdr *h)
{
	if (len < sizeof *h)
		return -1;
	memcpy(h, rules, sizeof *h);
	return h->size == len && h->strings + (uint64_t)h->strings_len == len ? 0 : -1;
}

size_t il_snapshot_facts_room(const struct il_session_meta *m)
{
	return facts_size(m);
}

int il_snapshot_seal_in(void *buf, size_t len, size_t room, const struct il_session_meta *m, size_t *outlen)
{
	struct il_snap_hdr h;
	if (rules_header(buf, len, &h) < 0 || room < len + facts_size(m))
		return -1;
	/* cap == room: never grown, so buf may be any writable memory (a
	 * private mapping of the cached rules part, cli/commands/snap_cache.c) */
	struct buf b = { buf, len, room };
	h.session = append_str(&b, &h, m && m->session ? m->session : "");
	h.home = append_str(&b, &h, m && m->home ? m->home : "");
	h.audit = append_str(&b, &h, m && m->audit ? m->audit : "");
	h.profile = append_str(&b, &h, m && m->profile ? m->profile : "");
	h.socket = m && m->socket ? append_str(&b, &h, m->socket) : IL_NONE;
	h.prompt_timeout = m && m->prompt_timeout > 0 ? (uint32_t)m->prompt_timeout : 60;
	h.protect = append_str(&b, &h, m && m->protect ? m->protect : "");
	h.tty = m && m->tty ? append_str(&b, &h, m->tty) : IL_NONE;
	/* a session's $TMPDIR and start time (files born later are the
	 * agent's own; see deletes.c) */
	h.del_tmpdir = IL_NONE;
	h.del_since_sec = h.del_since_nsec = 0;
	h.adopted = IL_NONE;
	if (m && m->session && *m->session) {
		if (m->adopted && *m->adopted)
			h.adopted = append_str(&b, &h, m->adopted);
		const char *t = getenv("TMPDIR");
		if (t && t[0] == '/' && t[1])
			h.del_tmpdir = append_str(&b, &h, t);
		struct timespec ts = m->start;
		if (!ts.tv_sec)
			clock_gettime(CLOCK_REALTIME, &ts);
		h.del_since_sec = (uint32_t)ts.tv_sec;
		h.del_since_nsec = (uint32_t)ts.tv_nsec;
	}
	h.hosts = m && m->hosts ? append_str(&b, &h, m->hosts) : IL_NONE;
	h.marker_lo = m ? (uint32_t)m->marker : 0;
	h.marker_hi = m ? (uint32_t)(m->marker >> 32) : 0;
	h.strings_len = (uint32_t)(b.len - h.strings);
	h.size = (uint32_t)b.len;
	memcpy(b.p, &h, sizeof h);
	*outlen = b.len;
	return 0;
}

int il_snapshot_seal(void *rules, size_t len, const struct il_session_meta *m, void **out, size_t *outlen)
{
	size_t room = len + facts_size(m);
	/* grown in place to its final size: the rules part is most of it, and
	 * realloc moves a large block's pages rather than copying them */
	void *p = realloc(rules, room);
	if (!p) {
		free(rules);
		return -1;
	}
	if (il_snapshot_seal_in(p, len, room, m, outlen) < 0) {
		free(p);
		return -1;
	}
	*out = p;
	return 0;
}

int il_snapshot_build(const struct il_ruleset *rs, const struct il_session_meta *m, void **out, size_t *len)
{
	void *rules;
	size_t n;
	if (il_snapshot_build_rules(rs, m, &rules, &n) < 0)
		return -1;
	return il_snapshot_seal(rules, n, m, out, len);
}
