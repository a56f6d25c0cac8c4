/* Reading a snapshot in a guarded process: validation, the program-name
 * prefilter, and lazy decoding of the PCRE2 patterns. Heap-free. */
#include "engine_int.h"

uint32_t il_hash_name(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

const char *il_snap_str(const struct il_snap_view *v, uint32_t off)
{
	if (off == IL_NONE || off >= v->hdr->strings_len)
		return 0;
	return (const char *)v->base + v->hdr->strings + off;
}

static int range_ok(const struct il_snap_hdr *h, uint32_t off, uint64_t len)
{
	return (uint64_t)off + len <= h->size;
}

int il_snap_open(struct il_snap_view *v, const void *buf, size_t size)
{
	const struct il_snap_hdr *h = buf;
	if (size < sizeof *h)
		return -1;
	for (int i = 0; i < 8; i++)
		if (h->magic[i] != IL_SNAP_MAGIC[i])
			return -1;
	if (h->version != IL_SNAP_VERSION || h->size != size || h->pcre2_major != PCRE2_MAJOR ||
	    h->pcre2_minor != PCRE2_MINOR)
		return -1;
	if (!range_ok(h, h->rules, (uint64_t)h->nrules * sizeof(struct il_snap_rule)) ||
	    !range_ok(h, h->progs, (uint64_t)h->nprogs * sizeof(struct il_snap_prog)) ||
	    !range_ok(h, h->slots, (uint64_t)h->nslots * sizeof(struct il_snap_slot)) ||
	    !range_ok(h, h->glob_rules, (uint64_t)h->nglob * 4) ||
	    !range_ok(h, h->patterns, h->patterns_len) || !range_ok(h, h->strings, h->strings_len) ||
	    h->strings_len == 0 || ((const char *)buf)[h->strings + h->strings_len - 1] != 0 ||
	    (h->nslots & (h->nslots - 1)) || h->nslots == 0 || !range_ok(h, h->oglob, (uint64_t)h->noglob * 4) ||
	    !range_ok(h, h->oslots, (uint64_t)h->noslots * sizeof(struct il_snap_slot)) ||
	    !range_ok(h, h->xslots, (uint64_t)h->nxslots * sizeof(struct il_snap_slot)) ||
	    (h->noslots & (h->noslots - 1)) || !h->noslots || (h->nxslots & (h->nxslots - 1)) || !h->nxslots ||
	    !range_ok(h, h->oglob_filter, sizeof(struct il_glob_filter)) ||
	    !range_ok(h, h->connect_rules, (uint64_t)h->nconnect * 4))
		return -1;
	v->base = buf;
	v->size = size;
	v->hdr = h;
	v->codes = 0;
	v->get_mem = 0;
	v->free_mem = 0;
	return 0;
}

const struct il_snap_slot *il_snap_lookup_in(const struct il_snap_view *v, uint32_t table, uint32_t nslots,
					     const char *name, size_t len)
{
	const struct il_snap_slot *t = (const void *)(v->base + table);
	uint32_t hv = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		hv ^= (unsigned char)name[i];
		hv *= 16777619u;
	}
	uint32_t mask = nslots - 1;
	for (uint32_t j = hv & mask, n = 0; n < nslots; j = (j + 1) & mask, n++) {
		if (t[j].name == IL_NONE)
			return 0;
		if (t[j].hash == hv) {
			const char *s = il_snap_str(v, t[j].name);
			if (il_strneq(s, name, len) && !s[len])
				return &t[j];
		}
	}
	return 0;
}

const struct il_snap_slot *il_snap_lookup(const struct il_snap_view *v, const char *name)
{
	const struct il_snap_hdr *h = v->hdr;
	const struct il_snap_slot *t = (const void *)(v->base + h->slots);
	uint32_t hv = il_hash_name(name), mask = h->nslots - 1;
	for (uint32_t j = hv & mask, n = 0; n < h->nslots; j = (j + 1) & mask, n++) {
		if (t[j].name == IL_NONE)
			return 0;
		if (t[j].hash == hv && il_streq(il_snap_str(v, t[j].name), name))
			return &t[j];
	}
	return 0;
}

const struct il_snap_rule *il_snap_rule(const struct il_snap_view *v, uint32_t i)
{
	return (const struct il_snap_rule *)(v->base + v->hdr->rules) + i;
}

const struct il_snap_prog *il_snap_prog_for(const struct il_snap_view *v, const char *name)
{
	const struct il_snap_slot *s = il_snap_lookup(v, name);
	if (!s || s->prog == IL_NONE)
		return 0;
	return (const struct il_snap_prog *)(v->base + v->hdr->progs) + s->prog;
}

static int is_literal(char c)
{
	return c != '*' && c != '?' && c != '[' && c != ']';
}

/* Every open of a file pays for this on the rules whose names are globs,
 * so a glob whose first or last character is literal and differs from the
 * name's is rejected before it is copied and matched. */
