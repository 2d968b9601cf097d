/* SPDX-License-Identifier: BSD-3-Clause
 * hayate-auth-stub: the POST /v1/auth stand-in (auth_stub.h) as a process,
 * for shell tests of hayate-cli.  Usage:
 *   hayate-auth-stub --key-file F --app-key K [--node-id N] [--host ADDR]
 *                    [--udp-port P] [--tcp-port P] [--port P]
 * Prints "listening URL" once ready; runs until SIGTERM/SIGINT.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth_stub.h"

#include "crypto/keyfile.h"

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"key-file", required_argument, NULL, 'k'},
					     {"app-key", required_argument, NULL, 'a'},
					     {"node-id", required_argument, NULL, 'n'},
					     {"host", required_argument, NULL, 'h'},
					     {"udp-port", required_argument, NULL, 'u'},
					     {"tcp-port", required_argument, NULL, 't'},
					     {"port", required_argument, NULL, 'p'},
					     {NULL, 0, NULL, 0}};
	struct auth_stub_config cfg = {.node_id = 1, .host = "127.0.0.1", .ttl_s = 60};
	const char *key_file = NULL;
	unsigned long port = 0;
	struct hy_keyring ring;
	char err[256];
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': key_file = optarg; break;
		case 'a': cfg.app_key = optarg; break;
		case 'n': cfg.node_id = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'h': cfg.host = optarg; break;
		case 'u': cfg.udp_port = (uint16_t)strtoul(optarg, NULL, 10); break;
		case 't': cfg.tcp_port = (uint16_t)strtoul(optarg, NULL, 10); break;
		case 'p': port = strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: hayate-auth-stub --key-file F --app-key K [--node-id N] "
					"[--host ADDR] [--udp-port P] [--tcp-port P] [--port P]\n");
			return 2;
		}
	}
	if (key_file == NULL || cfg.app_key == NULL || port > 65535) {
		fprintf(stderr, "hayate-auth-stub: --key-file and --app-key are required\n");
		return 2;
	}
	if (hy_keyfile_load(key_file, &ring, err, sizeof(err)) < 0) {
		fprintf(stderr, "hayate-auth-stub: %s\n", err);
		return 2;
	}
	cfg.key_id = ring.newest_id;
	memcpy(cfg.cluster_key, ring.key[ring.newest_id], HY_KEY_LEN);
	hy_keyring_wipe(&ring);
	struct auth_stub *st = auth_stub_start(&cfg, (uint16_t)port);
	explicit_bzero(cfg.cluster_key, sizeof(cfg.cluster_key));
	if (st == NULL) {
		fprintf(stderr, "hayate-auth-stub: cannot start the HTTP server\n");
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("listening http://127.0.0.1:%u\n", auth_stub_port(st));
	fflush(stdout);
	while (!quit)
		pause();
	auth_stub_stop(st);
	return 0;
}
