/* A trapped execve/execveat: the program, argv, envp and cwd read from the
 * calling thread, judged by the engine with the same rules as the
 * preload's, settled by reply.c. Most execs name a program no rule names
 * and are let through after one read (il_sv_exec_quick, on the lane). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "il.h"
#include "supervisor_int.h"

/* One exec as read from the target. */
struct exec_view {
	pid_t tid;
	const struct abi *abi;
	char *path;
	const char *real; /* the file a symlink at path leads to, or NULL */
	char **argv, **envp;
	char cwd[4096];
};

/* execveat: the path the kernel will open, made absolute through the
 * directory fd (fexecve's AT_EMPTY_PATH: the fd itself). */
static char *resolve_at(struct il_supervisor *s, pid_t pid, const struct seccomp_data *d, char *path)
{
	int dirfd = (int)d->args[0];
	if (dirfd == AT_FDCWD || (path[0] == '/'))
		return path;
	char dir[4096];
	int err = il_sv_base_dir(pid, dirfd, dir, sizeof dir, 0);
	if (err) {
		errno = err;
		return 0;
	}
	if (!*path && (d->args[4] & AT_EMPTY_PATH))
		return il_arena_strdup(&s->arena, dir);
	size_t n = strlen(dir) + strlen(path) + 2;
	char *r = il_arena_alloc(&s->arena, n);
	if (r)
		snprintf(r, n, "%s/%s", dir, path);
	return r;
}

/* The process making the exec, still its old program (unless-caller
 * rules), read when a rule asks: NULL when it cannot be read, which only
 * loses the exemption. */
struct target_caller {
	const struct il_supervisor *s;
	pid_t pid;
	int asked;
	char exe[1024];
	const char *vec[64];
};

static const char *const *read_caller(void *ctx)
{
	struct target_caller *c = ctx;
	static struct il_sv_argbuf b; /* the loop's thread only, as il_sv_facts' */
	c->asked = 1;
	/* a program made in this session is no caller by name */
	const char *name = il_sv_program_name(c->s, c->pid, c->exe, sizeof c->exe, &b);
	if (!name)
		return 0;
	int k = 0;
	c->vec[k++] = name;
	for (int i = 1; b.argv[i] && k < 63; i++)
		c->vec[k++] = b.argv[i];
	c->vec[k] = 0;
	return c->vec;
}

/* What the new program will read first on stdin (curl -K -): the thread's
 * fd 0 copied without taking it, a regular file from the thread's offset
 * (fdinfo), a pipe through tee(2); -1 when that cannot be told. */
static long target_stdin(void *ctx, char *buf, size_t cap)
{
	const struct target_caller *c = ctx;
	char path[64];
	struct stat st;
	snprintf(path, sizeof path, "/proc/%d/fd/0", (int)c->pid);
	if (stat(path, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode)))
		return -1;
	long pos = 0;
	if (S_ISREG(st.st_mode)) {
		char info[256];
		snprintf(path, sizeof path, "/proc/%d/fdinfo/0", (int)c->pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, info, sizeof info - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n <= 0 || (info[n] = 0, sscanf(info, "pos: %ld", &pos) != 1))
			return -1;
		snprintf(path, sizeof path, "/proc/%d/fd/0", (int)c->pid);
	}
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	long got = -1;
	if (S_ISREG(st.st_mode)) {
		got = pread(fd, buf, cap, pos);
	} else {
		int p[2];
		if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) {
			ssize_t n = tee(fd, p[1], cap, SPLICE_F_NONBLOCK);
			got = n > 0 ? read(p[0], buf, (size_t)n) : -1;
			close(p[0]);
			close(p[1]);
		}
	}
	close(fd);
	return got;
}

/* Missing program: the kernel would fail with ENOENT anyway. Answering that
 * ourselves (instead of "continue") leaves no window in which the file could
 * appear, and an execvp-style PATH walk costs no question per entry. */
static int program_missing(const struct exec_view *e)
{
	char buf[8192];
	const char *p = e->path;
	if (p[0] != '/') {
		snprintf(buf, sizeof buf, "/proc/%d/cwd/%s", (int)e->tid, p);
		p = buf;
	}
	struct stat st;
	return stat(p, &st) < 0 && (errno == ENOENT || errno == ENOTDIR);
}

/* The wrapper's own execvp of the command it already checked (and
 * audited): same process, same argv. */
static int is_first_exec(const struct il_supervisor *s, const struct exec_view *e)
{
	if (!s->cfg.command || (e->tid != s->cfg.child && il_sv_process(e->tid) != s->cfg.child))
		return 0;
	int i = 0;
	for (; e->argv[i] && s->cfg.command[i]; i++)
		if (strcmp(e->argv[i], s->cfg.command[i]))
			return 0;
	return !e->argv[i] && !s->cfg.command[i];
}

