/* Deletes that never exec: the facts behind the unlink, rmdir and rename
 * hooks. `shutil.rmtree`, perl's unlink and node's fs.rmSync never run a
 * command line the exec rules could read, so the damage is judged where it
 * happens, one path at a time, with built-in facts about the path:
 *
 *   free        under a temp dir (/tmp, /var/tmp, /dev/shm, the session's
 *               $TMPDIR) unless that is inside $HOME; any path with a scratch
 *               directory component ([deletes] free: build, node_modules, ...)
 *   system      anything under a system directory (IL_P_SYSTEM), except by a
 *               package manager ([deletes] system-programs)
 *   home        $HOME or a directory above it
 *   git         anything inside .git (except by git itself, or of a
 *               repository born in this session), the work tree root
 *   uncommitted a file git tracks whose content differs from the index
 *               (git_index.c: stat, then the blob hash)
 *   untracked   a file in a work tree git neither tracks nor ignores, not
 *               born in this session: new work with no copy anywhere
 *   database    *.db, *.sqlite* (not sqlite's own -wal/-shm/-journal)
 *   credential  whatever an open rule would refuse to let be read
 *   home-child  what lies in a top-level entry of $HOME (~/Documents/...) and
 *               is not in a git work tree below it
 *
 * A tracked file whose content git has, and an ignored one (regenerable
 * output), lose nothing: free, unless it is a database (an ignored one
 * only when its name says scratch copy) or a credential.
 *
 * rm & co ([deletes] exec-judged) are judged here too: their command line
 * names what the user typed, not the files a glob or a script expanded
 * to. Only the categories their exec rules already weighed (system, home,
 * a tree too deep to name) are left to those rules.
 *
 * Files created after the session started (birth time) are the agent's own
 * and are free in home-child and database trees: sqlite journals, editor
 * swap files, test databases. Every protected verdict names a tree (the work
 * tree root, the home directory, the top-level home directory, the file):
 * the hook asks once per tree and lets the rest of that tree through after a
 * human said yes.
 *
 * Runtime side: heap-free, no stdio, raw syscalls for the git index. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine_int.h"
#include "open_quick.h"

static int strictly_under(const char *p, const char *dir)
{
	if (!dir || dir[0] != '/')
		return 0;
	size_t n = il_trim_len(dir);
	if (n == 1)
		return p[0] == '/' && p[1] != 0;
	return il_strneq(p, dir, n) && p[n] == '/' && p[n + 1];
}

static const char *snap_home(const struct il_snap_view *v)
{
	const char *h = il_snap_str(v, v->hdr->home);
	return h && *h ? h : 0;
}

/* Length of HOME without trailing slashes when p is inside it (not HOME
 * itself), else 0. */
static size_t home_len(const char *p, const char *home)
{
	if (!home || home[0] != '/' || !home[1])
		return 0;
	size_t n = il_trim_len(home);
	return il_strneq(p, home, n) && p[n] == '/' && p[n + 1] ? n : 0;
}

/* Is some component of p a scratch directory name? Only components below
 * what names the place count: inside HOME, those below its top-level entry
 * (~/build is the user's, not a build output); elsewhere, those below the
 * first (/tmp is not a "tmp" scratch directory of a project). */
static int scratch_path(const char *list, const char *p, const char *home, const char *home2)
{
	if (!list || !*list)
		return 0;
	size_t h = home_len(p, home);
	if (!h)
		h = home_len(p, home2);
	const char *s = p + h;
	for (int skip = 0; skip < 1; skip++) { /* the top-level entry */
		while (*s == '/')
			s++;
		while (*s && *s != '/')
			s++;
	}
	while (*s) {
		while (*s == '/')
			s++;
		const char *e = s;
		while (*e && *e != '/')
			e++;
		size_t k = (size_t)(e - s);
		if (k && il_list_has(list, s, k))
			return 1;
		s = e;
	}
	return 0;
}

int il_temp_path(const struct il_snap_view *v, const char *abs, char *const *envp)
{
	const char *t = il_snap_str(v, v->hdr->del_tmpdir);
	if (!(strictly_under(abs, "/tmp") || strictly_under(abs, "/var/tmp") || strictly_under(abs, "/dev/shm") ||
	      (t && t[0] == '/' && t[1] && strictly_under(abs, t))))
		return 0;
	/* The session's HOME (the wrapper's), else the environment's: a HOME
	 * inside /tmp (a test sandbox) is still a home. */
	const char *home = snap_home(v);
	if (!home)
		home = il_env_get(envp, "HOME");
	return !il_path_under(abs, home);
}

