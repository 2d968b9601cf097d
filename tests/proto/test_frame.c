/* SPDX-License-Identifier: BSD-3-Clause
 * Frames: round trips, all-or-nothing encoders, every truncation, bit
 * flips, every reason, the 32-frame limit and ACK-range edges.
 */
#include "proto/frame.h"
#include "proto_test.h"

static const uint8_t msg7[7] = {2, 0, 9, 'h', 'e', 'l', 'o'};

/* One sample of each frame type, written to w. */
static void put_samples(struct hy_wr *w)
{
	const struct hy_seq_range iv[3] = {{1000, 990}, {980, 980}, {10, 0}};
	ck_assert(hy_frame_put_ack(w, 125, iv, 3));
	ck_assert(hy_frame_put_unreliable(w, msg7, sizeof(msg7)));
	ck_assert(hy_frame_put_sequenced(w, 3, 77, msg7, sizeof(msg7)));
	ck_assert(hy_frame_put_reliable(w, 0x01020304, msg7, sizeof(msg7)));
	ck_assert(hy_frame_put_fragment(w, HY_FRAME_RELIABLE, 12, 2, 3, msg7, 5));
	ck_assert(hy_frame_put_fragment(w, HY_FRAME_UNRELIABLE, 0xffffffffu, 63, 64, msg7, 1));
	ck_assert(hy_frame_put_ping(w));
}

/* Frames each sample occupies, in order. */
static const size_t sample_sizes[7] = {10 + 8, 3 + 7, 8 + 7, 7 + 7, 10 + 5, 10 + 1, 1};
/* ... of which the part before the message bytes (an ACK is all fixed). */
static const size_t sample_fixed[7] = {18, 3, 8, 7, 10, 10, 1};

