// SPDX-License-Identifier: MIT
/*
 * libxpu: the XPU assembler and disassembler (syntax in docs/runtime.md).
 * One instruction table drives both directions; the disassembler prints a
 * word as an instruction only when re-encoding the printed form gives the
 * same word back, else as ".word", so text -> binary -> text -> binary is
 * exact.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum fmt {
	F_NONE,		/* halt */
	F_RI,		/* li rd, imm */
	F_RRR,		/* add rd, rs1, rs2 */
	F_RRI,		/* addi rd, rs1, imm */
	F_LD,		/* ld rd, imm(rs1) */
	F_ST,		/* st rs2, imm(rs1) */
	F_BR,		/* beq rs1, rs2, target */
	F_JAL,		/* jal rd, target */
	F_S3,		/* dcfg rs1, rs2, rs3 */
	F_S2,		/* vcfg rs1, rs2 */
	F_RR,		/* vrelu.f32 rd, rs1 */
	F_RRRI,		/* vqnt.f32 rd, rs1, rs2, imm */
};

struct insn_def {
	const char *name;
	uint8_t op, func, fmt;
	uint8_t imm_fixed;	/* the imm field is part of the mnemonic */
	uint32_t imm;
	uint8_t imm_unsigned;	/* print imm as unsigned hex */
};

#define D(n, o, f, fm) { n, o, f, fm, 0, 0, 0 }
#define DU(n, o, f, fm) { n, o, f, fm, 0, 0, 1 }
#define DI(n, o, f, fm, i) { n, o, f, fm, 1, i, 0 }
#define VB(n, f, t) DI(n, XPU_OP_VBIN, f, F_RRR, (t)), \
	DI(n ".row", XPU_OP_VBIN, f, F_RRR, (t) | XPU_VB_ROW), \
	DI(n ".col", XPU_OP_VBIN, f, F_RRR, (t) | XPU_VB_COL), \
	DI(n ".scalar", XPU_OP_VBIN, f, F_RRR, (t) | XPU_VB_SCALAR)
#define ALU(n, f) D(n, XPU_OP_ALU, f, F_RRR), D(n "i", XPU_OP_ALUI, f, F_RRI)

