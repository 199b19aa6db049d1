/* Sending one outbound request: scheme and address policy on every connection, timeouts, a
 * capped body, final-hop headers, timings, and plain-language errors. Easy handles come
 * from a process-wide free list and share one connection cache, DNS cache and TLS session
 * cache, so a connection opened by one thread is reused by all. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "outbound.h"

#define MAX_RESP_HEADERS 256
#define TIMEOUT_MAX	 300

static CURLSH *share;
static pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
static pthread_mutex_t handles_lock = PTHREAD_MUTEX_INITIALIZER;
static CURL **handles; /* idle easy handles */
static size_t nhandles, handles_cap;

/* Everything the curl callbacks fill in for one request. */
struct send_ctx {
	struct arena *a;
	const struct outbound_config *oc;
	struct buf *body;
	size_t max;
	long long received;
	int truncated;
	int denied; /* a connection was refused by the policy */
	int opened; /* sockets opened to allowed addresses */
	char denied_addr[INET6_ADDRSTRLEN];
	struct outbound_header *headers;
	size_t nheaders, cap;
	const char *reason;
};

/* ---- messages ---- */

static const char *const err_names[OUT__MAX] = {
    [OUT_OK] = "OK",
    [OUT_EDNS] = "EDNS",
    [OUT_EREFUSED] = "EREFUSED",
    [OUT_ECONNECT_TIMEOUT] = "ECONNECT_TIMEOUT",
    [OUT_ETIMEOUT] = "ETIMEOUT",
    [OUT_ETLS] = "ETLS",
    [OUT_EREDIRECTS] = "EREDIRECTS",
    [OUT_EDENIED] = "EDENIED",
    [OUT_ESCHEME] = "ESCHEME",
    [OUT_EURL] = "EURL",
    [OUT_EBUSY] = "EBUSY",
    [OUT_ETEMPLATE] = "ETEMPLATE",
    [OUT_EOTHER] = "EOTHER",
    [OUT_EAUTH] = "EAUTH",
    [OUT_EORIGIN] = "EORIGIN",
};

static const char *const err_text[OUT__MAX] = {
    [OUT_OK] = "The request was sent and the data source answered.",
    [OUT_EDNS] = "The host name could not be found (DNS).",
    [OUT_EREFUSED] = "The connection was refused by the data source.",
    [OUT_ECONNECT_TIMEOUT] = "The data source could not be reached in time (connect timeout).",
    [OUT_ETIMEOUT] = "The data source did not answer in time.",
    [OUT_ETLS] = "The secure connection failed: the data source's certificate could not be "
		 "verified or the TLS handshake failed.",
    [OUT_EREDIRECTS] = "The data source redirected too many times.",
    [OUT_EDENIED] = "The destination address is not allowed by this server's outbound policy.",
    [OUT_ESCHEME] = "Only http:// and https:// addresses can be used.",
    [OUT_EURL] = "The URL is not valid.",
    [OUT_EBUSY] = "The server is busy with other outbound requests; try again in a moment.",
    [OUT_ETEMPLATE] = "The request could not be built from its templates (a required value is "
		      "missing or a header value contains a line break).",
    [OUT_EOTHER] = "The request to the data source failed.",
    [OUT_EAUTH] = "An access token could not be obtained from the token endpoint.",
    [OUT_EORIGIN] = "The request was not sent: it would carry credentials to an origin they "
		    "are not bound to.",
};

const char *
outbound_strerror(enum outbound_err e)
{
	if ((int)e < 0 || e >= OUT__MAX || !err_text[e])
		return "Unknown error.";
	return err_text[e];
}

const char *
outbound_err_name(enum outbound_err e)
{
	if ((int)e < 0 || e >= OUT__MAX || !err_names[e])
		return "EUNKNOWN";
	return err_names[e];
}

