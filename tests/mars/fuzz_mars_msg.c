/* SPDX-License-Identifier: BSD-3-Clause
 * Fuzz target for the MARS cluster message decoder (controlplane/mars/wire.c).
 *
 * Input: selector u8 | rest.  Even selector: rest is a plaintext body of
 * type rest[0] (the remainder): a body that decodes re-encodes to exactly
 * the same bytes (the encoding is canonical) and its values are in range.
 * Odd selector: rest is a datagram opened under the test vector's MARS key
 * (most fail the tag; the header checks run first): an accepted one
 * decodes as above.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mars/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hy_cluster_node nodes[HY_CLUSTER_MAX_NODES];
static uint8_t out[HY_MARS_MSG_MAX], buf[HY_MARS_MSG_MAX + 1];

static void check(const struct hy_mars_msg *m, const uint8_t *body, size_t len)
{
	int n = hy_mars_body_encode(m, out, sizeof(out));

	if (n < 0 || (size_t)n != len || memcmp(out, body, len) != 0)
		abort();
	if (m->n_nodes > HY_CLUSTER_MAX_NODES || m->granted > 1)
		abort();
	for (unsigned i = 0; i < m->n_nodes; i++)
		if (m->nodes[i].id == 0 || strnlen(m->nodes[i].name, HY_CONF_NAME_MAX) ==
		    HY_CONF_NAME_MAX)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hy_aead_ctx key;
	static int ready;
	struct hy_mars_msg m = { .nodes = nodes };

	if (!ready) {
		static const uint8_t ck[HY_KEY_LEN] = { 0, 1, 2, 3, 4, 5, 6, 7,
							8, 9, 10, 11, 12, 13, 14, 15 };
		uint8_t k[HY_KEY_LEN];

		if (hy_mars_key_derive(ck, k) != 0 || hy_aead_key_init(&key, HY_AEAD_OPENSSL, k) != 0)
			abort();
		ready = 1;
	}
	if (size < 2)
		return 0;
	if ((data[0] & 1) == 0) {
		m.h.type = data[1];
		if (hy_mars_body_decode(data[1], data + 2, size - 2, &m) == HY_R_OK)
			check(&m, data + 2, size - 2);
		return 0;
	}
	if (size - 1 > sizeof(buf))
		return 0;
	memcpy(buf, data + 1, size - 1);
	if (hy_mars_open(&key, buf, size - 1, &m) == HY_R_OK)
		check(&m, buf + HY_MARS_HDR_LEN, size - 1 - HY_MARS_OVERHEAD);
	return 0;
}
