/* SPDX-License-Identifier: BSD-3-Clause
 * Table-driven schema for configuration files.
 *
 * A schema is an array of struct hy_conf_key ending with an entry whose
 * name is NULL.  One entry per key says its type, range, default, where it
 * is stored and what it means; the engine fills defaults, converts and
 * checks values, refuses unknown keys (suggesting the nearest known one),
 * writes a configuration back as text and documents every key.  Adding a
 * key is one line in a table.
 */
#ifndef HY_CONFIG_CONF_SCHEMA_H
#define HY_CONFIG_CONF_SCHEMA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/conf.h"
#include "config/conf_tree.h"

enum hy_conf_type {
	HY_CT_UINT,      /* unsigned integer of .size bytes; .min...max */
	HY_CT_BOOL,      /* bool */
	HY_CT_STRING,    /* char[.size]; length .min...max */
	HY_CT_ADDR,      /* struct hy_conf_addr; families from flags */
	HY_CT_SET,       /* list of .names -> uint32_t bits; .min...max items */
	HY_CT_STRLIST,   /* char[.max][.size] plus unsigned count at .count_off */
	HY_CT_GROUP,     /* keys .sub at the same base */
	HY_CT_GROUPLIST, /* elements of .size bytes at .off, keys .sub */
};

#define HY_CK_REQUIRED (1u << 0) /* no default: the file must set it */
#define HY_CK_POW2     (1u << 1) /* UINT: a power of two */
#define HY_CK_NAME     (1u << 2) /* STRING: letters, digits, '.', '_', '-' */
#define HY_CK_PATH     (1u << 3) /* STRING: relative to the file's directory */
#define HY_CK_SHM      (1u << 4) /* STRING: POSIX shm name "/name" */
#define HY_CK_V4       (1u << 5) /* ADDR: IPv4 accepted */
#define HY_CK_V6       (1u << 6) /* ADDR: IPv6 accepted */
#define HY_CK_UNICAST  (1u << 7) /* ADDR: a host address, not 0/any/mcast */
#define HY_CK_HOSTPORT (1u << 8) /* STRLIST: every item is "host:port";
				  * STRING: "host:port", or "" if min is 0 */

struct hy_conf_key {
	const char *name;
	enum hy_conf_type type;
	unsigned int flags;
	size_t off;        /* from the base of the enclosing group list (or root) */
	size_t size;
	uint64_t min, max;
	uint64_t def;      /* UINT, BOOL, SET */
	const char *def_s; /* STRING, ADDR (NULL: unset) */
	size_t count_off;  /* STRLIST, GROUPLIST */
	const struct hy_conf_key *sub;   /* GROUP, GROUPLIST */
	const char *const *names;        /* SET: bit i is names[i] */
	const char *doc;
};

/* One line per key in a schema table.  T is the struct the offsets are
 * taken from (the root config, or a list element), m the member. */
#define HY_KEY_UINT(T, m, nm, fl, lo, hi, d, text) \
	{ .name = (nm), .type = HY_CT_UINT, .flags = (fl), \
	  .off = offsetof(T, m), .size = sizeof(((T *)0)->m), \
	  .min = (lo), .max = (hi), .def = (d), .doc = (text) }
#define HY_KEY_BOOL(T, m, nm, d, text) \
	{ .name = (nm), .type = HY_CT_BOOL, .off = offsetof(T, m), \
	  .size = sizeof(bool), .def = (d), .doc = (text) }
#define HY_KEY_STRING(T, m, nm, fl, lo, d, text) \
	{ .name = (nm), .type = HY_CT_STRING, .flags = (fl), \
	  .off = offsetof(T, m), .size = sizeof(((T *)0)->m), \
	  .min = (lo), .max = sizeof(((T *)0)->m) - 1, .def_s = (d), \
	  .doc = (text) }
#define HY_KEY_ADDR(T, m, nm, fl, d, text) \
	{ .name = (nm), .type = HY_CT_ADDR, .flags = (fl), \
	  .off = offsetof(T, m), .size = sizeof(struct hy_conf_addr), \
	  .def_s = (d), .doc = (text) }
#define HY_KEY_SET(T, m, nm, set, lo, hi, d, text) \
	{ .name = (nm), .type = HY_CT_SET, .off = offsetof(T, m), \
	  .size = sizeof(uint32_t), .min = (lo), .max = (hi), .def = (d), \
	  .names = (set), .doc = (text) }
