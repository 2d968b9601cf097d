/* SPDX-License-Identifier: BSD-3-Clause
 * hayate-controlplane: the node's control plane (no EAL).  Options and the
 * staged start-up; the services are in cp.c (glue), registry.c,
 * dataplane_link.c, tcp_server.c, commands.c and http/.
 *
 * Start-up, each stage undone in reverse on failure and at exit:
 * configuration -> cluster keys -> registry -> event loop -> data-plane
 * link -> TCP listener -> MARS -> HTTP -> loop.
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cli.h"
#include "config/conf.h"
#include "cp_impl.h"
#include "http/http.h"
#include "mars/mars.h"

#define PROG "hayate-controlplane"



static void print_usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " --config FILE [--modules FILE] [--check-config]\n"
		"       " PROG " --help | --version\n"
		"\n"
		"Runs a node's control plane beside hayate-dataplane: attaches to its\n"
		"rings (paths.ring_socket; retried while it is absent), keeps the\n"
		"registry of sessions, answers commands, serves the TCP real-time\n"
		"server (controlplane.tcp) and, when built with it, the HTTP API.\n"
		"\n"
		"  --config FILE    node configuration (libconfig), e.g. config/hayate.conf\n"
		"  --modules FILE   module configuration (YAML); default: the node's\n"
		"                   paths.modules_file\n"
		"  --check-config   check both files, print \"ok\" or one error line, exit\n"
		"  --help           this text\n"
		"  --version        print the version\n"
		"\n"
		"Signals:\n"
		"  SIGTERM, SIGINT  drain: the node goes OFFLINE (the data plane too),\n"
		"                   new sessions are refused with DENY NODE_DRAINING;\n"
		"                   exit when no session is left or after\n"
		"                   dataplane.drain_timeout_s; a second signal exits now\n"
		"  SIGUSR2          exit now without a drain: the data plane keeps\n"
		"                   forwarding and a new control plane resyncs with it\n"
		"  SIGUSR1          print the counters as one line on stdout\n"
		"\n"
		"MARS: with controlplane.mars.candidates empty the node is alone (its\n"
		"own leader); otherwise it joins the cluster over UDP on\n"
		"controlplane.mars.listen:port, and runs for leader when its endpoint\n"
		"(controlplane.mars.advertise) is one of the candidates.\n"
		"\n"
		"Exit status: 0 success, 1 invalid configuration or failed start,\n"
		"2 bad command line.\n");
}

int main(int argc, char **argv)
{
	static struct hy_cp cp; /* large (key schedules); not on the stack */
	struct hy_conf_error cerr;
	struct hy_conf_cli o = { 0 };
	char line[512], roles[32], tcp[64], err[256], mars[192];
	sigset_t set;
	int rc = HY_EXIT_CONFIG;
	struct hy_http *http = NULL;

	if (hy_conf_cli_parse(PROG, argc, argv, &o, "") != 0)
		return HY_EXIT_USAGE;
	if (o.help) {
		print_usage(stdout);
		return EXIT_SUCCESS;
	}
	if (o.version) {
		printf(PROG " %s\n", HY_VERSION);
		return EXIT_SUCCESS;
	}

	/* Signals are read from a signalfd by the loop; blocked here, before
	 * any thread exists, so every thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Stage 1: configuration. */
	if (hy_conf_load_all(o.config, o.modules, &cp.conf, &cp.mods, &cerr) != 0) {
		fprintf(stderr, "%s\n", hy_conf_error_format(&cerr, line, sizeof(line)));
		return HY_EXIT_CONFIG;
	}
	if (o.check_config) {
		printf("%s: ok; %s: ok\n", o.config, o.modules ? o.modules : cp.conf.paths.modules_file);
		return EXIT_SUCCESS;
	}
	hy_cp_init(&cp);
	hy_cp_node_fill(&cp.node, &cp.conf);

	/* Stage 2: cluster keys (never logged). */
	if (hy_keyfile_load(cp.conf.paths.cluster_key_file, &cp.keys, err, sizeof(err)) != 0 ||
	    hy_cp_keys_expand(&cp, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		goto out;
	}
	/* Stage 3: registry, sized for the data plane's sessions. */
	cp.reg = hy_registry_create(cp.conf.dataplane.max_sessions);
	if (cp.reg == NULL) {
		fprintf(stderr, PROG ": registry: out of memory\n");
		goto out;
	}
	if (hy_cp_rooms_open(&cp, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		goto out;
	}
	/* Stage 4: event loop, timer, wake-up, signals. */
	if (hy_cp_loop_open(&cp, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		goto out;
	}
	/* Stage 5: data-plane link (it retries on its own while absent). */
	if ((cp.conf.node.roles & HY_ROLE_UDP) && hy_cp_dplink_open(&cp, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		goto out;
	}
	/* Stage 6: TCP real-time server. */
	if ((cp.conf.node.roles & HY_ROLE_TCP) && hy_cp_tcp_open(&cp, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		goto out;
	}
	/* Stage 7: MARS (alone: no socket). */
	if (hy_cp_mars_open(&cp, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		goto out;
	}
	/* Stage 8: HTTP. */
	if (cp.conf.node.roles & HY_ROLE_HTTP) {
		http = hy_http_start(&cp, err, sizeof(err));
		if (http == NULL) {
			fprintf(stderr, PROG ": %s\n", err);
			goto out;
		}
	}
	if (cp.tcp != NULL) {
		char ip[INET6_ADDRSTRLEN];

		hy_conf_addr_format(&cp.conf.controlplane.tcp.listen, ip, sizeof(ip));
		snprintf(tcp, sizeof(tcp), cp.conf.controlplane.tcp.listen.family == AF_INET6 ?
			 "[%s]:%u" : "%s:%u", ip, hy_tcp_server_port(cp.tcp));
	} else {
		snprintf(tcp, sizeof(tcp), "off");
	}
	printf(PROG ": ready: node %u \"%s\" version %s roles %s; tcp %s; data plane %s%s; "
	       "mars %s\n",
	       cp.conf.node.id, cp.conf.node.name, cp.conf.node.version,
	       hy_conf_roles_format(cp.conf.node.roles, roles, sizeof(roles)), tcp,
	       cp.dp == NULL ? "off" : cp.conf.paths.ring_socket,
	       cp.dp == NULL ? "" : hy_dplink_attached(cp.dp) ? " (attached)" : " (waiting)",
	       hy_mars_describe(cp.mars, mars, sizeof(mars)));
	fflush(stdout);

	/* Stage 9: the loop, until a drain ends or a second signal. */
	hy_cp_run(&cp);
	hy_cp_print_counters(&cp);
	rc = EXIT_SUCCESS;
out:
	if (http != NULL)
		hy_http_stop(http);
	hy_cp_teardown(&cp);
	return rc;
}
