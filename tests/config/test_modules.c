/* SPDX-License-Identifier: BSD-3-Clause
 * Module configuration (YAML): the shipped file, unknown and duplicate
 * keys, types, scalars, syntax errors, aliases, all-or-nothing loading,
 * write and read back.
 */
#include <check.h>

#include "check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf.h"
#include "util.h"

static int parse(const char *text, struct hy_modules_config *c,
		 struct hy_conf_error *e)
{
	return hy_conf_modules_parse(text, strlen(text), "m.yaml", c, e);
}

static void expect_fail(const char *text, enum hy_reason reason,
			unsigned int line, const char *key)
{
	struct hy_modules_config c, def;
	struct hy_conf_error e;
	char buf[512];

	memset(&c, 0xa5, sizeof(c));
	ck_assert_int_eq(parse(text, &c, &e), -1);
	hy_conf_error_format(&e, buf, sizeof(buf));
	ck_assert_msg(e.reason == reason, "reason %s, want %s: %s",
		      hy_reason_name(e.reason), hy_reason_name(reason), buf);
	ck_assert_msg(e.line == line, "line %u, want %u: %s", e.line, line,
		      buf);
	ck_assert_msg(strcmp(e.key, key) == 0, "key '%s', want '%s': %s",
		      e.key, key, buf);
	ck_assert_ptr_null(strchr(buf, '\n'));
	hy_conf_modules_defaults(&def);
	ck_assert(memcmp(&c, &def, sizeof(c)) == 0);
}

START_TEST(test_shipped_file_loads)
{
	char *path = src_path("config/modules.yaml");
	struct hy_modules_config c;
	struct hy_conf_error e;

	ck_assert_msg(hy_conf_modules_load(path, &c, &e) == 0, "%s:%u: %s: %s",
		      e.file, e.line, e.key, e.msg);
	ck_assert_uint_eq(c.rooms.max_members, 16);
	ck_assert(!c.rooms.allow_empty);
	ck_assert_uint_eq(c.rooms.empty_ttl_s, 60);
	ck_assert_uint_eq(c.rooms.max_rooms, 65536);
	free(path);
}
END_TEST

START_TEST(test_values_and_defaults)
{
	struct hy_modules_config c;
	struct hy_conf_error e;

	ck_assert_int_eq(parse("rooms:\n  max_members: 4\n  allow_empty: True\n",
			       &c, &e), 0);
	ck_assert_uint_eq(c.rooms.max_members, 4);
	ck_assert(c.rooms.allow_empty);
	ck_assert_uint_eq(c.rooms.max_rooms, 65536);
	ck_assert_int_eq(parse("", &c, &e), 0);           /* empty file */
	ck_assert_uint_eq(c.rooms.max_members, 16);
	ck_assert_int_eq(parse("---\n", &c, &e), 0);      /* empty document */
	ck_assert_int_eq(parse("# only comments\nrooms:\n", &c, &e), 0);
	ck_assert_int_eq(parse("{rooms: {max_rooms: 9}}", &c, &e), 0);
	ck_assert_uint_eq(c.rooms.max_rooms, 9);
}
END_TEST

START_TEST(test_unknown_key)
{
	struct hy_modules_config c;
	struct hy_conf_error e;
	char buf[256];

	expect_fail("rooms:\n  max_members: 4\n  max_member: 5\n",
		    HY_R_CONFIG_UNKNOWN_KEY, 3, "rooms.max_member");
	ck_assert_int_eq(parse("rooms:\n  max_member: 5\n", &c, &e), -1);
	ck_assert_str_eq(hy_conf_error_format(&e, buf, sizeof(buf)),
			 "m.yaml:2: rooms.max_member: unknown key (did you mean "
			 "max_members?)");
	expect_fail("\nroom:\n  max_members: 4\n", HY_R_CONFIG_UNKNOWN_KEY, 2,
		    "room");
	expect_fail("matchmaker: {}\n", HY_R_CONFIG_UNKNOWN_KEY, 1,
		    "matchmaker");
	expect_fail("rooms:\n  \"\": 1\n", HY_R_CONFIG_UNKNOWN_KEY, 2,
		    "rooms.\"\"");
}
END_TEST

START_TEST(test_wrong_type)
{
	expect_fail("rooms:\n  max_members: \"8\"\n", HY_R_CONFIG_BAD_VALUE, 2,
		    "rooms.max_members");
	expect_fail("rooms:\n  max_members: [8]\n", HY_R_CONFIG_BAD_VALUE, 2,
		    "rooms.max_members");
	expect_fail("rooms:\n  max_members:\n    a: 1\n", HY_R_CONFIG_BAD_VALUE,
		    2, "rooms.max_members");
	expect_fail("rooms: 5\n", HY_R_CONFIG_BAD_VALUE, 1, "rooms");
	expect_fail("rooms:\n  - max_members\n", HY_R_CONFIG_BAD_VALUE, 1,
		    "rooms");
	expect_fail("- rooms\n", HY_R_CONFIG_BAD_VALUE, 1, "(top)");
	expect_fail("rooms:\n  allow_empty: 'true'\n", HY_R_CONFIG_BAD_VALUE, 2,
		    "rooms.allow_empty");
}
END_TEST

