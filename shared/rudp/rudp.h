/* SPDX-License-Identifier: BSD-3-Clause
 * Reliability layer: the reliable-ordered channel of one session (both
 * directions), on top of the frame codecs in proto/frame.h.
 *
 * One struct hy_rudp is embedded in each session.  It is small (see
 * HY_RUDP_IDLE_BYTES) and holds no buffers: the send window and the
 * receive/reassembly window are blocks taken from a caller-supplied
 * allocator when there is something to hold, and given back when they
 * empty, so an idle session costs only the struct.  The module never
 * calls malloc itself and never blocks.
 *
 * Sessions that share a struct hy_rudp_env (configuration, allocator,
 * counters, a 64 KiB reassembly scratch area) must all be used from one
 * thread: one env per data-plane lcore, one per client.
 *
 * Time is a caller-supplied monotonic clock in microseconds ("now").
 *
 * Sending: hy_rudp_send() queues a message (fragmented if it needs more
 * than one frame) in the send window, or, when the window has no room,
 * in a backlog behind it, up to a per-session byte cap;
 * hy_rudp_poll_tx() writes the pending ACK, the retransmissions that are
 * due and new units into a packet being built.
 * Receiving: hy_rudp_on_frame() takes each ACK, RELIABLE, reliable
 * FRAGMENT and PING frame of a decoded DATA packet and delivers complete
 * messages in order, exactly once.  A receiver with nowhere to put a
 * message yet refuses it: the message stays in the receive window,
 * acknowledged, and hy_rudp_retry_delivery() offers it again (flow
 * control: once the window's byte cap is full, new units go unacked and
 * the peer's sender slows to its retransmissions).  Timers:
 * hy_rudp_next_deadline().
 * Verdict: hy_rudp_verdict() says when the session must be closed.
 */
#ifndef HY_RUDP_RUDP_H
#define HY_RUDP_RUDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/reason.h"
#include "common/wire.h"
#include "proto/frame.h"
#include "proto/limits.h"

/* Largest send/receive window, in reliable units (power of two). */
#define HY_RUDP_WINDOW_MAX 256u
#define HY_RUDP_WINDOW_DEFAULT HY_RELIABLE_WINDOW /* a wire rule: both ends agree */

/* Bytes of message per fragment: a full fragment frame plus the largest
 * ACK frame fit one DATA payload, so an ACK can always ride along.  A
 * 64 KiB message takes 61 fragments. */
#define HY_RUDP_FRAG_CHUNK (HY_FRAME_MAX_FRAGMENT - HY_FRAME_ACK_MAX_LEN)

/* ACK frames written per packet at most (17 intervals each). */
#define HY_RUDP_ACK_FRAMES_MAX 4u

/* ack_delay value meaning "not measured": the sender takes no RTT sample
 * from such an ACK. */
#define HY_RUDP_ACK_DELAY_UNKNOWN 0xffffu

/* "No deadline" from hy_rudp_next_deadline(). */
#define HY_RUDP_NEVER UINT64_MAX

/*
 * Allocator for the window blocks and units.  alloc returns size bytes
 * (8-byte aligned) or NULL when the pool is empty (the module then refuses
 * the message or drops the unit, and counts it); free gets back exactly
 * what alloc returned, with the same size.  Called only from the thread
 * that uses the env.
 */
struct hy_rudp_alloc {
	void *(*alloc)(void *arg, size_t size);
	void (*free)(void *arg, void *p, size_t size);
	void *arg;
};

/* Settings; 0 in any member picks the default shown. */
struct hy_rudp_config {
	uint32_t rto_min_ms;     /* 50; conf rudp.rto_min_ms */
	uint32_t rto_max_ms;     /* 1000; conf rudp.rto_max_ms (back-off cap) */
	uint32_t rto_initial_ms; /* rto_max_ms: RTO before the first RTT sample */
	uint32_t max_retries;    /* 10; conf rudp.max_retries */
	uint32_t window;         /* 64; power of two, 2..HY_RUDP_WINDOW_MAX, both directions */
	uint32_t tx_bytes_max;   /* 131072: message bytes held per session (window + backlog) */
	uint32_t backlog_units;  /* 16 x window: units the backlog holds at most, so tiny
				  * messages cannot hold far more pool than tx_bytes_max says
				  * (each unit takes at least a 64-byte block: 1024 units
				  * of 1 byte hold 64 KiB); at least the window */
	uint32_t rx_bytes_max;   /* 131072: conf limits.reassembly_bytes_per_session */
	uint32_t max_message;    /* HY_MAX_MESSAGE; conf limits.max_message_bytes */
	uint32_t ack_delay_us;   /* 20000: longest an ACK waits for company */
	uint32_t ack_every;      /* 2: units received that make the ACK due at once */
	uint32_t retry_us;       /* 1000: how soon a refused delivery is offered again
				  * (doubling while refusals go on, up to 32 x) */
	uint32_t initial_seq;    /* first reliable seq in both directions; the protocol says 0
				  * (other values exist for tests near the end of the space) */
	struct hy_rudp_alloc alloc; /* required */
};

