/* SPDX-License-Identifier: BSD-3-Clause
 * Tickets: the JSON the HTTP tier returns to a player, in and out.
 * JSON through jansson; base64 through OpenSSL's EVP_EncodeBlock/DecodeBlock.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "hayate_client.h"

_Static_assert(HY_TOKEN_LEN % 3 == 2, "the token's base64 form ends in exactly one padding character");

static int hex_decode(const char *hex, uint8_t *out, size_t n)
{
	if (strlen(hex) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", hex[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i + 1]))
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static void hex_encode(const uint8_t *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", in[i]);
}

static const char *get_string(json_t *root, const char *key, char *err, size_t errlen)
{
	json_t *v = json_object_get(root, key);
	if (!json_is_string(v)) {
		snprintf(err, errlen, "ticket: member '%s' missing or not a string", key);
		return NULL;
	}
	return json_string_value(v);
}

static int get_hex(json_t *root, const char *key, uint8_t *out, size_t n, char *err, size_t errlen)
{
	const char *s = get_string(root, key, err, errlen);
	if (s == NULL)
		return -1;
	if (hex_decode(s, out, n) < 0) {
		snprintf(err, errlen, "ticket: member '%s' must be %zu hex digits", key, 2 * n);
		return -1;
	}
	return 0;
}

static int get_integer(json_t *root, const char *key, json_int_t min, json_int_t max,
		       json_int_t *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(root, key);
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		snprintf(err, errlen, "ticket: member '%s' must be an integer in [%" JSON_INTEGER_FORMAT
			 ", %" JSON_INTEGER_FORMAT "]", key, min, max);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

int hy_ticket_from_json(const char *json, struct hy_ticket *out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
	struct hy_ticket t;
	uint8_t sid_be[8];
	json_int_t port, expires;
	const char *s;
	int rc = -1;

	memset(&t, 0, sizeof(t));
	if (root == NULL) {
		snprintf(err, errlen, "ticket: invalid JSON at line %d column %d: %s", jerr.line,
			 jerr.column, jerr.text);
		return -1;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "ticket: expected a JSON object");
		goto out;
	}
	if (get_hex(root, "sid", sid_be, sizeof(sid_be), err, errlen) < 0)
		goto out;
	for (int i = 0; i < 8; i++)
		t.cred.sid = t.cred.sid << 8 | sid_be[i];
	if (t.cred.sid == 0) {
		snprintf(err, errlen, "ticket: member 'sid' must not be zero");
		goto out;
	}
	if ((s = get_string(root, "uid", err, errlen)) == NULL)
		goto out;
	if (strlen(s) == 0 || strlen(s) > HY_UID_MAX) {
		snprintf(err, errlen, "ticket: member 'uid' must be 1..%u bytes", HY_UID_MAX);
		goto out;
	}
	memcpy(t.cred.uid, s, strlen(s) + 1);
	t.cred.uid_len = (uint8_t)strlen(s);
	if ((s = get_string(root, "transport", err, errlen)) == NULL)
		goto out;
	if (strcmp(s, "udp") == 0) {
		t.cred.transport = HY_TRANSPORT_UDP;
	} else if (strcmp(s, "tcp") == 0) {
		t.cred.transport = HY_TRANSPORT_TCP;
	} else {
		snprintf(err, errlen, "ticket: member 'transport' must be \"udp\" or \"tcp\"");
		goto out;
	}
	if ((s = get_string(root, "host", err, errlen)) == NULL)
		goto out;
	if (strlen(s) == 0 || strlen(s) >= sizeof(t.host)) {
		snprintf(err, errlen, "ticket: member 'host' must be 1..%zu bytes", sizeof(t.host) - 1);
		goto out;
	}
	memcpy(t.host, s, strlen(s) + 1);
	if (get_integer(root, "port", 1, 65535, &port, err, errlen) < 0)
		goto out;
	t.port = (uint16_t)port;
	if (get_hex(root, "clientToServerKey", t.cred.c2s_key, HY_KEY_LEN, err, errlen) < 0 ||
	    get_hex(root, "serverToClientKey", t.cred.s2c_key, HY_KEY_LEN, err, errlen) < 0)
		goto out;
	if (get_integer(root, "expiresAt", 0, INT64_MAX, &expires, err, errlen) < 0)
		goto out;
	t.cred.expire_at = (uint64_t)expires;
	if ((s = get_string(root, "token", err, errlen)) == NULL)
		goto out;
	/* 152 bytes are 204 base64 characters ending in one '='; OpenSSL's
	 * block decoder counts that padding as a zero byte (153). */
	uint8_t raw[3 * ((HY_TOKEN_LEN + 2) / 3)];
	size_t b64len = strlen(s);
	if (b64len != 4 * ((HY_TOKEN_LEN + 2) / 3) || s[b64len - 1] != '=' || s[b64len - 2] == '=' ||
	    EVP_DecodeBlock(raw, (const unsigned char *)s, (int)b64len) != (int)sizeof(raw)) {
		snprintf(err, errlen, "ticket: member 'token' must be the base64 of %u bytes",
			 HY_TOKEN_LEN);
		goto out;
	}
	memcpy(t.cred.token, raw, HY_TOKEN_LEN);
	*out = t;
	rc = 0;
out:
	explicit_bzero(&t, sizeof(t));
	json_decref(root);
	return rc;
}

int hy_ticket_to_json(const struct hy_ticket *t, char *out, size_t cap)
{
	char sid[17], c2s[2 * HY_KEY_LEN + 1], s2c[2 * HY_KEY_LEN + 1];
	unsigned char token[4 * ((HY_TOKEN_LEN + 2) / 3) + 1];
	uint8_t sid_be[8];

	for (int i = 0; i < 8; i++)
		sid_be[i] = (uint8_t)(t->cred.sid >> (56 - 8 * i));
	hex_encode(sid_be, 8, sid);
	hex_encode(t->cred.c2s_key, HY_KEY_LEN, c2s);
	hex_encode(t->cred.s2c_key, HY_KEY_LEN, s2c);
	EVP_EncodeBlock(token, t->cred.token, HY_TOKEN_LEN);

	json_t *root = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:I}",
				 "sid", sid, "uid", t->cred.uid,
				 "transport", t->cred.transport == HY_TRANSPORT_TCP ? "tcp" : "udp",
				 "host", t->host, "port", (int)t->port,
				 "clientToServerKey", c2s, "serverToClientKey", s2c,
				 "token", (const char *)token, "expiresAt", (json_int_t)t->cred.expire_at);
	explicit_bzero(c2s, sizeof(c2s));
	explicit_bzero(s2c, sizeof(s2c));
	if (root == NULL)
		return -1;
	char *s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (s == NULL)
		return -1;
	size_t n = strlen(s);
	int rc = -1;
	if (n + 1 <= cap) {
		memcpy(out, s, n + 1);
		rc = (int)n;
	}
	explicit_bzero(s, n);
	free(s);
	return rc;
}
