/* Asking a human. Under `interlock run` the question goes to the broker in
 * the wrapper, the only owner of the real terminal; the request carries no
 * way to approve anything, and a dead broker means no. In dev-shell mode
 * (no wrapper) the preload asks on the controlling terminal itself, which is
 * weaker: anything in the session can write to that terminal too. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "il.h"
#include "preload.h"
#include "rawsys.h"

static enum il_answer ask_broker(const char *sock, const struct il_confirm_req *r)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t sl = il_strlen(sock);
	if (sl >= sizeof sa.sun_path)
		return IL_ANS_NO_BROKER;
	il_memcpy(sa.sun_path, sock, sl + 1);
	int fd = (int)syscall(SYS_socket, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return IL_ANS_NO_BROKER;
	if (il_sysm(SYS_connect, fd, (long)&sa, sizeof sa, 0, 0) < 0) { /* our own: marked */
		close(fd);
		return IL_ANS_NO_BROKER;
	}
	char buf[8192];
	size_t n = 0;
	const char *fields[] = { [IL_W_VERSION] = IL_WIRE_VERSION, [IL_W_RULE] = r->rule, [IL_W_WORD] = r->word,
				 [IL_W_WHY] = r->why, [IL_W_COMMAND] = r->command, [IL_W_TARGET] = r->target,
				 [IL_W_CWD] = r->cwd, [IL_W_EXE] = r->exe };
	for (int k = IL_W_VERSION; k <= IL_W_EXE; k++)
		n = il_wire_put(buf, n, sizeof buf, (enum il_wire_key)k, fields[k]);
	if (r->event && !il_streq(r->event, "exec"))
		n = il_wire_put(buf, n, sizeof buf, IL_W_EVENT, r->event);
	if (r->argv) {
		char num[12] = "";
		size_t k = sizeof num - 1;
		int argc = 0;
		while (r->argv[argc])
			argc++;
		do
			num[--k] = (char)('0' + argc % 10);
		while ((argc /= 10) && k);
		n = il_wire_put(buf, n, sizeof buf, IL_W_ARGC, num + k);
		for (int j = 0; r->argv[j]; j++)
			n = il_wire_put(buf, n, sizeof buf, IL_W_ARG, r->argv[j]);
	}
	for (int j = 0; j < r->nops; j++) {
		char op[4500];
		size_t o = 0;
		const char *parts[] = { r->ops[j].rule_id, r->ops[j].target ? r->ops[j].target : "", r->ops[j].key };
		for (int p = 0; p < 3; p++) {
			size_t l = il_strlen(parts[p]);
			if (o + l + 2 > sizeof op)
				break;
			il_memcpy(op + o, parts[p], l), o += l;
			if (p < 2)
				op[o++] = '\t';
		}
		op[o] = 0; /* a part that did not fit is left out: its key cannot match */
		n = il_wire_put(buf, n, sizeof buf, IL_W_OP, op);
	}
	enum il_answer answer = IL_ANS_NO_BROKER; /* the wrapper is gone: no */
	if (syscall(SYS_sendto, fd, buf, n, MSG_NOSIGNAL, 0, 0) == (long)n) {
		char reply[128];
		long got;
		do
			got = syscall(SYS_recvfrom, fd, reply, sizeof reply, 0, 0, 0);
		while (got < 0 && errno == EINTR);
		if (got > 0)
			answer = il_answer_parse(reply, (size_t)got);
	}
	close(fd);
	return answer;
}

static void tty_write(int fd, const char *s)
{
	size_t n = il_strlen(s);
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w <= 0)
			return;
		s += w, n -= (size_t)w;
	}
}

/* Dev-shell mode: a canonical-mode line from /dev/tty with a timeout. */
static enum il_answer ask_tty(const struct il_confirm_req *r, int timeout_s)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, "/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return IL_ANS_NO_TERMINAL;
	struct termios saved, t;
	int have = tcgetattr(fd, &saved) == 0;
	if (have) {
		t = saved;
		t.c_lflag |= ICANON | ECHO;
		tcsetattr(fd, TCSANOW, &t);
		tcflush(fd, TCIFLUSH); /* type-ahead is not an answer */
	}
	/* the wrapper's words (prompt_text.c), less the held output */
	struct il_prompt_info in = { r->command, r->why, r->rule, il_sess.profile, r->cwd, 0, r->word, r->target };
	char text[8192];
	size_t tn = il_prompt_text(text, sizeof text, &in, timeout_s, 0);
	for (size_t i = 0, o = 0; i <= tn; i++) /* a canonical-mode terminal: \r\n is \n */
		if (text[i] != '\r')
			text[o++] = text[i];
	tty_write(fd, text);
	char line[300];
	size_t n = 0;
	enum il_answer answer = IL_ANS_TIMEOUT;
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left = (long)timeout_s * 1000 - ((now.tv_sec - start.tv_sec) * 1000 +
						      (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0)
			break;
		struct pollfd p = { fd, POLLIN, 0 };
		int pr = poll(&p, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			break;
		ssize_t k = read(fd, line + n, sizeof line - 1 - n);
		if (k <= 0) {
			answer = IL_ANS_HUMAN;
			break;
		}
		n += (size_t)k;
		if (n && (line[n - 1] == '\n' || n == sizeof line - 1)) {
			line[n] = 0;
			answer = il_prompt_decide(line, r->word);
			break;
		}
	}
	tty_write(fd, answer == IL_ANS_TIMEOUT ? "\n" : "");
	tty_write(fd, il_prompt_outcome(answer));
	tty_write(fd, "\n");
	if (have)
		tcsetattr(fd, TCSANOW, &saved);
	close(fd);
	return answer;
}

enum il_answer il_confirm(const char *broker, const struct il_confirm_req *r, int timeout_s)
{
	if (broker && *broker)
		return ask_broker(broker, r);
	return ask_tty(r, timeout_s);
}
