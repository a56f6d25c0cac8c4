/* SQL text as the SQL judge reads it: statements split at the semicolons
 * the server splits at, what each statement is from its leading words, and
 * its text for the rules. Heap-free and without a parser: a lexer that
 * knows what hides a semicolon or a keyword in each dialect (quoted
 * strings and names, comments, PostgreSQL's dollar quotes, MySQL's
 * executable comments, the bodies of CREATE TRIGGER/FUNCTION). It runs in
 * front of every statement a program sends, so it is one pass over the
 * text and stops looking at a statement's words after the few it needs.
 *
 * A misread here could hide a destructive statement, so where the dialect
 * depends on a server setting (backslash escapes in strings) the judge
 * reads the text both ways (il_sql_bs_modes). */
#include "sql_int.h"

enum tok { T_END, T_SPACE, T_COMMENT, T_WORD, T_NAME, T_STRING, T_SEMI, T_OTHER };

struct lx {
	const char *s;
	size_t n;
	int dialect, bs;
	int in_exec; /* inside a MySQL executable comment: its code counts */
};

static int word_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c >= 0x80;
}

static int word_char(unsigned char c)
{
	return word_start(c) || (c >= '0' && c <= '9') || c == '$';
}

static char upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* The end of a quoted run opened at i by q: a doubled q is one q inside;
 * with bs a backslash escapes the next byte. Unterminated: the end. */
static size_t quoted_end(const struct lx *x, size_t i, char q, int bs)
{
	for (size_t k = i + 1; k < x->n; k++) {
		if (bs && x->s[k] == '\\') {
			k++;
			continue;
		}
		if (x->s[k] == q) {
			if (k + 1 < x->n && x->s[k + 1] == q) {
				k++;
				continue;
			}
			return k + 1;
		}
	}
	return x->n;
}

/* PostgreSQL's $tag$ ... $tag$ at i (the tag may be empty); 0 when i does
 * not open one ($1 is a parameter, a$b$ a name). */
static size_t dollar_end(const struct lx *x, size_t i)
{
	if (i > 0 && word_char((unsigned char)x->s[i - 1]))
		return 0;
	size_t t = i + 1;
	if (t < x->n && word_start((unsigned char)x->s[t]))
		while (t < x->n && word_char((unsigned char)x->s[t]) && x->s[t] != '$')
			t++;
	if (t >= x->n || x->s[t] != '$')
		return 0;
	size_t tag = t + 1 - i;
	for (size_t k = t + 1; k + tag <= x->n; k++)
		if (x->s[k] == '$' && il_strneq(x->s + k, x->s + i, tag))
			return k + tag;
	return x->n;
}

/* A block comment at i; PostgreSQL's nest. */
static size_t block_end(const struct lx *x, size_t i)
{
	int depth = 0;
	for (size_t k = i; k + 1 < x->n; k++) {
		if (x->s[k] == '/' && x->s[k + 1] == '*') {
			if (depth && x->dialect != IL_SQL_POSTGRES)
				continue;
			depth++, k++;
		} else if (x->s[k] == '*' && x->s[k + 1] == '/') {
			k++;
			if (--depth == 0)
				return k + 1;
		}
	}
	return x->n;
}

static size_t line_end(const struct lx *x, size_t i)
{
	while (i < x->n && x->s[i] != '\n')
		i++;
	return i;
}

/* A string literal at i whose prefix word (E'...', N'...') ends at i:
 * E'' takes backslash escapes whatever the setting. */
static int escape_prefix(const struct lx *x, size_t i)
{
	return x->dialect == IL_SQL_POSTGRES && i > 0 && (x->s[i - 1] == 'E' || x->s[i - 1] == 'e') &&
	       (i == 1 || !word_char((unsigned char)x->s[i - 2]));
}

