/* SPDX-License-Identifier: BSD-3-Clause
 * AES-128-GCM: published test cases on both backends, backend agreement on
 * random inputs (in place too), and refusal of every kind of tampering.
 */
#include <check.h>

#include "check_run.h"
#include <pthread.h>
#include <stdlib.h>

#include "crypto/aead.h"
#include "testutil.h"

/* Test cases 1-4 of "The Galois/Counter Mode of Operation (GCM)",
 * McGrew and Viega, AES-128; checked against OpenSSL's EVP output. */
struct kat {
	const char *name, *key, *iv, *aad, *pt, *ct, *tag;
};

#define TC34_PT "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" \
	"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define TC34_CT "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e" \
	"21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"

static const struct kat kats[] = {
	{"tc1", "00000000000000000000000000000000", "000000000000000000000000", "", "", "",
	 "58e2fccefa7e3061367f1d57a4e7455a"},
	{"tc2", "00000000000000000000000000000000", "000000000000000000000000", "",
	 "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
	 "ab6e47d42cec13bdf53a67b21257bddf"},
	{"tc3", "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", "",
	 TC34_PT "1aafd255", TC34_CT "473f5985", "4d5c2af327cd64a62cf35abd2ba6fab4"},
	{"tc4", "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
	 "feedfacedeadbeeffeedfacedeadbeefabaddad2", TC34_PT, TC34_CT,
	 "5bc94fbc3221a5db94fae95ae7121a47"},
};

static void init_or_fail(struct hy_aead_ctx *c, enum hy_aead_backend b, const uint8_t *key)
{
	ck_assert_msg(hy_aead_key_init(c, b, key) == 0, "backend %s unavailable",
		      hy_aead_backend_name(b));
}

START_TEST(test_backends_available)
{
	ck_assert_int_eq(hy_aead_backend_available(HY_AEAD_OPENSSL), 0);
	ck_assert_int_eq(hy_aead_backend_available(HY_AEAD_IPSECMB), 0);
	ck_assert_str_eq(hy_aead_backend_name(HY_AEAD_OPENSSL), "openssl");
	ck_assert_str_eq(hy_aead_backend_name(HY_AEAD_IPSECMB), "ipsec-mb");
	ck_assert_int_eq(hy_aead_backend_available(HY_AEAD_BACKEND_COUNT), -1);
	struct hy_aead_ctx c;
	uint8_t key[HY_KEY_LEN] = {0};
	ck_assert_int_eq(hy_aead_key_init(&c, HY_AEAD_BACKEND_COUNT, key), -1);
}
END_TEST

START_TEST(test_known_answers)
{
	const struct kat *k = &kats[_i / HY_AEAD_BACKEND_COUNT];
	enum hy_aead_backend b = (enum hy_aead_backend)(_i % HY_AEAD_BACKEND_COUNT);
	uint8_t key[16], iv[12], aad[64], pt[128], ct[128], tag[16], out[128], otag[16];
	ck_assert_int_eq(tu_hex(k->key, key, sizeof(key)), 16);
	ck_assert_int_eq(tu_hex(k->iv, iv, sizeof(iv)), 12);
	long al = tu_hex(k->aad, aad, sizeof(aad));
	long pl = tu_hex(k->pt, pt, sizeof(pt));
	ck_assert_int_eq(tu_hex(k->ct, ct, sizeof(ct)), pl);
	ck_assert_int_eq(tu_hex(k->tag, tag, sizeof(tag)), 16);

	struct hy_aead_ctx c;
	init_or_fail(&c, b, key);
	ck_assert_int_eq(hy_aead_seal(&c, iv, al ? aad : NULL, (size_t)al, pl ? pt : NULL,
				      (size_t)pl, pl ? out : NULL, otag), 0);
	ck_assert_mem_eq(out, ct, (size_t)pl);
	ck_assert_mem_eq(otag, tag, 16);
	memset(out, 0xee, sizeof(out));
	ck_assert_int_eq(hy_aead_open(&c, iv, al ? aad : NULL, (size_t)al, pl ? ct : NULL,
				      (size_t)pl, pl ? out : NULL, tag), 0);
	ck_assert_mem_eq(out, pt, (size_t)pl);
	hy_aead_key_wipe(&c);
}
END_TEST

