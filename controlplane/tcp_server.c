/* SPDX-License-Identifier: BSD-3-Clause
 * TCP real-time server (tcp_server.h).
 *
 * A connection goes HANDSHAKE (waiting for CONNECT) -> OPEN (session) ->
 * CLOSING (a last DENY or DISCONNECT is being flushed; input is ignored)
 * -> DEAD (closed; freed after the loop's batch, since other events of the
 * same batch may still name it).  Output is queued per connection and
 * flushed when the socket is writable; queued bytes above out_cap mean
 * the client does not read, and the connection is closed rather than
 * allowed to grow the server's memory.  Timers are a scan of all
 * connections on the loop's 100 ms tick: cheap at the connection counts
 * one process holds, and free of per-connection timer state.
 *
 * The reliable channel is shared/rudp, one struct hy_rudp per session and
 * one env for the server (everything runs on the loop thread), as the data
 * plane's engine embeds it.  Its timers (20 ms delayed ACKs, resends from
 * rto_min_ms) are too fine for the 100 ms scan, and scanning every session
 * each millisecond would cost in proportion to the sessions, not to the
 * work.  So sessions with reliability work pending sit in a binary min-heap
 * keyed by hy_rudp_next_deadline() (rounded up to the millisecond, so
 * close deadlines share a wake-up), re-filed after every frame batch, send
 * and flush, and taken out when nothing is pending; one timerfd in the
 * loop is armed at the heap's top.  Filing costs O(log n) and a syscall
 * only when the earliest deadline moves earlier; a deadline that moves
 * later or goes away leaves the timerfd armed, and that wake-up finds
 * nothing due and re-arms (the 100 ms tick runs what is due too, as a
 * backstop).  On TCP the stream loses nothing, so in practice the heap
 * holds sessions waiting for an ACK and a wake-up finds little to do.  A
 * resend is redundant on a stream, but it is what finds a client that
 * stopped acknowledging (RETRIES_EXHAUSTED, as on UDP); resends go into
 * the same capped output queue, so a client that stops reading meets the
 * slow-consumer cap sooner, never unbounded memory.  The windows' memory
 * comes from malloc under one budget for the server (rudp_mem).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "tcp_server.h"

#include "common/wire.h"
#include "crypto/replay.h"
#include "crypto/token.h"
#include "proto/frame.h"
#include "proto/message.h"
#include "proto/packet.h"
#include "proto/seal.h"
#include "ring/msg.h" /* enum hy_delivery */
#include "proto/record.h"
#include "rudp/rudp.h"
#include "sidset.h"

#define ACCEPT_BURST 64
#define READS_PER_EVENT 16
#define CLOSE_LINGER_MS 1000u /* time given to flush a last DENY/DISCONNECT */
#define DENY_PN_BASE (1ull << 63)
#define DENY_PER_MS 4096u
#define SIDSET_EXPIRE_BUDGET 256u
#define SID_BUCKETS 4096u /* sid index for pushes (chains; sids are random) */
#define RUDP_MEM_PER_CONN 2048u /* default budget, as the data plane's pool */
#define RUDP_MEM_MIN (1u << 20)
#define RUDP_MEM_MAX (64u << 20)

enum conn_state {
	C_HANDSHAKE,
	C_OPEN,
	C_CLOSING,
	C_DEAD,
};

struct conn {
	struct hy_aead_ctx rx_key; /* client -> server */
	struct hy_aead_ctx tx_key; /* server -> client */
	struct hy_loop_watch w;
	struct hy_tcp_server *srv;
	struct conn *prev, *next;  /* live list, or the dead list */
	struct conn *snext;        /* sid index chain (while session is true) */
	int fd;
	enum conn_state state;
	bool session;              /* a session is open on it (registry knows it) */
	bool fin_sent;             /* CLOSING: output flushed, FIN sent */
	bool in_rx;                /* inside hy_rudp_on_frame(): no flush, no fini */
	uint64_t sid;
	uint64_t next_pn;
	struct hy_replay replay;
	struct hy_rudp rudp;       /* reliable channel, both directions (while session) */
	uint64_t t_due;            /* reliability deadline (us) while filed in the heap */
	uint32_t t_pos;            /* heap index + 1; 0: not filed */
	uint32_t tx_seq;           /* next SEQUENCED push, stream 0 */
	uint64_t accepted_ms, opened_ms, last_rx_ms, last_tx_ms, linger_until_ms;
	struct hy_echo_addr peer;
	char peer_str[64];
	size_t in_len;
	uint8_t in[HY_RECORD_MAX_LEN];
	uint8_t *out;
	size_t out_off, out_len, out_alloc;
};

struct hy_tcp_server {
	struct hy_tcp_config cfg;
	struct hy_tcp_ops ops;
	struct hy_loop *loop;
	struct hy_loop_watch lw;
	int lfd;
	uint16_t port;
	struct conn *live, *dead;
	unsigned n_conns, n_sessions;
	struct hy_sidset *used;
	struct conn **by_sid;      /* sid index for pushes: SID_BUCKETS chains */
	enum hy_node_state state;
	uint64_t now_ms;           /* CLOCK_MONOTONIC, refreshed per event */
	uint64_t deny_ms;
	uint32_t deny_count;
	_Atomic uint64_t c[HY_TCP_C_COUNT];
	_Atomic uint64_t drops[HY_R_COUNT];
	_Atomic uint64_t deny_by[HY_CLOSE_REASON_MAX];

	/* Reliable channel: the env of every session, its memory, the timer
	 * heap (sessions by deadline) and its timerfd. */
	uint64_t now_us;           /* CLOCK_MONOTONIC, refreshed with now_ms */
	struct hy_rudp_env rudp_env;
	size_t rudp_mem_used;
	struct conn **heap;
	uint32_t heap_n, heap_cap;
	int tfd;
	struct hy_loop_watch tw;
	uint64_t t_armed;          /* time the timerfd is set for (us); 0: not set */
	uint64_t timer_runs;
	/* Outgoing reliable messages up to max_message: command responses, and
	 * pushes (apart, since a command's handler pushes). */
	uint8_t resp[HY_MAX_MESSAGE];
	uint8_t push_msg[HY_MAX_MESSAGE];
};

static const char *const counter_names[] = {
#define HY_TCP_CNT_NAME(name, text) #name,
	HY_TCP_COUNTERS(HY_TCP_CNT_NAME)
#undef HY_TCP_CNT_NAME
};

static void count(struct hy_tcp_server *s, enum hy_tcp_counter c)
{
	atomic_fetch_add_explicit(&s->c[c], 1, memory_order_relaxed);
}

