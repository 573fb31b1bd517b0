// SPDX-License-Identifier: MIT
/* xpu-dis: disassemble an XPU kernel binary into assembly xpu-as accepts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xpu/xpu.h"

int main(int argc, char **argv)
{
	const char *outp = NULL, *in = NULL;
	unsigned char *buf;
	size_t n = 0, cap = 1 << 16;
	char *text;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			outp = argv[++i];
		else if (!in)
			in = argv[i];
		else
			in = NULL, i = argc;
	}
	if (!in) {
		fprintf(stderr, "usage: xpu-dis [-o OUT.s] IN.xpu\n");
		return 2;
	}
	f = fopen(in, "rb");
	buf = malloc(cap);
	if (!f || !buf) {
		perror(in);
		return 1;
	}
	for (;;) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		cap *= 2;
		buf = realloc(buf, cap);
		if (!buf)
			return 1;
	}
	fclose(f);
	if (xpu_disassemble(buf, n, &text) != XPU_SUCCESS) {
		fprintf(stderr, "xpu-dis: %s: %s\n", in, xpu_last_error());
		return 1;
	}
	f = outp ? fopen(outp, "w") : stdout;
	if (!f || fputs(text, f) < 0 || (outp && fclose(f))) {
		perror(outp ? outp : "stdout");
		return 1;
	}
	free(text);
	free(buf);
	return 0;
}
