/* Audit records to syslog and the systemd journal (audit_ship.h), so that
 * a fleet's log pipeline collects interlock's decisions with the same
 * fields as the JSON Lines file: the message is the record's JSON line.
 *
 * syslog: one datagram per record to the local syslog socket, in the form
 * glibc's syslog(3) sends ("<PRI>Mmm dd hh:mm:ss TAG[PID]: MESSAGE", the
 * time in UTC); severity warning for a denial, notice otherwise.
 * journald: the journal's native datagram protocol, MESSAGE= the JSON line
 * plus INTERLOCK_DECISION, INTERLOCK_RULE, INTERLOCK_BY, INTERLOCK_SESSION
 * fields to filter on (journalctl INTERLOCK_DECISION=denied).
 *
 * Raw system calls throughout: in the preload, libc's connect and sendto
 * are interlock's own hooks. Nothing here allocates. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "audit_ship.h"

#ifndef IL_SHIP_SYSTEM_CONF
#define IL_SHIP_SYSTEM_CONF "/etc/interlock/interlock.conf"
#endif

#define MAX_CONF 8192
#define MAX_MSG (65536 + 4096) /* a record (il_audit_format's buffers) and a header */

/* ---------------------------------------------------------------- config */

static const struct {
	const char *name;
	int code;
} facilities[] = {
	{ "kern", 0 },	  { "user", 1 },    { "mail", 2 },    { "daemon", 3 }, { "auth", 4 },
	{ "syslog", 5 },  { "lpr", 6 },	    { "news", 7 },    { "uucp", 8 },   { "cron", 9 },
	{ "authpriv", 10 }, { "ftp", 11 },  { "local0", 16 }, { "local1", 17 }, { "local2", 18 },
	{ "local3", 19 }, { "local4", 20 }, { "local5", 21 }, { "local6", 22 }, { "local7", 23 },
};

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static void copy_str(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	il_memcpy(dst, src, n);
	dst[n] = 0;
}

static int word_is(const char *p, size_t n, const char *w)
{
	return n == il_strlen(w) && il_strneq(p, w, n);
}

/* `to = file, syslog journald`: the destinations named. */
static unsigned parse_to(const char *v, size_t n)
{
	unsigned to = 0;
	for (size_t i = 0; i < n;) {
		while (i < n && (is_space(v[i]) || v[i] == ','))
			i++;
		size_t k = i;
		while (k < n && !is_space(v[k]) && v[k] != ',')
			k++;
		to |= word_is(v + i, k - i, "file")	? IL_SHIP_FILE
		      : word_is(v + i, k - i, "syslog")	? IL_SHIP_SYSLOG
		      : word_is(v + i, k - i, "journald") ? IL_SHIP_JOURNALD
							: 0;
		i = k;
	}
	return to;
}

static void set_key(struct il_ship *s, const char *k, size_t kn, const char *v, size_t vn)
{
	if (word_is(k, kn, "to")) {
		s->to = parse_to(v, vn);
	} else if (word_is(k, kn, "facility")) {
		for (size_t i = 0; i < sizeof facilities / sizeof facilities[0]; i++)
			if (word_is(v, vn, facilities[i].name))
				s->facility = facilities[i].code;
	} else if (word_is(k, kn, "tag")) {
		copy_str(s->tag, sizeof s->tag, v, vn);
	} else if (word_is(k, kn, "syslog-socket")) {
		copy_str(s->syslog_socket, sizeof s->syslog_socket, v, vn);
	} else if (word_is(k, kn, "journald-socket")) {
		copy_str(s->journald_socket, sizeof s->journald_socket, v, vn);
	}
}

/* The [audit] section of the file at path, over what s holds. Unknown
 * keys and other sections are someone else's (or a newer interlock's). */
