// SPDX-License-Identifier: MIT
/*
 * Kernel generators for the model compiler's convolution and pooling on
 * NCHW fp32 tensors (cc_graph.h).
 *
 * Both take dilations (tap (kh, kw) reads input offset (kh*dh, kw*dw)).
 *
 * Convolution is W x col per image: col (C*KH*KW rows, OH*OW columns) is
 * built in device memory by xcc_im2col with DMAs only: for each (c, kh, kw)
 * the valid window positions form a rectangle of output positions whose
 * inputs are a strided rectangle of the image, so one 2-D device-to-device
 * DMA copies it (one per output row when the horizontal stride is not 1);
 * rows that touch the padding are zeroed first from a zeroed scratchpad
 * block (the DMA unit runs in order). The product then runs on the batched
 * GEMM with the output already in NCHW order and the bias per row.
 *
 * Pooling accumulates, tap by tap, a tile of output rows: each tap's
 * inputs are gathered by DMAs into a tile pre-filled with the padding value
 * (-inf for max, 0 for sum), then one VBIN MAX/ADD folds it into the
 * accumulator, taps in row-major (kh, kw) order.
 */
#include <string.h>

#include "cc_internal.h"
#include "cc_graph.h"

#define ALIGN(x) (((x) + 63) & ~63ull)

/* [lo, hi) of outputs o with 0 <= o*s + k - p < n */
static void valid_range(uint64_t n, uint64_t no, uint64_t s, uint64_t k, uint64_t p, uint64_t *lo,
			uint64_t *hi)
{
	int64_t a = 0, b = (int64_t)no;

	while (a < b && (int64_t)(a * s + k) - (int64_t)p < 0)
		a++;
	while (b > a && (int64_t)((b - 1) * s + k) - (int64_t)p >= (int64_t)n)
		b--;
	*lo = (uint64_t)a;
	*hi = (uint64_t)b;
}

xpu_status xcc_im2col(xpu_cc *cc, const char *name, const struct xcc_im2col *d)
{
	xpu_status st = cc_check_name(cc, name);
	uint64_t K = d->C * d->KH * d->KW, P = d->OH * d->OW, zbytes;
	uint32_t rx, rcol;
	struct kb k;

	if (st)
		return st;
	if (!d->N || !d->C || !d->H || !d->W || !d->KH || !d->KW || !d->OH || !d->OW || !d->sh ||
	    !d->sw)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "im2col '%s': bad shape", name);
	zbytes = min64(ALIGN(P * 4), 1u << 16);
	kb_begin_xy(&k, cc, "col", &rx, &rcol);
	kb_extent(&k, 0, d->N * d->C * d->H * d->W * 4);	/* tensor extents */
	kb_extent(&k, 1, d->N * K * P * 4);
	/* a zeroed block: int32 multiply by r0 */
	kb_vcfg(&k, 1, zbytes / 4);
	kb_li(&k, 3, 0);
	kb_emit(&k, xpu_vbin(XPU_VBIN_MUL, XPU_VT_I32 | XPU_VB_SCALAR, 3, 3, 0));
	for (uint64_t b = 0; b < d->N; b++) {
		for (uint64_t c = 0; c < d->C; c++) {
			for (uint64_t kh = 0; kh < d->KH; kh++) {
				uint64_t oh0, oh1, ow0, ow1;

				uint64_t th = kh * (d->dh ? d->dh : 1);

				valid_range(d->H, d->OH, d->sh, th, d->pt, &oh0, &oh1);
				for (uint64_t kw = 0; kw < d->KW; kw++) {
					uint64_t row = (c * d->KH + kh) * d->KW + kw;
					uint64_t tw = kw * (d->dw ? d->dw : 1);
					uint64_t dst = (b * K + row) * P * 4, src;

					valid_range(d->W, d->OW, d->sw, tw, d->pl, &ow0, &ow1);
					if (oh0 > 0 || oh1 < d->OH || ow0 > 0 || ow1 < d->OW)
						for (uint64_t z = 0; z < P * 4; z += zbytes)
							kb_dma(&k, XPU_DMA_LA_TO_VA, rcol, dst + z, 0, 0,
							       1, min64(zbytes, P * 4 - z), 0, 0);
					if (oh0 >= oh1 || ow0 >= ow1)
						continue;
					src = ((b * d->C + c) * d->H + (oh0 * d->sh + th - d->pt)) * d->W +
					      (ow0 * d->sw + tw - d->pl);
					if (d->sw == 1) {
						kb_dma(&k, XPU_DMA_VA_TO_VA, rcol,
						       dst + (oh0 * d->OW + ow0) * 4, rx, src * 4,
						       oh1 - oh0, (ow1 - ow0) * 4, d->sh * d->W * 4,
						       d->OW * 4);
						continue;
					}
					for (uint64_t oh = oh0; oh < oh1; oh++)
						kb_dma(&k, XPU_DMA_VA_TO_VA, rcol,
						       dst + (oh * d->OW + ow0) * 4, rx,
						       (src + (oh - oh0) * d->sh * d->W) * 4, ow1 - ow0, 4,
						       d->sw * 4, 4);
				}
			}
		}
	}
	kb_use(&k, zbytes, 0);
	xcc_est_busy(&k);
	return xpu_ok(kb_finish(cc, &k, name));
}

