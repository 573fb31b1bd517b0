/* SPDX-License-Identifier: MIT */
/*
 * XPU v1 instruction set: encodings and assembler helpers. Shared by the
 * device engine (QEMU), the runtime's assembler and the tests. docs/isa.md is
 * the prose reference (semantics, rounding, timing).
 *
 * Every instruction is one 64-bit little-endian word:
 *
 *   [63:56] opcode   [55:51] rd   [50:46] rs1   [45:41] rs2   [40:36] rs3
 *   [35:32] func4    [31:0]  imm32
 *
 * Fields an instruction does not use must be zero (else BAD_INSN).
 * Branch and jump offsets are in instructions, relative to the branch itself.
 */
#ifndef XPU_ISA_H
#define XPU_ISA_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif

#define XPU_INSN_BYTES		8
#define XPU_NUM_REGS		32	/* r0 reads as zero, writes ignored */
#define XPU_REG_ARGS_VA		1	/* r1 = args_va at job start */
#define XPU_REG_ARGS_LEN	2	/* r2 = args_len at job start */

/* ---- Field layout --------------------------------------------------------- */
#define XPU_F_OP_SHIFT		56
#define XPU_F_RD_SHIFT		51
#define XPU_F_RS1_SHIFT		46
#define XPU_F_RS2_SHIFT		41
#define XPU_F_RS3_SHIFT		36
#define XPU_F_FUNC_SHIFT	32

#define XPU_INSN_OP(i)		((uint32_t)(((i) >> XPU_F_OP_SHIFT) & 0xff))
#define XPU_INSN_RD(i)		((uint32_t)(((i) >> XPU_F_RD_SHIFT) & 0x1f))
#define XPU_INSN_RS1(i)		((uint32_t)(((i) >> XPU_F_RS1_SHIFT) & 0x1f))
#define XPU_INSN_RS2(i)		((uint32_t)(((i) >> XPU_F_RS2_SHIFT) & 0x1f))
#define XPU_INSN_RS3(i)		((uint32_t)(((i) >> XPU_F_RS3_SHIFT) & 0x1f))
#define XPU_INSN_FUNC(i)	((uint32_t)(((i) >> XPU_F_FUNC_SHIFT) & 0xf))
#define XPU_INSN_IMM(i)		((uint32_t)((i) & 0xffffffffu))
/* imm32 sign-extended to 64 bits */
#define XPU_INSN_SIMM(i)	((int64_t)(int32_t)XPU_INSN_IMM(i))

/* ---- Opcodes -------------------------------------------------------------- */
/* 0x00 is undefined on purpose: zero-filled memory is not a program. */
#define XPU_OP_HALT	0x01	/* end the job, status OK */
#define XPU_OP_NOP	0x02
#define XPU_OP_FENCE	0x03	/* scalar core waits for DMA, MXU, VPU (timing only) */

#define XPU_OP_LI	0x10	/* rd = sext(imm32) */
#define XPU_OP_LIU	0x11	/* rd = zext(imm32) */
#define XPU_OP_LIH	0x12	/* rd[63:32] = imm32, rd[31:0] kept */

#define XPU_OP_ALU	0x20	/* rd = rs1 <func4> rs2 */
#define XPU_OP_ALUI	0x21	/* rd = rs1 <func4> sext(imm32) */

#define XPU_OP_LD	0x30	/* rd = mem[rs1 + sext(imm32)], func4 = XPU_MEM_* */
#define XPU_OP_ST	0x31	/* mem[rs1 + sext(imm32)] = rs2, func4 = XPU_MEM_* */

#define XPU_OP_BR	0x40	/* if (rs1 <func4> rs2) pc += sext(imm32) */
#define XPU_OP_JAL	0x41	/* rd = pc + 1; pc += sext(imm32) */
#define XPU_OP_JALR	0x42	/* t = rs1 + sext(imm32); rd = pc + 1; pc = t */

#define XPU_OP_DCFG	0x50	/* DMA 2D config: rows = rs1, src_stride = rs2, dst_stride = rs3 */
#define XPU_OP_DMA	0x51	/* copy rs2 bytes per row from rs1 to rd, func4 = XPU_DMA_* */

