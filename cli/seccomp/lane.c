/* The supervisor's fast lane: a thread of the wrapper that receives every
 * notification and answers at once the ones nothing needs to look at (an
 * exec of a program no rule names, almost all of them), and hands the rest
 * to the wrapper's poll loop through a pipe.
 *
 * Why a thread: the loop also serves the human's terminal, the inner pty
 * and the broker's sockets, so each round trip through it pays a poll over
 * all of them and the loop's own work before the wrapper is asleep again,
 * and while the wrapper is still runnable the exec balancer moves the
 * target it just woke to the other CPU (docs/seccomp.md, "Cost"). The lane
 * waits on the listener alone and is back in poll() a few system calls
 * after answering. Measured on the 2-vCPU test VM, 500 fork+execs of
 * /bin/true from sh: see docs/seccomp.md.
 *
 * What it shares with the loop: the listener and the mapped rule view,
 * which nothing writes; everything it writes is its own (a twin supervisor
 * with its own buffers). Decisions, prompts, audit records and every piece
 * of state stay in the loop's thread. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "supervisor_int.h"

struct il_sv_lane {
	struct il_supervisor *twin; /* the lane's own buffers */
	int out[2];                 /* lane -> loop: whole struct seccomp_notif */
	int stopping;               /* loop -> lane, with a SIGRTMIN to wake it */
	pthread_t thread;
};

/* A notification the lane cannot answer goes to the loop whole; a pipe
 * write of this size is atomic. If the loop cannot take it, the call is
 * refused rather than left waiting. */
static void forward(struct il_sv_lane *l)
{
	struct il_supervisor *t = l->twin;
	ssize_t n;
	while ((n = write(l->out[1], t->req, t->req_size)) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)t->req_size)
		il_sv_respond(t, t->req->id, EACCES);
}

/* Nothing to do: the signal only ends the lane's wait in the kernel. */
static void lane_wake(int sig)
{
	(void)sig;
}

/* A blocking receive, not poll() and then receive: one system call fewer
 * on every round trip, which the target waits for (1-2% of a fork+exec
 * loop here). The receive returns when the last guarded process is gone,
 * and a signal (lane_stop) ends it early. */
static void *lane_main(void *arg)
{
	struct il_sv_lane *l = arg;
	struct il_supervisor *t = l->twin;
	il_supervisor_short_slice(); /* per thread: see sched.c */
	sigset_t wake;
	sigemptyset(&wake);
	sigaddset(&wake, SIGRTMIN);
	pthread_sigmask(SIG_UNBLOCK, &wake, 0);
	while (!__atomic_load_n(&l->stopping, __ATOMIC_ACQUIRE)) {
		memset(t->req, 0, t->req_size);
		if (ioctl(t->fd, SECCOMP_IOCTL_NOTIF_RECV, t->req) == 0) {
			if (!il_sv_quick_answer(t))
				forward(l);
			continue;
		}
		/* EINTR: asked to stop (checked above). ENOENT: the target died
		 * before we looked, or no process uses the filter any more. */
		struct pollfd p = { t->fd, POLLIN, 0 };
		if (errno != EINTR && (poll(&p, 1, 0) < 0 || (p.revents & (POLLHUP | POLLERR | POLLNVAL))))
			break;
	}
	/* The loop sees the pipe's end and stops watching it. */
	close(l->out[1]);
	l->out[1] = -1;
	return 0;
}

/* The loop's side: one forwarded notification, decided as if the loop had
 * received it itself. */
static void lane_ready(void *ctx, short revents)
{
	struct il_supervisor *s = ctx;
	ssize_t n = -1;
	if (revents & POLLIN) {
		while ((n = read(s->lane->out[0], s->req, s->req_size)) < 0 && errno == EINTR)
			;
		if (n == (ssize_t)s->req_size) {
			il_sv_dispatch(s);
			return;
		}
	}
	if (n == 0 || (revents & (POLLHUP | POLLERR | POLLNVAL)))
		il_broker_watch(s->cfg.broker, -1, 0, 0);
}

static void lane_free(struct il_sv_lane *l)
{
	if (l->out[0] >= 0)
		close(l->out[0]);
	if (l->out[1] >= 0)
		close(l->out[1]);
	il_sv_twin_free(l->twin);
	free(l);
}

static struct il_sv_lane *lane_start(struct il_supervisor *s)
{
	struct il_sv_lane *l = calloc(1, sizeof *l);
	if (!l)
		return 0;
	l->out[0] = l->out[1] = -1;
	l->twin = il_sv_twin(s);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = lane_wake; /* no SA_RESTART: the receive must end */
	sigemptyset(&sa.sa_mask);
	if (!l->twin || pipe2(l->out, O_CLOEXEC) < 0 || sigaction(SIGRTMIN, &sa, 0) < 0) {
		lane_free(l);
		return 0;
	}
	/* Every signal but the lane's own stays with the loop's thread (its
	 * handlers write to the loop's pipe); a write to a closed pipe fails
	 * with EPIPE here. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int err = pthread_create(&l->thread, 0, lane_main, l);
	pthread_sigmask(SIG_SETMASK, &old, 0);
	if (err) {
		lane_free(l);
		return 0;
	}
	return l;
}

void il_supervisor_serve(struct il_supervisor *s)
{
	s->lane = lane_start(s);
	if (s->lane)
		il_broker_watch(s->cfg.broker, s->lane->out[0], lane_ready, s);
	else /* no thread: the loop receives itself, as fast as it can */
		il_broker_watch(s->cfg.broker, s->fd, il_supervisor_ready, s);
}

void il_sv_lane_stop(struct il_supervisor *s)
{
	struct il_sv_lane *l = s->lane;
	if (!l || l->out[0] < 0)
		return;
	__atomic_store_n(&l->stopping, 1, __ATOMIC_RELEASE);
	/* A lane blocked writing to a full pipe gets EPIPE now. */
	close(l->out[0]);
	l->out[0] = -1;
	/* The signal can land just before the lane enters the receive: send
	 * it again until the lane is gone. */
	for (;;) {
		pthread_kill(l->thread, SIGRTMIN);
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += 10 * 1000 * 1000;
		if (t.tv_nsec >= 1000000000L)
			t.tv_sec++, t.tv_nsec -= 1000000000L;
		if (pthread_timedjoin_np(l->thread, 0, &t) != ETIMEDOUT)
			break;
	}
}

void il_sv_lane_free(struct il_supervisor *s)
{
	if (!s->lane)
		return;
	il_sv_lane_stop(s);
	lane_free(s->lane);
	s->lane = 0;
}
