/* SPDX-License-Identifier: BSD-3-Clause
 * hayate-ref-responder: the reference responder as a process, for shell
 * tests of hayate-cli.  Usage:
 *   hayate-ref-responder --key-file F [--node-id N] [--bind ADDR] [--port P]
 *                        [--tcp | --tcp-port P] [--move-after N]
 * Prints "listening ADDR PORT" (UDP) once ready, and with --tcp or
 * --tcp-port also "tcp ADDR PORT"; runs until SIGTERM/SIGINT.
 * --move-after N: 20 ms after the Nth echo was answered, every session
 * gets a reliable MOVE push (reason DRAIN) with a UDP ticket (uid "moved";
 * one token, so one client follows it) for a second responder in this
 * process, on another port of the same address, that reads nothing for
 * 500 ms after the push: a target node slow to answer, so the client is
 * still connecting when its next echo is due (hayate-cli's tests).
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
#include "crypto/token.h"
#include "proto/message.h"
#include "proto/packet.h"
#include "proto/ticket.h"

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

/* Pushes a MOVE to every session of s: a ticket for host:port. */
static void push_move(struct ref_server *s, const uint8_t key[HY_KEY_LEN], uint8_t key_id,
		      uint32_t node_id, const char *host, uint16_t port)
{
	struct hy_aead_ctx ctx;
	struct hy_ticket t = {.port = port};
	uint8_t pl[2 + HY_TICKET_MAX_LEN];
	size_t len = 0;

	snprintf(t.host, sizeof(t.host), "%s", host);
	if (hy_aead_key_init(&ctx, HY_AEAD_OPENSSL, key) == 0 &&
	    hy_token_mint(&ctx, key_id, node_id, (uint64_t)time(NULL) + 60, "moved",
			  HY_TRANSPORT_UDP, &t.cred) == 0)
		len = hy_move_encode(pl, sizeof(pl), HY_MOVE_DRAIN, &t);
	hy_aead_key_wipe(&ctx);
	explicit_bzero(&t, sizeof(t));
	if (len == 0) {
		fprintf(stderr, "hayate-ref-responder: cannot mint the MOVE's ticket\n");
		return;
	}
	printf("move pushed to %u session(s)\n",
	       ref_server_push_reliable(s, HY_MSG_VER_TRANSPORT, HY_CMD_MOVE, pl, len));
	fflush(stdout);
	explicit_bzero(pl, sizeof(pl));
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
					     {"move-after", required_argument, NULL, 'm'},
					     {NULL, 0, NULL, 0}};
	const char *key_file = NULL, *bind_addr = "127.0.0.1";
	unsigned long node_id = 1, port = 0, tcp_port = 0, move_after = 0;
	bool tcp = false, moved = false;
	uint64_t move_at = 0, deaf_until = 0;
	uint8_t move_key[HY_KEY_LEN];
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
		case 'm': move_after = strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: hayate-ref-responder --key-file F [--node-id N] "
					"[--bind ADDR] [--port P] [--tcp | --tcp-port P] "
					"[--move-after N]\n");
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
	memcpy(move_key, ring.key[ring.newest_id], HY_KEY_LEN);
	hy_keyring_wipe(&ring);
	struct ref_server *s = ref_server_create(&cfg, bind_addr, (uint16_t)port);
	/* the target of --move-after's MOVE */
	struct ref_server *s2 = move_after > 0 ? ref_server_create(&cfg, bind_addr, 0) : NULL;
	explicit_bzero(cfg.cluster_key, sizeof(cfg.cluster_key));
	if (s == NULL || (move_after > 0 && s2 == NULL)) {
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
		poll(p, ref_server_pollfds(s, p, 2 + REF_SERVER_MAX_TCP), move_after ? 5 : 50);
		ref_server_poll(s, now_ms());
		if (moved && now_ms() >= deaf_until)
			ref_server_poll(s2, now_ms());
		if (move_after > 0 && !moved && ref_server_stats(s)->echoes >= move_after) {
			if (move_at == 0)
				move_at = now_ms() + 20;
			if (now_ms() >= move_at) {
				moved = true;
				push_move(s, move_key, cfg.cluster_key_id, cfg.node_id, bind_addr,
					  ref_server_port(s2));
				deaf_until = now_ms() + 500;
			}
		}
	}
	explicit_bzero(move_key, sizeof(move_key));
	if (s2 != NULL)
		ref_server_destroy(s2);
	ref_server_destroy(s);
	return 0;
}