/* Random key, nonce, aad and every length 0..1500: both backends produce
 * the same bytes and each opens what the other sealed, also in place. */
START_TEST(test_backends_agree)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	static uint8_t pt[1500], a[1500], b[1500], inpl[1500], back[1500];
	for (size_t len = 0; len <= 1500; len++) {
		uint8_t key[16], nonce[12], aad[40], ta[16], tb[16], ti[16];
		size_t aad_len = (size_t)(tu_rand(&seed) % sizeof(aad));
		tu_fill(&seed, key, sizeof(key));
		tu_fill(&seed, nonce, sizeof(nonce));
		tu_fill(&seed, aad, aad_len);
		tu_fill(&seed, pt, len);
		struct hy_aead_ctx co, ci;
		init_or_fail(&co, HY_AEAD_OPENSSL, key);
		init_or_fail(&ci, HY_AEAD_IPSECMB, key);
		ck_assert_int_eq(hy_aead_seal(&co, nonce, aad, aad_len, pt, len, a, ta), 0);
		ck_assert_int_eq(hy_aead_seal(&ci, nonce, aad, aad_len, pt, len, b, tb), 0);
		ck_assert_msg(memcmp(a, b, len) == 0 && memcmp(ta, tb, 16) == 0,
			      "backends differ at len %zu", len);

		/* In place, each backend in turn. */
		for (int k = 0; k < 2; k++) {
			const struct hy_aead_ctx *c = k ? &ci : &co;
			memcpy(inpl, pt, len);
			ck_assert_int_eq(hy_aead_seal(c, nonce, aad, aad_len, inpl, len, inpl, ti), 0);
			ck_assert(memcmp(inpl, a, len) == 0 && memcmp(ti, ta, 16) == 0);
			ck_assert_int_eq(hy_aead_open(c, nonce, aad, aad_len, inpl, len, inpl, ti), 0);
			ck_assert(memcmp(inpl, pt, len) == 0);
		}
		/* Cross: openssl opens ipsec-mb's output and the reverse. */
		ck_assert_int_eq(hy_aead_open(&co, nonce, aad, aad_len, b, len, back, tb), 0);
		ck_assert(memcmp(back, pt, len) == 0);
		ck_assert_int_eq(hy_aead_open(&ci, nonce, aad, aad_len, a, len, back, ta), 0);
		ck_assert(memcmp(back, pt, len) == 0);
	}
}
END_TEST

/* Alternating keys on one thread: the OpenSSL backend's key cache must
 * never seal under a stale key. */
START_TEST(test_key_switching)
{
	uint8_t k1[16], k2[16], n[12] = {0}, pt[64] = {1}, c1[64], c2[64], t1[16], t2[16];
	memset(k1, 0x11, 16);
	memset(k2, 0x22, 16);
	struct hy_aead_ctx a1, a2, r1, r2;
	init_or_fail(&a1, HY_AEAD_OPENSSL, k1);
	init_or_fail(&a2, HY_AEAD_OPENSSL, k2);
	init_or_fail(&r1, HY_AEAD_IPSECMB, k1);
	init_or_fail(&r2, HY_AEAD_IPSECMB, k2);
	for (int i = 0; i < 4; i++) {
		const struct hy_aead_ctx *o = (i & 1) ? &a2 : &a1;
		const struct hy_aead_ctx *r = (i & 1) ? &r2 : &r1;
		ck_assert_int_eq(hy_aead_seal(o, n, NULL, 0, pt, 64, c1, t1), 0);
		ck_assert_int_eq(hy_aead_seal(r, n, NULL, 0, pt, 64, c2, t2), 0);
		ck_assert_mem_eq(c1, c2, 64);
		ck_assert_mem_eq(t1, t2, 16);
		/* The other key must not open it. */
		const struct hy_aead_ctx *wrong = (i & 1) ? &a1 : &a2;
		ck_assert_int_eq(hy_aead_open(wrong, n, NULL, 0, c1, 64, c2, t1), -1);
		ck_assert_int_eq(hy_aead_open(o, n, NULL, 0, c1, 64, c2, t1), 0);
		ck_assert_mem_eq(c2, pt, 64);
	}
}
END_TEST

