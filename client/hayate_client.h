/* SPDX-License-Identifier: BSD-3-Clause
 * Hayate client library: one connection to a Hayate node over UDP or TCP.
 *
 * Non-blocking and poll-driven, to fit a game loop: the library never
 * sleeps and never starts a thread.  The game polls hy_client_fd() for the
 * events hy_client_poll_events() names (or simply calls hy_client_update()
 * once a frame), passes the current monotonic time in milliseconds, and
 * reads what arrived with hy_client_receive().  One client is not
 * thread-safe; use it from one thread at a time.
 *
 * Transports: UDP sends each packet as a datagram; TCP sends the same
 * packets as records (`length u16 | packet`) on one connection to the
 * node's TCP endpoint, with no cookie round trip (docs/protocol.md, "TCP
 * transport").  The API is the same; the differences are noted per call.
 * The HTTP helper hy_auth_fetch() gets a ticket for either.
 *
 * Lifecycle: hy_client_create() -> hy_client_connect() -> update() until
 * hy_client_state() is CONNECTED (or a terminal state) -> send()/echo()/
 * receive() -> hy_client_disconnect() -> hy_client_destroy().
 *
 * Channels (docs/protocol.md, "Frames"): hy_client_send() is unreliable,
 * hy_client_send_sequenced() unreliable-sequenced (the receiver keeps only
 * the newest per stream), hy_client_send_reliable() reliable-ordered
 * (shared/rudp: acknowledged, resent, fragmented up to HY_MAX_MESSAGE,
 * delivered once and in order).  Responses and pushes on all three arrive
 * through hy_client_receive().  On TCP the reliable channel runs exactly
 * as on UDP (RELIABLE and FRAGMENT frames, ACKs): one protocol on both
 * transports, at the cost of ACK frames the stream does not need.
 *
 * Memory: everything is allocated by hy_client_create() and nothing
 * after: about 0.93 MiB per client, fixed (the client itself, 158 KiB:
 * a 64 KiB reassembly area, 64 KiB for an outgoing reliable message,
 * packet and TCP buffers; a 386 KiB arena behind the receive queue; a
 * 384 KiB pool for the reliable send and receive windows).
 */
#ifndef HAYATE_CLIENT_H
#define HAYATE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/reason.h"
#include "crypto/aead.h"
#include "crypto/token.h"
#include "proto/limits.h"
#include "proto/ticket.h" /* struct hy_ticket: credentials plus where to connect */

/*
 * Parses the JSON object the HTTP tier returns (docs/protocol.md, "Tickets"):
 * {"sid":"<16 hex>","uid":"...","transport":"udp"|"tcp","host":"...","port":N,
 *  "clientToServerKey":"<32 hex>","serverToClientKey":"<32 hex>",
 *  "token":"<base64 of the 152-byte sealed token>","expiresAt":<unix seconds>}
 * Unknown members are ignored (the HTTP tier may add fields).  Returns 0, or
 * -1 with a one-line explanation naming the member in err.
 */
int hy_ticket_from_json(const char *json, struct hy_ticket *out, char *err, size_t errlen);

/* Writes the same JSON object (NUL-terminated) into out.  Returns the length
 * written, or -1 if it does not fit. */
int hy_ticket_to_json(const struct hy_ticket *t, char *out, size_t cap);

enum hy_client_state {
	HY_CLIENT_IDLE = 0,         /* created, hy_client_connect() not called */
	HY_CLIENT_SENDING_CONNECT,  /* UDP: CONNECT sent, waiting for CHALLENGE;
				     * TCP: connecting, CONNECT queued or sent,
				     * waiting for ACCEPT (TCP never uses the next) */
	HY_CLIENT_SENDING_RESPONSE, /* RESPONSE sent, waiting for ACCEPT */
	HY_CLIENT_CONNECTED,
	/* terminal states (hy_client_error() has a line of detail when the
	 * cause was local or the connection itself) */
	HY_CLIENT_DISCONNECTED,     /* we or the node closed (close_reason says why;
				     * 0 if a TCP node closed without DISCONNECT) */
	HY_CLIENT_DENIED,           /* the node refused the token (close_reason) */
	HY_CLIENT_TIMED_OUT,        /* no answer to connect, or silence past idle timeout */
	HY_CLIENT_ERROR,            /* socket error: TCP connection refused or reset,
				     * a broken record stream, a local failure */
};

