/* What the three decisions (exec, open, connect) share: the matching
 * context and the steps every verdict goes through. Engine-internal. */
#ifndef IL_DECIDE_INT_H
#define IL_DECIDE_INT_H

#include "engine_int.h"

struct dctx {
	struct il_snap_view *v;
	struct il_arena *a;
	const struct il_exec_event *ev;
	pcre2_match_data *md;
	pcre2_match_context *mc;
	const char *home, *home2;
	int error;
	int only_rule; /* -1, or the one rule to try (rule examples) */
	const char *const *caller; /* ev->caller's answer, once asked */
	int caller_asked;
};

/* Starts a decision: patterns decoded, match data in the arena, HOME from
 * the event and the session. -1 (out set to a fail-closed deny) on error. */
int il_dec_setup(struct dctx *d, struct il_snap_view *v, const struct il_exec_event *ev, struct il_arena *a,
	  struct il_verdict *out, int only_rule) IL_HIDDEN;
/* A fail-closed deny for an evaluation that could not be made. */
int il_dec_fail(struct il_verdict *out) IL_HIDDEN;
/* Runs condition c's pattern on s; stores the (?<target>) capture. */
int il_dec_run(struct dctx *d, const struct il_snap_cond *c, const char *s, const char **target) IL_HIDDEN;
int il_dec_profile_active(struct dctx *d, const struct il_snap_rule *r) IL_HIDDEN;
/* The confirmation word from the rule's template and the target. */
void il_dec_expand_word(char *out, size_t cap, const char *tmpl, const char *target) IL_HIDDEN;

#endif
