/* git aliases: `git config alias.undo "reset --hard"; git undo` runs a reset
 * --hard that no command line shows, and git runs it in-process (no exec
 * for the hooks to see). Before the git rules match, the peeler asks here:
 * is the subcommand an alias? Then its expansion is peeled as one more
 * layer: `git [global options] EXPANSION ARGS...`, or for a `!shell` alias
 * the shell string with the arguments appended, as git runs it.
 *
 * Where aliases come from, highest precedence first (as git reads them):
 * `-c alias.X=...` on the command line, the repository's config (found from
 * the command's directory walking up, or --git-dir / $GIT_DIR), the global
 * config ($GIT_CONFIG_GLOBAL, else ~/.gitconfig, then
 * $XDG_CONFIG_HOME/git/config or ~/.config/git/config), /etc/gitconfig.
 * Not followed: include/includeIf files, GIT_CONFIG_PARAMETERS and
 * GIT_CONFIG_COUNT (README: what remains out of reach).
 *
 * Runtime side: heap-free (files are read into the arena with raw
 * syscalls, so the open hooks do not see them), no stdio. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine_int.h"

#define MAX_CONFIG (256u << 10)

static char lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
}

static int ieq(const char *a, size_t n, const char *b)
{
	for (size_t i = 0; i < n; i++)
		if (!b[i] || lower(a[i]) != lower(b[i]))
			return 0;
	return b[n] == 0;
}

/* Reads a whole (small) file into the arena; NULL if absent or too big. */
static char *slurp(struct il_arena *a, const char *path)
{
	long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return 0;
	struct stat st;
	char *buf = 0;
	if (fstat((int)fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 && (size_t)st.st_size < MAX_CONFIG) {
		size_t cap = (size_t)st.st_size + 1, n = 0;
		buf = il_arena_alloc(a, cap);
		while (buf && n + 1 < cap) {
			long k = syscall(SYS_read, (int)fd, buf + n, cap - 1 - n);
			if (k <= 0)
				break;
			n += (size_t)k;
		}
		if (buf)
			buf[n] = 0;
	}
	syscall(SYS_close, (int)fd);
	return buf;
}

/* A value of git's config syntax from s (after '='): quotes grouped,
 * escapes undone, comments and trailing blanks dropped. *end is where the
 * logical line ends. */
static char *parse_value(struct il_arena *a, const char *s, const char **end)
{
	/* continuation lines make values longer: bound by the rest */
	size_t cap = il_strlen(s) + 1;
	char *out = il_arena_alloc(a, cap);
	if (!out)
		return 0;
	size_t o = 0, keep = 0;
	int q = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	for (; *s; s++) {
		if (*s == '\n')
			break;
		if (*s == '\\') {
			char n = s[1];
			if (n == '\n') {
				s++;
				continue;
			}
			if (n == '\r' && s[2] == '\n') {
				s += 2;
				continue;
			}
			out[o++] = n == 'n' ? '\n' : n == 't' ? '\t' : n == 'b' ? '\b' : n;
			keep = o;
			if (n)
				s++;
			continue;
		}
		if (*s == '"') {
			q = !q;
			keep = o;
			continue;
		}
		if (!q && (*s == '#' || *s == ';')) {
			while (*s && *s != '\n')
				s++;
			break;
		}
		if (*s == '\r' && s[1] == '\n')
			continue;
		out[o++] = *s;
		if (q || (*s != ' ' && *s != '\t'))
			keep = o;
	}
	*end = s;
	out[keep] = 0;
	return out;
}

/* The last value of alias.NAME in a config text, or NULL. */
static const char *find_alias(struct il_arena *a, const char *text, const char *name, size_t nl)
{
	const char *found = 0;
	int in_alias = 0;
	const char *s = text;
	while (s && *s) {
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if (!*s)
			break;
		if (*s == '#' || *s == ';') {
			while (*s && *s != '\n')
				s++;
			continue;
		}
		if (*s == '[') {
			const char *e = ++s;
			while (*e && *e != ']' && *e != '\n' && *e != ' ' && *e != '\t' && *e != '"' && *e != '.')
				e++;
			in_alias = ieq(s, (size_t)(e - s), "alias");
			while (*e && *e != ']' && *e != '\n') {
				in_alias = 0; /* a subsection: [alias "x"] is not an alias */
				e++;
			}
			s = *e == ']' ? e + 1 : e;
			continue; /* a key may follow on the same line */
		}
		const char *k = s;
		while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
		       *s == '_' || *s == '.')
			s++;
		size_t kl = (size_t)(s - k);
		while (*s == ' ' || *s == '\t')
			s++;
		int hit = in_alias && kl && kl == nl && ieq(k, kl, name);
		if (*s == '=') {
			const char *end = 0;
			char *v = parse_value(a, s + 1, &end);
			if (hit && v)
				found = v;
			s = end;
		} else {
			if (hit)
				found = "true"; /* a bare key is boolean true */
			if (!kl)
				s++; /* junk: skip a character and go on */
			while (*s && *s != '\n')
				s++;
		}
	}
	return found;
}

