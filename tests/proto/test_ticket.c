/* SPDX-License-Identifier: BSD-3-Clause
 * Binary tickets and the MOVE / ROOM_REDIRECT payloads (proto/ticket.h):
 * the example of docs/protocol.md ("Cluster: moves and redirects", read
 * from the document) is the encoder's output and decodes; every refusal
 * of the check order, in order; the canonical round trip.
 */
#include <ctype.h>
#include <stdio.h>

#include "proto/ticket.h"
#include "proto_test.h"

#include "common/wire.h"

/* The cryptography part's token vector: node 7, key id 2, expiry
 * 0x6955b900, sid 0123456789abcdef, UDP, player-1. */
static const char token_hex[] =
	"0102000000000007000000006955b900f0f1f2f3f4f5f6f7f8f9fafbd6fcc941120718e1fbeaf4eb04c84b"
	"6bea2092ca211dd0d637045b5c6ba15fad8d47ac45571d19c5ea2e0e2d3b5c519865656ae6f2be5811b6d3"
	"4c6b75a723c3d3b2e258e3c15565df688b6348554ce917145e05017a62a65f4e542792c3dc0748987e5d80"
	"a4272f0fc71aeda75ca2de391077f1d0c8fa7d56d51513";

static void unhex(const char *h, uint8_t *out, size_t n)
{
	ck_assert_uint_eq(strlen(h), 2 * n);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		ck_assert_int_eq(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* The example's values, as the document states them. */
static struct hy_ticket example(void)
{
	struct hy_ticket t;

	memset(&t, 0, sizeof(t));
	t.cred.transport = HY_TRANSPORT_UDP;
	t.cred.sid = 0x0123456789abcdefull;
	for (unsigned i = 0; i < HY_KEY_LEN; i++) {
		t.cred.c2s_key[i] = (uint8_t)(0x10 + i);
		t.cred.s2c_key[i] = (uint8_t)(0x20 + i);
	}
	unhex(token_hex, t.cred.token, HY_TOKEN_LEN);
	snprintf(t.cred.uid, sizeof(t.cred.uid), "player-1");
	t.cred.uid_len = 8;
	snprintf(t.host, sizeof(t.host), "198.18.0.7");
	t.port = 7100;
	return t;
}

/* The ```hex lines "ticket.<field>: hh ..." of the cluster section. */
static size_t doc_vector(uint8_t *out, size_t cap)
{
	const char *root = getenv("HAYATE_SOURCE_ROOT");
	char path[4096], line[512];
	bool in_section = false, in_hex = false;
	size_t n = 0;
	FILE *f;

	ck_assert_msg(root != NULL, "HAYATE_SOURCE_ROOT is not set");
	snprintf(path, sizeof(path), "%s/docs/protocol.md", root);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "<!-- cluster:begin", 18) == 0)
			in_section = true;
		else if (strncmp(line, "<!-- cluster:end", 16) == 0)
			in_section = false;
		else if (in_section && strncmp(line, "```", 3) == 0)
			in_hex = !in_hex && strcmp(line, "```hex") == 0;
		else if (in_section && in_hex && strncmp(line, "ticket.", 7) == 0) {
			const char *p = strchr(line, ':');

			ck_assert_ptr_nonnull(p);
			for (p++; *p == ' ' && isxdigit((unsigned char)p[1]); p += 3) {
				unsigned v;

				ck_assert_uint_lt(n, cap);
				ck_assert_int_eq(sscanf(p + 1, "%2x", &v), 1);
				out[n++] = (uint8_t)v;
			}
			ck_assert_msg(*p == '\0', "malformed vector line: %s", line);
		}
	}
	fclose(f);
	return n;
}

START_TEST(document_example)
{
	struct hy_ticket t = example(), back;
	uint8_t doc[HY_TICKET_MAX_LEN], enc[HY_TICKET_MAX_LEN];
	size_t n = doc_vector(doc, sizeof(doc));

	ck_assert_uint_eq(n, 216);
	ck_assert_uint_eq(hy_ticket_encode(enc, sizeof(enc), &t), n);
	ck_assert_mem_eq(enc, doc, n);
	uint8_t *exact = dup_exact(doc, n);
	ck_assert_int_eq(hy_ticket_decode(exact, n, &back), HY_R_OK);
	free(exact);
	ck_assert_uint_eq(back.cred.sid, t.cred.sid);
	ck_assert_uint_eq(back.cred.transport, HY_TRANSPORT_UDP);
	ck_assert_uint_eq(back.port, 7100);
	ck_assert_str_eq(back.host, "198.18.0.7");
	ck_assert_str_eq(back.cred.uid, "player-1");
	ck_assert_uint_eq(back.cred.uid_len, 8);
	ck_assert_mem_eq(back.cred.c2s_key, t.cred.c2s_key, HY_KEY_LEN);
	ck_assert_mem_eq(back.cred.s2c_key, t.cred.s2c_key, HY_KEY_LEN);
	ck_assert_mem_eq(back.cred.token, t.cred.token, HY_TOKEN_LEN);
	/* From the token's public part. */
	ck_assert_uint_eq(back.cred.node_id, 7);
	ck_assert_uint_eq(back.cred.key_id, 2);
	ck_assert_uint_eq(back.cred.expire_at, 0x6955b900u);
	/* Too small a buffer, by one byte. */
	ck_assert_uint_eq(hy_ticket_encode(enc, n - 1, &t), 0);
}
END_TEST

