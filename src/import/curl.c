/* import: one endpoint from a cURL command line as API documentation prints it. The line is
 * split as a POSIX shell would (single and double quotes, $'…', backslashes, line
 * continuations); nothing is ever run: a command substitution $(…) or `…` is refused with
 * its place, and $NAME / ${NAME} become the variable {{NAME}}. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "import_internal.h"

struct carg {
	char *s;
	int line, col;
};

struct cscan {
	struct arena *a;
	const char *p, *end;
	int line, col;
	struct import_error *err;
	struct buf *cur;
};

static void
adv(struct cscan *c)
{
	if (*c->p == '\n') {
		c->line++;
		c->col = 1;
	} else
		c->col++;
	c->p++;
}

/* $NAME, ${NAME}; refuses $( and `; returns 1 when it consumed something, -1 on refusal. */
static int
dollar(struct cscan *c)
{
	const char *p = c->p;
	if (*p == '`' || (*p == '$' && p + 1 < c->end && p[1] == '(')) {
		import_fail(c->err, IMPORT_EREFUSED, c->line, c->col, NULL,
			    "The cURL command holds a shell command substitution (%s); dcgate "
			    "never runs commands: replace it with its value",
			    *p == '`' ? "`…`" : "$(…)");
		return -1;
	}
	if (*p != '$' || p + 1 >= c->end)
		return 0;
	const char *n = p + 1;
	int braced = *n == '{';
	if (braced)
		n++;
	const char *e = n;
	while (e < c->end && (isalnum((unsigned char)*e) || *e == '_'))
		e++;
	if (e == n || (braced && (e >= c->end || *e != '}')))
		return 0;
	buf_puts(c->cur, "{{");
	buf_append(c->cur, n, (size_t)(e - n));
	buf_puts(c->cur, "}}");
	while (c->p < e + (braced ? 1 : 0))
		adv(c);
	return 1;
}

