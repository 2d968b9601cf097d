/* SPDX-License-Identifier: BSD-3-Clause
 * Test helpers: a temporary node (config, cluster key file, modules
 * file), a hayate-controlplane process started on it with its stdout on a
 * pipe, and a minimal TCP client of the protocol built on the shared
 * codecs.
 */
#ifndef HY_TESTS_CP_PROC_H
#define HY_TESTS_CP_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/conf.h"
#include "crypto/aead.h"
#include "crypto/token.h"

#define CP_TEST_NODE_ID 7u
#define CP_TEST_KEY_ID 3u

struct cp_proc {
	char dir[64];
	char conf_path[128];
	pid_t pid;
	int out_fd;               /* the process's stdout */
	uint16_t tcp_port;
	struct hy_aead_ctx cluster;
	char log[65536];          /* everything read from out_fd so far */
	size_t log_len;
};

/* Makes a temporary directory with hayate.conf, cluster.key (0600) and
 * modules.yaml; conf is edited by the caller first (paths are filled
 * here; tcp port 0 picks a free one).  Returns 0 or -1. */
int cp_proc_prepare(struct cp_proc *p, struct hy_node_config *conf);

/* Starts exe --config <conf>; waits for its "ready" line (5 s at most).
 * The child dies with the test (PR_SET_PDEATHSIG).  Returns 0 or -1. */
int cp_proc_start(struct cp_proc *p, const char *exe);

/* Reads the process's output until a line containing needle appears
 * (after offset *from when from is not NULL) or timeout_ms passes.
 * Returns true if found. */
bool cp_proc_wait_for(struct cp_proc *p, const char *needle, int timeout_ms);

/* Sends SIGUSR1 and returns the counter's value from the printed line
 * (-1 if absent). */
long long cp_proc_counter(struct cp_proc *p, const char *name);

/* Kills (SIGKILL) and reaps the process, removes the directory. */
void cp_proc_stop(struct cp_proc *p);

/* Waits up to timeout_ms for the process to exit by itself; returns its
 * exit status, or -1 if it is still running. */
int cp_proc_wait_exit(struct cp_proc *p, int timeout_ms);

/* ---- client ---- */

struct cp_client {
	int fd;
	struct hy_credentials cred;
	struct hy_aead_ctx c2s, s2c;
	uint64_t next_pn;
	uint16_t local_port;
};

/* Mints credentials for node_id and transport. */
int cp_client_mint(struct cp_proc *p, struct hy_credentials *cred, uint32_t node_id,
		   uint8_t transport, const char *uid);

/* Connects to the server (blocking, 3 s receive timeout).  rcvbuf > 0
 * sets SO_RCVBUF before connecting (the window is then small from the
 * start).  Returns fd. */
int cp_client_connect_rcvbuf(struct cp_client *c, uint16_t port, const struct hy_credentials *cred,
			     int rcvbuf);
#define cp_client_connect(c, port, cred) cp_client_connect_rcvbuf(c, port, cred, 0)

/* Sends a raw record (length field + bytes). */
int cp_client_send_raw(struct cp_client *c, const void *buf, size_t len);
/* Sends CONNECT with the client's token. */
int cp_client_send_connect(struct cp_client *c);

/* Receives one record into buf.  Returns its length, 0 on EOF, -1 on
 * error or timeout. */
int cp_client_recv(struct cp_client *c, uint8_t *buf, size_t cap);

/* Sends one DATA record with count copies of one command. */
int cp_client_send_cmd(struct cp_client *c, uint8_t ver, uint16_t cmd, const void *payload,
		       size_t len, unsigned count);

/* Receives sealed records until one that is not only a PING; opens it.
 * *type gets the packet type; pt the plaintext.  Returns its length or -1. */
int cp_client_recv_sealed(struct cp_client *c, int *type, uint64_t *pn, uint8_t *pt, size_t cap);

void cp_client_close(struct cp_client *c);

#endif /* HY_TESTS_CP_PROC_H */
