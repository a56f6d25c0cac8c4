/* Canonical paths and the facts rules ask about them (target predicates).
 * Paths are canonicalised lexically: `rm -r link` removes the link, not what
 * it points to, so resolving symlinks would describe the wrong object. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine_int.h"

char *il_path_abs(struct il_arena *a, const char *cwd, const char *p)
{
	size_t lc = (p[0] == '/' || !cwd) ? 0 : il_strlen(cwd);
	size_t lp = il_strlen(p);
	char *out = il_arena_alloc(a, lc + lp + 3);
	if (!out)
		return 0;
	size_t n = 0;
	out[n++] = '/';
	/* Walk cwd then p component by component. */
	for (int pass = 0; pass < 2; pass++) {
		const char *s = pass == 0 ? (lc ? cwd : "") : p;
		while (*s) {
			while (*s == '/')
				s++;
			const char *e = s;
			while (*e && *e != '/')
				e++;
			size_t k = (size_t)(e - s);
			if (k == 0)
				break;
			if (k == 1 && s[0] == '.') {
				/* nothing */
			} else if (k == 2 && s[0] == '.' && s[1] == '.') {
				while (n > 1 && out[n - 1] != '/')
					n--;
				if (n > 1)
					n--; /* the separator, unless it is the root */
			} else {
				if (n > 1)
					out[n++] = '/';
				il_memcpy(out + n, s, k);
				n += k;
			}
			s = e;
		}
	}
	out[n] = 0;
	return out;
}

size_t il_trim_len(const char *p)
{
	size_t n = il_strlen(p);
	while (n > 1 && p[n - 1] == '/')
		n--;
	return n;
}

const char *il_git_component(const char *p)
{
	for (const char *s = p; *s; s++)
		if (s[0] == '/' && s[1] == '.' && s[2] == 'g' && s[3] == 'i' && s[4] == 't' && (s[5] == '/' || !s[5]))
			return s;
	return 0;
}

int il_path_under(const char *p, const char *dir)
{
	if (!dir || dir[0] != '/')
		return 0;
	size_t n = il_trim_len(dir);
	if (n == 1)
		return 1;
	return il_strneq(p, dir, n) && (p[n] == '/' || p[n] == 0);
}

static int depth(const char *path)
{
	int d = 0;
	if (path[0] == '/' && !path[1])
		return 0;
	for (; *path; path++)
		if (*path == '/')
			d++;
	return d;
}

/* Where a git work tree's top may lie for its files to be a project's, not
 * the system's: a container image's WORKDIR (/app, /workspace, /usr/src/app)
 * or a server's site (/srv/site, /opt/app, /var/www/site). Not the system's
 * own places themselves (/usr/local, /var/lib, /etc), nor a home. */
static int project_top(const char *t, int d)
{
	static const char *const fhs[] = { "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64",
					   "/libx32", "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin",
					   "/snap", "/srv", "/sys", "/tmp", "/usr", "/var", 0 };
	if (d == 1) {
		for (int i = 0; fhs[i]; i++)
			if (il_streq(t, fhs[i]))
				return 0;
		return 1;
	}
	if (d == 2)
		return il_path_under(t, "/opt") || il_path_under(t, "/srv") || il_path_under(t, "/mnt") ||
		       il_path_under(t, "/media");
	return il_path_under(t, "/usr") || il_path_under(t, "/var");
}

/* Is p a git work tree, or inside one, whose top is a project's place
 * (project_top)? Its files are the project's, judged by what git has, and
 * the tree itself as a work tree (the git-worktree rules ask for it whole),
 * not as the system's. The nearest .git decides. */
static int in_project_tree(const char *p)
{
	char top[4096];
	size_t n = il_worktree_top(p);
	if (n < 2 || n >= sizeof top)
		return 0;
	il_memcpy(top, p, n);
	top[n] = 0;
	return project_top(top, depth(top));
}

