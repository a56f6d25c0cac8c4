/* The seccomp filter over the guarded tree (see filter.h and
 * docs/seccomp.md).
 *
 * The filter is compiled with libseccomp in the wrapper, before the fork:
 * the child between fork and exec then only makes system calls (prctl,
 * seccomp, sendmsg, close). It is the same in every session but for the
 * wrapper's pid, so it is compiled once per interlock build and mode and
 * kept in the cache with a stand-in for the pid (session_prog). It is
 * loaded with seccomp(2) directly, not seccomp_load(), because libseccomp
 * 2.5.4 has no attribute for SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV and would
 * keep the listener in the child.
 *
 * What the filter does, per architecture (native and its compat ABIs; any
 * other architecture kills the process, so a foreign ABI cannot skip it):
 *   the supervised calls (calls.c)   -> user notification (the supervisor):
 *     execve, execveat, connect; sendto, sendmsg with MSG_FASTOPEN;
 *     the opens, deletes, renames, chmod, chown and links (not with
 *     --no-strict); a call carrying the session's marker is allowed
 *     before any of this (marker.c)
 *   ioctl TIOCSTI, TIOCLINUX         -> EPERM (typing into a terminal)
 *   io_uring_setup                   -> EPERM (io_uring operations are not
 *                                       seen by seccomp at all)
 *   ptrace SEIZE/SETOPTIONS with PTRACE_O_SUSPEND_SECCOMP -> EPERM
 *   ptrace ATTACH/SEIZE, process_vm_readv/writev, pidfd_open of the
 *     wrapper                        -> EPERM
 *   everything else                  -> allowed
 * All of these but the notifications decide on register values only, so
 * they cannot race with memory the guarded process rewrites. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli.h"
#include "calls.h"
#include "filter.h"
#include "marker.h"

/* Kernel ABI values newer than some installed headers. */
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
#ifndef PTRACE_O_SUSPEND_SECCOMP
#define PTRACE_O_SUSPEND_SECCOMP (1 << 21)
#endif

#define RECEIVE_TIMEOUT_MS 10000 /* the child sends at once; this is for a wedged child */

/* What the child tells the wrapper, with the listener attached on success. */
struct report {
	int err;        /* errno of the failed step, 0 on success */
	unsigned flags; /* IL_SC_* */
};

/* ---------------------------------------------------------------- build */

/* The compat ABIs the supervisor reads (calls.c): the native one is in
 * the filter from the start. */
static int add_compat_arches(scmp_filter_ctx ctx)
{
	for (int i = 1; il_sv_scmp_arches[i]; i++) {
		int r = seccomp_arch_add(ctx, il_sv_scmp_arches[i]);
		if (r < 0 && r != -EEXIST)
			return r;
	}
	return 0;
}

/* pid_t arguments: the kernel truncates them to 32 bits, so compare only
 * those (a pid with junk in the high half must not slip past). */
#define PID_ARG(n, pid) SCMP_CMP((n), SCMP_CMP_MASKED_EQ, 0xffffffffu, (uint32_t)(pid))

/* Every call of the supervised table (calls.c) goes to the supervisor:
 * the strict-only ones with --strict, a send only with MSG_FASTOPEN. */
static int add_notifications(scmp_filter_ctx ctx, int strict)
{
	int r = 0;
	for (int c = 0; c < SV_NCALLS; c++) {
		const struct sv_call_def *d = &il_sv_calls[c];
		if (d->strict && !strict)
			continue;
		int nr = seccomp_syscall_resolve_name(d->name);
		if (d->fastopen_arg >= 0)
			r |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1,
					      SCMP_CMP((unsigned)d->fastopen_arg, SCMP_CMP_MASKED_EQ, MSG_FASTOPEN,
						       MSG_FASTOPEN));
		else
			r |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0);
	}
	return r;
}

static int add_rules(scmp_filter_ctx ctx, pid_t wrapper, int strict)
{
	const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
	int r = add_notifications(ctx, strict);
	/* ioctl's request is an unsigned int: the low 32 bits decide. */
	r |= seccomp_rule_add(ctx, eperm, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI));
	r |= seccomp_rule_add(ctx, eperm, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX));
	r |= seccomp_rule_add(ctx, eperm, SCMP_SYS(io_uring_setup), 0);
	/* A tracer with CAP_SYS_ADMIN could switch a tracee's filters off. */
	for (int req = 0; req < 2; req++)
		r |= seccomp_rule_add(ctx, eperm, SCMP_SYS(ptrace), 2,
				      SCMP_A0(SCMP_CMP_EQ, req ? PTRACE_SEIZE : PTRACE_SETOPTIONS),
				      SCMP_A3(SCMP_CMP_MASKED_EQ, PTRACE_O_SUSPEND_SECCOMP, PTRACE_O_SUSPEND_SECCOMP));
	/* The wrapper is not dumpable, which stops a same-user tree; these
	 * stop a privileged one from reading the human's keystrokes or
	 * rewriting the supervisor. */
	r |= seccomp_rule_add(ctx, eperm, SCMP_SYS(ptrace), 2, SCMP_A0(SCMP_CMP_EQ, PTRACE_ATTACH), PID_ARG(1, wrapper));
	r |= seccomp_rule_add(ctx, eperm, SCMP_SYS(ptrace), 2, SCMP_A0(SCMP_CMP_EQ, PTRACE_SEIZE), PID_ARG(1, wrapper));
	r |= seccomp_rule_add(ctx, eperm, SCMP_SYS(process_vm_readv), 1, PID_ARG(0, wrapper));
	r |= seccomp_rule_add(ctx, eperm, SCMP_SYS(process_vm_writev), 1, PID_ARG(0, wrapper));
	r |= seccomp_rule_add(ctx, eperm, SCMP_SYS(pidfd_open), 1, PID_ARG(0, wrapper));
	return r ? -1 : 0;
}

