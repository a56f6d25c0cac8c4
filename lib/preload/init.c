/* Load-time setup of libinterlock.so: capture the session, resolve the real
 * functions, and map the rule snapshot lazily on first need.
 *
 * Nothing here parses rules or compiles regexes; the constructor only copies
 * a few environment strings, so a process that never execs pays almost
 * nothing. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "il.h"
#include "preload.h"

struct il_real il_real;
struct il_session il_sess;

static void copy_value(char *dst, size_t cap, const char *v)
{
	size_t n = il_strlen(v);
	if (n < cap)
		il_memcpy(dst, v, n + 1);
}

/* The next definition of a function the library hooks, looked up on first
 * use and cached. Not for a vfork child: dlsym takes the loader's lock. */
void *il_next(void **cache, const char *name)
{
	void *p = __atomic_load_n(cache, __ATOMIC_ACQUIRE);
	if (!p) {
		p = dlsym(RTLD_NEXT, name);
		__atomic_store_n(cache, p, __ATOMIC_RELEASE);
	}
	return p;
}

/* The path this library was loaded from, to put back into LD_PRELOAD:
 * the LD_PRELOAD entry named libinterlock.so (the wrapper and shell-init
 * always give an absolute path), else the loader's record of us (an image
 * that preloads through /etc/ld.so.preload). No realpath() here: it costs
 * a readlink per component and starts malloc in every process. */
static void find_self(const char *preload)
{
	for (const char *p = preload; p && *p;) {
		const char *e = p;
		while (*e && *e != ':' && *e != ' ')
			e++;
		size_t n = (size_t)(e - p);
		if (n > 16 && p[0] == '/' && il_strneq(e - 16, "/libinterlock.so", 16) && n < sizeof il_sess.lib) {
			il_memcpy(il_sess.lib, p, n);
			il_sess.lib[n] = 0;
			return;
		}
		p = *e ? e + 1 : e;
	}
	Dl_info info;
	if (dladdr((void *)find_self, &info) && info.dli_fname)
		copy_value(il_sess.lib, sizeof il_sess.lib, info.dli_fname);
}

static int inited;

/* Runs as a constructor, or earlier from the first hook: another library's
 * constructor (libselinux's, in cp) can open files before ours has run. */
void il_init_once(void)
{
	if (__atomic_load_n(&inited, __ATOMIC_ACQUIRE))
		return;
	int saved = errno;
	/* One pass over the environment for the four names (getenv is a
	 * pass per name); the first of a name counts, as with getenv. */
	const char *lp = 0, *sess = 0, *snap = 0, *prof = 0;
	for (char **e = environ; e && *e; e++) {
		const char *v = *e;
		if (v[0] == 'I' && il_strneq(v, "INTERLOCK_", 10)) {
			if (!sess && il_strneq(v + 10, "SESSION=", 8))
				sess = v + 18;
			else if (!snap && il_strneq(v + 10, "SNAPSHOT=", 9))
				snap = v + 19;
			else if (!prof && il_strneq(v + 10, "PROFILE=", 8))
				prof = v + 18;
		} else if (!lp && v[0] == 'L' && il_strneq(v, "LD_PRELOAD=", 11)) {
			lp = v + 11;
		}
	}
	if (sess)
		copy_value(il_sess.session, sizeof il_sess.session, sess);
	if (snap)
		copy_value(il_sess.snapshot, sizeof il_sess.snapshot, snap);
	if (prof)
		copy_value(il_sess.profile, sizeof il_sess.profile, prof);
	find_self(lp);
	/* Keep the library in children whenever it was preloaded through the
	 * environment (a session, or an image-wide ENV LD_PRELOAD). */
	il_sess.active = il_sess.session[0] || (lp && il_sess.lib[0] && *lp);
	il_sess.shell = il_strneq(il_sess.session, "shell-", 6);
	__atomic_store_n(&inited, 1, __ATOMIC_RELEASE);
	errno = saved;
}

__attribute__((constructor)) static void il_init(void)
{
	il_init_once();
}

/* ---- the snapshot ---- */

#define IL_DEFAULT_SNAPSHOT "/etc/interlock/rules.snap"

