/* interlock log: the audit log as a readable table.
 *
 * The audit log is JSON Lines written by the preload, the broker and the
 * wrapper (see il_audit_format): flat objects whose values are strings,
 * numbers or null, except argv, an array of strings. Each line is parsed
 * with json-c; a line that is not such an object is reported as
 * FILE:LINE: message and counted, never fatal. Everything shown in the
 * table is stripped of control characters: argv comes from the guarded
 * processes and must not drive the terminal.
 *
 * Why json-c (libjson-c-dev) and not jansson or cJSON: this table must show
 * every record the writer wrote, and the writer's UTF-8 check (utf8_len in
 * lib/engine/audit.c) lets through some sequences that are not strictly
 * UTF-8 (encoded surrogates, overlong forms). jansson refuses a whole line
 * over one such byte, so a guarded process could pick arguments that hide
 * its record from this table; json-c keeps string bytes as they are. It
 * also keeps a string's length (\u0000 survives), says why and where a
 * line fails (an error code and an offset, for FILE:LINE: messages), and
 * reuses one tokener for every line. cJSON ends a string at \u0000 and
 * gives no reason for a failure, only a position. */
#include <errno.h>
#include <fcntl.h>
#include <json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* ---- one record ---- */

struct rec {
	const char *time, *decision, *by, *rule, *exe, *action, *event, *session, *cwd;
	const char **argv; /* argc strings, then NULL */
	int argc;
	struct json_object *root; /* owns every string above */
};

static void rec_free(struct rec *r)
{
	json_object_put(r->root);
	free(r->argv);
	memset(r, 0, sizeof *r);
}

/* Index of the first control character other than tab, or len. JSON allows
 * none unescaped inside a string and the writer escapes them all, but
 * json-c does not check; --json prints lines as they are, so a line with
 * one must not get through to the terminal. */
static size_t first_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
			return i;
	return len;
}

/* Parses the NUL-terminated line (len bytes) into *out (NULL for a JSON
 * null). 0, or -1 with why set. */
static int parse_json(struct json_tokener *tok, const char *line, size_t len, struct json_object **out, char *why,
		      size_t cap)
{
	size_t ctl = first_control(line, len);
	if (ctl < len) {
		snprintf(why, cap, "not valid JSON: control character 0x%02x at column %zu", (unsigned char)line[ctl],
			 ctl + 1);
		return -1;
	}
	if (len >= INT_MAX) {
		snprintf(why, cap, "line too long");
		return -1;
	}
	json_tokener_reset(tok);
	/* The NUL is passed too: it ends the text, so a truncated line fails
	 * instead of waiting for more, and (JSON_TOKENER_STRICT) anything but
	 * whitespace after the value is an error. */
	*out = json_tokener_parse_ex(tok, line, (int)len + 1);
	enum json_tokener_error err = json_tokener_get_error(tok);
	if (err == json_tokener_success)
		return 0;
	json_object_put(*out);
	*out = 0;
	snprintf(why, cap, "not valid JSON: %s at column %zu", json_tokener_error_desc(err),
		 json_tokener_get_parse_end(tok) + 1);
	return -1;
}

/* The text of a JSON string. The table works on C strings, so a NUL
 * (\u0000) becomes '?' as every other control character does in clean();
 * without memory for that, the text ends at the NUL. */
static const char *text_of(struct json_object *s)
{
	const char *t = json_object_get_string(s);
	size_t len = (size_t)json_object_get_string_len(s);
	if (!memchr(t, 0, len))
		return t;
	char *copy = malloc(len + 1);
	if (!copy)
		return t;
	for (size_t i = 0; i < len; i++)
		copy[i] = t[i] ? t[i] : '?';
	copy[len] = 0;
	if (json_object_set_string_len(s, copy, (int)len))
		t = json_object_get_string(s);
	free(copy);
	return t;
}

/* *out is the field's text, or NULL when it is absent or null; -1 when it is
 * something else. */
