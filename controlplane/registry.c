/* SPDX-License-Identifier: BSD-3-Clause
 * Session registry (registry.h).
 *
 * An open-addressing hash table (linear probing, backward-shift deletion,
 * so no tombstones) keyed by sid.  Session ids are random 64-bit values,
 * so a multiplicative mix of the sid is a good enough hash.  Hand-written:
 * the libraries at hand either need EAL (rte_hash) or store pointers to
 * caller memory (hsearch, tsearch), and we want one compact array that is
 * copied under a lock.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

#define MIN_SLOTS 64u
/* At most this many sessions are provided for at creation: 2 x 65536
 * slots of 176 bytes, 23 MB. */
#define PRESIZE_MAX 65536u

struct entry {
	struct hy_cp_session s; /* s.sid == 0: free slot */
	uint32_t mark;
};

struct hy_registry {
	pthread_mutex_t lock;
	struct entry *tab;
	size_t slots; /* a power of two */
	size_t used;
	size_t per_transport[3];
	uint32_t mark;
};

static size_t slot_of(const struct hy_registry *r, uint64_t sid)
{
	return (size_t)((sid * 0x9e3779b97f4a7c15ull) >> 17) & (r->slots - 1);
}

struct hy_registry *hy_registry_create(size_t expect)
{
	struct hy_registry *r = calloc(1, sizeof(*r));
	size_t slots = MIN_SLOTS;

	if (r == NULL)
		return NULL;
	if (expect > PRESIZE_MAX)
		expect = PRESIZE_MAX;
	while (slots < 2 * expect)
		slots *= 2;
	/* Written now, not left to calloc's untouched zero pages: a connect
	 * storm on a fresh node otherwise pays a page fault per few sessions
	 * and a rehash per doubling, while the data plane waits for it. */
	r->tab = malloc(slots * sizeof(*r->tab));
	if (r->tab == NULL) {
		free(r);
		return NULL;
	}
	memset(r->tab, 0, slots * sizeof(*r->tab));
	r->slots = slots;
	pthread_mutex_init(&r->lock, NULL);
	return r;
}

size_t hy_registry_capacity(struct hy_registry *r)
{
	size_t n;

	pthread_mutex_lock(&r->lock);
	n = r->slots / 2;
	pthread_mutex_unlock(&r->lock);
	return n;
}

void hy_registry_destroy(struct hy_registry *r)
{
	if (r == NULL)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r->tab);
	free(r);
}

void hy_registry_prefetch(const struct hy_registry *r, uint64_t sid)
{
	const char *e = (const char *)&r->tab[slot_of(r, sid)];

	for (size_t off = 0; off < sizeof(struct entry); off += 64)
		__builtin_prefetch(e + off, 1);
}

/* Index of sid, or of the free slot where it would go. */
static size_t probe(const struct hy_registry *r, uint64_t sid)
{
	size_t i = slot_of(r, sid);

	while (r->tab[i].s.sid != 0 && r->tab[i].s.sid != sid)
		i = (i + 1) & (r->slots - 1);
	return i;
}

static int grow(struct hy_registry *r)
{
	struct entry *old = r->tab;
	size_t n = r->slots, i;

	r->tab = calloc(n * 2, sizeof(*r->tab));
	if (r->tab == NULL) {
		r->tab = old;
		return -1;
	}
	r->slots = n * 2;
	for (i = 0; i < n; i++)
		if (old[i].s.sid != 0)
			r->tab[probe(r, old[i].s.sid)] = old[i];
	free(old);
	return 0;
}

static void count_transport(struct hy_registry *r, uint8_t transport, int delta)
{
	if (transport < 3)
		r->per_transport[transport] += (size_t)delta;
}

