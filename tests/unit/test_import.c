/* Unit tests for import/: cURL, OpenAPI (JSON and YAML), Postman, the YAML bounds, and the
 * exporters' round trip. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "import/import.h"
#include "tap.h"

static struct arena A;

static int
parse(enum import_format f, const char *src, struct import_doc *d, struct import_error *e)
{
	return import_parse(&A, f, src, strlen(src), d, e);
}

static const struct import_row *
row(const struct import_row *r, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(r[i].key, key))
			return &r[i];
	return NULL;
}

static void
test_curl(void)
{
	struct import_doc d;
	struct import_error e;
	int rc =
	    parse(IMPORT_CURL,
		  "curl -X PUT 'https://api.example.com/v1/orders/42?expand=items&q=a%20b' \\\n"
		  "  -H 'Accept: application/json' \\\n"
		  "  -H \"X-Trace: $TRACE_ID\" \\\n"
		  "  -u alice:s3cret \\\n"
		  "  --data-raw '{\"qty\": 2}'",
		  &d, &e);
	ok(rc == 0, "a multi-line cURL command is read (%s)", e.message);
	ok(d.nendpoints == 1, "one endpoint");
	const struct import_endpoint *ep = &d.endpoints[0];
	is_str(ep->method, "PUT", "-X sets the method");
	is_str(ep->url, "https://api.example.com/v1/orders/42", "the URL without its query");
	is_str(ep->purpose, "PUT /v1/orders/42", "purpose from method and path");
	ok(ep->nparams == 2, "two query parameters");
	const struct import_row *q = row(ep->params, ep->nparams, "q");
	ok(q && !strcmp(q->value, "a b"), "query values are decoded");
	const struct import_row *h = row(ep->headers, ep->nheaders, "X-Trace");
	ok(h && !strcmp(h->value, "{{TRACE_ID}}"), "$NAME in double quotes becomes {{NAME}}");
	ok(row(ep->headers, ep->nheaders, "Content-Type") != NULL,
	   "data adds the form Content-Type curl would send");
	is_str(ep->body, "{\"qty\": 2}", "--data-raw is the body");
	ok(d.auth.type == IMPORT_AUTH_BASIC, "-u proposes Basic auth");
	is_str(d.auth.username, "alice", "the user name is kept");
	int leaked = 0;
	struct json_object *j = import_doc_json(&d);
	leaked = strstr(json_object_to_json_string(j), "s3cret") != NULL;
	json_object_put(j);
	ok(!leaked, "the password is not kept anywhere in the proposal");
	ok(strstr(ep->sample_data, "TRACE_ID") != NULL, "variables go into the sample data");

	rc = parse(IMPORT_CURL, "curl -G https://h.example/search -d q=cats --data-urlencode 'n=1'",
		   &d, &e);
	ok(rc == 0 && !strcmp(d.endpoints[0].method, "GET") && d.endpoints[0].nparams == 2 &&
	       !*d.endpoints[0].body,
	   "-G moves the data into the query");
	rc = parse(IMPORT_CURL, "curl --json '{\"a\":1}' https://h.example/x", &d, &e);
	ok(rc == 0 && !strcmp(d.endpoints[0].method, "POST") &&
	       row(d.endpoints[0].headers, d.endpoints[0].nheaders, "Content-Type") &&
	       !strcmp(row(d.endpoints[0].headers, d.endpoints[0].nheaders, "Content-Type")->value,
		       "application/json"),
	   "--json posts JSON with its Content-Type");
	rc = parse(IMPORT_CURL, "curl -H 'Authorization: Bearer abc.def' https://h.example/x", &d,
		   &e);
	ok(rc == 0 && d.auth.type == IMPORT_AUTH_BEARER && d.endpoints[0].nheaders == 0,
	   "a bearer header proposes Bearer auth and is not kept");
	rc = parse(IMPORT_CURL,
		   "curl 'https://h.example/s?a=1' --url-query 'b=2' --oauth2-bearer tok-xyz", &d,
		   &e);
	ok(rc == 0 && d.endpoints[0].nparams == 2 && !strcmp(d.endpoints[0].params[1].key, "b") &&
	       d.auth.type == IMPORT_AUTH_BEARER,
	   "--url-query adds a query row after the URL's own; --oauth2-bearer proposes Bearer");
	struct json_object *jb = import_doc_json(&d);
	ok(!strstr(json_object_to_json_string(jb), "tok-xyz"), "and the token is not kept");
	json_object_put(jb);
	rc = parse(IMPORT_CURL, "curl -sSL -XDELETE \"https://h.example/a/b\"", &d, &e);
	ok(rc == 0 && !strcmp(d.endpoints[0].method, "DELETE"), "bundled flags and -XDELETE");

	rc = parse(IMPORT_CURL, "curl https://h.example/x \\\n  -H \"X-Token: $(cat /etc/passwd)\"",
		   &d, &e);
	ok(rc == IMPORT_EREFUSED, "$(...) is refused");
	ok(e.line == 2 && e.column == 16, "the refusal names line 2, column 16 (got %d, %d)",
	   e.line, e.column);
	ok(strstr(e.message, "line 2, column 16") != NULL, "the message names the place: %s",
	   e.message);
	rc = parse(IMPORT_CURL, "curl https://h.example/`id`", &d, &e);
	ok(rc == IMPORT_EREFUSED && e.line == 1 && e.column == 24, "backticks are refused at 1:24");
	rc = parse(IMPORT_CURL, "curl https://h.example/x; rm -rf /", &d, &e);
	ok(rc == IMPORT_EREFUSED, "a second command is refused");
	rc = parse(IMPORT_CURL, "curl 'https://h.example/x", &d, &e);
	ok(rc == IMPORT_ESYNTAX, "an open quote is a syntax error");
	rc = parse(IMPORT_CURL, "wget https://h.example/x", &d, &e);
	ok(rc == IMPORT_EINVALID, "not a curl command");
	rc = parse(IMPORT_CURL, "curl -d @secrets.txt https://h.example/x", &d, &e);
	ok(rc == IMPORT_EREFUSED, "-d @file is refused");
	rc = parse(IMPORT_CURL, "curl 'https://h.example/it'\"'\"'s' -H 'A: x\\y'", &d, &e);
	ok(rc == 0 && !strcmp(d.endpoints[0].url, "https://h.example/it's") &&
	       !strcmp(d.endpoints[0].headers[0].value, "x\\y"),
	   "quotes join and backslashes in single quotes are literal");
}

static const char *PETS_YAML =
    "openapi: 3.0.3\n"
    "info:\n  title: Pets\n  version: '1'\n"
    "servers:\n  - url: https://{region}.pets.example/v1\n    variables:\n"
    "      region:\n        default: eu\n"
    "components:\n"
    "  securitySchemes:\n"
    "    key:\n      type: apiKey\n      in: header\n      name: X-API-Key\n"
    "  parameters:\n"
    "    limit:\n      name: limit\n      in: query\n      required: true\n"
    "      schema: {type: integer, default: 20}\n"
    "paths:\n"
    "  /pets:\n"
    "    get:\n      operationId: listPets\n      summary: List pets\n"
    "      parameters:\n        - $ref: '#/components/parameters/limit'\n"
    "        - {name: X-Req, in: header, schema: {type: string}}\n"
    "    post:\n"
    "      requestBody:\n        content:\n          application/json:\n"
    "            example: {name: Rex, age: 3}\n"
    "  /pets/{petId}:\n"
    "    parameters:\n      - {name: petId, in: path, required: true, example: 7}\n"
    "    get:\n      operationId: showPet\n"
    "    options:\n      operationId: opts\n";

static void
test_openapi(void)
{
	struct import_doc d;
	struct import_error e;
	int rc = parse(IMPORT_OPENAPI, PETS_YAML, &d, &e);
	ok(rc == 0, "an OpenAPI 3.0 YAML document is read (%s)", e.message);
	ok(d.nendpoints == 3, "one endpoint per operation dcgate can send (got %zu)", d.nendpoints);
	is_str(d.base_url, "https://eu.pets.example/v1", "servers[0] with its variable's default");
	is_str(d.title, "Pets", "title");
	ok(d.auth.type == IMPORT_AUTH_API_KEY && !strcmp(d.auth.api_key_name, "X-API-Key"),
	   "securitySchemes proposes API key auth");
	const struct import_endpoint *l = &d.endpoints[0];
	is_str(l->purpose, "listPets", "purpose from operationId");
	is_str(l->description, "List pets", "summary as description");
	const struct import_row *lim = row(l->params, l->nparams, "limit");
	ok(lim && lim->required && !strcmp(lim->value, "{{limit}}"),
	   "a $ref query parameter as {{limit}}, required");
	ok(row(l->headers, l->nheaders, "X-Req") != NULL, "header parameter as a header row");
	ok(strstr(l->sample_data, "\"limit\": 20") != NULL, "the schema default as sample data");
	const struct import_endpoint *p = &d.endpoints[1];
	is_str(p->purpose, "POST /pets", "purpose from method and path without operationId");
	ok(strstr(p->body, "\"name\": \"Rex\"") != NULL, "the request body example as body");
	ok(strstr(p->sample_data, "\"age\": 3") != NULL, "and its fields as sample data");
	is_str(d.endpoints[2].url, "https://eu.pets.example/v1/pets/{{petId}}",
	       "path parameters as {{name}}");
	ok(strstr(d.endpoints[2].sample_data, "\"petId\": 7") != NULL, "path-level example");
	ok(d.nnotes >= 1, "the skipped OPTIONS operation is noted");

	const char *json31 = "{\"openapi\":\"3.1.0\",\"info\":{\"title\":\"T\",\"version\":\"1\"},"
			     "\"paths\":{\"/a\":{\"delete\":{}}}}";
	rc = parse(IMPORT_OPENAPI, json31, &d, &e);
	ok(rc == 0 && d.nendpoints == 1 && !strcmp(d.endpoints[0].url, "http://localhost/a"),
	   "3.1 JSON without servers: under http://localhost, noted");

	rc = parse(
	    IMPORT_OPENAPI,
	    "openapi: 3.1.0\ninfo: {title: t, version: '1'}\n"
	    "components:\n  schemas:\n    Pet:\n      type: object\n      properties:\n"
	    "        id: {type: integer, readOnly: true}\n"
	    "        name: {type: string, example: Rex}\n"
	    "        kind: {type: string, enum: [dog, cat]}\n"
	    "        tags: {type: array, items: {$ref: '#/components/schemas/Pet'}}\n"
	    "paths:\n  /pets:\n    post:\n      requestBody:\n        content:\n"
	    "          application/json:\n            schema: {$ref: '#/components/schemas/Pet'}\n",
	    &d, &e);
	ok(rc == 0 && strstr(d.endpoints[0].body, "\"name\": \"Rex\"") &&
	       strstr(d.endpoints[0].body, "\"kind\": \"dog\"") &&
	       !strstr(d.endpoints[0].body, "\"id\""),
	   "no example: a body skeleton from the schema (examples, enums; readOnly left out; a "
	   "circular schema ends)");
	rc = parse(IMPORT_OPENAPI, "{\"swagger\":\"2.0\",\"paths\":{}}", &d, &e);
	ok(rc == IMPORT_EVERSION && strstr(e.message, "Swagger 2.0"), "Swagger 2.0 is refused");
	rc = parse(IMPORT_OPENAPI, "openapi: 4.0.0\npaths: {}\n", &d, &e);
	ok(rc == IMPORT_EVERSION && strstr(e.message, "openapi"),
	   "an unknown version is refused: %s", e.message);
	rc = parse(IMPORT_OPENAPI, "{\n  \"openapi\": \"3.0.0\",\n  \"paths\": {,}\n}", &d, &e);
	ok(rc == IMPORT_ESYNTAX && e.line == 3, "malformed JSON names its line (%s)", e.message);
	rc = parse(IMPORT_OPENAPI, "openapi: 3.0.0\npaths:\n  /a: [\n", &d, &e);
	ok(rc == IMPORT_ESYNTAX && e.line >= 3 && strstr(e.message, "line"),
	   "malformed YAML names its line (%s)", e.message);
	rc = parse(IMPORT_OPENAPI, "{\"openapi\":\"3.0.0\",\"paths\":{\"/a\":{\"get\":[]}}}", &d,
		   &e);
	ok(rc == IMPORT_EINVALID && strstr(e.message, "paths./a.get"),
	   "a wrong shape names its JSON path (%s)", e.message);
}

static void
test_yaml_bounds(void)
{
	struct import_doc d;
	struct import_error e;
	/* billion laughs: 9 levels of 9 aliases */
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "openapi: 3.0.0\na0: &a0 [\"lol\"]\n");
	for (int i = 1; i < 10; i++) {
		buf_printf(&b, "a%d: &a%d [", i, i);
		for (int k = 0; k < 9; k++)
			buf_printf(&b, "%s*a%d", k ? ", " : "", i - 1);
		buf_puts(&b, "]\n");
	}
	size_t before = A.total;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = import_parse(&A, IMPORT_OPENAPI, b.data, b.len, &d, &e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	ok(rc == IMPORT_ETOOBIG, "a billion-laughs document is refused (%s)", e.message);
	ok(ms < 1000, "within a second (%.1f ms)", ms);
	ok(A.total - before < 65536, "with the arena flat (%zu bytes)", A.total - before);
	buf_free(&b);

	rc = parse(IMPORT_OPENAPI,
		   "openapi: 3.0.0\ninfo: {title: x, version: '1'}\n"
		   "x-base: &b {name: id, in: query}\n"
		   "paths:\n  /a:\n    get:\n      parameters: [*b]\n",
		   &d, &e);
	ok(rc == 0 && d.nendpoints == 1 && d.endpoints[0].nparams == 1,
	   "a few aliases are read as copies");
	/* a fuzzer's find: the anchored node is replaced by a duplicate key, then aliased */
	rc = parse(IMPORT_OPENAPI,
		   "openapi: 3.0.0\ninfo: {title: x, version: '1'}\n"
		   "x-base: &b {name: id, in: query}\nx-base: 2\n"
		   "paths:\n  /a:\n    get:\n      parameters: [*b, *b]\n",
		   &d, &e);
	ok(rc == 0 && d.nendpoints == 1 && d.endpoints[0].nparams >= 1,
	   "an alias to a node a duplicate key replaced still reads the anchored node");
	rc = parse(IMPORT_OPENAPI, "openapi: 3.0.0\npaths: *nope\n", &d, &e);
	ok(rc == IMPORT_ESYNTAX, "an alias with no anchor is refused");
	char *big = malloc(IMPORT_MAX_BYTES + 2);
	memset(big, ' ', IMPORT_MAX_BYTES + 1);
	big[IMPORT_MAX_BYTES + 1] = '\0';
	rc = import_parse(&A, IMPORT_OPENAPI, big, IMPORT_MAX_BYTES + 1, &d, &e);
	ok(rc == IMPORT_ETOOBIG, "past the size cap is refused before parsing");
	free(big);
}

