/* SPDX-License-Identifier: BSD-3-Clause
 * Payloads of the rooms and direct-message commands (ver 1): decoders of
 * the requests, and encoders of the same requests (for clients, tests and
 * the fuzz target's round trip).  Layouts are in docs/protocol.md
 * ("Rooms").  Big-endian, through common/wire.h; every decoder consumes the
 * whole payload and returns an enum hy_reason: OK, TRUNCATED,
 * TRAILING_BYTES, RESERVED_SET, OVERSIZED (data over HY_ROOM_DATA_MAX),
 * BAD_LENGTH (a count or length out of its range) or ROOM_BAD_PARAMS (a
 * value out of its range).  The encoding is canonical: a payload that
 * decodes re-encodes to the same bytes.  Pointers in the decoded structs
 * point into the payload.
 *
 * Shared by the control plane (every command) and the data plane (the
 * BROADCAST, MESSAGE and DIRECT fast path), so both read the same bytes.
 */
#ifndef HY_PROTO_ROOM_MSG_H
#define HY_PROTO_ROOM_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "common/reason.h"
#include "proto/limits.h"

/* Commands (ver 1). */
enum hy_room_cmd {
	HY_CMD_ROOM_CREATE = 100,
	HY_CMD_ROOM_JOIN = 101,
	HY_CMD_ROOM_LEAVE = 102,
	HY_CMD_ROOM_BROADCAST = 103,
	HY_CMD_ROOM_MESSAGE = 104,
	HY_CMD_ROOM_RANDOM_JOIN = 105,
	HY_CMD_ROOM_GET_PROPS = 106,
	HY_CMD_ROOM_SET_PROPS = 107,
	HY_CMD_ROOM_INCR_PROP = 108,
	HY_CMD_ROOM_LIST = 109,
	HY_CMD_ROOM_MEMBERS = 110,
	HY_CMD_DIRECT = 200,
};

/* Largest member list of a room: the largest fan-out list of the ring's
 * TABLE_UPDATE (ring/msg.h, HY_TABLE_MAX_MEMBERS). */
#define HY_ROOM_MEMBERS_MAX 1024u
#define HY_ROOM_TTL_MAX_S 86400u
#define HY_ROOM_INTERVAL_MAX_MS 1000u

#define HY_ROOM_PROPS_MAX 32u
#define HY_ROOM_KEY_MAX 32u
/* A GET_PROPS answer of every property fits one TCP record. */
#define HY_ROOM_VALUE_MAX 256u
#define HY_ROOM_PROP_BYTES 960u

/* Pushes the rooms module sends (ver 1, status PUSH); their payloads are
 * in docs/protocol.md ("Rooms"). */
enum hy_room_push {
	HY_ROOM_PUSH_MEMBER_JOINED = 120,
	HY_ROOM_PUSH_MEMBER_LEFT = 121,
	HY_ROOM_PUSH_OWNER_CHANGED = 122,
};

enum hy_prop_type {
	HY_PROP_INT = 1,   /* int64 */
	HY_PROP_BYTES = 2, /* 0..HY_ROOM_VALUE_MAX bytes */
};

/* A property as passed in and out (pointers are the caller's, or point
 * into the registry until its next change). */
struct hy_room_prop {
	const uint8_t *key;
	uint8_t key_len;     /* 1..HY_ROOM_KEY_MAX */
	uint8_t type;        /* enum hy_prop_type */
	int64_t i;           /* HY_PROP_INT */
	const uint8_t *val;  /* HY_PROP_BYTES */
	uint16_t val_len;
};

/* Parameters of a new room; zero fields take the module defaults. */
struct hy_room_params {
	uint16_t max_members; /* 0: default; at most the configured max */
	uint8_t allow_empty;  /* 0: no, 1: yes, 2: module default */
	uint32_t ttl_s;       /* 0: default empty_ttl_s */
	uint32_t interval_ms; /* 0: default broadcast_interval_ms */
};

#define HY_MODULES_VER 1u
/* Largest BROADCAST / MESSAGE / DIRECT data: the push carrying it fits
 * one TCP record until fragmentation reaches TCP. */
#define HY_ROOM_DATA_MAX 1024u
#define HY_ROOM_MESSAGE_TARGETS 32u
#define HY_ROOM_LIST_PAGE 32u
#define HY_ROOM_MEMBERS_PAGE 128u
#define HY_ROOM_BCAST_SELF 0x01u  /* BROADCAST flag: the sender gets a copy */
#define HY_ROOM_BCAST_QUIET 0x02u /* BROADCAST flag: no answer (fire and forget) */
#define HY_ROOM_LIST_JOINABLE 0x01u
#define HY_DIRECT_TO_SID 1u
#define HY_DIRECT_TO_UID 2u

/* CREATE and RANDOM_JOIN: max_members u16 | allow_empty u8 | reserved u8
 * | ttl_s u32 | interval_ms u32 (12 bytes). */
enum hy_reason hy_rm_params_decode(const uint8_t *p, size_t len, struct hy_room_params *out);
size_t hy_rm_params_encode(uint8_t *buf, size_t cap, const struct hy_room_params *in);

