/* SPDX-License-Identifier: BSD-3-Clause
 * Test helpers (cp_proc.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cp_proc.h"

#include "common/wire.h"
#include "proto/frame.h"
#include "proto/message.h"
#include "proto/packet.h"
#include "proto/seal.h"

static const uint8_t test_key[HY_KEY_LEN] = {
	0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87,
	0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f,
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint16_t free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port = 0;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &l) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

int cp_proc_prepare(struct cp_proc *p, struct hy_node_config *conf)
{
	struct hy_modules_config mods;
	char path[256];
	FILE *f;
	unsigned i;

	memset(p, 0, sizeof(*p));
	p->pid = -1;
	p->out_fd = -1;
	snprintf(p->dir, sizeof(p->dir), "/tmp/hy-cp-test-XXXXXX");
	if (mkdtemp(p->dir) == NULL)
		return -1;
	/* Cluster key file: "<id> <hex>", mode 0600. */
	snprintf(path, sizeof(path), "%s/cluster.key", p->dir);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fchmod(fileno(f), 0600);
	fprintf(f, "%u ", CP_TEST_KEY_ID);
	for (i = 0; i < HY_KEY_LEN; i++)
		fprintf(f, "%02x", test_key[i]);
	fprintf(f, "\n");
	fclose(f);
	snprintf(conf->paths.cluster_key_file, sizeof(conf->paths.cluster_key_file), "%s", path);
	snprintf(path, sizeof(path), "%s/modules.yaml", p->dir);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	hy_conf_modules_defaults(&mods);
	hy_conf_modules_write(&mods, f);
	fclose(f);
	snprintf(conf->paths.modules_file, sizeof(conf->paths.modules_file), "%s", path);
	if (conf->paths.ring_socket[0] == '\0' ||
	    strcmp(conf->paths.ring_socket, "/run/hayate/ring.sock") == 0)
		snprintf(conf->paths.ring_socket, sizeof(conf->paths.ring_socket), "%s/ring.sock",
			 p->dir);
	if (conf->controlplane.tcp.port == 0)
		conf->controlplane.tcp.port = free_port();
	if (conf->controlplane.http.port == 0)
		conf->controlplane.http.port = free_port();
	p->tcp_port = conf->controlplane.tcp.port;
	snprintf(p->conf_path, sizeof(p->conf_path), "%s/hayate.conf", p->dir);
	f = fopen(p->conf_path, "w");
	if (f == NULL)
		return -1;
	hy_conf_node_write(conf, f);
	fclose(f);
	return hy_aead_key_init(&p->cluster, HY_AEAD_OPENSSL, test_key);
}

/* Reads what is available (waiting at most timeout_ms for the first
 * byte).  Returns false on EOF/timeout. */
static bool read_more(struct cp_proc *p, int timeout_ms)
{
	struct pollfd pf = { .fd = p->out_fd, .events = POLLIN };
	ssize_t n;

	if (poll(&pf, 1, timeout_ms) <= 0)
		return false;
	if (p->log_len + 1 >= sizeof(p->log)) {
		/* keep the newest half */
		memmove(p->log, p->log + sizeof(p->log) / 2, p->log_len - sizeof(p->log) / 2);
		p->log_len -= sizeof(p->log) / 2;
	}
	n = read(p->out_fd, p->log + p->log_len, sizeof(p->log) - 1 - p->log_len);
	if (n <= 0)
		return false;
	fwrite(p->log + p->log_len, 1, (size_t)n, stderr); /* the process's log, for failures */
	p->log_len += (size_t)n;
	p->log[p->log_len] = '\0';
	return true;
}

static bool wait_after(struct cp_proc *p, size_t from, const char *needle, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		if (from <= p->log_len && strstr(p->log + from, needle) != NULL)
			return true;
		uint64_t t = now_ms();
		if (t >= end || !read_more(p, (int)(end - t)))
			return from <= p->log_len && strstr(p->log + from, needle) != NULL;
	}
}

bool cp_proc_wait_for(struct cp_proc *p, const char *needle, int timeout_ms)
{
	return wait_after(p, 0, needle, timeout_ms);
}

