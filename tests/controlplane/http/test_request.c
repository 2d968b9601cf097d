/* SPDX-License-Identifier: BSD-3-Clause
 * Request validators of the HTTP module: the POST /v1/auth body, uids,
 * transports, sids and paging numbers.
 */
#include <string.h>

#include "check_run.h"
#include "request.h"

static int parse(const char *body, struct hy_http_auth_req *a, struct hy_http_err *e)
{
	memset(e, 0, sizeof(*e));
	return hy_http_auth_parse(body, strlen(body), a, e);
}

/* Expects a refusal with error code and field (NULL: none). */
static void refused(const char *body, const char *error, const char *field)
{
	struct hy_http_auth_req a;
	struct hy_http_err e;
	ck_assert_msg(parse(body, &a, &e) == -1, "accepted: %s", body);
	ck_assert_str_eq(e.error, error);
	if (field == NULL)
		ck_assert_ptr_null(e.field);
	else
		ck_assert_str_eq(e.field, field);
	ck_assert_ptr_nonnull(e.message);
	ck_assert_int_eq(a.uid_len, 0);
}

START_TEST(auth_body_valid)
{
	struct hy_http_auth_req a;
	struct hy_http_err e;

	ck_assert_int_eq(parse("{\"uid\":\"player-1\",\"transport\":\"tcp\"}", &a, &e), 0);
	ck_assert_str_eq(a.uid, "player-1");
	ck_assert_int_eq(a.uid_len, 8);
	ck_assert_int_eq(a.transport, HY_TRANSPORT_TCP);
	/* transport defaults to udp; unknown members are ignored */
	ck_assert_int_eq(parse("{\"uid\":\"p\",\"extra\":[1,2]}", &a, &e), 0);
	ck_assert_int_eq(a.transport, HY_TRANSPORT_UDP);
	/* 64 bytes of UTF-8 (32 two-byte characters) is the longest uid */
	char body[256] = "{\"uid\":\"";
	for (int i = 0; i < 32; i++)
		strcat(body, "\xc3\xa9");
	strcat(body, "\"}");
	ck_assert_int_eq(parse(body, &a, &e), 0);
	ck_assert_int_eq(a.uid_len, 64);
}
END_TEST

START_TEST(auth_body_refusals)
{
	refused("", "invalid_json", NULL);
	refused("{", "invalid_json", NULL);
	refused("[]", "invalid_json", NULL);
	refused("\"uid\"", "invalid_json", NULL);
	refused("{\"uid\":\"a\",\"uid\":\"b\"}", "invalid_json", NULL);
	refused("{}", "missing_field", "uid");
	refused("{\"transport\":\"udp\"}", "missing_field", "uid");
	refused("{\"uid\":7}", "invalid_field", "uid");
	refused("{\"uid\":null}", "invalid_field", "uid");
	refused("{\"uid\":\"\"}", "invalid_field", "uid");
	refused("{\"uid\":\"a\\u0000b\"}", "invalid_field", "uid");
	refused("{\"uid\":\"a\\u0001b\"}", "invalid_field", "uid");
	refused("{\"uid\":\"a\\nb\"}", "invalid_field", "uid");
	refused("{\"uid\":\"a\\u007fb\"}", "invalid_field", "uid");
	refused("{\"uid\":\"p\",\"transport\":\"quic\"}", "invalid_field", "transport");
	refused("{\"uid\":\"p\",\"transport\":\"UDP\"}", "invalid_field", "transport");
	refused("{\"uid\":\"p\",\"transport\":1}", "invalid_field", "transport");
	refused("{\"uid\":\"p\",\"transport\":\"udp\\u0000x\"}", "invalid_field", "transport");

	char body[256] = "{\"uid\":\"";
	for (int i = 0; i < 65; i++)
		strcat(body, "x");
	strcat(body, "\"}");
	refused(body, "invalid_field", "uid");
}
END_TEST

START_TEST(uid_rules)
{
	ck_assert_ptr_null(hy_http_uid_check("a", 1));
	ck_assert_ptr_null(hy_http_uid_check("with space/slash", 16));
	ck_assert_ptr_nonnull(hy_http_uid_check("", 0));
	ck_assert_ptr_nonnull(hy_http_uid_check("a\0b", 3));
	ck_assert_ptr_nonnull(hy_http_uid_check("\xff\xfe", 2)); /* not UTF-8 */
	ck_assert_ptr_nonnull(hy_http_uid_check("\xc3", 1));     /* cut UTF-8 */
}
END_TEST

START_TEST(small_parsers)
{
	uint64_t v;

	ck_assert_int_eq(hy_http_transport_parse("udp", false), HY_TRANSPORT_UDP);
	ck_assert_int_eq(hy_http_transport_parse("UDP", false), 0);
	ck_assert_int_eq(hy_http_transport_parse("TCP", true), HY_TRANSPORT_TCP);
	ck_assert_int_eq(hy_http_transport_parse("ws", true), 0);

	ck_assert_int_eq(hy_http_sid_parse("0123456789abcdef", &v), 0);
	ck_assert_uint_eq(v, 0x0123456789abcdefull);
	ck_assert_int_eq(hy_http_sid_parse("0123456789ABCDEF", &v), 0);
	ck_assert_int_eq(hy_http_sid_parse("0123456789abcde", &v), -1);
	ck_assert_int_eq(hy_http_sid_parse("0123456789abcdef0", &v), -1);
	ck_assert_int_eq(hy_http_sid_parse("0123456789abcdeg", &v), -1);
	ck_assert_int_eq(hy_http_sid_parse("", &v), -1);

	ck_assert_int_eq(hy_http_uint_parse("0", 10, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(hy_http_uint_parse("4294967295", UINT32_MAX, &v), 0);
	ck_assert_int_eq(hy_http_uint_parse("4294967296", UINT32_MAX, &v), -1);
	ck_assert_int_eq(hy_http_uint_parse("99999999999", UINT64_MAX, &v), -1);
	ck_assert_int_eq(hy_http_uint_parse("-1", 10, &v), -1);
	ck_assert_int_eq(hy_http_uint_parse(" 1", 10, &v), -1);
	ck_assert_int_eq(hy_http_uint_parse("", 10, &v), -1);
	ck_assert_int_eq(hy_http_uint_parse("11", 10, &v), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http-request");
	TCase *tc = tcase_create("request");
	tcase_add_test(tc, auth_body_valid);
	tcase_add_test(tc, auth_body_refusals);
	tcase_add_test(tc, uid_rules);
	tcase_add_test(tc, small_parsers);
	suite_add_tcase(s, tc);
	return hy_check_run(s);
}
