/* SPDX-License-Identifier: BSD-3-Clause
 * Tickets: everything one player needs to open one session on one node
 * (credentials and where to connect), and the two messages that hand a
 * connected client a ticket for another node (docs/protocol.md,
 * "Cluster: moves and redirects"):
 *
 *   MOVE push (ver 0, cmd 4):   reason u8 | reserved u8 | ticket
 *   JOIN answered ROOM_REDIRECT: reason u16 | room_id u64 | ticket
 *
 * Binary ticket, version 1 (big-endian; 199 bytes + uid + host):
 *   version u8 (1) | transport u8 | port u16 | sid u64 | c2s_key [16] |
 *   s2c_key [16] | token [152] | uid_len u8 | uid | host_len u8 | host
 * The node id, key id and expiry are not repeated: the decoder reads them
 * from the token's public part, so they cannot disagree with it.
 *
 * The ticket holds session keys: it only ever travels inside a session
 * (AEAD-sealed) or in the HTTP tier's reply.  Decoders return views into
 * nothing: everything is copied into struct hy_ticket.
 */
#ifndef HY_PROTO_TICKET_H
#define HY_PROTO_TICKET_H

#include <stddef.h>
#include <stdint.h>

#include "common/reason.h"
#include "crypto/token.h"
#include "proto/limits.h"

/* What the HTTP tier hands a player: credentials plus where to connect. */
struct hy_ticket {
	struct hy_credentials cred;
	char host[256]; /* numeric IPv4/IPv6 address or host name, NUL-terminated */
	uint16_t port;
};

#define HY_TICKET_VERSION 1u
#define HY_TICKET_FIXED_LEN 197u /* version .. uid_len */
#define HY_TICKET_HOST_MAX 255u
#define HY_TICKET_MAX_LEN (HY_TICKET_FIXED_LEN + HY_UID_MAX + 1u + HY_TICKET_HOST_MAX)

/* ver 0 push: the node asks the client to move (docs/protocol.md). */
#define HY_CMD_MOVE 4u

enum hy_move_reason {
	HY_MOVE_DRAIN = 1, /* this node is draining */
};

/*
 * Decodes exactly len bytes.  Checks, in order: TRUNCATED (shorter than
 * the fixed part), BAD_VERSION, BAD_TYPE (transport), TICKET_BAD_FIELD
 * (port 0), ZERO_SESSION, the token's public part (BAD_VERSION,
 * RESERVED_SET; TICKET_BAD_FIELD for node id 0), TOKEN_BAD_UID (uid_len
 * 0 or over 64, or a zero byte in the uid), TICKET_BAD_FIELD (host_len
 * 0 or a zero byte in the host), TRUNCATED (uid or host cut short),
 * TRAILING_BYTES.  *out is zeroed on any refusal.
 */
enum hy_reason hy_ticket_decode(const uint8_t *in, size_t len, struct hy_ticket *out);

/* Encodes t; the encoding is canonical (what decodes re-encodes to the
 * same bytes).  Returns the length, or 0 if it does not fit in cap or t
 * would not decode (the same checks as above). */
size_t hy_ticket_encode(uint8_t *out, size_t cap, const struct hy_ticket *t);

/* MOVE payload.  Decode: TRUNCATED (under 2 bytes), BAD_TYPE (reason 0),
 * RESERVED_SET, then the ticket's reasons.  Any reason 1..255 decodes: a
 * client follows a move whatever its reason. */
enum hy_reason hy_move_decode(const uint8_t *in, size_t len, uint8_t *reason,
			      struct hy_ticket *out);
size_t hy_move_encode(uint8_t *out, size_t cap, uint8_t reason, const struct hy_ticket *t);

/* A room command's answer ROOM_REDIRECT (status BAD).  Decode: TRUNCATED,
 * BAD_TYPE (the reason is not ROOM_REDIRECT), ROOM_BAD_PARAMS (room id
 * 0), then the ticket's reasons. */
enum hy_reason hy_redirect_decode(const uint8_t *in, size_t len, uint64_t *room_id,
				  struct hy_ticket *out);
size_t hy_redirect_encode(uint8_t *out, size_t cap, uint64_t room_id, const struct hy_ticket *t);

/* Node id a room id names (its high 32 bits; docs/protocol.md). */
static inline uint32_t hy_room_id_node(uint64_t room_id)
{
	return (uint32_t)(room_id >> 32);
}

#endif /* HY_PROTO_TICKET_H */
