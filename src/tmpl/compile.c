/* compile: mustache source -> flat op list, and the named set of compiled templates.
 * Three passes over a token list: lex (delimiters, tags, text split at newlines), link
 * (sections to their close tags), lines (standalone rules), then emit ops. Knows no JSON. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tmpl_internal.h"

#define NONE	      ((size_t)-1)
#define DELIM_MAX     16
#define NAME_MAX_LEN  1024
#define DIR_MAX_DEPTH 16

enum tok_type {
	T_TEXT,
	T_VAR,
	T_RAW,
	T_SECTION,
	T_INVERTED,
	T_CLOSE,
	T_PARTIAL,
	T_PARENT,
	T_BLOCK,
	T_COMMENT,
	T_DELIM,
};

struct tok {
	enum tok_type type;
	size_t start;		 /* first byte: the text, or the tag's opening delimiter */
	size_t pos, len;	 /* the text, or the tag's name */
	size_t lstart;		 /* offset where the token's line starts */
	size_t line;		 /* a tag spanning lines stays on the line it starts on */
	size_t match;		 /* open tag <-> close tag */
	size_t up;		 /* enclosing open tag, or NONE */
	unsigned eol : 1;	 /* text ending with '\n' */
	unsigned removed : 1;	 /* whitespace of a standalone line */
	unsigned standalone : 1; /* tag on a line holding only tags and whitespace */
	unsigned bol : 1;	 /* the first output of its line comes at or after this token */
	unsigned dynamic : 1;	 /* {{>*name}} */
};

struct comp {
	const char *src;
	size_t len;
	struct tok *toks;
	size_t ntok, captok;
	struct op *ops;
	size_t nops, capops;
	struct arena *arena;
	char *err;
	size_t errlen;
	const char *od, *cd; /* current delimiters */
	size_t odl, cdl;
	size_t line, lstart; /* lexer position */
};

