/* interlock run: compile the rules once, start COMMAND with the preload and
 * the session in its environment, and pass its exit status through. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static pid_t child = -1;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

int il_make_private_dir(const char *path)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -1;
	struct stat st;
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077))
		return -1;
	return 0;
}

/* <runtime dir>/interlock/<session>: private to the user. */
char *il_session_dir(const char *id)
{
	char base[4096];
	const char *rt = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	if (rt && *rt && stat(rt, &st) == 0 && S_ISDIR(st.st_mode) && access(rt, W_OK) == 0)
		snprintf(base, sizeof base, "%s/interlock", rt);
	else
		snprintf(base, sizeof base, "/tmp/interlock-%u", (unsigned)getuid());
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
	const char *p = data;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w <= 0) {
			close(fd);
			return -1;
		}
		p += w, len -= (size_t)w;
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
				  (const char *const *)argv, cwd, "exec", v->rule_id, v->action, decision, by };
	size_t n = il_audit_format(buf, sizeof buf, &r, (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	if (n)
		il_audit_append(audit, buf, n);
}

static int wait_child(void)
{
	int status = 0;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return EXIT_INTERLOCK;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_INTERLOCK;
}

static void usage(FILE *f)
{
	fputs("usage: interlock run [--rules DIR]... [--profile NAME] [--prompt-timeout S] -- COMMAND [ARG]...\n"
	      "Runs COMMAND with every exec in its process tree checked against the rules.\n"
	      "Exit status: COMMAND's; 126 if COMMAND itself is blocked; 125 if interlock fails.\n",
	      f);
}

int il_cmd_run(int argc, char **argv)
{
	struct il_opts o = { .prompt_timeout = 60 };
	int i;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--no-seccomp"))
			continue; /* the seccomp layer is not built yet */
		int r = il_common_opt(&o, argc, argv, &i);
		if (r < 0)
			return EXIT_INTERLOCK;
		if (r == 0) {
			if (argv[i][0] == '-') {
				fprintf(stderr, "interlock run: unknown option '%s'\n", argv[i]);
				return EXIT_INTERLOCK;
			}
			break;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_INTERLOCK;
	}
	char **cmd = argv + i;

	char *lib = il_library_path();
	if (!lib) {
		fprintf(stderr, "interlock: cannot find libinterlock.so (set INTERLOCK_LIBRARY)\n");
		return EXIT_INTERLOCK;
	}
	char id[32] = "";
	il_new_session_id(id, sizeof id);
	char *audit = il_audit_path();
	char *dir = il_session_dir(id);
	if (!dir) {
		free(audit), free(lib);
		return EXIT_INTERLOCK;
	}
	/* Guarded processes ask the broker at this socket and nothing else:
	 * if it is not there, confirmation fails closed. */
	size_t sn = strlen(dir) + 16;
	char *sock = malloc(sn);
	snprintf(sock, sn, "%s/broker.sock", dir);
	struct il_compiled c;
	struct il_session_meta meta = { id, getenv("HOME"), audit, o.profile, sock, o.prompt_timeout };
	size_t n = strlen(dir) + 16;
	char *snap = malloc(n);
	snprintf(snap, n, "%s/rules.snap", dir);
	int rc = il_compile(&c, &o, &meta);
	if (rc)
		goto out;
	if (il_write_file(snap, c.blob, c.len) < 0) {
		fprintf(stderr, "interlock: cannot write %s: %s\n", snap, strerror(errno));
		rc = EXIT_INTERLOCK;
		goto out;
	}

	/* The command itself is checked here: interlock is not preloaded into
	 * itself. */
	char cwd[4096];
	if (!getcwd(cwd, sizeof cwd))
		strcpy(cwd, "/");
	struct il_verdict v;
	il_eval_argv(&c, cmd, cwd, o.profile, &v, il_scratch());
	if (v.action >= IL_CONFIRM) {
		il_print_blocked(stderr, &v, cmd);
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
	fflush(0);
	child = fork();
	if (child < 0) {
		perror("interlock: fork");
		rc = EXIT_INTERLOCK;
		goto out;
	}
	if (child == 0) {
		execvp(cmd[0], cmd);
		int e = errno;
		fprintf(stderr, "interlock: %s: %s\n", cmd[0], strerror(e));
		_exit(e == ENOENT ? 127 : 126);
	}
	/* Terminal signals reach the whole foreground group already; others
	 * are passed on so the command can clean up. */
	struct sigaction sa = { 0 };
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, 0);
	sigaction(SIGQUIT, &sa, 0);
	sa.sa_handler = forward;
	sigaction(SIGTERM, &sa, 0);
	sigaction(SIGHUP, &sa, 0);
	rc = wait_child();
out:
	unlink(snap);
	unlink(sock);
	rmdir(dir);
	free(snap);
	free(sock);
	free(dir);
	free(audit);
	free(lib);
	il_compiled_free(&c);
	return rc;
}
