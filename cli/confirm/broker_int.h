/* The broker's state, shared by its two sockets' files: broker.c (the
 * guarded tree's questions) and answers.c (answers from outside the tree,
 * `interlock pending|approve|deny`). Nothing outside cli/confirm includes
 * this. */
#ifndef IL_BROKER_INT_H
#define IL_BROKER_INT_H

#include "broker.h"

#define MAX_CLIENTS 64  /* connections served at once; more are told "busy" */
#define MAX_QUEUED 32   /* distinct questions waiting; more are told "busy" */
#define MAX_PACKET 16384
#define MAX_CHAIN 32    /* processes shown in a chain */
#define MAX_ANSWERERS 8 /* connections to the answer socket served at once */

struct client {
	int fd;
	pid_t pid;
	struct il_broker_req *req; /* the question it waits for, or NULL */
};

/* A connection to the answer socket: its pidfd pins the process that
 * connected, so that the checks of answers.c read that process's /proc
 * and no other that might get its pid later. */
struct answerer {
	int fd;
	int pidfd; /* -1: none could be had (then the checks are racier) */
};

struct approval {
	struct approval *next;
	char *rule, *target, *cwd, *command;
	char *ops[IL_MAX_OPS]; /* the operations the question named (wire op lines) */
	int nops;
};

/* In-process askers (il_broker_ask_internal) of one question. */
struct il_broker_internal {
	struct il_broker_internal *next;
	il_broker_done done;
	void *ctx;
	pid_t pid;
};

/* What the human just allowed, for whom: lets the seccomp supervisor pass an
 * exec the preload already had approved instead of asking twice. */
#define MAX_RECENT 32
struct recent {
	pid_t pid;
	long long ms;
	char *rule, *target, *cwd, *command;
};

struct il_broker {
	int lfd;
	struct il_broker_cfg cfg;
	int can_prompt;
	struct client clients[MAX_CLIENTS];
	int nclients;
	struct il_broker_req *head, *tail; /* FIFO of distinct questions */
	int nqueued;
	struct approval *approvals;
	struct recent recent[MAX_RECENT]; /* ring, oldest overwritten */
	int nrecent;
	struct il_grants *grants; /* what an allow-once carries to */
	int nquestions;           /* for the questions' names */
	int watch_fd; /* il_broker_watch(), -1: none */
	void (*watch_ready)(void *ctx, short revents);
	void *watch_ctx;
	/* answers.c: the answer socket and who is connected to it */
	int afd; /* -1: none */
	struct answerer answerers[MAX_ANSWERERS];
	int nanswerers;
};

long long il_broker_mono_ms(void) IL_HIDDEN;

/* answers.c, for broker.c's poll integration and teardown. */
int il_answers_pollfds(struct il_broker *b, struct pollfd *p, int cap) IL_HIDDEN;
/* 1 when fd was one of the answer socket's (and was handled). */
int il_answers_dispatch(struct il_broker *b, int fd, short revents) IL_HIDDEN;
void il_answers_close(struct il_broker *b) IL_HIDDEN;
void il_answers_close_in_child(const struct il_broker *b) IL_HIDDEN;

#endif
