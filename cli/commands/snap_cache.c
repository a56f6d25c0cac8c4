/* The compiled rules, kept between sessions.
 *
 * Compiling 250+ rules (reading the INI files, compiling every PCRE2
 * pattern, building the indexes) is most of what `interlock run`, `check`
 * and the agent hooks cost at start. The rules part of the snapshot is the
 * same for every session with the same rule files, profile and interlock
 * build, so it is kept in the runtime directory's interlock/cache (where
 * the sessions are; il_cache_dir) under a key computed from exactly those:
 * the contents of every rule file in merge order with its path, the
 * profile, and the identity of this build. A changed rule file gives a new
 * key, and the entry is rebuilt. The seccomp filter is kept the same way
 * (cli/seccomp/filter.c).
 *
 * An entry is used only if the directory is the user's own and no one else
 * can write to it, the file is a regular file of the user's that no one
 * else can write, its header names this key, and the checksum of its
 * contents matches (for the rules part, mapped rather than read: or the
 * file is as stat(2) saw it when its checksum last matched, map_body);
 * then the snapshot reader checks its structure. An
 * entry that fails is said on stderr, removed and rebuilt. What keeps a
 * guarded agent from rewriting an entry (and the checksum with it) for
 * the next session is that the directory is one of the session's
 * protected paths (il_protected_paths): no guarded process may change it.
 * The checksum catches what is not an agent under interlock: torn writes,
 * a disk full, another tool, a hand.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fdio.h"
#include "snapshot.h"

#define CACHE_MAGIC "ILCACHE\x01"
#define CACHE_KEEP 24 /* entries kept: a few rule sets and profiles in turn (each with its stat alias and seen record), two filters */

/* A 128-bit hash of a byte stream, fast enough to check a 250 KB entry at
 * each start (about 30 µs): four 64-bit lanes, each folding in one word of
 * every 32-byte block with a 64x64->128-bit multiply, independent of one
 * another so that the multiplies overlap. For noticing change, not for
 * resisting someone who wants a collision (see the top of the file for
 * what guards the entries). */
#define BLOCK 32

struct hash128 {
	uint64_t v[4], n;
	unsigned char tail[BLOCK];
	size_t ntail;
};

static const uint64_t lane_k[4] = { 0x9e3779b97f4a7c15ull, 0xc2b2ae3d27d4eb4full, 0x165667b19e3779f9ull,
				    0x27d4eb2f165667c5ull };

static uint64_t fold(uint64_t x, uint64_t y)
{
	__uint128_t p = (__uint128_t)x * y;
	return (uint64_t)p ^ (uint64_t)(p >> 64);
}

static uint64_t word(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v; /* byte order only has to agree with itself */
}

static void hash_block(uint64_t v[4], const unsigned char *p)
{
	for (int i = 0; i < 4; i++)
		v[i] = fold(v[i] ^ word(p + 8 * i), lane_k[i]) + (v[i] << 23 | v[i] >> 41);
}

static void hash_init(struct hash128 *h)
{
	*h = (struct hash128){ .v = { 0x243f6a8885a308d3ull, 0x13198a2e03707344ull, 0xa4093822299f31d0ull,
				      0x082efa98ec4e6c89ull } };
}

static void hash_add(struct hash128 *h, const void *data, size_t len)
{
	const unsigned char *p = data;
	h->n += len;
	if (h->ntail) {
		size_t k = BLOCK - h->ntail < len ? BLOCK - h->ntail : len;
		memcpy(h->tail + h->ntail, p, k);
		h->ntail += k, p += k, len -= k;
		if (h->ntail < BLOCK)
			return;
		hash_block(h->v, h->tail);
		h->ntail = 0;
	}
	/* the lanes in locals: p may alias *h as far as the compiler knows,
	 * which would store and reload them at every block (2.5x slower) */
	uint64_t v[4] = { h->v[0], h->v[1], h->v[2], h->v[3] };
	for (; len >= BLOCK; p += BLOCK, len -= BLOCK)
		hash_block(v, p);
	memcpy(h->v, v, sizeof v);
	memcpy(h->tail, p, len);
	h->ntail = len;
}

/* A field of a key: its length first, so "ab"+"c" and "a"+"bc" differ. */
static void hash_field(struct hash128 *h, const void *data, size_t len)
{
	uint64_t n = len;
	hash_add(h, &n, sizeof n);
	hash_add(h, data, len);
}

