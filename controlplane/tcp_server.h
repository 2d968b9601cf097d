/* SPDX-License-Identifier: BSD-3-Clause
 * The TCP real-time server (docs/protocol.md, "TCP transport"): the same
 * token, packets and encryption as UDP, carried as length-prefixed records
 * on non-blocking TCP connections driven by the control plane's event
 * loop.  Every input is checked in the protocol's order; hostile input
 * (bad length, garbage, a wrong packet type, a packet that does not
 * authenticate) closes the connection and is counted under its reason.
 * Each session runs the reliable channel (shared/rudp) as a UDP session
 * does in the data plane: ACKs, de-duplication, fragments up to
 * max_message, retransmissions, RETRIES_EXHAUSTED and PROTOCOL_ERROR.
 * Single-threaded: everything runs on the loop thread, except reading the
 * counters (atomics).
 */
#ifndef HY_CP_TCP_SERVER_H
#define HY_CP_TCP_SERVER_H

#include <stdint.h>

#include "commands.h"
#include "config/conf.h"
#include "cp.h"
#include "crypto/aead.h"
#include "crypto/keyfile.h"
#include "loop.h"
#include "proto/seal.h"
#include "ring/msg.h" /* enum hy_delivery */

/* A connection that has sent no valid CONNECT within this time is closed. */
#define HY_TCP_FIRST_RECORD_MS 5000u
/* Default cap on a connection's unsent output (slow consumer beyond it). */
#define HY_TCP_OUT_CAP (256u * 1024u)
/* Kernel send buffer of each connection: fixed, so a consumer that stops
 * reading is noticed after a bounded amount of data. */
#define HY_TCP_SNDBUF (64 * 1024)

struct hy_tcp_config {
	struct hy_conf_addr listen;
	uint16_t port;            /* 0: any free port (tests) */
	uint32_t node_id;
	uint32_t keepalive_ms;    /* PING when nothing was sent for this long */
	uint32_t idle_timeout_ms; /* close after this long without a valid record */
	uint64_t ttl_ms;          /* a connection's longest life; 0: none */
	uint32_t max_message;     /* largest reliable message, either way (advertised in
				   * ACCEPT); 0 or over HY_MAX_MESSAGE: HY_MAX_MESSAGE */
	uint32_t reassembly_bytes; /* limits.reassembly_bytes_per_session; 0: 2 x max_message */
	uint32_t rto_min_ms;      /* rudp.*; 0: the reliability layer's defaults */
	uint32_t rto_max_ms;
	uint32_t max_retries;
	size_t rudp_mem;          /* bytes every session's reliable windows may hold together;
				   * 0: max_conns x 2 KiB, within 1..64 MiB (as the data plane) */
	uint32_t max_conns;       /* connections at once; more are accepted and closed */
	uint32_t used_sids;       /* remembered sids (one token, one session) */
	size_t out_cap;           /* unsent output per connection */
	uint32_t first_record_ms;
	/* Cluster keys indexed by key_id (HY_KEYRING_IDS entries, NULL: unknown). */
	const struct hy_aead_ctx *const *keys;
};

struct hy_tcp_ops {
	/* Answers a command (see commands.h). */
	void (*command)(void *arg, const struct hy_cmd_req *req, struct hy_cmd_reply *rep);
	/* A session was opened / closed (for the registry). */
	void (*opened)(void *arg, const struct hy_cp_session *s);
	void (*closed)(void *arg, uint64_t sid);
	void *arg;
};

/* Counters, X(name, description).  Names are stable (metrics). */
#define HY_TCP_COUNTERS(X) \
	X(accepted,           "connections accepted") \
	X(rejected,           "connections closed at once: connection cap reached") \
	X(closed,             "connections closed, any reason") \
	X(sessions_opened,    "sessions opened (ACCEPT sent)") \
	X(sessions_closed,    "sessions closed") \
	X(denies,             "DENY sent (by reason under deny.)") \
	X(client_closed,      "sessions the client ended with DISCONNECT") \
	X(handshake_timeouts, "connections without a valid CONNECT in time") \
	X(idle_timeouts,      "sessions closed for silence") \
	X(ttl_expired,        "sessions closed at the end of their lifetime") \
	X(kicked,             "sessions kicked") \
	X(drained,            "sessions closed by a drain") \
	X(slow_consumer,      "connections closed: unsent output or unacknowledged reliable data over its cap") \
	X(records_in,         "records received") \
	X(records_out,        "records queued for sending") \
	X(commands,           "commands handled") \
	X(keepalives,         "keep-alive PINGs sent") \
	X(hostile,            "connections closed for invalid input (by reason under drop.)") \
	X(reliable_in,        "reliable messages received whole, delivered once and in order") \
	X(reliable_out,       "reliable responses and pushes queued") \
	X(reliable_refused,   "reliable responses and pushes refused (reason under drop.)") \
	X(fragments_in,       "reliable fragments received") \
	X(fragments_out,      "reliable fragments sent (first transmissions)") \
	X(retransmits,        "reliable units sent again") \
	X(acks_in,            "ACK frames received") \
	X(acks_out,           "ACK frames sent") \
	X(duplicates,         "reliable units received again (dropped and acknowledged)") \
	X(window_stalls,      "reliable sends refused: the session's window or byte cap was full") \
	X(reassembly_drops,   "reliable units dropped: receive cap or memory budget") \
	X(rudp_alloc_failures, "reliability memory budget exhausted (a send refused or a unit dropped)") \
	X(rudp_timer_runs,    "sessions served by the reliability timer (resends, lone ACKs)") \
	X(retries_exhausted,  "sessions closed: a reliable unit went unacknowledged") \
	X(protocol_errors,    "sessions closed: inconsistent reliable stream from the client")

