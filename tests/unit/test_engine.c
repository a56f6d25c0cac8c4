/* Unit tests of the engine's pure parts: paths, globs, argument scanning,
 * shell splitting and peeling, against the shipped program traits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "engine_int.h"
#include "ruleset.h"

static char mem[1 << 20];

static void test_paths(void)
{
	struct il_arena a;
	il_arena_init(&a, mem, sizeof mem);
	struct { const char *cwd, *p, *want; } t[] = {
		{ "/home/u/p", "..", "/home/u" },
		{ "/home/u/p", "../..", "/home" },
		{ "/home/u/p", "../../../../..", "/" },
		{ "/home/u/p", ".", "/home/u/p" },
		{ "/home/u/p", "./build/", "/home/u/p/build" },
		{ "/", "usr", "/usr" },
		{ "/x", "/a//b/./c/../d", "/a/b/d" },
		{ "/x", "/", "/" },
		{ "/x", "//", "/" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		const char *got = il_path_abs(&a, t[i].cwd, t[i].p);
		CHECK(got && !strcmp(got, t[i].want), "abs(%s, %s) = %s, want %s", t[i].cwd, t[i].p, got, t[i].want);
	}
	const char *home = "/home/u";
	CHECK(il_path_predicates("/", IL_P_ROOT, home, 0) == IL_P_ROOT, "root");
	CHECK(il_path_predicates("/home", IL_P_HOME, home, 0) == IL_P_HOME, "/home is an ancestor of home");
	CHECK(il_path_predicates("/home/u", IL_P_HOME, home, 0) == IL_P_HOME, "home");
	CHECK(il_path_predicates("/home/u2", IL_P_HOME, home, 0) == 0, "/home/u2 is not home");
	CHECK(il_path_predicates("/home/u/p", IL_P_HOME, home, 0) == 0, "below home is not home");
	CHECK(il_path_predicates("/home/u/p", IL_P_HOME_CHILD, home, 0) == IL_P_HOME_CHILD, "home child");
	CHECK(il_path_predicates("/home/u/.cache", IL_P_HOME_CHILD, home, 0) == 0, "dot dirs are not home children");
	CHECK(il_path_predicates("/usr/lib", IL_P_SYSTEM, home, 0) == IL_P_SYSTEM, "/usr/lib is system");
	CHECK(il_path_predicates("/var/lib/postgresql", IL_P_SYSTEM, home, 0) == IL_P_SYSTEM, "/var/lib/x is system");
	CHECK(il_path_predicates("/var/tmp/x", IL_P_SYSTEM, home, 0) == 0, "/var/tmp/x is not system");
	CHECK(il_path_predicates("/tmp/x", IL_P_SYSTEM, home, 0) == 0, "/tmp/x is not system");
	CHECK(il_path_predicates("/tmp", IL_P_SYSTEM, home, 0) == IL_P_SYSTEM, "/tmp itself is system");
	CHECK(il_path_predicates("/a/.git/config", IL_P_GIT_DIR, home, 0) == IL_P_GIT_DIR, "in .git");
	CHECK(il_path_predicates("/a/.github", IL_P_GIT_DIR, home, 0) == 0, ".github is not .git");
	CHECK(il_path_predicates("/dev/sda1", IL_P_BLOCK_DEVICE, home, 0) == IL_P_BLOCK_DEVICE, "sda1");
	CHECK(il_path_predicates("/dev/null", IL_P_BLOCK_DEVICE, home, 0) == 0, "null is not a disk");
}

static void test_glob(void)
{
	CHECK(il_glob_match("mkfs.*", "mkfs.ext4"), "mkfs.*");
	CHECK(!il_glob_match("mkfs.*", "mkfs"), "mkfs.* vs mkfs");
	CHECK(il_glob_match("git", "git"), "literal");
	CHECK(il_glob_match("py[0-9]*", "py3x"), "class");
	CHECK(!il_glob_match("py[!0-9]", "py3"), "negated class");
	CHECK(il_glob_match("*a*b", "xxaxxb"), "stars");
}

/* Peels a shell line with the shipped traits and returns the commands as
 * "name|cwd" strings joined by ';'. */
