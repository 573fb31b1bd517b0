// SPDX-License-Identifier: MIT
/*
 * Kernel compiler: vector-unit operations. Elementwise ops stream the tensor
 * through the scratchpad in chunks (two buffers: the DMA of chunk i+1
 * overlaps the vector op of chunk i); softmax and layernorm work on blocks
 * of whole rows with the sequences of docs/isa.md section 5.
 */
#include <math.h>
#include <string.h>

#include "cc_internal.h"

#define ALIGN(x) (((x) + 63) & ~63ull)

/* elements per chunk so that 2 slots of per_elem bytes each fit */
static uint64_t chunk_elems(const struct xpu_cc_target *t, uint64_t n, uint64_t per_elem)
{
	uint64_t c = (t->spad_size - 256) / (2 * per_elem);

	c &= ~63ull;
	return c < n ? c : n;
}

static xpu_status check_type(const char *name, uint32_t type)
{
	const struct xpu_dtype_desc *d = cc_dtype(type);

	if (!d || d->vt < 0)	/* the vector unit's types: the data-type table */
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED, "'%s': vector type must be I32 or F32",
				     name);
	return XPU_SUCCESS;
}

static uint32_t vt_of(uint32_t type)
{
	const struct xpu_dtype_desc *d = cc_dtype(type);

	return d && d->vt >= 0 ? (uint32_t)d->vt : 0;	/* valid after check_type() */
}

/* enum xpu_cc_binop / xpu_cc_unop -> func4 */
static const uint8_t bin_func[] = {
	[XPU_BIN_ADD] = XPU_VBIN_ADD, [XPU_BIN_SUB] = XPU_VBIN_SUB, [XPU_BIN_MUL] = XPU_VBIN_MUL,
	[XPU_BIN_MAX] = XPU_VBIN_MAX, [XPU_BIN_MIN] = XPU_VBIN_MIN, [XPU_BIN_DIV] = XPU_VBIN_DIV,
};
static const uint8_t un_func[] = {
	[XPU_UN_RELU] = XPU_VUN_RELU, [XPU_UN_COPY] = XPU_VUN_COPY, [XPU_UN_EXP] = XPU_VUN_EXP,
	[XPU_UN_GELU] = XPU_VUN_GELU, [XPU_UN_RECIP] = XPU_VUN_RECIP,
	[XPU_UN_RSQRT] = XPU_VUN_RSQRT, [XPU_UN_NEG] = XPU_VUN_NEG, [XPU_UN_TANH] = XPU_VUN_TANH,
	[XPU_UN_SIGMOID] = XPU_VUN_SIGMOID, [XPU_UN_ERF] = XPU_VUN_ERF,
	[XPU_UN_SQRT] = XPU_VUN_SQRT, [XPU_UN_ABS] = XPU_VUN_ABS,
	[XPU_UN_GELU_ERF] = XPU_VUN_GELU_ERF,
};

/* the element types each VBIN / VUN func4 is defined for (xpu_isa.h) */
#define FN_TYPES(name, value, mn, types) [value] = (types),
static const uint8_t vbin_types[16] = { XPU_FN_VBIN(FN_TYPES) };
static const uint8_t vun_types[16] = { XPU_FN_VUN(FN_TYPES) };

static xpu_status check_op_type(const char *name, int op, uint8_t types, uint32_t type)
{
	if (!(types & (1u << vt_of(type))))
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED, "'%s': op %d is %s only", name, op,
				     types & XPU_TY_F32 ? "F32" : "I32");
	return XPU_SUCCESS;
}

