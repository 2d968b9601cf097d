/* SPDX-License-Identifier: BSD-3-Clause
 * Control-plane parts without a process: the session registry, the
 * remembered-sid set, TCP record framing and the command table.
 */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "commands.h"
#include "registry.h"
#include "dataplane_link.h"
#include "sidset.h"
#include "proto/record.h"

#include "proto/message.h"

static struct hy_cp_session sess(uint64_t sid, uint8_t transport)
{
	struct hy_cp_session s = { .sid = sid, .transport = transport };

	snprintf(s.uid, sizeof(s.uid), "u%llu", (unsigned long long)sid);
	snprintf(s.peer, sizeof(s.peer), "198.18.0.%u:5000", (unsigned)(sid % 250));
	s.opened_unix_ms = sid;
	return s;
}

/* ---- registry ---- */

START_TEST(registry_basic)
{
	struct hy_registry *r = hy_registry_create(0);
	struct hy_cp_session s = sess(42, HY_TRANSPORT_UDP), out;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(hy_registry_upsert(r, &s), 1);
	s.opened_unix_ms = 999;
	snprintf(s.peer, sizeof(s.peer), "198.18.0.9:1");
	ck_assert_int_eq(hy_registry_upsert(r, &s), 0); /* update */
	ck_assert_int_eq(hy_registry_get(r, 42, &out), 0);
	ck_assert_str_eq(out.peer, "198.18.0.9:1");
	ck_assert_uint_eq(out.opened_unix_ms, 42); /* kept from the insert */
	ck_assert_int_eq(hy_registry_note_command(r, 42, 1234), 0);
	ck_assert_int_eq(hy_registry_get(r, 42, &out), 0);
	ck_assert_uint_eq(out.commands, 1);
	ck_assert_uint_eq(out.last_seen_unix_ms, 1234);
	ck_assert_int_eq(hy_registry_note_command(r, 43, 1), -1);
	ck_assert_int_eq(hy_registry_get(r, 43, NULL), -1);
	s.sid = 0;
	ck_assert_int_eq(hy_registry_upsert(r, &s), -1);
	ck_assert_int_eq(hy_registry_remove(r, 42), 0);
	ck_assert_int_eq(hy_registry_remove(r, 42), -1);
	ck_assert_uint_eq(hy_registry_count(r, 0), 0);
	hy_registry_destroy(r);
}
END_TEST

