/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target: frame iteration, ACK ranges, messages, ECHO.
 *
 * Invariants beyond "no crash": every frame hy_frame_next accepts lies
 * inside the input and re-encodes (from its fields, and an ACK also from
 * its intervals) to exactly its input bytes; hy_frames_validate agrees
 * with a manual iteration; accepted messages and ECHO payloads re-encode
 * to their input bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/frame.h"
#include "proto/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static uint8_t scratch[HY_MAX_MESSAGE + 16];

static void check_messages(const uint8_t *p, size_t n)
{
	struct hy_msg m;
	if (hy_msg_cmd_decode(p, n, &m) == HY_R_OK) {
		CHECK(m.payload == p + HY_MSG_CMD_HDR && m.len == n - HY_MSG_CMD_HDR);
		CHECK(hy_msg_cmd_encode(scratch, sizeof(scratch), m.ver, m.cmd, m.payload,
					m.len) == n);
		CHECK(memcmp(scratch, p, n) == 0);
		uint64_t t;
		if (m.ver == HY_MSG_VER_TRANSPORT && m.cmd == HY_CMD_ECHO &&
		    hy_echo_req_decode(m.payload, m.len, &t) == HY_R_OK) {
			CHECK(hy_echo_req_encode(scratch, sizeof(scratch), t) == m.len);
			CHECK(memcmp(scratch, m.payload, m.len) == 0);
		}
	}
	if (hy_msg_resp_decode(p, n, &m) == HY_R_OK) {
		CHECK(hy_msg_resp_encode(scratch, sizeof(scratch), m.ver, m.cmd, m.status,
					 m.payload, m.len) == n);
		CHECK(memcmp(scratch, p, n) == 0);
		struct hy_echo_resp er;
		if (hy_echo_resp_decode(m.payload, m.len, &er) == HY_R_OK) {
			CHECK(hy_echo_resp_encode(scratch, sizeof(scratch), &er) == m.len);
			CHECK(memcmp(scratch, m.payload, m.len) == 0);
		}
	}
}

static void check_frame(const struct hy_frame *f, const uint8_t *at, size_t n)
{
	uint8_t re[HY_FRAME_ACK_MAX_LEN + 65536];
	struct hy_wr w;
	hy_wr_init(&w, re, sizeof(re));
	CHECK(hy_frame_put(&w, f));
	CHECK(w.off == n && hy_frame_size(f) == n);
	CHECK(memcmp(re, at, n) == 0);
	if (f->type == HY_FRAME_ACK) {
		struct hy_seq_range iv[HY_ACK_MAX_INTERVALS];
		unsigned k = 0;
		CHECK(hy_ack_intervals(&f->ack, iv, &k) == HY_R_OK);
		CHECK(k == f->ack.range_count + 1u);
		for (unsigned i = 0; i < k; i++) {
			CHECK(iv[i].lo <= iv[i].hi);
			CHECK(i == 0 || (uint64_t)iv[i].hi + 2 <= iv[i - 1].lo);
		}
		hy_wr_init(&w, re, sizeof(re));
		CHECK(hy_frame_put_ack(&w, f->ack.delay, iv, k));
		CHECK(w.off == n && memcmp(re, at, n) == 0);
	} else if (f->data != NULL) {
		CHECK(f->len >= 1 && f->data + f->len <= at + n && f->data > at);
		check_messages(f->data, f->len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum hy_reason whole = hy_frames_validate(data, size);

	struct hy_rd r;
	struct hy_frame f;
	enum hy_reason last = size == 0 ? HY_R_TRUNCATED : HY_R_OK;
	unsigned count = 0;
	hy_rd_init(&r, data, size);
	while (hy_rd_left(&r) > 0 && count < HY_MAX_FRAMES_PER_PACKET) {
		size_t before = r.off;
		last = hy_frame_next(&r, &f);
		if (last != HY_R_OK) {
			CHECK(!hy_rd_ok(&r) && r.off == before);
			break;
		}
		CHECK(r.off > before && r.off <= size);
		check_frame(&f, data + before, r.off - before);
		count++;
	}
	if (last == HY_R_OK && hy_rd_left(&r) > 0)
		last = HY_R_TOO_MANY_FRAMES;
	CHECK(last == whole);

	check_messages(data, size);
	return 0;
}
