/* SPDX-License-Identifier: BSD-3-Clause
 * Shared-memory ring over a sealed memfd, built on DPDK's rte_ring (SP/SC,
 * zero-copy elem API) without EAL.  Contract and layout in ring/ring.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_ring_peek_zc.h>
#include <rte_version.h>

#include "ring/ring.h"

_Static_assert(sizeof(struct hy_ring_shared) == HY_RING_HDR_SIZE,
	"shared header size is ABI");
_Static_assert(offsetof(struct hy_ring_shared, producer_pid) == 64,
	"producer line must start a cache line");
_Static_assert(offsetof(struct hy_ring_shared, consumer_pid) == 128,
	"consumer line must start a cache line");
_Static_assert(HY_RING_HDR_SIZE % RTE_CACHE_LINE_SIZE == 0,
	"rte_ring must be cache-line aligned in the region");
_Static_assert(HY_RING_SLOT_SIZE % 4 == 0, "rte_ring elem size rule");

/* Slots peeked per receive burst; a multi-part message never needs more
 * than this because the producer publishes all its parts at once. */
#define RECV_PEEK 256u
_Static_assert(HY_MSG_MAX_PARTS <= RECV_PEEK, "a whole message fits a peek");

/* A full ring is the only moment a producer can learn, for free, that the
 * consumer may be dead: check its process every this many refusals. */
#define FULL_CHECK_EVERY 256u

struct hy_ring {
	struct hy_ring_shared *sh;
	struct rte_ring *rr;
	size_t map_size;
	int memfd;
	int efd;
	enum hy_ring_dir dir;
	enum hy_ring_role role;
	/* peer tracking */
	bool peer_present;
	pid_t peer_pid;
	int peer_pidfd;
	uint32_t full_streak;
	/* consumer: slots handed out by recv_burst, released on the next call */
	unsigned held;
	bool peeking;
	struct hy_msg_reasm ra;
	/* producer: encode buffer for multi-part messages; consumer: reassembly */
	uint8_t *body;
	struct hy_ring_stats stats;
};

size_t hy_ring_region_size(uint32_t slot_count)
{
	ssize_t ring = rte_ring_get_memsize_elem(HY_RING_SLOT_SIZE, slot_count);
	if (ring < 0)
		return 0;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t total = HY_RING_HDR_SIZE + (size_t)ring;
	return (total + page - 1) / page * page;
}

static bool count_ok(uint32_t n)
{
	return n >= HY_RING_MIN_SLOTS && n <= HY_RING_MAX_SLOTS &&
		(n & (n - 1)) == 0;
}

enum hy_reason hy_ring_check_layout(const void *base, size_t size,
	enum hy_ring_dir dir)
{
	const struct hy_ring_shared *sh = base;
	if (size < HY_RING_HDR_SIZE + sizeof(struct rte_ring))
		return HY_R_BAD_LENGTH;
	if (sh->magic != HY_RING_MAGIC)
		return HY_R_RING_BAD_MESSAGE;
	if (sh->layout_version != HY_RING_LAYOUT_VERSION ||
	    sh->dpdk_version != RTE_VERSION)
		return HY_R_BAD_VERSION;
	if (sh->dir != (uint32_t)dir)
		return HY_R_RING_BAD_MESSAGE;
	if (sh->slot_size != HY_RING_SLOT_SIZE ||
	    sh->hdr_size != HY_RING_HDR_SIZE ||
	    sh->ring_off != HY_RING_HDR_SIZE || !count_ok(sh->slot_count) ||
	    sh->region_size != size ||
	    hy_ring_region_size(sh->slot_count) != size)
		return HY_R_BAD_LENGTH;
	const struct rte_ring *rr =
		(const void *)((const uint8_t *)base + sh->ring_off);
	if (rr->size != sh->slot_count || rr->mask != sh->slot_count - 1 ||
	    rr->capacity != sh->slot_count - 1 ||
	    rr->prod.sync_type != RTE_RING_SYNC_ST ||
	    rr->cons.sync_type != RTE_RING_SYNC_ST)
		return HY_R_BAD_LENGTH;
	return HY_R_OK;
}

