/* Asking the sessions' answer sockets (answer_client.h). A session that
 * does not answer (its wrapper is gone, a dev shell has no broker) is
 * skipped: the sweep of sessions.c removes what is left of it. */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "answer_client.h"

#define CALL_TIMEOUT_MS 5000 /* a wrapper that does not answer in this time is stuck */

long il_answer_again(int fd, const struct il_aw *req, char *reply, size_t cap)
{
	if (send(fd, req->buf, req->n, MSG_NOSIGNAL) != (ssize_t)req->n)
		return -1;
	struct pollfd p = { fd, POLLIN, 0 };
	int r;
	while ((r = poll(&p, 1, CALL_TIMEOUT_MS)) < 0 && errno == EINTR)
		;
	if (r == 0)
		errno = ETIMEDOUT;
	if (r <= 0)
		return -1;
	ssize_t n = recv(fd, reply, cap - 1, 0);
	if (n <= 0) {
		if (n == 0)
			errno = ECONNRESET;
		return -1;
	}
	reply[n] = 0;
	return (long)n;
}

long il_answer_call(const char *sock, const struct il_aw *req, char *reply, size_t cap, int *fd_out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(sock) >= sizeof sa.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, sock);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	long n = -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
		n = il_answer_again(fd, req, reply, cap);
	int e = errno;
	if (n >= 0 && fd_out)
		*fd_out = fd;
	else
		close(fd);
	errno = e;
	return n;
}

void il_answer_status(char *reply, const char **status, const char **message, const char **decision,
		      const char **outcome)
{
	*status = *message = "";
	if (decision)
		*decision = "";
	if (outcome)
		*outcome = "";
	char *cur = reply, *key, *val;
	while (il_aw_next(&cur, &key, &val)) {
		if (!strcmp(key, "status"))
			*status = val;
		else if (!strcmp(key, "message"))
			*message = val;
		else if (decision && !strcmp(key, "decision"))
			*decision = val;
		else if (outcome && !strcmp(key, "outcome"))
			*outcome = val;
	}
}

/* ---------------------------------------------------------------- lists */

static int add_question(struct il_questions *qs, const struct il_question *q)
{
	struct il_question *more = realloc(qs->q, sizeof *more * (size_t)(qs->n + 1));
	if (!more)
		return -1;
	qs->q = more;
	qs->q[qs->n++] = *q;
	return 0;
}

/* A list reply, parsed in place: the session's header, then its questions. */
static int parse_list(struct il_questions *qs, char *reply, const char *sock, struct il_question *header)
{
	struct il_question h = { .sock = sock, .left = -1 }, q;
	int in_q = 0;
	char *cur = reply, *key, *val;
	while (il_aw_next(&cur, &key, &val)) {
		struct il_question *t = in_q ? &q : &h;
		if (!strcmp(key, "id")) {
			if (in_q && add_question(qs, &q) < 0)
				return -1;
			q = h; /* the session's facts in each */
			q.id = val;
			in_q = 1;
		} else if (!strcmp(key, "session")) {
			t->session = val;
		} else if (!strcmp(key, "profile")) {
			t->profile = val;
		} else if (!strcmp(key, "terminal")) {
			t->terminal = atoi(val);
		} else if (!strcmp(key, "hold")) {
			t->hold = atoi(val);
		} else if (!strcmp(key, "more")) {
			qs->more += atoi(val);
		} else if (in_q) {
			const char **s = !strcmp(key, "rule") ? &q.rule : !strcmp(key, "word") ? &q.word
					 : !strcmp(key, "why")	   ? &q.why
					 : !strcmp(key, "command") ? &q.command
					 : !strcmp(key, "target")  ? &q.target
					 : !strcmp(key, "cwd")	   ? &q.cwd
					 : !strcmp(key, "exe")	   ? &q.exe
					 : !strcmp(key, "process") ? &q.process
					 : !strcmp(key, "event")   ? &q.event
								   : 0;
			if (s)
				*s = val;
			else if (!strcmp(key, "age"))
				q.age = atoll(val);
			else if (!strcmp(key, "left"))
				q.left = atoll(val);
			else if (!strcmp(key, "asking"))
				q.asking = atoi(val);
		}
	}
	if (in_q && add_question(qs, &q) < 0)
		return -1;
	if (header)
		*header = h;
	return 0;
}

