/* SPDX-License-Identifier: BSD-3-Clause
 * The HTTP module end to end: started on 127.0.0.1 (any free port) against
 * the control-plane test double (cp_stub.h) and driven with libcurl.
 */
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "check_run.h"
#include "cp_stub.h"
#include "crypto/token.h"
#include "hayate_client.h"
#include "http.h"
#include "http_internal.h"

#define APP_KEY "app-key-0123456789abcdef0123456789abcdef"
#define ADMIN_TOKEN "admin-token-0123456789abcdef0123456789ab"
#define BEARER_APP "Authorization: Bearer " APP_KEY
#define BEARER_ADMIN "Authorization: Bearer " ADMIN_TOKEN
#define JSON_CT "Content-Type: application/json"

static char dir[64], app_path[128], admin_path[128];
static struct hy_cp *cp;
static struct hy_http *http;

struct resp {
	long status;
	char *body;
	size_t len;
	char headers[4096];
	json_t *json; /* parsed body when it is JSON */
};

static struct resp last;

static void write_file(const char *p, const char *text, mode_t mode)
{
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(chmod(p, mode), 0);
}

static void start(void)
{
	char err[256];
	http = hy_http_start(cp, err, sizeof(err));
	ck_assert_msg(http != NULL, "hy_http_start: %s", err);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/hy-http-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(app_path, sizeof(app_path), "%s/app.keys", dir);
	snprintf(admin_path, sizeof(admin_path), "%s/admin.token", dir);
	write_file(app_path, "# app servers\ngame " APP_KEY "\n", 0600);
	write_file(admin_path, ADMIN_TOKEN "\n", 0600);
	cp = hy_cp_stub_create();
	ck_assert_ptr_nonnull(cp);
	struct hy_node_config *cfg = hy_cp_stub_config(cp);
	snprintf(cfg->paths.app_keys_file, sizeof(cfg->paths.app_keys_file), "%s", app_path);
	snprintf(cfg->paths.admin_token_file, sizeof(cfg->paths.admin_token_file), "%s",
		 admin_path);
	memset(&last, 0, sizeof(last));
}

static void setup_started(void)
{
	setup();
	start();
}

static void teardown(void)
{
	hy_http_stop(http);
	http = NULL;
	hy_cp_stub_destroy(cp);
	free(last.body);
	json_decref(last.json);
	memset(&last, 0, sizeof(last));
	unlink(app_path);
	unlink(admin_path);
	rmdir(dir);
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;
	char *b = realloc(r->body, r->len + size * n + 1);
	if (b == NULL)
		return 0;
	memcpy(b + r->len, p, size * n);
	r->body = b;
	r->len += size * n;
	r->body[r->len] = '\0';
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;
	size_t used = strlen(r->headers);
	if (used + size * n < sizeof(r->headers))
		memcpy(r->headers + used, p, size * n);
	return size * n;
}

struct upload {
	size_t left;
};

static size_t on_read(char *p, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t k = size * n < u->left ? size * n : u->left;
	memset(p, ' ', k);
	u->left -= k;
	return k;
}

/* Sends method path with the given header lines (NULL-terminated) and
 * body (NULL: none; chunked > 0: a chunked body of that many spaces).
 * Fills last; returns the status. */
static long request_ex(const char *method, const char *path, const char *const *hdrs,
		       const char *body, size_t chunked)
{
	char url[512];
	struct curl_slist *list = NULL;
	struct upload up = {chunked};
	CURL *c = curl_easy_init();

	free(last.body);
	json_decref(last.json);
	memset(&last, 0, sizeof(last));
	ck_assert_ptr_nonnull(c);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", hy_http_bound_port(http), path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	for (size_t i = 0; hdrs != NULL && hdrs[i] != NULL; i++)
		list = curl_slist_append(list, hdrs[i]);
	list = curl_slist_append(list, "Expect:");
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else if (chunked > 0) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, &up);
		list = curl_slist_append(list, "Transfer-Encoding: chunked");
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &last);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &last);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	CURLcode rc = curl_easy_perform(c);
	ck_assert_msg(rc == CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &last.status);
	curl_slist_free_all(list);
	curl_easy_cleanup(c);
	if (last.body != NULL)
		last.json = json_loads(last.body, 0, NULL);
	return last.status;
}

/* A chunked POST /v1/auth of n bytes; returns the transfer's result. */
static CURLcode request_raw_fails(size_t n)
{
	char url[128];
	struct upload up = {n};
	struct curl_slist *list = NULL;
	struct resp r;
	CURL *c = curl_easy_init();

	memset(&r, 0, sizeof(r));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/v1/auth", hy_http_bound_port(http));
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "POST");
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	list = curl_slist_append(list, BEARER_APP);
	list = curl_slist_append(list, JSON_CT);
	list = curl_slist_append(list, "Expect:");
	list = curl_slist_append(list, "Transfer-Encoding: chunked");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(list);
	curl_easy_cleanup(c);
	free(r.body);
	return rc;
}

static long request(const char *method, const char *path, const char *const *hdrs,
		    const char *body)
{
	return request_ex(method, path, hdrs, body, 0);
}

static bool has_header(const char *prefix)
{
	return strcasestr(last.headers, prefix) != NULL;
}

static const char *jstr(const char *key)
{
	json_t *v = json_object_get(last.json, key);
	ck_assert_msg(json_is_string(v), "member %s missing in %s", key, last.body);
	return json_string_value(v);
}

