/* interlock rules lint|list|test|compile|predicates */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define IL_DEFAULT_SNAPSHOT "/etc/interlock/rules.snap" /* as lib/preload/init.c */
static const char *compile_output = IL_DEFAULT_SNAPSHOT;

static int lint(struct il_compiled *c)
{
	printf("%d rules, %d programs in %d files: ok\n", c->rs.nrules, c->rs.nprogs, c->rs.nfiles);
	return 0;
}

static int list(struct il_compiled *c)
{
	for (int i = 0; i < c->rs.nfiles; i++) {
		printf("# %s\n", c->rs.files[i]);
		for (int k = 0; k < c->rs.nshadowed; k++)
			if (!strcmp(c->rs.shadowed_by[k], c->rs.files[i]))
				printf("#   overrides %s\n", c->rs.shadowed[k]);
	}
	for (int i = 0; i < c->rs.nrules; i++) {
		const struct il_rule_src *r = &c->rs.rules[i];
		printf("%-28s %-8s %-7s %-24s %s:%d\n", r->id, il_action_name(r->action),
		       r->on == IL_ON_OPEN ? "open" : r->on == IL_ON_CONNECT ? "connect" : "exec",
		       r->globs ? r->globs : "", r->file, r->line);
	}
	for (int i = 0; i < c->rs.nrules; i++)
		if (c->rs.rules[i].replaced)
			printf("# rule %s at %s:%d overrides the definition at %s\n", c->rs.rules[i].id, c->rs.rules[i].file,
			       c->rs.rules[i].line, c->rs.rules[i].replaced);
	char profiles[2048];
	il_profiles_named(&c->rs, profiles, sizeof profiles);
	printf("# %d rules, %d programs in %d files; profiles (--profile): %s\n", c->rs.nrules, c->rs.nprogs,
	       c->rs.nfiles, profiles[0] ? profiles : "none");
	return 0;
}

/* The sessionless snapshot: what the preload maps when no session is set
 * (an image-wide LD_PRELOAD or /etc/ld.so.preload). Written to a temporary
 * file next to it and renamed, so a process never maps half a file. */
static int compile(struct il_compiled *c)
{
	const char *out = compile_output;
	char *slash = strrchr(out, '/');
	char dir[4096], tmp[4200];
	if (slash == out)
		snprintf(dir, sizeof dir, "/");
	else if (slash)
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - out), out);
	else
		snprintf(dir, sizeof dir, ".");
	for (char *q = dir + 1; *q; q++)
		if (*q == '/') {
			*q = 0;
			mkdir(dir, 0755); /* parents; the last one is checked below */
			*q = '/';
		}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "interlock rules compile: cannot create %s: %s\n", dir, strerror(errno));
		return EXIT_INTERLOCK;
	}
	snprintf(tmp, sizeof tmp, "%s/.rules.snap.XXXXXX", dir);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "interlock rules compile: cannot write in %s: %s%s\n", dir, strerror(errno),
			errno == EACCES ? " (run it as root, or choose --output PATH)" : "");
		return EXIT_INTERLOCK;
	}
	const char *p = c->blob;
	size_t left = c->len;
	int ok = fchmod(fd, 0444) == 0;
	while (ok && left) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		ok = w > 0;
		if (ok)
			p += w, left -= (size_t)w;
	}
	ok = ok && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, out) < 0) {
		fprintf(stderr, "interlock rules compile: cannot write %s: %s\n", out, strerror(errno));
		unlink(tmp);
		return EXIT_INTERLOCK;
	}
	printf("%s: %d rules, %d programs from %d files (%zu bytes)\n", out, c->rs.nrules, c->rs.nprogs, c->rs.nfiles,
	       c->len);
	return 0;
}

unsigned il_access_parse(const char *w)
{
	return !strcmp(w, "read") ? IL_A_READ : !strcmp(w, "write") ? IL_A_WRITE
		: !strcmp(w, "truncate") ? IL_A_TRUNCATE : !strcmp(w, "create") ? IL_A_CREATE : 0;
}