static const char *POSTMAN =
    "{\"info\":{\"name\":\"Shop\",\"schema\":"
    "\"https://schema.getpostman.com/json/collection/v2.1.0/collection.json\"},"
    "\"variable\":[{\"key\":\"baseUrl\",\"value\":\"https://shop.example\"},"
    "{\"key\":\"id\",\"value\":\"5\"}],"
    "\"auth\":{\"type\":\"basic\",\"basic\":[{\"key\":\"username\",\"value\":\"bob\"},"
    "{\"key\":\"password\",\"value\":\"hunter2\"}]},"
    "\"item\":[{\"name\":\"Orders\",\"item\":[{\"name\":\"Get "
    "one\",\"request\":{\"method\":\"GET\","
    "\"header\":[{\"key\":\"Accept\",\"value\":\"application/json\"},"
    "{\"key\":\"X-Off\",\"value\":\"1\",\"disabled\":true}],"
    "\"url\":{\"raw\":\"{{baseUrl}}/orders/{{id}}?full=1\",\"query\":[{\"key\":\"full\","
    "\"value\":\"1\"}]}}},"
    "{\"name\":\"Create\",\"request\":{\"method\":\"POST\",\"url\":\"{{baseUrl}}/orders/:shop\","
    "\"body\":{\"mode\":\"raw\",\"raw\":\"{\\\"sku\\\":\\\"{{sku}}\\\"}\","
    "\"options\":{\"raw\":{\"language\":\"json\"}}}}}]},"
    "{\"name\":\"Ping\",\"request\":\"https://shop.example/ping\"}]}";