static json_int_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	ck_assert_msg(json_is_integer(v), "member %s missing", key);
	return json_integer_value(v);
}

/* Checks last is a JSON error with status, error code and field. */
static void expect_error(long status, const char *error, const char *field)
{
	ck_assert_msg(last.status == status, "status %ld, expected %ld: %s", last.status, status,
		      last.body ? last.body : "");
	ck_assert_msg(has_header("Content-Type: application/json"), "%s", last.headers);
	ck_assert_ptr_nonnull(last.json);
	ck_assert_str_eq(jstr("error"), error);
	ck_assert(json_is_string(json_object_get(last.json, "message")));
	if (field != NULL)
		ck_assert_str_eq(jstr("field"), field);
	else
		ck_assert_ptr_null(json_object_get(last.json, "field"));
}

/* Opens a ticket's token with the fixture's cluster key as node node_id. */
static enum hy_reason open_token(const uint8_t token[HY_TOKEN_LEN], uint32_t node_id,
				 struct hy_token_private *priv)
{
	static struct hy_aead_ctx key;
	const struct hy_aead_ctx *keys[256] = {0};
	struct hy_token_public pub;
	const struct hy_keyring *k = hy_cp_keys(cp);

	ck_assert_int_eq(hy_aead_key_init(&key, HY_AEAD_OPENSSL, k->key[k->newest_id]), 0);
	keys[k->newest_id] = &key;
	enum hy_reason r = hy_token_open(keys, 256, node_id, (uint64_t)time(NULL), token, &pub, priv);
	if (r == HY_R_OK)
		ck_assert_uint_eq(pub.key_id, k->newest_id);
	return r;
}

static const char *const app_json[] = {BEARER_APP, JSON_CT, NULL};

/* ---- POST /v1/auth ---- */

