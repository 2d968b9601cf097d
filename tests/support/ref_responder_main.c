/* SPDX-License-Identifier: BSD-3-Clause
 * hayate-ref-responder: the reference responder as a process, for shell
 * tests of hayate-cli.  Usage:
 *   hayate-ref-responder --key-file F [--node-id N] [--bind ADDR] [--port P]
 *                        [--tcp | --tcp-port P]
 * Prints "listening ADDR PORT" (UDP) once ready, and with --tcp or
 * --tcp-port also "tcp ADDR PORT"; runs until SIGTERM/SIGINT.
 */
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ref_server.h"

#include "crypto/keyfile.h"
#include "proto/packet.h"

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"key-file", required_argument, NULL, 'k'},
					     {"node-id", required_argument, NULL, 'n'},
					     {"bind", required_argument, NULL, 'b'},
					     {"port", required_argument, NULL, 'p'},
					     {"tcp", no_argument, NULL, 't'},
					     {"tcp-port", required_argument, NULL, 'T'},
					     {NULL, 0, NULL, 0}};
	const char *key_file = NULL, *bind_addr = "127.0.0.1";
	unsigned long node_id = 1, port = 0, tcp_port = 0;
	bool tcp = false;
	struct hy_keyring ring;
	char err[256];
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': key_file = optarg; break;
		case 'n': node_id = strtoul(optarg, NULL, 10); break;
		case 'b': bind_addr = optarg; break;
		case 'p': port = strtoul(optarg, NULL, 10); break;
		case 't': tcp = true; break;
		case 'T': tcp = true; tcp_port = strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: hayate-ref-responder --key-file F [--node-id N] "
					"[--bind ADDR] [--port P] [--tcp | --tcp-port P]\n");
			return 2;
		}
	}
	if (key_file == NULL || port > 65535 || tcp_port > 65535 || hy_keyfile_load(key_file, &ring, err, sizeof(err))) {
		fprintf(stderr, "hayate-ref-responder: %s\n", key_file ? err : "--key-file is required");
		return 2;
	}
	/* The reference responder knows one cluster key: the newest. */
	struct ref_server_config cfg = {.node_id = (uint32_t)node_id, .node_state = HY_NODE_ONLINE,
					.cluster_key_id = ring.newest_id,
					.keepalive_ms = 1000, .idle_timeout_ms = 10000,
					.backend = HY_AEAD_OPENSSL};
	memcpy(cfg.cluster_key, ring.key[ring.newest_id], HY_KEY_LEN);
	hy_keyring_wipe(&ring);
	struct ref_server *s = ref_server_create(&cfg, bind_addr, (uint16_t)port);
	explicit_bzero(cfg.cluster_key, sizeof(cfg.cluster_key));
	if (s == NULL) {
		perror("hayate-ref-responder: bind");
		return 1;
	}
	if (tcp && ref_server_listen_tcp(s, bind_addr, (uint16_t)tcp_port) < 0) {
		perror("hayate-ref-responder: tcp listen");
		ref_server_destroy(s);
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("listening %s %u\n", bind_addr, ref_server_port(s));
	if (tcp)
		printf("tcp %s %u\n", bind_addr, ref_server_tcp_port(s));
	fflush(stdout);
	while (!quit) {
		struct pollfd p[2 + REF_SERVER_MAX_TCP];
		poll(p, ref_server_pollfds(s, p, 2 + REF_SERVER_MAX_TCP), 50);
		ref_server_poll(s, now_ms());
	}
	ref_server_destroy(s);
	return 0;
}
