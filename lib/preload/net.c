/* connect and the resolver. The resolver hooks remember which host name
 * each returned address came from, so that a connect rule can name
 * `*.railway.app` although connect() only sees an address. Unix sockets pass
 * untouched; with no connect rule in the session every connect passes after
 * one check of the family. A refused connect fails with EACCES: clients
 * report "Permission denied", which says "policy" rather than "server down"
 * (ECONNREFUSED would make them retry and fall back to other addresses). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "il.h"
#include "preload.h"
#include "rawsys.h"

/* ---- address -> name, per process ---- */

#define NAMES 128
static struct {
	unsigned char addr[16];
	char name[248];
} names[NAMES];
static unsigned names_next;

static void map_v4(unsigned char out[16], const void *a4)
{
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, a4, 4);
}

static int sockaddr_key(const struct sockaddr *sa, unsigned char out[16], unsigned *port)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		map_v4(out, &in->sin_addr);
		*port = ntohs(in->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		memcpy(out, &in6->sin6_addr, 16);
		*port = ntohs(in6->sin6_port);
		return 0;
	}
	return -1;
}

static void remember(const unsigned char addr[16], const char *name)
{
	size_t n = name ? il_strlen(name) : 0;
	if (!n || n >= sizeof names[0].name)
		return;
	unsigned i = __atomic_fetch_add(&names_next, 1, __ATOMIC_RELAXED) % NAMES;
	memcpy(names[i].addr, addr, 16);
	memcpy(names[i].name, name, n + 1);
}

static const char *name_of(const unsigned char addr[16], char *buf, size_t cap)
{
	unsigned last = __atomic_load_n(&names_next, __ATOMIC_RELAXED);
	for (unsigned k = 0; k < NAMES && k < last; k++) {
		unsigned i = (last - 1 - k) % NAMES; /* newest first */
		if (!memcmp(names[i].addr, addr, 16)) {
			size_t n = il_strlen(names[i].name);
			if (n < cap) {
				memcpy(buf, names[i].name, n + 1);
				return buf;
			}
		}
	}
	return 0;
}

static void remember_ai(const struct addrinfo *ai, const char *node)
{
	for (; ai; ai = ai->ai_next) {
		unsigned char key[16];
		unsigned port;
		if (ai->ai_addr && sockaddr_key(ai->ai_addr, key, &port) == 0)
			remember(key, node);
	}
}

static void remember_hostent(const struct hostent *h, const char *name)
{
	if (!h)
		return;
	for (char **p = h->h_addr_list; p && *p; p++) {
		unsigned char key[16];
		if (h->h_addrtype == AF_INET)
			map_v4(key, *p);
		else if (h->h_addrtype == AF_INET6)
			memcpy(key, *p, 16);
		else
			continue;
		remember(key, name);
	}
}


static void *r_sendto, *r_getaddrinfo, *r_ghbn, *r_ghbn_r, *r_ghbn2, *r_ghbn2_r;

/* ---- the decision ---- */

static int check_connect(const struct sockaddr *sa, socklen_t len)
{
	if (!sa || len < (socklen_t)sizeof(sa_family_t) || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return 0;
	int saved = errno, broken = 0;
	struct il_snap_view *v = il_snapshot(&broken);
	if (!v || !il_snap_has_connect_rules(v)) {
		errno = saved;
		return 0;
	}
	struct il_net_event ev = { .family = sa->sa_family, .envp = environ, .profile = il_sess.profile };
	if (sockaddr_key(sa, ev.addr, &ev.port) < 0) {
		errno = saved;
		return 0;
	}
	char host[256];
	ev.host = name_of(ev.addr, host, sizeof host);
	struct il_scratch sc;
	if (il_scratch_open(&sc, 512u << 10) < 0) {
		errno = EACCES;
		return -1;
	}
	struct il_verdict verdict;
	il_judge_connect(v, &ev, &sc.a, &verdict);
	int result = 0;
	if (verdict.action >= IL_LOG)
		result = il_settle(v, &verdict, verdict.argv ? verdict.argv[1] : "connect", sc.text, IL_TEXT_SIZE);
	il_scratch_close(&sc);
	errno = result ? EACCES : saved;
	return result;
}

/* The connect itself is the kernel's, marked (rawsys.h): the supervisor
 * need not judge it again. The address is judged and connected to from
 * our own copy, so another thread rewriting the caller's after the check
 * gains nothing (the supervisor's emulation closes the same race for the
 * calls it sees). An address larger than any the kernel takes goes
 * unmarked, to the kernel's own error through the supervisor. */
IL_EXPORT int connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_storage copy;
	if (!sa || len > sizeof copy)
		return (int)il_sys4(SYS_connect, fd, (long)sa, (long)len, 0);
	il_memcpy(&copy, sa, len);
	if (check_connect((const struct sockaddr *)&copy, len) < 0)
		return -1;
	return (int)il_sysm(SYS_connect, fd, (long)&copy, (long)len, 0, 0);
}

