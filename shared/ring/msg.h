/* SPDX-License-Identifier: BSD-3-Clause
 * Messages carried by the rings between the data plane and the control
 * plane: the catalogue, the slot framing and the encoders and decoders.
 *
 * A ring slot is HY_RING_SLOT_SIZE bytes: a 32-byte header followed by up
 * to HY_MSG_SLOT_BODY body bytes.  A message whose body does not fit in one
 * slot is split into consecutive slots (parts); every part but the last
 * carries HY_MSG_F_MORE.  All integers are big-endian and written through
 * the bounded cursors of common/wire.h, so the byte layout is the same for
 * the fuzz corpus, the tests and both processes.
 *
 * Slot header (32 bytes):
 *   type u16 | flags u16 | len u32 (body bytes in this slot)
 *   | sid u64 | seq u32 | total u32 (body bytes of the whole message)
 *   | part u16 (index of this slot in the message) | reserved u16 | reserved u32
 *
 * Decoders return an enum hy_reason: HY_R_OK, HY_R_BAD_TYPE for an unknown
 * type, HY_R_RING_BAD_MESSAGE for anything else that is malformed.  Encoders
 * return HY_R_RING_BAD_MESSAGE for a field out of range,
 * HY_R_MESSAGE_TOO_LARGE for a body over HY_MSG_MAX_BODY and
 * HY_R_OUT_OF_SPACE when the output buffer is too small.  The encoding is
 * canonical: decode followed by encode gives back the same bytes.
 */
#ifndef HY_RING_MSG_H
#define HY_RING_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/reason.h"
#include "proto/limits.h"

/* 512 bytes: the events of a connect storm (SESSION_OPENED, about 100
 * bytes) take one slot each, so a storm streams through a quarter of the
 * memory it did with 2 KiB slots, eight messages to a page instead of two.
 * With 2 KiB slots the 8 MiB up ring went cold between storms, the control
 * plane fell behind reading it, and a fresh node refused a whole window of
 * handshakes (docs/architecture.md, "Footprint").  Larger messages take
 * several slots (parts). */
#define HY_RING_SLOT_SIZE 512u
#define HY_MSG_HDR_LEN 32u
#define HY_MSG_SLOT_BODY (HY_RING_SLOT_SIZE - HY_MSG_HDR_LEN)

/* Largest SEND recipient list, and the largest body of any message: a
 * full protocol message plus the largest recipient list and fixed fields. */
#define HY_MSG_MAX_SIDS 1024u
#define HY_MSG_MAX_BODY (HY_MAX_MESSAGE + 8u * HY_MSG_MAX_SIDS + 64u)
#define HY_MSG_MAX_PARTS ((HY_MSG_MAX_BODY + HY_MSG_SLOT_BODY - 1) / HY_MSG_SLOT_BODY)
/* Fewest slots dataplane.ring_slots may ask for: the largest message must
 * fit in the ring (smaller rings, for tests, refuse it as too large). */
#define HY_RING_CONFIG_MIN_SLOTS 256u
_Static_assert(HY_MSG_MAX_PARTS <= HY_RING_CONFIG_MIN_SLOTS,
	"the largest message fits the smallest configured ring");

#define HY_MSG_F_MORE 0x0001u /* another part of this message follows */
#define HY_MSG_F_ALL HY_MSG_F_MORE

#define HY_MSG_NODE_MAX 32u /* node name in HELLO */

/* Ring direction; also the direction a message type travels in. */
enum hy_ring_dir {
	HY_RING_UP = 0,   /* data plane -> control plane */
	HY_RING_DOWN = 1, /* control plane -> data plane */
};

/*
 * The catalogue: X(name, value, direction, union member, description).
 * Values are part of the shared-memory ABI: append only.
 */
