/* The judges: the whole policy for one operation, built-in protections
 * included, in the order every host must apply it. A host (the preload's
 * hooks, the seccomp supervisor, `interlock check`) gathers the facts only
 * it can see (its paths made absolute, its program, its approved trees)
 * and carries out the verdict with outcome.c; none of them decides
 * anything itself, so they cannot disagree.
 *
 * Each verdict also says what the operation is, in words the human and the
 * agent read ("read /home/u/.ssh/id_ed25519", "delete /p/a.db -> /tmp/x")
 * and in the argv the audit record and the broker's approval keep. */
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine_int.h"
#include "open_quick.h"

#define OWN_WHY "interlock's own rules, logs and session files cannot be changed from inside a guarded session"
#define TTY_WHY "this is the human's terminal; only interlock may read it or draw on it"

static void builtin(struct il_verdict *out, const char *id, const char *why)
{
	out->action = IL_DENY;
	out->rule = -1;
	out->rule_id = id;
	out->why = why;
	out->quiet = 0;
	out->word[0] = 0;
}

/* "VERB PATH[ -> TO]" and { VERB, SUBJECT } in arena memory; on a full
 * arena the verdict still stands, with the path alone as its text. */
static void describe(struct il_arena *a, struct il_verdict *out, const char *event, const char *verb,
		     const char *path, const char *to, const char *subject)
{
	size_t vl = il_strlen(verb), pl = il_strlen(path), tl = to ? il_strlen(to) : 0;
	char *what = il_arena_alloc(a, vl + pl + tl + 8);
	const char **argv = il_arena_alloc(a, 3 * sizeof *argv);
	if (what) {
		size_t o = 0;
		il_memcpy(what, verb, vl), o = vl;
		what[o++] = ' ';
		il_memcpy(what + o, path, pl), o += pl;
		if (to) {
			il_memcpy(what + o, " -> ", 4), o += 4;
			il_memcpy(what + o, to, tl), o += tl;
		}
		what[o] = 0;
	}
	if (argv)
		argv[0] = verb, argv[1] = subject, argv[2] = 0;
	out->event = event;
	out->what = what ? what : path;
	out->argv = argv;
}

static const char *protect_list(const struct il_snap_view *v)
{
	const char *l = il_snap_str(v, v->hdr->protect);
	return l && *l ? l : 0;
}

/* ------------------------------------------------------------------ open */

static const char *open_verb(const struct il_open_op *op)
{
	return op->link ? "link to" : op->access & IL_A_TRUNCATE ? "truncate" : op->access & IL_A_WRITE ? "write" : "read";
}

/* Not there: nothing to read or lose. Creating and writing it is still
 * judged (a new hook in .git/hooks); a link to it is judged as a read. */
static unsigned present_access(const char *path, unsigned access)
{
	if (!(access & (IL_A_READ | IL_A_TRUNCATE)))
		return access;
	int saved = errno;
	long r = syscall(SYS_faccessat, AT_FDCWD, path, F_OK, 0);
	int gone = r < 0 && (errno == ENOENT || errno == ENOTDIR);
	errno = saved;
	if (!gone)
		return access;
	return access & IL_A_CREATE ? access & (IL_A_CREATE | IL_A_WRITE) : 0;
}

/* Is path inside a .git directory made after the session began? */
static int repository_born(const struct il_snap_view *v, struct il_arena *a, const char *path)
{
	const char *g = il_git_component(path);
	const char *gd = g ? il_arena_strndup(a, path, (size_t)(g - path) + 5) : 0;
	return gd && il_born_in_session(v, gd);
}

/* A secret met by a tree walk (a program with the walker trait, grep -r,
 * tar, cp -r, that listed its directory and reads it only for being
 * there) is refused without a question: the walk needs no secret, the
 * answer would be no, and a question at every `grep -r` in a project with
 * a .env teaches the human to type yes unread. Named by a command, or
 * read by any other program, the same file is asked about. */
#define WALK_WHY "; it was met while walking a directory tree (the program listed its directory and did not name it), " \
		 "so it is skipped without asking; a command that names the file is asked about"

