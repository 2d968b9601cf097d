/* SPDX-License-Identifier: BSD-3-Clause
 * Prints, for every schema key, the comment line the shipped config file
 * carries ("conf", "yaml") or the docs/operations.md table row
 * ("md-node", "md-modules").  Used when a key is added or changed.
 */
#include <stdio.h>
#include <string.h>

#include "schema_doc.h"

struct mode {
	enum hy_conf_syntax syntax;
	int table;
};

/* Comment lines wrapped at 76 columns, continuations indented. */
static void wrap(const char *text)
{
	const char *p = text;
	int col = 0;

	while (*p != '\0') {
		size_t w = strcspn(p, " ");

		if (col > 0 && col + 1 + (int)w > 76) {
			fputs("\n#   ", stdout);
			col = 4;
		} else if (col > 0) {
			putchar(' ');
			col++;
		}
		fwrite(p, 1, w, stdout);
		col += (int)w;
		p += w;
		while (*p == ' ')
			p++;
	}
	putchar('\n');
}

static void print_key(const char *path, const struct hy_conf_key *k,
		      void *arg)
{
	const struct mode *m = arg;
	char line[1024];

	if (k->type == HY_CT_GROUPLIST && !m->table)
		return;
	if (m->table) {
		doc_table_row(path, k, m->syntax, line, sizeof(line));
		puts(line);
		return;
	}
	doc_comment_line(path, k, m->syntax, line, sizeof(line));
	wrap(line);
}

int main(int argc, char **argv)
{
	struct mode m = { HY_SYNTAX_LIBCONFIG, 0 };
	const struct hy_conf_key *schema = hy_conf_node_schema;
	const char *what = argc > 1 ? argv[1] : "";

	if (strcmp(what, "conf") == 0) {
	} else if (strcmp(what, "yaml") == 0) {
		m.syntax = HY_SYNTAX_YAML;
		schema = hy_conf_modules_schema;
	} else if (strcmp(what, "md-node") == 0) {
		m.table = 1;
	} else if (strcmp(what, "md-modules") == 0) {
		m.table = 1;
		m.syntax = HY_SYNTAX_YAML;
		schema = hy_conf_modules_schema;
	} else {
		fprintf(stderr, "usage: gen_schema_doc conf|yaml|md-node|md-modules\n");
		return 2;
	}
	hy_conf_schema_foreach(schema, print_key, &m);
	return 0;
}
