/* Reading rule files: drop-in directory merge, INI parsing, validation and
 * regex compilation. Every problem is reported as FILE:LINE: message and
 * counted; a rule set with errors is never used. */
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ruleset.h"
#include "engine_int.h"
#include "snapshot.h"

struct load_ctx {
	struct il_ruleset *rs;
	const char *file;
	FILE *fp;
	int line;          /* line of the text inih is working on */
	int line_done;     /* previous chunk ended a line */
	int header_line;   /* line of the last [section] header read */
	char section[256];
	int section_line;
	int kind;          /* 0 none, 1 rule, 2 program, -1 bad section */
	int cur;           /* index of the current rule/prog */
	char last_key[64];
	/* Patterns compiled so far in this file: rules of one pack repeat
	 * theirs (the rm -r option, a localhost endpoint), and copying a
	 * compiled pattern costs a fraction of compiling it again. The
	 * strings and codes are the conditions' own, alive while the file
	 * loads (a rule is only ever replaced by one of a later file). */
	struct compiled_pat {
		const char *pat;
		const pcre2_code *code;
	} *pats;
	int npats;
};

static void diag(struct il_ruleset *rs, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	FILE *out = rs->diag ? rs->diag : stderr;
	fprintf(out, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	rs->errors++;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		abort();
	return d;
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		abort();
	return q;
}

/* Room for element n of an array that only grows by appending: doubled
 * when n reaches a power of two, so the count alone implies the capacity
 * (a realloc per element copied the rule array 140 times per load). */
static void *grow(void *p, size_t elem, int n)
{
	if (n > 0 && (n & (n - 1)))
		return p;
	return xrealloc(p, elem * (size_t)(n ? 2 * n : 1));
}

static char *append_words(char *old, const char *more)
{
	if (!old)
		return xstrdup(more);
	size_t a = strlen(old), b = strlen(more);
	old = xrealloc(old, a + b + 2);
	old[a] = ' ';
	memcpy(old + a + 1, more, b + 1);
	return old;
}

/* ---- rules ---- */

enum { K_ON = 1, K_PROGRAM = 2, K_ACTION = 4, K_WHY = 8, K_CONFIRM = 16, K_PROFILE = 32, K_TARGET = 64,
       K_NAME = 128, K_ACCESS = 256, K_HOST = 512, K_ADDRESS = 1024, K_PORT = 2048 };

static int parse_predicates(struct load_ctx *c, const char *v, unsigned *mask)
{
	size_t np;
	const struct il_predicate *p = il_predicates(&np);
	char *copy = xstrdup(v), *save = 0;
	int ok = 1;
	for (char *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(0, " \t,", &save)) {
		unsigned bit = 0;
		for (size_t i = 0; i < np; i++)
			if (!strcmp(w, p[i].name))
				bit = p[i].bit;
		if (!bit) {
			char known[256] = "";
			for (size_t i = 0, o = 0; i < np && o < sizeof known; i++)
				o += (size_t)snprintf(known + o, sizeof known - o, "%s%s", i ? " " : "", p[i].name);
			diag(c->rs, c->file, c->line, "unknown target predicate '%s' (known: %s)", w, known);
			ok = 0;
		}
		*mask |= bit;
	}
	free(copy);
	return ok;
}

/* pat: the condition's own copy, remembered for the rest of the file. */
static pcre2_code *compile_pattern(struct load_ctx *c, const char *pat)
{
	for (int i = 0; i < c->npats; i++)
		if (!strcmp(c->pats[i].pat, pat)) {
			pcre2_code *copy = pcre2_code_copy(c->pats[i].code);
			if (!copy)
				abort(); /* out of memory, as xmalloc */
			return copy;
		}
	int err;
	PCRE2_SIZE off;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, 0, &err, &off, 0);
	if (!code) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(err, msg, sizeof msg);
		diag(c->rs, c->file, c->line, "bad regex at offset %zu: %s: %s", (size_t)off, (char *)msg, pat);
		return 0;
	}
	c->pats = grow(c->pats, sizeof *c->pats, c->npats);
	c->pats[c->npats++] = (struct compiled_pat){ pat, code };
	return code;
}

