/* The time-of-check race on connect(2), from a static program: a second
 * thread keeps rewriting the address between ALLOWED and PROTECTED while
 * the main thread connects N times. Answered with "continue", some connects
 * reach PROTECTED (the kernel reads the address after the supervisor
 * judged it). Prints how many connects succeeded; exit 0. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct sockaddr_in sa;
static struct in_addr good, bad;
static volatile int stop;

static void *flip(void *arg)
{
	(void)arg;
	while (!stop) {
		__atomic_store_n(&sa.sin_addr.s_addr, bad.s_addr, __ATOMIC_RELAXED);
		for (volatile int i = 0; i < 50; i++)
			;
		__atomic_store_n(&sa.sin_addr.s_addr, good.s_addr, __ATOMIC_RELAXED);
		for (volatile int i = 0; i < 50; i++)
			;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 5)
		return 2;
	if (inet_pton(AF_INET, argv[1], &good) != 1 || inet_pton(AF_INET, argv[2], &bad) != 1)
		return 2;
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(argv[3]));
	sa.sin_addr = good;
	int n = atoi(argv[4]), ok = 0;
	pthread_t t;
	if (pthread_create(&t, 0, flip, 0))
		return 1;
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return 1;
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
			ok++;
			(void)!write(fd, "swap\n", 5);
		}
		close(fd);
	}
	stop = 1;
	pthread_join(t, 0);
	printf("%d\n", ok);
	return 0;
}
