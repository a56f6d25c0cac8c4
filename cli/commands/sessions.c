/* Session directories, <runtime>/interlock/<id> (il_session_dir), and the
 * sweep of those whose session is over.
 *
 * A session ends by removing its directory: `run` when COMMAND exits,
 * `interlock_deactivate` in a dev shell. A wrapper killed with SIGKILL, or
 * a shell that exits without interlock_deactivate (and every shell-init
 * whose output was printed rather than eval'ed), leaves it behind. So each
 * directory records who holds it, in the file `owner`:
 *
 *   PID STARTTIME PIDNS BOOTID
 *
 * the wrapper (run) or the shell (shell-init), with its start time (field
 * 22 of /proc/PID/stat: a pid reused by another process does not count),
 * its pid namespace and the boot. When a new session starts it removes the
 * directories whose holder is gone and that no live process of ours names
 * in its environment (INTERLOCK_SESSION=ID): a guarded process that
 * outlived its wrapper still reads the snapshot for its children's execs.
 *
 * Safety: only entries of our own base directory whose names are session
 * ids, that are directories (never followed through a symlink) and owned
 * by us; their files are removed relative to the directory's descriptor,
 * without recursing. A holder in another pid namespace cannot be checked
 * from here, so its directory is kept. Files are removed with raw system
 * calls: this process may be guarded itself (a dev shell), and its own
 * hooks would refuse to delete interlock's files. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define OWNER_FILE IL_SESSION_OWNER
/* A directory with no holder recorded (made by an older interlock, or being
 * made right now) is left alone this long after its last change. */
#define UNRECORDED_GRACE_S 60

/* Up to cap-1 bytes of a small file at dirfd/name, NUL-terminated; the
 * length, or -1. */
static ssize_t read_small(int dirfd, const char *name, char *buf, size_t cap)
{
	int fd = (int)syscall(SYS_openat, dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return n;
}

/* The start time of pid (clock ticks after boot), or 0 when it is gone. */
static unsigned long long start_time(long pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if (read_small(AT_FDCWD, path, buf, sizeof buf) <= 0)
		return 0;
	/* After the command name, which may hold spaces and parentheses:
	 * field 3 (state) is the first after the last ')'; starttime is 22. */
	const char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;
	for (int field = 3; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, 0, 10) : 0;
}

/* This process's pid namespace ("pid:[N]") and boot id, read once. */
static const char *pid_ns(void)
{
	static char ns[64];
	if (!ns[0] && readlink("/proc/self/ns/pid", ns, sizeof ns - 1) <= 0)
		strcpy(ns, "-");
	return ns;
}

static const char *boot_id(void)
{
	static char id[64];
	if (!id[0]) {
		if (read_small(AT_FDCWD, "/proc/sys/kernel/random/boot_id", id, sizeof id) <= 0)
			strcpy(id, "-");
		id[strcspn(id, " \n")] = 0;
	}
	return id;
}

/* Writes dir/owner for holder. Failure is not fatal: a directory without
 * one is still kept while a process names its session (see above). */
static void record_holder(const char *dir, long holder)
{
	char path[4200], line[256];
	snprintf(path, sizeof path, "%s/" OWNER_FILE, dir);
	snprintf(line, sizeof line, "%ld %llu %s %s\n", holder, start_time(holder), pid_ns(), boot_id());
	il_write_file(path, line, strlen(line));
}

/* The session's records (lib/engine/adopted.c), empty: of files that
 * took over an older file's name, and of the session's own edits of
 * tracked files. The guarded processes append to them and never create
 * them; an adopted record the snapshot names but that is not there makes
 * every file count as older than the session, a missing record of own
 * edits makes every change count as the user's. */
static int make_record(const char *dir, const char *name)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "interlock: cannot create %s: %s\n", path, strerror(errno));
		return -1;
	}
	return close(fd);
}

static int make_adopted(const char *dir)
{
	return make_record(dir, IL_ADOPTED_FILE) < 0 || make_record(dir, IL_OWN_EDITS_FILE) < 0 ? -1 : 0;
}

char *il_session_new(const char *id, long holder)
{
	char *dir = il_session_dir(id);
	if (!dir)
		return 0;
	record_holder(dir, holder);
	if (make_adopted(dir) < 0) {
		il_session_remove(dir);
		free(dir);
		return 0;
	}
	char base[4096];
	snprintf(base, sizeof base, "%s", dir);
	char *slash = strrchr(base, '/');
	if (slash && slash != base) {
		*slash = 0;
		il_sessions_sweep(base, id);
	}
	return dir;
}

/* ---- is a session over? ---- */

/* 1 when the holder recorded in the session directory is alive (or cannot
 * be checked from here), 0 when it is gone, -1 when none is recorded. */