static void read_conf(const char *path, struct il_ship *s)
{
	char buf[MAX_CONF];
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return;
	ssize_t n = 0, r;
	while (n < (ssize_t)sizeof buf - 1 && (r = read(fd, buf + n, sizeof buf - 1 - (size_t)n)) > 0)
		n += r;
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	int in_audit = 0;
	for (char *line = buf; *line;) {
		char *end = line;
		while (*end && *end != '\n')
			end++;
		char *p = line;
		while (p < end && is_space(*p))
			p++;
		if (p < end && *p == '[') {
			in_audit = end - p >= 7 && il_strneq(p, "[audit]", 7);
		} else if (in_audit && p < end && *p != '#' && *p != ';') {
			char *eq = p;
			while (eq < end && *eq != '=')
				eq++;
			if (eq < end) {
				char *ke = eq, *v = eq + 1, *ve = end;
				while (ke > p && is_space(ke[-1]))
					ke--;
				while (v < ve && is_space(*v))
					v++;
				for (char *c = v; c < ve; c++)
					if (*c == '#' && (c == v || is_space(c[-1]))) { /* a comment after the value */
						ve = c;
						break;
					}
				while (ve > v && is_space(ve[-1]))
					ve--;
				set_key(s, p, (size_t)(ke - p), v, (size_t)(ve - v));
			}
		}
		line = *end ? end + 1 : end;
	}
}

void il_ship_config(char *const *envp, struct il_ship *s)
{
	*s = (struct il_ship){ IL_SHIP_FILE, 1, "interlock", "/dev/log", "/run/systemd/journal/socket" };
	read_conf(IL_SHIP_SYSTEM_CONF, s);
	const char *xdg = il_env_get(envp, "XDG_CONFIG_HOME"), *home = il_env_get(envp, "HOME");
	const char *base = xdg && *xdg == '/' ? xdg : home && *home == '/' ? home : 0;
	const char *tail = base == xdg ? "/interlock/interlock.conf" : "/.config/interlock/interlock.conf";
	char path[4096];
	size_t bl = base ? il_strlen(base) : 0, tl = il_strlen(tail);
	if (base && bl + tl < sizeof path) {
		il_memcpy(path, base, bl);
		il_memcpy(path + bl, tail, tl + 1);
		read_conf(path, s);
	}
}

/* ---------------------------------------------------------------- messages */

/* "Mmm dd hh:mm:ss" (RFC 3164's timestamp), UTC: no localtime() here, it
 * takes locks and reads files. */
static void add_stamp(struct il_text *m)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	long long secs = ts.tv_sec, days = secs / 86400, rem = secs % 86400;
	long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	long long d = doy - (153 * mp + 2) / 5 + 1, mon = mp < 10 ? mp + 3 : mp - 9;
	il_text_put(m, months + (mon - 1) * 3, 3);
	il_text_put(m, " ", 1);
	il_text_num(m, (unsigned long)d, 2, ' '); /* RFC 3164 pads the day with a space: "Dec  3" */
	il_text_put(m, " ", 1);
	il_text_num(m, (unsigned long)(rem / 3600), 2, '0'), il_text_put(m, ":", 1);
	il_text_num(m, (unsigned long)(rem / 60 % 60), 2, '0'), il_text_put(m, ":", 1);
	il_text_num(m, (unsigned long)(rem % 60), 2, '0');
}

/* The record's severity: a denial is a warning, the rest a notice. */
static int severity(const char *line, size_t len)
{
	static const char denied[] = "\"decision\":\"denied\"";
	for (size_t i = 0; i + sizeof denied - 1 <= len; i++)
		if (line[i] == '"' && il_strneq(line + i, denied, sizeof denied - 1))
			return 4;
	return 5;
}

/* The raw (still JSON-escaped) string value of "key" in the record, or an
 * empty one. */
static size_t field(const char *line, size_t len, const char *key, const char **val)
{
	char pat[32];
	size_t kl = il_strlen(key);
	if (kl + 4 > sizeof pat)
		return 0;
	pat[0] = '"';
	il_memcpy(pat + 1, key, kl);
	il_memcpy(pat + 1 + kl, "\":\"", 3);
	size_t pl = kl + 4;
	for (size_t i = 0; i + pl <= len; i++) {
		if (line[i] != '"' || !il_strneq(line + i, pat, pl))
			continue;
		size_t s = i + pl, e = s;
		while (e < len && line[e] != '"')
			e += line[e] == '\\' ? 2 : 1;
		*val = line + s;
		return (e < len ? e : len) - s;
	}
	return 0;
}

/* ---------------------------------------------------------------- sending */

/* One datagram to the unix socket at path; a syslog daemon listening on a
 * stream socket instead gets the message NUL-terminated, as from glibc. */
