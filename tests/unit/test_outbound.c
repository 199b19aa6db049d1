/* Unit tests for src/outbound: CIDR lists, address policy, config, rendering with context
 * escaping and required variables, copy-as-cURL masking, messages, and the checks that
 * refuse a request before any network traffic. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "connector/connector.h"
#include "outbound/outbound.h"
#include "tmpl/tmpl.h"
#include "tap.h"

/* ---- helpers ---- */

static struct sockaddr_storage
sa_of(const char *ip)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1)
		s4->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1)
		s6->sin6_family = AF_INET6;
	return ss;
}

static int
allows(const struct addr_policy *p, const char *ip)
{
	struct sockaddr_storage ss = sa_of(ip);
	return addr_policy_allows(p, (const struct sockaddr *)&ss);
}

static int
parse_ok(const char *text, size_t want)
{
	struct cidr *c = NULL;
	size_t n = 99;
	int rc = cidr_parse_list(text, &c, &n);
	free(c);
	return rc == 0 && n == want;
}

static int
parse_bad(const char *text)
{
	struct cidr *c = (struct cidr *)1;
	size_t n = 99;
	int rc = cidr_parse_list(text, &c, &n);
	return rc == -1 && c == NULL && n == 0;
}

static int
load_config(struct config *cfg, const char *text)
{
	int line = 0;
	memset(cfg, 0, sizeof(*cfg));
	return config_parse(cfg, text, strlen(text), &line);
}

/* ---- CIDR ---- */

static void
test_cidr_parse(void)
{
	struct cidr *c = NULL;
	size_t n = 0;
	ok(cidr_parse_list("127.0.0.0/8, ::1/128", &c, &n) == 0 && n == 2, "two entries parse");
	ok(c[0].family == AF_INET && c[0].prefix == 8 && c[0].addr[0] == 127, "v4 entry");
	ok(c[1].family == AF_INET6 && c[1].prefix == 128 && c[1].addr[15] == 1, "v6 entry");
	free(c);
	ok(cidr_parse_list("10.1.2.3/8", &c, &n) == 0 && n == 1 && c[0].addr[1] == 0 &&
	       c[0].addr[3] == 0,
	   "host bits past the prefix are cleared");
	free(c);
	ok(cidr_parse_list("192.0.2.7 2001:db8::1", &c, &n) == 0 && n == 2 && c[0].prefix == 32 &&
	       c[1].prefix == 128,
	   "bare addresses are /32 and /128, spaces separate");
	free(c);
	ok(parse_ok("", 0), "empty list");
	ok(parse_ok(" , ,\t", 0), "only separators");
	ok(parse_ok(NULL, 0), "NULL list");
	ok(parse_ok("0.0.0.0/0,::/0", 2), "/0 for both families");
	ok(parse_ok("1.2.3.4/32,,5.6.7.8", 2), "doubled comma");
	ok(parse_ok("::ffff:10.0.0.0/104", 1), "mapped notation");
	ok(parse_bad("1.2.3.4/33"), "v4 prefix 33 refused");
	ok(parse_bad("::/129"), "v6 prefix 129 refused");
	ok(parse_bad("1.2.3"), "short v4 refused");
	ok(parse_bad("localhost"), "a name refused");
	ok(parse_bad("1.2.3.4/"), "empty prefix refused");
	ok(parse_bad("1.2.3.4/-1"), "negative prefix refused");
	ok(parse_bad("1.2.3.4/+8"), "signed prefix refused");
	ok(parse_bad("1.2.3.4/1000"), "long prefix refused");
	ok(parse_bad("1.2.3.4/8/8"), "two slashes refused");
	ok(parse_bad("/8"), "prefix without address refused");
	ok(parse_bad("fe80::1%eth0"), "zone id refused");
	ok(parse_bad("1.2.3.4, bogus, 5.6.7.8"), "one bad entry fails the list");
	ok(parse_bad("1.2.3.4;5.6.7.8"), "semicolon is not a separator");
	ok(parse_bad("1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb/64"),
	   "overlong entry refused");
}

static void
test_cidr_contains(void)
{
	struct cidr *c = NULL;
	size_t n = 0;
	unsigned char a4[4], a6[16];
	ok(cidr_parse_list("10.0.0.0/8 192.168.1.128/25 2001:db8::/32 ::/0", &c, &n) == 0 && n == 4,
	   "list for contains");
	inet_pton(AF_INET, "10.255.1.2", a4);
	ok(cidr_contains(&c[0], AF_INET, a4), "10.255.1.2 in 10/8");
	inet_pton(AF_INET, "11.0.0.1", a4);
	ok(!cidr_contains(&c[0], AF_INET, a4), "11.0.0.1 not in 10/8");
	inet_pton(AF_INET, "192.168.1.200", a4);
	ok(cidr_contains(&c[1], AF_INET, a4), "odd prefix: .200 in .128/25");
	inet_pton(AF_INET, "192.168.1.100", a4);
	ok(!cidr_contains(&c[1], AF_INET, a4), "odd prefix: .100 not in .128/25");
	inet_pton(AF_INET6, "2001:db8:ffff::1", a6);
	ok(cidr_contains(&c[2], AF_INET6, a6), "v6 in 2001:db8::/32");
	inet_pton(AF_INET6, "2001:db9::1", a6);
	ok(!cidr_contains(&c[2], AF_INET6, a6), "v6 not in 2001:db8::/32");
	ok(cidr_contains(&c[3], AF_INET6, a6), "::/0 holds every v6 address");
	ok(!cidr_contains(&c[3], AF_INET, a4), "families never mix");
	free(c);
}

/* ---- policy ---- */

