/* The wrapper's event loop: the only owner of the human's terminal.
 *
 * With a terminal (interlock's stdin is the foreground tty) the command gets
 * an inner pseudo-terminal of its own, and one poll() loop copies keystrokes
 * to it and its output back, follows window size changes, serves the broker
 * socket and, when a confirmation is asked, holds the agent's output and
 * gives the keystrokes to the prompt instead. The real terminal is in raw
 * mode while the loop runs and is restored on every way out, fatal signals
 * included (SIGKILL excepted: nothing can catch it).
 *
 * Without a terminal the command runs with interlock's own stdio and the loop
 * only serves the broker, which then denies every request ("no-terminal").
 *
 * Use:
 *     struct il_loop *L = il_loop_new(broker, timeout_s);
 *     pid_t pid = il_loop_spawn(L, exec_fn, ctx);   // exec_fn execs or _exits
 *     int status = il_loop_run(L);                   // a waitpid() status
 *     il_loop_free(L);
 */
#ifndef IL_PTY_PROXY_H
#define IL_PTY_PROXY_H

#include <sys/types.h>

#include "broker.h"

struct il_loop;

/* Finds out whether there is a human terminal (and opens its own handle on
 * it). broker may be NULL; it stays owned by the caller. prompt_timeout_s <= 0
 * means 60. NULL only when out of memory. */
struct il_loop *il_loop_new(struct il_broker *broker, int prompt_timeout_s) IL_HIDDEN;

/* True when confirmations can be asked (there is a terminal). */
int il_loop_has_terminal(const struct il_loop *L) IL_HIDDEN;
/* Path of the human's terminal device ("" without one). The guarded tree must
 * not open it: give it to the preload's open() rule. */
const char *il_loop_tty_name(const struct il_loop *L) IL_HIDDEN;

/* Installs the wrapper's signal handling and forks. In the child: signal
 * dispositions as interlock found them, and with a terminal a new session
 * whose controlling terminal is the inner pty on stdin (and on stdout/stderr
 * where those were terminals); every fd of the wrapper that refers to the
 * real terminal, the pty master and the broker's sockets are closed. Then
 * child_exec(ctx) runs; it must exec or _exit (127 if it returns).
 * Returns the child's pid, or -1 with a message printed. */
pid_t il_loop_spawn(struct il_loop *L, void (*child_exec)(void *ctx), void *ctx) IL_HIDDEN;

/* Runs hook(ctx) in the child of il_loop_spawn(), before it takes its
 * terminal and execs (the seccomp layer installs its filter there). It
 * returns 0 when it installed a filter that also refuses TIOCSTI and
 * TIOCLINUX; otherwise the loop installs its own small one. */
void il_loop_set_child_hook(struct il_loop *L, int (*hook)(void *ctx), void *ctx) IL_HIDDEN;

/* Alternative to il_loop_spawn for a child the caller forked itself (no
 * pty: the loop then only serves the broker and waits). */
void il_loop_attach(struct il_loop *L, pid_t child) IL_HIDDEN;

/* Runs until the child exits and its last output is copied; returns its
 * waitpid() status, or -1. The terminal is restored before it returns.
 * SIGTERM, SIGHUP, SIGINT and SIGQUIT sent to the wrapper are passed to the
 * child's process group (with a terminal, also to the inner foreground
 * group). After SIGTERM or SIGHUP the terminal is restored at once, any
 * question is denied and input is no longer read; output is still copied
 * until the child exits. */
int il_loop_run(struct il_loop *L) IL_HIDDEN;

/* Closes the loop's fds and puts signal dispositions back. */
void il_loop_free(struct il_loop *L) IL_HIDDEN;

#endif
