/* The SQL hooks' shared parts (sql_next.c, sql_check.c) and the client
 * libraries' hooks (sql_sqlite.c, sql_pq.c, sql_mysql.c).
 *
 * libinterlock.so cannot link against the client libraries, and must not
 * load them: it defines their statement entry points (hooks.txt, family
 * sql), which the loader's symbol lookup finds before the library's own
 * in every object that calls them, and forwards each call to the
 * definition that object would have reached without us (sql_next.c).
 * A program that never loads a client library never calls these, and its
 * lookups of their names (dlsym(RTLD_DEFAULT, "PQexec"), to see whether
 * libpq is there) find nothing, as without us (the dlsym hook). */
#ifndef IL_PRELOAD_SQL_H
#define IL_PRELOAD_SQL_H

#include <stddef.h>

#include "il.h"

/* Every function the SQL hooks look up, hooked or used. */
enum il_sql_fn {
	/* hooked: SQLite */
	IL_SQLITE_PREPARE, IL_SQLITE_PREPARE_V2, IL_SQLITE_PREPARE_V3, IL_SQLITE_PREPARE16,
	IL_SQLITE_PREPARE16_V2, IL_SQLITE_PREPARE16_V3, IL_SQLITE_EXEC, IL_SQLITE_ERRMSG, IL_SQLITE_ERRMSG16,
	IL_SQLITE_ERRCODE, IL_SQLITE_EXTENDED_ERRCODE, IL_SQLITE_ERROR_OFFSET,
	/* hooked: libpq */
	IL_PQ_EXEC, IL_PQ_EXEC_PARAMS, IL_PQ_PREPARE, IL_PQ_SEND_QUERY, IL_PQ_SEND_QUERY_PARAMS, IL_PQ_SEND_PREPARE,
	/* hooked: MySQL and MariaDB */
	IL_MYSQL_REAL_QUERY, IL_MYSQL_SEND_QUERY, IL_MYSQL_STMT_PREPARE,
	IL_SQL_HOOKED,
	/* used, from the library a hooked call went to */
	IL_SQLITE_DB_FILENAME = IL_SQL_HOOKED, IL_SQLITE_MPRINTF, IL_PQ_DB, IL_PQ_HOST, IL_PQ_PORT,
	IL_PQ_RESULT_STATUS, IL_MARIADB_GET_INFOV, IL_MYSQL_GET_HOST_INFO,
	IL_SQL_NFN
};

/* The real function behind a hooked call, for the object that called. */
struct il_sql_call {
	void *fn;        /* the definition that object reaches without us */
	const void *lib; /* the object fn is in (its link map) */
	int internal;    /* the library calling itself inside a call we judged
			    (sqlite3_exec running its statements, PQexec
			    sending its query): not judged again */
};
/* Fills c for hooked function f called from the return address caller.
 * -1 when no loaded object defines it (a program that found our symbol by
 * name): the hook fails the call the way the library reports errors. */
int il_sql_begin(enum il_sql_fn f, const void *caller, struct il_sql_call *c) IL_HIDDEN;
/* Another function of the library lib, or NULL. */
void *il_sql_lib_fn(const void *lib, enum il_sql_fn f) IL_HIDDEN;
/* Around the call of a real function that was judged: the library's own
 * calls of its entry points inside it are internal. */
void il_sql_enter(void) IL_HIDDEN;
void il_sql_leave(void) IL_HIDDEN;

/* One call to judge: the text as sent, and the facts about its database,
 * gathered (facts()) only when the text holds a statement that may lose
 * data. */
struct il_sql_req {
	int dialect;
	const char *text;
	size_t len;
	/* filled by facts(): the database (il_sql_op's fields) and the key
	 * the names this process makes in it are recorded under */
	const char *file, *host, *port, *dbname;
	const char *db_key;
	void (*facts)(struct il_sql_req *r, struct il_arena *a);
	const void *lib; /* for facts() */
	void *handle;    /* the connection (sqlite3 *, PGconn *, MYSQL *) */
	unsigned found;  /* il_sql_scan's answer, set by il_sql_check */
};
/* Judges the text and carries the verdict out (the question, the line on
 * stderr, the audit record): 0 to go on, -1 when refused, with the line in
 * msg (without its newline) for the library's own error. */
int il_sql_check(struct il_sql_req *r, char *msg, size_t cap) IL_HIDDEN;
/* After a call that succeeded: records the names its CREATE statements
 * made (the first statement's only, with first_only), so that this
 * process may drop what it made. Gathers the facts when it needs them. */
void il_sql_made_by_call(struct il_sql_req *r, int first_only) IL_HIDDEN;

#endif