static void
test_postman(void)
{
	struct import_doc d;
	struct import_error e;
	int rc = parse(IMPORT_POSTMAN, POSTMAN, &d, &e);
	ok(rc == 0, "a v2.1 collection is read (%s)", e.message);
	ok(d.nendpoints == 3, "three requests");
	is_str(d.endpoints[0].purpose, "Orders / Get one", "folders as purpose prefixes");
	is_str(d.endpoints[0].url, "https://shop.example/orders/{{id}}",
	       "a leading {{baseUrl}} is filled, other variables kept");
	ok(d.endpoints[0].nheaders == 1, "disabled headers are left out");
	ok(d.endpoints[0].nparams == 1, "query rows");
	ok(strstr(d.endpoints[0].sample_data, "\"id\": \"5\"") != NULL,
	   "collection variables into sample data");
	is_str(d.endpoints[1].url, "https://shop.example/orders/{{shop}}", ":path variables");
	ok(strstr(d.endpoints[1].sample_data, "sku") != NULL, "body variables into sample data");
	ok(row(d.endpoints[1].headers, d.endpoints[1].nheaders, "Content-Type") != NULL,
	   "raw JSON body with its Content-Type");
	is_str(d.endpoints[2].method, "GET", "a request given as a URL string");
	ok(d.auth.type == IMPORT_AUTH_BASIC && !strcmp(d.auth.username, "bob"),
	   "collection auth proposes Basic with its user");
	struct json_object *j = import_doc_json(&d);
	ok(!strstr(json_object_to_json_string(j), "hunter2"), "the password is not kept");
	json_object_put(j);
	rc = parse(IMPORT_POSTMAN,
		   "{\"info\":{\"name\":\"x\",\"schema\":\"https://schema.getpostman.com/json/"
		   "collection/v1.0.0/collection.json\"},\"item\":[]}",
		   &d, &e);
	ok(rc == IMPORT_EVERSION, "v1 is refused");
}

