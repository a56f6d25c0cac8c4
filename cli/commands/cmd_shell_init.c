/* interlock shell-init bash|zsh|fish: guard an interactive shell without
 * a wrapper (eval "$(interlock shell-init bash)").
 *
 * The rules are compiled once into a snapshot in a private directory; the
 * output exports LD_PRELOAD and the session, defines interlock_deactivate,
 * and re-executes an interactive shell so that the shell itself is
 * preloaded (otherwise the commands it runs directly would not be seen),
 * carrying over what was typed so far: variables, aliases, functions,
 * options, the directory, the history. Prompts then appear on the shell's terminal,
 * which anything in the session can also write to: this mode is weaker than
 * `interlock run` (see README). `interlock_deactivate` ends the session. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli.h"

/* Single-quoted for sh-like shells and fish alike (no ' in our paths). */
static int quotable(const char *s)
{
	return s && !strchr(s, '\'') && !strchr(s, '\n');
}

/* An interactive shell must be preloaded itself, or the commands it execs
 * are not seen: it is re-executed, with everything typed so far carried
 * over (variables, exported or not, aliases, functions, options, the
 * directory, the history), after the user's own rc file. */
static const char bash_reexec[] =
	"case $- in *i*)\n"
	"  if ! grep -q libinterlock /proc/$$/maps 2>/dev/null; then\n"
	"    [ -n \"$(jobs -p)\" ] && echo 'interlock: this shell has jobs running; they go on unguarded' >&2\n"
	"    history -a 2>/dev/null\n"
	"    __il_rc=$(mktemp -t interlock-shell.XXXXXX) && {\n"
	"      echo '[ -f ~/.bashrc ] && . ~/.bashrc'\n"
	"      declare -p 2>/dev/null | grep -Ev '^declare -[a-zA-Z]*r|^declare -[-a-zA-Z]* "
	"(BASH[A-Z0-9_]*|COMP_[A-Z]*|DIRSTACK|EPOCH[A-Z]*|EUID|FUNCNAME|GROUPS|HISTCMD|LINENO|PIPESTATUS|PPID|RANDOM|"
	"SECONDS|SHELLOPTS|SHLVL|SRANDOM|UID|_)(=|$)'\n"
	"      alias -p; declare -f; shopt -p; set +o | grep -v 'history$'\n"
	"      printf 'cd -- %q 2>/dev/null\\nrm -f -- %q\\n' \"$PWD\" \"$__il_rc\"\n"
	"    } >\"$__il_rc\" && exec \"${BASH:-bash}\" --rcfile \"$__il_rc\" -i\n"
	"  fi ;;\n"
	"esac\n";

/* zsh: the same through a ZDOTDIR of our own whose .zshrc reads the user's. */
static const char zsh_reexec[] =
	"if [[ -o interactive ]] && ! grep -q libinterlock /proc/$$/maps 2>/dev/null; then\n"
	"  [[ -n \"$(jobs -p)\" ]] && print -u2 'interlock: this shell has jobs running; they go on unguarded'\n"
	"  fc -AI 2>/dev/null\n"
	"  __il_dir=$(mktemp -d -t interlock-shell.XXXXXX) && {\n"
	"    print -r -- \"ZDOTDIR=${(q)${ZDOTDIR:-$HOME}}\"\n"
	"    print -r -- '[[ -f $ZDOTDIR/.zshrc ]] && . $ZDOTDIR/.zshrc'\n"
	"    for __il_n in ${(k)parameters}; do\n"
	"      case ${parameters[$__il_n]} in *special*|*readonly*|*local*) ;; *) typeset -p -- $__il_n 2>/dev/null ;; esac\n"
	"    done\n"
	"    alias -L; functions; setopt | while read -r __il_o; do print -r -- \"setopt $__il_o 2>/dev/null\"; done\n"
	"    print -r -- \"cd -- ${(q)PWD} 2>/dev/null; rm -f -- ${(q)__il_dir}/.zshrc; rmdir -- ${(q)__il_dir}; unset __il_dir __il_n __il_o\"\n"
	"  } >\"$__il_dir/.zshrc\" && ZDOTDIR=$__il_dir exec zsh -i\n"
	"fi\n";

/* This program, for the functions it prints (PATH may change later). */
static const char *self_exe(void)
{
	static char exe[4096];
	ssize_t n = exe[0] ? 0 : readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0)
		exe[n] = 0;
	return exe[0] && quotable(exe) ? exe : "interlock";
}

/* Who may end a dev-shell session: the shell that started it (its pid,
 * kept in the session's directory). The guarded tree cannot: its
 * processes are the shell's children's children, and the snapshot is one
 * of interlock's own files, which no hooked call may delete. */
