/* How the engine reads an exec beyond its argv (issue 21), with the
 * shipped rules (argv[1]) and files in a temp dir: the program a symlink
 * runs, the options a client reads from its config files and its stdin,
 * the environment a shell string or a wrapper sets, a saved terraform
 * plan, arithmetic and option values that only look like commands and
 * options, and which program a process is for the exemptions by name.
 *
 *     test_exec_facts RULES_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "engine_int.h"
#include "ruleset.h"

static char root[256], repo[300];
static const char *cwd_now; /* where the judged lines run */
static char scratch[8 << 20];
static struct il_snap_view view;

static void put(const char *name, const char *text)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", root, name);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static const char *in_root(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", root, name);
	return buf;
}

/* The verdict's rule id for a shell line run in root ("-" when allowed). */
static const char *verdict(const char *line, char **envp)
{
	struct il_arena a;
	il_arena_init(&a, scratch, sizeof scratch);
	struct il_exec_event ev = { 0 };
	ev.envp = envp;
	ev.cwd = cwd_now;
	struct il_verdict v;
	il_decide_shell(&view, line, &ev, &a, &v, -1);
	static char id[128];
	snprintf(id, sizeof id, "%s", v.action >= IL_CONFIRM ? (v.rule_id ? v.rule_id : "?") : "-");
	return id;
}

/* The index of the rule called id, or -1. */
static int rule_index(const char *id)
{
	for (uint32_t i = 0; i < view.hdr->nrules; i++)
		if (!strcmp(il_snap_str(&view, il_snap_rule(&view, i)->id), id))
			return (int)i;
	return -1;
}

/* Does rule id (alone) stop the line? Other rules being written may judge
 * the same command by other facts. */
static void expect_rule(const char *line, const char *id, int hit)
{
	struct il_arena a;
	il_arena_init(&a, scratch, sizeof scratch);
	char henv[300];
	snprintf(henv, sizeof henv, "HOME=%s/home", root);
	char *envp[] = { henv, 0 };
	struct il_exec_event ev = { 0 };
	ev.envp = envp;
	ev.cwd = cwd_now;
	struct il_verdict v;
	int ri = rule_index(id);
	il_decide_shell(&view, line, &ev, &a, &v, ri);
	CHECK(ri >= 0 && (v.action >= IL_CONFIRM) == hit, "%s: rule %s %s", line, id, hit ? "must stop it" : "must not");
}

static void expect(const char *line, const char *want)
{
	char henv[300];
	snprintf(henv, sizeof henv, "HOME=%s/home", root);
	char *envp[] = { henv, "PATH=/usr/bin:/bin", 0 };
	const char *got = verdict(line, envp);
	CHECK(!strcmp(got, want), "%s\n   got  %s\n   want %s", line, got, want);
}

/* The verdict of one exec (an argv, a path, a symlink target). */
static const char *exec_verdict(const char *path, const char *real, const char *const *argv, char **envp)
{
	struct il_arena a;
	il_arena_init(&a, scratch, sizeof scratch);
	struct il_exec_event ev = { 0 };
	ev.path = path;
	ev.argv = (char *const *)argv;
	ev.envp = envp;
	ev.cwd = root;
	ev.real = real;
	struct il_verdict v;
	il_decide_exec(&view, &ev, &a, &v);
	static char id[128];
	snprintf(id, sizeof id, "%s", v.action >= IL_CONFIRM ? (v.rule_id ? v.rule_id : "?") : "-");
	return id;
}

/* -------------------------------------------------- parsing like bash */

/* In a work tree with an uncommitted change, where the git rules that
 * judge by loss have something to lose. */
