/* SPDX-License-Identifier: BSD-3-Clause
 * The MARS service (mars.h): socket, timer and the glue between the
 * message codec (wire.c), the replay check (replay.c), the election
 * (election.c) and the registry (view.c).
 *
 * Every heartbeat each node sends its REPORT to the leader (to every
 * candidate while it knows none); the leader drops nodes silent for
 * longer than the election timeout and sends its VIEW back to each node
 * it registered.  Candidates also run the election.  The view readers
 * take the lock only to copy the last published view; this node's own
 * record is always filled in fresh by the caller's local().
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/epoll.h>

#include "crypto/random.h"
#include "mars/election.h"
#include "mars/mars.h"
#include "mars/replay.h"
#include "mars/view.h"
#include "mars/wire.h"

#define PROG "hayate-controlplane"
#define SKEW_MS 30000u         /* clocks of cluster nodes may differ this much */
#define RX_BATCH 64u           /* datagrams per wake-up, then the loop moves on */
#define DUP_LOG_EVERY_MS 10000u

#define MARS_COUNTERS(X) \
	X(rx) X(tx) X(tx_errors) X(reports_in) X(reports_out) X(views_in) X(views_out) \
	X(nodes_expired) X(ignored)

enum mars_counter {
#define MC_ENUM(n) MC_##n,
	MARS_COUNTERS(MC_ENUM)
#undef MC_ENUM
	MC_COUNT
};

static const char *const mc_names[MC_COUNT] = {
#define MC_NAME(n) [MC_##n] = #n,
	MARS_COUNTERS(MC_NAME)
#undef MC_NAME
};

struct hy_mars {
	/* Fixed after create. */
	uint32_t self_id;
	bool alone, candidate;
	uint32_t hb_ms, timeout_ms;
	struct hy_mars_peer cand[HY_CONF_MAX_MARS];
	unsigned n_cand;
	int self_idx;                  /* in cand[], -1: not a candidate */
	char endpoint[HY_CONF_HOSTPORT_MAX]; /* advertised, "" if none */
	struct hy_mars_ops ops;
	struct hy_loop *loop;
	int fd, timer_fd;
	struct hy_loop_watch fd_w, timer_w;
	struct hy_aead_ctx *key[HY_KEYRING_IDS]; /* MARS keys by key id */
	uint8_t seal_id;

	/* Loop thread. */
	uint32_t boot;
	uint64_t seq;
	struct hy_mars_replay replay;
	struct hy_elect elect;
	struct hy_view reg;            /* the leader's registry */
	uint64_t term;                 /* newest term from a VIEW (members) */
	uint32_t leader_id;            /* from the last VIEW or PING */
	struct hy_mars_peer leader_addr;
	uint64_t leader_seen_ms;
	uint64_t next_hb_ms;
	bool was_leader;
	const struct hy_mars_peer *reply_to; /* while an election message is handled */
	uint32_t logged_leader;
	uint64_t logged_term;
	uint64_t dup_logged_ms;
	uint8_t buf[HY_MARS_MSG_MAX];
	struct hy_cluster_node scratch[HY_CLUSTER_MAX_NODES];
	struct hy_mars_msg out;

	/* Published: readers copy under lock. */
	pthread_mutex_t lock;
	struct hy_cluster_node pub[HY_CLUSTER_MAX_NODES];
	unsigned pub_n;
	uint32_t pub_leader;
	uint64_t pub_term;
	uint64_t pub_at_ms;            /* when pub[] was refreshed; 0: never */
	bool pub_leading;
	char pub_role[16];
	uint64_t pub_elect[HY_ELECT_C_COUNT];

	_Atomic uint64_t c[MC_COUNT];
	_Atomic uint64_t drops[HY_R_COUNT];
};

static void count(struct hy_mars *m, enum mars_counter c)
{
	atomic_fetch_add_explicit(&m->c[c], 1, memory_order_relaxed);
}

