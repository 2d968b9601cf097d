/* SPDX-License-Identifier: BSD-3-Clause
 * Test harness for the session engine: EAL without hugepages, recording
 * ops, and a minimal client built from the shared codecs (the client seals
 * with OpenSSL, the engine with intel-ipsec-mb, so every exchange also
 * checks that the two backends agree).
 */
#ifndef HY_TESTS_SESS_HARNESS_H
#define HY_TESTS_SESS_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>

#include "engine.h"

#include "common/wire.h"
#include "crypto/replay.h"
#include "crypto/token.h"
#include "proto/frame.h"
#include "proto/message.h"
#include "proto/packet.h"
#include "proto/seal.h"

#define T_NODE 7u
#define T_KEY_ID 3u
#define T_T0_MS 1700000000000ull /* fake clock start, unix ms */
#define T_MAX_TX 64u
#define T_MAX_EV 64u

/* Starts EAL once per process, without hugepages, PCI or shared files,
 * on one lcore and without the telemetry thread: Check forks each test,
 * and a thread allocating at the moment of a fork can leave the child's
 * allocator locked (seen under ASan), so the fewer threads the better. */
static inline int harness_eal_init(const char *prog)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=hy-sess-%d", (int)getpid());
	char *argv[] = {(char *)prog, "-l", "0", "--no-telemetry", "--no-huge", "-m", "512",
			"--no-pci", "--no-shconf", prefix, "--log-level=lib.eal:error", NULL};
	return rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv);
}

struct rec_pkt {
	struct hy_peer to;
	uint16_t len;
	uint8_t b[HY_MAX_DATAGRAM];
};

struct rec_cmd {
	uint64_t sid;
	uint8_t ver;
	uint16_t cmd;
	enum hy_engine_delivery d;
	uint32_t len;
	uint8_t payload[64];
};

/* Everything the engine handed to its ops. */
struct recorder {
	bool refuse; /* every op returns -1 */
	bool busy;   /* can_open says no: the control plane is behind */
	unsigned n_tx, n_opened, n_closed, n_cmd;
	struct rec_pkt tx[T_MAX_TX];
	struct hy_engine_session_info opened[T_MAX_EV];
	uint64_t closed_sid[T_MAX_EV];
	enum hy_close_reason closed_why[T_MAX_EV];
	struct rec_cmd cmd[T_MAX_EV];
};

static inline bool rec_can_open(void *arg)
{
	return !((struct recorder *)arg)->busy;
}

static inline int rec_opened(void *arg, const struct hy_engine_session_info *s)
{
	struct recorder *r = arg;
	if (r->refuse)
		return -1;
	if (r->n_opened < T_MAX_EV)
		r->opened[r->n_opened] = *s;
	r->n_opened++;
	return 0;
}

static inline int rec_closed(void *arg, const struct hy_engine_session_info *s,
			     enum hy_close_reason why)
{
	struct recorder *r = arg;
	if (r->refuse)
		return -1;
	if (r->n_closed < T_MAX_EV) {
		r->closed_sid[r->n_closed] = s->sid;
		r->closed_why[r->n_closed] = why;
	}
	r->n_closed++;
	return 0;
}

static inline int rec_command(void *arg, uint64_t sid, uint8_t ver, uint16_t cmd,
			      enum hy_engine_delivery d, const uint8_t *payload, uint32_t len)
{
	struct recorder *r = arg;
	if (r->refuse)
		return -1;
	if (r->n_cmd < T_MAX_EV) {
		struct rec_cmd *c = &r->cmd[r->n_cmd];
		c->sid = sid;
		c->ver = ver;
		c->cmd = cmd;
		c->d = d;
		c->len = len;
		memcpy(c->payload, payload, len < sizeof(c->payload) ? len : sizeof(c->payload));
	}
	r->n_cmd++;
	return 0;
}

static inline int rec_tx(void *arg, const struct hy_peer *to, const uint8_t *pkt, uint16_t len)
{
	struct recorder *r = arg;
	if (r->refuse)
		return -1;
	if (r->n_tx < T_MAX_TX) {
		r->tx[r->n_tx].to = *to;
		r->tx[r->n_tx].len = len;
		memcpy(r->tx[r->n_tx].b, pkt, len);
	}
	r->n_tx++;
	return 0;
}

static const struct hy_engine_ops rec_ops = {
	.can_open = rec_can_open,
	.session_opened = rec_opened,
	.session_closed = rec_closed,
	.command = rec_command,
	.tx = rec_tx,
};

/* Node-wide state for tests: one cluster key under T_KEY_ID. */
struct harness_node {
	struct hy_engine_shared sh;
	struct hy_aead_ctx cluster;      /* ipsec-mb, for the engine */
	struct hy_aead_ctx cluster_mint; /* OpenSSL, for minting */
};

static inline int harness_node_init(struct harness_node *n, uint64_t now_ms)
{
	uint8_t k[HY_KEY_LEN];
	for (unsigned i = 0; i < sizeof(k); i++)
		k[i] = (uint8_t)(0xc0 + i);
	if (hy_engine_shared_init(&n->sh, HY_AEAD_IPSECMB, now_ms) < 0 ||
	    hy_aead_key_init(&n->cluster, HY_AEAD_IPSECMB, k) < 0 ||
	    hy_aead_key_init(&n->cluster_mint, HY_AEAD_OPENSSL, k) < 0)
		return -1;
	hy_engine_shared_set_cluster_key(&n->sh, T_KEY_ID, &n->cluster);
	return 0;
}

