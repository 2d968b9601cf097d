/* SPDX-License-Identifier: BSD-3-Clause
 * Node configuration (libconfig): the shipped file, every kind of error
 * with its line and key, cross-field rules, all-or-nothing loading, write
 * and read back.
 */
#include <arpa/inet.h>
#include <check.h>

#include "check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf.h"
#include "util.h"

/* Smallest valid file; tests append or replace lines. */
#define BASE_NODE "node = { id = 7; };\n"
#define BASE_PORTS \
	"dataplane = {\n" \
	"\tports = ( { device = \"net_null0\"; ipv4 = \"198.18.0.1\"; } );\n"
#define BASE BASE_NODE BASE_PORTS "};\n"

static int parse(const char *text, struct hy_node_config *c,
		 struct hy_conf_error *e)
{
	return hy_conf_node_parse(text, strlen(text), "t.conf", c, e);
}

/* Parse text, expect failure with reason, line and key. */
static void expect_fail(const char *text, enum hy_reason reason,
			unsigned int line, const char *key)
{
	struct hy_node_config c, def;
	struct hy_conf_error e;
	char buf[512];

	memset(&c, 0xa5, sizeof(c));
	ck_assert_int_eq(parse(text, &c, &e), -1);
	hy_conf_error_format(&e, buf, sizeof(buf));
	ck_assert_msg(e.reason == reason, "reason %s, want %s: %s",
		      hy_reason_name(e.reason), hy_reason_name(reason), buf);
	ck_assert_msg(e.line == line, "line %u, want %u: %s", e.line, line,
		      buf);
	ck_assert_msg(strcmp(e.key, key) == 0, "key '%s', want '%s': %s",
		      e.key, key, buf);
	ck_assert_str_eq(e.file, "t.conf");
	ck_assert_ptr_null(strchr(buf, '\n'));
	/* nothing half-loaded: the output is exactly the defaults */
	hy_conf_node_defaults(&def);
	ck_assert(memcmp(&c, &def, sizeof(c)) == 0);
}

START_TEST(test_shipped_file_loads)
{
	char *path = src_path("config/hayate.conf");
	char *mods = src_path("config/modules.yaml");
	struct hy_node_config c;
	struct hy_conf_error e;
	char ip[64];

	ck_assert_msg(hy_conf_node_load(path, &c, &e) == 0, "%s:%u: %s: %s",
		      e.file, e.line, e.key, e.msg);
	ck_assert_int_eq(e.reason, HY_R_OK);
	ck_assert_uint_eq(c.node.id, 1);
	ck_assert_str_eq(c.node.name, "dev-1");
	ck_assert_uint_eq(c.node.roles, HY_ROLE_UDP | HY_ROLE_TCP | HY_ROLE_HTTP);
	ck_assert_uint_eq(c.dataplane.nb_ports, 1);
	ck_assert_str_eq(c.dataplane.ports[0].device, "net_null0");
	ck_assert_str_eq(hy_conf_addr_format(&c.dataplane.ports[0].ipv4, ip,
					     sizeof(ip)), "198.18.0.1");
	ck_assert_int_eq(c.dataplane.ports[0].ipv6.family, AF_UNSPEC);
	ck_assert_uint_eq(c.dataplane.ports[0].udp_port, 7100);
	ck_assert_uint_eq(c.dataplane.max_sessions, 1048576);
	ck_assert_uint_eq(c.dataplane.burst, 32);
	ck_assert_uint_eq(c.rudp.rto_max_ms, 1000);
	ck_assert_uint_eq(c.rudp.max_retries, 10);
	ck_assert_uint_eq(c.limits.max_message_bytes, 65536);
	/* relative paths start from the file's directory */
	ck_assert_str_eq(c.paths.modules_file, mods);
	free(path);
	free(mods);
}
END_TEST

START_TEST(test_defaults_fill_what_the_file_leaves_out)
{
	struct hy_node_config c;
	struct hy_conf_error e;

	ck_assert_int_eq(parse(BASE, &c, &e), 0);
	ck_assert_uint_eq(c.node.id, 7);
	ck_assert_str_eq(c.node.name, "hayate");
	ck_assert_uint_eq(c.dataplane.ports[0].udp_port, 7100);
	ck_assert_uint_eq(c.dataplane.idle_timeout_ms, 10000);
	ck_assert_uint_eq(c.controlplane.http.port, 7000);
	ck_assert_int_eq(c.controlplane.http.listen.family, AF_INET);
	ck_assert_uint_eq(c.rudp.rto_min_ms, 50);
	ck_assert_str_eq(c.paths.stats_shm, "/hayate-stats");
}
END_TEST

