// SPDX-License-Identifier: MIT
/*
 * Host backend vs the ISA reference: single instructions of every unit run
 * through libxpu (assembled from xpu_isa.h encodings, launched on a stream)
 * give results bit-identical to tests/engine/ref/xpu_ref.c, including
 * strided and accumulating matmuls, every vector op, type and broadcast,
 * every conversion, requantisation and 2-D DMA; and the modeled cycles of a
 * lone MATMUL equal the timing formula.
 */
#include "rt_test.h"
#include "xpu_ref.h"

#define SRC1	0u		/* local addresses of the operands */
#define SRC2	16384u
#define DST	32768u
#define BLOB	49152u		/* bytes DMA'd in: src1 | src2 | dst (initial) */

FIXTURE(eng) {
	xpu_device *dev;
	xpu_stream *s;
	xpu_buffer *in, *out;
};

FIXTURE_SETUP(eng)
{
	self->s = NULL;
	RT_OPEN(self->dev);
	XOK(xpu_stream_create(self->dev, XPU_QUEUE_ANY, &self->s));
	XOK(xpu_buffer_alloc(self->dev, BLOB, 0, &self->in));
	XOK(xpu_buffer_alloc(self->dev, 16384, 0, &self->out));
}

FIXTURE_TEARDOWN(eng)
{
	if (self->s)
		xpu_stream_destroy(self->s);
	if (self->dev)
		xpu_device_close(self->dev);
}

/*
 * Run: DMA the blob to local 0 (SRC1 | SRC2 | DST in the scratchpad, or the
 * DST part to the accumulator when acc), set r20..r27 = regs, run the body,
 * DMA out_bytes from the result (DST, or the accumulator) back.
 */
static xpu_status run_body(FIXTURE_DATA(eng) *self, const void *blob, const uint64_t *body,
			   int n, const uint64_t *regs, int acc, size_t out_bytes, void *out,
			   uint64_t *cycles)
{
	char *src = malloc(65536);
	size_t len = 0;
	uint64_t prog[64];
	int np = 0;
	xpu_module *mod;
	xpu_kernel *k;
	xpu_event *e0, *e1;
	void *img;
	size_t size;
	xpu_status st;
	uint64_t res = acc ? XPU_LA_ACC : DST;

	prog[np++] = xpu_ld(XPU_MEM_W64, 10, 1, 0);
	prog[np++] = xpu_ld(XPU_MEM_W64, 11, 1, 8);
	prog[np++] = xpu_li(3, SRC1);
	prog[np++] = xpu_li(8, DST);
	prog[np++] = xpu_dma(XPU_DMA_VA_TO_LA, 3, 10, 8);
	prog[np++] = xpu_liu(3, (uint32_t)res);
	prog[np++] = xpu_addi(4, 10, DST);
	prog[np++] = xpu_li(8, BLOB - DST);
	prog[np++] = xpu_dma(XPU_DMA_VA_TO_LA, 3, 4, 8);
	for (int i = 0; i < 8; i++) {
		prog[np++] = xpu_liu(20 + i, (uint32_t)regs[i]);
		prog[np++] = xpu_lih(20 + i, (uint32_t)(regs[i] >> 32));
	}
	prog[np++] = xpu_fence();
	for (int i = 0; i < n; i++)
		prog[np++] = body[i];
	prog[np++] = xpu_liu(3, (uint32_t)res);
	prog[np++] = xpu_li(8, (int32_t)out_bytes);
	prog[np++] = xpu_dma(XPU_DMA_LA_TO_VA, 11, 3, 8);
	prog[np++] = xpu_halt();
	len += sprintf(src, ".kernel t\n.arg in buffer\n.arg out buffer\n");
	for (int i = 0; i < np; i++)
		len += sprintf(src + len, ".word 0x%016llx\n", (unsigned long long)prog[i]);
	st = xpu_assemble(src, "t.s", &img, &size);
	free(src);
	if (st)
		return st;
	st = xpu_module_load(self->dev, img, size, &mod);
	free(img);
	if (st)
		return st;
	if ((st = xpu_kernel_create(mod, "t", &k)))
		return st;
	xpu_event_create(self->dev, &e0);
	xpu_event_create(self->dev, &e1);
	if (!(st = xpu_write_async(self->s, self->in, 0, blob, BLOB)) &&
	    !(st = xpu_kernel_set_arg_buffer(k, 0, self->in, 0)) &&
	    !(st = xpu_kernel_set_arg_buffer(k, 1, self->out, 0)) &&
	    !(st = xpu_event_record(e0, self->s)) && !(st = xpu_launch(self->s, k)) &&
	    !(st = xpu_event_record(e1, self->s)) &&
	    !(st = xpu_read_async(self->s, self->out, 0, out, out_bytes)) &&
	    !(st = xpu_stream_synchronize(self->s, XPU_WAIT_FOREVER)) && cycles)
		st = xpu_event_elapsed(e0, e1, cycles, NULL);
	xpu_event_destroy(e0);
	xpu_event_destroy(e1);
	xpu_kernel_destroy(k);
	xpu_module_unload(mod);
	return st;
}