/* Flipping any bit of tag, ciphertext, aad or nonce makes open fail. */
START_TEST(test_tamper_refused)
{
	enum hy_aead_backend be = (enum hy_aead_backend)_i;
	uint64_t seed = 42 + (uint64_t)_i;
	uint8_t key[16], nonce[12], aad[17], pt[100], ct[100], tag[16], out[100];
	tu_fill(&seed, key, 16);
	tu_fill(&seed, nonce, 12);
	tu_fill(&seed, aad, 17);
	tu_fill(&seed, pt, 100);
	struct hy_aead_ctx c;
	init_or_fail(&c, be, key);
	ck_assert_int_eq(hy_aead_seal(&c, nonce, aad, 17, pt, 100, ct, tag), 0);
	ck_assert_int_eq(hy_aead_open(&c, nonce, aad, 17, ct, 100, out, tag), 0);

	uint8_t *fields[4] = {tag, ct, aad, nonce};
	size_t lens[4] = {16, 100, 17, 12};
	for (int f = 0; f < 4; f++) {
		for (size_t i = 0; i < lens[f]; i++) {
			for (int bit = 0; bit < 8; bit += 3) {
				fields[f][i] ^= (uint8_t)(1u << bit);
				ck_assert_msg(hy_aead_open(&c, nonce, aad, 17, ct, 100, out, tag) == -1,
					      "%s: field %d byte %zu bit %d accepted",
					      hy_aead_backend_name(be), f, i, bit);
				fields[f][i] ^= (uint8_t)(1u << bit);
			}
		}
	}
	/* Wrong lengths too: dropping a byte of aad or of ciphertext. */
	ck_assert_int_eq(hy_aead_open(&c, nonce, aad, 16, ct, 100, out, tag), -1);
	ck_assert_int_eq(hy_aead_open(&c, nonce, aad, 17, ct, 99, out, tag), -1);
	ck_assert_int_eq(hy_aead_open(&c, nonce, aad, 17, ct, 100, out, tag), 0);
	ck_assert_mem_eq(out, pt, 100);
}
END_TEST

