/* SPDX-License-Identifier: BSD-3-Clause
 * Why an input was rejected.  One list for every decoder and every drop
 * counter, so a reason has the same number and name in a log line, a
 * counter, a metric and a test.  Append only; never renumber.
 */
#ifndef HY_COMMON_REASON_H
#define HY_COMMON_REASON_H

#define HY_REASONS(X) \
	X(OK,                 "ok") \
	/* generic shape */ \
	X(TRUNCATED,          "input shorter than its layout") \
	X(OVERSIZED,          "input longer than allowed") \
	X(TRAILING_BYTES,     "bytes left over after the last field") \
	X(BAD_LENGTH,         "length field disagrees with the input") \
	X(BAD_VERSION,        "unknown protocol version") \
	X(BAD_TYPE,           "unknown packet or frame type") \
	X(BAD_PADDING,        "padding is not all zero") \
	X(RESERVED_SET,       "reserved field is not zero") \
	X(OUT_OF_SPACE,       "output buffer too small") \
	/* packets */ \
	X(BAD_PACKET_SIZE,    "packet has the wrong size for its type") \
	X(ZERO_SESSION,       "session id is zero") \
	X(UNKNOWN_SESSION,    "no session with this id") \
	/* frames and messages */ \
	X(TOO_MANY_FRAMES,    "more frames than a packet may carry") \
	X(BAD_CHANNEL,        "channel number out of range") \
	X(BAD_FRAGMENT,       "fragment index or count out of range") \
	X(MESSAGE_TOO_LARGE,  "message larger than the protocol limit") \
	X(BAD_ACK_RANGES,     "ack ranges malformed or out of order") \
	X(BAD_MESSAGE_KIND,   "unknown message kind") \
	X(EMPTY_FRAME,        "frame carries no data") \
	/* crypto, tokens, replay */ \
	X(AUTH_FAILED,        "authentication tag mismatch") \
	X(TOKEN_EXPIRED,      "connect token expired") \
	X(TOKEN_WRONG_NODE,   "connect token is for another node") \
	X(TOKEN_BAD_KEY_ID,   "connect token sealed under an unknown key") \
	X(TOKEN_BAD_UID,      "connect token user id malformed") \
	X(TOKEN_REUSED,       "connect token already used") \
	X(COOKIE_EXPIRED,     "challenge cookie expired") \
	X(COOKIE_BAD,         "challenge cookie does not verify") \
	X(REPLAYED,           "packet number already seen") \
	X(TOO_OLD,            "packet number behind the replay window") \
	/* rings */ \
	X(RING_FULL,          "ring full") \
	X(RING_PEER_GONE,     "ring peer gone") \
	X(RING_BAD_MESSAGE,   "ring message malformed") \
	/* config */ \
	X(CONFIG_SYNTAX,      "config syntax error") \
	X(CONFIG_UNKNOWN_KEY, "config key unknown") \
	X(CONFIG_BAD_VALUE,   "config value invalid") \
	X(CONFIG_MISSING,     "config key required but missing") \
	/* data plane session engine */ \
	X(UNSUPPORTED,        "valid input this node does not handle yet") \
	X(NONCES_EXHAUSTED,   "no unused nonce left in this second") \
	X(TOKEN_WRONG_TRANSPORT, "connect token is for the other transport (UDP/TCP)") \
	/* reliability layer (shared/rudp) */ \
	X(WINDOW_FULL,        "send window or send byte cap full") \
	X(DUPLICATE,          "reliable unit already received") \
	X(BEYOND_WINDOW,      "reliable seq beyond the receive window") \
	X(REASSEMBLY_FULL,    "reassembly byte cap or pool exhausted") \
	X(SEQ_EXHAUSTED,      "reliable sequence space used up") \
	X(RETRIES_EXHAUSTED,  "reliable unit resent the maximum number of times") \
	/* rooms and direct messages (shared/proto/room_msg.h) */ \
	X(ROOM_NOT_FOUND,     "no room with this id on this node") \
	X(ROOM_FULL,          "room has no free place") \
	X(ROOM_ALREADY_IN,    "session is already in a room") \
	X(ROOM_NOT_IN,        "session is not a member of the room") \
	X(ROOM_LIMIT,         "node holds its maximum number of rooms") \
	X(ROOM_BAD_PARAMS,    "room parameter, key or value out of range") \
	X(ROOM_PROPS_FULL,    "room property count or byte cap reached") \
	X(ROOM_PROP_TYPE,     "room property holds the other type") \
	X(ROOM_OVERFLOW,      "room property increment overflows int64") \
	X(ROOM_NO_MEMORY,     "out of memory for the room") \
	X(NO_SUCH_TARGET,     "no session with this id or user id on this node") \
	/* the data plane's fan-out table (dataplane/rooms/fanout.h) */ \
	X(TABLE_GAP,          "fan-out table update out of sequence (ignored until the next ROOM_SET)") \
	/* MARS cluster messages (controlplane/mars/) */ \
	X(BAD_MAGIC,          "not a message of this protocol (magic)") \
	X(BAD_FIELD,          "field value out of range") \
	X(BAD_KEY_ID,         "sealed under a key this node does not have") \
	X(CLOCK_SKEW,         "message time outside the clock skew window") \
	X(STALE_TERM,         "cluster message from an older term") \
	X(DUPLICATE_NODE_ID,  "two live processes use the same node id") \
	X(VIEW_FULL,          "cluster view holds its maximum number of nodes") \
	X(NOT_LEADER,         "message only the MARS leader takes") \
	/* cluster: room redirects and session moves (shared/proto/ticket.h) */ \
	X(ROOM_REDIRECT,      "room is held by another node: the answer carries a ticket for it") \
	X(ROOM_NODE_UNAVAILABLE, "the room's node is offline, of another version or without this transport") \
	X(TICKET_BAD_FIELD,   "ticket port, host or node id out of range") \
	/* data plane back-pressure */ \
	X(EVENTS_FULL,        "no room to tell the control plane of a new session: the client resends its RESPONSE")

enum hy_reason {
#define HY_REASON_ENUM(name, text) HY_R_##name,
	HY_REASONS(HY_REASON_ENUM)
#undef HY_REASON_ENUM
	HY_R_COUNT
};

/* Short stable identifier, e.g. "TRUNCATED" (for metrics and logs). */
const char *hy_reason_name(enum hy_reason r);
/* One-line human explanation. */
const char *hy_reason_text(enum hy_reason r);

#endif /* HY_COMMON_REASON_H */
