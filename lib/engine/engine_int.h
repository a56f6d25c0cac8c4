/* Internal declarations shared by the engine's runtime files. */
#ifndef IL_ENGINE_INT_H
#define IL_ENGINE_INT_H

#include "il.h"
#include "snapshot.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

static inline void il_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

uint32_t il_hash_name(const char *s) IL_HIDDEN;
const struct il_snap_slot *il_snap_lookup(const struct il_snap_view *v, const char *name) IL_HIDDEN;
const struct il_snap_slot *il_snap_lookup_in(const struct il_snap_view *v, uint32_t table, uint32_t nslots,
					     const char *name, size_t len) IL_HIDDEN;
const struct il_snap_rule *il_snap_rule(const struct il_snap_view *v, uint32_t i) IL_HIDDEN;
const struct il_snap_prog *il_snap_prog_for(const struct il_snap_view *v, const char *name) IL_HIDDEN;
int il_snap_globs_match(const struct il_snap_view *v, uint32_t globs, const char *name) IL_HIDDEN;
int il_snap_rule_names(const struct il_snap_view *v, const struct il_snap_rule *r, const char *name) IL_HIDDEN;
int il_snap_decode(struct il_snap_view *v) IL_HIDDEN;
pcre2_general_context *il_pcre2_context(struct il_arena *a) IL_HIDDEN;

/* cmd's argv with the request data its program reads from files
 * (data-options @FILE, data-file-options FILE) in place of the file names;
 * cmd->argv itself when there is none (request_data.c). */
const char **il_request_data_argv(struct il_arena *a, const struct il_snap_view *v, const struct il_cmd *cmd) IL_HIDDEN;

/* The command as rules read it (cmd_view.c): the options a client reads
 * from its config files spliced in where it reads them (curl -K FILE,
 * ~/.curlrc, wget -e), the words of a command it runs (find -exec CMD ...
 * ;) left out but for CMD's name, and its standard input where a rule
 * needs it (ev: the exec, whose own stdin the host can peek at). cmd
 * itself when nothing changes. */
const struct il_cmd *il_cmd_view(struct il_arena *a, const struct il_snap_view *v, const struct il_cmd *cmd,
				 const struct il_exec_event *ev) IL_HIDDEN;
/* What a statement client (psql, sqlite3, mysql, nsupdate) runs besides
 * its argv: its standard input where the command line says what it is
 * ([program] statements-on-stdin: a here-document, a here-string, echo
 * piped in, or what the host peeked at) and the files its
 * statement-file-options name (psql -f FILE). Each goes to out[0..cap)
 * as one text that `arg` conditions read like one more raw argument;
 * the count. */
int il_cmd_statements(struct il_arena *a, const struct il_snap_view *v, const struct il_cmd *cmd,
		      const struct il_exec_event *ev, const char **out, int cap) IL_HIDDEN;
/* The [program NAME SUBCOMMAND] traits of a command whose first operand
 * is sub (sub[0..n)), or NULL (argscan.c). */
const struct il_snap_prog *il_snap_sub_prog(const struct il_snap_view *v, const char *name, const char *sub,
					    size_t n) IL_HIDDEN;

/* envp with the assignments NAME=VALUE (n of them) put in front, each
 * replacing a variable of that name, in arena memory (cmd_env.c); envp
 * itself when n is 0 or there is no memory. */
char *const *il_env_with(struct il_arena *a, char *const *envp, const char *const *assign, int n) IL_HIDDEN;
/* Is s NAME=VALUE with a shell variable's NAME? */
int il_is_assignment(const char *s) IL_HIDDEN;

/* Is s one of the options a program accepts before its leading operands? */
int il_leading_option(const char *list, const char *s) IL_HIDDEN;

int il_cidr_list_has(const char *list, const unsigned char addr[16]) IL_HIDDEN;
int il_port_list_has(const char *list, unsigned port) IL_HIDDEN;

/* Predicates (IL_P_* mask) that hold for an absolute path. */
unsigned il_path_predicates(const char *path, unsigned wanted, const char *home, const char *home2) IL_HIDDEN;

