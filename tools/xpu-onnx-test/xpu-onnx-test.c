// SPDX-License-Identifier: MIT
/*
 * xpu-onnx-test: ONNX's backend conformance data run through the XPU, in the
 * manner of ONNX Runtime's onnx_test_runner.
 *
 *   xpu-onnx-test [options] DIR...
 *
 * Each DIR holds model.onnx and test_data_set_N/{input,output}_K.pb (each a
 * serialised TensorProto), as Debian's libonnx-testdata ships them under
 * /usr/share/libonnx-testdata/data/node. A DIR whose model uses an operator
 * libxpu does not import is not attempted (listed as a skip). Each attempted
 * test: compile (xpu_model_compile_onnx, --precision, default highest), load,
 * and for every data set run on the device and compare every output with the
 * suite's expected data, |got - want| <= abs_tol + rel_tol * |want| (ONNX's
 * defaults rel_tol 1e-3, abs_tol 1e-7; integers and bools exactly; NaN equals NaN),
 * and, unless --no-reference, check the device output equals the CPU
 * reference of the same numerics (xpu_model_reference_onnx) bit for bit.
 *
 * --known FILE lists tests expected to fail, one "test_name reason" per line:
 * they print as TAP "not ok ... # TODO reason" (counted, not hidden); a known
 * failure that passes prints a diagnostic so the list can shrink.
 * Output: TAP, then "onnx conformance: P passed, F failed of T attempted
 * (S ops)". Exit status 1 when an unexpected failure happened.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "onnx/onnx.pb-c.h"
#include "onnx_dtype.h"
#include "xpu/xpu.h"
#include "xpu/xpu_compiler.h"
#include "xpu/xpu_elf.h"
#include "xpu/xpu_graph.h"

#define MAX_IO 32

static double rel_tol = 1e-3, abs_tol = 1e-7;
static int frozen_tests;	/* passed tests that had parameter inputs frozen */
static int cur_frozen;		/* the current test froze at least one input */
static int use_reference = 1, verbose;
static struct xpu_model_options mopt = { .size = sizeof(mopt), .precision = XPU_GRAPH_F_PREC_HIGHEST };

struct known {
	char name[128];
	char reason[256];
	int seen;
};
static struct known *known;
static int nknown;

/* distinct op types of attempted tests, and per primary op (the test's
 * first node that is not a Constant): tests passed and attempted */
static char ops_seen[256][64];
static int nops_seen;
static struct { char op[64]; int pass, total; } per_op[256];
static int nper_op;

static void tally(const char *op, int pass)
{
	int i;

	for (i = 0; i < nper_op && strcmp(per_op[i].op, op); i++)
		;
	if (i == nper_op) {
		if (nper_op == 256)
			return;
		snprintf(per_op[nper_op++].op, sizeof(per_op[0].op), "%s", op);
	}
	per_op[i].total++;
	per_op[i].pass += pass;
}

static void *read_all(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	void *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    !(buf = malloc(n ? n : 1)) || fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*size = n;
	return buf;
}

static void load_known(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];

	if (!f) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *sp;

		line[strcspn(line, "\n")] = 0;
		if (!*p || *p == '#')
			continue;
		known = realloc(known, (nknown + 1) * sizeof(*known));
		memset(&known[nknown], 0, sizeof(*known));
		sp = strchr(p, ' ');
		if (sp)
			*sp++ = 0;
		snprintf(known[nknown].name, sizeof(known[nknown].name), "%.127s", p);
		snprintf(known[nknown].reason, sizeof(known[nknown].reason), "%s", sp ? sp : "");
		nknown++;
	}
	fclose(f);
}

static struct known *find_known(const char *name)
{
	for (int i = 0; i < nknown; i++)
		if (!strcmp(known[i].name, name))
			return &known[i];
	return NULL;
}

static int op_supported(const char *op)
{
	for (const char *const *s = xpu_model_supported_ops(); *s; s++)
		if (!strcmp(*s, op))
			return 1;
	return 0;
}