static void test_parsing(void)
{
	cwd_now = repo;
	expect_rule("git checkout -bfix", "git-checkout-force", 0);
	expect_rule("git checkout -qbfeature-x main", "git-checkout-force", 0);
	expect_rule("git checkout -b force", "git-checkout-force", 0);
	expect_rule("git checkout -fb hotfix", "git-checkout-force", 1);
	expect_rule("git checkout -qfbfix", "git-checkout-force", 1);
	expect("git checkout -bfix", "-"); /* and no rule judging by loss reads -f in it */
	expect("git checkout -qbfeature-x main", "-");
	expect("git checkout -f", "git-checkout-force");
	expect("git switch -cfoo", "-");
	expect("git restore --help", "-");
	expect("git restore -h", "-");
	expect("git restore src/main.c", "git-restore-worktree");
	expect("git restore -- --help", "git-restore-worktree"); /* a file called --help */
	expect("git push --help --force", "-");
	expect("git push -o --help --force origin main", "git-push-force");
	expect("echo $(( reboot + 1 ))", "-");
	expect("echo \"$((halt*2))\"", "-");
	expect("(( reboot ))", "-");
	expect("for ((i = 0; i < 3; i++)); do echo $i; done", "-");
	expect("echo $(( $(reboot) + 1 ))", "system-shutdown");
	expect("echo $( (reboot) )", "system-shutdown");
	expect("((x = $(rm -rf /)))", "fs-rm-root");
	expect("find . -exec echo -delete \\;", "-");
	expect("find /etc -name '*.bak' -exec echo -delete {} +", "-");
	expect("find /etc -delete", "fs-find-delete-system");
	expect("find /etc -exec rm -f {} +", "fs-find-delete-system");
	cwd_now = root;
}

/* ---------------------------------- indirection: env, config, stdin, plans */

static void test_environment(void)
{
	expect("TF_CLI_ARGS=-destroy terraform apply", "tf-cli-args-destroy");
	expect("export TF_CLI_ARGS_apply=-destroy; terraform apply", "tf-cli-args-destroy");
	expect("TF_CLI_ARGS_apply=-destroy; terraform apply", "-");
	expect("TF_CLI_ARGS_apply=-destroy; export TF_CLI_ARGS_apply; cd x && terraform apply", "tf-cli-args-destroy");
	expect("env TF_CLI_ARGS=-destroy terraform apply", "tf-cli-args-destroy");
	expect("TF_CLI_ARGS=-destroy terraform plan", "-");
	expect("echo TF_CLI_ARGS=-destroy terraform apply", "-");
	/* the exec's own environment */
	char henv[300];
	snprintf(henv, sizeof henv, "HOME=%s/home", root);
	char *envp[] = { henv, "TF_CLI_ARGS_apply=-auto-approve -destroy", 0 };
	const char *argv[] = { "terraform", "apply", 0 };
	CHECK(!strcmp(exec_verdict("/usr/bin/terraform", 0, argv, envp), "tf-cli-args-destroy"),
	      "terraform apply with TF_CLI_ARGS_apply in its environment");
	char *quiet[] = { henv, "TF_CLI_ARGS=-no-color", 0 };
	CHECK(!strcmp(exec_verdict("/usr/bin/terraform", 0, argv, quiet), "-"), "an unrelated TF_CLI_ARGS");
	expect("terraform plan -destroy -out=p && terraform apply p", "tf-apply-destroy");
	expect("terraform plan -out=p && terraform apply p", "-");
	expect("terraform plan -destroy -out=p; terraform apply q", "-");
}

