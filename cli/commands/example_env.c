/* The fabricated environment rule examples are evaluated in (see
 * interlock.rules(5)): a temporary HOME holding a git work tree. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static int mkdirs(const char *base, const char *rel)
{
	char p[4200];
	snprintf(p, sizeof p, "%s/%s", base, rel);
	for (char *s = p + strlen(base) + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			mkdir(p, 0700);
			*s = '/';
		}
	return mkdir(p, 0700) == 0 ? 0 : -1;
}

int il_example_env_make(struct il_example_env *e)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(e->root, sizeof e->root, "%s/interlock-examples-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(e->root))
		return -1;
	if (strlen(e->root) + 20 > sizeof e->home)
		return -1;
	snprintf(e->home, sizeof e->home, "%.4000s/home/user", e->root);
	snprintf(e->project, sizeof e->project, "%.4000s/project", e->home);
	const char *dirs[] = { "home/user/project/.git/refs", "home/user/project/build",
			       "home/user/project/node_modules", "home/user/project/src",
			       "home/user/.ssh", "home/user/Documents" };
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (mkdirs(e->root, dirs[i]) < 0)
			return -1;
	/* the project's databases: a statement on a file that is not there
	 * loses nothing (`loses = database`), so the examples name these; */
	/* and a key, for rules about the files a delete would lose (shred) */
	const char *files[] = { "project/app.db", "project/data.db", "project/warehouse.duckdb", ".ssh/id_ed25519" };
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char p[4200];
		snprintf(p, sizeof p, "%s/%s", e->home, files[i]);
		FILE *f = fopen(p, "w"); /* not empty: an empty database holds no rows */
		if (!f || fputs("SQLite format 3", f) < 0 || fclose(f) != 0)
			return -1;
	}
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	remove(p);
	return 0;
}

void il_example_env_remove(struct il_example_env *e)
{
	if (e->root[0])
		nftw(e->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
