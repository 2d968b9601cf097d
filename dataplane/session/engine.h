/* SPDX-License-Identifier: BSD-3-Clause
 * Per-lcore session engine: everything between "a UDP payload arrived from
 * address A" and "send these bytes to address B".
 *
 * One engine per worker lcore, share-nothing: an engine is used only by the
 * lcore that created it (no locks inside).  What the workers share is the
 * node-wide struct hy_engine_shared (cluster keys, cookie keys, node
 * state), written only by the main lcore through the functions below.
 *
 * Sessions are owned by session id, not by 5-tuple: hy_engine_owner(sid)
 * names the worker that holds a session, so a client whose NAT rebinds
 * keeps its session.  RSS spreads packets by 5-tuple, so an engine returns
 * HY_ENGINE_HANDOFF for a packet that belongs to another worker; the worker
 * forwards the datagram (and its struct hy_peer) there, and the owner calls
 * hy_engine_input() with it again.  The control plane's messages for a
 * session must likewise go to the owner's engine.
 *
 * Time: every call takes or reuses now_ms, unix time in milliseconds that
 * never goes backwards on one lcore (the worker derives it from the TSC
 * and a wall-clock base taken at start).  Token expiry and cookie times
 * use now_ms / 1000.
 *
 * Reliable-ordered delivery (both directions) is shared/rudp, one struct
 * hy_rudp per session and one env and fixed pool per engine; a timer wheel
 * with 1 ms slots, keyed by hy_rudp_next_deadline(), drives retransmits and
 * delayed ACKs from hy_engine_tick() without scanning the table.
 */
#ifndef HY_DATAPLANE_SESSION_ENGINE_H
#define HY_DATAPLANE_SESSION_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/reason.h"
#include "crypto/aead.h"
#include "proto/limits.h"
#include "proto/packet.h"
#include "proto/seal.h"

#define HY_ENGINE_MAX_WORKERS 256u         /* the worker id takes 8 bits of a cookie serial */
#define HY_ENGINE_MAX_SESSIONS (1u << 24)  /* per worker */
/* Default key cache: 64 Ki sessions, about 140 MiB per worker. */
#define HY_ENGINE_KEY_CACHE_DEFAULT (1u << 16)
#define HY_ENGINE_KEY_IDS 256u             /* cluster keys, by token key_id */
#define HY_ENGINE_COOKIE_SLOTS 3u          /* current, previous, next being written */
/* Smallest interval between two cookie-key rotations: the previous key must
 * stay valid for a whole cookie lifetime, and the slot being overwritten
 * must be two generations old. */
#define HY_ENGINE_COOKIE_ROTATE_MIN_MS 11000u /* HY_COOKIE_LIFETIME_S + 1 s */
#define HY_PEER_L2_LEN 16u

/* A client's transport address as the node saw it, plus an area the engine
 * never reads and copies along with the address (the worker's return path:
 * MAC to send to, port, VLAN...). */
struct hy_peer {
	uint8_t family;   /* 4 or 6 */
	uint8_t reserved; /* zero */
	uint16_t port;    /* UDP source port, host order */
	uint8_t addr[16]; /* IPv4 in addr[0..3] (network order), rest zero */
	uint8_t l2[HY_PEER_L2_LEN];
};

/*
 * Node-wide state every engine reads and only the main lcore writes.
 * Allocate it 64-byte aligned (static, rte_zmalloc or aligned_alloc) and
 * keep it alive until every engine using it is destroyed.
 *
 * Cookie keys: three slots and a generation number.  The current key is
 * slot gen % 3, the previous one slot (gen + 2) % 3.  Rotation writes the
 * new key into slot (gen + 1) % 3, which no engine reads (it is two
 * generations old), then publishes gen + 1 with a release store.  Engines
 * load gen once per datagram, so a rotation never changes a key under a
 * reader as long as rotations are HY_ENGINE_COOKIE_ROTATE_MIN_MS apart
 * (enforced).  Cookie serials are (worker id << 24 | counter), and the
 * counter restarts every second (the GCM nonce is issued_at | serial), so
 * a serial never repeats under one key; rotation is key hygiene only.
 */