static void drop(struct hy_mars *m, enum hy_reason why)
{
	atomic_fetch_add_explicit(&m->drops[(unsigned)why < HY_R_COUNT ? why : 0], 1,
				  memory_order_relaxed);
}

static bool leading(const struct hy_mars *m)
{
	return m->alone || (m->candidate && m->elect.role == HY_ELECT_LEADER);
}

static uint64_t cur_term(const struct hy_mars *m)
{
	return m->alone ? 1 : m->candidate ? m->elect.term : m->term;
}

/* ---- sending ---------------------------------------------------------- */

static void send_to(struct hy_mars *m, const struct hy_mars_peer *to, struct hy_mars_msg *msg)
{
	uint8_t out[HY_MARS_MSG_MAX];
	int n;

	if (to == NULL || to->len == 0 || m->fd < 0)
		return;
	msg->h.key_id = m->seal_id;
	msg->h.flags = m->candidate ? HY_MARS_F_CANDIDATE : 0;
	msg->h.sender = m->self_id;
	msg->h.boot = m->boot;
	m->seq = hy_mars_next_seq(m->seq, hy_unix_ms());
	msg->h.seq = m->seq;
	n = hy_mars_seal(m->key[m->seal_id], msg, out, sizeof(out));
	if (n < 0 || sendto(m->fd, out, (size_t)n, 0, &to->u.sa, to->len) != n) {
		count(m, MC_tx_errors);
		return;
	}
	count(m, MC_tx);
}

/* To every candidate but this node. */
static void send_candidates(struct hy_mars *m, struct hy_mars_msg *msg)
{
	unsigned i;

	for (i = 0; i < m->n_cand; i++)
		if ((int)i != m->self_idx)
			send_to(m, &m->cand[i], msg);
}

static void elect_send(void *arg, enum hy_elect_to to, uint8_t type, uint64_t term, bool granted)
{
	struct hy_mars *m = arg;
	struct hy_mars_msg msg = { .h = { .type = type, .term = term }, .granted = granted };

	if (to == HY_ELECT_REPLY)
		send_to(m, m->reply_to, &msg);
	else
		send_candidates(m, &msg);
}

/* ---- publishing ------------------------------------------------------- */

static void publish(struct hy_mars *m, const struct hy_cluster_node *nodes, unsigned n,
		    uint32_t leader, uint64_t now)
{
	pthread_mutex_lock(&m->lock);
	if (nodes != NULL) {
		memcpy(m->pub, nodes, n * sizeof(*nodes));
		m->pub_n = n;
		m->pub_at_ms = now;
	}
	m->pub_leader = leader;
	m->pub_term = cur_term(m);
	m->pub_leading = leading(m);
	snprintf(m->pub_role, sizeof(m->pub_role), "%s",
		 m->alone ? "alone" : m->candidate ? hy_elect_role_name(m->elect.role) : "member");
	memcpy(m->pub_elect, m->elect.counters, sizeof(m->pub_elect));
	pthread_mutex_unlock(&m->lock);
}

/* The leader as this node knows it now. */
static uint32_t known_leader(const struct hy_mars *m)
{
	if (m->alone)
		return m->self_id;
	if (m->candidate && m->elect.leader != 0)
		return m->elect.leader;
	/* A member, or a candidate that had a VIEW but no PING yet. */
	return m->leader_seen_ms != 0 && hy_mono_ms() < m->leader_seen_ms + m->timeout_ms ?
	       m->leader_id : 0;
}

/* After anything that may have moved the election: registry on taking
 * or losing the lead, logs, the published term and leader. */