static const struct insn_def insns[] = {
	D("halt", XPU_OP_HALT, 0, F_NONE),
	D("nop", XPU_OP_NOP, 0, F_NONE),
	D("fence", XPU_OP_FENCE, 0, F_NONE),
	D("li", XPU_OP_LI, 0, F_RI),
	DU("liu", XPU_OP_LIU, 0, F_RI),
	DU("lih", XPU_OP_LIH, 0, F_RI),
	ALU("add", XPU_ALU_ADD), ALU("sub", XPU_ALU_SUB), ALU("mul", XPU_ALU_MUL),
	ALU("and", XPU_ALU_AND), ALU("or", XPU_ALU_OR), ALU("xor", XPU_ALU_XOR),
	ALU("shl", XPU_ALU_SHL), ALU("shr", XPU_ALU_SHR), ALU("sra", XPU_ALU_SRA),
	ALU("slt", XPU_ALU_SLT), ALU("sltu", XPU_ALU_SLTU), ALU("divu", XPU_ALU_DIVU),
	ALU("remu", XPU_ALU_REMU), ALU("min", XPU_ALU_MIN), ALU("max", XPU_ALU_MAX),
	D("ld", XPU_OP_LD, XPU_MEM_W64, F_LD),
	D("ld32", XPU_OP_LD, XPU_MEM_W32, F_LD),
	D("ldl", XPU_OP_LD, XPU_MEM_LOCAL | XPU_MEM_W64, F_LD),
	D("ldl32", XPU_OP_LD, XPU_MEM_LOCAL | XPU_MEM_W32, F_LD),
	D("st", XPU_OP_ST, XPU_MEM_W64, F_ST),
	D("st32", XPU_OP_ST, XPU_MEM_W32, F_ST),
	D("stl", XPU_OP_ST, XPU_MEM_LOCAL | XPU_MEM_W64, F_ST),
	D("stl32", XPU_OP_ST, XPU_MEM_LOCAL | XPU_MEM_W32, F_ST),
	D("beq", XPU_OP_BR, XPU_BR_EQ, F_BR), D("bne", XPU_OP_BR, XPU_BR_NE, F_BR),
	D("blt", XPU_OP_BR, XPU_BR_LT, F_BR), D("bge", XPU_OP_BR, XPU_BR_GE, F_BR),
	D("bltu", XPU_OP_BR, XPU_BR_LTU, F_BR), D("bgeu", XPU_OP_BR, XPU_BR_GEU, F_BR),
	D("jal", XPU_OP_JAL, 0, F_JAL),
	D("jalr", XPU_OP_JALR, 0, F_RRI),
	D("dcfg", XPU_OP_DCFG, 0, F_S3),
	D("dma.v2l", XPU_OP_DMA, XPU_DMA_VA_TO_LA, F_RRR),
	D("dma.l2v", XPU_OP_DMA, XPU_DMA_LA_TO_VA, F_RRR),
	D("dma.v2v", XPU_OP_DMA, XPU_DMA_VA_TO_VA, F_RRR),
	D("dma.l2l", XPU_OP_DMA, XPU_DMA_LA_TO_LA, F_RRR),
	D("dma.v2l.2d", XPU_OP_DMA, XPU_DMA_VA_TO_LA | XPU_DMA_2D, F_RRR),
	D("dma.l2v.2d", XPU_OP_DMA, XPU_DMA_LA_TO_VA | XPU_DMA_2D, F_RRR),
	D("dma.v2v.2d", XPU_OP_DMA, XPU_DMA_VA_TO_VA | XPU_DMA_2D, F_RRR),
	D("dma.l2l.2d", XPU_OP_DMA, XPU_DMA_LA_TO_LA | XPU_DMA_2D, F_RRR),
	D("mcfg.shape", XPU_OP_MCFG, XPU_MCFG_SHAPE, F_S3),
	D("mcfg.stride", XPU_OP_MCFG, XPU_MCFG_STRIDE, F_S3),
	D("matmul.i8", XPU_OP_MATMUL, XPU_MM_INT8, F_RRR),
	D("matmul.bf16", XPU_OP_MATMUL, XPU_MM_BF16, F_RRR),
	D("matmul.i8.acc", XPU_OP_MATMUL, XPU_MM_INT8 | XPU_MM_ACC, F_RRR),
	D("matmul.bf16.acc", XPU_OP_MATMUL, XPU_MM_BF16 | XPU_MM_ACC, F_RRR),
	D("vcfg", XPU_OP_VCFG, 0, F_S2),
	VB("vadd.i32", XPU_VBIN_ADD, XPU_VT_I32), VB("vadd.f32", XPU_VBIN_ADD, XPU_VT_F32),
	VB("vsub.i32", XPU_VBIN_SUB, XPU_VT_I32), VB("vsub.f32", XPU_VBIN_SUB, XPU_VT_F32),
	VB("vmul.i32", XPU_VBIN_MUL, XPU_VT_I32), VB("vmul.f32", XPU_VBIN_MUL, XPU_VT_F32),
	VB("vmax.i32", XPU_VBIN_MAX, XPU_VT_I32), VB("vmax.f32", XPU_VBIN_MAX, XPU_VT_F32),
	VB("vmin.i32", XPU_VBIN_MIN, XPU_VT_I32), VB("vmin.f32", XPU_VBIN_MIN, XPU_VT_F32),
#define VU(n, f) DI(n ".i32", XPU_OP_VUN, f, F_RR, XPU_VT_I32), \
	DI(n ".f32", XPU_OP_VUN, f, F_RR, XPU_VT_F32)
	VU("vrelu", XPU_VUN_RELU), VU("vcopy", XPU_VUN_COPY), VU("vexp", XPU_VUN_EXP),
	VU("vgelu", XPU_VUN_GELU), VU("vrecip", XPU_VUN_RECIP), VU("vrsqrt", XPU_VUN_RSQRT),
	VU("vneg", XPU_VUN_NEG),
	DI("vredsum.i32", XPU_OP_VRED, XPU_VRED_SUM, F_RR, XPU_VT_I32),
	DI("vredsum.f32", XPU_OP_VRED, XPU_VRED_SUM, F_RR, XPU_VT_F32),
	DI("vredmax.i32", XPU_OP_VRED, XPU_VRED_MAX, F_RR, XPU_VT_I32),
	DI("vredmax.f32", XPU_OP_VRED, XPU_VRED_MAX, F_RR, XPU_VT_F32),
	D("vcvt.i32.f32", XPU_OP_VCVT, XPU_CVT_I32_F32, F_RR),
	D("vcvt.f32.i32", XPU_OP_VCVT, XPU_CVT_F32_I32, F_RR),
	D("vcvt.f32.bf16", XPU_OP_VCVT, XPU_CVT_F32_BF16, F_RR),
	D("vcvt.bf16.f32", XPU_OP_VCVT, XPU_CVT_BF16_F32, F_RR),
	D("vcvt.i8.i32", XPU_OP_VCVT, XPU_CVT_I8_I32, F_RR),
	D("vcvt.i8.bf16", XPU_OP_VCVT, XPU_CVT_I8_BF16, F_RR),
	D("vqnt.i32", XPU_OP_VQNT, XPU_VT_I32, F_RRRI),
	D("vqnt.f32", XPU_OP_VQNT, XPU_VT_F32, F_RRRI),
};
#define NUM_INSNS (sizeof(insns) / sizeof(insns[0]))