/* The user message with numbers filled in where they help (timeouts, redirects). */
static const char *
err_message(struct arena *a, enum outbound_err e, long timeout, long connect_timeout,
	    long redirects)
{
	const char *m = NULL;
	if (e == OUT_ETIMEOUT)
		m = arena_printf(a, "The data source did not answer within %ld second%s.", timeout,
				 timeout == 1 ? "" : "s");
	else if (e == OUT_ECONNECT_TIMEOUT)
		m = arena_printf(a, "The data source could not be reached within %ld second%s.",
				 connect_timeout, connect_timeout == 1 ? "" : "s");
	else if (e == OUT_EREDIRECTS)
		m = arena_printf(a, "The data source redirected more than %ld time%s.", redirects,
				 redirects == 1 ? "" : "s");
	return m ? m : outbound_strerror(e);
}

/* ---- the shared curl state ---- */

static void
share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *userp)
{
	(void)h;
	(void)access;
	(void)userp;
	pthread_mutex_lock(&share_locks[data]);
}

static void
share_unlock(CURL *h, curl_lock_data data, void *userp)
{
	(void)h;
	(void)userp;
	pthread_mutex_unlock(&share_locks[data]);
}

int
outbound_global_init(void)
{
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&share_locks[i], NULL);
	share = curl_share_init();
	if (!share)
		return -1;
	curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	return 0;
}

void
outbound_global_free(void)
{
	pthread_mutex_lock(&handles_lock);
	for (size_t i = 0; i < nhandles; i++)
		curl_easy_cleanup(handles[i]);
	free(handles);
	handles = NULL;
	nhandles = handles_cap = 0;
	pthread_mutex_unlock(&handles_lock);
	if (share)
		curl_share_cleanup(share);
	share = NULL;
}

static CURL *
handle_take(void)
{
	CURL *h = NULL;
	pthread_mutex_lock(&handles_lock);
	if (nhandles)
		h = handles[--nhandles];
	pthread_mutex_unlock(&handles_lock);
	return h ? h : curl_easy_init();
}

