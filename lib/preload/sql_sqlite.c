/* SQLite's statement entry points: sqlite3_prepare, _v2, _v3 and their
 * UTF-16 forms (python's sqlite3 module, the sqlite3 CLI, Qt), and
 * sqlite3_exec, which runs a whole string of statements (it is judged
 * whole before any of it runs; its own prepares are internal).
 *
 * A refused statement fails as SQLite reports an error: SQLITE_AUTH, no
 * statement, and the connection's error message is interlock's. SQLite
 * has no call to set that message, so the hook makes SQLite record an
 * error of its own (a statement that cannot parse: nothing runs, nothing
 * is read), notes the message it gave, and sqlite3_errmsg, _errmsg16,
 * _errcode, _extended_errcode and _error_offset (none: the statement did
 * not fail at a token) answer with interlock's words as long as
 * the connection's message is still that one: the next call that sets an
 * error or clears it ends it, with nothing to forget. python raises
 * sqlite3.DatabaseError with the reason. */
#include <stdint.h>

#include "il.h"
#include "preload.h"
#include "sql.h"

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
enum { SQLITE_OK = 0, SQLITE_MISUSE = 21, SQLITE_AUTH = 23 };

#define MSG_MAX 512
#define TEXT16_MAX 4096 /* UTF-16 statements converted on the stack up to this */

/* The refusals SQLite is still reporting: per connection (a few slots
 * picked by its address), the message SQLite recorded for the statement
 * we made fail, and what to say instead. Not thread-local: the
 * library's static TLS must stay small (interlock doctor loads it with
 * dlopen). A slot is rewritten under a sequence number: a reader that
 * sees it change mid-read takes the library's own message. */
#define SLOTS 8
static struct said {
	unsigned seq; /* odd while it is being written */
	const sqlite3 *db;
	char planted[128];
	char msg[MSG_MAX];
	uint16_t msg16[MSG_MAX];
} said[SLOTS];

static struct said *slot_of(const sqlite3 *db)
{
	uintptr_t k = (uintptr_t)db;
	return &said[(k >> 4 ^ k >> 10) % SLOTS];
}

#define PLANT "interlock_refused"

static void facts(struct il_sql_req *r, struct il_arena *a)
{
	const char *(*filename)(sqlite3 *, const char *) = il_sql_lib_fn(r->lib, IL_SQLITE_DB_FILENAME);
	const char *f = filename && r->handle ? filename(r->handle, "main") : 0;
	/* "" is a database in memory or a temporary one; no answer at all
	 * (an old library) is a file nobody knows */
	r->file = f ? il_arena_strdup(a, f) : 0;
	r->db_key = r->file && *r->file ? r->file : 0;
}

static const char *lib_errmsg(const void *lib, sqlite3 *db)
{
	const char *(*errmsg)(sqlite3 *) = il_sql_lib_fn(lib, IL_SQLITE_ERRMSG);
	return errmsg ? errmsg(db) : 0;
}

/* Is the connection's error still the one we made it record? Its slot
 * then, else NULL. */
static const struct said *still_said(const void *lib, sqlite3 *db, const char *current)
{
	struct said *sd = db ? slot_of(db) : 0;
	unsigned seq = sd ? __atomic_load_n(&sd->seq, __ATOMIC_ACQUIRE) : 1;
	if ((seq & 1) || sd->db != db)
		return 0;
	if (!current)
		current = lib_errmsg(lib, db);
	int same = current && il_streq(current, sd->planted);
	return same && __atomic_load_n(&sd->seq, __ATOMIC_ACQUIRE) == seq ? sd : 0;
}

