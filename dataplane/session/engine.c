/* SPDX-License-Identifier: BSD-3-Clause
 * Per-lcore session engine (engine.h).
 *
 * Checks run in the order docs/protocol.md lists them; every refusal is
 * counted under its reason and answered with silence unless the token has
 * authenticated (then DENY).  Tables, all sized at create time:
 *   - tab: the session entries, one rte_zmalloc'd array; expanded AEAD keys
 *     live in the entry (2 x struct hy_aead_ctx);
 *   - sessions_h: rte_hash sid -> index into tab; free indices on a LIFO
 *     stack, so live entries stay packed low and the timer scan stops at
 *     the high-water mark;
 *   - used_h + used_fifo: sids of closed sessions, kept until their token
 *     expires (one token, one session).  Admission keeps live + remembered
 *     within the FIFO's capacity, so every close can be remembered.
 *   - reliability: one struct hy_rudp per session (72 bytes while idle), the
 *     windows from a per-engine size-class pool over one rte_malloc'd
 *     region, and a timer wheel of sessions with reliability work pending.
 */
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_prefetch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_memory.h>

#include "engine.h"
#include "hash64.h"

#include "common/wire.h"
#include "crypto/cookie.h"
#include "crypto/replay.h"
#include "crypto/token.h"
#include "proto/frame.h"
#include "proto/message.h"
#include "proto/packet.h"
#include "proto/seal.h"
#include "rudp/rudp.h"

#define DEFAULT_TICK_BUDGET 256u
/* Reliable messages are fragmented and reassembled: the protocol's limit. */
#define DEFAULT_MAX_MESSAGE HY_MAX_MESSAGE
/* Timer wheel: 1 ms slots over 1.024 s; a deadline further out is parked
 * in the last slot of the horizon and filed again when that slot comes. */
#define WHEEL_SLOTS 1024u
#define WHEEL_MASK (WHEEL_SLOTS - 1u)
#define T_NONE UINT32_MAX
/* Pool per engine when the config says 0: enough for a few KB per session
 * (an ACK pending or a few units in flight), within sane bounds. */
#define POOL_PER_SESSION 2048u
#define POOL_MIN (1u << 20)
#define POOL_MAX (64u << 20)
#define SEQ_STREAMS 8u          /* SEQUENCED streams tracked per session */
#define KICK_COPIES 3u          /* DISCONNECTs per kick: any copy may be lost */
#define SERIAL_WORKER_SHIFT 24u /* cookie serial = worker id | counter */
#define SERIAL_COUNT_MAX (1u << SERIAL_WORKER_SHIFT)
#define DENY_PN_BASE (1ull << 63)
#define DENY_PER_MS 4096u

_Static_assert(HY_ENGINE_MAX_WORKERS <= (1u << (32 - SERIAL_WORKER_SHIFT)),
	       "worker id must fit the top bits of a cookie serial");

enum sess_state {
	SESS_FREE = 0,
	SESS_ACCEPTED,    /* ACCEPT sent, nothing authenticated from the client yet */
	SESS_ESTABLISHED, /* a packet from the client authenticated */
};

/* One session.  The first cache line holds what every packet touches. */
struct hy_session {
	uint64_t sid;
	uint64_t next_pn;    /* server -> client */
	uint64_t last_rx_ms;
	uint64_t last_tx_ms;
	uint8_t state;       /* enum sess_state */
	uint8_t transport;
	uint8_t uid_len;
	uint8_t seq_seen;    /* bit n: stream n has delivered a message */
	uint32_t tx_seq;     /* SEQUENCED frames sent (stream 0) */
	uint64_t rx_packets;
	uint64_t tx_packets;
	struct hy_replay replay;
	uint32_t seq_newest[SEQ_STREAMS];
	struct hy_peer peer;
	uint64_t created_ms;
	uint64_t expire_at;  /* token expiry, unix seconds */
	char uid[HY_UID_MAX + 1];
	uint8_t bench;             /* a bench session (engine.h): fills padding */
	struct hy_rudp rudp;       /* reliable channel, both directions */
	uint64_t t_due;            /* timer: ms when the channel needs service; 0: not armed */
	uint32_t t_next, t_prev;   /* timer wheel slot list, by table index */
	uint32_t t_slot;
	uint32_t key_gen;          /* tells this session's keys in the cache from a predecessor's */
	/* Raw keys [KEY_RX] client -> server, [KEY_TX] server -> client: 32 B
	 * here, the 2 x 1 KiB expanded forms only in the key cache. */
	uint8_t raw_key[2][HY_KEY_LEN];
} __rte_cache_aligned;

enum { KEY_RX = 0, KEY_TX = 1 };

/*
 * Expanded keys of the sessions in use.  Direct-mapped by table index:
 * indices are handed out LIFO, so the live ones stay dense, and while no
 * more sessions are live than the cache has slots no two of them share a
 * slot.  Past that, sessions take turns and a miss costs one expansion
 * (about 340 cycles) per direction: memory traded for cycles, by
 * dataplane.key_cache.
 */
struct key_slot {
	uint32_t idx;   /* table index + 1 of the session the keys are for; 0: empty */
	uint32_t gen;   /* its key_gen */
	uint8_t valid;  /* bit KEY_RX / KEY_TX: that direction is expanded */
	struct hy_aead_ctx key[2];
};

struct used_ent {
	uint64_t sid;
	uint64_t expire_at;
};

struct hy_engine {
	struct hy_engine_stats stats;
	struct hy_engine_config cfg;
	struct hy_engine_shared *sh;
	uint64_t now_ms;

	struct hy_session *tab;
	struct key_slot *keys;
	struct hy_aead_hot key_hot; /* the lines of a key the cipher reads (prefetch) */
	uint32_t key_mask;  /* key cache slots - 1 */
	uint32_t key_gen;   /* last key_gen handed out */
	struct rte_hash *sessions_h;
	uint64_t session_adds; /* sids ever added to sessions_h: dates an "absent" hint */
	uint32_t *free_stack;
	uint32_t n_free;
	uint32_t high_water; /* no index at or above it was ever handed out */
	uint32_t live;
	uint32_t scan_pos;

	struct rte_hash *used_h;
	struct used_ent *used_fifo;
	uint32_t used_cap, used_head, used_count;

	uint32_t ck_time, ck_gen, ck_count; /* cookie serials */
	uint64_t deny_ms;
	uint32_t deny_count;                /* DENY packet numbers */

	size_t mem_bytes;
	struct hy_aead_ctx tmp_key;         /* DENY before a session exists */

	/* Reliability: settings, counters, 64 KiB reassembly scratch; the pool
	 * its windows come from; the timer wheel (slot heads, table indices). */
	struct hy_rudp_env rudp_env;
	struct hy_rudp_pool pool;
	void *pool_mem;
	uint64_t wheel_ms;                  /* time of the slot being or next to be run */
	uint32_t wheel[WHEEL_SLOTS];
	uint8_t msg[HY_MAX_MESSAGE];        /* reliable message being encoded */
	uint8_t pt[HY_MAX_PAYLOAD];         /* plaintext being built */
	uint8_t fan[HY_MAX_PAYLOAD];        /* hy_engine_send_many(): the plaintext every
					     * recipient gets, framed once */
	uint8_t out[HY_MAX_DATAGRAM];       /* packets for ops->tx */
} __rte_cache_aligned;

/* ---- small helpers ---------------------------------------------------- */

static enum hy_engine_action drop(struct hy_engine *e, struct hy_engine_result *res,
				  enum hy_reason r)
{
	e->stats.drops[r]++;
	res->action = HY_ENGINE_DROP;
	res->why = r;
	res->reply_len = 0;
	return HY_ENGINE_DROP;
}

static enum hy_engine_action reply(struct hy_engine *e, struct hy_engine_result *res, size_t n)
{
	e->stats.tx++;
	res->action = HY_ENGINE_REPLY;
	res->why = HY_R_OK;
	res->reply_len = (uint16_t)n;
	return HY_ENGINE_REPLY;
}

static enum hy_engine_action consumed(struct hy_engine_result *res)
{
	res->action = HY_ENGINE_CONSUMED;
	res->why = HY_R_OK;
	res->reply_len = 0;
	return HY_ENGINE_CONSUMED;
}

static void up_count(struct hy_engine *e, int rc)
{
	if (rc == 0)
		e->stats.up_events++;
	else
		e->stats.up_dropped++;
}

static int tx(struct hy_engine *e, const struct hy_peer *to, const uint8_t *pkt, size_t len)
{
	int rc = e->cfg.ops->tx ? e->cfg.ops->tx(e->cfg.ops_arg, to, pkt, (uint16_t)len) : -1;

	if (rc == 0)
		e->stats.tx++;
	else
		e->stats.tx_refused++;
	return rc;
}

static uint8_t node_state(const struct hy_engine *e)
{
	return __atomic_load_n(&e->sh->node_state, __ATOMIC_ACQUIRE);
}

/* a and b are the same peer, link-layer details included.  Asked of every
 * authenticated packet: five word compares rather than a memcmp() call. */
static inline bool same_peer(const struct hy_peer *a, const struct hy_peer *b)
{
	uint64_t x[4], y[4];
	uint32_t xt, yt;

	_Static_assert(sizeof(struct hy_peer) == sizeof(x) + sizeof(xt), "hy_peer layout");
	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	memcpy(&xt, (const uint8_t *)a + sizeof(x), sizeof(xt));
	memcpy(&yt, (const uint8_t *)b + sizeof(y), sizeof(yt));
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (xt ^ yt)) == 0;
}