static void add_cond(struct load_ctx *c, struct il_rule_src *r, int kind, const char *v)
{
	char *pattern = xstrdup(v);
	pcre2_code *code = compile_pattern(c, pattern);
	if (!code) {
		free(pattern);
		return;
	}
	r->conds = grow(r->conds, sizeof *r->conds, r->nconds);
	r->conds[r->nconds++] = (struct il_cond_src){ kind, pattern, c->line, code };
}

static void add_example(const struct il_ruleset *rs, struct il_rule_src *r, const char *v, int line, int must)
{
	r->nmatch += must;
	if (!rs->keep_examples)
		return;
	r->examples = grow(r->examples, sizeof *r->examples, r->nexamples);
	r->examples[r->nexamples++] = (struct il_example){ xstrdup(v), line, must };
}

static int once(struct load_ctx *c, unsigned *seen, unsigned bit, const char *key)
{
	if (*seen & bit) {
		diag(c->rs, c->file, c->line, "duplicate key '%s' in [%s]", key, c->section);
		return 0;
	}
	*seen |= bit;
	return 1;
}

static int parse_access(struct load_ctx *c, const char *v, unsigned *mask)
{
	static const struct { const char *name; unsigned bit; } kinds[] = {
		{ "read", IL_A_READ }, { "write", IL_A_WRITE }, { "truncate", IL_A_TRUNCATE }, { "create", IL_A_CREATE },
	};
	char *copy = xstrdup(v), *save = 0;
	int ok = 1;
	for (char *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(0, " \t,", &save)) {
		unsigned bit = 0;
		for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
			if (!strcmp(w, kinds[i].name))
				bit = kinds[i].bit;
		if (!bit) {
			diag(c->rs, c->file, c->line, "unknown access '%s' (known: read write truncate create)", w);
			ok = 0;
		}
		*mask |= bit;
	}
	free(copy);
	return ok;
}

/* loses = KIND...: what a git command (or a database file's client) would
 * throw away, the rule asking only then (git_loss.c, decide.c). */
static void parse_loses(struct load_ctx *c, struct il_rule_src *r, const char *v)
{
	for (const char *s = v; *s;) {
		while (*s == ' ' || *s == '\t')
			s++;
		size_t n = strcspn(s, " \t");
		if (!n)
			break;
		unsigned bit = il_loss_parse(s, n);
		if (!bit)
			diag(c->rs, c->file, c->line, "unknown loses '%.*s' (one or more of: %s)", (int)n, s, il_loss_names());
		r->loses |= bit;
		s += n;
	}
	if (!r->loses)
		diag(c->rs, c->file, c->line, "empty loses (one or more of: %s)", il_loss_names());
}

/* address = 10.0.0.0/8 127.0.0.2 ::1/128 */
static int valid_cidrs(struct load_ctx *c, const char *v)
{
	char *copy = xstrdup(v), *save = 0;
	int ok = 1;
	for (char *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(0, " \t,", &save)) {
		unsigned char addr[16];
		int bits;
		if (il_cidr_parse(w, addr, &bits) < 0) {
			diag(c->rs, c->file, c->line, "bad address '%s' (expected an IPv4 or IPv6 address, optionally /BITS)", w);
			ok = 0;
		}
	}
	free(copy);
	return ok;
}

/* port = 443 5432 8000-8100 */
static int valid_ports(struct load_ctx *c, const char *v)
{
	char *copy = xstrdup(v), *save = 0;
	int ok = 1;
	for (char *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(0, " \t,", &save)) {
		char *end;
		long lo = strtol(w, &end, 10), hi = lo;
		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		if (*end || lo < 1 || hi > 65535 || lo > hi) {
			diag(c->rs, c->file, c->line, "bad port '%s' (expected N or N-M, 1-65535)", w);
			ok = 0;
		}
	}
	free(copy);
	return ok;
}

/* Keys that only make sense for one kind of event. */
static int key_fits(struct load_ctx *c, struct il_rule_src *r, const char *k, int on)
{
	if (!(r->seen & K_ON) || r->on == on)
		return 1;
	diag(c->rs, c->file, c->line, "key '%s' does not apply to on = %s", k,
	     r->on == IL_ON_OPEN ? "open" : r->on == IL_ON_CONNECT ? "connect" : "exec");
	return 0;
}