START_TEST(test_typo_is_unknown_key_with_suggestion)
{
	char *path = src_path("config/hayate.conf");
	char *text = slurp(path);
	char *bad = replace1(text, "idle_timeout_ms = ", "idle_timout_ms = ");
	unsigned int line = line_of(bad, "idle_timout_ms = ");
	struct hy_node_config c;
	struct hy_conf_error e;
	char want[256], got[512];

	ck_assert_int_eq(hy_conf_node_parse(bad, strlen(bad),
					    "config/hayate.conf", &c, &e), -1);
	ck_assert_int_eq(e.reason, HY_R_CONFIG_UNKNOWN_KEY);
	ck_assert_uint_eq(e.line, line);
	snprintf(want, sizeof(want), "config/hayate.conf:%u: "
		 "dataplane.idle_timout_ms: unknown key (did you mean "
		 "idle_timeout_ms?)", line);
	ck_assert_str_eq(hy_conf_error_format(&e, got, sizeof(got)), want);
	free(bad);
	free(text);
	free(path);
}
END_TEST

START_TEST(test_unknown_keys_everywhere)
{
	expect_fail("nodes = { id = 1; };\n", HY_R_CONFIG_UNKNOWN_KEY, 1,
		    "nodes");
	expect_fail(BASE "\n\nrudp = { rto_mn_ms = 5; };\n",
		    HY_R_CONFIG_UNKNOWN_KEY, 7, "rudp.rto_mn_ms");
	expect_fail(BASE_NODE "dataplane = {\n\tports = ( { device = \"x\";\n"
		    "\t\tipv4 = \"198.18.0.1\"; udp_prt = 1; } );\n};\n",
		    HY_R_CONFIG_UNKNOWN_KEY, 4, "dataplane.ports[0].udp_prt");

	/* no suggestion when nothing is close */
	struct hy_node_config c;
	struct hy_conf_error e;

	ck_assert_int_eq(parse(BASE "zebra = 1;\n", &c, &e), -1);
	ck_assert_str_eq(e.msg, "unknown key");
}
END_TEST

START_TEST(test_wrong_type)
{
	expect_fail("node = { id = \"7\"; };\n", HY_R_CONFIG_BAD_VALUE, 1,
		    "node.id");
	expect_fail(BASE "dataplane2 = 1;\n", HY_R_CONFIG_UNKNOWN_KEY, 5,
		    "dataplane2");
	expect_fail(BASE "rudp = 5;\n", HY_R_CONFIG_BAD_VALUE, 5, "rudp");
	expect_fail(BASE "limits = {\n max_message_bytes = 1.5; };\n",
		    HY_R_CONFIG_BAD_VALUE, 6, "limits.max_message_bytes");
	expect_fail(BASE "node = { };\n", HY_R_CONFIG_SYNTAX, 5, "");
	expect_fail("node = { id = 7; name = 5; };\n", HY_R_CONFIG_BAD_VALUE, 1,
		    "node.name");
	expect_fail("node = { id = 7; roles = \"udp\"; };\n",
		    HY_R_CONFIG_BAD_VALUE, 1, "node.roles");
}
END_TEST