START_TEST(largest_ticket)
{
	struct hy_ticket t = example(), back;
	uint8_t enc[HY_TICKET_MAX_LEN];

	memset(t.cred.uid, 'u', HY_UID_MAX);
	t.cred.uid_len = HY_UID_MAX;
	memset(t.host, 'h', HY_TICKET_HOST_MAX);
	t.host[HY_TICKET_HOST_MAX] = '\0';
	ck_assert_uint_eq(hy_ticket_encode(enc, sizeof(enc), &t), HY_TICKET_MAX_LEN);
	ck_assert_int_eq(hy_ticket_decode(enc, HY_TICKET_MAX_LEN, &back), HY_R_OK);
	ck_assert_uint_eq(strlen(back.host), HY_TICKET_HOST_MAX);
	ck_assert_uint_eq(back.cred.uid_len, HY_UID_MAX);
}
END_TEST

/* Decodes buf (len bytes, exact heap copy) and returns the reason; the
 * output is zeroed on any refusal. */
static enum hy_reason decode(const uint8_t *buf, size_t len)
{
	struct hy_ticket t;
	uint8_t *p = dup_exact(buf, len);
	enum hy_reason r = hy_ticket_decode(p, len, &t);

	free(p);
	if (r != HY_R_OK) {
		static const struct hy_ticket zero;
		ck_assert_mem_eq(&t, &zero, sizeof(t));
	}
	return r;
}

START_TEST(refusals_in_order)
{
	struct hy_ticket t = example();
	uint8_t good[HY_TICKET_MAX_LEN], b[HY_TICKET_MAX_LEN + 1];
	size_t n = hy_ticket_encode(good, sizeof(good), &t);
	const size_t uid_at = 197, host_len_at = 205, host_at = 206;

	ck_assert_uint_eq(n, 216);
	for (size_t len = 0; len < HY_TICKET_FIXED_LEN; len++)
		ck_assert_int_eq(decode(good, len), HY_R_TRUNCATED);
	for (size_t len = HY_TICKET_FIXED_LEN; len < n; len++)
		ck_assert_int_eq(decode(good, len), HY_R_TRUNCATED);
	memcpy(b, good, n);
	b[n] = 0;
	ck_assert_int_eq(decode(b, n + 1), HY_R_TRAILING_BYTES);

#define MUTATE(off, val, want) do { \
		memcpy(b, good, n); \
		b[off] = (uint8_t)(val); \
		ck_assert_int_eq(decode(b, n), (want)); \
	} while (0)
	MUTATE(0, 2, HY_R_BAD_VERSION);
	MUTATE(0, 0, HY_R_BAD_VERSION);
	MUTATE(1, 0, HY_R_BAD_TYPE);
	MUTATE(1, 3, HY_R_BAD_TYPE);
	memcpy(b, good, n);
	b[2] = b[3] = 0;
	ck_assert_int_eq(decode(b, n), HY_R_TICKET_BAD_FIELD);
	memcpy(b, good, n);
	memset(b + 4, 0, 8);
	ck_assert_int_eq(decode(b, n), HY_R_ZERO_SESSION);
	MUTATE(44, 2, HY_R_BAD_VERSION);     /* token version */
	MUTATE(44 + 3, 1, HY_R_RESERVED_SET); /* token reserved */
	memcpy(b, good, n);
	memset(b + 44 + 4, 0, 4); /* token node id */
	ck_assert_int_eq(decode(b, n), HY_R_TICKET_BAD_FIELD);
	MUTATE(196, 0, HY_R_TOKEN_BAD_UID);
	MUTATE(196, 65, HY_R_TOKEN_BAD_UID);
	MUTATE(196, 60, HY_R_TRUNCATED); /* the uid runs past the end */
	MUTATE(uid_at + 3, 0, HY_R_TOKEN_BAD_UID);
	MUTATE(host_len_at, 0, HY_R_TICKET_BAD_FIELD);
	MUTATE(host_len_at, 11, HY_R_TRUNCATED);
	MUTATE(host_len_at, 9, HY_R_TRAILING_BYTES);
	MUTATE(host_at + 2, 0, HY_R_TICKET_BAD_FIELD);
#undef MUTATE
	/* The earliest failing check wins: version before transport. */
	memcpy(b, good, n);
	b[0] = 9;
	b[1] = 9;
	ck_assert_int_eq(decode(b, n), HY_R_BAD_VERSION);
}
END_TEST

