/* SPDX-License-Identifier: BSD-3-Clause
 * Frame codecs.  The fixed part of every frame type is in one table, so
 * the decoder checks the type and that the fixed part is present before
 * it reads any field of it.
 */
#include "proto/frame.h"

struct frame_kind {
	const char *name;
	uint8_t hdr; /* fixed part, type byte included */
};

static const struct frame_kind frame_kinds[HY_FRAME_TYPE_MAX] = {
	[HY_FRAME_ACK] = {"ACK", HY_FRAME_ACK_HDR},
	[HY_FRAME_UNRELIABLE] = {"UNRELIABLE", HY_FRAME_UNRELIABLE_HDR},
	[HY_FRAME_SEQUENCED] = {"SEQUENCED", HY_FRAME_SEQUENCED_HDR},
	[HY_FRAME_RELIABLE] = {"RELIABLE", HY_FRAME_RELIABLE_HDR},
	[HY_FRAME_FRAGMENT] = {"FRAGMENT", HY_FRAME_FRAGMENT_HDR},
	[HY_FRAME_PING] = {"PING", HY_FRAME_PING_LEN},
};

/* The largest message (64 KiB) fits in HY_MAX_FRAGMENTS full fragments. */
_Static_assert((unsigned long)HY_MAX_FRAGMENTS * HY_FRAME_MAX_FRAGMENT >= HY_MAX_MESSAGE,
	       "HY_MAX_FRAGMENTS fragments carry a whole HY_MAX_MESSAGE");
_Static_assert(HY_MAX_FRAGMENTS <= 255, "fragment count fits a u8");
_Static_assert(HY_MAX_ACK_RANGES <= 255, "range count fits a u8");
_Static_assert(HY_FRAME_ACK_MAX_LEN <= HY_MAX_PAYLOAD, "a full ACK fits a packet");

static inline int frame_type_known(unsigned t)
{
	return t >= HY_FRAME_ACK && t < HY_FRAME_TYPE_MAX;
}

const char *hy_frame_type_name(enum hy_frame_type type)
{
	return frame_type_known((unsigned)type) ? frame_kinds[type].name : "UNKNOWN";
}

static enum hy_reason frame_fail(struct hy_rd *r, enum hy_reason why)
{
	r->failed = true;
	return why;
}

enum hy_reason hy_ack_intervals(const struct hy_frame_ack *ack,
				struct hy_seq_range out[HY_ACK_MAX_INTERVALS], unsigned *n)
{
	if (ack->range_count > HY_MAX_ACK_RANGES)
		return HY_R_BAD_ACK_RANGES;
	/* 64-bit arithmetic: no intermediate value can wrap. */
	uint64_t hi = ack->largest;
	if (ack->first_range > hi)
		return HY_R_BAD_ACK_RANGES;
	uint64_t lo = hi - ack->first_range;
	out[0].hi = (uint32_t)hi;
	out[0].lo = (uint32_t)lo;

	struct hy_rd rd;
	hy_rd_init(&rd, ack->ranges, (size_t)ack->range_count * HY_FRAME_ACK_RANGE_LEN);
	for (unsigned i = 0; i < ack->range_count; i++) {
		uint64_t gap = hy_rd_u16(&rd);
		uint64_t length = hy_rd_u16(&rd);
		/* gap + 1 unacknowledged seqs lie between the intervals, and
		 * the next interval holds length + 1 seqs. */
		if (lo < gap + 2)
			return HY_R_BAD_ACK_RANGES;
		hi = lo - gap - 2;
		if (length > hi)
			return HY_R_BAD_ACK_RANGES;
		lo = hi - length;
		out[i + 1].hi = (uint32_t)hi;
		out[i + 1].lo = (uint32_t)lo;
	}
	*n = ack->range_count + 1u;
	return HY_R_OK;
}

static enum hy_reason read_ack(struct hy_rd *r, struct hy_frame *out)
{
	struct hy_frame_ack *a = &out->ack;
	a->largest = hy_rd_u32(r);
	a->delay = hy_rd_u16(r);
	a->range_count = hy_rd_u8(r);
	a->first_range = hy_rd_u16(r);
	if (a->range_count > HY_MAX_ACK_RANGES)
		return HY_R_BAD_ACK_RANGES;
	a->ranges = hy_rd_view(r, (size_t)a->range_count * HY_FRAME_ACK_RANGE_LEN);
	if (a->ranges == NULL)
		return HY_R_TRUNCATED;
	struct hy_seq_range iv[HY_ACK_MAX_INTERVALS];
	unsigned n;
	return hy_ack_intervals(a, iv, &n);
}

