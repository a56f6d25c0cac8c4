/* interlock doctor: is this installation able to guard anything?
 *
 * One line per fact, `ok|warn|fail  what  (hint)`; exit 1 if anything
 * failed. The library is loaded by the dynamic loader into a child (all
 * its symbols bound at once) and then preloaded into a real child process
 * that runs a harmless probe a throw-away rule refuses, so a
 * green line means a guarded process really was stopped. Nothing here writes
 * outside a temporary directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "filter.h"

extern char **environ;

#define IL_DEFAULT_SNAPSHOT "/etc/interlock/rules.snap" /* as lib/preload/init.c */

struct doc {
	int fails, warns, color;
};

enum { OK, WARN, FAIL };

static int file_mentions(const char *path, const char *needle);

/* `what` may contain paths: printed as they are, they come from us. */
static void report(struct doc *d, int level, const char *hint, const char *fmt, ...)
{
	static const char *const tag[] = { "ok", "warn", "fail" };
	static const char *const col[] = { "\033[32m", "\033[33m", "\033[31m" };
	if (level == WARN)
		d->warns++;
	if (level == FAIL)
		d->fails++;
	printf("%s%-4s%s  ", d->color ? col[level] : "", tag[level], d->color ? "\033[0m" : "");
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (hint && *hint)
		printf("  (%s)", hint);
	putchar('\n');
}

