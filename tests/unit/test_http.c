/* Unit tests for src/http: decoding, form/query/cookie parsing with limits, requests built
 * from a CGI environment, response serialization, and a random-input loop. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "tap.h"

static struct arena A;

/* Small limits so every boundary is easy to reach. */
static const struct http_limits small = {
    .max_body = 64,
    .max_fields = 4,
    .max_field = 8,
    .max_name = 6,
};

static int
form(const char *s, struct http_kvlist *l)
{
	return http_parse_urlencoded(&A, s, strlen(s), NULL, l);
}

static int
form_small(const char *s, struct http_kvlist *l)
{
	return http_parse_urlencoded(&A, s, strlen(s), &small, l);
}

static const char *
decode(const char *s, int plus, size_t *len)
{
	return http_url_decode(&A, s, strlen(s), plus, len);
}

static void
test_url_decode(void)
{
	size_t n = 99;
	is_str(decode("a%20b+c", 1, &n), "a b c", "decode: %%20 and + as space");
	ok(n == 5, "decode: length 5");
	is_str(decode("a%20b+c", 0, NULL), "a b+c", "decode: + kept outside forms");
	is_str(decode("%2B%2b", 1, NULL), "++", "decode: %%2B and %%2b are '+'");
	is_str(decode("%41%42c", 1, NULL), "ABc", "decode: hex upper");
	is_str(decode("", 1, &n), "", "decode: empty string");
	ok(n == 0, "decode: empty length 0");
	ok(decode("%zz", 1, NULL) == NULL, "decode: %%zz refused");
	ok(decode("ab%4", 1, NULL) == NULL, "decode: truncated %%4 refused");
	ok(decode("ab%", 1, NULL) == NULL, "decode: lone %% refused");
	ok(decode("%g0", 1, NULL) == NULL, "decode: %%g0 refused");
	const char *z = decode("x%00y", 1, &n);
	ok(z && n == 3 && z[0] == 'x' && z[1] == '\0' && z[2] == 'y',
	   "decode: %%00 kept, length 3");
	ok(http_url_decode(&A, NULL, 0, 1, &n) && n == 0, "decode: NULL with length 0 is empty");
}

static void
test_form_basic(void)
{
	struct http_kvlist l;
	ok(form("a=1&b=2", &l) == HTTP_OK && l.count == 2, "form: two pairs");
	is_str(http_kv_get(&l, "a"), "1", "form: a=1");
	is_str(http_kv_get(&l, "b"), "2", "form: b=2");
	ok(http_kv_get(&l, "c") == NULL, "form: missing name is NULL");
	ok(http_kv_get(NULL, "a") == NULL, "form: NULL list is NULL");

	ok(form("q=a+b%2Bc", &l) == HTTP_OK, "form: plus and %%2B");
	is_str(http_kv_get(&l, "q"), "a b+c", "form: '+' is space, %%2B is '+'");
	ok(form("a+b=1", &l) == HTTP_OK, "form: plus in name");
	is_str(l.items[0].name, "a b", "form: name decoded too");

	ok(form("a=", &l) == HTTP_OK && l.count == 1, "form: empty value");
	is_str(http_kv_get(&l, "a"), "", "form: empty value is \"\"");
	ok(l.items[0].value_len == 0, "form: empty value length 0");
	ok(form("flag", &l) == HTTP_OK && l.count == 1, "form: no '='");
	is_str(http_kv_get(&l, "flag"), "", "form: no '=' gives empty value");
	ok(form("a=1&", &l) == HTTP_OK && l.count == 1, "form: trailing '&'");
	ok(form("&a=1", &l) == HTTP_OK && l.count == 1, "form: leading '&'");
	ok(form("a=1&&b=2", &l) == HTTP_OK && l.count == 2, "form: empty pair skipped");
	ok(form("&&&", &l) == HTTP_OK && l.count == 0, "form: only separators");
	ok(form("", &l) == HTTP_OK && l.count == 0 && l.items == NULL, "form: empty input");
	ok(http_parse_urlencoded(&A, NULL, 0, NULL, &l) == HTTP_OK && l.count == 0,
	   "form: NULL input");
	ok(form("a=b=c", &l) == HTTP_OK, "form: '=' in value");
	is_str(http_kv_get(&l, "a"), "b=c", "form: value keeps later '='");
	ok(form("=x", &l) == HTTP_OK && l.count == 1, "form: empty name kept");
	is_str(http_kv_get(&l, ""), "x", "form: empty name value");
	ok(form("a=1;b=2", &l) == HTTP_OK && l.count == 1, "form: ';' is not a separator");
	is_str(http_kv_get(&l, "a"), "1;b=2", "form: ';' stays in the value");
	ok(form("x=%3Cscript%3E", &l) == HTTP_OK, "form: encoded markup");
	is_str(http_kv_get(&l, "x"), "<script>", "form: decoded as plain bytes");
}

static void
test_form_repeated(void)
{
	struct http_kvlist l;
	const char **vals;
	ok(form("name=x&category_ids=1&category_ids=2&category_ids=17", &l) == HTTP_OK,
	   "repeated: parsed");
	is_str(http_kv_get(&l, "category_ids"), "1", "repeated: get returns the first");
	size_t n = http_kv_get_all(&A, &l, "category_ids", &vals);
	ok(n == 3, "repeated: get_all finds 3");
	is_str(vals[0], "1", "repeated: first");
	is_str(vals[1], "2", "repeated: second");
	is_str(vals[2], "17", "repeated: third");
	ok(vals[3] == NULL, "repeated: NULL-terminated");
	n = http_kv_get_all(&A, &l, "missing", &vals);
	ok(n == 0 && vals && vals[0] == NULL, "repeated: none gives an empty array");
	n = http_kv_get_all(&A, NULL, "x", &vals);
	ok(n == 0 && vals && vals[0] == NULL, "repeated: NULL list gives an empty array");
}

