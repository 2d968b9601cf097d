/* SPDX-License-Identifier: BSD-3-Clause
 * The HTTP server: libmicrohttpd daemon, request life cycle, routing,
 * credentials and replies.  Handlers are in api.c and metrics.c.
 *
 * Checks run in this order, and the first failure answers:
 *   route (404), method (405), credentials (401, 403), then for
 *   POST /v1/auth the media type (415) and declared length (413), all
 *   before any of the body is read; then the body as it arrives (nothing
 *   past HY_HTTP_BODY_MAX is kept: 413 once the body has ended, or the
 *   connection is closed if it goes on past HY_HTTP_DISCARD_MAX); then
 *   the handler (400, 404, 503).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http_internal.h"

enum method {
	M_GET = 1u << 0,
	M_HEAD = 1u << 1,
	M_POST = 1u << 2,
	M_DELETE = 1u << 3,
	M_OTHER = 1u << 4,
};

enum route {
	R_NONE = 0,
	R_AUTH,
	R_ENDPOINT,
	R_HEALTH,
	R_METRICS,
	R_NODES,
	R_STATS,
	R_SESSIONS,
	R_SESSION,
	R_DRAIN,
};

enum access {
	A_PUBLIC,
	A_APP,   /* app key */
	A_ADMIN, /* admin token */
};

static const struct {
	unsigned int methods;
	enum access access;
	const char *allow;
} routes[] = {
	[R_AUTH] = {M_POST, A_APP, "POST"},
	[R_ENDPOINT] = {M_GET, A_APP, "GET"},
	[R_HEALTH] = {M_GET | M_HEAD, A_PUBLIC, "GET, HEAD"},
	[R_METRICS] = {M_GET | M_HEAD, A_PUBLIC, "GET, HEAD"},
	[R_NODES] = {M_GET | M_HEAD, A_ADMIN, "GET, HEAD"},
	[R_STATS] = {M_GET | M_HEAD, A_ADMIN, "GET, HEAD"},
	[R_SESSIONS] = {M_GET | M_HEAD, A_ADMIN, "GET, HEAD"},
	[R_SESSION] = {M_GET | M_HEAD | M_DELETE, A_ADMIN, "GET, HEAD, DELETE"},
	[R_DRAIN] = {M_POST, A_ADMIN, "POST"},
};

/* Path parameters are kept still percent-encoded; 3 bytes per byte of the
 * longest uid, so a longer one is already invalid. */
#define PARAM_MAX (3 * HY_UID_MAX + 1)

/* State of one request, from its headers to its reply. */
struct req {
	enum route route;
	unsigned int method;
	bool replied;
	bool p1_long, p2_long;
	bool over;        /* the body passed HY_HTTP_BODY_MAX */
	size_t discarded; /* bytes read and dropped since */
	char p1[PARAM_MAX]; /* endpoint type, or sid */
	char p2[PARAM_MAX]; /* endpoint uid */
	size_t body_len;
	char body[HY_HTTP_BODY_MAX];
};

static const unsigned int codes[] = {
#define HY_HTTP_CODE_ITEM(c) c,
	HY_HTTP_CODES(HY_HTTP_CODE_ITEM)
#undef HY_HTTP_CODE_ITEM
};

unsigned int hy_http_code_index(unsigned int status)
{
	for (unsigned int i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i] == status)
			return i;
	return HY_HTTP_CODE_COUNT - 1;
}

unsigned int hy_http_code_of(unsigned int index)
{
	return index < sizeof(codes) / sizeof(codes[0]) ? codes[index] : 0;
}

uint16_t hy_http_bound_port(const struct hy_http *h)
{
	return h->port;
}

/* ---- replies ---- */

#define SECRET_HDR 16u /* keeps the payload aligned; holds the length */

void *hy_http_secret_alloc(size_t n)
{
	unsigned char *p = malloc(SECRET_HDR + n);
	if (p == NULL)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + SECRET_HDR;
}

void hy_http_secret_free(void *p)
{
	size_t n;
	if (p == NULL)
		return;
	unsigned char *base = (unsigned char *)p - SECRET_HDR;
	memcpy(&n, base, sizeof(n));
	explicit_bzero(p, n);
	free(base);
}

/* Wipes the string members of object j in place.  jansson hands out its
 * own storage as const; writing zeros over it before the object is freed
 * keeps keys out of freed heap memory. */
static void wipe_strings(json_t *j)
{
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v)
		if (json_is_string(v))
			explicit_bzero((char *)(uintptr_t)json_string_value(v), json_string_length(v));
}

static void reply_internal(struct hy_http_reply *r)
{
	static const char msg[] = "{\"error\":\"internal\",\"message\":\"the server could not build the reply\"}";
	r->status = 500;
	r->secret = false;
	r->body = strdup(msg);
	r->len = r->body ? strlen(msg) : 0;
	r->content_type = "application/json";
}

