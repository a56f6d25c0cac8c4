/* The engine's judges, table by table, on a real tree in a temp dir: a
 * HOME with a key and a top-level folder, a git work tree (its index read
 * by the delete facts: a tracked file, a modified one, an untracked one, an
 * ignored build directory, databases tracked, untracked and ignored), interlock's own files, a temp dir. With the shipped rules
 * (argv[1]). Also the confirmation request's wire format, both ways.
 *
 *     test_judges RULES_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "engine_int.h"
#include "ruleset.h"

static char root[256], home[300], proj[320], own[340], audit[340];
static char scratch[4 << 20];

static void put(const char *dir, const char *name, const char *text)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A shell command run in dir (a path of ours: no quote in it). */
static int sh_in(const char *dir, const char *cmd)
{
	char line[1024];
	snprintf(line, sizeof line, "cd '%s' && %s", dir, cmd);
	return system(line);
}

static int make_tree(void)
{
	snprintf(root, sizeof root, "/tmp/il-judges-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(home, sizeof home, "%s/home", root);
	snprintf(proj, sizeof proj, "%s/proj", home);
	snprintf(own, sizeof own, "%s/.config/interlock", home);
	snprintf(audit, sizeof audit, "%s/state/audit.jsonl", root);
	char p[512];
	const char *dirs[] = { "", "/.ssh", "/Documents", "/proj", "/proj/build", "/.config", "/.config/interlock" };
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		snprintf(p, sizeof p, "%s%s", home, dirs[i]);
		mkdir(p, 0700);
	}
	snprintf(p, sizeof p, "%s/state", root);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/.ssh", home);
	put(p, "id_ed25519", "key\n");
	snprintf(p, sizeof p, "%s/Documents", home);
	put(p, "notes.txt", "notes\n");
	put(proj, "tracked.c", "int x;\n");
	put(proj, "modified.c", "int y;\n");
	put(proj, "seed.db", "seed rows\n");
	put(proj, "untracked.txt", "u\n");
	put(proj, "app.db", "rows\n");
	put(proj, "test-cache.sqlite", "scratch rows\n");
	put(proj, ".gitignore", "build/\n*.sqlite\n");
	put(own, "50-mine.conf", "[x]\n");
	put(audit, "", "");
	if (sh_in(proj, "git init -q && git -c user.name=t -c user.email=t@t add tracked.c modified.c seed.db "
			".gitignore && git -c user.name=t -c user.email=t@t commit -qm first"))
		return -1;
	put(proj, "modified.c", "int y = 2; /* not committed */\n");
	return 0;
}

struct row {
	char kind;          /* r w a t c: open; u: unlink, d: rmdir, m: rename */
	const char *path;   /* relative to home, or absolute */
	const char *to;     /* rename */
	const char *process; /* the calling program */
	int action;
	const char *rule;
};

static const char *abs_of(char *buf, size_t cap, const char *p)
{
	if (p[0] == '/')
		return p;
	snprintf(buf, cap, "%s/%s", home, p);
	return buf;
}

static void run_row(struct il_snap_view *v, const struct row *r, size_t i)
{
	char *envp[] = { 0, 0 };
	char henv[400];
	snprintf(henv, sizeof henv, "HOME=%s", home);
	envp[0] = henv;
	struct il_facts f = { envp, 0, 1, r->process, 0, 0, 0, 0 };
	struct il_arena a;
	il_arena_init(&a, scratch, sizeof scratch);
	struct il_verdict out;
	char b1[600], b2[600];
	const char *path = abs_of(b1, sizeof b1, r->path);
	if (strchr("rwatc", r->kind)) {
		unsigned acc = r->kind == 'r' ? IL_A_READ : r->kind == 't' ? IL_A_WRITE | IL_A_TRUNCATE
						  : r->kind == 'c' ? IL_A_WRITE | IL_A_CREATE : IL_A_WRITE;
		struct il_open_op op = { path, path, 0, acc, r->kind == 'a', 0, 0, 0 };
		il_judge_open(v, &op, &f, &a, &out);
	} else {
		struct il_delete_op op = { path, 0, r->to ? abs_of(b2, sizeof b2, r->to) : 0,
					   r->kind == 'd' ? IL_DEL_RMDIR : r->kind == 'm' ? IL_DEL_RENAME : IL_DEL_UNLINK, 0, 0, 0 };
		il_judge_delete(v, &op, &f, &a, &out);
	}
	int rule_ok = r->rule ? out.rule_id && !strcmp(out.rule_id, r->rule) : out.action == IL_ALLOW;
	CHECK(out.action == r->action && rule_ok, "row %zu (%c %s): got %s %s, want %s %s", i, r->kind, r->path,
	      il_action_name(out.action), out.rule_id ? out.rule_id : "-", il_action_name(r->action),
	      r->rule ? r->rule : "-");
	CHECK(out.action == IL_ALLOW || (out.what && out.argv && out.event), "row %zu: the verdict says what it was", i);
}