struct hy_engine_shared {
	struct hy_aead_ctx cookie_keys[HY_ENGINE_COOKIE_SLOTS];
	/* Cluster keys by key_id; NULL: unknown id.  Publish with
	 * hy_engine_shared_set_cluster_key(); a removed key's context must stay
	 * readable until every worker has finished its current burst. */
	const struct hy_aead_ctx *cluster_keys[HY_ENGINE_KEY_IDS];
	uint32_t cookie_gen;        /* atomic */
	uint8_t node_state;         /* atomic; enum hy_node_state */
	uint64_t cookie_rotated_ms; /* main lcore only */
};

/* Fills every cookie slot with a random key for backend b, gen 0, node
 * state ONLINE, no cluster keys.  Returns 0, or -1 if the backend or the
 * random source failed (sh is then wiped). */
int hy_engine_shared_init(struct hy_engine_shared *sh, enum hy_aead_backend b, uint64_t now_ms);
/* Installs a fresh random cookie key as the current one; the old current
 * key becomes the previous one.  Returns 0, or -1 if the last rotation was
 * less than HY_ENGINE_COOKIE_ROTATE_MIN_MS ago or the key setup failed
 * (nothing changed). */
int hy_engine_shared_rotate_cookie_key(struct hy_engine_shared *sh, enum hy_aead_backend b,
				       uint64_t now_ms);
/* Publishes key (already expanded; NULL removes) under key_id. */
void hy_engine_shared_set_cluster_key(struct hy_engine_shared *sh, uint8_t key_id,
				      const struct hy_aead_ctx *key);
/* ONLINE or OFFLINE (draining: RESPONSE gets DENY NODE_DRAINING, ECHO and
 * ACCEPT report OFFLINE).  Takes effect at each engine's next datagram. */
void hy_engine_shared_set_state(struct hy_engine_shared *sh, enum hy_node_state state);
/* Zeroes the cookie keys (cluster keys belong to the caller). */
void hy_engine_shared_wipe(struct hy_engine_shared *sh);

/* Channel a command arrived on; same numbers as enum hy_delivery in
 * ring/msg.h, so the value can be passed up as is. */
enum hy_engine_delivery {
	HY_ENGINE_UNRELIABLE = 0,
	HY_ENGINE_SEQUENCED = 1,
	HY_ENGINE_RELIABLE = 2,
};

/* A session as reported to the control plane (opened events, resync). */
struct hy_engine_session_info {
	uint64_t sid;
	uint64_t created_ms;
	uint64_t last_rx_ms; /* last packet that authenticated */
	uint64_t rx_packets; /* authenticated packets received */
	uint64_t tx_packets; /* packets sealed for this session */
	struct hy_peer peer;
	uint32_t reliable_held; /* reliable message bytes queued or unacked (window and backlog) */
	uint8_t transport;   /* 1 UDP, 2 TCP (from the token) */
	uint8_t uid_len;
	char uid[HY_UID_MAX + 1]; /* NUL-terminated */
};

/* The answer to a command the worker took on the fast path
 * (ops->local_command): status and payload of the response, which the
 * engine sends on the command's own channel. */
#define HY_ENGINE_ANSWER_MAX 16u
struct hy_engine_answer {
	uint8_t status; /* HY_STATUS_OK, BAD or ERR */
	uint8_t len;    /* payload bytes in data */
	uint8_t data[HY_ENGINE_ANSWER_MAX];
};

/* What ops->local_command did with a command. */
enum hy_engine_local {
	HY_ENGINE_LOCAL_PASS = 0, /* not taken: it goes up (ops->command) */
	HY_ENGINE_LOCAL_ANSWER,   /* taken and answered in *ans */
	HY_ENGINE_LOCAL_TAKEN,    /* taken; the answer comes later through hy_engine_send() */
};

/*
 * What the engine hands to its worker besides in-place replies.  Called on
 * the engine's lcore, synchronously, from inside hy_engine_input(),
 * hy_engine_tick(), hy_engine_send(), hy_engine_kick() and
 * hy_engine_close_all().  Pointers are valid only during the call: copy
 * what you keep.  Each returns 0 if it took the item, or a negative value
 * (ring or TX queue full): the engine counts it and carries on; it never
 * retries.  Any member may be NULL (counted as refused).
 */