void hy_http_reply_json(struct hy_http_reply *r, unsigned int status, json_t *j, bool secret)
{
	const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER;
	size_t n = j ? json_dumpb(j, NULL, 0, flags) : 0;
	char *buf = NULL;

	if (n > 0)
		buf = secret ? hy_http_secret_alloc(n) : malloc(n);
	if (buf != NULL && json_dumpb(j, buf, n, flags) == n) {
		r->status = status;
		r->body = buf;
		r->len = n;
		r->secret = secret;
		r->content_type = "application/json";
	} else {
		if (secret)
			hy_http_secret_free(buf);
		else
			free(buf);
		reply_internal(r);
	}
	if (j != NULL && secret)
		wipe_strings(j);
	json_decref(j);
}

void hy_http_reply_error(struct hy_http_reply *r, unsigned int status, const char *error,
			 const char *field, const char *message)
{
	json_t *j = json_pack("{s:s}", "error", error);
	if (j != NULL && field != NULL)
		json_object_set_new(j, "field", json_string(field));
	if (j != NULL)
		json_object_set_new(j, "message", json_string(message));
	hy_http_reply_json(r, status, j, false);
}

/* Queues r on c (taking r->body) and counts the outcome. */
static enum MHD_Result send_reply(struct hy_http *h, struct MHD_Connection *c, struct req *q,
				  struct hy_http_reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret = MHD_NO;

	if (r->secret)
		resp = MHD_create_response_from_buffer_with_free_callback(r->len, r->body,
									  hy_http_secret_free);
	else
		resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		if (r->secret)
			hy_http_secret_free(r->body);
		else
			free(r->body);
		goto out;
	}
	if (r->content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	/* Tickets and admin data must not sit in any cache. */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (r->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->www_authenticate)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, r->www_authenticate);
	ret = MHD_queue_response(c, r->status, resp);
	MHD_destroy_response(resp);
out:
	q->replied = true;
	atomic_fetch_add_explicit(&h->responses[hy_http_code_index(r->status)], 1,
				  memory_order_relaxed);
	enum access a = routes[q->route].access;
	bool ticket = q->route == R_AUTH || q->route == R_ENDPOINT;
	hy_cp_count_http(h->cp, ticket && r->status == 200, ticket && r->status != 200,
			 a == A_ADMIN && (r->status == 401 || r->status == 403));
	return ret;
}

/* ---- routing ---- */

static unsigned int parse_method(const char *m)
{
	if (strcmp(m, MHD_HTTP_METHOD_GET) == 0)
		return M_GET;
	if (strcmp(m, MHD_HTTP_METHOD_HEAD) == 0)
		return M_HEAD;
	if (strcmp(m, MHD_HTTP_METHOD_POST) == 0)
		return M_POST;
	if (strcmp(m, MHD_HTTP_METHOD_DELETE) == 0)
		return M_DELETE;
	return M_OTHER;
}

/* Copies one path segment (up to the next '/' or the end) into out;
 * returns a pointer after it, or NULL if the segment is empty or too long
 * to be valid. */
static const char *segment(const char *s, char out[PARAM_MAX])
{
	size_t n = strcspn(s, "/");
	if (n == 0 || n >= PARAM_MAX)
		return NULL;
	memcpy(out, s, n);
	out[n] = '\0';
	return s + n;
}

/* Over-long path parameters are passed on as NULL, so the handler answers
 * 400 for the parameter rather than 404 for the path. */
static enum route match(const char *url, struct req *q)
{
	static const struct {
		const char *path;
		enum route r;
	} fixed[] = {
		{"/v1/auth", R_AUTH},       {"/healthcheck", R_HEALTH}, {"/metrics", R_METRICS},
		{"/v1/nodes", R_NODES},     {"/v1/stats", R_STATS},     {"/v1/sessions", R_SESSIONS},
		{"/v1/drain", R_DRAIN},
	};
	const char *s;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (strcmp(url, fixed[i].path) == 0)
			return fixed[i].r;
	if (strncmp(url, "/v1/sessions/", 13) == 0) {
		s = url + 13;
		if (*s == '\0' || strchr(s, '/') != NULL)
			return R_NONE;
		q->p1_long = segment(s, q->p1) == NULL;
		return R_SESSION;
	}
	if (strncmp(url, "/endpoint/type/", 15) == 0) {
		s = segment(url + 15, q->p1);
		if (s == NULL || strncmp(s, "/user/", 6) != 0)
			return R_NONE;
		s += 6;
		if (*s == '\0' || strchr(s, '/') != NULL)
			return R_NONE;
		q->p2_long = segment(s, q->p2) == NULL;
		return R_ENDPOINT;
	}
	return R_NONE;
}