static struct hy_ring *handle_new(enum hy_ring_dir dir, enum hy_ring_role role)
{
	struct hy_ring *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->body = malloc(HY_MSG_MAX_BODY);
	if (!r->body) {
		free(r);
		return NULL;
	}
	r->memfd = -1;
	r->efd = -1;
	r->peer_pidfd = -1;
	r->dir = dir;
	r->role = role;
	hy_msg_reasm_init(&r->ra, r->body, HY_MSG_MAX_BODY);
	return r;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int hy_ring_create(struct hy_ring **out, enum hy_ring_dir dir,
	enum hy_ring_role role, uint32_t slot_count)
{
	int err;
	*out = NULL;
	if (!count_ok(slot_count) || dir > HY_RING_DOWN || role > HY_RING_CONSUMER)
		return -EINVAL;
	size_t size = hy_ring_region_size(slot_count);
	struct hy_ring *r = handle_new(dir, role);
	if (!r)
		return -ENOMEM;

	r->memfd = memfd_create(dir == HY_RING_UP ? "hayate-ring-up" :
		"hayate-ring-down", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (r->memfd < 0)
		goto fail_errno;
	if (ftruncate(r->memfd, (off_t)size) < 0)
		goto fail_errno;
	/* The peer must never be able to shrink the file under our mapping
	 * (SIGBUS) or regrow it: fix the size for good. */
	if (fcntl(r->memfd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		goto fail_errno;
	void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		r->memfd, 0);
	if (base == MAP_FAILED)
		goto fail_errno;
	/* Every page written now: left to the first message through each
	 * slot, the 4096-slot ring's 2048 pages faulted in one by one during
	 * the first connect storm (a few ms of stalls on a VM, while the
	 * rings filled).  The peer maps them populated (hy_ring_attach). */
	memset(base, 0, size);
	r->sh = base;
	r->map_size = size;
	r->rr = (struct rte_ring *)((uint8_t *)base + HY_RING_HDR_SIZE);
	r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->efd < 0)
		goto fail_errno;

	struct hy_ring_shared *sh = r->sh;
	int rc = rte_ring_init(r->rr, dir == HY_RING_UP ? "hy_up" : "hy_down",
		slot_count, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (rc < 0) {
		err = rc;
		goto fail;
	}
	sh->magic = HY_RING_MAGIC;
	sh->layout_version = HY_RING_LAYOUT_VERSION;
	sh->dpdk_version = RTE_VERSION;
	sh->dir = dir;
	sh->slot_size = HY_RING_SLOT_SIZE;
	sh->slot_count = slot_count;
	sh->hdr_size = HY_RING_HDR_SIZE;
	sh->region_size = size;
	sh->ring_off = HY_RING_HDR_SIZE;
	if (role == HY_RING_PRODUCER) {
		atomic_store(&sh->producer_pid, (uint32_t)getpid());
		atomic_store(&sh->producer_generation, 1);
	} else {
		atomic_store(&sh->consumer_pid, (uint32_t)getpid());
		atomic_store(&sh->consumer_generation, 1);
	}
	hy_ring_heartbeat(r);
	*out = r;
	return 0;

fail_errno:
	err = -errno;
fail:
	hy_ring_close(r);
	return err;
}

int hy_ring_attach(struct hy_ring **out, int memfd, int efd,
	enum hy_ring_dir dir, enum hy_ring_role role, uint32_t expect_slots,
	enum hy_reason *why)
{
	struct stat st;
	*out = NULL;
	*why = HY_R_OK;
	if (fstat(memfd, &st) < 0)
		return -errno;
	int seals = fcntl(memfd, F_GET_SEALS);
	if (seals < 0)
		return -errno;
	if ((seals & (F_SEAL_SHRINK | F_SEAL_GROW)) !=
	    (F_SEAL_SHRINK | F_SEAL_GROW) ||
	    st.st_size < (off_t)HY_RING_HDR_SIZE) {
		*why = HY_R_BAD_LENGTH;
		return -EPROTO;
	}
	size_t size = (size_t)st.st_size;
	void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		memfd, 0);
	if (base == MAP_FAILED)
		return -errno;
	enum hy_reason chk = hy_ring_check_layout(base, size, dir);
	if (chk == HY_R_OK && expect_slots &&
	    ((struct hy_ring_shared *)base)->slot_count != expect_slots)
		chk = HY_R_BAD_LENGTH;
	if (chk != HY_R_OK) {
		munmap(base, size);
		*why = chk;
		return -EPROTO;
	}
	struct hy_ring *r = handle_new(dir, role);
	if (!r) {
		munmap(base, size);
		return -ENOMEM;
	}
	r->sh = base;
	r->map_size = size;
	r->rr = (struct rte_ring *)((uint8_t *)base + HY_RING_HDR_SIZE);
	r->memfd = memfd;
	r->efd = efd;
	*out = r;
	return 0;
}

void hy_ring_close(struct hy_ring *r)
{
	if (!r)
		return;
	if (r->sh)
		munmap(r->sh, r->map_size);
	if (r->memfd >= 0)
		close(r->memfd);
	if (r->efd >= 0)
		close(r->efd);
	if (r->peer_pidfd >= 0)
		close(r->peer_pidfd);
	free(r->body);
	free(r);
}

int hy_ring_memfd(const struct hy_ring *r) { return r->memfd; }
int hy_ring_eventfd(const struct hy_ring *r) { return r->efd; }
struct hy_ring_shared *hy_ring_shared(const struct hy_ring *r) { return r->sh; }
const struct hy_ring_stats *hy_ring_stats(const struct hy_ring *r) { return &r->stats; }
unsigned hy_ring_capacity(const struct hy_ring *r) { return rte_ring_get_capacity(r->rr); }
unsigned hy_ring_count(const struct hy_ring *r) { return rte_ring_count(r->rr); }

/* ---- peer tracking ------------------------------------------------------ */

static _Atomic uint32_t *peer_pid_field(struct hy_ring *r)
{
	return r->role == HY_RING_PRODUCER ? &r->sh->consumer_pid :
		&r->sh->producer_pid;
}

static void watch_pid(struct hy_ring *r, pid_t pid)
{
	if (r->peer_pidfd >= 0)
		close(r->peer_pidfd);
	r->peer_pidfd = -1;
	r->peer_pid = pid;
	r->peer_present = pid > 0;
	r->full_streak = 0;
	if (pid > 0) {
		/* A pidfd survives pid reuse and reports a zombie as gone. */
		long fd = syscall(SYS_pidfd_open, pid, 0);
		r->peer_pidfd = fd >= 0 ? (int)fd : -1;
	}
}

void hy_ring_set_peer(struct hy_ring *r, pid_t pid)
{
	_Atomic uint32_t *f = peer_pid_field(r);
	_Atomic uint64_t *gen = r->role == HY_RING_PRODUCER ?
		&r->sh->consumer_generation : &r->sh->producer_generation;
	if (pid > 0)
		atomic_fetch_add(gen, 1);
	atomic_store(f, (uint32_t)(pid > 0 ? pid : 0));
	watch_pid(r, pid);
}

void hy_ring_watch_peer(struct hy_ring *r)
{
	watch_pid(r, (pid_t)atomic_load(peer_pid_field(r)));
}

void hy_ring_mark_peer_gone(struct hy_ring *r)
{
	r->peer_present = false;
}

bool hy_ring_peer_alive(struct hy_ring *r)
{
	if (!r->peer_present)
		return false;
	bool gone;
	if (r->peer_pidfd >= 0) {
		struct pollfd p = {.fd = r->peer_pidfd, .events = POLLIN};
		gone = poll(&p, 1, 0) > 0;
	} else {
		gone = kill(r->peer_pid, 0) < 0 && errno == ESRCH;
	}
	if (gone)
		r->peer_present = false;
	return !gone;
}

void hy_ring_heartbeat(struct hy_ring *r)
{
	_Atomic uint64_t *hb = r->role == HY_RING_PRODUCER ?
		&r->sh->producer_heartbeat : &r->sh->consumer_heartbeat;
	atomic_store_explicit(hb, now_ns(), memory_order_relaxed);
}

uint64_t hy_ring_peer_heartbeat(const struct hy_ring *r)
{
	const _Atomic uint64_t *hb = r->role == HY_RING_PRODUCER ?
		&r->sh->consumer_heartbeat : &r->sh->producer_heartbeat;
	return atomic_load_explicit(hb, memory_order_relaxed);
}

/* ---- producer ----------------------------------------------------------- */

unsigned hy_ring_reserve(struct hy_ring *r, unsigned n, bool bulk,
	struct hy_ring_span *sp, enum hy_reason *why)
{
	struct rte_ring_zc_data zcd = {0};
	sp->n = 0;
	if (!r->peer_present) {
		r->stats.peer_gone++;
		*why = HY_R_RING_PEER_GONE;
		return 0;
	}
	unsigned got = bulk ?
		rte_ring_enqueue_zc_bulk_elem_start(r->rr, HY_RING_SLOT_SIZE, n,
			&zcd, NULL) :
		rte_ring_enqueue_zc_burst_elem_start(r->rr, HY_RING_SLOT_SIZE, n,
			&zcd, NULL);
	if (got == 0) {
		if (++r->full_streak % FULL_CHECK_EVERY == 0 &&
		    !hy_ring_peer_alive(r)) {
			r->stats.peer_gone++;
			*why = HY_R_RING_PEER_GONE;
		} else {
			r->stats.full++;
			*why = HY_R_RING_FULL;
		}
		return 0;
	}
	r->full_streak = 0;
	sp->ptr1 = zcd.ptr1;
	sp->ptr2 = zcd.ptr2;
	sp->n1 = zcd.n1;
	sp->n = got;
	*why = HY_R_OK;
	return got;
}

void hy_ring_commit(struct hy_ring *r, unsigned n)
{
	struct hy_ring_shared *sh = r->sh;
	rte_ring_enqueue_zc_elem_finish(r->rr, n);
	if (n == 0)
		return;
	r->stats.sent_slots += n;
	/* Pairs with the fence in hy_ring_arm: our tail store is visible
	 * before we look at the flag, their flag before they look at the
	 * tail, so at least one of us sees the other. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&sh->consumer_waiting, memory_order_relaxed) &&
	    atomic_exchange(&sh->consumer_waiting, 0)) {
		uint64_t one = 1;
		/* EAGAIN only when the counter is saturated: already awake. */
		if (write(r->efd, &one, sizeof(one)) == sizeof(one))
			r->stats.wakeups++;
	}
}

/* Encodes m into the slots of sp from index at on (its parts there,
 * contiguous, at most room of them); *used gets the slots it took.
 * Returns OK, or why m cannot go: BAD_TYPE, MESSAGE_TOO_LARGE (over
 * HY_MSG_MAX_BODY, or more parts than room) or the encoder's reason. */
static enum hy_reason encode_at(struct hy_ring *r, const struct hy_ring_msg *m,
	const struct hy_ring_span *sp, unsigned at, unsigned room, unsigned *used)
{
	size_t blen = hy_msg_body_len(m);
	enum hy_reason why;

	*used = 0;
	if (!hy_msg_type_dir(m->type, NULL))
		return HY_R_BAD_TYPE;
	if (blen > HY_MSG_MAX_BODY || room == 0)
		return HY_R_MESSAGE_TOO_LARGE;
	if (blen <= HY_MSG_SLOT_BODY) {
		/* the common case: straight into the slot */
		why = hy_msg_encode_slot(m, hy_ring_span_slot(sp, at), NULL);
		*used = why == HY_R_OK;
		return why;
	}
	why = hy_msg_encode_body(m, r->body, HY_MSG_MAX_BODY, &blen);
	if (why != HY_R_OK)
		return why;
	unsigned parts = hy_msg_parts(blen);
	if (parts > room)
		return HY_R_MESSAGE_TOO_LARGE;
	for (unsigned p = 0; p < parts; p++)
		hy_msg_split(m, r->body, blen, p, hy_ring_span_slot(sp, at + p));
	*used = parts;
	return HY_R_OK;
}

enum hy_reason hy_ring_send(struct hy_ring *r, const struct hy_ring_msg *m)
{
	size_t blen = hy_msg_body_len(m);
	unsigned parts = hy_msg_parts(blen), used;
	struct hy_ring_span sp;
	enum hy_reason why;

