/* What a git command would throw away, for exec rules with `loses =`
 * (interlock.rules(5)): a rule that matched asks only when its command
 * loses something of the kinds it names, and its question says what.
 *
 *   changes    uncommitted work in the paths the command overwrites: files
 *              whose content differs from the index (git_index.c, no git
 *              run), and for commands that also reset the index, what is
 *              staged (git diff-index --cached)
 *   untracked  what `git clean` with the same options would delete (its
 *              own --dry-run)
 *   stash      the stash entries `stash drop` / `stash clear` would drop
 *   branch     commits only the branch being deleted or moved holds: on no
 *              other branch, tag or remote-tracking branch, and not where
 *              the branch is moved to (reflogs aside: they expire)
 *   remote     commits a forced push drops from the remote branch: what
 *              the remote has now (git ls-remote, asked at the time of the
 *              push, not a stale remote-tracking branch) that the commit
 *              pushed does not contain; a push that only fast-forwards or
 *              creates the branch loses nothing
 *   worktree   what `git worktree remove --force` deletes that git has
 *              nowhere else: the removed worktree's changed and staged
 *              files and its untracked ones (what git calls unclean)
 *
 * Anything that cannot be established (no repository found, GIT_DIR or
 * --work-tree pointing elsewhere, git failing or too slow) counts as a
 * loss: the rule then asks as it would without the key. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine_int.h"

static const struct {
	const char *name;
	unsigned bit;
} loss_names[] = {
	{ "changes", IL_LOSS_CHANGES },
	{ "untracked", IL_LOSS_UNTRACKED },
	{ "stash", IL_LOSS_STASH },
	{ "branch", IL_LOSS_BRANCH },
	{ "remote", IL_LOSS_REMOTE },
	{ "database", IL_LOSS_DATABASE },
	{ "worktree", IL_LOSS_WORKTREE },
};

unsigned il_loss_parse(const char *word, size_t n)
{
	for (size_t i = 0; i < sizeof loss_names / sizeof loss_names[0]; i++)
		if (il_strlen(loss_names[i].name) == n && il_strneq(loss_names[i].name, word, n))
			return loss_names[i].bit;
	return 0;
}

const char *il_loss_names(void)
{
	return "changes untracked stash branch remote database worktree";
}

/* ------------------------------------------------------------ the command */

/* Options of a subcommand that take a separate value (so that the value
 * is not read as a path or a branch name). */
static const struct {
	const char *sub;
	const char *values;
} sub_values[] = {
	{ "checkout", "-b -B --orphan --conflict --pathspec-from-file -U --unified" },
	{ "switch", "-c -C --create --force-create --orphan --conflict" },
	{ "restore", "-s --source --conflict --pathspec-from-file" },
	{ "reset", "--pathspec-from-file" },
	{ "rm", "--pathspec-from-file" },
	{ "clean", "-e --exclude" },
	{ "read-tree", "--prefix --index-output --exclude-per-directory" },
	{ "branch", "-u --set-upstream-to --sort --format --contains --no-contains --merged --no-merged --points-at "
		    "-t --track" },
	{ "stash", "-m --message --pathspec-from-file" },
	{ "push", "-o --push-option --repo --receive-pack --exec" },
};

struct gitcmd {
	const char *sub;
	const char **opts; /* as written, values attached (--source=x) or not */
	int nopts;
	const char **vals; /* vals[i]: the separate value of opts[i], or NULL */
	const char **ops;  /* operands; those after `--` from ddash on */
	int nops, ddash;
	int elsewhere;     /* --git-dir, --work-tree, core.worktree: another repository */
	const char *values; /* the subcommand's options that take a value (sub_values) */
};

/* Does the short cluster o (-qfb) hold letter l? The letters after one that
 * takes a value are that value: -bfeature is -b feature, not -f (#21). */
static int cluster_has(const struct gitcmd *g, const char *o, char l)
{
	for (const char *c = o + 1; *c; c++) {
		char one[3] = { '-', *c, 0 };
		if (*c == l)
			return 1;
		if (g->values && il_list_has(g->values, one, 2))
			return 0;
	}
	return 0;
}

static int has_opt(const struct gitcmd *g, const char *const *names)
{
	for (int i = 0; i < g->nopts; i++)
		for (int k = 0; names[k]; k++) {
			size_t n = il_strlen(names[k]);
			const char *o = g->opts[i];
			if (il_strneq(o, names[k], n) && (!o[n] || o[n] == '='))
				return 1;
			/* git takes a long option's unambiguous prefix: --forc */
			size_t w = 0;
			while (o[w] && o[w] != '=')
				w++;
			if (o[1] == '-' && w >= 4 && w < n && il_strneq(o, names[k], w))
				return 1;
			/* a cluster of short options: -fd holds -f */
			if (n == 2 && names[k][0] == '-' && names[k][1] != '-' && o[0] == '-' && o[1] != '-' &&
			    cluster_has(g, o, names[k][1]))
				return 1;
		}
	return 0;
}

