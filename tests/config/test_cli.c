/* SPDX-License-Identifier: BSD-3-Clause
 * Runs hayate-controlplane and hayate-dataplane: the shipped config, a
 * config with a typo (exit 1, exactly one stderr line naming file, line
 * and key), --help, --check-config and bad options (exit 2).  The data
 * plane runs EAL without hugepages on a null vdev, with its own
 * --file-prefix per run; its runtime directory is removed afterwards.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define RUN_TIMEOUT_S 120 /* only a hung child ever gets near this */

struct result {
	int status; /* exit code; -1 if killed by a signal or timed out */
	char out[16384];
	char err[16384];
};

static char tmpdir[] = "/tmp/hayate-cfgtest-XXXXXX";
static char typo_conf[512], good_conf[512];
static unsigned int typo_line;

static void drain(int fd, char *buf, size_t cap, size_t *len, int *open_)
{
	ssize_t n = read(fd, buf + *len, cap - 1 - *len);

	if (n > 0) {
		*len += (size_t)n;
		buf[*len] = '\0';
		if (*len == cap - 1)
			*open_ = 0; /* full: stop reading, the rest is noise */
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		*open_ = 0;
	}
}

/* Run argv (argv[0] a path), collect stdout and stderr, always reap. */
static void run(char *const argv[], struct result *r)
{
	int out[2], err[2], o_open = 1, e_open = 1, ws;
	size_t olen = 0, elen = 0;
	time_t deadline = time(NULL) + RUN_TIMEOUT_S;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	ck_assert(pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	while ((o_open || e_open) && time(NULL) < deadline) {
		struct pollfd p[2] = {
			{ .fd = o_open ? out[0] : -1, .events = POLLIN },
			{ .fd = e_open ? err[0] : -1, .events = POLLIN },
		};

		if (poll(p, 2, 1000) <= 0)
			continue;
		if (p[0].revents)
			drain(out[0], r->out, sizeof(r->out), &olen, &o_open);
		if (p[1].revents)
			drain(err[0], r->err, sizeof(r->err), &elen, &e_open);
	}
	if (o_open || e_open)
		kill(pid, SIGKILL); /* hung: only the pid we started */
	close(out[0]);
	close(err[0]);
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	r->status = WIFEXITED(ws) && !(o_open || e_open) ?
		    WEXITSTATUS(ws) : -1;
}

static const char *bin(const char *env)
{
	const char *p = getenv(env);

	ck_assert_msg(p != NULL, "%s not set", env);
	return p;
}

/* EAL's runtime directory for a file prefix (as DPDK 22.11 picks it). */
static void runtime_dir(const char *prefix, char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (getuid() == 0)
		snprintf(buf, len, "/var/run/dpdk/%s", prefix);
	else
		snprintf(buf, len, "%s/dpdk/%s", xdg ? xdg : "/tmp", prefix);
}

static void remove_flat_dir(const char *dir)
{
	char path[1024];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* Run hayate-dataplane with test EAL options, then the app options. */
static void run_dp_eal(const char *vdev, const char *extra_eal,
		       char *const app[], struct result *r)
{
	static unsigned int seq;
	char prefix[64], fp[96], vd[96], dir[256];
	char *argv[32];
	int n = 0, i;

	snprintf(prefix, sizeof(prefix), "hycfgtest%dn%u", (int)getpid(), seq++);
	snprintf(fp, sizeof(fp), "--file-prefix=%s", prefix);
	snprintf(vd, sizeof(vd), "--vdev=%s", vdev);
	argv[n++] = (char *)bin("HY_DATAPLANE");
	argv[n++] = "--no-huge";
	argv[n++] = "-m";
	argv[n++] = "256";
	argv[n++] = "--no-pci";
	argv[n++] = "--no-telemetry";
	argv[n++] = fp;
	argv[n++] = vd;
	if (extra_eal != NULL)
		argv[n++] = (char *)extra_eal;
	argv[n++] = "--";
	for (i = 0; app[i] != NULL && n < 31; i++)
		argv[n++] = app[i];
	argv[n] = NULL;
	run(argv, r);
	runtime_dir(prefix, dir, sizeof(dir));
	remove_flat_dir(dir);
}

static void run_dp(const char *vdev, char *const app[], struct result *r)
{
	run_dp_eal(vdev, NULL, app, r);
}

static void copy_file(const char *from, const char *to, const char *a,
		      const char *b)
{
	char *text = slurp(from), *edited = a ? replace1(text, a, b) : text;
	FILE *f = fopen(to, "w");

	ck_assert(f != NULL);
	ck_assert(fputs(edited, f) >= 0);
	ck_assert(fclose(f) == 0);
	if (a != NULL) {
		typo_line = line_of(edited, b);
		free(edited);
	}
	free(text);
}

/* Unchecked fixture: runs in the parent, so teardown runs even when a
 * test fails. */
static void setup(void)
{
	char *conf = src_path("config/hayate.conf");
	char *mods = src_path("config/modules.yaml");
	char to[600];

	ck_assert(mkdtemp(tmpdir) != NULL);
	snprintf(good_conf, sizeof(good_conf), "%s/good.conf", tmpdir);
	snprintf(typo_conf, sizeof(typo_conf), "%s/hayate.conf", tmpdir);
	/* good.conf names a cluster key beside it, so the data plane gets
	 * past its key stage to the port checks. */
	copy_file(conf, good_conf, "cluster_key_file = \"/etc/hayate/cluster.key\"",
		  "cluster_key_file = \"cluster.key\"");
	copy_file(conf, typo_conf, "idle_timeout_ms = ", "idle_timout_ms = ");
	snprintf(to, sizeof(to), "%s/cluster.key", tmpdir);
	FILE *kf = fopen(to, "w");
	ck_assert(kf != NULL);
	fputs("0 000102030405060708090a0b0c0d0e0f\n", kf);
	ck_assert(fclose(kf) == 0);
	ck_assert(chmod(to, 0600) == 0);
	snprintf(to, sizeof(to), "%s/modules.yaml", tmpdir);
	copy_file(mods, to, NULL, NULL);
	free(conf);
	free(mods);
}

static void teardown(void)
{
	remove_flat_dir(tmpdir);
}

static void assert_typo_line(const struct result *r)
{
	char want[1024];

	snprintf(want, sizeof(want), "%s:%u: dataplane.idle_timout_ms: unknown "
		 "key (did you mean idle_timeout_ms?)\n", typo_conf, typo_line);
	ck_assert_str_eq(r->err, want);
}

START_TEST(test_cp_shipped_config)
{
	char *conf = src_path("config/hayate.conf");
	/* Running is covered by the control plane's own tests. */
	char *argv[] = { (char *)bin("HY_CONTROLPLANE"), "--config", conf, "--check-config",
			 NULL };
	struct result r;

	run(argv, &r);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "ok"));
	ck_assert_str_eq(r.err, "");
	free(conf);
}
END_TEST

