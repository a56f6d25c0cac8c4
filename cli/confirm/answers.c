/* Answers from outside the guarded tree: the broker's second socket
 * (answer_wire.h), where `interlock pending` lists the questions waiting,
 * and `interlock approve|deny` answers one. Listing is open to every
 * process of the user (the questions are the agent's own; the hook mode
 * reads whether the session can ask anyone); an answer counts only from a
 * process outside every guarded tree (outside.h).
 *
 * Without a terminal (cfg.hold_s) a question waits here until such an
 * answer or its time is up (il_broker_tick); with one, it is asked on the
 * terminal as well, and whichever answer comes first decides: an answer
 * from outside while the prompt is open is left in the question for the
 * loop, which closes the prompt with it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "answer_wire.h"
#include "broker_int.h"
#include "outside.h"

#define LIST_FIELD_MAX 1024 /* bytes of one field in a list; show sends all */

int il_broker_listen_answers(struct il_broker *b, const char *path)
{
	int fd = il_broker_listen(path);
	if (fd < 0)
		return -1;
	b->afd = fd;
	return 0;
}

int il_answers_pollfds(struct il_broker *b, struct pollfd *p, int cap)
{
	int n = 0;
	if (b->afd >= 0 && n < cap)
		p[n++] = (struct pollfd){ b->afd, POLLIN, 0 };
	for (int i = 0; i < b->nanswerers && n < cap; i++)
		p[n++] = (struct pollfd){ b->answerers[i].fd, POLLIN, 0 };
	return n;
}

static void drop_answerer(struct il_broker *b, int i)
{
	close(b->answerers[i].fd);
	if (b->answerers[i].pidfd >= 0)
		close(b->answerers[i].pidfd);
	b->answerers[i] = b->answerers[--b->nanswerers];
}

void il_answers_close(struct il_broker *b)
{
	while (b->nanswerers)
		drop_answerer(b, b->nanswerers - 1);
	if (b->afd >= 0)
		close(b->afd);
	b->afd = -1;
}

void il_answers_close_in_child(const struct il_broker *b)
{
	if (b->afd >= 0)
		close(b->afd);
	for (int i = 0; i < b->nanswerers; i++) {
		close(b->answerers[i].fd);
		if (b->answerers[i].pidfd >= 0)
			close(b->answerers[i].pidfd);
	}
}