static char *join3(struct il_arena *a, const char *x, const char *y, const char *z)
{
	size_t lx = il_strlen(x), ly = il_strlen(y), lz = il_strlen(z);
	char *s = il_arena_alloc(a, lx + ly + lz + 1);
	if (!s)
		return 0;
	il_memcpy(s, x, lx);
	il_memcpy(s + lx, y, ly);
	il_memcpy(s + lx + ly, z, lz + 1);
	return s;
}

/* The git directory of the repository around dir: DIR/.git, or where a
 * .git file points. NULL if none. */
static const char *find_gitdir(struct il_arena *a, const char *dir)
{
	const char *d = il_path_abs(a, "/", dir);
	while (d) {
		const char *g = join3(a, d, d[1] ? "/" : "", ".git");
		struct stat st;
		if (g && stat(g, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				return g;
			char *txt = slurp(a, g);
			if (txt && il_strneq(txt, "gitdir:", 7)) {
				char *s = txt + 7;
				while (*s == ' ' || *s == '\t')
					s++;
				char *e = s;
				while (*e && *e != '\n' && *e != '\r')
					e++;
				*e = 0;
				return il_path_abs(a, d, s);
			}
			return 0;
		}
		if (!d[1])
			return 0;
		size_t n = il_strlen(d);
		while (n > 1 && d[n - 1] != '/')
			n--;
		d = il_arena_strndup(a, d, n > 1 ? n - 1 : 1);
	}
	return 0;
}

/* The repository's config: GITDIR/config, or the common dir's for a linked
 * worktree (GITDIR/commondir). */
static const char *repo_config(struct il_arena *a, const char *gitdir)
{
	const char *cd = slurp(a, join3(a, gitdir, "/", "commondir"));
	if (cd) {
		size_t n = 0;
		while (cd[n] && cd[n] != '\n' && cd[n] != '\r')
			n++;
		const char *common = il_arena_strndup(a, cd, n);
		if (common && *common)
			return slurp(a, join3(a, il_path_abs(a, gitdir, common), "/", "config"));
	}
	return slurp(a, join3(a, gitdir, "/", "config"));
}

static const char *lookup(struct il_peel_ctx *c, const char **argv, int sub, const char *name, size_t nl,
			  const char *cwd, const char *gitdir)
{
	struct il_arena *a = c->a;
	const char *val = 0;
	/* -c alias.NAME=VALUE (-cNAME=... too); the last one wins */
	for (int i = 1; i < sub; i++) {
		const char *s = 0;
		if (il_streq(argv[i], "-c") && i + 1 < sub)
			s = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1] == 'c' && argv[i][2])
			s = argv[i] + 2;
		if (!s || !(lower(s[0]) == 'a' && lower(s[1]) == 'l' && lower(s[2]) == 'i' && lower(s[3]) == 'a' &&
			    lower(s[4]) == 's' && s[5] == '.'))
			continue;
		const char *k = s + 6, *e = k;
		while (*e && *e != '=')
			e++;
		if ((size_t)(e - k) == nl && ieq(k, nl, name))
			val = *e ? e + 1 : "true";
	}
	if (val)
		return val;
	char *const *envp = c->envp;
	if (!gitdir)
		gitdir = il_env_get(envp, "GIT_DIR");
	const char *gd = gitdir && *gitdir ? il_path_abs(a, cwd, gitdir) : find_gitdir(a, cwd);
	const char *txt = gd ? repo_config(a, gd) : 0;
	if (txt && (val = find_alias(a, txt, name, nl)))
		return val;
	const char *home = il_env_get(envp, "HOME");
	const char *glob = il_env_get(envp, "GIT_CONFIG_GLOBAL");
	if (glob && *glob) {
		txt = slurp(a, glob);
		if (txt && (val = find_alias(a, txt, name, nl)))
			return val;
	} else {
		if (home && *home && (txt = slurp(a, join3(a, home, "/", ".gitconfig"))) &&
		    (val = find_alias(a, txt, name, nl)))
			return val;
		const char *xdg = il_env_get(envp, "XDG_CONFIG_HOME");
		const char *xf = xdg && *xdg ? join3(a, xdg, "/", "git/config")
			       : home && *home ? join3(a, home, "/", ".config/git/config") : 0;
		if (xf && (txt = slurp(a, xf)) && (val = find_alias(a, txt, name, nl)))
			return val;
	}
	const char *nosys = il_env_get(envp, "GIT_CONFIG_NOSYSTEM");
	if (!(nosys && *nosys && !il_streq(nosys, "0") && !il_streq(nosys, "false"))) {
		const char *sys = il_env_get(envp, "GIT_CONFIG_SYSTEM");
		if ((txt = slurp(a, sys && *sys ? sys : "/etc/gitconfig")) && (val = find_alias(a, txt, name, nl)))
			return val;
	}
	return 0;
}

