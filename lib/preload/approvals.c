/* Approvals in a dev shell, where there is no broker to keep them: a file
 * in the session's directory, which is one of interlock's own (no hooked
 * write reaches it; the preload writes it with raw system calls). One line
 * per fact, appended whole with one O_APPEND write:
 *
 *   G ms root id RULE TARGET KEY   a human's allow-once: the operation may
 *                                  be exec'd once by root or a process it
 *                                  started, within IL_GRANT_MS (grants.h's
 *                                  rules, as the broker keeps them)
 *   U ms pid id                    that grant was used
 *   S ms pid id RULE TARGET KEY    a human's WORD!: this operation for the
 *                                  rest of the session
 *
 * A G or S line also covers the deletes below its TARGET by the process
 * that asked and those it started (the unlinks of the `rm -rf` allowed), a
 * G line for GRANT_MS: one question per operation.
 *
 * fields tab-separated, KEY itself "ARGV\tCWD" (il_op_key). A dev shell is
 * weaker than a wrapper (README): a static program could write this file. */
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "il.h"
#include "preload.h"
#include "rawsys.h"

#define GRANT_MS 60000
#define MAX_FILE (256u << 10)

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* <the snapshot's directory>/approvals, or NULL outside a session. */
static const char *file_path(char *buf, size_t cap)
{
	const char *snap = il_sess.snapshot;
	size_t n = il_strlen(snap);
	while (n && snap[n - 1] != '/')
		n--;
	if (!n || n + 10 > cap)
		return 0;
	il_memcpy(buf, snap, n);
	il_memcpy(buf + n, "approvals", 10);
	return buf;
}

