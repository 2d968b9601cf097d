/* SPDX-License-Identifier: BSD-3-Clause
 * Worker lcore poll loop (see worker.h).
 *
 * Loop shape, in order: timed tx drain; 1 ms housekeeping (engine timers,
 * counters published); rx bursts on each owned queue, each burst through
 * the net layer, then its datagrams' sessions and rooms looked up together,
 * then each datagram through the session engine, and the room relay once
 * for the burst; the inbox (frames handed off by other workers, messages
 * from the control lcore); idle back-off.  Every frame ends in exactly one
 * of: sent, handed off, dropped and counted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "directory.h"
#include "dp.h"
#include "engine.h"
#include "fanout.h"
#include "proto/message.h"
#include "relay.h"
#include "stats.h"
#include "worker.h"

#define PREFETCH_OFFSET 3
#define MAX_BURST 256u

/* Per-frame metadata in the mbuf's private area: the net layer's verdict
 * and the peer, so a frame handed to another worker needs no second
 * parse. */
struct frame_meta {
	struct hy_net_pkt pkt;
	struct hy_peer peer;
	uint8_t handed;   /* came through the inbox */
};

_Static_assert(sizeof(struct frame_meta) <= HY_MBUF_PRIV_SIZE,
	       "frame metadata must fit the mbuf private area");

/* hy_peer.l2 layout: the return path of a session. */
#define L2_PORT 0      /* index into dp->ports / dp->ifc */
#define L2_LOCAL 1     /* index of our address the peer sent to */
#define L2_MAC 2       /* peer (next hop) MAC, 6 bytes */

struct tx_buf {
	uint16_t queue;
	uint16_t n;
	struct rte_mbuf *m[MAX_BURST];
	uint64_t made_tsc[MAX_BURST]; /* start of the poll that made m[i] */
};

/* Frames for one other worker, gathered over an rx burst: one enqueue per
 * burst instead of one per frame keeps the inbox ring's head and tail
 * cache lines from bouncing between the two cores on every packet. */
struct handoff_buf {
	uint16_t n;
	struct rte_mbuf *m[MAX_BURST];
};

struct hy_worker {
	struct hy_stats_counters st; /* first: hot, private */
	struct hy_net_stats net;
	struct hy_dp *dp;
	struct hy_engine *engine;
	struct hy_fanout *fanout;     /* this worker's copy of the rooms */
	struct hy_uid_dir *users;     /* this worker's shard of the user directory */
	struct hy_relay *relay;       /* room traffic relayed from it */
	struct rte_mempool *pool;
	/* Frames done with (dropped or consumed), freed together once per
	 * poll: one rte_pktmbuf_free_bulk() instead of a free per frame. */
	struct rte_mbuf *dead[MAX_BURST];
	unsigned int n_dead;
	/* Mbufs for the engine's next packets, the top one the next it seals
	 * into (op_tx_buf), so that op_tx need not copy it.  Consumed
	 * datagrams' mbufs go here, up to a burst of them: the relay sends a
	 * burst's pushes after the burst, so at 1:1 every push reuses the mbuf
	 * of a broadcast, still in cache, instead of a free and an allocation
	 * per push. */
	struct rte_mbuf *spares[MAX_BURST];
	unsigned int n_spares;
	struct hy_mbox *open_event;   /* set aside for the next SESSION_OPENED */
	unsigned int n_held;          /* RESPONSEs in held[] (at the end) */
	/* Events the event ring had no room for and that no client would
	 * resend, in order: SESSION_CLOSEDs, and ready entries of reliable
	 * items (a closing session's held commands, which go before its
	 * close; reliable pushes and DIRECTs the relay passes up).  Sent as
	 * room comes (late_flush). */
	struct late_event {
		struct hy_mbox *e; /* a ready COMMAND or RELAY; NULL: a SESSION_CLOSED of */
		uint64_t sid;      /* this session, */
		uint16_t reason;   /* for this reason */
	} *late;
	uint32_t late_head, n_late;
	struct rte_ring *inbox;
	struct rte_ring *events;
	unsigned int worker_id;
	unsigned int lcore_id;
	unsigned int burst;
	unsigned int n_rxq;
	struct {
		uint16_t port;   /* index into dp->ports.port[] */
		uint16_t queue;
	} rxq[HY_CONF_MAX_PORTS];
	struct tx_buf tx[HY_CONF_MAX_PORTS];
	struct handoff_buf *handoff;  /* one per worker, by owner id */
	uint64_t poll_tsc;            /* TSC at the start of this poll */
	uint64_t poll_tsc_busy;       /* the same, of the last poll that found work */
	bool idle_sleep;              /* dataplane.idle_sleep */
	uint64_t tx_delay_tsc;        /* sum of the tx delays (tx_delay_ns) */
	uint64_t tx_delay_bound[HY_TX_DELAY_BUCKETS - 1]; /* in TSC ticks */
	uint64_t now_ms;
	/* wall clock from the TSC: now_ms = base_ms + (tsc - base_tsc) / tsc_per_ms */
	uint64_t base_ms;
	uint64_t base_tsc;
	uint64_t tsc_per_ms;
	uint64_t base_mono_ns; /* CLOCK_MONOTONIC at base_tsc: counters' stamps */
	uint64_t busy_tsc;  /* TSC cycles in polls that found work (busy_us) */
	uint32_t resync_seq;
	uint32_t resync_count;
	/* RESPONSEs the engine could not open a session for while the event
	 * ring was full, in arrival order, offered again once it has room
	 * (responses_held; n_held, read every poll, is with the hot fields).
	 * Without them a storm that outran the control plane for a few
	 * milliseconds waited for the clients' resends, a few hundred
	 * milliseconds later; beyond HY_HELD_RESPONSES they do.  Last: cold
	 * but while the control plane is behind. */
	struct rte_mbuf *held[HY_HELD_RESPONSES];
} __rte_cache_aligned;

static inline struct frame_meta *meta_of(struct rte_mbuf *m)
{
	return rte_mbuf_to_priv(m);
}

/* ---- transmit ----------------------------------------------------------- */

/* Counts the tx delays of the first n frames of b, sent now.  Frames made
 * in the same poll share a stamp, so a burst takes one or two lookups. */
static void tx_delay_count(struct hy_worker *w, const struct tx_buf *b, uint16_t n)
{
	uint64_t now = rte_rdtsc(), last = 0;
	unsigned int k = 0;
	uint16_t i;

	for (i = 0; i < n; i++) {
		uint64_t d = now - b->made_tsc[i];

		if (i == 0 || b->made_tsc[i] != last) {
			last = b->made_tsc[i];
			k = hy_tx_delay_bucket(w->tx_delay_bound, d);
		}
		w->st.v[HY_ST_TX_DELAY_BASE + k]++;
		w->tx_delay_tsc += d;
	}
}

static void tx_flush(struct hy_worker *w, unsigned int p)
{
	struct tx_buf *b = &w->tx[p];
	struct hy_port *port = &w->dp->ports.port[p];
	uint32_t len[MAX_BURST];
	uint16_t sent, i;

	if (b->n == 0)
		return;
	/* the driver may free what it sent: lengths are taken before */
	for (i = 0; i < b->n; i++)
		len[i] = b->m[i]->pkt_len;
	if (port->tx_shared)
		rte_spinlock_lock(&port->txq_lock[b->queue]);
	sent = rte_eth_tx_burst(port->port_id, b->queue, b->m, b->n);
	if (port->tx_shared)
		rte_spinlock_unlock(&port->txq_lock[b->queue]);
	w->st.v[HY_ST_tx_packets] += sent;
	for (i = 0; i < sent; i++)
		w->st.v[HY_ST_tx_bytes] += len[i];
	tx_delay_count(w, b, sent);
	if (unlikely(sent < b->n)) {
		w->st.v[HY_ST_tx_dropped] += b->n - sent;
		rte_pktmbuf_free_bulk(&b->m[sent], b->n - sent);
	}
	b->n = 0;
}

static void tx_flush_all(struct hy_worker *w)
{
	unsigned int p;

	for (p = 0; p < w->dp->ports.nb_ports; p++)
		tx_flush(w, p);
}

static inline void tx_enqueue(struct hy_worker *w, unsigned int p,
			      struct rte_mbuf *m)
{
	struct tx_buf *b = &w->tx[p];

	b->made_tsc[b->n] = w->poll_tsc;
	b->m[b->n++] = m;
	if (b->n >= w->burst)
		tx_flush(w, p);
}

static inline void dead_flush(struct hy_worker *w)
{
	if (w->n_dead != 0) {
		rte_pktmbuf_free_bulk(w->dead, w->n_dead);
		w->n_dead = 0;
	}
}

static inline void dead_add(struct hy_worker *w, struct rte_mbuf *m)
{
	if (unlikely(w->n_dead == MAX_BURST))
		dead_flush(w);
	w->dead[w->n_dead++] = m;
}

