/* The wrapper's event loop and pty proxy (see pty_proxy.h).
 *
 * One poll() owns everything: the real terminal, the inner pty master, the
 * broker's sockets and a self-pipe that turns signals into events. Keeping it
 * one thread means the prompt can never race the proxy for the human's
 * keystrokes: a byte read from the terminal goes either to the open prompt or
 * to the agent, decided in one place. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "fdio.h"
#include "prompt.h"
#include "pty_proxy.h"

#define MAX_POLL 80          /* 3 of ours + the broker's listener and clients */
#define DRAIN_IDLE_MS 100    /* after the child exits: output quiet this long ends it */
#define DRAIN_MAX_MS 2000    /* ... or this long in all (a daemon may hold the pty) */

struct il_loop {
	struct il_broker *broker;
	int timeout_s;
	int tty;              /* our own handle on the human's terminal, -1: none */
	dev_t tty_dev;
	char tty_name[256];
	struct termios saved; /* the terminal as we found it */
	int raw;              /* the terminal is in raw mode now */
	int out;              /* where the agent's terminal output goes (stdout) */
	int master;           /* inner pty, -1: none */
	int master_eof;
	pid_t child;
	int exited, status;
	long long drain_end, last_output;
	int ending;           /* a terminating signal came: input is no longer read */
	char in[4096];        /* typed bytes the inner pty has not taken yet */
	size_t in_len;
	struct il_prompt prompt;
	struct il_broker_req *asking;
	/* The screen under a prompt (issue 17: the agent's screen is whole
	 * again after the answer). agent_alt: the agent draws on the terminal's
	 * alternate screen now (read from its output; scan_tail holds a
	 * sequence cut between two reads). own_alt: the prompt is on the
	 * alternate screen we switched to, the agent's screen untouched below.
	 * nudge_at: when to give the agent its size back after a resize that
	 * makes it redraw what the prompt covered. */
	int agent_alt, own_alt;
	char scan_tail[8];
	size_t scan_len;
	long long nudge_at;
	int (*child_hook)(void *ctx); /* il_loop_set_child_hook() */
	void *child_hook_ctx;
};

/* ---------------------------------------------------------------- signals */

/* Signals that become loop events, and those after which we must restore
 * the terminal and die as the signal says. */
static const int loop_sigs[] = { SIGCHLD, SIGWINCH, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGTSTP, SIGCONT, SIGPIPE };
static const int fatal_sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS, SIGTRAP, SIGXCPU, SIGXFSZ,
				  SIGALRM, SIGUSR1, SIGUSR2, SIGVTALRM, SIGPROF, SIGPWR, SIGSTKFLT };
#define NLOOP (sizeof loop_sigs / sizeof loop_sigs[0])
#define NFATAL (sizeof fatal_sigs / sizeof fatal_sigs[0])

static int sig_pipe[2] = { -1, -1 };
static struct sigaction old_loop[NLOOP], old_fatal[NFATAL];
static void (*set_loop[NLOOP])(int); /* what install_handlers put in */
static int handlers_installed, fatal_installed;
/* For the fatal-signal handler: what to put back. */
static volatile sig_atomic_t g_raw_fd = -1;
static struct termios g_saved;

static void on_loop_signal(int sig)
{
	int e = errno;
	unsigned char b = (unsigned char)sig;
	(void)!write(sig_pipe[1], &b, 1);
	errno = e;
}

static void on_fatal_signal(int sig)
{
	if (g_raw_fd >= 0)
		tcsetattr(g_raw_fd, TCSANOW, &g_saved);
	/* Hand over to whatever was there (default, or a sanitizer's report). */
	for (size_t i = 0; i < NFATAL; i++)
		if (fatal_sigs[i] == sig)
			sigaction(sig, &old_fatal[i], 0);
	raise(sig);
}

