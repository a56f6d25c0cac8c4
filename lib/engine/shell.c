/* Looking inside shell strings (`bash -c '...'`, eval, watch, su -c).
 *
 * This is not a shell. It splits a string into simple commands and hands
 * each to the peeler, well enough to catch the obvious spellings of a
 * dangerous command. At run time the exec hook sees every command a real
 * shell runs anyway; this pass exists so that `interlock check` and paths
 * without the preload (static shells) see through the string too. */
#include "engine_int.h"

struct wbuf {
	struct il_arena *a;
	char *p;
	size_t n, cap;
	int any;    /* a word was started (even an empty "" word) */
	int quoted; /* some of it was quoted or escaped (a heredoc's delimiter) */
};

static void wb_put(struct wbuf *w, const char *s, size_t n)
{
	if (w->n + n + 1 > w->cap) {
		size_t cap = (w->cap + n + 1) * 2;
		char *q = il_arena_alloc(w->a, cap);
		if (!q)
			return;
		if (w->n)
			il_memcpy(q, w->p, w->n);
		w->p = q;
		w->cap = cap;
	}
	il_memcpy(w->p + w->n, s, n);
	w->n += n;
	w->any = 1;
}

static void wb_putc(struct wbuf *w, char ch)
{
	wb_put(w, &ch, 1);
}

struct sh {
	struct il_peel_ctx *c;
	const char *s;
	size_t i, len;
	const char *cwd;
	int layer;
	/* words of the current simple command */
	const char **words;
	int nwords, capwords;
	int skip_next_word; /* the word after a redirection operator */
	/* Here-documents: `<<WORD` makes the lines after this one, up to WORD,
	 * the command's stdin. They are data (a file written with cat, a commit
	 * message), except for the substitutions of an unquoted one, and a
	 * script when the command is a shell reading its stdin. */
	int delim_next;     /* the next word is a heredoc's delimiter */
	int delim_strip;    /* <<-: leading tabs are stripped */
	struct heredoc {
		const char *delim;
		int strip, expand, script;
	} here[8];
	int nhere;
	int here_first;      /* the first of here[] the current command redirects */
	int herestr_next;    /* the next word is a here-string (<<< WORD) */
	const char *cmd_in;  /* the current command's stdin: its here-string */
	const char *pipe_in; /* what the previous command of a pipeline printed */
	/* Variables the string sets without exporting them: $X reads them,
	 * commands do not get them. NAME=VALUE strings. */
	const char **vars;
	int nvars;
	struct il_pipe_src pipe_src; /* a file list piped on to xargs */
};

static int is_name_char(char ch, int first)
{
	return ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (!first && ch >= '0' && ch <= '9');
}

static const char *env_lookup(struct sh *sh, const char *name, size_t n)
{
	char tmp[128];
	if (n == 0 || n >= sizeof tmp)
		return 0;
	il_memcpy(tmp, name, n);
	tmp[n] = 0;
	for (int i = sh->nvars - 1; i >= 0; i--)
		if (il_strneq(sh->vars[i], tmp, n) && sh->vars[i][n] == '=')
			return sh->vars[i] + n + 1;
	return il_env_get(sh->c->envp, tmp);
}

/* `$((` or `((` at s[i] (on the first '('): the end of the arithmetic,
 * just past its "))", or 0 when the parentheses close otherwise, and
 * the text is a command substitution or subshells after all (bash reads
 * `$( (cd x) )` so). */
static size_t arith_end(const char *s, size_t i, size_t len)
{
	int depth = 0;
	for (size_t j = i + 2; j < len; j++) {
		char ch = s[j];
		if (ch == '\\') {
			j++;
		} else if (ch == '\'' || ch == '"') {
			while (++j < len && s[j] != ch)
				;
		} else if (ch == '(') {
			depth++;
		} else if (ch == ')') {
			if (depth > 0)
				depth--;
			else
				return j + 1 < len && s[j + 1] == ')' ? j + 2 : 0;
		}
	}
	return 0;
}