static struct il_snap_view view;

static const char *peel_line(const char *line, const char *cwd)
{
	static char out[4096];
	static char scratch[1 << 20];
	struct il_arena a;
	il_arena_init(&a, scratch, sizeof scratch);
	struct il_cmdlist list = { 0 };
	char *envp[] = { "HOME=/home/u", "X=value", 0 };
	struct il_peel_ctx pc = { .snap = &view, .a = &a, .envp = envp, .out = &list, .budget = 4096 };
	il_shell_parse(&pc, line, cwd, 0);
	out[0] = 0;
	for (int i = 0; i < list.n; i++) {
		char tmp[512] = "";
		size_t o = 0;
		for (int k = 0; k < list.v[i].argc && o < 400; k++)
			o += (size_t)snprintf(tmp + o, sizeof tmp - o, "%s%s", k ? " " : "", list.v[i].argv[k]);
		snprintf(out + strlen(out), sizeof out - strlen(out), "%s[%s]@%s", i ? ";" : "", tmp, list.v[i].cwd);
	}
	return out;
}

static void expect_peel(const char *line, const char *want)
{
	const char *got = peel_line(line, "/w");
	CHECK(!strcmp(got, want), "peel(%s)\n   got  %s\n   want %s", line, got, want);
}

static void test_peel(void)
{
	expect_peel("rm -rf x", "[rm -rf x]@/w");
	expect_peel("echo 'rm -rf /'", "[echo rm -rf /]@/w");
	expect_peel("cd /tmp && rm -rf y", "[rm -rf y]@/tmp");
	expect_peel("cd .. ; rm -rf y", "[rm -rf y]@/");
	expect_peel("a=1 b=2 rm -rf \"$X\"", "[rm -rf value]@/w");
	expect_peel("rm -rf ~ ${HOME}/x", "[rm -rf /home/u /home/u/x]@/w");
	expect_peel("ls $(rm -rf z) | wc -l", "[rm -rf z]@/w;[ls]@/w;[wc -l]@/w");
	expect_peel("echo hi > out.txt 2>&1; true", "[echo hi]@/w;[true]@/w");
	expect_peel("if true; then rm -r a; fi", "[true]@/w;[rm -r a]@/w");
	expect_peel("eval 'rm -rf q'", "[rm -rf q]@/w");
	expect_peel("command -v rm", "");
	expect_peel("exec rm -rf q", "[rm -rf q]@/w");
	/* here-documents: the body is data, but for what the shell runs in
	 * an unquoted one and a shell reading its script from it */
	expect_peel("cat > d.sh <<'EOF'\n#!/bin/sh\ngit push --force\nEOF\nchmod +x d.sh",
		    "[cat]@/w;[chmod +x d.sh]@/w");
	expect_peel("cat <<EOF\nrm -rf q\nEOF", "[cat]@/w");
	expect_peel("cat <<\"END\" >x; true\nrm -rf q\nEND\nls", "[cat]@/w;[true]@/w;[ls]@/w");
	expect_peel("cat <<EOF\n$(rm -rf q) `rm -rf r`\nEOF", "[cat]@/w;[rm -rf q]@/w;[rm -rf r]@/w");
	expect_peel("cat <<'EOF'\n$(rm -rf q)\nEOF", "[cat]@/w");
	expect_peel("cat <<-EOF\n\trm -rf q\n\tEOF\nrm -rf z", "[cat]@/w;[rm -rf z]@/w");
	expect_peel("cat <<A; cat <<B\nrm a\nA\nrm b\nB\nrm c", "[cat]@/w;[cat]@/w;[rm c]@/w");
	expect_peel("bash <<'EOF'\nrm -rf q\nEOF", "[bash]@/w;[rm -rf q]@/w");
	expect_peel("sh -s <<EOF\nrm -rf q\nEOF", "[sh -s]@/w;[rm -rf q]@/w");
	expect_peel("bash -c 'echo hi' <<EOF\nrm -rf q\nEOF", "[echo hi]@/w;[bash -c echo hi]@/w");
	expect_peel("git commit -F - <<<'rm -rf q'", "[git commit -F -]@/w");
	expect_peel("cat <<EOF\nno end", "[cat]@/w");
}