	if (!hy_msg_type_dir(m->type, NULL))
		return HY_R_BAD_TYPE;
	if (blen > HY_MSG_MAX_BODY || parts > hy_ring_capacity(r))
		return HY_R_MESSAGE_TOO_LARGE;
	if (!hy_ring_reserve(r, parts, true, &sp, &why))
		return why;
	why = encode_at(r, m, &sp, 0, parts, &used);
	hy_ring_commit(r, used);
	if (why == HY_R_OK)
		r->stats.sent_msgs++;
	return why;
}

unsigned hy_ring_send_many(struct hy_ring *r, const struct hy_ring_msg *const *msgs,
	unsigned n, unsigned *n_bad, enum hy_reason *why)
{
	struct hy_ring_span sp;
	unsigned need = 0, used = 0, i;

	*n_bad = 0;
	*why = HY_R_OK;
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		need += hy_msg_parts(hy_msg_body_len(msgs[i]));
	if (hy_ring_reserve(r, need, false, &sp, why) == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned parts = hy_msg_parts(hy_msg_body_len(msgs[i]));

		if (used + parts > sp.n) {
			*why = HY_R_RING_FULL;
			r->stats.full++;
			break;
		}
		unsigned got;
		if (encode_at(r, msgs[i], &sp, used, sp.n - used, &got) != HY_R_OK) {
			(*n_bad)++;
			continue;
		}
		used += got;
		r->stats.sent_msgs++;
	}
	hy_ring_commit(r, used);
	return i;
}

unsigned hy_ring_send_burst(struct hy_ring *r, const void *const *slots,
	unsigned n, enum hy_reason *why)
{
	struct hy_ring_span sp;
	unsigned got = hy_ring_reserve(r, n, false, &sp, why);
	if (!got)
		return 0;
	for (unsigned i = 0; i < got; i++)
		memcpy(hy_ring_span_slot(&sp, i), slots[i],
		       hy_msg_slot_used(slots[i]));
	hy_ring_commit(r, got);
	r->stats.sent_msgs += got;
	if (got < n)
		*why = HY_R_RING_FULL;
	return got;
}

/* ---- consumer ----------------------------------------------------------- */

static void release_held(struct hy_ring *r)
{
	if (r->peeking) {
		rte_ring_dequeue_zc_elem_finish(r->rr, r->held);
		r->peeking = false;
		r->held = 0;
	}
}

unsigned hy_ring_peek(struct hy_ring *r, unsigned n, struct hy_ring_span *sp)
{
	struct rte_ring_zc_data zcd = {0};
	release_held(r);
	unsigned got = rte_ring_dequeue_zc_burst_elem_start(r->rr,
		HY_RING_SLOT_SIZE, n, &zcd, NULL);
	sp->ptr1 = zcd.ptr1;
	sp->ptr2 = zcd.ptr2;
	sp->n1 = zcd.n1;
	sp->n = got;
	r->peeking = true;
	r->held = 0;
	return got;
}

void hy_ring_release(struct hy_ring *r, unsigned n)
{
	r->held = n;
	release_held(r);
}

static void count_bad(struct hy_ring *r, enum hy_reason why)
{
	r->stats.bad++;
	r->stats.last_bad = why;
}

unsigned hy_ring_recv_burst(struct hy_ring *r, struct hy_ring_msg *msgs,
	unsigned n)
{
	struct hy_ring_span sp;
	unsigned got = 0, i = 0;
	bool reassembled = false;
	if (n == 0)
		return 0;
	unsigned avail = hy_ring_peek(r, RECV_PEEK, &sp);

	while (i < avail && got < n) {
		const uint8_t *slot = hy_ring_span_slot(&sp, i++);
		struct hy_msg_hdr h;
		enum hy_reason why;
		bool done;

		if (!r->ra.active) {
			why = hy_msg_hdr_read(slot, &h);
			if (why != HY_R_OK) {
				count_bad(r, why);
				continue;
			}
			if (h.part == 0 && !(h.flags & HY_MSG_F_MORE)) {
				/* Single slot: decode in place, no copy. */
				msgs[got].sid = h.sid;
				msgs[got].seq = h.seq;
				why = hy_msg_decode_body(h.type,
					slot + HY_MSG_HDR_LEN, h.len, &msgs[got]);
				if (why == HY_R_OK)
					got++;
				else
					count_bad(r, why);
				continue;
			}
			if (reassembled) {
				/* One reassembly buffer, holding a message this
				 * burst returns: the next multi-part message
				 * waits for the next call. */
				i--;
				break;
			}
		}
		why = hy_msg_reasm_push(&r->ra, slot, &done);
		if (why != HY_R_OK)
			count_bad(r, why);
		if (!done)
			continue;
		why = hy_msg_reasm_decode(&r->ra, &msgs[got]);
		if (why != HY_R_OK) {
			count_bad(r, why);
			continue;
		}
		got++;
		reassembled = true;
	}
	r->held = i;
	r->stats.recv_slots += i;
	r->stats.recv_msgs += got;
	return got;
}

bool hy_ring_arm(struct hy_ring *r)
{
	struct hy_ring_shared *sh = r->sh;
	uint64_t v;
	release_held(r);
	/* Drop wake-ups already delivered; we are about to look anyway. */
	if (read(r->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return false;
	atomic_store_explicit(&sh->consumer_waiting, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	if (rte_ring_count(r->rr) == 0)
		return true;
	atomic_store_explicit(&sh->consumer_waiting, 0, memory_order_relaxed);
	return false;
}
