/* SPDX-License-Identifier: BSD-3-Clause
 * hayate-impair's decisions and its queue of delayed datagrams (a binary
 * min-heap on due time, ties broken by arrival order).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impair_engine.h"

struct heap_entry {
	uint64_t due_ns;
	uint64_t seq;		/* arrival order: keeps equal due times FIFO */
	uint64_t tag;
	void *data;
	size_t len;
	enum hy_impair_dir dir;
};

struct hy_impair_engine {
	struct hy_impair_params p;
	struct hy_impair_rng rng[HY_IMPAIR_NDIR];
	struct heap_entry *heap;
	uint32_t n;
	uint32_t cap;
	uint64_t bytes;
	uint64_t max_bytes;
	uint64_t next_seq;
	struct hy_impair_dir_stats st[HY_IMPAIR_NDIR];
};

/* ---- parameters --------------------------------------------------------- */

void
hy_impair_params_default(struct hy_impair_params *p)
{
	memset(p, 0, sizeof(*p));
	p->reorder_delay_ns = HY_IMPAIR_DEFAULT_REORDER_DELAY_NS;
	p->seed = 1;
}

/* strtod() also takes leading blanks, signs, "inf", "nan" and hex floats:
 * only plain decimals are meant here. */
static bool
plain_number_start(const char *s)
{
	if (s[0] != '.' && (s[0] < '0' || s[0] > '9'))
		return false;
	return strpbrk(s, "xX") == NULL;
}

int
hy_impair_parse_duration(const char *s, uint64_t bare_unit_ns, uint64_t *ns)
{
	static const struct {
		const char *suffix;
		double ns;
	} units[] = {
		{"s", 1e9}, {"ms", 1e6}, {"us", 1e3}, {"ns", 1.0},
	};
	char *end;
	double v, unit = 0;

	if (!plain_number_start(s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !isfinite(v) || v < 0)
		return -1;
	if (*end == '\0') {
		if (v == 0)
			unit = 1;
		else if (bare_unit_ns != 0)
			unit = (double)bare_unit_ns;
		else
			return -1;
	} else {
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strcmp(end, units[i].suffix) == 0)
				unit = units[i].ns;
		if (unit == 0)
			return -1;
	}
	v *= unit;
	if (v > (double)HY_IMPAIR_MAX_DURATION_NS)
		return -1;
	*ns = (uint64_t)llround(v);
	return 0;
}

static int
parse_prob(const char *s, double *out)
{
	char *end;
	double v;

	if (!plain_number_start(s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !(v >= 0 && v <= 1))
		return -1;
	*out = v;
	return 0;
}

static int
parse_seed(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end != '\0' || errno != 0)
		return -1;
	*out = v;
	return 0;
}

/* User text echoed in an error, with control and non-ASCII bytes shown as
 * '?' so the message stays one printable line. */
