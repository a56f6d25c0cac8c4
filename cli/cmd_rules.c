/* interlock rules lint|list|test */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int lint(struct il_compiled *c)
{
	printf("%d rules, %d programs in %d files: ok\n", c->rs.nrules, c->rs.nprogs, c->rs.nfiles);
	return 0;
}

static int list(struct il_compiled *c)
{
	for (int i = 0; i < c->rs.nfiles; i++)
		printf("# %s\n", c->rs.files[i]);
	for (int i = 0; i < c->rs.nrules; i++) {
		const struct il_rule_src *r = &c->rs.rules[i];
		printf("%-28s %-8s %-5s %-24s %s:%d\n", r->id, il_action_name(r->action), "exec",
		       r->globs ? r->globs : "", r->file, r->line);
	}
	return 0;
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
			struct il_exec_event ev = { 0, 0, envp, env.project, 0 };
			/* Rules limited to profiles are tried in their first profile. */
			char profile[128] = "";
			if (r->profiles) {
				sscanf(r->profiles, "%127s", profile);
				ev.profile = profile;
			}
			struct il_verdict v;
			il_decide_shell(&c->view, ex->text, &ev, il_scratch(), &v, i);
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

int il_cmd_rules(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: interlock rules lint|list|test [--rules DIR]...\n"
		       "  lint  load every rule file and report errors as FILE:LINE: message\n"
		       "  list  show the rule files in merge order and every rule with its source\n"
		       "  test  evaluate every rule's match / no-match examples\n");
		return argc < 2 ? EXIT_INTERLOCK : 0;
	}
	const char *sub = argv[1];
	struct il_opts o = { 0 };
	for (int i = 2; i < argc; i++) {
		int r = il_common_opt(&o, argc, argv, &i);
		if (r <= 0) {
			if (r == 0)
				fprintf(stderr, "interlock rules: unknown argument '%s'\n", argv[i]);
			return EXIT_INTERLOCK;
		}
	}
	int (*fn)(struct il_compiled *) = !strcmp(sub, "lint") ? lint : !strcmp(sub, "list") ? list
								   : !strcmp(sub, "test") ? test : 0;
	if (!fn) {
		fprintf(stderr, "interlock rules: unknown command '%s' (lint, list, test)\n", sub);
		return EXIT_INTERLOCK;
	}
	struct il_compiled c;
	/* No session home: examples run in their own fabricated HOME. */
	int rc = il_compile(&c, &o, &(struct il_session_meta){ 0 });
	if (!rc)
		rc = fn(&c);
	il_compiled_free(&c);
	return rc;
}
