/* SPDX-License-Identifier: BSD-3-Clause
 * Reference responder (see ref_server.h).  Checks run in the order
 * docs/protocol.md lists them; every drop is counted by reason.  The TCP
 * transport carries the same packets as `length u16 | packet` records;
 * its own record reader is written here independently of the client's, so
 * the two check each other.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ref_server.h"

#include "common/wire.h"
#include "crypto/cookie.h"
#include "crypto/random.h"
#include "crypto/replay.h"
#include "crypto/token.h"
#include "proto/frame.h"
#include "proto/message.h"
#include "proto/packet.h"
#include "proto/seal.h"

#define COOKIE_LIFETIME_S 10u
#define USED_SIDS 1024u /* remembered token sids: one token, one session */

struct ref_conn;

struct ref_session {
	bool live;
	bool tcp;              /* on the TCP transport, never moves to UDP */
	struct ref_conn *conn; /* TCP: its connection while it is open */
	uint64_t sid;
	uint64_t expire_at; /* token expiry */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	struct hy_aead_ctx rx_key; /* client -> server */
	struct hy_aead_ctx tx_key; /* server -> client */
	struct hy_replay replay;
	uint64_t next_pn;
	uint64_t last_recv_ms;
	uint64_t last_send_ms;
	struct hy_rudp rudp;
	struct hy_seq_stream seq[256];
};

/* One TCP connection: a record being read, and bytes waiting to be sent. */
struct ref_conn {
	int fd;                  /* -1: free slot */
	struct ref_session *ss;  /* NULL until ACCEPT */
	struct sockaddr_storage peer;
	socklen_t peer_len;
	uint64_t opened_ms;
	bool closing;            /* close once out is sent (after DENY/DISCONNECT) */
	size_t in_len;
	uint8_t in[2 + HY_MAX_DATAGRAM];
	size_t out_len;
	uint8_t out[REF_SERVER_TCP_OUT_CAP];
};

struct ref_server {
	struct ref_server_config cfg;
	int fd;
	uint16_t port;
	int tcp_fd;              /* listener, -1 if no TCP */
	uint16_t tcp_port;
	bool tcp_stall;
	struct ref_conn conns[REF_SERVER_MAX_TCP];
	struct hy_aead_ctx cluster;
	struct hy_aead_ctx cookie_key;
	uint32_t cookie_serial;
	uint64_t now_ms;
	struct ref_session sessions[REF_SERVER_MAX_SESSIONS];
	uint64_t used_sids[USED_SIDS];
	unsigned used_next;
	struct hy_rudp_env rudp_env;
	bool rudp_mute;
	uint64_t deny_ms;     /* DENY packet numbers: current ms ... */
	uint32_t deny_count;  /* ... and how many this ms */
	struct ref_server_stats stats;
};

static uint64_t unix_now(void)
{
	return (uint64_t)time(NULL);
}

static void trace(struct ref_server *s, const char *dir, const char *what, size_t len)
{
	if (s->cfg.trace)
		s->cfg.trace(s->cfg.trace_arg, dir, what, len);
}

static void drop(struct ref_server *s, enum hy_reason r, const char *what, size_t len)
{
	s->stats.dropped_by_reason[(unsigned)r < HY_R_COUNT ? r : 0]++;
	trace(s, "drop", hy_reason_name(r), len);
	(void)what;
}

/* The responder is a test tool: its windows come from malloc, bounded per
 * session by the reliability layer's caps. */
static void *rudp_malloc(void *arg, size_t size)
{
	(void)arg;
	return malloc(size);
}

static void rudp_free(void *arg, void *p, size_t size)
{
	(void)arg;
	(void)size;
	free(p);
}

