/* SPDX-License-Identifier: BSD-3-Clause
 * Frames: the units inside a DATA plaintext (acks, messages on the three
 * channels, fragments, pings), several per datagram.
 *
 * Decoding is zero-copy: a decoded frame points into the buffer it came
 * from, so it is valid only while that buffer is.  Encoders append to a
 * struct hy_wr and either write the whole frame or nothing: on false the
 * writer is left exactly as it was (not marked failed), so a sender can
 * try a frame, and on false seal the packet and start the next one.
 */
#ifndef HY_PROTO_FRAME_H
#define HY_PROTO_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/reason.h"
#include "common/wire.h"
#include "proto/limits.h"

enum hy_frame_type {
	HY_FRAME_ACK = 0x01,        /* acknowledges reliable seqs (ranges) */
	HY_FRAME_UNRELIABLE = 0x02, /* one message, may be lost or reordered */
	HY_FRAME_SEQUENCED = 0x03,  /* one message, newest per stream wins */
	HY_FRAME_RELIABLE = 0x04,   /* one message, reliable and ordered */
	HY_FRAME_FRAGMENT = 0x05,   /* a piece of a large message */
	HY_FRAME_PING = 0x06,       /* no body; makes the peer ack */
	HY_FRAME_TYPE_MAX
};

/* Fixed part of each frame, type byte included; data frames add len bytes,
 * ACK adds 4 bytes per range. */
#define HY_FRAME_ACK_HDR 10u
#define HY_FRAME_ACK_RANGE_LEN 4u
#define HY_FRAME_ACK_MAX_LEN (HY_FRAME_ACK_HDR + HY_MAX_ACK_RANGES * HY_FRAME_ACK_RANGE_LEN)
#define HY_FRAME_UNRELIABLE_HDR 3u
#define HY_FRAME_SEQUENCED_HDR 8u
#define HY_FRAME_RELIABLE_HDR 7u
#define HY_FRAME_FRAGMENT_HDR 10u
#define HY_FRAME_PING_LEN 1u

/* Largest message one frame of each kind can carry in one DATA packet. */
#define HY_FRAME_MAX_UNRELIABLE (HY_MAX_PAYLOAD - HY_FRAME_UNRELIABLE_HDR)
#define HY_FRAME_MAX_SEQUENCED (HY_MAX_PAYLOAD - HY_FRAME_SEQUENCED_HDR)
#define HY_FRAME_MAX_RELIABLE (HY_MAX_PAYLOAD - HY_FRAME_RELIABLE_HDR)
#define HY_FRAME_MAX_FRAGMENT (HY_MAX_PAYLOAD - HY_FRAME_FRAGMENT_HDR)

/* An ACK yields the first range plus up to HY_MAX_ACK_RANGES more. */
#define HY_ACK_MAX_INTERVALS (HY_MAX_ACK_RANGES + 1u)

/* Inclusive interval of reliable sequence numbers, lo <= hi. */
struct hy_seq_range {
	uint32_t hi;
	uint32_t lo;
};

/* ACK frame fields as on the wire. */
struct hy_frame_ack {
	uint32_t largest;      /* highest acknowledged seq */
	uint16_t delay;        /* time since largest arrived, units of 8 us */
	uint8_t range_count;   /* extra {gap, length} pairs, 0..16 */
	uint16_t first_range;  /* seqs below largest also acknowledged */
	const uint8_t *ranges; /* range_count x {gap u16, length u16}, a view */
};

struct hy_frame {
	enum hy_frame_type type;
	uint8_t stream;        /* SEQUENCED: stream id */
	uint8_t frag_class;    /* FRAGMENT: HY_FRAME_UNRELIABLE or HY_FRAME_RELIABLE */
	uint8_t frag_index;    /* FRAGMENT: 0..frag_count-1 */
	uint8_t frag_count;    /* FRAGMENT: 2..HY_MAX_FRAGMENTS */
	uint32_t seq;          /* SEQUENCED, RELIABLE, FRAGMENT */
	uint16_t len;          /* bytes at data (UNRELIABLE..FRAGMENT), else 0 */
	const uint8_t *data;   /* view into the decoded buffer, else NULL */
	struct hy_frame_ack ack; /* ACK only */
};

