/* The confirmation prompt. The terminal is in raw mode, so this file echoes,
 * edits and ends lines itself (\r\n). Everything shown that came from the
 * guarded tree (command, paths, why, process names) is escaped: the tree must
 * not be able to draw on the human's terminal through the prompt. */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "prompt.h"

#define SHOW_MAX 2048 /* bytes of one field shown; the rest is summarized */

long long il_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w <= 0)
			return; /* the terminal is gone; the answer will time out */
		s += w, n -= (size_t)w;
	}
}

/* ---------------------------------------------------------------- drawing */

struct sb {
	char b[16384];
	size_t n;
};

static void sb_put(struct sb *s, const char *p, size_t n)
{
	if (n > sizeof s->b - s->n)
		n = sizeof s->b - s->n;
	memcpy(s->b + s->n, p, n);
	s->n += n;
}

static void sb_str(struct sb *s, const char *p)
{
	sb_put(s, p, strlen(p));
}

/* Length of the UTF-8 sequence at p if it is valid and safe to show, else 0.
 * Unsafe: C1 controls (U+0080..U+009F; some terminals act on them) and the
 * bidirectional overrides, which can make text read differently than it is. */
static int safe_utf8(const unsigned char *p)
{
	int n = (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (!n || (n == 2 && p[0] < 0xc2) || p[0] > 0xf4)
		return 0;
	for (int i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if (p[0] == 0xc2 && p[1] < 0xa0)
		return 0;
	if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae)
		return 0;
	if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
		return 0;
	return n;
}

/* Appends untrusted text with everything unprintable shown as \xNN. */
static void sb_safe(struct sb *s, const char *text)
{
	const unsigned char *p = (const unsigned char *)(text ? text : "");
	size_t shown = 0, total = strlen((const char *)p);
	while (*p && shown < SHOW_MAX) {
		int n = *p >= 0x20 && *p < 0x7f ? 1 : *p >= 0x80 ? safe_utf8(p) : 0;
		if (n) {
			sb_put(s, (const char *)p, (size_t)n);
		} else {
			char esc[8];
			snprintf(esc, sizeof esc, "\\x%02x", *p);
			sb_str(s, esc);
			n = 1;
		}
		p += n, shown += (size_t)n;
	}
	if (shown < total) {
		char more[64];
		snprintf(more, sizeof more, " ... (%zu more bytes)", total - shown);
		sb_str(s, more);
	}
}

static void sb_field(struct sb *s, const char *label, const char *value)
{
	sb_str(s, label);
	sb_safe(s, value);
	sb_str(s, "\r\n");
}

void il_prompt_open(struct il_prompt *p, int fd, const struct il_prompt_info *in, int timeout_s)
{
	if (timeout_s <= 0)
		timeout_s = 60;
	memset(p, 0, sizeof *p);
	p->fd = fd;
	p->open = 1;
	snprintf(p->word, sizeof p->word, "%s", in->word ? in->word : "");
	p->deadline = il_now_ms() + (long long)timeout_s * 1000;

	static struct sb s; /* 16 KiB: kept off the stack */
	s.n = 0;
	char head[160];
	snprintf(head, sizeof head,
		 "  (the agent's output is held; no answer in %d s denies)\r\n", timeout_s);
	/* Reset attributes and show the cursor: the agent may have left the
	 * terminal in any state. */
	sb_str(&s, "\033[0m\033[?25h\r\n\033[1;7m interlock: confirmation required \033[0m");
	sb_str(&s, head);
	sb_field(&s, "  command: ", in->command);
	sb_field(&s, "  why:     ", in->why);
	sb_str(&s, "  rule:    ");
	sb_safe(&s, in->rule);
	sb_str(&s, "    profile: ");
	sb_safe(&s, in->profile && *in->profile ? in->profile : "(default)");
	sb_str(&s, "\r\n");
	sb_field(&s, "  cwd:     ", in->cwd);
	if (in->target && *in->target)
		sb_field(&s, "  target:  ", in->target);
	sb_field(&s, "  process: ", in->chain);
	sb_str(&s, "Type \"");
	sb_safe(&s, p->word);
	sb_str(&s, "\" to allow once, \"");
	sb_safe(&s, p->word);
	sb_str(&s, "!\" to allow for the rest of this session; anything else denies: ");
	/* Type-ahead goes before the question is drawn, not after: what the
	 * human types once it is on screen is the answer. */
	tcflush(fd, TCIFLUSH);
	write_all(fd, s.b, s.n);
}

/* ---------------------------------------------------------------- editing */

static void trim(char *s)
{
	size_t n = strlen(s), i = 0;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = 0;
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	memmove(s, s + i, n - i + 1);
}

static int decide(struct il_prompt *p)
{
	p->line[p->len] = 0;
	trim(p->line);
	size_t w = strlen(p->word);
	if (!p->line[0])
		return IL_ANS_HUMAN;
	if (!strcmp(p->line, p->word))
		return IL_ANS_ONCE;
	if (!strncmp(p->line, p->word, w) && !strcmp(p->line + w, "!"))
		return IL_ANS_SESSION;
	return IL_ANS_WRONG_WORD;
}

/* Removes the last character (a whole UTF-8 sequence) and its echo. */
static void rubout(struct il_prompt *p)
{
	if (!p->len)
		return;
	while (p->len && ((unsigned char)p->line[p->len - 1] & 0xc0) == 0x80)
		p->len--;
	if (p->len)
		p->len--;
	write_all(p->fd, "\b \b", 3);
}

/* Swallows escape sequences (arrows, function keys, bracketed-paste
 * markers): they are not part of any word. Returns 1 if ch was consumed. */
static int skip_escape(struct il_prompt *p, unsigned char ch)
{
	switch (p->esc) {
	case 0:
		if (ch != 0x1b)
			return 0;
		p->esc = 1;
		return 1;
	case 1: /* after ESC */
		p->esc = ch == '[' ? 2 : ch == 'O' ? 3 : 0;
		return 1;
	case 2: /* CSI: parameters until a final byte */
		if (ch >= 0x40 && ch <= 0x7e)
			p->esc = 0;
		return 1;
	default: /* SS3: one more byte */
		p->esc = 0;
		return 1;
	}
}

int il_prompt_feed(struct il_prompt *p, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)buf[i];
		if (skip_escape(p, ch))
			continue;
		switch (ch) {
		case '\r':
		case '\n':
			return decide(p);
		case 0x03: /* Ctrl-C */
			write_all(p->fd, "^C", 2);
			return IL_ANS_HUMAN;
		case 0x04: /* Ctrl-D */
			return IL_ANS_HUMAN;
		case 0x7f:
		case 0x08:
			rubout(p);
			continue;
		case 0x15: /* Ctrl-U */
			while (p->len)
				rubout(p);
			continue;
		}
		if (ch < 0x20 || p->len >= sizeof p->line - 1)
			continue;
		p->line[p->len++] = (char)ch;
		write_all(p->fd, (const char *)&ch, 1);
	}
	return -1;
}

int il_prompt_wait_ms(const struct il_prompt *p)
{
	long long left = p->deadline - il_now_ms();
	return left <= 0 ? 0 : left > 1000000 ? 1000000 : (int)left;
}

void il_prompt_close(struct il_prompt *p, enum il_answer a)
{
	const char *what;
	switch (a) {
	case IL_ANS_ONCE:
		what = "interlock: allowed once.";
		break;
	case IL_ANS_SESSION:
		what = "interlock: allowed for the rest of this session (same rule and target).";
		break;
	case IL_ANS_WRONG_WORD:
		what = "interlock: denied (that was not the word).";
		break;
	case IL_ANS_TIMEOUT:
		what = "interlock: denied (no answer in time).";
		break;
	case IL_ANS_WITHDRAWN:
		what = "interlock: the asking process went away; nothing was allowed.";
		break;
	case IL_ANS_NO_TERMINAL:
		what = "interlock: denied (the session is ending).";
		break;
	default:
		what = "interlock: denied.";
		break;
	}
	char line[160];
	int n = snprintf(line, sizeof line, "\r\n\033[1m%s\033[0m\r\n", what);
	write_all(p->fd, line, (size_t)n);
	p->open = 0;
}