struct hy_engine_ops {
	/* Optional: asked before a RESPONSE opens a session, whether
	 * session_opened can pass the news on now.  When it cannot (the
	 * control plane's queue is full) the RESPONSE is refused (DROP,
	 * EVENTS_FULL) with its datagram left as it came: the caller may input
	 * it again once there is room, or leave it to the client's resend.  A
	 * session the control plane never heard of would be lost to it.
	 * NULL: always. */
	bool (*can_open)(void *arg);
	/* A session was created (ACCEPT sent). */
	int (*session_opened)(void *arg, const struct hy_engine_session_info *s);
	/* A session ended: client DISCONNECT (its reason), idle timeout, kick;
	 * s is the session as it was (its uid, to clean up indexes). */
	int (*session_closed)(void *arg, const struct hy_engine_session_info *s,
			      enum hy_close_reason reason);
	/* A client command other than ECHO, decrypted; payload excludes the
	 * 3-byte command header.  Returns 0, or -EBUSY for a RELIABLE command
	 * the control plane's queue has no room for now: having done nothing,
	 * it is held in the session's reliable channel (acknowledged) and
	 * offered again a millisecond later (backing off to 32 ms while it is
	 * refused), with the commands behind it, so none is lost; any other
	 * error drops the command (counted as up_dropped). */
	int (*command)(void *arg, uint64_t sid, uint8_t ver, uint16_t cmd,
		       enum hy_engine_delivery delivery, const uint8_t *payload, uint32_t len);
	/* Optional: a reliable command held for want of room (command said
	 * -EBUSY) whose session is ending: the client was told it arrived, so
	 * it must go up, behind what is queued and before the session's
	 * SESSION_CLOSED, even while the queue is full.  Returns 0, or an
	 * error when it is lost (counted as up_dropped).  NULL: lost. */
	int (*command_late)(void *arg, uint64_t sid, uint8_t ver, uint16_t cmd,
			    const uint8_t *payload, uint32_t len);
	/* Called before command for every client command but ECHO: the
	 * worker's fast path (the room relay).  Must not call back into the
	 * engine (the datagram is still being processed): work that sends
	 * goes after hy_engine_input() returns.  NULL: everything goes up. */
	enum hy_engine_local (*local_command)(void *arg, uint64_t sid, uint8_t ver, uint16_t cmd,
					      enum hy_engine_delivery delivery,
					      const uint8_t *payload, uint32_t len,
					      struct hy_engine_answer *ans);
	/* Send pkt (a whole UDP payload) to peer: packets the engine originates
	 * (keep-alive PINGs, DISCONNECTs, responses and pushes, an ACCEPT
	 * resent to a session's own address). */
	int (*tx)(void *arg, const struct hy_peer *to, const uint8_t *pkt, uint16_t len);
	/* Optional: where the engine may seal its next packet to `to`, *cap
	 * bytes of room, so that tx need not copy it (the port's own packet
	 * buffer); NULL: the engine seals into a buffer of its own.  A buffer
	 * handed out and not then passed to tx stays the op's. */
	uint8_t *(*tx_buf)(void *arg, const struct hy_peer *to, uint16_t *cap);
};

