/* Carrying out the engine's verdict on a trapped call: the kernel's answer,
 * the line on the program's stderr, the audit record, the question to the
 * human (through the broker's queue) and what a yes leaves behind. The
 * words, the answers and who writes which record are the engine's
 * (lib/engine/outcome.c), as in the preload. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "il.h"
#include "supervisor_int.h"

/* ---------------------------------------------------------------- telling */

/* Is the target's stderr something we may append one line to? A terminal,
 * a pipe or a regular file it opened for writing, nothing else (reopening a
 * device could have effects of its own). */
static int stderr_ok(pid_t pid, const char *link)
{
	struct stat st;
	if (stat(link, &st) < 0)
		return 0;
	int tty = S_ISCHR(st.st_mode) && (major(st.st_rdev) == 4 || major(st.st_rdev) == 5 ||
					  (major(st.st_rdev) >= 136 && major(st.st_rdev) <= 143));
	if (!tty && !S_ISFIFO(st.st_mode) && !S_ISREG(st.st_mode))
		return 0;
	char buf[256];
	if (il_sv_read_proc(pid, "fdinfo/2", buf, sizeof buf) < 0)
		return 0;
	const char *f = strstr(buf, "flags:");
	return f && (strtoul(f + 6, 0, 8) & O_ACCMODE) != O_RDONLY;
}

/* A regular file is shared through the target's own open file (its offset,
 * or our line and its next write land on the same bytes); a pipe or a
 * terminal is reopened non-blocking, so a full pipe cannot stall the loop. */
