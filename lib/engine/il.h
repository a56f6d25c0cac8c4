/* interlock engine: the interface shared by the preload, the CLI and (later) the
 * seccomp supervisor.
 *
 * Two halves with different rules:
 *   - compile side (rules_load.c, snapshot_build.c): runs once per session in the
 *     wrapper or CLI; may allocate, parse INI and compile regexes.
 *   - runtime side (everything else): runs inside every guarded process, possibly
 *     in a vfork child. It never calls malloc, takes no locks and uses no stdio;
 *     all scratch memory comes from a caller-provided arena.
 */
#ifndef IL_H
#define IL_H

#include <stddef.h>
#include <stdint.h>

#define IL_HIDDEN __attribute__((visibility("hidden")))

enum il_action { IL_ALLOW = 0, IL_LOG = 1, IL_CONFIRM = 2, IL_DENY = 3 };
enum il_on { IL_ON_EXEC = 0, IL_ON_OPEN = 1, IL_ON_CONNECT = 2 };

/* Target predicates (bit mask in a rule). */
enum {
	IL_P_ROOT = 1u << 0,
	IL_P_SYSTEM = 1u << 1,
	IL_P_HOME = 1u << 2,
	IL_P_HOME_CHILD = 1u << 3,
	IL_P_GIT_WORKTREE = 1u << 4,
	IL_P_GIT_DIR = 1u << 5,
	IL_P_BLOCK_DEVICE = 1u << 6,
	IL_P_OTHER_PROCESS = 1u << 7, /* /proc/PID/... of a process other than the caller */
	IL_P_DELETE_PROTECTED = 1u << 8, /* a file the delete facts protect (decide.c) */
};

/* The target predicates (paths.c): name, bit, test (NULL: tested where
 * the caller's facts are, other-process), a line of help. */
struct il_predicate {
	const char *name;
	unsigned bit;
	int (*holds)(const char *p, const char *home, const char *home2);
	const char *help;
};
const struct il_predicate *il_predicates(size_t *n) IL_HIDDEN;

/* Access kinds of an open (bit mask). */
enum {
	IL_A_READ = 1u << 0,
	IL_A_WRITE = 1u << 1,
	IL_A_TRUNCATE = 1u << 2,
	IL_A_CREATE = 1u << 3,
};

const char *il_action_name(int action) IL_HIDDEN;
int il_action_parse(const char *s) IL_HIDDEN;

/* ---- small string helpers usable on the hot path ---- */
size_t il_strlen(const char *s) IL_HIDDEN;
int il_streq(const char *a, const char *b) IL_HIDDEN;
int il_strneq(const char *a, const char *b, size_t n) IL_HIDDEN;
void il_memcpy(void *d, const void *s, size_t n) IL_HIDDEN;
const char *il_basename(const char *path) IL_HIDDEN;
const char *il_env_get(char *const *envp, const char *name) IL_HIDDEN;
int il_glob_match(const char *pat, const char *s) IL_HIDDEN;

/* ---- arena: bump allocation over one caller-owned block ---- */
struct il_arena {
	char *base;
	size_t size;
	size_t used;
	int failed; /* set once an allocation did not fit: callers fail closed */
};
void il_arena_init(struct il_arena *a, void *mem, size_t size) IL_HIDDEN;
void *il_arena_alloc(struct il_arena *a, size_t n) IL_HIDDEN;
char *il_arena_strndup(struct il_arena *a, const char *s, size_t n) IL_HIDDEN;
char *il_arena_strdup(struct il_arena *a, const char *s) IL_HIDDEN;

/* ---- paths (paths.c), heap-free ---- */
/* p's length without its trailing slashes ("/" stays "/"). */
size_t il_trim_len(const char *p) IL_HIDDEN;
/* The first .git component of a path (at the slash before it), or NULL. */
const char *il_git_component(const char *p) IL_HIDDEN;
/* p is dir or inside it (both absolute; dir's trailing slashes ignored;
 * "/" contains everything). */
int il_path_under(const char *p, const char *dir) IL_HIDDEN;
/* Lexical canonical absolute path of p against cwd, in arena memory. */
char *il_path_abs(struct il_arena *a, const char *cwd, const char *p) IL_HIDDEN;
/* The same with symlinks resolved (readlink per component). */
char *il_path_resolve(struct il_arena *a, const char *cwd, const char *p) IL_HIDDEN;
/* The same for another process (the supervisor's targets): /proc/self and
 * /proc/thread-self are the thread `self`'s. */