#define HY_MSG_TYPES(X) \
	X(HELLO,          1, UP,   hello, \
	  "data plane identity: generation, pid, capacity, lcores, node name") \
	X(STATS,          2, UP,   stats, \
	  "periodic data plane summary: sessions, packets, drops, ring full") \
	X(SESSION_OPENED, 3, UP,   session, \
	  "session sid opened: uid, transport, client address, owning lcore") \
	X(SESSION_CLOSED, 4, UP,   closed, \
	  "session sid closed, with the reason") \
	X(COMMAND,        5, UP,   cmd, \
	  "client command for the control plane: ver, cmd, delivery, payload") \
	X(RESYNC_ENTRY,   6, UP,   session, \
	  "one live session, answering RESYNC_REQUEST (seq = request's seq)") \
	X(RESYNC_END,     7, UP,   resync_end, \
	  "end of a resync: number of RESYNC_ENTRY messages sent") \
	X(RELAY,          8, UP,   send, \
	  "room traffic for sessions the control plane serves: one push to a list of them") \
	X(RESPOND,       16, DOWN, cmd, \
	  "response to a COMMAND: ver, cmd, status, delivery, payload") \
	X(PUSH,          17, DOWN, cmd, \
	  "server push to session sid: ver, cmd, delivery, payload") \
	X(SEND,          18, DOWN, send, \
	  "one payload to a list of sessions (room targets come later)") \
	X(KICK,          19, DOWN, closed, \
	  "disconnect session sid, with the reason") \
	X(TABLE_UPDATE,  20, DOWN, table, \
	  "room table change; payload layout defined by the rooms module") \
	X(DRAIN,         21, DOWN, drain, \
	  "stop accepting connects, close sessions within grace_ms") \
	X(RESYNC_REQUEST, 22, DOWN, none, \
	  "ask for every live session as RESYNC_ENTRY then RESYNC_END")

enum hy_msg_type {
	HY_MSG_INVALID = 0,
#define HY_MSG_ENUM(name, val, dir, member, text) HY_MSG_##name = val,
	HY_MSG_TYPES(HY_MSG_ENUM)
#undef HY_MSG_ENUM
	HY_MSG_TYPE_MAX
};

/* Delivery class of a command or push (the protocol's channels). */
enum hy_delivery {
	HY_DELIVERY_UNRELIABLE = 0,
	HY_DELIVERY_SEQUENCED = 1,
	HY_DELIVERY_RELIABLE = 2,
};

enum hy_send_target {
	HY_SEND_SIDS = 1, /* explicit session list; 2 is kept for rooms */
};

/* Client address: family 4 or 6; for IPv4 only addr[0..3] is used and the
 * rest must be zero.  Port in host order. */
struct hy_msg_addr {
	uint8_t family;
	uint16_t port;
	uint8_t addr[16];
};

/* HELLO. Wire: generation u64 | pid u32 | capacity u32 | worker_lcores u16
 * | ring_lcore u16 | node_len u8 | node[node_len] (no NUL bytes). */
struct hy_msg_hello {
	uint64_t generation; /* changes on every data plane start */
	uint32_t pid;
	uint32_t session_capacity;
	uint16_t worker_lcores;
	uint16_t ring_lcore;
	uint8_t node_len;
	char node[HY_MSG_NODE_MAX + 1]; /* NUL-terminated after decode */
};

/* STATS. Wire: the fields in order, 56 bytes. */
struct hy_msg_stats {
	uint64_t generation;
	uint64_t now_ns; /* CLOCK_MONOTONIC of the data plane */
	uint32_t sessions;
	uint32_t session_capacity;
	uint64_t rx_packets;
	uint64_t tx_packets;
	uint64_t drops;
	uint64_t ring_full;
};

/* SESSION_OPENED, RESYNC_ENTRY (sid in the header, non-zero).
 * Wire: transport u8 | family u8 | port u16 | addr[16] | lcore u16
 * | uid_len u8 (1..HY_UID_MAX) | uid[uid_len]. */
struct hy_msg_session {
	uint8_t transport; /* enum hy_transport */
	uint16_t lcore;
	struct hy_msg_addr addr;
	uint8_t uid_len;
	char uid[HY_UID_MAX + 1]; /* NUL-terminated after decode */
};