/* libseccomp 2.5.4 exports to an fd only: go through a memfd. */
static int export_prog(scmp_filter_ctx ctx, struct sock_fprog *prog)
{
	int fd = memfd_create("interlock-bpf", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	int ok = -1;
	off_t len;
	if (seccomp_export_bpf(ctx, fd) == 0 && (len = lseek(fd, 0, SEEK_CUR)) > 0 &&
	    len % (off_t)sizeof(struct sock_filter) == 0 && len / (off_t)sizeof(struct sock_filter) <= BPF_MAXINSNS) {
		struct sock_filter *f = malloc((size_t)len);
		if (f && pread(fd, f, (size_t)len, 0) == (ssize_t)len) {
			prog->filter = f;
			prog->len = (unsigned short)(len / (off_t)sizeof(struct sock_filter));
			ok = 0;
		} else {
			free(f);
		}
	}
	close(fd);
	return ok;
}

int il_seccomp_available(char *why, size_t cap)
{
	uint32_t action = SECCOMP_RET_USER_NOTIF;
	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0)
		return 1;
	snprintf(why, cap, "this kernel offers no seccomp user notification (%s)", strerror(errno));
	return 0;
}

/* The compiled filter is the same for every session but for the wrapper's
 * pid, so it is built with this stand-in for the pid (no pid is that
 * large) and kept in the cache; a session puts its pid in its place. */
#define PID_STANDIN 0x7e57a11du

static int is_pid_compare(const struct sock_filter *f)
{
	return f->code == (BPF_JMP | BPF_JEQ | BPF_K) && f->k == PID_STANDIN;
}

/* A cached filter: whole instructions, not too many, and the stand-in. */
static int filter_entry(const void *data, size_t len)
{
	const struct sock_filter *f = data;
	size_t n = len / sizeof *f, standins = 0;
	if (!len || len % sizeof *f || n > BPF_MAXINSNS)
		return 0;
	for (size_t i = 0; i < n; i++)
		standins += is_pid_compare(&f[i]);
	return standins > 0;
}

static int build_prog(struct sock_fprog *prog, int strict)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	/* Sorted into a binary tree, not libseccomp's default linear chain:
	 * when the filter is attached the kernel runs it once for every
	 * system call number of each ABI to find the calls it may allow
	 * without running it again (its action cache), and the tree's short
	 * paths make that 190 -> 60 us, in the child before its exec (a
	 * standalone fork+attach loop on this machine; 11 us for a one-
	 * instruction filter). The calls that still run it (the supervised
	 * ones, ioctl, sendto) take fewer steps too. */
	int ok = ctx && seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) == 0 &&
		 seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) == 0 && add_compat_arches(ctx) == 0 && add_rules(ctx, (pid_t)PID_STANDIN, strict) == 0 &&
		 export_prog(ctx, prog) == 0;
	if (ctx)
		seccomp_release(ctx);
	return ok && filter_entry(prog->filter, prog->len * sizeof *prog->filter) ? 0 : -1;
}

/* libseccomp's filter for this mode, from the cache or built (and then
 * cached), with the wrapper's pid in it. */
static int session_prog(struct sock_fprog *prog, pid_t wrapper, int strict)
{
	struct il_cache_key key;
	int keyed = il_cache_build_key("seccomp filter", &strict, sizeof strict, &key) == 0;
	void *data;
	size_t len;
	if (keyed && il_cache_get("filter", &key, filter_entry, &data, &len) == 0) {
		prog->filter = data;
		prog->len = (unsigned short)(len / sizeof *prog->filter);
	} else if (build_prog(prog, strict) == 0) {
		if (keyed)
			il_cache_put("filter", &key, prog->filter, prog->len * sizeof *prog->filter);
	} else {
		return -1;
	}
	for (unsigned i = 0; i < prog->len; i++)
		if (is_pid_compare(&prog->filter[i]))
			prog->filter[i].k = (uint32_t)wrapper;
	return 0;
}

