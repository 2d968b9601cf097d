/* SPDX-License-Identifier: BSD-3-Clause
 * One direction of the shared-memory link between the data plane and the
 * control plane: a memfd region holding a versioned header and a DPDK
 * rte_ring of fixed HY_RING_SLOT_SIZE slots, plus an eventfd for wake-ups.
 *
 * Single producer, single consumer.  The rte_ring is initialised in place
 * with rte_ring_init() and used through its zero-copy elem API; nothing
 * here needs rte_eal_init(), so the control plane links librte_ring
 * without starting EAL.  The region holds offsets only, never pointers.
 *
 * Region layout (native byte order: both processes share one host):
 *   0      struct hy_ring_shared (HY_RING_HDR_SIZE bytes, three 64-byte
 *          lines: constants, producer line, consumer line)
 *   ring_off  struct rte_ring (its own head/tail lines), then slot_count
 *          slots of slot_size bytes.
 *
 * Wake-up: the consumer may sleep on the eventfd.  It first drains the
 * ring, then hy_ring_arm() raises consumer_waiting, issues a full fence and
 * looks at the ring again; the producer publishes its slots, issues a full
 * fence, and writes the eventfd only if it takes consumer_waiting from 1 to
 * 0.  Either the consumer's second look sees the new slots or the producer
 * sees the flag (store, fence, load on both sides), so no wake-up is lost,
 * and the eventfd is written once per empty->non-empty transition that a
 * sleeping consumer is waiting for, never per message.
 */
#ifndef HY_RING_RING_H
#define HY_RING_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/reason.h"
#include "ring/msg.h"

#define HY_RING_MAGIC 0x4859524e47303031ull /* "HYRNG001" */
#define HY_RING_LAYOUT_VERSION 1u
#define HY_RING_HDR_SIZE 256u
#define HY_RING_MIN_SLOTS 4u
#define HY_RING_MAX_SLOTS (1u << 20)

/* The shared header at offset 0 of each region. */
struct hy_ring_shared {
	/* Written once by the creator before the region is shared. */
	uint64_t magic;
	uint32_t layout_version;
	uint32_t dpdk_version;   /* RTE_VERSION: the rte_ring layout is DPDK's */
	uint32_t dir;            /* enum hy_ring_dir */
	uint32_t slot_size;
	uint32_t slot_count;     /* ring size, a power of two; capacity is one less */
	uint32_t hdr_size;
	uint64_t region_size;
	uint64_t ring_off;       /* offset of the struct rte_ring */
	uint8_t pad0[64 - 48];

	/* Producer line: pid 0 means no producer attached. */
	_Atomic uint32_t producer_pid;
	uint32_t pad1;
	_Atomic uint64_t producer_generation; /* bumped on every attach */
	_Atomic uint64_t producer_heartbeat;  /* CLOCK_MONOTONIC ns */
	uint8_t pad2[64 - 24];

	/* Consumer line. */
	_Atomic uint32_t consumer_pid;
	_Atomic uint32_t consumer_waiting;    /* 1: asleep on the eventfd */
	_Atomic uint64_t consumer_generation;
	_Atomic uint64_t consumer_heartbeat;
	uint8_t pad3[64 - 24];

	uint8_t pad4[HY_RING_HDR_SIZE - 192];
};

enum hy_ring_role {
	HY_RING_PRODUCER = 0,
	HY_RING_CONSUMER = 1,
};

/* Per-handle counters (process-local, never shared). */
struct hy_ring_stats {
	uint64_t sent_msgs;
	uint64_t sent_slots;
	uint64_t full;       /* sends refused: RING_FULL */
	uint64_t peer_gone;  /* sends refused: RING_PEER_GONE */
	uint64_t wakeups;    /* eventfd writes */
	uint64_t recv_msgs;
	uint64_t recv_slots;
	uint64_t bad;        /* slots or messages dropped as malformed */
	uint64_t last_bad;   /* enum hy_reason of the last drop */
};

struct hy_ring;

/* A run of reserved (producer) or peeked (consumer) slots; at most two
 * contiguous pieces because the ring wraps. */
struct hy_ring_span {
	uint8_t *ptr1;
	uint8_t *ptr2;
	unsigned n1;
	unsigned n;
};

/* Slot i (< sp->n) of a span. */
static inline uint8_t *hy_ring_span_slot(const struct hy_ring_span *sp,
	unsigned i)
{
	return i < sp->n1 ? sp->ptr1 + (size_t)i * HY_RING_SLOT_SIZE :
		sp->ptr2 + (size_t)(i - sp->n1) * HY_RING_SLOT_SIZE;
}

/* Bytes of a region holding slot_count slots. */
size_t hy_ring_region_size(uint32_t slot_count);

/*
 * Creates a region (sealed memfd) and an eventfd for one direction; the
 * caller is the side named by role and owns the handle.  slot_count must be
 * a power of two in [HY_RING_MIN_SLOTS, HY_RING_MAX_SLOTS].  Returns 0 or a
 * negative errno; *out is NULL on failure.
 */
int hy_ring_create(struct hy_ring **out, enum hy_ring_dir dir,
	enum hy_ring_role role, uint32_t slot_count);

/*
 * Maps a region received from the peer and checks it (see
 * hy_ring_check_layout); expect_slots 0 accepts any valid count.  On
 * success the handle owns memfd and efd; on failure they are left to the
 * caller.  Returns 0, -errno, or -EPROTO with *why set for a bad layout.
 */
int hy_ring_attach(struct hy_ring **out, int memfd, int efd,
	enum hy_ring_dir dir, enum hy_ring_role role, uint32_t expect_slots,
	enum hy_reason *why);

/* Unmaps and closes.  Safe on NULL. */
void hy_ring_close(struct hy_ring *r);