static char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	for (;;) {
		if (!buf)
			break;
		if (n == cap) {
			char *b = realloc(buf, cap * 2 + 1);
			if (!b) {
				free(buf);
				buf = 0;
				break;
			}
			buf = b;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (buf)
		buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

/* Waits for pid up to `secs`; kills it after. Returns the wait status or -1. */
static int wait_for(pid_t pid, int secs)
{
	int status;
	for (int i = 0; i < secs * 50; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, 0);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* ---- the library ---- */

/* The loader's own verdict on the library: a dynamic true(1) with it
 * preloaded and every symbol bound at start (LD_BIND_NOW), so an
 * unresolvable import fails here rather than at some later call. The CLI
 * is a static program and cannot ask dlopen(3) the same. The loader says
 * "cannot be preloaded" or "symbol lookup error" on stderr. */
static int check_load(struct doc *d, const char *lib, const char *tmp)
{
	char errpath[PATH_MAX], truebuf[PATH_MAX], pre[PATH_MAX + 16];
	snprintf(errpath, sizeof errpath, "%.3000s/load.err", tmp);
	snprintf(pre, sizeof pre, "LD_PRELOAD=%s", lib);
	const char *truebin = il_program_path("true", truebuf, sizeof truebuf);
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		report(d, FAIL, strerror(errno), "library: cannot fork to load it");
		return -1;
	}
	if (pid == 0) {
		int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(126);
		/* no session: the library loads and judges nothing */
		char *envp[] = { pre, "LD_BIND_NOW=1", "PATH=/usr/bin:/bin", 0 };
		char *argv[] = { "true", 0 };
		execve(truebin, argv, envp);
		_exit(127);
	}
	int st = wait_for(pid, 10);
	char *err = slurp(errpath, 0);
	int said = err && (strstr(err, "ld.so") || strstr(err, "symbol lookup error"));
	int loaded = !said && st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	if (loaded)
		report(d, OK, 0, "library loads: %s", lib);
	else if (!said && st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 127)
		report(d, WARN, "install coreutils", "library: no true(1) to load %s into", lib);
	else {
		char *nl = err ? strchr(err, '\n') : 0;
		if (nl)
			*nl = 0;
		report(d, FAIL, "is it built for this architecture and C library (glibc)?", "library %s does not load: %s", lib,
		       err && *err ? err : "the loading process died");
	}
	free(err);
	return loaded ? 0 : -1;
}

/* A throw-away rule set whose only rule refuses `true --interlock-doctor-probe`. */
static int write_probe_snapshot(const char *tmp, char *snap, size_t cap, char *audit, size_t acap)
{
	char dir[PATH_MAX], conf[PATH_MAX];
	snprintf(dir, sizeof dir, "%.3000s/rules.d", tmp);
	snprintf(conf, sizeof conf, "%.3000s/probe.conf", dir);
	snprintf(snap, cap, "%.3000s/probe.snap", tmp);
	snprintf(audit, acap, "%.3000s/audit.jsonl", tmp);
	if (mkdir(dir, 0700) < 0)
		return -1;
	static const char text[] = "[interlock-doctor-probe]\n"
				   "on = exec\n"
				   "program = true\n"
				   "arg = ^--interlock-doctor-probe$\n"
				   "action = deny\n"
				   "why = interlock doctor checks that the preload refuses this harmless probe\n"
				   "match = true --interlock-doctor-probe\n";
	int fd = open(conf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, sizeof text - 1) != (ssize_t)(sizeof text - 1)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	struct il_ruleset rs = { 0 };
	FILE *sink = fopen("/dev/null", "w");
	rs.diag = sink;
	char *dirs[] = { dir, 0 };
	int rc = -1;
	void *blob = 0;
	size_t len = 0;
	struct il_session_meta meta = { .audit = audit, .prompt_timeout = 1 };
	if (il_ruleset_load(&rs, dirs) == 0 && rs.nrules == 1 && il_snapshot_build(&rs, &meta, &blob, &len) == 0)
		rc = il_write_file(snap, blob, len);
	free(blob);
	il_ruleset_free(&rs);
	if (sink)
		fclose(sink);
	return rc;
}

/* Runs `sh -c SCRIPT` with only the library preloaded and the probe rule
 * set: the shell prints its children's /proc/self/maps and the status of
 * the probe exec. */
static void check_child(struct doc *d, const char *lib, const char *tmp, int self_guarded)
{
	char snap[PATH_MAX], audit[PATH_MAX], out[PATH_MAX], err[PATH_MAX], truebuf[PATH_MAX], shbuf[PATH_MAX];
	if (write_probe_snapshot(tmp, snap, sizeof snap, audit, sizeof audit) < 0) {
		report(d, FAIL, "is TMPDIR writable?", "preload: cannot prepare the probe rule set in %s", tmp);
		return;
	}
	const char *truebin = il_program_path("true", truebuf, sizeof truebuf);
	const char *sh = access("/bin/sh", X_OK) == 0 ? "/bin/sh" : il_program_path("sh", shbuf, sizeof shbuf);
	if (!strchr(truebin, '/') || access(sh, X_OK) < 0) {
		report(d, WARN, "install coreutils", "preload: no /bin/sh or true(1) to run the probe with");
		return;
	}
	snprintf(out, sizeof out, "%.3000s/child.out", tmp);
	snprintf(err, sizeof err, "%.3000s/child.err", tmp);
	/* The environment, minus any session of ours: the probe must use the
	 * probe rules only. */
	size_t n = 0;
	while (environ[n])
		n++;
	char **envp = calloc(n + 4, sizeof *envp);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) && strncmp(environ[i], "INTERLOCK_SESSION=", 18) &&
		    strncmp(environ[i], "INTERLOCK_SNAPSHOT=", 19) && strncmp(environ[i], "INTERLOCK_PROFILE=", 18))
			envp[k++] = environ[i];
	char pre[PATH_MAX + 16], sn[PATH_MAX + 32];
	snprintf(pre, sizeof pre, "LD_PRELOAD=%s", lib);
	snprintf(sn, sizeof sn, "INTERLOCK_SNAPSHOT=%s", snap);
	envp[k++] = pre;
	envp[k++] = sn;
	envp[k] = 0;
	const char *script = "cat /proc/self/maps; \"$1\" --interlock-doctor-probe; echo \"probe-status=$?\"";
	char *argv[] = { "sh", "-c", (char *)script, "sh", (char *)truebin, 0 };
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int in = open("/dev/null", O_RDONLY);
		if (o < 0 || e < 0 || in < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(127);
		setsid(); /* no terminal: nothing may prompt */
		execve(sh, argv, envp);
		_exit(127);
	}
	free(envp);
	int st = pid > 0 ? wait_for(pid, 20) : -1;
	char *o = slurp(out, 0), *e = slurp(err, 0);
	char *a = slurp(audit, 0);
	if (st < 0 || !o) {
		report(d, FAIL, 0, "preload: the probe process did not finish");
		goto out;
	}
	if (!strstr(o, lib)) {
		char *nl = e ? strchr(e, '\n') : 0;
		if (nl)
			*nl = 0;
		report(d, FAIL, e && *e ? e : "see ld.so(8): a setuid program, or LD_PRELOAD ignored",
		       "preload: a child started with LD_PRELOAD=%s does not map it", lib);
		goto out;
	}
	report(d, OK, 0, "preload: a child process loads the library");
	if (self_guarded) {
		/* Our own hooks put the session back into the child's
		 * environment: it cannot be moved to the probe rules. */
		report(d, OK, "run it outside interlock to test enforcement",
		       "preload: doctor itself runs guarded, so the enforcement probe is skipped");
		goto out;
	}
	if (strstr(o, "probe-status=126") && e && strstr(e, "interlock: blocked: "))
		report(d, OK, 0, "preload: a probe exec in the child was refused (EACCES, status 126) with a message");
	else
		report(d, FAIL, "rebuild; run the test suite", "preload: the probe exec in the child was not refused");
	if (a && strstr(a, "interlock-doctor-probe"))
		report(d, OK, 0, "preload: the refusal was recorded in an audit log");
	else
		report(d, WARN, 0, "preload: the probe's refusal did not reach its audit log");
out:
	free(o), free(e), free(a);
}