static bool same_address(const struct hy_peer *a, const struct hy_peer *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

static void cookie_addr(const struct hy_peer *p, struct hy_cookie_addr *ca)
{
	ca->family = p->family;
	memcpy(ca->addr, p->addr, sizeof(ca->addr));
	ca->port = p->port;
}

static void session_info(const struct hy_session *s, struct hy_engine_session_info *out)
{
	out->sid = s->sid;
	out->created_ms = s->created_ms;
	out->last_rx_ms = s->last_rx_ms;
	out->rx_packets = s->rx_packets;
	out->tx_packets = s->tx_packets;
	out->peer = s->peer;
	out->transport = s->transport;
	out->uid_len = s->uid_len;
	memcpy(out->uid, s->uid, sizeof(out->uid));
	struct hy_rudp_info ri;
	hy_rudp_info(&s->rudp, &ri);
	out->reliable_held = ri.tx_bytes + ri.tx_backlog_bytes;
}

static void key_slot_wipe(struct key_slot *k)
{
	if (k->valid & (1u << KEY_RX))
		hy_aead_key_wipe(&k->key[KEY_RX]);
	if (k->valid & (1u << KEY_TX))
		hy_aead_key_wipe(&k->key[KEY_TX]);
	k->idx = 0;
	k->valid = 0;
}

/* The expanded key of direction dir of s, from the cache or expanded into
 * it now.  NULL only if the backend fails, which hy_engine_create ruled
 * out. */
static inline const struct hy_aead_ctx *session_key(struct hy_engine *e, struct hy_session *s,
						    unsigned dir)
{
	uint32_t idx = (uint32_t)(s - e->tab);
	struct key_slot *k = &e->keys[idx & e->key_mask];

	if (likely(k->idx == idx + 1 && k->gen == s->key_gen)) {
		if (likely(k->valid & (1u << dir)))
			return &k->key[dir];
	} else {
		key_slot_wipe(k);
		k->idx = idx + 1;
		k->gen = s->key_gen;
	}
	e->stats.key_expansions++;
	if (unlikely(hy_aead_key_init(&k->key[dir], e->cfg.backend, s->raw_key[dir]) < 0))
		return NULL;
	k->valid |= (uint8_t)(1u << dir);
	return &k->key[dir];
}

/* Wipes s's keys, raw and (if it still holds its slot) expanded. */
static void session_keys_wipe(struct hy_engine *e, struct hy_session *s)
{
	uint32_t idx = (uint32_t)(s - e->tab);
	struct key_slot *k = &e->keys[idx & e->key_mask];

	if (k->idx == idx + 1 && k->gen == s->key_gen)
		key_slot_wipe(k);
	explicit_bzero(s->raw_key, sizeof(s->raw_key));
}

/* Gives s its raw keys and a new key_gen, and expands both directions
 * (a new session talks at once).  Returns 0, or -1 (backend failure)
 * with every key of s wiped again. */
static int session_keys_set(struct hy_engine *e, struct hy_session *s,
			    const uint8_t c2s[HY_KEY_LEN], const uint8_t s2c[HY_KEY_LEN])
{
	memcpy(s->raw_key[KEY_RX], c2s, HY_KEY_LEN);
	memcpy(s->raw_key[KEY_TX], s2c, HY_KEY_LEN);
	if (++e->key_gen == 0)
		e->key_gen = 1;
	s->key_gen = e->key_gen;
	if (session_key(e, s, KEY_RX) != NULL && session_key(e, s, KEY_TX) != NULL)
		return 0;
	session_keys_wipe(e, s);
	return -1;
}

/* Seals a packet of this session into out; 0 if it does not fit. */
static size_t seal_for(struct hy_engine *e, struct hy_session *s, enum hy_pkt_type type,
		       const uint8_t *pt, size_t len, uint8_t *out, size_t cap)
{
	const struct hy_aead_ctx *key = session_key(e, s, KEY_TX);
	size_t n = key ? hy_pkt_seal(key, type, s->sid, s->next_pn, pt, len, out, cap) : 0;

	if (n != 0) {
		s->next_pn++;
		s->last_tx_ms = e->now_ms;
		s->tx_packets++;
	}
	return n;
}

/* Seals a packet of s and hands it to ops->tx, sealed where ops->tx_buf
 * says (the port's buffer: no copy) or in e->out. */
static int send_sealed(struct hy_engine *e, struct hy_session *s, enum hy_pkt_type type,
		       const uint8_t *pt, size_t len)
{
	const struct hy_engine_ops *ops = e->cfg.ops;
	uint8_t *out = NULL;
	uint16_t cap = 0;
	size_t n;

	if (ops->tx_buf != NULL)
		out = ops->tx_buf(e->cfg.ops_arg, &s->peer, &cap);
	if (out == NULL || cap < HY_DATA_OVERHEAD + len) {
		out = e->out;
		cap = sizeof(e->out);
	}
	n = seal_for(e, s, type, pt, len, out, cap);
	return n ? tx(e, &s->peer, out, n) : -1;
}

static struct hy_session *find(const struct hy_engine *e, uint64_t sid, uint32_t *idx)
{
	void *data;

	if (rte_hash_lookup_data(e->sessions_h, &sid, &data) < 0)
		return NULL;
	*idx = (uint32_t)(uintptr_t)data;
	return &e->tab[*idx];
}

/*
 * Hints (hy_engine_prefetch_burst): a table index where the lookup found
 * the sid; HINT_ABSENT with the low bits of session_adds where it found
 * none (still true while no sid has been added since); HY_ENGINE_NO_HINT
 * where there was nothing to look up.
 */
#define HINT_ABSENT 0x80000000u
#define HINT_ADDS_MASK 0x3fffffffu

_Static_assert(HY_ENGINE_MAX_SESSIONS <= HINT_ABSENT, "table indices below the hint flags");

/* Does hint name sid's entry?  (A hint is checked, never trusted.) */
static inline bool hint_holds(const struct hy_engine *e, uint64_t sid, uint32_t hint)
{
	return hint < e->cfg.max_sessions && e->tab[hint].sid == sid &&
	       e->tab[hint].state != SESS_FREE;
}

/* find() where a hint may spare the lookup. */
static struct hy_session *find_hinted(const struct hy_engine *e, uint64_t sid, uint32_t hint,
				      uint32_t *idx)
{
	if (hint_holds(e, sid, hint)) {
		*idx = hint;
		return &e->tab[hint];
	} else if (hint != HY_ENGINE_NO_HINT && (hint & HINT_ABSENT) &&
		   (hint & HINT_ADDS_MASK) == (e->session_adds & HINT_ADDS_MASK)) {
		return NULL;
	}
	return find(e, sid, idx);
}

/* Lookups per rte_hash_lookup_bulk_data() call: a burst's worth. */
#define LOOKUP_CHUNK 32u

/* What sealing (dir KEY_TX) or opening (KEY_RX) a packet of session idx
 * reads: the lines of its entry it uses, its key slot's tag and the first
 * lines of that key (AES round keys, then the GHASH key powers a short
 * packet uses). */
static inline void prefetch_session(const struct hy_engine *e, uint32_t idx, unsigned dir)
{
	const struct key_slot *k = &e->keys[idx & e->key_mask];
	const struct hy_session *s = &e->tab[idx];

	/* not the user id, nor the raw keys (read only to expand a key the
	 * cache lost), nor on the way out the replay window */
	rte_prefetch0(s);
	if (dir == KEY_RX)
		rte_prefetch0(&s->replay.bits);
	rte_prefetch0(&s->peer);
	rte_prefetch0(&s->rudp);
	rte_prefetch0(&s->key_gen);
	rte_prefetch0(k);
	/* the lines of the expanded key the cipher reads (the slot's key may
	 * not be this session's: then it is expanded anew, and the hint was
	 * only early) */
	hy_aead_prefetch(&k->key[dir], e->key_hot);
}

/* ---- memory accounting ------------------------------------------------ */

size_t hy_heap_allocated(void)
{
	size_t total = 0;

	for (unsigned i = 0; i < rte_socket_count(); i++) {
		struct rte_malloc_socket_stats st;
		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &st) == 0)
			total += st.heap_allocsz_bytes;
	}
	return total;
}

size_t hy_engine_session_entry_size(void)
{
	return sizeof(struct hy_session);
}

size_t hy_engine_memory(const struct hy_engine *e)
{
	return e->mem_bytes;
}

/* ---- create / destroy ------------------------------------------------- */

/* The reliability env and its pool, from the engine's config. */
static int rudp_setup(struct hy_engine *e, char *err, size_t err_len)
{
	const struct hy_engine_config *c = &e->cfg;
	size_t pool = c->rudp_pool_bytes;
	struct hy_rudp_config rc = {
		.rto_min_ms = c->rto_min_ms,
		.rto_max_ms = c->rto_max_ms,
		.max_retries = c->max_retries,
		.max_message = c->max_message,
		/* a whole message must fit: a window holds at least one */
		.tx_bytes_max = 2u * c->max_message,
		.rx_bytes_max = c->reassembly_bytes ? c->reassembly_bytes : 2u * c->max_message,
	};
	char why[128];

	if (pool == 0) {
		pool = (size_t)c->max_sessions * POOL_PER_SESSION;
		pool = RTE_MAX(pool, (size_t)POOL_MIN);
		pool = RTE_MIN(pool, (size_t)POOL_MAX);
	}
	e->pool_mem = rte_malloc_socket("hy_rudp_pool", pool, RTE_CACHE_LINE_SIZE, c->socket_id);
	if (e->pool_mem == NULL) {
		snprintf(err, err_len, "engine: no memory for a %zu-byte reliability pool", pool);
		return -1;
	}
	hy_rudp_pool_init(&e->pool, e->pool_mem, pool);
	rc.alloc = hy_rudp_pool_alloc(&e->pool);
	if (hy_rudp_env_init(&e->rudp_env, &rc, why, sizeof(why)) != HY_R_OK) {
		snprintf(err, err_len, "engine: reliability: %s", why);
		return -1;
	}
	for (unsigned i = 0; i < WHEEL_SLOTS; i++)
		e->wheel[i] = T_NONE;
	return 0;
}

#define FAIL(...) do { snprintf(err, err_len, __VA_ARGS__); goto fail; } while (0)

struct hy_engine *hy_engine_create(const struct hy_engine_config *cfg, char *err, size_t err_len)
{
	struct hy_engine *e = NULL;
	size_t heap0 = hy_heap_allocated();
	int socket;