char *il_path_resolve_as(struct il_arena *a, const char *cwd, const char *p, long self) IL_HIDDEN;
/* The directory open at fd named, or when its path is longer than the
 * kernel will name (PATH_MAX), its deepest ancestor that has one; *levels:
 * how many ".." above fd that is. NULL when nothing can be named. */
const char *il_near_name(int fd, char *buf, size_t cap, int *levels) IL_HIDDEN;

/* ---- snapshot: the compiled rule set, one read-only blob ---- */
struct il_snap_hdr;
struct il_snap_view {
	const unsigned char *base;
	size_t size;
	const struct il_snap_hdr *hdr;
	/* Decoded PCRE2 codes, published once by whichever thread decodes
	 * first. Nobody ever waits for another thread here: a fork taken while
	 * a thread was half-way must not leave the child waiting forever. */
	void **codes;
	/* Memory for decoded patterns, kept for the life of the view; set by
	 * the owner after il_snap_open(). free_mem releases a losing copy. */
	void *(*get_mem)(size_t size);
	void (*free_mem)(void *mem, size_t size);
};

/* Checks a blob and fills the view; 0 on success, -1 if it is not a snapshot
 * this build can read. */
int il_snap_open(struct il_snap_view *v, const void *buf, size_t size) IL_HIDDEN;
/* True if an exec of a program with this base name can match any rule or is a
 * wrapper/shell that must be looked into. Costs one hash probe. */
int il_snap_exec_candidate(const struct il_snap_view *v, const char *name) IL_HIDDEN;
const char *il_snap_str(const struct il_snap_view *v, uint32_t off) IL_HIDDEN;

/* The session's facts (NULL where it has none): its id, audit log, broker
 * socket, the human's terminal, interlock's own paths (newline-separated),
 * pinned host names ("name address" lines), the dev shell's prompt timeout. */
const char *il_snap_session(const struct il_snap_view *v) IL_HIDDEN;
const char *il_snap_audit(const struct il_snap_view *v) IL_HIDDEN;
const char *il_snap_broker(const struct il_snap_view *v) IL_HIDDEN;
const char *il_snap_tty(const struct il_snap_view *v) IL_HIDDEN;
const char *il_snap_protect(const struct il_snap_view *v) IL_HIDDEN;
const char *il_snap_hosts(const struct il_snap_view *v) IL_HIDDEN;
int il_snap_prompt_timeout(const struct il_snap_view *v) IL_HIDDEN;
/* The session's seccomp marker (0: none); see il_marker. */
uint64_t il_snap_marker(const struct il_snap_view *v) IL_HIDDEN;
/* The marker of the session this process belongs to, once its rule set is
 * mapped (0 before, and in the wrapper): the preload passes it as the sixth
 * argument of the system calls it judged, so the seccomp filter lets them
 * through without asking the supervisor again (docs/seccomp.md). */
extern uint64_t il_marker IL_HIDDEN;

/* Facts about paths and the session the hosts' quick rejects use (their
 * answer is only ever "nothing to judge"). deletes.c, paths.c. */
/* True if the space-separated list contains word (length n). */
int il_list_has(const char *list, const char *word, size_t n) IL_HIDDEN;
/* 0 when deleting abs is certainly free (under a temp dir outside HOME, or
 * under a scratch directory); string compares only. */
int il_delete_candidate(const struct il_snap_view *v, const char *abs, char *const *envp) IL_HIDDEN;
/* Stands, in a word of a shell string, for the value of a variable the
 * string set from a command substitution (shell.c): no path can be made
 * of it (decide.c skips such targets). */
#define IL_UNKNOWN_CH '\x01'

/* Has abs a scratch directory component ([deletes] free: build,
 * node_modules ...) below the place it is in? Regenerable output. */
int il_scratch_path(const struct il_snap_view *v, const char *abs, char *const *envp) IL_HIDDEN;
/* Was the file at p (not followed) created after the session began, and
 * did it not take over the name of a file older than the session
 * (adopted.c)? */
int il_born_in_session(const struct il_snap_view *v, const char *p) IL_HIDDEN;
/* Is p a regular file of no bytes (not followed)? errno is kept. */
int il_empty_file(const char *p) IL_HIDDEN;
/* abs is strictly under /tmp, /var/tmp, /dev/shm or the session's $TMPDIR,
 * and not inside HOME. String compares only. */
