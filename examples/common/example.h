/* SPDX-License-Identifier: MIT */
/*
 * What the example programs (xpu-gpt, xpu-classify, xpu-digits) share:
 * CHECK() around libxpu calls, reading a data file into memory, finding
 * the data directory installed with the program, the argmax of logits.
 * Define EX_PROG (the program's name in messages) before including this
 * header.
 */
#ifndef XPU_EXAMPLES_EXAMPLE_H
#define XPU_EXAMPLES_EXAMPLE_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xpu/xpu.h"

#ifndef EX_PROG
#error "define EX_PROG before including example.h"
#endif

/* Exit 1 naming the call, its status and the library's detail if it fails. */
#define CHECK(call)                                                                  \
	do {                                                                         \
		xpu_status st_ = (call);                                             \
		if (st_) {                                                           \
			fprintf(stderr, EX_PROG ": %s: %s: %s\n", #call,             \
				xpu_status_string(st_), xpu_last_error());           \
			exit(1);                                                     \
		}                                                                    \
	} while (0)

/* The bytes of the file path, malloc'ed (*size of them), or NULL. */
static inline void *ex_read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	long n;
	void *p;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return NULL;
	}
	p = malloc(n ? n : 1);
	if (!p || fread(p, 1, n, f) != (size_t)n) {
		fclose(f);
		free(p);
		return NULL;
	}
	fclose(f);
	*size = n;
	return p;
}

/* ex_read_file(dir/name), or NULL. */
static inline void *ex_read_data(const char *dir, const char *name, size_t *size)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return ex_read_file(path, size);
}

/* ex_read_file(path), or exit 1 with "EX_PROG: cannot read path". */
static inline void *ex_read_file_or_exit(const char *path, size_t *size)
{
	void *p = ex_read_file(path, size);

	if (!p) {
		fprintf(stderr, EX_PROG ": cannot read %s\n", path);
		exit(1);
	}
	return p;
}

/* ex_read_data(dir, name), or exit 1 with "EX_PROG: cannot read dir/name". */
static inline void *ex_read_data_or_exit(const char *dir, const char *name, size_t *size)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return ex_read_file_or_exit(path, size);
}

/* The index of the first largest of x[0..n) (n >= 1). */
static inline int ex_argmax(const float *x, uint32_t n)
{
	uint32_t b = 0;

	for (uint32_t i = 1; i < n; i++)
		if (x[i] > x[b])
			b = i;
	return (int)b;
}

/*
 * The data directory: arg if given, else /usr/share/xpu/SUB if it holds
 * probe, else ../share/xpu/SUB next to the program (the build tree).
 */
static inline const char *ex_find_data(const char *arg, const char *sub, const char *probe)
{
	static char buf[PATH_MAX + 32];
	char exe[PATH_MAX], path[PATH_MAX];
	ssize_t n;

	if (arg)
		return arg;
	snprintf(buf, sizeof(buf), "/usr/share/xpu/%s", sub);
	snprintf(path, sizeof(path), "%s/%s", buf, probe);
	if (access(path, R_OK) == 0)
		return buf;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		snprintf(buf, sizeof(buf), "%s/../share/xpu/%s", exe, sub);
	}
	return buf;
}

#endif
