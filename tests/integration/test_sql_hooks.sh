#!/usr/bin/env bash
# SQL that programs send through client libraries (issue 22), with real
# programs and real servers this test starts in its sandbox: python's
# sqlite3 module, the sqlite3 CLI and a C program calling sqlite3_exec;
# psycopg2 and psql against a PostgreSQL server; mysqlclient (MySQLdb)
# against a MariaDB server. The servers run as nobody when the test runs
# as root (initdb refuses root), on sockets in the sandbox, no TCP.
#
# Each destructive statement (DROP TABLE, TRUNCATE, DELETE or UPDATE
# without WHERE, ALTER TABLE ... DROP) is refused without a terminal, with
# the library's own kind of error and the data intact, and runs when a
# human types the word at a real pty (tests/pty/sql_approve.py). SELECT,
# INSERT, UPDATE/DELETE with WHERE, and DDL on a table the same process
# created run freely. Also: nothing of a multi-statement text runs when
# one of its statements is refused; a program that never loads a client
# library does not see its functions (dlsym(RTLD_DEFAULT, "PQexec")); a
# second preload's RTLD_NEXT still means what it meant.
. "$(dirname "$0")/lib.sh"

# Debian's python: python3-psycopg2 and python3-mysqldb are built for it
# (a pyenv python first on PATH has neither).
SYSPY=/usr/bin/python3
[ -x "$SYSPY" ] || SYSPY=$PYTHON
APPROVE=("$PYTHON" "$INTERLOCK_SRC/tests/pty/sql_approve.py")
PROJ=$HOME/proj
mkdir -p "$PROJ"
cd "$PROJ" || exit 1

# The servers this test started, stopped before the sandbox goes.
PG_CTL= PGDATA_DIR= MY_PIDFILE=
stop_servers() {
    if [ -n "$PG_CTL" ] && [ -f "$PGDATA_DIR/postmaster.pid" ]; then
        as_server "$PG_CTL" -D "$PGDATA_DIR" -m immediate -w stop >/dev/null 2>&1
    fi
    if [ -n "$MY_PIDFILE" ] && [ -s "$MY_PIDFILE" ]; then
        local pid
        pid=$(head -n 1 "$MY_PIDFILE")
        kill "$pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
}
trap 'stop_servers; _cleanup' EXIT

# as_server CMD...: as nobody when root, else as the user running the test
if [ "$(id -u)" -eq 0 ]; then
    NOBODY=$(id -u nobody 2>/dev/null || echo 65534)
    NOGROUP=$(id -g nobody 2>/dev/null || echo 65534)
    as_server() { setpriv --reuid="$NOBODY" --regid="$NOGROUP" --clear-groups -- env HOME=/ "$@"; }
    chmod 711 "$SANDBOX" # nobody reaches its server directories below
else
    as_server() { "$@"; }
fi
server_dir() {
    mkdir -p "$SANDBOX/$1"
    [ "$(id -u)" -eq 0 ] && chown "$NOBODY:$NOGROUP" "$SANDBOX/$1"
    chmod 755 "$SANDBOX/$1"
}

# sqlrun.py KIND TARGET STATEMENT...: one connection, each statement in
# turn (autocommit); prints "ok: STATEMENT" or "ERR CLASS MESSAGE" for
# each, and the rows of customers at the end.
cat >"$SANDBOX/bin/sqlrun.py" <<'EOF'
import os, sys
kind, target, statements = sys.argv[1], sys.argv[2], sys.argv[3:]
if kind == "sqlite":
    import sqlite3
    c = sqlite3.connect(target, isolation_level=None)
elif kind == "pg":
    import psycopg2
    c = psycopg2.connect(host=os.environ["PGSOCK"], user="tester", dbname=target)
    c.autocommit = True
else:
    import MySQLdb
    c = MySQLdb.connect(unix_socket=os.environ["MYSOCK"], user="root", db=target, autocommit=True)