/* An open rule's example is "ACCESS PATH [by PROGRAM]" (~ is the example
 * HOME; the program doing the open is sh unless named). */
static int open_example(struct il_compiled *c, int rule, const char *text, const struct il_example_env *env,
			char **envp, const char *profile, struct il_verdict *v)
{
	char access[16] = "";
	const char *sp = strchr(text, ' ');
	if (!sp || (size_t)(sp - text) >= sizeof access)
		return -1;
	memcpy(access, text, (size_t)(sp - text));
	unsigned kind = il_access_parse(access);
	while (*sp == ' ')
		sp++;
	if (!kind || !*sp)
		return -1;
	char path[8192], program[256] = "sh";
	if (sp[0] == '~' && (sp[1] == '/' || !sp[1]))
		snprintf(path, sizeof path, "%s%s", env->home, sp + 1);
	else
		snprintf(path, sizeof path, "%s", sp);
	char *by = strstr(path, " by ");
	if (by) {
		if (!by[4] || strchr(by + 4, ' ') || strlen(by + 4) >= sizeof program)
			return -1;
		snprintf(program, sizeof program, "%s", by + 4);
		*by = 0;
	}
	struct il_open_event ev = { path, env->project, kind, envp, profile, (long)getpid(), program, 0, 0 };
	return il_decide_open(&c->view, &ev, il_scratch(), v, rule);
}

static int test(struct il_compiled *c)
{
	struct il_example_env env;
	if (il_example_env_make(&env) < 0) {
		perror("interlock rules test: cannot make the example environment");
		return EXIT_INTERLOCK;
	}
	char homevar[4200];
	snprintf(homevar, sizeof homevar, "HOME=%s", env.home);
	char *envp[] = { homevar, "PATH=/usr/local/bin:/usr/bin:/bin", "USER=user", 0 };
	int passed = 0, failed = 0;
	for (int i = 0; i < c->rs.nrules; i++) {
		const struct il_rule_src *r = &c->rs.rules[i];
		for (int k = 0; k < r->nexamples; k++) {
			const struct il_example *ex = &r->examples[k];
			struct il_exec_event ev = { 0, 0, envp, env.project, 0, 0, 0, 0, 0, 0 };
			/* Rules limited to profiles are tried in their first profile. */
			char profile[128] = "";
			if (r->profiles) {
				sscanf(r->profiles, "%127s", profile);
				ev.profile = profile;
			}
			struct il_verdict v;
			if (r->on == IL_ON_CONNECT) {
				char host[256];
				struct il_net_event nev = { .envp = envp };
				if (strncmp(ex->text, "connect ", 8) ||
				    il_parse_endpoint(ex->text + 8, &nev, host, sizeof host) < 0) {
					failed++;
					fprintf(stderr, "%s:%d: rule [%s]: example is not \"connect HOST:PORT\": %s\n", r->file,
						ex->line, r->id, ex->text);
					continue;
				}
				nev.profile = ev.profile;
				il_decide_connect(&c->view, &nev, il_scratch(), &v, i);
			} else if (r->on == IL_ON_OPEN) {
				if (open_example(c, i, ex->text, &env, envp, ev.profile, &v) < 0) {
					failed++;
					fprintf(stderr, "%s:%d: rule [%s]: example is not \"ACCESS PATH [by PROGRAM]\" (read, write, truncate, create): %s\n",
						r->file, ex->line, r->id, ex->text);
					continue;
				}
			} else {
				il_decide_shell(&c->view, ex->text, &ev, il_scratch(), &v, i);
			}
			int hit = v.rule == i;
			if (hit == ex->must_match && !v.error) {
				passed++;
				continue;
			}
			failed++;
			fprintf(stderr, "%s:%d: rule [%s]: example %s: %s%s\n", r->file, ex->line, r->id,
				ex->must_match ? "should match but does not" : "should not match but does",
				ex->text, v.error ? " (evaluation error)" : "");
		}
	}
	il_example_env_remove(&env);
	printf("rules test: %d rules: %d passed, %d failed\n", c->rs.nrules, passed, failed);
	return failed ? 1 : 0;
}