static void test_client_config(void)
{
	put("del.cfg", "# delete it\nrequest = \"DELETE\"\nsilent\n");
	put("get.cfg", "request = GET\nurl https://api.example.com/items\n");
	put("short.cfg", "-X DELETE\n");
	put("dbq.cfg", "url: \"https://es.example.com/logs/_delete_by_query\"\n");
	expect("curl -K del.cfg https://api.example.com/items/7", "http-delete-curl");
	expect("curl --config=short.cfg https://api.example.com/items/7", "http-delete-curl");
	expect("curl -sK del.cfg https://api.example.com/items/7", "http-delete-curl");
	expect("curl -K get.cfg", "-");
	expect("curl -K missing.cfg https://api.example.com/items/7", "-");
	expect("curl -K dbq.cfg -d '{}'", "http-delete-endpoint");
	expect("curl -K - https://api.example.com/items/7 <<'EOF'\nrequest = DELETE\nEOF", "http-delete-curl");
	expect("curl -K - https://api.example.com/items/7 <<< 'request = DELETE'", "http-delete-curl");
	expect("echo 'request = DELETE' | curl -K - https://api.example.com/items/7", "http-delete-curl");
	expect("cat <<EOF | curl -K - https://api.example.com/items/7\n-X DELETE\nEOF", "http-delete-curl");
	expect("echo 'request = GET' | curl -K - https://api.example.com/items/7", "-");
	expect("printf 'request = %s\\n' DELETE | curl -K - https://api.example.com/items/7", "http-delete-curl");
	expect("printf '%s = %s\\n' url https://h/x request DELETE | curl -K -", "http-delete-curl");
	expect("echo -e 'silent\\nrequest = DELETE' | curl -K - https://api.example.com/items/7", "http-delete-curl");
	expect("echo 'silent request = DELETE' | curl -K - https://api.example.com/items/7", "-");
	expect("echo 'request = DELETE' || curl -K - https://api.example.com/items/7", "-");
	put("home/.curlrc", "request = DELETE\n");
	expect("curl https://api.example.com/items/7", "http-delete-curl");
	expect("curl -q https://api.example.com/items/7", "-");
	unlink(in_root((char[512]){ 0 }, 512, "home/.curlrc"));
	expect("curl https://api.example.com/items/7", "-");
	put("home/.wgetrc", "Method = DELETE\n");
	expect("wget -q -O- https://api.example.com/items/7", "http-delete-wget");
	unlink(in_root((char[512]){ 0 }, 512, "home/.wgetrc"));
	expect("wget -e method=DELETE https://api.example.com/items/7", "http-delete-wget");
	expect("wget -e robots=off https://api.example.com/items/7", "-");
	/* a body from a here-document */
	expect("curl -X POST https://api.example.com/graphql --data-binary @- <<'EOF'\n"
	       "{\"query\":\"mutation { volumeDelete(volumeId: \\\"v1\\\") }\"}\nEOF",
	       "graphql-destructive-mutation");
}

/* ------------------------------------------------------------- symlinks */

static void test_symlinks(void)
{
	char g[512], zap[512], zap2[512], buf[4096];
	int missing;
	in_root(g, sizeof g, "g");
	in_root(zap, sizeof zap, "zap");
	in_root(zap2, sizeof zap2, "zap2");
	CHECK(symlink("/usr/bin/git", g) == 0 && symlink("/bin/rm", zap) == 0 && symlink("zap", zap2) == 0,
	      "symlinks made");
	const char *r = il_exec_real(g, 0, 0, buf, sizeof buf, &missing);
	CHECK(r && !strcmp(r, "/usr/bin/git") && !missing, "g leads to git: %s", r ? r : "(none)");
	r = il_exec_real("zap2", root, 0, buf, sizeof buf, &missing);
	CHECK(r && !strcmp(il_basename(r), "rm"), "a chain, relative to cwd: %s", r ? r : "(none)");
	CHECK(!il_exec_real("/usr/bin/env", 0, 0, buf, sizeof buf, &missing) && !missing, "a plain file: no link");
	CHECK(!il_exec_real("/nonexistent/x", 0, 0, buf, sizeof buf, &missing) && missing, "missing is told");
	const char *reset[] = { g, "reset", "--hard", 0 };
	CHECK(!strcmp(exec_verdict(g, "/usr/bin/git", reset, 0), "git-reset-hard"), "a symlink to git is git");
	CHECK(!strcmp(exec_verdict(g, 0, reset, 0), "-"), "without the fact: unknown name g");
	const char *rmrf[] = { zap, "-rf", "/", 0 };
	CHECK(!strcmp(exec_verdict(zap, "/usr/bin/rm", rmrf, 0), "fs-rm-root"), "a symlink to rm is rm");
	/* made earlier in the same command line: a link or a copy */
	expect("ln -s /usr/bin/git /tmp/g; /tmp/g reset --hard", "git-reset-hard");
	expect("cp /bin/rm ./zap && ./zap -rf /", "fs-rm-root");
	expect("ln -sf /bin/rm /tmp/ && /tmp/rm -rf /", "fs-rm-root");
	expect("ln -s /usr/bin/git g; ln -s g g2; ./g2 reset --hard", "git-reset-hard");
	expect("ln -s /usr/bin/git /tmp/g; /tmp/g status", "-");
	expect("cp /bin/rm ./zap && ./zap -f x.o", "-");
	expect("cp /bin/rm ./zap; zap -rf /", "-"); /* a bare name is found on PATH */
	/* busybox-style: argv[0] still names the applet */
	const char *applet[] = { "rm", "-rf", "/", 0 };
	CHECK(!strcmp(exec_verdict("/bin/rm", "/bin/busybox", applet, 0), "fs-rm-root"), "argv[0] of a multi-call binary");
}