static const char *
printable(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

enum key_kind { KEY_PROB, KEY_DURATION, KEY_SEED };

static const struct {
	const char *name;
	enum key_kind kind;
	size_t off;
} keys[] = {
	{"loss", KEY_PROB, offsetof(struct hy_impair_params, loss)},
	{"dup", KEY_PROB, offsetof(struct hy_impair_params, dup)},
	{"reorder", KEY_PROB, offsetof(struct hy_impair_params, reorder)},
	{"delay", KEY_DURATION, offsetof(struct hy_impair_params, delay_ns)},
	{"jitter", KEY_DURATION, offsetof(struct hy_impair_params, jitter_ns)},
	{"reorder_delay", KEY_DURATION,
	 offsetof(struct hy_impair_params, reorder_delay_ns)},
	{"seed", KEY_SEED, offsetof(struct hy_impair_params, seed)},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

int
hy_impair_params_parse(struct hy_impair_params *p, const char *spec,
		       char *err, size_t errlen)
{
	bool seen[NKEYS] = {false};
	char *copy, *item, *save = NULL;
	int rc = -1;

	if (spec[0] == '\0' || strcmp(spec, "none") == 0)
		return 0;
	copy = strdup(spec);
	if (copy == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* strtok_r would skip empty items; an empty item is a typo. */
	for (item = copy; item != NULL; item = save) {
		char *eq, *val, pk[64], pv[64];
		size_t k;

		save = strchr(item, ',');
		if (save != NULL)
			*save++ = '\0';
		eq = strchr(item, '=');
		if (eq == NULL || eq == item) {
			snprintf(err, errlen, "'%s': expected key=value",
				 printable(item, pk, sizeof(pk)));
			goto out;
		}
		*eq = '\0';
		val = eq + 1;
		for (k = 0; k < NKEYS; k++)
			if (strcmp(item, keys[k].name) == 0)
				break;
		if (k == NKEYS) {
			snprintf(err, errlen,
				 "unknown key '%s' (keys: loss, dup, reorder, delay, jitter, reorder_delay, seed)",
				 printable(item, pk, sizeof(pk)));
			goto out;
		}
		if (seen[k]) {
			snprintf(err, errlen, "%s: given twice", item);
			goto out;
		}
		seen[k] = true;
		printable(val, pv, sizeof(pv));
		void *field = (char *)p + keys[k].off;
		switch (keys[k].kind) {
		case KEY_PROB:
			if (parse_prob(val, field) < 0) {
				snprintf(err, errlen,
					 "%s: must be a number from 0 to 1, got '%s'",
					 item, pv);
				goto out;
			}
			break;
		case KEY_DURATION:
			if (hy_impair_parse_duration(val, 0, field) < 0) {
				snprintf(err, errlen,
					 "%s: must be a duration from 0 to 60s with a unit (s, ms, us, ns), got '%s'",
					 item, pv);
				goto out;
			}
			break;
		case KEY_SEED:
			if (parse_seed(val, field) < 0) {
				snprintf(err, errlen,
					 "%s: must be an unsigned 64-bit integer, got '%s'",
					 item, pv);
				goto out;
			}
			break;
		}
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

static int
fmt_duration(char *buf, size_t len, uint64_t ns)
{
	if (ns % 1000000000ull == 0)
		return snprintf(buf, len, "%" PRIu64 "s", ns / UINT64_C(1000000000));
	if (ns % 1000000ull == 0)
		return snprintf(buf, len, "%" PRIu64 "ms", ns / UINT64_C(1000000));
	if (ns % 1000ull == 0)
		return snprintf(buf, len, "%" PRIu64 "us", ns / UINT64_C(1000));
	return snprintf(buf, len, "%" PRIu64 "ns", ns);
}

/* Probabilities as short as possible yet exact: %g when it reads back to
 * the same double, all 17 digits otherwise. */
static void
fmt_prob(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, len, "%.17g", v);
}

int
hy_impair_params_format(const struct hy_impair_params *p, char *buf, size_t len)
{
	char l[32], u[32], o[32], d[32], j[32], r[32];

	fmt_prob(l, sizeof(l), p->loss);
	fmt_prob(u, sizeof(u), p->dup);
	fmt_prob(o, sizeof(o), p->reorder);
	fmt_duration(d, sizeof(d), p->delay_ns);
	fmt_duration(j, sizeof(j), p->jitter_ns);
	fmt_duration(r, sizeof(r), p->reorder_delay_ns);
	return snprintf(buf, len,
			"loss=%s,dup=%s,reorder=%s,delay=%s,jitter=%s,reorder_delay=%s,seed=%" PRIu64,
			l, u, o, d, j, r, p->seed);
}

/* ---- random streams ----------------------------------------------------- */

/*
 * Hand-written on purpose: a run must replay bit for bit on any machine and
 * libc, which rules out rand()/random() (their sequences belong to the libc)
 * and OpenSSL's generator (not seedable for replay); DPDK's rte_rand() is a
 * single per-lcore stream that needs EAL.  xoshiro256** seeded by
 * splitmix64 (Blackman and Vigna) is small, fast and statistically sound.
 */
static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void
hy_impair_rng_seed(struct hy_impair_rng *r, uint64_t seed, uint64_t stream)
{
	/* Mix the stream number in first so stream 1 of seed s is not
	 * stream 0 of seed s + 1. */
	uint64_t x = seed;
	uint64_t y = stream ^ 0x6a09e667f3bcc908ull;

	x ^= splitmix64(&y);
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
hy_impair_rng_next(struct hy_impair_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform in [0, 1) with 53 bits. */
static inline double
unit_draw(uint64_t x)
{
	return (double)(x >> 11) * 0x1.0p-53;
}

/* Uniform in [0, n): the high half of a 128-bit product (bias < 2^-64 * n). */
static inline uint64_t
below(uint64_t x, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)x * n) >> 64);
}

void
hy_impair_decide_with(const struct hy_impair_params *p,
		      struct hy_impair_rng *r, struct hy_impair_decision *d)
{
	uint64_t x[HY_IMPAIR_DRAWS];

	/* Draw everything up front: the stream advances by the same amount
	 * whatever is decided, so datagram n always gets the same draws. */
	for (int i = 0; i < HY_IMPAIR_DRAWS; i++)
		x[i] = hy_impair_rng_next(r);
	memset(d, 0, sizeof(*d));
	if (unit_draw(x[0]) < p->loss)
		return;
	d->copies = unit_draw(x[1]) < p->dup ? 2 : 1;
	for (unsigned int c = 0; c < d->copies; c++) {
		const uint64_t *cx = &x[2 + 3 * c];
		uint64_t ns = p->delay_ns;

		if (p->jitter_ns != 0)
			ns += below(cx[0], p->jitter_ns + 1);
		if (unit_draw(cx[1]) < p->reorder) {
			d->held[c] = true;
			if (p->reorder_delay_ns != 0)
				ns += 1 + below(cx[2], p->reorder_delay_ns);
		}
		d->delay_ns[c] = ns;
	}
}

/* ---- engine ------------------------------------------------------------- */

struct hy_impair_engine *
hy_impair_engine_create(const struct hy_impair_params *p, uint32_t max_queued,
			uint64_t max_bytes)
{
	struct hy_impair_engine *e;

	if (max_queued == 0)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->heap = calloc(max_queued, sizeof(*e->heap));
	if (e->heap == NULL) {
		free(e);
		return NULL;
	}
	e->p = *p;
	e->cap = max_queued;
	e->max_bytes = max_bytes;
	for (int d = 0; d < HY_IMPAIR_NDIR; d++)
		hy_impair_rng_seed(&e->rng[d], p->seed, (uint64_t)d);
	return e;
}

void
hy_impair_engine_destroy(struct hy_impair_engine *e)
{
	if (e == NULL)
		return;
	for (uint32_t i = 0; i < e->n; i++)
		free(e->heap[i].data);
	free(e->heap);
	free(e);
}

void
hy_impair_decide(struct hy_impair_engine *e, enum hy_impair_dir dir,
		 struct hy_impair_decision *d)
{
	struct hy_impair_dir_stats *st = &e->st[dir];

	hy_impair_decide_with(&e->p, &e->rng[dir], d);
	st->in++;
	if (d->copies == 0)
		st->dropped++;
	else if (d->copies == 2)
		st->duplicated++;
	for (unsigned int c = 0; c < d->copies; c++)
		st->reordered += d->held[c];
}

static inline bool
before(const struct heap_entry *a, const struct heap_entry *b)
{
	return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->seq < b->seq);
}

static void
heap_push(struct hy_impair_engine *e, const struct heap_entry *ent)
{
	uint32_t i = e->n++;

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (!before(ent, &e->heap[parent]))
			break;
		e->heap[i] = e->heap[parent];
		i = parent;
	}
	e->heap[i] = *ent;
}

static void
heap_pop_top(struct hy_impair_engine *e)
{
	struct heap_entry last = e->heap[--e->n];
	uint32_t i = 0;

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= e->n)
			break;
		if (c + 1 < e->n && before(&e->heap[c + 1], &e->heap[c]))
			c++;
		if (!before(&e->heap[c], &last))
			break;
		e->heap[i] = e->heap[c];
		i = c;
	}
	if (e->n > 0)
		e->heap[i] = last;
}

