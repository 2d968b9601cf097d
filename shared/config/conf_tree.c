/* SPDX-License-Identifier: BSD-3-Clause
 * Front ends: libconfig text and YAML text into the neutral struct hy_cnode
 * tree.  libconfig and libyaml do all the parsing; this file only copies
 * their result (with line numbers) and refuses what the schema engine must
 * never see: YAML aliases, duplicate YAML keys, several documents, NUL
 * bytes, @include in text parsed from memory, and trees past the caps.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>
#include <yaml.h>

#include "config/conf_tree.h"

void hy_conf_fail(struct hy_conf_error *err, enum hy_reason reason,
		  unsigned int line, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	err->reason = reason;
	err->line = line;
	snprintf(err->key, sizeof(err->key), "%s", key ? key : "");
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void hy_cnode_free(struct hy_cnode *n)
{
	unsigned int i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nb_kids; i++)
		hy_cnode_free(n->kids[i]);
	free(n->kids);
	free(n->key);
	free(n->text);
	free(n);
}

const struct hy_cnode *hy_cnode_get(const struct hy_cnode *map,
				    const char *key)
{
	unsigned int i;

	if (map == NULL || map->kind != HY_CN_MAP)
		return NULL;
	for (i = 0; i < map->nb_kids; i++)
		if (strcmp(map->kids[i]->key, key) == 0)
			return map->kids[i];
	return NULL;
}

/* Shared state of one conversion: node budget and the error out. */
struct build {
	unsigned int nodes;
	struct hy_conf_error *err;
};

static struct hy_cnode *node_new(struct build *b, enum hy_cnode_kind kind,
				 unsigned int line)
{
	struct hy_cnode *n;

	if (++b->nodes > HY_CN_MAX_NODES) {
		hy_conf_fail(b->err, HY_R_CONFIG_BAD_VALUE, line, "(file)",
			     "file has more than %u values", HY_CN_MAX_NODES);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL) {
		hy_conf_fail(b->err, HY_R_CONFIG_BAD_VALUE, line, "(file)",
			     "out of memory");
		return NULL;
	}
	n->kind = kind;
	n->line = line;
	return n;
}

static int node_add(struct build *b, struct hy_cnode *parent,
		    struct hy_cnode *kid)
{
	struct hy_cnode **k;

	k = realloc(parent->kids, (parent->nb_kids + 1) * sizeof(*k));
	if (k == NULL) {
		hy_conf_fail(b->err, HY_R_CONFIG_BAD_VALUE, kid->line, "(file)",
			     "out of memory");
		hy_cnode_free(kid);
		return -1;
	}
	parent->kids = k;
	parent->kids[parent->nb_kids++] = kid;
	return 0;
}

static unsigned int line_of_offset(const char *text, size_t off)
{
	unsigned int line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		if (text[i] == '\n')
			line++;
	return line;
}

/* A NUL byte would silently end the text for libconfig: refuse it. */
static int refuse_nul(const char *text, size_t len, struct hy_conf_error *err)
{
	const char *nul = memchr(text, '\0', len);

	if (nul == NULL)
		return 0;
	hy_conf_fail(err, HY_R_CONFIG_SYNTAX, line_of_offset(text, nul - text),
		     NULL, "NUL byte in file");
	return -1;
}

/* ---- libconfig ------------------------------------------------------ */

/* libconfig would open whatever an @include names, relative to the
 * working directory; a configuration is one file. */
static int refuse_include(const char *text, size_t len,
			  struct hy_conf_error *err)
{
	size_t i = 0;

	while (i < len) {
		size_t j = i;

		while (j < len && (text[j] == ' ' || text[j] == '\t'))
			j++;
		if (len - j >= 8 && memcmp(text + j, "@include", 8) == 0) {
			hy_conf_fail(err, HY_R_CONFIG_SYNTAX,
				     line_of_offset(text, j), NULL,
				     "@include is not supported");
			return -1;
		}
		while (j < len && text[j] != '\n')
			j++;
		i = j + 1;
	}
	return 0;
}

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '*' || c == '.';
}

/*
 * libconfig 1.5 reads an integer literal without an L suffix into an int
 * and silently wraps it (4294967301 becomes 5).  Give every literal outside
 * the int range its L, so it is read as a 64-bit integer and range-checked
 * by the schema.  A small lexer of our own: it only has to skip strings and
 * comments as libconfig's scanner does.  It also finds an unterminated
 * string, on which libconfig 1.5 leaks its string buffer: *open_quote is
 * then the offset of the opening quote (else SIZE_MAX).  Returns a malloc'd
 * copy or NULL.
 */
