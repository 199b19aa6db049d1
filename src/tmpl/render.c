/* render: walks a compiled op list against json-c values. Fixed-size stacks for contexts,
 * parent frames and indentation; nothing is allocated but the output. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "tmpl_internal.h"

struct seg {
	const char *s;
	size_t n;
};

/* A parent tag being rendered: its argument blocks may override blocks below it. */
struct frame {
	const struct tmpl *t;
	size_t op;
};

struct render {
	const struct tmpl_set *set;
	enum tmpl_escape esc;
	struct buf *out;
	struct json_object *ctx[TMPL_MAX_DEPTH + 1]; /* the root, then one per open section */
	int nctx;
	struct frame frames[TMPL_MAX_DEPTH];
	int nframes;
	struct seg segs[TMPL_MAX_DEPTH + 1]; /* indentation pieces; [segbase, nseg) is in force */
	int nseg, segbase;
	int calls;  /* partials, parents and overrides entered */
	int at_bol; /* the last byte written was '\n' (or nothing was written yet) */
	int pend;   /* a template line started: indent [pbase, ptop) before its first byte */
	int pbase, ptop;
	size_t base;		 /* out->len when the render started */
	size_t max_out;		 /* 0: unlimited */
	unsigned long steps;	 /* ops executed and section passes so far */
	unsigned long max_steps; /* 0: unlimited */
};

/* Saved indentation around a nested template. */
struct call {
	int segbase, nseg;
};

static void
pend_flush(struct render *r)
{
	if (!r->pend)
		return;
	r->pend = 0;
	for (int i = r->pbase; i < r->ptop; i++) {
		buf_append(r->out, r->segs[i].s, r->segs[i].n);
		if (r->segs[i].n)
			r->at_bol = 0;
	}
}

/* Whether this render has written past its output budget. */
static int
over_output(const struct render *r, size_t more)
{
	return r->max_out && r->out->len - r->base + more > r->max_out;
}

/* Escaping never shrinks a value, so a write that cannot fit is refused before it is
 * escaped; one that grew past the cap while escaping is refused after. */
static int
out_write(struct render *r, const char *s, size_t n, enum tmpl_escape esc)
{
	if (!n)
		return TMPL_OK;
	if (over_output(r, n))
		return TMPL_EOUTPUT;
	pend_flush(r);
	size_t before = r->out->len;
	int rc = tmpl_escape_append(r->out, esc, s, n);
	if (r->out->len > before)
		r->at_bol = r->out->data[r->out->len - 1] == '\n';
	if (!rc && over_output(r, 0))
		rc = TMPL_EOUTPUT;
	return rc;
}

/* Counts one step of work; TMPL_ESTEPS once the budget is spent. */
static int
step(struct render *r)
{
	return r->max_steps && ++r->steps > r->max_steps ? TMPL_ESTEPS : TMPL_OK;
}

static size_t
fmt_int(struct json_object *v, char *tmp, size_t size)
{
	int64_t i = json_object_get_int64(v);
	int n = i == INT64_MAX ? snprintf(tmp, size, "%" PRIu64, json_object_get_uint64(v))
			       : snprintf(tmp, size, "%" PRId64, i);
	return n > 0 ? (size_t)n : 0;
}

/* Shortest of %.15g and %.17g that reads back as d: 1.21 prints "1.21", 3.0 prints "3". */
static size_t
fmt_double(double d, char *tmp, size_t size)
{
	int n = snprintf(tmp, size, "%.15g", d);
	if (n > 0 && strtod(tmp, NULL) != d)
		n = snprintf(tmp, size, "%.17g", d);
	return n > 0 ? (size_t)n : 0;
}

/* Interpolates v: null prints nothing, objects and arrays print as JSON. */
static int
write_value(struct render *r, struct json_object *v, enum tmpl_escape esc)
{
	char tmp[64];
	const char *s = tmp;
	size_t n = 0;
	switch (json_object_get_type(v)) {
	case json_type_null:
		return TMPL_OK;
	case json_type_string:
		s = json_object_get_string(v);
		n = (size_t)json_object_get_string_len(v);
		break;
	case json_type_boolean:
		s = json_object_get_boolean(v) ? "true" : "false";
		n = strlen(s);
		break;
	case json_type_int:
		n = fmt_int(v, tmp, sizeof(tmp));
		break;
	case json_type_double:
		n = fmt_double(json_object_get_double(v), tmp, sizeof(tmp));
		break;
	default:
		s = json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN, &n);
		break;
	}
	return out_write(r, s, n, esc);
}

/* Falsy: null, false and the empty array (mustache(5)); "" and 0 are truthy. */
static int
truthy(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return 0;
	case json_type_boolean:
		return json_object_get_boolean(v);
	case json_type_array:
		return json_object_array_length(v) > 0;
	default:
		return 1;
	}
}

