/* SPDX-License-Identifier: BSD-3-Clause
 * Binary tickets and the MOVE / ROOM_REDIRECT payloads (ticket.h).
 */
#include <stdbool.h>
#include <string.h>

#include "proto/ticket.h"

#include "common/wire.h"

static bool has_zero(const uint8_t *p, size_t n)
{
	return n > 0 && memchr(p, 0, n) != NULL;
}

/* Reads one ticket from r; the caller checks what is left after it. */
static enum hy_reason ticket_read(struct hy_rd *r, struct hy_ticket *t)
{
	struct hy_token_public pub;
	const uint8_t *uid, *host;
	uint8_t version, n;
	enum hy_reason why;

	memset(t, 0, sizeof(*t));
	if (hy_rd_left(r) < HY_TICKET_FIXED_LEN)
		return HY_R_TRUNCATED;
	version = hy_rd_u8(r);
	t->cred.transport = hy_rd_u8(r);
	t->port = hy_rd_u16(r);
	t->cred.sid = hy_rd_u64(r);
	hy_rd_bytes(r, t->cred.c2s_key, HY_KEY_LEN);
	hy_rd_bytes(r, t->cred.s2c_key, HY_KEY_LEN);
	hy_rd_bytes(r, t->cred.token, HY_TOKEN_LEN);
	n = hy_rd_u8(r);
	if (version != HY_TICKET_VERSION)
		return HY_R_BAD_VERSION;
	if (t->cred.transport != HY_TRANSPORT_UDP && t->cred.transport != HY_TRANSPORT_TCP)
		return HY_R_BAD_TYPE;
	if (t->port == 0)
		return HY_R_TICKET_BAD_FIELD;
	if (t->cred.sid == 0)
		return HY_R_ZERO_SESSION;
	why = hy_token_peek_public(t->cred.token, HY_TOKEN_LEN, &pub);
	if (why != HY_R_OK)
		return why;
	if (pub.node_id == 0)
		return HY_R_TICKET_BAD_FIELD;
	t->cred.node_id = pub.node_id;
	t->cred.key_id = pub.key_id;
	t->cred.expire_at = pub.expire_at;
	if (n == 0 || n > HY_UID_MAX)
		return HY_R_TOKEN_BAD_UID;
	uid = hy_rd_view(r, n);
	if (!hy_rd_ok(r))
		return HY_R_TRUNCATED;
	if (has_zero(uid, n))
		return HY_R_TOKEN_BAD_UID;
	memcpy(t->cred.uid, uid, n);
	t->cred.uid_len = n;
	n = hy_rd_u8(r);
	if (!hy_rd_ok(r))
		return HY_R_TRUNCATED;
	if (n == 0)
		return HY_R_TICKET_BAD_FIELD;
	host = hy_rd_view(r, n);
	if (!hy_rd_ok(r))
		return HY_R_TRUNCATED;
	if (has_zero(host, n))
		return HY_R_TICKET_BAD_FIELD;
	memcpy(t->host, host, n);
	return HY_R_OK;
}

/* Ends a decode: nothing may follow; on a refusal nothing is kept. */
static enum hy_reason finish(struct hy_rd *r, enum hy_reason why, struct hy_ticket *t)
{
	if (why == HY_R_OK && hy_rd_left(r) != 0)
		why = HY_R_TRAILING_BYTES;
	if (why != HY_R_OK)
		explicit_bzero(t, sizeof(*t));
	return why;
}

enum hy_reason hy_ticket_decode(const uint8_t *in, size_t len, struct hy_ticket *out)
{
	struct hy_rd r;

	hy_rd_init(&r, in, len);
	return finish(&r, ticket_read(&r, out), out);
}

