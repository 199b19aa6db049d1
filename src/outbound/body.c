/* Request bodies built from rows (body types "form" and "multipart"): each value was
 * rendered by the caller; here they are joined as application/x-www-form-urlencoded
 * (names and values form-escaped) or multipart/form-data text fields (RFC 7578) under a
 * random boundary that no value contains. */
#include <string.h>

#include "../tmpl/tmpl.h"
#include "outbound.h"

const char *
outbound_form_body(struct arena *a, const char *const *names, const char *const *values, size_t n)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(&b, '&');
		tmpl_escape_append(&b, TMPL_ESC_FORM, names[i], strlen(names[i]));
		buf_putc(&b, '=');
		tmpl_escape_append(&b, TMPL_ESC_FORM, values[i], strlen(values[i]));
	}
	const char *out = b.failed ? NULL : arena_strdup(a, b.data ? b.data : "");
	buf_free(&b);
	return out;
}

int
outbound_multipart_body(struct arena *a, const char *const *names, const char *const *values,
			size_t n, const char **type, const char **body, size_t *len,
			const char **errmsg)
{
	unsigned char rnd[12];
	char boundary[64];
	static const char hex[] = "0123456789abcdef";
	*errmsg = NULL;
	for (size_t i = 0; i < n; i++)
		if (strpbrk(names[i], "\"\r\n\\")) {
			*errmsg = arena_printf(a,
					       "The field name \"%s\" may not contain quotes, "
					       "backslashes or line breaks.",
					       names[i]);
			return OUT_ETEMPLATE;
		}
	for (int tries = 0; tries < 4; tries++) {
		if (crypt_random(rnd, sizeof(rnd)) != CRYPT_OK)
			return OUT_EOTHER;
		memcpy(boundary, "----dcgate", 10);
		for (size_t i = 0; i < sizeof(rnd); i++) {
			boundary[10 + 2 * i] = hex[rnd[i] >> 4];
			boundary[11 + 2 * i] = hex[rnd[i] & 15];
		}
		boundary[10 + 2 * sizeof(rnd)] = '\0';
		int clash = 0;
		for (size_t i = 0; i < n && !clash; i++)
			clash = strstr(values[i], boundary) != NULL;
		if (clash)
			continue;
		struct buf b;
		buf_init(&b);
		for (size_t i = 0; i < n; i++) {
			buf_puts(&b, "--");
			buf_puts(&b, boundary);
			buf_puts(&b, "\r\nContent-Disposition: form-data; name=\"");
			buf_puts(&b, names[i]);
			buf_puts(&b, "\"\r\n\r\n");
			buf_puts(&b, values[i]);
			buf_puts(&b, "\r\n");
		}
		buf_puts(&b, "--");
		buf_puts(&b, boundary);
		buf_puts(&b, "--\r\n");
		char *out = b.failed ? NULL : arena_strdup(a, b.data);
		*len = b.len;
		buf_free(&b);
		if (!out)
			return OUT_EOTHER;
		*body = out;
		*type = arena_printf(a, "multipart/form-data; boundary=%s", boundary);
		return OUT_OK;
	}
	return OUT_EOTHER;
}
