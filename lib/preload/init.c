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

/* Where the constructors keep what they capture (IL_HOT, preload.h): a
 * small store on the page the loader has already written, so a process
 * that never calls a hook touches no page of the library's .bss. A value
 * too long for it goes to the big store, which only such a process
 * touches. The sizes bound each value as the fixed fields did before
 * (a longer value is not kept). */
#define PATH_CAP 4096 /* the library's path, the snapshot's */
#define ID_CAP 128    /* the session id, the profile */
static IL_HOT char empty[1];
static IL_HOT char small_store[384];
static char big_store[2 * PATH_CAP + 2 * ID_CAP + 64];
struct il_session il_sess IL_HOT = { 0, 0, empty, empty, empty, empty, 0, 0, 0 };
static IL_HOT int inited;
/* The names the constructor looks for (il_init_prefix) */
static IL_HOT char k_interlock[] = "INTERLOCK_", k_session[] = "SESSION=", k_snapshot[] = "SNAPSHOT=",
		   k_profile[] = "PROFILE=", k_ld_preload[] = "LD_PRELOAD=", k_lib[] = "/libinterlock.so",
		   k_shell[] = "shell-";

/* How much of each store this call of il_init_once has used: its own
 * count, not a shared one, so threads that race there write the same
 * bytes at the same places. */
struct kept {
	size_t small, big;
};

static const char *keep(struct kept *k, const char *s, size_t n)
{
	char *d;
	if (k->small + n + 1 <= sizeof small_store) {
		d = small_store + k->small;
		k->small += n + 1;
	} else if (k->big + n + 1 <= sizeof big_store) {
		d = big_store + k->big;
		k->big += n + 1;
	} else {
		return 0;
	}
	il_memcpy(d, s, n);
	d[n] = 0;
	return d;
}

/* entry is "NAME=value", name_len long up to and with the '=': the value
 * if it is shorter than cap (else ""), and in *var the whole entry, which
 * il_env_fix puts back into a child's environment. */
static const char *keep_var(struct kept *k, const char *entry, size_t name_len, size_t cap, const char **var)
{
	size_t len = il_init_len(entry);
	if (len - name_len >= cap)
		return empty;
	const char *d = keep(k, entry, len);
	if (!d)
		return empty;
	*var = d;
	return d + name_len;
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
static const char *find_self(struct kept *k, const char *preload)
{
	for (const char *p = preload; p && *p;) {
		const char *e = p;
		while (*e && *e != ':' && *e != ' ')
			e++;
		size_t n = (size_t)(e - p);
		if (n > 16 && p[0] == '/' && il_init_prefix(e - 16, k_lib) && n < PATH_CAP) {
			const char *d = keep(k, p, n);
			return d ? d : empty;
		}
		p = *e ? e + 1 : e;
	}
	int saved = errno;
	Dl_info info;
	const char *d = 0;
	if (dladdr((void *)find_self, &info) && info.dli_fname && il_init_len(info.dli_fname) < PATH_CAP)
		d = keep(k, info.dli_fname, il_init_len(info.dli_fname));
	errno = saved;
	return d ? d : empty;
}

/* Runs as a constructor, or earlier from the first hook: another library's
 * constructor (libselinux's, in cp) can open files before ours has run. */
void il_init_once(void)
{
	if (__atomic_load_n(&inited, __ATOMIC_ACQUIRE))
		return;
	/* errno: only dladdr may change it (find_self keeps it). Not saved
	 * here, which would resolve __errno_location in every process. */
	/* One pass over the environment for the four names (getenv is a
	 * pass per name); the first of a name counts, as with getenv. */
	const char *lp = 0, *sess = 0, *snap = 0, *prof = 0;
	for (char **e = environ; e && *e; e++) {
		const char *v = *e;
		if (v[0] == 'I' && il_init_prefix(v, k_interlock)) {
			if (!sess && il_init_prefix(v + 10, k_session))
				sess = v;
			else if (!snap && il_init_prefix(v + 10, k_snapshot))
				snap = v;
			else if (!prof && il_init_prefix(v + 10, k_profile))
				prof = v;
		} else if (!lp && v[0] == 'L' && il_init_prefix(v, k_ld_preload)) {
			lp = v + 11;
		}
	}
	struct kept k = { 0, 0 };
	if (sess)
		il_sess.session = keep_var(&k, sess, 18, ID_CAP, &il_sess.session_var);
	if (snap)
		il_sess.snapshot = keep_var(&k, snap, 19, PATH_CAP, &il_sess.snapshot_var);
	if (prof)
		il_sess.profile = keep_var(&k, prof, 18, ID_CAP, &il_sess.profile_var);
	il_sess.lib = find_self(&k, lp);
	/* Keep the library in children whenever it was preloaded through the
	 * environment (a session, or an image-wide ENV LD_PRELOAD). */
	il_sess.active = il_sess.session[0] || (lp && il_sess.lib[0] && *lp);
	il_sess.shell = il_init_prefix(il_sess.session, k_shell);
	__atomic_store_n(&inited, 1, __ATOMIC_RELEASE);
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