static void hash_end(struct hash128 *h, uint64_t out[2])
{
	memset(h->tail + h->ntail, 0, BLOCK - h->ntail);
	hash_block(h->v, h->tail);
	/* every lane reaches both halves of the result */
	uint64_t a = fold(h->v[0] ^ h->n, lane_k[2]) ^ fold(h->v[1], lane_k[3]);
	uint64_t b = fold(h->v[2] ^ a, lane_k[0]) ^ fold(h->v[3] ^ h->n, lane_k[1]);
	out[0] = a ^ fold(b, 0xff51afd7ed558ccdull);
	out[1] = b ^ fold(out[0], 0xc4ceb9fe1a85ec53ull);
}

struct cache_hdr {
	char magic[8];
	uint32_t snap_version;
	uint32_t pad;
	uint64_t key[2];
	uint64_t len;
	uint64_t sum[2]; /* hash of the len bytes after this header */
};

/* In the runtime directory, next to the sessions, rather than in
 * ~/.cache: it must be a path no guarded process may change, and one an
 * agent clearing caches (`rm -rf ~/.cache`) never meets. It is gone after
 * a reboot or a logout; the first session after compiles again. */
char *il_cache_dir(void)
{
	char base[4096], *dir;
	il_runtime_base(base, sizeof base);
	return asprintf(&dir, "%s/cache", base) < 0 ? 0 : dir;
}

/* What makes a different build: the snapshot layout and PCRE2's
 * serialization, and this very executable (a rebuilt interlock whose
 * layout changed without a version bump must not read old entries). */
static int hash_build(struct hash128 *h)
{
	struct stat st;
	if (stat("/proc/self/exe", &st) < 0)
		return -1;
	const uint64_t id[] = { IL_SNAP_VERSION, PCRE2_MAJOR, PCRE2_MINOR, sizeof(struct il_snap_hdr),
				(uint64_t)st.st_dev, (uint64_t)st.st_ino, (uint64_t)st.st_size,
				(uint64_t)st.st_mtim.tv_sec, (uint64_t)st.st_mtim.tv_nsec };
	hash_field(h, IL_VERSION, sizeof IL_VERSION);
	hash_field(h, id, sizeof id);
	return 0;
}

static int hash_file(struct hash128 *h, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	hash_field(h, path, strlen(path) + 1);
	uint64_t size = 0;
	char buf[65536];
	ssize_t k;
	struct hash128 body;
	hash_init(&body);
	while ((k = read(fd, buf, sizeof buf)) > 0) {
		hash_add(&body, buf, (size_t)k);
		size += (uint64_t)k;
	}
	close(fd);
	if (k < 0)
		return -1;
	uint64_t sum[2];
	hash_end(&body, sum);
	hash_field(h, &size, sizeof size);
	hash_field(h, sum, sizeof sum);
	return 0;
}

int il_cache_build_key(const char *what, const void *data, size_t len, struct il_cache_key *key)
{
	struct hash128 h;
	hash_init(&h);
	if (hash_build(&h) < 0)
		return -1;
	hash_field(&h, what, strlen(what) + 1);
	hash_field(&h, data, len);
	hash_end(&h, key->h);
	return 0;
}

static int private_dir(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 022)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* The directory, if it is fit to hold entries: it and the runtime base it
 * is in are the user's own and written by no one else (who could put an
 * entry in, or swap the directory for another). With create, both are
 * made first. 0, or -1. */
static int cache_dir_ok(const char *dir, int create)
{
	char *base = strdup(dir), *slash = base ? strrchr(base, '/') : 0;
	int ok = slash && slash != base;
	if (ok) {
		*slash = 0;
		if (create)
			ok = il_make_private_dir(base) == 0 && (mkdir(dir, 0700) == 0 || errno == EEXIST);
		ok = ok && private_dir(base) == 0 && private_dir(dir) == 0;
	}
	free(base);
	return ok ? 0 : -1;
}

/* KIND-KEY.snap: the name ends in .snap so that no guarded process may
 * write it (il_own_file_base) */
