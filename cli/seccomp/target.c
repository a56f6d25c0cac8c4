/* Facts about the thread that made a trapped call: its memory (read with
 * process_vm_readv, which takes a thread id as it is), its directories and
 * fds (/proc/TID/...: the thread's own view), its process (thread group),
 * and what the judges need to know of it. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "il.h"
#include "supervisor_int.h"

extern char **environ;

/* ---------------------------------------------------------------- memory */

ssize_t il_sv_peek(pid_t pid, uint64_t addr, void *buf, size_t n)
{
	struct iovec l = { buf, n }, r = { (void *)(uintptr_t)addr, n };
	return process_vm_readv(pid, &l, 1, &r, 1, 0);
}

/* The NUL-terminated string at addr, copied into the arena; NULL when it
 * cannot be read or is longer than the kernel would take. Reads page by page
 * so a string that ends just before an unmapped page is still read. */
char *il_sv_peek_str(struct il_supervisor *s, pid_t pid, uint64_t addr)
{
	size_t len = 0;
	while (len < MAX_STR) {
		size_t want = PAGE - (size_t)((addr + len) % PAGE);
		if (want > MAX_STR - len)
			want = MAX_STR - len;
		ssize_t n = il_sv_peek(pid, addr + len, s->tmp + len, want);
		if (n <= 0)
			return 0;
		char *z = memchr(s->tmp + len, 0, (size_t)n);
		if (z)
			return il_arena_strndup(&s->arena, s->tmp, (size_t)(z - s->tmp));
		len += (size_t)n;
	}
	return 0;
}

uint64_t il_sv_ptr_at(const unsigned char *p, int size)
{
	if (size == 4) {
		uint32_t v;
		memcpy(&v, p, 4);
		return v;
	}
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* The strings of an argv or envp usually lie one after another (the
 * kernel copies them so onto a new stack): one read of up to two pages
 * serves many of them, where a read per string costs a system call each
 * (an environment of 40 variables was 40 reads). */
struct str_window {
	uint64_t base;
	size_t len;
	unsigned char buf[2 * PAGE];
};

static char *peek_str_near(struct il_supervisor *s, pid_t pid, uint64_t addr, struct str_window *w)
{
	for (int fresh = 0; fresh < 2; fresh++) {
		if (addr >= w->base && addr < w->base + w->len) {
			size_t off = (size_t)(addr - w->base);
			unsigned char *z = memchr(w->buf + off, 0, w->len - off);
			if (z)
				return il_arena_strndup(&s->arena, (const char *)w->buf + off, (size_t)(z - (w->buf + off)));
		}
		if (fresh)
			break;
		/* up to the end of the page after addr's: a partial read stops
		 * at an unmapped page, which is fine */
		ssize_t n = il_sv_peek(pid, addr, w->buf, 2 * PAGE - (size_t)(addr % PAGE));
		w->base = addr;
		w->len = n > 0 ? (size_t)n : 0;
	}
	return il_sv_peek_str(s, pid, addr); /* longer than the window */
}

/* A NULL-terminated array of string pointers (argv, envp), strings included.
 * A NULL array is an empty list (Linux accepts it). first_only: argv[0]
 * alone, for the prefilter. NULL when unreadable or longer than MAX_LIST. */
char **il_sv_peek_list(struct il_supervisor *s, pid_t pid, uint64_t addr, int ptr, int first_only)
{
	int max = first_only ? 1 : MAX_LIST, n = 0;
	char **v = il_arena_alloc(&s->arena, sizeof(char *) * ((size_t)max + 1));
	struct str_window w; /* empty: nothing read yet */
	w.base = 0, w.len = 0;
	if (!v)
		return 0;
	while (addr) {
		unsigned char buf[PAGE];
		ssize_t got = il_sv_peek(pid, addr, buf, PAGE - (size_t)(addr % PAGE));
		if (got < ptr)
			return 0;
		for (ssize_t off = 0; off + ptr <= got; off += ptr) {
			uint64_t p = il_sv_ptr_at(buf + off, ptr);
			if (!p || n == max) {
				v[n] = 0;
				return p && !first_only ? 0 : v;
			}
			if (!(v[n++] = peek_str_near(s, pid, p, &w)))
				return 0;
		}
		addr += (uint64_t)(got - got % ptr);
	}
	v[n] = 0;
	return v;
}

/* ---------------------------------------------------------------- /proc */

int il_sv_read_link(const char *path, char *out, size_t cap)
{
	ssize_t n = readlink(path, out, cap - 1);
	if (n <= 0 || (size_t)n >= cap - 1)
		return -1;
	out[n] = 0;
	return 0;
}

int il_sv_base_dir(pid_t pid, int dirfd, char *dir, size_t cap, int *unnamed)
{
	char link[64];
	if (dirfd == AT_FDCWD)
		snprintf(link, sizeof link, "/proc/%d/cwd", (int)pid);
	else
		snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)pid, dirfd);
	if (unnamed)
		*unnamed = 0;
	if (il_sv_read_link(link, dir, cap) == 0)
		return 0;
	if (errno == ENAMETOOLONG && unnamed) {
		/* nested deeper than any path: its deepest named ancestor */
		int fd = open(link, O_PATH | O_DIRECTORY | O_CLOEXEC);
		int levels = 0;
		const char *near = fd >= 0 ? il_near_name(fd, dir, cap, &levels) : 0;
		if (fd >= 0)
			close(fd);
		if (near && levels > 0) {
			*unnamed = 1;
			return 0;
		}
		errno = ENAMETOOLONG;
	}
	if (errno == ENAMETOOLONG)
		return ENAMETOOLONG;
	return dirfd != AT_FDCWD && errno == ENOENT ? EBADF : EACCES; /* no such fd: the kernel's answer */
}