START_TEST(test_cp_typo)
{
	char *argv[] = { (char *)bin("HY_CONTROLPLANE"), "--config", typo_conf,
			 NULL };
	struct result r;

	run(argv, &r);
	ck_assert_int_eq(r.status, 1);
	assert_typo_line(&r);
	ck_assert_str_eq(r.out, "");
}
END_TEST

START_TEST(test_cp_check_config)
{
	char *ok[] = { (char *)bin("HY_CONTROLPLANE"), "--check-config",
		       "--config", good_conf, NULL };
	char *bad[] = { (char *)bin("HY_CONTROLPLANE"), "--config", typo_conf,
			"--check-config", NULL };
	struct result r;

	run(ok, &r);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, ": ok;"));
	run(bad, &r);
	ck_assert_int_eq(r.status, 1);
	assert_typo_line(&r);
}
END_TEST

START_TEST(test_cp_help_version_usage)
{
	char *help[] = { (char *)bin("HY_CONTROLPLANE"), "--help", NULL };
	char *version[] = { (char *)bin("HY_CONTROLPLANE"), "--version", NULL };
	char *bogus[] = { (char *)bin("HY_CONTROLPLANE"), "--config", good_conf,
			  "--bogus", NULL };
	char *noconf[] = { (char *)bin("HY_CONTROLPLANE"), NULL };
	char *extra[] = { (char *)bin("HY_CONTROLPLANE"), "--config", good_conf,
			  "stray", NULL };
	struct result r;

	run(help, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "Signals:"));
	run(version, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "hayate-controlplane "));
	run(bogus, &r);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "--bogus"));
	run(noconf, &r);
	ck_assert_int_eq(r.status, 2);
	run(extra, &r);
	ck_assert_int_eq(r.status, 2);
}
END_TEST