START_TEST(test_round_trip_each_type)
{
	uint8_t buf[HY_MAX_PAYLOAD], re[HY_MAX_PAYLOAD];
	struct hy_wr w;
	hy_wr_init(&w, buf, sizeof(buf));
	put_samples(&w);
	ck_assert(hy_wr_ok(&w));
	size_t total = 0;
	for (int i = 0; i < 7; i++)
		total += sample_sizes[i];
	ck_assert_uint_eq(w.off, total);

	uint8_t *p = dup_exact(buf, w.off);
	ck_assert_int_eq(hy_frames_validate(p, w.off), HY_R_OK);

	struct hy_rd r;
	struct hy_frame f[7];
	hy_rd_init(&r, p, w.off);
	for (int i = 0; i < 7; i++) {
		size_t before = r.off;
		ck_assert_int_eq(hy_frame_next(&r, &f[i]), HY_R_OK);
		ck_assert_uint_eq(r.off - before, sample_sizes[i]);
		ck_assert_uint_eq(hy_frame_size(&f[i]), sample_sizes[i]);
	}
	ck_assert_uint_eq(hy_rd_left(&r), 0);

	ck_assert_uint_eq(f[0].type, HY_FRAME_ACK);
	ck_assert_uint_eq(f[0].ack.largest, 1000);
	ck_assert_uint_eq(f[0].ack.delay, 125);
	ck_assert_uint_eq(f[0].ack.range_count, 2);
	ck_assert_uint_eq(f[0].ack.first_range, 10);
	struct hy_seq_range iv[HY_ACK_MAX_INTERVALS];
	unsigned n;
	ck_assert_int_eq(hy_ack_intervals(&f[0].ack, iv, &n), HY_R_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert(iv[0].hi == 1000 && iv[0].lo == 990);
	ck_assert(iv[1].hi == 980 && iv[1].lo == 980);
	ck_assert(iv[2].hi == 10 && iv[2].lo == 0);

	ck_assert_uint_eq(f[1].type, HY_FRAME_UNRELIABLE);
	ck_assert_uint_eq(f[1].len, 7);
	ck_assert_ptr_eq(f[1].data, p + 18 + 3); /* a view, not a copy */
	ck_assert_mem_eq(f[1].data, msg7, 7);
	ck_assert_uint_eq(f[2].type, HY_FRAME_SEQUENCED);
	ck_assert_uint_eq(f[2].stream, 3);
	ck_assert_uint_eq(f[2].seq, 77);
	ck_assert_uint_eq(f[3].type, HY_FRAME_RELIABLE);
	ck_assert_uint_eq(f[3].seq, 0x01020304);
	ck_assert_uint_eq(f[4].type, HY_FRAME_FRAGMENT);
	ck_assert_uint_eq(f[4].frag_class, HY_FRAME_RELIABLE);
	ck_assert_uint_eq(f[4].seq, 12);
	ck_assert_uint_eq(f[4].frag_index, 2);
	ck_assert_uint_eq(f[4].frag_count, 3);
	ck_assert_uint_eq(f[4].len, 5);
	ck_assert_uint_eq(f[5].frag_class, HY_FRAME_UNRELIABLE);
	ck_assert_uint_eq(f[5].seq, 0xffffffffu);
	ck_assert_uint_eq(f[6].type, HY_FRAME_PING);
	ck_assert_ptr_null(f[6].data);

	/* Re-encoding the decoded frames gives the same bytes. */
	struct hy_wr w2;
	hy_wr_init(&w2, re, sizeof(re));
	for (int i = 0; i < 7; i++)
		ck_assert(hy_frame_put(&w2, &f[i]));
	ck_assert_uint_eq(w2.off, w.off);
	ck_assert_mem_eq(re, p, w.off);
	free(p);

	ck_assert_str_eq(hy_frame_type_name(HY_FRAME_FRAGMENT), "FRAGMENT");
	ck_assert_str_eq(hy_frame_type_name((enum hy_frame_type)0), "UNKNOWN");
}
END_TEST

START_TEST(test_wire_bytes)
{
	uint8_t buf[64];
	struct hy_wr w;
	hy_wr_init(&w, buf, sizeof(buf));
	ck_assert(hy_frame_put_fragment(&w, HY_FRAME_RELIABLE, 0x0a0b0c0d, 1, 2, "xy", 2));
	const uint8_t want[] = {0x05, 0x04, 0x0a, 0x0b, 0x0c, 0x0d,
				0x01, 0x02, 0x00, 0x02, 'x', 'y'};
	ck_assert_uint_eq(w.off, sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));

	hy_wr_init(&w, buf, sizeof(buf));
	const struct hy_seq_range iv[2] = {{0x100, 0xfe}, {0xf0, 0xe0}};
	ck_assert(hy_frame_put_ack(&w, 0x0203, iv, 2));
	/* first_range 2; gap = 0xfe - 0xf0 - 2 = 12; length 16 */
	const uint8_t ack[] = {0x01, 0, 0, 1, 0, 0x02, 0x03,
			       0x01, 0x00, 0x02, 0x00, 0x0c, 0x00, 0x10};
	ck_assert_uint_eq(w.off, sizeof(ack));
	ck_assert_mem_eq(buf, ack, sizeof(ack));
}
END_TEST