xpu_status xcc_pool(xpu_cc *cc, const char *name, const struct xcc_pool *d)
{
	xpu_status st = cc_check_name(cc, name);
	uint64_t rows = d->NC * d->OH, rc, lacc, ltap, tsz;
	uint32_t rx, ry, fill = d->max ? 0xff800000u : 0;
	struct kb k;

	if (st)
		return st;
	if (!d->NC || !d->H || !d->W || !d->KH || !d->KW || !d->OH || !d->OW || !d->sh || !d->sw)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "pool '%s': bad shape", name);
	rc = (cc->t.spad_size - 1024) / (8 * d->OW);
	if (!rc)
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
				     "pool '%s': an output row does not fit the scratchpad", name);
	rc = min64(rc, rows);
	tsz = ALIGN(rc * d->OW * 4);
	lacc = 0;
	ltap = tsz;
	kb_begin_xy(&k, cc, "y", &rx, &ry);
	kb_extent(&k, 0, d->NC * d->H * d->W * 4);	/* tensor extents */
	kb_extent(&k, 1, rows * d->OW * 4);
	kb_li(&k, R_SCALE, fill);
	for (uint64_t r0 = 0; r0 < rows; r0 += rc) {
		uint64_t ri = min64(rc, rows - r0);

		for (uint64_t kh = 0; kh < d->KH; kh++) {
			uint64_t oh0, oh1, ow0, ow1;

			uint64_t th = kh * (d->dh ? d->dh : 1);

			valid_range(d->H, d->OH, d->sh, th, d->pt, &oh0, &oh1);
			for (uint64_t kw = 0; kw < d->KW; kw++) {
				uint64_t la = (kh || kw) ? ltap : lacc, r = r0;
				uint64_t tw = kw * (d->dw ? d->dw : 1);

				valid_range(d->W, d->OW, d->sw, tw, d->pl, &ow0, &ow1);
				/* the padding value everywhere: i32 (x * 0) + fill bits */
				kb_vcfg(&k, ri, d->OW);
				kb_li(&k, 3, la);
				kb_emit(&k, xpu_vbin(XPU_VBIN_MUL, XPU_VT_I32 | XPU_VB_SCALAR, 3, 3, 0));
				kb_emit(&k, xpu_vbin(XPU_VBIN_ADD, XPU_VT_I32 | XPU_VB_SCALAR, 3, 3,
						     R_SCALE));
				/* per plane: the output rows of this tile in the valid range */
				while (r < r0 + ri) {
					uint64_t plane = r / d->OH, oh = r % d->OH;
					uint64_t end = min64(r0 + ri, (plane + 1) * d->OH);
					uint64_t a = oh > oh0 ? oh : oh0;
					uint64_t bnd = end - plane * d->OH < oh1 ? end - plane * d->OH : oh1;

					for (uint64_t o = a; o < bnd && ow0 < ow1; o += d->sw == 1 ? bnd : 1) {
						uint64_t n = d->sw == 1 ? bnd - a : 1;
						uint64_t src = ((plane * d->H) + (o * d->sh + th - d->pt)) *
							       d->W + (ow0 * d->sw + tw - d->pl);
						uint64_t dst = la + ((plane * d->OH + o - r0) * d->OW + ow0) * 4;

						if (d->sw == 1)
							kb_dma(&k, XPU_DMA_VA_TO_LA, 0, dst, rx, src * 4, n,
							       (ow1 - ow0) * 4, d->sh * d->W * 4,
							       d->OW * 4);
						else
							kb_dma(&k, XPU_DMA_VA_TO_LA, 0, dst, rx, src * 4,
							       ow1 - ow0, 4, d->sw * 4, 4);
					}
					r = end;
				}
				if (kh || kw) {
					kb_li(&k, 3, lacc);
					kb_li(&k, 4, ltap);
					kb_emit(&k, xpu_vbin(d->max ? XPU_VBIN_MAX : XPU_VBIN_ADD,
							     XPU_VT_F32, 3, 3, 4));
				}
			}
		}
		kb_dma(&k, XPU_DMA_LA_TO_VA, ry, r0 * d->OW * 4, 0, lacc, 1, ri * d->OW * 4, 0, 0);
	}
	kb_use(&k, ltap + tsz, 0);
	xcc_est_busy(&k);
	return xpu_ok(kb_finish(cc, &k, name));
}