static char *entry_path(const char *dir, const char *kind, const struct il_cache_key *key)
{
	char *p;
	if (asprintf(&p, "%s/%s-%016llx%016llx.snap", dir, kind, (unsigned long long)key->h[0],
		     (unsigned long long)key->h[1]) < 0)
		return 0;
	return p;
}

/* Opens an entry and checks all but its contents: the fd with its header
 * read; -1 if there is none, -2 (why in *why) if there is one that fails. */
static int open_entry(const char *path, const struct il_cache_key *key, struct cache_hdr *h, struct stat *stp,
		      const char **why)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -1 : (*why = "cannot be opened", -2);
	if (fstat(fd, stp) < 0 || !S_ISREG(stp->st_mode) || stp->st_uid != getuid() || (stp->st_mode & 022))
		*why = "is not a private file of the user's";
	else if (read(fd, h, sizeof *h) != (ssize_t)sizeof *h || memcmp(h->magic, CACHE_MAGIC, 8) ||
		 h->snap_version != IL_SNAP_VERSION || (uint64_t)stp->st_size != sizeof *h + h->len || h->len > (1u << 30))
		*why = "has a bad header";
	else if (h->key[0] != key->h[0] || h->key[1] != key->h[1])
		*why = "is filed under another key";
	else
		return fd;
	close(fd);
	return -2;
}

/* The contents against the header's checksum (unless seen is set: the
 * file is as it was when they last matched), then valid(). */
static int body_ok(const struct cache_hdr *h, const void *body, int (*valid)(const void *, size_t), int seen,
		   const char **why)
{
	struct hash128 hs;
	uint64_t sum[2] = { h->sum[0], h->sum[1] };
	if (!seen) {
		hash_init(&hs);
		hash_add(&hs, body, h->len);
		hash_end(&hs, sum);
	}
	if (sum[0] != h->sum[0] || sum[1] != h->sum[1])
		*why = "does not match its checksum";
	else if (valid && !valid(body, h->len))
		*why = "does not hold what its name says";
	else
		return 0;
	return -2;
}

struct wanted {
	int (*valid)(const void *, size_t);
	size_t room; /* mapped: writable zero bytes after the contents */
	int mapped;
	struct il_cache_image *img;
};

/* Reads the contents into a malloc'd block. */
static int read_body(int fd, const struct cache_hdr *h, struct wanted *w, const char **why)
{
	void *blob = malloc(h->len ? h->len : 1);
	if (!blob || read(fd, blob, h->len) != (ssize_t)h->len) {
		free(blob);
		*why = "cannot be read";
		return -2;
	}
	if (body_ok(h, blob, w->valid, 0, why) < 0) {
		free(blob);
		return -2;
	}
	*w->img = (struct il_cache_image){ .data = blob, .len = h->len };
	return 0;
}

/* Checking a 250 KB entry's checksum at every start costs as much as the
 * rest of `interlock check`: once it has matched, what fstat(2) says of the
 * file (device, inode, size, mtime, ctime) is filed as "seen" under the same
 * key, and while the file still says that, it is not checked again. A
 * write always moves ctime, which no one can set back; an entry changed
 * less than RACY_S ago is not vouched for (another write in the same clock
 * tick would leave it as it was), as for the rule files below. */
#define RACY_S 2

struct file_sig {
	uint64_t dev, ino, size, mtime_s, mtime_ns, ctime_s, ctime_ns;
};

static struct file_sig sig_of(const struct stat *st)
{
	return (struct file_sig){ (uint64_t)st->st_dev,	   (uint64_t)st->st_ino,	  (uint64_t)st->st_size,
				  (uint64_t)st->st_mtim.tv_sec, (uint64_t)st->st_mtim.tv_nsec, (uint64_t)st->st_ctim.tv_sec,
				  (uint64_t)st->st_ctim.tv_nsec };
}

static int settled(const struct stat *st)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return st->st_ctim.tv_sec < now.tv_sec - RACY_S && st->st_mtim.tv_sec < now.tv_sec - RACY_S;
}

static int one_sig(const void *data, size_t len)
{
	(void)data;
	return len == sizeof(struct file_sig);
}

static int seen_as(const char *kind, const struct il_cache_key *key, const struct stat *st)
{
	char seen_kind[32];
	snprintf(seen_kind, sizeof seen_kind, "seen-%s", kind);
	struct file_sig now = sig_of(st), *was;
	size_t n;
	if (il_cache_get(seen_kind, key, one_sig, (void **)&was, &n) < 0)
		return 0;
	int same = memcmp(was, &now, sizeof now) == 0;
	free(was);
	return same;
}