#define XPU_OP_MCFG	0x60	/* func4 0: M,K,N = rs1,rs2,rs3; func4 1: lda,ldb,ldc = rs1,rs2,rs3 */
#define XPU_OP_MATMUL	0x61	/* C(rd) (=|+=) A(rs1) x B(rs2), func4 = XPU_MM_* */

#define XPU_OP_VCFG	0x70	/* vector shape: rows = rs1, cols = rs2 */
#define XPU_OP_VBIN	0x71	/* rd = rs1 <func4> rs2, imm = XPU_VB_* flags */
#define XPU_OP_VUN	0x72	/* rd = <func4>(rs1), imm = XPU_VT_* type */
#define XPU_OP_VRED	0x73	/* rd[r] = reduce<func4>(rs1[r][*]), imm = XPU_VT_* type */
#define XPU_OP_VCVT	0x74	/* rd = convert<func4>(rs1) */
#define XPU_OP_VQNT	0x75	/* rd(int8) = sat(rne(rs1 * f32(rs2)) + sext(imm32)), func4 = XPU_VT_* */

/* ALU / ALUI func4 */
#define XPU_ALU_ADD	0
#define XPU_ALU_SUB	1
#define XPU_ALU_MUL	2	/* low 64 bits */
#define XPU_ALU_AND	3
#define XPU_ALU_OR	4
#define XPU_ALU_XOR	5
#define XPU_ALU_SHL	6	/* shift count = b & 63 */
#define XPU_ALU_SHR	7	/* logical */
#define XPU_ALU_SRA	8	/* arithmetic */
#define XPU_ALU_SLT	9	/* signed a < b ? 1 : 0 */
#define XPU_ALU_SLTU	10	/* unsigned */
#define XPU_ALU_DIVU	11	/* b == 0 -> all ones */
#define XPU_ALU_REMU	12	/* b == 0 -> a */
#define XPU_ALU_MIN	13	/* signed */
#define XPU_ALU_MAX	14	/* signed */
/* 15 reserved */

/* LD / ST func4 */
#define XPU_MEM_W64	0x0	/* 64-bit access */
#define XPU_MEM_W32	0x1	/* 32-bit access, loads zero-extend */
#define XPU_MEM_LOCAL	0x2	/* address is a local SRAM address, not a device VA */

/* BR func4 */
#define XPU_BR_EQ	0
#define XPU_BR_NE	1
#define XPU_BR_LT	2
#define XPU_BR_GE	3
#define XPU_BR_LTU	4
#define XPU_BR_GEU	5

/*
 * Local SRAM addresses (DMA, MATMUL, vector operands, LD/ST with
 * XPU_MEM_LOCAL): [0, spad_bytes) is the scratchpad, XPU_LA_ACC + [0,
 * acc_bytes) the accumulator SRAM. An operand must lie wholly in one SRAM.
 */
#define XPU_LA_ACC	0x80000000ull

/* DMA func4 */
#define XPU_DMA_VA_TO_LA	0x0
#define XPU_DMA_LA_TO_VA	0x1
#define XPU_DMA_VA_TO_VA	0x2
#define XPU_DMA_LA_TO_LA	0x3
#define XPU_DMA_DIR_MASK	0x3
#define XPU_DMA_2D		0x4	/* use DCFG rows/strides, else one row */

/* MCFG func4 */
#define XPU_MCFG_SHAPE		0
#define XPU_MCFG_STRIDE		1

/* MATMUL func4 */
#define XPU_MM_INT8		0x0	/* int8 x int8 -> int32 (wraps) */
#define XPU_MM_BF16		0x1	/* bf16 x bf16 -> fp32 */
#define XPU_MM_ACC		0x2	/* accumulate into C, else overwrite */

/* Vector element types (imm bit 0 of VBIN/VUN/VRED, func4 of VQNT) */
#define XPU_VT_I32	0
#define XPU_VT_F32	1

