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

/* What every statx here asks: the basic stats (the clean test of own
 * edits compares size, mtime and inode with the index) and the birth time. */
#define SX_MASK (STATX_BASIC_STATS | STATX_BTIME)

static int statx_of(const char *p, struct statx *sx)
{
	return (int)syscall(SYS_statx, AT_FDCWD, p, AT_SYMLINK_NOFOLLOW, SX_MASK, sx);
}

/* Is the time t at or after the session's start? The start is the precise
 * time, and the wrapper pushed the file systems' timestamp floor past it
 * (cli/commands/session_clock.c): a file made or changed before it has an
 * earlier time, one made or changed after, that time or a later one. */
static int since_start(const struct il_snap_hdr *h, const struct statx_timestamp *t)
{
	if ((uint64_t)t->tv_sec != h->del_since_sec)
		return (uint64_t)t->tv_sec > h->del_since_sec;
	return t->tv_nsec >= h->del_since_nsec;
}

/* By its birth time alone (no record): after the session began? */
static int btime_in_session(const struct il_snap_hdr *h, const struct statx *sx)
{
	if (!h->del_since_sec || !(sx->stx_mask & STATX_BTIME))
		return 0;
	return since_start(h, &sx->stx_btime);
}

/* The record's path, or NULL when the session keeps none. */
static const char *record_path(const struct il_snap_view *v)
{
	const char *p = il_snap_str(v, v->hdr->adopted);
	return p && p[0] == '/' ? p : 0;
}

/* The session's record of own edits (below), beside the adopted record
 * in the session directory: its path in buf, or NULL when the session
 * keeps none. */
static const char *own_record_path(const struct il_snap_view *v, char *buf, size_t cap)
{
	const char *p = record_path(v);
	if (!p)
		return 0;
	const char *base = il_basename(p);
	size_t dl = (size_t)(base - p), nl = sizeof IL_OWN_EDITS_FILE;
	if (dl + nl > cap)
		return 0;
	il_memcpy(buf, p, dl);
	il_memcpy(buf + dl, IL_OWN_EDITS_FILE, nl);
	return buf;
}

/* Is the inode of sx in the record at path? 1 yes; 0 no; unreadable
 * (where the session keeps one): failed, the caller's fail-safe answer. */
static int recorded_in(const char *path, const struct statx *sx, int failed_answer)
{
	int saved = errno;
	/* marked: the preload's read of its own session file needs no
	 * supervisor round trip (il_marker is 0 outside the preload) */
	long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0, 0L, (long)il_marker);
	if (fd < 0) {
		errno = saved;
		return failed_answer;
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
	return found ? 1 : failed ? failed_answer : 0;
}

/* Is the inode of sx in the adopted record? 1 yes, or no record can be
 * read where the session keeps one (fail safe: older than the session); 0
 * no. */
static int recorded(const struct il_snap_view *v, const struct statx *sx)
{
	const char *path = record_path(v);
	return path ? recorded_in(path, sx, 1) : 0;
}

static int born_sx(const struct il_snap_view *v, const struct statx *sx)
{
	return btime_in_session(v->hdr, sx) && !recorded(v, sx);
}

/* Appends e to the record at path: one O_APPEND write, whole. 0, or -1
 * (errno). */
static int append_rec(const char *path, const struct adopt_rec *e)
{
	int saved = errno;
	/* not created here: the wrapper made it with the session directory,
	 * and one that is gone is a session that is broken (fail closed) */
	long fd = syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0, 0L,
			  (long)il_marker);
	if (fd < 0)
		return -1;
	long w;
	do
		w = syscall(SYS_write, fd, e, sizeof *e);
	while (w < 0 && errno == EINTR);
	int err = w == (long)sizeof *e ? 0 : w < 0 ? errno : EIO;
	syscall(SYS_close, fd);
	if (err) {
		errno = err;
		return -1;
	}
	errno = saved;
	return 0;
}