static int system_by_name(const char *p)
{
	static const char *const whole[] = { "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64",
					     "/libx32", "/proc", "/sbin", "/sys", "/usr", "/root", 0 };
	int d = depth(p);
	if (d <= 1)
		return 1; /* "/" and every top-level directory */
	for (int i = 0; whole[i]; i++)
		if (il_path_under(p, whole[i]))
			return 1;
	if (il_path_under(p, "/var"))
		return !il_path_under(p, "/var/tmp") || d <= 2;
	/* Someone's home directory, /opt/app, /srv/site, /mnt/disk. */
	return d == 2 && (il_path_under(p, "/home") || il_path_under(p, "/opt") || il_path_under(p, "/srv") ||
			  il_path_under(p, "/mnt") || il_path_under(p, "/media"));
}

static int is_system(const char *p)
{
	return system_by_name(p) && !(p[1] && in_project_tree(p));
}

/* home or an ancestor of it */
static int is_home(const char *p, const char *home)
{
	if (!home || home[0] != '/')
		return 0;
	size_t n = il_strlen(p);
	if (n == 1)
		return 1;
	return il_strneq(home, p, n) && (home[n] == '/' || home[n] == 0);
}

static int is_home_child(const char *p, const char *home)
{
	if (!home || home[0] != '/')
		return 0;
	size_t n = il_trim_len(home);
	if (!il_strneq(p, home, n) || p[n] != '/' || p[n + 1] == '.' || !p[n + 1])
		return 0;
	for (const char *s = p + n + 1; *s; s++)
		if (*s == '/')
			return 0;
	return 1;
}

static int in_git_dir(const char *p)
{
	return il_git_component(p) != 0;
}

static int is_git_worktree(const char *p)
{
	char buf[4096];
	size_t n = il_strlen(p);
	if (n + 6 > sizeof buf)
		return 0;
	il_memcpy(buf, p, n);
	il_memcpy(buf + n, n == 1 ? ".git" : "/.git", n == 1 ? 5 : 6);
	struct stat st;
	return stat(buf, &st) == 0;
}

/* /dev/ names that are never disks: the character devices every system
 * has, the process's own descriptors, and bash's /dev/tcp and /dev/udp
 * (never in the file system). */
static int dev_not_disk(const char *rest)
{
	static const char *const names[] = { "null", "zero", "full", "random", "urandom", "stdin", "stdout", "stderr",
					     "tty", "console", "ptmx", "kmsg", 0 };
	static const char *const dirs[] = { "fd/", "pts/", "shm/", "mqueue/", "tcp/", "udp/", "hugepages/", 0 };
	for (int i = 0; names[i]; i++)
		if (il_streq(rest, names[i]))
			return 1;
	for (int i = 0; dirs[i]; i++)
		if (il_strneq(rest, dirs[i], il_strlen(dirs[i])))
			return 1;
	return il_strneq(rest, "tty", 3); /* tty1, ttyS0, ttyUSB0 */
}

static int is_block_device(const char *p)
{
	struct stat st;
	int there = stat(p, &st) == 0;
	if (there && S_ISBLK(st.st_mode))
		return 1;
	static const char *const disks[] = { "sd", "hd", "vd", "xvd", "nvme", "mmcblk", "loop", "dm-",
					     "md", "mapper/", "disk/", "sr", 0 };
	if (!il_strneq(p, "/dev/", 5) || !p[5])
		return 0;
	for (int i = 0; disks[i]; i++)
		if (il_strneq(p + 5, disks[i], il_strlen(disks[i])) && p[5 + il_strlen(disks[i])])
			return 1;
	/* Any other /dev/ name that is not there (yet) is taken for a disk: a
	 * USB stick's or an LVM/stratis volume's name (/dev/vg0/data,
	 * /dev/stratis/pool/fs) varies, and a rule is checked on machines
	 * without it. One that is there and is not a block device (a
	 * character device, a directory) is not. */
	return !there && !dev_not_disk(p + 5);
}

static int is_root(const char *p)
{
	return p[0] == '/' && !p[1];
}

static int holds_root(const char *p, const char *home, const char *home2)
{
	(void)home, (void)home2;
	return is_root(p);
}
/* The user's home and what is inside it: projects and dot-directories,
 * the user's own, judged as home (root's home is /root, a system directory by
 * name, and agents in containers run as root: `rm -rf node_modules` in
 * /root/app is not the system's). The session's HOME (home2, from the
 * snapshot) when there is one: a HOME the command sets itself must not
 * turn /usr into a home. */