START_TEST(encoder_refuses_what_would_not_decode)
{
	struct hy_ticket t;
	uint8_t b[HY_TICKET_MAX_LEN];

	t = example();
	t.port = 0;
	ck_assert_uint_eq(hy_ticket_encode(b, sizeof(b), &t), 0);
	t = example();
	t.cred.sid = 0;
	ck_assert_uint_eq(hy_ticket_encode(b, sizeof(b), &t), 0);
	t = example();
	t.cred.transport = 0;
	ck_assert_uint_eq(hy_ticket_encode(b, sizeof(b), &t), 0);
	t = example();
	t.cred.uid_len = 7; /* disagrees with the string */
	ck_assert_uint_eq(hy_ticket_encode(b, sizeof(b), &t), 0);
	t = example();
	t.host[0] = '\0';
	ck_assert_uint_eq(hy_ticket_encode(b, sizeof(b), &t), 0);
	t = example();
	t.cred.token[0] = 2;
	ck_assert_uint_eq(hy_ticket_encode(b, sizeof(b), &t), 0);
	t = example();
	memset(t.host, 'h', sizeof(t.host)); /* no terminator within 256 */
	ck_assert_uint_eq(hy_ticket_encode(b, sizeof(b), &t), 0);
}
END_TEST

START_TEST(move_payload)
{
	struct hy_ticket t = example(), back;
	uint8_t b[2 + HY_TICKET_MAX_LEN], tk[HY_TICKET_MAX_LEN];
	size_t tn = hy_ticket_encode(tk, sizeof(tk), &t);
	size_t n = hy_move_encode(b, sizeof(b), HY_MOVE_DRAIN, &t);
	uint8_t why = 0;

	ck_assert_uint_eq(n, 2 + tn);
	ck_assert_uint_eq(b[0], 1);
	ck_assert_uint_eq(b[1], 0);
	ck_assert_mem_eq(b + 2, tk, tn);
	ck_assert_int_eq(hy_move_decode(b, n, &why, &back), HY_R_OK);
	ck_assert_uint_eq(why, HY_MOVE_DRAIN);
	ck_assert_uint_eq(back.cred.sid, t.cred.sid);
	b[0] = 200; /* a reason this release does not know is still a move */
	ck_assert_int_eq(hy_move_decode(b, n, &why, &back), HY_R_OK);
	ck_assert_uint_eq(why, 200);
	b[0] = 0;
	ck_assert_int_eq(hy_move_decode(b, n, &why, &back), HY_R_BAD_TYPE);
	b[0] = 1;
	b[1] = 1;
	ck_assert_int_eq(hy_move_decode(b, n, &why, &back), HY_R_RESERVED_SET);
	b[1] = 0;
	ck_assert_int_eq(hy_move_decode(b, 1, &why, &back), HY_R_TRUNCATED);
	ck_assert_int_eq(hy_move_decode(b, 2, &why, &back), HY_R_TRUNCATED);
	ck_assert_int_eq(hy_move_decode(b, n - 1, &why, &back), HY_R_TRUNCATED);
	ck_assert_uint_eq(hy_move_encode(b, sizeof(b), 0, &t), 0);
	ck_assert_uint_eq(hy_move_encode(b, n - 1, 1, &t), 0);
}
END_TEST

START_TEST(redirect_payload)
{
	struct hy_ticket t = example(), back;
	uint8_t b[10 + HY_TICKET_MAX_LEN];
	const uint64_t room = 0x0000000700000001ull;
	size_t n = hy_redirect_encode(b, sizeof(b), room, &t);
	uint64_t got = 0;
	struct hy_rd r;

	ck_assert_uint_eq(n, 10 + 216);
	hy_rd_init(&r, b, n);
	ck_assert_uint_eq(hy_rd_u16(&r), HY_R_ROOM_REDIRECT);
	ck_assert_uint_eq(hy_rd_u64(&r), room);
	ck_assert_int_eq(hy_redirect_decode(b, n, &got, &back), HY_R_OK);
	ck_assert_uint_eq(got, room);
	ck_assert_str_eq(back.host, "198.18.0.7");
	ck_assert_int_eq(hy_redirect_decode(b, 9, &got, &back), HY_R_TRUNCATED);
	ck_assert_int_eq(hy_redirect_decode(b, 10, &got, &back), HY_R_TRUNCATED);
	b[1] ^= 1;
	ck_assert_int_eq(hy_redirect_decode(b, n, &got, &back), HY_R_BAD_TYPE);
	b[1] ^= 1;
	memset(b + 2, 0, 8);
	ck_assert_int_eq(hy_redirect_decode(b, n, &got, &back), HY_R_ROOM_BAD_PARAMS);
	ck_assert_uint_eq(hy_redirect_encode(b, sizeof(b), 0, &t), 0);
	ck_assert_uint_eq(hy_room_id_node(room), 7);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("proto-ticket");
	TCase *tc = tcase_create("ticket");

	tcase_add_test(tc, document_example);
	tcase_add_test(tc, largest_ticket);
	tcase_add_test(tc, refusals_in_order);
	tcase_add_test(tc, encoder_refuses_what_would_not_decode);
	tcase_add_test(tc, move_payload);
	tcase_add_test(tc, redirect_payload);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
