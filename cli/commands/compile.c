/* Loading the rules once and evaluating execs the way the preload does:
 * the CLI always goes through a serialized snapshot, so `check` and
 * `rules test` exercise exactly what guarded processes read. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "cli.h"
#include "snapshot.h"

extern char **environ;

/* A --rules DIR that is not there is a typo, not an empty directory: the
 * rules meant to be added would silently not be. (The standard directories
 * are optional; one named on the command line is not.) */
static int rules_dir_missing(const char *cmd, const char *dir)
{
	struct stat st;
	if (stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		errno = ENOTDIR;
	}
	fprintf(stderr, "interlock %s: --rules %s: %s\n", cmd, dir, strerror(errno));
	return 1;
}

int il_common_optarg(struct il_opts *o, int ch, const char *arg, const char *cmd)
{
	switch (ch) {
	case IL_OPT_RULES:
		if (o->nrules == (int)(sizeof o->rules / sizeof o->rules[0])) {
			fprintf(stderr, "interlock %s: too many --rules directories\n", cmd);
			return -1;
		}
		if (rules_dir_missing(cmd, arg))
			return -1;
		o->rules[o->nrules++] = arg;
		return 1;
	case IL_OPT_PROFILE:
		o->profile = arg;
		return 1;
	case IL_OPT_TIMEOUT: {
		char *end;
		long t = strtol(arg, &end, 10);
		if (*end || !*arg || t < 1 || t > 86400) {
			fprintf(stderr, "interlock %s: --prompt-timeout: expected seconds (1-86400), got '%s'\n", cmd, arg);
			return -1;
		}
		o->prompt_timeout = (int)t;
		return 1;
	}
	case IL_OPT_JSON:
		o->json = 1;
		return 1;
	}
	return 0;
}

int il_bad_option(const char *cmd, int ch, char **argv)
{
	const char *arg = argv[optind - 1];
	if (ch == ':')
		fprintf(stderr, "interlock %s: %s needs a value\n", cmd, arg);
	else
		fprintf(stderr, "interlock %s: unknown option '%s' (interlock %s --help)\n", cmd, arg, cmd);
	return EXIT_INTERLOCK;
}

/* The CLI decodes patterns once per rule set; the memory lives until exit
 * (il_compiled_free releases it with the view). */
static void *keep_mem(size_t size)
{
	return malloc(size);
}

static void drop_mem(void *mem, size_t size)
{
	(void)size;
	free(mem);
}

/* Whether the space-separated list names word. */
static int names(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; p && *p;) {
		p += strspn(p, " \t\n");
		size_t k = strcspn(p, " \t\n");
		if (k == n && !strncmp(p, word, n))
			return 1;
		p += k;
	}
	return 0;
}

/* For --profile's error and `rules list`: what --profile may name. */
void il_profiles_named(const struct il_ruleset *rs, char *buf, size_t cap)
{
	size_t used = 0;
	buf[0] = 0;
	for (int i = 0; i < rs->nrules; i++) {
		const char *p = rs->rules[i].profiles;
		while (p && *p) {
			p += strspn(p, " \t\n");
			size_t k = strcspn(p, " \t\n");
			char name[128];
			if (k && k < sizeof name && used + k + 2 < cap) {
				memcpy(name, p, k);
				name[k] = 0;
				if (!names(buf, name))
					used += (size_t)snprintf(buf + used, cap - used, "%s%s", used ? " " : "", name);
			}
			p += k;
		}
	}
}

int il_profile_check(const struct il_ruleset *rs, const char *profile)
{
	for (int i = 0; i < rs->nrules; i++)
		if (names(rs->rules[i].profiles, profile))
			return 0;
	/* A misspelt profile would run the session without the rules it was
	 * meant to switch on. */
	char known[2048];
	il_profiles_named(rs, known, sizeof known);
	fprintf(stderr, "interlock: --profile %s: no rule names this profile (", profile);
	if (!known[0])
		fputs("no rule names any profile", stderr);
	for (char *save = 0, *p = strtok_r(known, " ", &save); p; p = strtok_r(0, " ", &save))
		fprintf(stderr, "%s%s", p == known ? "the rules name: " : ", ", p);
	fputs(")\n", stderr);
	return -1;
}

/* Loads the rule files of dirs into c->rs and checks them: errors, no
 * rules at all, a --profile no rule names. 0, or EXIT_INTERLOCK after
 * printing why. */
