/* libpq's statement entry points (psycopg2, ruby's pg, php, psql):
 * PQexec, PQexecParams and PQprepare, and their asynchronous forms
 * PQsendQuery, PQsendQueryParams and PQsendPrepare. The text is judged
 * whole (PQexec runs a string of statements); the database is PQhost,
 * PQport and PQdb of the connection.
 *
 * A refused statement fails as a statement the server refused: the hook
 * sends, in its place, a DO block that raises interlock's reason with
 * SQLSTATE 42501 (insufficient privilege). The program gets a real error
 * result, through PQexec's return or PQgetResult, with PQerrorMessage,
 * PQresultErrorMessage and the SQLSTATE field as for any other error
 * (psycopg2 raises InsufficientPrivilege with the reason), and a
 * transaction it was in is aborted as such an error aborts it. The
 * statement itself never reaches the server. */
#include <stdint.h>
#include <unistd.h>

#include "il.h"
#include "preload.h"
#include "sql.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;
typedef unsigned int Oid;
enum { PGRES_COMMAND_OK = 1, PGRES_TUPLES_OK = 2 };

#define MSG_MAX 1024
#define RAISE_MAX (2 * MSG_MAX + 160)

static const char *dup_or_null(struct il_arena *a, const char *s)
{
	return s && *s ? il_arena_strdup(a, s) : 0;
}

static void facts(struct il_sql_req *r, struct il_arena *a)
{
	char *(*db)(const PGconn *) = il_sql_lib_fn(r->lib, IL_PQ_DB);
	char *(*host)(const PGconn *) = il_sql_lib_fn(r->lib, IL_PQ_HOST);
	char *(*port)(const PGconn *) = il_sql_lib_fn(r->lib, IL_PQ_PORT);
	if (!r->handle)
		return;
	r->dbname = db ? dup_or_null(a, db(r->handle)) : 0;
	r->host = host ? dup_or_null(a, host(r->handle)) : 0;
	r->port = port ? dup_or_null(a, port(r->handle)) : 0;
	size_t n = (r->host ? il_strlen(r->host) : 0) + (r->port ? il_strlen(r->port) : 0) +
		   (r->dbname ? il_strlen(r->dbname) : 0) + 4;
	char *key = il_arena_alloc(a, n);
	if (key) {
		size_t o = 0;
		const char *parts[] = { r->host ? r->host : "", ":", r->port ? r->port : "", "/", r->dbname ? r->dbname : "" };
		for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
			size_t l = il_strlen(parts[i]);
			il_memcpy(key + o, parts[i], l);
			o += l;
		}
		key[o] = 0;
	}
	r->db_key = key;
}

/* DO $tag$BEGIN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE =
 * E'...'; END$tag$, with a tag the message does not hold. */
static int holds(const char *s, const char *w)
{
	size_t n = il_strlen(w);
	for (; *s; s++)
		if (il_strneq(s, w, n))
			return 1;
	return 0;
}

static const char *raise_text(char *buf, size_t cap, const char *msg)
{
	char tag[16] = "$interlock$";
	for (char k = '0'; k <= '9' && holds(msg, tag); k++)
		il_memcpy(tag, "$interlock", 10), tag[10] = k, tag[11] = '$', tag[12] = 0;
	size_t o = 0, tl = il_strlen(tag);
	const char *head = "BEGIN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = E'";
	const char *tail = "'; END";
	size_t hl = il_strlen(head), fl = il_strlen(tail);
	if (cap < 3 + 2 * tl + hl + fl + 2)
		return "DO $$BEGIN RAISE EXCEPTION 'interlock refused this statement'; END$$";
	il_memcpy(buf, "DO ", 3), o = 3;
	il_memcpy(buf + o, tag, tl), o += tl;
	il_memcpy(buf + o, head, hl), o += hl;
	for (const char *p = msg; *p && o + 2 + fl + tl + 1 < cap; p++) {
		if (*p == '\'' || *p == '\\')
			buf[o++] = *p; /* doubled: a quote, or a backslash in E'' */
		buf[o++] = *p;
	}
	il_memcpy(buf + o, tail, fl), o += fl;
	il_memcpy(buf + o, tag, tl), o += tl;
	buf[o] = 0;
	return buf;
}

static struct il_sql_req request(const struct il_sql_call *c, PGconn *conn, const char *text)
{
	return (struct il_sql_req){ .dialect = IL_SQL_POSTGRES, .text = text, .len = text ? il_strlen(text) : 0,
				    .facts = facts, .lib = c->lib, .handle = conn };
}

/* The refusal of a synchronous call: the server's error result. */
static PGresult *refused_result(const struct il_sql_call *c, PGconn *conn, const char *msg)
{
	PGresult *(*exec)(PGconn *, const char *) = il_sql_lib_fn(c->lib, IL_PQ_EXEC);
	if (!exec)
		return 0; /* NULL: what libpq returns when it cannot send */
	char buf[RAISE_MAX];
	il_sql_enter();
	PGresult *res = exec(conn, raise_text(buf, sizeof buf, msg));
	il_sql_leave();
	return res;
}

/* The refusal of an asynchronous call: the error waits in PQgetResult.
 * PQsendQueryParams is allowed in pipeline mode, where PQsendQuery is not. */
static int refused_send(const struct il_sql_call *c, PGconn *conn, const char *msg)
{
	int (*send)(PGconn *, const char *, int, const Oid *, const char *const *, const int *, const int *, int) =
		il_sql_lib_fn(c->lib, IL_PQ_SEND_QUERY_PARAMS);
	if (!send)
		return 0;
	char buf[RAISE_MAX];
	il_sql_enter();
	int ok = send(conn, raise_text(buf, sizeof buf, msg), 0, 0, 0, 0, 0, 0);
	il_sql_leave();
	return ok;
}

