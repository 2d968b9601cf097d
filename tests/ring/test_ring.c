/* SPDX-License-Identifier: BSD-3-Clause
 * Ring in one process (producer and consumer handles on the same region):
 * full and empty edges, wrap-around, multi-part messages, batches
 * (hy_ring_send_many), header checks, wake-up arming, peer-gone reporting.
 */
#include <check.h>

#include "check_run.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ring/ring.h"

#define SLOTS 16u
/* COMMAND payloads that take two and three slots (the body is 8 bytes
 * more than the payload) */
#define TWO_SLOTS HY_MSG_SLOT_BODY
#define THREE_SLOTS (2u * HY_MSG_SLOT_BODY)

static uint8_t payload[HY_MAX_MESSAGE + 256]; /* + room for the per-seq offset */

struct pair {
	struct hy_ring *prod;
	struct hy_ring *cons;
};

/* Producer creates, consumer attaches through duplicated descriptors, as
 * the control plane would after SCM_RIGHTS. */
static struct pair pair_open(uint32_t slots)
{
	struct pair p;
	enum hy_reason why;
	ck_assert_int_eq(hy_ring_create(&p.prod, HY_RING_UP, HY_RING_PRODUCER, slots), 0);
	ck_assert_int_eq(hy_ring_attach(&p.cons, dup(hy_ring_memfd(p.prod)),
		dup(hy_ring_eventfd(p.prod)), HY_RING_UP, HY_RING_CONSUMER, slots,
		&why), 0);
	hy_ring_set_peer(p.prod, getpid());
	hy_ring_watch_peer(p.cons);
	return p;
}

static void pair_close(struct pair *p)
{
	hy_ring_close(p->prod);
	hy_ring_close(p->cons);
}

static struct hy_ring_msg cmd(uint32_t seq, uint32_t len)
{
	struct hy_ring_msg m = {.type = HY_MSG_COMMAND, .seq = seq, .sid = 1000 + seq,
		.u.cmd = {.ver = 1, .cmd = 9, .payload = payload + (seq % 251),
			  .payload_len = len}};
	return m;
}

static void expect_cmd(const struct hy_ring_msg *m, uint32_t seq, uint32_t len)
{
	ck_assert_uint_eq(m->type, HY_MSG_COMMAND);
	ck_assert_uint_eq(m->seq, seq);
	ck_assert(m->sid == 1000 + seq);
	ck_assert_uint_eq(m->u.cmd.payload_len, len);
	ck_assert_mem_eq(m->u.cmd.payload, payload + (seq % 251), len);
}

START_TEST(test_full_and_empty_edges)
{
	struct pair p = pair_open(SLOTS);
	struct hy_ring_msg out[64];
	ck_assert_uint_eq(hy_ring_capacity(p.prod), SLOTS - 1);
	ck_assert_uint_eq(hy_ring_recv_burst(p.cons, out, 64), 0); /* empty */
	for (uint32_t i = 0; i < SLOTS - 1; i++) {
		struct hy_ring_msg m = {.type = HY_MSG_KICK, .sid = i + 1, .seq = i};
		ck_assert_int_eq(hy_ring_send(p.prod, &m), HY_R_OK);
	}
	ck_assert_uint_eq(hy_ring_count(p.cons), SLOTS - 1);
	struct hy_ring_msg k = {.type = HY_MSG_KICK, .sid = 99};
	ck_assert_int_eq(hy_ring_send(p.prod, &k), HY_R_RING_FULL);
	ck_assert_uint_eq(hy_ring_stats(p.prod)->full, 1);
	/* Free exactly one slot: exactly one more fits. */
	ck_assert_uint_eq(hy_ring_recv_burst(p.cons, out, 1), 1);
	ck_assert_uint_eq(out[0].seq, 0);
	ck_assert_int_eq(hy_ring_send(p.prod, &k), HY_R_RING_FULL); /* still held */
	ck_assert_uint_eq(hy_ring_recv_burst(p.cons, out, 64), SLOTS - 2);
	ck_assert_int_eq(hy_ring_send(p.prod, &k), HY_R_OK);
	ck_assert_uint_eq(hy_ring_recv_burst(p.cons, out, 64), 1);
	ck_assert(out[0].sid == 99);
	ck_assert_uint_eq(hy_ring_recv_burst(p.cons, out, 64), 0);
	ck_assert_uint_eq(hy_ring_count(p.cons), 0);
	pair_close(&p);
}
END_TEST