/* A frame that does not fit leaves the writer as it was. */
START_TEST(test_encoders_all_or_nothing)
{
	uint8_t buf[32];
	memset(buf, 0xaa, sizeof(buf));
	struct hy_wr w;
	hy_wr_init(&w, buf, 12);
	ck_assert(hy_frame_put_unreliable(&w, msg7, 7)); /* 10 bytes */
	ck_assert(!hy_frame_put_reliable(&w, 1, msg7, 1));  /* needs 8 */
	ck_assert(!hy_frame_put_sequenced(&w, 0, 1, msg7, 1));
	ck_assert(!hy_frame_put_unreliable(&w, msg7, 1)); /* needs 4 */
	ck_assert(!hy_frame_put_fragment(&w, HY_FRAME_RELIABLE, 1, 0, 2, msg7, 1));
	const struct hy_seq_range iv = {5, 5};
	ck_assert(!hy_frame_put_ack(&w, 0, &iv, 1));
	ck_assert(hy_wr_ok(&w));
	ck_assert_uint_eq(w.off, 10);
	ck_assert_uint_eq(buf[10], 0xaa);
	ck_assert(hy_frame_put_ping(&w));
	ck_assert(hy_frame_put_ping(&w));
	ck_assert(!hy_frame_put_ping(&w));
	ck_assert_uint_eq(w.off, 12);
	ck_assert_uint_eq(buf[12], 0xaa);
	ck_assert(hy_wr_ok(&w));

	/* A failed writer takes nothing. */
	hy_wr_init(&w, buf, sizeof(buf));
	w.failed = true;
	ck_assert(!hy_frame_put_ping(&w));
}
END_TEST

START_TEST(test_encoders_refuse_what_decoders_refuse)
{
	uint8_t buf[128];
	struct hy_wr w;
	hy_wr_init(&w, buf, sizeof(buf));
	ck_assert(!hy_frame_put_unreliable(&w, msg7, 0));
	ck_assert(!hy_frame_put_unreliable(&w, NULL, 3));
	ck_assert(!hy_frame_put_sequenced(&w, 0, 0, msg7, 0));
	ck_assert(!hy_frame_put_reliable(&w, 0, msg7, 0));
	ck_assert(!hy_frame_put_reliable(&w, 0, msg7, 65536));
	ck_assert(!hy_frame_put_fragment(&w, HY_FRAME_RELIABLE, 5, 0, 2, msg7, 0));
	ck_assert(!hy_frame_put_fragment(&w, HY_FRAME_SEQUENCED, 5, 0, 2, msg7, 1));
	ck_assert(!hy_frame_put_fragment(&w, HY_FRAME_RELIABLE, 5, 0, 1, msg7, 1));
	ck_assert(!hy_frame_put_fragment(&w, HY_FRAME_RELIABLE, 5, 2, 2, msg7, 1));
	ck_assert(!hy_frame_put_fragment(&w, HY_FRAME_RELIABLE, 100, 0, 65, msg7, 1));
	ck_assert(!hy_frame_put_fragment(&w, HY_FRAME_RELIABLE, 2, 3, 4, msg7, 1));
	ck_assert(hy_frame_put_fragment(&w, HY_FRAME_UNRELIABLE, 2, 3, 4, msg7, 1));
	ck_assert(hy_frame_put_fragment(&w, HY_FRAME_RELIABLE, 3, 3, 4, msg7, 1));
	struct hy_frame f = {.type = (enum hy_frame_type)9};
	ck_assert(!hy_frame_put(&w, &f));
	ck_assert_uint_eq(hy_frame_size(&f), 0);
	ck_assert(hy_wr_ok(&w));
}
END_TEST

/* Each sample alone: every shorter length is refused with TRUNCATED (cut
 * in a fixed part) or BAD_LENGTH (cut in the declared body). */
START_TEST(test_every_truncation)
{
	uint8_t buf[256];
	struct hy_wr w;
	hy_wr_init(&w, buf, sizeof(buf));
	put_samples(&w);
	size_t off = 0;
	for (int i = 0; i < 7; i++) {
		const uint8_t *frame = buf + off;
		size_t n = sample_sizes[i];
		for (size_t len = 0; len < n; len++) {
			uint8_t *p = dup_exact(frame, len);
			enum hy_reason r = hy_frames_validate(p, len);
			enum hy_reason want =
				len < sample_fixed[i] ? HY_R_TRUNCATED : HY_R_BAD_LENGTH;
			ck_assert_msg(r == want, "frame %d len %zu: %s", i, len, hy_reason_name(r));
			free(p);
		}
		uint8_t *p = dup_exact(frame, n);
		ck_assert_int_eq(hy_frames_validate(p, n), HY_R_OK);
		free(p);
		off += n;
	}
	/* The fixed parts give TRUNCATED, the bodies BAD_LENGTH. */
	ck_assert_int_eq(hy_frames_validate(buf + 18, 2), HY_R_TRUNCATED);
	ck_assert_int_eq(hy_frames_validate(buf + 18, 3), HY_R_BAD_LENGTH);
	ck_assert_int_eq(hy_frames_validate(buf + 18, 9), HY_R_BAD_LENGTH);
	ck_assert_int_eq(hy_frames_validate(buf, 10), HY_R_TRUNCATED); /* ACK ranges cut */
	ck_assert_int_eq(hy_frames_validate(buf, 17), HY_R_TRUNCATED);
	ck_assert_int_eq(hy_frames_validate(buf, 0), HY_R_TRUNCATED);
}
END_TEST