/* Counters of every session using one env (the client has one env per
 * session).  Written only by the env's thread. */
struct hy_rudp_stats {
	uint64_t msgs_queued;        /* hy_rudp_send() accepted (window or backlog) */
	uint64_t msgs_delivered;     /* whole messages the deliver callback took */
	uint64_t deliveries_held;    /* times it refused one (kept, offered again later) */
	uint64_t units_sent;         /* first transmissions (RELIABLE + FRAGMENT) */
	uint64_t retransmits;
	uint64_t units_acked;
	uint64_t fragments_sent;     /* first transmissions of FRAGMENT units */
	uint64_t fragments_received; /* FRAGMENT units accepted */
	uint64_t acks_sent;          /* ACK frames written */
	uint64_t acks_received;      /* ACK frames taken */
	uint64_t rtt_samples;
	uint64_t duplicates;         /* units already received (dropped, re-acked) */
	uint64_t out_of_order;       /* units buffered ahead of a gap */
	uint64_t beyond_window;      /* units too far ahead (dropped, not acked) */
	uint64_t reassembly_drops;   /* units dropped: byte cap or pool empty */
	uint64_t window_stalls;      /* hy_rudp_send() refused: byte cap (tx_bytes_max) full */
	uint64_t backlogged;         /* accepted messages that had to wait in the backlog */
	uint64_t alloc_failures;     /* allocator returned NULL */
	uint64_t dead;               /* sessions that exhausted max_retries */
	uint64_t protocol_errors;    /* sessions broken by an inconsistent peer */
};

struct hy_rudp_env {
	struct hy_rudp_config cfg;  /* defaults filled in */
	struct hy_rudp_stats stats;
	uint8_t scratch[HY_MAX_MESSAGE]; /* fragmented messages are gathered here */
};

/* What the caller must do about a session. */
enum hy_rudp_verdict {
	HY_RUDP_OK = 0,
	HY_RUDP_DEAD,   /* a unit went unacked after max_retries resends: DISCONNECT RETRIES_EXHAUSTED */
	HY_RUDP_BROKEN, /* the peer sent inconsistent reliable data: DISCONNECT PROTOCOL_ERROR */
};

struct rudp_tx;
struct rudp_rx;

/* Per-session state; members are private (use the functions below). */
struct hy_rudp {
	struct hy_rudp_env *env;
	struct rudp_tx *tx;     /* send window and backlog, NULL while nothing is queued or unacked */
	struct rudp_rx *rx;     /* receive window, NULL while nothing is buffered */
	uint64_t tx_next;       /* next seq to assign; 2^32 when the space is used up */
	uint64_t rx_next;       /* next seq to deliver */
	uint64_t ack_due;       /* when the pending ACK must go; valid if ack_pending */
	uint32_t srtt_us, rttvar_us, rto_us;
	uint32_t rx_high_at;    /* low 32 bits of the time the highest seq arrived */
	uint16_t ack_pending;   /* units received since the last ACK */
	uint8_t verdict;        /* enum hy_rudp_verdict */
	uint8_t flags;
};

/* Bytes one idle session costs (the struct; no blocks). */
#define HY_RUDP_IDLE_BYTES sizeof(struct hy_rudp)

/*
 * Checks cfg, fills in defaults and prepares env.  Returns OK, or
 * CONFIG_BAD_VALUE (window not a power of two in range, rto_min > rto_max,
 * rx_bytes_max < max_message, max_message over HY_MAX_MESSAGE, missing
 * allocator); err (may be NULL) gets a one-line explanation.
 */
