/* SPDX-License-Identifier: BSD-3-Clause
 * hayate-controlplane with node.udp_public and node.tcp_public set: the
 * tickets POST /v1/auth returns, and the Diarkis endpoint reply, name the
 * public endpoints, not the addresses the node binds; without them they
 * name the derived ones.  The HTTP API and the TCP server listen on
 * 127.0.0.1; the data plane is absent (the control plane waits for it and
 * serves HTTP meanwhile).
 *   test_cp_public HAYATE_CONTROLPLANE
 */
#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_run.h"
#include "cp_proc.h"
#include "hayate_client.h"

#define APP_KEY "test-app-key-0123456789abcdef0123456789abcdef"

static const char *exe;

/* One control plane on a fresh directory; public endpoints as given. */
struct node {
	struct cp_proc proc;
	char secrets[64];
	char url[64];
};

static void write_secret(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fchmod(fileno(f), 0600);
	fputs(text, f);
	fclose(f);
}

static void node_start(struct node *n, const char *udp_public, const char *tcp_public)
{
	struct hy_node_config conf;
	char path[128];

	memset(n, 0, sizeof(*n));
	n->proc.pid = -1;
	snprintf(n->secrets, sizeof(n->secrets), "/tmp/hy-cp-public-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(n->secrets));
	hy_conf_node_defaults(&conf);
	conf.node.id = CP_TEST_NODE_ID;
	snprintf(conf.node.udp_public, sizeof(conf.node.udp_public), "%s", udp_public);
	snprintf(conf.node.tcp_public, sizeof(conf.node.tcp_public), "%s", tcp_public);
	conf.dataplane.nb_ports = 1;
	snprintf(conf.dataplane.ports[0].device, sizeof(conf.dataplane.ports[0].device),
		 "net_null0");
	conf.dataplane.ports[0].ipv4.family = AF_INET;
	inet_pton(AF_INET, "198.18.0.1", &conf.dataplane.ports[0].ipv4.v4);
	conf.dataplane.ports[0].udp_port = 7100;
	conf.controlplane.tcp.listen.family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &conf.controlplane.tcp.listen.v4);
	conf.controlplane.tcp.port = 0;
	conf.controlplane.http.listen = conf.controlplane.tcp.listen;
	conf.controlplane.http.port = 0;
	conf.controlplane.mars.listen = conf.controlplane.tcp.listen;
	snprintf(path, sizeof(path), "%s/app.keys", n->secrets);
	write_secret(path, "test " APP_KEY "\n");
	snprintf(conf.paths.app_keys_file, sizeof(conf.paths.app_keys_file), "%s", path);
	snprintf(path, sizeof(path), "%s/admin.token", n->secrets);
	write_secret(path, "admin-token-0123456789abcdef0123456789abcdef\n");
	snprintf(conf.paths.admin_token_file, sizeof(conf.paths.admin_token_file), "%s", path);
	snprintf(conf.paths.stats_shm, sizeof(conf.paths.stats_shm), "/hy-cp-public-%d",
		 (int)getpid());
	ck_assert_int_eq(cp_proc_prepare(&n->proc, &conf), 0);
	snprintf(n->url, sizeof(n->url), "http://127.0.0.1:%u", conf.controlplane.http.port);
	ck_assert_msg(cp_proc_start(&n->proc, exe) == 0, "%s did not start", exe);
}

static void node_stop(struct node *n)
{
	char path[128];

	cp_proc_stop(&n->proc);
	snprintf(path, sizeof(path), "%s/app.keys", n->secrets);
	unlink(path);
	snprintf(path, sizeof(path), "%s/admin.token", n->secrets);
	unlink(path);
	rmdir(n->secrets);
}

/* POST /v1/auth for transport t; the ticket must name host:port. */
static void expect_ticket(struct node *n, enum hy_transport t, const char *host, uint16_t port)
{
	struct hy_ticket tk;
	char err[256];

	ck_assert_msg(hy_auth_fetch(n->url, APP_KEY, "player-1", t, &tk, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_str_eq(tk.host, host);
	ck_assert_uint_eq(tk.port, port);
	ck_assert_uint_eq(tk.cred.transport, t);
}

struct body {
	char buf[4096];
	size_t len;
};

static size_t on_body(char *p, size_t sz, size_t nm, void *arg)
{
	struct body *b = arg;
	size_t n = sz * nm;

	if (n > sizeof(b->buf) - 1 - b->len)
		return 0;
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return n;
}

/* GET /endpoint/type/UDP/user/x: the Diarkis-style reply names them too. */
static void expect_diarkis(struct node *n, const char *host, const char *port)
{
	struct curl_slist *h = curl_slist_append(NULL, "Authorization: Bearer " APP_KEY);
	struct body b = { .len = 0 };
	char url[128];
	long code = 0;
	CURL *c = curl_easy_init();

	ck_assert_ptr_nonnull(c);
	snprintf(url, sizeof(url), "%s/endpoint/type/UDP/user/player-2", n->url);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	ck_assert_int_eq(code, 200);
	ck_assert_msg(strstr(b.buf, host) != NULL && strstr(b.buf, port) != NULL,
		      "no %s and %s in %s", host, port, b.buf);
}

START_TEST(public_set)
{
	struct node n;

	node_start(&n, "198.18.0.2:7101", "[2001:db8:48::7]:8443");
	expect_ticket(&n, HY_TRANSPORT_UDP, "198.18.0.2", 7101);
	expect_ticket(&n, HY_TRANSPORT_TCP, "2001:db8:48::7", 8443);
	expect_diarkis(&n, "\"serverHost\":\"198.18.0.2\"", "\"serverPort\":7101");
	node_stop(&n);
}
END_TEST

START_TEST(public_unset)
{
	struct node n;

	node_start(&n, "", "");
	expect_ticket(&n, HY_TRANSPORT_UDP, "198.18.0.1", 7100);
	/* the TCP listener's own address and port */
	expect_ticket(&n, HY_TRANSPORT_TCP, "127.0.0.1", n.proc.tcp_port);
	node_stop(&n);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("controlplane-public");
	TCase *tc = tcase_create("public");

	if (argc < 2) {
		fprintf(stderr, "usage: %s HAYATE_CONTROLPLANE\n", argv[0]);
		return 2;
	}
	exe = argv[1];
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, public_set);
	tcase_add_test(tc, public_unset);
	suite_add_tcase(s, tc);
	return hy_check_run(s);
}
