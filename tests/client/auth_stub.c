/* SPDX-License-Identifier: BSD-3-Clause
 * HTTP stand-in for POST /v1/auth (see auth_stub.h).
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "auth_stub.h"
#include "hayate_client.h"

#include "crypto/token.h"

#define STUB_MAX_BODY 4096u
#define STUB_HUGE (1u << 20)

struct auth_stub {
	struct auth_stub_config cfg;
	char app_key[256], host[256];
	struct MHD_Daemon *d;
	atomic_bool quit;
	pthread_mutex_t lock;
	struct auth_stub_request last;
};

/* Per-request body being uploaded. */
struct upload {
	size_t len;
	bool too_big;
	char buf[STUB_MAX_BODY + 1];
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     const char *body, size_t len)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_error(struct MHD_Connection *conn, unsigned status, const char *msg,
				   const char *field)
{
	json_t *j = field ? json_pack("{s:s, s:s}", "error", msg, "field", field)
			  : json_pack("{s:s}", "error", msg);
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	enum MHD_Result ret = reply(conn, status, "application/json", s, strlen(s));
	free(s);
	json_decref(j);
	return ret;
}

static enum MHD_Result reply_ticket(struct auth_stub *st, struct MHD_Connection *conn,
				    const char *uid, enum hy_transport t)
{
	struct hy_aead_ctx key;
	struct hy_ticket tk = {0};
	char json[1024], out[1200];

	if (hy_aead_key_init(&key, HY_AEAD_OPENSSL, st->cfg.cluster_key) < 0 ||
	    hy_token_mint(&key, st->cfg.key_id, st->cfg.node_id,
			  (uint64_t)time(NULL) + st->cfg.ttl_s, uid, t, &tk.cred) < 0)
		return reply_error(conn, 500, "cannot mint a token", NULL);
	hy_aead_key_wipe(&key);
	snprintf(tk.host, sizeof(tk.host), "%s", st->host);
	tk.port = t == HY_TRANSPORT_TCP ? st->cfg.tcp_port : st->cfg.udp_port;
	int n = hy_ticket_to_json(&tk, json, sizeof(json));
	if (n < 2)
		return reply_error(conn, 500, "cannot write the ticket", NULL);
	/* The real endpoint adds the node's id to the ticket members. */
	json[n - 1] = '\0';
	n = snprintf(out, sizeof(out), "%s,\"nodeId\":%u}", json, st->cfg.node_id);
	explicit_bzero(json, sizeof(json));
	enum MHD_Result ret = reply(conn, 200, "application/json", out, (size_t)n);
	explicit_bzero(out, sizeof(out));
	return ret;
}

static void copy_header(struct MHD_Connection *conn, const char *name, char *out, size_t cap)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
	snprintf(out, cap, "%s", v ? v : "");
}

