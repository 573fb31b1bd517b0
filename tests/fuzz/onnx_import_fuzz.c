// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the ONNX importer and the passes after it (fold, shape,
 * fuse, validator, printer, buffer plan) on arbitrary bytes. Built with
 * clang-14 -fsanitize=fuzzer,address,undefined by `make fuzz-onnx`, which
 * runs it for a bounded time from seed models tests/fuzz/onnx_seeds.py
 * writes. Any crash, leak, sanitizer report or a success that the
 * validator rejects is a finding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "graph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* symbolic dims get 2; a 64 MiB budget keeps single runs small */
	struct xg_options opt = { .default_dim = 2, .max_model_bytes = 64u << 20 };
	struct xg_graph *g = NULL;
	static FILE *devnull;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (xg_frontend(data, size, &opt, &g) != XPU_SUCCESS) {
		if (g)
			abort();	/* an error never leaves a graph behind */
		return 0;
	}
	if (xg_validate(g, 1) != XPU_SUCCESS)
		abort();		/* the front end said yes to a broken graph */
	xg_print(g, devnull);
	if (xg_pass_plan(g) == XPU_SUCCESS && g->arena_size > g->arena_no_reuse)
		abort();		/* reuse never makes the arena larger */
	xg_free(g);
	return 0;
}
