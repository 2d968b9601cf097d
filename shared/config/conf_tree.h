/* SPDX-License-Identifier: BSD-3-Clause
 * A small syntax-neutral tree that both front ends (libconfig and libyaml)
 * produce, so one schema engine validates both file formats.  Internal to
 * the config module.
 */
#ifndef HY_CONFIG_CONF_TREE_H
#define HY_CONFIG_CONF_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/conf.h"

enum hy_cnode_kind {
	HY_CN_MAP,   /* libconfig group, YAML mapping */
	HY_CN_LIST,  /* libconfig list or array, YAML sequence */
	HY_CN_INT,   /* typed integer (libconfig) */
	HY_CN_FLOAT, /* typed float (libconfig); no key accepts one */
	HY_CN_BOOL,  /* typed boolean (libconfig) */
	HY_CN_STR,   /* quoted string (both) */
	HY_CN_PLAIN, /* untyped YAML plain scalar: resolved by the key's type */
};

struct hy_cnode {
	enum hy_cnode_kind kind;
	unsigned int line;     /* 1-based; 0 if unknown */
	char *key;             /* name inside a map; NULL in a list */
	char *text;            /* STR and PLAIN */
	int64_t ival;          /* INT */
	bool bval;             /* BOOL */
	struct hy_cnode **kids; /* MAP and LIST, in file order */
	unsigned int nb_kids;
};

/* Caps that keep hostile input from using unbounded memory or stack. */
#define HY_CN_MAX_DEPTH 32
#define HY_CN_MAX_NODES 65536

/*
 * Parse libconfig text (NUL-terminated, len bytes before the NUL) into a
 * tree.  Returns the root map, or NULL with err filled (reason
 * CONFIG_SYNTAX, or CONFIG_BAD_VALUE for an exceeded cap).  err->file must
 * be set by the caller.  Free with hy_cnode_free().
 */
struct hy_cnode *hy_cnode_from_libconfig(const char *text, size_t len,
					 struct hy_conf_error *err);

/* As above for YAML (one document whose root is a mapping; no aliases,
 * no duplicate keys). */
struct hy_cnode *hy_cnode_from_yaml(const char *text, size_t len,
				    struct hy_conf_error *err);

/* Free a tree; NULL is allowed. */
void hy_cnode_free(struct hy_cnode *n);

/* Child of a map by key, or NULL. */
const struct hy_cnode *hy_cnode_get(const struct hy_cnode *map,
				    const char *key);

/* Set err (any field pointer may be NULL / 0); msg is printf-style. */
void hy_conf_fail(struct hy_conf_error *err, enum hy_reason reason,
		  unsigned int line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif /* HY_CONFIG_CONF_TREE_H */