static int string_field(struct json_object *root, const char *name, const char **out)
{
	struct json_object *v;
	*out = 0;
	if (!json_object_object_get_ex(root, name, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -1;
	*out = text_of(v);
	return 0;
}

static int is_string_array(struct json_object *v)
{
	if (!json_object_is_type(v, json_type_array))
		return 0;
	for (size_t i = 0, n = json_object_array_length(v); i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string))
			return 0;
	return 1;
}

/* argv: an array of strings, absent or null. 0, or -1 with why set. */
static int argv_field(struct json_object *root, struct rec *r, char *why, size_t cap)
{
	struct json_object *v;
	if (!json_object_object_get_ex(root, "argv", &v) || !v)
		return 0;
	if (!is_string_array(v) || json_object_array_length(v) >= INT_MAX) {
		snprintf(why, cap, "\"argv\" is not an array of strings");
		return -1;
	}
	size_t n = json_object_array_length(v);
	r->argv = calloc(n + 1, sizeof *r->argv);
	if (!r->argv) {
		snprintf(why, cap, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		r->argv[i] = text_of(json_object_array_get_idx(v, i));
	r->argc = (int)n;
	return 0;
}

/* Fills r from a parsed line, whose strings it borrows. 0, or -1 with why
 * set. */
static int rec_from_json(struct json_object *root, struct rec *r, char *why, size_t cap)
{
	if (!json_object_is_type(root, json_type_object)) {
		snprintf(why, cap, "not a JSON object");
		return -1;
	}
	struct { const char *name; const char **dst; } fields[] = {
		{ "time", &r->time }, { "decision", &r->decision }, { "by", &r->by },
		{ "rule", &r->rule }, { "exe", &r->exe }, { "action", &r->action },
		{ "event", &r->event }, { "session", &r->session }, { "cwd", &r->cwd },
	};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (string_field(root, fields[i].name, fields[i].dst) < 0) {
			snprintf(why, cap, "\"%s\" is not a string or null", fields[i].name);
			return -1;
		}
	if (argv_field(root, r, why, cap) < 0)
		return -1;
	/* A decision record says what was decided. */
	if (!r->decision && !r->action) {
		snprintf(why, cap, "no \"decision\" or \"action\"");
		return -1;
	}
	return 0;
}

/* Parses one line (NUL-terminated, len bytes). 0, or -1 with why set. */
static int parse_line(struct json_tokener *tok, const char *line, size_t len, struct rec *r, char *why, size_t cap)
{
	memset(r, 0, sizeof *r);
	if (parse_json(tok, line, len, &r->root, why, cap) < 0)
		return -1;
	if (rec_from_json(r->root, r, why, cap) < 0) {
		rec_free(r);
		return -1;
	}
	return 0;
}

/* ---- time ---- */

/* "YYYY-MM-DDTHH:MM:SS[.mmm]Z" (the audit log's form) -> unix ms; -1 if not. */
static long long parse_rec_time(const char *s)
{
	if (!s)
		return -1;
	struct tm tm = { 0 };
	int ms = 0;
	char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return -1;
	if (*end == '.') {
		int digits = 0;
		for (end++; *end >= '0' && *end <= '9'; end++, digits++)
			if (digits < 3)
				ms = ms * 10 + (*end - '0');
		for (; digits < 3; digits++)
			ms *= 10;
	}
	if (*end != 'Z' || end[1])
		return -1;
	return (long long)timegm(&tm) * 1000 + ms;
}

/* --since: 30s, 10m, 2h, 1d, 1w (ago), or a date YYYY-MM-DD[ HH:MM[:SS]]
 * in local time (UTC with a trailing Z). Returns unix ms, or -1. */
static long long parse_since(const char *s, long long now_ms)
{
	size_t digits = strspn(s, "0123456789");
	if (digits && digits <= 9 && s[digits] && strchr("smhdw", s[digits]) && !s[digits + 1]) {
		long long n = strtoll(s, 0, 10);
		static const long long units[] = { 1, 60, 3600, 86400, 7 * 86400 };
		long long unit = units[strchr("smhdw", s[digits]) - "smhdw"];
		long long t = now_ms - n * unit * 1000;
		return t < 0 ? 0 : t;
	}
	static const char *const forms[] = { "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M",
					     "%Y-%m-%d %H:%M", "%Y-%m-%d" };
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		struct tm tm = { 0 };
		char *e = strptime(s, forms[i], &tm);
		if (!e)
			continue;
		if (*e == 'Z' && !e[1])
			return (long long)timegm(&tm) * 1000;
		if (*e)
			continue;
		tm.tm_isdst = -1;
		time_t t = mktime(&tm);
		return t == (time_t)-1 ? -1 : (long long)t * 1000;
	}
	return -1;
}

/* ---- output ---- */

struct opts {
	const char *file;
	const char *rule;
	const char *decision;
	long long since; /* unix ms, -1: none */
	long n;          /* 0: all */
	int json, follow, color;
};

/* Printable copy: C0/C1 controls and DEL become '?'. */
static void clean(char *dst, size_t cap, const char *s)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p && o + 1 < cap; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			dst[o++] = '?';
		} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			dst[o++] = '?';
			p++;
		} else {
			dst[o++] = (char)*p;
		}
	}
	dst[o] = 0;
}