/* After a synchronous call: a result that is not an error means every
 * statement of the text ran, CREATEs included. */
static void after_result(const struct il_sql_call *c, struct il_sql_req *r, PGresult *res)
{
	int (*status)(const PGresult *) = il_sql_lib_fn(c->lib, IL_PQ_RESULT_STATUS);
	int s = res && status ? status(res) : -1;
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
		il_sql_made_by_call(r, 0);
}

IL_EXPORT PGresult *PQexec(PGconn *conn, const char *query)
{
	struct il_sql_call c;
	if (il_sql_begin(IL_PQ_EXEC, __builtin_return_address(0), &c) < 0)
		return 0;
	PGresult *(*real)(PGconn *, const char *) = c.fn;
	if (c.internal)
		return real(conn, query);
	struct il_sql_req r = request(&c, conn, query);
	char msg[MSG_MAX];
	if (il_sql_check(&r, msg, sizeof msg) < 0)
		return refused_result(&c, conn, msg);
	il_sql_enter();
	PGresult *res = real(conn, query);
	il_sql_leave();
	after_result(&c, &r, res);
	return res;
}

IL_EXPORT PGresult *PQexecParams(PGconn *conn, const char *command, int nparams, const Oid *types,
				 const char *const *values, const int *lengths, const int *formats, int result_format)
{
	struct il_sql_call c;
	if (il_sql_begin(IL_PQ_EXEC_PARAMS, __builtin_return_address(0), &c) < 0)
		return 0;
	PGresult *(*real)(PGconn *, const char *, int, const Oid *, const char *const *, const int *, const int *,
			  int) = c.fn;
	if (c.internal)
		return real(conn, command, nparams, types, values, lengths, formats, result_format);
	struct il_sql_req r = request(&c, conn, command);
	char msg[MSG_MAX];
	if (il_sql_check(&r, msg, sizeof msg) < 0)
		return refused_result(&c, conn, msg);
	il_sql_enter();
	PGresult *res = real(conn, command, nparams, types, values, lengths, formats, result_format);
	il_sql_leave();
	after_result(&c, &r, res);
	return res;
}

/* A prepared statement is judged when it is prepared: executing it later
 * by name (PQexecPrepared) runs what was judged. */
IL_EXPORT PGresult *PQprepare(PGconn *conn, const char *name, const char *query, int nparams, const Oid *types)
{
	struct il_sql_call c;
	if (il_sql_begin(IL_PQ_PREPARE, __builtin_return_address(0), &c) < 0)
		return 0;
	PGresult *(*real)(PGconn *, const char *, const char *, int, const Oid *) = c.fn;
	if (c.internal)
		return real(conn, name, query, nparams, types);
	struct il_sql_req r = request(&c, conn, query);
	char msg[MSG_MAX];
	if (il_sql_check(&r, msg, sizeof msg) < 0)
		return refused_result(&c, conn, msg);
	il_sql_enter();
	PGresult *res = real(conn, name, query, nparams, types);
	il_sql_leave();
	return res;
}

IL_EXPORT int PQsendQuery(PGconn *conn, const char *query)
{
	struct il_sql_call c;
	if (il_sql_begin(IL_PQ_SEND_QUERY, __builtin_return_address(0), &c) < 0)
		return 0;
	int (*real)(PGconn *, const char *) = c.fn;
	if (c.internal)
		return real(conn, query);
	struct il_sql_req r = request(&c, conn, query);
	char msg[MSG_MAX];
	if (il_sql_check(&r, msg, sizeof msg) < 0)
		return refused_send(&c, conn, msg);
	il_sql_enter();
	int ok = real(conn, query);
	il_sql_leave();
	return ok;
}

IL_EXPORT int PQsendQueryParams(PGconn *conn, const char *command, int nparams, const Oid *types,
				const char *const *values, const int *lengths, const int *formats, int result_format)
{
	struct il_sql_call c;
	if (il_sql_begin(IL_PQ_SEND_QUERY_PARAMS, __builtin_return_address(0), &c) < 0)
		return 0;
	int (*real)(PGconn *, const char *, int, const Oid *, const char *const *, const int *, const int *, int) =
		c.fn;
	if (c.internal)
		return real(conn, command, nparams, types, values, lengths, formats, result_format);
	struct il_sql_req r = request(&c, conn, command);
	char msg[MSG_MAX];
	if (il_sql_check(&r, msg, sizeof msg) < 0)
		return refused_send(&c, conn, msg);
	il_sql_enter();
	int ok = real(conn, command, nparams, types, values, lengths, formats, result_format);
	il_sql_leave();
	return ok;
}

IL_EXPORT int PQsendPrepare(PGconn *conn, const char *name, const char *query, int nparams, const Oid *types)
{
	struct il_sql_call c;
	if (il_sql_begin(IL_PQ_SEND_PREPARE, __builtin_return_address(0), &c) < 0)
		return 0;
	int (*real)(PGconn *, const char *, const char *, int, const Oid *) = c.fn;
	if (c.internal)
		return real(conn, name, query, nparams, types);
	struct il_sql_req r = request(&c, conn, query);
	char msg[MSG_MAX];
	if (il_sql_check(&r, msg, sizeof msg) < 0)
		return refused_send(&c, conn, msg);
	il_sql_enter();
	int ok = real(conn, name, query, nparams, types);
	il_sql_leave();
	return ok;
}
