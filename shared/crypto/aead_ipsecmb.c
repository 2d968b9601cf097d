/* SPDX-License-Identifier: BSD-3-Clause
 * AES-128-GCM on intel-ipsec-mb, through its direct (synchronous) GCM API.
 *
 * The expanded key (round keys and GHASH powers, struct gcm_key_data) lives
 * in hy_aead_ctx.state and is only read after key init, so one context may
 * be shared by threads.  The library's function table (IMB_MGR) is chosen
 * per CPU at init time; each thread allocates its own lazily and frees it
 * at thread exit, so no lock is taken on the packet path.  The expanded
 * key's layout depends on the code path the library picked for this CPU;
 * every thread of a process picks the same one, so a context is valid in
 * any thread of the process that made it (never copy one to another host).
 */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <openssl/crypto.h>

#include "crypto/aead.h"
#include "crypto/aead_impl.h"

_Static_assert(sizeof(struct gcm_key_data) <= HY_AEAD_CTX_SIZE,
	       "intel-ipsec-mb GCM key data does not fit hy_aead_ctx");
_Static_assert(HY_NONCE_LEN == IMB_GCM_IV_DATA_LEN, "GCM IV length");
_Static_assert(HY_TAG_LEN == IMB_MAX_TAG_LEN, "GCM tag length");

enum mgr_state { MGR_UNKNOWN = 0, MGR_READY, MGR_UNAVAILABLE };

static pthread_once_t mgr_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t mgr_key;
static bool mgr_key_ok;

static __thread IMB_MGR *tls_mgr;
static __thread enum mgr_state tls_state;

/* Where the GHASH powers H^8..H^1 start in struct gcm_key_data, for
 * hy_aead_prefetch(): the VAES/AVX-512 code keeps H^48..H^1 after the
 * round keys, highest power first, so a short packet's powers are the
 * last three lines (H^8 at 16 * 55); the other code paths keep the first
 * powers right after the round keys (16 * 15).  Read off the library's
 * key layouts and its VAES code's loads (offsets 0x340 to 0x3ef). */
#define HKEY_VAES_AVX512 (16u * 55u)
#define HKEY_OTHERS (16u * 15u)
static __thread uint16_t tls_hot_hkey;

/* The direct API rejects NULL buffers even at length 0; point there instead. */
static const uint8_t empty_buf[16];

static void mgr_destroy(void *p)
{
	free_mb_mgr(p);
}

static void mgr_key_create(void)
{
	mgr_key_ok = pthread_key_create(&mgr_key, mgr_destroy) == 0;
}

/* Returns this thread's manager, creating it on first use; NULL if the
 * library cannot run here (then every later call fails fast too). */
static IMB_MGR *mgr_get(void)
{
	if (__builtin_expect(tls_state == MGR_READY, 1))
		return tls_mgr;
	if (tls_state == MGR_UNAVAILABLE)
		return NULL;

	tls_state = MGR_UNAVAILABLE;
	pthread_once(&mgr_key_once, mgr_key_create);
	if (!mgr_key_ok)
		return NULL;
	IMB_MGR *m = alloc_mb_mgr(0);
	if (m == NULL)
		return NULL;
	IMB_ARCH arch = IMB_ARCH_NONE;
	init_mb_mgr_auto(m, &arch);
	if (arch == IMB_ARCH_NONE || imb_get_errno(m) != 0 ||
	    pthread_setspecific(mgr_key, m) != 0) {
		free_mb_mgr(m);
		return NULL;
	}
	tls_mgr = m;
	tls_state = MGR_READY;
	const uint64_t vaes = IMB_FEATURE_VAES | IMB_FEATURE_VPCLMULQDQ;
	tls_hot_hkey = (uint16_t)((arch == IMB_ARCH_AVX512 && (m->features & vaes) == vaes ?
				   HKEY_VAES_AVX512 : HKEY_OTHERS) & ~63u);
	return m;
}

void hy_aead_ipsecmb_thread_release(void)
{
	if (tls_state == MGR_READY) {
		(void)pthread_setspecific(mgr_key, NULL);
		free_mb_mgr(tls_mgr);
	}
	tls_mgr = NULL;
	tls_state = MGR_UNKNOWN;
}

int hy_aead_ipsecmb_available(void)
{
	return mgr_get() != NULL ? 0 : -1;
}

int hy_aead_ipsecmb_key_init(struct hy_aead_ctx *ctx, const uint8_t key[HY_KEY_LEN])
{
	IMB_MGR *m = mgr_get();
	if (m == NULL)
		return -1;
	IMB_AES128_GCM_PRE(m, key, (struct gcm_key_data *)ctx->state);
	ctx->hot.lines = 3; /* the round keys, 176 bytes */
	ctx->hot.hkey = tls_hot_hkey;
	return 0;
}

int hy_aead_ipsecmb_seal(const struct hy_aead_ctx *ctx, const uint8_t nonce[HY_NONCE_LEN],
			 const uint8_t *aad, size_t aad_len,
			 const uint8_t *pt, size_t len, uint8_t *ct, uint8_t tag[HY_TAG_LEN])
{
	IMB_MGR *m = mgr_get();
	if (m == NULL)
		return -1;
	struct gcm_context_data g;
	uint8_t dummy[16];
	if (len == 0) {
		pt = empty_buf;
		ct = dummy;
	}
	if (aad_len == 0)
		aad = empty_buf;
	IMB_AES128_GCM_ENC(m, (const struct gcm_key_data *)ctx->state, &g, ct, pt,
			   len, nonce, aad, aad_len, tag, HY_TAG_LEN);
	return 0;
}

int hy_aead_ipsecmb_open(const struct hy_aead_ctx *ctx, const uint8_t nonce[HY_NONCE_LEN],
			 const uint8_t *aad, size_t aad_len,
			 const uint8_t *ct, size_t len, uint8_t *pt, const uint8_t tag[HY_TAG_LEN])
{
	IMB_MGR *m = mgr_get();
	if (m == NULL)
		return -1;
	struct gcm_context_data g;
	uint8_t dummy[16];
	uint8_t calc[HY_TAG_LEN];
	if (len == 0) {
		ct = empty_buf;
		pt = dummy;
	}
	if (aad_len == 0)
		aad = empty_buf;
	IMB_AES128_GCM_DEC(m, (const struct gcm_key_data *)ctx->state, &g, pt, ct,
			   len, nonce, aad, aad_len, calc, HY_TAG_LEN);
	/* Constant time: a byte-wise early exit would leak the tag prefix. */
	return CRYPTO_memcmp(calc, tag, HY_TAG_LEN) == 0 ? 0 : -1;
}