START_TEST(auth_ticket)
{
	struct hy_ticket t;
	struct hy_token_private priv;
	char err[256];
	uint64_t now = (uint64_t)time(NULL);

	ck_assert_int_eq(request("POST", "/v1/auth", app_json,
				 "{\"uid\":\"player-1\",\"transport\":\"udp\"}"), 200);
	ck_assert(has_header("Cache-Control: no-store"));
	ck_assert_msg(hy_ticket_from_json(last.body, &t, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(t.cred.uid, "player-1");
	ck_assert_int_eq(t.cred.transport, HY_TRANSPORT_UDP);
	ck_assert_str_eq(t.host, "198.18.0.1");
	ck_assert_uint_eq(t.port, 7100);
	ck_assert_int_eq(jint(last.json, "nodeId"), 7);
	ck_assert_uint_ge(t.cred.expire_at, now + HY_HTTP_TOKEN_LIFETIME_S);
	ck_assert_uint_le(t.cred.expire_at, now + HY_HTTP_TOKEN_LIFETIME_S + 5);

	/* the token opens with the cluster key on node 7 only, and carries
	 * the ticket's sid, keys and uid */
	ck_assert_int_eq(open_token(t.cred.token, 7, &priv), HY_R_OK);
	ck_assert_uint_eq(priv.sid, t.cred.sid);
	ck_assert_int_eq(priv.transport, HY_TRANSPORT_UDP);
	ck_assert_str_eq(priv.uid, "player-1");
	ck_assert_mem_eq(priv.c2s_key, t.cred.c2s_key, HY_KEY_LEN);
	ck_assert_mem_eq(priv.s2c_key, t.cred.s2c_key, HY_KEY_LEN);
	ck_assert_int_eq(open_token(t.cred.token, 8, &priv), HY_R_TOKEN_WRONG_NODE);

	struct hy_cp_stub_calls calls;
	hy_cp_stub_calls(cp, &calls);
	ck_assert_uint_eq(calls.http_auth_ok, 1);
	ck_assert_uint_eq(calls.http_auth_refused, 0);
}
END_TEST

START_TEST(auth_variants)
{
	struct hy_ticket t, t2;
	struct hy_token_private priv;
	char err[256];
	const char *const x_api[] = {"X-Api-Key: " APP_KEY, "Content-Type: application/json; charset=utf-8", NULL};

	/* X-Api-Key, tcp, a charset parameter */
	ck_assert_int_eq(request("POST", "/v1/auth", x_api, "{\"uid\":\"p2\",\"transport\":\"tcp\"}"),
			 200);
	ck_assert_int_eq(hy_ticket_from_json(last.body, &t, err, sizeof(err)), 0);
	ck_assert_int_eq(t.cred.transport, HY_TRANSPORT_TCP);
	ck_assert_uint_eq(t.port, 7200);
	ck_assert_int_eq(open_token(t.cred.token, 7, &priv), HY_R_OK);
	ck_assert_int_eq(priv.transport, HY_TRANSPORT_TCP);
	/* transport defaults to udp; each ticket has its own sid and keys */
	ck_assert_int_eq(request("POST", "/v1/auth", app_json, "{\"uid\":\"p2\"}"), 200);
	ck_assert_int_eq(hy_ticket_from_json(last.body, &t2, err, sizeof(err)), 0);
	ck_assert_int_eq(t2.cred.transport, HY_TRANSPORT_UDP);
	ck_assert_uint_ne(t.cred.sid, t2.cred.sid);
	ck_assert(memcmp(t.cred.c2s_key, t2.cred.c2s_key, HY_KEY_LEN) != 0);
	/* "Bearer" is case-insensitive */
	const char *const lower[] = {"Authorization: bearer  " APP_KEY, JSON_CT, NULL};
	ck_assert_int_eq(request("POST", "/v1/auth", lower, "{\"uid\":\"p3\"}"), 200);
}
END_TEST

START_TEST(auth_credentials_refused)
{
	const char *const none[] = {JSON_CT, NULL};
	const char *const wrong[] = {"Authorization: Bearer " APP_KEY "x", JSON_CT, NULL};
	const char *const basic[] = {"Authorization: Basic " APP_KEY, JSON_CT, NULL};
	const char *const admin[] = {BEARER_ADMIN, JSON_CT, NULL};
	const char *body = "{\"uid\":\"p\"}";

	request("POST", "/v1/auth", none, body);
	expect_error(401, "missing_credentials", NULL);
	ck_assert(has_header("WWW-Authenticate: Bearer realm=\"hayate\""));
	request("POST", "/v1/auth", wrong, body);
	expect_error(401, "invalid_credentials", NULL);
	ck_assert(has_header("WWW-Authenticate: Bearer"));
	ck_assert_ptr_null(strstr(last.body, APP_KEY));
	request("POST", "/v1/auth", basic, body);
	expect_error(401, "invalid_credentials", NULL);
	request("POST", "/v1/auth", admin, body);
	expect_error(403, "forbidden", NULL);

	struct hy_cp_stub_calls calls;
	hy_cp_stub_calls(cp, &calls);
	ck_assert_uint_eq(calls.http_auth_refused, 4);
	ck_assert_uint_eq(calls.http_auth_ok, 0);
}
END_TEST

START_TEST(auth_bad_bodies)
{
	static const struct {
		const char *body;
		const char *error;
		const char *field;
	} cases[] = {
		{"not json", "invalid_json", NULL},
		{"[1]", "invalid_json", NULL},
		{"{\"uid\":\"a\",\"uid\":\"b\"}", "invalid_json", NULL},
		{"{}", "missing_field", "uid"},
		{"{\"uid\":5}", "invalid_field", "uid"},
		{"{\"uid\":\"\"}", "invalid_field", "uid"},
		{"{\"uid\":\"x\\u0000y\"}", "invalid_field", "uid"},
		{"{\"uid\":\"x\\ty\"}", "invalid_field", "uid"},
		{"{\"uid\":\"01234567890123456789012345678901234567890123456789012345678901234\"}",
		 "invalid_field", "uid"},
		{"{\"uid\":\"p\",\"transport\":\"ws\"}", "invalid_field", "transport"},
		{"{\"uid\":\"p\",\"transport\":false}", "invalid_field", "transport"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		request("POST", "/v1/auth", app_json, cases[i].body);
		expect_error(400, cases[i].error, cases[i].field);
	}
	/* empty body */
	request("POST", "/v1/auth", app_json, "");
	expect_error(400, "invalid_json", NULL);
}
END_TEST

START_TEST(auth_media_type_and_size)
{
	const char *const text[] = {BEARER_APP, "Content-Type: text/plain", NULL};
	const char *const form[] = {BEARER_APP, NULL}; /* curl sends a form type */
	const char *const jsonish[] = {BEARER_APP, "Content-Type: application/jsonx", NULL};

	request("POST", "/v1/auth", text, "{\"uid\":\"p\"}");
	expect_error(415, "unsupported_media_type", NULL);
	request("POST", "/v1/auth", form, "{\"uid\":\"p\"}");
	expect_error(415, "unsupported_media_type", NULL);
	request("POST", "/v1/auth", jsonish, "{\"uid\":\"p\"}");
	expect_error(415, "unsupported_media_type", NULL);

	/* declared too long: refused before the body is read */
	char *big = malloc(HY_HTTP_BODY_MAX + 2);
	memset(big, ' ', HY_HTTP_BODY_MAX + 1);
	big[HY_HTTP_BODY_MAX + 1] = '\0';
	request("POST", "/v1/auth", app_json, big);
	expect_error(413, "body_too_large", NULL);
	/* exactly the limit is read (and is not JSON) */
	big[HY_HTTP_BODY_MAX] = '\0';
	request("POST", "/v1/auth", app_json, big);
	expect_error(400, "invalid_json", NULL);
	free(big);
	/* no length declared (chunked): nothing past the cap is kept; 413 at
	 * the end of the body, or the connection closed for a huge one */
	request_ex("POST", "/v1/auth", app_json, NULL, 16 * 1024);
	expect_error(413, "body_too_large", NULL);
	ck_assert_int_ne(request_raw_fails(16u * 1024 * 1024), CURLE_OK);
	/* the server still answers afterwards */
	ck_assert_int_eq(request("POST", "/v1/auth", app_json, "{\"uid\":\"p\"}"), 200);
}
END_TEST

START_TEST(auth_unavailable)
{
	hy_cp_stub_node(cp)->tcp_host[0] = '\0';
	request("POST", "/v1/auth", app_json, "{\"uid\":\"p\",\"transport\":\"tcp\"}");
	expect_error(503, "no_endpoint", "transport");
	ck_assert_int_eq(request("POST", "/v1/auth", app_json, "{\"uid\":\"p\"}"), 200);

	hy_cp_stub_set_state(cp, HY_CP_OFFLINE);
	request("POST", "/v1/auth", app_json, "{\"uid\":\"p\"}");
	expect_error(503, "draining", NULL);
	request("GET", "/endpoint/type/UDP/user/p", (const char *const[]){BEARER_APP, NULL}, NULL);
	expect_error(503, "draining", NULL);
}
END_TEST

/* ---- Diarkis-compatible endpoint ---- */

START_TEST(diarkis_endpoint)
{
	const char *const key[] = {BEARER_APP, NULL};
	struct hy_token_private priv;
	uint8_t token[HY_TOKEN_LEN + 2];

	ck_assert_int_eq(request("GET", "/endpoint/type/UDP/user/player%201", key, NULL), 200);
	ck_assert_str_eq(jstr("serverType"), "UDP");
	ck_assert_str_eq(jstr("serverHost"), "198.18.0.1");
	ck_assert_int_eq(jint(last.json, "serverPort"), 7100);
	ck_assert_uint_eq(strlen(jstr("sid")), 16);
	ck_assert_str_eq(jstr("encryptionKey"), jstr("clientToServerKey"));
	ck_assert_str_eq(jstr("encryptionMacKey"), jstr("serverToClientKey"));
	ck_assert_str_eq(jstr("encryptionIV"), "00000000000000000000000000000000");
	ck_assert_uint_eq(strlen(jstr("encryptionKey")), 32);
	ck_assert_str_eq(jstr("uid"), "player 1");
	ck_assert_int_eq(jint(last.json, "nodeId"), 7);
	ck_assert_int_gt(jint(last.json, "expiresAt"), (json_int_t)time(NULL));
	ck_assert_int_eq(EVP_DecodeBlock(token, (const unsigned char *)jstr("token"),
					 (int)strlen(jstr("token"))), HY_TOKEN_LEN + 1);
	ck_assert_int_eq(open_token(token, 7, &priv), HY_R_OK);
	ck_assert_str_eq(priv.uid, "player 1");
	char sid[17];
	snprintf(sid, sizeof(sid), "%016" PRIx64, priv.sid);
	ck_assert_str_eq(jstr("sid"), sid);

	/* TCP, lower case type, an encoded '/' stays inside the uid */
	ck_assert_int_eq(request("GET", "/endpoint/type/tcp/user/a%2Fb", key, NULL), 200);
	ck_assert_str_eq(jstr("serverType"), "TCP");
	ck_assert_int_eq(jint(last.json, "serverPort"), 7200);
	ck_assert_str_eq(jstr("uid"), "a/b");

	request("GET", "/endpoint/type/WS/user/p", key, NULL);
	expect_error(400, "invalid_field", "type");
	request("GET", "/endpoint/type/UDP/user/a%00b", key, NULL);
	expect_error(400, "invalid_field", "uid");
	request("GET", "/endpoint/type/UDP/user/a%0Ab", key, NULL);
	expect_error(400, "invalid_field", "uid");
	request("GET", "/endpoint/type/UDP/user/%FF", key, NULL);
	expect_error(400, "invalid_field", "uid");
	char path[400] = "/endpoint/type/UDP/user/";
	for (int i = 0; i < 65; i++)
		strcat(path, "u");
	request("GET", path, key, NULL);
	expect_error(400, "invalid_field", "uid");
	for (int i = 0; i < 200; i++)
		strcat(path, "u");
	request("GET", path, key, NULL);
	expect_error(400, "invalid_field", "uid");
	request("GET", "/endpoint/type/UDP/user/a/b", key, NULL);
	expect_error(404, "not_found", NULL);
	request("POST", "/endpoint/type/UDP/user/p", key, "{}");
	expect_error(405, "method_not_allowed", NULL);
	ck_assert(has_header("Allow: GET"));
	request("GET", "/endpoint/type/UDP/user/p", NULL, NULL);
	expect_error(401, "missing_credentials", NULL);
	request("GET", "/endpoint/type/UDP/user/p", (const char *const[]){BEARER_ADMIN, NULL}, NULL);
	expect_error(403, "forbidden", NULL);
}
END_TEST

/* ---- health, routing ---- */

START_TEST(healthcheck)
{
	ck_assert_int_eq(request("GET", "/healthcheck", NULL, NULL), 200);
	ck_assert_str_eq(jstr("status"), "ok");
	ck_assert_str_eq(jstr("state"), "ONLINE");
	ck_assert_int_eq(request("HEAD", "/healthcheck", NULL, NULL), 200);
	hy_cp_stub_set_state(cp, HY_CP_OFFLINE);
	ck_assert_int_eq(request("GET", "/healthcheck", NULL, NULL), 503);
	ck_assert_str_eq(jstr("state"), "OFFLINE");
	ck_assert_str_eq(jstr("status"), "draining");
}
END_TEST

START_TEST(routing)
{
	request("GET", "/nope", NULL, NULL);
	expect_error(404, "not_found", NULL);
	request("GET", "/v1/sessions/", (const char *const[]){BEARER_ADMIN, NULL}, NULL);
	expect_error(404, "not_found", NULL);
	request("GET", "/v1/auth/", NULL, NULL);
	expect_error(404, "not_found", NULL);
	request("GET", "/v1/auth", NULL, NULL);
	expect_error(405, "method_not_allowed", NULL);
	ck_assert(has_header("Allow: POST"));
	request("PUT", "/v1/sessions/0000000000000001", NULL, NULL);
	expect_error(405, "method_not_allowed", NULL);
	ck_assert(has_header("Allow: GET, HEAD, DELETE"));
	request("POST", "/healthcheck", NULL, "{}");
	expect_error(405, "method_not_allowed", NULL);
	request("DELETE", "/metrics", NULL, NULL);
	expect_error(405, "method_not_allowed", NULL);
}
END_TEST

/* ---- metrics ---- */

/* Every line is a HELP, a TYPE or a sample "name{labels} value"; each
 * family is declared once and its samples follow its TYPE (a histogram's
 * are named <family>_bucket, _sum and _count). */
static void check_prometheus(const char *text)
{
	regex_t sample_re, help_re, type_re;
	char *copy = strdup(text), *save = NULL, current[128] = "";
	bool histogram = false;
	char declared[256][128];
	size_t n_declared = 0, samples = 0;

	ck_assert_int_eq(regcomp(&sample_re,
				 "^([a-zA-Z_:][a-zA-Z0-9_:]*)"
				 "(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\""
				 "(,[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\")*\\})?"
				 " (-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?)$",
				 REG_EXTENDED), 0);
	ck_assert_int_eq(regcomp(&help_re, "^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) [^\n]+$",
				 REG_EXTENDED), 0);
	ck_assert_int_eq(regcomp(&type_re,
				 "^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|untyped)$",
				 REG_EXTENDED), 0);
	ck_assert_msg(text[strlen(text) - 1] == '\n', "no final newline");
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		regmatch_t m[3];
		if (regexec(&help_re, line, 0, NULL, 0) == 0)
			continue;
		if (regexec(&type_re, line, 3, m, 0) == 0) {
			snprintf(current, sizeof(current), "%.*s", (int)(m[1].rm_eo - m[1].rm_so),
				 line + m[1].rm_so);
			histogram = strncmp(line + m[2].rm_so, "histogram", 9) == 0;
			for (size_t i = 0; i < n_declared; i++)
				ck_assert_msg(strcmp(declared[i], current) != 0,
					      "family %s declared twice", current);
			ck_assert_uint_lt(n_declared, 256);
			strcpy(declared[n_declared++], current);
			continue;
		}
		ck_assert_msg(regexec(&sample_re, line, 2, m, 0) == 0, "bad line: '%s'", line);
		size_t len = (size_t)(m[1].rm_eo - m[1].rm_so), cl = strlen(current);
		const char *suffix = line + cl;
		ck_assert_msg(len >= cl && strncmp(line, current, cl) == 0 &&
				      (len == cl ? !histogram
						 : histogram && ((len == cl + 7 && strncmp(suffix, "_bucket", 7) == 0) ||
								 (len == cl + 4 && strncmp(suffix, "_sum", 4) == 0) ||
								 (len == cl + 6 && strncmp(suffix, "_count", 6) == 0))),
			      "sample '%s' outside its family (current %s)", line, current);
		samples++;
	}
	ck_assert_uint_gt(samples, 10);
	regfree(&sample_re);
	regfree(&help_re);
	regfree(&type_re);
	free(copy);
}

START_TEST(metrics)
{
	static const char *const dp_names[] = {"rx_packets", "sessions", "drop.TRUNCATED",
					       "drop.AUTH_FAILED", "net.NOT_IP", "reply.ARP",
					       "rx_bytes", "closed.KICKED", "deny.SERVER_FULL",
					       "future.thing-1", "lcore.0.main.busy_us",
					       "lcore.1.worker.busy_us", "lcore.x.worker.busy_us",
					       "tx_delay_ns", "tx_delay.1us", "tx_delay.20us",
					       "tx_delay.5000us", "tx_delay.inf"};
	static const uint64_t dp_values[] = {1000, 5, 3, 4, 6, 7, 64000, 1, 2, 9, 1500, 2500000, 8,
					     1234567890, 5, 3, 0, 2};
	static const char *const cp_names[] = {"tcp.accepted", "tcp.drop.BAD_LENGTH",
					       "tcp.deny.NODE_DRAINING", "ring.attached",
					       "ring.events_up", "tcp.records_in"};
	static const uint64_t cp_values[] = {11, 12, 13, 1, 14, 15};
	struct hy_cp_counters c = {.udp_sessions = 3, .tcp_sessions = 2, .dataplane_attached = 1,
				   .ring_events_up = 14};

	/* data plane not running */
	ck_assert_int_eq(request("GET", "/metrics", NULL, NULL), 200);
	ck_assert(has_header("Content-Type: text/plain; version=0.0.4"));
	check_prometheus(last.body);
	ck_assert_ptr_nonnull(strstr(last.body, "\nhayate_dp_up 0\n"));

	hy_cp_stub_set_counters(cp, &c);
	hy_cp_stub_set_dataplane(cp, dp_names, dp_values, 18);
	hy_cp_stub_set_details(cp, cp_names, cp_values, 6);
	ck_assert_int_eq(request("GET", "/metrics", NULL, NULL), 200);
	check_prometheus(last.body);
	static const char *const want[] = {
		"\nhayate_dp_up 1\n",
		"\n# TYPE hayate_dp_rx_packets_total counter\n",
		"\nhayate_dp_rx_packets_total 1000\n",
		"\n# TYPE hayate_dp_sessions gauge\n",
		"\nhayate_dp_sessions 5\n",
		("\nhayate_dp_drops_by_reason_total{reason=\"TRUNCATED\"} 3\n"
		 "hayate_dp_drops_by_reason_total{reason=\"AUTH_FAILED\"} 4\n"),
		"\nhayate_dp_net_drops_total{reason=\"NOT_IP\"} 6\n",
		"\nhayate_dp_net_replies_by_kind_total{kind=\"ARP\"} 7\n",
		"\nhayate_dp_sessions_closed_by_reason_total{reason=\"KICKED\"} 1\n",
		"\nhayate_dp_connects_denied_total{reason=\"SERVER_FULL\"} 2\n",
		"\nhayate_dp_future_total{name=\"thing-1\"} 9\n",
		"\n# TYPE hayate_dp_lcore_busy_seconds_total counter\n",
		("\nhayate_dp_lcore_busy_seconds_total{lcore=\"0\",role=\"main\"} 0.001500\n"
		 "hayate_dp_lcore_busy_seconds_total{lcore=\"1\",role=\"worker\"} 2.500000\n"),
		/* the tx delay histogram: cumulative buckets, then sum and count */
		"\n# TYPE hayate_dp_tx_delay_seconds histogram\n",
		("\nhayate_dp_tx_delay_seconds_bucket{le=\"0.000001\"} 5\n"
		 "hayate_dp_tx_delay_seconds_bucket{le=\"0.000020\"} 8\n"
		 "hayate_dp_tx_delay_seconds_bucket{le=\"0.005000\"} 8\n"
		 "hayate_dp_tx_delay_seconds_bucket{le=\"+Inf\"} 10\n"
		 "hayate_dp_tx_delay_seconds_sum 1.234567890\n"
		 "hayate_dp_tx_delay_seconds_count 10\n"),
		/* not an lcore's: the generic mapping */
		"\nhayate_dp_lcore_total{name=\"x.worker.busy_us\"} 8\n",
		"\nhayate_cp_sessions{transport=\"udp\"} 3\n",
		"\nhayate_cp_dataplane_attached 1\n",
		"\nhayate_cp_ring_events_up_total 14\n",
		"\nhayate_cp_tcp_events_total{event=\"accepted\"} 11\n",
		"\nhayate_cp_tcp_drops_by_reason_total{reason=\"BAD_LENGTH\"} 12\n",
		"\nhayate_cp_tcp_denies_by_reason_total{reason=\"NODE_DRAINING\"} 13\n",
		"\nhayate_cp_ring_link_events_total{event=\"events_up\"} 14\n",
		"\nhayate_node_info{id=\"7\",name=\"test-node\",version=\"1\"} 1\n",
		"\nhayate_node_draining 0\n",
		"\nhayate_http_responses_total{code=\"200\"} 1\n",
		"\nhayate_http_requests_total 1\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(strstr(last.body, want[i]) != NULL, "missing '%s' in:\n%s", want[i],
			      last.body);
	ck_assert_ptr_null(strstr(last.body, "event=\"attached\""));
}
END_TEST

/* ---- admin API ---- */

static const char *const admin[] = {BEARER_ADMIN, NULL};

START_TEST(admin_credentials)
{
	static const char *const paths[] = {"/v1/nodes", "/v1/stats", "/v1/sessions",
					    "/v1/sessions/0000000000000001"};
	for (size_t i = 0; i < 4; i++) {
		request("GET", paths[i], NULL, NULL);
		expect_error(401, "missing_credentials", NULL);
		ck_assert(has_header("WWW-Authenticate: Bearer"));
		request("GET", paths[i], (const char *const[]){"Authorization: Bearer nope", NULL}, NULL);
		expect_error(401, "invalid_credentials", NULL);
		request("GET", paths[i], (const char *const[]){BEARER_APP, NULL}, NULL);
		expect_error(403, "forbidden", NULL);
		request("GET", paths[i], (const char *const[]){"X-Api-Key: " APP_KEY, NULL}, NULL);
		expect_error(403, "forbidden", NULL);
	}
	request("DELETE", "/v1/sessions/0000000000000001", (const char *const[]){BEARER_APP, NULL},
		NULL);
	expect_error(403, "forbidden", NULL);
	request("POST", "/v1/drain", (const char *const[]){BEARER_APP, NULL}, "");
	expect_error(403, "forbidden", NULL);
	ck_assert_int_eq(hy_cp_state(cp), HY_CP_ONLINE);

	struct hy_cp_stub_calls calls;
	hy_cp_stub_calls(cp, &calls);
	ck_assert_uint_eq(calls.http_admin_refused, 18);
	ck_assert_uint_eq(calls.drains, 0);
	ck_assert_uint_eq(calls.kicks, 0);
}
END_TEST

START_TEST(admin_nodes_stats)
{
	struct hy_cp_counters c = {.udp_sessions = 3, .tcp_sessions = 2, .commands = 9};
	hy_cp_stub_set_counters(cp, &c);

	ck_assert_int_eq(request("GET", "/v1/nodes", admin, NULL), 200);
	ck_assert_int_eq(jint(last.json, "leader"), 7);
	ck_assert_int_eq(jint(last.json, "term"), 1);
	json_t *nodes = json_object_get(last.json, "nodes");
	ck_assert_int_eq(json_array_size(nodes), 1);
	json_t *n = json_array_get(nodes, 0);
	ck_assert_int_eq(jint(n, "id"), 7);
	ck_assert_str_eq(json_string_value(json_object_get(n, "name")), "test-node");
	ck_assert_str_eq(json_string_value(json_object_get(n, "state")), "ONLINE");
	ck_assert_str_eq(json_string_value(json_object_get(n, "version")), "1");
	json_t *roles = json_object_get(n, "roles");
	ck_assert_int_eq(json_array_size(roles), 3);
	ck_assert_str_eq(json_string_value(json_array_get(roles, 0)), "udp");
	json_t *eps = json_object_get(n, "endpoints");
	ck_assert_int_eq(jint(json_object_get(eps, "udp"), "port"), 7100);
	ck_assert_int_eq(jint(json_object_get(eps, "tcp"), "port"), 7200);
	ck_assert_int_eq(jint(json_object_get(eps, "http"), "port"), hy_http_bound_port(http));
	ck_assert_int_eq(jint(json_object_get(n, "load"), "sessions"), 5);

	ck_assert_int_eq(request("GET", "/v1/stats", admin, NULL), 200);
	ck_assert_int_eq(jint(json_object_get(last.json, "controlplane"), "commands"), 9);
	ck_assert_int_eq(jint(json_object_get(last.json, "controlplane"), "http_requests"), 1);
	ck_assert(json_is_null(json_object_get(last.json, "dataplane")));
	json_t *codes = json_object_get(json_object_get(last.json, "http"), "responses");
	ck_assert_int_eq(jint(codes, "200"), 1);

	static const char *const names[] = {"rx_packets", "drop.TRUNCATED"};
	static const uint64_t values[] = {10, 2};
	hy_cp_stub_set_dataplane(cp, names, values, 2);
	ck_assert_int_eq(request("GET", "/v1/stats", admin, NULL), 200);
	ck_assert_int_eq(jint(json_object_get(last.json, "dataplane"), "drop.TRUNCATED"), 2);
	ck_assert_int_eq(request("HEAD", "/v1/stats", admin, NULL), 200);
}
END_TEST

static void add_sessions(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct hy_cp_session s = {.sid = 0x1000 + 7 * (uint64_t)(n - i),
					  .transport = i % 2 ? HY_TRANSPORT_TCP : HY_TRANSPORT_UDP,
					  .opened_unix_ms = 1700000000000ull + i,
					  .last_seen_unix_ms = 1700000001000ull + i,
					  .commands = i};
		snprintf(s.uid, sizeof(s.uid), "user-%u", i);
		snprintf(s.peer, sizeof(s.peer), "198.18.0.2:%u", 40000 + i);
		ck_assert_int_eq(hy_cp_stub_add_session(cp, &s), 0);
	}
}

START_TEST(admin_sessions_paged)
{
	add_sessions(25);
	ck_assert_int_eq(request("GET", "/v1/sessions?offset=0&limit=10", admin, NULL), 200);
	ck_assert_int_eq(jint(last.json, "total"), 25);
	ck_assert_int_eq(jint(last.json, "limit"), 10);
	ck_assert_int_eq(jint(last.json, "nextOffset"), 10);
	json_t *list = json_object_get(last.json, "sessions");
	ck_assert_int_eq(json_array_size(list), 10);
	/* ordered by sid */
	const char *prev = "";
	for (size_t i = 0; i < 10; i++) {
		const char *sid = json_string_value(json_object_get(json_array_get(list, i), "sid"));
		ck_assert_uint_eq(strlen(sid), 16);
		ck_assert_int_gt(strcmp(sid, prev), 0);
		prev = sid;
	}
	json_t *first = json_array_get(list, 0);
	ck_assert_str_eq(json_string_value(json_object_get(first, "sid")), "0000000000001007");
	ck_assert_str_eq(json_string_value(json_object_get(first, "uid")), "user-24");
	ck_assert_str_eq(json_string_value(json_object_get(first, "transport")), "udp");
	ck_assert_str_eq(json_string_value(json_object_get(first, "peer")), "198.18.0.2:40024");
	ck_assert_int_eq(jint(first, "openedAtMs"), 1700000000024);

	ck_assert_int_eq(request("GET", "/v1/sessions?offset=20&limit=10", admin, NULL), 200);
	ck_assert_int_eq(json_array_size(json_object_get(last.json, "sessions")), 5);
	ck_assert_ptr_null(json_object_get(last.json, "nextOffset"));
	ck_assert_int_eq(request("GET", "/v1/sessions?offset=99", admin, NULL), 200);
	ck_assert_int_eq(json_array_size(json_object_get(last.json, "sessions")), 0);
	ck_assert_int_eq(request("GET", "/v1/sessions", admin, NULL), 200);
	ck_assert_int_eq(jint(last.json, "limit"), HY_HTTP_PAGE_DEFAULT);
	ck_assert_int_eq(json_array_size(json_object_get(last.json, "sessions")), 25);
	ck_assert_int_eq(request("GET", "/v1/sessions?limit=5000", admin, NULL), 200);
	ck_assert_int_eq(jint(last.json, "limit"), HY_HTTP_PAGE_MAX);
	ck_assert_int_eq(request("GET", "/v1/sessions?limit=0", admin, NULL), 200);
	ck_assert_int_eq(jint(last.json, "total"), 25);
	ck_assert_int_eq(json_array_size(json_object_get(last.json, "sessions")), 0);

	request("GET", "/v1/sessions?limit=abc", admin, NULL);
	expect_error(400, "invalid_field", "limit");
	request("GET", "/v1/sessions?offset=-1", admin, NULL);
	expect_error(400, "invalid_field", "offset");
	request("GET", "/v1/sessions?offset=99999999999", admin, NULL);
	expect_error(400, "invalid_field", "offset");
}
END_TEST

START_TEST(admin_session_get_kick)
{
	struct hy_cp_stub_calls calls;

	add_sessions(3);
	ck_assert_int_eq(request("GET", "/v1/sessions/000000000000100E", admin, NULL), 200);
	ck_assert_str_eq(jstr("sid"), "000000000000100e");
	ck_assert_str_eq(jstr("uid"), "user-1");
	ck_assert_str_eq(jstr("transport"), "tcp");
	ck_assert_int_eq(jint(last.json, "commands"), 1);

	request("GET", "/v1/sessions/0000000000000bad", admin, NULL);
	expect_error(404, "unknown_session", "sid");
	request("GET", "/v1/sessions/xyz", admin, NULL);
	expect_error(400, "invalid_field", "sid");
	request("GET", "/v1/sessions/0000000000000000", admin, NULL);
	expect_error(400, "invalid_field", "sid");
	request("GET", "/v1/sessions/000000000000100e0", admin, NULL);
	expect_error(400, "invalid_field", "sid");
	char path[600] = "/v1/sessions/";
	for (int i = 0; i < 400; i++)
		strcat(path, "a");
	request("GET", path, admin, NULL);
	expect_error(400, "invalid_field", "sid");

	ck_assert_int_eq(request("DELETE", "/v1/sessions/000000000000100e", admin, NULL), 202);
	ck_assert_str_eq(jstr("sid"), "000000000000100e");
	hy_cp_stub_calls(cp, &calls);
	ck_assert_uint_eq(calls.kicks, 1);
	ck_assert_uint_eq(calls.last_kick_sid, 0x100e);
	request("DELETE", "/v1/sessions/000000000000100e", admin, NULL);
	expect_error(404, "unknown_session", "sid");
	request("DELETE", "/v1/sessions/00000000000000ff", admin, NULL);
	expect_error(404, "unknown_session", "sid");
	request("DELETE", "/v1/sessions/zz", admin, NULL);
	expect_error(400, "invalid_field", "sid");
	hy_cp_stub_calls(cp, &calls);
	ck_assert_uint_eq(calls.kicks, 1);
}
END_TEST

START_TEST(admin_drain)
{
	struct hy_cp_stub_calls calls;

	ck_assert_int_eq(request("POST", "/v1/drain", admin, NULL), 202);
	ck_assert_str_eq(jstr("state"), "OFFLINE");
	hy_cp_stub_calls(cp, &calls);
	ck_assert_uint_eq(calls.drains, 1);
	ck_assert_int_eq(request("GET", "/healthcheck", NULL, NULL), 503);
	request("POST", "/v1/auth", app_json, "{\"uid\":\"p\"}");
	expect_error(503, "draining", NULL);
	/* idempotent, and a body is allowed */
	ck_assert_int_eq(request("POST", "/v1/drain", admin, "{}"), 202);
	request("GET", "/v1/drain", admin, NULL);
	expect_error(405, "method_not_allowed", NULL);
	ck_assert_int_eq(request("GET", "/v1/nodes", admin, NULL), 200);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(json_object_get(last.json, "nodes"), 0), "state")),
			 "OFFLINE");
}
END_TEST