struct ref_server *ref_server_create(const struct ref_server_config *cfg, const char *bind_addr,
				     uint16_t port)
{
	struct ref_server *s = calloc(1, sizeof(*s));
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	uint8_t ck[HY_KEY_LEN];
	int family;

	if (s == NULL)
		return NULL;
	s->cfg = *cfg;
	s->fd = -1;
	s->tcp_fd = -1;
	for (unsigned i = 0; i < REF_SERVER_MAX_TCP; i++)
		s->conns[i].fd = -1;
	if (s->cfg.max_sessions == 0 || s->cfg.max_sessions > REF_SERVER_MAX_SESSIONS)
		s->cfg.max_sessions = REF_SERVER_MAX_SESSIONS;
	if (inet_pton(AF_INET, bind_addr, &a4.sin_addr) == 1) {
		family = AF_INET;
	} else if (inet_pton(AF_INET6, bind_addr, &a6.sin6_addr) == 1) {
		family = AF_INET6;
	} else {
		errno = EINVAL;
		goto fail;
	}
	if (hy_aead_key_init(&s->cluster, cfg->backend, cfg->cluster_key) < 0 ||
	    hy_random_bytes(ck, sizeof(ck)) < 0 ||
	    hy_aead_key_init(&s->cookie_key, cfg->backend, ck) < 0) {
		errno = ENOTSUP;
		goto fail;
	}
	explicit_bzero(ck, sizeof(ck));
	struct hy_rudp_config rc = {.rto_min_ms = cfg->rto_min_ms,
				    .rto_max_ms = cfg->rto_max_ms,
				    .rto_initial_ms = cfg->rto_max_ms,
				    .max_retries = cfg->max_retries,
				    .alloc = {.alloc = rudp_malloc, .free = rudp_free}};
	if (hy_rudp_env_init(&s->rudp_env, &rc, NULL, 0) != HY_R_OK) {
		errno = EINVAL;
		goto fail;
	}
	s->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		goto fail;
	if (family == AF_INET ? bind(s->fd, (struct sockaddr *)&a4, sizeof(a4))
			      : bind(s->fd, (struct sockaddr *)&a6, sizeof(a6)))
		goto fail;
	if (getsockname(s->fd, (struct sockaddr *)&bound, &blen) < 0)
		goto fail;
	s->port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
					  : ((struct sockaddr_in6 *)&bound)->sin6_port);
	return s;
fail:
	ref_server_destroy(s);
	return NULL;
}

void ref_server_destroy(struct ref_server *s)
{
	if (s == NULL)
		return;
	for (unsigned i = 0; i < REF_SERVER_MAX_SESSIONS; i++)
		hy_rudp_fini(&s->sessions[i].rudp);
	if (s->fd >= 0)
		close(s->fd);
	if (s->tcp_fd >= 0)
		close(s->tcp_fd);
	for (unsigned i = 0; i < REF_SERVER_MAX_TCP; i++)
		if (s->conns[i].fd >= 0)
			close(s->conns[i].fd);
	explicit_bzero(s, sizeof(*s));
	free(s);
}

int ref_server_fd(const struct ref_server *s) { return s->fd; }
uint16_t ref_server_port(const struct ref_server *s) { return s->port; }
const struct ref_server_stats *ref_server_stats(const struct ref_server *s) { return &s->stats; }

unsigned ref_server_sessions(const struct ref_server *s)
{
	unsigned n = 0;
	for (unsigned i = 0; i < REF_SERVER_MAX_SESSIONS; i++)
		n += s->sessions[i].live;
	return n;
}

static void cookie_addr(const struct sockaddr_storage *ss, struct hy_cookie_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		out->family = 4;
		memcpy(out->addr, &a->sin_addr, 4);
		out->port = ntohs(a->sin_port);
	} else {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		out->family = 6;
		memcpy(out->addr, &a->sin6_addr, 16);
		out->port = ntohs(a->sin6_port);
	}
}

static void send_to(struct ref_server *s, const struct sockaddr_storage *to, socklen_t tolen,
		    const uint8_t *buf, size_t len, const char *what)
{
	if (sendto(s->fd, buf, len, 0, (const struct sockaddr *)to, tolen) == (ssize_t)len) {
		s->stats.tx++;
		trace(s, "out", what, len);
	}
}

static void conn_close(struct ref_server *s, struct ref_conn *c);

/* Queues one record; a connection that cannot take it is a slow consumer
 * and is closed rather than given more memory. */
static void conn_queue(struct ref_server *s, struct ref_conn *c, const uint8_t *pkt, size_t len,
		       const char *what)
{
	if (c->fd < 0)
		return;
	if (c->out_len + 2 + len > sizeof(c->out)) {
		s->stats.tcp_slow_consumer++;
		conn_close(s, c);
		return;
	}
	c->out[c->out_len] = (uint8_t)(len >> 8);
	c->out[c->out_len + 1] = (uint8_t)len;
	memcpy(c->out + c->out_len + 2, pkt, len);
	c->out_len += 2 + len;
	s->stats.tx++;
	trace(s, "out", what, len);
}

static void send_sealed(struct ref_server *s, struct ref_session *ss, enum hy_pkt_type type,
			const uint8_t *pt, size_t len)
{
	uint8_t out[HY_MAX_DATAGRAM];
	size_t n = hy_pkt_seal(&ss->tx_key, type, ss->sid, ss->next_pn, pt, len, out, sizeof(out));
	if (n == 0)
		return;
	ss->next_pn++;
	ss->last_send_ms = s->now_ms;
	if (ss->tcp) {
		if (ss->conn)
			conn_queue(s, ss->conn, out, n, hy_pkt_type_name(type));
	} else {
		send_to(s, &ss->addr, ss->addr_len, out, n, hy_pkt_type_name(type));
	}
}

