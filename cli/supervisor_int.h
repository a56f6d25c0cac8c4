/* The supervisor's insides, shared by its handlers: supervisor.c (the
 * loop, exec and connect) and supervise_fs.c (opens and deletes, --strict). */
#ifndef IL_SUPERVISOR_INT_H
#define IL_SUPERVISOR_INT_H

#include <linux/seccomp.h>
#include <stdint.h>
#include <sys/types.h>

#include "snapshot.h"
#include "supervisor.h"

#define ARENA_SIZE (16u << 20) /* strings of one exec + the engine's scratch */
#define MAX_STR (128u << 10)   /* the kernel's MAX_ARG_STRLEN */
#define MAX_LIST 65536         /* argv/envp entries inspected; more is refused */
#define PAGE 4096u

/* The file system calls --strict traps (numbers per ABI in struct abi). */
enum fs_call {
	FS_NONE,
	FS_OPEN, FS_OPENAT, FS_OPENAT2, FS_CREAT,
	FS_UNLINK, FS_UNLINKAT, FS_RMDIR, FS_RENAME, FS_RENAMEAT, FS_RENAMEAT2,
	/* only interlock's own files are judged for these */
	FS_CHMOD, FS_FCHMODAT, FS_FCHMOD, FS_CHOWN, FS_LCHOWN, FS_FCHOWNAT, FS_FCHOWN,
	FS_SYMLINK, FS_SYMLINKAT, FS_LINK, FS_LINKAT,
	FS_NCALLS
};

struct abi {
	uint32_t audit_arch;
	int execve, execveat; /* -1: not on this ABI */
	int connect, sendto, sendmsg;
	int fs[FS_NCALLS];    /* --strict; -1: not on this ABI */
	int ptr;              /* pointer size in the target */
};

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
	char tree[1024];        /* a delete: the tree a yes covers for this pid */
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
	struct abi abi[3];
	int nabi;
	struct seccomp_notif *req;
	size_t req_size;
	struct seccomp_notif_resp *resp;
	size_t resp_size;
	char *mem, *tmp;
	struct il_arena arena;
	struct pending *pending;
	pid_t quiet_pid; /* the last process refused quietly: logged once */
	struct approved_tree trees[MAX_TREES];
	int ntrees;
	struct il_sv_lane *lane; /* supervisor_lane.c; NULL: the loop receives */
};

/* One trapped call as read from the target (an exec, or what stands for it
 * in the messages and the audit record). */
struct exec_view {
	pid_t tid;              /* the calling thread (see il_sv_process) */
	const struct abi *abi;
	const char *event;      /* "exec" (NULL), "connect", "open", "delete" */
	int sock;               /* connect: the socket fd in the target; else -1 */
	const void *addr;       /* connect: the address as judged */
	size_t addrlen;
	const char *tree;       /* delete: what a yes covers */
	char *path;
	char **argv, **envp;
	char cwd[4096];
};

/* supervisor.c */
void il_sv_respond(struct il_supervisor *s, uint64_t id, int error) IL_HIDDEN; /* 0: continue */
int il_sv_id_valid(struct il_supervisor *s, uint64_t id) IL_HIDDEN;
ssize_t il_sv_peek(pid_t pid, uint64_t addr, void *buf, size_t n) IL_HIDDEN;
char *il_sv_peek_str(struct il_supervisor *s, pid_t pid, uint64_t addr) IL_HIDDEN; /* into s->arena */
int il_sv_read_link(const char *path, char *out, size_t cap) IL_HIDDEN;
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
int il_sv_has_preload(const struct il_supervisor *s, pid_t pid) IL_HIDDEN;
/* One audit record for a call the supervisor decided. */
void il_sv_audit(const struct il_supervisor *s, const struct exec_view *e, const struct il_verdict *v,
		 const char *decision, const char *by) IL_HIDDEN;
void il_sv_refuse(struct il_supervisor *s, uint64_t id, const struct exec_view *e, const struct il_verdict *v,
		  const char *command) IL_HIDDEN;
/* A call that cannot be judged (its memory unreadable, its directory
 * unnamable, a connect that cannot be made on its behalf) is refused with
 * EACCES, and the program told why: fail closed, never silently. */
void il_sv_fail_closed(struct il_supervisor *s, uint64_t id, pid_t tid, const char *event, const char *what,
		       const char *why) IL_HIDDEN;
void il_sv_ask_human(struct il_supervisor *s, uint64_t id, const struct exec_view *e, const struct il_verdict *v,
		     const char *command) IL_HIDDEN;
/* Did the human just approve this operation for the thread's process (or
 * its parent), through the preload or a session approval? */
int il_sv_approved(struct il_supervisor *s, pid_t tid, const char *rule, const char *target, const char *command,
		   const char *cwd) IL_HIDDEN;
void il_sv_approve_tree(struct il_supervisor *s, pid_t proc, const char *tree) IL_HIDDEN;

/* The notification in s->req, handled by the loop's thread: decided,
 * answered, or parked for the human. */
void il_sv_dispatch(struct il_supervisor *s) IL_HIDDEN;
/* For the lane: answers the notification in s->req when nothing needs to
 * be looked at closer (an exec of a program no rule names; under --strict
 * an open of a file no rule names). 1 when answered; 0 leaves it to
 * il_sv_dispatch, which reads it again from the start. Touches only s's
 * own buffers and the rule view, which nothing writes. */
int il_sv_quick_answer(struct il_supervisor *s) IL_HIDDEN;
/* Another supervisor on the same listener and rules, with buffers of its
 * own (the lane's); freed without closing the listener. */
struct il_supervisor *il_sv_twin(const struct il_supervisor *s) IL_HIDDEN;
void il_sv_twin_free(struct il_supervisor *t) IL_HIDDEN;

/* supervisor_lane.c */
void il_sv_lane_stop(struct il_supervisor *s) IL_HIDDEN;

/* supervise_fs.c */
int il_sv_fs_quick(struct il_supervisor *s, const struct seccomp_notif *n, enum fs_call kind) IL_HIDDEN;
void il_sv_init_fs(struct abi *a, uint32_t scmp_arch) IL_HIDDEN;
enum fs_call il_sv_fs_kind(const struct il_supervisor *s, const struct seccomp_data *d) IL_HIDDEN;
void il_sv_on_fs(struct il_supervisor *s, const struct seccomp_notif *n, enum fs_call kind) IL_HIDDEN;

#endif