static void record_seen(const char *kind, const struct il_cache_key *key, const struct stat *st)
{
	char seen_kind[32];
	snprintf(seen_kind, sizeof seen_kind, "seen-%s", kind);
	struct file_sig sig = sig_of(st);
	if (settled(st))
		il_cache_put(seen_kind, key, &sig, sizeof sig);
}

/* Maps the file private over the start of an anonymous block that has
 * w->room more: a large entry is not copied (its pages are the page
 * cache's until written) and what is appended follows it with no move.
 * The file's last page reads as zeros past its end, as the block does. A
 * file truncated under the mapping would raise SIGBUS: the directory is
 * the user's own and out of every guarded process's reach. */
static int map_body(int fd, const struct cache_hdr *h, const struct stat *st, const char *kind,
		    const struct il_cache_key *key, struct wanted *w, const char **why)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t fsize = sizeof *h + h->len, total = (fsize + w->room + page - 1) & ~(page - 1);
	char *base = mmap(0, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED ||
	    mmap(base, fsize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED) {
		if (base != MAP_FAILED)
			munmap(base, total);
		*why = "cannot be mapped";
		return -2;
	}
	int seen = seen_as(kind, key, st);
	if (body_ok(h, base + sizeof *h, w->valid, seen, why) < 0) {
		munmap(base, total);
		return -2;
	}
	if (!seen)
		record_seen(kind, key, st);
	*w->img = (struct il_cache_image){ .data = base + sizeof *h, .len = h->len, .map = base, .maplen = total };
	return 0;
}

/* The directory entries are fetched from, found and checked once per
 * process: a session fetches four (the stat key, the rules, their seen
 * record, the filter), and each look was six system calls. NULL when there
 * is none fit to read from; one a put makes later is not looked at again
 * (what is missing is built, as it would be anyway). */
static const char *fetch_dir(void)
{
	static char *dir;
	static int looked;
	if (!looked) {
		looked = 1;
		dir = il_cache_dir();
		if (dir && cache_dir_ok(dir, 0) < 0) {
			free(dir);
			dir = 0;
		}
	}
	return dir;
}

static int fetch(const char *kind, const struct il_cache_key *key, struct wanted *w)
{
	const char *dir = fetch_dir();
	char *path = dir ? entry_path(dir, kind, key) : 0;
	const char *why = 0;
	struct cache_hdr h;
	struct stat st;
	int fd = path ? open_entry(path, key, &h, &st, &why) : -1;
	int rc = fd < 0 ? fd : w->mapped ? map_body(fd, &h, &st, kind, key, w, &why) : read_body(fd, &h, w, &why);
	if (fd >= 0)
		close(fd);
	if (rc == -2) {
		fprintf(stderr, "interlock: the cached %s %s %s; building it again\n", kind, path, why);
		unlink(path);
	}
	free(path);
	return rc == 0 ? 0 : -1;
}

int il_cache_get(const char *kind, const struct il_cache_key *key, int (*valid)(const void *, size_t), void **out,
		 size_t *len)
{
	struct il_cache_image img;
	struct wanted w = { valid, 0, 0, &img };
	if (fetch(kind, key, &w) < 0)
		return -1;
	*out = img.data;
	*len = img.len;
	return 0;
}

int il_cache_map(const char *kind, const struct il_cache_key *key, int (*valid)(const void *, size_t), size_t room,
		 struct il_cache_image *img)
{
	struct wanted w = { valid, room, 1, img };
	return fetch(kind, key, &w);
}

void il_cache_image_free(struct il_cache_image *img)
{
	if (img->map)
		munmap(img->map, img->maplen);
	else
		free(img->data);
	memset(img, 0, sizeof *img);
}

