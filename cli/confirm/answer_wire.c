/* The answer socket's KEY=VALUE lines (answer_wire.h): one escaping for
 * both ends, so a value with a newline in it (a command line from the
 * guarded tree) cannot start a line of its own. */
#include <stdio.h>
#include <string.h>

#include "answer_wire.h"

static void put_raw(struct il_aw *m, const char *s, size_t n)
{
	if (m->overflow || m->n + n + 1 > m->cap) {
		m->overflow = 1;
		return;
	}
	memcpy(m->buf + m->n, s, n);
	m->n += n;
	m->buf[m->n] = 0;
}

void il_aw_put(struct il_aw *m, const char *key, const char *val, size_t max)
{
	put_raw(m, key, strlen(key));
	put_raw(m, "=", 1);
	size_t len = strlen(val ? val : ""), shown = max && len > max ? max : len;
	for (size_t i = 0; i < shown; i++) {
		char c = val[i];
		if (c == '\n')
			put_raw(m, "\\n", 2);
		else if (c == '\\')
			put_raw(m, "\\\\", 2);
		else
			put_raw(m, &c, 1);
	}
	if (shown < len) {
		char more[48];
		int k = snprintf(more, sizeof more, " ... (%zu more bytes)", len - shown);
		put_raw(m, more, (size_t)k);
	}
	put_raw(m, "\n", 1);
}

void il_aw_num(struct il_aw *m, const char *key, long long v)
{
	char num[32];
	snprintf(num, sizeof num, "%lld", v);
	il_aw_put(m, key, num, 0);
}

int il_aw_next(char **cursor, char **key, char **val)
{
	char *line = *cursor;
	while (line && *line) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		*cursor = nl ? nl + 1 : line + strlen(line);
		char *eq = strchr(line, '=');
		if (!eq) { /* not a KEY=VALUE line: skipped */
			line = *cursor;
			continue;
		}
		*eq = 0;
		*key = line;
		*val = eq + 1;
		char *o = *val;
		for (char *p = *val; *p; p++) {
			if (p[0] == '\\' && (p[1] == 'n' || p[1] == '\\')) {
				*o++ = p[1] == 'n' ? '\n' : '\\';
				p++;
			} else {
				*o++ = *p;
			}
		}
		*o = 0;
		return 1;
	}
	return 0;
}
