/* SPDX-License-Identifier: BSD-3-Clause
 * hayate-dataplane: the DPDK poll-mode process.  This release reads and
 * checks the configuration, starts EAL, finds the configured ports, prints
 * what it would run and exits; the poll loop arrives in a later release.
 *
 * The configuration is checked before EAL starts, so a bad file fails fast
 * without taking hugepages or devices: the application options (after
 * "--") are parsed first, then EAL gets everything before the "--".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "config/conf.h"

#define PROG "hayate-dataplane"

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
		"Usage: " PROG " [EAL options] -- --config FILE [--modules FILE]\n"
		"                        [--check-config]\n"
		"       " PROG " --help | --version\n"
		"\n"
		"Runs a node's data plane: the UDP/RUDP real-time path on DPDK ports.\n"
		"EAL options come before \"--\" (see the DPDK documentation), e.g.\n"
		"  -l 0-1 -a 0000:03:00.0                      a PCI NIC\n"
		"  --no-huge -m 256 --no-pci --vdev=net_null0  no hugepages, null port\n"
		"\n"
		"  --config FILE    node configuration (libconfig), e.g. config/hayate.conf\n"
		"  --modules FILE   module configuration (YAML); default: the node's\n"
		"                   paths.modules_file\n"
		"  --check-config   check both files, print \"ok\" or one error line and\n"
		"                   exit, without starting EAL\n"
		"  --help           this text\n"
		"  --version        print the version\n"
		"\n"
		"Not implemented yet: this release checks the configuration, starts\n"
		"EAL, checks that every configured port exists, prints one line\n"
		"describing what it would run and exits 0.  The poll loop, sessions,\n"
		"crypto and the rings to hayate-controlplane arrive in later releases.\n"
		"\n"
		"Exit status: 0 success, 1 invalid configuration or EAL/port failure,\n"
		"2 bad command line.\n");
}

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

/* argv[0] is the program name, as getopt expects. */
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
		fprintf(stderr, PROG ": --config FILE is required after \"--\" "
			"(see --help)\n");
		return -1;
	}
	return 0;
}

/*
 * Split argv at the first "--": EAL options before, ours after.  Without a
 * "--", only "--help" or "--version" alone are accepted.  Returns the
 * number of EAL arguments (argv[0] included), or -1 on a usage error.
 */
static int split_args(int argc, char **argv, struct opts *o)
{
	char **app;
	int i, n = 0, rc;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			break;
	if (i == argc) {
		if (argc == 2 && strcmp(argv[1], "--help") == 0) {
			o->help = 1;
			return argc;
		}
		if (argc == 2 && strcmp(argv[1], "--version") == 0) {
			o->version = 1;
			return argc;
		}
		fprintf(stderr, PROG ": missing \"-- --config FILE\" after the "
			"EAL options (see --help)\n");
		return -1;
	}
	app = calloc(argc + 1, sizeof(*app));
	if (app == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	app[n++] = argv[0];
	for (int j = i + 1; j < argc; j++)
		app[n++] = argv[j];
	rc = parse_args(n, app, o); /* o keeps pointers into argv, not app */
	free(app);
	return rc != 0 ? -1 : i;
}

/* "198.18.0.1:7100" or "[2001:db8::1]:7100". */
static char *endpoint(const struct hy_conf_addr *a, unsigned int port,
		      char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	hy_conf_addr_format(a, ip, sizeof(ip));
	snprintf(buf, len, a->family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
		 port);
	return buf;
}

/*
 * Every configured port must be an ethdev EAL knows.  Fills port_ids.
 * Returns 0, or -1 after printing one error line.
 */
static int find_ports(const struct hy_node_config *c, const char *file,
		      uint16_t *port_ids)
{
	unsigned int i;

	for (i = 0; i < c->dataplane.nb_ports; i++) {
		const char *dev = c->dataplane.ports[i].device;

		if (rte_eth_dev_get_port_by_name(dev, &port_ids[i]) != 0) {
			fprintf(stderr, "%s: dataplane.ports[%u].device: no DPDK "
				"port named \"%s\" (give it to EAL: -a for PCI, "
				"--vdev for a virtual device)\n", file, i, dev);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint16_t port_ids[HY_CONF_MAX_PORTS];
	struct hy_modules_config mods;
	struct hy_node_config node;
	struct hy_conf_error err;
	struct opts o = { 0 };
	unsigned int workers, avail, i;
	char line[512], ports[512], ep[64];
	size_t used = 0;
	int eal_argc, ret;

	eal_argc = split_args(argc, argv, &o);
	if (eal_argc < 0)
		return EXIT_USAGE;
	if (o.help) {
		print_usage(stdout);
		return EXIT_SUCCESS;
	}
	if (o.version) {
		printf(PROG " %s\n", HY_VERSION);
		return EXIT_SUCCESS;
	}

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

	/* before EAL, so a signal during a long hugepage setup is seen */
	signal(SIGINT, signal_handler);
	signal(SIGTERM, signal_handler);

	ret = rte_eal_init(eal_argc, argv);
	if (ret < 0) {
		fprintf(stderr, PROG ": rte_eal_init: %s\n",
			rte_strerror(rte_errno));
		return rte_errno == EINVAL ? EXIT_USAGE : EXIT_CONFIG;
	}

	ret = EXIT_SUCCESS;
	if (find_ports(&node, o.config, port_ids) != 0) {
		ret = EXIT_CONFIG;
		goto cleanup;
	}
	avail = rte_lcore_count() - 1; /* the main lcore does ring I/O */
	workers = node.dataplane.workers ? node.dataplane.workers : avail;
	if (workers > avail) {
		fprintf(stderr, "%s: dataplane.workers: %u worker lcores "
			"configured but EAL gives %u (see -l)\n", o.config,
			workers, avail);
		ret = EXIT_CONFIG;
		goto cleanup;
	}
	if (force_quit)
		goto cleanup;

	ports[0] = '\0';
	for (i = 0; i < node.dataplane.nb_ports && used < sizeof(ports); i++) {
		const struct hy_conf_port *p = &node.dataplane.ports[i];

		used += snprintf(ports + used, sizeof(ports) - used,
				 "%s%s=port%u %s", i ? ", " : "", p->device,
				 port_ids[i], endpoint(&p->ipv4, p->udp_port,
						       ep, sizeof(ep)));
		if (p->ipv6.family == AF_INET6 && used < sizeof(ports))
			used += snprintf(ports + used, sizeof(ports) - used,
					 " %s", endpoint(&p->ipv6, p->udp_port,
							 ep, sizeof(ep)));
	}
	printf(PROG ": node %u \"%s\" would run %u port%s [%s] on %u worker "
	       "lcore%s, %u sessions, burst %u; poll loop not implemented yet, "
	       "exiting\n", node.node.id, node.node.name,
	       node.dataplane.nb_ports, node.dataplane.nb_ports == 1 ? "" : "s",
	       ports, workers, workers == 1 ? "" : "s",
	       node.dataplane.max_sessions, node.dataplane.burst);

cleanup:
	rte_eal_cleanup();
	return ret;
}
