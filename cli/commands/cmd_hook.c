/* interlock hook claude-code: Claude Code's PreToolUse hook. It reads the
 * tool call Claude Code is about to make (JSON on stdin), judges it with the
 * same judges and rules as `interlock check` (a Bash command as a shell
 * command line, Read/Write/Edit as opens of their file), and answers in the
 * hook protocol (JSON on stdout, exit 0), so that the agent learns why
 * before anything runs:
 *
 *   verdict   outside a session          inside `interlock run`
 *   deny      "deny" + the blocked line  "deny" + the blocked line
 *   confirm   "ask" + why                "allow" + why: interlock asks the
 *             (Claude Code asks the      human itself when the command runs
 *             human, once)               (its terminal, or held for
 *                                        `interlock approve`); "deny" when
 *                                        the session can ask no one
 *   allow,log nothing: Claude Code's own permission rules go on as they would
 *
 * One question per operation: inside a session interlock's own prompt (a
 * typed word on a terminal the agent does not own) is the question, so the
 * hook must not have Claude Code ask first. It cannot instead record an
 * approval for the broker to honour: the hook runs inside the guarded tree,
 * and nothing there may approve anything. "allow" only skips Claude Code's
 * prompt for this call (its deny and ask rules still apply) and the
 * command still meets interlock at run time; for operations interlock lets
 * through, the hook says nothing, so Claude Code's own permission settings
 * are neither loosened nor duplicated.
 *
 * Fail closed: input that is not a PreToolUse call, or rules that cannot
 * be read, end with exit 2 and the reason on stderr, which blocks the call
 * (Claude Code gives stderr to the agent); a bad command line (an unknown
 * agent name) is bad usage, 125, as everywhere. */
#include <getopt.h>
#include <json.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "answer_client.h"
#include "cli.h"

extern char **environ;

#define EXIT_BLOCK 2      /* the hook protocol's blocking error */
#define MAX_CALL_JSON (4 << 20) /* a tool call larger than this is refused */

static const char usage[] =
	"usage: interlock hook claude-code [--rules DIR]... [--profile NAME]\n"
	"Claude Code's PreToolUse hook: reads the tool call on stdin and answers with\n"
	"a permission decision from interlock's rules (the verdict `interlock check`\n"
	"gives): a Bash command is judged as a shell command line, Read, Write and\n"
	"Edit as opens of their file; other tools are left to Claude Code.\n"
	"  deny     -> \"deny\" with the reason (the agent reads it)\n"
	"  confirm  -> \"ask\" (Claude Code asks you); inside `interlock run`, \"allow\":\n"
	"              interlock asks you itself when the command runs, so you are\n"
	"              asked once (\"deny\" when that session can ask no one)\n"
	"  allow    -> no decision: Claude Code's own permission rules apply\n"
	"In ~/.claude/settings.json:\n"
	"  {\"hooks\": {\"PreToolUse\": [{\"matcher\": \"Bash|Read|Write|Edit|MultiEdit|NotebookEdit\",\n"
	"     \"hooks\": [{\"type\": \"command\", \"command\": \"interlock hook claude-code\"}]}]}}\n"
	"Exit status: 0 with the decision on stdout; 2 when the input or the rules\n"
	"cannot be read (Claude Code then blocks the call); 125 on bad usage.\n";

/* ---------------------------------------------------------------- input */

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	size_t k;
	while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
		n += k;
		if (n == cap) {
			char *more = cap < MAX_CALL_JSON ? realloc(buf, cap * 2 + 1) : 0;
			if (!more) {
				free(buf);
				return 0;
			}
			buf = more, cap *= 2;
		}
	}
	if (buf)
		buf[n] = 0;
	*len = n;
	return buf;
}

static const char *str_at(struct json_object *o, const char *key)
{
	struct json_object *v;
	return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : 0;
}

static int fail(const char *why)
{
	fprintf(stderr, "interlock hook: %s; the tool call is refused (fail closed)\n", why);
	return EXIT_BLOCK;
}

