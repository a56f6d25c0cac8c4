/* What a program sees of fopen and opendir, printed one fact a line, so
 * that the output under `interlock run` (where the preload opens these
 * itself, with the session's marker) can be compared with the bare run's:
 * `stdio_probe DIR` works inside DIR. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void put_open(const char *label, FILE *f)
{
	printf("%s: %s", label, f ? "ok" : strerror(errno));
	if (f)
		printf(" tell=%ld cloexec=%d", ftell(f), (fcntl(fileno(f), F_GETFD) & FD_CLOEXEC) != 0);
	putchar('\n');
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	if (argc < 2 || chdir(argv[1]) < 0)
		return 2;
	FILE *f = fopen("a.txt", "w");
	if (!f)
		return 1;
	fputs("abc", f);
	fclose(f);
	put_open("a", fopen("a.txt", "a"));
	put_open("a+", fopen("a.txt", "a+"));
	put_open("r+", fopen("a.txt", "r+"));
	put_open("re", fopen("a.txt", "re"));
	put_open("wx existing", fopen("a.txt", "wx"));
	put_open("wx new", fopen("b.txt", "wx"));
	put_open("r missing", fopen("missing.txt", "r"));
	put_open("bad mode", fopen("a.txt", "q"));
	put_open("ccs", fopen("a.txt", "r,ccs=UTF-8"));
	f = fopen("a.txt", "a");
	fputs("def", f);
	printf("a after write: tell=%ld\n", ftell(f));
	fclose(f);
	DIR *d = opendir(".");
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n++;
	printf("opendir .: %s entries=%d cloexec=%d\n", d ? "ok" : strerror(errno), n,
	       d ? (fcntl(dirfd(d), F_GETFD) & FD_CLOEXEC) != 0 : -1);
	if (d)
		closedir(d);
	d = opendir("missing");
	printf("opendir missing: %s\n", d ? "ok" : strerror(errno));
	d = opendir("a.txt");
	printf("opendir file: %s\n", d ? "ok" : strerror(errno));
	d = opendir("");
	printf("opendir empty: %s\n", d ? "ok" : strerror(errno));
	return 0;
}
