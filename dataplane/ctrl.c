/* SPDX-License-Identifier: BSD-3-Clause
 * Control lcore loop and mailbox entries (see ctrl.h, dp.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_launch.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "ctrl.h"
#include "engine.h"
#include "proto/packet.h"
#include "ring/link.h"
#include "ring/ring.h"
#include "stats.h"
#include "worker.h"

#define EVENTS_BURST 64u
#define UP_RESERVE 16u /* up-ring slots events leave to HELLO, STATS, RESYNC_END */
#define DOWN_BURST 32u
#define LINK_POLL_MS 10u

static atomic_uint signals_seen;

void hy_ctrl_on_signal(int signum)
{
	(void)signum;
	atomic_fetch_add(&signals_seen, 1);
}

unsigned int hy_ctrl_signals(void)
{
	return atomic_load(&signals_seen);
}

/* ---- mailbox entries ---------------------------------------------------- */

struct hy_mbox *hy_mbox_alloc(struct hy_dp *dp, size_t body)
{
	struct hy_mbox *e;

	if (rte_mempool_get(dp->mbox_pool, (void **)&e) != 0)
		return NULL;
	e->op = 0;
	e->worker = 0;
	e->arg = 0;
	e->heap = NULL;
	e->query = NULL;
	memset(&e->msg, 0, sizeof(e->msg));
	if (body > HY_MBOX_INLINE) {
		e->heap = rte_malloc("hy_mbox_body", body, 0);
		if (e->heap == NULL) {
			rte_mempool_put(dp->mbox_pool, e);
			return NULL;
		}
	}
	return e;
}

uint8_t *hy_mbox_buf(struct hy_mbox *e)
{
	return e->heap != NULL ? e->heap : e->data;
}

/* Frees an entry's second buffer, if it has one; the entry goes back to
 * the pool after. */
static void mbox_drop_heap(struct hy_mbox *e)
{
	if (e->heap != NULL) {
		rte_free(e->heap);
		e->heap = NULL;
	}
}

void hy_mbox_free(struct hy_dp *dp, struct hy_mbox *e)
{
	mbox_drop_heap(e);
	rte_mempool_put(dp->mbox_pool, e);
}

void hy_mbox_free_bulk(struct hy_dp *dp, void *const *entries, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		mbox_drop_heap(entries[i]);
	rte_mempool_put_bulk(dp->mbox_pool, entries, n);
}

struct hy_mbox *hy_mbox_from_msg(struct hy_dp *dp, const struct hy_ring_msg *m)
{
	size_t body = 0;
	struct hy_mbox *e;
	uint8_t *buf;

	switch (m->type) {
	case HY_MSG_COMMAND:
	case HY_MSG_RESPOND:
	case HY_MSG_PUSH:
		body = m->u.cmd.payload_len;
		break;
	case HY_MSG_SEND:
		body = 8u * m->u.send.nsids + m->u.send.payload_len;
		break;
	case HY_MSG_TABLE_UPDATE:
		body = m->u.table.body_len;
		break;
	default:
		break;
	}
	e = hy_mbox_alloc(dp, body);
	if (e == NULL)
		return NULL;
	e->op = HY_MBOX_MSG;
	e->msg = *m;
	buf = hy_mbox_buf(e);
	switch (m->type) {
	case HY_MSG_COMMAND:
	case HY_MSG_RESPOND:
	case HY_MSG_PUSH:
		memcpy(buf, m->u.cmd.payload, m->u.cmd.payload_len);
		e->msg.u.cmd.payload = buf;
		break;
	case HY_MSG_SEND:
		memcpy(buf, m->u.send.sids, 8u * m->u.send.nsids);
		memcpy(buf + 8u * m->u.send.nsids, m->u.send.payload,
		       m->u.send.payload_len);
		e->msg.u.send.sids = buf;
		e->msg.u.send.payload = buf + 8u * m->u.send.nsids;
		break;
	case HY_MSG_TABLE_UPDATE:
		memcpy(buf, m->u.table.body, m->u.table.body_len);
		e->msg.u.table.body = buf;
		break;
	default:
		break;
	}
	return e;
}

/* ---- control loop ------------------------------------------------------- */

