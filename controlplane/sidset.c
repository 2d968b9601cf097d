/* SPDX-License-Identifier: BSD-3-Clause
 * Remembered session ids (sidset.h): an open-addressing set (linear
 * probing, backward-shift deletion) plus a FIFO in insertion order for
 * expiry.  An entry with a later expiry holds back the ones behind it,
 * which only keeps them longer (the same rule as the data plane's).
 * Both grow on demand up to the cap.
 */
#include <stdlib.h>
#include <string.h>

#include "sidset.h"

struct fifo_ent {
	uint64_t sid;
	uint64_t expire_at;
};

struct hy_sidset {
	size_t cap;
	uint64_t *tab; /* 0: free */
	size_t slots, used;
	struct fifo_ent *fifo;
	size_t fifo_alloc, head, count;
};

static size_t home(const struct hy_sidset *s, uint64_t sid)
{
	return (size_t)((sid * 0x9e3779b97f4a7c15ull) >> 17) & (s->slots - 1);
}

static size_t probe(const struct hy_sidset *s, uint64_t sid)
{
	size_t i = home(s, sid);

	while (s->tab[i] != 0 && s->tab[i] != sid)
		i = (i + 1) & (s->slots - 1);
	return i;
}

struct hy_sidset *hy_sidset_create(size_t cap)
{
	struct hy_sidset *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->cap = cap ? cap : 1;
	s->slots = 64;
	s->fifo_alloc = 32;
	s->tab = calloc(s->slots, sizeof(*s->tab));
	s->fifo = calloc(s->fifo_alloc, sizeof(*s->fifo));
	if (s->tab == NULL || s->fifo == NULL) {
		hy_sidset_destroy(s);
		return NULL;
	}
	return s;
}

void hy_sidset_destroy(struct hy_sidset *s)
{
	if (s == NULL)
		return;
	free(s->tab);
	free(s->fifo);
	free(s);
}

bool hy_sidset_has(const struct hy_sidset *s, uint64_t sid)
{
	return sid != 0 && s->tab[probe(s, sid)] == sid;
}

size_t hy_sidset_count(const struct hy_sidset *s)
{
	return s->count;
}

static void set_remove(struct hy_sidset *s, uint64_t sid)
{
	size_t mask = s->slots - 1, i = probe(s, sid), j = i;

	if (s->tab[i] != sid)
		return;
	s->used--;
	for (;;) {
		j = (j + 1) & mask;
		if (s->tab[j] == 0)
			break;
		size_t h = home(s, s->tab[j]);
		if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
			s->tab[i] = s->tab[j];
			i = j;
		}
	}
	s->tab[i] = 0;
}

static int grow_set(struct hy_sidset *s)
{
	uint64_t *old = s->tab;
	size_t n = s->slots, i;

	s->tab = calloc(n * 2, sizeof(*s->tab));
	if (s->tab == NULL) {
		s->tab = old;
		return -1;
	}
	s->slots = n * 2;
	for (i = 0; i < n; i++)
		if (old[i] != 0)
			s->tab[probe(s, old[i])] = old[i];
	free(old);
	return 0;
}

static int grow_fifo(struct hy_sidset *s)
{
	size_t n = s->fifo_alloc * 2, i;
	struct fifo_ent *f = calloc(n, sizeof(*f));

	if (f == NULL)
		return -1;
	for (i = 0; i < s->count; i++)
		f[i] = s->fifo[(s->head + i) % s->fifo_alloc];
	free(s->fifo);
	s->fifo = f;
	s->fifo_alloc = n;
	s->head = 0;
	return 0;
}

size_t hy_sidset_expire(struct hy_sidset *s, uint64_t now, size_t budget)
{
	size_t n = 0;

	while (n < budget && s->count > 0 && s->fifo[s->head].expire_at <= now) {
		set_remove(s, s->fifo[s->head].sid);
		s->head = (s->head + 1) % s->fifo_alloc;
		s->count--;
		n++;
	}
	return n;
}

int hy_sidset_add(struct hy_sidset *s, uint64_t sid, uint64_t expire_at, uint64_t now)
{
	if (sid == 0 || hy_sidset_has(s, sid))
		return -1;
	if (s->count >= s->cap)
		hy_sidset_expire(s, now, s->count);
	if (s->count >= s->cap)
		return -1;
	if ((s->used + 1) * 2 > s->slots && grow_set(s) < 0)
		return -1;
	if (s->count == s->fifo_alloc && grow_fifo(s) < 0)
		return -1;
	s->tab[probe(s, sid)] = sid;
	s->used++;
	s->fifo[(s->head + s->count) % s->fifo_alloc] = (struct fifo_ent){ sid, expire_at };
	s->count++;
	return 0;
}