	if (cfg == NULL || cfg->shared == NULL || cfg->ops == NULL)
		FAIL("engine: config, shared state and ops are required");
	if (cfg->n_workers == 0 || cfg->n_workers > HY_ENGINE_MAX_WORKERS)
		FAIL("engine: n_workers %u not in 1..%u", cfg->n_workers, HY_ENGINE_MAX_WORKERS);
	if (cfg->worker_id >= cfg->n_workers)
		FAIL("engine: worker_id %u not below n_workers %u", cfg->worker_id, cfg->n_workers);
	if (cfg->max_sessions == 0 || cfg->max_sessions > HY_ENGINE_MAX_SESSIONS)
		FAIL("engine: max_sessions %u not in 1..%u", cfg->max_sessions,
		     HY_ENGINE_MAX_SESSIONS);
	if (cfg->max_used_sids > 2u * HY_ENGINE_MAX_SESSIONS)
		FAIL("engine: max_used_sids %u over %u", cfg->max_used_sids,
		     2u * HY_ENGINE_MAX_SESSIONS);
	if (cfg->max_message > HY_MAX_MESSAGE)
		FAIL("engine: max_message %u over %u", cfg->max_message, HY_MAX_MESSAGE);
	if (hy_aead_backend_available(cfg->backend) < 0)
		FAIL("engine: AEAD backend %s unavailable", hy_aead_backend_name(cfg->backend));

	socket = cfg->socket_id;
	e = rte_zmalloc_socket("hy_engine", sizeof(*e), RTE_CACHE_LINE_SIZE, socket);
	if (e == NULL)
		FAIL("engine: no memory for the engine");
	e->cfg = *cfg;
	e->sh = cfg->shared;
	{ /* every key of the backend has the same layout: read it off one */
		static const uint8_t zero_key[HY_KEY_LEN];

		if (hy_aead_key_init(&e->tmp_key, cfg->backend, zero_key) == 0)
			e->key_hot = e->tmp_key.hot;
		hy_aead_key_wipe(&e->tmp_key);
	}
	if (e->cfg.tick_budget == 0)
		e->cfg.tick_budget = DEFAULT_TICK_BUDGET;
	if (e->cfg.max_message == 0)
		e->cfg.max_message = DEFAULT_MAX_MESSAGE;
	/* Every live session may become a remembered one: at least as many
	 * slots as sessions, so admission always leaves room. */
	e->used_cap = cfg->max_used_sids ? cfg->max_used_sids : 2u * cfg->max_sessions;
	if (e->used_cap < cfg->max_sessions)
		e->used_cap = cfg->max_sessions;

	/* size_t all the way: 2^24 entries of a few KiB exceed 32 bits. */
	e->tab = rte_zmalloc_socket("hy_sessions", (size_t)cfg->max_sessions * sizeof(*e->tab),
				    RTE_CACHE_LINE_SIZE, socket);
	e->free_stack = rte_malloc_socket("hy_sess_free",
					  (size_t)cfg->max_sessions * sizeof(*e->free_stack), 0,
					  socket);
	e->used_fifo = rte_malloc_socket("hy_used_sids", (size_t)e->used_cap * sizeof(*e->used_fifo),
					 0, socket);
	if (e->tab == NULL || e->free_stack == NULL || e->used_fifo == NULL)
		FAIL("engine: no memory for %u sessions (%zu bytes each)", cfg->max_sessions,
		     sizeof(*e->tab));
	if (e->cfg.key_cache == 0)
		e->cfg.key_cache = HY_ENGINE_KEY_CACHE_DEFAULT;
	/* never more slots than the table has sessions */
	e->cfg.key_cache = RTE_MIN(e->cfg.key_cache, rte_align32pow2(cfg->max_sessions));
	if (!rte_is_power_of_2(e->cfg.key_cache) || e->cfg.key_cache > HY_ENGINE_MAX_SESSIONS)
		FAIL("engine: key_cache %u is not a power of two up to %u", e->cfg.key_cache,
		     HY_ENGINE_MAX_SESSIONS);
	e->key_mask = e->cfg.key_cache - 1;
	e->keys = rte_zmalloc_socket("hy_session_keys", (size_t)e->cfg.key_cache * sizeof(*e->keys),
				     RTE_CACHE_LINE_SIZE, socket);
	if (e->keys == NULL)
		FAIL("engine: no memory for a key cache of %u sessions (%zu bytes each)",
		     e->cfg.key_cache, sizeof(*e->keys));
	/* LIFO: index 0 is handed out first. */
	for (uint32_t i = 0; i < cfg->max_sessions; i++)
		e->free_stack[i] = cfg->max_sessions - 1 - i;
	e->n_free = cfg->max_sessions;

	e->sessions_h = hy_hash64_create("hy_s", cfg->worker_id, cfg->max_sessions, socket);
	if (e->sessions_h == NULL)
		FAIL("engine: session hash: %s", rte_strerror(rte_errno));
	e->used_h = hy_hash64_create("hy_u", cfg->worker_id, e->used_cap, socket);
	if (e->used_h == NULL)
		FAIL("engine: used-sid hash: %s", rte_strerror(rte_errno));

	if (rudp_setup(e, err, err_len) < 0)
		goto fail;
	e->mem_bytes = hy_heap_allocated() - heap0;
	return e;
fail:
	hy_engine_destroy(e);
	return NULL;
}

void hy_engine_destroy(struct hy_engine *e)
{
	if (e == NULL)
		return;
	if (e->tab != NULL)
		for (uint32_t i = 0; i < e->high_water; i++)
			explicit_bzero(e->tab[i].raw_key, sizeof(e->tab[i].raw_key));
	if (e->keys != NULL)
		for (uint32_t i = 0; i <= e->key_mask; i++)
			key_slot_wipe(&e->keys[i]);
	rte_free(e->keys);
	rte_hash_free(e->sessions_h);
	rte_hash_free(e->used_h);
	rte_free(e->tab);
	rte_free(e->free_stack);
	rte_free(e->used_fifo);
	/* Session windows live in the pool: freeing the region frees them. */
	rte_free(e->pool_mem);
	hy_aead_key_wipe(&e->tmp_key);
	rte_free(e);
}

/* ---- remembered sids (one token, one session) ------------------------- */

static void used_add(struct hy_engine *e, uint64_t sid, uint64_t expire_at)
{
	/* A token that can no longer open anything need not be remembered. */
	if (expire_at <= e->now_ms / 1000u || e->used_count >= e->used_cap)
		return;
	if (rte_hash_add_key(e->used_h, &sid) < 0)
		return;
	e->used_fifo[(e->used_head + e->used_count) % e->used_cap] =
		(struct used_ent){.sid = sid, .expire_at = expire_at};
	e->used_count++;
	e->stats.used_sids = e->used_count;
}

/* Forgets expired sids from the FIFO's head, at most budget of them.  The
 * FIFO is in closing order, not expiry order: an entry with a later expiry
 * holds back those behind it, which only keeps them longer (safe). */
static void used_expire(struct hy_engine *e, unsigned budget)
{
	uint64_t now_s = e->now_ms / 1000u;

	while (budget-- && e->used_count) {
		struct used_ent *u = &e->used_fifo[e->used_head];
		if (u->expire_at > now_s)
			break;
		rte_hash_del_key(e->used_h, &u->sid);
		e->used_head = (e->used_head + 1) % e->used_cap;
		e->used_count--;
	}
	e->stats.used_sids = e->used_count;
}

/* ---- timer wheel ------------------------------------------------------ */

/* Hand-written rather than rte_timer: the engine runs on the caller's
 * now_ms (tests drive a fake clock), rte_timer on the TSC; and a session
 * needs 20 bytes here against a 120-byte struct rte_timer with a locked
 * skip list behind it.  One slot per millisecond, doubly linked by table
 * index; only sessions with reliable work pending are filed. */

static void timer_disarm(struct hy_engine *e, struct hy_session *s)
{
	if (s->t_due == 0)
		return;
	if (s->t_prev != T_NONE)
		e->tab[s->t_prev].t_next = s->t_next;
	else
		e->wheel[s->t_slot] = s->t_next;
	if (s->t_next != T_NONE)
		e->tab[s->t_next].t_prev = s->t_prev;
	s->t_due = 0;
	s->t_next = s->t_prev = T_NONE;
	e->stats.timers_armed--;
}

/* Files s (index idx) for service at due_ms (> now_ms).  The slot is the
 * due time, or the end of the horizon for a later one. */
static void timer_file(struct hy_engine *e, struct hy_session *s, uint32_t idx, uint64_t due_ms)
{
	uint64_t at = RTE_MIN(due_ms, e->wheel_ms + WHEEL_SLOTS - 1u);
	uint32_t slot = (uint32_t)(at & WHEEL_MASK);

	s->t_due = due_ms;
	s->t_slot = slot;
	s->t_prev = T_NONE;
	s->t_next = e->wheel[slot];
	if (s->t_next != T_NONE)
		e->tab[s->t_next].t_prev = idx;
	e->wheel[slot] = idx;
	e->stats.timers_armed++;
}

/* Re-arms s from its channel's next deadline (or takes it out). */
static void timer_arm(struct hy_engine *e, struct hy_session *s, uint32_t idx)
{
	uint64_t d = hy_rudp_next_deadline(&s->rudp);

	timer_disarm(e, s);
	if (d == HY_RUDP_NEVER)
		return;
	/* microseconds up to whole milliseconds, never in the past */
	uint64_t due = d / 1000u + (d % 1000u != 0);
	if (due <= e->now_ms)
		due = e->now_ms + 1;
	timer_file(e, s, idx, due);
}

/* ---- sessions --------------------------------------------------------- */

static void held_offer(struct hy_engine *e, struct hy_session *s, bool closing);

/* Ends a session: the commands its reliable channel held go up first,
 * optional DISCONNECTs, remembered sid, event, slot freed. */
static void close_session(struct hy_engine *e, struct hy_session *s, uint32_t idx,
			  enum hy_close_reason reason, unsigned copies)
{
	uint8_t body[HY_DISCONNECT_BODY_LEN];
	uint64_t sid = s->sid;
	struct hy_engine_session_info info;

	held_offer(e, s, true);
	if (copies && hy_close_encode(body, sizeof(body), reason) == sizeof(body))
		for (unsigned i = 0; i < copies; i++)
			send_sealed(e, s, HY_PKT_DISCONNECT, body, sizeof(body));
	session_info(s, &info);
	timer_disarm(e, s);
	hy_rudp_fini(&s->rudp);
	e->stats.rudp_pool_used = e->pool.in_use;
	used_add(e, sid, s->expire_at);
	rte_hash_del_key(e->sessions_h, &sid);
	session_keys_wipe(e, s);
	s->state = SESS_FREE;
	s->sid = 0;
	e->free_stack[e->n_free++] = idx;
	e->live--;
	e->stats.sessions = e->live;
	e->stats.closed++;
	if ((unsigned)reason < HY_CLOSE_REASON_MAX)
		e->stats.closed_by[reason]++;
	up_count(e, e->cfg.ops->session_closed
			    ? e->cfg.ops->session_closed(e->cfg.ops_arg, &info, reason)
			    : -1);
}