/* Is HOME itself a name directly inside dir (dir/NAME)? pfx: dir's length,
 * 0 for the root. */
static int home_is_child(const char *home, const char *dir, size_t pfx)
{
	size_t n = il_trim_len(home);
	return n > pfx + 1 && il_strneq(home, dir, pfx) && home[pfx] == '/' && !memchr(home + pfx + 1, '/', n - pfx - 1);
}

unsigned il_dir_facts(const struct il_snap_view *v, const char *dir, size_t dl)
{
	char probe[IL_DIR_FACTS_MAX + 3];
	if (!dl || dl > IL_DIR_FACTS_MAX || dir[0] != '/')
		return 0;
	il_memcpy(probe, dir, dl);
	probe[dl] = 0;
	unsigned f = 0;
	/* a name inside dir is ours, inside ours or above ours only if dir
	 * is one of ours, inside one, or above one */
	const char *list = il_snap_str(v, v->hdr->protect);
	if (!list || !*list || !il_path_protected(list, probe, 1))
		f |= IL_DIR_OWN_FREE;
	/* a temp dir's every name is a temp path, except HOME itself */
	const char *home = snap_home(v);
	size_t pfx = dl == 1 ? 0 : dl;
	if (home && !home_is_child(home, dir, pfx)) {
		probe[pfx] = '/', probe[pfx + 1] = 1, probe[pfx + 2] = 0;
		f |= il_temp_path(v, probe, 0) ? IL_DIR_TEMP : IL_DIR_NOT_TEMP;
	}
	return f;
}

int il_scratch_path(const struct il_snap_view *v, const char *abs, char *const *envp)
{
	return scratch_path(il_snap_str(v, v->hdr->del_free), abs, il_env_get(envp, "HOME"), snap_home(v));
}

int il_delete_candidate(const struct il_snap_view *v, const char *abs, char *const *envp)
{
	if (il_temp_path(v, abs, envp))
		return 0;
	const char *home = il_env_get(envp, "HOME"), *home2 = snap_home(v);
	return !scratch_path(il_snap_str(v, v->hdr->del_free), abs, home, home2);
}

/* ---- git: work tree root, .git, tracked files ---- */