static void test_wrappers(void)
{
	/* These depend on the shipped [program] traits. */
	const char *got = peel_line("sudo -u root env -i FOO=1 nice -n 5 timeout 10 rm -rf /", "/w");
	CHECK(strstr(got, "[rm -rf /]"), "wrappers peeled: %s", got);
	got = peel_line("bash -c 'cd /usr && rm -rf lib'", "/w");
	CHECK(strstr(got, "[rm -rf lib]@/usr"), "bash -c with cd: %s", got);
	got = peel_line("find /srv -type f -exec rm -rf {} +", "/w");
	CHECK(strstr(got, "[rm -rf /srv]"), "find -exec over everything: %s", got);
	got = peel_line("find -L /srv -name x -exec rm -rf {} +", "/w");
	CHECK(strstr(got, "[rm -rf /srv/{}]"), "find -exec over selected files: %s", got);
	got = peel_line("flock /tmp/lock -c 'rm -rf /x'", "/w");
	CHECK(strstr(got, "[rm -rf /x]"), "flock -c after its file: %s", got);
	got = peel_line("git -C /repo reset --hard", "/w");
	CHECK(strstr(got, "[git -C /repo reset --hard]@/repo"), "git -C: %s", got);
	got = peel_line("xargs -0 -n 1 rm -rf", "/w");
	CHECK(strstr(got, "[rm -rf]"), "xargs: %s", got);
	got = peel_line("busybox rm -rf /x", "/w");
	CHECK(strstr(got, "[rm -rf /x]"), "busybox: %s", got);
}

/* unless-caller: the program by its exe, its words in order among its
 * arguments; a cmdline cut short loses its last (partial) word. */
static void test_caller(void)
{
	char cl[] = "git\0-C\0/repo\0worktree\0add\0-b\0x\0../wt";
	const char *vec[16];
	int n = il_caller_split(cl, sizeof cl, "/usr/lib/git-core/git", vec, 16);
	CHECK(n == 8 && !strcmp(vec[0], "git") && !strcmp(vec[1], "-C") && !strcmp(vec[7], "../wt"),
	      "split: %d words", n);
	CHECK(il_caller_matches("git worktree add", vec), "git worktree add");
	CHECK(il_caller_matches("rm x\ngit* worktree", vec), "second pattern, glob");
	CHECK(!il_caller_matches("git add worktree", vec), "order matters");
	CHECK(!il_caller_matches("sh worktree add", vec), "program must match");
	CHECK(!il_caller_matches("git worktree remove", vec), "every word");
	CHECK(il_caller_matches("git worktree add !--force !-f", vec), "no forbidden word");
	CHECK(!il_caller_matches("git worktree add !-b", vec), "a forbidden word anywhere");
	char cut[] = { 'g', 'i', 't', 0, 'w', 'o', 'r', 'k', 't', 'r', 'e', 'e', 0, 'a', 'd' };
	n = il_caller_split(cut, sizeof cut, "/usr/bin/git", vec, 8);
	CHECK(n == 2 && !il_caller_matches("git worktree add", vec), "a partial last word does not count (%d)", n);
	CHECK(il_caller_split(cl, sizeof cl, "", vec, 8) < 0, "no exe, no caller");
}

/* interlock's own files: names that could be ours, and the protected list
 * (an entry, what is inside it, and with ancestors what is above it). */