static void fill(uint8_t *blob, uint64_t *seed, int floats)
{
	for (uint32_t i = 0; i < BLOB / 4; i++) {
		uint32_t v = rt_rand(seed);

		if (floats)
			v = xref_f2u(((int32_t)(v % 20001) - 10000) / 1000.0f);
		if (floats && i % 97 == 0)
			v = 0x7fc00000 | (v & 0xff);	/* some NaNs */
		memcpy(blob + 4 * i, &v, 4);
	}
}

TEST_F(eng, matmul_int8_and_bf16_strided_accumulating)
{
	static const uint32_t sh[][6] = {	/* M K N lda ldb ldc */
		{ 1, 1, 1, 0, 0, 0 }, { 5, 7, 3, 9, 4, 6 }, { 16, 16, 8, 0, 0, 0 },
		{ 33, 20, 17, 21, 19, 20 }, { 40, 64, 24, 0, 0, 0 },
	};
	uint8_t *blob = malloc(BLOB);
	uint32_t *out = malloc(16384), *want = malloc(16384);
	uint64_t seed = 3, cycles;

	for (int bf = 0; bf < 2; bf++)
		for (int accf = 0; accf < 2; accf++)
			for (size_t i = 0; i < sizeof(sh) / sizeof(sh[0]); i++) {
				uint64_t M = sh[i][0], K = sh[i][1], N = sh[i][2];
				uint64_t lda = sh[i][3] ? sh[i][3] : K, ldb = sh[i][4] ? sh[i][4] : N;
				uint64_t ldc = sh[i][5] ? sh[i][5] : N;
				uint64_t regs[8] = { M, K, N, sh[i][3], sh[i][4], sh[i][5], 0, 0 };
				uint64_t body[] = {
					xpu_mcfg(XPU_MCFG_SHAPE, 20, 21, 22),
					xpu_mcfg(XPU_MCFG_STRIDE, 23, 24, 25),
					xpu_liu(3, (uint32_t)XPU_LA_ACC), xpu_li(4, SRC1), xpu_li(9, SRC2),
					xpu_matmul((bf ? XPU_MM_BF16 : XPU_MM_INT8) | (accf ? XPU_MM_ACC : 0),
						   3, 4, 9),
				};

				fill(blob, &seed, 0);
				if (bf)	/* finite bf16 values */
					for (uint32_t j = 0; j < DST / 2; j++) {
						uint16_t h = xref_f32_to_bf16(((int32_t)(rt_rand(&seed) % 2001) - 1000) / 100.0f);

						memcpy(blob + 2 * j, &h, 2);
					}
				memcpy(want, blob + DST, M * ldc * 4);
				XOK(run_body(self, blob, body, 6, regs, 1, M * ldc * 4, out, &cycles));
				if (bf)
					xref_matmul_bf16(M, K, N, (const uint16_t *)blob, lda,
							 (const uint16_t *)(blob + SRC2), ldb, want, ldc, accf);
				else
					xref_matmul_i8(M, K, N, (const int8_t *)blob, lda,
						       (const int8_t *)(blob + SRC2), ldb, want, ldc, accf);
				for (uint64_t m = 0; m < M; m++) {
					ASSERT_EQ(0, memcmp(out + m * ldc, want + m * ldc, N * 4))
						TH_LOG("bf16 %d acc %d shape %zu row %llu", bf, accf, i,
						       (unsigned long long)m);
				}
			}
	free(blob);
	free(out);
	free(want);
}

