/* SPDX-License-Identifier: BSD-3-Clause
 * Rooms and direct-message command payloads (room_msg.h).
 */
#include <string.h>

#include "proto/room_msg.h"

#include "common/wire.h"

/* The common ending of every decoder: the cursor failed (TRUNCATED) or
 * bytes are left (TRAILING_BYTES). */
static enum hy_reason finish(const struct hy_rd *r)
{
	if (!hy_rd_ok(r))
		return HY_R_TRUNCATED;
	return hy_rd_left(r) ? HY_R_TRAILING_BYTES : HY_R_OK;
}

static size_t done(const struct hy_wr *w)
{
	return hy_wr_ok(w) ? w->off : 0;
}

enum hy_reason hy_rm_params_decode(const uint8_t *p, size_t len, struct hy_room_params *out)
{
	struct hy_rd r;
	enum hy_reason why;

	hy_rd_init(&r, p, len);
	out->max_members = hy_rd_u16(&r);
	out->allow_empty = hy_rd_u8(&r);
	if (hy_rd_u8(&r) != 0 && hy_rd_ok(&r))
		return HY_R_RESERVED_SET;
	out->ttl_s = hy_rd_u32(&r);
	out->interval_ms = hy_rd_u32(&r);
	why = finish(&r);
	if (why != HY_R_OK)
		return why;
	if (out->max_members > HY_ROOM_MEMBERS_MAX || out->allow_empty > 2 ||
	    out->ttl_s > HY_ROOM_TTL_MAX_S || out->interval_ms > HY_ROOM_INTERVAL_MAX_MS)
		return HY_R_ROOM_BAD_PARAMS;
	return HY_R_OK;
}

size_t hy_rm_params_encode(uint8_t *buf, size_t cap, const struct hy_room_params *in)
{
	struct hy_wr w;

	hy_wr_init(&w, buf, cap);
	hy_wr_u16(&w, in->max_members);
	hy_wr_u8(&w, in->allow_empty);
	hy_wr_u8(&w, 0);
	hy_wr_u32(&w, in->ttl_s);
	hy_wr_u32(&w, in->interval_ms);
	return done(&w);
}

enum hy_reason hy_rm_room_decode(const uint8_t *p, size_t len, uint64_t *room_id)
{
	struct hy_rd r;
	enum hy_reason why;

	hy_rd_init(&r, p, len);
	*room_id = hy_rd_u64(&r);
	why = finish(&r);
	if (why == HY_R_OK && *room_id == 0)
		return HY_R_ROOM_BAD_PARAMS;
	return why;
}

size_t hy_rm_room_encode(uint8_t *buf, size_t cap, uint64_t room_id)
{
	struct hy_wr w;

	hy_wr_init(&w, buf, cap);
	hy_wr_u64(&w, room_id);
	return done(&w);
}

enum hy_reason hy_rm_empty_decode(const uint8_t *p, size_t len)
{
	(void)p;
	return len ? HY_R_TRAILING_BYTES : HY_R_OK;
}

/* The data that ends BROADCAST, MESSAGE and DIRECT. */
static enum hy_reason take_data(struct hy_rd *r, struct hy_rm_data *out)
{
	if (!hy_rd_ok(r))
		return HY_R_TRUNCATED;
	out->data_len = hy_rd_left(r);
	if (out->data_len > HY_ROOM_DATA_MAX)
		return HY_R_OVERSIZED;
	out->data = hy_rd_view(r, out->data_len);
	return HY_R_OK;
}

enum hy_reason hy_rm_broadcast_decode(const uint8_t *p, size_t len, struct hy_rm_data *out)
{
	struct hy_rd r;

	memset(out, 0, sizeof(*out));
	hy_rd_init(&r, p, len);
	out->flags = hy_rd_u8(&r);
	if (hy_rd_ok(&r) && (out->flags & ~(HY_ROOM_BCAST_SELF | HY_ROOM_BCAST_QUIET)))
		return HY_R_RESERVED_SET;
	return take_data(&r, out);
}

