/* The SQL judge and the statement reader it stands on (sql_text.c,
 * sql_judge.c), with the shipped rules (argv[1]): what a text's statements
 * are in each dialect (quotes, comments, dollar quotes, executable
 * comments, trigger bodies, backslashes read both ways), the names a
 * CREATE makes, and the verdicts on statements sent to SQLite, PostgreSQL
 * and MySQL databases with the facts that waive them.
 *
 *     test_sql_judge RULES_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "engine_int.h"
#include "ruleset.h"
#include "sql_int.h"

static char scratch[4 << 20];

static void test_scan(void)
{
	static const struct {
		int dialect;
		const char *text;
		unsigned want;
	} rows[] = {
		{ IL_SQL_SQLITE, "SELECT * FROM customers", 0 },
		{ IL_SQL_SQLITE, "drop table customers", IL_SQL_LOSES },
		{ IL_SQL_SQLITE, "SELECT 'drop table x'", 0 },
		{ IL_SQL_SQLITE, "SELECT * FROM drop_log", 0 },
		{ IL_SQL_SQLITE, "SELECT 1;\n  -- cleanup\n  DELETE FROM t", IL_SQL_LOSES },
		{ IL_SQL_SQLITE, "/* x */ TRUNCATE t", IL_SQL_LOSES },
		{ IL_SQL_SQLITE, "CREATE TABLE t (x)", IL_SQL_MAKES },
		{ IL_SQL_SQLITE, "INSERT INTO t VALUES (1) ON CONFLICT (x) DO UPDATE SET y = 2", 0 },
		{ IL_SQL_SQLITE, "WITH x AS (SELECT 1) DELETE FROM t", IL_SQL_LOSES },
		{ IL_SQL_SQLITE, "WITH x AS (SELECT 1) SELECT * FROM x", 0 },
		{ IL_SQL_SQLITE, "SELECT [drop table x] FROM t", 0 },
		{ IL_SQL_SQLITE, "CREATE TRIGGER tr AFTER INSERT ON a BEGIN DELETE FROM b; END; SELECT 1", IL_SQL_MAKES },
		{ IL_SQL_SQLITE, "CREATE TRIGGER tr AFTER INSERT ON a BEGIN SELECT CASE WHEN 1 THEN 2 END; END; DROP TABLE b",
		  IL_SQL_MAKES | IL_SQL_LOSES },
		{ IL_SQL_MYSQL, "SELECT 5--1; DROP TABLE t", IL_SQL_LOSES },        /* arithmetic in MySQL */
		{ IL_SQL_POSTGRES, "SELECT 5--1; DROP TABLE t", 0 },               /* a comment elsewhere */
		{ IL_SQL_MYSQL, "SELECT 1 # ; DROP TABLE t", 0 },
		{ IL_SQL_MYSQL, "/*!50000 DROP TABLE t */", IL_SQL_LOSES },
		{ IL_SQL_MYSQL, "SELECT 1 /*!; DROP TABLE t */", IL_SQL_LOSES },
		{ IL_SQL_MYSQL, "SELECT 1 /* ; DROP TABLE t */", 0 },
		{ IL_SQL_POSTGRES, "SELECT $$;DROP TABLE t$$", 0 },
		{ IL_SQL_POSTGRES, "SELECT $a$ $$ ;DROP TABLE t $a$", 0 },
		{ IL_SQL_POSTGRES, "SELECT $1; DROP TABLE t", IL_SQL_LOSES },
		{ IL_SQL_POSTGRES, "SELECT /* a /* nested */ ; DROP TABLE t */ 1", 0 },
		{ IL_SQL_SQLITE, "SELECT /* a /* not nested */ ; DROP TABLE t */ 1", IL_SQL_LOSES },
		/* a backslash before a quote: an escape in MySQL's default mode,
		 * not with NO_BACKSLASH_ESCAPES: both readings are judged */
		{ IL_SQL_MYSQL, "SELECT 'a\\'; DROP TABLE t; -- '", IL_SQL_LOSES },
		{ IL_SQL_POSTGRES, "SELECT 'a\\'; DROP TABLE t; -- '", IL_SQL_LOSES },
		{ IL_SQL_POSTGRES, "SELECT E'a\\'; DROP TABLE t; -- '", 0 }, /* E'' escapes whatever the setting */
		{ IL_SQL_SQLITE, "SELECT 'a\\'; DROP TABLE t; -- '", IL_SQL_LOSES },
		{ IL_SQL_SQLITE, "SELECT 'it''s; DROP TABLE t'", 0 },
		{ IL_SQL_MYSQL, "UPDATE t SET a = 'x;y' WHERE id = 1", IL_SQL_LOSES },
		{ IL_SQL_SQLITE, "\n\t Update t SET a = 1", IL_SQL_LOSES }, /* one statement: its first word */
		{ IL_SQL_SQLITE, "EXPLAIN DELETE FROM t", 0 },
		{ IL_SQL_SQLITE, "(SELECT 1) UNION (SELECT 2)", 0 },
		{ IL_SQL_SQLITE, "-- note\nDROP TABLE t", IL_SQL_LOSES },
		{ IL_SQL_SQLITE, "", 0 },
		{ IL_SQL_SQLITE, " ;; ", 0 },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		unsigned got = il_sql_scan(rows[i].text, strlen(rows[i].text), rows[i].dialect);
		CHECK(got == rows[i].want, "scan %zu (%s): got %u, want %u", i, rows[i].text, got, rows[i].want);
	}
	/* a text given with its length stops there, NUL or not */
	CHECK(il_sql_scan("SELECT 1; DROP TABLE t", 9, IL_SQL_SQLITE) == 0, "only len bytes are read");
}

