/* SPDX-License-Identifier: BSD-3-Clause
 * hayate-http-auth-server: the HTTP module alone, in front of the
 * control-plane test double (controlplane/http/cp_stub.h), for measuring
 * POST /v1/auth without a data plane (perf/http/bench_auth.sh --server).
 *
 *   hayate-http-auth-server [--port N]
 *
 * Writes a fresh app key and admin token into a private temporary folder
 * (removed on exit), listens on 127.0.0.1, prints
 *   HAYATE_HTTP_URL=http://127.0.0.1:<port>
 *   HAYATE_APP_KEY=<key>
 *   HAYATE_ADMIN_TOKEN=<token>
 * and serves until SIGINT or SIGTERM.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cp_stub.h"
#include "crypto/random.h"
#include "http.h"
#include "http_internal.h"

static void fresh_secret(const char *prefix, char *out, size_t cap)
{
	uint8_t b[24];
	size_t n = (size_t)snprintf(out, cap, "%s", prefix);
	if (hy_random_bytes(b, sizeof(b)) != 0) {
		fprintf(stderr, "hayate-http-auth-server: no random bytes\n");
		exit(1);
	}
	for (size_t i = 0; i < sizeof(b) && n + 2 < cap; i++, n += 2)
		snprintf(out + n, cap - n, "%02x", b[i]);
}

static int write_secret(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL || fchmod(fileno(f), 0600) != 0 || fputs(text, f) < 0) {
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/hayate-http-bench-XXXXXX", app_path[128], adm_path[128];
	char app_key[80], admin[80], line[128], err[256];
	unsigned long port = 0;
	sigset_t set;
	int sig, rc = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
			port = strtoul(argv[++i], NULL, 10);
		} else {
			fprintf(stderr, "usage: %s [--port N]\n", argv[0]);
			return 2;
		}
	}
	if (port > 65535 || mkdtemp(dir) == NULL) {
		fprintf(stderr, "hayate-http-auth-server: bad port or no temporary folder\n");
		return 1;
	}
	snprintf(app_path, sizeof(app_path), "%s/app.keys", dir);
	snprintf(adm_path, sizeof(adm_path), "%s/admin.token", dir);
	fresh_secret("bench-", app_key, sizeof(app_key));
	fresh_secret("admin-", admin, sizeof(admin));
	snprintf(line, sizeof(line), "bench %s\n", app_key);
	struct hy_cp *cp = hy_cp_stub_create();
	if (cp == NULL || write_secret(app_path, line) != 0 || write_secret(adm_path, admin) != 0) {
		fprintf(stderr, "hayate-http-auth-server: cannot write the secrets\n");
		goto out;
	}
	struct hy_node_config *cfg = hy_cp_stub_config(cp);
	snprintf(cfg->paths.app_keys_file, sizeof(cfg->paths.app_keys_file), "%s", app_path);
	snprintf(cfg->paths.admin_token_file, sizeof(cfg->paths.admin_token_file), "%s", adm_path);
	cfg->controlplane.http.port = (uint16_t)port;

	/* Signals are taken synchronously, so the server threads never see them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	struct hy_http *h = hy_http_start(cp, err, sizeof(err));
	if (h == NULL) {
		fprintf(stderr, "hayate-http-auth-server: %s\n", err);
		goto out;
	}
	printf("HAYATE_HTTP_URL=http://127.0.0.1:%u\nHAYATE_APP_KEY=%s\nHAYATE_ADMIN_TOKEN=%s\n",
	       hy_http_bound_port(h), app_key, admin);
	fflush(stdout);
	sigwait(&set, &sig);
	hy_http_stop(h);
	rc = 0;
out:
	unlink(app_path);
	unlink(adm_path);
	rmdir(dir);
	hy_cp_stub_destroy(cp);
	return rc;
}
