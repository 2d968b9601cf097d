/* SPDX-License-Identifier: BSD-3-Clause
 * The TCP server's memory of session ids it has opened, so a token opens
 * one session only: each sid is kept until its token expires, up to a cap.
 * TCP tokens can only open TCP sessions (the token names its transport),
 * so this memory is separate from the data plane's and needs no sharing.
 * Single-threaded (the event loop).
 */
#ifndef HY_CP_SIDSET_H
#define HY_CP_SIDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hy_sidset;

/* At most cap sids (cap >= 1).  NULL when out of memory. */
struct hy_sidset *hy_sidset_create(size_t cap);
void hy_sidset_destroy(struct hy_sidset *s);

bool hy_sidset_has(const struct hy_sidset *s, uint64_t sid);

/* Remembers sid until expire_at (unix seconds).  Returns 0, -1 when the
 * set is full (after dropping expired entries) or out of memory: the
 * caller must then refuse the session (fail closed). */
int hy_sidset_add(struct hy_sidset *s, uint64_t sid, uint64_t expire_at, uint64_t now);

/* Forgets sids whose expiry has passed, oldest insertions first, at most
 * budget of them.  Returns how many. */
size_t hy_sidset_expire(struct hy_sidset *s, uint64_t now, size_t budget);

size_t hy_sidset_count(const struct hy_sidset *s);

#endif /* HY_CP_SIDSET_H */