static inline void drop_frame(struct hy_worker *w, struct rte_mbuf *m)
{
	w->st.v[HY_ST_drops]++;
	dead_add(w, m);
}

/* ---- hand-offs to other workers ------------------------------------------- */

static void handoff_flush(struct hy_worker *w, unsigned int owner)
{
	struct handoff_buf *b = &w->handoff[owner];
	unsigned int sent;

	if (b->n == 0)
		return;
	sent = rte_ring_mp_enqueue_burst(hy_worker_inbox_of(w->dp, owner),
					 (void **)b->m, b->n, NULL);
	w->st.v[HY_ST_handoff_out] += sent;
	if (unlikely(sent < b->n)) {
		w->st.v[HY_ST_handoff_full] += b->n - sent;
		w->st.v[HY_ST_drops] += b->n - sent;
		rte_pktmbuf_free_bulk(&b->m[sent], b->n - sent);
	}
	b->n = 0;
}

static void handoff_flush_all(struct hy_worker *w)
{
	unsigned int o;

	for (o = 0; o < w->dp->nb_workers; o++)
		handoff_flush(w, o);
}

static inline void handoff_add(struct hy_worker *w, unsigned int owner,
			       struct rte_mbuf *m)
{
	struct handoff_buf *b = &w->handoff[owner];

	b->m[b->n++] = m;
	if (b->n >= w->burst)
		handoff_flush(w, owner);
}

/* ---- peers ---------------------------------------------------------------- */

static void peer_from_flow(const struct hy_net_iface *ifc, unsigned int p,
			   const struct hy_net_flow *f, struct hy_peer *peer)
{
	unsigned int i, local = 0;

	memset(peer, 0, sizeof(*peer));
	peer->family = f->family;
	peer->port = rte_be_to_cpu_16(f->peer_port);
	if (f->family == HY_NET_IPV4) {
		memcpy(peer->addr, &f->peer_ip.v4, 4);
		for (i = 0; i < ifc->n_ipv4; i++)
			if (ifc->ipv4[i] == f->local_ip.v4)
				local = i;
	} else {
		memcpy(peer->addr, f->peer_ip.v6, 16);
		for (i = 0; i < ifc->n_ipv6; i++)
			if (memcmp(ifc->ipv6[i], f->local_ip.v6, 16) == 0)
				local = i;
	}
	peer->l2[L2_PORT] = (uint8_t)p;
	peer->l2[L2_LOCAL] = (uint8_t)local;
	memcpy(&peer->l2[L2_MAC], f->peer_mac.addr_bytes, RTE_ETHER_ADDR_LEN);
}

static void flow_from_peer(const struct hy_net_iface *ifc,
			   const struct hy_peer *peer, struct hy_net_flow *f)
{
	unsigned int local = peer->l2[L2_LOCAL];

	memset(f, 0, sizeof(*f));
	f->family = peer->family;
	f->peer_port = rte_cpu_to_be_16(peer->port);
	memcpy(f->peer_mac.addr_bytes, &peer->l2[L2_MAC], RTE_ETHER_ADDR_LEN);
	if (peer->family == HY_NET_IPV4) {
		memcpy(&f->peer_ip.v4, peer->addr, 4);
		f->local_ip.v4 = ifc->ipv4[local < ifc->n_ipv4 ? local : 0];
	} else {
		memcpy(f->peer_ip.v6, peer->addr, 16);
		memcpy(f->local_ip.v6,
		       ifc->ipv6[local < ifc->n_ipv6 ? local : 0], 16);
	}
}

/* ---- engine callbacks ------------------------------------------------------ */

static int post_event(struct hy_worker *w, struct hy_mbox *e)
{
	if (unlikely(rte_ring_sp_enqueue(w->events, e) != 0)) {
		hy_mbox_free(w->dp, e);
		w->st.v[HY_ST_events_full]++;
		return -ENOBUFS;
	}
	w->st.v[HY_ST_events_up]++;
	return 0;
}

static void event_init(const struct hy_worker *w, struct hy_mbox *e, uint16_t type,
		       uint64_t sid)
{
	e->op = HY_MBOX_MSG;
	e->worker = (uint16_t)w->worker_id;
	e->msg.type = type;
	e->msg.sid = sid;
}

/* An event entry: e if one was set aside (op_can_open), else a new one. */
static struct hy_mbox *event_fill(struct hy_worker *w, struct hy_mbox *e, uint16_t type,
				  uint64_t sid, size_t body)
{
	if (e == NULL)
		e = hy_mbox_alloc(w->dp, body);
	if (unlikely(e == NULL)) {
		w->st.v[HY_ST_events_full]++;
		return NULL;
	}
	event_init(w, e, type, sid);
	return e;
}

static void session_to_msg(const struct hy_worker *w,
			   const struct hy_engine_session_info *s,
			   struct hy_msg_session *m)
{
	m->transport = s->transport;
	m->lcore = (uint16_t)w->lcore_id;
	m->addr.family = s->peer.family;
	m->addr.port = s->peer.port;
	memcpy(m->addr.addr, s->peer.addr, 16);
	if (s->peer.family == 4)
		memset(m->addr.addr + 4, 0, 12);
	m->uid_len = s->uid_len;
	memcpy(m->uid, s->uid, s->uid_len);
	m->uid[s->uid_len] = '\0';
}

/* Hands entry e to another worker's inbox; on refusal (inbox full) the
 * entry is freed here.  Returns 0 or -ENOBUFS. */
static int post_to_worker(struct hy_worker *w, unsigned int worker, struct hy_mbox *e)
{
	if (hy_worker_post(w->dp->workers[worker], e) == 0)
		return 0;
	hy_mbox_free(w->dp, e);
	return -ENOBUFS;
}

/* Files (op HY_MBOX_UID_SET) or withdraws (HY_MBOX_UID_DEL) a session in
 * the user directory, whose shard for this user may be another worker's.
 * A lost entry only sends that user's DIRECTs the slow way. */
static void users_update(struct hy_worker *w, uint16_t op, const struct hy_engine_session_info *s)
{
	uint64_t key = hy_uid_key(s->uid, s->uid_len);
	uint16_t shard = hy_uid_shard(key, (uint16_t)w->dp->nb_workers);
	struct hy_mbox *e;

	if (shard == w->worker_id) {
		if (op == HY_MBOX_UID_SET)
			hy_uid_dir_set(w->users, key, s->sid);
		else
			hy_uid_dir_del(w->users, key, s->sid);
		return;
	}
	e = hy_mbox_alloc(w->dp, 0);
	if (e == NULL) {
		w->st.v[HY_ST_users_lost]++;
		return;
	}
	e->op = op;
	e->worker = (uint16_t)w->worker_id;
	e->msg.sid = s->sid;
	memcpy(e->data, &key, sizeof(key));
	if (post_to_worker(w, shard, e) != 0)
		w->st.v[HY_ST_users_lost]++;
}

/* A new session's SESSION_OPENED must reach the control plane, or the
 * session is one it never learns of.  So the engine asks first, and while
 * the event ring (the main lcore behind) or the entry pool is full the
 * handshake waits: held here (engine_input, held_retry), or beyond that
 * for the client's resend.  The entry is taken here and
 * kept for op_session_opened; the ring has one producer, this worker, so
 * a free slot seen here is still free there. */
static bool op_can_open(void *arg)
{
	struct hy_worker *w = arg;

	if (rte_ring_free_count(w->events) == 0)
		return false;
	if (w->open_event == NULL)
		w->open_event = hy_mbox_alloc(w->dp, 0);
	return w->open_event != NULL;
}

static int op_session_opened(void *arg, const struct hy_engine_session_info *s)
{
	struct hy_worker *w = arg;
	struct hy_mbox *e;

	users_update(w, HY_MBOX_UID_SET, s);
	e = event_fill(w, w->open_event, HY_MSG_SESSION_OPENED, s->sid, 0);
	w->open_event = NULL;

	if (e == NULL)
		return -ENOBUFS;
	session_to_msg(w, s, &e->msg.u.session);
	return post_event(w, e);
}

/* A SESSION_CLOSED into the event ring now; false, and nothing counted,
 * when the ring or the entry pool is full.  The ring has one producer,
 * this worker: a free slot seen here stays free for the enqueue. */
static bool post_closed(struct hy_worker *w, uint64_t sid, uint16_t reason)
{
	struct hy_mbox *e;

	if (rte_ring_free_count(w->events) == 0 || (e = hy_mbox_alloc(w->dp, 0)) == NULL)
		return false;
	event_init(w, e, HY_MSG_SESSION_CLOSED, sid);
	e->msg.u.closed.reason = reason;
	return post_event(w, e) == 0;
}

