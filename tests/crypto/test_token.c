/* SPDX-License-Identifier: BSD-3-Clause
 * Connect token: layout, round trips across backends, minting, and every
 * refusal in the protocol's check order; random bytes.
 */
#include <check.h>

#include "check_run.h"
#include <stdlib.h>

#include "crypto/random.h"
#include "crypto/token.h"
#include "testutil.h"

#define NODE 0x0a0b0c0du
#define EXPIRE 1800000000ull
#define NOW (EXPIRE - 60)

static const uint8_t cluster_key[16] = {
	0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
};
static const uint8_t nonce0[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

static struct hy_aead_ctx ctx[HY_AEAD_BACKEND_COUNT];
static struct hy_aead_ctx other; /* a different cluster key */

static void setup(void)
{
	uint8_t k2[16];
	memset(k2, 0x5a, sizeof(k2));
	for (int b = 0; b < HY_AEAD_BACKEND_COUNT; b++)
		ck_assert_int_eq(hy_aead_key_init(&ctx[b], (enum hy_aead_backend)b, cluster_key), 0);
	ck_assert_int_eq(hy_aead_key_init(&other, HY_AEAD_IPSECMB, k2), 0);
}

static void sample_private(struct hy_token_private *p)
{
	memset(p, 0, sizeof(*p));
	p->sid = 0x1122334455667788ull;
	p->transport = HY_TRANSPORT_UDP;
	p->uid_len = 5;
	memcpy(p->uid, "alice", 6);
	for (int i = 0; i < 16; i++) {
		p->c2s_key[i] = (uint8_t)(0xa0 + i);
		p->s2c_key[i] = (uint8_t)(0xb0 + i);
	}
}

/* Key table with the cluster key at id 3 only. */
static enum hy_reason open_with(const struct hy_aead_ctx *k, const uint8_t tok[HY_TOKEN_LEN],
				uint64_t now, struct hy_token_private *priv)
{
	const struct hy_aead_ctx *keys[4] = {NULL, &other, NULL, k};
	struct hy_token_public pub;
	return hy_token_open(keys, 4, NODE, now, tok, &pub, priv);
}

/* Builds the 108-byte private plaintext from p, then lets the caller bend
 * it before sealing. */
static void plain_of(const struct hy_token_private *p, uint8_t plain[HY_TOKEN_PRIVATE_LEN])
{
	memset(plain, 0, HY_TOKEN_PRIVATE_LEN);
	for (int i = 0; i < 8; i++)
		plain[i] = (uint8_t)(p->sid >> (56 - 8 * i));
	plain[8] = p->transport;
	plain[9] = p->uid_len;
	memcpy(plain + 12, p->c2s_key, 16);
	memcpy(plain + 28, p->s2c_key, 16);
	memcpy(plain + 44, p->uid, p->uid_len);
}

static void pub_default(struct hy_token_public *pub)
{
	memset(pub, 0, sizeof(*pub));
	pub->version = HY_TOKEN_VERSION;
	pub->key_id = 3;
	pub->node_id = NODE;
	pub->expire_at = EXPIRE;
	memcpy(pub->nonce, nonce0, 12);
}

START_TEST(test_layout)
{
	struct hy_token_private p, q;
	uint8_t tok[HY_TOKEN_LEN], plain[HY_TOKEN_PRIVATE_LEN], want[HY_TOKEN_PRIVATE_LEN];
	sample_private(&p);
	ck_assert_int_eq(hy_token_seal_nonce(&ctx[0], 3, NODE, EXPIRE, nonce0, &p, tok), 0);
	const uint8_t pubw[28] = {1, 3, 0, 0, 0x0a, 0x0b, 0x0c, 0x0d,
				  0, 0, 0, 0, 0x6b, 0x49, 0xd2, 0x00,
				  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	ck_assert_uint_eq(EXPIRE, 0x6b49d200ull);
	ck_assert_mem_eq(tok, pubw, 28);
	/* The private part is plain AES-128-GCM with the public part as AAD. */
	ck_assert_int_eq(hy_aead_open(&ctx[1], nonce0, tok, 28, tok + 28, 108, plain, tok + 136), 0);
	plain_of(&p, want);
	ck_assert_mem_eq(plain, want, sizeof(want));
	ck_assert_int_eq(plain[0], 0x11);
	ck_assert_int_eq(plain[44], 'a');
	ck_assert_int_eq(open_with(&ctx[1], tok, NOW, &q), HY_R_OK);
}
END_TEST

START_TEST(test_round_trip_cross_backend)
{
	int sb = _i / 2, ob = _i % 2;
	struct hy_token_private p, q;
	struct hy_token_public pub;
	uint8_t tok[HY_TOKEN_LEN];
	sample_private(&p);
	p.transport = HY_TRANSPORT_TCP;
	p.uid_len = HY_UID_MAX;
	memset(p.uid, 'u', HY_UID_MAX);
	p.uid[HY_UID_MAX] = '\0';
	ck_assert_int_eq(hy_token_seal(&ctx[sb], 3, NODE, EXPIRE, &p, tok), 0);
	const struct hy_aead_ctx *keys[4] = {NULL, NULL, NULL, &ctx[ob]};
	ck_assert_int_eq(hy_token_open(keys, 4, NODE, NOW, tok, &pub, &q), HY_R_OK);
	ck_assert_uint_eq(pub.version, 1);
	ck_assert_uint_eq(pub.key_id, 3);
	ck_assert_uint_eq(pub.node_id, NODE);
	ck_assert(pub.expire_at == EXPIRE);
	ck_assert(q.sid == p.sid);
	ck_assert_uint_eq(q.transport, HY_TRANSPORT_TCP);
	ck_assert_uint_eq(q.uid_len, HY_UID_MAX);
	ck_assert_str_eq(q.uid, p.uid);
	ck_assert_mem_eq(q.c2s_key, p.c2s_key, 16);
	ck_assert_mem_eq(q.s2c_key, p.s2c_key, 16);

	/* Random nonces: two seals of the same fields differ. */
	uint8_t tok2[HY_TOKEN_LEN];
	ck_assert_int_eq(hy_token_seal(&ctx[sb], 3, NODE, EXPIRE, &p, tok2), 0);
	ck_assert(memcmp(tok + 16, tok2 + 16, 12) != 0);
}
END_TEST

START_TEST(test_mint)
{
	struct hy_credentials c;
	struct hy_token_private q;
	ck_assert_int_eq(hy_token_mint(&ctx[0], 3, NODE, EXPIRE, "bob", HY_TRANSPORT_UDP, &c), 0);
	ck_assert(c.sid != 0);
	ck_assert_str_eq(c.uid, "bob");
	ck_assert_uint_eq(c.uid_len, 3);
	ck_assert_uint_eq(c.key_id, 3);
	ck_assert_uint_eq(c.node_id, NODE);
	ck_assert(memcmp(c.c2s_key, c.s2c_key, 16) != 0);
	ck_assert_int_eq(open_with(&ctx[1], c.token, NOW, &q), HY_R_OK);
	ck_assert(q.sid == c.sid);
	ck_assert_mem_eq(q.c2s_key, c.c2s_key, 16);
	ck_assert_mem_eq(q.s2c_key, c.s2c_key, 16);
	ck_assert_str_eq(q.uid, "bob");

	char longuid[HY_UID_MAX + 2];
	memset(longuid, 'x', sizeof(longuid) - 1);
	longuid[sizeof(longuid) - 1] = '\0';
	ck_assert_int_eq(hy_token_mint(&ctx[0], 3, NODE, EXPIRE, longuid, 1, &c), -1);
	longuid[HY_UID_MAX] = '\0';
	ck_assert_int_eq(hy_token_mint(&ctx[0], 3, NODE, EXPIRE, longuid, 1, &c), 0);
	ck_assert_int_eq(hy_token_mint(&ctx[0], 3, NODE, EXPIRE, "", 1, &c), -1);
	ck_assert_int_eq(hy_token_mint(&ctx[0], 3, NODE, EXPIRE, NULL, 1, &c), -1);
	ck_assert_int_eq(hy_token_mint(&ctx[0], 3, NODE, EXPIRE, "a", 3, &c), -1);
	ck_assert_int_eq(hy_token_mint(&ctx[0], 3, NODE, EXPIRE, "a", 0, &c), -1);
}
END_TEST

START_TEST(test_seal_refuses_invalid_private)
{
	struct hy_token_private p;
	uint8_t tok[HY_TOKEN_LEN];
	sample_private(&p);
	p.sid = 0;
	ck_assert_int_eq(hy_token_seal(&ctx[0], 3, NODE, EXPIRE, &p, tok), -1);
	sample_private(&p);
	p.transport = 3;
	ck_assert_int_eq(hy_token_seal(&ctx[0], 3, NODE, EXPIRE, &p, tok), -1);
	sample_private(&p);
	p.uid_len = 0;
	ck_assert_int_eq(hy_token_seal(&ctx[0], 3, NODE, EXPIRE, &p, tok), -1);
	sample_private(&p);
	p.uid_len = HY_UID_MAX + 1;
	ck_assert_int_eq(hy_token_seal(&ctx[0], 3, NODE, EXPIRE, &p, tok), -1);
	sample_private(&p);
	p.uid[2] = '\0';
	ck_assert_int_eq(hy_token_seal(&ctx[0], 3, NODE, EXPIRE, &p, tok), -1);
}
END_TEST

START_TEST(test_peek_public)
{
	struct hy_token_private p;
	struct hy_token_public pub;
	uint8_t tok[HY_TOKEN_LEN + 1];
	sample_private(&p);
	ck_assert_int_eq(hy_token_seal_nonce(&ctx[0], 7, NODE, EXPIRE, nonce0, &p, tok), 0);
	ck_assert_int_eq(hy_token_peek_public(tok, HY_TOKEN_LEN, &pub), HY_R_OK);
	ck_assert_uint_eq(pub.key_id, 7);
	ck_assert_uint_eq(pub.node_id, NODE);
	ck_assert(pub.expire_at == EXPIRE);
	ck_assert_mem_eq(pub.nonce, nonce0, 12);
	ck_assert_int_eq(hy_token_peek_public(tok, HY_TOKEN_LEN - 1, &pub), HY_R_TRUNCATED);
	ck_assert_int_eq(hy_token_peek_public(tok, 0, &pub), HY_R_TRUNCATED);
	ck_assert_int_eq(hy_token_peek_public(tok, HY_TOKEN_LEN + 1, &pub), HY_R_OVERSIZED);
	tok[0] = 2;
	ck_assert_int_eq(hy_token_peek_public(tok, HY_TOKEN_LEN, &pub), HY_R_BAD_VERSION);
	tok[0] = 1;
	tok[3] = 1;
	ck_assert_int_eq(hy_token_peek_public(tok, HY_TOKEN_LEN, &pub), HY_R_RESERVED_SET);
}
END_TEST

/* Public-part refusals, each made authentic (sealed with that public
 * part) so only the intended check can fire, and then the check order:
 * a token failing two checks reports the earlier one. */
START_TEST(test_public_refusals_and_order)
{
	struct hy_token_private p, q;
	struct hy_token_public pub;
	uint8_t plain[HY_TOKEN_PRIVATE_LEN], tok[HY_TOKEN_LEN];
	sample_private(&p);
	plain_of(&p, plain);

	pub_default(&pub);
	ck_assert_int_eq(hy_token_seal_raw(&ctx[0], &pub, plain, tok), 0);
	ck_assert_int_eq(open_with(&ctx[0], tok, NOW, &q), HY_R_OK);
	ck_assert_int_eq(open_with(&ctx[0], tok, EXPIRE - 1, &q), HY_R_OK);
	ck_assert_int_eq(open_with(&ctx[0], tok, EXPIRE, &q), HY_R_TOKEN_EXPIRED);
	ck_assert_int_eq(open_with(&ctx[0], tok, UINT64_MAX, &q), HY_R_TOKEN_EXPIRED);
	/* Opening node differs. */
	const struct hy_aead_ctx *keys[4] = {NULL, NULL, NULL, &ctx[1]};
	struct hy_token_public op;
	ck_assert_int_eq(hy_token_open(keys, 4, NODE + 1, NOW, tok, &op, &q), HY_R_TOKEN_WRONG_NODE);
	/* Key table too short, or a hole at the id. */
	ck_assert_int_eq(hy_token_open(keys, 3, NODE, NOW, tok, &op, &q), HY_R_TOKEN_BAD_KEY_ID);
	ck_assert_int_eq(hy_token_open(keys, 0, NODE, NOW, tok, &op, &q), HY_R_TOKEN_BAD_KEY_ID);
	keys[3] = NULL;
	ck_assert_int_eq(hy_token_open(keys, 4, NODE, NOW, tok, &op, &q), HY_R_TOKEN_BAD_KEY_ID);
	/* Known id, wrong key behind it. */
	ck_assert_int_eq(open_with(&other, tok, NOW, &q), HY_R_AUTH_FAILED);

	struct {
		uint8_t version, key_id;
		uint16_t reserved;
		uint32_t node;
		uint64_t expire;
		const struct hy_aead_ctx *sealer;
		enum hy_reason want;
	} cases[] = {
		{0, 3, 0, NODE, EXPIRE, &ctx[0], HY_R_BAD_VERSION},
		{2, 3, 0, NODE, EXPIRE, &ctx[0], HY_R_BAD_VERSION},
		{2, 9, 1, NODE + 1, 1, &other, HY_R_BAD_VERSION},
		{1, 3, 1, NODE, EXPIRE, &ctx[0], HY_R_RESERVED_SET},
		{1, 3, 0x8000, NODE, EXPIRE, &ctx[0], HY_R_RESERVED_SET},
		{1, 9, 1, NODE + 1, 1, &other, HY_R_RESERVED_SET},
		{1, 9, 0, NODE, EXPIRE, &ctx[0], HY_R_TOKEN_BAD_KEY_ID},
		{1, 0, 0, NODE, EXPIRE, &ctx[0], HY_R_TOKEN_BAD_KEY_ID},
		{1, 255, 0, NODE + 1, 1, &other, HY_R_TOKEN_BAD_KEY_ID},
		{1, 3, 0, NODE + 1, EXPIRE, &ctx[0], HY_R_TOKEN_WRONG_NODE},
		{1, 3, 0, 0, 1, &other, HY_R_TOKEN_WRONG_NODE},
		{1, 3, 0, NODE, NOW, &ctx[0], HY_R_TOKEN_EXPIRED},
		{1, 3, 0, NODE, 1, &other, HY_R_TOKEN_EXPIRED},
		{1, 3, 0, NODE, EXPIRE, &other, HY_R_AUTH_FAILED},
		{1, 1, 0, NODE, EXPIRE, &ctx[0], HY_R_AUTH_FAILED},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pub_default(&pub);
		pub.version = cases[i].version;
		pub.key_id = cases[i].key_id;
		pub.reserved = cases[i].reserved;
		pub.node_id = cases[i].node;
		pub.expire_at = cases[i].expire;
		ck_assert_int_eq(hy_token_seal_raw(cases[i].sealer, &pub, plain, tok), 0);
		memset(&q, 0x77, sizeof(q));
		enum hy_reason r = open_with(&ctx[i % 2], tok, NOW, &q);
		ck_assert_msg(r == cases[i].want, "case %zu: got %s want %s", i,
			      hy_reason_name(r), hy_reason_name(cases[i].want));
		/* Nothing of the private part leaks from a refusal. */
		struct hy_token_private zero;
		memset(&zero, 0, sizeof(zero));
		ck_assert_mem_eq(&q, &zero, sizeof(q));
	}
}
END_TEST

/* Authentic tokens whose plaintext breaks one private rule. */
START_TEST(test_private_refusals_and_order)
{
	struct hy_token_private p, q;
	struct hy_token_public pub;
	uint8_t plain[HY_TOKEN_PRIVATE_LEN], tok[HY_TOKEN_LEN];
	pub_default(&pub);
	sample_private(&p);

	enum { SID0, TRANSPORT, UIDLEN, PAD, NUL, RES };
	struct {
		unsigned flags;
		uint8_t transport, uid_len;
		int pad_at; /* byte offset in plaintext made nonzero, or -1 */
		enum hy_reason want;
	} cases[] = {
		{0, 1, 5, -1, HY_R_OK},
		{0, 2, 5, -1, HY_R_OK},
		{1u << SID0, 1, 5, -1, HY_R_ZERO_SESSION},
		{1u << SID0 | 1u << TRANSPORT | 1u << RES, 0, 0, 60, HY_R_ZERO_SESSION},
		{1u << TRANSPORT, 0, 5, -1, HY_R_BAD_TYPE},
		{1u << TRANSPORT, 3, 5, -1, HY_R_BAD_TYPE},
		{1u << TRANSPORT, 255, 0, 100, HY_R_BAD_TYPE},
		{1u << UIDLEN, 1, 0, -1, HY_R_TOKEN_BAD_UID},
		{1u << UIDLEN, 1, 65, -1, HY_R_TOKEN_BAD_UID},
		{1u << UIDLEN, 1, 255, -1, HY_R_TOKEN_BAD_UID},
		{1u << PAD, 1, 5, 44 + 5, HY_R_TOKEN_BAD_UID},
		{1u << PAD, 1, 5, 107, HY_R_TOKEN_BAD_UID},
		{1u << PAD | 1u << RES, 1, 5, 80, HY_R_TOKEN_BAD_UID},
		{1u << NUL, 1, 5, -1, HY_R_TOKEN_BAD_UID},
		{1u << RES, 1, 5, -1, HY_R_RESERVED_SET},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		plain_of(&p, plain);
		if (cases[i].flags & 1u << SID0)
			memset(plain, 0, 8);
		plain[8] = cases[i].transport;
		plain[9] = cases[i].uid_len;
		if (cases[i].pad_at >= 0)
			plain[cases[i].pad_at] = 0x20;
		if (cases[i].flags & 1u << NUL)
			plain[44 + 2] = 0;
		if (cases[i].flags & 1u << RES)
			plain[11] = 1;
		ck_assert_int_eq(hy_token_seal_raw(&ctx[i % 2], &pub, plain, tok), 0);
		enum hy_reason r = open_with(&ctx[(i + 1) % 2], tok, NOW, &q);
		ck_assert_msg(r == cases[i].want, "case %zu: got %s want %s", i,
			      hy_reason_name(r), hy_reason_name(cases[i].want));
	}
	/* uid of exactly 64 bytes: no padding at all, accepted. */
	plain_of(&p, plain);
	plain[9] = 64;
	memset(plain + 44, 'z', 64);
	ck_assert_int_eq(hy_token_seal_raw(&ctx[0], &pub, plain, tok), 0);
	ck_assert_int_eq(open_with(&ctx[1], tok, NOW, &q), HY_R_OK);
	ck_assert_uint_eq(strlen(q.uid), 64);
}
END_TEST

/* Any single-bit change anywhere in the 152 bytes is refused. */
START_TEST(test_every_byte_flip_refused)
{
	struct hy_token_private p, q;
	uint8_t tok[HY_TOKEN_LEN];
	sample_private(&p);
	ck_assert_int_eq(hy_token_seal_nonce(&ctx[0], 3, NODE, EXPIRE, nonce0, &p, tok), 0);
	for (size_t i = 0; i < HY_TOKEN_LEN; i++) {
		for (int bit = 0; bit < 8; bit++) {
			tok[i] ^= (uint8_t)(1u << bit);
			for (int b = 0; b < HY_AEAD_BACKEND_COUNT; b++) {
				enum hy_reason r = open_with(&ctx[b], tok, NOW, &q);
				ck_assert_msg(r != HY_R_OK, "byte %zu bit %d accepted", i, bit);
				/* Past the key id, node and expiry checks, only the
				 * tag can catch it. */
				if (i >= 16)
					ck_assert_int_eq(r, HY_R_AUTH_FAILED);
			}
			tok[i] ^= (uint8_t)(1u << bit);
		}
	}
	ck_assert_int_eq(open_with(&ctx[1], tok, NOW, &q), HY_R_OK);
}
END_TEST

START_TEST(test_random_bytes)
{
	static uint8_t a[1 << 20], b[1 << 20];
	ck_assert_int_eq(hy_random_bytes(a, sizeof(a)), 0);
	ck_assert_int_eq(hy_random_bytes(b, sizeof(b)), 0);
	ck_assert(memcmp(a, b, sizeof(a)) != 0);
	ck_assert_int_eq(hy_random_bytes(a, 0), 0);
	/* Crude sanity: a megabyte of random bytes has every byte value. */
	unsigned seen[256] = {0};
	for (size_t i = 0; i < sizeof(a); i++)
		seen[a[i]]++;
	for (int v = 0; v < 256; v++)
		ck_assert_uint_gt(seen[v], 0);
}
END_TEST

static Suite *token_suite(void)
{
	Suite *s = suite_create("token");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_layout);
	tcase_add_loop_test(tc, test_round_trip_cross_backend, 0, 4);
	tcase_add_test(tc, test_mint);
	tcase_add_test(tc, test_seal_refuses_invalid_private);
	tcase_add_test(tc, test_peek_public);
	tcase_add_test(tc, test_public_refusals_and_order);
	tcase_add_test(tc, test_private_refusals_and_order);
	tcase_add_test(tc, test_every_byte_flip_refused);
	tcase_add_test(tc, test_random_bytes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hy_check_run(token_suite());
}
