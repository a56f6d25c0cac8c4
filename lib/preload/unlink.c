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

#include "engine_int.h"
#include "preload.h"

#ifndef AT_REMOVEDIR
#define AT_REMOVEDIR 0x200
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

static const char *process_name(struct il_snap_view *v)
{
	const char *exe = il_self_program(v);
	return exe ? il_basename(exe) : 0;
}


static const char *kind_word(int kind)
{
	return kind == IL_DEL_RMDIR ? "rmdir" : kind == IL_DEL_RENAME ? "rename" : "delete";
}

/* 0: go ahead; -1 with errno EACCES: refused (message and audit done). */
static __attribute__((noinline)) int check_delete_slow(int dirfd, const char *path, int kind, int ndirfd,
							const char *npath)
{
	int saved = errno;
	int broken = 0;
	struct il_snap_view *v = il_snapshot(&broken);
	if (!v) {
		errno = saved;
		return 0;
	}
	char small[14336]; /* the directory (4096) and the path made absolute */
	struct il_arena sa;
	il_arena_init(&sa, small, sizeof small);
	/* A directory nested too deep to have a path is judged as the tree of
	 * its deepest ancestor that has one (deletes.c: treated as protected
	 * unless that whole tree is free). One that has no path at all (its
	 * fd is not a directory, or it was deleted: it holds nothing) is the
	 * kernel's to refuse. */
	int unnamed = 0;
	const char *abs = il_lexical_path(&sa, dirfd, path);
	if (!abs && path[0] != '/') {
		abs = il_dir_or_near(&sa, dirfd, path, &unnamed);
		if (!unnamed)
			abs = 0;
	}
	if (!abs || !il_delete_candidate(v, abs, environ) || is_approved(abs)) {
		errno = saved;
		return 0;
	}
	const char *proc = process_name(v);
	const char *judged = il_snap_str(v, v->hdr->del_exec_judged);
	if (proc && judged && il_list_has(judged, proc, il_strlen(proc))) {
		errno = saved;
		return 0; /* rm & co: the exec rules judged their command line */
	}
	struct il_scratch sc;
	if (il_scratch_open(&sc, SCRATCH_SIZE) < 0) {
		errno = EACCES;
		return -1;
	}
	struct il_arena a = sc.a;
	const char *to = 0;
	if (kind == IL_DEL_RENAME && npath && *npath) {
		to = il_lexical_path(&a, ndirfd, npath);
	}
	struct il_delete_event ev = { abs, to, kind, environ, il_sess.profile, (long)getpid(), proc, unnamed };
	struct il_verdict verdict;
	il_decide_delete(v, &ev, &a, &verdict);
	int result = 0;
	if (verdict.action >= IL_LOG) {
		const char *kw = kind_word(kind);
		/* an unnamed path is shown as the ancestor, "...", the name */
		const char *tail = unnamed ? path : 0;
		size_t kl = il_strlen(kw), pl = il_strlen(abs), tl = to ? il_strlen(to) : 0;
		size_t xl = tail ? il_strlen(tail) : 0;
		char *what = il_arena_alloc(&a, kl + pl + xl + tl + 16);
		if (what) {
			size_t o = 0;
			il_memcpy(what + o, kw, kl), o += kl;
			what[o++] = ' ';
			il_memcpy(what + o, abs, pl), o += pl;
			if (tail) {
				il_memcpy(what + o, "/.../", 5), o += 5;
				il_memcpy(what + o, tail, xl), o += xl;
			}
			if (to) {
				il_memcpy(what + o, " -> ", 4), o += 4;
				il_memcpy(what + o, to, tl), o += tl;
			}
			what[o] = 0;
		}
		/* argv[1] is the tree: il_settle's repeat check and the broker's
		 * session approval then cover the whole tree, not one file */
		const char *tree = verdict.target ? verdict.target : abs;
		char *argv[] = { (char *)kw, (char *)tree, 0 };
		char *cwd = il_arena_alloc(&a, 4096);
		struct il_event_desc e = { "delete", what ? what : abs, abs, argv,
					   cwd && getcwd(cwd, 4096) ? cwd : "/" };
		result = il_settle(v, &verdict, &e, sc.text, IL_TEXT_SIZE);
		if (result == 0 && verdict.action >= IL_CONFIRM)
			approve(tree);
	}
	il_scratch_close(&sc);
	errno = result ? EACCES : saved;
	return result;
}