/* Published once; threads that race each map their own copy and the losers
 * unmap it. Nothing ever waits for another thread, so a fork() taken while
 * some thread is half-way through leaves the child able to load its own. */
static struct il_snap_view *g_view;
struct il_snap_view *il_fast_view;
static int g_absent; /* 3: no rule set applies, 4: a session's rule set is unreadable */

static void *get_mem(size_t size)
{
	void *p = mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? 0 : p;
}

static void free_mem(void *p, size_t size)
{
	munmap(p, size);
}

static void *map_file(const char *path, size_t *size)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct stat st;
	void *p = 0;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && st.st_size < (1 << 30)) {
		p = mmap(0, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED)
			p = 0;
		else
			*size = (size_t)st.st_size;
	}
	close(fd);
	return p;
}

/* The first loader in a process uses static storage for the view; a thread
 * that races it maps its own and loses. */
static struct il_snap_view view_storage;
static int view_storage_taken;

static struct il_snap_view *view_mem(void)
{
	int expect = 0;
	if (__atomic_compare_exchange_n(&view_storage_taken, &expect, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return &view_storage;
	return get_mem(sizeof(struct il_snap_view));
}

static void view_free(struct il_snap_view *v)
{
	if (v == &view_storage)
		__atomic_store_n(&view_storage_taken, 0, __ATOMIC_RELEASE);
	else if (v)
		free_mem(v, sizeof *v);
}

static int load_view(struct il_snap_view **out)
{
	const char *path = il_sess.snapshot[0] ? il_sess.snapshot : IL_DEFAULT_SNAPSHOT;
	int missing = (il_sess.session[0] || il_sess.snapshot[0]) && !il_shell_session() ? 4 : 3;
	size_t size = 0;
	void *p = map_file(path, &size);
	if (!p)
		return missing;
	struct il_snap_view *v = view_mem();
	if (!v || il_snap_open(v, p, size) < 0) {
		view_free(v);
		munmap(p, size);
		return missing;
	}
	v->get_mem = get_mem;
	v->free_mem = free_mem;
	/* before the view is published: whoever sees it sees the marker */
	__atomic_store_n(&il_marker, il_snap_marker(v), __ATOMIC_RELEASE);
	struct il_snap_view *expect = 0;
	if (!__atomic_compare_exchange_n(&g_view, &expect, v, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		munmap(p, size);
		view_free(v);
		v = expect;
	}
	/* A dev-shell session publishes it too: the quick reject, its only
	 * reader, gives the answer an ended session gives as well. */
	__atomic_store_n(&il_fast_view, v, __ATOMIC_RELEASE);
	*out = v;
	return 2;
}

int il_shell_session(void)
{
	return il_sess.shell;
}

/* interlock_deactivate removes a dev-shell session's snapshot: from then on
 * the session is over for every process of it, even those that mapped it. */
int il_session_ended(void)
{
	static int ended; /* for good: a session does not come back */
	if (__atomic_load_n(&ended, __ATOMIC_RELAXED))
		return 1;
	if (!il_shell_session() || !il_sess.snapshot[0])
		return 0;
	int saved = errno;
	int gone = access(il_sess.snapshot, F_OK) < 0;
	errno = saved;
	if (gone)
		__atomic_store_n(&ended, 1, __ATOMIC_RELAXED);
	return gone;
}

struct il_snap_view *il_snapshot_mapped(void)
{
	return __atomic_load_n(&g_view, __ATOMIC_ACQUIRE);
}

struct il_snap_view *il_snapshot(int *broken)
{
	struct il_snap_view *ready = __atomic_load_n(&g_view, __ATOMIC_ACQUIRE);
	if (ready && !il_sess.shell) {
		*broken = 0;
		return ready; /* the common case: one load */
	}
	il_init_once();
	if (il_session_ended()) {
		*broken = 0;
		return 0;
	}
	struct il_snap_view *v = __atomic_load_n(&g_view, __ATOMIC_ACQUIRE);
	int absent = __atomic_load_n(&g_absent, __ATOMIC_RELAXED);
	if (!v && !absent) {
		int st = load_view(&v);
		if (st != 2)
			__atomic_store_n(&g_absent, st, __ATOMIC_RELAXED);
		absent = st == 2 ? 0 : st;
	}
	*broken = !v && absent == 4;
	return v;
}
