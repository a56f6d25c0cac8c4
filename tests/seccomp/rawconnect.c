/* A statically linked client: connect(2) to ADDR PORT and send one line;
 * with a third argument `sendto` or `sendmsg`, connect and send at once
 * through TCP Fast Open (MSG_FASTOPEN) instead. Exit 0 when the line was
 * sent, 13 when the connect failed with EACCES, 1 otherwise. The preload
 * never sees it: only the supervisor can. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2])) };
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1)
		return 2;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 1;
	const char msg[] = "hello from a static program\n";
	const char *how = argc > 3 ? argv[3] : "connect";
	ssize_t sent = -1;
	if (!strcmp(how, "sendto")) {
		sent = sendto(fd, msg, sizeof msg - 1, MSG_FASTOPEN, (struct sockaddr *)&sa, sizeof sa);
	} else if (!strcmp(how, "sendmsg")) {
		struct iovec iov = { (void *)msg, sizeof msg - 1 };
		struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof sa, .msg_iov = &iov, .msg_iovlen = 1 };
		sent = sendmsg(fd, &mh, MSG_FASTOPEN);
	} else if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		sent = write(fd, msg, sizeof msg - 1);
	}
	if (sent < 0) {
		int e = errno;
		fprintf(stderr, "rawconnect: %s: %s\n", how, strerror(e));
		return e == EACCES ? 13 : 1;
	}
	return sent == (ssize_t)(sizeof msg - 1) ? 0 : 1;
}
