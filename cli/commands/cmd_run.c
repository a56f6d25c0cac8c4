/* interlock run: compile the rules once, start COMMAND with the preload and
 * the session in its environment, and pass its exit status through. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sys/prctl.h>

#include "answer_wire.h"
#include "broker.h"
#include "cli.h"
#include "fdio.h"
#include "notify.h"
#include "pty_proxy.h"
#include "filter.h"
#include "marker.h"
#include "supervisor.h"

int il_make_private_dir(const char *path)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -1;
	struct stat st;
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077))
		return -1;
	return 0;
}

void il_runtime_base(char *base, size_t cap)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	if (rt && *rt && stat(rt, &st) == 0 && S_ISDIR(st.st_mode) && access(rt, W_OK) == 0)
		snprintf(base, cap, "%s/interlock", rt);
	else
		snprintf(base, cap, "/tmp/interlock-%u", (unsigned)getuid());
}

/* <runtime dir>/interlock/<session>: private to the user. */
char *il_session_dir(const char *id)
{
	char base[4096];
	il_runtime_base(base, sizeof base);
	if (il_make_private_dir(base) < 0) {
		fprintf(stderr, "interlock: cannot use %s as a private session directory\n", base);
		return 0;
	}
	size_t n = strlen(base) + strlen(id) + 2;
	char *dir = malloc(n);
	snprintf(dir, n, "%s/%s", base, id);
	if (mkdir(dir, 0700) < 0) {
		fprintf(stderr, "interlock: cannot create %s: %s\n", dir, strerror(errno));
		free(dir);
		return 0;
	}
	return dir;
}

