/* SPDX-License-Identifier: BSD-3-Clause
 * Control-plane side of the data-plane rings (dataplane_link.h).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <arpa/inet.h>

#include "dataplane_link.h"

#include "proto/limits.h"
#include "ring/link.h"
#include "ring/ring.h"

#define UP_BURST 32u
#define REGISTRY_PREFETCH 4u
#define UP_BUDGET 512u /* messages per poll, so TCP is never starved */
#define PROG "hayate-controlplane"

struct hy_dplink {
	char path[108];
	struct hy_loop *loop;
	struct hy_registry *reg;
	struct hy_dplink_ops ops;
	struct hy_link_client *cl;
	struct hy_loop_watch sock_w, up_w;
	uint64_t retry_at_ms;
	uint32_t backoff_ms;
	int last_err;           /* last connect error, to log changes only */
	bool pending;
	bool resyncing;
	uint32_t resync_seq;
	uint32_t resync_entries;
	bool draining;
	uint32_t drain_grace_ms;
	_Atomic uint64_t c[HY_DPLINK_C_COUNT];
};

static const char *const counter_names[] = {
#define HY_DPLINK_CNT_NAME(name, text) #name,
	HY_DPLINK_COUNTERS(HY_DPLINK_CNT_NAME)
#undef HY_DPLINK_CNT_NAME
};

static void count(struct hy_dplink *l, enum hy_dplink_counter c, uint64_t n)
{
	atomic_fetch_add_explicit(&l->c[c], n, memory_order_relaxed);
}

const char *hy_dplink_counter_name(enum hy_dplink_counter c)
{
	return (unsigned)c < HY_DPLINK_C_COUNT ? counter_names[c] : "unknown";
}

uint64_t hy_dplink_counter(const struct hy_dplink *l, enum hy_dplink_counter c)
{
	return atomic_load_explicit(&l->c[c], memory_order_relaxed);
}

struct hy_dplink *hy_dplink_create(const char *socket_path, struct hy_loop *loop,
				   struct hy_registry *reg, const struct hy_dplink_ops *ops)
{
	struct hy_dplink *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	snprintf(l->path, sizeof(l->path), "%s", socket_path);
	l->loop = loop;
	l->reg = reg;
	l->ops = *ops;
	l->backoff_ms = HY_DPLINK_RETRY_MIN_MS;
	return l;
}

bool hy_dplink_attached(const struct hy_dplink *l)
{
	return l->cl != NULL;
}

static void detach(struct hy_dplink *l, const char *why)
{
	size_t lost;

	if (l->cl == NULL)
		return;
	hy_loop_del(l->loop, &l->sock_w);
	hy_loop_del(l->loop, &l->up_w);
	hy_link_client_close(l->cl);
	l->cl = NULL;
	l->pending = false;
	l->resyncing = false;
	atomic_store(&l->c[HY_DPLINK_C_attached], 0);
	count(l, HY_DPLINK_C_detaches, 1);
	/* Those sessions lived in the dead process. */
	lost = hy_registry_remove_transport(l->reg, HY_TRANSPORT_UDP);
	count(l, HY_DPLINK_C_lost_udp, lost);
	printf(PROG ": data plane detached (%s); %zu UDP sessions dropped; reconnecting\n", why,
	       lost);
	fflush(stdout);
	if (l->ops.detached)
		l->ops.detached(l->ops.arg);
}

void hy_dplink_destroy(struct hy_dplink *l)
{
	if (l == NULL)
		return;
	if (l->cl != NULL) {
		hy_loop_del(l->loop, &l->sock_w);
		hy_loop_del(l->loop, &l->up_w);
		hy_link_client_close(l->cl);
	}
	free(l);
}

enum hy_reason hy_dplink_send(struct hy_dplink *l, const struct hy_ring_msg *m)
{
	enum hy_reason r;

