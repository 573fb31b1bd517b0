/* SPDX-License-Identifier: MIT */
/*
 * XPU v1 instruction set: encodings and assembler helpers. Shared by the
 * device engine (QEMU), the runtime's assembler and the tests. The
 * instruction table below (XPU_OPCODES and its func4 sub-tables) is the one
 * description of the encoding; the decoder, assembler and disassembler are
 * generated from it. docs/isa.md is the prose reference (semantics,
 * rounding, timing).
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
#define XPU_GPR_ARGS_VA		1	/* r1 = args_va at job start */
#define XPU_GPR_ARGS_LEN	2	/* r2 = args_len at job start */

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

/*
 * ---- The instruction table --------------------------------------------------
 *
 * The ISA is described once, here, as X-macro tables. The engine's decoder
 * (qemu-device/engine/engine.c), the assembler and the disassembler
 * (runtime/lib/asm.c) are generated from them, and the XPU_OP_* and func4
 * constants below are too. Adding an instruction is one table entry, its
 * semantics in the engine, its reference and tests (docs/isa.md).
 *
 * XPU_OPCODES(X) calls, per opcode:
 *   X(NAME, opcode, prefix, suffix, syntax, imm, FN)
 *     NAME      defines XPU_OP_<NAME> = opcode
 *     prefix,   the assembler mnemonic is prefix + the func4 entry's
 *     suffix    mnemonic + suffix (+ type / broadcast suffixes, see imm)
 *     syntax    XPU_SYN_*: the assembler operand list, which names the
 *               register fields the opcode uses
 *     imm       XPU_IMM_*: what imm32 holds
 *     FN        the func4 sub-table: FN(Y) lists every defined func4 value;
 *               any other value is BAD_INSN (XPU_FN_NONE: func4 unused, 0)
 *
 * The fields an opcode uses follow from the last three columns
 * (XPU_OP_FIELDS below): the registers its syntax names, imm32 unless
 * XPU_IMM_NONE, func4 unless FN defines only the value 0. Every other field
 * must be zero, else the instruction is BAD_INSN.
 *
 * A func4 sub-table FN(Y) calls, per defined value:
 *   Y(NAME, value, mnemonic, types)
 *     NAME      the constant (tables with an enum below) or a label (the
 *               flag tables MEM, DMA, MM, whose constants are bit flags)
 *     types     XPU_TY_*: for XPU_IMM_VTYPE / XPU_IMM_VBIN opcodes, the
 *               element types (imm bit 0) the operation is defined for;
 *               the other type is BAD_INSN. 0 elsewhere.
 */
#define XPU_U_RD	0x01u
#define XPU_U_RS1	0x02u
#define XPU_U_RS2	0x04u
#define XPU_U_RS3	0x08u
#define XPU_U_FN	0x10u
#define XPU_U_IMM	0x20u

/* the instruction bits an opcode with fields u may set */
#define XPU_FIELD_MASK(u)							\
	((0xffull << XPU_F_OP_SHIFT) |						\
	 (((u) & XPU_U_RD) ? 0x1full << XPU_F_RD_SHIFT : 0) |			\
	 (((u) & XPU_U_RS1) ? 0x1full << XPU_F_RS1_SHIFT : 0) |		\
	 (((u) & XPU_U_RS2) ? 0x1full << XPU_F_RS2_SHIFT : 0) |		\
	 (((u) & XPU_U_RS3) ? 0x1full << XPU_F_RS3_SHIFT : 0) |		\
	 (((u) & XPU_U_FN) ? 0xfull << XPU_F_FUNC_SHIFT : 0) |		\
	 (((u) & XPU_U_IMM) ? 0xffffffffull : 0))