/* ---- credentials ---- */

static enum hy_cred_kind credentials(struct hy_http *h, struct MHD_Connection *c)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	if (v != NULL) {
		if (strncasecmp(v, "Bearer", 6) != 0 || (v[6] != ' ' && v[6] != '\t'))
			return HY_CRED_UNKNOWN;
		v += 6;
	} else {
		v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Api-Key");
		if (v == NULL)
			return HY_CRED_NONE;
	}
	while (*v == ' ' || *v == '\t')
		v++;
	size_t n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	return n == 0 ? HY_CRED_UNKNOWN : hy_secrets_classify(h->secrets, v, n, NULL);
}

/* Fills r with a refusal if the credentials do not fit access a. */
static bool refuse_credentials(struct hy_http *h, struct MHD_Connection *c, enum access a,
			       struct hy_http_reply *r)
{
	if (a == A_PUBLIC)
		return false;
	enum hy_cred_kind k = credentials(h, c);
	enum hy_cred_kind want = a == A_APP ? HY_CRED_APP : HY_CRED_ADMIN;

	if (k == want)
		return false;
	if (k == HY_CRED_NONE) {
		hy_http_reply_error(r, 401, "missing_credentials", NULL,
				    a == A_APP ? "this endpoint needs an app key: "
						 "'Authorization: Bearer <key>' or 'X-Api-Key: <key>'"
					       : "this endpoint needs the admin token: "
						 "'Authorization: Bearer <token>'");
		r->www_authenticate = "Bearer realm=\"hayate\"";
	} else if (k == HY_CRED_UNKNOWN) {
		hy_http_reply_error(r, 401, "invalid_credentials", NULL,
				    a == A_APP ? "the app key is not valid"
					       : "the admin token is not valid");
		r->www_authenticate = "Bearer realm=\"hayate\", error=\"invalid_token\"";
	} else {
		hy_http_reply_error(r, 403, "forbidden", NULL,
				    a == A_APP ? "the admin token cannot be used here; use an app key"
					       : "an app key cannot use the admin API");
	}
	return true;
}

/* "application/json", any case, optionally followed by parameters. */
static bool is_json(const char *ct)
{
	static const char mt[] = "application/json";
	if (ct == NULL || strncasecmp(ct, mt, sizeof(mt) - 1) != 0)
		return false;
	ct += sizeof(mt) - 1;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/* Checks done once the headers are in; fills r to refuse. */
static bool refuse_early(struct hy_http *h, struct MHD_Connection *c, struct req *q,
			 struct hy_http_reply *r)
{
	if (q->route == R_NONE) {
		hy_http_reply_error(r, 404, "not_found", NULL, "no such endpoint");
		return true;
	}
	if (!(routes[q->route].methods & q->method)) {
		hy_http_reply_error(r, 405, "method_not_allowed", NULL,
				    "this endpoint does not take that method");
		r->allow = routes[q->route].allow;
		return true;
	}
	if (refuse_credentials(h, c, routes[q->route].access, r))
		return true;
	if (q->route == R_AUTH &&
	    !is_json(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						 MHD_HTTP_HEADER_CONTENT_TYPE))) {
		hy_http_reply_error(r, 415, "unsupported_media_type", NULL,
				    "the body must be sent as Content-Type: application/json");
		return true;
	}
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL && strtoull(cl, NULL, 10) > HY_HTTP_BODY_MAX) {
		hy_http_reply_error(r, 413, "body_too_large", NULL,
				    "the body must be at most 4096 bytes");
		return true;
	}
	return false;
}

