/* The open family. fopen does not go through the exported open, and the
 * _FORTIFY_SOURCE entry points (__open_2 ...) are what fortified programs
 * call, so each is hooked. The plain opens call the kernel directly: that
 * saves a symbol lookup per entry point in every process, and these calls
 * have no libc behaviour to preserve. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload.h"
#include "rawsys.h"

#ifndef O_TMPFILE
#define O_TMPFILE 0
#endif

/* The mode argument exists only with O_CREAT or O_TMPFILE; reading it
 * otherwise reads garbage from the caller's registers. */
#define OPEN_MODE(flags, mode)                                                 \
	do {                                                                   \
		if ((flags) & O_CREAT || ((flags) & O_TMPFILE) == O_TMPFILE) { \
			va_list ap_;                                           \
			va_start(ap_, flags);                                  \
			mode = (mode_t)va_arg(ap_, int);                       \
			va_end(ap_);                                           \
		}                                                              \
	} while (0)

static int sys_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	return (int)il_sysm(SYS_openat, dirfd, (long)path, flags, (long)mode, 0);
}

static int __attribute__((noinline)) openat_checked(int dirfd, const char *path, int flags, mode_t mode, unsigned access);

static inline int guarded_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	unsigned access = il_open_access(flags);
	int fd = il_open_unchecked(path, access) ? sys_openat(dirfd, path, flags, mode)
						 : openat_checked(dirfd, path, flags, mode, access);
	if ((flags & O_DIRECTORY) && fd >= 0)
		il_walk_note(fd); /* a directory about to be listed (fts, savedir) */
	else if ((flags & O_CREAT) && fd >= 0 && il_restoring())
		il_restored(fd); /* git stash pop: the user's edits, in a new file */
	return fd;
}

#ifdef SYS_openat2
/* The open itself when no symlink may be on the way: the fd, a failure of
 * the open's own (errno set), or -2 when a symlink (ELOOP) or a kernel
 * without openat2 means the full check must decide. */
static long open_no_symlinks(int dirfd, const char *path, int flags, mode_t mode)
{
	int saved = errno;
	struct { uint64_t flags, mode, resolve; } how = {
		(uint64_t)(unsigned)flags,
		(flags & O_CREAT || (flags & O_TMPFILE) == O_TMPFILE) ? (uint64_t)mode : 0,
		0x04 /* RESOLVE_NO_SYMLINKS */ };
	long fd = il_sysm(SYS_openat2, dirfd, (long)path, (long)&how, sizeof how, 0);
	if (fd >= 0 || (errno != ELOOP && errno != ENOSYS && errno != EINVAL && errno != E2BIG &&
			errno != EPERM && errno != EAGAIN))
		return fd;
	errno = saved;
	return -2;
}
#endif

static int openat_checked(int dirfd, const char *path, int flags, mode_t mode, unsigned access)
{
	if (il_open_unchecked_mapped(path, access))
		return sys_openat(dirfd, path, flags, mode);
	int noted = 0; /* the session's own edits: il_note_write, once */
#ifdef SYS_openat2
	/* Temp files (il_open_temp_fast), then any path whose written form
	 * passes the rules (il_open_lexical): one openat2 that refuses
	 * symlinks instead of a readlink per component. */
	int temp = (access & (IL_A_WRITE | IL_A_TRUNCATE | IL_A_CREATE)) && il_open_temp_fast(path, access);
	if (temp || il_open_lexical(dirfd, path, access)) {
		/* Not for a temp file: the statx would be the only system call
		 * this hot path adds to every temporary file a build or a test
		 * makes (scripts/bench.sh (c): 1.03x -> 1.27x), and a work tree
		 * under /tmp that the user made before the session is rare; a
		 * change there is asked about as before (never the other way). */
		if (!temp)
			il_note_write(dirfd, path, flags, access);
		noted = 1;
		long fd = open_no_symlinks(dirfd, path, flags, mode);
		if (fd != -2)
			return (int)fd;
	}
#endif
	if (il_check_open(dirfd, path, access) < 0)
		return -1;
	if (!noted)
		il_note_write(dirfd, path, flags, access);
	return sys_openat(dirfd, path, flags, mode);
}

