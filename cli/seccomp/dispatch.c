/* One notification to its handler, by the table of supervised calls
 * (calls.c): in the loop's thread (il_sv_dispatch, il_supervisor_ready)
 * or, for the lane, the quick look that answers what needs no decision. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>

#include "supervisor_int.h"

int il_sv_quick_answer(struct il_supervisor *s)
{
	const struct seccomp_notif *n = s->req;
	const struct abi *abi = 0;
	enum sv_call call = il_sv_call_of(s->abi, s->nabi, &n->data, &abi);
	if (call == SV_NONE)
		return 0;
	switch (il_sv_calls[call].kind) {
	case SV_KIND_EXEC:
		return il_sv_exec_quick(s, n, abi);
	case SV_KIND_OPEN:
		return il_sv_fs_quick(s, n, call);
	default:
		return 0;
	}
}

void il_sv_dispatch(struct il_supervisor *s)
{
	const struct seccomp_notif *n = s->req;
	const struct abi *abi = 0;
	enum sv_call call = il_sv_call_of(s->abi, s->nabi, &n->data, &abi);
	if (call == SV_NONE) { /* never trapped, so never expected: not judged, not run */
		il_sv_fail_closed(s, n->id, (pid_t)n->pid, "call", "?",
				  "interlock trapped a system call it has no judge for");
		return;
	}
	switch (il_sv_calls[call].kind) {
	case SV_KIND_EXEC:
		il_sv_on_exec(s, n, abi);
		break;
	case SV_KIND_CONNECT:
		il_sv_on_connect(s, n, abi, call);
		break;
	case SV_KIND_OPEN:
	case SV_KIND_DELETE:
	case SV_KIND_OWN:
		il_sv_on_fs(s, n, call);
		break;
	}
}

void il_supervisor_ready(void *ctx, short revents)
{
	struct il_supervisor *s = ctx;
	if (!(revents & POLLIN)) {
		/* POLLHUP: no process uses the filter any more. Receiving now
		 * would block for ever. */
		if (revents & (POLLHUP | POLLERR | POLLNVAL))
			il_broker_watch(s->cfg.broker, -1, 0, 0);
		return;
	}
	memset(s->req, 0, s->req_size);
	if (ioctl(s->fd, SECCOMP_IOCTL_NOTIF_RECV, s->req) < 0)
		return; /* ENOENT: the target died before we looked */
	il_sv_dispatch(s);
}