/* A refused frame moves the reader nowhere, and fails it: after a good
 * frame, every cut of every sample leaves the offset after the good one. */
START_TEST(test_refused_frame_keeps_offset)
{
	uint8_t buf[256], two[512];
	struct hy_wr w;
	hy_wr_init(&w, buf, sizeof(buf));
	put_samples(&w);
	size_t off = 0, first = sample_sizes[0];
	for (int i = 0; i < 7; i++) {
		size_t n = sample_sizes[i];
		for (size_t len = 0; len < n; len++) {
			struct hy_rd r;
			struct hy_frame f;
			memcpy(two, buf, first);
			memcpy(two + first, buf + off, len);
			uint8_t *p = dup_exact(two, first + len);
			hy_rd_init(&r, p, first + len);
			ck_assert_int_eq(hy_frame_next(&r, &f), HY_R_OK);
			ck_assert_uint_eq(r.off, first);
			ck_assert_int_ne(hy_frame_next(&r, &f), HY_R_OK);
			ck_assert_msg(r.off == first, "sample %d cut to %zu: offset %zu", i, len, r.off);
			ck_assert(!hy_rd_ok(&r));
			ck_assert_int_eq(hy_frame_next(&r, &f), HY_R_TRUNCATED);
			free(p);
		}
		off += n;
	}
}
END_TEST

/* Whole packed payload: cut anywhere, the result is either a shorter
 * valid payload (cut on a frame boundary) or refused. */
START_TEST(test_truncated_payload)
{
	uint8_t buf[256];
	struct hy_wr w;
	hy_wr_init(&w, buf, sizeof(buf));
	put_samples(&w);
	size_t bounds[8] = {0};
	for (int i = 0; i < 7; i++)
		bounds[i + 1] = bounds[i] + sample_sizes[i];
	for (size_t len = 1; len <= w.off; len++) {
		int on_boundary = 0;
		for (int i = 1; i < 8; i++)
			on_boundary |= bounds[i] == len;
		uint8_t *p = dup_exact(buf, len);
		enum hy_reason r = hy_frames_validate(p, len);
		if (on_boundary)
			ck_assert_int_eq(r, HY_R_OK);
		else
			ck_assert(r == HY_R_TRUNCATED || r == HY_R_BAD_LENGTH);
		free(p);
	}
	/* One extra byte after a valid payload: only a PING byte is a frame. */
	for (unsigned v = 0; v < 256; v++) {
		buf[w.off] = (uint8_t)v;
		uint8_t *p = dup_exact(buf, w.off + 1);
		enum hy_reason r = hy_frames_validate(p, w.off + 1);
		if (v == HY_FRAME_PING)
			ck_assert_int_eq(r, HY_R_OK);
		else if (v >= 1 && v <= 5)
			ck_assert_int_eq(r, HY_R_TRUNCATED);
		else
			ck_assert_int_eq(r, HY_R_BAD_TYPE);
		free(p);
	}
}
END_TEST

