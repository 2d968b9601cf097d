/* SPDX-License-Identifier: BSD-3-Clause
 * Handlers of the HTTP API: tickets (POST /v1/auth and the
 * Diarkis-compatible endpoint), health and the admin API.  Every reply is
 * a JSON object; the members are documented in docs/openapi.yaml.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>
#include <openssl/evp.h>

#include "cluster.h"
#include "crypto/aead.h"
#include "crypto/token.h"
#include "http_internal.h"

#define TOKEN_B64_LEN (4 * ((HY_TOKEN_LEN + 2) / 3))

static void hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static void sid_hex(uint64_t sid, char out[17])
{
	snprintf(out, 17, "%016" PRIx64, sid);
}

static const char *state_name(enum hy_cp_state s)
{
	return s == HY_CP_OFFLINE ? "OFFLINE" : "ONLINE";
}

static const char *transport_name(uint8_t t)
{
	return t == HY_TRANSPORT_TCP ? "tcp" : t == HY_TRANSPORT_UDP ? "udp" : "unknown";
}

/* Allocates the session on a node of the cluster view (ONLINE, this
 * node's version, the transport's role; the less loaded of two: MARS's
 * pick), mints a ticket for uid bound to that node and fills r: the
 * ticket of docs/protocol.md plus nodeId, or with diarkis the field names
 * of Diarkis's endpoint API plus ours. */
static void issue(struct hy_http *h, const char *uid, uint8_t transport, bool diarkis,
		  struct hy_http_reply *r)
{
	const struct hy_keyring *keys = hy_cp_keys(h->cp);
	bool udp = transport == HY_TRANSPORT_UDP;
	struct hy_cluster_node pick, *n = &pick;
	const char *host;
	uint16_t port;
	struct hy_aead_ctx ctx;
	struct hy_credentials cred;
	char sid[17], c2s[2 * HY_KEY_LEN + 1], s2c[2 * HY_KEY_LEN + 1];
	char token[TOKEN_B64_LEN + 1];
	json_t *j;

	if (hy_cp_state(h->cp) == HY_CP_OFFLINE) {
		hy_http_reply_error(r, 503, "draining", NULL,
				    "this node is draining and takes no new sessions");
		return;
	}
	if (hy_cp_cluster_pick(h->cp, transport, 0, &pick) != 0) {
		hy_http_reply_error(r, 503, "no_endpoint", "transport",
				    udp ? "no ONLINE node of this version offers udp"
					: "no ONLINE node of this version offers tcp");
		return;
	}
	host = udp ? n->udp_host : n->tcp_host;
	port = udp ? n->udp_port : n->tcp_port;
	if (keys == NULL || keys->count == 0 || !keys->present[keys->newest_id]) {
		hy_http_reply_error(r, 503, "no_cluster_key", NULL,
				    "the node has no cluster key to seal tokens with");
		return;
	}
	if (hy_aead_key_init(&ctx, HY_AEAD_OPENSSL, keys->key[keys->newest_id]) != 0) {
		hy_http_reply_error(r, 500, "internal", NULL, "the cluster key could not be used");
		return;
	}
	int rc = hy_token_mint(&ctx, keys->newest_id, n->id,
			       (uint64_t)time(NULL) + HY_HTTP_TOKEN_LIFETIME_S, uid, transport, &cred);
	hy_aead_key_wipe(&ctx);
	if (rc != 0) {
		hy_http_reply_error(r, 500, "internal", NULL, "the token could not be minted");
		return;
	}
	sid_hex(cred.sid, sid);
	hex(cred.c2s_key, HY_KEY_LEN, c2s);
	hex(cred.s2c_key, HY_KEY_LEN, s2c);
	EVP_EncodeBlock((unsigned char *)token, cred.token, HY_TOKEN_LEN);
	if (!diarkis) {
		j = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:I, s:I}",
			      "sid", sid, "uid", cred.uid, "transport", transport_name(transport),
			      "host", host, "port", (int)port, "clientToServerKey", c2s,
			      "serverToClientKey", s2c, "token", token,
			      "expiresAt", (json_int_t)cred.expire_at, "nodeId", (json_int_t)n->id);
	} else {
		/* Diarkis hands out four 16-byte hex secrets; ours are one
		 * AES-128-GCM key per direction and no IV (each packet's nonce
		 * is its packet number), so encryptionIV is all zeros. */
		static const char zero_iv[2 * HY_KEY_LEN + 1] = "00000000000000000000000000000000";
		j = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:I}",
			      "serverType", udp ? "UDP" : "TCP", "serverHost", host,
			      "serverPort", (int)port, "sid", sid, "encryptionKey", c2s,
			      "encryptionIV", zero_iv, "encryptionMacKey", s2c, "token", token,
			      "expiresAt", (json_int_t)cred.expire_at, "clientToServerKey", c2s,
			      "serverToClientKey", s2c, "uid", cred.uid,
			      "nodeId", (json_int_t)n->id);
	}
	explicit_bzero(&cred, sizeof(cred));
	explicit_bzero(c2s, sizeof(c2s));
	explicit_bzero(s2c, sizeof(s2c));
	hy_http_reply_json(r, 200, j, true);
}

