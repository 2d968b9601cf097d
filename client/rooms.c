/* SPDX-License-Identifier: BSD-3-Clause
 * Room commands for clients: the few request payloads a client sends and
 * the decoders of the answers and pushes it gets (docs/protocol.md,
 * "Rooms and direct messages").  Written against common/wire.h rather
 * than the control plane's codecs, which carry the whole server side.
 */
#include <string.h>

#include "hayate_client.h"

#include "common/wire.h"
#include "proto/message.h"

size_t hy_room_encode_create(uint8_t *buf, size_t cap, const struct hy_room_create_opts *opt)
{
	struct hy_room_create_opts def = {.allow_empty = 2};
	struct hy_wr w;

	if (opt == NULL)
		opt = &def;
	hy_wr_init(&w, buf, cap);
	hy_wr_u16(&w, opt->max_members);
	hy_wr_u8(&w, opt->allow_empty);
	hy_wr_u8(&w, 0);
	hy_wr_u32(&w, opt->ttl_s);
	hy_wr_u32(&w, opt->interval_ms);
	return hy_wr_ok(&w) ? w.off : 0;
}

size_t hy_room_encode_join(uint8_t *buf, size_t cap, uint64_t room_id)
{
	struct hy_wr w;

	hy_wr_init(&w, buf, cap);
	hy_wr_u64(&w, room_id);
	return hy_wr_ok(&w) ? w.off : 0;
}

size_t hy_room_encode_broadcast(uint8_t *buf, size_t cap, const void *data, size_t len,
				bool include_self)
{
	struct hy_wr w;

	if (len > HY_ROOM_BROADCAST_MAX)
		return 0;
	hy_wr_init(&w, buf, cap);
	hy_wr_u8(&w, include_self ? 0x01 : 0x00);
	hy_wr_bytes(&w, data, len);
	return hy_wr_ok(&w) ? w.off : 0;
}

static int room_send(struct hy_client *c, uint16_t cmd, const uint8_t *p, size_t len,
		     bool reliable)
{
	if (reliable)
		return hy_client_send_reliable(c, HY_MSG_VER_MODULE, cmd, p, len);
	return hy_client_send(c, HY_MSG_VER_MODULE, cmd, p, len);
}

int hy_room_create(struct hy_client *c, const struct hy_room_create_opts *opt, bool reliable)
{
	uint8_t buf[12];
	size_t n = hy_room_encode_create(buf, sizeof(buf), opt);
	return n ? room_send(c, HY_ROOM_CMD_CREATE, buf, n, reliable) : -1;
}

int hy_room_join(struct hy_client *c, uint64_t room_id, bool reliable)
{
	uint8_t buf[8];
	size_t n = hy_room_encode_join(buf, sizeof(buf), room_id);
	return n ? room_send(c, HY_ROOM_CMD_JOIN, buf, n, reliable) : -1;
}

int hy_room_leave(struct hy_client *c, bool reliable)
{
	return room_send(c, HY_ROOM_CMD_LEAVE, NULL, 0, reliable);
}

int hy_room_broadcast_flags(struct hy_client *c, const void *data, size_t len, unsigned flags,
			    bool reliable)
{
	uint8_t buf[1 + HY_ROOM_BROADCAST_MAX];
	size_t n = hy_room_encode_broadcast(buf, sizeof(buf), data, len,
					    (flags & HY_ROOM_BROADCAST_SELF) != 0);

	if (n == 0 || (flags & ~(HY_ROOM_BROADCAST_SELF | HY_ROOM_BROADCAST_QUIET)))
		return -1;
	buf[0] = (uint8_t)flags;
	return room_send(c, HY_ROOM_CMD_BROADCAST, buf, n, reliable);
}

int hy_room_broadcast(struct hy_client *c, const void *data, size_t len, bool include_self,
		      bool reliable)
{
	return hy_room_broadcast_flags(c, data, len, include_self ? HY_ROOM_BROADCAST_SELF : 0,
				       reliable);
}

/* uid_len u8 | uid, the tail of the member and owner pushes. */
static void read_uid(struct hy_rd *r, struct hy_room_event *ev)
{
	ev->uid_len = hy_rd_u8(r);
	if (hy_rd_ok(r) && ev->uid_len > HY_UID_MAX) {
		r->failed = true;
		return;
	}
	ev->uid = hy_rd_view(r, ev->uid_len);
}

