/* SPDX-License-Identifier: BSD-3-Clause
 * Inside the HTTP module: limits, the server handle, replies and the
 * handlers (api.c, metrics.c) that http.c routes to.
 */
#ifndef HY_CP_HTTP_INTERNAL_H
#define HY_CP_HTTP_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cp.h"
#include "http.h"
#include "request.h"
#include "secrets.h"

/* Lifetime of a minted connect token: long enough for the app server to
 * hand the ticket to the player and the player to connect, short enough
 * that a leaked ticket is soon worthless.  The node remembers every sid it
 * opened until its token expires, so this also bounds that memory. */
#define HY_HTTP_TOKEN_LIFETIME_S 60u

/* Connection limits (libmicrohttpd options). */
#define HY_HTTP_CONN_LIMIT 1024u  /* connections at once, all clients */
#define HY_HTTP_PER_IP_LIMIT 256u /* connections at once from one address */
#define HY_HTTP_TIMEOUT_S 15u     /* idle connection closed after this */
#define HY_HTTP_THREADS 2u        /* server threads (epoll each) */

/* GET /v1/sessions paging. */
#define HY_HTTP_PAGE_DEFAULT 100u
#define HY_HTTP_PAGE_MAX 1000u

/* Status codes counted one by one in hayate_http_responses_total; the
 * last slot counts every other code. */
#define HY_HTTP_CODES(X) X(200) X(202) X(400) X(401) X(403) X(404) X(405) X(413) X(415) X(500) X(503)
#define HY_HTTP_CODE_COUNT (0 HY_HTTP_CODES(HY_HTTP_PLUS_ONE) + 1)
#define HY_HTTP_PLUS_ONE(c) +1

struct MHD_Daemon;

struct hy_http {
	struct hy_cp *cp;
	struct MHD_Daemon *daemon;
	struct hy_secrets *secrets;
	uint16_t port;
	_Atomic uint64_t responses[HY_HTTP_CODE_COUNT];
};

/* One reply.  body is malloc'd (or from hy_http_secret_alloc when secret
 * is true: it is then wiped when freed); the header strings are static. */
struct hy_http_reply {
	unsigned int status;
	char *body;
	size_t len;
	bool secret;
	const char *content_type;
	const char *allow;
	const char *www_authenticate;
};

/* The port actually bound (useful when the configuration says 0). */
uint16_t hy_http_bound_port(const struct hy_http *h);

/* Status code -> index in hy_http.responses; code of an index (0 for the
 * "other" slot). */
unsigned int hy_http_code_index(unsigned int status);
unsigned int hy_http_code_of(unsigned int index);

/* A buffer that hy_http_secret_free() wipes before freeing. */
void *hy_http_secret_alloc(size_t n);
void hy_http_secret_free(void *p);

/* Serialises j (taking the reference) as the reply body with status.  With
 * secret, the body is a secret buffer and j's string members are wiped
 * before j is released.  Falls back to a 500 reply if j is NULL or
 * serialising fails. */
void hy_http_reply_json(struct hy_http_reply *r, unsigned int status, json_t *j, bool secret);

/* {"error": error, "field": field (when not NULL), "message": message}. */
void hy_http_reply_error(struct hy_http_reply *r, unsigned int status, const char *error,
			 const char *field, const char *message);

/* Handlers (api.c).  Each fills *r. */
void hy_api_auth(struct hy_http *h, const char *body, size_t len, struct hy_http_reply *r);
void hy_api_endpoint(struct hy_http *h, const char *type, const char *uid_escaped,
		     struct hy_http_reply *r);
void hy_api_health(struct hy_http *h, struct hy_http_reply *r);
void hy_api_nodes(struct hy_http *h, struct hy_http_reply *r);
void hy_api_stats(struct hy_http *h, struct hy_http_reply *r);
void hy_api_sessions(struct hy_http *h, const char *offset, const char *limit,
		     struct hy_http_reply *r);
void hy_api_session_get(struct hy_http *h, const char *sid, struct hy_http_reply *r);
void hy_api_session_kick(struct hy_http *h, const char *sid, struct hy_http_reply *r);
void hy_api_drain(struct hy_http *h, struct hy_http_reply *r);

/* Prometheus text format 0.0.4 (metrics.c). */
void hy_api_metrics(struct hy_http *h, struct hy_http_reply *r);

#endif /* HY_CP_HTTP_INTERNAL_H */
