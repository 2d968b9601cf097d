/* SPDX-License-Identifier: BSD-3-Clause
 * Hayate client: handshake state machine, UDP and TCP transports.
 *
 * The order of checks on a received packet (a datagram, or a record on
 * TCP) follows docs/protocol.md: classify (version, type, size) -> header
 * -> session id -> replay window -> AEAD open -> replay mark -> body.
 * Every drop is counted by reason.  Above send_packet() and below
 * read_udp()/read_tcp() the two transports share every line.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hayate_client.h"
#include "proto/record.h"

#include "common/wire.h"
#include "crypto/replay.h"
#include "proto/frame.h"
#include "proto/message.h"
#include "proto/packet.h"
#include "proto/room_msg.h"
#include "proto/seal.h"
#include "proto/ticket.h"
#include "rudp/rudp.h"

/* Received messages wait in a FIFO of descriptors over one byte ring (the
 * arena), both allocated at create time.  The client reads a packet only
 * when the queue can take everything that packet could release: its own
 * frames plus, for a reliable unit that fills a gap, every message the
 * reliability layer holds buffered behind it (at most its window and its
 * receive byte cap).  So a delivered message is never dropped; a game
 * that stops calling receive() stops the reading instead. */
#define CLIENT_QUEUE_LEN 128u
#define CLIENT_SLOTS_PER_PACKET (HY_RUDP_WINDOW_DEFAULT + HY_MAX_FRAMES_PER_PACKET)
#define CLIENT_RX_BYTES_MAX (128u * 1024u) /* reassembly cap of the reliability layer */
/* Bytes one packet can release, plus one message of waste where the ring wraps. */
#define CLIENT_BYTES_PER_PACKET (CLIENT_RX_BYTES_MAX + HY_MAX_PAYLOAD + HY_MAX_MESSAGE)
#define CLIENT_ARENA_BYTES (2u * CLIENT_BYTES_PER_PACKET)
/* Region for the reliability layer's send and receive windows. */
#define CLIENT_RUDP_POOL_BYTES (384u * 1024u)
#define CLIENT_DISCONNECT_COPIES 3u  /* DISCONNECT is sent redundantly */
#define CLIENT_SEQ_STREAMS 256u
#define CLIENT_TCP_RECORDS_PER_UPDATE 256u /* bounds the time one update() takes */
#define CLIENT_MAX_REDIRECTS 3u /* JOIN redirects followed in a row by default */
/* What a redirect answer keeps for the application when it is not
 * followed: reason u16 | room_id u64 (the ticket, with its keys, is cut). */
#define CLIENT_REDIRECT_SHOWN 10u

struct client_slot {
	struct hy_client_message msg;
	size_t span; /* arena bytes taken, wrap waste included */
};

struct hy_client {
	struct hy_ticket ticket;
	struct hy_client_options opt;
	struct sockaddr_storage server;
	socklen_t server_len;
	int fd;
	unsigned transport;     /* enum hy_transport */
	bool tcp_connecting;    /* TCP: connect() not finished yet */
	char error[192];        /* hy_client_error() */

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

	/* unreliable-sequenced: newest seq received, next seq to send, per stream */
	struct hy_seq_stream seq_rx[CLIENT_SEQ_STREAMS];
	uint32_t seq_tx[CLIENT_SEQ_STREAMS];

	/* reliable-ordered channel (shared/rudp), windows in a fixed pool */
	struct hy_rudp_env rudp_env;
	struct hy_rudp rudp;
	struct hy_rudp_pool rudp_pool;
	uint8_t *rudp_region;
	enum hy_reason send_reason; /* why the last send was refused */

	struct client_slot queue[CLIENT_QUEUE_LEN];
	unsigned q_head, q_count;
	uint8_t *arena;       /* CLIENT_ARENA_BYTES */
	size_t a_tail, a_used;
	size_t popped_span;   /* released at the next receive() or update() */
	uint8_t msg_buf[HY_MAX_MESSAGE]; /* an outgoing reliable message */

	struct hy_client_stats stats;
	uint8_t pkt[HY_MAX_DATAGRAM + 1]; /* +1: detect oversized datagrams */
	struct hy_record_rx rx; /* TCP: the record being received */
	struct hy_record_tx tx; /* TCP: records not yet taken by the socket */