/* assembler operand syntax */
#define XPU_SYN_NONE	0	/* halt */
#define XPU_SYN_RI	1	/* li rd, imm */
#define XPU_SYN_RRR	2	/* add rd, rs1, rs2 */
#define XPU_SYN_RRI	3	/* addi rd, rs1, imm */
#define XPU_SYN_LD	4	/* ld rd, imm(rs1) */
#define XPU_SYN_ST	5	/* st rs2, imm(rs1) */
#define XPU_SYN_BR	6	/* beq rs1, rs2, target */
#define XPU_SYN_JAL	7	/* jal rd, target */
#define XPU_SYN_S3	8	/* dcfg rs1, rs2, rs3 */
#define XPU_SYN_S2	9	/* vcfg rs1, rs2 */
#define XPU_SYN_RR	10	/* vrelu.f32 rd, rs1 */
#define XPU_SYN_RRRI	11	/* vqnt.f32 rd, rs1, rs2, imm */
#define XPU_SYN_RRRR	12	/* vsel rd, rs1, rs2, rs3 */

/* the register fields (XPU_U_*) an operand syntax names */
#define XPU_SYN_REGS(syn)						\
	((syn) == XPU_SYN_RI || (syn) == XPU_SYN_JAL ? XPU_U_RD :	\
	 (syn) == XPU_SYN_RRR || (syn) == XPU_SYN_RRRI ?		\
		XPU_U_RD | XPU_U_RS1 | XPU_U_RS2 :			\
	 (syn) == XPU_SYN_RRI || (syn) == XPU_SYN_LD ||			\
	 (syn) == XPU_SYN_RR ? XPU_U_RD | XPU_U_RS1 :			\
	 (syn) == XPU_SYN_ST || (syn) == XPU_SYN_BR ||			\
	 (syn) == XPU_SYN_S2 ? XPU_U_RS1 | XPU_U_RS2 :			\
	 (syn) == XPU_SYN_S3 ? XPU_U_RS1 | XPU_U_RS2 | XPU_U_RS3 :	\
	 (syn) == XPU_SYN_RRRR ?					\
		XPU_U_RD | XPU_U_RS1 | XPU_U_RS2 | XPU_U_RS3 : 0u)

/* what imm32 holds */
#define XPU_IMM_NONE	0	/* unused (zero) */
#define XPU_IMM_SIMM	1	/* a signed operand */
#define XPU_IMM_UIMM	2	/* an operand, signed or unsigned 32 bits */
#define XPU_IMM_PCREL	3	/* a branch offset in instructions */
#define XPU_IMM_VTYPE	4	/* XPU_VT_*: mnemonic suffix .i32 / .f32 */
#define XPU_IMM_VBIN	5	/* XPU_VT_* | XPU_VB_*: type and broadcast suffixes */

/* element types an operation is defined for */
#define XPU_TY_I32	0x1u
#define XPU_TY_F32	0x2u
#define XPU_TY_ANY	0x3u