/* The target predicates rules may name (the engine's table). */
static int predicates(struct il_compiled *c)
{
	(void)c;
	size_t n;
	const struct il_predicate *p = il_predicates(&n);
	for (size_t i = 0; i < n; i++)
		printf("%-14s %s\n", p[i].name, p[i].help);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct il_compiled *c);
	int loads; /* needs the rule set */
	const char *help;
} subs[] = {
	{ "lint", lint, 1, "load every rule file and report errors as FILE:LINE: message" },
	{ "list", list, 1, "show the rule files in merge order, every rule with its source, and the profiles" },
	{ "test", test, 1, "evaluate every rule's match / no-match examples" },
	{ "compile", compile, 1,
	  "write the rule set in force as a snapshot for use without a wrapper (an image-wide\n"
	  "           LD_PRELOAD or /etc/ld.so.preload); default --output " IL_DEFAULT_SNAPSHOT ",\n"
	  "           which the preload reads when no session is set" },
	{ "predicates", predicates, 0, "list the target predicates a rule's `target` may name" },
};
#define NSUBS (sizeof subs / sizeof subs[0])

static void usage(FILE *f)
{
	fputs("usage: interlock rules lint|list|test|predicates [--rules DIR]...\n"
	      "       interlock rules compile [--rules DIR]... [--output PATH]\n",
	      f);
	for (size_t i = 0; i < NSUBS; i++)
		fprintf(f, "  %-9s %s\n", subs[i].name, subs[i].help);
	fputs("`interlock rules COMMAND --help` describes one. Exit status: 0; 1 when `test` finds\n"
	      "a failing example; 125 on bad usage or errors in the rules.\n",
	      f);
}

int il_cmd_rules(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_INTERLOCK : 0;
	}
	size_t k = 0;
	while (k < NSUBS && strcmp(argv[1], subs[k].name))
		k++;
	if (k == NSUBS) {
		fprintf(stderr, "interlock rules: unknown command '%s' (lint, list, test, compile, predicates)\n", argv[1]);
		return EXIT_INTERLOCK;
	}
	static const struct option longs[] = {
		IL_COMMON_OPTIONS,
		{ "output", required_argument, 0, 'o' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct il_opts o = { 0 };
	int ch;
	optind = 2;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":ho:", longs, 0)) != -1) {
		int r = il_common_optarg(&o, ch, optarg, "rules");
		if (r < 0)
			return EXIT_INTERLOCK;
		if (r)
			continue;
		switch (ch) {
		case 'o':
			if (subs[k].fn != compile || !*optarg) {
				fprintf(stderr, "interlock rules %s: --output is for compile, with a path\n", subs[k].name);
				return EXIT_INTERLOCK;
			}
			compile_output = optarg;
			break;
		case 'h':
			printf("usage: interlock rules %s%s%s\n  %s\n", subs[k].name,
			       subs[k].loads ? " [--rules DIR]..." : "", subs[k].fn == compile ? " [--output PATH]" : "",
			       subs[k].help);
			if (subs[k].loads)
				puts("  --rules DIR must exist; exit status 125 when the rules have errors");
			return 0;
		default:
			return il_bad_option("rules", ch, argv);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "interlock rules %s: unexpected argument '%s'\n", subs[k].name, argv[optind]);
		return EXIT_INTERLOCK;
	}
	if (!subs[k].loads)
		return subs[k].fn(0);
	struct il_compiled c;
	int test_ = subs[k].fn == test;
	/* No session home: examples run in their own fabricated HOME. */
	int rc = il_compile(&c, &o, &(struct il_session_meta){ .all_profiles = test_, .examples = test_ });
	if (!rc)
		rc = subs[k].fn(&c);
	il_compiled_free(&c);
	return rc;
}