static void after_election(struct hy_mars *m, uint64_t now)
{
	bool lead = leading(m);
	uint32_t leader = known_leader(m);

	if (lead && !m->was_leader && !m->alone) {
		unsigned i;

		/* Soft state carried over: the nodes of the last view stay
		 * until they report to us or expire. */
		hy_view_clear(&m->reg);
		pthread_mutex_lock(&m->lock);
		for (i = 0; i < m->pub_n; i++) {
			uint64_t age = m->pub[i].age_ms + (now - m->pub_at_ms);

			if (m->pub[i].id == m->self_id || age > m->timeout_ms)
				continue;
			hy_view_report(&m->reg, &m->pub[i], NULL, now - age);
		}
		pthread_mutex_unlock(&m->lock);
		m->next_hb_ms = now; /* a VIEW at once */
	} else if (!lead && m->was_leader) {
		hy_view_clear(&m->reg);
	}
	m->was_leader = lead;
	if (leader != m->logged_leader || cur_term(m) != m->logged_term) {
		if (leader == m->self_id)
			printf(PROG ": mars: this node (%u) leads, term %llu\n", m->self_id,
			       (unsigned long long)cur_term(m));
		else if (leader != 0)
			printf(PROG ": mars: leader is node %u, term %llu\n", leader,
			       (unsigned long long)cur_term(m));
		else
			printf(PROG ": mars: no leader, term %llu (%s)\n",
			       (unsigned long long)cur_term(m),
			       m->candidate ? hy_elect_role_name(m->elect.role) : "member");
		fflush(stdout);
		m->logged_leader = leader;
		m->logged_term = cur_term(m);
	}
	publish(m, NULL, 0, leader, now);
}

/* ---- heartbeat -------------------------------------------------------- */

/* The registry to every node in it (to only, when not NULL). */
static void send_views(struct hy_mars *m, uint64_t now, const struct hy_mars_peer *only)
{
	struct hy_cluster_node self;
	unsigned i;

	m->ops.local(m->ops.arg, &self);
	hy_view_report(&m->reg, &self, NULL, now);
	m->out = (struct hy_mars_msg){ .h = { .type = HY_MARS_VIEW, .term = cur_term(m) } };
	m->out.nodes = m->scratch;
	m->out.n_nodes = hy_view_snapshot(&m->reg, now, m->scratch);
	publish(m, m->scratch, m->out.n_nodes, m->self_id, now);
	if (only != NULL) {
		send_to(m, only, &m->out);
		count(m, MC_views_out);
		return;
	}
	for (i = 0; i < m->reg.n; i++) {
		if (m->reg.e[i].node.id == m->self_id || m->reg.e[i].from.len == 0)
			continue;
		send_to(m, &m->reg.e[i].from, &m->out);
		count(m, MC_views_out);
	}
}

static void send_report(struct hy_mars *m, uint64_t now)
{
	struct hy_mars_msg msg = { .h = { .type = HY_MARS_REPORT, .term = cur_term(m) } };

	m->ops.local(m->ops.arg, &msg.node);
	/* To the leader while it answers; to every candidate when it has
	 * not for two heartbeats (a new leader learns of us at once). */
	if (m->leader_addr.len != 0 && now < m->leader_seen_ms + 2u * m->hb_ms) {
		send_to(m, &m->leader_addr, &msg);
	} else {
		send_candidates(m, &msg);
	}
	count(m, MC_reports_out);
}

static void heartbeat(struct hy_mars *m, uint64_t now)
{
	unsigned gone;

	if (m->ops.sample != NULL)
		m->ops.sample(m->ops.arg, now);
	if (m->alone)
		return;
	if (leading(m)) {
		gone = hy_view_expire(&m->reg, now);
		while (gone-- > 0)
			count(m, MC_nodes_expired);
		send_views(m, now, NULL);
	} else {
		send_report(m, now);
	}
}