int hy_registry_upsert(struct hy_registry *r, const struct hy_cp_session *s)
{
	struct entry *e;
	int rc = 0;

	if (s->sid == 0)
		return -1;
	pthread_mutex_lock(&r->lock);
	/* Keep the load under one half: probes stay short. */
	if ((r->used + 1) * 2 > r->slots && grow(r) < 0) {
		pthread_mutex_unlock(&r->lock);
		return -1;
	}
	e = &r->tab[probe(r, s->sid)];
	if (e->s.sid == 0) {
		e->s = *s;
		r->used++;
		count_transport(r, s->transport, 1);
		rc = 1;
	} else {
		uint64_t opened = e->s.opened_unix_ms, commands = e->s.commands;

		count_transport(r, e->s.transport, -1);
		e->s = *s;
		e->s.opened_unix_ms = opened;
		e->s.commands = commands;
		count_transport(r, s->transport, 1);
	}
	e->mark = r->mark;
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* Removes the entry at i, shifting later members of its probe run back so
 * lookups never meet a hole.  Lock held. */
static void remove_at(struct hy_registry *r, size_t i)
{
	size_t mask = r->slots - 1, j = i;

	count_transport(r, r->tab[i].s.transport, -1);
	r->used--;
	for (;;) {
		j = (j + 1) & mask;
		if (r->tab[j].s.sid == 0)
			break;
		size_t home = slot_of(r, r->tab[j].s.sid);
		/* Move j into the hole at i unless its home lies cyclically
		 * in (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			r->tab[i] = r->tab[j];
			i = j;
		}
	}
	memset(&r->tab[i], 0, sizeof(r->tab[i]));
}

int hy_registry_remove(struct hy_registry *r, uint64_t sid)
{
	size_t i;
	int rc = -1;

	if (sid == 0)
		return -1;
	pthread_mutex_lock(&r->lock);
	i = probe(r, sid);
	if (r->tab[i].s.sid == sid) {
		remove_at(r, i);
		rc = 0;
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int hy_registry_note_command(struct hy_registry *r, uint64_t sid, uint64_t now_unix_ms)
{
	size_t i;
	int rc = -1;

	if (sid == 0)
		return -1;
	pthread_mutex_lock(&r->lock);
	i = probe(r, sid);
	if (r->tab[i].s.sid == sid) {
		r->tab[i].s.commands++;
		r->tab[i].s.last_seen_unix_ms = now_unix_ms;
		rc = 0;
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int hy_registry_get(struct hy_registry *r, uint64_t sid, struct hy_cp_session *out)
{
	size_t i;
	int rc = -1;

	if (sid == 0)
		return -1;
	pthread_mutex_lock(&r->lock);
	i = probe(r, sid);
	if (r->tab[i].s.sid == sid) {
		if (out != NULL)
			*out = r->tab[i].s;
		rc = 0;
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

size_t hy_registry_count(struct hy_registry *r, uint8_t transport)
{
	size_t n;

	pthread_mutex_lock(&r->lock);
	n = transport == 0 ? r->used : transport < 3 ? r->per_transport[transport] : 0;
	pthread_mutex_unlock(&r->lock);
	return n;
}

static int cmp_entry(const void *a, const void *b)
{
	uint64_t x = (*(const struct entry *const *)a)->s.sid;
	uint64_t y = (*(const struct entry *const *)b)->s.sid;

	return x < y ? -1 : x > y;
}

size_t hy_registry_list(struct hy_registry *r, size_t offset, struct hy_cp_session *out,
			size_t cap, size_t *total)
{
	const struct entry **v;
	size_t i, n = 0, copied = 0;

	pthread_mutex_lock(&r->lock);
	if (total != NULL)
		*total = r->used;
	if (offset >= r->used || cap == 0)
		goto out;
	v = malloc(r->used * sizeof(*v));
	if (v == NULL)
		goto out;
	for (i = 0; i < r->slots; i++)
		if (r->tab[i].s.sid != 0)
			v[n++] = &r->tab[i];
	qsort(v, n, sizeof(*v), cmp_entry);
	for (i = offset; i < n && copied < cap; i++)
		out[copied++] = v[i]->s;
	free(v);
out:
	pthread_mutex_unlock(&r->lock);
	return copied;
}

size_t hy_registry_sids(struct hy_registry *r, uint8_t transport, uint64_t *out, size_t cap)
{
	size_t i, n = 0;

	pthread_mutex_lock(&r->lock);
	for (i = 0; i < r->slots && n < cap; i++)
		if (r->tab[i].s.sid != 0 && (transport == 0 || r->tab[i].s.transport == transport))
			out[n++] = r->tab[i].s.sid;
	pthread_mutex_unlock(&r->lock);
	return n;
}

uint32_t hy_registry_next_mark(struct hy_registry *r)
{
	uint32_t m;

	pthread_mutex_lock(&r->lock);
	m = ++r->mark;
	pthread_mutex_unlock(&r->lock);
	return m;
}

/* Removes the entries of transport for which drop() holds.  Lock held. */
static size_t remove_where(struct hy_registry *r, uint8_t transport, bool stale_only)
{
	size_t i = 0, n = 0;

	while (i < r->slots) {
		struct entry *e = &r->tab[i];

		if (e->s.sid != 0 && e->s.transport == transport &&
		    (!stale_only || e->mark != r->mark)) {
			/* The backward shift may pull an unvisited entry into
			 * slot i: look at i again. */
			remove_at(r, i);
			n++;
			continue;
		}
		i++;
	}
	return n;
}

size_t hy_registry_sweep(struct hy_registry *r, uint8_t transport)
{
	size_t n;

	pthread_mutex_lock(&r->lock);
	n = remove_where(r, transport, true);
	pthread_mutex_unlock(&r->lock);
	return n;
}

size_t hy_registry_remove_transport(struct hy_registry *r, uint8_t transport)
{
	size_t n;

	pthread_mutex_lock(&r->lock);
	n = remove_where(r, transport, false);
	pthread_mutex_unlock(&r->lock);
	return n;
}

uint64_t hy_registry_find_uid(struct hy_registry *r, const uint8_t *uid, size_t len)
{
	uint64_t sid = 0;
	size_t i;

	if (len == 0 || len > HY_UID_MAX)
		return 0;
	pthread_mutex_lock(&r->lock);
	for (i = 0; i < r->slots && sid == 0; i++) {
		const struct hy_cp_session *e = &r->tab[i].s;

		if (e->sid != 0 && strlen(e->uid) == len && memcmp(e->uid, uid, len) == 0)
			sid = e->sid;
	}
	pthread_mutex_unlock(&r->lock);
	return sid;
}
