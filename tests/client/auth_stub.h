/* SPDX-License-Identifier: BSD-3-Clause
 * A stand-in for the HTTP tier's POST /v1/auth, for testing the client's
 * auth helper and hayate-cli without the control plane: libmicrohttpd on
 * loopback, one thread per connection.
 *
 * It checks `Authorization: Bearer <app key>` (401 otherwise), reads the
 * JSON body {"uid","transport"} (400 naming the field otherwise), and
 * answers 200 with a ticket minted from the cluster key plus "nodeId", as
 * the real endpoint does.  Some uids ask for a misbehaving reply instead:
 *   reply-garbage  200 with a body that is not JSON
 *   reply-huge     200 with 1 MiB of JSON
 *   reply-slow     a ticket after 3 s (or when the stub stops)
 *   reply-500      500 with a plain-text body
 *   reply-other-transport  a ticket for the transport not asked for
 */
#ifndef HY_TESTS_AUTH_STUB_H
#define HY_TESTS_AUTH_STUB_H

#include <stdint.h>

#include "proto/limits.h"

struct auth_stub_config {
	const char *app_key;
	uint8_t cluster_key[HY_KEY_LEN];
	uint8_t key_id;
	uint32_t node_id;
	const char *host;       /* where tickets send the player */
	uint16_t udp_port, tcp_port;
	uint32_t ttl_s;         /* token lifetime */
};

/* What the stub last received (for asserting on the request's shape). */
struct auth_stub_request {
	char method[16], url[64];
	char authorization[256];
	char content_type[64];
	char body[512];
	unsigned count; /* requests so far */
};

/* Starts serving on 127.0.0.1:port (0: any free port); cfg is copied
 * (strings too).  Returns NULL on failure. */
struct auth_stub *auth_stub_start(const struct auth_stub_config *cfg, uint16_t port);
uint16_t auth_stub_port(const struct auth_stub *st);
void auth_stub_last_request(struct auth_stub *st, struct auth_stub_request *out);
/* Stops (a slow reply in progress ends at once) and frees. */
void auth_stub_stop(struct auth_stub *st);

#endif /* HY_TESTS_AUTH_STUB_H */