XPU_EXPORT xpu_status xpu_cc_binary(xpu_cc *cc, const char *name, enum xpu_cc_binop op,
				    uint32_t type, uint64_t n)
{
	xpu_status st = cc_check_name(cc, name);
	uint32_t ra, rb, rc;
	uint64_t chunk, slot_bytes;
	struct kb k;
	int slot = 0;

	if (!st)
		st = check_type(name, type);
	if (st)
		return st;
	if ((unsigned int)op >= sizeof(bin_func) || !n)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "'%s': bad op %d or n = 0", name, op);
	st = check_op_type(name, op, vbin_types[bin_func[op]], type);
	if (st)
		return st;
	chunk = chunk_elems(&cc->t, n, 8);
	slot_bytes = ALIGN(chunk * 8);
	KB_BEGIN(&k, NULL, { "a", &ra }, { "b", &rb }, { "c", &rc });
	for (uint32_t i = 0; i < 3; i++)
		kb_extent(&k, i, n * 4);
	for (uint64_t i = 0; i < n; i += chunk, slot ^= 1) {
		uint64_t c = min64(chunk, n - i), la = slot * slot_bytes, lb = la + ALIGN(chunk * 4);

		kb_dma(&k, XPU_DMA_VA_TO_LA, 0, la, ra, i * 4, 1, c * 4, 0, 0);
		kb_dma(&k, XPU_DMA_VA_TO_LA, 0, lb, rb, i * 4, 1, c * 4, 0, 0);
		kb_vcfg(&k, 1, c);
		kb_li(&k, 3, la);
		kb_li(&k, 4, lb);
		kb_emit(&k, xpu_vbin(bin_func[op], vt_of(type), 3, 3, 4));
		kb_dma(&k, XPU_DMA_LA_TO_VA, rc, i * 4, 0, la, 1, c * 4, 0, 0);
	}
	kb_use(&k, 2 * slot_bytes, 0);
	return xpu_ok(kb_finish(cc, &k, name));
}

XPU_EXPORT xpu_status xpu_cc_unary(xpu_cc *cc, const char *name, enum xpu_cc_unop op,
				   uint32_t type, uint64_t n)
{
	xpu_status st = cc_check_name(cc, name);
	uint32_t rx, ry;
	uint64_t chunk, slot_bytes;
	struct kb k;
	int slot = 0;

	if (!st)
		st = check_type(name, type);
	if (st)
		return st;
	if ((unsigned int)op >= sizeof(un_func) || !n)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "'%s': bad op %d or n = 0", name, op);
	st = check_op_type(name, op, vun_types[un_func[op]], type);
	if (st)
		return st;
	chunk = chunk_elems(&cc->t, n, 4);
	slot_bytes = ALIGN(chunk * 4);
	kb_begin_xy(&k, NULL, "y", &rx, &ry);
	kb_extent(&k, 0, n * 4);
	kb_extent(&k, 1, n * 4);
	for (uint64_t i = 0; i < n; i += chunk, slot ^= 1) {
		uint64_t c = min64(chunk, n - i), la = slot * slot_bytes;

		kb_dma(&k, XPU_DMA_VA_TO_LA, 0, la, rx, i * 4, 1, c * 4, 0, 0);
		kb_vcfg(&k, 1, c);
		kb_li(&k, 3, la);
		kb_emit(&k, xpu_vun(un_func[op], vt_of(type), 3, 3));
		kb_dma(&k, XPU_DMA_LA_TO_VA, ry, i * 4, 0, la, 1, c * 4, 0, 0);
	}
	kb_use(&k, 2 * slot_bytes, 0);
	return xpu_ok(kb_finish(cc, &k, name));
}

XPU_EXPORT xpu_status xpu_cc_select(xpu_cc *cc, const char *name, uint64_t n)
{
	xpu_status st = cc_check_name(cc, name);
	uint32_t rm, ra, rb, rc;
	uint64_t chunk, slot_bytes, arr;
	struct kb k;
	int slot = 0;

	if (st)
		return st;
	if (!n)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "select '%s': n = 0", name);
	chunk = chunk_elems(&cc->t, n, 12);
	arr = ALIGN(chunk * 4);
	slot_bytes = 3 * arr;
	KB_BEGIN(&k, NULL, { "mask", &rm }, { "a", &ra }, { "b", &rb }, { "c", &rc });
	for (uint32_t i = 0; i < 4; i++)
		kb_extent(&k, i, n * 4);
	for (uint64_t i = 0; i < n; i += chunk, slot ^= 1) {
		uint64_t c = min64(chunk, n - i), lm = slot * slot_bytes;

		kb_dma(&k, XPU_DMA_VA_TO_LA, 0, lm, rm, i * 4, 1, c * 4, 0, 0);
		kb_dma(&k, XPU_DMA_VA_TO_LA, 0, lm + arr, ra, i * 4, 1, c * 4, 0, 0);
		kb_dma(&k, XPU_DMA_VA_TO_LA, 0, lm + 2 * arr, rb, i * 4, 1, c * 4, 0, 0);
		kb_vcfg(&k, 1, c);
		kb_li(&k, 3, lm);
		kb_li(&k, 4, lm + arr);
		kb_li(&k, 5, lm + 2 * arr);
		kb_emit(&k, xpu_vsel(3, 3, 4, 5));	/* in place over the mask */
		kb_dma(&k, XPU_DMA_LA_TO_VA, rc, i * 4, 0, lm, 1, c * 4, 0, 0);
	}
	kb_use(&k, 2 * slot_bytes, 0);
	return xpu_ok(kb_finish(cc, &k, name));
}