START_TEST(test_dp_shipped_config)
{
	/* Checking files needs no EAL; running is covered by the data plane's
	 * integration tests. */
	char *conf = src_path("config/hayate.conf");
	char *check[] = { (char *)bin("HY_DATAPLANE"), "--", "--config", conf,
			  "--check-config", NULL };
	struct result r;

	run(check, &r);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "ok"));
	free(conf);
}
END_TEST

START_TEST(test_dp_typo)
{
	char *app[] = { "--config", typo_conf, NULL };
	struct result r;

	run_dp("net_null0", app, &r);
	ck_assert_int_eq(r.status, 1);
	assert_typo_line(&r); /* checked before EAL: nothing else printed */
}
END_TEST

START_TEST(test_dp_missing_port)
{
	char *app[] = { "--config", good_conf, NULL };
	struct result r;

	run_dp("net_null1", app, &r);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "dataplane.ports[0].device: no DPDK "
					    "port named \"net_null0\""));
}
END_TEST

START_TEST(test_dp_help_usage)
{
	char *help[] = { (char *)bin("HY_DATAPLANE"), "--help", NULL };
	char *check[] = { (char *)bin("HY_DATAPLANE"), "--", "--config",
			  good_conf, "--check-config", NULL };
	char *no_dashes[] = { (char *)bin("HY_DATAPLANE"), "--config", good_conf,
			      NULL };
	char *bogus_app[] = { "--config", good_conf, "--bogus", NULL };
	char *app_help[] = { "--help", NULL };
	struct result r;

	run(help, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "Runs a node's data plane"));
	ck_assert_ptr_nonnull(strstr(r.out, "[EAL options] --"));
	run_dp("net_null0", app_help, &r);
	ck_assert_int_eq(r.status, 0);
	run(check, &r); /* no EAL needed to check files */
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	run(no_dashes, &r);
	ck_assert_int_eq(r.status, 2);
	run_dp("net_null0", bogus_app, &r);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "--bogus"));
}
END_TEST

START_TEST(test_dp_bad_eal_option)
{
	char *app[] = { "--config", good_conf, NULL };
	struct result r;

	run_dp_eal("net_null0", "--no-such-eal-option", app, &r);
	ck_assert_int_eq(r.status, 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config-cli");
	TCase *tc = tcase_create("cli");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 2 * RUN_TIMEOUT_S);
	tcase_add_test(tc, test_cp_shipped_config);
	tcase_add_test(tc, test_cp_typo);
	tcase_add_test(tc, test_cp_check_config);
	tcase_add_test(tc, test_cp_help_version_usage);
	tcase_add_test(tc, test_dp_shipped_config);
	tcase_add_test(tc, test_dp_typo);
	tcase_add_test(tc, test_dp_missing_port);
	tcase_add_test(tc, test_dp_help_usage);
	tcase_add_test(tc, test_dp_bad_eal_option);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