START_TEST(test_bit_flips)
{
	uint8_t buf[256], re[256];
	struct hy_wr w;
	hy_wr_init(&w, buf, sizeof(buf));
	put_samples(&w);
	size_t n = w.off;
	unsigned refused = 0;
	for (size_t bit = 0; bit < n * 8; bit++) {
		uint8_t *p = dup_exact(buf, n);
		p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (hy_frames_validate(p, n) == HY_R_OK) {
			struct hy_rd r;
			struct hy_frame f;
			struct hy_wr w2;
			hy_rd_init(&r, p, n);
			hy_wr_init(&w2, re, sizeof(re));
			while (hy_rd_left(&r) > 0) {
				ck_assert_int_eq(hy_frame_next(&r, &f), HY_R_OK);
				ck_assert(hy_frame_put(&w2, &f));
			}
			ck_assert_uint_eq(w2.off, n);
			ck_assert_mem_eq(re, p, n);
		} else {
			refused++;
		}
		free(p);
	}
	ck_assert_uint_gt(refused, 0);
}
END_TEST

static enum hy_reason one(const uint8_t *b, size_t n)
{
	uint8_t *p = dup_exact(b, n);
	enum hy_reason r = hy_frames_validate(p, n);
	free(p);
	return r;
}

START_TEST(test_reasons)
{
	const uint8_t t0[] = {0x00};
	const uint8_t t7[] = {0x07};
	const uint8_t tff[] = {0xff, 0, 0, 0};
	ck_assert_int_eq(one(t0, 1), HY_R_BAD_TYPE);
	ck_assert_int_eq(one(t7, 1), HY_R_BAD_TYPE);
	ck_assert_int_eq(one(tff, 4), HY_R_BAD_TYPE);

	const uint8_t e2[] = {0x02, 0, 0};
	const uint8_t e3[] = {0x03, 1, 0, 0, 0, 1, 0, 0};
	const uint8_t e4[] = {0x04, 0, 0, 0, 1, 0, 0};
	const uint8_t e5[] = {0x05, 0x04, 0, 0, 0, 1, 0, 2, 0, 0};
	ck_assert_int_eq(one(e2, sizeof(e2)), HY_R_EMPTY_FRAME);
	ck_assert_int_eq(one(e3, sizeof(e3)), HY_R_EMPTY_FRAME);
	ck_assert_int_eq(one(e4, sizeof(e4)), HY_R_EMPTY_FRAME);
	ck_assert_int_eq(one(e5, sizeof(e5)), HY_R_EMPTY_FRAME);

	const uint8_t l2[] = {0x02, 0, 2, 'x'};
	const uint8_t l2max[] = {0x02, 0xff, 0xff, 'x'};
	ck_assert_int_eq(one(l2, sizeof(l2)), HY_R_BAD_LENGTH);
	ck_assert_int_eq(one(l2max, sizeof(l2max)), HY_R_BAD_LENGTH);

	/* FRAGMENT: class, count, index, reliable seq below index. */
	uint8_t fr[] = {0x05, 0x04, 0, 0, 0, 5, 1, 2, 0, 1, 'z'};
	ck_assert_int_eq(one(fr, sizeof(fr)), HY_R_OK);
	fr[1] = 0x03;
	ck_assert_int_eq(one(fr, sizeof(fr)), HY_R_BAD_FRAGMENT);
	fr[1] = 0x00;
	ck_assert_int_eq(one(fr, sizeof(fr)), HY_R_BAD_FRAGMENT);
	fr[1] = 0x02;
	ck_assert_int_eq(one(fr, sizeof(fr)), HY_R_OK);
	fr[7] = 1; /* count 1 */
	fr[6] = 0;
	ck_assert_int_eq(one(fr, sizeof(fr)), HY_R_BAD_FRAGMENT);
	fr[7] = 0; /* count 0 */
	ck_assert_int_eq(one(fr, sizeof(fr)), HY_R_BAD_FRAGMENT);
	fr[7] = 65;
	ck_assert_int_eq(one(fr, sizeof(fr)), HY_R_BAD_FRAGMENT);
	fr[7] = 64;
	fr[6] = 63;
	ck_assert_int_eq(one(fr, sizeof(fr)), HY_R_OK); /* unreliable: seq is an id */
	fr[6] = 64; /* index == count */
	ck_assert_int_eq(one(fr, sizeof(fr)), HY_R_BAD_FRAGMENT);
	fr[1] = 0x04;
	fr[6] = 6; /* reliable, seq 5 < index 6 */
	ck_assert_int_eq(one(fr, sizeof(fr)), HY_R_BAD_FRAGMENT);
	fr[6] = 5; /* first fragment's seq = 0 */
	ck_assert_int_eq(one(fr, sizeof(fr)), HY_R_OK);
	/* BAD_FRAGMENT is found before the body is looked at. */
	fr[7] = 0;
	ck_assert_int_eq(one(fr, 10), HY_R_BAD_FRAGMENT);

	/* Sticky reader: after a refusal, nothing more is read. */
	struct hy_rd r;
	struct hy_frame f;
	hy_rd_init(&r, t0, 1);
	ck_assert_int_eq(hy_frame_next(&r, &f), HY_R_BAD_TYPE);
	ck_assert_int_eq(hy_frame_next(&r, &f), HY_R_TRUNCATED);
	ck_assert_uint_eq(r.off, 0);
	hy_rd_init(&r, t0, 0);
	ck_assert_int_eq(hy_frame_next(&r, &f), HY_R_TRUNCATED);
}
END_TEST