XPU_EXPORT xpu_status xpu_cc_requant(xpu_cc *cc, const char *name, uint32_t in_type, uint64_t n,
				     float scale, int32_t zp)
{
	xpu_status st = cc_check_name(cc, name);
	uint32_t rx, ry;
	uint64_t chunk, slot_bytes;
	struct kb k;
	int slot = 0;

	if (!st)
		st = check_type(name, in_type);
	if (st)
		return st;
	if (!n)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "'%s': n = 0", name);
	if (!isfinite(scale) || scale == 0.0f)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "requant '%s': scale = %g (needs a finite, non-zero scale)",
				     name, (double)scale);
	chunk = chunk_elems(&cc->t, n, 5);
	slot_bytes = ALIGN(chunk * 4) + ALIGN(chunk);
	kb_begin_xy(&k, NULL, "y", &rx, &ry);
	kb_extent(&k, 0, n * 4);	/* 32-bit in, int8 out */
	kb_extent(&k, 1, n);
	kb_li(&k, R_SCALE, f32_bits(scale));
	for (uint64_t i = 0; i < n; i += chunk, slot ^= 1) {
		uint64_t c = min64(chunk, n - i), la = slot * slot_bytes, lo = la + ALIGN(chunk * 4);

		kb_dma(&k, XPU_DMA_VA_TO_LA, 0, la, rx, i * 4, 1, c * 4, 0, 0);
		kb_vcfg(&k, 1, c);
		kb_li(&k, 3, la);
		kb_li(&k, 4, lo);
		kb_emit(&k, xpu_vqnt(vt_of(in_type), 4, 3, R_SCALE, zp));
		kb_dma(&k, XPU_DMA_LA_TO_VA, ry, i, 0, lo, 1, c, 0, 0);
	}
	kb_use(&k, 2 * slot_bytes, 0);
	return xpu_ok(kb_finish(cc, &k, name));
}

/*
 * A row softmax kernel (xpu_cc_softmax, xcc_softmax; accounting against
 * `account` unless NULL): arguments x, y; blocks of rb rows in nslots
 * scratchpad slots; per block max, subtract, exp, sum, reciprocal, multiply
 * (docs/isa.md section 5).
 */