static bool is_room_cmd(uint16_t cmd)
{
	return (cmd >= HY_ROOM_CMD_CREATE && cmd <= HY_ROOM_CMD_MESSAGE) ||
	       (cmd >= HY_ROOM_CMD_MEMBER_JOINED && cmd <= HY_ROOM_CMD_OWNER_CHANGED);
}

enum hy_reason hy_room_decode(const struct hy_client_message *m, struct hy_room_event *out)
{
	struct hy_rd r;
	bool rest_is_data = false;

	memset(out, 0, sizeof(*out));
	if (m->ver != HY_MSG_VER_MODULE || !is_room_cmd(m->cmd))
		return HY_R_OK;
	out->cmd = m->cmd;
	hy_rd_init(&r, m->payload, m->len);
	if (m->status == HY_STATUS_BAD || m->status == HY_STATUS_ERR) {
		out->kind = HY_ROOM_EV_FAILED;
		out->reason = (enum hy_reason)hy_rd_u16(&r);
		/* A redirect the library did not follow: the room id, and
		 * whatever of the ticket is left is not the application's. */
		if (out->reason == HY_R_ROOM_REDIRECT && hy_rd_left(&r) >= 8) {
			out->room_id = hy_rd_u64(&r);
			hy_rd_view(&r, hy_rd_left(&r));
		}
	} else if (m->status == HY_STATUS_PUSH) {
		out->room_id = hy_rd_u64(&r);
		switch (m->cmd) {
		case HY_ROOM_CMD_BROADCAST:
		case HY_ROOM_CMD_MESSAGE:
			out->kind = m->cmd == HY_ROOM_CMD_BROADCAST ? HY_ROOM_EV_BROADCAST
								    : HY_ROOM_EV_MESSAGE;
			out->sid = hy_rd_u64(&r);
			rest_is_data = true;
			break;
		case HY_ROOM_CMD_MEMBER_JOINED:
		case HY_ROOM_CMD_MEMBER_LEFT:
			out->kind = m->cmd == HY_ROOM_CMD_MEMBER_JOINED ? HY_ROOM_EV_MEMBER_JOINED
									: HY_ROOM_EV_MEMBER_LEFT;
			out->sid = hy_rd_u64(&r);
			out->members = hy_rd_u16(&r);
			read_uid(&r, out);
			break;
		case HY_ROOM_CMD_OWNER_CHANGED:
			out->kind = HY_ROOM_EV_OWNER_CHANGED;
			out->owner = out->sid = hy_rd_u64(&r);
			read_uid(&r, out);
			break;
		default: /* a push with a request-only cmd: not ours to read */
			memset(out, 0, sizeof(*out));
			return HY_R_OK;
		}
	} else if (m->status == HY_STATUS_OK) {
		switch (m->cmd) {
		case HY_ROOM_CMD_CREATE:
			out->kind = HY_ROOM_EV_CREATED;
			out->room_id = hy_rd_u64(&r);
			break;
		case HY_ROOM_CMD_JOIN:
			out->kind = HY_ROOM_EV_JOINED;
			out->room_id = hy_rd_u64(&r);
			out->owner = hy_rd_u64(&r);
			out->max_members = hy_rd_u16(&r);
			out->members = hy_rd_u16(&r);
			break;
		case HY_ROOM_CMD_LEAVE:
			out->kind = HY_ROOM_EV_LEFT;
			out->room_id = hy_rd_u64(&r);
			break;
		case HY_ROOM_CMD_BROADCAST:
		case HY_ROOM_CMD_MESSAGE:
			out->kind = HY_ROOM_EV_SENT;
			out->delivered = hy_rd_u16(&r);
			break;
		default:
			memset(out, 0, sizeof(*out));
			return HY_R_OK;
		}
	} else {
		memset(out, 0, sizeof(*out));
		return HY_R_OK;
	}
	if (!hy_rd_ok(&r)) {
		enum hy_reason why = out->uid_len > HY_UID_MAX ? HY_R_BAD_LENGTH : HY_R_TRUNCATED;
		memset(out, 0, sizeof(*out));
		return why;
	}
	if (rest_is_data) {
		out->data_len = hy_rd_left(&r);
		out->data = hy_rd_view(&r, out->data_len);
	} else if (hy_rd_left(&r) != 0) {
		memset(out, 0, sizeof(*out));
		return HY_R_TRAILING_BYTES;
	}
	return HY_R_OK;
}