static void conn_event(void *arg, uint32_t events);
static void flush(struct conn *c);
static void timer_clear(struct conn *c);

static void clock_now(struct hy_tcp_server *s)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* the clock of hy_mono_ms() */
	s->now_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	s->now_ms = s->now_us / 1000u;
}

static struct conn **sid_slot(struct hy_tcp_server *s, uint64_t sid)
{
	return &s->by_sid[(sid * 0x9e3779b97f4a7c15ull) >> 52 & (SID_BUCKETS - 1)];
}

static void sid_index_del(struct conn *c)
{
	struct conn **p;

	for (p = sid_slot(c->srv, c->sid); *p != NULL; p = &(*p)->snext) {
		if (*p == c) {
			*p = c->snext;
			return;
		}
	}
}

/* ---- lifecycle of a connection -------------------------------------- */

static void list_remove(struct conn **head, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		*head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void list_push(struct conn **head, struct conn *c)
{
	c->prev = NULL;
	c->next = *head;
	if (*head)
		(*head)->prev = c;
	*head = c;
}

/* The session (if any) ends now, whatever happens to the socket. */
static void end_session(struct conn *c)
{
	struct hy_tcp_server *s = c->srv;

	if (!c->session)
		return;
	c->session = false;
	timer_clear(c);
	/* Inside on_frame (a push the command made closed it), the layer is
	 * still in use: on_data gives its memory back when it returns. */
	if (!c->in_rx)
		hy_rudp_fini(&c->rudp);
	sid_index_del(c);
	s->n_sessions--;
	count(s, HY_TCP_C_sessions_closed);
	if (s->ops.closed)
		s->ops.closed(s->ops.arg, c->sid);
}

/* Closes the socket at once; the memory goes after the batch. */
static void conn_close(struct conn *c)
{
	struct hy_tcp_server *s = c->srv;

	if (c->state == C_DEAD)
		return;
	end_session(c);
	hy_loop_del(s->loop, &c->w);
	close(c->fd);
	c->fd = -1;
	c->state = C_DEAD;
	hy_aead_key_wipe(&c->rx_key);
	hy_aead_key_wipe(&c->tx_key);
	list_remove(&s->live, c);
	list_push(&s->dead, c);
	s->n_conns--;
	count(s, HY_TCP_C_closed);
}

/* Hostile or broken input: count the reason, close without an answer. */
static void conn_refuse(struct conn *c, enum hy_reason why)
{
	struct hy_tcp_server *s = c->srv;

	atomic_fetch_add_explicit(&s->drops[(unsigned)why < HY_R_COUNT ? why : 0], 1,
				  memory_order_relaxed);
	count(s, HY_TCP_C_hostile);
	conn_close(c);
}

/* Ends the session and closes gracefully: flush the queued output, send
 * FIN, discard input until the client closes too (or the linger time
 * ends).  Closing with unread input would make the kernel send RST, which
 * can destroy a DENY or DISCONNECT the client has not read yet. */
static void conn_linger(struct conn *c)
{
	if (c->state == C_DEAD)
		return;
	end_session(c);
	c->state = C_CLOSING;
	c->linger_until_ms = c->srv->now_ms + CLOSE_LINGER_MS;
	flush(c);
}

static void free_dead(void *arg)
{
	struct hy_tcp_server *s = arg;

	while (s->dead != NULL) {
		struct conn *c = s->dead;

		s->dead = c->next;
		free(c->out);
		free(c);
	}
}

/* ---- output ----------------------------------------------------------- */

static void want_write(struct conn *c, bool on)
{
	hy_loop_mod(c->srv->loop, &c->w, EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0));
}

/* Writes what the kernel takes.  May close the connection. */
static void flush(struct conn *c)
{
	while (c->state != C_DEAD && c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				want_write(c, true);
				return;
			}
			conn_close(c);
			return;
		}
		c->out_off += (size_t)n;
	}
	if (c->state == C_DEAD)
		return;
	c->out_off = c->out_len = 0;
	want_write(c, false);
	if (c->state == C_CLOSING && !c->fin_sent) {
		shutdown(c->fd, SHUT_WR);
		c->fin_sent = true;
	}
}

/* Queues one record.  Returns false when the connection was closed (slow
 * consumer or out of memory). */
static bool queue_record(struct conn *c, const uint8_t *rec, size_t len)
{
	struct hy_tcp_server *s = c->srv;
	size_t pending = c->out_len - c->out_off;

	if (pending + len > s->cfg.out_cap) {
		count(s, HY_TCP_C_slow_consumer);
		conn_close(c);
		return false;
	}
	if (c->out_off > 0 && c->out_len + len > c->out_alloc) {
		memmove(c->out, c->out + c->out_off, pending);
		c->out_off = 0;
		c->out_len = pending;
	}
	if (c->out_len + len > c->out_alloc) {
		size_t want = c->out_alloc ? c->out_alloc * 2 : 4096;
		uint8_t *p;

		while (want < c->out_len + len)
			want *= 2;
		if (want > s->cfg.out_cap)
			want = s->cfg.out_cap;
		p = realloc(c->out, want);
		if (p == NULL) {
			conn_close(c);
			return false;
		}
		c->out = p;
		c->out_alloc = want;
	}
	memcpy(c->out + c->out_len, rec, len);
	c->out_len += len;
	c->last_tx_ms = s->now_ms;
	count(s, HY_TCP_C_records_out);
	return true;
}

/* Seals a packet under the session's server key with packet number pn
 * and queues it as a record.  Returns false if the connection closed. */
static bool send_sealed_pn(struct conn *c, enum hy_pkt_type type, uint64_t pn,
			   const uint8_t *pt, size_t len)
{
	uint8_t rec[HY_RECORD_MAX_LEN];
	size_t n = hy_pkt_seal(&c->tx_key, type, c->sid, pn, pt, len, rec + HY_RECORD_HDR_LEN,
			       sizeof(rec) - HY_RECORD_HDR_LEN);

	if (n == 0)
		return c->state != C_DEAD; /* our bug (size): nothing sent */
	n = hy_record_encode(rec, sizeof(rec), rec + HY_RECORD_HDR_LEN, n);
	return n != 0 && queue_record(c, rec, n);
}

static bool send_sealed(struct conn *c, enum hy_pkt_type type, const uint8_t *pt, size_t len)
{
	return send_sealed_pn(c, type, c->next_pn++, pt, len);
}

