/* SPDX-License-Identifier: BSD-3-Clause
 * Reference responder: the node side of the protocol over a kernel UDP
 * socket and, optionally, the TCP transport over kernel TCP, written
 * plainly from docs/protocol.md.
 *
 * It is not the product (hayate-dataplane and the control plane's TCP
 * server are): it exists so the client library can be tested, and the
 * protocol demonstrated, without DPDK.  It keeps a handful of sessions,
 * answers the UDP handshake with stateless cookies and the TCP one (a
 * CONNECT record) directly, enforces one session per token across both,
 * answers ECHO with the client's address, answers any other command with
 * status BAD, and handles DISCONNECT.  Every session embeds the
 * reliability layer (shared/rudp) as the client does: reliable commands
 * are delivered in order once, answered on the reliable channel, and the
 * reliable application commands below exist for tests.  Single-threaded, non-blocking; call
 * ref_server_poll() when ref_server_pollfds() says so (or every few ms).
 */
#ifndef HY_TESTS_REF_SERVER_H
#define HY_TESTS_REF_SERVER_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/reason.h"
#include "crypto/aead.h"
#include "proto/limits.h"
#include "rudp/rudp.h"

/* Application commands (ver REF_APP_VER) the responder understands. */
#define REF_APP_VER 2u
#define REF_CMD_RELIABLE_ECHO 0xfe01u /* answered with the same payload, status OK, on the
				  * channel it came on (reliable: reliably) */
#define REF_CMD_SINK 0xfe02u     /* not answered; passed to on_message */

struct ref_server_config {
	uint32_t node_id;
	uint8_t cluster_key[HY_KEY_LEN];
	uint8_t cluster_key_id;   /* the token key_id this key answers to */
	uint8_t node_state;       /* enum hy_node_state reported in ACCEPT and echoes */
	uint32_t keepalive_ms;    /* told to clients in ACCEPT */
	uint32_t idle_timeout_ms; /* told to clients in ACCEPT; sessions silent this long end */
	unsigned max_sessions;    /* at most REF_SERVER_MAX_SESSIONS */
	enum hy_aead_backend backend;
	/* TCP test mode: write at most one byte per connection per
	 * ref_server_poll(), so a client sees every record in pieces. */
	bool tcp_bytewise;
	/* Optional: called for every datagram received ("in") and sent ("out"). */
	void (*trace)(void *arg, const char *dir, const char *what, size_t len);
	void *trace_arg;
	/* Optional: called for every command of ver REF_APP_VER received, with
	 * its channel (reliable or not), in the order delivered. */
	void (*on_message)(void *arg, uint64_t sid, bool reliable, uint16_t cmd,
			   const uint8_t *payload, size_t len);
	void *on_message_arg;
	/* Reliable channel settings (0: defaults), as struct hy_rudp_config. */
	uint32_t rto_min_ms, rto_max_ms, max_retries;
};

#define REF_SERVER_MAX_SESSIONS 64u
#define REF_SERVER_MAX_TCP 16u            /* TCP connections at once */
#define REF_SERVER_TCP_OUT_CAP (32u * 1024u) /* unsent bytes per connection */
#define REF_SERVER_TCP_HANDSHAKE_MS 5000u /* a connection must send CONNECT by then */

struct ref_server_stats {
	uint64_t rx, tx; /* datagrams and records */
	uint64_t challenges, accepts, denies, echoes, disconnects;
	uint64_t tcp_accepted, tcp_closed, tcp_slow_consumer;
	uint64_t reliable_refused;  /* reliable answers/pushes refused (window full) */
	uint64_t stale_sequenced;   /* sequenced commands older than the newest */
	uint64_t rudp_closed;       /* sessions closed: RETRIES_EXHAUSTED or PROTOCOL_ERROR */
	uint64_t dropped_by_reason[HY_R_COUNT];
};

/* Binds a UDP socket on bind_addr:port (port 0: any free port). Returns
 * NULL with errno set on failure. */
struct ref_server *ref_server_create(const struct ref_server_config *cfg, const char *bind_addr,
				     uint16_t port);
void ref_server_destroy(struct ref_server *s);

int ref_server_fd(const struct ref_server *s);
uint16_t ref_server_port(const struct ref_server *s);
unsigned ref_server_sessions(const struct ref_server *s);
const struct ref_server_stats *ref_server_stats(const struct ref_server *s);

/* Also serves the TCP transport on bind_addr:port (0: any free port).
 * Returns 0, or -1 with errno set. */
int ref_server_listen_tcp(struct ref_server *s, const char *bind_addr, uint16_t port);
uint16_t ref_server_tcp_port(const struct ref_server *s); /* 0 if not listening */
unsigned ref_server_tcp_connections(const struct ref_server *s);

/* TCP test mode: while stalled the responder reads nothing from its
 * connections (a node that stops reading: the client's output backs up). */
void ref_server_tcp_stall(struct ref_server *s, bool stall);

/* Fills pfd with the sockets to wait on (UDP, TCP listener, connections;
 * POLLOUT where output waits).  Returns how many were filled (<= cap). */
unsigned ref_server_pollfds(const struct ref_server *s, struct pollfd *pfd, unsigned cap);

/* Handles every datagram waiting on the socket, accepts TCP connections,
 * reads and writes their records, then expires idle sessions. */
void ref_server_poll(struct ref_server *s, uint64_t now_ms);

/* Sends a PUSH (status 255) to every session. Returns how many got it. */
unsigned ref_server_push_all(struct ref_server *s, uint8_t ver, uint16_t cmd, const void *payload,
			     size_t len);

/* Queues a reliable PUSH (status 255; up to HY_MAX_MESSAGE bytes with its
 * 4-byte header) to every session and sends what the windows allow.
 * Returns how many sessions took it (a full window refuses: try later). */
unsigned ref_server_push_reliable(struct ref_server *s, uint8_t ver, uint16_t cmd,
				  const void *payload, size_t len);

/* Sends an unreliable-sequenced PUSH with the given stream and seq to
 * every session (tests pick the seqs).  Returns how many got it. */
unsigned ref_server_push_sequenced(struct ref_server *s, uint8_t stream, uint32_t seq, uint8_t ver,
				   uint16_t cmd, const void *payload, size_t len);

/* Test mode: while muted the responder ignores ACK, RELIABLE and FRAGMENT
 * frames, as a node that stopped acknowledging. */
void ref_server_rudp_mute(struct ref_server *s, bool mute);

/* The reliability layer's counters over all sessions. */
const struct hy_rudp_stats *ref_server_rudp_stats(const struct ref_server *s);

/* Closes every session with a DISCONNECT carrying reason (enum hy_close_reason). */
void ref_server_kick_all(struct ref_server *s, unsigned reason);

#endif /* HY_TESTS_REF_SERVER_H */
