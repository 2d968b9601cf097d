/* SPDX-License-Identifier: BSD-3-Clause
 * Data-plane counters in a POSIX shared-memory region (paths.stats_shm),
 * read by the control plane, by telemetry and by tests without locks.
 *
 * Each lcore counts into its own private struct hy_stats_counters (plain
 * increments, no atomics, no sharing) and publishes a copy into its block
 * of the region now and then (hy_stats_publish: every ~1 ms and at exit).
 * The region is self-describing, so a reader needs no knowledge of this
 * build's counter list:
 *
 *   0            struct hy_stats_shm_hdr (HY_STATS_HDR_SIZE bytes)
 *   names_off    n_counters names, HY_STATS_NAME_LEN bytes each, NUL padded
 *   blocks_off   n_blocks blocks of block_size bytes (a multiple of 64):
 *                struct hy_stats_block, then n_counters u64 values
 *
 * Consistency: each block carries a sequence number (a seqlock).  The
 * writer makes it odd, stores the values, makes it even; a reader copies
 * the values between two reads of an even, unchanged number, and retries
 * otherwise.  Native byte order: readers run on the same host.
 */
#ifndef HY_DP_STATS_H
#define HY_DP_STATS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/reason.h"
#include "net/net.h"
#include "proto/seal.h"

#define HY_STATS_MAGIC 0x4859535441543031ull /* "HYSTAT01" */
#define HY_STATS_LAYOUT_VERSION 1u
#define HY_STATS_HDR_SIZE 256u
#define HY_STATS_NAME_LEN 48u
#define HY_STATS_MAX_BLOCKS 130u /* RTE_MAX_LCORE is 128 in Debian's build */

/*
 * Counters of this build, X(name, description).  Names are stable: the
 * control plane and tests look them up by name.
 */
