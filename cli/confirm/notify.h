/* Telling the human that a question waits: `interlock run --notify CMD`
 * runs CMD (with /bin/sh -c) for each new question, outside the guarded
 * tree (no preload, no session in its environment, no filter), with the
 * question in its environment:
 *
 *   INTERLOCK_QUESTION_ID       q3
 *   INTERLOCK_QUESTION_SESSION  the session id
 *   INTERLOCK_QUESTION_COMMAND  the command line, as the prompt shows it
 *   INTERLOCK_QUESTION_WHY      the rule's why
 *   INTERLOCK_QUESTION_RULE     the rule id
 *   INTERLOCK_QUESTION_WORD     what the human must type
 *   INTERLOCK_QUESTION_TARGET   the target ("" if none)
 *   INTERLOCK_QUESTION_CWD      the asking process's directory
 *
 * Text from the guarded tree reaches CMD only through these variables,
 * never through its command line. Without --notify, a session without a
 * terminal that holds questions (--prompt-timeout) runs `notify-send` when
 * it is installed and a desktop session is there to show it. The command
 * runs detached (double fork): the wrapper never waits for it. */
#ifndef IL_NOTIFY_H
#define IL_NOTIFY_H

#include "broker.h"

struct il_notify {
	const char *command;     /* sh -c COMMAND; NULL: none */
	const char *notify_send; /* the path of notify-send, for the default; NULL: none */
	const char *session;
	char **env;              /* the environment it runs with (il_notify_env) */
};

/* The environment notifications run with: the wrapper's, less what makes a
 * process guarded (LD_PRELOAD set to the wrapper's original, no INTERLOCK_
 * session variables). Call before LD_PRELOAD is changed. malloc'd. */
char **il_notify_env(void) IL_HIDDEN;
void il_notify_env_free(char **env) IL_HIDDEN;

/* The default notification command's program, when one should run: the
 * path of notify-send if installed and a desktop session is reachable,
 * else NULL (malloc'd). */
char *il_notify_default(void) IL_HIDDEN;

/* For il_broker_cfg.on_question: ctx is a struct il_notify. */
void il_notify_question(void *ctx, const struct il_broker_req *r) IL_HIDDEN;

#endif