struct hy_engine_config {
	uint32_t node_id;        /* tokens for other nodes are dropped */
	uint16_t worker_id;      /* 0 .. n_workers - 1 */
	uint16_t n_workers;      /* 1 .. HY_ENGINE_MAX_WORKERS, the same for every engine */
	int socket_id;           /* NUMA socket of the tables, or SOCKET_ID_ANY (-1) */
	uint32_t max_sessions;   /* this worker's table, 1 .. HY_ENGINE_MAX_SESSIONS */
	uint32_t max_used_sids;  /* closed sids remembered; 0: 2 x max_sessions */
	/* Sessions whose expanded AES-GCM keys stay cached (a power of two;
	 * 0: HY_ENGINE_KEY_CACHE_DEFAULT), at most the table's size rounded up
	 * to a power of two; the others keep raw keys, expanded on use. */
	uint32_t key_cache;
	uint32_t idle_timeout_ms; /* silent sessions are closed; 0: never */
	uint32_t keepalive_ms;   /* PING after this long without sending; 0: never */
	uint32_t max_message;    /* told in ACCEPT; reliable messages up to it; 0: HY_MAX_MESSAGE */
	uint32_t tick_budget;    /* table entries examined per hy_engine_tick(); 0: 256 */
	/* Reliability (conf rudp.*, limits.reassembly_bytes_per_session); 0 picks
	 * the default shown. */
	uint32_t rto_min_ms;     /* 50 */
	uint32_t rto_max_ms;     /* 1000 */
	uint32_t max_retries;    /* 10 */
	uint32_t reassembly_bytes; /* per session, at least max_message; 2 x max_message */
	/* Region of this engine's reliability pool (send and receive windows of
	 * every session); 0: max_sessions x 2 KiB clamped to 1 MiB .. 64 MiB.
	 * When it is empty, reliable sends are refused (REASSEMBLY_FULL) and
	 * received units dropped, both counted. */
	size_t rudp_pool_bytes;
	enum hy_aead_backend backend; /* for session keys: HY_AEAD_IPSECMB in production */
	struct hy_engine_shared *shared;
	const struct hy_engine_ops *ops;
	void *ops_arg;           /* first argument of every ops call */
};

/* Per-engine counters, written only by the engine's lcore; other threads
 * may read them (64-bit loads, possibly a packet stale). */
struct hy_engine_stats {
	uint64_t rx;              /* datagrams given to hy_engine_input() */
	uint64_t tx;              /* replies returned plus packets ops->tx took */
	uint64_t tx_refused;      /* ops->tx refused */
	uint64_t drops[HY_R_COUNT]; /* refused datagrams, frames and messages, by reason */
	uint64_t sessions;        /* live now */
	uint64_t opened, closed;
	uint64_t closed_by[HY_CLOSE_REASON_MAX]; /* by enum hy_close_reason */
	uint64_t connects;        /* CONNECTs seen (before any check) */
	uint64_t challenges;      /* CHALLENGEs sent */
	uint64_t responses;       /* RESPONSEs seen */
	uint64_t accepts;         /* ACCEPTs sent, resends included */
	uint64_t accept_resends;
	uint64_t denies[HY_CLOSE_REASON_MAX]; /* DENYs sent, by reason */
	uint64_t auth_failures;   /* token, cookie or packet tag that did not verify */
	uint64_t replays;         /* REPLAYED + TOO_OLD */
	uint64_t handoffs;        /* HY_ENGINE_HANDOFF returned */
	uint64_t rebinds;         /* session moved to a new address after authenticating */
	uint64_t idle_timeouts;
	uint64_t keepalives;      /* PINGs sent */
	uint64_t up_events;       /* ops calls (opened, closed, command) accepted */
	uint64_t up_dropped;      /* ops calls refused */
	uint64_t commands;        /* commands passed up */
	uint64_t local_commands;  /* commands the worker's fast path took */
	uint64_t echoes;          /* ECHOs answered */
	uint64_t used_sids;       /* closed sids remembered now */
	uint64_t key_expansions;  /* session keys expanded: handshakes and key-cache misses */
	/* reliability (shared/rudp), refreshed after each call into the engine */
	uint64_t reliable_delivered; /* reliable messages delivered in order (ECHO included) */
	uint64_t commands_held;      /* times ops->command refused a reliable one for now (-EBUSY) */
	uint64_t reliable_queued;    /* reliable messages accepted for sending */
	uint64_t retransmits;
	uint64_t fragments_in;       /* FRAGMENT units accepted */
	uint64_t fragments_out;      /* FRAGMENT units sent (first transmissions) */
	uint64_t reassembly_drops;   /* units dropped: byte cap or pool empty */
	uint64_t window_stalls;      /* reliable sends refused: send byte cap full */
	uint64_t rudp_alloc_failures; /* reliability pool empty */
	uint64_t acks_sent;          /* ACK frames written */
	uint64_t timer_packets;      /* packets the timers sent: delayed ACKs, retransmissions */
	uint64_t dead_sessions;      /* closed RETRIES_EXHAUSTED */
	uint64_t slow_consumers;     /* closed SLOW_CONSUMER: reliable sends past the byte cap */
	uint64_t broken_sessions;    /* closed PROTOCOL_ERROR: inconsistent reliable stream */
	uint64_t rudp_pool_used;     /* bytes of the pool held now (gauge) */
	uint64_t timers_armed;       /* sessions in the timer wheel now (gauge) */
	/* bench mode: packets of bench sessions the replay window would have
	 * refused, accepted because they authenticated */
	uint64_t bench_replays_accepted;
} __attribute__((aligned(64)));