int il_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0)
		return -1;
	if (il_write_all(fd, data, len) < 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

void il_new_session_id(char *out, size_t cap)
{
	unsigned char r[8] = { 0 };
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
		unsigned long long t = (unsigned long long)time(0) ^ ((unsigned long long)getpid() << 32);
		memcpy(r, &t, sizeof r);
	}
	for (size_t i = 0; i < sizeof r && 2 * i + 2 < cap; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

static int set_preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	if (!old || !*old)
		return setenv("LD_PRELOAD", lib, 1);
	size_t n = strlen(lib) + strlen(old) + 2;
	char *v = malloc(n);
	snprintf(v, n, "%s:%s", lib, old);
	int r = setenv("LD_PRELOAD", v, 1);
	free(v);
	return r;
}

static void audit_self(const char *session, const char *profile, const char *audit, char **argv,
		       const char *cwd, const struct il_verdict *v, const char *decision, const char *by)
{
	char buf[65536];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct il_audit_rec r = { session, profile, (long)getpid(), (long)getppid(), argv[0],
				  (const char *const *)argv, cwd, "exec", v->rule_id, v->action, decision, by, 0 };
	size_t n = il_audit_format(buf, sizeof buf, &r, (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	if (n)
		il_audit_append(audit, buf, n);
}

extern char **environ;

/* What the loop's child runs: the command, and the session's marker when
 * the wrapper has already judged the command allowed (run_guarded). */
struct exec_ctx {
	char **cmd;
	uint64_t marker;
};

static void exec_cmd(void *ctx)
{
	const struct exec_ctx *x = ctx;
	char **cmd = x->cmd;
	/* One exec of the resolved path, not execvp's walk over PATH: a
	 * refused exec must not be asked about again for the next PATH entry
	 * (/usr/bin/rm, then /bin/rm). */
	char buf[4096];
	const char *path = il_program_path(cmd[0], buf, sizeof buf);
	/* The wrapper judged this very exec (il_eval_argv, the same path):
	 * like the preload's, it carries the marker past the filter rather
	 * than be judged a second time by the supervisor. */
	if (x->marker && strchr(path, '/'))
		syscall(SYS_execve, path, cmd, environ, 0, 0, (long)x->marker);
	else if (strchr(path, '/'))
		execv(path, cmd);
	if (!strchr(path, '/') || errno == ENOEXEC)
		execvp(cmd[0], cmd); /* its PATH walk and the shell for scripts without #! */
	int e = errno;
	fprintf(stderr, "interlock: %s: %s\n", cmd[0], strerror(e));
	_exit(e == ENOENT ? 127 : 126);
}

static int status_rc(int status)
{
	if (status < 0)
		return EXIT_INTERLOCK;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_INTERLOCK;
}

/* ---- seccomp layer (docs/seccomp.md) ---- */
struct guard_seccomp {
	int on;                   /* --seccomp (default) / --no-seccomp */
	int ask_first;            /* the command itself needs a human: only with the layer on */
	int strict;               /* the supervisor also judges opens and deletes (off: --no-strict) */
	uint64_t marker;          /* the session's: what the preload judged passes the filter */
	const char *snap;         /* the session's rule set file, which holds the marker */
	struct il_compiled *rules;
	const char *lib;
	struct il_seccomp sc;
	struct il_supervisor *sup;
};

/* Before the fork: build the filter and have the loop's child install it. */
static void seccomp_before(struct guard_seccomp *g, struct il_loop *loop)
{
	if (!g->on)
		return;
	if (il_seccomp_prepare(&g->sc, getpid(), g->strict, g->marker) < 0) {
		fprintf(stderr, "interlock: seccomp layer off (%s); guarding with the preload only\n", g->sc.why);
		g->on = 0;
		return;
	}
	il_loop_set_child_hook(loop, il_seccomp_child_install, &g->sc);
}

/* After the fork: take the listener and serve it from the loop. */
static void seccomp_after(struct guard_seccomp *g, struct il_broker *b, pid_t child, char **cmd,
			  const char *session, const struct il_opts *o, const char *audit)
{
	if (!g->on)
		return;
	int fd = child > 0 ? il_seccomp_receive(&g->sc) : -1;
	il_seccomp_release(&g->sc);
	if (fd < 0) {
		if (child > 0)
			fprintf(stderr, "interlock: seccomp layer off (%s); guarding with the preload only\n", g->sc.why);
		return;
	}
	il_supervisor_short_slice();
	il_seccomp_sync_wake(&g->sc, fd);
	struct il_supervisor_cfg cfg = { g->rules, b, session, o->profile, audit, g->lib, child, cmd, g->snap };
	g->sup = il_supervisor_new(fd, &cfg);
	if (g->sup)
		il_supervisor_serve(g->sup);
}

/* How questions reach a human besides the terminal: held without one for
 * hold_s seconds (an explicit --prompt-timeout), answered from outside
 * through the session's answer socket, announced by a notification. */
struct guard_answers {
	const char *sock; /* <session dir>/answer.sock */
	int hold_s;
	struct il_notify notify;
};

/* The broker answers the guarded tree's confirm requests; the loop owns the
 * human's terminal (an inner pty for the command when there is one) and
 * asks the questions. Returns the command's exit status. */
static int run_guarded(char **cmd, const char *sock, const char *session, const struct il_opts *o,
		       const char *audit, struct guard_seccomp *g, struct guard_answers *ga)
{
	int lfd = il_broker_listen(sock);
	if (lfd < 0) {
		fprintf(stderr, "interlock: cannot listen on %s: %s\n", sock, strerror(errno));
		return EXIT_INTERLOCK;
	}
	struct il_broker_cfg bc = { session, o->profile, audit, 0, ga->hold_s, il_notify_question, &ga->notify };
	struct il_broker *broker = il_broker_new(lfd, &bc);
	if (broker && il_broker_listen_answers(broker, ga->sock) < 0) /* the terminal still asks */
		fprintf(stderr, "interlock: cannot listen on %s (no answers from outside): %s\n", ga->sock,
			strerror(errno));
	struct il_loop *loop = broker ? il_loop_new(broker, o->prompt_timeout) : 0;
	int rc = EXIT_INTERLOCK;
	if (loop)
		seccomp_before(g, loop);
	if (g->ask_first && !g->on) {
		fprintf(stderr, "interlock: blocked: %s: it needs a human's confirmation and the layer that asks for "
				"the command itself (seccomp) is off: run it without interlock if you mean it\n", cmd[0]);
		il_loop_free(loop);
		il_broker_free(broker);
		return 126;
	}
	/* a command that needs a human is asked about at its exec, by the
	 * supervisor: that exec must not pass the filter */
	struct exec_ctx x = { cmd, g->on && !g->ask_first ? g->marker : 0 };
	pid_t child = loop ? il_loop_spawn(loop, exec_cmd, &x) : -1;
	if (loop)
		seccomp_after(g, broker, child, cmd, session, o, audit);
	if (child > 0)
		rc = status_rc(il_loop_run(loop));
	il_loop_free(loop);
	if (broker)
		il_broker_free(broker);
	else
		close(lfd);
	/* After the broker (it answers open questions through the supervisor);
	 * from here on the kernel fails the tree's trapped calls with ENOSYS.
	 * Its memory goes with the process, as the rules' do (below). */
#if defined(__SANITIZE_ADDRESS__)
	il_supervisor_free(g->sup);
#else
	il_supervisor_stop(g->sup);
#endif
	return rc;
}

/* --pass-env names that interlock would not remove anyway: said, since a
 * misspelt name would otherwise let the token it meant go unnoticed. */
static void check_pass_env(const struct il_ruleset *rs, const char *const *pass, int npass)
{
	for (int i = 0; i < npass; i++)
		if (!il_env_removable(rs, pass[i]))
			fprintf(stderr, "interlock run: --pass-env %s: not a variable interlock removes (it is passed "
					"anyway); check the spelling\n", pass[i]);
}

/* An environment variable's name: what --pass-env may name. */
static int env_name(const char *s)
{
	if (!*s || (!isalpha((unsigned char)*s) && *s != '_'))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static void usage(FILE *f)
{
	fputs("usage: interlock run [--rules DIR]... [--profile NAME] [--prompt-timeout S] [--pass-env NAME]...\n"
	      "                     [--notify CMD] [--seccomp | --no-seccomp] [--no-strict] -- COMMAND [ARG]...\n"
	      "Runs COMMAND with every exec in its process tree checked against the rules.\n"
	      "  --rules DIR        also read the rule files of DIR (after the shipped, /etc and\n"
	      "                     ~/.config ones); DIR must exist\n"
	      "  --profile NAME     activate the rules limited to profile NAME (a profile some\n"
	      "                     rule names; `interlock rules list` shows them)\n"
	      "  --prompt-timeout S a question no one answers in S seconds is denied (default 60).\n"
	      "                     Without a terminal, each question is held this long for an\n"
	      "                     answer from outside (interlock pending, approve, deny);\n"
	      "                     without the option it is refused at once\n"
	      "  --notify CMD       run CMD (sh -c) when a question waits, outside the guarded\n"
	      "                     tree, with INTERLOCK_QUESTION_ID, _COMMAND, _WHY, _WORD...\n"
	      "                     in its environment; none: no notification (default without\n"
	      "                     a terminal: notify-send, where installed with a desktop)\n"
	      "  --pass-env NAME    keep the variable NAME in COMMAND's environment (see below)\n"
	      "  --no-seccomp       no seccomp supervisor (static programs and raw system calls are\n"
	      "                     then not seen; setuid programs work again for non-root users)\n"
	      "  --no-strict        the supervisor judges only execs and connects: static and Go\n"
	      "                     programs and raw system calls then open, delete and rename\n"
	      "                     files unseen (by default it judges every open, delete and\n"
	      "                     rename the preload did not judge itself; see docs/seccomp.md).\n"
	      "                     --strict, the old name of the default, is still accepted\n"
	      "Environment: a token in the environment is a credential every guarded process\n"
	      "holds without opening anything. Before COMMAND starts, interlock removes the\n"
	      "secrets [environment] in 05-environment.conf names: cloud, platform and forge\n"
	      "tokens by name (AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN, RAILWAY_TOKEN...), any\n"
	      "variable shaped like one (*_TOKEN, *_SECRET, *_API_KEY, *_PASSWORD...), and\n"
	      "DATABASE_URL, *_URL, *_DSN... when the URL carries a password; it prints one\n"
	      "line on stderr naming those that were set. The agent's own credentials\n"
	      "(ANTHROPIC_API_KEY, OPENAI_API_KEY, CLAUDE_CODE_OAUTH_TOKEN...) are kept.\n"
	      "--pass-env NAME (repeatable) keeps one the agent really needs.\n"
	      "Exit status: COMMAND's; 126 if COMMAND itself is blocked; 125 if interlock fails\n"
	      "(bad usage, a --rules DIR that does not exist, an unknown --profile, bad rules).\n",
	      f);
}

int il_cmd_run(int argc, char **argv)
{
	struct il_opts o = { .prompt_timeout = 0 }; /* 0: not given (60, and no holding) */
	struct guard_seccomp gs = { .on = 1, .strict = 1 };
	const char *notify = 0;
	const char *pass[64];
	int npass = 0;
	static const struct option longs[] = {
		IL_COMMON_OPTIONS,
		{ "pass-env", required_argument, 0, 'e' },
		{ "no-seccomp", no_argument, 0, 'N' },
		{ "seccomp", no_argument, 0, 'S' },
		{ "strict", no_argument, 0, 's' },
		{ "no-strict", no_argument, 0, 'L' },
		{ "notify", required_argument, 0, 'n' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int ch;
	optind = 1;
	opterr = 0;
	/* +: the options end at COMMAND, whose own options are its own */
	while ((ch = getopt_long(argc, argv, "+:h", longs, 0)) != -1) {
		int r = il_common_optarg(&o, ch, optarg, "run");
		if (r < 0)
			return EXIT_INTERLOCK;
		if (r)
			continue;
		switch (ch) {
		case 'e':
			if (!env_name(optarg)) {
				fprintf(stderr, "interlock run: --pass-env: '%s' is not a variable name\n", optarg);
				return EXIT_INTERLOCK;
			}
			if (npass == (int)(sizeof pass / sizeof pass[0])) {
				fprintf(stderr, "interlock run: too many --pass-env names\n");
				return EXIT_INTERLOCK;
			}
			pass[npass++] = optarg;
			break;
		case 'N':
		case 'S':
			gs.on = ch == 'S';
			break;
		case 's': /* the default since #20; kept for scripts that pass it */
			gs.on = gs.strict = 1;
			break;
		case 'L':
			gs.strict = 0;
			break;
		case 'n':
			if (!*optarg) {
				fprintf(stderr, "interlock run: --notify: give a command, or none\n");
				return EXIT_INTERLOCK;
			}
			notify = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return il_bad_option("run", ch, argv);
		}
	}
	int i = optind;
	if (i >= argc) {
		usage(stderr);
		return EXIT_INTERLOCK;
	}
	char **cmd = argv + i;
	/* An explicit --prompt-timeout without a terminal holds questions for
	 * answers from outside; without one they are refused at once, as a
	 * script that never expected a human would want. */
	struct guard_answers ga = { .hold_s = isatty(0) ? 0 : o.prompt_timeout };
	if (!o.prompt_timeout)
		o.prompt_timeout = 60;
	/* Nothing in the guarded tree may ptrace us or read our memory: the
	 * human's keystrokes pass through here. */
	prctl(PR_SET_DUMPABLE, 0);

	char *lib = il_library_path();
	if (!lib) {
		fprintf(stderr, "interlock: cannot find libinterlock.so (set INTERLOCK_LIBRARY)\n");
		return EXIT_INTERLOCK;
	}
	char id[32] = "";
	il_new_session_id(id, sizeof id);
	char *audit = il_audit_path();
	char *dir = il_session_new(id, (long)getpid());
	if (!dir) {
		free(audit), free(lib);
		return EXIT_INTERLOCK;
	}
	/* Guarded processes ask the broker at this socket and nothing else:
	 * if it is not there, confirmation fails closed. */
	size_t sn = strlen(dir) + 16;
	char *sock = malloc(sn), *asock = malloc(sn);
	snprintf(sock, sn, "%s/broker.sock", dir);
	snprintf(asock, sn, "%s/" IL_AW_SOCKET, dir);
	ga.sock = asock;
	char *notify_send = notify || !ga.hold_s ? 0 : il_notify_default();
	ga.notify = (struct il_notify){ notify && strcmp(notify, "none") ? notify : 0, notify_send, id, 0 };
	if (ga.notify.command || ga.notify.notify_send)
		ga.notify.env = il_notify_env(); /* before LD_PRELOAD and the session are set */
	struct il_compiled c;
	char *protect = il_protected_paths(&o, audit, dir, lib);
	char tty[256] = "";
	if (isatty(0) && ttyname_r(0, tty, sizeof tty) != 0)
		tty[0] = 0;
	char *hosts = il_pinned_hosts();
	gs.marker = gs.on ? il_seccomp_new_marker() : 0;
	char adopted[4200];
	snprintf(adopted, sizeof adopted, "%s/" IL_ADOPTED_FILE, dir);
	struct il_session_meta meta = { id, getenv("HOME"), audit, o.profile, sock, o.prompt_timeout, protect,
					tty[0] ? tty : 0, hosts, 0, 0, gs.marker, adopted, { 0, 0 } };
	il_session_clock(dir, &meta.start);
	size_t n = strlen(dir) + 16;
	char *snap = malloc(n);
	snprintf(snap, n, "%s/rules.snap", dir);
	char *real_snap = 0;
	int rc = il_compile_cached(&c, &o, &meta);
	if (rc)
		goto out;
	if (il_write_file(snap, c.blob, c.len) < 0) {
		fprintf(stderr, "interlock: cannot write %s: %s\n", snap, strerror(errno));
		rc = EXIT_INTERLOCK;
		goto out;
	}
	/* the supervisor compares it with resolved paths */
	real_snap = realpath(snap, 0);
	gs.snap = real_snap ? real_snap : snap;

	check_pass_env(&c.rs, pass, npass);
	il_env_scrub(&c.rs, pass, npass);

	/* The command itself is checked here: interlock is not preloaded into
	 * itself. */
	char cwd[4096];
	if (!getcwd(cwd, sizeof cwd))
		strcpy(cwd, "/");
	struct il_verdict v;
	il_eval_argv(&c, cmd, cwd, o.profile, &v, il_scratch());
	/* A command that needs a human is asked about like any other exec of
	 * the session: the supervisor traps the child's exec of it and asks
	 * through the broker. Without that layer, or without a terminal (and
	 * no --prompt-timeout to hold the question), it is refused here. */
	gs.ask_first = v.action == IL_CONFIRM && !v.error && gs.on && (isatty(0) || ga.hold_s);
	if (v.action >= IL_CONFIRM && !gs.ask_first) {
		il_print_blocked(stderr, &v);
		audit_self(id, o.profile, audit, cmd, cwd, &v, "denied", v.action == IL_CONFIRM ? "no-terminal" : "rule");
		rc = 126;
		goto out;
	}
	if (v.action == IL_LOG)
		audit_self(id, o.profile, audit, cmd, cwd, &v, "allowed", "rule");

	if (set_preload(lib) < 0 || setenv("INTERLOCK_SESSION", id, 1) < 0 ||
	    setenv("INTERLOCK_SNAPSHOT", snap, 1) < 0 ||
	    (o.profile ? setenv("INTERLOCK_PROFILE", o.profile, 1) : unsetenv("INTERLOCK_PROFILE")) < 0) {
		rc = EXIT_INTERLOCK;
		goto out;
	}
	gs.rules = &c, gs.lib = lib;
	rc = run_guarded(cmd, sock, id, &o, audit, &gs, &ga);
out:
	il_session_remove(dir);
	free(snap);
	free(real_snap);
	free(sock);
	free(asock);
	free(notify_send);
	il_notify_env_free(ga.notify.env);
	free(dir);
	free(audit);
	free(lib);
	free(protect);
	free(hosts);
	/* The process ends with this return: freeing ~140 rules' patterns
	 * and strings one by one took a quarter of a millisecond of every
	 * run. Sanitizer builds free them, so that leak checks keep their
	 * meaning. */
#if defined(__SANITIZE_ADDRESS__)
	il_compiled_free(&c);
#endif
	return rc;
}