unsigned int
hy_impair_submit(struct hy_impair_engine *e, enum hy_impair_dir dir,
		 uint64_t now_ns, uint64_t tag, const void *data, size_t len)
{
	struct hy_impair_decision d;
	unsigned int queued = 0;

	hy_impair_decide(e, dir, &d);
	for (unsigned int c = 0; c < d.copies; c++) {
		struct heap_entry ent;

		if (e->n == e->cap || e->bytes + len > e->max_bytes) {
			e->st[dir].overflow++;
			continue;
		}
		/* malloc(0) may return NULL: keep one byte for empty datagrams. */
		ent.data = malloc(len ? len : 1);
		if (ent.data == NULL) {
			e->st[dir].overflow++;
			continue;
		}
		memcpy(ent.data, data, len);
		ent.len = len;
		ent.due_ns = now_ns + d.delay_ns[c];
		ent.seq = e->next_seq++;
		ent.tag = tag;
		ent.dir = dir;
		e->bytes += len;
		heap_push(e, &ent);
		queued++;
	}
	return queued;
}

uint64_t
hy_impair_next_due(const struct hy_impair_engine *e)
{
	return e->n ? e->heap[0].due_ns : UINT64_MAX;
}

bool
hy_impair_pop(struct hy_impair_engine *e, uint64_t now_ns,
	      struct hy_impair_pkt *out)
{
	const struct heap_entry *top;

	if (e->n == 0 || e->heap[0].due_ns > now_ns)
		return false;
	top = &e->heap[0];
	out->dir = top->dir;
	out->tag = top->tag;
	out->due_ns = top->due_ns;
	out->len = top->len;
	out->data = top->data;
	e->bytes -= top->len;
	e->st[top->dir].out++;
	heap_pop_top(e);
	return true;
}

void
hy_impair_pkt_release(struct hy_impair_pkt *pkt)
{
	free(pkt->data);
	pkt->data = NULL;
}

void
hy_impair_get_stats(const struct hy_impair_engine *e, struct hy_impair_stats *out)
{
	memcpy(out->dir, e->st, sizeof(out->dir));
	out->queued = e->n;
	out->queued_bytes = e->bytes;
}