/* Sends what waits in the late list, oldest first, while there is room. */
static void late_flush(struct hy_worker *w)
{
	while (w->n_late != 0) {
		struct late_event *l = &w->late[w->late_head];

		if (l->e != NULL) {
			/* one producer, this worker: a free slot seen stays free */
			if (rte_ring_free_count(w->events) == 0)
				return;
			post_event(w, l->e);
		} else if (!post_closed(w, l->sid, l->reason)) {
			return;
		}
		w->late_head = (w->late_head + 1) % HY_LATE_SLOTS;
		w->n_late--;
	}
}

/* Appends to the late list; false when it is full. */
static bool late_add(struct hy_worker *w, struct late_event ev)
{
	if (unlikely(w->n_late == HY_LATE_SLOTS))
		return false;
	w->late[(w->late_head + w->n_late) % HY_LATE_SLOTS] = ev;
	w->n_late++;
	w->st.v[HY_ST_events_late]++;
	return true;
}

/* A ready entry that must not be lost and cannot wait anywhere else (a
 * reliable item with no client to resend it): into the event ring, or,
 * while the ring is full or anything waits already, onto the late list
 * behind it.  Lost, counted in events_full, only with the list full. */
static int post_event_late(struct hy_worker *w, struct hy_mbox *e)
{
	if (w->n_late == 0 && rte_ring_free_count(w->events) != 0)
		return post_event(w, e);
	if (!late_add(w, (struct late_event){.e = e})) {
		hy_mbox_free(w->dp, e);
		w->st.v[HY_ST_events_full]++;
		return -ENOBUFS;
	}
	return 0;
}

/* A close the control plane must hear of, or it keeps a session that is
 * gone: when the event ring is full (a burst of closes, the main lcore
 * behind) or anything waits before it, it joins the late list, and is only
 * lost, counted in events_full, past HY_LATE_SLOTS events. */
static int op_session_closed(void *arg, const struct hy_engine_session_info *s,
			     enum hy_close_reason reason)
{
	struct hy_worker *w = arg;

	users_update(w, HY_MBOX_UID_DEL, s);
	if (w->n_late == 0 && post_closed(w, s->sid, (uint16_t)reason))
		return 0;
	if (!late_add(w, (struct late_event){.sid = s->sid, .reason = (uint16_t)reason})) {
		w->st.v[HY_ST_events_full]++;
		return -ENOBUFS;
	}
	return 0;
}

static void command_fill(const struct hy_worker *w, struct hy_mbox *e, uint64_t sid, uint8_t ver,
			 uint16_t cmd, enum hy_engine_delivery delivery, const uint8_t *payload,
			 uint32_t len)
{
	uint8_t *buf = hy_mbox_buf(e);

	event_init(w, e, HY_MSG_COMMAND, sid);
	memcpy(buf, payload, len);
	e->msg.u.cmd.ver = ver;
	e->msg.u.cmd.delivery = (uint8_t)delivery;
	e->msg.u.cmd.cmd = cmd;
	e->msg.u.cmd.status = 0;
	e->msg.u.cmd.payload_len = len;
	e->msg.u.cmd.payload = buf;
}

/* A COMMAND event for the control plane.  A reliable command the engine
 * can hold (may_hold) is refused with -EBUSY, nothing counted, while the
 * event ring is full, the late list not empty (it keeps its place behind
 * them) or the entry pool empty: its channel keeps it, acknowledged, and
 * offers it again (commands_held).  A reliable one that cannot be held (a
 * DIRECT passed up from a relay job) goes to the late list when the ring
 * is full.  Others are dropped then, and counted in events_full. */
static int command_post(struct hy_worker *w, uint64_t sid, uint8_t ver, uint16_t cmd,
			enum hy_engine_delivery delivery, const uint8_t *payload, uint32_t len,
			bool may_hold)
{
	bool reliable = delivery == HY_ENGINE_RELIABLE;
	struct hy_mbox *e = NULL;

	/* The ring has one producer, this worker: a free slot seen here is
	 * still free at the enqueue. */
	if (reliable && may_hold && unlikely(w->n_late != 0))
		return -EBUSY;
	if (likely(rte_ring_free_count(w->events) != 0) || (reliable && !may_hold))
		e = hy_mbox_alloc(w->dp, len);
	if (unlikely(e == NULL)) {
		if (reliable && may_hold)
			return -EBUSY;
		w->st.v[HY_ST_events_full]++;
		return -ENOBUFS;
	}
	command_fill(w, e, sid, ver, cmd, delivery, payload, len);
	return reliable && !may_hold ? post_event_late(w, e) : post_event(w, e);
}

/* The engine's command op: a reliable command waits in its channel. */
static int op_command(void *arg, uint64_t sid, uint8_t ver, uint16_t cmd,
		      enum hy_engine_delivery delivery, const uint8_t *payload,
		      uint32_t len)
{
	return command_post(arg, sid, ver, cmd, delivery, payload, len, true);
}

/* A held command of a closing session (the engine's command_late): into
 * the late list, ahead of the SESSION_CLOSED that follows it, when the
 * ring has no room or the list is not empty.  Lost, and counted in
 * events_full, only when the entry pool or the list is exhausted. */
static int op_command_late(void *arg, uint64_t sid, uint8_t ver, uint16_t cmd,
			   const uint8_t *payload, uint32_t len)
{
	struct hy_worker *w = arg;
	struct hy_mbox *e = hy_mbox_alloc(w->dp, len);

	if (unlikely(e == NULL)) {
		w->st.v[HY_ST_events_full]++;
		return -ENOBUFS;
	}
	command_fill(w, e, sid, ver, cmd, HY_ENGINE_RELIABLE, payload, len);
	return post_event_late(w, e);
}

/* The relay's: a DIRECT passed up from a job, which has no channel to
 * wait in (a reliable one waits in the late list instead). */
static int op_command_up(void *arg, uint64_t sid, uint8_t ver, uint16_t cmd,
			 enum hy_engine_delivery delivery, const uint8_t *payload,
			 uint32_t len)
{
	return command_post(arg, sid, ver, cmd, delivery, payload, len, false);
}

/* Where the engine may seal its next packet to `to`: the payload of the
 * top spare mbuf (one allocated when there is none), behind the room its
 * headers take. */
static uint8_t *op_tx_buf(void *arg, const struct hy_peer *to, uint16_t *cap)
{
	struct hy_worker *w = arg;
	uint16_t hdr = hy_net_udp_hdr_len(to->family);
	uint16_t room;

	if (unlikely(hdr == 0))
		return NULL;
	if (w->n_spares == 0) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(w->pool);

		if (m == NULL)
			return NULL; /* op_tx counts the shortage */
		w->spares[w->n_spares++] = m;
	}
	room = rte_pktmbuf_tailroom(w->spares[w->n_spares - 1]);
	if (unlikely(room <= hdr))
		return NULL;
	*cap = (uint16_t)(room - hdr);
	return rte_pktmbuf_mtod_offset(w->spares[w->n_spares - 1], uint8_t *, hdr);
}

static int op_tx(void *arg, const struct hy_peer *to, const uint8_t *pkt,
		 uint16_t len)
{
	struct hy_worker *w = arg;
	unsigned int p = to->l2[L2_PORT];
	const struct hy_net_iface *ifc;
	struct hy_net_flow flow;
	struct rte_mbuf *m;
	uint8_t *dst;
	uint16_t hdr;

	if (unlikely(p >= w->dp->ports.nb_ports))
		return -EINVAL;
	ifc = &w->dp->ifc[p];
	hdr = hy_net_udp_hdr_len(to->family);
	m = w->n_spares != 0 ? w->spares[--w->n_spares] : rte_pktmbuf_alloc(w->pool);
	if (unlikely(m == NULL)) {
		w->st.v[HY_ST_tx_no_mbuf]++;
		return -ENOBUFS;
	}
	if (unlikely(hdr == 0 || hdr + len > rte_pktmbuf_tailroom(m))) {
		rte_pktmbuf_free(m);
		return -EMSGSIZE;
	}
	dst = rte_pktmbuf_mtod_offset(m, uint8_t *, hdr);
	if (dst != pkt) /* not sealed in place by way of op_tx_buf */
		memcpy(dst, pkt, len);
	flow_from_peer(ifc, to, &flow);
	if (unlikely(hy_net_udp_prepare_mbuf(ifc, m, &flow, len) != 0)) {
		rte_pktmbuf_free(m);
		return -EINVAL;
	}
	w->st.v[HY_ST_engine_tx]++;
	tx_enqueue(w, p, m);
	return 0;
}

static enum hy_engine_local op_local_command(void *arg, uint64_t sid, uint8_t ver,
					     uint16_t cmd, enum hy_engine_delivery delivery,
					     const uint8_t *payload, uint32_t len,
					     struct hy_engine_answer *ans)
{
	struct hy_worker *w = arg;

	return hy_relay_command(w->relay, sid, ver, cmd, delivery, payload, len, ans);
}