static void
test_form_indexes(void)
{
	struct http_kvlist l;
	long *idx;
	const char *s = "header[0][key]=a&header[3][key]=b&header[0][value]=c&header[10][key]=d"
			"&param[2][key]=x&header[x][key]=1&header[03][key]=1&header[-1][key]=1"
			"&header[5]=1&header[1234567890][key]=1&headers[7][key]=1&header[][key]=1"
			"&header[3][value]=e&header[999999999][key]=big&header[+4][key]=1";
	ok(form(s, &l) == HTTP_OK, "indexes: parsed");
	size_t n = http_kv_indexes(&A, &l, "header", &idx);
	ok(n == 4, "indexes: 4 distinct canonical indexes (got %zu)", n);
	ok(n == 4 && idx[0] == 0 && idx[1] == 3 && idx[2] == 10 && idx[3] == 999999999,
	   "indexes: order of first appearance");
	n = http_kv_indexes(&A, &l, "param", &idx);
	ok(n == 1 && idx[0] == 2, "indexes: param prefix");
	n = http_kv_indexes(&A, &l, "nothing", &idx);
	ok(n == 0, "indexes: unknown prefix");
	ok(form("header%5B2%5D%5Bkey%5D=v", &l) == HTTP_OK, "indexes: encoded brackets");
	n = http_kv_indexes(&A, &l, "header", &idx);
	ok(n == 1 && idx[0] == 2, "indexes: found after decoding");
	ok(http_kv_indexes(&A, NULL, "header", &idx) == 0, "indexes: NULL list");

	/* Many rows, each with several keys: dedup must hold under collisions. */
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < 300; i++)
		buf_printf(&b, "header[%d][key]=k&header[%d][value]=v&", (i * 7919) % 1000,
			   i % 1000);
	ok(http_parse_urlencoded(&A, b.data, b.len, NULL, &l) == HTTP_OK, "indexes: 600 fields");
	n = http_kv_indexes(&A, &l, "header", &idx);
	int dup = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			dup |= idx[i] == idx[j];
	ok(n > 300 && !dup, "indexes: %zu distinct, no duplicates", n);
	buf_free(&b);
}

static void
test_form_errors(void)
{
	struct http_kvlist l;
	ok(form("a=%zz", &l) == HTTP_EBADENC, "errors: %%zz in value");
	ok(form("a=%4", &l) == HTTP_EBADENC, "errors: truncated %%4");
	ok(form("a=%", &l) == HTTP_EBADENC, "errors: lone %%");
	ok(form("%zz=1", &l) == HTTP_EBADENC, "errors: %%zz in name");
	ok(form("ok=1&b=%4&c=2", &l) == HTTP_EBADENC, "errors: %%4 before '&'");

	ok(form_small("a=12345678", &l) == HTTP_OK, "limits: value of exactly max_field");
	ok(form_small("a=123456789", &l) == HTTP_ETOOLONG, "limits: value over max_field");
	ok(form_small("a=%41%41%41%41%41%41%41%41", &l) == HTTP_OK,
	   "limits: encoded value decodes to max_field");
	ok(form_small("a=%41%41%41%41%41%41%41%41%41", &l) == HTTP_ETOOLONG,
	   "limits: encoded value over max_field");
	ok(form_small("abcdef=1", &l) == HTTP_OK, "limits: name of exactly max_name");
	ok(form_small("abcdefg=1", &l) == HTTP_ETOOLONG, "limits: name over max_name");
	ok(form_small("abcdefg", &l) == HTTP_ETOOLONG, "limits: bare name over max_name");
	ok(form_small("a=1&b=2&c=3&d=4", &l) == HTTP_OK && l.count == 4, "limits: max_fields ok");
	ok(form_small("a=1&b=2&c=3&d=4&e=5", &l) == HTTP_ETOOMANY, "limits: one field too many");
	ok(form_small("a&&b&&c&&d&&&", &l) == HTTP_OK, "limits: empty pairs do not count");
	ok(form_small("&&&&&&&&&&&&&&&&&&&&", &l) == HTTP_OK, "limits: separators only");

	struct buf big;
	buf_init(&big);
	for (int i = 0; i < 3000; i++)
		buf_puts(&big, "x=1&");
	ok(http_parse_urlencoded(&A, big.data, big.len, NULL, &l) == HTTP_ETOOMANY,
	   "limits: 3000 fields over the default 2000");
	buf_reset(&big);
	buf_puts(&big, "v=");
	for (int i = 0; i < 300000; i++)
		buf_putc(&big, 'a');
	ok(http_parse_urlencoded(&A, big.data, big.len, NULL, &l) == HTTP_ETOOLONG,
	   "limits: 300000-byte value over the default");
	buf_free(&big);

	ok(http_err_status(HTTP_EBADENC) == 400, "status: EBADENC is 400");
	ok(http_err_status(HTTP_ETOOMANY) == 413, "status: ETOOMANY is 413");
	ok(http_err_status(HTTP_ETOOLONG) == 413, "status: ETOOLONG is 413");
	ok(http_err_status(HTTP_ETOOBIG) == 413, "status: ETOOBIG is 413");
	ok(http_err_status(HTTP_ENOMEM) == 500, "status: ENOMEM is 500");
	ok(http_err_status(HTTP_EIO) == 500, "status: EIO is 500");
	ok(http_err_status(-42) == 500, "status: unknown is 500");
	int all_named = 1;
	for (int e = HTTP_EIO; e <= HTTP_OK; e++)
		all_named &= strcmp(http_strerror(e), "unknown error") != 0;
	ok(all_named, "strerror: every error has a message");
	is_str(http_strerror(-99), "unknown error", "strerror: unknown code");
}

