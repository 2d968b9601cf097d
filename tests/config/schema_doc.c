/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include "schema_doc.h"

void doc_comment_prefix(const char *path, const struct hy_conf_key *k,
			enum hy_conf_syntax syntax, char *buf, size_t len)
{
	char def[160];

	if (k->flags & HY_CK_REQUIRED)
		snprintf(buf, len, "# %s: required", path);
	else
		snprintf(buf, len, "# %s: default %s", path,
			 hy_conf_key_default(k, syntax, def, sizeof(def)));
}

void doc_comment_line(const char *path, const struct hy_conf_key *k,
		      enum hy_conf_syntax syntax, char *buf, size_t len)
{
	char prefix[256], exp[256];

	doc_comment_prefix(path, k, syntax, prefix, sizeof(prefix));
	snprintf(buf, len, "%s; %s. %s.", prefix,
		 hy_conf_key_expected(k, exp, sizeof(exp)), k->doc);
}

void doc_table_row(const char *path, const struct hy_conf_key *k,
		   enum hy_conf_syntax syntax, char *buf, size_t len)
{
	char def[160], exp[256];
	size_t i, o = 0;

	if (k->flags & HY_CK_REQUIRED) {
		snprintf(def, sizeof(def), "required");
	} else {
		def[0] = '`';
		hy_conf_key_default(k, syntax, def + 1, sizeof(def) - 2);
		strcat(def, "`");
	}
	hy_conf_key_expected(k, exp, sizeof(exp));
	/* a '|' inside a cell would end it */
	for (i = 0; exp[i] != '\0'; i++)
		if (exp[i] == '|')
			exp[i] = '/';
	o = snprintf(buf, len, "| `%s` | %s | %s | %s |", path, def, exp,
		     k->doc);
	(void)o;
}