/* ------------------------------------------------------------ own edits
 *
 * The session's own uncommitted changes to tracked files. An agent edits
 * a tracked file, the experiment fails, it puts the file back: `git
 * checkout -- f`, `git restore f`, `git reset --hard`, `rm f`. What that
 * throws away is the agent's edit; what the file held before is in git.
 * Asking about it teaches the human to say yes unread. But if the file
 * held the user's uncommitted edits when the session first changed it,
 * putting it back loses those: that is still asked.
 *
 * The evidence is taken when it is cheap and certain, at the session's
 * first change of the file, and kept: a later question cannot tell the
 * agent's edit from the user's (both are "differs from the index").
 *
 *   - When: a write or truncating open of an existing regular file (both
 *     hosts: il_own_edit_candidate, then il_own_edit_note), and a rename
 *     that replaces one (sed -i, os.replace, an editor's atomic save:
 *     il_rename_takeover, recorded by il_adopt_note with the adoption).
 *     Only a file whose ctime is before the session's start is looked at
 *     further: a file already changed in the session, or made in it,
 *     costs the one statx (that is the hot path's whole price).
 *   - Clean: git's own test, from the index (git_index.c). The entry's
 *     cached stat data (size, mtime, ctime, inode) equals the file's, the entry
 *     is at stage 0 and a regular file, and the file's mtime is before
 *     the index file's: no content is read. A racily clean entry (mtime in
 *     the index's own tick: every file git itself just checked out, on
 *     file systems with coarse mtimes) is compared by content as git
 *     does, up to 1 MiB. Anything else (changed, a bigger racy file, no
 *     entry, no index, a conflict) records nothing: asked later, as today.
 *   - Identity: the inode (device, number, birth time), as in the adopted
 *     record. A path would be wrong both ways: `mv user-edited.txt f.txt`
 *     puts the user's work at a recorded name, while the agent's `mv f.txt
 *     g.txt` takes its own edit to another. An edit in place keeps the
 *     inode; a rewrite by rename (sed -i) records the new inode when the
 *     file it replaces was clean or already the session's own (a rename of
 *     an older file over it, `mv user-edited.txt f.txt`, records nothing:
 *     only a source born in the session, whose content the session wrote,
 *     is taken over, as il_rename_takeover requires for adoption).
 *
 * Use (il_own_change): a tracked file that differs from the index loses
 * nothing of the user's if it was born in the session (and did not take
 * over an older file's name: git's own checkout writes new files, so a
 * file git put back is the session's) or its inode is in the record. The
 * git loss facts (git_index.c, il_git_changed) and the delete judge
 * (deletes.c, delete-uncommitted) leave such files out; a question then
 * names only the others.
 *
 * What this cannot see: an edit the user makes, outside the guarded
 * tree, to a file the session already changed, during the session. The
 * record says "clean when the session first changed it", not "changed
 * only by the session since". The record itself only ever removes
 * questions, so it lives with the adopted one in the session directory,
 * which no guarded process may write (judge.c's self-protection, the
 * supervisor for raw calls). An entry that cannot be written, or a record
 * that cannot be read, makes the file count as the user's (asked). */

/* Is sx a regular file, not changed since the session began (its first
 * change in the session is the one about to happen)? */
static int before_first_change(const struct il_snap_hdr *h, const struct statx *sx)
{
	return h->del_since_sec && S_ISREG(sx->stx_mode) && (sx->stx_mask & STATX_BTIME) &&
	       (sx->stx_mask & STATX_CTIME) && !since_start(h, &sx->stx_ctime);
}

/* Is the file at abs (sx its statx) as the index of its work tree has it,
 * by git's stat test, without reading it? */
static int clean_in_index(const char *abs, const struct statx *sx)
{
	if (abs[0] != '/' || il_git_component(abs))
		return 0;
	size_t rn = il_worktree_len(abs);
	if (!rn || !abs[rn])
		return 0;
	const char *rel = abs + (rn == 1 ? 1 : rn + 1);
	struct il_stat_data st = { sx->stx_size, sx->stx_ino, (int64_t)sx->stx_mtime.tv_sec, (int64_t)sx->stx_ctime.tv_sec,
				   sx->stx_mtime.tv_nsec, sx->stx_ctime.tv_nsec };
	return il_git_stat_clean(abs, rn, rel, abs, &st);
}

/* Did the file at abs (dst its statx) hold nothing of the user's before
 * it is replaced: clean before its first change in the session, or an
 * inode the record has already? */