static void
test_policy(void)
{
	struct config cfg;
	struct addr_policy p;
	ok(load_config(&cfg, "[outbound]\n") == 0 && addr_policy_load(&p, &cfg) == 0,
	   "default policy loads");
	ok(!allows(&p, "127.0.0.1"), "default: loopback denied");
	ok(!allows(&p, "127.8.9.10"), "default: all of 127/8 denied");
	ok(!allows(&p, "::1"), "default: v6 loopback denied");
	ok(!allows(&p, "169.254.169.254"), "default: metadata address denied");
	ok(!allows(&p, "fe80::1"), "default: v6 link-local denied");
	ok(!allows(&p, "0.0.0.0"), "default: unspecified denied");
	ok(!allows(&p, "::"), "default: v6 unspecified denied");
	ok(!allows(&p, "224.0.0.1"), "default: multicast denied");
	ok(!allows(&p, "ff02::1"), "default: v6 multicast denied");
	ok(allows(&p, "93.184.216.34"), "default: public v4 allowed");
	ok(allows(&p, "2606:4700::1"), "default: public v6 allowed");
	ok(!allows(&p, "::ffff:127.0.0.1"), "mapped loopback checked as v4: denied");
	ok(!allows(&p, "::ffff:169.254.169.254"), "mapped metadata address denied");
	ok(allows(&p, "::ffff:93.184.216.34"), "mapped public address allowed");
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	ok(!addr_policy_allows(&p, (const struct sockaddr *)&un), "other families denied");
	/* Secrets item 7: metadata addresses, NAT64 forms, the host's own addresses. */
	ok(!allows(&p, "fd00:ec2::254"), "default: AWS IPv6 metadata address denied");
	ok(allows(&p, "fd00:ec2::253"), "default: its neighbour is not");
	ok(!allows(&p, "100.100.100.200"), "default: Alibaba metadata address denied");
	ok(!allows(&p, "::ffff:100.100.100.200"), "default: its mapped form denied");
	ok(!allows(&p, "64:ff9b::100.100.100.200"), "default: its NAT64 form denied");
	ok(!allows(&p, "64:ff9b::127.0.0.1"), "default: NAT64 loopback denied");
	ok(!allows(&p, "64:ff9b::169.254.169.254"), "default: NAT64 link-local denied");
	ok(!allows(&p, "64:ff9b::0.0.0.0"), "default: NAT64 unspecified denied");
	ok(!allows(&p, "64:ff9b::224.0.0.1"), "default: NAT64 multicast denied");
	ok(!allows(&p, "::ffff:0.0.0.0") && !allows(&p, "::ffff:224.0.0.1"),
	   "default: mapped unspecified and multicast denied");
	ok(allows(&p, "64:ff9b::93.184.216.34"), "default: NAT64 public address allowed");
	ok(allows(&p, "64:ff9b:1::127.0.0.1"), "only the well-known /96 NAT64 prefix is unwrapped");
	ok(allows(&p, "10.1.2.3") && allows(&p, "172.16.0.1") && allows(&p, "192.168.1.1") &&
	       allows(&p, "fd12::1") && allows(&p, "100.64.0.1"),
	   "default: private ranges allowed");
	struct ifaddrs *ifs = NULL;
	int own = 0, own_denied = 0;
	char ip[INET6_ADDRSTRLEN];
	ok(p.hosts != NULL && addr_policy_reload_host(&p) >= 1,
	   "default: the host's addresses are read (lo at least)");
	if (getifaddrs(&ifs) == 0) {
		for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
			if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
				continue;
			own++;
			inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr,
				  ip, sizeof(ip));
			char mapped[INET6_ADDRSTRLEN + 16], nat64[INET6_ADDRSTRLEN + 16];
			snprintf(mapped, sizeof(mapped), "::ffff:%s", ip);
			snprintf(nat64, sizeof(nat64), "64:ff9b::%s", ip);
			own_denied += !addr_policy_allows(&p, i->ifa_addr) && !allows(&p, mapped) &&
				      !allows(&p, nat64);
			printf("# own address %s\n", ip);
		}
		freeifaddrs(ifs);
	}
	ok(own >= 1 && own_denied == own,
	   "default: every IPv4 interface address of this host denied, mapped and NAT64 too");
	addr_policy_free(&p);
	config_free(&cfg);

	ok(load_config(&cfg, "[outbound]\ndeny = host\n") == 0 && addr_policy_load(&p, &cfg) == 0 &&
	       p.ndeny == 0 && p.hosts && !allows(&p, "127.0.0.1") && allows(&p, "127.0.0.2"),
	   "deny = host: only the host's own addresses (127.0.0.1 on lo, not all of 127/8)");
	addr_policy_free(&p);
	config_free(&cfg);
	ok(load_config(&cfg, "[outbound]\ndeny = 127.0.0.1\n") == 0 &&
	       addr_policy_load(&p, &cfg) == 0 && p.hosts == NULL,
	   "a deny list without host does not read the interfaces");
	addr_policy_free(&p);
	config_free(&cfg);
	ok(load_config(&cfg, "[outbound]\ndeny_private = true\n") == 0 &&
	       addr_policy_load(&p, &cfg) == 0,
	   "deny_private = true loads");
	ok(!allows(&p, "10.1.2.3") && !allows(&p, "172.31.255.1") && !allows(&p, "192.168.1.1") &&
	       !allows(&p, "100.64.0.1") && !allows(&p, "fd12::1"),
	   "deny_private: private, shared and unique-local ranges denied");
	ok(!allows(&p, "::ffff:10.1.2.3") && !allows(&p, "64:ff9b::192.168.1.1"),
	   "deny_private: their mapped and NAT64 forms too");
	ok(!allows(&p, "127.0.0.1") && !allows(&p, "fd00:ec2::254") && allows(&p, "172.32.0.1"),
	   "deny_private keeps the default list, and 172.32/16 is not private");
	addr_policy_free(&p);
	config_free(&cfg);
	ok(load_config(&cfg, "[outbound]\ndeny_private = maybe\n") == 0 &&
	       addr_policy_load(&p, &cfg) == -1,
	   "deny_private must be true or false");
	config_free(&cfg);

	ok(load_config(&cfg, "[outbound]\ndeny = 127.0.0.0/8, ::1\nallow = 127.0.0.2/32\n") == 0 &&
	       addr_policy_load(&p, &cfg) == 0,
	   "policy with allow loads");
	ok(allows(&p, "127.0.0.2"), "allow overrides deny");
	ok(allows(&p, "::ffff:127.0.0.2"), "allow overrides deny for the mapped form");
	ok(!allows(&p, "127.0.0.1"), "the rest of deny still applies");
	ok(!allows(&p, "::ffff:127.0.0.1"), "mapped form of the rest still denied");
	addr_policy_free(&p);
	config_free(&cfg);

	ok(load_config(&cfg, "[outbound]\ndeny =\n") == 0 && addr_policy_load(&p, &cfg) == 0 &&
	       p.ndeny == 0 && allows(&p, "127.0.0.1"),
	   "an empty deny list denies nothing");
	addr_policy_free(&p);
	config_free(&cfg);

	ok(load_config(&cfg, "[outbound]\ndeny = 10.0.0.0/99\n") == 0 &&
	       addr_policy_load(&p, &cfg) == -1 && p.deny == NULL,
	   "bad deny list refused");
	config_free(&cfg);
	ok(load_config(&cfg, "[outbound]\nallow = nope\n") == 0 &&
	       addr_policy_load(&p, &cfg) == -1 && p.deny == NULL,
	   "bad allow list refused, nothing left allocated");
	config_free(&cfg);
}

