/* libFuzzer harness: compiles the input as a template and renders it against a fixed
 * context and a small set of partials and parents, in one escape mode chosen by the input's
 * length (every mode is reached without rendering each input several times), within a
 * render budget whose output cap it asserts. */
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "tmpl/tmpl.h"

/* Arrays nest by name lookup, so k sections over a two-element array render 2^k times, and
 * blocks and parents re-render each other up to the engine's depth limit: inputs with more
 * than this many '#', '^', '$' or '<' bytes are skipped to keep each run short (the corpus
 * otherwise grows into templates that run at a few hundred executions per second), and so
 * are inputs over 4 KB: 2^8 renders of 4 KB stay near a millisecond. */
#define MAX_HASHES 8
#define MAX_BLOCKS 6
#define MAX_INPUT  4096
/* The budget: small enough that inputs reach it often (the cap varies with the input). */
#define BUDGET_STEPS 5000

static const char ctx_json[] =
    "{\"name\":\"<b>&'\\\"\",\"n\":42,\"d\":1.21,\"t\":true,\"f\":false,\"z\":null,"
    "\"s\":\"\",\"nl\":\"a\\r\\nb\",\"two\":[{\"x\":1},{\"x\":\"y\"}],\"one\":[[1]],"
    "\"empty\":[],\"obj\":{\"a\":{\"b\":{\"c\":\"deep\"}}},\"pname\":\"p\",\"lname\":\"layout\"}";

static struct json_object *ctx;
static struct tmpl_set *set;

static void
setup(void)
{
	static const char *const parts[][2] = {
	    {"p", "[{{name}}]\n{{#obj}}{{a.b.c}}{{/obj}}\n"},
	    {"layout", "<h1>{{$title}}T{{/title}}</h1>\n  {{$body}}\n  default\n  {{/body}}\n"},
	    {"nested", "{{<layout}}{{$title}}N{{/title}}{{/layout}}"},
	};
	ctx = json_tokener_parse(ctx_json);
	set = tmpl_set_new();
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		tmpl_set_add(set, parts[i][0], parts[i][1], strlen(parts[i][1]), NULL, 0);
}

static void
count_name(const char *name, void *data)
{
	*(size_t *)data += strlen(name) > 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!set)
		setup();
	if (size > MAX_INPUT)
		return 0;
	size_t hashes = 0, blocks = 0;
	for (size_t i = 0; i < size; i++) {
		hashes += data[i] == '#' || data[i] == '^';
		blocks += data[i] == '$' || data[i] == '<';
	}
	if (hashes > MAX_HASHES || blocks > MAX_BLOCKS)
		return 0;
	char err[128];
	struct tmpl *t;
	if (tmpl_compile((const char *)data, size, &t, err, sizeof(err)) != TMPL_OK)
		return 0;
	struct buf out;
	buf_init(&out);
	struct tmpl_limits lim = {64 + size * 4 % 4096, BUDGET_STEPS};
	int rc =
	    tmpl_render_limited(t, set, ctx, (enum tmpl_escape)(size % TMPL_ESC__MAX), &lim, &out);
	if (out.len > lim.max_output)
		abort(); /* the render wrote past its output cap */
	if (rc == TMPL_OK) {
		/* Within the budget, the budget changes nothing. */
		struct buf full;
		buf_init(&full);
		tmpl_render_tmpl(t, set, ctx, (enum tmpl_escape)(size % TMPL_ESC__MAX), &full);
		if (full.len != out.len || (out.len && memcmp(full.data, out.data, out.len)))
			abort();
		buf_free(&full);
	}
	size_t names = 0;
	tmpl_each_name(t, count_name, &names);
	buf_free(&out);
	tmpl_free(t);
	return 0;
}
