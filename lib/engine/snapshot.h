/* On-disk layout of a compiled rule set ("snapshot").
 *
 * It has two parts: the rules (everything up to and including the rules'
 * strings), the same for every session with the same rule files and
 * profile, and the session's facts (id, HOME, socket, terminal, start,
 * marker), whose strings are appended after the rules' ones. The wrapper
 * builds or reads the rules part from its cache (cli/commands/snap_cache.c),
 * seals it with the session's facts, and writes it once per session; every
 * guarded process maps it read-only on its first hook. Everything is addressed by 32-bit offsets from
 * the start of the blob, so it needs no relocation. PCRE2 patterns are stored
 * in PCRE2's own serialized form and decoded lazily, only by a process that
 * actually has to run one.
 */
#ifndef IL_SNAPSHOT_H
#define IL_SNAPSHOT_H

#include <stdint.h>

#define IL_SNAP_MAGIC "ILSNAP\x01\x00"
#define IL_SNAP_VERSION 22u
#define IL_NONE 0xffffffffu

/* Condition kinds of a rule. */
enum il_cond_kind {
	IL_C_WORDS = 1,
	IL_C_OPTION,
	IL_C_NO_OPTION,
	IL_C_ARG,
	IL_C_NO_ARG,
	IL_C_ARGS,
	IL_C_PATH,     /* open: the canonical path, ~/ for paths under HOME */
	IL_C_NO_PATH,
	IL_C_ENV,      /* exec: each NAME=VALUE of the command's environment */
	IL_C_NO_ENV,
};


struct il_snap_cond {
	uint32_t kind;
	uint32_t pattern;     /* index into the decoded code array */
	uint32_t target_group; /* capture number of (?<target>), 0 if none */
};

struct il_snap_rule {
	uint32_t id;          /* string offsets */
	uint32_t why;
	uint32_t confirm;
	uint32_t file;
	uint32_t line;
	uint32_t on;
	uint32_t action;
	uint32_t targets;     /* IL_P_* mask, 0: no target condition */
	uint32_t profiles;    /* string: space-separated, IL_NONE: all */
	uint32_t conds;       /* offset of il_snap_cond[nconds] */
	uint32_t nconds;
	uint32_t globs;       /* string: space-separated program (exec) or file name (open) globs */
	uint32_t access;      /* open: IL_A_* mask */
	uint32_t unless;      /* open: globs of programs whose own opens this rule ignores, IL_NONE if none */
	uint32_t quiet;       /* open: globs of programs refused without a word, IL_NONE if none */
	uint32_t callers;     /* exec: unless-caller patterns, one per line, IL_NONE if none */
	uint32_t loses;       /* exec (git): IL_LOSS_* mask, 0: the rule asks whatever is lost */
	uint32_t hosts, addresses, ports; /* connect: strings, IL_NONE if absent */
};

/* Traits of one program (see interlock.rules(5), [program NAME]). */
enum {
	IL_T_SINGLE_DASH_LONG = 1u << 0,
	IL_T_LEADING_OPERANDS = 1u << 1,
	IL_T_WRAPPER = 1u << 2,
	IL_T_ASSIGNMENTS = 1u << 3,
	IL_T_JOIN_COMMAND = 1u << 4,
	IL_T_APPLET = 1u << 5,
	IL_T_INTERPRETER = 1u << 6, /* runs the script its first operand names */
	IL_T_MAKES_PROGRAM = 1u << 7, /* ln -s, cp: the last operand runs what the first is */
	IL_T_STDIN_STATEMENTS = 1u << 8, /* reads statements on stdin (psql, sqlite3, nsupdate) */
	IL_T_DATABASE_FILE = 1u << 9, /* its first operand is the database file (sqlite3, duckdb) */
	IL_T_WALKER = 1u << 10, /* reads what it finds in the directories it lists (grep -r, tar, cp -r) */
};
struct il_snap_prog {
	uint32_t name;
	uint32_t flags;
	uint32_t skip_operands;
	/* Option lists: strings of space-separated option names, IL_NONE if empty. */
	uint32_t value_options;
	uint32_t chdir_options;
	uint32_t shell_options;
	uint32_t exec_options;
	uint32_t subcommands;
	uint32_t leading_options; /* options allowed before leading operands (find -L) */
	uint32_t filter_options;  /* options that select a subset of the files (find -name) */
	uint32_t data_options;      /* request data; a value @FILE is the file's contents (curl -d) */
	uint32_t data_file_options; /* the value names a file of request data (wget --post-file) */
	/* Strings, IL_NONE if empty (issue 21): */
	uint32_t help_options;      /* print the usage and exit, doing nothing (git --help) */
	uint32_t no_script_options; /* interpreter: code given otherwise than as a script (python -c) */
	uint32_t code_env;          /* interpreter: variables that load other code into it */
	uint32_t config_options;    /* the value names a file of more options (curl -K) */
	uint32_t config_line_options; /* the value is one line of such a file (wget -e) */
	uint32_t config_files;      /* files read before the command line ($VAR, ~; a|b: the first found) */
	uint32_t config_format;     /* how those files are written: "curl" or "wgetrc" */
	uint32_t saved_plan_options; /* the value names a plan a later command applies (terraform -out) */
	uint32_t statement_file_options; /* the value names a file of statements (psql -f) */
};