/* Finds the end of a $( ... ) or ` ... ` starting after the opener. */
static size_t match_close(const char *s, size_t i, size_t len, char open, char close)
{
	int depth = 1;
	char q = 0;
	for (; i < len; i++) {
		char ch = s[i];
		if (q) {
			if (ch == q)
				q = 0;
			else if (ch == '\\' && q == '"')
				i++;
			continue;
		}
		if (ch == '\\') {
			i++;
		} else if (ch == '\'' || ch == '"') {
			q = ch;
		} else if (ch == close && (open != close || depth == 1)) {
			if (--depth == 0)
				return i;
		} else if (ch == open && open != close) {
			depth++;
		}
	}
	return len;
}

/* $(pwd), `pwd -P`: the working directory, which is known here (cd seen
 * before it included); a symlink in it is not resolved. */
static int is_pwd(const char *s, size_t from, size_t to)
{
	while (from < to && (s[from] == ' ' || s[from] == '\t'))
		from++;
	while (to > from && (s[to - 1] == ' ' || s[to - 1] == '\t'))
		to--;
	size_t n = to - from;
	return (n == 3 && il_strneq(s + from, "pwd", 3)) ||
	       (n == 6 && (il_strneq(s + from, "pwd -P", 6) || il_strneq(s + from, "pwd -L", 6)));
}

/* `pwd` at s[from..to): puts the directory in w, moves past the closing
 * backtick. */
static int cwd_known(struct sh *sh, size_t from, size_t to, struct wbuf *w)
{
	if (!sh->cwd || !is_pwd(sh->s, from, to))
		return 0;
	wb_put(w, sh->cwd, il_strlen(sh->cwd));
	sh->i = to + 1;
	return 1;
}

static void body_substitutions(struct sh *sh, const char *b, size_t n);

static void substitute(struct sh *sh, size_t from, size_t to)
{
	if (sh->c->budget-- <= 0)
		return;
	char *inner = il_arena_strndup(sh->c->a, sh->s + from, to - from);
	if (inner)
		il_shell_parse(sh->c, inner, sh->cwd, sh->layer + 1);
}

/* Is the word built so far the NAME= of an assignment (d=$(mktemp -d))? */
static int in_assignment(const struct wbuf *w)
{
	size_t k = 0;
	while (k < w->n && (w->p[k] == '_' || (w->p[k] >= 'A' && w->p[k] <= 'Z') || (w->p[k] >= 'a' && w->p[k] <= 'z') ||
			    (k && w->p[k] >= '0' && w->p[k] <= '9')))
		k++;
	return k && k + 1 == w->n && w->p[k] == '=';
}

