/* SPDX-License-Identifier: BSD-3-Clause
 * Datagram-level codecs: the prefix byte, CONNECT/RESPONSE, CHALLENGE and
 * the cleartext header of sealed packets (ACCEPT, DENY, DISCONNECT, DATA).
 *
 * Decoders take (buf, len, out), read only through bounded cursors, never
 * look past len, and return HY_R_OK or the first reason the input is
 * refused (docs/protocol.md lists the order of the checks).  Encoders take
 * (out, cap, ...) and return the number of bytes written, or 0 when the
 * output does not fit or the input is something no decoder would accept.
 * Nothing here allocates, keeps state or touches keys.
 */
#ifndef HY_PROTO_PACKET_H
#define HY_PROTO_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "common/reason.h"
#include "proto/limits.h"

/* Offsets inside CONNECT/RESPONSE. */
#define HY_CONNECT_TOKEN_OFF 1u
#define HY_CONNECT_COOKIE_OFF (HY_CONNECT_TOKEN_OFF + HY_TOKEN_LEN)
#define HY_CONNECT_PADDING_OFF (HY_CONNECT_COOKIE_OFF + HY_COOKIE_LEN)
#define HY_CONNECT_PADDING_LEN (HY_CONNECT_LEN - HY_CONNECT_PADDING_OFF)

/* CHALLENGE: prefix and cookie, nothing else. */
#define HY_CHALLENGE_LEN (1u + HY_COOKIE_LEN)

/* Plaintext sizes of the fixed-size sealed bodies. */
#define HY_ACCEPT_BODY_LEN 16u
#define HY_DENY_BODY_LEN 4u
#define HY_DISCONNECT_BODY_LEN 4u

/* Smallest DATA plaintext: one PING frame (one byte). */
#define HY_DATA_MIN_PAYLOAD 1u

/* Whole sealed datagrams: header + body + tag. */
#define HY_ACCEPT_PKT_LEN (HY_DATA_OVERHEAD + HY_ACCEPT_BODY_LEN)
#define HY_DENY_PKT_LEN (HY_DATA_OVERHEAD + HY_DENY_BODY_LEN)
#define HY_DISCONNECT_PKT_LEN (HY_DATA_OVERHEAD + HY_DISCONNECT_BODY_LEN)
#define HY_DATA_MIN_PKT_LEN (HY_DATA_OVERHEAD + HY_DATA_MIN_PAYLOAD)

/* Node state, as in ACCEPT and the ECHO response. */
enum hy_node_state {
	HY_NODE_ONLINE = 1,
	HY_NODE_OFFLINE = 2 /* draining: the client should move */
};

/* "ONLINE", "OFFLINE"; "UNKNOWN" otherwise. */
const char *hy_node_state_name(unsigned state);

/* The first byte of every datagram. */
static inline uint8_t hy_pkt_prefix(enum hy_pkt_type type)
{
	return (uint8_t)(HY_PROTO_VERSION << 4 | ((unsigned)type & 0x0fu));
}

/* "CONNECT", "DATA", ...; "UNKNOWN" outside the enum. */
const char *hy_pkt_type_name(enum hy_pkt_type type);

/* True for ACCEPT, DENY, DISCONNECT and DATA (header + AEAD). */
static inline int hy_pkt_type_is_sealed(enum hy_pkt_type type)
{
	return type >= HY_PKT_ACCEPT && type <= HY_PKT_DATA;
}

/* Smallest and largest datagram of this type (0, 0 for an unknown type).
 * Fixed-size types return the same value twice. */
void hy_pkt_size_bounds(enum hy_pkt_type type, size_t *min, size_t *max);

/*
 * The first look at any datagram, before anything else is read: checks
 * the version nibble, the type nibble and the datagram length for that
 * type.  Reads byte 0 only.  On HY_R_OK *type holds the packet type.
 * Returns TRUNCATED (empty), BAD_VERSION, BAD_TYPE or BAD_PACKET_SIZE.
 */
enum hy_reason hy_pkt_classify(const uint8_t *buf, size_t len, enum hy_pkt_type *type);

/* CONNECT (cookie all zero) and RESPONSE (cookie from CHALLENGE). */
struct hy_pkt_connect {
	enum hy_pkt_type type;               /* HY_PKT_CONNECT or HY_PKT_RESPONSE */
	uint8_t token[HY_TOKEN_LEN];         /* sealed connect token, opaque here */
	uint8_t cookie[HY_COOKIE_LEN];       /* zero in CONNECT */
};

/*
 * Decodes a CONNECT or a RESPONSE (either is accepted; out->type says
 * which).  Copies the token and cookie into *out.  Returns OK, TRUNCATED,
 * BAD_VERSION, BAD_TYPE, BAD_PACKET_SIZE or BAD_PADDING (nonzero padding,
 * or a CONNECT whose cookie is not all zero).  The token is not opened.
 */
enum hy_reason hy_pkt_connect_decode(const uint8_t *buf, size_t len,
				     struct hy_pkt_connect *out);

/*
 * Writes exactly HY_CONNECT_LEN bytes.  Returns HY_CONNECT_LEN, or 0 if
 * cap is too small, the type is not CONNECT/RESPONSE, or a CONNECT has a
 * nonzero cookie.
 */
size_t hy_pkt_connect_encode(uint8_t *out, size_t cap, const struct hy_pkt_connect *in);

struct hy_pkt_challenge {
	uint8_t cookie[HY_COOKIE_LEN];
};

/* Decodes a CHALLENGE.  Returns OK, TRUNCATED, BAD_VERSION, BAD_TYPE or
 * BAD_PACKET_SIZE.  The cookie is not verified here. */
enum hy_reason hy_pkt_challenge_decode(const uint8_t *buf, size_t len,
				       struct hy_pkt_challenge *out);

/* Writes HY_CHALLENGE_LEN bytes; returns that, or 0 if cap is too small. */
size_t hy_pkt_challenge_encode(uint8_t *out, size_t cap, const struct hy_pkt_challenge *in);

/* Cleartext header of a sealed packet; also the AEAD associated data. */
struct hy_pkt_header {
	enum hy_pkt_type type; /* ACCEPT, DENY, DISCONNECT or DATA */
	uint64_t sid;          /* session id, never 0 */
	uint64_t pn;           /* packet number, per direction */
};

/*
 * Decodes the header of a sealed packet and checks the whole datagram's
 * size for its type (the ciphertext is not touched).  Returns OK,
 * TRUNCATED, BAD_VERSION, BAD_TYPE (also for a known but unsealed type),
 * BAD_PACKET_SIZE or ZERO_SESSION.
 */
enum hy_reason hy_pkt_header_decode(const uint8_t *buf, size_t len,
				    struct hy_pkt_header *out);

/* Writes the HY_DATA_HEADER_LEN-byte header.  Returns that, or 0 if cap
 * is too small, the type is not sealed or sid is 0. */
size_t hy_pkt_header_encode(uint8_t *out, size_t cap, const struct hy_pkt_header *in);

#endif /* HY_PROTO_PACKET_H */