/* JOIN: room_id u64 (non-zero).  LEAVE: empty. */
enum hy_reason hy_rm_room_decode(const uint8_t *p, size_t len, uint64_t *room_id);
size_t hy_rm_room_encode(uint8_t *buf, size_t cap, uint64_t room_id);
enum hy_reason hy_rm_empty_decode(const uint8_t *p, size_t len);

struct hy_rm_data {
	uint8_t flags;          /* BROADCAST */
	uint8_t nsids;          /* MESSAGE: 1..HY_ROOM_MESSAGE_TARGETS */
	const uint8_t *sids;    /* MESSAGE: nsids big-endian u64 */
	uint8_t to;             /* DIRECT: HY_DIRECT_TO_SID or HY_DIRECT_TO_UID */
	uint64_t sid;           /* DIRECT to a sid (non-zero) */
	const uint8_t *uid;     /* DIRECT to a uid (1..HY_UID_MAX bytes) */
	uint8_t uid_len;
	const uint8_t *data;    /* 0..HY_ROOM_DATA_MAX bytes */
	size_t data_len;
};

/* BROADCAST: flags u8 (HY_ROOM_BCAST_SELF, HY_ROOM_BCAST_QUIET; other bits
 * reserved) | data. */
enum hy_reason hy_rm_broadcast_decode(const uint8_t *p, size_t len, struct hy_rm_data *out);
size_t hy_rm_broadcast_encode(uint8_t *buf, size_t cap, const struct hy_rm_data *in);
/* MESSAGE: nsids u8 | reserved u8 | sids[nsids] u64 | data. */
enum hy_reason hy_rm_message_decode(const uint8_t *p, size_t len, struct hy_rm_data *out);
size_t hy_rm_message_encode(uint8_t *buf, size_t cap, const struct hy_rm_data *in,
			    const uint64_t *sids);
/* DIRECT: to u8 | (to 1: sid u64) (to 2: uid_len u8 | uid) | data. */
enum hy_reason hy_rm_direct_decode(const uint8_t *p, size_t len, struct hy_rm_data *out);
size_t hy_rm_direct_encode(uint8_t *buf, size_t cap, const struct hy_rm_data *in);
/* i-th sid of a decoded MESSAGE. */
uint64_t hy_rm_sid_at(const struct hy_rm_data *d, unsigned i);

struct hy_rm_props {
	uint64_t room_id;
	uint8_t n;
	struct hy_room_prop p[HY_ROOM_PROPS_MAX]; /* GET: keys only */
	int64_t delta;                            /* INCR_PROP */
};

/* GET_PROPS: room_id u64 | nkeys u8 (0: all, at most HY_ROOM_PROPS_MAX)
 * | nkeys x (key_len u8 | key). */
enum hy_reason hy_rm_get_props_decode(const uint8_t *p, size_t len, struct hy_rm_props *out);
size_t hy_rm_get_props_encode(uint8_t *buf, size_t cap, const struct hy_rm_props *in);
/* SET_PROPS: room_id u64 | n u8 (1..HY_ROOM_PROPS_MAX) | n x prop, where
 * prop is key_len u8 | key | type u8 | (INT: value i64) (BYTES: len u16
 * | bytes).  Also the layout of the properties in a GET_PROPS answer. */
enum hy_reason hy_rm_set_props_decode(const uint8_t *p, size_t len, struct hy_rm_props *out);
size_t hy_rm_set_props_encode(uint8_t *buf, size_t cap, const struct hy_rm_props *in);
/* INCR_PROP: room_id u64 | delta i64 | key_len u8 | key (p[0]). */
enum hy_reason hy_rm_incr_decode(const uint8_t *p, size_t len, struct hy_rm_props *out);
size_t hy_rm_incr_encode(uint8_t *buf, size_t cap, const struct hy_rm_props *in);

struct hy_rm_page {
	uint64_t after;   /* LIST: cursor (0: from the start) */
	uint8_t max;      /* LIST: 1..HY_ROOM_LIST_PAGE */
	uint8_t flags;    /* LIST: HY_ROOM_LIST_JOINABLE */
	uint64_t room_id; /* MEMBERS */
	uint16_t offset;  /* MEMBERS */
};

/* LIST: after u64 | max u8 | flags u8.  MEMBERS: room_id u64 | offset u16. */
enum hy_reason hy_rm_list_decode(const uint8_t *p, size_t len, struct hy_rm_page *out);
size_t hy_rm_list_encode(uint8_t *buf, size_t cap, const struct hy_rm_page *in);
enum hy_reason hy_rm_members_decode(const uint8_t *p, size_t len, struct hy_rm_page *out);
size_t hy_rm_members_encode(uint8_t *buf, size_t cap, const struct hy_rm_page *in);

/* Writes one property (the SET_PROPS / GET_PROPS layout). */
struct hy_wr;
void hy_rm_prop_put(struct hy_wr *w, const struct hy_room_prop *p);

#endif /* HY_PROTO_ROOM_MSG_H */