static int load_checked(struct il_compiled *c, const struct il_opts *o, const struct il_session_meta *m,
			char *const *dirs)
{
	c->rs.keep_examples = m->examples;
	il_ruleset_load(&c->rs, dirs);
	if (!c->rs.errors && c->rs.nrules == 0) {
		/* Guarding with no rules would look like protection and be none. */
		fprintf(stderr, "interlock: no rules found; looked in:");
		for (int i = 0; dirs[i]; i++)
			fprintf(stderr, " %s", dirs[i]);
		fputc('\n', stderr);
		c->rs.errors++;
	}
	if (c->rs.errors) {
		fprintf(stderr, "interlock: %d error%s in the rules; nothing was run\n", c->rs.errors,
			c->rs.errors == 1 ? "" : "s");
		return EXIT_INTERLOCK;
	}
	if (o && o->profile && il_profile_check(&c->rs, o->profile) < 0)
		return EXIT_INTERLOCK;
	return 0;
}

static int build_failed(struct il_compiled *c)
{
	fprintf(stderr, "interlock: cannot build the rule snapshot\n");
	il_compiled_free(c);
	return EXIT_INTERLOCK;
}

/* The session's snapshot from the rules part (which it consumes): the facts
 * of m added, the view opened on it. */
static int seal(struct il_compiled *c, void *rules, size_t n, const struct il_session_meta *m)
{
	int rc = il_snapshot_seal(rules, n, m, &c->blob, &c->len);
	if (rc < 0 || il_snap_open(&c->view, c->blob, c->len) < 0)
		return build_failed(c);
	c->view.get_mem = keep_mem;
	c->view.free_mem = drop_mem;
	return 0;
}

/* The same from the cache's mapping, which has room for the facts: the
 * 250 KB rules part is neither read nor copied, only the pages written
 * (the header's, the last) become the process's own. */
static int seal_mapped(struct il_compiled *c, struct il_cache_image *img, const struct il_session_meta *m)
{
	c->map = img->map;
	c->maplen = img->maplen;
	if (il_snapshot_seal_in(img->data, img->len, img->len + il_snapshot_facts_room(m), m, &c->len) < 0)
		return build_failed(c);
	c->blob = img->data;
	if (il_snap_open(&c->view, c->blob, c->len) < 0)
		return build_failed(c);
	c->view.get_mem = keep_mem;
	c->view.free_mem = drop_mem;
	return 0;
}

int il_compile(struct il_compiled *c, const struct il_opts *o, const struct il_session_meta *m)
{
	memset(c, 0, sizeof *c);
	char **dirs = il_rule_dirs(o);
	int rc = load_checked(c, o, m, dirs);
	il_strv_free(dirs);
	void *rules;
	size_t n;
	if (rc) {
		il_compiled_free(c);
		return rc;
	}
	if (il_snapshot_build_rules(&c->rs, m, &rules, &n) < 0)
		return build_failed(c);
	return seal(c, rules, n, m);
}

static char *snap_strdup(const struct il_snap_view *v, uint32_t off)
{
	const char *s = il_snap_str(v, off);
	char *d = strdup(s ? s : "");
	if (!d)
		abort();
	return d;
}

/* A cached rules part: a snapshot, with none of a session's facts. */
static int rules_part(const void *blob, size_t len)
{
	struct il_snap_view v;
	return il_snap_open(&v, blob, len) == 0 && v.hdr->session == 0 && v.hdr->socket == IL_NONE &&
	       v.hdr->marker_lo == 0 && v.hdr->marker_hi == 0;
}

int il_compile_cached(struct il_compiled *c, const struct il_opts *o, const struct il_session_meta *m)
{
	if (m->examples || m->all_profiles)
		return il_compile(c, o, m);
	memset(c, 0, sizeof *c);
	char **dirs = il_rule_dirs(o);
	struct il_cache_key key;
	int keyed = il_snap_cache_key(dirs, m->profile, &key) == 0;
	struct il_cache_image img;
	if (keyed && il_cache_map("rules", &key, rules_part, il_snapshot_facts_room(m), &img) == 0) {
		il_strv_free(dirs);
		int rc = seal_mapped(c, &img, m);
		if (rc)
			return rc;
		const struct il_snap_hdr *h = c->view.hdr;
		c->rs.env_remove = snap_strdup(&c->view, h->env_remove);
		c->rs.env_keep = snap_strdup(&c->view, h->env_keep);
		c->rs.env_remove_password = snap_strdup(&c->view, h->env_remove_password);
		return 0;
	}
	void *rules;
	size_t n;
	int rc = load_checked(c, o, m, dirs);
	il_strv_free(dirs);
	if (rc) {
		il_compiled_free(c);
		return rc;
	}
	if (il_snapshot_build_rules(&c->rs, m, &rules, &n) < 0)
		return build_failed(c);
	if (keyed)
		il_cache_put("rules", &key, rules, n);
	return seal(c, rules, n, m);
}