int il_temp_path(const struct il_snap_view *v, const char *abs, char *const *envp) IL_HIDDEN;
/* What holds for every name directly inside the absolute directory
 * dir[0..dl), from string compares only (so it can be kept for the next
 * path in the same directory): IL_DIR_TEMP, every such name is a temp path
 * (il_temp_path); IL_DIR_NOT_TEMP, none is; neither when the answer depends
 * on the name (HOME is in dir) or on the environment (no session HOME);
 * IL_DIR_OWN_FREE, none is one of interlock's own files, inside one or
 * above one (il_path_protected with ancestors). */
enum { IL_DIR_TEMP = 1, IL_DIR_NOT_TEMP = 2, IL_DIR_OWN_FREE = 4 };
#define IL_DIR_FACTS_MAX 1024
unsigned il_dir_facts(const struct il_snap_view *v, const char *dir, size_t dl) IL_HIDDEN;

/* ---- one exec, as seen by a hook ---- */
struct il_exec_event {
	const char *path;   /* program path as resolved by the caller (may be NULL) */
	char *const *argv;
	char *const *envp;  /* environment of the new program (HOME, PATH, $VAR) */
	const char *cwd;    /* absolute working directory */
	const char *profile; /* active profile or NULL */
	/* The process making the exec, read only when an unless-caller rule
	 * would otherwise match (most execs never need it): its program's base
	 * name, then its arguments (argv[1..]), NULL-terminated; NULL if
	 * unknown. caller NULL: never known. */
	const char *const *(*caller)(void *ctx);
	void *caller_ctx;
	/* The file the kernel runs when path's last component is a symlink
	 * (ln -s /usr/bin/git /tmp/g): the chain followed to its end
	 * (il_exec_real); NULL when path is no symlink or was not looked at. */
	const char *real;
	/* What the new program will read on its standard input, when a rule
	 * looks at it (curl -K -, -d @-): up to cap bytes copied to buf
	 * without consuming them; its length, or -1 when it cannot be known
	 * (a terminal, a pipe still empty). NULL: never known. */
	long (*stdin_peek)(void *ctx, char *buf, size_t cap);
	void *stdin_ctx;
};

/* exec_real.c: when path (relative to cwd; with self > 0 as the thread
 * self sees it, through /proc/SELF/cwd and root) ends in a symlink, the
 * file the chain leads to, in buf; NULL when it is no symlink, and with
 * *missing set to ENOENT or ENOTDIR when nothing is there. One readlinkat
 * for a file that is not a symlink, one more per link. */
const char *il_exec_real(const char *path, const char *cwd, long self, char *buf, size_t cap, int *missing) IL_HIDDEN;
/* The same for a link already read: the chain from path, whose target
 * (len bytes) is in buf, followed to its end in buf. */
const char *il_exec_real_from(const char *path, char *buf, size_t cap, size_t len) IL_HIDDEN;

/* A refused shell string left to the shell (hosts: the preload's exec check,
 * the supervisor's trap_exec.c). True when argv runs a POSIX-family shell
 * on a command string (sh, bash, dash, zsh, ksh, mksh, ash with -c), and
 * when the file at path is an ELF program the dynamic loader starts
 * (PT_INTERP), so LD_PRELOAD applies in it. Raw system calls, no memory:
 * usable in a vfork child. */
int il_exec_is_shell_string(char *const argv[]) IL_HIDDEN;
int il_exec_is_dynamic(const char *path) IL_HIDDEN;

/* caller.c: the program a process runs, as rules name programs: the base
 * name of its executable exe, or when that is a script interpreter
 * ([program python3] interpreter = yes) the base name of the script it
 * runs (python3 /usr/bin/aws is aws). NULL when that file was made or
 * changed in this session (a renamed copy, an edited script), or when the
 * environment loads other code into it (PYTHONPATH, NODE_OPTIONS=-r X):
 * it is then no program by name. argv: its arguments as it was started
 * (NULL-terminated, from /proc/PID/cmdline; NULL: unknown), envp its
 * environment as it was started (/proc/PID/environ; NULL: none); dir the
 * directory a relative script name is in (NULL: the caller's own). */
const char *il_program_name(const struct il_snap_view *v, const char *exe, const char *const *argv,
			    char *const *envp, const char *dir) IL_HIDDEN;