	if (l->cl == NULL) {
		count(l, HY_DPLINK_C_peer_gone, 1);
		return HY_R_RING_PEER_GONE;
	}
	r = hy_ring_send(hy_link_client_down(l->cl), m);
	if (r == HY_R_OK)
		count(l, HY_DPLINK_C_msgs_down, 1);
	else if (r == HY_R_RING_FULL)
		count(l, HY_DPLINK_C_ring_full, 1);
	else if (r == HY_R_RING_PEER_GONE)
		count(l, HY_DPLINK_C_peer_gone, 1);
	return r;
}

enum hy_reason hy_dplink_respond(struct hy_dplink *l, const struct hy_ring_msg *cmd,
				 uint8_t status, const uint8_t *payload, uint32_t len)
{
	struct hy_ring_msg m = { .type = HY_MSG_RESPOND, .seq = cmd->seq, .sid = cmd->sid };

	m.u.cmd.ver = cmd->u.cmd.ver;
	m.u.cmd.cmd = cmd->u.cmd.cmd;
	m.u.cmd.delivery = cmd->u.cmd.delivery;
	m.u.cmd.status = status;
	m.u.cmd.payload = payload;
	m.u.cmd.payload_len = len;
	return hy_dplink_send(l, &m);
}

void hy_dplink_drain(struct hy_dplink *l, uint32_t grace_ms)
{
	struct hy_ring_msg m = { .type = HY_MSG_DRAIN };

	l->draining = true;
	l->drain_grace_ms = grace_ms;
	m.u.drain.grace_ms = grace_ms;
	if (l->cl != NULL)
		hy_dplink_send(l, &m);
}

/* Written by hand, not with snprintf: one is formatted for every session
 * the data plane opens, and snprintf was a tenth of the control plane's
 * time in a connect storm. */
void hy_dplink_format_addr(const struct hy_msg_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?", digits[5];
	size_t n = 0, k = 0, iplen;
	unsigned int port = a->port;

	if (a->family == 4 || a->family == 6)
		inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->addr, ip, sizeof(ip));
	iplen = strlen(ip);
	do {
		digits[k++] = (char)('0' + port % 10);
		port /= 10;
	} while (port != 0);
	/* [ ip ] : port NUL: INET6_ADDRSTRLEN + 9 fits the 64-byte peer field */
	if (len < iplen + k + 4) {
		if (len != 0)
			buf[0] = '\0';
		return;
	}
	if (a->family == 6)
		buf[n++] = '[';
	memcpy(buf + n, ip, iplen);
	n += iplen;
	if (a->family == 6)
		buf[n++] = ']';
	buf[n++] = ':';
	while (k != 0)
		buf[n++] = digits[--k];
	buf[n] = '\0';
}

static void session_up(struct hy_dplink *l, const struct hy_ring_msg *m, uint64_t now)
{
	struct hy_cp_session s = { .sid = m->sid, .transport = m->u.session.transport };

	/* The data plane reports the transport; only UDP sessions live there. */
	if (s.transport != HY_TRANSPORT_UDP)
		s.transport = HY_TRANSPORT_UDP;
	memcpy(s.uid, m->u.session.uid, sizeof(s.uid));
	hy_dplink_format_addr(&m->u.session.addr, s.peer, sizeof(s.peer));
	s.opened_unix_ms = s.last_seen_unix_ms = now;
	hy_registry_upsert(l->reg, &s);
}