static int fmt_has_imm(int f)
{
	return f == F_RI || f == F_RRI || f == F_LD || f == F_ST || f == F_BR || f == F_JAL ||
	       f == F_RRRI;
}

/* ---- assembler ------------------------------------------------------------- */
#define MAX_LABELS 4096
#define NAME_LEN 64

struct label {
	char name[NAME_LEN];
	uint32_t index;		/* instruction index in the kernel */
};

struct fixup {
	char name[NAME_LEN];
	uint32_t at;		/* instruction index (kernel relative) */
	int line;
};

struct asm_state {
	const char *file;
	int line;
	struct xpu_image img;
	uint64_t *text;
	uint32_t n, cap;	/* instructions in text */
	int in_kernel;
	struct label *labels;
	uint32_t nlabels;
	struct fixup *fixups;
	uint32_t nfixups;
	uint32_t kstart;	/* first instruction of the current kernel */
	uint32_t args_cap;
};

static xpu_status serr(struct asm_state *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static xpu_status serr(struct asm_state *a, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return xpu_set_error(XPU_ERROR_INVALID_SOURCE, "%s:%d: %s", a->file, a->line, msg);
}

static xpu_status emit(struct asm_state *a, uint64_t w)
{
	if (!a->in_kernel)
		return serr(a, "instruction outside a kernel (start one with .kernel NAME)");
	if (a->n == a->cap) {
		uint32_t cap = a->cap ? 2 * a->cap : 256;
		uint64_t *t = realloc(a->text, cap * sizeof(*t));

		if (!t)
			return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "realloc");
		a->text = t;
		a->cap = cap;
	}
	a->text[a->n++] = w;
	return XPU_SUCCESS;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int parse_reg(const char *s, uint32_t *r)
{
	char *end;
	long v;

	if (s[0] != 'r' || !isdigit((unsigned char)s[1]))
		return -1;
	v = strtol(s + 1, &end, 10);
	if (*end || v < 0 || v >= XPU_NUM_REGS)
		return -1;
	*r = (uint32_t)v;
	return 0;
}

/* An integer (decimal, 0x hex, negative) or f:<float> (its fp32 bits). */
static int parse_int(const char *s, int64_t *v)
{
	char *end;

	if (!strncmp(s, "f:", 2)) {
		float f = strtof(s + 2, &end);
		uint32_t u;

		if (end == s + 2 || *end)
			return -1;
		memcpy(&u, &f, 4);
		*v = u;
		return 0;
	}
	errno = 0;
	if (s[0] == '-')
		*v = strtoll(s, &end, 0);
	else
		*v = (int64_t)strtoull(s, &end, 0);
	if (end == s || *end || errno)
		return -1;
	return 0;
}

static xpu_status imm32(struct asm_state *a, const char *s, int allow_unsigned, uint32_t *out)
{
	int64_t v;

	if (parse_int(s, &v))
		return serr(a, "bad immediate '%s'", s);
	if (v < INT32_MIN || v > (allow_unsigned ? (int64_t)UINT32_MAX : INT32_MAX))
		return serr(a, "immediate %s out of range (%s 32 bits)", s,
			    allow_unsigned ? "unsigned or signed" : "signed");
	*out = (uint32_t)v;
	return XPU_SUCCESS;
}

static int split_ops(char *s, char **ops, int max)
{
	int n = 0;

	s = trim(s);
	if (!*s)
		return 0;
	while (n < max) {
		char *c = strchr(s, ',');

		if (c)
			*c = '\0';
		ops[n++] = trim(s);
		if (!c)
			return n;
		s = c + 1;
	}
	return -1;
}

static xpu_status target(struct asm_state *a, const char *s, uint32_t *imm)
{
	uint32_t here = a->n - a->kstart;

	if (s[0] == '.' && (s[1] == '+' || s[1] == '-')) {
		int64_t v;

		if (parse_int(s + (s[1] == '+' ? 2 : 1), &v) || v < INT32_MIN || v > INT32_MAX)
			return serr(a, "bad relative target '%s'", s);
		*imm = (uint32_t)(int32_t)v;
		return XPU_SUCCESS;
	}
	if (!xpu_ident_valid(s))
		return serr(a, "bad branch target '%s'", s);
	if (a->nfixups == MAX_LABELS)
		return serr(a, "too many branches");
	snprintf(a->fixups[a->nfixups].name, NAME_LEN, "%s", s);
	a->fixups[a->nfixups].at = here;
	a->fixups[a->nfixups].line = a->line;
	a->nfixups++;
	*imm = 0;
	return XPU_SUCCESS;
}

static xpu_status assemble_insn(struct asm_state *a, const char *mn, char *rest)
{
	const struct insn_def *d = NULL;
	char *ops[5];
	uint32_t r[4] = { 0 }, imm = 0, rd = 0, rs1 = 0, rs2 = 0, rs3 = 0;
	int n, want;
	xpu_status st;

	for (size_t i = 0; i < NUM_INSNS; i++)
		if (!strcmp(insns[i].name, mn))
			d = &insns[i];
	if (!d)
		return serr(a, "unknown instruction '%s'", mn);
	n = split_ops(rest, ops, 5);
	switch (d->fmt) {
	case F_NONE: want = 0; break;
	case F_RI: case F_LD: case F_ST: case F_JAL: case F_S2: case F_RR: want = 2; break;
	case F_RRRI: want = 4; break;
	default: want = 3;
	}
	if (n != want)
		return serr(a, "'%s' takes %d operands, %d given", mn, want, n < 0 ? 5 : n);
	/* leading register operands */
	{
		int nregs = 0;

		switch (d->fmt) {
		case F_RI: case F_JAL: nregs = 1; break;
		case F_RRI: case F_BR: case F_RR: case F_S2: nregs = 2; break;
		case F_RRR: case F_S3: case F_RRRI: nregs = 3; break;
		case F_LD: case F_ST: nregs = 1; break;
		}
		for (int i = 0; i < nregs; i++)
			if (parse_reg(ops[i], &r[i]))
				return serr(a, "'%s' operand %d: expected a register r0..r31, got '%s'",
					    mn, i + 1, ops[i]);
	}
	switch (d->fmt) {
	case F_NONE:
		break;
	case F_RI:
		rd = r[0];
		st = imm32(a, ops[1], d->op != XPU_OP_LI, &imm);
		if (st)
			return st;
		break;
	case F_RRR:
		rd = r[0], rs1 = r[1], rs2 = r[2];
		break;
	case F_RRI:
		rd = r[0], rs1 = r[1];
		st = imm32(a, ops[2], 0, &imm);
		if (st)
			return st;
		break;
	case F_LD:
	case F_ST: {
		char *lp = strchr(ops[1], '('), *rp = strchr(ops[1], ')');
		uint32_t base;

		if (!lp || !rp || rp < lp || rp[1])
			return serr(a, "'%s': expected offset(rN), got '%s'", mn, ops[1]);
		*lp = *rp = '\0';
		if (parse_reg(trim(lp + 1), &base))
			return serr(a, "'%s': bad base register '%s'", mn, lp + 1);
		if (*trim(ops[1])) {
			st = imm32(a, trim(ops[1]), 0, &imm);
			if (st)
				return st;
		}
		rs1 = base;
		if (d->fmt == F_LD)
			rd = r[0];
		else
			rs2 = r[0];
		break;
	}
	case F_BR:
		rs1 = r[0], rs2 = r[1];
		st = target(a, ops[2], &imm);
		if (st)
			return st;
		break;
	case F_JAL:
		rd = r[0];
		st = target(a, ops[1], &imm);
		if (st)
			return st;
		break;
	case F_S3:
		rs1 = r[0], rs2 = r[1], rs3 = r[2];
		break;
	case F_S2:
		rs1 = r[0], rs2 = r[1];
		break;
	case F_RR:
		rd = r[0], rs1 = r[1];
		break;
	case F_RRRI:
		rd = r[0], rs1 = r[1], rs2 = r[2];
		st = imm32(a, ops[3], 0, &imm);
		if (st)
			return st;
		break;
	}
	if (d->imm_fixed)
		imm = d->imm;
	return emit(a, xpu_insn(d->op, rd, rs1, rs2, rs3, d->func, imm));
}

static xpu_status end_kernel(struct asm_state *a)
{
	struct xpu_image_kernel *k;

	if (!a->in_kernel)
		return XPU_SUCCESS;
	k = &a->img.kernels[a->img.num_kernels - 1];
	for (uint32_t i = 0; i < a->nfixups; i++) {
		struct fixup *f = &a->fixups[i];
		uint32_t j;

		for (j = 0; j < a->nlabels && strcmp(a->labels[j].name, f->name); j++)
			;
		if (j == a->nlabels) {
			a->line = f->line;
			return serr(a, "undefined label '%s' in kernel '%s'", f->name, k->name);
		}
		a->text[a->kstart + f->at] |= (uint32_t)((int32_t)a->labels[j].index - (int32_t)f->at);
	}
	if (a->n == a->kstart)
		return serr(a, "kernel '%s' has no instructions", k->name);
	k->text_offset = a->kstart * 8;
	k->text_size = (a->n - a->kstart) * 8;
	a->nlabels = a->nfixups = 0;
	a->in_kernel = 0;
	return XPU_SUCCESS;
}

static xpu_status directive(struct asm_state *a, const char *dir, char *rest)
{
	struct xpu_image_kernel *k = a->in_kernel ? &a->img.kernels[a->img.num_kernels - 1] : NULL;
	char *ops[3];
	int n = split_ops(rest, ops, 3);
	xpu_status st;

	if (!strcmp(dir, ".kernel")) {
		struct xpu_image_kernel *ks;

		st = end_kernel(a);
		if (st)
			return st;
		if (n != 1 || !xpu_ident_valid(ops[0]))
			return serr(a, ".kernel takes one name (letters, digits, _ and ., at most %d)",
				    XPU_META_NAME_MAX);
		for (uint32_t i = 0; i < a->img.num_kernels; i++)
			if (!strcmp(a->img.kernels[i].name, ops[0]))
				return serr(a, "kernel '%s' defined twice", ops[0]);
		if (a->img.num_kernels == XPU_META_MAX_KERNELS)
			return serr(a, "too many kernels");
		ks = realloc(a->img.kernels, (a->img.num_kernels + 1) * sizeof(*ks));
		if (!ks)
			return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "realloc");
		a->img.kernels = ks;
		k = &ks[a->img.num_kernels++];
		memset(k, 0, sizeof(*k));
		strcpy(k->name, ops[0]);
		k->args = calloc(XPU_META_MAX_ARGS, sizeof(*k->args));
		if (!k->args)
			return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
		a->in_kernel = 1;
		a->kstart = a->n;
		return XPU_SUCCESS;
	}
	if (!strcmp(dir, ".end")) {
		if (!a->in_kernel)
			return serr(a, ".end outside a kernel");
		return n ? serr(a, ".end takes no operands") : end_kernel(a);
	}
	if (!k)
		return serr(a, "%s outside a kernel", dir);
	if (!strcmp(dir, ".arg")) {
		char *sp;
		uint32_t type;

		if (n != 1 || !(sp = strpbrk(ops[0], " \t")))
			return serr(a, ".arg takes NAME TYPE");
		*sp = '\0';
		if (!xpu_ident_valid(ops[0]))
			return serr(a, "bad argument name '%s'", ops[0]);
		if (xpu_arg_type_parse(trim(sp + 1), &type))
			return serr(a, "unknown argument type '%s' (buffer, u64, i64, u32, i32, f32)",
				    trim(sp + 1));
		if (k->num_args == XPU_META_MAX_ARGS)
			return serr(a, "more than %d arguments", XPU_META_MAX_ARGS);
		for (uint32_t i = 0; i < k->num_args; i++)
			if (!strcmp(k->args[i].name, ops[0]))
				return serr(a, "argument '%s' declared twice", ops[0]);
		strcpy(k->args[k->num_args].name, ops[0]);
		k->args[k->num_args++].type = type;
		return XPU_SUCCESS;
	}
	if (!strcmp(dir, ".spad") || !strcmp(dir, ".acc")) {
		int64_t v;

		if (n != 1 || parse_int(ops[0], &v) || v < 0 || v > UINT32_MAX)
			return serr(a, "%s takes a byte count", dir);
		if (dir[1] == 's')
			k->spad_size = (uint32_t)v;
		else
			k->acc_size = (uint32_t)v;
		return XPU_SUCCESS;
	}
	if (!strcmp(dir, ".word")) {
		int64_t v;

		if (n != 1 || parse_int(ops[0], &v))
			return serr(a, ".word takes one 64-bit value");
		return emit(a, (uint64_t)v);
	}
	return serr(a, "unknown directive '%s'", dir);
}