/* A /proc/PID/environ or cmdline buffer of n bytes as a NULL-terminated
 * vector in vec (cap entries, the last for NULL); the count. A buffer
 * cut short loses its partial last string. */
int il_nul_split(char *buf, size_t n, const char **vec, int cap) IL_HIDDEN;

/* own_files.c: could this name be one of interlock's own files (a cheap
 * prefilter), and is abs one of the protected paths (newline-separated
 * list) or inside one, or with ancestors, also a directory above one? */
int il_own_file_name(const char *path) IL_HIDDEN;
/* The same for a final component already split off: b[0..n), no slash. */
int il_own_file_base(const char *b, size_t n) IL_HIDDEN;
int il_path_protected(const char *list, const char *abs, int ancestors) IL_HIDDEN;

/* caller.c: fills vec (cap entries) from a /proc/PID/cmdline buffer of n
 * bytes and the /proc/PID/exe path; returns the count, -1 if unknown. */
int il_caller_split(char *cmdline, size_t n, const char *exe, const char **vec, int cap) IL_HIDDEN;
/* Does caller match one of the newline-separated `unless-caller` patterns
 * ("PROGRAM-GLOB WORD... !WORD...": the words among its arguments, in
 * order, and no !WORD among them)? */
int il_caller_matches(const char *patterns, const char *const *caller) IL_HIDDEN;

/* One command after peeling wrappers and shells. */
struct il_cmd {
	const char *name;    /* program base name */
	const char **argv;   /* argv[0..argc-1], argv[argc] == NULL */
	int argc;
	const char *cwd;
	int layer;           /* 0: the exec itself; >0: found inside it */
	/* Its environment: the exec's with what a shell string or a wrapper
	 * set for it (VAR=x cmd, export, env VAR=x); NULL: the exec's own. */
	char *const *envp;
	/* Its standard input where the command line says what it is (a
	 * here-document, a here-string, echo piped in), else NULL. */
	const char *stdin_text;
};

struct il_verdict {
	int action;          /* enum il_action */
	int rule;            /* rule index or -1 */
	const char *rule_id;
	const char *why;
	const char *target;  /* matched target path or capture, or NULL */
	char word[256];      /* confirmation word */
	const struct il_cmd *cmd; /* the command that matched (arena memory) */
	int error;           /* nonzero: evaluation failed (out of scratch) -> fail closed */
	int quiet;           /* refused without a message or question (quiet-program) */
	/* What the operation is, set by the judges (judge.c): its kind
	 * ("exec", "open", "delete", "connect"), its words for the human and
	 * the agent, and the argv the audit record and an approval keep. */
	const char *event;
	const char *what;
	const char **argv;
	/* A confirm of an exec: each operation it named that needs the
	 * question (a shell string can name several), as an approval
	 * identifies them (judge.c, il_op_key). */
	const struct il_op *ops;
	int nops;
	/* A confirm or deny of a shell string whose every such command is a
	 * program the shell will exec (not a builtin such as echo, not fed by
	 * a here-document or pipe the string spells out): each would be judged
	 * again at its own exec, so the string may be left to a shell that
	 * carries the preload (hosts: exec_check.c, trap_exec.c). */
	int exec_judged;
};

/* One operation as an approval names it: the rule, the target, and the
 * normalized command (the program's base name, its arguments, the
 * directory it runs in). A yes to a shell string approves the operations
 * it named: the shell's own exec of exactly one of them passes once. */
struct il_op {
	const char *rule_id;
	const char *target; /* may be NULL */
	const char *key;    /* "NAME ARG... \t CWD", shell-quoted (il_op_key) */
};
#define IL_MAX_OPS 16
/* The normalized command of a peeled command, in arena memory. */
const char *il_op_key(struct il_arena *a, const struct il_cmd *cmd) IL_HIDDEN;

/* Decides one exec. Heap-free: all memory from a. */
int il_decide_exec(struct il_snap_view *v, const struct il_exec_event *ev,
		   struct il_arena *a, struct il_verdict *out) IL_HIDDEN;

/* Decides a shell command line (rule examples, `interlock check -c`). With
 * only_rule >= 0, only that rule is tried. */
int il_decide_shell(struct il_snap_view *v, const char *text, const struct il_exec_event *ev,
		    struct il_arena *a, struct il_verdict *out, int only_rule) IL_HIDDEN;