/* The token at i: its kind, and its end in *end. */
static enum tok next_tok(struct lx *x, size_t i, size_t *end)
{
	if (i >= x->n) {
		*end = i;
		return T_END;
	}
	unsigned char c = (unsigned char)x->s[i];
	unsigned char d = i + 1 < x->n ? (unsigned char)x->s[i + 1] : 0;
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
		*end = i + 1;
		return T_SPACE;
	}
	if (c == '-' && d == '-') {
		/* MySQL: "--" starts a comment only before a blank or the end
		 * (5--1 is arithmetic) */
		unsigned char e = i + 2 < x->n ? (unsigned char)x->s[i + 2] : 0;
		if (x->dialect != IL_SQL_MYSQL || e <= ' ') {
			*end = line_end(x, i);
			return T_COMMENT;
		}
	}
	if (c == '#' && x->dialect == IL_SQL_MYSQL) {
		*end = line_end(x, i);
		return T_COMMENT;
	}
	if (c == '/' && d == '*') {
		/* MySQL and MariaDB run the code in / *! ... * / and / *M! ... * /:
		 * the markers (and a version number) are blanks, the code counts */
		size_t k = i + 2;
		if (x->dialect == IL_SQL_MYSQL && k < x->n && x->s[k] == 'M' && k + 1 < x->n && x->s[k + 1] == '!')
			k++;
		if (x->dialect == IL_SQL_MYSQL && k < x->n && x->s[k] == '!') {
			k++;
			while (k < x->n && x->s[k] >= '0' && x->s[k] <= '9')
				k++;
			x->in_exec = 1;
			*end = k;
			return T_SPACE;
		}
		*end = block_end(x, i);
		return T_COMMENT;
	}
	if (c == '*' && d == '/' && x->in_exec) {
		x->in_exec = 0;
		*end = i + 2;
		return T_SPACE;
	}
	if (c == '\'') {
		*end = quoted_end(x, i, '\'', x->bs || escape_prefix(x, i));
		return T_STRING;
	}
	if (c == '"') {
		/* a name everywhere but in MySQL's default mode, where it is a
		 * string; kept as a name either way (DROP TABLE "t" names t) */
		*end = quoted_end(x, i, '"', x->dialect == IL_SQL_MYSQL && x->bs);
		return T_NAME;
	}
	if (c == '`' && x->dialect != IL_SQL_POSTGRES) {
		*end = quoted_end(x, i, '`', 0);
		return T_NAME;
	}
	if (c == '[' && x->dialect == IL_SQL_SQLITE) {
		size_t k = i + 1;
		while (k < x->n && x->s[k] != ']')
			k++;
		*end = k < x->n ? k + 1 : k;
		return T_NAME;
	}
	if (c == '$' && x->dialect == IL_SQL_POSTGRES) {
		size_t e = dollar_end(x, i);
		if (e) {
			*end = e;
			return T_STRING;
		}
	}
	if (c == ';') {
		*end = i + 1;
		return T_SEMI;
	}
	if (word_start(c)) {
		size_t k = i + 1;
		while (k < x->n && word_char((unsigned char)x->s[k]))
			k++;
		*end = k;
		return T_WORD;
	}
	if (c >= '0' && c <= '9') { /* a number, 1e5 and 0x1F included */
		size_t k = i + 1;
		while (k < x->n && (word_char((unsigned char)x->s[k]) || x->s[k] == '.'))
			k++;
		*end = k;
		return T_OTHER;
	}
	*end = i + 1;
	return T_OTHER;
}

static int word_is(const char *p, size_t n, const char *w)
{
	size_t k = 0;
	for (; k < n && w[k]; k++)
		if (upper(p[k]) != w[k])
			return 0;
	return k == n && !w[k];
}

void il_sql_iter_init(struct il_sql_iter *it, const char *s, size_t n, int dialect, int bs)
{
	*it = (struct il_sql_iter){ s, n, 0, dialect, bs, 0 };
}