/* The whole file into a (NUL-terminated), or NULL. */
static char *read_all(struct il_arena *a, const char *path)
{
	long fd = il_sys4(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	char *buf = il_arena_alloc(a, MAX_FILE + 1);
	size_t n = 0;
	long r;
	while (buf && n < MAX_FILE && (r = il_sys4(SYS_read, fd, (long)(buf + n), (long)(MAX_FILE - n), 0)) > 0)
		n += (size_t)r;
	il_sys4(SYS_close, fd, 0, 0, 0);
	if (buf)
		buf[n] = 0;
	return buf;
}

static void append(const char *line, size_t n)
{
	char path[4200];
	if (!file_path(path, sizeof path))
		return;
	long fd = il_sysm(SYS_openat, AT_FDCWD, (long)path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			  0600, 0); /* our own file: marked */
	if (fd < 0)
		return;
	(void)!il_sys4(SYS_write, fd, (long)line, (long)n, 0);
	il_sys4(SYS_close, fd, 0, 0, 0);
}

struct line {
	char *p;
	size_t n, cap;
};

static void put(struct line *l, const char *s)
{
	for (; s && *s && l->n + 2 < l->cap; s++)
		l->p[l->n++] = *s == '\n' ? ' ' : *s;
}

static void put_num(struct line *l, long long v)
{
	char d[24];
	int k = 0;
	unsigned long long u = (unsigned long long)v;
	do
		d[k++] = (char)('0' + u % 10);
	while ((u /= 10) && k < 23);
	while (k && l->n + 2 < l->cap)
		l->p[l->n++] = d[--k];
}

static void record(char kind, const char *id, const struct il_op *op)
{
	char buf[5000];
	struct line l = { buf, 0, sizeof buf };
	char k[2] = { kind, 0 };
	put(&l, k), put(&l, "\t"), put_num(&l, now_ms()), put(&l, "\t"), put_num(&l, getpid()), put(&l, "\t");
	put(&l, id);
	if (op) {
		put(&l, "\t"), put(&l, op->rule_id), put(&l, "\t"), put(&l, op->target ? op->target : "");
		put(&l, "\t"), put(&l, op->key);
	}
	buf[l.n++] = '\n';
	append(buf, l.n);
}

/* Field i (0-based) of a tab-separated line, its length in *n. */
static const char *field(const char *line, int i, size_t *n)
{
	const char *p = line;
	*n = 0; /* set on every path: -O3 cannot see callers skip n when p is 0 */
	for (; i > 0 && p; i--) {
		p = __builtin_strchr(p, '\t');
		if (p)
			p++;
	}
	if (!p)
		return 0;
	const char *e = p;
	while (*e && *e != '\t' && *e != '\n')
		e++;
	*n = (size_t)(e - p);
	return p;
}

/* The op part of a G or S line (from field 4 to the end of the line) is op? */
static int same_op(const char *line, const struct il_op *op)
{
	size_t n;
	const char *p = field(line, 4, &n);
	if (!p)
		return 0;
	const char *parts[] = { op->rule_id, op->target ? op->target : "", op->key };
	for (int i = 0; i < 3; i++) {
		size_t l = il_strlen(parts[i]);
		if (!il_strneq(p, parts[i], l))
			return 0;
		p += l;
		if (*p != (i < 2 ? '\t' : '\n'))
			return 0;
		p++;
	}
	return 1;
}

static long parent_of(long pid)
{
	char path[40] = "/proc/", buf[512];
	size_t n = 6;
	char d[20];
	int k = 0;
	do
		d[k++] = (char)('0' + pid % 10);
	while ((pid /= 10) && k < 19);
	while (k)
		path[n++] = d[--k];
	il_memcpy(path + n, "/stat", 6);
	long fd = il_sys4(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	long r = il_sys4(SYS_read, fd, (long)buf, sizeof buf - 1, 0);
	il_sys4(SYS_close, fd, 0, 0, 0);
	if (r <= 0)
		return 0;
	buf[r] = 0;
	const char *p = buf + r;
	while (p > buf && *p != ')')
		p--;
	if (*p != ')' || p[1] != ' ' || !p[2] || p[3] != ' ')
		return 0;
	long v = 0;
	for (p += 4; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (*p - '0');
	return v;
}

static int in_tree_of(long pid, long root)
{
	for (int hops = 0; pid > 1 && hops < 64; hops++) {
		if (pid == root)
			return 1;
		pid = parent_of(pid);
	}
	return 0;
}

static long long num(const char *p, size_t n)
{
	long long v = 0;
	for (size_t i = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++)
		v = v * 10 + (p[i] - '0');
	return v;
}

/* Is the grant whose id is id[0..n) used (a U line names it)? */
static int used(const char *all, const char *id, size_t n)
{
	for (const char *l = all; *l; l = __builtin_strchr(l, '\n') ? __builtin_strchr(l, '\n') + 1 : l + il_strlen(l)) {
		size_t k;
		const char *u = l[0] == 'U' ? field(l, 3, &k) : 0;
		if (u && k == n && il_strneq(u, id, n))
			return 1;
	}
	return 0;
}

/* A line of `all` that covers op, of kind S, or an unused G whose root
 * started this process; its id is copied into id. */
static int covered(const char *all, const struct il_op *op, char *id, size_t cap, int take)
{
	long long now = now_ms();
	for (const char *l = all; *l; l = __builtin_strchr(l, '\n') ? __builtin_strchr(l, '\n') + 1 : l + il_strlen(l)) {
		if ((l[0] != 'S' && l[0] != 'G') || !same_op(l, op))
			continue;
		size_t nms = 0, nroot = 0, nid = 0;
		const char *ms = field(l, 1, &nms), *root = field(l, 2, &nroot), *qid = field(l, 3, &nid);
		if (!ms || !root || !qid || nid >= cap)
			continue;
		if (l[0] == 'G' && (now - num(ms, nms) > GRANT_MS || used(all, qid, nid) ||
				    !in_tree_of((long)getpid(), (long)num(root, nroot))))
			continue;
		il_memcpy(id, qid, nid);
		id[nid] = 0;
		if (l[0] == 'G' && take)
			record('U', id, 0);
		return l[0] == 'S' ? 2 : 1;
	}
	return 0;
}

/* A delete of something under the target of an operation a human allowed
 * (a G or S line) to this process or one that started it, G within
 * GRANT_MS: `rm -rf proj` was asked once, its unlinks in proj are that
 * same operation. */
static int covers_delete(const char *all, const char *target, char *id, size_t cap)
{
	long long now = now_ms();
	for (const char *l = all; *l; l = __builtin_strchr(l, '\n') ? __builtin_strchr(l, '\n') + 1 : l + il_strlen(l)) {
		if (l[0] != 'S' && l[0] != 'G')
			continue;
		size_t nms = 0, nroot = 0, nid = 0, nt = 0;
		const char *ms = field(l, 1, &nms), *root = field(l, 2, &nroot), *qid = field(l, 3, &nid),
			   *t = field(l, 5, &nt);
		if (!ms || !root || !qid || !t || !nt || nid >= cap || nt >= 4096)
			continue;
		if (l[0] == 'G' && now - num(ms, nms) > GRANT_MS)
			continue;
		char dir[4096];
		il_memcpy(dir, t, nt);
		dir[nt] = 0;
		if (!il_path_under(target, dir) || !in_tree_of((long)getpid(), (long)num(root, nroot)))
			continue;
		il_memcpy(id, qid, nid);
		id[nid] = 0;
		return l[0] == 'S' ? 2 : 1;
	}
	return 0;
}

static int is_delete(const struct il_verdict *v)
{
	return v->event && il_streq(v->event, "delete") && v->target && v->target[0] == '/';
}

int il_dev_approved(struct il_arena *a, const struct il_verdict *v, char *id, size_t cap)
{
	char path[4200];
	if ((!v->nops && !is_delete(v)) || !file_path(path, sizeof path))
		return 0;
	int saved = errno;
	const char *all = read_all(a, path);
	if (all && !v->nops) {
		int k = covers_delete(all, v->target, id, cap);
		errno = saved;
		return k;
	}
	int kind = 0;
	/* every operation must be covered; grants are used only then */
	for (int i = 0; all && i < v->nops; i++)
		if (!(kind = covered(all, &v->ops[i], id, cap, 0)))
			break;
	if (kind)
		for (int i = 0; i < v->nops; i++)
			kind = covered(all, &v->ops[i], id, cap, 1) == 2 ? 2 : kind;
	errno = saved;
	return kind;
}

void il_dev_remember(const struct il_verdict *v, enum il_answer ans, char *id, size_t cap)
{
	if (!il_answer_allows(ans) || cap < 24)
		return;
	struct line l = { id, 0, cap };
	put(&l, "d");
	put_num(&l, now_ms());
	put(&l, "-");
	put_num(&l, getpid());
	id[l.n] = 0;
	int saved = errno;
	for (int i = 0; i < v->nops; i++)
		record(ans == IL_ANS_SESSION ? 'S' : 'G', id, &v->ops[i]);
	errno = saved;
}