static void
handle_give(CURL *h)
{
	pthread_mutex_lock(&handles_lock);
	if (nhandles == handles_cap) {
		size_t cap = handles_cap ? handles_cap * 2 : 64;
		CURL **n = realloc(handles, cap * sizeof(*n));
		if (n) {
			handles = n;
			handles_cap = cap;
		}
	}
	if (nhandles < handles_cap) {
		handles[nhandles++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&handles_lock);
	if (h)
		curl_easy_cleanup(h);
}

/* ---- curl callbacks ---- */

/* Creates the socket for every connection curl makes (first hop, each redirect, each
 * address tried), after DNS: the one place every destination address passes. */
static curl_socket_t
open_socket_cb(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
{
	struct send_ctx *c = clientp;
	if (purpose != CURLSOCKTYPE_IPCXN ||
	    !addr_policy_allows(&c->oc->policy, (const struct sockaddr *)&addr->addr)) {
		const struct sockaddr *sa = (const struct sockaddr *)&addr->addr;
		const void *ip =
		    sa->sa_family == AF_INET6
			? (const void *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr
			: (const void *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		c->denied = 1;
		if (!inet_ntop(sa->sa_family, ip, c->denied_addr, sizeof(c->denied_addr)))
			c->denied_addr[0] = '\0';
		return CURL_SOCKET_BAD;
	}
	c->opened++;
	return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

/* Keeps at most max bytes; past that, records the cut and stops the transfer (curl then
 * returns CURLE_WRITE_ERROR, which send() turns back into success with truncated set). */
static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct send_ctx *c = userdata;
	size_t n = size * nmemb;
	c->received += (long long)n;
	size_t room = c->max > c->body->len ? c->max - c->body->len : 0;
	size_t take = n < room ? n : room;
	if (take && buf_append(c->body, ptr, take) != 0)
		return 0;
	if (take < n) {
		c->truncated = 1;
		return 0;
	}
	return n;
}

/* Reason phrase for a status when the server sent none (HTTP/2 never does). */
static const char *
default_reason(long status)
{
	const char *t = http_reason_phrase(status);
	return t ? t : "";
}

/* "HTTP/1.1 404 Not Found": starts a new hop's headers and keeps its reason phrase. The
 * connection attempts counted so far belonged to a hop that got an answer: start over, so
 * map_error judges only the hop that failed. */
static void
header_status_line(struct send_ctx *c, const char *p, size_t n)
{
	c->nheaders = 0;
	c->reason = NULL;
	c->opened = 0;
	c->denied = 0;
	c->denied_addr[0] = '\0';
	const char *sp = memchr(p, ' ', n);
	if (!sp)
		return;
	size_t rest = n - (size_t)(sp + 1 - p);
	const char *sp2 = memchr(sp + 1, ' ', rest);
	if (!sp2)
		return;
	size_t rlen = n - (size_t)(sp2 + 1 - p);
	if (rlen)
		c->reason = arena_strndup(c->a, sp2 + 1, rlen);
}

/* Stores "Name: value" of the current hop (leading/trailing blanks trimmed). */
static void
header_field(struct send_ctx *c, const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	if (!colon || colon == p || c->nheaders >= MAX_RESP_HEADERS)
		return;
	if (c->nheaders == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		struct outbound_header *h = arena_alloc(c->a, ncap * sizeof(*h));
		if (!h)
			return;
		if (c->nheaders)
			memcpy(h, c->headers, c->nheaders * sizeof(*h));
		c->headers = h;
		c->cap = ncap;
	}
	const char *v = colon + 1, *end = p + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	struct outbound_header *h = &c->headers[c->nheaders];
	h->name = arena_strndup(c->a, p, (size_t)(colon - p));
	h->value = arena_strndup(c->a, v, (size_t)(end - v));
	h->secret = 0;
	if (h->name && h->value)
		c->nheaders++;
}

/* curl passes every header line of every hop (and of 1xx interim answers); a status line
 * starts over, so what is left at the end belongs to the final response. */
static size_t
header_cb(char *ptr, size_t size, size_t nitems, void *userdata)
{
	struct send_ctx *c = userdata;
	size_t n = size * nitems, len = n;
	while (len && (ptr[len - 1] == '\r' || ptr[len - 1] == '\n'))
		len--;
	if (len >= 5 && memcmp(ptr, "HTTP/", 5) == 0)
		header_status_line(c, ptr, len);
	else if (len && ptr[0] != ' ' && ptr[0] != '\t')
		header_field(c, ptr, len);
	return n;
}

/* ---- request setup ---- */

/* RFC 7230 token characters. */
static int
is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static int
header_ok(const struct outbound_header *h)
{
	if (!h->name || !*h->name)
		return 0;
	for (const char *p = h->name; *p; p++)
		if (!is_tchar((unsigned char)*p))
			return 0;
	return !h->value || !strpbrk(h->value, "\r\n");
}

/* Builds curl's header list: "Name: value", or "Name;" for an empty value (curl's way
 * to send one). Adds "Expect:" so large bodies go out without a 100-continue wait. */
static int
build_headers(struct arena *a, const struct outbound_request *req, struct curl_slist **out)
{
	struct curl_slist *l = NULL, *t;
	*out = NULL;
	for (size_t i = 0; i < req->nheaders; i++) {
		const struct outbound_header *h = &req->headers[i];
		if (!header_ok(h))
			goto bad;
		const char *line = h->value && *h->value
				       ? arena_printf(a, "%s: %s", h->name, h->value)
				       : arena_printf(a, "%s;", h->name);
		if (!line || !(t = curl_slist_append(l, line)))
			goto bad;
		l = t;
	}
	/* "Expect:" (none) keeps curl from waiting for 100-continue; curl 7.x's SigV4 would
	 * sign that empty header although it is never sent, so a signed request goes without. */
	if (req->cred && req->cred->aws_sigv4) {
		*out = l;
		return 0;
	}
	if (!(t = curl_slist_append(l, "Expect:")))
		goto bad;
	*out = t;
	return 0;
bad:
	curl_slist_free_all(l);
	return -1;
}

/* Effective total timeout in seconds: the request's, else the config default, 1..300. */
static long
req_timeout(const struct outbound_config *oc, const struct outbound_request *req)
{
	long t = req->timeout > 0 ? req->timeout : oc->default_timeout;
	if (t <= 0)
		t = 30;
	return t > TIMEOUT_MAX ? TIMEOUT_MAX : t;
}

static void
set_method(CURL *h, const struct outbound_request *req)
{
	int post = strcmp(req->method, "POST") == 0;
	if (strcmp(req->method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		return;
	}
	if (!post)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	if (req->body || post) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(req->body ? req->body_len : 0));
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
	}
}

/* Digest, AWS SigV4 and the client certificate: curl copies the blobs (CURL_BLOB_COPY),
 * and the handle is reset after the transfer, so nothing outlives the request in memory
 * that is not wiped with it; the key never touches a file. */
static void
set_cred(CURL *h, const struct outbound_cred *cr)
{
	if (!cr)
		return;
	if (cr->digest || cr->aws_sigv4) {
		curl_easy_setopt(h, CURLOPT_USERNAME, cr->user ? cr->user : "");
		curl_easy_setopt(h, CURLOPT_PASSWORD, cr->pass ? cr->pass : "");
	}
	if (cr->digest)
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_DIGEST);
	else if (cr->aws_sigv4)
		curl_easy_setopt(h, CURLOPT_AWS_SIGV4, cr->aws_sigv4);
	if (cr->cert_pem && *cr->cert_pem) {
		struct curl_blob cert = {(void *)cr->cert_pem, strlen(cr->cert_pem),
					 CURL_BLOB_COPY};
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
	}
	if (cr->key_pem && *cr->key_pem) {
		struct curl_blob key = {(void *)cr->key_pem, strlen(cr->key_pem), CURL_BLOB_COPY};
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
		curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key);
		/* Always a passphrase, "" when none: libcurl 7.88's callback for a key blob takes
		 * strlen() of it, so an encrypted key without one crashed the process (now it fails
		 * with CURLE_SSL_CERTPROBLEM). Copied by curl; never a terminal prompt. */
		curl_easy_setopt(h, CURLOPT_KEYPASSWD, cr->key_pass ? cr->key_pass : "");
	}
}

static int
pair_cmp(const void *x, const void *y)
{
	const char *a = *(const char *const *)x, *b = *(const char *const *)y;
	size_t na = strcspn(a, "="), nb = strcspn(b, "=");
	int c = memcmp(a, b, na < nb ? na : nb);
	if (c == 0 && na != nb)
		return na < nb ? -1 : 1;
	return c != 0 ? c : strcmp(a, b);
}

/* url with its query parameters in SigV4's canonical order (by name, then value, byte-wise):
 * libcurl before 8.x signs the query as it stands, which the service (which sorts) then
 * finds wrong. The parameters themselves are sent unchanged. */
static const char *
sigv4_url(struct arena *a, const char *url)
{
	const char *q = strchr(url, '?');
	size_t end = strcspn(url, "#"), n = 1;
	if (!q || (size_t)(q - url) > end)
		return url;
	char *query = arena_strndup(a, q + 1, end - (size_t)(q - url) - 1);
	if (!query)
		return url;
	for (const char *p = query; *p; p++)
		n += *p == '&';
	char **pairs = arena_alloc(a, n * sizeof(*pairs));
	if (!pairs)
		return url;
	size_t k = 0;
	for (char *p = query, *save = NULL, *tok; (tok = strtok_r(p, "&", &save)); p = NULL)
		pairs[k++] = tok;
	qsort(pairs, k, sizeof(*pairs), pair_cmp);
	struct buf b;
	buf_init(&b);
	buf_append(&b, url, (size_t)(q - url) + 1);
	for (size_t i = 0; i < k; i++) {
		if (i)
			buf_putc(&b, '&');
		buf_puts(&b, pairs[i]);
	}
	buf_puts(&b, url + end);
	const char *out = b.failed ? url : arena_strndup(a, b.data ? b.data : "", b.len);
	buf_free(&b);
	return out ? out : url;
}

/* All options for one request on a freshly reset handle. */
static void
set_options(CURL *h, const struct outbound_config *oc, const struct outbound_request *req,
	    struct send_ctx *c, struct curl_slist *hdrs, char *errbuf)
{
	long timeout = req_timeout(oc, req);
	long connect = oc->connect_timeout > 0 ? oc->connect_timeout : 5;
	curl_easy_setopt(h, CURLOPT_URL,
			 req->cred && req->cred->aws_sigv4 ? sigv4_url(c->a, req->url) : req->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_PROXY, ""); /* never an environment proxy: policy sees all */
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L); /* outbound_send follows, hop by hop */
	curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket_cb);
	curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, c);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 (connect < timeout ? connect : timeout) * 1000);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout * 1000);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, req->verify_tls ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, req->verify_tls ? 2L : 0L);
	if (oc->ca_bundle)
		curl_easy_setopt(h, CURLOPT_CAINFO, oc->ca_bundle);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "dcgate");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	set_method(h, req);
	set_cred(h, req->cred);
}