static void on_timer(void *arg, uint32_t events)
{
	struct hy_mars *m = arg;
	uint64_t exp, now = hy_mono_ms();

	(void)events;
	if (read(m->timer_fd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
		return;
	if (m->candidate) {
		hy_elect_tick(&m->elect, now);
		after_election(m, now);
	}
	if (now >= m->next_hb_ms) {
		m->next_hb_ms = now + m->hb_ms;
		heartbeat(m, now);
	}
}

void hy_mars_local_changed(struct hy_mars *m)
{
	uint64_t now = hy_mono_ms();

	if (m == NULL || m->alone)
		return;
	if (leading(m))
		send_views(m, now, NULL);
	else
		send_report(m, now);
}

/* ---- receiving -------------------------------------------------------- */

static void log_duplicate(struct hy_mars *m, uint32_t id, const struct hy_mars_peer *from,
			  uint64_t now)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (m->dup_logged_ms != 0 && now < m->dup_logged_ms + DUP_LOG_EVERY_MS)
		return;
	m->dup_logged_ms = now;
	if (from->u.sa.sa_family == AF_INET)
		inet_ntop(AF_INET, &from->u.in.sin_addr, ip, sizeof(ip));
	else if (from->u.sa.sa_family == AF_INET6)
		inet_ntop(AF_INET6, &from->u.in6.sin6_addr, ip, sizeof(ip));
	printf(PROG ": mars: node id %u is used by two live processes (one sends from %s); "
	       "fix node.id, messages of the older one are dropped\n", id, ip);
	fflush(stdout);
}

static void on_report(struct hy_mars *m, const struct hy_mars_msg *msg,
		      const struct hy_mars_peer *from, uint64_t now)
{
	enum hy_reason why;
	bool fresh = true, changed = false;
	unsigned i;

	if (!leading(m)) {
		count(m, MC_ignored); /* sent to every candidate while leaderless */
		return;
	}
	if (msg->node.id != msg->h.sender) {
		drop(m, HY_R_BAD_FIELD);
		return;
	}
	for (i = 0; i < m->reg.n; i++) {
		if (m->reg.e[i].node.id != msg->node.id)
			continue;
		fresh = m->reg.e[i].from.len == 0;
		changed = m->reg.e[i].node.state != msg->node.state;
	}
	why = hy_view_report(&m->reg, &msg->node, from, now);
	if (why != HY_R_OK) {
		drop(m, why);
		return;
	}
	count(m, MC_reports_in);
	/* A state change (drain) goes to everyone at once, a new node
	 * gets the view at once. */
	if (changed)
		send_views(m, now, NULL);
	else if (fresh)
		send_views(m, now, from);
}

static void on_view(struct hy_mars *m, struct hy_mars_msg *msg, const struct hy_mars_peer *from,
		    uint64_t now)
{
	if (m->candidate) {
		if (msg->h.term < m->elect.term) {
			drop(m, HY_R_STALE_TERM);
			return;
		}
		hy_elect_observe_term(&m->elect, msg->h.term, now);
		after_election(m, now);
		if (leading(m)) {
			count(m, MC_ignored); /* cannot happen: one leader per term */
			return;
		}
	} else {
		if (msg->h.term < m->term) {
			drop(m, HY_R_STALE_TERM);
			return;
		}
		m->term = msg->h.term;
	}
	m->leader_id = msg->h.sender;
	m->leader_addr = *from;
	m->leader_seen_ms = now;
	count(m, MC_views_in);
	publish(m, msg->nodes, msg->n_nodes, known_leader(m), now);
	after_election(m, now);
}

static void handle(struct hy_mars *m, uint8_t *buf, size_t len, const struct hy_mars_peer *from,
		   uint64_t now)
{
	struct hy_mars_msg msg;
	struct hy_mars_hdr h;
	enum hy_reason why;

	count(m, MC_rx);
	why = hy_mars_peek(buf, len, &h);
	if (why == HY_R_OK && m->key[h.key_id] == NULL)
		why = HY_R_BAD_KEY_ID;
	msg.nodes = m->scratch;
	if (why == HY_R_OK)
		why = hy_mars_open(m->key[h.key_id], buf, len, &msg);
	if (why == HY_R_OK && h.sender == m->self_id)
		why = HY_R_DUPLICATE_NODE_ID; /* we never send to ourselves */
	else if (why == HY_R_OK)
		why = hy_mars_replay_check(&m->replay, h.sender, h.boot, h.seq, hy_unix_ms());
	if (why == HY_R_DUPLICATE_NODE_ID)
		log_duplicate(m, h.sender, from, now);
	if (why != HY_R_OK) {
		drop(m, why);
		return;
	}
	switch (h.type) {
	case HY_MARS_REPORT:
		if (m->candidate) {
			hy_elect_observe_term(&m->elect, h.term, now);
			after_election(m, now);
		}
		on_report(m, &msg, from, now);
		break;
	case HY_MARS_VIEW:
		on_view(m, &msg, from, now);
		break;
	default: /* election */
		if (!m->candidate) {
			count(m, MC_ignored);
			break;
		}
		if (!(h.flags & HY_MARS_F_CANDIDATE)) {
			drop(m, HY_R_BAD_FIELD);
			break;
		}
		m->reply_to = from;
		hy_elect_on_msg(&m->elect, h.sender, h.type, h.term, msg.granted != 0, now);
		m->reply_to = NULL;
		if (h.type == HY_MARS_PING && m->elect.leader == h.sender) {
			m->leader_id = h.sender;
			m->leader_addr = *from;
			m->leader_seen_ms = now;
		}
		after_election(m, now);
		break;
	}
}

static void on_readable(void *arg, uint32_t events)
{
	struct hy_mars *m = arg;
	struct hy_mars_peer from;
	unsigned i;

	(void)events;
	for (i = 0; i < RX_BATCH; i++) {
		ssize_t n;

		from.len = sizeof(from.u);
		n = recvfrom(m->fd, m->buf, sizeof(m->buf), MSG_DONTWAIT | MSG_TRUNC, &from.u.sa,
			     &from.len);
		if (n < 0)
			break;
		if ((size_t)n > sizeof(m->buf)) {
			count(m, MC_rx);
			drop(m, HY_R_OVERSIZED);
			continue;
		}
		handle(m, m->buf, (size_t)n, &from, hy_mono_ms());
	}
}

/* ---- set-up ----------------------------------------------------------- */

static int resolve(const char *hostport, int family, struct hy_mars_peer *out, char *err,
		   size_t errlen)
{
	char host[HY_CONF_HOSTPORT_MAX], port[8];
	struct addrinfo hints = { .ai_family = family, .ai_socktype = SOCK_DGRAM }, *ai = NULL;
	uint16_t p;
	int rc;

	if (hy_conf_hostport_split(hostport, host, sizeof(host), &p) != 0) {
		snprintf(err, errlen, "mars: \"%s\" is not host:port", hostport);
		return -1;
	}
	snprintf(port, sizeof(port), "%u", p);
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0 || ai == NULL || ai->ai_addrlen > sizeof(out->u)) {
		snprintf(err, errlen, "mars: cannot resolve %s: %s", hostport,
			 rc != 0 ? gai_strerror(rc) : "no address");
		if (ai != NULL)
			freeaddrinfo(ai);
		return -1;
	}
	memset(out, 0, sizeof(*out));
	memcpy(&out->u, ai->ai_addr, ai->ai_addrlen);
	out->len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static bool same_peer(const struct hy_mars_peer *a, const struct hy_mars_peer *b)
{
	if (a->u.sa.sa_family != b->u.sa.sa_family)
		return false;
	if (a->u.sa.sa_family == AF_INET)
		return a->u.in.sin_port == b->u.in.sin_port &&
		       a->u.in.sin_addr.s_addr == b->u.in.sin_addr.s_addr;
	return a->u.in6.sin6_port == b->u.in6.sin6_port &&
	       memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, 16) == 0;
}

