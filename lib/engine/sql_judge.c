/* The SQL judge: statements a program sends through a client library
 * (SQLite, libpq, MySQL/MariaDB) judged by the rules that judge them on a
 * client's command line (30-sql.conf: psql -c, sqlite3 FILE SQL, mysql
 * -e). Each statement that may lose data is put on the command line of
 * the matching client, with the database as its target (the file, or
 * --host/--port/--dbname), and the exec judge decides: one set of rules,
 * profiles and a user's own rules about hosts included.
 *
 * Facts waive first, as for deletes: a SQLite file in a temp or scratch
 * directory or made in this session; a table or database this process
 * made (the preload records its CREATEs) or that the same text makes
 * before it drops it; a statement that was on this process's own command
 * line when its exec needed the question (the sqlite3 CLI running the
 * statement a human just allowed). */
#include "sql_int.h"

#define SHOWN_MAX 2048 /* bytes of statements in the words a human reads */
#define MADE_MAX 32

struct asked {
	const char *rule_id, *target;
	const char *text;  /* as the rules read it (the approval's key) */
	struct il_sql_stmt st;
};

struct made {
	int kind; /* IL_SQL_TABLE, IL_SQL_DATABASE */
	const char *name;
	size_t n;
};

struct sqlj {
	struct il_snap_view *v;
	const struct il_sql_op *op;
	const struct il_facts *f;
	struct il_arena *a;
	const char *label;
	struct made made[MADE_MAX];
	int nmade;
	struct asked asked[IL_MAX_OPS];
	int nasked;
	struct il_sql_stmt decided; /* the statement the verdict is about */
};

static const char *cat(struct il_arena *a, const char *const *parts, int n)
{
	size_t len = 1;
	for (int i = 0; i < n; i++)
		len += il_strlen(parts[i]);
	char *s = il_arena_alloc(a, len);
	if (!s)
		return 0;
	size_t o = 0;
	for (int i = 0; i < n; i++) {
		size_t l = il_strlen(parts[i]);
		il_memcpy(s + o, parts[i], l);
		o += l;
	}
	s[o] = 0;
	return s;
}

/* What the database is called in the question: "sqlite /p/app.db",
 * "postgresql app at /run/pg:5432", "mysql shop at db.internal:3306". */
static const char *label_of(struct il_arena *a, const struct il_sql_op *op)
{
	if (op->dialect == IL_SQL_SQLITE) {
		const char *p[] = { "sqlite ", !op->file ? "(file unknown)" : *op->file ? op->file : "(in memory)" };
		return cat(a, p, 2);
	}
	const char *kind = op->dialect == IL_SQL_POSTGRES ? "postgresql " : "mysql ";
	const char *host = op->host && *op->host ? op->host : "(default host)";
	int port = op->port && *op->port;
	const char *p[] = { kind, op->dbname && *op->dbname ? op->dbname : "(no database)", " at ", host,
			    port ? ":" : "", port ? op->port : "" };
	return cat(a, p, 6);
}

/* The client command line the rules know this statement from. */
static void judge_statement(struct sqlj *j, const char *text, struct il_verdict *one)
{
	const struct il_sql_op *op = j->op;
	const char *argv[8];
	int n = 0;
	if (op->dialect == IL_SQL_SQLITE) {
		argv[n++] = "sqlite3";
		/* a file the hook could not name is anyone's: a URI is never
		 * free to `loses = database` (decide.c), ":memory:" is */
		argv[n++] = !op->file ? "file:unknown" : *op->file ? op->file : ":memory:";
	} else {
		int pg = op->dialect == IL_SQL_POSTGRES;
		argv[n++] = pg ? "psql" : "mysql";
		/* attached values: no option list is needed to read them */
		const char *h[] = { "--host=", op->host }, *p[] = { "--port=", op->port },
			   *d[] = { pg ? "--dbname=" : "--database=", op->dbname };
		if (op->host && *op->host && (argv[n] = cat(j->a, h, 2)))
			n++;
		if (op->port && *op->port && (argv[n] = cat(j->a, p, 2)))
			n++;
		if (op->dbname && *op->dbname && (argv[n] = cat(j->a, d, 2)))
			n++;
		argv[n++] = pg ? "-c" : "-e";
	}
	argv[n++] = text;
	argv[n] = 0;
	struct il_exec_event ev = { .path = argv[0], .argv = (char *const *)argv, .envp = j->f->envp,
				    .cwd = op->cwd && *op->cwd ? op->cwd : "/", .profile = j->f->profile };
	il_decide_exec(j->v, &ev, j->a, one);
}

/* A SQLite database whose loss is nobody's: in memory, an empty file (the
 * client made it a moment ago, without a session to tell when), or a file
 * free to delete (temp and scratch directories) or made in this session. */
