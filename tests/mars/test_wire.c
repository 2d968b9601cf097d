/* SPDX-License-Identifier: BSD-3-Clause
 * MARS cluster messages (controlplane/mars/wire.c, replay.c): the key
 * derivation and a sealed REPORT against the test vector of
 * docs/protocol.md, round trips of every type, a full view in one
 * datagram, and every reason a message is refused for.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "mars/replay.h"
#include "mars/wire.h"
#include "proto/limits.h"

/* docs/protocol.md, "Cluster messages", test vector. */
static const uint8_t cluster_key[HY_KEY_LEN] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
};
static const char *const vec_mars_key = "a7a1ef87bd1dfb6368295722c03ffb33";
static const char *const vec_report = "48594d530107010000000007010203040000000000000003018c2a5e00000000"
	"59d86ba3f8442703d8f52b4de17298878a89b63f92f6bc855c35ea295e029e4f"
	"fc8d960a4c50dea2449db55d45e76b588c36df80790977d97cbff34be5d71494"
	"08f8c4";

static struct hy_aead_ctx key;

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void setup(void)
{
	uint8_t k[HY_KEY_LEN];

	ck_assert_int_eq(hy_mars_key_derive(cluster_key, k), 0);
	ck_assert_int_eq(hy_aead_key_init(&key, HY_AEAD_OPENSSL, k), 0);
}

static struct hy_cluster_node node(uint32_t id)
{
	struct hy_cluster_node n;

	memset(&n, 0, sizeof(n));
	n.id = id;
	strcpy(n.name, "node-a");
	strcpy(n.version, "1");
	n.roles = HY_ROLE_UDP | HY_ROLE_HTTP;
	n.state = HY_CLUSTER_ONLINE;
	strcpy(n.udp_host, "198.18.0.1");
	n.udp_port = 7100;
	n.load.sessions = 42;
	n.load.pps = 1000;
	n.load.cpu_pct = 7;
	return n;
}

/* The vector's message: REPORT of node 7 in term 3. */
static int vector_report(uint8_t *out, size_t cap)
{
	struct hy_mars_msg m = { .h = { .type = HY_MARS_REPORT, .key_id = 1, .flags = 0,
					.sender = 7, .boot = 0x01020304, .term = 3,
					.seq = 0x018c2a5e00000000ull } };

	m.node = node(7);
	return hy_mars_seal(&key, &m, out, cap);
}

/* The doc holds the same hex (wrapped lines joined). */
static bool in_doc(const char *hexstr)
{
	char path[512], *buf, *joined;
	const char *root = getenv("HAYATE_SOURCE_ROOT");
	size_t n, j = 0;
	FILE *f;
	bool found;

	snprintf(path, sizeof(path), "%s/docs/protocol.md", root ? root : ".");
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	buf = malloc(1 << 20);
	joined = malloc(1 << 20);
	n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	for (size_t i = 0; i < n; i++)
		if ((buf[i] >= '0' && buf[i] <= '9') || (buf[i] >= 'a' && buf[i] <= 'f'))
			joined[j++] = buf[i];
		else if (buf[i] != '\n' && buf[i] != ' ')
			joined[j++] = '|';
	joined[j] = '\0';
	found = strstr(joined, hexstr) != NULL;
	free(buf);
	free(joined);
	return found;
}

START_TEST(vector)
{
	uint8_t k[HY_KEY_LEN], out[HY_MARS_MSG_MAX];
	char h[2 * HY_MARS_MSG_MAX + 1];
	int n;

	ck_assert_int_eq(hy_mars_key_derive(cluster_key, k), 0);
	hex(k, HY_KEY_LEN, h);
	ck_assert_msg(strcmp(h, vec_mars_key) == 0, "MARS key %s", h);
	n = vector_report(out, sizeof(out));
	ck_assert_int_gt(n, 0);
	hex(out, (size_t)n, h);
	ck_assert_msg(strcmp(h, vec_report) == 0, "REPORT %s", h);
	ck_assert_msg(in_doc(vec_mars_key), "docs/protocol.md lacks the MARS key");
	ck_assert_msg(in_doc(vec_report), "docs/protocol.md lacks the REPORT vector");
}
END_TEST

static struct hy_cluster_node nodes_in[HY_CLUSTER_MAX_NODES], nodes_out[HY_CLUSTER_MAX_NODES];