static const char *base_name(const char *p)
{
	const char *s = p ? strrchr(p, '/') : 0;
	return s ? s + 1 : p ? p : "";
}

static void local_time(char *buf, size_t cap, const struct rec *r)
{
	long long ms = parse_rec_time(r->time);
	if (ms < 0) {
		clean(buf, cap, r->time ? r->time : "?");
		return;
	}
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (!localtime_r(&t, &tm) || !strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm))
		clean(buf, cap, r->time);
}

static const char *decision_color(const char *d)
{
	if (!strcmp(d, "denied"))
		return "\033[31m";
	if (!strcmp(d, "allowed"))
		return "\033[32m";
	return "\033[33m";
}

static void print_header(const struct opts *o)
{
	if (o->json)
		return;
	printf("%s%-19s  %-8s  %-16s  %-22s  %s%s\n", o->color ? "\033[1m" : "", "TIME", "DECISION", "BY", "RULE",
	       "COMMAND", o->color ? "\033[0m" : "");
}

static void print_row(FILE *f, const struct opts *o, const struct rec *r)
{
	char when[64], decision[64], by[64], rule[256], cmd[4096], exe[1024];
	local_time(when, sizeof when, r);
	clean(decision, sizeof decision, r->decision ? r->decision : r->action);
	clean(by, sizeof by, r->by ? r->by : "-");
	clean(rule, sizeof rule, r->rule ? r->rule : "-");
	char raw[4096];
	/* Events other than exec (open: argv is ACCESS PATH) are named. */
	int exec = !r->event || !strcmp(r->event, "exec");
	size_t pre = exec ? 0 : (size_t)snprintf(raw, 64, "%.48s: ", r->event);
	if (r->argc)
		il_format_argv(raw + pre, sizeof raw - pre, (const char *const *)r->argv, r->argc);
	else
		snprintf(raw + pre, sizeof raw - pre, "%s", r->exe ? r->exe : "?");
	clean(cmd, sizeof cmd, raw);
	exe[0] = 0;
	/* The file executed, when argv[0] does not say it (busybox applets,
	 * exec -a, a renamed copy). */
	if (exec && r->argc && r->exe && *r->exe && strcmp(base_name(r->exe), base_name(r->argv[0])))
		clean(exe, sizeof exe, r->exe);
	fprintf(f, "%-19s  %s%-8s%s  %-16s  %-22s  %s%s%s%s\n", when, o->color ? decision_color(decision) : "", decision,
	       o->color ? "\033[0m" : "", by, rule, cmd, exe[0] ? "  [" : "", exe, exe[0] ? "]" : "");
}

/* ---- reading ---- */

/* Malformed lines named one by one before the table; the rest are only
 * counted, so a corrupted log does not bury it. */
#define BAD_LISTED 10

