// SPDX-License-Identifier: MIT
/*
 * The arithmetic ops of the model compiler, end to end: every model
 * tests/graph/models/lower_math_models.py wrote (one op or fused pattern
 * each) is compiled with xpu_model_compile_onnx, run with xpu_graph_* on
 * the host backend, and compared with
 *   - the CPU reference of the same numerics (xg_frontend + xg_ref_math /
 *     xg_ref_data node by node): bit for bit;
 *   - numpy's float64 result: within the case's rtol/atol (per precision).
 * Cases marked with an error text must fail to compile with that text in
 * xpu_last_error() (an unsupported attribute named). Every case runs on the
 * default target (128 x 128 array, 4 MiB scratchpad) and on a small one
 * (8 x 8, 32 KiB / 16 KiB) so that the kernels' tiling (K tiles accumulated
 * in the accumulator, row and column chunks) is exercised; tiling must not
 * change any bit. Runs the manifest in $XPU_GRAPH_TESTS.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "xpu/xpu.h"
#include "xpu/xpu_graph.h"
#include "graph.h"
#include "reference.h"
#include "graph_model.h"

struct tcase {
	char name[96], prec[16], expect[128];
	int nin, nout;
	double rtol, atol;
};

static int load_manifest(struct tcase **out)
{
	char path[512], line[512];
	struct tcase *c = NULL;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/lower_math_manifest.txt", gt_dir());
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		struct tcase t;

		memset(&t, 0, sizeof(t));
		if (sscanf(line, "%95s %d %d %15s %lf %lf %127s", t.name, &t.nin, &t.nout, t.prec,
			   &t.rtol, &t.atol, t.expect) != 7)
			continue;
		c = realloc(c, (n + 1) * sizeof(*c));
		c[n++] = t;
	}
	fclose(f);
	*out = c;
	return n;
}

static uint32_t prec_of(const char *p)
{
	return !strcmp(p, "high") ? XPU_GRAPH_F_PREC_HIGH :
	       !strcmp(p, "highest") ? XPU_GRAPH_F_PREC_HIGHEST : XPU_GRAPH_F_PREC_BF16;
}

/* the CPU reference: outs[k] (malloc'ed) for each graph output */
static int reference(const void *onnx, size_t size, uint32_t prec, void **ins, void **outs,
		     size_t *osz, char *why)
{
	struct xg_options opt;
	struct xg_graph *g;
	struct xg_ref R;
	int rc = -1;

	memset(&opt, 0, sizeof(opt));
	opt.precision = prec;
	if (xg_frontend(onnx, size, &opt, &g)) {
		sprintf(why, "reference frontend: %s", xpu_last_error());
		return -1;
	}
	/* what the front end made of the model (fused nodes), for the log */
	for (int i = 0, o = 0; i < g->nn && o < 200; i++)
		if (!g->n[i].dead)
			o += snprintf(why + o, 300 - o, "%s%s%s", o ? " " : "ops: ",
				      xg_op_name(g->n[i].op), g->n[i].act ? "+act" : "");
	R.g = g;
	R.precision = prec;
	R.val = calloc(g->nt, sizeof(void *));
	for (int t = 0; t < g->nt; t++)
		if (g->t[t].kind == XG_CONST)
			R.val[t] = g->t[t].data;
	for (int i = 0; i < g->ninputs; i++)
		R.val[g->inputs[i]] = ins[i];
	if (xg_reference_run(&R)) {
		sprintf(why, "reference: %.250s", xpu_last_error());
		goto out;
	}
	for (int k = 0; k < g->noutputs; k++) {
		int t = g->outputs[k];

		osz[k] = xg_bytes(&g->t[t]);
		outs[k] = malloc(osz[k] + 1);
		memcpy(outs[k], R.val[t], osz[k]);
	}
	rc = 0;
out:
	for (int t = 0; t < g->nt; t++) {
		int is_in = 0;

		for (int i = 0; i < g->ninputs; i++)
			is_in |= g->inputs[i] == t;
		if (g->t[t].kind != XG_CONST && !is_in)
			free(R.val[t]);
	}
	free(R.val);
	xg_free(g);
	return rc;
}

static double g_maxrel[3];	/* per precision: max |ref - numpy| / (atol + |numpy|) seen */

