/* The engine's git facts against git itself, in real repositories made
 * here: SHA-1 and SHA-256 of known inputs and a blob id; every path of a
 * table judged ignored or not by il_git_ignored and by `git check-ignore`;
 * each file's state (clean, modified, untracked, ignored) by
 * il_git_file_state and by `git status --porcelain --ignored`; lookups in
 * index versions 2, 3 and 4 as the index changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "engine_int.h"

static char root[256];

static void hex(const unsigned char *id, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", id[i]);
}

static void test_sha(void)
{
	struct il_sha s;
	unsigned char id[32];
	char h[65];
	il_sha_init(&s, 0);
	il_sha_update(&s, "abc", 3);
	hex(id, il_sha_final(&s, id), h);
	CHECK(!strcmp(h, "a9993e364706816aba3e25717850c26c9cd0d89d"), "sha1(abc) = %s", h);
	il_sha_init(&s, 1);
	il_sha_update(&s, "abc", 3);
	hex(id, il_sha_final(&s, id), h);
	CHECK(!strcmp(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), "sha256(abc) = %s", h);
	/* across block boundaries, fed in pieces */
	il_sha_init(&s, 0);
	for (int i = 0; i < 1000; i++)
		il_sha_update(&s, "a", 1);
	hex(id, il_sha_final(&s, id), h);
	CHECK(!strcmp(h, "291e9a6c66994949b57ba5e650361e98fc36b1ba"), "sha1(a x 1000) = %s", h);
	il_sha_init(&s, 0);
	il_sha_update(&s, "blob 6\0hello\n", 13);
	hex(id, il_sha_final(&s, id), h);
	CHECK(!strcmp(h, "ce013625030ba8dba906f756967f9e9ca394464a"), "git's blob id of hello = %s", h);
}

static void put(const char *rel, const char *text)
{
	char p[512], cmd[600];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", p);
	if (system(cmd) != 0)
		return;
	FILE *f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int sh(const char *cmd)
{
	char line[2048];
	snprintf(line, sizeof line, "cd '%s' && %s", root, cmd);
	return system(line);
}

static void test_ignored(void)
{
	put(".gitignore", "build/\n*.log\n!keep.log\n/root-only.txt\ndocs/**/generated\n\\#hash\nspace\\ \n"
			  "out*/\n[Tt]emp?\n");
	put("sub/.gitignore", "local.tmp\n!important.log\n");
	put(".git/info/exclude", "secret-notes\n");
	put("build/app.o", "x"); /* a directory git can see as one */
	static const char *const paths[] = {
		"build/app.o", "build", "src/build/x.o", "a.log", "keep.log", "sub/keep.log", "sub/important.log",
		"root-only.txt", "sub/root-only.txt", "docs/a/b/generated", "docs/generated", "docs/a/generated/x",
		"#hash", "space ", "space", "out1/file", "outfile", "Temp1", "temp2/x", "tempx.c", "sub/local.tmp",
		"local.tmp", "secret-notes", "sub/secret-notes", "src/main.c", "build.c", "a/b/c.log",
	};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		char cmd[600];
		snprintf(cmd, sizeof cmd, "git check-ignore -q --no-index '%s'", paths[i]);
		int git = sh(cmd) == 0;
		int is_dir = !strcmp(paths[i], "build");
		int ours = il_git_ignored(root, strlen(root), paths[i], is_dir);
		CHECK(ours == git, "ignored(%s): interlock %d, git %d", paths[i], ours, git);
	}
}

static const char *state_name(int s)
{
	return s == IL_GIT_CLEAN ? "clean" : s == IL_GIT_MODIFIED ? "modified" : s == IL_GIT_UNTRACKED ? "untracked"
					 : s == IL_GIT_IGNORED ? "ignored" : "?";
}

/* git's word for a file: porcelain's two letters */
static int git_state(const char *rel)
{
	char cmd[600], out[64] = "";
	snprintf(cmd, sizeof cmd, "cd '%s' && git status --porcelain --ignored -- '%s'", root, rel);
	FILE *p = popen(cmd, "r");
	if (!p)
		return 0;
	if (!fgets(out, sizeof out, p))
		out[0] = 0;
	pclose(p);
	if (!out[0])
		return IL_GIT_CLEAN;
	if (!strncmp(out, "??", 2))
		return IL_GIT_UNTRACKED;
	if (!strncmp(out, "!!", 2))
		return IL_GIT_IGNORED;
	return IL_GIT_MODIFIED;
}

