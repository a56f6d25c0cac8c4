/* Does git ignore a path of a work tree (gitignore(5))? An ignored file is
 * regenerable output a delete loses nothing of (unless a database or
 * credential rule names it); an untracked one that is not ignored is new
 * work with no copy anywhere. The sources, from the weakest: the user's
 * excludes file ($XDG_CONFIG_HOME/git/ignore, else ~/.config/git/ignore;
 * core.excludesFile set elsewhere is not read), $GIT_DIR/info/exclude, then
 * every .gitignore from the work tree's root down to the path's directory;
 * the last pattern that matches decides, and a directory that is ignored
 * ignores everything below it. Heap-free: files are read into a stack
 * buffer, patterns matched in place. */
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine_int.h"

#define MAX_IGNORE_FILE 65536

/* ---------------------------------------------------------------- wildmatch */

/* A [...] class at p (after the '['); *end gets the byte after ']'. */
static int class_match(const char *p, const char *pe, char c, const char **end)
{
	int neg = p < pe && (*p == '!' || *p == '^');
	if (neg)
		p++;
	int hit = 0;
	const char *start = p;
	while (p < pe && (*p != ']' || p == start)) {
		char lo = *p == '\\' && p + 1 < pe ? *++p : *p;
		if (p + 2 < pe && p[1] == '-' && p[2] != ']') {
			char hi = p[2] == '\\' && p + 3 < pe ? p[3] : p[2];
			hit |= c >= lo && c <= hi;
			p += p[2] == '\\' ? 4 : 3;
		} else {
			hit |= c == lo;
			p++;
		}
	}
	if (p >= pe)
		return -1; /* no closing ']': not a class */
	*end = p + 1;
	return hit != neg;
}

/* The pattern p..pe (which starts at p0) against the string s..se; '/' is
 * matched only by '/' or by "**" standing as a whole component. */
static int wild(const char *p0, const char *p, const char *pe, const char *s, const char *se)
{
	while (p < pe) {
		if (p[0] == '*' && p + 1 < pe && p[1] == '*') {
			int lead = p == p0 || p[-1] == '/';
			const char *q = p + 2;
			if (lead && (q == pe || *q == '/')) {
				if (q == pe)
					return 1; /* trailing "**": everything inside */
				/* "**\/": zero or more whole directories */
				for (const char *t = s;; t++) {
					if (wild(p0, q + 1, pe, t, se))
						return 1;
					while (t < se && *t != '/')
						t++;
					if (t >= se)
						return 0;
				}
			}
			p++; /* elsewhere "**" is "*" */
		}
		if (*p == '*') {
			for (const char *t = s;; t++) {
				if (wild(p0, p + 1, pe, t, se))
					return 1;
				if (t >= se || *t == '/')
					return 0;
			}
		}
		if (s >= se)
			return 0;
		if (*p == '?') {
			if (*s == '/')
				return 0;
			p++, s++;
			continue;
		}
		if (*p == '[') {
			const char *end;
			int m = *s == '/' ? 0 : class_match(p + 1, pe, *s, &end);
			if (m >= 0) {
				if (!m)
					return 0;
				p = end, s++;
				continue;
			}
		}
		if (*p == '\\' && p + 1 < pe)
			p++;
		if (*p != *s)
			return 0;
		p++, s++;
	}
	return s == se;
}

/* ---------------------------------------------------------------- patterns */

struct pattern {
	const char *p, *pe;
	int neg, dir_only, anchored;
};

/* One line of an ignore file; 0 when it is no pattern. */
static int parse(const char *line, const char *le, struct pattern *pt)
{
	while (le > line && (le[-1] == '\r' || le[-1] == '\n'))
		le--;
	while (le > line && le[-1] == ' ' && !(le - 1 > line && le[-2] == '\\'))
		le--;
	if (line >= le || *line == '#')
		return 0;
	pt->neg = *line == '!';
	if (pt->neg)
		line++;
	else if (*line == '\\' && line + 1 < le && (line[1] == '!' || line[1] == '#'))
		line++;
	pt->dir_only = le > line && le[-1] == '/';
	if (pt->dir_only)
		le--;
	pt->anchored = 0;
	for (const char *s = line; s < le; s++)
		if (*s == '/')
			pt->anchored = 1;
	if (line < le && *line == '/')
		line++;
	pt->p = line, pt->pe = le;
	return line < le;
}