void cc_softmax_rows(struct kb *k, const xpu_cc *account, uint64_t rows, uint64_t cols,
		     uint64_t rb, int nslots)
{
	uint64_t slot_bytes = ALIGN(rb * cols * 4) + 2 * ALIGN(rb * 4);
	uint32_t rx, ry;
	int slot = 0;

	kb_begin_xy(k, account, "y", &rx, &ry);
	kb_extent(k, 0, rows * cols * 4);
	kb_extent(k, 1, rows * cols * 4);
	for (uint64_t r0 = 0; r0 < rows; r0 += rb, slot = (slot + 1) % nslots) {
		uint64_t r = min64(rb, rows - r0), lx = slot * slot_bytes;
		uint64_t lm = lx + ALIGN(rb * cols * 4), ls = lm + ALIGN(rb * 4);

		kb_dma(k, XPU_DMA_VA_TO_LA, 0, lx, rx, r0 * cols * 4, 1, r * cols * 4, 0, 0);
		kb_li(k, 3, lx);
		kb_li(k, 4, lm);
		kb_li(k, 9, ls);
		kb_vcfg(k, r, cols);
		kb_emit(k, xpu_vred(XPU_VRED_MAX, XPU_VT_F32, 4, 3));
		kb_emit(k, xpu_vbin(XPU_VBIN_SUB, XPU_VT_F32 | XPU_VB_COL, 3, 3, 4));
		kb_emit(k, xpu_vun(XPU_VUN_EXP, XPU_VT_F32, 3, 3));
		kb_emit(k, xpu_vred(XPU_VRED_SUM, XPU_VT_F32, 9, 3));
		kb_vcfg(k, r, 1);
		kb_emit(k, xpu_vun(XPU_VUN_RECIP, XPU_VT_F32, 9, 9));
		kb_vcfg(k, r, cols);
		kb_emit(k, xpu_vbin(XPU_VBIN_MUL, XPU_VT_F32 | XPU_VB_COL, 3, 3, 9));
		kb_dma(k, XPU_DMA_LA_TO_VA, ry, r0 * cols * 4, 0, lx, 1, r * cols * 4, 0, 0);
	}
	kb_use(k, nslots * slot_bytes, 0);
}

/* gamma, beta to lg, lb; r21 = 1/cols, r22 = eps, r23 = lg, r24 = lb */
void cc_layernorm_consts(struct kb *k, uint32_t rg, uint32_t rbeta, uint64_t lg, uint64_t lb,
			 uint64_t cols, float eps)
{
	kb_dma(k, XPU_DMA_VA_TO_LA, 0, lg, rg, 0, 1, cols * 4, 0, 0);
	kb_dma(k, XPU_DMA_VA_TO_LA, 0, lb, rbeta, 0, 1, cols * 4, 0, 0);
	kb_li(k, 21, f32_bits(1.0f / (float)cols));
	kb_li(k, 22, f32_bits(eps));
	kb_li(k, 23, lg);
	kb_li(k, 24, lb);
}

/*
 * The vector ops of layernorm on r rows of cols at r3 (temporary at r4, row
 * means at r9, the variance / inverse std at rv), with the constants of
 * cc_layernorm_consts(): y = (x - mean) * rsqrt(var + eps) * gamma + beta,
 * in place at r3.
 */
void cc_layernorm_ops(struct kb *k, uint64_t r, uint64_t cols, uint32_t rv)
{
	kb_vcfg(k, r, cols);
	kb_emit(k, xpu_vred(XPU_VRED_SUM, XPU_VT_F32, 9, 3));
	kb_vcfg(k, r, 1);
	kb_emit(k, xpu_vbin(XPU_VBIN_MUL, XPU_VT_F32 | XPU_VB_SCALAR, 9, 9, 21));
	kb_vcfg(k, r, cols);
	kb_emit(k, xpu_vbin(XPU_VBIN_SUB, XPU_VT_F32 | XPU_VB_COL, 3, 3, 9));
	kb_emit(k, xpu_vbin(XPU_VBIN_MUL, XPU_VT_F32, 4, 3, 3));
	kb_emit(k, xpu_vred(XPU_VRED_SUM, XPU_VT_F32, rv, 4));
	kb_vcfg(k, r, 1);
	kb_emit(k, xpu_vbin(XPU_VBIN_MUL, XPU_VT_F32 | XPU_VB_SCALAR, rv, rv, 21));
	kb_emit(k, xpu_vbin(XPU_VBIN_ADD, XPU_VT_F32 | XPU_VB_SCALAR, rv, rv, 22));
	kb_emit(k, xpu_vun(XPU_VUN_RSQRT, XPU_VT_F32, rv, rv));
	kb_vcfg(k, r, cols);
	kb_emit(k, xpu_vbin(XPU_VBIN_MUL, XPU_VT_F32 | XPU_VB_COL, 3, 3, rv));
	kb_emit(k, xpu_vbin(XPU_VBIN_MUL, XPU_VT_F32 | XPU_VB_ROW, 3, 3, 23));
	kb_emit(k, xpu_vbin(XPU_VBIN_ADD, XPU_VT_F32 | XPU_VB_ROW, 3, 3, 24));
}