START_TEST(test_out_of_range)
{
	struct hy_node_config c;
	struct hy_conf_error e;

	expect_fail("node = { id = 0; };\n", HY_R_CONFIG_BAD_VALUE, 1,
		    "node.id");
	expect_fail(BASE_NODE "dataplane = {\n\tports = ( { device = \"x\";\n"
		    "\t\tipv4 = \"198.18.0.1\";\n\t\tudp_port = 70000; } );\n};\n",
		    HY_R_CONFIG_BAD_VALUE, 5, "dataplane.ports[0].udp_port");
	expect_fail(BASE "dataplane = { burst = 0; };\n",
		    HY_R_CONFIG_SYNTAX, 5, ""); /* duplicate group */
	expect_fail(BASE_NODE BASE_PORTS "\tburst = 1000;\n};\n",
		    HY_R_CONFIG_BAD_VALUE, 4, "dataplane.burst");
	expect_fail(BASE_NODE BASE_PORTS "\tring_slots = 1000;\n};\n",
		    HY_R_CONFIG_BAD_VALUE, 4, "dataplane.ring_slots");
	/* a power of two, but the largest message (154 slots) would not fit */
	expect_fail(BASE_NODE BASE_PORTS "\tring_slots = 128;\n};\n",
		    HY_R_CONFIG_BAD_VALUE, 4, "dataplane.ring_slots");
	expect_fail(BASE_NODE BASE_PORTS "\tmax_sessions = -1;\n};\n",
		    HY_R_CONFIG_BAD_VALUE, 4, "dataplane.max_sessions");
	/* libconfig 1.5 would wrap this to 5 without the loader's help */
	expect_fail("node = { id = 4294967301; };\n", HY_R_CONFIG_BAD_VALUE, 1,
		    "node.id");
	ck_assert_int_eq(parse("node = { id = 4294967295; roles = [\"tcp\"]; };",
			       &c, &e), 0);
	ck_assert_uint_eq(c.node.id, 4294967295u);
	ck_assert_int_eq(parse(BASE_NODE BASE_PORTS "\tring_slots = 0x400;\n};\n",
			       &c, &e), 0);
	ck_assert_uint_eq(c.dataplane.ring_slots, 1024);
	ck_assert_str_eq(e.msg, "");
	ck_assert_int_eq(parse(BASE "paths = { ring_socket = \"/"
			       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			       "aaaaaaaaaaaaa\"; };\n", &c, &e), -1);
	ck_assert_str_eq(e.key, "paths.ring_socket");
}
END_TEST

START_TEST(test_bad_ip)
{
	static const char *const bad4[] = {
		"198.18.0.300", "198.18.0", "2001:db8::1", "0.0.0.0",
		"255.255.255.255", "224.0.0.1", "localhost", "",
	};
	char text[256];
	unsigned int i;

	for (i = 0; i < sizeof(bad4) / sizeof(bad4[0]); i++) {
		snprintf(text, sizeof(text), BASE_NODE "dataplane = {\n"
			 "\tports = ( {\n\t\tdevice = \"x\";\n"
			 "\t\tipv4 = \"%s\"; } );\n};\n", bad4[i]);
		expect_fail(text, HY_R_CONFIG_BAD_VALUE, 5,
			    "dataplane.ports[0].ipv4");
	}
	expect_fail(BASE_NODE "dataplane = {\n\tports = ( { device = \"x\";\n"
		    "\t\tipv4 = \"198.18.0.1\";\n\t\tipv6 = \"fe80::zz\"; } );\n};\n",
		    HY_R_CONFIG_BAD_VALUE, 5, "dataplane.ports[0].ipv6");
	expect_fail(BASE "controlplane = { http = {\n listen = \"localhost\"; }; };\n",
		    HY_R_CONFIG_BAD_VALUE, 6, "controlplane.http.listen");

	struct hy_node_config c;
	struct hy_conf_error e;
	char ip[64];

	ck_assert_int_eq(parse(BASE "controlplane = { tcp = { listen = \"::\"; };"
			       " };\n", &c, &e), 0);
	ck_assert_str_eq(hy_conf_addr_format(&c.controlplane.tcp.listen, ip,
					     sizeof(ip)), "::");
}
END_TEST

START_TEST(test_missing_required)
{
	struct hy_node_config c;
	struct hy_conf_error e;

	expect_fail("\n\nnode = {\n name = \"a\"; };\n", HY_R_CONFIG_MISSING, 3,
		    "node.id");
	expect_fail("", HY_R_CONFIG_MISSING, 0, "node.id");
	expect_fail(BASE_NODE "\ndataplane = {\n\tports = ( {\n"
		    "\t\tipv4 = \"198.18.0.1\"; } );\n};\n",
		    HY_R_CONFIG_MISSING, 4, "dataplane.ports[0].device");
	/* the udp role needs a port */
	expect_fail("node = { id = 7; };\n\ndataplane = { burst = 8; };\n",
		    HY_R_CONFIG_MISSING, 3, "dataplane.ports");
	ck_assert_int_eq(parse("node = { id = 7; roles = [\"http\"]; };", &c,
			       &e), 0);
	ck_assert_uint_eq(c.dataplane.nb_ports, 0);

	/* a file that cannot be read */
	ck_assert_int_eq(hy_conf_node_load("/nonexistent/hayate.conf", &c, &e),
			 -1);
	ck_assert_int_eq(e.reason, HY_R_CONFIG_MISSING);
	ck_assert_str_eq(e.file, "/nonexistent/hayate.conf");
	ck_assert_ptr_nonnull(strstr(e.msg, "cannot open"));
}
END_TEST