/* Does pt match sub (the path below the ignore file's directory)? */
static int pattern_hit(const struct pattern *pt, const char *sub, size_t n, int is_dir)
{
	if (pt->dir_only && !is_dir)
		return 0;
	if (pt->anchored)
		return wild(pt->p, pt->p, pt->pe, sub, sub + n);
	const char *b = sub + n;
	while (b > sub && b[-1] != '/')
		b--;
	return wild(pt->p, pt->p, pt->pe, b, sub + n);
}

/* The last verdict of the ignore file at path on sub: 1 ignored, 0
 * re-included, -1 no pattern matched. */
static int file_verdict(const char *path, const char *sub, size_t n, int is_dir)
{
	char buf[MAX_IGNORE_FILE + 1];
	long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	long got = syscall(SYS_read, (int)fd, buf, MAX_IGNORE_FILE);
	syscall(SYS_close, (int)fd);
	if (got <= 0)
		return -1;
	buf[got] = 0;
	int verdict = -1;
	for (const char *l = buf; l < buf + got;) {
		const char *e = l;
		while (e < buf + got && *e != '\n')
			e++;
		struct pattern pt;
		if (parse(l, e, &pt) && pattern_hit(&pt, sub, n, is_dir))
			verdict = !pt.neg;
		l = e + 1;
	}
	return verdict;
}

static int join(char *out, size_t cap, const char *a, size_t an, const char *b)
{
	size_t bn = il_strlen(b);
	if (an + bn + 2 > cap)
		return -1;
	il_memcpy(out, a, an);
	size_t o = an;
	if (!(an == 1 && a[0] == '/'))
		out[o++] = '/';
	il_memcpy(out + o, b, bn + 1);
	return 0;
}

/* Is rel (its first n bytes) ignored, its parents aside? */
static int excluded(const char *root, size_t rn, const char *gitdir, const char *rel, size_t n, int is_dir)
{
	char path[4096];
	int verdict = -1, v;
	/* the user's excludes file, then the repository's */
	extern char **environ;
	const char *xdg = il_env_get(environ, "XDG_CONFIG_HOME"), *home = il_env_get(environ, "HOME");
	if ((xdg && *xdg && join(path, sizeof path, xdg, il_strlen(xdg), "git/ignore") == 0) ||
	    (home && *home && join(path, sizeof path, home, il_strlen(home), ".config/git/ignore") == 0))
		if ((v = file_verdict(path, rel, n, is_dir)) >= 0)
			verdict = v;
	if (gitdir && join(path, sizeof path, gitdir, il_strlen(gitdir), "info/exclude") == 0)
		if ((v = file_verdict(path, rel, n, is_dir)) >= 0)
			verdict = v;
	/* each .gitignore from the root down to the path's own directory: d
	 * is the length of that directory's part of rel (0: the root) */
	for (size_t d = 0; d < n; d++) {
		if (d && rel[d] != '/')
			continue;
		char dir[4096];
		if (rn + 1 + d >= sizeof dir)
			break;
		il_memcpy(dir, root, rn);
		size_t o = rn;
		if (d) {
			if (!(rn == 1 && root[0] == '/'))
				dir[o++] = '/';
			il_memcpy(dir + o, rel, d);
			o += d;
		}
		dir[o] = 0;
		if (join(path, sizeof path, dir, o, ".gitignore") == 0) {
			const char *sub = d ? rel + d + 1 : rel;
			size_t sn = d ? n - d - 1 : n;
			if ((v = file_verdict(path, sub, sn, is_dir)) >= 0)
				verdict = v;
		}
	}
	return verdict == 1;
}

int il_git_ignored(const char *root, size_t rn, const char *rel, int is_dir)
{
	char index[4096], gitdir[4096];
	const char *gd = 0;
	if (il_git_index_path(root, rn, index, sizeof index) == 0) {
		size_t l = il_strlen(index);
		if (l > 6 && l < sizeof gitdir) {
			il_memcpy(gitdir, index, l - 6); /* "/index" off */
			gitdir[l - 6] = 0;
			gd = gitdir;
		}
	}
	/* a directory that is ignored: git never looks inside it */
	size_t n = il_strlen(rel);
	for (size_t i = 0; i < n; i++)
		if (rel[i] == '/' && excluded(root, rn, gd, rel, i, 1))
			return 1;
	return excluded(root, rn, gd, rel, n, is_dir);
}
