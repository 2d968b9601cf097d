/* SPDX-License-Identifier: BSD-3-Clause
 * Node configuration (libconfig, config/hayate.conf) and module
 * configuration (YAML, config/modules.yaml).
 *
 * Both files are checked against one schema table each (conf_schema.h):
 * defaults are filled first, then the file is read; every key must be in
 * the schema, every value must have the right type and range, and the
 * cross-field rules must hold.  A load either succeeds completely or
 * leaves the output holding the defaults (required keys zero) and fills
 * a struct hy_conf_error naming file, line, key and what was expected.
 */
#ifndef HY_CONFIG_CONF_H
#define HY_CONFIG_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>

#include "common/reason.h"

#define HY_CONF_NAME_MAX 64      /* node name, version label (with NUL) */
#define HY_CONF_PATH_MAX 256     /* file paths (with NUL) */
#define HY_CONF_SOCK_MAX 108     /* sizeof(sun_path) */
#define HY_CONF_DEVICE_MAX 128   /* DPDK device name (with NUL) */
#define HY_CONF_HOSTPORT_MAX 128 /* "host:port" (with NUL) */
#define HY_CONF_MAX_PORTS 8
#define HY_CONF_MAX_MARS 9

/* An IP address; family is AF_UNSPEC when the key is not set. */
struct hy_conf_addr {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

/* Bits of hy_node_config.node.roles. */
enum hy_conf_role {
	HY_ROLE_UDP = 1u << 0,
	HY_ROLE_TCP = 1u << 1,
	HY_ROLE_HTTP = 1u << 2,
};

/* One DPDK port of the data plane. */
struct hy_conf_port {
	char device[HY_CONF_DEVICE_MAX]; /* EAL device name: PCI address or vdev */
	struct hy_conf_addr ipv4;        /* always AF_INET */
	struct hy_conf_addr ipv6;        /* AF_INET6, or AF_UNSPEC when unset */
	uint16_t udp_port;
	bool ipv4_udp_checksum;          /* false: 0 ("none") where not offloaded */
};

/* Everything in hayate.conf.  Field meanings, defaults and ranges are in
 * the schema table (node.c) and in docs/operations.md. */
struct hy_node_config {
	struct {
		uint32_t id;
		char name[HY_CONF_NAME_MAX];
		uint32_t roles; /* enum hy_conf_role bits */
		char version[HY_CONF_NAME_MAX];
		char udp_public[HY_CONF_HOSTPORT_MAX]; /* "": derived */
		char tcp_public[HY_CONF_HOSTPORT_MAX]; /* "": derived */
	} node;
	struct {
		char cluster_key_file[HY_CONF_PATH_MAX];
		char app_keys_file[HY_CONF_PATH_MAX];
		char admin_token_file[HY_CONF_PATH_MAX];
		char modules_file[HY_CONF_PATH_MAX];
		char ring_socket[HY_CONF_SOCK_MAX];
		char stats_shm[HY_CONF_NAME_MAX];
	} paths;
	struct {
		struct hy_conf_port ports[HY_CONF_MAX_PORTS];
		unsigned int nb_ports;
		uint32_t workers; /* 0: every worker lcore EAL provides */
		uint32_t max_sessions;
		uint32_t idle_timeout_ms;
		uint32_t keepalive_ms;
		uint32_t drain_timeout_s;
		uint32_t burst;
		uint32_t ring_slots;
		uint32_t event_slots; /* per worker, a power of two */
		uint32_t key_cache; /* per worker, a power of two */
		bool idle_sleep;    /* false: workers never sleep */
		struct {
			uint32_t sessions;  /* 0: bench mode off */
			uint32_t seed;
			uint32_t room_size; /* 0: no bench rooms */
		} bench; /* hayate-dataplane --bench-mode-insecure only */
	} dataplane;
	struct {
		struct {
			struct hy_conf_addr listen;
			uint16_t port;
		} http;
		struct {
			struct hy_conf_addr listen;
			uint16_t port;
			uint32_t ttl_s;
		} tcp;
		struct {
			struct hy_conf_addr listen;
			uint16_t port;
			char advertise[HY_CONF_HOSTPORT_MAX]; /* "": listen:port */
			char candidates[HY_CONF_MAX_MARS][HY_CONF_HOSTPORT_MAX];
			unsigned int nb_candidates;
			uint32_t heartbeat_ms;
			uint32_t election_timeout_ms;
		} mars;
	} controlplane;
	struct {
		uint32_t rto_min_ms;
		uint32_t rto_max_ms;
		uint32_t max_retries;
	} rudp;
	struct {
		uint32_t max_message_bytes;
		uint32_t reassembly_bytes_per_session;
	} limits;
};

/* Everything in modules.yaml. */
struct hy_modules_config {
	struct {
		uint32_t max_members;
		bool allow_empty;
		uint32_t empty_ttl_s;
		uint32_t broadcast_interval_ms;
		uint32_t max_rooms;
	} rooms;
};

/* Why a load failed.  reason is HY_R_OK after a successful load. */
struct hy_conf_error {
	enum hy_reason reason; /* HY_R_CONFIG_* */
	char file[HY_CONF_PATH_MAX];
	unsigned int line;     /* 1-based; 0 when no line applies */
	char key[128];         /* e.g. "dataplane.ports[0].udp_port"; "" for syntax */
	char msg[256];         /* what is wrong and what was expected */
};

/*
 * Fill *out with the node defaults (required keys are zero).
 */
void hy_conf_node_defaults(struct hy_node_config *out);

/*
 * Load and validate the node configuration file at path.  Relative paths
 * inside it (paths.*) are resolved against the directory of path.
 * Returns 0 and fills *out on success.  Returns -1 on any error: *out then
 * holds the defaults (as hy_conf_node_defaults) and *err says why; the
 * caller never sees a partly loaded configuration.  err may be NULL.
 */
int hy_conf_node_load(const char *path, struct hy_node_config *out,
		      struct hy_conf_error *err);

/*
 * As hy_conf_node_load, from len bytes of text; name is used in errors and
 * (when it contains a '/') as the base for relative paths.  The text need
 * not be NUL-terminated; a NUL byte inside it is a syntax error.  An
 * @include directive is refused (here and in files: a configuration is
 * one file).
 */
int hy_conf_node_parse(const char *text, size_t len, const char *name,
		       struct hy_node_config *out, struct hy_conf_error *err);

/*
 * Write cfg as libconfig text that loads back to the same values.
 * Returns 0, or -1 on a write error.
 */
int hy_conf_node_write(const struct hy_node_config *cfg, FILE *f);

/* Module configuration: same contracts as the node functions above. */
void hy_conf_modules_defaults(struct hy_modules_config *out);
int hy_conf_modules_load(const char *path, struct hy_modules_config *out,
			 struct hy_conf_error *err);
int hy_conf_modules_parse(const char *text, size_t len, const char *name,
			  struct hy_modules_config *out,
			  struct hy_conf_error *err);
int hy_conf_modules_write(const struct hy_modules_config *cfg, FILE *f);

/*
 * Load the node file, then the module file: modules_path when not NULL,
 * else the node's paths.modules_file.  Returns 0, or -1 with both outputs
 * holding their defaults and err naming the file that failed.
 */
int hy_conf_load_all(const char *node_path, const char *modules_path,
		     struct hy_node_config *node,
		     struct hy_modules_config *modules,
		     struct hy_conf_error *err);

/*
 * Format err as one line without a trailing newline, e.g.
 *   config/hayate.conf:12: dataplane.idle_timout_ms: unknown key
 *   (did you mean idle_timeout_ms?)   <- all on one line
 * Control characters are replaced so the result is always one line.
 * Returns buf.
 */
char *hy_conf_error_format(const struct hy_conf_error *err, char *buf,
			   size_t len);

/* Comma-separated role names for roles bits, e.g. "udp,tcp". Returns buf. */
char *hy_conf_roles_format(uint32_t roles, char *buf, size_t len);

/*
 * Split a "host:port" string as the configuration accepts it (an IPv4
 * address, "[IPv6]" or a DNS name, then a port from 1 to 65535) into host
 * (brackets removed, NUL-terminated, at most hostlen - 1 bytes) and *port.
 * Only the syntax is checked; names are not resolved.  Returns 0, or -1
 * (host and *port then unspecified) when s is malformed or host too small.
 */
int hy_conf_hostport_split(const char *s, char *host, size_t hostlen,
			   uint16_t *port);

/* Text form of an address ("" when unset).  Returns buf. */
char *hy_conf_addr_format(const struct hy_conf_addr *a, char *buf,
			  size_t len);

#endif /* HY_CONFIG_CONF_H */
