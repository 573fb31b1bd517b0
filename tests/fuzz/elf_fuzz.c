// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the kernel binary (ELF) loader, xpu_image_parse() and
 * xpu_image_check(), on arbitrary bytes; an image that parses is written
 * back (xpu_image_write) and must parse again. Built with clang-14
 * -fsanitize=fuzzer,address,undefined by `make fuzz-elf`, seeded with
 * binaries xpu-cc compiles from the front end's test models and kernels.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xpu_image img, again;
	void *out = NULL;
	size_t out_size = 0;

	memset(&img, 0, sizeof(img));
	if (xpu_image_parse(data, size, &img) != XPU_SUCCESS)
		return 0;
	if (xpu_image_check(&img) == XPU_SUCCESS &&
	    xpu_image_write(&img, &out, &out_size) == XPU_SUCCESS) {
		memset(&again, 0, sizeof(again));
		if (xpu_image_parse(out, out_size, &again) != XPU_SUCCESS)
			abort();	/* what we write we must read */
		if (again.num_kernels != img.num_kernels)
			abort();
		xpu_image_free(&again);
		free(out);
	}
	xpu_image_free(&img);
	return 0;
}
