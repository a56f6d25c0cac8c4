/* Could an open rule care about this path? Inline, because every open of
 * the guarded tree asks it (the preload's hot path); see decide_open.c for
 * the closer look. */
#ifndef IL_OPEN_QUICK_H
#define IL_OPEN_QUICK_H

#include <fcntl.h>
#include <string.h>

#include "il.h"
#include "snapshot.h"

/* The access an open asks for. O_PATH and read-only directory opens are
 * none: a handle, or listing ~/.ssh, is not reading a key. */
static inline unsigned il_open_access(int flags)
{
	if (flags & O_PATH)
		return 0;
	int acc = flags & O_ACCMODE;
	if ((flags & O_DIRECTORY) && acc == O_RDONLY)
		return 0;
	unsigned a = acc == O_RDONLY ? IL_A_READ : acc == O_WRONLY ? IL_A_WRITE : IL_A_READ | IL_A_WRITE;
	if (flags & O_TRUNC)
		a |= IL_A_TRUNCATE | IL_A_WRITE;
	if (flags & O_CREAT)
		a |= IL_A_CREATE | IL_A_WRITE;
	return a;
}

/* Does the path go through one of /proc's links (/proc/PID/fd/N, cwd,
 * root, map_files, the same under task/TID; /dev/fd/N and /dev/std*, which
 * lead to /proc/self/fd), whose names say nothing of the file they lead
 * to? A key opened with O_PATH is read back through /proc/self/fd/3. */
static inline int il_path_via_link(const char *p)
{
	if (!strncmp(p, "/dev/", 5))
		return !strncmp(p + 5, "fd/", 3) || !strncmp(p + 5, "std", 3);
	if (strncmp(p, "/proc/", 6))
		return 0;
	const char *s = strchr(p + 6, '/');
	if (s && !strncmp(s + 1, "task/", 5))
		s = strchr(s + 6, '/');
	if (!s)
		return 0;
	s++;
	return !strncmp(s, "fd/", 3) || !strncmp(s, "cwd/", 4) || !strncmp(s, "root/", 5) ||
	       !strncmp(s, "map_files/", 10);
}

int il_open_closer(const struct il_snap_view *v, const char *b, const char *end, unsigned access) IL_HIDDEN;
/* Does a rule name the file b..end literally or by its extension (*.db)
 * for this access? The two index lookups, each behind its byte filter. */
int il_open_named(const struct il_snap_view *v, const char *b, const char *end, unsigned access) IL_HIDDEN;

/* 0 when no rule can match a file of this name with this access; 1 when one
 * does. A name can only match a rule that agrees with its first or last
 * byte (a literal with both): five table bytes reject nearly every open
 * without hashing. */
static inline int il_open_candidate(const struct il_snap_view *v, const char *path, unsigned access)
{
	const struct il_snap_hdr *h = v->hdr;
	if (!(h->open_access & access))
		return 0;
	const char *end = path + __builtin_strlen(path);
	while (end > path + 1 && end[-1] == '/')
		end--;
	const char *slash = memrchr(path, '/', (size_t)(end - path));
	const char *b = slash ? slash + 1 : path;
	if (b == end)
		return 0;
	const struct il_glob_filter *f = (const void *)(v->base + h->oglob_filter);
	unsigned char c0 = (unsigned char)b[0], c1 = (unsigned char)end[-1];
	if (!(((f->lit_first[c0] & f->lit_last[c1]) | f->ext_last[c1] | f->first[c0] | f->last[c1] | f->any) &
	      access))
		return 0;
	return il_open_closer(v, b, end, access);
}

#endif
