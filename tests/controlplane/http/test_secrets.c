/* SPDX-License-Identifier: BSD-3-Clause
 * App keys and admin token files: formats, permissions, errors that name
 * file and line but never a secret, and credential classification.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_run.h"
#include "secrets.h"

#define KEY_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-app-A"
#define KEY_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-app-B"
#define ADMIN "admin-admin-admin-admin-admin-admin-42"

static char dir[64];
static char path[128];
static struct hy_secrets sec;
static char err[512];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/hy-secrets-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	memset(&sec, 0, sizeof(sec));
	err[0] = '\0';
}

static void teardown(void)
{
	unlink(path);
	rmdir(dir);
}

/* Writes text to a file in dir with mode; returns its path. */
static const char *file(const char *text, mode_t mode)
{
	snprintf(path, sizeof(path), "%s/f", dir);
	unlink(path);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

static void app_refused(const char *text, const char *where, const char *what)
{
	ck_assert_int_eq(hy_secrets_load_app_keys(file(text, 0600), &sec, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, where) != NULL, "'%s' lacks '%s'", err, where);
	ck_assert_msg(strstr(err, what) != NULL, "'%s' lacks '%s'", err, what);
	ck_assert_msg(strstr(err, "aaaaaaaa") == NULL && strstr(err, "bbbbbbbb") == NULL,
		      "error shows a key: %s", err);
	ck_assert_uint_eq(sec.n_app, 0);
}

START_TEST(app_keys_valid)
{
	unsigned int idx = 99;
	const char *p = file("# app servers\n\ngame-1 " KEY_A "\n  game.2\t" KEY_B "  \r\n", 0600);

	ck_assert_int_eq(hy_secrets_load_app_keys(p, &sec, err, sizeof(err)), 0);
	ck_assert_uint_eq(sec.n_app, 2);
	ck_assert_str_eq(sec.app[0].name, "game-1");
	ck_assert_str_eq(sec.app[1].name, "game.2");
	ck_assert_int_eq(hy_secrets_classify(&sec, KEY_B, strlen(KEY_B), &idx), HY_CRED_APP);
	ck_assert_uint_eq(idx, 1);
	ck_assert_int_eq(hy_secrets_classify(&sec, KEY_A, strlen(KEY_A), &idx), HY_CRED_APP);
	ck_assert_uint_eq(idx, 0);
	/* a prefix, an extension, a one-byte change: all unknown */
	ck_assert_int_eq(hy_secrets_classify(&sec, KEY_A, strlen(KEY_A) - 1, NULL), HY_CRED_UNKNOWN);
	ck_assert_int_eq(hy_secrets_classify(&sec, KEY_A "x", strlen(KEY_A) + 1, NULL),
			 HY_CRED_UNKNOWN);
	char k[] = KEY_A;
	k[5] = 'b';
	ck_assert_int_eq(hy_secrets_classify(&sec, k, strlen(k), NULL), HY_CRED_UNKNOWN);
	ck_assert_int_eq(hy_secrets_classify(&sec, "", 0, NULL), HY_CRED_NONE);
	/* the secrets themselves are not kept, only digests */
	ck_assert_ptr_null(memmem(&sec, sizeof(sec), KEY_A, strlen(KEY_A)));
}
END_TEST

START_TEST(app_keys_refused)
{
	const char *name = path;
	app_refused("", "/f", "no key found");
	app_refused("# only a comment\n", "/f", "no key found");
	app_refused("game-1\n", "/f:1:", "expected '<name> <key>'");
	app_refused("\ngame-1 short\n", "/f:2:", "32 to 256");
	app_refused("bad/name " KEY_A "\n", "/f:1:", "name may hold");
	app_refused("game-1 " KEY_A " extra\n", "/f:1:", "unexpected text");
	app_refused("game-1 " KEY_A "\ngame-1 " KEY_B "\n", "/f:2:", "duplicate name, first on line 1");
	app_refused("game-1 " KEY_A "\n#\ngame-2 " KEY_A "\n", "/f:3:", "same key as line 1");
	app_refused("game-1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\x01\n", "/f:1:", "printable");
	(void)name;

	/* an over-long line */
	char big[1200];
	memset(big, 'a', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	app_refused(big, "/f:1:", "line too long");

	/* permissions and file kind */
	ck_assert_int_eq(hy_secrets_load_app_keys(file("g " KEY_A "\n", 0644), &sec, err,
						  sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "chmod 600"));
	ck_assert_int_eq(hy_secrets_load_app_keys(file("g " KEY_A "\n", 0640), &sec, err,
						  sizeof(err)), -1);
	ck_assert_int_eq(hy_secrets_load_app_keys(file("g " KEY_A "\n", 0400), &sec, err,
						  sizeof(err)), 0);
	ck_assert_int_eq(hy_secrets_load_app_keys(dir, &sec, err, sizeof(err)), -1);
	ck_assert_int_eq(hy_secrets_load_app_keys("/nonexistent/app.keys", &sec, err, sizeof(err)),
			 -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/app.keys: cannot open"));
}
END_TEST

START_TEST(admin_token)
{
	ck_assert_int_eq(hy_secrets_load_admin_token(file("# admin\n" ADMIN "\n", 0600), &sec, err,
						     sizeof(err)), 0);
	ck_assert(sec.has_admin);
	ck_assert_int_eq(hy_secrets_classify(&sec, ADMIN, strlen(ADMIN), NULL), HY_CRED_ADMIN);

	ck_assert_int_eq(hy_secrets_load_admin_token(file(ADMIN "\n" ADMIN "x\n", 0600), &sec, err,
						     sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/f:2: more than one token"));
	ck_assert(!sec.has_admin);
	ck_assert_int_eq(hy_secrets_load_admin_token(file("short\n", 0600), &sec, err,
						     sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/f:1: token must be 32 to 256"));
	ck_assert_ptr_null(strstr(err, "short\n"));
	ck_assert_int_eq(hy_secrets_load_admin_token(file("\n", 0600), &sec, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "no token found"));
	ck_assert_int_eq(hy_secrets_load_admin_token(file(ADMIN "\n", 0604), &sec, err,
						     sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "mode 604"));
	ck_assert_ptr_null(strstr(err, "admin-admin"));
}
END_TEST

START_TEST(both_files)
{
	char app[160], adm[160];
	snprintf(app, sizeof(app), "%s/app.keys", dir);
	snprintf(adm, sizeof(adm), "%s/admin.token", dir);
	FILE *f = fopen(app, "w");
	fputs("g " KEY_A "\n", f);
	fclose(f);
	chmod(app, 0600);
	f = fopen(adm, "w");
	fputs(KEY_A "\n", f); /* same as the app key: refused */
	fclose(f);
	chmod(adm, 0600);
	ck_assert_int_eq(hy_secrets_load(app, adm, &sec, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "also app key 'g'"));
	ck_assert_uint_eq(sec.n_app, 0);

	f = fopen(adm, "w");
	fputs(ADMIN "\n", f);
	fclose(f);
	ck_assert_int_eq(hy_secrets_load(app, adm, &sec, err, sizeof(err)), 0);
	ck_assert_int_eq(hy_secrets_classify(&sec, KEY_A, strlen(KEY_A), NULL), HY_CRED_APP);
	ck_assert_int_eq(hy_secrets_classify(&sec, ADMIN, strlen(ADMIN), NULL), HY_CRED_ADMIN);
	hy_secrets_wipe(&sec);
	ck_assert_int_eq(hy_secrets_classify(&sec, ADMIN, strlen(ADMIN), NULL), HY_CRED_UNKNOWN);
	unlink(app);
	unlink(adm);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http-secrets");
	TCase *tc = tcase_create("secrets");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, app_keys_valid);
	tcase_add_test(tc, app_keys_refused);
	tcase_add_test(tc, admin_token);
	tcase_add_test(tc, both_files);
	suite_add_tcase(s, tc);
	return hy_check_run(s);
}
