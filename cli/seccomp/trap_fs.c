/* The file system calls of the guarded tree the preload did not judge
 * (static and Go programs, raw system calls; the preload's own carry the
 * session's marker and never come here; off with --no-strict). Each is
 * read from the calling thread, its paths made absolute there (its cwd,
 * its directory fds, its /proc/self), and judged by the engine like the
 * preload's hooks judge theirs: opens and links (il_judge_open), unlink,
 * rmdir and rename (il_judge_delete); chmod and chown for interlock's own
 * files. Allowed calls are continued, so the kernel reads the path again
 * after the check (docs/seccomp.md, "Opens and deletes"). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "il.h"
#include "open_quick.h"
#include "supervisor_int.h"

#ifndef AT_REMOVEDIR
#define AT_REMOVEDIR 0x200
#endif
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

#define OWN_WHY "interlock's own rules, logs and session files cannot be changed from inside a guarded session"

/* ---------------------------------------------------------------- opens */

/* What an open asks for and of which file. */
struct open_call {
	int dirfd;
	uint64_t flags;
	unsigned access;
	char *path; /* in s->arena; NULL when unreadable */
};

/* The session's rule set holds its marker (marker.h): any open of a file
 * of that name is looked at closely. */
static int snapshot_name(const char *path)
{
	return !strcmp(il_basename(path), "rules.snap");
}

/* Reads it; 1 when that is already the answer (sent): nothing to read, or
 * a file no rule and no built-in protection names (the lane's quick
 * answer). The preload's quick reject, on the path as written. */
static int open_head(struct il_supervisor *s, const struct seccomp_notif *n, enum sv_call call, struct open_call *c)
{
	const struct seccomp_data *d = &n->data;
	pid_t pid = (pid_t)n->pid;
	int at = call == FS_OPENAT || call == FS_OPENAT2;
	c->dirfd = at ? (int)d->args[0] : AT_FDCWD;
	uint64_t path_addr = d->args[at ? 1 : 0];
	c->flags = call == FS_OPEN ? d->args[1] : call == FS_OPENAT ? d->args[2] : (uint64_t)(O_CREAT | O_WRONLY | O_TRUNC);
	if (call == FS_OPENAT2 && il_sv_peek(pid, d->args[2], &c->flags, sizeof c->flags) != (ssize_t)sizeof c->flags) {
		il_sv_respond(s, n->id, EFAULT);
		return 1;
	}
	struct il_snap_view *view = &s->cfg.rules->view;
	c->access = il_open_access((int)c->flags);
	il_arena_init(&s->arena, s->mem, ARENA_SIZE);
	errno = 0;
	c->path = c->access ? il_sv_peek_str(s, pid, path_addr) : 0;
	int writes = (c->access & (IL_A_WRITE | IL_A_TRUNCATE | IL_A_CREATE)) != 0;
	/* The preload mapping the session's rules on its first hook, by the
	 * name the session gave it: it cannot mark this open (the marker is in
	 * the file), and there is nothing to judge. Answered here, not after a
	 * hop to the supervisor's thread and a reading of the process's facts:
	 * nearly every process of the tree makes this call once. Any other
	 * name for the file takes the long way (snapshot_refused). */
	if (c->path && c->access == IL_A_READ && s->cfg.snapshot && !strcmp(c->path, s->cfg.snapshot) &&
	    il_sv_has_preload(s, pid)) {
		il_sv_respond(s, n->id, 0);
		return 1;
	}
	const char *tty = il_snap_tty(view);
	int look = c->path && ((writes && il_own_file_name(c->path)) || snapshot_name(c->path) || (tty && *tty && !strncmp(c->path, "/dev/", 5)) ||
			       il_path_via_link(c->path) || il_open_candidate(view, c->path, c->access));
	/* a write of an existing file may be the session's first change of
	 * it: on_open takes the evidence of own edits (adopted.c) */
	look |= c->path && (c->access & (IL_A_WRITE | IL_A_TRUNCATE)) &&
		!((c->flags & O_CREAT) && (c->flags & O_EXCL));
	if (!c->access || (c->path && !look)) {
		il_sv_respond(s, n->id, 0);
		return 1;
	}
	return 0;
}

int il_sv_fs_quick(struct il_supervisor *s, const struct seccomp_notif *n, enum sv_call call)
{
	struct open_call c;
	return il_sv_calls[call].kind == SV_KIND_OPEN && open_head(s, n, call, &c);
}