const char *hy_client_state_name(enum hy_client_state s);

struct hy_client_options {
	uint32_t connect_timeout_ms; /* give up connecting after this (default 5000) */
	uint32_t resend_ms;          /* first CONNECT/RESPONSE resend (default 250), doubling to 1 s */
	uint32_t keepalive_ms;       /* ping when idle this long (default: the node's, from ACCEPT) */
	enum hy_aead_backend backend; /* default HY_AEAD_OPENSSL */
	/* 0: the ticket's transport; HY_TRANSPORT_UDP or HY_TRANSPORT_TCP to
	 * override it (the node still refuses a token minted for the other). */
	unsigned transport;
	/* Reliable channel (0: the default shown).  Retransmission timeout
	 * bounds and the number of resends of one unit, with no ACK from the
	 * node meanwhile, after which the client sends DISCONNECT
	 * RETRIES_EXHAUSTED and ends DISCONNECTED with that reason. */
	uint32_t rto_min_ms;  /* 50 */
	uint32_t rto_max_ms;  /* 1000; also the timeout before the first RTT sample */
	uint32_t max_retries; /* 10 */
	/* JOIN redirects followed in a row (0: 3).  One more is not followed:
	 * the JOIN is then answered to the application as failed with reason
	 * ROOM_REDIRECT, so two nodes can never bounce a client for ever. */
	uint32_t max_redirects;
};

/* A response or push from the node (any channel; up to HY_MAX_MESSAGE
 * bytes when reliable).  payload points into the client and is valid
 * until the next hy_client_update() or hy_client_receive(). */
struct hy_client_message {
	uint8_t ver;
	uint16_t cmd;
	uint8_t status; /* HY_STATUS_OK / BAD / ERR, or HY_STATUS_PUSH */
	const uint8_t *payload;
	size_t len;
};

struct hy_client_stats {
	uint64_t tx_packets, tx_bytes;
	uint64_t rx_packets, rx_bytes;
	uint64_t rx_delivered;        /* messages handed to the application */
	uint64_t rx_dropped;          /* datagrams dropped, all reasons */
	uint64_t rx_dropped_by_reason[HY_R_COUNT];
	uint64_t unsupported_frames;  /* unreliable FRAGMENT frames (not handled) */
	uint64_t stale_sequenced;     /* sequenced messages older than the newest */
	uint64_t queue_overflow;      /* messages lost because receive() lagged (0: reads wait) */
	uint64_t tcp_output_full;     /* TCP: sends refused because the output queue was full */
	/* reliable channel, as of the last update() or send_reliable() */
	uint64_t reliable_sent;       /* messages accepted by hy_client_send_reliable() */
	uint64_t reliable_delivered;  /* reliable messages received, in order, once each */
	uint64_t retransmits;         /* units sent again */
	uint64_t fragments_sent;      /* FRAGMENT units sent (first transmissions) */
	uint64_t fragments_received;  /* FRAGMENT units accepted */
	uint64_t reassembly_drops;    /* units refused: receive byte cap or pool full */
	uint64_t window_stalls;       /* send_reliable() refused: window or byte cap full */
	uint64_t acks_sent, acks_received; /* ACK frames */
	uint64_t duplicates;          /* reliable units received again (dropped, re-acked) */
	uint32_t srtt_us;             /* smoothed round trip (0: no sample yet) */
	uint32_t rto_us;              /* current retransmission timeout */
	uint64_t rudp_mem_bytes;      /* pool bytes the windows hold now */
	/* moving between nodes (see hy_client_take_move) */
	uint64_t moves;               /* MOVE pushes followed (the node was draining) */
	uint64_t redirects;           /* JOIN redirects followed */
	uint64_t redirects_refused;   /* redirects not followed: over max_redirects */
	uint64_t move_failures;       /* moves whose new session did not come up */
};