static int
scan_args(struct cscan *c, struct carg **out, size_t *nout)
{
	size_t cap = 0;
	*out = NULL;
	*nout = 0;
	for (;;) {
		/* blanks and continuations between words */
		while (c->p < c->end) {
			if (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n')
				adv(c);
			else if (*c->p == '\\' && c->p + 1 < c->end &&
				 (c->p[1] == '\n' || c->p[1] == '\r')) {
				adv(c);
				while (c->p < c->end && (*c->p == '\r' || *c->p == '\n')) {
					adv(c);
					if (c->p[-1] == '\n')
						break;
				}
			} else if (*c->p == '#') {
				while (c->p < c->end && *c->p != '\n')
					adv(c);
			} else
				break;
		}
		if (c->p >= c->end)
			return 0;
		if (*c->p == ';' || *c->p == '|' || *c->p == '&' || *c->p == '<' || *c->p == '>') {
			import_fail(
			    c->err, IMPORT_EREFUSED, c->line, c->col, NULL,
			    "The cURL command goes on with a shell operator '%c'; paste one "
			    "curl command only",
			    *c->p);
			return IMPORT_EREFUSED;
		}
		int line = c->line, col = c->col;
		const char *word = c->p;
		buf_reset(c->cur);
		while (c->p < c->end && !strchr(" \t\r\n;|&<>", *c->p)) {
			char ch = *c->p;
			if (ch == '\'') {
				adv(c);
				while (c->p < c->end && *c->p != '\'') {
					buf_putc(c->cur, *c->p);
					adv(c);
				}
				if (c->p >= c->end)
					goto unterminated;
				adv(c);
			} else if (ch == '$' && c->p + 1 < c->end && c->p[1] == '\'') {
				adv(c);
				adv(c);
				while (c->p < c->end && *c->p != '\'') {
					if (*c->p == '\\' && c->p + 1 < c->end) {
						adv(c);
						char e = *c->p;
						buf_putc(c->cur, e == 'n'   ? '\n'
								 : e == 't' ? '\t'
								 : e == 'r' ? '\r'
									    : e);
					} else
						buf_putc(c->cur, *c->p);
					adv(c);
				}
				if (c->p >= c->end)
					goto unterminated;
				adv(c);
			} else if (ch == '"') {
				adv(c);
				while (c->p < c->end && *c->p != '"') {
					int d = dollar(c);
					if (d < 0)
						return IMPORT_EREFUSED;
					if (d)
						continue;
					if (*c->p == '\\' && c->p + 1 < c->end &&
					    strchr("\"\\$`\n", c->p[1])) {
						adv(c);
						if (*c->p != '\n')
							buf_putc(c->cur, *c->p);
					} else
						buf_putc(c->cur, *c->p);
					adv(c);
				}
				if (c->p >= c->end)
					goto unterminated;
				adv(c);
			} else if (ch == '\\' && c->p + 1 < c->end) {
				adv(c);
				if (*c->p != '\n')
					buf_putc(c->cur, *c->p);
				adv(c);
			} else {
				int d = dollar(c);
				if (d < 0)
					return IMPORT_EREFUSED;
				if (d)
					continue;
				if (ch == '(' || ch == ')') {
					import_fail(c->err, IMPORT_EREFUSED, c->line, c->col, NULL,
						    "The cURL command holds a shell subshell "
						    "'%c'; paste one curl command only",
						    ch);
					return IMPORT_EREFUSED;
				}
				buf_putc(c->cur, ch);
				adv(c);
			}
		}
		if (c->cur->failed)
			return IMPORT_ENOMEM;
		if (c->p == word) { /* no progress: a byte no rule reads */
			import_fail(c->err, IMPORT_ESYNTAX, c->line, c->col, NULL,
				    "The cURL command holds a byte that cannot be read here");
			return IMPORT_ESYNTAX;
		}
		void *v = *out;
		struct carg *arg = imp_push(c->a, &v, nout, &cap, sizeof(*arg));
		*out = v;
		if (!arg)
			return IMPORT_ENOMEM;
		arg->s = arena_strndup(c->a, c->cur->data ? c->cur->data : "", c->cur->len);
		arg->line = line;
		arg->col = col;
	}
unterminated:
	import_fail(c->err, IMPORT_ESYNTAX, c->line, c->col, NULL,
		    "The cURL command ends inside a quoted argument");
	return IMPORT_ESYNTAX;
}

/* Options that take a value and are not read (the value is skipped). */
static const char *const skip_with_value[] = {"-o",
					      "--output",
					      "-w",
					      "--write-out",
					      "--connect-timeout",
					      "--retry",
					      "--retry-delay",
					      "--retry-max-time",
					      "--cacert",
					      "--capath",
					      "-E",
					      "--cert",
					      "--key",
					      "--proxy",
					      "-x",
					      "--resolve",
					      "--limit-rate",
					      "-r",
					      "--range",
					      "-c",
					      "--cookie-jar",
					      "-D",
					      "--dump-header",
					      "--max-redirs",
					      "--interface",
					      "--dns-servers",
					      "--trace",
					      "--trace-ascii",
					      "--stderr",
					      "-K",
					      "--config",
					      "-T",
					      "--upload-file",
					      NULL};

static int
in_set(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(s, *set))
			return 1;
	return 0;
}

static int
header_set(struct imp_rows *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (!strcasecmp(h->v[i].key, name))
			return 1;
	return 0;
}