static int install_handlers(struct il_loop *L)
{
	if (handlers_installed)
		return 0;
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	struct sigaction sa = { 0 };
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < NLOOP; i++) {
		int s = loop_sigs[i];
		sa.sa_handler = on_loop_signal;
		/* Without an inner pty the command shares our terminal's process
		 * group and gets ^C / ^\ from it directly; passing them on
		 * would deliver them twice. A broken pipe is a write error. */
		if (s == SIGPIPE || (L->tty < 0 && (s == SIGINT || s == SIGQUIT)))
			sa.sa_handler = SIG_IGN;
		/* Job control only matters when we own a raw terminal. */
		if (L->tty < 0 && (s == SIGTSTP || s == SIGCONT))
			sa.sa_handler = SIG_DFL;
		set_loop[i] = sa.sa_handler;
		sigaction(s, &sa, &old_loop[i]);
	}
	handlers_installed = 1;
	/* The fatal handlers only put a raw terminal back: without one to own
	 * there is nothing for them to do (and 32 system calls fewer at start). */
	if (L->tty < 0)
		return 0;
	sa.sa_handler = on_fatal_signal;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	for (size_t i = 0; i < NFATAL; i++) {
		sigaction(fatal_sigs[i], 0, &old_fatal[i]);
		if (old_fatal[i].sa_handler != SIG_IGN) /* keep what our parent ignored */
			sigaction(fatal_sigs[i], &sa, 0);
	}
	fatal_installed = 1;
	return 0;
}

static void restore_handlers(void)
{
	if (!handlers_installed)
		return;
	for (size_t i = 0; i < NLOOP; i++)
		sigaction(loop_sigs[i], &old_loop[i], 0);
	for (size_t i = 0; fatal_installed && i < NFATAL; i++)
		sigaction(fatal_sigs[i], &old_fatal[i], 0);
	handlers_installed = fatal_installed = 0;
}

/* ---------------------------------------------------------------- terminal */

static void set_raw(struct il_loop *L)
{
	if (L->tty < 0 || L->raw || L->ending)
		return;
	struct termios t = L->saved;
	cfmakeraw(&t);
	g_saved = L->saved;
	g_raw_fd = L->tty;
	if (tcsetattr(L->tty, TCSADRAIN, &t) == 0)
		L->raw = 1;
}

static void restore_tty(struct il_loop *L)
{
	if (!L->raw)
		return;
	tcsetattr(L->tty, TCSADRAIN, &L->saved);
	L->raw = 0;
	g_raw_fd = -1;
}

static void copy_winsize(struct il_loop *L, int to)
{
	struct winsize ws;
	if (L->tty >= 0 && to >= 0 && ioctl(L->tty, TIOCGWINSZ, &ws) == 0)
		ioctl(to, TIOCSWINSZ, &ws);
}


/* The human's terminal, if interlock's stdin is one and we are in its
 * foreground (a background job must not take the terminal over). Reopened by
 * name so that our O_NONBLOCK or a close never touches the shell's fd. */
static void find_terminal(struct il_loop *L)
{
	struct stat st;
	if (!isatty(0) || tcgetpgrp(0) != getpgrp() || fstat(0, &st) < 0)
		return;
	int fd = -1;
	if (ttyname_r(0, L->tty_name, sizeof L->tty_name) == 0) {
		struct stat st2;
		fd = open(L->tty_name, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0 && (fstat(fd, &st2) < 0 || st2.st_rdev != st.st_rdev)) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0)
		fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
	if (fd < 0 || tcgetattr(fd, &L->saved) < 0) {
		if (fd >= 0)
			close(fd);
		L->tty_name[0] = 0;
		return;
	}
	L->tty = fd;
	L->tty_dev = st.st_rdev;
}

/* ---------------------------------------------------------------- child */

/* Closes every fd from 3 up that refers to the human's terminal. Runs in the
 * child between fork and exec: fstat and close only. */
static void close_tty_fds(dev_t dev)
{
	struct rlimit rl;
	int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
	for (int fd = 3; fd < max; fd++) {
		struct stat st;
		if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == dev)
			close(fd);
	}
}

/* TIOCSTI pushes bytes into a terminal's input as if typed. The kernel
 * allows it on a terminal other than the caller's controlling one only with
 * CAP_SYS_ADMIN; the guarded tree's controlling terminal is the inner pty, so
 * an unprivileged tree can only type to itself. A privileged tree (an agent
 * run as root) could type the answer into the human's terminal, or commands
 * into the human's shell after interlock exits. With CAP_SYS_ADMIN a seccomp
 * filter can be installed without no_new_privs, so: try to install one that
 * refuses TIOCSTI and TIOCLINUX (console paste). It fails with EACCES exactly
 * when it is not needed, and then changes nothing (setuid programs keep
 * working). Raw BPF: this must not depend on libseccomp. */