static void plant(const void *lib, sqlite3 *db, const char *msg)
{
	int (*prepare)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **) =
		il_sql_lib_fn(lib, IL_SQLITE_PREPARE_V2);
	if (!db || !prepare)
		return;
	sqlite3_stmt *st = 0;
	il_sql_enter();
	int rc = prepare(db, PLANT, -1, &st, 0);
	il_sql_leave();
	const char *m = rc != SQLITE_OK ? lib_errmsg(lib, db) : 0;
	size_t n = m ? il_strlen(m) : 0;
	struct said *sd = slot_of(db);
	unsigned seq = __atomic_load_n(&sd->seq, __ATOMIC_RELAXED);
	if ((seq & 1) || !__atomic_compare_exchange_n(&sd->seq, &seq, seq + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return; /* another refusal is writing it: the library's words then */
	sd->db = 0;
	if (n && n < sizeof sd->planted) {
		il_memcpy(sd->planted, m, n + 1);
		size_t k = il_strlen(msg);
		if (k >= MSG_MAX)
			k = MSG_MAX - 1;
		il_memcpy(sd->msg, msg, k);
		sd->msg[k] = 0;
		for (size_t i = 0; i <= k; i++) /* the line is ASCII but for names */
			sd->msg16[i] = (unsigned char)sd->msg[i] < 0x80 ? (unsigned char)sd->msg[i] : '?';
		sd->db = db;
	}
	__atomic_store_n(&sd->seq, seq + 2, __ATOMIC_RELEASE);
}

static size_t text_len(const char *s, int n)
{
	if (!s)
		return 0;
	if (n < 0)
		return il_strlen(s);
	size_t k = 0;
	while (k < (size_t)n && s[k])
		k++;
	return k;
}

static struct il_sql_req request(const struct il_sql_call *c, sqlite3 *db, const char *text, size_t len)
{
	return (struct il_sql_req){ .dialect = IL_SQL_SQLITE, .text = text, .len = len, .facts = facts, .lib = c->lib,
				    .handle = db };
}

/* The three UTF-8 prepares, one way: v1 and v2 have no flags. */
static int prepare8(enum il_sql_fn f, const void *caller, sqlite3 *db, const char *sql, int n, unsigned flags,
		    sqlite3_stmt **st, const char **tail)
{
	struct il_sql_call c;
	if (il_sql_begin(f, caller, &c) < 0) {
		if (st)
			*st = 0;
		return SQLITE_MISUSE;
	}
	int (*p2)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **) = c.fn;
	int (*p3)(sqlite3 *, const char *, int, unsigned, sqlite3_stmt **, const char **) = c.fn;
	if (c.internal)
		return f == IL_SQLITE_PREPARE_V3 ? p3(db, sql, n, flags, st, tail) : p2(db, sql, n, st, tail);
	/* the whole text is judged, not just the statement this call
	 * compiles: a loop over the tail (python's executescript) must not
	 * run the first statements of a text whose last one is refused */
	struct il_sql_req r = request(&c, db, sql, text_len(sql, n));
	char msg[MSG_MAX];
	if (il_sql_check(&r, msg, sizeof msg) < 0) {
		plant(c.lib, db, msg);
		if (st)
			*st = 0;
		if (tail)
			*tail = sql + r.len;
		return SQLITE_AUTH;
	}
	const char *t = 0;
	il_sql_enter();
	int rc = f == IL_SQLITE_PREPARE_V3 ? p3(db, sql, n, flags, st, &t) : p2(db, sql, n, st, &t);
	il_sql_leave();
	if (tail)
		*tail = t;
	if (rc == SQLITE_OK)
		il_sql_made_by_call(&r, 1); /* only the first statement was compiled */
	return rc;
}

IL_EXPORT int sqlite3_prepare(sqlite3 *db, const char *sql, int n, sqlite3_stmt **st, const char **tail)
{
	return prepare8(IL_SQLITE_PREPARE, __builtin_return_address(0), db, sql, n, 0, st, tail);
}

IL_EXPORT int sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **st, const char **tail)
{
	return prepare8(IL_SQLITE_PREPARE_V2, __builtin_return_address(0), db, sql, n, 0, st, tail);
}

IL_EXPORT int sqlite3_prepare_v3(sqlite3 *db, const char *sql, int n, unsigned flags, sqlite3_stmt **st,
				 const char **tail)
{
	return prepare8(IL_SQLITE_PREPARE_V3, __builtin_return_address(0), db, sql, n, flags, st, tail);
}

