/* SPDX-License-Identifier: BSD-3-Clause
 * The user-id directory, one shard per worker (see directory.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "directory.h"
#include "hash64.h"

#include "proto/limits.h"

struct hy_uid_dir {
	struct rte_hash *h; /* key -> sid */
	struct hy_uid_dir_stats stats;
};

struct hy_uid_dir *hy_uid_dir_create(uint16_t worker_id, uint32_t entries, int socket_id,
				     char *err, size_t err_len)
{
	struct hy_uid_dir *d = rte_zmalloc_socket("hy_uid_dir", sizeof(*d), RTE_CACHE_LINE_SIZE,
						  socket_id);

	if (d == NULL) {
		snprintf(err, err_len, "user directory: out of memory");
		return NULL;
	}
	d->h = hy_hash64_create("hy_uid", worker_id, entries, socket_id);
	if (d->h == NULL) {
		snprintf(err, err_len, "user directory: rte_hash: %s", rte_strerror(rte_errno));
		rte_free(d);
		return NULL;
	}
	return d;
}

void hy_uid_dir_destroy(struct hy_uid_dir *d)
{
	if (d == NULL)
		return;
	rte_hash_free(d->h);
	rte_free(d);
}

/* Two CRC32-C passes with unrelated seeds: a well-spread 64-bit key at a
 * few cycles per byte.  Not collision-resistant, and it need not be (see
 * directory.h). */
uint64_t hy_uid_key(const void *uid, size_t len)
{
	/* rte_hash_crc reads whole words: give it an aligned copy */
	uint64_t a[(HY_UID_MAX + 7u) / 8u] = {0};
	uint64_t k;

	if (len > HY_UID_MAX)
		len = HY_UID_MAX;
	memcpy(a, uid, len);
	k = (uint64_t)rte_hash_crc(a, (uint32_t)len, 0x9e3779b9u) << 32 |
	    rte_hash_crc(a, (uint32_t)len, 0x7f4a7c15u);
	return k != 0 ? k : 1;
}

void hy_uid_dir_set(struct hy_uid_dir *d, uint64_t key, uint64_t sid)
{
	void *old;
	int had = rte_hash_lookup_data(d->h, &key, &old) >= 0;

	if (rte_hash_add_key_data(d->h, &key, (void *)(uintptr_t)sid) < 0) {
		d->stats.full++;
		return;
	}
	d->stats.sets++;
	d->stats.entries += !had;
}

void hy_uid_dir_del(struct hy_uid_dir *d, uint64_t key, uint64_t sid)
{
	void *cur;

	if (rte_hash_lookup_data(d->h, &key, &cur) < 0 || (uintptr_t)cur != sid)
		return;
	if (rte_hash_del_key(d->h, &key) >= 0) {
		d->stats.dels++;
		d->stats.entries--;
	}
}

uint64_t hy_uid_dir_get(struct hy_uid_dir *d, uint64_t key)
{
	void *sid;

	d->stats.lookups++;
	if (rte_hash_lookup_data(d->h, &key, &sid) < 0) {
		d->stats.misses++;
		return 0;
	}
	return (uint64_t)(uintptr_t)sid;
}

const struct hy_uid_dir_stats *hy_uid_dir_stats(const struct hy_uid_dir *d)
{
	return &d->stats;
}
