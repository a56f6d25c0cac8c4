/* The last directory's facts (il_dir_facts), kept for the next path in
 * the same directory. A program creating, renaming and deleting files
 * works in one directory at a time, and each of those calls would
 * otherwise compare the whole path against the temp dirs, HOME and
 * interlock's own files again (some hundreds of instructions per call).
 *
 * The facts are string compares of the directory against the session's
 * snapshot, which a process maps once and never changes: nothing on disk
 * can make them stale. One slot per thread (no lock, no atomic: a locked
 * exchange cost more than the lookup it guarded); initial-exec TLS, which
 * a preloaded library may use. A directory longer than the slot is worked
 * out each time. */
#include <string.h>

#include "il.h"
#include "preload.h"

#define MEMO_DIR 512

static __thread struct {
	unsigned gen; /* odd while being written */
	const struct il_snap_view *view;
	size_t len;
	unsigned facts;
	char dir[MEMO_DIR];
} memo __attribute__((tls_model("initial-exec")));

/* A signal handler that deletes a file runs on this thread, possibly in
 * the middle of a lookup or an update here: the generation tells the
 * interrupted code that what it read may be half of each. */
#define FENCE() __atomic_signal_fence(__ATOMIC_SEQ_CST)

static int memo_get(const struct il_snap_view *v, const char *abs, size_t dl, unsigned *facts)
{
	unsigned gen = memo.gen;
	FENCE();
	int hit = !(gen & 1) && memo.view == v && memo.len == dl && !memcmp(memo.dir, abs, dl);
	*facts = memo.facts;
	FENCE();
	return hit && memo.gen == gen;
}

static void memo_put(const struct il_snap_view *v, const char *abs, size_t dl, unsigned facts)
{
	memo.gen++;
	FENCE();
	memo.view = v, memo.len = dl, memo.facts = facts;
	memcpy(memo.dir, abs, dl);
	FENCE();
	memo.gen++;
}

unsigned il_dir_facts_at(const struct il_snap_view *v, const char *abs, size_t dl)
{
	unsigned f;
	if (dl <= MEMO_DIR && memo_get(v, abs, dl, &f))
		return f;
	f = il_dir_facts(v, abs, dl);
	if (dl <= MEMO_DIR && !(memo.gen & 1))
		memo_put(v, abs, dl, f);
	return f;
}