TEST_F(eng, matmul_cycles_match_the_timing_formula)
{
	struct xpu_device_props p;
	uint8_t *blob = calloc(1, BLOB);
	uint32_t *out = malloc(16384);
	uint64_t regs[8] = { 64, 64, 32 }, c_empty, c_mm;
	uint64_t body[] = {
		xpu_mcfg(XPU_MCFG_SHAPE, 20, 21, 22), xpu_liu(3, (uint32_t)XPU_LA_ACC),
		xpu_li(4, SRC1), xpu_li(9, SRC2), xpu_matmul(XPU_MM_INT8, 3, 4, 9), xpu_fence(),
	};

	XOK(xpu_device_get_props(self->dev, &p));
	regs[2] = 32;
	XOK(run_body(self, blob, body, 4, regs, 1, 64, out, &c_empty));
	XOK(run_body(self, blob, body, 6, regs, 1, 64, out, &c_mm));
	/* the MXU op ends the critical path: FENCE waits for it */
	ASSERT_GE(c_mm, xref_matmul_cycles(p.array_rows, p.array_cols, 64, 64, 32));
	ASSERT_LE(c_mm, c_empty + xref_matmul_cycles(p.array_rows, p.array_cols, 64, 64, 32) + 2);
	free(blob);
	free(out);
}

TEST_F(eng, vector_binary_all_ops_types_broadcasts)
{
	uint8_t *blob = malloc(BLOB);
	uint32_t *out = malloc(16384), *want = malloc(16384);
	uint64_t seed = 11;
	const uint32_t R = 13, C = 37;

	for (uint32_t f = XPU_VBIN_ADD; f <= XPU_VBIN_MIN; f++)
		for (uint32_t t = 0; t < 2; t++)
			for (uint32_t bc = 0; bc < 4; bc++) {
				uint32_t flags = t | bc << XPU_VB_BCAST_SHIFT;
				uint64_t scalar = rt_rand(&seed);
				uint64_t regs[8] = { R, C, scalar, 0 };
				uint64_t body[] = {
					xpu_vcfg(20, 21), xpu_li(3, DST), xpu_li(4, SRC1),
					xpu_li(9, SRC2),
					xpu_vbin(f, flags, 3, 4, bc == 3 ? 22 : 9),
				};

				fill(blob, &seed, t);
				XOK(run_body(self, blob, body, 5, regs, 0, R * C * 4, out, NULL));
				xref_vbin(f, t, flags & XPU_VB_BCAST_MASK, R, C, want,
					  (const uint32_t *)blob, (const uint32_t *)(blob + SRC2),
					  (uint32_t)scalar);
				ASSERT_EQ(0, memcmp(out, want, R * C * 4))
					TH_LOG("vbin f %u type %u bcast %u", f, t, bc);
			}
	free(blob);
	free(out);
	free(want);
}

