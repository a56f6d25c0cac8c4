/* A statically linked file reader: `rawread r PATH [DIR]` prints PATH,
 * `rawread t PATH [DIR]` empties it (O_TRUNC); with DIR, chdir there first
 * and open PATH relative to it through openat(2). `rawread c PATH` makes
 * PATH mode 000, `rawread l PATH LINK` makes LINK a symlink to PATH. Exit
 * 0 on success, 13 when the call failed with EACCES, 1 otherwise. Only the
 * supervisor's --strict mode sees its calls. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failed(const char *what)
{
	int e = errno;
	fprintf(stderr, "rawread: %s: %s\n", what, strerror(e));
	return e == EACCES ? 13 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && argv[1][0] == 'c')
		return chmod(argv[2], 0) < 0 ? failed(argv[2]) : 0;
	if (argc >= 4 && argv[1][0] == 'l')
		return symlink(argv[2], argv[3]) < 0 ? failed(argv[3]) : 0;
	if (argc < 3 || (argv[1][0] != 'r' && argv[1][0] != 't'))
		return 2;
	if (argc > 3 && chdir(argv[3]) < 0)
		return 1;
	int fd = openat(AT_FDCWD, argv[2], argv[1][0] == 'r' ? O_RDONLY : O_WRONLY | O_TRUNC);
	if (fd < 0)
		return failed(argv[2]);
	char buf[4096];
	ssize_t n;
	while (argv[1][0] == 'r' && (n = read(fd, buf, sizeof buf)) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return 0;
}