static void
test_config(void)
{
	struct config cfg;
	struct outbound_config oc;
	ok(load_config(&cfg, "[outbound]\n") == 0 && outbound_config_load(&oc, &cfg) == 0,
	   "defaults load");
	ok(oc.connect_timeout == 5 && oc.default_timeout == 30 && oc.max_response == 1048576 &&
	       oc.max_redirects == 5 && oc.concurrency == 512 && oc.connector_concurrency == 256 &&
	       oc.queue_timeout_ms == 5000 && oc.ca_bundle == NULL,
	   "defaults match the example config");
	outbound_config_free(&oc);
	config_free(&cfg);
	ok(load_config(&cfg, "[outbound]\ntimeout = 7\nca_bundle = /x/ca.pem\nconcurrency = 2\n") ==
		   0 &&
	       outbound_config_load(&oc, &cfg) == 0 && oc.default_timeout == 7 &&
	       oc.concurrency == 2 && oc.ca_bundle && strcmp(oc.ca_bundle, "/x/ca.pem") == 0,
	   "values read");
	outbound_config_free(&oc);
	config_free(&cfg);
	ok(load_config(&cfg, "[outbound]\ntimeout = 301\n") == 0 &&
	       outbound_config_load(&oc, &cfg) == -1,
	   "timeout past 300 refused");
	config_free(&cfg);
	ok(load_config(&cfg, "[outbound]\nmax_redirects = five\n") == 0 &&
	       outbound_config_load(&oc, &cfg) == -1,
	   "non-number refused");
	config_free(&cfg);
	ok(load_config(&cfg, "[outbound]\nmax_render_line = 100\n") == 0 &&
	       outbound_config_load(&oc, &cfg) == -1,
	   "a line budget under 256 bytes refused");
	config_free(&cfg);
}

/* A body's escaping by its Content-Type; without one, by what it is sent as. */
static void
test_body_escape(struct arena *a)
{
	const char *add = "x";
	ok(outbound_body_escape("application/x-www-form-urlencoded", "n={{n}}", &add) ==
		   TMPL_ESC_FORM &&
	       add == NULL,
	   "form-urlencoded -> form escaping");
	ok(outbound_body_escape(" Application/X-WWW-Form-Urlencoded ; charset=UTF-8", "", &add) ==
	       TMPL_ESC_FORM,
	   "form type: case and parameters ignored");
	ok(outbound_body_escape("application/json", "", &add) == TMPL_ESC_JSON &&
	       outbound_body_escape("application/vnd.api+json; charset=utf-8", "", &add) ==
		   TMPL_ESC_JSON &&
	       outbound_body_escape("text/json", "", &add) == TMPL_ESC_JSON,
	   "JSON types -> JSON escaping");
	ok(outbound_body_escape("application/xml", "", &add) == TMPL_ESC_XML &&
	       outbound_body_escape("text/xml; charset=utf-8", "", &add) == TMPL_ESC_XML &&
	       outbound_body_escape("application/soap+xml", "", &add) == TMPL_ESC_XML,
	   "XML types -> XML escaping");
	ok(outbound_body_escape("text/plain", "{", &add) == TMPL_ESC_NONE &&
	       outbound_body_escape("multipart/form-data; boundary=x", "", &add) == TMPL_ESC_NONE &&
	       outbound_body_escape("application/xmlish", "", &add) == TMPL_ESC_NONE &&
	       outbound_body_escape("", "", &add) == TMPL_ESC_NONE,
	   "any other type -> as it is");
	ok(outbound_body_escape(NULL, "  {\"a\": 1}", &add) == TMPL_ESC_JSON && add &&
	       strcmp(add, "application/json") == 0,
	   "no type, a JSON-looking body: JSON, sent as application/json");
	ok(outbound_body_escape(NULL, "name={{n}}&x=1", &add) == TMPL_ESC_FORM && add &&
	       strcmp(add, "application/x-www-form-urlencoded") == 0,
	   "no type, any other body: form-urlencoded, as it is sent");

	struct json_object *d = json_tokener_parse("{\"n\":\"a&role=admin\",\"x\":\"</v>\"}");
	char *out = NULL;
	const char *msg = NULL;
	ok(outbound_render(a, "name={{n}}&x=1", d, TMPL_ESC_FORM, &out, &msg) == OUT_OK &&
	       strcmp(out, "name=a%26role%3Dadmin&x=1") == 0,
	   "a form body: a value cannot add a field");
	ok(outbound_render(a, "<v>{{x}}</v>", d, TMPL_ESC_XML, &out, &msg) == OUT_OK &&
	       strcmp(out, "<v>&lt;/v&gt;</v>") == 0,
	   "an XML body: a value cannot close an element");
	struct json_object *dots = json_tokener_parse("{\"id\":\"..\"}");
	ok(outbound_render(a, "https://x.test/customers/{{id}}/orders", dots, TMPL_ESC_URL, &out,
			   &msg) == OUT_OK &&
	       strcmp(out, "https://x.test/customers/%2E%2E/orders") == 0,
	   "a URL path value '..' is percent-encoded, no dot segment");
	json_object_put(dots);
	json_object_put(d);
}

