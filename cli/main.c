/* interlock: the command. Dispatches to one file per subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
	fputs("usage: interlock run [--rules DIR]... [--profile NAME] [--prompt-timeout S] [--no-seccomp]\n"
	      "                     -- COMMAND [ARG]...\n"
	      "       interlock check [--rules DIR]... [--profile NAME] [--json] -- ARGV...\n"
	      "       interlock rules lint|list|test [--rules DIR]...\n"
	      "       interlock rules compile [--rules DIR]... [--output PATH]\n"
	      "       interlock log [-n N] [--since WHEN] [--rule ID] [--decision D] [--json] [--follow]\n"
	      "       interlock doctor\n"
	      "       eval \"$(interlock shell-init bash|zsh|fish)\"\n"
	      "       interlock --version | --help\n"
	      "\n"
	      "Runs COMMAND with every exec of its process tree checked against the rules\n"
	      "(rules.d, /etc/interlock/rules.d, ~/.config/interlock/rules.d, --rules DIR).\n"
	      "Exit status: COMMAND's; 125 when interlock itself fails.\n"
	      "`interlock COMMAND --help` describes each command; see also interlock(1), interlock.rules(5).\n",
	      f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_INTERLOCK;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V") || !strcmp(cmd, "version")) {
		printf("interlock %s\n", IL_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return il_cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "check"))
		return il_cmd_check(argc - 1, argv + 1);
	if (!strcmp(cmd, "shell-init"))
		return il_cmd_shell_init(argc - 1, argv + 1);
	if (!strcmp(cmd, "rules"))
		return il_cmd_rules(argc - 1, argv + 1);
	if (!strcmp(cmd, "doctor"))
		return il_cmd_doctor(argc - 1, argv + 1);
	if (!strcmp(cmd, "log"))
		return il_cmd_log(argc - 1, argv + 1);
	fprintf(stderr, "interlock: unknown command '%s'\n", cmd);
	usage(stderr);
	return EXIT_INTERLOCK;
}
