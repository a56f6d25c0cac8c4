/* symlink, symlinkat, link, linkat. Rules match files by name, so a link
 * with an innocent name to a credential file (`ln -s ~/.ssh/id_ed25519
 * notes.txt`, then `cat notes.txt`) would read it unseen: the open hot path
 * does not resolve every name it is given, which would cost a readlink per
 * component of every open. The link is judged instead, when it is made,
 * as a read of the file it leads to; a link to anything no read rule names
 * costs a hash-free table check. Links made before the session are not
 * seen (docs). */
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "il.h"
#include "preload.h"
#include "rawsys.h"

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

/* The file a symlink at (dirfd, linkpath) with contents target leads to,
 * as a path relative to dirfd: target itself when absolute, else the
 * link's directory joined with it. 0, or -1 when it does not fit. */
static int symlink_target(const char *linkpath, const char *target, char *out, size_t cap)
{
	size_t tl = il_strlen(target);
	if (target[0] == '/' || !linkpath) {
		if (tl >= cap)
			return -1;
		il_memcpy(out, target, tl + 1);
		return 0;
	}
	const char *slash = 0;
	for (const char *p = linkpath; *p; p++)
		if (*p == '/')
			slash = p;
	size_t dl = slash ? (size_t)(slash - linkpath) + 1 : 0; /* "dir/" or "" */
	if (slash == linkpath)
		dl = 1; /* "/name": the root */
	if (dl + tl >= cap)
		return -1;
	il_memcpy(out, linkpath, dl);
	il_memcpy(out + dl, target, tl + 1);
	return 0;
}

static int check_symlink(const char *target, int dirfd, const char *linkpath)
{
	if (il_check_own_path(dirfd, linkpath, "link", IL_OWN_NAME) < 0)
		return -1; /* a link among interlock's own files: a rule file, say */
	if (!target)
		return 0;
	char path[4096];
	if (symlink_target(linkpath, target, path, sizeof path) < 0)
		return 0; /* the kernel refuses it (ENAMETOOLONG) */
	return il_check_link_target(dirfd, path);
}

IL_EXPORT int symlink(const char *target, const char *linkpath)
{
	if (check_symlink(target, AT_FDCWD, linkpath) < 0)
		return -1;
	return (int)il_sysm(SYS_symlinkat, (long)target, AT_FDCWD, (long)linkpath, 0, 0);
}

IL_EXPORT int symlinkat(const char *target, int newdirfd, const char *linkpath)
{
	if (check_symlink(target, newdirfd, linkpath) < 0)
		return -1;
	return (int)il_sysm(SYS_symlinkat, (long)target, newdirfd, (long)linkpath, 0, 0);
}

/* A hard link to a file is a second name for the same bytes. */
IL_EXPORT int link(const char *oldpath, const char *newpath)
{
	if (il_check_own_path(AT_FDCWD, newpath, "link", IL_OWN_NAME) < 0 || il_check_link_target(AT_FDCWD, oldpath) < 0)
		return -1;
	return (int)il_sysm(SYS_linkat, AT_FDCWD, (long)oldpath, AT_FDCWD, (long)newpath, 0);
}

IL_EXPORT int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)
{
	if (il_check_own_path(newdirfd, newpath, "link", IL_OWN_NAME) < 0)
		return -1;
	int r = (flags & AT_EMPTY_PATH) && oldpath && !*oldpath ? il_check_fd(olddirfd, IL_A_READ)
								 : il_check_link_target(olddirfd, oldpath);
	if (r < 0)
		return -1;
	return (int)il_sysm(SYS_linkat, olddirfd, (long)oldpath, newdirfd, (long)newpath, flags);
}