/* Member key of an object, or element key (all digits) of an array. */
static int
child(struct json_object *v, const char *key, struct json_object **out)
{
	if (json_object_is_type(v, json_type_object))
		return json_object_object_get_ex(v, key, out);
	if (!json_object_is_type(v, json_type_array) || !*key || strlen(key) > 9)
		return 0;
	size_t idx = 0;
	for (const char *p = key; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		idx = idx * 10 + (size_t)(*p - '0');
	}
	if (idx >= json_object_array_length(v))
		return 0;
	*out = json_object_array_get_idx(v, idx);
	return 1;
}

/* Spec name resolution: "." is the top context; the first part is looked up in the contexts
 * from the top down, the other parts only inside what the previous one found. */
static int
lookup(const struct render *r, const struct op *op, struct json_object **out)
{
	*out = NULL;
	if (!op->nparts) {
		*out = r->ctx[r->nctx - 1];
		return 1;
	}
	const char *part = op->parts;
	int k = r->nctx - 1;
	while (k >= 0 && !(json_object_is_type(r->ctx[k], json_type_object) &&
			   json_object_object_get_ex(r->ctx[k], part, out)))
		k--;
	if (k < 0)
		return 0;
	for (unsigned i = 1; i < op->nparts; i++) {
		part += strlen(part) + 1;
		if (!child(*out, part, out)) {
			*out = NULL;
			return 0;
		}
	}
	return 1;
}

static int render_ops(struct render *r, const struct tmpl *t, size_t from, size_t to);

static int
do_var(struct render *r, const struct op *op)
{
	struct json_object *v;
	if (!lookup(r, op, &v))
		return TMPL_OK;
	return write_value(r, v, (op->flags & OPF_RAW) ? TMPL_ESC_NONE : r->esc);
}

/* Renders the body once per array element, or once for any other truthy value. */
static int
do_section(struct render *r, const struct tmpl *t, size_t i)
{
	const struct op *op = &t->ops[i];
	struct json_object *v;
	if (!lookup(r, op, &v) || !truthy(v))
		return TMPL_OK;
	int list = json_object_is_type(v, json_type_array);
	size_t n = list ? json_object_array_length(v) : 1;
	for (size_t k = 0; k < n; k++) {
		if (r->nctx > TMPL_MAX_DEPTH)
			return TMPL_EDEPTH;
		int rc = step(r);
		if (rc)
			return rc;
		r->ctx[r->nctx++] = list ? json_object_array_get_idx(v, k) : v;
		rc = render_ops(r, t, i + 1, op->end);
		r->nctx--;
		if (rc)
			return rc;
	}
	return TMPL_OK;
}

static int
is_falsy(const struct render *r, const struct op *op)
{
	struct json_object *v;
	return !lookup(r, op, &v) || !truthy(v);
}

/* Enters a nested template: the inline ones start without indentation, others add ind. */
static int
call_enter(struct render *r, struct call *save, const char *ind, size_t nind, int reset)
{
	if (r->calls >= TMPL_MAX_DEPTH)
		return TMPL_EDEPTH;
	pend_flush(r);
	save->segbase = r->segbase;
	save->nseg = r->nseg;
	if (reset)
		r->segbase = r->nseg;
	else if (nind)
		r->segs[r->nseg++] = (struct seg){ind, nind};
	r->calls++;
	return TMPL_OK;
}

static void
call_leave(struct render *r, const struct call *save)
{
	r->segbase = save->segbase;
	r->nseg = save->nseg;
	r->pend = 0;
	r->calls--;
}

/* The partial or parent an op names, directly or ({{>*x}}) through a context string. */
static const struct tmpl *
find_tmpl(const struct render *r, const struct op *op)
{
	const char *name = op->s;
	if (op->flags & OPF_DYNAMIC) {
		struct json_object *v;
		if (!lookup(r, op, &v) || !json_object_is_type(v, json_type_string))
			return NULL;
		name = json_object_get_string(v);
	}
	return tmpl_set_get(r->set, name);
}

/* A missing partial renders as nothing, like a missing variable. */
static int
do_partial(struct render *r, const struct op *op)
{
	const struct tmpl *p = find_tmpl(r, op);
	if (!p)
		return TMPL_OK;
	struct call save;
	int rc = call_enter(r, &save, op->ind, op->nind, !(op->flags & OPF_STANDALONE));
	if (rc)
		return rc;
	rc = render_ops(r, p, 0, p->nops);
	call_leave(r, &save);
	return rc;
}

static int
do_parent(struct render *r, const struct tmpl *t, size_t i)
{
	const struct op *op = &t->ops[i];
	const struct tmpl *p = find_tmpl(r, op);
	if (!p)
		return TMPL_OK;
	if (r->nframes >= TMPL_MAX_DEPTH)
		return TMPL_EDEPTH;
	r->frames[r->nframes++] = (struct frame){t, i};
	struct call save;
	int rc = call_enter(r, &save, op->ind, op->nind, !(op->flags & OPF_STANDALONE));
	if (!rc) {
		rc = render_ops(r, p, 0, p->nops);
		call_leave(r, &save);
	}
	r->nframes--;
	return rc;
}