/*
 * Creates a client for ticket t (copied) with opt (NULL: defaults).  Opens a
 * non-blocking socket towards t->host:t->port: UDP or TCP, from
 * opt->transport or else the ticket's transport.  A TCP socket is only
 * connected by hy_client_connect().  Returns NULL with a one-line reason in
 * err on failure (bad address, no socket, AEAD backend unavailable).
 */
struct hy_client *hy_client_create(const struct hy_ticket *t, const struct hy_client_options *opt,
				   char *err, size_t errlen);

/* Wipes keys, closes the socket, frees.  NULL is fine. */
void hy_client_destroy(struct hy_client *c);

/* The socket to poll, or -1.  UDP: changes after hy_client_rebind().
 * TCP: -1 once the client is in a terminal state (the connection is
 * closed then); poll ignores a negative fd, so a loop need not care. */
int hy_client_fd(const struct hy_client *c);

/*
 * The poll(2) events to wait for on hy_client_fd(): POLLIN always, plus
 * POLLOUT on TCP while the connection is being set up or output is queued
 * (call hy_client_update() when it fires; it writes what the socket takes).
 * 0 before hy_client_connect() and in a terminal state.
 */
short hy_client_poll_events(const struct hy_client *c);

/* Starts the handshake.  UDP: sends CONNECT now and keeps resending from
 * update().  TCP: starts a non-blocking connect and queues the CONNECT
 * record; update() finishes both.  Returns 0, or -1 if not IDLE or the
 * connect failed at once (state ERROR, hy_client_error() says why). */
int hy_client_connect(struct hy_client *c, uint64_t now_ms);

/* Reads everything waiting on the socket (TCP: up to a bound per call),
 * writes queued TCP output, advances the handshake, sends resends and
 * keep-alives, and applies timeouts.  Call it often (each frame). */
void hy_client_update(struct hy_client *c, uint64_t now_ms);

/* Sends one command (ver, cmd, payload) unreliably.  Returns 0, or -1 if
 * not CONNECTED, the payload does not fit one packet, or the socket refused
 * it.  TCP: the record is queued and written as far as the socket takes
 * it; when the output queue (HY_RECORD_TX_CAP, 16 KiB) is full because
 * the node does not read, it fails with -1 (stats.tcp_output_full) and
 * nothing is queued. */
int hy_client_send(struct hy_client *c, uint8_t ver, uint16_t cmd, const void *payload, size_t len);

/*
 * Sends one command reliably: it arrives once, in order with the other
 * reliable commands, however the network loses, duplicates or reorders
 * packets.  The encoded command (3 bytes + payload) may be up to
 * HY_MAX_MESSAGE bytes; over one frame (1160 bytes) it goes as fragments.
 * The payload is copied.  Units are resent from hy_client_update() (call
 * it at least by hy_client_next_deadline_ms()).  Returns 0, or -1 with
 * the reason in hy_client_send_reason():
 *   WINDOW_FULL        flow control: the node has not acknowledged enough
 *                      yet (window of 64 units or 128 KiB); update() and
 *                      try again later (counted in stats.window_stalls);
 *   REASSEMBLY_FULL    the window pool is momentarily exhausted: likewise;
 *   MESSAGE_TOO_LARGE  over HY_MAX_MESSAGE;
 *   SEQ_EXHAUSTED      2^32 reliable units used: reconnect;
 *   UNKNOWN_SESSION    not CONNECTED;
 *   RETRIES_EXHAUSTED, BAD_FRAGMENT  the session has ended (state
 *                      DISCONNECTED).
 * Works the same on TCP (see the header comment).
 */