static void send_message(struct ref_server *s, struct ref_session *ss, uint8_t ver, uint16_t cmd,
			 uint8_t status, const uint8_t *payload, size_t len)
{
	uint8_t msg[HY_FRAME_MAX_UNRELIABLE];
	uint8_t pt[HY_MAX_PAYLOAD];
	struct hy_wr w;
	size_t mlen = hy_msg_resp_encode(msg, sizeof(msg), ver, cmd, status, payload, len);

	hy_wr_init(&w, pt, sizeof(pt));
	if (mlen && hy_frame_put_unreliable(&w, msg, mlen))
		send_sealed(s, ss, HY_PKT_DATA, pt, w.off);
}

static uint64_t now_us(const struct ref_server *s)
{
	return s->now_ms * 1000u;
}

/* Sends the session's ACK, due resends and new reliable units. */
static void rudp_flush(struct ref_server *s, struct ref_session *ss)
{
	uint8_t pt[HY_MAX_PAYLOAD];
	struct hy_wr w;

	while (ss->live) {
		/* TCP: never more than the connection's output buffer takes (a
		 * full one means a slow consumer); the rest waits for a poll. */
		if (ss->tcp && (ss->conn == NULL ||
				ss->conn->out_len + 2 + HY_MAX_DATAGRAM > sizeof(ss->conn->out)))
			return;
		hy_wr_init(&w, pt, sizeof(pt));
		if (hy_rudp_poll_tx(&ss->rudp, now_us(s), &w, HY_MAX_FRAMES_PER_PACKET) == 0 ||
		    w.off == 0)
			return;
		send_sealed(s, ss, HY_PKT_DATA, pt, w.off);
	}
}

static void rudp_service(struct ref_server *s, struct ref_session *ss)
{
	if (ss->live && hy_rudp_next_deadline(&ss->rudp) <= now_us(s))
		rudp_flush(s, ss);
}

/* Queues a reliable response or push; a full window refuses it (counted):
 * a client that does not acknowledge is not given more memory. */
static bool send_reliable(struct ref_server *s, struct ref_session *ss, uint8_t ver, uint16_t cmd,
			  uint8_t status, const uint8_t *payload, size_t len)
{
	static uint8_t msg[HY_MAX_MESSAGE];
	size_t mlen = hy_msg_resp_encode(msg, sizeof(msg), ver, cmd, status, payload, len);

	if (mlen == 0 || hy_rudp_send(&ss->rudp, msg, mlen) != HY_R_OK) {
		s->stats.reliable_refused++;
		return false;
	}
	return true;
}

static void answer(struct ref_server *s, struct ref_session *ss, bool reliable, uint8_t ver,
		   uint16_t cmd, uint8_t status, const uint8_t *payload, size_t len)
{
	if (reliable)
		send_reliable(s, ss, ver, cmd, status, payload, len);
	else
		send_message(s, ss, ver, cmd, status, payload, len);
}

/* Forgets a session without a word (after its DISCONNECT, or when its
 * connection is gone). */
static void forget_session(struct ref_session *ss)
{
	if (ss->conn) {
		ss->conn->ss = NULL;
		ss->conn = NULL;
	}
	hy_aead_key_wipe(&ss->rx_key);
	hy_aead_key_wipe(&ss->tx_key);
	hy_rudp_fini(&ss->rudp);
	ss->live = false;
}

static void close_session(struct ref_server *s, struct ref_session *ss, unsigned reason)
{
	uint8_t body[HY_DISCONNECT_BODY_LEN];
	size_t n = hy_close_encode(body, sizeof(body), (enum hy_close_reason)reason);
	if (n)
		send_sealed(s, ss, HY_PKT_DISCONNECT, body, n);
	if (ss->conn)
		ss->conn->closing = true; /* DISCONNECT, then close */
	forget_session(ss);
}

static struct ref_session *find_session(struct ref_server *s, uint64_t sid)
{
	for (unsigned i = 0; i < REF_SERVER_MAX_SESSIONS; i++)
		if (s->sessions[i].live && s->sessions[i].sid == sid)
			return &s->sessions[i];
	return NULL;
}

/* 2^63 | unix ms << 12 | n, n < 4096 per ms (docs/protocol.md, DENY). */
static uint64_t deny_packet_number(struct ref_server *s)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	if (ms != s->deny_ms) {
		s->deny_ms = ms;
		s->deny_count = 0;
	}
	return 1ull << 63 | ms << 12 | (s->deny_count++ & 0xfffu);
}

static bool sid_was_used(const struct ref_server *s, uint64_t sid)
{
	for (unsigned i = 0; i < USED_SIDS; i++)
		if (s->used_sids[i] == sid)
			return true;
	return false;
}