static int open_stderr(pid_t pid, const char *link)
{
	struct stat st;
	if (stat(link, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode))
		return open(link, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	return il_sv_getfd(pid, 2);
}

/* The agent reads why its call failed on its own stderr, as from the preload. */
static void tell(pid_t tid, const char *what, const struct il_verdict *v, enum il_answer a)
{
	char link[64], line[2048];
	snprintf(link, sizeof link, "/proc/%d/fd/2", (int)tid);
	if (!stderr_ok(tid, link))
		return;
	size_t n = il_blocked_line(line, sizeof line, what, v, a);
	int fd = open_stderr(tid, link);
	if (fd < 0)
		return;
	(void)!write(fd, line, n);
	close(fd);
}

void il_sv_audit(const struct il_supervisor *s, const struct sv_ctx *c, const struct il_verdict *v,
		 const char *decision, const char *by)
{
	if (!s->cfg.audit)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	pid_t proc = il_sv_process(c->tid);
	struct il_audit_rec r = { s->cfg.session, s->cfg.profile, (long)(proc ? proc : c->tid),
				  (long)il_sv_parent_of(c->tid), c->exe, (const char *const *)v->argv, c->cwd,
				  v->event ? v->event : "exec", v->rule_id, v->action, decision, by, 0 };
	char *buf = malloc(65536);
	size_t n = buf ? il_audit_format(buf, 65536, &r, (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000) : 0;
	if (n)
		il_audit_append(s->cfg.audit, buf, n);
	free(buf);
}

void il_sv_refuse(struct il_supervisor *s, uint64_t id, const struct sv_ctx *c, const struct il_verdict *v)
{
	if (v->quiet) { /* as the preload does: no word, one record per process */
		pid_t proc = il_sv_process(c->tid);
		if (s->quiet_pid != proc)
			il_sv_audit(s, c, v, "denied", "quiet-program");
		s->quiet_pid = proc;
		il_sv_respond(s, id, EACCES);
		return;
	}
	/* a confirm reaches here only when nobody can be asked */
	enum il_answer a = v->action == IL_CONFIRM && !v->error ? IL_ANS_NO_TERMINAL : IL_ANS_RULE;
	tell(c->tid, v->what ? v->what : c->exe, v, a);
	il_sv_audit(s, c, v, "denied", il_answer_by(a));
	il_sv_respond(s, id, EACCES);
}

void il_sv_fail_closed(struct il_supervisor *s, uint64_t id, pid_t tid, const char *event, const char *what,
		       const char *why)
{
	char text[1200];
	snprintf(text, sizeof text, "%s %s", event, what);
	const char *argv[] = { event, what, 0 };
	struct il_verdict v = { .action = IL_DENY, .rule = -1, .rule_id = "fail-closed", .why = why,
				.event = event, .what = text, .argv = argv };
	struct sv_ctx c = { .tid = tid, .exe = what, .cwd = "/", .sock = -1 };
	il_sv_refuse(s, id, &c, &v);
}

/* ---------------------------------------------------------------- connects */

void il_sv_allow_connect(struct il_supervisor *s, uint64_t id, pid_t tid, int sock, const void *addr, size_t len)
{
	if (sock < 0) { /* a Fast Open send: continued, its data goes with it */
		il_sv_respond(s, id, 0);
		return;
	}
	int r = il_connect_emulate(s->fd, id, tid, sock, addr, len);
	if (r > 0) {
		il_sv_respond(s, id, 0);
	} else if (r < 0) {
		char why[256];
		snprintf(why, sizeof why,
			 "interlock allows this connect but could not make it on the program's behalf (%s), and letting "
			 "the program make it itself would let the address change after the check",
			 strerror(errno));
		il_sv_fail_closed(s, id, tid, "connect", "socket", why);
	}
}

/* ---------------------------------------------------------------- trees */

void il_sv_approve_tree(struct il_supervisor *s, pid_t proc, const char *tree)
{
	/* 33 KB: calloc'd with each supervisor it was 16 page faults of every
	 * session's start */
	if (!s->trees && !(s->trees = calloc(MAX_TREES, sizeof *s->trees)))
		return; /* not remembered: the next delete in the tree is asked */
	struct approved_tree *t = &s->trees[s->ntrees++ % MAX_TREES];
	t->proc = proc;
	snprintf(t->tree, sizeof t->tree, "%s", tree);
}

int il_sv_tree_approved(const struct il_supervisor *s, pid_t tid, const char *abs)
{
	int n = s->ntrees < MAX_TREES ? s->ntrees : MAX_TREES;
	pid_t proc = 0;
	for (int i = 0; i < n; i++) {
		const struct approved_tree *t = &s->trees[i];
		if (!il_path_under(abs, t->tree))
			continue;
		if (!proc)
			proc = il_sv_process(tid);
		if (t->proc == proc)
			return 1;
	}
	return 0;
}

/* ---------------------------------------------------------------- asking */

int il_sv_approved(struct il_supervisor *s, pid_t tid, const struct il_verdict *v, const char *cwd)
{
	/* the same rule, target and words the preload's question carried:
	 * both come from the same judge */
	pid_t proc = il_sv_process(tid);
	return proc && il_broker_approved(s->cfg.broker, proc, il_sv_parent_of(tid), v->rule_id, v->target,
					  v->what ? v->what : "", cwd);
}

static void unlink_pending(struct pending *p)
{
	struct pending **pp = &p->s->pending;
	while (*pp && *pp != p)
		pp = &(*pp)->next;
	if (*pp)
		*pp = p->next;
}

/* A rename allowed whose file takes over an older file's name is
 * recorded before it is let happen (adopted.c); as in the preload
 * (unlink.c), a record that cannot be written does not stop it. */
static void record_takeover(struct il_supervisor *s, const struct il_adopt *ad)
{
	if (ad && ad->want)
		il_adopt_note(&s->cfg.rules->view, ad);
}

static void on_answer(void *ctx, enum il_answer a)
{
	struct pending *p = ctx;
	unlink_pending(p);
	if (il_answer_allows(a) && p->sock >= 0) {
		il_sv_allow_connect(p->s, p->id, p->tid, p->sock, p->addr, p->addrlen);
	} else if (il_answer_allows(a)) {
		record_takeover(p->s, &p->adopt);
		if (p->tree[0])
			il_sv_approve_tree(p->s, p->proc, p->tree);
		il_sv_respond(p->s, p->id, 0);
	} else if (il_sv_id_valid(p->s, p->id)) { /* the thread is still the asker */
		struct il_verdict v = { .action = IL_CONFIRM, .rule = -1, .rule_id = p->rule, .why = p->why };
		tell(p->tid, p->command, &v, a);
		il_sv_respond(p->s, p->id, EACCES);
	}
	free(p);
}

void il_sv_ask_human(struct il_supervisor *s, uint64_t id, const struct sv_ctx *c, const struct il_verdict *v)
{
	const char *what = v->what ? v->what : c->exe;
	struct pending *p = calloc(1, sizeof *p);
	if (!p) {
		il_sv_fail_closed(s, id, c->tid, v->event ? v->event : "exec", what,
				  "interlock ran out of memory before it could ask the human");
		return;
	}
	pid_t proc = il_sv_process(c->tid);
	*p = (struct pending){ s->pending, s, id, c->tid, proc ? proc : c->tid, v->why, v->rule_id, "", c->sock, 0,
			       { 0 }, "", { 0 } };
	/* a delete's yes covers its tree for this process */
	if (v->event && !strcmp(v->event, "delete") && v->target)
		snprintf(p->tree, sizeof p->tree, "%s", v->target);
	if (c->adopt)
		p->adopt = *c->adopt;
	if (c->sock >= 0 && c->addrlen <= sizeof p->addr) {
		memcpy(p->addr, c->addr, c->addrlen);
		p->addrlen = c->addrlen;
	}
	snprintf(p->command, sizeof p->command, "%s", what);
	s->pending = p;
	struct il_broker_ask q = { v->rule_id, v->word[0] ? v->word : "yes", v->why, p->command,
				   v->target ? v->target : "", c->cwd, c->exe, (const char *const *)v->argv, p->proc,
				   v->ops, v->nops };
	il_broker_ask_internal(s->cfg.broker, &q, on_answer, p); /* may answer at once */
}

void il_sv_drop_pending(struct il_supervisor *s)
{
	while (s->pending) /* not expected: the broker answered them all */
		on_answer(s->pending, IL_ANS_NO_TERMINAL);
}

/* ---------------------------------------------------------------- settle */

/* Let it happen: a connect is made for the program (connect_emulate.c),
 * anything else continued. */
static void allow(struct il_supervisor *s, uint64_t id, const struct sv_ctx *c)
{
	record_takeover(s, c->adopt);
	if (c->sock >= 0)
		il_sv_allow_connect(s, id, c->tid, c->sock, c->addr, c->addrlen);
	else
		il_sv_respond(s, id, 0);
}

void il_sv_settle(struct il_supervisor *s, uint64_t id, const struct sv_ctx *c, const struct il_verdict *v)
{
	if (v->action == IL_ALLOW || v->action == IL_LOG) {
		/* the preload wrote its own record of a call it judged first */
		if (v->action == IL_LOG && !c->recorded && !il_sv_has_preload(s, c->tid))
			il_sv_audit(s, c, v, "allowed", "rule");
		allow(s, id, c);
		return;
	}
	if (v->action == IL_CONFIRM && !v->error) {
		if (il_sv_approved(s, c->tid, v, c->cwd)) { /* one question, not two */
			allow(s, id, c);
			return;
		}
		il_sv_ask_human(s, id, c, v);
		return;
	}
	il_sv_refuse(s, id, c, v);
}
