/* SPDX-License-Identifier: BSD-3-Clause
 * Node-wide state shared by the engines (engine.h): cookie keys with their
 * generation, cluster keys, node state.  Written by the main lcore only.
 */
#include <string.h>

#include "engine.h"

#include "crypto/cookie.h"
#include "crypto/random.h"

_Static_assert(HY_ENGINE_COOKIE_ROTATE_MIN_MS >= HY_COOKIE_LIFETIME_S * 1000u + 1000u,
	       "a rotation must not cut short the previous key's last cookies");

static int fresh_key(struct hy_aead_ctx *ctx, enum hy_aead_backend b)
{
	uint8_t k[HY_KEY_LEN];
	int rc = -1;

	if (hy_random_bytes(k, sizeof(k)) == 0 && hy_aead_key_init(ctx, b, k) == 0)
		rc = 0;
	explicit_bzero(k, sizeof(k));
	return rc;
}

int hy_engine_shared_init(struct hy_engine_shared *sh, enum hy_aead_backend b, uint64_t now_ms)
{
	memset(sh, 0, sizeof(*sh));
	for (unsigned i = 0; i < HY_ENGINE_COOKIE_SLOTS; i++) {
		if (fresh_key(&sh->cookie_keys[i], b) < 0) {
			hy_engine_shared_wipe(sh);
			return -1;
		}
	}
	sh->node_state = HY_NODE_ONLINE;
	sh->cookie_rotated_ms = now_ms;
	__atomic_store_n(&sh->cookie_gen, 0, __ATOMIC_RELEASE);
	return 0;
}

int hy_engine_shared_rotate_cookie_key(struct hy_engine_shared *sh, enum hy_aead_backend b,
				       uint64_t now_ms)
{
	uint32_t gen = __atomic_load_n(&sh->cookie_gen, __ATOMIC_RELAXED);
	struct hy_aead_ctx *next = &sh->cookie_keys[(gen + 1) % HY_ENGINE_COOKIE_SLOTS];

	if (now_ms < sh->cookie_rotated_ms + HY_ENGINE_COOKIE_ROTATE_MIN_MS)
		return -1;
	/* No engine reads this slot: it has been two generations old for at
	 * least HY_ENGINE_COOKIE_ROTATE_MIN_MS. */
	if (fresh_key(next, b) < 0)
		return -1;
	sh->cookie_rotated_ms = now_ms;
	__atomic_store_n(&sh->cookie_gen, gen + 1, __ATOMIC_RELEASE);
	return 0;
}

void hy_engine_shared_set_cluster_key(struct hy_engine_shared *sh, uint8_t key_id,
				      const struct hy_aead_ctx *key)
{
	__atomic_store_n(&sh->cluster_keys[key_id], key, __ATOMIC_RELEASE);
}

void hy_engine_shared_set_state(struct hy_engine_shared *sh, enum hy_node_state state)
{
	__atomic_store_n(&sh->node_state, (uint8_t)state, __ATOMIC_RELEASE);
}

void hy_engine_shared_wipe(struct hy_engine_shared *sh)
{
	for (unsigned i = 0; i < HY_ENGINE_COOKIE_SLOTS; i++)
		hy_aead_key_wipe(&sh->cookie_keys[i]);
}
