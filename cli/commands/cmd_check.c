/* interlock check: one operation judged without doing it, by the same
 * judges the preload and the supervisor carry out (lib/engine/judge.c):
 * an exec (the default), an open, a delete, an rmdir, a rename or a
 * connect. Inside a guarded session (INTERLOCK_SNAPSHOT set) and without
 * --rules or --profile, it judges with that session's own snapshot, so it
 * answers exactly as the session would (files born in it, its HOME, its
 * protected paths); elsewhere it compiles the rules as `run` does.
 *
 * An exec is given as its argv (`check -- git push --force`) or as a shell
 * command line (`check -c 'git push --force'`, judged as `sh -c` would run
 * it). One operand with whitespace in it is ambiguous: it is judged as a
 * command line when no program has that name, and stderr says so; --argv
 * and --shell settle it either way.
 *
 * Exit status by verdict, for scripts: 0 allow or log, 2 confirm, 3 deny;
 * 125 when the question could not be asked (bad usage, bad rules). With
 * --json stdout is exactly one JSON object and the human-readable lines go
 * to stderr. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

extern char **environ;

enum op { OP_EXEC, OP_OPEN, OP_DELETE, OP_RMDIR, OP_RENAME, OP_CONNECT };

/* The verdict as the exit status (docs/interlock.1, EXIT STATUS). */
enum { EXIT_CONFIRM = 2, EXIT_DENY = 3 };

static const char usage[] =
	"usage: interlock check [--rules DIR]... [--profile NAME] [--json] [--program NAME]\n"
	"                       [--argv | --shell] -- ARGV...\n"
	"       interlock check [...] -c 'COMMAND LINE'\n"
	"       interlock check [...] --open read|write|append|truncate|create -- PATH\n"
	"       interlock check [...] --delete|--rmdir -- PATH\n"
	"       interlock check [...] --rename -- FROM TO\n"
	"       interlock check [...] --connect -- HOST:PORT\n"
	"Judges one operation without doing it, as a guarded process would be judged:\n"
	"an exec from the current directory (the default), an open, a delete, an rmdir,\n"
	"a rename or a connect. Inside an interlock session it answers as that session\n"
	"would.\n"
	"  --argv            ARGV is the exec's argument vector, ARGV[0] the program, even\n"
	"                    when it is one word with spaces in it\n"
	"  --shell, -c LINE  judge one shell command line, as `sh -c LINE` would run it\n"
	"                    (every command in it: pipes, ;, &&, $(...), bash -c ...)\n"
	"                    Without either, ARGV is an argv, except one operand that has\n"
	"                    whitespace in it and names no program (check -- 'git push -f'):\n"
	"                    that is judged as a shell command line, and stderr says so.\n"
	"  --program NAME    the program making the call (rules exempt some by name: rm's\n"
	"                    own deletes are judged by its command line)\n"
	"  --json            stdout is one JSON object: {\"action\",\"rule\",\"why\",\"confirm\",\n"
	"                    \"target\",\"command\",\"event\",\"profile\",\"input\"}; the\n"
	"                    human-readable lines go to stderr\n"
	"Exit status: 0 allow or log, 2 confirm (a human must approve), 3 deny,\n"
	"125 when nothing could be judged (bad usage, bad rules, a --rules DIR that does\n"
	"not exist, a --profile no rule names).\n";

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
					0, 0 };
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
					  0, 0, 0 };
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

/* How an exec's operands are read: --argv, --shell / -c, or neither. */
enum input { IN_AUTO, IN_ARGV, IN_SHELL };

/* Whether name is a program that can be executed (a path to one, or found
 * on PATH as the exec would find it). */
static int program_exists(const char *name)
{
	char buf[4096];
	const char *path = il_program_path(name, buf, sizeof buf);
	return strchr(path, '/') && access(path, X_OK) == 0;
}

/* The argv to judge: the operands, or `sh -c LINE` for a command line
 * (the shell rules peel it like any guarded `sh -c`). *shell says which.
 * NULL, with a message, when the operands do not fit the input asked for. */
static char **exec_argv(enum input in, const char *line, char **ops, int nops, int *shell)
{
	static char *sh[] = { "sh", "-c", 0, 0 };
	if (line || in == IN_SHELL) {
		if (line ? nops != 0 : nops != 1) {
			fprintf(stderr, "interlock check: %s takes one command line%s\n", line ? "-c" : "--shell",
				line ? "; nothing after it" : " after --");
			return 0;
		}
		sh[2] = (char *)(line ? line : ops[0]);
		*shell = 1;
		return sh;
	}
	*shell = 0;
	if (in == IN_ARGV || nops != 1 || !ops[0][strcspn(ops[0], " \t\n")])
		return ops;
	/* One word with whitespace: a command line passed as one string, or
	 * (rarely) a program whose name has spaces. Said either way. */
	if (program_exists(ops[0])) {
		fprintf(stderr, "interlock check: '%s' is a program; judged as that program (--shell judges it as "
				"a command line)\n", ops[0]);
		return ops;
	}
	fprintf(stderr, "interlock check: no program is called '%s'; judged as a shell command line, as with "
			"-c (--argv judges it as one program name)\n", ops[0]);
	sh[2] = ops[0];
	*shell = 1;
	return sh;
}