static enum hy_reason check_fragment(const struct hy_frame *f)
{
	if (f->frag_class != HY_FRAME_UNRELIABLE && f->frag_class != HY_FRAME_RELIABLE)
		return HY_R_BAD_FRAGMENT;
	if (f->frag_count < 2 || f->frag_count > HY_MAX_FRAGMENTS ||
	    f->frag_index >= f->frag_count)
		return HY_R_BAD_FRAGMENT;
	/* A reliable fragment's own seq minus its index is the first
	 * fragment's seq, which cannot be below 0. */
	if (f->frag_class == HY_FRAME_RELIABLE && f->seq < f->frag_index)
		return HY_R_BAD_FRAGMENT;
	return HY_R_OK;
}

static enum hy_reason read_body(struct hy_rd *r, struct hy_frame *out)
{
	out->len = hy_rd_u16(r);
	if (out->len == 0)
		return HY_R_EMPTY_FRAME;
	if (hy_rd_left(r) < out->len)
		return HY_R_BAD_LENGTH;
	out->data = hy_rd_view(r, out->len);
	return HY_R_OK;
}

enum hy_reason hy_frame_next(struct hy_rd *r, struct hy_frame *out)
{
	if (!hy_rd_ok(r) || hy_rd_left(r) == 0)
		return frame_fail(r, HY_R_TRUNCATED);
	unsigned type = *hy_rd_ptr(r);
	if (!frame_type_known(type))
		return frame_fail(r, HY_R_BAD_TYPE);
	if (hy_rd_left(r) < frame_kinds[type].hdr)
		return frame_fail(r, HY_R_TRUNCATED);

	/* A refused frame leaves no partial progress: the offset is put
	 * back.  Only the offset is saved, not a copy of the reader: the
	 * caller has just written the reader field by field, and a copy is
	 * a wide load over those stores, which the CPU cannot forward and
	 * waits out (4% of a relaying worker). */
	size_t start = r->off;
	enum hy_reason why = HY_R_OK;
	*out = (struct hy_frame){.type = (enum hy_frame_type)type};
	(void)hy_rd_u8(r);
	switch (type) {
	case HY_FRAME_ACK:
		why = read_ack(r, out);
		break;
	case HY_FRAME_UNRELIABLE:
		why = read_body(r, out);
		break;
	case HY_FRAME_SEQUENCED:
		out->stream = hy_rd_u8(r);
		out->seq = hy_rd_u32(r);
		why = read_body(r, out);
		break;
	case HY_FRAME_RELIABLE:
		out->seq = hy_rd_u32(r);
		why = read_body(r, out);
		break;
	case HY_FRAME_FRAGMENT:
		out->frag_class = hy_rd_u8(r);
		out->seq = hy_rd_u32(r);
		out->frag_index = hy_rd_u8(r);
		out->frag_count = hy_rd_u8(r);
		why = check_fragment(out);
		if (why == HY_R_OK)
			why = read_body(r, out);
		break;
	case HY_FRAME_PING:
		break;
	}
	if (why == HY_R_OK && !hy_rd_ok(r)) /* guarded by the table above; kept for safety */
		why = HY_R_TRUNCATED;
	if (why != HY_R_OK) {
		r->off = start;
		return frame_fail(r, why);
	}
	return HY_R_OK;
}

enum hy_reason hy_frames_validate(const uint8_t *buf, size_t len)
{
	if (len == 0)
		return HY_R_TRUNCATED;
	struct hy_rd r;
	struct hy_frame f;
	hy_rd_init(&r, buf, len);
	for (unsigned n = 0; hy_rd_left(&r) > 0; n++) {
		if (n == HY_MAX_FRAMES_PER_PACKET)
			return HY_R_TOO_MANY_FRAMES;
		enum hy_reason why = hy_frame_next(&r, &f);
		if (why != HY_R_OK)
			return why;
	}
	return HY_R_OK;
}

/* All-or-nothing: true if need more bytes fit in w (and w is healthy). */
static inline bool wr_fits(const struct hy_wr *w, size_t need)
{
	return hy_wr_ok(w) && hy_wr_left(w) >= need;
}

bool hy_frame_put_ack(struct hy_wr *w, uint16_t delay,
		      const struct hy_seq_range *iv, unsigned n)
{
	if (n == 0 || n > HY_ACK_MAX_INTERVALS)
		return false;
	for (unsigned i = 0; i < n; i++) {
		if (iv[i].lo > iv[i].hi || iv[i].hi - iv[i].lo > UINT16_MAX)
			return false;
		/* At least one unacknowledged seq between two intervals. */
		if (i > 0 && ((uint64_t)iv[i].hi + 2 > iv[i - 1].lo ||
			      iv[i - 1].lo - iv[i].hi - 2 > UINT16_MAX))
			return false;
	}
	if (!wr_fits(w, HY_FRAME_ACK_HDR + (size_t)(n - 1) * HY_FRAME_ACK_RANGE_LEN))
		return false;
	hy_wr_u8(w, HY_FRAME_ACK);
	hy_wr_u32(w, iv[0].hi);
	hy_wr_u16(w, delay);
	hy_wr_u8(w, (uint8_t)(n - 1));
	hy_wr_u16(w, (uint16_t)(iv[0].hi - iv[0].lo));
	for (unsigned i = 1; i < n; i++) {
		hy_wr_u16(w, (uint16_t)(iv[i - 1].lo - iv[i].hi - 2));
		hy_wr_u16(w, (uint16_t)(iv[i].hi - iv[i].lo));
	}
	return true;
}

