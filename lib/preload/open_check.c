/* The open decision: built-in protections first (interlock's own files,
 * the human's terminal), then the open rules. The common case — a file no
 * rule names — costs a few hash probes on its base name and no syscall. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "il.h"
#include "preload.h"
#include "rawsys.h"

#define SCRATCH_SIZE (1u << 20)

#define OWN_WHY "interlock's own rules, logs and session files cannot be changed from inside a guarded session"

/* A built-in refusal outside the judges (chmod, chown and links of
 * interlock's own files): the same line and record as every refusal. */
static void refuse(const char *what, const char *path, const char *why)
{
	int broken = 0;
	struct il_snap_view *v = il_snapshot(&broken);
	size_t wl = il_strlen(what), pl = il_strlen(path);
	char text[4400];
	if (wl + pl + 2 > sizeof text)
		pl = sizeof text - wl - 2;
	il_memcpy(text, what, wl);
	text[wl] = ' ';
	il_memcpy(text + wl + 1, path, pl);
	text[wl + 1 + pl] = 0;
	const char *argv[] = { what, path, 0 };
	struct il_verdict verdict = { .action = IL_DENY, .rule = -1, .rule_id = "self-protection", .why = why,
				      .event = "open", .what = text, .argv = argv };
	char buf[8192];
	if (v) {
		il_settle(v, &verdict, path, buf, sizeof buf);
	} else {
		il_blocked_line(buf, sizeof buf, text, &verdict, IL_ANS_RULE);
		il_say(buf);
	}
}

int il_check_fd(int fd, unsigned access)
{
	char path[4096];
	if (!il_fd_path(fd, path, sizeof path))
		return 0;
	return il_check_open(AT_FDCWD, path, access);
}

static int check_open_slow(int dirfd, const char *path, unsigned access, const char *label);

/* A file that is not there holds nothing to read, truncate or lose: npm,
 * psql and mysql look for ~/.npmrc, ~/.pgpass and ~/.my.cnf on every run,
 * and asking about that teaches the human to say yes unread. Creating and
 * writing it (a new hook in .git/hooks) is still judged; without O_CREAT
 * the open fails on its own. A raw system call: our hooks must not see it. */
static unsigned present_access(const char *abs, unsigned access)
{
	if (!(access & (IL_A_READ | IL_A_TRUNCATE)))
		return access; /* nothing to drop */
	if (il_sys4(SYS_faccessat, AT_FDCWD, (long)abs, F_OK, 0) < 0 && (errno == ENOENT || errno == ENOTDIR))
		return access & IL_A_CREATE ? access & (IL_A_CREATE | IL_A_WRITE) : 0;
	return access;
}

int il_open_unchecked_mapped(const char *path, unsigned access)
{
	if (il_snapshot_ready())
		return 0; /* the caller asked il_open_unchecked already */
	/* A dev-shell session's rule set may have ended (il_session_ended,
	 * a system call). The quick reject does not need to know: an open it
	 * lets through is one no rule names, which an ended session lets
	 * through as well. Only a candidate takes the full look. */
	struct il_snap_view *v = il_snapshot_mapped();
	if (!v) {
		int saved = errno, broken = 0;
		v = il_snapshot(&broken);
		errno = saved;
	}
	return il_open_unchecked_in(v, path, access);
}

int il_check_open(int dirfd, const char *path, unsigned access)
{
	/* The common case first, touching nothing that can change errno. The
	 * rest lives in another function: its large frame would otherwise be
	 * probed page by page on every call. */
	if (il_open_unchecked(path, access) || il_open_unchecked_mapped(path, access) || !path || !*path)
		return 0;
	return check_open_slow(dirfd, path, access, 0);
}

/* A link made to a file: judged as a read of it (link.c). */
int il_check_link_target(int dirfd, const char *path)
{
	if (!path || !*path)
		return 0;
	/* A link to interlock's own files or to the human's terminal has no
	 * use but to write or read them under another name later. */
	if (il_own_file_name(path) || il_strneq(path, "/dev/", 5) || il_strneq(path, "/proc/", 6))
		return check_open_slow(dirfd, path, IL_A_READ | IL_A_WRITE, "link to");
	if (il_open_unchecked(path, IL_A_READ))
		return 0;
	return check_open_slow(dirfd, path, IL_A_READ, "link to");
}