void hy_api_auth(struct hy_http *h, const char *body, size_t len, struct hy_http_reply *r)
{
	struct hy_http_auth_req a;
	struct hy_http_err e;

	if (hy_http_auth_parse(body, len, &a, &e) != 0) {
		hy_http_reply_error(r, 400, e.error, e.field, e.message);
		return;
	}
	issue(h, a.uid, a.transport, false, r);
}

void hy_api_endpoint(struct hy_http *h, const char *type, const char *uid_escaped,
		     struct hy_http_reply *r)
{
	char uid[3 * HY_UID_MAX + 1];
	uint8_t t = hy_http_transport_parse(type, true);
	const char *why;

	if (t == 0) {
		hy_http_reply_error(r, 400, "invalid_field", "type", "type must be UDP or TCP");
		return;
	}
	if (uid_escaped == NULL || strlen(uid_escaped) >= sizeof(uid)) {
		hy_http_reply_error(r, 400, "invalid_field", "uid", "uid must be at most 64 bytes");
		return;
	}
	strcpy(uid, uid_escaped);
	size_t n = MHD_http_unescape(uid);
	if (memchr(uid, '\0', n) != NULL)
		why = "uid must not contain control characters";
	else
		why = hy_http_uid_check(uid, n);
	if (why != NULL) {
		hy_http_reply_error(r, 400, "invalid_field", "uid", why);
		return;
	}
	issue(h, uid, t, true, r);
}

void hy_api_health(struct hy_http *h, struct hy_http_reply *r)
{
	enum hy_cp_state s = hy_cp_state(h->cp);
	hy_http_reply_json(r, s == HY_CP_OFFLINE ? 503 : 200,
			   json_pack("{s:s, s:s, s:I}", "status", s == HY_CP_OFFLINE ? "draining" : "ok",
				     "state", state_name(s), "nodeId",
				     (json_int_t)hy_cp_node(h->cp)->id),
			   false);
}

static json_t *endpoint_json(const char *host, uint16_t port)
{
	return json_pack("{s:s, s:i}", "host", host, "port", (int)port);
}

static json_t *roles_json(uint32_t roles)
{
	json_t *a = json_array();

	if (roles & HY_ROLE_UDP)
		json_array_append_new(a, json_string("udp"));
	if (roles & HY_ROLE_TCP)
		json_array_append_new(a, json_string("tcp"));
	if (roles & HY_ROLE_HTTP)
		json_array_append_new(a, json_string("http"));
	return a;
}

/* One node of the view.  This node (self) adds its HTTP endpoint and its
 * sessions by transport. */
