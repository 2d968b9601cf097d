/* SPDX-License-Identifier: BSD-3-Clause
 * Sealed packets (ACCEPT, DENY, DISCONNECT, DATA):
 *
 *   header [17] = prefix u8 | sid u64 | packet number u64   (AEAD AAD)
 *   ciphertext [n]                                          (n = body length)
 *   tag [16]
 *
 * AES-128-GCM under the direction's session key, nonce 00000000 | pn.
 * Packet numbers are the caller's business: it must never seal two
 * packets with the same key and pn, and must check the replay window
 * between hy_pkt_header_decode() and opening (docs/protocol.md).
 *
 * Also the codecs of the fixed ACCEPT, DENY and DISCONNECT bodies.
 */
#ifndef HY_PROTO_SEAL_H
#define HY_PROTO_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/reason.h"
#include "crypto/aead.h"
#include "proto/limits.h"
#include "proto/packet.h"

/*
 * Writes header, ciphertext and tag of a sealed packet of this type into
 * out.  pt (len bytes) is the body: exactly 16 bytes for ACCEPT, 4 for
 * DENY and DISCONNECT, 1..HY_MAX_PAYLOAD for DATA (frames are not checked
 * here).  pt may be out + HY_DATA_HEADER_LEN (sealed in place) or anywhere
 * else, overlapping or not.  Returns HY_DATA_OVERHEAD + len, or 0 if the
 * type is not sealed, sid is 0, len is wrong for the type, cap is too
 * small or the AEAD backend failed.
 */
size_t hy_pkt_seal(const struct hy_aead_ctx *ctx, enum hy_pkt_type type, uint64_t sid,
		   uint64_t pn, const uint8_t *pt, size_t len, uint8_t *out, size_t cap);

/*
 * Decodes the header, then authenticates and decrypts into pt (cap bytes,
 * not overlapping buf).  On OK, *hdr and *pt_len are set.  Returns OK, any
 * reason of hy_pkt_header_decode(), OUT_OF_SPACE (cap too small) or
 * AUTH_FAILED (then pt's first *pt_len bytes are zeroed, never junk).
 * This does no replay check: see hy_pkt_open_body().
 */
enum hy_reason hy_pkt_open(const struct hy_aead_ctx *ctx, const uint8_t *buf, size_t len,
			   struct hy_pkt_header *hdr, uint8_t *pt, size_t cap, size_t *pt_len);

/*
 * As hy_pkt_open(), but decrypts where the ciphertext lies: on OK the
 * plaintext is at buf + HY_DATA_HEADER_LEN, *pt_len bytes long.  On
 * AUTH_FAILED that region is zeroed.
 */
enum hy_reason hy_pkt_open_inplace(const struct hy_aead_ctx *ctx, uint8_t *buf, size_t len,
				   struct hy_pkt_header *hdr, size_t *pt_len);

/*
 * The data plane's path: the header was already decoded from this very
 * buf by hy_pkt_header_decode() (to find the session, pick its key and
 * check the replay window); this only authenticates and decrypts in
 * place.  A hdr that does not match buf fails authentication.  Returns OK,
 * TRUNCATED (len below HY_DATA_OVERHEAD) or AUTH_FAILED.
 */
enum hy_reason hy_pkt_open_body(const struct hy_aead_ctx *ctx, const struct hy_pkt_header *hdr,
				uint8_t *buf, size_t len, size_t *pt_len);

/* Why a DENY or DISCONNECT was sent. */
enum hy_close_reason {
	HY_CLOSE_SERVER_FULL = 1,
	HY_CLOSE_TOKEN_REUSED = 2,
	HY_CLOSE_NODE_DRAINING = 3,
	HY_CLOSE_KICKED = 4,
	HY_CLOSE_IDLE_TIMEOUT = 5,
	HY_CLOSE_CLIENT_CLOSED = 6,
	HY_CLOSE_PROTOCOL_ERROR = 7,
	HY_CLOSE_RETRIES_EXHAUSTED = 8,
	HY_CLOSE_SLOW_CONSUMER = 9,
	HY_CLOSE_REASON_MAX
};

/* "SERVER_FULL", ...; "UNKNOWN" otherwise. */
const char *hy_close_reason_name(unsigned reason);

struct hy_accept {
	uint32_t keepalive_ms;    /* send something at least this often */
	uint32_t idle_timeout_ms; /* silence after which the session ends */
	uint32_t max_message;     /* largest message the node accepts */
	uint8_t node_state;       /* enum hy_node_state */
};

/* ACCEPT body.  Returns OK, TRUNCATED, TRAILING_BYTES, RESERVED_SET,
 * BAD_TYPE (unknown node state) or MESSAGE_TOO_LARGE (max_message over
 * HY_MAX_MESSAGE). */
enum hy_reason hy_accept_decode(const uint8_t *buf, size_t len, struct hy_accept *out);
/* Returns HY_ACCEPT_BODY_LEN, or 0 if it does not fit or a field is out
 * of range. */
size_t hy_accept_encode(uint8_t *out, size_t cap, const struct hy_accept *in);

/* DENY and DISCONNECT bodies (same layout).  Returns OK, TRUNCATED,
 * TRAILING_BYTES, RESERVED_SET or BAD_TYPE (unknown reason). */
enum hy_reason hy_close_decode(const uint8_t *buf, size_t len, enum hy_close_reason *reason);
/* Returns HY_DENY_BODY_LEN, or 0 if it does not fit or reason is unknown. */
size_t hy_close_encode(uint8_t *out, size_t cap, enum hy_close_reason reason);

#endif /* HY_PROTO_SEAL_H */
