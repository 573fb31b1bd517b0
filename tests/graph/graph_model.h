/* SPDX-License-Identifier: MIT */
/*
 * Reading the test models and data that python3-onnx wrote into
 * $XPU_GRAPH_TESTS (make sets it to $(BUILD)/graph-tests). Public-API tests
 * (compile_test.c) and the internal-stage tests (graph_test.h,
 * lower_*_test.c) share it; it includes nothing of libxpu.
 */
#ifndef GRAPH_MODEL_H
#define GRAPH_MODEL_H

#include <stdio.h>
#include <stdlib.h>

/* The generated models' directory: $XPU_GRAPH_TESTS or build/graph-tests. */
static inline const char *gt_dir(void)
{
	const char *d = getenv("XPU_GRAPH_TESTS");

	return d ? d : "build/graph-tests";
}

/* The bytes of the file path (malloc'ed, *size of them), or NULL. */
static inline void *gt_read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	void *p = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		p = malloc(n ? n : 1);
		if (p && fread(p, 1, n, f) != (size_t)n) {
			free(p);
			p = NULL;
		}
		*size = n;
	}
	fclose(f);
	return p;
}

/* The bytes of gt_dir()/NAME.onnx, or NULL (said why). */
static inline void *gt_load(const char *name, size_t *size)
{
	char path[512];
	void *p;

	snprintf(path, sizeof(path), "%s/%s.onnx", gt_dir(), name);
	p = gt_read_file(path, size);
	if (!p)
		fprintf(stderr, "# cannot read %s (run via make graph-host-tests)\n", path);
	return p;
}

#endif
