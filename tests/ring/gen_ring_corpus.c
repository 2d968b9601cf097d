/* SPDX-License-Identifier: BSD-3-Clause
 * Writes the seed corpus for fuzz_ring_msg: one valid slot of every message
 * type, plus a three-part COMMAND as one file of packed slots.
 * Usage: gen_ring_corpus <dir>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring/msg.h"

static uint8_t payload[6000];

static void put(const char *dir, const char *name, const void *p, size_t n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static uint8_t slot[HY_RING_SLOT_SIZE], multi[4 * HY_RING_SLOT_SIZE];
	static uint8_t body[HY_MSG_MAX_BODY];
	uint8_t sids[16];
	const uint64_t sv[2] = {7, 8};
	if (argc != 2) {
		fprintf(stderr, "usage: %s <dir>\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 11);
	hy_msg_sids_pack(sids, sv, 2);
	for (unsigned t = 1; t < HY_MSG_TYPE_MAX; t++) {
		if (!hy_msg_type_dir(t, NULL))
			continue;
		struct hy_ring_msg m = {.type = (uint16_t)t, .seq = t, .sid = 100 + t};
		switch (t) {
		case HY_MSG_HELLO:
			m.u.hello.node_len = 2;
			memcpy(m.u.hello.node, "n1", 2);
			break;
		case HY_MSG_SESSION_OPENED:
		case HY_MSG_RESYNC_ENTRY:
			m.u.session = (struct hy_msg_session){.transport = 2, .lcore = 1,
				.addr = {.family = 6, .port = 9000, .addr = {0x20, 1}},
				.uid_len = 3};
			memcpy(m.u.session.uid, "abc", 3);
			break;
		case HY_MSG_COMMAND:
		case HY_MSG_RESPOND:
		case HY_MSG_PUSH:
			m.u.cmd = (struct hy_msg_cmd){.ver = 1, .cmd = 3, .delivery = 1,
				.payload = payload, .payload_len = 40,
				.status = t == HY_MSG_RESPOND ? 1 : 0};
			break;
		case HY_MSG_SEND:
		case HY_MSG_RELAY:
			m.sid = 0;
			m.u.send = (struct hy_msg_send){.target = 1, .ver = 1, .cmd = 4,
				.nsids = 2, .sids = sids, .payload = payload, .payload_len = 9};
			break;
		case HY_MSG_TABLE_UPDATE:
			m.u.table = (struct hy_msg_table){.op = 1, .body = payload, .body_len = 8};
			break;
		case HY_MSG_DRAIN:
			m.u.drain.grace_ms = 1000;
			break;
		}
		size_t used;
		if (hy_msg_encode_slot(&m, slot, &used) != HY_R_OK) {
			fprintf(stderr, "cannot encode %s\n", hy_msg_type_name(t));
			return 1;
		}
		char name[64];
		snprintf(name, sizeof(name), "slot_%s", hy_msg_type_name(t));
		put(argv[1], name, slot, used);
	}
	struct hy_ring_msg big = {.type = HY_MSG_COMMAND, .seq = 9, .sid = 9,
		.u.cmd = {.ver = 1, .cmd = 1, .payload = payload,
			  .payload_len = 2 * HY_MSG_SLOT_BODY}}; /* 3 parts */
	size_t len, off = 0;
	if (hy_msg_encode_body(&big, body, sizeof(body), &len) != HY_R_OK)
		return 1;
	for (unsigned p = 0; p < hy_msg_parts(len); p++) {
		hy_msg_split(&big, body, len, p, slot);
		size_t n = hy_msg_slot_used(slot);
		memcpy(multi + off, slot, n);
		off += n;
	}
	put(argv[1], "multi_COMMAND_3parts", multi, off);
	return 0;
}