/* VBIN imm flags */
#define XPU_VB_TYPE_MASK	0x1	/* XPU_VT_* */
#define XPU_VB_BCAST_SHIFT	1
#define XPU_VB_BCAST_MASK	(0x3u << XPU_VB_BCAST_SHIFT)
#define XPU_VB_FULL		(0u << XPU_VB_BCAST_SHIFT)	/* rs2 -> rows x cols */
#define XPU_VB_ROW		(1u << XPU_VB_BCAST_SHIFT)	/* rs2 -> cols vector, same for every row */
#define XPU_VB_COL		(2u << XPU_VB_BCAST_SHIFT)	/* rs2 -> rows vector, one per row */
#define XPU_VB_SCALAR		(3u << XPU_VB_BCAST_SHIFT)	/* register rs2, low 32 bits */

/* VBIN func4 */
#define XPU_VBIN_ADD	0
#define XPU_VBIN_SUB	1
#define XPU_VBIN_MUL	2
#define XPU_VBIN_MAX	3
#define XPU_VBIN_MIN	4

/* VUN func4 (imm = XPU_VT_*; only RELU and COPY accept I32) */
#define XPU_VUN_RELU	0
#define XPU_VUN_COPY	1
#define XPU_VUN_EXP	2
#define XPU_VUN_GELU	3	/* tanh form */
#define XPU_VUN_RECIP	4
#define XPU_VUN_RSQRT	5
#define XPU_VUN_NEG	6

/* VRED func4 */
#define XPU_VRED_SUM	0
#define XPU_VRED_MAX	1

/* VCVT func4 */
#define XPU_CVT_I32_F32		0	/* round to nearest even */
#define XPU_CVT_F32_I32		1	/* round to nearest even, saturate, NaN -> 0 */
#define XPU_CVT_F32_BF16	2	/* round to nearest even, NaN -> 0x7fc0 */
#define XPU_CVT_BF16_F32	3	/* exact */
#define XPU_CVT_I8_I32		4	/* sign extend */
#define XPU_CVT_I8_BF16		5	/* exact */

/* ---- Encoding helpers (assembler) ------------------------------------------ */
static inline uint64_t xpu_insn(uint32_t op, uint32_t rd, uint32_t rs1, uint32_t rs2,
				uint32_t rs3, uint32_t func4, uint32_t imm)
{
	return ((uint64_t)(op & 0xff) << XPU_F_OP_SHIFT) |
	       ((uint64_t)(rd & 0x1f) << XPU_F_RD_SHIFT) |
	       ((uint64_t)(rs1 & 0x1f) << XPU_F_RS1_SHIFT) |
	       ((uint64_t)(rs2 & 0x1f) << XPU_F_RS2_SHIFT) |
	       ((uint64_t)(rs3 & 0x1f) << XPU_F_RS3_SHIFT) |
	       ((uint64_t)(func4 & 0xf) << XPU_F_FUNC_SHIFT) | (uint64_t)imm;
}

