/* SPDX-License-Identifier: BSD-3-Clause
 * The protocol round trip, shown: the client library connects to the
 * reference responder over loopback UDP with a freshly minted token, echoes,
 * receives a push, tries a reused token, and disconnects.  Every datagram
 * the node side sees or sends is printed.  Exits 0 only if everything
 * happened as docs/protocol.md says it should.
 */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hayate_client.h"
#include "ref_server.h"

#include "crypto/random.h"
#include "crypto/token.h"
#include "proto/message.h"
#include "proto/packet.h"
#include "proto/seal.h"

#define NODE_ID 1u
#define WAIT_MS 5000u

static uint64_t unverified_in, unverified_out;

static void trace(void *arg, const char *dir, const char *what, size_t len)
{
	(void)arg;
	if (strcmp(dir, "in") == 0)
		printf("  client -> node   %-10s %4zu bytes\n", what, len);
	else if (strcmp(dir, "out") == 0)
		printf("  node   -> client %-10s %4zu bytes\n", what, len);
	else
		printf("  node drops it:   %s (%zu bytes)\n", what, len);
	/* Handshake bytes before the session exists, for the amplification check. */
	if (strcmp(what, "CONNECT") == 0)
		unverified_in += len;
	if (strcmp(what, "CHALLENGE") == 0)
		unverified_out += len;
}

static bool pump_until(struct hy_client *c, struct ref_server *s, enum hy_client_state want,
		       struct hy_client_message *msg)
{
	uint64_t start = hy_client_now_ms();
	while (hy_client_now_ms() - start < WAIT_MS) {
		struct pollfd p[2] = {{.fd = hy_client_fd(c), .events = POLLIN},
				      {.fd = ref_server_fd(s), .events = POLLIN}};
		poll(p, 2, 10);
		uint64_t now = hy_client_now_ms();
		ref_server_poll(s, now);
		hy_client_update(c, now);
		if (msg ? hy_client_receive(c, msg) : hy_client_state(c) == want)
			return true;
		if (!msg && hy_client_state(c) >= HY_CLIENT_DISCONNECTED)
			return hy_client_state(c) == want;
	}
	return false;
}

static int fail(const char *what)
{
	printf("FAILED: %s\n", what);
	return EXIT_FAILURE;
}

int main(void)
{
	struct ref_server_config cfg = {.node_id = NODE_ID, .node_state = HY_NODE_ONLINE,
					.keepalive_ms = 1000, .idle_timeout_ms = 10000,
					.backend = HY_AEAD_OPENSSL, .trace = trace};
	struct hy_aead_ctx cluster;
	struct hy_ticket t = {.host = "127.0.0.1"};
	struct hy_client_message m;
	char err[256];

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("Hayate protocol v%u round trip: client library <-> reference responder, UDP on loopback\n",
	       HY_PROTO_VERSION);
	if (hy_random_bytes(cfg.cluster_key, HY_KEY_LEN) < 0 ||
	    hy_aead_key_init(&cluster, HY_AEAD_OPENSSL, cfg.cluster_key) < 0)
		return fail("cluster key");
	struct ref_server *s = ref_server_create(&cfg, "127.0.0.1", 0);
	if (s == NULL)
		return fail("cannot bind the responder on 127.0.0.1");
	t.port = ref_server_port(s);
	if (hy_token_mint(&cluster, 0, NODE_ID, (uint64_t)time(NULL) + 60, "demo-player",
			  HY_TRANSPORT_UDP, &t.cred) < 0)
		return fail("mint token");
	printf("\n1. The HTTP tier mints a ticket (here: in process, under a random cluster key)\n");
	printf("  uid demo-player, sid %016" PRIx64 ", node %u, token %u bytes sealed with AES-128-GCM\n",
	       t.cred.sid, NODE_ID, HY_TOKEN_LEN);

	printf("\n2. Handshake: token -> stateless cookie -> session\n");
	struct hy_client *c = hy_client_create(&t, NULL, err, sizeof(err));
	if (c == NULL)
		return fail(err);
	hy_client_connect(c, hy_client_now_ms());
	if (!pump_until(c, s, HY_CLIENT_CONNECTED, NULL))
		return fail("handshake");
	printf("  connected; node state %s; before the session existed the node sent %" PRIu64
	       " bytes for %" PRIu64 " received (never more)\n",
	       hy_node_state_name(hy_client_node_state(c)), unverified_out, unverified_in);
	if (unverified_out > unverified_in)
		return fail("amplification");

	printf("\n3. Encrypted commands: ECHO (ver 0, cmd 3) returns our public address\n");
	for (uint64_t i = 1; i <= 3; i++) {
		uint64_t sent = hy_client_now_ms();
		struct hy_echo_resp er;
		char addr[64];
		hy_client_echo(c, i);
		if (!pump_until(c, s, 0, &m) || m.status != HY_STATUS_OK ||
		    hy_echo_resp_decode(m.payload, m.len, &er) != HY_R_OK || er.client_time != i)
			return fail("echo");
		snprintf(addr, sizeof(addr), "%u.%u.%u.%u:%u", er.addr.addr[0], er.addr.addr[1],
			 er.addr.addr[2], er.addr.addr[3], er.addr.port);
		printf("  echo %" PRIu64 ": status %s, you are %s, node %s, round trip %" PRIu64
		       " ms\n", i, hy_status_name(m.status), addr, hy_node_state_name(er.node_state),
		       hy_client_now_ms() - sent);
	}

	printf("\n4. A push from the node (status 255)\n");
	ref_server_push_all(s, 2, 100, "welcome", 7);
	if (!pump_until(c, s, 0, &m) || m.status != HY_STATUS_PUSH || m.len != 7)
		return fail("push");
	printf("  received push ver %u cmd %u: \"%.*s\"\n", m.ver, m.cmd, (int)m.len, m.payload);

	printf("\n5. The client disconnects (three copies, as UDP may lose one: the node drops the\n"
	       "   copies that arrive after the session is gone); the token cannot open a second session\n");
	hy_client_disconnect(c);
	hy_client_destroy(c);
	c = hy_client_create(&t, NULL, err, sizeof(err));
	if (c == NULL)
		return fail(err);
	hy_client_connect(c, hy_client_now_ms());
	if (!pump_until(c, s, HY_CLIENT_DENIED, NULL))
		return fail("reused token was not denied");
	printf("  second connect with the same token: %s (%s)\n",
	       hy_client_state_name(hy_client_state(c)),
	       hy_close_reason_name(hy_client_close_reason(c)));
	hy_client_destroy(c);

	const struct ref_server_stats *st = ref_server_stats(s);
	printf("\nnode: %" PRIu64 " datagrams in, %" PRIu64 " out, %" PRIu64 " accepts, %" PRIu64
	       " echoes, %" PRIu64 " denies, %" PRIu64 " disconnects\n",
	       st->rx, st->tx, st->accepts, st->echoes, st->denies, st->disconnects);
	ref_server_destroy(s);
	printf("protocol round trip: OK\n");
	return EXIT_SUCCESS;
}