static void walked_past(const struct il_snap_view *v, const struct il_open_op *op, const struct il_facts *f,
			struct il_arena *a, struct il_verdict *out)
{
	if (!op->walked || op->access != IL_A_READ || out->action != IL_CONFIRM || out->rule < 0 || out->error ||
	    (il_snap_rule(v, (uint32_t)out->rule)->access & ~(unsigned)IL_A_READ))
		return;
	/* Only a program whose job is the walk ([program] walker = yes): an
	 * interpreter lists directories to import its modules (python lists
	 * the script's directory) and then opens its .env by name. */
	const struct il_snap_prog *p = f->process ? il_snap_prog_for(v, f->process) : 0;
	if (!p || !(p->flags & IL_T_WALKER))
		return;
	size_t wl = il_strlen(out->why ? out->why : ""), kl = sizeof WALK_WHY - 1;
	char *why = il_arena_alloc(a, wl + kl + 1);
	if (why) {
		il_memcpy(why, out->why ? out->why : "", wl);
		il_memcpy(why + wl, WALK_WHY, kl + 1);
		out->why = why;
	}
	out->action = IL_DENY;
	out->word[0] = 0;
}

int il_judge_open(struct il_snap_view *v, const struct il_open_op *op, const struct il_facts *f, struct il_arena *a,
		  struct il_verdict *out)
{
	*out = (struct il_verdict){ .action = IL_ALLOW, .rule = -1 };
	describe(a, out, "open", open_verb(op), op->path, 0, op->path);
	if (!op->access)
		return 0;
	unsigned access = op->access;
	int writes = (access & (IL_A_WRITE | IL_A_TRUNCATE | IL_A_CREATE)) != 0;
	if (op->unnamed) { /* judged by the name, below the deepest named ancestor */
		size_t dl = il_strlen(op->dir), nl = il_strlen(op->path);
		char *shown = il_arena_alloc(a, dl + nl + 6);
		if (shown) {
			il_memcpy(shown, op->dir, dl);
			il_memcpy(shown + dl, "/.../", 5);
			il_memcpy(shown + dl + 5, op->path, nl + 1);
			describe(a, out, "open", open_verb(op), shown, 0, shown);
		}
		const char *what = out->what;
		const char **argv = out->argv;
		struct il_open_event ev = { op->path, op->dir, access, f->envp, f->profile, f->pid, f->process, 0, 1 };
		il_decide_open(v, &ev, a, out, -1);
		out->event = "open", out->what = what, out->argv = argv;
		return 0;
	}
	/* whatever name led here: a symlink called notes.txt to the audit
	 * log is still the audit log. The preload's own record is an append
	 * the supervisor sees (a raw system call); an append cannot erase. */
	const char *log = il_snap_str(v, v->hdr->audit);
	int own_record = f->audit_writer && op->append && !(access & IL_A_TRUNCATE) && log && il_streq(op->path, log);
	if ((writes || op->link) && !own_record && il_path_protected(protect_list(v), op->path, 0)) {
		builtin(out, "self-protection", OWN_WHY);
		return 0;
	}
	const char *tty = il_snap_str(v, v->hdr->tty);
	if (tty && *tty && il_streq(op->path, tty)) {
		builtin(out, "human-terminal", TTY_WHY);
		return 0;
	}
	if (!il_open_candidate(v, op->path, access) && !(op->written && il_open_candidate(v, op->written, access)))
		return 0;
	if (!op->link && !(access = present_access(op->path, access)))
		return 0;
	struct il_open_event ev = { op->path, "/", access, f->envp, f->profile, f->pid, f->process, 1, 0 };
	const char *what = out->what;
	const char **argv = out->argv;
	il_decide_open(v, &ev, a, out, -1);
	out->event = "open", out->what = what, out->argv = argv;
	/* a repository the session made (clone, cp -r, tar x) is its own:
	 * writing inside its .git loses nothing of the user's */
	if (out->action == IL_CONFIRM && writes && repository_born(v, a, op->path))
		*out = (struct il_verdict){ .action = IL_ALLOW, .rule = -1, .event = "open", .what = what, .argv = argv };
	walked_past(v, op, f, a, out);
	return 0;
}

/* ---------------------------------------------------------------- delete */

static const char *delete_verb(int kind)
{
	return kind == IL_DEL_RMDIR ? "rmdir" : kind == IL_DEL_RENAME ? "rename" : "delete";
}

/* Is the name, not followed, one of interlock's files (or with above, a
 * directory above one)? Its parent is resolved when the name could be ours:
 * a symlinked directory must not hide the audit log. */