static void test_own_files(void)
{
	CHECK(il_own_file_name("/h/.config/interlock/rules.d/50-x.conf"), ".conf");
	CHECK(il_own_file_name("/s/interlock/audit.jsonl") && il_own_file_name("/x/rules.d"), "audit, rules.d");
	CHECK(il_own_file_name("/usr/lib/libinterlock.so") && il_own_file_name("/t/s/broker.sock"), "lib, socket");
	CHECK(!il_own_file_name("/tmp/f1.tmp") && !il_own_file_name("/tmp/x.done") && !il_own_file_name("a"), "others");
	CHECK(!il_own_file_name("/tmp/other.so") && !il_own_file_name("/tmp/clock"), "same last bytes, other names");
	const char *list = "/etc/interlock\n/h/.config/interlock\n/s/interlock/audit.jsonl\n/t/interlock-0/abc\n";
	CHECK(il_path_protected(list, "/h/.config/interlock", 0), "an entry");
	CHECK(il_path_protected(list, "/h/.config/interlock/rules.d/x.conf", 0), "inside an entry");
	CHECK(il_path_protected(list, "/t/interlock-0/abc/rules.snap", 0), "inside the last entry");
	CHECK(!il_path_protected(list, "/h/.config/interlock2/x", 0), "a sibling with the same prefix");
	CHECK(!il_path_protected(list, "/h/.config", 0), "above, without ancestors");
	CHECK(il_path_protected(list, "/h/.config", 1) && il_path_protected(list, "/s", 1), "above, with ancestors");
	CHECK(il_path_protected(list, "/", 1), "the root is above everything");
	CHECK(!il_path_protected(list, "/h/.conf", 1) && !il_path_protected(list, "/tmp", 1), "not above");
	CHECK(!il_path_protected(list, "/etc", 0) && il_path_protected(list, "/etc", 1), "/etc only with ancestors");
	CHECK(!il_path_protected("", "/x", 1) && !il_path_protected(0, "/x", 1), "an empty list");
}

/* What holds for every name inside a directory (il_dir_facts, which the
 * preload keeps for the next path in the same directory): checked against
 * the per-path answers it stands for. */
static void test_dir_facts(const struct il_ruleset *rs)
{
	const char *list = "/h/.config/interlock\n/tmp/interlock-0/abc\n";
	struct il_session_meta m = { .session = "s", .home = "/tmp/home", .protect = list };
	void *blob;
	size_t len;
	struct il_snap_view v;
	if (il_snapshot_build(rs, &m, &blob, &len) || il_snap_open(&v, blob, len)) {
		CHECK(0, "snapshot with a session");
		return;
	}
	CHECK((il_dir_facts(&v, "/tmp/x", 6) & (IL_DIR_TEMP | IL_DIR_OWN_FREE)) == (IL_DIR_TEMP | IL_DIR_OWN_FREE),
	      "a temp dir of nobody's");
	CHECK(!(il_dir_facts(&v, "/tmp", 4) & (IL_DIR_TEMP | IL_DIR_NOT_TEMP)), "/tmp holds HOME: it depends on the name");
	CHECK(!(il_dir_facts(&v, "/tmp", 4) & IL_DIR_OWN_FREE), "/tmp is above the session directory");
	CHECK(il_dir_facts(&v, "/tmp/home/p", 11) & IL_DIR_NOT_TEMP, "inside HOME is not temp");
	CHECK(il_dir_facts(&v, "/var/tmp", 8) & IL_DIR_TEMP, "/var/tmp");
	CHECK(il_dir_facts(&v, "/", 1) == IL_DIR_NOT_TEMP, "the root: nothing temp, above everything");
	CHECK(!(il_dir_facts(&v, "/h/.config/interlock/rules.d", 28) & IL_DIR_OWN_FREE), "inside ours");
	CHECK(il_dir_facts(&v, "/h/.config/interlock2", 21) & IL_DIR_OWN_FREE, "a sibling with the same prefix");
	const char *dirs[] = { "/", "/tmp", "/tmp/x", "/tmp/home", "/tmp/home/p", "/tmp/interlock-0", "/tmp/interlock-0/abc",
			       "/h", "/h/.config", "/h/.config/interlock", "/h/.config/interlock2", "/var/tmp", "/usr" };
	const char *names[] = { "a", "home", "interlock-0", "abc", "interlock", "interlock2", ".config", "x.conf" };
	int agree = 1;
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		unsigned f = il_dir_facts(&v, dirs[i], strlen(dirs[i]));
		for (size_t j = 0; j < sizeof names / sizeof names[0]; j++) {
			char p[256];
			snprintf(p, sizeof p, "%s/%s", strcmp(dirs[i], "/") ? dirs[i] : "", names[j]);
			int temp = il_temp_path(&v, p, 0), own = il_path_protected(list, p, 1);
			if (((f & IL_DIR_TEMP) && !temp) || ((f & IL_DIR_NOT_TEMP) && temp) || ((f & IL_DIR_OWN_FREE) && own)) {
				fprintf(stderr, "dir facts of %s (%u) do not hold for %s\n", dirs[i], f, p);
				agree = 0;
			}
		}
	}
	CHECK(agree, "the facts hold for every name tried");
	free(blob);
}