static char *add_int64_suffixes(const char *in, size_t len,
				size_t *open_quote)
{
	char *out = malloc(2 * len + 1); /* at most one L per input byte */
	size_t i = 0, o = 0;

	*open_quote = SIZE_MAX;
	if (out == NULL)
		return NULL;
	while (i < len) {
		char c = in[i];

		if (c == '"') { /* string, with backslash escapes */
			*open_quote = i;
			out[o++] = in[i++];
			while (i < len && in[i] != '"') {
				if (in[i] == '\\' && i + 1 < len)
					out[o++] = in[i++];
				out[o++] = in[i++];
			}
			if (i < len) {
				out[o++] = in[i++];
				*open_quote = SIZE_MAX;
			}
		} else if (c == '#' || (c == '/' && i + 1 < len &&
					in[i + 1] == '/')) {
			while (i < len && in[i] != '\n')
				out[o++] = in[i++];
		} else if (c == '/' && i + 1 < len && in[i + 1] == '*') {
			out[o++] = in[i++];
			out[o++] = in[i++];
			while (i < len && !(in[i] == '*' && i + 1 < len &&
					    in[i + 1] == '/'))
				out[o++] = in[i++];
		} else if ((i == 0 || !ident_char(in[i - 1])) &&
			   ((c >= '0' && c <= '9') ||
			    ((c == '-' || c == '+') && i + 1 < len &&
			     in[i + 1] >= '0' && in[i + 1] <= '9'))) {
			size_t start = i, j = i + 1;
			bool hex = false, big;

			if (c == '0' && j < len && (in[j] == 'x' || in[j] == 'X'))
				hex = true, j++;
			while (j < len && ((in[j] >= '0' && in[j] <= '9') ||
					   (hex && isxdigit((unsigned char)in[j]))))
				j++;
			if (!hex && j < len && (in[j] == '.' || in[j] == 'e' ||
						in[j] == 'E')) {
				/* a float: copy it as it is */
				while (j < len && (ident_char(in[j]) ||
						   in[j] == '-' || in[j] == '+'))
					j++;
				big = false;
			} else {
				char num[32];
				size_t n = j - start;
				long long v;

				/* longer than any int literal: certainly big */
				big = n >= sizeof(num);
				if (!big) {
					memcpy(num, in + start, n);
					num[n] = '\0';
					errno = 0;
					v = strtoll(num, NULL, hex ? 16 : 10);
					big = errno != 0 || v > INT32_MAX ||
					      v < INT32_MIN;
				}
				big = big && !(j < len && in[j] == 'L');
			}
			memcpy(out + o, in + start, j - start);
			o += j - start;
			i = j;
			if (big)
				out[o++] = 'L';
		} else {
			out[o++] = in[i++];
		}
	}
	out[o] = '\0';
	return out;
}

static struct hy_cnode *from_setting(struct build *b, config_setting_t *s,
				     unsigned int parent_line, int depth)
{
	unsigned int line = config_setting_source_line(s);
	struct hy_cnode *n;
	int type = config_setting_type(s);
	int i, count;

	if (line == 0)
		line = parent_line; /* list elements may carry no line */
	if (depth > HY_CN_MAX_DEPTH) {
		hy_conf_fail(b->err, HY_R_CONFIG_BAD_VALUE, line, "(file)",
			     "nested deeper than %d levels", HY_CN_MAX_DEPTH);
		return NULL;
	}
	switch (type) {
	case CONFIG_TYPE_GROUP:
	case CONFIG_TYPE_LIST:
	case CONFIG_TYPE_ARRAY:
		n = node_new(b, type == CONFIG_TYPE_GROUP ? HY_CN_MAP :
				HY_CN_LIST, line);
		if (n == NULL)
			return NULL;
		count = config_setting_length(s);
		for (i = 0; i < count; i++) {
			config_setting_t *e = config_setting_get_elem(s, i);
			struct hy_cnode *k = from_setting(b, e, line, depth + 1);

			if (k == NULL || node_add(b, n, k) != 0) {
				hy_cnode_free(n);
				return NULL;
			}
		}
		break;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		n = node_new(b, HY_CN_INT, line);
		if (n != NULL)
			n->ival = config_setting_get_int64(s);
		break;
	case CONFIG_TYPE_FLOAT:
		n = node_new(b, HY_CN_FLOAT, line);
		break;
	case CONFIG_TYPE_BOOL:
		n = node_new(b, HY_CN_BOOL, line);
		if (n != NULL)
			n->bval = config_setting_get_bool(s) != 0;
		break;
	case CONFIG_TYPE_STRING:
		n = node_new(b, HY_CN_STR, line);
		if (n != NULL) {
			n->text = strdup(config_setting_get_string(s));
			if (n->text == NULL) {
				hy_cnode_free(n);
				n = NULL;
			}
		}
		break;
	default:
		hy_conf_fail(b->err, HY_R_CONFIG_SYNTAX, line, NULL,
			     "unsupported value type");
		return NULL;
	}
	if (n != NULL && config_setting_name(s) != NULL) {
		n->key = strdup(config_setting_name(s));
		if (n->key == NULL) {
			hy_cnode_free(n);
			n = NULL;
		}
	}
	if (n == NULL && b->err && b->err->reason == HY_R_OK)
		hy_conf_fail(b->err, HY_R_CONFIG_BAD_VALUE, line, "(file)",
			     "out of memory");
	return n;
}

