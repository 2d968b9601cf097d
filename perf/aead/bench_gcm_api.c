/* SPDX-License-Identifier: BSD-3-Clause
 * Does sealing a burst through intel-ipsec-mb's job or burst API beat one
 * direct call per packet?  The data plane seals a burst of pushes, each
 * under its recipient's key, so the question is whether the library's
 * batching interfaces amortise anything for AES-128-GCM.
 *
 *   gcm_direct  IMB_AES128_GCM_ENC once per packet (what the data plane
 *               does, shared/crypto/aead_ipsecmb.c): the baseline
 *   gcm_burst   IMB_GET_NEXT_BURST / IMB_SUBMIT_BURST_NOCHECK, a burst of
 *               32 jobs at a time
 *   gcm_job     IMB_GET_NEXT_JOB / IMB_SUBMIT_JOB_NOCHECK per packet,
 *               flushed at the end of each burst
 *
 * 32 packets a burst, each of PT_LEN bytes under its own key (from a set
 * of 64), a 17-byte header as associated data.  Before timing, each API's
 * output is compared with the direct call's for the same input, so a job
 * set up wrong cannot pass for a fast one.  Median of the rounds, TSC
 * ticks per packet; one "BENCH ..." line per API with the baseline.
 *
 *   bench_gcm_api [--rounds N] [--cpu N]
 */
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include <intel-ipsec-mb.h>

#include "bench_median.h"
#include "cli_num.h"

#define BURST 32
#define KEYS 64
#define PT_LEN 80 /* a 64-byte push with its frame and message headers */
#define AAD_LEN 17
#define ITER 20000 /* bursts per round */
#define MAX_ROUNDS 64

enum api { API_DIRECT, API_BURST, API_JOB, API_COUNT };
static const char *const api_name[API_COUNT] = { "gcm_direct", "gcm_burst", "gcm_job" };

static struct gcm_key_data keys[KEYS] __attribute__((aligned(64)));
static uint8_t pt[BURST][PT_LEN], ct[BURST][PT_LEN], tag[BURST][16];
static uint8_t iv[BURST][12], aad[BURST][AAD_LEN];

static void job_fill(IMB_JOB *j, unsigned i, const struct gcm_key_data *k)
{
	j->cipher_mode = IMB_CIPHER_GCM;
	j->hash_alg = IMB_AUTH_AES_GMAC;
	j->chain_order = IMB_ORDER_CIPHER_HASH;
	j->cipher_direction = IMB_DIR_ENCRYPT;
	j->key_len_in_bytes = IMB_KEY_128_BYTES;
	j->enc_keys = k;
	j->dec_keys = k;
	j->src = pt[i];
	j->dst = ct[i];
	j->cipher_start_src_offset_in_bytes = 0;
	j->msg_len_to_cipher_in_bytes = PT_LEN;
	j->hash_start_src_offset_in_bytes = 0;
	j->msg_len_to_hash_in_bytes = PT_LEN;
	j->iv = iv[i];
	j->iv_len_in_bytes = sizeof(iv[i]);
	j->u.GCM.aad = aad[i];
	j->u.GCM.aad_len_in_bytes = AAD_LEN;
	j->auth_tag_output = tag[i];
	j->auth_tag_output_len_in_bytes = sizeof(tag[i]);
}

/* Seals one burst, packet i under keys[(base + i) % KEYS].  Returns the
 * number of jobs that did not complete with IMB_STATUS_COMPLETED. */