/* DISCONNECT, then close once it is flushed. */
static void disconnect(struct conn *c, enum hy_close_reason why)
{
	uint8_t body[HY_DISCONNECT_BODY_LEN];
	size_t n = hy_close_encode(body, sizeof(body), why);

	if (c->state != C_OPEN)
		return;
	if (n && !send_sealed(c, HY_PKT_DISCONNECT, body, n))
		return;
	conn_linger(c);
}

/* ---- reliable channel: memory, counters, timers ------------------------ */

/* The windows' allocator: malloc under the server's budget, so clients
 * cannot make the process hold more than rudp_mem between them. */
static void *rudp_alloc(void *arg, size_t size)
{
	struct hy_tcp_server *s = arg;
	void *p;

	if (size > s->cfg.rudp_mem - s->rudp_mem_used)
		return NULL; /* counted by the layer (alloc_failures) */
	p = malloc(size);
	if (p != NULL)
		s->rudp_mem_used += size;
	return p;
}

static void rudp_free(void *arg, void *p, size_t size)
{
	struct hy_tcp_server *s = arg;

	s->rudp_mem_used -= size;
	free(p);
}

/* Copies the layer's counters (loop thread only) into the atomics other
 * threads read. */
static void rudp_stats_sync(struct hy_tcp_server *s)
{
	const struct hy_rudp_stats *r = &s->rudp_env.stats;

#define SET(name, v) atomic_store_explicit(&s->c[HY_TCP_C_##name], (v), memory_order_relaxed)
	SET(reliable_in, r->msgs_delivered);
	SET(fragments_in, r->fragments_received);
	SET(fragments_out, r->fragments_sent);
	SET(retransmits, r->retransmits);
	SET(acks_in, r->acks_received);
	SET(acks_out, r->acks_sent);
	SET(duplicates, r->duplicates);
	SET(window_stalls, r->window_stalls);
	SET(reassembly_drops, r->reassembly_drops);
	SET(rudp_alloc_failures, r->alloc_failures);
	SET(rudp_timer_runs, s->timer_runs);
#undef SET
}

/* Binary min-heap of sessions by t_due; t_pos is the index + 1. */
static void heap_put(struct hy_tcp_server *s, uint32_t i, struct conn *c)
{
	s->heap[i] = c;
	c->t_pos = i + 1;
}

static void heap_up(struct hy_tcp_server *s, uint32_t i)
{
	struct conn *c = s->heap[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (s->heap[parent]->t_due <= c->t_due)
			break;
		heap_put(s, i, s->heap[parent]);
		i = parent;
	}
	heap_put(s, i, c);
}

static void heap_down(struct hy_tcp_server *s, uint32_t i)
{
	struct conn *c = s->heap[i];

	for (;;) {
		uint32_t l = 2 * i + 1, m;

		if (l >= s->heap_n)
			break;
		m = l + 1 < s->heap_n && s->heap[l + 1]->t_due < s->heap[l]->t_due ? l + 1 : l;
		if (c->t_due <= s->heap[m]->t_due)
			break;
		heap_put(s, i, s->heap[m]);
		i = m;
	}
	heap_put(s, i, c);
}

/* Room for n sessions in the heap, reserved when a connection is
 * accepted, so filing a session never fails. */
static bool heap_reserve(struct hy_tcp_server *s, uint32_t n)
{
	struct conn **h;
	uint32_t cap;

	if (n <= s->heap_cap)
		return true;
	cap = s->heap_cap ? s->heap_cap : 64;
	while (cap < n)
		cap *= 2;
	h = realloc(s->heap, cap * sizeof(*h));
	if (h == NULL)
		return false;
	s->heap = h;
	s->heap_cap = cap;
	return true;
}

static void timer_clear(struct conn *c)
{
	struct hy_tcp_server *s = c->srv;
	struct conn *last;
	uint32_t i;

	if (c->t_pos == 0)
		return;
	i = c->t_pos - 1;
	c->t_pos = 0;
	last = s->heap[--s->heap_n];
	if (i == s->heap_n)
		return;
	heap_put(s, i, last);
	heap_up(s, i);
	heap_down(s, last->t_pos - 1);
}

