/* The listener's side of the kernel interface: the buffers one
 * notification is received into (each supervisor has its own, the lane's
 * twin too), and the two answers the kernel takes from us. */
#include <errno.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "supervisor_int.h"

void il_sv_respond(struct il_supervisor *s, uint64_t id, int error)
{
	memset(s->resp, 0, s->resp_size);
	s->resp->id = id;
	s->resp->error = error ? -error : 0;
	s->resp->flags = error ? 0 : SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	/* ENOENT: the target was killed meanwhile; nothing to answer. */
	while (ioctl(s->fd, SECCOMP_IOCTL_NOTIF_SEND, s->resp) < 0 && errno == EINTR)
		;
}

int il_sv_id_valid(struct il_supervisor *s, uint64_t id)
{
	return ioctl(s->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

void il_sv_free_buffers(struct il_supervisor *s)
{
	free(s->req), free(s->resp), free(s->mem), free(s->tmp), free(s->trees);
	free(s);
}

struct il_supervisor *il_sv_alloc(int listener, const struct il_supervisor_cfg *cfg)
{
	struct il_supervisor *s = calloc(1, sizeof *s);
	struct seccomp_notif_sizes sz = { sizeof(struct seccomp_notif), sizeof(struct seccomp_notif_resp),
					  sizeof(struct seccomp_data) };
	/* The kernel writes its own struct size: never less than it says. */
	syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz);
	if (!s)
		return 0;
	s->fd = listener;
	s->cfg = *cfg;
	s->req_size = sz.seccomp_notif > sizeof *s->req ? sz.seccomp_notif : sizeof *s->req;
	s->resp_size = sz.seccomp_notif_resp > sizeof *s->resp ? sz.seccomp_notif_resp : sizeof *s->resp;
	s->req = calloc(1, s->req_size);
	s->resp = calloc(1, s->resp_size);
	s->mem = malloc(ARENA_SIZE);
	s->tmp = malloc(MAX_STR + 1);
	if (!s->req || !s->resp || !s->mem || !s->tmp) {
		il_sv_free_buffers(s);
		return 0;
	}
	return s;
}

struct il_supervisor *il_sv_twin(const struct il_supervisor *s)
{
	struct il_supervisor *t = il_sv_alloc(s->fd, &s->cfg);
	if (t) { /* the system call numbers as resolved once (libseccomp's tables) */
		memcpy(t->abi, s->abi, sizeof t->abi);
		t->nabi = s->nabi;
	}
	return t;
}

void il_sv_twin_free(struct il_supervisor *t)
{
	if (t)
		il_sv_free_buffers(t);
}