static void note_op(const char *op)
{
	for (int i = 0; i < nops_seen; i++)
		if (!strcmp(ops_seen[i], op))
			return;
	if (nops_seen < 256)
		snprintf(ops_seen[nops_seen++], sizeof(ops_seen[0]), "%s", op);
}

/* the importer's dtype of a test tensor; bfloat16 test data is not read */
static uint32_t dtype_of(int32_t onnx_type)
{
	uint32_t dt = xg_onnx_dtype(onnx_type);

	return dt == XPU_DT_BF16 ? 0 : dt;
}

/* A TensorProto's elements as dense bytes of dtype *dt; NULL + why on error. */
static void *tensor_bytes(const Onnx__TensorProto *t, uint32_t *dt, size_t *size, char *why,
			  size_t wlen)
{
	size_t n = 1, esz;
	uint8_t *out;

	*dt = dtype_of(t->data_type);
	esz = xpu_dtype_size(*dt);
	if (!esz) {
		static const char *const names[] = { "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16",
			"INT16", "INT32", "INT64", "STRING", "BOOL", "FLOAT16", "DOUBLE", "UINT32",
			"UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16" };

		snprintf(why, wlen, "a test tensor of ONNX type %s (%d): no XPU dtype for it",
			 t->data_type >= 0 && t->data_type < 17 ? names[t->data_type] : "?",
			 t->data_type);
		return NULL;
	}
	for (size_t i = 0; i < t->n_dims; i++)
		n *= (size_t)t->dims[i];
	*size = n * esz;
	out = malloc(*size ? *size : 1);
	if (!out) {
		snprintf(why, wlen, "out of memory");
		return NULL;
	}
	if (t->has_raw_data) {
		if (t->raw_data.len != *size) {
			snprintf(why, wlen, "raw_data of %zu bytes for %zu", t->raw_data.len, *size);
			free(out);
			return NULL;
		}
		memcpy(out, t->raw_data.data, *size);
		return out;
	}
	for (size_t i = 0; i < n; i++) {
		switch (*dt) {
		case XPU_DT_F32:
			if (t->n_float_data != n)
				goto count;
			memcpy(out + 4 * i, &t->float_data[i], 4);
			break;
		case XPU_DT_I64:
			if (t->n_int64_data != n)
				goto count;
			memcpy(out + 8 * i, &t->int64_data[i], 8);
			break;
		case XPU_DT_I32:
			if (t->n_int32_data != n)
				goto count;
			memcpy(out + 4 * i, &t->int32_data[i], 4);
			break;
		default:	/* int8, uint8, bool: in int32_data */
			if (t->n_int32_data != n)
				goto count;
			out[i] = (uint8_t)t->int32_data[i];
			break;
		}
	}
	return out;
count:
	snprintf(why, wlen, "typed data count does not match the dims");
	free(out);
	return NULL;
}

/* Compare got with want; 0 if equal within tolerance, else why. */
static int compare(uint32_t dt, const void *got, const void *want, size_t size, char *why,
		   size_t wlen)
{
	size_t n = size / xpu_dtype_size(dt);

	for (size_t i = 0; i < n; i++) {
		if (dt == XPU_DT_F32) {
			float g = ((const float *)got)[i], w = ((const float *)want)[i];

			if (isnan(w) && isnan(g))
				continue;
			if (isinf(w) && g == w)
				continue;
			if (!(fabs((double)g - w) <= abs_tol + rel_tol * fabs(w))) {
				snprintf(why, wlen, "element %zu: got %.9g, want %.9g (rel_tol %g abs_tol %g)",
					 i, g, w, rel_tol, abs_tol);
				return 1;
			}
		} else {
			size_t esz = xpu_dtype_size(dt);

			if (memcmp((const uint8_t *)got + i * esz, (const uint8_t *)want + i * esz, esz)) {
				long long g = 0, w = 0;

				memcpy(&g, (const uint8_t *)got + i * esz, esz);
				memcpy(&w, (const uint8_t *)want + i * esz, esz);
				snprintf(why, wlen, "element %zu: got %lld, want %lld", i, g, w);
				return 1;
			}
		}
	}
	return 0;
}