/* Only interlock's preload may read the session's rule set: it holds the
 * marker that lets calls through the filter unjudged, and a static program
 * that read it could forge it. The preload maps it on its first hook with
 * a call it cannot mark yet (it learns the marker from the file), so a
 * process that has the library mapped may read it, and so may interlock's
 * own CLI (`interlock check` in a session judges with the session's rules;
 * it is a static program, and prints nothing of the marker); anything
 * else is refused. 1 when refused (answered). */
static int snapshot_refused(struct il_supervisor *s, uint64_t id, pid_t pid, const char *path)
{
	if (!s->cfg.snapshot || strcmp(path, s->cfg.snapshot) || il_sv_has_preload(s, pid) || il_sv_is_interlock(pid))
		return 0;
	char text[4200];
	snprintf(text, sizeof text, "read %s", path);
	const char *argv[] = { "read", path, 0 };
	struct il_verdict v = { .action = IL_DENY, .rule = -1, .rule_id = "self-protection",
				.why = "the session's rule set is read by interlock's preload only",
				.event = "open", .what = text, .argv = argv };
	struct sv_ctx c = { .tid = pid, .exe = path, .cwd = "/", .sock = -1 };
	il_sv_refuse(s, id, &c, &v);
	return 1;
}

static void on_open(struct il_supervisor *s, const struct seccomp_notif *n, enum sv_call call)
{
	struct open_call c;
	if (open_head(s, n, call, &c))
		return;
	pid_t pid = (pid_t)n->pid;
	if (!c.path) { /* a bad pointer fails anyway; unreadable memory is refused */
		if (errno == EFAULT)
			il_sv_respond(s, n->id, EFAULT);
		else
			il_sv_fail_closed(s, n->id, pid, "open", "?", "interlock cannot read the path this call opens");
		return;
	}
	char dir[4096] = "/", exe[4096];
	struct il_open_op op = { 0, 0, dir, c.access, (c.flags & O_APPEND) != 0, 0, 0, 0 };
	int err = c.path[0] != '/' ? il_sv_base_dir(pid, c.dirfd, dir, sizeof dir, &op.unnamed) : 0;
	if (err) {
		if (err == EBADF)
			il_sv_respond(s, n->id, err);
		else
			il_sv_fail_closed(s, n->id, pid, "open", c.path,
					  "interlock cannot tell which directory this relative path starts from");
		return;
	}
	/* /proc/self in the target's path is the target, not us */
	op.path = op.unnamed ? c.path : il_path_resolve_as(&s->arena, dir, c.path, pid);
	op.written = op.unnamed ? 0 : il_path_abs(&s->arena, dir, c.path);
	if (!op.path) {
		il_sv_fail_closed(s, n->id, pid, "open", c.path, "interlock cannot tell which file this path leads to");
		return;
	}
	if (snapshot_refused(s, n->id, pid, op.path))
		return;
	struct il_facts f = il_sv_facts(s, pid, exe, sizeof exe);
	/* The preload appends its own records to the audit log with a raw
	 * system call this filter sees */
	f.audit_writer = il_sv_has_preload(s, pid);
	struct il_verdict v;
	il_judge_open(&s->cfg.rules->view, &op, &f, &s->arena, &v);
	if (!il_sv_id_valid(s, n->id))
		return;
	/* allowed as it is: the session's own edits, as the preload's
	 * il_note_write takes them (a write the human must allow first is
	 * not recorded: the file then counts as the user's) */
	if (v.action < IL_CONFIRM && !op.unnamed && (c.access & (IL_A_WRITE | IL_A_TRUNCATE)) &&
	    !((c.flags & O_CREAT) && (c.flags & O_EXCL)) &&
	    il_own_edit_candidate(&s->cfg.rules->view, AT_FDCWD, op.path))
		il_own_edit_note(&s->cfg.rules->view, op.path);
	struct sv_ctx sc = { .tid = pid, .exe = op.path, .cwd = dir, .sock = -1 };
	il_sv_settle(s, n->id, &sc, &v);
}

/* ---------------------------------------------------------------- deletes */

/* A path of the target made absolute, lexically (deletes judge the name
 * as given, like the preload's hooks); NULL with *err set. With unnamed: a
 * directory nested too deep to name gives its deepest ancestor that has a
 * path, and *name the path as the target wrote it. */
static const char *target_path(struct il_supervisor *s, pid_t pid, int dirfd, uint64_t addr, char *dir, size_t cap,
			       int *err, int *unnamed, const char **name)
{
	errno = 0;
	const char *p = il_sv_peek_str(s, pid, addr);
	if (unnamed)
		*unnamed = 0;
	if (!p) {
		*err = errno == EFAULT ? EFAULT : EACCES;
		return 0;
	}
	if (p[0] != '/' && (*err = il_sv_base_dir(pid, dirfd, dir, cap, unnamed)))
		return 0;
	if (unnamed && *unnamed) {
		*name = p;
		return dir;
	}
	const char *abs = il_path_abs(&s->arena, p[0] == '/' ? "/" : dir, p);
	if (!abs)
		*err = EACCES;
	return abs;
}

