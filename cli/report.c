/* Messages the CLI prints about a verdict. */
#include "cli.h"

void il_print_blocked(FILE *f, const struct il_verdict *v, char **argv)
{
	char cmd[1024];
	if (v->cmd)
		il_format_argv(cmd, sizeof cmd, v->cmd->argv, v->cmd->argc);
	else {
		int n = 0;
		while (argv[n])
			n++;
		il_format_argv(cmd, sizeof cmd, (const char *const *)argv, n);
	}
	fprintf(f, "interlock: blocked: %s: %s", cmd, v->why && *v->why ? v->why : "not allowed");
	if (v->rule_id)
		fprintf(f, " (rule %s)", v->rule_id);
	if (v->action == IL_CONFIRM)
		fprintf(f, "; this needs a human's confirmation (typing \"%s\") and no human terminal is available to ask:", v->word);
	else
		fputc(';', f);
	fputs(" do not try to work around this block; ask the user to run it themselves or to approve it\n", f);
}