/* ---- handshake -------------------------------------------------------- */

/* The next cookie serial: worker id in the top bits, a counter that
 * restarts whenever issued_at or the key changes.  The GCM nonce is
 * issued_at | serial, so it never repeats under one key while this
 * lcore's issued_at never goes backwards. */
static int cookie_serial(struct hy_engine *e, uint32_t gen, uint32_t *issued_at,
			 uint32_t *serial)
{
	uint32_t t = (uint32_t)(e->now_ms / 1000u);

	if (t < e->ck_time)
		t = e->ck_time;
	if (t != e->ck_time || gen != e->ck_gen) {
		e->ck_time = t;
		e->ck_gen = gen;
		e->ck_count = 0;
	}
	if (e->ck_count >= SERIAL_COUNT_MAX)
		return -1;
	*issued_at = t;
	*serial = (uint32_t)e->cfg.worker_id << SERIAL_WORKER_SHIFT | e->ck_count++;
	return 0;
}

/* Packet number for a DENY: sealed under a session key that may also have
 * carried (or will carry) a session, so it must never meet a session's pn.
 * Sessions count up from 0; DENYs take 2^63 | now_ms << 12 | n. */
static int deny_pn(struct hy_engine *e, uint64_t *pn)
{
	if (e->now_ms != e->deny_ms) {
		e->deny_ms = e->now_ms;
		e->deny_count = 0;
	}
	if (e->deny_count >= DENY_PER_MS)
		return -1;
	*pn = DENY_PN_BASE | e->now_ms << 12 | e->deny_count++;
	return 0;
}

static enum hy_engine_action send_deny(struct hy_engine *e, const struct hy_token_private *priv,
				       enum hy_close_reason why, uint8_t *buf, uint16_t cap,
				       struct hy_engine_result *res)
{
	uint8_t body[HY_DENY_BODY_LEN];
	uint64_t pn;
	size_t n;

	if (deny_pn(e, &pn) < 0)
		return drop(e, res, HY_R_NONCES_EXHAUSTED);
	if (hy_aead_key_init(&e->tmp_key, e->cfg.backend, priv->s2c_key) < 0)
		return drop(e, res, HY_R_AUTH_FAILED);
	hy_close_encode(body, sizeof(body), why);
	n = hy_pkt_seal(&e->tmp_key, HY_PKT_DENY, priv->sid, pn, body, sizeof(body), buf, cap);
	hy_aead_key_wipe(&e->tmp_key);
	if (n == 0)
		return drop(e, res, HY_R_OUT_OF_SPACE);
	e->stats.denies[why]++;
	return reply(e, res, n);
}

static size_t accept_body(const struct hy_engine *e, uint8_t body[HY_ACCEPT_BODY_LEN])
{
	struct hy_accept a = {
		.keepalive_ms = e->cfg.keepalive_ms,
		.idle_timeout_ms = e->cfg.idle_timeout_ms,
		.max_message = e->cfg.max_message,
		.node_state = node_state(e),
	};
	return hy_accept_encode(body, HY_ACCEPT_BODY_LEN, &a);
}

/* A RESPONSE for a session that exists: our ACCEPT was lost. */
static enum hy_engine_action resend_accept(struct hy_engine *e, struct hy_session *s,
					   const struct hy_peer *from, uint8_t *buf, uint16_t cap,
					   struct hy_engine_result *res)
{
	uint8_t body[HY_ACCEPT_BODY_LEN];
	size_t n;

	/* Once the client has spoken inside the session it has the ACCEPT;
	 * the token has done its one job. */
	if (s->state == SESS_ESTABLISHED)
		return drop(e, res, HY_R_TOKEN_REUSED);
	accept_body(e, body);
	e->stats.accepts++;
	e->stats.accept_resends++;
	/* The cookie proves `from` holds the token, but a RESPONSE never moves
	 * a session: the ACCEPT goes where the session lives. */
	if (!same_address(from, &s->peer)) {
		send_sealed(e, s, HY_PKT_ACCEPT, body, sizeof(body));
		return consumed(res);
	}
	n = seal_for(e, s, HY_PKT_ACCEPT, body, sizeof(body), buf, cap);
	if (n == 0)
		return drop(e, res, HY_R_OUT_OF_SPACE);
	return reply(e, res, n);
}

static enum hy_engine_action open_session(struct hy_engine *e, const struct hy_peer *from,
					  const struct hy_token_public *pub,
					  const struct hy_token_private *priv, uint8_t *buf,
					  uint16_t cap, struct hy_engine_result *res)
{
	uint8_t body[HY_ACCEPT_BODY_LEN];
	struct hy_engine_session_info info;
	struct hy_session *s;
	uint32_t idx;
	size_t n;

	if (cap < HY_ACCEPT_PKT_LEN)
		return drop(e, res, HY_R_OUT_OF_SPACE);
	idx = e->free_stack[--e->n_free];
	s = &e->tab[idx];
	if (rte_hash_add_key_data(e->sessions_h, &priv->sid, (void *)(uintptr_t)idx) < 0) {
		e->n_free++;
		return send_deny(e, priv, HY_CLOSE_SERVER_FULL, buf, cap, res);
	}
	e->session_adds++;
	if (idx >= e->high_water)
		e->high_water = idx + 1;
	memset(s, 0, sizeof(*s));
	if (session_keys_set(e, s, priv->c2s_key, priv->s2c_key) < 0) {
		rte_hash_del_key(e->sessions_h, &priv->sid);
		e->n_free++;
		return drop(e, res, HY_R_AUTH_FAILED);
	}
	s->sid = priv->sid;
	s->state = SESS_ACCEPTED;
	s->transport = priv->transport;
	s->uid_len = priv->uid_len;
	memcpy(s->uid, priv->uid, sizeof(s->uid));
	s->peer = *from;
	s->created_ms = e->now_ms;
	s->last_rx_ms = e->now_ms;
	s->expire_at = pub->expire_at;
	hy_replay_init(&s->replay);
	hy_rudp_init(&s->rudp, &e->rudp_env);
	s->t_next = s->t_prev = T_NONE;
	e->live++;
	e->stats.sessions = e->live;
	e->stats.opened++;

	accept_body(e, body);
	n = seal_for(e, s, HY_PKT_ACCEPT, body, sizeof(body), buf, cap);
	e->stats.accepts++;
	session_info(s, &info);
	up_count(e, e->cfg.ops->session_opened
			    ? e->cfg.ops->session_opened(e->cfg.ops_arg, &info)
			    : -1);
	return reply(e, res, n);
}

static enum hy_engine_action handshake(struct hy_engine *e, const struct hy_peer *from,
				       uint8_t *buf, uint16_t len, uint16_t cap,
				       struct hy_engine_result *res)
{
	struct hy_pkt_connect p;
	struct hy_token_public pub;
	struct hy_token_private priv;
	struct hy_cookie_addr ca;
	enum hy_engine_action act;
	uint64_t now_s = e->now_ms / 1000u;
	enum hy_reason r;

	r = hy_pkt_connect_decode(buf, len, &p);
	if (r != HY_R_OK)
		return drop(e, res, r);
	if (p.type == HY_PKT_CONNECT)
		e->stats.connects++;
	else
		e->stats.responses++;
	/* The token is opened before anything is sent: no answer on the
	 * strength of bytes that do not authenticate. */
	r = hy_token_open(e->sh->cluster_keys, HY_ENGINE_KEY_IDS, e->cfg.node_id, now_s, p.token,
			  &pub, &priv);
	if (r == HY_R_OK && priv.transport != HY_TRANSPORT_UDP)
		r = HY_R_TOKEN_WRONG_TRANSPORT; /* a TCP token: the control plane's */
	if (r != HY_R_OK) {
		if (r == HY_R_AUTH_FAILED)
			e->stats.auth_failures++;
		explicit_bzero(&priv, sizeof(priv));
		return drop(e, res, r);
	}
	cookie_addr(from, &ca);
	uint32_t gen = __atomic_load_n(&e->sh->cookie_gen, __ATOMIC_ACQUIRE);

	if (p.type == HY_PKT_CONNECT) {
		struct hy_pkt_challenge ch;
		uint32_t issued_at, serial;
		size_t n;

		explicit_bzero(&priv, sizeof(priv));
		if (cookie_serial(e, gen, &issued_at, &serial) < 0)
			return drop(e, res, HY_R_NONCES_EXHAUSTED);
		if (hy_cookie_make(&e->sh->cookie_keys[gen % HY_ENGINE_COOKIE_SLOTS], issued_at,
				   serial, &ca, pub.nonce, pub.node_id, ch.cookie) < 0)
			return drop(e, res, HY_R_BAD_TYPE); /* address family */
		n = hy_pkt_challenge_encode(buf, cap, &ch);
		if (n == 0)
			return drop(e, res, HY_R_OUT_OF_SPACE);
		e->stats.challenges++;
		return reply(e, res, n);
	}

