/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target: every datagram decoder and the in-place open.
 *
 * Invariants beyond "no crash": classify agrees with each decoder's
 * first checks; a decoded CONNECT/RESPONSE/CHALLENGE/header re-encodes to
 * the input bytes; an opened sealed packet's body decodes and re-encodes
 * canonically; sealing the input as a DATA body and opening it gives the
 * input back on both AEAD backends, with identical bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_key.h"
#include "proto/frame.h"
#include "proto/packet.h"
#include "proto/seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static struct hy_aead_ctx ctx[HY_AEAD_BACKEND_COUNT];
static int have[HY_AEAD_BACKEND_COUNT];

static void init_keys(void)
{
	static int done;
	if (done)
		return;
	for (int b = 0; b < HY_AEAD_BACKEND_COUNT; b++)
		have[b] = hy_aead_key_init(&ctx[b], (enum hy_aead_backend)b, fuzz_key) == 0;
	CHECK(have[HY_AEAD_OPENSSL]);
	done = 1;
}

static void check_connect(const uint8_t *data, size_t size)
{
	struct hy_pkt_connect c;
	uint8_t re[HY_CONNECT_LEN];
	if (hy_pkt_connect_decode(data, size, &c) != HY_R_OK)
		return;
	CHECK(size == HY_CONNECT_LEN);
	CHECK(hy_pkt_connect_encode(re, sizeof(re), &c) == HY_CONNECT_LEN);
	CHECK(memcmp(re, data, size) == 0);
}

static void check_challenge(const uint8_t *data, size_t size)
{
	struct hy_pkt_challenge c;
	uint8_t re[HY_CHALLENGE_LEN];
	if (hy_pkt_challenge_decode(data, size, &c) != HY_R_OK)
		return;
	CHECK(size == HY_CHALLENGE_LEN);
	CHECK(hy_pkt_challenge_encode(re, sizeof(re), &c) == HY_CHALLENGE_LEN);
	CHECK(memcmp(re, data, size) == 0);
}

/* Bodies: decode, and if accepted, re-encode to the same bytes. */
static void check_bodies(enum hy_pkt_type type, const uint8_t *pt, size_t len)
{
	uint8_t re[HY_MAX_PAYLOAD];
	struct hy_accept a;
	enum hy_close_reason why;
	if (type == HY_PKT_ACCEPT && hy_accept_decode(pt, len, &a) == HY_R_OK) {
		CHECK(hy_accept_encode(re, sizeof(re), &a) == len);
		CHECK(memcmp(re, pt, len) == 0);
	}
	if ((type == HY_PKT_DENY || type == HY_PKT_DISCONNECT) &&
	    hy_close_decode(pt, len, &why) == HY_R_OK) {
		CHECK(hy_close_encode(re, sizeof(re), why) == len);
		CHECK(memcmp(re, pt, len) == 0);
	}
	if (type == HY_PKT_DATA)
		(void)hy_frames_validate(pt, len);
}

static void check_sealed(const uint8_t *data, size_t size)
{
	struct hy_pkt_header h, h2;
	uint8_t re[HY_DATA_HEADER_LEN];
	if (hy_pkt_header_decode(data, size, &h) != HY_R_OK)
		return;
	CHECK(hy_pkt_header_encode(re, sizeof(re), &h) == HY_DATA_HEADER_LEN);
	CHECK(memcmp(re, data, HY_DATA_HEADER_LEN) == 0);

	/* In place, on a private copy (the input is read-only). */
	uint8_t buf[HY_MAX_DATAGRAM];
	size_t pt_len = 0;
	memcpy(buf, data, size);
	enum hy_reason r = hy_pkt_open_inplace(&ctx[HY_AEAD_OPENSSL], buf, size, &h2, &pt_len);
	CHECK(r == HY_R_OK || r == HY_R_AUTH_FAILED);
	if (r != HY_R_OK)
		return;
	CHECK(h2.type == h.type && h2.sid == h.sid && h2.pn == h.pn);
	CHECK(pt_len == size - HY_DATA_OVERHEAD);
	check_bodies(h.type, buf + HY_DATA_HEADER_LEN, pt_len);

	/* The other backend opens the same datagram to the same plaintext. */
	if (have[HY_AEAD_IPSECMB]) {
		uint8_t pt[HY_MAX_DATAGRAM];
		size_t n2 = 0;
		CHECK(hy_pkt_open(&ctx[HY_AEAD_IPSECMB], data, size, &h2, pt, sizeof(pt), &n2) ==
		      HY_R_OK);
		CHECK(n2 == pt_len && memcmp(pt, buf + HY_DATA_HEADER_LEN, n2) == 0);
	}
}

/* The input as a DATA body: seal, open, compare; backends agree. */
static void check_seal_round_trip(const uint8_t *data, size_t size)
{
	if (size < 1 || size > HY_MAX_PAYLOAD)
		return;
	uint8_t a[HY_MAX_DATAGRAM], b[HY_MAX_DATAGRAM], pt[HY_MAX_PAYLOAD];
	uint64_t pn = size * 0x9e3779b97f4a7c15ull;
	size_t n = hy_pkt_seal(&ctx[HY_AEAD_OPENSSL], HY_PKT_DATA, 1, pn, data, size, a, sizeof(a));
	CHECK(n == size + HY_DATA_OVERHEAD);
	if (have[HY_AEAD_IPSECMB]) {
		CHECK(hy_pkt_seal(&ctx[HY_AEAD_IPSECMB], HY_PKT_DATA, 1, pn, data, size, b,
				  sizeof(b)) == n);
		CHECK(memcmp(a, b, n) == 0);
	}
	struct hy_pkt_header h;
	size_t got = 0;
	CHECK(hy_pkt_open(&ctx[HY_AEAD_OPENSSL], a, n, &h, pt, sizeof(pt), &got) == HY_R_OK);
	CHECK(got == size && memcmp(pt, data, size) == 0 && h.pn == pn);
	a[n - 1] ^= 1;
	CHECK(hy_pkt_open_inplace(&ctx[HY_AEAD_OPENSSL], a, n, &h, &got) == HY_R_AUTH_FAILED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init_keys();
	enum hy_pkt_type type;
	enum hy_reason r = hy_pkt_classify(data, size, &type);

	check_connect(data, size);
	check_challenge(data, size);
	check_sealed(data, size);
	if (r == HY_R_OK && hy_pkt_type_is_sealed(type)) {
		struct hy_pkt_header h;
		enum hy_reason hr = hy_pkt_header_decode(data, size, &h);
		CHECK(hr == HY_R_OK || hr == HY_R_ZERO_SESSION);
	}
	if (r != HY_R_OK) {
		/* Every decoder gives the same first reason as classify. */
		struct hy_pkt_connect c;
		struct hy_pkt_challenge ch;
		struct hy_pkt_header h;
		CHECK(hy_pkt_connect_decode(data, size, &c) == r);
		CHECK(hy_pkt_challenge_decode(data, size, &ch) == r);
		CHECK(hy_pkt_header_decode(data, size, &h) == r);
	}

	/* Raw bodies, as if they had been decrypted. */
	check_bodies(HY_PKT_ACCEPT, data, size);
	check_bodies(HY_PKT_DENY, data, size);
	check_seal_round_trip(data, size);
	return 0;
}
