/* chmod, chown and their relatives, for interlock's own files only: made
 * unreadable or unwritable (`chmod 000` on the audit log, on a rule
 * directory), they would blind or weaken every later session as surely as
 * a delete. Anything else passes untouched: there are no rules about file
 * modes. The follow variants resolve the whole path (a symlink with an
 * innocent name to the audit log is still the audit log); the no-follow
 * ones judge the link itself, as unlink does. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload.h"
#include "rawsys.h"

#ifndef AT_SYMLINK_NOFOLLOW
#define AT_SYMLINK_NOFOLLOW 0x100
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

static int check_attr(int dirfd, const char *path, int follow, const char *what)
{
	if (path && !*path) /* AT_EMPTY_PATH: the fd itself */
		return il_check_own_fd(dirfd, what);
	return il_check_own_path(dirfd, path, what, follow ? IL_OWN_FOLLOW : IL_OWN_NAME);
}

IL_EXPORT int chmod(const char *path, mode_t mode)
{
	if (check_attr(AT_FDCWD, path, 1, "chmod") < 0)
		return -1;
	return (int)il_sysm(SYS_fchmodat, AT_FDCWD, (long)path, (long)mode, 0, 0);
}

IL_EXPORT int fchmodat(int dirfd, const char *path, mode_t mode, int flags)
{
	if (check_attr(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), "chmod") < 0)
		return -1;
	static void *real;
	int (*fn)(int, const char *, mode_t, int) = (int (*)(int, const char *, mode_t, int))il_next(&real, "fchmodat");
	if (!fn) { /* AT_SYMLINK_NOFOLLOW needs libc's emulation on older kernels */
		errno = ENOSYS;
		return -1;
	}
	return fn(dirfd, path, mode, flags);
}

IL_EXPORT int fchmod(int fd, mode_t mode)
{
	if (il_check_own_fd(fd, "chmod") < 0)
		return -1;
	return (int)il_sysm(SYS_fchmod, fd, (long)mode, 0, 0, 0);
}

IL_EXPORT int chown(const char *path, uid_t owner, gid_t group)
{
	if (check_attr(AT_FDCWD, path, 1, "chown") < 0)
		return -1;
	return (int)il_sysm(SYS_fchownat, AT_FDCWD, (long)path, (long)owner, (long)group, 0);
}

IL_EXPORT int lchown(const char *path, uid_t owner, gid_t group)
{
	if (check_attr(AT_FDCWD, path, 0, "chown") < 0)
		return -1;
	return (int)il_sysm(SYS_fchownat, AT_FDCWD, (long)path, (long)owner, (long)group, AT_SYMLINK_NOFOLLOW);
}

IL_EXPORT int fchownat(int dirfd, const char *path, uid_t owner, gid_t group, int flags)
{
	if (check_attr(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), "chown") < 0)
		return -1;
	return (int)il_sysm(SYS_fchownat, dirfd, (long)path, (long)owner, (long)group, flags);
}

IL_EXPORT int fchown(int fd, uid_t owner, gid_t group)
{
	if (il_check_own_fd(fd, "chown") < 0)
		return -1;
	return (int)il_sysm(SYS_fchown, fd, (long)owner, (long)group, 0, 0);
}