/* ---- seccomp ---- */

static void check_seccomp(struct doc *d)
{
	char why[160] = "";
	if (!il_seccomp_available(why, sizeof why)) {
		report(d, WARN, "Linux >= 5.0 needed; in a container, its seccomp profile must allow seccomp(2)",
		       "seccomp: %s: only the preload layer can guard, so static and Go binaries are not covered", why);
		return;
	}
	/* The kernel says yes; make sure a listener can really be installed
	 * here (a container's profile, or a supervisor already above us). */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct sock_filter f[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
		struct sock_fprog prog = { 1, f };
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(10);
		long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
		_exit(fd >= 0 ? 0 : errno > 0 && errno < 100 ? 20 + errno : 11);
	}
	int st = pid > 0 ? wait_for(pid, 10) : -1;
	int code = st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (code == 0)
		report(d, OK, 0, "seccomp: user notification works here; `interlock run` adds the seccomp supervisor layer");
	else if (code == 20 + EBUSY)
		report(d, OK, 0, "seccomp: this process is already under a seccomp user-notification supervisor");
	else
		report(d, WARN, "a container's seccomp profile may forbid it",
		       "seccomp: a user-notification filter cannot be installed (%s): only the preload layer can guard",
		       code > 20 ? strerror(code - 20) : "failed");
}

/* ---- rules ---- */

static int count_conf(const char *dir)
{
	int n = 0;
	DIR *dp = opendir(dir);
	if (!dp)
		return -1;
	struct dirent *e;
	while ((e = readdir(dp))) {
		size_t l = strlen(e->d_name);
		if (l > 5 && e->d_name[0] != '.' && !strcmp(e->d_name + l - 5, ".conf"))
			n++;
	}
	closedir(dp);
	return n;
}

