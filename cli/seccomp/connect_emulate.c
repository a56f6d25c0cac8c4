/* Connect emulation (see docs/seccomp.md, "time of check").
 *
 * Answering an allowed connect with "continue" lets the kernel read the
 * address again after we judged it: a second thread of the target can swap
 * an allowed address for a protected one in between. So the supervisor makes
 * the connect itself, on the target's own socket (pidfd_getfd gives us the
 * same open file), with the copy of the address it judged, and answers with
 * the result. The target sees connect(2) return as usual.
 *
 * A non-blocking socket (curl, Go's net package, anything event-driven)
 * connects at once: EINPROGRESS or the result. A blocking stream socket may
 * take as long as the network does, so its connect runs on a thread of its
 * own with its own duplicate of the listener; the poll loop never waits.
 *
 * Only sockets of the internet families are emulated. A unix socket's
 * address is a path resolved in the caller's root and working directory, so
 * it is continued; whatever address a swap puts there, a unix socket
 * cannot reach a host. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "supervisor.h"
#include "supervisor_int.h"

struct emulation {
	int listener; /* our own duplicate: the supervisor may close its copy first */
	int sock;     /* the target's socket, duplicated into this process */
	uint64_t id;
	size_t len;
	unsigned char addr[128];
};

/* The answer of an emulated call: the call's result, never "continue". */
static void answer(int listener, uint64_t id, int error)
{
	struct seccomp_notif_resp r;
	memset(&r, 0, sizeof r);
	r.id = id;
	r.error = error ? -error : 0;
	/* ENOENT: the target is gone (killed while we connected) */
	while (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &r) < 0 && errno == EINTR)
		;
}

static int connect_now(struct emulation *e)
{
	int r;
	while ((r = connect(e->sock, (const struct sockaddr *)e->addr, (socklen_t)e->len)) < 0 && errno == EINTR)
		; /* a signal to the wrapper, not to the target */
	return r < 0 ? errno : 0;
}

static void finish(struct emulation *e, int error)
{
	answer(e->listener, e->id, error);
	close(e->sock);
	if (e->listener >= 0)
		close(e->listener);
	free(e);
}

static void *blocking_connect(void *arg)
{
	struct emulation *e = arg;
	finish(e, connect_now(e));
	return 0;
}

int il_connect_emulate(int listener, uint64_t id, pid_t pid, int fd, const void *addr, size_t len)
{
	if (len > sizeof(((struct emulation *)0)->addr)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int sock = il_sv_getfd(pid, fd);
	if (sock < 0) {
		/* No such fd: the kernel's own answer. Anything else (the
		 * target made itself undumpable, no pidfd_getfd): we cannot
		 * make the call for it, and continuing would be the race. */
		if (errno != EBADF)
			return -1;
		answer(listener, id, EBADF);
		return 0;
	}
	int domain = -1;
	socklen_t dl = sizeof domain;
	if (getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &domain, &dl) < 0) {
		int e = errno;
		close(sock);
		if (e != ENOTSOCK) {
			errno = e;
			return -1;
		}
		answer(listener, id, ENOTSOCK);
		return 0;
	}
	if (domain != AF_INET && domain != AF_INET6) {
		close(sock);
		return 1; /* the caller continues it */
	}
	struct emulation *e = calloc(1, sizeof *e);
	if (!e) {
		close(sock);
		errno = ENOMEM;
		return -1;
	}
	e->listener = -1;
	e->sock = sock;
	e->id = id;
	e->len = len;
	memcpy(e->addr, addr, len);
	int type = 0;
	socklen_t tl = sizeof type;
	int flags = fcntl(sock, F_GETFL);
	int blocking = flags >= 0 && !(flags & O_NONBLOCK) &&
		       getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_STREAM;
	if (!blocking) {
		answer(listener, id, connect_now(e));
		close(sock);
		free(e);
		return 0;
	}
	pthread_attr_t at;
	pthread_t t;
	e->listener = fcntl(listener, F_DUPFD_CLOEXEC, 3);
	int ok = e->listener >= 0 && pthread_attr_init(&at) == 0;
	if (ok) {
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&at, 64 << 10);
		ok = pthread_create(&t, &at, blocking_connect, e) == 0;
		pthread_attr_destroy(&at);
	}
	if (!ok) {
		answer(listener, id, EAGAIN);
		close(sock);
		if (e->listener >= 0)
			close(e->listener);
		free(e);
	}
	return 0;
}