/* TCP fast open connects inside sendto. */
IL_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *sa, socklen_t len)
{
	ssize_t (*fn)(int, const void *, size_t, int, const struct sockaddr *, socklen_t) = il_next(&r_sendto, "sendto");
	if (!fn) {
		errno = ENOSYS;
		return -1;
	}
	if ((flags & MSG_FASTOPEN) && check_connect(sa, len) < 0)
		return -1;
	return fn(fd, buf, n, flags, sa, len);
}

/* A name the session pinned (INTERLOCK_HOSTS) resolves to its address
 * here; the result is laid out like glibc's, one block per entry, so that
 * freeaddrinfo() frees it. */
static int pinned(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res)
{
	int broken = 0;
	struct il_snap_view *v = node ? il_snapshot(&broken) : 0;
	char addr[64];
	if (!v || !il_snap_pinned_host(v, node, addr, sizeof addr))
		return -1;
	unsigned char a4[4], a6[16];
	int family = inet_pton(AF_INET, addr, a4) == 1 ? AF_INET : inet_pton(AF_INET6, addr, a6) == 1 ? AF_INET6 : 0;
	if (!family || (hints && hints->ai_family != AF_UNSPEC && hints->ai_family != family))
		return -1;
	unsigned port = 0;
	if (service) {
		char *end;
		long p = strtol(service, &end, 10);
		if (*end) {
			struct servent se, *sp = 0;
			char sb[1024];
			if (getservbyname_r(service, "tcp", &se, sb, sizeof sb, &sp) != 0 || !sp)
				return -1;
			port = ntohs((uint16_t)sp->s_port);
		} else {
			port = (unsigned)p;
		}
	}
	struct addrinfo *ai = calloc(1, sizeof *ai + sizeof(struct sockaddr_in6));
	if (!ai)
		return -1;
	ai->ai_family = family;
	ai->ai_socktype = hints && hints->ai_socktype ? hints->ai_socktype : SOCK_STREAM;
	ai->ai_protocol = hints && hints->ai_protocol ? hints->ai_protocol
			: ai->ai_socktype == SOCK_DGRAM ? IPPROTO_UDP : IPPROTO_TCP;
	ai->ai_addr = (struct sockaddr *)(ai + 1);
	if (family == AF_INET) {
		struct sockaddr_in *in = (void *)ai->ai_addr;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		memcpy(&in->sin_addr, a4, 4);
		ai->ai_addrlen = sizeof *in;
	} else {
		struct sockaddr_in6 *in6 = (void *)ai->ai_addr;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		memcpy(&in6->sin6_addr, a6, 16);
		ai->ai_addrlen = sizeof *in6;
	}
	*res = ai;
	return 0;
}

IL_EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
			  struct addrinfo **res)
{
	int (*fn)(const char *, const char *, const struct addrinfo *, struct addrinfo **) =
		il_next(&r_getaddrinfo, "getaddrinfo");
	if (pinned(node, service, hints, res) == 0) {
		remember_ai(*res, node);
		return 0;
	}
	if (!fn)
		return EAI_SYSTEM;
	int rc = fn(node, service, hints, res);
	if (rc == 0 && node)
		remember_ai(*res, node);
	return rc;
}

IL_EXPORT struct hostent *gethostbyname(const char *name)
{
	struct hostent *(*fn)(const char *) = il_next(&r_ghbn, "gethostbyname");
	struct hostent *h = fn ? fn(name) : 0;
	remember_hostent(h, name);
	return h;
}

IL_EXPORT struct hostent *gethostbyname2(const char *name, int af)
{
	struct hostent *(*fn)(const char *, int) = il_next(&r_ghbn2, "gethostbyname2");
	struct hostent *h = fn ? fn(name, af) : 0;
	remember_hostent(h, name);
	return h;
}

IL_EXPORT int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t len, struct hostent **result,
			      int *err)
{
	int (*fn)(const char *, struct hostent *, char *, size_t, struct hostent **, int *) =
		il_next(&r_ghbn_r, "gethostbyname_r");
	if (!fn)
		return ENOSYS;
	int rc = fn(name, ret, buf, len, result, err);
	if (rc == 0 && result)
		remember_hostent(*result, name);
	return rc;
}

IL_EXPORT int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf, size_t len,
			       struct hostent **result, int *err)
{
	int (*fn)(const char *, int, struct hostent *, char *, size_t, struct hostent **, int *) =
		il_next(&r_ghbn2_r, "gethostbyname2_r");
	if (!fn)
		return ENOSYS;
	int rc = fn(name, af, ret, buf, len, result, err);
	if (rc == 0 && result)
		remember_hostent(*result, name);
	return rc;
}