static int
is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static int
is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* Formats "line N: ..." into the caller's error buffer and returns rc. */
__attribute__((format(printf, 4, 5))) static int
comp_fail(struct comp *c, int rc, size_t pos, const char *fmt, ...)
{
	if (!c->err || !c->errlen)
		return rc;
	size_t line = 1;
	for (size_t i = 0; i < pos && i < c->len; i++)
		line += c->src[i] == '\n';
	int n = snprintf(c->err, c->errlen, "line %zu: ", line);
	if (n < 0 || (size_t)n >= c->errlen)
		return rc;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

static size_t
find(const char *s, size_t len, size_t from, const char *d, size_t dl)
{
	while (from + dl <= len) {
		const char *p = memchr(s + from, d[0], len - dl + 1 - from);
		if (!p)
			return NONE;
		if (memcmp(p, d, dl) == 0)
			return (size_t)(p - s);
		from = (size_t)(p - s) + 1;
	}
	return NONE;
}

static struct tok *
tok_new(struct comp *c)
{
	if (c->ntok == c->captok) {
		size_t cap = c->captok ? c->captok * 2 : 64;
		struct tok *p = realloc(c->toks, cap * sizeof(*p));
		if (!p)
			return NULL;
		c->toks = p;
		c->captok = cap;
	}
	struct tok *t = &c->toks[c->ntok++];
	memset(t, 0, sizeof(*t));
	t->line = c->line;
	t->lstart = c->lstart;
	return t;
}

/* Adds src[from, to) as text tokens, one per line so standalone rules can see line ends. */
static int
lex_text(struct comp *c, size_t from, size_t to)
{
	while (from < to) {
		const char *nl = memchr(c->src + from, '\n', to - from);
		size_t end = nl ? (size_t)(nl - c->src) + 1 : to;
		struct tok *t = tok_new(c);
		if (!t)
			return TMPL_ENOMEM;
		t->type = T_TEXT;
		t->start = t->pos = from;
		t->len = end - from;
		t->eol = nl != NULL;
		if (nl) {
			c->line++;
			c->lstart = end;
		}
		from = end;
	}
	return TMPL_OK;
}

/* Finds the closing delimiter from `from`; with need, it must directly follow that char. */
static size_t
find_close(const struct comp *c, size_t from, char need)
{
	for (size_t i = from;;) {
		size_t e = find(c->src, c->len, i, c->cd, c->cdl);
		if (e == NONE || !need || (e > from && c->src[e - 1] == need))
			return e;
		i = e + 1;
	}
}

static void
trim(const char *s, size_t *from, size_t *to)
{
	while (*from < *to && is_space(s[*from]))
		(*from)++;
	while (*to > *from && is_space(s[*to - 1]))
		(*to)--;
}

/* {{=<% %>=}}: the two new delimiters, neither empty nor holding whitespace or '='. */
static int
set_delims(struct comp *c, size_t from, size_t to, size_t at)
{
	const char *s = c->src;
	trim(s, &from, &to);
	size_t a = from;
	while (a < to && !is_space(s[a]) && s[a] != '=')
		a++;
	size_t b = a;
	while (b < to && is_space(s[b]))
		b++;
	size_t e = b;
	while (e < to && !is_space(s[e]) && s[e] != '=')
		e++;
	if (a == from || b == a || e == b || e != to || a - from > DELIM_MAX || e - b > DELIM_MAX)
		return comp_fail(c, TMPL_ESYNTAX, at, "bad set-delimiter tag");
	c->od = s + from;
	c->odl = a - from;
	c->cd = s + b;
	c->cdl = e - b;
	return TMPL_OK;
}

static enum tok_type
tag_type(char sig)
{
	switch (sig) {
	case '{':
	case '&':
		return T_RAW;
	case '#':
		return T_SECTION;
	case '^':
		return T_INVERTED;
	case '/':
		return T_CLOSE;
	case '>':
		return T_PARTIAL;
	case '<':
		return T_PARENT;
	case '$':
		return T_BLOCK;
	case '!':
		return T_COMMENT;
	case '=':
		return T_DELIM;
	default:
		return T_VAR;
	}
}

/* Checks and records a tag's name: trimmed, non-empty, no inner whitespace. */
static int
tag_name(struct comp *c, struct tok *t, size_t from, size_t to)
{
	trim(c->src, &from, &to);
	if ((t->type == T_PARTIAL || t->type == T_PARENT) && from < to && c->src[from] == '*') {
		t->dynamic = 1;
		from++;
		trim(c->src, &from, &to);
	}
	if (from == to)
		return comp_fail(c, TMPL_ESYNTAX, t->start, "empty tag");
	if (to - from > NAME_MAX_LEN)
		return comp_fail(c, TMPL_ESYNTAX, t->start, "tag name too long");
	for (size_t i = from; i < to; i++)
		if (is_space(c->src[i]))
			return comp_fail(c, TMPL_ESYNTAX, t->start,
					 "whitespace inside tag name '%.*s'",
					 (int)(to - from > 64 ? 64 : to - from), c->src + from);
	t->pos = from;
	t->len = to - from;
	return TMPL_OK;
}

/* Lexes the tag whose opening delimiter is at `at`; *next is the first byte after it. */
static int
lex_tag(struct comp *c, size_t at, size_t *next)
{
	size_t p = at + c->odl;
	char sig = p < c->len ? c->src[p] : '\0';
	enum tok_type type = tag_type(sig);
	char need = sig == '{' ? '}' : sig == '=' ? '=' : '\0';
	size_t from = type == T_VAR ? p : p + 1;
	size_t end = from <= c->len ? find_close(c, from, need) : NONE;
	if (end == NONE)
		return comp_fail(c, TMPL_ESYNTAX, at, "unclosed tag");
	*next = end + c->cdl;
	struct tok *t = tok_new(c);
	if (!t)
		return TMPL_ENOMEM;
	t->type = type;
	t->start = at;
	size_t to = need ? end - 1 : end;
	if (type == T_COMMENT)
		return TMPL_OK;
	if (type == T_DELIM)
		return set_delims(c, from, to, at);
	return tag_name(c, t, from, to);
}

static int
lex(struct comp *c)
{
	size_t pos = 0;
	while (pos < c->len) {
		size_t at = find(c->src, c->len, pos, c->od, c->odl);
		int rc = lex_text(c, pos, at == NONE ? c->len : at);
		if (rc || at == NONE)
			return rc;
		rc = lex_tag(c, at, &pos);
		if (rc)
			return rc;
	}
	return TMPL_OK;
}

static int
is_open(enum tok_type type)
{
	return type == T_SECTION || type == T_INVERTED || type == T_PARENT || type == T_BLOCK;
}

/* A close tag repeats its open tag's name; a dynamic parent's close may keep the '*'. */
static int
close_matches(const struct comp *c, const struct tok *o, const struct tok *t)
{
	size_t pos = t->pos, len = t->len;
	if (o->dynamic && len > 1 && c->src[pos] == '*') {
		pos++;
		len--;
	}
	return o->len == len && memcmp(c->src + o->pos, c->src + pos, len) == 0;
}

/* Pairs every open tag with its close tag and records each token's enclosing tag. */
static int
link(struct comp *c)
{
	size_t stack[TMPL_MAX_DEPTH];
	size_t depth = 0;
	for (size_t i = 0; i < c->ntok; i++) {
		struct tok *t = &c->toks[i];
		t->up = depth ? stack[depth - 1] : NONE;
		t->match = NONE;
		if (is_open(t->type)) {
			if (depth == TMPL_MAX_DEPTH)
				return comp_fail(c, TMPL_EDEPTH, t->start,
						 "sections nested deeper than %d", TMPL_MAX_DEPTH);
			stack[depth++] = i;
		} else if (t->type == T_CLOSE) {
			if (!depth)
				return comp_fail(c, TMPL_ESYNTAX, t->start,
						 "unexpected close tag '%.*s'",
						 (int)(t->len > 64 ? 64 : t->len), c->src + t->pos);
			struct tok *o = &c->toks[stack[--depth]];
			if (!close_matches(c, o, t))
				return comp_fail(c, TMPL_ESYNTAX, t->start,
						 "close tag '%.*s' does not match '%.*s'",
						 (int)(t->len > 64 ? 64 : t->len), c->src + t->pos,
						 (int)(o->len > 64 ? 64 : o->len), c->src + o->pos);
			o->match = i;
			t->match = stack[depth];
			t->up = o->up;
		}
	}
	if (depth)
		return comp_fail(c, TMPL_ESYNTAX, c->toks[stack[depth - 1]].start,
				 "unclosed section '%.*s'", (int)c->toks[stack[depth - 1]].len,
				 c->src + c->toks[stack[depth - 1]].pos);
	return TMPL_OK;
}

/* Whitespace-only text: blanks, then an optional "\n" or "\r\n". */
static int
ws_text(const struct comp *c, const struct tok *t)
{
	size_t n = t->len;
	if (t->eol) {
		n--;
		if (n && c->src[t->pos + n - 1] == '\r')
			n--;
	}
	for (size_t i = 0; i < n; i++)
		if (!is_blank(c->src[t->pos + i]))
			return 0;
	return 1;
}

static int
outputs(enum tok_type type)
{
	return type == T_TEXT || type == T_VAR || type == T_RAW || type == T_PARTIAL ||
	       type == T_PARENT || type == T_BLOCK;
}

/* One line, tokens [a, b): standalone when it holds only tags (no interpolation) and blanks. */
static void
mark_line(struct comp *c, size_t a, size_t b)
{
	int tags = 0, ok = 1;
	for (size_t i = a; i < b && ok; i++) {
		const struct tok *t = &c->toks[i];
		if (t->type == T_TEXT)
			ok = ws_text(c, t);
		else if (t->type == T_VAR || t->type == T_RAW)
			ok = 0;
		else
			tags++;
	}
	if (ok && tags) {
		for (size_t i = a; i < b; i++) {
			if (c->toks[i].type == T_TEXT)
				c->toks[i].removed = 1;
			else
				c->toks[i].standalone = 1;
		}
		return;
	}
	for (size_t i = a; i < b; i++) {
		c->toks[i].bol = 1;
		if (outputs(c->toks[i].type))
			break;
	}
}

static void
mark_lines(struct comp *c)
{
	size_t a = 0;
	while (a < c->ntok) {
		size_t b = a;
		while (b < c->ntok && c->toks[b].line == c->toks[a].line)
			b++;
		mark_line(c, a, b);
		a = b;
	}
}

static size_t
op_new(struct comp *c, enum op_type type)
{
	if (c->nops == c->capops) {
		size_t cap = c->capops ? c->capops * 2 : 64;
		struct op *p = realloc(c->ops, cap * sizeof(*p));
		if (!p)
			return NONE;
		c->ops = p;
		c->capops = cap;
	}
	struct op *op = &c->ops[c->nops];
	memset(op, 0, sizeof(*op));
	op->type = (uint8_t)type;
	return c->nops++;
}

/* Stores the tag's name in the arena, once whole and once split at dots. */
static int
op_name(struct comp *c, size_t k, const struct tok *t)
{
	char *full = arena_strndup(c->arena, c->src + t->pos, t->len);
	char *parts = arena_strndup(c->arena, c->src + t->pos, t->len);
	if (!full || !parts)
		return TMPL_ENOMEM;
	uint16_t n = 1;
	for (size_t i = 0; i < t->len; i++) {
		if (parts[i] == '.') {
			parts[i] = '\0';
			n++;
		}
	}
	struct op *op = &c->ops[k];
	op->s = full;
	op->n = t->len;
	op->parts = parts;
	op->nparts = (t->len == 1 && full[0] == '.') ? 0 : n;
	if (t->dynamic)
		op->flags |= OPF_DYNAMIC;
	return TMPL_OK;
}

static size_t
line_blanks(const struct comp *c, size_t ls)
{
	size_t i = ls;
	while (i < c->len && is_blank(c->src[i]))
		i++;
	return i - ls;
}

/* Indentation of the line starting at ls, less what an enclosing override strips. */
static void
op_indent(struct comp *c, size_t k, size_t ls, size_t strip)
{
	size_t ws = line_blanks(c, ls);
	size_t cut = strip < ws ? strip : ws;
	c->ops[k].ind = c->src + ls + cut;
	c->ops[k].nind = ws - cut;
}

static size_t
next_line(const struct comp *c, size_t i)
{
	size_t j = i + 1;
	while (j < c->ntok && c->toks[j].line == c->toks[i].line)
		j++;
	return j;
}

static int emit_range(struct comp *c, size_t from, size_t to, size_t strip);

static int
emit_end(struct comp *c, size_t k)
{
	size_t e = op_new(c, OP_END);
	if (e == NONE)
		return TMPL_ENOMEM;
	c->ops[k].end = (uint32_t)e;
	return TMPL_OK;
}

/* Text; at a line start inside an override, `strip` blanks of definition indentation go. */
static int
emit_text(struct comp *c, const struct tok *t, size_t strip)
{
	if (t->removed)
		return TMPL_OK;
	size_t pos = t->pos, n = t->len;
	if (strip && t->start == t->lstart) {
		size_t k = 0;
		while (k < strip && k < n && is_blank(c->src[pos + k]))
			k++;
		pos += k;
		n -= k;
	}
	if (!n)
		return TMPL_OK;
	size_t k = op_new(c, OP_TEXT);
	if (k == NONE)
		return TMPL_ENOMEM;
	c->ops[k].s = c->src + pos;
	c->ops[k].n = n;
	return TMPL_OK;
}

/* Variables and partials: one op with a name. */
static int
emit_named(struct comp *c, enum op_type type, const struct tok *t, size_t strip)
{
	size_t k = op_new(c, type);
	if (k == NONE || op_name(c, k, t))
		return TMPL_ENOMEM;
	if (t->type == T_RAW)
		c->ops[k].flags |= OPF_RAW;
	if (t->standalone && type == OP_PARTIAL) {
		c->ops[k].flags |= OPF_STANDALONE;
		op_indent(c, k, t->lstart, strip);
	}
	return TMPL_OK;
}

static int
emit_section(struct comp *c, size_t i, size_t strip)
{
	const struct tok *t = &c->toks[i];
	size_t k = op_new(c, t->type == T_SECTION ? OP_SECTION : OP_INVERTED);
	if (k == NONE || op_name(c, k, t))
		return TMPL_ENOMEM;
	int rc = emit_range(c, i + 1, c->toks[i].match, strip);
	return rc ? rc : emit_end(c, k);
}

/* A block inside a parent tag is an argument: its definition indentation (that of its first
 * line when the open tag stands alone) is stripped. Elsewhere it is a parameter: an override
 * gets the indentation of the default's first line, or that of the tag's own line, and ends
 * its line when the block's close tag stood alone on a line of its own. */
static int
emit_block(struct comp *c, size_t i, size_t strip, int arg)
{
	const struct tok *t = &c->toks[i];
	size_t inner = strip;
	size_t k = op_new(c, OP_BLOCK);
	if (k == NONE || op_name(c, k, t))
		return TMPL_ENOMEM;
	size_t nl = next_line(c, i);
	if (arg) {
		if (t->standalone && nl < t->match) {
			size_t ws = line_blanks(c, c->toks[nl].lstart);
			inner = ws > strip ? ws : strip;
		}
	} else if (t->standalone) {
		const struct tok *close = &c->toks[t->match];
		const struct tok *last = &c->toks[next_line(c, t->match) - 1];
		int oneline = close->line == t->line || nl >= c->ntok;
		c->ops[k].flags |= OPF_BOL;
		if (close->standalone && last->type == T_TEXT && last->eol)
			c->ops[k].flags |= OPF_NL;
		op_indent(c, k, oneline ? t->lstart : c->toks[nl].lstart, strip);
	} else if (line_blanks(c, t->lstart) == t->start - t->lstart) {
		op_indent(c, k, t->lstart, strip);
	}
	int rc = emit_range(c, i + 1, c->toks[i].match, inner);
	return rc ? rc : emit_end(c, k);
}

/* A parent tag keeps only its argument blocks; other content inside it is ignored. */
static int
emit_parent(struct comp *c, size_t i, size_t strip)
{
	const struct tok *t = &c->toks[i];
	size_t k = op_new(c, OP_PARENT);
	if (k == NONE || op_name(c, k, t))
		return TMPL_ENOMEM;
	if (t->standalone) {
		c->ops[k].flags |= OPF_STANDALONE;
		op_indent(c, k, t->lstart, strip);
	}
	for (size_t j = i + 1; j < c->toks[i].match; j++) {
		const struct tok *u = &c->toks[j];
		if (u->type == T_BLOCK && u->up == i) {
			int rc = emit_block(c, j, strip, 1);
			if (rc)
				return rc;
		}
		if (is_open(u->type))
			j = u->match;
	}
	return emit_end(c, k);
}

static int
emit_tok(struct comp *c, size_t i, size_t strip)
{
	const struct tok *t = &c->toks[i];
	switch (t->type) {
	case T_TEXT:
		return emit_text(c, t, strip);
	case T_VAR:
	case T_RAW:
		return emit_named(c, OP_VAR, t, strip);
	case T_PARTIAL:
		return emit_named(c, OP_PARTIAL, t, strip);
	case T_SECTION:
	case T_INVERTED:
		return emit_section(c, i, strip);
	case T_PARENT:
		return emit_parent(c, i, strip);
	case T_BLOCK:
		return emit_block(c, i, strip, 0);
	default:
		return TMPL_OK;
	}
}

static int
emit_range(struct comp *c, size_t from, size_t to, size_t strip)
{
	for (size_t i = from; i < to; i++) {
		const struct tok *t = &c->toks[i];
		if (t->bol && op_new(c, OP_LINE) == NONE)
			return TMPL_ENOMEM;
		int rc = emit_tok(c, i, strip);
		if (rc)
			return rc;
		if (is_open(c->toks[i].type))
			i = c->toks[i].match;
	}
	return TMPL_OK;
}

static int
comp_run(struct comp *c)
{
	int rc = lex(c);
	if (!rc)
		rc = link(c);
	if (!rc) {
		mark_lines(c);
		rc = emit_range(c, 0, c->ntok, 0);
	}
	if (rc == TMPL_ENOMEM)
		comp_fail(c, rc, 0, "out of memory");
	return rc;
}

int
tmpl_compile(const char *src, size_t len, struct tmpl **out, char *err, size_t errlen)
{
	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	struct tmpl *t = calloc(1, sizeof(*t));
	if (!t)
		return TMPL_ENOMEM;
	arena_init(&t->arena, 4096);
	t->src = arena_strndup(&t->arena, src ? src : "", src ? len : 0);
	t->len = src ? len : 0;
	if (!t->src) {
		tmpl_free(t);
		return TMPL_ENOMEM;
	}
	struct comp c = {
	    .src = t->src,
	    .len = t->len,
	    .arena = &t->arena,
	    .err = err,
	    .errlen = errlen,
	    .od = "{{",
	    .cd = "}}",
	    .odl = 2,
	    .cdl = 2,
	};
	int rc = comp_run(&c);
	free(c.toks);
	t->ops = c.ops;
	t->nops = c.nops;
	if (rc) {
		tmpl_free(t);
		return rc;
	}
	*out = t;
	return TMPL_OK;
}

void
tmpl_free(struct tmpl *t)
{
	if (!t)
		return;
	free(t->ops);
	arena_free(&t->arena);
	free(t);
}

void
tmpl_each_name(const struct tmpl *t, void (*fn)(const char *name, void *data), void *data)
{
	for (size_t i = 0; t && i < t->nops; i++) {
		const struct op *op = &t->ops[i];
		int named = op->type == OP_VAR || op->type == OP_SECTION ||
			    op->type == OP_INVERTED || (op->flags & OPF_DYNAMIC);
		if (named && op->nparts)
			fn(op->s, data);
	}
}

/* ---- the set: open-addressing hash of name -> compiled template ---- */

struct set_slot {
	char *name;
	struct tmpl *t;
};

struct tmpl_set {
	struct set_slot *slots;
	size_t cap, count; /* cap is a power of two, at most half full */
};

static size_t
name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

/* The slot holding name, or the empty slot where it would go. */
static struct set_slot *
slot_for(const struct tmpl_set *set, const char *name)
{
	size_t i = name_hash(name) & (set->cap - 1);
	while (set->slots[i].name && strcmp(set->slots[i].name, name) != 0)
		i = (i + 1) & (set->cap - 1);
	return &set->slots[i];
}

static int
set_grow(struct tmpl_set *set)
{
	struct tmpl_set n = {.cap = set->cap ? set->cap * 2 : 16, .count = set->count};
	n.slots = calloc(n.cap, sizeof(*n.slots));
	if (!n.slots)
		return TMPL_ENOMEM;
	for (size_t i = 0; i < set->cap; i++)
		if (set->slots[i].name)
			*slot_for(&n, set->slots[i].name) = set->slots[i];
	free(set->slots);
	*set = n;
	return TMPL_OK;
}

struct tmpl_set *
tmpl_set_new(void)
{
	return calloc(1, sizeof(struct tmpl_set));
}

void
tmpl_set_free(struct tmpl_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->cap; i++) {
		free(set->slots[i].name);
		tmpl_free(set->slots[i].t);
	}
	free(set->slots);
	free(set);
}

