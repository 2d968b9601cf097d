/* SPDX-License-Identifier: BSD-3-Clause
 * Fuzz the node configuration loader.  Invariants: never crash; a failure
 * has a CONFIG_* reason, a syntax error has a line, any other error names
 * a key, the message is one line, and the output holds exactly the
 * defaults; a success writes back to text that loads to the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "invariant: %s\n", #x); \
	abort(); } } while (0)

static void check_error(const struct hy_conf_error *e)
{
	char line[1024];

	CHECK(e->reason == HY_R_CONFIG_SYNTAX ||
	      e->reason == HY_R_CONFIG_UNKNOWN_KEY ||
	      e->reason == HY_R_CONFIG_BAD_VALUE ||
	      e->reason == HY_R_CONFIG_MISSING);
	if (e->reason == HY_R_CONFIG_SYNTAX)
		CHECK(e->line > 0);
	else
		CHECK(e->key[0] != '\0');
	if (e->reason == HY_R_CONFIG_UNKNOWN_KEY)
		CHECK(e->line > 0);
	hy_conf_error_format(e, line, sizeof(line));
	CHECK(strchr(line, '\n') == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hy_node_config cfg, again, def;
	struct hy_conf_error err;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (hy_conf_node_parse((const char *)data, size, "fuzz.conf", &cfg,
			       &err) != 0) {
		check_error(&err);
		hy_conf_node_defaults(&def);
		CHECK(memcmp(&cfg, &def, sizeof(cfg)) == 0);
		return 0;
	}
	CHECK(err.reason == HY_R_OK);
	CHECK(cfg.node.id != 0 && cfg.node.roles != 0);
	CHECK(cfg.dataplane.nb_ports <= HY_CONF_MAX_PORTS);
	CHECK(cfg.rudp.rto_min_ms <= cfg.rudp.rto_max_ms);
	CHECK(cfg.limits.reassembly_bytes_per_session >=
	      cfg.limits.max_message_bytes);

	f = open_memstream(&buf, &len);
	CHECK(f != NULL);
	CHECK(hy_conf_node_write(&cfg, f) == 0);
	fclose(f);
	if (hy_conf_node_parse(buf, len, "fuzz.conf", &again, &err) != 0) {
		fprintf(stderr, "written config does not load: %s: %s\n%s\n",
			err.key, err.msg, buf);
		abort();
	}
	CHECK(memcmp(&cfg, &again, sizeof(cfg)) == 0);
	free(buf);
	return 0;
}