/* ---- results ---- */

/* CURLcode to our error; the socket callback's refusal shows up as COULDNT_CONNECT (denied
 * only when no allowed address was tried: "localhost" with ::1 denied and 127.0.0.1 allowed
 * but closed is a refused connection). */
static enum outbound_err
map_error(CURL *h, CURLcode rc, const struct send_ctx *c)
{
	curl_off_t connect_us = 0;
	switch (rc) {
	case CURLE_OK:
		return OUT_OK;
	case CURLE_WRITE_ERROR:
		return c->truncated ? OUT_OK : OUT_EOTHER;
	case CURLE_COULDNT_RESOLVE_HOST:
		return OUT_EDNS;
	case CURLE_COULDNT_CONNECT:
		return c->denied && !c->opened ? OUT_EDENIED : OUT_EREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		/* A reused connection (no socket opened) was connected long before. */
		curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
		return connect_us > 0 || c->opened == 0 ? OUT_ETIMEOUT : OUT_ECONNECT_TIMEOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CLIENTCERT:
	case CURLE_USE_SSL_FAILED:
		return OUT_ETLS;
	case CURLE_TOO_MANY_REDIRECTS:
		return OUT_EREDIRECTS;
	case CURLE_UNSUPPORTED_PROTOCOL:
		return OUT_ESCHEME;
	case CURLE_URL_MALFORMAT:
		return OUT_EURL;
	default:
		return OUT_EOTHER;
	}
}

