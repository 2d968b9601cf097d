/* SPDX-License-Identifier: BSD-3-Clause
 * The mbuf wrappers of dataplane/net: RX checksum flags, trimming of
 * replies, chained mbufs, TX offload flags.  Starts EAL without hugepages
 * or PCI, once, and runs the tests in-process.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "net/net.h"
#include "net_frames.h"
#include "memory.h"

static struct rte_mempool *pool;
static struct hy_net_iface ifc;

static void setup(void)
{
	struct rte_ether_addr mac;
	rte_be32_t a;

	memcpy(mac.addr_bytes, fr_our_mac, 6);
	hy_net_iface_init(&ifc, &mac, FR_PORT);
	memcpy(&a, fr_our_v4, 4);
	ck_assert_int_eq(hy_net_iface_add_ipv4(&ifc, a), 0);
	ck_assert_int_eq(hy_net_iface_add_ipv6(&ifc, fr_our_v6), 0);
}

/* An mbuf holding the frame the builder writes. */
static struct rte_mbuf *mbuf_with(size_t (*build)(uint8_t *, size_t), size_t n, size_t pad_to)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p;
	size_t len;

	ck_assert_ptr_nonnull(m);
	p = rte_pktmbuf_mtod(m, uint8_t *);
	len = build(p, n);
	if (len < pad_to) {
		memset(p + len, 0, pad_to - len);
		len = pad_to;
	}
	ck_assert_ptr_nonnull(rte_pktmbuf_append(m, (uint16_t)len));
	return m;
}

static size_t arp_req(uint8_t *p, size_t n)
{
	(void)n;
	return fr_arp_req(p, fr_our_v4);
}

START_TEST(reply_trims_and_clears_offloads)
{
	struct rte_mbuf *m = mbuf_with(arp_req, 0, 60);
	struct hy_net_pkt pkt;

	m->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_IPV4;
	ck_assert_uint_eq(rte_pktmbuf_pkt_len(m), 60);
	ck_assert_int_eq(hy_net_classify_mbuf(&ifc, m, &pkt), HY_NET_REPLY);
	ck_assert_uint_eq(rte_pktmbuf_pkt_len(m), 42);
	ck_assert_uint_eq(rte_pktmbuf_data_len(m), 42);
	ck_assert_uint_eq(m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK, 0);
	rte_pktmbuf_free(m);

	m = mbuf_with(fr_icmp6_echo, 100, 0);
	ck_assert_int_eq(hy_net_classify_mbuf(&ifc, m, &pkt), HY_NET_REPLY);
	ck_assert_uint_eq(rte_pktmbuf_pkt_len(m), 162);
	rte_pktmbuf_free(m);
}
END_TEST

START_TEST(rx_checksum_flags)
{
	struct rte_mbuf *m = mbuf_with(fr_udp4, 40, 0);
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct hy_net_pkt pkt;

	ck_assert_int_eq(hy_net_classify_mbuf(&ifc, m, &pkt), HY_NET_UDP_FOR_US);
	ck_assert_uint_eq(m->l2_len, 14);
	ck_assert_uint_eq(m->l3_len, 20);
	m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_BAD;
	ck_assert_int_eq(hy_net_classify_mbuf(&ifc, m, &pkt), HY_NET_DROP);
	ck_assert_uint_eq(pkt.reason, HY_NET_DROP_IPV4_BAD_CHECKSUM);
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_BAD;
	ck_assert_int_eq(hy_net_classify_mbuf(&ifc, m, &pkt), HY_NET_DROP);
	ck_assert_uint_eq(pkt.reason, HY_NET_DROP_UDP_BAD_CHECKSUM);
	m->ol_flags = RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	ck_assert_int_eq(hy_net_classify_mbuf(&ifc, m, &pkt), HY_NET_DROP);
	ck_assert_uint_eq(pkt.reason, HY_NET_DROP_VLAN);
	/* Corrupt both checksums: the NIC's "good" is trusted. */
	p[24] ^= 0xff;
	p[40] ^= 0xff;
	m->ol_flags = 0;
	ck_assert_int_eq(hy_net_classify_mbuf(&ifc, m, &pkt), HY_NET_DROP);
	m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	ck_assert_int_eq(hy_net_classify_mbuf(&ifc, m, &pkt), HY_NET_UDP_FOR_US);
	rte_pktmbuf_free(m);
}
END_TEST

START_TEST(chained_mbuf_dropped)
{
	struct rte_mbuf *m = mbuf_with(fr_udp4, 40, 0);
	struct rte_mbuf *tail = rte_pktmbuf_alloc(pool);
	struct hy_net_pkt pkt;

	ck_assert_ptr_nonnull(tail);
	ck_assert_ptr_nonnull(rte_pktmbuf_append(tail, 10));
	ck_assert_int_eq(rte_pktmbuf_chain(m, tail), 0);
	ck_assert_int_eq(hy_net_classify_mbuf(&ifc, m, &pkt), HY_NET_DROP);
	ck_assert_uint_eq(pkt.reason, HY_NET_DROP_MBUF_SEGMENTED);
	ck_assert_int_eq(hy_net_udp_prepare_mbuf(&ifc, m, &pkt.flow, 1), -EINVAL);
	rte_pktmbuf_free(m);
}
END_TEST

