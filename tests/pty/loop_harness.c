/* Test harness for the broker, the prompt and the pty proxy without the rule
 * engine or the preload: runs COMMAND exactly as `interlock run` does (broker
 * socket, loop, inner pty) and exits with its status. COMMAND plays the
 * guarded process: it asks the broker itself (tests/pty/ask.py) and acts on
 * the answer.
 *
 *   loop_harness SOCKET AUDIT_PATH TIMEOUT_S -- COMMAND [ARG]...
 *
 * INTERLOCK_BROKER=SOCKET and INTERLOCK_TTY=<the human's terminal> are set
 * for COMMAND. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker.h"
#include "pty_proxy.h"

static void exec_cmd(void *ctx)
{
	char **cmd = ctx;
	execvp(cmd[0], cmd);
	int e = errno;
	fprintf(stderr, "loop_harness: %s: %s\n", cmd[0], strerror(e));
	_exit(e == ENOENT ? 127 : 126);
}

int main(int argc, char **argv)
{
	if (argc < 6 || strcmp(argv[4], "--")) {
		fprintf(stderr, "usage: loop_harness SOCKET AUDIT_PATH TIMEOUT_S -- COMMAND [ARG]...\n");
		return 125;
	}
	prctl(PR_SET_DUMPABLE, 0);
	const char *sock = argv[1];
	unlink(sock);
	int lfd = il_broker_listen(sock);
	if (lfd < 0) {
		perror("loop_harness: broker socket");
		return 125;
	}
	struct il_broker_cfg cfg = { .session = "harness-session", .profile = "test", .audit_path = argv[2] };
	struct il_broker *b = il_broker_new(lfd, &cfg);
	struct il_loop *L = il_loop_new(b, atoi(argv[3]));
	setenv("INTERLOCK_BROKER", sock, 1);
	setenv("INTERLOCK_TTY", il_loop_tty_name(L), 1);
	if (il_loop_spawn(L, exec_cmd, argv + 5) < 0)
		return 125;
	int st = il_loop_run(L);
	il_loop_free(L);
	il_broker_free(b);
	unlink(sock);
	if (st < 0)
		return 125;
	return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 125;
}
