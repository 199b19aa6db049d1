/* escape: one function per output context, appending s escaped for it to a buffer. */
#include <string.h>

#include "tmpl.h"

static const char hex[] = "0123456789ABCDEF";

static int
put(struct buf *out, const char *s, size_t n)
{
	return buf_append(out, s, n) ? TMPL_ENOMEM : TMPL_OK;
}

static const char *
html_entity(unsigned char ch)
{
	switch (ch) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return NULL;
	}
}

/* Copies runs of safe bytes whole; entities in between. */
static int
esc_html(struct buf *out, const char *s, size_t len)
{
	size_t run = 0;
	for (size_t i = 0; i < len; i++) {
		const char *e = html_entity((unsigned char)s[i]);
		if (!e)
			continue;
		if (put(out, s + run, i - run) || put(out, e, strlen(e)))
			return TMPL_ENOMEM;
		run = i + 1;
	}
	return put(out, s + run, len - run);
}

static int
url_unreserved(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

/* RFC 3986: every byte but the unreserved set becomes %XX (form: a space becomes +). A value
 * that is exactly "." or ".." is encoded whole: as a path segment it would otherwise be a
 * dot segment, which clients and servers resolve to this or the parent folder. */
static int
esc_url(struct buf *out, const char *s, size_t len, int form)
{
	if (!form && (len == 1 || len == 2) && s[0] == '.' && s[len - 1] == '.')
		return put(out, "%2E%2E", len * 3);
	size_t run = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (url_unreserved(ch))
			continue;
		char pct[3] = {'%', hex[ch >> 4], hex[ch & 15]};
		int plus = form && ch == ' ';
		if (put(out, s + run, i - run) || put(out, plus ? "+" : pct, plus ? 1 : 3))
			return TMPL_ENOMEM;
		run = i + 1;
	}
	return put(out, s + run, len - run);
}

/* The XML entity for ch, U+FFFD for a control byte XML 1.0 cannot hold, or NULL. */
static const char *
xml_entity(unsigned char ch)
{
	if (ch == '\'')
		return "&apos;";
	if (ch == '"' || ch == '&' || ch == '<' || ch == '>')
		return html_entity(ch);
	if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r')
		return "\xEF\xBF\xBD";
	return NULL;
}

static int
esc_xml(struct buf *out, const char *s, size_t len)
{
	size_t run = 0;
	for (size_t i = 0; i < len; i++) {
		const char *e = xml_entity((unsigned char)s[i]);
		if (!e)
			continue;
		if (put(out, s + run, i - run) || put(out, e, strlen(e)))
			return TMPL_ENOMEM;
		run = i + 1;
	}
	return put(out, s + run, len - run);
}

/* Length of the JSON escape for s[i] written to e, or 0 to copy the byte as is. Besides the
 * required quote, backslash and controls, < > & ' and U+2028/9 go as \uXXXX so the string
 * stays inert inside HTML and JavaScript too. */
static size_t
json_escape(const char *s, size_t len, size_t i, char e[7], size_t *used)
{
	unsigned char ch = (unsigned char)s[i];
	*used = 1;
	if (ch == '"' || ch == '\\') {
		e[0] = '\\';
		e[1] = (char)ch;
		return 2;
	}
	unsigned code = ch;
	if (ch == 0xE2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
	    ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9)) {
		code = 0x2000 | ((unsigned char)s[i + 2] == 0xA8 ? 0x28 : 0x29);
		*used = 3;
	} else if (!(ch < 0x20 || ch == 0x7F || ch == '<' || ch == '>' || ch == '&' ||
		     ch == '\'')) {
		return 0;
	}
	const char u[6] = {
	    '\\',	   'u', hex[code >> 12], hex[(code >> 8) & 15], hex[(code >> 4) & 15],
	    hex[code & 15]};
	memcpy(e, u, 6);
	return 6;
}

static int
esc_json(struct buf *out, const char *s, size_t len)
{
	size_t run = 0, i = 0;
	while (i < len) {
		char e[7];
		size_t used;
		size_t n = json_escape(s, len, i, e, &used);
		if (!n) {
			i++;
			continue;
		}
		if (put(out, s + run, i - run) || put(out, e, n))
			return TMPL_ENOMEM;
		i += used;
		run = i;
	}
	return put(out, s + run, len - run);
}

/* Header values go out raw, but CR, LF or NUL would split or cut the header. */
static int
esc_header(struct buf *out, const char *s, size_t len)
{
	if (memchr(s, '\r', len) || memchr(s, '\n', len) || memchr(s, '\0', len))
		return TMPL_EHEADER;
	return put(out, s, len);
}

int
tmpl_escape_append(struct buf *out, enum tmpl_escape esc, const char *s, size_t len)
{
	if (!len)
		return TMPL_OK;
	switch (esc) {
	case TMPL_ESC_NONE:
		return put(out, s, len);
	case TMPL_ESC_URL:
		return esc_url(out, s, len, 0);
	case TMPL_ESC_FORM:
		return esc_url(out, s, len, 1);
	case TMPL_ESC_XML:
		return esc_xml(out, s, len);
	case TMPL_ESC_JSON:
		return esc_json(out, s, len);
	case TMPL_ESC_HEADER:
		return esc_header(out, s, len);
	case TMPL_ESC_HTML:
	default:
		return esc_html(out, s, len);
	}
}