static int send_unix(const char *path, const char *msg, size_t n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t pl = il_strlen(path);
	if (!pl || pl >= sizeof sa.sun_path)
		return -1;
	il_memcpy(sa.sun_path, path, pl + 1);
	int saved = errno;
	int fd = (int)syscall(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	long r = fd < 0 ? -1 : syscall(SYS_sendto, fd, msg, n, MSG_NOSIGNAL | MSG_DONTWAIT, &sa, sizeof sa);
	if (fd >= 0 && r < 0 && errno == EPROTOTYPE) {
		close(fd);
		fd = (int)syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		r = fd < 0 || syscall(SYS_connect, fd, &sa, sizeof sa) < 0
			    ? -1
			    : syscall(SYS_sendto, fd, msg, n + 1, MSG_NOSIGNAL, 0, 0); /* the NUL after msg */
	}
	if (fd >= 0)
		close(fd);
	errno = saved; /* a record that could not be shipped changes nothing for the caller */
	return r < 0 ? -1 : 0;
}

static int to_syslog(const struct il_ship *s, const char *line, size_t len, char *buf, size_t cap)
{
	struct il_text m;
	il_text_init(&m, buf, cap);
	il_text_put(&m, "<", 1);
	il_text_num(&m, (unsigned long)(s->facility * 8 + severity(line, len)), 0, '0');
	il_text_put(&m, ">", 1);
	add_stamp(&m);
	il_text_put(&m, " ", 1);
	il_text_str(&m, s->tag);
	il_text_put(&m, "[", 1);
	il_text_num(&m, (unsigned long)getpid(), 0, '0');
	il_text_put(&m, "]: ", 3);
	il_text_put(&m, line, len);
	buf[m.n] = 0;
	return send_unix(s->syslog_socket, buf, m.n);
}

static void kv(struct il_text *m, const char *key, const char *val, size_t n)
{
	il_text_str(m, key);
	il_text_put(m, "=", 1);
	il_text_put(m, val, n);
	il_text_put(m, "\n", 1);
}

static int to_journald(const struct il_ship *s, const char *line, size_t len, char *buf, size_t cap)
{
	struct il_text m;
	il_text_init(&m, buf, cap);
	char pri[2] = { (char)('0' + severity(line, len)), 0 };
	char fac[4] = { 0 };
	int f = s->facility;
	if (f >= 10)
		fac[0] = (char)('0' + f / 10), fac[1] = (char)('0' + f % 10);
	else
		fac[0] = (char)('0' + f);
	kv(&m, "MESSAGE", line, len); /* one line: the JSON has no raw newline */
	kv(&m, "PRIORITY", pri, 1);
	kv(&m, "SYSLOG_FACILITY", fac, il_strlen(fac));
	kv(&m, "SYSLOG_IDENTIFIER", s->tag, il_strlen(s->tag));
	static const char *const keys[][2] = { { "decision", "INTERLOCK_DECISION" }, { "rule", "INTERLOCK_RULE" },
					       { "by", "INTERLOCK_BY" },	     { "session", "INTERLOCK_SESSION" } };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const char *v;
		size_t n = field(line, len, keys[i][0], &v);
		if (n)
			kv(&m, keys[i][1], v, n);
	}
	buf[m.n] = 0;
	return send_unix(s->journald_socket, buf, m.n);
}

int il_ship_send(const struct il_ship *s, const char *line, size_t len)
{
	while (len && (line[len - 1] == '\n' || line[len - 1] == 0))
		len--;
	if (len > 65536)
		len = 65536;
	if (!(s->to & (IL_SHIP_SYSLOG | IL_SHIP_JOURNALD)))
		return 0;
	/* Not on the stack (a hook may run on a small one, its caller's record
	 * buffer is already there) and not malloc: a private mapping for this
	 * record, gone after it. Safe in a vfork child: it is unmapped before
	 * the parent runs again. */
	char *buf = (char *)syscall(SYS_mmap, 0, (size_t)MAX_MSG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				    -1, 0);
	if (buf == MAP_FAILED)
		return -1;
	int rc = 0;
	if (s->to & IL_SHIP_SYSLOG)
		rc |= to_syslog(s, line, len, buf, MAX_MSG);
	if (s->to & IL_SHIP_JOURNALD)
		rc |= to_journald(s, line, len, buf, MAX_MSG);
	syscall(SYS_munmap, buf, (size_t)MAX_MSG);
	return rc;
}
