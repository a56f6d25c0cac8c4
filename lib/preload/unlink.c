/* The delete family: unlink, unlinkat, rmdir, rename, renameat, renameat2,
 * remove. `shutil.rmtree`, perl's unlink and node's fs.rmSync delete in
 * process; the facts that decide are in lib/engine/deletes.c.
 *
 * Hot path: an unlink under a temp dir or a scratch directory costs a few
 * string compares (plus a getcwd or a readlink of the dirfd for a relative
 * path) and no allocation. Anything else pays one private scratch mapping
 * and, for files, an ancestor walk for .git (and the git index when one is
 * found). The real calls are raw syscalls; errno is preserved on allow.
 *
 * One question per logical operation: a protected verdict names a tree
 * (work tree root, home folder, file). Once a human allowed it, the rest of
 * that tree's deletes in this process pass without asking (a small static
 * table); il_settle's repeat check answers a denied tree the same way
 * without asking again, and the broker's session approval (rule + target)
 * covers the tree in other processes. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "il.h"
#include "preload.h"
#include "rawsys.h"

#ifndef AT_REMOVEDIR
#define AT_REMOVEDIR 0x200
#endif
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

#define SCRATCH_SIZE (1u << 20)

/* ---- approved trees of this process ---- */
#define MAX_APPROVED 16
static char approved_tree[MAX_APPROVED][1024];
static int approved_ready[MAX_APPROVED];
static int approved_n;

static int is_approved(const char *abs)
{
	int n = __atomic_load_n(&approved_n, __ATOMIC_ACQUIRE);
	for (int i = 0; i < n && i < MAX_APPROVED; i++)
		if (__atomic_load_n(&approved_ready[i], __ATOMIC_ACQUIRE) && il_path_under(abs, approved_tree[i]))
			return 1;
	return 0;
}

static void approve(const char *tree)
{
	size_t n = il_strlen(tree);
	if (!n || n >= sizeof approved_tree[0] || is_approved(tree))
		return;
	int i = __atomic_fetch_add(&approved_n, 1, __ATOMIC_ACQ_REL);
	if (i >= MAX_APPROVED)
		return; /* full: later deletes are asked again (the broker may remember) */
	il_memcpy(approved_tree[i], tree, n + 1);
	__atomic_store_n(&approved_ready[i], 1, __ATOMIC_RELEASE);
}

static int approved_here(void *ctx, const char *abs)
{
	(void)ctx;
	return is_approved(abs);
}

/* A rename the judge allowed whose file takes over an older file's name
 * is recorded before it is made (adopted.c). A record that cannot be
 * written does not stop the rename, which itself loses nothing: inside a
 * sandbox that cannot write the session directory (an agent's own, a
 * container's) every `sed -i` would fail otherwise. The file then counts
 * as the agent's own, as before the record existed. */
static void record_takeover(struct il_snap_view *v, const struct il_adopt *ad)
{
	if (ad->want)
		il_adopt_note(v, ad);
}

/* 0: go ahead; -1 with errno EACCES: refused (message and audit done).
 * replaces: a rename that may replace its destination (not
 * RENAME_NOREPLACE, not RENAME_EXCHANGE): what it puts in place of that
 * file is judged and recorded too. */
static __attribute__((noinline)) int check_delete_slow(int dirfd, const char *path, int kind, int ndirfd,
							const char *npath, int replaces)
{
	int saved = errno;
	int broken = 0;
	struct il_snap_view *v = il_snapshot(&broken);
	struct il_scratch sc;
	if (!v || il_scratch_open(&sc, SCRATCH_SIZE) < 0) {
		errno = v ? EACCES : saved;
		return v ? -1 : 0;
	}
	struct il_arena *a = &sc.a;
	/* A directory nested too deep to have a path is judged as the tree of
	 * its deepest ancestor that has one (the engine treats it as
	 * protected unless that whole tree is free). One that has no path at
	 * all (its fd is not a directory, or it was deleted: it holds
	 * nothing) is the kernel's to refuse. */
	struct il_delete_op op = { il_lexical_path(a, dirfd, path), 0, 0, kind, 0, 0, 0 };
	if (!op.path && path[0] != '/') {
		op.path = il_dir_or_near(a, dirfd, path, &op.unnamed);
		op.name = path;
		if (!op.unnamed)
			op.path = 0;
	}
	int result = 0;
	struct il_adopt adopt = { 0 };
	if (op.path) {
		if (kind == IL_DEL_RENAME && npath && *npath)
			op.to = il_lexical_path(a, ndirfd, npath);
		op.adopt = &adopt;
		op.no_replace = !replaces;
		const char *exe = il_self_program(v);
		struct il_facts f = { environ, il_sess.profile, (long)getpid(), exe ? il_basename(exe) : 0, 0, 0,
				      approved_here, 0 };
		struct il_verdict verdict;
		il_judge_delete(v, &op, &f, a, &verdict);
		/* the verdict's argv names the tree: il_settle's repeat check and
		 * the broker's session approval then cover the whole tree */
		if (verdict.action >= IL_LOG) {
			result = il_settle(v, &verdict, op.path, sc.text, IL_TEXT_SIZE);
			if (result == 0 && verdict.action >= IL_CONFIRM)
				approve(verdict.target ? verdict.target : op.path);
		}
		if (result == 0)
			record_takeover(v, &adopt);
	}
	il_scratch_close(&sc);
	errno = result ? EACCES : saved;
	return result;
}

