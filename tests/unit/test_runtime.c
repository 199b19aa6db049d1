/* Unit tests for the connector runtime's pure parts: RFC 6901 JSON Pointers and the response
 * mapping (src/connector/mapping.c), error status lists, retry decisions, Retry-After,
 * backoff, Link headers and paging parameters (src/outbound/retry.c), the rate limit's
 * token bucket (src/outbound/rate.c), bodies from rows (src/outbound/body.c) and the sealing
 * contexts of an environment's secrets (src/connector/secrets.c). */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "connector/connector.h"
#include "outbound/outbound.h"
#include "tap.h"

static void
test_pointer(void)
{
	struct json_object *doc =
	    json_tokener_parse("{\"foo\":[\"bar\",\"baz\"],\"\":0,\"a/"
			       "b\":1,\"m~n\":8,\"n\":null,\"d\":{\"e\":{\"f\":5}}}");
	int found = 0;
	struct json_object *v;
	ok(connector_pointer_valid(""), "\"\" is a pointer");
	ok(connector_pointer_valid("/a~0b~1c"), "escapes ~0 ~1");
	ok(!connector_pointer_valid("a"), "a pointer starts with /");
	ok(!connector_pointer_valid("/a~2"), "~2 is no escape");
	v = connector_pointer_get(doc, "", &found);
	ok(found && v == doc, "\"\" is the whole document");
	v = connector_pointer_get(doc, "/foo/1", &found);
	is_str(found ? json_object_get_string(v) : "", "baz", "/foo/1");
	v = connector_pointer_get(doc, "/a~1b", &found);
	ok(found && json_object_get_int(v) == 1, "/a~1b is key a/b");
	v = connector_pointer_get(doc, "/m~0n", &found);
	ok(found && json_object_get_int(v) == 8, "/m~0n is key m~n");
	v = connector_pointer_get(doc, "/", &found);
	ok(found && json_object_get_int(v) == 0, "/ is the empty key");
	v = connector_pointer_get(doc, "/d/e/f", &found);
	ok(found && json_object_get_int(v) == 5, "nested objects");
	v = connector_pointer_get(doc, "/n", &found);
	ok(found && v == NULL, "a JSON null is found");
	connector_pointer_get(doc, "/foo/2", &found);
	ok(!found, "past the array's end matches nothing");
	connector_pointer_get(doc, "/foo/01", &found);
	ok(!found, "a leading zero is no index");
	connector_pointer_get(doc, "/foo/-", &found);
	ok(!found, "- matches nothing");
	connector_pointer_get(doc, "/x/y", &found);
	ok(!found, "a missing member matches nothing");
	json_object_put(doc);
}

static void
test_map(struct arena *a)
{
	struct json_object *doc = json_tokener_parse(
	    "{\"data\":{\"items\":[{\"id\":1,\"user\":{\"name\":\"ann\"}},{\"id\":2}]},"
	    "\"meta\":{\"total\":2}}");
	struct endpoint_row maps[] = {{"key", "/id", NULL, 0}, {"who", "/user/name", NULL, 0}};
	struct connector_mapped m;
	ok(connector_map(a, doc, "/data/items", maps, 2, &m) == 0, "maps an array root");
	ok(m.is_array && json_object_array_length(m.data) == 2, "one object per item");
	is_str(json_object_to_json_string_ext(m.data, JSON_C_TO_STRING_PLAIN),
	       "[{\"key\":1,\"who\":\"ann\"},{\"key\":2,\"who\":null}]",
	       "each pointer relative to its item; a miss is null");
	ok(m.nnotes == 1 && strstr(m.notes[0], "/user/name") && strstr(m.notes[0], "1 of 2"),
	   "a note names the pointer that matched nothing: %s", m.nnotes ? m.notes[0] : "");
	json_object_put(m.data);

	struct endpoint_row one[] = {{"total", "/meta/total", NULL, 0}, {"gone", "/nope", NULL, 0}};
	ok(connector_map(a, doc, "", one, 2, &m) == 0 && !m.is_array, "maps an object root");
	is_str(json_object_to_json_string_ext(m.data, JSON_C_TO_STRING_PLAIN),
	       "{\"total\":2,\"gone\":null}", "pointers relative to the root");
	ok(m.nnotes == 1 && strstr(m.notes[0], "/nope"), "a note for /nope");
	json_object_put(m.data);

	ok(connector_map(a, doc, "/meta", NULL, 0, &m) == 0, "no rows");
	is_str(json_object_to_json_string_ext(m.data, JSON_C_TO_STRING_PLAIN), "{\"total\":2}",
	       "without rows the data is the root");
	json_object_put(m.data);

	ok(connector_map(a, doc, "/missing", one, 2, &m) == 0 && m.data == NULL && m.nnotes == 1,
	   "a root that matches nothing: no data and a note");
	json_object_put(doc);
}