int il_sql_iter_next(struct il_sql_iter *it, struct il_sql_stmt *st)
{
	/* a semicolon inside a MySQL executable comment ends a statement as
	 * well: the server reads that code as its own */
	struct lx x = { it->s, it->n, it->dialect, it->bs, it->in_exec };
	size_t i = it->i, end, start = 0, last = 0;
	int words = 0, create = 0, depth = 0;
	for (;;) {
		enum tok t = next_tok(&x, i, &end);
		if (t == T_END || (t == T_SEMI && depth == 0)) {
			it->i = end;
			it->in_exec = x.in_exec;
			if (words) {
				st->p = it->s + start;
				st->n = last - start;
				return 1;
			}
			if (t == T_END)
				return 0;
			i = end;
			continue;
		}
		if (t != T_SPACE && t != T_COMMENT && t != T_SEMI) {
			if (!words++)
				start = i;
			last = end;
		}
		/* the body of a CREATE TRIGGER, FUNCTION or PROCEDURE holds
		 * statements of its own up to its END: they run later, when
		 * it is called, and are not split off (CASE ... END nests) */
		if (t == T_WORD) {
			if (words == 1)
				create = word_is(x.s + i, end - i, "CREATE");
			else if (create && (word_is(x.s + i, end - i, "BEGIN") || word_is(x.s + i, end - i, "CASE")))
				depth++;
			else if (create && depth && word_is(x.s + i, end - i, "END"))
				depth--;
		}
		i = end;
	}
}

int il_sql_bs_modes(const char *s, size_t n, int dialect)
{
	return dialect != IL_SQL_SQLITE && __builtin_memchr(s, '\\', n) ? 2 : 1;
}

int il_sql_bs_of(int dialect, int mode)
{
	int dflt = dialect == IL_SQL_MYSQL;
	return mode ? !dflt : dflt;
}

static void copy_word(char *dst, size_t cap, const char *p, size_t n)
{
	size_t k = 0;
	for (; k < n && k + 1 < cap; k++)
		dst[k] = upper(p[k]);
	dst[k < n ? 0 : k] = 0; /* a longer word is no keyword we know */
}

void il_sql_shape(const struct il_sql_stmt *st, int dialect, int bs, struct il_sql_shape *out)
{
	*out = (struct il_sql_shape){ "", "", 0 };
	struct lx x = { st->p, st->n, dialect, bs, 0 };
	size_t i = 0, end;
	int words = 0;
	for (enum tok t; (t = next_tok(&x, i, &end)) != T_END; i = end) {
		if (t == T_SPACE || t == T_COMMENT)
			continue;
		if (t != T_WORD) {
			if (!words) /* "(SELECT ...)" and the like: no verb */
				return;
			words++;
			continue;
		}
		if (words == 0)
			copy_word(out->verb, sizeof out->verb, x.s + i, end - i);
		else if (words == 1)
			copy_word(out->object, sizeof out->object, x.s + i, end - i);
		words++;
		/* only WITH needs the words after the first two */
		if (words >= 2 && !il_streq(out->verb, "WITH"))
			return;
		if (word_is(x.s + i, end - i, "DELETE") || word_is(x.s + i, end - i, "UPDATE"))
			out->changes = 1;
	}
}

int il_sql_shape_loses(const struct il_sql_shape *sh)
{
	static const char verbs[][12] = { "DROP", "TRUNCATE", "DELETE", "UPDATE", "ALTER" };
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (il_streq(sh->verb, verbs[i]))
			return 1;
	return il_streq(sh->verb, "WITH") && sh->changes;
}

char *il_sql_rules_text(struct il_arena *a, const struct il_sql_stmt *st, int dialect, int bs)
{
	char *out = il_arena_alloc(a, st->n + 3);
	if (!out)
		return 0;
	struct lx x = { st->p, st->n, dialect, bs, 0 };
	size_t i = 0, end, o = 0;
	for (enum tok t; (t = next_tok(&x, i, &end)) != T_END; i = end) {
		if (t == T_COMMENT || (t == T_SPACE && end - i > 1)) {
			out[o++] = ' ';
		} else if (t == T_STRING) {
			out[o++] = '\'';
			out[o++] = '\'';
		} else {
			il_memcpy(out + o, x.s + i, end - i);
			o += end - i;
		}
	}
	out[o] = 0;
	return out;
}

/* The next token that is not a blank or a comment. */
static enum tok solid(struct lx *x, size_t *i, size_t *end)
{
	enum tok t;
	while ((t = next_tok(x, *i, end)) == T_SPACE || t == T_COMMENT)
		*i = *end;
	return t;
}