/* A canonical absolute path whose directory holds none of interlock's
 * files and whose name is not one of theirs (the directory's facts are
 * kept for the next call in it). */
static int own_free(struct il_snap_view *v, const char *path, unsigned *facts)
{
	const char *last = il_canonical_abs_last(path);
	if (!last || !last[1])
		return 0; /* "/" itself has no directory to look at */
	*facts = il_dir_facts_at(v, path, last == path ? 1 : (size_t)(last - path));
	return (*facts & IL_DIR_OWN_FREE) && !il_own_file_base(last + 1, il_strlen(last + 1));
}

/* The hot path, in front of the judge: a canonical absolute path in a
 * temp or scratch tree, with nothing of interlock's on either side of a
 * rename, and for a rename that may replace its destination that
 * destination in a temp or scratch tree too, is let through here without
 * a buffer or a syscall. */
static int check_delete(int dirfd, const char *path, int kind, int ndirfd, const char *npath, int replaces)
{
	if (!path || !*path)
		return 0;
	int saved = errno, broken = 0;
	struct il_snap_view *v = il_snapshot(&broken);
	if (!v) {
		errno = saved;
		return 0;
	}
	unsigned facts = 0, to_facts = 0;
	int free_ = own_free(v, path, &facts) && (kind != IL_DEL_RENAME || !npath || own_free(v, npath, &to_facts)) &&
		    ((facts & IL_DIR_TEMP) || !il_delete_candidate(v, path, environ) || is_approved(path)) &&
		    (!replaces || !npath || (to_facts & IL_DIR_TEMP) || !il_delete_candidate(v, npath, environ));
	errno = saved;
	return free_ ? 0 : check_delete_slow(dirfd, path, kind, ndirfd, npath, replaces);
}

static int sys_unlinkat(int dirfd, const char *path, int flags)
{
	return (int)il_sysm(SYS_unlinkat, dirfd, (long)path, flags, 0, 0);
}

static int sys_renameat2(int od, const char *op, int nd, const char *np, unsigned flags)
{
#ifdef SYS_renameat2
	long r = il_sysm(SYS_renameat2, od, (long)op, nd, (long)np, flags);
	if (r == 0 || errno != ENOSYS || flags)
		return (int)r;
#endif
#ifdef SYS_renameat
	if (!flags)
		return (int)il_sysm(SYS_renameat, od, (long)op, nd, (long)np, 0);
#endif
	errno = ENOSYS;
	return -1;
}

IL_EXPORT int unlink(const char *path)
{
	if (check_delete(AT_FDCWD, path, IL_DEL_UNLINK, 0, 0, 0) < 0)
		return -1;
	return sys_unlinkat(AT_FDCWD, path, 0);
}

IL_EXPORT int unlinkat(int dirfd, const char *path, int flags)
{
	if (check_delete(dirfd, path, flags & AT_REMOVEDIR ? IL_DEL_RMDIR : IL_DEL_UNLINK, 0, 0, 0) < 0)
		return -1;
	return sys_unlinkat(dirfd, path, flags);
}

IL_EXPORT int rmdir(const char *path)
{
	if (check_delete(AT_FDCWD, path, IL_DEL_RMDIR, 0, 0, 0) < 0)
		return -1;
	return sys_unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
}

/* remove(3) is unlink, or rmdir for a directory; glibc's calls its own
 * internal unlink, so it is hooked itself. The unlink facts are a superset
 * of the rmdir ones. */
IL_EXPORT int remove(const char *path)
{
	if (check_delete(AT_FDCWD, path, IL_DEL_UNLINK, 0, 0, 0) < 0)
		return -1;
	if (sys_unlinkat(AT_FDCWD, path, 0) == 0)
		return 0;
	if (errno != EISDIR)
		return -1;
	return sys_unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
}

/* A rename is judged by what it moves away (its source); with
 * RENAME_EXCHANGE both sides move. Replacing a file by renaming onto it
 * (sed -i, an editor's atomic save) is judged as the truncation of that
 * file it amounts to, and a file of the session that takes over an older
 * file's name keeps that file's age (judge.c, adopted.c). */
static int guarded_rename(int od, const char *op, int nd, const char *np, unsigned flags)
{
	int replaces = !(flags & (RENAME_NOREPLACE | RENAME_EXCHANGE));
	if (check_delete(od, op, IL_DEL_RENAME, nd, np, replaces) < 0)
		return -1;
	if ((flags & RENAME_EXCHANGE) && check_delete(nd, np, IL_DEL_RENAME, od, op, 0) < 0)
		return -1;
	return sys_renameat2(od, op, nd, np, flags);
}

IL_EXPORT int rename(const char *oldpath, const char *newpath)
{
	return guarded_rename(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

IL_EXPORT int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	return guarded_rename(olddirfd, oldpath, newdirfd, newpath, 0);
}

IL_EXPORT int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags)
{
	return guarded_rename(olddirfd, oldpath, newdirfd, newpath, flags);
}
