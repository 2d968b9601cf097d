/* SPDX-License-Identifier: BSD-3-Clause
 * MARS cluster messages: byte layout, sealing and opening
 * (docs/protocol.md, "Cluster messages").
 *
 * One UDP datagram is one message:
 *   header [32]  magic "HYMS" | version u8 | type u8 | key_id u8 | flags u8 |
 *                sender u32 | boot u32 | term u64 | seq u64   (the AEAD's AAD)
 *   body         AES-128-GCM ciphertext of the type's body
 *   tag  [16]
 * under the MARS key of key_id: HKDF-SHA256 of that cluster key with the
 * label "hayate mars v1", so a cluster message and a token never share a
 * key.  The nonce is boot u32 | seq u64: boot is random per process and
 * seq only grows within it.
 */
#ifndef HY_MARS_WIRE_H
#define HY_MARS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "cluster.h"
#include "common/reason.h"
#include "crypto/aead.h"

#define HY_MARS_VERSION 1u
#define HY_MARS_HDR_LEN 32u
#define HY_MARS_OVERHEAD (HY_MARS_HDR_LEN + HY_TAG_LEN)
#define HY_MARS_LABEL "hayate mars v1"

/* Node record: id u32 | state u8 | roles u8 | name, version, udp_host
 * (len u8 | bytes) | udp_port u16 | tcp_host | tcp_port u16 | sessions u64 |
 * pps u64 | cpu_pct u32, and age_ms u32 in a VIEW. */
#define HY_MARS_REC_MAX (4u + 1u + 1u + 2u * HY_CONF_NAME_MAX + 2u * HY_CONF_HOSTPORT_MAX + \
			 2u + 2u + 8u + 8u + 4u + 4u)
/* VIEW body: count u8 then the records. */
#define HY_MARS_VIEW_BODY_MAX (1u + HY_CLUSTER_MAX_NODES * HY_MARS_REC_MAX)
/* Largest datagram: a full view of the largest nodes (26,801 bytes). */
#define HY_MARS_MSG_MAX (HY_MARS_OVERHEAD + HY_MARS_VIEW_BODY_MAX)
_Static_assert(HY_MARS_MSG_MAX <= 65507, "a full view must fit one UDP datagram");

enum hy_mars_type {
	HY_MARS_PREVOTE = 1,     /* would you vote for me in term (no body) */
	HY_MARS_PREVOTE_ACK = 2, /* granted u8 */
	HY_MARS_VOTE = 3,        /* vote for me in term (no body) */
	HY_MARS_VOTE_ACK = 4,    /* granted u8 */
	HY_MARS_PING = 5,        /* leader to candidates (no body) */
	HY_MARS_PONG = 6,        /* candidate to leader (no body) */
	HY_MARS_REPORT = 7,      /* node to leader: its record */
	HY_MARS_VIEW = 8,        /* leader to nodes: every record with its age */
	HY_MARS_TYPE_END
};

/* flags bits; the others must be zero. */
#define HY_MARS_F_CANDIDATE 0x01u /* the sender is a MARS candidate */

struct hy_mars_hdr {
	uint8_t type;
	uint8_t key_id;
	uint8_t flags;
	uint32_t sender; /* node id */
	uint32_t boot;   /* random per process */
	uint64_t term;
	uint64_t seq;    /* strictly increasing per (sender, boot): unix_ms << 16 | n */
};

struct hy_mars_msg {
	struct hy_mars_hdr h;
	uint8_t granted;              /* PREVOTE_ACK, VOTE_ACK: 0 or 1 */
	struct hy_cluster_node node;  /* REPORT */
	unsigned n_nodes;             /* VIEW */
	struct hy_cluster_node *nodes; /* VIEW: [HY_CLUSTER_MAX_NODES], caller's */
};

/* The MARS key of one cluster key.  Returns 0, or -1 if OpenSSL failed. */
int hy_mars_key_derive(const uint8_t cluster_key[HY_KEY_LEN], uint8_t out[HY_KEY_LEN]);

/* Short name of a type, e.g. "VOTE"; "?" if unknown. */
const char *hy_mars_type_name(uint8_t type);

/* Plaintext body of m (by m->h.type) into out.  Returns its length, or
 * -1 if it does not fit or a field is out of range. */
int hy_mars_body_encode(const struct hy_mars_msg *m, uint8_t *out, size_t cap);

/* Decodes a plaintext body of type into m (m->nodes must point at
 * HY_CLUSTER_MAX_NODES records for a VIEW).  Returns HY_R_OK or why not:
 * TRUNCATED, TRAILING_BYTES, BAD_LENGTH (a string too long or holding a
 * NUL), BAD_FIELD (zero id, unknown state or role bits, granted not 0/1,
 * a VIEW of more than HY_CLUSTER_MAX_NODES). */
enum hy_reason hy_mars_body_decode(uint8_t type, const uint8_t *body, size_t len,
				   struct hy_mars_msg *m);

/* Encodes and seals m under key (m->h.key_id names it) into out.  Returns
 * the datagram's length, or -1. */
int hy_mars_seal(const struct hy_aead_ctx *key, const struct hy_mars_msg *m, uint8_t *out,
		 size_t cap);

/* Checks the header of a datagram without a key: TRUNCATED (shorter than
 * header and tag), OVERSIZED, BAD_MAGIC, BAD_VERSION, BAD_TYPE,
 * RESERVED_SET (unknown flags), BAD_FIELD (sender 0).  Fills *h. */
enum hy_reason hy_mars_peek(const uint8_t *buf, size_t len, struct hy_mars_hdr *h);

/* Opens a datagram whose header passed hy_mars_peek (buf is decrypted in
 * place) and decodes its body into m: AUTH_FAILED or a body reason. */
enum hy_reason hy_mars_open(const struct hy_aead_ctx *key, uint8_t *buf, size_t len,
			    struct hy_mars_msg *m);

#endif /* HY_MARS_WIRE_H */
