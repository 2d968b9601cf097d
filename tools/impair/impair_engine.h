/* SPDX-License-Identifier: BSD-3-Clause
 * The decision and scheduling core of hayate-impair, free of sockets and
 * clocks so that it can be tested exactly.
 *
 * Every datagram, in each direction independently, is dropped with
 * probability `loss`; otherwise it is duplicated with probability `dup`.
 * Each copy is delayed by `delay` plus a uniform draw from [0, jitter] and,
 * with probability `reorder`, held back a further uniform draw from
 * (0, reorder_delay] so that it is overtaken by datagrams sent after it.
 *
 * Each direction has its own random stream derived from `seed`, and every
 * datagram consumes the same number of draws whatever is decided for it.
 * The decisions for the n-th datagram of a direction are therefore a pure
 * function of (seed, direction, n): the same traffic gives the same run.
 */
#ifndef HY_IMPAIR_ENGINE_H
#define HY_IMPAIR_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hy_impair_dir {
	HY_IMPAIR_UP = 0,	/* client -> node */
	HY_IMPAIR_DOWN = 1,	/* node -> client */
	HY_IMPAIR_NDIR
};

/* Largest value a duration key accepts (one minute). */
#define HY_IMPAIR_MAX_DURATION_NS (60ull * 1000000000ull)
/* reorder_delay when the spec does not give one. */
#define HY_IMPAIR_DEFAULT_REORDER_DELAY_NS (10ull * 1000000ull)

struct hy_impair_params {
	double loss;		/* 0..1 */
	double dup;		/* 0..1 */
	double reorder;		/* 0..1 */
	uint64_t delay_ns;
	uint64_t jitter_ns;
	uint64_t reorder_delay_ns;
	uint64_t seed;
};

/* xoshiro256** state: one per direction. */
struct hy_impair_rng {
	uint64_t s[4];
};

/* What happens to one datagram: 0 copies (lost), 1, or 2 (duplicated). */
struct hy_impair_decision {
	unsigned int copies;
	uint64_t delay_ns[2];	/* per copy, from arrival to due time */
	bool held[2];		/* per copy: held back for reordering */
};

struct hy_impair_dir_stats {
	uint64_t in;		/* datagrams submitted */
	uint64_t dropped;	/* lost on purpose */
	uint64_t duplicated;	/* given a second copy */
	uint64_t reordered;	/* copies held back */
	uint64_t overflow;	/* copies refused: queue full */
	uint64_t out;		/* copies handed back by hy_impair_pop() */
};

struct hy_impair_stats {
	struct hy_impair_dir_stats dir[HY_IMPAIR_NDIR];
	uint32_t queued;	/* copies waiting now */
	uint64_t queued_bytes;
};

/* A due datagram.  `data` is owned by the caller after hy_impair_pop() and
 * must be released with hy_impair_pkt_release(). */
struct hy_impair_pkt {
	enum hy_impair_dir dir;
	uint64_t tag;		/* as given to hy_impair_submit() */
	uint64_t due_ns;
	size_t len;
	void *data;
};

struct hy_impair_engine;

/* Sets every parameter to "no impairment", seed 1. */
void hy_impair_params_default(struct hy_impair_params *p);

/* Parses "key=value,key=value" (keys: loss, dup, reorder, delay, jitter,
 * reorder_delay, seed) on top of *p.  Probabilities are numbers from 0 to
 * 1; durations a number with a unit (s, ms, us or ns; a bare 0 is allowed);
 * seed an unsigned 64-bit integer (decimal or 0x hex).  An empty spec or
 * "none" changes nothing.  Returns 0, or -1 with one line naming the key in
 * err (without a trailing newline); *p is then unspecified. */
int hy_impair_params_parse(struct hy_impair_params *p, const char *spec,
			   char *err, size_t errlen);

/* Parses a duration as hy_impair_params_parse() does; if bare_unit_ns is
 * non-zero a number without a unit is multiplied by it.  Returns 0 or -1
 * (malformed, negative, or above HY_IMPAIR_MAX_DURATION_NS). */
int hy_impair_parse_duration(const char *s, uint64_t bare_unit_ns,
			     uint64_t *ns);

/* Writes the parameters as a spec hy_impair_params_parse() accepts.
 * Returns what snprintf() returns. */
int hy_impair_params_format(const struct hy_impair_params *p, char *buf,
			    size_t len);

/* Seeds a stream: splitmix64 over seed and the stream number fills the
 * state, so streams of one seed are unrelated. */
void hy_impair_rng_seed(struct hy_impair_rng *r, uint64_t seed,
			uint64_t stream);

/* Next 64 random bits. */
uint64_t hy_impair_rng_next(struct hy_impair_rng *r);

/* Decides the fate of the next datagram of a direction from parameters
 * and a stream alone; always consumes HY_IMPAIR_DRAWS draws. */
#define HY_IMPAIR_DRAWS 8
void hy_impair_decide_with(const struct hy_impair_params *p,
			   struct hy_impair_rng *r,
			   struct hy_impair_decision *d);

/* Creates an engine with its streams seeded from p->seed and room for at
 * most max_queued copies and max_bytes bytes of payload waiting.  Returns
 * NULL on bad arguments (max_queued 0) or out of memory. */
struct hy_impair_engine *hy_impair_engine_create(const struct hy_impair_params *p,
						 uint32_t max_queued,
						 uint64_t max_bytes);

/* Frees the engine and every datagram still queued.  NULL is a no-op. */
void hy_impair_engine_destroy(struct hy_impair_engine *e);

/* Decides the next datagram of dir on the engine's stream and counts it
 * (in, dropped, duplicated, reordered), without queueing anything. */
void hy_impair_decide(struct hy_impair_engine *e, enum hy_impair_dir dir,
		      struct hy_impair_decision *d);

/* Submits a datagram that arrived at now_ns: decides, copies the bytes and
 * queues each copy for its due time.  tag is returned with each copy.
 * Copies that do not fit under the limits are counted as overflow.
 * Returns the number of copies queued (0, 1 or 2). */
unsigned int hy_impair_submit(struct hy_impair_engine *e, enum hy_impair_dir dir,
			      uint64_t now_ns, uint64_t tag,
			      const void *data, size_t len);

/* Due time of the earliest queued copy, or UINT64_MAX if none. */
uint64_t hy_impair_next_due(const struct hy_impair_engine *e);

/* Takes the earliest copy due at or before now_ns into *out.  Copies due at
 * the same time come out in the order they were queued.  Returns false if
 * none is due. */
bool hy_impair_pop(struct hy_impair_engine *e, uint64_t now_ns,
		   struct hy_impair_pkt *out);

/* Frees a popped datagram's bytes. */
void hy_impair_pkt_release(struct hy_impair_pkt *pkt);

/* Copies the counters. */
void hy_impair_get_stats(const struct hy_impair_engine *e,
			 struct hy_impair_stats *out);

#endif /* HY_IMPAIR_ENGINE_H */
