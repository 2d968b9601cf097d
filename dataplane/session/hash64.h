/* SPDX-License-Identifier: BSD-3-Clause
 * The rte_hash every data-plane table uses: 64-bit keys (session ids, room
 * ids, user keys), a pointer-sized value, extendable buckets.
 */
#ifndef HY_DP_HASH64_H
#define HY_DP_HASH64_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>

/* rte_hash compares keys of a length it has no routine for (8 bytes is
 * one) with memcmp(); a relayed packet asks four tables, so the keys are
 * compared as the one word they are.  Nonzero when they differ. */
static inline int hy_hash64_key_cmp(const void *a, const void *b, size_t len)
{
	uint64_t x, y;

	(void)len;
	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	return x != y;
}

/* A table of `entries` 64-bit keys named "<prefix><worker>_<serial>" (names
 * are global to the process), on socket_id.  NULL with rte_errno set. */
static inline struct rte_hash *hy_hash64_create(const char *prefix, unsigned worker,
						uint32_t entries, int socket_id)
{
	static unsigned serial;
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters p = {
		.name = name,
		/* rte_hash wants at least one bucket's worth */
		.entries = entries < 16u ? 16u : entries,
		.key_len = sizeof(uint64_t),
		.hash_func = rte_hash_crc,
		.socket_id = socket_id,
		/* an insert fails only when every entry is in use, never
		 * because cuckoo displacement gave up */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct rte_hash *h;

	snprintf(name, sizeof(name), "%s%u_%u", prefix, worker,
		 __atomic_fetch_add(&serial, 1, __ATOMIC_RELAXED));
	h = rte_hash_create(&p);
	/* process-local function pointer: no secondary process opens these */
	if (h != NULL)
		rte_hash_set_cmp_func(h, hy_hash64_key_cmp);
	return h;
}

#endif /* HY_DP_HASH64_H */