cur = c.cursor()
for s in statements:
    try:
        if s.startswith("script:"):
            c.executescript(s[7:])
        else:
            cur.execute(s)
        print("ok: " + s)
    except Exception as e:
        print("ERR %s %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else ""))
sys.stdout.flush()
EOF

# ---------------------------------------------------------------- SQLite
have_tool sqlite3 sqlite3 || finish
DB=$PROJ/app.db
seed_sqlite() {
    rm -f "$DB"
    sqlite3 "$DB" "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);
        INSERT INTO customers VALUES (1, 'ada'), (2, 'bob'), (3, 'cy');" || return 1
    sleep 0.05 # older than the session by more than the clock's tick: not the agent's
}
rows_sqlite() { sqlite3 "$DB" "SELECT group_concat(id || ':' || name, ',') FROM customers" 2>&1; }
ORIG='1:ada,2:bob,3:cy'

seed_sqlite || { _fail "seed the SQLite database"; finish; }
for stmt in "DROP TABLE customers" "DELETE FROM customers" "UPDATE customers SET name = 'x'" \
    "ALTER TABLE customers DROP COLUMN name" "WITH x AS (SELECT 1) DELETE FROM customers"; do
    run_capture guard "$SYSPY" "$SANDBOX/bin/sqlrun.py" sqlite "$DB" "$stmt"
    assert_contains "sqlite, $stmt: python raises DatabaseError with the reason" "$OUT" \
        "ERR DatabaseError interlock: blocked: SQL to sqlite $DB: $stmt"
    assert_contains "sqlite, $stmt: the line on stderr" "$ERR" "no human terminal is available to ask"
    assert_eq "sqlite, $stmt: the data is intact" "$ORIG" "$(rows_sqlite)"
done
assert_contains "the audit record says sql" "$(tail -n 1 "$AUDIT_LOG" 2>/dev/null)" '"event":"sql"'
assert_contains "the audit record has the statement" "$(grep -F sql-drop-table "$AUDIT_LOG" | head -n 1)" \
    '"argv":["sql","sqlite '"$DB"'","DROP TABLE customers"]'

run_capture guard "$SYSPY" "$SANDBOX/bin/sqlrun.py" sqlite "$DB" \
    "SELECT * FROM customers" "INSERT INTO customers VALUES (4, 'dee')" "UPDATE customers SET name = 'dora' WHERE id = 4" \
    "DELETE FROM customers WHERE id = 4" "CREATE TABLE scratch (x)" "INSERT INTO scratch VALUES (1)" \
    "DELETE FROM scratch" "ALTER TABLE scratch ADD COLUMN y" "DROP TABLE scratch" \
    "script:CREATE TABLE tmp2 (x); INSERT INTO tmp2 VALUES (1); DROP TABLE tmp2;"
assert_eq "sqlite: everyday statements and DDL on the process's own tables run" "0" \
    "$(grep -c '^ERR' <<<"$OUT")"
assert_not_contains "sqlite: no block line for them" "$ERR" "$BLOCKED_MARK"
assert_eq "sqlite: the data is as it was" "$ORIG" "$(rows_sqlite)"

# nothing partial: executescript judges its whole text before it runs any
run_capture guard "$SYSPY" "$SANDBOX/bin/sqlrun.py" sqlite "$DB" \
    "script:INSERT INTO customers VALUES (5, 'eve'); DROP TABLE customers;"
assert_contains "sqlite: a script with a DROP is refused" "$OUT" "ERR DatabaseError interlock: blocked"
assert_eq "sqlite: its INSERT did not run either" "$ORIG" "$(rows_sqlite)"
# a table this process did not make, though a CREATE ... IF NOT EXISTS named it
run_capture guard "$SYSPY" "$SANDBOX/bin/sqlrun.py" sqlite "$DB" \
    "CREATE TABLE IF NOT EXISTS customers (id, name)" "DROP TABLE customers"
assert_contains "sqlite: IF NOT EXISTS does not make it the process's own" "$OUT" "ERR DatabaseError"

# the database's file decides: one made in the session, one in a temp dir
run_capture guard "$SYSPY" "$SANDBOX/bin/sqlrun.py" sqlite "$PROJ/new.db" \
    "CREATE TABLE IF NOT EXISTS t (x)" "INSERT INTO t VALUES (1)" "DELETE FROM t" "DROP TABLE t"
assert_eq "sqlite: a database made in the session is the agent's" "0" "$(grep -c '^ERR' <<<"$OUT")"
sqlite3 "$TMPDIR/scratch.db" "CREATE TABLE t (x); INSERT INTO t VALUES (1);"
run_capture guard "$SYSPY" "$SANDBOX/bin/sqlrun.py" sqlite "$TMPDIR/scratch.db" "DROP TABLE t"
assert_eq "sqlite: a database in a temp dir is free" "ok: DROP TABLE t" "$OUT"

# the sqlite3 CLI: SQL the command line feeds it (echo piped in, a
# here-document) is judged at the exec, as statements-on-stdin says
run_capture guard bash -c 'echo "DELETE FROM customers;" | sqlite3 "$0"' "$DB"
assert_contains "sqlite3 CLI: a DELETE piped in is refused at the exec" "$ERR" "(rule sql-delete-all)"
assert_eq "sqlite3 CLI: the data is intact" "$ORIG" "$(rows_sqlite)"
run_capture guard bash -c 'sqlite3 "$0" <<EOF
DROP TABLE customers;
EOF' "$DB"
assert_contains "sqlite3 CLI: a DROP in a here-document is refused" "$ERR" "(rule sql-drop-table)"
assert_eq "sqlite3 CLI: still intact" "$ORIG" "$(rows_sqlite)"
# SQL in a file the shell redirects is unseen in the command line; the
# preload reads the new program's stdin (a regular file) at the exec
printf 'DELETE FROM customers;\n' >"$SANDBOX/del.sql"
run_capture guard bash -c 'sqlite3 "$0" < "$1"' "$DB" "$SANDBOX/del.sql"
assert_contains "sqlite3 CLI: a DELETE from a redirected file is refused at the exec" "$ERR" "(rule sql-delete-all)"
assert_eq "sqlite3 CLI: the data is intact again" "$ORIG" "$(rows_sqlite)"
# a statement no command line or stdin shows (read by the program
# itself) reaches the library's hook
printf 'DELETE FROM customers;\n' >"$SANDBOX/del.sql"
run_capture guard sqlite3 "$DB" ".read $SANDBOX/del.sql"
assert_contains "sqlite3 CLI: .read FILE is refused by the hook" "$ERR" "interlock: blocked: SQL to sqlite $DB"
assert_eq "sqlite3 CLI: intact after .read" "$ORIG" "$(rows_sqlite)"
expect_blocked "sqlite3 CLI: the statement on its command line, at the exec" guard sqlite3 "$DB" "DELETE FROM customers"
assert_eq "sqlite3 CLI: still intact" "$ORIG" "$(rows_sqlite)"

# sqlite3_exec from a C program: the whole string is judged before any of it runs
cat >"$SANDBOX/sqlexec.c" <<'EOF'
#include <stdio.h>
typedef struct sqlite3 sqlite3;
int sqlite3_open(const char *, sqlite3 **);
int sqlite3_exec(sqlite3 *, const char *, int (*)(void *, int, char **, char **), void *, char **);
const char *sqlite3_errmsg(sqlite3 *);
int sqlite3_errcode(sqlite3 *);
void sqlite3_free(void *);
int sqlite3_close(sqlite3 *);
int main(int argc, char **argv)
{
	sqlite3 *db;
	char *err = 0;
	if (argc < 3 || sqlite3_open(argv[1], &db))
		return 2;
	int rc = sqlite3_exec(db, argv[2], 0, 0, &err);
	printf("rc=%d code=%d err=%s errmsg=%s\n", rc, sqlite3_errcode(db), err ? err : "", rc ? sqlite3_errmsg(db) : "");
	sqlite3_free(err);
	sqlite3_close(db);
	return rc != 0;
}
EOF
if cc -o "$SANDBOX/bin/sqlexec" "$SANDBOX/sqlexec.c" -l:libsqlite3.so.0 2>"$SANDBOX/cc.err"; then
    run_capture guard sqlexec "$DB" "INSERT INTO customers VALUES (6, 'fay'); DROP TABLE customers;"
    assert_contains "sqlite3_exec: SQLITE_AUTH, and the message in *errmsg and sqlite3_errmsg" "$OUT" \
        "rc=23 code=23 err=interlock: blocked: SQL to sqlite $DB: DROP TABLE customers"
    assert_contains "sqlite3_errmsg says the same" "$OUT" "errmsg=interlock: blocked"
    assert_eq "sqlite3_exec: its INSERT did not run either" "$ORIG" "$(rows_sqlite)"
    run_capture guard sqlexec "$DB" "CREATE TABLE t2 (x); INSERT INTO t2 VALUES (1); DROP TABLE t2;"
    assert_eq "sqlite3_exec: DDL on a table of its own runs" "rc=0 code=0 err= errmsg=" "$OUT"
else
    _fail "compile a C program against libsqlite3.so.0" "$(cat "$SANDBOX/cc.err")"
fi

# a program that never loads a client library does not see its functions
cat >"$SANDBOX/probe.c" <<'EOF'
#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv)
{
	void *self = dlopen(0, RTLD_LAZY);
	for (int i = 1; i < argc; i++) {
		void *p = dlsym(RTLD_DEFAULT, argv[i]);
		const char *e = p ? 0 : dlerror();
		printf("%s:%s:%s ", argv[i], p ? "found" : e ? "absent" : "absent-without-dlerror",
		       dlsym(self, argv[i]) ? "found" : "absent");
	}
	printf("\n");
	return 0;
}
EOF
cat >"$SANDBOX/next.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <unistd.h>
/* a second preload wrapping getpid: RTLD_NEXT from here must still mean after here */
pid_t getpid(void)
{
	static pid_t (*next)(void);
	if (!next)
		next = (pid_t (*)(void))dlsym(RTLD_NEXT, "getpid");
	return next ? next() + 0 : -1;
}
EOF
if cc -o "$SANDBOX/bin/probe" "$SANDBOX/probe.c" -ldl 2>"$SANDBOX/cc.err" &&
    cc -shared -fPIC -o "$SANDBOX/libnext.so" "$SANDBOX/next.c" -ldl 2>>"$SANDBOX/cc.err"; then
    run_capture guard probe PQexec sqlite3_exec mysql_real_query sqlite3_prepare_v2 getpid
    assert_eq "dlsym: the client functions are absent, as without interlock" \
        "PQexec:absent:absent sqlite3_exec:absent:absent mysql_real_query:absent:absent sqlite3_prepare_v2:absent:absent getpid:found:found " \
        "$OUT"
    run_capture env LD_PRELOAD="$SANDBOX/libnext.so" "${_setsid[@]}" timeout -k 5 "$GUARD_TIMEOUT" \
        "$INTERLOCK_BIN" run -- "$SYSPY" -c 'import os; print(os.getpid() > 0)'
    assert_eq "dlsym(RTLD_NEXT) from a second preload still finds the next one" "True" "$OUT"
else
    _fail "compile the dlsym probes" "$(cat "$SANDBOX/cc.err")"
fi
run_capture guard "$SYSPY" -c '
import ctypes, sqlite3
def has(n):
    try:
        getattr(ctypes.CDLL(None), n); return "found"
    except AttributeError:
        return "absent"
print(has("PQexec"), has("sqlite3_exec"), end=" ")
ctypes.CDLL("libsqlite3.so.0", mode=ctypes.RTLD_GLOBAL)
print(has("sqlite3_exec"))'
assert_eq "python: sqlite3_exec is there once libsqlite3 is global, not before" "absent absent found" "$OUT"

# with a terminal, a human's word lets it run
run_capture "${APPROVE[@]}" customers -- "$SYSPY" "$SANDBOX/bin/sqlrun.py" sqlite "$DB" "DELETE FROM customers"
assert_eq "sqlite: approved at the prompt (status)" "0" "$STATUS"
assert_contains "sqlite: approved, the DELETE ran" "$OUT" "ok: DELETE FROM customers"
assert_eq "sqlite: the rows are gone" "" "$(rows_sqlite)"
seed_sqlite
run_capture "${APPROVE[@]}" customers -- "$SYSPY" "$SANDBOX/bin/sqlrun.py" sqlite "$DB" \
    "script:CREATE TABLE IF NOT EXISTS orders (x); DROP TABLE customers; DROP TABLE orders;"
assert_eq "sqlite: one question for a script's two DROPs (status)" "0" "$STATUS"
assert_eq "sqlite: both tables are gone" "" "$(sqlite3 "$DB" .tables)"
seed_sqlite
run_capture "${APPROVE[@]}" customers -- sqlite3 "$DB" "DROP TABLE customers"
assert_eq "sqlite3 CLI: asked once, at its exec, not again for the statement" "0" "$STATUS"
assert_eq "sqlite3 CLI: the table is gone" "" "$(sqlite3 "$DB" .tables)"
seed_sqlite
# a here-document as an agent writes it: asked at the shell string, and
# that yes carries to sqlite3's exec and to the statement libsqlite3
# sends (the broker's grant, same rule and table): one question
run_capture "${APPROVE[@]}" customers -- bash -c "sqlite3 '$DB' <<EOF
DROP TABLE customers;
EOF"
assert_eq "sqlite3 CLI: a here-document asked once (status)" "0" "$STATUS"
assert_eq "sqlite3 CLI: ... and the table is gone" "" "$(sqlite3 "$DB" .tables)"

# -------------------------------------------------------------- PostgreSQL
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
    if [ "${INTERLOCK_TEST_ALLOW_SKIP:-}" = 1 ]; then
        echo "SKIP PostgreSQL: no initdb under /usr/lib/postgresql/*/bin (package postgresql)"
    else
        _fail "PostgreSQL is installed (package postgresql; scripts/setup.sh installs it)"
    fi
else
    server_dir pg
    PGSOCK=$SANDBOX/pg PGDATA_DIR=$SANDBOX/pg/data
    export PGSOCK
    if as_server "$PGBIN/initdb" -D "$PGDATA_DIR" -A trust -U tester --no-sync >"$SANDBOX/pg/initdb.log" 2>&1 &&
        PG_CTL=$PGBIN/pg_ctl &&
        as_server "$PG_CTL" -D "$PGDATA_DIR" -l "$SANDBOX/pg/server.log" -w -t 60 \
            -o "-k $PGSOCK -c listen_addresses= -c fsync=off" start >/dev/null 2>&1; then
        _ok "PostgreSQL started in the sandbox as $(as_server id -un)"
        psql_() { "$PGBIN/psql" -X -q -h "$PGSOCK" -U tester "$@"; }
        seed_pg() {
            psql_ -d postgres -c "DROP DATABASE IF EXISTS app" -c "CREATE DATABASE app" &&
                psql_ -d app -c "CREATE TABLE customers (id int PRIMARY KEY, name text);
                    INSERT INTO customers VALUES (1, 'ada'), (2, 'bob'), (3, 'cy')"
        }
        rows_pg() { psql_ -d app -At -c "SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM customers" 2>&1; }
        seed_pg >/dev/null || _fail "seed the PostgreSQL database"
        for stmt in "DROP TABLE customers" "TRUNCATE customers" "DELETE FROM customers" \
            "UPDATE customers SET name = 'x'" "ALTER TABLE customers DROP COLUMN name"; do
            run_capture guard "$SYSPY" "$SANDBOX/bin/sqlrun.py" pg app "$stmt"
            assert_contains "postgresql, $stmt: psycopg2 raises InsufficientPrivilege with the reason" "$OUT" \
                "ERR InsufficientPrivilege interlock: blocked: SQL to postgresql app at $PGSOCK:5432: $stmt"
            assert_eq "postgresql, $stmt: the data is intact" "$ORIG" "$(rows_pg)"
        done
        run_capture guard "$SYSPY" "$SANDBOX/bin/sqlrun.py" pg app \
            "SELECT * FROM customers" "INSERT INTO customers VALUES (4, 'dee')" \
            "UPDATE customers SET name = 'dora' WHERE id = 4" "DELETE FROM customers WHERE id = 4" \
            "CREATE TABLE scratch (x int)" "TRUNCATE scratch" "DROP TABLE scratch" \
            "CREATE DATABASE scratchdb" "DROP DATABASE scratchdb" \
            "CREATE TABLE t2 (x int); INSERT INTO t2 VALUES (1); DROP TABLE t2"
        assert_eq "postgresql: everyday statements and DDL on the process's own tables run" "0" \
            "$(grep -c '^ERR' <<<"$OUT")"
        assert_eq "postgresql: the data is as it was" "$ORIG" "$(rows_pg)"
        run_capture guard "$SYSPY" "$SANDBOX/bin/sqlrun.py" pg app \
            "INSERT INTO customers VALUES (5, 'eve'); DELETE FROM customers"
        assert_contains "postgresql: a string with a DELETE is refused whole" "$OUT" "ERR InsufficientPrivilege"
        assert_eq "postgresql: its INSERT did not run either" "$ORIG" "$(rows_pg)"
        # psql -f FILE: the file is read at the exec (statement-file-options)
        printf 'DROP TABLE customers;\n' >"$SANDBOX/drop.sql"
        run_capture guard "$PGBIN/psql" -X -h "$PGSOCK" -U tester -d app -f "$SANDBOX/drop.sql"
        assert_contains "psql -f: the DROP is refused at the exec" "$ERR" "(rule sql-drop-table)"
        assert_eq "psql -f: the data is intact" "$ORIG" "$(rows_pg)"
        # SQL the shell redirects from a file: read at the exec as psql's stdin
        run_capture guard bash -c '"$0" -X -h "$1" -U tester -d app < "$2"' "$PGBIN/psql" "$PGSOCK" "$SANDBOX/drop.sql"
        assert_contains "psql < FILE: the DROP is refused at the exec" "$ERR" "(rule sql-drop-table)"
        assert_eq "psql < FILE: the data is intact" "$ORIG" "$(rows_pg)"
        # \i FILE inside psql: no command line shows it; libpq's hook does
        run_capture guard "$PGBIN/psql" -X -h "$PGSOCK" -U tester -d app -c "\\i $SANDBOX/drop.sql"
        assert_contains "psql \\i FILE: the DROP is refused by libpq's hook" "$ERR" "ERROR:  interlock: blocked: SQL to postgresql app"
        assert_eq "psql \\i FILE: the data is intact" "$ORIG" "$(rows_pg)"
        # a profile's rule sees the database the statement goes to
        mkdir -p "$SANDBOX/rules"
        cat >"$SANDBOX/rules/50-prod.conf" <<'EOF'
[prod-app-deletes]
on = exec
program = psql
profile = prod
args = --dbname=app\b.* -c (?i:DELETE)\b
action = deny
why = the app database is production in this profile
match = psql --dbname=app -c "DELETE FROM t WHERE id = 1"
no-match = psql --dbname=other -c "DELETE FROM t WHERE id = 1"
EOF
        GUARD_OPTS=(--rules "$SANDBOX/rules" --profile prod)
        run_capture guard "$SYSPY" "$SANDBOX/bin/sqlrun.py" pg app "DELETE FROM customers WHERE id = 3"
        GUARD_OPTS=()
        assert_contains "postgresql: a profile's rule about the database applies" "$OUT" \
            "ERR InsufficientPrivilege interlock: blocked: SQL to postgresql app at $PGSOCK:5432: DELETE FROM customers WHERE id = 3: the app database is production in this profile (rule prod-app-deletes)"
        assert_eq "postgresql: and the row is still there" "$ORIG" "$(rows_pg)"
        # with a terminal
        run_capture "${APPROVE[@]}" customers -- "$SYSPY" "$SANDBOX/bin/sqlrun.py" pg app "TRUNCATE customers"
        assert_eq "postgresql: approved at the prompt (status)" "0" "$STATUS"
        assert_contains "postgresql: approved, the TRUNCATE ran" "$OUT" "ok: TRUNCATE customers"
        assert_eq "postgresql: the rows are gone" "" "$(rows_pg)"
    else
        _fail "start PostgreSQL in the sandbox" "$(tail -n 5 "$SANDBOX/pg/initdb.log" "$SANDBOX/pg/server.log" 2>/dev/null)"
    fi
fi

# ----------------------------------------------------------------- MariaDB
# mariadbd is in /usr/sbin, which a user's PATH often lacks
MARIADBD=$(PATH=$PATH:/usr/sbin:/sbin command -v mariadbd)
if [ -z "$MARIADBD" ] || ! command -v mariadb-install-db >/dev/null; then
    if [ "${INTERLOCK_TEST_ALLOW_SKIP:-}" = 1 ]; then
        echo "SKIP MariaDB: no mariadbd (package mariadb-server)"
    else
        _fail "MariaDB is installed (package mariadb-server; scripts/setup.sh installs it)"
    fi
else
    server_dir my
    MYSOCK=$SANDBOX/my/sock MY_PIDFILE=$SANDBOX/my/mariadbd.pid
    export MYSOCK
    # its temporary files in its own directory (the sandbox's TMPDIR is not nobody's)
    if TMPDIR=$SANDBOX/my as_server mariadb-install-db --no-defaults --datadir="$SANDBOX/my/data" --auth-root-authentication-method=normal \
        --skip-test-db >"$SANDBOX/my/install.log" 2>&1; then
        TMPDIR=$SANDBOX/my as_server "$MARIADBD" --no-defaults --datadir="$SANDBOX/my/data" --socket="$MYSOCK" --skip-networking \
            --pid-file="$MY_PIDFILE" --log-error="$SANDBOX/my/error.log" --innodb-buffer-pool-size=16M \
            --skip-grant-tables </dev/null >/dev/null 2>&1 &
        for _ in $(seq 300); do [ -S "$MYSOCK" ] && [ -s "$MY_PIDFILE" ] && break; sleep 0.1; done
    fi
    if [ -S "$MYSOCK" ]; then
        _ok "MariaDB started in the sandbox as $(as_server id -un)"
        my_() { "$SYSPY" -c '
import os, sys, MySQLdb
c = MySQLdb.connect(unix_socket=os.environ["MYSOCK"], user="root", autocommit=True)
cur = c.cursor()
for q in sys.argv[1:]:
    cur.execute(q)
    for r in cur.fetchall():
        print(r[0])' "$@"; }
        seed_my() {
            my_ "DROP DATABASE IF EXISTS app" "CREATE DATABASE app" \
                "CREATE TABLE app.customers (id int PRIMARY KEY, name text)" \
                "INSERT INTO app.customers VALUES (1, 'ada'), (2, 'bob'), (3, 'cy')"
        }
        rows_my() { my_ "SELECT group_concat(id, ':', name ORDER BY id) FROM app.customers" 2>&1; }
        seed_my || _fail "seed the MariaDB database"
        for stmt in "DROP TABLE customers" "TRUNCATE customers" "DELETE FROM customers" \
            "UPDATE customers SET name = 'x'" "ALTER TABLE customers DROP COLUMN name"; do
            run_capture guard "$SYSPY" "$SANDBOX/bin/sqlrun.py" my app "$stmt"
            assert_contains "mariadb, $stmt: MySQLdb raises OperationalError 1142" "$OUT" "ERR OperationalError (1142, "
            assert_contains "mariadb, $stmt: with the reason" "$OUT" "interlock: blocked: SQL to mysql app at $MYSOCK: $stmt:"
            assert_eq "mariadb, $stmt: the data is intact" "$ORIG" "$(rows_my)"
        done
        run_capture guard "$SYSPY" "$SANDBOX/bin/sqlrun.py" my app \
            "SELECT * FROM customers" "INSERT INTO customers VALUES (4, 'dee')" \
            "UPDATE customers SET name = 'dora' WHERE id = 4" "DELETE FROM customers WHERE id = 4" \
            "CREATE TABLE scratch (x int)" "TRUNCATE scratch" "DROP TABLE scratch"
        assert_eq "mariadb: everyday statements and DDL on the process's own tables run" "0" \
            "$(grep -c '^ERR' <<<"$OUT")"
        assert_eq "mariadb: the data is as it was" "$ORIG" "$(rows_my)"
        run_capture "${APPROVE[@]}" customers -- "$SYSPY" "$SANDBOX/bin/sqlrun.py" my app "DROP TABLE customers"
        assert_eq "mariadb: approved at the prompt (status)" "0" "$STATUS"
        assert_contains "mariadb: approved, the DROP ran" "$OUT" "ok: DROP TABLE customers"
        assert_contains "mariadb: the table is gone" "$(rows_my)" "doesn't exist"
    else
        _fail "start MariaDB in the sandbox" "$(tail -n 5 "$SANDBOX/my/install.log" "$SANDBOX/my/error.log" 2>/dev/null)"
    fi
fi

finish
