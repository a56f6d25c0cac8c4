/* Putting LD_PRELOAD and the session variables back into a child's
 * environment when a program removed them (env -i, env -u LD_PRELOAD,
 * `LD_PRELOAD= cmd`, python's os.execve with a fresh dict).
 *
 * The caller provides the pointer array (on its stack), so this works in a
 * vfork child. The session's entries are the ones the constructor kept
 * (init.c). */
#include "preload.h"

size_t il_env_slots(char *const envp[])
{
	size_t n = 0;
	while (envp && envp[n])
		n++;
	return n + 5;
}

/* entry is NAME=...; name a string literal (its length known here). */
#define HAS_NAME(entry, name) il_strneq(entry, name "=", sizeof name)

/* Does a colon/space separated LD_PRELOAD value already name our library? */
static int names_lib(const char *v, const char *lib)
{
	if (il_streq(v, lib)) /* what the wrapper sets: nearly every exec */
		return 1;
	size_t n = il_strlen(lib);
	const char *base = il_basename(lib);
	size_t bn = il_strlen(base);
	while (*v) {
		size_t k = 0;
		while (v[k] && v[k] != ':' && v[k] != ' ')
			k++;
		if ((k == n && il_strneq(v, lib, n)) || (k == bn && il_strneq(v, base, bn)))
			return 1;
		v += k;
		while (*v == ':' || *v == ' ')
			v++;
	}
	return 0;
}

char *const *il_env_fix(char *const envp[], char **out, char *strbuf, size_t strcap)
{
	if (!il_sess.active || !il_sess.lib[0] || il_session_ended())
		return envp;
	size_t o = 0;
	const char *preload = 0;
	int want_session = il_sess.session[0] != 0, want_snapshot = il_sess.snapshot[0] != 0;
	int want_profile = il_sess.profile[0] != 0;
	for (size_t i = 0; envp && envp[i]; i++) {
		const char *e = envp[i];
		/* Every exec walks the whole environment: the few names that
		 * matter start with LD or IN, the rest are copied untouched. */
		if ((e[0] != 'L' || e[1] != 'D') && (e[0] != 'I' || e[1] != 'N')) {
			out[o++] = (char *)e;
			continue;
		}
		if (HAS_NAME(e, "LD_PRELOAD")) {
			preload = e + 11;
			continue;
		}
		/* Session variables always carry the values of this session:
		 * a child cannot be moved to another rule set by editing them. */
		if ((want_session && HAS_NAME(e, "INTERLOCK_SESSION")) ||
		    (want_snapshot && HAS_NAME(e, "INTERLOCK_SNAPSHOT")) ||
		    (want_profile && HAS_NAME(e, "INTERLOCK_PROFILE")))
			continue;
		out[o++] = (char *)e;
	}
	if (preload && names_lib(preload, il_sess.lib)) {
		out[o++] = (char *)preload - 11;
	} else {
		size_t ln = il_strlen(il_sess.lib), pn = preload ? il_strlen(preload) : 0;
		if (11 + ln + 1 + pn + 1 <= strcap) {
			il_memcpy(strbuf, "LD_PRELOAD=", 11);
			il_memcpy(strbuf + 11, il_sess.lib, ln);
			size_t k = 11 + ln;
			if (pn) {
				strbuf[k++] = ':';
				il_memcpy(strbuf + k, preload, pn);
				k += pn;
			}
			strbuf[k] = 0;
			out[o++] = strbuf;
		} else if (preload) {
			out[o++] = (char *)preload - 11;
		}
	}
	if (want_session)
		out[o++] = (char *)il_sess.session_var;
	if (want_snapshot)
		out[o++] = (char *)il_sess.snapshot_var;
	if (want_profile)
		out[o++] = (char *)il_sess.profile_var;
	out[o] = 0;
	return out;
}