/*
 * The token has opened (and, on UDP, the cookie checked): DENY or ACCEPT.
 * conn is the TCP connection it came on, NULL for UDP.  Returns the
 * session, or NULL if denied.
 */
static struct ref_session *admit(struct ref_server *s, const struct hy_token_public *pub,
				 const struct hy_token_private *priv,
				 const struct sockaddr_storage *from, socklen_t fromlen,
				 struct ref_conn *conn)
{
	struct ref_session *ss = find_session(s, priv->sid);
	if (ss != NULL && conn == NULL && !ss->tcp) {
		/* Our ACCEPT was lost and the client resent RESPONSE: resend it
		 * (same session, no second session from one token). */
		goto accept;
	}
	ss = NULL;
	/* Find a free slot first so a full server denies rather than forgets. */
	for (unsigned i = 0; i < s->cfg.max_sessions && ss == NULL; i++)
		if (!s->sessions[i].live)
			ss = &s->sessions[i];
	{
		struct ref_session tmp = {0};
		struct ref_session *target = ss ? ss : &tmp;
		unsigned deny = 0;

		target->sid = priv->sid;
		target->addr = *from;
		target->addr_len = fromlen;
		target->conn = conn;
		target->tcp = conn != NULL;
		target->next_pn = 0;
		hy_replay_init(&target->replay);
		hy_aead_key_init(&target->rx_key, s->cfg.backend, priv->c2s_key);
		hy_aead_key_init(&target->tx_key, s->cfg.backend, priv->s2c_key);
		if (sid_was_used(s, priv->sid))
			deny = HY_CLOSE_TOKEN_REUSED;
		else if (ss == NULL)
			deny = HY_CLOSE_SERVER_FULL;
		else if (s->cfg.node_state == HY_NODE_OFFLINE)
			deny = HY_CLOSE_NODE_DRAINING;
		if (deny) {
			uint8_t body[HY_DENY_BODY_LEN];
			size_t n = hy_close_encode(body, sizeof(body), (enum hy_close_reason)deny);
			/* The session key may already have sealed packets from 0
			 * up (a closed session, a reused token): a DENY takes its
			 * number from the top half so no nonce is used twice. */
			target->next_pn = deny_packet_number(s);
			if (n) {
				s->stats.denies++;
				send_sealed(s, target, HY_PKT_DENY, body, n);
			}
			if (conn)
				conn->closing = true; /* TCP: DENY, then close */
			target->conn = NULL;
			hy_aead_key_wipe(&target->rx_key);
			hy_aead_key_wipe(&target->tx_key);
			return NULL;
		}
		ss->live = true;
		hy_rudp_init(&ss->rudp, &s->rudp_env);
		memset(ss->seq, 0, sizeof(ss->seq));
		ss->expire_at = pub->expire_at;
		ss->last_recv_ms = s->now_ms;
		if (conn)
			conn->ss = ss;
		s->used_sids[s->used_next++ % USED_SIDS] = priv->sid;
	}
accept: {
	struct hy_accept a = {.keepalive_ms = s->cfg.keepalive_ms,
			      .idle_timeout_ms = s->cfg.idle_timeout_ms,
			      .max_message = HY_MAX_MESSAGE,
			      .node_state = s->cfg.node_state};
	uint8_t body[HY_ACCEPT_BODY_LEN];
	size_t n = hy_accept_encode(body, sizeof(body), &a);
	if (n) {
		s->stats.accepts++;
		send_sealed(s, ss, HY_PKT_ACCEPT, body, n);
	}
}
	return ss;
}

static void on_connect(struct ref_server *s, const uint8_t *buf, size_t len,
		       const struct sockaddr_storage *from, socklen_t fromlen)
{
	struct hy_pkt_connect p;
	struct hy_token_public pub;
	struct hy_token_private priv;
	struct hy_cookie_addr ca;
	const struct hy_aead_ctx *keys[256] = {NULL};
	enum hy_reason r = hy_pkt_connect_decode(buf, len, &p);

	if (r != HY_R_OK) {
		drop(s, r, "connect", len);
		return;
	}
	/* The token is opened before anything is sent, so nothing is ever
	 * answered on the strength of bytes that do not authenticate. */
	keys[s->cfg.cluster_key_id] = &s->cluster;
	r = hy_token_open(keys, 256, s->cfg.node_id, unix_now(), p.token, &pub, &priv);
	if (r == HY_R_OK && priv.transport != HY_TRANSPORT_UDP)
		r = HY_R_TOKEN_WRONG_TRANSPORT;
	if (r != HY_R_OK) {
		drop(s, r, "token", len);
		goto wipe;
	}
	cookie_addr(from, &ca);
	if (p.type == HY_PKT_CONNECT) {
		struct hy_pkt_challenge ch;
		uint8_t out[HY_CHALLENGE_LEN];
		hy_cookie_make(&s->cookie_key, (uint32_t)unix_now(), s->cookie_serial++, &ca,
			       pub.nonce, pub.node_id, ch.cookie);
		size_t n = hy_pkt_challenge_encode(out, sizeof(out), &ch);
		if (n) {
			s->stats.challenges++;
			send_to(s, from, fromlen, out, n, "CHALLENGE");
		}
		goto wipe;
	}

	/* RESPONSE */
	r = hy_cookie_check(&s->cookie_key, COOKIE_LIFETIME_S, unix_now(), p.cookie,
			    HY_COOKIE_LEN, &ca, pub.nonce, pub.node_id);
	if (r != HY_R_OK) {
		drop(s, r, "cookie", len);
		goto wipe;
	}
	admit(s, &pub, &priv, from, fromlen, NULL);
wipe:
	explicit_bzero(&priv, sizeof(priv));
}

