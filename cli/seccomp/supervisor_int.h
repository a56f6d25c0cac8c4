/* The supervisor's insides, shared by its files, from the bottom up:
 *   calls.c      the supervised system calls and their numbers per ABI
 *   listener.c   the notification buffers, the kernel's answers
 *   target.c     facts about the calling thread: its memory, /proc
 *   reply.c      carrying out a verdict: the line, the record, the question
 *   trap_exec.c, trap_connect.c (+ connect_emulate.c), trap_fs.c
 *                gathering each call's facts for the engine's judge
 *   dispatch.c   one notification to its handler (the lane's quick answer too)
 *   lane.c       the thread that receives every notification
 *   supervisor.c the lifecycle
 * Every decision is the engine's (lib/engine/judge.c); nothing here
 * decides, so the supervisor, the preload and `interlock check` agree. */
#ifndef IL_SUPERVISOR_INT_H
#define IL_SUPERVISOR_INT_H

#include <linux/seccomp.h>
#include <stdint.h>
#include <sys/types.h>

#include "calls.h"
#include "il.h"
#include "supervisor.h"

#define ARENA_SIZE (16u << 20) /* strings of one exec + the engine's scratch */
#define MAX_STR (128u << 10)   /* the kernel's MAX_ARG_STRLEN */
#define MAX_LIST 65536         /* argv/envp entries inspected; more is refused */
#define PAGE 4096u

struct il_sv_lane;

/* A confirm waiting for the human. */
struct pending {
	struct pending *next;
	struct il_supervisor *s;
	uint64_t id;
	pid_t tid, proc;        /* the asking thread and its process */
	const char *why, *rule; /* snapshot strings: live as long as the session */
	char command[1024];
	int sock;               /* a connect's socket in the target, -1 otherwise */
	size_t addrlen;
	unsigned char addr[128]; /* the connect's address, as judged */
	char tree[1024];        /* a delete: the tree a yes covers for this process */
	struct il_adopt adopt;  /* a rename: what a yes records first (adopted.c) */
};

/* Deletes a human allowed (--strict): the rest of the tree passes for the
 * same process, as the preload's own table does. */
#define MAX_TREES 32
struct approved_tree {
	pid_t proc;
	char tree[1024];
};

struct il_supervisor {
	int fd;
	struct il_supervisor_cfg cfg;
	struct abi abi[IL_SV_MAX_ABIS];
	int nabi;
	struct seccomp_notif *req;
	size_t req_size;
	struct seccomp_notif_resp *resp;
	size_t resp_size;
	char *mem, *tmp;
	struct il_arena arena;
	struct pending *pending;
	pid_t quiet_pid; /* the last process refused quietly: logged once */
	struct approved_tree *trees; /* MAX_TREES, made at the first yes (most sessions have none) */
	int ntrees;
	struct il_sv_lane *lane; /* lane.c; NULL: the loop receives */
};

/* What carrying out a verdict needs besides the verdict itself (whose
 * what, argv and event the judge set). */
struct sv_ctx {
	pid_t tid;              /* the calling thread (target.c: il_sv_process) */
	const char *exe;        /* the audit record's exe: program, file or host */
	const char *cwd;        /* the directory the call was made from */
	int sock;               /* connect: the socket in the target; -1 otherwise */
	const void *addr;       /* connect: the address as judged */
	size_t addrlen;
	int recorded;           /* a `log` record was written already (the wrapper's own check) */
	const struct il_adopt *adopt; /* a rename: what to record once it is allowed (adopted.c), or NULL */
};

/* ---- listener.c */
/* A supervisor on the listener with buffers of its own; NULL when out of
 * memory. il_sv_twin: another on the same listener and rules (the lane's);
 * freed without closing the listener. */
