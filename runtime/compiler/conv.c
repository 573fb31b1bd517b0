// SPDX-License-Identifier: MIT
/*
 * Kernel compiler: 2-D convolution (int8, NHWC) as im2col + GEMM. The im2col
 * tile (output pixels x kh*kw*cin) is built in the scratchpad by 2-D DMAs
 * straight from the input tensor: per output row and kernel row, one DMA
 * covers every kernel column of the interior pixels (they are contiguous on
 * both sides), and single-column DMAs fill the edges. With padding, the
 * tile is zeroed first by a vector multiply by zero. The GEMM generator of
 * matmul.c does the rest.
 */
#include <string.h>

#include "cc_internal.h"

struct conv {
	uint64_t B, H, W, C, KH, KW, S, P, OH, OW;
	uint32_t r_x;
};

static int64_t fdiv(int64_t a, int64_t b)	/* floor */
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static int64_t cdiv_s(int64_t a, int64_t b)	/* ceil */
{
	return -fdiv(-a, b);
}

/* pixels [o0, o1) of output row (b, oh), kernel row kh, kernel columns
 * [kw0, kw1) in one DMA (they are contiguous), into the tile at m_base */
static void dma_seg(struct kb *k, const struct conv *c, uint64_t Kc, uint64_t la, uint64_t m0,
		    uint64_t b, uint64_t oh, uint64_t kh, int64_t o0, int64_t o1, uint64_t kw0,
		    uint64_t kw1)
{
	uint64_t ih = oh * c->S + kh - c->P;
	uint64_t iw = o0 * c->S + kw0 - c->P;
	uint64_t pix = (b * c->OH + oh) * c->OW + o0;

	if (o1 <= o0)
		return;
	kb_dma(k, XPU_DMA_VA_TO_LA, 0, la + (pix - m0) * Kc + (kh * c->KW + kw0) * c->C, c->r_x,
	       ((b * c->H + ih) * c->W + iw) * c->C, o1 - o0, (kw1 - kw0) * c->C, c->S * c->C, Kc);
}

static void load_a_im2col(struct kb *k, const struct gemm *g, uint64_t m0, uint64_t mi,
			  uint64_t k0, uint64_t ki, uint64_t la, int slot)
{
	const struct conv *c = g->ctx;
	uint64_t Kc = g->K;

	(void)k0;
	(void)ki;
	(void)slot;
	if (c->P) {
		/* zero the tile: int32 multiply by r0 (= 0), in place */
		kb_vcfg(k, 1, (mi * Kc + 3) / 4);
		kb_li(k, 3, la);
		kb_emit(k, xpu_vbin(XPU_VBIN_MUL, XPU_VT_I32 | XPU_VB_SCALAR, 3, 3, 0));
	}
	for (uint64_t m = m0; m < m0 + mi;) {
		uint64_t b = m / (c->OH * c->OW), oh = m / c->OW % c->OH, ow = m % c->OW;
		int64_t sa = (int64_t)ow, sb = (int64_t)min64(c->OW, ow + (m0 + mi - m));

		for (uint64_t kh = 0; kh < c->KH; kh++) {
			int64_t ih = (int64_t)(oh * c->S + kh) - (int64_t)c->P;
			int64_t ia, ib;

			if (ih < 0 || ih >= (int64_t)c->H)
				continue;	/* padding row: stays zero */
			/* interior: every kernel column in range */
			ia = cdiv_s((int64_t)c->P, (int64_t)c->S);
			ib = fdiv((int64_t)c->W - 1 + (int64_t)c->P - (int64_t)(c->KW - 1),
				  (int64_t)c->S) + 1;
			if (ia < sa)
				ia = sa;
			if (ib > sb)
				ib = sb;
			if (ib < ia)
				ib = ia = sb;	/* no interior */
			dma_seg(k, c, Kc, la, m0, b, oh, kh, ia, ib, 0, c->KW);
			/* edges, one kernel column at a time */
			for (uint64_t kw = 0; kw < c->KW; kw++) {
				int64_t va = cdiv_s((int64_t)c->P - (int64_t)kw, (int64_t)c->S);
				int64_t vb = fdiv((int64_t)c->W - 1 + (int64_t)c->P - (int64_t)kw,
						  (int64_t)c->S) + 1;
				int64_t lo, hi;

				if (va < sa)
					va = sa;
				if (vb > sb)
					vb = sb;
				/* [va, vb) minus [ia, ib) */
				lo = va;
				hi = vb < ia ? vb : ia;
				dma_seg(k, c, Kc, la, m0, b, oh, kh, lo, hi, kw, kw + 1);
				lo = va > ib ? va : ib;
				hi = vb;
				dma_seg(k, c, Kc, la, m0, b, oh, kh, lo, hi, kw, kw + 1);
			}
		}
		m += sb - sa;
	}
}