START_TEST(test_frame_limit)
{
	uint8_t buf[HY_MAX_PAYLOAD + 64];
	memset(buf, HY_FRAME_PING, sizeof(buf));
	ck_assert_int_eq(one(buf, 1), HY_R_OK);
	ck_assert_int_eq(one(buf, 32), HY_R_OK);
	ck_assert_int_eq(one(buf, 33), HY_R_TOO_MANY_FRAMES);
	ck_assert_int_eq(one(buf, HY_MAX_PAYLOAD), HY_R_TOO_MANY_FRAMES);

	/* 32 mixed frames filling a full-size payload exactly. */
	struct hy_wr w;
	hy_wr_init(&w, buf, HY_MAX_PAYLOAD);
	uint8_t body[HY_MAX_PAYLOAD];
	memset(body, 0x5a, sizeof(body));
	for (int i = 0; i < 30; i++) {
		switch (i % 4) {
		case 0: ck_assert(hy_frame_put_unreliable(&w, body, 20)); break;
		case 1:
			ck_assert(hy_frame_put_sequenced(&w, (uint8_t)i, (uint32_t)i, body, 20));
			break;
		case 2: ck_assert(hy_frame_put_reliable(&w, (uint32_t)i, body, 20)); break;
		default: ck_assert(hy_frame_put_ping(&w)); break;
		}
	}
	const struct hy_seq_range iv = {40, 0};
	ck_assert(hy_frame_put_ack(&w, 1, &iv, 1));
	size_t left = hy_wr_left(&w);
	ck_assert_uint_gt(left, HY_FRAME_FRAGMENT_HDR);
	ck_assert(hy_frame_put_fragment(&w, HY_FRAME_RELIABLE, 99, 0, 2, body,
					left - HY_FRAME_FRAGMENT_HDR));
	ck_assert_uint_eq(w.off, HY_MAX_PAYLOAD);
	ck_assert_int_eq(one(buf, w.off), HY_R_OK);
	/* One more frame (a 33rd): refused as too many, not as malformed. */
	buf[w.off] = HY_FRAME_PING;
	ck_assert_int_eq(one(buf, w.off + 1), HY_R_TOO_MANY_FRAMES);
	buf[w.off] = 0x00;
	ck_assert_int_eq(one(buf, w.off + 1), HY_R_TOO_MANY_FRAMES);

	/* Largest single frames that fit a payload. */
	hy_wr_init(&w, buf, HY_MAX_PAYLOAD);
	ck_assert(!hy_frame_put_reliable(&w, 1, body, HY_FRAME_MAX_RELIABLE + 1));
	ck_assert(hy_frame_put_reliable(&w, 1, body, HY_FRAME_MAX_RELIABLE));
	ck_assert_uint_eq(w.off, HY_MAX_PAYLOAD);
	ck_assert_int_eq(one(buf, w.off), HY_R_OK);
}
END_TEST