#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define COMPAT_ARCH AUDIT_ARCH_I386
#define COMPAT_IOCTL 54
#define X32_IOCTL (0x40000000 + 514)
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#define COMPAT_ARCH AUDIT_ARCH_ARM
#define COMPAT_IOCTL 54
#define X32_IOCTL (-1)
#endif

static void deny_tiocsti(void)
{
#ifdef NATIVE_ARCH
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, COMPAT_ARCH, 0, 8),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, COMPAT_IOCTL, 3, 6),
		/* native */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)X32_IOCTL, 0, 3),
		/* ioctl: the request is the low 32 bits of the second argument */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCSTI, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCLINUX, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	struct sock_fprog prog = { sizeof f / sizeof f[0], f };
	syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_SPEC_ALLOW, &prog); /* seccomp_filter.c */
#endif
}

static void child_setup(struct il_loop *L, int slave)
{
	/* Dispositions as interlock found them (an inherited SIG_IGN stays).
	 * The exec resets every handler to SIG_DFL and keeps SIG_IGN, so only
	 * a signal whose disposition after it would differ from what interlock
	 * found is set back (SIGPIPE, and ^C/^\ without a terminal, which we
	 * ignore); the fatal handlers were only put where nothing was ignored. */
	for (size_t i = 0; i < NLOOP; i++)
		if ((set_loop[i] == SIG_IGN) != (old_loop[i].sa_handler == SIG_IGN))
			sigaction(loop_sigs[i], &old_loop[i], 0);
	close(sig_pipe[0]), close(sig_pipe[1]);
	/* The seccomp layer's filter refuses TIOCSTI itself (one filter). */
	if (!L->child_hook || L->child_hook(L->child_hook_ctx) < 0)
		deny_tiocsti();
	if (L->broker)
		il_broker_close_in_child(L->broker);
	if (L->out >= 0)
		close(L->out);
	if (slave < 0)
		return;
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0) {
		perror("interlock: cannot give the command its terminal");
		_exit(126);
	}
	/* stdin is the human's terminal (that is why there is a pty); stdout
	 * and stderr move to the pty only where they were terminals, so that
	 * `interlock run -- cmd > file` still writes the file directly. */
	for (int fd = 0; fd <= 2; fd++)
		if (fd == 0 || isatty(fd))
			dup2(slave, fd);
	if (slave > 2)
		close(slave);
	close(L->master);
	close(L->tty);
	close_tty_fds(L->tty_dev);
}

/* Opens the inner pty with the human terminal's modes and size. Returns the
 * slave fd (the master is in L->master), or -1. */
static int open_pty(struct il_loop *L)
{
	char name[128];
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof name) != 0) {
		if (m >= 0)
			close(m);
		return -1;
	}
	int s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0) {
		close(m);
		return -1;
	}
	tcsetattr(s, TCSANOW, &L->saved);
	copy_winsize(L, s);
	L->master = m;
	return s;
}

pid_t il_loop_spawn(struct il_loop *L, void (*child_exec)(void *ctx), void *ctx)
{
	int slave = -1;
	if (L->tty >= 0) {
		slave = open_pty(L);
		if (slave < 0) {
			fprintf(stderr, "interlock: cannot open a pseudo-terminal: %s\n", strerror(errno));
			return -1;
		}
	}
	if (install_handlers(L) < 0) {
		perror("interlock: pipe");
		return -1;
	}
	fflush(0);
	pid_t pid = fork();
	if (pid < 0) {
		perror("interlock: fork");
		if (slave >= 0)
			close(slave);
		return -1;
	}
	if (pid == 0) {
		child_setup(L, slave);
		child_exec(ctx);
		_exit(127);
	}
	if (slave >= 0)
		close(slave); /* else the master never sees the end of the session */
	if (L->master >= 0)
		fcntl(L->master, F_SETFL, fcntl(L->master, F_GETFL) | O_NONBLOCK);
	L->child = pid;
	return pid;
}

void il_loop_attach(struct il_loop *L, pid_t child)
{
	/* The caller's child shares our terminal: no prompts, no raw mode. */
	if (L->tty >= 0) {
		close(L->tty);
		L->tty = -1;
		L->tty_name[0] = 0;
	}
	install_handlers(L);
	L->child = child;
}