/* Ends a session whose reliable channel failed.  Returns true if it did. */
static bool rudp_closes(struct ref_server *s, struct ref_session *ss)
{
	enum hy_rudp_verdict v = hy_rudp_verdict(&ss->rudp);
	if (v == HY_RUDP_OK)
		return false;
	s->stats.rudp_closed++;
	close_session(s, ss,
		      v == HY_RUDP_DEAD ? HY_CLOSE_RETRIES_EXHAUSTED : HY_CLOSE_PROTOCOL_ERROR);
	return true;
}

static void on_command(struct ref_server *s, struct ref_session *ss, const struct hy_msg *m,
		       bool reliable)
{
	if (m->ver == REF_APP_VER && (m->cmd == REF_CMD_RELIABLE_ECHO || m->cmd == REF_CMD_SINK)) {
		if (s->cfg.on_message)
			s->cfg.on_message(s->cfg.on_message_arg, ss->sid, reliable, m->cmd,
					  m->payload, m->len);
		if (m->cmd == REF_CMD_RELIABLE_ECHO)
			answer(s, ss, reliable, m->ver, m->cmd, HY_STATUS_OK, m->payload, m->len);
		return;
	}
	if (m->ver == HY_MSG_VER_TRANSPORT && m->cmd == HY_CMD_ECHO) {
		struct hy_echo_resp er = {.node_state = s->cfg.node_state};
		struct hy_cookie_addr ca;
		uint8_t payload[HY_ECHO_RESP_V6_LEN];

		if (hy_echo_req_decode(m->payload, m->len, &er.client_time) != HY_R_OK) {
			answer(s, ss, reliable, m->ver, m->cmd, HY_STATUS_BAD, NULL, 0);
			return;
		}
		cookie_addr(&ss->addr, &ca);
		er.addr.family = ca.family;
		memcpy(er.addr.addr, ca.addr, sizeof(er.addr.addr));
		er.addr.port = ca.port;
		size_t n = hy_echo_resp_encode(payload, sizeof(payload), &er);
		s->stats.echoes++;
		answer(s, ss, reliable, m->ver, m->cmd, HY_STATUS_OK, payload, n);
		return;
	}
	answer(s, ss, reliable, m->ver, m->cmd, HY_STATUS_BAD, NULL, 0);
}

struct deliver_ctx {
	struct ref_server *s;
	struct ref_session *ss;
};

/* A whole reliable command, in order, once. */
static bool on_reliable(void *arg, const uint8_t *msg, size_t len)
{
	struct deliver_ctx *d = arg;
	struct hy_msg m;
	enum hy_reason r = hy_msg_cmd_decode(msg, len, &m);

	if (r != HY_R_OK) {
		drop(d->s, r, "command", len);
		return true;
	}
	if (d->ss->live)
		on_command(d->s, d->ss, &m, true);
	return true;
}

/* A sealed packet: from a UDP source (conn NULL) or on a TCP connection,
 * where it can only belong to that connection's session. */