XPU_EXPORT xpu_status xpu_cc_softmax(xpu_cc *cc, const char *name, uint32_t rows, uint32_t cols)
{
	xpu_status st = cc_check_name(cc, name);
	uint64_t rb;
	struct kb k;
	int nslots;

	if (st)
		return st;
	if (!rows || !cols)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "softmax '%s': empty shape", name);
	/* two slots (DMA overlaps compute) if a row fits twice, else one */
	nslots = 2;
	rb = (cc->t.spad_size - 512) / (2 * ((uint64_t)cols * 4 + 8));
	if (!rb) {
		nslots = 1;
		rb = (cc->t.spad_size - 512) / ((uint64_t)cols * 4 + 8);
	}
	if (!rb)
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
				     "softmax '%s': a row of %u floats does not fit the scratchpad",
				     name, cols);
	rb = min64(rb, rows);
	cc_softmax_rows(&k, NULL, rows, cols, rb, nslots);
	return xpu_ok(kb_finish(cc, &k, name));
}

XPU_EXPORT xpu_status xpu_cc_layernorm(xpu_cc *cc, const char *name, uint32_t rows, uint32_t cols,
				       float eps)
{
	xpu_status st = cc_check_name(cc, name);
	uint64_t rb, slot_bytes, fixed, lg, lb;
	uint32_t rx, rg, rbeta, ry;
	struct kb k;
	int slot = 0, nslots = 2;

	if (st)
		return st;
	if (!rows || !cols)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "layernorm '%s': empty shape", name);
	fixed = 2 * ALIGN((uint64_t)cols * 4);
	if (fixed + 1024 >= cc->t.spad_size)
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED, "layernorm '%s': rows too long", name);
	rb = (cc->t.spad_size - fixed - 1024) / (2 * ((uint64_t)cols * 8 + 8));
	if (!rb) {
		nslots = 1;
		rb = (cc->t.spad_size - fixed - 1024) / ((uint64_t)cols * 8 + 8);
	}
	if (!rb)
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
				     "layernorm '%s': a row of %u floats does not fit", name, cols);
	rb = min64(rb, rows);
	slot_bytes = 2 * ALIGN(rb * cols * 4) + 2 * ALIGN(rb * 4);
	lg = nslots * slot_bytes;
	lb = lg + ALIGN((uint64_t)cols * 4);
	KB_BEGIN(&k, NULL, { "x", &rx }, { "gamma", &rg }, { "beta", &rbeta }, { "y", &ry });
	kb_extent(&k, 0, (uint64_t)rows * cols * 4);
	kb_extent(&k, 1, (uint64_t)cols * 4);
	kb_extent(&k, 2, (uint64_t)cols * 4);
	kb_extent(&k, 3, (uint64_t)rows * cols * 4);
	cc_layernorm_consts(&k, rg, rbeta, lg, lb, cols, eps);
	for (uint64_t r0 = 0; r0 < rows; r0 += rb, slot = (slot + 1) % nslots) {
		uint64_t r = min64(rb, rows - r0), lx = slot * slot_bytes;
		uint64_t lt = lx + ALIGN(rb * cols * 4), lm = lt + ALIGN(rb * cols * 4);
		uint64_t lv = lm + ALIGN(rb * 4);

		kb_dma(&k, XPU_DMA_VA_TO_LA, 0, lx, rx, r0 * cols * 4, 1, r * cols * 4, 0, 0);
		kb_li(&k, 3, lx);
		kb_li(&k, 4, lt);
		kb_li(&k, 9, lm);
		kb_li(&k, 11 + 4, lv);	/* r15: past the argument registers r10..r13 */
		cc_layernorm_ops(&k, r, cols, 15);
		kb_dma(&k, XPU_DMA_LA_TO_VA, ry, r0 * cols * 4, 0, lx, 1, r * cols * 4, 0, 0);
	}
	kb_use(&k, lb + ALIGN((uint64_t)cols * 4), 0);
	return xpu_ok(kb_finish(cc, &k, name));
}