static const struct hy_engine_ops worker_ops = {
	.can_open = op_can_open,
	.session_opened = op_session_opened,
	.session_closed = op_session_closed,
	.command = op_command,
	.command_late = op_command_late,
	.local_command = op_local_command,
	.tx = op_tx,
	.tx_buf = op_tx_buf,
};

/* ---- room relay callbacks -------------------------------------------------- */

_Static_assert(sizeof(struct hy_relay_job) <= HY_MBOX_INLINE,
	       "a relay job must fit a mailbox entry inline");

static int relay_to_worker(void *arg, uint16_t worker, const struct hy_relay_job *job)
{
	struct hy_worker *w = arg;
	struct hy_mbox *e;

	if (worker >= w->dp->nb_workers || worker == w->worker_id)
		return -EINVAL;
	e = hy_mbox_alloc(w->dp, 0);
	if (e == NULL)
		return -ENOBUFS;
	e->op = HY_MBOX_RELAY;
	e->worker = (uint16_t)w->worker_id;
	/* the fixed part, the recipients used and the push: no more */
	memcpy(e->data, job, offsetof(struct hy_relay_job, sids) + 8u * job->nsids);
	memcpy(e->data + offsetof(struct hy_relay_job, push), job->push, job->len);
	return post_to_worker(w, worker, e);
}

static int relay_up(void *arg, const struct hy_relay_job *job, const uint64_t *sids,
		    unsigned n)
{
	struct hy_worker *w = arg;
	struct hy_mbox *e = event_fill(w, NULL, HY_MSG_RELAY, 0, 8u * n + job->len);
	uint8_t *buf;

	if (e == NULL)
		return -ENOBUFS;
	buf = hy_mbox_buf(e);
	hy_msg_sids_pack(buf, sids, n);
	memcpy(buf + 8u * n, job->push, job->len);
	e->msg.u.send.target = HY_SEND_SIDS;
	e->msg.u.send.ver = HY_MODULES_VER;
	e->msg.u.send.delivery = job->delivery;
	e->msg.u.send.cmd = job->cmd;
	e->msg.u.send.nsids = (uint16_t)n;
	e->msg.u.send.sids = buf;
	e->msg.u.send.payload_len = job->len;
	e->msg.u.send.payload = buf + 8u * n;
	/* a reliable push the sender was told arrived: no one would resend it */
	if (job->delivery == HY_ENGINE_RELIABLE)
		return post_event_late(w, e);
	return post_event(w, e);
}

static int relay_respond(void *arg, uint64_t sid, uint8_t ver, uint16_t cmd,
			 enum hy_engine_delivery d, uint8_t status, const uint8_t *payload,
			 uint32_t len)
{
	struct hy_worker *w = arg;
	uint16_t owner = hy_engine_owner(sid, (uint16_t)w->dp->nb_workers);
	struct hy_ring_msg m = {.type = HY_MSG_RESPOND, .sid = sid};
	struct hy_mbox *e;

	if (owner == w->worker_id)
		return hy_engine_send(w->engine, sid, ver, cmd, status, d, payload, len) ==
		       HY_R_OK ? 0 : -EINVAL;
	/* the owner answers it as it answers the control plane's RESPOND */
	m.u.cmd = (struct hy_msg_cmd){.ver = ver, .delivery = (uint8_t)d, .cmd = cmd,
				      .status = status, .payload_len = len, .payload = payload};
	e = hy_mbox_from_msg(w->dp, &m);
	if (e == NULL)
		return -ENOBUFS;
	e->worker = owner;
	return post_to_worker(w, owner, e);
}

static const struct hy_relay_ops relay_ops = {
	.to_worker = relay_to_worker,
	.up = relay_up,
	.command_up = op_command_up,
	.respond = relay_respond,
};

/* ---- receive -------------------------------------------------------------- */

static inline uint64_t worker_now_ms(const struct hy_worker *w, uint64_t tsc)
{
	return w->base_ms + (tsc - w->base_tsc) / w->tsc_per_ms;
}

static inline uint8_t *payload_of(struct rte_mbuf *m, const struct frame_meta *fm)
{
	return rte_pktmbuf_mtod_offset(m, uint8_t *, fm->pkt.payload_off);
}

/* The room traffic of the datagrams so far: at the end of each burst, and
 * sooner when the relay's queue might not take another datagram's. */
static inline void relay_flush(struct hy_worker *w, bool always)
{
	if (always || hy_relay_should_flush(w->relay))
		hy_relay_flush(w->relay);
}

/* A UDP datagram for us (meta filled): through the engine, with the hint
 * hy_engine_prefetch_burst() gave for it (HY_ENGINE_NO_HINT if none). */
static void engine_input(struct hy_worker *w, struct rte_mbuf *m,
			 struct frame_meta *fm, uint32_t hint)
{
	struct hy_engine_result res;
	unsigned int p = fm->peer.l2[L2_PORT];
	uint8_t *buf = payload_of(m, fm);
	uint32_t room = (uint32_t)m->buf_len - m->data_off - fm->pkt.payload_off;
	uint16_t cap = room > UINT16_MAX ? UINT16_MAX : (uint16_t)room;

	enum hy_engine_action act = hy_engine_input_hinted(w->engine, &fm->peer, buf,
							   fm->pkt.payload_len, cap, w->now_ms,
							   hint, &res);

	/* only a datagram that opened can have queued room traffic (one whose
	 * reply did not fit is dropped OUT_OF_SPACE after its commands ran) */
	if (act == HY_ENGINE_CONSUMED || act == HY_ENGINE_REPLY ||
	    (act == HY_ENGINE_DROP && res.why == HY_R_OUT_OF_SPACE))
		relay_flush(w, false);

	/* Room traffic the datagram asked for waits in the relay for the
	 * burst's flush (relay_flush()).  The relay copied what it sends, so a
	 * consumed datagram's mbuf can carry some of it. */
	if (act == HY_ENGINE_CONSUMED && w->n_spares < w->burst &&
	    likely(RTE_MBUF_DIRECT(m) && m->nb_segs == 1 && rte_mbuf_refcnt_read(m) == 1)) {
		w->st.v[HY_ST_engine_consumed]++;
		rte_pktmbuf_reset(m);
		w->spares[w->n_spares++] = m;
		return;
	}
	switch (act) {
	case HY_ENGINE_REPLY:
		if (unlikely(hy_net_udp_reply_mbuf(&w->dp->ifc[p], m, &fm->pkt,
						   res.reply_len) != 0)) {
			w->st.v[HY_ST_DROP_BASE + HY_R_OUT_OF_SPACE]++;
			drop_frame(w, m);
			return;
		}
		w->st.v[HY_ST_engine_replies]++;
		tx_enqueue(w, p, m);
		return;
	case HY_ENGINE_CONSUMED:
		w->st.v[HY_ST_engine_consumed]++;
		dead_add(w, m);
		return;
	case HY_ENGINE_HANDOFF:
		/* The owner's engine answers HANDOFF only for a sid it does
		 * not own, which cannot happen twice: guard against loops. */
		if (likely(!fm->handed && res.owner < w->dp->nb_workers &&
			   res.owner != w->worker_id)) {
			fm->handed = 1;
			handoff_add(w, res.owner, m);
			return;
		}
		drop_frame(w, m);
		return;
	case HY_ENGINE_DROP:
	default:
		if (res.why == HY_R_EVENTS_FULL && w->n_held < HY_HELD_RESPONSES) {
			/* counted as a drop by the engine; a RESPONSE, not yet */
			w->st.v[HY_ST_responses_held]++;
			w->held[w->n_held++] = m;
			return;
		}
		drop_frame(w, m); /* the engine counted res.why */
		return;
	}
}

/* The oldest held RESPONSEs, as many as the event ring has room for: each
 * through the engine as if it had just come (one that still cannot open
 * is held again, behind the others).  Returns how many were offered. */
static unsigned int held_retry(struct hy_worker *w)
{
	struct rte_mbuf *m[HY_HELD_RESPONSES];
	unsigned int n = RTE_MIN(w->n_held, rte_ring_free_count(w->events)), i;

	if (n == 0)
		return 0;
	memcpy(m, w->held, n * sizeof(m[0]));
	w->n_held -= n;
	memmove(w->held, w->held + n, w->n_held * sizeof(m[0]));
	for (i = 0; i < n; i++)
		engine_input(w, m[i], meta_of(m[i]), HY_ENGINE_NO_HINT);
	return n;
}

/* The net layer's verdict on one received frame: a UDP datagram for us is
 * returned true (meta filled) for the engine; the rest is answered (ARP,
 * ICMP, NDP) or dropped here. */