/* The value of option name (separate or attached), or NULL. */
static const char *opt_value(const struct gitcmd *g, const char *name)
{
	size_t n = il_strlen(name);
	for (int i = 0; i < g->nopts; i++) {
		const char *o = g->opts[i];
		if (il_strneq(o, name, n) && o[n] == '=')
			return o + n + 1;
		if (il_streq(o, name))
			return g->vals[i];
		if (n == 2 && o[0] == '-' && o[1] != '-') { /* -bNAME, -qb NAME */
			const char *c = __builtin_strchr(o + 1, name[1]);
			if (c)
				return c[1] ? c + 1 : g->vals[i];
		}
	}
	return 0;
}

static int parse_git(struct il_arena *a, const struct il_cmd *cmd, char *const *envp, struct gitcmd *g)
{
	*g = (struct gitcmd){ 0 };
	int i = 1, argc = cmd->argc;
	const char *const *av = cmd->argv;
	for (; i < argc && av[i][0] == '-'; i++) {
		const char *s = av[i];
		if (il_strneq(s, "--git-dir", 9) || il_strneq(s, "--work-tree", 11))
			g->elsewhere = 1;
		if ((il_streq(s, "-c") || il_streq(s, "-C") || il_streq(s, "--namespace") ||
		     il_streq(s, "--config-env") || il_streq(s, "--git-dir") || il_streq(s, "--work-tree")) &&
		    i + 1 < argc) {
			i++;
			if (il_streq(s, "-c") && (il_strneq(av[i], "core.worktree", 13) || il_strneq(av[i], "core.bare", 9)))
				g->elsewhere = 1;
		}
	}
	/* GIT_DIR naming the .git of the directory the command runs in (as
	 * git's own children are often given) is that repository; any other
	 * is one this cannot read */
	const char *gd = il_env_get(envp, "GIT_DIR");
	if ((gd && !il_streq(gd, ".git")) || il_env_get(envp, "GIT_WORK_TREE") || il_env_get(envp, "GIT_INDEX_FILE"))
		g->elsewhere = 1;
	if (i >= argc)
		return -1;
	g->sub = av[i++];
	const char *values = 0;
	for (size_t k = 0; k < sizeof sub_values / sizeof sub_values[0]; k++)
		if (il_streq(sub_values[k].sub, g->sub))
			values = sub_values[k].values;
	g->values = values;
	int cap = argc + 1;
	g->opts = il_arena_alloc(a, sizeof(char *) * (size_t)cap);
	g->vals = il_arena_alloc(a, sizeof(char *) * (size_t)cap);
	g->ops = il_arena_alloc(a, sizeof(char *) * (size_t)cap);
	if (!g->opts || !g->vals || !g->ops)
		return -1;
	g->ddash = -1;
	for (; i < argc; i++) {
		const char *s = av[i];
		if (g->ddash < 0 && il_streq(s, "--")) {
			g->ddash = g->nops;
			continue;
		}
		if (g->ddash >= 0 || s[0] != '-' || !s[1]) {
			g->ops[g->nops++] = s;
			continue;
		}
		const char *val = 0;
		size_t n = 0;
		while (s[n] && s[n] != '=')
			n++;
		int takes = 0;
		if (values && !s[n]) {
			if (s[1] == '-')
				takes = il_list_has(values, s, n);
			else /* the last letter of a cluster takes the next word */
				for (const char *c = s + 1; *c; c++) {
					char one[3] = { '-', *c, 0 };
					if (il_list_has(values, one, 2)) {
						takes = !c[1];
						break;
					}
				}
		}
		if (takes && i + 1 < argc)
			val = av[++i];
		g->vals[g->nopts] = val;
		g->opts[g->nopts++] = s;
	}
	return 0;
}

/* ------------------------------------------------------------ the repository */

/* The work tree holding dir (the nearest ancestor with a .git), copied
 * into root; its length, 0 if none. */
static size_t worktree_of(const char *dir, char *root, size_t cap)
{
	size_t n = il_strlen(dir);
	if (!n || dir[0] != '/' || n + 6 > cap)
		return 0;
	il_memcpy(root, dir, n + 1);
	while (n > 1 && root[n - 1] == '/')
		root[--n] = 0;
	for (;;) {
		struct stat st;
		il_memcpy(root + n, "/.git", 6);
		int found = fstatat(AT_FDCWD, root, &st, AT_SYMLINK_NOFOLLOW) == 0;
		root[n] = 0;
		if (found)
			return n;
		if (n == 1)
			return 0;
		while (n > 1 && root[n - 1] != '/')
			n--;
		if (n > 1)
			n--;
		root[n] = 0;
	}
}

/* Does the repository of the work tree at root have a HEAD (a fake or
 * broken .git tells nothing)? */