/* Sets the timerfd for the heap's top unless it is already set no later. */
static void timerfd_arm(struct hy_tcp_server *s)
{
	struct itimerspec its = { 0 };
	uint64_t at;

	if (s->heap_n == 0)
		return;
	at = s->heap[0]->t_due;
	if (s->t_armed != 0 && s->t_armed <= at)
		return;
	its.it_value.tv_sec = (time_t)(at / 1000000u);
	its.it_value.tv_nsec = (long)(at % 1000000u) * 1000;
	if (timerfd_settime(s->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		s->t_armed = at;
}

/* Files c at its channel's next deadline, or takes it out when nothing is
 * pending. */
static void timer_file(struct conn *c)
{
	struct hy_tcp_server *s = c->srv;
	uint64_t d = c->state == C_OPEN ? hy_rudp_next_deadline(&c->rudp) : HY_RUDP_NEVER;

	if (d == HY_RUDP_NEVER) {
		timer_clear(c);
		return;
	}
	/* Rounded up to the millisecond, so close deadlines share a wake-up.
	 * Something still due right after a flush (it could not be sent) waits
	 * a millisecond rather than spinning the loop. */
	d = d <= s->now_us ? s->now_us + 1000u : (d + 999u) / 1000u * 1000u;
	if (c->t_pos == 0) {
		c->t_due = d;
		heap_put(s, s->heap_n++, c);
		heap_up(s, s->heap_n - 1);
	} else if (d < c->t_due) {
		c->t_due = d;
		heap_up(s, c->t_pos - 1);
	} else if (d > c->t_due) {
		c->t_due = d;
		heap_down(s, c->t_pos - 1);
	}
	timerfd_arm(s);
}

/* ---- reliable channel: sending ------------------------------------------ */

/* Applies the channel's verdict: a client that stopped acknowledging, or
 * sent an inconsistent stream, gets DISCONNECT as from the data plane;
 * otherwise the session is filed at its next deadline.  Returns false
 * when the session ended. */
static bool rudp_settle(struct conn *c)
{
	switch (hy_rudp_verdict(&c->rudp)) {
	case HY_RUDP_OK:
		timer_file(c);
		return true;
	case HY_RUDP_DEAD:
		count(c->srv, HY_TCP_C_retries_exhausted);
		disconnect(c, HY_CLOSE_RETRIES_EXHAUSTED);
		return false;
	default:
		count(c->srv, HY_TCP_C_protocol_errors);
		disconnect(c, HY_CLOSE_PROTOCOL_ERROR);
		return false;
	}
}

/* Writes what the channel has for the wire now (the pending ACK, resends
 * that are due, units never sent) into as many DATA records as it takes,
 * then settles.  Returns false when the session ended. */
static bool rudp_flush(struct conn *c)
{
	uint8_t pt[HY_MAX_PAYLOAD];
	struct hy_wr w;

	while (c->state == C_OPEN) {
		hy_wr_init(&w, pt, sizeof(pt));
		if (hy_rudp_poll_tx(&c->rudp, c->srv->now_us, &w, HY_MAX_FRAMES_PER_PACKET) == 0 ||
		    w.off == 0)
			break;
		if (!send_sealed(c, HY_PKT_DATA, pt, w.off))
			return false;
	}
	return c->state == C_OPEN && rudp_settle(c);
}

/* After a record that carried what fit: the rest goes now if anything is
 * due (an ACK that cannot wait, units not sent yet), else the session is
 * settled and filed.  Returns false when the session ended. */
static bool rudp_after(struct conn *c)
{
	if (c->state != C_OPEN)
		return false;
	if (hy_rudp_next_deadline(&c->rudp) <= c->srv->now_us)
		return rudp_flush(c);
	return rudp_settle(c);
}

/* Seals a DATA plaintext whose first `frames` frames are in w, with the
 * pending ACK (and whatever else the channel has ready) riding along: a
 * record the server sends anyway carries it for free.  Not while the
 * channel is inside on_frame (c->in_rx): the caller flushes after.
 * Returns false if the connection closed. */
static bool send_data(struct conn *c, struct hy_wr *w, unsigned frames)
{
	if (c->session && !c->in_rx && frames < HY_MAX_FRAMES_PER_PACKET)
		hy_rudp_poll_tx(&c->rudp, c->srv->now_us, w, HY_MAX_FRAMES_PER_PACKET - frames);
	return send_sealed(c, HY_PKT_DATA, w->p, w->off);
}

/* Queues one reliable message (a response or a push) on c's channel;
 * a refusal is counted with its reason.  WINDOW_FULL means the client has
 * left the layer's cap (window and backlog) unacknowledged: it does not
 * keep up, and a reliable message may not be dropped, so the session ends
 * with DISCONNECT SLOW_CONSUMER, as in the data plane. */
static bool rudp_queue(struct conn *c, const uint8_t *msg, size_t len)
{
	struct hy_tcp_server *s = c->srv;
	enum hy_reason r = hy_rudp_send(&c->rudp, msg, len);

	if (r == HY_R_OK) {
		count(s, HY_TCP_C_reliable_out);
		return true;
	}
	count(s, HY_TCP_C_reliable_refused);
	atomic_fetch_add_explicit(&s->drops[(unsigned)r < HY_R_COUNT ? r : 0], 1,
				  memory_order_relaxed);
	if (r == HY_R_WINDOW_FULL) {
		count(s, HY_TCP_C_slow_consumer);
		disconnect(c, HY_CLOSE_SLOW_CONSUMER);
	}
	return false;
}

/* Serves every session whose deadline has come: resends, lone ACKs, the
 * verdict.  Each is filed again strictly after now, so this ends. */
static void rudp_timers_run(struct hy_tcp_server *s)
{
	while (s->heap_n > 0 && s->heap[0]->t_due <= s->now_us) {
		struct conn *c = s->heap[0];

		timer_clear(c);
		s->timer_runs++;
		rudp_flush(c);
		if (c->state != C_DEAD)
			flush(c);
	}
	timerfd_arm(s);
}

static void on_rudp_timer(void *arg, uint32_t events)
{
	struct hy_tcp_server *s = arg;
	uint64_t expirations;

	(void)events;
	if (read(s->tfd, &expirations, sizeof(expirations)) < 0) {
		/* EAGAIN: re-armed since it fired; what is due runs anyway */
	}
	clock_now(s);
	s->t_armed = 0;
	rudp_timers_run(s);
	rudp_stats_sync(s);
}

/* ---- handshake --------------------------------------------------------- */

/* 2^63 | unix ms << 12 | n (docs/protocol.md, "Packet numbers of DENY"):
 * a range no session reaches, so a DENY never reuses a session's nonce.
 * Returns -1 when 4096 DENYs were already sent in this millisecond. */
static int deny_pn(struct hy_tcp_server *s, uint64_t *pn)
{
	uint64_t ms = hy_unix_ms();

	if (ms != s->deny_ms) {
		s->deny_ms = ms;
		s->deny_count = 0;
	}
	if (s->deny_count >= DENY_PER_MS)
		return -1;
	*pn = DENY_PN_BASE | (ms & ((1ull << 51) - 1)) << 12 | s->deny_count++;
	return 0;
}

static void deny(struct conn *c, enum hy_close_reason why)
{
	struct hy_tcp_server *s = c->srv;
	uint8_t body[HY_DENY_BODY_LEN];
	size_t n = hy_close_encode(body, sizeof(body), why);
	uint64_t pn;

	if (deny_pn(s, &pn) < 0) {
		conn_close(c); /* too many at once: silence, like the data plane */
		return;
	}
	count(s, HY_TCP_C_denies);
	atomic_fetch_add_explicit(&s->deny_by[why], 1, memory_order_relaxed);
	if (n && send_sealed_pn(c, HY_PKT_DENY, pn, body, n))
		conn_linger(c);
}

static void format_peer(struct conn *c, const struct sockaddr_storage *ss)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	memset(&c->peer, 0, sizeof(c->peer));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		c->peer.family = 4;
		memcpy(c->peer.addr, &a->sin_addr, 4);
		c->peer.port = ntohs(a->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		c->peer.port = ntohs(a->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
			/* A dual-stack listener: report the IPv4 address. */
			c->peer.family = 4;
			memcpy(c->peer.addr, &a->sin6_addr.s6_addr[12], 4);
		} else {
			c->peer.family = 6;
			memcpy(c->peer.addr, &a->sin6_addr, 16);
		}
	}
	if (c->peer.family != 0)
		inet_ntop(c->peer.family == 4 ? AF_INET : AF_INET6, c->peer.addr, ip, sizeof(ip));
	snprintf(c->peer_str, sizeof(c->peer_str), c->peer.family == 6 ? "[%s]:%u" : "%s:%u",
		 ip, c->peer.port);
}

static void on_connect(struct conn *c, const uint8_t *pkt, size_t len)
{
	struct hy_tcp_server *s = c->srv;
	struct hy_pkt_connect p;
	struct hy_token_public pub;
	struct hy_token_private priv;
	struct hy_accept a = { 0 };
	uint8_t body[HY_ACCEPT_BODY_LEN];
	uint64_t now_s = (uint64_t)time(NULL);
	enum hy_reason r = hy_pkt_connect_decode(pkt, len, &p);

	if (r == HY_R_OK && p.type != HY_PKT_CONNECT)
		r = HY_R_BAD_TYPE; /* no cookie round on TCP: RESPONSE is refused */
	if (r == HY_R_OK)
		r = hy_token_open(s->cfg.keys, HY_KEYRING_IDS, s->cfg.node_id, now_s, p.token,
				  &pub, &priv);
	if (r == HY_R_OK && priv.transport != HY_TRANSPORT_TCP)
		r = HY_R_TOKEN_WRONG_TRANSPORT; /* a UDP token: it belongs to the data plane */
	if (r != HY_R_OK) {
		explicit_bzero(&priv, sizeof(priv));
		conn_refuse(c, r); /* a token that does not open gets silence */
		return;
	}
	c->sid = priv.sid;
	if (hy_aead_key_init(&c->tx_key, HY_AEAD_OPENSSL, priv.s2c_key) < 0 ||
	    hy_aead_key_init(&c->rx_key, HY_AEAD_OPENSSL, priv.c2s_key) < 0) {
		explicit_bzero(&priv, sizeof(priv));
		conn_close(c);
		return;
	}
	if (hy_sidset_has(s->used, priv.sid)) {
		deny(c, HY_CLOSE_TOKEN_REUSED);
	} else if (s->state == HY_NODE_OFFLINE) {
		deny(c, HY_CLOSE_NODE_DRAINING);
	} else if (hy_sidset_add(s->used, priv.sid, pub.expire_at, now_s) < 0) {
		deny(c, HY_CLOSE_SERVER_FULL); /* fail closed: never forget a sid */
	} else {
		struct hy_cp_session info = { .sid = priv.sid, .transport = HY_TRANSPORT_TCP };
		uint64_t now_unix = hy_unix_ms();

		a.keepalive_ms = s->cfg.keepalive_ms;
		a.idle_timeout_ms = s->cfg.idle_timeout_ms;
		a.max_message = s->cfg.max_message;
		a.node_state = (uint8_t)s->state;
		c->state = C_OPEN;
		c->next_pn = 0;
		c->tx_seq = 0;
		hy_replay_init(&c->replay);
		hy_rudp_init(&c->rudp, &s->rudp_env);
		c->opened_ms = c->last_rx_ms = s->now_ms;
		c->session = true;
		c->snext = *sid_slot(s, c->sid);
		*sid_slot(s, c->sid) = c;
		s->n_sessions++;
		count(s, HY_TCP_C_sessions_opened);
		memcpy(info.uid, priv.uid, sizeof(info.uid));
		memcpy(info.peer, c->peer_str, sizeof(info.peer));
		info.opened_unix_ms = info.last_seen_unix_ms = now_unix;
		if (s->ops.opened)
			s->ops.opened(s->ops.arg, &info);
		if (hy_accept_encode(body, sizeof(body), &a) != 0)
			send_sealed(c, HY_PKT_ACCEPT, body, sizeof(body));
	}
	explicit_bzero(&priv, sizeof(priv));
}

/* ---- sealed records ---------------------------------------------------- */

/* Unreliable responses of one record, packed into as few DATA records as
 * fit; the pending ACK and queued reliable units ride in the last one. */
struct reply {
	struct hy_wr w;
	unsigned frames;
	uint8_t pt[HY_MAX_PAYLOAD];
};

static void reply_init(struct reply *rp)
{
	hy_wr_init(&rp->w, rp->pt, sizeof(rp->pt));
	rp->frames = 0;
}

static bool reply_flush(struct conn *c, struct reply *rp)
{
	bool ok = true;

	if (rp->w.off > 0)
		ok = send_data(c, &rp->w, rp->frames);
	reply_init(rp);
	return ok;
}

/* Appends one response message; starts a new record when it does not fit. */
static bool reply_add(struct conn *c, struct reply *rp, const uint8_t *msg, size_t len)
{
	if (rp->frames < HY_MAX_FRAMES_PER_PACKET && hy_frame_put_unreliable(&rp->w, msg, len)) {
		rp->frames++;
		return true;
	}
	if (!reply_flush(c, rp))
		return false;
	if (hy_frame_put_unreliable(&rp->w, msg, len))
		rp->frames++;
	return true;
}

/* Runs one command that came on channel d and answers on the same one:
 * RELIABLE through the session's reliable channel (up to max_message),
 * the others as an UNRELIABLE frame in rp (one record at most).  Returns
 * false when the session ended meanwhile (a push the command made closed
 * it). */
static bool command(struct conn *c, struct reply *rp, enum hy_delivery d, const uint8_t *data,
		    size_t len)
{
	struct hy_tcp_server *s = c->srv;
	uint8_t small[HY_FRAME_MAX_UNRELIABLE];
	bool reliable = d == HY_DELIVERY_RELIABLE;
	uint8_t *out = reliable ? s->resp : small; /* one command at a time */
	size_t cap = reliable ? s->cfg.max_message : sizeof(small);
	struct hy_cmd_reply rep = { .payload = out + HY_MSG_RESP_HDR, .cap = cap - HY_MSG_RESP_HDR };
	struct hy_cmd_req req = {
		.sid = c->sid, .transport = HY_TRANSPORT_TCP, .peer = c->peer,
		.node_state = (uint8_t)s->state, .delivery = (uint8_t)d,
	};
	struct hy_msg m;
	size_t n;
	enum hy_reason r = hy_msg_cmd_decode(data, len, &m);

	if (r == HY_R_OK && len > s->cfg.max_message)
		r = HY_R_MESSAGE_TOO_LARGE;
	if (r != HY_R_OK) {
		atomic_fetch_add_explicit(&s->drops[r], 1, memory_order_relaxed);
		return true;
	}
	req.ver = m.ver;
	req.cmd = m.cmd;
	req.payload = m.payload;
	req.len = m.len;
	count(s, HY_TCP_C_commands);
	s->ops.command(s->ops.arg, &req, &rep);
	if (c->state != C_OPEN)
		return false;
	if (rep.none)
		return true;
	n = hy_msg_resp_encode(out, cap, m.ver, m.cmd, rep.status, rep.payload, rep.len);
	if (n == 0) /* the answer does not fit its channel */
		n = hy_msg_resp_encode(out, cap, m.ver, m.cmd, HY_STATUS_ERR, NULL, 0);
	if (reliable) {
		rudp_queue(c, out, n); /* flushed when the record is done */
		return true;
	}
	return reply_add(c, rp, out, n);
}

/* hy_rudp deliver callback: one whole reliable command, in order, once. */
static bool reliable_deliver(void *arg, const uint8_t *msg, size_t len)
{
	struct conn *c = arg;

	if (c->state == C_OPEN) /* else it ended inside an earlier one: nothing more */
		command(c, NULL, HY_DELIVERY_RELIABLE, msg, len);
	return true;
}

static void on_data(struct conn *c, const uint8_t *pt, size_t len)
{
	struct hy_tcp_server *s = c->srv;
	enum hy_reason r = hy_frames_validate(pt, len);
	struct reply rp;
	struct hy_frame f;
	struct hy_rd rd;

	if (r != HY_R_OK) {
		/* Authentic but malformed: the peer broke a rule only visible
		 * after decryption. */
		atomic_fetch_add_explicit(&s->drops[r], 1, memory_order_relaxed);
		count(s, HY_TCP_C_hostile);
		disconnect(c, HY_CLOSE_PROTOCOL_ERROR);
		return;
	}
	reply_init(&rp);
	hy_rd_init(&rd, pt, len);
	while (hy_rd_left(&rd) && hy_frame_next(&rd, &f) == HY_R_OK) {
		switch (f.type) {
		case HY_FRAME_UNRELIABLE:
		case HY_FRAME_SEQUENCED: /* TCP keeps order: every one is newest */
			if (!command(c, &rp, f.type == HY_FRAME_SEQUENCED ? HY_DELIVERY_SEQUENCED :
					     HY_DELIVERY_UNRELIABLE, f.data, f.len))
				return;
			break;
		default: /* ACK, RELIABLE, FRAGMENT, PING: the reliable channel's */
			c->in_rx = true;
			r = hy_rudp_on_frame(&c->rudp, &f, s->now_us, reliable_deliver, c);
			c->in_rx = false;
			if (!c->session) { /* ended inside: its memory goes now */
				hy_rudp_fini(&c->rudp);
				return;
			}
			if (r != HY_R_OK) /* duplicates, beyond the window, ... */
				atomic_fetch_add_explicit(&s->drops[(unsigned)r < HY_R_COUNT ? r : 0],
							  1, memory_order_relaxed);
			break;
		}
		if (hy_rudp_verdict(&c->rudp) != HY_RUDP_OK)
			break; /* closed below; nothing more from this record */
	}
	/* The ACK and reliable answers ride with the unreliable ones; the rest
	 * (or a lone ACK that is due) follows. */
	if (reply_flush(c, &rp))
		rudp_after(c);
}

static void on_sealed(struct conn *c, uint8_t *pkt, size_t len)
{
	struct hy_pkt_header h;
	size_t pt_len;
	enum hy_close_reason why;
	enum hy_reason r = hy_pkt_header_decode(pkt, len, &h);

	if (r == HY_R_OK && h.type != HY_PKT_DATA && h.type != HY_PKT_DISCONNECT)
		r = HY_R_BAD_TYPE; /* ACCEPT and DENY only travel to clients */
	if (r == HY_R_OK && h.sid != c->sid)
		r = HY_R_UNKNOWN_SESSION;
	if (r == HY_R_OK)
		r = hy_replay_check(&c->replay, h.pn);
	if (r == HY_R_OK)
		r = hy_pkt_open_body(&c->rx_key, &h, pkt, len, &pt_len);
	if (r != HY_R_OK) {
		conn_refuse(c, r);
		return;
	}
	hy_replay_mark(&c->replay, h.pn);
	c->last_rx_ms = c->srv->now_ms;
	if (h.type == HY_PKT_DISCONNECT) {
		(void)hy_close_decode(pkt + HY_DATA_HEADER_LEN, pt_len, &why);
		count(c->srv, HY_TCP_C_client_closed);
		conn_close(c);
		return;
	}
	on_data(c, pkt + HY_DATA_HEADER_LEN, pt_len);
}

static void on_record(struct conn *c, uint8_t *pkt, size_t len)
{
	enum hy_pkt_type type;
	enum hy_reason r = hy_pkt_classify(pkt, len, &type);

	count(c->srv, HY_TCP_C_records_in);
	if (r != HY_R_OK) {
		conn_refuse(c, r);
		return;
	}
	if (c->state == C_HANDSHAKE) {
		if (type == HY_PKT_CONNECT || type == HY_PKT_RESPONSE)
			on_connect(c, pkt, len);
		else
			conn_refuse(c, HY_R_BAD_TYPE);
	} else if (hy_pkt_type_is_sealed(type)) {
		on_sealed(c, pkt, len);
	} else {
		conn_refuse(c, HY_R_BAD_TYPE); /* CONNECT again, CHALLENGE, RESPONSE */
	}
}

/* Reads what is there and handles every whole record. */
static void on_readable(struct conn *c)
{
	int reads;

	for (reads = 0; reads < READS_PER_EVENT; reads++) {
		ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len,
				 MSG_DONTWAIT);
		size_t off = 0;

		if (n == 0) {
			conn_close(c); /* the client went away */
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_close(c);
			return;
		}
		c->in_len += (size_t)n;
		while (c->state == C_HANDSHAKE || c->state == C_OPEN) {
			const uint8_t *pkt;
			size_t plen, used;
			enum hy_reason r = hy_record_peek(c->in + off, c->in_len - off, &pkt,
							     &plen, &used);

			if (r == HY_R_TRUNCATED)
				break;
			if (r != HY_R_OK) {
				conn_refuse(c, r);
				return;
			}
			/* pkt points into c->in, which we own: decrypt in place. */
			on_record(c, c->in + off + HY_RECORD_HDR_LEN, plen);
			off += used;
		}
		if (c->state != C_HANDSHAKE && c->state != C_OPEN)
			return;
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
}

/* CLOSING: input is read and thrown away until the client closes. */
static void discard_input(struct conn *c)
{
	uint8_t scratch[4096];
	int reads;

	for (reads = 0; reads < READS_PER_EVENT; reads++) {
		ssize_t n = recv(c->fd, scratch, sizeof(scratch), MSG_DONTWAIT);

		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			conn_close(c);
		return;
	}
}

static void conn_event(void *arg, uint32_t events)
{
	struct conn *c = arg;
	uint32_t in = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR;

	clock_now(c->srv);
	if (c->state == C_DEAD)
		return;
	if (events & in) {
		if (c->state == C_CLOSING)
			discard_input(c);
		else
			on_readable(c);
	}
	if (c->state != C_DEAD && c->out_off < c->out_len)
		flush(c);
	rudp_stats_sync(c->srv);
}

/* ---- listener ---------------------------------------------------------- */

static void on_accept(void *arg, uint32_t events)
{
	struct hy_tcp_server *s = arg;
	int i;

	(void)events;
	clock_now(s);
	for (i = 0; i < ACCEPT_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int one = 1, sndbuf = HY_TCP_SNDBUF;
		struct conn *c;
		int fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return; /* EAGAIN, or EMFILE and the like: try on the next event */
		count(s, HY_TCP_C_accepted);
		if (s->n_conns >= s->cfg.max_conns) {
			/* Accept and close rather than leave the backlog full. */
			count(s, HY_TCP_C_rejected);
			close(fd);
			continue;
		}
		c = heap_reserve(s, s->n_conns + 1) ?
		    aligned_alloc(64, (sizeof(*c) + 63) & ~(size_t)63) : NULL;
		if (c == NULL) {
			close(fd);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->srv = s;
		c->fd = fd;
		c->state = C_HANDSHAKE;
		c->accepted_ms = c->last_tx_ms = s->now_ms;
		format_peer(c, &ss);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
		if (hy_loop_add(s->loop, &c->w, fd, EPOLLIN | EPOLLRDHUP, conn_event, c) < 0) {
			close(fd);
			free(c);
			continue;
		}
		list_push(&s->live, c);
		s->n_conns++;
	}
}

struct hy_tcp_server *hy_tcp_server_create(const struct hy_tcp_config *cfg,
					   const struct hy_tcp_ops *ops, struct hy_loop *loop,
					   char *err, size_t errlen)
{
	struct hy_tcp_server *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss = { 0 };
	struct hy_rudp_config rc = { 0 };
	socklen_t sl;
	char ip[INET6_ADDRSTRLEN], why[128];
	int one = 1;

	if (s == NULL) {
		snprintf(err, errlen, "tcp server: out of memory");
		return NULL;
	}
	s->cfg = *cfg;
	s->ops = *ops;
	s->loop = loop;
	s->lfd = -1;
	s->tfd = -1;
	s->state = HY_NODE_ONLINE;
	if (s->cfg.out_cap < HY_RECORD_MAX_LEN)
		s->cfg.out_cap = HY_RECORD_MAX_LEN;
	if (s->cfg.first_record_ms == 0)
		s->cfg.first_record_ms = HY_TCP_FIRST_RECORD_MS;
	if (s->cfg.max_message == 0 || s->cfg.max_message > HY_MAX_MESSAGE)
		s->cfg.max_message = HY_MAX_MESSAGE;
	if (s->cfg.max_message < HY_MSG_RESP_HDR + 1u)
		s->cfg.max_message = HY_MSG_RESP_HDR + 1u;
	if (s->cfg.rudp_mem == 0) {
		s->cfg.rudp_mem = (size_t)s->cfg.max_conns * RUDP_MEM_PER_CONN;
		s->cfg.rudp_mem = s->cfg.rudp_mem < RUDP_MEM_MIN ? RUDP_MEM_MIN :
				  s->cfg.rudp_mem > RUDP_MEM_MAX ? RUDP_MEM_MAX : s->cfg.rudp_mem;
	}
	/* As the data plane: the send side may hold two whole messages. */
	rc.rto_min_ms = s->cfg.rto_min_ms;
	rc.rto_max_ms = s->cfg.rto_max_ms;
	rc.max_retries = s->cfg.max_retries;
	rc.max_message = s->cfg.max_message;
	rc.tx_bytes_max = 2u * s->cfg.max_message;
	rc.rx_bytes_max = s->cfg.reassembly_bytes ? s->cfg.reassembly_bytes : 2u * s->cfg.max_message;
	if (rc.rx_bytes_max < rc.max_message)
		rc.rx_bytes_max = rc.max_message;
	rc.alloc = (struct hy_rudp_alloc){ .alloc = rudp_alloc, .free = rudp_free, .arg = s };
	if (hy_rudp_env_init(&s->rudp_env, &rc, why, sizeof(why)) != HY_R_OK) {
		snprintf(err, errlen, "tcp server: reliability: %s", why);
		goto fail;
	}
	s->used = hy_sidset_create(cfg->used_sids);
	s->by_sid = calloc(SID_BUCKETS, sizeof(*s->by_sid));
	if (s->used == NULL || s->by_sid == NULL) {
		snprintf(err, errlen, "tcp server: out of memory");
		goto fail;
	}
	hy_conf_addr_format(&cfg->listen, ip, sizeof(ip));
	if (cfg->listen.family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = cfg->listen.v6;
		a->sin6_port = htons(cfg->port);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr = cfg->listen.v4;
		a->sin_port = htons(cfg->port);
		sl = sizeof(*a);
	}
	s->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0 ||
	    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(s->lfd, (struct sockaddr *)&ss, sl) < 0 || listen(s->lfd, 512) < 0) {
		snprintf(err, errlen, "tcp server: cannot listen on %s port %u: %s", ip,
			 cfg->port, strerror(errno));
		goto fail;
	}
	sl = sizeof(ss);
	getsockname(s->lfd, (struct sockaddr *)&ss, &sl);
	s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
						    ((struct sockaddr_in *)&ss)->sin_port);
	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->tfd < 0) {
		snprintf(err, errlen, "tcp server: timerfd: %s", strerror(errno));
		goto fail;
	}
	if (hy_loop_add(loop, &s->lw, s->lfd, EPOLLIN, on_accept, s) < 0 ||
	    hy_loop_add(loop, &s->tw, s->tfd, EPOLLIN, on_rudp_timer, s) < 0 ||
	    hy_loop_on_batch_end(loop, free_dead, s) < 0) {
		snprintf(err, errlen, "tcp server: cannot join the event loop");
		goto fail;
	}
	return s;