static void rule_key(struct load_ctx *c, struct il_rule_src *r, const char *k, const char *v)
{
	static const struct { const char *name; int kind; int on; } cond_keys[] = {
		{ "words", IL_C_WORDS, IL_ON_EXEC }, { "option", IL_C_OPTION, IL_ON_EXEC },
		{ "no-option", IL_C_NO_OPTION, IL_ON_EXEC }, { "arg", IL_C_ARG, IL_ON_EXEC },
		{ "no-arg", IL_C_NO_ARG, IL_ON_EXEC }, { "args", IL_C_ARGS, IL_ON_EXEC },
		{ "path", IL_C_PATH, IL_ON_OPEN }, { "no-path", IL_C_NO_PATH, IL_ON_OPEN },
		{ "env", IL_C_ENV, IL_ON_EXEC }, { "no-env", IL_C_NO_ENV, IL_ON_EXEC },
	};
	/* Examples are most of the keys in the shipped files: first. */
	if (!strcmp(k, "match") || !strcmp(k, "no-match")) {
		add_example(c->rs, r, v, c->line, k[0] == 'm');
		return;
	}
	int continuation = !strcmp(k, c->last_key);
	for (size_t i = 0; i < sizeof cond_keys / sizeof cond_keys[0]; i++)
		if (!strcmp(k, cond_keys[i].name)) {
			if (key_fits(c, r, k, cond_keys[i].on))
				add_cond(c, r, cond_keys[i].kind, v);
			return;
		}
	if (!strcmp(k, "name")) {
		if (!key_fits(c, r, k, IL_ON_OPEN))
			return;
		if (continuation && r->globs) {
			r->globs = append_words(r->globs, v);
			return;
		}
		if (once(c, &r->seen, K_NAME, k))
			r->globs = xstrdup(v);
		return;
	}
	if (!strcmp(k, "host") || !strcmp(k, "address") || !strcmp(k, "port")) {
		if (!key_fits(c, r, k, IL_ON_CONNECT))
			return;
		char **dst = k[0] == 'h' ? &r->hosts : k[0] == 'a' ? &r->addresses : &r->ports;
		if (k[0] == 'a' && !valid_cidrs(c, v))
			return;
		if (k[0] == 'p' && !valid_ports(c, v))
			return;
		*dst = append_words(*dst, v);
		return;
	}
	if (!strcmp(k, "unless-program") || !strcmp(k, "quiet-program")) {
		if (key_fits(c, r, k, IL_ON_OPEN)) {
			char **dst = k[0] == 'u' ? &r->unless : &r->quiet;
			*dst = append_words(*dst, v);
		}
		return;
	}
	if (!strcmp(k, "unless-caller")) {
		if (!key_fits(c, r, k, IL_ON_EXEC))
			return;
		if (!*v || strspn(v, " \t") == strlen(v)) {
			diag(c->rs, c->file, c->line, "empty unless-caller (expected PROGRAM WORD..., e.g. git worktree add)");
			return;
		}
		size_t old = r->callers ? strlen(r->callers) : 0;
		r->callers = xrealloc(r->callers, old + strlen(v) + 2);
		if (old)
			r->callers[old++] = '\n';
		strcpy(r->callers + old, v);
		return;
	}
	if (!strcmp(k, "loses")) {
		if (key_fits(c, r, k, IL_ON_EXEC))
			parse_loses(c, r, v);
		return;
	}
	if (!strcmp(k, "access")) {
		if (key_fits(c, r, k, IL_ON_OPEN) && (continuation || once(c, &r->seen, K_ACCESS, k)))
			parse_access(c, v, &r->access);
		return;
	}
	if (!strcmp(k, "why")) {
		if (continuation && r->why) {
			r->why = append_words(r->why, v);
			return;
		}
		if (once(c, &r->seen, K_WHY, k))
			r->why = xstrdup(v);
		return;
	}
	if (!strcmp(k, "on")) {
		if (!once(c, &r->seen, K_ON, k))
			return;
		if (!strcmp(v, "exec"))
			r->on = IL_ON_EXEC;
		else if (!strcmp(v, "open"))
			r->on = IL_ON_OPEN;
		else if (!strcmp(v, "connect"))
			r->on = IL_ON_CONNECT;
		else
			diag(c->rs, c->file, c->line, "unknown value for 'on': '%s' (expected exec, open or connect)", v);
		if (r->globs || r->nconds)
			diag(c->rs, c->file, c->line, "put 'on' first in a rule: keys before it cannot be checked");
		return;
	}
	if (!strcmp(k, "program")) {
		if (!key_fits(c, r, k, IL_ON_EXEC))
			return;
		if (continuation && r->globs) {
			r->globs = append_words(r->globs, v);
			return;
		}
		if (once(c, &r->seen, K_PROGRAM, k))
			r->globs = xstrdup(v);
		return;
	}
	if (!strcmp(k, "action")) {
		if (!once(c, &r->seen, K_ACTION, k))
			return;
		r->action = il_action_parse(v);
		if (r->action < 0)
			diag(c->rs, c->file, c->line, "unknown action '%s' (expected allow, log, confirm or deny)", v);
		return;
	}
	if (!strcmp(k, "confirm")) {
		if (once(c, &r->seen, K_CONFIRM, k))
			r->confirm = xstrdup(v);
		if (!*v || strspn(v, " \t") == strlen(v))
			diag(c->rs, c->file, c->line, "empty confirmation word");
		return;
	}
	if (!strcmp(k, "profile")) {
		if (once(c, &r->seen, K_PROFILE, k))
			r->profiles = xstrdup(v);
		return;
	}
	if (!strcmp(k, "target")) {
		if (continuation || once(c, &r->seen, K_TARGET, k))
			parse_predicates(c, v, &r->targets);
		return;
	}
	diag(c->rs, c->file, c->line, "unknown key '%s' in rule [%s]", k, c->section);
}