/* ---------------------------------------------------------------- the screen */

/* Does this output switch the alternate screen on or off (DEC private modes
 * 1049, 1047, 47)? Updates L->agent_alt; a sequence split across two reads
 * is found with the tail of the previous one. */
static void track_screen(struct il_loop *L, const char *buf, size_t n)
{
	static const struct {
		const char *seq;
		int alt;
	} modes[] = { { "\033[?1049h", 1 }, { "\033[?1049l", 0 }, { "\033[?1047h", 1 },
		      { "\033[?1047l", 0 }, { "\033[?47h", 1 },   { "\033[?47l", 0 } };
	char joined[sizeof L->scan_tail + 64];
	size_t head = n < 64 ? n : 64;
	memcpy(joined, L->scan_tail, L->scan_len);
	memcpy(joined + L->scan_len, buf, head);
	/* the seam between reads, then the read itself */
	for (int pass = 0; pass < 2; pass++) {
		const char *p = pass ? buf : joined;
		size_t len = pass ? n : L->scan_len + head;
		const char *end = p + len;
		for (const char *e = memchr(p, '\033', len); e; e = memchr(e + 1, '\033', (size_t)(end - e - 1)))
			for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) {
				size_t l = strlen(modes[k].seq);
				if ((size_t)(end - e) >= l && !memcmp(e, modes[k].seq, l))
					L->agent_alt = modes[k].alt;
			}
	}
	L->scan_len = n < sizeof L->scan_tail ? n : sizeof L->scan_tail;
	memcpy(L->scan_tail, buf + n - L->scan_len, L->scan_len);
}

/* A prompt over a main screen goes on the alternate screen, so the agent's
 * screen is there as it was after the answer; over an agent that draws on
 * the alternate screen itself, the agent is made to redraw instead. */
static void screen_for_prompt(struct il_loop *L)
{
	if (!L->agent_alt) {
		static const char alt[] = "\033[?1049h\033[H\033[2J"; /* cursor saved, a clean page */
		il_write_all(L->tty, alt, sizeof alt - 1);
		L->own_alt = 1;
	}
}

static void screen_after_prompt(struct il_loop *L)
{
	if (L->own_alt) {
		static const char back[] = "\033[?1049l";
		il_write_all(L->tty, back, sizeof back - 1);
		L->own_alt = 0;
		return;
	}
	/* A resize the agent sees (one column less), then its size back: a
	 * program that draws its screen redraws it on SIGWINCH. */
	struct winsize ws;
	if (L->master < 0 || L->tty < 0 || ioctl(L->tty, TIOCGWINSZ, &ws) < 0 || ws.ws_col < 2)
		return;
	ws.ws_col--;
	ioctl(L->master, TIOCSWINSZ, &ws);
	L->nudge_at = il_now_ms() + 50;
}

static void check_nudge(struct il_loop *L)
{
	if (L->nudge_at && il_now_ms() >= L->nudge_at) {
		L->nudge_at = 0;
		copy_winsize(L, L->master);
	}
}

/* ---------------------------------------------------------------- prompts */

static void finish_prompt(struct il_loop *L, enum il_answer a)
{
	if (!L->asking)
		return;
	il_prompt_close(&L->prompt, a);
	screen_after_prompt(L);
	il_broker_answer(L->broker, L->asking, a);
	L->asking = 0;
}

/* No more questions in this session: deny the one on screen and the rest. */
static void stop_prompting(struct il_loop *L)
{
	finish_prompt(L, IL_ANS_NO_TERMINAL);
	if (L->broker)
		il_broker_set_prompting(L->broker, 0);
}

static void maybe_prompt(struct il_loop *L)
{
	if (!L->broker || L->asking || !L->raw)
		return;
	struct il_broker_req *r = il_broker_next(L->broker);
	if (!r)
		return;
	struct il_prompt_info in = { r->command, r->why,   r->rule, il_broker_profile(L->broker),
				     r->cwd,     r->chain, r->word, r->target };
	L->asking = r;
	screen_for_prompt(L);
	il_prompt_open(&L->prompt, L->tty, &in, L->timeout_s);
}