static json_t *node_json(struct hy_http *h, const struct hy_cluster_node *n, bool self)
{
	json_t *eps = json_object(), *load;

	if (n->udp_host[0] != '\0')
		json_object_set_new(eps, "udp", endpoint_json(n->udp_host, n->udp_port));
	if (n->tcp_host[0] != '\0')
		json_object_set_new(eps, "tcp", endpoint_json(n->tcp_host, n->tcp_port));
	load = json_pack("{s:I, s:I, s:I}", "sessions", (json_int_t)n->load.sessions, "pps",
			 (json_int_t)n->load.pps, "cpuPct", (json_int_t)n->load.cpu_pct);
	if (self) {
		const struct hy_node_config *cfg = hy_cp_config(h->cp);
		struct hy_cp_counters c;
		char listen[64];

		hy_cp_counters(h->cp, &c);
		hy_conf_addr_format(&cfg->controlplane.http.listen, listen, sizeof(listen));
		json_object_set_new(eps, "http",
				    endpoint_json(listen[0] ? listen : "0.0.0.0", h->port));
		json_object_set_new(load, "sessions",
				    json_integer((json_int_t)(c.udp_sessions + c.tcp_sessions)));
		json_object_set_new(load, "udpSessions", json_integer((json_int_t)c.udp_sessions));
		json_object_set_new(load, "tcpSessions", json_integer((json_int_t)c.tcp_sessions));
	}
	return json_pack("{s:I, s:s, s:s, s:o, s:s, s:o, s:o, s:I, s:b}", "id", (json_int_t)n->id,
			 "name", n->name, "state",
			 n->state == HY_CLUSTER_OFFLINE ? "OFFLINE" : "ONLINE", "roles",
			 roles_json(n->roles), "version", n->version, "endpoints", eps, "load", load,
			 "ageMs", (json_int_t)n->age_ms, "self", self);
}

/* The cluster view as this node has it (any node answers). */
void hy_api_nodes(struct hy_http *h, struct hy_http_reply *r)
{
	struct hy_cluster_view *v = malloc(sizeof(*v));
	uint32_t self = hy_cp_node(h->cp)->id;
	json_t *nodes;

	if (v == NULL) {
		hy_http_reply_error(r, 500, "internal", NULL, "out of memory");
		return;
	}
	hy_cp_cluster_view(h->cp, v);
	nodes = json_array();
	for (unsigned i = 0; i < v->n_nodes; i++)
		json_array_append_new(nodes, node_json(h, &v->nodes[i], v->nodes[i].id == self));
	hy_http_reply_json(r, 200,
			   json_pack("{s:I, s:I, s:s, s:b, s:I, s:I, s:o}", "leader",
				     (json_int_t)v->leader, "term", (json_int_t)v->term, "role",
				     v->role, "stale", v->stale, "viewAgeMs",
				     (json_int_t)v->view_age_ms, "self", (json_int_t)self, "nodes",
				     nodes),
			   false);
	free(v);
}

static void put_counter(void *arg, const char *name, uint64_t v)
{
	json_object_set_new(arg, name, json_integer((json_int_t)v));
}

void hy_api_stats(struct hy_http *h, struct hy_http_reply *r)
{
	struct hy_cp_counters c;
	json_t *cpj = json_object(), *dp = json_object(), *codes = json_object();

	hy_cp_counters(h->cp, &c);
#define CP_FIELD(f) json_object_set_new(cpj, #f, json_integer((json_int_t)c.f));
	CP_FIELD(udp_sessions) CP_FIELD(tcp_sessions) CP_FIELD(dataplane_attached)
	CP_FIELD(dataplane_attaches) CP_FIELD(ring_events_up) CP_FIELD(ring_msgs_down)
	CP_FIELD(ring_full) CP_FIELD(tcp_accepted) CP_FIELD(tcp_closed) CP_FIELD(tcp_rejected)
	CP_FIELD(tcp_slow_consumer) CP_FIELD(commands) CP_FIELD(responses)
	CP_FIELD(http_requests) CP_FIELD(http_auth_ok) CP_FIELD(http_auth_refused)
	CP_FIELD(http_admin_refused)
#undef CP_FIELD
	/* tcp.*, ring.*, rooms.*, mars.*, move.*: the same names as /metrics */
	hy_cp_detail_counters(h->cp, put_counter, cpj);
	if (hy_cp_dataplane_counters(h->cp, put_counter, dp) != 0) {
		json_decref(dp);
		dp = json_null();
	}
	for (unsigned int i = 0; i < HY_HTTP_CODE_COUNT; i++) {
		char code[16];
		unsigned int s = hy_http_code_of(i);
		if (s)
			snprintf(code, sizeof(code), "%u", s);
		else
			snprintf(code, sizeof(code), "other");
		json_object_set_new(codes, code, json_integer((json_int_t)atomic_load_explicit(
							 &h->responses[i], memory_order_relaxed)));
	}
	hy_http_reply_json(r, 200,
			   json_pack("{s:I, s:s, s:o, s:o, s:{s:o}}", "nodeId",
				     (json_int_t)hy_cp_node(h->cp)->id, "state",
				     state_name(hy_cp_state(h->cp)), "controlplane", cpj,
				     "dataplane", dp, "http", "responses", codes),
			   false);
}