static int end_session(void)
{
	const char *snap = getenv("INTERLOCK_SNAPSHOT");
	if (!snap || strncmp(getenv("INTERLOCK_SESSION") ? getenv("INTERLOCK_SESSION") : "", "shell-", 6)) {
		fprintf(stderr, "interlock shell-init --end: this shell is not in a dev-shell session\n");
		return EXIT_INTERLOCK;
	}
	char dir[4096], file[4200], buf[32] = "";
	snprintf(dir, sizeof dir, "%s", snap);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return EXIT_INTERLOCK;
	*slash = 0;
	snprintf(file, sizeof file, "%s/shell.pid", dir);
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0 || atol(buf) != (long)getppid()) {
		fprintf(stderr, "interlock: only the shell that started this session ends it (interlock_deactivate at its "
				"own prompt)\n");
		return EXIT_INTERLOCK;
	}
	/* raw system calls: this process is guarded too, and its own hooks
	 * would refuse to delete interlock's files */
	static const char *const files[] = { "rules.snap", "approvals", "shell.pid", "owner", IL_ADOPTED_FILE,
					     IL_OWN_EDITS_FILE };
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(file, sizeof file, "%s/%s", dir, files[i]);
		syscall(SYS_unlinkat, AT_FDCWD, file, 0);
	}
	syscall(SYS_unlinkat, AT_FDCWD, dir, AT_REMOVEDIR);
	return 0;
}

static void emit_posix(const char *shell, const char *id, const char *snap, const char *lib, int reexec)
{
	printf("# interlock: guard this shell; `interlock_deactivate` ends it\n");
	printf("export INTERLOCK_SESSION='%s'\n", id);
	printf("export INTERLOCK_SNAPSHOT='%s'\n", snap);
	printf("export INTERLOCK_ACTIVE=1\n");
	printf("case \":${LD_PRELOAD:-}:\" in *':%s:'*) ;; *) export LD_PRELOAD='%s'\"${LD_PRELOAD:+:$LD_PRELOAD}\" ;; esac\n",
	       lib, lib);
	printf("interlock_deactivate() {\n"
	       "  '%s' shell-init --end || return\n"
	       "  unset INTERLOCK_SESSION INTERLOCK_SNAPSHOT INTERLOCK_ACTIVE LD_PRELOAD\n"
	       "  unset -f interlock_deactivate\n"
	       "}\n",
	       self_exe());
	if (reexec)
		fputs(!strcmp(shell, "bash") ? bash_reexec : zsh_reexec, stdout);
}

static void emit_fish(const char *id, const char *snap, const char *lib, int reexec)
{
	printf("# interlock: guard this shell; `interlock_deactivate` ends it\n");
	printf("set -gx INTERLOCK_SESSION '%s'\n", id);
	printf("set -gx INTERLOCK_SNAPSHOT '%s'\n", snap);
	printf("set -gx INTERLOCK_ACTIVE 1\n");
	printf("if not string match -q '*%s*' -- \"$LD_PRELOAD\"\n"
	       "  if test -n \"$LD_PRELOAD\"; set -gx LD_PRELOAD '%s':\"$LD_PRELOAD\"; else; set -gx LD_PRELOAD '%s'; end\n"
	       "end\n",
	       lib, lib, lib);
	printf("function interlock_deactivate\n"
	       "  '%s' shell-init --end; or return\n"
	       "  set -e INTERLOCK_SESSION INTERLOCK_SNAPSHOT INTERLOCK_ACTIVE LD_PRELOAD\n"
	       "  functions -e interlock_deactivate\n"
	       "end\n",
	       self_exe());
	/* Variables and functions carried over, as for bash. Not from inside
	 * `... | source` itself: that runs in a pipeline, whose job owns the
	 * terminal, so the shell re-executes just before its next prompt. */
	if (reexec)
		printf("if status is-interactive; and not grep -q libinterlock /proc/$fish_pid/maps 2>/dev/null\n"
		       "  function __il_reexec --on-event fish_prompt\n"
		       "    functions -e __il_reexec\n"
		       "    history save 2>/dev/null\n"
		       "    set -l __il_f (mktemp -t interlock-shell.XXXXXX)\n"
		       "    begin\n"
		       "      for n in (set -gn)\n"
		       "        contains -- $n PWD SHLVL _ history status pipestatus fish_pid hostname version umask; or "
		       "echo set -g $n (string escape -- $$n) 2\\>/dev/null\n"
		       "      end\n"
		       "      for f in (functions -n); functions $f; end\n"
		       "      echo cd (string escape -- $PWD) \\; rm -f (string escape -- $__il_f)\n"
		       "    end >$__il_f; and exec fish -C \"source $__il_f\"\n"
		       "  end\n"
		       "end\n");
}

