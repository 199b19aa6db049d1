/* tmpl internals shared by compile.c (source -> ops) and render.c (ops x json-c -> bytes). */
#ifndef DCGATE_TMPL_INTERNAL_H
#define DCGATE_TMPL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tmpl.h"

/* Sections nested in one template, context pushes and partial/parent/block calls each stop here. */
#define TMPL_MAX_DEPTH 64

enum op_type {
	OP_TEXT,     /* s/n: literal bytes */
	OP_LINE,     /* a template line starts: indentation goes before its first output byte */
	OP_VAR,	     /* name; OPF_RAW for {{{x}}} and {{&x}} */
	OP_SECTION,  /* name; body up to end */
	OP_INVERTED, /* name; body up to end */
	OP_PARTIAL,  /* name; ind: indentation when standalone */
	OP_PARENT,   /* name; ind; body holds only the argument OP_BLOCKs */
	OP_BLOCK,    /* name; ind: indentation added to an override; body is the default */
	OP_END,	     /* closes the op at ops[i].end's owner; does nothing */
};

enum op_flag {
	OPF_RAW = 1,	    /* variable: no escaping */
	OPF_STANDALONE = 2, /* partial/parent: alone on its line, so indented */
	OPF_DYNAMIC = 4,    /* partial/parent: {{>*name}} names a context value holding the name */
	OPF_BOL = 8,	    /* block: its line was removed, an override starts on a fresh line */
	OPF_NL = 16,	    /* block: the close tag's line (and newline) was removed, an override
			       that does not end its last line gets a newline */
};

struct op {
	uint8_t type;
	uint8_t flags;
	uint16_t nparts;   /* dotted name components; 0 for "." */
	uint32_t end;	   /* sections, parents, blocks: index of the matching OP_END */
	const char *s;	   /* OP_TEXT bytes, else the full name ("user.id"), NUL-terminated */
	size_t n;	   /* length of s */
	const char *parts; /* name components, each NUL-terminated, back to back */
	const char *ind;   /* indentation (not NUL-terminated) */
	size_t nind;
};

struct tmpl {
	char *src; /* owned copy of the source; text ops and indents point into it */
	size_t len;
	struct op *ops;
	size_t nops;
	struct arena arena; /* names */
};

#endif