enum hy_tcp_counter {
#define HY_TCP_CNT_ENUM(name, text) HY_TCP_C_##name,
	HY_TCP_COUNTERS(HY_TCP_CNT_ENUM)
#undef HY_TCP_CNT_ENUM
	HY_TCP_C_COUNT
};

struct hy_tcp_server;

/* Binds and listens, and registers with the loop.  Returns NULL with a
 * message in err.  cfg->keys must outlive the server. */
struct hy_tcp_server *hy_tcp_server_create(const struct hy_tcp_config *cfg,
					   const struct hy_tcp_ops *ops, struct hy_loop *loop,
					   char *err, size_t errlen);

/* Closes every connection (without DISCONNECT) and the listener.  Safe on
 * NULL. */
void hy_tcp_server_destroy(struct hy_tcp_server *s);

/* The port actually bound (useful with port 0). */
uint16_t hy_tcp_server_port(const struct hy_tcp_server *s);

/* Timers: first-record deadline, idle timeout, TTL, keep-alive, expiry of
 * remembered sids.  Call every ~100 ms.  The reliable channel's timers
 * (retransmissions, delayed ACKs) need millisecond service and do not
 * depend on this call: the server keeps its own timerfd in the loop. */
void hy_tcp_server_tick(struct hy_tcp_server *s, uint64_t now_ms);

/* Node state for new sessions (OFFLINE: DENY NODE_DRAINING) and for ECHO. */
void hy_tcp_server_set_state(struct hy_tcp_server *s, enum hy_node_state st);

/* Sends DISCONNECT with reason and closes the session sid.  Returns 0, or
 * -1 if no TCP session has that sid. */
int hy_tcp_server_kick(struct hy_tcp_server *s, uint64_t sid, enum hy_close_reason reason);

/* Ends every session with DISCONNECT reason.  Returns how many. */
unsigned hy_tcp_server_close_all(struct hy_tcp_server *s, enum hy_close_reason reason);

/*
 * Sends one push (ver, cmd, status PUSH, payload) to TCP session sid on
 * the channel delivery names.  UNRELIABLE and SEQUENCED (stream 0): one
 * frame in a DATA record of its own, so the message must fit one record.
 * RELIABLE: through the session's reliable channel (up to max_message
 * bytes; fragmented, acknowledged, resent, in order with the session's
 * other reliable messages).  Any other value counts as UNRELIABLE.
 * Returns 0; -1 if no open TCP session has that sid, the message is too
 * large for the channel, the reliable channel refused it (counted under
 * tcp.reliable_refused and tcp.drop.<REASON>), or the session ended: its
 * output went over its cap, or its unacknowledged reliable data did
 * (WINDOW_FULL: DISCONNECT SLOW_CONSUMER, since a reliable message is
 * never dropped silently), or it stopped acknowledging.  When the session
 * ends, ops->closed runs before this returns.
 */
int hy_tcp_server_push_delivery(struct hy_tcp_server *s, uint64_t sid, uint8_t ver, uint16_t cmd,
				enum hy_delivery delivery, const uint8_t *payload, size_t len);

/* hy_tcp_server_push_delivery() with delivery UNRELIABLE. */
int hy_tcp_server_push(struct hy_tcp_server *s, uint64_t sid, uint8_t ver, uint16_t cmd,
		       const uint8_t *payload, size_t len);

/* Sessions open now. */
unsigned hy_tcp_server_sessions(const struct hy_tcp_server *s);

/* Counter value (any thread). */
uint64_t hy_tcp_server_counter(const struct hy_tcp_server *s, enum hy_tcp_counter c);

/* Calls cb for every counter as "tcp.<name>", "tcp.drop.<REASON>" and
 * "tcp.deny.<REASON>" (non-zero ones only for the last two).  Any thread. */
void hy_tcp_server_counters(const struct hy_tcp_server *s,
			    void (*cb)(void *arg, const char *name, uint64_t v), void *arg);

#endif /* HY_CP_TCP_SERVER_H */
