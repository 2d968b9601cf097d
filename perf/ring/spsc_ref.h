/* SPDX-License-Identifier: BSD-3-Clause
 * Reference single-producer/single-consumer ring of fixed-size slots, used
 * only as the baseline the rte_ring-based ring is measured against.
 *
 * Free-running u32 indexes on separate cache lines, C11 acquire/release,
 * and each side caches the other's index so it reads the remote cache line
 * only when its cached view says the ring is full (producer) or empty
 * (consumer).
 */
#ifndef HY_PERF_SPSC_REF_H
#define HY_PERF_SPSC_REF_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct spsc_shared {
	alignas(64) _Atomic uint32_t head; /* written by the producer */
	alignas(64) _Atomic uint32_t tail; /* written by the consumer */
	alignas(64) uint8_t slots[];
};

struct spsc_end {
	struct spsc_shared *sh;
	uint32_t size; /* power of two */
	uint32_t esize;
	uint32_t mine;   /* producer: head; consumer: tail */
	uint32_t theirs; /* cached remote index */
};

static inline size_t spsc_region_size(uint32_t size, uint32_t esize)
{
	return sizeof(struct spsc_shared) + (size_t)size * esize;
}

static inline void spsc_end_init(struct spsc_end *e, struct spsc_shared *sh,
	uint32_t size, uint32_t esize)
{
	e->sh = sh;
	e->size = size;
	e->esize = esize;
	e->mine = 0;
	e->theirs = 0;
}

static inline uint8_t *spsc_slot(const struct spsc_end *e, uint32_t idx)
{
	return e->sh->slots + (size_t)(idx & (e->size - 1)) * e->esize;
}

/* Producer: up to n free slots starting at index *first. */
static inline uint32_t spsc_reserve(struct spsc_end *e, uint32_t n,
	uint32_t *first)
{
	uint32_t free = e->size - (e->mine - e->theirs);
	if (free < n) {
		e->theirs = atomic_load_explicit(&e->sh->tail, memory_order_acquire);
		free = e->size - (e->mine - e->theirs);
	}
	*first = e->mine;
	return n < free ? n : free;
}

static inline void spsc_commit(struct spsc_end *e, uint32_t n)
{
	e->mine += n;
	atomic_store_explicit(&e->sh->head, e->mine, memory_order_release);
}

/* Consumer: up to n readable slots starting at index *first. */
static inline uint32_t spsc_peek(struct spsc_end *e, uint32_t n,
	uint32_t *first)
{
	uint32_t avail = e->theirs - e->mine;
	if (avail < n) {
		e->theirs = atomic_load_explicit(&e->sh->head, memory_order_acquire);
		avail = e->theirs - e->mine;
	}
	*first = e->mine;
	return n < avail ? n : avail;
}

static inline void spsc_release(struct spsc_end *e, uint32_t n)
{
	e->mine += n;
	atomic_store_explicit(&e->sh->tail, e->mine, memory_order_release);
}

#endif /* HY_PERF_SPSC_REF_H */