static bool put_body_ok(const void *msg, size_t len)
{
	return len >= 1 && len <= UINT16_MAX && msg != NULL;
}

bool hy_frame_put_unreliable(struct hy_wr *w, const void *msg, size_t len)
{
	if (!put_body_ok(msg, len) || !wr_fits(w, HY_FRAME_UNRELIABLE_HDR + len))
		return false;
	hy_wr_u8(w, HY_FRAME_UNRELIABLE);
	hy_wr_u16(w, (uint16_t)len);
	hy_wr_bytes(w, msg, len);
	return true;
}

bool hy_frame_put_sequenced(struct hy_wr *w, uint8_t stream, uint32_t seq,
			    const void *msg, size_t len)
{
	if (!put_body_ok(msg, len) || !wr_fits(w, HY_FRAME_SEQUENCED_HDR + len))
		return false;
	hy_wr_u8(w, HY_FRAME_SEQUENCED);
	hy_wr_u8(w, stream);
	hy_wr_u32(w, seq);
	hy_wr_u16(w, (uint16_t)len);
	hy_wr_bytes(w, msg, len);
	return true;
}

bool hy_frame_put_reliable(struct hy_wr *w, uint32_t seq, const void *msg, size_t len)
{
	if (!put_body_ok(msg, len) || !wr_fits(w, HY_FRAME_RELIABLE_HDR + len))
		return false;
	hy_wr_u8(w, HY_FRAME_RELIABLE);
	hy_wr_u32(w, seq);
	hy_wr_u16(w, (uint16_t)len);
	hy_wr_bytes(w, msg, len);
	return true;
}

bool hy_frame_put_fragment(struct hy_wr *w, uint8_t cls, uint32_t seq, uint8_t index,
			   uint8_t count, const void *bytes, size_t len)
{
	const struct hy_frame f = {
		.type = HY_FRAME_FRAGMENT, .frag_class = cls, .seq = seq,
		.frag_index = index, .frag_count = count,
	};
	if (check_fragment(&f) != HY_R_OK || !put_body_ok(bytes, len) ||
	    !wr_fits(w, HY_FRAME_FRAGMENT_HDR + len))
		return false;
	hy_wr_u8(w, HY_FRAME_FRAGMENT);
	hy_wr_u8(w, cls);
	hy_wr_u32(w, seq);
	hy_wr_u8(w, index);
	hy_wr_u8(w, count);
	hy_wr_u16(w, (uint16_t)len);
	hy_wr_bytes(w, bytes, len);
	return true;
}

bool hy_frame_put_ping(struct hy_wr *w)
{
	if (!wr_fits(w, HY_FRAME_PING_LEN))
		return false;
	hy_wr_u8(w, HY_FRAME_PING);
	return true;
}

size_t hy_frame_size(const struct hy_frame *f)
{
	if (!frame_type_known((unsigned)f->type))
		return 0;
	if (f->type == HY_FRAME_ACK)
		return HY_FRAME_ACK_HDR + (size_t)f->ack.range_count * HY_FRAME_ACK_RANGE_LEN;
	if (f->type == HY_FRAME_PING)
		return HY_FRAME_PING_LEN;
	return frame_kinds[f->type].hdr + (size_t)f->len;
}

bool hy_frame_put(struct hy_wr *w, const struct hy_frame *f)
{
	switch (f->type) {
	case HY_FRAME_ACK: {
		struct hy_seq_range iv[HY_ACK_MAX_INTERVALS];
		unsigned n;
		if (f->ack.range_count > 0 && f->ack.ranges == NULL)
			return false;
		if (hy_ack_intervals(&f->ack, iv, &n) != HY_R_OK)
			return false;
		return hy_frame_put_ack(w, f->ack.delay, iv, n);
	}
	case HY_FRAME_UNRELIABLE:
		return hy_frame_put_unreliable(w, f->data, f->len);
	case HY_FRAME_SEQUENCED:
		return hy_frame_put_sequenced(w, f->stream, f->seq, f->data, f->len);
	case HY_FRAME_RELIABLE:
		return hy_frame_put_reliable(w, f->seq, f->data, f->len);
	case HY_FRAME_FRAGMENT:
		return hy_frame_put_fragment(w, f->frag_class, f->seq, f->frag_index,
					     f->frag_count, f->data, f->len);
	case HY_FRAME_PING:
		return hy_frame_put_ping(w);
	default:
		return false;
	}
}