/* A tree the human allowed for this process (reply.c keeps them). */
struct tree_ctx {
	const struct il_supervisor *s;
	pid_t tid;
};

static int approved_tree(void *ctx, const char *abs)
{
	const struct tree_ctx *t = ctx;
	return il_sv_tree_approved(t->s, t->tid, abs);
}

static void on_delete(struct il_supervisor *s, const struct seccomp_notif *n, enum sv_call call)
{
	const struct seccomp_data *d = &n->data;
	pid_t pid = (pid_t)n->pid;
	int at = call == FS_UNLINKAT || call == FS_RENAMEAT || call == FS_RENAMEAT2;
	int rename = call == FS_RENAME || call == FS_RENAMEAT || call == FS_RENAMEAT2;
	struct il_delete_op op = { 0, 0, 0, rename ? IL_DEL_RENAME
					    : call == FS_RMDIR || (call == FS_UNLINKAT && (d->args[2] & AT_REMOVEDIR))
						    ? IL_DEL_RMDIR
						    : IL_DEL_UNLINK,
				   0, 0, 0 };
	il_arena_init(&s->arena, s->mem, ARENA_SIZE);
	char dir[4096] = "/", ndir[4096] = "/", exe[4096];
	int err = 0;
	op.path = target_path(s, pid, at ? (int)d->args[0] : AT_FDCWD, d->args[at ? 1 : 0], dir, sizeof dir, &err,
			      &op.unnamed, &op.name);
	if (!op.path) {
		if (err == EFAULT || err == EBADF)
			il_sv_respond(s, n->id, err);
		else if (il_sv_id_valid(s, n->id))
			il_sv_fail_closed(s, n->id, pid, rename ? "rename" : "delete", "?",
					  "interlock cannot tell which file this call removes");
		return;
	}
	struct il_adopt adopt = { 0 };
	if (rename) {
		op.to = target_path(s, pid, at ? (int)d->args[2] : AT_FDCWD, d->args[at ? 3 : 1], ndir, sizeof ndir, &err,
				    0, 0);
		/* what it puts in place of its destination is judged and
		 * recorded as the preload's hook does (judge.c, adopted.c) */
		op.adopt = &adopt;
		op.no_replace = call == FS_RENAMEAT2 && (d->args[4] & (RENAME_NOREPLACE | RENAME_EXCHANGE));
	}
	struct sv_ctx c = { .tid = pid, .exe = op.path, .cwd = dir, .sock = -1, .adopt = &adopt };
	struct tree_ctx trees = { s, pid };
	struct il_facts f = il_sv_facts(s, pid, exe, sizeof exe);
	f.approved = approved_tree, f.ctx = &trees;
	struct il_verdict v;
	il_judge_delete(&s->cfg.rules->view, &op, &f, &s->arena, &v);
	if (!il_sv_id_valid(s, n->id))
		return;
	/* No waiver for a process with the preload: the deletes its hooks
	 * judged carry the marker and never come here (a raw syscall() does). */
	il_sv_settle(s, n->id, &c, &v);
}

/* ---------------------------------------------------------------- own files */

/* A path argument of the target, made absolute; with follow, resolved to
 * its end (chmod follows a symlink), else as written (the link itself). */
static const char *own_arg(struct il_supervisor *s, pid_t pid, int dirfd, uint64_t addr, int follow, char *dir,
			   size_t cap)
{
	int err = 0;
	const char *abs = target_path(s, pid, dirfd, addr, dir, cap, &err, 0, 0);
	return abs && follow ? il_path_resolve_as(&s->arena, "/", abs, pid) : abs;
}

static void refuse_own(struct il_supervisor *s, uint64_t id, pid_t pid, const char *what, const char *path)
{
	char text[4200];
	snprintf(text, sizeof text, "%s %s", what, path);
	const char *argv[] = { what, path, 0 };
	struct il_verdict v = { .action = IL_DENY, .rule = -1, .rule_id = "self-protection", .why = OWN_WHY,
				.event = "open", .what = text, .argv = argv };
	struct sv_ctx c = { .tid = pid, .exe = path, .cwd = "/", .sock = -1 };
	il_sv_refuse(s, id, &c, &v);
}

/* chmod and chown of interlock's own files, by a program the preload does
 * not see (as attr.c holds the others): refused; everything else continues
 * untouched. */
