/* The confirmation request on the broker's socket (il.h, "wire"): both
 * ends take the keys and the escaping from here, so a field cannot be
 * spelled one way by the preload and another by the broker. Heap-free. */
#include "il.h"

const char *const il_wire_keys[IL_W_NKEYS] = {
	[IL_W_VERSION] = "v",	      [IL_W_RULE] = "rule",	  [IL_W_WORD] = "word",
	[IL_W_WHY] = "why",	      [IL_W_COMMAND] = "command", [IL_W_TARGET] = "target",
	[IL_W_CWD] = "cwd",	      [IL_W_EXE] = "exe",	  [IL_W_EVENT] = "event",
	[IL_W_ARGC] = "argc",	      [IL_W_ARG] = "arg",	  [IL_W_OP] = "op",
};

int il_wire_key(const char *name)
{
	for (int k = 0; k < IL_W_NKEYS; k++)
		if (il_streq(name, il_wire_keys[k]))
			return k;
	return -1;
}

size_t il_wire_put(char *buf, size_t n, size_t cap, enum il_wire_key k, const char *val)
{
	const char *key = il_wire_keys[k];
	size_t need = il_strlen(key) + 2;
	for (const char *p = val ? val : ""; *p; p++)
		need += (k == IL_W_ARG || k == IL_W_OP) && (*p == '\n' || *p == '\\') ? 2 : 1;
	if (n + need > cap)
		return n; /* the whole line or nothing: a short buffer shows as a count mismatch */
	size_t kl = il_strlen(key);
	il_memcpy(buf + n, key, kl), n += kl;
	buf[n++] = '=';
	for (const char *p = val ? val : ""; *p; p++) {
		if ((k == IL_W_ARG || k == IL_W_OP) && (*p == '\n' || *p == '\\')) {
			buf[n++] = '\\';
			buf[n++] = *p == '\n' ? 'n' : '\\';
		} else {
			buf[n++] = *p == '\n' ? ' ' : *p; /* one line per field */
		}
	}
	buf[n++] = '\n';
	return n;
}

void il_wire_unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && (s[1] == 'n' || s[1] == '\\')) {
			*o++ = s[1] == 'n' ? '\n' : '\\';
			s++;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}