struct reader {
	char *buf;
	size_t len, cap;
	long lineno; /* of the line being handled, from 1 */
	long bad;
	struct json_tokener *tok; /* one for every line */
	/* the last n matching lines, formatted or raw */
	char **ring;
	long ring_n, ring_next, ring_count;
};

/* The tokener and, for -n N, the ring. 0, or -1 with a message printed. */
static int reader_init(struct reader *rd, const struct opts *o)
{
	memset(rd, 0, sizeof *rd);
	rd->tok = json_tokener_new();
	if (!rd->tok) {
		fprintf(stderr, "interlock log: out of memory\n");
		return -1;
	}
	/* RFC 8259 grammar: no comments, no text after the object. */
	json_tokener_set_flags(rd->tok, JSON_TOKENER_STRICT);
	if (o->n > 0) {
		rd->ring_n = o->n;
		rd->ring = calloc((size_t)o->n, sizeof *rd->ring);
		if (!rd->ring) {
			fprintf(stderr, "interlock log: -n %ld: out of memory\n", o->n);
			return -1;
		}
	}
	return 0;
}

static void reader_free(struct reader *rd)
{
	if (rd->ring)
		for (long i = 0; i < rd->ring_n; i++)
			free(rd->ring[i]);
	free(rd->ring);
	free(rd->buf);
	if (rd->tok)
		json_tokener_free(rd->tok);
}

static int matches(const struct opts *o, const struct rec *r)
{
	if (o->rule && (!r->rule || strcmp(o->rule, r->rule)))
		return 0;
	if (o->decision && (!r->decision || strcmp(o->decision, r->decision)))
		return 0;
	if (o->since >= 0) {
		long long t = parse_rec_time(r->time);
		if (t < 0 || t < o->since)
			return 0;
	}
	return 1;
}

/* Renders a matching line to a malloc'd string (so the last N can be kept). */
static char *render(const struct opts *o, const char *raw, const struct rec *r)
{
	char *out = 0;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return 0;
	if (o->json) {
		fputs(raw, f);
		fputc('\n', f);
	} else {
		print_row(f, o, r);
	}
	fclose(f);
	return out;
}

static void emit(const struct opts *o, struct reader *rd, char *s, int live)
{
	if (!s)
		return;
	if (live || !rd->ring) {
		fputs(s, stdout);
		free(s);
		if (live)
			fflush(stdout);
		return;
	}
	free(rd->ring[rd->ring_next]);
	rd->ring[rd->ring_next] = s;
	rd->ring_next = (rd->ring_next + 1) % rd->ring_n;
	if (rd->ring_count < rd->ring_n)
		rd->ring_count++;
	(void)o;
}

/* FILE:LINE: why, for the first BAD_LISTED when reading what is there and
 * for each one while following. */
static void report_bad(const struct opts *o, struct reader *rd, const char *why, int live)
{
	rd->bad++;
	if (live || rd->bad <= BAD_LISTED)
		fprintf(stderr, "%s:%ld: skipped a malformed line: %s\n", o->file, rd->lineno, why);
}

/* After the table, so that a skipped line is not missed. */
static void print_bad_count(const struct opts *o, const struct reader *rd)
{
	if (rd->bad > BAD_LISTED)
		fprintf(stderr, "interlock log: skipped %ld malformed lines in %s (the first %d are listed above)\n",
			rd->bad, o->file, BAD_LISTED);
	else if (rd->bad)
		fprintf(stderr, "interlock log: skipped %ld malformed line%s in %s\n", rd->bad,
			rd->bad == 1 ? "" : "s", o->file);
}

static void one_line(const struct opts *o, struct reader *rd, char *line, int live)
{
	rd->lineno++;
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
		line[--n] = 0;
	if (!n)
		return;
	struct rec r;
	char why[128];
	if (parse_line(rd->tok, line, n, &r, why, sizeof why) < 0) {
		report_bad(o, rd, why, live);
		return;
	}
	if (matches(o, &r))
		emit(o, rd, render(o, line, &r), live);
	rec_free(&r);
}