	/* RESPONSE: the cookie under the current key, then the previous one. */
	r = hy_cookie_check(&e->sh->cookie_keys[gen % HY_ENGINE_COOKIE_SLOTS],
			    HY_COOKIE_LIFETIME_S, now_s, p.cookie, HY_COOKIE_LEN, &ca, pub.nonce,
			    pub.node_id);
	if (r == HY_R_COOKIE_BAD)
		r = hy_cookie_check(&e->sh->cookie_keys[(gen + HY_ENGINE_COOKIE_SLOTS - 1) %
							 HY_ENGINE_COOKIE_SLOTS],
				    HY_COOKIE_LIFETIME_S, now_s, p.cookie, HY_COOKIE_LEN, &ca,
				    pub.nonce, pub.node_id);
	if (r != HY_R_OK) {
		if (r == HY_R_COOKIE_BAD)
			e->stats.auth_failures++;
		act = drop(e, res, r);
		goto wipe;
	}
	if (e->cfg.n_workers > 1) {
		uint16_t owner = hy_engine_owner(priv.sid, e->cfg.n_workers);
		if (owner != e->cfg.worker_id) {
			e->stats.handoffs++;
			res->action = HY_ENGINE_HANDOFF;
			res->why = HY_R_OK;
			res->reply_len = 0;
			res->owner = owner;
			act = HY_ENGINE_HANDOFF;
			goto wipe;
		}
	}
	uint32_t idx;
	struct hy_session *s = find(e, priv.sid, &idx);
	if (s != NULL)
		act = resend_accept(e, s, from, buf, cap, res);
	else if (rte_hash_lookup(e->used_h, &priv.sid) >= 0)
		act = send_deny(e, &priv, HY_CLOSE_TOKEN_REUSED, buf, cap, res);
	else if (e->n_free == 0 || e->live + e->used_count >= e->used_cap)
		act = send_deny(e, &priv, HY_CLOSE_SERVER_FULL, buf, cap, res);
	else if (node_state(e) == HY_NODE_OFFLINE)
		act = send_deny(e, &priv, HY_CLOSE_NODE_DRAINING, buf, cap, res);
	else if (e->cfg.ops->can_open != NULL && !e->cfg.ops->can_open(e->cfg.ops_arg))
		act = drop(e, res, HY_R_EVENTS_FULL); /* the cookie stays good for the resend */
	else
		act = open_session(e, from, &pub, &priv, buf, cap, res);
wipe:
	explicit_bzero(&priv, sizeof(priv));
	return act;
}

/* ---- sealed packets --------------------------------------------------- */

/* The ECHO response (or a BAD one for a malformed request) into msg;
 * returns its length, 0 if it could not be encoded. */
static size_t echo_response(struct hy_engine *e, const struct hy_session *s,
			    const struct hy_msg *m, uint8_t *msg, size_t cap)
{
	struct hy_echo_resp er = {.node_state = node_state(e)};
	uint8_t payload[HY_ECHO_RESP_V6_LEN];
	size_t plen = 0;
	uint8_t status = HY_STATUS_BAD;

	if (hy_echo_req_decode(m->payload, m->len, &er.client_time) == HY_R_OK) {
		er.addr.family = s->peer.family;
		memcpy(er.addr.addr, s->peer.addr, sizeof(er.addr.addr));
		er.addr.port = s->peer.port;
		plen = hy_echo_resp_encode(payload, sizeof(payload), &er);
		status = plen ? HY_STATUS_OK : HY_STATUS_BAD;
	}
	return hy_msg_resp_encode(msg, cap, m->ver, m->cmd, status, payload, plen);
}

/* Sends a response the engine wrote itself on the channel its command
 * came on: appended to the reply being built in w (unreliable and
 * sequenced commands; a response is never stale, so it goes as an
 * UNRELIABLE frame), or queued in the reliable channel.  Returns true if
 * it went. */
static bool answer_on(struct hy_engine *e, struct hy_session *s, enum hy_engine_delivery d,
		      const uint8_t *resp, size_t rlen, struct hy_wr *w)
{
	enum hy_reason r;

	if (rlen == 0) {
		e->stats.drops[HY_R_OUT_OF_SPACE]++;
		return false;
	}
	if (d != HY_ENGINE_RELIABLE) {
		if (hy_frame_put_unreliable(w, resp, rlen))
			return true;
		e->stats.drops[HY_R_OUT_OF_SPACE]++;
		return false;
	}
	r = hy_rudp_send(&s->rudp, resp, rlen);
	if (r != HY_R_OK)
		e->stats.drops[r]++;
	return r == HY_R_OK;
}

/* A command that arrived on any channel: ECHO is answered here, what the
 * worker's fast path takes is answered with what it says, the rest goes
 * up.  Returns false only for a reliable command the worker cannot pass up
 * yet (ops->command said -EBUSY): the reliable channel holds it.  Of a
 * session that is closing, such a command goes through ops->command_late. */
static bool command_in(struct hy_engine *e, struct hy_session *s, enum hy_engine_delivery d,
		       const uint8_t *msg, size_t len, struct hy_wr *w, bool closing)
{
	const struct hy_engine_ops *ops = e->cfg.ops;
	struct hy_engine_answer ans;
	uint8_t resp[HY_MSG_RESP_HDR + HY_ECHO_RESP_V6_LEN + HY_ENGINE_ANSWER_MAX];
	size_t rlen;
	struct hy_msg m;
	enum hy_reason r = hy_msg_cmd_decode(msg, len, &m);
	int rc;

	if (r != HY_R_OK) {
		e->stats.drops[r]++;
		return true;
	}
	if (m.ver == HY_MSG_VER_TRANSPORT && m.cmd == HY_CMD_ECHO) {
		rlen = echo_response(e, s, &m, resp, sizeof(resp));
		if (answer_on(e, s, d, resp, rlen, w))
			e->stats.echoes++;
		return true;
	}
	if (ops->local_command != NULL) {
		switch (ops->local_command(e->cfg.ops_arg, s->sid, m.ver, m.cmd, d, m.payload,
					   (uint32_t)m.len, &ans)) {
		case HY_ENGINE_LOCAL_ANSWER:
			rlen = ans.len <= HY_ENGINE_ANSWER_MAX
				? hy_msg_resp_encode(resp, sizeof(resp), m.ver, m.cmd, ans.status,
						     ans.data, ans.len)
				: 0;
			if (answer_on(e, s, d, resp, rlen, w))
				e->stats.local_commands++;
			return true;
		case HY_ENGINE_LOCAL_TAKEN:
			e->stats.local_commands++;
			return true;
		default:
			break;
		}
	}
	rc = ops->command ? ops->command(e->cfg.ops_arg, s->sid, m.ver, m.cmd, d, m.payload,
					 (uint32_t)m.len)
			  : -1;
	if (rc == -EBUSY && d == HY_ENGINE_RELIABLE) {
		if (!closing)
			return false; /* counted by the channel: commands_held */
		rc = ops->command_late ? ops->command_late(e->cfg.ops_arg, s->sid, m.ver, m.cmd,
							   m.payload, (uint32_t)m.len)
				       : -1;
	}
	e->stats.commands++;
	up_count(e, rc);
	return true;
}

struct deliver_ctx {
	struct hy_engine *e;
	struct hy_session *s;
	struct hy_wr *w;
	bool closing; /* the session ends next: nothing may be held any more */
};

/* hy_rudp deliver callback: a whole reliable message, in order, once. */
static bool reliable_deliver(void *arg, const uint8_t *msg, size_t len)
{
	struct deliver_ctx *c = arg;

	return command_in(c->e, c->s, HY_ENGINE_RELIABLE, msg, len, c->w, c->closing);
}

static uint64_t now_us(const struct hy_engine *e)
{
	return e->now_ms * 1000u;
}

/* Copies the reliability counters into the engine's. */
static void rudp_stats_sync(struct hy_engine *e)
{
	const struct hy_rudp_stats *r = &e->rudp_env.stats;
	struct hy_engine_stats *st = &e->stats;

	st->reliable_delivered = r->msgs_delivered;
	st->commands_held = r->deliveries_held;
	st->reliable_queued = r->msgs_queued;
	st->retransmits = r->retransmits;
	st->fragments_in = r->fragments_received;
	st->fragments_out = r->fragments_sent;
	st->reassembly_drops = r->reassembly_drops;
	st->window_stalls = r->window_stalls;
	st->rudp_alloc_failures = r->alloc_failures;
	st->acks_sent = r->acks_sent;
	st->rudp_pool_used = e->pool.in_use;
}

/* Closes the session if its reliable channel says so.  Returns true if
 * it did (s is then free). */
static bool rudp_verdict_close(struct hy_engine *e, struct hy_session *s, uint32_t idx)
{
	switch (hy_rudp_verdict(&s->rudp)) {
	case HY_RUDP_OK:
		return false;
	case HY_RUDP_DEAD:
		e->stats.dead_sessions++;
		close_session(e, s, idx, HY_CLOSE_RETRIES_EXHAUSTED, 1);
		return true;
	default:
		e->stats.broken_sessions++;
		close_session(e, s, idx, HY_CLOSE_PROTOCOL_ERROR, 1);
		return true;
	}
}

/* Offers the reliable commands held for the control plane's queue again:
 * when their retry time has come, or, for a session about to end
 * (closing), all of them now, since the client was told they arrived
 * (ops->command_late queues what still finds the queue full, before the
 * SESSION_CLOSED that follows). */
static void held_offer(struct hy_engine *e, struct hy_session *s, bool closing)
{
	/* reliable answers take no w */
	struct deliver_ctx dc = {.e = e, .s = s, .w = NULL, .closing = closing};
	enum hy_reason r;

	if (likely(!hy_rudp_held(&s->rudp)))
		return;
	r = closing ? hy_rudp_deliver_held(&s->rudp, now_us(e), reliable_deliver, &dc)
		    : hy_rudp_retry_delivery(&s->rudp, now_us(e), reliable_deliver, &dc);
	if (r != HY_R_OK)
		e->stats.drops[r]++;
	rudp_stats_sync(e);
}

/* Sends whatever the reliable channel has to send now (pending ACK, due
 * retransmissions, new units, replies to held commands taken now), one
 * DATA packet per hy_rudp_poll_tx() round, through ops->tx; then applies
 * the verdict or re-arms the timer.  Returns the packets sent; *closed
 * tells whether the session ended. */
static unsigned rudp_flush(struct hy_engine *e, struct hy_session *s, uint32_t idx,
			   bool *closed)
{
	unsigned sent = 0;
	struct hy_wr w;

	held_offer(e, s, false);
	for (;;) {
		hy_wr_init(&w, e->pt, sizeof(e->pt));
		if (hy_rudp_poll_tx(&s->rudp, now_us(e), &w, HY_MAX_FRAMES_PER_PACKET) == 0)
			break;
		/* a refused packet is a lost one: the timers resend */
		if (send_sealed(e, s, HY_PKT_DATA, e->pt, w.off) == 0)
			sent++;
	}
	*closed = rudp_verdict_close(e, s, idx);
	if (!*closed)
		timer_arm(e, s, idx);
	return sent;
}

/* After a packet that carried what the channel had room for: the rest
 * (more than one packet's worth queued) goes now, else the verdict is
 * applied and the timer re-armed.  Returns the extra packets sent. */
