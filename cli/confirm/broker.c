/* The confirmation broker (see broker.h for the protocol). Requests are queued
 * and asked one at a time; identical requests collapse onto one question; a
 * session approval answers later identical requests without asking. Who is
 * asking comes from the kernel (SO_PEERCRED) and /proc, never from the
 * message, and the message has no field that approves anything. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "broker_int.h"
#include "grants.h"

long long il_broker_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void recent_clear(struct recent *e)
{
	free(e->rule), free(e->target), free(e->cwd), free(e->command);
	memset(e, 0, sizeof *e);
}

/* ---------------------------------------------------------------- socket */

int il_broker_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	/* umask before bind closes the window in which the socket would exist
	 * with looser permissions; the chmod is for the record. */
	mode_t old = umask(077);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (r < 0 || chmod(path, 0600) < 0 || listen(fd, 64) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* ---------------------------------------------------------------- /proc */

/* Name and parent of pid from /proc/PID/stat. The name sits in parentheses
 * and may itself contain ')' and spaces: the last ')' ends it. */
static int proc_stat(pid_t pid, char *name, size_t cap, pid_t *ppid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *open_ = strchr(buf, '('), *close_ = strrchr(buf, ')');
	if (!open_ || !close_ || close_ < open_)
		return -1;
	snprintf(name, cap, "%.*s", (int)(close_ - open_ - 1), open_ + 1);
	int pp = 0;
	if (sscanf(close_ + 1, " %*c %d", &pp) != 1)
		return -1;
	*ppid = pp;
	return 0;
}

/* "agent(10) > bash(12) > rm(13)": from the wrapper's child down to pid. A
 * chain that does not reach the wrapper (the asker was re-parented, e.g. it
 * daemonized) is marked as such. */
static void build_chain(pid_t pid, pid_t top, char *out, size_t cap)
{
	struct {
		pid_t pid;
		char name[32];
	} hop[MAX_CHAIN];
	int n = 0, reached = 0;
	pid_t p = pid;
	while (n < MAX_CHAIN && p > 1) {
		pid_t pp;
		if (proc_stat(p, hop[n].name, sizeof hop[n].name, &pp) < 0)
			break;
		hop[n++].pid = p;
		if (pp == top) {
			reached = 1;
			break;
		}
		p = pp;
	}
	size_t len = 0;
	out[0] = 0;
	if (!reached)
		len += (size_t)snprintf(out, cap, "(not under this session's command) ");
	for (int i = n - 1; i >= 0 && len < cap; i--)
		len += (size_t)snprintf(out + len, cap - len, "%s(%d)%s", hop[i].name, (int)hop[i].pid, i ? " > " : "");
}

static long parent_of(pid_t pid)
{
	char name[32];
	pid_t pp;
	return proc_stat(pid, name, sizeof name, &pp) == 0 ? (long)pp : 0;
}

/* ---------------------------------------------------------------- answers */

/* The answer's line on the socket (outcome.c has the words). */
static const char *reply_text(enum il_answer a)
{
	static char lines[IL_ANS_COUNT][32];
	const char *r = il_answer_reply(a);
	if (!r)
		r = il_answer_reply(IL_ANS_HUMAN); /* an answer never sent is a no */
	snprintf(lines[a], sizeof lines[a], "%s\n", r);
	return lines[a];
}

static void audit_as(struct il_broker *b, const struct il_broker_req *r, pid_t pid, const char *decision,
		     const char *by, const char *approval)
{
	if (!b->cfg.audit_path)
		return;
	/* Without arg= lines the command's display string is the argv the
	 * record can honestly show. */
	const char *one[] = { r->command, 0 };
	struct il_audit_rec rec = {
		.session = b->cfg.session, .profile = b->cfg.profile,
		.pid = (long)pid, .ppid = parent_of(pid),
		.exe = r->exe, .argv = r->argv[0] ? r->argv : one, .cwd = r->cwd,
		.event = r->event && *r->event ? r->event : "exec", .rule = r->rule, .action = IL_CONFIRM,
		.decision = decision, .by = by, .approval = approval,
	};
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	char buf[65536];
	size_t n = il_audit_format(buf, sizeof buf, &rec, (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	if (n)
		il_audit_append(b->cfg.audit_path, buf, n);
}

/* A decision's record; a human's answer (at the prompt, or from outside
 * with `interlock approve|deny`) names the question it answered. */
static void audit(struct il_broker *b, const struct il_broker_req *r, pid_t pid, const char *decision,
		  const char *by)
{
	int human = !strcmp(by, "human") || !strcmp(by, "remote");
	audit_as(b, r, pid, decision, by, r->id[0] && human ? r->id : 0);
}

static void send_reply(int fd, const char *text)
{
	/* A client that has gone away must not kill the wrapper (SIGPIPE). */
	(void)!send(fd, text, strlen(text), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* ---------------------------------------------------------------- requests */

/* Splits the request's KEY=VALUE lines (il.h, "wire") in place. Returns 0
 * if the request is usable. */
static int parse(struct il_broker_req *r)
{
	const char *val[IL_W_NKEYS] = { 0 };
	int nargs = 0, argc = -1;
	for (char *line = r->buf; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		char *eq = strchr(line, '=');
		if (eq) {
			*eq = 0;
			int k = il_wire_key(line);
			if (k == IL_W_ARG) {
				if (nargs++ < 64) {
					il_wire_unescape(eq + 1);
					r->argv[nargs - 1] = eq + 1;
				}
			} else if (k == IL_W_OP) {
				if (r->nops < IL_MAX_OPS) {
					il_wire_unescape(eq + 1);
					r->ops[r->nops++] = eq + 1;
				}
			} else if (k == IL_W_ARGC) {
				argc = atoi(eq + 1);
			} else if (k >= 0) {
				val[k] = eq + 1;
			} /* unknown keys: ignored */
		}
		line = nl ? nl + 1 : 0;
	}
	if (nargs != argc || nargs > 64) /* not the whole argv: the command string stands in */
		r->argv[0] = 0;
	if (!val[IL_W_VERSION] || strcmp(val[IL_W_VERSION], IL_WIRE_VERSION) || !val[IL_W_RULE] ||
	    !*val[IL_W_RULE] || !val[IL_W_WORD] || !*val[IL_W_WORD])
		return -1;
	r->rule = val[IL_W_RULE];
	r->word = val[IL_W_WORD];
	r->why = val[IL_W_WHY] ? val[IL_W_WHY] : "";
	r->command = val[IL_W_COMMAND] ? val[IL_W_COMMAND] : "";
	r->target = val[IL_W_TARGET] ? val[IL_W_TARGET] : "";
	r->cwd = val[IL_W_CWD] ? val[IL_W_CWD] : "";
	r->exe = val[IL_W_EXE] ? val[IL_W_EXE] : "";
	r->event = val[IL_W_EVENT];
	return 0;
}

static void req_free(struct il_broker_req *r)
{
	if (r) {
		free(r->buf);
		free(r);
	}
}

/* Two requests are the same question when rule, target and command agree;
 * without a target the command is relative to cwd, so cwd counts too. */
static int same_question(const struct il_broker_req *a, const struct il_broker_req *b)
{
	return !strcmp(a->rule, b->rule) && !strcmp(a->target, b->target) && !strcmp(a->command, b->command) &&
	       (*a->target || !strcmp(a->cwd, b->cwd));
}

/* What a session approval covers: rule + target, or rule + cwd + command
 * when the rule has no target (a relative command means something else
 * elsewhere). */
static int has_op(const struct approval *a, const char *op)
{
	for (int i = 0; i < a->nops; i++)
		if (!strcmp(a->ops[i], op))
			return 1;
	return 0;
}

static int covers(const struct approval *a, const struct il_broker_req *r)
{
	/* the very operations the human allowed (a shell string's rm, then
	 * the rm the shell execs): each of the request's among them */
	int all = r->nops > 0 && a->nops > 0;
	for (int i = 0; all && i < r->nops; i++)
		all = has_op(a, r->ops[i]);
	if (all)
		return 1;
	if (strcmp(a->rule, r->rule) || strcmp(a->target, r->target))
		return 0;
	return *r->target || (!strcmp(a->cwd, r->cwd) && !strcmp(a->command, r->command));
}

static int session_approved(const struct il_broker *b, const struct il_broker_req *r)
{
	for (const struct approval *a = b->approvals; a; a = a->next)
		if (covers(a, r))
			return 1;
	return 0;
}

static void approval_free(struct approval *a)
{
	free(a->rule), free(a->target), free(a->cwd), free(a->command);
	for (int i = 0; i < a->nops; i++)
		free(a->ops[i]);
	free(a);
}

static void remember_approval(struct il_broker *b, const struct il_broker_req *r)
{
	if (session_approved(b, r))
		return;
	struct approval *a = calloc(1, sizeof *a);
	if (!a)
		return;
	a->rule = strdup(r->rule), a->target = strdup(r->target);
	a->cwd = strdup(*r->target ? "" : r->cwd), a->command = strdup(*r->target ? "" : r->command);
	for (int i = 0; i < r->nops; i++)
		if ((a->ops[a->nops] = strdup(r->ops[i])))
			a->nops++;
	if (!a->rule || !a->target || !a->cwd || !a->command) {
		approval_free(a); /* not remembered: the next request asks again */
		return;
	}
	a->next = b->approvals;
	b->approvals = a;
}

static void unqueue(struct il_broker *b, struct il_broker_req *r)
{
	struct il_broker_req **pp = &b->head, *prev = 0;
	while (*pp && *pp != r)
		prev = *pp, pp = &(*pp)->next;
	if (!*pp)
		return;
	*pp = r->next;
	if (b->tail == r)
		b->tail = prev;
	b->nqueued--;
}

/* Remembers that the human allowed r for pid (settle(), and the exec an
 * earlier yes carried to): the supervisor then passes that exec too. */
static void remember_recent(struct il_broker *b, const struct il_broker_req *r, pid_t pid)
{
	struct recent *e = &b->recent[b->nrecent++ % MAX_RECENT];
	recent_clear(e);
	e->rule = strdup(r->rule), e->target = strdup(r->target);
	e->cwd = strdup(r->cwd), e->command = strdup(r->command);
	if (!e->rule || !e->target || !e->cwd || !e->command) {
		recent_clear(e); /* not remembered: the supervisor asks again */
		return;
	}
	e->pid = pid;
	e->ms = il_broker_mono_ms();
}

/* A delete below what a human just allowed, by the process allowed or one
 * it started: part of that operation (grants.h). Its record names the
 * question. */
static int carried_to_delete(struct il_broker *b, struct il_broker_req *r)
{
	return r->event && !strcmp(r->event, "delete") && !r->nops &&
	       il_grants_cover(b->grants, r->pid, b->cfg.top, r->target, r->id, sizeof r->id);
}

/* A statement a client library sends, which the human already allowed at
 * the client's exec (its stdin or a file held it). */
static int carried_to_sql(struct il_broker *b, struct il_broker_req *r)
{
	return r->event && !strcmp(r->event, "sql") &&
	       il_grants_carry(b->grants, r->pid, b->cfg.top, r->rule, r->target, r->id, sizeof r->id);
}

int il_broker_accepting(const struct il_broker *b)
{
	return b->can_prompt || b->cfg.hold_s > 0;
}

int il_broker_can_prompt(const struct il_broker *b)
{
	return b->can_prompt;
}

/* A new distinct question joins the queue: it gets its name, its process
 * chain and, held without a terminal, the time it may wait; whoever asked
 * to be told about waiting questions is told. */
static void enqueue(struct il_broker *b, struct il_broker_req *r)
{
	build_chain(r->pid, b->cfg.top, r->chain, sizeof r->chain);
	snprintf(r->id, sizeof r->id, "q%d", ++b->nquestions);
	r->waiters = 1;
	r->queued_ms = il_broker_mono_ms();
	if (!b->can_prompt)
		r->deadline_ms = r->queued_ms + (long long)b->cfg.hold_s * 1000;
	if (b->tail)
		b->tail->next = r;
	else
		b->head = r;
	b->tail = r;
	b->nqueued++;
	if (b->cfg.on_question)
		b->cfg.on_question(b->cfg.on_question_ctx, r);
}

/* A fresh request from client c: answer it now or queue it. */
static void take_request(struct il_broker *b, struct client *c, struct il_broker_req *r)
{
	r->pid = c->pid;
	if (!il_broker_accepting(b)) {
		send_reply(c->fd, reply_text(IL_ANS_NO_TERMINAL));
		audit(b, r, c->pid, "denied", "no-terminal");
		req_free(r);
		return;
	}
	/* a session's yes first: its grants (kept for the deletes it carries
	 * to) would name it as a single yes */
	if (session_approved(b, r)) {
		send_reply(c->fd, reply_text(IL_ANS_SESSION));
		audit(b, r, c->pid, "allowed", "session-approval");
		req_free(r);
		return;
	}
	if (il_grants_take(b->grants, c->pid, b->cfg.top, r->ops, r->nops, r->id, sizeof r->id)) {
		/* a yes to the shell string that named this very operation: its
		 * record names that question */
		send_reply(c->fd, reply_text(IL_ANS_ONCE));
		audit(b, r, c->pid, "allowed", "human");
		remember_recent(b, r, c->pid);
		req_free(r);
		return;
	}
	if (carried_to_delete(b, r) || carried_to_sql(b, r)) { /* what a human allowed at exec: rm -rf deleting, psql sending */
		send_reply(c->fd, reply_text(IL_ANS_ONCE));
		audit(b, r, c->pid, "allowed", "human");
		req_free(r);
		return;
	}
	for (struct il_broker_req *q = b->head; q; q = q->next)
		if (same_question(q, r)) {
			c->req = q;
			q->waiters++;
			req_free(r);
			return;
		}
	if (b->nqueued >= MAX_QUEUED) {
		send_reply(c->fd, reply_text(IL_ANS_BUSY));
		audit(b, r, c->pid, "denied", "busy");
		req_free(r);
		return;
	}
	c->req = r;
	enqueue(b, r);
}

/* ---------------------------------------------------------------- clients */

static void drop_client(struct il_broker *b, int i)
{
	struct client *c = &b->clients[i];
	struct il_broker_req *r = c->req;
	if (r && --r->waiters == 0 && !r->prompting) {
		/* Nobody is waiting and nobody was asked: forget it. */
		unqueue(b, r);
		req_free(r);
	}
	close(c->fd);
	b->clients[i] = b->clients[--b->nclients];
}

static void accept_clients(struct il_broker *b)
{
	for (;;) {
		int fd = accept4(b->lfd, 0, 0, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		struct ucred cr;
		socklen_t len = sizeof cr;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || cr.uid != getuid()) {
			close(fd); /* not ours: the socket is 0600 anyway */
			continue;
		}
		if (b->nclients >= MAX_CLIENTS) {
			/* The reply is queued before the request arrives;
			 * the client reads it after sending. */
			send_reply(fd, reply_text(IL_ANS_BUSY));
			close(fd);
			continue;
		}
		b->clients[b->nclients++] = (struct client){ fd, cr.pid, 0 };
	}
}

/* Reads one packet from client i. Returns -1 when the client is gone. */
static int read_client(struct il_broker *b, int i)
{
	struct client *c = &b->clients[i];
	char *buf = malloc(MAX_PACKET + 1);
	if (!buf)
		return 0;
	ssize_t n = recv(c->fd, buf, MAX_PACKET, MSG_TRUNC | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		free(buf);
		return 0;
	}
	if (n <= 0) {
		free(buf);
		return -1;
	}
	if (c->req || n > MAX_PACKET) {
		/* One question at a time per connection; oversized is invalid. */
		send_reply(c->fd, c->req ? reply_text(IL_ANS_BUSY) : "deny invalid\n");
		free(buf);
		return 0;
	}
	buf[n] = 0;
	struct il_broker_req *r = calloc(1, sizeof *r);
	if (!r) {
		free(buf);
		send_reply(c->fd, reply_text(IL_ANS_BUSY));
		return 0;
	}
	r->buf = buf;
	if (parse(r) < 0) {
		send_reply(c->fd, "deny invalid\n");
		req_free(r);
		return 0;
	}
	take_request(b, c, r);
	return 0;
}

/* ---------------------------------------------------------------- public */

struct il_broker *il_broker_new(int listen_fd, const struct il_broker_cfg *cfg)
{
	struct il_broker *b = calloc(1, sizeof *b);
	if (!b)
		return 0;
	b->lfd = listen_fd;
	b->watch_fd = -1;
	b->afd = -1;
	b->cfg = *cfg;
	if (!b->cfg.top)
		b->cfg.top = getpid();
	b->grants = il_grants_new();
	return b;
}

static void deny_all(struct il_broker *b, enum il_answer a)
{
	while (b->head)
		il_broker_answer(b, b->head, a);
}

void il_broker_free(struct il_broker *b)
{
	if (!b)
		return;
	deny_all(b, IL_ANS_NO_TERMINAL);
	while (b->nclients)
		drop_client(b, b->nclients - 1);
	il_answers_close(b);
	if (b->lfd >= 0)
		close(b->lfd);
	while (b->approvals) {
		struct approval *a = b->approvals;
		b->approvals = a->next;
		approval_free(a);
	}
	for (int i = 0; i < MAX_RECENT; i++)
		recent_clear(&b->recent[i]);
	il_grants_free(b->grants);
	free(b);
}

void il_broker_set_prompting(struct il_broker *b, int can_prompt)
{
	b->can_prompt = can_prompt;
	if (!can_prompt)
		deny_all(b, IL_ANS_NO_TERMINAL);
}

int il_broker_pollfds(struct il_broker *b, struct pollfd *p, int cap)
{
	int n = 0;
	if (b->watch_fd >= 0 && n < cap) /* first: never cut off by many clients */
		p[n++] = (struct pollfd){ b->watch_fd, POLLIN, 0 };
	if (b->lfd >= 0 && n < cap)
		p[n++] = (struct pollfd){ b->lfd, POLLIN, 0 };
	/* before the clients: a full set must not cut off the human's answers */
	n += il_answers_pollfds(b, p + n, cap - n);
	for (int i = 0; i < b->nclients && n < cap; i++)
		p[n++] = (struct pollfd){ b->clients[i].fd, POLLIN, 0 };
	return n;
}

static int client_index(const struct il_broker *b, int fd)
{
	for (int i = 0; i < b->nclients; i++)
		if (b->clients[i].fd == fd)
			return i;
	return -1;
}

void il_broker_dispatch(struct il_broker *b, const struct pollfd *p, int n)
{
	for (int k = 0; k < n; k++) {
		if (!p[k].revents)
			continue;
		if (p[k].fd == b->watch_fd && b->watch_fd >= 0) {
			b->watch_ready(b->watch_ctx, p[k].revents);
			continue;
		}
		if (p[k].fd == b->lfd) {
			accept_clients(b);
			continue;
		}
		if (il_answers_dispatch(b, p[k].fd, p[k].revents))
			continue;
		int i = client_index(b, p[k].fd);
		if (i < 0)
			continue;
		/* Read before looking at HUP: a client may send and close. */
		int gone = (p[k].revents & POLLIN) ? read_client(b, i) < 0 : 0;
		if (gone || (p[k].revents & (POLLHUP | POLLERR | POLLNVAL)))
			drop_client(b, i);
	}
}

struct il_broker_req *il_broker_next(struct il_broker *b)
{
	if (!b->can_prompt || !b->head || b->head->prompting)
		return 0;
	b->head->prompting = 1;
	return b->head;
}

int il_broker_withdrawn(const struct il_broker_req *r)
{
	return r->waiters <= 0;
}

/* Tells r's in-process askers; each callback runs once, r stays intact. */
static int settle_internal(struct il_broker *b, struct il_broker_req *r, enum il_answer a, const char *by)
{
	int told = 0;
	while (r->internal) {
		struct il_broker_internal *w = r->internal;
		r->internal = w->next;
		audit(b, r, w->pid, il_answer_decision(a), by);
		if (a == IL_ANS_ONCE || a == IL_ANS_SESSION)
			remember_recent(b, r, w->pid);
		w->done(w->ctx, a);
		free(w);
		told++;
	}
	return told;
}

/* Replies a to everyone waiting for r, audits each, frees r. */
static void settle(struct il_broker *b, struct il_broker_req *r, enum il_answer a, const char *by)
{
	const char *decision = il_answer_decision(a);
	if (r->remote && !strcmp(by, "human")) /* answered with interlock approve|deny */
		by = "remote";
	int told = 0;
	for (int i = 0; i < b->nclients; i++) {
		struct client *c = &b->clients[i];
		if (c->req != r)
			continue;
		send_reply(c->fd, reply_text(a));
		audit(b, r, c->pid, decision, by);
		if (a == IL_ANS_ONCE || a == IL_ANS_SESSION)
			remember_recent(b, r, c->pid);
		c->req = 0;
		told++;
	}
	told += settle_internal(b, r, a, by);
	if (!told) /* withdrawn: the question was still asked, record it */
		audit(b, r, r->pid, decision, by);
	unqueue(b, r);
	req_free(r);
}

void il_broker_answer(struct il_broker *b, struct il_broker_req *r, enum il_answer a)
{
	if (a == IL_ANS_SESSION)
		remember_approval(b, r);
	if (a == IL_ANS_ONCE || a == IL_ANS_SESSION) /* a session's yes carries to deletes too */
		il_grants_add(b->grants, r->id, r->pid, r->ops, r->nops);
	settle(b, r, a, il_answer_by(a));
	if (a != IL_ANS_SESSION)
		return;
	/* Questions queued meanwhile that the approval covers are answered
	 * by it (same rule and target, different command text). */
	struct il_broker_req *q = b->head;
	while (q) {
		struct il_broker_req *next = q->next;
		if (!q->prompting && session_approved(b, q))
			settle(b, q, IL_ANS_SESSION, "session-approval");
		q = next;
	}
}

const char *il_broker_profile(const struct il_broker *b)
{
	return b->cfg.profile;
}

void il_broker_close_in_child(const struct il_broker *b)
{
	if (b->lfd >= 0)
		close(b->lfd);
	for (int i = 0; i < b->nclients; i++)
		close(b->clients[i].fd);
	il_answers_close_in_child(b);
}

/* ---------------------------------------------------------------- in-process */

/* A request that owns copies of q's strings, as if parsed from a packet. */
static struct il_broker_req *req_from_ask(const struct il_broker_ask *q)
{
	const char *src[7] = { q->rule, q->word, q->why, q->command, q->target, q->cwd, q->exe };
	size_t n = 0;
	int argc = 0, nops = q->nops < IL_MAX_OPS ? q->nops : IL_MAX_OPS;
	for (int i = 0; i < 7; i++)
		n += strlen(src[i] ? src[i] : "") + 1;
	for (int i = 0; i < nops; i++) /* RULE\tTARGET\tKEY, as on the wire */
		n += strlen(q->ops[i].rule_id) + strlen(q->ops[i].target ? q->ops[i].target : "") +
		     strlen(q->ops[i].key) + 3;
	while (q->argv && q->argv[argc] && argc < 64)
		n += strlen(q->argv[argc++]) + 1;
	struct il_broker_req *r = calloc(1, sizeof *r);
	char *p = r ? malloc(n) : 0;
	if (!p) {
		free(r);
		return 0;
	}
	r->buf = p;
	const char **dst[7] = { &r->rule, &r->word, &r->why, &r->command, &r->target, &r->cwd, &r->exe };
	for (int i = 0; i < 7; i++) {
		*dst[i] = p;
		p = stpcpy(p, src[i] ? src[i] : "") + 1;
	}
	for (int i = 0; i < argc; i++) {
		r->argv[i] = p;
		p = stpcpy(p, q->argv[i]) + 1;
	}
	if (q->argv && q->argv[argc]) /* longer than we keep: the command stands in */
		r->argv[0] = 0;
	for (int i = 0; i < nops; i++) {
		r->ops[r->nops++] = p;
		p += sprintf(p, "%s\t%s\t%s", q->ops[i].rule_id, q->ops[i].target ? q->ops[i].target : "",
			     q->ops[i].key) + 1;
	}
	return r;
}

/* Answers r's in-process askers at once and frees r (never queued). */
static void answer_internal_now(struct il_broker *b, struct il_broker_req *r, enum il_answer a, const char *by)
{
	settle_internal(b, r, a, by);
	req_free(r);
}

void il_broker_ask_internal(struct il_broker *b, const struct il_broker_ask *q, il_broker_done done, void *ctx)
{
	struct il_broker_internal *w = calloc(1, sizeof *w);
	struct il_broker_req *r = w && q->rule && *q->rule && q->word && *q->word ? req_from_ask(q) : 0;
	if (!r) {
		free(w);
		done(ctx, IL_ANS_BUSY);
		return;
	}
	*w = (struct il_broker_internal){ 0, done, ctx, q->pid };
	r->pid = q->pid;
	r->internal = w;
	if (!il_broker_accepting(b)) {
		answer_internal_now(b, r, IL_ANS_NO_TERMINAL, "no-terminal");
		return;
	}
	if (session_approved(b, r)) {
		answer_internal_now(b, r, IL_ANS_SESSION, "session-approval");
		return;
	}
	if (il_grants_take(b->grants, r->pid, b->cfg.top, r->ops, r->nops, r->id, sizeof r->id)) {
		answer_internal_now(b, r, IL_ANS_ONCE, "human");
		return;
	}
	if (carried_to_delete(b, r) || carried_to_sql(b, r)) {
		answer_internal_now(b, r, IL_ANS_ONCE, "human");
		return;
	}
	for (struct il_broker_req *o = b->head; o; o = o->next)
		if (same_question(o, r)) {
			r->internal = 0;
			w->next = o->internal;
			o->internal = w;
			o->waiters++;
			req_free(r);
			return;
		}
	if (b->nqueued >= MAX_QUEUED) {
		answer_internal_now(b, r, IL_ANS_BUSY, "busy");
		return;
	}
	enqueue(b, r);
}

int il_broker_approved(struct il_broker *b, pid_t pid, pid_t ppid, const char *rule, const char *target,
		       const char *command, const char *cwd)
{
	struct il_broker_req probe = { .rule = rule, .target = target ? target : "", .command = command, .cwd = cwd };
	if (session_approved(b, &probe))
		return 1;
	long long now = il_broker_mono_ms();
	for (int i = 0; i < MAX_RECENT; i++) {
		const struct recent *e = &b->recent[i];
		if (!e->rule || (e->pid != pid && e->pid != ppid) || now - e->ms > IL_BROKER_RECENT_MS)
			continue;
		if (!strcmp(e->rule, rule) && !strcmp(e->target, probe.target) && !strcmp(e->command, command) &&
		    (*probe.target || !strcmp(e->cwd, cwd)))
			return 1;
	}
	return 0;
}

void il_broker_watch(struct il_broker *b, int fd, void (*ready)(void *ctx, short revents), void *ctx)
{
	b->watch_fd = fd;
	b->watch_ready = ready;
	b->watch_ctx = ctx;
}
