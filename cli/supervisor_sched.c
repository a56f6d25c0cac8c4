/* How the wrapper is scheduled while it supervises.
 *
 * A trapped exec wakes the wrapper, which answers and goes back to poll().
 * The answer wakes the target on the wrapper's CPU; if the target preempts
 * the wrapper there, the wrapper stays runnable on that CPU until the target
 * blocks, the exec balancer sees two runnable tasks and moves the target to
 * the idle CPU, and every later wake-up between the two crosses CPUs — on a
 * VM an idle vCPU takes tens of microseconds to wake. Measured on the 2-vCPU
 * test VM, 500 fork+execs of /bin/true from sh: 1.22x bare as an ordinary
 * task, 1.08x when the wrapper cannot be preempted by the tree it serves.
 *
 * So the wrapper asks for SCHED_FIFO priority 1 (root, CAP_SYS_NICE or an
 * RLIMIT_RTPRIO allowance), with SCHED_RESET_ON_FORK so that nothing it
 * starts inherits it. It only ever sleeps in poll() between short answers;
 * the human's pace and the kernel's RT throttling bound the rest. Without
 * the permission it asks for a short EEVDF slice instead (6.12+, no
 * privilege needed; ignored by older kernels), which makes a preemption by
 * the woken target less likely. INTERLOCK_SUPERVISOR_RT=0 keeps it an
 * ordinary task. */
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
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

static int short_slice(void)
{
#ifdef SYS_sched_setattr
	struct sched_attr_v1 a;
	memset(&a, 0, sizeof a);
	a.size = sizeof a;
	if (syscall(SYS_sched_getattr, 0, &a, sizeof a, 0) < 0 || a.sched_policy != SCHED_OTHER)
		return -1;
	a.size = sizeof a;
	a.sched_flags = 0; /* keep the nice value */
	a.sched_runtime = SHORT_SLICE_NS;
	return (int)syscall(SYS_sched_setattr, 0, &a, 0);
#else
	return -1;
#endif
}

enum il_sv_sched il_supervisor_schedule(void)
{
	const char *rt = getenv("INTERLOCK_SUPERVISOR_RT");
	if (!rt || strcmp(rt, "0")) {
		struct sched_param p = { .sched_priority = 1 };
		if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &p) == 0)
			return IL_SV_REALTIME;
	}
	return short_slice() == 0 ? IL_SV_SHORT_SLICE : IL_SV_FAIR;
}

const char *il_sv_sched_name(enum il_sv_sched s)
{
	return s == IL_SV_REALTIME ? "realtime (SCHED_FIFO 1)" : s == IL_SV_SHORT_SLICE ? "short slice" : "ordinary";
}