static inline bool rx_classify(struct hy_worker *w, unsigned int p, struct rte_mbuf *m)
{
	struct frame_meta *fm = meta_of(m);
	const struct hy_net_iface *ifc = &w->dp->ifc[p];
	enum hy_net_verdict v;

	w->st.v[HY_ST_rx_packets]++;
	w->st.v[HY_ST_rx_bytes] += m->pkt_len;
	v = hy_net_classify_mbuf(ifc, m, &fm->pkt);
	hy_net_stats_count(&w->net, v, &fm->pkt);
	if (likely(v == HY_NET_UDP_FOR_US)) {
		w->st.v[HY_ST_udp_in]++;
		/* garbage goes on its first byte, before its peer is written
		 * into the mbuf's cold private area (a flood's cost) */
		if (unlikely(!hy_engine_admit(w->engine, payload_of(m, fm), fm->pkt.payload_len))) {
			drop_frame(w, m);
			return false;
		}
		peer_from_flow(ifc, p, &fm->pkt.flow, &fm->peer);
		fm->handed = 0;
		return true;
	}
	if (v == HY_NET_REPLY) {
		w->st.v[HY_ST_net_replies]++;
		tx_enqueue(w, p, m);
	} else {
		drop_frame(w, m);
	}
	return false;
}

/* One rx burst in three passes: the net layer over every frame; the
 * sessions of the burst's datagrams, and their rooms, looked up together
 * and prefetched (hy_engine_prefetch_burst, hy_fanout_prefetch); then each
 * datagram through the engine, its session already in cache. */
static unsigned int rx_queue(struct hy_worker *w, unsigned int i)
{
	struct rte_mbuf *pkts[MAX_BURST];
	const uint8_t *bufs[MAX_BURST];
	uint16_t lens[MAX_BURST];
	uint32_t hints[MAX_BURST];
	uint64_t sids[MAX_BURST];
	unsigned int p = w->rxq[i].port, nu = 0;
	uint16_t n, k;

	n = rte_eth_rx_burst(w->dp->ports.port[p].port_id, w->rxq[i].queue,
			     pkts, (uint16_t)w->burst);
	if (n == 0)
		return 0;
	for (k = 0; k < PREFETCH_OFFSET && k < n; k++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[k], void *));
	for (k = 0; k < n; k++) {
		if (k + PREFETCH_OFFSET < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[k + PREFETCH_OFFSET], void *));
		if (rx_classify(w, p, pkts[k]))
			pkts[nu++] = pkts[k]; /* the datagrams, in order, at the front */
	}
	for (k = 0; k < nu; k++) {
		const struct frame_meta *fm = meta_of(pkts[k]);

		bufs[k] = payload_of(pkts[k], fm);
		lens[k] = fm->pkt.payload_len;
	}
	if (hy_engine_prefetch_burst(w->engine, bufs, lens, nu, hints, sids) != 0)
		hy_fanout_prefetch(w->fanout, sids, nu);
	for (k = 0; k < nu; k++)
		engine_input(w, pkts[k], meta_of(pkts[k]), hints[k]);
	relay_flush(w, true);
	/* the owners get this burst's frames now: no hand-off waits for the
	 * next burst */
	handoff_flush_all(w);
	return n;
}

/* ---- inbox ---------------------------------------------------------------- */

struct resync_ctx {
	struct hy_worker *w;
	uint32_t seq;
	uint32_t sent;
};

static int resync_one(void *arg, const struct hy_engine_session_info *s)
{
	struct resync_ctx *c = arg;
	struct hy_mbox *e = event_fill(c->w, NULL, HY_MSG_RESYNC_ENTRY, s->sid, 0);

	if (e == NULL)
		return 1; /* out of entries: stop, RESYNC_END says how many */
	e->msg.seq = c->seq;
	session_to_msg(c->w, s, &e->msg.u.session);
	if (post_event(c->w, e) != 0)
		return 1;
	c->sent++;
	return 0;
}

struct query_ctx {
	struct hy_mbox_query *q;
};

static int query_one(void *arg, const struct hy_engine_session_info *s)
{
	struct hy_mbox_query *q = ((struct query_ctx *)arg)->q;

	if (q->n >= HY_QUERY_MAX)
		return 1;
	q->s[q->n].sid = s->sid;
	q->s[q->n].created_ms = s->created_ms;
	q->s[q->n].last_rx_ms = s->last_rx_ms;
	q->s[q->n].family = s->peer.family;
	q->s[q->n].port = s->peer.port;
	memcpy(q->s[q->n].addr, s->peer.addr, 16);
	memcpy(q->s[q->n].uid, s->uid, sizeof(q->s[q->n].uid));
	q->n++;
	return 0;
}

static void down_result(struct hy_worker *w, enum hy_reason r)
{
	if (r != HY_R_OK)
		w->st.v[HY_ST_down_refused]++;
}

/* A close reason from a KICK: the catalogue carries a u16; values that
 * are not a close reason become KICKED. */
static enum hy_close_reason kick_reason(uint16_t v)
{
	return v > 0 && v < HY_CLOSE_REASON_MAX ? (enum hy_close_reason)v :
		HY_CLOSE_KICKED;
}

static void handle_msg(struct hy_worker *w, struct hy_mbox *e)
{
	const struct hy_ring_msg *m = &e->msg;
	unsigned int i;

	w->st.v[HY_ST_inbox_msgs]++;
	switch (m->type) {
	case HY_MSG_RESPOND:
		down_result(w, hy_engine_send(w->engine, m->sid, m->u.cmd.ver,
			m->u.cmd.cmd, m->u.cmd.status,
			(enum hy_engine_delivery)m->u.cmd.delivery, m->u.cmd.payload,
			m->u.cmd.payload_len));
		break;
	case HY_MSG_PUSH:
		down_result(w, hy_engine_send(w->engine, m->sid, m->u.cmd.ver,
			m->u.cmd.cmd, HY_STATUS_PUSH,
			(enum hy_engine_delivery)m->u.cmd.delivery, m->u.cmd.payload,
			m->u.cmd.payload_len));
		break;
	case HY_MSG_SEND:
		for (i = 0; i < m->u.send.nsids; i++) {
			uint64_t sid = hy_msg_send_sid(&m->u.send, i);

			if (hy_engine_owner(sid, (uint16_t)w->dp->nb_workers) !=
			    w->worker_id)
				continue;
			down_result(w, hy_engine_send(w->engine, sid,
				m->u.send.ver, m->u.send.cmd, HY_STATUS_PUSH,
				(enum hy_engine_delivery)m->u.send.delivery,
				m->u.send.payload, m->u.send.payload_len));
		}
		break;
	case HY_MSG_KICK:
		down_result(w, hy_engine_kick(w->engine, m->sid,
					      kick_reason(m->u.closed.reason)));
		break;
	case HY_MSG_TABLE_UPDATE:
		hy_fanout_apply(w->fanout, m->u.table.op, m->u.table.body,
				m->u.table.body_len);
		break;
	case HY_MSG_RESYNC_REQUEST: {
		struct resync_ctx c = { .w = w, .seq = m->seq };
		struct hy_mbox *done;

		hy_engine_foreach_session(w->engine, resync_one, &c);
		done = hy_mbox_alloc(w->dp, 0);
		if (done != NULL) {
			done->op = HY_MBOX_RESYNC_DONE;
			done->worker = (uint16_t)w->worker_id;
			done->arg = c.sent;
			done->msg.seq = m->seq;
			post_event(w, done);
		} else {
			w->st.v[HY_ST_events_full]++;
		}
		break;
	}
	default:
		w->st.v[HY_ST_down_refused]++;
		break;
	}
}

static void handle_mbox(struct hy_worker *w, struct hy_mbox *e)
{
	struct hy_mbox_query *q;
	uint32_t expect = 0;

	switch (e->op) {
	case HY_MBOX_MSG:
		handle_msg(w, e);
		break;
	case HY_MBOX_CLOSE_ALL:
		hy_engine_close_all(w->engine, (enum hy_close_reason)e->arg);
		break;
	case HY_MBOX_RELAY:
		hy_relay_run(w->relay, (const struct hy_relay_job *)e->data);
		break;
	case HY_MBOX_UID_SET:
	case HY_MBOX_UID_DEL: {
		uint64_t key;

		memcpy(&key, e->data, sizeof(key));
		if (e->op == HY_MBOX_UID_SET)
			hy_uid_dir_set(w->users, key, e->msg.sid);
		else
			hy_uid_dir_del(w->users, key, e->msg.sid);
		break;
	}
	case HY_MBOX_QUERY_SESSIONS: {
		struct query_ctx c = { .q = e->query };

		q = e->query;
		q->total = hy_engine_sessions(w->engine);
		hy_engine_foreach_session(w->engine, query_one, &c);
		/* the asker may have given up: then the answer is ours to free */
		if (!atomic_compare_exchange_strong(&q->state, &expect, 1))
			rte_free(q);
		break;
	}
	default:
		break;
	}
	hy_mbox_free(w->dp, e);
}

