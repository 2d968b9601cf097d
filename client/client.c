/* SPDX-License-Identifier: BSD-3-Clause
 * Hayate client: handshake state machine and UDP transport.
 *
 * The order of checks on a received datagram follows docs/protocol.md:
 * classify (version, type, size) -> header -> session id -> replay window
 * -> AEAD open -> replay mark -> body.  Every drop is counted by reason.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hayate_client.h"

#include "common/wire.h"
#include "crypto/replay.h"
#include "proto/frame.h"
#include "proto/message.h"
#include "proto/packet.h"
#include "proto/seal.h"

#define CLIENT_QUEUE_LEN 64u         /* received messages held for receive() */
#define CLIENT_DISCONNECT_COPIES 3u  /* DISCONNECT is sent redundantly */
#define CLIENT_SEQ_STREAMS 256u

struct client_slot {
	struct hy_client_message msg;
	uint8_t buf[HY_MAX_PAYLOAD];
};

struct hy_client {
	struct hy_ticket ticket;
	struct hy_client_options opt;
	struct sockaddr_storage server;
	socklen_t server_len;
	int fd;

	enum hy_client_state state;
	unsigned close_reason;
	unsigned node_state;
	uint64_t started_ms;   /* hy_client_connect() time */
	uint64_t last_send_ms; /* last datagram sent */
	uint64_t last_recv_ms; /* last datagram that authenticated */
	uint64_t now_ms;       /* time of the latest update */

	uint8_t cookie[HY_COOKIE_LEN];
	unsigned resends;      /* of the current handshake packet, for back-off */
	uint32_t keepalive_ms;
	uint32_t idle_timeout_ms;

	struct hy_aead_ctx tx_key; /* client -> server */
	struct hy_aead_ctx rx_key; /* server -> client */
	uint64_t next_pn;
	struct hy_replay replay;

	/* newest sequence number seen per sequenced stream */
	uint32_t seq_newest[CLIENT_SEQ_STREAMS];
	uint8_t seq_seen[CLIENT_SEQ_STREAMS];

	struct client_slot queue[CLIENT_QUEUE_LEN];
	unsigned q_head, q_count;

	struct hy_client_stats stats;
	uint8_t pkt[HY_MAX_DATAGRAM + 1]; /* +1: detect oversized datagrams */
};

static const char *const state_names[] = {
	[HY_CLIENT_IDLE] = "IDLE",
	[HY_CLIENT_SENDING_CONNECT] = "SENDING_CONNECT",
	[HY_CLIENT_SENDING_RESPONSE] = "SENDING_RESPONSE",
	[HY_CLIENT_CONNECTED] = "CONNECTED",
	[HY_CLIENT_DISCONNECTED] = "DISCONNECTED",
	[HY_CLIENT_DENIED] = "DENIED",
	[HY_CLIENT_TIMED_OUT] = "TIMED_OUT",
	[HY_CLIENT_ERROR] = "ERROR",
};

const char *hy_client_state_name(enum hy_client_state s)
{
	if ((unsigned)s < sizeof(state_names) / sizeof(state_names[0]) && state_names[s])
		return state_names[s];
	return "UNKNOWN";
}

uint64_t hy_client_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool is_terminal(enum hy_client_state s)
{
	return s >= HY_CLIENT_DISCONNECTED;
}

static void drop(struct hy_client *c, enum hy_reason r)
{
	c->stats.rx_dropped++;
	c->stats.rx_dropped_by_reason[(unsigned)r < HY_R_COUNT ? r : 0]++;
}

