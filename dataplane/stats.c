/* SPDX-License-Identifier: BSD-3-Clause
 * Shared-memory counters: see stats.h for the layout and the seqlock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stats.h"

_Static_assert(sizeof(struct hy_stats_shm_hdr) == HY_STATS_HDR_SIZE,
	       "stats header size is ABI");
_Static_assert(sizeof(struct hy_stats_block) == 64,
	       "stats block header is one cache line");

struct hy_stats_region {
	char name[64];
	void *base;
	size_t size;
	unsigned int n_blocks;
	size_t block_size;
	bool owner;      /* created (and unlinks) it; else a read-only reader */
};

static const char *const counter_names[HY_ST_NET_DROP_BASE] = {
#define HY_STATS_NAME(name, text) #name,
	HY_STATS_COUNTERS(HY_STATS_NAME)
#undef HY_STATS_NAME
};

static const char *const counter_texts[HY_ST_NET_DROP_BASE] = {
#define HY_STATS_TEXT(name, text) text,
	HY_STATS_COUNTERS(HY_STATS_TEXT)
#undef HY_STATS_TEXT
};

/* A 1-2-5 series: the 20 us of the latency target is a bound. */
const uint32_t hy_tx_delay_bounds_us[HY_TX_DELAY_BUCKETS - 1] = {
	1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000,
};

/* Names of the per-reason ranges ("net.RUNT"), built on first use; the
 * region is created before any other thread asks. */
static char range_names[HY_ST_COUNT - HY_ST_NET_DROP_BASE][HY_STATS_NAME_LEN];

const char *hy_stats_name(unsigned int id)
{
	char *n;

	if (id < HY_ST_NET_DROP_BASE)
		return counter_names[id];
	if (id >= HY_ST_COUNT)
		return "unknown";
	n = range_names[id - HY_ST_NET_DROP_BASE];
	if (n[0] != '\0')
		return n;
	if (id < HY_ST_NET_REPLY_BASE)
		snprintf(n, HY_STATS_NAME_LEN, "net.%s",
			 hy_net_drop_name(id - HY_ST_NET_DROP_BASE));
	else if (id < HY_ST_DROP_BASE)
		snprintf(n, HY_STATS_NAME_LEN, "reply.%s",
			 hy_net_reply_name(id - HY_ST_NET_REPLY_BASE));
	else if (id < HY_ST_CLOSED_BASE)
		snprintf(n, HY_STATS_NAME_LEN, "drop.%s",
			 hy_reason_name(id - HY_ST_DROP_BASE));
	else if (id < HY_ST_DENY_BASE)
		snprintf(n, HY_STATS_NAME_LEN, "closed.%s",
			 hy_close_reason_name(id - HY_ST_CLOSED_BASE));
	else if (id < HY_ST_TX_DELAY_BASE)
		snprintf(n, HY_STATS_NAME_LEN, "deny.%s",
			 hy_close_reason_name(id - HY_ST_DENY_BASE));
	else if (id - HY_ST_TX_DELAY_BASE < HY_TX_DELAY_BUCKETS - 1)
		snprintf(n, HY_STATS_NAME_LEN, "tx_delay.%uus",
			 (unsigned int)hy_tx_delay_bounds_us[id - HY_ST_TX_DELAY_BASE]);
	else
		snprintf(n, HY_STATS_NAME_LEN, "tx_delay.inf");
	return n;
}