enum hy_reason hy_rudp_env_init(struct hy_rudp_env *env, const struct hy_rudp_config *cfg,
				char *err, size_t err_len);

/* Prepares s for a new session (nothing held, seqs at initial_seq). */
void hy_rudp_init(struct hy_rudp *s, struct hy_rudp_env *env);

/* Gives every block and unit back to the allocator; s may be reused
 * after hy_rudp_init().  Safe on a zeroed struct. */
void hy_rudp_fini(struct hy_rudp *s);

/*
 * Queues one reliable message of len bytes (copied).  A message longer
 * than HY_FRAME_MAX_RELIABLE goes as ceil(len / HY_RUDP_FRAG_CHUNK)
 * fragments, each a reliable unit with its own seq.  All or nothing.
 * A message the window has no room for (docs/protocol.md, reliability
 * rules) is still accepted: it waits, as fragment-sized units without
 * seqs, in a FIFO backlog, and enters the window, whole and in order,
 * when acks make room (its seqs are given then).  Once anything waits,
 * later messages wait behind it.  Returns OK, or: EMPTY_FRAME (len 0),
 * MESSAGE_TOO_LARGE (over max_message, or more fragments than the
 * window), WINDOW_FULL (tx_bytes_max, counting window and backlog, or
 * backlog_units would be exceeded: the receiver is slow or gone; counted as a window stall;
 * try again after acks arrive), SEQ_EXHAUSTED (the 2^32 seqs, counting
 * the backlog's, are used up: reconnect), REASSEMBLY_FULL (allocator
 * empty) or RETRIES_EXHAUSTED / BAD_FRAGMENT when the verdict is no
 * longer OK.
 */
enum hy_reason hy_rudp_send(struct hy_rudp *s, const void *msg, size_t len);

/*
 * Appends to the DATA plaintext being built in w, at most max_frames
 * frames: the pending ACK (piggybacked whenever one is pending, due or
 * not), then retransmissions that are due (oldest first, RTO doubled per
 * resend up to rto_max), then units never sent, as many as fit.  Backlog
 * messages the window has room for enter it first.  A frame that does not
 * fit is left for the next packet.  Returns the number of frames written
 * (0: nothing to send, or nothing fits: seal and start a new packet if the
 * packet is not empty).  Finding a unit due for another resend after
 * max_retries resends with no ack of anything in between sets the verdict
 * to DEAD and stops.
 */
unsigned hy_rudp_poll_tx(struct hy_rudp *s, uint64_t now, struct hy_wr *w, unsigned max_frames);

/* Called for each whole message, in order, until it returns true for it:
 * true when the message was taken, false (having done nothing) when the
 * receiver has no room for it now.  A refused message and those behind it
 * stay in the receive window, acknowledged, and are offered again by
 * hy_rudp_retry_delivery() from retry_us later (2, 4 ... 32 x retry_us
 * after further refusals in a row).  msg is valid only during the call. */
typedef bool (*hy_rudp_deliver_fn)(void *arg, const uint8_t *msg, size_t len);

/*
 * Takes one decoded frame of an authenticated DATA packet.  ACK: frees
 * acknowledged units, samples the RTT, moves backlog messages into the
 * room made.  RELIABLE / reliable FRAGMENT: delivers in order through
 * deliver (zero or more messages), buffers ahead of a gap, schedules an
 * ACK.  PING: makes an ACK due now if there is anything to acknowledge.
 * Returns OK, or the reason the frame was dropped (counted): DUPLICATE, BEYOND_WINDOW, REASSEMBLY_FULL,
 * BAD_ACK_RANGES; BAD_FRAGMENT or MESSAGE_TOO_LARGE when the peer's
 * reliable stream is inconsistent (verdict BROKEN from then on);
 * UNSUPPORTED (unreliable fragments); BAD_TYPE (UNRELIABLE and SEQUENCED
 * are the caller's).  After a verdict other than OK every frame is
 * ignored.
 */
enum hy_reason hy_rudp_on_frame(struct hy_rudp *s, const struct hy_frame *f, uint64_t now,
				hy_rudp_deliver_fn deliver, void *arg);

/* True while a refused message waits for hy_rudp_retry_delivery(). */
bool hy_rudp_held(const struct hy_rudp *s);

