/* Paths behind descriptors, for hooks that take a dirfd or an fd; and the
 * scratch memory of one decision. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

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

const char *il_base_dir(int dirfd, char *buf, size_t cap)
{
	if (dirfd == AT_FDCWD)
		return getcwd(buf, cap);
	return il_fd_path(dirfd, buf, cap);
}

int il_scratch_open(struct il_scratch *s, size_t size)
{
	void *mem = mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return -1;
	s->mem = mem;
	s->size = size;
	il_arena_init(&s->a, s->mem, size - IL_TEXT_SIZE);
	s->text = s->mem + size - IL_TEXT_SIZE;
	return 0;
}

void il_scratch_close(struct il_scratch *s)
{
	munmap(s->mem, s->size);
}
