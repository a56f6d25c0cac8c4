/* A trapped connect (or a TCP Fast Open send, which connects too): the
 * address read once from the calling thread, judged by the engine with the
 * connect rules (by host through the names the session pinned: a static
 * client's own resolver is not seen), settled by reply.c. An allowed
 * connect is made by the supervisor itself with the address it judged
 * (connect_emulate.c): continuing would let the kernel read the address
 * again, after a second thread swapped it. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "il.h"
#include "supervisor_int.h"

extern char **environ;

/* The name a session pinned for this address (INTERLOCK_HOSTS), so that a
 * static program's connect can be matched by host like a preloaded one's. */
static const char *pinned_name(const struct il_snap_view *v, const unsigned char addr[16], char *buf, size_t cap)
{
	const char *p = il_snap_hosts(v);
	while (p && *p) {
		const char *sp = strchr(p, ' '), *nl = strchr(p, '\n');
		if (!sp || !nl || sp > nl)
			break;
		char a[64];
		size_t an = (size_t)(nl - sp - 1), nn = (size_t)(sp - p);
		unsigned char bin[16];
		int bits;
		if (an < sizeof a && nn < cap) {
			memcpy(a, sp + 1, an);
			a[an] = 0;
			if (il_cidr_parse(a, bin, &bits) == 0 && !memcmp(bin, addr, 16)) {
				memcpy(buf, p, nn);
				buf[nn] = 0;
				return buf;
			}
		}
		p = nl + 1;
	}
	return 0;
}

static int sockaddr_event(const unsigned char *sa, size_t len, struct il_net_event *ev)
{
	unsigned short family;
	if (len < sizeof family)
		return -1;
	memcpy(&family, sa, sizeof family);
	memset(ev->addr, 0, sizeof ev->addr);
	if (family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in in;
		memcpy(&in, sa, sizeof in);
		ev->addr[10] = ev->addr[11] = 0xff;
		memcpy(ev->addr + 12, &in.sin_addr, 4);
		ev->port = ntohs(in.sin_port);
	} else if (family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 in6;
		memcpy(&in6, sa, sizeof in6);
		memcpy(ev->addr, &in6.sin6_addr, 16);
		ev->port = ntohs(in6.sin6_port);
	} else {
		return -1;
	}
	ev->family = family;
	return 0;
}

/* Where the address of a connect is: connect(fd, addr, len), or a TCP Fast
 * Open sendto(fd, buf, n, MSG_FASTOPEN, addr, len) / sendmsg(fd, msghdr,
 * MSG_FASTOPEN) (the filter traps those only with the flag). 0 when the
 * call is none of these on the native ABI (abi[0]), or its msghdr cannot be
 * read. */
static int connect_address(const struct il_supervisor *s, const struct seccomp_notif *n, const struct abi *a,
			   enum sv_call call, uint64_t *addr, size_t *len, int *fastopen)
{
	const struct seccomp_data *d = &n->data;
	if (a != &s->abi[0])
		return 0;
	if (call == SV_CONNECT) {
		*addr = d->args[1], *len = (size_t)(uint32_t)d->args[2];
		return 1;
	}
	*fastopen = 1;
	if (call == SV_SENDTO) {
		*addr = d->args[4], *len = (size_t)(uint32_t)d->args[5];
		return 1;
	}
	if (call == SV_SENDMSG) {
		struct msghdr mh;
		if (il_sv_peek((pid_t)n->pid, d->args[1], &mh, sizeof mh) != (ssize_t)sizeof mh)
			return 0;
		*addr = (uint64_t)(uintptr_t)mh.msg_name, *len = mh.msg_namelen;
		return 1;
	}
	return 0;
}

void il_sv_on_connect(struct il_supervisor *s, const struct seccomp_notif *n, const struct abi *abi,
		      enum sv_call call)
{
	struct il_snap_view *view = &s->cfg.rules->view;
	if (!il_snap_has_connect_rules(view)) {
		il_sv_respond(s, n->id, 0);
		return;
	}
	/* Only the direct system calls are read; socketcall(2) (i386) and
	 * anything unexpected are refused while connect rules exist. */
	const struct seccomp_data *d = &n->data;
	pid_t tid = (pid_t)n->pid;
	unsigned char addr[128];
	uint64_t addr_at;
	size_t len;
	int fastopen = 0;
	if (!connect_address(s, n, abi, call, &addr_at, &len, &fastopen)) {
		il_sv_fail_closed(s, n->id, tid, "connect", "socket",
				  "interlock cannot read where this call connects (a 32-bit or socketcall(2) connect, or an "
				  "unreadable message header), and connect rules are in force");
		return;
	}
	if (!addr_at) { /* a Fast Open send without an address: nothing to connect */
		il_sv_respond(s, n->id, 0);
		return;
	}
	if (len > sizeof addr || il_sv_peek(tid, addr_at, addr, len) != (ssize_t)len) {
		if (il_sv_id_valid(s, n->id))
			il_sv_fail_closed(s, n->id, tid, "connect", "socket",
					  "interlock cannot read the address this call connects to, and connect rules "
					  "are in force");
		return;
	}
	if (!il_sv_id_valid(s, n->id))
		return; /* the thread is gone: nobody to answer */
	/* sock -1: a yes continues the call (a Fast Open send cannot be made for it) */
	struct sv_ctx c = { .tid = tid, .cwd = "/", .sock = fastopen ? -1 : (int)d->args[0], .addr = addr,
			     .addrlen = len };
	struct il_verdict v = { .action = IL_ALLOW, .rule = -1 };
	struct il_net_event ev = { .profile = s->cfg.profile, .envp = environ };
	char host[256];
	il_arena_init(&s->arena, s->mem, ARENA_SIZE);
	if (sockaddr_event(addr, len, &ev) == 0) {
		ev.host = pinned_name(view, ev.addr, host, sizeof host);
		il_judge_connect(view, &ev, &s->arena, &v);
	}
	/* No waiver for a process with the preload: the connects its hook
	 * judged carry the session's marker and never come here; this one is
	 * a raw system call (or libc's own), judged in full. A yes the hook
	 * got is found by il_sv_approved. */
	c.exe = v.argv ? v.argv[1] : "connect";
	il_sv_settle(s, n->id, &c, &v);
}
