/* SPDX-License-Identifier: BSD-3-Clause
 * Hayate wire protocol: version, packet types, sizes and limits.
 *
 * These numbers are the protocol; docs/protocol.md explains each one.
 * Every integer on the wire is big-endian (network byte order).
 */
#ifndef HY_PROTO_LIMITS_H
#define HY_PROTO_LIMITS_H

/* High nibble of the first byte of every datagram. */
#define HY_PROTO_VERSION 1u

/* Low nibble of the first byte of every datagram. */
enum hy_pkt_type {
	HY_PKT_CONNECT = 1,    /* client -> server, carries the sealed token */
	HY_PKT_CHALLENGE = 2,  /* server -> client, stateless cookie */
	HY_PKT_RESPONSE = 3,   /* client -> server, token + cookie */
	HY_PKT_ACCEPT = 4,     /* server -> client, encrypted, session open */
	HY_PKT_DENY = 5,       /* server -> client, encrypted, reason */
	HY_PKT_DISCONNECT = 6, /* either way, encrypted, reason */
	HY_PKT_DATA = 7,       /* either way, encrypted frames */
	HY_PKT_TYPE_MAX
};

/* Transport a token is for, and a session runs over. */
enum hy_transport {
	HY_TRANSPORT_UDP = 1,
	HY_TRANSPORT_TCP = 2,
};

/* Largest UDP payload we send or accept: fits the IPv6 minimum MTU
 * (1280 - 40 IPv6 - 8 UDP = 1232) with room to spare for tunnels. */
#define HY_MAX_DATAGRAM 1200u

/* AES-128-GCM. */
#define HY_KEY_LEN 16u
#define HY_TAG_LEN 16u
#define HY_NONCE_LEN 12u

/* Connect token: sealed by the HTTP tier under the cluster key, opened
 * only by the node it names.  Fixed size so CONNECT has a fixed size. */
#define HY_TOKEN_VERSION 1u
#define HY_TOKEN_PUBLIC_LEN 28u   /* version..nonce, the AEAD associated data */
#define HY_TOKEN_PRIVATE_LEN 108u /* sid, transport, uid length, keys, uid */
#define HY_TOKEN_LEN (HY_TOKEN_PUBLIC_LEN + HY_TOKEN_PRIVATE_LEN + HY_TAG_LEN)
#define HY_UID_MAX 64u

/* Stateless challenge cookie carried by CHALLENGE and echoed by RESPONSE. */
#define HY_COOKIE_LEN 24u /* issued_at u32 + serial u32 + GMAC tag */

/* CONNECT and RESPONSE are always exactly this long (zero padded), so no
 * reply to an unverified source can be larger than what it sent. */
#define HY_CONNECT_LEN 256u

/* Data packets: prefix u8 | session id u64 | packet number u64. */
#define HY_DATA_HEADER_LEN 17u
#define HY_DATA_OVERHEAD (HY_DATA_HEADER_LEN + HY_TAG_LEN)
#define HY_MAX_PAYLOAD (HY_MAX_DATAGRAM - HY_DATA_OVERHEAD)

/* Frames per datagram, message sizes, fragments. */
#define HY_MAX_FRAMES_PER_PACKET 32u
#define HY_MAX_MESSAGE (64u * 1024u)
#define HY_MAX_FRAGMENTS 64u
#define HY_MAX_ACK_RANGES 16u

/* Reliable window, in reliable units: a sender keeps at most this many
 * units in flight, counted from the first unit of the oldest message not
 * fully acknowledged; a receiver buffers at most this many ahead.  Both
 * ends must use the same value (docs/protocol.md, reliability rules). */
#define HY_RELIABLE_WINDOW 64u

/* Replay window: packets older than the newest by this many are refused. */
#define HY_REPLAY_WINDOW 256u

#endif /* HY_PROTO_LIMITS_H */