static xpu_status assemble_line(struct asm_state *a, char *line)
{
	char *c, *s, *mn;

	for (c = line; *c; c++) {
		if (*c == '#' || *c == ';' || (c[0] == '/' && c[1] == '/')) {
			*c = '\0';
			break;
		}
	}
	s = trim(line);
	/* labels: an identifier directly followed by ':' at the start */
	for (;;) {
		char name[NAME_LEN];
		size_t len = 0;

		while (isalnum((unsigned char)s[len]) || s[len] == '_' || s[len] == '.')
			len++;
		if (!len || s[len] != ':')
			break;
		if (len >= NAME_LEN)
			return serr(a, "label too long");
		memcpy(name, s, len);
		name[len] = '\0';
		if (!xpu_ident_valid(name))
			return serr(a, "bad label '%s'", name);
		if (!a->in_kernel)
			return serr(a, "label '%s' outside a kernel", name);
		for (uint32_t i = 0; i < a->nlabels; i++)
			if (!strcmp(a->labels[i].name, name))
				return serr(a, "label '%s' defined twice", name);
		if (a->nlabels == MAX_LABELS)
			return serr(a, "too many labels");
		strcpy(a->labels[a->nlabels].name, name);
		a->labels[a->nlabels++].index = a->n - a->kstart;
		s = trim(s + len + 1);
	}
	if (!*s)
		return XPU_SUCCESS;
	mn = s;
	while (*s && !isspace((unsigned char)*s))
		s++;
	if (*s)
		*s++ = '\0';
	if (mn[0] == '.')
		return directive(a, mn, s);
	for (c = mn; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return assemble_insn(a, mn, s);
}

XPU_EXPORT xpu_status xpu_assemble(const char *source, const char *filename, void **image,
				   size_t *size)
{
	struct asm_state a;
	char *copy, *line, *next;
	xpu_status st = XPU_SUCCESS;

	if (!source || !image || !size)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	memset(&a, 0, sizeof(a));
	a.file = filename ? filename : "<input>";
	a.img.isa_version = XPU_ISA_VERSION;
	a.labels = calloc(MAX_LABELS, sizeof(*a.labels));
	a.fixups = calloc(MAX_LABELS, sizeof(*a.fixups));
	copy = strdup(source);
	if (!copy || !a.labels || !a.fixups) {
		st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "malloc");
		goto out;
	}
	for (line = copy; line && !st; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		a.line++;
		st = assemble_line(&a, line);
	}
	if (!st)
		st = end_kernel(&a);
	if (!st && !a.img.num_kernels)
		st = serr(&a, "no kernels (start one with .kernel NAME)");
	if (!st) {
		a.img.text = (uint8_t *)a.text;
		a.img.text_size = a.n * 8;
		a.text = NULL;
		st = xpu_image_write(&a.img, image, size);
		if (st == XPU_ERROR_INVALID_BINARY)
			st = xpu_set_error(XPU_ERROR_INVALID_SOURCE, "%s: %s", a.file, xpu_last_error());
	}
out:
	free(copy);
	free(a.labels);
	free(a.fixups);
	free(a.text);
	xpu_image_free(&a.img);
	return xpu_ok(st);
}

