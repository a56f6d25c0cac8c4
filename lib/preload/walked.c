/* Which directories this process has listed: the fact that tells a tree
 * walk (grep -r, tar, cp -r, rsync, zip) from a program that opens a file
 * by its name. A walk meets a credential file only because it lies in a
 * directory it lists; for a program with the walker trait (rules.d,
 * [program grep] walker = yes) the judge then refuses the read without a
 * question (judge.c), where a question would come with every `grep -r TODO
 * .` in a project with a .env and teach the human to type yes. A program
 * that names the file (cat .env) lists nothing first, and an interpreter
 * (which lists directories to import its modules) is no walker: both are
 * asked as before.
 *
 * A directory is noted when this process opens it as one (an O_DIRECTORY
 * open through the hooks, opendir, fdopendir): its device and inode, as
 * one bit of a 64 Ki-bit set. Two directories may share a bit; then a
 * walker's read of a credential file in a directory it never listed is
 * refused without a question too (in a walk of thousands of directories),
 * never the other way round. A child inherits the set with fork and loses
 * it with exec. Directories listed with libc's internal opens (scandir,
 * glob) or by static programs are not seen: those reads are asked. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "preload.h"
#include "rawsys.h"

#define WALK_BITS (1u << 16)

static unsigned char listed[WALK_BITS / 8];

static uint32_t bit_of(const struct stat *st)
{
	uint64_t h = ((uint64_t)st->st_ino * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)st->st_dev * 0xC2B2AE3D27D4EB4Full);
	return (uint32_t)(h >> 48);
}

void il_walk_note(int fd)
{
	struct stat st;
	int saved = errno;
	if (il_sys4(SYS_fstat, fd, (long)&st, 0, 0) == 0 && S_ISDIR(st.st_mode)) {
		uint32_t b = bit_of(&st);
		__atomic_fetch_or(&listed[b >> 3], (unsigned char)(1u << (b & 7)), __ATOMIC_RELAXED);
	}
	errno = saved;
}

int il_walk_listed(const char *abs)
{
	char parent[4096];
	size_t n = il_strlen(abs);
	if (!n || abs[0] != '/' || n >= sizeof parent)
		return 0;
	while (n > 1 && abs[n - 1] != '/')
		n--;
	if (n > 1)
		n--;
	il_memcpy(parent, abs, n);
	parent[n] = 0;
	struct stat st;
	int saved = errno;
	int ok = il_sys4(SYS_newfstatat, AT_FDCWD, (long)parent, (long)&st, 0) == 0;
	errno = saved;
	if (!ok)
		return 0;
	uint32_t b = bit_of(&st);
	return (__atomic_load_n(&listed[b >> 3], __ATOMIC_RELAXED) >> (b & 7)) & 1;
}