static int has_head(const char *root, size_t rn)
{
	char ip[4096];
	if (il_git_index_path(root, rn, ip, sizeof ip) < 0)
		return 0;
	size_t n = il_strlen(ip); /* GITDIR/index -> GITDIR/HEAD */
	if (n < 5 || n + 1 > sizeof ip)
		return 0;
	il_memcpy(ip + n - 5, "HEAD", 5);
	struct stat st;
	return fstatat(AT_FDCWD, ip, &st, 0) == 0 && S_ISREG(st.st_mode);
}

/* An operand as a path relative to the work tree root, if it names
 * something in it; NULL if it does not exist (a branch, a commit) or lies
 * outside. "" is the whole tree. */
static const char *rel_in_tree(struct il_arena *a, const char *cwd, const char *root, size_t rn, const char *op)
{
	const char *abs = il_path_abs(a, cwd, op);
	struct stat st;
	if (!abs || fstatat(AT_FDCWD, abs, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (!rn)
		return abs; /* no work tree to place it in: a path all the same */
	size_t n = il_trim_len(abs);
	if (n == rn && il_strneq(abs, root, rn))
		return "";
	if (n > rn && il_strneq(abs, root, rn) && (abs[rn] == '/' || rn == 1))
		return il_arena_strndup(a, abs + (rn == 1 ? 1 : rn + 1), n - (rn == 1 ? 1 : rn + 1));
	return 0;
}

/* ------------------------------------------------------------ the text */

/* Negative counts do not happen; shown as 0 if they did. */
static void put_num(struct il_text *t, long v)
{
	il_text_num(t, v < 0 ? 0 : (unsigned long)v, 0, 0);
}

static void sep(struct il_text *t)
{
	if (t->n)
		il_text_str(t, "; ");
}

/* "N THINGs: a, b, c, ..." */
static void counted(struct il_text *t, long count, const char *one, const char *many, const char *const *names,
		    int nnames)
{
	sep(t);
	put_num(t, count);
	il_text_str(t, " ");
	il_text_str(t, count == 1 ? one : many);
	for (int i = 0; i < nnames && i < count; i++) {
		il_text_str(t, i ? ", " : ": ");
		il_text_str(t, names[i]);
	}
	if (count > nnames && nnames)
		il_text_str(t, ", ...");
}

/* The lines of out (up to max), NUL-separated or newline-separated. */
static int lines(char *out, size_t len, char delim, const char **v, int max, long *count)
{
	int k = 0;
	*count = 0;
	char *s = out, *e = out + len;
	while (s < e) {
		char *x = s;
		while (x < e && *x != delim)
			x++;
		if (x > s) {
			if (k < max)
				v[k++] = s;
			(*count)++;
		}
		if (x < e)
			*x = 0;
		s = x + 1;
	}
	return k;
}

/* ------------------------------------------------------------ the facts */

#define OUT_CAP (64u << 10)

struct ctx {
	const struct il_snap_view *v;
	char *const *envp;
	struct il_arena *a;
	const struct il_cmd *cmd;
	struct gitcmd g;
	char root[4096];
	size_t rn;
	struct il_text t;
	int unknown;
	int valid; /* a work tree with a repository that has a HEAD */
	char *out;
};

static int run(struct ctx *c, const char *const *args, size_t *len)
{
	return il_git_run(c->cmd->cwd, args, c->out, OUT_CAP, len);
}

/* Which paths the command overwrites (NULL rels and *whole: all of it),
 * and whether it resets the index too (staged work is lost as well). */
static int changed_paths(struct ctx *c, const char ***rels, int *nrels, int *staged)
{
	static const char *const force[] = { "-f", "--force", "--discard-changes", 0 };
	static const char *const staged_opt[] = { "-S", "--staged", 0 };
	static const char *const from_file[] = { "--pathspec-from-file", 0 };
	const struct gitcmd *g = &c->g;
	const char *sub = g->sub;
	*rels = il_arena_alloc(c->a, sizeof(char *) * (size_t)(g->nops + 1));
	*nrels = 0;
	*staged = 0;
	if (!*rels)
		return -1;
	if (has_opt(g, from_file))
		return 0; /* paths from a file: the whole tree */
	int paths_only = il_streq(sub, "restore") || il_streq(sub, "rm");
	int first_path = 0; /* checkout TREE-ISH PATH...: operands from here */
	if (il_streq(sub, "checkout") && g->ddash > 0)
		first_path = g->ddash;
	int treeish = 0;
	for (int i = 0; i < g->nops; i++) {
		const char *op = g->ops[i];
		int after = g->ddash >= 0 && i >= g->ddash;
		/* pathspec magic (:/ is the top, :(glob)..., :!x): the whole
		 * tree is looked at */
		const char *rel = op[0] == ':' && op[1] ? "" : rel_in_tree(c->a, c->cmd->cwd, c->root, c->rn, op);
		if (i < first_path) {
			treeish = 1;
			continue;
		}
		/* a path that does not exist has nothing to lose */
		if (rel && (after || paths_only || il_streq(sub, "checkout")))
			(*rels)[(*nrels)++] = rel;
		else if (il_streq(sub, "checkout") && !after && !rel && i == 0)
			treeish = 1; /* a commit to take the paths from */
	}
	if (il_streq(sub, "reset") || il_streq(sub, "read-tree") || il_streq(sub, "rm"))
		*staged = 1;
	if (il_streq(sub, "restore") && has_opt(g, staged_opt))
		*staged = 1;
	if (il_streq(sub, "checkout") && *nrels && treeish)
		*staged = 1; /* git checkout HEAD -- f: the index entry too */
	if (*nrels)
		return 1;
	if (il_streq(sub, "reset") || il_streq(sub, "read-tree") ||
	    ((il_streq(sub, "checkout") || il_streq(sub, "switch")) && has_opt(g, force))) {
		*staged = 1;
		return 0; /* the whole tree */
	}
	if (il_streq(sub, "checkout") && g->ddash < 0 && !has_opt(g, from_file))
		return 2; /* names no path: a branch switch keeps local changes */
	return 3;         /* its paths do not exist: nothing of them to lose */
}

static void fact_changes(struct ctx *c)
{
	const char **rels;
	int nrels, staged;
	int r = changed_paths(c, &rels, &nrels, &staged);
	if (r < 0 || (r != 2 && !c->valid)) {
		c->unknown = 1;
		return;
	}
	if (r >= 2)
		return;
	struct il_git_changes ch;
	if (il_git_changed(c->v, c->root, c->rn, rels, nrels, &ch) < 0) {
		c->unknown = 1;
		return;
	}
	const char *names[IL_GIT_CHANGES_NAMED];
	for (int i = 0; i < IL_GIT_CHANGES_NAMED; i++)
		names[i] = ch.names[i];
	if (ch.count)
		counted(&c->t, ch.count, "file with uncommitted changes", "files with uncommitted changes", names,
			ch.count < IL_GIT_CHANGES_NAMED ? ch.count : IL_GIT_CHANGES_NAMED);
	if (!staged)
		return;
	/* staged work: what the index has that HEAD does not */
	/* (a file the index dropped is still in HEAD: --diff-filter=d) */
	const char *args[64] = { "diff-index", "--cached", "--name-only", "-z", "--diff-filter=d", "HEAD", "--" };
	int n = 7;
	for (int i = 0; i < nrels && n < 62; i++) {
		size_t rl = il_strlen(rels[i]);
		char *spec = il_arena_alloc(c->a, rl + 12);
		if (!spec) {
			c->unknown = 1;
			return;
		}
		il_memcpy(spec, ":(literal)", 10);
		il_memcpy(spec + 10, rels[i], rl + 1);
		/* the path is relative to the root; pathspecs are to the cwd */
		args[n++] = rl ? spec : ":/";
	}
	if (nrels >= 62) {
		c->unknown = 1;
		return;
	}
	args[n] = 0;
	/* from the root: :(literal) paths are then root-relative */
	size_t len;
	int st = il_git_run(c->root, args, c->out, OUT_CAP, &len);
	if (st != 0) {
		c->unknown = 1;
		return;
	}
	const char *v[3];
	long count;
	int k = lines(c->out, len, 0, v, 3, &count);
	if (count)
		counted(&c->t, count, "staged change", "staged changes", v, k);
}

/* ------------------------------------------------------------ the session's own */

#define OWN_WALK_MAX 4096  /* names looked at below the directories one clean lists */
#define OWN_WALK_DEPTH 16

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Was path, and everything below it when it is a directory, born after
 * the session began? *budget bounds the walk: a tree too big or too deep
 * to look at counts as the user's. Raw system calls: the engine runs in
 * hooks. */
static int born_tree(struct ctx *c, const char *path, int depth, int *budget)
{
	struct stat st;
	if (--*budget < 0 || !il_born_in_session(c->v, path) || fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return 1;
	/* too deep, or scratch memory running low (running out would fail
	 * the whole verdict closed): the rest counts as the user's */
	if (depth >= OWN_WALK_DEPTH || c->a->size - c->a->used < (64u << 10))
		return 0;
	long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char *buf = fd >= 0 ? il_arena_alloc(c->a, 2048) : 0;
	int own = buf != 0;
	for (long got; own && (got = syscall(SYS_getdents64, fd, buf, 2048)) != 0;) {
		if (got < 0) {
			own = 0;
			break;
		}
		for (long off = 0; own && off < got;) {
			const struct linux_dirent64 *e = (const void *)(buf + off);
			off += e->d_reclen;
			const char *nm = e->d_name;
			if (nm[0] == '.' && (!nm[1] || (nm[1] == '.' && !nm[2])))
				continue;
			const char *sub = il_path_abs(c->a, path, nm);
			own = sub && born_tree(c, sub, depth + 1, budget);
		}
	}
	if (fd >= 0)
		syscall(SYS_close, fd);
	return own;
}

/* A path `git clean` would remove that loses nothing of the user's: made
 * in this session (every name below it too, for a directory), or inside a
 * scratch directory (build/, node_modules/: regenerable output), as the
 * delete hooks judge `rm` of the same path. rel is as git prints it,
 * relative to base (the directory git ran in). */
static int session_own(struct ctx *c, const char *base, const char *rel, int *budget)
{
	if (!c->v)
		return 0;
	const char *abs = il_path_abs(c->a, base, rel);
	if (!abs)
		return 0;
	return il_scratch_path(c->v, abs, c->envp) || born_tree(c, abs, 0, budget);
}

static void fact_untracked(struct ctx *c)
{
	static const char *const drop[] = { "-f", "--force", "-i", "--interactive", "-n", "--dry-run", "-q", "--quiet",
					    0 };
	const struct gitcmd *g = &c->g;
	int max = 8 + 2 * g->nopts + g->nops;
	const char **args = il_arena_alloc(c->a, sizeof(char *) * (size_t)max);
	if (!args) {
		c->unknown = 1;
		return;
	}
	int n = 0;
	args[n++] = "clean";
	args[n++] = "--dry-run";
	for (int i = 0; i < g->nopts; i++) {
		const char *o = g->opts[i];
		int skip = 0;
		for (int k = 0; drop[k]; k++)
			skip |= il_streq(o, drop[k]);
		if (skip)
			continue;
		if (o[0] == '-' && o[1] != '-') { /* -fdx: keep -d -x */
			char *kept = il_arena_alloc(c->a, il_strlen(o) + 1);
			if (!kept) {
				c->unknown = 1;
				return;
			}
			size_t m = 0;
			kept[m++] = '-';
			for (const char *s = o + 1; *s; s++)
				if (*s != 'f' && *s != 'i' && *s != 'n' && *s != 'q')
					kept[m++] = *s;
			kept[m] = 0;
			if (m > 1)
				args[n++] = kept;
		} else {
			args[n++] = o;
		}
		if (g->vals[i])
			args[n++] = g->vals[i];
	}
	args[n++] = "--";
	for (int i = 0; i < g->nops; i++)
		args[n++] = g->ops[i];
	args[n] = 0;
	size_t len;
	if (run(c, args, &len) != 0) {
		c->unknown = 1;
		return;
	}
	/* "Would remove PATH" per line; what the session made is its own */
	const char *all[256], *v[3];
	long listed, count = 0;
	int k = lines(c->out, len, '\n', all, 256, &listed), nv = 0, budget = OWN_WALK_MAX;
	if (listed > k) { /* more than can be weighed: all of it counts */
		c->unknown = 1;
		return;
	}
	for (int i = 0; i < k; i++) {
		const char *p = il_strneq(all[i], "Would remove ", 13) ? all[i] + 13 : all[i];
		if (session_own(c, c->cmd->cwd, p, &budget))
			continue;
		if (nv < 3)
			v[nv++] = p;
		count++;
	}
	if (count)
		counted(&c->t, count, "untracked file or directory", "untracked files or directories", v, nv);
}

static void fact_stash(struct ctx *c)
{
	static const char *const args[] = { "stash", "list", 0 };
	size_t len;
	if (run(c, args, &len) != 0) {
		c->unknown = 1;
		return;
	}
	const char *v[3];
	long count;
	int k = lines(c->out, len, '\n', v, 3, &count);
	if (!count)
		return;
	/* drop: one entry (the one named, else the newest) */
	if (il_streq(c->g.sub, "stash") && c->g.nops > 0 && il_streq(c->g.ops[0], "drop")) {
		const char *which = c->g.nops > 1 ? c->g.ops[1] : "stash@{0}";
		for (int i = 0; i < k; i++)
			if (il_strneq(v[i], which, il_strlen(which)))
				return counted(&c->t, 1, "stash entry", "stash entries", &v[i], 1);
		return counted(&c->t, 1, "stash entry", "stash entries", &which, 1);
	}
	counted(&c->t, count, "stash entry", "stash entries", v, k);
}

/* ------------------------------------------------------------ a worktree */

/* The root of the worktree `git worktree remove` names with op, as git
 * finds it: a listed worktree (not the main one) that is the same
 * directory as op, or whose path ends in op's components. NULL with
 * *unknown clear when none is (git refuses: nothing is removed). */
static const char *removed_worktree(struct ctx *c, const char *op)
{
	static const char *const args[] = { "worktree", "list", "--porcelain", "-z", 0 };
	size_t len;
	if (run(c, args, &len) != 0 || len >= OUT_CAP) {
		c->unknown = 1;
		return 0;
	}
	c->out[len] = 0;
	const char *abs = il_path_abs(c->a, c->cmd->cwd, op);
	struct stat want;
	int have = abs && fstatat(AT_FDCWD, abs, &want, 0) == 0;
	size_t ol = il_strlen(op);
	while (ol > 1 && op[ol - 1] == '/')
		ol--;
	const char *by_suffix = 0;
	int suffixes = 0, first = 1;
	for (const char *s = c->out; s < c->out + len; s += il_strlen(s) + 1) {
		if (!il_strneq(s, "worktree ", 9))
			continue;
		const char *path = s + 9;
		if (first) { /* the main worktree: git never removes it */
			first = 0;
			continue;
		}
		struct stat st;
		if (have && fstatat(AT_FDCWD, path, &st, 0) == 0 && st.st_dev == want.st_dev && st.st_ino == want.st_ino)
			return path;
		size_t pl = il_strlen(path);
		if (ol && pl > ol && path[pl - ol - 1] == '/' && il_strneq(path + pl - ol, op, ol)) {
			by_suffix = path;
			suffixes++;
		}
	}
	return suffixes == 1 ? by_suffix : 0;
}

/* Is the status entry rel (below root) the session's own: a file born in
 * it or one git had unchanged when the session first changed it, an
 * untracked tree the session made, or scratch output? */
static int worktree_own(struct ctx *c, const char *root, char x, char y, const char *rel, int *budget)
{
	if (x == '?')
		return session_own(c, root, rel, budget);
	if (y == 'D' || (x == 'D' && y == ' '))
		return 1; /* deleted: git has the file */
	const char *abs = il_path_abs(c->a, root, rel);
	return abs && il_own_change(c->v, abs);
}

/* git worktree remove --force: everything `git status` lists in the
 * worktree is deleted with it (changed and staged files, untracked ones;
 * an initialized submodule's work shows as its changed directory), less
 * the session's own. A worktree the session added holds only files born
 * in it, so removing it is free unless older files were moved in. */
static void fact_worktree(struct ctx *c)
{
	const struct gitcmd *g = &c->g;
	if (!il_streq(g->sub, "worktree") || g->nops < 2 || !il_streq(g->ops[0], "remove"))
		return;
	const char *root = removed_worktree(c, g->ops[1]);
	if (!root)
		return;
	struct stat st;
	if (fstatat(AT_FDCWD, root, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return; /* gone already: git only forgets it */
	root = il_arena_strndup(c->a, root, il_strlen(root));
	static const char *const args[] = { "status", "--porcelain=v1", "-z", "--untracked-files=normal",
					    "--ignore-submodules=none", 0 };
	size_t len;
	if (!root || il_git_run(root, args, c->out, OUT_CAP, &len) != 0 || len >= OUT_CAP) {
		c->unknown = 1;
		return;
	}
	const char *v[3];
	long count = 0, entries = 0;
	int nv = 0, budget = OWN_WALK_MAX;
	for (char *s = c->out, *e = c->out + len; s < e;) {
		char *end = s;
		while (end < e && *end)
			end++;
		if (end - s < 4 || s[2] != ' ' || ++entries > 256) {
			c->unknown = 1; /* not status as this reads it, or too much to weigh */
			return;
		}
		char x = s[0], y = s[1];
		const char *rel = s + 3;
		s = end + 1;
		if (x == 'R' || x == 'C') /* the source's name follows */
			while (s < e && *s++)
				;
		if (worktree_own(c, root, x, y, rel, &budget))
			continue;
		if (nv < 3)
			v[nv++] = rel;
		count++;
	}
	if (!count)
		return;
	sep(&c->t);
	put_num(&c->t, count);
	il_text_str(&c->t, count == 1 ? " file" : " files");
	il_text_str(&c->t, " with uncommitted work in the worktree ");
	il_text_str(&c->t, root);
	for (int i = 0; i < nv; i++) {
		il_text_str(&c->t, i ? ", " : ": ");
		il_text_str(&c->t, v[i]);
	}
	if (count > nv)
		il_text_str(&c->t, ", ...");
}

static int plain_ref_name(const char *s)
{
	if (!*s || *s == '-' || il_strlen(s) > 200)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '.' ||
		      *s == '_' || *s == '-' || *s == '/'))
			return 0;
	return 1;
}

/* Commits only branch name holds, once it is gone or moved to keep. */
static void branch_loss(struct ctx *c, const char *name, const char *keep)
{
	if (!plain_ref_name(name) || (keep && !plain_ref_name(keep) && !il_streq(keep, "HEAD"))) {
		c->unknown = 1;
		return;
	}
	size_t nl = il_strlen(name);
	char *ref = il_arena_alloc(c->a, nl + 12), *excl = il_arena_alloc(c->a, nl + 12);
	if (!ref || !excl) {
		c->unknown = 1;
		return;
	}
	il_memcpy(ref, "refs/heads/", 11);
	il_memcpy(ref + 11, name, nl + 1);
	il_memcpy(excl, "--exclude=", 10);
	il_memcpy(excl + 10, name, nl + 1);
	size_t len;
	const char *verify[] = { "rev-parse", "-q", "--verify", ref, 0 };
	int st = run(c, verify, &len);
	if (st == 1)
		return; /* no such branch: nothing of it to lose */
	if (st != 0) {
		c->unknown = 1;
		return;
	}
	const char *args[] = { "rev-list", "--count", ref, "--not", excl, "--branches", "--tags", "--remotes",
			       keep, 0 };
	if (run(c, args, &len) != 0) {
		c->unknown = 1;
		return;
	}
	long count = 0;
	for (const char *s = c->out; *s >= '0' && *s <= '9'; s++)
		count = count * 10 + (*s - '0');
	if (!count)
		return;
	sep(&c->t);
	il_text_str(&c->t, "branch ");
	il_text_str(&c->t, name);
	il_text_str(&c->t, " holds ");
	put_num(&c->t, count);
	il_text_str(&c->t, count == 1 ? " commit" : " commits");
	il_text_str(&c->t, " on no other branch, tag or remote");
}

static void fact_branch(struct ctx *c)
{
	static const char *const move[] = { "-M", "-m", "--move", 0 };
	static const char *const force[] = { "-f", "--force", 0 };
	const struct gitcmd *g = &c->g;
	if (il_streq(g->sub, "checkout") || il_streq(g->sub, "switch")) {
		/* checkout -B NAME [START] / switch -C NAME [START] */
		const char *name = opt_value(g, il_streq(g->sub, "checkout") ? "-B" : "-C");
		if (!name)
			name = opt_value(g, "--force-create");
		if (name)
			branch_loss(c, name, g->nops ? g->ops[0] : "HEAD");
		return;
	}
	if (has_opt(g, move)) { /* branch -M [OLD] NEW: NEW is overwritten */
		if (g->nops >= 1)
			branch_loss(c, g->ops[g->nops - 1], g->nops >= 2 ? g->ops[0] : "HEAD");
		return;
	}
	static const char *const del[] = { "-D", "-d", "--delete", 0 };
	if (has_opt(g, del)) {
		for (int i = 0; i < g->nops; i++)
			branch_loss(c, g->ops[i], 0);
		return;
	}
	if (has_opt(g, force) && g->nops >= 1) /* branch -f NAME [START] */
		branch_loss(c, g->ops[0], g->nops >= 2 ? g->ops[1] : "HEAD");
}

/* The number git printed at the start of c->out (rev-list --count). */
static long out_count(const struct ctx *c)
{
	long n = 0;
	for (const char *s = c->out; *s >= '0' && *s <= '9'; s++)
		n = n * 10 + (*s - '0');
	return n;
}

/* The first 40 or 64 hex digits of s, copied into id; 0 when there are none. */
static int object_id(const char *s, char *id, size_t cap)
{
	size_t n = 0;
	while (n + 1 < cap && ((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
		id[n] = s[n], n++;
	id[n] = 0;
	return n == 40 || n == 64;
}

/* One refspec [+]SRC[:DST] pushed to remote: what the remote's DST has
 * that SRC's commit does not. */
static void remote_loss(struct ctx *c, const char *remote, const char *spec)
{
	if (spec[0] == '+')
		spec++;
	const char *colon = spec;
	while (*colon && *colon != ':')
		colon++;
	size_t sl = (size_t)(colon - spec);
	const char *dst = *colon ? colon + 1 : spec;
	if (!sl || !*dst || !plain_ref_name(dst) || !plain_ref_name(remote)) {
		c->unknown = 1; /* a deletion, a pattern, an odd name: other rules, or asked */
		return;
	}
	char *src = il_arena_strndup(c->a, spec, sl), *ref = il_arena_alloc(c->a, il_strlen(dst) + 12);
	char *commit = src ? il_arena_alloc(c->a, sl + 10) : 0;
	if (!src || !ref || !commit || !plain_ref_name(src)) {
		c->unknown = 1;
		return;
	}
	if (il_strneq(dst, "refs/", 5)) {
		il_memcpy(ref, dst, il_strlen(dst) + 1);
	} else {
		il_memcpy(ref, "refs/heads/", 11);
		il_memcpy(ref + 11, dst, il_strlen(dst) + 1);
	}
	il_memcpy(commit, src, sl);
	il_memcpy(commit + sl, "^{commit}", 10);
	char local[72], theirs[72];
	size_t len;
	const char *verify[] = { "rev-parse", "-q", "--verify", commit, 0 };
	if (run(c, verify, &len) != 0 || !object_id(c->out, local, sizeof local)) {
		c->unknown = 1;
		return;
	}
	const char *ls[] = { "ls-remote", "--", remote, ref, 0 };
	if (run(c, ls, &len) != 0) {
		c->unknown = 1; /* offline, no credentials here, too slow */
		return;
	}
	/* "ID\tREF" lines; the exact ref, or none: a new branch loses nothing */
	size_t rl = il_strlen(ref);
	theirs[0] = 0;
	for (const char *l = c->out; *l;) {
		const char *tab = l;
		while (*tab && *tab != '\t' && *tab != '\n')
			tab++;
		if (*tab == '\t' && il_strneq(tab + 1, ref, rl) && (tab[1 + rl] == '\n' || !tab[1 + rl]))
			object_id(l, theirs, sizeof theirs);
		while (*l && *l != '\n')
			l++;
		if (*l)
			l++;
	}
	if (!theirs[0] || il_streq(theirs, local))
		return;
	char range[160];
	size_t tl = il_strlen(theirs), ll = il_strlen(local);
	il_memcpy(range, local, ll);
	il_memcpy(range + ll, "..", 2);
	il_memcpy(range + ll + 2, theirs, tl + 1);
	const char *count[] = { "rev-list", "--count", range, 0 };
	if (run(c, count, &len) != 0) {
		/* the remote's commit is not here: someone pushed since the last fetch */
		sep(&c->t);
		il_text_str(&c->t, remote);
		il_text_str(&c->t, " ");
		il_text_str(&c->t, dst);
		il_text_str(&c->t, " has commits this repository has never fetched (pushed by someone else)");
		return;
	}
	long n = out_count(c);
	if (!n)
		return; /* a fast-forward */
	sep(&c->t);
	put_num(&c->t, n);
	il_text_str(&c->t, n == 1 ? " commit on " : " commits on ");
	il_text_str(&c->t, remote);
	il_text_str(&c->t, " ");
	il_text_str(&c->t, dst);
	il_text_str(&c->t, " that the pushed commit does not contain");
}

/* git push [REMOTE [REFSPEC...]]: each ref it would overwrite. */
static void fact_remote(struct ctx *c)
{
	static const char *const every[] = { "--all", "--mirror", "--tags", "--branches", "--prune", "--repo", 0 };
	const struct gitcmd *g = &c->g;
	if (!il_streq(g->sub, "push"))
		return;
	if (has_opt(g, every)) {
		c->unknown = 1;
		return;
	}
	size_t len;
	const char *remote = g->nops ? g->ops[0] : 0;
	if (g->nops >= 2) {
		for (int i = 1; i < g->nops; i++)
			remote_loss(c, remote, g->ops[i]);
		return;
	}
	/* no refspec: the current branch, to the branch of the same name */
	const char *head[] = { "symbolic-ref", "-q", "--short", "HEAD", 0 };
	if (run(c, head, &len) != 0 || !len) {
		c->unknown = 1;
		return;
	}
	while (len && (c->out[len - 1] == '\n' || c->out[len - 1] == '\r'))
		c->out[--len] = 0;
	const char *branch = il_arena_strndup(c->a, c->out, len);
	if (!branch) {
		c->unknown = 1;
		return;
	}
	if (!remote) {
		char key[256];
		size_t bl = il_strlen(branch);
		if (bl > 200) {
			c->unknown = 1;
			return;
		}
		il_memcpy(key, "branch.", 7);
		il_memcpy(key + 7, branch, bl);
		il_memcpy(key + 7 + bl, ".remote", 8);
		const char *cfg[] = { "config", "--get", key, 0 };
		if (run(c, cfg, &len) == 0 && len) {
			while (len && c->out[len - 1] == '\n')
				c->out[--len] = 0;
			remote = il_arena_strndup(c->a, c->out, len);
		} else {
			remote = "origin";
		}
		if (!remote) {
			c->unknown = 1;
			return;
		}
	}
	remote_loss(c, remote, branch);
}

int il_git_loses(const struct il_snap_view *v, struct il_arena *a, const struct il_cmd *cmd, char *const *envp,
		 unsigned facts, const char **what)
{
	*what = 0;
	struct ctx c = { .v = v, .envp = envp, .a = a, .cmd = cmd };
	char *text = il_arena_alloc(a, 1024);
	c.out = il_arena_alloc(a, OUT_CAP);
	if (!text || !c.out || !cmd->cwd || parse_git(a, cmd, envp, &c.g) < 0 || c.g.elsewhere) {
		*what = "interlock could not tell what it would lose";
		return 1;
	}
	il_text_init(&c.t, text, 1024);
	c.rn = worktree_of(cmd->cwd, c.root, sizeof c.root);
	c.valid = c.rn && has_head(c.root, c.rn);
	if (facts & IL_LOSS_CHANGES)
		fact_changes(&c); /* tells a branch switch without the repository */
	if (facts & ~(unsigned)IL_LOSS_CHANGES && !c.valid) {
		c.unknown = 1;
	} else {
		if (facts & IL_LOSS_UNTRACKED)
			fact_untracked(&c);
		if (facts & IL_LOSS_STASH)
			fact_stash(&c);
		if (facts & IL_LOSS_BRANCH)
			fact_branch(&c);
		if (facts & IL_LOSS_REMOTE)
			fact_remote(&c);
		if (facts & IL_LOSS_WORKTREE)
			fact_worktree(&c);
	}
	if (c.unknown) /* after what it did find, or alone (then it reads as a sentence) */
		il_text_str(&c.t, c.t.n ? "; and interlock could not tell all of what it would lose" :
					  "interlock could not tell what");
	if (!c.t.n)
		return 0;
	*what = c.t.p;
	return 1;
}