START_TEST(udp_reply_offload_flags)
{
	struct rte_mbuf *m = mbuf_with(fr_udp4, 40, 0);
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct hy_net_pkt pkt;

	ck_assert_int_eq(hy_net_classify_mbuf(&ifc, m, &pkt), HY_NET_UDP_FOR_US);
	ifc.offload = HY_NET_OFFLOAD_IPV4_CKSUM | HY_NET_OFFLOAD_UDP_CKSUM;
	ck_assert_int_eq(hy_net_udp_reply_mbuf(&ifc, m, &pkt, 64), 0);
	ck_assert_uint_eq(rte_pktmbuf_pkt_len(m), 42 + 64);
	ck_assert_uint_eq(rte_pktmbuf_data_len(m), 42 + 64);
	ck_assert_uint_eq(m->l2_len, 14);
	ck_assert_uint_eq(m->l3_len, 20);
	ck_assert_uint_eq(m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK,
			  RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM);
	ck_assert_uint_eq(fr_get16(p + 24), 0);
	ck_assert_uint_eq(fr_get16(p + 40), fr_fold(fr_pseudo(p + 14, false, 17, 72)));

	/* No offload: plain frame, software checksums. */
	ifc.offload = 0;
	ck_assert_int_eq(hy_net_udp_reply_mbuf(&ifc, m, &pkt, 64), 0);
	ck_assert_uint_eq(m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK, 0);
	ck_assert(fr_ipv4_hdr_ok(p + 14));
	ck_assert(fr_l4_ok(p + 14, false, 17, p + 34, 72));
	rte_pktmbuf_free(m);

	m = mbuf_with(fr_udp6, 40, 0);
	p = rte_pktmbuf_mtod(m, uint8_t *);
	ck_assert_int_eq(hy_net_classify_mbuf(&ifc, m, &pkt), HY_NET_UDP_FOR_US);
	ck_assert_uint_eq(m->l3_len, 40);
	ifc.offload = HY_NET_OFFLOAD_IPV4_CKSUM | HY_NET_OFFLOAD_UDP_CKSUM;
	ck_assert_int_eq(hy_net_udp_reply_mbuf(&ifc, m, &pkt, 10), 0);
	ck_assert_uint_eq(m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK,
			  RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM);
	ck_assert_uint_eq(m->l3_len, 40);
	ck_assert_uint_eq(fr_get16(p + 60), fr_fold(fr_pseudo(p + 14, true, 17, 18)));
	rte_pktmbuf_free(m);
}
END_TEST

START_TEST(prepare_fresh_mbuf)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct hy_net_flow fl;
	uint16_t room;

	ck_assert_ptr_nonnull(m);
	memset(&fl, 0, sizeof(fl));
	fl.family = HY_NET_IPV6;
	memcpy(fl.peer_ip.v6, fr_peer_v6, 16);
	memcpy(fl.local_ip.v6, fr_our_v6, 16);
	memcpy(fl.peer_mac.addr_bytes, fr_peer_mac, 6);
	fl.peer_port = rte_cpu_to_be_16(FR_PEER_PORT);
	memset(rte_pktmbuf_mtod(m, uint8_t *) + hy_net_udp_hdr_len(fl.family), 0x42, 300);
	ck_assert_int_eq(hy_net_udp_prepare_mbuf(&ifc, m, &fl, 300), 0);
	ck_assert_uint_eq(rte_pktmbuf_pkt_len(m), 362);
	ck_assert(fr_l4_ok(rte_pktmbuf_mtod(m, uint8_t *) + 14, true, 17,
			   rte_pktmbuf_mtod(m, uint8_t *) + 54, 308));
	/* Larger than the buffer behind the data. */
	room = (uint16_t)(m->buf_len - m->data_off);
	ck_assert_int_eq(hy_net_udp_prepare_mbuf(&ifc, m, &fl, (uint16_t)(room - 61)), -EMSGSIZE);
	ck_assert_int_eq(hy_net_udp_prepare_mbuf(&ifc, m, &fl, (uint16_t)(room - 62)), 0);
	ck_assert_uint_eq(rte_pktmbuf_pkt_len(m), room);
	rte_pktmbuf_free(m);
}
END_TEST

/* EAL leaves its runtime directory behind even without shared config;
 * remove ours (named after our pid) so test runs leave nothing. */
static void remove_runtime_dir(const char *dir)
{
	char path[1024 + 1 + 256];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	char prefix[64], rundir[1024];
	char *eal[] = {
		argv[0], "--no-huge", "-m", "256", "--no-pci", prefix,
		"--no-shconf", "--log-level=lib.eal:error", "--no-telemetry",
	};
	SRunner *sr;
	Suite *s;
	TCase *t;
	int failed;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "--file-prefix=hy-net-test-%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return EXIT_FAILURE;
	}
	pool = rte_pktmbuf_pool_create("hy_net_test", 256, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "mbuf pool: %s\n", rte_strerror(rte_errno));
		return EXIT_FAILURE;
	}

	s = suite_create("dataplane-net-mbuf");
	t = tcase_create("mbuf");
	tcase_add_checked_fixture(t, setup, NULL);
	tcase_add_test(t, reply_trims_and_clears_offloads);
	tcase_add_test(t, rx_checksum_flags);
	tcase_add_test(t, chained_mbuf_dropped);
	tcase_add_test(t, udp_reply_offload_flags);
	tcase_add_test(t, prepare_fresh_mbuf);
	suite_add_tcase(s, t);
	sr = srunner_create(s);
	/* EAL state lives in this process: no forking per test. */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rte_mempool_free(pool);
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	hy_eal_finish();
	remove_runtime_dir(rundir);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
