/* The seccomp supervisor (see supervisor.h and docs/seccomp.md).
 *
 * Everything here runs in the wrapper's single poll loop: one notification is
 * received per readiness event and answered before returning, except a
 * confirm, which is parked in the broker's queue and answered from its
 * callback. Nothing blocks: the target's memory is read with
 * process_vm_readv, its cwd and fds through /proc. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "snapshot.h"
#include "supervisor.h"
#include "engine_int.h"
#include "supervisor_int.h"

/* ---------------------------------------------------------------- kernel */

void il_sv_respond(struct il_supervisor *s, uint64_t id, int error)
{
	memset(s->resp, 0, s->resp_size);
	s->resp->id = id;
	s->resp->error = error ? -error : 0;
	s->resp->flags = error ? 0 : SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	/* ENOENT: the target was killed meanwhile; nothing to answer. */
	while (ioctl(s->fd, SECCOMP_IOCTL_NOTIF_SEND, s->resp) < 0 && errno == EINTR)
		;
}

int il_sv_id_valid(struct il_supervisor *s, uint64_t id)
{
	return ioctl(s->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

static void init_abis(struct il_supervisor *s)
{
	static const struct {
		uint32_t scmp, audit;
		int ptr;
	} t[] = {
#if defined(__x86_64__)
		{ SCMP_ARCH_X86_64, AUDIT_ARCH_X86_64, 8 },
		{ SCMP_ARCH_X32, AUDIT_ARCH_X86_64, 4 }, /* same audit arch, syscall numbers with bit 30 */
		{ SCMP_ARCH_X86, AUDIT_ARCH_I386, 4 },
#elif defined(__aarch64__)
		{ SCMP_ARCH_AARCH64, AUDIT_ARCH_AARCH64, 8 },
		{ SCMP_ARCH_ARM, AUDIT_ARCH_ARM, 4 },
#else
		{ SCMP_ARCH_NATIVE, 0, (int)sizeof(void *) },
#endif
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct abi *a = &s->abi[s->nabi++];
		a->audit_arch = t[i].audit ? t[i].audit : seccomp_arch_native();
		a->execve = seccomp_syscall_resolve_name_arch(t[i].scmp, "execve");
		a->execveat = seccomp_syscall_resolve_name_arch(t[i].scmp, "execveat");
		a->connect = seccomp_syscall_resolve_name_arch(t[i].scmp, "connect");
		a->sendto = seccomp_syscall_resolve_name_arch(t[i].scmp, "sendto");
		a->sendmsg = seccomp_syscall_resolve_name_arch(t[i].scmp, "sendmsg");
		il_sv_init_fs(a, t[i].scmp);
		a->ptr = t[i].ptr;
	}
}

/* The ABI of an exec notification, or NULL for anything else (connect). */
static const struct abi *exec_abi(const struct il_supervisor *s, const struct seccomp_data *d)
{
	for (int i = 0; i < s->nabi; i++) {
		const struct abi *a = &s->abi[i];
		if (a->audit_arch == d->arch && (d->nr == a->execve || d->nr == a->execveat))
			return a;
	}
	return 0;
}

/* ---------------------------------------------------------------- target memory */

ssize_t il_sv_peek(pid_t pid, uint64_t addr, void *buf, size_t n)
{
	struct iovec l = { buf, n }, r = { (void *)(uintptr_t)addr, n };
	return process_vm_readv(pid, &l, 1, &r, 1, 0);
}

/* The NUL-terminated string at addr, copied into the arena; NULL when it
 * cannot be read or is longer than the kernel would take. Reads page by page
 * so a string that ends just before an unmapped page is still read. */
char *il_sv_peek_str(struct il_supervisor *s, pid_t pid, uint64_t addr)
{
	size_t len = 0;
	while (len < MAX_STR) {
		size_t want = PAGE - (size_t)((addr + len) % PAGE);
		if (want > MAX_STR - len)
			want = MAX_STR - len;
		ssize_t n = il_sv_peek(pid, addr + len, s->tmp + len, want);
		if (n <= 0)
			return 0;
		char *z = memchr(s->tmp + len, 0, (size_t)n);
		if (z)
			return il_arena_strndup(&s->arena, s->tmp, (size_t)(z - s->tmp));
		len += (size_t)n;
	}
	return 0;
}

static uint64_t ptr_at(const unsigned char *p, int size)
{
	if (size == 4) {
		uint32_t v;
		memcpy(&v, p, 4);
		return v;
	}
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* A NULL-terminated array of string pointers (argv, envp), strings included.
 * A NULL array is an empty list (Linux accepts it). first_only: argv[0]
 * alone, for the prefilter. NULL when unreadable or longer than MAX_LIST. */
static char **peek_list(struct il_supervisor *s, pid_t pid, uint64_t addr, int ptr, int first_only)
{
	int max = first_only ? 1 : MAX_LIST, n = 0;
	char **v = il_arena_alloc(&s->arena, sizeof(char *) * ((size_t)max + 1));
	if (!v)
		return 0;
	while (addr) {
		unsigned char buf[PAGE];
		ssize_t got = il_sv_peek(pid, addr, buf, PAGE - (size_t)(addr % PAGE));
		if (got < ptr)
			return 0;
		for (ssize_t off = 0; off + ptr <= got; off += ptr) {
			uint64_t p = ptr_at(buf + off, ptr);
			if (!p || n == max) {
				v[n] = 0;
				return p && !first_only ? 0 : v;
			}
			if (!(v[n++] = il_sv_peek_str(s, pid, p)))
				return 0;
		}
		addr += (uint64_t)(got - got % ptr);
	}
	v[n] = 0;
	return v;
}

int il_sv_read_link(const char *path, char *out, size_t cap)
{
	ssize_t n = readlink(path, out, cap - 1);
	if (n <= 0 || (size_t)n >= cap - 1)
		return -1;
	out[n] = 0;
	return 0;
}

int il_sv_base_dir(pid_t pid, int dirfd, char *dir, size_t cap, int *unnamed)
{
	char link[64];
	if (dirfd == AT_FDCWD)
		snprintf(link, sizeof link, "/proc/%d/cwd", (int)pid);
	else
		snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)pid, dirfd);
	if (unnamed)
		*unnamed = 0;
	if (il_sv_read_link(link, dir, cap) == 0)
		return 0;
	if (errno == ENAMETOOLONG && unnamed) {
		/* nested deeper than any path: its deepest named ancestor */
		int fd = open(link, O_PATH | O_DIRECTORY | O_CLOEXEC);
		int levels = 0;
		const char *near = fd >= 0 ? il_near_name(fd, dir, cap, &levels) : 0;
		if (fd >= 0)
			close(fd);
		if (near && levels > 0) {
			*unnamed = 1;
			return 0;
		}
		errno = ENAMETOOLONG;
	}
	if (errno == ENAMETOOLONG)
		return ENAMETOOLONG;
	return dirfd != AT_FDCWD && errno == ENOENT ? EBADF : EACCES; /* no such fd: the kernel's answer */
}

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

/* ---------------------------------------------------------------- /proc facts */

/* The start of /proc/PID/WHAT, NUL-terminated; 0, or -1 when unreadable. */
static int read_proc(pid_t pid, const char *what, char *buf, size_t cap)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, what);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	return n > 0 ? 0 : -1;
}