TEST_F(eng, vector_unary_reduce_convert_requant)
{
	uint8_t *blob = malloc(BLOB);
	uint32_t *out = malloc(16384), *want = malloc(16384);
	uint64_t seed = 12;
	const uint32_t R = 9, C = 50, n = R * C;

	for (uint32_t f = XPU_VUN_RELU; f <= XPU_VUN_NEG; f++)
		for (uint32_t t = 0; t < 2; t++) {
			uint64_t regs[8] = { R, C };
			uint64_t body[] = { xpu_vcfg(20, 21), xpu_li(3, DST), xpu_li(4, SRC1),
					    xpu_vun(f, t, 3, 4) };

			if (!t && f != XPU_VUN_RELU && f != XPU_VUN_COPY && f != XPU_VUN_NEG)
				continue;
			fill(blob, &seed, t);
			XOK(run_body(self, blob, body, 4, regs, 0, n * 4, out, NULL));
			xref_vun(f, t, n, want, (const uint32_t *)blob);
			ASSERT_EQ(0, memcmp(out, want, n * 4)) TH_LOG("vun f %u type %u", f, t);
		}
	for (uint32_t f = 0; f < 2; f++)
		for (uint32_t t = 0; t < 2; t++) {
			uint64_t regs[8] = { R, C };
			uint64_t body[] = { xpu_vcfg(20, 21), xpu_li(3, DST), xpu_li(4, SRC1),
					    xpu_vred(f, t, 3, 4) };

			fill(blob, &seed, t);
			XOK(run_body(self, blob, body, 4, regs, 0, R * 4, out, NULL));
			xref_vred(f, t, R, C, want, (const uint32_t *)blob);
			ASSERT_EQ(0, memcmp(out, want, R * 4)) TH_LOG("vred f %u type %u", f, t);
		}
	for (uint32_t f = XPU_CVT_I32_F32; f <= XPU_CVT_I8_BF16; f++) {
		static const int dsz[] = { 4, 4, 2, 4, 4, 2 };
		uint64_t regs[8] = { R, C };
		uint64_t body[] = { xpu_vcfg(20, 21), xpu_li(3, DST), xpu_li(4, SRC1),
				    xpu_vcvt(f, 3, 4) };

		fill(blob, &seed, f == XPU_CVT_F32_I32 || f == XPU_CVT_F32_BF16);
		memcpy(want, blob + DST, n * dsz[f]);
		XOK(run_body(self, blob, body, 4, regs, 0, n * dsz[f], out, NULL));
		xref_vcvt(f, n, want, blob);
		ASSERT_EQ(0, memcmp(out, want, n * dsz[f])) TH_LOG("vcvt %u", f);
	}
	for (uint32_t t = 0; t < 2; t++) {
		float scale = t ? 3.7f : 1.0f / 3000;
		uint64_t regs[8] = { R, C, xref_f2u(scale) };
		uint64_t body[] = { xpu_vcfg(20, 21), xpu_li(3, DST), xpu_li(4, SRC1),
				    xpu_vqnt(t, 3, 4, 22, -7) };

		fill(blob, &seed, t);
		memcpy(want, blob + DST, n);
		XOK(run_body(self, blob, body, 4, regs, 0, n, out, NULL));
		xref_vqnt(t, n, (int8_t *)want, (const uint32_t *)blob, xref_f2u(scale), -7);
		ASSERT_EQ(0, memcmp(out, want, n)) TH_LOG("vqnt type %u", t);
	}
	free(blob);
	free(out);
	free(want);
}

TEST_F(eng, dma_2d_gather)
{
	uint8_t *blob = malloc(BLOB), *out = malloc(16384), *want = malloc(16384);
	uint64_t seed = 13;
	/* 11 rows of 13 bytes from SRC1 (stride 29) to DST (stride 17) */
	uint64_t regs[8] = { 11, 29, 17, 13 };
	uint64_t body[] = { xpu_dcfg(20, 21, 22), xpu_li(3, DST), xpu_li(4, SRC1),
			    xpu_dma(XPU_DMA_LA_TO_LA | XPU_DMA_2D, 3, 4, 23) };

	fill(blob, &seed, 0);
	memcpy(want, blob + DST, 11 * 17);
	for (int r = 0; r < 11; r++)
		memcpy(want + r * 17, blob + r * 29, 13);
	XOK(run_body(self, blob, body, 4, regs, 0, 11 * 17, out, NULL));
	ASSERT_EQ(0, memcmp(out, want, 11 * 17));
	free(blob);
	free(out);
	free(want);
}

TEST_HARNESS_MAIN
