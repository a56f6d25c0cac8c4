/* --strict: the file system calls of the guarded tree, judged by the
 * supervisor for programs the preload never sees (static and Go programs,
 * raw system calls): opens with the open rules, unlink, rmdir and rename
 * with the delete facts (lib/engine/deletes.c), and all of them plus chmod,
 * chown and the making of links with interlock's own files, as the
 * preload's hooks do. Allowed calls are continued, so the kernel reads the
 * path again after the check (docs/seccomp.md, "Strict mode"). */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "open_quick.h"
#include "supervisor_int.h"

#ifndef AT_REMOVEDIR
#define AT_REMOVEDIR 0x200
#endif

static const char *const fs_names[FS_NCALLS] = {
	[FS_OPEN] = "open", [FS_OPENAT] = "openat", [FS_OPENAT2] = "openat2", [FS_CREAT] = "creat",
	[FS_UNLINK] = "unlink", [FS_UNLINKAT] = "unlinkat", [FS_RMDIR] = "rmdir",
	[FS_RENAME] = "rename", [FS_RENAMEAT] = "renameat", [FS_RENAMEAT2] = "renameat2",
	[FS_CHMOD] = "chmod", [FS_FCHMODAT] = "fchmodat", [FS_FCHMOD] = "fchmod", [FS_CHOWN] = "chown",
	[FS_LCHOWN] = "lchown", [FS_FCHOWNAT] = "fchownat", [FS_FCHOWN] = "fchown", [FS_SYMLINK] = "symlink",
	[FS_SYMLINKAT] = "symlinkat", [FS_LINK] = "link", [FS_LINKAT] = "linkat",
};

void il_sv_init_fs(struct abi *a, uint32_t scmp_arch)
{
	a->fs[FS_NONE] = -1;
	for (int k = FS_NONE + 1; k < FS_NCALLS; k++)
		a->fs[k] = seccomp_syscall_resolve_name_arch(scmp_arch, fs_names[k]);
}

enum fs_call il_sv_fs_kind(const struct il_supervisor *s, const struct seccomp_data *d)
{
	if (d->nr < 0)
		return FS_NONE;
	for (int i = 0; i < s->nabi; i++) {
		const struct abi *a = &s->abi[i];
		if (a->audit_arch != d->arch)
			continue;
		for (int k = FS_NONE + 1; k < FS_NCALLS; k++)
			if (d->nr == a->fs[k])
				return (enum fs_call)k;
	}
	return FS_NONE;
}

/* The program as rules name it; NULL when its file was made in this
 * session (a renamed copy gets no exemption by name, as in the preload). */
static const char *process_name(const struct il_supervisor *s, pid_t pid, char *exe, size_t cap)
{
	char link[64];
	snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
	if (il_sv_read_link(link, exe, cap) < 0 || il_born_in_session(&s->cfg.rules->view, exe))
		return 0;
	return il_basename(exe);
}

/* interlock's own files and the human's terminal, as the preload holds them
 * (lib/engine/own_files.c): refused whatever the rules say. */
static void refuse_builtin(struct il_supervisor *s, uint64_t id, pid_t pid, const char *what, const char *abs,
			   const char *why)
{
	char command[4200];
	snprintf(command, sizeof command, "%s %s", what, abs);
	char *argv[] = { (char *)what, (char *)abs, 0 };
	struct exec_view e = { .tid = pid, .event = "open", .sock = -1, .path = (char *)abs, .argv = argv };
	struct il_verdict v = { .action = IL_DENY, .rule = -1, .rule_id = "self-protection", .why = why };
	il_sv_refuse(s, id, &e, &v, command);
}

#define OWN_WHY "interlock's own rules, logs and session files cannot be changed from inside a guarded session"
#define TTY_WHY "this is the human's terminal; only interlock may read it or draw on it"

/* What an open asks for and of which file. */
struct open_call {
	int dirfd;
	uint64_t flags;
	unsigned access;
	char *path;    /* in s->arena; NULL when unreadable */
	int writes, builtin;
	const char *tty;
};

/* Reads it; 1 when that is already the answer (sent): nothing to read, or
 * a file no rule and no built-in protection names (the lane's quick
 * answer under --strict). */