static double
us_between(curl_off_t from, curl_off_t to)
{
	return to > from ? (double)(to - from) / 1000.0 : 0.0;
}

/* Phase durations from curl's cumulative times. */
static void
fill_timings(CURL *h, struct outbound_timings *t)
{
	curl_off_t dns = 0, conn = 0, tls = 0, first = 0, total = 0;
	curl_easy_getinfo(h, CURLINFO_NAMELOOKUP_TIME_T, &dns);
	curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &conn);
	curl_easy_getinfo(h, CURLINFO_APPCONNECT_TIME_T, &tls);
	curl_easy_getinfo(h, CURLINFO_STARTTRANSFER_TIME_T, &first);
	curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total);
	t->dns_ms = us_between(0, dns);
	t->connect_ms = us_between(dns, conn);
	t->tls_ms = tls > 0 ? us_between(conn, tls) : 0.0;
	t->first_byte_ms = first > 0 ? us_between(tls > conn ? tls : conn, first) : 0.0;
	t->total_ms = us_between(0, total);
}

/* Status, headers, body and info of the finished transfer into resp. */
static void
fill_response(CURL *h, struct send_ctx *c, struct outbound_response *resp)
{
	char *url = NULL;
	long redirects = 0;
	curl_off_t clen = -1;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_easy_getinfo(h, CURLINFO_REDIRECT_COUNT, &redirects);
	curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &url);
	curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &clen);
	resp->redirects = (int)redirects;
	resp->effective_url = url ? arena_strdup(c->a, url) : NULL;
	resp->reason = c->reason ? c->reason : default_reason(resp->status);
	resp->headers = c->headers;
	resp->nheaders = c->nheaders;
	resp->body = c->body->data ? c->body->data : arena_strdup(c->a, "");
	resp->body_len = c->body->len;
	resp->truncated = c->truncated;
	resp->size = c->truncated && clen > c->received ? (long long)clen : c->received;
	fill_timings(h, &resp->t);
}