/* The patterns are decoded on first use into memory the host gives. */
static void *get_mem(size_t n)
{
	return malloc(n);
}

static void test_judges(struct il_ruleset *rs)
{
	char protect[1024];
	snprintf(protect, sizeof protect, "%s\n%s\n", own, audit);
	struct il_session_meta m = { .session = "s", .home = home, .audit = audit, .protect = protect };
	void *blob;
	size_t len;
	struct il_snap_view v;
	if (il_snapshot_build(rs, &m, &blob, &len) || il_snap_open(&v, blob, len)) {
		CHECK(0, "snapshot with a session");
		return;
	}
	v.get_mem = get_mem;
	char own_conf[400], own_new[400], tfile[400];
	snprintf(own_conf, sizeof own_conf, "%s/50-mine.conf", own);
	snprintf(own_new, sizeof own_new, "%s/50-new.conf", own);
	snprintf(tfile, sizeof tfile, "/tmp/il-judges-free/x");
	const struct row rows[] = {
		/* opens */
		{ 'r', ".ssh/id_ed25519", 0, 0, IL_CONFIRM, "cred-ssh-private-key" },
		{ 'r', ".ssh/id_rsa", 0, 0, IL_ALLOW, 0 }, /* not there: nothing to read */
		{ 'r', ".ssh/id_ed25519", 0, "ssh", IL_ALLOW, 0 }, /* ssh reads its own key */
		{ 't', "proj/app.db", 0, 0, IL_CONFIRM, "data-truncate-database" },
		{ 'w', "proj/.git/config", 0, 0, IL_CONFIRM, "data-git-internals" },
		{ 'w', "proj/.git/config", 0, "git", IL_ALLOW, 0 },
		{ 'w', "proj/tracked.c", 0, 0, IL_ALLOW, 0 },
		{ 'w', own_conf, 0, 0, IL_DENY, "self-protection" },
		{ 'c', own_new, 0, 0, IL_DENY, "self-protection" },
		{ 'a', audit, 0, 0, IL_DENY, "self-protection" },
		{ 'r', own_conf, 0, 0, IL_ALLOW, 0 },
		/* deletes and renames */
		{ 'u', "proj/tracked.c", 0, 0, IL_ALLOW, 0 },      /* git has it */
		{ 'u', "proj/tracked.c", 0, "rm", IL_ALLOW, 0 },
		{ 'u', "proj/modified.c", 0, 0, IL_CONFIRM, "delete-uncommitted" },
		{ 'u', "proj/modified.c", 0, "rm", IL_CONFIRM, "delete-uncommitted" }, /* rm's waiver ends at loss */
		{ 'u', "proj/modified.c", 0, "git", IL_ALLOW, 0 },
		{ 'u', "proj/untracked.txt", 0, 0, IL_CONFIRM, "delete-untracked" },
		{ 'u', "proj/untracked.txt", 0, "rm", IL_CONFIRM, "delete-untracked" },
		{ 'u', "proj/build/out.o", 0, 0, IL_ALLOW, 0 },
		{ 'u', "proj/app.db", 0, 0, IL_CONFIRM, "delete-database" },
		{ 'u', "proj/seed.db", 0, 0, IL_ALLOW, 0 },            /* tracked, unmodified */
		{ 'u', "proj/test-cache.sqlite", 0, 0, IL_ALLOW, 0 }, /* ignored, a scratch name */
		{ 'u', "proj/.git/config", 0, 0, IL_CONFIRM, "delete-git-tree" },
		{ 'u', "proj/.git/config", 0, "rm", IL_CONFIRM, "delete-git-tree" },
		{ 'u', "/etc/hostname", 0, 0, IL_CONFIRM, "delete-system" },
		{ 'u', "/etc/hostname", 0, "rm", IL_ALLOW, 0 }, /* rm's command line weighs system paths */
		{ 'u', ".ssh/id_ed25519", 0, 0, IL_CONFIRM, "delete-credential" },
		{ 'u', "Documents/notes.txt", 0, 0, IL_CONFIRM, "delete-home" },
		{ 'd', "Documents", 0, 0, IL_CONFIRM, "delete-home" },
		{ 'd', "proj/build", 0, 0, IL_ALLOW, 0 },
		{ 'u', tfile, 0, 0, IL_ALLOW, 0 },
		{ 'm', "proj/app.db", "proj/app.db.bak", 0, IL_ALLOW, 0 }, /* still a database by its name */
		{ 'm', "proj/app.db", "proj/app.old", 0, IL_CONFIRM, "delete-database" }, /* sheds it */
		{ 'm', ".ssh/id_ed25519", ".ssh/x.pub", 0, IL_CONFIRM, "delete-credential" },
		{ 'm', "proj/.git", "proj/old-git", 0, IL_CONFIRM, "delete-git-tree" },
		{ 'm', "proj/.git/config", "proj/.git/config.bak", 0, IL_ALLOW, 0 },
		{ 'm', "proj/tracked.c", tfile, 0, IL_ALLOW, 0 },
		{ 'm', "proj/modified.c", tfile, 0, IL_CONFIRM, "delete-uncommitted" },
		{ 'm', "proj/modified.c", "proj/renamed.c", 0, IL_ALLOW, 0 }, /* stays in its tree */
		{ 'u', own_conf, 0, "rm", IL_DENY, "self-protection" }, /* rm's waiver stops short of ours */
		{ 'm', tfile, own_new, 0, IL_DENY, "self-protection" },
		{ 'd', own, 0, 0, IL_DENY, "self-protection" },
		{ 'm', home, tfile, 0, IL_DENY, "self-protection" }, /* interlock's config is in it */
		{ 'm', "Documents", tfile, 0, IL_CONFIRM, "delete-home" },
		{ 'u', "proj/build", 0, 0, IL_ALLOW, 0 }, /* unlink of a directory: the kernel says EISDIR */
		{ 'm', "proj/build", tfile, 0, IL_ALLOW, 0 },
		{ 'u', "proj/.git", 0, 0, IL_ALLOW, 0 },
		{ 'd', "proj/.git", 0, 0, IL_CONFIRM, "delete-git-tree" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		run_row(&v, &rows[i], i);
	/* connects, by name through the profile the session runs in */
	static const struct {
		const char *host, *profile;
		int action;
	} nets[] = {
		{ "db.prod.example.com", "staging", IL_DENY },
		{ "db.prod.example.com", 0, IL_ALLOW },
		{ "db.staging.example.com", "staging", IL_ALLOW },
		{ "api.fly.io", "offline", IL_DENY },
	};
	for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
		char *envp[] = { 0 };
		struct il_net_event ev = { .envp = envp, .port = 443, .family = 2, .host = nets[i].host,
					   .profile = nets[i].profile };
		struct il_arena a;
		il_arena_init(&a, scratch, sizeof scratch);
		struct il_verdict out;
		il_judge_connect(&v, &ev, &a, &out);
		CHECK(out.action == nets[i].action, "connect %s (%s): got %s", nets[i].host,
		      nets[i].profile ? nets[i].profile : "no profile", il_action_name(out.action));
		CHECK(out.action == IL_ALLOW || (out.what && strstr(out.what, nets[i].host)), "connect %zu: its words", i);
	}
	free(blob);
}

/* The confirmation request: what the preload writes, the broker reads. */
static void test_wire(void)
{
	char buf[512];
	size_t n = 0;
	n = il_wire_put(buf, n, sizeof buf, IL_W_VERSION, IL_WIRE_VERSION);
	n = il_wire_put(buf, n, sizeof buf, IL_W_COMMAND, "rm -rf x\ny");
	n = il_wire_put(buf, n, sizeof buf, IL_W_ARG, "a\nb\\c");
	buf[n] = 0;
	CHECK(!strcmp(buf, "v=1\ncommand=rm -rf x y\narg=a\\nb\\\\c\n"), "lines: %s", buf);
	CHECK(il_wire_key("command") == IL_W_COMMAND && il_wire_key("arg") == IL_W_ARG && il_wire_key("chain") < 0,
	      "keys by name");
	char arg[] = "a\\nb\\\\c";
	il_wire_unescape(arg);
	CHECK(!strcmp(arg, "a\nb\\c"), "an arg value back as it was");
	CHECK(il_wire_put(buf, 0, 8, IL_W_WHY, "far too long for eight bytes") == 0, "the whole line or nothing");
	const char *r = il_answer_reply(IL_ANS_TIMEOUT);
	CHECK(r && il_answer_parse(r, strlen(r)) == IL_ANS_TIMEOUT, "a reply and back");
	CHECK(il_answer_parse("allow once\n", 11) == IL_ANS_ONCE, "with its newline");
	CHECK(il_answer_parse("allow onceX", 11) == IL_ANS_NO_BROKER, "a reply is matched whole, not by prefix");
	CHECK(!il_answer_allows(il_answer_parse("allow", 5)), "anything unknown is a no");
}

int main(int argc, char **argv)
{
	test_wire();
	if (argc < 2 || make_tree() != 0) {
		fprintf(stderr, "usage: test_judges RULES_DIR (and git on PATH)\n");
		return 1;
	}
	struct il_ruleset rs = { 0 };
	char *dirs[] = { argv[1], 0 };
	if (il_ruleset_load(&rs, dirs)) {
		fprintf(stderr, "rules do not load\n");
		return 1;
	}
	test_judges(&rs);
	il_ruleset_free(&rs);
	char rm[400];
	snprintf(rm, sizeof rm, "rm -rf '%s'", root);
	if (system(rm) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	printf("%d passed, %d failed\n", checks - failures, failures);
	return failures != 0;
}
