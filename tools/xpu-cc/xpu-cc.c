// SPDX-License-Identifier: MIT
/*
 * xpu-cc: the kernel compiler's command line. Each KERNEL argument adds one
 * kernel to the output binary:
 *
 *   OP:NAME:key=value,key=value,...
 *
 *   matmul    m,k,n, in=i8|bf16, out=i32|i8|f32|bf16, bias=0|1,
 *             act=none|relu|gelu, scale, zp
 *   conv2d    batch,h,w,cin,cout,kh,kw,stride,pad, out=i32|i8, bias, act, scale, zp
 *   binary    op=add|sub|mul|max|min, type=i32|f32, n
 *   unary     op=relu|copy|exp|gelu|recip|rsqrt|neg, type=i32|f32, n
 *   requant   type=i32|f32, n, scale, zp
 *   softmax   rows, cols
 *   layernorm rows, cols, eps
 *
 * Or a whole model: `xpu-cc model.onnx -o model.xpu` compiles an ONNX graph
 * (xpu_model_compile_onnx) into a kernel binary with its graph, for
 * xpu_graph_load(). --precision bf16|high|highest picks the fp32 matmul
 * precision (1, 3 or 6 bf16 passes), --dim NAME=VALUE binds a symbolic
 * dimension (repeatable), --print-passes prints the graph after every pass.
 *
 * The target (array and SRAM sizes) comes from --device N (default 0), the
 * host backend's defaults (--host) or --target ROWS,COLS,SPAD_BYTES,ACC_BYTES.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xpu/xpu.h"
#include "xpu/xpu_compiler.h"
#include "xpu/xpu_elf.h"
#include "xpu/xpu_graph.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: xpu-cc [--device N | --host | --target R,C,SPAD,ACC] -o OUT.xpu OP:NAME:k=v,... ...\n"
		"       xpu-cc [target options] [--precision bf16|high|highest] [--dim NAME=VALUE]...\n"
		"              [--print-passes] MODEL.onnx -o OUT.xpu\n"
		"ops: matmul conv2d binary unary requant softmax layernorm (see docs/runtime.md);\n"
		"models: docs/models.md\n");
	exit(2);
}

struct kv {
	char key[32], val[64];
};

static int parse_kv(char *s, struct kv *kv, int max)
{
	int n = 0;

	for (char *tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ",")) {
		char *eq = strchr(tok, '=');

		if (!eq)
			return -1;
		*eq = '\0';
		snprintf(kv[n].key, sizeof(kv[n].key), "%s", tok);
		snprintf(kv[n].val, sizeof(kv[n].val), "%s", eq + 1);
		n++;
	}
	return n;
}

static const char *get(struct kv *kv, int n, const char *key, const char *def)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key)) {
			kv[i].key[0] = '\0';	/* consumed */
			return kv[i].val;
		}
	return def;
}

static uint32_t dtype(const char *s)
{
	if (!strcmp(s, "i8")) return XPU_DT_I8;
	if (!strcmp(s, "i32")) return XPU_DT_I32;
	if (!strcmp(s, "f32")) return XPU_DT_F32;
	if (!strcmp(s, "bf16")) return XPU_DT_BF16;
	fprintf(stderr, "xpu-cc: unknown type '%s'\n", s);
	exit(2);
}

static uint32_t act(const char *s)
{
	if (!strcmp(s, "none")) return XPU_ACT_NONE;
	if (!strcmp(s, "relu")) return XPU_ACT_RELU;
	if (!strcmp(s, "gelu")) return XPU_ACT_GELU;
	fprintf(stderr, "xpu-cc: unknown activation '%s'\n", s);
	exit(2);
}

static int lookup(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	fprintf(stderr, "xpu-cc: unknown op '%s'\n", s);
	exit(2);
}

#define U(key, def) ((uint32_t)strtoul(get(kv, nkv, key, def), NULL, 0))
#define F(key, def) strtof(get(kv, nkv, key, def), NULL)

static xpu_status add_kernel(xpu_cc *cc, char *spec)
{
	static const char *const bins[] = { "add", "sub", "mul", "max", "min" };
	static const char *const uns[] = { "relu", "copy", "exp", "gelu", "recip", "rsqrt", "neg" };
	char *op = spec, *name, *args;
	struct kv kv[32];
	int nkv = 0;
	xpu_status st;

	name = strchr(op, ':');
	if (!name)
		usage();
	*name++ = '\0';
	args = strchr(name, ':');
	if (args) {
		*args++ = '\0';
		nkv = parse_kv(args, kv, 32);
		if (nkv < 0)
			usage();
	}
	if (!strcmp(op, "matmul")) {
		struct xpu_cc_matmul d = {
			U("m", "0"), U("k", "0"), U("n", "0"), dtype(get(kv, nkv, "in", "i8")),
			0, U("bias", "0"), act(get(kv, nkv, "act", "none")), F("scale", "1"),
			(int32_t)strtol(get(kv, nkv, "zp", "0"), NULL, 0),
		};
		d.out_type = dtype(get(kv, nkv, "out", d.in_type == XPU_DT_I8 ? "i32" : "f32"));
		st = xpu_cc_matmul(cc, name, &d);
	} else if (!strcmp(op, "conv2d")) {
		struct xpu_cc_conv2d d = {
			U("batch", "1"), U("h", "0"), U("w", "0"), U("cin", "1"), U("cout", "1"),
			U("kh", "3"), U("kw", "3"), U("stride", "1"), U("pad", "0"),
			dtype(get(kv, nkv, "out", "i32")), U("bias", "0"),
			act(get(kv, nkv, "act", "none")), F("scale", "1"),
			(int32_t)strtol(get(kv, nkv, "zp", "0"), NULL, 0),
		};
		st = xpu_cc_conv2d(cc, name, &d);
	} else if (!strcmp(op, "binary")) {
		int o = lookup(get(kv, nkv, "op", "add"), bins, 5);

		st = xpu_cc_binary(cc, name, o, dtype(get(kv, nkv, "type", "f32")), U("n", "0"));
	} else if (!strcmp(op, "unary")) {
		int o = lookup(get(kv, nkv, "op", "relu"), uns, 7);

		st = xpu_cc_unary(cc, name, o, dtype(get(kv, nkv, "type", "f32")), U("n", "0"));
	} else if (!strcmp(op, "requant")) {
		st = xpu_cc_requant(cc, name, dtype(get(kv, nkv, "type", "i32")), U("n", "0"),
				    F("scale", "1"), (int32_t)strtol(get(kv, nkv, "zp", "0"), NULL, 0));
	} else if (!strcmp(op, "softmax")) {
		st = xpu_cc_softmax(cc, name, U("rows", "1"), U("cols", "0"));
	} else if (!strcmp(op, "layernorm")) {
		st = xpu_cc_layernorm(cc, name, U("rows", "1"), U("cols", "0"), F("eps", "1e-5"));
	} else {
		fprintf(stderr, "xpu-cc: unknown operation '%s'\n", op);
		exit(2);
	}
	for (int i = 0; i < nkv; i++)
		if (kv[i].key[0]) {
			fprintf(stderr, "xpu-cc: %s '%s': unknown key '%s'\n", op, name, kv[i].key);
			exit(2);
		}
	return st;
}