/* ---------------------------------------------------------------- judging */

/* What the tool call does, for the judges: a shell line, or an open. */
struct call {
	const char *shell; /* Bash */
	const char *path;  /* an open of this file */
	unsigned access;   /* IL_A_* of the open */
};

/* 1 when the tool is one interlock judges (call filled), 0 when not, -1
 * when its input lacks what the tool needs. */
static int tool_call(const char *tool, struct json_object *input, struct call *c)
{
	memset(c, 0, sizeof *c);
	if (!strcmp(tool, "Bash")) {
		c->shell = str_at(input, "command");
		return c->shell ? 1 : -1;
	}
	if (!strcmp(tool, "Read")) {
		c->path = str_at(input, "file_path"), c->access = IL_A_READ;
	} else if (!strcmp(tool, "Write")) {
		/* the file's content is replaced, or a new one made */
		c->path = str_at(input, "file_path"), c->access = IL_A_WRITE | IL_A_TRUNCATE | IL_A_CREATE;
	} else if (!strcmp(tool, "Edit") || !strcmp(tool, "MultiEdit")) {
		c->path = str_at(input, "file_path"), c->access = IL_A_WRITE;
	} else if (!strcmp(tool, "NotebookEdit")) {
		c->path = str_at(input, "notebook_path"), c->access = IL_A_WRITE;
	} else {
		return 0;
	}
	return c->path ? 1 : -1;
}

static int judge(struct il_compiled *rules, const struct call *c, const char *cwd, const char *profile,
		 struct il_verdict *v)
{
	struct il_arena *a = il_scratch();
	if (c->shell) {
		char *argv[] = { "sh", "-c", (char *)c->shell, 0 };
		return il_eval_argv(rules, argv, cwd, profile, v, a);
	}
	struct il_facts f = { .envp = environ, .profile = profile, .pid = (long)getpid() };
	struct il_open_op o = { .path = il_path_resolve(a, cwd, c->path), .written = il_path_abs(a, cwd, c->path),
				.access = c->access };
	return il_judge_open(&rules->view, &o, &f, a, v);
}

/* The rules a guarded command would meet: the session's own snapshot
 * inside a session (as `check` does), else compiled as `run` would. */
static int load_rules(struct il_compiled *c, const struct il_opts *o)
{
	const char *snap = getenv("INTERLOCK_SNAPSHOT");
	if (!o->nrules && !o->profile && snap && *snap && il_session_open(c, snap) == 0)
		return 0;
	return il_compile_for_check(c, o);
}

/* Inside `interlock run`, can the session ask anyone (a terminal, or
 * questions held for `interlock approve`)? Asked of its answer socket; a
 * session that does not say is assumed to (it refuses at run time if not). */
static int session_can_ask(void)
{
	const char *snap = getenv("INTERLOCK_SNAPSHOT");
	if (!snap || !*snap)
		return 1;
	char *copy = strdup(snap);
	char sock[4200];
	snprintf(sock, sizeof sock, "%s/" IL_AW_SOCKET, copy ? dirname(copy) : ".");
	free(copy);
	struct il_questions qs = { 0 };
	struct il_question h = { 0 };
	int r = il_questions_of(sock, &qs, &h);
	int can = r != 0 || h.terminal || h.hold > 0;
	il_questions_free(&qs);
	return can;
}

/* ---------------------------------------------------------------- answering */

static void decide(const char *decision, const char *reason)
{
	struct json_object *out = json_object_new_object(), *hso = json_object_new_object();
	json_object_object_add(hso, "hookEventName", json_object_new_string("PreToolUse"));
	json_object_object_add(hso, "permissionDecision", json_object_new_string(decision));
	json_object_object_add(hso, "permissionDecisionReason", json_object_new_string(reason));
	json_object_object_add(out, "hookSpecificOutput", hso);
	printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(out);
}

/* The one-line refusal the command would have met, without its newline. */
static void blocked(char *buf, size_t cap, const struct il_verdict *v, const char *what, enum il_answer a)
{
	size_t n = il_blocked_line(buf, cap, what, v, a);
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
}