static void
test_form_nul_utf8(void)
{
	struct http_kvlist l;
	ok(form("a=x%00y", &l) == HTTP_OK, "nul: %%00 in value accepted");
	ok(l.items[0].value_len == 3 && l.items[0].value[1] == '\0' && l.items[0].value[2] == 'y',
	   "nul: value_len counts past the NUL");
	ok(form("a%00b=1", &l) == HTTP_EBADENC, "nul: %%00 in name refused");
	ok(http_parse_urlencoded(&A, "a=x\0y&b=2", 9, NULL, &l) == HTTP_OK && l.count == 2,
	   "nul: raw NUL inside the value bytes");
	ok(l.items[0].value_len == 3, "nul: raw NUL keeps value_len");
	ok(http_parse_urlencoded(&A, "a\0b=1", 5, NULL, &l) == HTTP_EBADENC,
	   "nul: raw NUL in name");

	ok(form("a=%C3%A9t%C3%A9", &l) == HTTP_OK, "utf8: é accepted");
	is_str(http_kv_get(&l, "a"), "\xc3\xa9t\xc3\xa9", "utf8: été");
	ok(form("a=%F0%9F%98%80", &l) == HTTP_OK, "utf8: 4-byte emoji");
	ok(form("a=%E2%82%AC", &l) == HTTP_OK, "utf8: euro sign");
	ok(form("a=%C3%28", &l) == HTTP_EBADENC, "utf8: bad continuation");
	ok(form("a=%C0%AF", &l) == HTTP_EBADENC, "utf8: overlong '/'");
	ok(form("a=%E0%80%AF", &l) == HTTP_EBADENC, "utf8: 3-byte overlong");
	ok(form("a=%ED%A0%80", &l) == HTTP_EBADENC, "utf8: surrogate");
	ok(form("a=%F4%90%80%80", &l) == HTTP_EBADENC, "utf8: past U+10FFFF");
	ok(form("a=%F5%80%80%80", &l) == HTTP_EBADENC, "utf8: lead byte F5");
	ok(form("a=%E2%82", &l) == HTTP_EBADENC, "utf8: truncated sequence");
	ok(form("a=%80", &l) == HTTP_EBADENC, "utf8: lone continuation");
	ok(form("a=%FF", &l) == HTTP_EBADENC, "utf8: 0xFF");
	ok(form("a=\xff", &l) == HTTP_EBADENC, "utf8: raw 0xFF byte");
	ok(form("%FF=1", &l) == HTTP_EBADENC, "utf8: invalid name");
	ok(http_utf8_valid("\xf4\x8f\xbf\xbf", 4), "utf8: U+10FFFF valid");
	ok(http_utf8_valid("\xed\x9f\xbf", 3), "utf8: U+D7FF valid");
	ok(http_utf8_valid("", 0), "utf8: empty valid");
}

static int
cookies(const char *s, struct http_kvlist *l)
{
	return http_parse_cookies(&A, s, NULL, l);
}

static void
test_cookies(void)
{
	struct http_kvlist l;
	const char **vals;
	ok(cookies("a=1; b=2", &l) == HTTP_OK && l.count == 2, "cookie: two");
	is_str(http_kv_get(&l, "a"), "1", "cookie: a");
	is_str(http_kv_get(&l, "b"), "2", "cookie: b");
	ok(cookies("  a = 1 ;b=2 ;\tc=3\t", &l) == HTTP_OK && l.count == 3, "cookie: spaces");
	is_str(http_kv_get(&l, "a"), "1", "cookie: trimmed name and value");
	is_str(http_kv_get(&l, "c"), "3", "cookie: tabs trimmed");
	ok(cookies("sid=\"abc def\"; x=\"\"; y=\"", &l) == HTTP_OK && l.count == 3,
	   "cookie: quotes");
	is_str(http_kv_get(&l, "sid"), "abc def", "cookie: quotes removed, inner space kept");
	is_str(http_kv_get(&l, "x"), "", "cookie: empty quoted value");
	is_str(http_kv_get(&l, "y"), "\"", "cookie: lone quote kept");
	ok(cookies("sid=first; other=1; sid=second", &l) == HTTP_OK, "cookie: duplicates");
	is_str(http_cookie_get(NULL, "sid"), NULL, "cookie: NULL request");
	is_str(http_kv_get(&l, "sid"), "first", "cookie: first duplicate wins");
	ok(http_kv_get_all(&A, &l, "sid", &vals) == 2, "cookie: both duplicates kept");
	ok(cookies("foo; a=1", &l) == HTTP_OK && l.count == 1, "cookie: pair without '=' skipped");
	ok(cookies("; ;;  ;", &l) == HTTP_OK && l.count == 0, "cookie: only separators");
	ok(cookies("", &l) == HTTP_OK && l.count == 0, "cookie: empty header");
	ok(http_parse_cookies(&A, NULL, NULL, &l) == HTTP_OK && l.count == 0, "cookie: NULL");
	ok(cookies("a=b=c", &l) == HTTP_OK, "cookie: '=' in value");
	is_str(http_kv_get(&l, "a"), "b=c", "cookie: value keeps '='");
	ok(cookies("a=%41", &l) == HTTP_OK, "cookie: not percent-decoded");
	is_str(http_kv_get(&l, "a"), "%41", "cookie: %%41 stays");
	ok(cookies("a=", &l) == HTTP_OK && l.count == 1, "cookie: empty value");
	ok(cookies("a b=1; c=2", &l) == HTTP_OK && l.count == 1, "cookie: bad name skipped");
	is_str(http_kv_get(&l, "c"), "2", "cookie: good one kept");
	ok(cookies("=1; c=2", &l) == HTTP_OK && l.count == 1, "cookie: empty name skipped");
	ok(cookies("a=x\x01y; c=2", &l) == HTTP_OK && l.count == 1, "cookie: control byte skipped");
	ok(cookies("a=\xff\xfe; c=2", &l) == HTTP_OK && l.count == 1, "cookie: bad UTF-8 skipped");
	ok(cookies("a=caf\xc3\xa9", &l) == HTTP_OK && l.count == 1, "cookie: UTF-8 value kept");
	ok(cookies("a=1;b=2;c=3;d=4;e=5", &l) == HTTP_OK && l.count == 5, "cookie: five default");
	ok(http_parse_cookies(&A, "a=1;b=2;c=3;d=4;e=5", &small, &l) == HTTP_ETOOMANY,
	   "cookie: too many");
	ok(http_parse_cookies(&A, "a=1;b=2;;c=3; ;d=4", &small, &l) == HTTP_OK,
	   "cookie: empty parts do not count");
	ok(http_parse_cookies(&A, "a=123456789", &small, &l) == HTTP_ETOOLONG,
	   "cookie: value too long");
	ok(http_parse_cookies(&A, "abcdefg=1", &small, &l) == HTTP_ETOOLONG,
	   "cookie: name too long");
	ok(http_parse_cookies(&A, "a=\"12345678\"", &small, &l) == HTTP_OK,
	   "cookie: length counted without quotes");
}

