/* SPDX-License-Identifier: BSD-3-Clause
 * Reference responder: the node side of the protocol over a kernel UDP
 * socket, written plainly from docs/protocol.md.
 *
 * It is not the product (hayate-dataplane is): it exists so the client
 * library can be tested, and the protocol demonstrated, without DPDK.  It
 * keeps a handful of sessions, answers the handshake with stateless
 * cookies, enforces one session per token, answers ECHO with the client's
 * address, answers any other command with status BAD, and handles
 * DISCONNECT.  Single-threaded, non-blocking; call ref_server_poll().
 */
#ifndef HY_TESTS_REF_SERVER_H
#define HY_TESTS_REF_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/reason.h"
#include "crypto/aead.h"
#include "proto/limits.h"

struct ref_server_config {
	uint32_t node_id;
	uint8_t cluster_key[HY_KEY_LEN];
	uint8_t cluster_key_id;   /* the token key_id this key answers to */
	uint8_t node_state;       /* enum hy_node_state reported in ACCEPT and echoes */
	uint32_t keepalive_ms;    /* told to clients in ACCEPT */
	uint32_t idle_timeout_ms; /* told to clients in ACCEPT; sessions silent this long end */
	unsigned max_sessions;    /* at most REF_SERVER_MAX_SESSIONS */
	enum hy_aead_backend backend;
	/* Optional: called for every datagram received ("in") and sent ("out"). */
	void (*trace)(void *arg, const char *dir, const char *what, size_t len);
	void *trace_arg;
};

#define REF_SERVER_MAX_SESSIONS 64u

struct ref_server_stats {
	uint64_t rx, tx;
	uint64_t challenges, accepts, denies, echoes, disconnects;
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

/* Handles every datagram waiting on the socket, then expires idle sessions. */
void ref_server_poll(struct ref_server *s, uint64_t now_ms);

/* Sends a PUSH (status 255) to every session. Returns how many got it. */
unsigned ref_server_push_all(struct ref_server *s, uint8_t ver, uint16_t cmd, const void *payload,
			     size_t len);

/* Closes every session with a DISCONNECT carrying reason (enum hy_close_reason). */
void ref_server_kick_all(struct ref_server *s, unsigned reason);

#endif /* HY_TESTS_REF_SERVER_H */