int il_questions_of(const char *sock, struct il_questions *qs, struct il_question *header)
{
	char *reply = malloc(IL_AW_MAX + 1), *path = strdup(sock);
	char **bufs = reply && path ? realloc(qs->bufs, sizeof *bufs * (size_t)(qs->nbufs + 2)) : 0;
	if (!bufs) {
		free(reply), free(path);
		return -1;
	}
	qs->bufs = bufs;
	bufs[qs->nbufs++] = reply;
	bufs[qs->nbufs++] = path;
	char req[64];
	struct il_aw m = { req, 0, sizeof req, 0 };
	il_aw_put(&m, "v", IL_AW_VERSION, 0);
	il_aw_put(&m, "op", "list", 0);
	if (il_answer_call(sock, &m, reply, IL_AW_MAX + 1, 0) < 0)
		return 1; /* not answering: no questions from it */
	const char *status, *message;
	char *copy = strdup(reply);
	if (!copy)
		return -1;
	il_answer_status(copy, &status, &message, 0, 0);
	int ok = !strcmp(status, "ok");
	free(copy);
	return ok ? parse_list(qs, reply, path, header) : 1;
}

/* Session directories by age: the oldest session's questions first. */
struct entry {
	char path[4200];
	long long mtime;
};

static int by_age(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	return x->mtime < y->mtime ? -1 : x->mtime > y->mtime;
}

/* The answer sockets under base (sessions made by `interlock run`). */
static int scan_base(const char *base, struct entry **v, int *n)
{
	DIR *d = opendir(base);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t hex = strspn(e->d_name, "0123456789abcdef");
		if (!hex || e->d_name[hex])
			continue; /* not a session id (dev shells are shell-ID and have no broker) */
		struct entry en;
		struct stat st;
		if (strlen(base) + strlen(e->d_name) + sizeof IL_AW_SOCKET + 2 > sizeof en.path)
			continue;
		snprintf(en.path, sizeof en.path, "%.4096s/%.64s/" IL_AW_SOCKET, base, e->d_name);
		if (lstat(en.path, &st) < 0 || !S_ISSOCK(st.st_mode) || st.st_uid != getuid())
			continue;
		en.mtime = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
		struct entry *more = realloc(*v, sizeof *more * (size_t)(*n + 1));
		if (!more)
			break;
		*v = more;
		(*v)[(*n)++] = en;
	}
	closedir(d);
	return 0;
}

int il_questions_list(struct il_questions *qs)
{
	memset(qs, 0, sizeof *qs);
	char bases[3][4096];
	int nb = 0;
	const char *rt = getenv("XDG_RUNTIME_DIR");
	/* every place `run` may have used (the runtime directory when its
	 * environment had a usable one, else /tmp), whatever this shell's
	 * environment says now: an ssh login or sudo -u may lack the variable */
	if (rt && *rt)
		snprintf(bases[nb++], sizeof bases[0], "%s/interlock", rt);
	snprintf(bases[nb], sizeof bases[0], "/run/user/%u/interlock", (unsigned)getuid());
	if (!nb || strcmp(bases[0], bases[nb]))
		nb++;
	snprintf(bases[nb++], sizeof bases[0], "/tmp/interlock-%u", (unsigned)getuid());
	struct entry *v = 0;
	int n = 0;
	for (int i = 0; i < nb; i++)
		scan_base(bases[i], &v, &n);
	if (n)
		qsort(v, (size_t)n, sizeof *v, by_age);
	int rc = 0;
	for (int i = 0; i < n && rc >= 0; i++)
		rc = il_questions_of(v[i].path, qs, 0) < 0 ? -1 : 0;
	free(v);
	return rc;
}

void il_questions_free(struct il_questions *qs)
{
	for (int i = 0; i < qs->nbufs; i++)
		free(qs->bufs[i]);
	free(qs->bufs);
	free(qs->q);
	memset(qs, 0, sizeof *qs);
}

/* ---------------------------------------------------------------- showing */

void il_print_safe(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		int n = *p >= 0x20 && *p < 0x7f ? 1 : *p >= 0x80 ? il_utf8_safe_len(p) : 0;
		if (n) {
			fwrite(p, 1, (size_t)n, f);
			p += n;
		} else {
			fprintf(f, "\\x%02x", *p++);
		}
	}
}