struct hy_cnode *hy_cnode_from_libconfig(const char *text, size_t len,
					 struct hy_conf_error *err)
{
	struct build b = { .nodes = 0, .err = err };
	struct hy_cnode *root = NULL;
	size_t open_quote;
	char *fixed;
	config_t cfg;

	if (refuse_nul(text, len, err) != 0 ||
	    refuse_include(text, len, err) != 0)
		return NULL;
	fixed = add_int64_suffixes(text, len, &open_quote);
	if (fixed == NULL) {
		hy_conf_fail(err, HY_R_CONFIG_BAD_VALUE, 0, "(file)",
			     "out of memory");
		return NULL;
	}
	if (open_quote != SIZE_MAX) {
		hy_conf_fail(err, HY_R_CONFIG_SYNTAX,
			     line_of_offset(text, open_quote), NULL,
			     "syntax error: string not terminated");
		free(fixed);
		return NULL;
	}
	config_init(&cfg);
	if (config_read_string(&cfg, fixed) != CONFIG_TRUE) {
		const char *why = config_error_text(&cfg);

		if (why == NULL)
			why = "unreadable";
		hy_conf_fail(err, HY_R_CONFIG_SYNTAX, config_error_line(&cfg),
			     NULL, "%s%s", strstr(why, "syntax error") ? "" :
			     "syntax error: ", why);
	} else {
		root = from_setting(&b, config_root_setting(&cfg), 0, 0);
	}
	config_destroy(&cfg);
	free(fixed);
	return root;
}

/* ---- YAML ----------------------------------------------------------- */

struct ystate {
	struct build b;
	yaml_parser_t p;
};

static int ynext(struct ystate *y, yaml_event_t *ev)
{
	if (yaml_parser_parse(&y->p, ev))
		return 0;
	hy_conf_fail(y->b.err, HY_R_CONFIG_SYNTAX,
		     (unsigned int)y->p.problem_mark.line + 1, NULL,
		     "syntax error: %s%s%s",
		     y->p.problem ? y->p.problem : "unreadable",
		     y->p.context ? " " : "",
		     y->p.context ? y->p.context : "");
	return -1;
}

/* Key named in an error about the node at path. */
static const char *key_of(const char *path)
{
	return path[0] != '\0' ? path : "(top)";
}

static char *ystrdup(struct ystate *y, const yaml_event_t *ev,
		     unsigned int line, const char *path)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	char *s;

	if (memchr(v, '\0', n) != NULL) {
		hy_conf_fail(y->b.err, HY_R_CONFIG_BAD_VALUE, line,
			     key_of(path), "NUL byte in a string");
		return NULL;
	}
	s = strndup(v, n);
	if (s == NULL)
		hy_conf_fail(y->b.err, HY_R_CONFIG_BAD_VALUE, line, "(file)",
			     "out of memory");
	return s;
}

/* Key path of a child: "a.b" under a map, "a[3]" in a list. */
static void child_path(char *out, size_t len, const char *path,
		       const char *key, unsigned int index)
{
	if (key != NULL)
		snprintf(out, len, "%s%s%.64s", path, path[0] ? "." : "",
			 key[0] ? key : "\"\"");
	else
		snprintf(out, len, "%s[%u]", path, index);
}

/* Build the node that starts with *ev (which this function deletes);
 * path names it in errors. */
