/* One system call made from a second thread, as agents' runtimes make
 * theirs: the supervisor's notification then names a thread that is not
 * the process (its TID), and every fact it reads must still be the
 * process's. Statically linked: only the supervisor sees it.
 *
 *   inthread connect ADDR PORT     TCP connect (IPv4 or IPv6 literal)
 *   inthread read PATH             open and print PATH
 *   inthread open MODE PATH        open PATH for MODE: r read, w write, a
 *                                  append, t truncate, c create (new file)
 *   inthread reopen PATH           open PATH with O_PATH, then read it back
 *                                  through /proc/self/fd/N
 *   inthread unlink PATH
 *   inthread rmdir PATH
 *   inthread rename FROM TO
 *   inthread deep DIR NAME         walk down DIR's only subdirectory chain
 *                                  with openat (no path is ever formed),
 *                                  then unlink NAME at the bottom
 *   inthread deepread DIR NAME     the same, reading NAME at the bottom
 *   inthread exec PROG ARG...      execv from the thread
 *
 * Exit 0 when the call succeeded, 13 when it failed with EACCES, 1
 * otherwise; the error is printed on stderr. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char **args;
static int result;

static int fail(const char *what)
{
	int e = errno;
	fprintf(stderr, "inthread: %s: %s\n", what, strerror(e));
	return e == EACCES ? 13 : 1;
}

static int print_fd(int fd)
{
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return n < 0 ? fail("read") : 0;
}

static int do_connect(const char *addr, int port)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons((unsigned short)port) };
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	int v6 = inet_pton(AF_INET6, addr, &s6.sin6_addr) == 1;
	if (!v6 && inet_pton(AF_INET, addr, &s4.sin_addr) != 1)
		return 2;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return fail("socket");
	int r = v6 ? connect(fd, (struct sockaddr *)&s6, sizeof s6) : connect(fd, (struct sockaddr *)&s4, sizeof s4);
	if (r < 0)
		return fail("connect");
	const char line[] = "hello from a thread\n";
	return write(fd, line, sizeof line - 1) < 0 ? fail("write") : 0;
}

/* The bottom of a chain of single subdirectories, as an fd. */
static int walk_down(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	for (;;) {
		if (fd < 0)
			return -1;
		int dup_fd = dup(fd);
		DIR *d = fdopendir(dup_fd);
		struct dirent *e;
		char next[256] = "";
		while (d && (e = readdir(d)))
			if (e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				snprintf(next, sizeof next, "%s", e->d_name);
		if (d)
			closedir(d);
		if (!*next)
			return fd;
		int n = openat(fd, next, O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = n;
	}
}

static void *work(void *unused)
{
	(void)unused;
	const char *op = args[1];
	if (!strcmp(op, "connect") && args[2] && args[3]) {
		result = do_connect(args[2], atoi(args[3]));
	} else if (!strcmp(op, "read") && args[2]) {
		int fd = open(args[2], O_RDONLY);
		result = fd < 0 ? fail(args[2]) : print_fd(fd);
	} else if (!strcmp(op, "reopen") && args[2]) {
		int h = open(args[2], O_PATH);
		char via[64];
		snprintf(via, sizeof via, "/proc/self/fd/%d", h);
		int fd = h < 0 ? -1 : open(via, O_RDONLY);
		result = h < 0 ? fail(args[2]) : fd < 0 ? fail(via) : print_fd(fd);
	} else if (!strcmp(op, "open") && args[2] && args[3]) {
		static const struct { char mode; int flags; } modes[] = {
			{ 'r', O_RDONLY }, { 'w', O_WRONLY }, { 'a', O_WRONLY | O_APPEND },
			{ 't', O_WRONLY | O_TRUNC }, { 'c', O_WRONLY | O_CREAT | O_EXCL },
		};
		int flags = -1;
		for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
			if (modes[i].mode == args[2][0])
				flags = modes[i].flags;
		int fd = flags < 0 ? -1 : open(args[3], flags | O_CLOEXEC, 0600);
		result = flags < 0 ? 2 : fd < 0 ? fail(args[3]) : (close(fd), 0);
	} else if (!strcmp(op, "unlink") && args[2]) {
		result = unlink(args[2]) < 0 ? fail(args[2]) : 0;
	} else if (!strcmp(op, "rmdir") && args[2]) {
		result = rmdir(args[2]) < 0 ? fail(args[2]) : 0;
	} else if (!strcmp(op, "rename") && args[2] && args[3]) {
		result = rename(args[2], args[3]) < 0 ? fail(args[2]) : 0;
	} else if ((!strcmp(op, "deep") || !strcmp(op, "deepread")) && args[2] && args[3]) {
		int fd = walk_down(args[2]);
		if (fd < 0) {
			result = fail("walk down");
		} else if (op[4] == 'r') {
			int f = openat(fd, args[3], O_RDONLY);
			result = f < 0 ? fail(args[3]) : print_fd(f);
		} else {
			result = unlinkat(fd, args[3], 0) < 0 ? fail(args[3]) : 0;
		}
	} else if (!strcmp(op, "exec") && args[2]) {
		execv(args[2], args + 2);
		result = fail(args[2]);
	} else {
		result = 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	args = argv;
	pthread_t t;
	if (pthread_create(&t, 0, work, 0) != 0)
		return 1;
	pthread_join(t, 0);
	fflush(stdout);
	return result;
}