/* Offers the held messages to deliver again, in order, when their retry
 * time has come (hy_rudp_next_deadline() includes it); a refusal holds
 * them again, twice as long as the last time (up to 32 x retry_us).  Returns OK, or the reason the stream broke
 * (as hy_rudp_on_frame()). */
enum hy_reason hy_rudp_retry_delivery(struct hy_rudp *s, uint64_t now,
				      hy_rudp_deliver_fn deliver, void *arg);

/* The same, whatever the retry time: for a receiver about to end the
 * session, which owes its application every message it acknowledged. */
enum hy_reason hy_rudp_deliver_held(struct hy_rudp *s, uint64_t now,
				    hy_rudp_deliver_fn deliver, void *arg);

/* True when an ACK is pending and its delay has run out: the caller
 * should send a packet (hy_rudp_poll_tx() writes it) even with no data. */
bool hy_rudp_ack_due(const struct hy_rudp *s, uint64_t now);

/* Earliest time hy_rudp_poll_tx() (or hy_rudp_retry_delivery(), for a held
 * message) has something to do: the ACK deadline, the first
 * retransmission, the held message's retry, or 0 when unsent units wait in the window
 * (backlog messages enter it as soon as acks make room, so 0 also follows
 * an ACK that let some in); HY_RUDP_NEVER if nothing is pending.  Backlog
 * messages still without room add no deadline of their own: only acks let
 * them in, and the retransmissions that ask for those are already timed. */
uint64_t hy_rudp_next_deadline(const struct hy_rudp *s);

static inline enum hy_rudp_verdict hy_rudp_verdict(const struct hy_rudp *s)
{
	return (enum hy_rudp_verdict)s->verdict;
}

/* True when the channel holds nothing: no ACK owed, nothing queued or
 * unacknowledged, verdict OK.  hy_rudp_poll_tx() would then write nothing
 * and no deadline is pending, so a sender need not ask it. */
static inline bool hy_rudp_idle(const struct hy_rudp *s)
{
	return s->verdict == HY_RUDP_OK && s->ack_pending == 0 && s->tx == NULL;
}

/* Session figures for telemetry. */
struct hy_rudp_info {
	uint32_t srtt_us, rttvar_us, rto_us; /* srtt 0: no sample yet */
	uint32_t tx_units, tx_bytes;          /* in the send window: unsent or unacked */
	uint32_t tx_backlog_units;            /* waiting for room in the window (no seqs yet) */
	uint32_t tx_backlog_bytes;            /* their message bytes; with tx_bytes <= tx_bytes_max */
	uint32_t rx_units, rx_bytes;          /* buffered ahead of delivery */
	uint64_t tx_next, rx_next;
	size_t mem_bytes;                     /* held from the allocator now */
};
void hy_rudp_info(const struct hy_rudp *s, struct hy_rudp_info *out);

/* ---- unreliable-sequenced: newest wins per stream ------------------------- */

/* One stream's receive state; zero-initialise. */
struct hy_seq_stream {
	uint32_t newest;
	bool seen;
};

/* True (and remembers seq) when seq is newer than every seq delivered on
 * this stream, in serial-number order (RFC 1982 over u32, so a stream
 * survives its counter wrapping); false for a stale or repeated one. */
static inline bool hy_seq_accept(struct hy_seq_stream *st, uint32_t seq)
{
	if (st->seen && (int32_t)(seq - st->newest) <= 0)
		return false;
	st->seen = true;
	st->newest = seq;
	return true;
}

/* ---- a fixed pool for hy_rudp_alloc -------------------------------------- */

#define HY_RUDP_POOL_CLASSES 6u

/*
 * Size-class allocator over one caller-supplied region: blocks of 64, 128,
 * 256, 512, 1280 and 2304 bytes carved on first use and recycled through
 * per-class free lists; never calls malloc, never gives memory back to the
 * region.  Single-threaded (one per lcore).
 */
struct hy_rudp_pool {
	uint8_t *base;
	size_t size, used;
	void *free_list[HY_RUDP_POOL_CLASSES];
	size_t in_use;       /* bytes handed out now (class sizes) */
	uint64_t failures;
};

void hy_rudp_pool_init(struct hy_rudp_pool *p, void *region, size_t size);
/* An allocator drawing from p. */
struct hy_rudp_alloc hy_rudp_pool_alloc(struct hy_rudp_pool *p);

#endif /* HY_RUDP_RUDP_H */
