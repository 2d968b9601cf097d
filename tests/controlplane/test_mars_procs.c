/* SPDX-License-Identifier: BSD-3-Clause
 * Three hayate-controlplane processes on loopback, all MARS candidates
 * (roles tcp and http, no data plane): they elect one leader, every node
 * shows that leader and all three nodes in GET /v1/nodes, POST /v1/auth
 * on any of them names one of the three; the leader killed, the other two
 * elect a new one in a newer term.  Deadlines are generous (20 s) and only
 * outcomes are checked, never speed.
 *   test_cp_mars_procs HAYATE_CONTROLPLANE
 */
#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check_run.h"
#include "cp_proc.h"

#define N 3
#define ADMIN "admin-token-0123456789abcdef0123456789abcdef"
#define APP_KEY "test-app-key-0123456789abcdef0123456789abcdef"
#define DEADLINE_MS 20000

static const char *exe;

struct node {
	struct cp_proc proc;
	char secrets[64];
	char url[64];
	uint32_t id;
	bool up;
};

static struct node nodes[N];

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool udp_free(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

/* N consecutive free UDP ports in an unusual range. */
static uint16_t pick_ports(void)
{
	for (uint16_t base = 47311; base < 47911; base += 10) {
		unsigned i;

		for (i = 0; i < N && udp_free((uint16_t)(base + i)); i++)
			;
		if (i == N)
			return base;
	}
	return 0;
}

static void write_secret(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fchmod(fileno(f), 0600);
	fputs(text, f);
	fclose(f);
}

static void node_start(struct node *n, uint32_t id, uint16_t base, unsigned idx)
{
	struct hy_node_config conf;
	char path[128];

	memset(n, 0, sizeof(*n));
	n->proc.pid = -1;
	n->id = id;
	snprintf(n->secrets, sizeof(n->secrets), "/tmp/hy-mars-procs-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(n->secrets));
	hy_conf_node_defaults(&conf);
	conf.node.id = id;
	snprintf(conf.node.name, sizeof(conf.node.name), "mars-%u", id);
	conf.node.roles = HY_ROLE_TCP | HY_ROLE_HTTP;
	conf.controlplane.tcp.listen.family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &conf.controlplane.tcp.listen.v4);
	conf.controlplane.tcp.port = 0;
	conf.controlplane.http.listen = conf.controlplane.tcp.listen;
	conf.controlplane.http.port = 0;
	conf.controlplane.mars.listen = conf.controlplane.tcp.listen;
	conf.controlplane.mars.port = (uint16_t)(base + idx);
	conf.controlplane.mars.heartbeat_ms = 100;
	conf.controlplane.mars.election_timeout_ms = 800;
	conf.controlplane.mars.nb_candidates = N;
	for (unsigned i = 0; i < N; i++)
		snprintf(conf.controlplane.mars.candidates[i],
			 sizeof(conf.controlplane.mars.candidates[i]), "127.0.0.1:%u", base + i);
	snprintf(path, sizeof(path), "%s/app.keys", n->secrets);
	write_secret(path, "test " APP_KEY "\n");
	snprintf(conf.paths.app_keys_file, sizeof(conf.paths.app_keys_file), "%s", path);
	snprintf(path, sizeof(path), "%s/admin.token", n->secrets);
	write_secret(path, ADMIN "\n");
	snprintf(conf.paths.admin_token_file, sizeof(conf.paths.admin_token_file), "%s", path);
	snprintf(conf.paths.stats_shm, sizeof(conf.paths.stats_shm), "/hy-mars-procs-%d-%u",
		 (int)getpid(), id);
	ck_assert_int_eq(cp_proc_prepare(&n->proc, &conf), 0);
	snprintf(n->url, sizeof(n->url), "http://127.0.0.1:%u", conf.controlplane.http.port);
	ck_assert_msg(cp_proc_start(&n->proc, exe) == 0, "%s did not start", exe);
	n->up = true;
}

static void node_stop(struct node *n)
{
	char path[128];

	if (n->secrets[0] == '\0')
		return;
	cp_proc_stop(&n->proc);
	n->up = false;
	snprintf(path, sizeof(path), "%s/app.keys", n->secrets);
	unlink(path);
	snprintf(path, sizeof(path), "%s/admin.token", n->secrets);
	unlink(path);
	rmdir(n->secrets);
	n->secrets[0] = '\0';
}

struct body {
	char buf[65536];
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

/* GET or POST url+path; returns the parsed JSON of a 200 reply, or NULL. */
static json_t *http(const struct node *n, const char *path, const char *post, const char *auth)
{
	static struct body b;
	struct curl_slist *h = NULL;
	char url[128], hdr[128];
	long code = 0;
	CURL *c = curl_easy_init();

	b.len = 0;
	b.buf[0] = '\0';
	snprintf(url, sizeof(url), "%s%s", n->url, path);
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", auth);
	h = curl_slist_append(h, hdr);
	if (post != NULL) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return code == 200 ? json_loads(b.buf, 0, NULL) : NULL;
}

/* True when every running node shows the same leader (not 0, not
 * excluded), the same term, and want nodes, none stale.  *leader and
 * *term get what they show. */
static bool agreed(uint32_t excluded, unsigned want, uint32_t *leader, uint64_t *term)
{
	uint32_t l = 0;
	uint64_t t = 0;
	bool first = true;

	for (unsigned i = 0; i < N; i++) {
		json_t *j;
		bool ok;

		if (!nodes[i].up)
			continue;
		j = http(&nodes[i], "/v1/nodes", NULL, ADMIN);
		if (j == NULL)
			return false;
		uint32_t jl = (uint32_t)json_integer_value(json_object_get(j, "leader"));
		uint64_t jt = (uint64_t)json_integer_value(json_object_get(j, "term"));

		ok = jl != 0 && jl != excluded && !json_is_true(json_object_get(j, "stale")) &&
		     json_array_size(json_object_get(j, "nodes")) == want &&
		     (first || (jl == l && jt == t));
		json_decref(j);
		if (!ok)
			return false;
		l = jl;
		t = jt;
		first = false;
	}
	*leader = l;
	*term = t;
	return true;
}

static bool wait_agreed(uint32_t excluded, unsigned want, uint32_t *leader, uint64_t *term)
{
	uint64_t end = now_ms() + DEADLINE_MS;

	while (now_ms() < end) {
		if (agreed(excluded, want, leader, term))
			return true;
		usleep(200 * 1000);
	}
	return false;
}

START_TEST(elect_and_reelect)
{
	uint16_t base = pick_ports();
	uint32_t leader = 0, leader2 = 0;
	uint64_t term = 0, term2 = 0;
	unsigned i, li = N;

	ck_assert_msg(base != 0, "no free UDP ports in 47311-47910");
	for (i = 0; i < N; i++)
		node_start(&nodes[i], 41 + i, base, i);
	ck_assert_msg(wait_agreed(0, N, &leader, &term), "no single leader shown by all three");
	ck_assert(leader >= 41 && leader < 41 + N);
	ck_assert_uint_ge(term, 1);

	/* Allocation from any node names one of the three. */
	for (i = 0; i < N; i++) {
		json_t *j = http(&nodes[i], "/v1/auth", "{\"uid\":\"p1\",\"transport\":\"tcp\"}",
				 APP_KEY);
		ck_assert_ptr_nonnull(j);
		json_int_t id = json_integer_value(json_object_get(j, "nodeId"));
		ck_assert(id >= 41 && id < 41 + N);
		json_decref(j);
	}

	for (i = 0; i < N; i++)
		if (nodes[i].id == leader)
			li = i;
	ck_assert_uint_lt(li, N);
	node_stop(&nodes[li]);
	/* The leader's record may stay in the view until it expires; wait
	 * for a new leader and two nodes. */
	ck_assert_msg(wait_agreed(leader, N - 1, &leader2, &term2),
		      "no new leader after the old one was killed");
	ck_assert_uint_ne(leader2, leader);
	ck_assert_uint_gt(term2, term);
}
END_TEST

static void teardown(void)
{
	for (unsigned i = 0; i < N; i++)
		node_stop(&nodes[i]);
}

int main(int argc, char **argv)
{
	Suite *s = suite_create("mars-procs");
	TCase *tc = tcase_create("cluster");

	if (argc < 2) {
		fprintf(stderr, "usage: %s HAYATE_CONTROLPLANE\n", argv[0]);
		return 2;
	}
	exe = argv[1];
	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, elect_and_reelect);
	suite_add_tcase(s, tc);
	return hy_check_run(s);
}
