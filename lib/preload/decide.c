/* The exec decision as the hooks see it: prefilter, evaluate, tell the
 * agent, record. Heap-free; scratch memory is one private mapping per
 * evaluated exec, and only execs of programs some rule names get that far. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "engine_int.h"
#include "preload.h"
#include "rawsys.h"

#define SCRATCH_SIZE (4u << 20)

const char *il_path_entry(const char *dirs, const char *file, char *buf, size_t cap, int *fits)
{
	const char *e = dirs;
	while (*e && *e != ':')
		e++;
	size_t dl = (size_t)(e - dirs), fl = il_strlen(file);
	*fits = dl + fl + 2 <= cap;
	if (*fits) {
		il_memcpy(buf, dirs, dl);
		size_t o = dl;
		if (dl) /* an empty entry is the working directory: FILE alone */
			buf[o++] = '/';
		il_memcpy(buf + o, file, fl + 1);
	}
	return *e ? e + 1 : 0;
}

const char *il_path_dirs(void)
{
	const char *dirs = il_env_get(environ, "PATH");
	return dirs ? dirs : "/bin:/usr/bin";
}

const char *il_search_path(const char *file, char *buf, size_t cap)
{
	if (!file || !*file)
		return file;
	for (const char *p = file; *p; p++)
		if (*p == '/')
			return file;
	int fits;
	for (const char *d = il_path_dirs(); d;) {
		d = il_path_entry(d, file, buf, cap, &fits);
		/* what execve would run (checked with the effective ids, as
		 * execve does: a setuid program's real ones could skip to
		 * another file); glibc's walk goes past a directory (EACCES)
		 * to the next entry */
		struct stat st;
		if (fits && faccessat(AT_FDCWD, buf, X_OK, AT_EACCESS) == 0 && stat(buf, &st) == 0 &&
		    S_ISREG(st.st_mode))
			return buf;
	}
	return file;
}

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

/* The one line the agent reads. `how` says why no human allowed it. */
static void tell(const struct il_verdict *v, const char *what, const char *how)
{
	il_say("interlock: blocked: ");
	il_say(what);
	il_say(": ");
	il_say(v->why && *v->why ? v->why : "not allowed");
	if (v->rule_id) {
		il_say(" (rule ");
		il_say(v->rule_id);
		il_say(")");
	}
	il_say(how);
	il_say(" do not try to work around this block; ask the user to run it themselves or to approve it\n");
}

static const char *how_text(int action, int answer)
{
	if (action != IL_CONFIRM)
		return ";";
	switch (answer) {
	case IL_ANSWER_TIMEOUT:
		return "; the human did not confirm in time:";
	case IL_ANSWER_NO_TERMINAL:
	case IL_ANSWER_NO_BROKER:
		return "; this needs a human's confirmation and no human terminal is available to ask:";
	default:
		return "; the human did not confirm it:";
	}
}

static const char *by_text(int answer)
{
	static const char *const by[] = { "human", "session-approval", "human", "timeout", "no-terminal", "no-terminal" };
	return answer >= 0 && answer <= IL_ANSWER_NO_BROKER ? by[answer] : "rule";
}