static void on_sealed(struct ref_server *s, uint8_t *buf, size_t len,
		      const struct sockaddr_storage *from, socklen_t fromlen, struct ref_conn *conn)
{
	struct hy_pkt_header h;
	size_t pt_len;
	enum hy_reason r = hy_pkt_header_decode(buf, len, &h);
	struct ref_session *ss;

	if (r != HY_R_OK)
		goto dropped;
	ss = conn ? conn->ss : find_session(s, h.sid);
	/* A TCP session does not move to UDP, nor one connection to another. */
	if (ss == NULL || ss->sid != h.sid || (conn == NULL && ss->tcp)) {
		r = HY_R_UNKNOWN_SESSION;
		goto dropped;
	}
	if ((r = hy_replay_check(&ss->replay, h.pn)) != HY_R_OK)
		goto dropped;
	if ((r = hy_pkt_open_inplace(&ss->rx_key, buf, len, &h, &pt_len)) != HY_R_OK)
		goto dropped;
	hy_replay_mark(&ss->replay, h.pn);
	ss->last_recv_ms = s->now_ms;
	/* The packet authenticated: a new source address is the client's
	 * new address (NAT rebinding). */
	if (conn == NULL) {
		ss->addr = *from;
		ss->addr_len = fromlen;
	}

	const uint8_t *pt = buf + HY_DATA_HEADER_LEN;
	if (h.type == HY_PKT_DISCONNECT) {
		s->stats.disconnects++;
		if (conn)
			conn->closing = true; /* nothing more to say: close */
		forget_session(ss);
		return;
	}
	if (h.type != HY_PKT_DATA) {
		r = HY_R_BAD_TYPE; /* ACCEPT/DENY only flow towards clients */
		goto dropped;
	}
	if ((r = hy_frames_validate(pt, pt_len)) != HY_R_OK)
		goto dropped;
	struct hy_rd rd;
	struct hy_frame f;
	hy_rd_init(&rd, pt, pt_len);
	while (ss->live && hy_rd_left(&rd) && hy_frame_next(&rd, &f) == HY_R_OK) {
		struct hy_msg m;
		if (f.type != HY_FRAME_UNRELIABLE && f.type != HY_FRAME_SEQUENCED) {
			struct deliver_ctx d = {s, ss};
			if (!s->rudp_mute)
				hy_rudp_on_frame(&ss->rudp, &f, now_us(s), on_reliable, &d);
			continue;
		}
		if (f.type == HY_FRAME_SEQUENCED && !hy_seq_accept(&ss->seq[f.stream], f.seq)) {
			s->stats.stale_sequenced++;
			continue;
		}
		if ((r = hy_msg_cmd_decode(f.data, f.len, &m)) != HY_R_OK) {
			drop(s, r, "command", f.len);
			continue;
		}
		on_command(s, ss, &m, false);
	}
	if (ss->live && !rudp_closes(s, ss))
		rudp_service(s, ss);
	return;
dropped:
	drop(s, r, "sealed", len);
}

/* ---- TCP transport ---- */

