/* SPDX-License-Identifier: BSD-3-Clause
 * Fuzzes the POST /v1/auth body parser: never crashes, every refusal says
 * why, and whatever it accepts is a valid request (uid rules, transport)
 * that, written back as JSON, parses to the same fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hy_http_auth_req a, back;
	struct hy_http_err e = {0};

	if (size > HY_HTTP_BODY_MAX) /* the server refuses these unread */
		return 0;
	if (hy_http_auth_parse((const char *)data, size, &a, &e) != 0) {
		if (e.error == NULL || e.message == NULL)
			abort();
		if (strcmp(e.error, "invalid_json") != 0 && e.field == NULL)
			abort(); /* field errors name the field */
		if (a.uid_len != 0 || a.transport != 0)
			abort(); /* nothing half-filled */
		return 0;
	}
	if (a.uid_len < 1 || a.uid_len > HY_UID_MAX || strlen(a.uid) != a.uid_len ||
	    hy_http_uid_check(a.uid, a.uid_len) != NULL)
		abort();
	if (a.transport != HY_TRANSPORT_UDP && a.transport != HY_TRANSPORT_TCP)
		abort();
	json_t *j = json_pack("{s:s, s:s}", "uid", a.uid, "transport",
			      a.transport == HY_TRANSPORT_TCP ? "tcp" : "udp");
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (s == NULL || hy_http_auth_parse(s, strlen(s), &back, &e) != 0 ||
	    back.uid_len != a.uid_len || memcmp(back.uid, a.uid, a.uid_len) != 0 ||
	    back.transport != a.transport)
		abort();
	free(s);
	json_decref(j);
	return 0;
}