static void audit(struct il_snap_view *sv, const struct il_verdict *v, const struct il_event_desc *e,
		  const char *decision, const char *by, char *buf, size_t cap)
{
	const char *logpath = sv ? il_snap_str(sv, sv->hdr->audit) : 0;
	char fallback[4096];
	if (!logpath || !*logpath) {
		const char *state = il_env_get(environ, "XDG_STATE_HOME");
		const char *home = il_env_get(environ, "HOME");
		const char *base = state && *state ? state : home;
		const char *tail = state && *state ? "/interlock/audit.jsonl" : "/.local/state/interlock/audit.jsonl";
		if (!base || il_strlen(base) + il_strlen(tail) + 1 > sizeof fallback)
			return;
		il_memcpy(fallback, base, il_strlen(base));
		il_memcpy(fallback + il_strlen(base), tail, il_strlen(tail) + 1);
		logpath = fallback;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct il_audit_rec r = {
		.session = sv ? il_snap_str(sv, sv->hdr->session) : il_sess.session,
		.profile = il_sess.profile,
		.pid = (long)getpid(),
		.ppid = (long)getppid(),
		.exe = e->exe,
		.argv = (const char *const *)e->argv,
		.cwd = e->cwd,
		.event = e->event,
		.rule = v ? v->rule_id : 0,
		.action = v ? v->action : IL_DENY,
		.decision = decision,
		.by = by,
	};
	size_t n = il_audit_format(buf, cap, &r, (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	if (n)
		il_audit_append(logpath, buf, n);
}

static const char *broker_of(struct il_snap_view *v)
{
	return il_snap_str(v, v->hdr->socket);
}

static int ask(struct il_snap_view *v, const struct il_verdict *verdict, const struct il_event_desc *e)
{
	struct il_confirm_req r = { verdict->rule_id, verdict->word, verdict->why, e->what,
				    verdict->target ? verdict->target : "", e->cwd, e->exe ? e->exe : "", e->argv,
				    e->event /* the broker's audit record says what kind of event */ };
	return il_confirm(broker_of(v), &r, (int)v->hdr->prompt_timeout);
}

/* execvp-style callers (python's subprocess, perl) retry a refused exec
 * on the next PATH entry that has the program (/usr/bin/rm, then /bin/rm).
 * One question and one message per operation: a repeat of the last
 * refused operation in this process gets the same answer silently. */
static uint64_t last_key;
static int last_answer = -1;

static uint64_t op_key(const struct il_verdict *v, char *const argv[])
{
	uint64_t h = 1469598103934665603ull;
	const char *id = v->rule_id ? v->rule_id : "";
	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 1099511628211ull;
	for (int i = 1; argv && argv[0] && argv[i]; i++)
		for (const char *p = argv[i];; p++) {
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
			if (!*p)
				break;
		}
	return h | 1;
}

/* A quiet refusal (ps reading every process's environ) is recorded once
 * per process: one `ps aux` would otherwise write a line per process. */
static int quiet_logged;

int il_settle(struct il_snap_view *v, const struct il_verdict *verdict, const struct il_event_desc *e, char *buf,
	      size_t cap)
{
	if (verdict->quiet) {
		if (!__atomic_exchange_n(&quiet_logged, 1, __ATOMIC_RELAXED))
			audit(v, verdict, e, "denied", "quiet-program", buf, cap);
		return -1;
	}
	if (verdict->action == IL_LOG) {
		audit(v, verdict, e, "allowed", "rule", buf, cap);
		return 0;
	}
	if (verdict->action < IL_CONFIRM)
		return 0;
	int answer = IL_ANSWER_DENY;
	uint64_t key = op_key(verdict, e->argv);
	int repeat = __atomic_load_n(&last_key, __ATOMIC_RELAXED) == key && last_answer >= 0;
	if (repeat)
		answer = last_answer;
	else if (verdict->action == IL_CONFIRM && !verdict->error)
		answer = ask(v, verdict, e);
	last_answer = answer;
	__atomic_store_n(&last_key, key, __ATOMIC_RELAXED);
	int allowed = answer == IL_ANSWER_ONCE || answer == IL_ANSWER_SESSION;
	if (repeat)
		return allowed ? 0 : -1;
	if (allowed) {
		if (!broker_of(v))
			audit(v, verdict, e, "allowed", by_text(answer), buf, cap);
		return 0;
	}
	tell(verdict, e->what, how_text(verdict->action, answer));
	/* The broker records what it decided; the rest is ours. */
	if (verdict->action != IL_CONFIRM || !broker_of(v) || answer == IL_ANSWER_NO_BROKER)
		audit(v, verdict, e, "denied", verdict->action == IL_CONFIRM ? by_text(answer) : "rule", buf, cap);
	return -1;
}

static int is_candidate(struct il_snap_view *v, const char *path, char *const argv[])
{
	if (path && il_snap_exec_candidate(v, il_basename(path)))
		return 1;
	return argv && argv[0] && il_snap_exec_candidate(v, il_basename(argv[0]));
}

/* This process, as the maker of the exec (unless-caller rules): its
 * program's base name and its arguments, read when a rule asks. Raw system
 * calls: our own open hook must not judge this read. NULL when it cannot
 * be read. */
struct self_caller {
	struct il_snap_view *v;
	char cmdline[2048];
	const char *vec[64];
};

static const char *const *self_caller(void *ctx)
{
	struct self_caller *c = ctx;
	const char *exe = il_self_program(c->v);
	if (!exe)
		return 0;
	long fd = il_sys4(SYS_openat, AT_FDCWD, (long)"/proc/self/cmdline", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	long n = il_sys4(SYS_read, fd, (long)c->cmdline, (long)sizeof c->cmdline, 0);
	il_sys4(SYS_close, fd, 0, 0, 0);
	if (n <= 0 || il_caller_split(c->cmdline, (size_t)n, exe, c->vec, 64) < 1)
		return 0;
	return c->vec;
}

int il_check_exec(const char *path, char *const argv[], char *const envp[])
{
	int saved = errno;
	int broken = 0;
	struct il_snap_view *v = il_snapshot(&broken);
	if (!v && !broken) {
		errno = saved;
		return 0;
	}
	if (v && !is_candidate(v, path, argv)) {
		errno = saved;
		return 0;
	}
	/* Nothing runs when the file is not there; execvp-style callers
	 * (python's subprocess among them) probe every PATH entry this way. */
	if (v && path && path[0] == '/' && access(path, F_OK) < 0 && (errno == ENOENT || errno == ENOTDIR)) {
		errno = saved;
		return 0;
	}
	char cwd[4096];
	if (!getcwd(cwd, sizeof cwd))
		il_memcpy(cwd, "/", 2);
	struct il_scratch sc;
	struct il_verdict verdict;
	int result = 0;
	int mapped = v && il_scratch_open(&sc, SCRATCH_SIZE) == 0;
	if (!mapped) {
		verdict = (struct il_verdict){ .action = IL_DENY, .rule = -1 };
		verdict.why = v ? "interlock has no memory to evaluate this command"
				: "the interlock session's rule set cannot be read (the session may have ended), so every command is refused";
		tell(&verdict, path ? path : "exec", ";");
		errno = EACCES;
		return -1;
	}
	char *textbuf = sc.text;
	struct self_caller caller = { .v = v };
	struct il_exec_event ev = { path, argv, envp, cwd, il_sess.profile, self_caller, &caller };
	il_decide_exec(v, &ev, &sc.a, &verdict);
	if (verdict.action >= IL_LOG) {
		const struct il_cmd *c = verdict.cmd;
		if (c)
			il_format_argv(textbuf, 1024, c->argv, c->argc);
		else
			il_format_argv(textbuf, 1024, (const char *const *)argv, argv && argv[0] ? 1 : 0);
		struct il_event_desc e = { "exec", textbuf, path, argv, cwd };
		result = il_settle(v, &verdict, &e, textbuf + 1024, IL_TEXT_SIZE - 1024);
	}
	il_scratch_close(&sc);
	errno = result ? EACCES : saved;
	return result;
}