int hy_client_send_reliable(struct hy_client *c, uint8_t ver, uint16_t cmd, const void *payload,
			    size_t len);

/* Sends one command unreliable-sequenced on stream (0..255): each stream
 * numbers its messages, and the node acts only on one newer than every
 * one it has seen on that stream (stale or duplicated ones are dropped).
 * Must fit one frame.  Returns 0 or -1 as hy_client_send(). */
int hy_client_send_sequenced(struct hy_client *c, uint8_t stream, uint8_t ver, uint16_t cmd,
			     const void *payload, size_t len);

/* Why the last hy_client_send_reliable() returned -1 (HY_R_OK if it did
 * not). */
enum hy_reason hy_client_send_reason(const struct hy_client *c);

/* The client-clock time (ms) by which hy_client_update() must run for
 * the reliable channel (an ACK or a resend due); UINT64_MAX when nothing
 * waits.  A loop can bound its poll() timeout with it. */
uint64_t hy_client_next_deadline_ms(const struct hy_client *c);

/* Sends the built-in ECHO command carrying client_time (echoed back). */
int hy_client_echo(struct hy_client *c, uint64_t client_time);

/* Pops the oldest received message into *out.  Returns false if none. */
bool hy_client_receive(struct hy_client *c, struct hy_client_message *out);

/* Sends DISCONNECT and enters DISCONNECTED.  UDP: a few copies, since
 * UDP may drop one.  TCP: one record, written as far as the socket takes
 * it without waiting, then the connection is closed.  Harmless in any
 * state. */
void hy_client_disconnect(struct hy_client *c);

/* Moves to a fresh socket (new local port), as a NAT rebinding would; the
 * session continues once the node authenticates a packet from the new
 * address.  Returns 0, or -1 on failure and always on TCP. */
int hy_client_rebind(struct hy_client *c);

/* HY_TRANSPORT_UDP or HY_TRANSPORT_TCP: the transport in use. */
unsigned hy_client_transport(const struct hy_client *c);

/* A line saying why the client ended in ERROR (or, on TCP, why the
 * connection closed without DENY/DISCONNECT), e.g. "connect to
 * 127.0.0.1:7200: Connection refused"; "" if nothing to add. */
const char *hy_client_error(const struct hy_client *c);

enum hy_client_state hy_client_state(const struct hy_client *c);
/* enum hy_close_reason from DENY/DISCONNECT, 0 if none. */
unsigned hy_client_close_reason(const struct hy_client *c);
/* The node state from ACCEPT or the newest echo (enum hy_node_state). */
unsigned hy_client_node_state(const struct hy_client *c);
uint64_t hy_client_sid(const struct hy_client *c);
const struct hy_client_stats *hy_client_stats(const struct hy_client *c);

/*
 * Moving between nodes (docs/protocol.md, "Cluster: moves and redirects").
 * A node sends its client elsewhere in two cases, each time with a fresh
 * ticket for the other node sealed inside the current session:
 *
 * - MOVE (a push, ver 0 cmd 4): the node is draining.  The client follows
 *   by itself: DISCONNECT to the old node, then a new session on the new
 *   one (same transport), all from hy_client_update().
 * - A JOIN of a room another node holds is answered ROOM_REDIRECT.  The
 *   client follows the same way, then sends the JOIN again (reliably) on
 *   the new session; the application gets that JOIN's answer as usual
 *   (HY_ROOM_EV_JOINED or FAILED).  At most opt.max_redirects in a row.
 *
 * While following, hy_client_moving() is true and the state goes through
 * SENDING_CONNECT again (sends fail as before any connect; commands not
 * yet acknowledged by the old node are not carried over).  Messages
 * already received stay in the queue.  Room membership does not move
 * with a MOVE: the room stays on the draining node.
 */
