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
#include "rudp/rudp.h"

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
	uint64_t pushes_back; /* pushes of its broadcasts that reached members */
	uint8_t state;        /* enum lg_state */
	uint8_t waiting;      /* a room command is out */
	uint32_t fly_slot;    /* connect: its entry in the generator's in-flight list */
	/* The session's reliable channel, as a client keeps it: it
	 * acknowledges the node's reliable pushes and room notifications (or
	 * the node resends them and, with an unacknowledged unit held, seals
	 * every push on its general path), and carries --reliable broadcasts,
	 * resent until acknowledged. */
	struct hy_rudp rudp;
};

/* A client with these credentials (a minted token or a fetched ticket's):
 * its keys expanded, its reliable channel started in env.  Returns 0 or
 * -1. */
int lg_client_init(struct lg_client *c, const struct hy_credentials *cred,
		   struct hy_rudp_env *env);

/* CONNECT (cookie NULL) or RESPONSE into buf; returns HY_CONNECT_LEN. */
size_t lg_client_hello(const struct lg_client *c, bool response, uint8_t *buf, size_t cap);

/* A DATA packet carrying one command (ver, cmd, payload), in an UNRELIABLE
 * frame or (reliable) queued on the reliable channel, with whatever that
 * channel has ready at now_us (an owed ACK, resends due, the command's
 * RELIABLE frame), sealed at the client's next packet number.  Returns
 * its length; 0 if it does not fit or the channel refused the command. */
size_t lg_client_command(struct lg_client *c, uint8_t ver, uint16_t cmd, const void *payload,
			 size_t len, bool reliable, uint64_t now_us, uint8_t *buf, size_t cap);

/* A DATA packet with only what the reliable channel has due at now_us (an
 * ACK, resends); 0 when nothing is due. */
size_t lg_client_flush(struct lg_client *c, uint64_t now_us, uint8_t *buf, size_t cap);

/* True while the reliable channel holds window units (its env's window):
 * a reliable command now would only wait in the backlog. */
bool lg_client_window_full(const struct lg_client *c, uint32_t window);

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
 * response and push in its frames (reliable ones in order, through the
 * reliable channel, which also takes ACKs).  Returns the number of events, or -1
 * when it did not authenticate.
 */
int lg_client_input(struct lg_client *c, uint8_t *buf, size_t len, uint64_t now_us,
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