size_t hy_rm_broadcast_encode(uint8_t *buf, size_t cap, const struct hy_rm_data *in)
{
	struct hy_wr w;

	hy_wr_init(&w, buf, cap);
	hy_wr_u8(&w, in->flags);
	hy_wr_bytes(&w, in->data, in->data_len);
	return done(&w);
}

enum hy_reason hy_rm_message_decode(const uint8_t *p, size_t len, struct hy_rm_data *out)
{
	struct hy_rd r;
	unsigned i;

	memset(out, 0, sizeof(*out));
	hy_rd_init(&r, p, len);
	out->nsids = hy_rd_u8(&r);
	if (hy_rd_u8(&r) != 0 && hy_rd_ok(&r))
		return HY_R_RESERVED_SET;
	if (hy_rd_ok(&r) && (out->nsids == 0 || out->nsids > HY_ROOM_MESSAGE_TARGETS))
		return HY_R_BAD_LENGTH;
	out->sids = hy_rd_view(&r, 8u * out->nsids);
	for (i = 0; out->sids != NULL && i < out->nsids; i++)
		if (hy_rm_sid_at(out, i) == 0)
			return HY_R_ROOM_BAD_PARAMS;
	return take_data(&r, out);
}

size_t hy_rm_message_encode(uint8_t *buf, size_t cap, const struct hy_rm_data *in,
			    const uint64_t *sids)
{
	struct hy_wr w;
	unsigned i;

	hy_wr_init(&w, buf, cap);
	hy_wr_u8(&w, in->nsids);
	hy_wr_u8(&w, 0);
	for (i = 0; i < in->nsids; i++)
		hy_wr_u64(&w, sids[i]);
	hy_wr_bytes(&w, in->data, in->data_len);
	return done(&w);
}

uint64_t hy_rm_sid_at(const struct hy_rm_data *d, unsigned i)
{
	struct hy_rd r;

	hy_rd_init(&r, d->sids + 8u * i, 8);
	return hy_rd_u64(&r);
}

enum hy_reason hy_rm_direct_decode(const uint8_t *p, size_t len, struct hy_rm_data *out)
{
	struct hy_rd r;

	memset(out, 0, sizeof(*out));
	hy_rd_init(&r, p, len);
	out->to = hy_rd_u8(&r);
	if (!hy_rd_ok(&r))
		return HY_R_TRUNCATED;
	if (out->to == HY_DIRECT_TO_SID) {
		out->sid = hy_rd_u64(&r);
		if (hy_rd_ok(&r) && out->sid == 0)
			return HY_R_ROOM_BAD_PARAMS;
	} else if (out->to == HY_DIRECT_TO_UID) {
		out->uid_len = hy_rd_u8(&r);
		if (hy_rd_ok(&r) && (out->uid_len == 0 || out->uid_len > HY_UID_MAX))
			return HY_R_BAD_LENGTH;
		out->uid = hy_rd_view(&r, out->uid_len);
	} else {
		return HY_R_ROOM_BAD_PARAMS;
	}
	return take_data(&r, out);
}

size_t hy_rm_direct_encode(uint8_t *buf, size_t cap, const struct hy_rm_data *in)
{
	struct hy_wr w;

	hy_wr_init(&w, buf, cap);
	hy_wr_u8(&w, in->to);
	if (in->to == HY_DIRECT_TO_SID) {
		hy_wr_u64(&w, in->sid);
	} else {
		hy_wr_u8(&w, in->uid_len);
		hy_wr_bytes(&w, in->uid, in->uid_len);
	}
	hy_wr_bytes(&w, in->data, in->data_len);
	return done(&w);
}

/* key_len u8 (1..HY_ROOM_KEY_MAX) | key */
static enum hy_reason take_key(struct hy_rd *r, struct hy_room_prop *k)
{
	k->key_len = hy_rd_u8(r);
	if (!hy_rd_ok(r))
		return HY_R_TRUNCATED;
	if (k->key_len == 0 || k->key_len > HY_ROOM_KEY_MAX)
		return HY_R_BAD_LENGTH;
	k->key = hy_rd_view(r, k->key_len);
	return hy_rd_ok(r) ? HY_R_OK : HY_R_TRUNCATED;
}