static int exists_at(const char *dir, size_t n, const char *name, struct stat *st)
{
	char buf[4096];
	size_t k = il_strlen(name);
	if (n + k + 2 > sizeof buf)
		return 0;
	il_memcpy(buf, dir, n);
	size_t o = n;
	if (!(n == 1 && dir[0] == '/'))
		buf[o++] = '/';
	il_memcpy(buf + o, name, k + 1);
	return fstatat(AT_FDCWD, buf, st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* A recursive delete asks about every file of a directory in turn, and
 * each question walked up to / looking for a .git: one stat per level per
 * file (shutil.rmtree paid 5 failing stats per file). The last directory's
 * answer is kept for a second: a work tree found is checked again with one
 * stat of its .git. What this can miss is a repository created within
 * that second above a directory the same process was deleting in: what it
 * tracks was committed a moment ago, so a delete loses at most that
 * moment's edits. One entry, claimed with an atomic flag; a racing thread
 * just walks. */
#define WT_TRUST_NS 1000000000LL

static struct {
	int busy;
	size_t dirlen, root;   /* dir = p[0..dirlen); root length, 0: none */
	long long when;        /* CLOCK_MONOTONIC_COARSE, ns */
	char dir[1024];
} wt_memo;

static long long coarse_now(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) < 0)
		return -1;
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* -1: no answer kept for dir p[0..n); else the root length (0: none). */
static long memo_get(const char *p, size_t n, long long now)
{
	long r = -1;
	if (now < 0 || __atomic_exchange_n(&wt_memo.busy, 1, __ATOMIC_ACQUIRE))
		return -1;
	if (wt_memo.dirlen == n && n < sizeof wt_memo.dir && il_strneq(wt_memo.dir, p, n) &&
	    now - wt_memo.when < WT_TRUST_NS) {
		struct stat st;
		if (!wt_memo.root)
			r = 0;
		else if (exists_at(p, wt_memo.root, ".git", &st))
			r = (long)wt_memo.root;
	}
	__atomic_store_n(&wt_memo.busy, 0, __ATOMIC_RELEASE);
	return r;
}

static void memo_put(const char *p, size_t n, size_t root, long long now)
{
	if (now < 0 || n >= sizeof wt_memo.dir || __atomic_exchange_n(&wt_memo.busy, 1, __ATOMIC_ACQUIRE))
		return;
	il_memcpy(wt_memo.dir, p, n);
	wt_memo.dirlen = n;
	wt_memo.root = root;
	wt_memo.when = now;
	__atomic_store_n(&wt_memo.busy, 0, __ATOMIC_RELEASE);
}

static size_t walk_up(const char *p, size_t n);

/* The nearest directory at or above p (from its parent unless self) that
 * has a .git; its length, 0 if none. */
static size_t find_worktree(const char *p, int self)
{
	size_t n = il_strlen(p);
	if (!self) {
		while (n > 1 && p[n - 1] != '/')
			n--;
		if (n > 1)
			n--;
	}
	long long now = coarse_now();
	long kept = memo_get(p, n, now);
	if (kept >= 0)
		return (size_t)kept;
	size_t root = walk_up(p, n);
	memo_put(p, n, root, now);
	return root;
}

size_t il_worktree_len(const char *p)
{
	return find_worktree(p, 0);
}

size_t il_worktree_top(const char *p)
{
	return find_worktree(p, 1);
}

static size_t walk_up(const char *p, size_t n)
{
	struct stat st;
	for (int guard = 0; guard < 256; guard++) {
		if (exists_at(p, n, ".git", &st))
			return n;
		if (n == 1)
			return 0;
		while (n > 1 && p[n - 1] != '/')
			n--;
		if (n > 1)
			n--;
	}
	return 0;
}

/* ---- the decision ---- */

static int is_git_process(const char *proc)
{
	return proc && (il_streq(proc, "git") || il_strneq(proc, "git-", 4));
}

static int database_name(const char *p)
{
	/* a database's extension, also followed by a backup's (app.db.bak,
	 * data.sqlite3.old): the rows are all there under that name */
	const char *b = il_basename(p);
	for (const char *s = b; *s; s++) {
		if (*s != '.' || s == b)
			continue;
		const char *x = s + 1, *e = x;
		while (*e && *e != '.')
			e++;
		size_t n = (size_t)(e - x);
		if ((n == 2 && il_strneq(x, "db", 2)) || (n == 3 && il_strneq(x, "db3", 3)))
			return 1;
		if (n >= 6 && il_strneq(x, "sqlite", 6) && !memchr(x, '-', n))
			return 1; /* not -wal, -shm, -journal: sqlite's own scratch */
	}
	return 0;
}

/* Created after the session began (birth time): the agent's own file. */
/* A system tree is named by its first two components (/etc/nginx), three
 * under /usr and /var (/var/lib/postgresql). */
static const char *system_tree(struct il_arena *a, const char *p)
{
	int want = (il_strneq(p, "/usr/", 5) || il_strneq(p, "/var/", 5)) ? 3 : 2;
	size_t n = 0;
	int comps = 0;
	while (p[n]) {
		if (p[n] == '/' && n > 0 && ++comps >= want)
			break;
		n++;
	}
	return il_arena_strndup(a, p, n);
}

/* ~/X for a path at or under a top-level, non-hidden entry X of home. */
static const char *home_child_tree(struct il_arena *a, const char *p, const char *home)
{
	size_t n = home_len(p, home);
	if (!n || p[n + 1] == '.')
		return 0;
	size_t e = n + 1;
	while (p[e] && p[e] != '/')
		e++;
	return il_arena_strndup(a, p, e);
}

enum { D_FREE, D_SYSTEM, D_HOME, D_GIT, D_DATABASE, D_CREDENTIAL, D_HOME_CHILD, D_UNNAMED, D_UNCOMMITTED,
       D_UNTRACKED, D_WORK_DIR };

static const char *const del_ids[] = { 0,
				       "delete-system",
				       "delete-home",
				       "delete-git-tree",
				       "delete-database",
				       "delete-credential",
				       "delete-home",
				       "delete-unnamed",
				       "delete-uncommitted",
				       "delete-untracked",
				       "delete-worktree-dir" };
static const char *const del_why[] = {
	0,
	"this deletes or moves away files under a system directory; the operating system or other users need them and no backup this tool knows of has them",
	"this deletes or moves away the home directory (or a directory above it), with every project, key and document of the user",
	"this deletes or moves away a repository's .git directory (its history, branches and stashes) or a whole git work tree",
	"this deletes or moves away a database file; every table in it is lost and there is no undo",
	"this deletes or moves away a credential file (a key or token that may exist nowhere else)",
	"this deletes or moves away the user's own files in a top-level folder of the home directory (not a build output, cache or temporary file)",
	"this deletes or moves away something in a directory nested too deep for interlock to name (its path is longer than PATH_MAX), so it cannot tell what would be lost; it is treated as protected",
	"this deletes or moves away a file with uncommitted changes: git has an older version, the changes exist nowhere else",
	"this deletes or moves away a file git does not have (untracked and not ignored): new work that exists nowhere else",
	"this moves a directory of tracked files out of its git work tree: what in it is uncommitted or untracked leaves the repository, where nothing would keep it",
};

/* A database that git ignores and whose name says it is a scratch copy
 * (test.db, tmp.sqlite3, fixtures...): regenerable. Any other database
 * holds rows no one can bring back. */
static int scratch_database(const char *p)
{
	static const char *const words[] = { "test", "tmp", "temp", "scratch", "fixture", "spec", "example", 0 };
	const char *b = il_basename(p);
	for (int i = 0; words[i]; i++)
		for (const char *s = b; *s; s++)
			if (il_strneq(s, words[i], il_strlen(words[i])))
				return 1;
	return 0;
}

/* Is the .git at p[0..n) (its work tree at p[0..n-5)) the session's own:
 * a clone, a copy, an unpacked archive made after the session began? */
static int git_dir_born(const struct il_snap_view *v, struct il_arena *a, const char *p, size_t n)
{
	const char *gd = il_arena_strndup(a, p, n);
	return gd && il_born_in_session(v, gd);
}

static int classify(struct il_snap_view *v, const struct il_delete_event *ev, struct il_arena *a,
		    const char **tree)
{
	const char *p = ev->path;
	const struct il_snap_hdr *h = v->hdr;
	if (ev->unnamed) { /* somewhere below p: free only where all of p's tree is */
		if (!il_delete_candidate(v, p, ev->envp))
			return D_FREE;
		*tree = p;
		return D_UNNAMED;
	}
	struct stat st;
	if (ev->kind == IL_DEL_UNLINK && fstatat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
		return D_FREE; /* the kernel refuses (EISDIR); remove() then calls rmdir, judged as one */
	const char *home = il_env_get(ev->envp, "HOME"), *home2 = snap_home(v);
	/* (inside HOME=/root: projects, not the system; paths.c) */
	unsigned pr = il_path_predicates(p, IL_P_ROOT | IL_P_SYSTEM | IL_P_HOME, home, home2);
	if (pr & IL_P_HOME) {
		*tree = p;
		return D_HOME;
	}
	if (pr & (IL_P_ROOT | IL_P_SYSTEM)) {
		const char *progs = il_snap_str(v, h->del_programs);
		if (!(ev->process && progs && il_list_has(progs, ev->process, il_strlen(ev->process)))) {
			*tree = system_tree(a, p);
			return D_SYSTEM;
		}
		return D_FREE;
	}
	int git = is_git_process(ev->process);
	/* inside .git: the work tree is what comes before it; a repository
	 * the session made itself (clone, cp -r, tar x) is its own */
	const char *g = il_git_component(p);
	if (g) {
		if (git || git_dir_born(v, a, p, (size_t)(g - p) + 5))
			return D_FREE;
		*tree = g == p ? "/" : il_arena_strndup(a, p, (size_t)(g - p));
		return D_GIT;
	}
	/* What git has of the file: a delete of what git has loses nothing */
	size_t rn = ev->kind == IL_DEL_RMDIR ? 0 : find_worktree(p, ev->kind == IL_DEL_RENAME);
	const char *root = rn ? il_arena_strndup(a, p, rn) : 0;
	int is_root = rn && p[rn] == 0;
	const char *rel = rn && !is_root ? p + (rn == 1 ? 1 : rn + 1) : "";
	int wstate = root && !is_root && !git ? il_git_file_state(root, rn, rel, p) : 0;
	/* changes all made in this session to a file that was as git has it
	 * (adopted.c, own edits): the user loses nothing */
	if (wstate == IL_GIT_MODIFIED && il_own_change(v, p))
		wstate = IL_GIT_CLEAN;
	if (database_name(p) && !il_born_in_session(v, p) && wstate != IL_GIT_CLEAN &&
	    !(wstate == IL_GIT_IGNORED && scratch_database(p))) {
		*tree = p;
		return D_DATABASE;
	}
	if (il_open_candidate(v, p, IL_A_READ)) {
		struct il_open_event oe = { p, "/", IL_A_READ, ev->envp, ev->profile, ev->pid, ev->process, 0, 0 };
		struct il_verdict ov;
		il_decide_open(v, &oe, a, &ov, -1);
		if (ov.action >= IL_CONFIRM) {
			*tree = p;
			return D_CREDENTIAL;
		}
	}
	if (git)
		return D_FREE; /* git deletes inside its own work tree (checkout, rm) */
	const char *hc = home_child_tree(a, p, home);
	if (!hc)
		hc = home_child_tree(a, p, home2);
	if (ev->kind == IL_DEL_RMDIR) {
		/* an empty directory: only a top-level home folder is worth a word */
		if (hc && il_streq(hc, p) && !il_born_in_session(v, p)) {
			*tree = hc;
			return exists_at(p, il_strlen(p), ".git", &st) ? D_GIT : D_HOME_CHILD;
		}
		return D_FREE;
	}
	if (rn) {
		if (!root)
			return D_GIT; /* out of scratch: fail closed */
		int root_is_home = il_path_under(home ? home : "", root) || il_path_under(home2 ? home2 : "", root);
		if (is_root) {
			*tree = root;
			return D_GIT;
		}
		if (wstate == IL_GIT_MODIFIED) {
			*tree = root;
			return D_UNCOMMITTED;
		}
		if (wstate == IL_GIT_TREE) { /* a rename: out of the tree is a question */
			*tree = root;
			return D_WORK_DIR;
		}
		/* new work, unless the agent made it (or it is regenerable) */
		if (wstate == IL_GIT_UNTRACKED && !root_is_home && !il_born_in_session(v, p)) {
			*tree = root;
			return D_UNTRACKED;
		}
		/* a dotfiles repository at $HOME: what it does not track is
		 * judged as any file in HOME is */
		if (!root_is_home || wstate == IL_GIT_CLEAN)
			return D_FREE;
	}
	if (hc && !il_born_in_session(v, p)) {
		*tree = hc;
		return D_HOME_CHILD;
	}
	return D_FREE;
}

static const char *dir_of(struct il_arena *a, const char *p)
{
	size_t n = il_strlen(p);
	while (n > 1 && p[n - 1] != '/')
		n--;
	if (n > 1)
		n--;
	return il_arena_strndup(a, p, n);
}

/* Is the protection of category d still there under the new name to? A
 * credential is one by what its readers are (open rules on the file that
 * exists), which a name alone cannot say: renamed, it is asked. */
static int keeps_protection(int d, const char *to)
{
	switch (d) {
	case D_DATABASE:
		return database_name(to);
	case D_GIT:
		return il_git_component(to) != 0;
	case D_CREDENTIAL:
		return 0;
	default:
		return 1; /* the work tree's and the home folder's: by place */
	}
}

int il_decide_delete(struct il_snap_view *v, const struct il_delete_event *ev, struct il_arena *a,
		     struct il_verdict *out)
{
	*out = (struct il_verdict){ .action = IL_ALLOW, .rule = -1 };
	const char *tree = 0;
	int d = classify(v, ev, a, &tree);
	if (d == D_FREE || (ev->exec_judged && (d == D_SYSTEM || d == D_HOME || d == D_UNNAMED)))
		return 0;
	if (a->failed || !tree) {
		tree = ev->path;
	}
	/* A rename that keeps a protected file inside its tree and under a
	 * name that is still protected (a refactor, app.db -> app.db.bak)
	 * loses nothing. Moving it out, into a free place, or to a name that
	 * sheds the protection (data.db -> data.old, id_ed25519 -> x.pub, .git
	 * -> old-git) is a delete: what follows could then delete it freely. */
	if (ev->kind == IL_DEL_RENAME && ev->to && d != D_HOME && d != D_UNNAMED && keeps_protection(d, ev->to)) {
		const char *stay = il_streq(tree, ev->path) ? dir_of(a, ev->path) : tree;
		if (stay && !il_streq(stay, ev->path) && strictly_under(ev->to, stay) &&
		    il_delete_candidate(v, ev->to, ev->envp))
			return 0;
	}
	out->action = IL_CONFIRM;
	out->rule_id = del_ids[d];
	out->why = del_why[d];
	out->target = tree;
	const char *b = il_basename(tree);
	size_t n = il_trim_len(b);
	if (!n || (n == 1 && b[0] == '/'))
		b = "root", n = 4;
	if (n >= sizeof out->word)
		n = sizeof out->word - 1;
	il_memcpy(out->word, b, n);
	out->word[n] = 0;
	if (a->failed) {
		out->error = 1;
		out->action = IL_DENY;
		out->why = "interlock could not evaluate this delete (out of scratch memory); a human must do it";
	}
	return 0;
}