static int inside_home(const char *p, const char *home, const char *home2)
{
	const char *h = home2 && home2[0] == '/' ? home2 : home;
	if (!h || h[0] != '/' || !h[1])
		return 0;
	size_t n = il_trim_len(h);
	/* a whole top-level tree as HOME (/usr, /etc): still the system's */
	int top = 1;
	for (size_t i = 1; i < n; i++)
		top &= h[i] != '/';
	if (top && !(n == 5 && il_strneq(h, "/root", 5)))
		return 0;
	return il_strneq(p, h, n) && (!p[n] || p[n] == '/');
}

static int holds_system(const char *p, const char *home, const char *home2)
{
	return is_system(p) && !inside_home(p, home, home2);
}
static int holds_home(const char *p, const char *home, const char *home2)
{
	return is_home(p, home) || is_home(p, home2);
}
static int holds_home_child(const char *p, const char *home, const char *home2)
{
	return is_home_child(p, home) || is_home_child(p, home2);
}
static int holds_git_dir(const char *p, const char *home, const char *home2)
{
	(void)home, (void)home2;
	return in_git_dir(p);
}
static int holds_git_worktree(const char *p, const char *home, const char *home2)
{
	(void)home, (void)home2;
	return is_git_worktree(p);
}
static int holds_block_device(const char *p, const char *home, const char *home2)
{
	(void)home, (void)home2;
	return is_block_device(p);
}

/* The target predicates, one row each: the name rules use, the bit, the
 * test, and a line of help. The rule loader (names), the evaluator (tests)
 * and `interlock rules predicates` (for the docs check) all read this. */
static const struct il_predicate predicates[] = {
	{ "root", IL_P_ROOT, holds_root, "the root directory /" },
	{ "system", IL_P_SYSTEM, holds_system,
	  "/, a top-level directory, anything under /bin /boot /dev /etc /lib* /proc /sbin /sys /usr /root, /var but "
	  "/var/tmp, another user's home; not the session's $HOME or what is in it (HOME=/root), nor a git work tree "
	  "kept where projects are (/app, /srv/site, /usr/src/app, /var/www/site)" },
	{ "home", IL_P_HOME, holds_home, "$HOME or a directory above it" },
	{ "home-child", IL_P_HOME_CHILD, holds_home_child, "a direct child of $HOME that is not a dot-directory" },
	{ "git-worktree", IL_P_GIT_WORKTREE, holds_git_worktree, "the top directory of a git work tree" },
	{ "git-dir", IL_P_GIT_DIR, holds_git_dir, "anything inside a .git directory" },
	{ "block-device", IL_P_BLOCK_DEVICE, holds_block_device, "a block device (a disk, a partition, a loop device)" },
	/* needs the session's facts: the exec decision tests it (decide.c) */
	{ "delete-protected", IL_P_DELETE_PROTECTED, 0,
	  "an existing file whose delete the delete hooks would ask about: uncommitted or untracked work of a git "
	  "work tree, a database, a credential, the user's files in a top-level home folder (not one in a temp or "
	  "scratch directory, or made in the session)" },
	/* needs the caller's pid: the open decision tests it (decide_open.c) */
	{ "other-process", IL_P_OTHER_PROCESS, 0, "/proc/PID/... of another process (open rules)" },
};

const struct il_predicate *il_predicates(size_t *n)
{
	*n = sizeof predicates / sizeof predicates[0];
	return predicates;
}

unsigned il_path_predicates(const char *p, unsigned wanted, const char *home, const char *home2)
{
	unsigned r = 0;
	for (size_t i = 0; i < sizeof predicates / sizeof predicates[0]; i++) {
		const struct il_predicate *d = &predicates[i];
		if ((wanted & d->bit) && d->holds && d->holds(p, home, home2))
			r |= d->bit;
	}
	return r;
}

/* /proc/self and /proc/thread-self as the process `self` sees them: the
 * supervisor resolves another process's paths, and its own /proc/self is
 * not theirs. k: the link's length, or 0 when cur is neither. */