START_TEST(test_syntax_error_has_line)
{
	expect_fail("node = {\n id = 7;\n name = ;\n};\n",
		    HY_R_CONFIG_SYNTAX, 3, "");
	expect_fail("node = {\n id = 7;\n name = \"x\";\n}};\n",
		    HY_R_CONFIG_SYNTAX, 4, "");
	expect_fail("node = { id = 7; };\n\n\ndataplane = {\n burst = ;\n};\n",
		    HY_R_CONFIG_SYNTAX, 5, "");
	expect_fail("\n\n@include \"/etc/passwd\"\n", HY_R_CONFIG_SYNTAX, 3, "");
	/* refused before libconfig sees it (1.5 leaks on this error) */
	expect_fail("node = { id = 7;\n name = \"abc; };\n", HY_R_CONFIG_SYNTAX,
		    2, "");
	expect_fail("node = { id = 7; name = \"a\\\"\nb\"; };\n",
		    HY_R_CONFIG_BAD_VALUE, 1, "node.name");

	static const char nul[] = "node = { id = 7; };\n\0junk";
	struct hy_node_config c;
	struct hy_conf_error e;

	ck_assert_int_eq(hy_conf_node_parse(nul, sizeof(nul) - 1, "t.conf", &c,
					    &e), -1);
	ck_assert_int_eq(e.reason, HY_R_CONFIG_SYNTAX);
	ck_assert_uint_eq(e.line, 2);
}
END_TEST

START_TEST(test_lists)
{
	struct hy_node_config c;
	struct hy_conf_error e;

	expect_fail("node = { id = 7; roles = [\"udp\", \"upd\"]; };\n",
		    HY_R_CONFIG_BAD_VALUE, 1, "node.roles[1]");
	expect_fail("node = { id = 7; roles = [\"tcp\", \"tcp\"]; };\n",
		    HY_R_CONFIG_BAD_VALUE, 1, "node.roles[1]");
	expect_fail("node = { id = 7; roles = []; };\n", HY_R_CONFIG_BAD_VALUE,
		    1, "node.roles");
	ck_assert_int_eq(parse("node = { id = 7; roles = (\"http\", \"tcp\"); };"
			       , &c, &e), 0);
	ck_assert_uint_eq(c.node.roles, HY_ROLE_HTTP | HY_ROLE_TCP);

	ck_assert_int_eq(parse(BASE "controlplane = { mars = { candidates = ["
			       "\"198.18.0.2:7300\", \"[2001:db8::2]:7300\", "
			       "\"mars-1.example.net:7300\"]; }; };\n", &c, &e),
			 0);
	ck_assert_uint_eq(c.controlplane.mars.nb_candidates, 3);
	ck_assert_str_eq(c.controlplane.mars.candidates[1], "[2001:db8::2]:7300");
	static const char *const bad_hp[] = {
		"198.18.0.2", "198.18.0.2:0", "198.18.0.2:65536", ":7300",
		"[::1:7300", "[zz]:1", "a..b:1", "-:x", "host:7300x",
	};
	for (unsigned int i = 0; i < sizeof(bad_hp) / sizeof(bad_hp[0]); i++) {
		char text[256];

		snprintf(text, sizeof(text), BASE "controlplane = { mars = {\n"
			 "candidates = [\"%s\"]; }; };\n", bad_hp[i]);
		expect_fail(text, HY_R_CONFIG_BAD_VALUE, 6,
			    "controlplane.mars.candidates[0]");
	}
	/* too many ports */
	char big[4096] = BASE_NODE "dataplane = { ports = (";
	for (int i = 0; i < 9; i++) {
		char one[128];

		snprintf(one, sizeof(one), "%s{ device = \"d%d\"; ipv4 = "
			 "\"198.18.0.%d\"; }", i ? "," : "", i, i + 1);
		strcat(big, one);
	}
	strcat(big, "); };\n");
	expect_fail(big, HY_R_CONFIG_BAD_VALUE, 2, "dataplane.ports");
}
END_TEST