static int own_name(struct il_arena *a, const char *list, const char *path, int above, long self)
{
	if (il_path_protected(list, path, above))
		return 1;
	if (!il_own_file_name(path))
		return 0;
	const char *base = il_basename(path);
	size_t pl = (size_t)(base - path);
	const char *parent = il_arena_strndup(a, path, pl > 1 ? pl - 1 : pl);
	const char *rp = parent ? il_path_resolve_as(a, "/", parent, self) : 0;
	const char *real = rp ? il_path_abs(a, rp, base) : 0;
	return real && il_path_protected(list, real, above);
}

static void judge_source(struct il_snap_view *v, const struct il_delete_op *op, const struct il_facts *f,
			 struct il_arena *a, struct il_verdict *out, const char **shownp);

/* What a rename puts in place of the file at its destination: the old
 * file is gone as surely as by a truncation, so it is judged as one (the
 * open rules with access = truncate: a private key, a database, a file
 * under /etc), with the truncation's own waiver for a file the session
 * made (decide_open.c). And a file born in the session that takes over an
 * older file's name keeps that file's age: the judge says what to record
 * (op->adopt, adopted.c), the host records it once the rename is allowed.
 * A destination in a temp or scratch directory is free (the preload's hot
 * path lets such renames through unjudged, and a temp file's age decides
 * nothing); a package manager's renames (dpkg's .dpkg-new files over /etc)
 * are what it is for ([deletes] system-programs). RENAME_NOREPLACE and
 * RENAME_EXCHANGE replace nothing (op->no_replace): not judged here.
 * One statx of the destination for a rename the judge sees at all; the
 * record is read only when that destination was born in the session. */
static void judge_onto(struct il_snap_view *v, const struct il_delete_op *op, const struct il_facts *f,
		       struct il_arena *a, struct il_verdict *out, const char *shown)
{
	if (out->action >= IL_DENY || il_streq(op->to, op->path) || !il_delete_candidate(v, op->to, f->envp))
		return;
	int exists = 0;
	/* Nothing is recorded for a source too deep to name (no file to
	 * stat), nor inside .git: git replaces its index, refs and config by
	 * rename all the time, and the age of a file in there decides nothing
	 * (deletes.c judges .git by its directory's age, git by its name). */
	il_rename_takeover(v, op->path, op->to, &exists, op->unnamed || il_git_component(op->to) ? 0 : op->adopt);
	if (!exists)
		return;
	const char *progs = il_snap_str(v, v->hdr->del_programs);
	if (f->process && progs && il_list_has(progs, f->process, il_strlen(f->process)))
		return;
	if (f->approved && f->approved(f->ctx, op->to))
		return; /* a yes for that tree, in this process */
	/* the name as written: a rename replaces a symlink, not what it leads to */
	struct il_open_op over = { op->to, op->to, 0, IL_A_WRITE | IL_A_TRUNCATE, 0, 0, 0, 0 };
	struct il_verdict ov;
	il_judge_open(v, &over, f, a, &ov);
	/* one question per call: the overwrite when it weighs as much as what
	 * the source side asks (moving a draft away loses nothing yet; the key
	 * it lands on is gone) */
	if (ov.action < IL_LOG || ov.action < out->action || (ov.action == out->action && ov.action < IL_CONFIRM))
		return;
	*out = ov;
	describe(a, out, "delete", "rename", shown, op->to, op->to);
}

int il_judge_delete(struct il_snap_view *v, const struct il_delete_op *op, const struct il_facts *f,
		    struct il_arena *a, struct il_verdict *out)
{
	if (op->adopt)
		op->adopt->want = 0;
	const char *shown = op->path;
	judge_source(v, op, f, a, out, &shown);
	if (op->kind == IL_DEL_RENAME && op->to && !op->no_replace)
		judge_onto(v, op, f, a, out, shown);
	return 0;
}

