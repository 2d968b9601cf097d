/* SPDX-License-Identifier: BSD-3-Clause
 * The room registry (the RIB of rooms): rooms, their members, owner,
 * properties and empty-room timers, held by the control plane's event
 * loop.  The data plane's fan-out table is programmed from here: every
 * change emits a TABLE_UPDATE body (ring/msg.h) through ops->table.
 *
 * Room id (64 bits): node_id u32 (bits 63..32) | serial u32 (bits 31..0).
 * The high half names the node that holds the room, so a node answers a
 * JOIN for another node's room with a redirect there (commands.c).  The serial
 * starts at a value chosen at start-up (a seed) and counts up, skipping 0
 * and ids still in use, so ids from before a restart are unlikely to name
 * a new room.  Id 0 means "no room".
 *
 * A session is in at most one room.  The owner is a member; when the owner
 * leaves, the member that joined earliest among those left becomes owner.
 * A room whose last member leaves is deleted at once, unless it allows
 * being empty: then it lives ttl_s more seconds (hy_rooms_tick deletes it)
 * or until someone joins.
 *
 * Everything is bounded: max_rooms rooms, max_members members each (at
 * most HY_ROOM_MEMBERS_MAX), HY_ROOM_PROPS_MAX properties of at most
 * HY_ROOM_KEY_MAX key bytes and HY_ROOM_VALUE_MAX value bytes, and
 * HY_ROOM_PROP_BYTES bytes of keys and values per room.
 *
 * Re-entrancy: pushes go out through ops->push while a call is running;
 * if delivering one closes a session (a TCP consumer over its cap) and
 * the caller reports it with hy_rooms_session_closed from inside that
 * push, the close is queued and carried out when the outer call returns.
 * Loop thread only.
 */
#ifndef HY_CP_ROOMS_H
#define HY_CP_ROOMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/reason.h"
#include "config/conf.h"
#include "proto/limits.h"
#include "proto/room_msg.h"
#include "ring/msg.h"

_Static_assert(HY_ROOM_MEMBERS_MAX == HY_TABLE_MAX_MEMBERS,
	       "a room's members must fit one TABLE_UPDATE");

struct hy_room_info {
	uint64_t id;
	uint64_t owner;       /* 0 while empty */
	uint16_t max_members;
	uint16_t members;
	bool allow_empty;
	uint32_t ttl_s;
	uint32_t interval_ms;
	uint16_t props;
	uint64_t created_ms;
};

struct hy_rooms_ops {
	/* Delivers one push (ver 1, cmd, status PUSH, payload) to n sessions. */
	void (*push)(void *arg, const uint64_t *sids, size_t n, uint16_t cmd,
		     const uint8_t *payload, size_t len);
	/* Sends one TABLE_UPDATE body down the ring.  Returns 0, or -1 when it
	 * could not (the room is then re-sent whole on a later tick). */
	int (*table)(void *arg, uint16_t op, const uint8_t *body, size_t len);
	/* True when sid is a TCP session (relayed by the control plane). */
	bool (*is_relay)(void *arg, uint64_t sid);
	void *arg;
};

/* Counters, X(name, description). */
#define HY_ROOMS_COUNTERS(X) \
	X(live,           "rooms held now") \
	X(created,        "rooms created") \
	X(deleted,        "rooms deleted (last member left)") \
	X(expired,        "empty rooms deleted at the end of their TTL") \
	X(joins,          "joins") \
	X(leaves,         "leaves, including closed sessions") \
	X(owner_changes,  "owners re-elected") \
	X(full,           "joins refused: room full") \
	X(limit,          "creates refused: max_rooms reached") \
	X(table_updates,  "TABLE_UPDATE bodies sent") \
	X(table_failed,   "TABLE_UPDATE bodies not delivered (room re-sent later)")

enum hy_rooms_counter {
#define HY_ROOMS_CNT_ENUM(name, text) HY_ROOMS_C_##name,
	HY_ROOMS_COUNTERS(HY_ROOMS_CNT_ENUM)
#undef HY_ROOMS_CNT_ENUM
	HY_ROOMS_C_COUNT
};

struct hy_rooms;

/* Creates an empty registry for node node_id with the module settings
 * (copied) and the callbacks (copied; any may be NULL).  seed picks the
 * first serial.  Returns NULL when out of memory. */
struct hy_rooms *hy_rooms_create(uint32_t node_id, const struct hy_modules_config *mods,
				 const struct hy_rooms_ops *ops, uint32_t seed);
/* Frees everything (no pushes, no table updates).  Safe on NULL. */
void hy_rooms_destroy(struct hy_rooms *r);

/*
 * Creates a room with p, and sid (uid for the pushes, uid_len bytes)
 * joins it as owner.  *room_id gets the id.  Returns OK,
 * ROOM_ALREADY_IN (sid is in a room), ROOM_BAD_PARAMS (a field out of
 * range), ROOM_LIMIT (max_rooms reached) or ROOM_NO_MEMORY.
 */
enum hy_reason hy_rooms_create_room(struct hy_rooms *r, uint64_t sid, const char *uid,
				    size_t uid_len, const struct hy_room_params *p,
				    uint64_t now_ms, uint64_t *room_id);