/*
 * Inputs the compiler needs at compile time. The suite passes some operator
 * parameters (Reshape's shape, Slice's starts/ends/axes/steps, the axes of
 * Squeeze/Unsqueeze/Reduce*, Expand's and ConstantOfShape's shape, Split's
 * sizes, Range's bounds) as graph inputs; a static-shape compiler takes them
 * as constants. Such an input is frozen: moved into the model's initializers
 * with the data set's value before compiling (one compile per data set).
 */
static int is_param_slot(const char *op, size_t slot)
{
	static const struct { const char *op; unsigned int slots; } t[] = {
		{ "Reshape", 1u << 1 }, { "Slice", 0x1e }, { "Squeeze", 1u << 1 },
		{ "Unsqueeze", 1u << 1 }, { "Expand", 1u << 1 }, { "Split", 1u << 1 },
		{ "ConstantOfShape", 1u << 0 }, { "Range", 0x7 }, { "ReduceSum", 1u << 1 },
		{ "ReduceMean", 1u << 1 }, { "ReduceMax", 1u << 1 }, { "Trilu", 1u << 1 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(t[i].op, op))
			return slot < 32 && (t[i].slots >> slot & 1);
	return 0;
}

static int input_is_param(const Onnx__GraphProto *gp, const char *name)
{
	for (size_t n = 0; n < gp->n_node; n++)
		for (size_t k = 0; k < gp->node[n]->n_input; k++)
			if (!strcmp(gp->node[n]->input[k], name) &&
			    is_param_slot(gp->node[n]->op_type, k))
				return 1;
	return 0;
}

struct io_data {
	uint32_t dt;
	size_t size;
	void *data;
	Onnx__TensorProto *proto;	/* as read, for freezing */
	int frozen;
};

static void free_io(struct io_data *io, int n)
{
	for (int i = 0; i < n; i++) {
		free(io[i].data);
		if (io[i].proto)
			onnx__tensor_proto__free_unpacked(io[i].proto, NULL);
	}
}

static int read_io(const char *path, struct io_data *io, char *why, size_t wlen)
{
	size_t len;
	uint8_t *buf = read_all(path, &len);

	if (!buf) {
		snprintf(why, wlen, "cannot read %.960s", path);
		return -1;
	}
	io->proto = onnx__tensor_proto__unpack(NULL, len, buf);
	free(buf);
	if (!io->proto) {
		snprintf(why, wlen, "%.960s is not a TensorProto", path);
		return -1;
	}
	io->data = tensor_bytes(io->proto, &io->dt, &io->size, why, wlen);
	return io->data ? 0 : -1;
}

/* The tensors sdir/<what>_0.pb, _1.pb, ... of a data set (at most MAX_IO)
 * into io[], their count in *n; -1 (with why) if one cannot be read. */
static int read_ios(const char *sdir, const char *what, struct io_data *io, int *n, char *why,
		    size_t wlen)
{
	char path[4200];
	struct stat sb;

	for (*n = 0; *n < MAX_IO; ++*n) {
		snprintf(path, sizeof(path), "%s/%s_%d.pb", sdir, what, *n);
		if (stat(path, &sb))
			break;
		if (read_io(path, &io[*n], why, wlen))
			return -1;
	}
	return 0;
}

/* The model with the parameter inputs of this data set frozen (malloc'ed). */
static void *freeze(const void *onnx, size_t size, struct io_data *in, int nin, size_t *out_size,
		    int *nfrozen)
{
	Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, size, onnx);
	Onnx__GraphProto *gp;
	Onnx__ValueInfoProto **old_in, **keep;
	Onnx__TensorProto **old_init, **init;
	size_t old_nin, old_ninit, nkeep = 0, ninit, k = 0;
	void *out;

	*nfrozen = 0;
	if (!m || !m->graph) {
		if (m)
			onnx__model_proto__free_unpacked(m, NULL);
		return NULL;
	}
	gp = m->graph;
	old_in = gp->input;
	old_nin = gp->n_input;
	old_init = gp->initializer;
	old_ninit = gp->n_initializer;
	keep = calloc(old_nin + 1, sizeof(*keep));
	init = calloc(old_ninit + old_nin + 1, sizeof(*init));
	memcpy(init, old_init, old_ninit * sizeof(*init));
	ninit = old_ninit;
	/* graph inputs that are not initializers are the data set's inputs, in order */
	for (size_t i = 0; i < old_nin; i++) {
		int is_init = 0;

		for (size_t j = 0; j < old_ninit; j++)
			if (!strcmp(old_init[j]->name, old_in[i]->name))
				is_init = 1;
		if (is_init) {
			keep[nkeep++] = old_in[i];
			continue;
		}
		if ((int)k < nin && in[k].dt == XPU_DT_I64 && input_is_param(gp, old_in[i]->name)) {
			in[k].proto->name = old_in[i]->name;	/* restored below */
			init[ninit++] = in[k].proto;
			in[k].frozen = 1;
			(*nfrozen)++;
		} else {
			keep[nkeep++] = old_in[i];
		}
		k++;
	}
	gp->input = keep;
	gp->n_input = nkeep;
	gp->initializer = init;
	gp->n_initializer = ninit;
	*out_size = onnx__model_proto__get_packed_size(m);
	out = malloc(*out_size ? *out_size : 1);
	if (out)
		onnx__model_proto__pack(m, out);
	gp->input = old_in;
	gp->n_input = old_nin;
	gp->initializer = old_init;
	gp->n_initializer = old_ninit;
	for (int i = 0; i < nin; i++)
		if (in[i].frozen)
			in[i].proto->name = NULL;
	free(keep);
	free(init);
	onnx__model_proto__free_unpacked(m, NULL);
	return out;
}

