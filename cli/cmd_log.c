/* interlock log: the audit log as a readable table.
 *
 * The audit log is JSON Lines written by the preload, the broker and the
 * wrapper (see il_audit_format): flat objects whose values are strings,
 * numbers or null, except argv, an array of strings. A tiny parser reads
 * exactly that; anything else on a line is skipped, a line that is not such
 * an object is counted and reported, never fatal. Everything shown in the
 * table is stripped of control characters: argv comes from the guarded
 * processes and must not drive the terminal. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* ---- one record ---- */

struct rec {
	char *time, *decision, *by, *rule, *exe, *action, *event, *session, *cwd;
	char **argv;
	int argc, cap;
};

struct jp {
	char *p;
};

static void ws(struct jp *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n')
		j->p++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static long hex4(const char *s)
{
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hexval(s[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

static char *put_utf8(char *w, long cp)
{
	if (cp < 0x80) {
		*w++ = (char)cp;
	} else if (cp < 0x800) {
		*w++ = (char)(0xc0 | (cp >> 6));
		*w++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*w++ = (char)(0xe0 | (cp >> 12));
		*w++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*w++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*w++ = (char)(0xf0 | (cp >> 18));
		*w++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*w++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*w++ = (char)(0x80 | (cp & 0x3f));
	}
	return w;
}

/* A JSON string at j->p, decoded in place (the decoded text is never longer
 * than its escaped form). Returns it, or NULL if it is not a valid string. */
static char *jstr(struct jp *j)
{
	if (*j->p != '"')
		return 0;
	char *r = ++j->p, *w = r, *start = r;
	for (;;) {
		unsigned char ch = (unsigned char)*r;
		if (!ch || ch < 0x20)
			return 0;
		if (ch == '"')
			break;
		if (ch != '\\') {
			*w++ = *r++;
			continue;
		}
		r++;
		switch (*r) {
		case '"': case '\\': case '/':
			*w++ = *r++;
			break;
		case 'b': *w++ = '\b', r++; break;
		case 'f': *w++ = '\f', r++; break;
		case 'n': *w++ = '\n', r++; break;
		case 'r': *w++ = '\r', r++; break;
		case 't': *w++ = '\t', r++; break;
		case 'u': {
			long cp = hex4(r + 1);
			if (cp < 0)
				return 0;
			r += 5;
			if (cp >= 0xd800 && cp < 0xdc00 && r[0] == '\\' && r[1] == 'u') {
				long lo = hex4(r + 2);
				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					r += 6;
				}
			}
			if (cp == 0 || (cp >= 0xd800 && cp < 0xe000))
				cp = '?'; /* NUL or a lone surrogate */
			w = put_utf8(w, cp);
			break;
		}
		default:
			return 0;
		}
	}
	*w = 0; /* at most overwrites the closing quote */
	j->p = r + 1;
	return start;
}

/* Skips any JSON value (nesting bounded). */
static int jskip(struct jp *j, int depth)
{
	ws(j);
	char c = *j->p;
	if (c == '"')
		return jstr(j) ? 0 : -1;
	if (c == '{' || c == '[') {
		if (depth > 32)
			return -1;
		char close = c == '{' ? '}' : ']';
		j->p++;
		ws(j);
		if (*j->p == close) {
			j->p++;
			return 0;
		}
		for (;;) {
			if (c == '{') {
				ws(j);
				if (!jstr(j))
					return -1;
				ws(j);
				if (*j->p++ != ':')
					return -1;
			}
			if (jskip(j, depth + 1) < 0)
				return -1;
			ws(j);
			if (*j->p == ',') {
				j->p++;
				continue;
			}
			if (*j->p == close) {
				j->p++;
				return 0;
			}
			return -1;
		}
	}
	if (!strncmp(j->p, "null", 4) || !strncmp(j->p, "true", 4)) {
		j->p += 4;
		return 0;
	}
	if (!strncmp(j->p, "false", 5)) {
		j->p += 5;
		return 0;
	}
	char *s = j->p;
	if (*s == '-')
		s++;
	if (*s < '0' || *s > '9')
		return -1;
	while ((*s >= '0' && *s <= '9') || *s == '.' || *s == 'e' || *s == 'E' || *s == '+' || *s == '-')
		s++;
	j->p = s;
	return 0;
}

/* A string or null; -1 for anything else. */
static int jstr_or_null(struct jp *j, char **out)
{
	ws(j);
	if (!strncmp(j->p, "null", 4)) {
		j->p += 4;
		*out = 0;
		return 0;
	}
	*out = jstr(j);
	return *out ? 0 : -1;
}

static void rec_free(struct rec *r)
{
	free(r->argv);
	memset(r, 0, sizeof *r);
}

static int push_arg(struct rec *r, char *s)
{
	if (r->argc + 1 >= r->cap) {
		int cap = r->cap ? r->cap * 2 : 16;
		char **v = realloc(r->argv, sizeof *v * (size_t)cap);
		if (!v)
			return -1;
		r->argv = v;
		r->cap = cap;
	}
	r->argv[r->argc++] = s;
	r->argv[r->argc] = 0;
	return 0;
}

static int parse_argv(struct jp *j, struct rec *r)
{
	ws(j);
	if (!strncmp(j->p, "null", 4)) {
		j->p += 4;
		return 0;
	}
	if (*j->p != '[')
		return -1;
	j->p++;
	ws(j);
	if (*j->p == ']') {
		j->p++;
		return 0;
	}
	for (;;) {
		ws(j);
		char *s = jstr(j);
		if (!s || push_arg(r, s) < 0)
			return -1;
		ws(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p == ']') {
			j->p++;
			return 0;
		}
		return -1;
	}
}

/* Parses one line (modified in place). 0 on success. */
static int parse_line(char *line, struct rec *r)
{
	memset(r, 0, sizeof *r);
	struct jp j = { line };
	ws(&j);
	if (*j.p != '{')
		return -1;
	j.p++;
	ws(&j);
	if (*j.p == '}') {
		j.p++;
	} else {
		for (;;) {
			ws(&j);
			char *key = jstr(&j);
			if (!key)
				goto bad;
			ws(&j);
			if (*j.p++ != ':')
				goto bad;
			struct { const char *name; char **dst; } fields[] = {
				{ "time", &r->time }, { "decision", &r->decision }, { "by", &r->by },
				{ "rule", &r->rule }, { "exe", &r->exe }, { "action", &r->action },
				{ "event", &r->event }, { "session", &r->session }, { "cwd", &r->cwd },
			};
			int done = 0;
			for (size_t i = 0; i < sizeof fields / sizeof fields[0] && !done; i++)
				if (!strcmp(key, fields[i].name)) {
					if (jstr_or_null(&j, fields[i].dst) < 0)
						goto bad;
					done = 1;
				}
			if (!done && !strcmp(key, "argv")) {
				if (parse_argv(&j, r) < 0)
					goto bad;
				done = 1;
			}
			if (!done && jskip(&j, 0) < 0)
				goto bad;
			ws(&j);
			if (*j.p == ',') {
				j.p++;
				continue;
			}
			if (*j.p == '}') {
				j.p++;
				break;
			}
			goto bad;
		}
	}
	ws(&j);
	if (*j.p)
		goto bad;
	/* A decision record says what was decided. */
	if (!r->decision && !r->action)
		goto bad;
	return 0;
bad:
	rec_free(r);
	return -1;
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

struct reader {
	char *buf;
	size_t len, cap;
	long bad;
	/* the last n matching lines, formatted or raw */
	char **ring;
	long ring_n, ring_next, ring_count;
};

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

static void one_line(const struct opts *o, struct reader *rd, char *line, int live)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
		line[--n] = 0;
	if (!n)
		return;
	char *raw = strdup(line);
	if (!raw)
		return;
	struct rec r;
	if (parse_line(line, &r) < 0) {
		rd->bad++;
		if (live)
			fprintf(stderr, "interlock log: skipped a malformed line\n");
		free(raw);
		return;
	}
	if (matches(o, &r))
		emit(o, rd, render(o, raw, &r), live);
	rec_free(&r);
	free(raw);
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
	      "  --decision D      only records whose decision is D (allowed, denied)\n"
	      "  --json            print the matching records as the raw JSON lines\n"
	      "  --follow, -f      keep printing records as they are appended\n"
	      "  --file PATH       read PATH instead of the audit log\n"
	      "The audit log is $XDG_STATE_HOME/interlock/audit.jsonl (default\n"
	      "~/.local/state/interlock/audit.jsonl). Colours only on a terminal; NO_COLOR disables them.\n",
	      f);
}

int il_cmd_log(int argc, char **argv)
{
	struct opts o = { .since = -1, .n = 20 };
	char *path = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *names[] = { "--since", "--rule", "--decision", "--file", "-n", "--lines" };
		const char *val = 0;
		int k = -1;
		for (size_t x = 0; x < sizeof names / sizeof names[0] && k < 0; x++) {
			size_t l = strlen(names[x]);
			if (!strncmp(a, names[x], l) && (a[l] == 0 || a[l] == '=' || (x == 4 && a[l] >= '0' && a[l] <= '9'))) {
				k = (int)x;
				if (a[l] == '=')
					val = a + l + 1;
				else if (a[l])
					val = a + l;
				else if (i + 1 < argc)
					val = argv[++i];
				else {
					fprintf(stderr, "interlock log: %s needs a value\n", names[x]);
					return EXIT_INTERLOCK;
				}
			}
		}
		if (k == 0) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			o.since = parse_since(val, (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
			if (o.since < 0) {
				fprintf(stderr, "interlock log: --since: expected 30s, 10m, 2h, 1d, 1w or YYYY-MM-DD[ HH:MM[:SS]], got '%s'\n", val);
				return EXIT_INTERLOCK;
			}
		} else if (k == 1) {
			o.rule = val;
		} else if (k == 2) {
			o.decision = val;
		} else if (k == 3) {
			o.file = val;
		} else if (k == 4 || k == 5) {
			char *end;
			errno = 0;
			long n = strtol(val, &end, 10);
			if (*end || !*val || n < 0 || errno) {
				fprintf(stderr, "interlock log: -n: expected a number, got '%s'\n", val);
				return EXIT_INTERLOCK;
			}
			o.n = n;
		} else if (!strcmp(a, "--json")) {
			o.json = 1;
		} else if (!strcmp(a, "--follow") || !strcmp(a, "-f")) {
			o.follow = 1;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "interlock log: unknown argument '%s'\n", a);
			usage(stderr);
			return EXIT_INTERLOCK;
		}
	}
	if (!o.file)
		o.file = path = il_audit_path();
	const char *nc = getenv("NO_COLOR");
	o.color = !o.json && isatty(1) && !(nc && *nc);

	struct reader rd = { 0 };
	if (o.n > 0) {
		rd.ring_n = o.n;
		rd.ring = calloc((size_t)o.n, sizeof *rd.ring);
		if (!rd.ring) {
			fprintf(stderr, "interlock log: -n %ld: out of memory\n", o.n);
			free(path);
			return EXIT_INTERLOCK;
		}
	}
	int rc = 0;
	int fd = open(o.file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && !(errno == ENOENT && o.follow)) {
		if (errno == ENOENT) {
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
	if (rd.bad)
		fprintf(stderr, "interlock log: skipped %ld malformed line%s in %s\n", rd.bad, rd.bad == 1 ? "" : "s",
			o.file);
	if (!rc && o.follow) {
		free(rd.ring);
		rd.ring = 0;
		rc = follow(&o, &rd, fd);
		fd = -1;
	}
	if (fd >= 0)
		close(fd);
out:
	if (rd.ring)
		for (long i = 0; i < rd.ring_n; i++)
			free(rd.ring[i]);
	free(rd.ring);
	free(rd.buf);
	free(path);
	return rc;
}
