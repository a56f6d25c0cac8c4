/* The preload's canonical-path scan (il_clean_abs_last, which hops
 * from slash to slash and gives the last one) against a byte-by-byte
 * reference: every path at every alignment, and strings that end on the
 * last byte before a page that cannot be read. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "preload.h"

/* What il_clean_abs_last must answer, one byte at a time. */
static const char *reference(const char *p, int no_git)
{
	if (p[0] != '/')
		return 0;
	if (!p[1])
		return p;
	const char *last = p;
	for (const char *s = p; *s; s++) {
		if (*s != '/')
			continue;
		if (s[1] == '/' || !s[1] ||
		    (s[1] == '.' && (s[2] == '/' || !s[2] || (s[2] == '.' && (s[3] == '/' || !s[3])))))
			return 0;
		if (no_git && !strncmp(s + 1, ".git", 4) && (s[5] == '/' || !s[5]))
			return 0;
		last = s;
	}
	return last;
}

static const char *const paths[] = {
	"/", "//", "/a", "/a/", "/tmp/x", "/tmp//x", "/tmp/./x", "/tmp/../x", "/tmp/.", "/tmp/..", "/tmp/.x",
	"/tmp/..x", "/tmp/x.", "relative/path", "", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z",
	"/home/user/project/src/module/file_with_a_long_name.c", "/tmp/mb/churndir/f12345.tmp",
	"/exactly-seven", "/exactly-eight!", "/sixteen-bytes-p", "/0123456/0123456/0123456/", "/x/.git/HEAD",
	"/a//", "/abcdefg/", "/abcdefgh/i", "/x/.git", "/x/.github/y", "/x/.gitignore", "/.git/x",
};

static void test_alignments(int no_git)
{
	char buf[256 + 16] __attribute__((aligned(16)));
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		for (size_t off = 0; off < 16; off++) {
			size_t n = strlen(paths[i]);
			memset(buf, 'Z', sizeof buf); /* garbage after the NUL must not matter */
			memcpy(buf + off, paths[i], n + 1);
			const char *want = reference(buf + off, no_git), *got = il_clean_abs_last(buf + off, no_git);
			CHECK(want == got, "%s at offset %zu (no_git %d): %td, want %td", paths[i], off, no_git,
			      got ? got - (buf + off) : -1, want ? want - (buf + off) : -1);
		}
}

static void test_page_end(int no_git)
{
	long page = sysconf(_SC_PAGESIZE);
	char *m = mmap(0, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || mprotect(m + page, (size_t)page, PROT_NONE) < 0) {
		CHECK(0, "cannot map a guard page");
		return;
	}
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		size_t n = strlen(paths[i]);
		char *p = m + page - (n + 1); /* the NUL is the page's last byte */
		memcpy(p, paths[i], n + 1);
		CHECK(il_clean_abs_last(p, no_git) == reference(p, no_git), "%s at a page's end", paths[i]);
	}
	munmap(m, (size_t)page * 2);
}

int main(void)
{
	for (int no_git = 0; no_git < 2; no_git++) {
		test_alignments(no_git);
		test_page_end(no_git);
	}
	printf("%d passed, %d failed\n", checks - failures, failures);
	return failures != 0;
}