/* The render budget: outbound.max_render_body, max_render_line and max_render_steps. */
static void
test_render_budget(struct arena *a)
{
	struct config cfg;
	struct outbound_config oc;
	char *out = NULL;
	const char *msg = NULL;
	ok(load_config(&cfg, "[outbound]\n") == 0 && outbound_config_load(&oc, &cfg) == 0 &&
	       oc.max_render_body == 1048576 && oc.max_render_line == 8192 &&
	       oc.max_render_steps == 1000000,
	   "render budget defaults: 1 MiB body, 8 KiB line, 1,000,000 steps");
	outbound_config_free(&oc);
	config_free(&cfg);

	struct buf list;
	buf_init(&list);
	buf_puts(&list, "{\"a\":[");
	for (int i = 0; i < 40; i++)
		buf_printf(&list, "%s%d", i ? "," : "", i);
	buf_puts(&list, "]}");
	struct json_object *d = json_tokener_parse(list.data);
	buf_free(&list);
	const char *six =
	    "{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}x{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}";
	ok(outbound_render(a, six, d, TMPL_ESC_JSON, &out, &msg) == OUT_ETEMPLATE && !out && msg &&
	       strncmp(msg, OUTBOUND_MSG_BUDGET, strlen(OUTBOUND_MSG_BUDGET)) == 0 &&
	       strstr(msg, "max_render_steps"),
	   "six nested sections over 40 items: past the step budget");

	ok(load_config(&cfg, "[outbound]\nmax_render_body = 2000\nmax_render_line = 300\n"
			     "max_render_steps = 100000\n") == 0 &&
	       outbound_config_load(&oc, &cfg) == 0,
	   "a small budget loads");
	ok(outbound_render(a, "{{#a}}{{#a}}x{{/a}}{{/a}}", d, TMPL_ESC_JSON, &out, &msg) ==
		   OUT_OK &&
	       strlen(out) == 1600,
	   "a body under max_render_body renders");
	ok(outbound_render(a, "{{#a}}{{#a}}xx{{/a}}{{/a}}", d, TMPL_ESC_JSON, &out, &msg) ==
		   OUT_ETEMPLATE &&
	       msg && strstr(msg, OUTBOUND_MSG_BUDGET) && strstr(msg, "2000 bytes for a body"),
	   "a body past max_render_body refused, the cap named");
	ok(outbound_render(a, "https://x.test/{{#a}}{{.}}{{/a}}", d, TMPL_ESC_URL, &out, &msg) ==
	       OUT_OK,
	   "a URL under max_render_line renders");
	ok(outbound_render(a, "https://x.test/{{#a}}{{.}}-{{.}}-{{.}}-{{.}}{{/a}}", d, TMPL_ESC_URL,
			   &out, &msg) == OUT_ETEMPLATE &&
	       msg && strstr(msg, "300 bytes for a URL or header value"),
	   "a URL past max_render_line refused");
	ok(outbound_render(a, "{{#a}}{{.}}-{{.}}-{{.}}-{{.}}{{/a}}", d, TMPL_ESC_HEADER, &out,
			   &msg) == OUT_ETEMPLATE,
	   "a header value past max_render_line refused");
	ok(outbound_render(a, "{{#a}}{{.}}-{{.}}-{{.}}-{{.}}{{/a}}", d,
			   TMPL_ESC_NONE | OUTBOUND_RENDER_LINE, &out, &msg) == OUT_ETEMPLATE &&
	       outbound_render(a, "{{#a}}{{.}}-{{.}}-{{.}}-{{.}}{{/a}}", d, TMPL_ESC_NONE, &out,
			       &msg) == OUT_OK,
	   "OUTBOUND_RENDER_LINE gives a raw query value the line budget");
	ok(outbound_line_budget(a, 300) == NULL && outbound_line_budget(a, 301) &&
	       strstr(outbound_line_budget(a, 301), OUTBOUND_MSG_BUDGET),
	   "outbound_line_budget: a URL being built past the line budget");
	ok(outbound_render(a, "{{#a}}{{#a}}{{#a}}{{/a}}{{/a}}{{/a}}", d, TMPL_ESC_JSON, &out,
			   &msg) == OUT_OK,
	   "40^3 passes that write nothing fit 100,000 steps");
	ok(outbound_render(a, "{{#a}}{{#a}}{{#a}}{{#a}}{{/a}}{{/a}}{{/a}}{{/a}}", d, TMPL_ESC_JSON,
			   &out, &msg) == OUT_ETEMPLATE &&
	       msg && strstr(msg, "100000 rendering steps"),
	   "40^4 passes that write nothing do not: the step budget, not the output, stops them");
	outbound_config_free(&oc);
	config_free(&cfg);
	outbound_render_budget(1048576, 8192, 1000000);
	json_object_put(d);
}

/* ---- rendering ---- */

