/* SPDX-License-Identifier: BSD-3-Clause
 * One worker's copy of the room fan-out table: the FIB of rooms.
 *
 * The control plane owns the rooms (controlplane/rooms.c) and programs
 * every change down the ring as a TABLE_UPDATE (ring/msg.h); the main
 * lcore posts a copy of each to every worker, and each worker applies it
 * to its own table between two bursts.  No worker reads a table another
 * lcore writes, so the packet path needs no lock, no RCU and no grace
 * period; the price is one copy of the table per worker
 * (docs/architecture.md, "Rooms").
 *
 * For each room the table keeps every member (sid and kind, sorted by sid
 * for MESSAGE's membership checks), and, derived from them for the
 * broadcast path: this worker's own UDP members, the set of other workers
 * that own UDP members, and the number of members the control plane
 * serves (TCP).  A second index maps each of this worker's members to its
 * room, so a sender's room is one lookup.
 *
 * Single-threaded: a table is used only by the lcore that created it.
 */
#ifndef HY_DP_ROOMS_FANOUT_H
#define HY_DP_ROOMS_FANOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/reason.h"
#include "engine.h"
#include "ring/msg.h"

#define HY_FANOUT_WORKER_WORDS (HY_ENGINE_MAX_WORKERS / 64u)

struct hy_fanout_config {
	uint16_t worker_id;  /* this worker */
	uint16_t n_workers;  /* as hy_engine_owner() is given them */
	uint32_t max_rooms;  /* rooms held; a ROOM_SET beyond is refused (ROOM_LIMIT) */
	uint32_t max_local;  /* this worker's members over all rooms */
	int socket_id;       /* NUMA socket of the tables, or SOCKET_ID_ANY (-1) */
};

/* One of this worker's UDP members of a room.  hint is the engine's last
 * known table index for sid, kept here for the relay: the engine checks it
 * before use and rewrites it (hy_engine_send_many), so a room's pushes
 * skip the session lookup while its members stay. */
struct hy_fanout_local {
	uint64_t sid;
	uint32_t hint;
};

/* A room as the relay reads it.  Valid until the next hy_fanout_apply(). */
struct hy_fanout_room {
	uint64_t id;
	uint32_t version;
	uint32_t interval_ms;
	uint16_t max_members;
	uint16_t n_members;  /* every member, every kind, every worker */
	uint16_t n_relay;    /* members the control plane serves (kind RELAY) */
	uint16_t n_local;    /* entries of local */
	struct hy_table_member *members; /* n_members, sorted by sid */
	struct hy_fanout_local *local; /* this worker's UDP members, in no particular order */
	uint64_t others[HY_FANOUT_WORKER_WORDS]; /* bit w: worker w owns UDP members */
	uint16_t cap, local_cap; /* allocated entries of members and local */
};

struct hy_fanout_stats {
	uint64_t updates;      /* TABLE_UPDATEs applied */
	uint64_t refused[HY_R_COUNT]; /* not applied, by reason */
	uint64_t rooms;        /* rooms held (gauge) */
	uint64_t local_members; /* this worker's members held (gauge) */
	uint64_t local_full;   /* members not indexed: max_local reached */
};

struct hy_fanout;

/* Allocates the table (rte_hash, rte_zmalloc: EAL must be up).  NULL with
 * a one-line reason in err. */
struct hy_fanout *hy_fanout_create(const struct hy_fanout_config *cfg, char *err,
				   size_t err_len);
void hy_fanout_destroy(struct hy_fanout *f);

/*
 * Applies one TABLE_UPDATE (op and body as the ring carries them).
 * Returns OK, or why nothing changed (counted): the decoder's reason for a
 * malformed body, ROOM_NOT_FOUND (a member change for a room this table
 * does not hold), TABLE_GAP (version not the room's next: the update is
 * ignored until the control plane's next ROOM_SET), ROOM_LIMIT (max_rooms
 * held), ROOM_FULL (a member beyond the room's max_members),
 * ROOM_NO_MEMORY.  An ADD of a member already there and a DEL of one that
 * is not are no-ops that still move the version.
 */
enum hy_reason hy_fanout_apply(struct hy_fanout *f, uint16_t op, const uint8_t *body,
			       size_t len);

/* The room with this id, or NULL. */
const struct hy_fanout_room *hy_fanout_find(const struct hy_fanout *f, uint64_t room_id);

/* The room one of this worker's UDP sessions is in, or NULL.  Answers
 * from what the last hy_fanout_prefetch() found when asked in its order. */
const struct hy_fanout_room *hy_fanout_room_of(struct hy_fanout *f, uint64_t sid);

/* Sids whose rooms hy_fanout_prefetch() remembers: a burst's worth. */
#define HY_FANOUT_MEMO 256u

/* Looks up the rooms of n member sids together (0s skipped) and prefetches
 * each room found: what a burst's broadcasts will ask hy_fanout_room_of()
 * for, in cache by then, and answered without a second lookup (the first
 * HY_FANOUT_MEMO of them, until the table next changes). */
void hy_fanout_prefetch(struct hy_fanout *f, const uint64_t *sids, unsigned n);

/* The member entry of sid in room, or NULL (binary search). */
const struct hy_table_member *hy_fanout_member(const struct hy_fanout_room *room,
					       uint64_t sid);

const struct hy_fanout_stats *hy_fanout_stats(const struct hy_fanout *f);

/* Bytes the table holds now (hashes, room slots, member arrays). */
size_t hy_fanout_memory(const struct hy_fanout *f);

#endif /* HY_DP_ROOMS_FANOUT_H */