/* $NAME, ${NAME...}, $(...), $'...' at sh->s[sh->i] == '$'. */
static void dollar(struct sh *sh, struct wbuf *w, int in_dquote)
{
	const char *s = sh->s;
	size_t i = sh->i + 1;
	size_t arith = i + 1 < sh->len && s[i] == '(' && s[i + 1] == '(' ? arith_end(s, i, sh->len) : 0;
	if (arith) {
		/* $(( ... )): a number; only the $(...) and `...` inside run */
		body_substitutions(sh, s + i + 2, arith - i - 4);
		wb_put(w, "0", 1);
		sh->i = arith;
		return;
	}
	if (i < sh->len && s[i] == '(') {
		size_t end = match_close(s, i + 1, sh->len, '(', ')');
		if (end < sh->len && sh->cwd && is_pwd(s, i + 1, end)) {
			wb_put(w, sh->cwd, il_strlen(sh->cwd));
			sh->i = end + 1;
			return;
		}
		/* d=$(mktemp -d): d holds something this cannot know, not "" (then
		 * "$d/k" would be /k); a word made from it names no target here
		 * (IL_UNKNOWN_CH), and the command is judged at its own exec */
		if (in_assignment(w))
			wb_putc(w, IL_UNKNOWN_CH);
		substitute(sh, i + 1, end);
		sh->i = end < sh->len ? end + 1 : end;
		if (in_dquote)
			w->any = 1; /* "$EMPTY" is a word, $EMPTY is none */
		return;
	}
	if (i < sh->len && s[i] == '{') {
		size_t j = i + 1;
		while (j < sh->len && is_name_char(s[j], j == i + 1))
			j++;
		const char *v = env_lookup(sh, s + i + 1, j - i - 1);
		while (j < sh->len && s[j] != '}')
			j++;
		if (v)
			wb_put(w, v, il_strlen(v));
		if (in_dquote)
			w->any = 1; /* "$EMPTY" is a word, $EMPTY is none */
		sh->i = j < sh->len ? j + 1 : j;
		return;
	}
	if (!in_dquote && i < sh->len && s[i] == '\'') {
		/* ANSI-C quoting: the common escapes only. */
		for (i++; i < sh->len && s[i] != '\''; i++) {
			char ch = s[i];
			if (ch == '\\' && i + 1 < sh->len) {
				char e = s[++i];
				ch = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
			}
			wb_putc(w, ch);
		}
		if (in_dquote)
			w->any = 1; /* "$EMPTY" is a word, $EMPTY is none */
		sh->i = i < sh->len ? i + 1 : i;
		return;
	}
	size_t j = i;
	while (j < sh->len && is_name_char(s[j], j == i))
		j++;
	if (j == i) {
		if (i < sh->len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '@' || s[i] == '*' || s[i] == '#' ||
				    s[i] == '?' || s[i] == '$' || s[i] == '!' || s[i] == '-')) {
			sh->i = i + 1; /* positional and special parameters: unknown, empty */
			if (in_dquote)
			w->any = 1; /* "$EMPTY" is a word, $EMPTY is none */
			return;
		}
		wb_putc(w, '$');
		sh->i = i;
		return;
	}
	const char *v = env_lookup(sh, s + i, j - i);
	if (v)
		wb_put(w, v, il_strlen(v));
	if (in_dquote)
			w->any = 1; /* "$EMPTY" is a word, $EMPTY is none */
	sh->i = j;
}

static void add_word(struct sh *sh, const char *word)
{
	if (sh->nwords + 1 >= sh->capwords) {
		int cap = sh->capwords ? sh->capwords * 2 : 16;
		const char **nw = il_arena_alloc(sh->c->a, sizeof(char *) * (size_t)cap);
		if (!nw)
			return;
		for (int k = 0; k < sh->nwords; k++)
			nw[k] = sh->words[k];
		sh->words = nw;
		sh->capwords = cap;
	}
	sh->words[sh->nwords++] = word;
	sh->words[sh->nwords] = 0;
}

static int is_keyword(const char *w)
{
	static const char *const kw[] = { "if", "then", "else", "elif", "fi", "while", "until", "do", "done",
					  "for", "case", "esac", "function", "!", "{", "}", "time", "[[", "]]",
					  "in", "select", "coproc", 0 };
	for (int i = 0; kw[i]; i++)
		if (il_streq(w, kw[i]))
			return 1;
	return 0;
}

static void run_words(struct sh *sh);
static const char *heredoc_body(struct sh *sh, int k);

/* NAME=VALUE alone sets a shell variable, which commands get only when it
 * is exported (or already was, as a variable of the environment). */
static void set_variable(struct sh *sh, const char *a)
{
	size_t n = 0;
	while (a[n] != '=')
		n++;
	char name[128];
	if (n < sizeof name) {
		il_memcpy(name, a, n);
		name[n] = 0;
		if (il_env_get(sh->c->envp, name)) {
			sh->c->envp = il_env_with(sh->c->a, sh->c->envp, &a, 1);
			return;
		}
	}
	const char **v = il_arena_alloc(sh->c->a, sizeof *v * (size_t)(sh->nvars + 1));
	if (!v)
		return;
	for (int i = 0; i < sh->nvars; i++)
		v[i] = sh->vars[i];
	v[sh->nvars++] = a;
	sh->vars = v;
}