/* Fills err, message and detail for a failed (or cut) transfer. */
static void
fill_error(struct arena *a, const struct outbound_config *oc, const struct outbound_request *req,
	   const struct send_ctx *c, CURLcode rc, const char *errbuf,
	   struct outbound_response *resp)
{
	long timeout = req_timeout(oc, req);
	long connect = oc->connect_timeout < timeout ? oc->connect_timeout : timeout;
	if (resp->err == OUT_OK)
		return;
	resp->message = err_message(a, resp->err, timeout, connect, oc->max_redirects);
	if (rc == CURLE_SSL_CERTPROBLEM && req->cred && req->cred->key_pem)
		resp->message = "The client certificate or its private key could not be used: the "
				"Key passphrase is wrong or missing, or the key does not belong to "
				"the certificate.";
	if (resp->err == OUT_EDENIED && c->denied_addr[0])
		resp->error_detail = arena_printf(
		    a, "Connecting to %s is not allowed by outbound.deny.", c->denied_addr);
	else
		resp->error_detail = arena_strdup(a, errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

/* Runs the transfer on a handle that is reset before and after, so no pointer into this
 * call's stack or arena stays set on the reused handle. */
static int
send_on(CURL *h, const struct outbound_config *oc, struct arena *a,
	const struct outbound_request *req, struct outbound_response *resp)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	struct send_ctx c = {.a = a, .oc = oc, .max = oc->max_response};
	c.body = arena_alloc(a, sizeof(*c.body));
	if (!c.body || buf_init_arena(c.body, a) != 0) {
		resp->err = OUT_EOTHER;
		resp->error_detail = "out of memory";
		return resp->err;
	}
	if (build_headers(a, req, &hdrs) != 0) {
		resp->err = OUT_ETEMPLATE;
		resp->message =
		    "A request header has an invalid name or a line break in its value.";
		return resp->err;
	}
	curl_easy_reset(h);
	set_options(h, oc, req, &c, hdrs, errbuf);
	if (share) {
		curl_easy_setopt(h, CURLOPT_SHARE, share);
		curl_easy_setopt(h, CURLOPT_MAXCONNECTS, oc->concurrency);
	}
	CURLcode rc = curl_easy_perform(h);
	resp->err = map_error(h, rc, &c);
	fill_response(h, &c, resp);
	fill_error(a, oc, req, &c, rc, errbuf, resp);
	curl_easy_reset(h);
	curl_slist_free_all(hdrs);
	return resp->err;
}

/* ---- redirects, followed here so that every hop's credentials are decided ---- */

static int
is_redirect(long status)
{
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

static const char *
location_of(const struct outbound_response *r)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (r->headers[i].name && !strcasecmp(r->headers[i].name, "Location"))
			return r->headers[i].value;
	return NULL;
}

static int
has_secret_header(const struct outbound_request *req)
{
	if (req->cred)
		return 1;
	for (size_t i = 0; i < req->nheaders; i++)
		if (req->headers[i].secret)
			return 1;
	return 0;
}

/* req's headers in a, without the secret ones (secrets) and without Content-Type and
 * Content-Length (body: the body is gone). */
static void
drop_headers(struct arena *a, struct outbound_request *req, int secrets, int body)
{
	struct outbound_header *h = arena_alloc(a, (req->nheaders + 1) * sizeof(*h));
	size_t n = 0;
	if (!h) {
		req->nheaders = 0;
		return;
	}
	for (size_t i = 0; i < req->nheaders; i++) {
		const struct outbound_header *x = &req->headers[i];
		if (secrets && x->secret)
			continue;
		if (body && x->name &&
		    (!strcasecmp(x->name, "Content-Type") ||
		     !strcasecmp(x->name, "Content-Length")))
			continue;
		h[n++] = *x;
	}
	req->headers = h;
	req->nheaders = n;
}

static void
refuse(struct outbound_response *resp, enum outbound_err e, const char *message)
{
	resp->err = e;
	resp->message = message ? message : outbound_strerror(e);
	resp->error_detail = NULL;
}

/* The request of the next hop to next (an absolute URL) after a redirect with status: the
 * method as browsers change it (303: GET; 301/302: a POST becomes GET), credentials kept
 * only for an allowed origin. 0 to follow, -1 with resp->err set when refused. */
static int
next_hop(struct arena *a, const struct outbound_request *first, struct outbound_request *cur,
	 long status, const char *next, struct outbound_response *resp)
{
	const char *from = outbound_origin(a, cur->url), *to = outbound_origin(a, next);
	const char *allowed =
	    first->cred_origins ? first->cred_origins : outbound_origin(a, first->url);
	if (!to) {
		refuse(resp, OUT_ESCHEME, NULL);
		return -1;
	}
	int to_get = (status == 303 && strcmp(cur->method, "GET") != 0) ||
		     ((status == 301 || status == 302) && !strcmp(cur->method, "POST"));
	if (to_get) {
		cur->method = "GET";
		cur->body = NULL;
		cur->body_len = 0;
		cur->body_secret = 0;
		drop_headers(a, cur, 0, 1);
	}
	int same = from && !strcmp(from, to);
	if (!same && !outbound_origin_listed(to, allowed)) {
		if (cur->body && cur->body_secret) {
			refuse(
			    resp, OUT_EORIGIN,
			    arena_printf(a,
					 "The data source redirected to %s, which would get the "
					 "credentials in the request body again; the redirect was "
					 "not followed.",
					 to));
			return -1;
		}
		drop_headers(a, cur, 1, 0);
		cur->cred = NULL;
	}
	if (!strncmp(cur->url, "https:", 6) && !strncmp(to, "http:", 5) &&
	    (has_secret_header(cur) || (cur->body && cur->body_secret))) {
		refuse(resp, OUT_EORIGIN,
		       arena_printf(a,
				    "The data source redirected from https to %s while credentials "
				    "were attached; the redirect was not followed.",
				    to));
		return -1;
	}
	cur->url = next;
	return 0;
}

static void
add_timings(struct outbound_timings *sum, const struct outbound_timings *t)
{
	sum->dns_ms += t->dns_ms;
	sum->connect_ms += t->connect_ms;
	sum->tls_ms += t->tls_ms;
	sum->first_byte_ms += t->first_byte_ms;
	sum->total_ms += t->total_ms;
}

/* Sends req and each redirect hop (up to oc->max_redirects) on h. */
static int
send_hops(CURL *h, const struct outbound_config *oc, struct arena *a,
	  const struct outbound_request *req, struct outbound_response *resp)
{
	struct outbound_request cur = *req;
	struct outbound_timings sum = {0};
	int hops = 0;
	for (;;) {
		send_on(h, oc, a, &cur, resp);
		add_timings(&sum, &resp->t);
		resp->t = sum;
		resp->redirects = hops;
		resp->effective_url = cur.url;
		const char *loc = location_of(resp);
		if (resp->err != OUT_OK || !is_redirect(resp->status) || !loc ||
		    oc->max_redirects <= 0)
			break;
		if (hops >= oc->max_redirects) {
			refuse(resp, OUT_EREDIRECTS,
			       err_message(a, OUT_EREDIRECTS, 0, 0, oc->max_redirects));
			break;
		}
		const char *next = outbound_url_resolve(a, cur.url, loc);
		if (!next) {
			refuse(resp, OUT_EURL, NULL);
			break;
		}
		if (next_hop(a, req, &cur, resp->status, next, resp) != 0)
			break;
		hops++;
	}
	return resp->err;
}

int
outbound_send(void *curl, const struct outbound_config *oc, struct arena *a,
	      const struct outbound_request *req, struct outbound_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	resp->size = 0;
	if (!req->url || !*req->url) {
		resp->err = OUT_EURL;
		resp->message = outbound_strerror(OUT_EURL);
		return resp->err;
	}
	if (method_index(req->method, METHOD_SENDABLE) < 0) {
		resp->err = OUT_EOTHER;
		resp->message = "The method must be GET, POST, PUT, PATCH or DELETE.";
		return resp->err;
	}
	struct outbound_slot slot;
	if (outbound_slot_take(oc, req->connector_id, req->connector_cap, &slot) != OUT_OK) {
		resp->err = OUT_EBUSY;
		resp->message = outbound_busy_message(a, &slot);
		resp->retry_after = 1 + oc->queue_timeout_ms / 1000;
		return resp->err;
	}
	CURL *h = curl ? curl : handle_take();
	if (!h) {
		outbound_slot_give(&slot);
		resp->err = OUT_EOTHER;
		resp->message = outbound_strerror(OUT_EOTHER);
		return resp->err;
	}
	int rc = send_hops(h, oc, a, req, resp);
	if (!curl)
		handle_give(h);
	outbound_slot_give(&slot);
	return rc;
}

/* ---- copy as cURL ---- */

/* Credential-bearing header names masked even when the caller did not mark them. */
static int
header_is_secret(const struct outbound_header *h)
{
	static const char *const names[] = {
	    "authorization", "proxy-authorization", "cookie",	      "x-api-key",
	    "api-key",	     "x-auth-token",	    "x-access-token", "private-token",
	};
	if (h->secret)
		return 1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (h->name && strcasecmp(h->name, names[i]) == 0)
			return 1;
	return 0;
}

/* Appends s single-quoted for a POSIX shell ( ' becomes '\'' ). */
static void
shell_quote(struct buf *b, const char *s, size_t n)
{
	buf_putc(b, '\'');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'')
			buf_puts(b, "'\\''");
		else
			buf_putc(b, s[i]);
	}
	buf_putc(b, '\'');
}

