/* SPDX-License-Identifier: BSD-3-Clause
 * Every schema key is documented: a comment line with its default in the
 * shipped config file, and a row in the docs/operations.md reference table
 * (regenerate both with gen_schema_doc after changing a key).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "schema_doc.h"
#include "util.h"

struct doc_check {
	enum hy_conf_syntax syntax;
	const char *conf;  /* shipped file text */
	const char *ops;   /* docs/operations.md text */
	unsigned int keys;
};

/* Does some line of text, leading blanks skipped, start with prefix? */
static int has_line_prefix(const char *text, const char *prefix)
{
	const char *p = text;
	size_t n = strlen(prefix);

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, prefix, n) == 0 && (p[n] == ';' || p[n] == ' '))
			return 1;
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		p++;
	}
	return 0;
}

static void check_key(const char *path, const struct hy_conf_key *k,
		      void *arg)
{
	struct doc_check *d = arg;
	char line[1024];

	d->keys++;
	ck_assert_msg(k->doc != NULL && k->doc[0] != '\0', "%s: no doc", path);
	doc_table_row(path, k, d->syntax, line, sizeof(line));
	ck_assert_msg(strstr(d->ops, line) != NULL,
		      "docs/operations.md lacks the row:\n%s", line);
	if (k->type == HY_CT_GROUPLIST)
		return; /* the list itself has no default to show */
	doc_comment_prefix(path, k, d->syntax, line, sizeof(line));
	ck_assert_msg(has_line_prefix(d->conf, line),
		      "shipped config lacks a comment line starting '%s'", line);
}

static void run(const char *conf_rel, const struct hy_conf_key *schema,
		enum hy_conf_syntax syntax, unsigned int min_keys)
{
	char *conf_path = src_path(conf_rel), *ops_path =
		src_path("docs/operations.md");
	struct doc_check d = { .syntax = syntax };
	char *conf = slurp(conf_path), *ops = slurp(ops_path);

	d.conf = conf;
	d.ops = ops;
	hy_conf_schema_foreach(schema, check_key, &d);
	ck_assert_uint_ge(d.keys, min_keys);
	free(conf);
	free(ops);
	free(conf_path);
	free(ops_path);
}

START_TEST(test_node_keys_documented)
{
	run("config/hayate.conf", hy_conf_node_schema, HY_SYNTAX_LIBCONFIG, 30);
}
END_TEST

START_TEST(test_module_keys_documented)
{
	run("config/modules.yaml", hy_conf_modules_schema, HY_SYNTAX_YAML, 5);
}
END_TEST

/* The check above would pass vacuously if the prefix test were broken. */
START_TEST(test_prefix_match_is_strict)
{
	ck_assert(has_line_prefix("\t# a.b: default 3; x\n", "# a.b: default 3"));
	ck_assert(!has_line_prefix("\t# a.b: default 30; x\n", "# a.b: default 3"));
	ck_assert(!has_line_prefix("x # a.b: default 3; x\n", "# a.b: default 3"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config-docs");
	TCase *tc = tcase_create("docs");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_node_keys_documented);
	tcase_add_test(tc, test_module_keys_documented);
	tcase_add_test(tc, test_prefix_match_is_strict);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
