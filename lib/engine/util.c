/* Heap-free helpers for the runtime half of the engine. The string ones are
 * libc's: async-signal-safe, heap-free (fine in a vfork child) and several
 * times faster than byte loops on the paths every hooked call measures.
 * il_memcpy stays a forward loop: memcpy promises nothing for overlapping
 * copies, and its callers were not all written against that. */
#include <string.h>

#include "il.h"

static const char *const action_names[] = { "allow", "log", "confirm", "deny" };

const char *il_action_name(int action)
{
	if (action < IL_ALLOW || action > IL_DENY)
		return "deny";
	return action_names[action];
}

int il_action_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (il_streq(s, action_names[i]))
			return i;
	return -1;
}

void il_arena_init(struct il_arena *a, void *mem, size_t size)
{
	a->base = mem;
	a->size = size;
	a->used = 0;
	a->failed = 0;
}

void *il_arena_alloc(struct il_arena *a, size_t n)
{
	size_t off = (a->used + 15u) & ~(size_t)15u;
	if (off > a->size || n > a->size - off) {
		a->failed = 1;
		return 0;
	}
	a->used = off + n;
	return a->base + off;
}

char *il_arena_strndup(struct il_arena *a, const char *s, size_t n)
{
	char *d = il_arena_alloc(a, n + 1);
	if (!d)
		return 0;
	il_memcpy(d, s, n);
	d[n] = 0;
	return d;
}

char *il_arena_strdup(struct il_arena *a, const char *s)
{
	return il_arena_strndup(a, s, il_strlen(s));
}

size_t il_strlen(const char *s)
{
	return strlen(s);
}

int il_streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

int il_strneq(const char *a, const char *b, size_t n)
{
	return strncmp(a, b, n) == 0;
}

void il_memcpy(void *d, const void *s, size_t n)
{
	unsigned char *dd = d;
	const unsigned char *ss = s;
	while (n--)
		*dd++ = *ss++;
}

/* After the last slash that something follows: "a/b/" gives "b/"; a
 * path of slashes only gives its last one. */
const char *il_basename(const char *path)
{
	size_t e = strlen(path);
	while (e && path[e - 1] == '/')
		e--;
	if (!e)
		return *path ? path + strlen(path) - 1 : path;
	const char *slash = memrchr(path, '/', e);
	return slash ? slash + 1 : path;
}

const char *il_env_get(char *const *envp, const char *name)
{
	if (!envp)
		return 0;
	size_t n = il_strlen(name);
	for (; *envp; envp++)
		if (il_strneq(*envp, name, n) && (*envp)[n] == '=')
			return *envp + n + 1;
	return 0;
}

/* Bracket expression at p (just after '['); returns the char after ']' and
 * sets *hit, or NULL if the bracket is unterminated. */
static const char *glob_bracket(const char *p, unsigned char c, int *hit)
{
	int neg = (*p == '!' || *p == '^');
	if (neg)
		p++;
	int in = 0;
	int first = 1;
	while (*p && (first || *p != ']')) {
		unsigned char lo = (unsigned char)*p, hi = lo;
		if (p[1] == '-' && p[2] && p[2] != ']') {
			hi = (unsigned char)p[2];
			p += 3;
		} else {
			p++;
		}
		if (c >= lo && c <= hi)
			in = 1;
		first = 0;
	}
	if (*p != ']')
		return 0;
	*hit = in != neg;
	return p + 1;
}

int il_glob_match(const char *pat, const char *s)
{
	const char *star_p = 0, *star_s = 0;
	for (;;) {
		if (*pat == '*') {
			star_p = ++pat;
			star_s = s;
			continue;
		}
		if (!*s) {
			if (!*pat)
				return 1;
			goto backtrack;
		}
		if (*pat == '?') {
			pat++, s++;
			continue;
		}
		if (*pat == '[') {
			int hit = 0;
			const char *next = glob_bracket(pat + 1, (unsigned char)*s, &hit);
			if (next) {
				if (!hit)
					goto backtrack;
				pat = next, s++;
				continue;
			}
		}
		if (*pat && *pat == *s) {
			pat++, s++;
			continue;
		}
backtrack:
		if (!star_p || !*star_s)
			return 0;
		pat = star_p;
		s = ++star_s;
	}
}

/* Shell-quoted where a word needs it; control bytes shown as ?, cut with
 * "..." when it does not fit. */
size_t il_format_argv(char *buf, size_t cap, const char *const *argv, int argc)
{
	size_t o = 0;
	if (!cap)
		return 0;
	for (int i = 0; i < argc && o + 1 < cap; i++) {
		const char *s = argv[i];
		int plain = *s != 0;
		for (const char *p = s; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			      *p == '-' || *p == '_' || *p == '/' || *p == '.' || *p == '=' || *p == ':' || *p == ',' ||
			      *p == '+' || *p == '@' || *p == '%' || *p == '~'))
				plain = 0;
		if (i && o + 1 < cap)
			buf[o++] = ' ';
		if (!plain && o + 1 < cap)
			buf[o++] = '\'';
		for (; *s && o + 1 < cap; s++) {
			unsigned char ch = (unsigned char)*s;
			if (ch == '\'' && o + 4 < cap) {
				il_memcpy(buf + o, "'\\''", 4);
				o += 4;
			} else if (ch < 0x20 || ch == 0x7f) {
				buf[o++] = '?';
			} else {
				buf[o++] = (char)ch;
			}
		}
		if (!plain && o + 1 < cap)
			buf[o++] = '\'';
	}
	if (o + 1 >= cap && cap > 4)
		il_memcpy(buf + cap - 4, "...", 3), o = cap - 1;
	buf[o] = 0;
	return o;
}

const char *il_op_key(struct il_arena *a, const struct il_cmd *cmd)
{
	size_t cap = 4096;
	char *buf = il_arena_alloc(a, cap);
	if (!buf || !cmd->argc)
		return 0;
	/* the program by its name, wherever the exec found it */
	const char *name[] = { cmd->name, 0 };
	size_t n = il_format_argv(buf, cap - 2, name, 1);
	if (cmd->argc > 1 && n + 2 < cap) {
		buf[n++] = ' ';
		n += il_format_argv(buf + n, cap - 2 - n, cmd->argv + 1, cmd->argc - 1);
	}
	buf[n++] = '\t';
	for (const char *p = cmd->cwd ? cmd->cwd : ""; *p && n + 1 < cap; p++)
		buf[n++] = (unsigned char)*p < 0x20 ? '?' : *p;
	buf[n] = 0;
	return buf;
}

void il_text_init(struct il_text *t, char *buf, size_t cap)
{
	*t = (struct il_text){ buf, 0, cap, 0 };
	if (cap)
		buf[0] = 0;
}

void il_text_put(struct il_text *t, const char *s, size_t n)
{
	if (!t->cap) {
		t->overflow = 1;
		return;
	}
	if (n > t->cap - 1 - t->n) {
		n = t->cap - 1 - t->n;
		t->overflow = 1;
	}
	il_memcpy(t->p + t->n, s, n);
	t->n += n;
	t->p[t->n] = 0;
}

void il_text_str(struct il_text *t, const char *s)
{
	if (s)
		il_text_put(t, s, il_strlen(s));
}

void il_text_num(struct il_text *t, unsigned long v, int width, char pad)
{
	char d[24], r[24];
	int k = 0;
	do
		d[k++] = (char)('0' + v % 10);
	while ((v /= 10) && k < 23);
	while (k < width && k < 23)
		d[k++] = pad;
	for (int i = 0; i < k; i++)
		r[i] = d[k - 1 - i];
	il_text_put(t, r, (size_t)k);
}