static void
test_render(struct arena *a)
{
	struct json_object *d = json_tokener_parse(
	    "{\"q\":\"a b&c/d?\",\"n\":\"He said \\\"hi\\\" \\\\ ok\",\"crlf\":\"x\\r\\nEvil: 1\","
	    "\"lf\":\"x\\ny\",\"raw\":\"a/b?c=d\",\"empty\":\"\",\"nul\":null,\"list\":[],"
	    "\"user\":{\"id\":7,\"name\":\"\"},\"zero\":0,\"no\":false}");
	char *out = NULL;
	const char *msg = NULL;
	ok(outbound_render(a, "https://x.test/s?q={{q}}", d, TMPL_ESC_URL, &out, &msg) == OUT_OK,
	   "URL renders");
	is_str(out, "https://x.test/s?q=a%20b%26c%2Fd%3F", "URL percent-encodes {{q}}");
	ok(outbound_render(a, "https://x.test/{{{raw}}}", d, TMPL_ESC_URL, &out, &msg) == OUT_OK,
	   "raw renders");
	is_str(out, "https://x.test/a/b?c=d", "{{{x}}} is raw in the URL");
	ok(outbound_render(a, "{\"name\":\"{{n}}\"}", d, TMPL_ESC_JSON, &out, &msg) == OUT_OK,
	   "JSON body renders");
	is_str(out, "{\"name\":\"He said \\\"hi\\\" \\\\ ok\"}", "JSON escapes quotes");
	struct json_object *back = json_tokener_parse(out ? out : "");
	struct json_object *name = NULL;
	ok(back && json_object_object_get_ex(back, "name", &name) &&
	       strcmp(json_object_get_string(name), "He said \"hi\" \\ ok") == 0,
	   "the rendered body parses back to the value");
	json_object_put(back);
	ok(outbound_render(a, "Bearer {{user.id}}", d, TMPL_ESC_HEADER, &out, &msg) == OUT_OK,
	   "header renders");
	is_str(out, "Bearer 7", "dotted name in a header");
	out = (char *)"x";
	ok(outbound_render(a, "v={{crlf}}", d, TMPL_ESC_HEADER, &out, &msg) == OUT_ETEMPLATE &&
	       out == NULL && msg && strstr(msg, "line break"),
	   "CR/LF in a header value refused");
	ok(outbound_render(a, "v={{lf}}", d, TMPL_ESC_HEADER, &out, &msg) == OUT_ETEMPLATE,
	   "bare LF in a header value refused");
	ok(outbound_render(a, "v={{{crlf}}}", d, TMPL_ESC_HEADER, &out, &msg) == OUT_ETEMPLATE,
	   "raw {{{x}}} still cannot inject a header line");
	ok(outbound_render(a, "line1\r\nX: y", d, TMPL_ESC_HEADER, &out, &msg) == OUT_ETEMPLATE,
	   "literal CR/LF in a header value refused");
	ok(outbound_render(a, "{{crlf}}", d, TMPL_ESC_NONE, &out, &msg) == OUT_OK &&
	       strcmp(out, "x\r\nEvil: 1") == 0,
	   "NONE keeps the value as it is");
	ok(outbound_render(a, "{{#q}}unclosed", d, TMPL_ESC_URL, &out, &msg) == OUT_ETEMPLATE &&
	       msg && strstr(msg, "not valid"),
	   "template syntax error reported");
	ok(outbound_render(a, "plain", NULL, TMPL_ESC_URL, &out, &msg) == OUT_OK &&
	       strcmp(out, "plain") == 0,
	   "NULL data renders");
	ok(outbound_render(a, "{{missing}}", d, TMPL_ESC_URL, &out, &msg) == OUT_OK &&
	       strcmp(out, "") == 0,
	   "a missing variable is empty when the row is not required");

	ok(outbound_render_ex(a, "k={{missing}}", d, TMPL_ESC_URL, 1, &out, &msg) ==
		   OUT_ETEMPLATE &&
	       msg && strstr(msg, "\"missing\""),
	   "required: missing variable named in the message");
	ok(outbound_render_ex(a, "{{empty}}", d, TMPL_ESC_HEADER, 1, &out, &msg) == OUT_ETEMPLATE,
	   "required: empty string counts as missing");
	ok(outbound_render_ex(a, "{{nul}}", d, TMPL_ESC_HEADER, 1, &out, &msg) == OUT_ETEMPLATE,
	   "required: null counts as missing");
	ok(outbound_render_ex(a, "{{user.name}}", d, TMPL_ESC_HEADER, 1, &out, &msg) ==
		   OUT_ETEMPLATE &&
	       msg && strstr(msg, "user.name"),
	   "required: empty dotted member named");
	ok(outbound_render_ex(a, "{{q}}-{{user.id}}-{{zero}}-{{no}}", d, TMPL_ESC_URL, 1, &out,
			      &msg) == OUT_OK,
	   "required: present values (0 and false too) pass");
	ok(outbound_render_ex(a, "static", d, TMPL_ESC_URL, 1, &out, &msg) == OUT_OK,
	   "required: a row without variables passes");

	struct tmpl *t = NULL;
	char err[128];
	const char *missing = NULL;
	const char *src = "{{q}}/{{list}}/{{user.id}}";
	ok(tmpl_compile(src, strlen(src), &t, err, sizeof(err)) == TMPL_OK, "compile for helper");
	ok(outbound_missing_var(t, d, &missing) == 1 && missing && strcmp(missing, "list") == 0,
	   "outbound_missing_var: empty array is the first missing");
	tmpl_free(t);
	src = "{{q}}{{user.id}}";
	ok(tmpl_compile(src, strlen(src), &t, err, sizeof(err)) == TMPL_OK &&
	       outbound_missing_var(t, d, &missing) == 0 && missing == NULL,
	   "outbound_missing_var: all present");
	tmpl_free(t);
	json_object_put(d);
}

/* ---- copy as cURL, messages ---- */