START_TEST(test_wrap_around_with_odd_bursts)
{
	struct pair p = pair_open(SLOTS);
	struct hy_ring_msg out[SLOTS];
	uint32_t sent = 0, got = 0;
	static uint8_t slotbuf[7][HY_RING_SLOT_SIZE];
	const void *ptrs[7];
	enum hy_reason why;
	/* 1000 rounds of 7-in / 5-out cross the end of the ring many times. */
	for (int round = 0; round < 1000; round++) {
		for (unsigned i = 0; i < 7; i++) {
			struct hy_ring_msg m = cmd(sent + i, (sent + i) % 300);
			ck_assert_int_eq(hy_msg_encode_slot(&m, slotbuf[i], NULL), HY_R_OK);
			ptrs[i] = slotbuf[i];
		}
		unsigned n = hy_ring_send_burst(p.prod, ptrs, 7, &why);
		ck_assert(n == 7 || why == HY_R_RING_FULL);
		sent += n;
		unsigned r = hy_ring_recv_burst(p.cons, out, 5);
		for (unsigned i = 0; i < r; i++, got++)
			expect_cmd(&out[i], got, got % 300);
	}
	unsigned r;
	while ((r = hy_ring_recv_burst(p.cons, out, SLOTS)) > 0)
		for (unsigned i = 0; i < r; i++, got++)
			expect_cmd(&out[i], got, got % 300);
	ck_assert_uint_eq(got, sent);
	ck_assert_uint_gt(sent, 5 * 1000 - 1);
	pair_close(&p);
}
END_TEST

START_TEST(test_multi_part_across_wrap)
{
	struct pair p = pair_open(HY_RING_CONFIG_MIN_SLOTS);
	struct hy_ring_msg out[4];
	uint32_t seq = 0, got = 0;
	/* Sizes chosen so messages straddle the ring's end; a COMMAND's body
	 * is 8 bytes and the payload, so the 4th fills one slot exactly and
	 * the 5th takes two. */
	const uint32_t sizes[] = {HY_MAX_MESSAGE, 10, 5000, HY_MSG_SLOT_BODY - 8,
		HY_MSG_SLOT_BODY - 7, 40000, 0};
	for (int round = 0; round < 40; round++) {
		for (unsigned i = 0; i < 7; i++) {
			struct hy_ring_msg m = cmd(seq, sizes[(seq) % 7]);
			enum hy_reason r = hy_ring_send(p.prod, &m);
			if (r == HY_R_RING_FULL)
				break;
			ck_assert_int_eq(r, HY_R_OK);
			seq++;
		}
		unsigned n;
		while ((n = hy_ring_recv_burst(p.cons, out, 4)) > 0)
			for (unsigned i = 0; i < n; i++, got++)
				expect_cmd(&out[i], got, sizes[got % 7]);
	}
	ck_assert_uint_eq(got, seq);
	ck_assert_uint_eq(hy_ring_stats(p.cons)->bad, 0);
	/* Larger than the whole ring: refused, not RING_FULL forever. */
	struct pair small = pair_open(8);
	struct hy_ring_msg big = cmd(0, HY_MAX_MESSAGE);
	ck_assert_int_eq(hy_ring_send(small.prod, &big), HY_R_MESSAGE_TOO_LARGE);
	pair_close(&small);
	pair_close(&p);
}
END_TEST

START_TEST(test_malformed_slots_are_dropped_and_counted)
{
	struct pair p = pair_open(SLOTS);
	struct hy_ring_span sp;
	struct hy_ring_msg out[8];
	enum hy_reason why;
	ck_assert_uint_eq(hy_ring_reserve(p.prod, 3, true, &sp, &why), 3);
	struct hy_ring_msg good = cmd(1, 10);
	ck_assert_int_eq(hy_msg_encode_slot(&good, hy_ring_span_slot(&sp, 0), NULL), HY_R_OK);
	memset(hy_ring_span_slot(&sp, 1), 0xee, 64); /* garbage */
	ck_assert_int_eq(hy_msg_encode_slot(&good, hy_ring_span_slot(&sp, 2), NULL), HY_R_OK);
	hy_ring_commit(p.prod, 3);
	ck_assert_uint_eq(hy_ring_recv_burst(p.cons, out, 8), 2);
	ck_assert_uint_eq(hy_ring_stats(p.cons)->bad, 1);
	ck_assert_uint_eq(hy_ring_stats(p.cons)->last_bad, HY_R_BAD_TYPE);
	pair_close(&p);
}
END_TEST

