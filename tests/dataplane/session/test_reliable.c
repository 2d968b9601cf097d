/* SPDX-License-Identifier: BSD-3-Clause
 * Reliable-ordered delivery through the session engine.  The test plays
 * the client with the shared codecs and its own struct hy_rudp, and joins
 * it to the engine through an in-test path that can lose, duplicate,
 * delay and reorder datagrams in both directions (seeded).  Time is a fake
 * clock advanced 1 ms per step; the engine's timers run from
 * hy_engine_tick().
 */
#include <check.h>
#include <errno.h>

#include "sess_harness.h"

#include "rudp/rudp.h"
#include "memory.h"

#define MAX_Q 8192u
#define MAX_LOG 2048u

/* ---- a datagram path ---------------------------------------------------- */

struct dgram {
	uint64_t at_ms;
	uint16_t len;
	uint8_t b[HY_MAX_DATAGRAM];
};

struct path {
	double loss, dup;
	unsigned jitter_ms; /* each datagram is delayed 1 + rand % (jitter + 1) ms */
	bool cut;           /* drop everything */
	unsigned n;
	struct dgram *q;
	uint64_t sent, lost, duplicated;
};

static uint64_t rng = 1;

static uint64_t rnd(void)
{
	/* xorshift64*: seeded, so a failing run can be repeated */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

static double rnd01(void)
{
	return (double)(rnd() >> 11) / (double)(1ull << 53);
}

static uint64_t now; /* ms */

static void path_put_one(struct path *p, const uint8_t *b, uint16_t len)
{
	ck_assert_uint_lt(p->n, MAX_Q);
	struct dgram *d = &p->q[p->n++];
	d->at_ms = now + 1 + (p->jitter_ms ? rnd() % (p->jitter_ms + 1) : 0);
	d->len = len;
	memcpy(d->b, b, len);
}

static void path_put(struct path *p, const uint8_t *b, uint16_t len)
{
	p->sent++;
	if (p->cut || (p->loss > 0 && rnd01() < p->loss)) {
		p->lost++;
		return;
	}
	path_put_one(p, b, len);
	if (p->dup > 0 && rnd01() < p->dup) {
		p->duplicated++;
		path_put_one(p, b, len);
	}
}

/* Takes the first datagram due (queue order; jitter reorders). */
static bool path_take(struct path *p, struct dgram *out)
{
	for (unsigned i = 0; i < p->n; i++) {
		if (p->q[i].at_ms > now)
			continue;
		*out = p->q[i];
		memmove(&p->q[i], &p->q[i + 1], (p->n - i - 1) * sizeof(p->q[0]));
		p->n--;
		return true;
	}
	return false;
}

static void path_init(struct path *p, double loss, double dup, unsigned jitter)
{
	free(p->q);
	memset(p, 0, sizeof(*p));
	p->loss = loss;
	p->dup = dup;
	p->jitter_ms = jitter;
	p->q = calloc(MAX_Q, sizeof(p->q[0]));
	ck_assert_ptr_nonnull(p->q);
}

static struct path up, down; /* client -> engine, engine -> client */

/* ---- what the engine hands up ------------------------------------------ */

static uint32_t fnv(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

struct logged {
	uint16_t cmd;
	uint8_t status; /* client side only */
	enum hy_engine_delivery d;
	uint32_t len, hash, tag; /* tag: the payload's first 4 bytes, little end first */
};

struct log {
	unsigned n;
	struct logged m[MAX_LOG];
};

static uint32_t tag_of(const uint8_t *p, size_t n)
{
	uint32_t t = 0;
	for (size_t i = 0; i < 4 && i < n; i++)
		t |= (uint32_t)p[i] << (8 * i);
	return t;
}

static struct log up_cmds; /* ops->command */
static bool up_full;       /* the control plane's queue has no room: ops->command refuses */
static unsigned up_refused_unreliable;
static unsigned n_closed;
static enum hy_close_reason last_close;

static int op_opened(void *arg, const struct hy_engine_session_info *s)
{
	(void)arg;
	(void)s;
	return 0;
}

static int op_closed(void *arg, const struct hy_engine_session_info *s,
		     enum hy_close_reason why)
{
	(void)arg;
	(void)s;
	n_closed++;
	last_close = why;
	return 0;
}

static int op_command(void *arg, uint64_t sid, uint8_t ver, uint16_t cmd,
		      enum hy_engine_delivery d, const uint8_t *payload, uint32_t len)
{
	(void)arg;
	(void)sid;
	(void)ver;
	if (up_full) {
		if (d == HY_ENGINE_RELIABLE)
			return -EBUSY; /* as the worker: hold it */
		up_refused_unreliable++;
		return -ENOBUFS;
	}
	ck_assert_uint_lt(up_cmds.n, MAX_LOG);
	up_cmds.m[up_cmds.n++] = (struct logged){
		.cmd = cmd, .d = d, .len = len, .hash = fnv(payload, len), .tag = tag_of(payload, len)};
	return 0;
}

static unsigned late_cmds, late_after_close; /* ops->command_late, and how many came after a close */

static int op_command_late(void *arg, uint64_t sid, uint8_t ver, uint16_t cmd,
			   const uint8_t *payload, uint32_t len)
{
	(void)arg;
	(void)sid;
	(void)ver;
	late_cmds++;
	late_after_close += n_closed != 0;
	ck_assert_uint_lt(up_cmds.n, MAX_LOG);
	up_cmds.m[up_cmds.n++] = (struct logged){.cmd = cmd, .d = HY_ENGINE_RELIABLE, .len = len,
		.hash = fnv(payload, len), .tag = tag_of(payload, len)};
	return 0;
}

static int op_tx(void *arg, const struct hy_peer *to, const uint8_t *pkt, uint16_t len)
{
	(void)arg;
	(void)to;
	path_put(&down, pkt, len);
	return 0;
}

static const struct hy_engine_ops ops = {
	.session_opened = op_opened,
	.session_closed = op_closed,
	.command = op_command,
	.command_late = op_command_late,
	.tx = op_tx,
};

/* ---- the client ----------------------------------------------------------- */

struct rclient {
	struct tclient t;
	struct hy_rudp_env env;
	struct hy_rudp_pool pool;
	void *region;
	struct hy_rudp r;
	struct log got; /* responses and pushes, in delivery order */
	bool closed;
	enum hy_close_reason close_why;
	bool mute;      /* takes packets in but never sends (a vanished client) */
};

static struct harness_node node;
static struct hy_engine *eng;
static struct rclient cl;

static uint64_t now_us(void)
{
	return now * 1000u;
}

static bool client_deliver(void *arg, const uint8_t *msg, size_t len)
{
	struct rclient *c = arg;
	struct hy_msg m;

	ck_assert_int_eq(hy_msg_resp_decode(msg, len, &m), HY_R_OK);
	ck_assert_uint_lt(c->got.n, MAX_LOG);
	c->got.m[c->got.n++] = (struct logged){.cmd = m.cmd, .status = m.status,
		.d = HY_ENGINE_RELIABLE, .len = (uint32_t)m.len, .hash = fnv(m.payload, m.len),
		.tag = tag_of(m.payload, m.len)};
	return true;
}

/* Seals and sends what the client's channel has to send now. */
static void client_flush(struct rclient *c)
{
	uint8_t pt[HY_MAX_PAYLOAD], pkt[HY_MAX_DATAGRAM];
	struct hy_wr w;

	if (c->mute)
		return;
	for (;;) {
		hy_wr_init(&w, pt, sizeof(pt));
		if (hy_rudp_poll_tx(&c->r, now_us(), &w, HY_MAX_FRAMES_PER_PACKET) == 0)
			break;
		uint16_t n = tclient_seal(&c->t, HY_PKT_DATA, pt, w.off, pkt, sizeof(pkt));
		ck_assert_uint_gt(n, 0);
		path_put(&up, pkt, n);
	}
}

static void client_input(struct rclient *c, const uint8_t *pkt, uint16_t len)
{
	uint8_t pt[HY_MAX_PAYLOAD];
	struct hy_pkt_header h;
	struct hy_frame f;
	struct hy_rd rd;
	size_t pt_len;

	if (tclient_open(&c->t, pkt, len, &h, pt, &pt_len) != HY_R_OK)
		return; /* duplicates, reordered beyond the window */
	if (h.type == HY_PKT_DISCONNECT) {
		c->closed = true;
		ck_assert_int_eq(hy_close_decode(pt, pt_len, &c->close_why), HY_R_OK);
		return;
	}
	ck_assert_int_eq(h.type, HY_PKT_DATA);
	ck_assert_int_eq(hy_frames_validate(pt, pt_len), HY_R_OK);
	hy_rd_init(&rd, pt, pt_len);
	while (hy_rd_left(&rd) && hy_frame_next(&rd, &f) == HY_R_OK) {
		switch (f.type) {
		case HY_FRAME_ACK:
		case HY_FRAME_PING:
		case HY_FRAME_RELIABLE:
		case HY_FRAME_FRAGMENT: {
			enum hy_reason r = hy_rudp_on_frame(&c->r, &f, now_us(), client_deliver, c);
			ck_assert_msg(r == HY_R_OK || r == HY_R_DUPLICATE || r == HY_R_BEYOND_WINDOW,
				      "client on_frame: %s", hy_reason_name(r));
			break;
		}
		case HY_FRAME_UNRELIABLE:
		case HY_FRAME_SEQUENCED: {
			struct hy_msg m;
			ck_assert_int_eq(hy_msg_resp_decode(f.data, f.len, &m), HY_R_OK);
			c->got.m[c->got.n++] = (struct logged){.cmd = m.cmd, .status = m.status,
				.d = f.type == HY_FRAME_UNRELIABLE ? HY_ENGINE_UNRELIABLE :
								     HY_ENGINE_SEQUENCED,
				.len = (uint32_t)m.len, .tag = tag_of(m.payload, m.len)};
			break;
		}
		default:
			ck_abort_msg("unexpected frame %d", f.type);
		}
	}
}

static void *pool_region;

static void client_init(struct rclient *c)
{
	struct hy_rudp_config rc = {.rx_bytes_max = 2u * HY_MAX_MESSAGE,
				    .tx_bytes_max = 2u * HY_MAX_MESSAGE};
	size_t pool = 4u << 20;
	char err[128];

	memset(c, 0, sizeof(*c));
	if (pool_region == NULL)
		pool_region = malloc(pool);
	ck_assert_ptr_nonnull(pool_region);
	hy_rudp_pool_init(&c->pool, pool_region, pool);
	rc.alloc = hy_rudp_pool_alloc(&c->pool);
	ck_assert_msg(hy_rudp_env_init(&c->env, &rc, err, sizeof(err)) == HY_R_OK, "%s", err);
	hy_rudp_init(&c->r, &c->env);
	ck_assert_int_eq(tclient_init(&c->t, &node, T_NODE, T_KEY_ID, now / 1000 + 3600, "rel", 9,
				      40000),
			 0);
}

/* CONNECT, CHALLENGE, RESPONSE, ACCEPT on a clean path. */
static void client_connect(struct rclient *c)
{
	uint8_t buf[HY_MAX_DATAGRAM], pt[HY_MAX_PAYLOAD];
	struct hy_engine_result res;
	struct hy_pkt_challenge ch;
	struct hy_pkt_header h;
	struct hy_accept a;
	size_t pt_len;
	uint16_t len = tclient_hello(&c->t, NULL, buf, sizeof(buf));

	ck_assert_int_eq(hy_engine_input(eng, &c->t.peer, buf, len, sizeof(buf), now, &res),
			 HY_ENGINE_REPLY);
	ck_assert_int_eq(hy_pkt_challenge_decode(buf, res.reply_len, &ch), HY_R_OK);
	len = tclient_hello(&c->t, ch.cookie, buf, sizeof(buf));
	ck_assert_int_eq(hy_engine_input(eng, &c->t.peer, buf, len, sizeof(buf), now, &res),
			 HY_ENGINE_REPLY);
	ck_assert_int_eq(tclient_open(&c->t, buf, res.reply_len, &h, pt, &pt_len), HY_R_OK);
	ck_assert_int_eq(hy_accept_decode(pt, pt_len, &a), HY_R_OK);
	ck_assert_uint_eq(a.max_message, HY_MAX_MESSAGE);
}

/* Queues one reliable command: tag (4 bytes) then a pattern, len bytes of
 * payload in all.  Returns the result of hy_rudp_send(). */
static enum hy_reason client_command(struct rclient *c, uint16_t cmd, uint32_t tag, size_t len,
				     uint32_t *hash)
{
	static uint8_t payload[HY_MAX_MESSAGE], msg[HY_MAX_MESSAGE];

	for (size_t i = 0; i < len; i++)
		payload[i] = i < 4 ? (uint8_t)(tag >> (8 * i)) : (uint8_t)(i * 7 + tag);
	size_t m = hy_msg_cmd_encode(msg, sizeof(msg), 2, cmd, payload, len);
	ck_assert_uint_gt(m, 0);
	if (hash)
		*hash = fnv(payload, len);
	return hy_rudp_send(&c->r, msg, m);
}

/* One millisecond: deliver what is due both ways, run both sides' timers. */
static void step(void)
{
	static struct dgram d;
	struct hy_engine_result res;

	now++;
	while (path_take(&up, &d)) {
		if (hy_engine_input(eng, &cl.t.peer, d.b, d.len, sizeof(d.b), now, &res) ==
		    HY_ENGINE_REPLY)
			path_put(&down, d.b, res.reply_len);
	}
	hy_engine_tick(eng, now);
	while (path_take(&down, &d))
		client_input(&cl, d.b, d.len);
	if (!cl.closed && now_us() >= hy_rudp_next_deadline(&cl.r))
		client_flush(&cl);
}

/* ---- fixture ---------------------------------------------------------- */

static struct hy_engine *make_engine(size_t pool_bytes)
{
	char err[128] = "";
	struct hy_engine_config c = {
		.node_id = T_NODE,
		.n_workers = 1,
		.socket_id = -1,
		.max_sessions = 8,
		.idle_timeout_ms = 60000,
		.keepalive_ms = 1000,
		.backend = HY_AEAD_IPSECMB,
		.shared = &node.sh,
		.ops = &ops,
		.rudp_pool_bytes = pool_bytes,
	};
	struct hy_engine *e = hy_engine_create(&c, err, sizeof(err));
	ck_assert_msg(e != NULL, "create: %s", err);
	return e;
}

static void setup(void)
{
	now = T_T0_MS;
	/* HY_SEED=n repeats the lossy path with another seed (default 1) */
	rng = getenv("HY_SEED") ? strtoull(getenv("HY_SEED"), NULL, 10) : 1;
	if (rng == 0)
		rng = 1;
	ck_assert_int_eq(harness_node_init(&node, now), 0);
	memset(&up_cmds, 0, sizeof(up_cmds));
	up_full = false;
	up_refused_unreliable = 0;
	late_cmds = late_after_close = 0;
	n_closed = 0;
	path_init(&up, 0, 0, 0);
	path_init(&down, 0, 0, 0);
	eng = make_engine(0);
	client_init(&cl);
	client_connect(&cl);
}

static void teardown(void)
{
	hy_rudp_fini(&cl.r);
	hy_engine_destroy(eng);
	eng = NULL;
	hy_engine_shared_wipe(&node.sh);
}

/* Runs steps until cond or a step limit. */
#define RUN_UNTIL(cond, max_steps)                                                            \
	do {                                                                                  \
		unsigned steps_ = 0;                                                          \
		while (!(cond) && steps_++ < (max_steps))                                     \
			step();                                                               \
		ck_assert_msg((cond), "not reached in %u ms: %s", (unsigned)(max_steps), #cond); \
	} while (0)

/* ---- tests ------------------------------------------------------------ */

START_TEST(sizes_delivered_once_in_order)
{
	const struct hy_engine_stats *st = hy_engine_stats(eng);
	/* payload sizes: 1 byte; a whole message of exactly one RELIABLE
	 * frame; one byte over (two fragments); the protocol's largest */
	const size_t one_frame = HY_FRAME_MAX_RELIABLE - HY_MSG_CMD_HDR;
	const size_t sizes[] = {1, one_frame, one_frame + 1, HY_MAX_MESSAGE - HY_MSG_CMD_HDR};
	uint32_t hash[4];

	/* The 64 KiB message takes 61 units: it waits in the client's
	 * backlog until the window has room (the first three are
	 * acknowledged), then follows in order. */
	for (unsigned i = 0; i < 4; i++)
		ck_assert_int_eq(client_command(&cl, 0x0200, i, sizes[i], &hash[i]), HY_R_OK);
	/* and an ECHO, reliably: answered reliably by the engine itself */
	{
		uint8_t req[HY_ECHO_REQ_LEN], msg[32];
		hy_echo_req_encode(req, sizeof(req), 77);
		size_t m = hy_msg_cmd_encode(msg, sizeof(msg), HY_MSG_VER_TRANSPORT, HY_CMD_ECHO,
					     req, sizeof(req));
		ck_assert_int_eq(hy_rudp_send(&cl.r, msg, m), HY_R_OK);
	}
	client_flush(&cl);
	RUN_UNTIL(up_cmds.n == 4 && cl.got.n == 1 && hy_rudp_next_deadline(&cl.r) == HY_RUDP_NEVER,
		  5000);
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_int_eq(up_cmds.m[i].d, HY_ENGINE_RELIABLE);
		ck_assert_uint_eq(up_cmds.m[i].cmd, 0x0200);
		ck_assert_uint_eq(up_cmds.m[i].len, sizes[i]);
		ck_assert_uint_eq(up_cmds.m[i].hash, hash[i]);
	}
	ck_assert_uint_eq(cl.got.m[0].cmd, HY_CMD_ECHO);
	ck_assert_uint_eq(cl.got.m[0].status, HY_STATUS_OK);
	ck_assert_uint_eq(cl.got.m[0].len, HY_ECHO_RESP_V4_LEN);
	/* nothing more arrives later */
	for (unsigned i = 0; i < 3000; i++)
		step();
	ck_assert_uint_eq(up_cmds.n, 4);
	ck_assert_uint_eq(cl.got.n, 1);
	/* 2 fragments + 61 */
	ck_assert_uint_eq(st->fragments_in, 2 + (HY_MAX_MESSAGE + HY_RUDP_FRAG_CHUNK - 1) /
						  HY_RUDP_FRAG_CHUNK);
	ck_assert_uint_eq(st->reliable_delivered, 5);
	ck_assert_uint_eq(st->echoes, 1);
	ck_assert_uint_eq(st->retransmits, 0);
	ck_assert_uint_ge(st->acks_sent, 1);
	/* acknowledged: the engine holds nothing, its timer is idle */
	ck_assert_uint_eq(st->rudp_pool_used, 0);
	ck_assert_uint_eq(st->timers_armed, 0);
	ck_assert_uint_eq(hy_engine_sessions(eng), 1);
}
END_TEST

START_TEST(lossy_path_500_each_way)
{
	const struct hy_engine_stats *st = hy_engine_stats(eng);
	enum { N = 500 };
	uint32_t sent_up = 0, sent_down = 0;
	static uint32_t hash_up[N];

	path_init(&up, 0.2, 0.1, 20);
	path_init(&down, 0.2, 0.1, 20);
	/* Both directions at once; a refused send (the client's send cap) is
	 * retried on a later step, and the node's side keeps what it holds for
	 * the client under 64 KiB (past its cap, 128 KiB, the node would close
	 * the session as a slow consumer).  Sizes vary so fragments take
	 * part. */
	unsigned steps = 0;
	while ((up_cmds.n < N || cl.got.n < N) && steps++ < 600000) {
		while (sent_up < N) {
			size_t len = 1 + (sent_up * 37u) % (sent_up % 50 == 0 ? 5000u : 300u);
			if (client_command(&cl, 0x0300, sent_up, len, &hash_up[sent_up]) != HY_R_OK)
				break;
			sent_up++;
		}
		client_flush(&cl);
		struct hy_engine_session_info si;
		while (sent_down < N &&
		       hy_engine_session_get(eng, cl.t.cred.sid, &si) == HY_R_OK &&
		       si.reliable_held < 65536) {
			uint8_t p[3000];
			size_t len = 4 + (sent_down * 13u) % (sent_down % 40 == 0 ? 2900u : 200u);
			memset(p, (int)sent_down, len);
			memcpy(p, &sent_down, 4); /* little-endian host */
			enum hy_reason r = hy_engine_send(eng, cl.t.cred.sid, 2, 0x0400,
							  HY_STATUS_PUSH, HY_ENGINE_RELIABLE, p,
							  (uint32_t)len);
			ck_assert_int_eq(r, HY_R_OK);
			sent_down++;
		}
		step();
	}
	ck_assert_uint_eq(up_cmds.n, N);
	ck_assert_uint_eq(cl.got.n, N);
	for (uint32_t i = 0; i < N; i++) {
		ck_assert_uint_eq(up_cmds.m[i].tag, i);
		ck_assert_uint_eq(up_cmds.m[i].hash, hash_up[i]);
		ck_assert_int_eq(up_cmds.m[i].d, HY_ENGINE_RELIABLE);
		ck_assert_uint_eq(cl.got.m[i].tag, i);
		ck_assert_uint_eq(cl.got.m[i].cmd, 0x0400);
		ck_assert_uint_eq(cl.got.m[i].status, HY_STATUS_PUSH);
	}
	/* the path really was bad, and the engine worked for it */
	ck_assert_uint_gt(up.lost + down.lost, 100);
	ck_assert_uint_gt(up.duplicated + down.duplicated, 20);
	ck_assert_uint_gt(st->retransmits, 0);
	ck_assert_uint_gt(st->fragments_out, 0);
	ck_assert_uint_gt(st->fragments_in, 0);
	ck_assert_uint_gt(st->timer_packets, 0);
	ck_assert_uint_eq(st->reliable_delivered, N);
	ck_assert_uint_eq(hy_engine_sessions(eng), 1);
	ck_assert_uint_eq(n_closed, 0);
	/* quiet path: everything drains, the engine gives its memory back */
	path_init(&up, 0, 0, 0);
	path_init(&down, 0, 0, 0);
	RUN_UNTIL(st->rudp_pool_used == 0 && st->timers_armed == 0 &&
		  hy_rudp_next_deadline(&cl.r) == HY_RUDP_NEVER, 30000);
	ck_assert_uint_eq(up_cmds.n, N);
	ck_assert_uint_eq(cl.got.n, N);
}
END_TEST

START_TEST(unreliable_push_carries_the_ack)
{
	const struct hy_engine_stats *st = hy_engine_stats(eng);

	/* one reliable command: the engine's ACK waits for company */
	ck_assert_int_eq(client_command(&cl, 0x0201, 1, 10, NULL), HY_R_OK);
	client_flush(&cl);
	step();
	step();
	ck_assert_uint_eq(up_cmds.n, 1);
	ck_assert_uint_eq(st->acks_sent, 0);
	ck_assert_uint_eq(st->timers_armed, 1);
	/* an unreliable push now takes it along */
	ck_assert_int_eq(hy_engine_send(eng, cl.t.cred.sid, 2, 0x0500, HY_STATUS_PUSH,
					HY_ENGINE_UNRELIABLE, "u", 1),
			 HY_R_OK);
	ck_assert_uint_eq(st->acks_sent, 1);
	ck_assert_uint_eq(st->timers_armed, 0);
	step();
	step();
	ck_assert_uint_eq(cl.got.n, 1);
	ck_assert_int_eq(cl.got.m[0].d, HY_ENGINE_UNRELIABLE);
	ck_assert_uint_eq(hy_rudp_next_deadline(&cl.r), HY_RUDP_NEVER); /* acked */
	/* SEQUENCED pushes are numbered per session */
	ck_assert_int_eq(hy_engine_send(eng, cl.t.cred.sid, 2, 0x0501, HY_STATUS_PUSH,
					HY_ENGINE_SEQUENCED, "s", 1),
			 HY_R_OK);
	ck_assert_int_eq(hy_engine_send(eng, cl.t.cred.sid, 2, 0x0501, HY_STATUS_PUSH,
					(enum hy_engine_delivery)7, "s", 1),
			 HY_R_BAD_CHANNEL);
	step();
	step();
	ck_assert_uint_eq(cl.got.n, 2);
	ck_assert_int_eq(cl.got.m[1].d, HY_ENGINE_SEQUENCED);
	/* a delayed ACK alone goes from the timer, within ack_delay */
	ck_assert_int_eq(client_command(&cl, 0x0201, 2, 10, NULL), HY_R_OK);
	client_flush(&cl);
	uint64_t t0 = now;
	RUN_UNTIL(hy_rudp_next_deadline(&cl.r) == HY_RUDP_NEVER, 1000);
	ck_assert_uint_le(now - t0, 20 + 3);
	ck_assert_uint_eq(st->timer_packets, 1);
}
END_TEST

START_TEST(silent_client_retries_exhausted)
{
	const struct hy_engine_stats *st = hy_engine_stats(eng);
	uint8_t p[1000];
	unsigned refused = 0;

	/* an RTT sample first, then the client vanishes */
	ck_assert_int_eq(client_command(&cl, 0x0201, 1, 10, NULL), HY_R_OK);
	client_flush(&cl);
	RUN_UNTIL(hy_rudp_next_deadline(&cl.r) == HY_RUDP_NEVER, 1000);
	down.cut = true;
	cl.mute = true;
	memset(p, 0x5a, sizeof(p));
	uint64_t peak = 0;
	/* the control plane keeps pushing, every 100 ms: the window fills, the
	 * backlog grows (never to the byte cap in the 8 s this takes) */
	while (hy_engine_sessions(eng) == 1 && now < T_T0_MS + 120000) {
		if ((now - T_T0_MS) % 100 == 0) {
			enum hy_reason r = hy_engine_send(eng, cl.t.cred.sid, 2, 0x0600,
							  HY_STATUS_PUSH, HY_ENGINE_RELIABLE, p,
							  sizeof(p));
			if (r != HY_R_UNKNOWN_SESSION)
				ck_assert_msg(r == HY_R_OK || r == HY_R_RETRIES_EXHAUSTED, "%s",
					      hy_reason_name(r));
			refused += r != HY_R_OK;
		}
		if (st->rudp_pool_used > peak)
			peak = st->rudp_pool_used;
		step();
	}
	ck_assert_uint_eq(hy_engine_sessions(eng), 0);
	ck_assert_uint_eq(n_closed, 1);
	ck_assert_int_eq(last_close, HY_CLOSE_RETRIES_EXHAUSTED);
	ck_assert_uint_eq(st->dead_sessions, 1);
	ck_assert_uint_eq(st->closed_by[HY_CLOSE_RETRIES_EXHAUSTED], 1);
	ck_assert_uint_le(refused, 1); /* at most the send that found it dead */
	ck_assert_uint_eq(st->slow_consumers, 0);
	ck_assert_uint_gt(st->retransmits, 10);
	/* bounded by the byte cap: 128 KiB of 1000-byte units in 1280-byte
	 * blocks, plus the block */
	ck_assert_uint_gt(peak, HY_RUDP_WINDOW_DEFAULT * 1280u); /* the backlog held some */
	ck_assert_uint_le(peak, 131u * 1280u + 2304u);
	ck_assert_uint_eq(st->rudp_pool_used, 0);
	ck_assert_uint_eq(st->timers_armed, 0);
	/* detected well before the idle timeout (60 s) */
	ck_assert_uint_lt(now - T_T0_MS, 30000);
}
END_TEST

/* A client that is there but does not keep up: the node queues its
 * reliable pushes up to the byte cap, then closes it as a slow consumer
 * instead of dropping a reliable message or holding more. */
START_TEST(slow_consumer_closed_at_the_cap)
{
	const struct hy_engine_stats *st = hy_engine_stats(eng);
	uint8_t p[1000];
	unsigned ok = 0;
	enum hy_reason r;

	down.cut = true;
	cl.mute = true;
	memset(p, 0x33, sizeof(p));
	while ((r = hy_engine_send(eng, cl.t.cred.sid, 2, 0x0700, HY_STATUS_PUSH,
				   HY_ENGINE_RELIABLE, p, sizeof(p))) == HY_R_OK)
		ok++;
	ck_assert_int_eq(r, HY_R_WINDOW_FULL);
	/* 128 KiB of 1004-byte messages (the window, then the backlog) */
	ck_assert_uint_eq(ok, 131072u / (sizeof(p) + HY_MSG_RESP_HDR));
	ck_assert_uint_eq(hy_engine_sessions(eng), 0);
	ck_assert_uint_eq(n_closed, 1);
	ck_assert_int_eq(last_close, HY_CLOSE_SLOW_CONSUMER);
	ck_assert_uint_eq(st->slow_consumers, 1);
	ck_assert_uint_eq(st->closed_by[HY_CLOSE_SLOW_CONSUMER], 1);
	ck_assert_uint_eq(st->rudp_pool_used, 0);
	ck_assert_uint_eq(st->timers_armed, 0);
	ck_assert_int_eq(hy_engine_send(eng, cl.t.cred.sid, 2, 0x0700, HY_STATUS_PUSH,
					HY_ENGINE_RELIABLE, p, sizeof(p)),
			 HY_R_UNKNOWN_SESSION);
}
END_TEST

START_TEST(pool_exhaustion_is_counted)
{
	const struct hy_engine_stats *st;
	uint8_t p[1100];
	enum hy_reason r = HY_R_OK;
	unsigned ok = 0;

	/* a tiny pool */
	hy_engine_destroy(eng);
	eng = make_engine(16u << 10);
	client_init(&cl);
	client_connect(&cl);
	st = hy_engine_stats(eng);
	down.cut = true; /* nothing is ever acknowledged */
	memset(p, 1, sizeof(p));
	for (unsigned i = 0; i < 64 && r == HY_R_OK; i++) {
		r = hy_engine_send(eng, cl.t.cred.sid, 2, 0x0700, HY_STATUS_PUSH, HY_ENGINE_RELIABLE,
				   p, sizeof(p));
		ok += r == HY_R_OK;
	}
	ck_assert_int_eq(r, HY_R_REASSEMBLY_FULL);
	ck_assert_uint_gt(ok, 0);
	ck_assert_uint_gt(st->rudp_alloc_failures, 0);
	ck_assert_uint_eq(st->drops[HY_R_REASSEMBLY_FULL], 1);
	/* the receive side: a unit ahead of a gap needs a buffer; none left */
	{
		uint8_t msg[64], pt[HY_MAX_PAYLOAD], pkt[HY_MAX_DATAGRAM];
		struct hy_engine_result res;
		struct hy_wr w;
		size_t m = hy_msg_cmd_encode(msg, sizeof(msg), 2, 0x0701, "late", 4);
		hy_wr_init(&w, pt, sizeof(pt));
		ck_assert(hy_frame_put_reliable(&w, 1, msg, m));
		uint16_t n = tclient_seal(&cl.t, HY_PKT_DATA, pt, w.off, pkt, sizeof(pkt));
		hy_engine_input(eng, &cl.t.peer, pkt, n, sizeof(pkt), now, &res);
		ck_assert_uint_ge(st->reassembly_drops, 1);
		/* the head of the stream needs no buffer: still delivered */
		m = hy_msg_cmd_encode(msg, sizeof(msg), 2, 0x0701, "head", 4);
		hy_wr_init(&w, pt, sizeof(pt));
		ck_assert(hy_frame_put_reliable(&w, 0, msg, m));
		n = tclient_seal(&cl.t, HY_PKT_DATA, pt, w.off, pkt, sizeof(pkt));
		hy_engine_input(eng, &cl.t.peer, pkt, n, sizeof(pkt), now, &res);
		ck_assert_uint_eq(up_cmds.n, 1);
		ck_assert_uint_eq(up_cmds.m[0].tag, tag_of((const uint8_t *)"head", 4));
	}
	ck_assert_uint_eq(hy_engine_sessions(eng), 1);
	/* closing gives everything back */
	ck_assert_int_eq(hy_engine_kick(eng, cl.t.cred.sid, HY_CLOSE_KICKED), HY_R_OK);
	ck_assert_uint_eq(st->rudp_pool_used, 0);
	ck_assert_uint_eq(st->timers_armed, 0);
}
END_TEST

/* Reliable commands the control plane's queue has no room for are held,
 * acknowledged, and passed up in order once it has; unreliable ones are
 * dropped and counted.  First a burst the engine's receive window holds
 * whole (the client resends nothing), then one past its byte cap (the
 * client's resends carry the rest once the window moves). */
static void hold_then_release(unsigned n, size_t len, unsigned hold_ms, bool past_cap)
{
	const struct hy_engine_stats *st = hy_engine_stats(eng);
	uint64_t resent0 = cl.env.stats.retransmits, held0 = st->commands_held;
	unsigned base = up_cmds.n, sent = 0;
	static uint32_t hash[MAX_LOG];

	up_full = true;
	for (unsigned i = 0; i < hold_ms; i++) {
		while (sent < n && client_command(&cl, 0x0500, base + sent, len,
						  &hash[base + sent]) == HY_R_OK)
			sent++;
		client_flush(&cl);
		step();
	}
	ck_assert_uint_eq(up_cmds.n, base);
	ck_assert_uint_gt(st->commands_held, held0);
	ck_assert_uint_gt(st->timers_armed, 0); /* the engine offers them again */
	if (!past_cap) {
		/* everything was acknowledged: nothing for the client to resend */
		ck_assert_uint_eq(sent, n);
		ck_assert_ptr_null(cl.r.tx);
		ck_assert_uint_eq(cl.env.stats.retransmits, resent0);
	} else {
		ck_assert_uint_gt(cl.env.stats.retransmits, resent0);
	}
	/* an unreliable command meanwhile is dropped, counted, never held */
	{
		uint8_t msg[64], pt[HY_MAX_PAYLOAD], pkt[HY_MAX_DATAGRAM];
		struct hy_engine_result res;
		struct hy_wr w;
		size_t m = hy_msg_cmd_encode(msg, sizeof(msg), 2, 0x0501, "unre", 4);
		uint64_t dropped = st->up_dropped;

		hy_wr_init(&w, pt, sizeof(pt));
		ck_assert(hy_frame_put_unreliable(&w, msg, m));
		uint16_t k = tclient_seal(&cl.t, HY_PKT_DATA, pt, w.off, pkt, sizeof(pkt));
		hy_engine_input(eng, &cl.t.peer, pkt, k, sizeof(pkt), now, &res);
		ck_assert_uint_eq(st->up_dropped, dropped + 1);
	}
	up_full = false;
	unsigned steps = 0;
	while ((up_cmds.n < base + n || cl.r.tx != NULL) && steps++ < 20000) {
		while (sent < n && client_command(&cl, 0x0500, base + sent, len,
						  &hash[base + sent]) == HY_R_OK)
			sent++;
		client_flush(&cl);
		step();
	}
	ck_assert_uint_eq(up_cmds.n, base + n);
	for (unsigned i = base; i < base + n; i++) {
		ck_assert_uint_eq(up_cmds.m[i].tag, i);
		ck_assert_uint_eq(up_cmds.m[i].hash, hash[i]);
		ck_assert_int_eq(up_cmds.m[i].d, HY_ENGINE_RELIABLE);
	}
	ck_assert_uint_eq(hy_engine_sessions(eng), 1);
	for (unsigned i = 0; i < 100; i++)
		step();
	ck_assert_uint_eq(st->rudp_pool_used, 0);
}

START_TEST(reliable_commands_wait_for_room_upstream)
{
	hold_then_release(20, 3000, 300, false);   /* 60 KB, under the 128 KiB cap */
	hold_then_release(100, 3000, 2000, true);  /* 300 KB: past it, for 2 s */
	ck_assert_uint_eq(up_refused_unreliable, 2);
	ck_assert_uint_eq(n_closed, 0);
}
END_TEST

START_TEST(held_commands_go_up_before_the_close)
{
	/* The client was told its commands arrived: when the session ends
	 * while they are still held (the control plane's queue full), they go
	 * up first, in order, through command_late, and then the close. */
	const struct hy_engine_stats *st = hy_engine_stats(eng);
	static uint32_t hash[16];

	up_full = true;
	for (unsigned i = 0; i < 16; i++)
		ck_assert_int_eq(client_command(&cl, 0x0600, i, 100 + i * 150, &hash[i]), HY_R_OK);
	for (unsigned i = 0; i < 50; i++) {
		client_flush(&cl);
		step();
	}
	ck_assert_ptr_null(cl.r.tx); /* all acknowledged */
	ck_assert_uint_eq(up_cmds.n, 0);
	ck_assert_uint_gt(st->commands_held, 0);
	ck_assert_int_eq(hy_engine_kick(eng, cl.t.cred.sid, HY_CLOSE_KICKED), HY_R_OK);
	ck_assert_uint_eq(n_closed, 1);
	ck_assert_uint_eq(late_cmds, 16);
	ck_assert_uint_eq(late_after_close, 0);
	ck_assert_uint_eq(up_cmds.n, 16);
	for (unsigned i = 0; i < 16; i++) {
		ck_assert_uint_eq(up_cmds.m[i].tag, i);
		ck_assert_uint_eq(up_cmds.m[i].hash, hash[i]);
	}
	ck_assert_uint_eq(st->rudp_pool_used, 0);
	ck_assert_uint_eq(st->up_dropped, 0);
}
END_TEST

START_TEST(inconsistent_stream_closes_protocol_error)
{
	const struct hy_engine_stats *st = hy_engine_stats(eng);
	uint8_t pt[HY_MAX_PAYLOAD], pkt[HY_MAX_DATAGRAM];
	struct hy_engine_result res;
	struct hy_wr w;

	/* two fragments of one message disagreeing on the count */
	hy_wr_init(&w, pt, sizeof(pt));
	ck_assert(hy_frame_put_fragment(&w, HY_FRAME_RELIABLE, 0, 0, 2, "\x02\x00\x01" "ab", 5));
	ck_assert(hy_frame_put_fragment(&w, HY_FRAME_RELIABLE, 1, 1, 3, "cd", 2));
	uint16_t n = tclient_seal(&cl.t, HY_PKT_DATA, pt, w.off, pkt, sizeof(pkt));
	ck_assert_int_eq(hy_engine_input(eng, &cl.t.peer, pkt, n, sizeof(pkt), now, &res),
			 HY_ENGINE_CONSUMED);
	ck_assert_uint_eq(hy_engine_sessions(eng), 0);
	ck_assert_uint_eq(n_closed, 1);
	ck_assert_int_eq(last_close, HY_CLOSE_PROTOCOL_ERROR);
	ck_assert_uint_eq(st->broken_sessions, 1);
	ck_assert_uint_eq(st->rudp_pool_used, 0);
	ck_assert_uint_eq(st->timers_armed, 0);
	ck_assert_uint_eq(up_cmds.n, 0);
	/* the client is told */
	step();
	step();
	ck_assert(cl.closed);
	ck_assert_int_eq(cl.close_why, HY_CLOSE_PROTOCOL_ERROR);
}
END_TEST

START_TEST(config_checks)
{
	char err[128] = "";
	struct hy_engine_config c = {
		.node_id = T_NODE, .n_workers = 1, .socket_id = -1, .max_sessions = 4,
		.backend = HY_AEAD_IPSECMB, .shared = &node.sh, .ops = &ops,
		.rto_min_ms = 500, .rto_max_ms = 100,
	};
	ck_assert_ptr_null(hy_engine_create(&c, err, sizeof(err)));
	ck_assert_msg(strstr(err, "reliability") != NULL, "%s", err);
	c.rto_min_ms = 0;
	c.rto_max_ms = 0;
	c.reassembly_bytes = 1000; /* under max_message */
	ck_assert_ptr_null(hy_engine_create(&c, err, sizeof(err)));
	c.reassembly_bytes = 0;
	c.max_message = 2000;
	struct hy_engine *e = hy_engine_create(&c, err, sizeof(err));
	ck_assert_msg(e != NULL, "%s", err);
	hy_engine_destroy(e);
}
END_TEST

static Suite *reliable_suite(void)
{
	Suite *s = suite_create("engine-reliable");
	TCase *tc = tcase_create("reliable");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, sizes_delivered_once_in_order);
	tcase_add_test(tc, lossy_path_500_each_way);
	tcase_add_test(tc, unreliable_push_carries_the_ack);
	tcase_add_test(tc, silent_client_retries_exhausted);
	tcase_add_test(tc, slow_consumer_closed_at_the_cap);
	tcase_add_test(tc, pool_exhaustion_is_counted);
	tcase_add_test(tc, reliable_commands_wait_for_room_upstream);
	tcase_add_test(tc, held_commands_go_up_before_the_close);
	tcase_add_test(tc, inconsistent_stream_closes_protocol_error);
	tcase_add_test(tc, config_checks);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	(void)argc;
	if (harness_eal_init(argv[0]) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	SRunner *sr = srunner_create(reliable_suite());
	/* one process: EAL cannot be started again in a forked child */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	hy_eal_finish();
	return failed ? 1 : 0;
}