struct names {
	char got[256];
};

static void collect(void *ctx, int kind, const char *name, size_t n)
{
	struct names *c = ctx;
	size_t o = strlen(c->got);
	snprintf(c->got + o, sizeof c->got - o, "%s%c:%.*s", o ? " " : "", kind == IL_SQL_TABLE ? 't' : 'd', (int)n,
		 name);
}

static void test_made(void)
{
	static const struct {
		const char *text, *want;
		int first_only;
	} rows[] = {
		{ "CREATE TABLE t (x)", "t:t", 0 },
		{ "create temp table \"Foo\" (x)", "t:Foo", 0 },
		{ "CREATE TABLE main.t2 (x)", "t:t2", 0 },
		{ "CREATE TABLE IF NOT EXISTS t (x)", "", 0 },
		{ "CREATE OR REPLACE TABLE t (x)", "", 0 },
		{ "CREATE VIEW v AS SELECT 1", "", 0 },
		{ "CREATE DATABASE app; CREATE SCHEMA s", "d:app d:s", 0 },
		{ "CREATE TABLE a (x); CREATE TABLE b (x)", "t:a", 1 },
		{ "SELECT 1; CREATE TABLE b (x)", "", 1 },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct names c = { "" };
		il_sql_made(rows[i].text, strlen(rows[i].text), IL_SQL_POSTGRES, rows[i].first_only, collect, &c);
		CHECK(!strcmp(c.got, rows[i].want), "made %zu (%s): got '%s', want '%s'", i, rows[i].text, c.got,
		      rows[i].want);
	}
}

static void test_rules_text(void)
{
	struct il_arena a;
	il_arena_init(&a, scratch, sizeof scratch);
	const char *t = "DELETE FROM t /* WHERE id = 1 */ WHERE name = 'a;b' -- x\n";
	struct il_sql_stmt st = { t, strlen(t) };
	const char *r = il_sql_rules_text(&a, &st, IL_SQL_SQLITE, 0);
	CHECK(r && !strcmp(r, "DELETE FROM t   WHERE name = ''  \n"), "comments blank, strings empty: '%s'", r);
	const char *m = "DROP/*!*/TABLE/*!50000 t */";
	st = (struct il_sql_stmt){ m, strlen(m) };
	r = il_sql_rules_text(&a, &st, IL_SQL_MYSQL, 1);
	CHECK(r && !strcmp(r, "DROP  TABLE  t  "), "executable comments are code: '%s'", r);
}

/* ---- the judge ---- */

static const char *cmdline_vec[8];
static const char *const *cmdline(void *ctx)
{
	(void)ctx;
	return cmdline_vec[0] ? cmdline_vec : 0;
}

