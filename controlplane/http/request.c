/* SPDX-License-Identifier: BSD-3-Clause
 * Request validation (contracts in request.h).  JSON through jansson,
 * which also checks UTF-8.
 */
#include <string.h>

#include <jansson.h>

#include "request.h"

static int refuse(struct hy_http_err *e, const char *error, const char *field, const char *msg)
{
	e->error = error;
	e->field = field;
	e->message = msg;
	return -1;
}

const char *hy_http_uid_check(const char *uid, size_t len)
{
	if (len == 0)
		return "uid must not be empty";
	if (len > HY_UID_MAX)
		return "uid must be at most 64 bytes";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)uid[i];
		if (c < 0x20 || c == 0x7f)
			return "uid must not contain control characters";
	}
	/* jansson refuses a string that is not valid UTF-8. */
	json_t *j = json_stringn(uid, len);
	if (j == NULL)
		return "uid must be valid UTF-8";
	json_decref(j);
	return NULL;
}

uint8_t hy_http_transport_parse(const char *s, bool upper)
{
	if (strcmp(s, "udp") == 0 || (upper && strcmp(s, "UDP") == 0))
		return HY_TRANSPORT_UDP;
	if (strcmp(s, "tcp") == 0 || (upper && strcmp(s, "TCP") == 0))
		return HY_TRANSPORT_TCP;
	return 0;
}

int hy_http_auth_parse(const char *body, size_t len, struct hy_http_auth_req *out,
		       struct hy_http_err *e)
{
	json_error_t jerr;
	json_t *root, *v;
	const char *why;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return refuse(e, "invalid_json", NULL, "the body is empty; expected a JSON object");
	/* NUL is let through the JSON layer so that a uid holding one is
	 * refused by the uid check, naming the field. */
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (root == NULL)
		return refuse(e, "invalid_json", NULL,
			      "the body is not valid JSON (or repeats a member)");
	if (!json_is_object(root)) {
		refuse(e, "invalid_json", NULL, "the body must be a JSON object");
		goto out;
	}
	v = json_object_get(root, "uid");
	if (v == NULL) {
		refuse(e, "missing_field", "uid", "uid is required");
		goto out;
	}
	if (!json_is_string(v)) {
		refuse(e, "invalid_field", "uid", "uid must be a string");
		goto out;
	}
	if ((why = hy_http_uid_check(json_string_value(v), json_string_length(v))) != NULL) {
		refuse(e, "invalid_field", "uid", why);
		goto out;
	}
	out->uid_len = (uint8_t)json_string_length(v);
	memcpy(out->uid, json_string_value(v), out->uid_len);
	out->transport = HY_TRANSPORT_UDP;
	v = json_object_get(root, "transport");
	if (v != NULL) {
		if (!json_is_string(v) ||
		    strlen(json_string_value(v)) != json_string_length(v) ||
		    (out->transport = hy_http_transport_parse(json_string_value(v), false)) == 0) {
			refuse(e, "invalid_field", "transport",
			       "transport must be \"udp\" or \"tcp\"");
			goto out;
		}
	}
	rc = 0;
out:
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	json_decref(root);
	return rc;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hy_http_sid_parse(const char *s, uint64_t *sid)
{
	uint64_t v = 0;
	for (int i = 0; i < 16; i++) {
		int d = hexval(s[i]); /* stops at the NUL: -1 */
		if (d < 0)
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	if (s[16] != '\0')
		return -1;
	*sid = v;
	return 0;
}

int hy_http_uint_parse(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t n = strlen(s);
	if (n == 0 || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}