static void answer(const struct il_verdict *v, const char *what)
{
	char reason[4096];
	const char *rule = v->rule_id ? v->rule_id : "none", *why = v->why && *v->why ? v->why : "";
	if (v->action == IL_DENY || (v->action == IL_CONFIRM && v->error)) {
		blocked(reason, sizeof reason, v, what, IL_ANS_RULE);
		decide("deny", reason);
	} else if (v->action != IL_CONFIRM) {
		return; /* allow, log: Claude Code's own rules decide */
	} else if (!getenv("INTERLOCK_SESSION")) {
		snprintf(reason, sizeof reason, "interlock: %s needs your confirmation: %s (rule %s)", what, why, rule);
		decide("ask", reason);
	} else if (!session_can_ask()) {
		blocked(reason, sizeof reason, v, what, IL_ANS_NO_TERMINAL);
		decide("deny", reason);
	} else {
		snprintf(reason, sizeof reason,
			 "interlock: %s needs a human's confirmation (%s; rule %s); interlock run asks for it itself "
			 "when the command runs, so Claude Code does not ask as well", what, why, rule);
		decide("allow", reason);
	}
}

int il_cmd_hook(int argc, char **argv)
{
	static const struct option longs[] = {
		IL_COMMON_OPTIONS,
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct il_opts o = { 0 };
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:h", longs, 0)) != -1) {
		int r = il_common_optarg(&o, ch, optarg, "hook");
		if (r < 0)
			return EXIT_INTERLOCK;
		if (r)
			continue;
		if (ch == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		return il_bad_option("hook", ch, argv);
	}
	if (argc - optind != 1 || strcmp(argv[optind], "claude-code")) {
		fprintf(stderr, "interlock hook: %s%s (the one agent known: claude-code)\n%s",
			argc - optind ? "unknown agent " : "which agent?", argc - optind ? argv[optind] : "", usage);
		return EXIT_INTERLOCK;
	}
	size_t len;
	char *text = read_all(stdin, &len);
	if (!text)
		return fail("the tool call on stdin is too large or unreadable");
	struct json_object *in = json_tokener_parse(text);
	free(text);
	const char *event = str_at(in, "hook_event_name"), *tool = str_at(in, "tool_name");
	struct json_object *input = 0;
	if (!in || !json_object_is_type(in, json_type_object) || !tool || (event && strcmp(event, "PreToolUse")) ||
	    !json_object_object_get_ex(in, "tool_input", &input)) {
		json_object_put(in);
		return fail("stdin is not a Claude Code PreToolUse call (hook_event_name, tool_name, tool_input)");
	}
	struct call c;
	int known = tool_call(tool, input, &c);
	int rc = 0;
	if (known < 0)
		rc = fail("the tool call lacks the command or file it acts on");
	if (known <= 0) {
		json_object_put(in);
		return rc;
	}
	char cwd[4096];
	const char *dir = str_at(in, "cwd");
	if (!dir || !*dir || chdir(dir) < 0 || !getcwd(cwd, sizeof cwd))
		snprintf(cwd, sizeof cwd, "%s", dir && *dir == '/' ? dir : "/");
	struct il_compiled rules;
	if (load_rules(&rules, &o)) {
		json_object_put(in);
		return fail("the rules cannot be read");
	}
	const char *profile = o.profile ? o.profile : getenv("INTERLOCK_PROFILE");
	struct il_verdict v;
	if (judge(&rules, &c, cwd, profile, &v) < 0) {
		rc = fail("the call could not be judged");
	} else {
		char what[2048] = "";
		if (v.cmd)
			il_format_argv(what, sizeof what, v.cmd->argv, v.cmd->argc);
		else
			snprintf(what, sizeof what, "%s", v.what ? v.what : c.shell ? c.shell : c.path);
		answer(&v, what);
	}
	il_compiled_free(&rules);
	json_object_put(in);
	return rc;
}