/* JSON strings as the audit log writes them: escapes, and bytes that are
 * not UTF-8 (overlong forms, surrogates, beyond U+10FFFF, stray
 * continuation bytes, a cut sequence) as the text \xHH. */
static void test_json_quote(void)
{
	static const struct { const char *in, *want; } t[] = {
		{ "plain", "\"plain\"" },
		{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
		{ "tab\tnl\ncr\r", "\"tab\\tnl\\ncr\\u000d\"" },
		{ "\x01\x7f", "\"\\u0001\\u007f\"" },
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },                      /* U+00E9 */
		{ "\xe2\x82\xac", "\"\xe2\x82\xac\"" },                    /* U+20AC */
		{ "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"" },           /* U+1F600 */
		{ "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"" },           /* U+10FFFF */
		{ "\xc0\x80", "\"\\\\xc0\\\\x80\"" },                 /* overlong NUL */
		{ "\xe0\x80\x80", "\"\\\\xe0\\\\x80\\\\x80\"" },       /* overlong */
		{ "\xed\xa0\x80", "\"\\\\xed\\\\xa0\\\\x80\"" },       /* a surrogate */
		{ "\xf4\x90\x80\x80", "\"\\\\xf4\\\\x90\\\\x80\\\\x80\"" }, /* above U+10FFFF */
		{ "\xf8", "\"\\\\xf8\"" },
		{ "\x80x", "\"\\\\x80x\"" },                            /* a stray continuation */
		{ "\xe2\x82", "\"\\\\xe2\\\\x82\"" },                   /* cut short */
	};
	char buf[256];
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		size_t n = il_json_quote(buf, sizeof buf, t[i].in);
		CHECK(n && !strcmp(buf, t[i].want), "json(%zu): got %s, want %s", i, n ? buf : "(none)", t[i].want);
	}
	CHECK(il_json_quote(buf, 4, "toolong") == 0, "a string that does not fit is refused, not cut");
}

int main(int argc, char **argv)
{
	test_json_quote();
	test_paths();
	test_own_files();
	test_glob();
	test_caller();
	if (argc > 1) {
		struct il_ruleset rs = { 0 };
		char *dirs[] = { argv[1], 0 };
		if (il_ruleset_load(&rs, dirs)) {
			fprintf(stderr, "rules do not load\n");
			return 1;
		}
		void *blob;
		size_t len;
		if (il_snapshot_build(&rs, 0, &blob, &len) || il_snap_open(&view, blob, len)) {
			fprintf(stderr, "snapshot fails\n");
			return 1;
		}
		test_peel();
		test_wrappers();
		test_dir_facts(&rs);
		il_ruleset_free(&rs);
		free(blob);
	}
	printf("%d passed, %d failed\n", checks - failures, failures);
	return failures != 0;
}