#define HY_KEY_STRLIST(T, m, cnt, nm, fl, text) \
	{ .name = (nm), .type = HY_CT_STRLIST, .flags = (fl), \
	  .off = offsetof(T, m), .size = sizeof(((T *)0)->m[0]), \
	  .min = 0, .max = sizeof(((T *)0)->m) / sizeof(((T *)0)->m[0]), \
	  .count_off = offsetof(T, cnt), .doc = (text) }
#define HY_KEY_GROUP(nm, keys, text) \
	{ .name = (nm), .type = HY_CT_GROUP, .sub = (keys), .doc = (text) }
#define HY_KEY_GROUPLIST(T, m, cnt, nm, keys, lo, text) \
	{ .name = (nm), .type = HY_CT_GROUPLIST, .off = offsetof(T, m), \
	  .size = sizeof(((T *)0)->m[0]), .min = (lo), \
	  .max = sizeof(((T *)0)->m) / sizeof(((T *)0)->m[0]), \
	  .count_off = offsetof(T, cnt), .sub = (keys), .doc = (text) }
#define HY_KEY_END { .name = NULL }

/* State of one load. */
struct hy_conf_ctx {
	struct hy_conf_error *err;
	const char *base_dir;         /* for HY_CK_PATH; NULL: keep as given */
	const struct hy_cnode *root;  /* for hy_conf_line_of() */
};

/* Store every default of keys into base (lists become empty). */
void hy_conf_schema_defaults(const struct hy_conf_key *keys, void *base);

/*
 * Read map into base according to keys; path is the key path of map ("" at
 * the top).  Returns 0, or -1 with ctx->err filled.  base must hold the
 * defaults beforehand; on error it may be partly written.
 */
int hy_conf_schema_load(struct hy_conf_ctx *ctx, const struct hy_conf_key *keys,
			const struct hy_cnode *map, void *base,
			const char *path);

/* Line of the key at path ("a.b[2].c") in the loaded tree, or, when the
 * file does not set it, of its nearest ancestor that it does set; 0 if
 * none. */
unsigned int hy_conf_line_of(const struct hy_cnode *root, const char *path);

enum hy_conf_syntax { HY_SYNTAX_LIBCONFIG, HY_SYNTAX_YAML };

/* Write base as text in the given syntax.  Returns 0 or -1. */
int hy_conf_schema_write(const struct hy_conf_key *keys, const void *base,
			 enum hy_conf_syntax syntax, FILE *f);

/* Called once per leaf key by hy_conf_schema_foreach: path uses "[]" for
 * list elements, e.g. "dataplane.ports[].udp_port". */
typedef void hy_conf_key_cb(const char *path, const struct hy_conf_key *k,
			    void *arg);
void hy_conf_schema_foreach(const struct hy_conf_key *keys, hy_conf_key_cb *cb,
			    void *arg);

/* Default as it is written in a file ("required" when there is none,
 * "unset" for optional addresses).  Returns buf. */
char *hy_conf_key_default(const struct hy_conf_key *k,
			  enum hy_conf_syntax syntax, char *buf, size_t len);
/* What the key accepts, e.g. "an integer from 1 to 65535".  Returns buf. */
char *hy_conf_key_expected(const struct hy_conf_key *k, char *buf, size_t len);

/* One kind of configuration file. */
struct hy_conf_kind {
	enum hy_conf_syntax syntax;
	const struct hy_conf_key *schema;
	size_t size; /* of the output struct */
	/* cross-field rules, run after every key loaded; 0 or -1 */
	int (*check)(struct hy_conf_ctx *ctx, const void *cfg);
};

/* The loader both kinds share: defaults, parse, schema, rules; all or
 * nothing (see hy_conf_node_parse).  Returns 0 or -1. */
int hy_conf_load_text(const struct hy_conf_kind *kind, const char *text,
		      size_t len, const char *name, void *out,
		      struct hy_conf_error *err);
int hy_conf_load_file(const struct hy_conf_kind *kind, const char *path,
		      void *out, struct hy_conf_error *err);

/* For rules: fail with CONFIG_BAD_VALUE (or reason) at the line of path. */
int hy_conf_rule_fail(struct hy_conf_ctx *ctx, enum hy_reason reason,
		      const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The two schemas (node.c, modules.c). */
extern const struct hy_conf_key hy_conf_node_schema[];
extern const struct hy_conf_key hy_conf_modules_schema[];

#endif /* HY_CONFIG_CONF_SCHEMA_H */
