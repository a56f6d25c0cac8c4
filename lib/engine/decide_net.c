/* Deciding one connect: the connect rules by port, host name and address. */
#include "decide_int.h"

void il_format_addr(char *buf, size_t cap, const unsigned char addr[16])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	int v4 = 1;
	for (int i = 0; i < 10; i++)
		v4 &= addr[i] == 0;
	v4 &= addr[10] == 0xff && addr[11] == 0xff;
	if (v4) {
		for (int i = 12; i < 16 && o + 5 < cap; i++) {
			unsigned b = addr[i];
			if (i > 12)
				buf[o++] = '.';
			if (b >= 100)
				buf[o++] = (char)('0' + b / 100);
			if (b >= 10)
				buf[o++] = (char)('0' + b / 10 % 10);
			buf[o++] = (char)('0' + b % 10);
		}
	} else {
		for (int i = 0; i < 16 && o + 6 < cap; i += 2) {
			if (i)
				buf[o++] = ':';
			buf[o++] = hex[addr[i] >> 4], buf[o++] = hex[addr[i] & 15];
			buf[o++] = hex[addr[i + 1] >> 4], buf[o++] = hex[addr[i + 1] & 15];
		}
	}
	buf[o] = 0;
}

int il_decide_connect(struct il_snap_view *v, const struct il_net_event *ev, struct il_arena *a,
		      struct il_verdict *out, int only_rule)
{
	struct il_exec_event xev = { 0, 0, ev->envp, "/", ev->profile, 0, 0, 0, 0, 0 };
	struct dctx d;
	if (il_dec_setup(&d, v, &xev, a, out, only_rule) < 0)
		return -1;
	char *addr = il_arena_alloc(a, 64);
	if (!addr)
		return il_dec_fail(out);
	il_format_addr(addr, 64, ev->addr);
	const uint32_t *ci = (const void *)(v->base + v->hdr->connect_rules);
	for (uint32_t i = 0; i < v->hdr->nconnect; i++) {
		if (only_rule >= 0 && ci[i] != (uint32_t)only_rule)
			continue;
		const struct il_snap_rule *r = il_snap_rule(v, ci[i]);
		if ((int)r->action <= out->action || !il_dec_profile_active(&d, r))
			continue;
		if (r->ports != IL_NONE && !il_port_list_has(il_snap_str(v, r->ports), ev->port))
			continue;
		/* A rule with both hosts and addresses matches either. */
		int named = r->hosts != IL_NONE && ev->host && il_snap_globs_match(v, r->hosts, ev->host);
		int addressed = r->addresses != IL_NONE && il_cidr_list_has(il_snap_str(v, r->addresses), ev->addr);
		if ((r->hosts != IL_NONE || r->addresses != IL_NONE) && !named && !addressed)
			continue;
		out->action = (int)r->action;
		out->rule = (int)ci[i];
		out->rule_id = il_snap_str(v, r->id);
		out->why = il_snap_str(v, r->why);
		out->target = ev->host && *ev->host ? ev->host : addr;
		out->cmd = 0;
		il_dec_expand_word(out->word, sizeof out->word, il_snap_str(v, r->confirm), out->target);
	}
	return 0;
}
