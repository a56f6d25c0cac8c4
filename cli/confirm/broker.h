/* The confirmation broker: the wrapper's end of the unix socket guarded
 * processes ask over when a rule says `confirm`.
 *
 * Protocol (SOCK_SEQPACKET, one packet per message, text `key=value` lines):
 *   request  v=1, rule=ID, word=WORD, why=TEXT, command=TEXT, target=PATH,
 *            cwd=PATH, exe=PATH; optionally argc=N followed by N lines arg=ARG
 *            (the exact argv for the audit record, each ARG with newline and
 *            backslash written as \n and \\; if the count is off, e.g. a
 *            truncated request, the record shows command instead).
 *            chain= is accepted and ignored: the broker builds the process
 *            chain itself from SO_PEERCRED and /proc.
 *   reply    "allow once\n" | "allow session\n" | "deny REASON\n"
 *            REASON: human, wrong-word, timeout, no-terminal, busy, invalid
 * Nothing a client of this socket can send approves anything: only
 * il_broker_answer(), called by the loop that owns the real terminal, and
 * the answer socket (answers.c), which takes answers only from outside
 * every guarded tree, produce an "allow".
 *
 * The broker does no I/O on its own: the loop (pty_proxy.c) polls its fds,
 * hands it the results, takes queued requests one at a time to prompt for and
 * reports the human's answer back. */
#ifndef IL_BROKER_H
#define IL_BROKER_H

#include <poll.h>
#include <sys/types.h>

#include "il.h"

/* How a question ended: enum il_answer (il.h, the engine's outcome module,
 * which also holds the words of each answer on the socket). */

struct il_broker_req;

struct il_broker_cfg {
	const char *session;    /* for audit records; must outlive the broker */
	const char *profile;    /* may be NULL */
	const char *audit_path; /* may be NULL: no audit */
	pid_t top;              /* the wrapper: where process chains stop; 0 = getpid() */
	/* Without a terminal, hold each question up to hold_s seconds for an
	 * answer from outside the tree (answers.c) instead of refusing it at
	 * once; 0: refuse at once. */
	int hold_s;
	/* Called once for each new question that waits (a notification);
	 * may be NULL. */
	void (*on_question)(void *ctx, const struct il_broker_req *r);
	void *on_question_ctx;
};

/* One distinct question (identical requests share one). Read-only for users. */
struct il_broker_req {
	const char *rule, *word, *why, *command, *target, *cwd, *exe;
	const char *event; /* event= of the request ("open", "delete"); NULL: an exec */
	char chain[1024]; /* "bash(12) > python3(34) > rm(56)", from /proc */
	pid_t pid;        /* the first asker (SO_PEERCRED) */
	/* private */
	const char *argv[65]; /* arg= lines, NULL-terminated */
	const char *ops[IL_MAX_OPS]; /* op= lines: the operations a yes approves (grants.h) */
	int nops;
	char id[16];          /* the question's name in the audit log ("q3") */
	struct il_broker_req *next;
	char *buf;
	struct il_broker_internal *internal; /* in-process askers (il_broker_ask_internal) */
	int waiters;
	int prompting;
	long long queued_ms;   /* CLOCK_MONOTONIC, when it began to wait */
	long long deadline_ms; /* held without a terminal: denied (timeout) then; 0: none */
	int remote;            /* 1 + the answer given from outside while the prompt was open */
};

struct il_broker;

/* Creates a listening SOCK_SEQPACKET socket at path (mode 0600, close-on-exec,
 * non-blocking). Returns the fd, or -1 with errno set. */
int il_broker_listen(const char *path) IL_HIDDEN;

/* Takes ownership of listen_fd. cfg is copied (its strings are not). */
struct il_broker *il_broker_new(int listen_fd, const struct il_broker_cfg *cfg) IL_HIDDEN;
/* Denies whatever is still waiting (no-terminal), closes every fd, frees. */
void il_broker_free(struct il_broker *b) IL_HIDDEN;

/* With can_prompt 0 (the default) every request is answered at once with
 * "deny no-terminal"; turning it off also denies everything queued. */
void il_broker_set_prompting(struct il_broker *b, int can_prompt) IL_HIDDEN;