/* Open-addressing hash of program names -> rules that name them literally,
 * and traits. */
struct il_snap_slot {
	uint32_t name;    /* string offset, IL_NONE = empty slot */
	uint32_t hash;
	uint32_t prog;    /* index into progs, IL_NONE if no traits */
	uint32_t rules;   /* offset of uint32_t[nrules] rule indices */
	uint32_t nrules;
};

/* Quick reject for opens, indexed by a character: the IL_A_* kinds of the
 * open rules whose wildcard name globs start (first) or end (last) with it,
 * whose literal names start with it (lit_first), whose `*.ext` extensions
 * start with it (ext_first); `any` has the kinds of globs that start and
 * end with a wildcard. A name none of these admit needs no hash probe. */
struct il_glob_filter {
	uint8_t first[256];
	uint8_t last[256];
	uint8_t lit_first[256];
	uint8_t lit_last[256]; /* with lit_first: both ends of some literal name */
	uint8_t ext_first[256];
	uint8_t ext_last[256]; /* an extension ends in this byte (so does the name) */
	uint32_t any;
};

struct il_snap_hdr {
	char magic[8];
	uint32_t version;
	uint32_t size;
	uint32_t pcre2_major, pcre2_minor;
	uint32_t nrules, rules;     /* il_snap_rule[] */
	uint32_t nprogs, progs;     /* il_snap_prog[] */
	uint32_t nslots, slots;     /* il_snap_slot[], power of two */
	uint32_t nglob, glob_rules; /* uint32_t[] rule indices with wildcard globs */
	uint32_t npatterns, patterns, patterns_len; /* pcre2 serialized blob */
	uint32_t strings, strings_len;
	/* Session facts, so an agent editing its environment cannot change them. */
	uint32_t session;   /* session id string */
	uint32_t home;      /* the wrapper's $HOME */
	uint32_t audit;     /* audit log path */
	uint32_t profile;   /* active profile */
	uint32_t socket;    /* broker socket path, IL_NONE if none */
	uint32_t prompt_timeout; /* seconds, for prompts the preload asks itself */
	/* Open rules, indexed by file name: literal names, extensions of
	 * `*.ext` globs, and the rest (checked for every open of that access). */
	uint32_t noslots, oslots;   /* il_snap_slot[] by literal name */
	uint32_t nxslots, xslots;   /* il_snap_slot[] by extension */
	uint32_t noglob, oglob;     /* uint32_t[] rule indices */
	uint32_t oglob_filter;      /* struct il_glob_filter: quick reject for oglob */
	uint32_t open_access;       /* union of the access masks of all open rules */
	uint32_t protect;           /* string: newline-separated paths no guarded process may change */
	uint32_t tty;               /* the human's terminal device, IL_NONE if none */
	uint32_t nconnect, connect_rules; /* uint32_t[] indices of connect rules */
	uint32_t hosts;             /* string: "name addr\n"... test/pinned host names, IL_NONE if none */
	/* Deletes (deletes.c, [deletes] of the rules): */
	uint32_t del_free;          /* string: scratch directory names, deleting under them is free */
	uint32_t del_programs;      /* string: package managers, free under system directories */
	uint32_t del_exec_judged;   /* string: programs whose deletes the exec rules judged (rm) */
	uint32_t del_tmpdir;        /* the wrapper's $TMPDIR, IL_NONE if none */
	uint32_t del_since_sec, del_since_nsec; /* session start: files born later are the agent's */
	uint32_t adopted;           /* the session's record of files that took over an older file's
				       name (adopted.c), IL_NONE if none */
	/* The session's seccomp marker (docs/seccomp.md, "The marker"): the
	 * preload puts it in an argument the kernel ignores of every call it
	 * judged, and the filter lets those through. 0: none. */
	uint32_t marker_lo, marker_hi;
	/* [environment] of the rules: what the wrapper removes from the
	 * agent's environment (cli/commands/env_scrub.c). */
	uint32_t env_remove, env_keep, env_remove_password;
};

#endif