IL_EXPORT int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	OPEN_MODE(flags, mode);
	return guarded_openat(AT_FDCWD, path, flags, mode);
}

IL_EXPORT int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	OPEN_MODE(flags, mode);
	return guarded_openat(AT_FDCWD, path, flags | O_LARGEFILE, mode);
}

IL_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	OPEN_MODE(flags, mode);
	return guarded_openat(dirfd, path, flags, mode);
}

IL_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	OPEN_MODE(flags, mode);
	return guarded_openat(dirfd, path, flags | O_LARGEFILE, mode);
}

/* Fortified variants: never called with O_CREAT (the compiler routes
 * those to the plain ones), so there is no mode. */
IL_EXPORT int __open_2(const char *path, int flags)
{
	return guarded_openat(AT_FDCWD, path, flags, 0);
}

IL_EXPORT int __open64_2(const char *path, int flags)
{
	return guarded_openat(AT_FDCWD, path, flags | O_LARGEFILE, 0);
}

IL_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	return guarded_openat(dirfd, path, flags, 0);
}

IL_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	return guarded_openat(dirfd, path, flags | O_LARGEFILE, 0);
}

IL_EXPORT int creat(const char *path, mode_t mode)
{
	return guarded_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

IL_EXPORT int creat64(const char *path, mode_t mode)
{
	return guarded_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC | O_LARGEFILE, mode);
}

IL_EXPORT int truncate(const char *path, off_t len)
{
	if (il_check_open(AT_FDCWD, path, IL_A_WRITE | IL_A_TRUNCATE) < 0)
		return -1;
	il_note_write(AT_FDCWD, path, 0, IL_A_WRITE | IL_A_TRUNCATE);
	return (int)syscall(SYS_truncate, path, len);
}

/* ftruncate(fd, 0) is how `truncate -s0` and many programs empty a file
 * they opened without O_TRUNC. Only a cut to zero is judged. */
IL_EXPORT int ftruncate(int fd, off_t len)
{
	if (len == 0 && il_check_fd(fd, IL_A_WRITE | IL_A_TRUNCATE) < 0)
		return -1;
	return (int)syscall(SYS_ftruncate, fd, len);
}

IL_EXPORT int ftruncate64(int fd, off_t len)
{
	return ftruncate(fd, len);
}

IL_EXPORT int truncate64(const char *path, off_t len)
{
	return truncate(path, len);
}

/* stdio: the real functions are looked up on first use (stdio is never
 * used in a vfork child, so a lookup here is safe). */
typedef FILE *(*fopen_fn)(const char *, const char *);
typedef FILE *(*freopen_fn)(const char *, const char *, FILE *);

static void *real_fopen, *real_fopen64, *real_freopen, *real_freopen64;