int il_sql_made_name(const struct il_sql_stmt *st, int dialect, int bs, const char **name, size_t *n)
{
	static const char mods[][12] = { "TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL", "LOCAL" };
	struct lx x = { st->p, st->n, dialect, bs, 0 };
	size_t i = 0, end;
	if (solid(&x, &i, &end) != T_WORD || !word_is(x.s + i, end - i, "CREATE"))
		return 0;
	int kind = 0;
	for (i = end; !kind;) {
		if (solid(&x, &i, &end) != T_WORD)
			return 0;
		const char *w = x.s + i;
		size_t wl = end - i;
		if (word_is(w, wl, "TABLE"))
			kind = IL_SQL_TABLE;
		else if (word_is(w, wl, "DATABASE") || word_is(w, wl, "SCHEMA"))
			kind = IL_SQL_DATABASE;
		else {
			int mod = 0;
			for (size_t k = 0; k < sizeof mods / sizeof mods[0]; k++)
				mod |= word_is(w, wl, mods[k]);
			if (!mod) /* OR REPLACE, VIEW, INDEX, ... */
				return 0;
		}
		i = end;
	}
	/* the name, schema-qualified or not: its last part, unquoted */
	for (;;) {
		enum tok t = solid(&x, &i, &end);
		if (t == T_WORD && word_is(x.s + i, end - i, "IF"))
			return 0;
		if (t != T_WORD && t != T_NAME)
			return 0;
		*name = x.s + i, *n = end - i;
		if (t == T_NAME && *n >= 2)
			(*name)++, *n -= 2;
		i = end;
		size_t dot_end;
		if (next_tok(&x, i, &dot_end) != T_OTHER || x.s[i] != '.')
			return *n ? kind : 0;
		i = dot_end;
	}
}

static unsigned shape_found(const struct il_sql_stmt *st, int dialect, int bs)
{
	struct il_sql_shape sh;
	il_sql_shape(st, dialect, bs, &sh);
	return il_sql_shape_loses(&sh) ? IL_SQL_LOSES : il_streq(sh.verb, "CREATE") ? IL_SQL_MAKES : 0;
}

/* Could a statement starting at s be one that loses data or makes a
 * name? A letter other than the first of DROP, DELETE, TRUNCATE, UPDATE,
 * ALTER, WITH and CREATE says no at once (SELECT, INSERT, BEGIN, PRAGMA);
 * a comment, a parenthesis or a quote must be read. */
static int may_matter(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	if (i == n)
		return 0;
	char c = (char)(s[i] | 0x20);
	if (c >= 'a' && c <= 'z')
		return c == 'd' || c == 't' || c == 'u' || c == 'a' || c == 'w' || c == 'c';
	return 1;
}

unsigned il_sql_scan(const char *text, size_t len, int dialect)
{
	/* the common case, one statement: no semicolon anywhere, so only its
	 * first words are read, whatever follows them */
	if (!__builtin_memchr(text, ';', len)) {
		if (!may_matter(text, len))
			return 0;
		struct il_sql_stmt st = { text, len };
		return shape_found(&st, dialect, il_sql_bs_of(dialect, 0));
	}
	unsigned found = 0;
	for (int mode = 0, modes = il_sql_bs_modes(text, len, dialect); mode < modes; mode++) {
		int bs = il_sql_bs_of(dialect, mode);
		struct il_sql_iter it;
		struct il_sql_stmt st;
		il_sql_iter_init(&it, text, len, dialect, bs);
		while (il_sql_iter_next(&it, &st))
			found |= shape_found(&st, dialect, bs);
	}
	return found;
}

void il_sql_made(const char *text, size_t len, int dialect, int first_only,
		 void (*made)(void *ctx, int kind, const char *name, size_t n), void *ctx)
{
	int bs = il_sql_bs_of(dialect, 0);
	struct il_sql_iter it;
	struct il_sql_stmt st;
	il_sql_iter_init(&it, text, len, dialect, bs);
	while (il_sql_iter_next(&it, &st)) {
		const char *name;
		size_t n;
		int kind = il_sql_made_name(&st, dialect, bs, &name, &n);
		if (kind)
			made(ctx, kind, name, n);
		if (first_only)
			return;
	}
}
