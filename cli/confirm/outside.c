/* Is the process that connected to the answer socket outside every guarded
 * tree? (outside.h says what counts as inside and where this stops.) Each
 * check reads the peer's /proc; the pidfd taken when it connected says at
 * the end whether that was still the same process. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "outside.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5 */
#endif
#ifndef IL_SYSCONFDIR
#define IL_SYSCONFDIR "/etc"
#endif

#define MAX_HOPS 4096          /* parent chain: longer is not a chain */
#define MAX_PROC_FILE (8 << 20) /* environ, maps: read this much at most */

int il_peer_pidfd(int fd)
{
	int pidfd = -1;
	socklen_t len = sizeof pidfd;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0 && pidfd >= 0)
		return pidfd;
	struct ucred cr;
	len = sizeof cr;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || cr.pid <= 0)
		return -1;
	/* racier: the connector may already be gone and its pid reused; the
	 * start time compared in il_peer_outside narrows that */
	return (int)syscall(SYS_pidfd_open, cr.pid, 0);
}

/* The whole of /proc/PID/NAME (malloc'd, NUL-terminated, *len set), or NULL. */
static char *read_proc(pid_t pid, const char *name, size_t *len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t cap = 16384, n = 0;
	char *buf = malloc(cap + 1);
	ssize_t r;
	while (buf && (r = read(fd, buf + n, cap - n)) > 0) {
		n += (size_t)r;
		if (n == cap && cap < MAX_PROC_FILE) {
			char *more = realloc(buf, cap * 2 + 1);
			if (!more)
				break;
			buf = more, cap *= 2;
		}
		if (n == cap)
			break;
	}
	int e = errno;
	close(fd);
	if (!buf)
		return 0;
	if (r < 0 && n == 0) {
		free(buf);
		errno = e;
		return 0;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

/* Field 4 (ppid) and 22 (start time) of /proc/PID/stat; -1 if gone. */
static int stat_of(pid_t pid, pid_t *ppid, unsigned long long *start)
{
	size_t n;
	char *buf = read_proc(pid, "stat", &n);
	if (!buf)
		return -1;
	char *p = strrchr(buf, ')'); /* the name may hold ')' and spaces */
	int ok = p && sscanf(p + 1, " %*c %d", ppid) == 1;
	for (int field = 3; ok && field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (ok && p)
		*start = strtoull(p + 1, 0, 10);
	free(buf);
	return ok && p ? 0 : -1;
}

/* Does the parent chain of pid reach top? */
static int below(pid_t pid, pid_t top)
{
	pid_t p = pid;
	for (int hops = 0; p > 1 && hops < MAX_HOPS; hops++) {
		if (p == top)
			return 1;
		pid_t pp;
		unsigned long long st;
		if (stat_of(p, &pp, &st) < 0)
			return 0;
		p = pp;
	}
	return p == top;
}

/* The guarded session the environment names, into what; 1 if any, -1 if
 * the environment cannot be read. */
static int session_in_env(pid_t pid, char *what, size_t cap)
{
	size_t n;
	char *env = read_proc(pid, "environ", &n);
	if (!env)
		return -1;
	int found = 0;
	for (size_t i = 0; i < n && !found; i += strlen(env + i) + 1) {
		const char *e = env + i;
		if (!strncmp(e, "INTERLOCK_SESSION=", 18) || !strncmp(e, "INTERLOCK_SNAPSHOT=", 19) ||
		    (!strncmp(e, "LD_PRELOAD=", 11) && strstr(e, "libinterlock"))) {
			snprintf(what, cap, "%.200s", e);
			found = 1;
		}
	}
	free(env);
	return found;
}

/* Is libinterlock.so preloaded into every process of this machine
 * (/etc/ld.so.preload, the sessionless mode)? Then its mapping says
 * nothing about a session. */
static int preloaded_everywhere(void)
{
	FILE *f = fopen("/etc/ld.so.preload", "re");
	if (!f)
		return 0;
	char line[4096];
	int yes = 0;
	while (!yes && fgets(line, sizeof line, f))
		yes = strstr(line, "libinterlock") != 0;
	fclose(f);
	return yes;
}

/* A mapping of interlock's preload or of a session's snapshot; 1 if any
 * (what says which), -1 if the map cannot be read. */
static int interlock_mapped(pid_t pid, char *what, size_t cap)
{
	size_t n;
	char *maps = read_proc(pid, "maps", &n);
	if (!maps)
		return -1;
	int everywhere = -1, found = 0;
	for (char *line = maps; line && *line && !found;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		const char *path = strchr(line, '/');
		if (path) {
			size_t pl = strlen(path);
			int snap = pl > 11 && !strcmp(path + pl - 11, "/rules.snap") &&
				   strcmp(path, IL_SYSCONFDIR "/interlock/rules.snap");
			int lib = strstr(path, "/libinterlock") != 0;
			if (lib && everywhere < 0)
				everywhere = preloaded_everywhere();
			if (snap || (lib && !everywhere)) {
				snprintf(what, cap, "%.300s", path);
				found = 1;
			}
		}
		line = nl ? nl + 1 : 0;
	}
	free(maps);
	return found;
}

/* Seccomp mode and number of filters from /proc/PID/status (filters -1
 * where the kernel does not say, before 5.9). */
static int seccomp_of(pid_t pid, int *mode, int *filters)
{
	size_t n;
	char *st = read_proc(pid, "status", &n);
	if (!st)
		return -1;
	const char *m = strstr(st, "\nSeccomp:"), *f = strstr(st, "\nSeccomp_filters:");
	*mode = m ? atoi(m + 9) : 0;
	*filters = f ? atoi(f + 17) : -1;
	free(st);
	return 0;
}

/* Does pid run under a filter this process (the wrapper) does not have? */
static int extra_filter(pid_t pid, char *what, size_t cap)
{
	int pm, pf, sm, sf;
	if (seccomp_of(pid, &pm, &pf) < 0 || seccomp_of(getpid(), &sm, &sf) < 0)
		return -1;
	if (pm != 2)
		return 0;
	int extra = sm != 2 || (pf >= 0 && sf >= 0 && pf > sf);
	if (extra)
		snprintf(what, cap, "%d seccomp filter%s, the wrapper %d", pf, pf == 1 ? "" : "s", sm == 2 ? sf : 0);
	return extra;
}

static int alive(int pidfd)
{
	return syscall(SYS_pidfd_send_signal, pidfd, 0, 0, 0) == 0;
}

int il_peer_outside(int fd, int pidfd, pid_t top, char *why, size_t cap)
{
	struct ucred cr;
	socklen_t len = sizeof cr;
	char what[512] = "";
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
		snprintf(why, cap, "who connected cannot be told (%s)", strerror(errno));
		return 0;
	}
	if (cr.uid != getuid()) {
		snprintf(why, cap, "it runs as another user (uid %u); only the session's own user may answer",
			 (unsigned)cr.uid);
		return 0;
	}
	pid_t pid = cr.pid;
	pid_t pp;
	unsigned long long start0 = 0, start1 = 0;
	if (pid <= 0 || stat_of(pid, &pp, &start0) < 0) {
		snprintf(why, cap, "its process cannot be seen from here (another pid namespace, or it is gone)");
		return 0;
	}
	int r;
	if (below(pid, top)) {
		snprintf(why, cap, "it runs under this session's command (process %d descends from the wrapper)", (int)pid);
		return 0;
	}
	if ((r = session_in_env(pid, what, sizeof what)) != 0) {
		if (r < 0)
			snprintf(why, cap, "its environment cannot be read, so it cannot be told whether it is guarded");
		else
			snprintf(why, cap, "it is in a guarded session (its environment has %s)", what);
		return 0;
	}
	if ((r = interlock_mapped(pid, what, sizeof what)) != 0) {
		if (r < 0)
			snprintf(why, cap, "its memory map cannot be read, so it cannot be told whether it is guarded");
		else
			snprintf(why, cap, "it is in a guarded session (it has %s loaded)", what);
		return 0;
	}
	if ((r = extra_filter(pid, what, sizeof what)) != 0) {
		if (r < 0)
			snprintf(why, cap, "its seccomp state cannot be read");
		else
			snprintf(why, cap,
				 "it runs under a seccomp filter the session's wrapper does not have (%s): every process "
				 "`interlock run` guards keeps the supervisor's filter for life; answer from a terminal "
				 "outside any guarded session or sandbox", what);
		return 0;
	}
	/* Still the process that connected? Then every file read above was its. */
	if (pidfd >= 0 ? !alive(pidfd) : (stat_of(pid, &pp, &start1) < 0 || start1 != start0)) {
		snprintf(why, cap, "the process that connected went away while it was being checked");
		return 0;
	}
	return 1;
}