fail:
	hy_tcp_server_destroy(s);
	return NULL;
}

void hy_tcp_server_destroy(struct hy_tcp_server *s)
{
	if (s == NULL)
		return;
	while (s->live != NULL)
		conn_close(s->live);
	free_dead(s);
	hy_loop_del(s->loop, &s->lw);
	hy_loop_del(s->loop, &s->tw);
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->tfd >= 0)
		close(s->tfd);
	hy_sidset_destroy(s->used);
	free(s->by_sid);
	free(s->heap);
	free(s);
}

uint16_t hy_tcp_server_port(const struct hy_tcp_server *s)
{
	return s->port;
}

void hy_tcp_server_tick(struct hy_tcp_server *s, uint64_t now_ms)
{
	struct conn *c, *next;

	clock_now(s);
	s->now_ms = now_ms;
	/* A backstop for the timerfd (one comparison when nothing is due). */
	rudp_timers_run(s);
	for (c = s->live; c != NULL; c = next) {
		next = c->next; /* c may move to the dead list */
		switch (c->state) {
		case C_HANDSHAKE:
			if (now_ms - c->accepted_ms >= s->cfg.first_record_ms) {
				count(s, HY_TCP_C_handshake_timeouts);
				conn_close(c);
			}
			break;
		case C_OPEN:
			if (now_ms - c->last_rx_ms >= s->cfg.idle_timeout_ms) {
				count(s, HY_TCP_C_idle_timeouts);
				disconnect(c, HY_CLOSE_IDLE_TIMEOUT);
			} else if (s->cfg.ttl_ms && now_ms - c->opened_ms >= s->cfg.ttl_ms) {
				count(s, HY_TCP_C_ttl_expired);
				disconnect(c, HY_CLOSE_IDLE_TIMEOUT);
			} else if (now_ms - c->last_tx_ms >= s->cfg.keepalive_ms) {
				uint8_t pt[HY_MAX_PAYLOAD];
				struct hy_wr w;

				count(s, HY_TCP_C_keepalives);
				hy_wr_init(&w, pt, sizeof(pt));
				hy_frame_put_ping(&w);
				if (send_data(c, &w, 1)) {
					rudp_after(c);
					if (c->state != C_DEAD)
						flush(c);
				}
			}
			break;
		case C_CLOSING:
			if (now_ms >= c->linger_until_ms)
				conn_close(c);
			break;
		case C_DEAD:
			break;
		}
	}
	hy_sidset_expire(s->used, (uint64_t)time(NULL), SIDSET_EXPIRE_BUDGET);
	rudp_stats_sync(s);
}