/* ---- program traits ---- */

static int parse_bool(struct load_ctx *c, const char *k, const char *v)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		return 1;
	if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		return 0;
	diag(c->rs, c->file, c->line, "'%s' must be yes or no, not '%s'", k, v);
	return 0;
}

static void prog_key(struct load_ctx *c, struct il_prog_src *p, const char *k, const char *v)
{
	static const struct { const char *name; unsigned flag; } bools[] = {
		{ "single-dash-long", IL_T_SINGLE_DASH_LONG }, { "leading-operands", IL_T_LEADING_OPERANDS },
		{ "wrapper", IL_T_WRAPPER }, { "assignments", IL_T_ASSIGNMENTS },
		{ "join-command", IL_T_JOIN_COMMAND }, { "applet", IL_T_APPLET },
		{ "interpreter", IL_T_INTERPRETER }, { "makes-program", IL_T_MAKES_PROGRAM },
		{ "statements-on-stdin", IL_T_STDIN_STATEMENTS }, { "database-file", IL_T_DATABASE_FILE },
		{ "walker", IL_T_WALKER },
	};
	for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++)
		if (!strcmp(k, bools[i].name)) {
			if (parse_bool(c, k, v))
				p->flags |= bools[i].flag;
			else
				p->flags &= ~bools[i].flag;
			return;
		}
	struct { const char *name; char **dst; } lists[] = {
		{ "value-options", &p->value_options }, { "chdir-options", &p->chdir_options },
		{ "shell-options", &p->shell_options }, { "exec-options", &p->exec_options },
		{ "subcommands", &p->subcommands }, { "leading-options", &p->leading_options },
		{ "filter-options", &p->filter_options }, { "data-options", &p->data_options },
		{ "data-file-options", &p->data_file_options }, { "help-options", &p->help_options },
		{ "no-script-options", &p->no_script_options }, { "code-env", &p->code_env },
		{ "config-options", &p->config_options }, { "config-line-options", &p->config_line_options },
		{ "config-files", &p->config_files }, { "saved-plan-options", &p->saved_plan_options },
		{ "statement-file-options", &p->statement_file_options },
	};
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
		if (!strcmp(k, lists[i].name)) {
			*lists[i].dst = append_words(*lists[i].dst, v);
			return;
		}
	if (!strcmp(k, "config-format")) {
		if (strcmp(v, "curl") && strcmp(v, "wgetrc"))
			diag(c->rs, c->file, c->line, "unknown config-format '%s' (curl or wgetrc)", v);
		free(p->config_format);
		p->config_format = xstrdup(v);
		return;
	}
	if (!strcmp(k, "skip-operands")) {
		char *end;
		long n = strtol(v, &end, 10);
		if (*end || n < 0 || n > 16)
			diag(c->rs, c->file, c->line, "skip-operands must be a number from 0 to 16, not '%s'", v);
		else
			p->skip_operands = (unsigned)n;
		return;
	}
	diag(c->rs, c->file, c->line, "unknown key '%s' in [program %s]", k, p->name);
}