/* export → import → export gives the same document */
static void
test_round_trip(void)
{
	struct import_doc d;
	struct import_error e;
	int rc = parse(IMPORT_OPENAPI, PETS_YAML, &d, &e);
	ok(rc == 0, "source read");
	d.title = "Pets";
	struct json_object *x1 = export_openapi(&A, &d);
	const char *s1 = arena_strdup(&A, json_object_to_json_string(x1));
	struct import_doc d2;
	rc = parse(IMPORT_OPENAPI, s1, &d2, &e);
	ok(rc == 0, "the exported OpenAPI imports (%s)", e.message);
	struct json_object *x2 = export_openapi(&A, &d2);
	is_str(json_object_to_json_string(x2), s1, "OpenAPI export → import → export is stable");
	json_object_put(x1);
	json_object_put(x2);

	x1 = export_postman(&A, &d);
	s1 = arena_strdup(&A, json_object_to_json_string(x1));
	rc = parse(IMPORT_POSTMAN, s1, &d2, &e);
	ok(rc == 0 && d2.nendpoints == d.nendpoints, "the exported collection imports (%s)",
	   e.message);
	x2 = export_postman(&A, &d2);
	is_str(json_object_to_json_string(x2), s1, "Postman export → import → export is stable");
	json_object_put(x1);
	json_object_put(x2);
}