static int glob_list_match(const char *globs, const char *name, char *tmp, size_t cap)
{
	size_t nl = il_strlen(name);
	while (*globs) {
		while (*globs == ' ' || *globs == '\t')
			globs++;
		size_t n = 0;
		while (globs[n] && globs[n] != ' ' && globs[n] != '\t')
			n++;
		int maybe = n && n < cap && nl;
		if (maybe && is_literal(globs[0]) && globs[0] != name[0])
			maybe = 0;
		if (maybe && is_literal(globs[n - 1]) && (n < 2 || globs[n - 2] != '\\') && globs[n - 1] != name[nl - 1])
			maybe = 0;
		if (maybe) {
			il_memcpy(tmp, globs, n);
			tmp[n] = 0;
			if (il_glob_match(tmp, name))
				return 1;
		}
		globs += n;
	}
	return 0;
}

int il_snap_globs_match(const struct il_snap_view *v, uint32_t globs, const char *name)
{
	char tmp[256];
	return glob_list_match(il_snap_str(v, globs), name, tmp, sizeof tmp);
}

int il_snap_rule_names(const struct il_snap_view *v, const struct il_snap_rule *r, const char *name)
{
	char tmp[256];
	return glob_list_match(il_snap_str(v, r->globs), name, tmp, sizeof tmp);
}

/* Traits that change how an exec of the program itself is read: it runs
 * another command (a wrapper, an applet, a shell string, find -exec). A
 * program with none of them and no rule ([program node], whose traits only
 * say how to name the script it runs) is no candidate. */
static int peels(const struct il_snap_view *v, const struct il_snap_slot *s)
{
	if (s->prog == IL_NONE)
		return 1;
	const struct il_snap_prog *p = (const struct il_snap_prog *)(v->base + v->hdr->progs) + s->prog;
	return (p->flags & (IL_T_WRAPPER | IL_T_APPLET)) || p->shell_options != IL_NONE || p->exec_options != IL_NONE;
}

int il_snap_exec_candidate(const struct il_snap_view *v, const char *name)
{
	const struct il_snap_slot *s = il_snap_lookup(v, name);
	if (s && (s->nrules || peels(v, s)))
		return 1;
	const uint32_t *g = (const void *)(v->base + v->hdr->glob_rules);
	for (uint32_t i = 0; i < v->hdr->nglob; i++)
		if (il_snap_rule_names(v, il_snap_rule(v, g[i]), name))
			return 1;
	return 0;
}

/* PCRE2 allocations go to an arena; nothing is ever freed individually. */
static void *arena_malloc(PCRE2_SIZE n, void *data)
{
	return il_arena_alloc(data, n);
}

static void arena_free(void *p, void *data)
{
	(void)p, (void)data;
}

pcre2_general_context *il_pcre2_context(struct il_arena *a)
{
	return pcre2_general_context_create(arena_malloc, arena_free, a);
}

/* Decodes every pattern once per view. Threads that race both decode, into
 * their own memory; the first to publish wins and the others free theirs.
 * A vfork child that decodes leaves the result in its parent's memory, which
 * is consistent because the pointer is published last. */
int il_snap_decode(struct il_snap_view *v)
{
	if (__atomic_load_n(&v->codes, __ATOMIC_ACQUIRE))
		return 0;
	const struct il_snap_hdr *h = v->hdr;
	size_t size = (size_t)h->patterns_len * 4 + (256u << 10);
	void *mem = v->get_mem ? v->get_mem(size) : 0;
	if (!mem)
		return -1;
	struct il_arena a;
	il_arena_init(&a, mem, size);
	void **codes = il_arena_alloc(&a, sizeof(void *) * (h->npatterns + 1));
	pcre2_general_context *g = il_pcre2_context(&a);
	int ok = codes && g;
	if (ok && h->npatterns)
		ok = pcre2_serialize_decode((pcre2_code **)codes, (int32_t)h->npatterns, v->base + h->patterns, g) ==
		     (int32_t)h->npatterns;
	void **expect = 0;
	if (!ok || !__atomic_compare_exchange_n(&v->codes, &expect, codes, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		if (v->free_mem)
			v->free_mem(mem, size);
		return ok ? 0 : -1;
	}
	return 0;
}

/* The session's facts, for hosts (il.h): NULL where the snapshot has none. */
static const char *fact(const struct il_snap_view *v, uint32_t off)
{
	const char *s = il_snap_str(v, off);
	return s && *s ? s : 0;
}
const char *il_snap_session(const struct il_snap_view *v)
{
	return fact(v, v->hdr->session);
}
const char *il_snap_audit(const struct il_snap_view *v)
{
	return fact(v, v->hdr->audit);
}
const char *il_snap_broker(const struct il_snap_view *v)
{
	return fact(v, v->hdr->socket);
}
const char *il_snap_tty(const struct il_snap_view *v)
{
	return fact(v, v->hdr->tty);
}
uint64_t il_marker; /* set by the preload when it maps the session's rule set */

uint64_t il_snap_marker(const struct il_snap_view *v)
{
	return (uint64_t)v->hdr->marker_hi << 32 | v->hdr->marker_lo;
}
const char *il_snap_protect(const struct il_snap_view *v)
{
	return fact(v, v->hdr->protect);
}
const char *il_snap_hosts(const struct il_snap_view *v)
{
	return fact(v, v->hdr->hosts);
}
int il_snap_prompt_timeout(const struct il_snap_view *v)
{
	return (int)v->hdr->prompt_timeout;
}