/* A list of commands produced by peeling one exec. */
struct il_cmdlist {
	struct il_cmd *v;
	int n, cap;
};
/* Splits a shell string into commands, appended to out (and peeled). */
struct il_peel_ctx {
	struct il_snap_view *snap;
	struct il_arena *a;
	char *const *envp;
	struct il_cmdlist *out;
	int budget; /* bounds recursion and work */
	struct il_line_facts *line;  /* what earlier commands of the line made (peel.c) */
	const char *stdin_text;      /* what the next command added reads on stdin (shell.c) */
};
void il_peel(struct il_peel_ctx *c, const char **argv, int argc, const char *cwd, int layer) IL_HIDDEN;
void il_shell_parse(struct il_peel_ctx *c, const char *s, const char *cwd, int layer) IL_HIDDEN;
int il_cmdlist_add(struct il_peel_ctx *c, const char **argv, int argc, const char *cwd, int layer) IL_HIDDEN;

/* A pipe that lists files into xargs (pipe_src.c): `find DIR | xargs rm`
 * is judged as `find DIR -exec rm {} +` too. One per shell string; each
 * simple command of it is passed in order, to_pipe when its output goes
 * into a pipe. */
struct il_pipe_src {
	const char **words;  /* the find (or the find an ls is) that lists */
	int n;
	const char *cwd;
	int selected;        /* a later grep kept only some of the names */
	const char *pattern; /* its pattern, when known */
};
void il_pipe_stage(struct il_peel_ctx *c, struct il_pipe_src *src, const char **words, int nwords, const char *cwd,
		   int layer, int to_pipe) IL_HIDDEN;

/* Argument classification of one command, per its program traits. */
struct il_argscan {
	const char **options;   /* normalized option names */
	int noptions;
	const char **operands;
	int noperands;
	int nleading;           /* operands before the first option */
	int help;               /* one of its help-options: it prints its usage and does nothing */
};
void il_argscan(struct il_arena *a, const struct il_snap_view *v, const struct il_cmd *cmd,
		struct il_argscan *out) IL_HIDDEN;

/* ---- deletes (deletes.c): unlink, rmdir and rename of protected trees ---- */
struct il_delete_event {
	const char *path;    /* absolute, lexical: what is removed or renamed away */
	const char *to;      /* rename: absolute destination; else NULL */
	int kind;            /* IL_DEL_* */
	char *const *envp;
	const char *profile;
	long pid;
	const char *process; /* base name of the deleting program, NULL if unknown */
	/* The host could not name the path (a directory deeper than PATH_MAX):
	 * path is the deepest ancestor it could name, the rest is unknown. */
	int unnamed;
	/* rm & co ([deletes] exec-judged): their command line was judged, so
	 * what it names (a system directory, HOME, a tree too deep to name)
	 * is not asked twice; work, data and secrets it does not name are. */
	int exec_judged;
};
/* A rename of from onto to (both absolute, not followed): does to exist
 * (*exists), and would the rename make a file born in the session take
 * over the name of one that is not (ad->want, with the identity to record;
 * ad may be NULL)? adopted.c. */
void il_rename_takeover(const struct il_snap_view *v, const char *from, const char *to, int *exists,
			struct il_adopt *ad) IL_HIDDEN;
/* Decides one delete or rename. A protected verdict is IL_CONFIRM with
 * target = the tree (work tree root, home directory, file) one approval
 * covers and word = its base name. */
int il_decide_delete(struct il_snap_view *v, const struct il_delete_event *ev, struct il_arena *a,
		     struct il_verdict *out) IL_HIDDEN;

/* ---- git facts (git_index.c, gitignore.c, sha.c, git_run.c, git_loss.c) ---- */
/* Runs /usr/bin/git -c core.fsmonitor=false ARGS... in dir (git_run.c:
 * raw system calls, a fixed environment, a time limit); its stdout, NUL
 * terminated, in out. Returns git's exit status, -1 when it could not be
 * run or did not answer in time. */
int il_git_run(const char *dir, const char *const *args, char *out, size_t cap, size_t *outlen) IL_HIDDEN;
/* A path's state in its work tree: tracked and as git has it (a delete
 * loses nothing), tracked and changed or unknowable (uncommitted work),
 * untracked (new work), ignored (regenerable), a directory holding
 * tracked files (what moving it loses is what is in it). */