/* export NAME=VALUE, export NAME (of a variable set before), declare -x. */
static void export_words(struct sh *sh, const char *const *w, int n)
{
	for (int k = 1; k < n; k++) {
		const char *a = w[k];
		if (a[0] == '-')
			continue;
		if (!il_is_assignment(a)) {
			size_t l = il_strlen(a);
			for (int i = sh->nvars - 1; i >= 0; i--)
				if (il_strneq(sh->vars[i], a, l) && sh->vars[i][l] == '=') {
					a = sh->vars[i];
					break;
				}
			if (!il_is_assignment(a))
				continue;
		}
		sh->c->envp = il_env_with(sh->c->a, sh->c->envp, &a, 1);
	}
}

static int exports(const char *const *w, int n)
{
	if (il_streq(w[0], "export"))
		return 1;
	if (!il_streq(w[0], "declare") && !il_streq(w[0], "typeset"))
		return 0;
	for (int k = 1; k < n && w[k][0] == '-'; k++)
		for (const char *p = w[k] + 1; *p; p++)
			if (*p == 'x')
				return 1;
	return 0;
}

static const char *unescape(struct il_arena *a, const char *s, int escapes)
{
	size_t n = il_strlen(s);
	char *o = il_arena_alloc(a, n + 1);
	if (!o)
		return "";
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (escapes && ch == '\\' && i + 1 < n) {
			char e = s[++i];
			ch = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
		}
		o[k++] = ch;
	}
	o[k] = 0;
	return o;
}

/* -n, -e, -E and clusters of them (-ne); -e turns escapes on. */
static int echo_options(const char *w, int *esc)
{
	if (w[0] != '-' || !w[1])
		return 0;
	for (const char *p = w + 1; *p; p++)
		if (*p != 'n' && *p != 'e' && *p != 'E')
			return 0;
	for (const char *p = w + 1; *p; p++)
		*esc = *p == 'e' ? 1 : *p == 'E' ? 0 : *esc;
	return 1;
}

/* printf FORMAT ARG...: the format with its escapes, each conversion
 * (%s, %b, %d ...) taking the next argument (%% is %), the format used
 * again while arguments are left, as the shell's printf does. */
static const char *printf_text(struct il_arena *a, const char *const *w, int n)
{
	if (n > 2 && il_streq(w[1], "--"))
		w++, n--; /* printf -- FORMAT: the format may start with '-' */
	if (n < 2)
		return 0;
	const char *fmt = unescape(a, w[1], 1);
	size_t fl = il_strlen(fmt), cap = 1;
	for (int i = 2; i < n; i++)
		cap += il_strlen(w[i]) + fl;
	cap += fl;
	char *out = il_arena_alloc(a, cap);
	if (!out)
		return 0;
	size_t o = 0;
	int k = 2;
	do {
		for (const char *p = fmt; *p && o + 1 < cap; p++) {
			if (*p != '%' || !p[1]) {
				out[o++] = *p;
				continue;
			}
			p++;
			if (*p == '%') {
				out[o++] = '%';
				continue;
			}
			while (p[1] && (*p == '-' || *p == '+' || *p == ' ' || *p == '#' || *p == '.' ||
					(*p >= '0' && *p <= '9')))
				p++; /* flags, width, precision */
			const char *arg = k < n ? w[k++] : "";
			for (size_t l = il_strlen(arg); l && o + 1 < cap; l--)
				out[o++] = *arg++;
		}
	} while (k < n && o + 1 < cap);
	out[o] = 0;
	return out;
}

/* echo [-neE] ARG...: the arguments, a blank between, a newline after. */
static const char *echo_text(struct il_arena *a, const char *const *w, int n)
{
	int k = 1, esc = 0;
	while (k < n && echo_options(w[k], &esc))
		k++;
	size_t len = 2;
	for (int i = k; i < n; i++)
		len += il_strlen(w[i]) + 1;
	char *out = il_arena_alloc(a, len);
	if (!out)
		return 0;
	size_t o = 0;
	for (int i = k; i < n; i++) {
		const char *t = unescape(a, w[i], esc);
		size_t l = il_strlen(t);
		il_memcpy(out + o, t, l);
		o += l;
		if (i + 1 < n)
			out[o++] = ' ';
	}
	out[o++] = '\n';
	out[o] = 0;
	return out;
}

