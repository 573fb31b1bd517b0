// SPDX-License-Identifier: MIT
/* xpu-as: assemble XPU assembly into a kernel binary (docs/runtime.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xpu/xpu.h"

static char *slurp(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t n = 0, cap = 1 << 16;
	char *buf = malloc(cap);

	if (!f || !buf) {
		perror(path);
		exit(1);
	}
	for (;;) {
		size_t got = fread(buf + n, 1, cap - n - 1, f);

		n += got;
		if (n < cap - 1)
			break;
		cap *= 2;
		buf = realloc(buf, cap);
		if (!buf)
			exit(1);
	}
	buf[n] = '\0';
	if (f != stdin)
		fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	const char *in = NULL, *outp = "a.xpu";
	void *img;
	size_t size;
	char *src;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			outp = argv[++i];
		else if (!in && (argv[i][0] != '-' || !strcmp(argv[i], "-")))
			in = argv[i];
		else {
			fprintf(stderr, "usage: xpu-as [-o OUT.xpu] IN.s\n");
			return 2;
		}
	}
	if (!in) {
		fprintf(stderr, "usage: xpu-as [-o OUT.xpu] IN.s\n");
		return 2;
	}
	src = slurp(in);
	if (xpu_assemble(src, in, &img, &size) != XPU_SUCCESS) {
		fprintf(stderr, "xpu-as: %s\n", xpu_last_error());
		return 1;
	}
	f = fopen(outp, "wb");
	if (!f || fwrite(img, 1, size, f) != size || fclose(f)) {
		perror(outp);
		return 1;
	}
	free(img);
	free(src);
	return 0;
}