static enum MHD_Result respond(struct auth_stub *st, struct MHD_Connection *conn, const char *url,
			       const char *method, struct upload *up)
{
	char want[300];

	pthread_mutex_lock(&st->lock);
	snprintf(st->last.method, sizeof(st->last.method), "%s", method);
	snprintf(st->last.url, sizeof(st->last.url), "%s", url);
	copy_header(conn, MHD_HTTP_HEADER_AUTHORIZATION, st->last.authorization,
		    sizeof(st->last.authorization));
	copy_header(conn, MHD_HTTP_HEADER_CONTENT_TYPE, st->last.content_type,
		    sizeof(st->last.content_type));
	size_t blen = up->len < sizeof(st->last.body) - 1 ? up->len : sizeof(st->last.body) - 1;
	memcpy(st->last.body, up->buf, blen);
	st->last.body[blen] = '\0';
	st->last.count++;
	pthread_mutex_unlock(&st->lock);

	if (strcmp(method, "POST") != 0 || strcmp(url, "/v1/auth") != 0)
		return reply_error(conn, 404, "no such endpoint", NULL);
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_AUTHORIZATION);
	snprintf(want, sizeof(want), "Bearer %s", st->app_key);
	if (auth == NULL || strcmp(auth, want) != 0)
		return reply_error(conn, 401, "missing or unknown app key", NULL);
	if (up->too_big)
		return reply_error(conn, 413, "request body too large", NULL);

	json_t *req = json_loads(up->buf, 0, NULL);
	const char *uid = json_string_value(json_object_get(req, "uid"));
	const char *tr = json_string_value(json_object_get(req, "transport"));
	enum hy_transport t = tr && strcmp(tr, "tcp") == 0 ? HY_TRANSPORT_TCP : HY_TRANSPORT_UDP;
	enum MHD_Result ret;

	if (!json_is_object(req))
		ret = reply_error(conn, 400, "body must be a JSON object", "body");
	else if (uid == NULL || *uid == '\0' || strlen(uid) > HY_UID_MAX)
		ret = reply_error(conn, 400, "uid must be a string of 1 to 64 bytes", "uid");
	else if (tr == NULL || (strcmp(tr, "udp") != 0 && strcmp(tr, "tcp") != 0))
		ret = reply_error(conn, 400, "transport must be \"udp\" or \"tcp\"", "transport");
	else if (strcmp(uid, "reply-garbage") == 0)
		ret = reply(conn, 200, "text/html", "<html>this is not a ticket</html>", 33);
	else if (strcmp(uid, "reply-500") == 0)
		ret = reply(conn, 500, "text/plain", "internal trouble", 16);
	else if (strcmp(uid, "reply-huge") == 0) {
		char *big = malloc(STUB_HUGE);
		memset(big, ' ', STUB_HUGE);
		big[0] = '{';
		big[STUB_HUGE - 1] = '}';
		ret = reply(conn, 200, "application/json", big, STUB_HUGE);
		free(big);
	} else if (strcmp(uid, "reply-other-transport") == 0) {
		ret = reply_ticket(st, conn, uid,
				   t == HY_TRANSPORT_TCP ? HY_TRANSPORT_UDP : HY_TRANSPORT_TCP);
	} else {
		if (strcmp(uid, "reply-slow") == 0)
			for (int i = 0; i < 300 && !atomic_load(&st->quit); i++)
				usleep(10000);
		ret = reply_ticket(st, conn, uid, t);
	}
	json_decref(req);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_size, void **req_cls)
{
	struct auth_stub *st = cls;
	struct upload *up = *req_cls;

	(void)version;
	if (up == NULL) { /* first call: headers only */
		up = calloc(1, sizeof(*up));
		if (up == NULL)
			return MHD_NO;
		*req_cls = up;
		return MHD_YES;
	}
	if (*data_size > 0) {
		if (*data_size > STUB_MAX_BODY - up->len)
			up->too_big = true;
		else
			memcpy(up->buf + up->len, data, *data_size);
		up->len += up->too_big ? 0 : *data_size;
		*data_size = 0;
		return MHD_YES;
	}
	up->buf[up->len] = '\0';
	return respond(st, conn, url, method, up);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	free(*req_cls);
	*req_cls = NULL;
}

struct auth_stub *auth_stub_start(const struct auth_stub_config *cfg, uint16_t port)
{
	struct auth_stub *st = calloc(1, sizeof(*st));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	if (st == NULL)
		return NULL;
	st->cfg = *cfg;
	snprintf(st->app_key, sizeof(st->app_key), "%s", cfg->app_key);
	snprintf(st->host, sizeof(st->host), "%s", cfg->host);
	pthread_mutex_init(&st->lock, NULL);
	st->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
				 port, NULL, NULL, on_request, st,
				 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a,
				 MHD_OPTION_NOTIFY_COMPLETED, on_completed, st,
				 MHD_OPTION_END);
	if (st->d == NULL) {
		pthread_mutex_destroy(&st->lock);
		free(st);
		return NULL;
	}
	return st;
}

uint16_t auth_stub_port(const struct auth_stub *st)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(st->d, MHD_DAEMON_INFO_BIND_PORT);
	return i ? i->port : 0;
}

void auth_stub_last_request(struct auth_stub *st, struct auth_stub_request *out)
{
	pthread_mutex_lock(&st->lock);
	*out = st->last;
	pthread_mutex_unlock(&st->lock);
}

void auth_stub_stop(struct auth_stub *st)
{
	if (st == NULL)
		return;
	atomic_store(&st->quit, true);
	MHD_stop_daemon(st->d);
	pthread_mutex_destroy(&st->lock);
	explicit_bzero(st, sizeof(*st));
	free(st);
}
