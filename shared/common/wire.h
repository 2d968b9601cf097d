/* SPDX-License-Identifier: BSD-3-Clause
 * Bounded big-endian byte cursors for encoding and decoding.
 *
 * Every read and write checks the remaining length first.  A failed
 * operation marks the cursor as failed and leaves its position alone, so a
 * decoder can read a whole header and test hy_rd_ok() once at the end; a
 * failed cursor never reads or writes again.  Hand-written because no
 * library in our dependency set offers checked, allocation-free cursors.
 */
#ifndef HY_COMMON_WIRE_H
#define HY_COMMON_WIRE_H

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/*
 * Stores 16 bytes at p in one store: byte k is byte k % 8 of lo (k < 8) or
 * hi, counted from the least significant.  For bytes the CPU loads back at
 * once right after (a nonce, a header the cipher reads): a load spanning
 * several narrower stores still in flight cannot be forwarded from them
 * and waits until they reach the cache.
 */
static inline void hy_store16(void *p, uint64_t lo, uint64_t hi)
{
#if defined(__SSE2__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	_mm_storeu_si128((__m128i *)p, _mm_set_epi64x((long long)hi, (long long)lo));
#else
	uint64_t w[2] = { htole64(lo), htole64(hi) };

	memcpy(p, w, sizeof(w));
#endif
}

struct hy_rd {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool failed;
};

struct hy_wr {
	uint8_t *p;
	size_t cap;
	size_t off;
	bool failed;
};

static inline void hy_rd_init(struct hy_rd *r, const void *buf, size_t len)
{
	r->p = buf;
	r->len = len;
	r->off = 0;
	r->failed = false;
}

static inline bool hy_rd_ok(const struct hy_rd *r) { return !r->failed; }
static inline size_t hy_rd_left(const struct hy_rd *r) { return r->len - r->off; }
static inline const uint8_t *hy_rd_ptr(const struct hy_rd *r) { return r->p + r->off; }

static inline bool hy_rd_need(struct hy_rd *r, size_t n)
{
	if (r->failed || hy_rd_left(r) < n) {
		r->failed = true;
		return false;
	}
	return true;
}

static inline uint8_t hy_rd_u8(struct hy_rd *r)
{
	if (!hy_rd_need(r, 1))
		return 0;
	return r->p[r->off++];
}

static inline uint16_t hy_rd_u16(struct hy_rd *r)
{
	if (!hy_rd_need(r, 2))
		return 0;
	const uint8_t *b = r->p + r->off;
	r->off += 2;
	return (uint16_t)((unsigned)b[0] << 8 | b[1]);
}

static inline uint32_t hy_rd_u32(struct hy_rd *r)
{
	if (!hy_rd_need(r, 4))
		return 0;
	const uint8_t *b = r->p + r->off;
	r->off += 4;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline uint64_t hy_rd_u64(struct hy_rd *r)
{
	uint64_t hi = hy_rd_u32(r);
	uint64_t lo = hy_rd_u32(r);
	return hi << 32 | lo;
}

/* Copies n bytes out; on failure dst is zeroed so callers never see junk. */
static inline void hy_rd_bytes(struct hy_rd *r, void *dst, size_t n)
{
	if (!hy_rd_need(r, n)) {
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, r->p + r->off, n);
	r->off += n;
}

/* Returns a pointer to the next n bytes in place (no copy), or NULL. */
static inline const uint8_t *hy_rd_view(struct hy_rd *r, size_t n)
{
	if (!hy_rd_need(r, n))
		return NULL;
	const uint8_t *v = r->p + r->off;
	r->off += n;
	return v;
}

static inline void hy_wr_init(struct hy_wr *w, void *buf, size_t cap)
{
	w->p = buf;
	w->cap = cap;
	w->off = 0;
	w->failed = false;
}

static inline bool hy_wr_ok(const struct hy_wr *w) { return !w->failed; }
static inline size_t hy_wr_left(const struct hy_wr *w) { return w->cap - w->off; }

static inline bool hy_wr_need(struct hy_wr *w, size_t n)
{
	if (w->failed || hy_wr_left(w) < n) {
		w->failed = true;
		return false;
	}
	return true;
}

static inline void hy_wr_u8(struct hy_wr *w, uint8_t v)
{
	if (hy_wr_need(w, 1))
		w->p[w->off++] = v;
}

static inline void hy_wr_u16(struct hy_wr *w, uint16_t v)
{
	if (!hy_wr_need(w, 2))
		return;
	w->p[w->off++] = (uint8_t)(v >> 8);
	w->p[w->off++] = (uint8_t)v;
}

static inline void hy_wr_u32(struct hy_wr *w, uint32_t v)
{
	if (!hy_wr_need(w, 4))
		return;
	w->p[w->off++] = (uint8_t)(v >> 24);
	w->p[w->off++] = (uint8_t)(v >> 16);
	w->p[w->off++] = (uint8_t)(v >> 8);
	w->p[w->off++] = (uint8_t)v;
}

static inline void hy_wr_u64(struct hy_wr *w, uint64_t v)
{
	if (!hy_wr_need(w, 8))
		return;
	hy_wr_u32(w, (uint32_t)(v >> 32));
	hy_wr_u32(w, (uint32_t)v);
}

static inline void hy_wr_bytes(struct hy_wr *w, const void *src, size_t n)
{
	if (!hy_wr_need(w, n))
		return;
	if (n)
		memcpy(w->p + w->off, src, n);
	w->off += n;
}

static inline void hy_wr_zeros(struct hy_wr *w, size_t n)
{
	if (!hy_wr_need(w, n))
		return;
	memset(w->p + w->off, 0, n);
	w->off += n;
}

#endif /* HY_COMMON_WIRE_H */
