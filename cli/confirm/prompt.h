/* The confirmation prompt, drawn on the real terminal (in raw mode) by the
 * loop that owns it. The prompt does no reading of its own: the loop feeds it
 * the bytes the human types while it is open, so the same poll() that proxies
 * the agent also drives the prompt, and nothing typed reaches the agent. */
#ifndef IL_PROMPT_H
#define IL_PROMPT_H

#include "broker.h"

/* What the human is shown: struct il_prompt_info (il.h). */

struct il_prompt {
	int fd;              /* the real terminal */
	int open;
	char word[256];
	char line[512];      /* what has been typed */
	size_t len;
	int esc;             /* inside an escape sequence (arrow keys, paste markers) */
	long long deadline;  /* CLOCK_MONOTONIC, ms */
};

/* Draws the prompt and starts the timeout (timeout_s <= 0: 60). Type-ahead
 * still in the terminal's input queue is discarded: it was typed before the
 * question was on screen, so it is not an answer. */
void il_prompt_open(struct il_prompt *p, int fd, const struct il_prompt_info *in, int timeout_s) IL_HIDDEN;
/* The same for a prompt that holds no agent's output (`interlock approve`). */
void il_prompt_open_unheld(struct il_prompt *p, int fd, const struct il_prompt_info *in, int timeout_s) IL_HIDDEN;

/* Feeds typed bytes. Returns -1 while the prompt stays open, else the answer
 * (IL_ANS_ONCE, _SESSION, _HUMAN, _WRONG_WORD). Bytes after the Enter are
 * dropped: they must not answer the next prompt. */
int il_prompt_feed(struct il_prompt *p, const char *buf, size_t n) IL_HIDDEN;

/* Milliseconds until the timeout (0 when it has passed). */
int il_prompt_wait_ms(const struct il_prompt *p) IL_HIDDEN;

/* Prints the one line saying what was decided and closes the prompt. */
void il_prompt_close(struct il_prompt *p, enum il_answer a) IL_HIDDEN;

/* The prompt's clock: CLOCK_MONOTONIC in ms. */
long long il_now_ms(void) IL_HIDDEN;

#endif
