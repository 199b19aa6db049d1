/* Response mapping: RFC 6901 JSON Pointers into a parsed answer, and the endpoint's
 * mapping (a root pointer, then name/pointer rows taken relative to every item when the
 * root is an array, else to the root) that execute answers as "data". */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "connector.h"

int
connector_pointer_valid(const char *ptr)
{
	if (!ptr)
		return 0;
	if (!*ptr)
		return 1;
	if (*ptr != '/')
		return 0;
	for (const char *p = ptr; *p; p++) {
		if ((unsigned char)*p < 0x20)
			return 0;
		if (*p == '~' && p[1] != '0' && p[1] != '1')
			return 0;
	}
	return 1;
}

/* The next reference token of *p (after its '/'), unescaped into tok (cap bytes); -1 when
 * it does not fit. */
static int
pointer_token(const char **p, char *tok, size_t cap)
{
	const char *s = *p + 1;
	size_t n = 0;
	while (*s && *s != '/') {
		char ch = *s++;
		if (ch == '~') {
			ch = *s == '1' ? '/' : '~';
			s++;
		}
		if (n + 1 >= cap)
			return -1;
		tok[n++] = ch;
	}
	tok[n] = '\0';
	*p = s;
	return 0;
}

/* An array index as RFC 6901 writes it: "0" or digits without a leading zero. */
static int
pointer_index(const char *tok, size_t len, size_t *idx)
{
	if (!*tok || (tok[0] == '0' && tok[1]) || strlen(tok) > 9)
		return -1;
	for (const char *p = tok; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	*idx = (size_t)strtoul(tok, NULL, 10);
	return *idx < len ? 0 : -1;
}

struct json_object *
connector_pointer_get(struct json_object *doc, const char *ptr, int *found)
{
	char tok[1024];
	struct json_object *cur = doc;
	*found = 0;
	if (!connector_pointer_valid(ptr))
		return NULL;
	const char *p = ptr;
	while (*p) {
		if (pointer_token(&p, tok, sizeof(tok)))
			return NULL;
		if (json_object_is_type(cur, json_type_object)) {
			if (!json_object_object_get_ex(cur, tok, &cur))
				return NULL;
		} else if (json_object_is_type(cur, json_type_array)) {
			size_t i;
			if (pointer_index(tok, json_object_array_length(cur), &i))
				return NULL;
			cur = json_object_array_get_idx(cur, i);
		} else {
			return NULL;
		}
	}
	*found = 1;
	return cur;
}

/* Adds a note (arena) to m; at most CONNECTOR_MAP_NOTES are kept. */
static void
map_note(struct arena *a, struct connector_mapped *m, const char *note)
{
	if (note && m->nnotes < CONNECTOR_MAP_NOTES)
		m->notes[m->nnotes++] = note;
}

/* One object of name -> the value at its pointer in item (null when none); counts the
 * misses of each row in miss. */
static struct json_object *
map_item(struct json_object *item, const struct endpoint_row *maps, size_t n, size_t *miss)
{
	struct json_object *o = json_object_new_object();
	for (size_t i = 0; o && i < n; i++) {
		int found = 0;
		struct json_object *v = connector_pointer_get(item, maps[i].value, &found);
		if (!found)
			miss[i]++;
		json_object_object_add(o, maps[i].key, found ? json_object_get(v) : NULL);
	}
	return o;
}

int
connector_map(struct arena *a, struct json_object *body, const char *root,
	      const struct endpoint_row *maps, size_t n, struct connector_mapped *m)
{
	int found = 0;
	memset(m, 0, sizeof(*m));
	root = root ? root : "";
	struct json_object *r = connector_pointer_get(body, root, &found);
	if (!found) {
		map_note(a, m,
			 arena_printf(a, "The response root \"%s\" matched nothing in the answer.",
				      root));
		return 0;
	}
	if (!n) {
		m->data = json_object_get(r);
		m->is_array = json_object_is_type(r, json_type_array);
		return 0;
	}
	size_t *miss = arena_alloc(a, n * sizeof(*miss));
	if (!miss)
		return -1;
	memset(miss, 0, n * sizeof(*miss));
	size_t items = 1;
	if (json_object_is_type(r, json_type_array)) {
		items = json_object_array_length(r);
		m->data = json_object_new_array();
		m->is_array = 1;
		for (size_t i = 0; m->data && i < items; i++)
			json_object_array_add(
			    m->data, map_item(json_object_array_get_idx(r, i), maps, n, miss));
	} else {
		m->data = map_item(r, maps, n, miss);
	}
	if (!m->data)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!miss[i])
			continue;
		if (m->is_array)
			map_note(
			    a, m,
			    arena_printf(a,
					 "The pointer \"%s\" of \"%s\" matched nothing in %zu of "
					 "%zu items; it is null there.",
					 maps[i].value, maps[i].key, miss[i], items));
		else
			map_note(a, m,
				 arena_printf(a,
					      "The pointer \"%s\" of \"%s\" matched nothing; it is "
					      "null.",
					      maps[i].value, maps[i].key));
	}
	return 0;
}