START_TEST(test_layout_checks)
{
	struct pair p = pair_open(SLOTS);
	struct hy_ring_shared *sh = hy_ring_shared(p.prod);
	size_t size = hy_ring_region_size(SLOTS);
	ck_assert_int_eq(hy_ring_check_layout(sh, size, HY_RING_UP), HY_R_OK);
	ck_assert_int_eq(hy_ring_check_layout(sh, size, HY_RING_DOWN), HY_R_RING_BAD_MESSAGE);
	ck_assert_int_eq(hy_ring_check_layout(sh, size - 4096, HY_RING_UP), HY_R_BAD_LENGTH);
	ck_assert_int_eq(hy_ring_check_layout(sh, 100, HY_RING_UP), HY_R_BAD_LENGTH);

	sh->magic ^= 1;
	ck_assert_int_eq(hy_ring_check_layout(sh, size, HY_RING_UP), HY_R_RING_BAD_MESSAGE);
	sh->magic ^= 1;
	sh->layout_version = 2;
	ck_assert_int_eq(hy_ring_check_layout(sh, size, HY_RING_UP), HY_R_BAD_VERSION);
	sh->layout_version = HY_RING_LAYOUT_VERSION;
	sh->dpdk_version++;
	ck_assert_int_eq(hy_ring_check_layout(sh, size, HY_RING_UP), HY_R_BAD_VERSION);
	sh->dpdk_version--;
	sh->slot_size = 1024;
	ck_assert_int_eq(hy_ring_check_layout(sh, size, HY_RING_UP), HY_R_BAD_LENGTH);
	sh->slot_size = HY_RING_SLOT_SIZE;
	sh->slot_count = 32;
	ck_assert_int_eq(hy_ring_check_layout(sh, size, HY_RING_UP), HY_R_BAD_LENGTH);
	sh->slot_count = 15;
	ck_assert_int_eq(hy_ring_check_layout(sh, size, HY_RING_UP), HY_R_BAD_LENGTH);
	sh->slot_count = SLOTS;
	ck_assert_int_eq(hy_ring_check_layout(sh, size, HY_RING_UP), HY_R_OK);

	/* attach refuses a wrong expected count and a wrong direction, and
	 * leaves the descriptors to the caller. */
	struct hy_ring *r;
	enum hy_reason why;
	int mfd = dup(hy_ring_memfd(p.prod)), efd = dup(hy_ring_eventfd(p.prod));
	ck_assert_int_eq(hy_ring_attach(&r, mfd, efd, HY_RING_UP, HY_RING_CONSUMER,
		SLOTS * 2, &why), -EPROTO);
	ck_assert_int_eq(why, HY_R_BAD_LENGTH);
	ck_assert_int_eq(hy_ring_attach(&r, mfd, efd, HY_RING_DOWN, HY_RING_CONSUMER,
		0, &why), -EPROTO);
	ck_assert_ptr_null(r);
	close(mfd);
	close(efd);

	/* An unsealed file (it could be shrunk under us) is refused. */
	int plain = memfd_create("plain", MFD_CLOEXEC);
	ck_assert_int_ge(plain, 0);
	ck_assert_int_eq(ftruncate(plain, (off_t)size), 0);
	ck_assert_int_eq(hy_ring_attach(&r, plain, -1, HY_RING_UP, HY_RING_CONSUMER,
		0, &why), -EPROTO);
	close(plain);

	ck_assert_int_eq(hy_ring_create(&r, HY_RING_UP, HY_RING_PRODUCER, 12), -EINVAL);
	pair_close(&p);
}
END_TEST

static bool efd_readable(const struct hy_ring *r)
{
	struct pollfd pf = {.fd = hy_ring_eventfd(r), .events = POLLIN};
	return poll(&pf, 1, 0) == 1;
}

