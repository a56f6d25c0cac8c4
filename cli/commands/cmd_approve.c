/* interlock approve ID / interlock deny ID: answering a question of a
 * session from outside it (see cmd_pending.c). approve shows the question
 * on its own terminal and takes the typed word, as the session's prompt
 * would; --word WORD gives it without a terminal, for a caller that asked
 * the human some other way. The broker, not this program, decides what the
 * answer means and whether this process may give it (cli/confirm/outside.h):
 * from inside a guarded tree it is refused however it is called. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "answer_client.h"
#include "cli.h"
#include "prompt.h"

/* Exit status (docs/interlock.1). */
enum { EXIT_NO = 1, EXIT_MISSING = 2, EXIT_REFUSED = 3 };

static const char approve_usage[] =
	"usage: interlock approve ID [--word WORD]\n"
	"Answers a question waiting in one of your interlock sessions (see `interlock\n"
	"pending`): shows it on this terminal and takes the word you type, as the\n"
	"session's own prompt would. ID is the question's id (q3), or SESSION:q3 when\n"
	"two sessions have a q3 (a prefix of the session id is enough).\n"
	"  --word WORD   answer with WORD instead of asking (for a caller that asked\n"
	"                the human some other way); WORD! allows for the rest of the\n"
	"                session, anything else denies\n"
	"The answer counts only from a process outside every guarded session: an\n"
	"agent cannot approve its own question.\n"
	"Exit status: 0 allowed, 1 denied (not the word), 2 no such question is\n"
	"waiting, 3 refused (run inside a guarded session, or as another user),\n"
	"125 bad usage.\n";

static const char deny_usage[] =
	"usage: interlock deny ID\n"
	"Denies a question waiting in one of your interlock sessions (see `interlock\n"
	"pending`); ID as for `interlock approve`. Only from outside every guarded\n"
	"session.\n"
	"Exit status: 0 denied, 2 no such question is waiting, 3 refused, 125 bad usage.\n";

/* ---------------------------------------------------------------- finding it */

/* The one waiting question handle names ("q3" or "SESSION:q3"), or NULL
 * after saying why (*rc: the exit status). */
static const struct il_question *resolve(const struct il_questions *qs, const char *cmd, const char *handle, int *rc)
{
	const char *colon = strchr(handle, ':');
	const char *id = colon ? colon + 1 : handle;
	size_t sl = colon ? (size_t)(colon - handle) : 0;
	const struct il_question *found = 0;
	int n = 0;
	for (int i = 0; i < qs->n; i++) {
		const struct il_question *q = &qs->q[i];
		if (strcmp(q->id, id) || (sl && (!q->session || strncmp(q->session, handle, sl))))
			continue;
		found = q;
		n++;
	}
	if (n == 1)
		return found;
	if (!n) {
		fprintf(stderr, "interlock %s: no question %s is waiting in your sessions (interlock pending lists them)\n",
			cmd, handle);
		*rc = EXIT_MISSING;
		return 0;
	}
	fprintf(stderr, "interlock %s: %s is waiting in %d sessions; name one:", cmd, handle, n);
	for (int i = 0; i < qs->n; i++)
		if (!strcmp(qs->q[i].id, id))
			fprintf(stderr, " %s:%s", qs->q[i].session, id);
	fputc('\n', stderr);
	*rc = EXIT_INTERLOCK;
	return 0;
}

/* ---------------------------------------------------------------- answering */

static void request(struct il_aw *m, char *buf, size_t cap, const char *op, const char *id, const char *typed)
{
	*m = (struct il_aw){ buf, 0, cap, 0 };
	il_aw_put(m, "v", IL_AW_VERSION, 0);
	il_aw_put(m, "op", op, 0);
	il_aw_put(m, "id", id, 0);
	if (typed)
		il_aw_put(m, "typed", typed, 0);
}

/* The broker's reply to an answer, said, as an exit status. */
static int report(const char *cmd, const char *id, char *reply, long n, int deny, int tty)
{
	if (n < 0) {
		fprintf(stderr, "interlock %s: %s: the session did not answer (%s); it may have ended\n", cmd, id,
			strerror(errno));
		return EXIT_MISSING;
	}
	const char *status, *message, *decision, *outcome;
	il_answer_status(reply, &status, &message, &decision, &outcome);
	if (!strcmp(status, "ok")) {
		if (tty >= 0) {
			char line[512];
			int k = snprintf(line, sizeof line, "\r\n\033[1m%s\033[0m\r\n", outcome);
			(void)!write(tty, line, (size_t)k);
		} else {
			printf("%s\n", outcome);
		}
		return deny || !strcmp(decision, "allowed") ? 0 : EXIT_NO;
	}
	fprintf(stderr, "interlock %s: %s: %s%s\n", cmd, id, !strcmp(status, "refused") ? "refused: " : "", message);
	return !strcmp(status, "missing") ? EXIT_MISSING : !strcmp(status, "refused") ? EXIT_REFUSED : EXIT_INTERLOCK;
}

static int answer_once(const char *cmd, const struct il_question *q, const char *op, const char *typed)
{
	char req[8192], *reply = malloc(IL_AW_MAX + 1);
	if (!reply)
		return EXIT_INTERLOCK;
	struct il_aw m;
	request(&m, req, sizeof req, op, q->id, typed);
	if (m.overflow) {
		fprintf(stderr, "interlock %s: --word is too long\n", cmd);
		free(reply);
		return EXIT_INTERLOCK;
	}
	long n = il_answer_call(q->sock, &m, reply, IL_AW_MAX + 1, 0);
	int rc = report(cmd, q->id, reply, n, !strcmp(op, "deny"), -1);
	free(reply);
	return rc;
}