const char *hy_stats_text(unsigned int id)
{
	if (id < HY_ST_NET_DROP_BASE)
		return counter_texts[id];
	if (id < HY_ST_NET_REPLY_BASE)
		return hy_net_drop_text(id - HY_ST_NET_DROP_BASE);
	if (id < HY_ST_DROP_BASE)
		return "answers of this kind sent by the net layer";
	if (id < HY_ST_CLOSED_BASE)
		return hy_reason_text(id - HY_ST_DROP_BASE);
	if (id < HY_ST_DENY_BASE)
		return "sessions closed for this reason";
	if (id < HY_ST_TX_DELAY_BASE)
		return "connects denied for this reason";
	if (id < HY_ST_COUNT)
		return "frames sent this long after the start of the poll that made them "
		       "(above the bucket before)";
	return "unknown counter";
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct hy_stats_block *block(const struct hy_stats_region *r,
				    unsigned int i)
{
	const struct hy_stats_shm_hdr *h = r->base;

	return (struct hy_stats_block *)((uint8_t *)r->base + h->blocks_off +
					 (size_t)i * r->block_size);
}

struct hy_stats_region *hy_stats_create(const char *shm_name,
	unsigned int n_blocks, uint32_t node_id, char *err, size_t errlen)
{
	struct hy_stats_region *r;
	struct hy_stats_shm_hdr *h;
	size_t names_off, blocks_off, block_size, size;
	unsigned int i;
	int fd;

	if (n_blocks == 0 || n_blocks > HY_STATS_MAX_BLOCKS) {
		snprintf(err, errlen, "stats: %u blocks out of range", n_blocks);
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(err, errlen, "stats: out of memory");
		return NULL;
	}
	snprintf(r->name, sizeof(r->name), "%s", shm_name);

	names_off = HY_STATS_HDR_SIZE;
	blocks_off = names_off + (size_t)HY_ST_COUNT * HY_STATS_NAME_LEN;
	blocks_off = (blocks_off + 63) & ~(size_t)63;
	block_size = sizeof(struct hy_stats_block) + HY_ST_COUNT * 8u;
	block_size = (block_size + 63) & ~(size_t)63;
	size = blocks_off + block_size * n_blocks;

	/* A region left by a crashed data plane is replaced, not reused:
	 * readers see a new generation. */
	shm_unlink(shm_name);
	fd = shm_open(shm_name, O_RDWR | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "stats: shm_open %s: %s", shm_name,
			 strerror(errno));
		free(r);
		return NULL;
	}
	if (ftruncate(fd, (off_t)size) != 0) {
		snprintf(err, errlen, "stats: ftruncate %s: %s", shm_name,
			 strerror(errno));
		goto fail_fd;
	}
	r->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r->base == MAP_FAILED) {
		snprintf(err, errlen, "stats: mmap %s: %s", shm_name,
			 strerror(errno));
		goto fail_fd;
	}
	close(fd);
	r->size = size;
	r->n_blocks = n_blocks;
	r->block_size = block_size;
	r->owner = true;

	h = r->base;
	h->layout_version = HY_STATS_LAYOUT_VERSION;
	h->hdr_size = HY_STATS_HDR_SIZE;
	h->n_counters = HY_ST_COUNT;
	h->n_blocks = n_blocks;
	h->name_len = HY_STATS_NAME_LEN;
	h->block_size = (uint32_t)block_size;
	h->names_off = names_off;
	h->blocks_off = blocks_off;
	h->region_size = size;
	h->pid = (uint32_t)getpid();
	h->node_id = node_id;
	h->generation = realtime_ns();
	for (i = 0; i < HY_ST_COUNT; i++)
		snprintf((char *)r->base + names_off + (size_t)i * HY_STATS_NAME_LEN,
			 HY_STATS_NAME_LEN, "%s", hy_stats_name(i));
	/* magic last: a reader that sees it sees a complete header */
	atomic_thread_fence(memory_order_release);
	h->magic = HY_STATS_MAGIC;
	return r;

fail_fd:
	close(fd);
	shm_unlink(shm_name);
	free(r);
	return NULL;
}

void hy_stats_destroy(struct hy_stats_region *r)
{
	if (r == NULL)
		return;
	munmap(r->base, r->size);
	if (r->owner)
		shm_unlink(r->name);
	free(r);
}

struct hy_stats_shm_hdr *hy_stats_hdr(struct hy_stats_region *r)
{
	return r->base;
}

void hy_stats_claim(struct hy_stats_region *r, unsigned int lcore_id,
	enum hy_stats_role role)
{
	struct hy_stats_block *b;

	if (lcore_id >= r->n_blocks)
		return;
	b = block(r, lcore_id);
	b->lcore_id = lcore_id;
	b->role = role;
}

void hy_stats_publish(struct hy_stats_region *r, unsigned int lcore_id,
	const struct hy_stats_counters *c, uint64_t now_ns)
{
	struct hy_stats_block *b;
	uint64_t s;

	if (lcore_id >= r->n_blocks)
		return;
	b = block(r, lcore_id);
	s = atomic_load_explicit(&b->seq, memory_order_relaxed);
	atomic_store_explicit(&b->seq, s + 1, memory_order_relaxed);
	/* the odd number must be visible before any value changes */
	atomic_thread_fence(memory_order_release);
	memcpy(b->values, c->v, sizeof(c->v));
	b->publish_ns = now_ns;
	atomic_store_explicit(&b->seq, s + 2, memory_order_release);
}

bool hy_stats_read(const struct hy_stats_region *r, unsigned int block_id,
	uint64_t *values, unsigned int n, enum hy_stats_role *role)
{
	return hy_stats_read_stamped(r, block_id, values, n, role, NULL);
}

