/* Carrying out a verdict inside a guarded process: a log record, a
 * question to the human, or the one-line refusal; the words, answers and
 * who records what are the engine's (lib/engine/outcome.c), shared with
 * the supervisor and the broker. Heap-free. */
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "il.h"
#include "preload.h"

void il_say(const char *s)
{
	size_t n = il_strlen(s);
	while (n) {
		ssize_t w = write(2, s, n);
		if (w <= 0)
			return;
		s += w, n -= (size_t)w;
	}
}

static void audit_as(struct il_snap_view *sv, const struct il_verdict *v, const char *exe, const char *cwd,
		     const char *decision, const char *by, const char *approval, char *buf, size_t cap)
{
	const char *logpath = sv ? il_snap_audit(sv) : 0;
	char fallback[4096];
	if (!logpath || !*logpath) {
		if (!il_audit_default_path(environ, fallback, sizeof fallback))
			return;
		logpath = fallback;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct il_audit_rec r = {
		.session = sv ? il_snap_session(sv) : il_sess.session,
		.profile = il_sess.profile,
		.pid = (long)getpid(),
		.ppid = (long)getppid(),
		.exe = exe,
		.argv = (const char *const *)v->argv,
		.cwd = cwd,
		.event = v->event ? v->event : "exec",
		.rule = v->rule_id,
		.action = v->action,
		.decision = decision,
		.by = by,
		.approval = approval,
	};
	size_t n = il_audit_format(buf, cap, &r, (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	if (n)
		il_audit_append(logpath, buf, n);
}

static void audit(struct il_snap_view *sv, const struct il_verdict *v, const char *exe, const char *cwd,
		  const char *decision, const char *by, char *buf, size_t cap)
{
	audit_as(sv, v, exe, cwd, decision, by, 0, buf, cap);
}

static const char *broker_of(struct il_snap_view *v)
{
	const char *b = il_snap_broker(v);
	return b && *b ? b : 0;
}

static enum il_answer ask(struct il_snap_view *v, const struct il_verdict *verdict, const char *exe, const char *cwd)
{
	struct il_confirm_req r = { verdict->rule_id, verdict->word, verdict->why, verdict->what,
				    verdict->target ? verdict->target : "", cwd, exe ? exe : "",
				    (char *const *)verdict->argv, verdict->event, verdict->ops, verdict->nops };
	return il_confirm(broker_of(v), &r, il_snap_prompt_timeout(v));
}

/* execvp-style callers (python's subprocess, perl) retry a refused exec
 * on the next PATH entry that has the program (/usr/bin/rm, then /bin/rm).
 * One question and one message per operation: a repeat of the last
 * refused operation in this process gets the same answer silently. */
static uint64_t last_key;
static int last_answer = -1;

static uint64_t op_key(const struct il_verdict *v)
{
	uint64_t h = 1469598103934665603ull;
	const char *id = v->rule_id ? v->rule_id : "";
	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 1099511628211ull;
	for (int i = 1; v->argv && v->argv[0] && v->argv[i]; i++)
		for (const char *p = v->argv[i];; p++) {
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
			if (!*p)
				break;
		}
	return h | 1;
}

/* il_dev_approved with scratch of its own (the caller's is in use). */
static int dev_approved(const struct il_verdict *verdict, char *id, size_t cap)
{
	struct il_scratch sc;
	if ((!verdict->nops && !verdict->target) || il_scratch_open(&sc, 1u << 20) < 0)
		return 0;
	int k = il_dev_approved(&sc.a, verdict, id, cap);
	il_scratch_close(&sc);
	return k;
}

/* A quiet refusal (ps reading every process's environ) is recorded once
 * per process: one `ps aux` would otherwise write a line per process. */
static int quiet_logged;

int il_settle(struct il_snap_view *v, const struct il_verdict *verdict, const char *exe, char *buf, size_t cap)
{
	char cwd[4096];
	if (!getcwd(cwd, sizeof cwd))
		il_memcpy(cwd, "/", 2);
	if (verdict->quiet) {
		if (!__atomic_exchange_n(&quiet_logged, 1, __ATOMIC_RELAXED))
			audit(v, verdict, exe, cwd, "denied", "quiet-program", buf, cap);
		return -1;
	}
	if (verdict->action == IL_LOG) {
		audit(v, verdict, exe, cwd, "allowed", "rule", buf, cap);
		return 0;
	}
	if (verdict->action < IL_CONFIRM)
		return 0;
	enum il_answer answer = IL_ANS_RULE;
	uint64_t key = op_key(verdict);
	int repeat = __atomic_load_n(&last_key, __ATOMIC_RELAXED) == key && last_answer >= 0;
	if (!repeat && verdict->action == IL_CONFIRM && !verdict->error && !broker_of(v)) {
		/* a dev shell: what a human allowed is kept in the session's
		 * directory (approvals.c), as the broker keeps it in a wrapper */
		char id[64];
		int k = dev_approved(verdict, id, sizeof id);
		if (k) {
			audit_as(v, verdict, exe, cwd, "allowed", k == 2 ? "session-approval" : "human", id, buf, cap);
			return 0;
		}
	}
	if (repeat)
		answer = (enum il_answer)last_answer;
	else if (verdict->action == IL_CONFIRM && !verdict->error)
		answer = ask(v, verdict, exe, cwd);
	last_answer = (int)answer;
	__atomic_store_n(&last_key, key, __ATOMIC_RELAXED);
	int allowed = il_answer_allows(answer);
	if (repeat)
		return allowed ? 0 : -1;
	int records = il_host_records(verdict, answer, broker_of(v) != 0);
	if (allowed) {
		char id[64] = "";
		if (!broker_of(v))
			il_dev_remember(verdict, answer, id, sizeof id);
		if (records)
			audit_as(v, verdict, exe, cwd, "allowed", il_answer_by(answer), id[0] ? id : 0, buf, cap);
		return 0;
	}
	il_blocked_line(buf, cap, verdict->what ? verdict->what : exe, verdict, answer);
	il_say(buf);
	if (records)
		audit(v, verdict, exe, cwd, "denied", il_answer_by(answer), buf, cap);
	return -1;
}