static int own_before(const struct il_snap_view *v, const char *abs, const struct statx *dst)
{
	char buf[4200];
	const char *rec = own_record_path(v, buf, sizeof buf);
	if (!rec || !S_ISREG(dst->stx_mode) || !(dst->stx_mask & STATX_BTIME))
		return 0;
	if (before_first_change(v->hdr, dst))
		return clean_in_index(abs, dst);
	return recorded_in(rec, dst, 0);
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
					 src.stx_btime.tv_nsec, 0 };
		/* what the name held was as git has it (or was the session's
		 * own edit of that): what the new file holds beyond it is the
		 * session's work (own edits, below) */
		ad->own = S_ISREG(src.stx_mode) && own_before(v, to, &dst);
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

void il_foreign_note(const struct il_snap_view *v, int fd)
{
#if HAVE_BTIME
	const char *path = v && v->hdr->del_since_sec ? record_path(v) : 0;
	struct statx sx;
	if (!path || syscall(SYS_statx, fd, "", AT_EMPTY_PATH, SX_MASK, &sx) != 0 || !S_ISREG(sx.stx_mode) ||
	    !(sx.stx_mask & STATX_BTIME))
		return;
	struct adopt_rec e = { sx.stx_dev_major, sx.stx_dev_minor, sx.stx_ino, (int64_t)sx.stx_btime.tv_sec,
			       sx.stx_btime.tv_nsec, 0 };
	append_rec(path, &e);
#else
	(void)v, (void)fd;
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
	struct adopt_rec e = { ad->dev_major, ad->dev_minor, ad->ino, ad->btime_sec, ad->btime_nsec, 0 };
	char own[4200];
	const char *own_path = ad->own ? own_record_path(v, own, sizeof own) : 0;
	/* the own-edits entry first: one missing only asks again later */
	if (own_path)
		append_rec(own_path, &e);
	return append_rec(path, &e);
#else
	(void)v;
	return 0;
#endif
}

int il_own_edit_candidate(const struct il_snap_view *v, int dirfd, const char *path)
{
#if HAVE_BTIME
	if (!v || !v->hdr->del_since_sec || !path || !*path || !record_path(v))
		return 0;
	int saved = errno;
	struct statx sx;
	/* followed, as the open follows it */
	int ok = syscall(SYS_statx, dirfd, path, 0, SX_MASK, &sx) == 0;
	errno = saved;
	return ok && before_first_change(v->hdr, &sx);
#else
	(void)v, (void)dirfd, (void)path;
	return 0;
#endif
}

void il_own_edit_note(const struct il_snap_view *v, const char *abs)
{
#if HAVE_BTIME
	char buf[4200];
	const char *rec = v && v->hdr->del_since_sec && abs ? own_record_path(v, buf, sizeof buf) : 0;
	if (!rec)
		return;
	int saved = errno;
	struct statx sx;
	/* recorded once: a file opened for writing and not written keeps its
	 * ctime, and is looked at again on its next open */
	if (statx_of(abs, &sx) == 0 && before_first_change(v->hdr, &sx) && clean_in_index(abs, &sx) &&
	    !recorded_in(rec, &sx, 1)) {
		struct adopt_rec e = { sx.stx_dev_major, sx.stx_dev_minor, sx.stx_ino, (int64_t)sx.stx_btime.tv_sec,
				       sx.stx_btime.tv_nsec, 0 };
		append_rec(rec, &e);
	}
	errno = saved;
#else
	(void)v, (void)abs;
#endif
}

int il_own_change(const struct il_snap_view *v, const char *abs)
{
#if HAVE_BTIME
	if (!v || !v->hdr->del_since_sec || !abs)
		return 0;
	int saved = errno;
	char buf[4200];
	const char *rec = own_record_path(v, buf, sizeof buf);
	struct statx sx;
	int own = statx_of(abs, &sx) == 0 && S_ISREG(sx.stx_mode) &&
		  (born_sx(v, &sx) || (rec && (sx.stx_mask & STATX_BTIME) && recorded_in(rec, &sx, 0)));
	errno = saved;
	return own;
#else
	(void)v, (void)abs;
	return 0;
#endif
}