/* 0 pass, 1 fail (why says what) */
static int run_case(const struct tcase *c, xpu_device *dev, const struct xpu_cc_target *tgt,
		    uint64_t *cycles, char *why)
{
	char path[600];
	size_t msize, isz = 0;
	void *model, *img = NULL, *ins[4] = { 0 }, *dev_out[4] = { 0 }, *ref_out[4] = { 0 };
	size_t in_size[4] = { 0 }, osz[4] = { 0 };
	struct xpu_model_options mo;
	struct xpu_graph_info gi;
	xpu_graph *gr = NULL;
	xpu_stream *s = NULL;
	xpu_status st;
	int fail = 1;

	snprintf(path, sizeof(path), "%s/lower_math_%s.onnx", gt_dir(), c->name);
	model = gt_read_file(path, &msize);
	if (!model) {
		snprintf(why, 300, "cannot read %.250s", path);
		return 1;
	}
	memset(&mo, 0, sizeof(mo));
	mo.size = sizeof(mo);
	mo.precision = prec_of(c->prec);
	st = xpu_model_compile_onnx(model, msize, tgt, &mo, &img, &isz);
	if (strcmp(c->expect, "ok")) {
		if (!st) {
			sprintf(why, "compiled, expected an error naming '%s'", c->expect);
		} else if (!strstr(xpu_last_error(), c->expect)) {
			snprintf(why, 300, "error '%s' does not name '%s'", xpu_last_error(), c->expect);
		} else {
			snprintf(why, 300, "error: %s", xpu_last_error());
			fail = 0;
		}
		free(img);
		free(model);
		return fail;
	}
	if (st) {
		snprintf(why, 300, "compile: %s", xpu_last_error());
		goto out;
	}
	if (xpu_graph_load(dev, img, isz, &gr) || xpu_graph_get_info(gr, &gi)) {
		snprintf(why, 300, "load: %s", xpu_last_error());
		goto out;
	}
	*cycles = gi.modeled_cycles;
	if (gi.num_inputs != (uint32_t)c->nin || gi.num_outputs != (uint32_t)c->nout ||
	    c->nin > 4 || c->nout > 4) {
		snprintf(why, 300, "%u inputs, %u outputs: the manifest says %d, %d", gi.num_inputs,
			 gi.num_outputs, c->nin, c->nout);
		goto out;
	}
	for (int k = 0; k < c->nin; k++) {
		struct xpu_tensor_info ti;

		snprintf(path, sizeof(path), "%s/%s.in%d.bin", gt_dir(), c->name, k);
		ins[k] = gt_read_file(path, &in_size[k]);
		if (!ins[k] || xpu_graph_input_info(gr, k, &ti) || ti.size != in_size[k] ||
		    xpu_graph_set_input(gr, ti.name, ins[k], in_size[k])) {
			snprintf(why, 300, "input %d: %s", k, xpu_last_error());
			goto out;
		}
	}
	if (xpu_stream_create(dev, XPU_QUEUE_ANY, &s) || xpu_graph_run(gr, s) ||
	    xpu_stream_synchronize(s, XPU_WAIT_FOREVER)) {
		snprintf(why, 300, "run: %s", xpu_last_error());
		goto out;
	}
	if (reference(model, msize, mo.precision, ins, ref_out, osz, why))
		goto out;
	for (int k = 0; k < c->nout; k++) {
		struct xpu_tensor_info ti;
		size_t esz = 0;
		void *exp;

		if (xpu_graph_output_info(gr, k, &ti) || ti.size != osz[k]) {
			snprintf(why, 300, "output %d: size %zu vs reference %zu", k, (size_t)ti.size,
				 osz[k]);
			goto out;
		}
		dev_out[k] = malloc(ti.size + 1);
		if (xpu_graph_get_output(gr, ti.name, dev_out[k], ti.size)) {
			snprintf(why, 300, "get output: %s", xpu_last_error());
			goto out;
		}
		if (memcmp(dev_out[k], ref_out[k], ti.size)) {
			for (size_t i = 0; i + 4 <= ti.size; i += 4)
				if (memcmp((char *)dev_out[k] + i, (char *)ref_out[k] + i, 4)) {
					float a, b;

					memcpy(&a, (char *)dev_out[k] + i, 4);
					memcpy(&b, (char *)ref_out[k] + i, 4);
					snprintf(why, 300, "device != reference at element %zu: %.9g vs "
						 "%.9g", i / 4, a, b);
					break;
				}
			if (!*why)
				snprintf(why, 300, "device != reference (bytes)");
			goto out;
		}
		snprintf(path, sizeof(path), "%s/%s.out%d.bin", gt_dir(), c->name, k);
		exp = gt_read_file(path, &esz);
		if (!exp || esz != ti.size) {
			snprintf(why, 300, "expected output %d missing or of size %zu", k, esz);
			free(exp);
			goto out;
		}
		if (ti.dtype == XPU_DT_F32) {
			const float *r = ref_out[k], *e = exp;
			double worst = 0;
			int pi = !strcmp(c->prec, "high") ? 1 : !strcmp(c->prec, "highest") ? 2 : 0;

			for (size_t i = 0; i < esz / 4; i++) {
				double d = fabs((double)r[i] - (double)e[i]);
				double lim = c->atol + c->rtol * fabs((double)e[i]);
				double rel = d / (c->atol + fabs((double)e[i]));

				if (rel > worst)
					worst = rel;
				if (!(d <= lim)) {
					snprintf(why, 300, "reference vs numpy at %zu: %.9g vs %.9g "
						 "(|d| %.3g > %.3g)", i, r[i], e[i], d, lim);
					free(exp);
					goto out;
				}
			}
			if (worst > g_maxrel[pi])
				g_maxrel[pi] = worst;
			{
				double mabs = 0, mrel = 0;

				for (size_t i = 0; i < esz / 4; i++) {
					double d = fabs((double)r[i] - (double)e[i]);

					mabs = d > mabs ? d : mabs;
					if (fabs((double)e[i]) > 0.1 && d / fabs((double)e[i]) > mrel)
						mrel = d / fabs((double)e[i]);
				}
				snprintf(why, 300, "max |ref-numpy| %.3g, rel %.3g (|numpy| > 0.1)",
					 mabs, mrel);
			}
		} else if (memcmp(ref_out[k], exp, esz)) {
			snprintf(why, 300, "reference != numpy (exact type)");
			free(exp);
			goto out;
		}
		free(exp);
	}
	fail = 0;
out:
	if (s)
		xpu_stream_destroy(s);
	if (gr)
		xpu_graph_destroy(gr);
	for (int k = 0; k < 4; k++) {
		free(ins[k]);
		free(dev_out[k]);
		free(ref_out[k]);
	}
	free(img);
	free(model);
	return fail;
}