enum hy_engine_action {
	HY_ENGINE_DROP = 0,   /* nothing to send; res->why says why (counted) */
	HY_ENGINE_REPLY,      /* send res->reply_len bytes at buf back to from */
	HY_ENGINE_CONSUMED,   /* handled, nothing to send back */
	HY_ENGINE_HANDOFF,    /* belongs to worker res->owner: forward buf, len and from there */
};

struct hy_engine_result {
	enum hy_engine_action action;
	enum hy_reason why;  /* DROP: the reason; HY_R_OK otherwise */
	uint16_t reply_len;  /* REPLY only */
	uint16_t owner;      /* HANDOFF only */
};

struct hy_engine;

/* Allocates the session table (rte_zmalloc_socket + rte_hash: EAL must be
 * up) and checks cfg.  cfg->shared and cfg->ops must outlive the engine.
 * Returns the engine, or NULL with a one-line reason in err. */
struct hy_engine *hy_engine_create(const struct hy_engine_config *cfg, char *err, size_t err_len);

/* Frees everything and wipes session keys; sends nothing and calls no ops
 * (use hy_engine_close_all() first for a clean shutdown).  NULL is fine. */
void hy_engine_destroy(struct hy_engine *e);

/*
 * Processes one datagram (the UDP payload, len bytes at buf, cap bytes
 * writable there) received from `from`.  The datagram is decrypted in place
 * and a reply, if any, is written over it.  Ops may be called before it
 * returns.  Never reads past len; never writes past cap (cap should be at
 * least HY_MAX_DATAGRAM; a reply that does not fit is a drop,
 * OUT_OF_SPACE).  For a datagram that did not authenticate, reply_len is
 * never larger than len.  Returns res->action.
 */
enum hy_engine_action hy_engine_input(struct hy_engine *e, const struct hy_peer *from,
				      uint8_t *buf, uint16_t len, uint16_t cap, uint64_t now_ms,
				      struct hy_engine_result *res);

/* hy_engine_prefetch_burst()'s verdict for a datagram it could not look up
 * (not sealed, or another worker's session): hy_engine_input_hinted() then
 * does what hy_engine_input() does. */
#define HY_ENGINE_NO_HINT UINT32_MAX

/*
 * Prepares a burst of n datagrams (bufs[i], lens[i] bytes) for
 * hy_engine_input_hinted(): reads each sealed packet's session id from its
 * header, looks the burst's sessions up together (rte_hash's pipelined bulk
 * lookup, 32 at a time) and prefetches each one's entry and receive key,
 * so that by the time a datagram is opened its session is in cache.
 * Writes one opaque hint per datagram into hints[i] and, when sids is not
 * NULL, the session id it looked up into sids[i] (0 for none: the caller
 * may prefetch what it keeps per session, hy_fanout_prefetch()).  Reads
 * only the headers; changes nothing.  Returns how many datagrams it looked
 * up (0 for a burst of garbage: nothing more to prefetch).
 */
unsigned hy_engine_prefetch_burst(struct hy_engine *e, const uint8_t *const *bufs,
				  const uint16_t *lens, unsigned n, uint32_t *hints, uint64_t *sids);