/* ---- [environment]: variables interlock run removes from the agent ---- */

static void env_key(struct load_ctx *c, const char *k, const char *v)
{
	if (!strcmp(k, "remove"))
		c->rs->env_remove = append_words(c->rs->env_remove, v);
	else if (!strcmp(k, "keep"))
		c->rs->env_keep = append_words(c->rs->env_keep, v);
	else if (!strcmp(k, "remove-with-password"))
		c->rs->env_remove_password = append_words(c->rs->env_remove_password, v);
	else
		diag(c->rs, c->file, c->line, "unknown key '%s' in [environment] (remove, remove-with-password, keep)", k);
}

/* ---- [deletes]: what the unlink/rename hooks treat as scratch ---- */

static void deletes_key(struct load_ctx *c, const char *k, const char *v)
{
	if (!strcmp(k, "free"))
		c->rs->del_free = append_words(c->rs->del_free, v);
	else if (!strcmp(k, "system-programs"))
		c->rs->del_programs = append_words(c->rs->del_programs, v);
	else if (!strcmp(k, "exec-judged"))
		c->rs->del_exec_judged = append_words(c->rs->del_exec_judged, v);
	else
		diag(c->rs, c->file, c->line, "unknown key '%s' in [deletes] (free, system-programs, exec-judged)", k);
}

/* ---- sections ---- */

