/* The seccomp supervisor: the wrapper's end of the filter's listener (see
 * filter.h and docs/seccomp.md). A thread of the wrapper receives each
 * notification and lets through the execs no rule names (lane.c); the rest is decided in the wrapper's one poll loop
 * (through il_broker_watch), which never blocks. Each trapped system call
 * of the guarded tree:
 *
 *   execve/execveat  read path, argv and envp from the target's memory, cwd
 *                    from /proc; decide with the same compiled rules as the
 *                    preload; allow -> continue; deny -> EACCES; confirm ->
 *                    continue if the human just approved this operation for
 *                    this process through the preload, else ask the human
 *                    through the broker (same queue and prompt).
 *   connect          the connect rules, with the address read once: an
 *                    allowed connect is made by the supervisor itself on
 *                    the target's socket (connect_emulate.c), so the
 *                    address cannot change between the check and the call.
 *
 * Fail closed: memory that cannot be read, a list too long to inspect or an
 * engine error denies. When the wrapper goes away the kernel fails every
 * pending and later trapped call with ENOSYS. */
#ifndef IL_SUPERVISOR_H
#define IL_SUPERVISOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "broker.h"
#include "cli.h"

struct il_supervisor_cfg {
	struct il_compiled *rules;  /* the wrapper's compiled view (the preload's rules) */
	struct il_broker *broker;   /* asks the human; also knows what was approved */
	const char *session, *profile, *audit; /* audit may be NULL */
	const char *preload;        /* libinterlock.so path: is a target preloaded? */
	pid_t child;                /* the command's process */
	char *const *command;       /* its argv, already checked by the wrapper */
	const char *snapshot;       /* the session's rule set file (holds the marker); may be NULL */
};

struct il_supervisor;

/* sched.c: gives the calling (wrapper) thread the shortest
 * EEVDF slice, so that a target it wakes preempts it less often. 0, or -1
 * where the kernel or the policy does not allow it (nothing changed). */
int il_supervisor_short_slice(void) IL_HIDDEN;

/* connect_emulate.c: answers the trapped connect `id` of thread `pid` by
 * connecting its socket `fd` to `addr` (the copy that was judged) from
 * here. Returns 0 when answered, 1 when the socket is not an internet one
 * (the caller continues the call), -1 with errno when the call cannot be
 * made for it (the caller refuses, and says why). */
int il_connect_emulate(int listener, uint64_t id, pid_t pid, int fd, const void *addr, size_t len) IL_HIDDEN;

/* Takes ownership of the listener fd. NULL when out of memory (the fd is
 * closed: the guarded tree's trapped calls then fail with ENOSYS). */
struct il_supervisor *il_supervisor_new(int listener, const struct il_supervisor_cfg *cfg) IL_HIDDEN;
int il_supervisor_fd(const struct il_supervisor *s) IL_HIDDEN;
/* Starts serving the listener: a thread of its own answers what needs no
 * closer look and hands the rest to the broker's poll loop
 * (lane.c); without a thread the loop receives it all through
 * il_supervisor_ready. */
void il_supervisor_serve(struct il_supervisor *s) IL_HIDDEN;
/* For il_broker_watch(): handles one notification when the listener is
 * readable; on hang-up (no guarded process left) stops watching. */
void il_supervisor_ready(void *s, short revents) IL_HIDDEN;
/* Stop after il_broker_free() (which answers the questions still open):
 * the lane's thread joined, what waits answered, the listener closed,
 * which makes the kernel fail trapped calls with ENOSYS. _free also gives
 * back its memory; a process about to exit need not (two 16 MB arenas
 * unmapped while the lane's CPU still holds the address space cost a
 * TLB shootdown each). */
void il_supervisor_stop(struct il_supervisor *s) IL_HIDDEN;
void il_supervisor_free(struct il_supervisor *s) IL_HIDDEN;

#endif