#define XPU_OPCODES(X)								\
	/* 0x00 is undefined on purpose: zero-filled memory is not a program */	\
	X(HALT,   0x01, "halt",   "",  XPU_SYN_NONE, XPU_IMM_NONE,  XPU_FN_NONE) \
	X(NOP,    0x02, "nop",    "",  XPU_SYN_NONE, XPU_IMM_NONE,  XPU_FN_NONE) \
	/* FENCE: the scalar core waits for DMA, MXU, VPU (timing only) */	\
	X(FENCE,  0x03, "fence",  "",  XPU_SYN_NONE, XPU_IMM_NONE,  XPU_FN_NONE) \
	/* LI: rd = sext(imm32); LIU: rd = zext(imm32); LIH: rd[63:32] = imm32 */ \
	X(LI,     0x10, "li",     "",  XPU_SYN_RI,   XPU_IMM_SIMM,  XPU_FN_NONE) \
	X(LIU,    0x11, "liu",    "",  XPU_SYN_RI,   XPU_IMM_UIMM,  XPU_FN_NONE) \
	X(LIH,    0x12, "lih",    "",  XPU_SYN_RI,   XPU_IMM_UIMM,  XPU_FN_NONE) \
	/* ALU: rd = rs1 <func4> rs2; ALUI: rd = rs1 <func4> sext(imm32) */	\
	X(ALU,    0x20, "",       "",  XPU_SYN_RRR,  XPU_IMM_NONE,  XPU_FN_ALU)	\
	X(ALUI,   0x21, "",       "i", XPU_SYN_RRI,  XPU_IMM_SIMM,  XPU_FN_ALU)	\
	/* LD: rd = mem[rs1 + sext(imm32)]; ST: mem[rs1 + sext(imm32)] = rs2 */	\
	X(LD,     0x30, "ld",     "",  XPU_SYN_LD,   XPU_IMM_SIMM,  XPU_FN_MEM)	\
	X(ST,     0x31, "st",     "",  XPU_SYN_ST,   XPU_IMM_SIMM,  XPU_FN_MEM)	\
	/* BR: if (rs1 <func4> rs2) pc += sext(imm32) */			\
	X(BR,     0x40, "b",      "",  XPU_SYN_BR,   XPU_IMM_PCREL, XPU_FN_BR)	\
	/* JAL: rd = pc + 1; pc += sext(imm32) */				\
	X(JAL,    0x41, "jal",    "",  XPU_SYN_JAL,  XPU_IMM_PCREL, XPU_FN_NONE) \
	/* JALR: t = rs1 + sext(imm32); rd = pc + 1; pc = t */			\
	X(JALR,   0x42, "jalr",   "",  XPU_SYN_RRI,  XPU_IMM_SIMM,  XPU_FN_NONE) \
	/* DCFG: DMA 2D config: rows = rs1, src_stride = rs2, dst_stride = rs3 */ \
	X(DCFG,   0x50, "dcfg",   "",  XPU_SYN_S3,   XPU_IMM_NONE,  XPU_FN_NONE) \
	/* DMA: copy rs2 bytes per row from rs1 to rd */			\
	X(DMA,    0x51, "dma",    "",  XPU_SYN_RRR,  XPU_IMM_NONE,  XPU_FN_DMA)	\
	/* MCFG: SHAPE: M,K,N = rs1,rs2,rs3; STRIDE: lda,ldb,ldc = rs1,rs2,rs3 */ \
	X(MCFG,   0x60, "mcfg",   "",  XPU_SYN_S3,   XPU_IMM_NONE,  XPU_FN_MCFG) \
	/* MATMUL: C(rd) (=|+=) A(rs1) x B(rs2) */				\
	X(MATMUL, 0x61, "matmul", "",  XPU_SYN_RRR,  XPU_IMM_NONE,  XPU_FN_MM)	\
	/* VCFG: vector shape: rows = rs1, cols = rs2 */			\
	X(VCFG,   0x70, "vcfg",   "",  XPU_SYN_S2,   XPU_IMM_NONE,  XPU_FN_NONE) \
	/* VBIN: rd = rs1 <func4> rs2, imm = XPU_VT_* | XPU_VB_* */		\
	X(VBIN,   0x71, "v",      "",  XPU_SYN_RRR,  XPU_IMM_VBIN,  XPU_FN_VBIN) \
	/* VUN: rd = <func4>(rs1), imm = XPU_VT_* */				\
	X(VUN,    0x72, "v",      "",  XPU_SYN_RR,   XPU_IMM_VTYPE, XPU_FN_VUN)	\
	/* VRED: rd[r] = reduce<func4>(rs1[r][*]), imm = XPU_VT_* */		\
	X(VRED,   0x73, "vred",   "",  XPU_SYN_RR,   XPU_IMM_VTYPE, XPU_FN_VRED) \
	/* VCVT: rd = convert<func4>(rs1) */					\
	X(VCVT,   0x74, "vcvt",   "",  XPU_SYN_RR,   XPU_IMM_NONE,  XPU_FN_CVT)	\
	/* VQNT: rd(int8) = sat(rne(rs1 * f32(rs2) + sext(imm32), func4 = type */ \
	X(VQNT,   0x75, "vqnt",   "",  XPU_SYN_RRRI, XPU_IMM_SIMM,  XPU_FN_VT)	\
	/* VSEL: rd[i] = rs1[i] != 0 ? rs2[i] : rs3[i], 32-bit elements */	\
	X(VSEL,   0x76, "vsel",   "",  XPU_SYN_RRRR, XPU_IMM_NONE,  XPU_FN_NONE)

