/* SPDX-License-Identifier: BSD-3-Clause
 * AES-128-GCM with interchangeable backends.
 *
 * Two backends produce identical bytes: intel-ipsec-mb, for the data plane
 * (what DPDK's own crypto PMDs use, the fastest here), and OpenSSL, for the
 * client and the control plane (no SIMD library to ship).  A key context is
 * expanded once (key schedule, GHASH tables) and then used for any number
 * of packets; it is immutable after hy_aead_key_init(), so one context may
 * be used from several threads at once.
 */
#ifndef HY_CRYPTO_AEAD_H
#define HY_CRYPTO_AEAD_H

#include <stddef.h>
#include <stdint.h>

#include "common/wire.h"
#include "proto/limits.h"

enum hy_aead_backend {
	HY_AEAD_OPENSSL = 0,
	HY_AEAD_IPSECMB = 1,
	HY_AEAD_BACKEND_COUNT
};

/* Large enough for either backend's expanded key; checked at build time
 * by the backends.  Callers may embed it (e.g. in a session entry). */
#define HY_AEAD_CTX_SIZE 1024u

/* Where a seal or open of a short packet reads an expanded key: the first
 * lines cache lines of the context's state (the round keys), and, when hkey
 * is not 0, the three lines from that offset in state (the GHASH powers it
 * starts from).  The same for every context of one backend in a process. */
struct hy_aead_hot {
	uint16_t lines;
	uint16_t hkey;
};

struct hy_aead_ctx {
	enum hy_aead_backend backend;
	struct hy_aead_hot hot; /* set by key init */
	uint8_t state[HY_AEAD_CTX_SIZE] __attribute__((aligned(64)));
} __attribute__((aligned(64)));

/*
 * Prefetches what hy_aead_seal()/hy_aead_open() of a packet of up to 128
 * bytes will read of ctx, for a caller about to seal or open under many
 * keys (a room's fan-out): 4 to 7 of the context's 17 lines, wherever the
 * backend's code path keeps them.  hot is any context's of the same backend
 * (callers read it once: taken from ctx itself, the prefetches would wait
 * for ctx's first line).  A hint only: lines already cached, or a longer
 * packet, lose nothing.
 */
static inline void hy_aead_prefetch(const struct hy_aead_ctx *ctx, struct hy_aead_hot hot)
{
	unsigned i;

	__builtin_prefetch(ctx);
	for (i = 0; i < hot.lines; i++)
		__builtin_prefetch(ctx->state + 64u * i);
	if (hot.hkey != 0)
		for (i = 0; i < 3; i++)
			__builtin_prefetch(ctx->state + hot.hkey + 64u * i);
}

/* "openssl" / "ipsec-mb". */
const char *hy_aead_backend_name(enum hy_aead_backend b);

/* Returns 0 if the backend works on this CPU and library build, -1 if not
 * (e.g. intel-ipsec-mb found no supported instruction set). */
int hy_aead_backend_available(enum hy_aead_backend b);

/* Expands a 16-byte key for backend b.  Returns 0, or -1 if the backend is
 * unavailable.  No memory is allocated; hy_aead_key_wipe() zeroes ctx. */
int hy_aead_key_init(struct hy_aead_ctx *ctx, enum hy_aead_backend b,
		     const uint8_t key[HY_KEY_LEN]);
void hy_aead_key_wipe(struct hy_aead_ctx *ctx);

/* Encrypts len bytes of pt into ct (ct == pt allowed: in place) and writes
 * the 16-byte tag.  aad may be NULL when aad_len is 0.  Returns 0 or -1. */
int hy_aead_seal(const struct hy_aead_ctx *ctx, const uint8_t nonce[HY_NONCE_LEN],
		 const uint8_t *aad, size_t aad_len,
		 const uint8_t *pt, size_t len, uint8_t *ct, uint8_t tag[HY_TAG_LEN]);

/* Decrypts and authenticates (ct == pt allowed).  Returns 0 if the tag
 * verifies (compared in constant time), -1 if not; on -1 the contents of
 * pt are unspecified and must not be used. */
int hy_aead_open(const struct hy_aead_ctx *ctx, const uint8_t nonce[HY_NONCE_LEN],
		 const uint8_t *aad, size_t aad_len,
		 const uint8_t *ct, size_t len, uint8_t *pt, const uint8_t tag[HY_TAG_LEN]);

/* What hy_aead_packet_nonce() writes: the nonce, then 4 zero bytes. */
#define HY_NONCE_BUF_LEN 16

/* Data-packet nonce: 4 zero bytes then the 64-bit packet number, big-endian
 * (HY_NONCE_LEN bytes), followed by 4 zero bytes of padding.  Keys are per
 * direction, so (key, nonce) never repeats while packet numbers only grow.
 * Inline: every packet sealed or opened builds one, just before the cipher
 * reads it, hence one 16-byte store (hy_store16()).  Measured: written as 4
 * and 8 bytes it cost 40 cycles a packet in a loop of 64-byte seals
 * (perf/aead/bench_aead, 100 down to 63), about 5 a push on the relay path
 * (perf/rooms/bench_relay), where other work overlaps the wait. */
static inline void hy_aead_packet_nonce(uint8_t nonce[HY_NONCE_BUF_LEN], uint64_t packet_number)
{
	_Static_assert(HY_NONCE_LEN == 4 + sizeof(packet_number), "4 zero bytes and the number");
	/* bytes 4-7: the number's high half, most significant first; 8-11: its
	 * low half */
	hy_store16(nonce, (uint64_t)__builtin_bswap32((uint32_t)(packet_number >> 32)) << 32,
		   __builtin_bswap32((uint32_t)packet_number));
}

/* Frees the calling thread's per-thread backend state (the ipsec-mb
 * manager, OpenSSL's cipher contexts and the key schedule they cache).
 * Optional: the same happens at thread exit.  Call it when a thread that
 * will live on has finished with its keys.  The next AEAD call from the
 * thread sets the state up again. */
void hy_aead_thread_release(void);

#endif /* HY_CRYPTO_AEAD_H */