static enum hy_reason ack_of(uint32_t largest, uint16_t first, const uint16_t *pairs,
			     unsigned count, struct hy_seq_range *iv, unsigned *n)
{
	uint8_t raw[4 * 32];
	for (unsigned i = 0; i < count * 2; i++) {
		raw[2 * i] = (uint8_t)(pairs[i] >> 8);
		raw[2 * i + 1] = (uint8_t)pairs[i];
	}
	struct hy_frame_ack a = {largest, 0, (uint8_t)count, first, raw};
	return hy_ack_intervals(&a, iv, n);
}

START_TEST(test_ack_edges)
{
	struct hy_seq_range iv[HY_ACK_MAX_INTERVALS];
	unsigned n = 0;
	ck_assert_int_eq(ack_of(0, 0, NULL, 0, iv, &n), HY_R_OK);
	ck_assert(n == 1 && iv[0].hi == 0 && iv[0].lo == 0);
	ck_assert_int_eq(ack_of(0, 1, NULL, 0, iv, &n), HY_R_BAD_ACK_RANGES);
	ck_assert_int_eq(ack_of(65535, 65535, NULL, 0, iv, &n), HY_R_OK);
	ck_assert(iv[0].lo == 0);
	ck_assert_int_eq(ack_of(UINT32_MAX, 65535, NULL, 0, iv, &n), HY_R_OK);
	ck_assert(iv[0].hi == UINT32_MAX && iv[0].lo == UINT32_MAX - 65535);

	/* largest 10, first 2: [8,10]; gap 6 reaches exactly seq 0. */
	const uint16_t exact[] = {6, 0};
	ck_assert_int_eq(ack_of(10, 2, exact, 1, iv, &n), HY_R_OK);
	ck_assert(n == 2 && iv[1].hi == 0 && iv[1].lo == 0);
	const uint16_t gap_under[] = {7, 0};
	ck_assert_int_eq(ack_of(10, 2, gap_under, 1, iv, &n), HY_R_BAD_ACK_RANGES);
	const uint16_t len_under[] = {5, 2}; /* hi = 1, length 2 */
	ck_assert_int_eq(ack_of(10, 2, len_under, 1, iv, &n), HY_R_BAD_ACK_RANGES);
	const uint16_t len_ok[] = {5, 1};
	ck_assert_int_eq(ack_of(10, 2, len_ok, 1, iv, &n), HY_R_OK);
	ck_assert(iv[1].hi == 1 && iv[1].lo == 0);
	/* Range from the very bottom: lo 0, nothing can follow. */
	const uint16_t after_zero[] = {0, 0, 0, 0};
	ck_assert_int_eq(ack_of(2, 2, after_zero, 1, iv, &n), HY_R_BAD_ACK_RANGES);
	ck_assert_int_eq(ack_of(4, 0, after_zero, 2, iv, &n), HY_R_OK);
	ck_assert(n == 3 && iv[1].hi == 2 && iv[2].hi == 0);

	/* 16 ranges is the limit; 17 is refused even when well formed. */
	uint16_t many[2 * 17];
	for (int i = 0; i < 34; i++)
		many[i] = 0;
	ck_assert_int_eq(ack_of(1000, 0, many, 16, iv, &n), HY_R_OK);
	ck_assert_uint_eq(n, 17);
	ck_assert_uint_eq(iv[16].hi, 1000 - 2 * 16);
	ck_assert_int_eq(ack_of(1000, 0, many, 17, iv, &n), HY_R_BAD_ACK_RANGES);

	/* The same through the frame decoder. */
	uint8_t fr[HY_FRAME_ACK_HDR + 17 * 4] = {0x01, 0, 0, 3, 0xe8, 0, 0, 17, 0, 0};
	ck_assert_int_eq(one(fr, sizeof(fr)), HY_R_BAD_ACK_RANGES);
	fr[7] = 16;
	ck_assert_int_eq(one(fr, sizeof(fr) - 4), HY_R_OK);
	ck_assert_int_eq(one(fr, sizeof(fr) - 5), HY_R_TRUNCATED);
	fr[1] = 0;
	fr[2] = 0;
	fr[3] = 0;
	fr[4] = 20; /* largest 20, 16 ranges of 2 each: underflow */
	ck_assert_int_eq(one(fr, sizeof(fr) - 4), HY_R_BAD_ACK_RANGES);
}
END_TEST

