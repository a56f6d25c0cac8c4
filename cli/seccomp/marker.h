/* The session's marker in the seccomp filter: the system calls the preload
 * judged carry it in their sixth argument and pass the filter without a
 * round trip to the supervisor (marker.c, docs/seccomp.md "The marker"). */
#ifndef IL_SECCOMP_MARKER_H
#define IL_SECCOMP_MARKER_H

#include <linux/filter.h>
#include <stdint.h>

#include "il.h"

/* Puts the marker prologue in front of prog (malloc'd, replaced). A marker
 * of 0 adds nothing. 0 on success, -1 with errno. */
int il_seccomp_prepend_marker(struct sock_fprog *prog, uint64_t marker) IL_HIDDEN;

/* A fresh random marker, never 0 (getrandom). 0 when the kernel gives no
 * randomness: the session then runs without one. */
uint64_t il_seccomp_new_marker(void) IL_HIDDEN;

#endif