static void check_prompt(struct il_loop *L)
{
	if (!L->asking)
		return;
	int remote = il_broker_remote_answer(L->asking); /* `interlock approve|deny` */
	if (remote >= 0)
		finish_prompt(L, (enum il_answer)remote);
	else if (il_broker_withdrawn(L->asking))
		finish_prompt(L, IL_ANS_WITHDRAWN);
	else if (il_prompt_wait_ms(&L->prompt) == 0)
		finish_prompt(L, IL_ANS_TIMEOUT);
}

/* ---------------------------------------------------------------- events */

static void forward_signal(struct il_loop *L, int sig)
{
	if (L->child <= 0 || L->exited)
		return;
	if (L->master >= 0) {
		pid_t fg = tcgetpgrp(L->master);
		if (fg > 0 && fg != L->child)
			kill(-fg, sig);
	}
	/* The child leads its own group once it has called setsid(). */
	if (kill(-L->child, sig) < 0)
		kill(L->child, sig);
}

static void on_child_exit(struct il_loop *L, int status)
{
	L->exited = 1;
	L->status = status;
	L->last_output = il_now_ms();
	L->drain_end = L->last_output + DRAIN_MAX_MS;
	stop_prompting(L);
}

static void suspend_self(struct il_loop *L)
{
	restore_tty(L);
	kill(getpid(), SIGSTOP);
	/* ... continued: the shell may have changed the modes meanwhile. */
	set_raw(L);
	copy_winsize(L, L->master);
}

static void handle_signals(struct il_loop *L)
{
	unsigned char sigs[64];
	ssize_t n;
	while ((n = read(sig_pipe[0], sigs, sizeof sigs)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			int sig = sigs[i], st;
			switch (sig) {
			case SIGCHLD:
				if (!L->exited && waitpid(L->child, &st, WNOHANG) == L->child)
					on_child_exit(L, st);
				break;
			case SIGWINCH:
				copy_winsize(L, L->master);
				break;
			case SIGTSTP:
				suspend_self(L);
				break;
			case SIGCONT:
				set_raw(L);
				copy_winsize(L, L->master);
				break;
			case SIGINT:
			case SIGQUIT:
				/* An interrupt: the command may handle it and
				 * carry on, so the session does too. */
				forward_signal(L, sig);
				break;
			default: /* SIGTERM, SIGHUP: the session is ending */
				forward_signal(L, sig);
				stop_prompting(L);
				restore_tty(L);
				L->ending = 1;
				break;
			}
		}
	}
}

static void on_tty_input(struct il_loop *L)
{
	char buf[4096];
	size_t room = L->asking ? sizeof buf : sizeof L->in - L->in_len;
	ssize_t n = read(L->tty, buf, room);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) { /* the terminal hung up */
		stop_prompting(L);
		restore_tty(L);
		L->ending = 1;
		return;
	}
	if (L->asking) {
		int a = il_prompt_feed(&L->prompt, buf, (size_t)n);
		if (a >= 0)
			finish_prompt(L, (enum il_answer)a);
		return;
	}
	memcpy(L->in + L->in_len, buf, (size_t)n);
	L->in_len += (size_t)n;
}

static void on_master(struct il_loop *L, short revents)
{
	if ((revents & POLLOUT) && L->in_len) {
		ssize_t w = write(L->master, L->in, L->in_len);
		if (w > 0) {
			memmove(L->in, L->in + w, L->in_len - (size_t)w);
			L->in_len -= (size_t)w;
		}
	}
	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		char buf[65536];
		ssize_t n = read(L->master, buf, sizeof buf);
		if (n > 0) {
			L->last_output = il_now_ms();
			track_screen(L, buf, (size_t)n);
			il_write_all(L->out, buf, (size_t)n); /* a closed stdout loses output, not the session */
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			L->master_eof = 1; /* EIO: every slave fd is closed */
		}
	}
}

/* ---------------------------------------------------------------- loop */

static int finished(const struct il_loop *L)
{
	if (!L->exited)
		return 0;
	if (L->master < 0 || L->master_eof)
		return 1;
	long long now = il_now_ms();
	return now - L->last_output >= DRAIN_IDLE_MS || now >= L->drain_end;
}