/* The human-readable verdict, to f (stderr when stdout is for --json). */
static void report_text(FILE *f, const struct il_verdict *v, const char *cmd)
{
	if (v->action == IL_ALLOW)
		fprintf(f, "allow: no rule matches\n");
	else
		fprintf(f, "%s: %s (rule %s)%s%s\n", il_action_name(v->action), v->why ? v->why : "",
			v->rule_id ? v->rule_id : "none", cmd[0] ? "\n  command: " : "", cmd);
	if (v->action == IL_CONFIRM)
		fprintf(f, "  a human must type: %s\n", v->word);
}

/* The one JSON object of --json, on one line. input: "argv" or "shell"
 * for an exec, null for the other operations. */
static void report_json(const struct il_verdict *v, const char *cmd, const char *profile, const char *input)
{
	printf("{");
	il_print_json_field("action", il_action_name(v->action), 1);
	il_print_json_field("rule", v->rule_id, 0);
	il_print_json_field("why", v->action == IL_ALLOW ? 0 : v->why, 0);
	il_print_json_field("confirm", v->action == IL_CONFIRM ? v->word : 0, 0);
	il_print_json_field("target", v->target, 0);
	il_print_json_field("command", cmd[0] ? cmd : 0, 0);
	il_print_json_field("event", v->event ? v->event : "exec", 0);
	il_print_json_field("profile", profile, 0);
	il_print_json_field("input", input, 0);
	printf("}\n");
}

static int report(const struct il_verdict *v, int json, const char *profile, const char *input)
{
	char cmd[2048] = "";
	if (v->cmd)
		il_format_argv(cmd, sizeof cmd, v->cmd->argv, v->cmd->argc);
	else if (v->what && v->action != IL_ALLOW)
		snprintf(cmd, sizeof cmd, "%s", v->what);
	report_text(json ? stderr : stdout, v, cmd);
	if (json)
		report_json(v, cmd, profile, input);
	return v->action == IL_CONFIRM ? EXIT_CONFIRM : v->action == IL_DENY ? EXIT_DENY : 0;
}

/* The rule set to judge with: the session's own snapshot inside a session
 * (unless --rules or --profile asks for another), else the rules compiled
 * as `run` would. 0 or EXIT_INTERLOCK. */
static int load_rules(struct il_compiled *c, const struct il_opts *o)
{
	const char *snap = getenv("INTERLOCK_SNAPSHOT");
	if (!o->nrules && !o->profile && snap && *snap && il_session_open(c, snap) == 0)
		return 0;
	return il_compile_for_check(c, o);
}

int il_cmd_check(int argc, char **argv)
{
	static const struct option longs[] = {
		IL_COMMON_OPTIONS,
		{ "open", required_argument, 0, 'o' },	  { "delete", no_argument, 0, 'd' },
		{ "rmdir", no_argument, 0, 'D' },	  { "rename", no_argument, 0, 'm' },
		{ "connect", no_argument, 0, 'C' },	  { "program", required_argument, 0, 'P' },
		{ "shell", no_argument, 0, 'S' },	  { "argv", no_argument, 0, 'A' },
		{ "help", no_argument, 0, 'h' },	  { 0, 0, 0, 0 },
	};
	struct il_opts o = { 0 };
	enum op op = OP_EXEC;
	enum input in = IN_AUTO;
	unsigned access = 0;
	int append = 0;
	const char *program = 0, *line = 0;
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:hc:", longs, 0)) != -1) {
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
		case 'C':
			op = OP_CONNECT;
			break;
		case 'P':
			program = optarg;
			break;
		case 'c':
			line = optarg;
			/* fall through */
		case 'S':
		case 'A':
			if (in != IN_AUTO && in != (ch == 'A' ? IN_ARGV : IN_SHELL)) {
				fprintf(stderr, "interlock check: --argv and --shell/-c say opposite things; give one\n");
				return EXIT_INTERLOCK;
			}
			in = ch == 'A' ? IN_ARGV : IN_SHELL;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return il_bad_option("check", ch, argv);
		}
	}
	if (in != IN_AUTO && op != OP_EXEC) {
		fprintf(stderr, "interlock check: --argv, --shell and -c are for an exec, not with --open, --delete, "
				"--rmdir, --rename or --connect\n");
		return EXIT_INTERLOCK;
	}
	char **ops = argv + optind;
	int nops = argc - optind;
	if (!nops && !line) {
		fputs(usage, stderr);
		return EXIT_INTERLOCK;
	}
	int shell = 0;
	if (op == OP_EXEC && !(ops = exec_argv(in, line, ops, nops, &shell)))
		return EXIT_INTERLOCK;
	if (shell)
		nops = 3;
	struct il_compiled c;
	int rc = load_rules(&c, &o);
	if (rc)
		return rc;
	const char *profile = o.profile ? o.profile : getenv("INTERLOCK_PROFILE");
	char cwd[4096];
	if (!getcwd(cwd, sizeof cwd))
		strcpy(cwd, "/");
	struct il_verdict v;
	if (judge(&c, op, access, append, ops, nops, cwd, profile, program, &v) < 0) {
		fprintf(stderr, "interlock check: wrong operands\n%s", usage);
		il_compiled_free(&c);
		return EXIT_INTERLOCK;
	}
	rc = report(&v, o.json, profile, op != OP_EXEC ? 0 : shell ? "shell" : "argv");
	il_compiled_free(&c);
	return rc;
}