static int valid_id(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

static void free_rule(struct il_rule_src *r)
{
	free(r->id), free(r->file), free(r->why), free(r->confirm), free(r->profiles), free(r->globs);
	free(r->unless), free(r->quiet), free(r->callers);
	free(r->hosts), free(r->addresses), free(r->ports);
	free(r->replaced);
	for (int i = 0; i < r->nconds; i++) {
		free(r->conds[i].pattern);
		pcre2_code_free(r->conds[i].code);
	}
	free(r->conds);
	for (int i = 0; i < r->nexamples; i++)
		free(r->examples[i].text);
	free(r->examples);
}

static void free_prog(struct il_prog_src *p)
{
	free(p->name), free(p->file), free(p->value_options), free(p->chdir_options);
	free(p->shell_options), free(p->exec_options), free(p->subcommands);
	free(p->leading_options), free(p->filter_options), free(p->data_options), free(p->data_file_options);
	free(p->help_options), free(p->no_script_options), free(p->code_env), free(p->config_options);
	free(p->config_line_options), free(p->config_files), free(p->config_format), free(p->saved_plan_options);
	free(p->statement_file_options);
}

/* A section ends: check what it must have. */
static void finish_section(struct load_ctx *c)
{
	if (c->kind != 1)
		return;
	struct il_rule_src *r = &c->rs->rules[c->cur];
	const char *f = c->file;
	int l = c->section_line;
	if (!(r->seen & K_ON))
		diag(c->rs, f, l, "rule [%s] has no 'on' (what it looks at: exec)", r->id);
	if (!(r->seen & K_ACTION))
		diag(c->rs, f, l, "rule [%s] has no 'action'", r->id);
	if (r->on == IL_ON_EXEC && !r->globs)
		diag(c->rs, f, l, "rule [%s] has no 'program'", r->id);
	if ((r->loses & ~(unsigned)IL_LOSS_DATABASE) && r->globs && strcmp(r->globs, "git") != 0)
		diag(c->rs, f, l, "rule [%s]: 'loses' other than database is what a git command throws away (program = git)",
		     r->id);
	if (r->on == IL_ON_OPEN && !r->globs)
		diag(c->rs, f, l, "rule [%s] has no 'name' (file name globs, so most opens are ruled out cheaply)", r->id);
	if (r->on == IL_ON_CONNECT && !r->hosts && !r->addresses && !r->ports)
		diag(c->rs, f, l, "rule [%s] names no host, address or port", r->id);
	if (r->on == IL_ON_OPEN && !r->access)
		diag(c->rs, f, l, "rule [%s] has no 'access' (read, write, truncate, create)", r->id);
	if (r->action > IL_ALLOW && !r->why)
		diag(c->rs, f, l, "rule [%s] has no 'why' (the human and the agent must be told what is at stake)", r->id);
	if (r->action > IL_ALLOW && !r->nmatch)
		diag(c->rs, f, l, "rule [%s] has no 'match' example", r->id);
}

/* ---- rule ids and program names, indexed ---- */

typedef const char *(*name_at_fn)(const struct il_ruleset *rs, int i);

static const char *rule_id_at(const struct il_ruleset *rs, int i)
{
	return rs->rules[i].id;
}

static const char *prog_name_at(const struct il_ruleset *rs, int i)
{
	return rs->progs[i].name;
}

/* The entry called name, or -1. */
static int index_find(const struct il_ruleset *rs, const struct il_name_index *x, name_at_fn at, const char *name)
{
	if (!x->cap)
		return -1;
	for (size_t h = il_hash_name(name) & (x->cap - 1);; h = (h + 1) & (x->cap - 1)) {
		int i = x->slot[h] - 1;
		if (i < 0 || !strcmp(at(rs, i), name))
			return i;
	}
}

static void index_put(const struct il_ruleset *rs, struct il_name_index *x, name_at_fn at, int i)
{
	size_t h = il_hash_name(at(rs, i)) & (x->cap - 1);
	while (x->slot[h])
		h = (h + 1) & (x->cap - 1);
	x->slot[h] = i + 1;
}

/* Entry n-1 was just appended: index it, growing the table to keep it at
 * most half full. */
static void index_add(const struct il_ruleset *rs, struct il_name_index *x, name_at_fn at, int n)
{
	if (2 * (size_t)n > x->cap) {
		free(x->slot);
		x->cap = x->cap ? 2 * x->cap : 256;
		x->slot = calloc(x->cap, sizeof *x->slot);
		if (!x->slot)
			abort(); /* out of memory, as xmalloc */
		for (int i = 0; i < n - 1; i++)
			index_put(rs, x, at, i);
	}
	index_put(rs, x, at, n - 1);
}

static void start_rule(struct load_ctx *c, const char *id)
{
	struct il_ruleset *rs = c->rs;
	struct il_rule_src r = { 0 };
	r.id = xstrdup(id);
	r.file = xstrdup(c->file);
	r.line = c->line;
	r.action = IL_ALLOW;
	int i = index_find(rs, &rs->rule_ids, rule_id_at, id);
	if (i >= 0) {
		if (!strcmp(rs->rules[i].file, c->file)) {
			diag(rs, c->file, c->line, "rule [%s] is defined twice in this file (first at line %d)", id, rs->rules[i].line);
			free_rule(&r);
			c->kind = -1;
			return;
		}
		/* A later file redefines the rule: it replaces it. */
		if (asprintf(&r.replaced, "%s:%d", rs->rules[i].file, rs->rules[i].line) < 0)
			abort();
		free_rule(&rs->rules[i]);
		rs->rules[i] = r;
		c->kind = 1;
		c->cur = i;
		return;
	}
	rs->rules = grow(rs->rules, sizeof *rs->rules, rs->nrules);
	rs->rules[rs->nrules] = r;
	c->cur = rs->nrules++;
	c->kind = 1;
	index_add(rs, &rs->rule_ids, rule_id_at, rs->nrules);
}

static void start_prog(struct load_ctx *c, const char *name)
{
	struct il_ruleset *rs = c->rs;
	struct il_prog_src p = { 0 };
	p.name = xstrdup(name);
	p.file = xstrdup(c->file);
	p.line = c->line;
	c->kind = 2;
	int i = index_find(rs, &rs->prog_names, prog_name_at, name);
	if (i >= 0) {
		free_prog(&rs->progs[i]);
		rs->progs[i] = p;
		c->cur = i;
		return;
	}
	rs->progs = grow(rs->progs, sizeof *rs->progs, rs->nprogs);
	rs->progs[rs->nprogs] = p;
	c->cur = rs->nprogs++;
	index_add(rs, &rs->prog_names, prog_name_at, rs->nprogs);
}

static void open_section(struct load_ctx *c, const char *section)
{
	if (!strcmp(section, "environment")) {
		c->kind = 3;
		return;
	}
	if (!strcmp(section, "deletes")) {
		c->kind = 8; /* [deletes] */
		return;
	}
	if (!strncmp(section, "program ", 8)) {
		const char *name = section + 8;
		while (*name == ' ')
			name++;
		/* [program git checkout]: the options of one subcommand */
		const char *sp = strchr(name, ' ');
		if (!*name || strchr(name, '/') || (sp && (!sp[1] || strchr(sp + 1, ' ')))) {
			diag(c->rs, c->file, c->line, "bad program section [%s]: expected [program NAME] or [program NAME SUBCOMMAND]", section);
			c->kind = -1;
			return;
		}
		start_prog(c, name);
		return;
	}
	if (!valid_id(section)) {
		diag(c->rs, c->file, c->line, "bad rule id [%s]: use lower-case letters, digits, '.', '_' and '-'", section);
		c->kind = -1;
		return;
	}
	start_rule(c, section);
}

/* snprintf(dst, cap, "%s", src) without the format machinery: it runs for
 * every key of every rule file at each `interlock run`. */
static void copy_cut(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

static void new_section(struct load_ctx *c, const char *section)
{
	finish_section(c);
	copy_cut(c->section, sizeof c->section, section);
	c->last_key[0] = 0;
	/* inih reports a section with its first key; what is said about the
	 * section as a whole points at its header. */
	c->section_line = c->header_line ? c->header_line : c->line;
	int key_line = c->line;
	c->line = c->section_line;
	open_section(c, section);
	c->line = key_line;
}

static int on_pair(void *user, const char *section, const char *k, const char *v)
{
	struct load_ctx *c = user;
	/* inih names the section of each pair, so a second [x] right after
	 * the first looks like more keys of it: a header read since the
	 * section began starts a new one (and start_rule says "twice"). */
	if (strcmp(section, c->section) || c->kind == 0 || c->header_line > c->section_line) {
		if (!*section) {
			diag(c->rs, c->file, c->line, "key '%s' outside of any [section]", k);
			return 1;
		}
		new_section(c, section);
	}
	if (c->kind == 3)
		env_key(c, k, v);
	else if (c->kind == 8)
		deletes_key(c, k, v);
	else if (c->kind == 1)
		rule_key(c, &c->rs->rules[c->cur], k, v);
	else if (c->kind == 2)
		prog_key(c, &c->rs->progs[c->cur], k, v);
	copy_cut(c->last_key, sizeof c->last_key, k);
	return 1;
}

/* inih reads through this so that we know the line of every pair. With the
 * heap line buffer, one line may arrive in several chunks. */
static char *reader(char *buf, int num, void *stream)
{
	struct load_ctx *c = stream;
	char *s = fgets(buf, num, c->fp);
	if (!s)
		return 0;
	if (c->line_done)
		c->line++;
	size_t n = strlen(s);
	if (c->line_done) {
		/* A header as inih sees one: an indented line after a key
		 * continues that key's value, whatever it starts with. */
		const char *t = s + strspn(s, " \t");
		if (*t == '[' && (t == s || !c->last_key[0]))
			c->header_line = c->line;
	}
	c->line_done = n > 0 && s[n - 1] == '\n';
	return s;
}

static void configure_inih(void)
{
	/* Regexes contain ';' and are often long: no inline comments, no
	 * 200-byte line limit. */
	ini_allow_inline_comments = 0;
	ini_use_stack = 0;
	ini_allow_realloc = 1;
	ini_max_line = 1 << 20;
	ini_allow_multiline = 1;
}

int il_ruleset_load_file(struct il_ruleset *rs, const char *path)
{
	configure_inih();
	struct load_ctx c = { .rs = rs, .file = path, .line_done = 1, .kind = 0 };
	int before = rs->errors;
	c.fp = fopen(path, "r");
	if (!c.fp) {
		diag(rs, path, 0, "cannot read: %s", strerror(errno));
		return rs->errors - before;
	}
	rs->files = grow(rs->files, sizeof *rs->files, rs->nfiles);
	rs->files[rs->nfiles++] = xstrdup(path);
	int r = ini_parse_stream(reader, &c, on_pair, &c);
	finish_section(&c);
	/* A section header with no keys never reaches the handler; it is
	 * harmless, and an empty rule is caught when it has keys. */
	if (r > 0)
		diag(rs, path, r, "syntax error (expected [section], key = value, or a comment)");
	else if (r < 0)
		diag(rs, path, 0, "cannot parse (error %d)", r);
	fclose(c.fp);
	free(c.pats);
	return rs->errors - before;
}

/* ---- directories ---- */

struct conf_file {
	char *name;
	char *path;
};

static int cmp_conf(const void *a, const void *b)
{
	return strcmp(((const struct conf_file *)a)->name, ((const struct conf_file *)b)->name);
}

static int is_conf(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && name[0] != '.' && !strcmp(name + n - 5, ".conf");
}

/* `old` is replaced by `by`; whatever `old` replaced is now replaced by `by`. */
static void note_shadowed(struct il_ruleset *rs, const char *old, const char *by)
{
	for (int i = 0; i < rs->nshadowed; i++)
		if (!strcmp(rs->shadowed_by[i], old)) {
			free(rs->shadowed_by[i]);
			rs->shadowed_by[i] = xstrdup(by);
		}
	rs->shadowed = xrealloc(rs->shadowed, sizeof *rs->shadowed * (size_t)(rs->nshadowed + 1));
	rs->shadowed_by = xrealloc(rs->shadowed_by, sizeof *rs->shadowed_by * (size_t)(rs->nshadowed + 1));
	rs->shadowed[rs->nshadowed] = xstrdup(old);
	rs->shadowed_by[rs->nshadowed++] = xstrdup(by);
}

char **il_rule_files(char *const *dirs, struct il_ruleset *rs, int *unreadable)
{
	struct conf_file *files = 0;
	int n = 0;
	*unreadable = 0;
	for (; *dirs; dirs++) {
		DIR *d = opendir(*dirs);
		if (!d) {
			if (errno != ENOENT) {
				++*unreadable;
				if (rs)
					diag(rs, *dirs, 0, "cannot read rule directory: %s", strerror(errno));
			}
			continue;
		}
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!is_conf(e->d_name))
				continue;
			char *path;
			if (asprintf(&path, "%s/%s", *dirs, e->d_name) < 0)
				abort();
			int i;
			for (i = 0; i < n && strcmp(files[i].name, e->d_name); i++)
				;
			if (i < n) {
				/* Same name in a later directory: it replaces the earlier file. */
				if (rs)
					note_shadowed(rs, files[i].path, path);
				free(files[i].path);
				files[i].path = path;
				continue;
			}
			files = xrealloc(files, sizeof *files * (size_t)(n + 1));
			files[n++] = (struct conf_file){ xstrdup(e->d_name), path };
		}
		closedir(d);
	}
	qsort(files, (size_t)n, sizeof *files, cmp_conf);
	char **paths = xrealloc(0, sizeof *paths * (size_t)(n + 1));
	for (int i = 0; i < n; i++) {
		paths[i] = files[i].path;
		free(files[i].name);
	}
	paths[n] = 0;
	free(files);
	return paths;
}

int il_ruleset_load(struct il_ruleset *rs, char *const *dirs)
{
	int unreadable;
	char **paths = il_rule_files(dirs, rs, &unreadable);
	for (char **p = paths; *p; p++) {
		il_ruleset_load_file(rs, *p);
		free(*p);
	}
	free(paths);
	return rs->errors;
}

void il_ruleset_free(struct il_ruleset *rs)
{
	for (int i = 0; i < rs->nrules; i++)
		free_rule(&rs->rules[i]);
	for (int i = 0; i < rs->nprogs; i++)
		free_prog(&rs->progs[i]);
	for (int i = 0; i < rs->nfiles; i++)
		free(rs->files[i]);
	free(rs->env_remove);
	free(rs->env_keep);
	free(rs->env_remove_password);
	free(rs->del_free), free(rs->del_programs), free(rs->del_exec_judged);
	for (int i = 0; i < rs->nshadowed; i++)
		free(rs->shadowed[i]), free(rs->shadowed_by[i]);
	free(rs->shadowed);
	free(rs->shadowed_by);
	free(rs->rules);
	free(rs->progs);
	free(rs->files);
	free(rs->rule_ids.slot);
	free(rs->prog_names.slot);
	memset(rs, 0, sizeof *rs);
}
