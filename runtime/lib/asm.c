// SPDX-License-Identifier: MIT
/*
 * libxpu: the XPU assembler and disassembler (syntax in docs/runtime.md).
 * Both directions are generated from the instruction table of xpu_isa.h; the
 * disassembler prints a word as an instruction only if it is a defined
 * encoding (the engine's decoder rules), and then the printed form assembles
 * back to the same word; anything else is printed as ".word", so text ->
 * binary -> text -> binary is exact.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/*
 * The instruction table is generated from the X-macro tables in xpu_isa.h:
 * a mnemonic is the opcode's prefix + the func4 entry's mnemonic + the
 * opcode's suffix, then for vector ops typed by imm the type suffix (.i32,
 * .f32; only the types the operation is defined for) and for VBIN the
 * broadcast suffix. Exactly the encodings the engine accepts have a
 * mnemonic; anything else disassembles as .word.
 */
struct fn_def {
	const char *mn;		/* NULL ends a table */
	uint8_t value, types;
};

struct op_def {
	const char *pre, *suf;
	uint8_t code, used, syn, imm;
	const struct fn_def *fns;
};

#define FN_DEF(name, value, mn, types) { mn, value, types },
#define FN_END { NULL, 0, 0 }
#define OP_DEF(name, code, pre, suf, syn, imm, fn)				\
	{ pre, suf, code, XPU_OP_FIELDS(syn, imm, fn), syn, imm,		\
	  (const struct fn_def[]){ fn(FN_DEF) FN_END } },

static const struct op_def op_defs[] = { XPU_OPCODES(OP_DEF) };
static const struct fn_def vtypes[] = { XPU_FN_VT(FN_DEF) FN_END };
static const struct fn_def bcasts[] = { XPU_VB_BCASTS(FN_DEF) FN_END };
#define NUM_OPS (sizeof(op_defs) / sizeof(op_defs[0]))

/* one mnemonic: an opcode, a func4 entry and, if the opcode has them, the
 * type and broadcast variants (which fix imm) */
struct insn_def {
	const struct op_def *op;
	const struct fn_def *fn, *type, *bcast;
};

static const struct fn_def *find_fn(const struct fn_def *t, uint32_t value)
{
	for (; t->mn; t++)
		if (t->value == value)
			return t;
	return NULL;
}

static void insn_name(const struct insn_def *d, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s%s", d->op->pre, d->fn->mn, d->op->suf,
		 d->type ? d->type->mn : "", d->bcast ? d->bcast->mn : "");
}

/* the imm bits the mnemonic fixes (type, broadcast); 0 if none */
static uint32_t insn_fixed_imm(const struct insn_def *d)
{
	uint32_t imm = d->type ? d->type->value : 0;

	if (d->bcast)
		imm |= (uint32_t)d->bcast->value << XPU_VB_BCAST_SHIFT;
	return imm;
}

static int typed(const struct op_def *o)
{
	return o->imm == XPU_IMM_VTYPE || o->imm == XPU_IMM_VBIN;
}

/* Every mnemonic, built once (pthread_once: the library is thread-safe). */
#define MAX_MNEMONICS 512
struct mnemonic {
	char name[32];
	struct insn_def d;
};
static struct mnemonic mnemonics[MAX_MNEMONICS];
static size_t num_mnemonics;
static pthread_once_t mnemonics_once = PTHREAD_ONCE_INIT;

static void add_mnemonic(const struct insn_def *d)
{
	if (num_mnemonics < MAX_MNEMONICS) {
		insn_name(d, mnemonics[num_mnemonics].name, sizeof(mnemonics[0].name));
		mnemonics[num_mnemonics++].d = *d;
	}
}

static void build_mnemonics(void)
{
	for (size_t i = 0; i < NUM_OPS; i++) {
		const struct op_def *o = &op_defs[i];

		for (const struct fn_def *f = o->fns; f->mn; f++) {
			if (!typed(o)) {
				add_mnemonic(&(struct insn_def){ o, f, NULL, NULL });
				continue;
			}
			for (const struct fn_def *ty = vtypes; ty->mn; ty++) {
				if (!(f->types & (1u << ty->value)))
					continue;
				if (o->imm != XPU_IMM_VBIN) {
					add_mnemonic(&(struct insn_def){ o, f, ty, NULL });
					continue;
				}
				for (const struct fn_def *bc = bcasts; bc->mn; bc++)
					add_mnemonic(&(struct insn_def){ o, f, ty, bc });
			}
		}
	}
}

/* the instruction named mn */
static int lookup(const char *mn, struct insn_def *out)
{
	pthread_once(&mnemonics_once, build_mnemonics);
	for (size_t i = 0; i < num_mnemonics; i++) {
		if (!strcmp(mnemonics[i].name, mn)) {
			*out = mnemonics[i].d;
			return 0;
		}
	}
	return -1;
}

