/* SPDX-License-Identifier: BSD-3-Clause
 * Unix-socket rendezvous that hands the ring regions and eventfds from the
 * data plane to the control plane (SCM_RIGHTS).  Contract in ring/link.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/wire.h"
#include "ring/link.h"

#define LINK_FDS 4

struct hy_link_server {
	int listen_fd;
	int peer_fd;
	pid_t peer_pid;
	uint32_t generation;
	struct hy_ring *up;
	struct hy_ring *down;
	struct sockaddr_un addr;
};

struct hy_link_client {
	int fd;
	bool gone;
	pid_t server_pid;
	uint32_t generation;
	struct hy_ring *up;
	struct hy_ring *down;
};

static int fill_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(a->sun_path))
		return -ENAMETOOLONG;
	memcpy(a->sun_path, path, n + 1);
	return 0;
}

static int seqpacket_socket(void)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

/* Binds, replacing the socket file only if nobody answers on it (a data
 * plane that died without cleaning up). */
static int bind_path(int fd, const struct sockaddr_un *a)
{
	if (bind(fd, (const struct sockaddr *)a, sizeof(*a)) == 0)
		return 0;
	if (errno != EADDRINUSE)
		return -errno;
	int probe = seqpacket_socket();
	if (probe < 0)
		return probe;
	int rc = connect(probe, (const struct sockaddr *)a, sizeof(*a));
	int err = errno;
	close(probe);
	if (rc == 0 || err != ECONNREFUSED)
		return -EADDRINUSE;
	if (unlink(a->sun_path) < 0 && errno != ENOENT)
		return -errno;
	if (bind(fd, (const struct sockaddr *)a, sizeof(*a)) < 0)
		return -errno;
	return 0;
}

int hy_link_server_open(struct hy_link_server **out, const char *path,
	uint32_t up_slots, uint32_t down_slots)
{
	int rc;
	*out = NULL;
	struct hy_link_server *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->listen_fd = -1;
	s->peer_fd = -1;
	rc = fill_addr(&s->addr, path);
	if (rc < 0)
		goto fail;
	rc = hy_ring_create(&s->up, HY_RING_UP, HY_RING_PRODUCER, up_slots);
	if (rc < 0)
		goto fail;
	rc = hy_ring_create(&s->down, HY_RING_DOWN, HY_RING_CONSUMER, down_slots);
	if (rc < 0)
		goto fail;
	rc = seqpacket_socket();
	if (rc < 0)
		goto fail;
	s->listen_fd = rc;
	rc = bind_path(s->listen_fd, &s->addr);
	if (rc < 0) {
		s->addr.sun_path[0] = '\0'; /* not ours: do not unlink */
		goto fail;
	}
	if (listen(s->listen_fd, 4) < 0) {
		rc = -errno;
		goto fail;
	}
	*out = s;
	return 0;
fail:
	hy_link_server_close(s);
	return rc;
}