static json_t *session_json(const struct hy_cp_session *s)
{
	char sid[17];
	sid_hex(s->sid, sid);
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "sid", sid, "uid", s->uid,
			 "transport", transport_name(s->transport), "peer", s->peer,
			 "openedAtMs", (json_int_t)s->opened_unix_ms,
			 "lastSeenAtMs", (json_int_t)s->last_seen_unix_ms,
			 "commands", (json_int_t)s->commands);
}

void hy_api_sessions(struct hy_http *h, const char *offset, const char *limit,
		     struct hy_http_reply *r)
{
	uint64_t off = 0, lim = HY_HTTP_PAGE_DEFAULT;
	size_t total = 0;

	if (offset != NULL && hy_http_uint_parse(offset, UINT32_MAX, &off) != 0) {
		hy_http_reply_error(r, 400, "invalid_field", "offset",
				    "offset must be a whole number from 0 to 4294967295");
		return;
	}
	if (limit != NULL && hy_http_uint_parse(limit, UINT32_MAX, &lim) != 0) {
		hy_http_reply_error(r, 400, "invalid_field", "limit",
				    "limit must be a whole number from 0 to 4294967295");
		return;
	}
	if (lim > HY_HTTP_PAGE_MAX)
		lim = HY_HTTP_PAGE_MAX;
	struct hy_cp_session *page = calloc(lim ? lim : 1, sizeof(*page));
	if (page == NULL) {
		hy_http_reply_error(r, 500, "internal", NULL, "out of memory");
		return;
	}
	size_t n = hy_cp_sessions_list(h->cp, off, page, lim, &total);
	json_t *list = json_array();
	for (size_t i = 0; i < n && i < lim; i++)
		json_array_append_new(list, session_json(&page[i]));
	free(page);
	json_t *j = json_pack("{s:I, s:I, s:I, s:o}", "total", (json_int_t)total, "offset",
			      (json_int_t)off, "limit", (json_int_t)lim, "sessions", list);
	if (j != NULL && off + n < total)
		json_object_set_new(j, "nextOffset", json_integer((json_int_t)(off + n)));
	hy_http_reply_json(r, 200, j, false);
}

/* Parses the sid path parameter; fills r and returns -1 if it is bad. */
static int path_sid(const char *s, uint64_t *sid, struct hy_http_reply *r)
{
	if (s == NULL || hy_http_sid_parse(s, sid) != 0) {
		hy_http_reply_error(r, 400, "invalid_field", "sid", "sid must be 16 hex digits");
		return -1;
	}
	if (*sid == 0) {
		hy_http_reply_error(r, 400, "invalid_field", "sid", "sid must not be zero");
		return -1;
	}
	return 0;
}

void hy_api_session_get(struct hy_http *h, const char *sid, struct hy_http_reply *r)
{
	struct hy_cp_session s;
	uint64_t id;

	if (path_sid(sid, &id, r) != 0)
		return;
	if (hy_cp_session_get(h->cp, id, &s) != 0) {
		hy_http_reply_error(r, 404, "unknown_session", "sid", "no session has this sid");
		return;
	}
	hy_http_reply_json(r, 200, session_json(&s), false);
}

void hy_api_session_kick(struct hy_http *h, const char *sid, struct hy_http_reply *r)
{
	char text[17];
	uint64_t id;

	if (path_sid(sid, &id, r) != 0)
		return;
	if (hy_cp_session_kick(h->cp, id) != 0) {
		hy_http_reply_error(r, 404, "unknown_session", "sid", "no session has this sid");
		return;
	}
	sid_hex(id, text);
	hy_http_reply_json(r, 202, json_pack("{s:s, s:s}", "sid", text, "status", "kicking"), false);
}

void hy_api_drain(struct hy_http *h, struct hy_http_reply *r)
{
	hy_cp_drain(h->cp);
	hy_http_reply_json(r, 202, json_pack("{s:s, s:s}", "status", "draining", "state", "OFFLINE"),
			   false);
}