/* The argument block overriding name: the outermost parent tag that passes one wins. */
static int
find_override(const struct render *r, const char *name, const struct tmpl **ot, size_t *oi)
{
	for (int f = 0; f < r->nframes; f++) {
		const struct tmpl *t = r->frames[f].t;
		size_t end = t->ops[r->frames[f].op].end;
		for (size_t j = r->frames[f].op + 1; j < end; j++) {
			const struct op *b = &t->ops[j];
			if (b->type != OP_BLOCK)
				continue;
			if (strcmp(b->s, name) == 0) {
				*ot = t;
				*oi = j;
				return 1;
			}
			j = b->end;
		}
	}
	return 0;
}

/* Renders an override of block i in place of its default; *done says whether there was one. */
static int
do_block(struct render *r, const struct tmpl *t, size_t i, int *done)
{
	const struct op *op = &t->ops[i];
	const struct tmpl *ot;
	size_t oi;
	*done = find_override(r, op->s, &ot, &oi);
	if (!*done)
		return TMPL_OK;
	struct call save;
	int rc = call_enter(r, &save, op->ind, op->nind, 0);
	if (rc)
		return rc;
	if ((op->flags & OPF_BOL) && r->at_bol) {
		r->pend = 1;
		r->pbase = r->segbase;
		r->ptop = r->nseg;
	}
	rc = render_ops(r, ot, oi + 1, ot->ops[oi].end);
	call_leave(r, &save);
	if (!rc && (op->flags & OPF_NL) && !r->at_bol)
		rc = out_write(r, "\n", 1, TMPL_ESC_NONE);
	return rc;
}

static int
render_ops(struct render *r, const struct tmpl *t, size_t from, size_t to)
{
	int rc = TMPL_OK;
	for (size_t i = from; i < to && !rc; i++) {
		const struct op *op = &t->ops[i];
		int done = 0;
		if ((rc = step(r)) != TMPL_OK)
			break;
		switch (op->type) {
		case OP_TEXT:
			rc = out_write(r, op->s, op->n, TMPL_ESC_NONE);
			break;
		case OP_LINE:
			if (r->at_bol) {
				r->pend = 1;
				r->pbase = r->segbase;
				r->ptop = r->nseg;
			}
			break;
		case OP_VAR:
			rc = do_var(r, op);
			break;
		case OP_SECTION:
			rc = do_section(r, t, i);
			i = op->end;
			break;
		case OP_INVERTED:
			if (!is_falsy(r, op))
				i = op->end;
			break;
		case OP_PARTIAL:
			rc = do_partial(r, op);
			break;
		case OP_PARENT:
			rc = do_parent(r, t, i);
			i = op->end;
			break;
		case OP_BLOCK:
			rc = do_block(r, t, i, &done);
			if (done)
				i = op->end;
			break;
		default:
			break;
		}
	}
	return rc;
}

int
tmpl_render_limited(const struct tmpl *t, const struct tmpl_set *partials, struct json_object *ctx,
		    enum tmpl_escape esc, const struct tmpl_limits *lim, struct buf *out)
{
	if (!t || !out)
		return TMPL_ENOTFOUND;
	struct render r;
	memset(&r, 0, sizeof(r));
	r.set = partials;
	r.esc = (unsigned)esc < TMPL_ESC__MAX ? esc : TMPL_ESC_HTML;
	r.out = out;
	r.ctx[0] = ctx;
	r.nctx = 1;
	r.at_bol = 1;
	r.base = out->len;
	if (lim) {
		r.max_out = lim->max_output;
		r.max_steps = lim->max_steps;
	}
	int rc = render_ops(&r, t, 0, t->nops);
	if (!rc && out->failed)
		rc = TMPL_ENOMEM;
	if (rc == TMPL_EOUTPUT && out->len - r.base > r.max_out) {
		out->len = r.base + r.max_out;
		out->data[out->len] = '\0';
	}
	return rc;
}

int
tmpl_render_tmpl(const struct tmpl *t, const struct tmpl_set *partials, struct json_object *ctx,
		 enum tmpl_escape esc, struct buf *out)
{
	return tmpl_render_limited(t, partials, ctx, esc, NULL, out);
}

int
tmpl_render(const struct tmpl_set *set, const char *name, struct json_object *ctx,
	    enum tmpl_escape esc, struct buf *out)
{
	const struct tmpl *t = tmpl_set_get(set, name);
	if (!t)
		return TMPL_ENOTFOUND;
	return tmpl_render_tmpl(t, set, ctx, esc, out);
}