struct il_supervisor *il_sv_alloc(int listener, const struct il_supervisor_cfg *cfg) IL_HIDDEN;
void il_sv_free_buffers(struct il_supervisor *s) IL_HIDDEN;
struct il_supervisor *il_sv_twin(const struct il_supervisor *s) IL_HIDDEN;
void il_sv_twin_free(struct il_supervisor *t) IL_HIDDEN;
void il_sv_respond(struct il_supervisor *s, uint64_t id, int error) IL_HIDDEN; /* 0: continue */
int il_sv_id_valid(struct il_supervisor *s, uint64_t id) IL_HIDDEN;

/* ---- target.c */
ssize_t il_sv_peek(pid_t pid, uint64_t addr, void *buf, size_t n) IL_HIDDEN;
char *il_sv_peek_str(struct il_supervisor *s, pid_t pid, uint64_t addr) IL_HIDDEN; /* into s->arena */
/* A NULL-terminated pointer array of the target (argv, envp), strings
 * included; first_only: argv[0] alone. NULL when unreadable or too long. */
char **il_sv_peek_list(struct il_supervisor *s, pid_t pid, uint64_t addr, int ptr, int first_only) IL_HIDDEN;
uint64_t il_sv_ptr_at(const unsigned char *p, int size) IL_HIDDEN;
int il_sv_read_link(const char *path, char *out, size_t cap) IL_HIDDEN;
/* The start of /proc/PID/WHAT, NUL-terminated; 0, or -1 when unreadable. */
int il_sv_read_proc(pid_t pid, const char *what, char *buf, size_t cap) IL_HIDDEN;
/* The directory a relative path of pid is resolved against: its cwd
 * (AT_FDCWD) or the directory fd. 0, or the errno to answer with: EBADF for
 * an fd the target does not have, ENAMETOOLONG for a directory nested
 * deeper than a path can name, EACCES when it cannot be read. With
 * unnamed, such a directory is 0 instead, with its deepest ancestor that
 * has a name in dir and *unnamed set. */
int il_sv_base_dir(pid_t pid, int dirfd, char *dir, size_t cap, int *unnamed) IL_HIDDEN;
pid_t il_sv_parent_of(pid_t pid) IL_HIDDEN;
/* The process (thread group) of a notification's thread; 0 when gone. */
pid_t il_sv_process(pid_t tid) IL_HIDDEN;
/* A pidfd for the thread (or, before Linux 6.9, its process); -1 with
 * errno. il_sv_getfd: the thread's fd, duplicated into the supervisor. */
int il_sv_pidfd(pid_t tid) IL_HIDDEN;
int il_sv_getfd(pid_t tid, int fd) IL_HIDDEN;
/* Does the target have libinterlock.so mapped (its hooks judged first)? */
int il_sv_has_preload(const struct il_supervisor *s, pid_t pid) IL_HIDDEN;
/* Is pid running this very executable (interlock's CLI, a static program:
 * `interlock check` inside a session reads the session's rules)? */
int il_sv_is_interlock(pid_t pid) IL_HIDDEN;
/* The facts of the calling thread's process for the judges: the
 * session's environment (not the target's, which it may have changed),
 * its program as rules name it (NULL when made in this session), whose
 * /proc/self its paths mean. exe: a buffer for the program's path. */
struct il_facts il_sv_facts(const struct il_supervisor *s, pid_t tid, char *exe, size_t cap) IL_HIDDEN;
/* The thread's program as rules name programs (il_program_name): exe gets
 * its /proc/TID/exe; b holds its arguments and environment as started,
 * which the name may point into. NULL: no program by name. */
struct il_sv_argbuf {
	char args[8192], env[65536];
	const char *argv[256], *envp[4096];
};
const char *il_sv_program_name(const struct il_supervisor *s, pid_t tid, char *exe, size_t cap,
			       struct il_sv_argbuf *b) IL_HIDDEN;

/* ---- reply.c */
/* One audit record for a call the supervisor decided. */
void il_sv_audit(const struct il_supervisor *s, const struct sv_ctx *c, const struct il_verdict *v,
		 const char *decision, const char *by) IL_HIDDEN;