START_TEST(test_packet_nonce)
{
	uint8_t n[HY_NONCE_BUF_LEN];
	memset(n, 0xee, sizeof(n));
	hy_aead_packet_nonce(n, 0x0102030405060708ull);
	/* the nonce, then zero padding up to HY_NONCE_BUF_LEN */
	const uint8_t e[HY_NONCE_BUF_LEN] = {0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0};
	ck_assert_mem_eq(n, e, HY_NONCE_BUF_LEN);
	hy_aead_packet_nonce(n, UINT64_MAX);
	const uint8_t f[HY_NONCE_BUF_LEN] = {0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
					     0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
	ck_assert_mem_eq(n, f, HY_NONCE_BUF_LEN);
	hy_aead_packet_nonce(n, 0x8000000000000001ull);
	const uint8_t g[HY_NONCE_BUF_LEN] = {0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
	ck_assert_mem_eq(n, g, HY_NONCE_BUF_LEN);
}
END_TEST

/* One context shared by several threads (it is immutable): every thread
 * gets its own backend state and the same bytes. */
struct thr_arg {
	const struct hy_aead_ctx *c;
	uint8_t tag[16];
	int rc;
};

static void *thr_main(void *p)
{
	struct thr_arg *a = p;
	uint8_t n[HY_NONCE_BUF_LEN] = {0}, pt[256] = {0}, ct[256], back[256];
	a->rc = 0;
	for (int i = 0; i < 1000 && a->rc == 0; i++) {
		hy_aead_packet_nonce(n, (uint64_t)i);
		a->rc |= hy_aead_seal(a->c, n, NULL, 0, pt, sizeof(pt), ct, a->tag);
		a->rc |= hy_aead_open(a->c, n, NULL, 0, ct, sizeof(ct), back, a->tag);
	}
	hy_aead_thread_release();
	return NULL;
}

START_TEST(test_shared_across_threads)
{
	enum hy_aead_backend be = (enum hy_aead_backend)_i;
	uint8_t key[16] = {7};
	struct hy_aead_ctx c;
	init_or_fail(&c, be, key);
	pthread_t t[4];
	struct thr_arg a[4];
	for (int i = 0; i < 4; i++) {
		a[i].c = &c;
		ck_assert_int_eq(pthread_create(&t[i], NULL, thr_main, &a[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(a[i].rc, 0);
		ck_assert_mem_eq(a[i].tag, a[0].tag, 16);
	}
	/* Release and use again on this thread. */
	hy_aead_thread_release();
	uint8_t n[12] = {0}, tag[16];
	ck_assert_int_eq(hy_aead_seal(&c, n, NULL, 0, NULL, 0, NULL, tag), 0);
}
END_TEST

/* The lines hy_aead_prefetch() fetches are ones a short seal reads: spoil
 * them in a copy of the context and the output changes (if hot named lines
 * the code path never reads, as the first lines of GHASH powers on the
 * VAES path, the tag would come out the same). */
START_TEST(test_hot_lines_are_read)
{
	enum hy_aead_backend b = (enum hy_aead_backend)_i;
	static struct hy_aead_ctx c, spoilt;
	uint8_t key[HY_KEY_LEN], nonce[HY_NONCE_BUF_LEN], pt[64];
	uint8_t ct[64], tag[HY_TAG_LEN], ct2[64], tag2[HY_TAG_LEN];

	memset(key, 0x42, sizeof(key));
	memset(pt, 0x17, sizeof(pt));
	hy_aead_packet_nonce(nonce, 9);
	init_or_fail(&c, b, key);
	ck_assert_uint_ge(c.hot.lines, 1);
	ck_assert_uint_le(64u * c.hot.lines, HY_AEAD_CTX_SIZE);
	ck_assert_uint_le(c.hot.hkey + 3u * 64u, HY_AEAD_CTX_SIZE);
	ck_assert_uint_eq(c.hot.hkey % 64u, 0);
	ck_assert_int_eq(hy_aead_seal(&c, nonce, NULL, 0, pt, sizeof(pt), ct, tag), 0);

	spoilt = c;
	memset(spoilt.state, 0xa5, 64u * c.hot.lines);
	if (b == HY_AEAD_IPSECMB) { /* OpenSSL keys its own schedule per thread */
		ck_assert_int_eq(hy_aead_seal(&spoilt, nonce, NULL, 0, pt, sizeof(pt), ct2, tag2), 0);
		ck_assert(memcmp(ct, ct2, sizeof(ct)) != 0);
		ck_assert_uint_ne(c.hot.hkey, 0);
		spoilt = c;
		memset(spoilt.state + c.hot.hkey, 0xa5, 3u * 64u);
		ck_assert_int_eq(hy_aead_seal(&spoilt, nonce, NULL, 0, pt, sizeof(pt), ct2, tag2), 0);
		ck_assert(memcmp(ct, ct2, sizeof(ct)) == 0); /* the keystream is not there */
		ck_assert(memcmp(tag, tag2, sizeof(tag)) != 0);
	}
	hy_aead_key_wipe(&c);
}
END_TEST

static Suite *aead_suite(void)
{
	Suite *s = suite_create("aead");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_backends_available);
	tcase_add_loop_test(tc, test_known_answers, 0,
			    (int)(sizeof(kats) / sizeof(kats[0])) * HY_AEAD_BACKEND_COUNT);
	tcase_add_test(tc, test_backends_agree);
	tcase_add_test(tc, test_key_switching);
	tcase_add_loop_test(tc, test_tamper_refused, 0, HY_AEAD_BACKEND_COUNT);
	tcase_add_test(tc, test_packet_nonce);
	tcase_add_loop_test(tc, test_shared_across_threads, 0, HY_AEAD_BACKEND_COUNT);
	tcase_add_loop_test(tc, test_hot_lines_are_read, 0, HY_AEAD_BACKEND_COUNT);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hy_check_run(aead_suite());
}