void hy_tcp_server_set_state(struct hy_tcp_server *s, enum hy_node_state st)
{
	s->state = st;
}

int hy_tcp_server_kick(struct hy_tcp_server *s, uint64_t sid, enum hy_close_reason reason)
{
	struct conn *c;

	/* A linear scan: kicks are rare operator actions. */
	for (c = s->live; c != NULL; c = c->next) {
		if (c->state == C_OPEN && c->sid == sid) {
			count(s, reason == HY_CLOSE_KICKED ? HY_TCP_C_kicked : HY_TCP_C_drained);
			clock_now(s);
			disconnect(c, reason);
			return 0;
		}
	}
	return -1;
}

unsigned hy_tcp_server_close_all(struct hy_tcp_server *s, enum hy_close_reason reason)
{
	struct conn *c, *next;
	unsigned n = 0;

	clock_now(s);
	for (c = s->live; c != NULL; c = next) {
		next = c->next;
		if (c->state == C_OPEN) {
			count(s, reason == HY_CLOSE_KICKED ? HY_TCP_C_kicked : HY_TCP_C_drained);
			disconnect(c, reason);
			n++;
		}
	}
	return n;
}

int hy_tcp_server_push_delivery(struct hy_tcp_server *s, uint64_t sid, uint8_t ver, uint16_t cmd,
				enum hy_delivery delivery, const uint8_t *payload, size_t len)
{
	uint8_t pt[HY_MAX_PAYLOAD];
	struct conn *c;
	struct hy_wr w;
	size_t n;
	bool ok;