/* Two equal keys in one request: refused, so a request means one thing. */
static bool dup_key(const struct hy_rm_props *pr, unsigned i)
{
	unsigned j;

	for (j = 0; j < i; j++)
		if (pr->p[j].key_len == pr->p[i].key_len &&
		    memcmp(pr->p[j].key, pr->p[i].key, pr->p[i].key_len) == 0)
			return true;
	return false;
}

enum hy_reason hy_rm_get_props_decode(const uint8_t *p, size_t len, struct hy_rm_props *out)
{
	struct hy_rd r;
	enum hy_reason why;
	unsigned i;

	memset(out, 0, sizeof(*out));
	hy_rd_init(&r, p, len);
	out->room_id = hy_rd_u64(&r);
	out->n = hy_rd_u8(&r);
	if (!hy_rd_ok(&r))
		return HY_R_TRUNCATED;
	if (out->room_id == 0)
		return HY_R_ROOM_BAD_PARAMS;
	if (out->n > HY_ROOM_PROPS_MAX)
		return HY_R_BAD_LENGTH;
	for (i = 0; i < out->n; i++) {
		why = take_key(&r, &out->p[i]);
		if (why != HY_R_OK)
			return why;
		if (dup_key(out, i))
			return HY_R_ROOM_BAD_PARAMS;
	}
	return finish(&r);
}

size_t hy_rm_get_props_encode(uint8_t *buf, size_t cap, const struct hy_rm_props *in)
{
	struct hy_wr w;
	unsigned i;

	hy_wr_init(&w, buf, cap);
	hy_wr_u64(&w, in->room_id);
	hy_wr_u8(&w, in->n);
	for (i = 0; i < in->n; i++) {
		hy_wr_u8(&w, in->p[i].key_len);
		hy_wr_bytes(&w, in->p[i].key, in->p[i].key_len);
	}
	return done(&w);
}

enum hy_reason hy_rm_set_props_decode(const uint8_t *p, size_t len, struct hy_rm_props *out)
{
	struct hy_rd r;
	enum hy_reason why;
	unsigned i;

	memset(out, 0, sizeof(*out));
	hy_rd_init(&r, p, len);
	out->room_id = hy_rd_u64(&r);
	out->n = hy_rd_u8(&r);
	if (!hy_rd_ok(&r))
		return HY_R_TRUNCATED;
	if (out->room_id == 0)
		return HY_R_ROOM_BAD_PARAMS;
	if (out->n == 0 || out->n > HY_ROOM_PROPS_MAX)
		return HY_R_BAD_LENGTH;
	for (i = 0; i < out->n; i++) {
		struct hy_room_prop *pp = &out->p[i];

		why = take_key(&r, pp);
		if (why != HY_R_OK)
			return why;
		if (dup_key(out, i))
			return HY_R_ROOM_BAD_PARAMS;
		pp->type = hy_rd_u8(&r);
		if (!hy_rd_ok(&r))
			return HY_R_TRUNCATED;
		if (pp->type == HY_PROP_INT) {
			pp->i = (int64_t)hy_rd_u64(&r);
		} else if (pp->type == HY_PROP_BYTES) {
			pp->val_len = hy_rd_u16(&r);
			if (hy_rd_ok(&r) && pp->val_len > HY_ROOM_VALUE_MAX)
				return HY_R_BAD_LENGTH;
			pp->val = hy_rd_view(&r, pp->val_len);
		} else {
			return HY_R_ROOM_BAD_PARAMS;
		}
		if (!hy_rd_ok(&r))
			return HY_R_TRUNCATED;
	}
	return finish(&r);
}

