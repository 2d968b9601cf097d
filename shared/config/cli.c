/* SPDX-License-Identifier: BSD-3-Clause
 * Shared command line of hayate-dataplane and hayate-controlplane.
 */
#include <getopt.h>
#include <stdio.h>

#include "config/cli.h"

enum {
	CMD_LINE_OPT_CONFIG_NUM = 256,
	CMD_LINE_OPT_MODULES_NUM,
	CMD_LINE_OPT_CHECK_CONFIG_NUM,
	CMD_LINE_OPT_HELP_NUM,
	CMD_LINE_OPT_VERSION_NUM,
};

static const struct option lgopts[] = {
	{ "config", required_argument, NULL, CMD_LINE_OPT_CONFIG_NUM },
	{ "modules", required_argument, NULL, CMD_LINE_OPT_MODULES_NUM },
	{ "check-config", no_argument, NULL, CMD_LINE_OPT_CHECK_CONFIG_NUM },
	{ "help", no_argument, NULL, CMD_LINE_OPT_HELP_NUM },
	{ "version", no_argument, NULL, CMD_LINE_OPT_VERSION_NUM },
	{ NULL, 0, NULL, 0 },
};

/* A file path option: non-empty. */
static int parse_path(const char *prog, const char *arg, const char **out, const char *name)
{
	if (arg[0] == '\0') {
		fprintf(stderr, "%s: --%s needs a file name (see --help)\n", prog, name);
		return -1;
	}
	*out = arg;
	return 0;
}

int hy_conf_cli_parse(const char *prog, int argc, char **argv, struct hy_conf_cli *o,
		      const char *missing_config_hint)
{
	int opt;

	opterr = 0; /* one line of our own instead of getopt's */
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", lgopts, NULL)) != EOF) {
		switch (opt) {
		case CMD_LINE_OPT_CONFIG_NUM:
			if (parse_path(prog, optarg, &o->config, "config") != 0)
				return -1;
			break;
		case CMD_LINE_OPT_MODULES_NUM:
			if (parse_path(prog, optarg, &o->modules, "modules") != 0)
				return -1;
			break;
		case CMD_LINE_OPT_CHECK_CONFIG_NUM:
			o->check_config = 1;
			break;
		case CMD_LINE_OPT_HELP_NUM:
			o->help = 1;
			break;
		case CMD_LINE_OPT_VERSION_NUM:
			o->version = 1;
			break;
		default:
			fprintf(stderr, "%s: bad option '%s' (see --help)\n", prog, argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", prog, argv[optind]);
		return -1;
	}
	if (!o->help && !o->version && o->config == NULL) {
		fprintf(stderr, "%s: --config FILE is required%s (see --help)\n", prog,
			missing_config_hint);
		return -1;
	}
	return 0;
}