/*
 * The first check hy_engine_input() makes, alone, for a caller that turns
 * garbage away before it prepares anything else for the engine (the
 * worker fills in the peer, batches the burst).  Returns true for a
 * datagram hy_engine_input() would look at; false for one it would drop
 * on its first byte or its length, counted as it would count it (rx and
 * drops[reason]).
 */
bool hy_engine_admit(struct hy_engine *e, const uint8_t *buf, uint16_t len);

/*
 * hy_engine_input() for a datagram of a burst hy_engine_prefetch_burst()
 * prepared, with its hint: the session lookup is skipped.  A hint is only
 * a shortcut: it is checked against the table (a session closed or opened
 * since it was made sends the datagram the long way), so any engine calls
 * may come between the two; a hint is good for its own datagram only.
 */
enum hy_engine_action hy_engine_input_hinted(struct hy_engine *e, const struct hy_peer *from,
					     uint8_t *buf, uint16_t len, uint16_t cap,
					     uint64_t now_ms, uint32_t hint,
					     struct hy_engine_result *res);

/*
 * Timers: idle timeouts, keep-alive PINGs and expiry of remembered sids.
 * Examines at most tick_budget table entries per call, resuming where the
 * previous call stopped, so a full pass over the table takes
 * max_sessions / tick_budget calls; call it often enough that a pass is
 * well under keepalive_ms.  Returns the number of packets it sent.
 */
unsigned hy_engine_tick(struct hy_engine *e, uint64_t now_ms);

/*
 * Sends a response or push (ver, cmd, status, payload) to a session, on
 * the given channel, through ops->tx to the session's address; a pending
 * ACK rides along.  Uses the time of the last input/tick.
 *   UNRELIABLE: one UNRELIABLE frame, sent now;
 *   SEQUENCED: one SEQUENCED frame on stream 0, numbered per session;
 *   RELIABLE: queued in the session's reliable channel (fragmented when
 *     over one frame, up to max_message bytes with the 4-byte header) and
 *     sent as far as the window allows, the rest waiting in the channel's
 *     backlog (bounded by the send byte cap); retransmitted from the timers.
 * Returns OK, UNKNOWN_SESSION (not here: route by hy_engine_owner()),
 * BAD_CHANNEL (unknown delivery), BAD_MESSAGE_KIND (unknown status),
 * MESSAGE_TOO_LARGE (UNRELIABLE/SEQUENCED: over one frame; RELIABLE: over
 * max_message), OUT_OF_SPACE (UNRELIABLE/SEQUENCED: ops->tx refused it),
 * and for RELIABLE: WINDOW_FULL (the session's unacknowledged reliable
 * bytes, window and backlog, passed the cap: the client does not keep up,
 * and the session was just closed with DISCONNECT SLOW_CONSUMER),
 * REASSEMBLY_FULL (the pool is empty),
 * SEQ_EXHAUSTED, or RETRIES_EXHAUSTED (the session was just closed).
 */
enum hy_reason hy_engine_send(struct hy_engine *e, uint64_t sid, uint8_t ver, uint16_t cmd,
			      uint8_t status, enum hy_engine_delivery delivery,
			      const void *payload, uint32_t len);

/* One message for hy_engine_send_batch(). */
struct hy_engine_out {
	uint8_t ver;
	uint8_t status;
	uint16_t cmd;
	enum hy_engine_delivery delivery;
	const void *payload;
	uint32_t len;
};

/*
 * Sends n messages to one session, as hy_engine_send() would each, but
 * packed: consecutive UNRELIABLE and SEQUENCED messages share datagrams
 * (up to HY_MAX_FRAMES_PER_PACKET frames, a pending ACK riding along), and
 * RELIABLE ones are queued together and flushed once (the reliable channel
 * packs its units itself).  Returns how many were sent or queued; *why is
 * OK, or the first refusal (hy_engine_send()'s reasons; a datagram ops->tx
 * refused counts as OUT_OF_SPACE once).
 */
unsigned hy_engine_send_batch(struct hy_engine *e, uint64_t sid, const struct hy_engine_out *m,
			      unsigned n, enum hy_reason *why);

