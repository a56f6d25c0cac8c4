/* Approvals that carry to the exec they approved (grants.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "grants.h"

#define MAX_GRANTS 64

struct grant {
	char *op; /* RULE\tTARGET\tKEY */
	char question[16];
	pid_t root;
	long long ms;
	int used;
	int carried; /* to a statement (il_grants_carry), once */
};

struct il_grants {
	struct grant g[MAX_GRANTS];
	int next; /* ring: the oldest is overwritten */
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct il_grants *il_grants_new(void)
{
	return calloc(1, sizeof(struct il_grants));
}

void il_grants_free(struct il_grants *g)
{
	if (!g)
		return;
	for (int i = 0; i < MAX_GRANTS; i++)
		free(g->g[i].op);
	free(g);
}

void il_grants_add(struct il_grants *g, const char *question, pid_t root, const char *const *ops, int nops)
{
	for (int i = 0; g && i < nops; i++) {
		struct grant *e = &g->g[g->next++ % MAX_GRANTS];
		free(e->op);
		*e = (struct grant){ strdup(ops[i]), "", root, now_ms(), 0, 0 };
		snprintf(e->question, sizeof e->question, "%s", question);
	}
}

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	const char *p = strrchr(buf, ')');
	int pp = 0;
	return p && sscanf(p + 1, " %*c %d", &pp) == 1 ? pp : 0;
}

/* Is pid root, or did root start it (through any number of children,
 * without leaving the session's tree below top)? */
static int in_tree_of(pid_t pid, pid_t root, pid_t top)
{
	for (int hops = 0; pid > 1 && hops < 64; hops++) {
		if (pid == root)
			return 1;
		if (pid == top)
			return 0;
		pid = parent_of(pid);
	}
	return 0;
}

static struct grant *find(struct il_grants *g, const char *op, pid_t pid, pid_t top, long long now)
{
	for (int i = 0; i < MAX_GRANTS; i++) {
		struct grant *e = &g->g[i];
		if (e->op && !e->used && now - e->ms <= IL_GRANT_MS && !strcmp(e->op, op) && in_tree_of(pid, e->root, top))
			return e;
	}
	return 0;
}

int il_grants_take(struct il_grants *g, pid_t pid, pid_t top, const char *const *ops, int nops, char *question,
		   size_t cap)
{
	if (!g || nops <= 0 || nops > IL_MAX_OPS)
		return 0;
	struct grant *hit[IL_MAX_OPS];
	long long now = now_ms();
	for (int i = 0; i < nops; i++) {
		hit[i] = find(g, ops[i], pid, top, now);
		for (int j = 0; hit[i] && j < i; j++)
			if (hit[j] == hit[i])
				hit[i] = 0; /* one grant, one operation */
		if (!hit[i])
			return 0;
	}
	for (int i = 0; i < nops; i++)
		hit[i]->used = 1;
	snprintf(question, cap, "%s", hit[0]->question);
	return 1;
}

int il_grants_cover(struct il_grants *g, pid_t pid, pid_t top, const char *target, char *question, size_t cap)
{
	if (!g || !target || target[0] != '/')
		return 0;
	long long now = now_ms();
	for (int i = 0; i < MAX_GRANTS; i++) {
		struct grant *e = &g->g[i];
		if (!e->op || now - e->ms > IL_GRANT_MS)
			continue;
		const char *t = strchr(e->op, '\t'), *te = t ? strchr(t + 1, '\t') : 0;
		if (!te || te == t + 1 || (size_t)(te - t - 1) >= 4096)
			continue;
		char dir[4096];
		memcpy(dir, t + 1, (size_t)(te - t - 1));
		dir[te - t - 1] = 0;
		if (!il_path_under(target, dir) || !in_tree_of(pid, e->root, top))
			continue;
		e->ms = now;
		snprintf(question, cap, "%s", e->question);
		return 1;
	}
	return 0;
}

int il_grants_carry(struct il_grants *g, pid_t pid, pid_t top, const char *rule, const char *target,
		    char *question, size_t cap)
{
	if (!g || !rule || !target || !*target)
		return 0;
	size_t rl = strlen(rule);
	long long now = now_ms();
	for (int i = 0; i < MAX_GRANTS; i++) {
		struct grant *e = &g->g[i];
		if (!e->op || e->carried || now - e->ms > IL_GRANT_MS)
			continue;
		/* "RULE\tTARGET\tKEY": the key (the command line) is not the
		 * statement's; the statement's target names its database too
		 * ("users in sqlite /p/app.db"), which the command line's
		 * rule could not see */
		const char *o = e->op, *t = o + rl + 1, *te;
		if (strncmp(o, rule, rl) || o[rl] != '\t' || !(te = strchr(t, '\t')) || te == t)
			continue;
		size_t tl = (size_t)(te - t);
		if (strncmp(target, t, tl) || (target[tl] && strncmp(target + tl, " in ", 4)))
			continue;
		if (!in_tree_of(pid, e->root, top))
			continue;
		e->carried = 1;
		snprintf(question, cap, "%s", e->question);
		return 1;
	}
	return 0;
}