/* ---- one open, as seen by a hook ---- */
struct il_open_event {
	const char *path;   /* as passed, or already absolute for *at() with a dirfd */
	const char *cwd;    /* absolute working directory (for relative paths) */
	unsigned access;    /* IL_A_* of snapshot.h */
	char *const *envp;
	const char *profile;
	long pid;           /* the opening process (for other-process) */
	const char *process; /* base name of the opening program, NULL if unknown */
	int resolved;       /* path is absolute with symlinks already resolved (by the hook) */
	/* The host could not name the file's directory (deeper than PATH_MAX):
	 * path is the name as the program gave it, cwd the deepest ancestor
	 * the host could name (il_near_name). */
	int unnamed;
};
/* The cheap prefilter il_open_candidate is inline, in open_quick.h. */
int il_decide_open(struct il_snap_view *v, const struct il_open_event *ev, struct il_arena *a,
		   struct il_verdict *out, int only_rule) IL_HIDDEN;

/* ---- one connect, as seen by a hook ---- */
struct il_net_event {
	int family;            /* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* network order; IPv4 in the first 4 bytes */
	unsigned port;
	const char *host;      /* the name this address was resolved from, or NULL */
	char *const *envp;
	const char *profile;
};
/* Parses "1.2.3.4", "1.2.3.0/24", "::1", "fd00::/8" into 16 bytes (IPv4
 * mapped as ::ffff:a.b.c.d) and a prefix length on that 128-bit form. */
int il_cidr_parse(const char *s, unsigned char addr[16], int *bits) IL_HIDDEN;
int il_snap_has_connect_rules(const struct il_snap_view *v) IL_HIDDEN;
int il_decide_connect(struct il_snap_view *v, const struct il_net_event *ev, struct il_arena *a,
		      struct il_verdict *out, int only_rule) IL_HIDDEN;
/* The session's pinned name for a host (tests), as text, or NULL. */
const char *il_snap_pinned_host(const struct il_snap_view *v, const char *name, char *buf, size_t cap) IL_HIDDEN;

/* An address of 16 bytes (IPv4 mapped) as text. */
void il_format_addr(char *buf, size_t cap, const unsigned char addr[16]) IL_HIDDEN;

/* ---- the judges (judge.c): the whole policy for one operation ----
 * Built-in protections first (interlock's own files, the human's
 * terminal), then what the host's facts waive (a missing file, temp and
 * scratch trees, rm's deletes left to its command line, a tree the human
 * already allowed), then the rules. Hosts gather the facts below and carry
 * out the verdict (outcome functions further down); their quick rejects
 * stay in front and must only ever answer "allow". */
struct il_facts {
	char *const *envp;   /* the environment the rules read (HOME, $VAR) */
	const char *profile;
	long pid;            /* the calling process */
	const char *process; /* its program's base name as rules may name it;
				NULL when unknown or made in this session */
	long self;           /* whose /proc/self a path means; 0: the caller's own */
	int audit_writer;    /* the caller is interlock's preload: its append to
				the audit log is its own record (the supervisor) */
	/* A yes already covers this path's tree for the caller (deletes);
	 * asked only when nothing else frees the delete. NULL: never. */
	int (*approved)(void *ctx, const char *abs);
	void *ctx;
};

struct il_open_op {
	const char *path;    /* absolute, symlinks resolved; unnamed: the name as given */
	const char *written; /* the path as written, made absolute (lexically), or NULL */
	const char *dir;     /* unnamed: the deepest ancestor that has a name */
	unsigned access;     /* IL_A_* */
	int append;          /* O_APPEND (a write that cannot erase) */
	int link;            /* a (sym)link being made to the file: judged as a read */
	int unnamed;         /* the directory is nested too deep to have a path */
	int walked;          /* the caller listed the file's directory: a tree walk
				met it, no command named it (the preload's walked.c) */
};
int il_judge_open(struct il_snap_view *v, const struct il_open_op *op, const struct il_facts *f, struct il_arena *a,
		  struct il_verdict *out) IL_HIDDEN;

enum { IL_DEL_UNLINK = 0, IL_DEL_RMDIR = 1, IL_DEL_RENAME = 2 };
/* A file that takes over the name of a file older than the session (a
 * rename onto it: sed -i, an editor's atomic save, os.replace) keeps that
 * file's age: its inode goes into the session's record (adopted.c), which
 * il_born_in_session reads. The judge fills one in (want) for a rename it
 * allows; the host writes it with il_adopt_note before the rename is made. */