#define HY_STATS_COUNTERS(X) \
	X(rx_packets,      "frames received from the ports") \
	X(rx_bytes,        "bytes received from the ports") \
	X(tx_packets,      "frames handed to the ports") \
	X(tx_bytes,        "bytes handed to the ports") \
	X(tx_dropped,      "frames the port refused (tx queue full)") \
	X(drops,           "received frames freed without an answer, all reasons") \
	X(udp_in,          "UDP datagrams to the gateway port") \
	X(net_replies,     "ARP, ICMP echo and NDP answers sent") \
	X(engine_replies,  "datagrams the session engine answered in place") \
	X(engine_consumed, "datagrams the session engine kept") \
	X(engine_tx,       "datagrams the session engine originated") \
	X(tx_no_mbuf,      "originated datagrams lost: mbuf pool empty") \
	X(handoff_out,     "frames handed to the owning worker") \
	X(handoff_in,      "frames received from another worker") \
	X(handoff_full,    "frames dropped: owner's inbox full") \
	X(inbox_msgs,      "control messages delivered to this worker") \
	X(down_refused,    "control messages the engine refused (unknown session...)") \
	X(events_up,       "events queued for the control lcore") \
	X(events_full,     "events dropped: worker->main ring or entry pool full") \
	X(ring_up_msgs,    "messages sent to the control plane") \
	X(ring_full,       "messages dropped: ring to the control plane full") \
	X(ring_peer_gone,  "messages dropped: no control plane attached") \
	X(ring_down_msgs,  "messages received from the control plane") \
	X(ring_bad,        "messages from the control plane refused") \
	X(idle_sleeps,     "times the lcore slept for lack of work") \
	X(busy_polls,      "poll iterations that found work") \
	X(busy_us,         "microseconds spent in poll iterations that found work (load = its rate / 10^6)") \
	X(sessions,        "sessions owned by this lcore (gauge)") \
	X(sessions_opened, "sessions opened") \
	X(sessions_closed, "sessions closed") \
	X(connects,        "CONNECT packets seen") \
	X(challenges,      "CHALLENGE packets sent") \
	X(responses,       "RESPONSE packets seen") \
	X(accepts,         "ACCEPT packets sent (resends included)") \
	X(auth_failures,   "token, cookie or packet tags that did not verify") \
	X(replays,         "packets refused by the replay window") \
	X(rebinds,         "sessions that moved to a new client address") \
	X(idle_timeouts,   "sessions closed for silence") \
	X(keepalives,      "keep-alive PINGs sent") \
	X(echoes,          "ECHO commands answered in the data plane") \
	X(commands,        "commands passed up to the control plane") \
	X(used_sids,       "closed session ids remembered (gauge)") \
	X(key_expansions,  "session keys expanded: handshakes and key-cache misses (dataplane.key_cache)") \
	X(reliable_delivered, "reliable messages delivered in order") \
	X(reliable_queued, "reliable messages queued to clients") \
	X(retransmits,     "reliable units resent") \
	X(fragments_in,    "fragments received and accepted") \
	X(fragments_out,   "fragments sent (first transmissions)") \
	X(reassembly_drops, "reliable units dropped: reassembly cap or pool empty") \
	X(window_stalls,   "reliable sends refused: send byte cap full (window and backlog)") \
	X(rudp_alloc_failures, "reliability pool empty") \
	X(acks_sent,       "ACK frames sent") \
	X(timer_packets,   "packets sent by the reliability timers") \
	X(dead_sessions,   "sessions closed: retries exhausted") \
	X(slow_consumers,  "sessions closed: reliable traffic past the byte cap (SLOW_CONSUMER)") \
	X(broken_sessions, "sessions closed: inconsistent reliable stream") \
	X(rudp_pool_used,  "bytes of the reliability pool in use (gauge)") \
	X(relay_broadcasts, "BROADCAST commands relayed in the data plane") \
	X(relay_messages,  "MESSAGE commands relayed in the data plane") \
	X(relay_directs,   "DIRECT commands relayed in the data plane") \
	X(relay_passed_up, "room and direct commands left to the control plane") \
	X(relay_pushes,    "room and direct pushes sent to this lcore's sessions") \
	X(relay_push_failed, "pushes the engine refused (session gone, flow control)") \
	X(relay_handoffs,  "relay jobs handed to another worker") \
	X(relay_handoffs_in, "relay jobs run for another worker") \
	X(relay_handoff_failed, "relay jobs another worker could not take") \
	X(relay_up,        "RELAY messages for the control plane's (TCP) members") \
	X(relay_up_failed, "RELAY messages that could not be queued") \
	X(relay_stale,     "relay jobs for a room no longer in this lcore's table") \
	X(relay_batched,   "broadcasts held for their room's interval") \
	X(relay_batch_flushes, "interval batches delivered") \
	X(relay_batch_bypass, "broadcasts sent at once: every batch slot in use") \
	X(relay_uid_misses, "DIRECT by user id the directory could not resolve (went up)") \
	X(users,           "users filed in this lcore's shard of the user directory (gauge)") \
	X(users_full,      "user directory entries refused: shard full") \
	X(users_lost,      "user directory updates lost: mailbox full") \
	X(table_updates,   "fan-out table updates applied") \
	X(table_refused,   "fan-out table updates refused (table.<REASON> in telemetry)") \
	X(table_rooms,     "rooms in this lcore's fan-out table (gauge)") \
	X(table_members,   "this lcore's sessions in rooms (gauge)") \
	X(down_deferred,   "times the control lcore left messages in the ring: worker inboxes full") \
	X(bench_replays_accepted, "bench mode: replayed packets of bench sessions accepted (replay window skipped)") \
	X(tx_delay_ns,     "sum over frames sent of the time from the start of the poll that made each to its tx burst (tx_delay.*)") \
	X(events_late,     "events that waited for room in the event ring, SESSION_CLOSEDs and the held commands of closing sessions (sent later, none lost)") \
	X(commands_held,   "reliable commands refused for now, event ring full: held acknowledged, offered again (none lost)") \
	X(responses_held,  "RESPONSEs kept while the event ring was full and offered again as it drained (each refusal is also in drop.EVENTS_FULL: the difference went to the client's resend)")