/* Decode w: 0 and *d if it is a defined encoding (the engine's decoder
 * accepts exactly these), else -1. */
static int decode(uint64_t w, struct insn_def *d)
{
	uint32_t func = XPU_INSN_FUNC(w), imm = XPU_INSN_IMM(w);
	const struct op_def *o = NULL;

	for (size_t i = 0; i < NUM_OPS && !o; i++)
		if (op_defs[i].code == XPU_INSN_OP(w))
			o = &op_defs[i];
	if (!o || (w & ~XPU_FIELD_MASK(o->used)))
		return -1;
	memset(d, 0, sizeof(*d));
	d->op = o;
	d->fn = find_fn(o->fns, func);
	if (!d->fn)
		return -1;
	if (o->imm == XPU_IMM_VBIN) {
		if (imm & ~(uint32_t)(XPU_VB_TYPE_MASK | XPU_VB_BCAST_MASK))
			return -1;
		d->bcast = find_fn(bcasts, (imm & XPU_VB_BCAST_MASK) >> XPU_VB_BCAST_SHIFT);
		imm &= XPU_VB_TYPE_MASK;
	}
	if (typed(o)) {
		d->type = find_fn(vtypes, imm);
		if (!d->type || !(d->fn->types & (1u << imm)))
			return -1;
	}
	return 0;
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
	struct insn_def d;
	char *ops[5];
	uint32_t r[4] = { 0 }, imm = 0, rd = 0, rs1 = 0, rs2 = 0, rs3 = 0;
	int n, want, nregs;
	xpu_status st;

	if (lookup(mn, &d))
		return serr(a, "unknown instruction '%s'", mn);
	n = split_ops(rest, ops, 5);
	switch (d.op->syn) {
	case XPU_SYN_NONE: want = 0, nregs = 0; break;
	case XPU_SYN_RI: case XPU_SYN_JAL: want = 2, nregs = 1; break;
	case XPU_SYN_LD: case XPU_SYN_ST: want = 2, nregs = 1; break;
	case XPU_SYN_S2: case XPU_SYN_RR: want = 2, nregs = 2; break;
	case XPU_SYN_RRI: case XPU_SYN_BR: want = 3, nregs = 2; break;
	case XPU_SYN_RRRI: want = 4, nregs = 3; break;
	case XPU_SYN_RRRR: want = 4, nregs = 4; break;
	default: want = 3, nregs = 3;	/* RRR, S3 */
	}
	if (n != want)
		return serr(a, "'%s' takes %d operands, %d given", mn, want, n < 0 ? 5 : n);
	/* leading register operands */
	for (int i = 0; i < nregs; i++)
		if (parse_reg(ops[i], &r[i]))
			return serr(a, "'%s' operand %d: expected a register r0..r31, got '%s'",
				    mn, i + 1, ops[i]);
	switch (d.op->syn) {
	case XPU_SYN_NONE:
		break;
	case XPU_SYN_RI:
		rd = r[0];
		st = imm32(a, ops[1], d.op->imm == XPU_IMM_UIMM, &imm);
		if (st)
			return st;
		break;
	case XPU_SYN_RRR:
		rd = r[0], rs1 = r[1], rs2 = r[2];
		break;
	case XPU_SYN_RRI:
		rd = r[0], rs1 = r[1];
		st = imm32(a, ops[2], 0, &imm);
		if (st)
			return st;
		break;
	case XPU_SYN_LD:
	case XPU_SYN_ST: {
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
		if (d.op->syn == XPU_SYN_LD)
			rd = r[0];
		else
			rs2 = r[0];
		break;
	}
	case XPU_SYN_BR:
		rs1 = r[0], rs2 = r[1];
		st = target(a, ops[2], &imm);
		if (st)
			return st;
		break;
	case XPU_SYN_JAL:
		rd = r[0];
		st = target(a, ops[1], &imm);
		if (st)
			return st;
		break;
	case XPU_SYN_S3:
		rs1 = r[0], rs2 = r[1], rs3 = r[2];
		break;
	case XPU_SYN_S2:
		rs1 = r[0], rs2 = r[1];
		break;
	case XPU_SYN_RR:
		rd = r[0], rs1 = r[1];
		break;
	case XPU_SYN_RRRI:
		rd = r[0], rs1 = r[1], rs2 = r[2];
		st = imm32(a, ops[3], 0, &imm);
		if (st)
			return st;
		break;
	case XPU_SYN_RRRR:
		rd = r[0], rs1 = r[1], rs2 = r[2], rs3 = r[3];
		break;
	}
	if (typed(d.op))
		imm = insn_fixed_imm(&d);
	return emit(a, xpu_insn(d.op->code, rd, rs1, rs2, rs3, d.fn->value, imm));
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
		char *sp, *ty, *sz;
		uint32_t type;
		int64_t size = 0;

		if (n != 1 || !(sp = strpbrk(ops[0], " \t")))
			return serr(a, ".arg takes NAME TYPE [BYTES]");
		*sp = '\0';
		if (!xpu_ident_valid(ops[0]))
			return serr(a, "bad argument name '%s'", ops[0]);
		ty = trim(sp + 1);
		sz = strpbrk(ty, " \t");	/* optional: bytes a buffer argument touches */
		if (sz) {
			*sz = '\0';
			sz = trim(sz + 1);
		}
		if (xpu_arg_type_parse(ty, &type))
			return serr(a, "unknown argument type '%s' (buffer, u64, i64, u32, i32, f32)",
				    ty);
		if (sz && (type != XPU_ARG_BUFFER || parse_int(sz, &size) || size <= 0))
			return serr(a, ".arg %s: '%s' is not a size (a positive byte count, for "
				    "buffer arguments only)", ops[0], sz);
		if (k->num_args == XPU_META_MAX_ARGS)
			return serr(a, "more than %d arguments", XPU_META_MAX_ARGS);
		for (uint32_t i = 0; i < k->num_args; i++)
			if (!strcmp(k->args[i].name, ops[0]))
				return serr(a, "argument '%s' declared twice", ops[0]);
		strcpy(k->args[k->num_args].name, ops[0]);
		k->args[k->num_args].min_size = (uint64_t)size;
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

static void dis_insn(struct outbuf *o, uint64_t w, uint32_t pc, uint32_t n)
{
	struct insn_def d;
	uint32_t rd = XPU_INSN_RD(w), rs1 = XPU_INSN_RS1(w), rs2 = XPU_INSN_RS2(w);
	uint32_t rs3 = XPU_INSN_RS3(w);
	int32_t simm = (int32_t)XPU_INSN_IMM(w);
	char tgt[32], name[64];

	if (decode(w, &d)) {
		out(o, "\t.word 0x%016" PRIx64 "\n", w);
		return;
	}
	if (d.op->imm == XPU_IMM_PCREL) {
		int64_t t = (int64_t)pc + simm;

		if (t >= 0 && t < n)
			snprintf(tgt, sizeof(tgt), "L%" PRId64, t);
		else
			snprintf(tgt, sizeof(tgt), ".%+d", simm);
	}
	insn_name(&d, name, sizeof(name));
	out(o, "\t%s", name);
	switch (d.op->syn) {
	case XPU_SYN_NONE: break;
	case XPU_SYN_RI:
		if (d.op->imm == XPU_IMM_UIMM)
			out(o, " r%u, 0x%x", rd, XPU_INSN_IMM(w));
		else
			out(o, " r%u, %d", rd, simm);
		break;
	case XPU_SYN_RRR: out(o, " r%u, r%u, r%u", rd, rs1, rs2); break;
	case XPU_SYN_RRI: out(o, " r%u, r%u, %d", rd, rs1, simm); break;
	case XPU_SYN_LD: out(o, " r%u, %d(r%u)", rd, simm, rs1); break;
	case XPU_SYN_ST: out(o, " r%u, %d(r%u)", rs2, simm, rs1); break;
	case XPU_SYN_BR: out(o, " r%u, r%u, %s", rs1, rs2, tgt); break;
	case XPU_SYN_JAL: out(o, " r%u, %s", rd, tgt); break;
	case XPU_SYN_S3: out(o, " r%u, r%u, r%u", rs1, rs2, rs3); break;
	case XPU_SYN_S2: out(o, " r%u, r%u", rs1, rs2); break;
	case XPU_SYN_RR: out(o, " r%u, r%u", rd, rs1); break;
	case XPU_SYN_RRRI: out(o, " r%u, r%u, r%u, %d", rd, rs1, rs2, simm); break;
	case XPU_SYN_RRRR: out(o, " r%u, r%u, r%u, r%u", rd, rs1, rs2, rs3); break;
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
			struct insn_def d;

			if (!decode(t[pc], &d) && d.op->imm == XPU_IMM_PCREL) {
				int64_t tg = (int64_t)pc + (int32_t)XPU_INSN_IMM(t[pc]);

				if (tg >= 0 && tg < n)
					is_target[tg] = 1;
			}
		}
		out(&o, "\n.kernel %s\n", k->name);
		for (uint32_t a = 0; a < k->num_args; a++)
			if (k->args[a].min_size)
				out(&o, ".arg %s %s %llu\n", k->args[a].name,
				    xpu_arg_type_name(k->args[a].type),
				    (unsigned long long)k->args[a].min_size);
			else
				out(&o, ".arg %s %s\n", k->args[a].name,
				    xpu_arg_type_name(k->args[a].type));
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
