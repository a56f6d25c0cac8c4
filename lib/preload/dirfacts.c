/* The last directory's facts (il_dir_facts), kept for the next path in
 * the same directory. A program creating, renaming and deleting files
 * works in one directory at a time, and each of those calls would
 * otherwise compare the whole path against the temp dirs, HOME and
 * interlock's own files again (some hundreds of instructions per call).
 *
 * The facts are string compares of the directory against the session's
 * snapshot, which a process maps once and never changes: nothing on disk
 * can make them stale. One slot, claimed with an atomic flag; a thread
 * that finds it taken works the facts out without it. */
#include <string.h>

#include "engine_int.h"
#include "preload.h"

static struct {
	int busy;
	const struct il_snap_view *view;
	size_t len;
	unsigned facts;
	char dir[IL_DIR_FACTS_MAX];
} memo;

unsigned il_dir_facts_of(const struct il_snap_view *v, const char *abs)
{
	const char *slash = strrchr(abs, '/');
	if (!slash || abs[0] != '/' || !slash[1])
		return 0;
	size_t dl = slash == abs ? 1 : (size_t)(slash - abs);
	if (dl > IL_DIR_FACTS_MAX)
		return 0;
	if (__atomic_exchange_n(&memo.busy, 1, __ATOMIC_ACQUIRE))
		return il_dir_facts(v, abs, dl);
	unsigned f;
	if (memo.view == v && memo.len == dl && !memcmp(memo.dir, abs, dl)) {
		f = memo.facts;
	} else {
		f = il_dir_facts(v, abs, dl);
		memo.view = v, memo.len = dl, memo.facts = f;
		memcpy(memo.dir, abs, dl);
	}
	__atomic_store_n(&memo.busy, 0, __ATOMIC_RELEASE);
	return f;
}