	for (c = *sid_slot(s, sid); c != NULL && c->sid != sid; c = c->snext)
		;
	if (c == NULL || c->state != C_OPEN)
		return -1;
	n = hy_msg_resp_encode(s->push_msg, s->cfg.max_message, ver, cmd, HY_STATUS_PUSH, payload,
			       len);
	if (n == 0)
		return -1;
	clock_now(s);
	if (delivery == HY_DELIVERY_RELIABLE) {
		/* Inside c's own delivery (a command of c pushing to c) the
		 * record path flushes once the layer returns. */
		ok = rudp_queue(c, s->push_msg, n) && (c->in_rx || rudp_flush(c));
	} else {
		hy_wr_init(&w, pt, sizeof(pt));
		if (delivery == HY_DELIVERY_SEQUENCED ?
			    !hy_frame_put_sequenced(&w, 0, c->tx_seq, s->push_msg, n) :
			    !hy_frame_put_unreliable(&w, s->push_msg, n))
			return -1;
		if (delivery == HY_DELIVERY_SEQUENCED)
			c->tx_seq++;
		ok = send_data(c, &w, 1) && (c->in_rx || rudp_after(c));
	}
	if (c->state != C_DEAD)
		flush(c);
	rudp_stats_sync(s);
	return ok && c->state == C_OPEN ? 0 : -1;
}