static void
test_statuses(void)
{
	ok(outbound_status_list_valid("400-599"), "400-599");
	ok(outbound_status_list_valid("302, 400-499,500"), "a list");
	ok(outbound_status_list_valid(""), "empty names none");
	ok(!outbound_status_list_valid("abc"), "not numbers");
	ok(!outbound_status_list_valid("500-400"), "a backwards range");
	ok(!outbound_status_list_valid("99"), "below 100");
	ok(!outbound_status_list_valid("400-600"), "past 599");
	ok(outbound_status_listed("400-599", 404), "404 in 400-599");
	ok(!outbound_status_listed("400-599", 200), "200 not in 400-599");
	ok(outbound_status_listed("302, 500", 302), "302 listed");
	ok(!outbound_status_listed("", 500), "none listed");
}

static void
test_retry(void)
{
	struct outbound_response r;
	memset(&r, 0, sizeof(r));
	long codes[] = {429, 502, 503, 504};
	for (size_t i = 0; i < 4; i++) {
		r.status = codes[i];
		ok(outbound_retryable(&r), "%ld is retried", codes[i]);
	}
	r.status = 500;
	ok(!outbound_retryable(&r), "500 is not");
	r.status = 0;
	r.err = OUT_EREFUSED;
	ok(outbound_retryable(&r), "connection refused is retried");
	r.err = OUT_ETIMEOUT;
	ok(!outbound_retryable(&r), "a total timeout is not");
	r.err = OUT_EDENIED;
	ok(!outbound_retryable(&r), "a denied address is not");

	ok(outbound_retry_after_ms("2", 0) == 2000, "Retry-After: 2");
	ok(outbound_retry_after_ms(" 0 ", 0) == 0, "Retry-After: 0");
	ok(outbound_retry_after_ms(NULL, 0) == -1, "none");
	ok(outbound_retry_after_ms("soon", 0) == -1, "not a number or date");
	ok(outbound_retry_after_ms("Thu, 01 Jan 1970 00:00:10 GMT", 4) == 6000,
	   "an HTTP date 6 s ahead");
	ok(outbound_retry_after_ms("Thu, 01 Jan 1970 00:00:10 GMT", 20) == 0, "a date past");

	long w0 = outbound_backoff_ms(500, 0, 0), w0max = outbound_backoff_ms(500, 0, 250);
	ok(w0 == 250 && w0max == 500, "first wait between 250 and 500 ms (%ld, %ld)", w0, w0max);
	long w2 = outbound_backoff_ms(500, 2, 12345);
	ok(w2 >= 1000 && w2 <= 2000, "third wait between 1 and 2 s (%ld)", w2);
	ok(outbound_backoff_ms(500, 30, 7) <= 60000, "capped at 60 s");
	ok(outbound_backoff_ms(0, 3, 7) == 0, "no backoff");
}