int il_seccomp_prepare(struct il_seccomp *sc, pid_t wrapper, int strict, uint64_t marker)
{
	memset(sc, 0, sizeof *sc);
	sc->sock[0] = sc->sock[1] = -1;
	if (!il_seccomp_available(sc->why, sizeof sc->why))
		return -1;
	int ok = session_prog(&sc->prog, wrapper, strict) == 0 && il_seccomp_prepend_marker(&sc->prog, marker) == 0;
	if (!ok) {
		snprintf(sc->why, sizeof sc->why, "cannot build the seccomp filter");
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sc->sock) < 0) {
		snprintf(sc->why, sizeof sc->why, "socketpair: %s", strerror(errno));
		il_seccomp_release(sc);
		return -1;
	}
	return 0;
}

void il_seccomp_release(struct il_seccomp *sc)
{
	free(sc->prog.filter);
	sc->prog.filter = 0;
	for (int i = 0; i < 2; i++)
		if (sc->sock[i] >= 0) {
			close(sc->sock[i]);
			sc->sock[i] = -1;
		}
}

/* ---------------------------------------------------------------- child */

/* Loads the filter with a listener. Root (CAP_SYS_ADMIN) needs no
 * no_new_privs, so setuid programs keep working for it; everyone else must
 * set it first (the kernel refuses with EACCES otherwise). An older kernel
 * refuses WAIT_KILLABLE_RECV with EINVAL: go on without it.
 * SPEC_ALLOW: kernels before 5.16 (and spec_store_bypass_disable=seccomp)
 * otherwise turn on the speculative store bypass mitigation for every
 * filtered process, which slows a whole build down; the filter is there to
 * catch destructive calls, not to fence the user's own code off from side
 * channels. */
static int load_filter(struct il_seccomp *sc, struct report *rep)
{
	unsigned long fl = SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV |
			   SECCOMP_FILTER_FLAG_SPEC_ALLOW;
	for (;;) {
		long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, fl, &sc->prog);
		if (fd >= 0) {
			if (fl & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
				rep->flags |= IL_SC_WAIT_KILLABLE;
			return (int)fd;
		}
		if (errno == EINVAL && (fl & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)) {
			fl &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
		} else if (errno == EACCES && !(rep->flags & IL_SC_NO_NEW_PRIVS)) {
			if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
				break;
			rep->flags |= IL_SC_NO_NEW_PRIVS;
		} else {
			break;
		}
	}
	rep->err = errno;
	return -1;
}

static void send_report(int sock, const struct report *rep, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { (void *)rep, sizeof *rep };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd >= 0) {
		memset(&u, 0, sizeof u);
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof u.buf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
	}
	while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

int il_seccomp_child_install(void *ctx)
{
	struct il_seccomp *sc = ctx;
	close(sc->sock[0]);
	struct report rep = { 0, 0 };
	/* The wrapper made itself non-dumpable and we inherited that: without
	 * this, a non-root supervisor could not read our own exec's arguments
	 * and would refuse the command. exec resets it anyway. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	int fd = load_filter(sc, &rep);
	send_report(sc->sock[1], &rep, fd);
	/* A process that holds the listener could answer its own
	 * notifications: the only copy from here on is the wrapper's. */
	if (fd >= 0)
		close(fd);
	close(sc->sock[1]);
	return fd >= 0 ? 0 : -1;
}

/* ---------------------------------------------------------------- parent */

static int recv_report(int sock, struct report *rep)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { rep, sizeof *rep };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	struct pollfd p = { sock, POLLIN, 0 };
	if (poll(&p, 1, RECEIVE_TIMEOUT_MS) <= 0)
		return -2;
	ssize_t n;
	while ((n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof *rep)
		return -2;
	int fd = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}

static void explain(struct il_seccomp *sc, int err)
{
	if (err == EBUSY)
		snprintf(sc->why, sizeof sc->why,
			 "another seccomp supervisor already watches this process (nested interlock run?)");
	else
		snprintf(sc->why, sizeof sc->why, "cannot install the seccomp filter: %s", strerror(err));
}

int il_seccomp_receive(struct il_seccomp *sc)
{
	close(sc->sock[1]);
	sc->sock[1] = -1;
	struct report rep = { 0, 0 };
	int fd = recv_report(sc->sock[0], &rep);
	close(sc->sock[0]);
	sc->sock[0] = -1;
	if (fd == -2) {
		snprintf(sc->why, sizeof sc->why, "the command's process did not report its seccomp filter");
		return -1;
	}
	sc->flags = rep.flags;
	if (fd < 0) {
		explain(sc, rep.err ? rep.err : EPROTO);
		return -1;
	}
	return fd;
}

/* 6.6+: wake the target on the supervisor's CPU (and us on its): an exec
 * round trip then costs a fraction of a cross-CPU wake-up, as long as the
 * target does not preempt us there (sched.c). */
void il_seccomp_sync_wake(struct il_seccomp *sc, int fd)
{
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (unsigned long)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0)
		sc->flags |= IL_SC_SYNC_WAKE_UP;
}