struct il_adopt {
	int want;
	uint32_t dev_major, dev_minor;
	uint64_t ino;
	int64_t btime_sec;
	uint32_t btime_nsec;
	int own; /* and into the record of own edits: what the name held was
		    clean, or the session's own edit already (adopted.c) */
};
struct il_delete_op {
	const char *path;    /* absolute, lexical (the name is not followed);
				unnamed: the deepest ancestor that has a name */
	const char *name;    /* unnamed: the name as given, below path */
	const char *to;      /* a rename's destination, absolute, or NULL */
	int kind;            /* IL_DEL_* */
	int unnamed;
	struct il_adopt *adopt; /* a rename: where the judge says what to record, or NULL */
	int no_replace;      /* a rename that replaces nothing at its destination
				(RENAME_NOREPLACE, RENAME_EXCHANGE) */
};
int il_judge_delete(struct il_snap_view *v, const struct il_delete_op *op, const struct il_facts *f,
		    struct il_arena *a, struct il_verdict *out) IL_HIDDEN;
/* Appends what the judge asked to record (nothing when !ad->want) to the
 * session's record, one O_APPEND write; 0 done, -1 (errno) it could not be
 * written (the hosts let the rename happen all the same: the file then
 * counts as the agent's own, as it did before the record existed). */
int il_adopt_note(const struct il_snap_view *v, const struct il_adopt *ad) IL_HIDDEN;
/* A file just created (fd) whose content is not the session's work though
 * it is born in the session (git stash pop writing the user's edits back):
 * into the adopted record, so that il_born_in_session says no. */
void il_foreign_note(const struct il_snap_view *v, int fd) IL_HIDDEN;
/* The record's name in the session directory (the wrapper creates it empty). */
#define IL_ADOPTED_FILE "adopted"
/* The session's own edits of tracked files (adopted.c): a write or
 * truncating open of an existing file is about to be let happen. Both
 * hosts ask il_own_edit_candidate first (one statx of path, at dirfd,
 * followed: an existing regular file not changed since the session
 * began, in a session that keeps the record), and only then, with the
 * file's absolute resolved path, il_own_edit_note: if git's index has the
 * file as it is (its stat data, not racily clean), its inode goes into
 * the session's record, and a later loss of the changes made to it is the
 * session's own. Errno is left alone; a record that cannot be written
 * makes the file count as the user's (asked later). */
int il_own_edit_candidate(const struct il_snap_view *v, int dirfd, const char *path) IL_HIDDEN;
void il_own_edit_note(const struct il_snap_view *v, const char *abs) IL_HIDDEN;
/* The record's name in the session directory, beside the adopted one
 * (the wrapper creates it empty). */
#define IL_OWN_EDITS_FILE "own-edits"
int il_judge_connect(struct il_snap_view *v, const struct il_net_event *ev, struct il_arena *a,
		     struct il_verdict *out) IL_HIDDEN;
int il_judge_exec(struct il_snap_view *v, const struct il_exec_event *ev, struct il_arena *a,
		  struct il_verdict *out) IL_HIDDEN;

/* ---- SQL a program sends through a client library (sql_text.c, sql_judge.c) ---- */
enum { IL_SQL_SQLITE = 0, IL_SQL_POSTGRES = 1, IL_SQL_MYSQL = 2 }; /* the dialect: the library */
enum { IL_SQL_TABLE = 1, IL_SQL_DATABASE = 2 };                 /* what a CREATE made */
/* The quick check in front of the judge, from the statements' leading
 * words alone: IL_SQL_LOSES when one may be a statement the SQL rules
 * stop (DROP, TRUNCATE, DELETE, UPDATE, ALTER, WITH ... DELETE), and
 * IL_SQL_MAKES when one is a CREATE (a name the process may record). */
enum { IL_SQL_LOSES = 1, IL_SQL_MAKES = 2 };
unsigned il_sql_scan(const char *text, size_t len, int dialect) IL_HIDDEN;
/* made(ctx, kind, name, n) for each name a plain CREATE TABLE, DATABASE
 * or SCHEMA of the text makes (not IF NOT EXISTS or OR REPLACE, which may
 * meet an existing one); only the first statement's with first_only. */
void il_sql_made(const char *text, size_t len, int dialect, int first_only,
		 void (*made)(void *ctx, int kind, const char *name, size_t n), void *ctx) IL_HIDDEN;