static void run_all(struct __test_metadata *_metadata, const struct xpu_host_config *cfg)
{
	struct xpu_cc_target tgt;
	struct xpu_device_props props;
	struct tcase *cases = NULL;
	xpu_device *dev;
	int n = load_manifest(&cases), bad = 0;
	uint64_t total = 0;

	ASSERT_GT(n, 0) TH_LOG("no manifest in %s (run the model scripts)", gt_dir());
	ASSERT_EQ(XPU_SUCCESS, xpu_device_open_host(cfg, &dev));
	ASSERT_EQ(XPU_SUCCESS, xpu_device_get_props(dev, &props));
	ASSERT_EQ(XPU_SUCCESS, xpu_cc_target_from_props(&props, &tgt));
	for (int i = 0; i < n; i++) {
		char why[320] = "";
		uint64_t cyc = 0;
		int f = run_case(&cases[i], dev, &tgt, &cyc, why);

		total += cyc;
		bad += f;
		if (f)
			TH_LOG("FAIL %s: %s", cases[i].name, why);
		else
			printf("#   ok %-22s %-8s cycles %-8llu %s\n", cases[i].name, cases[i].prec,
			       (unsigned long long)cyc, why);
	}
	printf("# %d cases, %d failed; worst |ref-numpy|/(atol+|numpy|): bf16 %.3g high %.3g "
	       "highest %.3g; modeled cycles in all %llu\n", n, bad, g_maxrel[0], g_maxrel[1],
	       g_maxrel[2], (unsigned long long)total);
	xpu_device_close(dev);
	free(cases);
	EXPECT_EQ(0, bad);
}

TEST(default_target)
{
	run_all(_metadata, NULL);
}

TEST(small_target)
{
	struct xpu_host_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.rows = 8;
	cfg.cols = 8;
	cfg.spad_size = 32 << 10;
	cfg.acc_size = 16 << 10;
	cfg.flags = XPU_HOST_SIZED;
	cfg.size = sizeof(cfg);
	run_all(_metadata, &cfg);
}

TEST_HARNESS_MAIN