START_TEST(test_cross_field_rules)
{
	expect_fail(BASE "rudp = {\n\trto_min_ms = 2000;\n};\n",
		    HY_R_CONFIG_BAD_VALUE, 6, "rudp.rto_min_ms");
	expect_fail(BASE "rudp = {\n\trto_max_ms = 20;\n};\n",
		    HY_R_CONFIG_BAD_VALUE, 5, "rudp.rto_min_ms");
	expect_fail(BASE_NODE BASE_PORTS "\tkeepalive_ms = 6000;\n};\n",
		    HY_R_CONFIG_BAD_VALUE, 2, "dataplane.idle_timeout_ms");
	expect_fail(BASE "limits = {\n\treassembly_bytes_per_session = 2000;\n};\n",
		    HY_R_CONFIG_BAD_VALUE, 6,
		    "limits.reassembly_bytes_per_session");
	expect_fail(BASE "controlplane = { mars = {\n heartbeat_ms = 1000; }; };\n",
		    HY_R_CONFIG_BAD_VALUE, 5,
		    "controlplane.mars.election_timeout_ms");
	expect_fail(BASE "controlplane = {\n tcp = { port = 7000; }; };\n",
		    HY_R_CONFIG_BAD_VALUE, 6, "controlplane.tcp.port");
	expect_fail(BASE_NODE "dataplane = { ports = (\n"
		    "{ device = \"a\"; ipv4 = \"198.18.0.1\"; },\n"
		    "{ device = \"a\"; ipv4 = \"198.18.0.2\"; }); };\n",
		    HY_R_CONFIG_BAD_VALUE, 4, "dataplane.ports[1].device");
	expect_fail(BASE_NODE "dataplane = { ports = (\n"
		    "{ device = \"a\"; ipv4 = \"198.18.0.1\"; },\n"
		    "{ device = \"b\"; ipv4 = \"198.18.0.1\"; }); };\n",
		    HY_R_CONFIG_BAD_VALUE, 4, "dataplane.ports[1].ipv4");
}
END_TEST

/* dataplane.bench: off by default, ranges, and no more bench sessions
 * than the table holds (the command-line half is the data plane's:
 * tests/dataplane/integration/bench_refusals.sh). */
START_TEST(test_bench_keys)
{
	struct hy_node_config c;
	struct hy_conf_error e;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_int_eq(parse(BASE, &c, &e), 0);
	ck_assert_uint_eq(c.dataplane.bench.sessions, 0);
	ck_assert_uint_eq(c.dataplane.bench.seed, 0);
	ck_assert_uint_eq(c.dataplane.bench.room_size, 0);

	ck_assert_int_eq(parse(BASE_NODE BASE_PORTS
			       "\tbench = { sessions = 1000; seed = 4000000000L; "
			       "room_size = 8; };\n};\n", &c, &e), 0);
	ck_assert_uint_eq(c.dataplane.bench.sessions, 1000);
	ck_assert_uint_eq(c.dataplane.bench.seed, 4000000000u);
	ck_assert_uint_eq(c.dataplane.bench.room_size, 8);
	/* written and read back, seed past int32 included */
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(hy_conf_node_write(&c, f), 0);
	fclose(f);
	ck_assert(strstr(buf, "bench") != NULL);
	{
		struct hy_node_config b;

		ck_assert_int_eq(hy_conf_node_parse(buf, len, "w.conf", &b, &e), 0);
		ck_assert(memcmp(&c.dataplane.bench, &b.dataplane.bench,
				 sizeof(c.dataplane.bench)) == 0);
	}
	free(buf);

	expect_fail(BASE_NODE BASE_PORTS "\tbench = {\n room_size = 1025; };\n};\n",
		    HY_R_CONFIG_BAD_VALUE, 5, "dataplane.bench.room_size");
	expect_fail(BASE_NODE BASE_PORTS "\tbench = {\n sesions = 1; };\n};\n",
		    HY_R_CONFIG_UNKNOWN_KEY, 5, "dataplane.bench.sesions");
	/* the default table holds 1048576 */
	expect_fail(BASE_NODE BASE_PORTS "\tmax_sessions = 1024;\n"
		    "\tbench = {\n sessions = 1025; };\n};\n",
		    HY_R_CONFIG_BAD_VALUE, 6, "dataplane.bench.sessions");
}
END_TEST