int ref_server_listen_tcp(struct ref_server *s, const char *bind_addr, uint16_t port)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int one = 1;

	if (inet_pton(AF_INET, bind_addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, bind_addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		len = sizeof(*a6);
	} else {
		errno = EINVAL;
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	s->tcp_fd = fd;
	s->tcp_port = ntohs(ss.ss_family == AF_INET ? a4->sin_port : a6->sin6_port);
	return 0;
}

uint16_t ref_server_tcp_port(const struct ref_server *s) { return s->tcp_port; }
void ref_server_tcp_stall(struct ref_server *s, bool stall) { s->tcp_stall = stall; }

unsigned ref_server_tcp_connections(const struct ref_server *s)
{
	unsigned n = 0;
	for (unsigned i = 0; i < REF_SERVER_MAX_TCP; i++)
		n += s->conns[i].fd >= 0;
	return n;
}

unsigned ref_server_pollfds(const struct ref_server *s, struct pollfd *pfd, unsigned cap)
{
	unsigned n = 0;
	if (n < cap)
		pfd[n++] = (struct pollfd){.fd = s->fd, .events = POLLIN};
	if (s->tcp_fd >= 0 && n < cap)
		pfd[n++] = (struct pollfd){.fd = s->tcp_fd, .events = POLLIN};
	for (unsigned i = 0; i < REF_SERVER_MAX_TCP && n < cap; i++) {
		const struct ref_conn *c = &s->conns[i];
		if (c->fd < 0)
			continue;
		pfd[n++] = (struct pollfd){
			.fd = c->fd,
			.events = (short)((s->tcp_stall ? 0 : POLLIN) | (c->out_len ? POLLOUT : 0))};
	}
	return n;
}

/* Closes a connection at once; its session (if any) ends without a word. */
static void conn_close(struct ref_server *s, struct ref_conn *c)
{
	if (c->fd < 0)
		return;
	if (c->ss)
		forget_session(c->ss);
	close(c->fd);
	c->fd = -1;
	c->closing = false;
	c->in_len = 0;
	c->out_len = 0;
	s->stats.tcp_closed++;
}

static void tcp_accept(struct ref_server *s)
{
	for (;;) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int fd = accept4(s->tcp_fd, (struct sockaddr *)&peer, &plen,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct ref_conn *c = NULL;
		for (unsigned i = 0; i < REF_SERVER_MAX_TCP && c == NULL; i++)
			if (s->conns[i].fd < 0)
				c = &s->conns[i];
		if (c == NULL) {
			close(fd); /* no room: the client sees the connection close */
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->fd = fd;
		c->ss = NULL;
		c->peer = peer;
		c->peer_len = plen;
		c->opened_ms = s->now_ms;
		c->closing = false;
		c->in_len = 0;
		c->out_len = 0;
		s->stats.tcp_accepted++;
	}
}

/* A CONNECT record: no cookie on TCP, the connection proved the address. */
static void tcp_on_connect(struct ref_server *s, struct ref_conn *c, const uint8_t *buf,
			   size_t len)
{
	struct hy_pkt_connect p;
	struct hy_token_public pub;
	struct hy_token_private priv;
	const struct hy_aead_ctx *keys[256] = {NULL};
	enum hy_reason r = hy_pkt_connect_decode(buf, len, &p);

	if (r == HY_R_OK && p.type != HY_PKT_CONNECT)
		r = HY_R_BAD_TYPE; /* RESPONSE is never used on TCP */
	if (r != HY_R_OK) {
		drop(s, r, "connect", len);
		conn_close(s, c);
		return;
	}
	keys[s->cfg.cluster_key_id] = &s->cluster;
	r = hy_token_open(keys, 256, s->cfg.node_id, unix_now(), p.token, &pub, &priv);
	if (r == HY_R_OK && priv.transport != HY_TRANSPORT_TCP)
		r = HY_R_TOKEN_WRONG_TRANSPORT; /* a token names the transport it is for */
	if (r != HY_R_OK) {
		/* A token that does not open: close, no answer. */
		drop(s, r, "token", len);
		conn_close(s, c);
		goto wipe;
	}
	admit(s, &pub, &priv, &c->peer, c->peer_len, c);
wipe:
	explicit_bzero(&priv, sizeof(priv));
}

static void tcp_on_record(struct ref_server *s, struct ref_conn *c, uint8_t *buf, size_t len)
{
	enum hy_pkt_type type;
	enum hy_reason r = hy_pkt_classify(buf, len, &type);

	s->stats.rx++;
	if (r != HY_R_OK) {
		drop(s, r, "record", len);
		return;
	}
	trace(s, "in", hy_pkt_type_name(type), len);
	if (c->ss == NULL && !c->closing) {
		tcp_on_connect(s, c, buf, len);
		return;
	}
	if (hy_pkt_type_is_sealed(type))
		on_sealed(s, buf, len, &c->peer, c->peer_len, c);
	else
		drop(s, HY_R_BAD_TYPE, "record", len); /* a second CONNECT, a RESPONSE */
}

/* Reads whole records: first the 2-byte length, then exactly the packet. */
static void tcp_read(struct ref_server *s, struct ref_conn *c)
{
	for (unsigned records = 0; c->fd >= 0 && !c->closing && records < 64;) {
		size_t need = c->in_len < 2 ? 2 : 2 + ((size_t)c->in[0] << 8 | c->in[1]);
		ssize_t n = recv(c->fd, c->in + c->in_len, need - c->in_len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			conn_close(s, c); /* EOF or reset */
			return;
		}
		c->in_len += (size_t)n;
		if (c->in_len == 2) {
			size_t plen = (size_t)c->in[0] << 8 | c->in[1];
			if (plen == 0 || plen > HY_MAX_DATAGRAM) {
				drop(s, HY_R_BAD_LENGTH, "record", plen);
				conn_close(s, c);
				return;
			}
		}
		if (c->in_len > 2 && c->in_len == need) {
			c->in_len = 0;
			records++;
			tcp_on_record(s, c, c->in + 2, need - 2);
		}
	}
}

static void tcp_write(struct ref_server *s, struct ref_conn *c)
{
	while (c->fd >= 0 && c->out_len > 0) {
		size_t len = s->cfg.tcp_bytewise ? 1 : c->out_len;
		ssize_t n = send(c->fd, c->out, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			conn_close(s, c);
			return;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
		if (s->cfg.tcp_bytewise)
			return; /* one byte per poll: the client sees records in pieces */
	}
	if (c->fd >= 0 && c->closing && c->out_len == 0)
		conn_close(s, c);
}

static void tcp_poll(struct ref_server *s)
{
	if (s->tcp_fd < 0)
		return;
	tcp_accept(s);
	for (unsigned i = 0; i < REF_SERVER_MAX_TCP; i++) {
		struct ref_conn *c = &s->conns[i];
		if (c->fd < 0)
			continue;
		if (!s->tcp_stall)
			tcp_read(s, c);
		if (c->fd >= 0 && c->ss == NULL && !c->closing &&
		    s->now_ms - c->opened_ms >= REF_SERVER_TCP_HANDSHAKE_MS)
			conn_close(s, c); /* no CONNECT in time */
	}
}

static void tcp_flush_all(struct ref_server *s)
{
	for (unsigned i = 0; i < REF_SERVER_MAX_TCP; i++)
		if (s->conns[i].fd >= 0)
			tcp_write(s, &s->conns[i]);
}

void ref_server_poll(struct ref_server *s, uint64_t now_ms)
{
	uint8_t buf[HY_MAX_DATAGRAM + 1];

	s->now_ms = now_ms;
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(s->fd, buf, sizeof(buf), MSG_TRUNC, (struct sockaddr *)&from,
				     &fromlen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		s->stats.rx++;
		enum hy_pkt_type type;
		enum hy_reason r = (size_t)n > HY_MAX_DATAGRAM ? HY_R_OVERSIZED
							       : hy_pkt_classify(buf, (size_t)n, &type);
		if (r != HY_R_OK) {
			drop(s, r, "datagram", (size_t)n);
			continue;
		}
		trace(s, "in", hy_pkt_type_name(type), (size_t)n);
		if (type == HY_PKT_CONNECT || type == HY_PKT_RESPONSE)
			on_connect(s, buf, (size_t)n, &from, fromlen);
		else if (hy_pkt_type_is_sealed(type))
			on_sealed(s, buf, (size_t)n, &from, fromlen, NULL);
		else
			drop(s, HY_R_BAD_TYPE, "datagram", (size_t)n);
	}
	tcp_poll(s);
	for (unsigned i = 0; i < REF_SERVER_MAX_SESSIONS; i++) {
		struct ref_session *ss = &s->sessions[i];
		if (!ss->live)
			continue;
		if (s->cfg.idle_timeout_ms && now_ms - ss->last_recv_ms >= s->cfg.idle_timeout_ms) {
			close_session(s, ss, HY_CLOSE_IDLE_TIMEOUT);
			continue;
		}
		rudp_service(s, ss);
		if (rudp_closes(s, ss))
			continue;
		/* Both ends keep an idle session alive: the client times out
		 * a node it has not heard from, too. */
		if (s->cfg.keepalive_ms && now_ms - ss->last_send_ms >= s->cfg.keepalive_ms) {
			const uint8_t ping = HY_FRAME_PING;
			send_sealed(s, ss, HY_PKT_DATA, &ping, sizeof(ping));
		}
	}
	tcp_flush_all(s);
}

unsigned ref_server_push_all(struct ref_server *s, uint8_t ver, uint16_t cmd, const void *payload,
			     size_t len)
{
	unsigned n = 0;
	for (unsigned i = 0; i < REF_SERVER_MAX_SESSIONS; i++) {
		if (!s->sessions[i].live)
			continue;
		send_message(s, &s->sessions[i], ver, cmd, HY_STATUS_PUSH, payload, len);
		n++;
	}
	return n;
}

unsigned ref_server_push_reliable(struct ref_server *s, uint8_t ver, uint16_t cmd,
				  const void *payload, size_t len)
{
	unsigned n = 0;
	for (unsigned i = 0; i < REF_SERVER_MAX_SESSIONS; i++) {
		struct ref_session *ss = &s->sessions[i];
		if (!ss->live || !send_reliable(s, ss, ver, cmd, HY_STATUS_PUSH, payload, len))
			continue;
		rudp_flush(s, ss);
		n++;
	}
	tcp_flush_all(s);
	return n;
}

unsigned ref_server_push_sequenced(struct ref_server *s, uint8_t stream, uint32_t seq, uint8_t ver,
				   uint16_t cmd, const void *payload, size_t len)
{
	uint8_t msg[HY_FRAME_MAX_SEQUENCED];
	uint8_t pt[HY_MAX_PAYLOAD];
	struct hy_wr w;
	unsigned n = 0;
	size_t mlen = hy_msg_resp_encode(msg, sizeof(msg), ver, cmd, HY_STATUS_PUSH, payload, len);

	hy_wr_init(&w, pt, sizeof(pt));
	if (mlen == 0 || !hy_frame_put_sequenced(&w, stream, seq, msg, mlen))
		return 0;
	for (unsigned i = 0; i < REF_SERVER_MAX_SESSIONS; i++) {
		if (!s->sessions[i].live)
			continue;
		send_sealed(s, &s->sessions[i], HY_PKT_DATA, pt, w.off);
		n++;
	}
	tcp_flush_all(s);
	return n;
}

void ref_server_rudp_mute(struct ref_server *s, bool mute) { s->rudp_mute = mute; }

const struct hy_rudp_stats *ref_server_rudp_stats(const struct ref_server *s)
{
	return &s->rudp_env.stats;
}

void ref_server_kick_all(struct ref_server *s, unsigned reason)
{
	for (unsigned i = 0; i < REF_SERVER_MAX_SESSIONS; i++)
		if (s->sessions[i].live)
			close_session(s, &s->sessions[i], reason);
}