/* "ACK", "UNRELIABLE", ...; "UNKNOWN" otherwise. */
const char *hy_frame_type_name(enum hy_frame_type type);

/*
 * Decodes the frame at the reader's position and advances past it.
 * Returns OK and fills *out (views into the reader's buffer), or a reason:
 * TRUNCATED (nothing left or fixed part cut short), BAD_TYPE, BAD_LENGTH
 * (len runs past the end), EMPTY_FRAME, BAD_FRAGMENT or BAD_ACK_RANGES
 * (count over 16, or a range below seq 0).  On any reason the reader is
 * marked failed and further calls return TRUNCATED.  The caller decides
 * when to stop (hy_rd_left() == 0) and counts frames; hy_frames_validate()
 * does both.
 */
enum hy_reason hy_frame_next(struct hy_rd *r, struct hy_frame *out);

/*
 * Checks a whole DATA plaintext: 1..HY_MAX_FRAMES_PER_PACKET valid frames
 * that fill it exactly.  Returns OK, TRUNCATED (empty), TOO_MANY_FRAMES or
 * any reason of hy_frame_next().
 */
enum hy_reason hy_frames_validate(const uint8_t *buf, size_t len);

/*
 * Expands an ACK into acknowledged intervals, highest first, into
 * out[HY_ACK_MAX_INTERVALS]; *n gets their number (1..17).  Returns OK or
 * BAD_ACK_RANGES (range_count over 16, or an interval reaching below 0).
 * ack->ranges must hold range_count * 4 bytes (true for any ACK that
 * hy_frame_next returned).
 */
enum hy_reason hy_ack_intervals(const struct hy_frame_ack *ack,
				struct hy_seq_range out[HY_ACK_MAX_INTERVALS], unsigned *n);

/*
 * Appends an ACK for n (1..17) intervals given highest first, disjoint and
 * separated by at least one unacknowledged seq (what hy_ack_intervals
 * yields).  False if it does not fit or the intervals are not encodable
 * (order, overlap, adjacency, a gap or length over 65535).
 */
bool hy_frame_put_ack(struct hy_wr *w, uint16_t delay,
		      const struct hy_seq_range *iv, unsigned n);

/* Append one frame each.  len must be 1..65535 (empty frames are refused
 * by decoders, so they are never written).  False if it does not fit or
 * an argument is out of range. */
bool hy_frame_put_unreliable(struct hy_wr *w, const void *msg, size_t len);
bool hy_frame_put_sequenced(struct hy_wr *w, uint8_t stream, uint32_t seq,
			    const void *msg, size_t len);
bool hy_frame_put_reliable(struct hy_wr *w, uint32_t seq, const void *msg, size_t len);
/* cls is HY_FRAME_UNRELIABLE or HY_FRAME_RELIABLE; index < count,
 * 2 <= count <= HY_MAX_FRAGMENTS, and for reliable seq >= index. */
bool hy_frame_put_fragment(struct hy_wr *w, uint8_t cls, uint32_t seq, uint8_t index,
			   uint8_t count, const void *bytes, size_t len);
bool hy_frame_put_ping(struct hy_wr *w);

/* Re-encodes a decoded (or hand-filled) frame; an ACK is written from its
 * wire fields.  Same all-or-nothing contract as the encoders above. */
bool hy_frame_put(struct hy_wr *w, const struct hy_frame *f);

/* Encoded size of f (0 for an unknown type). */
size_t hy_frame_size(const struct hy_frame *f);

#endif /* HY_PROTO_FRAME_H */