/* The process making the exec, still its old program (unless-caller
 * rules), read when a rule asks: NULL when it cannot be read, which only
 * loses the exemption. */
struct target_caller {
	const struct il_supervisor *s;
	pid_t pid;
	int asked;
	char exe[1024], cmdline[4096];
	const char *vec[64];
};

static const char *const *read_caller(void *ctx)
{
	struct target_caller *c = ctx;
	c->asked = 1;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/exe", (int)c->pid);
	if (il_sv_read_link(path, c->exe, sizeof c->exe) < 0 || il_born_in_session(&c->s->cfg.rules->view, c->exe))
		return 0; /* a program made in this session is no caller by name */
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)c->pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, c->cmdline, sizeof c->cmdline);
	close(fd);
	return n > 0 && il_caller_split(c->cmdline, (size_t)n, c->exe, c->vec, 64) >= 1 ? c->vec : 0;
}

/* A notification names the thread that made the call (its TID), which is
 * all /proc and process_vm_readv need: /proc/TID/{cwd,fd,maps,mem} are the
 * thread's own view. What is keyed by process (approvals, the audit
 * record's pid, one quiet record per process) and pidfd_open (a thread
 * group leader only, before Linux 6.9's PIDFD_THREAD) need the process:
 * its thread group id. 0 when the thread is gone. */
pid_t il_sv_process(pid_t tid)
{
	char buf[512];
	if (read_proc(tid, "status", buf, sizeof buf) < 0)
		return 0;
	const char *t = strstr(buf, "\nTgid:");
	long tg = t ? strtol(t + 7, 0, 10) : 0;
	return tg > 0 ? (pid_t)tg : 0;
}

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

