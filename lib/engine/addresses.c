/* Addresses, ports and host names for connect rules. Heap-free. */
#include <arpa/inet.h>
#include <sys/socket.h>

#include "engine_int.h"

int il_cidr_parse(const char *s, unsigned char addr[16], int *bits)
{
	char buf[64];
	size_t n = 0;
	while (s[n] && s[n] != '/' && n < sizeof buf - 1) {
		buf[n] = s[n];
		n++;
	}
	buf[n] = 0;
	int v4 = 0;
	unsigned char a4[4];
	if (inet_pton(AF_INET, buf, a4) == 1) {
		v4 = 1;
		for (int i = 0; i < 10; i++)
			addr[i] = 0;
		addr[10] = addr[11] = 0xff;
		il_memcpy(addr + 12, a4, 4);
	} else if (inet_pton(AF_INET6, buf, addr) != 1) {
		return -1;
	}
	*bits = 128;
	if (s[n] == '/') {
		const char *p = s + n + 1;
		int b = 0, digits = 0;
		while (*p >= '0' && *p <= '9' && digits < 4)
			b = b * 10 + (*p++ - '0'), digits++;
		if (*p || !digits || b > (v4 ? 32 : 128))
			return -1;
		*bits = v4 ? 96 + b : b;
	} else if (s[n]) {
		return -1;
	}
	return 0;
}

static int in_prefix(const unsigned char *a, const unsigned char *net, int bits)
{
	int full = bits / 8, rest = bits % 8;
	for (int i = 0; i < full; i++)
		if (a[i] != net[i])
			return 0;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));
		if ((a[full] & mask) != (net[full] & mask))
			return 0;
	}
	return 1;
}

/* Does any address/CIDR of the space-separated list contain addr? */
int il_cidr_list_has(const char *list, const unsigned char addr[16])
{
	char w[64];
	while (list && *list) {
		while (*list == ' ' || *list == '\t' || *list == ',')
			list++;
		size_t n = 0;
		while (list[n] && list[n] != ' ' && list[n] != '\t' && list[n] != ',')
			n++;
		if (n && n < sizeof w) {
			il_memcpy(w, list, n);
			w[n] = 0;
			unsigned char net[16];
			int bits;
			if (il_cidr_parse(w, net, &bits) == 0 && in_prefix(addr, net, bits))
				return 1;
		}
		list += n;
	}
	return 0;
}

int il_port_list_has(const char *list, unsigned port)
{
	while (list && *list) {
		while (*list == ' ' || *list == '\t' || *list == ',')
			list++;
		unsigned lo = 0, hi;
		int any = 0;
		while (*list >= '0' && *list <= '9')
			lo = lo * 10 + (unsigned)(*list++ - '0'), any = 1;
		hi = lo;
		if (*list == '-') {
			list++;
			hi = 0;
			while (*list >= '0' && *list <= '9')
				hi = hi * 10 + (unsigned)(*list++ - '0');
		}
		if (any && port >= lo && port <= hi)
			return 1;
		while (*list && *list != ' ' && *list != '\t' && *list != ',')
			list++;
	}
	return 0;
}

int il_snap_has_connect_rules(const struct il_snap_view *v)
{
	return v->hdr->nconnect != 0;
}

/* "name address\n" lines pinned by the session (INTERLOCK_HOSTS): the
 * address for name, copied into buf. Names compare case-insensitively. */
const char *il_snap_pinned_host(const struct il_snap_view *v, const char *name, char *buf, size_t cap)
{
	const char *p = il_snap_str(v, v->hdr->hosts);
	size_t nl = il_strlen(name);
	while (p && *p) {
		const char *e = p;
		while (*e && *e != ' ' && *e != '\n')
			e++;
		int same = (size_t)(e - p) == nl;
		for (size_t i = 0; same && i < nl; i++) {
			char a = p[i], b = name[i];
			if (a >= 'A' && a <= 'Z')
				a = (char)(a + 32);
			if (b >= 'A' && b <= 'Z')
				b = (char)(b + 32);
			same = a == b;
		}
		const char *addr = *e == ' ' ? e + 1 : e;
		const char *end = addr;
		while (*end && *end != '\n')
			end++;
		if (same && (size_t)(end - addr) < cap) {
			il_memcpy(buf, addr, (size_t)(end - addr));
			buf[end - addr] = 0;
			return buf;
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}