/* This process's facts for the judges: the environment, the program. */
static struct il_facts self_facts(struct il_snap_view *v)
{
	const char *exe = il_self_program(v);
	return (struct il_facts){ environ, il_sess.profile, (long)getpid(), exe ? il_basename(exe) : 0, 0, 0, 0, 0 };
}

static __attribute__((noinline)) int check_open_slow(int dirfd, const char *path, unsigned access, const char *label)
{
	int writes = (access & (IL_A_WRITE | IL_A_TRUNCATE | IL_A_CREATE)) != 0;
	struct il_snap_view *v;
	int saved = errno;
	int broken = 0;
	v = il_snapshot(&broken);
	if (!v) {
		errno = saved;
		return 0; /* execs fail closed without a rule set; opens cannot all */
	}
	/* Quick rejects, in front of the judge: only what no built-in and no
	 * rule can care about passes here unresolved. /proc/self/fd/3 names
	 * nothing; the file it leads to may be a key opened with O_PATH. */
	const char *tty = il_snap_tty(v);
	if (!(writes && il_own_file_name(path)) && !(tty && il_strneq(path, "/dev/", 5)) && !il_path_via_link(path) &&
	    !il_open_candidate(v, path, access) && !label) {
		errno = saved;
		return 0;
	}
	struct il_scratch sc;
	if (il_scratch_open(&sc, SCRATCH_SIZE) < 0) {
		errno = EACCES;
		return -1;
	}
	struct il_arena *a = &sc.a;
	int unnamed = 0;
	const char *dir = il_dir_or_near(a, dirfd, path, &unnamed);
	struct il_open_op op = { path, 0, dir, access, 0, label != 0, unnamed, 0 };
	if (!unnamed) {
		op.path = dir ? il_path_resolve(a, dir, path) : 0;
		op.written = dir ? il_path_abs(a, dir, path) : 0;
		op.walked = op.path && access == IL_A_READ && !label && il_walk_listed(op.path);
	}
	struct il_facts f = self_facts(v);
	struct il_verdict verdict;
	int result = 0;
	if (!dir) {
		result = 0; /* no such directory fd, or not a directory: the kernel's to refuse */
	} else if (!op.path) { /* cannot tell where it leads: fail closed, and say so */
		verdict = (struct il_verdict){ .action = IL_DENY, .rule = -1, .rule_id = "fail-closed",
					       .why = "interlock cannot tell which file this path leads to" };
		const char *argv[] = { "open", path, 0 };
		verdict.event = "open", verdict.what = path, verdict.argv = argv;
		result = il_settle(v, &verdict, path, sc.text, IL_TEXT_SIZE);
	} else {
		il_judge_open(v, &op, &f, a, &verdict);
		if (verdict.action >= IL_LOG)
			result = il_settle(v, &verdict, op.path, sc.text, IL_TEXT_SIZE);
	}
	il_scratch_close(&sc);
	errno = result ? EACCES : saved;
	return result;
}

/* ---- interlock's own files, named by a delete, a rename or a link ----
 * Before the rules, and before anything that waives them (rm's deletes are
 * judged by its command line): a user's rule file deleted, the audit log
 * removed, the config directory moved away would each weaken or blind
 * every later session. The object itself is never followed (unlink,
 * rename and link do not follow their last component); its parent is
 * resolved when the name could be one of ours. A directory above a
 * protected path (ancestors) is judged by its path as written. */
/* The session's protected paths (newline-separated), NULL when there are
 * none (no session). Leaves errno alone. */
static const char *protect_list(void)
{
	int saved = errno;
	int broken = 0;
	struct il_snap_view *v = il_snapshot(&broken);
	const char *list = v ? il_snap_protect(v) : 0;
	errno = saved;
	return list && *list ? list : 0;
}