static void
test_as_curl(struct arena *a)
{
	struct outbound_header h[] = {
	    {"Authorization", "Bearer s3cr3t-token", 0},
	    {"X-Custom-Key", "hidden-value", 1},
	    {"x-api-key", "apikey-value", 0},
	    {"Accept", "application/json", 0},
	    {"X-Quote", "it's", 0},
	};
	struct outbound_request req = {.method = "POST",
				       .url = "https://api.test/items?a=1&b=2",
				       .headers = h,
				       .nheaders = 5,
				       .body = "{\"a\":1}",
				       .body_len = 7,
				       .verify_tls = 1};
	char *s = outbound_as_curl(a, &req);
	ok(s != NULL, "as_curl returns text");
	if (!s)
		return;
	printf("# %s\n", s);
	ok(strncmp(s, "curl -X POST 'https://api.test/items?a=1&b=2'", 45) == 0,
	   "method and quoted URL first");
	ok(!strstr(s, "s3cr3t") && strstr(s, "'Authorization: Bearer ****'"),
	   "Authorization masked, scheme kept");
	ok(!strstr(s, "hidden-value") && strstr(s, "'X-Custom-Key: ****'"),
	   "header marked secret masked");
	ok(!strstr(s, "apikey-value"), "x-api-key masked by name");
	ok(strstr(s, "'Accept: application/json'") != NULL, "plain header shown");
	ok(strstr(s, "'X-Quote: it'\\''s'") != NULL, "single quote escaped for the shell");
	ok(strstr(s, "--data-raw '{\"a\":1}'") != NULL, "body shown");
	ok(!strstr(s, "--insecure"), "no --insecure when verifying");
	req.verify_tls = 0;
	req.method = "GET";
	s = outbound_as_curl(a, &req);
	ok(s && strstr(s, "--insecure") && !strstr(s, "--data-raw"),
	   "--insecure shown, GET has no body");
}

static void
test_strerror(void)
{
	int distinct = 1, named = 1;
	for (int e = 0; e < OUT__MAX; e++) {
		const char *m = outbound_strerror((enum outbound_err)e);
		ok(m && strlen(m) > 10 && strcmp(m, "Unknown error.") != 0 &&
		       m[strlen(m) - 1] == '.',
		   "strerror(%s): %s", outbound_err_name((enum outbound_err)e), m);
		for (int f = 0; f < e; f++)
			if (strcmp(m, outbound_strerror((enum outbound_err)f)) == 0)
				distinct = 0;
		if (strcmp(outbound_err_name((enum outbound_err)e), "EUNKNOWN") == 0)
			named = 0;
	}
	ok(distinct, "every message differs");
	ok(named, "every code has a name");
	is_str(outbound_strerror(OUT_EDNS), "The host name could not be found (DNS).", "DNS words");
	is_str(outbound_strerror(OUT_EDENIED),
	       "The destination address is not allowed by this server's outbound policy.",
	       "policy words");
	is_str(outbound_strerror(OUT__MAX), "Unknown error.", "out of range");
	is_str(outbound_strerror((enum outbound_err) - 1), "Unknown error.", "negative");
	is_str(outbound_err_name(OUT_ETIMEOUT), "ETIMEOUT", "name of ETIMEOUT");
}

/* ---- refusals before any traffic ---- */

static void
test_send_refusals(struct arena *a)
{
	struct config cfg;
	struct outbound_config oc;
	struct outbound_response r;
	load_config(&cfg, "[outbound]\nconnect_timeout = 2\ntimeout = 2\n");
	outbound_config_load(&oc, &cfg);
	struct outbound_request req = {.method = "GET", .verify_tls = 1};
	req.url = "ftp://example.test/file";
	ok(outbound_send(NULL, &oc, a, &req, &r) == OUT_ESCHEME && r.err == OUT_ESCHEME &&
	       r.message && r.error_detail,
	   "ftp:// refused: %s", r.error_detail ? r.error_detail : "");
	req.url = "";
	ok(outbound_send(NULL, &oc, a, &req, &r) == OUT_EURL, "empty URL refused");
	req.url = "http://[::1";
	ok(outbound_send(NULL, &oc, a, &req, &r) == OUT_EURL, "malformed URL refused");
	req.url = "http://127.0.0.1:9/";
	ok(outbound_send(NULL, &oc, a, &req, &r) == OUT_EDENIED && r.error_detail &&
	       strstr(r.error_detail, "127.0.0.1"),
	   "default policy denies loopback: %s", r.error_detail ? r.error_detail : "");
	req.url = "http://[::ffff:127.0.0.1]:9/";
	ok(outbound_send(NULL, &oc, a, &req, &r) == OUT_EDENIED, "mapped loopback URL denied");
	req.url = "http://0x7f000001:9/";
	ok(outbound_send(NULL, &oc, a, &req, &r) == OUT_EDENIED, "hex loopback URL denied");
	req.url = "http://169.254.169.254/latest/meta-data/";
	ok(outbound_send(NULL, &oc, a, &req, &r) == OUT_EDENIED, "metadata address denied");
	req.method = "TRACE";
	ok(outbound_send(NULL, &oc, a, &req, &r) == OUT_EOTHER, "unknown method refused");
	req.method = "GET";
	struct outbound_header bad[] = {{"X-A", "v\r\nEvil: 1", 0}};
	req.headers = bad;
	req.nheaders = 1;
	ok(outbound_send(NULL, &oc, a, &req, &r) == OUT_ETEMPLATE, "CR/LF header refused at send");
	struct outbound_header badname[] = {{"X A", "v", 0}};
	req.headers = badname;
	ok(outbound_send(NULL, &oc, a, &req, &r) == OUT_ETEMPLATE, "bad header name refused");
	outbound_config_free(&oc);
	config_free(&cfg);
}

/* ---- authorization that needs no network ---- */

static const char *
header_value(const struct outbound_request *req, const char *name, int *count)
{
	const char *v = NULL;
	*count = 0;
	for (size_t i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0) {
			v = req->headers[i].value;
			(*count)++;
		}
	return v;
}

