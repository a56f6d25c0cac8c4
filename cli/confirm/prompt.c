/* The confirmation prompt. The terminal is in raw mode, so this file echoes,
 * edits and ends lines itself (\r\n). Its words, the escaping of what came
 * from the guarded tree, and what an answer means are the engine's
 * (lib/engine/prompt_text.c), shared with the dev shell's prompt. */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"
#include "prompt.h"


long long il_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/* ---------------------------------------------------------------- drawing */

static void open_prompt(struct il_prompt *p, int fd, const struct il_prompt_info *in, int timeout_s, int held)
{
	if (timeout_s <= 0)
		timeout_s = 60;
	memset(p, 0, sizeof *p);
	p->fd = fd;
	p->open = 1;
	snprintf(p->word, sizeof p->word, "%s", in->word ? in->word : "");
	p->deadline = il_now_ms() + (long long)timeout_s * 1000;
	static char text[16384]; /* kept off the stack */
	size_t n = il_prompt_text(text, sizeof text, in, timeout_s, held);
	/* Type-ahead goes before the question is drawn, not after: what the
	 * human types once it is on screen is the answer. */
	tcflush(fd, TCIFLUSH);
	il_write_all(fd, text, n);
}

void il_prompt_open(struct il_prompt *p, int fd, const struct il_prompt_info *in, int timeout_s)
{
	open_prompt(p, fd, in, timeout_s, 1);
}

void il_prompt_open_unheld(struct il_prompt *p, int fd, const struct il_prompt_info *in, int timeout_s)
{
	open_prompt(p, fd, in, timeout_s, 0);
}

/* ---------------------------------------------------------------- editing */

static int decide(struct il_prompt *p)
{
	p->line[p->len] = 0;
	return (int)il_prompt_decide(p->line, p->word);
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
	il_write_all(p->fd, "\b \b", 3);
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
			il_write_all(p->fd, "^C", 2);
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
		il_write_all(p->fd, (const char *)&ch, 1);
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
	const char *what = il_prompt_outcome(a);
	char line[256];
	int n = snprintf(line, sizeof line, "\r\n\033[1m%s\033[0m\r\n", what);
	il_write_all(p->fd, line, (size_t)n);
	p->open = 0;
}
