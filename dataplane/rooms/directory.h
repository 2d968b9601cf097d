/* SPDX-License-Identifier: BSD-3-Clause
 * The node's user-id directory, sharded over the workers: for DIRECT by
 * user id without the control plane.
 *
 * Sessions belong to the worker their sid names (hy_engine_owner()), so
 * no worker knows which one holds a given user.  Each worker therefore
 * keeps one shard of a directory from user id to session id: the entry for
 * a user lives on the worker hy_uid_shard() names, whichever worker owns
 * the session.  The owning worker files the entry when the session opens
 * and withdraws it when it closes (a mailbox entry when the shard is
 * another worker's); a lookup goes to the shard and then to the session's
 * owner.  No worker reads another's shard: no locks, no RCU.
 *
 * Keys are a 64-bit hash of the user id, not the id itself (fixed-size
 * rte_hash keys, 8 bytes instead of 65).  A collision can only make a
 * lookup name another user's session, and the session's owner checks the
 * user id before it delivers anything: a mismatch goes to the control
 * plane, which holds the full registry.  Several sessions of one user:
 * the newest wins, as in the control plane's registry.
 *
 * Single-threaded: a shard is used only by the lcore that created it.
 */
#ifndef HY_DP_ROOMS_DIRECTORY_H
#define HY_DP_ROOMS_DIRECTORY_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

struct hy_uid_dir_stats {
	uint64_t entries;  /* users filed in this shard (gauge) */
	uint64_t sets, dels;
	uint64_t full;     /* entries refused: the shard is full (lookups then go up) */
	uint64_t lookups, misses;
};

struct hy_uid_dir;

/* A shard of `entries` users (rte_hash on socket_id: EAL must be up).
 * NULL with a reason in err. */
struct hy_uid_dir *hy_uid_dir_create(uint16_t worker_id, uint32_t entries, int socket_id,
				     char *err, size_t err_len);
void hy_uid_dir_destroy(struct hy_uid_dir *d);

/* The directory key of a user id (len 1..HY_UID_MAX bytes). */
uint64_t hy_uid_key(const void *uid, size_t len);

/* The worker whose shard holds key. */
static inline uint16_t hy_uid_shard(uint64_t key, uint16_t n_workers)
{
	return hy_engine_owner(key, n_workers);
}

/* Files sid as the newest session of key. */
void hy_uid_dir_set(struct hy_uid_dir *d, uint64_t key, uint64_t sid);
/* Withdraws key, if it still names sid (a newer session keeps its entry). */
void hy_uid_dir_del(struct hy_uid_dir *d, uint64_t key, uint64_t sid);
/* The session filed under key, or 0. */
uint64_t hy_uid_dir_get(struct hy_uid_dir *d, uint64_t key);

const struct hy_uid_dir_stats *hy_uid_dir_stats(const struct hy_uid_dir *d);

#endif /* HY_DP_ROOMS_DIRECTORY_H */