static unsigned rudp_after(struct hy_engine *e, struct hy_session *s, uint32_t idx, bool *closed)
{
	if (hy_rudp_next_deadline(&s->rudp) == 0)
		return rudp_flush(e, s, idx, closed);
	*closed = rudp_verdict_close(e, s, idx);
	if (!*closed)
		timer_arm(e, s, idx);
	return 0;
}

/* Runs the wheel's slots up to now: each session whose deadline has come
 * is flushed (ACK-only packets, retransmissions) and re-armed; one parked
 * beyond the horizon is filed again.  At most WHEEL_SLOTS slots per call,
 * so a long gap between ticks costs one turn of the wheel. */
static unsigned timers_run(struct hy_engine *e)
{
	uint64_t t = e->wheel_ms;
	unsigned sent = 0;

	if (e->stats.timers_armed == 0) {
		e->wheel_ms = e->now_ms + 1;
		return 0;
	}
	if (e->now_ms >= WHEEL_SLOTS && t < e->now_ms - (WHEEL_SLOTS - 1u))
		t = e->now_ms - (WHEEL_SLOTS - 1u);
	for (; t <= e->now_ms; t++) {
		uint32_t slot = (uint32_t)(t & WHEEL_MASK);
		uint32_t idx;

		e->wheel_ms = t;
		while ((idx = e->wheel[slot]) != T_NONE) {
			struct hy_session *s = &e->tab[idx];
			uint64_t due = s->t_due;
			bool closed;

			timer_disarm(e, s);
			if (due > e->now_ms) {
				timer_file(e, s, idx, due);
				continue;
			}
			unsigned n = rudp_flush(e, s, idx, &closed);
			e->stats.timer_packets += n;
			sent += n;
		}
	}
	e->wheel_ms = e->now_ms + 1;
	return sent;
}

/* Newest wins per stream: false for a message not newer than the last
 * one delivered on its stream. */
static bool sequenced_fresh(struct hy_session *s, uint8_t stream, uint32_t seq)
{
	uint8_t bit = (uint8_t)(1u << stream);

	if ((s->seq_seen & bit) && (int32_t)(seq - s->seq_newest[stream]) <= 0)
		return false;
	s->seq_seen |= bit;
	s->seq_newest[stream] = seq;
	return true;
}

static enum hy_engine_action data_frames(struct hy_engine *e, struct hy_session *s, uint32_t idx,
					 uint8_t *buf, size_t pt_len, uint16_t cap,
					 struct hy_engine_result *res)
{
	const uint8_t *pt = buf + HY_DATA_HEADER_LEN;
	enum hy_reason r;
	struct hy_frame f;
	struct hy_rd rd;
	struct hy_wr w;
	struct deliver_ctx dc = {.e = e, .s = s, .w = &w};
	bool rudp_touched = false, closed;
	unsigned frames = 0; /* written into the reply */

	/* Nothing acts unless every frame is well formed.  A packet of one
	 * frame (the usual case) is checked by parsing that frame; one of
	 * several is checked whole first, then parsed again as it is acted on. */
	hy_rd_init(&rd, pt, pt_len);
	r = hy_frame_next(&rd, &f);
	if (r == HY_R_OK && hy_rd_left(&rd) != 0) {
		r = hy_frames_validate(pt, pt_len);
		hy_rd_init(&rd, pt, pt_len);
		if (r == HY_R_OK)
			r = hy_frame_next(&rd, &f);
	}
	if (r != HY_R_OK)
		return drop(e, res, r);
	hy_wr_init(&w, e->pt, sizeof(e->pt));
	do {
		enum hy_engine_delivery d;

		switch (f.type) {
		case HY_FRAME_ACK:
		case HY_FRAME_PING: /* our keep-alive is time-based; PING asks for an ACK */
		case HY_FRAME_RELIABLE:
		case HY_FRAME_FRAGMENT:
			/* Decrypted, in place: reliable messages come out of the
			 * deliver callback whole, in order, once. */
			rudp_touched = true;
			r = hy_rudp_on_frame(&s->rudp, &f, now_us(e), reliable_deliver, &dc);
			if (r != HY_R_OK)
				e->stats.drops[r]++;
			continue;
		case HY_FRAME_SEQUENCED:
			if (f.stream >= SEQ_STREAMS) {
				e->stats.drops[HY_R_BAD_CHANNEL]++;
				continue;
			}
			if (!sequenced_fresh(s, f.stream, f.seq)) {
				e->stats.drops[HY_R_TOO_OLD]++;
				continue;
			}
			d = HY_ENGINE_SEQUENCED;
			break;
		case HY_FRAME_UNRELIABLE:
			d = HY_ENGINE_UNRELIABLE;
			break;
		default:
			e->stats.drops[HY_R_BAD_TYPE]++;
			continue;
		}
		size_t before = w.off;
		command_in(e, s, d, f.data, f.len, &w, false);
		frames += w.off != before;
	} while (hy_rd_left(&rd) && hy_frame_next(&rd, &f) == HY_R_OK);
	/* The reply carries the ACK and queued reliable data whenever it goes
	 * anyway, or when either cannot wait for the timer. */
	if (w.off != 0 || hy_rudp_ack_due(&s->rudp, now_us(e)) ||
	    hy_rudp_next_deadline(&s->rudp) == 0) {
		if (frames < HY_MAX_FRAMES_PER_PACKET)
			hy_rudp_poll_tx(&s->rudp, now_us(e), &w, HY_MAX_FRAMES_PER_PACKET - frames);
		rudp_touched = true;
	}
	if (rudp_verdict_close(e, s, idx)) {
		rudp_stats_sync(e);
		return consumed(res);
	}
	if (w.off == 0) {
		if (rudp_touched)
			timer_arm(e, s, idx);
		rudp_stats_sync(e);
		return consumed(res);
	}
	/* The request's plaintext is no longer needed: seal over it. */
	size_t n = seal_for(e, s, HY_PKT_DATA, e->pt, w.off, buf, cap);
	/* More than one packet's worth queued: the rest through ops->tx (e->pt
	 * is free again once the reply is sealed). */
	rudp_after(e, s, idx, &closed);
	rudp_stats_sync(e);
	if (closed)
		return consumed(res);
	if (n == 0)
		return drop(e, res, HY_R_OUT_OF_SPACE);
	return reply(e, res, n);
}

static enum hy_engine_action sealed(struct hy_engine *e, const struct hy_peer *from,
				    uint8_t *buf, uint16_t len, uint16_t cap, uint32_t hint,
				    struct hy_engine_result *res)
{
	struct hy_pkt_header h;
	const struct hy_aead_ctx *key;
	struct hy_session *s;
	uint32_t idx;
	size_t pt_len;
	bool replayed;
	enum hy_reason r = hy_pkt_header_decode(buf, len, &h);

	if (r != HY_R_OK)
		return drop(e, res, r);
	if (e->cfg.n_workers > 1) {
		uint16_t owner = hy_engine_owner(h.sid, e->cfg.n_workers);
		if (owner != e->cfg.worker_id) {
			e->stats.handoffs++;
			res->action = HY_ENGINE_HANDOFF;
			res->why = HY_R_OK;
			res->reply_len = 0;
			res->owner = owner;
			return HY_ENGINE_HANDOFF;
		}
	}
	s = find_hinted(e, h.sid, hint, &idx);
	if (s == NULL)
		return drop(e, res, HY_R_UNKNOWN_SESSION);
	r = hy_replay_check(&s->replay, h.pn);
	/* A bench session takes replays (a replayed capture repeats its
	 * packet numbers); the tag is still checked below. */
	replayed = r != HY_R_OK;
	if (replayed && !s->bench) {
		e->stats.replays++;
		return drop(e, res, r);
	}
	key = session_key(e, s, KEY_RX);
	r = key ? hy_pkt_open_body(key, &h, buf, len, &pt_len) : HY_R_AUTH_FAILED;
	if (r != HY_R_OK) {
		if (r == HY_R_AUTH_FAILED)
			e->stats.auth_failures++;
		return drop(e, res, r);
	}
	/* Authenticated from here on. */
	if (!replayed)
		hy_replay_mark(&s->replay, h.pn);
	else
		e->stats.bench_replays_accepted++;
	s->last_rx_ms = e->now_ms;
	s->rx_packets++;
	s->state = SESS_ESTABLISHED;
	if (!same_peer(from, &s->peer)) {
		/* NAT rebinding (or a new return path): follow the client. */
		if (!same_address(from, &s->peer))
			e->stats.rebinds++;
		s->peer = *from;
	}
	if (h.type == HY_PKT_DISCONNECT) {
		enum hy_close_reason why;
		if (hy_close_decode(buf + HY_DATA_HEADER_LEN, pt_len, &why) != HY_R_OK)
			why = HY_CLOSE_PROTOCOL_ERROR;
		close_session(e, s, idx, why, 0);
		return consumed(res);
	}
	return data_frames(e, s, idx, buf, pt_len, cap, res);
}

/* ---- public entry points ---------------------------------------------- */

static void clock_advance(struct hy_engine *e, uint64_t now_ms)
{
	if (now_ms > e->now_ms)
		e->now_ms = now_ms;
	if (e->wheel_ms == 0)
		e->wheel_ms = e->now_ms; /* the wheel starts at the first time seen */
}