static inline struct hy_engine_config harness_config(struct harness_node *n, struct recorder *r,
						     uint32_t max_sessions)
{
	struct hy_engine_config c = {
		.node_id = T_NODE,
		.worker_id = 0,
		.n_workers = 1,
		.socket_id = -1,
		.max_sessions = max_sessions,
		.idle_timeout_ms = 10000,
		.keepalive_ms = 1000,
		.backend = HY_AEAD_IPSECMB,
		.shared = &n->sh,
		.ops = &rec_ops,
		.ops_arg = r,
	};
	return c;
}

/* A client: credentials, keys, packet numbers, replay window, address. */
struct tclient {
	struct hy_credentials cred;
	struct hy_aead_ctx c2s, s2c;
	uint64_t pn;
	struct hy_replay rx;
	struct hy_peer peer;
};

static inline void make_peer4(struct hy_peer *p, uint8_t last, uint16_t port)
{
	memset(p, 0, sizeof(*p));
	p->family = 4;
	p->addr[0] = 198;
	p->addr[1] = 18;
	p->addr[2] = 0;
	p->addr[3] = last;
	p->port = port;
	p->l2[0] = last; /* opaque to the engine, must travel with the address */
}

static inline int tclient_init(struct tclient *c, const struct harness_node *n, uint32_t node,
			       uint8_t key_id, uint64_t expire_at, const char *uid, uint8_t last,
			       uint16_t port)
{
	memset(c, 0, sizeof(*c));
	if (hy_token_mint(&n->cluster_mint, key_id, node, expire_at, uid, HY_TRANSPORT_UDP,
			  &c->cred) < 0 ||
	    hy_aead_key_init(&c->c2s, HY_AEAD_OPENSSL, c->cred.c2s_key) < 0 ||
	    hy_aead_key_init(&c->s2c, HY_AEAD_OPENSSL, c->cred.s2c_key) < 0)
		return -1;
	hy_replay_init(&c->rx);
	make_peer4(&c->peer, last, port);
	return 0;
}

/* CONNECT (cookie NULL) or RESPONSE into buf; returns 256. */
static inline uint16_t tclient_hello(const struct tclient *c, const uint8_t *cookie, uint8_t *buf,
				     size_t cap)
{
	struct hy_pkt_connect p = {.type = cookie ? HY_PKT_RESPONSE : HY_PKT_CONNECT};
	memcpy(p.token, c->cred.token, HY_TOKEN_LEN);
	if (cookie)
		memcpy(p.cookie, cookie, HY_COOKIE_LEN);
	return (uint16_t)hy_pkt_connect_encode(buf, cap, &p);
}

/* Seals a DATA (or DISCONNECT) packet with plaintext pt at the next pn. */
static inline uint16_t tclient_seal(struct tclient *c, enum hy_pkt_type type, const uint8_t *pt,
				    size_t len, uint8_t *buf, size_t cap)
{
	return (uint16_t)hy_pkt_seal(&c->c2s, type, c->cred.sid, c->pn++, pt, len, buf, cap);
}

/* A DATA packet carrying one command in one frame of the given type. */
static inline uint16_t tclient_command(struct tclient *c, enum hy_frame_type ft, uint8_t ver,
				       uint16_t cmd, const void *payload, size_t plen,
				       uint8_t *buf, size_t cap)
{
	uint8_t msg[256], pt[HY_MAX_PAYLOAD];
	struct hy_wr w;
	size_t m = hy_msg_cmd_encode(msg, sizeof(msg), ver, cmd, payload, plen);
	bool ok = false;

	hy_wr_init(&w, pt, sizeof(pt));
	if (ft == HY_FRAME_UNRELIABLE)
		ok = hy_frame_put_unreliable(&w, msg, m);
	else if (ft == HY_FRAME_SEQUENCED)
		ok = hy_frame_put_sequenced(&w, 0, (uint32_t)c->pn, msg, m);
	else if (ft == HY_FRAME_RELIABLE)
		ok = hy_frame_put_reliable(&w, 0, msg, m);
	if (!ok || m == 0)
		return 0;
	return tclient_seal(c, HY_PKT_DATA, pt, w.off, buf, cap);
}

static inline uint16_t tclient_echo(struct tclient *c, uint64_t client_time, uint8_t *buf,
				    size_t cap)
{
	uint8_t req[HY_ECHO_REQ_LEN];
	hy_echo_req_encode(req, sizeof(req), client_time);
	return tclient_command(c, HY_FRAME_UNRELIABLE, 0, HY_CMD_ECHO, req, sizeof(req), buf, cap);
}

/* Opens a server packet with the client's keys (replay window applied). */
static inline enum hy_reason tclient_open(struct tclient *c, const uint8_t *pkt, size_t len,
					  struct hy_pkt_header *h, uint8_t *pt, size_t *pt_len)
{
	enum hy_reason r = hy_pkt_header_decode(pkt, len, h);
	if (r != HY_R_OK)
		return r;
	if ((r = hy_replay_check(&c->rx, h->pn)) != HY_R_OK)
		return r;
	r = hy_pkt_open(&c->s2c, pkt, len, h, pt, HY_MAX_PAYLOAD, pt_len);
	if (r == HY_R_OK)
		hy_replay_mark(&c->rx, h->pn);
	return r;
}

#endif /* HY_TESTS_SESS_HARNESS_H */
