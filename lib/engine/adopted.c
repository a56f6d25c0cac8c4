/* Which files are the agent's own: born after the session began (statx
 * birth time against the session start in the snapshot), unless they took
 * over the name of a file older than the session.
 *
 * Why a record: many programs change a file by writing a new one beside it
 * and renaming it over the old one (sed -i, perl -i, python's os.replace,
 * an editor's atomic save, agents' edit tools). The new inode has a new
 * birth time, so after `sed -i` on the user's untracked notes.md the birth
 * time alone says "made in the session", and a later rm / os.remove / git
 * clean would be free: the user's work gone unasked. What the name held
 * was the user's; what it holds now is the user's work edited. So the
 * judge of a rename (judge.c, for the preload's hooks and the supervisor
 * alike) asks for a record when a file born in the session is about to
 * take over the name of one that is not, and the host appends the new
 * inode's identity to <session dir>/adopted before it lets the rename
 * happen. il_born_in_session reads it for files whose birth time says
 * "born in the session"; a file older than the session never costs more
 * than the one statx it always did.
 *
 * The record: fixed 32-byte entries (device, inode, birth time), appended
 * with one O_APPEND write each, so concurrent writers never interleave. The
 * birth time is part of the identity: an inode number reused by a file
 * made later does not inherit the age. The file lives in the session
 * directory, one of interlock's own: no guarded process may write, delete
 * or rename it (judge.c's self-protection, the supervisor for raw calls);
 * the preload writes it with a marked raw call like its audit records, the
 * supervisor as itself. A record only ever adds protection, so an entry too
 * many (a rename that then failed) costs at most a question; an entry
 * missing would lose the file. Hence, failing safe where it costs no work:
 *   - a record that cannot be written does not refuse the rename: the
 *     rename loses nothing itself, and a sandbox around the agent that
 *     cannot write the session directory (an agent's own, a container's)
 *     would otherwise fail every `sed -i`; the file then counts as the
 *     agent's own, as it did before the record existed;
 *   - a record the snapshot names but that cannot be read (gone, unreadable)
 *     makes every file count as older than the session (asked, not lost);
 *   - no session (plain `interlock check`), no record: nothing is born in
 *     a session that does not exist, so there is nothing to record either.
 *
 * Runtime side: heap-free, raw system calls (the preload's own open hook
 * must not see the record), no stdio. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine_int.h"

struct adopt_rec {
	uint32_t dev_major, dev_minor;
	uint64_t ino;
	int64_t btime_sec;
	uint32_t btime_nsec, zero;
};
_Static_assert(sizeof(struct adopt_rec) == 32, "one record is 32 bytes");

#if defined(SYS_statx) && defined(STATX_BTIME)
#define HAVE_BTIME 1

static int statx_of(const char *p, struct statx *sx)
{
	return (int)syscall(SYS_statx, AT_FDCWD, p, AT_SYMLINK_NOFOLLOW, STATX_BTIME | STATX_INO | STATX_TYPE, sx);
}

/* By its birth time alone (no record): after the session began? */
static int btime_in_session(const struct il_snap_hdr *h, const struct statx *sx)
{
	if (!h->del_since_sec || !(sx->stx_mask & STATX_BTIME))
		return 0;
	/* The start is the precise time, and the wrapper pushed the file
	 * systems' timestamp floor past it (cli/commands/session_clock.c): a
	 * file made before it is born earlier, one made after at or later. */
	if ((uint64_t)sx->stx_btime.tv_sec != h->del_since_sec)
		return (uint64_t)sx->stx_btime.tv_sec > h->del_since_sec;
	return sx->stx_btime.tv_nsec >= h->del_since_nsec;
}

/* The record's path, or NULL when the session keeps none. */
static const char *record_path(const struct il_snap_view *v)
{
	const char *p = il_snap_str(v, v->hdr->adopted);
	return p && p[0] == '/' ? p : 0;
}

/* Is the inode of sx in the record? 1 yes, or no record can be read where
 * the session keeps one (fail safe: older than the session); 0 no. */
