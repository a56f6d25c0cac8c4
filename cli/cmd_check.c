/* interlock check: evaluate one exec without running it. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

extern char **environ;

static void json_field(const char *name, const char *value, int first)
{
	size_t cap = (value ? strlen(value) * 6 : 0) + 16;
	char *buf = malloc(cap);
	if (!buf)
		abort();
	if (!value || !il_json_quote(buf, cap, value))
		strcpy(buf, "null");
	printf("%s\"%s\":%s", first ? "" : ",", name, buf);
	free(buf);
}

int il_cmd_check(int argc, char **argv)
{
	struct il_opts o = { 0 };
	unsigned open_access = 0;
	int connect_mode = 0;
	int i;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			puts("usage: interlock check [--rules DIR]... [--profile NAME] [--json] -- ARGV...\n"
			     "       interlock check [...] --open read|write|truncate|create -- PATH\n"
			     "Evaluates one exec of ARGV from the current directory without running it.\n"
			     "With --json the last line is {\"action\",\"rule\",\"why\",...}.");
			return 0;
		}
		if (!strcmp(argv[i], "--connect")) {
			connect_mode = 1;
			continue;
		}
		if (!strcmp(argv[i], "--open") && i + 1 < argc) {
			open_access = il_access_parse(argv[++i]);
			if (!open_access) {
				fprintf(stderr, "interlock check: --open takes read, write, truncate or create\n");
				return EXIT_INTERLOCK;
			}
			continue;
		}
		int r = il_common_opt(&o, argc, argv, &i);
		if (r < 0)
			return EXIT_INTERLOCK;
		if (r == 0) {
			if (argv[i][0] == '-') {
				fprintf(stderr, "interlock check: unknown option '%s'\n", argv[i]);
				return EXIT_INTERLOCK;
			}
			break;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "usage: interlock check [--rules DIR]... [--json] -- ARGV...\n");
		return EXIT_INTERLOCK;
	}
	struct il_compiled c;
	int rc = il_compile(&c, &o, &(struct il_session_meta){ .home = getenv("HOME"), .profile = o.profile });
	if (rc) {
		return rc;
	}
	char cwd[4096];
	if (!getcwd(cwd, sizeof cwd))
		strcpy(cwd, "/");
	struct il_verdict v;
	char host[256];
	if (connect_mode) {
		struct il_net_event nev = { .envp = environ, .profile = o.profile };
		if (il_parse_endpoint(argv[i], &nev, host, sizeof host) < 0) {
			fprintf(stderr, "interlock check: --connect takes HOST:PORT\n");
			il_compiled_free(&c);
			return EXIT_INTERLOCK;
		}
		il_decide_connect(&c.view, &nev, il_scratch(), &v, -1);
	} else if (open_access) {
		struct il_open_event ev = { argv[i], cwd, open_access, environ, o.profile, (long)getpid(), 0, 0, 0 };
		il_decide_open(&c.view, &ev, il_scratch(), &v, -1);
	} else {
		il_eval_argv(&c, argv + i, cwd, o.profile, &v, il_scratch());
	}
	char cmd[2048] = "";
	if (v.cmd)
		il_format_argv(cmd, sizeof cmd, v.cmd->argv, v.cmd->argc);
	if (v.action == IL_ALLOW)
		printf("allow: no rule matches\n");
	else
		printf("%s: %s (rule %s)%s%s%s\n", il_action_name(v.action), v.why ? v.why : "",
		       v.rule_id ? v.rule_id : "none", cmd[0] ? "\n  command: " : "", cmd,
		       v.action == IL_CONFIRM ? "" : "");
	if (v.action == IL_CONFIRM)
		printf("  a human must type: %s\n", v.word);
	if (o.json) {
		printf("{");
		json_field("action", il_action_name(v.action), 1);
		json_field("rule", v.rule_id, 0);
		json_field("why", v.action == IL_ALLOW ? 0 : v.why, 0);
		json_field("confirm", v.action == IL_CONFIRM ? v.word : 0, 0);
		json_field("target", v.target, 0);
		json_field("command", cmd[0] ? cmd : 0, 0);
		json_field("profile", o.profile, 0);
		printf("}\n");
	}
	il_compiled_free(&c);
	return 0;
}
