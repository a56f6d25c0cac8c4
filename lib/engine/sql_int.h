/* SQL text as the SQL judge reads it (sql_text.c), for the engine's own
 * files: statements split where the server splits them, their leading
 * words, and their text for the rules. */
#ifndef IL_SQL_INT_H
#define IL_SQL_INT_H

#include "il.h"

/* One statement of a text: [p, p + n), without its ';'. */
struct il_sql_stmt {
	const char *p;
	size_t n;
};

/* Walks the statements of a text. bs: backslash escapes in plain quoted
 * strings (MySQL's default; PostgreSQL's old standard_conforming_strings
 * = off). A text where that matters is read both ways (il_sql_bs_modes). */
struct il_sql_iter {
	const char *s;
	size_t n, i;
	int dialect, bs;
	int in_exec; /* the text so far left a MySQL executable comment open */
};
void il_sql_iter_init(struct il_sql_iter *it, const char *s, size_t n, int dialect, int bs) IL_HIDDEN;
/* The next statement that has any words in it: 1, or 0 at the end. */
int il_sql_iter_next(struct il_sql_iter *it, struct il_sql_stmt *st) IL_HIDDEN;
/* How many ways the text must be read: 2 when it has a backslash and the
 * dialect may or may not treat it as an escape, else 1; the first way
 * (mode 0) is the dialect's default. */
int il_sql_bs_modes(const char *s, size_t n, int dialect) IL_HIDDEN;
int il_sql_bs_of(int dialect, int mode) IL_HIDDEN;

/* What a statement is, from its words outside quotes and comments. */
struct il_sql_shape {
	char verb[12];   /* its first word, upper case ("" when it has none) */
	char object[12]; /* the second ("TABLE" of DROP TABLE) */
	int changes;     /* a bare DELETE or UPDATE word anywhere (WITH ... DELETE) */
};
void il_sql_shape(const struct il_sql_stmt *st, int dialect, int bs, struct il_sql_shape *out) IL_HIDDEN;
/* A statement the SQL rules may stop: DROP, TRUNCATE, DELETE, UPDATE,
 * ALTER, or a WITH whose statement deletes or updates. */
int il_sql_shape_loses(const struct il_sql_shape *sh) IL_HIDDEN;

/* The statement as the rules read it, in arena memory: each comment one
 * blank, each string literal '' (its contents can be anything and any
 * size; the rules look at keywords and names), MySQL's executable comment
 * markers (slash-star-bang) blanks around the code they hold. NULL when
 * the arena is full. */
char *il_sql_rules_text(struct il_arena *a, const struct il_sql_stmt *st, int dialect, int bs) IL_HIDDEN;

/* The name a plain CREATE TABLE, DATABASE or SCHEMA statement makes (not
 * IF NOT EXISTS, not OR REPLACE: those may meet an existing one): its kind
 * (IL_SQL_TABLE or IL_SQL_DATABASE) and the name without schema or quotes
 * in name[0..*n); 0 when the statement makes none. */
int il_sql_made_name(const struct il_sql_stmt *st, int dialect, int bs, const char **name, size_t *n) IL_HIDDEN;

#endif