/* Messages and handed-off frames, in the order they came; the frames'
 * sessions looked up and prefetched together first, as in rx_queue(). */
static unsigned int drain_inbox(struct hy_worker *w)
{
	void *objs[MAX_BURST];
	const uint8_t *bufs[MAX_BURST];
	uint16_t lens[MAX_BURST];
	uint32_t hints[MAX_BURST];
	uint64_t sids[MAX_BURST];
	unsigned int n, i, nf = 0;

	n = rte_ring_sc_dequeue_burst(w->inbox, objs, w->burst, NULL);
	for (i = 0; i < n; i++) {
		if (!((uintptr_t)objs[i] & HY_INBOX_TAG_MBOX)) {
			struct rte_mbuf *m = objs[i];

			bufs[nf] = payload_of(m, meta_of(m));
			lens[nf++] = meta_of(m)->pkt.payload_len;
		}
	}
	if (hy_engine_prefetch_burst(w->engine, bufs, lens, nf, hints, sids) != 0)
		hy_fanout_prefetch(w->fanout, sids, nf);
	for (i = nf = 0; i < n; i++) {
		uintptr_t v = (uintptr_t)objs[i];

		if (v & HY_INBOX_TAG_MBOX) {
			relay_flush(w, true); /* a message may change the table */
			handle_mbox(w, (struct hy_mbox *)(v & ~HY_INBOX_TAG_MBOX));
		} else {
			struct rte_mbuf *m = objs[i];

			w->st.v[HY_ST_handoff_in]++;
			engine_input(w, m, meta_of(m), hints[nf++]);
		}
	}
	relay_flush(w, true);
	return n;
}

/* ---- counters ------------------------------------------------------------- */

static void publish_rooms(const struct hy_worker *w, struct hy_stats_counters *c)
{
	const struct hy_relay_stats *rs = hy_relay_stats(w->relay);
	const struct hy_fanout_stats *fs = hy_fanout_stats(w->fanout);
	uint64_t refused = 0;
	unsigned i;

	c->v[HY_ST_relay_broadcasts] = rs->broadcasts;
	c->v[HY_ST_relay_messages] = rs->messages;
	c->v[HY_ST_relay_directs] = rs->directs;
	c->v[HY_ST_relay_passed_up] = rs->passed_up;
	c->v[HY_ST_relay_pushes] = rs->pushes;
	c->v[HY_ST_relay_push_failed] = rs->push_failed;
	c->v[HY_ST_relay_handoffs] = rs->handoffs;
	c->v[HY_ST_relay_handoffs_in] = rs->handoffs_in;
	c->v[HY_ST_relay_handoff_failed] = rs->handoff_failed;
	c->v[HY_ST_relay_up] = rs->relayed_up;
	c->v[HY_ST_relay_up_failed] = rs->up_failed;
	c->v[HY_ST_relay_stale] = rs->stale;
	c->v[HY_ST_relay_batched] = rs->batched;
	c->v[HY_ST_relay_batch_flushes] = rs->batch_flushes;
	c->v[HY_ST_relay_batch_bypass] = rs->batch_bypass;
	for (i = 0; i < HY_R_COUNT; i++)
		refused += fs->refused[i];
	c->v[HY_ST_table_updates] = fs->updates;
	c->v[HY_ST_table_refused] = refused;
	c->v[HY_ST_table_rooms] = fs->rooms;
	c->v[HY_ST_table_members] = fs->local_members;
	c->v[HY_ST_relay_uid_misses] = rs->uid_misses;
	c->v[HY_ST_users] = hy_uid_dir_stats(w->users)->entries;
	c->v[HY_ST_users_full] = hy_uid_dir_stats(w->users)->full;
}

/* TSC ticks in units of per_ms to the millisecond (1000: us, 10^6: ns),
 * split so the product cannot overflow in any uptime. */
static inline uint64_t tsc_scale(const struct hy_worker *w, uint64_t ticks, uint64_t per_ms)
{
	return ticks / w->tsc_per_ms * per_ms + ticks % w->tsc_per_ms * per_ms / w->tsc_per_ms;
}

static void publish(struct hy_worker *w, uint64_t tsc)
{
	const struct hy_engine_stats *es = hy_engine_stats(w->engine);
	struct hy_stats_counters *c = &w->st;
	unsigned int i;

	for (i = 0; i < HY_NET_DROP_COUNT; i++)
		c->v[HY_ST_NET_DROP_BASE + i] = w->net.drops[i];
	for (i = 0; i < HY_NET_REPLY_COUNT; i++)
		c->v[HY_ST_NET_REPLY_BASE + i] = w->net.replies[i];
	/* engine drops, plus what this loop counted under a reason itself */
	for (i = 0; i < HY_R_COUNT; i++)
		c->v[HY_ST_DROP_BASE + i] = es->drops[i] +
			(i == HY_R_OUT_OF_SPACE ? w->st.v[HY_ST_tx_no_mbuf] : 0);
	for (i = 0; i < HY_CLOSE_REASON_MAX; i++) {
		c->v[HY_ST_CLOSED_BASE + i] = es->closed_by[i];
		c->v[HY_ST_DENY_BASE + i] = es->denies[i];
	}
	c->v[HY_ST_sessions] = es->sessions;
	c->v[HY_ST_sessions_opened] = es->opened;
	c->v[HY_ST_sessions_closed] = es->closed;
	c->v[HY_ST_connects] = es->connects;
	c->v[HY_ST_challenges] = es->challenges;
	c->v[HY_ST_responses] = es->responses;
	c->v[HY_ST_accepts] = es->accepts;
	c->v[HY_ST_auth_failures] = es->auth_failures;
	c->v[HY_ST_replays] = es->replays;
	c->v[HY_ST_rebinds] = es->rebinds;
	c->v[HY_ST_idle_timeouts] = es->idle_timeouts;
	c->v[HY_ST_keepalives] = es->keepalives;
	c->v[HY_ST_echoes] = es->echoes;
	c->v[HY_ST_commands] = es->commands;
	c->v[HY_ST_commands_held] = es->commands_held;
	c->v[HY_ST_used_sids] = es->used_sids;
	c->v[HY_ST_key_expansions] = es->key_expansions;
	c->v[HY_ST_reliable_delivered] = es->reliable_delivered;
	c->v[HY_ST_reliable_queued] = es->reliable_queued;
	c->v[HY_ST_retransmits] = es->retransmits;
	c->v[HY_ST_fragments_in] = es->fragments_in;
	c->v[HY_ST_fragments_out] = es->fragments_out;
	c->v[HY_ST_reassembly_drops] = es->reassembly_drops;
	c->v[HY_ST_window_stalls] = es->window_stalls;
	c->v[HY_ST_rudp_alloc_failures] = es->rudp_alloc_failures;
	c->v[HY_ST_acks_sent] = es->acks_sent;
	c->v[HY_ST_timer_packets] = es->timer_packets;
	c->v[HY_ST_dead_sessions] = es->dead_sessions;
	c->v[HY_ST_slow_consumers] = es->slow_consumers;
	c->v[HY_ST_broken_sessions] = es->broken_sessions;
	c->v[HY_ST_rudp_pool_used] = es->rudp_pool_used;
	c->v[HY_ST_bench_replays_accepted] = es->bench_replays_accepted;
	c->v[HY_ST_busy_us] = tsc_scale(w, w->busy_tsc, 1000);
	c->v[HY_ST_tx_delay_ns] = tsc_scale(w, w->tx_delay_tsc, 1000000);
	publish_rooms(w, c);
	/* the stamp is CLOCK_MONOTONIC, as the region's header promises */
	hy_stats_publish(w->dp->stats, w->lcore_id, c,
			 w->base_mono_ns + tsc_scale(w, tsc - w->base_tsc, 1000000));
}

/* ---- loop ------------------------------------------------------------------- */

static void idle_sleep(struct hy_worker *w, unsigned int us)
{
	struct timespec ts = { 0, (long)us * 1000 };

	tx_flush_all(w);
	w->st.v[HY_ST_idle_sleeps]++;
	nanosleep(&ts, NULL);
}