int il_cmd_shell_init(int argc, char **argv)
{
	struct il_opts o = { .prompt_timeout = 60 };
	const char *shell = 0;
	static const struct option longs[] = { IL_COMMON_OPTIONS,
					       { "end", no_argument, 0, 'e' },
					       { "help", no_argument, 0, 'h' },
					       { 0, 0, 0, 0 } };
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", longs, 0)) != -1) {
		if (ch == IL_OPT_PROFILE) {
			/* The dev shell has no profile of its own: taken
			 * silently, it would look like one. */
			fprintf(stderr, "interlock shell-init: --profile is for `interlock run`; a dev shell has no profile\n");
			return EXIT_INTERLOCK;
		}
		int r = il_common_optarg(&o, ch, optarg, "shell-init");
		if (r < 0)
			return EXIT_INTERLOCK;
		if (r)
			continue;
		if (ch == 'e')
			return end_session();
		if (ch == 'h') {
			puts("usage: eval \"$(interlock shell-init bash|zsh|fish [--rules DIR]... [--prompt-timeout S])\"\n"
			     "       interlock shell-init fish [--rules DIR]... | source\n"
			     "       interlock shell-init --end   (what interlock_deactivate runs)\n"
			     "Guards the current interactive shell, keeping what was typed so far;\n"
			     "interlock_deactivate, at that shell's own prompt, ends the session.\n"
			     "--rules DIR must exist. Profiles are for `interlock run --profile`.\n"
			     "Each shell-init makes a session directory; a session whose shell is gone\n"
			     "is removed when the next session starts.");
			return 0;
		}
		return il_bad_option("shell-init", ch, argv);
	}
	if (optind + 1 == argc)
		shell = argv[optind];
	else if (optind + 1 < argc) {
		fprintf(stderr, "interlock shell-init: unexpected argument '%s'\n", argv[optind + 1]);
		return EXIT_INTERLOCK;
	}
	if (!shell || (strcmp(shell, "bash") && strcmp(shell, "zsh") && strcmp(shell, "fish"))) {
		fprintf(stderr, "usage: interlock shell-init bash|zsh|fish\n");
		return EXIT_INTERLOCK;
	}
	/* Already guarded (the re-executed shell reads its rc file again):
	 * keep the session, define the functions only. */
	const char *cur = getenv("INTERLOCK_SESSION"), *cursnap = getenv("INTERLOCK_SNAPSHOT");
	char *lib = il_library_path();
	if (!lib || !quotable(lib)) {
		fprintf(stderr, "interlock: cannot find libinterlock.so (set INTERLOCK_LIBRARY)\n");
		return EXIT_INTERLOCK;
	}
	if (cur && cursnap && !strncmp(cur, "shell-", 6) && access(cursnap, R_OK) == 0 && quotable(cursnap) &&
	    quotable(cur)) {
		if (!strcmp(shell, "fish"))
			emit_fish(cur, cursnap, lib, 1);
		else
			emit_posix(shell, cur, cursnap, lib, 1);
		free(lib);
		return 0;
	}
	char id[40] = "shell-";
	il_new_session_id(id + 6, sizeof id - 6);
	/* The session is the shell's: it is over when that shell is gone
	 * (sessions.c sweeps it then). */
	char *dir = il_session_new(id, (long)getppid());
	if (!dir)
		return EXIT_INTERLOCK;
	char *audit = il_audit_path();
	struct il_compiled c;
	/* No broker: the preload asks on the terminal itself. interlock's own
	 * files (the rules, the log, this session's directory, the library)
	 * are protected as under `run`. */
	char *protect = il_protected_paths(&o, audit, dir, lib);
	char adopted[4200];
	snprintf(adopted, sizeof adopted, "%s/" IL_ADOPTED_FILE, dir);
	struct il_session_meta meta = { id, getenv("HOME"), audit, 0, 0, o.prompt_timeout, protect, 0, 0, 0, 0, 0,
					adopted, { 0, 0 } };
	il_session_clock(dir, &meta.start);
	int rc = il_compile_cached(&c, &o, &meta);
	if (!rc) {
		size_t n = strlen(dir) + 16;
		char *snap = malloc(n);
		snprintf(snap, n, "%s/rules.snap", dir);
		char pid[32], pidfile[4200];
		snprintf(pid, sizeof pid, "%ld\n", (long)getppid());
		snprintf(pidfile, sizeof pidfile, "%s/shell.pid", dir);
		if (il_write_file(snap, c.blob, c.len) < 0 || !quotable(snap) ||
		    il_write_file(pidfile, pid, strlen(pid)) < 0) {
			fprintf(stderr, "interlock: cannot write %s: %s\n", snap, strerror(errno));
			rc = EXIT_INTERLOCK;
		} else if (!strcmp(shell, "fish")) {
			emit_fish(id, snap, lib, 1);
		} else {
			emit_posix(shell, id, snap, lib, 1);
		}
		free(snap);
		il_compiled_free(&c);
	}
	if (rc)
		il_session_remove(dir);
	free(protect);
	free(dir);
	free(audit);
	free(lib);
	return rc;
}