/*
 * Sends the message m to each of the n sessions in sids, as hy_engine_send()
 * would one at a time, but looks the sessions up in bulk (rte_hash's
 * pipelined lookup, 32 at a time) and prefetches each entry and its key
 * before sealing: what a room's fan-out wants (one sid takes the plain
 * lookup, which is cheaper for one).  An UNRELIABLE message is encoded
 * and framed once and sealed for each recipient whose reliable channel
 * has nothing to ride along.  Returns how many sessions
 * took the message; *why gets the first refusal's reason (UNKNOWN_SESSION
 * for a sid not in the table), or OK.
 *
 * hints, when not NULL, gives for each sids[i] a cell the caller keeps
 * with it (a room's member list): the table index where sids[i] was last
 * found.  A hint is checked against the entry, never trusted; where it
 * holds, the lookup is spared.  Every cell is rewritten with the index
 * found, or HY_ENGINE_NO_HINT.  Start cells at HY_ENGINE_NO_HINT.
 */
unsigned hy_engine_send_many(struct hy_engine *e, const uint64_t *sids, uint32_t *const *hints,
			     unsigned n, const struct hy_engine_out *m, enum hy_reason *why);

/*
 * Sends m[i] to sids[i] for each i < n, as hy_engine_send() would one at a
 * time, with hy_engine_send_many()'s bulk lookups and prefetch: what a
 * burst of broadcasts wants, each with its own recipients (consecutive
 * recipients of one message share its framing), hints as there.  Returns
 * how many went; *why gets the first refusal's reason, or OK.
 */
unsigned hy_engine_send_each(struct hy_engine *e, const uint64_t *sids, uint32_t *const *hints,
			     const struct hy_engine_out *const *m, unsigned n, enum hy_reason *why);

/* Closes a session: sends DISCONNECT(reason) three times (any copy may be
 * lost), calls ops->session_closed and remembers the sid.  Returns OK or
 * UNKNOWN_SESSION. */
enum hy_reason hy_engine_kick(struct hy_engine *e, uint64_t sid, enum hy_close_reason reason);

/* Kicks every session (end of a drain, shutdown).  Returns how many. */
uint32_t hy_engine_close_all(struct hy_engine *e, enum hy_close_reason reason);

/* Live sessions. */
uint32_t hy_engine_sessions(const struct hy_engine *e);

/* Calls cb for each live session until it returns nonzero (resync,
 * telemetry).  Owning lcore only.  Returns the number of calls made. */
uint32_t hy_engine_foreach_session(const struct hy_engine *e,
				   int (*cb)(void *arg, const struct hy_engine_session_info *s),
				   void *arg);

/* Fills *out for sid.  Returns OK or UNKNOWN_SESSION.  Owning lcore only. */
enum hy_reason hy_engine_session_get(const struct hy_engine *e, uint64_t sid,
				     struct hy_engine_session_info *out);

/* The engine's counters; valid as long as the engine. */
const struct hy_engine_stats *hy_engine_stats(const struct hy_engine *e);

/* Bytes this engine allocated (session array, free list, both hash tables
 * and the reliability pool, from the allocator's own accounting), and
 * bytes per session slot: for sizing. */
size_t hy_engine_memory(const struct hy_engine *e);
size_t hy_engine_session_entry_size(void);

/* Bytes allocated from DPDK's heaps (rte_malloc), all sockets: what the
 * tables of a whole process take. */
size_t hy_heap_allocated(void);

/*
 * Bench mode: sessions for benchmarks that replay a capture (pktgen on
 * bare metal; docs/performance.md).  A replayed capture repeats packet
 * numbers and cannot do the cookie handshake, so a bench session
 *   - exists from start-up without a handshake (hy_engine_bench_add()),
 *     with no peer address until its first packet authenticates (which
 *     then fixes the address as a NAT rebind does, counted in rebinds);
 *   - skips the replay window: a packet number it would refuse is
 *     accepted once the packet authenticates, and counted in
 *     bench_replays_accepted;
 *   - is never closed for silence and never sent keep-alive PINGs;
 *   - is not remembered when it closes (there is no token to reuse).
 * Its id and keys come from hy_engine_bench_derive(), the same function
 * perf/pktgen/gen_traffic seals its packets with.  Anyone holding the
 * cluster key and the seed can derive them, and anyone who captured one
 * of their packets can replay it: hayate-dataplane makes bench sessions
 * only when its command line says --bench-mode-insecure.
 */