struct ctrl {
	struct hy_dp *dp;
	struct hy_stats_counters st;
	unsigned int lcore_id;
	uint64_t now_ms;           /* CLOCK_MONOTONIC */
	uint64_t next_link_ms;
	uint64_t next_stats_ms;
	uint64_t next_rotate_ms;
	unsigned int signals;
	uint64_t busy_ns;          /* in passes that found work (busy_us) */
	bool draining;
	bool closing;
	bool stop;
	uint64_t drain_deadline_ms;
	uint64_t close_deadline_ms;
	/* resync in progress */
	bool resync;
	uint32_t resync_seq;
	uint32_t resync_pending;   /* workers yet to report */
	uint32_t resync_count;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool attached(const struct ctrl *c)
{
	return c->dp->link != NULL && hy_link_server_attached(c->dp->link);
}

/* Sends m on the up ring and counts the outcome. */
static void send_up(struct ctrl *c, const struct hy_ring_msg *m)
{
	enum hy_reason r;

	if (!attached(c)) {
		c->st.v[HY_ST_ring_peer_gone]++;
		return;
	}
	r = hy_ring_send(hy_link_server_up(c->dp->link), m);
	if (r == HY_R_OK)
		c->st.v[HY_ST_ring_up_msgs]++;
	else if (r == HY_R_RING_FULL)
		c->st.v[HY_ST_ring_full]++;
	else if (r == HY_R_RING_PEER_GONE)
		c->st.v[HY_ST_ring_peer_gone]++;
	else
		c->st.v[HY_ST_ring_bad]++;
}

/* Messages up in one batch (hy_ring_send_many: one fence and at most one
 * wake-up of the control plane for the lot), counted as send_up does. */
static void send_up_many(struct ctrl *c, const struct hy_ring_msg *const *m, unsigned int n)
{
	unsigned int done, bad;
	enum hy_reason r;

	if (n == 0)
		return;
	if (!attached(c)) {
		c->st.v[HY_ST_ring_peer_gone] += n;
		return;
	}
	done = hy_ring_send_many(hy_link_server_up(c->dp->link), m, n, &bad, &r);
	c->st.v[HY_ST_ring_up_msgs] += done - bad;
	c->st.v[HY_ST_ring_bad] += bad;
	if (done < n)
		c->st.v[r == HY_R_RING_PEER_GONE ? HY_ST_ring_peer_gone : HY_ST_ring_full] += n - done;
}

static uint32_t total_sessions(const struct hy_dp *dp)
{
	uint32_t n = 0;
	unsigned int i;

	for (i = 0; i < dp->nb_workers; i++)
		n += hy_worker_sessions(dp->workers[i]);
	return n;
}

static void send_hello(struct ctrl *c)
{
	struct hy_ring_msg m = { .type = HY_MSG_HELLO };
	const struct hy_node_config *conf = c->dp->conf;
	size_t len = strnlen(conf->node.name, HY_MSG_NODE_MAX);

	m.u.hello.generation = c->dp->generation;
	m.u.hello.pid = (uint32_t)getpid();
	m.u.hello.session_capacity = conf->dataplane.max_sessions;
	m.u.hello.worker_lcores = (uint16_t)c->dp->nb_workers;
	m.u.hello.ring_lcore = (uint16_t)c->lcore_id;
	m.u.hello.node_len = (uint8_t)len;
	memcpy(m.u.hello.node, conf->node.name, len);
	m.u.hello.node[len] = '\0';
	send_up(c, &m);
}

static void send_stats(struct ctrl *c)
{
	struct hy_stats_counters sum;
	struct hy_ring_msg m = { .type = HY_MSG_STATS };

	hy_stats_sum(c->dp->stats, &sum);
	m.u.stats.generation = c->dp->generation;
	m.u.stats.now_ns = mono_ns();
	m.u.stats.sessions = total_sessions(c->dp);
	m.u.stats.session_capacity = c->dp->conf->dataplane.max_sessions;
	m.u.stats.rx_packets = sum.v[HY_ST_rx_packets];
	m.u.stats.tx_packets = sum.v[HY_ST_tx_packets];
	m.u.stats.drops = sum.v[HY_ST_drops];
	m.u.stats.ring_full = sum.v[HY_ST_ring_full] + sum.v[HY_ST_events_full];
	send_up(c, &m);
}

static void link_poll(struct ctrl *c)
{
	switch (hy_link_server_poll(c->dp->link)) {
	case HY_LINK_ATTACHED:
		printf("hayate-dataplane: control plane attached (pid %d)\n",
		       (int)hy_link_server_peer_pid(c->dp->link));
		fflush(stdout);
		send_hello(c);
		break;
	case HY_LINK_DETACHED:
		printf("hayate-dataplane: control plane detached; forwarding "
		       "goes on\n");
		fflush(stdout);
		break;
	default:
		break;
	}
}

/* Up-ring slots an event takes: a large COMMAND or RELAY is several. */
static unsigned int event_slots(const struct hy_mbox *e)
{
	return e->op == HY_MBOX_MSG ? hy_msg_parts(hy_msg_body_len(&e->msg)) : 0;
}

/* One worker's events, up to a burst, and no more than the ring to the
 * control plane has slots for (less UP_RESERVE kept for this lcore's own
 * messages): the burst is peeked, and what does not fit stays in the
 * worker's event ring, where it holds back new sessions and reliable
 * commands (the worker's can_open and command ops) instead of being
 * dropped here.  Without a control plane nothing waits: events are counted
 * as ring_peer_gone.  Returns how many were taken. */
static unsigned int forward_events(struct ctrl *c, struct hy_worker *w)
{
	struct rte_ring *events = hy_worker_events(w);
	void *objs[EVENTS_BURST];
	const struct hy_ring_msg *up[EVENTS_BURST];
	struct hy_ring_msg end = { .type = HY_MSG_RESYNC_END };
	unsigned int n, i, nup = 0, room = UINT_MAX;

	if (attached(c)) {
		struct hy_ring *ring = hy_link_server_up(c->dp->link);
		unsigned int free_slots = hy_ring_capacity(ring) - hy_ring_count(ring);

		room = free_slots > UP_RESERVE ? free_slots - UP_RESERVE : 0;
		if (room == 0)
			return 0;
	}
	n = rte_ring_dequeue_burst_start(events, objs, RTE_MIN(room, EVENTS_BURST), NULL);
	/* The worker wrote these entries on its core: each is a few cache
	 * misses here (the header, a session's user id, a command's first
	 * payload bytes).  Asked for all at once they overlap; taken one by
	 * one they were most of this lcore's time in a connect storm. */
	for (i = 0; i < n; i++) {
		const char *p = objs[i];

		rte_prefetch0(p);
		rte_prefetch0(p + RTE_CACHE_LINE_SIZE);
		rte_prefetch0(p + 2 * RTE_CACHE_LINE_SIZE);
	}
	for (i = 0; i < n; i++) {
		struct hy_mbox *e = objs[i];
		unsigned int need = event_slots(e);

		if (need > room)
			break; /* first of the ones left for later */
		room -= need;
		if (e->op == HY_MBOX_MSG) {
			up[nup++] = &e->msg;
		} else if (e->op == HY_MBOX_RESYNC_DONE && c->resync &&
			   e->msg.seq == c->resync_seq) {
			c->resync_count += e->arg;
			if (--c->resync_pending == 0) {
				/* after the entries before it, in the same batch
				 * (a worker reports once per resync) */
				end.seq = c->resync_seq;
				end.u.resync_end.count = c->resync_count;
				up[nup++] = &end;
				c->resync = false;
			}
		}
	}
	send_up_many(c, up, nup);
	hy_mbox_free_bulk(c->dp, objs, i);
	rte_ring_dequeue_finish(events, i);
	return i;
}

static void post(struct ctrl *c, unsigned int worker, struct hy_mbox *e)
{
	if (hy_worker_post(c->dp->workers[worker], e) != 0) {
		hy_mbox_free(c->dp, e);
		c->st.v[HY_ST_down_refused]++;
	}
}

/* A copy of m to worker (when entries are available). */
static void post_msg(struct ctrl *c, unsigned int worker, const struct hy_ring_msg *m)
{
	struct hy_mbox *e = hy_mbox_from_msg(c->dp, m);

	if (e == NULL) {
		c->st.v[HY_ST_down_refused]++;
		return;
	}
	e->worker = (uint16_t)worker;
	post(c, worker, e);
}

static void start_drain(struct ctrl *c, uint64_t grace_ms, const char *why)
{
	struct hy_dp *dp = c->dp;

	if (c->draining)
		return;
	c->draining = true;
	c->drain_deadline_ms = c->now_ms + grace_ms;
	atomic_store(&dp->node_state, HY_NODE_OFFLINE);
	hy_engine_shared_set_state(dp->shared, HY_NODE_OFFLINE);
	atomic_store(&hy_stats_hdr(dp->stats)->node_state, 1);
	printf("hayate-dataplane: state draining (%s): %u sessions, closing "
	       "what is left in %llu ms\n", why, total_sessions(dp),
	       (unsigned long long)grace_ms);
	fflush(stdout);
}

static void dispatch_down(struct ctrl *c, const struct hy_ring_msg *m)
{
	struct hy_dp *dp = c->dp;
	uint16_t nw = (uint16_t)dp->nb_workers;
	enum hy_ring_dir dir;
	unsigned int i;

	c->st.v[HY_ST_ring_down_msgs]++;
	if (!hy_msg_type_dir(m->type, &dir) || dir != HY_RING_DOWN) {
		c->st.v[HY_ST_ring_bad]++;
		return;
	}
	switch (m->type) {
	case HY_MSG_RESPOND:
	case HY_MSG_PUSH:
	case HY_MSG_KICK:
		post_msg(c, hy_engine_owner(m->sid, nw), m);
		break;
	case HY_MSG_SEND: {
		bool want[RTE_MAX_LCORE] = { false };

		for (i = 0; i < m->u.send.nsids; i++)
			want[hy_engine_owner(hy_msg_send_sid(&m->u.send, i), nw)] = true;
		for (i = 0; i < dp->nb_workers; i++)
			if (want[i])
				post_msg(c, i, m);
		break;
	}
	case HY_MSG_DRAIN:
		start_drain(c, m->u.drain.grace_ms, "DRAIN from the control plane");
		break;
	case HY_MSG_RESYNC_REQUEST:
		c->resync = true;
		c->resync_seq = m->seq;
		c->resync_pending = dp->nb_workers;
		c->resync_count = 0;
		for (i = 0; i < dp->nb_workers; i++)
			post_msg(c, i, m);
		break;
	case HY_MSG_TABLE_UPDATE:
		/* every worker keeps its own copy of the rooms */
		for (i = 0; i < dp->nb_workers; i++)
			post_msg(c, i, m);
		break;
	default:
		c->st.v[HY_ST_down_refused]++;
		break;
	}
}

/* Room for a whole burst of down messages in every worker's inbox, and
 * entries for them (a TABLE_UPDATE takes one per worker).  When there is
 * none, the messages wait in the ring, which is lossless, instead of being
 * dropped here: a lost TABLE_UPDATE would leave one worker's copy of the
 * rooms behind the others'. */
static bool workers_can_take(struct ctrl *c)
{
	struct hy_dp *dp = c->dp;
	unsigned int i;

	if (rte_mempool_avail_count(dp->mbox_pool) < DOWN_BURST * dp->nb_workers)
		return false;
	for (i = 0; i < dp->nb_workers; i++)
		if (rte_ring_free_count(hy_worker_inbox_of(dp, i)) < DOWN_BURST * 4u)
			return false;
	return true;
}

static unsigned int receive_down(struct ctrl *c)
{
	struct hy_ring_msg msgs[DOWN_BURST];
	unsigned int n, i;

	/* (an empty ring first: the pool's count reads every lcore's cache,
	 * a tenth of this lcore's time in a connect storm when it ran on
	 * every turn of the loop) */
	if (!attached(c) || hy_ring_count(hy_link_server_down(c->dp->link)) == 0)
		return 0;
	if (!workers_can_take(c)) {
		c->st.v[HY_ST_down_deferred]++;
		return 0;
	}
	n = hy_ring_recv_burst(hy_link_server_down(c->dp->link), msgs, DOWN_BURST);
	for (i = 0; i < n; i++)
		dispatch_down(c, &msgs[i]);
	return n;
}

static void close_all(struct ctrl *c)
{
	unsigned int i;

	for (i = 0; i < c->dp->nb_workers; i++) {
		struct hy_mbox *e = hy_mbox_alloc(c->dp, 0);

		if (e == NULL)
			continue;
		e->op = HY_MBOX_CLOSE_ALL;
		e->worker = (uint16_t)i;
		e->arg = HY_CLOSE_NODE_DRAINING;
		post(c, i, e);
	}
}

/* Drain and signals: decides when the loop ends. */
static void run_state(struct ctrl *c)
{
	struct hy_dp *dp = c->dp;
	unsigned int sig = hy_ctrl_signals();

	if (sig != c->signals) {
		if (c->signals == 0 && sig == 1) {
			start_drain(c, (uint64_t)dp->conf->dataplane.drain_timeout_s *
				    1000, "signal");
		} else {
			printf("hayate-dataplane: second signal, stopping now\n");
			c->stop = true;
		}
		c->signals = sig;
	}
	if (!c->draining || c->stop)
		return;
	if (total_sessions(dp) == 0) {
		printf("hayate-dataplane: drained, no session left\n");
		c->stop = true;
	} else if (!c->closing && c->now_ms >= c->drain_deadline_ms) {
		printf("hayate-dataplane: drain timeout, closing %u sessions\n",
		       total_sessions(dp));
		close_all(c);
		c->closing = true;
		c->close_deadline_ms = c->now_ms + HY_CTRL_CLOSE_WAIT_MS;
	} else if (c->closing && c->now_ms >= c->close_deadline_ms) {
		c->stop = true;
	}
	fflush(stdout);
}

static void timers(struct ctrl *c)
{
	struct hy_dp *dp = c->dp;

	if (c->now_ms >= c->next_link_ms) {
		link_poll(c);
		c->next_link_ms = c->now_ms + LINK_POLL_MS;
	}
	if (c->now_ms >= c->next_stats_ms) {
		struct hy_stats_shm_hdr *h = hy_stats_hdr(dp->stats);

		atomic_store(&h->heartbeat_ns, mono_ns());
		if (attached(c)) {
			hy_ring_heartbeat(hy_link_server_up(dp->link));
			hy_ring_heartbeat(hy_link_server_down(dp->link));
			send_stats(c);
		}
		c->st.v[HY_ST_sessions] = 0; /* the workers own the gauge */
		c->st.v[HY_ST_busy_us] = c->busy_ns / 1000;
		hy_stats_publish(dp->stats, c->lcore_id, &c->st, mono_ns());
		c->next_stats_ms = c->now_ms + HY_CTRL_STATS_MS;
	}
	if (c->now_ms >= c->next_rotate_ms) {
		/* refused when too soon after the last rotation: try later */
		hy_engine_shared_rotate_cookie_key(dp->shared, dp->backend,
						   wall_ms());
		c->next_rotate_ms = c->now_ms + HY_CTRL_COOKIE_ROTATE_MS;
	}
}

int hy_ctrl_run(struct hy_dp *dp)
{
	struct ctrl c = { .dp = dp };
	unsigned int i, work, idle = 0;

	c.lcore_id = rte_lcore_id();
	c.now_ms = mono_ms();
	c.next_rotate_ms = c.now_ms + HY_CTRL_COOKIE_ROTATE_MS;
	c.signals = 0;
	hy_stats_claim(dp->stats, c.lcore_id, HY_STATS_ROLE_MAIN);

	while (!c.stop && !atomic_load(&dp->quit)) {
		uint64_t start_ns = mono_ns();

		c.now_ms = start_ns / 1000000;
		work = 0;
		for (i = 0; i < dp->nb_workers; i++)
			work += forward_events(&c, dp->workers[i]);
		work += receive_down(&c);
		timers(&c);
		run_state(&c);
		if (work != 0) {
			c.busy_ns += mono_ns() - start_ns;
			idle = 0;
			continue;
		}
		/* a quiet control lcore yields its core: up to 1 ms of delay
		 * for control messages, none for packets */
		if (++idle > 16) {
			struct timespec ts = { 0, idle > 64 ? 1000000 : 100000 };

			c.st.v[HY_ST_idle_sleeps]++;
			nanosleep(&ts, NULL);
		}
	}

	atomic_store(&dp->quit, true);
	rte_eal_mp_wait_lcore();
	/* the workers' last events (sessions closed by the drain) */
	for (i = 0; i < dp->nb_workers; i++)
		while (forward_events(&c, dp->workers[i]) != 0)
			;
	hy_stats_publish(dp->stats, c.lcore_id, &c.st, mono_ns());
	return 0;
}