/* The hot path: a canonical absolute path under a temp or scratch
 * directory is decided here without a buffer or a syscall. */
static int check_delete(int dirfd, const char *path, int kind, int ndirfd, const char *npath)
{
	if (!path || !*path)
		return 0;
	/* One look at the directory (kept for the next call in it) answers
	 * both questions below: does it hold any of interlock's files, and
	 * is it a temp dir. */
	const char *last = il_canonical_abs_last(path);
	int canonical = last != 0;
	int saved = errno, broken = 0;
	struct il_snap_view *v = canonical ? il_snapshot(&broken) : 0;
	/* "/" itself has no directory to look at */
	unsigned facts = v && last[1] ? il_dir_facts_at(v, path, last == path ? 1 : (size_t)(last - path)) : 0;
	errno = saved;
	/* interlock's own files first: nothing below waives that (rm's own
	 * deletes are left to its command line's rules). A rename also must
	 * not put something in their place. */
	int own_free = (facts & IL_DIR_OWN_FREE) && !il_own_file_base(last + 1, il_strlen(last + 1));
	if ((!own_free && il_check_own_path(dirfd, path, kind_word(kind),
					    kind == IL_DEL_UNLINK ? IL_OWN_NAME : IL_OWN_ABOVE) < 0) ||
	    (kind == IL_DEL_RENAME && il_check_own_path(ndirfd, npath, "rename onto", IL_OWN_NAME) < 0))
		return -1;
	if (canonical) {
		int free_ = !v || (facts & IL_DIR_TEMP) || !il_delete_candidate(v, path, environ) || is_approved(path);
		errno = saved;
		if (free_)
			return 0;
	}
	return check_delete_slow(dirfd, path, kind, ndirfd, npath);
}

static int sys_unlinkat(int dirfd, const char *path, int flags)
{
	return (int)syscall(SYS_unlinkat, dirfd, path, flags);
}

static int sys_renameat2(int od, const char *op, int nd, const char *np, unsigned flags)
{
#ifdef SYS_renameat2
	long r = syscall(SYS_renameat2, od, op, nd, np, flags);
	if (r == 0 || errno != ENOSYS || flags)
		return (int)r;
#endif
#ifdef SYS_renameat
	if (!flags)
		return (int)syscall(SYS_renameat, od, op, nd, np);
#endif
	errno = ENOSYS;
	return -1;
}

IL_EXPORT int unlink(const char *path)
{
	if (check_delete(AT_FDCWD, path, IL_DEL_UNLINK, 0, 0) < 0)
		return -1;
	return sys_unlinkat(AT_FDCWD, path, 0);
}

IL_EXPORT int unlinkat(int dirfd, const char *path, int flags)
{
	if (check_delete(dirfd, path, flags & AT_REMOVEDIR ? IL_DEL_RMDIR : IL_DEL_UNLINK, 0, 0) < 0)
		return -1;
	return sys_unlinkat(dirfd, path, flags);
}

IL_EXPORT int rmdir(const char *path)
{
	if (check_delete(AT_FDCWD, path, IL_DEL_RMDIR, 0, 0) < 0)
		return -1;
	return sys_unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
}

/* remove(3) is unlink, or rmdir for a directory; glibc's calls its own
 * internal unlink, so it is hooked itself. The unlink facts are a superset
 * of the rmdir ones. */
IL_EXPORT int remove(const char *path)
{
	if (check_delete(AT_FDCWD, path, IL_DEL_UNLINK, 0, 0) < 0)
		return -1;
	if (sys_unlinkat(AT_FDCWD, path, 0) == 0)
		return 0;
	if (errno != EISDIR)
		return -1;
	return sys_unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
}

/* A rename is judged by what it moves away (its source); with
 * RENAME_EXCHANGE both sides move. Replacing a file by renaming onto it
 * (an editor's atomic save) is not judged. */
static int guarded_rename(int od, const char *op, int nd, const char *np, unsigned flags)
{
	if (check_delete(od, op, IL_DEL_RENAME, nd, np) < 0)
		return -1;
	if ((flags & RENAME_EXCHANGE) && check_delete(nd, np, IL_DEL_RENAME, od, op) < 0)
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