int il_check_own_path(int dirfd, const char *path, const char *what, int how)
{
	if (!path || !*path)
		return 0;
	/* a followed path may reach one of ours under any name */
	int own = how == IL_OWN_FOLLOW || il_own_file_name(path);
	if (!own && how == IL_OWN_NAME)
		return 0;
	const char *list = protect_list();
	if (!list)
		return 0;
	int saved = errno;
	/* not our name, in a directory that holds none of ours: no path to
	 * build (every rename asks this) */
	const char *last = own ? 0 : il_canonical_abs_last(path);
	if (last && last[1]) {
		int broken = 0;
		struct il_snap_view *v = il_snapshot(&broken);
		if (v && (il_dir_facts_at(v, path, last == path ? 1 : (size_t)(last - path)) & IL_DIR_OWN_FREE)) {
			errno = saved;
			return 0;
		}
	}
	char small[12288];
	struct il_arena a;
	il_arena_init(&a, small, sizeof small);
	const char *named = 0;
	if (how == IL_OWN_FOLLOW) {
		/* resolved from the path as given: a/../b through a symlink a
		 * is not the lexical b */
		const char *dir = il_dir_of(&a, dirfd, path);
		const char *real = dir ? il_path_resolve(&a, dir, path) : 0;
		if (real && il_path_protected(list, real, 0))
			named = real;
	} else {
		const char *lex = il_lexical_path(&a, dirfd, path);
		int above = how == IL_OWN_ABOVE;
		int hit = lex && il_path_protected(list, lex, above);
		if (!hit && own && lex) { /* the parent resolved, the name itself not followed */
			const char *base = il_basename(lex);
			size_t pl = (size_t)(base - lex);
			const char *parent = il_arena_strndup(&a, lex, pl > 1 ? pl - 1 : pl);
			const char *rp = parent ? il_path_resolve(&a, "/", parent) : 0;
			const char *real = rp ? il_path_abs(&a, rp, base) : 0;
			hit = real && il_path_protected(list, real, above);
		}
		named = hit ? lex : 0;
	}
	if (named)
		refuse(what, named, OWN_WHY);
	errno = named ? EACCES : saved;
	return named ? -1 : 0;
}

int il_check_own_fd(int fd, const char *what)
{
	char buf[4096];
	const char *path = il_fd_path(fd, buf, sizeof buf);
	return path ? il_check_own_path(AT_FDCWD, path, what, IL_OWN_FOLLOW) : 0;
}

/* ---- temp-dir fast path (issue 8's budget: creating, renaming and
 * deleting 50k temporary files costs at most 1.05x bare) ----
 * Every write-open is a candidate of the `name = *` open rules (.git,
 * /etc, database server directories), and the full check resolves each
 * component with readlink. Under a temp dir none of those rules is meant
 * to apply (deletes there are free as well), so what remains to rule out
 * is a symlink leading elsewhere: the caller opens with openat2's
 * RESOLVE_NO_SYMLINKS and takes the full check when that fails with ELOOP. */
/* Rules that name this file literally or by extension (*.db) still apply;
 * so does anything inside a .git. What the fast path skips are the `name
 * = *` rules; the shipped ones look at .git, /etc and /var/lib/DB-SERVER,
 * none of which a symlink-free path under a temp dir can be. b..end: the
 * file's name. */
static int named_or_git(const struct il_snap_view *v, const char *path, const char *b, const char *end,
			unsigned access)
{
	return il_open_named(v, b, end, access) || ((access & IL_A_READ) && il_open_candidate(v, path, IL_A_READ));
}

/* The path as written, made absolute without looking at the file system,
 * passes every rule: the caller opens it with RESOLVE_NO_SYMLINKS, so that
 * it is also the file's real path, and takes the full check (a readlink
 * per component) only when a symlink is on the way (ELOOP). This is what
 * every checked open pays otherwise: a write anywhere is a candidate of
 * the `name = *` rules (.git, /etc), and git writes each object it adds. */
