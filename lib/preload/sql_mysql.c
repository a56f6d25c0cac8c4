/* The MySQL/MariaDB client library's statement entry points (mysqlclient,
 * ruby's mysql2, php, the mariadb CLI): mysql_real_query, mysql_send_query
 * and mysql_stmt_prepare. mysql_query goes through mysql_real_query, and
 * is judged there (it is the library calling itself, but not inside a
 * call we judged). The database is what mariadb_get_infov tells of the
 * connection (libmariadb), else mysql_get_host_info's words; a prepared
 * statement's handle does not say which connection it is on.
 *
 * A refused statement fails as a statement the server refused: in its
 * place the hook sends SIGNAL SQLSTATE '42000' with error 1142 (command
 * denied) and interlock's reason, so mysql_errno, mysql_error,
 * mysql_sqlstate and mysql_stmt_error say so as for any other error
 * (mysqlclient raises OperationalError(1142, reason)). The statement
 * itself never reaches the server. */
#include "il.h"
#include "preload.h"
#include "sql.h"

typedef struct st_mysql MYSQL;
typedef struct st_mysql_stmt MYSQL_STMT;

/* libmariadb's enum mariadb_value (mysql.h) */
enum { MARIADB_CONNECTION_HOST = 10, MARIADB_CONNECTION_PORT = 12, MARIADB_CONNECTION_SCHEMA = 15,
       MARIADB_CONNECTION_UNIX_SOCKET = 26 };

#define MSG_MAX 1024
/* SIGNAL's MESSAGE_TEXT holds up to 512 characters */
#define SIGNAL_MSG_MAX 500
#define SIGNAL_MAX (2 * SIGNAL_MSG_MAX + 128)

static const char *dup_or_null(struct il_arena *a, const char *s)
{
	return s && *s ? il_arena_strdup(a, s) : 0;
}

static const char *number(struct il_arena *a, unsigned v)
{
	char d[12];
	int k = 0;
	do
		d[k++] = (char)('0' + v % 10);
	while ((v /= 10) && k < 11);
	char *s = il_arena_alloc(a, (size_t)k + 1);
	if (!s)
		return 0;
	for (int i = 0; i < k; i++)
		s[i] = d[k - 1 - i];
	s[k] = 0;
	return s;
}

static void facts(struct il_sql_req *r, struct il_arena *a)
{
	MYSQL *m = r->handle;
	char (*infov)(MYSQL *, int, void *, ...) = il_sql_lib_fn(r->lib, IL_MARIADB_GET_INFOV);
	if (m && infov) {
		const char *host = 0, *sock = 0, *db = 0;
		unsigned port = 0;
		infov(m, MARIADB_CONNECTION_HOST, &host);
		infov(m, MARIADB_CONNECTION_UNIX_SOCKET, &sock);
		infov(m, MARIADB_CONNECTION_SCHEMA, &db);
		infov(m, MARIADB_CONNECTION_PORT, &port);
		/* a connection over a socket names the socket */
		int local = !host || !*host || il_streq(host, "localhost");
		r->host = dup_or_null(a, local && sock && *sock ? sock : host);
		r->port = local && sock && *sock ? 0 : port ? number(a, port) : 0;
		r->dbname = dup_or_null(a, db);
	} else if (m) {
		const char *(*info)(MYSQL *) = il_sql_lib_fn(r->lib, IL_MYSQL_GET_HOST_INFO);
		r->host = info ? dup_or_null(a, info(m)) : 0;
	}
	const char *parts[] = { r->host ? r->host : "", ":", r->port ? r->port : "", "/", r->dbname ? r->dbname : "" };
	size_t n = 1;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		n += il_strlen(parts[i]);
	char *key = il_arena_alloc(a, n);
	if (key) {
		size_t o = 0;
		for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
			size_t l = il_strlen(parts[i]);
			il_memcpy(key + o, parts[i], l);
			o += l;
		}
		key[o] = 0;
	}
	r->db_key = key;
}

