/* SPDX-License-Identifier: BSD-3-Clause
 * Rendezvous for the two rings: the data plane owns both regions and
 * eventfds and listens on a unix SOCK_SEQPACKET socket; the control plane
 * connects and receives the four descriptors with SCM_RIGHTS.  The socket
 * stays open while attached, so either side sees the other's death as a
 * hangup; the control plane can reconnect after a restart, and can attach
 * to a new data plane after the old one died.
 *
 * Handshake (server -> client, one datagram, 32 bytes, big-endian):
 *   magic u32 "HYLK" | version u16 | reserved u16 | server pid u32
 *   | attach generation u32 | up slots u32 | down slots u32 | reserved u64
 * with descriptors [up memfd, up eventfd, down memfd, down eventfd].
 *
 * Nothing here blocks without a bound: the server side is non-blocking
 * throughout, the client waits at most timeout_ms for the handshake.
 */
#ifndef HY_RING_LINK_H
#define HY_RING_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "common/reason.h"
#include "ring/ring.h"

#define HY_LINK_MAGIC 0x48594c4bu /* "HYLK" */
#define HY_LINK_VERSION 1u
#define HY_LINK_HELLO_LEN 32u

struct hy_link_server;
struct hy_link_client;

enum hy_link_event {
	HY_LINK_NONE = 0,
	HY_LINK_ATTACHED,  /* a control plane attached */
	HY_LINK_DETACHED,  /* the attached control plane went away */
};

/*
 * Data plane side.  Creates the up ring (we produce) and the down ring (we
 * consume) and listens on path (a filesystem unix socket; a stale socket
 * file left by a dead data plane is replaced, a live one is not: -EADDRINUSE).
 * Returns 0 or -errno.
 */
int hy_link_server_open(struct hy_link_server **out, const char *path,
	uint32_t up_slots, uint32_t down_slots);

/*
 * Non-blocking step: notices a hangup of the attached control plane
 * (marks both rings' peer gone and clears its pid in the headers), then
 * accepts a waiting connection and hands it the rings.  Only one control
 * plane is attached at a time; a second is refused (closed).  Call it from
 * the ring lcore's housekeeping or when hy_link_server_fds() are readable.
 */
enum hy_link_event hy_link_server_poll(struct hy_link_server *s);

/* Listening socket and attached-peer socket (-1 if none), for poll(). */
void hy_link_server_fds(const struct hy_link_server *s, int *listen_fd,
	int *peer_fd);
bool hy_link_server_attached(const struct hy_link_server *s);
/* pid of the attached control plane (SO_PEERCRED), 0 if none. */
pid_t hy_link_server_peer_pid(const struct hy_link_server *s);
struct hy_ring *hy_link_server_up(const struct hy_link_server *s);
struct hy_ring *hy_link_server_down(const struct hy_link_server *s);
/* Closes everything and removes the socket file.  Safe on NULL. */
void hy_link_server_close(struct hy_link_server *s);

/*
 * Control plane side.  Connects to path, waits at most timeout_ms for the
 * handshake, maps and checks both regions.  Returns 0; -ENOENT or
 * -ECONNREFUSED when no data plane listens; -ETIMEDOUT; -ECONNRESET when
 * the data plane refused us (another control plane is attached); -EPROTO
 * with *why set when the handshake or a region is malformed.
 */
int hy_link_client_connect(struct hy_link_client **out, const char *path,
	int timeout_ms, enum hy_reason *why);

/* Socket to watch for POLLIN/POLLHUP in the event loop. */
int hy_link_client_fd(const struct hy_link_client *c);

/*
 * Non-blocking: false once the data plane is known gone (socket hangup or
 * its process exited); both rings are then marked peer-gone.  The caller
 * closes the client and reconnects when a new data plane listens.
 */
bool hy_link_client_alive(struct hy_link_client *c);

pid_t hy_link_client_server_pid(const struct hy_link_client *c);
uint32_t hy_link_client_generation(const struct hy_link_client *c);
struct hy_ring *hy_link_client_up(const struct hy_link_client *c);
struct hy_ring *hy_link_client_down(const struct hy_link_client *c);
/* Detaches (the data plane sees a hangup) and frees.  Safe on NULL. */
void hy_link_client_close(struct hy_link_client *c);

#endif /* HY_RING_LINK_H */