static void check_rule_dirs(struct doc *d, const struct il_opts *o)
{
	char **dirs = il_rule_dirs(o);
	const char *over = getenv("INTERLOCK_RULES_PATH");
	int ndirs = 0;
	while (dirs[ndirs])
		ndirs++;
	int first_opt = ndirs - o->nrules; /* the --rules DIRs come last */
	if (over && *over)
		report(d, OK, "unset it to use the shipped, /etc and user directories",
		       "rules: INTERLOCK_RULES_PATH=%s replaces the default directories", over);
	for (int i = 0; dirs[i]; i++) {
		int n = count_conf(dirs[i]);
		struct stat st;
		if (n >= 0)
			report(d, OK, 0, "rule directory %s: %d file%s", dirs[i], n, n == 1 ? "" : "s");
		else if (stat(dirs[i], &st) == 0 || errno != ENOENT)
			report(d, FAIL, strerror(errno), "rule directory %s cannot be read", dirs[i]);
		else if (i == 0 && !(over && *over))
			report(d, FAIL, "reinstall interlock", "rule directory %s (the shipped rules) does not exist", dirs[i]);
		else if (i >= first_opt)
			report(d, FAIL, "check the path given to --rules", "rule directory %s (--rules) does not exist",
			       dirs[i]);
		else
			report(d, OK, 0, "rule directory %s: not present (optional)", dirs[i]);
	}
	il_strv_free(dirs);
}

/* Loads and compiles the rule set in force; *blob gets the sessionless
 * snapshot it compiles to (as `interlock rules compile` writes it). */
static void check_rules(struct doc *d, const struct il_opts *o, void **blob, size_t *len)
{
	char *msgs = 0;
	size_t mlen = 0;
	FILE *m = open_memstream(&msgs, &mlen);
	struct il_ruleset rs = { 0 };
	rs.diag = m;
	char **dirs = il_rule_dirs(o);
	il_ruleset_load(&rs, dirs);
	il_strv_free(dirs);
	if (m)
		fclose(m);
	if (rs.errors) {
		report(d, FAIL, "fix them; nothing can run under interlock until then", "rules: %d error%s", rs.errors,
		       rs.errors == 1 ? "" : "s");
		for (char *line = msgs, *nl; line && *line; line = nl ? nl + 1 : 0) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = 0;
			printf("        %s\n", line);
			if (!nl)
				break;
		}
	} else if (!rs.nrules) {
		report(d, FAIL, "install the shipped rules or add rule files", "rules: none found");
	} else if (il_snapshot_build(&rs, &(struct il_session_meta){ .prompt_timeout = 0 }, blob, len) < 0) {
		report(d, FAIL, 0, "rules: %d rules load but cannot be compiled into a snapshot", rs.nrules);
	} else {
		report(d, OK, 0, "rules: %d rules, %d programs from %d files compile (%zu bytes)", rs.nrules, rs.nprogs,
		       rs.nfiles, *len);
	}
	free(msgs);
	il_ruleset_free(&rs);
}

static int file_mentions(const char *path, const char *needle)
{
	char *s = slurp(path, 0);
	int r = s && strstr(s, needle);
	free(s);
	return r;
}

static void check_sessionless(struct doc *d, const void *blob, size_t len)
{
	/* Without a session the preload reads INTERLOCK_SNAPSHOT, else the default. */
	const char *env_snap = getenv("INTERLOCK_SNAPSHOT"), *sess = getenv("INTERLOCK_SESSION");
	const char *path = env_snap && *env_snap && !(sess && *sess) ? env_snap : IL_DEFAULT_SNAPSHOT;
	const char *lp = getenv("LD_PRELOAD");
	int imagewide = file_mentions("/etc/ld.so.preload", "libinterlock") ||
			(lp && strstr(lp, "libinterlock") && !getenv("INTERLOCK_SESSION"));
	if (file_mentions("/etc/ld.so.preload", "libinterlock"))
		report(d, OK, 0, "sessionless: /etc/ld.so.preload loads libinterlock into every process");
	size_t have = 0;
	char *cur = slurp(path, &have);
	if (!cur) {
		if (errno == ENOENT)
			report(d, imagewide ? FAIL : OK,
			       imagewide ? "run `interlock rules compile` as root" : "only needed to guard without a wrapper",
			       "sessionless snapshot %s: not installed", path);
		else
			report(d, imagewide ? FAIL : WARN, strerror(errno), "sessionless snapshot %s cannot be read", path);
		return;
	}
	struct il_snap_view v;
	if (il_snap_open(&v, cur, have) < 0)
		report(d, FAIL, "run `interlock rules compile` as root",
		       "sessionless snapshot %s is not readable by this version: processes without a session refuse every "
		       "guarded command",
		       path);
	else if (!blob)
		report(d, WARN, "fix the rules first", "sessionless snapshot %s: cannot tell if it is current", path);
	else if (have != len || memcmp(cur, blob, len))
		report(d, WARN, "run `interlock rules compile` as root to update it",
		       "sessionless snapshot %s differs from the rules in force", path);
	else
		report(d, OK, 0, "sessionless snapshot %s is current", path);
	free(cur);
}