static long self_link(const char *cur, long self, char *link, size_t cap)
{
	int thread = il_streq(cur, "/proc/thread-self");
	if (self <= 0 || (!thread && !il_streq(cur, "/proc/self")))
		return 0;
	char d[24];
	int k = 0;
	unsigned long u = (unsigned long)self;
	do
		d[k++] = (char)('0' + u % 10);
	while ((u /= 10) && k < 20);
	size_t n = 0;
	for (int rep = 0; rep < (thread ? 2 : 1); rep++) {
		if (n + (size_t)k + 6 >= cap)
			return 0;
		if (rep)
			il_memcpy(link + n, "/task/", 6), n += 6;
		for (int i = k; i > 0; i--)
			link[n++] = d[i - 1];
	}
	link[n] = 0;
	return (long)n;
}

/* Resolves symlinks in every component (as realpath does, heap-free).
 * Components that do not exist are kept as written. */
char *il_path_resolve(struct il_arena *a, const char *cwd, const char *p)
{
	return il_path_resolve_as(a, cwd, p, 0);
}

char *il_path_resolve_as(struct il_arena *a, const char *cwd, const char *p, long self)
{
	char *cur = il_path_abs(a, cwd, p);
	char link[4096];
	for (int hops = 0; cur && hops < 40; hops++) {
		size_t n = il_strlen(cur), i = 1;
		int changed = 0;
		while (i <= n && !changed) {
			while (i < n && cur[i] != '/')
				i++;
			char save = cur[i];
			cur[i] = 0;
			long k = self_link(cur, self, link, sizeof link);
			if (!k)
				k = syscall(SYS_readlinkat, AT_FDCWD, cur, link, sizeof link - 1);
			cur[i] = save;
			if (k > 0) {
				link[k] = 0;
				/* target (relative to the link's directory) + the rest */
				size_t d = i;
				while (d > 0 && cur[d - 1] != '/')
					d--;
				char *dir = il_arena_strndup(a, cur, d ? d : 1);
				size_t rest = n - i;
				char *joined = il_arena_alloc(a, (size_t)k + rest + 2);
				if (!dir || !joined)
					return 0;
				il_memcpy(joined, link, (size_t)k);
				il_memcpy(joined + k, cur + i, rest + 1);
				cur = il_path_abs(a, dir, joined);
				changed = 1;
			} else if (k < 0 && errno != EINVAL) {
				return cur; /* missing or unreadable: the rest stays lexical */
			}
			i++;
		}
		if (!changed)
			return cur;
	}
	return cur;
}

/* The path of the directory open at fd, or of the deepest ancestor of it
 * that has one: the kernel names nothing longer than a page (PATH_MAX), so
 * a directory nested deeper (shutil.rmtree of a 300-level tree) has no
 * path for any hook to judge. Walks up with "..", one O_PATH open each,
 * until a name fits; *levels says how far. Raw system calls, no heap: the
 * preload and the supervisor both call it. NULL when nothing could be
 * named (fd closed meanwhile). fd is not closed. */
const char *il_near_name(int fd, char *buf, size_t cap, int *levels)
{
	char link[32];
	int cur = fd;
	const char *named = 0;
	*levels = 0;
	for (int up = 0; up < 4096 && cur >= 0; up++) {
		size_t n = 0;
		char d[12];
		int k = 0;
		unsigned u = (unsigned)cur;
		il_memcpy(link, "/proc/self/fd/", 14), n = 14;
		do
			d[k++] = (char)('0' + u % 10);
		while ((u /= 10) && k < 11);
		while (k)
			link[n++] = d[--k];
		link[n] = 0;
		long r = syscall(SYS_readlinkat, AT_FDCWD, link, buf, cap - 1);
		if (r > 0 && buf[0] == '/' && (size_t)r < cap - 1) {
			buf[r] = 0;
			named = buf;
			*levels = up;
			break;
		}
		if (r >= 0 || errno != ENAMETOOLONG)
			break; /* not a directory with a path at all */
		int next = (int)syscall(SYS_openat, cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
		if (cur != fd)
			syscall(SYS_close, cur);
		cur = next;
	}
	if (cur >= 0 && cur != fd)
		syscall(SYS_close, cur);
	return named;
}

int il_empty_file(const char *p)
{
	int saved = errno;
	struct stat st;
	int empty = fstatat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) && st.st_size == 0;
	errno = saved;
	return empty;
}