int hy_tcp_server_push(struct hy_tcp_server *s, uint64_t sid, uint8_t ver, uint16_t cmd,
		       const uint8_t *payload, size_t len)
{
	return hy_tcp_server_push_delivery(s, sid, ver, cmd, HY_DELIVERY_UNRELIABLE, payload, len);
}

unsigned hy_tcp_server_sessions(const struct hy_tcp_server *s)
{
	return s->n_sessions;
}

uint64_t hy_tcp_server_counter(const struct hy_tcp_server *s, enum hy_tcp_counter c)
{
	return atomic_load_explicit(&s->c[c], memory_order_relaxed);
}

void hy_tcp_server_counters(const struct hy_tcp_server *s,
			    void (*cb)(void *arg, const char *name, uint64_t v), void *arg)
{
	char name[64];
	unsigned i;

	for (i = 0; i < HY_TCP_C_COUNT; i++) {
		snprintf(name, sizeof(name), "tcp.%s", counter_names[i]);
		cb(arg, name, atomic_load_explicit(&s->c[i], memory_order_relaxed));
	}
	for (i = 0; i < HY_R_COUNT; i++) {
		uint64_t v = atomic_load_explicit(&s->drops[i], memory_order_relaxed);

		if (v == 0)
			continue;
		snprintf(name, sizeof(name), "tcp.drop.%s", hy_reason_name(i));
		cb(arg, name, v);
	}
	for (i = 1; i < HY_CLOSE_REASON_MAX; i++) {
		uint64_t v = atomic_load_explicit(&s->deny_by[i], memory_order_relaxed);

		if (v == 0)
			continue;
		snprintf(name, sizeof(name), "tcp.deny.%s", hy_close_reason_name(i));
		cb(arg, name, v);
	}
}
