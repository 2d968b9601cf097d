/* SPDX-License-Identifier: BSD-3-Clause
 * The endpoints a node hands out in tickets (hy_cp_node_fill): derived
 * from the data-plane port and the TCP listener, or node.udp_public and
 * node.tcp_public when set; and how the loader checks those two keys.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "cp_impl.h"

/* A node file with the data plane on 198.18.0.1:7100 and whatever extra
 * lines the case adds (node keys, controlplane groups). */
static int parse(const char *node_extra, const char *cp_extra, struct hy_node_config *c,
		 struct hy_conf_error *err)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "node = { id = 3; %s };\n"
		 "dataplane = { ports = ( { device = \"net_null0\"; ipv4 = \"198.18.0.1\"; "
		 "udp_port = 7100; } ); };\n"
		 "controlplane = { %s };\n",
		 node_extra, cp_extra);
	return hy_conf_node_parse(text, strlen(text), "test.conf", c, err);
}

static void fill(const char *node_extra, const char *cp_extra, struct hy_cp_node *n)
{
	struct hy_node_config c;
	struct hy_conf_error err;
	char line[512];

	ck_assert_msg(parse(node_extra, cp_extra, &c, &err) == 0, "%s",
		      hy_conf_error_format(&err, line, sizeof(line)));
	hy_cp_node_fill(n, &c);
}

START_TEST(derived_by_default)
{
	struct hy_cp_node n;

	/* wildcard TCP listener: the data plane's address instead */
	fill("", "", &n);
	ck_assert_uint_eq(n.id, 3);
	ck_assert_str_eq(n.udp_host, "198.18.0.1");
	ck_assert_uint_eq(n.udp_port, 7100);
	ck_assert_str_eq(n.tcp_host, "198.18.0.1");
	ck_assert_uint_eq(n.tcp_port, 7200);
	/* a listener with an address hands out that address */
	fill("", "tcp = { listen = \"198.18.1.1\"; port = 7201; };", &n);
	ck_assert_str_eq(n.tcp_host, "198.18.1.1");
	ck_assert_uint_eq(n.tcp_port, 7201);
	/* an empty string is the default spelt out */
	fill("udp_public = \"\"; tcp_public = \"\";", "", &n);
	ck_assert_str_eq(n.udp_host, "198.18.0.1");
	ck_assert_str_eq(n.tcp_host, "198.18.0.1");
}
END_TEST

START_TEST(public_endpoints)
{
	struct hy_cp_node n;

	fill("udp_public = \"198.18.0.2:7101\"; tcp_public = \"[2001:db8:48::9]:443\";",
	     "tcp = { listen = \"198.18.1.1\"; };", &n);
	ck_assert_str_eq(n.udp_host, "198.18.0.2");
	ck_assert_uint_eq(n.udp_port, 7101);
	ck_assert_str_eq(n.tcp_host, "2001:db8:48::9"); /* no brackets in a ticket */
	ck_assert_uint_eq(n.tcp_port, 443);
	/* one set, the other derived; a DNS name is handed out as written */
	fill("udp_public = \"play-1.example.com:65535\";", "", &n);
	ck_assert_str_eq(n.udp_host, "play-1.example.com");
	ck_assert_uint_eq(n.udp_port, 65535);
	ck_assert_str_eq(n.tcp_host, "198.18.0.1"); /* not the UDP proxy's host */
	ck_assert_uint_eq(n.tcp_port, 7200);
	/* without the role there is nothing to hand out, public or not */
	fill("roles = [\"udp\", \"http\"]; tcp_public = \"198.18.0.9:1\";", "", &n);
	ck_assert_str_eq(n.tcp_host, "");
	ck_assert_uint_eq(n.tcp_port, 0);
}
END_TEST

START_TEST(bad_values_refused)
{
	static const char *const bad[] = {
		"198.18.0.2", "198.18.0.2:", "198.18.0.2:0", "198.18.0.2:65536", ":7100",
		"198.18.0.2:7x", "[2001:db8::1]7100", "[2001:db8::zz]:1", "2001:db8::1:7100x",
		"a..b:1", "-a b:1", "host:+1", "[]:1",
	};
	struct hy_node_config c;
	struct hy_conf_error err;
	char extra[256], line[512];
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(extra, sizeof(extra), "udp_public = \"%s\";", bad[i]);
		ck_assert_msg(parse(extra, "", &c, &err) != 0, "accepted %s", bad[i]);
		ck_assert_str_eq(err.key, "node.udp_public");
		ck_assert_uint_eq(err.line, 1);
		hy_conf_error_format(&err, line, sizeof(line));
		ck_assert_msg(strstr(line, "\"host:port\"") != NULL, "%s", line);
		/* all or nothing: the defaults are back */
		ck_assert_str_eq(c.node.udp_public, "");
		snprintf(extra, sizeof(extra), "tcp_public = \"%s\";", bad[i]);
		ck_assert_msg(parse(extra, "", &c, &err) != 0, "accepted %s", bad[i]);
		ck_assert_str_eq(err.key, "node.tcp_public");
	}
	ck_assert_int_ne(parse("udp_public = 7101;", "", &c, &err), 0);
}
END_TEST

START_TEST(written_back_the_same)
{
	struct hy_node_config a, b;
	struct hy_conf_error err;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_int_eq(parse("udp_public = \"[2001:db8:48::2]:7101\"; tcp_public = \"h.example:1\";",
			       "", &a, &err), 0);
	f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(hy_conf_node_write(&a, f), 0);
	fclose(f);
	ck_assert_int_eq(hy_conf_node_parse(text, len, "written.conf", &b, &err), 0);
	ck_assert_str_eq(b.node.udp_public, "[2001:db8:48::2]:7101");
	ck_assert_str_eq(b.node.tcp_public, "h.example:1");
	free(text);
}
END_TEST

START_TEST(split)
{
	char host[8];
	uint16_t port = 0;

	ck_assert_int_eq(hy_conf_hostport_split("[::1]:9", host, sizeof(host), &port), 0);
	ck_assert_str_eq(host, "::1");
	ck_assert_uint_eq(port, 9);
	ck_assert_int_eq(hy_conf_hostport_split("1.2.3.4:5", host, sizeof(host), &port), 0);
	ck_assert_str_eq(host, "1.2.3.4");
	/* a host longer than the buffer is refused, not cut */
	ck_assert_int_eq(hy_conf_hostport_split("abcdefgh:1", host, sizeof(host), &port), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("controlplane-endpoints");
	TCase *tc = tcase_create("endpoints");

	tcase_add_test(tc, derived_by_default);
	tcase_add_test(tc, public_endpoints);
	tcase_add_test(tc, bad_values_refused);
	tcase_add_test(tc, written_back_the_same);
	tcase_add_test(tc, split);
	suite_add_tcase(s, tc);
	return hy_check_run(s);
}