static void
test_link(struct arena *a)
{
	is_str(outbound_link_next(a, "<http://x/items?_page=1>; rel=\"first\", "
				     "<http://x/items?_page=2>; rel=\"next\", "
				     "<http://x/items?_page=5>; rel=\"last\""),
	       "http://x/items?_page=2", "json-server's Link");
	is_str(outbound_link_next(a, "</p/3>; rel=next"), "/p/3", "rel without quotes");
	is_str(outbound_link_next(a, "<a>; title=\"x, y\"; rel=\"prev next\""), "a",
	       "rel with two types and a comma inside quotes");
	ok(outbound_link_next(a, "<a>; rel=\"prev\"") == NULL, "no next");
	ok(outbound_link_next(a, "") == NULL, "empty");
	is_str(outbound_url_set_param(a, "http://x/i?a=1&page=3&b=2", "page", "4"),
	       "http://x/i?a=1&b=2&page=4", "replaces the parameter");
	is_str(outbound_url_set_param(a, "http://x/i", "c d", "a&b"), "http://x/i?c%20d=a%26b",
	       "adds the first, encoded");
	is_str(outbound_url_set_param(a, "http://x/i?#frag", "p", "1"), "http://x/i?p=1#frag",
	       "before the fragment");
}

static double
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void
test_rate(void)
{
	struct outbound_config oc;
	long after = 0;
	memset(&oc, 0, sizeof(oc));
	oc.queue_timeout_ms = 150;
	double t0 = now_ms();
	int rc0 = outbound_rate_take(&oc, 7, 20, &after);
	int rc1 = outbound_rate_take(&oc, 7, 20, &after);
	int rc2 = outbound_rate_take(&oc, 7, 20, &after);
	double took = now_ms() - t0;
	ok(rc0 == OUT_OK && rc1 == OUT_OK && rc2 == OUT_OK, "three calls at 20/s");
	ok(took >= 95, "they took at least 2 gaps of 50 ms (%.1f ms)", took);
	ok(outbound_rate_take(&oc, 8, 20, &after) == OUT_OK, "another connector has its own");
	oc.queue_timeout_ms = 10;
	outbound_rate_take(&oc, 9, 1, &after);
	ok(outbound_rate_take(&oc, 9, 1, &after) == OUT_EBUSY && after >= 1,
	   "refused past the queue timeout, retry after %ld s", after);
	ok(outbound_rate_take(&oc, 9, 0, &after) == OUT_OK, "no limit");

	/* The fallback's warning: once per interval per connector, with the calls held back. */
	long held = -1;
	ok(outbound_rate_warn_due(7, 80, &held) == 1 && held == 0, "the first fallback warns");
	ok(outbound_rate_warn_due(7, 80, &held) == 0 && outbound_rate_warn_due(7, 80, &held) == 0,
	   "the next two inside the interval do not");
	ok(outbound_rate_warn_due(10, 80, &held) == 1, "another connector warns on its own");
	struct timespec ts = {0, 90 * 1000000L};
	nanosleep(&ts, NULL);
	ok(outbound_rate_warn_due(7, 80, &held) == 1 && held == 2,
	   "after the interval it warns again, counting the 2 held back (%ld)", held);
}

static void
test_bodies(struct arena *a)
{
	const char *names[] = {"a b", "q"}, *vals[] = {"x&y=z", "ü +"};
	is_str(outbound_form_body(a, names, vals, 2), "a+b=x%26y%3Dz&q=%C3%BC+%2B",
	       "form rows escaped for form-urlencoded");
	const char *type = NULL, *body = NULL, *msg = NULL;
	size_t len = 0;
	const char *mn[] = {"note", "x"}, *mv[] = {"line1\r\nline2", "{\"json\": true}"};
	ok(outbound_multipart_body(a, mn, mv, 2, &type, &body, &len, &msg) == OUT_OK, "multipart");
	ok(type && !strncmp(type, "multipart/form-data; boundary=----dcgate", 40), "type %s", type);
	const char *bnd = type ? strstr(type, "boundary=") + 9 : "";
	char want[512];
	snprintf(want, sizeof(want),
		 "--%s\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nline1\r\nline2\r\n"
		 "--%s\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n{\"json\": true}\r\n"
		 "--%s--\r\n",
		 bnd, bnd, bnd);
	is_str(body, want, "multipart body");
	ok(len == strlen(want), "its length");
	const char *bad[] = {"a\"b"};
	ok(outbound_multipart_body(a, bad, vals, 1, &type, &body, &len, &msg) == OUT_ETEMPLATE &&
	       msg,
	   "a quote in a field name is refused");
}