#define HY_BENCH_UID_PREFIX "bench-"

struct hy_engine_bench_session {
	uint64_t sid;
	uint8_t c2s_key[HY_KEY_LEN]; /* client -> server */
	uint8_t s2c_key[HY_KEY_LEN]; /* server -> client */
	uint8_t uid_len;
	char uid[HY_UID_MAX + 1];    /* "bench-<i>", NUL-terminated */
};

/*
 * Derives bench session i of seed from a cluster key:
 *   nonce = "HYBN" | seed u32 | i u32 (big-endian)
 *   block = AES-128-GCM ciphertext of 40 zero bytes under the cluster key
 *           and nonce, no associated data (the tag is not used)
 *   sid = block[0..8) big-endian (1 if that is 0), c2s key = block[8..24),
 *   s2c key = block[24..40), uid = "bench-<i>" in decimal.
 * The ciphertext of zeros is the AES-CTR key stream, a pseudo-random
 * function of (key, nonce): distinct (seed, i) give independent sessions,
 * and a token's random 96-bit nonce meets one of these with negligible
 * probability.  Returns 0, or -1 if the AEAD failed.  Wipe *out after use.
 */
static inline int hy_engine_bench_derive(const struct hy_aead_ctx *cluster_key, uint32_t seed,
					 uint32_t i, struct hy_engine_bench_session *out)
{
	uint8_t nonce[HY_NONCE_LEN] = {'H', 'Y', 'B', 'N'};
	uint8_t zero[8 + 2 * HY_KEY_LEN] = {0}, block[sizeof(zero)], tag[HY_TAG_LEN];
	int n;

	for (unsigned k = 0; k < 4; k++) {
		nonce[4 + k] = (uint8_t)(seed >> (24 - 8 * k));
		nonce[8 + k] = (uint8_t)(i >> (24 - 8 * k));
	}
	memset(out, 0, sizeof(*out));
	if (hy_aead_seal(cluster_key, nonce, NULL, 0, zero, sizeof(zero), block, tag) != 0)
		return -1;
	for (unsigned k = 0; k < 8; k++)
		out->sid = out->sid << 8 | block[k];
	if (out->sid == 0)
		out->sid = 1;
	memcpy(out->c2s_key, block + 8, HY_KEY_LEN);
	memcpy(out->s2c_key, block + 8 + HY_KEY_LEN, HY_KEY_LEN);
	n = snprintf(out->uid, sizeof(out->uid), HY_BENCH_UID_PREFIX "%u", i);
	out->uid_len = (uint8_t)n;
	memset(block, 0, sizeof(block));
	return 0;
}

/*
 * Adds a bench session (see above) to this engine, at time now_ms.  The
 * caller checks the owner (hy_engine_owner()).  Calls no ops: nothing is
 * announced to the control plane (a resync lists bench sessions like any
 * other).  Returns OK, ZERO_SESSION, TOKEN_BAD_UID (uid_len 0, over
 * HY_UID_MAX or a zero byte in the uid), UNKNOWN_SESSION (another
 * worker's sid), TOKEN_REUSED (the sid is live or remembered here),
 * OUT_OF_SPACE (no free slot) or AUTH_FAILED (the AEAD backend refused a
 * key).
 */
enum hy_reason hy_engine_bench_add(struct hy_engine *e, const struct hy_engine_bench_session *b,
				   uint64_t now_ms);

/*
 * The worker that owns sid: a fixed mix of the sid's bits mapped onto
 * 0 .. n_workers - 1 (multiply-shift, no division).  Every engine, and
 * whoever routes control-plane messages, must use this same function.
 */
static inline uint16_t hy_engine_owner(uint64_t sid, uint16_t n_workers)
{
	uint64_t x = sid;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (uint16_t)(((x & 0xffffffffu) * (uint64_t)n_workers) >> 32);
}

#endif /* HY_DATAPLANE_SESSION_ENGINE_H */
