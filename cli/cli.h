/* Shared pieces of the interlock command. */
#ifndef IL_CLI_H
#define IL_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "ruleset.h"

#define EXIT_INTERLOCK 125 /* interlock itself failed: bad rules, bad usage */

/* Options common to run, check and rules. */
struct il_opts {
	const char *rules[64]; /* --rules DIR... */
	int nrules;
	const char *profile;
	int json;
	int prompt_timeout;
};

/* The options run, check, rules, doctor and shell-init share, for their
 * getopt_long tables: IL_COMMON_OPTIONS in the table, il_common_optarg
 * for what getopt_long returned (1 taken, 0 not one of these, -1 a bad
 * value, message printed). il_bad_option: the message for getopt's '?'
 * or ':' (optstring starts with ':'), and EXIT_INTERLOCK. */
enum { IL_OPT_RULES = 0x100, IL_OPT_PROFILE, IL_OPT_TIMEOUT, IL_OPT_JSON };
#define IL_COMMON_OPTIONS                                                                          \
	{ "rules", required_argument, 0, IL_OPT_RULES }, { "profile", required_argument, 0, IL_OPT_PROFILE }, \
	{ "prompt-timeout", required_argument, 0, IL_OPT_TIMEOUT }, { "json", no_argument, 0, IL_OPT_JSON }
int il_common_optarg(struct il_opts *o, int ch, const char *arg, const char *cmd) IL_HIDDEN;
int il_bad_option(const char *cmd, int ch, char **argv) IL_HIDDEN;

/* Paths */
char **il_rule_dirs(const struct il_opts *o) IL_HIDDEN;      /* malloc'd, NULL-terminated */
void il_strv_free(char **v) IL_HIDDEN;
char *il_library_path(void) IL_HIDDEN;                        /* malloc'd or NULL */
char *il_audit_path(void) IL_HIDDEN;                          /* malloc'd */
char *il_pinned_hosts(void) IL_HIDDEN; /* INTERLOCK_HOSTS, malloc'd or NULL */
char *il_protected_paths(const struct il_opts *o, const char *audit, const char *session_dir,
			 const char *lib) IL_HIDDEN;                  /* malloc'd */

/* A compiled rule set, as the preload will see it. */
struct il_compiled {
	struct il_ruleset rs;
	void *blob;
	size_t len;
	struct il_snap_view view;
	void *map; /* blob is in this mapping (of the cache), not malloc'd */
	size_t maplen;
};
/* Loads the rule directories and builds the snapshot. Returns 0, or
 * EXIT_INTERLOCK after printing every error. */
int il_compile(struct il_compiled *c, const struct il_opts *o, const struct il_session_meta *m) IL_HIDDEN;
/* The same for whoever needs only the snapshot (run, shell-init, check,
 * hook): the rules part comes from the cache when the rule files are
 * unchanged, and then c->rs holds only the [environment] lists. */
int il_compile_cached(struct il_compiled *c, const struct il_opts *o, const struct il_session_meta *m) IL_HIDDEN;

/* snap_cache.c: what interlock compiles at start, kept between sessions
 * in il_cache_dir() as KIND-KEY.snap: the rules part of the snapshot
 * ("rules", keyed by the rule files' contents, the profile and this
 * build) and the seccomp filter ("filter", keyed by this build and the
 * mode). */
struct il_cache_key {
	uint64_t h[2];
};
char *il_cache_dir(void) IL_HIDDEN; /* <runtime base>/cache, malloc'd */
int il_snap_cache_key(char *const *dirs, const char *profile, struct il_cache_key *key) IL_HIDDEN;
/* A key of what identifies this build and the len bytes at data. */
int il_cache_build_key(const char *what, const void *data, size_t len, struct il_cache_key *key) IL_HIDDEN;
/* 0 and a malloc'd copy of the entry, if there is one that passes its
 * checks and valid(); an entry that fails is said, removed, and -1. */
int il_cache_get(const char *kind, const struct il_cache_key *key, int (*valid)(const void *, size_t), void **out,
		 size_t *len) IL_HIDDEN;
/* The same mapped (no copy of a large entry), with room writable zero
 * bytes after its len: freed with il_cache_image_free. */
struct il_cache_image {
	void *data;
	size_t len;
	void *map; /* 0: data is malloc'd */
	size_t maplen;
};
int il_cache_map(const char *kind, const struct il_cache_key *key, int (*valid)(const void *, size_t), size_t room,
		 struct il_cache_image *img) IL_HIDDEN;
