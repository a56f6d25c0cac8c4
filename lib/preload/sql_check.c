/* The SQL hooks' one decision: the quick check on the statements' leading
 * words, then (only for a statement that may lose data) the facts the
 * library can tell about its database, the engine's SQL judge
 * (il_judge_sql), and settle.c carrying the verdict out: the question to
 * the human, the line on stderr, the audit record. The hook then fails
 * the call the library's own way.
 *
 * Also this process's record of the tables and databases it made: a
 * CREATE TABLE seen through the hooks (one that succeeded, and could not
 * have met an existing table) makes that table the process's own to drop.
 * Heap-free: scratch from il_scratch_open, fixed tables here. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "il.h"
#include "preload.h"
#include "rawsys.h"
#include "sql.h"

#define SCRATCH_SIZE (4u << 20)
#define CMDLINE_MAX (256u << 10)
#define CMDLINE_WORDS 1024

/* ---- what this process made ---- */

#define MADE 64
static struct {
	uint64_t db;
	int kind;
	unsigned len;
	char name[56];
} made[MADE];
static unsigned made_next;

static uint64_t db_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h | 1;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static void remember(void *ctx, int kind, const char *name, size_t n)
{
	const struct il_sql_req *r = ctx;
	if (!n || n >= sizeof made[0].name)
		return;
	unsigned i = __atomic_fetch_add(&made_next, 1, __ATOMIC_RELAXED) % MADE;
	made[i].db = db_hash(r->db_key);
	made[i].kind = kind;
	made[i].len = (unsigned)n;
	for (size_t k = 0; k < n; k++)
		made[i].name[k] = lower(name[k]);
}

/* The judge's context: the request, and scratch for the command line. */
struct sql_ctx {
	struct il_sql_req *r;
	struct il_arena *a;
};

static int made_here(void *ctx, int kind, const char *name, size_t n)
{
	const struct sql_ctx *c = ctx;
	uint64_t db = db_hash(c->r->db_key);
	unsigned last = __atomic_load_n(&made_next, __ATOMIC_RELAXED);
	for (unsigned k = 0; k < MADE && k < last; k++) {
		if (made[k].db != db || made[k].kind != kind || made[k].len != n)
			continue;
		size_t i = 0;
		while (i < n && made[k].name[i] == lower(name[i]))
			i++;
		if (i == n)
			return 1;
	}
	return 0;
}

/* This process's command line, read with system calls no hook sees: its
 * program's base name, then its arguments. */
static const char *const *own_cmdline(void *ctx)
{
	const struct sql_ctx *c = ctx;
	const char *exe = il_self_exe();
	char *buf = il_arena_alloc(c->a, CMDLINE_MAX);
	const char **vec = il_arena_alloc(c->a, CMDLINE_WORDS * sizeof *vec);
	if (!exe || !buf || !vec)
		return 0;
	long fd = il_sys4(SYS_openat, AT_FDCWD, (long)"/proc/self/cmdline", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	size_t n = 0;
	for (long got; n < CMDLINE_MAX && (got = il_sys4(SYS_read, fd, (long)(buf + n), (long)(CMDLINE_MAX - n), 0)) > 0;)
		n += (size_t)got;
	il_sys4(SYS_close, fd, 0, 0, 0);
	return n && il_caller_split(buf, n, exe, vec, CMDLINE_WORDS) >= 1 ? vec : 0;
}

/* ---- the decision ---- */

static int refuse_unjudged(char *msg, size_t cap)
{
	struct il_verdict v = { .action = IL_DENY, .rule = -1, .rule_id = "fail-closed", .event = "sql" };
	v.why = "the interlock session's rule set cannot be read (the session may have ended), or there is no memory "
		"to judge the statement, so statements that may lose data are refused";
	size_t n = il_blocked_line(msg, cap, "SQL", &v, IL_ANS_RULE);
	il_say(msg);
	if (n && msg[n - 1] == '\n')
		msg[n - 1] = 0;
	return -1;
}

int il_sql_check(struct il_sql_req *r, char *msg, size_t cap)
{
	r->found = r->text && r->len ? il_sql_scan(r->text, r->len, r->dialect) : 0;
	if (!(r->found & IL_SQL_LOSES))
		return 0;
	int saved = errno, broken = 0;
	struct il_snap_view *v = il_snapshot(&broken);
	if (!v && !broken) {
		errno = saved;
		return 0;
	}
	struct il_scratch sc;
	if (!v || il_scratch_open(&sc, SCRATCH_SIZE) < 0) {
		refuse_unjudged(msg, cap);
		errno = saved;
		return -1;
	}
	r->facts(r, &sc.a);
	char cwd[4096];
	if (!getcwd(cwd, sizeof cwd))
		il_memcpy(cwd, "/", 2);
	struct sql_ctx ctx = { r, &sc.a };
	struct il_sql_op op = { .dialect = r->dialect, .text = r->text, .len = r->len, .file = r->file,
				.host = r->host, .port = r->port, .dbname = r->dbname, .cwd = cwd,
				.made = made_here, .cmdline = own_cmdline, .ctx = &ctx };
	struct il_facts f = { .envp = environ, .profile = il_sess.profile, .pid = (long)getpid() };
	struct il_verdict verdict;
	il_judge_sql(v, &op, &f, &sc.a, &verdict);
	int rc = 0;
	if (verdict.action >= IL_LOG) {
		const char *exe = il_self_exe();
		rc = il_settle(v, &verdict, exe ? exe : "sql", sc.text, IL_TEXT_SIZE);
	}
	if (rc < 0) {
		/* the library's error says what the line on stderr says, bar
		 * how the question went (settle.c told that there) */
		size_t n = il_blocked_line(msg, cap, verdict.what ? verdict.what : "SQL", &verdict, IL_ANS_RULE);
		if (n && msg[n - 1] == '\n')
			msg[n - 1] = 0;
	}
	il_scratch_close(&sc);
	errno = saved;
	return rc;
}

void il_sql_made_by_call(struct il_sql_req *r, int first_only)
{
	if (!(r->found & IL_SQL_MAKES))
		return;
	int saved = errno, broken = 0;
	struct il_scratch sc;
	if (!il_snapshot(&broken) || il_scratch_open(&sc, SCRATCH_SIZE) < 0) {
		errno = saved;
		return; /* no session: nothing to remember it for */
	}
	r->facts(r, &sc.a);
	if (r->db_key)
		il_sql_made(r->text, r->len, r->dialect, first_only, remember, r);
	il_scratch_close(&sc);
	errno = saved;
}