static int recorded(const struct il_snap_view *v, const struct statx *sx)
{
	const char *path = record_path(v);
	if (!path)
		return 0;
	int saved = errno;
	/* marked: the preload's read of its own session file needs no
	 * supervisor round trip (il_marker is 0 outside the preload) */
	long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0, 0L, (long)il_marker);
	if (fd < 0) {
		errno = saved;
		return 1;
	}
	struct adopt_rec buf[128];
	int found = 0, failed = 0;
	for (;;) {
		long r = syscall(SYS_read, fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			failed = 1;
		if (r <= 0)
			break;
		/* entries are written whole and the buffer holds a whole number
		 * of them: a short read ends on an entry's boundary too, except
		 * for a torn tail (a writer that died mid-write), ignored */
		for (size_t i = 0; i < (size_t)r / sizeof buf[0]; i++) {
			const struct adopt_rec *e = &buf[i];
			if (e->ino == sx->stx_ino && e->dev_major == sx->stx_dev_major &&
			    e->dev_minor == sx->stx_dev_minor && e->btime_sec == (int64_t)sx->stx_btime.tv_sec &&
			    e->btime_nsec == sx->stx_btime.tv_nsec) {
				found = 1;
				break;
			}
		}
		if (found || (size_t)r % sizeof buf[0])
			break;
	}
	syscall(SYS_close, fd);
	errno = saved;
	return found || failed;
}

static int born_sx(const struct il_snap_view *v, const struct statx *sx)
{
	return btime_in_session(v->hdr, sx) && !recorded(v, sx);
}
#else
#define HAVE_BTIME 0
#endif

int il_born_in_session(const struct il_snap_view *v, const char *p)
{
	if (!v->hdr->del_since_sec)
		return 0;
#if HAVE_BTIME
	int saved = errno;
	struct statx sx;
	int ok = statx_of(p, &sx) == 0;
	errno = saved;
	return ok && born_sx(v, &sx);
#else
	(void)p;
	return 0;
#endif
}

void il_rename_takeover(const struct il_snap_view *v, const char *from, const char *to, int *exists,
			struct il_adopt *ad)
{
	*exists = 0;
	if (ad)
		ad->want = 0;
#if HAVE_BTIME
	int saved = errno;
	struct statx dst, src;
	if (statx_of(to, &dst) < 0) {
		errno = saved;
		return; /* nothing there to replace (or nothing the rename can reach) */
	}
	*exists = 1;
	/* Only in a session, only when the name is not the session's own
	 * already, only when what takes it over would count as the agent's:
	 * a file older than the session keeps its age through the rename
	 * itself (mv ~/old.txt notes.md). The same device and the same kind
	 * (a directory replaces only a directory): otherwise the kernel
	 * refuses the rename (EXDEV, EISDIR, ENOTDIR) and an entry would be
	 * one too many. */
	if (ad && v->hdr->del_since_sec && record_path(v) && !born_sx(v, &dst) && statx_of(from, &src) == 0 &&
	    src.stx_dev_major == dst.stx_dev_major && src.stx_dev_minor == dst.stx_dev_minor &&
	    src.stx_ino != dst.stx_ino && S_ISDIR(src.stx_mode) == S_ISDIR(dst.stx_mode) &&
	    btime_in_session(v->hdr, &src)) {
		*ad = (struct il_adopt){ 1, src.stx_dev_major, src.stx_dev_minor, src.stx_ino, (int64_t)src.stx_btime.tv_sec,
					 src.stx_btime.tv_nsec };
	}
	errno = saved;
#else
	(void)v, (void)from, (void)to;
	int saved = errno;
	struct stat st;
	*exists = fstatat(AT_FDCWD, to, &st, AT_SYMLINK_NOFOLLOW) == 0;
	errno = saved;
#endif
}

int il_adopt_note(const struct il_snap_view *v, const struct il_adopt *ad)
{
	if (!ad || !ad->want)
		return 0;
#if HAVE_BTIME
	const char *path = record_path(v);
	if (!path) {
		errno = ENOENT;
		return -1;
	}
	int saved = errno;
	struct adopt_rec e = { ad->dev_major, ad->dev_minor, ad->ino, ad->btime_sec, ad->btime_nsec, 0 };
	/* not created here: the wrapper made it with the session directory,
	 * and one that is gone is a session that is broken (fail closed) */
	long fd = syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0, 0L,
			  (long)il_marker);
	if (fd < 0)
		return -1;
	long w;
	do
		w = syscall(SYS_write, fd, &e, sizeof e);
	while (w < 0 && errno == EINTR);
	int err = w == (long)sizeof e ? 0 : w < 0 ? errno : EIO;
	syscall(SYS_close, fd);
	if (err) {
		errno = err;
		return -1;
	}
	errno = saved;
	return 0;
#else
	(void)v;
	return 0;
#endif
}
