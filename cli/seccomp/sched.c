/* How the wrapper is scheduled while it supervises.
 *
 * A trapped exec wakes the wrapper, which answers and goes back to poll().
 * The answer wakes the target on the wrapper's CPU (SYNC_WAKE_UP). When the
 * target preempts the wrapper there, the wrapper stays runnable beside it;
 * the exec balancer then sees two runnable tasks and moves the target to
 * the idle CPU, and every later wake-up between them crosses CPUs — on a VM
 * an idle vCPU takes tens of microseconds to wake.
 *
 * Under EEVDF a task with a shorter slice has the earlier virtual deadline,
 * so the target it wakes preempts it less often. The wrapper asks for the
 * shortest slice the kernel takes (0.1 ms; 6.12+, no privilege needed,
 * ignored by older kernels). Measured on the 2-vCPU test VM, 500 fork+execs
 * of /bin/true from sh: 1.21x bare with the default slice, 1.14-1.17x with
 * the short one; make -j2 unchanged (1.07-1.08x).
 *
 * SCHED_FIFO was measured too and left out: it took the sh loop to 1.08x
 * but a make -j2 to 1.20-1.27x. A realtime wrapper wakes on its own CPU
 * rather than beside the target, and pulls every target it answers there. */
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "supervisor.h"

/* struct sched_attr as of Linux 4.13 (the kernel takes its size). */
struct sched_attr_v1 {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
	uint32_t sched_util_min, sched_util_max;
};

#define SHORT_SLICE_NS 100000u /* the kernel's minimum, 0.1 ms */

int il_supervisor_short_slice(void)
{
#ifdef SYS_sched_setattr
	struct sched_attr_v1 a;
	memset(&a, 0, sizeof a);
	if (syscall(SYS_sched_getattr, 0, &a, sizeof a, 0) < 0 || a.sched_policy != SCHED_OTHER)
		return -1;
	a.size = sizeof a;
	a.sched_flags = 0; /* the nice value stays what it is */
	a.sched_runtime = SHORT_SLICE_NS;
	return (int)syscall(SYS_sched_setattr, 0, &a, 0);
#else
	return -1;
#endif
}