unsigned hy_engine_prefetch_burst(struct hy_engine *e, const uint8_t *const *bufs,
				  const uint16_t *lens, unsigned n, uint32_t *hints, uint64_t *sids_out)
{
	const void *keys[LOOKUP_CHUNK];
	uint64_t sids[LOOKUP_CHUNK];
	void *data[LOOKUP_CHUNK];
	unsigned at[LOOKUP_CHUNK]; /* the datagram of sids[j] */
	uint32_t absent = HINT_ABSENT | (uint32_t)(e->session_adds & HINT_ADDS_MASK);
	const uint8_t data_prefix = hy_pkt_prefix(HY_PKT_DATA);
	const uint8_t disconnect_prefix = hy_pkt_prefix(HY_PKT_DISCONNECT);
	unsigned i = 0, j, m, looked = 0;
	uint64_t hits;

	while (i < n) {
		/* the next chunk's sealed packets of our sessions (the first
		 * byte turns most garbage away before the header is read) */
		for (m = 0; i < n && m < LOOKUP_CHUNK; i++) {
			struct hy_pkt_header h;

			hints[i] = HY_ENGINE_NO_HINT;
			if (sids_out != NULL)
				sids_out[i] = 0;
			if (lens[i] == 0 ||
			    (bufs[i][0] != data_prefix && bufs[i][0] != disconnect_prefix) ||
			    hy_pkt_header_decode(bufs[i], lens[i], &h) != HY_R_OK ||
			    (e->cfg.n_workers > 1 &&
			     hy_engine_owner(h.sid, e->cfg.n_workers) != e->cfg.worker_id))
				continue;
			sids[m] = h.sid;
			keys[m] = &sids[m];
			at[m++] = i;
			if (sids_out != NULL)
				sids_out[i] = h.sid;
		}
		looked += m;
		if (m == 0 || rte_hash_lookup_bulk_data(e->sessions_h, keys, m, &hits, data) < 0)
			continue;
		for (j = 0; j < m; j++) {
			if (hits & (1ull << j)) {
				hints[at[j]] = (uint32_t)(uintptr_t)data[j];
				prefetch_session(e, hints[at[j]], KEY_RX);
			} else {
				hints[at[j]] = absent;
			}
		}
	}
	return looked;
}

/* The first check of every datagram: its size, then its first byte and
 * the size its type allows. */
static enum hy_reason first_check(const uint8_t *buf, uint16_t len, enum hy_pkt_type *type)
{
	return len > HY_MAX_DATAGRAM ? HY_R_OVERSIZED : hy_pkt_classify(buf, len, type);
}

bool hy_engine_admit(struct hy_engine *e, const uint8_t *buf, uint16_t len)
{
	enum hy_pkt_type type;
	enum hy_reason r = first_check(buf, len, &type);

	if (likely(r == HY_R_OK))
		return true;
	e->stats.rx++;
	e->stats.drops[r]++;
	return false;
}

enum hy_engine_action hy_engine_input(struct hy_engine *e, const struct hy_peer *from,
				      uint8_t *buf, uint16_t len, uint16_t cap, uint64_t now_ms,
				      struct hy_engine_result *res)
{
	return hy_engine_input_hinted(e, from, buf, len, cap, now_ms, HY_ENGINE_NO_HINT, res);
}

enum hy_engine_action hy_engine_input_hinted(struct hy_engine *e, const struct hy_peer *from,
					     uint8_t *buf, uint16_t len, uint16_t cap,
					     uint64_t now_ms, uint32_t hint,
					     struct hy_engine_result *res)
{
	enum hy_pkt_type type;
	enum hy_reason r;

	res->owner = 0;
	clock_advance(e, now_ms);
	e->stats.rx++;
	r = first_check(buf, len, &type);
	if (r != HY_R_OK)
		return drop(e, res, r);
	switch (type) {
	case HY_PKT_CONNECT:
	case HY_PKT_RESPONSE:
		return handshake(e, from, buf, len, cap, res);
	case HY_PKT_DISCONNECT:
	case HY_PKT_DATA:
		return sealed(e, from, buf, len, cap, hint, res);
	default:
		/* CHALLENGE, ACCEPT and DENY only travel towards clients. */
		return drop(e, res, HY_R_BAD_TYPE);
	}
}

unsigned hy_engine_tick(struct hy_engine *e, uint64_t now_ms)
{
	unsigned sent = 0;
	uint32_t n;

	clock_advance(e, now_ms);
	sent += timers_run(e);
	n = RTE_MIN(e->cfg.tick_budget, e->high_water);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t idx = e->scan_pos;
		struct hy_session *s = &e->tab[idx];

		e->scan_pos = idx + 1 < e->high_water ? idx + 1 : 0;
		if (s->state == SESS_FREE)
			continue;
		if (e->cfg.idle_timeout_ms && e->now_ms - s->last_rx_ms >= e->cfg.idle_timeout_ms) {
			/* a bench session waits for its replay, however long */
			if (s->bench)
				continue;
			e->stats.idle_timeouts++;
			close_session(e, s, idx, HY_CLOSE_IDLE_TIMEOUT, 1);
			sent++;
		} else if (e->cfg.keepalive_ms &&
			   e->now_ms - s->last_tx_ms >= e->cfg.keepalive_ms) {
			struct hy_wr w;
			bool closed;

			/* a replaying generator has no use for PINGs, and they
			 * would skew its count of answers */
			if (s->bench)
				continue;
			/* a pending ACK (and anything due) rides along */
			hy_wr_init(&w, e->pt, sizeof(e->pt));
			hy_frame_put_ping(&w);
			hy_rudp_poll_tx(&s->rudp, now_us(e), &w, HY_MAX_FRAMES_PER_PACKET - 1u);
			if (send_sealed(e, s, HY_PKT_DATA, e->pt, w.off) == 0) {
				e->stats.keepalives++;
				sent++;
			}
			sent += rudp_after(e, s, idx, &closed);
		}
	}
	used_expire(e, RTE_MAX(e->cfg.tick_budget / 4u, 1u));
	rudp_stats_sync(e);
	return sent;
}

/* Checks one outgoing message and encodes it into e->msg.  Returns OK with
 * *mlen set, or why it cannot go (nothing sent). */
static enum hy_reason out_encode(struct hy_engine *e, const struct hy_engine_out *m,
				 size_t *mlen)
{
	if (m->status != HY_STATUS_OK && m->status != HY_STATUS_BAD &&
	    m->status != HY_STATUS_ERR && m->status != HY_STATUS_PUSH)
		return HY_R_BAD_MESSAGE_KIND;
	if (m->delivery != HY_ENGINE_UNRELIABLE && m->delivery != HY_ENGINE_SEQUENCED &&
	    m->delivery != HY_ENGINE_RELIABLE)
		return HY_R_BAD_CHANNEL;
	if ((uint64_t)m->len + HY_MSG_RESP_HDR > e->cfg.max_message)
		return HY_R_MESSAGE_TOO_LARGE;
	*mlen = hy_msg_resp_encode(e->msg, sizeof(e->msg), m->ver, m->cmd, m->status,
				   m->payload, m->len);
	if (*mlen == 0)
		return HY_R_MESSAGE_TOO_LARGE;
	if (m->delivery != HY_ENGINE_RELIABLE &&
	    *mlen > (m->delivery == HY_ENGINE_SEQUENCED ? HY_FRAME_MAX_SEQUENCED
							 : HY_FRAME_MAX_UNRELIABLE))
		return HY_R_MESSAGE_TOO_LARGE;
	return HY_R_OK;
}

/* Appends one unreliable or sequenced message (in e->msg) to w. */
static bool put_datagram_frame(struct hy_session *s, const struct hy_engine_out *m,
			       size_t mlen, const uint8_t *msg, struct hy_wr *w)
{
	if (m->delivery == HY_ENGINE_SEQUENCED)
		return hy_frame_put_sequenced(w, 0, s->tx_seq, msg, mlen);
	return hy_frame_put_unreliable(w, msg, mlen);
}

/* hy_engine_send_batch() once the session is found. */
static unsigned send_batch_to(struct hy_engine *e, struct hy_session *s, uint32_t idx,
			      const struct hy_engine_out *m, unsigned n, enum hy_reason *why)
{
	struct hy_wr w;
	enum hy_reason r, first = HY_R_OK;
	unsigned i, sent = 0, frames = 0;
	size_t mlen;
	bool closed = false, reliable = false;

	hy_wr_init(&w, e->pt, sizeof(e->pt));
	for (i = 0; i < n; i++) {
		r = out_encode(e, &m[i], &mlen);
		if (r == HY_R_OK && m[i].delivery == HY_ENGINE_RELIABLE) {
			r = hy_rudp_send(&s->rudp, e->msg, mlen);
			if (r == HY_R_WINDOW_FULL) {
				/* Past the send byte cap, window and backlog: the
				 * client does not keep up.  Dropping the message
				 * would break the reliable promise and keeping it
				 * would let one client hold the pool: it goes. */
				e->stats.drops[r]++;
				e->stats.slow_consumers++;
				close_session(e, s, idx, HY_CLOSE_SLOW_CONSUMER, 3);
				rudp_stats_sync(e);
				*why = r;
				return sent;
			}
			if (r != HY_R_OK)
				e->stats.drops[r]++;
			reliable |= r == HY_R_OK;
		} else if (r == HY_R_OK) {
			/* several messages to one datagram; a full one goes now */
			if (frames == HY_MAX_FRAMES_PER_PACKET ||
			    !put_datagram_frame(s, &m[i], mlen, e->msg, &w)) {
				if (send_sealed(e, s, HY_PKT_DATA, e->pt, w.off) != 0 &&
				    first == HY_R_OK)
					first = HY_R_OUT_OF_SPACE;
				hy_wr_init(&w, e->pt, sizeof(e->pt));
				frames = 0;
				if (!put_datagram_frame(s, &m[i], mlen, e->msg, &w))
					r = HY_R_MESSAGE_TOO_LARGE;
			}
			if (r == HY_R_OK) {
				frames++;
				if (m[i].delivery == HY_ENGINE_SEQUENCED)
					s->tx_seq++;
			}
		}
		if (r == HY_R_OK)
			sent++;
		else if (first == HY_R_OK)
			first = r;
	}
	if (w.off != 0) {
		/* a pending ACK (and anything else the channel has ready) rides along */
		if (frames < HY_MAX_FRAMES_PER_PACKET)
			hy_rudp_poll_tx(&s->rudp, now_us(e), &w, HY_MAX_FRAMES_PER_PACKET - frames);
		if (send_sealed(e, s, HY_PKT_DATA, e->pt, w.off) != 0 && first == HY_R_OK) {
			first = HY_R_OUT_OF_SPACE;
			sent--; /* the last packet's messages count as one refusal */
		}
		rudp_after(e, s, idx, &closed);
	} else if (reliable) {
		rudp_flush(e, s, idx, &closed);
	}
	rudp_stats_sync(e);
	if (closed && first == HY_R_OK)
		first = HY_R_RETRIES_EXHAUSTED;
	*why = first;
	return sent;
}