/* The delete itself, or what a rename takes away from its source. */
static void judge_source(struct il_snap_view *v, const struct il_delete_op *op, const struct il_facts *f,
			 struct il_arena *a, struct il_verdict *out, const char **shownp)
{
	*out = (struct il_verdict){ .action = IL_ALLOW, .rule = -1 };
	const char *verb = delete_verb(op->kind);
	const char *shown = op->path;
	if (op->unnamed && op->name) { /* the deepest named ancestor, "...", the name */
		size_t nl = il_strlen(op->path), tl = il_strlen(op->name);
		char *s = il_arena_alloc(a, nl + tl + 6);
		if (s) {
			il_memcpy(s, op->path, nl);
			il_memcpy(s + nl, "/.../", 5);
			il_memcpy(s + nl + 5, op->name, tl + 1);
			shown = s;
		}
	}
	*shownp = shown;
	describe(a, out, "delete", verb, shown, op->to, op->path);
	/* interlock's own files first: nothing below waives that, and a
	 * rename must not put something in their place */
	const char *list = protect_list(v);
	if (list && own_name(a, list, op->path, op->kind != IL_DEL_UNLINK, f->self)) {
		builtin(out, "self-protection", OWN_WHY);
		return;
	}
	if (list && op->to && own_name(a, list, op->to, 0, f->self)) {
		describe(a, out, "delete", "rename onto", op->to, 0, op->to);
		builtin(out, "self-protection", OWN_WHY);
		return;
	}
	if (!il_delete_candidate(v, op->path, f->envp))
		return; /* temp dirs, scratch directories */
	if (f->approved && f->approved(f->ctx, op->path))
		return; /* a yes for this tree, in this process */
	const char *judged = il_snap_str(v, v->hdr->del_exec_judged);
	struct il_delete_event ev = { op->path, op->to, op->kind, f->envp, f->profile, f->pid, f->process, op->unnamed,
				      f->process && judged && il_list_has(judged, f->process, il_strlen(f->process)) };
	const char *what = out->what;
	il_decide_delete(v, &ev, a, out);
	if (out->action >= IL_LOG)
		describe(a, out, "delete", verb, shown, op->to, out->target ? out->target : op->path);
	else
		out->what = what;
}

/* --------------------------------------------------------------- connect */

int il_judge_connect(struct il_snap_view *v, const struct il_net_event *ev, struct il_arena *a,
		     struct il_verdict *out)
{
	*out = (struct il_verdict){ .action = IL_ALLOW, .rule = -1, .event = "connect" };
	if (!il_snap_has_connect_rules(v))
		return 0;
	il_decide_connect(v, ev, a, out, -1);
	char *addr = il_arena_alloc(a, 64), *port = il_arena_alloc(a, 8);
	const char **argv = il_arena_alloc(a, 5 * sizeof *argv);
	if (!addr || !port || !argv)
		return 0;
	il_format_addr(addr, 64, ev->addr);
	unsigned p = ev->port, k = 0;
	char d[8];
	do
		d[k++] = (char)('0' + p % 10);
	while ((p /= 10) && k < 6);
	for (unsigned i = 0; i < k; i++)
		port[i] = d[k - 1 - i];
	port[k] = 0;
	const char *host = ev->host && *ev->host ? ev->host : 0;
	size_t n = 11 + il_strlen(host ? host : addr) + 1 + (host ? il_strlen(addr) + 1 : 0) + 6 + k + 1;
	char *what = il_arena_alloc(a, n);
	if (what) {
		size_t o = 0;
		const char *parts[] = { "connect to ", host ? host : addr, host ? " " : "", host ? addr : "", " port ",
					port };
		for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
			size_t l = il_strlen(parts[i]);
			il_memcpy(what + o, parts[i], l), o += l;
		}
		what[o] = 0;
	}
	argv[0] = "connect", argv[1] = host ? host : addr, argv[2] = addr, argv[3] = port, argv[4] = 0;
	out->event = "connect";
	out->what = what ? what : addr;
	out->argv = argv;
	return 0;
}

/* ------------------------------------------------------------------ exec */

int il_judge_exec(struct il_snap_view *v, const struct il_exec_event *ev, struct il_arena *a, struct il_verdict *out)
{
	il_decide_exec(v, ev, a, out);
	out->event = "exec";
	out->argv = (const char **)ev->argv;
	if (out->action >= IL_LOG) {
		char *what = il_arena_alloc(a, 1024);
		if (what) {
			if (out->cmd)
				il_format_argv(what, 1024, out->cmd->argv, out->cmd->argc);
			else
				il_format_argv(what, 1024, (const char *const *)ev->argv, ev->argv && ev->argv[0] ? 1 : 0);
			for (char *p = what; *p; p++)
				if (*p == '\n')
					*p = ' ';
		}
		out->what = what ? what : ev->path ? ev->path : "exec";
	}
	return 0;
}
