/* SPDX-License-Identifier: BSD-3-Clause
 * Fuzz target for the rooms command payload decoders (room_msg.h) and the
 * TABLE_UPDATE body decoder (ring/msg.h).
 *
 * Input: selector u8 | payload.  The selector picks the decoder (modulo
 * the number of decoders).  Invariants: a payload that decodes re-encodes
 * to exactly the same bytes (the encodings are canonical), every view the
 * decoder returns lies inside the input, and the decoded values are within
 * the documented ranges.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/room_msg.h"

#include "ring/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[HY_MSG_MAX_BODY];
static struct hy_table_member members[HY_TABLE_MAX_MEMBERS];

static void same(const uint8_t *p, size_t len, size_t n)
{
	if (n != len || memcmp(out, p, len) != 0)
		abort();
}

static void inside(const uint8_t *v, size_t n, const uint8_t *p, size_t len)
{
	if (n > 0 && (v == NULL || v < p || v + n > p + len))
		abort();
}

static void table(uint16_t op, const uint8_t *p, size_t len)
{
	struct hy_table_update t;
	size_t n;

	if (hy_table_decode(op, p, len, &t) != HY_R_OK)
		return;
	if (t.nmembers > t.max_members || t.max_members > HY_TABLE_MAX_MEMBERS)
		abort();
	inside(t.members, (size_t)t.nmembers * HY_TABLE_MEMBER_LEN, p, len);
	for (unsigned i = 0; i < t.nmembers; i++)
		hy_table_member_at(&t, i, &members[i]);
	if (hy_table_encode(&t, members, out, sizeof(out), &n) != HY_R_OK)
		abort();
	same(p, len, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hy_room_params rp;
	struct hy_rm_data d;
	struct hy_rm_props pr;
	struct hy_rm_page pg;
	uint64_t id, sids[HY_ROOM_MESSAGE_TARGETS];
	const uint8_t *p;
	size_t len;

	if (size < 1)
		return 0;
	p = data + 1;
	len = size - 1;
	switch (data[0] % 16) {
	case 0:
	case 1:
		if (hy_rm_params_decode(p, len, &rp) == HY_R_OK)
			same(p, len, hy_rm_params_encode(out, sizeof(out), &rp));
		break;
	case 2:
		if (hy_rm_room_decode(p, len, &id) == HY_R_OK)
			same(p, len, hy_rm_room_encode(out, sizeof(out), id));
		break;
	case 3:
		if (hy_rm_broadcast_decode(p, len, &d) == HY_R_OK) {
			inside(d.data, d.data_len, p, len);
			same(p, len, hy_rm_broadcast_encode(out, sizeof(out), &d));
		}
		break;
	case 4:
		if (hy_rm_message_decode(p, len, &d) == HY_R_OK) {
			if (d.nsids == 0 || d.nsids > HY_ROOM_MESSAGE_TARGETS)
				abort();
			inside(d.sids, 8u * d.nsids, p, len);
			for (unsigned i = 0; i < d.nsids; i++)
				sids[i] = hy_rm_sid_at(&d, i);
			same(p, len, hy_rm_message_encode(out, sizeof(out), &d, sids));
		}
		break;
	case 5:
		if (hy_rm_direct_decode(p, len, &d) == HY_R_OK) {
			inside(d.uid, d.uid_len, p, len);
			inside(d.data, d.data_len, p, len);
			same(p, len, hy_rm_direct_encode(out, sizeof(out), &d));
		}
		break;
	case 6:
		if (hy_rm_get_props_decode(p, len, &pr) == HY_R_OK)
			same(p, len, hy_rm_get_props_encode(out, sizeof(out), &pr));
		break;
	case 7:
		if (hy_rm_set_props_decode(p, len, &pr) == HY_R_OK) {
			for (unsigned i = 0; i < pr.n; i++) {
				inside(pr.p[i].key, pr.p[i].key_len, p, len);
				if (pr.p[i].type == HY_PROP_BYTES &&
				    pr.p[i].val_len > HY_ROOM_VALUE_MAX)
					abort();
			}
			same(p, len, hy_rm_set_props_encode(out, sizeof(out), &pr));
		}
		break;
	case 8:
		if (hy_rm_incr_decode(p, len, &pr) == HY_R_OK)
			same(p, len, hy_rm_incr_encode(out, sizeof(out), &pr));
		break;
	case 9:
		if (hy_rm_list_decode(p, len, &pg) == HY_R_OK)
			same(p, len, hy_rm_list_encode(out, sizeof(out), &pg));
		break;
	case 10:
		if (hy_rm_members_decode(p, len, &pg) == HY_R_OK)
			same(p, len, hy_rm_members_encode(out, sizeof(out), &pg));
		break;
	case 11:
		if (hy_rm_empty_decode(p, len) == HY_R_OK && len != 0)
			abort();
		break;
	default: /* 12..15: TABLE_UPDATE ops 1..5 by the next byte */
		if (len >= 1)
			table((uint16_t)(p[0] % 6), p + 1, len - 1);
		break;
	}
	return 0;
}