static int free_file(struct il_snap_view *v, const char *file, char *const *envp)
{
	if (!file)
		return 0;
	return !*file || il_empty_file(file) || !il_delete_candidate(v, file, envp) || il_born_in_session(v, file);
}

static int same_name(const char *a, size_t an, const char *b, size_t bn)
{
	if (an != bn)
		return 0;
	for (size_t i = 0; i < an; i++) {
		char x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return 1;
}

/* Did this process, or this text before the statement, make what the
 * statement is about (a database for DROP DATABASE/SCHEMA, else a table)? */
static int made_here(const struct sqlj *j, const struct il_sql_shape *sh, const char *target)
{
	if (!target || !*target)
		return 0;
	int drops_db = il_streq(sh->verb, "DROP") &&
		       (il_streq(sh->object, "DATABASE") || il_streq(sh->object, "SCHEMA") || il_streq(sh->object, "KEYSPACE"));
	int kind = drops_db ? IL_SQL_DATABASE : IL_SQL_TABLE;
	size_t n = il_strlen(target);
	for (int i = 0; i < j->nmade; i++)
		if (j->made[i].kind == kind && same_name(j->made[i].name, j->made[i].n, target, n))
			return 1;
	return j->op->made && j->op->made(j->op->ctx, kind, target, n);
}

static void note_made(struct sqlj *j, const struct il_sql_stmt *st, int bs)
{
	const char *name;
	size_t n;
	int kind = il_sql_made_name(st, j->op->dialect, bs, &name, &n);
	if (kind && j->nmade < MADE_MAX)
		j->made[j->nmade++] = (struct made){ kind, name, n };
}

/* Is every statement that needs the question one of the statements on
 * this process's own command line, and did that command line need the
 * question itself? Then a human answered it before the process started. */
static int asked_at_exec(struct sqlj *j)
{
	const char *const *cl = j->op->cmdline ? j->op->cmdline(j->op->ctx) : 0;
	if (!cl || !cl[0] || !j->nasked)
		return 0;
	struct il_exec_event ev = { .path = cl[0], .argv = (char *const *)cl, .envp = j->f->envp,
				    .cwd = j->op->cwd && *j->op->cwd ? j->op->cwd : "/", .profile = j->f->profile };
	struct il_verdict own;
	il_decide_exec(j->v, &ev, j->a, &own);
	if (own.action != IL_CONFIRM || own.error)
		return 0;
	for (int k = 0; k < j->nasked; k++) {
		int found = 0;
		for (int i = 1; cl[i] && !found; i++) {
			int bs = il_sql_bs_of(j->op->dialect, 0);
			struct il_sql_iter it;
			struct il_sql_stmt st;
			il_sql_iter_init(&it, cl[i], il_strlen(cl[i]), j->op->dialect, bs);
			while (!found && il_sql_iter_next(&it, &st)) {
				const char *t = il_sql_rules_text(j->a, &st, j->op->dialect, bs);
				found = t && il_streq(t, j->asked[k].text);
			}
		}
		if (!found)
			return 0;
	}
	return 1;
}

/* The statement's own text for humans: one line, cut at max bytes. */
static size_t put_shown(char *dst, size_t room, const struct il_sql_stmt *st)
{
	size_t k = 0;
	for (; k < st->n && k < room; k++)
		dst[k] = st->p[k] == '\n' || st->p[k] == '\r' || st->p[k] == '\t' ? ' ' : st->p[k];
	return k;
}

static const char *shown_text(struct il_arena *a, const struct il_sql_stmt *st)
{
	char *s = il_arena_alloc(a, SHOWN_MAX + 1);
	if (!s)
		return "";
	s[put_shown(s, SHOWN_MAX, st)] = 0;
	return s;
}

/* "SQL to LABEL: STATEMENT; STATEMENT": the statements the question
 * covers, or the one the verdict is about. */
static const char *what_of(struct sqlj *j)
{
	size_t ll = il_strlen(j->label), cap = 8 + ll + 2 + SHOWN_MAX + 1;
	char *w = il_arena_alloc(j->a, cap);
	if (!w)
		return j->label;
	size_t o = 0;
	il_memcpy(w, "SQL to ", 7), o = 7;
	il_memcpy(w + o, j->label, ll), o += ll;
	w[o++] = ':';
	w[o++] = ' ';
	size_t end = o + SHOWN_MAX;
	if (!j->nasked)
		o += put_shown(w + o, end - o, &j->decided);
	for (int k = 0; k < j->nasked && o < end; k++) {
		if (k && end - o > 2)
			w[o++] = ';', w[o++] = ' ';
		o += put_shown(w + o, end - o, &j->asked[k].st);
	}
	w[o] = 0;
	return w;
}

static const char *in_label(struct sqlj *j, const char *target)
{
	if (!target || !*target)
		return j->label;
	const char *p[] = { target, " in ", j->label };
	const char *s = cat(j->a, p, 3);
	return s ? s : target;
}

static void describe(struct sqlj *j, struct il_verdict *out)
{
	const char **argv = il_arena_alloc(j->a, 4 * sizeof *argv);
	if (argv)
		argv[0] = "sql", argv[1] = j->label, argv[2] = shown_text(j->a, &j->decided), argv[3] = 0;
	out->event = "sql";
	out->what = what_of(j);
	out->argv = argv;
	out->target = in_label(j, out->target);
	out->cmd = 0;
	out->ops = 0, out->nops = 0;
	if (out->action != IL_CONFIRM)
		return;
	struct il_op *ops = il_arena_alloc(j->a, sizeof *ops * IL_MAX_OPS);
	if (!ops)
		return;
	for (int k = 0; k < j->nasked; k++) {
		const char *key[] = { "sql ", j->asked[k].text, "\t", j->label };
		ops[k] = (struct il_op){ j->asked[k].rule_id, in_label(j, j->asked[k].target), cat(j->a, key, 4) };
		if (!ops[k].key)
			return;
	}
	out->ops = ops;
	out->nops = j->nasked;
}

/* The other reading of the text found this statement as well. */
static int already_asked(const struct sqlj *j, const char *text)
{
	for (int k = 0; k < j->nasked; k++)
		if (il_streq(j->asked[k].text, text))
			return 1;
	return 0;
}

/* One reading of the text (backslashes as escapes or not): the verdict of
 * its strictest statement, and each statement that needs the question. */
static void judge_reading(struct sqlj *j, int bs, struct il_verdict *out)
{
	struct il_sql_iter it;
	struct il_sql_stmt st;
	j->nmade = 0;
	il_sql_iter_init(&it, j->op->text, j->op->len, j->op->dialect, bs);
	while (il_sql_iter_next(&it, &st) && out->action < IL_DENY) {
		struct il_sql_shape sh;
		il_sql_shape(&st, j->op->dialect, bs, &sh);
		if (il_streq(sh.verb, "CREATE"))
			note_made(j, &st, bs);
		if (!il_sql_shape_loses(&sh))
			continue;
		const char *text = il_sql_rules_text(j->a, &st, j->op->dialect, bs);
		struct il_verdict one = { .action = IL_ALLOW, .rule = -1 };
		if (text)
			judge_statement(j, text, &one);
		else
			one = (struct il_verdict){ .action = IL_DENY, .rule = -1, .error = 1 };
		if (one.action == IL_ALLOW || (!one.error && made_here(j, &sh, one.target)))
			continue;
		if (one.action > out->action) {
			*out = one;
			j->decided = st;
			j->nasked = 0;
		}
		if (one.action == IL_CONFIRM && out->action == IL_CONFIRM && !already_asked(j, text) &&
		    j->nasked < IL_MAX_OPS)
			j->asked[j->nasked++] = (struct asked){ one.rule_id, one.target, text, st };
	}
}

int il_judge_sql(struct il_snap_view *v, const struct il_sql_op *op, const struct il_facts *f, struct il_arena *a,
		 struct il_verdict *out)
{
	*out = (struct il_verdict){ .action = IL_ALLOW, .rule = -1, .event = "sql" };
	if (!(il_sql_scan(op->text, op->len, op->dialect) & IL_SQL_LOSES))
		return 0;
	if (op->dialect == IL_SQL_SQLITE && free_file(v, op->file, f->envp))
		return 0;
	struct sqlj j = { .v = v, .op = op, .f = f, .a = a };
	j.label = label_of(a, op);
	if (!j.label) {
		out->action = IL_DENY, out->error = 1;
		out->why = "interlock could not evaluate this statement (too large); a human must run it";
		out->what = "SQL";
		return 0;
	}
	for (int mode = 0, modes = il_sql_bs_modes(op->text, op->len, op->dialect); mode < modes; mode++)
		judge_reading(&j, il_sql_bs_of(op->dialect, mode), out);
	if (out->action == IL_CONFIRM && asked_at_exec(&j)) {
		*out = (struct il_verdict){ .action = IL_ALLOW, .rule = -1, .event = "sql" };
		return 0;
	}
	if (out->action == IL_ALLOW)
		return 0;
	if (out->error && !out->why)
		out->why = "interlock could not evaluate this statement (too large or too complex); a human must run it";
	describe(&j, out);
	return 0;
}