static void on_attr(struct il_supervisor *s, const struct seccomp_notif *n, enum sv_call call)
{
	const struct seccomp_data *d = &n->data;
	pid_t pid = (pid_t)n->pid;
	struct il_snap_view *view = &s->cfg.rules->view;
	const char *protect = il_snap_protect(view);
	il_arena_init(&s->arena, s->mem, ARENA_SIZE);
	char dir[4096] = "/";
	const char *hit = 0;
	if (call == FS_FCHMOD || call == FS_FCHOWN) {
		char link[64], fdp[4096];
		snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)pid, (int)d->args[0]);
		if (il_sv_read_link(link, fdp, sizeof fdp) == 0 && il_path_protected(protect, fdp, 0))
			hit = il_arena_strndup(&s->arena, fdp, strlen(fdp));
	} else {
		int at = call == FS_FCHMODAT || call == FS_FCHOWNAT;
		int follow = call != FS_LCHOWN && !(call == FS_FCHOWNAT && (d->args[4] & AT_SYMLINK_NOFOLLOW));
		const char *p = own_arg(s, pid, at ? (int)d->args[0] : AT_FDCWD, d->args[at ? 1 : 0], follow, dir,
					sizeof dir);
		if (p && il_path_protected(protect, p, 0))
			hit = p;
	}
	if (!il_sv_id_valid(s, n->id))
		return;
	if (hit)
		refuse_own(s, n->id, pid, call <= FS_FCHMOD ? "chmod" : "chown", hit);
	else
		il_sv_respond(s, n->id, 0);
}

/* A (sym)link: its new name must not be one of interlock's files, and the
 * file it leads to is judged as a read of it (il_judge_open's link), as
 * the preload's link hooks do. */
static void on_link(struct il_supervisor *s, const struct seccomp_notif *n, enum sv_call call)
{
	const struct seccomp_data *d = &n->data;
	pid_t pid = (pid_t)n->pid;
	struct il_snap_view *view = &s->cfg.rules->view;
	il_arena_init(&s->arena, s->mem, ARENA_SIZE);
	char dir[4096] = "/", exe[4096];
	int at = call == FS_SYMLINKAT || call == FS_LINKAT;
	int sym = call == FS_SYMLINK || call == FS_SYMLINKAT;
	uint64_t new_addr = call == FS_SYMLINK || call == FS_LINK ? d->args[1] : call == FS_SYMLINKAT ? d->args[2]
												     : d->args[3];
	int new_dirfd = call == FS_SYMLINKAT ? (int)d->args[1] : call == FS_LINKAT ? (int)d->args[2] : AT_FDCWD;
	const char *name = own_arg(s, pid, new_dirfd, new_addr, 0, dir, sizeof dir);
	const char *to = 0;
	if (sym) {
		/* a relative target is relative to the link's directory */
		const char *t = il_sv_peek_str(s, pid, d->args[0]);
		const char *base = t && name && t[0] != '/'
					   ? il_arena_strndup(&s->arena, name, (size_t)(il_basename(name) - name))
					   : "/";
		if (t && base)
			to = il_path_resolve_as(&s->arena, base, t, pid);
	} else {
		to = own_arg(s, pid, at ? (int)d->args[0] : AT_FDCWD, d->args[at ? 1 : 0], 1, dir, sizeof dir);
	}
	if (!il_sv_id_valid(s, n->id))
		return;
	if (name && il_path_protected(il_snap_protect(view), name, 0)) {
		refuse_own(s, n->id, pid, "link", name);
		return;
	}
	if (!to) {
		il_sv_respond(s, n->id, 0); /* nothing it could lead to: the kernel's answer */
		return;
	}
	struct il_open_op op = { to, 0, 0, IL_A_READ, 0, 1, 0, 0 };
	struct il_facts f = il_sv_facts(s, pid, exe, sizeof exe);
	struct il_verdict v;
	il_judge_open(view, &op, &f, &s->arena, &v);
	struct sv_ctx c = { .tid = pid, .exe = to, .cwd = dir, .sock = -1 };
	il_sv_settle(s, n->id, &c, &v);
}

void il_sv_on_fs(struct il_supervisor *s, const struct seccomp_notif *n, enum sv_call call)
{
	switch (il_sv_calls[call].kind) {
	case SV_KIND_OPEN:
		on_open(s, n, call);
		break;
	case SV_KIND_DELETE:
		on_delete(s, n, call);
		break;
	default:
		if (call >= FS_SYMLINK)
			on_link(s, n, call);
		else
			on_attr(s, n, call);
	}
}
