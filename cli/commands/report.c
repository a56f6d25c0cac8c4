/* What the CLI prints about a verdict: the line when it refuses a command
 * itself (the wrapper's own check of COMMAND), the same words as every
 * host's (outcome.c); the fields of its JSON output (check, pending). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void il_print_blocked(FILE *f, const struct il_verdict *v)
{
	char line[4096];
	il_blocked_line(line, sizeof line, v->what ? v->what : "command", v,
			v->action == IL_CONFIRM && !v->error ? IL_ANS_NO_TERMINAL : IL_ANS_RULE);
	fputs(line, f);
}

void il_print_json_field(const char *name, const char *value, int first)
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