/* Carries out a verdict that needs no question: allow (continue, or the
 * connect made for it), log (and its record unless the preload wrote it),
 * deny or quiet (EACCES, the line, the record). A confirm is asked, or
 * passes when the human just approved it through the preload. */
void il_sv_settle(struct il_supervisor *s, uint64_t id, const struct sv_ctx *c, const struct il_verdict *v) IL_HIDDEN;
void il_sv_refuse(struct il_supervisor *s, uint64_t id, const struct sv_ctx *c, const struct il_verdict *v) IL_HIDDEN;
void il_sv_ask_human(struct il_supervisor *s, uint64_t id, const struct sv_ctx *c, const struct il_verdict *v) IL_HIDDEN;
/* A call that cannot be judged (its memory unreadable, its directory
 * unnamable, a connect that cannot be made on its behalf) is refused with
 * EACCES, and the program told why: fail closed, never silently. */
void il_sv_fail_closed(struct il_supervisor *s, uint64_t id, pid_t tid, const char *event, const char *what,
		       const char *why) IL_HIDDEN;
/* Did the human just approve this operation for the thread's process (or
 * its parent), through the preload or a session approval? */
int il_sv_approved(struct il_supervisor *s, pid_t tid, const struct il_verdict *v, const char *cwd) IL_HIDDEN;
/* A tree a human allowed deleting, for the rest of that process's deletes. */
void il_sv_approve_tree(struct il_supervisor *s, pid_t proc, const char *tree) IL_HIDDEN;
int il_sv_tree_approved(const struct il_supervisor *s, pid_t tid, const char *abs) IL_HIDDEN;
/* Answers the questions still open with no-terminal (the session ends). */
void il_sv_drop_pending(struct il_supervisor *s) IL_HIDDEN;
/* An allowed connect, made from here with the address that was judged (a
 * Fast Open send, sock -1, is continued). */
void il_sv_allow_connect(struct il_supervisor *s, uint64_t id, pid_t tid, int sock, const void *addr,
			 size_t len) IL_HIDDEN;

/* ---- the handlers: read the call, gather the facts, judge, settle */
void il_sv_on_exec(struct il_supervisor *s, const struct seccomp_notif *n, const struct abi *abi) IL_HIDDEN;
/* The lane's look at an exec: 1 when it was answered (a program no rule
 * names), 0 when the loop must decide it from the start. */
int il_sv_exec_quick(struct il_supervisor *s, const struct seccomp_notif *n, const struct abi *abi) IL_HIDDEN;
void il_sv_on_connect(struct il_supervisor *s, const struct seccomp_notif *n, const struct abi *abi,
		      enum sv_call call) IL_HIDDEN;
void il_sv_on_fs(struct il_supervisor *s, const struct seccomp_notif *n, enum sv_call call) IL_HIDDEN;
int il_sv_fs_quick(struct il_supervisor *s, const struct seccomp_notif *n, enum sv_call call) IL_HIDDEN;

/* ---- dispatch.c */
/* The notification in s->req, handled by the loop's thread: decided,
 * answered, or parked for the human. */
void il_sv_dispatch(struct il_supervisor *s) IL_HIDDEN;
/* For the lane: answers the notification in s->req when nothing needs to
 * be looked at closer (an exec of a program no rule names; under --strict
 * an open of a file no rule names). 1 when answered; 0 leaves it to
 * il_sv_dispatch, which reads it again from the start. Touches only s's
 * own buffers and the rule view, which nothing writes. */
int il_sv_quick_answer(struct il_supervisor *s) IL_HIDDEN;

/* ---- lane.c: the thread stopped and joined, its pipe closed (the lane
 * stays in s->lane, for _free, which gives back its twin's buffers). */
void il_sv_lane_stop(struct il_supervisor *s) IL_HIDDEN;
void il_sv_lane_free(struct il_supervisor *s) IL_HIDDEN;

#endif