static unsigned seal_burst(IMB_MGR *m, enum api api, unsigned base)
{
	IMB_JOB *jobs[BURST], *j;
	unsigned i, n, bad = 0;

	switch (api) {
	case API_DIRECT:
		for (i = 0; i < BURST; i++) {
			struct gcm_context_data g;

			IMB_AES128_GCM_ENC(m, &keys[(base + i) % KEYS], &g, ct[i], pt[i], PT_LEN,
					   iv[i], aad[i], AAD_LEN, tag[i], sizeof(tag[i]));
		}
		return 0;
	case API_BURST:
		n = IMB_GET_NEXT_BURST(m, BURST, jobs);
		if (n < BURST) {
			IMB_FLUSH_BURST(m, BURST, jobs);
			n = IMB_GET_NEXT_BURST(m, BURST, jobs);
		}
		for (i = 0; i < n; i++)
			job_fill(jobs[i], i, &keys[(base + i) % KEYS]);
		n = IMB_SUBMIT_BURST_NOCHECK(m, n, jobs);
		for (i = 0; i < n; i++)
			bad += jobs[i]->status != IMB_STATUS_COMPLETED;
		return bad + (BURST - n);
	default:
		for (i = 0; i < BURST; i++) {
			job_fill(IMB_GET_NEXT_JOB(m), i, &keys[(base + i) % KEYS]);
			j = IMB_SUBMIT_JOB_NOCHECK(m);
			bad += j != NULL && j->status != IMB_STATUS_COMPLETED;
		}
		while ((j = IMB_FLUSH_JOB(m)) != NULL)
			bad += j->status != IMB_STATUS_COMPLETED;
		return bad;
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "cpu", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	uint8_t want_ct[BURST][PT_LEN], want_tag[BURST][16], raw[16] = { 0 };
	double per[API_COUNT][MAX_ROUNDS], med[API_COUNT];
	int rounds = 9, cpu = 1, o;
	long long v;
	IMB_ARCH arch;
	IMB_MGR *m;

	while ((o = getopt_long(argc, argv, "r:c:", lo, NULL)) != -1) {
		if (o == 'r' && hy_cli_num("bench_gcm_api", "--rounds", optarg, 1, MAX_ROUNDS, &v))
			rounds = (int)v;
		else if (o == 'c' && hy_cli_num("bench_gcm_api", "--cpu", optarg, 0, CPU_SETSIZE - 1, &v))
			cpu = (int)v;
		else if (o == 'r' || o == 'c')
			return 2;
		else {
			fprintf(stderr, "usage: %s [--rounds N] [--cpu N]\n", argv[0]);
			return 2;
		}
	}
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		perror("sched_setaffinity (continuing unpinned)");
	m = alloc_mb_mgr(0);
	if (m == NULL)
		return 1;
	init_mb_mgr_auto(m, &arch);
	if (arch == IMB_ARCH_NONE) {
		fprintf(stderr, "bench_gcm_api: intel-ipsec-mb found no code path for this CPU\n");
		return 1;
	}
	for (unsigned k = 0; k < KEYS; k++) {
		raw[0] = (uint8_t)k;
		IMB_AES128_GCM_PRE(m, raw, &keys[k]);
	}
	for (unsigned i = 0; i < BURST; i++) {
		memset(pt[i], (int)i, PT_LEN);
		memset(iv[i], (int)(i + 1), sizeof(iv[i]));
		memset(aad[i], 0x17, AAD_LEN);
	}

	/* Every API must produce the direct call's bytes. */
	seal_burst(m, API_DIRECT, 5);
	memcpy(want_ct, ct, sizeof(ct));
	memcpy(want_tag, tag, sizeof(tag));
	for (int a = API_BURST; a < API_COUNT; a++) {
		memset(ct, 0, sizeof(ct));
		memset(tag, 0, sizeof(tag));
		if (seal_burst(m, (enum api)a, 5) != 0 || memcmp(ct, want_ct, sizeof(ct)) != 0 ||
		    memcmp(tag, want_tag, sizeof(tag)) != 0) {
			fprintf(stderr, "bench_gcm_api: %s does not seal as the direct call does\n",
				api_name[a]);
			return 1;
		}
	}

	/* Rounds interleave the APIs, so a slow moment of the machine hits all. */
	for (int r = 0; r < rounds; r++) {
		for (int a = 0; a < API_COUNT; a++) {
			unsigned bad = 0;
			uint64_t t0 = __rdtsc();

			for (unsigned it = 0; it < ITER; it++)
				bad += seal_burst(m, (enum api)a, it);
			per[a][r] = (double)(__rdtsc() - t0) / ((double)ITER * BURST);
			if (bad != 0) {
				fprintf(stderr, "bench_gcm_api: %s: %u jobs failed\n", api_name[a], bad);
				return 1;
			}
		}
	}
	for (int a = 0; a < API_COUNT; a++)
		med[a] = hy_bench_median(per[a], rounds);
	for (int a = 0; a < API_COUNT; a++)
		printf("BENCH name=%s value=%.1f unit=cycles/packet baseline=%.1f ratio=%.3f "
		       "baseline_name=gcm_direct burst=%d bytes=%d aad=%d keys=%d\n",
		       api_name[a], med[a], med[API_DIRECT], med[a] / med[API_DIRECT], BURST,
		       PT_LEN, AAD_LEN, KEYS);
	free_mb_mgr(m);
	return 0;
}