/* ---- where things go ---- */

static void check_audit(struct doc *d)
{
	char *path = il_audit_path();
	struct stat st;
	if (stat(path, &st) == 0) {
		if (access(path, W_OK) == 0)
			report(d, OK, 0, "audit log %s (%lld bytes; `interlock log` shows it)", path, (long long)st.st_size);
		else
			report(d, WARN, "fix its permissions", "audit log %s is not writable: decisions go unrecorded", path);
		free(path);
		return;
	}
	/* The first existing ancestor must let us create the rest. */
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash;
	while ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = 0;
		if (stat(dir, &st) == 0)
			break;
	}
	if (access(dir, W_OK) == 0)
		report(d, OK, 0, "audit log %s (created on the first decision)", path);
	else
		report(d, WARN, "set XDG_STATE_HOME to a writable directory",
		       "audit log %s cannot be created (%s is not writable): decisions go unrecorded", path, dir);
	free(path);
}

/* The compiled rules a session would start from (snap_cache.c). */
static void check_cache(struct doc *d, const struct il_opts *o)
{
	char *dir = il_cache_dir();
	struct stat st;
	if (!dir)
		return;
	if (lstat(dir, &st) == 0 && (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 022))) {
		report(d, WARN, "make it yours alone (chmod 700) or remove it",
		       "rule cache %s is not a private directory: interlock does not use it", dir);
		free(dir);
		return;
	}
	char **dirs = il_rule_dirs(o);
	struct il_cache_key key;
	int cached = 0;
	void *rules;
	size_t n;
	if (il_snap_cache_key(dirs, o->profile, &key) == 0 && il_cache_get("rules", &key, 0, &rules, &n) == 0) {
		cached = 1;
		free(rules);
	}
	il_strv_free(dirs);
	report(d, OK, 0, cached ? "rule cache %s: the rules in force are compiled there"
				: "rule cache %s: the rules in force are compiled and kept at the next start",
	       dir);
	free(dir);
}

static void check_terminal(struct doc *d)
{
	int in = isatty(0);
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	if (fd >= 0)
		report(d, OK, 0, "terminal: /dev/tty is available for prompts%s", in ? " (stdin is a terminal)" : "");
	else
		report(d, WARN, "confirm rules fail closed (are denied) without one; run interlock from a terminal to approve",
		       "terminal: no controlling terminal%s", in ? " (stdin is a terminal, but not the controlling one)" : "");
}

/* --profile must name a profile of the rules in force, as for run and
 * check. Rules that do not load are the report's to show, not this. */
static int profile_known(const struct il_opts *o)
{
	if (!o->profile)
		return 1;
	struct il_ruleset rs = { 0 };
	FILE *sink = fopen("/dev/null", "w");
	rs.diag = sink;
	char **dirs = il_rule_dirs(o);
	il_ruleset_load(&rs, dirs);
	il_strv_free(dirs);
	if (sink)
		fclose(sink);
	int known = rs.errors || !rs.nrules || il_profile_check(&rs, o->profile) == 0;
	il_ruleset_free(&rs);
	return known;
}

