/* Audit records: one JSON line per decision that was not a plain allow.
 * Written with one O_APPEND write so concurrent processes never interleave
 * within a line; formatted without stdio or malloc (it runs in hooks).
 * Shipped to syslog or the journal too when interlock.conf says so
 * (audit_syslog.c). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "audit_ship.h"
#include "il.h"

extern char **environ;


static void put_hex2(struct il_text *o, const char *prefix, unsigned char b)
{
	static const char hex[] = "0123456789abcdef";
	char t[8];
	size_t n = il_strlen(prefix);
	il_memcpy(t, prefix, n);
	t[n] = hex[b >> 4];
	t[n + 1] = hex[b & 15];
	il_text_put(o, t, n + 2);
}

/* Length of a valid UTF-8 sequence at s, or 0: no overlong form, no
 * surrogate (U+D800..DFFF), nothing above U+10FFFF (RFC 3629's table). */
static int utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	int n = s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
	if (!n)
		return 0;
	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* the second byte's range where the first allows less than 80..BF */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) || (s[0] == 0xf0 && s[1] < 0x90) ||
	    (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

/* A JSON string. Bytes that are not UTF-8 become the text \xHH so that
 * every line stays valid JSON and the original bytes stay visible. */
static void put_str(struct il_text *o, const char *s)
{
	if (!s) {
		il_text_str(o, "null");
		return;
	}
	il_text_put(o, "\"", 1);
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned char ch = *p;
		if (ch == '"' || ch == '\\') {
			char t[2] = { '\\', (char)ch };
			il_text_put(o, t, 2);
			p++;
		} else if (ch == '\n') {
			il_text_str(o, "\\n"), p++;
		} else if (ch == '\t') {
			il_text_str(o, "\\t"), p++;
		} else if (ch < 0x20 || ch == 0x7f) {
			put_hex2(o, "\\u00", ch), p++;
		} else {
			int n = utf8_len(p);
			if (n) {
				il_text_put(o, (const char *)p, (size_t)n);
				p += n;
			} else {
				put_hex2(o, "\\\\x", ch);
				p++;
			}
		}
	}
	il_text_put(o, "\"", 1);
}

static void put_num(struct il_text *o, long long v)
{
	if (v < 0)
		il_text_put(o, "-", 1);
	il_text_num(o, v < 0 ? (unsigned long)-v : (unsigned long)v, 0, 0);
}

static void put_pad(struct il_text *o, long v, int width)
{
	il_text_num(o, (unsigned long)v, width, '0');
}

/* UTC time without localtime(): it takes locks and reads files. */
static void put_time(struct il_text *o, long long ms)
{
	long long secs = ms / 1000, days = secs / 86400, rem = secs % 86400;
	/* civil-from-days (proleptic Gregorian) */
	long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	long long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	il_text_put(o, "\"", 1);
	put_pad(o, (long)y, 4), il_text_put(o, "-", 1), put_pad(o, (long)m, 2), il_text_put(o, "-", 1), put_pad(o, (long)d, 2);
	il_text_put(o, "T", 1), put_pad(o, (long)(rem / 3600), 2), il_text_put(o, ":", 1), put_pad(o, (long)(rem / 60 % 60), 2);
	il_text_put(o, ":", 1), put_pad(o, (long)(rem % 60), 2), il_text_put(o, ".", 1), put_pad(o, (long)(ms % 1000), 3);
	il_text_put(o, "Z\"", 2);
}

size_t il_audit_format(char *buf, size_t cap, const struct il_audit_rec *r, long long unix_ms)
{
	struct il_text o;
	il_text_init(&o, buf, cap);
	il_text_str(&o, "{\"time\":"), put_time(&o, unix_ms);
	il_text_str(&o, ",\"session\":"), put_str(&o, r->session);
	il_text_str(&o, ",\"profile\":"), put_str(&o, r->profile && *r->profile ? r->profile : 0);
	il_text_str(&o, ",\"pid\":"), put_num(&o, r->pid);
	il_text_str(&o, ",\"ppid\":"), put_num(&o, r->ppid);
	il_text_str(&o, ",\"exe\":"), put_str(&o, r->exe);
	il_text_str(&o, ",\"argv\":[");
	for (int i = 0; r->argv && r->argv[i]; i++) {
		if (i)
			il_text_put(&o, ",", 1);
		put_str(&o, r->argv[i]);
	}
	il_text_str(&o, "],\"cwd\":"), put_str(&o, r->cwd);
	il_text_str(&o, ",\"event\":"), put_str(&o, r->event);
	il_text_str(&o, ",\"rule\":"), put_str(&o, r->rule);
	il_text_str(&o, ",\"action\":"), put_str(&o, il_action_name(r->action));
	il_text_str(&o, ",\"decision\":"), put_str(&o, r->decision);
	il_text_str(&o, ",\"by\":"), put_str(&o, r->by);
	if (r->approval)
		il_text_str(&o, ",\"approval\":"), put_str(&o, r->approval);
	il_text_str(&o, "}\n");
	if (o.overflow)
		return 0;
	buf[o.n] = 0;
	return o.n;
}

/* Raw system calls: in the preload, a call to open() would reach the
 * preload's own open hook, which refuses writes to interlock's files. */
static int sys_open_append(const char *path)
{
	/* marked: a record the preload writes is one it judged (il_marker) */
	return (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600, 0L,
			    (long)il_marker);
}

static void mkdir_parents(const char *path)
{
	char tmp[4096];
	size_t n = il_strlen(path);
	if (n >= sizeof tmp)
		return;
	il_memcpy(tmp, path, n + 1);
	for (size_t i = 1; i < n; i++)
		if (tmp[i] == '/') {
			tmp[i] = 0;
			syscall(SYS_mkdirat, AT_FDCWD, tmp, 0700);
			tmp[i] = '/';
		}
}

/* The JSON Lines file, as before there was anywhere else to ship to. */
static int append_file(const char *path, const char *line, size_t len)
{
	int fd = sys_open_append(path);
	if (fd < 0 && errno == ENOENT) {
		mkdir_parents(path);
		fd = sys_open_append(path);
	}
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, line, len);
	close(fd);
	return w == (ssize_t)len ? 0 : -1;
}

/* Every writer's one way out: the file, syslog, the journal, as
 * interlock.conf's [audit] says (audit_ship.h). */
int il_audit_append(const char *path, const char *line, size_t len)
{
	struct il_ship s;
	il_ship_config(environ, &s);
	int rc = s.to & IL_SHIP_FILE ? append_file(path, line, len) : 0;
	return il_ship_send(&s, line, len) < 0 ? -1 : rc;
}

size_t il_json_quote(char *buf, size_t cap, const char *s)
{
	struct il_text o;
	il_text_init(&o, buf, cap);
	put_str(&o, s);
	if (o.overflow || o.n >= cap)
		return 0;
	buf[o.n] = 0;
	return o.n;
}
