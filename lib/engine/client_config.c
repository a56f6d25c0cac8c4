/* A client's config text as command-line words. curl reads options from
 * `-K FILE` and ~/.curlrc, wget from ~/.wgetrc and `-e CMD`; a rule that
 * judges the request (`--request DELETE`) must see what those say, or the
 * DELETE passes by being written to a file first. The words are what
 * the option would be on the command line, so the same rules match:
 *
 *   curl    -X DELETE             -X DELETE
 *           request = "DELETE"    --request DELETE
 *           url: https://h/x      --url https://h/x
 *   wgetrc  method = DELETE       --method=DELETE
 *           post_file = body      --post-file=body
 *
 * Comments (#) and blank lines are skipped. Heap-free: words point into
 * arena copies. */
#include "client_int.h"

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static const char *end_of_line(const char *p)
{
	while (*p && *p != '\n')
		p++;
	return p;
}

static int push(const char **out, int n, int cap, const char *w)
{
	if (w && n < cap)
		out[n++] = w;
	return n;
}

/* "--" followed by s[0..n), or s itself when it already starts with '-'. */
static const char *long_name(struct il_arena *a, const char *s, size_t n)
{
	if (s[0] == '-')
		return il_arena_strndup(a, s, n);
	char *w = il_arena_alloc(a, n + 3);
	if (!w)
		return 0;
	w[0] = w[1] = '-';
	il_memcpy(w + 2, s, n);
	w[n + 2] = 0;
	return w;
}

/* A double-quoted curl value at p (after the quote), with its escapes. */
static const char *quoted(struct il_arena *a, const char *p, const char *end)
{
	char *w = il_arena_alloc(a, (size_t)(end - p) + 1);
	if (!w)
		return 0;
	size_t o = 0;
	for (; p < end && *p != '"'; p++) {
		char c = *p;
		if (c == '\\' && p + 1 < end) {
			c = *++p;
			c = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == 'v' ? '\v' : c;
		}
		w[o++] = c;
	}
	w[o] = 0;
	return w;
}

/* One line of a curl config: OPTION [=|:] [VALUE]. */
static int curl_line(struct il_arena *a, const char *p, const char *end, const char **out, int n, int cap)
{
	const char *o = p;
	while (p < end && !is_space(*p) && *p != '=' && *p != ':')
		p++;
	n = push(out, n, cap, long_name(a, o, (size_t)(p - o)));
	while (p < end && is_space(*p))
		p++;
	if (p < end && (*p == '=' || *p == ':'))
		for (p++; p < end && is_space(*p); p++)
			;
	if (p >= end)
		return n;
	if (*p == '"')
		return push(out, n, cap, quoted(a, p + 1, end));
	const char *v = p;
	while (p < end && !is_space(*p))
		p++;
	return push(out, n, cap, il_arena_strndup(a, v, (size_t)(p - v)));
}

/* One line of a .wgetrc: NAME = VALUE, NAME in any case with - or _. */
static int wgetrc_line(struct il_arena *a, const char *p, const char *end, const char **out, int n, int cap)
{
	const char *name = p;
	while (p < end && !is_space(*p) && *p != '=')
		p++;
	size_t nl = (size_t)(p - name);
	while (p < end && is_space(*p))
		p++;
	if (!nl || p >= end || *p != '=')
		return n;
	for (p++; p < end && is_space(*p); p++)
		;
	const char *v = p, *ve = end;
	while (ve > v && is_space(ve[-1]))
		ve--;
	char *w = il_arena_alloc(a, nl + (size_t)(ve - v) + 4);
	if (!w)
		return n;
	size_t o = 0;
	w[o++] = '-', w[o++] = '-';
	for (size_t i = 0; i < nl; i++) {
		char c = name[i];
		w[o++] = c == '_' ? '-' : (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	w[o++] = '=';
	il_memcpy(w + o, v, (size_t)(ve - v));
	w[o + (size_t)(ve - v)] = 0;
	return push(out, n, cap, w);
}

int il_config_words(struct il_arena *a, const char *format, const char *text, const char **out, int n, int cap)
{
	int wgetrc = format && il_streq(format, "wgetrc");
	for (const char *p = text; p && *p;) {
		const char *end = end_of_line(p);
		while (p < end && is_space(*p))
			p++;
		if (p < end && *p != '#')
			n = wgetrc ? wgetrc_line(a, p, end, out, n, cap) : curl_line(a, p, end, out, n, cap);
		p = *end ? end + 1 : end;
	}
	return n;
}