/* Reads what fd has now; complete lines are handled, a partial last line is
 * kept for later unless `final`. Returns 0, or -1 on a read error. */
static int consume(const struct opts *o, struct reader *rd, int fd, int final, int live)
{
	for (;;) {
		if (rd->cap - rd->len < 65536) {
			size_t cap = rd->cap ? rd->cap * 2 : 131072;
			char *b = realloc(rd->buf, cap);
			if (!b)
				return -1;
			rd->buf = b;
			rd->cap = cap;
		}
		ssize_t got = read(fd, rd->buf + rd->len, rd->cap - rd->len - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		if (got == 0)
			break;
		rd->len += (size_t)got;
		size_t start = 0;
		for (size_t i = rd->len - (size_t)got; i < rd->len; i++)
			if (rd->buf[i] == '\n') {
				rd->buf[i] = 0;
				one_line(o, rd, rd->buf + start, live);
				start = i + 1;
			}
		memmove(rd->buf, rd->buf + start, rd->len - start);
		rd->len -= start;
	}
	if (final && rd->len) {
		rd->buf[rd->len] = 0;
		one_line(o, rd, rd->buf, live);
		rd->len = 0;
	}
	return 0;
}

static void flush_ring(struct reader *rd)
{
	if (!rd->ring)
		return;
	long first = rd->ring_count < rd->ring_n ? 0 : rd->ring_next;
	for (long k = 0; k < rd->ring_count; k++) {
		long i = (first + k) % rd->ring_n;
		fputs(rd->ring[i], stdout);
		free(rd->ring[i]);
		rd->ring[i] = 0;
	}
	rd->ring_count = rd->ring_next = 0;
	fflush(stdout);
}

static void nap(void)
{
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	nanosleep(&ts, 0);
}

/* tail -f: poll the file; start over when it is replaced or truncated. */
static int follow(const struct opts *o, struct reader *rd, int fd)
{
	struct stat st;
	off_t off = fd >= 0 ? lseek(fd, 0, SEEK_CUR) : 0;
	for (;;) {
		if (fd < 0) {
			fd = open(o->file, O_RDONLY | O_CLOEXEC);
			off = 0;
			if (fd < 0) {
				nap();
				continue;
			}
		}
		if (consume(o, rd, fd, 0, 1) < 0)
			return EXIT_INTERLOCK;
		off = lseek(fd, 0, SEEK_CUR);
		nap();
		struct stat now;
		if (fstat(fd, &st) < 0)
			return EXIT_INTERLOCK;
		int replaced = stat(o->file, &now) < 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev;
		if (replaced || st.st_size < off) {
			/* Rotated or truncated: what is left of the partial line is lost. */
			consume(o, rd, fd, 1, 1);
			rd->lineno = 0;
			if (replaced) {
				close(fd);
				fd = -1;
			} else {
				lseek(fd, 0, SEEK_SET);
			}
		}
	}
}

static void usage(FILE *f)
{
	fputs("usage: interlock log [-n N] [--since WHEN] [--rule ID] [--decision allowed|denied]\n"
	      "                     [--json] [--follow] [--file PATH]\n"
	      "Shows the most recent decisions of the audit log as a table (time, decision, who\n"
	      "decided, rule, command).\n"
	      "  -n N              show the last N matching records (default 20; 0: all)\n"
	      "  --since WHEN      only records since WHEN: 30s, 10m, 2h, 1d, 1w ago, or a date\n"
	      "                    YYYY-MM-DD[ HH:MM[:SS]] in local time (append Z for UTC)\n"
	      "  --rule ID         only decisions of rule ID\n"
	      "  --decision D      only records whose decision is D: allowed or denied (a\n"
	      "                    `log` rule's records are allowed)\n"
	      "  --json            print the matching records as the raw JSON lines\n"
	      "  --follow, -f      keep printing records as they are appended\n"
	      "  --file PATH       read PATH instead of the audit log (it must exist)\n"
	      "The audit log is $XDG_STATE_HOME/interlock/audit.jsonl (default\n"
	      "~/.local/state/interlock/audit.jsonl). Colours only on a terminal; NO_COLOR disables them.\n"
	      "BY says who decided: rule, human, wrong-word, timeout, no-terminal, busy,\n"
	      "withdrawn, session-approval or quiet-program (see interlock(1)).\n"
	      "Exit status: 0; 125 on bad usage or a file that cannot be read (a missing\n"
	      "audit log only means nothing was recorded yet: 0).\n",
	      f);
}

int il_cmd_log(int argc, char **argv)
{
	struct opts o = { .since = -1, .n = 20 };
	char *path = 0;
	static const struct option longs[] = {
		{ "since", required_argument, 0, 's' }, { "rule", required_argument, 0, 'r' },
		{ "decision", required_argument, 0, 'd' }, { "file", required_argument, 0, 'F' },
		{ "lines", required_argument, 0, 'n' }, { "json", no_argument, 0, 'j' },
		{ "follow", no_argument, 0, 'f' }, { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":n:fh", longs, 0)) != -1) {
		switch (ch) {
		case 's': {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			o.since = parse_since(optarg, (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
			if (o.since < 0) {
				fprintf(stderr, "interlock log: --since: expected 30s, 10m, 2h, 1d, 1w or YYYY-MM-DD[ HH:MM[:SS]], got '%s'\n", optarg);
				return EXIT_INTERLOCK;
			}
			break;
		}
		case 'r':
			o.rule = optarg;
			break;
		case 'd':
			/* The writers record only these two (il_answer_decision,
			 * the wrapper's own); any other word would match nothing
			 * and show an empty table as if nothing had happened. */
			if (strcmp(optarg, "allowed") && strcmp(optarg, "denied")) {
				fprintf(stderr, "interlock log: --decision: expected allowed or denied, got '%s'\n", optarg);
				return EXIT_INTERLOCK;
			}
			o.decision = optarg;
			break;
		case 'F':
			o.file = optarg;
			break;
		case 'n': {
			char *end;
			errno = 0;
			long n = strtol(optarg, &end, 10);
			if (*end || !*optarg || n < 0 || errno) {
				fprintf(stderr, "interlock log: -n: expected a number, got '%s'\n", optarg);
				return EXIT_INTERLOCK;
			}
			o.n = n;
			break;
		}
		case 'j':
			o.json = 1;
			break;
		case 'f':
			o.follow = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return il_bad_option("log", ch, argv);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "interlock log: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_INTERLOCK;
	}
	if (!o.file)
		o.file = path = il_audit_path();
	const char *nc = getenv("NO_COLOR");
	o.color = !o.json && isatty(1) && !(nc && *nc);

	struct reader rd;
	int rc = 0;
	if (reader_init(&rd, &o) < 0) {
		rc = EXIT_INTERLOCK;
		goto out;
	}
	int fd = open(o.file, O_RDONLY | O_CLOEXEC);
	/* The audit log is made by the first decision: its absence is news,
	 * not an error (and --follow waits for it). A --file that is not
	 * there is a mistake. */
	if (fd < 0 && !(errno == ENOENT && o.follow && path)) {
		if (errno == ENOENT && path) {
			fprintf(stderr, "interlock log: no decisions recorded yet (%s does not exist)\n", o.file);
		} else {
			fprintf(stderr, "interlock log: cannot read %s: %s\n", o.file, strerror(errno));
			rc = EXIT_INTERLOCK;
		}
		goto out;
	}
	print_header(&o);
	if (fd >= 0 && consume(&o, &rd, fd, !o.follow, 0) < 0) {
		fprintf(stderr, "interlock log: cannot read %s: %s\n", o.file, strerror(errno));
		rc = EXIT_INTERLOCK;
	}
	flush_ring(&rd);
	print_bad_count(&o, &rd);
	if (!rc && o.follow) {
		free(rd.ring);
		rd.ring = 0;
		rc = follow(&o, &rd, fd);
		fd = -1;
	}
	if (fd >= 0)
		close(fd);
out:
	reader_free(&rd);
	free(path);
	return rc;
}