START_TEST(round_trips)
{
	uint8_t buf[HY_MARS_MSG_MAX];

	for (uint8_t t = 1; t < HY_MARS_TYPE_END; t++) {
		struct hy_mars_msg m = { .h = { .type = t, .key_id = 9, .flags = HY_MARS_F_CANDIDATE,
						.sender = 3, .boot = 77, .term = 12345,
						.seq = 1ull << 50 } },
				   o;
		int n;

		m.granted = t == HY_MARS_VOTE_ACK;
		m.node = node(3);
		m.nodes = nodes_in;
		m.n_nodes = 5;
		for (unsigned i = 0; i < 5; i++) {
			nodes_in[i] = node(100 + i);
			nodes_in[i].age_ms = i * 10;
		}
		n = hy_mars_seal(&key, &m, buf, sizeof(buf));
		ck_assert_int_gt(n, 0);
		o.nodes = nodes_out;
		ck_assert_int_eq(hy_mars_open(&key, buf, (size_t)n, &o), HY_R_OK);
		ck_assert_uint_eq(o.h.type, t);
		ck_assert_uint_eq(o.h.key_id, 9);
		ck_assert_uint_eq(o.h.flags, HY_MARS_F_CANDIDATE);
		ck_assert_uint_eq(o.h.sender, 3);
		ck_assert_uint_eq(o.h.boot, 77);
		ck_assert_uint_eq(o.h.term, 12345);
		ck_assert_uint_eq(o.h.seq, 1ull << 50);
		if (t == HY_MARS_VOTE_ACK)
			ck_assert_uint_eq(o.granted, 1);
		if (t == HY_MARS_REPORT)
			ck_assert_mem_eq(&o.node, &m.node, sizeof(o.node));
		if (t == HY_MARS_VIEW) {
			ck_assert_uint_eq(o.n_nodes, 5);
			ck_assert_mem_eq(nodes_out, nodes_in, 5 * sizeof(nodes_in[0]));
		}
		ck_assert_str_ne(hy_mars_type_name(t), "?");
	}
}
END_TEST

/* The largest view: 64 nodes with every string at its maximum. */
START_TEST(full_view_fits)
{
	static uint8_t buf[HY_MARS_MSG_MAX];
	struct hy_mars_msg m = { .h = { .type = HY_MARS_VIEW, .sender = 1, .boot = 1, .term = 1,
					.seq = 1 } },
			   o;
	int n;

	for (unsigned i = 0; i < HY_CLUSTER_MAX_NODES; i++) {
		nodes_in[i] = node(i + 1);
		memset(nodes_in[i].name, 'n', HY_CONF_NAME_MAX - 1);
		memset(nodes_in[i].version, 'v', HY_CONF_NAME_MAX - 1);
		memset(nodes_in[i].udp_host, 'u', HY_CONF_HOSTPORT_MAX - 1);
		memset(nodes_in[i].tcp_host, 't', HY_CONF_HOSTPORT_MAX - 1);
		nodes_in[i].load.sessions = UINT64_MAX;
		nodes_in[i].age_ms = UINT32_MAX;
	}
	m.nodes = nodes_in;
	m.n_nodes = HY_CLUSTER_MAX_NODES;
	n = hy_mars_seal(&key, &m, buf, sizeof(buf));
	ck_assert_int_eq(n, (int)HY_MARS_MSG_MAX);
	o.nodes = nodes_out;
	ck_assert_int_eq(hy_mars_open(&key, buf, (size_t)n, &o), HY_R_OK);
	ck_assert_uint_eq(o.n_nodes, HY_CLUSTER_MAX_NODES);
	/* 65 do not encode */
	m.n_nodes = HY_CLUSTER_MAX_NODES + 1;
	ck_assert_int_lt(hy_mars_seal(&key, &m, buf, sizeof(buf)), 0);
}
END_TEST

static enum hy_reason open_copy(const uint8_t *p, size_t n)
{
	static uint8_t b[HY_MARS_MSG_MAX + 64];
	struct hy_mars_msg o;

	memcpy(b, p, n);
	o.nodes = nodes_out;
	return hy_mars_open(&key, b, n, &o);
}

