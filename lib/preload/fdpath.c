/* Paths behind descriptors, for hooks that take a dirfd or an fd; and the
 * scratch memory of one decision. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "il.h"
#include "preload.h"

const char *il_fd_path(int fd, char *buf, size_t cap)
{
	if (fd < 0 || cap < 2)
		return 0;
	char link[40] = "/proc/self/fd/", d[16];
	size_t n = 14;
	int k = 0;
	unsigned u = (unsigned)fd;
	do
		d[k++] = (char)('0' + u % 10);
	while ((u /= 10) && k < 15);
	while (k)
		link[n++] = d[--k];
	link[n] = 0;
	int saved = errno;
	long r = syscall(SYS_readlinkat, AT_FDCWD, link, buf, cap - 1);
	errno = saved;
	if (r <= 0 || buf[0] != '/')
		return 0; /* pipes, sockets, anonymous files */
	buf[r] = 0;
	return buf;
}

/* This process's program, read once: it changes only with an exec, which
 * starts this library afresh. Racing threads read the same link and write
 * the same bytes. */
static char exe_path[4096];
static int exe_state; /* 0 unknown, 1 known, 2 unreadable */

const char *il_self_exe(void)
{
	int st = __atomic_load_n(&exe_state, __ATOMIC_ACQUIRE);
	if (!st) {
		char buf[sizeof exe_path];
		int saved = errno;
		long n = syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", buf, sizeof buf - 1);
		errno = saved;
		if (n > 0) {
			buf[n] = 0;
			il_memcpy(exe_path, buf, (size_t)n + 1);
		}
		st = n > 0 ? 1 : 2;
		__atomic_store_n(&exe_state, st, __ATOMIC_RELEASE);
	}
	return st == 1 ? exe_path : 0;
}

/* The program as the rules may name it: NULL when it is unreadable or was
 * made or changed in this session (self_name.c). `cp /bin/cat /tmp/ssh`
 * would otherwise read a key as ssh does, and `cp /bin/python3 /tmp/rm`
 * delete as rm's command line allows: a name grants an exemption only to
 * a program that was there before the agent. A hard link made now is
 * told by the ctime it gives the file; `python3 /usr/bin/aws` is aws. */
const char *il_self_program(struct il_snap_view *v)
{
	return il_self_name(v);
}

const char *il_base_dir(int dirfd, char *buf, size_t cap)
{
	if (dirfd == AT_FDCWD)
		return getcwd(buf, cap);
	return il_fd_path(dirfd, buf, cap);
}

const char *il_dir_of(struct il_arena *a, int dirfd, const char *path)
{
	if (path[0] == '/')
		return "/";
	char *buf = il_arena_alloc(a, 4096);
	return buf ? il_base_dir(dirfd, buf, 4096) : 0;
}

const char *il_dir_or_near(struct il_arena *a, int dirfd, const char *path, int *unnamed)
{
	*unnamed = 0;
	const char *dir = il_dir_of(a, dirfd, path);
	if (dir || path[0] == '/')
		return dir;
	int saved = errno;
	int fd = dirfd == AT_FDCWD ? (int)syscall(SYS_openat, AT_FDCWD, ".", O_PATH | O_DIRECTORY | O_CLOEXEC, 0) : dirfd;
	char *buf = fd >= 0 ? il_arena_alloc(a, 4096) : 0;
	int levels = 0;
	const char *near = buf ? il_near_name(fd, buf, 4096, &levels) : 0;
	if (fd >= 0 && fd != dirfd)
		syscall(SYS_close, fd);
	errno = saved;
	*unnamed = near && levels > 0;
	return near;
}

const char *il_lexical_path(struct il_arena *a, int dirfd, const char *path)
{
	if (il_canonical_abs(path))
		return path; /* every rename and delete asks: the common case costs no copy */
	const char *dir = il_dir_of(a, dirfd, path);
	return dir ? il_path_abs(a, dir, path) : 0;
}

/* One decision's memory. Mapping and unmapping it for every checked open
 * cost two system calls and a page fault per page touched, on every write
 * (a `git add` of 5000 files made 5000 of each): the last mapping is kept
 * for the next decision instead. One slot, taken and given back with
 * atomic exchanges, so threads, signal handlers and a vfork child that
 * race for it simply map their own. Every mapping has the largest size
 * any caller asks for; a caller's arena is its own size within it. */
#define SCRATCH_MAP (4u << 20)

static char *spare;

int il_scratch_open(struct il_scratch *s, size_t size)
{
	if (size > SCRATCH_MAP || size <= IL_TEXT_SIZE)
		return -1;
	char *mem = __atomic_exchange_n(&spare, (char *)0, __ATOMIC_ACQ_REL);
	if (!mem) {
		void *m = mmap(0, SCRATCH_MAP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED)
			return -1;
		mem = m;
	}
	s->mem = mem;
	s->size = size;
	il_arena_init(&s->a, s->mem, size - IL_TEXT_SIZE);
	s->text = s->mem + size - IL_TEXT_SIZE;
	return 0;
}

void il_scratch_close(struct il_scratch *s)
{
	char *none = 0;
	if (!__atomic_compare_exchange_n(&spare, &none, s->mem, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		munmap(s->mem, SCRATCH_MAP);
}
