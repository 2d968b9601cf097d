/* SPDX-License-Identifier: BSD-3-Clause
 * hayate-loadgen's clients: many sessions driven from one lcore, each with
 * its own UDP source port (so a reply finds its session by port, no hash),
 * its keys expanded for intel-ipsec-mb, and the few states the benchmark
 * needs (handshake, room, traffic).
 */
#ifndef HY_PERF_LG_CLIENT_H
#define HY_PERF_LG_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/aead.h"
#include "crypto/token.h"

/* Client ports per client IP: sessions beyond take the next address. */
#define LG_PORT_BASE 1024u
#define LG_PORTS_PER_IP 60000u

enum lg_state {
	LG_NEW = 0,       /* token minted, nothing sent */
	LG_CONNECTING,    /* CONNECT sent */
	LG_RESPONDING,    /* RESPONSE sent */
	LG_CONNECTED,
	LG_IN_ROOM,
	LG_DENIED,
};

struct lg_client {
	struct hy_credentials cred;
	struct hy_aead_ctx c2s, s2c;
	uint8_t cookie[24];
	uint64_t pn;          /* next packet number we seal */
	uint64_t room_id;
	uint64_t last_tx_tsc; /* handshake and room command resends */
	uint32_t seq;         /* broadcasts sent */
	uint8_t state;        /* enum lg_state */
	uint8_t waiting;      /* a room command is out */
	uint8_t ack_owed;     /* reliable units arrived since our last ACK */
	uint8_t ack_any;      /* ack_lo..ack_hi hold a run */
	uint32_t fly_slot;    /* connect: its entry in the generator's in-flight list */
	/* The latest run of reliable seqs received (the node's room
	 * notifications are reliable): acknowledged on the next command, as a
	 * client does, or the node resends them and, with an unacknowledged
	 * unit held, seals every push on its general path. */
	uint32_t ack_lo, ack_hi;
};

/* Mints client i's token (uid "lg-<i>") with the cluster key and expands
 * its keys.  Returns 0 or -1. */
int lg_client_init(struct lg_client *c, unsigned i, const struct hy_aead_ctx *cluster,
		   uint8_t key_id, uint32_t node_id, uint64_t expire_at);

/* CONNECT (cookie NULL) or RESPONSE into buf; returns HY_CONNECT_LEN. */
size_t lg_client_hello(const struct lg_client *c, bool response, uint8_t *buf, size_t cap);

/* A DATA packet carrying one command (ver, cmd, payload) in an UNRELIABLE
 * frame, and an ACK when one is owed, sealed at the client's next packet
 * number.  Returns its length, 0 if it does not fit. */
size_t lg_client_command(struct lg_client *c, uint8_t ver, uint16_t cmd, const void *payload,
			 size_t len, uint8_t *buf, size_t cap);

/* What came back for a client, decoded. */
struct lg_event {
	uint8_t kind;      /* LG_EV_* */
	uint8_t status;    /* responses: HY_STATUS_* */
	uint16_t cmd;
	const uint8_t *payload;
	size_t len;
};

enum {
	LG_EV_NONE = 0,
	LG_EV_CHALLENGE,   /* cookie stored */
	LG_EV_ACCEPT,
	LG_EV_DENY,
	LG_EV_MESSAGE,     /* a response or push, in payload (one per call) */
	LG_EV_BAD,         /* did not open */
};

/*
 * Opens one datagram for client c (decrypted in place) and calls on_event
 * for what it carries: a CHALLENGE, an ACCEPT, a DENY/DISCONNECT, or each
 * response and push in its frames.  Returns the number of events, or -1
 * when it did not authenticate.
 */
int lg_client_input(struct lg_client *c, uint8_t *buf, size_t len,
		    void (*on_event)(void *arg, struct lg_client *c, const struct lg_event *ev),
		    void *arg);

/*
 * Client c's own broadcast, come back through a reflector that swaps the
 * addresses (dpdk-testpmd --forward-mode=5tswap): opened in place with its
 * c2s key, *data set to the broadcast's data.  Returns 0, or -1 when it is
 * not such a packet or does not authenticate.
 */
int lg_client_reflected(struct lg_client *c, uint8_t *buf, size_t len, const uint8_t **data,
			size_t *data_len);

#endif /* HY_PERF_LG_CLIENT_H */
