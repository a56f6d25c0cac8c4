/* Internal interface of libinterlock.so. Every function here may run in a
 * vfork child or between fork and exec in a multithreaded program: no
 * malloc, no locks, no stdio. */
#ifndef IL_PRELOAD_H
#define IL_PRELOAD_H

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>

#include "il.h"
#include "open_quick.h"

#define IL_EXPORT __attribute__((visibility("default")))

/* The real functions of the spawn family, looked up on first use in the
 * parent (spawn.c). The exec family calls the kernel itself (exec.c). */
struct il_real {
	int (*posix_spawn)(pid_t *, const char *, const posix_spawn_file_actions_t *,
			   const posix_spawnattr_t *, char *const[], char *const[]);
	int (*posix_spawnp)(pid_t *, const char *, const posix_spawn_file_actions_t *,
			    const posix_spawnattr_t *, char *const[], char *const[]);
	int (*system)(const char *);
	FILE *(*popen)(const char *, const char *);
};
extern struct il_real il_real IL_HIDDEN;
/* The next definition of a hooked function (the one libc exports), looked
 * up on first use through *cache; NULL if there is none. Not in a vfork
 * child (dlsym takes the loader's lock). */
void *il_next(void **cache, const char *name) IL_HIDDEN;
void il_init_once(void) IL_HIDDEN; /* capture the session (idempotent) */

/* What the constructors write in every process goes here: into .data,
 * after the PLT's GOT, which the loader writes in every process (lazy
 * binding relocates it), so that page is private already and nothing
 * else of the library's writable memory is touched before a hook runs.
 * Each page more is a page fault in every process of the tree. Keep it
 * to a few hundred bytes; big or rarely used state stays elsewhere. */
#define IL_HOT __attribute__((section(".data.il_hot")))

/* For the constructors: no call through the PLT (the first call of a libc
 * function in a process costs the loader a symbol lookup, about 800
 * instructions) and no string literal (.rodata would be one page more). */
static inline size_t il_init_len(const char *s)
{
	size_t n = 0;
	while (s[n]) {
		n++;
		__asm__("" : "+r"(n)); /* or gcc makes the loop a call to strlen */
	}
	return n;
}
static inline int il_init_prefix(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++)
		if (*s != *prefix)
			return 0;
	return 1;
}

/* Session state captured when the library was loaded. The strings are
 * never NULL ("" when unset); the *_var are the whole NAME=value entries
 * (NULL when not kept), put back as they are into a child's environment. */
struct il_session {
	int active;             /* a session or a preload to keep alive exists */
	int shell;              /* a dev-shell session (shell-init) */
	const char *lib;        /* absolute path of this library */
	const char *session;
	const char *snapshot;
	const char *profile;
	const char *session_var, *snapshot_var, *profile_var;
};
extern struct il_session il_sess IL_HIDDEN;

/* The rule snapshot of this process, mapped on first use. NULL when no rule
 * set applies (no session, no installed snapshot). *broken is set when a
 * session names a snapshot that cannot be read: everything must fail closed. */
struct il_snap_view *il_snapshot(int *broken) IL_HIDDEN;
/* The directories this process listed (walked.c): noted at each open of
 * one (fd), asked for the directory holding an absolute path. */
void il_walk_note(int fd) IL_HIDDEN;
int il_walk_listed(const char *abs) IL_HIDDEN;
int il_shell_session(void) IL_HIDDEN; /* a dev-shell (shell-init) session */
/* The rule set this process mapped, if it did, without asking whether a
 * dev-shell session has ended since: only for answers an ended session
 * gives as well (the quick reject). */
struct il_snap_view *il_snapshot_mapped(void) IL_HIDDEN;
/* The mapped rule set once it is loaded, else NULL: the quick reject's one
 * load. Only for answers an ended dev-shell session gives as well (the
 * quick reject); anything else asks il_snapshot(), which notices the end. */