struct il_sql_op {
	int dialect;          /* IL_SQL_* */
	const char *text;     /* the statements as sent, len bytes */
	size_t len;
	const char *file;     /* SQLite: the main database's file, absolute; "" for one in
				 memory or temporary; NULL: not known */
	const char *host, *port, *dbname; /* servers (each may be NULL) */
	const char *cwd;
	/* Did this process make the table or database (IL_SQL_TABLE,
	 * IL_SQL_DATABASE) name[0..n) in this database (its CREATE seen by
	 * the hooks)? NULL: it made none. */
	int (*made)(void *ctx, int kind, const char *name, size_t n);
	/* This process's command line (its program's base name, then its
	 * arguments, NULL-terminated), the one its exec was judged with;
	 * NULL: not known. */
	const char *const *(*cmdline)(void *ctx);
	void *ctx;
};
/* Each statement that may lose data, judged by the rules that judge it
 * on a client's command line (psql -c, sqlite3 FILE, mysql -e) with the
 * database as its target; the verdict is the strictest, and a confirm
 * names every statement it covers (ops). Waived: a SQLite file in a temp
 * or scratch directory or made in the session, a table or database made
 * by this process or earlier in the same text, a statement that was on
 * this process's command line when its exec was confirmed. Event "sql". */
int il_judge_sql(struct il_snap_view *v, const struct il_sql_op *op, const struct il_facts *f, struct il_arena *a,
		 struct il_verdict *out) IL_HIDDEN;

/* ---- outcome (outcome.c): carrying out a verdict, the same everywhere ---- */
/* How a question was answered, or why none was asked. */
enum il_answer {
	IL_ANS_ONCE,        /* the human typed the word */
	IL_ANS_SESSION,     /* WORD!: for the rest of the session */
	IL_ANS_HUMAN,       /* the human refused: Enter alone, Ctrl-C, Ctrl-D, "no" */
	IL_ANS_WRONG_WORD,
	IL_ANS_TIMEOUT,
	IL_ANS_NO_TERMINAL, /* no human terminal, or the session is ending */
	IL_ANS_BUSY,        /* too many questions waiting */
	IL_ANS_WITHDRAWN,   /* every asker went away before the answer */
	IL_ANS_NO_BROKER,   /* the broker could not be asked (it recorded nothing) */
	IL_ANS_RULE,        /* nobody was asked: a deny rule or a built-in protection */
	IL_ANS_COUNT
};
int il_answer_allows(enum il_answer a) IL_HIDDEN;
const char *il_answer_by(enum il_answer a) IL_HIDDEN;       /* the audit record's "by" */
const char *il_answer_decision(enum il_answer a) IL_HIDDEN; /* "allowed" or "denied" */
const char *il_answer_how(enum il_answer a) IL_HIDDEN;      /* "; the human did not confirm in time:" */
/* The broker's reply on its socket ("allow once", "deny timeout"), NULL for
 * the answers it never sends; and back: an exact match, anything else is
 * IL_ANS_NO_BROKER (a no). */
const char *il_answer_reply(enum il_answer a) IL_HIDDEN;
enum il_answer il_answer_parse(const char *reply, size_t n) IL_HIDDEN;
/* Must the host write this decision's audit record (outcome.c says who
 * writes which)? has_broker: the question went to a broker. */
int il_host_records(const struct il_verdict *v, enum il_answer a, int has_broker) IL_HIDDEN;
/* The one line a refused program reads on its stderr, newline included:
 * "interlock: blocked: WHAT: WHY (rule R); HOW do not try to work around
 * this block; ask the user ...". Returns its length. */
size_t il_blocked_line(char *buf, size_t cap, const char *what, const struct il_verdict *v,
		       enum il_answer a) IL_HIDDEN;
/* $XDG_STATE_HOME/interlock/audit.jsonl, else $HOME/.local/state/...
 * (/tmp without HOME), from envp; its length, 0 if it does not fit. */
size_t il_audit_default_path(char *const *envp, char *buf, size_t cap) IL_HIDDEN;

/* ---- wire (wire.c): a confirmation request on the broker's socket ----
 * One SOCK_SEQPACKET datagram of KEY=VALUE lines: v=1, then rule, word,
 * why, command, target, cwd, exe, event (not for an exec), argc and one
 * arg line per argument. A newline in a value is a space, except in an
 * arg line, where newline and backslash are escaped (\n, \\). The reply
 * is one line: il_answer_reply's words. */