/* An environment's sealed values open only under their own connector, environment key and
 * field (or variable name): copied anywhere else they do not. */
static void
test_env_secrets(struct arena *a)
{
	struct crypt_keyring kr;
	memset(&kr, 0, sizeof(kr));
	kr.count = 1;
	memcpy(kr.keys[0].id, "0123456789abcdef", 17);
	for (int i = 0; i < CRYPT_KEY_LEN; i++)
		kr.keys[0].key[i] = (uint8_t)(i * 7 + 3);
	const char *k1 = connector_env_new_key(a), *k2 = connector_env_new_key(a);
	ok(k1 && strlen(k1) == 32 && strspn(k1, "0123456789abcdef") == 32, "a key of 32 hex");
	ok(k1 && k2 && strcmp(k1, k2) != 0, "a new key each time");
	char *sealed = NULL, *plain = NULL;
	size_t len = 0;
	ok(connector_env_secret_seal(&kr, a, 7, k1, CONNECTOR_SECRET_TOKEN, "tok-1", 5, &sealed) ==
	       CRYPT_OK,
	   "a token sealed");
	ok(connector_env_secret_open(&kr, a, 7, k1, CONNECTOR_SECRET_TOKEN, sealed, &plain, &len) ==
		   CRYPT_OK &&
	       plain && len == 5 && !memcmp(plain, "tok-1", 5),
	   "and opened");
	ok(connector_env_secret_open(&kr, a, 7, k2, CONNECTOR_SECRET_TOKEN, sealed, &plain, &len) !=
	       CRYPT_OK,
	   "not under another environment");
	ok(connector_env_secret_open(&kr, a, 8, k1, CONNECTOR_SECRET_TOKEN, sealed, &plain, &len) !=
	       CRYPT_OK,
	   "not under another connector");
	ok(connector_env_secret_open(&kr, a, 7, k1, CONNECTOR_SECRET_PASSWORD, sealed, &plain,
				     &len) != CRYPT_OK,
	   "not as another field");
	ok(connector_secret_open(&kr, a, 7, CONNECTOR_SECRET_TOKEN, sealed, &plain, &len) !=
	       CRYPT_OK,
	   "not as the connector's own token");
	ok(connector_env_variable_seal(&kr, a, 7, k1, "sig", "v-1", 3, &sealed) == CRYPT_OK,
	   "a variable sealed");
	ok(connector_env_variable_open(&kr, a, 7, k1, "sig", sealed, &plain, &len) == CRYPT_OK &&
	       plain && !strcmp(plain, "v-1"),
	   "and opened");
	ok(connector_env_variable_open(&kr, a, 7, k1, "other", sealed, &plain, &len) != CRYPT_OK,
	   "not under another name");
	ok(connector_variable_open(&kr, a, 7, "sig", sealed, &plain, &len) != CRYPT_OK,
	   "not as the connector's sealed variable");
	ok(connector_env_secret_seal(&kr, a, 7, "not-hex!", CONNECTOR_SECRET_TOKEN, "x", 1,
				     &sealed) != CRYPT_OK,
	   "a key that is not hex is refused");
	ok(connector_env_variable_open(&kr, a, 7, k1, "sig", NULL, &plain, &len) == CRYPT_OK &&
	       !plain,
	   "no value (NULL) is no secret");
}

int
main(void)
{
	struct arena a;
	arena_init(&a, 0);
	test_pointer();
	test_map(&a);
	test_statuses();
	test_retry();
	test_link(&a);
	test_rate();
	test_bodies(&a);
	test_env_secrets(&a);
	arena_free(&a);
	return tap_done();
}