/* The tx delay histogram: frames sent, by the time from the start of the
 * poll that made them to the return of the tx burst that handed them to
 * the port (the driver's own time included: an af_packet port's send
 * system call, for one), the node's own part of a packet's latency (its
 * wait in the rx ring aside).
 * Bucket i counts delays above the bound before it, up to its own bound
 * (microseconds); the last has none ("tx_delay.inf"). */
#define HY_TX_DELAY_BUCKETS 13u
extern const uint32_t hy_tx_delay_bounds_us[HY_TX_DELAY_BUCKETS - 1];

/* The bucket of delay d, given the bounds in d's unit (the worker's are
 * hy_tx_delay_bounds_us in TSC ticks): the first bound d does not exceed,
 * else the last bucket.  A short scan: most frames fall in the first few. */
static inline unsigned int hy_tx_delay_bucket(const uint64_t bound[HY_TX_DELAY_BUCKETS - 1],
					      uint64_t d)
{
	unsigned int k = 0;

	while (k < HY_TX_DELAY_BUCKETS - 1 && d > bound[k])
		k++;
	return k;
}

/* Counter ids: the list above, then the net layer's drops by reason
 * ("net.<NAME>"), its answers by kind ("reply.<NAME>"), the engine's drops
 * by enum hy_reason ("drop.<REASON>"), sessions closed and connects denied
 * by enum hy_close_reason ("closed.<NAME>", "deny.<NAME>"), then the tx
 * delay histogram ("tx_delay.<BOUND>us", "tx_delay.inf"). */
enum hy_stats_id {
#define HY_STATS_ENUM(name, text) HY_ST_##name,
	HY_STATS_COUNTERS(HY_STATS_ENUM)
#undef HY_STATS_ENUM
	HY_ST_NET_DROP_BASE,
	HY_ST_NET_REPLY_BASE = HY_ST_NET_DROP_BASE + HY_NET_DROP_COUNT,
	HY_ST_DROP_BASE = HY_ST_NET_REPLY_BASE + HY_NET_REPLY_COUNT,
	HY_ST_CLOSED_BASE = HY_ST_DROP_BASE + HY_R_COUNT,
	HY_ST_DENY_BASE = HY_ST_CLOSED_BASE + HY_CLOSE_REASON_MAX,
	HY_ST_TX_DELAY_BASE = HY_ST_DENY_BASE + HY_CLOSE_REASON_MAX,
	HY_ST_COUNT = HY_ST_TX_DELAY_BASE + HY_TX_DELAY_BUCKETS
};

/* One lcore's counters, private to that lcore. */
struct hy_stats_counters {
	uint64_t v[HY_ST_COUNT];
};

/* Role of the lcore that owns a block. */
enum hy_stats_role {
	HY_STATS_ROLE_NONE = 0,
	HY_STATS_ROLE_MAIN = 1,   /* control lcore: rings, timers */
	HY_STATS_ROLE_WORKER = 2, /* poll-mode worker */
};

/* Node state as the header reports it (same values as the protocol's
 * node state where they overlap: 0 online, 1 offline/draining). */
struct hy_stats_shm_hdr {
	uint64_t magic;
	uint32_t layout_version;
	uint32_t hdr_size;
	uint32_t n_counters;
	uint32_t n_blocks;
	uint32_t name_len;
	uint32_t block_size;
	uint64_t names_off;
	uint64_t blocks_off;
	uint64_t region_size;
	uint32_t pid;
	uint32_t node_id;
	uint64_t generation;           /* start time, ns since the epoch */
	_Atomic uint64_t heartbeat_ns; /* CLOCK_MONOTONIC, main lcore */
	_Atomic uint32_t node_state;   /* 0 online, 1 draining */
	_Atomic uint32_t ready;        /* 1 once the workers run */
	uint8_t pad[HY_STATS_HDR_SIZE - 88];
};