int il_compile_for_check(struct il_compiled *c, const struct il_opts *o)
{
	/* What a session would protect, but for a session directory there is
	 * none of: interlock's own files are judged as in `run`. */
	char *audit = il_audit_path();
	char *lib = il_library_path();
	char *protect = il_protected_paths(o, audit, "", lib ? lib : "");
	struct il_session_meta meta = { .home = getenv("HOME"), .audit = audit, .profile = o->profile,
					.protect = protect };
	int rc = il_compile_cached(c, o, &meta);
	free(audit), free(lib), free(protect);
	return rc;
}

/* A session's snapshot, read from its file as the preload maps it: the
 * rules it was started with and its facts (HOME, start, protected paths). */
int il_session_open(struct il_compiled *c, const char *path)
{
	memset(c, 0, sizeof *c);
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t cap = 1 << 20, n = 0;
	char *blob = malloc(cap);
	size_t k;
	while (blob && (k = fread(blob + n, 1, cap - n, f)) > 0) {
		n += k;
		if (n == cap) {
			char *more = realloc(blob, cap *= 2);
			if (!more) {
				free(blob);
				blob = 0;
			}
			blob = more;
		}
	}
	fclose(f);
	if (!blob || il_snap_open(&c->view, blob, n) < 0) {
		free(blob);
		memset(c, 0, sizeof *c);
		return -1;
	}
	c->blob = blob;
	c->len = n;
	c->view.get_mem = keep_mem;
	c->view.free_mem = drop_mem;
	return 0;
}

void il_compiled_free(struct il_compiled *c)
{
	il_ruleset_free(&c->rs);
	if (c->map)
		munmap(c->map, c->maplen);
	else
		free(c->blob);
	if (c->view.codes)
		free(c->view.codes); /* the arena starts with the codes array */
	memset(c, 0, sizeof *c);
}

struct il_arena *il_scratch(void)
{
	static struct il_arena a;
	static char *mem;
	const size_t size = 16u << 20;
	if (!mem && !(mem = malloc(size)))
		abort();
	il_arena_init(&a, mem, size);
	return &a;
}

int il_eval_argv(struct il_compiled *c, char **argv, const char *cwd, const char *profile,
		 struct il_verdict *v, struct il_arena *a)
{
	char buf[4096];
	const char *path = argv[0] ? il_program_path(argv[0], buf, sizeof buf) : "";
	struct il_exec_event ev = { path, argv, environ, cwd, profile, 0, 0, 0, 0, 0 };
	char real[4096];
	int missing;
	ev.real = il_exec_real(path, cwd, 0, real, sizeof real, &missing); /* a symlink runs its target */
	return il_judge_exec(&c->view, &ev, a, v);
}

/* "HOST:PORT", "ADDR:PORT" or "[V6ADDR]:PORT" -> a connect event. A name
 * is looked up in INTERLOCK_HOSTS-style pins only through hosts; here it is
 * just the name (address unknown). 0 on success. */
int il_parse_endpoint(const char *s, struct il_net_event *ev, char *host, size_t cap)
{
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s)
		return -1;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535)
		return -1;
	size_t n = (size_t)(colon - s);
	if (s[0] == '[' && n > 2 && s[n - 1] == ']')
		s++, n -= 2;
	if (n >= cap)
		return -1;
	memcpy(host, s, n);
	host[n] = 0;
	memset(ev->addr, 0, sizeof ev->addr);
	ev->port = (unsigned)port;
	int bits;
	if (il_cidr_parse(host, ev->addr, &bits) == 0) {
		ev->host = 0;
		ev->family = strchr(host, ':') ? 10 : 2;
	} else {
		ev->host = host;
		ev->family = 2;
	}
	return 0;
}