/* ------------------------------------------------------ program names */

static void test_program_names(void)
{
	char aws[512], mine[512], copy[512], npm[512];
	in_root(aws, sizeof aws, "bin/aws");
	in_root(mine, sizeof mine, "mine.py");
	in_root(npm, sizeof npm, "bin/npm");
	char *plain[] = { "HOME=/h", 0 };
	const char *py_aws[] = { "python3", aws, "s3", "ls", 0 };
	const char *py_flags[] = { "python3", "-s", "-W", "ignore", aws, 0 };
	const char *py_mine[] = { "python3", mine, 0 };
	const char *py_c[] = { "python3", "-c", "print(1)", aws, 0 };
	const char *py_m[] = { "python3", "-Im", "awscli", 0 };
	const char *node_npm[] = { "node", npm, "config", "get", "registry", 0 };
	const char *ssh[] = { "ssh", "host", 0 };
	const char *n;
	n = il_program_name(&view, "/usr/bin/python3.11", py_aws, plain, 0);
	CHECK(n && !strcmp(n, "aws"), "python3 /usr/bin/aws is aws: %s", n ? n : "(none)");
	n = il_program_name(&view, "/usr/bin/python3.11", py_flags, plain, 0);
	CHECK(n && !strcmp(n, "aws"), "past -s and -W VALUE: %s", n ? n : "(none)");
	n = il_program_name(&view, "/usr/bin/python3.11", py_mine, plain, 0);
	CHECK(n && !strcmp(n, "mine.py"), "python3 mine.py: %s", n ? n : "(none)");
	n = il_program_name(&view, "/usr/bin/python3", py_c, plain, 0);
	CHECK(n && !strcmp(n, "python3"), "python3 -c is python3: %s", n ? n : "(none)");
	n = il_program_name(&view, "/usr/bin/python3", py_m, plain, 0);
	CHECK(n && !strcmp(n, "python3"), "python3 -m is python3: %s", n ? n : "(none)");
	n = il_program_name(&view, "/usr/bin/node", node_npm, plain, 0);
	CHECK(n && !strcmp(n, "npm"), "node /usr/bin/npm is npm: %s", n ? n : "(none)");
	n = il_program_name(&view, "/usr/bin/ssh", ssh, plain, 0);
	CHECK(n && !strcmp(n, "ssh"), "a binary is its exe: %s", n ? n : "(none)");
	char *pypath[] = { "HOME=/h", "PYTHONPATH=/tmp/evil", 0 };
	CHECK(!il_program_name(&view, "/usr/bin/python3.11", py_aws, pypath, 0), "PYTHONPATH loads other code");
	char *nodeopt[] = { "NODE_OPTIONS=--require /tmp/x.js", 0 };
	CHECK(!il_program_name(&view, "/usr/bin/node", node_npm, nodeopt, 0), "NODE_OPTIONS loads other code");
	char *req[] = { "NODE_OPTIONS=--max-old-space-size=4096 -r /tmp/x.js", 0 };
	CHECK(!il_program_name(&view, "/usr/bin/node", node_npm, req, 0), "NODE_OPTIONS with -r");
	char *heap[] = { "NODE_OPTIONS=--max-old-space-size=4096 --report-on-signal", 0 };
	n = il_program_name(&view, "/usr/bin/node", node_npm, heap, 0);
	CHECK(n && !strcmp(n, "npm"), "NODE_OPTIONS that loads nothing: %s", n ? n : "(none)");
	char *stdbuf[] = { "LD_PRELOAD=/usr/libexec/coreutils/libstdbuf.so", 0 };
	n = il_program_name(&view, "/usr/bin/ssh", ssh, stdbuf, 0);
	CHECK(n && !strcmp(n, "ssh"), "stdbuf's preload: %s", n ? n : "(none)");
	/* made in the session: a copy, a hard link (its ctime), an edit */
	in_root(copy, sizeof copy, "bin/ssh");
	put("bin/ssh", "#!/bin/sh\n");
	CHECK(!il_program_name(&view, copy, ssh, plain, 0), "a program file made in the session");
	char hard[512];
	in_root(hard, sizeof hard, "bin/aws-link");
	CHECK(link(aws, hard) == 0, "hard link made");
	const char *py_aws2[] = { "python3", aws, 0 };
	CHECK(!il_program_name(&view, "/usr/bin/python3", py_aws2, plain, 0), "a hard link made now changes its ctime");
	n = il_program_name(&view, "/usr/bin/python3", py_mine, plain, 0);
	CHECK(n != 0, "an untouched script keeps its name");
	FILE *f = fopen(mine, "a");
	if (f) {
		fputs("# edited\n", f);
		fclose(f);
	}
	CHECK(!il_program_name(&view, "/usr/bin/python3", py_mine, plain, 0), "a script edited in the session");
}

