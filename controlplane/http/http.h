/* SPDX-License-Identifier: BSD-3-Clause
 * The HTTP API of hayate-controlplane (libmicrohttpd + jansson): POST
 * /v1/auth, the Diarkis-compatible GET /endpoint/type/{UDP|TCP}/user/{uid},
 * /healthcheck, /metrics and the admin API under /v1/.  Reference:
 * docs/openapi.yaml and docs/operations.md.
 */
#ifndef HY_CP_HTTP_H
#define HY_CP_HTTP_H

#include <stddef.h>

struct hy_cp;
struct hy_http;

/*
 * Loads the app keys and admin token files named by the node
 * configuration (paths.app_keys_file, paths.admin_token_file), listens on
 * controlplane.http.listen:port (port 0: any free port) and serves from
 * libmicrohttpd's own threads, which call cp's thread-safe functions
 * (cp.h).  cp must outlive the returned handle.  Returns the handle, or
 * NULL with one line in err saying why (file and line of a bad secrets
 * file, never a secret; or the address that could not be bound).
 */
struct hy_http *hy_http_start(struct hy_cp *cp, char *err, size_t errlen);

/*
 * Stops serving: closes the listening socket, ends every connection,
 * waits for the server threads, wipes the secrets and frees h.  Safe on
 * NULL.
 */
void hy_http_stop(struct hy_http *h);

#endif /* HY_CP_HTTP_H */