START_TEST(test_ack_encode_refuses)
{
	uint8_t buf[128];
	struct hy_wr w;
	hy_wr_init(&w, buf, sizeof(buf));
	struct hy_seq_range iv[HY_ACK_MAX_INTERVALS + 1];
	for (unsigned i = 0; i <= HY_ACK_MAX_INTERVALS; i++)
		iv[i] = (struct hy_seq_range){1000 - 2 * i, 1000 - 2 * i};
	ck_assert(!hy_frame_put_ack(&w, 0, iv, 0));
	ck_assert(!hy_frame_put_ack(&w, 0, iv, HY_ACK_MAX_INTERVALS + 1));
	ck_assert(hy_frame_put_ack(&w, 0, iv, HY_ACK_MAX_INTERVALS));
	ck_assert_uint_eq(w.off, HY_FRAME_ACK_MAX_LEN);
	ck_assert_int_eq(one(buf, w.off), HY_R_OK);

	hy_wr_init(&w, buf, sizeof(buf));
	const struct hy_seq_range inverted[1] = {{5, 6}};
	const struct hy_seq_range adjacent[2] = {{10, 8}, {7, 0}};
	const struct hy_seq_range overlap[2] = {{10, 8}, {8, 0}};
	const struct hy_seq_range ascending[2] = {{3, 0}, {10, 8}};
	const struct hy_seq_range wide[1] = {{70000, 0}};
	const struct hy_seq_range far[2] = {{100000, 100000}, {1, 0}};
	const struct hy_seq_range fine[2] = {{10, 8}, {6, 0}};
	ck_assert(!hy_frame_put_ack(&w, 0, inverted, 1));
	ck_assert(!hy_frame_put_ack(&w, 0, adjacent, 2));
	ck_assert(!hy_frame_put_ack(&w, 0, overlap, 2));
	ck_assert(!hy_frame_put_ack(&w, 0, ascending, 2));
	ck_assert(!hy_frame_put_ack(&w, 0, wide, 1));
	ck_assert(!hy_frame_put_ack(&w, 0, far, 2));
	ck_assert_uint_eq(w.off, 0);
	ck_assert(hy_frame_put_ack(&w, 0, fine, 2));
	ck_assert_int_eq(one(buf, w.off), HY_R_OK);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("proto-frame");
	TCase *tc = tcase_create("frame");
	tcase_add_test(tc, test_round_trip_each_type);
	tcase_add_test(tc, test_wire_bytes);
	tcase_add_test(tc, test_encoders_all_or_nothing);
	tcase_add_test(tc, test_encoders_refuse_what_decoders_refuse);
	tcase_add_test(tc, test_every_truncation);
	tcase_add_test(tc, test_refused_frame_keeps_offset);
	tcase_add_test(tc, test_truncated_payload);
	tcase_add_test(tc, test_bit_flips);
	tcase_add_test(tc, test_reasons);
	tcase_add_test(tc, test_frame_limit);
	tcase_add_test(tc, test_ack_edges);
	tcase_add_test(tc, test_ack_encode_refuses);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