extern struct il_snap_view *il_fast_view IL_HIDDEN;
static inline struct il_snap_view *il_snapshot_ready(void)
{
	return __atomic_load_n(&il_fast_view, __ATOMIC_ACQUIRE);
}
int il_session_ended(void) IL_HIDDEN; /* ... that interlock_deactivate ended */
/* il_dir_facts of abs[0..dl), the directory of a canonical absolute path
 * (1 for "/"), kept for the next call in the same directory (dirfacts.c). */
unsigned il_dir_facts_at(const struct il_snap_view *v, const char *abs, size_t dl) IL_HIDDEN;

/* Decides an exec of `path` (resolved program path, or the name as given)
 * with this argv and the environment the new program will get.
 * Returns 0 to proceed; -1 with errno EACCES when blocked (message and audit
 * record already written). errno is preserved when it returns 0. */
int il_check_exec(const char *path, char *const argv[], char *const envp[]) IL_HIDDEN;
/* The same when the hook knows more (how): IL_EXEC_UNKNOWN, it has not
 * looked at path yet (one readlinkat here: a symlink runs its target);
 * else real is the file a symlink at path leads to (il_exec_real; NULL:
 * no symlink). IL_EXEC_IN_CHILD: this process is about to become the
 * program (the exec family), so its stdin is the program's. */
enum { IL_EXEC_KNOWN = 0, IL_EXEC_UNKNOWN = 1, IL_EXEC_IN_CHILD = 2 };
int il_check_exec_at(const char *path, const char *real, unsigned how, char *const argv[],
		     char *const envp[]) IL_HIDDEN;
/* This process as rules name programs (il_program_name of its exe, its
 * arguments and its environment as started), read once; NULL when it is
 * no program by name (made or changed in this session, code loaded into
 * it). */
const char *il_self_name(struct il_snap_view *v) IL_HIDDEN;
/* The first arguments (up to 16) this process started with, NUL-separated
 * (*len bytes), as the constructor kept them; NULL when it did not run. */
const char *il_self_args(size_t *len) IL_HIDDEN;
/* A file this process creates (fd) whose content may be no one's but the
 * user's though it is born in the session: git putting back a stash
 * (restored.c). il_restoring is one load after the first call. */
int il_restoring(void) IL_HIDDEN;
void il_restored(int fd) IL_HIDDEN;

/* Carries out a verdict (its what, argv and event set by the engine's
 * judge): log, ask a human, or refuse with the one-line message. exe: the
 * program, the file or the host the audit record names. buf: scratch for
 * the record and the line. Returns 0 to proceed, -1 to fail the call. */
int il_settle(struct il_snap_view *v, const struct il_verdict *verdict, const char *exe, char *buf,
	      size_t cap) IL_HIDDEN;
void il_say(const char *s) IL_HIDDEN; /* to stderr, unbuffered */

/* The path behind fd (/proc/self/fd), or NULL for pipes and sockets; the
 * directory a dirfd-relative path starts from (fdpath.c). errno kept. */
const char *il_fd_path(int fd, char *buf, size_t cap) IL_HIDDEN;
const char *il_base_dir(int dirfd, char *buf, size_t cap) IL_HIDDEN;
/* The directory path is relative to: "/" when it is absolute, else the
 * dirfd's (or the cwd's) path in arena memory; NULL if it has none. */
const char *il_dir_of(struct il_arena *a, int dirfd, const char *path) IL_HIDDEN;
/* il_dir_of, and when the directory is nested too deep to have a path
 * (longer than PATH_MAX): its deepest ancestor that has one, with
 * *unnamed set. NULL when there is neither (no such fd, not a directory). */
const char *il_dir_or_near(struct il_arena *a, int dirfd, const char *path, int *unnamed) IL_HIDDEN;
/* path made absolute against dirfd without looking at the file system (a
 * canonical absolute path is returned as it is); NULL if it cannot be. */
const char *il_lexical_path(struct il_arena *a, int dirfd, const char *path) IL_HIDDEN;

/* Scratch for one decision: a private mapping (nothing from malloc, safe
 * in a vfork child), the arena over all of it but the last IL_TEXT_SIZE
 * bytes, which hold message and audit text (fdpath.c). */