START_TEST(test_strings_and_paths)
{
	struct hy_node_config c;
	struct hy_conf_error e;

	expect_fail("node = { id = 7; name = \"two words\"; };\n",
		    HY_R_CONFIG_BAD_VALUE, 1, "node.name");
	expect_fail("node = { id = 7; name = \"\"; };\n",
		    HY_R_CONFIG_BAD_VALUE, 1, "node.name");
	expect_fail(BASE "paths = { stats_shm = \"no-slash\"; };\n",
		    HY_R_CONFIG_BAD_VALUE, 5, "paths.stats_shm");
	expect_fail(BASE "paths = { stats_shm = \"/a/b\"; };\n",
		    HY_R_CONFIG_BAD_VALUE, 5, "paths.stats_shm");
	expect_fail(BASE "paths = { app_keys_file = \"a\\nb\"; };\n",
		    HY_R_CONFIG_BAD_VALUE, 5, "paths.app_keys_file");

	static const char text[] = BASE "paths = { modules_file = \"m.yaml\";"
		" cluster_key_file = \"/abs/key\"; };\n";
	ck_assert_int_eq(hy_conf_node_parse(text, strlen(text), "etc/h/x.conf",
					    &c, &e), 0);
	ck_assert_str_eq(c.paths.modules_file, "etc/h/m.yaml");
	ck_assert_str_eq(c.paths.cluster_key_file, "/abs/key");
	ck_assert_int_eq(parse(text, &c, &e), 0); /* no directory: as written */
	ck_assert_str_eq(c.paths.modules_file, "m.yaml");
}
END_TEST

START_TEST(test_write_then_read_back)
{
	char *path = src_path("config/hayate.conf");
	struct hy_node_config a, b;
	struct hy_conf_error e;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_int_eq(hy_conf_node_load(path, &a, &e), 0);
	a.node.id = 4000000000u; /* past int32: needs libconfig's L */
	a.dataplane.ports[0].ipv6.family = AF_INET6;
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::1",
				   &a.dataplane.ports[0].ipv6.v6), 1);
	a.controlplane.mars.nb_candidates = 1;
	strcpy(a.controlplane.mars.candidates[0], "198.18.0.9:7300");
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(hy_conf_node_write(&a, f), 0);
	fclose(f);
	/* every path is absolute by now, so no directory is needed */
	ck_assert_msg(hy_conf_node_parse(buf, len, "w.conf", &b, &e) == 0,
		      "%s: %s",
		      e.key, e.msg);
	ck_assert(memcmp(&a, &b, sizeof(a)) == 0);
	free(buf);
	free(path);
}
END_TEST

START_TEST(test_error_format)
{
	struct hy_conf_error e = { .reason = HY_R_CONFIG_BAD_VALUE, .line = 3 };
	char buf[64];

	strcpy(e.file, "a\nb.conf");
	strcpy(e.key, "x.y");
	strcpy(e.msg, "bad\r");
	ck_assert_str_eq(hy_conf_error_format(&e, buf, sizeof(buf)),
			 "a?b.conf:3: x.y: bad?");
	e.line = 0;
	e.key[0] = '\0';
	ck_assert_str_eq(hy_conf_error_format(&e, buf, sizeof(buf)),
			 "a?b.conf: bad?");
	ck_assert_str_eq(hy_conf_error_format(&e, buf, 5), "a?b.");
}
END_TEST

static Suite *node_suite(void)
{
	Suite *s = suite_create("config-node");
	TCase *tc = tcase_create("node");

	tcase_add_test(tc, test_shipped_file_loads);
	tcase_add_test(tc, test_defaults_fill_what_the_file_leaves_out);
	tcase_add_test(tc, test_typo_is_unknown_key_with_suggestion);
	tcase_add_test(tc, test_unknown_keys_everywhere);
	tcase_add_test(tc, test_wrong_type);
	tcase_add_test(tc, test_out_of_range);
	tcase_add_test(tc, test_bad_ip);
	tcase_add_test(tc, test_missing_required);
	tcase_add_test(tc, test_syntax_error_has_line);
	tcase_add_test(tc, test_lists);
	tcase_add_test(tc, test_cross_field_rules);
	tcase_add_test(tc, test_bench_keys);
	tcase_add_test(tc, test_strings_and_paths);
	tcase_add_test(tc, test_write_then_read_back);
	tcase_add_test(tc, test_error_format);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hy_check_run(node_suite());
}