/* SESSION_CLOSED, KICK (sid non-zero). Wire: reason u16 | reserved u16. */
struct hy_msg_closed {
	uint16_t reason; /* an enum hy_reason value */
};

/* COMMAND, RESPOND, PUSH (sid non-zero).  Wire: ver u8 | delivery u8
 * | cmd u16 | status u8 | reserved u8 | reserved u16 | payload.  status
 * is zero except in RESPOND.  payload points into the decoded buffer. */
struct hy_msg_cmd {
	uint8_t ver;
	uint8_t delivery; /* enum hy_delivery */
	uint16_t cmd;
	uint8_t status;
	uint32_t payload_len; /* <= HY_MAX_MESSAGE */
	const uint8_t *payload;
};

/* SEND and RELAY (header sid zero).  RELAY is the same body going up: a
 * push the data plane's room relay could not deliver itself, for the
 * listed sessions of the control plane (TCP members).  Wire: target u8 | ver u8 | delivery u8
 * | reserved u8 | cmd u16 | nsids u16 (1..HY_MSG_MAX_SIDS)
 * | sids[nsids] u64 | payload.  sids points at nsids big-endian u64 values
 * (read them with hy_msg_send_sid, build them with hy_msg_sids_pack). */
struct hy_msg_send {
	uint8_t target; /* enum hy_send_target */
	uint8_t ver;
	uint8_t delivery;
	uint16_t cmd;
	uint16_t nsids;
	const uint8_t *sids;
	uint32_t payload_len;
	const uint8_t *payload;
};

/* TABLE_UPDATE.  Wire: op u16 | reserved u16 | body.  op and body are
 * defined by the rooms module; the ring only carries them. */
struct hy_msg_table {
	uint16_t op;
	uint32_t body_len; /* <= HY_MAX_MESSAGE */
	const uint8_t *body;
};

/* DRAIN.  Wire: grace_ms u32. */
struct hy_msg_drain {
	uint32_t grace_ms;
};

/* RESYNC_END.  Wire: count u32. */
struct hy_msg_resync_end {
	uint32_t count;
};

/* One decoded message (a typed mailbox entry): the type selects the union
 * member named in HY_MSG_TYPES.  RESYNC_REQUEST has no body. */
struct hy_ring_msg {
	uint16_t type; /* enum hy_msg_type */
	uint32_t seq;  /* correlation: COMMAND seq is echoed by RESPOND */
	uint64_t sid;
	union {
		struct hy_msg_hello hello;
		struct hy_msg_stats stats;
		struct hy_msg_session session;
		struct hy_msg_closed closed;
		struct hy_msg_cmd cmd;
		struct hy_msg_send send;
		struct hy_msg_table table;
		struct hy_msg_drain drain;
		struct hy_msg_resync_end resync_end;
	} u;
};

/* Decoded slot header. */
struct hy_msg_hdr {
	uint16_t type;
	uint16_t flags;
	uint32_t len;
	uint64_t sid;
	uint32_t seq;
	uint32_t total;
	uint16_t part;
};

/* Name ("SESSION_OPENED") of a type, or "UNKNOWN". */
const char *hy_msg_type_name(unsigned type);
/* One-line description of a type, or "unknown message type". */
const char *hy_msg_type_text(unsigned type);
/* True when type is in the catalogue; *dir gets its direction. */
bool hy_msg_type_dir(unsigned type, enum hy_ring_dir *dir);

/* Number of slots a body of body_len bytes takes (at least 1). */
unsigned hy_msg_parts(size_t body_len);

/* Body length hy_msg_encode_body would produce for m (0 for an unknown
 * type; does not validate the fields). */
size_t hy_msg_body_len(const struct hy_ring_msg *m);

/* Encodes the body of m (not the slot header) into buf.  On HY_R_OK *len
 * is the number of bytes written; on failure buf contents are undefined. */
enum hy_reason hy_msg_encode_body(const struct hy_ring_msg *m, uint8_t *buf,
	size_t cap, size_t *len);

