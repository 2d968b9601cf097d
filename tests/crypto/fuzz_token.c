/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target for connect tokens.
 *
 * Input byte 0 selects the mode:
 *   even: the rest is a token as received.  peek and open must not crash,
 *         both backends must give the same reason, a parsed public part
 *         must match its bytes, and an opened token must re-seal to the
 *         same bytes (the encoding is canonical).
 *   odd:  byte 1 = position to flip, byte 2 = xor mask (0: no flip),
 *         bytes 3..14 = nonce, then up to 108 bytes of private plaintext
 *         (zero padded).  It is sealed authentically; open must accept it
 *         exactly when the plaintext obeys the private rules, and must
 *         refuse it once any byte is flipped.
 * The key is the token test vector's cluster key (docs/protocol.md), so
 * the seed corpus can hold authentic tokens.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/token.h"

#define KEY_ID 2
#define NODE 7u
#define EXPIRE 1767225600ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hy_aead_ctx ctx[HY_AEAD_BACKEND_COUNT];
static const struct hy_aead_ctx *keys[HY_AEAD_BACKEND_COUNT][4];

static void setup(void)
{
	static int done;
	if (done)
		return;
	uint8_t key[16];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)(0xc0 + i);
	for (int b = 0; b < HY_AEAD_BACKEND_COUNT; b++) {
		if (hy_aead_key_init(&ctx[b], (enum hy_aead_backend)b, key) != 0)
			abort();
		keys[b][KEY_ID] = &ctx[b];
	}
	done = 1;
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The private rules, written out independently of token.c. */
static int plaintext_valid(const uint8_t *pl)
{
	uint8_t len = pl[9];
	if (be64(pl) == 0 || (pl[8] != 1 && pl[8] != 2) || len < 1 || len > 64)
		return 0;
	if (pl[10] != 0 || pl[11] != 0)
		return 0;
	for (int i = 0; i < 64; i++)
		if ((i < len) != (pl[44 + i] != 0))
			return 0;
	return 1;
}

/* Opens tok with both backends; they must agree.  On OK, re-sealing what
 * came out must give the same 152 bytes. */
static enum hy_reason open_both(const uint8_t *tok)
{
	struct hy_token_public pub[HY_AEAD_BACKEND_COUNT];
	struct hy_token_private priv[HY_AEAD_BACKEND_COUNT];
	enum hy_reason r[HY_AEAD_BACKEND_COUNT];
	for (int b = 0; b < HY_AEAD_BACKEND_COUNT; b++)
		r[b] = hy_token_open(keys[b], 4, NODE, EXPIRE - 1, tok, &pub[b], &priv[b]);
	if (r[0] != r[1])
		abort();
	if (r[0] == HY_R_OK) {
		uint8_t again[HY_TOKEN_LEN];
		if (memcmp(&priv[0], &priv[1], sizeof(priv[0])) != 0 ||
		    hy_token_seal_nonce(&ctx[1], pub[0].key_id, pub[0].node_id,
					pub[0].expire_at, pub[0].nonce, &priv[0], again) != 0 ||
		    memcmp(again, tok, HY_TOKEN_LEN) != 0)
			abort();
	}
	return r[0];
}

static void mode_received(const uint8_t *in, size_t len)
{
	struct hy_token_public pub;
	enum hy_reason r = hy_token_peek_public(in, len, &pub);
	if (len != HY_TOKEN_LEN) {
		if (r != (len < HY_TOKEN_LEN ? HY_R_TRUNCATED : HY_R_OVERSIZED))
			abort();
		return;
	}
	if (r == HY_R_OK &&
	    (pub.version != 1 || in[0] != 1 || pub.reserved != 0 || pub.key_id != in[1] ||
	     pub.node_id != ((uint32_t)in[4] << 24 | (uint32_t)in[5] << 16 |
			     (uint32_t)in[6] << 8 | in[7]) ||
	     pub.expire_at != be64(in + 8) || memcmp(pub.nonce, in + 16, 12) != 0))
		abort();
	enum hy_reason o = open_both(in);
	/* Open runs peek first: a refusal there is open's refusal too. */
	if (r != HY_R_OK && o != r)
		abort();
}

static void mode_round_trip(const uint8_t *in, size_t len)
{
	uint8_t hdr[15] = {0}, plain[HY_TOKEN_PRIVATE_LEN] = {0}, tok[HY_TOKEN_LEN];
	memcpy(hdr, in, len < sizeof(hdr) ? len : sizeof(hdr));
	if (len > sizeof(hdr)) {
		size_t n = len - sizeof(hdr);
		memcpy(plain, in + sizeof(hdr), n < sizeof(plain) ? n : sizeof(plain));
	}
	struct hy_token_public pub = {
		.version = 1, .key_id = KEY_ID, .node_id = NODE, .expire_at = EXPIRE,
	};
	memcpy(pub.nonce, hdr + 3, 12);
	if (hy_token_seal_raw(&ctx[hdr[0] & 2 ? 1 : 0], &pub, plain, tok) != 0)
		abort();
	enum hy_reason r = open_both(tok);
	if ((r == HY_R_OK) != plaintext_valid(plain))
		abort();
	/* Only the private checks can fail for an authentic token. */
	if (r != HY_R_OK && r != HY_R_ZERO_SESSION && r != HY_R_BAD_TYPE &&
	    r != HY_R_TOKEN_BAD_UID && r != HY_R_RESERVED_SET)
		abort();
	size_t pos = hdr[1] % HY_TOKEN_LEN;
	if (hdr[2] == 0)
		return;
	tok[pos] ^= hdr[2];
	if (open_both(tok) == HY_R_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	if (size == 0)
		return 0;
	if (data[0] & 1)
		mode_round_trip(data + 1, size - 1);
	else
		mode_received(data + 1, size - 1);
	return 0;
}