/* What a command at the head of a pipe prints, when its words say:
 * echo and printf of their arguments, cat of its own stdin. */
static const char *printed(struct sh *sh, const char *const *w, int n, const char *in)
{
	const char *b = il_basename(w[0]);
	if (il_streq(b, "cat"))
		return n == 1 || (n == 2 && il_streq(w[1], "-")) ? in : 0;
	if (il_streq(b, "echo"))
		return echo_text(sh->c->a, w, n);
	return il_streq(b, "printf") ? printf_text(sh->c->a, w, n) : 0;
}

/* A finished simple command: builtins that matter are handled here, the
 * rest goes to the peeler, with the environment its assignments make and
 * the stdin its redirections or a pipe give it. ends: the character that
 * ended it ('|' of a pipe: the next command reads what this one prints). */
static void end_command(struct sh *sh, char ends, char after)
{
	int start = 0, nassign = 0;
	const char **assign = 0;
	while (start < sh->nwords) {
		const char *w = sh->words[start];
		if (is_keyword(w)) {
			start++;
		} else if (il_is_assignment(w)) {
			if (!assign)
				assign = sh->words + start;
			nassign++;
			start++;
		} else {
			break;
		}
	}
	if (nassign && assign + nassign != sh->words + start)
		nassign = 0; /* X=1 if ...: not a prefix of one command */
	sh->words += start;
	sh->nwords -= start;
	const char *in = sh->nhere > sh->here_first ? heredoc_body(sh, sh->nhere - 1) : sh->cmd_in;
	if (!in)
		in = sh->pipe_in;
	if (sh->nwords > 0 || nassign)
		sh->pipe_in = 0;
	if (sh->nwords == 0) {
		for (int k = 0; k < nassign; k++)
			set_variable(sh, assign[k]);
	} else if (exports(sh->words, sh->nwords)) {
		export_words(sh, sh->words, sh->nwords);
	} else {
		char *const *outer = sh->c->envp;
		const char *outer_in = sh->c->stdin_text;
		sh->c->envp = il_env_with(sh->c->a, sh->c->envp, assign, nassign);
		sh->c->stdin_text = in;
		run_words(sh);
		sh->c->envp = outer;
		sh->c->stdin_text = outer_in;
		if (ends == '|' && after != '|')
			sh->pipe_in = printed(sh, sh->words, sh->nwords, in);
	}
	if (sh->nwords > 0)
		il_pipe_stage(sh->c, &sh->pipe_src, sh->words, sh->nwords, sh->cwd, sh->layer,
			      ends == '|' && after != '|');
	sh->here_first = sh->nhere;
	sh->cmd_in = 0;
	sh->herestr_next = 0;
	sh->words = 0;
	sh->nwords = sh->capwords = 0;
	sh->skip_next_word = 0;
}

static void run_words(struct sh *sh)
{
	const char **w = sh->words;
	int n = sh->nwords;
	while (n > 0 && (il_streq(w[0], "exec") || il_streq(w[0], "builtin") || il_streq(w[0], "command") ||
			 il_streq(w[0], "noglob") || il_streq(w[0], "nocorrect"))) {
		if (il_streq(w[0], "command") && n > 1 && (il_streq(w[1], "-v") || il_streq(w[1], "-V")))
			return; /* a lookup, not a run */
		w++, n--;
		while (n > 0 && w[0][0] == '-' && !il_streq(w[0], "--") && w[0][1])
			w++, n--; /* exec -a NAME and friends: options only */
		if (n > 0 && il_streq(w[0], "--"))
			w++, n--;
	}
	if (n <= 0)
		return;
	if (il_streq(w[0], "cd") || il_streq(w[0], "pushd")) {
		const char *dir = n > 1 ? w[n - 1] : il_env_get(sh->c->envp, "HOME");
		if (dir && !(dir[0] == '-' && dir[1] == 0)) {
			char *abs = il_path_abs(sh->c->a, sh->cwd, dir);
			if (abs)
				sh->cwd = abs;
		}
		return;
	}
	if (il_streq(w[0], "eval") || il_streq(w[0], "source") || il_streq(w[0], ".")) {
		if (!il_streq(w[0], "eval"))
			return; /* sourced files are read by the real shell */
		size_t len = 0;
		for (int k = 1; k < n; k++)
			len += il_strlen(w[k]) + 1;
		char *joined = il_arena_alloc(sh->c->a, len + 1);
		if (!joined)
			return;
		size_t o = 0;
		for (int k = 1; k < n; k++) {
			size_t l = il_strlen(w[k]);
			il_memcpy(joined + o, w[k], l);
			o += l;
			joined[o++] = ' ';
		}
		joined[o] = 0;
		if (sh->c->budget-- > 0)
			il_shell_parse(sh->c, joined, sh->cwd, sh->layer + 1);
		return;
	}
	il_peel(sh->c, w, n, sh->cwd, sh->layer);
}

