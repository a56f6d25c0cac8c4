/* interlock: the command. Dispatches to one file per subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
	fputs("interlock: a human checkpoint between AI coding agents and the irreversible.\n"
	      "\n"
	      "usage: interlock run [--rules DIR]... [--profile NAME] [--prompt-timeout S]\n"
	      "                     [--pass-env NAME]... [--notify CMD]\n"
	      "                     [--seccomp | --no-seccomp] [--no-strict]\n"
	      "                     -- COMMAND [ARG]...\n"
	      "       interlock check [--rules DIR]... [--profile NAME] [--json] [--argv | --shell]\n"
	      "                       -- ARGV...\n"
	      "       interlock check [...] -c 'COMMAND LINE'\n"
	      "       interlock check [...] --open MODE|--delete|--rmdir|--rename|--connect -- ...\n"
	      "       interlock rules lint|list|test|predicates [--rules DIR]...\n"
	      "       interlock rules compile [--rules DIR]... [--output PATH]\n"
	      "       interlock log [-n N] [--since WHEN] [--rule ID] [--decision allowed|denied]\n"
	      "                     [--json] [--follow] [--file PATH]\n"
	      "       interlock doctor [--rules DIR]...\n"
	      "       interlock pending [--json]\n"
	      "       interlock approve ID [--word WORD] | interlock deny ID\n"
	      "       interlock hook claude-code [--rules DIR]... [--profile NAME]\n"
	      "       eval \"$(interlock shell-init bash|zsh|fish [--rules DIR]...)\"\n"
	      "       interlock --version | --help\n"
	      "\n"
	      "run: runs COMMAND with every exec, open, delete and connect of its process tree\n"
	      "checked against the rules (the shipped rules.d, /etc/interlock/rules.d,\n"
	      "~/.config/interlock/rules.d, each --rules DIR). --pass-env NAME keeps one of the\n"
	      "cloud and forge tokens run removes from COMMAND's environment; the seccomp\n"
	      "supervisor judges what the preload did not (static programs, raw system calls),\n"
	      "--no-strict only their execs and connects.\n"
	      "pending, approve, deny: the questions waiting in your sessions, answered from\n"
	      "a terminal outside them (a session without a terminal holds its questions\n"
	      "for --prompt-timeout S). hook claude-code: Claude Code's PreToolUse hook.\n"
	      "Exit status: run: COMMAND's, 126 when COMMAND itself is blocked; check: 0 allow\n"
	      "or log, 2 confirm, 3 deny; every command: 125 when interlock itself fails (bad\n"
	      "usage, a --rules DIR that does not exist, an unknown --profile, bad rules).\n"
	      "`interlock COMMAND --help` describes each command; see also interlock(1),\n"
	      "interlock.rules(5).\n",
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
	if (!strcmp(cmd, "pending"))
		return il_cmd_pending(argc - 1, argv + 1);
	if (!strcmp(cmd, "approve"))
		return il_cmd_approve(argc - 1, argv + 1);
	if (!strcmp(cmd, "deny"))
		return il_cmd_deny(argc - 1, argv + 1);
	if (!strcmp(cmd, "hook"))
		return il_cmd_hook(argc - 1, argv + 1);
	fprintf(stderr, "interlock: unknown command '%s'\n", cmd);
	usage(stderr);
	return EXIT_INTERLOCK;
}