START_TEST(rejects)
{
	uint8_t good[HY_MARS_MSG_MAX], bad[HY_MARS_MSG_MAX];
	int n = vector_report(good, sizeof(good));
	uint8_t other[HY_KEY_LEN] = { 1 };
	struct hy_aead_ctx wrong;

	ck_assert_int_eq(open_copy(good, (size_t)n), HY_R_OK);
	/* forged: tag, body, header (the AAD) */
	memcpy(bad, good, (size_t)n);
	bad[n - 1] ^= 1;
	ck_assert_int_eq(open_copy(bad, (size_t)n), HY_R_AUTH_FAILED);
	memcpy(bad, good, (size_t)n);
	bad[HY_MARS_HDR_LEN] ^= 0x80;
	ck_assert_int_eq(open_copy(bad, (size_t)n), HY_R_AUTH_FAILED);
	memcpy(bad, good, (size_t)n);
	bad[19] ^= 1; /* term */
	ck_assert_int_eq(open_copy(bad, (size_t)n), HY_R_AUTH_FAILED);
	/* another cluster key */
	ck_assert_int_eq(hy_aead_key_init(&wrong, HY_AEAD_OPENSSL, other), 0);
	memcpy(bad, good, (size_t)n);
	{
		struct hy_mars_msg o = { .nodes = nodes_out };

		ck_assert_int_eq(hy_mars_open(&wrong, bad, (size_t)n, &o), HY_R_AUTH_FAILED);
	}
	/* the raw cluster key is not the MARS key (a token key never opens it) */
	ck_assert_int_eq(hy_aead_key_init(&wrong, HY_AEAD_OPENSSL, cluster_key), 0);
	memcpy(bad, good, (size_t)n);
	{
		struct hy_mars_msg o = { .nodes = nodes_out };

		ck_assert_int_eq(hy_mars_open(&wrong, bad, (size_t)n, &o), HY_R_AUTH_FAILED);
	}
	/* truncated */
	ck_assert_int_eq(open_copy(good, HY_MARS_OVERHEAD - 1), HY_R_TRUNCATED);
	ck_assert_int_eq(open_copy(good, 3), HY_R_TRUNCATED);
	ck_assert_int_eq(open_copy(good, (size_t)n - 1), HY_R_AUTH_FAILED);
	/* oversized */
	{
		static uint8_t big[HY_MARS_MSG_MAX + 1];

		memcpy(big, good, (size_t)n);
		ck_assert_int_eq(open_copy(big, sizeof(big)), HY_R_OVERSIZED);
	}
	/* header fields, checked before the key */
	memcpy(bad, good, (size_t)n);
	bad[0] = 'X';
	ck_assert_int_eq(open_copy(bad, (size_t)n), HY_R_BAD_MAGIC);
	memcpy(bad, good, (size_t)n);
	bad[4] = 2;
	ck_assert_int_eq(open_copy(bad, (size_t)n), HY_R_BAD_VERSION);
	memcpy(bad, good, (size_t)n);
	bad[5] = 0;
	ck_assert_int_eq(open_copy(bad, (size_t)n), HY_R_BAD_TYPE);
	bad[5] = HY_MARS_TYPE_END;
	ck_assert_int_eq(open_copy(bad, (size_t)n), HY_R_BAD_TYPE);
	memcpy(bad, good, (size_t)n);
	bad[7] = 0x02;
	ck_assert_int_eq(open_copy(bad, (size_t)n), HY_R_RESERVED_SET);
	memcpy(bad, good, (size_t)n);
	memset(bad + 8, 0, 4);
	ck_assert_int_eq(open_copy(bad, (size_t)n), HY_R_BAD_FIELD);
}
END_TEST