static bool wildcard(const struct hy_conf_addr *a)
{
	return a->family == AF_INET ? a->v4.s_addr == INADDR_ANY :
	       IN6_IS_ADDR_UNSPECIFIED(&a->v6);
}

/* This node's advertised endpoint and its place among the candidates. */
static int find_self(struct hy_mars *m, const struct hy_node_config *c, int family, char *err,
		     size_t errlen)
{
	const struct hy_conf_addr *l = &c->controlplane.mars.listen;
	char ip[INET6_ADDRSTRLEN];
	struct hy_mars_peer self;
	unsigned i;

	m->self_idx = -1;
	if (c->controlplane.mars.advertise[0] != '\0') {
		snprintf(m->endpoint, sizeof(m->endpoint), "%s", c->controlplane.mars.advertise);
	} else if (!wildcard(l)) {
		hy_conf_addr_format(l, ip, sizeof(ip));
		snprintf(m->endpoint, sizeof(m->endpoint), l->family == AF_INET6 ? "[%s]:%u" : "%s:%u",
			 ip, c->controlplane.mars.port);
	} else {
		return 0; /* a member that is no candidate */
	}
	for (i = 0; i < m->n_cand; i++) {
		if (strcasecmp(c->controlplane.mars.candidates[i], m->endpoint) == 0) {
			m->self_idx = (int)i;
			return 0;
		}
	}
	/* Written differently (a name for an address): compare addresses. */
	if (resolve(m->endpoint, family, &self, err, errlen) != 0)
		return -1;
	for (i = 0; i < m->n_cand; i++)
		if (same_peer(&self, &m->cand[i])) {
			m->self_idx = (int)i;
			break;
		}
	return 0;
}

