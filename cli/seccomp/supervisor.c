/* The supervisor's lifecycle (see supervisor.h and docs/seccomp.md): made
 * on the listener with the system call numbers resolved once, served by the
 * lane (lane.c) or the loop (dispatch.c), freed at the session's end. */
#include <unistd.h>

#include "supervisor_int.h"

struct il_supervisor *il_supervisor_new(int listener, const struct il_supervisor_cfg *cfg)
{
	struct il_supervisor *s = il_sv_alloc(listener, cfg);
	if (!s)
		close(listener);
	else
		s->nabi = il_sv_init_abis(s->abi);
	return s;
}

int il_supervisor_fd(const struct il_supervisor *s)
{
	return s->fd;
}

void il_supervisor_stop(struct il_supervisor *s)
{
	if (!s || s->fd < 0)
		return;
	il_sv_lane_stop(s);
	il_sv_drop_pending(s);
	close(s->fd);
	s->fd = -1;
}

void il_supervisor_free(struct il_supervisor *s)
{
	if (!s)
		return;
	il_supervisor_stop(s);
	il_sv_lane_free(s);
	il_sv_free_buffers(s);
}