struct hy_stats_block {
	_Atomic uint64_t seq;  /* odd while the owner writes */
	uint32_t lcore_id;
	uint32_t role;         /* enum hy_stats_role; NONE = unused block */
	uint64_t publish_ns;   /* CLOCK_MONOTONIC of the last publish */
	uint8_t pad[64 - 24];
	uint64_t values[];     /* n_counters */
};

struct hy_stats_region;

/* Name of counter id ("rx_packets", "drop.TRUNCATED"), in a static table. */
const char *hy_stats_name(unsigned int id);
/* One-line description of counter id. */
const char *hy_stats_text(unsigned int id);

/*
 * Creates (replacing any stale one) and maps the region shm_name ("/x")
 * with one block per lcore id below n_blocks.  Returns NULL and fills err
 * on failure.  The region is unlinked again by hy_stats_destroy.
 */
struct hy_stats_region *hy_stats_create(const char *shm_name,
	unsigned int n_blocks, uint32_t node_id, char *err, size_t errlen);

/* Unmaps and unlinks the region.  Safe on NULL. */
void hy_stats_destroy(struct hy_stats_region *r);

/* The shared header (for node state, heartbeat, ready). */
struct hy_stats_shm_hdr *hy_stats_hdr(struct hy_stats_region *r);

/* Claims block lcore_id for an lcore of the given role. */
void hy_stats_claim(struct hy_stats_region *r, unsigned int lcore_id,
	enum hy_stats_role role);

/*
 * Copies c into block lcore_id under its seqlock.  Only the owning lcore
 * calls it for its block.  now_ns stamps the block.
 */
void hy_stats_publish(struct hy_stats_region *r, unsigned int lcore_id,
	const struct hy_stats_counters *c, uint64_t now_ns);

/*
 * Reads a consistent copy of block lcore_id into out (HY_ST_COUNT values)
 * and its role.  Returns false if the block is unused or the writer kept
 * it busy for too many retries.
 */
bool hy_stats_snapshot(const struct hy_stats_region *r, unsigned int lcore_id,
	struct hy_stats_counters *out, enum hy_stats_role *role);

/* Sums every used block into out.  Returns the number of blocks read. */
unsigned int hy_stats_sum(const struct hy_stats_region *r,
	struct hy_stats_counters *out);

/* ---- readers in another process (the control plane, hayate-dpstat) ---- */

/*
 * Maps an existing region read-only and checks its header (magic, layout
 * version, sizes).  Counters are then read by index with the region's own
 * names, which need not match this build's list.  Returns NULL with a
 * reason in err.  Release with hy_stats_destroy (it does not unlink).
 */
struct hy_stats_region *hy_stats_attach(const char *shm_name, char *err,
	size_t errlen);
const struct hy_stats_shm_hdr *hy_stats_hdr_ro(const struct hy_stats_region *r);
unsigned int hy_stats_blocks(const struct hy_stats_region *r);
unsigned int hy_stats_counter_count(const struct hy_stats_region *r);
/* Name of counter id as the region states it, copied into buf; NULL when
 * id is out of range. */
const char *hy_stats_counter_name(const struct hy_stats_region *r,
	unsigned int id, char *buf, size_t len);
/* Consistent copy of the first n (at most the region's count) values of
 * block block_id; false when unused or never stable. */
bool hy_stats_read(const struct hy_stats_region *r, unsigned int block_id,
	uint64_t *values, unsigned int n, enum hy_stats_role *role);
/* The same, and when the copy was published (the block's publish_ns, read
 * under the same seqlock): what a rate over two reads divides by. */
bool hy_stats_read_stamped(const struct hy_stats_region *r, unsigned int block_id,
	uint64_t *values, unsigned int n, enum hy_stats_role *role,
	uint64_t *publish_ns);

#endif /* HY_DP_STATS_H */