/* sid joins room_id; the other members get MEMBER_JOINED.  Returns OK,
 * ROOM_NOT_FOUND, ROOM_FULL, ROOM_ALREADY_IN or ROOM_NO_MEMORY. */
enum hy_reason hy_rooms_join(struct hy_rooms *r, uint64_t sid, const char *uid, size_t uid_len,
			     uint64_t room_id, uint64_t now_ms);

/* Joins the oldest room that has a free place and the same max_members
 * and interval as p would give, or creates one with p.  *created tells
 * which.  Returns what create or join return. */
enum hy_reason hy_rooms_random_join(struct hy_rooms *r, uint64_t sid, const char *uid,
				    size_t uid_len, const struct hy_room_params *p,
				    uint64_t now_ms, uint64_t *room_id, bool *created);

/* sid leaves its room (MEMBER_LEFT, and OWNER_CHANGED if it owned it, to
 * the others).  Returns OK or ROOM_NOT_IN. */
enum hy_reason hy_rooms_leave(struct hy_rooms *r, uint64_t sid, uint64_t now_ms);

/* A session ended: leaves its room if it is in one.  Safe to call from
 * inside ops->push (queued until the running call ends). */
void hy_rooms_session_closed(struct hy_rooms *r, uint64_t sid, uint64_t now_ms);

/* Members of one kind (relay false: UDP, true: TCP) for which gone(arg,
 * sid) holds, or all of that kind when gone is NULL, leave (the data plane
 * died, or a resync found them gone).  Returns how many. */
size_t hy_rooms_drop_if(struct hy_rooms *r, bool relay, bool (*gone)(void *arg, uint64_t sid),
			void *arg, uint64_t now_ms);

/* Deletes empty rooms whose TTL passed and re-sends rooms whose last
 * table update was not delivered.  Call from the loop's timer. */
void hy_rooms_tick(struct hy_rooms *r, uint64_t now_ms);

/* The data plane (re)attached: sends ROOM_CLEAR then one ROOM_SET per
 * room. */
void hy_rooms_table_resync(struct hy_rooms *r);

/* The node id this registry names its rooms with (high half of an id). */
uint32_t hy_rooms_node_id(const struct hy_rooms *r);

/* Room of sid, or 0. */
uint64_t hy_rooms_room_of(const struct hy_rooms *r, uint64_t sid);

/* Fills info for room_id.  Returns 0, or -1 if there is no such room. */
int hy_rooms_info(const struct hy_rooms *r, uint64_t room_id, struct hy_room_info *info);

/* Copies members [offset, offset + cap) of room_id in join order into
 * sids.  Returns how many, or -1 if there is no such room. */
int hy_rooms_members(const struct hy_rooms *r, uint64_t room_id, size_t offset, uint64_t *sids,
		     size_t cap);

/* Rooms with an id greater than after, in id order, at most cap of them;
 * with joinable only those with a free place.  *total (may be NULL) gets
 * the number of rooms.  Returns how many were copied. */
size_t hy_rooms_list(const struct hy_rooms *r, uint64_t after, bool joinable,
		     struct hy_room_info *out, size_t cap, size_t *total);

/* Number of rooms. */
size_t hy_rooms_count(const struct hy_rooms *r);

/* Sets n properties of sid's room room_id, all or none.  Returns OK,
 * ROOM_NOT_FOUND, ROOM_NOT_IN (sid is not a member), ROOM_BAD_PARAMS (a
 * key or value out of range, a key twice) or ROOM_PROPS_FULL (count or
 * byte cap). */
enum hy_reason hy_rooms_props_set(struct hy_rooms *r, uint64_t sid, uint64_t room_id,
				  const struct hy_room_prop *props, size_t n);

/* Adds delta to the integer property key of room_id (created at 0 when
 * absent), and *value gets the result.  Returns OK, ROOM_NOT_FOUND,
 * ROOM_NOT_IN, ROOM_PROP_TYPE (the property holds bytes), ROOM_OVERFLOW
 * (int64 overflow: nothing changes), ROOM_BAD_PARAMS or ROOM_PROPS_FULL. */
enum hy_reason hy_rooms_props_incr(struct hy_rooms *r, uint64_t sid, uint64_t room_id,
				   const uint8_t *key, size_t key_len, int64_t delta,
				   int64_t *value);

/* Property key of room_id into *out (pointers valid until the room's next
 * change).  Returns 0, -1 if absent, -2 if there is no such room. */
int hy_rooms_prop_get(const struct hy_rooms *r, uint64_t room_id, const uint8_t *key,
		      size_t key_len, struct hy_room_prop *out);

/* The i-th property of room_id (insertion order) into *out.  Returns 0,
 * -1 past the end, -2 if there is no such room. */
int hy_rooms_prop_at(const struct hy_rooms *r, uint64_t room_id, size_t i,
		     struct hy_room_prop *out);

/* Counter value; any thread (the counters are atomics). */
uint64_t hy_rooms_counter(const struct hy_rooms *r, enum hy_rooms_counter c);
const char *hy_rooms_counter_name(enum hy_rooms_counter c);

#endif /* HY_CP_ROOMS_H */