/* folders out as folders, and back as the same purposes */
static void
test_postman_folders(void)
{
	struct import_doc d, d2;
	struct import_error e;
	int rc = parse(IMPORT_POSTMAN, POSTMAN, &d, &e);
	struct json_object *x1 = export_postman(&A, &d);
	struct json_object *items = json_object_object_get(x1, "item");
	struct json_object *f0 = json_object_array_get_idx(items, 0);
	ok(rc == 0 && json_object_array_length(items) == 2 &&
	       !strcmp(json_object_get_string(json_object_object_get(f0, "name")), "Orders") &&
	       json_object_array_length(json_object_object_get(f0, "item")) == 2,
	   "\"Orders / …\" purposes are exported in the folder Orders");
	const char *s1 = arena_strdup(&A, json_object_to_json_string(x1));
	rc = parse(IMPORT_POSTMAN, s1, &d2, &e);
	ok(rc == 0 && d2.nendpoints == 3 && !strcmp(d2.endpoints[1].purpose, "Orders / Create"),
	   "and imported back as the same purposes");
	struct json_object *x2 = export_postman(&A, &d2);
	is_str(json_object_to_json_string(x2), s1,
	       "with folders, export → import → export is stable");
	json_object_put(x1);
	json_object_put(x2);
}

int
main(void)
{
	arena_init(&A, 65536);
	test_curl();
	test_openapi();
	test_yaml_bounds();
	test_postman();
	test_round_trip();
	test_postman_folders();
	arena_free(&A);
	return tap_done();
}