int il_sv_pidfd(pid_t tid)
{
	/* The thread itself where the kernel can (6.9): its own fd table,
	 * even after it left the leader's with unshare(CLONE_FILES). */
	int fd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
	if (fd >= 0 || errno != EINVAL)
		return fd;
	pid_t tg = il_sv_process(tid);
	if (!tg) {
		errno = ESRCH;
		return -1;
	}
	return (int)syscall(SYS_pidfd_open, tg, 0);
}

int il_sv_getfd(pid_t tid, int fd)
{
	int pfd = il_sv_pidfd(tid);
	if (pfd < 0)
		return -1;
	int r = (int)syscall(SYS_pidfd_getfd, pfd, fd, 0);
	int e = errno;
	close(pfd);
	errno = e;
	return r;
}

pid_t il_sv_parent_of(pid_t pid)
{
	char buf[512];
	if (read_proc(pid, "stat", buf, sizeof buf) < 0)
		return 0;
	char *p = strrchr(buf, ')');
	int pp = 0;
	return p && sscanf(p + 1, " %*c %d", &pp) == 1 ? pp : 0;
}

/* Does the target have libinterlock.so mapped? Then its hooks already wrote
 * the audit record for a `log` rule; one record per decision. */
int il_sv_has_preload(const struct il_supervisor *s, pid_t pid)
{
	const char *lib = s->cfg.preload;
	size_t ll = lib ? strlen(lib) : 0;
	if (!ll || ll > 1024)
		return 0;
	char path[64], buf[65536 + 1024];
	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t keep = 0;
	ssize_t n;
	int found = 0;
	while (!found && (n = read(fd, buf + keep, sizeof buf - keep)) > 0) {
		size_t have = keep + (size_t)n;
		found = memmem(buf, have, lib, ll) != 0;
		keep = have < ll ? have : ll; /* a name split across two reads */
		memmove(buf, buf + have - keep, keep);
	}
	close(fd);
	return found;
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

/* ---------------------------------------------------------------- telling */

/* Is the target's stderr something we may append one line to? A terminal,
 * a pipe or a regular file it opened for writing, nothing else (reopening a
 * device could have effects of its own). */
static int stderr_ok(pid_t pid, const char *link)
{
	struct stat st;
	if (stat(link, &st) < 0)
		return 0;
	int tty = S_ISCHR(st.st_mode) && (major(st.st_rdev) == 4 || major(st.st_rdev) == 5 ||
					  (major(st.st_rdev) >= 136 && major(st.st_rdev) <= 143));
	if (!tty && !S_ISFIFO(st.st_mode) && !S_ISREG(st.st_mode))
		return 0;
	char buf[256];
	if (read_proc(pid, "fdinfo/2", buf, sizeof buf) < 0)
		return 0;
	const char *f = strstr(buf, "flags:");
	return f && (strtoul(f + 6, 0, 8) & O_ACCMODE) != O_RDONLY;
}

/* A regular file is shared through the target's own open file (its offset,
 * or our line and its next write land on the same bytes); a pipe or a
 * terminal is reopened non-blocking, so a full pipe cannot stall the loop. */
static int open_stderr(pid_t pid, const char *link)
{
	struct stat st;
	if (stat(link, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode))
		return open(link, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	return il_sv_getfd(pid, 2);
}

/* The agent reads why its exec failed on its own stderr, as from the preload. */
static void tell(pid_t pid, const char *command, const char *why, const char *rule, const char *how)
{
	char link[64], line[2048];
	snprintf(link, sizeof link, "/proc/%d/fd/2", (int)pid);
	if (!stderr_ok(pid, link))
		return;
	int n = snprintf(line, sizeof line,
			 "interlock: blocked: %s: %s%s%s%s%s do not try to work around this block; ask the user to run it "
			 "themselves or to approve it\n",
			 command, why && *why ? why : "not allowed", rule ? " (rule " : "", rule ? rule : "", rule ? ")" : "",
			 how);
	int fd = open_stderr(pid, link);
	if (fd < 0)
		return;
	(void)!write(fd, line, n < (int)sizeof line ? (size_t)n : sizeof line - 1);
	close(fd);
}

static const char *how_text(int action, enum il_answer a)
{
	if (action != IL_CONFIRM)
		return ";";
	switch (a) {
	case IL_ANS_TIMEOUT:
		return "; the human did not confirm in time:";
	case IL_ANS_NO_TERMINAL:
	case IL_ANS_BUSY:
		return "; this needs a human's confirmation and no human terminal is available to ask:";
	default:
		return "; the human did not confirm it:";
	}
}

void il_sv_audit(const struct il_supervisor *s, const struct exec_view *e, const struct il_verdict *v,
		 const char *decision, const char *by)
{
	if (!s->cfg.audit)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	pid_t proc = il_sv_process(e->tid);
	struct il_audit_rec r = { s->cfg.session, s->cfg.profile, (long)(proc ? proc : e->tid), (long)il_sv_parent_of(e->tid), e->path,
				  (const char *const *)e->argv, e->cwd, e->event ? e->event : "exec", v->rule_id, v->action,
				  decision, by };
	char *buf = malloc(65536);
	size_t n = buf ? il_audit_format(buf, 65536, &r, (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000) : 0;
	if (n)
		il_audit_append(s->cfg.audit, buf, n);
	free(buf);
}

/* What the human is shown (and what the preload sends): the matched
 * command, newlines flattened as the preload's request does. */
static void command_text(const struct il_verdict *v, char *const *argv, char *out, size_t cap)
{
	if (v->cmd)
		il_format_argv(out, cap, v->cmd->argv, v->cmd->argc);
	else
		il_format_argv(out, cap, (const char *const *)argv, argv && argv[0] ? 1 : 0);
	for (char *p = out; *p; p++)
		if (*p == '\n')
			*p = ' ';
}

/* An allowed connect: made from here with the address we judged
 * (connect_emulate.c), never continued, since the kernel would read the
 * address again. */
static void allow_connect(struct il_supervisor *s, uint64_t id, pid_t pid, int sock, const void *addr, size_t len)
{
	int r = il_connect_emulate(s->fd, id, pid, sock, addr, len);
	if (r > 0) {
		il_sv_respond(s, id, 0);
	} else if (r < 0) {
		char why[256];
		snprintf(why, sizeof why,
			 "interlock allows this connect but could not make it on the program's behalf (%s), and letting "
			 "the program make it itself would let the address change after the check",
			 strerror(errno));
		il_sv_fail_closed(s, id, pid, "connect", "socket", why);
	}
}

/* ---------------------------------------------------------------- confirm */

static void unlink_pending(struct pending *p)
{
	struct pending **pp = &p->s->pending;
	while (*pp && *pp != p)
		pp = &(*pp)->next;
	if (*pp)
		*pp = p->next;
}

static void on_answer(void *ctx, enum il_answer a)
{
	struct pending *p = ctx;
	unlink_pending(p);
	if ((a == IL_ANS_ONCE || a == IL_ANS_SESSION) && p->sock >= 0) {
		allow_connect(p->s, p->id, p->tid, p->sock, p->addr, p->addrlen);
	} else if (a == IL_ANS_ONCE || a == IL_ANS_SESSION) {
		if (p->tree[0])
			il_sv_approve_tree(p->s, p->proc, p->tree);
		il_sv_respond(p->s, p->id, 0);
	} else if (il_sv_id_valid(p->s, p->id)) { /* the pid is still the asker's */
		tell(p->tid, p->command, p->why, p->rule, how_text(IL_CONFIRM, a));
		il_sv_respond(p->s, p->id, EACCES);
	}
	free(p);
}

void il_sv_ask_human(struct il_supervisor *s, uint64_t id, const struct exec_view *e, const struct il_verdict *v,
		     const char *command)
{
	struct pending *p = calloc(1, sizeof *p);
	if (!p) {
		il_sv_fail_closed(s, id, e->tid, e->event ? e->event : "exec", command,
				  "interlock ran out of memory before it could ask the human");
		return;
	}
	pid_t proc = il_sv_process(e->tid);
	*p = (struct pending){ s->pending, s, id, e->tid, proc ? proc : e->tid, v->why, v->rule_id, "", e->sock, 0, { 0 }, "" };
	if (e->tree)
		snprintf(p->tree, sizeof p->tree, "%s", e->tree);
	if (e->sock >= 0 && e->addrlen <= sizeof p->addr) {
		memcpy(p->addr, e->addr, e->addrlen);
		p->addrlen = e->addrlen;
	}
	snprintf(p->command, sizeof p->command, "%s", command);
	s->pending = p;
	struct il_broker_ask q = { v->rule_id, v->word[0] ? v->word : "yes", v->why, command,
				   v->target ? v->target : "", e->cwd, e->path, (const char *const *)e->argv, p->proc };
	il_broker_ask_internal(s->cfg.broker, &q, on_answer, p); /* may answer at once */
}

/* ---------------------------------------------------------------- exec */

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

void il_sv_refuse(struct il_supervisor *s, uint64_t id, const struct exec_view *e, const struct il_verdict *v,
		  const char *command)
{
	if (v->quiet) { /* as the preload does: no word, one record per process */
		pid_t proc = il_sv_process(e->tid);
		if (s->quiet_pid != proc)
			il_sv_audit(s, e, v, "denied", "quiet-program");
		s->quiet_pid = proc;
		il_sv_respond(s, id, EACCES);
		return;
	}
	tell(e->tid, command, v->why, v->rule_id, how_text(v->action, IL_ANS_NO_TERMINAL));
	il_sv_audit(s, e, v, "denied", v->action == IL_CONFIRM ? "no-terminal" : "rule");
	il_sv_respond(s, id, EACCES);
}

int il_sv_approved(struct il_supervisor *s, pid_t tid, const char *rule, const char *target, const char *command,
		   const char *cwd)
{
	pid_t proc = il_sv_process(tid);
	return proc && il_broker_approved(s->cfg.broker, proc, il_sv_parent_of(tid), rule, target, command, cwd);
}

void il_sv_fail_closed(struct il_supervisor *s, uint64_t id, pid_t tid, const char *event, const char *what,
		       const char *why)
{
	char command[1200];
	snprintf(command, sizeof command, "%s %s", event, what);
	char *argv[] = { (char *)event, (char *)what, 0 };
	struct exec_view e = { .tid = tid, .event = event, .sock = -1, .path = (char *)what, .argv = argv };
	snprintf(e.cwd, sizeof e.cwd, "/");
	struct il_verdict v = { .action = IL_DENY, .rule = -1, .rule_id = "fail-closed", .why = why };
	il_sv_refuse(s, id, &e, &v, command);
}

static void act(struct il_supervisor *s, uint64_t id, const struct exec_view *e, struct il_verdict *v)
{
	char command[1024];
	if (v->action == IL_ALLOW) {
		il_sv_respond(s, id, 0);
		return;
	}
	if (program_missing(e)) {
		il_sv_respond(s, id, ENOENT);
		return;
	}
	if (v->action == IL_LOG) {
		if (!is_first_exec(s, e) && !il_sv_has_preload(s, e->tid))
			il_sv_audit(s, e, v, "allowed", "rule");
		il_sv_respond(s, id, 0);
		return;
	}
	command_text(v, e->argv, command, sizeof command);
	if (v->action != IL_CONFIRM || v->error) {
		il_sv_refuse(s, id, e, v, command);
		return;
	}
	/* Approved through the preload a moment ago: one question, not two. */
	if (il_sv_approved(s, e->tid, v->rule_id, v->target, command, e->cwd)) {
		il_sv_respond(s, id, 0);
		return;
	}
	il_sv_ask_human(s, id, e, v, command);
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
	if (il_snap_exec_candidate(v, il_basename(e->path)))
		return 1;
	unsigned char p0[8];
	if (path_addr && argv_addr &&
	    (argv0 ? *argv0 == path_addr
		   : il_sv_peek(e->tid, argv_addr, p0, (size_t)e->abi->ptr) == e->abi->ptr &&
			     ptr_at(p0, e->abi->ptr) == path_addr))
		return 0; /* argv[0] is the path, already ruled out */
	char **a0 = peek_list(s, e->tid, argv_addr, e->abi->ptr, 1);
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
		*argv0 = ptr_at(p0, ptr);
		*have_argv0 = 1;
	}
	char *z = memchr(s->tmp, 0, want);
	return z ? il_arena_strndup(&s->arena, s->tmp, (size_t)(z - s->tmp)) : il_sv_peek_str(s, pid, path);
}

/* The program and whether any rule could care about it: what most execs
 * need before they are let through. */
static int read_exec_head(struct il_supervisor *s, const struct seccomp_data *d, struct exec_view *e, int *candidate)
{
	int at = d->nr == e->abi->execveat;
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
	*candidate = exec_candidate(s, e, argv_addr, at ? 0 : d->args[0], have_argv0 ? &argv0 : 0);
	return 0;
}

static int read_exec(struct il_supervisor *s, const struct seccomp_data *d, struct exec_view *e, int *candidate)
{
	int at = d->nr == e->abi->execveat;
	uint64_t argv_addr = d->args[at ? 2 : 1], envp_addr = d->args[at ? 3 : 2];
	int r = read_exec_head(s, d, e, candidate);
	if (r || !*candidate)
		return r;
	e->argv = peek_list(s, e->tid, argv_addr, e->abi->ptr, 0);
	e->envp = peek_list(s, e->tid, envp_addr, e->abi->ptr, 0);
	if (!e->argv || !e->envp)
		return errno ? errno : EACCES;
	return il_sv_base_dir(e->tid, AT_FDCWD, e->cwd, sizeof e->cwd, 0);
}

static void on_exec(struct il_supervisor *s, const struct seccomp_notif *n, const struct abi *abi)
{
	struct exec_view e = { .tid = (pid_t)n->pid, .abi = abi, .sock = -1 };
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
	struct il_verdict v;
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
	struct il_exec_event ev = { e.path, e.argv, e.envp, e.cwd, s->cfg.profile, read_caller, &caller };
	il_decide_exec(&s->cfg.rules->view, &ev, &s->arena, &v);
	/* what /proc said must still be the process waiting in this call */
	if (caller.asked && !il_sv_id_valid(s, n->id))
		return;
	act(s, n->id, &e, &v);
}

/* ---------------------------------------------------------------- connect */

/* The name a session pinned for this address (INTERLOCK_HOSTS), so that a
 * static program's connect can be matched by host like a preloaded one's. */
static const char *pinned_name(const struct il_snap_view *v, const unsigned char addr[16], char *buf, size_t cap)
{
	const char *p = il_snap_str(v, v->hdr->hosts);
	while (p && *p) {
		const char *sp = strchr(p, ' '), *nl = strchr(p, '\n');
		if (!sp || !nl || sp > nl)
			break;
		char a[64];
		size_t an = (size_t)(nl - sp - 1), nn = (size_t)(sp - p);
		unsigned char bin[16];
		int bits;
		if (an < sizeof a && nn < cap) {
			memcpy(a, sp + 1, an);
			a[an] = 0;
			if (il_cidr_parse(a, bin, &bits) == 0 && !memcmp(bin, addr, 16)) {
				memcpy(buf, p, nn);
				buf[nn] = 0;
				return buf;
			}
		}
		p = nl + 1;
	}
	return 0;
}

static int sockaddr_event(const unsigned char *sa, size_t len, struct il_net_event *ev)
{
	unsigned short family;
	if (len < sizeof family)
		return -1;
	memcpy(&family, sa, sizeof family);
	memset(ev->addr, 0, sizeof ev->addr);
	if (family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in in;
		memcpy(&in, sa, sizeof in);
		ev->addr[10] = ev->addr[11] = 0xff;
		memcpy(ev->addr + 12, &in.sin_addr, 4);
		ev->port = ntohs(in.sin_port);
	} else if (family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 in6;
		memcpy(&in6, sa, sizeof in6);
		memcpy(ev->addr, &in6.sin6_addr, 16);
		ev->port = ntohs(in6.sin6_port);
	} else {
		return -1;
	}
	ev->family = family;
	return 0;
}

/* Where the address of a connect is: connect(fd, addr, len), or a TCP Fast
 * Open sendto(fd, buf, n, MSG_FASTOPEN, addr, len) / sendmsg(fd, msghdr,
 * MSG_FASTOPEN) (the filter traps those only with the flag). 0 when the
 * call is none of these on the native ABI (abi[0]), or its msghdr cannot be
 * read. */
static int connect_address(const struct il_supervisor *s, const struct seccomp_notif *n, uint64_t *addr, size_t *len,
			   int *fastopen)
{
	const struct seccomp_data *d = &n->data;
	const struct abi *a = &s->abi[0];
	if (d->arch != a->audit_arch)
		return 0;
	if (d->nr == a->connect) {
		*addr = d->args[1], *len = (size_t)(uint32_t)d->args[2];
		return 1;
	}
	*fastopen = 1;
	if (d->nr == a->sendto) {
		*addr = d->args[4], *len = (size_t)(uint32_t)d->args[5];
		return 1;
	}
	if (d->nr == a->sendmsg) {
		struct msghdr mh;
		if (il_sv_peek((pid_t)n->pid, d->args[1], &mh, sizeof mh) != (ssize_t)sizeof mh)
			return 0;
		*addr = (uint64_t)(uintptr_t)mh.msg_name, *len = mh.msg_namelen;
		return 1;
	}
	return 0;
}

/* Connects are judged with the same connect rules as the preload's. A
 * process that has the preload made this call only after the preload's own
 * decision (and question); the supervisor repeats the verdict for deny, and
 * asks only for processes without the preload (static and Go programs).
 * An allowed connect is made by the supervisor itself with the address it
 * judged (connect_emulate.c): continuing would let the kernel read the
 * address again, after a second thread swapped it. */
static void on_connect(struct il_supervisor *s, const struct seccomp_notif *n)
{
	struct il_snap_view *view = &s->cfg.rules->view;
	if (!il_snap_has_connect_rules(view) && !s->cfg.connect) {
		il_sv_respond(s, n->id, 0);
		return;
	}
	/* Only the direct system calls are read; socketcall(2) (i386) and
	 * anything unexpected are refused while connect rules exist. */
	const struct seccomp_data *d = &n->data;
	unsigned char addr[128];
	uint64_t addr_at;
	size_t len;
	int fastopen = 0;
	if (!connect_address(s, n, &addr_at, &len, &fastopen)) {
		il_sv_fail_closed(s, n->id, (pid_t)n->pid, "connect", "socket",
				  "interlock cannot read where this call connects (a 32-bit or socketcall(2) connect, or an "
				  "unreadable message header), and connect rules are in force");
		return;
	}
	if (!addr_at) { /* a Fast Open send without an address: nothing to connect */
		il_sv_respond(s, n->id, 0);
		return;
	}
	if (len > sizeof addr || il_sv_peek((pid_t)n->pid, addr_at, addr, len) != (ssize_t)len) {
		if (il_sv_id_valid(s, n->id))
			il_sv_fail_closed(s, n->id, (pid_t)n->pid, "connect", "socket",
					  "interlock cannot read the address this call connects to, and connect rules "
					  "are in force");
		return;
	}
	if (!il_sv_id_valid(s, n->id))
		return; /* the thread is gone: nobody to answer */
	struct il_verdict v = { .action = IL_ALLOW, .rule = -1 };
	if (s->cfg.connect) {
		struct il_connect_event cev = { (pid_t)n->pid, (int)d->args[0], addr, len };
		s->cfg.connect(s->cfg.connect_ctx, &cev, &v);
	}
	struct il_net_event ev = { .profile = s->cfg.profile };
	char host[256];
	if (v.action == IL_ALLOW && sockaddr_event(addr, len, &ev) == 0) {
		ev.host = pinned_name(view, ev.addr, host, sizeof host);
		il_arena_init(&s->arena, s->mem, ARENA_SIZE);
		il_decide_connect(view, &ev, &s->arena, &v, -1);
	}
	if (v.action == IL_ALLOW) {
		if (fastopen) /* continued: the data goes with it (docs: the address race) */
			il_sv_respond(s, n->id, 0);
		else
			allow_connect(s, n->id, (pid_t)n->pid, (int)d->args[0], addr, len);
		return;
	}
	char text[512], addrtext[64] = "?", port[8];
	if (ev.family)
		inet_ntop(ev.family, ev.family == AF_INET ? (const void *)(ev.addr + 12) : (const void *)ev.addr, addrtext,
			  sizeof addrtext);
	snprintf(port, sizeof port, "%u", ev.port);
	snprintf(text, sizeof text, "connect to %s%s%s port %s", ev.host ? ev.host : addrtext, ev.host ? " " : "",
		 ev.host ? addrtext : "", port);
	char *argv[] = { "connect", (char *)(ev.host ? ev.host : addrtext), addrtext, port, 0 };
	/* sock -1: a yes continues the call (a Fast Open send cannot be made for it) */
	struct exec_view e = { .tid = (pid_t)n->pid, .event = "connect", .sock = fastopen ? -1 : (int)d->args[0], .addr = addr,
			       .addrlen = len, .path = (char *)(ev.host ? ev.host : addrtext), .argv = argv };
	snprintf(e.cwd, sizeof e.cwd, "/");
	if (v.action == IL_LOG) { /* the preload wrote its own record */
		if (!il_sv_has_preload(s, e.tid))
			il_sv_audit(s, &e, &v, "allowed", "rule");
		if (e.sock < 0)
			il_sv_respond(s, n->id, 0);
		else
			allow_connect(s, n->id, e.tid, e.sock, addr, len);
		return;
	}
	if (v.action == IL_CONFIRM && !v.error) {
		if (il_sv_has_preload(s, e.tid)) { /* the preload asked before making the call */
			if (e.sock < 0)
				il_sv_respond(s, n->id, 0);
			else
				allow_connect(s, n->id, e.tid, e.sock, addr, len);
			return;
		}
		il_sv_ask_human(s, n->id, &e, &v, text);
		return;
	}
	il_sv_refuse(s, n->id, &e, &v, text);
}

/* ---------------------------------------------------------------- public */

int il_sv_quick_answer(struct il_supervisor *s)
{
	const struct seccomp_notif *n = s->req;
	const struct abi *abi = exec_abi(s, &n->data);
	if (!abi) {
		enum fs_call kind = il_sv_fs_kind(s, &n->data);
		return kind != FS_NONE && il_sv_fs_quick(s, n, kind);
	}
	struct exec_view e = { .tid = (pid_t)n->pid, .abi = abi, .sock = -1 };
	il_arena_init(&s->arena, s->mem, ARENA_SIZE);
	int candidate = 1;
	errno = 0;
	if (read_exec_head(s, &n->data, &e, &candidate) || candidate)
		return 0;
	il_sv_respond(s, n->id, 0);
	return 1;
}

void il_sv_dispatch(struct il_supervisor *s)
{
	const struct abi *abi = exec_abi(s, &s->req->data);
	enum fs_call kind = abi ? FS_NONE : il_sv_fs_kind(s, &s->req->data);
	if (abi)
		on_exec(s, s->req, abi);
	else if (kind != FS_NONE)
		il_sv_on_fs(s, s->req, kind);
	else
		on_connect(s, s->req);
}

void il_supervisor_ready(void *ctx, short revents)
{
	struct il_supervisor *s = ctx;
	if (!(revents & POLLIN)) {
		/* POLLHUP: no process uses the filter any more. Receiving now
		 * would block for ever. */
		if (revents & (POLLHUP | POLLERR | POLLNVAL))
			il_broker_watch(s->cfg.broker, -1, 0, 0);
		return;
	}
	memset(s->req, 0, s->req_size);
	if (ioctl(s->fd, SECCOMP_IOCTL_NOTIF_RECV, s->req) < 0)
		return; /* ENOENT: the target died before we looked */
	il_sv_dispatch(s);
}

static void sv_free_buffers(struct il_supervisor *s)
{
	free(s->req), free(s->resp), free(s->mem), free(s->tmp);
	free(s);
}

/* A supervisor on the listener fd with buffers of its own; NULL when out
 * of memory (the fd is left as it was). */
static struct il_supervisor *sv_alloc(int listener, const struct il_supervisor_cfg *cfg)
{
	struct il_supervisor *s = calloc(1, sizeof *s);
	struct seccomp_notif_sizes sz = { sizeof(struct seccomp_notif), sizeof(struct seccomp_notif_resp),
					  sizeof(struct seccomp_data) };
	/* The kernel writes its own struct size: never less than it says. */
	syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz);
	if (!s)
		return 0;
	s->fd = listener;
	s->cfg = *cfg;
	s->req_size = sz.seccomp_notif > sizeof *s->req ? sz.seccomp_notif : sizeof *s->req;
	s->resp_size = sz.seccomp_notif_resp > sizeof *s->resp ? sz.seccomp_notif_resp : sizeof *s->resp;
	s->req = calloc(1, s->req_size);
	s->resp = calloc(1, s->resp_size);
	s->mem = malloc(ARENA_SIZE);
	s->tmp = malloc(MAX_STR + 1);
	if (!s->req || !s->resp || !s->mem || !s->tmp) {
		sv_free_buffers(s);
		return 0;
	}
	return s;
}

struct il_supervisor *il_supervisor_new(int listener, const struct il_supervisor_cfg *cfg)
{
	struct il_supervisor *s = sv_alloc(listener, cfg);
	if (!s)
		close(listener);
	else
		init_abis(s);
	return s;
}

struct il_supervisor *il_sv_twin(const struct il_supervisor *s)
{
	struct il_supervisor *t = sv_alloc(s->fd, &s->cfg);
	if (t) { /* the system call numbers as resolved once (libseccomp's tables) */
		memcpy(t->abi, s->abi, sizeof t->abi);
		t->nabi = s->nabi;
	}
	return t;
}

void il_sv_twin_free(struct il_supervisor *t)
{
	if (t)
		sv_free_buffers(t);
}

int il_supervisor_fd(const struct il_supervisor *s)
{
	return s->fd;
}

void il_supervisor_free(struct il_supervisor *s)
{
	if (!s)
		return;
	il_sv_lane_stop(s);
	while (s->pending) /* not expected: the broker answered them all */
		on_answer(s->pending, IL_ANS_NO_TERMINAL);
	close(s->fd);
	sv_free_buffers(s);
}
