/* interlock pending: the questions waiting in the user's sessions, for a
 * human who is not at the session's terminal (a headless agent, a session
 * held with --prompt-timeout). Listing approves nothing, so it is open to
 * every process of the user; `interlock approve|deny` answer. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "answer_client.h"
#include "cli.h"

static const char usage[] =
	"usage: interlock pending [--json]\n"
	"Lists the questions waiting for a human in your interlock sessions: each\n"
	"one's id, session, command, why, rule, target, working directory, the word\n"
	"to type and how long it has waited. Answer one with `interlock approve ID`\n"
	"(or `interlock deny ID`) from a terminal outside every guarded session.\n"
	"  --json   stdout is one JSON object: {\"questions\":[{\"id\",\"session\",\n"
	"           \"command\",\"why\",\"rule\",\"target\",\"cwd\",\"word\",\"age\",\"left\",\n"
	"           \"event\",\"process\",\"asking\",\"approve\"}...]}\n"
	"Exit status: 0; 125 on bad usage.\n";

static const char *or_null(const char *s)
{
	return s && *s ? s : 0;
}

/* What to give approve: the id, with the session when another session
 * has a question of the same id. */
static void handle_of(const struct il_questions *qs, const struct il_question *q, char *buf, size_t cap)
{
	int same = 0;
	for (int i = 0; i < qs->n; i++)
		same += !strcmp(qs->q[i].id, q->id);
	if (same > 1)
		snprintf(buf, cap, "%.16s:%s", q->session ? q->session : "", q->id);
	else
		snprintf(buf, cap, "%s", q->id);
}

static void print_json(const struct il_questions *qs)
{
	printf("{\"questions\":[");
	for (int i = 0; i < qs->n; i++) {
		const struct il_question *q = &qs->q[i];
		char handle[64];
		handle_of(qs, q, handle, sizeof handle);
		printf("%s{", i ? "," : "");
		il_print_json_field("id", q->id, 1);
		il_print_json_field("session", q->session, 0);
		il_print_json_field("command", q->command, 0);
		il_print_json_field("why", q->why, 0);
		il_print_json_field("rule", q->rule, 0);
		il_print_json_field("target", or_null(q->target), 0);
		il_print_json_field("cwd", q->cwd, 0);
		il_print_json_field("word", q->word, 0);
		printf(",\"age\":%lld", q->age);
		if (q->left >= 0)
			printf(",\"left\":%lld", q->left);
		else
			printf(",\"left\":null");
		il_print_json_field("event", q->event, 0);
		il_print_json_field("process", or_null(q->process), 0);
		printf(",\"asking\":%s", q->asking ? "true" : "false");
		il_print_json_field("approve", handle, 0);
		printf("}");
	}
	printf("],\"more\":%d}\n", qs->more);
}

static void field(const char *label, const char *value)
{
	if (!value || !*value)
		return;
	printf("  %-9s", label);
	il_print_safe(stdout, value);
	putchar('\n');
}

static void print_text(const struct il_questions *qs)
{
	if (!qs->n) {
		printf("no questions are waiting\n");
		return;
	}
	for (int i = 0; i < qs->n; i++) {
		const struct il_question *q = &qs->q[i];
		char handle[64];
		handle_of(qs, q, handle, sizeof handle);
		printf("%s%s  session %s  waiting %llds", i ? "\n" : "", q->id, q->session ? q->session : "?", q->age);
		if (q->left >= 0)
			printf(" (denied in %llds)", q->left);
		if (q->asking)
			printf(" (also asked on the session's terminal)");
		putchar('\n');
		field("command:", q->command);
		field("why:", q->why);
		field("rule:", q->rule);
		field("cwd:", q->cwd);
		field("target:", q->target);
		field("process:", q->process);
		printf("  %-9sinterlock approve %s   (it asks you to type \"", "answer:", handle);
		il_print_safe(stdout, q->word);
		printf("\"), or interlock deny %s\n", handle);
	}
	if (qs->more)
		printf("\n(%d more not shown: answer some first)\n", qs->more);
}

int il_cmd_pending(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "json", no_argument, 0, 'j' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int json = 0, ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", longs, 0)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return il_bad_option("pending", ch, argv);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "interlock pending: unexpected argument '%s'\n%s", argv[optind], usage);
		return EXIT_INTERLOCK;
	}
	struct il_questions qs;
	if (il_questions_list(&qs) < 0) {
		fprintf(stderr, "interlock pending: out of memory\n");
		il_questions_free(&qs);
		return EXIT_INTERLOCK;
	}
	if (json)
		print_json(&qs);
	else
		print_text(&qs);
	il_questions_free(&qs);
	return 0;
}