START_TEST(test_wakeup_only_for_armed_consumer)
{
	struct pair p = pair_open(SLOTS);
	struct hy_ring_msg out[SLOTS], k = {.type = HY_MSG_KICK, .sid = 1};
	/* Not armed: no eventfd writes at all. */
	ck_assert_int_eq(hy_ring_send(p.prod, &k), HY_R_OK);
	ck_assert(!efd_readable(p.cons));
	/* Arming with data queued refuses to sleep. */
	ck_assert(!hy_ring_arm(p.cons));
	ck_assert_uint_eq(hy_ring_shared(p.cons)->consumer_waiting, 0);
	ck_assert_uint_eq(hy_ring_recv_burst(p.cons, out, SLOTS), 1);
	/* Empty: arm, then one send wakes, the second does not write again. */
	ck_assert(hy_ring_arm(p.cons));
	ck_assert(!efd_readable(p.cons));
	ck_assert_int_eq(hy_ring_send(p.prod, &k), HY_R_OK);
	ck_assert(efd_readable(p.cons));
	ck_assert_int_eq(hy_ring_send(p.prod, &k), HY_R_OK);
	ck_assert_uint_eq(hy_ring_stats(p.prod)->wakeups, 1);
	ck_assert_uint_eq(hy_ring_recv_burst(p.cons, out, SLOTS), 2);
	/* Re-arming clears the consumed wake-up. */
	ck_assert(hy_ring_arm(p.cons));
	ck_assert(!efd_readable(p.cons));
	pair_close(&p);
}
END_TEST

static unsigned recv_one(struct pair *p, struct hy_ring_msg *out)
{
	return hy_ring_recv_burst(p->cons, out, 1);
}

START_TEST(test_send_many)
{
	struct pair p = pair_open(SLOTS);
	struct hy_ring_msg out[SLOTS];
	struct hy_ring_msg c0 = cmd(0, 10), c1 = cmd(1, TWO_SLOTS), c2 = cmd(2, THREE_SLOTS),
			   bad = {.type = 0xee}, k = {.type = HY_MSG_KICK, .sid = 7};
	const struct hy_ring_msg *batch[] = {&c0, &c1, &bad, &c2, &k};
	unsigned n_bad;
	enum hy_reason why;

	ck_assert_uint_eq(hy_ring_send_many(p.prod, batch, 0, &n_bad, &why), 0);
	/* Five messages, one refused by the encoder, seven slots: published
	 * together, the armed consumer woken once. */
	ck_assert(hy_ring_arm(p.cons));
	ck_assert_uint_eq(hy_ring_send_many(p.prod, batch, 5, &n_bad, &why), 5);
	ck_assert_uint_eq(n_bad, 1);
	ck_assert_int_eq(why, HY_R_OK);
	ck_assert_uint_eq(hy_ring_stats(p.prod)->wakeups, 1);
	ck_assert_uint_eq(hy_ring_stats(p.prod)->sent_msgs, 4);
	ck_assert_uint_eq(hy_ring_count(p.cons), 1 + 2 + 3 + 1);
	/* one multi-part message per burst (one reassembly buffer): the
	 * second ends the first burst, the single-slot KICK rides with it */
	ck_assert_uint_eq(hy_ring_recv_burst(p.cons, out, SLOTS), 2);
	expect_cmd(&out[0], 0, 10);
	expect_cmd(&out[1], 1, TWO_SLOTS);
	ck_assert_uint_eq(hy_ring_recv_burst(p.cons, out, SLOTS), 2);
	expect_cmd(&out[0], 2, THREE_SLOTS);
	ck_assert_uint_eq(out[1].type, HY_MSG_KICK);
	ck_assert_uint_eq(hy_ring_recv_burst(p.cons, out, SLOTS), 0);
	ck_assert_uint_eq(hy_ring_count(p.cons), 0);
	/* Three slots free: the first message goes whole, the second (two
	 * slots) does not fit in the one left, and nothing after it goes. */
	for (unsigned i = 0; i < SLOTS - 1 - 3; i++)
		ck_assert_int_eq(hy_ring_send(p.prod, &k), HY_R_OK);
	struct hy_ring_msg c3 = cmd(3, TWO_SLOTS), c4 = cmd(4, TWO_SLOTS), c5 = cmd(5, 1);
	const struct hy_ring_msg *tail[] = {&c3, &c4, &c5};
	ck_assert_uint_eq(hy_ring_send_many(p.prod, tail, 3, &n_bad, &why), 1);
	ck_assert_int_eq(why, HY_R_RING_FULL);
	ck_assert_uint_eq(n_bad, 0);
	ck_assert_uint_eq(hy_ring_count(p.cons), SLOTS - 2);
	ck_assert_uint_eq(hy_ring_recv_burst(p.cons, out, SLOTS - 1 - 3), SLOTS - 1 - 3);
	ck_assert_uint_eq(recv_one(&p, out), 1);
	expect_cmd(&out[0], 3, TWO_SLOTS);
	/* the rest, once there is room */
	ck_assert_uint_eq(hy_ring_send_many(p.prod, tail + 1, 2, &n_bad, &why), 2);
	ck_assert_uint_eq(recv_one(&p, out), 1);
	expect_cmd(&out[0], 4, TWO_SLOTS);
	ck_assert_uint_eq(recv_one(&p, out), 1);
	expect_cmd(&out[0], 5, 1);
	/* Nobody there: nothing sent, and said why. */
	hy_ring_set_peer(p.prod, 0);
	ck_assert_uint_eq(hy_ring_send_many(p.prod, tail, 3, &n_bad, &why), 0);
	ck_assert_int_eq(why, HY_R_RING_PEER_GONE);
	pair_close(&p);
}
END_TEST

