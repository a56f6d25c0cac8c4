/* What git has of a file in a work tree, from the repository's index (v2,
 * v3, v4; SHA-1 and SHA-256 repositories) and the file itself: tracked and
 * as git has it (a delete loses nothing), tracked and changed (uncommitted
 * work), untracked (new work, unless git ignores it: gitignore.c).
 * Heap-free; raw system calls (the preload calls it inside hooks). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine_int.h"

static long sys_open_ro(const char *path)
{
	return syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
}

/* The index file of the work tree at root[0..n): ROOT/.git/index, or the
 * gitdir a .git file points to (linked worktrees, submodules). */
int il_git_index_path(const char *root, size_t n, char *out, size_t cap)
{
	char gitp[4096];
	if (n + 6 > sizeof gitp)
		return -1;
	il_memcpy(gitp, root, n);
	size_t o = n == 1 ? 0 : n;
	il_memcpy(gitp + o, "/.git", 6);
	struct stat st;
	if (fstatat(AT_FDCWD, gitp, &st, 0) < 0)
		return -1;
	const char *gd = gitp;
	char link[4096];
	if (!S_ISDIR(st.st_mode)) {
		long fd = sys_open_ro(gitp);
		if (fd < 0)
			return -1;
		long k = syscall(SYS_read, (int)fd, link, sizeof link - 1);
		syscall(SYS_close, (int)fd);
		if (k < 8 || !il_strneq(link, "gitdir:", 7))
			return -1;
		link[k] = 0;
		char *s = link + 7;
		while (*s == ' ' || *s == '\t')
			s++;
		char *e = s;
		while (*e && *e != '\n' && *e != '\r')
			e++;
		*e = 0;
		if (s[0] != '/') {
			/* relative to the directory holding the .git file */
			size_t sl = il_strlen(s);
			if (o + 1 + sl + 1 > sizeof gitp)
				return -1;
			gitp[o] = '/';
			il_memcpy(gitp + o + 1, s, sl + 1);
			gd = gitp;
		} else {
			gd = s;
		}
	}
	size_t gl = il_strlen(gd);
	if (gl + 7 > cap)
		return -1;
	il_memcpy(out, gd, gl);
	il_memcpy(out + gl, "/index", 7);
	return 0;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One parsed entry: where its fixed part starts, its name (in the index
 * mapping, or for v4's prefix-compressed names in a decoded copy). */
struct ent {
	uint32_t entry, name, nl;
};

/* Walks the entries (v2, v3, v4) with hash length hl. With a table,
 * records each (names of v4 into names, which has room for them); without,
 * only counts them and the bytes v4 names need. Returns the number of
 * entries, -1 if the layout does not parse with this hl. */
static long walk_index(const unsigned char *m, size_t size, int hl, struct ent *tab, char *names, size_t *namebytes)
{
	uint32_t ver = be32(m + 4), n = be32(m + 8);
	size_t off = 12, fixed = 40 + (size_t)hl + 2, nb = 0;
	char prev[4096];
	size_t prevlen = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (off + fixed > size)
			return -1;
		unsigned flags = (unsigned)m[off + 40 + hl] << 8 | m[off + 40 + hl + 1];
		size_t p = off + fixed, entry = off;
		if (flags & 0x4000) {
			if (ver < 3)
				return -1;
			p += 2;
		}
		if (ver == 4) {
			/* prefix-compressed: strip N bytes of the previous name,
			 * append the NUL-terminated rest */
			unsigned char c;
			if (p >= size)
				return -1;
			c = m[p++];
			size_t strip = c & 127;
			while (c & 128) {
				if (p >= size || strip > (1u << 20))
					return -1;
				c = m[p++];
				strip = ((strip + 1) << 7) | (c & 127);
			}
			if (strip > prevlen)
				return -1;
			size_t keep = prevlen - strip, q = p;
			while (q < size && m[q])
				q++;
			if (q >= size || keep + (q - p) >= sizeof prev)
				return -1;
			il_memcpy(prev + keep, m + p, q - p);
			prevlen = keep + (q - p);
			if (tab) {
				il_memcpy(names + nb, prev, prevlen);
				tab[i] = (struct ent){ (uint32_t)entry, (uint32_t)nb, (uint32_t)prevlen };
			}
			nb += prevlen;
			off = q + 1;
		} else {
			size_t q = p;
			while (q < size && m[q])
				q++;
			if (q >= size)
				return -1;
			size_t nl = q - p;
			if ((flags & 0xfff) != 0xfff && (flags & 0xfff) != nl)
				return -1;
			if (tab)
				tab[i] = (struct ent){ (uint32_t)entry, (uint32_t)p, (uint32_t)nl };
			off = off + ((p - off + nl + 8) & ~(size_t)7);
		}
	}
	if (namebytes)
		*namebytes = nb;
	return (long)n;
}

/* A parsed index: the file mapped, its entries in name order (git keeps
 * them sorted by name bytes), so a lookup is a binary search. */
struct parsed {
	const unsigned char *m;
	size_t size;
	int hl, v4;
	long n;
	struct ent *tab;
	const char *names; /* v4: decoded names; else the mapping */
	void *extra;       /* the table's own mapping */
	size_t extra_size;
	long long mtime_ns;
};

static const char *ent_name(const struct parsed *x, long i)
{
	return (x->v4 ? x->names : (const char *)x->m) + x->tab[i].name;
}

/* Compares entry i's name with key[0..kl) as git orders names. */
static int name_cmp(const struct parsed *x, long i, const char *key, size_t kl)
{
	size_t nl = x->tab[i].nl, k = nl < kl ? nl : kl;
	int c = memcmp(ent_name(x, i), key, k);
	return c ? c : nl < kl ? -1 : nl > kl ? 1 : 0;
}

/* The first entry whose name is not below key[0..kl). */
static long lower_bound(const struct parsed *x, const char *key, size_t kl)
{
	long lo = 0, hi = x->n;
	while (lo < hi) {
		long mid = lo + (hi - lo) / 2;
		if (name_cmp(x, mid, key, kl) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void fill_entry(const struct parsed *x, long i, struct il_git_entry *e)
{
	const unsigned char *m = x->m;
	uint32_t at = x->tab[i].entry;
	unsigned flags = (unsigned)m[at + 40 + x->hl] << 8 | m[at + 40 + x->hl + 1];
	/* a merge in progress has stages 1-3 for one name: the file is then
	 * someone's work, not what git has */
	e->stage = (flags >> 12) & 3;
	e->ctime_s = be32(m + at), e->ctime_ns = be32(m + at + 4), e->mtime_s = be32(m + at + 8);
	e->mtime_ns = be32(m + at + 12), e->ino = be32(m + at + 20);
	e->mode = be32(m + at + 24), e->size = be32(m + at + 36);
	il_memcpy(e->id, m + at + 40, (size_t)x->hl);
	e->idlen = x->hl;
}

/* 2: rel is an entry (its stat data and id in *e); 1: a directory holding
 * entries; 0: neither. */
static int find_entry(const struct parsed *x, const char *rel, struct il_git_entry *e)
{
	size_t rl = il_strlen(rel);
	long i = lower_bound(x, rel, rl);
	if (i < x->n && name_cmp(x, i, rel, rl) == 0) {
		fill_entry(x, i, e);
		return 2;
	}
	/* below rel/: entries under the directory sort after "rel/" and
	 * before "rel0" ('/' + 1), not necessarily right after "rel" */
	char dir[4097];
	if (rl + 1 >= sizeof dir)
		return 0;
	il_memcpy(dir, rel, rl);
	dir[rl] = '/';
	i = lower_bound(x, dir, rl + 1);
	return i < x->n && x->tab[i].nl > rl + 1 && !memcmp(ent_name(x, i), dir, rl + 1);
}

static void parsed_free(struct parsed *x)
{
	if (x->m)
		munmap((void *)x->m, x->size);
	if (x->extra)
		munmap(x->extra, x->extra_size);
	*x = (struct parsed){ 0 };
}

/* Parses the mapped index m (SHA-1, else SHA-256 layout) into x, which
 * then owns m. -1 (m unmapped) if neither parses or memory is short. */
static int parse(struct parsed *x, const unsigned char *m, size_t size, long long mtime_ns)
{
	*x = (struct parsed){ m, size, 20, be32(m + 4) == 4, 0, 0, 0, 0, 0, mtime_ns };
	size_t nb = 0;
	long n = walk_index(m, size, 20, 0, 0, &nb);
	if (n < 0) {
		x->hl = 32;
		n = walk_index(m, size, 32, 0, 0, &nb);
	}
	if (n < 0 || (unsigned long)n > (64ul << 20)) {
		parsed_free(x);
		return -1;
	}
	x->n = n;
	x->extra_size = (size_t)n * sizeof(struct ent) + nb + 1;
	x->extra = mmap(0, x->extra_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x->extra == MAP_FAILED) {
		x->extra = 0;
		parsed_free(x);
		return -1;
	}
	x->tab = x->extra;
	char *names = (char *)x->extra + (size_t)n * sizeof(struct ent);
	x->names = names;
	if (walk_index(m, size, x->hl, x->tab, names, 0) != n) {
		parsed_free(x);
		return -1;
	}
	return 0;
}

/* The last index parsed, kept for the next delete in the same process (a
 * `rm -rf` of a tree asks once per file): valid while the index file is
 * the same (device, inode, size, mtime, ctime). One thread uses it at a
 * time; another meanwhile parses its own copy. */
static struct {
	int busy;
	char path[4096];
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim, ctim;
	struct parsed x;
} cache;

static int same_file(const struct stat *st)
{
	return cache.x.m && cache.dev == st->st_dev && cache.ino == st->st_ino && cache.size == st->st_size &&
	       cache.mtim.tv_sec == st->st_mtim.tv_sec && cache.mtim.tv_nsec == st->st_mtim.tv_nsec &&
	       cache.ctim.tv_sec == st->st_ctim.tv_sec && cache.ctim.tv_nsec == st->st_ctim.tv_nsec;
}

/* Calls fn(x, ctx) with the parsed index of the work tree at root[0..n),
 * and returns what it returns; 0 without calling it when there is no
 * index (nothing tracked), -1 when it cannot be read. */
static int with_index(const char *root, size_t n, int (*fn)(const struct parsed *x, void *ctx), void *ctx)
{
	char ip[4096];
	if (il_git_index_path(root, n, ip, sizeof ip) < 0)
		return 0; /* no .git we can follow: nothing tracked */
	long fd = sys_open_ro(ip);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1; /* no index yet: nothing tracked */
	struct stat st;
	int ok = fstat((int)fd, &st) == 0;
	if (!ok || st.st_size < 12) {
		syscall(SYS_close, (int)fd);
		return ok && st.st_size == 0 ? 0 : -1; /* an empty index tracks nothing */
	}
	int mine = !__atomic_exchange_n(&cache.busy, 1, __ATOMIC_ACQUIRE);
	if (mine && il_streq(cache.path, ip) && same_file(&st)) {
		syscall(SYS_close, (int)fd);
		int r = fn(&cache.x, ctx);
		__atomic_store_n(&cache.busy, 0, __ATOMIC_RELEASE);
		return r;
	}
	size_t size = (size_t)st.st_size;
	const unsigned char *m = mmap(0, size, PROT_READ, MAP_PRIVATE, (int)fd, 0);
	syscall(SYS_close, (int)fd);
	struct parsed x;
	long long mt = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	int r = -1;
	if (m != MAP_FAILED && !(il_strneq((const char *)m, "DIRC", 4) && be32(m + 4) >= 2 && be32(m + 4) <= 4)) {
		munmap((void *)m, size);
		m = MAP_FAILED;
	}
	if (m != MAP_FAILED && parse(&x, m, size, mt) == 0) { /* parse owns m, even when it fails */
		r = fn(&x, ctx);
		if (mine && il_strlen(ip) < sizeof cache.path) {
			parsed_free(&cache.x);
			cache.x = x;
			il_memcpy(cache.path, ip, il_strlen(ip) + 1);
			cache.dev = st.st_dev, cache.ino = st.st_ino, cache.size = st.st_size;
			cache.mtim = st.st_mtim, cache.ctim = st.st_ctim;
		} else {
			parsed_free(&x);
		}
	}
	if (mine)
		__atomic_store_n(&cache.busy, 0, __ATOMIC_RELEASE);
	return r;
}

struct find_ctx {
	const char *rel;
	struct il_git_entry *e;
	long long *index_mtime;
};

static int find_fn(const struct parsed *x, void *ctx)
{
	struct find_ctx *c = ctx;
	*c->index_mtime = x->mtime_ns;
	return find_entry(x, c->rel, c->e);
}

/* 2 entry, 1 directory of entries, 0 untracked, -1 unreadable. */
static int lookup(const char *root, size_t n, const char *rel, struct il_git_entry *e, long long *index_mtime)
{
	struct find_ctx c = { rel, e, index_mtime };
	return with_index(root, n, find_fn, &c);
}

/* Does git track root-relative rel (or files under it)? Unreadable or
 * unparsable index: 1 (fail closed, the path is inside a work tree). */
int il_git_tracked(const char *root, size_t n, const char *rel)
{
	struct il_git_entry e;
	long long mt;
	int r = lookup(root, n, rel, &e, &mt);
	return r != 0;
}

/* Is data[0..size) the content of the blob e names? */
static int blob_is(const struct il_git_entry *e, const void *data, size_t size)
{
	struct il_sha s;
	il_sha_init(&s, e->idlen == 32);
	char head[32] = "blob ";
	size_t h = 5;
	char d[24];
	int k = 0;
	size_t v = size;
	do
		d[k++] = (char)('0' + v % 10);
	while ((v /= 10) && k < 23);
	while (k)
		head[h++] = d[--k];
	head[h++] = 0;
	il_sha_update(&s, head, h);
	if (size)
		il_sha_update(&s, data, size);
	unsigned char id[32];
	size_t idl = il_sha_final(&s, id);
	return idl == (size_t)e->idlen && !memcmp(id, e->id, idl);
}

/* Does the file at abs have the content of the blob id? A file too large
 * to read here is taken to differ. */
static int same_blob(const char *abs, const struct il_git_entry *e, size_t size)
{
	if (size > (64u << 20))
		return 0;
	long fd = sys_open_ro(abs);
	if (fd < 0)
		return 0;
	const unsigned char *m = size ? mmap(0, size, PROT_READ, MAP_PRIVATE, (int)fd, 0) : 0;
	syscall(SYS_close, (int)fd);
	if (size && m == MAP_FAILED)
		return 0;
	int same = blob_is(e, m, size);
	if (size)
		munmap((void *)m, size);
	return same;
}

/* Is the tracked file at abs as the index has it (git's own test: the
 * stat data it recorded, and a file written before the index, else
 * "racily clean": the content)? IL_GIT_CLEAN or IL_GIT_MODIFIED. */
static int entry_state(const struct il_git_entry *e, long long index_mtime, const char *abs)
{
	struct stat st;
	if (fstatat(AT_FDCWD, abs, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return IL_GIT_CLEAN; /* not there: nothing to lose */
	if (e->stage || S_ISDIR(st.st_mode) || (e->mode & 0170000) == 0160000)
		return IL_GIT_MODIFIED; /* a conflict, a submodule: someone's work */
	long long mt = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	int stat_same = (uint32_t)st.st_size == e->size && (uint32_t)st.st_mtim.tv_sec == e->mtime_s &&
			(uint32_t)st.st_mtim.tv_nsec == e->mtime_ns && (uint32_t)st.st_ino == e->ino;
	if (stat_same && mt < index_mtime)
		return IL_GIT_CLEAN;
	if ((uint32_t)st.st_size != e->size)
		return IL_GIT_MODIFIED;
	if (S_ISLNK(st.st_mode) && (e->mode & 0170000) == 0120000) {
		char target[4096];
		ssize_t k = readlink(abs, target, sizeof target);
		return k >= 0 && (off_t)k == st.st_size && blob_is(e, target, (size_t)k) ? IL_GIT_CLEAN
											  : IL_GIT_MODIFIED;
	}
	if (!S_ISREG(st.st_mode) || (e->mode & 0170000) != 0100000)
		return IL_GIT_MODIFIED;
	return same_blob(abs, e, (size_t)st.st_size) ? IL_GIT_CLEAN : IL_GIT_MODIFIED;
}

int il_git_file_state(const char *root, size_t n, const char *rel, const char *abs)
{
	struct il_git_entry e;
	long long index_mtime = 0;
	int r = lookup(root, n, rel, &e, &index_mtime);
	if (r < 0)
		return IL_GIT_MODIFIED; /* cannot tell: as if it held work */
	if (r == 1)
		return IL_GIT_TREE;
	if (r == 0) {
		struct stat st;
		if (fstatat(AT_FDCWD, abs, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return IL_GIT_CLEAN; /* not there: nothing to lose */
		return il_git_ignored(root, n, rel, S_ISDIR(st.st_mode)) ? IL_GIT_IGNORED : IL_GIT_UNTRACKED;
	}
	return entry_state(&e, index_mtime, abs);
}

struct stat_clean_ctx {
	const char *rel, *abs;
	const struct il_stat_data *st;
};

/* Racily clean entries are read only up to this size: the check runs in an
 * open hook, before a file's first change in the session. */
#define RACY_READ_MAX (1u << 20)

static int stat_clean_fn(const struct parsed *x, void *ctx)
{
	const struct stat_clean_ctx *c = ctx;
	const struct il_stat_data *st = c->st;
	struct il_git_entry e;
	if (find_entry(x, c->rel, &e) != 2)
		return 0;
	long long mt = (long long)st->mtime_s * 1000000000LL + st->mtime_ns;
	/* the index keeps the low 32 bits, as git compares them; the ctime
	 * too (git's core.trustctime): a file edited and given its old mtime
	 * back (touch -r) still has a new ctime */
	if (e.stage || (e.mode & 0170000) != 0100000 || e.size != (uint32_t)st->size ||
	    e.mtime_s != (uint32_t)st->mtime_s || e.mtime_ns != st->mtime_ns || e.ino != (uint32_t)st->ino ||
	    e.ctime_s != (uint32_t)st->ctime_s || e.ctime_ns != st->ctime_ns)
		return 0;
	if (mt < x->mtime_ns)
		return 1;
	/* Racily clean: written in the same clock tick as the index, as git
	 * leaves every file it checks out (file systems' mtimes are coarse),
	 * so the stat data cannot tell an edit made in that tick. git then
	 * compares the content; so does this, for a small file. */
	return st->size <= RACY_READ_MAX && same_blob(c->abs, &e, (size_t)st->size);
}

int il_git_stat_clean(const char *root, size_t n, const char *rel, const char *abs, const struct il_stat_data *st)
{
	struct stat_clean_ctx c = { rel, abs, st };
	return with_index(root, n, stat_clean_fn, &c) == 1;
}

struct changed_ctx {
	const struct il_snap_view *v;
	const char *root;
	size_t n;
	const char *const *rels;
	int nrels;
	struct il_git_changes *out;
};

static void note_changed(struct il_git_changes *out, const char *name, size_t nl)
{
	if (out->count < IL_GIT_CHANGES_NAMED && nl < sizeof out->names[0]) {
		il_memcpy(out->names[out->count], name, nl);
		out->names[out->count][nl] = 0;
	}
	out->count++;
}

/* Entries i in [lo, hi): each one whose file differs is noted. */
static int changed_range(const struct parsed *x, struct changed_ctx *c, long lo, long hi)
{
	char abs[8192];
	size_t o = c->n == 1 ? 0 : c->n;
	if (o + 2 > sizeof abs)
		return -1;
	il_memcpy(abs, c->root, c->n);
	abs[o] = '/';
	for (long i = lo; i < hi; i++) {
		size_t nl = x->tab[i].nl;
		if (o + 1 + nl + 1 > sizeof abs)
			return -1;
		il_memcpy(abs + o + 1, ent_name(x, i), nl);
		abs[o + 1 + nl] = 0;
		struct il_git_entry e;
		fill_entry(x, i, &e);
		/* changes the session made to a file that was as git has it
		 * lose nothing of the user's (adopted.c, own edits) */
		if (entry_state(&e, x->mtime_ns, abs) == IL_GIT_MODIFIED && !il_own_change(c->v, abs))
			note_changed(c->out, abs + o + 1, nl);
		/* a conflicted file has up to three stages: one note */
		while (i + 1 < hi && x->tab[i + 1].nl == nl && !memcmp(ent_name(x, i + 1), ent_name(x, i), nl))
			i++;
	}
	return 0;
}

static int changed_fn(const struct parsed *x, void *ctx)
{
	struct changed_ctx *c = ctx;
	if (!c->nrels)
		return changed_range(x, c, 0, x->n);
	for (int k = 0; k < c->nrels; k++) {
		const char *rel = c->rels[k];
		size_t rl = il_strlen(rel);
		if (!rl) /* the whole tree */
			return changed_range(x, c, 0, x->n);
		long i = lower_bound(x, rel, rl);
		if (i < x->n && name_cmp(x, i, rel, rl) == 0) {
			long j = i + 1;
			while (j < x->n && name_cmp(x, j, rel, rl) == 0)
				j++;
			if (changed_range(x, c, i, j) < 0)
				return -1;
		}
		char dir[4097];
		if (rl + 1 >= sizeof dir)
			return -1;
		il_memcpy(dir, rel, rl);
		dir[rl] = '/';
		long lo = lower_bound(x, dir, rl + 1), hi = lo;
		while (hi < x->n && x->tab[hi].nl > rl + 1 && !memcmp(ent_name(x, hi), dir, rl + 1))
			hi++;
		if (changed_range(x, c, lo, hi) < 0)
			return -1;
	}
	return 0;
}

int il_git_changed(const struct il_snap_view *v, const char *root, size_t n, const char *const *rels, int nrels,
		   struct il_git_changes *out)
{
	*out = (struct il_git_changes){ 0 };
	struct changed_ctx c = { v, root, n, rels, nrels, out };
	return with_index(root, n, changed_fn, &c);
}