static struct http_req R;

static int
req(char **env, const char *body, size_t body_len)
{
	return http_req_from_env(&R, &A, env, body, body_len, NULL);
}

static void
test_request_basic(void)
{
	char *env[] = {"REQUEST_METHOD=GET",
		       "DOCUMENT_URI=/data-connectors/3",
		       "REQUEST_URI=/data-connectors/3?q=a+b&page=2",
		       "QUERY_STRING=q=a+b&page=2&category=1&category=4",
		       "HTTP_COOKIE=dcgate_session=abc; theme=dark",
		       "HTTPS=on",
		       "REMOTE_ADDR=192.0.2.7",
		       "HTTP_ORIGIN=https://example.test",
		       "HTTP_X_FORWARDED_FOR=10.0.0.1",
		       "HTTP_AUTHORIZATION=Bearer t0k",
		       "SCRIPT_NAME=/data-connectors/3",
		       NULL};
	ok(req(env, NULL, 0) == HTTP_OK, "req: GET parsed");
	ok(R.method == HTTP_GET, "req: method GET");
	is_str(R.method_name, "GET", "req: method name");
	is_str(R.path, "/data-connectors/3", "req: path from DOCUMENT_URI");
	is_str(R.query, "q=a+b&page=2&category=1&category=4", "req: raw query");
	is_str(http_query_get(&R, "q"), "a b", "req: query q decoded");
	is_str(http_query_get(&R, "page"), "2", "req: query page");
	const char **vals;
	ok(http_kv_get_all(&A, &R.query_args, "category", &vals) == 2, "req: repeated query key");
	is_str(http_cookie_get(&R, "dcgate_session"), "abc", "req: session cookie");
	is_str(http_cookie_get(&R, "theme"), "dark", "req: second cookie");
	ok(R.https == 1, "req: HTTPS=on");
	is_str(R.remote_addr, "192.0.2.7", "req: remote addr");
	is_str(http_header(&R, "Origin"), "https://example.test", "req: Origin header");
	is_str(http_header(&R, "origin"), "https://example.test", "req: header name any case");
	is_str(http_header(&R, "X-Forwarded-For"), "10.0.0.1", "req: dashes to underscores");
	is_str(http_header(&R, "Authorization"), "Bearer t0k", "req: Authorization");
	ok(http_header(&R, "Referer") == NULL, "req: absent header");
	ok(http_header(&R, "Bad Header") == NULL, "req: header name with space");
	ok(http_header(&R, "") == NULL, "req: empty header name");
	is_str(http_param(&R, "SCRIPT_NAME"), "/data-connectors/3", "req: CGI param");
	ok(http_param(&R, "NOPE") == NULL, "req: absent param");
	ok(R.body_len == 0 && R.body && !*R.body, "req: empty body");
	ok(R.form.count == 0, "req: no form on GET");
	ok(http_form_get(&R, "q") == NULL, "req: query is not form");
}