/* Handles one message from the data plane; now: the burst's wall clock. */
static void handle(struct hy_dplink *l, const struct hy_ring_msg *m, uint64_t now)
{
	enum hy_ring_dir dir;
	size_t swept;

	count(l, HY_DPLINK_C_events_up, 1);
	if (!hy_msg_type_dir(m->type, &dir) || dir != HY_RING_UP) {
		count(l, HY_DPLINK_C_bad_up, 1);
		return;
	}
	switch (m->type) {
	case HY_MSG_HELLO:
		printf(PROG ": data plane attached: node \"%s\", pid %u, generation %llu, "
		       "%u workers, capacity %u sessions\n", m->u.hello.node, m->u.hello.pid,
		       (unsigned long long)m->u.hello.generation, m->u.hello.worker_lcores,
		       m->u.hello.session_capacity);
		fflush(stdout);
		if (l->ops.attached)
			l->ops.attached(l->ops.arg, &m->u.hello);
		break;
	case HY_MSG_STATS:
		break; /* the counters are read from the stats region instead */
	case HY_MSG_SESSION_OPENED:
		count(l, HY_DPLINK_C_sessions_opened, 1);
		session_up(l, m, now);
		break;
	case HY_MSG_SESSION_CLOSED:
		count(l, HY_DPLINK_C_sessions_closed, 1);
		hy_registry_remove(l->reg, m->sid);
		if (l->ops.session_closed)
			l->ops.session_closed(l->ops.arg, m->sid);
		break;
	case HY_MSG_COMMAND:
		l->ops.command(l->ops.arg, m);
		break;
	case HY_MSG_RELAY:
		if (l->ops.relay)
			l->ops.relay(l->ops.arg, m);
		break;
	case HY_MSG_RESYNC_ENTRY:
		if (l->resyncing && m->seq == l->resync_seq) {
			session_up(l, m, now);
			l->resync_entries++;
			count(l, HY_DPLINK_C_resync_entries, 1);
		}
		break;
	case HY_MSG_RESYNC_END:
		if (!l->resyncing || m->seq != l->resync_seq)
			break; /* an answer to an older request */
		l->resyncing = false;
		swept = hy_registry_sweep(l->reg, HY_TRANSPORT_UDP);
		count(l, HY_DPLINK_C_resyncs, 1);
		count(l, HY_DPLINK_C_swept, swept);
		printf(PROG ": resync done: %u UDP sessions (data plane sent %u), %zu gone\n",
		       l->resync_entries, m->u.resync_end.count, swept);
		fflush(stdout);
		if (l->ops.resynced)
			l->ops.resynced(l->ops.arg);
		break;
	default:
		break;
	}
}

void hy_dplink_poll(struct hy_dplink *l)
{
	struct hy_ring_msg msgs[UP_BURST];
	unsigned total = 0, n, i;
	uint64_t now;

	l->pending = false;
	while (l->cl != NULL) {
		struct hy_ring *up = hy_link_client_up(l->cl);

		n = hy_ring_recv_burst(up, msgs, UP_BURST);
		now = n != 0 ? hy_unix_ms() : 0;
		for (i = 0; i < n; i++) {
			/* the registry slot a few messages ahead: a connect
			 * storm is a stream of random sids */
			if (i + REGISTRY_PREFETCH < n)
				hy_registry_prefetch(l->reg, msgs[i + REGISTRY_PREFETCH].sid);
			handle(l, &msgs[i], now);
		}
		total += n;
		if (n == 0) {
			/* Empty: sleep on the eventfd unless slots raced in. */
			if (hy_ring_arm(up))
				return;
		} else if (total >= UP_BUDGET) {
			l->pending = true;
			return;
		}
	}
}

bool hy_dplink_pending(const struct hy_dplink *l)
{
	return l->pending;
}

static void on_up(void *arg, uint32_t events)
{
	(void)events;
	hy_dplink_poll(arg);
}

static void on_socket(void *arg, uint32_t events)
{
	struct hy_dplink *l = arg;

	(void)events;
	if (l->cl != NULL && !hy_link_client_alive(l->cl))
		detach(l, "socket closed");
}

/* Right after attaching: the up ring may still hold session events the
 * previous control plane never read (queued before it died).  They are
 * older than the resync we are about to ask for and could resurrect a
 * session that closed meanwhile (its SESSION_CLOSED found no consumer and
 * was dropped), so session events are skipped; the resync brings the
 * truth.  HELLO and COMMAND are still handled. */