static void accept_answerers(struct il_broker *b)
{
	for (;;) {
		int fd = accept4(b->afd, 0, 0, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		if (b->nanswerers >= MAX_ANSWERERS) {
			close(fd); /* the caller sees the hang-up and tries again */
			continue;
		}
		/* the process is pinned now, while it is surely the one that connected */
		b->answerers[b->nanswerers++] = (struct answerer){ fd, il_peer_pidfd(fd) };
	}
}

/* ---------------------------------------------------------------- replies */

static struct il_broker_req *find(struct il_broker *b, const char *id)
{
	for (struct il_broker_req *r = b->head; r && id; r = r->next)
		if (!strcmp(r->id, id) && !r->remote)
			return r;
	return 0;
}

static void put_question(struct il_aw *m, const struct il_broker_req *r, size_t max, long long now)
{
	il_aw_put(m, "id", r->id, 0);
	il_aw_put(m, "rule", r->rule, max);
	il_aw_put(m, "word", r->word, 0);
	il_aw_put(m, "why", r->why, max);
	il_aw_put(m, "command", r->command, max);
	il_aw_put(m, "target", r->target, max);
	il_aw_put(m, "cwd", r->cwd, max);
	il_aw_put(m, "exe", r->exe, max);
	il_aw_put(m, "process", r->chain, max);
	il_aw_put(m, "event", r->event && *r->event ? r->event : "exec", 0);
	il_aw_num(m, "age", (now - r->queued_ms) / 1000);
	il_aw_num(m, "left", r->deadline_ms ? (r->deadline_ms - now + 999) / 1000 : -1);
	il_aw_num(m, "asking", r->prompting);
}

static void put_session(struct il_broker *b, struct il_aw *m)
{
	il_aw_put(m, "status", "ok", 0);
	il_aw_put(m, "session", b->cfg.session, 0);
	il_aw_put(m, "profile", b->cfg.profile ? b->cfg.profile : "", 0);
	il_aw_num(m, "terminal", b->can_prompt);
	il_aw_num(m, "hold", b->cfg.hold_s);
}

/* Every question still open, as many as fit; the rest are counted. */
static void reply_list(struct il_broker *b, struct il_aw *m)
{
	put_session(b, m);
	long long now = il_broker_mono_ms();
	int more = 0;
	for (struct il_broker_req *r = b->head; r; r = r->next) {
		if (r->remote)
			continue; /* answered; the loop settles it now */
		size_t before = m->n;
		put_question(m, r, LIST_FIELD_MAX, now);
		if (m->overflow) { /* a list cut at a question, never inside one */
			m->n = before, m->buf[before] = 0, m->overflow = 0;
			more++;
		}
	}
	if (more)
		il_aw_num(m, "more", more);
}

static void reply_error(struct il_aw *m, const char *status, const char *message)
{
	il_aw_put(m, "status", status, 0);
	il_aw_put(m, "message", message, 0);
}

/* An answer from the process at w for question id: typed (what the human
 * typed) or a plain no. */
static void reply_answer(struct il_broker *b, struct answerer *w, const char *id, const char *typed, int deny,
			 struct il_aw *m)
{
	struct il_broker_req *r = find(b, id);
	if (!r) {
		reply_error(m, "missing", "no such question is waiting (answered, timed out, or withdrawn)");
		return;
	}
	char why[1024];
	if (!il_peer_outside(w->fd, w->pidfd, b->cfg.top, why, sizeof why)) {
		char msg[1200];
		snprintf(msg, sizeof msg, "an answer must come from outside every guarded session: %s", why);
		reply_error(m, "refused", msg);
		return;
	}
	enum il_answer a = deny ? IL_ANS_HUMAN : il_prompt_decide(typed ? typed : "", r->word);
	il_aw_put(m, "status", "ok", 0);
	il_aw_put(m, "decision", il_answer_decision(a), 0);
	il_aw_put(m, "outcome", il_prompt_outcome(a), 0);
	r->remote = 1 + (int)a;
	/* On the terminal now: the loop closes the prompt with this answer. */
	if (!r->prompting)
		il_broker_answer(b, r, a);
}

static void handle(struct il_broker *b, struct answerer *w, char *msg, struct il_aw *m)
{
	const char *op = 0, *id = 0, *typed = 0, *v = 0;
	char *cur = msg, *key, *val;
	while (il_aw_next(&cur, &key, &val)) {
		if (!strcmp(key, "v"))
			v = val;
		else if (!strcmp(key, "op"))
			op = val;
		else if (!strcmp(key, "id"))
			id = val;
		else if (!strcmp(key, "typed"))
			typed = val;
	}
	if (!v || strcmp(v, IL_AW_VERSION) || !op) {
		reply_error(m, "invalid", "not a request this interlock understands");
	} else if (!strcmp(op, "list")) {
		reply_list(b, m);
	} else if (!strcmp(op, "show")) {
		struct il_broker_req *r = find(b, id);
		if (!r) {
			reply_error(m, "missing", "no such question is waiting (answered, timed out, or withdrawn)");
			return;
		}
		put_session(b, m);
		put_question(m, r, 0, il_broker_mono_ms());
	} else if (!strcmp(op, "answer") || !strcmp(op, "deny")) {
		reply_answer(b, w, id, typed, !strcmp(op, "deny"), m);
	} else {
		reply_error(m, "invalid", "unknown op");
	}
}

/* One request from answerer i. Returns -1 when it is gone. */
static int read_answerer(struct il_broker *b, int i)
{
	struct answerer *w = &b->answerers[i];
	char *in = malloc(MAX_PACKET + 1), *out = malloc(IL_AW_MAX);
	if (!in || !out) {
		free(in), free(out);
		return -1;
	}
	ssize_t n = recv(w->fd, in, MAX_PACKET, MSG_TRUNC | MSG_DONTWAIT);
	int rc = 0;
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		rc = 0;
	} else if (n <= 0) {
		rc = -1;
	} else {
		struct il_aw m = { out, 0, IL_AW_MAX, 0 };
		out[0] = 0;
		if (n > MAX_PACKET) {
			reply_error(&m, "invalid", "request too large");
		} else {
			in[n] = 0;
			handle(b, w, in, &m);
		}
		(void)!send(w->fd, out, m.n, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	free(in), free(out);
	return rc;
}

int il_answers_dispatch(struct il_broker *b, int fd, short revents)
{
	if (fd < 0)
		return 0;
	if (fd == b->afd) {
		accept_answerers(b);
		return 1;
	}
	for (int i = 0; i < b->nanswerers; i++) {
		if (b->answerers[i].fd != fd)
			continue;
		int gone = (revents & POLLIN) ? read_answerer(b, i) < 0 : 0;
		if (gone || (revents & (POLLHUP | POLLERR | POLLNVAL)))
			drop_answerer(b, i);
		return 1;
	}
	return 0;
}

/* ---------------------------------------------------------------- held questions */

void il_broker_tick(struct il_broker *b)
{
	long long now = il_broker_mono_ms();
	struct il_broker_req *r = b->head;
	while (r) {
		struct il_broker_req *next = r->next;
		if (r->deadline_ms && !r->prompting && !r->remote && now >= r->deadline_ms)
			il_broker_answer(b, r, IL_ANS_TIMEOUT); /* frees r only: next stays */
		r = next;
	}
}

int il_broker_wait_ms(const struct il_broker *b)
{
	long long now = il_broker_mono_ms(), soonest = -1;
	for (const struct il_broker_req *r = b->head; r; r = r->next)
		if (r->deadline_ms && !r->prompting && (soonest < 0 || r->deadline_ms < soonest))
			soonest = r->deadline_ms;
	if (soonest < 0)
		return -1;
	return soonest <= now ? 0 : soonest - now > 1000000 ? 1000000 : (int)(soonest - now);
}

int il_broker_remote_answer(const struct il_broker_req *r)
{
	return r && r->remote ? r->remote - 1 : -1;
}