/* One data set: compile (with its frozen inputs), run, compare; 0 = pass. */
static int run_set(xpu_device *dev, xpu_stream *s, const struct xpu_cc_target *t,
		   const void *onnx, size_t onnx_size, const char *sdir, int set, char *why,
		   size_t wlen)
{
	struct io_data in[MAX_IO] = { 0 }, want[MAX_IO] = { 0 };
	struct xpu_host_tensor rin[MAX_IO] = { 0 }, rout[MAX_IO] = { 0 };
	void *got[MAX_IO] = { 0 }, *ref[MAX_IO] = { 0 }, *model = NULL, *img = NULL;
	size_t model_size, img_size;
	struct xpu_graph_info gi;
	struct xpu_tensor_info ti;
	xpu_graph *g = NULL;
	int nin = 0, nout = 0, nfrozen, nrin = 0, bad = 1;

	if (read_ios(sdir, "input", in, &nin, why, wlen) ||
	    read_ios(sdir, "output", want, &nout, why, wlen))
		goto out;
	model = freeze(onnx, onnx_size, in, nin, &model_size, &nfrozen);
	if (nfrozen)
		cur_frozen = 1;
	if (!model) {
		snprintf(why, wlen, "model.onnx does not parse");
		goto out;
	}
	if (xpu_model_compile_onnx(model, model_size, t, &mopt, &img, &img_size)) {
		snprintf(why, wlen, "compile: %s", xpu_last_error());
		goto out;
	}
	if (xpu_graph_load(dev, img, img_size, &g)) {
		snprintf(why, wlen, "load: %s", xpu_last_error());
		goto out;
	}
	xpu_graph_get_info(g, &gi);
	if ((uint32_t)(nin - nfrozen) != gi.num_inputs || (uint32_t)nout != gi.num_outputs) {
		snprintf(why, wlen, "data set %d has %d inputs (%d frozen) and %d outputs, the graph "
			 "%u and %u", set, nin, nfrozen, nout, gi.num_inputs, gi.num_outputs);
		goto out;
	}
	for (int i = 0, gi_in = 0; i < nin; i++) {
		if (in[i].frozen)
			continue;
		xpu_graph_input_info(g, gi_in++, &ti);
		if (ti.dtype != in[i].dt || ti.size != in[i].size) {
			snprintf(why, wlen, "input %d '%s': %s of %zu bytes given, the graph wants %s "
				 "of %llu", i, ti.name, xpu_dtype_name(in[i].dt), in[i].size,
				 xpu_dtype_name(ti.dtype), (unsigned long long)ti.size);
			goto out;
		}
		if (xpu_graph_set_input(g, ti.name, in[i].data, in[i].size)) {
			snprintf(why, wlen, "set input '%s': %s", ti.name, xpu_last_error());
			goto out;
		}
		rin[nrin++] = (struct xpu_host_tensor){ strdup(ti.name), in[i].data, in[i].size };
	}
	if (xpu_graph_run(g, s) || xpu_stream_synchronize(s, 600ull * 1000000000)) {
		snprintf(why, wlen, "run (data set %d): %s", set, xpu_last_error());
		goto out;
	}
	for (int o = 0; o < nout; o++) {
		xpu_graph_output_info(g, o, &ti);
		if (ti.dtype != want[o].dt || ti.size != want[o].size) {
			snprintf(why, wlen, "output %d '%s': the graph gives %s of %llu bytes, the suite "
				 "has %s of %zu", o, ti.name, xpu_dtype_name(ti.dtype),
				 (unsigned long long)ti.size, xpu_dtype_name(want[o].dt), want[o].size);
			goto out;
		}
		got[o] = malloc(ti.size ? ti.size : 1);
		ref[o] = calloc(1, ti.size ? ti.size : 1);
		rout[o] = (struct xpu_host_tensor){ strdup(ti.name), ref[o], ti.size };
		if (xpu_graph_get_output(g, ti.name, got[o], ti.size)) {
			snprintf(why, wlen, "read output '%s': %s", ti.name, xpu_last_error());
			goto out;
		}
		if (compare(ti.dtype, got[o], want[o].data, ti.size, why, wlen)) {
			char tmp[512];

			snprintf(tmp, sizeof(tmp), "data set %d output '%s' %s", set, ti.name, why);
			snprintf(why, wlen, "%s", tmp);
			goto out;
		}
	}
	if (use_reference) {
		if (xpu_model_reference_onnx(model, model_size, t, &mopt, rin, nrin, rout, nout)) {
			snprintf(why, wlen, "reference: %s", xpu_last_error());
			goto out;
		}
		for (int o = 0; o < nout; o++) {
			if (memcmp(got[o], ref[o], rout[o].size)) {
				snprintf(why, wlen, "data set %d output '%s': the device differs from the "
					 "CPU reference of the same numerics", set, rout[o].name);
				goto out;
			}
		}
	}
	bad = 0;
out:
	for (int i = 0; i < MAX_IO; i++) {
		free((char *)rin[i].name);
		free((char *)rout[i].name);
		free(got[i]);
		free(ref[i]);
	}
	free_io(in, nin);
	free_io(want, nout);
	if (g)
		xpu_graph_destroy(g);
	free(img);
	free(model);
	return bad;
}