static int open_head(struct il_supervisor *s, const struct seccomp_notif *n, enum fs_call kind, struct open_call *c)
{
	const struct seccomp_data *d = &n->data;
	pid_t pid = (pid_t)n->pid;
	c->dirfd = kind == FS_OPENAT || kind == FS_OPENAT2 ? (int)d->args[0] : AT_FDCWD;
	uint64_t path_addr = d->args[kind == FS_OPENAT || kind == FS_OPENAT2 ? 1 : 0];
	c->flags = kind == FS_OPEN ? d->args[1] : kind == FS_OPENAT ? d->args[2] : (uint64_t)(O_CREAT | O_WRONLY | O_TRUNC);
	if (kind == FS_OPENAT2 && il_sv_peek(pid, d->args[2], &c->flags, sizeof c->flags) != (ssize_t)sizeof c->flags) {
		il_sv_respond(s, n->id, EFAULT);
		return 1;
	}
	struct il_snap_view *view = &s->cfg.rules->view;
	c->access = il_open_access((int)c->flags);
	il_arena_init(&s->arena, s->mem, ARENA_SIZE);
	errno = 0;
	c->path = c->access ? il_sv_peek_str(s, pid, path_addr) : 0;
	c->writes = (c->access & (IL_A_WRITE | IL_A_TRUNCATE | IL_A_CREATE)) != 0;
	c->tty = il_snap_str(view, view->hdr->tty);
	c->builtin = c->path && ((c->writes && il_own_file_name(c->path)) ||
				 (c->tty && *c->tty && !strncmp(c->path, "/dev/", 5)));
	if (!c->access || (c->path && !c->builtin && !il_path_via_link(c->path) &&
			   !il_open_candidate(view, c->path, c->access))) {
		il_sv_respond(s, n->id, 0);
		return 1;
	}
	return 0;
}

int il_sv_fs_quick(struct il_supervisor *s, const struct seccomp_notif *n, enum fs_call kind)
{
	struct open_call c;
	return kind <= FS_CREAT && open_head(s, n, kind, &c);
}

/* The verdict on an open, carried out: allowed, asked (once: a yes the
 * preload got passes), or refused. abs: the file as shown; dir: the
 * directory it was opened from. */
static void settle_open(struct il_supervisor *s, const struct seccomp_notif *n, const struct open_call *c,
			const struct il_verdict *v, const char *abs, const char *dir)
{
	pid_t pid = (pid_t)n->pid;
	if (v->action == IL_ALLOW) {
		il_sv_respond(s, n->id, 0);
		return;
	}
	const char *what = c->access & IL_A_TRUNCATE ? "truncate" : c->access & IL_A_WRITE ? "write" : "read";
	char command[1024];
	snprintf(command, sizeof command, "%s %s", what, abs); /* as the preload words it */
	char *argv[] = { (char *)what, (char *)abs, 0 };
	struct exec_view e = { .tid = pid, .event = "open", .sock = -1, .path = (char *)abs, .argv = argv };
	snprintf(e.cwd, sizeof e.cwd, "%s", dir);
	if (v->action == IL_LOG) { /* the preload wrote its own record */
		if (!il_sv_has_preload(s, pid))
			il_sv_audit(s, &e, v, "allowed", "rule");
		il_sv_respond(s, n->id, 0);
		return;
	}
	if (v->action == IL_CONFIRM && !v->error) {
		if (il_sv_approved(s, pid, v->rule_id, v->target ? v->target : abs, command, e.cwd)) {
			il_sv_respond(s, n->id, 0);
			return;
		}
		il_sv_ask_human(s, n->id, &e, v, command);
		return;
	}
	il_sv_refuse(s, n->id, &e, v, command);
}

/* An open from a directory nested too deep to name: judged by the name
 * (decide_open.c), shown below the deepest ancestor that has a path. */
static void open_unnamed(struct il_supervisor *s, const struct seccomp_notif *n, const struct open_call *c,
			 const char *near, const char *proc)
{
	struct il_open_event ev = { c->path, near, c->access, environ, s->cfg.profile, (long)n->pid, proc, 0, 1 };
	struct il_verdict v;
	il_decide_open(&s->cfg.rules->view, &ev, &s->arena, &v, -1);
	char shown[4200];
	snprintf(shown, sizeof shown, "%s/.../%s", near, c->path);
	if (il_sv_id_valid(s, n->id))
		settle_open(s, n, c, &v, shown, near);
}

/* --strict: an open by any process of the tree, judged with the open rules.
 * Processes with the preload were judged (and asked) by its hooks first; a
 * confirm they got a yes for passes here without a second question. An
 * allowed open is continued: the kernel reads the path again, so a second
 * thread could swap it in between (docs/seccomp.md says so; the strict mode
 * is for programs that never see the preload, not for hostile ones). */