int hy_worker_main(void *arg)
{
	struct hy_worker *w = arg;
	struct hy_dp *dp = w->dp;
	uint64_t hz = rte_get_tsc_hz();
	uint64_t drain_tsc = (hz + 1000000 - 1) / 1000000 * HY_TX_DRAIN_US;
	uint64_t tick_tsc = (hz + 1000000 - 1) / 1000000 * HY_TICK_US;
	uint64_t sleep_after_tsc = (hz + 1000000 - 1) / 1000000 * HY_IDLE_SLEEP_AFTER_US;
	uint64_t prev_drain, prev_tick, tsc;
	unsigned int idle = 0, sleep_us = HY_IDLE_SLEEP_MIN_US, i, n, work;
	bool more;

	/* Short sleeps should be short: the default 50 us slack would
	 * dominate the back-off's latency cost. */
	prctl(PR_SET_TIMERSLACK, 1000ul, 0, 0, 0);
	prev_drain = prev_tick = rte_rdtsc();
	while (!atomic_load_explicit(&dp->quit, memory_order_relaxed)) {
		tsc = rte_rdtsc();
		w->poll_tsc = tsc;
		w->now_ms = worker_now_ms(w, tsc);
		if (unlikely(tsc - prev_drain > drain_tsc)) {
			tx_flush_all(w);
			prev_drain = tsc;
		}
		if (unlikely(tsc - prev_tick > tick_tsc)) {
			hy_engine_tick(w->engine, w->now_ms);
			hy_relay_tick(w->relay, w->now_ms);
			publish(w, tsc);
			prev_tick = tsc;
		}
		work = 0;
		more = false;
		/* before the rx bursts: held RESPONSEs take the event ring's
		 * room first, so new ones cannot keep them waiting */
		if (unlikely(w->n_held != 0))
			work += held_retry(w);
		for (i = 0; i < w->n_rxq; i++) {
			n = rx_queue(w, i);
			work += n;
			more |= n == w->burst;
		}
		work += drain_inbox(w);
		dead_flush(w);
		if (unlikely(w->n_late != 0))
			late_flush(w);
		/* Every queue came back short: nothing is waiting that what
		 * this poll (or the tick) produced could leave with, so it
		 * leaves now, not up to HY_TX_DRAIN_US later.  Under load the
		 * bursts come back full and packets still leave in bursts. */
		if (!more)
			tx_flush_all(w);
		if (likely(work != 0)) {
			/* one TSC read per busy poll: the load an operator (and
			 * perf/bench) divides by, at well under a cycle a packet */
			w->busy_tsc += rte_rdtsc() - tsc;
			w->poll_tsc_busy = tsc;
			w->st.v[HY_ST_busy_polls]++;
			idle = 0;
			sleep_us = HY_IDLE_SLEEP_MIN_US;
			continue;
		}
		if (++idle < HY_IDLE_SPIN)
			continue;
		if (!w->idle_sleep || tsc - w->poll_tsc_busy < sleep_after_tsc) {
			rte_pause();
			continue;
		}
		idle_sleep(w, sleep_us);
		if (sleep_us < HY_IDLE_SLEEP_MAX_US)
			sleep_us = RTE_MIN(sleep_us * 2, HY_IDLE_SLEEP_MAX_US);
	}
	/* Final pass: what the loop buffered, and the last counters. */
	w->poll_tsc = rte_rdtsc(); /* what the inbox still makes, made now */
	handoff_flush_all(w);
	drain_inbox(w);
	late_flush(w);
	dead_flush(w);
	tx_flush_all(w);
	rte_pktmbuf_free_bulk(w->spares, w->n_spares);
	w->n_spares = 0;
	rte_pktmbuf_free_bulk(w->held, w->n_held);
	w->n_held = 0;
	if (w->open_event != NULL)
		hy_mbox_free(w->dp, w->open_event);
	w->open_event = NULL;
	publish(w, rte_rdtsc());
	return 0;
}

/* ---- bench mode ------------------------------------------------------------ */

/* Bench rooms take ids the control plane's serials do not reach soon. */
#define BENCH_ROOM_BASE 0x80000000u

/* The cluster key bench sessions are derived from: the lowest key id in
 * paths.cluster_key_file (gen_traffic takes the same). */
static const struct hy_aead_ctx *bench_key(const struct hy_dp *dp)
{
	unsigned int id;

	for (id = 0; id < HY_ENGINE_KEY_IDS; id++)
		if (dp->shared->cluster_keys[id] != NULL)
			return dp->shared->cluster_keys[id];
	return NULL;
}

/* Bench room r, whose members are the n sessions at sids, into this
 * worker's fan-out table, as a ROOM_SET from the control plane would put
 * it (bench sessions are not announced, so the control plane has none). */
static int bench_room(struct hy_worker *w, uint32_t r, const uint64_t *sids,
		      uint32_t n, uint32_t max_members, char *err, size_t errlen)
{
	/* static: start-up runs on the main lcore alone */
	static uint8_t body[HY_TABLE_SET_FIXED +
			    HY_TABLE_MAX_MEMBERS * HY_TABLE_MEMBER_LEN];
	static struct hy_table_member m[HY_TABLE_MAX_MEMBERS];
	struct hy_table_update t = {
		.op = HY_TABLE_ROOM_SET,
		.room_id = (uint64_t)w->dp->conf->node.id << 32 |
			   (BENCH_ROOM_BASE + r),
		.version = 1,
		.max_members = (uint16_t)max_members,
		.nmembers = (uint16_t)n,
	};
	enum hy_reason why;
	size_t len;
	uint32_t i;

	for (i = 0; i < n; i++)
		m[i] = (struct hy_table_member){ .sid = sids[i],
						 .kind = HY_TABLE_KIND_UDP };
	why = hy_table_encode(&t, m, body, sizeof(body), &len);
	if (why == HY_R_OK)
		why = hy_fanout_apply(w->fanout, HY_TABLE_ROOM_SET, body, len);
	if (why != HY_R_OK) {
		snprintf(err, errlen, "dataplane.bench.room_size: bench room %u: "
			 "%s%s", r, hy_reason_text(why), why == HY_R_ROOM_LIMIT ?
			 " (raise rooms.max_rooms in the module file)" : "");
		return -1;
	}
	return 0;
}

/*
 * Bench mode (engine.h): this worker's share of dataplane.bench.sessions,
 * derived from the cluster key and dataplane.bench.seed exactly as
 * perf/pktgen/gen_traffic derives them, and every bench room in this
 * worker's copy of the fan-out table.  main.c gets here only when the
 * command line said --bench-mode-insecure.
 */
static int bench_setup(struct hy_worker *w, char *err, size_t errlen)
{
	const struct hy_node_config *c = w->dp->conf;
	const struct hy_aead_ctx *key = bench_key(w->dp);
	uint32_t n = c->dataplane.bench.sessions, k = c->dataplane.bench.room_size;
	struct hy_engine_bench_session b;
	uint64_t *sids = NULL;
	enum hy_reason why;
	uint32_t i, mine = 0;
	int rc = -1;

	if (key == NULL) {
		snprintf(err, errlen, "dataplane.bench.sessions: no cluster key");
		return -1;
	}
	if (k != 0 && (sids = malloc(sizeof(*sids) * n)) == NULL) {
		snprintf(err, errlen, "dataplane.bench.sessions: out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (hy_engine_bench_derive(key, c->dataplane.bench.seed, i, &b) != 0) {
			snprintf(err, errlen, "dataplane.bench.sessions: deriving "
				 "bench session %u failed (AEAD backend)", i);
			goto out;
		}
		if (sids != NULL)
			sids[i] = b.sid;
		if (hy_engine_owner(b.sid, (uint16_t)w->dp->nb_workers) !=
		    w->worker_id)
			continue;
		why = hy_engine_bench_add(w->engine, &b, w->now_ms);
		if (why != HY_R_OK) {
			snprintf(err, errlen, "dataplane.bench.sessions: bench "
				 "session %u (sid %016llx) on worker %u: %s%s", i,
				 (unsigned long long)b.sid, w->worker_id,
				 hy_reason_text(why), why == HY_R_TOKEN_REUSED ?
				 " (two bench sessions share a sid: change "
				 "dataplane.bench.seed)" : why == HY_R_OUT_OF_SPACE ?
				 " (raise dataplane.max_sessions)" : "");
			goto out;
		}
		mine++;
	}
	for (i = 0; k != 0 && i * k < n; i++)
		if (bench_room(w, i, sids + (size_t)i * k,
			       n - i * k < k ? n - i * k : k, k, err, errlen) != 0)
			goto out;
	printf("hayate-dataplane: worker %u: %u bench session%s%s\n",
	       w->worker_id, mine, mine == 1 ? "" : "s",
	       k ? ", bench rooms in its table" : "");
	rc = 0;
out:
	explicit_bzero(&b, sizeof(b));
	free(sids);
	return rc;
}

/* ---- set-up ------------------------------------------------------------------ */

struct rte_ring *hy_worker_inbox_of(struct hy_dp *dp, unsigned int worker_id)
{
	return dp->workers[worker_id]->inbox;
}

int hy_worker_post(struct hy_worker *w, struct hy_mbox *e)
{
	void *obj = (void *)((uintptr_t)e | HY_INBOX_TAG_MBOX);

	return rte_ring_mp_enqueue(w->inbox, obj) == 0 ? 0 : -ENOBUFS;
}

struct rte_ring *hy_worker_events(const struct hy_worker *w)
{
	return w->events;
}