static const char *const conv_args[3] = { "x", "w", "y" };

XPU_EXPORT xpu_status xpu_cc_conv2d(xpu_cc *cc, const char *name, const struct xpu_cc_conv2d *d)
{
	xpu_status st = cc_check_name(cc, name);
	struct conv c;
	struct gemm g;

	if (st)
		return st;
	if (!d)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "desc is NULL");
	if (!d->batch || !d->h || !d->w || !d->cin || !d->cout || !d->kh || !d->kw || !d->stride ||
	    d->h > 65536 || d->w > 65536 || d->cin > 65536 || d->cout > 65536 || d->kh > 64 ||
	    d->kw > 64 || d->pad >= d->kh || d->pad >= d->kw || d->h + 2 * d->pad < d->kh ||
	    d->w + 2 * d->pad < d->kw)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "conv2d '%s': bad shape", name);
	/* int8 inputs; the output and activation rules are the GEMM's */
	if (gemm_types(&g, XPU_DT_I8, d->out_type, d->act, name, "conv2d"))
		return XPU_ERROR_NOT_SUPPORTED;
	if (d->act > XPU_ACT_GELU)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "conv2d '%s': bad activation %u",
				     name, d->act);
	/* a zero or non-finite requantisation scale silently gives 0 or 127s */
	if (d->out_type == XPU_DT_I8 && (!__builtin_isfinite(d->scale) || d->scale == 0.0f))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "conv2d '%s': scale = %g (int8 output needs a finite, "
				     "non-zero scale)", name, (double)d->scale);
	memset(&c, 0, sizeof(c));
	c.B = d->batch;
	c.H = d->h;
	c.W = d->w;
	c.C = d->cin;
	c.KH = d->kh;
	c.KW = d->kw;
	c.S = d->stride;
	c.P = d->pad;
	c.OH = (d->h + 2 * d->pad - d->kh) / d->stride + 1;
	c.OW = (d->w + 2 * d->pad - d->kw) / d->stride + 1;
	g.M = c.B * c.OH * c.OW;
	g.K = c.KH * c.KW * c.C;
	g.N = d->cout;
	g.has_bias = d->has_bias;
	g.act = d->act;
	g.scale = d->scale;
	g.zero_point = d->zero_point;
	g.full_k = 1;
	g.m_align = c.OW;
	g.load_a = load_a_im2col;
	g.ctx = &c;
	if (gemm_plan(cc, &g))
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
				     "conv2d '%s': the %llu x %u weights do not fit the scratchpad",
				     name, (unsigned long long)g.K, d->cout);
	st = gemm_build(cc, name, &g, conv_args, &c.r_x, g.est_cycles);
	if (!st) {
		/* the extents the kernel touches, checked by xpu_launch: x (NHWC
		 * int8), w (kh*kw*cin x cout int8), y (pixels x cout), bias */
		struct xpu_image_arg *a = cc->img.kernels[cc->img.num_kernels - 1].args;

		a[0].min_size = c.B * c.H * c.W * c.C;
		a[1].min_size = g.K * g.N;
		a[2].min_size = g.M * g.N * cc_dtype(d->out_type)->bytes;
		if (d->has_bias)
			a[3].min_size = g.N * 4;
	}
	return st;
}