int il_open_lexical(int dirfd, const char *path, unsigned access)
{
	if (!path || !*path || !access || il_own_file_name(path) || il_strneq(path, "/dev/", 5))
		return 0;
	int saved = errno;
	int broken = 0;
	struct il_snap_view *v = il_snapshot(&broken);
	struct il_scratch sc;
	if (!v || il_scratch_open(&sc, SCRATCH_SIZE) < 0) {
		errno = saved;
		return 0;
	}
	struct il_arena a = sc.a;
	const char *lex = il_lexical_path(&a, dirfd, path);
	int ok = 0;
	/* the rules alone are not enough for a write inside interlock's own
	 * directories (the session's records have names of no rule's): the
	 * full check applies the judge's self-protection */
	int writes = (access & (IL_A_WRITE | IL_A_TRUNCATE | IL_A_CREATE)) != 0;
	if (lex && writes && il_path_protected(il_snap_protect(v), lex, 0)) {
		ok = 0;
	} else if (lex && (access = present_access(lex, access)) == 0) {
		ok = 1;
	} else if (lex && !il_strneq(lex, "/dev/", 5) && !il_strneq(lex, "/proc/", 6)) {
		const char *exe = il_self_program(v);
		struct il_open_event ev = { lex, "/", access, environ, il_sess.profile, (long)getpid(),
					    exe ? il_basename(exe) : 0, 1, 0 };
		struct il_verdict verdict;
		il_decide_open(v, &ev, &a, &verdict, -1);
		ok = verdict.action < IL_LOG && !verdict.error;
	}
	il_scratch_close(&sc);
	errno = saved;
	return ok;
}

int il_open_temp_fast(const char *path, unsigned access)
{
	/* no .git component: what is inside one is judged in full */
	const char *last = path && access ? il_clean_abs_last(path, 1) : 0;
	if (!last)
		return 0;
	const char *b = last + 1;
	size_t n = il_strlen(b);
	if (il_own_file_base(b, n))
		return 0;
	int saved = errno;
	int broken = 0;
	struct il_snap_view *v = il_snapshot(&broken);
	unsigned f = v ? il_dir_facts_at(v, path, last == path ? 1 : (size_t)(last - path)) : 0;
	int temp = f & IL_DIR_TEMP ? 1 : f & IL_DIR_NOT_TEMP ? 0 : v && il_temp_path(v, path, environ);
	/* not in one of interlock's directories: a session directory under
	 * /tmp holds the session's records (adopted, own-edits), whose names
	 * alone do not say they are ours */
	int fast = temp && ((f & IL_DIR_OWN_FREE) || !il_path_protected(il_snap_protect(v), path, 0)) &&
		   !named_or_git(v, path, b, b + n, access);
	errno = saved;
	return fast;
}

/* ---- the session's own edits (adopted.c) ----
 * The evidence that a file was as git has it must be taken before the
 * session's first change of it: after the open (O_TRUNC) or the first
 * write, its stat data no longer says. The cheap part (one statx: is it
 * an existing file not changed since the session began?) runs for every
 * write-open; the path is resolved and the index looked at only for a
 * file's first change in the session. */
static __attribute__((noinline)) void note_write_slow(struct il_snap_view *v, int dirfd, const char *path)
{
	int saved = errno;
	struct il_scratch sc;
	if (il_scratch_open(&sc, SCRATCH_SIZE) < 0) {
		errno = saved;
		return;
	}
	int unnamed = 0;
	const char *dir = il_dir_or_near(&sc.a, dirfd, path, &unnamed);
	const char *abs = dir && !unnamed ? il_path_resolve(&sc.a, dir, path) : 0;
	if (abs)
		il_own_edit_note(v, abs);
	il_scratch_close(&sc);
	errno = saved;
}

void il_note_write(int dirfd, const char *path, int flags, unsigned access)
{
	/* O_CREAT|O_EXCL makes a new file or fails: nothing there to change */
	if (!(access & (IL_A_WRITE | IL_A_TRUNCATE)) || !path || !*path || ((flags & O_CREAT) && (flags & O_EXCL)))
		return;
	struct il_snap_view *v = il_snapshot_ready();
	if (v && il_own_edit_candidate(v, dirfd, path))
		note_write_slow(v, dirfd, path);
}
