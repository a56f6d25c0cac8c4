/* The answer socket's messages (<session dir>/answer.sock): what `interlock
 * pending|approve|deny` and the hook send, and what the broker answers
 * (answers.c). Kept apart from the guarded tree's request protocol
 * (broker.h): that one has no way to say "approve", and this one is served
 * only to processes outside every guarded tree when it approves or denies.
 *
 * SOCK_SEQPACKET, one packet per message, text KEY=VALUE lines; in a value
 * a newline is written \n and a backslash \\.
 *
 *   request  v=1
 *            op=list                       the questions waiting
 *            op=show    id=Q               one of them, whole
 *            op=answer  id=Q typed=TEXT    what the human typed at approve's
 *                                          prompt or gave with --word; the
 *                                          broker decides what it means, as
 *                                          at its own prompt
 *            op=deny    id=Q
 *   reply    status=ok|missing|refused|invalid, message=TEXT (not ok)
 *            list/show: session=ID terminal=0|1 hold=SECONDS, then per
 *            question id=, rule=, word=, why=, command=, target=, cwd=, exe=,
 *            process=, event=, age=SECONDS, left=SECONDS (-1: no limit of its
 *            own), asking=0|1 (on the session's terminal now); a list cut
 *            short says more=N
 *            answer/deny: decision=allowed|denied, outcome=TEXT
 *
 * `id=` starts each question of a list. */
#ifndef IL_ANSWER_WIRE_H
#define IL_ANSWER_WIRE_H

#include <stddef.h>

#include "il.h"

#define IL_AW_VERSION "1"
#define IL_AW_SOCKET "answer.sock" /* in the session directory */
#define IL_AW_MAX 196608           /* the largest packet either side sends */

struct il_aw {
	char *buf;
	size_t n, cap;
	int overflow; /* something did not fit: the message is cut short */
};

/* Appends KEY=VALUE (escaped); at most max bytes of the value (0: all). */
void il_aw_put(struct il_aw *m, const char *key, const char *val, size_t max) IL_HIDDEN;
void il_aw_num(struct il_aw *m, const char *key, long long v) IL_HIDDEN;

/* The next KEY=VALUE line of the message at *cursor (NUL-terminated, cut
 * and unescaped in place). 1 with *key and *val set, 0 at the end. */
int il_aw_next(char **cursor, char **key, char **val) IL_HIDDEN;

#endif