/* Poll integration: fills up to cap entries (the listening socket and the
 * clients) and returns how many; after poll(), pass the same entries back. */
int il_broker_pollfds(struct il_broker *b, struct pollfd *p, int cap) IL_HIDDEN;
void il_broker_dispatch(struct il_broker *b, const struct pollfd *p, int n) IL_HIDDEN;

/* The next question to ask the human, marked as being asked; NULL if none. */
struct il_broker_req *il_broker_next(struct il_broker *b) IL_HIDDEN;
/* True when everyone who asked r has gone away (the prompt can be dropped). */
int il_broker_withdrawn(const struct il_broker_req *r) IL_HIDDEN;
/* Replies to every asker of r, audits, remembers a session approval, frees r. */
void il_broker_answer(struct il_broker *b, struct il_broker_req *r, enum il_answer a) IL_HIDDEN;

/* The profile given in the config (may be NULL), for the prompt. */
const char *il_broker_profile(const struct il_broker *b) IL_HIDDEN;

/* ---- answers from outside the guarded tree (answers.c) ---------------- */

/* Serves `interlock pending|approve|deny` on a second socket at path (mode
 * 0600; protocol: answer_wire.h). An answer counts only from a process of
 * the same user outside every guarded tree (outside.h). 0, or -1 with
 * errno set. */
int il_broker_listen_answers(struct il_broker *b, const char *path) IL_HIDDEN;
/* Denies held questions whose time is up (timeout). */
void il_broker_tick(struct il_broker *b) IL_HIDDEN;
/* Milliseconds until the next held question's time is up, -1 if none. */
int il_broker_wait_ms(const struct il_broker *b) IL_HIDDEN;
/* The answer given from outside for r while its prompt was open, or -1:
 * the loop then closes the prompt with it (il_broker_answer). */
int il_broker_remote_answer(const struct il_broker_req *r) IL_HIDDEN;
/* Can a question asked now be held for an answer (a terminal, or hold_s)? */
int il_broker_accepting(const struct il_broker *b) IL_HIDDEN;
/* Is there a terminal to ask on (not only questions held for hold_s)? */
int il_broker_can_prompt(const struct il_broker *b) IL_HIDDEN;

/* In a forked child before exec: closes the broker's fds (they are
 * close-on-exec too; this also covers a child that does not exec). */
void il_broker_close_in_child(const struct il_broker *b) IL_HIDDEN;


/* ---- in-process askers (the seccomp supervisor) ------------------------ */

/* A question from inside the wrapper. The strings are copied. */
struct il_broker_ask {
	const char *rule, *word, *why, *command, *target, *cwd, *exe;
	const char *const *argv; /* may be NULL */
	pid_t pid;               /* the process the question is about */
	const struct il_op *ops; /* the operations a yes approves (il_verdict) */
	int nops;
};
typedef void (*il_broker_done)(void *ctx, enum il_answer a);

/* Queues q like a client's request (same queue, prompt, de-duplication,
 * session approvals and audit records). done(ctx, answer) is called exactly
 * once: maybe before this returns, at the latest from il_broker_free(). */
void il_broker_ask_internal(struct il_broker *b, const struct il_broker_ask *q, il_broker_done done,
			    void *ctx) IL_HIDDEN;

/* How long an answer counts as "just approved" for il_broker_approved(). */
#define IL_BROKER_RECENT_MS 5000

/* True when the human allowed this operation (rule, target and the command
 * text they were shown) for pid or for ppid (posix_spawn and system ask in the
 * parent) within IL_BROKER_RECENT_MS, or a session approval covers it. Only
 * il_broker_answer() records approvals, so a client cannot create one. */
int il_broker_approved(struct il_broker *b, pid_t pid, pid_t ppid, const char *rule, const char *target,
		       const char *command, const char *cwd) IL_HIDDEN;

/* One more fd for the loop's poll set (one only): ready(ctx, revents) runs
 * from il_broker_dispatch() when poll reports anything on it. fd -1 removes it. */
void il_broker_watch(struct il_broker *b, int fd, void (*ready)(void *ctx, short revents), void *ctx) IL_HIDDEN;

#endif