static void usage(FILE *f)
{
	fputs("usage: interlock doctor [--rules DIR]...\n"
	      "Checks the installation: the preload library (present, loadable, loaded and enforcing\n"
	      "in a child), the layers available (preload, seccomp), the rules (they compile; errors\n"
	      "as FILE:LINE), the rule directories, the audit log, the terminal for prompts and the\n"
	      "sessionless snapshot. Each line is ok, warn or fail with a hint; exit status 1 if\n"
	      "anything failed, 125 on bad usage (a --rules DIR that does not exist, a --profile\n"
	      "no rule names).\n",
	      f);
}

int il_cmd_doctor(int argc, char **argv)
{
	struct il_opts o = { 0 };
	static const struct option longs[] = { IL_COMMON_OPTIONS, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", longs, 0)) != -1) {
		int r = il_common_optarg(&o, ch, optarg, "doctor");
		if (r < 0)
			return EXIT_INTERLOCK;
		if (r)
			continue;
		if (ch == 'h') {
			usage(stdout);
			return 0;
		}
		return il_bad_option("doctor", ch, argv);
	}
	if (optind < argc) {
		fprintf(stderr, "interlock doctor: unexpected argument '%s'\n", argv[optind]);
		return EXIT_INTERLOCK;
	}
	if (!profile_known(&o))
		return EXIT_INTERLOCK;
	struct doc d = { 0 };
	const char *nc = getenv("NO_COLOR");
	d.color = isatty(1) && !(nc && *nc);

	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	report(&d, OK, 0, "interlock %s at %s", IL_VERSION, n > 0 ? exe : "?");
	const char *sess = getenv("INTERLOCK_SESSION");
	if (sess && *sess)
		report(&d, OK, 0, "session: running inside interlock session %s", sess);

	char tmp[PATH_MAX];
	const char *td = getenv("TMPDIR");
	snprintf(tmp, sizeof tmp, "%s/interlock-doctor-XXXXXX", td && *td ? td : "/tmp");
	int have_tmp = mkdtemp(tmp) != 0;

	char *lib = il_library_path();
	const char *env_lib = getenv("INTERLOCK_LIBRARY");
	if (!lib)
	{
		if (env_lib && *env_lib)
			report(&d, FAIL, "point it at libinterlock.so, or unset it",
			       "library: INTERLOCK_LIBRARY=%s does not exist", env_lib);
		else
			report(&d, FAIL, "build it, reinstall, or set INTERLOCK_LIBRARY",
			       "library: libinterlock.so is neither next to %s nor in " IL_REL_LIBDIR "/ relative to it", exe);
	}
	else if (!have_tmp)
		report(&d, FAIL, "set TMPDIR", "cannot create a temporary directory in %s", td && *td ? td : "/tmp");
	else if (check_load(&d, lib, tmp) == 0)
		check_child(&d, lib, tmp, file_mentions("/proc/self/maps", "libinterlock"));
	check_seccomp(&d);

	check_rule_dirs(&d, &o);
	void *blob = 0;
	size_t len = 0;
	check_rules(&d, &o, &blob, &len);
	check_sessionless(&d, blob, len);
	free(blob);
	check_audit(&d);
	check_cache(&d, &o);
	check_terminal(&d);

	if (have_tmp) {
		const char *files[] = { "load.err", "rules.d/probe.conf", "probe.snap", "audit.jsonl",
					"child.out", "child.err" };
		char p[PATH_MAX + 64];
		for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
			snprintf(p, sizeof p, "%s/%s", tmp, files[i]);
			unlink(p);
		}
		snprintf(p, sizeof p, "%.3000s/rules.d", tmp);
		rmdir(p);
		rmdir(tmp);
	}
	free(lib);
	printf("%d failed, %d warning%s\n", d.fails, d.warns, d.warns == 1 ? "" : "s");
	return d.fails ? 1 : 0;
}