static void test_states(int sha256)
{
	snprintf(root, sizeof root, "/tmp/il-gitfacts-XXXXXX");
	if (!mkdtemp(root)) {
		CHECK(0, "temp dir");
		return;
	}
	char init[128];
	snprintf(init, sizeof init, "git init -q %s && git config user.name t && git config user.email t@t",
		 sha256 ? "--object-format=sha256" : "");
	if (sh(init) != 0) {
		CHECK(0, "git init (sha256 %d)", sha256);
		return;
	}
	put("clean.c", "int clean;\n");
	put("edited.c", "int before;\n");
	put("touched.c", "int same;\n");
	put("staged.c", "int a;\n");
	put(".gitignore", "*.o\n");
	CHECK(sh("git add . && git commit -qm first") == 0, "commit");
	put("edited.c", "int after;\n");
	/* the same content written again: a new mtime, nothing changed */
	CHECK(sh("sleep 1; cp touched.c t.tmp && mv t.tmp touched.c") == 0, "rewrite");
	put("staged.c", "int b;\n");
	sh("git add staged.c");
	put("new.txt", "fresh work\n");
	put("app.o", "object\n");
	static const char *const files[] = { "clean.c", "edited.c", "touched.c", "staged.c", "new.txt", "app.o" };
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char abs[512];
		snprintf(abs, sizeof abs, "%s/%s", root, files[i]);
		int ours = il_git_file_state(root, strlen(root), files[i], abs);
		int git = git_state(files[i]);
		/* staged-but-clean-against-the-index: what a delete loses is what
		 * the index does not have; git says M (vs HEAD) */
		if (!strcmp(files[i], "staged.c"))
			git = IL_GIT_CLEAN;
		CHECK(ours == git, "%s state(%s): interlock %s, git %s", sha256 ? "sha256" : "sha1", files[i],
		      state_name(ours), state_name(git));
	}
	if (!sha256)
		test_ignored();
	char rm[400];
	snprintf(rm, sizeof rm, "rm -rf '%s'", root);
	if (system(rm) != 0)
		fprintf(stderr, "could not remove %s\n", root);
}

/* Lookups by name in each index version git writes (v4 compresses
 * names), with names that sort between a directory and its entries
 * ("src-x.c", "src.c" come before "src/"), enough entries for the search
 * to matter, and an index rewritten under the process's cached copy. */
static void test_lookup(int version)
{
	snprintf(root, sizeof root, "/tmp/il-gitlookup-XXXXXX");
	if (!mkdtemp(root)) {
		CHECK(0, "temp dir");
		return;
	}
	static const char *const tracked[] = { "a.c", "src-x.c", "src.c", "src/a.c", "src/deep/b.c", "srcz/c.c",
					       "z.c", "gen/f150.c" };
	char cmd[512];
	snprintf(cmd, sizeof cmd,
		 "git init -q && mkdir -p gen && for i in $(seq 100 399); do echo $i >gen/f$i.c; done && "
		 "git add gen && git update-index --index-version %d",
		 version);
	CHECK(sh(cmd) == 0, "git init, v%d", version);
	for (size_t i = 0; i < sizeof tracked / sizeof tracked[0]; i++)
		put(tracked[i], "x\n");
	CHECK(sh("git add .") == 0, "add");
	snprintf(cmd, sizeof cmd, "git update-index --index-version %d", version);
	CHECK(sh(cmd) == 0, "index version %d", version);
	size_t n = strlen(root);
	for (size_t i = 0; i < sizeof tracked / sizeof tracked[0]; i++)
		CHECK(il_git_tracked(root, n, tracked[i]) == 1, "v%d: %s is tracked", version, tracked[i]);
	static const char *const dirs[] = { "src", "src/deep", "gen", "srcz" };
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		char abs[600];
		snprintf(abs, sizeof abs, "%s/%s", root, dirs[i]);
		CHECK(il_git_file_state(root, n, dirs[i], abs) == IL_GIT_TREE, "v%d: %s holds tracked files", version,
		      dirs[i]);
	}
	static const char *const not[] = { "sr", "src-", "src/dee", "src/deep/b", "gen/f150", "gen/f99.c", "0",
					   "zz" };
	for (size_t i = 0; i < sizeof not / sizeof not[0]; i++)
		CHECK(il_git_tracked(root, n, not[i]) == 0, "v%d: %s is not tracked", version, not[i]);
	/* the index changes under the cached copy: the next lookup sees it */
	put("late.c", "x\n");
	CHECK(il_git_tracked(root, n, "late.c") == 0, "v%d: late.c not yet tracked", version);
	CHECK(sh("git add late.c") == 0, "add late.c");
	CHECK(il_git_tracked(root, n, "late.c") == 1, "v%d: late.c tracked once added", version);
	CHECK(sh("git rm -q --cached src.c") == 0, "rm --cached");
	CHECK(il_git_tracked(root, n, "src.c") == 0, "v%d: src.c untracked once removed from the index", version);
	char rm[400];
	snprintf(rm, sizeof rm, "rm -rf '%s'", root);
	if (system(rm) != 0)
		fprintf(stderr, "could not remove %s\n", root);
}

int main(void)
{
	test_sha();
	test_states(0);
	test_states(1);
	test_lookup(2);
	test_lookup(3);
	test_lookup(4);
	printf("%d passed, %d failed\n", checks - failures, failures);
	return failures != 0;
}