/* ---- a refused shell string, left to the shell's own preload
 *
 * An agent that spawns `bash -c STRING` for each tool call and is itself a
 * static program (Codex CLI: a musl binary spawning through Rust's Command)
 * reports a failed exec by its errno alone and never reads what the child
 * wrote to its pipe: refusing the shell here would hand the model
 * "Permission denied" without the reason. So when there is no terminal to
 * ask on (a deny; a confirm refused at once, or held for an answer from
 * outside with --prompt-timeout) and the verdict is about a command inside
 * the string, a dynamic shell that will load this session's preload is let
 * run: each command in it is judged at its own exec, by the preload (asked
 * or held under its own name, which `interlock pending` then shows instead
 * of the agent's whole wrapper script; refused with its `interlock:
 * blocked:` line on the shell's stderr, which the agent reads with the
 * output, and status 126) and by this supervisor again, whose filter the
 * shell inherits. What runs before the refused command in the same string
 * are commands each judged allowed on their own. With a terminal the
 * string is asked about at once, as before (one question, whose yes covers
 * the commands it named). A static shell (no preload inside; busybox's
 * applets run without an exec) is still refused whole. */
static int env_has(char **envp, const char *name, const char *want, int list)
{
	size_t n = strlen(name), w = strlen(want);
	for (; envp && *envp; envp++) {
		if (strncmp(*envp, name, n) || (*envp)[n] != '=')
			continue;
		const char *v = *envp + n + 1; /* the first of a name counts, as with getenv */
		if (!list)
			return !strcmp(v, want);
		for (const char *p = v; *p;) {
			size_t l = strcspn(p, ": ");
			if (l == w && !strncmp(p, want, w))
				return 1;
			p += l;
			p += strspn(p, ": ");
		}
		return 0;
	}
	return 0;
}

static int leave_to_shell(const struct il_supervisor *s, const struct exec_view *e, const struct il_verdict *v)
{
	if (v->error || v->quiet || !v->exec_judged)
		return 0;
	if (v->action != IL_DENY && !(v->action == IL_CONFIRM && !il_broker_can_prompt(s->cfg.broker)))
		return 0;
	if (!s->cfg.preload || !s->cfg.session || !il_exec_is_shell_string(e->argv))
		return 0;
	if (!env_has(e->envp, "LD_PRELOAD", s->cfg.preload, 1) ||
	    !env_has(e->envp, "INTERLOCK_SESSION", s->cfg.session, 0))
		return 0;
	return il_exec_is_dynamic(e->real ? e->real : e->path);
}

/* Could any rule care about this exec? The preload's prefilter: the
 * program's base name, from the path or from argv[0]. */
/* path_addr: where the path was read, 0 if it was rewritten (execveat).
 * Shells pass the same string as the path and argv[0]: then it is not read
 * twice (every exec of the tree waits for this). */
static int exec_candidate(struct il_supervisor *s, struct exec_view *e, uint64_t argv_addr, uint64_t path_addr,
			  const uint64_t *argv0)
{
	struct il_snap_view *v = &s->cfg.rules->view;
	if (il_snap_exec_candidate(v, il_basename(e->path)) || (e->real && il_snap_exec_candidate(v, il_basename(e->real))))
		return 1;
	unsigned char p0[8];
	if (path_addr && argv_addr &&
	    (argv0 ? *argv0 == path_addr
		   : il_sv_peek(e->tid, argv_addr, p0, (size_t)e->abi->ptr) == e->abi->ptr &&
			     il_sv_ptr_at(p0, e->abi->ptr) == path_addr))
		return 0; /* argv[0] is the path, already ruled out */
	char **a0 = il_sv_peek_list(s, e->tid, argv_addr, e->abi->ptr, 1);
	return !a0 || (a0[0] && il_snap_exec_candidate(v, il_basename(a0[0])));
}

/* Reads the exec; 0, or an errno: EFAULT/EBADF where the kernel would fail
 * the call itself (nothing can run), anything else when we cannot read. */
/* The path and argv[0]'s pointer in one read when the path ends within its
 * first page: most execs need nothing more before they are let through.
 * *argv0 is set only when that pointer was read. */
static char *peek_path_argv0(struct il_supervisor *s, pid_t pid, uint64_t path, uint64_t argv, int ptr,
			     uint64_t *argv0, int *have_argv0)
{
	size_t want = PAGE - (size_t)(path % PAGE);
	if (want > MAX_STR)
		want = MAX_STR;
	unsigned char p0[8];
	struct iovec l[2] = { { s->tmp, want }, { p0, (size_t)ptr } };
	struct iovec r[2] = { { (void *)(uintptr_t)path, want }, { (void *)(uintptr_t)argv, (size_t)ptr } };
	*have_argv0 = 0;
	ssize_t n = argv ? process_vm_readv(pid, l, 2, r, 2, 0) : -1;
	if (n < (ssize_t)want)
		return il_sv_peek_str(s, pid, path);
	if (n == (ssize_t)want + ptr) {
		*argv0 = il_sv_ptr_at(p0, ptr);
		*have_argv0 = 1;
	}
	char *z = memchr(s->tmp, 0, want);
	return z ? il_arena_strndup(&s->arena, s->tmp, (size_t)(z - s->tmp)) : il_sv_peek_str(s, pid, path);
}

