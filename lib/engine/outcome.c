/* Carrying out a verdict, the same way in every host: the answers a
 * question can get (and their words on the broker's socket), the one line
 * a refused program reads, where the audit log is, and who writes which
 * record. Heap-free: the preload calls it inside hooks.
 *
 * Who writes the record of a decision (one record per decision):
 *   - the broker, for every question it answered or refused itself
 *     (human, wrong-word, timeout, no-terminal, busy, session-approval);
 *   - the host that decided alone: a `log` or `deny` verdict, a built-in
 *     protection, a quiet refusal (once per process), a question that
 *     could not reach the broker (no-broker) or that a host without a
 *     broker asked itself (the dev shell's own prompt);
 *   - never the supervisor for a call the preload already judged in that
 *     process (its hook wrote the record). */
#include "engine_int.h"

static const struct {
	const char *reply; /* the broker's answer on the socket; NULL: never sent */
	const char *by;    /* the audit record's "by" */
	const char *how;   /* what the refused program is told after the reason */
} answers[IL_ANS_COUNT] = {
	[IL_ANS_ONCE] = { "allow once", "human", 0 },
	[IL_ANS_SESSION] = { "allow session", "human", 0 },
	[IL_ANS_HUMAN] = { "deny human", "human", "; a human denied it at the confirmation prompt:" },
	[IL_ANS_WRONG_WORD] = { "deny wrong-word", "wrong-word",
				"; the human did not type the confirmation word, so it was refused:" },
	[IL_ANS_TIMEOUT] = { "deny timeout", "timeout", "; the human did not confirm in time:" },
	[IL_ANS_NO_TERMINAL] = { "deny no-terminal", "no-terminal",
				 "; this needs a human's confirmation and no human terminal is available to ask:" },
	[IL_ANS_BUSY] = { "deny busy", "busy", "; too many questions were already waiting for the human:" },
	[IL_ANS_WITHDRAWN] = { "deny withdrawn", "withdrawn", "; the question was withdrawn:" },
	[IL_ANS_NO_BROKER] = { 0, "no-terminal",
			       "; this needs a human's confirmation and no human terminal is available to ask:" },
	[IL_ANS_RULE] = { 0, "rule", ";" },
};

int il_answer_allows(enum il_answer a)
{
	return a == IL_ANS_ONCE || a == IL_ANS_SESSION;
}

const char *il_answer_by(enum il_answer a)
{
	return (unsigned)a < IL_ANS_COUNT ? answers[a].by : "rule";
}

const char *il_answer_decision(enum il_answer a)
{
	return il_answer_allows(a) ? "allowed" : "denied";
}

const char *il_answer_reply(enum il_answer a)
{
	return (unsigned)a < IL_ANS_COUNT ? answers[a].reply : 0;
}

enum il_answer il_answer_parse(const char *reply, size_t n)
{
	while (n && (reply[n - 1] == '\n' || reply[n - 1] == 0))
		n--;
	for (int a = 0; a < IL_ANS_COUNT; a++) {
		const char *r = answers[a].reply;
		if (r && il_strlen(r) == n && il_strneq(reply, r, n))
			return (enum il_answer)a;
	}
	return IL_ANS_NO_BROKER; /* nothing we understand is a no */
}

int il_host_records(const struct il_verdict *v, enum il_answer a, int has_broker)
{
	if (v->action != IL_CONFIRM || v->error)
		return 1;
	return !has_broker || a == IL_ANS_NO_BROKER;
}

struct line {
	char *p;
	size_t n, cap;
};

static void add(struct line *l, const char *s)
{
	for (; s && *s && l->n + 1 < l->cap; s++)
		l->p[l->n++] = *s == '\n' ? ' ' : *s;
}

size_t il_blocked_line(char *buf, size_t cap, const char *what, const struct il_verdict *v, enum il_answer a)
{
	if (!cap)
		return 0;
	struct line l = { buf, 0, cap };
	add(&l, "interlock: blocked: ");
	add(&l, what);
	add(&l, ": ");
	add(&l, v->why && *v->why ? v->why : "not allowed");
	if (v->rule_id) {
		add(&l, " (rule ");
		add(&l, v->rule_id);
		add(&l, ")");
	}
	add(&l, v->action == IL_CONFIRM && !v->error ? il_answer_how(a) : ";");
	add(&l, " do not try to work around this block; ask the user to run it themselves or to approve it");
	/* the newline even when the text was cut short: one line each */
	if (l.n + 1 >= cap)
		l.n = cap - 2;
	buf[l.n++] = '\n';
	buf[l.n] = 0;
	return l.n;
}

const char *il_answer_how(enum il_answer a)
{
	const char *h = (unsigned)a < IL_ANS_COUNT ? answers[a].how : 0;
	return h ? h : answers[IL_ANS_NO_TERMINAL].how;
}

size_t il_audit_default_path(char *const *envp, char *buf, size_t cap)
{
	const char *state = il_env_get(envp, "XDG_STATE_HOME");
	const char *home = il_env_get(envp, "HOME");
	const char *base = state && state[0] == '/' ? state : home && *home ? home : "/tmp";
	const char *tail = base == state ? "/interlock/audit.jsonl" : "/.local/state/interlock/audit.jsonl";
	size_t bl = il_strlen(base), tl = il_strlen(tail);
	if (bl + tl + 1 > cap)
		return 0;
	il_memcpy(buf, base, bl);
	il_memcpy(buf + bl, tail, tl + 1);
	return bl + tl;
}
