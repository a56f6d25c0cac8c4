/* Files git puts back from a stash. "Born in the session" stands for "the
 * session's own work" (adopted.c): a file the session made holds nothing
 * of the user's, and putting it back (git checkout -- f) loses nothing.
 * `git stash pop` breaks that: it writes the user's uncommitted edits,
 * saved a moment ago, into new files, and drops the stash. An agent that
 * stashes to look at a clean tree, pops, and then checks out the file
 * threw away the user's work without a question. So a file `git stash
 * pop` or `git stash apply` creates goes into the session's adopted
 * record: its content is not counted as the session's, whatever its birth
 * time says; changes to it are asked about as the user's. */
#include <errno.h>
#include <fcntl.h>

#include "preload.h"

static int state; /* 0 not known yet, 1 restoring, 2 not */

/* git [global options] stash [pop|apply] ... */
static int stash_restore(const char *args, size_t len)
{
	const char *w[16];
	int n = 0;
	for (size_t o = 0; o < len && n < 16; o += il_strlen(args + o) + 1)
		w[n++] = args + o;
	if (n < 3 || !il_streq(il_basename(w[0]), "git"))
		return 0;
	int i = 1;
	for (; i < n && w[i][0] == '-'; i++)
		if (il_streq(w[i], "-C") || il_streq(w[i], "-c") || il_streq(w[i], "--git-dir") ||
		    il_streq(w[i], "--work-tree") || il_streq(w[i], "--namespace") || il_streq(w[i], "--config-env"))
			i++; /* their value */
	if (i + 1 >= n || !il_streq(w[i], "stash"))
		return 0;
	for (i++; i < n && w[i][0] == '-'; i++)
		;
	return i < n && (il_streq(w[i], "pop") || il_streq(w[i], "apply"));
}

int il_restoring(void)
{
	int st = __atomic_load_n(&state, __ATOMIC_RELAXED);
	if (!st) {
		size_t len;
		const char *args = il_self_args(&len);
		st = args && stash_restore(args, len) ? 1 : 2;
		__atomic_store_n(&state, st, __ATOMIC_RELAXED);
	}
	return st == 1;
}

void il_restored(int fd)
{
	int saved = errno, broken = 0;
	struct il_snap_view *v = il_snapshot(&broken);
	if (v)
		il_foreign_note(v, fd);
	errno = saved;
}