	/* Moving to another node (a MOVE push or a JOIN redirect): taken
	 * from a received message, carried out at the end of update(). */
	uint32_t node_id;          /* the node the current ticket names */
	bool move_pending;         /* next holds the ticket to follow */
	bool moving;               /* following: connecting to the new node */
	struct hy_ticket next;
	struct hy_client_move move; /* the move being made, then the last one made */
	bool move_unread;          /* hy_client_take_move() has not returned it */
	uint64_t rejoin_room;      /* JOIN this room once connected (a redirect) */
	unsigned redirects_in_row; /* redirects followed since a JOIN last got an answer */
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

static bool is_tcp(const struct hy_client *c)
{
	return c->transport == HY_TRANSPORT_TCP;
}

static void set_error(struct hy_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_error(struct hy_client *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
}

/* Closes a TCP connection.  Input still unread makes the kernel answer
 * close() with a reset, which can destroy our last record (a DISCONNECT)
 * before the node reads it: read and discard what is there first. */
static void tcp_close(struct hy_client *c)
{
	uint8_t sink[512];

	if (c->fd < 0)
		return;
	for (int i = 0; i < 64 && recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++)
		;
	close(c->fd);
	c->fd = -1;
	hy_record_tx_init(&c->tx);
}

/* Enters a terminal state; on TCP that also ends the connection. */
static void finish(struct hy_client *c, enum hy_client_state st, unsigned reason)
{
	c->state = st;
	c->close_reason = reason;
	if (is_tcp(c))
		tcp_close(c);
}

/* The connection failed (errno-style err): refused, reset, unreachable. */
static void tcp_fail(struct hy_client *c, int err, const char *when)
{
	set_error(c, "%s %s:%u: %s", when, c->ticket.host, c->ticket.port, strerror(err));
	finish(c, HY_CLIENT_ERROR, 0);
}

static int open_socket(struct hy_client *c)
{
	int type = is_tcp(c) ? SOCK_STREAM : SOCK_DGRAM;
	int fd = socket(c->server.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (is_tcp(c)) {
		/* Records are small and latency matters more than segment
		 * count: no Nagle delay.  connect() is hy_client_connect()'s. */
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		return fd;
	}
	/* A connected UDP socket only receives from the node: datagrams from
	 * anyone else never reach us. */
	if (connect(fd, (struct sockaddr *)&c->server, c->server_len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int resolve(const char *host, uint16_t port, int socktype, struct sockaddr_storage *ss,
		   socklen_t *len)
{
	struct addrinfo hints = {.ai_socktype = socktype, .ai_flags = AI_NUMERICSERV};
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

/* The receive queue's arena and the reliability layer: all the memory a
 * client will ever use is taken here. */
static int rudp_setup(struct hy_client *c, char *err, size_t errlen)
{
	char why[128] = "";

	c->arena = malloc(CLIENT_ARENA_BYTES);
	c->rudp_region = malloc(CLIENT_RUDP_POOL_BYTES);
	if (c->arena == NULL || c->rudp_region == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	hy_rudp_pool_init(&c->rudp_pool, c->rudp_region, CLIENT_RUDP_POOL_BYTES);
	struct hy_rudp_config cfg = {.rto_min_ms = c->opt.rto_min_ms,
				     .rto_max_ms = c->opt.rto_max_ms,
				     .rto_initial_ms = c->opt.rto_max_ms,
				     .max_retries = c->opt.max_retries,
				     .rx_bytes_max = CLIENT_RX_BYTES_MAX,
				     .alloc = hy_rudp_pool_alloc(&c->rudp_pool)};
	if (hy_rudp_env_init(&c->rudp_env, &cfg, why, sizeof(why)) != HY_R_OK) {
		snprintf(err, errlen, "reliability settings: %s", why);
		return -1;
	}
	hy_rudp_init(&c->rudp, &c->rudp_env);
	return 0;
}

/* Points c at ticket t: transport (forced, or the ticket's), node
 * address, keys, socket and replay window.  The caller has reset the
 * session state; the receive queue, options and counters are kept. */
static int client_open(struct hy_client *c, const struct hy_ticket *t, unsigned transport,
		       char *err, size_t errlen)
{
	struct hy_token_public pub;

	c->ticket = *t;
	c->transport = transport ? transport : t->cred.transport;
	if (c->transport == 0)
		c->transport = HY_TRANSPORT_UDP; /* a ticket from before transports */
	hy_record_rx_init(&c->rx);
	hy_record_tx_init(&c->tx);
	if (c->transport != HY_TRANSPORT_UDP && c->transport != HY_TRANSPORT_TCP) {
		snprintf(err, errlen, "unknown transport %u", c->transport);
		return -1;
	}
	if (t->cred.sid == 0) {
		snprintf(err, errlen, "ticket has no session id");
		return -1;
	}
	if (t->port == 0 || resolve(t->host, t->port, is_tcp(c) ? SOCK_STREAM : SOCK_DGRAM,
				    &c->server, &c->server_len) < 0) {
		snprintf(err, errlen, "cannot resolve node address '%s' port %u", t->host, t->port);
		return -1;
	}
	if (hy_aead_key_init(&c->tx_key, c->opt.backend, t->cred.c2s_key) < 0 ||
	    hy_aead_key_init(&c->rx_key, c->opt.backend, t->cred.s2c_key) < 0) {
		snprintf(err, errlen, "AEAD backend %s unavailable", hy_aead_backend_name(c->opt.backend));
		return -1;
	}
	c->fd = open_socket(c);
	if (c->fd < 0) {
		snprintf(err, errlen, "%s socket to %s:%u: %s", is_tcp(c) ? "tcp" : "udp", t->host,
			 t->port, strerror(errno));
		return -1;
	}
	hy_replay_init(&c->replay);
	/* The token's public part names the node (tickets from JSON do not
	 * carry it separately). */
	c->node_id = hy_token_peek_public(t->cred.token, HY_TOKEN_LEN, &pub) == HY_R_OK ?
			     pub.node_id : 0;
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
	c->opt = opt ? *opt : (struct hy_client_options){0};
	if (c->opt.connect_timeout_ms == 0)
		c->opt.connect_timeout_ms = 5000;
	if (c->opt.resend_ms == 0)
		c->opt.resend_ms = 250;
	if (c->opt.max_redirects == 0)
		c->opt.max_redirects = CLIENT_MAX_REDIRECTS;
	c->fd = -1;
	if (client_open(c, t, c->opt.transport, err, errlen) < 0)
		goto fail;
	if (rudp_setup(c, err, errlen) < 0)
		goto fail;
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
	hy_rudp_fini(&c->rudp);
	free(c->arena);
	free(c->rudp_region);
	hy_aead_key_wipe(&c->tx_key);
	hy_aead_key_wipe(&c->rx_key);
	explicit_bzero(c, sizeof(*c)); /* keys, ticket, and plaintext in the buffers */
	free(c);
}

int hy_client_fd(const struct hy_client *c) { return c->fd; }
unsigned hy_client_transport(const struct hy_client *c) { return c->transport; }
const char *hy_client_error(const struct hy_client *c) { return c->error; }
enum hy_client_state hy_client_state(const struct hy_client *c) { return c->state; }
unsigned hy_client_close_reason(const struct hy_client *c) { return c->close_reason; }
unsigned hy_client_node_state(const struct hy_client *c) { return c->node_state; }
uint64_t hy_client_sid(const struct hy_client *c) { return c->ticket.cred.sid; }
const struct hy_client_stats *hy_client_stats(const struct hy_client *c) { return &c->stats; }

short hy_client_poll_events(const struct hy_client *c)
{
	/* Before connect() an unconnected TCP socket polls as POLLHUP at
	 * once, which would spin a loop: nothing to wait for yet. */
	if (c->state == HY_CLIENT_IDLE || is_terminal(c->state) || c->fd < 0)
		return 0;
	if (is_tcp(c) && (c->tcp_connecting || c->tx.len > 0))
		return POLLIN | POLLOUT;
	return POLLIN;
}

/* Writes queued records until the socket stops taking them.  Returns 0,
 * or -1 when the connection failed (the client is then in ERROR). */
static int tcp_flush(struct hy_client *c)
{
	while (c->tx.len > 0 && c->fd >= 0 && !c->tcp_connecting) {
		size_t len;
		const uint8_t *p = hy_record_tx_pending(&c->tx, &len);
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0; /* POLLOUT is wanted now */
			tcp_fail(c, errno, "connection to");
			return -1;
		}
		hy_record_tx_sent(&c->tx, (size_t)n);
	}
	return 0;
}

/* Sends one packet: a datagram, or a record queued on the TCP connection
 * and written as far as the socket takes it. */
static int send_packet(struct hy_client *c, const uint8_t *buf, size_t len)
{
	if (is_tcp(c)) {
		if (c->fd < 0)
			return -1;
		if (hy_record_tx_put(&c->tx, buf, len) < 0) {
			c->stats.tcp_output_full++;
			return -1;
		}
		c->stats.tx_packets++;
		c->stats.tx_bytes += HY_RECORD_HDR_LEN + len;
		c->last_send_ms = c->now_ms;
		return tcp_flush(c);
	}
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
		send_packet(c, out, n);
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
	return send_packet(c, out, n);
}

int hy_client_connect(struct hy_client *c, uint64_t now_ms)
{
	if (c->state != HY_CLIENT_IDLE)
		return -1;
	c->now_ms = now_ms;
	c->started_ms = now_ms;
	if (is_tcp(c)) {
		/* Non-blocking: update() sees the connect finish (or fail) and
		 * then writes the CONNECT record queued here. */
		if (connect(c->fd, (struct sockaddr *)&c->server, c->server_len) < 0) {
			if (errno != EINPROGRESS && errno != EINTR) {
				tcp_fail(c, errno, "connect to");
				return -1;
			}
			c->tcp_connecting = true;
		}
	}
	c->state = HY_CLIENT_SENDING_CONNECT;
	send_connect(c, HY_PKT_CONNECT);
	return 0;
}

static uint64_t now_us(const struct hy_client *c)
{
	return c->now_ms * 1000u;
}

/* Copies the reliability layer's figures into the client's counters. */
static void sync_stats(struct hy_client *c)
{
	const struct hy_rudp_stats *r = &c->rudp_env.stats;
	struct hy_rudp_info info;

	hy_rudp_info(&c->rudp, &info);
	c->stats.reliable_sent = r->msgs_queued;
	c->stats.reliable_delivered = r->msgs_delivered;
	c->stats.retransmits = r->retransmits;
	c->stats.fragments_sent = r->fragments_sent;
	c->stats.fragments_received = r->fragments_received;
	c->stats.reassembly_drops = r->reassembly_drops;
	c->stats.window_stalls = r->window_stalls;
	c->stats.acks_sent = r->acks_sent;
	c->stats.acks_received = r->acks_received;
	c->stats.duplicates = r->duplicates;
	c->stats.srtt_us = info.srtt_us;
	c->stats.rto_us = info.rto_us;
	c->stats.rudp_mem_bytes = info.mem_bytes;
}

/*
 * Writes everything the reliability layer has for the wire (the ACK,
 * resends that are due, units never sent) into as many DATA packets as it
 * takes.  A refused TCP record stops it: what was not written yet waits
 * for the next call, what was written is resent by its timer.
 */
static void rudp_flush(struct hy_client *c)
{
	uint8_t pt[HY_MAX_PAYLOAD];
	struct hy_wr w;

	for (;;) {
		hy_wr_init(&w, pt, sizeof(pt));
		if (hy_rudp_poll_tx(&c->rudp, now_us(c), &w, HY_MAX_FRAMES_PER_PACKET) == 0 ||
		    w.off == 0)
			return;
		if (send_sealed(c, HY_PKT_DATA, pt, w.off) < 0 && is_tcp(c))
			return;
	}
}

/* Flushes when anything is due: an ACK whose delay ran out, a resend,
 * units not sent yet. */
static void rudp_service(struct hy_client *c)
{
	if (hy_rudp_next_deadline(&c->rudp) <= now_us(c))
		rudp_flush(c);
}

/* Sends a DATA packet whose first frames are already in w, with the
 * pending ACK (and any reliable units that fit) riding along. */
static int send_data(struct hy_client *c, struct hy_wr *w, unsigned frames)
{
	hy_rudp_poll_tx(&c->rudp, now_us(c), w, HY_MAX_FRAMES_PER_PACKET - frames);
	int rc = send_sealed(c, HY_PKT_DATA, w->p, w->off);
	rudp_service(c);
	return rc;
}

static void send_close(struct hy_client *c, enum hy_close_reason why)
{
	uint8_t body[HY_DISCONNECT_BODY_LEN];
	size_t n = hy_close_encode(body, sizeof(body), why);
	/* TCP delivers one copy or breaks the connection, which the node
	 * notices on its own. */
	unsigned copies = is_tcp(c) ? 1 : CLIENT_DISCONNECT_COPIES;
	for (unsigned i = 0; n && i < copies; i++)
		send_sealed(c, HY_PKT_DISCONNECT, body, n);
}

/* Applies the reliability layer's verdict: a peer that stopped
 * acknowledging, or sent an inconsistent stream, ends the session.
 * Returns true if it did. */
static bool rudp_verdict_ends(struct hy_client *c)
{
	enum hy_rudp_verdict v = hy_rudp_verdict(&c->rudp);
	if (v == HY_RUDP_OK || c->state != HY_CLIENT_CONNECTED)
		return false;
	enum hy_close_reason why =
		v == HY_RUDP_DEAD ? HY_CLOSE_RETRIES_EXHAUSTED : HY_CLOSE_PROTOCOL_ERROR;
	send_close(c, why);
	finish(c, HY_CLIENT_DISCONNECTED, why);
	return true;
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
	return send_data(c, &w, 1);
}

int hy_client_send_sequenced(struct hy_client *c, uint8_t stream, uint8_t ver, uint16_t cmd,
			     const void *payload, size_t len)
{
	uint8_t msg[HY_FRAME_MAX_SEQUENCED];
	uint8_t pt[HY_MAX_PAYLOAD];
	struct hy_wr w;

	if (c->state != HY_CLIENT_CONNECTED)
		return -1;
	size_t mlen = hy_msg_cmd_encode(msg, sizeof(msg), ver, cmd, payload, len);
	if (mlen == 0)
		return -1;
	hy_wr_init(&w, pt, sizeof(pt));
	if (!hy_frame_put_sequenced(&w, stream, c->seq_tx[stream], msg, mlen))
		return -1;
	c->seq_tx[stream]++;
	return send_data(c, &w, 1);
}

int hy_client_send_reliable(struct hy_client *c, uint8_t ver, uint16_t cmd, const void *payload,
			    size_t len)
{
	enum hy_reason r;

	if (c->state != HY_CLIENT_CONNECTED) {
		c->send_reason = HY_R_UNKNOWN_SESSION; /* no session to send on */
		return -1;
	}
	size_t mlen = hy_msg_cmd_encode(c->msg_buf, sizeof(c->msg_buf), ver, cmd, payload, len);
	r = mlen ? hy_rudp_send(&c->rudp, c->msg_buf, mlen) : HY_R_MESSAGE_TOO_LARGE;
	c->send_reason = r;
	if (r == HY_R_OK)
		rudp_flush(c);
	sync_stats(c);
	if (rudp_verdict_ends(c))
		return -1;
	return r == HY_R_OK ? 0 : -1;
}

enum hy_reason hy_client_send_reason(const struct hy_client *c)
{
	return c->send_reason;
}

uint64_t hy_client_next_deadline_ms(const struct hy_client *c)
{
	uint64_t us = hy_rudp_next_deadline(&c->rudp);
	if (c->state != HY_CLIENT_CONNECTED || us == HY_RUDP_NEVER)
		return UINT64_MAX;
	return (us + 999u) / 1000u;
}

int hy_client_echo(struct hy_client *c, uint64_t client_time)
{
	uint8_t payload[HY_ECHO_REQ_LEN];
	size_t n = hy_echo_req_encode(payload, sizeof(payload), client_time);
	return n ? hy_client_send(c, HY_MSG_VER_TRANSPORT, HY_CMD_ECHO, payload, n) : -1;
}

/* Gives back the arena bytes of the message receive() handed out last. */
static void release_popped(struct hy_client *c)
{
	c->a_used -= c->popped_span;
	c->popped_span = 0;
	if (c->a_used == 0)
		c->a_tail = 0; /* empty: start at the front, no wrap waste */
}

/* Can the queue take everything one more packet could release? */
static bool queue_has_room(const struct hy_client *c)
{
	return CLIENT_QUEUE_LEN - c->q_count >= CLIENT_SLOTS_PER_PACKET &&
	       CLIENT_ARENA_BYTES - c->a_used >= CLIENT_BYTES_PER_PACKET;
}

bool hy_client_receive(struct hy_client *c, struct hy_client_message *out)
{
	release_popped(c);
	if (c->q_count == 0)
		return false;
	*out = c->queue[c->q_head].msg;
	c->popped_span = c->queue[c->q_head].span;
	c->q_head = (c->q_head + 1) % CLIENT_QUEUE_LEN;
	c->q_count--;
	return true;
}

void hy_client_disconnect(struct hy_client *c)
{
	if (c->state == HY_CLIENT_CONNECTED)
		send_close(c, HY_CLOSE_CLIENT_CLOSED);
	if (!is_terminal(c->state))
		finish(c, HY_CLIENT_DISCONNECTED, HY_CLOSE_CLIENT_CLOSED);
	else if (is_tcp(c))
		tcp_close(c);
}

int hy_client_rebind(struct hy_client *c)
{
	if (is_tcp(c))
		return -1; /* a TCP connection cannot move; the node follows UDP only */
	int fd = open_socket(c);
	if (fd < 0)
		return -1;
	close(c->fd);
	c->fd = fd;
	return 0;
}

/* Records a move to make at the end of this update(): the message that
 * asked for it is still being read. */
static void schedule_move(struct hy_client *c, const struct hy_ticket *t, unsigned reason,
			  uint64_t room_id)
{
	c->next = *t;
	c->move_pending = true;
	c->move = (struct hy_client_move){.reason = reason,
					  .room_id = room_id,
					  .from_node = c->node_id,
					  .to_node = t->cred.node_id,
					  .old_sid = c->ticket.cred.sid,
					  .new_sid = t->cred.sid};
}

static uint16_t reason_of(const struct hy_msg *m)
{
	return m->len >= 2 ? (uint16_t)(m->payload[0] << 8 | m->payload[1]) : 0;
}

/* Messages the library acts on itself: a MOVE push, and the JOIN
 * redirects it follows.  Returns true when m is consumed.  A redirect it
 * does not follow reaches the application without its ticket (m->len is
 * cut), so session keys never sit in the receive queue. */
static bool take_move(struct hy_client *c, struct hy_msg *m)
{
	struct hy_ticket t;
	enum hy_reason r;
	uint64_t room = 0;
	uint8_t why = 0;

	if (m->ver == HY_MSG_VER_TRANSPORT && m->cmd == HY_CMD_MOVE &&
	    m->status == HY_STATUS_PUSH) {
		r = hy_move_decode(m->payload, m->len, &why, &t);
		if (r != HY_R_OK)
			drop(c, r);
		else if (c->state == HY_CLIENT_CONNECTED && !c->move_pending)
			schedule_move(c, &t, why, 0);
		explicit_bzero(&t, sizeof(t));
		return true;
	}
	if (m->ver != HY_MSG_VER_MODULE || m->status == HY_STATUS_PUSH)
		return false;
	if (m->status == HY_STATUS_BAD && reason_of(m) == HY_R_ROOM_REDIRECT) {
		if (m->cmd == HY_CMD_ROOM_JOIN && !c->move_pending &&
		    c->state == HY_CLIENT_CONNECTED) {
			if (c->redirects_in_row < c->opt.max_redirects) {
				r = hy_redirect_decode(m->payload, m->len, &room, &t);
				if (r == HY_R_OK) {
					c->redirects_in_row++;
					schedule_move(c, &t, 0, room);
					explicit_bzero(&t, sizeof(t));
					return true;
				}
				drop(c, r); /* malformed: the JOIN fails as answered */
			} else {
				c->stats.redirects_refused++;
			}
		}
		if (m->len > CLIENT_REDIRECT_SHOWN)
			m->len = CLIENT_REDIRECT_SHOWN;
	}
	if (m->cmd == HY_CMD_ROOM_JOIN)
		c->redirects_in_row = 0; /* the JOIN got its answer */
	return false;
}

static void queue_message(struct hy_client *c, const struct hy_msg *in)
{
	struct hy_msg copy = *in, *m = &copy;

	if (take_move(c, m))
		return;
	if (c->q_count == CLIENT_QUEUE_LEN) {
		c->stats.queue_overflow++;
		return;
	}
	struct client_slot *s = &c->queue[(c->q_head + c->q_count) % CLIENT_QUEUE_LEN];
	size_t pos = c->a_tail, waste = 0;
	if (pos + m->len > CLIENT_ARENA_BYTES) { /* wrap: the end of the ring is skipped */
		waste = CLIENT_ARENA_BYTES - pos;
		pos = 0;
	}
	if (c->a_used + waste + m->len > CLIENT_ARENA_BYTES) {
		/* Cannot happen while reads wait for queue_has_room(). */
		c->stats.queue_overflow++;
		return;
	}
	if (m->len)
		memcpy(c->arena + pos, m->payload, m->len);
	c->a_tail = pos + m->len;
	c->a_used += waste + m->len;
	s->span = waste + m->len;
	s->msg = (struct hy_client_message){.ver = m->ver,
					    .cmd = m->cmd,
					    .status = m->status,
					    .payload = c->arena + pos,
					    .len = m->len};
	c->q_count++;
	c->stats.rx_delivered++;

	if (m->ver == HY_MSG_VER_TRANSPORT && m->cmd == HY_CMD_ECHO && m->status == HY_STATUS_OK) {
		struct hy_echo_resp er;
		if (hy_echo_resp_decode(m->payload, m->len, &er) == HY_R_OK)
			c->node_state = er.node_state;
	}
}

/* The reliability layer's delivery: one whole response or push, in
 * order, exactly once. */
static bool client_deliver(void *arg, const uint8_t *msg, size_t len)
{
	struct hy_client *c = arg;
	struct hy_msg m;
	enum hy_reason r = hy_msg_resp_decode(msg, len, &m);
	if (r == HY_R_OK)
		queue_message(c, &m);
	else
		drop(c, r);
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
			if (!hy_seq_accept(&c->seq_rx[f.stream], f.seq)) {
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
		default: /* ACK, RELIABLE, FRAGMENT, PING */
			r = hy_rudp_on_frame(&c->rudp, &f, now_us(c), client_deliver, c);
			if (r == HY_R_UNSUPPORTED)
				c->stats.unsupported_frames++; /* unreliable fragments */
			break;
		}
	}
	if (!rudp_verdict_ends(c))
		rudp_service(c); /* the ACK goes now if it is due */
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
		/* TCP has no cookie round trip: ACCEPT answers CONNECT. */
		if (c->state != (is_tcp(c) ? HY_CLIENT_SENDING_CONNECT : HY_CLIENT_SENDING_RESPONSE))
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
		finish(c, h.type == HY_PKT_DENY ? HY_CLIENT_DENIED : HY_CLIENT_DISCONNECTED, why);
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
	if (type == HY_PKT_CHALLENGE && is_tcp(c)) {
		drop(c, HY_R_BAD_TYPE); /* no cookie on TCP */
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

static void read_udp(struct hy_client *c)
{
	/* While the queue is short of room the datagrams wait in the socket
	 * (or are lost there, and resent if reliable). */
	while (queue_has_room(c)) {
		ssize_t n = recv(c->fd, c->pkt, sizeof(c->pkt), MSG_TRUNC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED) {
				set_error(c, "udp receive from %s:%u: %s", c->ticket.host,
					  c->ticket.port, strerror(errno));
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

/* The node closed its side of the connection without DENY or DISCONNECT. */
static void tcp_eof(struct hy_client *c)
{
	if (c->state == HY_CLIENT_SENDING_CONNECT)
		set_error(c, "%s:%u closed the connection before answering "
			  "(a token the node cannot open gets no answer)", c->ticket.host,
			  c->ticket.port);
	else
		set_error(c, "%s:%u closed the connection", c->ticket.host, c->ticket.port);
	finish(c, HY_CLIENT_DISCONNECTED, 0);
}

/*
 * Reads records, each straight into the one-record input buffer (exactly
 * the bytes the current record still needs, so nothing of the next one is
 * taken).  Stops when the socket is drained, after a bounded number of
 * records, or while the message queue could not hold a record's worth of
 * messages: then TCP's flow control holds the node back instead of the
 * queue dropping messages.
 */
static void read_tcp(struct hy_client *c)
{
	unsigned records = 0;

	while (c->fd >= 0 && !is_terminal(c->state) && records < CLIENT_TCP_RECORDS_PER_UPDATE &&
	       queue_has_room(c)) {
		size_t want;
		uint8_t *space = hy_record_rx_space(&c->rx, &want);
		if (space == NULL)
			return;
		ssize_t n = recv(c->fd, space, want, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				tcp_fail(c, errno, "connection to");
			return;
		}
		if (n == 0) {
			tcp_eof(c);
			return;
		}
		c->stats.rx_bytes += (uint64_t)n;
		uint8_t *pkt;
		size_t len;
		enum hy_reason r = hy_record_rx_commit(&c->rx, (size_t)n, &pkt, &len);
		if (r != HY_R_OK) {
			/* The stream has lost its framing: nothing after this
			 * point can be trusted to start a record. */
			drop(c, r);
			set_error(c, "%s:%u sent a malformed record (%s)", c->ticket.host,
				  c->ticket.port, hy_reason_name(r));
			finish(c, HY_CLIENT_ERROR, 0);
			return;
		}
		if (pkt != NULL) {
			records++;
			c->stats.rx_packets++;
			handle_datagram(c, pkt, len);
		}
	}
}

/* Has the non-blocking connect finished?  Asked without waiting. */
static void tcp_check_connect(struct hy_client *c)
{
	struct pollfd p = {.fd = c->fd, .events = POLLOUT};
	int err = 0;
	socklen_t len = sizeof(err);

	if (poll(&p, 1, 0) <= 0)
		return; /* still in progress */
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0) {
		tcp_fail(c, err, "connect to");
		return;
	}
	c->tcp_connecting = false;
}

static void run_timers(struct hy_client *c)
{
	uint64_t now = c->now_ms;

	switch (c->state) {
	case HY_CLIENT_SENDING_CONNECT:
	case HY_CLIENT_SENDING_RESPONSE: {
		if (now - c->started_ms >= c->opt.connect_timeout_ms ||
		    (uint64_t)time(NULL) >= c->ticket.cred.expire_at) {
			finish(c, HY_CLIENT_TIMED_OUT, 0);
			return;
		}
		if (is_tcp(c))
			return; /* TCP retransmits for us */
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
			finish(c, HY_CLIENT_TIMED_OUT, HY_CLOSE_IDLE_TIMEOUT);
			return;
		}
		rudp_service(c); /* resends and ACKs that are due */
		if (rudp_verdict_ends(c))
			return;
		if (c->keepalive_ms && now - c->last_send_ms >= c->keepalive_ms) {
			uint8_t pt[HY_MAX_PAYLOAD];
			struct hy_wr w;
			hy_wr_init(&w, pt, sizeof(pt));
			if (hy_frame_put_ping(&w))
				send_data(c, &w, 1);
		}
		return;
	default:
		return;
	}
}

/* A move ended: the new session is up (ok) or failed. */
static void move_done(struct hy_client *c, bool ok)
{
	c->moving = false;
	c->move.connected = ok;
	c->move_unread = true;
	if (!ok) {
		c->stats.move_failures++;
		c->rejoin_room = 0;
	}
}

/* Follows the ticket in c->next: DISCONNECT to the old node, then a new
 * session towards the new one, from a clean session state.  The receive
 * queue, options and counters are kept. */
static void follow(struct hy_client *c)
{
	struct hy_ticket t = c->next;
	char err[160] = "";

	explicit_bzero(&c->next, sizeof(c->next));
	c->move_pending = false;
	if (c->state == HY_CLIENT_CONNECTED)
		send_close(c, HY_CLOSE_CLIENT_CLOSED);
	if (is_tcp(c)) {
		tcp_close(c);
	} else if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	hy_aead_key_wipe(&c->tx_key);
	hy_aead_key_wipe(&c->rx_key);
	c->state = HY_CLIENT_IDLE;
	c->close_reason = 0;
	c->node_state = 0;
	c->tcp_connecting = false;
	c->error[0] = '\0';
	memset(c->cookie, 0, sizeof(c->cookie));
	c->resends = 0;
	c->keepalive_ms = c->idle_timeout_ms = 0;
	c->next_pn = 0;
	memset(c->seq_rx, 0, sizeof(c->seq_rx));
	memset(c->seq_tx, 0, sizeof(c->seq_tx));
	hy_rudp_fini(&c->rudp);
	hy_rudp_init(&c->rudp, &c->rudp_env);
	c->send_reason = HY_R_OK;
	if (c->move.room_id != 0)
		c->stats.redirects++;
	else
		c->stats.moves++;
	c->moving = true;
	c->rejoin_room = c->move.room_id;
	if (client_open(c, &t, 0, err, sizeof(err)) < 0 || hy_client_connect(c, c->now_ms) < 0) {
		if (c->error[0] == '\0')
			set_error(c, "moving to node %u: %s", (unsigned)t.cred.node_id, err);
		if (!is_terminal(c->state))
			c->state = HY_CLIENT_ERROR;
		move_done(c, false);
	}
	explicit_bzero(&t, sizeof(t));
}

/* After a move: report it once it settles, and repeat the JOIN a
 * redirect answered. */
static void move_progress(struct hy_client *c)
{
	if (!c->moving)
		return;
	if (is_terminal(c->state)) {
		move_done(c, false);
	} else if (c->state == HY_CLIENT_CONNECTED) {
		uint8_t pl[8];
		size_t n = hy_rm_room_encode(pl, sizeof(pl), c->rejoin_room);

		move_done(c, true);
		if (c->rejoin_room != 0 && n > 0)
			hy_client_send_reliable(c, HY_MSG_VER_MODULE, HY_CMD_ROOM_JOIN, pl, n);
		c->rejoin_room = 0;
	}
}

bool hy_client_take_move(struct hy_client *c, struct hy_client_move *out)
{
	if (!c->move_unread)
		return false;
	c->move_unread = false;
	*out = c->move;
	return true;
}

bool hy_client_moving(const struct hy_client *c)
{
	return c->moving || c->move_pending;
}

uint32_t hy_client_node_id(const struct hy_client *c)
{
	return c->node_id;
}

void hy_client_update(struct hy_client *c, uint64_t now_ms)
{
	c->now_ms = now_ms;
	release_popped(c);
	if (c->state == HY_CLIENT_IDLE || is_terminal(c->state))
		return;
	if (!is_tcp(c)) {
		read_udp(c);
	} else {
		if (c->tcp_connecting)
			tcp_check_connect(c);
		if (!c->tcp_connecting && tcp_flush(c) == 0)
			read_tcp(c);
	}
	if (!is_terminal(c->state))
		run_timers(c);
	move_progress(c);
	if (c->move_pending && !is_terminal(c->state))
		follow(c);
	sync_stats(c);
}