/* Decodes a body of the given type into m->u (m->type is set; m->sid and
 * m->seq are left alone).  Pointer fields of m point into body, which must
 * outlive their use.  The whole body must be consumed. */
enum hy_reason hy_msg_decode_body(unsigned type, const uint8_t *body,
	size_t len, struct hy_ring_msg *m);

/* Writes a slot header into the first HY_MSG_HDR_LEN bytes of slot. */
void hy_msg_hdr_write(const struct hy_msg_hdr *h, void *slot);

/* Reads and checks a slot header: known type, known flags, reserved zero,
 * len/total/part consistent (len is exactly this part's share of total,
 * MORE set on every part but the last). */
enum hy_reason hy_msg_hdr_read(const void *slot, struct hy_msg_hdr *h);

/* Bytes of a slot worth copying (header + len), bounded by the slot size;
 * trusts nothing, for use by the ring before validation. */
size_t hy_msg_slot_used(const void *slot);

/* Writes part `part` of a message (type, sid and seq from m; body and
 * body_len as produced by hy_msg_encode_body) into one slot of
 * HY_RING_SLOT_SIZE bytes.  Fails with HY_R_RING_BAD_MESSAGE when part is
 * beyond the last part, HY_R_MESSAGE_TOO_LARGE when body_len is over
 * HY_MSG_MAX_BODY. */
enum hy_reason hy_msg_split(const struct hy_ring_msg *m, const uint8_t *body,
	size_t body_len, unsigned part, void *slot);

/* Encodes m into one slot; HY_R_MESSAGE_TOO_LARGE if it needs more than
 * one (use hy_msg_split).  *used gets the header + body length. */
enum hy_reason hy_msg_encode_slot(const struct hy_ring_msg *m, void *slot,
	size_t *used);

/* Decodes a single-part message from one slot of `len` readable bytes
 * (len >= header + body; a multi-part slot is HY_R_RING_BAD_MESSAGE).
 * Pointer fields of m point into slot. */
enum hy_reason hy_msg_decode_slot(const void *slot, size_t len,
	struct hy_ring_msg *m);

/*
 * Reassembly of multi-part messages.  The caller owns buf (at least
 * HY_MSG_MAX_BODY bytes to accept every message).  Feed slots in ring
 * order; single-part messages may be fed too.
 */
struct hy_msg_reasm {
	struct hy_msg_hdr first; /* header of part 0 of the message in progress */
	uint32_t got;            /* body bytes collected so far */
	uint16_t next_part;
	bool active;
	uint8_t *buf;
	size_t cap;
};

void hy_msg_reasm_init(struct hy_msg_reasm *ra, uint8_t *buf, size_t cap);

/* Adds one slot.  HY_R_OK: the slot was taken; *done is true when the
 * message is complete (header in ra->first, body in ra->buf, ra->first.total
 * bytes; the next push starts a new message).  HY_R_RING_BAD_MESSAGE (or
 * the header's reason): the slot or the message in progress is malformed,
 * misordered or too large for buf; the message in progress is abandoned,
 * and if this slot is a well-formed part 0 it starts a new message (so
 * *done can be true together with this reason: a single-part message that
 * followed a broken one is complete and must still be consumed). */
enum hy_reason hy_msg_reasm_push(struct hy_msg_reasm *ra, const void *slot,
	bool *done);

/* Decodes the completed message of ra into m (pointers into ra->buf). */
enum hy_reason hy_msg_reasm_decode(const struct hy_msg_reasm *ra,
	struct hy_ring_msg *m);

/* i-th recipient of a decoded SEND (no bounds check beyond i < nsids). */
uint64_t hy_msg_send_sid(const struct hy_msg_send *s, unsigned i);
/* Writes n sids as big-endian u64 into dst (8 * n bytes) for SEND. */
void hy_msg_sids_pack(uint8_t *dst, const uint64_t *sids, unsigned n);