/* The program and whether any rule could care about it: what most execs
 * need before they are let through. */
static int read_exec_head(struct il_supervisor *s, const struct seccomp_data *d, struct exec_view *e, int *candidate)
{
	int at = d->nr == e->abi->nr[SV_EXECVEAT];
	uint64_t argv_addr = d->args[at ? 2 : 1];
	uint64_t argv0 = 0;
	int have_argv0 = 0;
	if (at)
		e->path = il_sv_peek_str(s, e->tid, d->args[1]);
	else
		e->path = peek_path_argv0(s, e->tid, d->args[0], argv_addr, e->abi->ptr, &argv0, &have_argv0);
	if (e->path && at)
		e->path = resolve_at(s, e->tid, d, e->path);
	if (!e->path)
		return errno ? errno : EACCES;
	/* a symlink runs what it leads to (ln -s /usr/bin/git /tmp/g): one
	 * readlinkat per exec, the price of judging by the program run */
	char real[4096];
	int missing;
	const char *r = il_exec_real(e->path, 0, e->tid, real, sizeof real, &missing);
	e->real = r ? il_arena_strdup(&s->arena, r) : 0;
	*candidate = exec_candidate(s, e, argv_addr, at ? 0 : d->args[0], have_argv0 ? &argv0 : 0);
	return 0;
}

static int read_exec(struct il_supervisor *s, const struct seccomp_data *d, struct exec_view *e, int *candidate)
{
	int at = d->nr == e->abi->nr[SV_EXECVEAT];
	uint64_t argv_addr = d->args[at ? 2 : 1], envp_addr = d->args[at ? 3 : 2];
	int r = read_exec_head(s, d, e, candidate);
	if (r || !*candidate)
		return r;
	e->argv = il_sv_peek_list(s, e->tid, argv_addr, e->abi->ptr, 0);
	e->envp = il_sv_peek_list(s, e->tid, envp_addr, e->abi->ptr, 0);
	if (!e->argv || !e->envp)
		return errno ? errno : EACCES;
	return il_sv_base_dir(e->tid, AT_FDCWD, e->cwd, sizeof e->cwd, 0);
}

void il_sv_on_exec(struct il_supervisor *s, const struct seccomp_notif *n, const struct abi *abi)
{
	struct exec_view e = { .tid = (pid_t)n->pid, .abi = abi };
	il_arena_init(&s->arena, s->mem, ARENA_SIZE);
	int candidate = 1;
	errno = 0;
	int r = read_exec(s, &n->data, &e, &candidate);
	if (r == 0 && !candidate) {
		il_sv_respond(s, n->id, 0);
		return;
	}
	/* What we read must be the memory of the process still waiting in
	 * this system call, not of one that reused its pid. */
	if (!il_sv_id_valid(s, n->id))
		return;
	if (r == EFAULT || r == EBADF) { /* a bad pointer or fd: exec fails anyway */
		il_sv_respond(s, n->id, r);
		return;
	}
	if (r) { /* fail closed */
		il_sv_fail_closed(s, n->id, e.tid, "exec", e.path ? e.path : "?",
				  r == ENAMETOOLONG ? "the working directory is nested too deep for interlock to name "
						      "(its path is longer than PATH_MAX), so the command cannot be judged"
						    : "interlock cannot read this program's arguments, so it is refused");
		return;
	}
	struct target_caller caller = { .s = s, .pid = e.tid };
	struct il_exec_event ev = { e.path, e.argv, e.envp, e.cwd, s->cfg.profile, read_caller, &caller,
				    e.real, target_stdin, &caller };
	struct il_verdict v;
	il_judge_exec(&s->cfg.rules->view, &ev, &s->arena, &v);
	/* what /proc said must still be the process waiting in this call */
	if (caller.asked && !il_sv_id_valid(s, n->id))
		return;
	if (v.action != IL_ALLOW && program_missing(&e)) {
		il_sv_respond(s, n->id, ENOENT);
		return;
	}
	if (v.action != IL_ALLOW && v.action != IL_LOG && leave_to_shell(s, &e, &v)) {
		il_sv_respond(s, n->id, 0);
		return;
	}
	struct sv_ctx c = { .tid = e.tid, .exe = e.path, .cwd = e.cwd, .sock = -1, .recorded = v.action == IL_LOG && is_first_exec(s, &e) };
	il_sv_settle(s, n->id, &c, &v);
}

int il_sv_exec_quick(struct il_supervisor *s, const struct seccomp_notif *n, const struct abi *abi)
{
	struct exec_view e = { .tid = (pid_t)n->pid, .abi = abi };
	il_arena_init(&s->arena, s->mem, ARENA_SIZE);
	int candidate = 1;
	errno = 0;
	if (read_exec_head(s, &n->data, &e, &candidate) || candidate)
		return 0;
	il_sv_respond(s, n->id, 0);
	return 1;
}