/* UTF-16 (the machine's order) to UTF-8 for the judge, as much as fits
 * in cap bytes; an unpaired surrogate becomes '?'. Its length; *done: how
 * many units it took. */
static size_t utf8_of(const uint16_t *s, size_t units, char *out, size_t cap, size_t *done)
{
	size_t o = 0, i = 0;
	for (; i < units && o + 4 <= cap; i++) {
		uint32_t c = s[i];
		if (c >= 0xd800 && c < 0xdc00 && i + 1 < units && s[i + 1] >= 0xdc00 && s[i + 1] < 0xe000)
			c = 0x10000 + ((c - 0xd800) << 10) + (s[++i] - 0xdc00);
		else if (c >= 0xd800 && c < 0xe000)
			c = '?';
		if (c < 0x80) {
			out[o++] = (char)c;
		} else if (c < 0x800) {
			out[o++] = (char)(0xc0 | c >> 6);
			out[o++] = (char)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			out[o++] = (char)(0xe0 | c >> 12);
			out[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (c & 0x3f));
		} else {
			out[o++] = (char)(0xf0 | c >> 18);
			out[o++] = (char)(0x80 | ((c >> 12) & 0x3f));
			out[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (c & 0x3f));
		}
	}
	*done = i;
	return o;
}

static size_t units_of(const void *sql, int n)
{
	const uint16_t *s = sql;
	size_t max = n < 0 ? (size_t)-1 : (size_t)n / 2, k = 0;
	while (s && k < max && s[k])
		k++;
	return k;
}

/* The UTF-16 prepares: judged in UTF-8, a text too long to convert on
 * the stack in scratch memory. */
static int prepare16(enum il_sql_fn f, const void *caller, sqlite3 *db, const void *sql, int n, unsigned flags,
		     sqlite3_stmt **st, const void **tail)
{
	struct il_sql_call c;
	if (il_sql_begin(f, caller, &c) < 0) {
		if (st)
			*st = 0;
		return SQLITE_MISUSE;
	}
	int (*p2)(sqlite3 *, const void *, int, sqlite3_stmt **, const void **) = c.fn;
	int (*p3)(sqlite3 *, const void *, int, unsigned, sqlite3_stmt **, const void **) = c.fn;
	if (c.internal)
		return f == IL_SQLITE_PREPARE16_V3 ? p3(db, sql, n, flags, st, tail) : p2(db, sql, n, st, tail);
	size_t units = units_of(sql, n), done;
	char small[TEXT16_MAX];
	struct il_scratch sc;
	int mapped = 0;
	char *text = small;
	size_t len = utf8_of(sql, units, small, sizeof small, &done);
	if (done < units && il_scratch_open(&sc, 4u << 20) == 0) {
		/* a text longer than even this is judged by what fits: a
		 * statement cut short may lose its WHERE, and be asked about */
		mapped = 1;
		text = sc.mem;
		len = utf8_of(sql, units, text, sc.size, &done);
	}
	struct il_sql_req r = request(&c, db, text, len);
	char msg[MSG_MAX];
	int refused = il_sql_check(&r, msg, sizeof msg) < 0;
	int rc = SQLITE_AUTH;
	if (refused) {
		plant(c.lib, db, msg);
		if (st)
			*st = 0;
		if (tail)
			*tail = (const uint16_t *)sql + units;
	} else {
		il_sql_enter();
		rc = f == IL_SQLITE_PREPARE16_V3 ? p3(db, sql, n, flags, st, tail) : p2(db, sql, n, st, tail);
		il_sql_leave();
		if (rc == SQLITE_OK)
			il_sql_made_by_call(&r, 1);
	}
	if (mapped)
		il_scratch_close(&sc);
	return rc;
}

IL_EXPORT int sqlite3_prepare16(sqlite3 *db, const void *sql, int n, sqlite3_stmt **st, const void **tail)
{
	return prepare16(IL_SQLITE_PREPARE16, __builtin_return_address(0), db, sql, n, 0, st, tail);
}