/* Does the command so far read a script from its stdin: a shell with no
 * -c and no script file? */
static int shell_reads_stdin(const struct sh *sh)
{
	static const char *const shells[] = { "sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", 0 };
	if (sh->nwords < 1)
		return 0;
	const char *b = il_basename(sh->words[0]);
	int shell = 0;
	for (int i = 0; shells[i]; i++)
		shell |= il_streq(b, shells[i]);
	for (int k = 1; shell && k < sh->nwords; k++) {
		const char *w = sh->words[k];
		if (w[0] != '-' || il_streq(w, "-s"))
			return w[0] != '-' ? 0 : 1; /* a script file; -s: stdin */
		for (const char *p = w + 1; *p; p++)
			if (*p == 'c')
				return 0;
	}
	return shell;
}

/* $(...) and `...` in an unquoted heredoc's body: the shell runs them. */
static void body_substitutions(struct sh *sh, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (b[i] == '\\') {
			i++;
		} else if (b[i] == '$' && i + 1 < n && b[i + 1] == '(') {
			size_t end = match_close(b, i + 2, n, '(', ')');
			if (sh->c->budget-- > 0) {
				char *inner = il_arena_strndup(sh->c->a, b + i + 2, end - i - 2);
				if (inner)
					il_shell_parse(sh->c, inner, sh->cwd, sh->layer + 1);
			}
			i = end;
		} else if (b[i] == '`') {
			size_t end = match_close(b, i + 1, n, '`', '`');
			if (sh->c->budget-- > 0) {
				char *inner = il_arena_strndup(sh->c->a, b + i + 1, end - i - 1);
				if (inner)
					il_shell_parse(sh->c, inner, sh->cwd, sh->layer + 1);
			}
			i = end;
		}
	}
}

/* The body of here-document d, which begins at line i: it ends at *end,
 * before its delimiter line (or at the end of the string); returns where
 * the line after the delimiter begins. */
static size_t body_span(const struct sh *sh, const struct heredoc *d, size_t i, size_t *end)
{
	size_t dl = il_strlen(d->delim);
	*end = sh->len; /* no delimiter: the body runs to the end */
	while (i < sh->len) {
		size_t e = i;
		while (e < sh->len && sh->s[e] != '\n')
			e++;
		size_t b = i;
		while (d->strip && b < e && sh->s[b] == '\t')
			b++;
		size_t next = e < sh->len ? e + 1 : e;
		if (e - b == dl && il_strneq(sh->s + b, d->delim, dl)) {
			*end = i;
			return next;
		}
		i = next;
	}
	return i;
}

/* The body of pending here-document k, read ahead of the parse: the
 * command it feeds is judged before the line it is on has ended. */
static const char *heredoc_body(struct sh *sh, int k)
{
	size_t i = sh->i, end = sh->len;
	while (i < sh->len && sh->s[i] != '\n')
		i++;
	if (i < sh->len)
		i++;
	for (int h = 0; h < k; h++)
		i = body_span(sh, &sh->here[h], i, &end);
	size_t start = i;
	body_span(sh, &sh->here[k], i, &end);
	return il_arena_strndup(sh->c->a, sh->s + start, end - start);
}

