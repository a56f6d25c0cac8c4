/* Compile side of the engine: rule files -> in-memory rule set -> snapshot.
 * Runs in the wrapper and the CLI only (allocates, uses stdio). */
#ifndef IL_RULESET_H
#define IL_RULESET_H

#include <stdio.h>
#include <time.h>
#include "il.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

struct il_cond_src {
	int kind;
	char *pattern;
	int line;
	pcre2_code *code;
};

struct il_example {
	char *text;
	int line;
	int must_match;
};

struct il_rule_src {
	char *id;
	char *file;
	int line;
	int on;
	int action;
	char *why;
	char *confirm;
	char *profiles;
	char *globs;
	unsigned targets;
	unsigned access; /* open: IL_A_* */
	char *unless;    /* open: unless-program globs */
	char *quiet;     /* open: quiet-program globs */
	char *callers;   /* exec: unless-caller patterns, one per line */
	unsigned loses;  /* exec (git): IL_LOSS_* the rule asks about, 0: always */
	char *hosts, *addresses, *ports; /* connect */
	struct il_cond_src *conds;
	int nconds;
	struct il_example *examples; /* NULL unless the set keeps them (keep_examples) */
	int nexamples;
	int nmatch;     /* `match` examples seen, kept or not */
	unsigned seen; /* keys seen once, for duplicate detection */
	char *replaced; /* "FILE:LINE" of the earlier definition this one replaced, or NULL */
};

struct il_prog_src {
	char *name;
	char *file;
	int line;
	unsigned flags;
	unsigned skip_operands;
	char *value_options, *chdir_options, *shell_options, *exec_options, *subcommands;
	char *leading_options, *filter_options;
	char *data_options, *data_file_options;
	char *help_options, *no_script_options, *code_env; /* issue 21 */
	char *config_options, *config_line_options, *config_files, *config_format, *saved_plan_options;
	char *statement_file_options;
	unsigned seen;
};

struct il_ruleset {
	struct il_rule_src *rules;
	int nrules;
	struct il_prog_src *progs;
	int nprogs;
	/* [environment]: variable names interlock run removes from the guarded
	 * environment, and names it must never remove (space-separated). */
	char *env_remove;
	char *env_keep;
	char *env_remove_password; /* removed when the value is a URL with a password */
	/* [deletes] (17-deletes.conf): scratch directory names, package
	 * managers, programs the exec rules judge (space-separated). */
	char *del_free;
	char *del_programs;
	char *del_exec_judged;
	int errors;
	/* Keep the rules' match/no-match examples (`rules test` runs them).
	 * Otherwise they are counted (a rule must have a `match`) but not
	 * copied: a session never runs them. */
	int keep_examples;
	FILE *diag; /* where FILE:LINE: messages go (stderr by default) */
	/* Files read, in order, for `rules list`. */
	char **files;
	int nfiles;
	/* Files replaced by the same-named file of a later directory:
	 * shadowed[i] is not read because shadowed_by[i] is (for `rules list`). */
	char **shadowed, **shadowed_by;
	int nshadowed;
	/* The loader's: where each rule id and program name is, so that a
	 * redefinition is found without comparing it with every earlier one. */
	struct il_name_index {
		int *slot; /* index + 1 of an entry; 0: empty */
		size_t cap;
	} rule_ids, prog_names;
};

/* Loads every *.conf of the directories (sysctl.d merge). Returns the number
 * of errors reported (0: usable). */
int il_ruleset_load(struct il_ruleset *rs, char *const *dirs) IL_HIDDEN;
/* The rule files il_ruleset_load reads from dirs, in merge order (a name
 * in a later directory replaces the earlier file): a malloc'd,
 * NULL-terminated array of malloc'd paths. rs, if not NULL, is told of
 * unreadable directories and replaced files; *unreadable counts the
 * directories that exist but cannot be read. */
char **il_rule_files(char *const *dirs, struct il_ruleset *rs, int *unreadable) IL_HIDDEN;
/* Loads one file on top of what is loaded. */
int il_ruleset_load_file(struct il_ruleset *rs, const char *path) IL_HIDDEN;
void il_ruleset_free(struct il_ruleset *rs) IL_HIDDEN;

struct il_session_meta {
	const char *session;
	const char *home;
	const char *audit;
	const char *profile;
	const char *socket;
	int prompt_timeout;
	const char *protect; /* newline-separated paths guarded processes may not change */
	const char *tty;     /* the human's terminal device */
	const char *hosts;   /* "name address" lines: names pinned for the session (tests) */
	int all_profiles;    /* index rules of every profile (rules test), not just the active one */
	int examples;        /* keep the rules' examples (rules test) */
	uint64_t marker;     /* the session's seccomp marker, 0 for none */
	const char *adopted; /* the session's record of renames over older files
				(lib/engine/adopted.c), in its directory */
	struct timespec start; /* the session's start (il_session_clock); 0: the time of sealing */
};

/* Serializes the rule set. *out is malloc'd. 0 on success. */
int il_snapshot_build(const struct il_ruleset *rs, const struct il_session_meta *m,
		      void **out, size_t *len) IL_HIDDEN;
/* The same in two steps: the rules part (m is read for the profile only),
 * then the session's facts of m added to it (rules, malloc'd, is consumed:
 * grown into *out, or freed on failure). */
int il_snapshot_build_rules(const struct il_ruleset *rs, const struct il_session_meta *m, void **out,
			    size_t *len) IL_HIDDEN;
int il_snapshot_seal(void *rules, size_t len, const struct il_session_meta *m, void **out,
		     size_t *outlen) IL_HIDDEN;
/* The same into memory the caller has: il_snapshot_seal_in adds the facts
 * after the len bytes of the rules part in buf, which has room for
 * il_snapshot_facts_room(m) more; the sealed size in *outlen. */
size_t il_snapshot_facts_room(const struct il_session_meta *m) IL_HIDDEN;
int il_snapshot_seal_in(void *buf, size_t len, size_t room, const struct il_session_meta *m,
			size_t *outlen) IL_HIDDEN;

/* Fabricated environment for rule examples (see interlock.rules(5)). */
struct il_example_env {
	char root[4096];     /* temp dir */
	char home[4096];
	char project[4096];
};
int il_example_env_make(struct il_example_env *e) IL_HIDDEN;
void il_example_env_remove(struct il_example_env *e) IL_HIDDEN;

#endif