IL_EXPORT int sqlite3_prepare16_v2(sqlite3 *db, const void *sql, int n, sqlite3_stmt **st, const void **tail)
{
	return prepare16(IL_SQLITE_PREPARE16_V2, __builtin_return_address(0), db, sql, n, 0, st, tail);
}

IL_EXPORT int sqlite3_prepare16_v3(sqlite3 *db, const void *sql, int n, unsigned flags, sqlite3_stmt **st,
				   const void **tail)
{
	return prepare16(IL_SQLITE_PREPARE16_V3, __builtin_return_address(0), db, sql, n, flags, st, tail);
}

IL_EXPORT int sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **), void *arg,
			   char **errmsg)
{
	struct il_sql_call c;
	if (il_sql_begin(IL_SQLITE_EXEC, __builtin_return_address(0), &c) < 0)
		return SQLITE_MISUSE;
	int (*real)(sqlite3 *, const char *, int (*)(void *, int, char **, char **), void *, char **) = c.fn;
	if (c.internal)
		return real(db, sql, cb, arg, errmsg);
	struct il_sql_req r = request(&c, db, sql, text_len(sql, -1));
	char msg[MSG_MAX];
	if (il_sql_check(&r, msg, sizeof msg) < 0) {
		plant(c.lib, db, msg);
		if (errmsg) {
			/* the caller frees it with sqlite3_free */
			char *(*mprintf)(const char *, ...) = il_sql_lib_fn(c.lib, IL_SQLITE_MPRINTF);
			*errmsg = mprintf ? mprintf("%s", msg) : 0;
		}
		return SQLITE_AUTH;
	}
	il_sql_enter();
	int rc = real(db, sql, cb, arg, errmsg);
	il_sql_leave();
	if (rc == SQLITE_OK)
		il_sql_made_by_call(&r, 0);
	return rc;
}

IL_EXPORT const char *sqlite3_errmsg(sqlite3 *db)
{
	struct il_sql_call c;
	if (il_sql_begin(IL_SQLITE_ERRMSG, __builtin_return_address(0), &c) < 0)
		return "no SQLite library is loaded";
	const char *m = ((const char *(*)(sqlite3 *))c.fn)(db);
	const struct said *sd = still_said(c.lib, db, m);
	return sd ? sd->msg : m;
}

IL_EXPORT const void *sqlite3_errmsg16(sqlite3 *db)
{
	struct il_sql_call c;
	if (il_sql_begin(IL_SQLITE_ERRMSG16, __builtin_return_address(0), &c) < 0)
		return 0;
	const void *m = ((const void *(*)(sqlite3 *))c.fn)(db);
	const struct said *sd = still_said(c.lib, db, 0);
	return sd ? (const void *)sd->msg16 : m;
}

IL_EXPORT int sqlite3_errcode(sqlite3 *db)
{
	struct il_sql_call c;
	if (il_sql_begin(IL_SQLITE_ERRCODE, __builtin_return_address(0), &c) < 0)
		return SQLITE_MISUSE;
	int code = ((int (*)(sqlite3 *))c.fn)(db);
	return still_said(c.lib, db, 0) ? SQLITE_AUTH : code;
}

IL_EXPORT int sqlite3_extended_errcode(sqlite3 *db)
{
	struct il_sql_call c;
	if (il_sql_begin(IL_SQLITE_EXTENDED_ERRCODE, __builtin_return_address(0), &c) < 0)
		return SQLITE_MISUSE;
	int code = ((int (*)(sqlite3 *))c.fn)(db);
	return still_said(c.lib, db, 0) ? SQLITE_AUTH : code;
}

IL_EXPORT int sqlite3_error_offset(sqlite3 *db)
{
	struct il_sql_call c;
	if (il_sql_begin(IL_SQLITE_ERROR_OFFSET, __builtin_return_address(0), &c) < 0)
		return -1;
	int off = ((int (*)(sqlite3 *))c.fn)(db);
	return still_said(c.lib, db, 0) ? -1 : off;
}