static int open_socket(struct hy_mars *m, const struct hy_node_config *c, char *err,
		       size_t errlen)
{
	const struct hy_conf_addr *l = &c->controlplane.mars.listen;
	struct hy_mars_peer a = { 0 };
	int one = 1, buf = 1 << 20;

	if (l->family == AF_INET6) {
		a.u.in6.sin6_family = AF_INET6;
		a.u.in6.sin6_addr = l->v6;
		a.u.in6.sin6_port = htons(c->controlplane.mars.port);
		a.len = sizeof(a.u.in6);
	} else {
		a.u.in.sin_family = AF_INET;
		a.u.in.sin_addr = l->v4;
		a.u.in.sin_port = htons(c->controlplane.mars.port);
		a.len = sizeof(a.u.in);
	}
	m->fd = socket(a.u.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->fd < 0 || setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(m->fd, &a.u.sa, a.len) < 0) {
		snprintf(err, errlen, "mars: cannot bind UDP port %u: %s", c->controlplane.mars.port,
			 strerror(errno));
		return -1;
	}
	/* A full view is about 27 KB: room for a few in flight. */
	setsockopt(m->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(m->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (hy_loop_add(m->loop, &m->fd_w, m->fd, EPOLLIN, on_readable, m) < 0) {
		snprintf(err, errlen, "mars: cannot watch the socket");
		return -1;
	}
	return 0;
}

static int open_keys(struct hy_mars *m, const struct hy_keyring *keys, char *err, size_t errlen)
{
	uint8_t k[HY_KEY_LEN];
	unsigned i;

	for (i = 0; i < HY_KEYRING_IDS; i++) {
		if (!keys->present[i])
			continue;
		m->key[i] = aligned_alloc(64, sizeof(*m->key[i]));
		if (m->key[i] == NULL || hy_mars_key_derive(keys->key[i], k) != 0 ||
		    hy_aead_key_init(m->key[i], HY_AEAD_OPENSSL, k) != 0) {
			explicit_bzero(k, sizeof(k));
			free(m->key[i]);
			m->key[i] = NULL;
			snprintf(err, errlen, "mars: cannot derive the cluster message key %u", i);
			return -1;
		}
		explicit_bzero(k, sizeof(k));
	}
	m->seal_id = keys->newest_id;
	return 0;
}

struct hy_mars *hy_mars_create(const struct hy_node_config *c, const struct hy_keyring *keys,
			       struct hy_loop *loop, const struct hy_mars_ops *ops, char *err,
			       size_t errlen)
{
	const struct hy_conf_addr *l = &c->controlplane.mars.listen;
	int family = l->family == AF_INET6 ? AF_INET6 : AF_INET;
	uint32_t period = c->controlplane.mars.heartbeat_ms / 4;
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };
	uint64_t now = hy_mono_ms(), seed = 0;
	struct hy_mars *m;
	unsigned i;

	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		snprintf(err, errlen, "mars: out of memory");
		return NULL;
	}
	m->fd = m->timer_fd = -1;
	m->loop = loop;
	m->ops = *ops;
	m->self_id = c->node.id;
	m->hb_ms = c->controlplane.mars.heartbeat_ms;
	m->timeout_ms = c->controlplane.mars.election_timeout_ms;
	m->n_cand = c->controlplane.mars.nb_candidates;
	m->alone = m->n_cand == 0;
	m->self_idx = -1;
	pthread_mutex_init(&m->lock, NULL);
	hy_mars_replay_init(&m->replay, SKEW_MS);
	hy_view_init(&m->reg, m->self_id, m->timeout_ms);
	do {
		if (hy_random_bytes(&m->boot, sizeof(m->boot)) != 0 ||
		    hy_random_bytes(&seed, sizeof(seed)) != 0) {
			snprintf(err, errlen, "mars: no randomness");
			goto fail;
		}
	} while (m->boot == 0);
	if (open_keys(m, keys, err, errlen) != 0)
		goto fail;
	for (i = 0; i < m->n_cand; i++)
		if (resolve(c->controlplane.mars.candidates[i], family, &m->cand[i], err, errlen) != 0)
			goto fail;
	if (!m->alone) {
		if (find_self(m, c, family, err, errlen) != 0 || open_socket(m, c, err, errlen) != 0)
			goto fail;
		m->candidate = m->self_idx >= 0;
	}
	if (m->candidate) {
		struct hy_elect_cfg ec = {
			.self_id = m->self_id, .n_candidates = m->n_cand, .heartbeat_ms = m->hb_ms,
			.timeout_ms = m->timeout_ms, .seed = seed,
		};
		struct hy_elect_ops eo = { .send = elect_send, .arg = m };

		hy_elect_init(&m->elect, &ec, &eo, now);
	}
	/* Timer: a few ticks per heartbeat, so elections and PINGs keep
	 * to their times within 10-100 ms. */
	period = period < 10 ? 10 : period > 100 ? 100 : period;
	its.it_interval.tv_nsec = its.it_value.tv_nsec = (long)period * 1000000L;
	m->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (m->timer_fd < 0 || timerfd_settime(m->timer_fd, 0, &its, NULL) < 0 ||
	    hy_loop_add(loop, &m->timer_w, m->timer_fd, EPOLLIN, on_timer, m) < 0) {
		snprintf(err, errlen, "mars: timer: %s", strerror(errno));
		goto fail;
	}
	m->next_hb_ms = now;
	m->logged_leader = UINT32_MAX;
	after_election(m, now);
	return m;
fail:
	hy_mars_destroy(m);
	return NULL;
}