int cp_proc_start(struct cp_proc *p, const char *exe)
{
	int fds[2];

	if (pipe(fds) < 0)
		return -1;
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (p->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl(exe, exe, "--config", p->conf_path, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	p->out_fd = fds[0];
	return cp_proc_wait_for(p, "ready:", 5000) ? 0 : -1;
}

long long cp_proc_counter(struct cp_proc *p, const char *name)
{
	size_t from = p->log_len;
	char key[128];
	const char *line, *hit;

	kill(p->pid, SIGUSR1);
	if (!wait_after(p, from, "counters:", 3000))
		return -1;
	/* the whole line */
	line = strstr(p->log + from, "counters:");
	while (strchr(line, '\n') == NULL && read_more(p, 1000))
		line = strstr(p->log + from, "counters:");
	snprintf(key, sizeof(key), " %s=", name);
	hit = strstr(line, key);
	if (hit == NULL || hit > strchr(line, '\n'))
		return -1;
	return strtoll(hit + strlen(key), NULL, 10);
}

int cp_proc_wait_exit(struct cp_proc *p, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	int st;

	while (now_ms() < end) {
		if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
			p->pid = -1;
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		read_more(p, 20);
	}
	return -1;
}

void cp_proc_stop(struct cp_proc *p)
{
	char cmd[128];

	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		p->pid = -1;
	}
	if (p->out_fd >= 0)
		close(p->out_fd);
	p->out_fd = -1;
	if (p->dir[0] != '\0' && strncmp(p->dir, "/tmp/hy-cp-test-", 16) == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", p->dir);
	}
}

/* ---- client ---- */

int cp_client_mint(struct cp_proc *p, struct hy_credentials *cred, uint32_t node_id,
		   uint8_t transport, const char *uid)
{
	return hy_token_mint(&p->cluster, CP_TEST_KEY_ID, node_id, (uint64_t)time(NULL) + 300, uid,
			     transport, cred);
}

int cp_client_connect_rcvbuf(struct cp_client *c, uint16_t port, const struct hy_credentials *cred,
			     int rcvbuf)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 3 };
	socklen_t l = sizeof(a);

	memset(c, 0, sizeof(*c));
	c->cred = *cred;
	hy_aead_key_init(&c->c2s, HY_AEAD_OPENSSL, cred->c2s_key);
	hy_aead_key_init(&c->s2c, HY_AEAD_OPENSSL, cred->s2c_key);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (rcvbuf > 0)
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	getsockname(c->fd, (struct sockaddr *)&a, &l);
	c->local_port = ntohs(a.sin_port);
	return c->fd;
}

int cp_client_send_raw(struct cp_client *c, const void *buf, size_t len)
{
	return send(c->fd, buf, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

static int send_record(struct cp_client *c, const uint8_t *pkt, size_t len)
{
	uint8_t rec[2 + HY_MAX_DATAGRAM];

	rec[0] = (uint8_t)(len >> 8);
	rec[1] = (uint8_t)len;
	memcpy(rec + 2, pkt, len);
	return cp_client_send_raw(c, rec, len + 2);
}

int cp_client_send_connect(struct cp_client *c)
{
	struct hy_pkt_connect p = { .type = HY_PKT_CONNECT };
	uint8_t pkt[HY_CONNECT_LEN];

	memcpy(p.token, c->cred.token, HY_TOKEN_LEN);
	if (hy_pkt_connect_encode(pkt, sizeof(pkt), &p) != HY_CONNECT_LEN)
		return -1;
	return send_record(c, pkt, sizeof(pkt));
}

static int recv_exact(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(fd, buf + got, n - got, 0);

		if (r == 0)
			return 0;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	return 1;
}

int cp_client_recv(struct cp_client *c, uint8_t *buf, size_t cap)
{
	uint8_t hdr[2];
	size_t n;
	int r = recv_exact(c->fd, hdr, 2);

	if (r <= 0)
		return r;
	n = (size_t)hdr[0] << 8 | hdr[1];
	if (n == 0 || n > cap)
		return -1;
	r = recv_exact(c->fd, buf, n);
	return r <= 0 ? -1 : (int)n;
}

int cp_client_send_cmd(struct cp_client *c, uint8_t ver, uint16_t cmd, const void *payload,
		       size_t len, unsigned count)
{
	uint8_t msg[HY_MAX_PAYLOAD], pt[HY_MAX_PAYLOAD], pkt[HY_MAX_DATAGRAM];
	size_t mlen = hy_msg_cmd_encode(msg, sizeof(msg), ver, cmd, payload, len), n;
	struct hy_wr w;
	unsigned i;

	hy_wr_init(&w, pt, sizeof(pt));
	for (i = 0; i < count; i++)
		if (!hy_frame_put_unreliable(&w, msg, mlen))
			return -1;
	n = hy_pkt_seal(&c->c2s, HY_PKT_DATA, c->cred.sid, c->next_pn++, pt, w.off, pkt,
			sizeof(pkt));
	return n ? send_record(c, pkt, n) : -1;
}

int cp_client_recv_sealed(struct cp_client *c, int *type, uint64_t *pn, uint8_t *pt, size_t cap)
{
	uint8_t rec[HY_MAX_DATAGRAM];

	for (;;) {
		struct hy_pkt_header h;
		size_t len;
		int n = cp_client_recv(c, rec, sizeof(rec));

		if (n <= 0)
			return -1;
		if (hy_pkt_open(&c->s2c, rec, (size_t)n, &h, pt, cap, &len) != HY_R_OK)
			return -1;
		if (h.type == HY_PKT_DATA && len == 1 && pt[0] == HY_FRAME_PING)
			continue; /* keep-alive */
		*type = h.type;
		if (pn != NULL)
			*pn = h.pn;
		return (int)len;
	}
}

void cp_client_close(struct cp_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}