static int holder_alive(int dfd)
{
	char buf[256];
	if (read_small(dfd, OWNER_FILE, buf, sizeof buf) > 0) {
		long pid = 0;
		unsigned long long start = 0;
		char ns[64] = "", boot[64] = "";
		if (sscanf(buf, "%ld %llu %63s %63s", &pid, &start, ns, boot) < 2 || pid <= 0)
			return -1;
		if (boot[0] && strcmp(boot, boot_id()))
			return 0; /* it ran before this boot */
		if (ns[0] && strcmp(ns, pid_ns()))
			return 1; /* its pids are not ours to look up */
		unsigned long long now = start_time(pid);
		return now && (!start || now == start);
	}
	/* A dev shell's own record (shell-init --end checks it): a pid only. */
	if (read_small(dfd, "shell.pid", buf, sizeof buf) > 0) {
		long pid = atol(buf);
		return pid > 0 && start_time(pid) != 0;
	}
	return -1;
}

/* The session ids named by the environments of our live processes, as one
 * NUL-separated list (malloc'd), read once per sweep and only when some
 * directory's holder is gone. */
struct named {
	char *ids;
	size_t len;
	int read;
};

static void add_named(struct named *nm, const char *env, size_t n)
{
	static const char key[] = "INTERLOCK_SESSION=";
	for (size_t i = 0; i < n; i += strlen(env + i) + 1) {
		if (strncmp(env + i, key, sizeof key - 1))
			continue;
		const char *id = env + i + sizeof key - 1;
		size_t k = strlen(id) + 1;
		char *more = realloc(nm->ids, nm->len + k);
		if (!more)
			return;
		nm->ids = more;
		memcpy(nm->ids + nm->len, id, k);
		nm->len += k;
	}
}

static void read_named(struct named *nm)
{
	nm->read = 1;
	DIR *proc = opendir("/proc");
	if (!proc)
		return;
	size_t cap = 256 << 10;
	char *env = malloc(cap + 1);
	struct dirent *e;
	while (env && (e = readdir(proc))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		struct stat st;
		char path[300];
		snprintf(path, sizeof path, "/proc/%s/environ", e->d_name);
		if (stat(path, &st) < 0 || st.st_uid != getuid())
			continue;
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* not ours to read (setuid, not dumpable) */
		size_t n = 0;
		ssize_t r;
		while (n < cap && (r = read(fd, env + n, cap - n)) > 0)
			n += (size_t)r;
		close(fd);
		env[n] = 0;
		add_named(nm, env, n);
	}
	free(env);
	closedir(proc);
}

static int is_named(struct named *nm, const char *id)
{
	if (!nm->read)
		read_named(nm);
	for (size_t i = 0; i < nm->len; i += strlen(nm->ids + i) + 1)
		if (!strcmp(nm->ids + i, id))
			return 1;
	return 0;
}

/* A session id as il_new_session_id makes them, with "shell-" for a dev
 * shell's: nothing else in the base directory is touched. */
static int session_name(const char *name)
{
	if (!strncmp(name, "shell-", 6))
		name += 6;
	size_t n = strspn(name, "0123456789abcdef");
	return n && n <= 32 && !name[n];
}

/* ---- removing ---- */

/* Every entry of the directory at dfd that is not a directory. A pass
 * that removes something is followed by another, as readdir need not
 * return entries once others were unlinked. */
static void remove_files(int dfd)
{
	for (int pass = 0; pass < 4; pass++) {
		int fd = (int)syscall(SYS_openat, dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
		DIR *d = fd >= 0 ? fdopendir(fd) : 0;
		if (!d) {
			if (fd >= 0)
				close(fd);
			return;
		}
		int removed = 0;
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || e->d_type == DT_DIR)
				continue;
			removed += syscall(SYS_unlinkat, dfd, e->d_name, 0) == 0;
		}
		closedir(d);
		if (!removed)
			return;
	}
}

void il_session_remove(const char *dir)
{
	int dfd = (int)syscall(SYS_openat, AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (dfd < 0)
		return;
	remove_files(dfd);
	close(dfd);
	syscall(SYS_unlinkat, AT_FDCWD, dir, AT_REMOVEDIR);
}

/* The directory base/name if its session is over; it is opened without
 * following a symlink and must be ours. */
static int sweep_one(int bfd, const char *name, struct named *nm)
{
	int dfd = (int)syscall(SYS_openat, bfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (dfd < 0)
		return 0;
	struct stat st;
	int over = 0;
	if (fstat(dfd, &st) == 0 && st.st_uid == getuid()) {
		int alive = holder_alive(dfd);
		if (alive < 0)
			alive = time(0) - st.st_mtime < UNRECORDED_GRACE_S;
		over = !alive && !is_named(nm, name);
	}
	if (over)
		remove_files(dfd);
	close(dfd);
	return over && syscall(SYS_unlinkat, bfd, name, AT_REMOVEDIR) == 0;
}

int il_sessions_sweep(const char *base, const char *keep)
{
	int bfd = (int)syscall(SYS_openat, AT_FDCWD, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (bfd < 0)
		return 0;
	struct stat st;
	int fd = dup(bfd);
	DIR *d = fstat(bfd, &st) == 0 && st.st_uid == getuid() && !(st.st_mode & 077) && fd >= 0 ? fdopendir(fd) : 0;
	if (!d && fd >= 0)
		close(fd);
	struct named nm = { 0 };
	int swept = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (session_name(e->d_name) && !(keep && !strcmp(e->d_name, keep)))
			swept += sweep_one(bfd, e->d_name, &nm);
	if (d)
		closedir(d);
	close(bfd);
	free(nm.ids);
	return swept;
}
