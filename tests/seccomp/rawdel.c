/* A statically linked recursive delete (nftw + remove, like `rm -r` done
 * in process): `rawdel DIR`. Stops at the first failure. Exit 0 when the
 * whole tree is gone, 13 when a delete failed with EACCES, 1 otherwise.
 * Only the supervisor's --strict mode sees its unlink/rmdir calls. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>

static int failed;

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	if (remove(path) < 0) {
		failed = errno;
		fprintf(stderr, "rawdel: %s: %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	nftw(argv[1], rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return failed == EACCES ? 13 : failed ? 1 : 0;
}