/* ---------------------------------------------------------------- the terminal */

static int g_tty = -1;
static struct termios g_saved;

static void restore_on_signal(int sig)
{
	if (g_tty >= 0)
		tcsetattr(g_tty, TCSANOW, &g_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Asks on the terminal as the session's prompt does (cli/confirm/prompt.c):
 * the answer, or -1 when nothing was typed in time; what was typed in p. */
static int ask(int tty, struct il_prompt *p, const struct il_question *q)
{
	struct termios raw = g_saved;
	cfmakeraw(&raw);
	g_tty = tty;
	signal(SIGTERM, restore_on_signal);
	signal(SIGHUP, restore_on_signal);
	tcsetattr(tty, TCSADRAIN, &raw);
	struct il_prompt_info in = { q->command, q->why,    q->rule, q->profile,
				     q->cwd,     q->process, q->word, q->target };
	il_prompt_open_unheld(p, tty, &in, q->left > 0 ? (int)q->left : 60);
	int a = -1;
	while (a < 0) {
		int wait = il_prompt_wait_ms(p);
		struct pollfd pf = { tty, POLLIN, 0 };
		int r = wait ? poll(&pf, 1, wait) : 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		char buf[256];
		ssize_t k = read(tty, buf, sizeof buf);
		if (k <= 0) {
			a = IL_ANS_HUMAN; /* the terminal went away: a no */
			break;
		}
		a = il_prompt_feed(p, buf, (size_t)k);
	}
	return a;
}

/* The whole question (the list's fields are shortened), on a connection
 * kept in *fd for the answer; its strings point into buf. 0, or the exit
 * status after saying why not. */
static int fetch_whole(const struct il_question *q, char *buf, int *fd, struct il_question *whole)
{
	char req[256];
	struct il_aw m;
	request(&m, req, sizeof req, "show", q->id, 0);
	long n = il_answer_call(q->sock, &m, buf, IL_AW_MAX + 1, fd);
	if (n < 0 || strncmp(buf, "status=ok\n", 10))
		return report("approve", q->id, buf, n, 0, -1);
	*whole = *q;
	char *c = buf, *key, *val;
	while (il_aw_next(&c, &key, &val)) {
		const char **f = !strcmp(key, "why")	   ? &whole->why
				 : !strcmp(key, "command") ? &whole->command
				 : !strcmp(key, "target")  ? &whole->target
				 : !strcmp(key, "cwd")	   ? &whole->cwd
				 : !strcmp(key, "process") ? &whole->process
				 : !strcmp(key, "word")	   ? &whole->word
				 : !strcmp(key, "rule")	   ? &whole->rule
				 : !strcmp(key, "profile") ? &whole->profile
							   : 0;
		if (f)
			*f = val;
		else if (!strcmp(key, "left"))
			whole->left = atoll(val);
	}
	return 0;
}

static int approve_on_terminal(const struct il_question *q)
{
	int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (tty < 0 || tcgetattr(tty, &g_saved) < 0) {
		fprintf(stderr, "interlock approve: no terminal to ask on; give the word with --word WORD\n");
		if (tty >= 0)
			close(tty);
		return EXIT_INTERLOCK;
	}
	char *shown = malloc(IL_AW_MAX + 1), *reply = malloc(IL_AW_MAX + 1);
	int fd = -1, rc = EXIT_INTERLOCK;
	struct il_question whole;
	if (shown && reply && !(rc = fetch_whole(q, shown, &fd, &whole))) {
		struct il_prompt p;
		int a = ask(tty, &p, &whole);
		p.line[p.len] = 0;
		/* Enter alone, Ctrl-C, Ctrl-D or the time running out: a no */
		int no = a == IL_ANS_HUMAN || a < 0;
		char req[1024];
		struct il_aw m;
		request(&m, req, sizeof req, no ? "deny" : "answer", q->id, no ? 0 : p.line);
		long n = il_answer_again(fd, &m, reply, IL_AW_MAX + 1);
		rc = report("approve", q->id, reply, n, 0, tty);
		if (no && rc == 0)
			rc = EXIT_NO;
		tcsetattr(tty, TCSADRAIN, &g_saved);
		g_tty = -1;
	}
	if (fd >= 0)
		close(fd);
	close(tty);
	free(shown), free(reply);
	return rc;
}

/* ---------------------------------------------------------------- commands */

static int answer_cmd(int argc, char **argv, int deny)
{
	const char *cmd = deny ? "deny" : "approve", *usage = deny ? deny_usage : approve_usage;
	static const struct option longs[] = {
		{ "word", required_argument, 0, 'w' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *word = 0;
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", longs, 0)) != -1) {
		if (ch == 'w' && !deny) {
			word = optarg;
		} else if (ch == 'h') {
			fputs(usage, stdout);
			return 0;
		} else {
			return il_bad_option(cmd, ch, argv);
		}
	}
	if (argc - optind != 1) {
		fputs(usage, stderr);
		return EXIT_INTERLOCK;
	}
	struct il_questions qs;
	if (il_questions_list(&qs) < 0) {
		il_questions_free(&qs);
		return EXIT_INTERLOCK;
	}
	int rc = EXIT_INTERLOCK;
	const struct il_question *q = resolve(&qs, cmd, argv[optind], &rc);
	if (q)
		rc = deny ? answer_once(cmd, q, "deny", 0) : word ? answer_once(cmd, q, "answer", word)
								 : approve_on_terminal(q);
	il_questions_free(&qs);
	return rc;
}

int il_cmd_approve(int argc, char **argv)
{
	return answer_cmd(argc, argv, 0);
}

int il_cmd_deny(int argc, char **argv)
{
	return answer_cmd(argc, argv, 1);
}