static int poll_timeout(const struct il_loop *L)
{
	if (L->exited)
		return DRAIN_IDLE_MS;
	if (L->nudge_at) {
		long long left = L->nudge_at - il_now_ms();
		return left > 0 ? (int)left : 0;
	}
	int t = L->asking ? il_prompt_wait_ms(&L->prompt) : -1;
	int held = L->broker ? il_broker_wait_ms(L->broker) : -1; /* questions held without a terminal */
	return held >= 0 && (t < 0 || held < t) ? held : t;
}

int il_loop_run(struct il_loop *L)
{
	if (L->child <= 0)
		return -1;
	set_raw(L);
	if (L->broker)
		il_broker_set_prompting(L->broker, L->raw && L->master >= 0);
	struct pollfd p[MAX_POLL];
	while (!finished(L)) {
		int live_master = L->master >= 0 && !L->master_eof;
		int read_tty = L->raw && !L->ending && (L->asking || L->in_len < sizeof L->in);
		p[0] = (struct pollfd){ sig_pipe[0], POLLIN, 0 };
		p[1] = (struct pollfd){ read_tty ? L->tty : -1, POLLIN, 0 };
		/* While a prompt is open the agent's output stays in the kernel's
		 * pty buffer: nothing can be drawn over or around the question. */
		p[2] = (struct pollfd){ live_master ? L->master : -1,
					(short)((L->asking ? 0 : POLLIN) | (L->in_len ? POLLOUT : 0)), 0 };
		int nb = L->broker ? il_broker_pollfds(L->broker, p + 3, MAX_POLL - 3) : 0;
		int r = poll(p, (nfds_t)(3 + nb), poll_timeout(L));
		if (r < 0 && errno != EINTR)
			break;
		/* Only when the pipe has something: every trapped exec wakes this
		 * loop, and a read that finds nothing is a system call for it. */
		if (r < 0 || (p[0].revents & POLLIN))
			handle_signals(L);
		if (r > 0) {
			if (p[1].revents && p[1].fd >= 0 && L->raw && !L->ending)
				on_tty_input(L);
			if (p[2].revents && p[2].fd >= 0)
				on_master(L, p[2].revents);
			if (L->broker)
				il_broker_dispatch(L->broker, p + 3, nb);
		}
		if (L->broker)
			il_broker_tick(L->broker);
		check_prompt(L);
		check_nudge(L);
		if (!L->exited && !L->ending)
			maybe_prompt(L);
		/* A lost SIGCHLD (the pipe was full) must not hang us. */
		int st;
		if (!L->exited && r == 0 && waitpid(L->child, &st, WNOHANG) == L->child)
			on_child_exit(L, st);
	}
	stop_prompting(L);
	restore_tty(L);
	if (!L->exited) { /* poll failed: still report the child */
		int st;
		while (waitpid(L->child, &st, 0) < 0 && errno == EINTR)
			;
		on_child_exit(L, st);
	}
	return L->status;
}

/* ---------------------------------------------------------------- setup */

struct il_loop *il_loop_new(struct il_broker *broker, int prompt_timeout_s)
{
	struct il_loop *L = calloc(1, sizeof *L);
	if (!L)
		return 0;
	L->broker = broker;
	L->timeout_s = prompt_timeout_s > 0 ? prompt_timeout_s : 60;
	L->tty = L->master = -1;
	find_terminal(L);
	L->out = fcntl(1, F_DUPFD_CLOEXEC, 3);
	return L;
}

void il_loop_set_child_hook(struct il_loop *L, int (*hook)(void *ctx), void *ctx)
{
	L->child_hook = hook;
	L->child_hook_ctx = ctx;
}

int il_loop_has_terminal(const struct il_loop *L)
{
	return L->tty >= 0;
}

const char *il_loop_tty_name(const struct il_loop *L)
{
	return L->tty_name;
}

void il_loop_free(struct il_loop *L)
{
	if (!L)
		return;
	restore_tty(L);
	if (L->master >= 0)
		close(L->master);
	if (L->tty >= 0)
		close(L->tty);
	if (L->out >= 0)
		close(L->out);
	restore_handlers();
	if (sig_pipe[0] >= 0)
		close(sig_pipe[0]), close(sig_pipe[1]);
	sig_pipe[0] = sig_pipe[1] = -1;
	free(L);
}