/* Masks the credential of an Authorization-style value but keeps its scheme word
 * ("Bearer ****"), so the reader sees which method was applied. */
static void
put_masked(struct buf *b, const struct outbound_header *h)
{
	const char *v = h->value ? h->value : "";
	const char *sp = strchr(v, ' ');
	int scheme = strncasecmp(h->name, "authorization", 13) == 0 ||
		     strncasecmp(h->name, "proxy-authorization", 19) == 0;
	struct buf tmp;
	buf_init(&tmp);
	buf_puts(&tmp, h->name);
	buf_puts(&tmp, ": ");
	if (scheme && sp)
		buf_append(&tmp, v, (size_t)(sp - v + 1));
	buf_puts(&tmp, "****");
	shell_quote(b, tmp.data ? tmp.data : "", tmp.len);
	buf_free(&tmp);
}

/* --digest / --aws-sigv4 with -u 'user:****', --cert and --key with the secret masked. */
static void
put_cred(struct buf *b, const struct outbound_cred *cr)
{
	if (cr->digest || cr->aws_sigv4) {
		if (cr->digest) {
			buf_puts(b, " \\\n  --digest");
		} else {
			buf_puts(b, " \\\n  --aws-sigv4 ");
			shell_quote(b, cr->aws_sigv4, strlen(cr->aws_sigv4));
		}
		struct buf tmp;
		buf_init(&tmp);
		buf_printf(&tmp, "%s:****", cr->user ? cr->user : "");
		buf_puts(b, " -u ");
		shell_quote(b, tmp.data ? tmp.data : "", tmp.len);
		buf_free(&tmp);
	}
	if (cr->cert_pem && *cr->cert_pem)
		buf_puts(b, " \\\n  --cert 'client-cert.pem' --key '****'");
	if (cr->key_pass && *cr->key_pass)
		buf_puts(b, " --pass '****'");
}