static void prune(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct ent {
		char name[64];
		struct timespec t;
	} ents[64];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t k = strlen(e->d_name);
		if (e->d_name[0] == '.' || k < 6 || strcmp(e->d_name + k - 5, ".snap") || k >= sizeof ents[0].name)
			continue;
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (n == 64)
			break;
		memcpy(ents[n].name, e->d_name, k + 1);
		ents[n++].t = st.st_mtim;
	}
	while (n > CACHE_KEEP) {
		int old = 0;
		for (int i = 1; i < n; i++)
			if (ents[i].t.tv_sec < ents[old].t.tv_sec ||
			    (ents[i].t.tv_sec == ents[old].t.tv_sec && ents[i].t.tv_nsec < ents[old].t.tv_nsec))
				old = i;
		unlinkat(dirfd(d), ents[old].name, 0);
		ents[old] = ents[--n];
	}
	closedir(d);
}

void il_cache_put(const char *kind, const struct il_cache_key *key, const void *data, size_t len)
{
	char *dir = il_cache_dir();
	if (!dir || cache_dir_ok(dir, 1) < 0) {
		free(dir);
		return; /* no cache: every session compiles, as before */
	}
	char *path = entry_path(dir, kind, key), *tmp = 0;
	struct cache_hdr h = { .snap_version = IL_SNAP_VERSION, .len = len };
	memcpy(h.magic, CACHE_MAGIC, 8);
	memcpy(h.key, key->h, sizeof h.key);
	struct hash128 hs;
	hash_init(&hs);
	hash_add(&hs, data, len);
	hash_end(&hs, h.sum);
	int fd = -1;
	if (path && asprintf(&tmp, "%s/.rules.XXXXXX", dir) >= 0 && (fd = mkostemp(tmp, O_CLOEXEC)) >= 0) {
		/* written whole under a temporary name, then renamed: a reader
		 * never sees half an entry */
		int ok = fchmod(fd, 0600) == 0 && il_write_all(fd, &h, sizeof h) == 0 && il_write_all(fd, data, len) == 0;
		if (close(fd) == 0 && ok && rename(tmp, path) == 0)
			prune(dir);
		else
			unlink(tmp);
	}
	free(tmp);
	free(path);
	free(dir);
}

/* Reading every rule file at each start costs more than the rest of the
 * key: the key of their contents is also filed under a key of what stat(2)
 * says of them (path, device, inode, size, mtime, ctime), so a start whose
 * files are as they were reads only that. A write always moves a file's
 * ctime, which no one can set back; a file changed less than RACY_S ago is
 * not vouched for (its ctime could be the same after another write in the
 * same clock tick), so its contents are read every time until it settles. */

static int stat_key(char **files, const struct hash128 *start, struct il_cache_key *key, int *racy)
{
	struct hash128 h = *start;
	*racy = 0;
	for (char **f = files; *f; f++) {
		struct stat st;
		if (stat(*f, &st) < 0)
			return -1;
		struct file_sig sig = sig_of(&st);
		hash_field(&h, *f, strlen(*f) + 1);
		hash_field(&h, &sig, sizeof sig);
		if (!settled(&st))
			*racy = 1;
	}
	hash_end(&h, key->h);
	return 0;
}

static int content_key(char **files, const struct hash128 *start, struct il_cache_key *key)
{
	struct hash128 h = *start;
	for (char **f = files; *f; f++)
		if (hash_file(&h, *f) < 0)
			return -1; /* compiling will say what is wrong with it */
	hash_end(&h, key->h);
	return 0;
}

static int one_key(const void *data, size_t len)
{
	(void)data;
	return len == sizeof(struct il_cache_key);
}

int il_snap_cache_key(char *const *dirs, const char *profile, struct il_cache_key *key)
{
	struct hash128 start;
	hash_init(&start);
	if (hash_build(&start) < 0)
		return -1;
	hash_field(&start, profile ? profile : "", profile ? strlen(profile) + 1 : 0);
	int unreadable, racy, rc = -1;
	char **files = il_rule_files(dirs, 0, &unreadable);
	struct il_cache_key by_stat;
	void *found;
	size_t n;
	if (!unreadable) {
		int vouched = stat_key(files, &start, &by_stat, &racy) == 0 && !racy;
		if (vouched && il_cache_get("stat", &by_stat, one_key, &found, &n) == 0) {
			memcpy(key, found, sizeof *key);
			free(found);
			rc = 0;
		} else if ((rc = content_key(files, &start, key)) == 0 && vouched) {
			il_cache_put("stat", &by_stat, key, sizeof *key);
		}
	}
	for (char **f = files; *f; f++)
		free(*f);
	free(files);
	return rc;
}