unsigned hy_engine_send_batch(struct hy_engine *e, uint64_t sid, const struct hy_engine_out *m,
			      unsigned n, enum hy_reason *why)
{
	uint32_t idx;
	struct hy_session *s = find(e, sid, &idx);

	if (s == NULL) {
		*why = HY_R_UNKNOWN_SESSION;
		return 0;
	}
	return send_batch_to(e, s, idx, m, n, why);
}

/* The plaintext of one DATA packet carrying the unreliable message m and
 * nothing else, into e->fan: the same for every recipient whose reliable
 * channel has nothing to ride along.  Returns its length, or 0 when m is
 * not such a message (or cannot go: the per-recipient path says why). */
static size_t fan_encode(struct hy_engine *e, const struct hy_engine_out *m)
{
	struct hy_wr w;
	size_t mlen;

	if (m->delivery != HY_ENGINE_UNRELIABLE || out_encode(e, m, &mlen) != HY_R_OK)
		return 0;
	hy_wr_init(&w, e->fan, sizeof(e->fan));
	return hy_frame_put_unreliable(&w, e->msg, mlen) ? w.off : 0;
}

/* One recipient of hy_engine_send_many(): the packet framed once (flen
 * bytes of e->fan) sealed straight away when the session's reliable
 * channel is idle, else the general path, which lets an owed ACK or
 * queued reliable data ride along. */
static unsigned send_one(struct hy_engine *e, struct hy_session *s, uint32_t idx,
			 const struct hy_engine_out *m, size_t flen, enum hy_reason *why)
{
	if (flen == 0 || !hy_rudp_idle(&s->rudp))
		return send_batch_to(e, s, idx, m, 1, why);
	if (send_sealed(e, s, HY_PKT_DATA, e->fan, flen) != 0) {
		*why = HY_R_OUT_OF_SPACE;
		return 0;
	}
	*why = HY_R_OK;
	return 1;
}

/* hy_engine_send_many() (every sids[i] gets *one) and hy_engine_send_each()
 * (sids[i] gets *each[i]): where a caller's hint names the sid's entry the
 * lookup is spared, the others are looked up in bulk, 32 at a time; each
 * found entry and send key prefetched before any is sealed; a message
 * framed once for as many consecutive recipients as get it. */
static unsigned send_bulk(struct hy_engine *e, const uint64_t *sids, uint32_t *const *hints,
			  unsigned n, const struct hy_engine_out *one,
			  const struct hy_engine_out *const *each, enum hy_reason *why)
{
	const void *keys[LOOKUP_CHUNK];
	void *data[LOOKUP_CHUNK];
	uint32_t idxs[LOOKUP_CHUNK];
	uint8_t at[LOOKUP_CHUNK];
	const struct hy_engine_out *m, *framed = NULL;
	enum hy_reason r, first = HY_R_OK;
	unsigned done, i, j, k, nk, ok = 0;
	size_t flen = 0;
	uint64_t hits, found;
	uint32_t idx = 0, h;

	for (done = 0; done < n; done += k) {
		k = RTE_MIN(n - done, LOOKUP_CHUNK);
		/* hinted entries first: their lines on the way while the
		 * others' buckets are searched */
		for (i = 0; hints != NULL && i < k; i++)
			if (*hints[done + i] < e->cfg.max_sessions)
				rte_prefetch0(&e->tab[*hints[done + i]]);
		hits = 0;
		for (i = nk = 0; i < k; i++) {
			h = hints != NULL ? *hints[done + i] : HY_ENGINE_NO_HINT;
			if (hint_holds(e, sids[done + i], h)) {
				hits |= 1ull << i;
				idxs[i] = h;
				continue;
			}
			keys[nk] = &sids[done + i];
			at[nk++] = (uint8_t)i;
		}
		found = 0;
		if (nk == 1) { /* a bulk lookup of one costs more than a lookup */
			found = find(e, sids[done + at[0]], &idx) != NULL;
			data[0] = (void *)(uintptr_t)idx;
		} else if (nk > 1 &&
			   rte_hash_lookup_bulk_data(e->sessions_h, keys, nk, &found, data) < 0) {
			found = 0;
		}
		for (j = 0; j < nk; j++) {
			i = at[j];
			idxs[i] = (found & (1ull << j)) ? (uint32_t)(uintptr_t)data[j]
							: HY_ENGINE_NO_HINT;
			if (found & (1ull << j))
				hits |= 1ull << i;
			if (hints != NULL)
				*hints[done + i] = idxs[i];
		}
		for (i = 0; i < k; i++)
			if (hits & (1ull << i))
				prefetch_session(e, idxs[i], KEY_TX);
		for (i = 0; i < k; i++) {
			m = one != NULL ? one : each[done + i];
			if (m != framed) {
				flen = fan_encode(e, m);
				framed = m;
			}
			if (!(hits & (1ull << i))) {
				r = HY_R_UNKNOWN_SESSION;
			} else {
				idx = idxs[i];
				ok += send_one(e, &e->tab[idx], idx, m, flen, &r);
			}
			if (r != HY_R_OK && first == HY_R_OK)
				first = r;
		}
	}
	*why = first;
	return ok;
}

unsigned hy_engine_send_many(struct hy_engine *e, const uint64_t *sids, uint32_t *const *hints,
			     unsigned n, const struct hy_engine_out *m, enum hy_reason *why)
{
	return send_bulk(e, sids, hints, n, m, NULL, why);
}

unsigned hy_engine_send_each(struct hy_engine *e, const uint64_t *sids, uint32_t *const *hints,
			     const struct hy_engine_out *const *m, unsigned n, enum hy_reason *why)
{
	return send_bulk(e, sids, hints, n, NULL, m, why);
}

enum hy_reason hy_engine_send(struct hy_engine *e, uint64_t sid, uint8_t ver, uint16_t cmd,
			      uint8_t status, enum hy_engine_delivery delivery,
			      const void *payload, uint32_t len)
{
	struct hy_engine_out m = {.ver = ver, .cmd = cmd, .status = status, .delivery = delivery,
				  .payload = payload, .len = len};
	enum hy_reason why;

	hy_engine_send_batch(e, sid, &m, 1, &why);
	return why;
}

enum hy_reason hy_engine_kick(struct hy_engine *e, uint64_t sid, enum hy_close_reason reason)
{
	struct hy_session *s;
	uint32_t idx;

	s = find(e, sid, &idx);
	if (s == NULL)
		return HY_R_UNKNOWN_SESSION;
	close_session(e, s, idx, reason, KICK_COPIES);
	return HY_R_OK;
}

uint32_t hy_engine_close_all(struct hy_engine *e, enum hy_close_reason reason)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < e->high_water; i++) {
		if (e->tab[i].state == SESS_FREE)
			continue;
		close_session(e, &e->tab[i], i, reason, KICK_COPIES);
		n++;
	}
	return n;
}

uint32_t hy_engine_sessions(const struct hy_engine *e)
{
	return e->live;
}

uint32_t hy_engine_foreach_session(const struct hy_engine *e,
				   int (*cb)(void *arg, const struct hy_engine_session_info *s),
				   void *arg)
{
	struct hy_engine_session_info info;
	uint32_t n = 0;

	for (uint32_t i = 0; i < e->high_water; i++) {
		if (e->tab[i].state == SESS_FREE)
			continue;
		session_info(&e->tab[i], &info);
		n++;
		if (cb(arg, &info) != 0)
			break;
	}
	return n;
}

enum hy_reason hy_engine_session_get(const struct hy_engine *e, uint64_t sid,
				     struct hy_engine_session_info *out)
{
	const struct hy_session *s;
	uint32_t idx;

	s = find(e, sid, &idx);
	if (s == NULL)
		return HY_R_UNKNOWN_SESSION;
	session_info(s, out);
	return HY_R_OK;
}

const struct hy_engine_stats *hy_engine_stats(const struct hy_engine *e)
{
	return &e->stats;
}

/* ---- bench mode (engine.h) -------------------------------------------- */

enum hy_reason hy_engine_bench_add(struct hy_engine *e, const struct hy_engine_bench_session *b,
				   uint64_t now_ms)
{
	struct hy_session *s;
	uint32_t idx;

	if (b->sid == 0)
		return HY_R_ZERO_SESSION;
	if (b->uid_len == 0 || b->uid_len > HY_UID_MAX || memchr(b->uid, 0, b->uid_len) != NULL)
		return HY_R_TOKEN_BAD_UID;
	if (e->cfg.n_workers > 1 && hy_engine_owner(b->sid, e->cfg.n_workers) != e->cfg.worker_id)
		return HY_R_UNKNOWN_SESSION;
	clock_advance(e, now_ms);
	if (find(e, b->sid, &idx) != NULL || rte_hash_lookup(e->used_h, &b->sid) >= 0)
		return HY_R_TOKEN_REUSED;
	/* the same admission rule as a handshake's */
	if (e->n_free == 0 || e->live + e->used_count >= e->used_cap)
		return HY_R_OUT_OF_SPACE;
	idx = e->free_stack[--e->n_free];
	s = &e->tab[idx];
	if (rte_hash_add_key_data(e->sessions_h, &b->sid, (void *)(uintptr_t)idx) < 0) {
		e->n_free++;
		return HY_R_OUT_OF_SPACE;
	}
	e->session_adds++;
	memset(s, 0, sizeof(*s));
	if (session_keys_set(e, s, b->c2s_key, b->s2c_key) < 0) {
		rte_hash_del_key(e->sessions_h, &b->sid);
		e->n_free++;
		return HY_R_AUTH_FAILED;
	}
	if (idx >= e->high_water)
		e->high_water = idx + 1;
	s->sid = b->sid;
	/* established: no ACCEPT to resend, and a RESPONSE for it is refused */
	s->state = SESS_ESTABLISHED;
	s->bench = 1;
	s->transport = HY_TRANSPORT_UDP;
	s->uid_len = b->uid_len;
	memcpy(s->uid, b->uid, b->uid_len);
	s->created_ms = e->now_ms;
	s->last_rx_ms = e->now_ms;
	s->last_tx_ms = e->now_ms;
	/* peer: family 0 until the first packet authenticates; expire_at 0:
	 * nothing to remember at close */
	hy_replay_init(&s->replay);
	hy_rudp_init(&s->rudp, &e->rudp_env);
	s->t_next = s->t_prev = T_NONE;
	e->live++;
	e->stats.sessions = e->live;
	e->stats.opened++;
	return HY_R_OK;
}
