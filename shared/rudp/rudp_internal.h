/* SPDX-License-Identifier: BSD-3-Clause
 * Private layout of the reliability layer's blocks, shared by its files.
 */
#ifndef HY_RUDP_INTERNAL_H
#define HY_RUDP_INTERNAL_H

#include "rudp/rudp.h"

#define SEQ_SPACE (1ull << 32) /* seqs are 0 .. 2^32 - 1 and never wrap */
#define CLOCK_GRANULARITY_US 1000u
/* A refused delivery is offered again after retry_us, doubling with each
 * refusal in a row up to retry_us << HOLD_BACKOFF_MAX. */
#define HOLD_BACKOFF_MAX 5u

/* flags in struct hy_rudp */
#define F_HAVE_RTT 0x01u   /* srtt holds a sample */

/* One reliable unit: in the window (it has a seq, waits to be sent or
 * acked), or in the backlog (no seq yet, waits for room in the window).
 * count 0: a RELIABLE frame; otherwise a FRAGMENT (index of count). */
struct rudp_tx_unit {
	union {
		uint64_t deadline;          /* window: next (re)transmission; valid once sent */
		struct rudp_tx_unit *next;  /* backlog: the unit behind this one */
	};
	uint64_t sent_at;   /* first transmission, for the RTT sample */
	uint32_t seq;       /* given when the unit enters the window */
	uint16_t len;
	uint8_t index, count;
	uint8_t retries;    /* resends since the peer last acked anything */
	uint8_t resent;     /* ever resent: no RTT sample from it (Karn) */
	uint8_t data[];
};

struct rudp_tx {
	uint64_t una;       /* oldest seq not yet acked */
	uint64_t sent_next; /* first seq never sent; una <= sent_next <= tx_next */
	uint64_t min_deadline; /* earliest unit deadline, HY_RUDP_NEVER if none */
	uint32_t bytes;     /* message bytes in the window */
	uint32_t units;     /* units in the window */
	/* Whole messages the window has no room for yet, oldest first; they
	 * enter it in this order (tx_admit in send.c).  tx_bytes_max counts
	 * bytes + bl_bytes. */
	struct rudp_tx_unit *bl_head, *bl_tail;
	uint32_t bl_bytes;  /* message bytes in the backlog */
	uint32_t bl_units;  /* units in the backlog */
	struct rudp_tx_unit *slot[]; /* window entries, by seq & (window - 1) */
};

struct rudp_rx_unit {
	uint32_t seq;
	uint16_t len;
	uint8_t index, count; /* count 0: a whole RELIABLE message */
	uint8_t data[];
};

struct rudp_rx {
	uint64_t high;      /* highest seq buffered */
	uint64_t retry_at;  /* the head message was refused: offer it again then; 0: not held */
	uint32_t holds;     /* refusals in a row, for the back-off */
	uint32_t bytes;     /* message bytes buffered */
	uint32_t units;
	struct rudp_rx_unit *slot[]; /* by seq & (window - 1), seqs rx_next .. rx_next + window - 1 */
};

static inline size_t tx_block_size(const struct hy_rudp_env *env)
{
	return sizeof(struct rudp_tx) + env->cfg.window * sizeof(struct rudp_tx_unit *);
}

static inline size_t rx_block_size(const struct hy_rudp_env *env)
{
	return sizeof(struct rudp_rx) + env->cfg.window * sizeof(struct rudp_rx_unit *);
}

static inline void *env_alloc(struct hy_rudp_env *env, size_t size)
{
	void *p = env->cfg.alloc.alloc(env->cfg.alloc.arg, size);
	if (p == NULL)
		env->stats.alloc_failures++;
	return p;
}

static inline void env_free(struct hy_rudp_env *env, void *p, size_t size)
{
	env->cfg.alloc.free(env->cfg.alloc.arg, p, size);
}

/* rudp.c */
void rudp_rtt_sample(struct hy_rudp *s, uint64_t rtt_us);
void rudp_break(struct hy_rudp *s);
/* send.c */
void rudp_tx_on_ack(struct hy_rudp *s, const struct hy_frame_ack *ack, uint64_t now);
void rudp_tx_release(struct hy_rudp *s);
/* recv.c */
bool rudp_write_acks(struct hy_rudp *s, uint64_t now, struct hy_wr *w, unsigned *frames,
		     unsigned max_frames);
enum hy_reason rudp_rx_unit(struct hy_rudp *s, const struct hy_frame *f, uint64_t now,
			    hy_rudp_deliver_fn deliver, void *arg);
enum hy_reason rudp_rx_drain(struct hy_rudp *s, uint64_t now, hy_rudp_deliver_fn deliver,
			     void *arg);
void rudp_rx_release(struct hy_rudp *s);

#endif /* HY_RUDP_INTERNAL_H */