static void on_open(struct il_supervisor *s, const struct seccomp_notif *n, enum fs_call kind)
{
	struct open_call c;
	if (open_head(s, n, kind, &c))
		return;
	pid_t pid = (pid_t)n->pid;
	struct il_snap_view *view = &s->cfg.rules->view;
	if (!c.path) { /* a bad pointer fails anyway; unreadable memory is refused */
		if (errno == EFAULT)
			il_sv_respond(s, n->id, EFAULT);
		else
			il_sv_fail_closed(s, n->id, pid, "open", "?", "interlock cannot read the path this call opens");
		return;
	}
	char dir[4096] = "/", exe[4096];
	int unnamed = 0;
	int err = c.path[0] != '/' ? il_sv_base_dir(pid, c.dirfd, dir, sizeof dir, &unnamed) : 0;
	if (err) {
		if (err == EBADF)
			il_sv_respond(s, n->id, err);
		else
			il_sv_fail_closed(s, n->id, pid, "open", c.path,
					  "interlock cannot tell which directory this relative path starts from");
		return;
	}
	const char *proc = process_name(s, pid, exe, sizeof exe);
	if (unnamed) {
		open_unnamed(s, n, &c, dir, proc);
		return;
	}
	/* /proc/self in the target's path is the target, not us */
	const char *abs = il_path_resolve_as(&s->arena, dir, c.path, pid);
	if (!abs || !il_sv_id_valid(s, n->id)) {
		if (!abs)
			il_sv_fail_closed(s, n->id, pid, "open", c.path,
					  "interlock cannot tell which file this path leads to");
		return;
	}
	/* The preload appends its own records to the audit log (raw system
	 * calls its hooks do not see, but this filter does): an append cannot
	 * erase what is there. */
	const char *log = il_snap_str(view, view->hdr->audit);
	int appends = (c.flags & O_APPEND) && !(c.flags & O_TRUNC) && log && !strcmp(abs, log);
	if (c.builtin && c.writes && !appends && il_path_protected(il_snap_str(view, view->hdr->protect), abs, 0)) {
		refuse_builtin(s, n->id, pid, "write", abs, OWN_WHY);
		return;
	}
	if (c.builtin && c.tty && *c.tty && !strcmp(abs, c.tty)) {
		refuse_builtin(s, n->id, pid, "open", abs, TTY_WHY);
		return;
	}
	/* Not there: nothing to read or lose; creating and writing it is still
	 * judged (as in the preload's open check). */
	if ((c.access & (IL_A_READ | IL_A_TRUNCATE)) && faccessat(AT_FDCWD, abs, F_OK, 0) < 0 &&
	    (errno == ENOENT || errno == ENOTDIR) &&
	    !(c.access = c.access & IL_A_CREATE ? c.access & (IL_A_CREATE | IL_A_WRITE) : 0)) {
		il_sv_respond(s, n->id, 0);
		return;
	}
	/* The session's environment, not the target's: HOME decides what ~/
	 * means to the rules, and the target may have changed its own. */
	struct il_open_event ev = { abs, "/", c.access, environ, s->cfg.profile, (long)pid, proc, 1, 0 };
	struct il_verdict v;
	il_decide_open(view, &ev, &s->arena, &v, -1);
	settle_open(s, n, &c, &v, abs, dir);
}

/* ---------------------------------------------------------------- deletes */

void il_sv_approve_tree(struct il_supervisor *s, pid_t proc, const char *tree)
{
	struct approved_tree *t = &s->trees[s->ntrees++ % MAX_TREES];
	t->proc = proc;
	snprintf(t->tree, sizeof t->tree, "%s", tree);
}

static int tree_approved(const struct il_supervisor *s, pid_t tid, const char *abs)
{
	int n = s->ntrees < MAX_TREES ? s->ntrees : MAX_TREES;
	pid_t proc = 0;
	for (int i = 0; i < n; i++) {
		const struct approved_tree *t = &s->trees[i];
		if (!il_path_under(abs, t->tree))
			continue;
		if (!proc)
			proc = il_sv_process(tid);
		if (t->proc == proc)
			return 1;
	}
	return 0;
}

/* A path of the target made absolute, lexically (deletes judge the name
 * as given, like the preload's hooks); NULL with *err set. With tail: a
 * directory nested too deep to name gives its deepest ancestor that has a
 * path, and *tail the path as the target wrote it (else NULL). */