void hy_mars_destroy(struct hy_mars *m)
{
	unsigned i;

	if (m == NULL)
		return;
	if (m->loop != NULL) {
		hy_loop_del(m->loop, &m->fd_w);
		hy_loop_del(m->loop, &m->timer_w);
	}
	if (m->fd >= 0)
		close(m->fd);
	if (m->timer_fd >= 0)
		close(m->timer_fd);
	for (i = 0; i < HY_KEYRING_IDS; i++) {
		if (m->key[i] == NULL)
			continue;
		hy_aead_key_wipe(m->key[i]);
		free(m->key[i]);
	}
	pthread_mutex_destroy(&m->lock);
	free(m);
}

const char *hy_mars_describe(const struct hy_mars *m, char *buf, size_t len)
{
	if (m == NULL || m->alone)
		snprintf(buf, len, "alone (its own leader, term 1)");
	else if (m->candidate)
		snprintf(buf, len, "candidate %d of %u at %s", m->self_idx + 1, m->n_cand,
			 m->endpoint);
	else
		snprintf(buf, len, "member of %u candidates%s%s", m->n_cand,
			 m->endpoint[0] ? " at " : "", m->endpoint);
	return buf;
}

/* ---- readers (any thread) --------------------------------------------- */

int hy_mars_view(struct hy_mars *m, struct hy_cluster_view *out)
{
	uint64_t now = hy_mono_ms(), since;
	struct hy_cluster_node self;
	unsigned i, j;

	m->ops.local(m->ops.arg, &self);
	memset(out, 0, offsetof(struct hy_cluster_view, nodes));
	pthread_mutex_lock(&m->lock);
	out->leader = m->pub_leader;
	out->term = m->pub_term;
	snprintf(out->role, sizeof(out->role), "%s", m->pub_role);
	since = m->pub_at_ms != 0 && now > m->pub_at_ms ? now - m->pub_at_ms : 0;
	out->view_age_ms = since;
	out->stale = !m->pub_leading && (m->pub_at_ms == 0 || since > m->timeout_ms);
	for (i = j = 0; i < m->pub_n; i++) {
		if (m->pub[i].id == m->self_id)
			continue;
		out->nodes[j] = m->pub[i];
		out->nodes[j++].age_ms += since;
	}
	pthread_mutex_unlock(&m->lock);
	if (m->alone) {
		out->leader = m->self_id;
		out->term = 1;
	}
	/* This node first, always fresh. */
	if (j == HY_CLUSTER_MAX_NODES)
		j--;
	memmove(&out->nodes[1], &out->nodes[0], j * sizeof(out->nodes[0]));
	out->nodes[0] = self;
	out->nodes[0].age_ms = 0;
	out->n_nodes = j + 1;
	return 0;
}