static int
set_put(struct tmpl_set *set, const char *name, struct tmpl *t)
{
	if ((set->count + 1) * 2 > set->cap && set_grow(set))
		return TMPL_ENOMEM;
	struct set_slot *s = slot_for(set, name);
	if (s->name) {
		tmpl_free(s->t);
		s->t = t;
		return TMPL_OK;
	}
	size_t n = strlen(name);
	s->name = malloc(n + 1);
	if (!s->name)
		return TMPL_ENOMEM;
	memcpy(s->name, name, n + 1);
	s->t = t;
	set->count++;
	return TMPL_OK;
}

int
tmpl_set_add(struct tmpl_set *set, const char *name, const char *src, size_t len, char *err,
	     size_t errlen)
{
	char msg[256];
	struct tmpl *t;
	int rc = tmpl_compile(src, len, &t, msg, sizeof(msg));
	if (rc) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", name, msg);
		return rc;
	}
	rc = set_put(set, name, t);
	if (rc) {
		tmpl_free(t);
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", name);
	}
	return rc;
}

const struct tmpl *
tmpl_set_get(const struct tmpl_set *set, const char *name)
{
	if (!set || !set->cap || !name)
		return NULL;
	return slot_for(set, name)->t;
}

static int
read_file(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return TMPL_ENOTFOUND;
	char chunk[8192];
	size_t n;
	int rc = TMPL_OK;
	while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = buf_append(b, chunk, n) ? TMPL_ENOMEM : TMPL_OK;
	if (!rc && ferror(f))
		rc = TMPL_ENOTFOUND;
	fclose(f);
	return rc;
}

