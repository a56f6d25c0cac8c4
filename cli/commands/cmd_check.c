/* interlock check: one operation judged without doing it, by the same
 * judges the preload and the supervisor carry out (lib/engine/judge.c):
 * an exec (the default), an open, a delete, an rmdir, a rename or a
 * connect. Inside a guarded session (INTERLOCK_SNAPSHOT set) and without
 * --rules or --profile, it judges with that session's own snapshot, so it
 * answers exactly as the session would (files born in it, its HOME, its
 * protected paths); elsewhere it compiles the rules as `run` does. */
#include <getopt.h>
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

enum op { OP_EXEC, OP_OPEN, OP_DELETE, OP_RMDIR, OP_RENAME, OP_CONNECT };

static const char usage[] =
	"usage: interlock check [--rules DIR]... [--profile NAME] [--json] [--program NAME] -- ARGV...\n"
	"       interlock check [...] --open read|write|append|truncate|create -- PATH\n"
	"       interlock check [...] --delete|--rmdir -- PATH\n"
	"       interlock check [...] --rename -- FROM TO\n"
	"       interlock check [...] --connect -- HOST:PORT\n"
	"Judges one operation without doing it, as a guarded process would be judged:\n"
	"an exec of ARGV from the current directory (the default), an open, a delete,\n"
	"an rmdir, a rename or a connect. --program names the program making the call\n"
	"(rules exempt some by name: rm's own deletes are judged by its command line).\n"
	"Inside an interlock session it answers as that session would.\n"
	"With --json the last line is {\"action\",\"rule\",\"why\",\"confirm\",\"target\",\"command\",...}.\n";

/* Made absolute against cwd, symlinks resolved (opens), or lexically
 * (deletes judge the name as given). */
static const char *absolute(struct il_arena *a, const char *cwd, const char *p, int resolve)
{
	return resolve ? il_path_resolve(a, cwd, p) : il_path_abs(a, cwd, p);
}

static int judge(struct il_compiled *c, enum op op, unsigned access, int append, char **argv, int argc,
		 const char *cwd, const char *profile, const char *program, struct il_verdict *v)
{
	struct il_facts f = { environ, profile, (long)getpid(), program, 0, 0, 0, 0 };
	struct il_arena *a = il_scratch();
	char host[256];
	switch (op) {
	case OP_EXEC:
		return il_eval_argv(c, argv, cwd, profile, v, a);
	case OP_OPEN: {
		if (argc != 1)
			return -1;
		struct il_open_op o = { absolute(a, cwd, argv[0], 1), absolute(a, cwd, argv[0], 0), 0, access, append, 0,
					0 };
		return il_judge_open(&c->view, &o, &f, a, v);
	}
	case OP_DELETE:
	case OP_RMDIR:
	case OP_RENAME: {
		if (argc != (op == OP_RENAME ? 2 : 1))
			return -1;
		struct il_delete_op d = { absolute(a, cwd, argv[0], 0), 0,
					  op == OP_RENAME ? absolute(a, cwd, argv[1], 0) : 0,
					  op == OP_RENAME ? IL_DEL_RENAME : op == OP_RMDIR ? IL_DEL_RMDIR : IL_DEL_UNLINK,
					  0 };
		return il_judge_delete(&c->view, &d, &f, a, v);
	}
	case OP_CONNECT: {
		struct il_net_event nev = { .envp = environ, .profile = profile };
		if (argc != 1 || il_parse_endpoint(argv[0], &nev, host, sizeof host) < 0)
			return -1;
		return il_judge_connect(&c->view, &nev, a, v);
	}
	}
	return -1;
}

static void report(const struct il_verdict *v, int json, const char *profile)
{
	char cmd[2048] = "";
	if (v->cmd)
		il_format_argv(cmd, sizeof cmd, v->cmd->argv, v->cmd->argc);
	else if (v->what && v->action != IL_ALLOW)
		snprintf(cmd, sizeof cmd, "%s", v->what);
	if (v->action == IL_ALLOW)
		printf("allow: no rule matches\n");
	else
		printf("%s: %s (rule %s)%s%s\n", il_action_name(v->action), v->why ? v->why : "",
		       v->rule_id ? v->rule_id : "none", cmd[0] ? "\n  command: " : "", cmd);
	if (v->action == IL_CONFIRM)
		printf("  a human must type: %s\n", v->word);
	if (json) {
		printf("{");
		json_field("action", il_action_name(v->action), 1);
		json_field("rule", v->rule_id, 0);
		json_field("why", v->action == IL_ALLOW ? 0 : v->why, 0);
		json_field("confirm", v->action == IL_CONFIRM ? v->word : 0, 0);
		json_field("target", v->target, 0);
		json_field("command", cmd[0] ? cmd : 0, 0);
		json_field("event", v->event ? v->event : "exec", 0);
		json_field("profile", profile, 0);
		printf("}\n");
	}
}

int il_cmd_check(int argc, char **argv)
{
	static const struct option longs[] = {
		IL_COMMON_OPTIONS,
		{ "open", required_argument, 0, 'o' },	  { "delete", no_argument, 0, 'd' },
		{ "rmdir", no_argument, 0, 'D' },	  { "rename", no_argument, 0, 'm' },
		{ "connect", no_argument, 0, 'c' },	  { "program", required_argument, 0, 'P' },
		{ "help", no_argument, 0, 'h' },	  { 0, 0, 0, 0 },
	};
	struct il_opts o = { 0 };
	enum op op = OP_EXEC;
	unsigned access = 0;
	int append = 0;
	const char *program = 0;
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:h", longs, 0)) != -1) {
		int r = il_common_optarg(&o, ch, optarg, "check");
		if (r < 0)
			return EXIT_INTERLOCK;
		if (r)
			continue;
		switch (ch) {
		case 'o':
			op = OP_OPEN;
			append = !strcmp(optarg, "append");
			access = append ? IL_A_WRITE : il_access_parse(optarg);
			if (!access) {
				fprintf(stderr, "interlock check: --open takes read, write, append, truncate or create\n");
				return EXIT_INTERLOCK;
			}
			break;
		case 'd':
			op = OP_DELETE;
			break;
		case 'D':
			op = OP_RMDIR;
			break;
		case 'm':
			op = OP_RENAME;
			break;
		case 'c':
			op = OP_CONNECT;
			break;
		case 'P':
			program = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return il_bad_option("check", ch, argv);
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return EXIT_INTERLOCK;
	}
	struct il_compiled c;
	const char *snap = getenv("INTERLOCK_SNAPSHOT");
	int rc = !o.nrules && !o.profile && snap && *snap && il_session_open(&c, snap) == 0
			 ? 0
			 : il_compile_for_check(&c, &o);
	if (rc)
		return rc;
	const char *profile = o.profile ? o.profile : getenv("INTERLOCK_PROFILE");
	char cwd[4096];
	if (!getcwd(cwd, sizeof cwd))
		strcpy(cwd, "/");
	struct il_verdict v;
	if (judge(&c, op, access, append, argv + optind, argc - optind, cwd, profile, program, &v) < 0) {
		fprintf(stderr, "interlock check: wrong operands\n%s", usage);
		il_compiled_free(&c);
		return EXIT_INTERLOCK;
	}
	report(&v, o.json, profile);
	il_compiled_free(&c);
	return 0;
}