/* Pages of the region at addr (size bytes) that are backed. */
static size_t resident_pages(void *addr, size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), pages = (size + page - 1) / page, n = 0;
	unsigned char *vec = malloc(pages);

	ck_assert_ptr_nonnull(vec);
	ck_assert_int_eq(mincore(addr, size, vec), 0);
	for (size_t i = 0; i < pages; i++)
		n += vec[i] & 1;
	free(vec);
	return n;
}

START_TEST(test_region_backed_at_creation)
{
	/* Every page of the region exists before the first message, from
	 * the creator's side alone: the first messages through a ring take
	 * no page faults. */
	struct hy_ring *r;
	size_t size = hy_ring_region_size(1024), page = (size_t)sysconf(_SC_PAGESIZE);

	ck_assert_int_eq(hy_ring_create(&r, HY_RING_UP, HY_RING_PRODUCER, 1024), 0);
	ck_assert_uint_eq(resident_pages(hy_ring_shared(r), size), (size + page - 1) / page);
	hy_ring_close(r);
}
END_TEST

START_TEST(test_peer_gone)
{
	struct pair p = pair_open(SLOTS);
	struct hy_ring_msg k = {.type = HY_MSG_KICK, .sid = 1};
	ck_assert(hy_ring_peer_alive(p.prod));
	ck_assert(hy_ring_peer_alive(p.cons));
	ck_assert(hy_ring_shared(p.prod)->consumer_generation == 1);
	hy_ring_set_peer(p.prod, 0);
	ck_assert_uint_eq(hy_ring_shared(p.cons)->consumer_pid, 0);
	ck_assert_int_eq(hy_ring_send(p.prod, &k), HY_R_RING_PEER_GONE);
	ck_assert(!hy_ring_peer_alive(p.prod));
	hy_ring_set_peer(p.prod, getpid()); /* reattach */
	ck_assert(hy_ring_shared(p.prod)->consumer_generation == 2);
	ck_assert_int_eq(hy_ring_send(p.prod, &k), HY_R_OK);
	hy_ring_mark_peer_gone(p.prod);
	ck_assert_int_eq(hy_ring_send(p.prod, &k), HY_R_RING_PEER_GONE);
	/* A freshly created ring with nobody attached refuses too. */
	struct hy_ring *lone;
	ck_assert_int_eq(hy_ring_create(&lone, HY_RING_DOWN, HY_RING_PRODUCER, 8), 0);
	ck_assert_int_eq(hy_ring_send(lone, &k), HY_R_RING_PEER_GONE);
	hy_ring_heartbeat(lone);
	ck_assert(hy_ring_shared(lone)->producer_heartbeat != 0);
	hy_ring_close(lone);
	pair_close(&p);
}
END_TEST

int main(void)
{
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i ^ (i >> 8));
	Suite *s = suite_create("ring");
	TCase *tc = tcase_create("ring");
	tcase_add_test(tc, test_full_and_empty_edges);
	tcase_add_test(tc, test_wrap_around_with_odd_bursts);
	tcase_add_test(tc, test_multi_part_across_wrap);
	tcase_add_test(tc, test_send_many);
	tcase_add_test(tc, test_region_backed_at_creation);
	tcase_add_test(tc, test_malformed_slots_are_dropped_and_counted);
	tcase_add_test(tc, test_layout_checks);
	tcase_add_test(tc, test_wakeup_only_for_armed_consumer);
	tcase_add_test(tc, test_peer_gone);
	suite_add_tcase(s, tc);
	return hy_check_run(s);
}
