// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the assembler (xpu_assemble) on arbitrary text, and the
 * disassembler on what it accepts. The property checked besides "no crash,
 * no sanitizer report": an image the assembler wrote disassembles, and the
 * disassembly assembles back to the same bytes (what we print we can read).
 * Built with clang-14 -fsanitize=fuzzer,address,undefined (tests/fuzz/fuzz.mk),
 * seeded with the example kernels (examples/ *.s) and docs/isa.md's snippets.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xpu/xpu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src = malloc(size + 1), *text = NULL;
	void *img = NULL, *again = NULL;
	size_t img_size = 0, again_size = 0;

	if (!src)
		return 0;
	memcpy(src, data, size);
	src[size] = '\0';
	if (xpu_assemble(src, "fuzz.s", &img, &img_size) == XPU_SUCCESS) {
		if (xpu_disassemble(img, img_size, &text) != XPU_SUCCESS) {
			fprintf(stderr, "asm_fuzz: an assembled image does not disassemble: %s\n",
				xpu_last_error());
			abort();
		}
		if (xpu_assemble(text, "dis.s", &again, &again_size) != XPU_SUCCESS) {
			fprintf(stderr, "asm_fuzz: the disassembly does not assemble: %s\n%s\n",
				xpu_last_error(), text);
			abort();
		}
		if (again_size != img_size || memcmp(again, img, img_size)) {
			fprintf(stderr, "asm_fuzz: disassembly round trip changed the image\n%s\n",
				text);
			abort();
		}
	}
	free(text);
	free(img);
	free(again);
	free(src);
	return 0;
}