/* the fields (XPU_U_*) an opcode of the table uses; a constant expression */
#define XPU_FN_BIT_(name, value, mn, types)	| (value)
#define XPU_OP_FIELDS(syn, imm, FN)					\
	(XPU_SYN_REGS(syn) | ((imm) != XPU_IMM_NONE ? XPU_U_IMM : 0u) |	\
	 ((0u FN(XPU_FN_BIT_)) ? XPU_U_FN : 0u))

/* func4 unused: only 0 */
#define XPU_FN_NONE(Y)		Y(XPU_FN_ZERO, 0, "", 0)

/* ALU / ALUI func4; arithmetic wraps mod 2^64; 15 reserved */
#define XPU_FN_ALU(Y)							\
	Y(XPU_ALU_ADD,   0, "add",  0)					\
	Y(XPU_ALU_SUB,   1, "sub",  0)					\
	Y(XPU_ALU_MUL,   2, "mul",  0)	/* low 64 bits */		\
	Y(XPU_ALU_AND,   3, "and",  0)					\
	Y(XPU_ALU_OR,    4, "or",   0)					\
	Y(XPU_ALU_XOR,   5, "xor",  0)					\
	Y(XPU_ALU_SHL,   6, "shl",  0)	/* shift count = b & 63 */	\
	Y(XPU_ALU_SHR,   7, "shr",  0)	/* logical */			\
	Y(XPU_ALU_SRA,   8, "sra",  0)	/* arithmetic */		\
	Y(XPU_ALU_SLT,   9, "slt",  0)	/* signed a < b ? 1 : 0 */	\
	Y(XPU_ALU_SLTU, 10, "sltu", 0)	/* unsigned */			\
	Y(XPU_ALU_DIVU, 11, "divu", 0)	/* b == 0 -> all ones */	\
	Y(XPU_ALU_REMU, 12, "remu", 0)	/* b == 0 -> a */		\
	Y(XPU_ALU_MIN,  13, "min",  0)	/* signed */			\
	Y(XPU_ALU_MAX,  14, "max",  0)	/* signed */

/* LD / ST func4: flags; bits 2-3 reserved */
#define XPU_MEM_W64	0x0	/* 64-bit access */
#define XPU_MEM_W32	0x1	/* 32-bit access, loads zero-extend */
#define XPU_MEM_LOCAL	0x2	/* address is a local SRAM address, not a device VA */
#define XPU_FN_MEM(Y)							\
	Y(W64, XPU_MEM_W64, "", 0)					\
	Y(W32, XPU_MEM_W32, "32", 0)					\
	Y(L64, XPU_MEM_LOCAL | XPU_MEM_W64, "l", 0)			\
	Y(L32, XPU_MEM_LOCAL | XPU_MEM_W32, "l32", 0)

/* BR func4 */
#define XPU_FN_BR(Y)							\
	Y(XPU_BR_EQ,  0, "eq",  0)					\
	Y(XPU_BR_NE,  1, "ne",  0)					\
	Y(XPU_BR_LT,  2, "lt",  0)	/* signed */			\
	Y(XPU_BR_GE,  3, "ge",  0)	/* signed */			\
	Y(XPU_BR_LTU, 4, "ltu", 0)					\
	Y(XPU_BR_GEU, 5, "geu", 0)

/*
 * Local SRAM addresses (DMA, MATMUL, vector operands, LD/ST with
 * XPU_MEM_LOCAL): [0, spad_bytes) is the scratchpad, XPU_LA_ACC + [0,
 * acc_bytes) the accumulator SRAM. An operand must lie wholly in one SRAM.
 */
#define XPU_LA_ACC	0x80000000ull