/* Run every data set of one test; 0 = pass, else why holds the reason. */
static int run_test(xpu_device *dev, xpu_stream *s, const struct xpu_cc_target *t,
		    const char *dir, const void *onnx, size_t onnx_size, char *why, size_t wlen)
{
	Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, onnx_size, onnx);
	int set;

	/* the suite's data files are TensorProtos only for tensor-typed inputs */
	for (size_t i = 0; m && m->graph && i < m->graph->n_input; i++) {
		const Onnx__ValueInfoProto *v = m->graph->input[i];

		if (!v->type || v->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE) {
			snprintf(why, wlen, "graph input '%s' is not a tensor (sequence, optional and "
				 "map types are not supported)", v->name);
			onnx__model_proto__free_unpacked(m, NULL);
			return 1;
		}
	}
	if (m)
		onnx__model_proto__free_unpacked(m, NULL);
	for (set = 0;; set++) {
		char sdir[4096];
		struct stat sb;

		snprintf(sdir, sizeof(sdir), "%s/test_data_set_%d", dir, set);
		if (stat(sdir, &sb))
			break;
		if (run_set(dev, s, t, onnx, onnx_size, sdir, set, why, wlen))
			return 1;
	}
	if (!set) {
		snprintf(why, wlen, "no test_data_set_N directory");
		return 1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: xpu-onnx-test [--precision bf16|high|highest] [--rel_tol R] [--abs_tol A]\n"
		"                     [--known FILE] [--no-reference] [-v] DIR...\n"
		"Runs ONNX conformance test directories (model.onnx + test_data_set_N) on\n"
		"XPU device 0 (XPU_BACKEND=host: the host backend).\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int first = 0, n = 0, passed = 0, failed = 0, known_failed = 0, attempted = 0, skipped = 0;
	struct xpu_device_props p;
	struct xpu_cc_target t;
	xpu_device *dev;
	xpu_stream *s;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--precision") && i + 1 < argc) {
			i++;
			if (!strcmp(argv[i], "bf16"))
				mopt.precision = XPU_GRAPH_F_PREC_BF16;
			else if (!strcmp(argv[i], "high"))
				mopt.precision = XPU_GRAPH_F_PREC_HIGH;
			else if (!strcmp(argv[i], "highest"))
				mopt.precision = XPU_GRAPH_F_PREC_HIGHEST;
			else
				usage();
		} else if (!strcmp(argv[i], "--rel_tol") && i + 1 < argc) {
			rel_tol = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--abs_tol") && i + 1 < argc) {
			abs_tol = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--known") && i + 1 < argc) {
			load_known(argv[++i]);
		} else if (!strcmp(argv[i], "--no-reference")) {
			use_reference = 0;
		} else if (!strcmp(argv[i], "-v")) {
			verbose = 1;
		} else if (argv[i][0] == '-') {
			usage();
		} else {
			first = i;
			break;
		}
	}
	if (!first)
		usage();
	if (xpu_device_open(0, &dev) || xpu_device_get_props(dev, &p) ||
	    xpu_cc_target_from_props(&p, &t) || xpu_stream_create(dev, XPU_QUEUE_ANY, &s)) {
		fprintf(stderr, "xpu-onnx-test: %s\n", xpu_last_error());
		return 1;
	}
	/* which directories use only operators the compiler imports */
	char **dirs = calloc(argc, sizeof(*dirs));
	char (*prim)[64] = calloc(argc, sizeof(*prim));
	int ndirs = 0;

	for (int i = first; i < argc; i++) {
		char path[4200], missing[256] = "";
		Onnx__ModelProto *m;
		size_t size;
		void *onnx;

		snprintf(path, sizeof(path), "%s/model.onnx", argv[i]);
		onnx = read_all(path, &size);
		m = onnx ? onnx__model_proto__unpack(NULL, size, onnx) : NULL;
		for (size_t j = 0; m && m->graph && j < m->graph->n_node; j++)
			if (!op_supported(m->graph->node[j]->op_type))
				snprintf(missing, sizeof(missing), "%s", m->graph->node[j]->op_type);
		if (m && !missing[0]) {
			for (size_t j = 0; m->graph && j < m->graph->n_node; j++) {
				const char *op = m->graph->node[j]->op_type;

				note_op(op);
				if (!prim[ndirs][0] && strcmp(op, "Constant"))
					snprintf(prim[ndirs], sizeof(prim[0]), "%s", op);
			}
			dirs[ndirs++] = argv[i];
		} else {
			skipped++;
			if (verbose)
				printf("# not attempted: %s (%s%s)\n", argv[i],
				       m ? "operator not supported: " : "model.onnx missing or unparsable",
				       missing);
		}
		if (m)
			onnx__model_proto__free_unpacked(m, NULL);
		free(onnx);
	}
	printf("TAP version 13\n1..%d\n", ndirs);
	for (int i = 0; i < ndirs; i++) {
		const char *dir = dirs[i], *base;
		char path[4200], why[1024] = "", tmp[4096];
		struct known *k;
		size_t size;
		void *onnx;
		int rc;

		snprintf(tmp, sizeof(tmp), "%s", dir);
		while (strlen(tmp) > 1 && tmp[strlen(tmp) - 1] == '/')
			tmp[strlen(tmp) - 1] = 0;
		base = strrchr(tmp, '/') ? strrchr(tmp, '/') + 1 : tmp;
		n++;
		snprintf(path, sizeof(path), "%s/model.onnx", dir);
		onnx = read_all(path, &size);
		if (!onnx) {
			printf("not ok %d - %s\n# cannot read %s\n", n, base, path);
			failed++;
			continue;
		}
		attempted++;
		cur_frozen = 0;
		rc = run_test(dev, s, &t, dir, onnx, size, why, sizeof(why));
		free(onnx);
		k = find_known(base);
		if (k)
			k->seen = 1;
		tally(prim[i][0] ? prim[i] : "Constant", !rc);
		if (!rc) {
			frozen_tests += cur_frozen;
			printf("ok %d - %s%s\n", n, base, cur_frozen ? " (parameter inputs frozen)" : "");
			if (k)
				printf("# %s passes but is listed as a known failure (%s): remove it "
				       "from the list\n", base, k->reason);
			passed++;
		} else if (k) {
			printf("not ok %d - %s # TODO known failure: %s; now: %s\n", n, base, k->reason,
			       why);
			known_failed++;
		} else {
			printf("not ok %d - %s\n# %s: %s\n", n, base, base, why);
			failed++;
		}
		/* a failed job leaves the stream in error: start a fresh one */
		if (rc && xpu_stream_query(s) != XPU_SUCCESS && xpu_stream_query(s) != XPU_ERROR_NOT_READY) {
			xpu_stream_destroy(s);
			if (xpu_stream_create(dev, XPU_QUEUE_ANY, &s)) {
				fprintf(stderr, "xpu-onnx-test: %s\n", xpu_last_error());
				return 1;
			}
		}
	}
	printf("# onnx conformance: %d passed, %d failed of %d attempted (%d ops)\n", passed,
	       failed + known_failed, attempted, nops_seen);
	printf("# %d of the passes froze int64 parameter inputs (shape, axes, starts, ...) into "
	       "initializers, as a static-shape compiler needs\n", frozen_tests);
	printf("# %d of the failures are listed known failures (TODO), %d unexpected; %d "
	       "directories not attempted (an operator the compiler does not import)\n",
	       known_failed, failed, skipped);
	for (int i = 0; i < nper_op; i++)
		printf("# op %-20s %3d passed of %3d\n", per_op[i].op, per_op[i].pass, per_op[i].total);
	for (int i = 0; i < nknown; i++)
		if (!known[i].seen)
			printf("# known failure %s was not run\n", known[i].name);
	free(dirs);
	free(prim);
	if (verbose) {
		printf("# ops:");
		for (int i = 0; i < nops_seen; i++)
			printf(" %s", ops_seen[i]);
		printf("\n");
	}
	xpu_stream_destroy(s);
	xpu_device_close(dev);
	return failed ? 1 : 0;
}