/* Compiles path into the set under rel without its ".mustache". */
static int
load_file(struct tmpl_set *set, const char *path, const char *rel, char *err, size_t errlen)
{
	struct buf src, name;
	buf_init(&src);
	buf_init(&name);
	int rc = read_file(path, &src);
	if (rc) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path,
				 rc == TMPL_ENOMEM ? "out of memory" : strerror(errno));
		goto out;
	}
	if (buf_append(&name, rel, strlen(rel) - strlen(".mustache"))) {
		rc = TMPL_ENOMEM;
		goto out;
	}
	rc = tmpl_set_add(set, name.data, src.data ? src.data : "", src.len, err, errlen);
out:
	buf_free(&src);
	buf_free(&name);
	return rc;
}

static int
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && memcmp(s + n - k, suffix, k) == 0;
}

/* Walks path (a directory) recursively; names are relative to the first rootlen bytes. */
static int
load_dir(struct tmpl_set *set, struct buf *path, size_t rootlen, int depth, char *err,
	 size_t errlen)
{
	DIR *d = opendir(path->data);
	if (!d) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path->data, strerror(errno));
		return TMPL_ENOTFOUND;
	}
	size_t base = path->len;
	int rc = TMPL_OK;
	struct dirent *e;
	while (!rc && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		path->len = base;
		if (buf_putc(path, '/') || buf_puts(path, e->d_name)) {
			rc = TMPL_ENOMEM;
			break;
		}
		struct stat st;
		if (stat(path->data, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth < DIR_MAX_DEPTH)
			rc = load_dir(set, path, rootlen, depth + 1, err, errlen);
		else if (S_ISREG(st.st_mode) && has_suffix(e->d_name, ".mustache"))
			rc = load_file(set, path->data, path->data + rootlen + 1, err, errlen);
	}
	closedir(d);
	path->len = base;
	path->data[base] = '\0';
	return rc;
}

int
tmpl_set_load_dir(struct tmpl_set *set, const char *dir, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	struct buf path;
	buf_init(&path);
	if (buf_puts(&path, dir)) {
		buf_free(&path);
		return TMPL_ENOMEM;
	}
	int rc = load_dir(set, &path, path.len, 0, err, errlen);
	buf_free(&path);
	return rc;
}