struct hy_client_move {
	unsigned reason;     /* the MOVE's reason (HY_MOVE_DRAIN), or 0 for a room redirect */
	uint64_t room_id;    /* redirect: the room joined on the new node; else 0 */
	uint32_t from_node, to_node;
	uint64_t old_sid, new_sid;
	bool connected;      /* the new session is up (false: it failed; see the state) */
};

/* True once per finished move (the new session CONNECTED, or failed):
 * copies it into *out.  Only the newest is kept (stats count them all). */
bool hy_client_take_move(struct hy_client *c, struct hy_client_move *out);
/* True from a MOVE or redirect until the new session is up or has failed. */
bool hy_client_moving(const struct hy_client *c);
/* The node the current ticket is for (its token's node id; 0 if unknown). */
uint32_t hy_client_node_id(const struct hy_client *c);

/* CLOCK_MONOTONIC in milliseconds, for callers without a clock of their own. */
uint64_t hy_client_now_ms(void);

/* ---- HTTP: tickets from the HTTP tier (libcurl) ---- */

struct hy_auth_options {
	uint32_t connect_timeout_ms; /* TCP/TLS connect to the HTTP tier (default 5000) */
	uint32_t timeout_ms;         /* whole request, connect included (default 10000) */
	size_t max_response;         /* larger replies are refused (default 16 KiB) */
};

/*
 * Asks the HTTP tier for a ticket: `POST {base_url}/v1/auth` with
 * `Authorization: Bearer <app_key>` and the JSON body
 * {"uid": uid, "transport": "udp"|"tcp"}, and reads the reply's ticket
 * (docs/protocol.md, "Tickets"; extra members such as "nodeId" are
 * ignored) into *out.  Blocks for at most opt->timeout_ms: call it from a
 * loading screen or a thread, not from the frame loop.  Redirects are not
 * followed; only http and https URLs are used.
 *
 * Returns 0, or -1 with *out zeroed and a one-line reason in err: the
 * transfer error (refused, timed out, reply too large), or for an HTTP
 * status other than 200 the status and the reply's "error" (and "field")
 * members, or what is wrong with the ticket in a 200 reply.  The app key
 * and the reply are wiped from memory before returning.  Calls
 * curl_global_init() on first use if the program has not: a threaded
 * program should call it itself before starting threads.
 */
int hy_auth_fetch_with(const struct hy_auth_options *opt, const char *base_url,
		       const char *app_key, const char *uid, enum hy_transport t,
		       struct hy_ticket *out, char *err, size_t errlen);

/* hy_auth_fetch_with() with the default options. */
int hy_auth_fetch(const char *base_url, const char *app_key, const char *uid, enum hy_transport t,
		  struct hy_ticket *out, char *err, size_t errlen);

/* ---- Rooms (ver 1 commands; docs/protocol.md, "Rooms and direct messages") ----
 *
 * Thin helpers: each sends one command through hy_client_send() or, with
 * reliable, hy_client_send_reliable(), and returns what that returns.
 * Answers and pushes arrive through hy_client_receive(); hy_room_decode()
 * turns one into a struct hy_room_event.  The encoders are public so a
 * program can batch or inspect the bytes. */

enum hy_room_client_cmd {
	HY_ROOM_CMD_CREATE = 100,
	HY_ROOM_CMD_JOIN = 101,
	HY_ROOM_CMD_LEAVE = 102,
	HY_ROOM_CMD_BROADCAST = 103,
	HY_ROOM_CMD_MESSAGE = 104,
	HY_ROOM_CMD_MEMBER_JOINED = 120,
	HY_ROOM_CMD_MEMBER_LEFT = 121,
	HY_ROOM_CMD_OWNER_CHANGED = 122,
};

/* Largest BROADCAST data the node accepts. */
#define HY_ROOM_BROADCAST_MAX 1024u

/* CREATE parameters; a zero field takes the node's default. */
struct hy_room_create_opts {
	uint16_t max_members; /* 0 or 1..the node's max_members */
	uint8_t allow_empty;  /* 0 no, 1 yes, 2 the node's default */
	uint32_t ttl_s;       /* life once empty (0: default) */
	uint32_t interval_ms; /* broadcast batching interval (0: default) */
};