enum { IL_GIT_CLEAN = 1, IL_GIT_MODIFIED, IL_GIT_UNTRACKED, IL_GIT_IGNORED, IL_GIT_TREE };
struct il_git_entry {
	uint32_t ctime_s, ctime_ns, mtime_s, mtime_ns, ino, mode, size;
	unsigned char id[32];
	int idlen, stage;
};
/* The index of the work tree at root[0..n) (a .git file followed); 0 or -1. */
int il_git_index_path(const char *root, size_t n, char *out, size_t cap) IL_HIDDEN;
/* Does git track rel (or files under it)? An unreadable index: 1. */
int il_git_tracked(const char *root, size_t n, const char *rel) IL_HIDDEN;
/* Is rel (below the work tree at root[0..n); abs, the file) an index
 * entry whose cached stat data equals st (size, mtime, ctime, inode), a
 * regular file at stage 0? git's own test: with the file's mtime before
 * the index file's, no content is read; a racily clean entry (the same
 * tick) is compared by content, up to 1 MiB. 1 yes; 0 no, or cannot tell. */
struct il_stat_data {
	uint64_t size, ino;
	int64_t mtime_s, ctime_s;
	uint32_t mtime_ns, ctime_ns;
};
int il_git_stat_clean(const char *root, size_t n, const char *rel, const char *abs,
		      const struct il_stat_data *st) IL_HIDDEN;
/* The work tree holding the file p (the nearest directory above it with
 * a .git; deletes.c, remembered for a second): its length, 0 if none. */
size_t il_worktree_len(const char *p) IL_HIDDEN;
/* The same from p itself (p may be the work tree). */
size_t il_worktree_top(const char *p) IL_HIDDEN;
/* Are the uncommitted changes of the regular file abs all the session's
 * own: born in the session (not by taking over an older file's name), or
 * an inode the record of own edits has (adopted.c)? */
int il_own_change(const struct il_snap_view *v, const char *abs) IL_HIDDEN;
/* IL_GIT_* of the file abs, rel below the work tree at root[0..n). */
int il_git_file_state(const char *root, size_t n, const char *rel, const char *abs) IL_HIDDEN;
/* Does git ignore rel (a directory when is_dir), its parents' rules included? */
int il_git_ignored(const char *root, size_t n, const char *rel, int is_dir) IL_HIDDEN;
/* Tracked files whose content differs from the index, under the
 * root-relative paths rels (each a file or a directory; none, or "": the
 * whole tree): how many, and the first IL_GIT_CHANGES_NAMED names. 0, or
 * -1 when the index cannot be read. A file deleted from the work tree is
 * not counted (git has it), nor one whose changes are all the session's
 * own (il_own_change; v may be NULL: none is). */
#define IL_GIT_CHANGES_NAMED 3
struct il_git_changes {
	int count;
	char names[IL_GIT_CHANGES_NAMED][256];
};
int il_git_changed(const struct il_snap_view *v, const char *root, size_t n, const char *const *rels, int nrels,
		   struct il_git_changes *out) IL_HIDDEN;
/* What a git command would throw away (git_loss.c), for exec rules with
 * `loses = ` (the IL_LOSS_* of the names il_loss_parse knows). 1 with
 * *what (arena memory: "2 files with uncommitted changes: a.c, b.c") when
 * something would be lost or that cannot be told; 0 when nothing would. */
enum { IL_LOSS_CHANGES = 1u, IL_LOSS_UNTRACKED = 2u, IL_LOSS_STASH = 4u, IL_LOSS_BRANCH = 8u, IL_LOSS_REMOTE = 16u,
       IL_LOSS_DATABASE = 32u /* decide.c: the rows of a database file */, IL_LOSS_WORKTREE = 64u };
unsigned il_loss_parse(const char *word, size_t n) IL_HIDDEN;
const char *il_loss_names(void) IL_HIDDEN;
int il_git_loses(const struct il_snap_view *v, struct il_arena *a, const struct il_cmd *cmd, char *const *envp,
		 unsigned facts, const char **what) IL_HIDDEN;
struct il_sha {
	uint32_t h[8];
	unsigned char buf[64];
	size_t fill;
	uint64_t len;
	int sha256;
};
void il_sha_init(struct il_sha *s, int sha256) IL_HIDDEN;
void il_sha_update(struct il_sha *s, const void *data, size_t n) IL_HIDDEN;
size_t il_sha_final(struct il_sha *s, unsigned char *out) IL_HIDDEN; /* 20 or 32 bytes */

/* ---- git aliases (git_alias.c) ---- */
/* After `git ... X ...` was added: if X is an alias in the command-line
 * (-c alias.X=...), repository or user git config, peels its expansion as
 * another layer. cwd: the command's directory; ccwd: after its -C options. */
void il_git_alias_peel(struct il_peel_ctx *c, const char **argv, int argc, const char *cwd, const char *ccwd,
		       int layer) IL_HIDDEN;

#endif