static void *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	void *buf = NULL;
	struct stat sb;
	long n;

	if (f && (fstat(fileno(f), &sb) || !S_ISREG(sb.st_mode))) {
		fprintf(stderr, "xpu-cc: %s: not a regular file\n", path);
		exit(1);
	}
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    !(buf = malloc(n ? n : 1)) || fread(buf, 1, n, f) != (size_t)n) {
		perror(path);
		exit(1);
	}
	fclose(f);
	*size = n;
	return buf;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

int main(int argc, char **argv)
{
	struct xpu_cc_target t = { 0 };
	struct xpu_device_props p;
	const char *out = NULL, *model = NULL;
	const char *dims[64];
	struct xpu_model_options mo = { .size = sizeof(mo) };
	int dev_index = 0, host = 0, have_target = 0, first = 0;
	xpu_device *dev;
	xpu_cc *cc;
	void *img;
	size_t size;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			out = argv[++i];
		} else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
			dev_index = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--host")) {
			host = 1;
		} else if (!strcmp(argv[i], "--target") && i + 1 < argc) {
			if (sscanf(argv[++i], "%u,%u,%u,%u", &t.rows, &t.cols, &t.spad_size,
				   &t.acc_size) != 4)
				usage();
			have_target = 1;
		} else if (!strcmp(argv[i], "--precision") && i + 1 < argc) {
			i++;
			if (!strcmp(argv[i], "bf16"))
				mo.precision = XPU_GRAPH_F_PREC_BF16;
			else if (!strcmp(argv[i], "high"))
				mo.precision = XPU_GRAPH_F_PREC_HIGH;
			else if (!strcmp(argv[i], "highest"))
				mo.precision = XPU_GRAPH_F_PREC_HIGHEST;
			else
				usage();
		} else if (!strcmp(argv[i], "--dim") && i + 1 < argc) {
			if (mo.num_dims >= 64 || !strchr(argv[i + 1], '='))
				usage();
			dims[mo.num_dims++] = argv[++i];
		} else if (!strcmp(argv[i], "--print-passes")) {
			mo.flags |= XPU_MODEL_DEBUG_PRINT;
		} else if (argv[i][0] == '-') {
			usage();
		} else if (ends_with(argv[i], ".onnx") && !model) {
			model = argv[i];
		} else {
			first = i;
			break;
		}
	}
	if (!out || (!first && !model) || (first && model))
		usage();
	mo.dims = dims;
	if (!have_target) {
		xpu_status st = host ? xpu_device_open_host(NULL, &dev) : xpu_device_open(dev_index, &dev);

		if (st) {
			fprintf(stderr, "xpu-cc: no target: %s (use --host or --target)\n",
				xpu_last_error());
			return 1;
		}
		xpu_device_get_props(dev, &p);
		xpu_cc_target_from_props(&p, &t);
		xpu_device_close(dev);
	}
	if (model) {
		size_t msize;
		void *onnx = read_file(model, &msize);

		if (xpu_model_compile_onnx(onnx, msize, &t, &mo, &img, &size)) {
			fprintf(stderr, "xpu-cc: %s: %s\n", model, xpu_last_error());
			return 1;
		}
		free(onnx);
		f = fopen(out, "wb");
		if (!f || fwrite(img, 1, size, f) != size || fclose(f)) {
			perror(out);
			return 1;
		}
		free(img);
		return 0;
	}
	if (xpu_cc_create(&t, &cc)) {
		fprintf(stderr, "xpu-cc: %s\n", xpu_last_error());
		return 1;
	}
	for (int i = first; i < argc; i++) {
		if (add_kernel(cc, argv[i])) {
			fprintf(stderr, "xpu-cc: %s\n", xpu_last_error());
			return 1;
		}
	}
	if (xpu_cc_emit(cc, &img, &size)) {
		fprintf(stderr, "xpu-cc: %s\n", xpu_last_error());
		return 1;
	}
	f = fopen(out, "wb");
	if (!f || fwrite(img, 1, size, f) != size || fclose(f)) {
		perror(out);
		return 1;
	}
	free(img);
	xpu_cc_destroy(cc);
	return 0;
}