bool hy_stats_read_stamped(const struct hy_stats_region *r, unsigned int block_id,
	uint64_t *values, unsigned int n, enum hy_stats_role *role,
	uint64_t *publish_ns)
{
	const struct hy_stats_shm_hdr *h = r->base;
	const struct hy_stats_block *b;
	uint64_t s1, s2, stamp;
	int tries;

	if (block_id >= r->n_blocks)
		return false;
	if (n > h->n_counters)
		n = h->n_counters;
	b = block(r, block_id);
	if (b->role == HY_STATS_ROLE_NONE)
		return false;
	for (tries = 0; tries < 1000; tries++) {
		s1 = atomic_load_explicit(&b->seq, memory_order_acquire);
		if (s1 & 1)
			continue;
		memcpy(values, b->values, (size_t)n * sizeof(*values));
		stamp = b->publish_ns;
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&b->seq, memory_order_relaxed);
		if (s1 == s2) {
			if (role != NULL)
				*role = b->role;
			if (publish_ns != NULL)
				*publish_ns = stamp;
			return true;
		}
	}
	return false;
}

bool hy_stats_snapshot(const struct hy_stats_region *r, unsigned int lcore_id,
	struct hy_stats_counters *out, enum hy_stats_role *role)
{
	memset(out, 0, sizeof(*out));
	return hy_stats_read(r, lcore_id, out->v, HY_ST_COUNT, role);
}

unsigned int hy_stats_sum(const struct hy_stats_region *r,
	struct hy_stats_counters *out)
{
	struct hy_stats_counters one;
	unsigned int i, n = 0, k;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < r->n_blocks; i++) {
		if (!hy_stats_snapshot(r, i, &one, NULL))
			continue;
		for (k = 0; k < HY_ST_COUNT; k++)
			out->v[k] += one.v[k];
		n++;
	}
	return n;
}

struct hy_stats_region *hy_stats_attach(const char *shm_name, char *err,
	size_t errlen)
{
	struct hy_stats_region *r;
	struct hy_stats_shm_hdr h;
	struct stat sb;
	int fd;

	fd = shm_open(shm_name, O_RDONLY, 0);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s (is hayate-dataplane running?)",
			 shm_name, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) != 0 || (size_t)sb.st_size < sizeof(h) ||
	    pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		snprintf(err, errlen, "%s: too short", shm_name);
		close(fd);
		return NULL;
	}
	if (h.magic != HY_STATS_MAGIC ||
	    h.layout_version != HY_STATS_LAYOUT_VERSION ||
	    h.hdr_size != HY_STATS_HDR_SIZE || h.region_size > (uint64_t)sb.st_size ||
	    h.name_len != HY_STATS_NAME_LEN || h.block_size < 64 ||
	    h.names_off + (uint64_t)h.n_counters * h.name_len > h.blocks_off ||
	    h.blocks_off + (uint64_t)h.n_blocks * h.block_size > h.region_size ||
	    64 + (uint64_t)h.n_counters * 8 > h.block_size) {
		snprintf(err, errlen, "%s: not a stats region of layout %u",
			 shm_name, HY_STATS_LAYOUT_VERSION);
		close(fd);
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->base = mmap(NULL, h.region_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (r->base == MAP_FAILED) {
		snprintf(err, errlen, "%s: mmap: %s", shm_name, strerror(errno));
		free(r);
		return NULL;
	}
	snprintf(r->name, sizeof(r->name), "%s", shm_name);
	r->size = h.region_size;
	r->n_blocks = h.n_blocks;
	r->block_size = h.block_size;
	r->owner = false;
	return r;
}

unsigned int hy_stats_blocks(const struct hy_stats_region *r)
{
	return r->n_blocks;
}

unsigned int hy_stats_counter_count(const struct hy_stats_region *r)
{
	return ((const struct hy_stats_shm_hdr *)r->base)->n_counters;
}

const char *hy_stats_counter_name(const struct hy_stats_region *r,
	unsigned int id, char *buf, size_t len)
{
	const struct hy_stats_shm_hdr *h = r->base;

	if (id >= h->n_counters)
		return NULL;
	snprintf(buf, len, "%.*s", (int)h->name_len - 1,
		 (const char *)r->base + h->names_off + (size_t)id * h->name_len);
	return buf;
}

const struct hy_stats_shm_hdr *hy_stats_hdr_ro(const struct hy_stats_region *r)
{
	return r->base;
}