void il_cache_image_free(struct il_cache_image *img) IL_HIDDEN;
void il_cache_put(const char *kind, const struct il_cache_key *key, const void *data, size_t len) IL_HIDDEN;
void il_compiled_free(struct il_compiled *c) IL_HIDDEN;
/* 0 when some rule names profile; otherwise -1, after saying which
 * profiles the rules name. il_compile checks --profile with it. */
int il_profile_check(const struct il_ruleset *rs, const char *profile) IL_HIDDEN;
/* Every profile the rules name, once each, space-separated into buf. */
void il_profiles_named(const struct il_ruleset *rs, char *buf, size_t cap) IL_HIDDEN;
/* `check`'s rule set outside a session: compiled with what a session
 * would protect (the rule directories, the audit log, the library). */
int il_compile_for_check(struct il_compiled *c, const struct il_opts *o) IL_HIDDEN;
/* The snapshot of a running session (its INTERLOCK_SNAPSHOT); 0 or -1. */
int il_session_open(struct il_compiled *c, const char *path) IL_HIDDEN;

/* Evaluates argv as an exec from cwd with the current environment. */
int il_eval_argv(struct il_compiled *c, char **argv, const char *cwd, const char *profile,
		 struct il_verdict *v, struct il_arena *a) IL_HIDDEN;
struct il_arena *il_scratch(void) IL_HIDDEN; /* reset and return the CLI's arena */

const char *il_program_path(const char *file, char *buf, size_t cap) IL_HIDDEN;

/* Sessions (cmd_run.c) */
int il_make_private_dir(const char *path) IL_HIDDEN;
char *il_session_dir(const char *id) IL_HIDDEN; /* <runtime>/interlock/<id>, created 0700 */
/* $XDG_RUNTIME_DIR/interlock when that directory is usable, else
 * /tmp/interlock-UID: where sessions and the cache live (not created). */
void il_runtime_base(char *base, size_t cap) IL_HIDDEN;
int il_write_file(const char *path, const void *data, size_t len) IL_HIDDEN;
void il_new_session_id(char *out, size_t cap) IL_HIDDEN;
/* sessions.c: a new session's directory with its holder recorded (the
 * wrapper, or a dev shell's shell), after sweeping the directories of
 * sessions that are over; removing one; the sweep of a base directory,
 * but for the session keep (returns how many it removed). */
char *il_session_new(const char *id, long holder) IL_HIDDEN;
void il_session_remove(const char *dir) IL_HIDDEN;
int il_sessions_sweep(const char *base, const char *keep) IL_HIDDEN;
/* The file in a session directory that names its holder. */
#define IL_SESSION_OWNER "owner"
/* session_clock.c: the session's start (the precise time, in *start),
 * after which the file system stamps every new file as born no earlier
 * (the ctime of the session directory's owner file is changed for it). */
void il_session_clock(const char *dir, struct timespec *start) IL_HIDDEN;

unsigned il_access_parse(const char *w) IL_HIDDEN;
int il_parse_endpoint(const char *s, struct il_net_event *ev, char *host, size_t cap) IL_HIDDEN; /* read|write|truncate|create -> IL_A_*, 0 */

/* Subcommands */
int il_cmd_run(int argc, char **argv) IL_HIDDEN;
int il_cmd_check(int argc, char **argv) IL_HIDDEN;
int il_cmd_rules(int argc, char **argv) IL_HIDDEN;
int il_cmd_shell_init(int argc, char **argv) IL_HIDDEN;
int il_cmd_doctor(int argc, char **argv) IL_HIDDEN;
int il_cmd_log(int argc, char **argv) IL_HIDDEN;
int il_cmd_pending(int argc, char **argv) IL_HIDDEN;
int il_cmd_approve(int argc, char **argv) IL_HIDDEN;
int il_cmd_deny(int argc, char **argv) IL_HIDDEN;
int il_cmd_hook(int argc, char **argv) IL_HIDDEN;

/* env_scrub.c: the [environment] secrets `interlock run` removes. Is
 * NAME=VALUE one (VALUE NULL: by name alone)? Could NAME ever be one (what
 * --pass-env may name)? Remove them from this process's environment,
 * except the pass names, and say which on stderr. */
int il_env_secret(const struct il_ruleset *rs, const char *name, const char *value) IL_HIDDEN;
int il_env_removable(const struct il_ruleset *rs, const char *name) IL_HIDDEN;
void il_env_scrub(const struct il_ruleset *rs, const char *const *pass, int npass) IL_HIDDEN;

/* The one-line "interlock: blocked: ..." message. */
void il_print_blocked(FILE *f, const struct il_verdict *v) IL_HIDDEN;
/* "NAME":"VALUE" on stdout (VALUE NULL: null), preceded by a comma unless
 * first: one field of a JSON object. */
void il_print_json_field(const char *name, const char *value, int first) IL_HIDDEN;

#endif