char *
outbound_as_curl(struct arena *a, const struct outbound_request *req)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "curl");
	if (!req->verify_tls)
		buf_puts(&b, " --insecure");
	buf_puts(&b, " -X ");
	buf_puts(&b, req->method ? req->method : "GET");
	buf_putc(&b, ' ');
	shell_quote(&b, req->url ? req->url : "", req->url ? strlen(req->url) : 0);
	if (req->cred)
		put_cred(&b, req->cred);
	for (size_t i = 0; i < req->nheaders; i++) {
		const struct outbound_header *h = &req->headers[i];
		buf_puts(&b, " \\\n  -H ");
		if (header_is_secret(h)) {
			put_masked(&b, h);
		} else {
			struct buf tmp;
			buf_init(&tmp);
			buf_printf(&tmp, "%s: %s", h->name ? h->name : "",
				   h->value ? h->value : "");
			shell_quote(&b, tmp.data ? tmp.data : "", tmp.len);
			buf_free(&tmp);
		}
	}
	if (req->body && (!req->method || strcmp(req->method, "GET") != 0)) {
		buf_puts(&b, " \\\n  --data-raw ");
		shell_quote(&b, req->body, req->body_len);
	}
	char *out = b.failed ? NULL : arena_strndup(a, b.data ? b.data : "", b.len);
	buf_free(&b);
	return out;
}