#define IL_TEXT_SIZE 65536u
struct il_scratch {
	char *mem;
	size_t size;
	struct il_arena a;
	char *text;
};
int il_scratch_open(struct il_scratch *s, size_t size) IL_HIDDEN; /* 0, or -1 */
/* /proc/self/exe, read once per program (NULL if unreadable). */
const char *il_self_exe(void) IL_HIDDEN;
/* The program's name for rules that exempt programs by name (il_self_name:
 * the script an interpreter runs); NULL when it is made or changed in this
 * session (a renamed copy) or code was loaded into it. */
const char *il_self_program(struct il_snap_view *v) IL_HIDDEN;
void il_scratch_close(struct il_scratch *s) IL_HIDDEN;

/* Opens (open_check.c). */
/* The common case of every open, decided inline: nothing to check (no
 * access asked), or a read of a file no rule names with the rule set
 * mapped. A write, a path under /dev/ (the human's terminal is refused
 * by path) or through a /proc link (/proc/self/fd/3 may lead to a key
 * opened with O_PATH) always takes il_check_open. */
static inline int il_open_unchecked_in(struct il_snap_view *v, const char *path, unsigned access)
{
	return v && !(access & ~IL_A_READ) && path &&
	       !(path[0] == '/' && path[1] == 'd' && path[2] == 'e' && path[3] == 'v' && path[4] == '/') &&
	       !(path[0] == '/' && path[1] == 'p' && path[2] == 'r' && path[3] == 'o' && path[4] == 'c' &&
		 path[5] == '/' && il_path_via_link(path)) &&
	       !il_open_candidate(v, path, access);
}
static inline int il_open_unchecked(const char *path, unsigned access)
{
	return !access || il_open_unchecked_in(il_snapshot_ready(), path, access);
}
/* il_open_unchecked for a process that has not mapped its rule set yet
 * (its first open): maps it, then the
 * quick reject gets its turn. 0 once it is mapped (ask il_open_unchecked). */
int il_open_unchecked_mapped(const char *path, unsigned access) IL_HIDDEN;
int il_check_open(int dirfd, const char *path, unsigned access) IL_HIDDEN;
int il_check_fd(int fd, unsigned access) IL_HIDDEN; /* the file behind an fd */
/* A (sym)link about to point at path (relative to dirfd): the read rules of
 * the file it leads to, told as "link to". 0 or -1 with errno EACCES. */
int il_check_link_target(int dirfd, const char *path) IL_HIDDEN;
/* Deletes, renames, links, chmod and chown that name interlock's own files
 * (its rules, audit log, session directory, library): -1 with errno
 * EACCES, told as "interlock: blocked: WHAT PATH". how: the name itself,
 * not followed (unlink, link); also a directory above one (what rmdir and
 * rename move or remove away); or the path followed to its end (chmod). */
enum { IL_OWN_NAME, IL_OWN_ABOVE, IL_OWN_FOLLOW };
int il_check_own_path(int dirfd, const char *path, const char *what, int how) IL_HIDDEN;
/* The same for the file behind an fd (fchmod, fchown). */
int il_check_own_fd(int fd, const char *what) IL_HIDDEN;

/* Already canonical: absolute, no //, /./, /../, no trailing slash (and,
 * with no_git, no .git component), in one pass hopping from slash to
 * slash: the last slash (the path itself for "/"), else NULL. */
static inline const char *il_clean_abs_last(const char *p, int no_git)
{
	if (p[0] != '/')
		return 0;
	const char *last = p;
	if (!p[1])
		return last;
	for (const char *s = p; s; s = __builtin_strchr(s + 1, '/')) {
		if (s[1] == '/' || !s[1] ||
		    (s[1] == '.' && (s[2] == '/' || !s[2] || (s[2] == '.' && (s[3] == '/' || !s[3])) ||
				     (no_git && s[2] == 'g' && s[3] == 'i' && s[4] == 't' && (s[5] == '/' || !s[5])))))
			return 0;
		last = s;
	}
	return last;
}
static inline const char *il_canonical_abs_last(const char *p)
{
	return il_clean_abs_last(p, 0);
}
static inline int il_canonical_abs(const char *p)
{
	return il_canonical_abs_last(p) != 0;
}
/* Temp-dir fast path (open_check.c): 1 if an open of this absolute, clean
 * path under a temp dir needs no check provided no symlink is on the way
 * (the caller opens with RESOLVE_NO_SYMLINKS and falls back to
 * il_check_open on ELOOP); 0: use il_check_open. No syscall. */
