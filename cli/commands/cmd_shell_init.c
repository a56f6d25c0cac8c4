/* interlock shell-init bash|zsh|fish: guard an interactive shell without
 * a wrapper (eval "$(interlock shell-init bash)").
 *
 * The rules are compiled once into a snapshot in a private directory; the
 * output exports LD_PRELOAD and the session and re-executes the shell so
 * that the shell itself is preloaded (otherwise the commands it runs
 * directly would not be seen). Prompts then appear on the shell's terminal,
 * which anything in the session can also write to: this mode is weaker than
 * `interlock run` (see README). `interlock_deactivate` ends the session. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* Single-quoted for sh-like shells and fish alike (no ' in our paths). */
static int quotable(const char *s)
{
	return s && !strchr(s, '\'') && !strchr(s, '\n');
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
	       "  rm -f -- \"$INTERLOCK_SNAPSHOT\" && rmdir -- \"${INTERLOCK_SNAPSHOT%%/*}\" 2>/dev/null\n"
	       "  unset INTERLOCK_SESSION INTERLOCK_SNAPSHOT INTERLOCK_ACTIVE LD_PRELOAD\n"
	       "  unset -f interlock_deactivate\n"
	       "}\n");
	if (reexec)
		printf("case $- in *i*) grep -q libinterlock /proc/$$/maps 2>/dev/null || exec %s ;; esac\n",
		       !strcmp(shell, "bash") ? "\"${BASH:-bash}\"" : "zsh");
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
	       "  rm -f -- $INTERLOCK_SNAPSHOT; and rmdir -- (dirname $INTERLOCK_SNAPSHOT) 2>/dev/null\n"
	       "  set -e INTERLOCK_SESSION INTERLOCK_SNAPSHOT INTERLOCK_ACTIVE LD_PRELOAD\n"
	       "  functions -e interlock_deactivate\n"
	       "end\n");
	if (reexec)
		printf("if status is-interactive; and not grep -q libinterlock /proc/$fish_pid/maps 2>/dev/null\n"
		       "  exec fish\n"
		       "end\n");
}

int il_cmd_shell_init(int argc, char **argv)
{
	struct il_opts o = { .prompt_timeout = 60 };
	const char *shell = 0;
	static const struct option longs[] = { IL_COMMON_OPTIONS, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", longs, 0)) != -1) {
		int r = il_common_optarg(&o, ch, optarg, "shell-init");
		if (r < 0)
			return EXIT_INTERLOCK;
		if (r)
			continue;
		if (ch == 'h') {
			puts("usage: eval \"$(interlock shell-init bash|zsh|fish [--rules DIR]... [--prompt-timeout S])\"\n"
			     "Guards the current interactive shell; interlock_deactivate ends the session.");
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
	char *dir = il_session_dir(id);
	if (!dir)
		return EXIT_INTERLOCK;
	char *audit = il_audit_path();
	struct il_compiled c;
	/* No broker: the preload asks on the terminal itself. */
	struct il_session_meta meta = { id, getenv("HOME"), audit, 0, 0, o.prompt_timeout, 0, 0, 0, 0, 0 };
	int rc = il_compile(&c, &o, &meta);
	if (!rc) {
		size_t n = strlen(dir) + 16;
		char *snap = malloc(n);
		snprintf(snap, n, "%s/rules.snap", dir);
		if (il_write_file(snap, c.blob, c.len) < 0 || !quotable(snap)) {
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
		rmdir(dir);
	free(dir);
	free(audit);
	free(lib);
	return rc;
}