static void dispatch(struct hy_http *h, struct MHD_Connection *c, struct req *q,
		     struct hy_http_reply *r)
{
	switch (q->route) {
	case R_AUTH:
		hy_api_auth(h, q->body, q->body_len, r);
		break;
	case R_ENDPOINT:
		hy_api_endpoint(h, q->p1, q->p2_long ? NULL : q->p2, r);
		break;
	case R_HEALTH:
		hy_api_health(h, r);
		break;
	case R_METRICS:
		hy_api_metrics(h, r);
		break;
	case R_NODES:
		hy_api_nodes(h, r);
		break;
	case R_STATS:
		hy_api_stats(h, r);
		break;
	case R_SESSIONS:
		hy_api_sessions(h, MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "offset"),
				MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit"), r);
		break;
	case R_SESSION:
		if (q->method == M_DELETE)
			hy_api_session_kick(h, q->p1_long ? NULL : q->p1, r);
		else
			hy_api_session_get(h, q->p1_long ? NULL : q->p1, r);
		break;
	case R_DRAIN:
		hy_api_drain(h, r);
		break;
	case R_NONE:
		hy_http_reply_error(r, 404, "not_found", NULL, "no such endpoint");
		break;
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct hy_http *h = cls;
	struct req *q = *con_cls;
	struct hy_http_reply r = {0};

	(void)version;
	if (q == NULL) {
		/* Headers are in, nothing of the body has been read yet. */
		if ((q = malloc(sizeof(*q))) == NULL)
			return MHD_NO;
		q->replied = q->p1_long = q->p2_long = q->over = false;
		q->body_len = q->discarded = 0;
		q->p1[0] = q->p2[0] = '\0';
		*con_cls = q;
		q->method = parse_method(method);
		q->route = match(url, q);
		if (refuse_early(h, c, q, &r))
			return send_reply(h, c, q, &r);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (q->replied)
			return MHD_YES;
		if (q->over || n > HY_HTTP_BODY_MAX - q->body_len) {
			/* libmicrohttpd 0.9 takes a reply only before the body or
			 * after all of it: keep nothing more, read on to the end
			 * (up to a bound) and answer 413 then.  Past the bound the
			 * connection is simply closed. */
			q->over = true;
			q->discarded += n;
			return q->discarded <= HY_HTTP_DISCARD_MAX ? MHD_YES : MHD_NO;
		}
		memcpy(q->body + q->body_len, upload_data, n);
		q->body_len += n;
		return MHD_YES;
	}
	if (q->replied)
		return MHD_YES;
	if (q->over) {
		hy_http_reply_error(&r, 413, "body_too_large", NULL,
				    "the body must be at most 4096 bytes");
		return send_reply(h, c, q, &r);
	}
	dispatch(h, c, q, &r);
	return send_reply(h, c, q, &r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct req *q = *con_cls;
	if (q != NULL) {
		explicit_bzero(q, sizeof(*q));
		free(q);
		*con_cls = NULL;
	}
}

/* Path parameters are decoded by the handlers, segment by segment, so an
 * encoded '/' or NUL cannot change the route or cut a value short. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];
	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\r\n")] = '\0';
	fprintf(stderr, "hayate-controlplane: http: %s\n", line);
}

/* Binds and listens ourselves, so a failure says exactly why and port 0
 * can be resolved.  Returns the socket, or -1 with err set. */
static int open_listener(const struct hy_conf_addr *a, uint16_t port, uint16_t *bound,
			 char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char text[INET6_ADDRSTRLEN];
	int one = 1, zero = 0;

	memset(&ss, 0, sizeof(ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = a->v6;
		s6->sin6_port = htons(port);
		sl = sizeof(*s6);
		inet_ntop(AF_INET6, &a->v6, text, sizeof(text));
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_addr = a->family == AF_INET ? a->v4 : (struct in_addr){htonl(INADDR_ANY)};
		s4->sin_port = htons(port);
		sl = sizeof(*s4);
		inet_ntop(AF_INET, &s4->sin_addr, text, sizeof(text));
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "http: socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6) /* "::" also takes IPv4 */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 1024) != 0) {
		snprintf(err, errlen, "http: cannot listen on %s port %u: %s", text, port,
			 strerror(errno));
		close(fd);
		return -1;
	}
	sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	*bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						: ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

struct hy_http *hy_http_start(struct hy_cp *cp, char *err, size_t errlen)
{
	const struct hy_node_config *cfg = hy_cp_config(cp);
	struct hy_http *h = calloc(1, sizeof(*h));
	int fd;

	if (h == NULL || (h->secrets = calloc(1, sizeof(*h->secrets))) == NULL) {
		snprintf(err, errlen, "http: out of memory");
		goto fail;
	}
	h->cp = cp;
	if (hy_secrets_load(cfg->paths.app_keys_file, cfg->paths.admin_token_file, h->secrets,
			    err, errlen) != 0)
		goto fail;
	fd = open_listener(&cfg->controlplane.http.listen, cfg->controlplane.http.port, &h->port,
			   err, errlen);
	if (fd < 0)
		goto fail;
	h->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
		on_request, h,
		MHD_OPTION_EXTERNAL_LOGGER, on_log, h, /* first, to catch every message */
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)HY_HTTP_THREADS,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HY_HTTP_CONN_LIMIT,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HY_HTTP_PER_IP_LIMIT,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HY_HTTP_TIMEOUT_S,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, h,
		MHD_OPTION_END);
	if (h->daemon == NULL) {
		/* libmicrohttpd closes the socket it was given on failure. */
		snprintf(err, errlen, "http: libmicrohttpd could not start on port %u", h->port);
		goto fail;
	}
	return h;
fail:
	if (h != NULL) {
		if (h->secrets != NULL) {
			hy_secrets_wipe(h->secrets);
			free(h->secrets);
		}
		free(h);
	}
	return NULL;
}

void hy_http_stop(struct hy_http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->daemon);
	hy_secrets_wipe(h->secrets);
	free(h->secrets);
	free(h);
}