static void
test_auth(struct arena *a)
{
	struct outbound_config oc = {.connect_timeout = 1, .default_timeout = 1};
	struct outbound_header h[] = {{"Accept", "*/*", 0}, {"authorization", "old", 0}};
	struct outbound_request req = {
	    .method = "GET", .url = "http://x/", .headers = h, .nheaders = 2};
	struct connector_auth ca = {
	    .connector_id = 1, .type = AUTH_BASIC, .username = "user", .password = "pass"};
	const char *msg = NULL;
	int n = 0;
	is_str(auth_type_names[AUTH_OAUTH2_CLIENT_CREDENTIALS], "oauth2_client_credentials",
	       "name table");
	is_str(auth_type_labels[AUTH_OAUTH2_PASSWORD], "Auth 2.0 Password", "label table");
	ok(auth_type_from_name("bearer") == AUTH_BEARER && auth_type_from_name("nope") == -1 &&
	       auth_type_from_name(NULL) == -1,
	   "auth_type_from_name");
	ok(connector_authorize(NULL, &oc, NULL, NULL, a, &ca, 0, &req, &msg) == OUT_OK, "basic");
	is_str(header_value(&req, "Authorization", &n), "Basic dXNlcjpwYXNz", "Basic value");
	ok(n == 1 && req.nheaders == 2, "replaces the existing Authorization header");
	ok(req.headers[1].secret, "marked secret");
	ca.type = AUTH_BEARER;
	ca.token = "tok-123";
	ok(connector_authorize(NULL, &oc, NULL, NULL, a, &ca, 0, &req, &msg) == OUT_OK, "bearer");
	is_str(header_value(&req, "Authorization", &n), "Bearer tok-123", "Bearer value");
	ca.token = "";
	ok(connector_authorize(NULL, &oc, NULL, NULL, a, &ca, 0, &req, &msg) == OUT_EAUTH && msg,
	   "bearer without a token refused: %s", msg ? msg : "");
	ca.type = AUTH_NONE;
	size_t before = req.nheaders;
	ok(connector_authorize(NULL, &oc, NULL, NULL, a, &ca, 0, &req, &msg) == OUT_OK &&
	       req.nheaders == before,
	   "none leaves headers alone");
	ca.type = AUTH_OAUTH2_CLIENT_CREDENTIALS;
	ca.token_url = "";
	ok(connector_authorize(NULL, &oc, NULL, NULL, a, &ca, 0, &req, &msg) == OUT_EURL && msg &&
	       strstr(msg, "token URL"),
	   "oauth without a token URL: %s", msg ? msg : "");
}

/* Digest, AWS SigV4, client certificate, PKCE and the extra token fields: no network. */
static void
test_auth_methods(struct arena *a)
{
	struct outbound_config oc = {.connect_timeout = 1, .default_timeout = 1};
	struct outbound_request req = {.method = "GET", .url = "https://x.example/"};
	struct connector_auth ca = {
	    .connector_id = 1, .type = AUTH_DIGEST, .username = "dig", .password = "pw-digest"};
	const char *msg = NULL;
	ok(auth_type_from_name("digest") == AUTH_DIGEST &&
	       auth_type_from_name("aws_sigv4") == AUTH_AWS_SIGV4 &&
	       auth_type_from_name("client_cert") == AUTH_CLIENT_CERT &&
	       auth_type_from_name("oauth2_authorization_code") == AUTH_OAUTH2_AUTHORIZATION_CODE,
	   "the new names");
	ok(auth_type_is_oauth(AUTH_OAUTH2_AUTHORIZATION_CODE) &&
	       auth_type_is_oauth(AUTH_OAUTH2_PASSWORD) && !auth_type_is_oauth(AUTH_DIGEST) &&
	       !auth_type_is_oauth(AUTH_API_KEY),
	   "which are OAuth");
	ok(connector_authorize(NULL, &oc, NULL, NULL, a, &ca, 0, &req, &msg) == OUT_OK &&
	       req.cred && req.cred->digest && !strcmp(req.cred->user, "dig") &&
	       !strcmp(req.cred->pass, "pw-digest") && req.nheaders == 0,
	   "digest: curl credentials, no header");
	char *s = outbound_as_curl(a, &req);
	ok(s && strstr(s, "--digest -u 'dig:****'") && !strstr(s, "pw-digest"),
	   "digest shown masked: %s", s ? s : "");
	ca.username = "";
	req.cred = NULL;
	ok(connector_authorize(NULL, &oc, NULL, NULL, a, &ca, 0, &req, &msg) == OUT_EAUTH && msg &&
	       !req.cred,
	   "digest without a user refused: %s", msg ? msg : "");

	ca = (struct connector_auth){.connector_id = 1,
				     .type = AUTH_AWS_SIGV4,
				     .username = "AKIDEXAMPLE",
				     .password = "wJalrXUtnFEMI/K7MDENG",
				     .aws_region = "eu-west-1",
				     .aws_service = "execute-api"};
	ok(connector_authorize(NULL, &oc, NULL, NULL, a, &ca, 0, &req, &msg) == OUT_OK &&
	       req.cred && !req.cred->digest &&
	       !strcmp(req.cred->aws_sigv4, "aws:amz:eu-west-1:execute-api") &&
	       !strcmp(req.cred->user, "AKIDEXAMPLE"),
	   "sigv4: provider string and keys");
	s = outbound_as_curl(a, &req);
	ok(s && strstr(s, "--aws-sigv4 'aws:amz:eu-west-1:execute-api' -u 'AKIDEXAMPLE:****'") &&
	       !strstr(s, "wJalr"),
	   "sigv4 shown masked");
	ca.aws_region = "eu-west-1:evil";
	req.cred = NULL;
	ok(connector_authorize(NULL, &oc, NULL, NULL, a, &ca, 0, &req, &msg) == OUT_EAUTH &&
	       !req.cred,
	   "a region with ':' refused: %s", msg ? msg : "");
	ca.aws_region = "eu-west-1";
	ca.password = NULL;
	ok(connector_authorize(NULL, &oc, NULL, NULL, a, &ca, 0, &req, &msg) == OUT_EAUTH,
	   "sigv4 without a secret key refused");

	ca = (struct connector_auth){.connector_id = 1,
				     .type = AUTH_CLIENT_CERT,
				     .client_cert = "-----BEGIN CERTIFICATE-----\nx\n",
				     .client_key = "-----BEGIN PRIVATE KEY-----\nsecretkey\n"};
	ok(connector_authorize(NULL, &oc, NULL, NULL, a, &ca, 0, &req, &msg) == OUT_OK &&
	       req.cred && req.cred->cert_pem == ca.client_cert &&
	       req.cred->key_pem == ca.client_key,
	   "client certificate: PEM blobs");
	s = outbound_as_curl(a, &req);
	ok(s && strstr(s, "--key '****'") && !strstr(s, "secretkey") && !strstr(s, "--pass"),
	   "the key never shown; no --pass without a passphrase");
	ca.client_key_pass = "pass-phrase-1";
	ok(connector_authorize(NULL, &oc, NULL, NULL, a, &ca, 0, &req, &msg) == OUT_OK &&
	       req.cred && req.cred->key_pass == ca.client_key_pass,
	   "client certificate: the key passphrase goes along");
	s = outbound_as_curl(a, &req);
	ok(s && strstr(s, "--key '****' --pass '****'") && !strstr(s, "pass-phrase-1"),
	   "the passphrase never shown: %s", s ? s : "");
	ca.client_key_pass = NULL;
	ca.client_key = "";
	ok(connector_authorize(NULL, &oc, NULL, NULL, a, &ca, 0, &req, &msg) == OUT_EAUTH,
	   "a certificate without its key refused");

	/* RFC 7636 appendix B */
	char *ch = NULL;
	const char *v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
	ok(crypt_sha256_b64url(a, v, strlen(v), &ch) == CRYPT_OK, "S256");
	is_str(ch, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "the RFC 7636 challenge");
	const char *ver = NULL, *chal = NULL, *ver2 = NULL, *chal2 = NULL;
	ok(outbound_pkce_new(a, &ver, &chal) == 0 && outbound_pkce_new(a, &ver2, &chal2) == 0 &&
	       strlen(ver) == 43 && strlen(chal) == 43 && strcmp(ver, ver2) != 0,
	   "fresh verifiers of 43 characters");
	ok(crypt_sha256_b64url(a, ver, strlen(ver), &ch) == CRYPT_OK && !strcmp(ch, chal),
	   "the challenge is S256 of the verifier");

	ca = (struct connector_auth){.connector_id = 1,
				     .type = AUTH_OAUTH2_AUTHORIZATION_CODE,
				     .client_id = "my app",
				     .scope = "openid read",
				     .auth_url = "https://idp.example/authorize?tenant=a#frag"};
	const char *u = outbound_authorize_url(a, &ca, "https://dc.example/cb?x=1", "st", "chal");
	is_str(u,
	       "https://idp.example/authorize?tenant=a&response_type=code&client_id=my+app"
	       "&redirect_uri=https%3A%2F%2Fdc.example%2Fcb%3Fx%3D1&scope=openid+read&state=st"
	       "&code_challenge=chal&code_challenge_method=S256",
	       "the authorization URL");
	ca.auth_url = "javascript:alert(1)";
	ok(outbound_authorize_url(a, &ca, "https://dc/cb", "st", "chal") == NULL,
	   "only an http(s) authorization URL");

	ok(outbound_token_params_check(
	       a, "audience=https://api.example\n\n resource = urn:x \r\n") == NULL,
	   "extra token fields accepted");
	ok(outbound_token_params_check(a, "") == NULL &&
	       outbound_token_params_check(a, NULL) == NULL,
	   "none is fine");
	msg = outbound_token_params_check(a, "audience=a\nclient_secret=x");
	ok(msg && strstr(msg, "client_secret"), "a grant's own field refused: %s", msg ? msg : "");
	msg = outbound_token_params_check(a, "just text");
	ok(msg && strstr(msg, "just text"), "a line without '=': %s", msg ? msg : "");
	msg = outbound_token_params_check(a, "bad name=1");
	ok(msg && strstr(msg, "bad name"), "a bad field name: %s", msg ? msg : "");
	ok(outbound_token_param_reserved("code_verifier") &&
	       !outbound_token_param_reserved("audience"),
	   "reserved names");

	/* Authorization Code with nothing connected: no request, a plain message. */
	ca.token_url = "https://idp.example/token";
	ca.token_origin = "https://idp.example:443";
	req.cred = NULL;
	ok(connector_authorize(NULL, &oc, NULL, NULL, a, &ca, 0, &req, &msg) == OUT_EAUTH && msg &&
	       strstr(msg, "Connect"),
	   "not connected: %s", msg ? msg : "");
}

