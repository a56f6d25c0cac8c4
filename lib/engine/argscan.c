/* Classifying a command's arguments into options and operands the way GNU
 * getopt would (options may follow operands; `--` ends them), using the
 * program's traits to know which options take a value. */
#include "engine_int.h"

int il_list_has(const char *list, const char *word, size_t n)
{
	if (!list)
		return 0;
	while (*list) {
		while (*list == ' ' || *list == '\t')
			list++;
		size_t k = 0;
		while (list[k] && list[k] != ' ' && list[k] != '\t')
			k++;
		if (k == n && k && il_strneq(list, word, n))
			return 1;
		list += k;
	}
	return 0;
}

static void push(const char ***arr, int *n, int cap, const char *s)
{
	if (*n < cap)
		(*arr)[(*n)++] = s;
}

int il_leading_option(const char *list, const char *s)
{
	if (!list)
		return 0;
	/* exact (-L), or a two-letter option with its value attached (-O3) */
	return il_list_has(list, s, il_strlen(s)) || (s[1] && s[2] && il_list_has(list, s, 2));
}

const struct il_snap_prog *il_snap_sub_prog(const struct il_snap_view *v, const char *name, const char *sub, size_t n)
{
	char both[256];
	size_t nl = il_strlen(name);
	if (!n || nl + n + 2 > sizeof both)
		return 0;
	il_memcpy(both, name, nl);
	both[nl] = ' ';
	il_memcpy(both + nl + 1, sub, n);
	both[nl + 1 + n] = 0;
	return il_snap_prog_for(v, both);
}

static void note_option(struct il_argscan *out, const char *help, const char *name, size_t n)
{
	if (help && il_list_has(help, name, n))
		out->help = 1;
}

void il_argscan(struct il_arena *a, const struct il_snap_view *v, const struct il_cmd *cmd,
		struct il_argscan *out)
{
	const struct il_snap_prog *p = il_snap_prog_for(v, cmd->name);
	const char *valopts = p ? il_snap_str(v, p->value_options) : 0;
	const char *help = p ? il_snap_str(v, p->help_options) : 0;
	int sub_looked = !p; /* [program git checkout]: after `checkout`, its own options */
	const char *leadopts = p ? il_snap_str(v, p->leading_options) : 0;
	int single_long = p && (p->flags & IL_T_SINGLE_DASH_LONG);
	int cap = cmd->argc + 1;
	size_t optcap = 1;
	for (int i = 1; i < cmd->argc; i++)
		if (cmd->argv[i][0] == '-')
			optcap += il_strlen(cmd->argv[i]);
	out->options = il_arena_alloc(a, sizeof(char *) * optcap);
	out->operands = il_arena_alloc(a, sizeof(char *) * (size_t)cap);
	out->noptions = out->noperands = out->nleading = out->help = 0;
	if (!out->options || !out->operands)
		return;
	int seen_option = 0, ddash = 0;
	for (int i = 1; i < cmd->argc; i++) {
		const char *s = cmd->argv[i];
		if (ddash || s[0] != '-' || !s[1]) {
			push(&out->operands, &out->noperands, cap, s);
			if (!seen_option)
				out->nleading++;
			if (!sub_looked) {
				sub_looked = 1;
				const struct il_snap_prog *sub = il_snap_sub_prog(v, cmd->name, s, il_strlen(s));
				if (sub) {
					valopts = il_snap_str(v, sub->value_options);
					if (sub->help_options != IL_NONE)
						help = il_snap_str(v, sub->help_options);
				}
			}
			continue;
		}
		if (s[1] == '-' && !s[2]) {
			ddash = 1;
			continue;
		}
		if (!out->noperands && il_leading_option(leadopts, s))
			; /* find -L: still before the starting points */
		else
			seen_option = 1;
		if (s[1] == '-' || single_long) {
			size_t n = 0;
			while (s[n] && s[n] != '=')
				n++;
			push(&out->options, &out->noptions, (int)optcap, s[n] ? il_arena_strndup(a, s, n) : s);
			note_option(out, help, s, n);
			if (!s[n] && il_list_has(valopts, s, n) && i + 1 < cmd->argc)
				i++;
			continue;
		}
		/* A cluster of short options: -rf is -r -f; a value option takes
		 * the rest of the cluster or the next argument. */
		for (int j = 1; s[j]; j++) {
			char opt[3] = { '-', s[j], 0 };
			push(&out->options, &out->noptions, (int)optcap, il_arena_strndup(a, opt, 2));
			note_option(out, help, opt, 2);
			if (il_list_has(valopts, opt, 2)) {
				if (!s[j + 1] && i + 1 < cmd->argc)
					i++;
				break;
			}
		}
	}
}