int
import_curl(struct arena *a, const char *src, size_t len, struct import_doc *d,
	    struct import_error *err)
{
	struct cscan c = {.a = a, .p = src, .end = src + len, .line = 1, .col = 1, .err = err};
	const char *nul = memchr(src, '\0', len);
	if (nul) {
		import_fail(err, IMPORT_ESYNTAX, 0, 0,
			    arena_printf(a, "byte %zu", (size_t)(nul - src) + 1),
			    "The cURL command holds a NUL byte");
		return IMPORT_ESYNTAX;
	}
	c.cur = buf_new_arena(a);
	if (!c.cur)
		return IMPORT_ENOMEM;
	struct carg *args;
	size_t n;
	int rc = scan_args(&c, &args, &n);
	if (rc)
		return rc;
	size_t i = 0;
	if (i < n && !strcmp(args[i].s, "$"))
		i++;
	if (i >= n || (strcmp(args[i].s, "curl") && strcmp(args[i].s, "curl.exe"))) {
		import_fail(err, IMPORT_EINVALID, i < n ? args[i].line : 1, i < n ? args[i].col : 1,
			    NULL, "A cURL command starts with the word curl");
		return IMPORT_EINVALID;
	}
	i++;
	const char *method = NULL, *url = NULL;
	struct imp_rows headers = {0}, params = {0}, urlq = {0};
	struct buf *data = buf_new_arena(a);
	if (!data)
		return IMPORT_ENOMEM;
	int get = 0, have_data = 0, json = 0, insecure = 0;
	long timeout = 0;
	for (; i < n; i++) {
		const char *opt = args[i].s;
		char *val = NULL;
		int line = args[i].line, col = args[i].col;
		if (opt[0] != '-' || !opt[1]) {
			if (url) {
				import_fail(err, IMPORT_EINVALID, line, col, NULL,
					    "The cURL command names a second URL (%s); paste one "
					    "request at a time",
					    opt);
				return IMPORT_EINVALID;
			}
			url = opt;
			continue;
		}
		/* --opt=value */
		char *eq = NULL;
		if (opt[1] == '-' && (eq = strchr(opt, '='))) {
			char *o = arena_strndup(a, opt, (size_t)(eq - opt));
			val = eq + 1;
			opt = o;
		}
		/* -sSL: flags bundled; -XPOST: a value stuck to its short option */
		char sopt[3] = {0};
		if (opt[1] != '-' && opt[2]) {
			const char *flags = opt + 1;
			if (strspn(flags, "sSLvikfgGI#") == strlen(flags)) {
				for (const char *f = flags; *f; f++) {
					if (*f == 'k')
						insecure = 1;
					if (*f == 'G')
						get = 1;
					if (*f == 'I')
						method = "HEAD";
				}
				continue;
			}
			sopt[0] = '-';
			sopt[1] = opt[1];
			val = (char *)opt + 2;
			opt = sopt;
		}
#define NEED_VALUE()                                                                               \
	do {                                                                                       \
		if (!val) {                                                                        \
			if (i + 1 >= n) {                                                          \
				import_fail(err, IMPORT_EINVALID, line, col, NULL,                 \
					    "The option %s needs a value", opt);                   \
				return IMPORT_EINVALID;                                            \
			}                                                                          \
			val = args[++i].s;                                                         \
		}                                                                                  \
	} while (0)
		if (!strcmp(opt, "-X") || !strcmp(opt, "--request")) {
			NEED_VALUE();
			method = imp_upper(a, val);
		} else if (!strcmp(opt, "--url")) {
			NEED_VALUE();
			url = val;
		} else if (!strcmp(opt, "-H") || !strcmp(opt, "--header")) {
			NEED_VALUE();
			char *colon = strchr(val, ':');
			if (!colon) {
				if (val[0] == '@') {
					import_fail(
					    err, IMPORT_EREFUSED, line, col, NULL,
					    "The header option reads a file (%s); paste the "
					    "headers instead",
					    val);
					return IMPORT_EREFUSED;
				}
				continue; /* "X-Name;" sends an empty header: not kept */
			}
			char *name = arena_strndup(a, val, (size_t)(colon - val));
			char *v = colon + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			if (!strcasecmp(name, "Authorization") && !d->auth.type) {
				/* a credential: proposed as the method, never kept as a header */
				if (!strncasecmp(v, "Bearer ", 7))
					d->auth.type = IMPORT_AUTH_BEARER;
				else if (!strncasecmp(v, "Basic ", 6))
					d->auth.type = IMPORT_AUTH_BASIC;
				if (d->auth.type) {
					d->auth.source = "-H Authorization";
					continue;
				}
			}
			if (imp_row_add(a, &headers, name, v, NULL, 0))
				return IMPORT_ENOMEM;
		} else if (!strcmp(opt, "-d") || !strcmp(opt, "--data") ||
			   !strcmp(opt, "--data-raw") || !strcmp(opt, "--data-binary") ||
			   !strcmp(opt, "--data-ascii") || !strcmp(opt, "--data-urlencode") ||
			   !strcmp(opt, "--json")) {
			NEED_VALUE();
			if (val[0] == '@' && strcmp(opt, "--data-raw")) {
				import_fail(err, IMPORT_EREFUSED, args[i].line, args[i].col, NULL,
					    "The option %s reads a file (%s); paste the data "
					    "instead",
					    opt, val);
				return IMPORT_EREFUSED;
			}
			if (have_data)
				buf_putc(data, json ? '\n' : '&');
			if (!strcmp(opt, "--data-urlencode")) {
				/* name=value: the value is sent encoded; kept decoded here */
				buf_puts(data, val);
			} else
				buf_puts(data, val);
			have_data = 1;
			if (!strcmp(opt, "--json"))
				json = 1;
		} else if (!strcmp(opt, "-u") || !strcmp(opt, "--user")) {
			NEED_VALUE();
			char *colon = strchr(val, ':');
			d->auth.type = IMPORT_AUTH_BASIC;
			d->auth.username = colon ? arena_strndup(a, val, (size_t)(colon - val))
						 : arena_strdup(a, val);
			d->auth.source = "-u";
			if (colon)
				import_note(a, d,
					    "The password given with -u was not kept: enter it on "
					    "the Authorization tab");
		} else if (!strcmp(opt, "--url-query")) {
			NEED_VALUE();
			char *q = arena_printf(a, "x?%s", val);
			if (!q || !imp_url_split_query(a, q, &urlq))
				return IMPORT_ENOMEM;
		} else if (!strcmp(opt, "--oauth2-bearer")) {
			NEED_VALUE(); /* the token itself is not kept */
			d->auth.type = IMPORT_AUTH_BEARER;
			d->auth.source = "--oauth2-bearer";
		} else if (!strcmp(opt, "-G") || !strcmp(opt, "--get")) {
			get = 1;
		} else if (!strcmp(opt, "-A") || !strcmp(opt, "--user-agent")) {
			NEED_VALUE();
			if (imp_row_add(a, &headers, "User-Agent", val, NULL, 0))
				return IMPORT_ENOMEM;
		} else if (!strcmp(opt, "-e") || !strcmp(opt, "--referer")) {
			NEED_VALUE();
			if (imp_row_add(a, &headers, "Referer", val, NULL, 0))
				return IMPORT_ENOMEM;
		} else if (!strcmp(opt, "-b") || !strcmp(opt, "--cookie")) {
			NEED_VALUE();
			if (!strchr(val, '=')) {
				import_fail(err, IMPORT_EREFUSED, args[i].line, args[i].col, NULL,
					    "The option %s reads a cookie file; paste name=value "
					    "instead",
					    opt);
				return IMPORT_EREFUSED;
			}
			if (imp_row_add(a, &headers, "Cookie", val, NULL, 0))
				return IMPORT_ENOMEM;
		} else if (!strcmp(opt, "-m") || !strcmp(opt, "--max-time")) {
			NEED_VALUE();
			long t;
			if (!str_to_long(val, 1, 300, &t))
				timeout = t;
		} else if (!strcmp(opt, "-F") || !strcmp(opt, "--form")) {
			import_fail(err, IMPORT_EINVALID, line, col, NULL,
				    "The option %s (a multipart form upload) is not supported",
				    opt);
			return IMPORT_EINVALID;
		} else if (!strcmp(opt, "-k") || !strcmp(opt, "--insecure")) {
			insecure = 1;
		} else if (!strcmp(opt, "-I") || !strcmp(opt, "--head")) {
			method = "HEAD";
		} else if (in_set(opt, skip_with_value)) {
			NEED_VALUE();
		} else if (opt[1] == '-' || strlen(opt) == 2) {
			/* a flag without a value (--compressed, -s, --location, …) */
			if (val && opt[1] != '-') {
				import_fail(err, IMPORT_EINVALID, line, col, NULL,
					    "The option %s is not known", args[i].s);
				return IMPORT_EINVALID;
			}
		}
#undef NEED_VALUE
	}
	(void)timeout;
	if (!url) {
		import_fail(err, IMPORT_EINVALID, 0, 0, "the command",
			    "The cURL command has no URL");
		return IMPORT_EINVALID;
	}
	if (!strstr(url, "://"))
		url = arena_printf(a, "http://%s", url);
	if (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8)) {
		import_fail(err, IMPORT_EINVALID, 0, 0, "the URL",
			    "The URL must be http:// or https://");
		return IMPORT_EINVALID;
	}
	if (!method)
		method = (have_data && !get) ? "POST" : "GET";
	if (!imp_method_ok(method)) {
		import_fail(err, IMPORT_EINVALID, 0, 0, "-X",
			    "The method %s is not one dcgate sends (GET, POST, PUT, PATCH, DELETE)",
			    method);
		return IMPORT_EINVALID;
	}
	char *base = imp_url_split_query(a, url, &params);
	if (!base)
		return IMPORT_ENOMEM;
	for (size_t k = 0; k < urlq.n; k++) /* --url-query after the URL's own */
		if (imp_row_add(a, &params, urlq.v[k].key, urlq.v[k].value, NULL, 0))
			return IMPORT_ENOMEM;
	const char *body = "";
	if (have_data && get) {
		char *q = arena_printf(a, "x?%s", imp_buf_text(a, data));
		if (!q || !imp_url_split_query(a, q, &params))
			return IMPORT_ENOMEM;
	} else if (have_data) {
		body = imp_buf_text(a, data);
		if (json) {
			if (!header_set(&headers, "Content-Type") &&
			    imp_row_add(a, &headers, "Content-Type", "application/json", NULL, 0))
				return IMPORT_ENOMEM;
			if (!header_set(&headers, "Accept") &&
			    imp_row_add(a, &headers, "Accept", "application/json", NULL, 0))
				return IMPORT_ENOMEM;
		} else if (!header_set(&headers, "Content-Type") &&
			   imp_row_add(a, &headers, "Content-Type",
				       "application/x-www-form-urlencoded", NULL, 0))
			return IMPORT_ENOMEM;
	}
	if (insecure)
		import_note(a, d,
			    "The command turned TLS verification off (-k); the connector keeps it "
			    "on unless you change it on the Authorization tab");
	size_t cap = 0;
	struct import_endpoint *e = imp_endpoint_add(a, d, &cap);
	if (!e)
		return IMPORT_ENOMEM;
	/* purpose: method and path */
	const char *path = strstr(base, "://");
	path = path ? strchr(path + 3, '/') : NULL;
	e->purpose = arena_printf(a, "%s %s", method, path && *path ? path : "/");
	e->method = method;
	e->url = base;
	e->headers = headers.v;
	e->nheaders = headers.n;
	e->params = params.v;
	e->nparams = params.n;
	e->body = body;
	e->where = "the command";
	struct json_object *sample = json_object_new_object();
	if (imp_own(a, sample))
		return IMPORT_ENOMEM;
	imp_collect_vars(sample, e->url);
	for (size_t k = 0; k < e->nheaders; k++)
		imp_collect_vars(sample, e->headers[k].value);
	for (size_t k = 0; k < e->nparams; k++)
		imp_collect_vars(sample, e->params[k].value);
	imp_collect_vars(sample, e->body);
	e->sample_data = imp_sample_text(a, sample);
	size_t vcap = 0;
	json_object_object_foreach(sample, k, v)
	{
		(void)v;
		if (imp_var_add(a, d, &vcap, k, ""))
			return IMPORT_ENOMEM;
	}
	const char *origin_end = path ? path : base + strlen(base);
	d->base_url = arena_strndup(a, base, (size_t)(origin_end - base));
	return 0;
}
