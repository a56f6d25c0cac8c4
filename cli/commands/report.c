/* The line the CLI prints when it refuses a command itself (the wrapper's
 * own check of COMMAND): the same words as every host's (outcome.c). */
#include "cli.h"

void il_print_blocked(FILE *f, const struct il_verdict *v)
{
	char line[4096];
	il_blocked_line(line, sizeof line, v->what ? v->what : "command", v,
			v->action == IL_CONFIRM && !v->error ? IL_ANS_NO_TERMINAL : IL_ANS_RULE);
	fputs(line, f);
}