/* SIGNAL SQLSTATE '42000' SET MYSQL_ERRNO = 1142, MESSAGE_TEXT = '...';
 * its length in *len. */
static const char *signal_text(char *buf, size_t cap, const char *msg, unsigned long *len)
{
	const char *head = "SIGNAL SQLSTATE '42000' SET MYSQL_ERRNO = 1142, MESSAGE_TEXT = '";
	size_t hl = il_strlen(head), o = hl, used = 0;
	il_memcpy(buf, head, hl);
	for (const char *p = msg; *p && used < SIGNAL_MSG_MAX && o + 4 < cap; p++, used++) {
		if (*p == '\'' || *p == '\\')
			buf[o++] = *p; /* doubled: a quote, or a backslash in the default mode */
		buf[o++] = *p;
	}
	buf[o++] = '\'';
	buf[o] = 0;
	*len = (unsigned long)o;
	return buf;
}

static struct il_sql_req request(const struct il_sql_call *c, void *handle, const char *q, unsigned long len)
{
	/* a length, not a NUL, ends the text; a NUL inside ends it for us */
	size_t n = 0;
	while (q && n < len && q[n])
		n++;
	return (struct il_sql_req){ .dialect = IL_SQL_MYSQL, .text = q, .len = n, .facts = facts, .lib = c->lib,
				    .handle = handle };
}

/* mysql_real_query and mysql_send_query: one shape. */
static int query(enum il_sql_fn f, const void *caller, MYSQL *m, const char *q, unsigned long len)
{
	struct il_sql_call c;
	if (il_sql_begin(f, caller, &c) < 0)
		return 1;
	int (*real)(MYSQL *, const char *, unsigned long) = c.fn;
	if (c.internal)
		return real(m, q, len);
	struct il_sql_req r = request(&c, m, q, len);
	char msg[MSG_MAX], sig[SIGNAL_MAX];
	il_sql_enter();
	int rc;
	if (il_sql_check(&r, msg, sizeof msg) < 0) {
		unsigned long sl;
		const char *refusal = signal_text(sig, sizeof sig, msg, &sl);
		rc = real(m, refusal, sl);
	} else {
		rc = real(m, q, len);
		/* a statement that ran: the first of the text, at least */
		if (rc == 0 && f == IL_MYSQL_REAL_QUERY)
			il_sql_made_by_call(&r, 1);
	}
	il_sql_leave();
	return rc;
}

IL_EXPORT int mysql_real_query(MYSQL *m, const char *q, unsigned long len)
{
	return query(IL_MYSQL_REAL_QUERY, __builtin_return_address(0), m, q, len);
}

IL_EXPORT int mysql_send_query(MYSQL *m, const char *q, unsigned long len)
{
	return query(IL_MYSQL_SEND_QUERY, __builtin_return_address(0), m, q, len);
}

IL_EXPORT int mysql_stmt_prepare(MYSQL_STMT *stmt, const char *q, unsigned long len)
{
	struct il_sql_call c;
	if (il_sql_begin(IL_MYSQL_STMT_PREPARE, __builtin_return_address(0), &c) < 0)
		return 1;
	int (*real)(MYSQL_STMT *, const char *, unsigned long) = c.fn;
	if (c.internal)
		return real(stmt, q, len);
	struct il_sql_req r = request(&c, 0, q, len);
	char msg[MSG_MAX], sig[SIGNAL_MAX];
	il_sql_enter();
	int rc;
	if (il_sql_check(&r, msg, sizeof msg) < 0) {
		/* MariaDB prepares a SIGNAL: the refusal then comes when the
		 * program executes its statement, which is that SIGNAL */
		unsigned long sl;
		const char *refusal = signal_text(sig, sizeof sig, msg, &sl);
		rc = real(stmt, refusal, sl);
	} else {
		rc = real(stmt, q, len);
	}
	il_sql_leave();
	return rc;
}