static int made_tmp(void *ctx, int kind, const char *name, size_t n)
{
	(void)ctx;
	return kind == IL_SQL_TABLE && n == 3 && !memcmp(name, "tmp", 3);
}

struct jrow {
	int dialect;
	const char *file; /* SQLite */
	const char *text;
	int action;
	const char *rule, *word;
	int nops;
};

static void judge_row(struct il_snap_view *v, const struct jrow *r, size_t i)
{
	char *envp[] = { 0 };
	struct il_facts f = { .envp = envp, .pid = 1 };
	struct il_sql_op op = { .dialect = r->dialect, .text = r->text, .len = strlen(r->text), .file = r->file,
				.cwd = "/", .made = made_tmp, .cmdline = cmdline };
	if (r->dialect != IL_SQL_SQLITE)
		op.host = "/run/db", op.port = "5432", op.dbname = "app";
	struct il_arena a;
	il_arena_init(&a, scratch, sizeof scratch);
	struct il_verdict out;
	il_judge_sql(v, &op, &f, &a, &out);
	int rule_ok = r->rule ? out.rule_id && !strcmp(out.rule_id, r->rule) : out.action == IL_ALLOW;
	CHECK(out.action == r->action && rule_ok, "sql %zu (%s): got %s %s, want %s %s", i, r->text,
	      il_action_name(out.action), out.rule_id ? out.rule_id : "-", il_action_name(r->action),
	      r->rule ? r->rule : "-");
	if (r->word)
		CHECK(!strcmp(out.word, r->word), "sql %zu: the word is '%s', want '%s'", i, out.word, r->word);
	if (out.action == IL_CONFIRM)
		CHECK(out.nops == r->nops && out.ops, "sql %zu: %d operations named, want %d", i, out.nops, r->nops);
	if (out.action != IL_ALLOW) {
		CHECK(out.event && !strcmp(out.event, "sql"), "sql %zu: event sql", i);
		CHECK(out.what && !strncmp(out.what, "SQL to ", 7), "sql %zu: what: %s", i, out.what);
		CHECK(out.argv && out.argv[0] && !strcmp(out.argv[0], "sql") && out.argv[2], "sql %zu: argv", i);
	}
}