/* At the end of a line with heredocs pending: their bodies, one after the
 * other, each up to its delimiter line. Returns where parsing goes on. */
static size_t take_heredocs(struct sh *sh, size_t i)
{
	for (int h = 0; h < sh->nhere; h++) {
		const struct heredoc *d = &sh->here[h];
		size_t start = i, body_end;
		i = body_span(sh, d, i, &body_end);
		if (d->expand)
			body_substitutions(sh, sh->s + start, body_end - start);
		if (d->script && sh->c->budget-- > 0) {
			char *body = il_arena_strndup(sh->c->a, sh->s + start, body_end - start);
			if (body)
				il_shell_parse(sh->c, body, sh->cwd, sh->layer + 1);
		}
	}
	sh->nhere = sh->here_first = 0;
	return i;
}

/* Nothing but keywords so far (for, while, if ...): a command starts here. */
static int only_keywords(const struct sh *sh)
{
	for (int k = 0; k < sh->nwords; k++)
		if (!is_keyword(sh->words[k]))
			return 0;
	return 1;
}

/* <<< WORD feeds WORD and a newline. */
static const char *here_string(struct il_arena *a, const char *word)
{
	size_t n = il_strlen(word);
	char *t = il_arena_alloc(a, n + 2);
	if (!t)
		return 0;
	il_memcpy(t, word, n);
	t[n] = '\n';
	t[n + 1] = 0;
	return t;
}

static int is_redirect(const char *s, size_t i, size_t len, size_t *oplen)
{
	size_t j = i;
	while (j < len && s[j] >= '0' && s[j] <= '9')
		j++;
	if (j < len && s[j] == '&' && j == i && j + 1 < len && s[j + 1] == '>')
		j++; /* &> */
	if (j >= len || (s[j] != '>' && s[j] != '<'))
		return 0;
	j++;
	if (j < len && (s[j] == '>' || s[j] == '&' || s[j] == '|' || s[j] == '<'))
		j++;
	*oplen = j - i;
	return 1;
}