static int open_socket(struct hy_client *c)
{
	int fd = socket(c->server.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* A connected UDP socket only receives from the node: datagrams from
	 * anyone else never reach us. */
	if (connect(fd, (struct sockaddr *)&c->server, c->server_len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int resolve(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	char portstr[8];

	snprintf(portstr, sizeof(portstr), "%u", port);
	int rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0 || res == NULL)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

struct hy_client *hy_client_create(const struct hy_ticket *t, const struct hy_client_options *opt,
				   char *err, size_t errlen)
{
	struct hy_client *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->ticket = *t;
	c->opt = opt ? *opt : (struct hy_client_options){0};
	if (c->opt.connect_timeout_ms == 0)
		c->opt.connect_timeout_ms = 5000;
	if (c->opt.resend_ms == 0)
		c->opt.resend_ms = 250;
	c->fd = -1;

	if (t->cred.sid == 0) {
		snprintf(err, errlen, "ticket has no session id");
		goto fail;
	}
	if (t->port == 0 || resolve(t->host, t->port, &c->server, &c->server_len) < 0) {
		snprintf(err, errlen, "cannot resolve node address '%s' port %u", t->host, t->port);
		goto fail;
	}
	if (hy_aead_key_init(&c->tx_key, c->opt.backend, t->cred.c2s_key) < 0 ||
	    hy_aead_key_init(&c->rx_key, c->opt.backend, t->cred.s2c_key) < 0) {
		snprintf(err, errlen, "AEAD backend %s unavailable", hy_aead_backend_name(c->opt.backend));
		goto fail;
	}
	c->fd = open_socket(c);
	if (c->fd < 0) {
		snprintf(err, errlen, "udp socket to %s:%u: %s", t->host, t->port, strerror(errno));
		goto fail;
	}
	hy_replay_init(&c->replay);
	return c;
fail:
	hy_client_destroy(c);
	return NULL;
}

void hy_client_destroy(struct hy_client *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	hy_aead_key_wipe(&c->tx_key);
	hy_aead_key_wipe(&c->rx_key);
	explicit_bzero(&c->ticket, sizeof(c->ticket));
	free(c);
}

int hy_client_fd(const struct hy_client *c) { return c->fd; }
enum hy_client_state hy_client_state(const struct hy_client *c) { return c->state; }
unsigned hy_client_close_reason(const struct hy_client *c) { return c->close_reason; }
unsigned hy_client_node_state(const struct hy_client *c) { return c->node_state; }
uint64_t hy_client_sid(const struct hy_client *c) { return c->ticket.cred.sid; }
const struct hy_client_stats *hy_client_stats(const struct hy_client *c) { return &c->stats; }

static int send_datagram(struct hy_client *c, const uint8_t *buf, size_t len)
{
	ssize_t n = send(c->fd, buf, len, 0);
	if (n < 0) {
		/* A full socket buffer is loss, as on the wire; anything else
		 * (e.g. ICMP port unreachable reported back) is not fatal either
		 * for a datagram protocol: timeouts decide. */
		return -1;
	}
	c->stats.tx_packets++;
	c->stats.tx_bytes += (uint64_t)n;
	c->last_send_ms = c->now_ms;
	return 0;
}

static void send_connect(struct hy_client *c, enum hy_pkt_type type)
{
	struct hy_pkt_connect p = {.type = type};
	uint8_t out[HY_CONNECT_LEN];

	memcpy(p.token, c->ticket.cred.token, HY_TOKEN_LEN);
	if (type == HY_PKT_RESPONSE)
		memcpy(p.cookie, c->cookie, HY_COOKIE_LEN);
	size_t n = hy_pkt_connect_encode(out, sizeof(out), &p);
	if (n)
		send_datagram(c, out, n);
}

/* Seals plaintext pt as a packet of the given type and sends it. */
static int send_sealed(struct hy_client *c, enum hy_pkt_type type, const uint8_t *pt, size_t len)
{
	uint8_t out[HY_MAX_DATAGRAM];
	size_t n = hy_pkt_seal(&c->tx_key, type, c->ticket.cred.sid, c->next_pn, pt, len, out,
			       sizeof(out));
	if (n == 0)
		return -1;
	c->next_pn++;
	return send_datagram(c, out, n);
}

int hy_client_connect(struct hy_client *c, uint64_t now_ms)
{
	if (c->state != HY_CLIENT_IDLE)
		return -1;
	c->now_ms = now_ms;
	c->started_ms = now_ms;
	c->state = HY_CLIENT_SENDING_CONNECT;
	send_connect(c, HY_PKT_CONNECT);
	return 0;
}

int hy_client_send(struct hy_client *c, uint8_t ver, uint16_t cmd, const void *payload, size_t len)
{
	uint8_t msg[HY_FRAME_MAX_UNRELIABLE];
	uint8_t pt[HY_MAX_PAYLOAD];
	struct hy_wr w;

	if (c->state != HY_CLIENT_CONNECTED)
		return -1;
	size_t mlen = hy_msg_cmd_encode(msg, sizeof(msg), ver, cmd, payload, len);
	if (mlen == 0)
		return -1;
	hy_wr_init(&w, pt, sizeof(pt));
	if (!hy_frame_put_unreliable(&w, msg, mlen))
		return -1;
	return send_sealed(c, HY_PKT_DATA, pt, w.off);
}

int hy_client_echo(struct hy_client *c, uint64_t client_time)
{
	uint8_t payload[HY_ECHO_REQ_LEN];
	size_t n = hy_echo_req_encode(payload, sizeof(payload), client_time);
	return n ? hy_client_send(c, HY_MSG_VER_TRANSPORT, HY_CMD_ECHO, payload, n) : -1;
}

bool hy_client_receive(struct hy_client *c, struct hy_client_message *out)
{
	if (c->q_count == 0)
		return false;
	*out = c->queue[c->q_head].msg;
	c->q_head = (c->q_head + 1) % CLIENT_QUEUE_LEN;
	c->q_count--;
	return true;
}

void hy_client_disconnect(struct hy_client *c)
{
	if (c->state == HY_CLIENT_CONNECTED) {
		uint8_t body[HY_DISCONNECT_BODY_LEN];
		size_t n = hy_close_encode(body, sizeof(body), HY_CLOSE_CLIENT_CLOSED);
		for (unsigned i = 0; n && i < CLIENT_DISCONNECT_COPIES; i++)
			send_sealed(c, HY_PKT_DISCONNECT, body, n);
	}
	if (!is_terminal(c->state)) {
		c->state = HY_CLIENT_DISCONNECTED;
		c->close_reason = HY_CLOSE_CLIENT_CLOSED;
	}
}

int hy_client_rebind(struct hy_client *c)
{
	int fd = open_socket(c);
	if (fd < 0)
		return -1;
	close(c->fd);
	c->fd = fd;
	return 0;
}

static void queue_message(struct hy_client *c, const struct hy_msg *m)
{
	if (c->q_count == CLIENT_QUEUE_LEN) {
		c->stats.queue_overflow++;
		return;
	}
	struct client_slot *s = &c->queue[(c->q_head + c->q_count) % CLIENT_QUEUE_LEN];
	if (m->len > sizeof(s->buf)) { /* cannot happen: a frame fits a datagram */
		c->stats.queue_overflow++;
		return;
	}
	memcpy(s->buf, m->payload, m->len);
	s->msg = (struct hy_client_message){
		.ver = m->ver, .cmd = m->cmd, .status = m->status, .payload = s->buf, .len = m->len};
	c->q_count++;
	c->stats.rx_delivered++;

	if (m->ver == HY_MSG_VER_TRANSPORT && m->cmd == HY_CMD_ECHO && m->status == HY_STATUS_OK) {
		struct hy_echo_resp er;
		if (hy_echo_resp_decode(m->payload, m->len, &er) == HY_R_OK)
			c->node_state = er.node_state;
	}
}

/* Newest-wins filter for a sequenced stream; wrap-aware (serial number
 * arithmetic over u32, as RFC 1982). */
static bool sequenced_is_fresh(struct hy_client *c, uint8_t stream, uint32_t seq)
{
	if (c->seq_seen[stream] && (int32_t)(seq - c->seq_newest[stream]) <= 0)
		return false;
	c->seq_seen[stream] = 1;
	c->seq_newest[stream] = seq;
	return true;
}

static void handle_data(struct hy_client *c, const uint8_t *pt, size_t len)
{
	enum hy_reason r = hy_frames_validate(pt, len);
	if (r != HY_R_OK) {
		drop(c, r);
		return;
	}
	struct hy_rd rd;
	struct hy_frame f;
	hy_rd_init(&rd, pt, len);
	while (hy_rd_left(&rd) && hy_frame_next(&rd, &f) == HY_R_OK) {
		struct hy_msg m;
		switch (f.type) {
		case HY_FRAME_SEQUENCED:
			if (!sequenced_is_fresh(c, f.stream, f.seq)) {
				c->stats.stale_sequenced++;
				break;
			}
			/* fall through */
		case HY_FRAME_UNRELIABLE:
			r = hy_msg_resp_decode(f.data, f.len, &m);
			if (r == HY_R_OK)
				queue_message(c, &m);
			else
				drop(c, r);
			break;
		case HY_FRAME_RELIABLE:
		case HY_FRAME_FRAGMENT:
			c->stats.unsupported_frames++;
			break;
		default: /* ACK and PING need no answer from an unreliable client */
			break;
		}
	}
}

static void handle_sealed(struct hy_client *c, uint8_t *buf, size_t len)
{
	struct hy_pkt_header h;
	enum hy_reason r = hy_pkt_header_decode(buf, len, &h);
	if (r != HY_R_OK)
		goto dropped;
	if (h.sid != c->ticket.cred.sid) {
		r = HY_R_UNKNOWN_SESSION; /* not our session */
		goto dropped;
	}
	r = hy_replay_check(&c->replay, h.pn);
	if (r != HY_R_OK)
		goto dropped;
	size_t pt_len;
	r = hy_pkt_open_inplace(&c->rx_key, buf, len, &h, &pt_len);
	if (r != HY_R_OK)
		goto dropped;
	hy_replay_mark(&c->replay, h.pn);
	c->last_recv_ms = c->now_ms;
	const uint8_t *pt = buf + HY_DATA_HEADER_LEN;

	switch (h.type) {
	case HY_PKT_ACCEPT: {
		struct hy_accept a;
		if (c->state != HY_CLIENT_SENDING_RESPONSE)
			return; /* duplicate ACCEPT: harmless */
		r = hy_accept_decode(pt, pt_len, &a);
		if (r != HY_R_OK)
			goto dropped;
		c->keepalive_ms = c->opt.keepalive_ms ? c->opt.keepalive_ms : a.keepalive_ms;
		c->idle_timeout_ms = a.idle_timeout_ms;
		c->node_state = a.node_state;
		c->state = HY_CLIENT_CONNECTED;
		return;
	}
	case HY_PKT_DENY:
	case HY_PKT_DISCONNECT: {
		enum hy_close_reason why;
		r = hy_close_decode(pt, pt_len, &why);
		if (r != HY_R_OK)
			goto dropped;
		/* DENY answers RESPONSE: after ACCEPT it is ignored. */
		if (is_terminal(c->state) ||
		    (h.type == HY_PKT_DENY && c->state == HY_CLIENT_CONNECTED))
			return;
		c->state = h.type == HY_PKT_DENY ? HY_CLIENT_DENIED : HY_CLIENT_DISCONNECTED;
		c->close_reason = why;
		return;
	}
	case HY_PKT_DATA:
		if (c->state != HY_CLIENT_CONNECTED) {
			r = HY_R_BAD_TYPE; /* data before ACCEPT */
			goto dropped;
		}
		handle_data(c, pt, pt_len);
		return;
	default:
		r = HY_R_BAD_TYPE;
		goto dropped;
	}
dropped:
	drop(c, r);
}

static void handle_datagram(struct hy_client *c, uint8_t *buf, size_t len)
{
	enum hy_pkt_type type;
	enum hy_reason r = len > HY_MAX_DATAGRAM ? HY_R_OVERSIZED : hy_pkt_classify(buf, len, &type);
	if (r != HY_R_OK) {
		drop(c, r);
		return;
	}
	if (type == HY_PKT_CHALLENGE) {
		struct hy_pkt_challenge ch;
		r = hy_pkt_challenge_decode(buf, len, &ch);
		if (r != HY_R_OK) {
			drop(c, r);
			return;
		}
		/* A CHALLENGE is unauthenticated: accept one only while waiting
		 * for it.  A forged one at worst makes the node drop our
		 * RESPONSE, and the resend timer tries again. */
		if (c->state == HY_CLIENT_SENDING_CONNECT) {
			memcpy(c->cookie, ch.cookie, HY_COOKIE_LEN);
			c->state = HY_CLIENT_SENDING_RESPONSE;
			c->resends = 0;
			send_connect(c, HY_PKT_RESPONSE);
		}
		return;
	}
	if (!hy_pkt_type_is_sealed(type)) {
		drop(c, HY_R_BAD_TYPE); /* CONNECT/RESPONSE never go to a client */
		return;
	}
	handle_sealed(c, buf, len);
}

static void read_socket(struct hy_client *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->pkt, sizeof(c->pkt), MSG_TRUNC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED) {
				c->state = HY_CLIENT_ERROR;
			}
			return;
		}
		c->stats.rx_packets++;
		c->stats.rx_bytes += (uint64_t)n;
		/* MSG_TRUNC reports the real length: anything longer than our
		 * buffer is oversized and refused whole. */
		handle_datagram(c, c->pkt, (size_t)n > sizeof(c->pkt) ? sizeof(c->pkt) : (size_t)n);
	}
}

static void run_timers(struct hy_client *c)
{
	uint64_t now = c->now_ms;

	switch (c->state) {
	case HY_CLIENT_SENDING_CONNECT:
	case HY_CLIENT_SENDING_RESPONSE: {
		if (now - c->started_ms >= c->opt.connect_timeout_ms ||
		    (uint64_t)time(NULL) >= c->ticket.cred.expire_at) {
			c->state = HY_CLIENT_TIMED_OUT;
			return;
		}
		/* Back-off: resend_ms, twice that, then every second. */
		uint64_t wait = (uint64_t)c->opt.resend_ms << (c->resends < 2 ? c->resends : 2);
		if (wait > 1000 && c->opt.resend_ms <= 1000)
			wait = 1000;
		if (now - c->last_send_ms >= wait) {
			c->resends++;
			send_connect(c, c->state == HY_CLIENT_SENDING_CONNECT ? HY_PKT_CONNECT
									 : HY_PKT_RESPONSE);
		}
		return;
	}
	case HY_CLIENT_CONNECTED:
		if (c->idle_timeout_ms && now - c->last_recv_ms >= c->idle_timeout_ms) {
			c->state = HY_CLIENT_TIMED_OUT;
			c->close_reason = HY_CLOSE_IDLE_TIMEOUT;
			return;
		}
		if (c->keepalive_ms && now - c->last_send_ms >= c->keepalive_ms) {
			uint8_t pt[HY_FRAME_PING_LEN];
			struct hy_wr w;
			hy_wr_init(&w, pt, sizeof(pt));
			if (hy_frame_put_ping(&w))
				send_sealed(c, HY_PKT_DATA, pt, w.off);
		}
		return;
	default:
		return;
	}
}

void hy_client_update(struct hy_client *c, uint64_t now_ms)
{
	c->now_ms = now_ms;
	if (c->state == HY_CLIENT_IDLE || is_terminal(c->state))
		return;
	read_socket(c);
	run_timers(c);
}
