/* SPDX-License-Identifier: BSD-3-Clause
 * The control plane's registry of sessions (the RIB): UDP sessions as the
 * data plane reports them (SESSION_OPENED/CLOSED, resync), TCP sessions as
 * the TCP server opens and closes them.
 *
 * Thread-safe: every call takes the registry's mutex for the time of a
 * copy; callers only ever get copies.  Writers are the event loop; readers
 * are the loop and the HTTP threads.
 *
 * Resync: each entry carries a mark.  Before asking the data plane for a
 * resync the loop bumps the mark (hy_registry_next_mark); entries the
 * resync or fresh events re-announce get the new mark; at RESYNC_END the
 * UDP entries still carrying an older mark are gone (hy_registry_sweep).
 */
#ifndef HY_CP_REGISTRY_H
#define HY_CP_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "cp.h"

struct hy_registry;

/* Creates an empty registry with room for expect sessions (at most 65536)
 * before it has to grow, its memory written at once.  Returns NULL when
 * out of memory. */
struct hy_registry *hy_registry_create(size_t expect);

/* Sessions it holds before the table has to grow (the load stays under
 * one half). */
size_t hy_registry_capacity(struct hy_registry *r);
/* Frees it.  Safe on NULL. */
void hy_registry_destroy(struct hy_registry *r);

/*
 * Inserts s (s->sid non-zero) or updates the entry with its sid: an update
 * keeps opened_unix_ms and commands and takes the other fields from s.
 * The entry gets the current mark.  Returns 1 if inserted, 0 if updated,
 * -1 when out of memory or sid is zero.
 */
int hy_registry_upsert(struct hy_registry *r, const struct hy_cp_session *s);

/* Starts loading the table slot where sid is or would go, for an upsert or
 * remove soon after.  Only for the writer (the event loop): it reads the
 * table without the lock. */
void hy_registry_prefetch(const struct hy_registry *r, uint64_t sid);

/* Removes sid.  Returns 0, or -1 if there was no such session. */
int hy_registry_remove(struct hy_registry *r, uint64_t sid);

/* Counts one command for sid and sets last_seen_unix_ms.  Returns 0, or
 * -1 if there is no such session. */
int hy_registry_note_command(struct hy_registry *r, uint64_t sid, uint64_t now_unix_ms);

/* Copies the entry for sid into out (may be NULL: existence test).
 * Returns 0 or -1. */
int hy_registry_get(struct hy_registry *r, uint64_t sid, struct hy_cp_session *out);

/* The sid of a session whose user id is uid (len bytes), or 0.  A scan of
 * every slot under the lock: meant for DIRECT by user id, which is rare;
 * a uid index comes when it is not. */
uint64_t hy_registry_find_uid(struct hy_registry *r, const uint8_t *uid, size_t len);

/* Sessions of one transport (enum hy_transport), or of all when 0. */
size_t hy_registry_count(struct hy_registry *r, uint8_t transport);

/* Copies sessions [offset, offset + cap) in sid order into out; *total
 * (may be NULL) gets the number of sessions.  Returns the number copied.
 * Costs a sort of all sids under the lock: meant for the admin API. */
size_t hy_registry_list(struct hy_registry *r, size_t offset, struct hy_cp_session *out,
			size_t cap, size_t *total);

/* Copies the sids of one transport (0: all), at most cap of them, in
 * table order into out.  Returns how many.  One pass under the lock:
 * meant for a drain, which walks every session once. */
size_t hy_registry_sids(struct hy_registry *r, uint8_t transport, uint64_t *out, size_t cap);

/* Starts a new resync generation and returns its mark. */
uint32_t hy_registry_next_mark(struct hy_registry *r);

/* Removes the sessions of transport whose mark is not the current one.
 * Returns how many were removed. */
size_t hy_registry_sweep(struct hy_registry *r, uint8_t transport);

/* Removes every session of transport.  Returns how many. */
size_t hy_registry_remove_transport(struct hy_registry *r, uint8_t transport);

#endif /* HY_CP_REGISTRY_H */
