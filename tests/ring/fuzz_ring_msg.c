/* SPDX-License-Identifier: BSD-3-Clause
 * Fuzz target for the ring message decoders.
 *
 * Input: the bytes of one slot (header + body).  Invariants checked:
 *  - a slot that decodes re-encodes to exactly the same used bytes;
 *  - a body that decodes (type taken from the header) re-encodes equal;
 *  - the input cut into slots and fed to the reassembler never overruns,
 *    and a completed message that decodes re-encodes to the reassembled
 *    body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ring/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t slot[HY_RING_SLOT_SIZE];
static uint8_t again[HY_RING_SLOT_SIZE];
static uint8_t body[HY_MSG_MAX_BODY];
static uint8_t rbuf[HY_MSG_MAX_BODY];

static void body_round_trip(unsigned type, const uint8_t *b, size_t len)
{
	struct hy_ring_msg m;
	size_t out;
	if (hy_msg_decode_body(type, b, len, &m) != HY_R_OK)
		return;
	if (hy_msg_body_len(&m) != len ||
	    hy_msg_encode_body(&m, body, sizeof(body), &out) != HY_R_OK ||
	    out != len || memcmp(body, b, len) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hy_ring_msg m;
	size_t used;

	/* room for the largest bodies of part 2 (SEND with a long list) */
	if (size > 8192)
		return 0;
	/* 1. One slot. */
	if (size <= HY_RING_SLOT_SIZE && size >= HY_MSG_HDR_LEN) {
		memset(slot, 0, sizeof(slot));
		memcpy(slot, data, size);
		if (hy_msg_decode_slot(slot, size, &m) == HY_R_OK) {
			if (hy_msg_encode_slot(&m, again, &used) != HY_R_OK ||
			    used != hy_msg_slot_used(slot) ||
			    memcmp(again, slot, used) != 0)
				abort();
		}
	}
	/* 2. A bare body of the type named by the first two bytes. */
	if (size >= 2)
		body_round_trip((unsigned)data[0] << 8 | data[1], data + 2, size - 2);

	/* 3. A stream of slots, each taking header + its declared len bytes. */
	struct hy_msg_reasm ra;
	hy_msg_reasm_init(&ra, rbuf, sizeof(rbuf));
	size_t off = 0;
	while (size - off >= HY_MSG_HDR_LEN) {
		memset(slot, 0, sizeof(slot));
		size_t take = size - off;
		if (take > HY_RING_SLOT_SIZE)
			take = HY_RING_SLOT_SIZE;
		memcpy(slot, data + off, take);
		size_t n = hy_msg_slot_used(slot);
		off += n < take ? n : take;
		bool done;
		hy_msg_reasm_push(&ra, slot, &done);
		if (ra.got > ra.cap)
			abort();
		if (done && hy_msg_reasm_decode(&ra, &m) == HY_R_OK) {
			size_t out;
			if (hy_msg_encode_body(&m, body, sizeof(body), &out) != HY_R_OK ||
			    out != ra.first.total || memcmp(body, rbuf, out) != 0)
				abort();
		}
	}
	return 0;
}