static int send_hello(struct hy_link_server *s, int fd)
{
	uint8_t buf[HY_LINK_HELLO_LEN];
	struct hy_wr w;
	hy_wr_init(&w, buf, sizeof(buf));
	hy_wr_u32(&w, HY_LINK_MAGIC);
	hy_wr_u16(&w, HY_LINK_VERSION);
	hy_wr_u16(&w, 0);
	hy_wr_u32(&w, (uint32_t)getpid());
	hy_wr_u32(&w, s->generation);
	hy_wr_u32(&w, hy_ring_shared(s->up)->slot_count);
	hy_wr_u32(&w, hy_ring_shared(s->down)->slot_count);
	hy_wr_u64(&w, 0);

	int fds[LINK_FDS] = {
		hy_ring_memfd(s->up), hy_ring_eventfd(s->up),
		hy_ring_memfd(s->down), hy_ring_eventfd(s->down),
	};
	union {
		char b[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	if (sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof(buf))
		return -errno;
	return 0;
}

static void detach(struct hy_link_server *s)
{
	close(s->peer_fd);
	s->peer_fd = -1;
	s->peer_pid = 0;
	hy_ring_set_peer(s->up, 0);
	hy_ring_set_peer(s->down, 0);
}

/* True when the attached peer hung up or its process is gone.  The
 * client never sends after the handshake; stray bytes are discarded. */
static bool peer_hung_up(struct hy_link_server *s)
{
	struct pollfd p = {.fd = s->peer_fd, .events = POLLIN};
	if (poll(&p, 1, 0) > 0) {
		if (p.revents & (POLLHUP | POLLERR))
			return true;
		uint8_t junk[64];
		ssize_t n = recv(s->peer_fd, junk, sizeof(junk), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return true;
	}
	return !hy_ring_peer_alive(s->up);
}

enum hy_link_event hy_link_server_poll(struct hy_link_server *s)
{
	if (s->peer_fd >= 0 && peer_hung_up(s)) {
		detach(s);
		return HY_LINK_DETACHED;
	}
	enum hy_link_event ev = HY_LINK_NONE;
	for (;;) {
		int fd = accept4(s->listen_fd, NULL, NULL,
			SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			break; /* EAGAIN, or a transient error: retry next poll */
		if (s->peer_fd >= 0) {
			close(fd); /* one control plane at a time */
			continue;
		}
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
		    cred.pid <= 0) {
			close(fd);
			continue;
		}
		s->generation++;
		/* Record the peer before it can look at the headers. */
		hy_ring_set_peer(s->up, cred.pid);
		hy_ring_set_peer(s->down, cred.pid);
		if (send_hello(s, fd) < 0) {
			hy_ring_set_peer(s->up, 0);
			hy_ring_set_peer(s->down, 0);
			close(fd);
			continue;
		}
		s->peer_fd = fd;
		s->peer_pid = cred.pid;
		ev = HY_LINK_ATTACHED;
	}
	return ev;
}

void hy_link_server_fds(const struct hy_link_server *s, int *listen_fd,
	int *peer_fd)
{
	if (listen_fd)
		*listen_fd = s->listen_fd;
	if (peer_fd)
		*peer_fd = s->peer_fd;
}

bool hy_link_server_attached(const struct hy_link_server *s) { return s->peer_fd >= 0; }
pid_t hy_link_server_peer_pid(const struct hy_link_server *s) { return s->peer_pid; }
struct hy_ring *hy_link_server_up(const struct hy_link_server *s) { return s->up; }
struct hy_ring *hy_link_server_down(const struct hy_link_server *s) { return s->down; }

void hy_link_server_close(struct hy_link_server *s)
{
	if (!s)
		return;
	if (s->peer_fd >= 0)
		close(s->peer_fd);
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		if (s->addr.sun_path[0])
			unlink(s->addr.sun_path);
	}
	hy_ring_close(s->up);
	hy_ring_close(s->down);
	free(s);
}

/* ---- client ------------------------------------------------------------- */

static int recv_hello(int fd, uint8_t *buf, size_t cap, int *fds, int *nfds)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * LINK_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
	};
	*nfds = 0;
	ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && *nfds < LINK_FDS; i++)
			memcpy(&fds[(*nfds)++], CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(int));
	}
	if (n == 0)
		return -ECONNRESET;
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    n != (ssize_t)HY_LINK_HELLO_LEN)
		return -EPROTO;
	return 0;
}

