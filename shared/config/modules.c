/* SPDX-License-Identifier: BSD-3-Clause
 * The module configuration schema (config/modules.yaml): settings of the
 * game's modules, shared by every node of a cluster.
 */
#include <string.h>

#include "config/conf_schema.h"

#define M struct hy_modules_config

static const struct hy_conf_key rooms_keys[] = {
	HY_KEY_UINT(M, rooms.max_members, "max_members", 0, 1, 1024, 16,
		"Members a room holds unless its creator asks for fewer"),
	HY_KEY_BOOL(M, rooms.allow_empty, "allow_empty", false,
		"Keep a room when its last member leaves"),
	HY_KEY_UINT(M, rooms.empty_ttl_s, "empty_ttl_s", 0, 0, 86400, 60,
		"With allow_empty, how long an empty room is kept"),
	HY_KEY_UINT(M, rooms.broadcast_interval_ms, "broadcast_interval_ms", 0,
		0, 1000, 0,
		"Batch room broadcasts for this long; 0 sends at once"),
	HY_KEY_UINT(M, rooms.max_rooms, "max_rooms", 0, 1, 16777216, 65536,
		"Rooms one node holds at a time; also sizes each data-plane "
		"worker's copy of the room table (about 200 B per room)"),
	HY_KEY_END
};

const struct hy_conf_key hy_conf_modules_schema[] = {
	HY_KEY_GROUP("rooms", rooms_keys, "Room defaults"),
	HY_KEY_END
};

static const struct hy_conf_kind modules_kind = {
	.syntax = HY_SYNTAX_YAML,
	.schema = hy_conf_modules_schema,
	.size = sizeof(struct hy_modules_config),
	.check = NULL, /* no rule spans two keys yet */
};

void hy_conf_modules_defaults(struct hy_modules_config *out)
{
	memset(out, 0, sizeof(*out));
	hy_conf_schema_defaults(hy_conf_modules_schema, out);
}

int hy_conf_modules_load(const char *path, struct hy_modules_config *out,
			 struct hy_conf_error *err)
{
	return hy_conf_load_file(&modules_kind, path, out, err);
}

int hy_conf_modules_parse(const char *text, size_t len, const char *name,
			  struct hy_modules_config *out,
			  struct hy_conf_error *err)
{
	return hy_conf_load_text(&modules_kind, text, len, name, out, err);
}

int hy_conf_modules_write(const struct hy_modules_config *cfg, FILE *f)
{
	return hy_conf_schema_write(hy_conf_modules_schema, cfg,
				    HY_SYNTAX_YAML, f);
}

int hy_conf_load_all(const char *node_path, const char *modules_path,
		     struct hy_node_config *node,
		     struct hy_modules_config *modules,
		     struct hy_conf_error *err)
{
	hy_conf_modules_defaults(modules);
	if (hy_conf_node_load(node_path, node, err) != 0)
		return -1;
	if (hy_conf_modules_load(modules_path ? modules_path :
				 node->paths.modules_file, modules, err) != 0) {
		hy_conf_node_defaults(node);
		return -1;
	}
	return 0;
}