#define IL_WIRE_VERSION "1"
enum il_wire_key {
	IL_W_VERSION, IL_W_RULE, IL_W_WORD, IL_W_WHY, IL_W_COMMAND, IL_W_TARGET, IL_W_CWD, IL_W_EXE, IL_W_EVENT,
	IL_W_ARGC, IL_W_ARG, IL_W_OP, IL_W_NKEYS
};
extern const char *const il_wire_keys[IL_W_NKEYS] IL_HIDDEN;
/* The key a line's name is, or -1 (unknown keys are ignored). */
int il_wire_key(const char *name) IL_HIDDEN;
/* Appends the line KEY=VALUE to buf[0..n) (cap bytes); the new length, or
 * n when the whole line does not fit. */
size_t il_wire_put(char *buf, size_t n, size_t cap, enum il_wire_key k, const char *val) IL_HIDDEN;
/* An arg value back as it was, in place. */
void il_wire_unescape(char *s) IL_HIDDEN;

/* ---- prompt (prompt_text.c): the question's words, everywhere ---- */
/* What the human is shown. Every string is shown with control characters
 * escaped: a directory name must not be able to redraw the prompt. */
struct il_prompt_info {
	const char *command, *why, *rule, *profile, *cwd, *chain, *word, *target;
};
/* The prompt, ending in `Type "WORD" to allow once, "WORD!" ...: `; held:
 * the agent's output waits meanwhile (the wrapper's pty). Its length. */
size_t il_prompt_text(char *buf, size_t cap, const struct il_prompt_info *in, int timeout_s, int held) IL_HIDDEN;
/* What a typed line answers: the word (once), the word and ! (the session),
 * nothing (a human's no), anything else (the wrong word). */
enum il_answer il_prompt_decide(const char *typed, const char *word) IL_HIDDEN;
/* The line shown after the answer. */
const char *il_prompt_outcome(enum il_answer a) IL_HIDDEN;
/* Length of the UTF-8 sequence at p if it is valid and safe to show on a
 * terminal, else 0: not C1 controls, not the bidirectional overrides. */
int il_utf8_safe_len(const unsigned char *p) IL_HIDDEN;

/* A text built in a caller's buffer of cap bytes, heap-free (the audit
 * record, the prompt, the syslog message, what git would lose): what does
 * not fit is cut off and noted in overflow; it is always NUL-terminated. */
struct il_text {
	char *p;
	size_t n, cap;
	int overflow;
};
void il_text_init(struct il_text *t, char *buf, size_t cap) IL_HIDDEN;
void il_text_put(struct il_text *t, const char *s, size_t n) IL_HIDDEN;
void il_text_str(struct il_text *t, const char *s) IL_HIDDEN; /* NULL: nothing */
/* v in decimal, at least width digits, padded on the left with pad */
void il_text_num(struct il_text *t, unsigned long v, int width, char pad) IL_HIDDEN;

/* Formats a command line for humans (shell-quoted where needed) into buf. */
size_t il_format_argv(char *buf, size_t cap, const char *const *argv, int argc) IL_HIDDEN;

/* ---- audit ---- */
struct il_audit_rec {
	const char *session;
	const char *profile;
	long pid, ppid;
	const char *exe;
	const char *const *argv;
	const char *cwd;
	const char *event;    /* "exec" */
	const char *rule;     /* may be NULL */
	int action;
	const char *decision; /* "allowed", "denied", "logged", ... */
	const char *by;       /* who decided: "rule", "no-terminal", "human", ... */
	const char *approval; /* the question a human answered ("q3"): on its answer's
				 record and on each exec that answer carried to; or NULL */
};
/* Formats one JSON line (with trailing newline) into buf; returns its length,
 * or 0 if it did not fit. */
size_t il_audit_format(char *buf, size_t cap, const struct il_audit_rec *r, long long unix_ms) IL_HIDDEN;
/* s as a JSON string literal (same escaping as the audit log); 0 if it
 * did not fit. */
size_t il_json_quote(char *buf, size_t cap, const char *s) IL_HIDDEN;
/* Appends one line to path with a single O_APPEND write, creating parent dirs. */
int il_audit_append(const char *path, const char *line, size_t len) IL_HIDDEN;

#endif