/*
 * TABLE_UPDATE bodies: the room fan-out table the control plane programs
 * into the data plane (docs/architecture.md, "Rooms").  The ring's
 * TABLE_UPDATE carries op (enum hy_table_op) and one of these bodies:
 *
 *   ROOM_SET         room_id u64 | version u32 | interval_ms u32
 *                    | max_members u16 | nmembers u16
 *                    | nmembers x (sid u64 | kind u8)
 *   ROOM_DEL         room_id u64 | version u32
 *   ROOM_MEMBER_ADD  room_id u64 | version u32 | sid u64 | kind u8 | reserved u8
 *   ROOM_MEMBER_DEL  room_id u64 | version u32 | sid u64 | kind u8 | reserved u8
 *   ROOM_CLEAR       (empty: forget every room)
 *
 * room_id is never zero; version counts the room's changes (+1 each) so a
 * receiver can tell a missed update (it then keeps the room as it was
 * until the next ROOM_SET, which the control plane sends when it could
 * not deliver an update); nmembers <= max_members <= HY_TABLE_MAX_MEMBERS,
 * and no sid appears twice (the sender's guarantee; not checked here).
 * The sids carry no lcore: the data plane alone knows which worker owns
 * each session, and splits the list per worker itself.
 */
#define HY_TABLE_MAX_MEMBERS 1024u
#define HY_TABLE_MEMBER_LEN 9u  /* sid u64 | kind u8 */
#define HY_TABLE_SET_FIXED 20u  /* ROOM_SET before its member list */
#define HY_TABLE_MEMBER_BODY 22u /* ROOM_MEMBER_ADD/DEL body */
#define HY_TABLE_DEL_BODY 12u

enum hy_table_op {
	HY_TABLE_ROOM_SET = 1,
	HY_TABLE_ROOM_DEL = 2,
	HY_TABLE_ROOM_MEMBER_ADD = 3,
	HY_TABLE_ROOM_MEMBER_DEL = 4,
	HY_TABLE_ROOM_CLEAR = 5,
};

/* Who delivers a member's copy of a room message. */
enum hy_table_kind {
	HY_TABLE_KIND_UDP = 0,   /* a data-plane session: the data plane sends it */
	HY_TABLE_KIND_RELAY = 1, /* a control-plane session (TCP): hand it up */
};

struct hy_table_member {
	uint64_t sid;
	uint8_t kind; /* enum hy_table_kind */
};

/* One decoded TABLE_UPDATE body.  members points into the decoded body
 * (nmembers x HY_TABLE_MEMBER_LEN bytes; read with hy_table_member_at). */
struct hy_table_update {
	uint16_t op;           /* enum hy_table_op */
	uint64_t room_id;
	uint32_t version;
	uint32_t interval_ms;  /* ROOM_SET */
	uint16_t max_members;  /* ROOM_SET */
	uint16_t nmembers;     /* ROOM_SET */
	const uint8_t *members; /* ROOM_SET */
	struct hy_table_member member; /* ROOM_MEMBER_ADD / ROOM_MEMBER_DEL */
};

/* Encodes t as a TABLE_UPDATE body into buf; for ROOM_SET the member list
 * is taken from members[0..t->nmembers) (t->members is ignored).  Returns
 * HY_R_OK with *len set, HY_R_RING_BAD_MESSAGE for an unknown op or a field
 * out of range, HY_R_OUT_OF_SPACE when cap is too small. */
enum hy_reason hy_table_encode(const struct hy_table_update *t,
	const struct hy_table_member *members, uint8_t *buf, size_t cap,
	size_t *len);

/* Decodes a TABLE_UPDATE body of the given op into t (members points into
 * body).  Returns HY_R_OK, HY_R_BAD_TYPE for an unknown op, or
 * HY_R_RING_BAD_MESSAGE.  Canonical: decode then encode gives the input. */
enum hy_reason hy_table_decode(uint16_t op, const uint8_t *body, size_t len,
	struct hy_table_update *t);

/* i-th member of a decoded ROOM_SET (i < t->nmembers). */
void hy_table_member_at(const struct hy_table_update *t, unsigned i,
	struct hy_table_member *m);

#endif /* HY_RING_MSG_H */
