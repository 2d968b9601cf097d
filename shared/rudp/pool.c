/* SPDX-License-Identifier: BSD-3-Clause
 * A fixed pool for the reliability layer's blocks and units: size classes
 * carved from one caller-supplied region and recycled through free lists.
 * Hand-written because it must be allocation-free, single-threaded and
 * usable both with and without DPDK (an rte_mempool per class is the
 * data plane's alternative).
 */
#include <string.h>

#include "rudp/rudp_internal.h"

/* The window blocks (32 + 8 x window bytes) and units (header + up to
 * 1160 message bytes) all fit one of these. */
static const size_t class_size[HY_RUDP_POOL_CLASSES] = {64, 128, 256, 512, 1280, 2304};

_Static_assert(sizeof(struct rudp_tx) + HY_RUDP_WINDOW_MAX * sizeof(void *) <= 2304,
	       "largest window block fits the largest class");
_Static_assert(sizeof(struct rudp_tx_unit) + HY_FRAME_MAX_RELIABLE <= 1280,
	       "largest unit fits class 4");

static int class_of(size_t size)
{
	for (unsigned i = 0; i < HY_RUDP_POOL_CLASSES; i++)
		if (size <= class_size[i])
			return (int)i;
	return -1;
}

static void *pool_alloc(void *arg, size_t size)
{
	struct hy_rudp_pool *p = arg;
	int c = class_of(size);
	void *b;

	if (c < 0) {
		p->failures++;
		return NULL;
	}
	if (p->free_list[c] != NULL) {
		b = p->free_list[c];
		memcpy(&p->free_list[c], b, sizeof(void *));
	} else {
		if (p->size - p->used < class_size[c]) {
			p->failures++;
			return NULL;
		}
		b = p->base + p->used;
		p->used += class_size[c];
	}
	p->in_use += class_size[c];
	return b;
}

static void pool_free(void *arg, void *b, size_t size)
{
	struct hy_rudp_pool *p = arg;
	int c = class_of(size);

	if (b == NULL || c < 0)
		return;
	memcpy(b, &p->free_list[c], sizeof(void *));
	p->free_list[c] = b;
	p->in_use -= class_size[c];
}

void hy_rudp_pool_init(struct hy_rudp_pool *p, void *region, size_t size)
{
	memset(p, 0, sizeof(*p));
	/* Keep every block 64-byte aligned: classes are multiples of 64. */
	uintptr_t a = (uintptr_t)region, al = (a + 63u) & ~(uintptr_t)63u;
	p->base = (uint8_t *)al;
	p->size = size > al - a ? size - (al - a) : 0;
}

struct hy_rudp_alloc hy_rudp_pool_alloc(struct hy_rudp_pool *p)
{
	return (struct hy_rudp_alloc){.alloc = pool_alloc, .free = pool_free, .arg = p};
}
