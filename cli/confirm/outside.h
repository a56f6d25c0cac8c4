/* Who may answer a question from outside: a process of the same user that
 * is in no guarded tree (not this session's, not another's). The guarded
 * tree must not be able to approve its own questions through the answer
 * socket, however it starts the program that connects.
 *
 * What counts as inside, each from the kernel's view of the process that
 * connected (SO_PEERCRED, pinned by a pidfd so that a pid reused meanwhile
 * cannot stand in for it):
 *   - another user (the socket is 0600 in a 0700 directory; root can still
 *     connect, and is refused here);
 *   - a descendant of the wrapper: its parent chain (/proc/PID/stat)
 *     reaches the wrapper. setsid and double forks keep the chain; a
 *     process whose parent died is re-parented (to init or a subreaper)
 *     and loses it, hence the rest;
 *   - a guarded session in its environment (INTERLOCK_SESSION,
 *     INTERLOCK_SNAPSHOT, LD_PRELOAD naming libinterlock.so): what every
 *     process of a session inherits and the preload puts back when a
 *     program strips it;
 *   - interlock's preload or a session's snapshot in its memory
 *     (/proc/PID/maps), which a program cannot shed by editing its
 *     environment;
 *   - a seccomp filter the wrapper does not have itself (/proc/PID/status:
 *     more Seccomp_filters than the wrapper's): every process `interlock run`
 *     guards inherits the supervisor's filter, and the kernel lets no
 *     process remove a filter, not by exec, setsid, re-parenting, a cleared
 *     environment or a static binary.
 * Limits (docs/agents.md, "Approving from outside"): with --no-seccomp the
 * last check has nothing to find, so a process that was re-parented, cleared
 * its environment and does not load the preload (a static program) passes;
 * and a service outside the tree that runs commands for the agent (a user
 * systemd manager, at/cron, ssh to localhost, a terminal multiplexer server
 * started before the session) starts processes that are outside in every
 * sense. A process sandboxed by something else (a container's or flatpak's
 * filter the wrapper does not share) is refused as well: approve from an
 * ordinary terminal. */
#ifndef IL_OUTSIDE_H
#define IL_OUTSIDE_H

#include <stddef.h>
#include <sys/types.h>

#include "il.h"

/* A pidfd for the process that connected to fd (SO_PEERPIDFD, else a
 * pidfd_open of its SO_PEERCRED pid), or -1. */
int il_peer_pidfd(int fd) IL_HIDDEN;

/* 1 when the peer of fd may answer: same user, outside every guarded
 * tree; else 0 with why (cap bytes) saying what it is. top is the wrapper,
 * pidfd from il_peer_pidfd (or -1). */
int il_peer_outside(int fd, int pidfd, pid_t top, char *why, size_t cap) IL_HIDDEN;

#endif