/* DMA func4: flags; bit 3 reserved */
#define XPU_DMA_VA_TO_LA	0x0
#define XPU_DMA_LA_TO_VA	0x1
#define XPU_DMA_VA_TO_VA	0x2
#define XPU_DMA_LA_TO_LA	0x3
#define XPU_DMA_DIR_MASK	0x3
#define XPU_DMA_2D		0x4	/* use DCFG rows/strides, else one row */
#define XPU_FN_DMA(Y)							\
	Y(V2L,    XPU_DMA_VA_TO_LA, ".v2l", 0)				\
	Y(L2V,    XPU_DMA_LA_TO_VA, ".l2v", 0)				\
	Y(V2V,    XPU_DMA_VA_TO_VA, ".v2v", 0)				\
	Y(L2L,    XPU_DMA_LA_TO_LA, ".l2l", 0)				\
	Y(V2L_2D, XPU_DMA_VA_TO_LA | XPU_DMA_2D, ".v2l.2d", 0)		\
	Y(L2V_2D, XPU_DMA_LA_TO_VA | XPU_DMA_2D, ".l2v.2d", 0)		\
	Y(V2V_2D, XPU_DMA_VA_TO_VA | XPU_DMA_2D, ".v2v.2d", 0)		\
	Y(L2L_2D, XPU_DMA_LA_TO_LA | XPU_DMA_2D, ".l2l.2d", 0)

/* MCFG func4 */
#define XPU_FN_MCFG(Y)							\
	Y(XPU_MCFG_SHAPE,  0, ".shape",  0)				\
	Y(XPU_MCFG_STRIDE, 1, ".stride", 0)

/* MATMUL func4: flags; bits 2-3 reserved */
#define XPU_MM_INT8		0x0	/* int8 x int8 -> int32 (wraps) */
#define XPU_MM_BF16		0x1	/* bf16 x bf16 -> fp32 */
#define XPU_MM_ACC		0x2	/* accumulate into C, else overwrite */
#define XPU_FN_MM(Y)							\
	Y(I8,      XPU_MM_INT8, ".i8", 0)				\
	Y(BF16,    XPU_MM_BF16, ".bf16", 0)				\
	Y(I8_ACC,  XPU_MM_INT8 | XPU_MM_ACC, ".i8.acc", 0)		\
	Y(BF16_ACC, XPU_MM_BF16 | XPU_MM_ACC, ".bf16.acc", 0)

/* Vector element types (imm bit 0 of VBIN/VUN/VRED, func4 of VQNT) */
#define XPU_FN_VT(Y)							\
	Y(XPU_VT_I32, 0, ".i32", XPU_TY_I32)				\
	Y(XPU_VT_F32, 1, ".f32", XPU_TY_F32)

/* VBIN imm flags */
#define XPU_VB_TYPE_MASK	0x1	/* XPU_VT_* */
#define XPU_VB_BCAST_SHIFT	1
#define XPU_VB_BCAST_MASK	(0x3u << XPU_VB_BCAST_SHIFT)
#define XPU_VB_FULL		(0u << XPU_VB_BCAST_SHIFT)	/* rs2 -> rows x cols */
#define XPU_VB_ROW		(1u << XPU_VB_BCAST_SHIFT)	/* rs2 -> cols vector, same for every row */
#define XPU_VB_COL		(2u << XPU_VB_BCAST_SHIFT)	/* rs2 -> rows vector, one per row */
#define XPU_VB_SCALAR		(3u << XPU_VB_BCAST_SHIFT)	/* register rs2, low 32 bits */
/* VBIN broadcast kinds (imm bits 2:1) and their mnemonic suffixes */
#define XPU_VB_BCASTS(Y)						\
	Y(FULL,   0, "",        0)					\
	Y(ROW,    1, ".row",    0)					\
	Y(COL,    2, ".col",    0)					\
	Y(SCALAR, 3, ".scalar", 0)

/* VBIN func4 */
#define XPU_FN_VBIN(Y)							\
	Y(XPU_VBIN_ADD, 0, "add", XPU_TY_ANY)				\
	Y(XPU_VBIN_SUB, 1, "sub", XPU_TY_ANY)				\
	Y(XPU_VBIN_MUL, 2, "mul", XPU_TY_ANY)				\
	Y(XPU_VBIN_MAX, 3, "max", XPU_TY_ANY)				\
	Y(XPU_VBIN_MIN, 4, "min", XPU_TY_ANY)				\
	Y(XPU_VBIN_DIV, 5, "div", XPU_TY_F32)	/* IEEE division */

