/* Approvals that carry to the exec they approved. A yes to a shell string
 * (`bash -c "rm -rf ~/proj; echo after"`) approves the operations it named;
 * when the shell, or anything it started, then execs exactly one of them
 * (the same rule, target and normalized command: program name, arguments,
 * directory), that exec passes once without a second question. A different
 * target, another program, a process outside the asker's tree, a second
 * use, or a use after GRANT_MS is asked again. The deletes the allowed
 * operation makes below its target are covered too (il_grants_cover). */
#ifndef IL_GRANTS_H
#define IL_GRANTS_H

#include <sys/types.h>

#include "il.h"

#define IL_GRANT_MS 60000 /* a grant is for the operation about to run, not for later */

struct il_grants;
struct il_grants *il_grants_new(void) IL_HIDDEN;
void il_grants_free(struct il_grants *g) IL_HIDDEN;
/* After a human's allow-once of question `question`, asked by `root`: one
 * grant per op line ("RULE\tTARGET\tKEY", il.h's wire op). */
void il_grants_add(struct il_grants *g, const char *question, pid_t root, const char *const *ops, int nops) IL_HIDDEN;
/* Are all of a request's ops granted to pid (the asker or a process it
 * started, below `top`)? Then they are used up, the question they came
 * from is copied into question, and 1 is returned. */
int il_grants_take(struct il_grants *g, pid_t pid, pid_t top, const char *const *ops, int nops, char *question,
		   size_t cap) IL_HIDDEN;
/* Does a grant cover a delete of target by pid: target lies under the
 * granted operation's target and pid is its asker or a process it
 * started? (`rm -rf proj` was asked once; the unlinks rm makes in proj are
 * that operation, not another question.) A grant covers deletes whether
 * or not its exec used it, each cover keeping it alive another
 * IL_GRANT_MS. The question it came from is copied into question. */
int il_grants_cover(struct il_grants *g, pid_t pid, pid_t top, const char *target, char *question,
		    size_t cap) IL_HIDDEN;
/* Does a grant carry to a statement pid sends through a client library:
 * the same rule and target (`psql app <<EOF DROP TABLE users` was asked
 * at its exec; the DROP TABLE libpq then sends is that operation), pid
 * its asker or a process it started? Whether or not the exec used the
 * grant (the client's own exec does), it carries to one statement. */
int il_grants_carry(struct il_grants *g, pid_t pid, pid_t top, const char *rule, const char *target,
		    char *question, size_t cap) IL_HIDDEN;

#endif