/* Splits an alias value into words as git does (quotes, backslashes; no
 * expansion). Returns the number of words stored in out. */
static int split_words(struct il_arena *a, const char *s, const char **out, int max)
{
	int n = 0;
	char *buf = il_arena_alloc(a, il_strlen(s) + 1);
	if (!buf)
		return 0;
	size_t o = 0;
	while (*s && n < max) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			break;
		char *w = buf + o;
		char q = 0;
		for (; *s; s++) {
			if (!q && (*s == ' ' || *s == '\t' || *s == '\n'))
				break;
			if (*s == '\\' && q != '\'' && s[1]) {
				buf[o++] = *++s;
			} else if ((*s == '"' || *s == '\'') && (!q || q == *s)) {
				q = q ? 0 : *s;
			} else {
				buf[o++] = *s;
			}
		}
		buf[o++] = 0;
		out[n++] = w;
	}
	return n;
}

void il_git_alias_peel(struct il_peel_ctx *c, const char **argv, int argc, const char *cwd, const char *ccwd,
		       int layer)
{
	if (layer > 12 || c->budget <= 0 || c->a->failed)
		return;
	const struct il_snap_prog *p = il_snap_prog_for(c->snap, "git");
	const char *valopts = p ? il_snap_str(c->snap, p->value_options) : 0;
	if (!valopts)
		valopts = "-C -c --git-dir --work-tree --namespace --config-env";
	const char *gitdir = 0;
	int i = 1;
	while (i < argc && argv[i][0] == '-') {
		const char *s = argv[i];
		size_t n = 0;
		while (s[n] && s[n] != '=')
			n++;
		if (il_strneq(s, "--git-dir=", 10))
			gitdir = s + 10;
		if (!s[n] && il_list_has(valopts, s, n)) {
			if (il_streq(s, "--git-dir") && i + 1 < argc)
				gitdir = argv[i + 1];
			i += 2;
		} else {
			i++;
		}
	}
	if (i >= argc)
		return;
	const char *name = argv[i];
	size_t nl = il_strlen(name);
	if (!nl || nl > 128)
		return;
	for (size_t k = 0; k < nl; k++)
		if (!((name[k] >= 'a' && name[k] <= 'z') || (name[k] >= 'A' && name[k] <= 'Z') ||
		      (name[k] >= '0' && name[k] <= '9') || name[k] == '-' || name[k] == '_'))
			return; /* not an alias name */
	const char *val = lookup(c, argv, i, name, nl, ccwd ? ccwd : cwd, gitdir);
	if (!val || !*val || c->budget-- <= 0)
		return;
	if (val[0] == '!') {
		/* git runs `sh -c 'VALUE "$@"' VALUE ARGS...`: judge VALUE with
		 * the arguments appended, in the command's directory */
		char args[4096];
		il_format_argv(args, sizeof args, argv + i + 1, argc - i - 1);
		const char *s = join3(c->a, val + 1, " ", args);
		if (s)
			il_shell_parse(c, s, ccwd ? ccwd : cwd, layer + 1);
		return;
	}
	const char *words[64];
	int nw = split_words(c->a, val, words, 64);
	if (!nw)
		return;
	int nn = i + nw + (argc - i - 1);
	const char **av = il_arena_alloc(c->a, sizeof(char *) * (size_t)(nn + 1));
	if (!av)
		return;
	int o = 0;
	for (int k = 0; k < i; k++)
		av[o++] = argv[k];
	for (int k = 0; k < nw; k++)
		av[o++] = words[k];
	for (int k = i + 1; k < argc; k++)
		av[o++] = argv[k];
	av[o] = 0;
	/* the global options (-C) are in av again: peel from the original cwd */
	il_peel(c, av, o, cwd, layer + 1);
}
