/* SPDX-License-Identifier: BSD-3-Clause
 * The HTTP auth helper against a stub of POST /v1/auth on loopback: the
 * request it sends, the ticket it reads (and that the ticket connects, over
 * TCP, to the reference responder), and every refusal: wrong key (401),
 * bad field (400 naming it), a body that is not JSON, a reply past the size
 * cap, a reply slower than the timeout, a 500 without JSON, a ticket for the
 * wrong transport, nobody listening, malformed arguments.
 */
#include <check.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <jansson.h>

#include "auth_stub.h"
#include "check_run.h"
#include "hayate_client.h"
#include "ref_server.h"

#include "proto/message.h"
#include "proto/packet.h"

#define NODE_ID 11u
#define APP_KEY "app-key-0123456789"

static const uint8_t cluster_key[HY_KEY_LEN] = {0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
						0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f};
static struct auth_stub *stub;
static struct ref_server *node;
static char base[64];

static void setup(void)
{
	struct ref_server_config rc = {.node_id = NODE_ID, .node_state = HY_NODE_ONLINE,
				       .keepalive_ms = 1000, .backend = HY_AEAD_OPENSSL};
	memcpy(rc.cluster_key, cluster_key, HY_KEY_LEN);
	node = ref_server_create(&rc, "127.0.0.1", 0);
	ck_assert_ptr_nonnull(node);
	ck_assert_int_eq(ref_server_listen_tcp(node, "127.0.0.1", 0), 0);

	struct auth_stub_config sc = {.app_key = APP_KEY, .node_id = NODE_ID, .host = "127.0.0.1",
				      .udp_port = ref_server_port(node),
				      .tcp_port = ref_server_tcp_port(node), .ttl_s = 60};
	memcpy(sc.cluster_key, cluster_key, HY_KEY_LEN);
	stub = auth_stub_start(&sc, 0);
	ck_assert_ptr_nonnull(stub);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", auth_stub_port(stub));
}

