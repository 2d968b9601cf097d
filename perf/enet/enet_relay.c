/* SPDX-License-Identifier: BSD-3-Clause
 * enet_relay: a room relay written against Debian's libenet, the baseline Hayate's relay is
 * compared with (docs/performance.md, "Baselines: ENet and a plain UDP relay").
 *
 * Peers are grouped into rooms of K in the order their connections complete; each new
 * member gets a small reliable welcome (id, room, slot, K) so a client can check where it
 * landed.  Every packet a member sends is forwarded to the other members of its room on the
 * same channel with the same flags (ENet keeps the received packet's reliable / unsequenced
 * flag), sharing the one received packet among all recipients.  Rooms are not refilled when
 * a member leaves: the relay lives for one benchmark run.
 *
 * One thread, the stock enet_host_service() loop, no tuning of ENet's defaults.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <enet/enet.h>

#include "relay_common.h"

#define PROG "enet_relay"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [options]\n"
		"ENet room relay on 127.0.0.1 (baseline for the performance kit).\n"
		"  --port N        UDP port (default 7777)\n"
		"  --room-size K   members per room, 2..%d; peers fill rooms in connect order (default 2)\n"
		"  --cpu N         pin to this CPU (default: not pinned)\n"
		"  --seconds S     exit after S seconds (default 0: run until SIGINT/SIGTERM)\n"
		"  --max-peers N   ENet peer slots, 2..4095 (default 64; ENet walks every slot per service)\n"
		"  --verbose       print the counters of every second at exit\n"
		"  --help          this text\n"
		"Prints \"" PROG ": ready port=N\" once listening; at exit, totals (received, delivered,\n"
		"datagrams), the rates over the seconds in which messages arrived, and its CPU time.\n",
		ENET_PROTOCOL_MAXIMUM_PEER_ID);
}

int main(int argc, char **argv)
{
	struct bl_relay_opts o = {.port = 7777, .room_size = 2, .cpu = -1, .max_peers = 64};
	const struct bl_relay_limits lim = {.room_size_max = ENET_PROTOCOL_MAXIMUM_PEER_ID,
					     .max_peers_max = ENET_PROTOCOL_MAXIMUM_PEER_ID};
	int rc = bl_relay_setup(argc, argv, PROG, usage, &lim, on_signal, &o);

	if (rc >= 0)
		return rc;

	if (enet_initialize() != 0) {
		fprintf(stderr, PROG ": enet_initialize failed\n");
		return 1;
	}
	ENetAddress addr = {.port = (enet_uint16)o.port};
	if (enet_address_set_host_ip(&addr, "127.0.0.1") != 0) {
		fprintf(stderr, PROG ": cannot parse 127.0.0.1\n");
		return 1;
	}
	/* One channel, no bandwidth limits: ENet's defaults otherwise. */
	ENetHost *host = enet_host_create(&addr, (size_t)o.max_peers, 1, 0, 0);
	if (!host) {
		fprintf(stderr, PROG ": cannot create the ENet host on 127.0.0.1:%ld (port in use?)\n", o.port);
		return 1;
	}

	/* members[id]: the peer that joined id-th, NULL once gone; room = id / K. */
	ENetPeer **members = calloc((size_t)o.max_peers, sizeof(*members));
	if (!members) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	size_t joined = 0;
	struct bl_counters c = {0};
	struct bl_stats st;
	uint64_t deadline = 0;
	unsigned since_tick = 0;

	printf(PROG ": ready port=%ld room_size=%ld max_peers=%ld cpu=%ld\n", o.port, o.room_size,
	       o.max_peers, o.cpu);
	fflush(stdout);
	bl_stats_init(&st);
	if (o.seconds)
		deadline = st.t0_ns + (uint64_t)o.seconds * 1000000000u;

	while (!stop_flag) {
		ENetEvent ev;
		int r = enet_host_service(host, &ev, 1);

		if (r < 0) {
			if (stop_flag)
				break;
			fprintf(stderr, PROG ": enet_host_service failed\n");
			return 1;
		}
		if (r > 0) {
			switch (ev.type) {
			case ENET_EVENT_TYPE_CONNECT: {
				if (joined == (size_t)o.max_peers) {
					enet_peer_disconnect_now(ev.peer, 0);
					break;
				}
				size_t id = joined++;
				uint8_t w[BL_WELCOME_LEN];

				members[id] = ev.peer;
				ev.peer->data = (void *)(uintptr_t)(id + 1);
				bl_welcome(w, (uint32_t)id, (uint32_t)o.room_size);
				ENetPacket *p = enet_packet_create(w, sizeof(w), ENET_PACKET_FLAG_RELIABLE);
				if (!p || enet_peer_send(ev.peer, 0, p) != 0) {
					fprintf(stderr, PROG ": cannot send the welcome\n");
					return 1;
				}
				break;
			}
			case ENET_EVENT_TYPE_RECEIVE: {
				ENetPacket *p = ev.packet;
				uintptr_t tag = (uintptr_t)ev.peer->data;

				if (tag) {
					size_t id = tag - 1, base = id / (size_t)o.room_size * (size_t)o.room_size;

					c.rx++;
					for (size_t m = base; m < base + (size_t)o.room_size && m < joined; m++)
						if (m != id && members[m] &&
						    enet_peer_send(members[m], ev.channelID, p) == 0)
							c.tx++;
				}
				/* enet_peer_send took a reference per recipient; free it if nobody did. */
				if (p->referenceCount == 0)
					enet_packet_destroy(p);
				break;
			}
			case ENET_EVENT_TYPE_DISCONNECT: {
				uintptr_t tag = (uintptr_t)ev.peer->data;

				if (tag)
					members[tag - 1] = NULL;
				ev.peer->data = NULL;
				break;
			}
			default:
				break;
			}
		}
		/* The clock costs ~20 ns; an event costs ~1 us. Check it every 64 events or when idle. */
		if (r == 0 || ++since_tick >= 64) {
			uint64_t now = bl_now_ns();

			since_tick = 0;
			/* ENet's own datagram counters are 32-bit and meant to be reset by the user. */
			c.dg_in += host->totalReceivedPackets;
			c.dg_out += host->totalSentPackets;
			host->totalReceivedPackets = host->totalSentPackets = 0;
			bl_stats_tick(&st, now, &c);
			if (deadline && now >= deadline)
				break;
		}
	}
	c.dg_in += host->totalReceivedPackets;
	c.dg_out += host->totalSentPackets;
	bl_stats_report(&st, PROG, &c, o.verbose);
	enet_host_destroy(host);
	enet_deinitialize();
	free(members);
	free(st.v);
	return 0;
}
