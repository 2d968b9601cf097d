/* SPDX-License-Identifier: BSD-3-Clause
 * The rte_hash every rooms table uses: 64-bit keys (room ids, session ids,
 * user keys), a pointer-sized value, extendable buckets.
 */
#ifndef HY_DP_ROOMS_HASH64_H
#define HY_DP_ROOMS_HASH64_H

#include <stdint.h>
#include <stdio.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>

/* A table of `entries` 64-bit keys named "<prefix><worker>_<serial>" (names
 * are global to the process), on socket_id.  NULL with rte_errno set. */
static inline struct rte_hash *hy_hash64_create(const char *prefix, unsigned worker,
						uint32_t entries, int socket_id)
{
	static unsigned serial;
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters p = {
		.name = name,
		.entries = entries < 16u ? 16u : entries,
		.key_len = sizeof(uint64_t),
		.hash_func = rte_hash_crc,
		.socket_id = socket_id,
		/* an insert fails only when every entry is in use, never
		 * because cuckoo displacement gave up */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	snprintf(name, sizeof(name), "%s%u_%u", prefix, worker,
		 __atomic_fetch_add(&serial, 1, __ATOMIC_RELAXED));
	return rte_hash_create(&p);
}

#endif /* HY_DP_ROOMS_HASH64_H */