/* The patterns are decoded on first use into memory the host gives. */
static void *get_mem(size_t n)
{
	return malloc(n);
}

static int make_root(void)
{
	snprintf(root, sizeof root, "/tmp/il-exec-facts-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	char p[512];
	mkdir(in_root(p, sizeof p, "home"), 0700);
	mkdir(in_root(p, sizeof p, "bin"), 0700);
	mkdir(in_root(p, sizeof p, "x"), 0700);
	put("bin/aws", "#!/usr/bin/python3\n");
	put("bin/npm", "#!/usr/bin/env node\n");
	put("mine.py", "print(1)\n");
	snprintf(repo, sizeof repo, "%s/repo", root);
	char cmd[1024];
	snprintf(cmd, sizeof cmd,
		 "mkdir -p '%s/src' && cd '%s' && git init -q && echo a > src/main.c && echo a > ./--help && "
		 "git add src/main.c ./--help && git -c user.name=t -c user.email=t@t commit -qm first && "
		 "echo b > src/main.c && echo b > ./--help",
		 repo, repo);
	cwd_now = root;
	return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc < 2 || make_root() < 0) {
		fprintf(stderr, "usage: test_exec_facts RULES_DIR (and a writable /tmp)\n");
		return 1;
	}
	struct il_ruleset rs = { 0 };
	char *dirs[] = { argv[1], 0 };
	if (il_ruleset_load(&rs, dirs)) {
		fprintf(stderr, "rules do not load\n");
		return 1;
	}
	/* the session starts after the files above were made (the clock the
	 * session start and file times share is the coarse one) */
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	nanosleep(&pause, 0);
	struct il_session_meta meta = { .session = "test", .protect = "/opt/interlock/libinterlock.so" };
	void *blob;
	size_t len;
	if (il_snapshot_build(&rs, &meta, &blob, &len) || il_snap_open(&view, blob, len)) {
		fprintf(stderr, "snapshot fails\n");
		return 1;
	}
	view.get_mem = get_mem;
	nanosleep(&pause, 0);
	test_parsing();
	test_environment();
	test_client_config();
	test_symlinks();
	test_program_names();
	il_ruleset_free(&rs);
	free(blob);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	printf("%d passed, %d failed\n", checks - failures, failures);
	return failures != 0;
}
