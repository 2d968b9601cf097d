/* SPDX-License-Identifier: BSD-3-Clause
 * Tickets from the HTTP tier: POST /v1/auth through libcurl, JSON through
 * jansson (see hy_auth_fetch_with() in hayate_client.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "hayate_client.h"

#define AUTH_CONNECT_TIMEOUT_MS 5000u
#define AUTH_TIMEOUT_MS 10000u
#define AUTH_MAX_RESPONSE (16u * 1024u) /* a ticket is about 500 bytes */
#define AUTH_MAX_URL 2048u

/* The reply, collected into one buffer allocated at the cap: a larger reply
 * aborts the transfer instead of growing it. */
struct reply {
	char *buf;
	size_t len, cap;
	bool too_large;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct reply *r = arg;
	size_t n = size * nmemb;

	if (n > r->cap - r->len) {
		r->too_large = true;
		return 0; /* libcurl ends the transfer with CURLE_WRITE_ERROR */
	}
	memcpy(r->buf + r->len, data, n);
	r->len += n;
	return n;
}

static void fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* "HTTP 400: uid must be 1..64 bytes (field 'uid')" from an error reply;
 * the body is printed only when it is not the JSON the HTTP tier sends. */
static void describe_refusal(long status, const struct reply *r, const char *url, char *err,
			     size_t errlen)
{
	json_t *root = json_loadb(r->buf, r->len, 0, NULL);
	const char *msg = json_string_value(json_object_get(root, "error"));
	const char *field = json_string_value(json_object_get(root, "field"));

	if (msg != NULL && field != NULL)
		fail(err, errlen, "POST %s: HTTP %ld: %s (field '%s')", url, status, msg, field);
	else if (msg != NULL)
		fail(err, errlen, "POST %s: HTTP %ld: %s", url, status, msg);
	else
		fail(err, errlen, "POST %s: HTTP %ld, and the reply has no JSON \"error\" member", url,
		     status);
	json_decref(root);
}

int hy_auth_fetch_with(const struct hy_auth_options *opt, const char *base_url,
		       const char *app_key, const char *uid, enum hy_transport t,
		       struct hy_ticket *out, char *err, size_t errlen)
{
	struct hy_auth_options o = opt ? *opt : (struct hy_auth_options){0};
	char url[AUTH_MAX_URL], auth[512], curl_err[CURL_ERROR_SIZE] = "";
	struct reply r = {0};
	struct curl_slist *headers = NULL;
	char *body = NULL;
	CURL *curl = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (o.connect_timeout_ms == 0)
		o.connect_timeout_ms = AUTH_CONNECT_TIMEOUT_MS;
	if (o.timeout_ms == 0)
		o.timeout_ms = AUTH_TIMEOUT_MS;
	if (o.max_response == 0)
		o.max_response = AUTH_MAX_RESPONSE;
	if (base_url == NULL || *base_url == '\0' || app_key == NULL || *app_key == '\0' ||
	    uid == NULL || (t != HY_TRANSPORT_UDP && t != HY_TRANSPORT_TCP)) {
		fail(err, errlen, "auth: need a base URL, an app key, a uid and a transport");
		return -1;
	}
	size_t blen = strlen(base_url);
	while (blen > 0 && base_url[blen - 1] == '/')
		blen--; /* "http://h:8080/" and "http://h:8080" name the same base */
	if ((size_t)snprintf(url, sizeof(url), "%.*s/v1/auth", (int)blen, base_url) >= sizeof(url)) {
		fail(err, errlen, "auth: base URL longer than %u bytes", AUTH_MAX_URL - 16);
		return -1;
	}
	/* Header values end at a line break: a key with one would smuggle a
	 * header of its own into the request. */
	if (strpbrk(app_key, "\r\n") != NULL ||
	    (size_t)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", app_key) >= sizeof(auth)) {
		fail(err, errlen, "auth: the app key is malformed or too long");
		return -1;
	}
	json_t *req = json_pack("{s:s, s:s}", "uid", uid, "transport",
				t == HY_TRANSPORT_TCP ? "tcp" : "udp");
	body = req ? json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(req);
	r.cap = o.max_response;
	r.buf = malloc(r.cap + 1);
	if (body == NULL || r.buf == NULL) {
		fail(err, errlen, "auth: out of memory (or the uid is not UTF-8)");
		goto out;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || (curl = curl_easy_init()) == NULL) {
		fail(err, errlen, "auth: libcurl failed to initialise");
		goto out;
	}
	headers = curl_slist_append(headers, auth);
	headers = headers ? curl_slist_append(headers, "Content-Type: application/json") : NULL;
	headers = headers ? curl_slist_append(headers, "Accept: application/json") : NULL;
	if (headers == NULL) {
		fail(err, errlen, "auth: out of memory");
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L); /* no SIGALRM for DNS timeouts: thread-safe */
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)o.connect_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)o.timeout_ms);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "hayate-client/1");

	CURLcode cr = curl_easy_perform(curl);
	if (r.too_large) {
		fail(err, errlen, "POST %s: reply larger than %zu bytes, refused", url, o.max_response);
		goto out;
	}
	if (cr != CURLE_OK) {
		fail(err, errlen, "POST %s: %s", url, curl_err[0] ? curl_err : curl_easy_strerror(cr));
		goto out;
	}
	long status = 0;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	r.buf[r.len] = '\0';
	if (status != 200) {
		describe_refusal(status, &r, url, err, errlen);
		goto out;
	}
	if (strlen(r.buf) != r.len) {
		fail(err, errlen, "POST %s: HTTP 200, but the reply holds a zero byte", url);
		goto out;
	}
	char terr[256];
	if (hy_ticket_from_json(r.buf, out, terr, sizeof(terr)) < 0) {
		fail(err, errlen, "POST %s: HTTP 200, but %s", url, terr);
		goto out;
	}
	if (out->cred.transport != t) {
		fail(err, errlen, "POST %s: HTTP 200, but the ticket is for %s, not %s", url,
		     out->cred.transport == HY_TRANSPORT_TCP ? "tcp" : "udp",
		     t == HY_TRANSPORT_TCP ? "tcp" : "udp");
		explicit_bzero(out, sizeof(*out));
		goto out;
	}
	rc = 0;
out:
	curl_slist_free_all(headers); /* curl copies nothing it keeps past cleanup */
	if (curl)
		curl_easy_cleanup(curl);
	explicit_bzero(auth, sizeof(auth));
	if (r.buf) {
		explicit_bzero(r.buf, r.cap + 1); /* the reply holds the session keys */
		free(r.buf);
	}
	free(body);
	return rc;
}

int hy_auth_fetch(const char *base_url, const char *app_key, const char *uid, enum hy_transport t,
		  struct hy_ticket *out, char *err, size_t errlen)
{
	return hy_auth_fetch_with(NULL, base_url, app_key, uid, t, out, err, errlen);
}