/* ---- disassembler ---------------------------------------------------------- */
struct outbuf {
	char *p;
	size_t n, cap;
	int oom;
};

static void out(struct outbuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out(struct outbuf *o, const char *fmt, ...)
{
	va_list ap;
	int len;

	if (o->oom)
		return;
	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (o->n + len + 1 > o->cap) {
		size_t cap = (o->cap + len + 1) * 2;
		char *p = realloc(o->p, cap);

		if (!p) {
			o->oom = 1;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(o->p + o->n, o->cap - o->n, fmt, ap);
	va_end(ap);
	o->n += len;
}

/* Decode w at index pc of a kernel of n instructions; NULL if it is not the
 * canonical encoding of any table entry. */
static const struct insn_def *decode(uint64_t w)
{
	uint32_t op = XPU_INSN_OP(w), func = XPU_INSN_FUNC(w), imm = XPU_INSN_IMM(w);

	for (size_t i = 0; i < NUM_INSNS; i++) {
		const struct insn_def *d = &insns[i];
		uint64_t mask = 0;

		if (d->op != op || d->func != func || (d->imm_fixed && d->imm != imm))
			continue;
		/* fields the format uses may be anything; the rest must be zero */
		switch (d->fmt) {
		case F_NONE: break;
		case F_RI: case F_JAL: mask = 0x1full << XPU_F_RD_SHIFT; break;
		case F_RRI: case F_LD: case F_RR:
			mask = 0x1full << XPU_F_RD_SHIFT | 0x1full << XPU_F_RS1_SHIFT; break;
		case F_RRR: case F_RRRI:
			mask = 0x1full << XPU_F_RD_SHIFT | 0x1full << XPU_F_RS1_SHIFT |
			       0x1full << XPU_F_RS2_SHIFT; break;
		case F_ST: case F_BR: case F_S2:
			mask = 0x1full << XPU_F_RS1_SHIFT | 0x1full << XPU_F_RS2_SHIFT; break;
		case F_S3:
			mask = 0x1full << XPU_F_RS1_SHIFT | 0x1full << XPU_F_RS2_SHIFT |
			       0x1full << XPU_F_RS3_SHIFT; break;
		}
		mask |= 0xffull << XPU_F_OP_SHIFT | 0xfull << XPU_F_FUNC_SHIFT;
		if (fmt_has_imm(d->fmt) || d->imm_fixed)
			mask |= 0xffffffffull;
		if (w & ~mask)
			continue;
		return d;
	}
	return NULL;
}

static void dis_insn(struct outbuf *o, uint64_t w, uint32_t pc, uint32_t n)
{
	const struct insn_def *d = decode(w);
	uint32_t rd = XPU_INSN_RD(w), rs1 = XPU_INSN_RS1(w), rs2 = XPU_INSN_RS2(w);
	uint32_t rs3 = XPU_INSN_RS3(w);
	int32_t simm = (int32_t)XPU_INSN_IMM(w);
	char tgt[32];

	if (!d) {
		out(o, "\t.word 0x%016" PRIx64 "\n", w);
		return;
	}
	if (d->fmt == F_BR || d->fmt == F_JAL) {
		int64_t t = (int64_t)pc + simm;

		if (t >= 0 && t < n)
			snprintf(tgt, sizeof(tgt), "L%" PRId64, t);
		else
			snprintf(tgt, sizeof(tgt), ".%+d", simm);
	}
	out(o, "\t%s", d->name);
	switch (d->fmt) {
	case F_NONE: break;
	case F_RI:
		if (d->imm_unsigned)
			out(o, " r%u, 0x%x", rd, XPU_INSN_IMM(w));
		else
			out(o, " r%u, %d", rd, simm);
		break;
	case F_RRR: out(o, " r%u, r%u, r%u", rd, rs1, rs2); break;
	case F_RRI: out(o, " r%u, r%u, %d", rd, rs1, simm); break;
	case F_LD: out(o, " r%u, %d(r%u)", rd, simm, rs1); break;
	case F_ST: out(o, " r%u, %d(r%u)", rs2, simm, rs1); break;
	case F_BR: out(o, " r%u, r%u, %s", rs1, rs2, tgt); break;
	case F_JAL: out(o, " r%u, %s", rd, tgt); break;
	case F_S3: out(o, " r%u, r%u, r%u", rs1, rs2, rs3); break;
	case F_S2: out(o, " r%u, r%u", rs1, rs2); break;
	case F_RR: out(o, " r%u, r%u", rd, rs1); break;
	case F_RRRI: out(o, " r%u, r%u, r%u, %d", rd, rs1, rs2, simm); break;
	}
	out(o, "\n");
}

XPU_EXPORT xpu_status xpu_disassemble(const void *image, size_t size, char **source)
{
	struct xpu_image img;
	struct outbuf o = { 0 };
	uint8_t *is_target = NULL;
	xpu_status st;

	if (!image || !source)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	st = xpu_image_parse(image, size, &img);
	if (st)
		return st;
	out(&o, "# XPU ISA %u.%u, %u kernel(s)\n", img.isa_version >> 16, img.isa_version & 0xffff,
	    img.num_kernels);
	for (uint32_t i = 0; i < img.num_kernels; i++) {
		const struct xpu_image_kernel *k = &img.kernels[i];
		const uint64_t *t = (const uint64_t *)(img.text + k->text_offset);
		uint32_t n = k->text_size / 8;

		free(is_target);
		is_target = calloc(n, 1);
		if (!is_target) {
			o.oom = 1;
			break;
		}
		for (uint32_t pc = 0; pc < n; pc++) {
			const struct insn_def *d = decode(t[pc]);

			if (d && (d->fmt == F_BR || d->fmt == F_JAL)) {
				int64_t tg = (int64_t)pc + (int32_t)XPU_INSN_IMM(t[pc]);

				if (tg >= 0 && tg < n)
					is_target[tg] = 1;
			}
		}
		out(&o, "\n.kernel %s\n", k->name);
		for (uint32_t a = 0; a < k->num_args; a++)
			out(&o, ".arg %s %s\n", k->args[a].name, xpu_arg_type_name(k->args[a].type));
		if (k->spad_size)
			out(&o, ".spad %u\n", k->spad_size);
		if (k->acc_size)
			out(&o, ".acc %u\n", k->acc_size);
		for (uint32_t pc = 0; pc < n; pc++) {
			if (is_target[pc])
				out(&o, "L%u:\n", pc);
			dis_insn(&o, t[pc], pc, n);
		}
		out(&o, ".end\n");
	}
	free(is_target);
	xpu_image_free(&img);
	if (o.oom) {
		free(o.p);
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "out of memory disassembling");
	}
	*source = o.p;
	return xpu_ok(XPU_SUCCESS);
}