static void skip_stale(struct hy_dplink *l)
{
	struct hy_ring_msg msgs[UP_BURST];
	struct hy_ring *up = hy_link_client_up(l->cl);
	unsigned n, i, total = 0;

	while (total < HY_RING_MAX_SLOTS &&
	       (n = hy_ring_recv_burst(up, msgs, UP_BURST)) > 0) {
		for (i = 0; i < n; i++) {
			switch (msgs[i].type) {
			case HY_MSG_SESSION_OPENED:
			case HY_MSG_SESSION_CLOSED:
			case HY_MSG_RESYNC_ENTRY:
			case HY_MSG_RESYNC_END:
				count(l, HY_DPLINK_C_events_up, 1);
				count(l, HY_DPLINK_C_stale, 1);
				break;
			default:
				handle(l, &msgs[i], hy_unix_ms());
			}
		}
		total += n;
	}
}

static void try_connect(struct hy_dplink *l, uint64_t now_ms)
{
	struct hy_ring_msg rq = { .type = HY_MSG_RESYNC_REQUEST };
	enum hy_reason why = HY_R_OK;
	int rc = hy_link_client_connect(&l->cl, l->path, HY_DPLINK_HELLO_TIMEOUT_MS, &why);

	if (rc < 0) {
		l->cl = NULL;
		count(l, HY_DPLINK_C_connect_fails, 1);
		if (rc != l->last_err) {
			printf(PROG ": data plane not reachable at %s (%s%s%s); retrying\n", l->path,
			       strerror(-rc), rc == -EPROTO ? ": " : "",
			       rc == -EPROTO ? hy_reason_name(why) : "");
			fflush(stdout);
			l->last_err = rc;
		}
		l->retry_at_ms = now_ms + l->backoff_ms;
		l->backoff_ms = l->backoff_ms * 2 > HY_DPLINK_RETRY_MAX_MS ?
				HY_DPLINK_RETRY_MAX_MS : l->backoff_ms * 2;
		return;
	}
	l->last_err = 0;
	l->backoff_ms = HY_DPLINK_RETRY_MIN_MS;
	if (hy_loop_add(l->loop, &l->sock_w, hy_link_client_fd(l->cl), EPOLLIN | EPOLLRDHUP,
			on_socket, l) < 0 ||
	    hy_loop_add(l->loop, &l->up_w, hy_ring_eventfd(hy_link_client_up(l->cl)), EPOLLIN,
			on_up, l) < 0) {
		hy_loop_del(l->loop, &l->sock_w);
		hy_link_client_close(l->cl);
		l->cl = NULL;
		l->retry_at_ms = now_ms + l->backoff_ms;
		return;
	}
	atomic_store(&l->c[HY_DPLINK_C_attached], 1);
	count(l, HY_DPLINK_C_attaches, 1);
	/* Rebuild the UDP view: entries not re-announced by RESYNC_END are
	 * gone.  Events after the request carry the new mark too. */
	skip_stale(l);
	hy_registry_next_mark(l->reg);
	l->resyncing = true;
	l->resync_entries = 0;
	rq.seq = ++l->resync_seq;
	hy_dplink_send(l, &rq);
	if (l->draining)
		hy_dplink_drain(l, l->drain_grace_ms);
	hy_dplink_poll(l);
}

void hy_dplink_tick(struct hy_dplink *l, uint64_t now_ms)
{
	if (l->cl == NULL) {
		if (now_ms >= l->retry_at_ms)
			try_connect(l, now_ms);
		return;
	}
	if (!hy_link_client_alive(l->cl)) {
		detach(l, "process gone");
		l->retry_at_ms = now_ms + l->backoff_ms;
		return;
	}
	hy_ring_heartbeat(hy_link_client_up(l->cl));
	hy_ring_heartbeat(hy_link_client_down(l->cl));
}
