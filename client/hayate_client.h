/* SPDX-License-Identifier: BSD-3-Clause
 * Hayate client library: one connection to a Hayate node over UDP.
 *
 * Non-blocking and poll-driven, to fit a game loop: the library never
 * sleeps and never starts a thread.  The game polls hy_client_fd() for
 * readability (or simply calls hy_client_update() once a frame), passes the
 * current monotonic time in milliseconds, and reads what arrived with
 * hy_client_receive().  One client is not thread-safe; use it from one
 * thread at a time.
 *
 * Lifecycle: hy_client_create() -> hy_client_connect() -> update() until
 * hy_client_state() is CONNECTED (or a terminal state) -> send()/echo()/
 * receive() -> hy_client_disconnect() -> hy_client_destroy().
 *
 * Delivery in this version: commands go out on the unreliable channel;
 * responses and pushes arriving unreliable or unreliable-sequenced are
 * delivered.  Reliable and fragmented frames are counted and dropped until
 * the reliability layer lands (stats.unsupported_frames).
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

/* What the HTTP tier hands a player: credentials plus where to connect. */
struct hy_ticket {
	struct hy_credentials cred;
	char host[256]; /* numeric IPv4/IPv6 address or host name */
	uint16_t port;
};

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
	HY_CLIENT_SENDING_CONNECT,  /* CONNECT sent, waiting for CHALLENGE */
	HY_CLIENT_SENDING_RESPONSE, /* RESPONSE sent, waiting for ACCEPT */
	HY_CLIENT_CONNECTED,
	/* terminal states */
	HY_CLIENT_DISCONNECTED,     /* we or the node closed (close_reason says why) */
	HY_CLIENT_DENIED,           /* the node refused the token (close_reason) */
	HY_CLIENT_TIMED_OUT,        /* no answer to connect, or silence past idle timeout */
	HY_CLIENT_ERROR,            /* local socket error */
};

const char *hy_client_state_name(enum hy_client_state s);

struct hy_client_options {
	uint32_t connect_timeout_ms; /* give up connecting after this (default 5000) */
	uint32_t resend_ms;          /* first CONNECT/RESPONSE resend (default 250), doubling to 1 s */
	uint32_t keepalive_ms;       /* ping when idle this long (default: the node's, from ACCEPT) */
	enum hy_aead_backend backend; /* default HY_AEAD_OPENSSL */
};

/* A response or push from the node.  payload points into the client and is
 * valid until the next hy_client_update() or hy_client_receive(). */
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
	uint64_t unsupported_frames;  /* reliable/fragment frames (not yet handled) */
	uint64_t stale_sequenced;     /* sequenced messages older than the newest */
	uint64_t queue_overflow;      /* messages lost because receive() lagged */
};

/*
 * Creates a client for ticket t (copied) with opt (NULL: defaults).  Opens a
 * non-blocking UDP socket towards t->host:t->port.  Returns NULL with a
 * one-line reason in err on failure (bad address, no socket, AEAD backend
 * unavailable).
 */
struct hy_client *hy_client_create(const struct hy_ticket *t, const struct hy_client_options *opt,
				   char *err, size_t errlen);

/* Wipes keys, closes the socket, frees.  NULL is fine. */
void hy_client_destroy(struct hy_client *c);

/* The socket to poll for POLLIN (changes after hy_client_rebind()). */
int hy_client_fd(const struct hy_client *c);

/* Starts the handshake: sends CONNECT now and keeps resending from update().
 * Returns 0, or -1 if not IDLE. */
int hy_client_connect(struct hy_client *c, uint64_t now_ms);

/* Reads every datagram waiting on the socket, advances the handshake, sends
 * resends and keep-alives, and applies timeouts.  Call it often (each frame). */
void hy_client_update(struct hy_client *c, uint64_t now_ms);

/* Sends one command (ver, cmd, payload) unreliably.  Returns 0, or -1 if
 * not CONNECTED, the payload does not fit one datagram, or the socket
 * refused it. */
int hy_client_send(struct hy_client *c, uint8_t ver, uint16_t cmd, const void *payload, size_t len);

/* Sends the built-in ECHO command carrying client_time (echoed back). */
int hy_client_echo(struct hy_client *c, uint64_t client_time);

/* Pops the oldest received message into *out.  Returns false if none. */
bool hy_client_receive(struct hy_client *c, struct hy_client_message *out);

/* Sends DISCONNECT (a few copies, since UDP may drop one) and enters
 * DISCONNECTED.  Harmless in any state. */
void hy_client_disconnect(struct hy_client *c);

/* Moves to a fresh socket (new local port), as a NAT rebinding would; the
 * session continues once the node authenticates a packet from the new
 * address.  Returns 0 or -1. */
int hy_client_rebind(struct hy_client *c);

enum hy_client_state hy_client_state(const struct hy_client *c);
/* enum hy_close_reason from DENY/DISCONNECT, 0 if none. */
unsigned hy_client_close_reason(const struct hy_client *c);
/* The node state from ACCEPT or the newest echo (enum hy_node_state). */
unsigned hy_client_node_state(const struct hy_client *c);
uint64_t hy_client_sid(const struct hy_client *c);
const struct hy_client_stats *hy_client_stats(const struct hy_client *c);

/* CLOCK_MONOTONIC in milliseconds, for callers without a clock of their own. */
uint64_t hy_client_now_ms(void);

#endif /* HAYATE_CLIENT_H */