/* Writes t after checking it would decode. */
static void ticket_put(struct hy_wr *w, const struct hy_ticket *t)
{
	struct hy_token_public pub;
	size_t ulen = strnlen(t->cred.uid, sizeof(t->cred.uid));
	size_t hlen = strnlen(t->host, sizeof(t->host));

	if ((t->cred.transport != HY_TRANSPORT_UDP && t->cred.transport != HY_TRANSPORT_TCP) ||
	    t->port == 0 || t->cred.sid == 0 || ulen == 0 || ulen > HY_UID_MAX ||
	    ulen != t->cred.uid_len || hlen == 0 || hlen > HY_TICKET_HOST_MAX ||
	    hy_token_peek_public(t->cred.token, HY_TOKEN_LEN, &pub) != HY_R_OK ||
	    pub.node_id == 0) {
		w->failed = true;
		return;
	}
	hy_wr_u8(w, HY_TICKET_VERSION);
	hy_wr_u8(w, t->cred.transport);
	hy_wr_u16(w, t->port);
	hy_wr_u64(w, t->cred.sid);
	hy_wr_bytes(w, t->cred.c2s_key, HY_KEY_LEN);
	hy_wr_bytes(w, t->cred.s2c_key, HY_KEY_LEN);
	hy_wr_bytes(w, t->cred.token, HY_TOKEN_LEN);
	hy_wr_u8(w, (uint8_t)ulen);
	hy_wr_bytes(w, t->cred.uid, ulen);
	hy_wr_u8(w, (uint8_t)hlen);
	hy_wr_bytes(w, t->host, hlen);
}

size_t hy_ticket_encode(uint8_t *out, size_t cap, const struct hy_ticket *t)
{
	struct hy_wr w;

	hy_wr_init(&w, out, cap);
	ticket_put(&w, t);
	return hy_wr_ok(&w) ? w.off : 0;
}

enum hy_reason hy_move_decode(const uint8_t *in, size_t len, uint8_t *reason,
			      struct hy_ticket *out)
{
	struct hy_rd r;
	uint8_t reserved;

	memset(out, 0, sizeof(*out));
	hy_rd_init(&r, in, len);
	*reason = hy_rd_u8(&r);
	reserved = hy_rd_u8(&r);
	if (!hy_rd_ok(&r))
		return HY_R_TRUNCATED;
	if (*reason == 0)
		return HY_R_BAD_TYPE;
	if (reserved != 0)
		return HY_R_RESERVED_SET;
	return finish(&r, ticket_read(&r, out), out);
}

size_t hy_move_encode(uint8_t *out, size_t cap, uint8_t reason, const struct hy_ticket *t)
{
	struct hy_wr w;

	hy_wr_init(&w, out, cap);
	if (reason == 0)
		return 0;
	hy_wr_u8(&w, reason);
	hy_wr_u8(&w, 0);
	ticket_put(&w, t);
	return hy_wr_ok(&w) ? w.off : 0;
}

enum hy_reason hy_redirect_decode(const uint8_t *in, size_t len, uint64_t *room_id,
				  struct hy_ticket *out)
{
	struct hy_rd r;
	uint16_t why;

	memset(out, 0, sizeof(*out));
	hy_rd_init(&r, in, len);
	why = hy_rd_u16(&r);
	*room_id = hy_rd_u64(&r);
	if (!hy_rd_ok(&r))
		return HY_R_TRUNCATED;
	if (why != HY_R_ROOM_REDIRECT)
		return HY_R_BAD_TYPE;
	if (*room_id == 0)
		return HY_R_ROOM_BAD_PARAMS;
	return finish(&r, ticket_read(&r, out), out);
}

size_t hy_redirect_encode(uint8_t *out, size_t cap, uint64_t room_id, const struct hy_ticket *t)
{
	struct hy_wr w;

	if (room_id == 0)
		return 0;
	hy_wr_init(&w, out, cap);
	hy_wr_u16(&w, HY_R_ROOM_REDIRECT);
	hy_wr_u64(&w, room_id);
	ticket_put(&w, t);
	return hy_wr_ok(&w) ? w.off : 0;
}