static const char *target_path(struct il_supervisor *s, pid_t pid, int dirfd, uint64_t addr, char *dir, size_t cap,
			       int *err, const char **tail)
{
	errno = 0;
	const char *p = il_sv_peek_str(s, pid, addr);
	int unnamed = 0;
	if (tail)
		*tail = 0;
	if (!p) {
		*err = errno == EFAULT ? EFAULT : EACCES;
		return 0;
	}
	if (p[0] != '/' && (*err = il_sv_base_dir(pid, dirfd, dir, cap, tail ? &unnamed : 0)))
		return 0;
	if (unnamed) {
		*tail = p;
		return dir;
	}
	const char *abs = il_path_abs(&s->arena, p[0] == '/' ? "/" : dir, p);
	if (!abs)
		*err = EACCES;
	return abs;
}

static void on_delete(struct il_supervisor *s, const struct seccomp_notif *n, enum fs_call kind)
{
	const struct seccomp_data *d = &n->data;
	pid_t pid = (pid_t)n->pid;
	int at = kind == FS_UNLINKAT || kind == FS_RENAMEAT || kind == FS_RENAMEAT2;
	int rename = kind == FS_RENAME || kind == FS_RENAMEAT || kind == FS_RENAMEAT2;
	int dk = rename ? IL_DEL_RENAME
		 : kind == FS_RMDIR || (kind == FS_UNLINKAT && (d->args[2] & AT_REMOVEDIR)) ? IL_DEL_RMDIR
											     : IL_DEL_UNLINK;
	struct il_snap_view *view = &s->cfg.rules->view;
	il_arena_init(&s->arena, s->mem, ARENA_SIZE);
	char dir[4096] = "/", exe[4096];
	int err = 0;
	const char *tail = 0;
	const char *abs =
		target_path(s, pid, at ? (int)d->args[0] : AT_FDCWD, d->args[at ? 1 : 0], dir, sizeof dir, &err, &tail);
	if (!abs) {
		if (err == EFAULT || err == EBADF)
			il_sv_respond(s, n->id, err);
		else if (il_sv_id_valid(s, n->id))
			il_sv_fail_closed(s, n->id, pid, dk == IL_DEL_RENAME ? "rename" : "delete", "?",
					  "interlock cannot tell which file this call removes");
		return;
	}
	const char *proc = process_name(s, pid, exe, sizeof exe);
	/* interlock's own files first, as in the preload: rm's waiver below
	 * does not cover them, and a rename must not put anything in their
	 * place. Judged as written (the preload resolves the parent of a name
	 * that could be ours; here a symlinked parent is not followed). */
	const char *protect = il_snap_str(view, view->hdr->protect);
	const char *kw = dk == IL_DEL_RMDIR ? "rmdir" : rename ? "rename" : "delete";
	const char *to = 0;
	if (rename) {
		char ndir[4096] = "/";
		to = target_path(s, pid, at ? (int)d->args[2] : AT_FDCWD, d->args[at ? 3 : 1], ndir, sizeof ndir, &err,
				 0);
	}
	int own = il_path_protected(protect, abs, dk != IL_DEL_UNLINK), onto = to && il_path_protected(protect, to, 0);
	if (own || onto) {
		if (il_sv_id_valid(s, n->id))
			refuse_builtin(s, n->id, pid, own ? kw : "rename onto", own ? abs : to, OWN_WHY);
		return;
	}
	const char *judged = il_snap_str(view, view->hdr->del_exec_judged);
	if (!il_delete_candidate(view, abs, environ) || tree_approved(s, pid, abs) ||
	    (proc && judged && il_list_has(judged, proc, strlen(proc)))) {
		il_sv_respond(s, n->id, 0); /* free; or rm & co, whose command line the exec rules judged */
		return;
	}
	if (!il_sv_id_valid(s, n->id))
		return;
	struct il_delete_event ev = { abs, to, dk, environ, s->cfg.profile, (long)pid, proc, tail != 0 };
	struct il_verdict v;
	il_decide_delete(view, &ev, &s->arena, &v);
	if (v.action <= IL_LOG) {
		il_sv_respond(s, n->id, 0);
		return;
	}
	const char *tree = v.target ? v.target : abs;
	char command[2048];
	snprintf(command, sizeof command, "%s %s%s%s%s%s", kw, abs, tail ? "/.../" : "", tail ? tail : "", to ? " -> " : "",
		 to ? to : "");
	char *argv[] = { (char *)kw, (char *)tree, 0 };
	struct exec_view e = { .tid = pid, .event = "delete", .sock = -1, .tree = tree, .path = (char *)abs,
			       .argv = argv };
	snprintf(e.cwd, sizeof e.cwd, "%s", dir);
	if (v.action == IL_CONFIRM && !v.error) {
		/* The preload asked (and keeps its own tree table) before the
		 * call reached the kernel; a session approval covers the tree. */
		if (il_sv_has_preload(s, pid) ||
		    il_sv_approved(s, pid, v.rule_id, tree, command, e.cwd)) {
			il_sv_respond(s, n->id, 0);
			return;
		}
		il_sv_ask_human(s, n->id, &e, &v, command);
		return;
	}
	il_sv_refuse(s, n->id, &e, &v, command);
}