/* Payload encoders.  Each writes into buf (cap bytes) and returns the
 * length written, or 0 if it does not fit (or, for broadcast, if len is
 * over HY_ROOM_BROADCAST_MAX).  opt NULL: every default (allow_empty 2). */
size_t hy_room_encode_create(uint8_t *buf, size_t cap, const struct hy_room_create_opts *opt);
size_t hy_room_encode_join(uint8_t *buf, size_t cap, uint64_t room_id);
size_t hy_room_encode_broadcast(uint8_t *buf, size_t cap, const void *data, size_t len,
				bool include_self);

/* Send CREATE, JOIN, LEAVE or BROADCAST.  Return 0, or -1 as
 * hy_client_send() / hy_client_send_reliable() (and -1 for an encoding
 * that does not fit: a zero room id is sent anyway, the node refuses it). */
int hy_room_create(struct hy_client *c, const struct hy_room_create_opts *opt, bool reliable);
int hy_room_join(struct hy_client *c, uint64_t room_id, bool reliable);
int hy_room_leave(struct hy_client *c, bool reliable);
int hy_room_broadcast(struct hy_client *c, const void *data, size_t len, bool include_self,
		      bool reliable);

/* BROADCAST flags (docs/protocol.md): the sender gets a copy; no answer
 * comes back when it is relayed (fire and forget: state updates at a tick
 * rate, where the answer would only double the traffic; a refusal is still
 * answered). */
#define HY_ROOM_BROADCAST_SELF 0x01u
#define HY_ROOM_BROADCAST_QUIET 0x02u
/* BROADCAST with flags (HY_ROOM_BROADCAST_*). */
int hy_room_broadcast_flags(struct hy_client *c, const void *data, size_t len, unsigned flags,
			    bool reliable);

enum hy_room_event_kind {
	HY_ROOM_EV_NONE = 0,       /* not a room message (another ver or cmd) */
	HY_ROOM_EV_FAILED,         /* a room command answered BAD or ERR: reason
				    * (ROOM_REDIRECT, a redirect not followed: room_id) */
	HY_ROOM_EV_CREATED,        /* CREATE answered: room_id */
	HY_ROOM_EV_JOINED,         /* JOIN answered: room_id, owner, max_members, members */
	HY_ROOM_EV_LEFT,           /* LEAVE answered: room_id */
	HY_ROOM_EV_SENT,           /* BROADCAST or MESSAGE answered: delivered */
	HY_ROOM_EV_MEMBER_JOINED,  /* push: room_id, sid, members, uid */
	HY_ROOM_EV_MEMBER_LEFT,    /* push: room_id, sid, members, uid */
	HY_ROOM_EV_OWNER_CHANGED,  /* push: room_id, owner (also in sid), uid */
	HY_ROOM_EV_BROADCAST,      /* push: room_id, sid (the sender), data */
	HY_ROOM_EV_MESSAGE,        /* push: room_id, sid (the sender), data */
};

struct hy_room_event {
	enum hy_room_event_kind kind;
	uint16_t cmd;
	enum hy_reason reason; /* FAILED: the node's reason */
	uint64_t room_id;
	uint64_t sid;
	uint64_t owner;
	uint16_t max_members, members, delivered;
	const uint8_t *uid; /* points into the message */
	uint8_t uid_len;
	const uint8_t *data; /* points into the message */
	size_t data_len;
};

/*
 * Decodes one received message m into *out (zeroed first; pointers point
 * into m's payload, valid as long as it is).  Returns HY_R_OK (kind NONE
 * for a message that is not a room answer or push), or the reason a room
 * payload is malformed: TRUNCATED, TRAILING_BYTES or BAD_LENGTH.
 */
enum hy_reason hy_room_decode(const struct hy_client_message *m, struct hy_room_event *out);

#endif /* HAYATE_CLIENT_H */
