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
 * Reads the table into ex[]. Returns the number of rows, -1 if the document
 * cannot be read, -2 (with *bad_line set) if a row does not parse.
 */
static inline int xpu_isa_examples(const char *path, struct xpu_isa_example *ex, int max,
				   int *bad_line)
{
	FILE *f = fopen(path, "r");
	char line[512], word[40];
	int n = 0, in_table = 0, lineno = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		const char *p;
		char *end;

		lineno++;
		if (!in_table) {
			in_table = !strncmp(line, "| assembly | word | opcode |", 28);
			continue;
		}
		if (line[0] != '|')
			break;
		if (!strncmp(line, "|---", 4))
			continue;
		p = xpu_isa_ex_quoted(line, ex[n].text, sizeof(ex[n].text));
		p = p ? xpu_isa_ex_quoted(p, word, sizeof(word)) : NULL;
		if (!p || n >= max)
			goto bad;
		ex[n].word = strtoull(word, &end, 16);
		if (strncmp(word, "0x", 2) || strlen(word) != 18 || *end)
			goto bad;
		for (int i = 0; i < 7; i++) {
			p = strchr(p, '|');
			if (!p)
				goto bad;
			ex[n].field[i] = (uint32_t)strtoul(p + 1, &end, 0);
			if (end == p + 1 || *end != ' ')
				goto bad;
			p = end;
		}
		n++;
	}
	fclose(f);
	return n;
bad:
	*bad_line = lineno;
	fclose(f);
	return -2;
}

#endif /* XPU_ISA_EXAMPLES_H */