START_TEST(test_bad_scalar)
{
	expect_fail("rooms:\n  max_members: 12abc\n", HY_R_CONFIG_BAD_VALUE, 2,
		    "rooms.max_members");
	expect_fail("rooms:\n  max_members: -1\n", HY_R_CONFIG_BAD_VALUE, 2,
		    "rooms.max_members");
	expect_fail("rooms:\n  max_members: 0\n", HY_R_CONFIG_BAD_VALUE, 2,
		    "rooms.max_members");
	expect_fail("rooms:\n  max_members: 99999999999999999999999\n",
		    HY_R_CONFIG_BAD_VALUE, 2, "rooms.max_members");
	expect_fail("rooms:\n  max_members: 1.5\n", HY_R_CONFIG_BAD_VALUE, 2,
		    "rooms.max_members");
	expect_fail("rooms:\n  max_members:\n", HY_R_CONFIG_BAD_VALUE, 2,
		    "rooms.max_members");
	expect_fail("rooms:\n  allow_empty: yes\n", HY_R_CONFIG_BAD_VALUE, 2,
		    "rooms.allow_empty");
	expect_fail("rooms:\n  broadcast_interval_ms: 1001\n",
		    HY_R_CONFIG_BAD_VALUE, 2, "rooms.broadcast_interval_ms");
}
END_TEST

START_TEST(test_duplicate_key)
{
	expect_fail("rooms:\n  max_members: 4\n  allow_empty: true\n"
		    "  max_members: 5\n", HY_R_CONFIG_BAD_VALUE, 4,
		    "rooms.max_members");
	expect_fail("rooms: {}\nrooms: {}\n", HY_R_CONFIG_BAD_VALUE, 2, "rooms");
}
END_TEST

START_TEST(test_syntax_error_has_line)
{
	expect_fail("rooms:\n  max_members: 4\n   allow_empty: true\n",
		    HY_R_CONFIG_SYNTAX, 3, "");
	expect_fail("rooms:\n  max_members: [4\n\n", HY_R_CONFIG_SYNTAX, 4, "");
	expect_fail("rooms: {}\n---\nrooms: {}\n", HY_R_CONFIG_SYNTAX, 2, "");
	expect_fail("rooms:\n  max_members: \"4\n", HY_R_CONFIG_SYNTAX, 3, "");

	static const char nul[] = "rooms:\n\0";
	struct hy_modules_config c;
	struct hy_conf_error e;

	ck_assert_int_eq(hy_conf_modules_parse(nul, sizeof(nul) - 1, "m.yaml",
					       &c, &e), -1);
	ck_assert_int_eq(e.reason, HY_R_CONFIG_SYNTAX);
	ck_assert_uint_eq(e.line, 2);
}
END_TEST

START_TEST(test_aliases_refused)
{
	/* refused while reading, before any key is looked at */
	expect_fail("x: &a 5\nrooms:\n  max_members: *a\n",
		    HY_R_CONFIG_BAD_VALUE, 3, "rooms.max_members");
	expect_fail("rooms:\n  max_members: &a 5\n  max_rooms: *a\n",
		    HY_R_CONFIG_BAD_VALUE, 3, "rooms.max_rooms");
}
END_TEST

START_TEST(test_write_then_read_back)
{
	struct hy_modules_config a, b;
	struct hy_conf_error e;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	hy_conf_modules_defaults(&a);
	a.rooms.max_members = 100;
	a.rooms.allow_empty = true;
	a.rooms.broadcast_interval_ms = 33;
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(hy_conf_modules_write(&a, f), 0);
	fclose(f);
	ck_assert_msg(hy_conf_modules_parse(buf, len, "w.yaml", &b, &e) == 0,
		      "%s: %s", e.key, e.msg);
	ck_assert(memcmp(&a, &b, sizeof(a)) == 0);
	free(buf);
}
END_TEST

START_TEST(test_load_all)
{
	char *node = src_path("config/hayate.conf");
	char *mods = src_path("config/modules.yaml");
	struct hy_modules_config m;
	struct hy_node_config n;
	struct hy_conf_error e;

	ck_assert_int_eq(hy_conf_load_all(node, NULL, &n, &m, &e), 0);
	ck_assert_uint_eq(m.rooms.max_members, 16);
	ck_assert_int_eq(hy_conf_load_all(node, "/nonexistent.yaml", &n, &m, &e),
			 -1);
	ck_assert_str_eq(e.file, "/nonexistent.yaml");
	ck_assert_uint_eq(n.node.id, 0); /* back to defaults */
	ck_assert_int_eq(hy_conf_load_all(node, mods, &n, &m, &e), 0);
	free(node);
	free(mods);
}
END_TEST

static Suite *modules_suite(void)
{
	Suite *s = suite_create("config-modules");
	TCase *tc = tcase_create("modules");

	tcase_add_test(tc, test_shipped_file_loads);
	tcase_add_test(tc, test_values_and_defaults);
	tcase_add_test(tc, test_unknown_key);
	tcase_add_test(tc, test_wrong_type);
	tcase_add_test(tc, test_bad_scalar);
	tcase_add_test(tc, test_duplicate_key);
	tcase_add_test(tc, test_syntax_error_has_line);
	tcase_add_test(tc, test_aliases_refused);
	tcase_add_test(tc, test_write_then_read_back);
	tcase_add_test(tc, test_load_all);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hy_check_run(modules_suite());
}