/* Origins: scheme and host in lower case, the default port written out; lists of them. */
static void
test_origin(struct arena *a)
{
	const char *bad = NULL;
	is_str(outbound_origin(a, "HTTPS://API.Example.com/x?y=1"), "https://api.example.com:443",
	       "origin with the default https port");
	is_str(outbound_origin(a, "http://u:p@b.example:8080/"), "http://b.example:8080",
	       "origin without user info");
	is_str(outbound_origin(a, "http://[::1]:81/"), "http://[::1]:81", "IPv6 origin");
	ok(outbound_origin(a, "ftp://a.example/") == NULL, "ftp has no origin here");
	ok(outbound_origin(a, "not a url") == NULL, "a non-URL has no origin");
	is_str(outbound_origin_list(
		   a, "https://a.example, http://b.example:8080/\nhttps://a.example:443", &bad),
	       "https://a.example:443 http://b.example:8080",
	       "a list, normalized, duplicates dropped");
	ok(outbound_origin_list(a, "https://a.example/path", &bad) == NULL && bad &&
	       !strcmp(bad, "https://a.example/path"),
	   "a URL with a path is not an origin");
	ok(outbound_origin_listed("http://b.example:8080",
				  "https://a.example:443 http://b.example:8080"),
	   "listed");
	ok(!outbound_origin_listed("http://b.example:80", "http://b.example:8080"), "port matters");
	is_str(outbound_url_resolve(a, "http://a.example/x/y?q", "../z"), "http://a.example/z",
	       "a relative Location");
}

int
main(void)
{
	struct arena a;
	arena_init(&a, 0);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	test_cidr_parse();
	test_cidr_contains();
	test_policy();
	test_config();
	test_render(&a);
	test_render_budget(&a);
	test_body_escape(&a);
	test_as_curl(&a);
	test_strerror();
	test_send_refusals(&a);
	test_auth(&a);
	test_auth_methods(&a);
	test_origin(&a);
	arena_free(&a);
	curl_global_cleanup();
	return tap_done();
}