static void teardown(void)
{
	auth_stub_stop(stub);
	ref_server_destroy(node);
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

START_TEST(test_fetch_udp_ticket_and_request_shape)
{
	struct hy_ticket t;
	struct auth_stub_request req;
	char err[512] = "";

	ck_assert_msg(hy_auth_fetch(base, APP_KEY, "alice", HY_TRANSPORT_UDP, &t, err,
				    sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(t.cred.uid, "alice");
	ck_assert_uint_eq(t.cred.transport, HY_TRANSPORT_UDP);
	ck_assert_str_eq(t.host, "127.0.0.1");
	ck_assert_uint_eq(t.port, ref_server_port(node));
	ck_assert(t.cred.sid != 0);

	auth_stub_last_request(stub, &req);
	ck_assert_str_eq(req.method, "POST");
	ck_assert_str_eq(req.url, "/v1/auth");
	ck_assert_str_eq(req.authorization, "Bearer " APP_KEY);
	ck_assert_str_eq(req.content_type, "application/json");
	json_t *body = json_loads(req.body, 0, NULL);
	ck_assert_ptr_nonnull(body);
	ck_assert_str_eq(json_string_value(json_object_get(body, "uid")), "alice");
	ck_assert_str_eq(json_string_value(json_object_get(body, "transport")), "udp");
	ck_assert_uint_eq(json_object_size(body), 2);
	json_decref(body);
}
END_TEST

static bool connected(struct hy_client *c) { return hy_client_state(c) >= HY_CLIENT_CONNECTED; }
static struct hy_client_message msg;
static bool got(struct hy_client *c) { return hy_client_receive(c, &msg); }

static bool run(struct hy_client *c, bool (*done)(struct hy_client *))
{
	uint64_t start = hy_client_now_ms();
	while (hy_client_now_ms() - start < 10000) {
		ref_server_poll(node, hy_client_now_ms());
		hy_client_update(c, hy_client_now_ms());
		if (done(c))
			return true;
		struct pollfd p[3 + REF_SERVER_MAX_TCP];
		p[0] = (struct pollfd){.fd = hy_client_fd(c), .events = hy_client_poll_events(c)};
		poll(p, 1 + ref_server_pollfds(node, p + 1, 2 + REF_SERVER_MAX_TCP), 10);
	}
	return false;
}

START_TEST(test_fetched_tcp_ticket_connects)
{
	struct hy_ticket t;
	char err[512] = "";
	char slash[80];

	/* A base URL with a trailing slash names the same endpoint. */
	snprintf(slash, sizeof(slash), "%s/", base);
	ck_assert_msg(hy_auth_fetch(slash, APP_KEY, "bob", HY_TRANSPORT_TCP, &t, err,
				    sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(t.cred.transport, HY_TRANSPORT_TCP);
	ck_assert_uint_eq(t.port, ref_server_tcp_port(node));

	struct hy_client *c = hy_client_create(&t, NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(hy_client_transport(c), HY_TRANSPORT_TCP);
	hy_client_connect(c, hy_client_now_ms());
	ck_assert(run(c, connected));
	ck_assert_int_eq(hy_client_state(c), HY_CLIENT_CONNECTED);
	ck_assert_int_eq(hy_client_echo(c, 1234), 0);
	ck_assert(run(c, got));
	ck_assert_uint_eq(msg.cmd, HY_CMD_ECHO);
	ck_assert_uint_eq(msg.status, HY_STATUS_OK);
	hy_client_destroy(c);
}
END_TEST

/* Fetch must fail, leave the ticket zeroed, and say each of the words. */
static void expect_failure(const struct hy_auth_options *opt, const char *url, const char *key,
			   const char *uid, enum hy_transport tr, const char *w1, const char *w2)
{
	struct hy_ticket t;
	char err[512] = "";
	memset(&t, 0xa5, sizeof(t));
	ck_assert_int_eq(hy_auth_fetch_with(opt, url, key, uid, tr, &t, err, sizeof(err)), -1);
	ck_assert(all_zero(&t, sizeof(t)));
	ck_assert_msg(strstr(err, w1) != NULL, "'%s' lacks '%s'", err, w1);
	ck_assert_msg(w2 == NULL || strstr(err, w2) != NULL, "'%s' lacks '%s'", err, w2);
}

START_TEST(test_refusals_carry_status_and_error)
{
	expect_failure(NULL, base, "wrong-key", "alice", HY_TRANSPORT_UDP, "HTTP 401",
		       "missing or unknown app key");
	expect_failure(NULL, base, APP_KEY, "", HY_TRANSPORT_UDP, "HTTP 400",
		       "uid must be a string of 1 to 64 bytes (field 'uid')");
	expect_failure(NULL, base, APP_KEY, "reply-500", HY_TRANSPORT_UDP, "HTTP 500",
		       "no JSON \"error\"");
}
END_TEST

START_TEST(test_bad_replies)
{
	expect_failure(NULL, base, APP_KEY, "reply-garbage", HY_TRANSPORT_UDP, "HTTP 200",
		       "invalid JSON");
	expect_failure(NULL, base, APP_KEY, "reply-huge", HY_TRANSPORT_UDP,
		       "reply larger than 16384 bytes", NULL);
	struct hy_auth_options small = {.max_response = 100};
	expect_failure(&small, base, APP_KEY, "alice", HY_TRANSPORT_UDP,
		       "reply larger than 100 bytes", NULL);
	expect_failure(NULL, base, APP_KEY, "reply-other-transport", HY_TRANSPORT_TCP,
		       "ticket is for udp, not tcp", NULL);
}
END_TEST

START_TEST(test_slow_reply_times_out)
{
	struct hy_auth_options fast = {.timeout_ms = 300};
	expect_failure(&fast, base, APP_KEY, "reply-slow", HY_TRANSPORT_UDP, "/v1/auth",
		       "timed out");
}
END_TEST

START_TEST(test_nobody_listening)
{
	/* A port that was free a moment ago. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", ntohs(a.sin_port));
	expect_failure(NULL, url, APP_KEY, "alice", HY_TRANSPORT_UDP, url, "onnect");
}
END_TEST

START_TEST(test_bad_arguments)
{
	expect_failure(NULL, "", APP_KEY, "alice", HY_TRANSPORT_UDP, "need a base URL", NULL);
	expect_failure(NULL, base, "", "alice", HY_TRANSPORT_UDP, "need a base URL", NULL);
	expect_failure(NULL, base, APP_KEY, "alice", (enum hy_transport)9, "transport", NULL);
	expect_failure(NULL, base, "key\r\nX-Evil: 1", "alice", HY_TRANSPORT_UDP,
		       "app key is malformed", NULL);
	expect_failure(NULL, "ftp://127.0.0.1:1", APP_KEY, "alice", HY_TRANSPORT_UDP, "POST ftp://",
		       NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("client-auth");
	TCase *tc = tcase_create("http");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fetch_udp_ticket_and_request_shape);
	tcase_add_test(tc, test_fetched_tcp_ticket_connects);
	tcase_add_test(tc, test_refusals_carry_status_and_error);
	tcase_add_test(tc, test_bad_replies);
	tcase_add_test(tc, test_slow_reply_times_out);
	tcase_add_test(tc, test_nobody_listening);
	tcase_add_test(tc, test_bad_arguments);
	suite_add_tcase(s, tc);
	return hy_check_run(s);
}
