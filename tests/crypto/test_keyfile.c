/* SPDX-License-Identifier: BSD-3-Clause
 * Cluster key files: the accepted format, every refusal with its line, and
 * that no key byte ever appears in an error.
 */
#include <check.h>

#include "check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/keyfile.h"

static char path[64];

static void write_file(const char *text, mode_t mode)
{
	snprintf(path, sizeof(path), "/tmp/hy-keyfile-test-%d", (int)getpid());
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void expect_error(const char *text, mode_t mode, const char *needle)
{
	struct hy_keyring k;
	char err[256] = "";
	write_file(text, mode);
	ck_assert_int_eq(hy_keyfile_load(path, &k, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, needle) != NULL, "'%s' lacks '%s'", err, needle);
	ck_assert_msg(strstr(err, "a1b2c3") == NULL, "error leaks key bytes: %s", err);
	unlink(path);
}

START_TEST(test_valid_file)
{
	struct hy_keyring k;
	char err[256];
	write_file("# cluster keys\n\n0 000102030405060708090a0b0c0d0e0f\n"
		   "  7\tA1B2C3D4E5F60718293A4B5C6D7E8F90  \n", 0600);
	ck_assert_int_eq(hy_keyfile_load(path, &k, err, sizeof(err)), 0);
	ck_assert_uint_eq(k.count, 2);
	ck_assert(k.present[0] && k.present[7] && !k.present[1]);
	ck_assert_uint_eq(k.newest_id, 7);
	ck_assert_uint_eq(k.key[0][15], 0x0f);
	ck_assert_uint_eq(k.key[7][0], 0xa1);
	ck_assert_uint_eq(k.key[7][15], 0x90);
	hy_keyring_wipe(&k);
	ck_assert_uint_eq(k.count, 0);
	ck_assert_uint_eq(k.key[7][0], 0);
	unlink(path);
}
END_TEST

START_TEST(test_refusals)
{
	expect_error("", 0600, "no key found");
	expect_error("# only a comment\n", 0600, "no key found");
	expect_error("0 a1b2c3d4e5f60718293a4b5c6d7e8f90\n", 0644, "chmod 600");
	expect_error("x a1b2c3d4e5f60718293a4b5c6d7e8f90\n", 0600, ":1: expected");
	expect_error("256 a1b2c3d4e5f60718293a4b5c6d7e8f90\n", 0600, ":1: key id must be 0..255");
	expect_error("1x a1b2\n", 0600, ":1: expected a space");
	expect_error("\n1 a1b2c3\n", 0600, ":2: key must be exactly 32 hex digits");
	expect_error("1 a1b2c3d4e5f60718293a4b5c6d7e8fzz\n", 0600, "32 hex digits");
	expect_error("1 a1b2c3d4e5f60718293a4b5c6d7e8f90 extra\n", 0600, "unexpected text");
	expect_error("1 a1b2c3d4e5f60718293a4b5c6d7e8f90\n1 a1b2c3d4e5f60718293a4b5c6d7e8f90\n",
		     0600, ":2: duplicate key id");

	struct hy_keyring k;
	char err[256];
	ck_assert_int_eq(hy_keyfile_load("/nonexistent/hy.key", &k, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot open"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("keyfile");
	TCase *tc = tcase_create("keyfile");
	tcase_add_test(tc, test_valid_file);
	tcase_add_test(tc, test_refusals);
	suite_add_tcase(s, tc);
	return hy_check_run(s);
}