uint32_t hy_worker_sessions(const struct hy_worker *w)
{
	return (uint32_t)hy_engine_stats(w->engine)->sessions;
}

/*
 * The sessions one of `workers` workers holds when the node holds `total`.
 * Session ids are uniformly random and each belongs to the worker
 * hy_engine_owner() names, so a worker's share is binomial(total, 1/workers):
 * the mean, six standard deviations and 64 more make a worker fill before
 * the node does with a probability far below one in a billion, and keep
 * each table (and the hashes that round it up to a power of two) close to
 * total / workers: 1,000,000 sessions on two workers give 503,064 each.
 */
static uint32_t worker_table(uint32_t total, unsigned int workers)
{
	uint64_t var, sd = 0, n;

	if (workers <= 1)
		return RTE_MIN(total, HY_ENGINE_MAX_SESSIONS);
	var = (uint64_t)total * (workers - 1) / ((uint64_t)workers * workers);
	while ((sd + 1) * (sd + 1) <= var) /* at most 2^12 steps for 2^24 sessions */
		sd++;
	n = total / workers + 6 * sd + 64;
	return (uint32_t)RTE_MIN(n, (uint64_t)HY_ENGINE_MAX_SESSIONS);
}

/* Engine timers: a full pass over the table well within a keep-alive
 * interval, with one tick a millisecond. */
static uint32_t tick_budget(uint32_t max_sessions, uint32_t keepalive_ms)
{
	uint32_t ticks = keepalive_ms / 4 ? keepalive_ms / 4 : 1;
	uint32_t b = (max_sessions + ticks - 1) / ticks;

	return b < 256 ? 256 : b;
}

struct hy_worker *hy_worker_create(struct hy_dp *dp, unsigned int worker_id,
	unsigned int lcore_id, char *err, size_t errlen)
{
	const struct hy_node_config *c = dp->conf;
	struct hy_engine_config ec = { 0 };
	int socket = (int)rte_lcore_to_socket_id(lcore_id);
	struct hy_worker *w;
	char name[RTE_RING_NAMESIZE];
	struct timespec ts;
	unsigned int p;

	w = rte_zmalloc_socket("hy_worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
			       socket);
	if (w == NULL) {
		snprintf(err, errlen, "worker %u: out of memory", worker_id);
		return NULL;
	}
	w->dp = dp;
	w->worker_id = worker_id;
	w->lcore_id = lcore_id;
	w->burst = RTE_MIN(c->dataplane.burst, MAX_BURST);
	w->idle_sleep = c->dataplane.idle_sleep;
	w->pool = hy_ports_pool(&dp->ports, socket);

	for (p = 0; p < dp->ports.nb_ports; p++) {
		const struct hy_port *port = &dp->ports.port[p];

		if (port->rss || worker_id == 0) {
			w->rxq[w->n_rxq].port = (uint16_t)p;
			w->rxq[w->n_rxq].queue = port->rss ? (uint16_t)worker_id : 0;
			w->n_rxq++;
		}
		w->tx[p].queue = (uint16_t)(worker_id % port->nb_txq);
	}

	w->handoff = rte_zmalloc_socket("hy_handoff",
		sizeof(*w->handoff) * dp->nb_workers, RTE_CACHE_LINE_SIZE, socket);
	if (w->handoff == NULL) {
		snprintf(err, errlen, "worker %u: out of memory", worker_id);
		rte_free(w);
		return NULL;
	}

	snprintf(name, sizeof(name), "hy_inbox_%u", worker_id);
	w->inbox = rte_ring_create(name, HY_INBOX_SLOTS, socket, RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "hy_events_%u", worker_id);
	w->events = rte_ring_create(name, dp->conf->dataplane.event_slots, socket,
				    RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (w->inbox == NULL || w->events == NULL) {
		snprintf(err, errlen, "worker %u: rings: %s", worker_id,
			 rte_strerror(rte_errno));
		goto fail;
	}
	w->late = rte_malloc_socket("hy_late_events", HY_LATE_SLOTS * sizeof(*w->late),
				    RTE_CACHE_LINE_SIZE, socket);
	if (w->late == NULL) {
		snprintf(err, errlen, "worker %u: late-event list: out of memory", worker_id);
		goto fail;
	}

	clock_gettime(CLOCK_REALTIME, &ts);
	w->base_tsc = rte_rdtsc();
	w->base_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	w->base_mono_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	w->tsc_per_ms = rte_get_tsc_hz() / 1000;
	w->now_ms = w->base_ms;
	w->poll_tsc = w->poll_tsc_busy = w->base_tsc;
	for (unsigned int k = 0; k < HY_TX_DELAY_BUCKETS - 1; k++)
		w->tx_delay_bound[k] = w->tsc_per_ms * hy_tx_delay_bounds_us[k] / 1000;

	ec.node_id = c->node.id;
	ec.worker_id = (uint16_t)worker_id;
	ec.n_workers = (uint16_t)dp->nb_workers;
	ec.socket_id = socket;
	ec.key_cache = c->dataplane.key_cache;
	ec.max_sessions = worker_table(c->dataplane.max_sessions, dp->nb_workers);
	ec.idle_timeout_ms = c->dataplane.idle_timeout_ms;
	ec.keepalive_ms = c->dataplane.keepalive_ms;
	ec.tick_budget = tick_budget(ec.max_sessions, c->dataplane.keepalive_ms);
	ec.max_message = c->limits.max_message_bytes;
	ec.reassembly_bytes = c->limits.reassembly_bytes_per_session;
	ec.rto_min_ms = c->rudp.rto_min_ms;
	ec.rto_max_ms = c->rudp.rto_max_ms;
	ec.max_retries = c->rudp.max_retries;
	ec.backend = dp->backend;
	ec.shared = dp->shared;
	ec.ops = &worker_ops;
	ec.ops_arg = w;
	w->engine = hy_engine_create(&ec, err, errlen);
	if (w->engine == NULL)
		goto fail;

	struct hy_fanout_config fc = {
		.worker_id = (uint16_t)worker_id,
		.n_workers = (uint16_t)dp->nb_workers,
		.max_rooms = dp->mods->rooms.max_rooms,
		.max_local = ec.max_sessions,
		.socket_id = socket,
	};
	w->fanout = hy_fanout_create(&fc, err, errlen);
	if (w->fanout == NULL)
		goto fail;
	w->users = hy_uid_dir_create((uint16_t)worker_id, ec.max_sessions, socket, err, errlen);
	if (w->users == NULL)
		goto fail;
	struct hy_relay_config rc = {
		.worker_id = (uint16_t)worker_id,
		.n_workers = (uint16_t)dp->nb_workers,
		.engine = w->engine,
		.table = w->fanout,
		.users = w->users,
		.ops = &relay_ops,
		.ops_arg = w,
	};
	w->relay = hy_relay_create(&rc, socket, err, errlen);
	if (w->relay == NULL)
		goto fail;
	if (c->dataplane.bench.sessions != 0 && bench_setup(w, err, errlen) != 0)
		goto fail;
	return w;

fail:
	hy_relay_destroy(w->relay);
	hy_uid_dir_destroy(w->users);
	hy_fanout_destroy(w->fanout);
	hy_engine_destroy(w->engine);
	rte_ring_free(w->events);
	rte_ring_free(w->inbox);
	rte_free(w->late);
	rte_free(w->handoff);
	rte_free(w);
	return NULL;
}

void hy_worker_free(struct hy_dp *dp, struct hy_worker *w)
{
	void *obj;

	if (w == NULL)
		return;
	while (rte_ring_dequeue(w->inbox, &obj) == 0) {
		uintptr_t v = (uintptr_t)obj;

		if (v & HY_INBOX_TAG_MBOX) {
			struct hy_mbox *e = (struct hy_mbox *)(v & ~HY_INBOX_TAG_MBOX);

			if (e->op == HY_MBOX_QUERY_SESSIONS) {
				uint32_t expect = 0;

				if (!atomic_compare_exchange_strong(
					    &e->query->state, &expect, 1))
					rte_free(e->query);
			}
			hy_mbox_free(dp, e);
		} else {
			rte_pktmbuf_free(obj);
		}
	}
	while (rte_ring_dequeue(w->events, &obj) == 0)
		hy_mbox_free(dp, obj);
	for (; w->n_late != 0; w->n_late--, w->late_head = (w->late_head + 1) % HY_LATE_SLOTS)
		if (w->late[w->late_head].e != NULL)
			hy_mbox_free(dp, w->late[w->late_head].e);
	hy_relay_destroy(w->relay);
	hy_uid_dir_destroy(w->users);
	hy_fanout_destroy(w->fanout);
	hy_engine_destroy(w->engine);
	rte_ring_free(w->events);
	rte_ring_free(w->inbox);
	rte_free(w->late);
	rte_free(w->handoff);
	rte_free(w);
}
