/* SPDX-License-Identifier: MIT */
/*
 * The pinned instruction encodings of docs/isa.md ("Encoding examples"),
 * read from the document itself: the assembler test (tests/runtime/asm_test.c)
 * and the engine test (tests/engine/scalar_test.c) check the header's
 * helpers, the assembler and the engine's decoder against these literal
 * words, so that a change of the encoding in all three at once still fails
 * until the document changes too.
 *
 * Table rows: | `assembly` | `0xWORD` | opcode | rd | rs1 | rs2 | rs3 | func4 | imm32 |
 *
 * Also the "fields" column of the document's opcode tables, written by
 * hand, against which the fields the header derives for each opcode
 * (XPU_OP_FIELDS) are checked.
 */
#ifndef XPU_ISA_EXAMPLES_H
#define XPU_ISA_EXAMPLES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XPU_ISA_EX_MAX 32

struct xpu_isa_example {
	char text[64];		/* the assembly */
	uint64_t word;
	uint32_t field[7];	/* opcode, rd, rs1, rs2, rs3, func4, imm32 */
};

/* docs/isa.md, found from this header's path (the tests run from the repo root) */
static inline const char *xpu_isa_md_path(void)
{
	static char path[512];
	const char *here = __FILE__, *end = strstr(here, "tests/engine/ref/");

	snprintf(path, sizeof(path), "%.*sdocs/isa.md", end ? (int)(end - here) : 0, here);
	return path;
}

/* one backquoted cell of a row into out; the rest of the row after it */
static inline const char *xpu_isa_ex_quoted(const char *p, char *out, size_t max)
{
	const char *a = strchr(p, '`'), *b = a ? strchr(a + 1, '`') : NULL;

	if (!b || (size_t)(b - a - 1) >= max)
		return NULL;
	memcpy(out, a + 1, b - a - 1);
	out[b - a - 1] = 0;
	return b + 1;
}

/*
 * Calls row(line, ctx) for each row of every table of the document whose
 * header line starts with header (up to the first line that is not a table
 * row). Returns the number of rows, -1 if the document cannot be read, -2
 * (with *bad_line set) if row() returns nonzero.
 */
static inline int xpu_isa_doc_rows(const char *path, const char *header,
				   int (*row)(const char *line, int n, void *ctx), void *ctx,
				   int *bad_line)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int n = 0, in_table = 0, lineno = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strncmp(line, header, strlen(header)))
			in_table = 1;
		else if (line[0] != '|')
			in_table = 0;
		else if (in_table && strncmp(line, "|---", 4)) {
			if (row(line, n, ctx)) {
				*bad_line = lineno;
				n = -2;
				break;
			}
			n++;
		}
	}
	fclose(f);
	return n;
}

struct xpu_isa_ex_ctx {
	struct xpu_isa_example *ex;
	int max;
};

static inline int xpu_isa_ex_row(const char *line, int n, void *ctx)
{
	struct xpu_isa_ex_ctx *c = ctx;
	struct xpu_isa_example *ex = &c->ex[n];
	const char *p;
	char word[40], *end;

	if (n >= c->max)
		return -1;
	p = xpu_isa_ex_quoted(line, ex->text, sizeof(ex->text));
	p = p ? xpu_isa_ex_quoted(p, word, sizeof(word)) : NULL;
	if (!p)
		return -1;
	ex->word = strtoull(word, &end, 16);
	if (strncmp(word, "0x", 2) || strlen(word) != 18 || *end)
		return -1;
	for (int i = 0; i < 7; i++) {
		p = strchr(p, '|');
		if (!p)
			return -1;
		ex->field[i] = (uint32_t)strtoul(p + 1, &end, 0);
		if (end == p + 1 || *end != ' ')
			return -1;
		p = end;
	}
	return 0;
}

/*
 * Reads the encoding examples into ex[]. Returns the number of rows, -1 if
 * the document cannot be read, -2 (with *bad_line set) if a row does not
 * parse.
 */
static inline int xpu_isa_examples(const char *path, struct xpu_isa_example *ex, int max,
				   int *bad_line)
{
	struct xpu_isa_ex_ctx c = { ex, max };

	return xpu_isa_doc_rows(path, "| assembly | word | opcode |", xpu_isa_ex_row, &c,
				bad_line);
}

/* fields[opcode] |= this bit for each opcode that has a row */
#define XPU_ISA_DOC_ROW 0x80u

/* one opcode table row: "| 0xNN | NAME | D 1 2 3 F I | semantics |" ("-": none) */
static inline int xpu_isa_fields_row(const char *line, int n, void *ctx)
{
	static const char names[] = "D123FI";	/* in XPU_U_* bit order */
	uint8_t *fields = ctx, u = XPU_ISA_DOC_ROW;
	unsigned long op = strtoul(line + 1, NULL, 16);
	const char *p = strchr(line + 1, '|');

	(void)n;
	p = p ? strchr(p + 1, '|') : NULL;
	if (strncmp(line, "| 0x", 4) || op > 0xff || fields[op] || !p)
		return -1;
	for (p++; *p != '|'; p++) {
		const char *c = *p ? strchr(names, *p) : NULL;

		if (c)
			u |= 1u << (c - names);
		else if (*p != ' ' && *p != '-')
			return -1;
	}
	fields[op] = u;
	return 0;
}

/*
 * Reads the "fields" column of the opcode tables into fields[opcode] as
 * XPU_U_* bits, XPU_ISA_DOC_ROW set for each opcode that has a row. Returns
 * as xpu_isa_examples().
 */
static inline int xpu_isa_doc_fields(const char *path, uint8_t fields[256], int *bad_line)
{
	memset(fields, 0, 256);
	return xpu_isa_doc_rows(path, "| op | name | fields | semantics |", xpu_isa_fields_row,
				fields, bad_line);
}

#endif /* XPU_ISA_EXAMPLES_H */
