/* SPDX-License-Identifier: BSD-3-Clause
 * hayate-controlplane: MARS membership, the HTTP API and the TCP real-time
 * server (no EAL).  This release reads and checks the configuration,
 * prints what it would run and exits; the services arrive in later
 * releases.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf.h"

#define PROG "hayate-controlplane"

/* Exit codes, shared with hayate-dataplane. */
#define EXIT_CONFIG 1 /* configuration invalid, or failed at start */
#define EXIT_USAGE 2  /* bad command line */

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

struct opts {
	const char *config;
	const char *modules;
	int check_config;
	int help;
	int version;
};

static volatile sig_atomic_t force_quit;

static void signal_handler(int signum)
{
	(void)signum;
	force_quit = 1;
}

static void print_usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " --config FILE [--modules FILE] [--check-config]\n"
		"       " PROG " --help | --version\n"
		"\n"
		"Runs a node's control plane: cluster membership (MARS), the HTTP\n"
		"API and the TCP real-time server.\n"
		"\n"
		"  --config FILE    node configuration (libconfig), e.g. config/hayate.conf\n"
		"  --modules FILE   module configuration (YAML); default: the node's\n"
		"                   paths.modules_file\n"
		"  --check-config   check both files, print \"ok\" or one error line, exit\n"
		"  --help           this text\n"
		"  --version        print the version\n"
		"\n"
		"Not implemented yet: this release loads and checks the configuration,\n"
		"prints one line describing what it would run and exits 0.  MARS, the\n"
		"HTTP API, the TCP server and the rings to hayate-dataplane arrive in\n"
		"later releases.\n"
		"\n"
		"Exit status: 0 success, 1 invalid configuration, 2 bad command line.\n");
}

/* One parse_xxx() per option with an argument: a file path, non-empty. */
static int parse_path(const char *arg, const char **out, const char *name)
{
	if (arg[0] == '\0') {
		fprintf(stderr, PROG ": --%s needs a file name (see --help)\n",
			name);
		return -1;
	}
	*out = arg;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	int opt;

	opterr = 0; /* one line of our own instead of getopt's */
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", lgopts, NULL)) != EOF) {
		switch (opt) {
		case CMD_LINE_OPT_CONFIG_NUM:
			if (parse_path(optarg, &o->config, "config") != 0)
				return -1;
			break;
		case CMD_LINE_OPT_MODULES_NUM:
			if (parse_path(optarg, &o->modules, "modules") != 0)
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
			fprintf(stderr, PROG ": bad option '%s' (see --help)\n",
				argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s' (see --help)\n",
			argv[optind]);
		return -1;
	}
	if (!o->help && !o->version && o->config == NULL) {
		fprintf(stderr, PROG ": --config FILE is required (see --help)\n");
		return -1;
	}
	return 0;
}

/* "198.18.0.1:7000" or "[::]:7000". */
static char *endpoint(const struct hy_conf_addr *a, unsigned int port,
		      char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	hy_conf_addr_format(a, ip, sizeof(ip));
	snprintf(buf, len, a->family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
		 port);
	return buf;
}

int main(int argc, char **argv)
{
	struct hy_modules_config mods;
	struct hy_node_config node;
	struct hy_conf_error err;
	struct opts o = { 0 };
	char line[512], roles[32], http[64], tcp[64], mars[64];

	if (parse_args(argc, argv, &o) != 0)
		return EXIT_USAGE;
	if (o.help) {
		print_usage(stdout);
		return EXIT_SUCCESS;
	}
	if (o.version) {
		printf(PROG " %s\n", HY_VERSION);
		return EXIT_SUCCESS;
	}

	signal(SIGINT, signal_handler);
	signal(SIGTERM, signal_handler);

	if (hy_conf_load_all(o.config, o.modules, &node, &mods, &err) != 0) {
		fprintf(stderr, "%s\n",
			hy_conf_error_format(&err, line, sizeof(line)));
		return EXIT_CONFIG;
	}
	if (o.check_config) {
		printf("%s: ok; %s: ok\n", o.config,
		       o.modules ? o.modules : node.paths.modules_file);
		return EXIT_SUCCESS;
	}
	if (force_quit)
		return EXIT_SUCCESS; /* asked to stop before anything started */

	printf(PROG ": node %u \"%s\" version %s roles %s; http %s, tcp %s,"
	       " mars %s with %u candidate%s; rooms of up to %u; services "
	       "not implemented yet, exiting\n",
	       node.node.id, node.node.name, node.node.version,
	       hy_conf_roles_format(node.node.roles, roles, sizeof(roles)),
	       endpoint(&node.controlplane.http.listen,
			node.controlplane.http.port, http, sizeof(http)),
	       endpoint(&node.controlplane.tcp.listen,
			node.controlplane.tcp.port, tcp, sizeof(tcp)),
	       endpoint(&node.controlplane.mars.listen,
			node.controlplane.mars.port, mars, sizeof(mars)),
	       node.controlplane.mars.nb_candidates,
	       node.controlplane.mars.nb_candidates == 1 ? "" : "s",
	       mods.rooms.max_members);
	return EXIT_SUCCESS;
}