void hy_rm_prop_put(struct hy_wr *w, const struct hy_room_prop *p)
{
	hy_wr_u8(w, p->key_len);
	hy_wr_bytes(w, p->key, p->key_len);
	hy_wr_u8(w, p->type);
	if (p->type == HY_PROP_INT) {
		hy_wr_u64(w, (uint64_t)p->i);
	} else {
		hy_wr_u16(w, p->val_len);
		hy_wr_bytes(w, p->val, p->val_len);
	}
}

size_t hy_rm_set_props_encode(uint8_t *buf, size_t cap, const struct hy_rm_props *in)
{
	struct hy_wr w;
	unsigned i;

	hy_wr_init(&w, buf, cap);
	hy_wr_u64(&w, in->room_id);
	hy_wr_u8(&w, in->n);
	for (i = 0; i < in->n; i++)
		hy_rm_prop_put(&w, &in->p[i]);
	return done(&w);
}

enum hy_reason hy_rm_incr_decode(const uint8_t *p, size_t len, struct hy_rm_props *out)
{
	struct hy_rd r;
	enum hy_reason why;

	memset(out, 0, sizeof(*out));
	hy_rd_init(&r, p, len);
	out->room_id = hy_rd_u64(&r);
	out->delta = (int64_t)hy_rd_u64(&r);
	if (!hy_rd_ok(&r))
		return HY_R_TRUNCATED;
	if (out->room_id == 0)
		return HY_R_ROOM_BAD_PARAMS;
	why = take_key(&r, &out->p[0]);
	if (why != HY_R_OK)
		return why;
	out->n = 1;
	out->p[0].type = HY_PROP_INT;
	return finish(&r);
}

size_t hy_rm_incr_encode(uint8_t *buf, size_t cap, const struct hy_rm_props *in)
{
	struct hy_wr w;

	hy_wr_init(&w, buf, cap);
	hy_wr_u64(&w, in->room_id);
	hy_wr_u64(&w, (uint64_t)in->delta);
	hy_wr_u8(&w, in->p[0].key_len);
	hy_wr_bytes(&w, in->p[0].key, in->p[0].key_len);
	return done(&w);
}

enum hy_reason hy_rm_list_decode(const uint8_t *p, size_t len, struct hy_rm_page *out)
{
	struct hy_rd r;
	enum hy_reason why;

	memset(out, 0, sizeof(*out));
	hy_rd_init(&r, p, len);
	out->after = hy_rd_u64(&r);
	out->max = hy_rd_u8(&r);
	out->flags = hy_rd_u8(&r);
	why = finish(&r);
	if (why != HY_R_OK)
		return why;
	if (out->flags & ~HY_ROOM_LIST_JOINABLE)
		return HY_R_RESERVED_SET;
	if (out->max == 0 || out->max > HY_ROOM_LIST_PAGE)
		return HY_R_BAD_LENGTH;
	return HY_R_OK;
}

size_t hy_rm_list_encode(uint8_t *buf, size_t cap, const struct hy_rm_page *in)
{
	struct hy_wr w;

	hy_wr_init(&w, buf, cap);
	hy_wr_u64(&w, in->after);
	hy_wr_u8(&w, in->max);
	hy_wr_u8(&w, in->flags);
	return done(&w);
}

enum hy_reason hy_rm_members_decode(const uint8_t *p, size_t len, struct hy_rm_page *out)
{
	struct hy_rd r;
	enum hy_reason why;

	memset(out, 0, sizeof(*out));
	hy_rd_init(&r, p, len);
	out->room_id = hy_rd_u64(&r);
	out->offset = hy_rd_u16(&r);
	why = finish(&r);
	if (why == HY_R_OK && out->room_id == 0)
		return HY_R_ROOM_BAD_PARAMS;
	return why;
}

size_t hy_rm_members_encode(uint8_t *buf, size_t cap, const struct hy_rm_page *in)
{
	struct hy_wr w;

	hy_wr_init(&w, buf, cap);
	hy_wr_u64(&w, in->room_id);
	hy_wr_u16(&w, in->offset);
	return done(&w);
}