int hy_link_client_connect(struct hy_link_client **out, const char *path,
	int timeout_ms, enum hy_reason *why)
{
	struct sockaddr_un a;
	uint8_t buf[HY_LINK_HELLO_LEN + 1];
	int fds[LINK_FDS] = {-1, -1, -1, -1};
	int nfds = 0, rc;
	struct hy_link_client *c = NULL;

	*out = NULL;
	*why = HY_R_OK;
	rc = fill_addr(&a, path);
	if (rc < 0)
		return rc;
	int fd = seqpacket_socket();
	if (fd < 0)
		return fd;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		rc = -errno;
		goto fail;
	}
	struct pollfd p = {.fd = fd, .events = POLLIN};
	rc = poll(&p, 1, timeout_ms);
	if (rc <= 0) {
		rc = rc == 0 ? -ETIMEDOUT : -errno;
		goto fail;
	}
	rc = recv_hello(fd, buf, sizeof(buf), fds, &nfds);
	if (rc == 0 && nfds != LINK_FDS)
		rc = -EPROTO;
	if (rc < 0) {
		if (rc == -EPROTO)
			*why = HY_R_RING_BAD_MESSAGE;
		goto fail;
	}

	struct hy_rd r;
	hy_rd_init(&r, buf, HY_LINK_HELLO_LEN);
	uint32_t magic = hy_rd_u32(&r);
	uint16_t version = hy_rd_u16(&r);
	uint16_t rsvd = hy_rd_u16(&r);
	uint32_t pid = hy_rd_u32(&r);
	uint32_t gen = hy_rd_u32(&r);
	uint32_t up_slots = hy_rd_u32(&r);
	uint32_t down_slots = hy_rd_u32(&r);
	uint64_t rsvd64 = hy_rd_u64(&r);
	if (magic != HY_LINK_MAGIC || rsvd || rsvd64 || pid == 0) {
		*why = HY_R_RING_BAD_MESSAGE;
		rc = -EPROTO;
		goto fail;
	}
	if (version != HY_LINK_VERSION) {
		*why = HY_R_BAD_VERSION;
		rc = -EPROTO;
		goto fail;
	}

	c = calloc(1, sizeof(*c));
	if (!c) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = hy_ring_attach(&c->up, fds[0], fds[1], HY_RING_UP,
		HY_RING_CONSUMER, up_slots, why);
	if (rc < 0)
		goto fail;
	fds[0] = fds[1] = -1; /* owned by the ring now */
	rc = hy_ring_attach(&c->down, fds[2], fds[3], HY_RING_DOWN,
		HY_RING_PRODUCER, down_slots, why);
	if (rc < 0)
		goto fail;
	fds[2] = fds[3] = -1;
	hy_ring_watch_peer(c->up);
	hy_ring_watch_peer(c->down);
	c->fd = fd;
	c->server_pid = (pid_t)pid;
	c->generation = gen;
	*out = c;
	return 0;

fail:
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (c) {
		hy_ring_close(c->up);
		hy_ring_close(c->down);
		free(c);
	}
	close(fd);
	return rc;
}

int hy_link_client_fd(const struct hy_link_client *c) { return c->fd; }
pid_t hy_link_client_server_pid(const struct hy_link_client *c) { return c->server_pid; }
uint32_t hy_link_client_generation(const struct hy_link_client *c) { return c->generation; }
struct hy_ring *hy_link_client_up(const struct hy_link_client *c) { return c->up; }
struct hy_ring *hy_link_client_down(const struct hy_link_client *c) { return c->down; }

bool hy_link_client_alive(struct hy_link_client *c)
{
	if (c->gone)
		return false;
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	bool gone = false;
	if (poll(&p, 1, 0) > 0) {
		if (p.revents & (POLLHUP | POLLERR)) {
			gone = true;
		} else {
			uint8_t junk[64];
			ssize_t n = recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT);
			gone = n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
		}
	}
	if (!gone)
		gone = !hy_ring_peer_alive(c->up);
	if (gone) {
		c->gone = true;
		hy_ring_mark_peer_gone(c->up);
		hy_ring_mark_peer_gone(c->down);
	}
	return !gone;
}

void hy_link_client_close(struct hy_link_client *c)
{
	if (!c)
		return;
	close(c->fd);
	hy_ring_close(c->up);
	hy_ring_close(c->down);
	free(c);
}