static void test_judge(struct il_ruleset *rs)
{
	char root[] = "/tmp/il-sql-judge-XXXXXX";
	if (!mkdtemp(root)) {
		CHECK(0, "temp dir");
		return;
	}
	char home[64], db[96], emptydb[96];
	snprintf(home, sizeof home, "%s/home", root);
	snprintf(db, sizeof db, "%s/app.db", home);
	mkdir(home, 0700);
	FILE *fp = fopen(db, "w");
	if (fp) { /* a database with rows in it: an empty file has none to lose */
		fputs("SQLite format 3", fp);
		fclose(fp);
	}
	snprintf(emptydb, sizeof emptydb, "%s/empty.db", home); /* no rows, made before the session */
	if ((fp = fopen(emptydb, "w")))
		fclose(fp);
	/* older than the session by more than the coarse clock's tick */
	usleep(50000);
	struct il_session_meta m = { .session = "s", .home = home };
	void *blob;
	size_t len;
	struct il_snap_view v;
	if (il_snapshot_build(rs, &m, &blob, &len) || il_snap_open(&v, blob, len)) {
		CHECK(0, "snapshot");
		return;
	}
	v.get_mem = malloc;
	char tmpdb[] = "/tmp/il-sql-judge-scratch.db", newdb[128];
	snprintf(newdb, sizeof newdb, "%s/new.db", home); /* made in the session */
	if ((fp = fopen(newdb, "w")))
		fclose(fp);
	const struct jrow rows[] = {
		{ IL_SQL_SQLITE, db, "SELECT * FROM customers", IL_ALLOW, 0, 0, 0 },
		{ IL_SQL_SQLITE, db, "DROP TABLE customers", IL_CONFIRM, "sql-drop-table", "customers", 1 },
		{ IL_SQL_SQLITE, db, "drop table if exists \"customers\";", IL_CONFIRM, "sql-drop-table", "customers", 1 },
		{ IL_SQL_SQLITE, db, "DELETE FROM customers WHERE id = 1", IL_ALLOW, 0, 0, 0 },
		{ IL_SQL_SQLITE, db, "DELETE FROM customers", IL_CONFIRM, "sql-delete-all", "customers", 1 },
		{ IL_SQL_SQLITE, db, "DELETE FROM customers /* WHERE id = 1 */", IL_CONFIRM, "sql-delete-all", 0, 1 },
		{ IL_SQL_SQLITE, db, "DELETE FROM cache WHERE key = 'a;b'", IL_ALLOW, 0, 0, 0 },
		{ IL_SQL_SQLITE, db, "UPDATE customers SET name = 'x'", IL_CONFIRM, "sql-update-all", "customers", 1 },
		{ IL_SQL_SQLITE, db, "UPDATE customers SET name = 'x' WHERE id = 2", IL_ALLOW, 0, 0, 0 },
		{ IL_SQL_SQLITE, db, "INSERT INTO customers VALUES (3, 'DROP TABLE customers')", IL_ALLOW, 0, 0, 0 },
		{ IL_SQL_SQLITE, db, "ALTER TABLE customers DROP COLUMN name", IL_CONFIRM, "sql-alter-drop", 0, 1 },
		{ IL_SQL_SQLITE, db, "ALTER TABLE customers ADD COLUMN age int", IL_ALLOW, 0, 0, 0 },
		{ IL_SQL_SQLITE, db, "CREATE TABLE scratch (x); INSERT INTO scratch VALUES (1); DROP TABLE scratch",
		  IL_ALLOW, 0, 0, 0 },
		{ IL_SQL_SQLITE, db, "DROP TABLE scratch; CREATE TABLE scratch (x)", IL_CONFIRM, "sql-drop-table", 0, 1 },
		{ IL_SQL_SQLITE, db, "CREATE TABLE IF NOT EXISTS scratch (x); DROP TABLE scratch", IL_CONFIRM,
		  "sql-drop-table", 0, 1 },
		{ IL_SQL_SQLITE, db, "DROP TABLE tmp", IL_ALLOW, 0, 0, 0 }, /* this process made it */
		{ IL_SQL_SQLITE, db, "DROP TABLE a; SELECT 1; DROP TABLE b", IL_CONFIRM, "sql-drop-table", "a", 2 },
		{ IL_SQL_SQLITE, db, "BEGIN; DELETE FROM a; DROP TABLE a; COMMIT", IL_CONFIRM, "sql-delete-all", "a", 2 },
		{ IL_SQL_SQLITE, "", "DROP TABLE customers", IL_ALLOW, 0, 0, 0 },    /* in memory */
		{ IL_SQL_SQLITE, tmpdb, "DROP TABLE customers", IL_ALLOW, 0, 0, 0 }, /* a temp file */
		{ IL_SQL_SQLITE, newdb, "DROP TABLE customers", IL_ALLOW, 0, 0, 0 },
		{ IL_SQL_SQLITE, emptydb, "DROP TABLE IF EXISTS t", IL_ALLOW, 0, 0, 0 }, /* an empty file */
		{ IL_SQL_SQLITE, 0, "DROP TABLE customers", IL_CONFIRM, "sql-drop-table", 0, 1 }, /* unknown file */
		{ IL_SQL_POSTGRES, 0, "TRUNCATE customers", IL_CONFIRM, "sql-truncate", "customers", 1 },
		{ IL_SQL_POSTGRES, 0, "DROP DATABASE tmp", IL_CONFIRM, "sql-drop-database", "tmp", 1 }, /* tmp is a table */
		{ IL_SQL_POSTGRES, 0, "CREATE DATABASE scratch; DROP DATABASE scratch", IL_ALLOW, 0, 0, 0 },
		{ IL_SQL_POSTGRES, 0, "SELECT $$;DROP TABLE t$$", IL_ALLOW, 0, 0, 0 },
		{ IL_SQL_POSTGRES, 0, "WITH old AS (SELECT 1) DELETE FROM sessions", IL_CONFIRM, "sql-delete-all", 0, 1 },
		{ IL_SQL_MYSQL, 0, "UPDATE t SET a = 'x;y' WHERE id = 1", IL_ALLOW, 0, 0, 0 },
		{ IL_SQL_MYSQL, 0, "/*!50000 DROP TABLE orders */", IL_CONFIRM, "sql-drop-table", "orders", 1 },
		{ IL_SQL_MYSQL, 0, "SELECT 'a\\'; DROP TABLE t; -- '", IL_CONFIRM, "sql-drop-table", "t", 1 },
		{ IL_SQL_MYSQL, 0, "DROP TEMPORARY TABLE tmp_ids", IL_ALLOW, 0, 0, 0 },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		judge_row(&v, &rows[i], i);

	/* the words of the question: the statement, the database, the target */
	char *envp[] = { 0 };
	struct il_facts f = { .envp = envp, .pid = 1 };
	const char *text = "SELECT 1;\nDROP TABLE customers";
	struct il_sql_op op = { .dialect = IL_SQL_POSTGRES, .text = text, .len = strlen(text), .host = "/run/db",
				.port = "5432", .dbname = "app", .cwd = "/" };
	struct il_arena a;
	il_arena_init(&a, scratch, sizeof scratch);
	struct il_verdict out;
	il_judge_sql(&v, &op, &f, &a, &out);
	CHECK(out.what && !strcmp(out.what, "SQL to postgresql app at /run/db:5432: DROP TABLE customers"), "what: %s",
	      out.what);
	CHECK(out.target && !strcmp(out.target, "customers in postgresql app at /run/db:5432"), "target: %s", out.target);
	CHECK(out.argv && !strcmp(out.argv[1], "postgresql app at /run/db:5432") &&
		      !strcmp(out.argv[2], "DROP TABLE customers"),
	      "argv");
	CHECK(out.nops == 1 && out.ops[0].key && strstr(out.ops[0].key, "DROP TABLE customers"), "the operation's key");

	/* the sqlite3 CLI running the statement its confirmed command line gave it */
	/* (run where its app.db is: a file that is not there loses nothing) */
	struct il_sql_op cli = { .dialect = IL_SQL_SQLITE, .text = "DROP TABLE customers", .len = 20, .file = db,
				 .cwd = home, .cmdline = cmdline };
	cmdline_vec[0] = "sqlite3", cmdline_vec[1] = "app.db", cmdline_vec[2] = "DROP TABLE customers;";
	il_arena_init(&a, scratch, sizeof scratch);
	il_judge_sql(&v, &cli, &f, &a, &out);
	CHECK(out.action == IL_ALLOW, "asked at its exec: not again (got %s)", il_action_name(out.action));
	cmdline_vec[2] = "DROP TABLE orders";
	il_arena_init(&a, scratch, sizeof scratch);
	il_judge_sql(&v, &cli, &f, &a, &out);
	CHECK(out.action == IL_CONFIRM, "another statement than its command line's is asked");
	cmdline_vec[0] = "python3", cmdline_vec[1] = "-c", cmdline_vec[2] = "DROP TABLE customers";
	il_arena_init(&a, scratch, sizeof scratch);
	il_judge_sql(&v, &cli, &f, &a, &out);
	CHECK(out.action == IL_CONFIRM, "a command line that needed no question covers nothing");
	cmdline_vec[0] = 0;

	free(blob);
	char rm[128];
	snprintf(rm, sizeof rm, "rm -rf '%s'", root);
	if (system(rm) != 0)
		fprintf(stderr, "could not remove %s\n", root);
}

int main(int argc, char **argv)
{
	test_scan();
	test_made();
	test_rules_text();
	if (argc < 2) {
		fprintf(stderr, "usage: test_sql_judge RULES_DIR\n");
		return 1;
	}
	struct il_ruleset rs = { 0 };
	char *dirs[] = { argv[1], 0 };
	if (il_ruleset_load(&rs, dirs)) {
		fprintf(stderr, "rules do not load\n");
		return 1;
	}
	test_judge(&rs);
	il_ruleset_free(&rs);
	printf("test_sql_judge: %d checks, %d failed\n", checks, failures);
	return failures != 0;
}
