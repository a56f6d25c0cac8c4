/* The seccomp layer's filter: built once in the wrapper, installed in the
 * command's process before it execs, its listener fd handed back to the
 * wrapper (see docs/seccomp.md).
 *
 * Use:
 *     struct il_seccomp sc;
 *     il_seccomp_prepare(&sc);                     // parent: BPF + socketpair
 *     il_loop_set_child_hook(L, il_seccomp_child_install, &sc);
 *     il_loop_spawn(L, ...);                       // child: installs, sends fd
 *     int fd = il_seccomp_receive(&sc);            // parent: the listener
 *     il_seccomp_sync_wake(&sc, fd);               // if realtime
 *     il_seccomp_release(&sc);
 */
#ifndef IL_SECCOMP_FILTER_H
#define IL_SECCOMP_FILTER_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "il.h"

/* How the filter was installed (reported back by the child). */
enum {
	IL_SC_NO_NEW_PRIVS = 1u << 0,   /* the child had to set no_new_privs */
	IL_SC_WAIT_KILLABLE = 1u << 1,  /* SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV */
	IL_SC_SYNC_WAKE_UP = 1u << 2,   /* SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (set by the parent) */
};

struct il_seccomp {
	struct sock_fprog prog; /* filter, exported from libseccomp */
	int sock[2];            /* [0] wrapper's end, [1] child's end */
	unsigned flags;         /* IL_SC_* */
	char why[160];          /* why the layer is off, when it is */
};

/* Builds the filter and the socketpair. strict: also trap the opens,
 * deletes, renames, chmod, chown and links (the default; not --no-strict).
 * pid is the wrapper (ptrace and
 * process_vm_* against it are refused). marker: the session's (marker.h),
 * whose calls pass without a notification; 0 for none. Returns 0, or -1 with sc->why set:
 * the layer is unavailable and the caller goes on with the preload only. */
int il_seccomp_prepare(struct il_seccomp *sc, pid_t wrapper, int strict, uint64_t marker) IL_HIDDEN;

/* In the forked child, before exec (ctx is the struct il_seccomp): sets
 * no_new_privs when it must, installs the filter, sends the listener to the
 * wrapper and closes its own copy. Returns 0 when the filter is in place,
 * -1 when not (the wrapper is told why). Async-signal-safe system calls only. */
int il_seccomp_child_install(void *ctx) IL_HIDDEN;

/* In the wrapper after fork: the listener fd, or -1 with sc->why set. */
int il_seccomp_receive(struct il_seccomp *sc) IL_HIDDEN;

/* Sets SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP on the listener where the kernel
 * has it (IL_SC_SYNC_WAKE_UP in sc->flags then). */
void il_seccomp_sync_wake(struct il_seccomp *sc, int fd) IL_HIDDEN;

/* Frees the program and closes what is left of the socketpair. */
void il_seccomp_release(struct il_seccomp *sc) IL_HIDDEN;

/* Whether the kernel offers user notification here (for `interlock doctor`):
 * 1 yes, 0 no with why filled. Installs nothing. */
int il_seccomp_available(char *why, size_t cap) IL_HIDDEN;

#endif