START_TEST(dplink_format_addr)
{
	struct hy_msg_addr a = {.family = 4, .port = 65535, .addr = {198, 18, 0, 2}};
	char buf[64];

	hy_dplink_format_addr(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "198.18.0.2:65535");
	a.port = 0;
	hy_dplink_format_addr(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "198.18.0.2:0");
	a = (struct hy_msg_addr){.family = 6, .port = 7100,
		.addr = {0x20, 0x01, 0x0d, 0xb8, 0, 0x48, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};
	hy_dplink_format_addr(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "[2001:db8:48::2]:7100");
	a.family = 9;
	hy_dplink_format_addr(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "?:7100");
	/* eight full groups and a 5-digit port */
	a = (struct hy_msg_addr){.family = 6, .port = 12345};
	memset(a.addr, 0xff, 16);
	hy_dplink_format_addr(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:12345");
	hy_dplink_format_addr(&a, buf, 20); /* too small: empty, never cut */
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(registry_presized)
{
	/* Sized for the capacity it is given, up to 65536 sessions: that many
	 * go in without the table growing, the next one grows it. */
	struct hy_registry *r = hy_registry_create(1000);
	size_t cap = hy_registry_capacity(r);

	ck_assert_uint_ge(cap, 1000);
	ck_assert_uint_lt(cap, 2048);
	for (uint64_t i = 1; i <= cap; i++) {
		struct hy_cp_session s = sess(i * 0x100000001ull, HY_TRANSPORT_UDP);
		ck_assert_int_eq(hy_registry_upsert(r, &s), 1);
	}
	ck_assert_uint_eq(hy_registry_capacity(r), cap);
	struct hy_cp_session s = sess(7, HY_TRANSPORT_UDP);
	ck_assert_int_eq(hy_registry_upsert(r, &s), 1);
	ck_assert_uint_eq(hy_registry_capacity(r), 2 * cap);
	ck_assert_uint_eq(hy_registry_count(r, HY_TRANSPORT_UDP), cap + 1);
	hy_registry_destroy(r);
	r = hy_registry_create(0);
	ck_assert_uint_eq(hy_registry_capacity(r), 32);
	hy_registry_destroy(r);
	r = hy_registry_create(1u << 30);
	ck_assert_uint_eq(hy_registry_capacity(r), 65536);
	hy_registry_destroy(r);
}
END_TEST

START_TEST(registry_many_list_remove)
{
	struct hy_registry *r = hy_registry_create(0);
	enum { N = 20000 };
	static struct hy_cp_session page[100];
	size_t total, n, i;
	uint64_t prev = 0, x = 88172645463325252ull;
	static uint64_t sids[N];

	for (i = 0; i < N; i++) {
		/* xorshift: random-looking sids, like real ones */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		sids[i] = x;
		struct hy_cp_session s = sess(x, i % 3 ? HY_TRANSPORT_UDP : HY_TRANSPORT_TCP);
		ck_assert_int_eq(hy_registry_upsert(r, &s), 1);
	}
	ck_assert_uint_eq(hy_registry_count(r, 0), N);
	ck_assert_uint_eq(hy_registry_count(r, HY_TRANSPORT_TCP), (N + 2) / 3);
	/* Pages come in sid order, without gaps or repeats. */
	for (size_t off = 0; off < N; off += n) {
		n = hy_registry_list(r, off, page, 100, &total);
		ck_assert_uint_eq(total, N);
		ck_assert_uint_gt(n, 0);
		for (i = 0; i < n; i++) {
			ck_assert(off + i == 0 || page[i].sid > prev);
			prev = page[i].sid;
		}
	}
	ck_assert_uint_eq(hy_registry_list(r, N, page, 100, &total), 0);
	/* Remove every other; the rest must still be found (backward shift). */
	for (i = 0; i < N; i += 2)
		ck_assert_int_eq(hy_registry_remove(r, sids[i]), 0);
	for (i = 0; i < N; i++)
		ck_assert_int_eq(hy_registry_get(r, sids[i], NULL), i % 2 ? 0 : -1);
	n = hy_registry_count(r, HY_TRANSPORT_TCP);
	ck_assert_uint_eq(hy_registry_remove_transport(r, HY_TRANSPORT_TCP), n);
	ck_assert_uint_eq(hy_registry_count(r, HY_TRANSPORT_TCP), 0);
	for (i = 1; i < N; i += 2)
		ck_assert_int_eq(hy_registry_get(r, sids[i], NULL), i % 3 ? 0 : -1);
	hy_registry_destroy(r);
}
END_TEST

START_TEST(registry_resync_sweep)
{
	struct hy_registry *r = hy_registry_create(0);
	uint64_t i;

	for (i = 1; i <= 10; i++) {
		struct hy_cp_session s = sess(i, HY_TRANSPORT_UDP);
		hy_registry_upsert(r, &s);
	}
	struct hy_cp_session t = sess(100, HY_TRANSPORT_TCP);
	hy_registry_upsert(r, &t);
	hy_registry_next_mark(r);
	/* The resync re-announces the odd ones; a new one opens meanwhile. */
	for (i = 1; i <= 10; i += 2) {
		struct hy_cp_session s = sess(i, HY_TRANSPORT_UDP);
		ck_assert_int_eq(hy_registry_upsert(r, &s), 0);
	}
	struct hy_cp_session n = sess(11, HY_TRANSPORT_UDP);
	hy_registry_upsert(r, &n);
	ck_assert_uint_eq(hy_registry_sweep(r, HY_TRANSPORT_UDP), 5);
	for (i = 1; i <= 11; i++)
		ck_assert_int_eq(hy_registry_get(r, i, NULL), i % 2 ? 0 : -1);
	ck_assert_int_eq(hy_registry_get(r, 100, NULL), 0); /* TCP untouched */
	hy_registry_destroy(r);
}
END_TEST

static void *reader(void *arg)
{
	struct hy_registry *r = arg;
	struct hy_cp_session page[16];
	size_t total;

	for (int i = 0; i < 2000; i++) {
		hy_registry_list(r, (size_t)i % 50, page, 16, &total);
		hy_registry_get(r, (uint64_t)i + 1, NULL);
	}
	return NULL;
}

START_TEST(registry_threads)
{
	struct hy_registry *r = hy_registry_create(0);
	pthread_t t[2];
	uint64_t i;

	pthread_create(&t[0], NULL, reader, r);
	pthread_create(&t[1], NULL, reader, r);
	for (i = 1; i <= 5000; i++) {
		struct hy_cp_session s = sess(i, HY_TRANSPORT_UDP);
		hy_registry_upsert(r, &s);
		if (i % 3 == 0)
			hy_registry_remove(r, i - 1);
	}
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	ck_assert_uint_eq(hy_registry_count(r, 0), 5000 - 5000 / 3);
	hy_registry_destroy(r);
}
END_TEST

/* ---- remembered sids ---- */

START_TEST(sidset_cap_and_expiry)
{
	struct hy_sidset *s = hy_sidset_create(100);
	uint64_t i;

	for (i = 1; i <= 100; i++)
		ck_assert_int_eq(hy_sidset_add(s, i * 7919, i < 50 ? 10 : 20, 0), 0);
	ck_assert_int_eq(hy_sidset_add(s, 7919, 30, 0), -1);  /* already there */
	ck_assert_int_eq(hy_sidset_add(s, 1, 30, 5), -1);     /* full, none expired */
	ck_assert(hy_sidset_has(s, 50 * 7919));
	/* At t=10 the first 49 expire: room again (fail closed until then). */
	ck_assert_int_eq(hy_sidset_add(s, 1, 30, 10), 0);
	ck_assert(!hy_sidset_has(s, 7919));
	ck_assert(hy_sidset_has(s, 60 * 7919));
	ck_assert_uint_eq(hy_sidset_count(s), 52);
	ck_assert_uint_eq(hy_sidset_expire(s, 20, 1000), 51);
	ck_assert(hy_sidset_has(s, 1));
	hy_sidset_destroy(s);
}
END_TEST

/* ---- record framing ---- */

START_TEST(record_framing)
{
	uint8_t buf[3 * HY_RECORD_MAX_LEN], pkt[HY_MAX_DATAGRAM];
	const uint8_t *p;
	size_t plen, used, off = 0, n;
	int count = 0;

	memset(pkt, 0x5a, sizeof(pkt));
	n = hy_record_encode(buf, sizeof(buf), pkt, 1);
	ck_assert_uint_eq(n, 3);
	n += hy_record_encode(buf + n, sizeof(buf) - n, pkt, HY_MAX_DATAGRAM);
	ck_assert_uint_eq(n, 3 + 2 + HY_MAX_DATAGRAM);
	ck_assert_uint_eq(hy_record_encode(buf, sizeof(buf), pkt, 0), 0);
	ck_assert_uint_eq(hy_record_encode(buf, sizeof(buf), pkt, HY_MAX_DATAGRAM + 1), 0);
	ck_assert_uint_eq(hy_record_encode(buf, 10, pkt, 9), 0);
	/* Byte by byte, the reader sees nothing until a record is whole. */
	for (size_t have = 0; have <= n; have++) {
		enum hy_reason r = hy_record_peek(buf + off, have - off, &p, &plen, &used);

		if (r == HY_R_OK) {
			ck_assert(plen == 1 || plen == HY_MAX_DATAGRAM);
			ck_assert_uint_eq(used, plen + 2);
			ck_assert_mem_eq(p, pkt, plen);
			off += used;
			count++;
		} else {
			ck_assert_int_eq(r, HY_R_TRUNCATED);
		}
	}
	ck_assert_int_eq(count, 2);
	ck_assert_uint_eq(off, n);
	/* Bad lengths are refused at once, before the body arrives. */
	buf[0] = 0;
	buf[1] = 0;
	ck_assert_int_eq(hy_record_peek(buf, 2, &p, &plen, &used), HY_R_BAD_LENGTH);
	buf[0] = (HY_MAX_DATAGRAM + 1) >> 8;
	buf[1] = (HY_MAX_DATAGRAM + 1) & 0xff;
	ck_assert_int_eq(hy_record_peek(buf, 2, &p, &plen, &used), HY_R_BAD_LENGTH);
	ck_assert_int_eq(hy_record_peek(buf, 1, &p, &plen, &used), HY_R_TRUNCATED);
}
END_TEST

/* ---- commands ---- */

START_TEST(command_table)
{
	size_t n;
	const struct hy_cmd_def *t = hy_cmd_table(&n);

	ck_assert_int_eq(hy_cmd_table_check(), 0);
	ck_assert_uint_ge(n, 1);
	ck_assert_ptr_eq(hy_cmd_lookup(0, HY_CMD_ECHO), &t[0]);
	ck_assert_str_eq(hy_cmd_lookup(0, HY_CMD_ECHO)->name, "ECHO");
	ck_assert_ptr_null(hy_cmd_lookup(0, 4));
	ck_assert_ptr_null(hy_cmd_lookup(1, HY_CMD_ECHO));
}
END_TEST

START_TEST(dispatch_echo_and_unknown)
{
	uint8_t req_pl[HY_ECHO_REQ_LEN], out[64];
	struct hy_cmd_req req = { .sid = 1, .ver = 0, .cmd = HY_CMD_ECHO, .payload = req_pl,
				  .len = sizeof(req_pl), .node_state = HY_NODE_OFFLINE };
	struct hy_cmd_reply rep = { .payload = out, .cap = sizeof(out) };
	struct hy_echo_resp er;

	hy_echo_req_encode(req_pl, sizeof(req_pl), 77);
	/* IPv6 peer */
	req.peer.family = 6;
	req.peer.addr[0] = 0x20;
	req.peer.addr[15] = 7;
	req.peer.port = 50000;
	ck_assert_ptr_nonnull(hy_cmd_dispatch(NULL, &req, &rep));
	ck_assert_uint_eq(rep.status, HY_STATUS_OK);
	ck_assert_uint_eq(rep.len, HY_ECHO_RESP_V6_LEN);
	ck_assert_int_eq(hy_echo_resp_decode(out, rep.len, &er), HY_R_OK);
	ck_assert_uint_eq(er.client_time, 77);
	ck_assert_uint_eq(er.node_state, HY_NODE_OFFLINE);
	ck_assert_uint_eq(er.addr.port, 50000);
	/* Unknown peer address: the server's fault. */
	memset(&req.peer, 0, sizeof(req.peer));
	hy_cmd_dispatch(NULL, &req, &rep);
	ck_assert_uint_eq(rep.status, HY_STATUS_ERR);
	/* Malformed request: BAD. */
	req.len = 3;
	hy_cmd_dispatch(NULL, &req, &rep);
	ck_assert_uint_eq(rep.status, HY_STATUS_BAD);
	ck_assert_uint_eq(rep.len, 0);
	/* Unknown command: BAD, no payload. */
	req.ver = 2;
	req.cmd = 0x0101;
	ck_assert_ptr_null(hy_cmd_dispatch(NULL, &req, &rep));
	ck_assert_uint_eq(rep.status, HY_STATUS_BAD);
	ck_assert_uint_eq(rep.len, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("controlplane");
	TCase *tc = tcase_create("units");

	tcase_add_test(tc, registry_basic);
	tcase_add_test(tc, registry_presized);
	tcase_add_test(tc, dplink_format_addr);
	tcase_add_test(tc, registry_many_list_remove);
	tcase_add_test(tc, registry_resync_sweep);
	tcase_add_test(tc, registry_threads);
	tcase_add_test(tc, sidset_cap_and_expiry);
	tcase_add_test(tc, record_framing);
	tcase_add_test(tc, command_table);
	tcase_add_test(tc, dispatch_echo_and_unknown);
	suite_add_tcase(s, tc);
	return hy_check_run(s);
}