START_TEST(body_rejects)
{
	uint8_t b[1024];
	struct hy_mars_msg m = { .h = { .type = HY_MARS_REPORT } }, o = { .nodes = nodes_out };
	int n;

	m.node = node(5);
	n = hy_mars_body_encode(&m, b, sizeof(b));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(hy_mars_body_decode(HY_MARS_REPORT, b, (size_t)n, &o), HY_R_OK);
	ck_assert_int_eq(hy_mars_body_decode(HY_MARS_REPORT, b, (size_t)n - 1, &o), HY_R_TRUNCATED);
	b[n] = 0;
	ck_assert_int_eq(hy_mars_body_decode(HY_MARS_REPORT, b, (size_t)n + 1, &o),
			 HY_R_TRAILING_BYTES);
	b[4] = 3; /* state */
	ck_assert_int_eq(hy_mars_body_decode(HY_MARS_REPORT, b, (size_t)n, &o), HY_R_BAD_FIELD);
	b[4] = HY_CLUSTER_ONLINE;
	b[5] = 0x08; /* roles */
	ck_assert_int_eq(hy_mars_body_decode(HY_MARS_REPORT, b, (size_t)n, &o), HY_R_BAD_FIELD);
	b[5] = HY_ROLE_UDP;
	b[7] = 0; /* a NUL in the name */
	ck_assert_int_eq(hy_mars_body_decode(HY_MARS_REPORT, b, (size_t)n, &o), HY_R_BAD_LENGTH);
	b[7] = 'n';
	memset(b, 0, 4); /* id 0 */
	ck_assert_int_eq(hy_mars_body_decode(HY_MARS_REPORT, b, (size_t)n, &o), HY_R_BAD_FIELD);
	/* an ACK's granted is 0 or 1; pings carry nothing */
	b[0] = 2;
	ck_assert_int_eq(hy_mars_body_decode(HY_MARS_VOTE_ACK, b, 1, &o), HY_R_BAD_FIELD);
	ck_assert_int_eq(hy_mars_body_decode(HY_MARS_VOTE_ACK, b, 0, &o), HY_R_TRUNCATED);
	ck_assert_int_eq(hy_mars_body_decode(HY_MARS_PING, b, 1, &o), HY_R_TRAILING_BYTES);
	/* a view of more than 64 */
	b[0] = HY_CLUSTER_MAX_NODES + 1;
	ck_assert_int_eq(hy_mars_body_decode(HY_MARS_VIEW, b, 1, &o), HY_R_BAD_FIELD);
	ck_assert_int_eq(hy_mars_body_decode(99, b, 1, &o), HY_R_BAD_TYPE);
}
END_TEST

START_TEST(replay)
{
	static struct hy_mars_replay r;
	uint64_t now = 1700000000000ull, s = now << 16;

	hy_mars_replay_init(&r, 30000);
	ck_assert_int_eq(hy_mars_replay_check(&r, 5, 100, s, now), HY_R_OK);
	ck_assert_int_eq(hy_mars_replay_check(&r, 5, 100, s, now), HY_R_REPLAYED);
	ck_assert_int_eq(hy_mars_replay_check(&r, 5, 100, s - 1, now), HY_R_REPLAYED);
	ck_assert_int_eq(hy_mars_replay_check(&r, 5, 100, s + 1, now), HY_R_OK);
	/* another sender has its own sequence */
	ck_assert_int_eq(hy_mars_replay_check(&r, 6, 200, s, now), HY_R_OK);
	/* outside the skew window, either way */
	ck_assert_int_eq(hy_mars_replay_check(&r, 5, 100, (now - 30001) << 16, now), HY_R_CLOCK_SKEW);
	ck_assert_int_eq(hy_mars_replay_check(&r, 5, 100, (now + 30001) << 16, now), HY_R_CLOCK_SKEW);
	ck_assert_int_eq(hy_mars_replay_check(&r, 7, 1, (now + 30001) << 16, now), HY_R_CLOCK_SKEW);
	/* a restart (new boot) must continue above what was seen */
	ck_assert_int_eq(hy_mars_replay_check(&r, 5, 101, s, now), HY_R_TOO_OLD);
	ck_assert_int_eq(hy_mars_replay_check(&r, 5, 101, s + 100, now), HY_R_OK);
	ck_assert_int_eq(hy_mars_replay_check(&r, 5, 101, s + 101, now), HY_R_OK);
	/* the old boot still talking: two processes with node id 5 */
	ck_assert_int_eq(hy_mars_replay_check(&r, 5, 100, s + 500, now), HY_R_DUPLICATE_NODE_ID);
	ck_assert_int_eq(hy_mars_replay_check(&r, 5, 101, s + 600, now), HY_R_OK);
	/* seq generation */
	ck_assert_uint_eq(hy_mars_next_seq(0, now), s);
	ck_assert_uint_eq(hy_mars_next_seq(s, now), s + 1);
	ck_assert_uint_eq(hy_mars_next_seq(s + 5, now + 1), (now + 1) << 16);
	/* more senders than slots: the least recently heard is forgotten */
	for (uint32_t id = 1000; id < 1000 + HY_MARS_REPLAY_SLOTS + 10; id++)
		ck_assert_int_eq(hy_mars_replay_check(&r, id, 1, s, now + id), HY_R_OK);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mars-wire");
	TCase *tc = tcase_create("wire");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, vector);
	tcase_add_test(tc, round_trips);
	tcase_add_test(tc, full_view_fits);
	tcase_add_test(tc, rejects);
	tcase_add_test(tc, body_rejects);
	tcase_add_test(tc, replay);
	suite_add_tcase(s, tc);
	return hy_check_run(s);
}