int hy_mars_node(struct hy_mars *m, uint32_t id, struct hy_cluster_node *out)
{
	struct hy_cluster_view *v = malloc(sizeof(*v));
	int rc = -1;
	unsigned i;

	if (v == NULL)
		return -1;
	hy_mars_view(m, v);
	for (i = 0; i < v->n_nodes; i++)
		if (v->nodes[i].id == id) {
			*out = v->nodes[i];
			rc = 0;
			break;
		}
	free(v);
	return rc;
}

int hy_mars_pick(struct hy_mars *m, uint8_t transport, uint32_t exclude_id,
		 struct hy_cluster_node *out)
{
	struct hy_cluster_view *v = malloc(sizeof(*v));
	uint64_t r[2] = { 0, 0 };
	int i;

	if (v == NULL)
		return -1;
	hy_mars_view(m, v);
	hy_random_bytes(r, sizeof(r));
	/* nodes[0] is this node: its version is the one to match. */
	i = hy_view_pick(v->nodes, v->n_nodes, v->nodes[0].version, transport, exclude_id, r[0],
			 r[1]);
	if (i >= 0)
		*out = v->nodes[i];
	free(v);
	return i >= 0 ? 0 : -1;
}

void hy_mars_counters(struct hy_mars *m, void (*cb)(void *arg, const char *name, uint64_t v),
		      void *arg)
{
	uint64_t el[HY_ELECT_C_COUNT], term;
	char name[64];
	unsigned i;

	for (i = 0; i < MC_COUNT; i++) {
		snprintf(name, sizeof(name), "mars.%s", mc_names[i]);
		cb(arg, name, atomic_load_explicit(&m->c[i], memory_order_relaxed));
	}
	pthread_mutex_lock(&m->lock);
	memcpy(el, m->pub_elect, sizeof(el));
	term = m->pub_term;
	pthread_mutex_unlock(&m->lock);
	cb(arg, "mars.term", m->alone ? 1 : term);
	for (i = 0; i < HY_ELECT_C_COUNT; i++) {
		snprintf(name, sizeof(name), "mars.%s", hy_elect_counter_name(i));
		cb(arg, name, el[i]);
	}
	for (i = 0; i < HY_R_COUNT; i++) {
		uint64_t v = atomic_load_explicit(&m->drops[i], memory_order_relaxed);

		if (v == 0)
			continue;
		snprintf(name, sizeof(name), "mars.drop.%s", hy_reason_name(i));
		cb(arg, name, v);
	}
}