static struct hy_cnode *ynode(struct ystate *y, yaml_event_t *ev, int depth,
			      const char *path)
{
	char sub[sizeof(y->b.err->key)];
	unsigned int line = (unsigned int)ev->start_mark.line + 1;
	struct hy_cnode *n = NULL;
	yaml_event_t e;

	if (depth > HY_CN_MAX_DEPTH) {
		hy_conf_fail(y->b.err, HY_R_CONFIG_BAD_VALUE, line, key_of(path),
			     "nested deeper than %d levels", HY_CN_MAX_DEPTH);
		goto out;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = node_new(&y->b, ev->data.scalar.style ==
			     YAML_PLAIN_SCALAR_STYLE ? HY_CN_PLAIN : HY_CN_STR,
			     line);
		if (n != NULL && (n->text = ystrdup(y, ev, line, path)) == NULL) {
			hy_cnode_free(n);
			n = NULL;
		}
		break;
	case YAML_ALIAS_EVENT:
		hy_conf_fail(y->b.err, HY_R_CONFIG_BAD_VALUE, line, key_of(path),
			     "aliases (*name) are not supported");
		break;
	case YAML_SEQUENCE_START_EVENT:
		n = node_new(&y->b, HY_CN_LIST, line);
		while (n != NULL) {
			struct hy_cnode *k;

			if (ynext(y, &e) != 0)
				goto fail;
			if (e.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&e);
				break;
			}
			child_path(sub, sizeof(sub), path, NULL, n->nb_kids);
			k = ynode(y, &e, depth + 1, sub);
			if (k == NULL || node_add(&y->b, n, k) != 0)
				goto fail;
		}
		break;
	case YAML_MAPPING_START_EVENT:
		n = node_new(&y->b, HY_CN_MAP, line);
		while (n != NULL) {
			unsigned int kline;
			struct hy_cnode *k;
			char *key;

			if (ynext(y, &e) != 0)
				goto fail;
			if (e.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&e);
				break;
			}
			kline = (unsigned int)e.start_mark.line + 1;
			if (e.type != YAML_SCALAR_EVENT) {
				hy_conf_fail(y->b.err, HY_R_CONFIG_BAD_VALUE,
					     kline, key_of(path),
					     "keys must be plain strings");
				yaml_event_delete(&e);
				goto fail;
			}
			key = ystrdup(y, &e, kline, path);
			yaml_event_delete(&e);
			if (key == NULL)
				goto fail;
			child_path(sub, sizeof(sub), path, key, 0);
			if (hy_cnode_get(n, key) != NULL) {
				hy_conf_fail(y->b.err, HY_R_CONFIG_BAD_VALUE,
					     kline, sub, "duplicate key");
				free(key);
				goto fail;
			}
			if (ynext(y, &e) != 0) {
				free(key);
				goto fail;
			}
			k = ynode(y, &e, depth + 1, sub);
			if (k == NULL) {
				free(key);
				goto fail;
			}
			k->key = key;
			k->line = kline; /* errors point at the key */
			if (node_add(&y->b, n, k) != 0)
				goto fail;
		}
		break;
	default:
		hy_conf_fail(y->b.err, HY_R_CONFIG_SYNTAX, line, NULL,
			     "unexpected YAML event");
		break;
	}
	goto out;
fail:
	hy_cnode_free(n);
	n = NULL;
out:
	yaml_event_delete(ev);
	return n;
}

static bool is_yaml_null(const struct hy_cnode *n)
{
	return n->kind == HY_CN_PLAIN && (n->text[0] == '\0' ||
		strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0);
}

struct hy_cnode *hy_cnode_from_yaml(const char *text, size_t len,
				    struct hy_conf_error *err)
{
	struct ystate y = { .b = { .nodes = 0, .err = err } };
	struct hy_cnode *root = NULL;
	yaml_event_t e;
	int docs = 0;

	if (refuse_nul(text, len, err) != 0)
		return NULL;
	if (!yaml_parser_initialize(&y.p)) {
		hy_conf_fail(err, HY_R_CONFIG_SYNTAX, 0, NULL, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&y.p, (const unsigned char *)text, len);
	for (;;) {
		if (ynext(&y, &e) != 0)
			goto fail;
		if (e.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&e);
			break;
		}
		if (e.type == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
			hy_conf_fail(err, HY_R_CONFIG_SYNTAX,
				     (unsigned int)e.start_mark.line + 1, NULL,
				     "only one YAML document is allowed");
			yaml_event_delete(&e);
			goto fail;
		}
		if (e.type == YAML_STREAM_START_EVENT ||
		    e.type == YAML_DOCUMENT_START_EVENT ||
		    e.type == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&e);
			continue;
		}
		root = ynode(&y, &e, 0, "");
		if (root == NULL)
			goto fail;
		if (root->kind != HY_CN_MAP && !is_yaml_null(root)) {
			hy_conf_fail(err, HY_R_CONFIG_BAD_VALUE, root->line,
				     "(top)", "the top level must be a mapping");
			goto fail;
		}
		if (root->kind != HY_CN_MAP) { /* empty document */
			free(root->text);
			root->text = NULL;
			root->kind = HY_CN_MAP;
		}
	}
	if (root == NULL) /* empty file: every key takes its default */
		root = node_new(&y.b, HY_CN_MAP, 0);
	yaml_parser_delete(&y.p);
	return root;
fail:
	hy_cnode_free(root);
	yaml_parser_delete(&y.p);
	return NULL;
}
