/* The detail of one run, as an execution-log row keeps it (sql/020) and its page and the
 * API show it: the request as sent with secrets masked, the data it was rendered over, the
 * response status, headers and timings, the runtime's mapping and pages, and the error in
 * plain words. One builder for a Test's row (src/web/log_detail.c) and an API call's rows
 * (src/connector/run.c), so both open the same page. */
#include <json-c/json.h>
#include <string.h>
#include <strings.h>

#include "../core/names.h"
#include "../http/http.h"
#include "connector.h"

static void
put_str(struct json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, s ? json_object_new_string(s) : NULL);
}

static void
put_int(struct json_object *o, const char *key, long long v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static void
put_bool(struct json_object *o, const char *key, int v)
{
	json_object_object_add(o, key, json_object_new_boolean(v));
}

static struct json_object *
detail_headers(const struct outbound_header *h, size_t n)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		put_str(o, "name", h[i].name);
		put_str(o, "value", h[i].value);
		json_object_array_add(arr, o);
	}
	return arr;
}

static const char *
detail_ms(struct arena *a, double ms)
{
	return arena_printf(a, "%.1f ms", ms);
}

const char *
connector_body_text(struct arena *a, const struct outbound_response *r, int *is_json, int *binary)
{
	const char *type = NULL;
	*is_json = *binary = 0;
	for (size_t i = 0; i < r->nheaders; i++)
		if (r->headers[i].name && !strcasecmp(r->headers[i].name, "Content-Type"))
			type = r->headers[i].value;
	if (!r->body || !r->body_len)
		return NULL;
	const char *p = r->body + strspn(r->body, " \t\r\n");
	struct json_object *parsed = NULL;
	if (!r->truncated && ((type && strcasestr(type, "json")) || *p == '{' || *p == '[') &&
	    (parsed = json_tokener_parse(r->body)) != NULL) {
		const char *s =
		    arena_strdup(a, json_object_to_json_string_ext(
					parsed, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(parsed);
		*is_json = 1;
		return s;
	}
	if (http_utf8_valid(r->body, r->body_len) && strlen(r->body) == r->body_len)
		return r->body;
	*binary = 1;
	return NULL;
}

const char *
connector_body_cap(struct arena *a, const char *s, size_t cap)
{
	size_t n = s ? strlen(s) : 0;
	if (!s || n <= cap)
		return s;
	while (cap > 0 && ((unsigned char)s[cap] & 0xC0) == 0x80)
		cap--;
	return arena_printf(a, "%.*s\n[cut at %zu bytes when kept]", (int)cap, s, cap);
}

/* The runtime's part: the mapped data (with_mapping), notes on pointers that matched
 * nothing, pages fetched and attempts, and an error status of the endpoint. */
static void
detail_runtime(struct arena *a, const struct connector_run_out *t, int with_mapping,
	       struct json_object *d)
{
	struct json_object *notes = json_object_new_array();
	for (size_t i = 0; i < t->nnotes; i++)
		json_object_array_add(notes, json_object_new_string(t->notes[i]));
	put_bool(d, "has_notes", t->nnotes > 0);
	json_object_object_add(d, "notes", notes);
	if (t->sent && t->resp.err == OUT_OK) {
		if (with_mapping)
			put_str(d, "mapped",
				t->data ? arena_strdup(
					      a, json_object_to_json_string_ext(
						     t->data, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_SPACED |
								  JSON_C_TO_STRING_NOSLASHESCAPE))
					: "null");
		put_int(d, "pages", t->pages);
		put_int(d, "attempts", t->attempts);
		put_bool(d, "retried", t->attempts > 1);
	}
	if (t->error_status)
		put_str(
		    d, "error_status",
		    arena_printf(a,
				 "%ld is one of this endpoint's error statuses: execute answers "
				 "502 for it.",
				 t->resp.status));
}

static struct json_object *
detail_request(const struct connector_run_out *t)
{
	struct json_object *rq = json_object_new_object();
	put_str(rq, "method", t->shown.method);
	put_str(rq, "url", t->shown.url);
	json_object_object_add(rq, "headers", detail_headers(t->shown.headers, t->shown.nheaders));
	put_bool(rq, "has_headers", t->shown.nheaders > 0);
	put_bool(rq, "has_body", t->shown.body != NULL);
	if (t->curl)
		put_str(rq, "curl", t->curl);
	put_bool(rq, "verify_tls", t->shown.verify_tls);
	return rq;
}

static struct json_object *
detail_response(struct arena *a, size_t max_response, const struct connector_run_out *t)
{
	const struct outbound_response *r = &t->resp;
	struct json_object *rs = json_object_new_object(), *tm = json_object_new_object();
	int is_json, binary;
	connector_body_text(a, r, &is_json, &binary);
	put_int(rs, "status", r->status);
	put_str(rs, "reason", r->reason ? r->reason : "");
	put_bool(rs, "success", r->status >= 200 && r->status < 300);
	put_str(tm, "dns", detail_ms(a, r->t.dns_ms));
	put_str(tm, "connect", detail_ms(a, r->t.connect_ms));
	put_str(tm, "tls", detail_ms(a, r->t.tls_ms));
	put_str(tm, "first_byte", detail_ms(a, r->t.first_byte_ms));
	put_str(tm, "total", detail_ms(a, r->t.total_ms));
	json_object_object_add(rs, "timings", tm);
	put_int(rs, "size", r->size);
	json_object_object_add(rs, "headers", detail_headers(r->headers, r->nheaders));
	if (r->redirects > 0) {
		put_int(rs, "redirects", r->redirects);
		put_str(rs, "effective_url", t->effective_url);
	}
	if (r->truncated)
		put_str(rs, "truncated",
			arena_printf(a,
				     "The response was cut at %zu bytes (the server's limit); it "
				     "had %lld bytes.",
				     max_response, r->size));
	put_bool(rs, "is_json", is_json);
	if (binary)
		put_str(rs, "binary", arena_printf(a, "%zu bytes that are not text", r->body_len));
	return rs;
}

struct json_object *
connector_detail_json(struct arena *a, size_t max_response, const struct connector_run_out *t,
		      const char *kind, const char *data_text, int with_mapping)
{
	struct json_object *d = json_object_new_object();
	put_str(d, "connector_name", t->connector_name);
	put_str(d, "purpose", t->purpose);
	put_str(d, "auth_label", auth_type_labels[t->auth_type]);
	put_str(d, "data", data_text);
	put_str(d, "environment",
		!strcmp(kind, "test") ? "Test: the endpoint's sample data"
				      : "API call: the caller's data");
	detail_runtime(a, t, with_mapping, d);
	if (t->shown.method && t->shown.url)
		json_object_object_add(d, "request", detail_request(t));
	if (t->sent && t->resp.err == OUT_OK)
		json_object_object_add(d, "response", detail_response(a, max_response, t));
	if (t->error) {
		put_str(d, "error", t->error);
		put_str(d, "error_code", t->error_code ? t->error_code : "");
		put_bool(d, "budget", strstr(t->error, OUTBOUND_MSG_BUDGET) != NULL);
	}
	return d;
}