/* VUN func4 */
#define XPU_FN_VUN(Y)							\
	Y(XPU_VUN_RELU,      0, "relu",     XPU_TY_ANY)			\
	Y(XPU_VUN_COPY,      1, "copy",     XPU_TY_ANY)			\
	Y(XPU_VUN_EXP,       2, "exp",      XPU_TY_F32)			\
	Y(XPU_VUN_GELU,      3, "gelu",     XPU_TY_F32)	/* tanh form */	\
	Y(XPU_VUN_RECIP,     4, "recip",    XPU_TY_F32)			\
	Y(XPU_VUN_RSQRT,     5, "rsqrt",    XPU_TY_F32)			\
	Y(XPU_VUN_NEG,       6, "neg",      XPU_TY_ANY)			\
	Y(XPU_VUN_TANH,      7, "tanh",     XPU_TY_F32)			\
	Y(XPU_VUN_SIGMOID,   8, "sigmoid",  XPU_TY_F32)			\
	Y(XPU_VUN_ERF,       9, "erf",      XPU_TY_F32)			\
	Y(XPU_VUN_SQRT,     10, "sqrt",     XPU_TY_F32)			\
	Y(XPU_VUN_ABS,      11, "abs",      XPU_TY_ANY)			\
	Y(XPU_VUN_GELU_ERF, 12, "gelu.erf", XPU_TY_F32)	/* erf form */

/* VRED func4 */
#define XPU_FN_VRED(Y)							\
	Y(XPU_VRED_SUM, 0, "sum", XPU_TY_ANY)				\
	Y(XPU_VRED_MAX, 1, "max", XPU_TY_ANY)

/* VCVT func4 */
#define XPU_FN_CVT(Y)							\
	Y(XPU_CVT_I32_F32,  0, ".i32.f32",  0)	/* round to nearest even */	\
	Y(XPU_CVT_F32_I32,  1, ".f32.i32",  0)	/* RNE, saturate, NaN -> 0 */	\
	Y(XPU_CVT_F32_BF16, 2, ".f32.bf16", 0)	/* RNE, NaN -> 0x7fc0 */	\
	Y(XPU_CVT_BF16_F32, 3, ".bf16.f32", 0)	/* exact */		\
	Y(XPU_CVT_I8_I32,   4, ".i8.i32",   0)	/* sign extend */	\
	Y(XPU_CVT_I8_BF16,  5, ".i8.bf16",  0)	/* exact */

/* The constants of the tables */
#define XPU_ISA_OP_CONST_(name, code, pre, suf, syn, imm, fn)	XPU_OP_##name = (code),
#define XPU_ISA_FN_CONST_(name, value, mn, types)			name = (value),
enum xpu_isa_opcode { XPU_OPCODES(XPU_ISA_OP_CONST_) };
enum xpu_isa_alu { XPU_FN_ALU(XPU_ISA_FN_CONST_) };
enum xpu_isa_br { XPU_FN_BR(XPU_ISA_FN_CONST_) };
enum xpu_isa_mcfg { XPU_FN_MCFG(XPU_ISA_FN_CONST_) };
enum xpu_isa_vt { XPU_FN_VT(XPU_ISA_FN_CONST_) };
enum xpu_isa_vbin { XPU_FN_VBIN(XPU_ISA_FN_CONST_) };
enum xpu_isa_vun { XPU_FN_VUN(XPU_ISA_FN_CONST_) };
enum xpu_isa_vred { XPU_FN_VRED(XPU_ISA_FN_CONST_) };
enum xpu_isa_cvt { XPU_FN_CVT(XPU_ISA_FN_CONST_) };

/* the (n mod their number)-th defined opcode, in table order: for fuzzers */
static inline uint32_t xpu_isa_nth_opcode(uint64_t n)
{
#define XPU_ISA_OP_CODE_(name, code, ...)	(code),
	static const uint8_t codes[] = { XPU_OPCODES(XPU_ISA_OP_CODE_) };
#undef XPU_ISA_OP_CODE_

	return codes[n % sizeof(codes)];
}

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
/* rd[i] = rmask[i] != 0 ? ra[i] : rb[i] */
static inline uint64_t xpu_vsel(uint32_t rd, uint32_t rmask, uint32_t ra, uint32_t rb)
{ return xpu_insn(XPU_OP_VSEL, rd, rmask, ra, rb, 0, 0); }

#endif /* XPU_ISA_H */