void il_shell_parse(struct il_peel_ctx *c, const char *s, const char *cwd, int layer)
{
	struct sh sh = { .c = c, .s = s, .len = il_strlen(s), .cwd = cwd, .layer = layer };
	struct wbuf w = { .a = c->a };
	while (sh.i <= sh.len && !c->a->failed) {
		char ch = sh.i < sh.len ? s[sh.i] : 0;
		int boundary = ch == 0 || ch == ' ' || ch == '\t' || ch == '\n' || ch == ';' || ch == '&' ||
			       ch == '|' || ch == '(' || ch == ')';
		size_t oplen;
		if (!boundary && !w.any && is_redirect(s, sh.i, sh.len, &oplen)) {
			/* << or <<- (not the <<< of a here-string) */
			int here = oplen >= 2 && s[sh.i + oplen - 1] == '<' && s[sh.i + oplen - 2] == '<' &&
				   (sh.i + oplen >= sh.len || s[sh.i + oplen] != '<');
			int herestr = !here && oplen >= 2 && s[sh.i + oplen - 1] == '<' && s[sh.i + oplen - 2] == '<';
			sh.i += oplen + (herestr ? 1 : 0);
			sh.herestr_next = herestr;
			if (here && sh.i < sh.len && s[sh.i] == '-')
				sh.i++;
			sh.delim_strip = here && s[sh.i - 1] == '-';
			while (sh.i < sh.len && (s[sh.i] == ' ' || s[sh.i] == '\t'))
				sh.i++;
			sh.skip_next_word = 1;
			sh.delim_next = here;
			continue;
		}
		/* (( ... )) as a command (and for ((...))): arithmetic, not subshells */
		if (ch == '(' && !w.any && sh.i + 1 < sh.len && s[sh.i + 1] == '(' && only_keywords(&sh)) {
			size_t end = arith_end(s, sh.i, sh.len);
			if (end) {
				body_substitutions(&sh, s + sh.i + 2, end - sh.i - 4);
				sh.i = end;
				continue;
			}
		}
		if (boundary) {
			if (w.any) {
				wb_putc(&w, 0);
				if (sh.delim_next && w.p && sh.nhere < (int)(sizeof sh.here / sizeof sh.here[0]))
					sh.here[sh.nhere++] = (struct heredoc){ w.p, sh.delim_strip, !w.quoted,
										shell_reads_stdin(&sh) };
				if (sh.herestr_next && w.p) {
					sh.cmd_in = here_string(c->a, w.p);
					sh.herestr_next = 0;
				}
				sh.delim_next = 0;
				if (sh.skip_next_word)
					sh.skip_next_word = 0;
				else if (w.p)
					add_word(&sh, w.p);
				w = (struct wbuf){ .a = c->a };
			}
			if (ch == 0)
				break;
			if (ch != ' ' && ch != '\t')
				end_command(&sh, ch, sh.i + 1 < sh.len ? s[sh.i + 1] : 0);
			sh.i++;
			if (ch == '\n' && sh.nhere)
				sh.i = take_heredocs(&sh, sh.i);
			continue;
		}
		if (ch == '#' && !w.any) {
			while (sh.i < sh.len && s[sh.i] != '\n')
				sh.i++;
			continue;
		}
		if (ch == '\\') {
			if (sh.i + 1 < sh.len && s[sh.i + 1] != '\n')
				wb_putc(&w, s[sh.i + 1]);
			w.quoted = 1;
			sh.i += 2;
			continue;
		}
		if (ch == '\'') {
			size_t j = sh.i + 1;
			while (j < sh.len && s[j] != '\'')
				j++;
			wb_put(&w, s + sh.i + 1, j - sh.i - 1);
			w.any = w.quoted = 1;
			sh.i = j + 1;
			continue;
		}
		if (ch == '"') {
			sh.i++;
			w.any = w.quoted = 1;
			while (sh.i < sh.len && s[sh.i] != '"') {
				char d = s[sh.i];
				if (d == '\\' && sh.i + 1 < sh.len &&
				    (s[sh.i + 1] == '"' || s[sh.i + 1] == '\\' || s[sh.i + 1] == '$' || s[sh.i + 1] == '`')) {
					wb_putc(&w, s[sh.i + 1]);
					sh.i += 2;
				} else if (d == '$') {
					dollar(&sh, &w, 1);
				} else if (d == '`') {
					size_t end = match_close(s, sh.i + 1, sh.len, '`', '`');
					if (end < sh.len && cwd_known(&sh, sh.i + 1, end, &w))
						continue;
					if (in_assignment(&w)) /* as $(...) in dollar() */
						wb_putc(&w, IL_UNKNOWN_CH);
					substitute(&sh, sh.i + 1, end);
					sh.i = end + 1;
				} else {
					wb_putc(&w, d);
					sh.i++;
				}
			}
			sh.i++;
			continue;
		}
		if (ch == '$') {
			dollar(&sh, &w, 0);
			continue;
		}
		if (ch == '`') {
			size_t end = match_close(s, sh.i + 1, sh.len, '`', '`');
			if (end < sh.len && cwd_known(&sh, sh.i + 1, end, &w))
				continue;
			if (in_assignment(&w)) /* as $(...) in dollar() */
				wb_putc(&w, IL_UNKNOWN_CH);
			substitute(&sh, sh.i + 1, end);
			sh.i = end < sh.len ? end + 1 : end;
			continue;
		}
		if (ch == '~' && !w.any) {
			size_t j = sh.i + 1;
			if (j >= sh.len || s[j] == '/' || s[j] == ' ' || s[j] == '\t' || s[j] == ';' || s[j] == '\n' ||
			    s[j] == '&' || s[j] == '|' || s[j] == ')') {
				const char *home = il_env_get(c->envp, "HOME");
				if (home) {
					wb_put(&w, home, il_strlen(home));
					sh.i++;
					continue;
				}
			}
		}
		wb_putc(&w, ch);
		sh.i++;
	}
	end_command(&sh, 0, 0);
}