/* ---------------------------------------------------------------- own files */

/* A path argument of the target, made absolute; with follow, resolved to
 * its end (chmod follows a symlink), else as written (the link itself). */
static const char *own_arg(struct il_supervisor *s, pid_t pid, int dirfd, uint64_t addr, int follow, char *dir,
			   size_t cap)
{
	int err = 0;
	const char *abs = target_path(s, pid, dirfd, addr, dir, cap, &err, 0);
	return abs && follow ? il_path_resolve(&s->arena, "/", abs) : abs;
}

/* chmod and chown of interlock's own files, links made among them or to
 * them, by a program the preload does not see (as attr.c and link.c hold
 * the others): refused; everything else continues untouched. */
static void on_own(struct il_supervisor *s, const struct seccomp_notif *n, enum fs_call kind)
{
	const struct seccomp_data *d = &n->data;
	pid_t pid = (pid_t)n->pid;
	struct il_snap_view *view = &s->cfg.rules->view;
	const char *protect = il_snap_str(view, view->hdr->protect);
	il_arena_init(&s->arena, s->mem, ARENA_SIZE);
	char dir[4096] = "/";
	const char *what = kind <= FS_FCHMOD ? "chmod" : kind <= FS_FCHOWN ? "chown" : "link";
	const char *hit = 0;
	if (kind == FS_FCHMOD || kind == FS_FCHOWN) {
		char link[64], fdp[4096];
		snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)pid, (int)d->args[0]);
		if (il_sv_read_link(link, fdp, sizeof fdp) == 0 && il_path_protected(protect, fdp, 0))
			hit = il_arena_strndup(&s->arena, fdp, strlen(fdp));
	} else if (kind <= FS_FCHOWNAT) {
		int at = kind == FS_FCHMODAT || kind == FS_FCHOWNAT;
		int follow = kind != FS_LCHOWN && !(kind == FS_FCHOWNAT && (d->args[4] & AT_SYMLINK_NOFOLLOW));
		const char *p = own_arg(s, pid, at ? (int)d->args[0] : AT_FDCWD, d->args[at ? 1 : 0], follow, dir,
					sizeof dir);
		if (p && il_path_protected(protect, p, 0))
			hit = p;
	} else {
		/* the new name, and what it leads to */
		int at = kind == FS_SYMLINKAT || kind == FS_LINKAT;
		int sym = kind == FS_SYMLINK || kind == FS_SYMLINKAT;
		uint64_t new_addr = kind == FS_SYMLINK || kind == FS_LINK ? d->args[1] : kind == FS_SYMLINKAT ? d->args[2]
															  : d->args[3];
		int new_dirfd = kind == FS_SYMLINKAT ? (int)d->args[1] : kind == FS_LINKAT ? (int)d->args[2] : AT_FDCWD;
		const char *name = own_arg(s, pid, new_dirfd, new_addr, 0, dir, sizeof dir);
		const char *to = 0;
		if (sym) {
			/* a relative target is relative to the link's directory */
			const char *t = il_sv_peek_str(s, pid, d->args[0]);
			const char *base = t && name && t[0] != '/'
						   ? il_arena_strndup(&s->arena, name, (size_t)(il_basename(name) - name))
						   : "/";
			if (t && base)
				to = il_path_resolve(&s->arena, base, t);
		} else {
			to = own_arg(s, pid, at ? (int)d->args[0] : AT_FDCWD, d->args[at ? 1 : 0], 1, dir, sizeof dir);
		}
		const char *tty = il_snap_str(view, view->hdr->tty);
		if (name && il_path_protected(protect, name, 0))
			hit = name;
		else if (to && (il_path_protected(protect, to, 0) || (tty && *tty && !strcmp(to, tty))))
			hit = to;
	}
	if (!il_sv_id_valid(s, n->id))
		return;
	if (hit)
		refuse_builtin(s, n->id, pid, what, hit, OWN_WHY);
	else
		il_sv_respond(s, n->id, 0);
}

void il_sv_on_fs(struct il_supervisor *s, const struct seccomp_notif *n, enum fs_call kind)
{
	if (kind <= FS_CREAT)
		on_open(s, n, kind);
	else if (kind <= FS_RENAMEAT2)
		on_delete(s, n, kind);
	else
		on_own(s, n, kind);
}