int il_open_temp_fast(const char *path, unsigned access) IL_HIDDEN;
/* 1 if the path as written (made absolute lexically) passes every rule;
 * the caller must then open it with RESOLVE_NO_SYMLINKS and take
 * il_check_open when that fails with ELOOP. 0: use il_check_open. */
int il_open_lexical(int dirfd, const char *path, unsigned access) IL_HIDDEN;
/* An open (or truncate) the rules allowed, about to be made: if it may
 * change an existing file for the first time in the session, the engine
 * records whether git had that file as it is (il_own_edit_candidate and
 * il_own_edit_note, adopted.c). One statx for a write of an existing or
 * missing file; nothing for a read or an exclusive create. Leaves errno. */
void il_note_write(int dirfd, const char *path, int flags, unsigned access) IL_HIDDEN;

/* Human confirmation (confirm.c). */
struct il_confirm_req {
	const char *rule, *word, *why, *command, *target, *cwd, *exe;
	char *const *argv; /* the operation's argv, for the broker's audit record (may be NULL) */
	const char *event; /* "open", "delete"; NULL or "exec" for an exec */
	const struct il_op *ops; /* the operations a yes approves (il_verdict) */
	int nops;
};
/* A dev shell's approvals (approvals.c): 2 when a WORD! covers every
 * operation of the verdict, 1 when allow-once grants do (they are used up),
 * 0 when the human must be asked; id gets the approval's name. After an
 * answer that allows, il_dev_remember keeps it and names it in id. */
int il_dev_approved(struct il_arena *a, const struct il_verdict *v, char *id, size_t cap) IL_HIDDEN;
void il_dev_remember(const struct il_verdict *v, enum il_answer ans, char *id, size_t cap) IL_HIDDEN;
/* Asks the broker at `broker` (wrapper mode) or, when broker is NULL, the
 * controlling terminal (dev-shell mode). */
enum il_answer il_confirm(const char *broker, const struct il_confirm_req *r, int timeout_s) IL_HIDDEN;

/* PATH search as execvp does it: the first candidate execve would run (a
 * regular file the effective ids may execute), in buf; file itself when it
 * has a slash or none is found. execvpe and posix_spawnp exec that file,
 * and it is what the rules judge. */
const char *il_search_path(const char *file, char *buf, size_t cap) IL_HIDDEN;
/* il_search_path, and for a file the search found (*known set), the file
 * a symlink there leads to in real (*real_out, NULL when it is none): for
 * il_check_exec_at, with no system call more than the search makes for a
 * regular file. A name with a slash or nothing found: *known is 0. */
const char *il_search_path_real(const char *file, char *buf, size_t cap, char *real, size_t rcap,
				const char **real_out, int *known) IL_HIDDEN;
/* PATH as glibc's exec*p read it (the process's environ; /bin:/usr/bin
 * when unset), and one step along it: DIR/file of the entry at dirs into
 * buf (*fits 0 when it does not fit), then the next entry, NULL after the
 * last. */
const char *il_path_dirs(void) IL_HIDDEN;
const char *il_path_entry(const char *dirs, const char *file, char *buf, size_t cap, int *fits) IL_HIDDEN;

/* Environment re-injection: envp with LD_PRELOAD and the session variables
 * put back if a program removed them. out must have room for
 * il_env_slots(envp) pointers; strbuf holds a rebuilt LD_PRELOAD value. */
size_t il_env_slots(char *const envp[]) IL_HIDDEN;
char *const *il_env_fix(char *const envp[], char **out, char *strbuf, size_t strcap) IL_HIDDEN;

#endif
