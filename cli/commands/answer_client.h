/* The asking side of the answer socket (cli/confirm/answer_wire.h): finding
 * the user's sessions, listing their questions, answering one. Used by
 * `interlock pending`, `approve`, `deny` and the hook mode. */
#ifndef IL_ANSWER_CLIENT_H
#define IL_ANSWER_CLIENT_H

#include <stdio.h>

#include "answer_wire.h"

struct il_question {
	const char *session, *profile, *sock;
	const char *id, *rule, *word, *why, *command, *target, *cwd, *exe, *process, *event;
	long long age, left;   /* seconds waited; seconds left (-1: no limit of its own) */
	int asking;            /* on the session's terminal now */
	int terminal, hold;    /* the session has a terminal; holds questions this long */
};

struct il_questions {
	struct il_question *q;
	int n;
	char **bufs; /* the replies the strings point into */
	int nbufs;
	int more;    /* questions left out of a list cut short */
};

/* One request on a new connection to sock; the reply (NUL-terminated) into
 * reply. Its length, or -1 with errno set. fd_out, if not NULL, keeps the
 * connection open for another call (il_answer_again). */
long il_answer_call(const char *sock, const struct il_aw *req, char *reply, size_t cap, int *fd_out) IL_HIDDEN;
long il_answer_again(int fd, const struct il_aw *req, char *reply, size_t cap) IL_HIDDEN;

/* Every question waiting in the user's sessions ($XDG_RUNTIME_DIR/interlock
 * and /tmp/interlock-UID), oldest session directory first. 0, or -1 when
 * out of memory. */
int il_questions_list(struct il_questions *qs) IL_HIDDEN;
/* Only the session whose answer socket is sock (its header, even without
 * questions: terminal and hold say whether it can ask anyone). */
int il_questions_of(const char *sock, struct il_questions *qs, struct il_question *header) IL_HIDDEN;
void il_questions_free(struct il_questions *qs) IL_HIDDEN;

/* The reply's status= and message= ("" when absent), parsed in place. */
void il_answer_status(char *reply, const char **status, const char **message, const char **decision,
		      const char **outcome) IL_HIDDEN;

/* Text from the guarded tree, printed with control characters, C1 controls
 * and bidirectional overrides shown as \xNN: it must not draw on the
 * terminal of whoever reads it. */
void il_print_safe(FILE *f, const char *s) IL_HIDDEN;

#endif