static inline uint64_t xpu_halt(void) { return xpu_insn(XPU_OP_HALT, 0, 0, 0, 0, 0, 0); }
static inline uint64_t xpu_nop(void) { return xpu_insn(XPU_OP_NOP, 0, 0, 0, 0, 0, 0); }
static inline uint64_t xpu_fence(void) { return xpu_insn(XPU_OP_FENCE, 0, 0, 0, 0, 0, 0); }
static inline uint64_t xpu_li(uint32_t rd, int32_t imm)
{ return xpu_insn(XPU_OP_LI, rd, 0, 0, 0, 0, (uint32_t)imm); }
static inline uint64_t xpu_liu(uint32_t rd, uint32_t imm)
{ return xpu_insn(XPU_OP_LIU, rd, 0, 0, 0, 0, imm); }
static inline uint64_t xpu_lih(uint32_t rd, uint32_t imm)
{ return xpu_insn(XPU_OP_LIH, rd, 0, 0, 0, 0, imm); }
static inline uint64_t xpu_alu(uint32_t f, uint32_t rd, uint32_t rs1, uint32_t rs2)
{ return xpu_insn(XPU_OP_ALU, rd, rs1, rs2, 0, f, 0); }
static inline uint64_t xpu_alui(uint32_t f, uint32_t rd, uint32_t rs1, int32_t imm)
{ return xpu_insn(XPU_OP_ALUI, rd, rs1, 0, 0, f, (uint32_t)imm); }
static inline uint64_t xpu_addi(uint32_t rd, uint32_t rs1, int32_t imm)
{ return xpu_alui(XPU_ALU_ADD, rd, rs1, imm); }
static inline uint64_t xpu_ld(uint32_t f, uint32_t rd, uint32_t rs1, int32_t off)
{ return xpu_insn(XPU_OP_LD, rd, rs1, 0, 0, f, (uint32_t)off); }
static inline uint64_t xpu_st(uint32_t f, uint32_t rs2, uint32_t rs1, int32_t off)
{ return xpu_insn(XPU_OP_ST, 0, rs1, rs2, 0, f, (uint32_t)off); }
static inline uint64_t xpu_br(uint32_t cond, uint32_t rs1, uint32_t rs2, int32_t off)
{ return xpu_insn(XPU_OP_BR, 0, rs1, rs2, 0, cond, (uint32_t)off); }
static inline uint64_t xpu_jal(uint32_t rd, int32_t off)
{ return xpu_insn(XPU_OP_JAL, rd, 0, 0, 0, 0, (uint32_t)off); }
static inline uint64_t xpu_jalr(uint32_t rd, uint32_t rs1, int32_t off)
{ return xpu_insn(XPU_OP_JALR, rd, rs1, 0, 0, 0, (uint32_t)off); }
static inline uint64_t xpu_dcfg(uint32_t rrows, uint32_t rsrc_stride, uint32_t rdst_stride)
{ return xpu_insn(XPU_OP_DCFG, 0, rrows, rsrc_stride, rdst_stride, 0, 0); }
static inline uint64_t xpu_dma(uint32_t f, uint32_t rdst, uint32_t rsrc, uint32_t rbytes)
{ return xpu_insn(XPU_OP_DMA, rdst, rsrc, rbytes, 0, f, 0); }
static inline uint64_t xpu_mcfg(uint32_t f, uint32_t r1, uint32_t r2, uint32_t r3)
{ return xpu_insn(XPU_OP_MCFG, 0, r1, r2, r3, f, 0); }
static inline uint64_t xpu_matmul(uint32_t f, uint32_t rc, uint32_t ra, uint32_t rb)
{ return xpu_insn(XPU_OP_MATMUL, rc, ra, rb, 0, f, 0); }
static inline uint64_t xpu_vcfg(uint32_t rrows, uint32_t rcols)
{ return xpu_insn(XPU_OP_VCFG, 0, rrows, rcols, 0, 0, 0); }
static inline uint64_t xpu_vbin(uint32_t f, uint32_t flags, uint32_t rd, uint32_t rs1, uint32_t rs2)
{ return xpu_insn(XPU_OP_VBIN, rd, rs1, rs2, 0, f, flags); }
static inline uint64_t xpu_vun(uint32_t f, uint32_t type, uint32_t rd, uint32_t rs1)
{ return xpu_insn(XPU_OP_VUN, rd, rs1, 0, 0, f, type); }
static inline uint64_t xpu_vred(uint32_t f, uint32_t type, uint32_t rd, uint32_t rs1)
{ return xpu_insn(XPU_OP_VRED, rd, rs1, 0, 0, f, type); }
static inline uint64_t xpu_vcvt(uint32_t f, uint32_t rd, uint32_t rs1)
{ return xpu_insn(XPU_OP_VCVT, rd, rs1, 0, 0, f, 0); }
static inline uint64_t xpu_vqnt(uint32_t type, uint32_t rd, uint32_t rs1, uint32_t rscale, int32_t zp)
{ return xpu_insn(XPU_OP_VQNT, rd, rs1, rscale, 0, type, (uint32_t)zp); }

#endif /* XPU_ISA_H */