/*
 * Checks a region header: magic (HY_R_RING_BAD_MESSAGE), layout and DPDK
 * version (HY_R_BAD_VERSION), direction, slot size, slot count, header and
 * region sizes and the embedded rte_ring geometry (HY_R_BAD_LENGTH).
 */
enum hy_reason hy_ring_check_layout(const void *base, size_t size,
	enum hy_ring_dir dir);

int hy_ring_memfd(const struct hy_ring *r);
int hy_ring_eventfd(const struct hy_ring *r);
struct hy_ring_shared *hy_ring_shared(const struct hy_ring *r);
const struct hy_ring_stats *hy_ring_stats(const struct hy_ring *r);
/* Slots the ring can hold (slot_count - 1). */
unsigned hy_ring_capacity(const struct hy_ring *r);
/* Slots currently queued (a snapshot). */
unsigned hy_ring_count(const struct hy_ring *r);

/*
 * Records the peer (pid > 0) in the header, bumps its generation and marks
 * it present; pid 0 records that the peer left and makes sends fail with
 * HY_R_RING_PEER_GONE.  Called by the side that owns the rendezvous.
 */
void hy_ring_set_peer(struct hy_ring *r, pid_t pid);

/*
 * Takes the peer's pid from the header and watches it (pidfd when the
 * kernel allows, else kill(pid, 0)).  Called after attach by the side that
 * did not create the region.
 */
void hy_ring_watch_peer(struct hy_ring *r);

/*
 * True while the peer is present and its process exists.  A dead or
 * departed peer is remembered: later sends return HY_R_RING_PEER_GONE.
 * Costs a system call; call it from a timer, not per message.
 */
bool hy_ring_peer_alive(struct hy_ring *r);

/* Marks the peer gone without any check (e.g. on socket hangup). */
void hy_ring_mark_peer_gone(struct hy_ring *r);

/* Stores CLOCK_MONOTONIC ns in this side's heartbeat field. */
void hy_ring_heartbeat(struct hy_ring *r);
/* The peer's last heartbeat (0 if it never beat). */
uint64_t hy_ring_peer_heartbeat(const struct hy_ring *r);

/* ---- producer ----------------------------------------------------------- */

/*
 * Reserves up to n free slots for writing in place (n <= 64 at a time is
 * typical).  bulk: all n or none.  Returns the number reserved (sp->n); 0
 * with *why = HY_R_RING_FULL or HY_R_RING_PEER_GONE.  Each reserved slot
 * must be filled with a valid slot (hy_msg_encode_slot / hy_msg_split) and
 * then hy_ring_commit() called before the next reserve.
 */
unsigned hy_ring_reserve(struct hy_ring *r, unsigned n, bool bulk,
	struct hy_ring_span *sp, enum hy_reason *why);

/* Publishes the first n reserved slots (n <= reserved) and wakes a
 * sleeping consumer if there is one. */
void hy_ring_commit(struct hy_ring *r, unsigned n);

/*
 * Encodes and enqueues one message, in several slots when it is larger
 * than one (all parts or none).  Returns HY_R_OK, HY_R_RING_FULL,
 * HY_R_RING_PEER_GONE, or an encoder reason.  Never blocks.
 */
enum hy_reason hy_ring_send(struct hy_ring *r, const struct hy_ring_msg *m);

/*
 * Encodes and enqueues messages msgs[0..n-1] in order, each whole (all its
 * parts) or not at all, and publishes them together: one fence, and at most
 * one wake-up of a sleeping consumer, for the lot.  Returns how many were
 * handled from the front: sent, or refused by the encoder (counted in
 * *n_bad and skipped); when fewer than n, *why says why the next did not
 * go (RING_FULL or RING_PEER_GONE).  Never blocks.
 */
unsigned hy_ring_send_many(struct hy_ring *r, const struct hy_ring_msg *const *msgs,
	unsigned n, unsigned *n_bad, enum hy_reason *why);

/*
 * Copies up to n already encoded single-slot messages (the used bytes
 * only) and publishes them.  Returns how many were sent; when fewer than n,
 * *why says why (RING_FULL or RING_PEER_GONE).
 */
unsigned hy_ring_send_burst(struct hy_ring *r, const void *const *slots,
	unsigned n, enum hy_reason *why);

/* ---- consumer ----------------------------------------------------------- */

/*
 * Makes up to n queued slots readable in place.  Returns the count (sp->n).
 * Finish with hy_ring_release() before the next peek.
 */
unsigned hy_ring_peek(struct hy_ring *r, unsigned n, struct hy_ring_span *sp);

/* Returns the first n peeked slots to the producer. */
void hy_ring_release(struct hy_ring *r, unsigned n);

/*
 * Decodes up to n messages, reassembling multi-part ones.  Malformed slots
 * are dropped and counted (stats.bad, stats.last_bad).  Pointer fields in
 * msgs point into the ring or into the handle's reassembly buffer and stay
 * valid until the next hy_ring_recv_burst/peek/close on this handle, which
 * also returns the slots to the producer.  At most one multi-part message
 * per call (one reassembly buffer): a second one ends the burst before it.
 * Returns the number decoded.
 */
unsigned hy_ring_recv_burst(struct hy_ring *r, struct hy_ring_msg *msgs,
	unsigned n);

/*
 * Prepares to sleep on hy_ring_eventfd(): clears stale wake-ups, raises
 * consumer_waiting and re-checks the ring.  Returns true if the ring is
 * still empty (sleep now: poll the eventfd for POLLIN), false if slots
 * arrived meanwhile (keep receiving; the flag is lowered again).
 */
bool hy_ring_arm(struct hy_ring *r);

#endif /* HY_RING_RING_H */