/* The start of /proc/PID/WHAT, NUL-terminated; 0, or -1 when unreadable. */
int il_sv_read_proc(pid_t pid, const char *what, char *buf, size_t cap)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, what);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	return n > 0 ? 0 : -1;
}

/* A notification names the thread that made the call (its TID), which is
 * all /proc and process_vm_readv need: /proc/TID/{cwd,fd,maps,mem} are the
 * thread's own view. What is keyed by process (approvals, the audit
 * record's pid, one quiet record per process) and pidfd_open (a thread
 * group leader only, before Linux 6.9's PIDFD_THREAD) need the process:
 * its thread group id. 0 when the thread is gone. */
pid_t il_sv_process(pid_t tid)
{
	char buf[512];
	if (il_sv_read_proc(tid, "status", buf, sizeof buf) < 0)
		return 0;
	const char *t = strstr(buf, "\nTgid:");
	long tg = t ? strtol(t + 7, 0, 10) : 0;
	return tg > 0 ? (pid_t)tg : 0;
}

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

int il_sv_pidfd(pid_t tid)
{
	/* The thread itself where the kernel can (6.9): its own fd table,
	 * even after it left the leader's with unshare(CLONE_FILES). */
	int fd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
	if (fd >= 0 || errno != EINVAL)
		return fd;
	pid_t tg = il_sv_process(tid);
	if (!tg) {
		errno = ESRCH;
		return -1;
	}
	return (int)syscall(SYS_pidfd_open, tg, 0);
}

int il_sv_getfd(pid_t tid, int fd)
{
	int pfd = il_sv_pidfd(tid);
	if (pfd < 0)
		return -1;
	int r = (int)syscall(SYS_pidfd_getfd, pfd, fd, 0);
	int e = errno;
	close(pfd);
	errno = e;
	return r;
}

pid_t il_sv_parent_of(pid_t pid)
{
	char buf[512];
	if (il_sv_read_proc(pid, "stat", buf, sizeof buf) < 0)
		return 0;
	char *p = strrchr(buf, ')');
	int pp = 0;
	return p && sscanf(p + 1, " %*c %d", &pp) == 1 ? pp : 0;
}

int il_sv_has_preload(const struct il_supervisor *s, pid_t pid)
{
	const char *lib = s->cfg.preload;
	size_t ll = lib ? strlen(lib) : 0;
	if (!ll || ll > 1024)
		return 0;
	char path[64], buf[65536 + 1024];
	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t keep = 0;
	ssize_t n;
	int found = 0;
	while (!found && (n = read(fd, buf + keep, sizeof buf - keep)) > 0) {
		size_t have = keep + (size_t)n;
		found = memmem(buf, have, lib, ll) != 0;
		keep = have < ll ? have : ll; /* a name split across two reads */
		memmove(buf, buf + have - keep, keep);
	}
	close(fd);
	return found;
}

static struct stat self_exe;
static int self_known;

static void find_self(void)
{
	self_known = stat("/proc/self/exe", &self_exe) == 0;
}

int il_sv_is_interlock(pid_t pid)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, find_self); /* the lane and the loop both ask */
	char path[64];
	struct stat st;
	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	return self_known && stat(path, &st) == 0 && st.st_dev == self_exe.st_dev && st.st_ino == self_exe.st_ino;
}

/* /proc/TID/NAME as a NUL-split vector in buf; -1 when it does not fit
 * whole (what is left out of an environment could load code). */
static int read_vec(pid_t tid, const char *name, char *buf, size_t cap, const char **vec, int vcap)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)tid, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t got = 0;
	ssize_t r;
	while (got < cap && (r = read(fd, buf + got, cap - got)) > 0)
		got += (size_t)r;
	close(fd);
	if (got == cap)
		return -1;
	int n = il_nul_split(buf, got, vec, vcap);
	return n < vcap - 1 ? n : -1;
}

const char *il_sv_program_name(const struct il_supervisor *s, pid_t tid, char *exe, size_t cap,
			       struct il_sv_argbuf *b)
{
	char link[64];
	snprintf(link, sizeof link, "/proc/%d/exe", (int)tid);
	if (il_sv_read_link(link, exe, cap) < 0)
		return 0;
	if (read_vec(tid, "cmdline", b->args, sizeof b->args, b->argv, 256) < 0 ||
	    read_vec(tid, "environ", b->env, sizeof b->env, b->envp, 4096) < 0)
		return 0;
	snprintf(link, sizeof link, "/proc/%d/cwd", (int)tid);
	return il_program_name(&s->cfg.rules->view, exe, b->argv, (char *const *)b->envp, link);
}

struct il_facts il_sv_facts(const struct il_supervisor *s, pid_t tid, char *exe, size_t cap)
{
	/* the loop's thread only (the lane answers what needs no facts);
	 * not thread-local: static TLS is carved from every thread's stack,
	 * the connect threads' small ones too */
	static struct il_sv_argbuf args;
	/* a renamed copy, an edited script, a program with code loaded into
	 * it gets no exemption by name */
	const char *prog = il_sv_program_name(s, tid, exe, cap, &args);
	pid_t proc = il_sv_process(tid);
	return (struct il_facts){ environ, s->cfg.profile, (long)(proc ? proc : tid), prog, (long)tid, 0, 0, 0 };
}
