/* SPDX-License-Identifier: BSD-3-Clause
 * Ring message catalogue: names, slot framing, body encoders and decoders,
 * split and reassembly.  Layouts are documented in ring/msg.h.
 */
#include <string.h>

#include "common/wire.h"
#include "ring/msg.h"

#define BAD HY_R_RING_BAD_MESSAGE

struct type_info {
	const char *name;
	const char *text;
	enum hy_ring_dir dir;
	bool known;
};

static const struct type_info type_table[HY_MSG_TYPE_MAX] = {
#define HY_MSG_INFO(n, val, d, member, t) \
	[val] = {.name = #n, .text = t, .dir = HY_RING_##d, .known = true},
	HY_MSG_TYPES(HY_MSG_INFO)
#undef HY_MSG_INFO
};

const char *hy_msg_type_name(unsigned type)
{
	return type < HY_MSG_TYPE_MAX && type_table[type].known ?
		type_table[type].name : "UNKNOWN";
}

const char *hy_msg_type_text(unsigned type)
{
	return type < HY_MSG_TYPE_MAX && type_table[type].known ?
		type_table[type].text : "unknown message type";
}

bool hy_msg_type_dir(unsigned type, enum hy_ring_dir *dir)
{
	if (type >= HY_MSG_TYPE_MAX || !type_table[type].known)
		return false;
	if (dir)
		*dir = type_table[type].dir;
	return true;
}

unsigned hy_msg_parts(size_t body_len)
{
	if (body_len == 0)
		return 1;
	return (unsigned)((body_len + HY_MSG_SLOT_BODY - 1) / HY_MSG_SLOT_BODY);
}

/* ---- body codec ------------------------------------------------------ */

#define CMD_FIXED 8u
#define SEND_FIXED 8u
#define SESSION_FIXED 23u
#define HELLO_FIXED 21u

size_t hy_msg_body_len(const struct hy_ring_msg *m)
{
	switch (m->type) {
	case HY_MSG_HELLO:
		return HELLO_FIXED + m->u.hello.node_len;
	case HY_MSG_STATS:
		return 56;
	case HY_MSG_SESSION_OPENED:
	case HY_MSG_RESYNC_ENTRY:
		return SESSION_FIXED + m->u.session.uid_len;
	case HY_MSG_SESSION_CLOSED:
	case HY_MSG_KICK:
		return 4;
	case HY_MSG_COMMAND:
	case HY_MSG_RESPOND:
	case HY_MSG_PUSH:
		return CMD_FIXED + (size_t)m->u.cmd.payload_len;
	case HY_MSG_SEND:
	case HY_MSG_RELAY:
		return SEND_FIXED + 8u * (size_t)m->u.send.nsids +
			m->u.send.payload_len;
	case HY_MSG_TABLE_UPDATE:
		return 4 + (size_t)m->u.table.body_len;
	case HY_MSG_DRAIN:
	case HY_MSG_RESYNC_END:
		return 4;
	case HY_MSG_RESYNC_REQUEST:
		return 0;
	default:
		return 0;
	}
}

static bool addr_ok(const struct hy_msg_addr *a)
{
	if (a->family == 6)
		return true;
	if (a->family != 4)
		return false;
	for (unsigned i = 4; i < sizeof(a->addr); i++)
		if (a->addr[i])
			return false;
	return true;
}

/* Checks the fields the wire format constrains; shared by both directions
 * of the codec so encode refuses exactly what decode refuses. */
static enum hy_reason fields_check(const struct hy_ring_msg *m)
{
	switch (m->type) {
	case HY_MSG_HELLO:
		if (m->u.hello.node_len > HY_MSG_NODE_MAX ||
		    memchr(m->u.hello.node, 0, m->u.hello.node_len))
			return BAD;
		return HY_R_OK;
	case HY_MSG_STATS:
	case HY_MSG_DRAIN:
	case HY_MSG_RESYNC_END:
	case HY_MSG_RESYNC_REQUEST:
		return HY_R_OK;
	case HY_MSG_SESSION_OPENED:
	case HY_MSG_RESYNC_ENTRY: {
		const struct hy_msg_session *s = &m->u.session;
		if (m->sid == 0 || s->uid_len == 0 || s->uid_len > HY_UID_MAX ||
		    (s->transport != HY_TRANSPORT_UDP &&
		     s->transport != HY_TRANSPORT_TCP) ||
		    !addr_ok(&s->addr) || memchr(s->uid, 0, s->uid_len))
			return BAD;
		return HY_R_OK;
	}
	case HY_MSG_SESSION_CLOSED:
	case HY_MSG_KICK:
		return m->sid ? HY_R_OK : BAD;
	case HY_MSG_COMMAND:
	case HY_MSG_RESPOND:
	case HY_MSG_PUSH: {
		const struct hy_msg_cmd *c = &m->u.cmd;
		if (m->sid == 0 || c->delivery > HY_DELIVERY_RELIABLE ||
		    (m->type != HY_MSG_RESPOND && c->status != 0))
			return BAD;
		if (c->payload_len > HY_MAX_MESSAGE)
			return HY_R_MESSAGE_TOO_LARGE;
		if (c->payload_len && !c->payload)
			return BAD;
		return HY_R_OK;
	}
	case HY_MSG_SEND:
	case HY_MSG_RELAY: {
		const struct hy_msg_send *s = &m->u.send;
		if (m->sid != 0 || s->target != HY_SEND_SIDS ||
		    s->delivery > HY_DELIVERY_RELIABLE || s->nsids == 0 ||
		    s->nsids > HY_MSG_MAX_SIDS || !s->sids)
			return BAD;
		if (s->payload_len > HY_MAX_MESSAGE)
			return HY_R_MESSAGE_TOO_LARGE;
		if (s->payload_len && !s->payload)
			return BAD;
		return HY_R_OK;
	}
	case HY_MSG_TABLE_UPDATE:
		if (m->u.table.body_len > HY_MAX_MESSAGE)
			return HY_R_MESSAGE_TOO_LARGE;
		if (m->u.table.body_len && !m->u.table.body)
			return BAD;
		return HY_R_OK;
	default:
		return HY_R_BAD_TYPE;
	}
}

enum hy_reason hy_msg_encode_body(const struct hy_ring_msg *m, uint8_t *buf,
	size_t cap, size_t *len)
{
	enum hy_reason r = fields_check(m);
	if (r != HY_R_OK)
		return r;
	struct hy_wr w;
	hy_wr_init(&w, buf, cap);

	switch (m->type) {
	case HY_MSG_HELLO: {
		const struct hy_msg_hello *h = &m->u.hello;
		hy_wr_u64(&w, h->generation);
		hy_wr_u32(&w, h->pid);
		hy_wr_u32(&w, h->session_capacity);
		hy_wr_u16(&w, h->worker_lcores);
		hy_wr_u16(&w, h->ring_lcore);
		hy_wr_u8(&w, h->node_len);
		hy_wr_bytes(&w, h->node, h->node_len);
		break;
	}
	case HY_MSG_STATS: {
		const struct hy_msg_stats *s = &m->u.stats;
		hy_wr_u64(&w, s->generation);
		hy_wr_u64(&w, s->now_ns);
		hy_wr_u32(&w, s->sessions);
		hy_wr_u32(&w, s->session_capacity);
		hy_wr_u64(&w, s->rx_packets);
		hy_wr_u64(&w, s->tx_packets);
		hy_wr_u64(&w, s->drops);
		hy_wr_u64(&w, s->ring_full);
		break;
	}
	case HY_MSG_SESSION_OPENED:
	case HY_MSG_RESYNC_ENTRY: {
		const struct hy_msg_session *s = &m->u.session;
		hy_wr_u8(&w, s->transport);
		hy_wr_u8(&w, s->addr.family);
		hy_wr_u16(&w, s->addr.port);
		hy_wr_bytes(&w, s->addr.addr, sizeof(s->addr.addr));
		hy_wr_u16(&w, s->lcore);
		hy_wr_u8(&w, s->uid_len);
		hy_wr_bytes(&w, s->uid, s->uid_len);
		break;
	}
	case HY_MSG_SESSION_CLOSED:
	case HY_MSG_KICK:
		hy_wr_u16(&w, m->u.closed.reason);
		hy_wr_u16(&w, 0);
		break;
	case HY_MSG_COMMAND:
	case HY_MSG_RESPOND:
	case HY_MSG_PUSH: {
		const struct hy_msg_cmd *c = &m->u.cmd;
		hy_wr_u8(&w, c->ver);
		hy_wr_u8(&w, c->delivery);
		hy_wr_u16(&w, c->cmd);
		hy_wr_u8(&w, c->status);
		hy_wr_zeros(&w, 3);
		hy_wr_bytes(&w, c->payload, c->payload_len);
		break;
	}
	case HY_MSG_SEND:
	case HY_MSG_RELAY: {
		const struct hy_msg_send *s = &m->u.send;
		hy_wr_u8(&w, s->target);
		hy_wr_u8(&w, s->ver);
		hy_wr_u8(&w, s->delivery);
		hy_wr_u8(&w, 0);
		hy_wr_u16(&w, s->cmd);
		hy_wr_u16(&w, s->nsids);
		hy_wr_bytes(&w, s->sids, 8u * s->nsids);
		hy_wr_bytes(&w, s->payload, s->payload_len);
		break;
	}
	case HY_MSG_TABLE_UPDATE:
		hy_wr_u16(&w, m->u.table.op);
		hy_wr_u16(&w, 0);
		hy_wr_bytes(&w, m->u.table.body, m->u.table.body_len);
		break;
	case HY_MSG_DRAIN:
		hy_wr_u32(&w, m->u.drain.grace_ms);
		break;
	case HY_MSG_RESYNC_END:
		hy_wr_u32(&w, m->u.resync_end.count);
		break;
	case HY_MSG_RESYNC_REQUEST:
		break;
	}
	if (!hy_wr_ok(&w))
		return HY_R_OUT_OF_SPACE;
	*len = w.off;
	return HY_R_OK;
}

/* Fills a session record; every check is repeated by fields_check. */
static void decode_session(struct hy_rd *r, struct hy_msg_session *s)
{
	s->transport = hy_rd_u8(r);
	s->addr.family = hy_rd_u8(r);
	s->addr.port = hy_rd_u16(r);
	hy_rd_bytes(r, s->addr.addr, sizeof(s->addr.addr));
	s->lcore = hy_rd_u16(r);
	s->uid_len = hy_rd_u8(r);
	if (s->uid_len > HY_UID_MAX) {
		r->failed = true;
		return;
	}
	hy_rd_bytes(r, s->uid, s->uid_len);
	s->uid[s->uid_len] = '\0';
}

enum hy_reason hy_msg_decode_body(unsigned type, const uint8_t *body,
	size_t len, struct hy_ring_msg *m)
{
	if (!hy_msg_type_dir(type, NULL))
		return HY_R_BAD_TYPE;
	if (len > HY_MSG_MAX_BODY)
		return BAD;
	struct hy_rd r;
	hy_rd_init(&r, body, len);
	memset(&m->u, 0, sizeof(m->u));
	m->type = (uint16_t)type;

	switch (type) {
	case HY_MSG_HELLO: {
		struct hy_msg_hello *h = &m->u.hello;
		h->generation = hy_rd_u64(&r);
		h->pid = hy_rd_u32(&r);
		h->session_capacity = hy_rd_u32(&r);
		h->worker_lcores = hy_rd_u16(&r);
		h->ring_lcore = hy_rd_u16(&r);
		h->node_len = hy_rd_u8(&r);
		if (h->node_len > HY_MSG_NODE_MAX)
			return BAD;
		hy_rd_bytes(&r, h->node, h->node_len);
		break;
	}
	case HY_MSG_STATS: {
		struct hy_msg_stats *s = &m->u.stats;
		s->generation = hy_rd_u64(&r);
		s->now_ns = hy_rd_u64(&r);
		s->sessions = hy_rd_u32(&r);
		s->session_capacity = hy_rd_u32(&r);
		s->rx_packets = hy_rd_u64(&r);
		s->tx_packets = hy_rd_u64(&r);
		s->drops = hy_rd_u64(&r);
		s->ring_full = hy_rd_u64(&r);
		break;
	}
	case HY_MSG_SESSION_OPENED:
	case HY_MSG_RESYNC_ENTRY:
		decode_session(&r, &m->u.session);
		break;
	case HY_MSG_SESSION_CLOSED:
	case HY_MSG_KICK:
		m->u.closed.reason = hy_rd_u16(&r);
		if (hy_rd_u16(&r) != 0)
			return BAD;
		break;
	case HY_MSG_COMMAND:
	case HY_MSG_RESPOND:
	case HY_MSG_PUSH: {
		struct hy_msg_cmd *c = &m->u.cmd;
		c->ver = hy_rd_u8(&r);
		c->delivery = hy_rd_u8(&r);
		c->cmd = hy_rd_u16(&r);
		c->status = hy_rd_u8(&r);
		if (hy_rd_u8(&r) != 0 || hy_rd_u16(&r) != 0)
			return BAD;
		c->payload_len = (uint32_t)hy_rd_left(&r);
		c->payload = hy_rd_view(&r, c->payload_len);
		break;
	}
	case HY_MSG_SEND:
	case HY_MSG_RELAY: {
		struct hy_msg_send *s = &m->u.send;
		s->target = hy_rd_u8(&r);
		s->ver = hy_rd_u8(&r);
		s->delivery = hy_rd_u8(&r);
		if (hy_rd_u8(&r) != 0)
			return BAD;
		s->cmd = hy_rd_u16(&r);
		s->nsids = hy_rd_u16(&r);
		if (s->nsids > HY_MSG_MAX_SIDS)
			return BAD;
		s->sids = hy_rd_view(&r, 8u * s->nsids);
		s->payload_len = (uint32_t)hy_rd_left(&r);
		s->payload = hy_rd_view(&r, s->payload_len);
		break;
	}
	case HY_MSG_TABLE_UPDATE:
		m->u.table.op = hy_rd_u16(&r);
		if (hy_rd_u16(&r) != 0)
			return BAD;
		m->u.table.body_len = (uint32_t)hy_rd_left(&r);
		m->u.table.body = hy_rd_view(&r, m->u.table.body_len);
		break;
	case HY_MSG_DRAIN:
		m->u.drain.grace_ms = hy_rd_u32(&r);
		break;
	case HY_MSG_RESYNC_END:
		m->u.resync_end.count = hy_rd_u32(&r);
		break;
	case HY_MSG_RESYNC_REQUEST:
		break;
	}
	if (!hy_rd_ok(&r) || hy_rd_left(&r) != 0)
		return BAD;
	enum hy_reason why = fields_check(m);
	return why == HY_R_MESSAGE_TOO_LARGE ? BAD : why;
}

/* ---- slot framing ------------------------------------------------------ */

void hy_msg_hdr_write(const struct hy_msg_hdr *h, void *slot)
{
	struct hy_wr w;
	hy_wr_init(&w, slot, HY_MSG_HDR_LEN);
	hy_wr_u16(&w, h->type);
	hy_wr_u16(&w, h->flags);
	hy_wr_u32(&w, h->len);
	hy_wr_u64(&w, h->sid);
	hy_wr_u32(&w, h->seq);
	hy_wr_u32(&w, h->total);
	hy_wr_u16(&w, h->part);
	hy_wr_zeros(&w, 6);
}

/* Body bytes carried by part `part` of a message of `total` bytes. */
static uint32_t part_len(uint32_t total, unsigned part)
{
	uint32_t off = (uint32_t)part * HY_MSG_SLOT_BODY;
	uint32_t left = total - off;
	return left < HY_MSG_SLOT_BODY ? left : HY_MSG_SLOT_BODY;
}

enum hy_reason hy_msg_hdr_read(const void *slot, struct hy_msg_hdr *h)
{
	struct hy_rd r;
	hy_rd_init(&r, slot, HY_MSG_HDR_LEN);
	h->type = hy_rd_u16(&r);
	h->flags = hy_rd_u16(&r);
	h->len = hy_rd_u32(&r);
	h->sid = hy_rd_u64(&r);
	h->seq = hy_rd_u32(&r);
	h->total = hy_rd_u32(&r);
	h->part = hy_rd_u16(&r);
	uint16_t rsvd16 = hy_rd_u16(&r);
	uint32_t rsvd32 = hy_rd_u32(&r);

	if (!hy_msg_type_dir(h->type, NULL))
		return HY_R_BAD_TYPE;
	if ((h->flags & ~HY_MSG_F_ALL) || rsvd16 || rsvd32)
		return BAD;
	if (h->total > HY_MSG_MAX_BODY)
		return BAD;
	unsigned parts = hy_msg_parts(h->total);
	if (h->part >= parts || h->len != part_len(h->total, h->part))
		return BAD;
	bool more = (h->flags & HY_MSG_F_MORE) != 0;
	if (more != (h->part + 1u < parts))
		return BAD;
	return HY_R_OK;
}

size_t hy_msg_slot_used(const void *slot)
{
	const uint8_t *b = slot;
	uint32_t len = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 |
		(uint32_t)b[6] << 8 | b[7];
	if (len > HY_MSG_SLOT_BODY)
		len = HY_MSG_SLOT_BODY;
	return HY_MSG_HDR_LEN + len;
}

enum hy_reason hy_msg_split(const struct hy_ring_msg *m, const uint8_t *body,
	size_t body_len, unsigned part, void *slot)
{
	if (body_len > HY_MSG_MAX_BODY)
		return HY_R_MESSAGE_TOO_LARGE;
	unsigned parts = hy_msg_parts(body_len);
	if (part >= parts || !hy_msg_type_dir(m->type, NULL))
		return BAD;
	struct hy_msg_hdr h = {
		.type = m->type,
		.flags = part + 1 < parts ? HY_MSG_F_MORE : 0,
		.len = part_len((uint32_t)body_len, part),
		.sid = m->sid,
		.seq = m->seq,
		.total = (uint32_t)body_len,
		.part = (uint16_t)part,
	};
	hy_msg_hdr_write(&h, slot);
	if (h.len)
		memcpy((uint8_t *)slot + HY_MSG_HDR_LEN,
		       body + (size_t)part * HY_MSG_SLOT_BODY, h.len);
	return HY_R_OK;
}

enum hy_reason hy_msg_encode_slot(const struct hy_ring_msg *m, void *slot,
	size_t *used)
{
	size_t len;
	uint8_t *body = (uint8_t *)slot + HY_MSG_HDR_LEN;
	if (!hy_msg_type_dir(m->type, NULL))
		return HY_R_BAD_TYPE;
	if (hy_msg_body_len(m) > HY_MSG_SLOT_BODY)
		return HY_R_MESSAGE_TOO_LARGE;
	enum hy_reason r = hy_msg_encode_body(m, body, HY_MSG_SLOT_BODY, &len);
	if (r != HY_R_OK)
		return r;
	struct hy_msg_hdr h = {
		.type = m->type,
		.len = (uint32_t)len,
		.sid = m->sid,
		.seq = m->seq,
		.total = (uint32_t)len,
	};
	hy_msg_hdr_write(&h, slot);
	if (used)
		*used = HY_MSG_HDR_LEN + len;
	return HY_R_OK;
}

enum hy_reason hy_msg_decode_slot(const void *slot, size_t len,
	struct hy_ring_msg *m)
{
	struct hy_msg_hdr h;
	if (len < HY_MSG_HDR_LEN)
		return BAD;
	enum hy_reason r = hy_msg_hdr_read(slot, &h);
	if (r != HY_R_OK)
		return r;
	if (h.flags & HY_MSG_F_MORE || h.part != 0 ||
	    len < HY_MSG_HDR_LEN + (size_t)h.len)
		return BAD;
	m->sid = h.sid;
	m->seq = h.seq;
	return hy_msg_decode_body(h.type, (const uint8_t *)slot + HY_MSG_HDR_LEN,
		h.len, m);
}

/* ---- reassembly -------------------------------------------------------- */

void hy_msg_reasm_init(struct hy_msg_reasm *ra, uint8_t *buf, size_t cap)
{
	memset(ra, 0, sizeof(*ra));
	ra->buf = buf;
	ra->cap = cap;
}

enum hy_reason hy_msg_reasm_push(struct hy_msg_reasm *ra, const void *slot,
	bool *done)
{
	struct hy_msg_hdr h;
	const uint8_t *body = (const uint8_t *)slot + HY_MSG_HDR_LEN;
	*done = false;

	enum hy_reason r = hy_msg_hdr_read(slot, &h);
	if (r != HY_R_OK) {
		ra->active = false;
		return r;
	}
	if (ra->active) {
		const struct hy_msg_hdr *f = &ra->first;
		if (h.part != ra->next_part || h.type != f->type ||
		    h.sid != f->sid || h.seq != f->seq || h.total != f->total) {
			ra->active = false;
			/* A fresh start right after a broken message is kept so
			 * one lost tail does not also cost the next message. */
			if (h.part == 0 && h.total <= ra->cap)
				hy_msg_reasm_push(ra, slot, done);
			return BAD;
		}
	} else {
		if (h.part != 0)
			return BAD; /* continuation without its start */
		if (h.total > ra->cap)
			return BAD;
		ra->first = h;
		ra->got = 0;
		ra->active = true;
	}
	memcpy(ra->buf + ra->got, body, h.len);
	ra->got += h.len;
	ra->next_part = (uint16_t)(h.part + 1);
	if (!(h.flags & HY_MSG_F_MORE)) {
		ra->active = false;
		*done = true;
	}
	return HY_R_OK;
}

enum hy_reason hy_msg_reasm_decode(const struct hy_msg_reasm *ra,
	struct hy_ring_msg *m)
{
	m->sid = ra->first.sid;
	m->seq = ra->first.seq;
	return hy_msg_decode_body(ra->first.type, ra->buf, ra->first.total, m);
}

uint64_t hy_msg_send_sid(const struct hy_msg_send *s, unsigned i)
{
	struct hy_rd r;
	hy_rd_init(&r, s->sids + 8u * i, 8);
	return hy_rd_u64(&r);
}

void hy_msg_sids_pack(uint8_t *dst, const uint64_t *sids, unsigned n)
{
	struct hy_wr w;
	hy_wr_init(&w, dst, 8u * (size_t)n);
	for (unsigned i = 0; i < n; i++)
		hy_wr_u64(&w, sids[i]);
}

/* ---- TABLE_UPDATE bodies (room fan-out table) ------------------------- */

enum hy_reason hy_table_encode(const struct hy_table_update *t,
	const struct hy_table_member *members, uint8_t *buf, size_t cap,
	size_t *len)
{
	struct hy_wr w;
	unsigned i;

	if (t->op != HY_TABLE_ROOM_CLEAR && t->room_id == 0)
		return BAD;
	hy_wr_init(&w, buf, cap);
	switch (t->op) {
	case HY_TABLE_ROOM_SET:
		if (t->max_members == 0 || t->max_members > HY_TABLE_MAX_MEMBERS ||
		    t->nmembers > t->max_members || (t->nmembers && !members))
			return BAD;
		hy_wr_u64(&w, t->room_id);
		hy_wr_u32(&w, t->version);
		hy_wr_u32(&w, t->interval_ms);
		hy_wr_u16(&w, t->max_members);
		hy_wr_u16(&w, t->nmembers);
		for (i = 0; i < t->nmembers; i++) {
			if (members[i].kind > HY_TABLE_KIND_RELAY || members[i].sid == 0)
				return BAD;
			hy_wr_u64(&w, members[i].sid);
			hy_wr_u8(&w, members[i].kind);
		}
		break;
	case HY_TABLE_ROOM_DEL:
		hy_wr_u64(&w, t->room_id);
		hy_wr_u32(&w, t->version);
		break;
	case HY_TABLE_ROOM_MEMBER_ADD:
	case HY_TABLE_ROOM_MEMBER_DEL:
		if (t->member.kind > HY_TABLE_KIND_RELAY || t->member.sid == 0)
			return BAD;
		hy_wr_u64(&w, t->room_id);
		hy_wr_u32(&w, t->version);
		hy_wr_u64(&w, t->member.sid);
		hy_wr_u8(&w, t->member.kind);
		hy_wr_u8(&w, 0);
		break;
	case HY_TABLE_ROOM_CLEAR:
		break;
	default:
		return BAD;
	}
	if (!hy_wr_ok(&w))
		return HY_R_OUT_OF_SPACE;
	*len = w.off;
	return HY_R_OK;
}

enum hy_reason hy_table_decode(uint16_t op, const uint8_t *body, size_t len,
	struct hy_table_update *t)
{
	struct hy_rd r;
	unsigned i;

	memset(t, 0, sizeof(*t));
	t->op = op;
	hy_rd_init(&r, body, len);
	switch (op) {
	case HY_TABLE_ROOM_SET:
		t->room_id = hy_rd_u64(&r);
		t->version = hy_rd_u32(&r);
		t->interval_ms = hy_rd_u32(&r);
		t->max_members = hy_rd_u16(&r);
		t->nmembers = hy_rd_u16(&r);
		if (!hy_rd_ok(&r) || t->max_members == 0 ||
		    t->max_members > HY_TABLE_MAX_MEMBERS || t->nmembers > t->max_members)
			return BAD;
		t->members = hy_rd_view(&r, (size_t)t->nmembers * HY_TABLE_MEMBER_LEN);
		for (i = 0; t->members && i < t->nmembers; i++) {
			struct hy_table_member m;

			hy_table_member_at(t, i, &m);
			if (m.sid == 0 || m.kind > HY_TABLE_KIND_RELAY)
				return BAD;
		}
		break;
	case HY_TABLE_ROOM_DEL:
		t->room_id = hy_rd_u64(&r);
		t->version = hy_rd_u32(&r);
		break;
	case HY_TABLE_ROOM_MEMBER_ADD:
	case HY_TABLE_ROOM_MEMBER_DEL:
		t->room_id = hy_rd_u64(&r);
		t->version = hy_rd_u32(&r);
		t->member.sid = hy_rd_u64(&r);
		t->member.kind = hy_rd_u8(&r);
		if (hy_rd_u8(&r) != 0 || t->member.sid == 0 ||
		    t->member.kind > HY_TABLE_KIND_RELAY)
			return BAD;
		break;
	case HY_TABLE_ROOM_CLEAR:
		break;
	default:
		return HY_R_BAD_TYPE;
	}
	if (!hy_rd_ok(&r) || hy_rd_left(&r) != 0)
		return BAD;
	if (op != HY_TABLE_ROOM_CLEAR && t->room_id == 0)
		return BAD;
	return HY_R_OK;
}

void hy_table_member_at(const struct hy_table_update *t, unsigned i,
	struct hy_table_member *m)
{
	struct hy_rd r;

	hy_rd_init(&r, t->members + (size_t)i * HY_TABLE_MEMBER_LEN, HY_TABLE_MEMBER_LEN);
	m->sid = hy_rd_u64(&r);
	m->kind = hy_rd_u8(&r);
}