static void
test_request_methods(void)
{
	static const struct {
		const char *env;
		enum http_method m;
		const char *name;
	} cases[] = {
	    {"REQUEST_METHOD=POST", HTTP_POST, "POST"},
	    {"REQUEST_METHOD=HEAD", HTTP_HEAD, "HEAD"},
	    {"REQUEST_METHOD=PUT", HTTP_PUT, "PUT"},
	    {"REQUEST_METHOD=PATCH", HTTP_PATCH, "PATCH"},
	    {"REQUEST_METHOD=DELETE", HTTP_DELETE, "DELETE"},
	    {"REQUEST_METHOD=get", HTTP_OTHER, "get"},
	    {"REQUEST_METHOD=OPTIONS", HTTP_OTHER, "OPTIONS"},
	    {"REQUEST_METHOD=", HTTP_OTHER, ""},
	    {"X=1", HTTP_GET, "GET"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *env[] = {(char *)cases[i].env, "DOCUMENT_URI=/", NULL};
		ok(req(env, NULL, 0) == HTTP_OK && R.method == cases[i].m &&
		       strcmp(R.method_name, cases[i].name) == 0,
		   "method: %s", cases[i].env);
	}
	char *off[] = {"HTTPS=off", NULL};
	ok(req(off, NULL, 0) == HTTP_OK && R.https == 0, "https: off");
	char *none[] = {NULL};
	ok(req(none, NULL, 0) == HTTP_OK && R.https == 0, "https: absent");
	is_str(R.path, "/", "path: nothing given is /");
	is_str(R.query, "", "query: nothing given is empty");
	ok(http_req_from_env(&R, &A, NULL, NULL, 0, NULL) == HTTP_OK, "req: NULL environment");
}

/* Runs one request with a body and the given content type and length (NULL to omit). */
static int
post(const char *ctype, const char *clen, const char *body, size_t len,
     const struct http_limits *lim)
{
	static char ct[200], cl[200]; /* R points into them after return */
	static char *env[5];
	char *init[5] = {"REQUEST_METHOD=POST", "DOCUMENT_URI=/data-connectors", NULL, NULL, NULL};
	int n = 2;
	memcpy(env, init, sizeof(env));
	if (ctype) {
		snprintf(ct, sizeof(ct), "CONTENT_TYPE=%s", ctype);
		env[n++] = ct;
	}
	if (clen) {
		snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%s", clen);
		env[n++] = cl;
	}
	return http_req_from_env(&R, &A, env, body, len, lim);
}

static void
test_request_body(void)
{
	const char *f = "name=Acme&category_ids=1&category_ids=2&_csrf=t";
	const char *ct = "application/x-www-form-urlencoded";
	char n[32];
	snprintf(n, sizeof(n), "%zu", strlen(f));
	ok(post(ct, n, f, strlen(f), NULL) == HTTP_OK, "body: urlencoded form");
	is_str(http_form_get(&R, "name"), "Acme", "body: form name");
	is_str(http_form_get(&R, "_csrf"), "t", "body: form csrf");
	ok(R.form.count == 4 && R.body_len == strlen(f), "body: 4 fields, raw body kept");
	is_str(R.body, f, "body: raw body");
	ok(post("Application/X-WWW-Form-URLEncoded ; charset=UTF-8", NULL, f, strlen(f), NULL) ==
		   HTTP_OK &&
	       R.form.count == 4,
	   "body: media type any case, charset ignored");
	ok(post(ct, NULL, f, strlen(f), NULL) == HTTP_OK && R.form.count == 4,
	   "body: no CONTENT_LENGTH uses the whole body");

	const char *j = "{\"name\":\"Acme\",\"category_ids\":[1,2]}";
	ok(post("application/json", NULL, j, strlen(j), NULL) == HTTP_OK, "body: JSON");
	ok(R.form.count == 0, "body: JSON not parsed as a form");
	is_str(R.body, j, "body: JSON kept raw");
	is_str(R.content_type, "application/json", "body: content type");
	ok(post("multipart/form-data; boundary=x", NULL, "a=1", 3, NULL) == HTTP_OK &&
	       R.form.count == 0,
	   "body: multipart not parsed");
	ok(post("application/x-www-form-urlencodedX", NULL, "a=1", 3, NULL) == HTTP_OK &&
	       R.form.count == 0,
	   "body: look-alike media type not parsed");
	ok(post(NULL, NULL, "a=1", 3, NULL) == HTTP_OK && R.form.count == 0,
	   "body: no content type not parsed");
	ok(post(ct, NULL, "a=%zz", 5, NULL) == HTTP_EBADENC, "body: bad form is EBADENC");
	ok(post(ct, NULL, "a=x\0y", 5, NULL) == HTTP_OK && R.form.items[0].value_len == 3,
	   "body: raw NUL in form value");
}

static void
test_request_length(void)
{
	const char *ct = "application/x-www-form-urlencoded";
	ok(post(ct, "99999999999999999999999999999", "a=1", 3, NULL) == HTTP_ETOOBIG,
	   "length: huge CONTENT_LENGTH is ETOOBIG");
	ok(post(ct, "18446744073709551616", "a=1", 3, NULL) == HTTP_ETOOBIG,
	   "length: 2^64 is ETOOBIG");
	ok(post(ct, "1048577", "a=1", 3, NULL) == HTTP_ETOOBIG, "length: max_body + 1");
	ok(post(ct, "65", "a=1", 3, &small) == HTTP_ETOOBIG, "length: small max_body + 1");
	ok(http_err_status(HTTP_ETOOBIG) == 413, "length: answered with 413");
	ok(post(ct, "-1", "a=1", 3, NULL) == HTTP_EBADENC, "length: negative is EBADENC");
	ok(post(ct, "12abc", "a=1", 3, NULL) == HTTP_EBADENC, "length: garbage is EBADENC");
	ok(post(ct, " 3", "a=1", 3, NULL) == HTTP_EBADENC, "length: leading space");
	ok(post(ct, "+3", "a=1", 3, NULL) == HTTP_EBADENC, "length: plus sign");
	ok(post(ct, "0x3", "a=1", 3, NULL) == HTTP_EBADENC, "length: hex");
	ok(post(ct, "", "a=1", 3, NULL) == HTTP_OK && R.body_len == 0, "length: empty is 0");
	ok(post(ct, "0", "a=1", 3, NULL) == HTTP_OK && R.form.count == 0, "length: 0");
	ok(post(ct, "003", "a=1", 3, NULL) == HTTP_OK && R.form.count == 1,
	   "length: leading zeros");
	ok(post(ct, "2", "a=1", 3, NULL) == HTTP_OK && R.body_len == 2, "length: body cut");
	is_str(http_form_get(&R, "a"), "", "length: only announced bytes parsed");
	ok(post(ct, "10", "a=1", 3, NULL) == HTTP_EIO, "length: short body is EIO");
	char big[100];
	memset(big, 'a', sizeof(big));
	ok(post(ct, NULL, big, sizeof(big), &small) == HTTP_ETOOBIG,
	   "length: body over max_body without CONTENT_LENGTH");
	ok(post(ct, NULL, "a=1&b=2&c=3&d=4&e=5", 19, &small) == HTTP_ETOOMANY,
	   "length: too many form fields");
	ok(post(ct, NULL, "a=123456789", 11, &small) == HTTP_ETOOLONG, "length: form field long");
}

/* Builds a request whose only location parameter is the given one. */
static int
path_req(const char *param)
{
	static char *env[2]; /* R points into it after return */
	env[0] = (char *)param;
	return req(env, NULL, 0);
}

static void
test_request_path(void)
{
	ok(path_req("REQUEST_URI=/a%20b/c?x=1&y=%41") == HTTP_OK, "path: REQUEST_URI fallback");
	is_str(R.path, "/a b/c", "path: decoded, query dropped");
	is_str(R.query, "x=1&y=%41", "path: query from REQUEST_URI");
	is_str(http_query_get(&R, "y"), "A", "path: query decoded");
	ok(path_req("REQUEST_URI=/a+b") == HTTP_OK, "path: plus");
	is_str(R.path, "/a+b", "path: '+' is not a space in paths");
	ok(path_req("REQUEST_URI=/caf%C3%A9") == HTTP_OK, "path: UTF-8");
	is_str(R.path, "/caf\xc3\xa9", "path: decoded UTF-8");
	ok(path_req("REQUEST_URI=/a%00b") == HTTP_EBADENC, "path: %%00 refused");
	ok(path_req("REQUEST_URI=/a%zz") == HTTP_EBADENC, "path: %%zz refused");
	ok(path_req("REQUEST_URI=/a%4") == HTTP_EBADENC, "path: truncated %% refused");
	ok(path_req("REQUEST_URI=relative") == HTTP_EBADENC, "path: relative refused");
	ok(path_req("REQUEST_URI=?a=1") == HTTP_EBADENC, "path: empty path refused");
	ok(path_req("REQUEST_URI=http://h/x") == HTTP_EBADENC, "path: absolute-form refused");
	ok(path_req("REQUEST_URI=/../etc/passwd") == HTTP_EBADENC, "path: '..' refused");
	ok(path_req("REQUEST_URI=/a/%2e%2e/b") == HTTP_EBADENC, "path: encoded '..' refused");
	ok(path_req("REQUEST_URI=/a/.") == HTTP_EBADENC, "path: '.' segment refused");
	ok(path_req("REQUEST_URI=/a/..") == HTTP_EBADENC, "path: trailing '..' refused");
	ok(path_req("REQUEST_URI=/a/..b/.c") == HTTP_OK, "path: dots inside names are fine");
	ok(path_req("REQUEST_URI=/%FF") == HTTP_EBADENC, "path: invalid UTF-8 refused");
	ok(path_req("REQUEST_URI=/a%0d%0aX") == HTTP_EBADENC, "path: CR/LF refused");
	ok(path_req("REQUEST_URI=/a%2Fb") == HTTP_OK, "path: encoded slash");
	is_str(R.path, "/a/b", "path: encoded slash decoded");
	ok(path_req("DOCUMENT_URI=/a%41") == HTTP_OK, "path: DOCUMENT_URI");
	is_str(R.path, "/a%41", "path: DOCUMENT_URI is not decoded twice");
	ok(path_req("DOCUMENT_URI=x") == HTTP_EBADENC, "path: DOCUMENT_URI without '/'");
	ok(path_req("DOCUMENT_URI=/a\x01") == HTTP_EBADENC, "path: DOCUMENT_URI control byte");
	char *both[] = {"DOCUMENT_URI=/real", "REQUEST_URI=/other?x=1", NULL};
	ok(req(both, NULL, 0) == HTTP_OK, "path: both given");
	is_str(R.path, "/real", "path: DOCUMENT_URI wins");
	char *emptydoc[] = {"DOCUMENT_URI=", "REQUEST_URI=/other", NULL};
	ok(req(emptydoc, NULL, 0) == HTTP_OK, "path: empty DOCUMENT_URI");
	is_str(R.path, "/other", "path: empty DOCUMENT_URI falls back");
	ok(path_req("QUERY_STRING=a=%zz") == HTTP_EBADENC, "query: bad encoding");
	ok(http_err_status(HTTP_EBADENC) == 400, "query: answered with 400");
	char *manyq[] = {"QUERY_STRING=a=1&b=2&c=3&d=4&e=5", NULL};
	ok(http_req_from_env(&R, &A, manyq, NULL, 0, &small) == HTTP_ETOOMANY, "query: too many");
	char *manyc[] = {"HTTP_COOKIE=a=1;b=2;c=3;d=4;e=5", NULL};
	ok(http_req_from_env(&R, &A, manyc, NULL, 0, &small) == HTTP_ETOOMANY, "cookie: too many");
}

/* Finds needle in the response text; the response holds no NUL before its body. */
static int
has(const struct buf *b, const char *needle)
{
	return b->data && strstr(b->data, needle) != NULL;
}

static int
count_of(const struct buf *b, const char *needle)
{
	int n = 0;
	for (const char *p = b->data; p && (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* A response's buffers are freed by the arena, so each test resets it while resp is alive. */
static void
resp_start(struct http_resp *resp, struct buf *out)
{
	arena_reset(&A);
	http_resp_init(resp, &A);
	buf_reset(out);
	resp->capture = out;
}

static const char csp[] = "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'; "
			  "base-uri 'none'; form-action 'self'\r\n";

static void
test_response_basic(void)
{
	struct http_resp resp;
	struct buf out;
	char *env[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/", NULL};
	buf_init(&out);
	resp_start(&resp, &out);
	req(env, NULL, 0);
	ok(resp.status == 200 && !resp.sent, "resp: init");
	buf_puts(&resp.body, "<p>hi</p>");
	struct buf again;
	buf_init(&again);
	ok(http_resp_serialize(&resp, &R, &again) == HTTP_OK, "resp: serialized");
	ok(http_resp_send(&resp, &R) == HTTP_OK, "resp: sent");
	ok(again.len == out.len && memcmp(again.data, out.data, out.len) == 0,
	   "resp: serialize gives the bytes send writes");
	ok(strncmp(out.data, "Status: 200 OK\r\n", 16) == 0, "resp: status line first");
	ok(has(&out, "\r\nContent-Type: text/html; charset=utf-8\r\n"), "resp: default type");
	ok(has(&out, csp), "resp: CSP");
	ok(has(&out, "\r\nX-Content-Type-Options: nosniff\r\n"), "resp: nosniff");
	ok(has(&out, "\r\nReferrer-Policy: same-origin\r\n"), "resp: referrer policy");
	ok(has(&out, "\r\nX-Frame-Options: DENY\r\n"), "resp: frame options");
	ok(has(&out, "\r\nCache-Control: no-store\r\n"), "resp: no-store");
	ok(has(&out, "\r\nContent-Length: 9\r\n"), "resp: length");
	ok(out.len > 13 && strcmp(out.data + out.len - 13, "\r\n\r\n<p>hi</p>") == 0,
	   "resp: blank line then body");
	ok(http_resp_send(&resp, &R) == HTTP_EIO, "resp: second send refused");
	ok(http_resp_serialize(&resp, &R, &again) == HTTP_EIO,
	   "resp: serialize after send refused");
	is_str(resp.body.data, "<p>hi</p>", "resp: body still readable after send");
	ok(buf_puts(&resp.body, "more") != CORE_OK && resp.body.len == 9,
	   "resp: body frozen after send");
	buf_free(&again);
	arena_reset(&A);
	buf_free(&out);
}

/* Sends a response whose struct lives in this frame only, as a worker's serve function does;
 * the arena is reset after it returned. */
static void
send_from_frame(struct buf *out)
{
	struct http_resp resp;
	http_resp_init(&resp, &A);
	resp.capture = out;
	buf_puts(&resp.body, "frame");
	http_resp_header(&resp, "X-Frame-Test", "1");
	http_resp_send(&resp, NULL);
}

static void
test_response_lifetime(void)
{
	struct buf out;
	buf_init(&out);
	arena_reset(&A);
	send_from_frame(&out);
	char scrub[512];
	memset(scrub, 0x5a, sizeof(scrub)); /* overwrite the dead frame */
	ok(scrub[0] == 0x5a && has(&out, "X-Frame-Test: 1"), "lifetime: sent from a frame");
	arena_reset(&A);
	ok(1, "lifetime: arena reset after the frame returned");

	struct http_resp resp;
	http_resp_init(&resp, &A);
	buf_puts(&resp.body, "never sent");
	http_resp_header(&resp, "X-A", "b");
	arena_reset(&A);
	ok(resp.body.data == NULL && resp.headers.data == NULL, "lifetime: unsent freed at reset");
	buf_free(&out);
}

static void
test_response_headers(void)
{
	struct http_resp resp;
	struct buf out;
	buf_init(&out);
	resp_start(&resp, &out);
	resp.status = 404;
	ok(http_resp_header(&resp, "Content-Type", "application/json") == HTTP_OK, "hdr: type");
	ok(http_resp_header(&resp, "cache-control", "max-age=60") == HTTP_OK, "hdr: cache");
	ok(http_resp_header(&resp, "X-Note", "a\tb") == HTTP_OK, "hdr: tab in value ok");
	ok(http_resp_header(&resp, "X-Bad", "a\r\nSet-Cookie: x=1") == HTTP_EBADENC,
	   "hdr: CRLF in value refused");
	ok(http_resp_header(&resp, "X-Bad", "a\nb") == HTTP_EBADENC, "hdr: LF in value refused");
	ok(http_resp_header(&resp, "X-Bad", "a\rb") == HTTP_EBADENC, "hdr: CR in value refused");
	ok(http_resp_header(&resp, "X-Bad\r\nSet-Cookie", "x") == HTTP_EBADENC,
	   "hdr: CRLF in name refused");
	ok(http_resp_header(&resp, "Bad Name", "x") == HTTP_EBADENC, "hdr: space in name");
	ok(http_resp_header(&resp, "Bad:Name", "x") == HTTP_EBADENC, "hdr: colon in name");
	ok(http_resp_header(&resp, "", "x") == HTTP_EBADENC, "hdr: empty name");
	ok(http_resp_header(&resp, NULL, "x") == HTTP_EBADENC, "hdr: NULL name");
	ok(http_resp_header(&resp, "X-A", NULL) == HTTP_EBADENC, "hdr: NULL value");
	ok(http_resp_header(&resp, "Status", "200") == HTTP_EBADENC, "hdr: Status refused");
	ok(http_resp_header(&resp, "Content-Length", "1") == HTTP_EBADENC, "hdr: length refused");
	buf_puts(&resp.body, "{}");
	ok(http_resp_send(&resp, NULL) == HTTP_OK, "hdr: sent without a request");
	ok(strncmp(out.data, "Status: 404 Not Found\r\n", 23) == 0, "hdr: 404 status line");
	ok(count_of(&out, "Content-Type:") + count_of(&out, "content-type:") == 1,
	   "hdr: one Content-Type");
	ok(has(&out, "\r\nContent-Type: application/json\r\n"), "hdr: handler's type kept");
	ok(!has(&out, "no-store") && has(&out, "cache-control: max-age=60"),
	   "hdr: handler's Cache-Control replaces no-store");
	ok(has(&out, csp) && has(&out, "nosniff"), "hdr: security headers still there");
	ok(!has(&out, "Set-Cookie"), "hdr: nothing injected");
	ok(count_of(&out, "\r\n\r\n") == 1, "hdr: one blank line");
	arena_reset(&A);
	buf_free(&out);
}

static void
test_response_redirect(void)
{
	struct http_resp resp;
	struct buf out;
	buf_init(&out);
	resp_start(&resp, &out);
	http_redirect(&resp, 303, "/data-connectors/3");
	ok(resp.status == 303, "redirect: 303");
	http_resp_send(&resp, NULL);
	ok(strncmp(out.data, "Status: 303 See Other\r\n", 23) == 0, "redirect: status line");
	ok(has(&out, "\r\nLocation: /data-connectors/3\r\n"), "redirect: Location");
	ok(has(&out, "\r\nContent-Length: 0\r\n"), "redirect: empty body");

	resp_start(&resp, &out);
	http_redirect(&resp, 200, "/x");
	ok(resp.status == 303, "redirect: non-3xx becomes 303");
	resp_start(&resp, &out);
	http_redirect(&resp, 302, "/login");
	ok(resp.status == 302, "redirect: 302 kept");

	resp_start(&resp, &out);
	http_redirect(&resp, 303, "/x\r\nSet-Cookie: evil=1");
	ok(resp.status == 500, "redirect: CRLF target gives 500");
	http_resp_send(&resp, NULL);
	ok(!has(&out, "Location") && !has(&out, "evil"), "redirect: nothing of it sent");
	resp_start(&resp, &out);
	http_redirect(&resp, 303, NULL);
	ok(resp.status == 500, "redirect: NULL target gives 500");
	arena_reset(&A);
	buf_free(&out);
}

static void
test_response_misc(void)
{
	struct http_resp resp;
	struct buf out;
	char *env[] = {"REQUEST_METHOD=HEAD", "DOCUMENT_URI=/", NULL};
	buf_init(&out);
	resp_start(&resp, &out);
	req(env, NULL, 0);
	buf_puts(&resp.body, "<p>hi</p>");
	http_resp_send(&resp, &R);
	ok(has(&out, "\r\nContent-Length: 9\r\n"), "head: length of the body");
	ok(out.len > 4 && strcmp(out.data + out.len - 4, "\r\n\r\n") == 0, "head: no body");

	resp_start(&resp, &out);
	resp.status = 999;
	http_resp_send(&resp, NULL);
	ok(strncmp(out.data, "Status: 500 Internal Server Error\r\n", 35) == 0,
	   "status: out of range becomes 500");

	resp_start(&resp, &out);
	buf_puts(&resp.body, "partial");
	resp.body.failed = 1;
	http_resp_send(&resp, NULL);
	ok(strncmp(out.data, "Status: 500", 11) == 0 && !has(&out, "partial"),
	   "broken buffer: bare 500");
	ok(has(&out, "\r\nContent-Length: 0\r\n") && has(&out, csp), "broken buffer: headers ok");

	resp_start(&resp, &out);
	resp.capture = NULL;
	ok(http_resp_send(&resp, NULL) == HTTP_OK && out.len == 0, "no capture: dropped quietly");

	is_str(http_status_text(200), "OK", "text: 200");
	is_str(http_status_text(303), "See Other", "text: 303");
	is_str(http_status_text(403), "Forbidden", "text: 403");
	is_str(http_status_text(413), "Content Too Large", "text: 413");
	is_str(http_status_text(503), "Service Unavailable", "text: 503");
	is_str(http_status_text(799), "Unknown", "text: unknown");
	arena_reset(&A);
	buf_free(&out);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* Random text biased toward the characters the parsers care about; with raw, any byte. */
static size_t
random_input(char *s, size_t cap, int raw)
{
	static const char special[] = "%&=+;[]\"\\ \t/.?09afAF";
	size_t n = rng() % cap;
	for (size_t i = 0; i < n; i++) {
		uint32_t r = rng() % 4;
		if (r == 0 && raw)
			s[i] = (char)rng();
		else if (r == 1)
			s[i] = (char)('a' + rng() % 4);
		else
			s[i] = special[rng() % 20];
	}
	s[n] = '\0';
	return n;
}

/* Every list a parser returns must honour the limits and hold only what it promised. */
static int
list_sane(const struct http_kvlist *l, const struct http_limits *lim, int decoded)
{
	if (l->count > lim->max_fields)
		return 0;
	for (size_t i = 0; i < l->count; i++) {
		const struct http_kv *kv = &l->items[i];
		size_t nl = strlen(kv->name);
		if (nl > lim->max_name || kv->value_len > lim->max_field ||
		    !http_utf8_valid(kv->name, nl) || !http_utf8_valid(kv->value, kv->value_len))
			return 0;
		if (!decoded && kv->value_len != strlen(kv->value))
			return 0;
	}
	return 1;
}

static int random_ok[3]; /* successful form, cookie and request parses */

/* One round through every parser; returns 0 when an invariant broke. */
static int
random_round(const struct http_limits *lim)
{
	char s[80], t[80];
	int raw = rng() % 2;
	size_t n = random_input(s, sizeof(s) - 1, raw), dl;
	size_t k = random_input(t, rng() % 2 ? 8 : sizeof(t) - 1, raw);
	struct http_kvlist l;
	long *idx;
	const char **vals;
	int sane = 1;
	http_url_decode(&A, s, n, (int)(n & 1), &dl);
	if (http_parse_urlencoded(&A, s, n, lim, &l) == HTTP_OK) {
		random_ok[0]++;
		sane &= list_sane(&l, lim, 1);
		http_kv_indexes(&A, &l, "a", &idx);
		http_kv_get_all(&A, &l, "a", &vals);
	}
	if (http_parse_cookies(&A, s, lim, &l) == HTTP_OK) {
		random_ok[1]++;
		sane &= list_sane(&l, lim, 0);
	}
	char *env[] = {arena_printf(&A, "QUERY_STRING=%s", s),
		       arena_printf(&A, "%s=/%s", (n & 2) ? "DOCUMENT_URI" : "REQUEST_URI", t),
		       arena_printf(&A, "HTTP_COOKIE=%s", t),
		       arena_printf(&A, "CONTENT_LENGTH=%s", (k & 1) ? t : ""),
		       "CONTENT_TYPE=application/x-www-form-urlencoded",
		       NULL};
	if (http_req_from_env(&R, &A, env, s, n, lim) == HTTP_OK) {
		random_ok[2]++;
		sane &= R.path[0] == '/' && list_sane(&R.form, lim, 1);
		sane &= list_sane(&R.query_args, lim, 1) && list_sane(&R.cookies, lim, 0);
	}
	return sane;
}

static void
test_random(void)
{
	static const struct http_limits tiny = {
	    .max_body = 40, .max_fields = 3, .max_field = 6, .max_name = 4};
	int sane = 1;
	for (int i = 0; i < 20000; i++) {
		sane &= random_round((i & 1) ? &tiny : &http_limits_default);
		arena_reset(&A);
	}
	ok(sane, "random: 20000 inputs through every parser, all results within limits");
	ok(random_ok[0] > 1000 && random_ok[1] > 1000 && random_ok[2] > 300,
	   "random: successes too (form %d, cookie %d, request %d)", random_ok[0], random_ok[1],
	   random_ok[2]);
}

int
main(void)
{
	arena_init(&A, 0);
	test_url_decode();
	test_form_basic();
	test_form_repeated();
	test_form_indexes();
	test_form_errors();
	test_form_nul_utf8();
	test_cookies();
	test_request_basic();
	test_request_methods();
	test_request_body();
	test_request_length();
	test_request_path();
	test_response_basic();
	test_response_headers();
	test_response_redirect();
	test_response_lifetime();
	test_response_misc();
	arena_reset(&A);
	test_random();
	arena_free(&A);
	return tap_done();
}