/* ---- start-up ---- */

START_TEST(start_refusals)
{
	char err[256];

	write_file(app_path, "game " APP_KEY "\n", 0644);
	ck_assert_ptr_null(hy_http_start(cp, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, app_path));
	ck_assert_ptr_null(strstr(err, APP_KEY));
	chmod(app_path, 0600);

	unlink(admin_path);
	ck_assert_ptr_null(hy_http_start(cp, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, admin_path));
	write_file(admin_path, APP_KEY "\n", 0600);
	ck_assert_ptr_null(hy_http_start(cp, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "also app key"));
	write_file(admin_path, ADMIN_TOKEN "\n", 0600);

	/* a port already taken */
	start();
	hy_cp_stub_config(cp)->controlplane.http.port = hy_http_bound_port(http);
	ck_assert_ptr_null(hy_http_start(cp, err, sizeof(err)));
	ck_assert_msg(strstr(err, "cannot listen on 127.0.0.1") != NULL, "%s", err);
}
END_TEST

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("api");
	tcase_add_checked_fixture(tc, setup_started, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, auth_ticket);
	tcase_add_test(tc, auth_variants);
	tcase_add_test(tc, auth_credentials_refused);
	tcase_add_test(tc, auth_bad_bodies);
	tcase_add_test(tc, auth_media_type_and_size);
	tcase_add_test(tc, auth_unavailable);
	tcase_add_test(tc, diarkis_endpoint);
	tcase_add_test(tc, healthcheck);
	tcase_add_test(tc, routing);
	tcase_add_test(tc, metrics);
	tcase_add_test(tc, admin_credentials);
	tcase_add_test(tc, admin_nodes_stats);
	tcase_add_test(tc, admin_sessions_paged);
	tcase_add_test(tc, admin_session_get_kick);
	tcase_add_test(tc, admin_drain);
	suite_add_tcase(s, tc);
	TCase *tc2 = tcase_create("start");
	tcase_add_checked_fixture(tc2, setup, teardown);
	tcase_add_test(tc2, start_refusals);
	suite_add_tcase(s, tc2);
	int rc = hy_check_run(s);
	curl_global_cleanup();
	return rc;
}
