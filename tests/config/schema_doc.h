/* SPDX-License-Identifier: BSD-3-Clause
 * Text the shipped config files and docs/operations.md must carry for
 * each schema key; the docs test and the gen_schema_doc tool share it.
 */
#ifndef HY_TESTS_CONFIG_SCHEMA_DOC_H
#define HY_TESTS_CONFIG_SCHEMA_DOC_H

#include <stddef.h>

#include "config/conf_schema.h"

/* "# dataplane.burst: default 32" (prefix of the key's comment line). */
void doc_comment_prefix(const char *path, const struct hy_conf_key *k,
			enum hy_conf_syntax syntax, char *buf, size_t len);
/* The whole comment line: prefix, what it accepts, meaning. */
void doc_comment_line(const char *path, const struct hy_conf_key *k,
		      enum hy_conf_syntax syntax, char *buf, size_t len);
/* "| `dataplane.burst` | 32 | an integer from 1 to 256 | Packets ... |" */
void doc_table_row(const char *path, const struct hy_conf_key *k,
		   enum hy_conf_syntax syntax, char *buf, size_t len);

#endif