static int fopen_flags(const char *mode)
{
	int plus = 0;
	for (const char *m = mode + 1; *m && *m != ','; m++)
		if (*m == '+')
			plus = 1;
	switch (mode[0]) {
	case 'r':
		return plus ? O_RDWR : O_RDONLY;
	case 'w':
		return (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_TRUNC;
	case 'a':
		return (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_APPEND;
	default:
		return O_RDONLY;
	}
}

/* The open(2) flags of an fopen mode as glibc reads it ("x": O_EXCL,
 * "e": O_CLOEXEC, "b", "m", "c" change nothing here); 0 for a mode left
 * to libc's fopen (a ",ccs=" wide stream, or one it would refuse). */
static int fopen_open_flags(const char *mode, int *flags)
{
	if (mode[0] != 'r' && mode[0] != 'w' && mode[0] != 'a')
		return 0;
	*flags = fopen_flags(mode);
	for (const char *m = mode + 1; *m; m++) {
		if (*m == ',')
			return 0;
		if (*m == 'x')
			*flags |= O_EXCL;
		else if (*m == 'e')
			*flags |= O_CLOEXEC;
	}
	return 1;
}

/* The stream over an open we make ourselves, marked (rawsys.h): libc's
 * fopen opens through its internal openat, which the seccomp filter would
 * hand to the supervisor for a second look at every fopen. */
static FILE *marked_fopen(fopen_fn fn, const char *path, const char *mode)
{
	int flags;
	if (!fopen_open_flags(mode, &flags))
		return fn(path, mode);
	int fd = (int)il_sysm(SYS_openat, AT_FDCWD, (long)path, flags, 0666, 0);
	if (fd < 0)
		return 0;
	FILE *f = fdopen(fd, mode);
	if (!f) {
		int e = errno;
		il_sys4(SYS_close, fd, 0, 0, 0);
		errno = e;
	} else if (mode[0] == 'a' && !(flags & O_RDWR)) {
		/* glibc's fopen("a") starts at the end (ftell says so), fdopen
		 * only once it writes */
		int saved = errno;
		fseek(f, 0, SEEK_END);
		errno = saved;
	}
	return f;
}

static FILE *guarded_fopen(void **cache, const char *name, const char *path, const char *mode)
{
	fopen_fn fn = (fopen_fn)il_next(cache, name);
	if (!fn) {
		errno = ENOSYS;
		return 0;
	}
	if (!path || !mode)
		return fn(path, mode);
	int flags = fopen_flags(mode);
	if (il_check_open(AT_FDCWD, path, il_open_access(flags)) < 0)
		return 0;
	if (!fopen_open_flags(mode, &flags))
		flags = fopen_flags(mode);
	il_note_write(AT_FDCWD, path, flags, il_open_access(flags));
	return marked_fopen(fn, path, mode);
}

IL_EXPORT FILE *fopen(const char *path, const char *mode)
{
	return guarded_fopen(&real_fopen, "fopen", path, mode);
}

IL_EXPORT FILE *fopen64(const char *path, const char *mode)
{
	return guarded_fopen(&real_fopen64, "fopen64", path, mode);
}

static FILE *guarded_freopen(void **cache, const char *name, const char *path, const char *mode, FILE *f)
{
	freopen_fn fn = (freopen_fn)il_next(cache, name);
	if (!fn) {
		errno = ENOSYS;
		return 0;
	}
	if (path && mode && il_check_open(AT_FDCWD, path, il_open_access(fopen_flags(mode))) < 0)
		return 0;
	if (path && mode)
		il_note_write(AT_FDCWD, path, fopen_flags(mode), il_open_access(fopen_flags(mode)));
	return fn(path, mode, f);
}

IL_EXPORT FILE *freopen(const char *path, const char *mode, FILE *f)
{
	return guarded_freopen(&real_freopen, "freopen", path, mode, f);
}

IL_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *f)
{
	return guarded_freopen(&real_freopen64, "freopen64", path, mode, f);
}

/* opendir: libc opens the directory with its internal openat, which the
 * seccomp filter would hand to the supervisor only to be continued (a
 * read-only O_DIRECTORY open reads nothing a rule protects and cannot open
 * a file). Made here with the marker, the flags libc uses, and handed to
 * fdopendir. */
IL_EXPORT DIR *opendir(const char *path)
{
	if (!path) {
		errno = EFAULT;
		return 0;
	}
	int fd = (int)il_sysm(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_NONBLOCK | O_DIRECTORY | O_CLOEXEC, 0, 0);
	if (fd < 0)
		return 0;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		il_sys4(SYS_close, fd, 0, 0, 0);
		errno = e;
	}
	return d;
}

/* fdopendir: a directory about to be listed, whatever opened it. */
static void *real_fdopendir;
IL_EXPORT DIR *fdopendir(int fd)
{
	DIR *(*fn)(int) = (DIR * (*)(int)) il_next(&real_fdopendir, "fdopendir");
	if (!fn) {
		errno = ENOSYS;
		return 0;
	}
	DIR *d = fn(fd);
	if (d)
		il_walk_note(fd);
	return d;
}
