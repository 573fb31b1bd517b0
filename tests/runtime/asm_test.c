// SPDX-License-Identifier: MIT
/*
 * Assembler and disassembler tests: every mnemonic encodes exactly as the
 * xpu_isa.h helpers, hand-written kernels round-trip text -> ELF -> text ->
 * ELF byte-identically, arbitrary 64-bit words survive (as instructions or
 * .word), and syntax errors name the line and the problem.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "rt_test.h"
#include "xpu_isa_examples.h"

static xpu_status asm1(const char *src, void **img, size_t *size)
{
	return xpu_assemble(src, "t.s", img, size);
}

/* The text of the only kernel of an image, as 64-bit words */
static int words(const void *img, size_t size, uint64_t *w, int max)
{
	char *text;
	int n = 0;

	/* via the disassembler's .word-free path would be circular: parse ELF */
	(void)text;
	{
		const uint8_t *b = img;
		uint64_t shoff;
		uint16_t shnum;

		memcpy(&shoff, b + 0x28, 8);
		memcpy(&shnum, b + 0x3c, 2);
		for (int i = 1; i < shnum; i++) {
			uint32_t type;
			uint64_t off, sz;

			memcpy(&type, b + shoff + i * 64 + 4, 4);
			memcpy(&off, b + shoff + i * 64 + 24, 8);
			memcpy(&sz, b + shoff + i * 64 + 32, 8);
			if (type == 1 /* SHT_PROGBITS: .text */) {
				for (uint64_t o = 0; o < sz && n < max; o += 8)
					memcpy(&w[n++], b + off + o, 8);
				break;
			}
		}
	}
	(void)size;
	return n;
}

TEST(encodings_match_the_isa_helpers)
{
	static const struct { const char *text; uint64_t word; } t[] = {
		{ "halt", 0 }, { "nop", 0 }, { "fence", 0 },
		{ "li r5, -7", 0 }, { "liu r6, 0xdeadbeef", 0 }, { "lih r7, 0x12345678", 0 },
		{ "add r1, r2, r3", 0 }, { "sub r4, r5, r6", 0 }, { "max r31, r30, r29", 0 },
		{ "addi r1, r2, -100", 0 }, { "shri r3, r3, 5", 0 }, { "remui r9, r8, 7", 0 },
		{ "ld r3, 16(r1)", 0 }, { "ld32 r3, -8(r4)", 0 }, { "ldl r3, 0(r5)", 0 },
		{ "st r4, 24(r3)", 0 }, { "stl32 r4, 4(r3)", 0 },
		{ "jalr r1, r2, 3", 0 }, { "dcfg r5, r6, r7", 0 },
		{ "dma.v2l r3, r4, r8", 0 }, { "dma.l2v.2d r3, r4, r8", 0 }, { "dma.v2v r1, r2, r3", 0 },
		{ "dma.l2l r1, r2, r3", 0 },
		{ "mcfg.shape r5, r6, r7", 0 }, { "mcfg.stride r0, r0, r0", 0 },
		{ "matmul.i8 r3, r4, r9", 0 }, { "matmul.bf16.acc r3, r4, r9", 0 },
		{ "vcfg r5, r6", 0 }, { "vadd.i32 r3, r4, r5", 0 }, { "vmul.f32.col r3, r4, r5", 0 },
		{ "vsub.f32.scalar r3, r4, r21", 0 }, { "vmax.i32.row r3, r4, r5", 0 },
		{ "vrelu.f32 r3, r3", 0 }, { "vgelu.f32 r3, r4", 0 }, { "vredsum.f32 r4, r3", 0 },
		{ "vredmax.i32 r4, r3", 0 }, { "vcvt.f32.bf16 r4, r3", 0 }, { "vcvt.i8.i32 r4, r3", 0 },
		{ "vqnt.i32 r4, r3, r20, -3", 0 }, { "vqnt.f32 r4, r3, r20, 5", 0 },
		{ "liu r1, f:1.5", 0 },
	};
	uint64_t want[] = {
		xpu_halt(), xpu_nop(), xpu_fence(),
		xpu_li(5, -7), xpu_liu(6, 0xdeadbeef), xpu_lih(7, 0x12345678),
		xpu_alu(XPU_ALU_ADD, 1, 2, 3), xpu_alu(XPU_ALU_SUB, 4, 5, 6), xpu_alu(XPU_ALU_MAX, 31, 30, 29),
		xpu_addi(1, 2, -100), xpu_alui(XPU_ALU_SHR, 3, 3, 5), xpu_alui(XPU_ALU_REMU, 9, 8, 7),
		xpu_ld(XPU_MEM_W64, 3, 1, 16), xpu_ld(XPU_MEM_W32, 3, 4, -8),
		xpu_ld(XPU_MEM_LOCAL, 3, 5, 0),
		xpu_st(XPU_MEM_W64, 4, 3, 24), xpu_st(XPU_MEM_LOCAL | XPU_MEM_W32, 4, 3, 4),
		xpu_jalr(1, 2, 3), xpu_dcfg(5, 6, 7),
		xpu_dma(XPU_DMA_VA_TO_LA, 3, 4, 8), xpu_dma(XPU_DMA_LA_TO_VA | XPU_DMA_2D, 3, 4, 8),
		xpu_dma(XPU_DMA_VA_TO_VA, 1, 2, 3), xpu_dma(XPU_DMA_LA_TO_LA, 1, 2, 3),
		xpu_mcfg(XPU_MCFG_SHAPE, 5, 6, 7), xpu_mcfg(XPU_MCFG_STRIDE, 0, 0, 0),
		xpu_matmul(XPU_MM_INT8, 3, 4, 9), xpu_matmul(XPU_MM_BF16 | XPU_MM_ACC, 3, 4, 9),
		xpu_vcfg(5, 6), xpu_vbin(XPU_VBIN_ADD, XPU_VT_I32, 3, 4, 5),
		xpu_vbin(XPU_VBIN_MUL, XPU_VT_F32 | XPU_VB_COL, 3, 4, 5),
		xpu_vbin(XPU_VBIN_SUB, XPU_VT_F32 | XPU_VB_SCALAR, 3, 4, 21),
		xpu_vbin(XPU_VBIN_MAX, XPU_VT_I32 | XPU_VB_ROW, 3, 4, 5),
		xpu_vun(XPU_VUN_RELU, XPU_VT_F32, 3, 3), xpu_vun(XPU_VUN_GELU, XPU_VT_F32, 3, 4),
		xpu_vred(XPU_VRED_SUM, XPU_VT_F32, 4, 3), xpu_vred(XPU_VRED_MAX, XPU_VT_I32, 4, 3),
		xpu_vcvt(XPU_CVT_F32_BF16, 4, 3), xpu_vcvt(XPU_CVT_I8_I32, 4, 3),
		xpu_vqnt(XPU_VT_I32, 4, 3, 20, -3), xpu_vqnt(XPU_VT_F32, 4, 3, 20, 5),
		xpu_liu(1, 0x3fc00000),
	};
	char src[8192];
	size_t n = sizeof(t) / sizeof(t[0]), len = 0;
	uint64_t got[128];
	void *img;
	size_t size;

	ASSERT_EQ(n, sizeof(want) / sizeof(want[0]));
	len += snprintf(src + len, sizeof(src) - len, ".kernel all\n");
	for (size_t i = 0; i < n; i++)
		len += snprintf(src + len, sizeof(src) - len, "\t%s\n", t[i].text);
	XOK(asm1(src, &img, &size));
	ASSERT_EQ((int)n, words(img, size, got, 128));
	for (size_t i = 0; i < n; i++) {
		ASSERT_EQ(want[i], got[i]) TH_LOG("'%s'", t[i].text);
	}
	free(img);
}

static const char *handwritten =
	"# a hand-written kernel with every kind of operand\n"
	".kernel dot_i32  ; comment styles: # ; //\n"
	".arg x buffer\n"
	".arg y buffer\n"
	".arg out buffer\n"
	".arg n u64\n"
	".arg alpha f32\n"
	".spad 65536\n"
	".acc 4096\n"
	"	ld r3, 0(r1)\n"
	"	ld r4, 8(r1)\n"
	"	ld r5, 16(r1)		// out\n"
	"	ld r6, 24(r1)\n"
	"	li r7, 0\n"
	"	li r8, 0\n"
	"loop:	ld32 r9, 0(r3)\n"
	"	ld32 r10, 0(r4)\n"
	"	mul r9, r9, r10\n"
	"	add r8, r8, r9\n"
	"	addi r3, r3, 4\n"
	"	addi r4, r4, 4\n"
	"	addi r7, r7, 1\n"
	"	bltu r7, r6, loop\n"
	"	beq r0, r0, done\n"
	"	jal r0, loop\n"
	"done:\n"
	"	st r8, 0(r5)\n"
	"	liu r11, f:0.25\n"
	"	lih r11, 0x1\n"
	"	vqnt.f32 r1, r2, r11, -128\n"
	"	.word 0x0000000000000000\n"
	"	.word 0xffffffffffffffff\n"
	"	halt\n"
	".end\n"
	".kernel second\n"
	"	jal r1, .+0\n"
	"	beq r1, r2, .-5\n"
	"	bne r1, r2, .+100\n"
	"L0: L1:	nop\n"
	"	halt\n"
	".end\n";

/* The ISA additions assemble to the helpers' encodings and round-trip; the
 * encodings the engine rejects (fp32-only ops on int32) have no mnemonic and
 * disassemble as .word */
TEST(new_instructions_encode_and_round_trip)
{
	static const char *text[] = {
		"vdiv.f32 r3, r4, r5", "vdiv.f32.row r3, r4, r5", "vdiv.f32.scalar r3, r4, r21",
		"vtanh.f32 r3, r4", "vsigmoid.f32 r3, r4", "verf.f32 r3, r4", "vsqrt.f32 r3, r4",
		"vabs.f32 r3, r4", "vabs.i32 r3, r4", "vgelu.erf.f32 r3, r4", "vsel r3, r8, r4, r5",
	};
	uint64_t want[] = {
		xpu_vbin(XPU_VBIN_DIV, XPU_VT_F32, 3, 4, 5),
		xpu_vbin(XPU_VBIN_DIV, XPU_VT_F32 | XPU_VB_ROW, 3, 4, 5),
		xpu_vbin(XPU_VBIN_DIV, XPU_VT_F32 | XPU_VB_SCALAR, 3, 4, 21),
		xpu_vun(XPU_VUN_TANH, XPU_VT_F32, 3, 4), xpu_vun(XPU_VUN_SIGMOID, XPU_VT_F32, 3, 4),
		xpu_vun(XPU_VUN_ERF, XPU_VT_F32, 3, 4), xpu_vun(XPU_VUN_SQRT, XPU_VT_F32, 3, 4),
		xpu_vun(XPU_VUN_ABS, XPU_VT_F32, 3, 4), xpu_vun(XPU_VUN_ABS, XPU_VT_I32, 3, 4),
		xpu_vun(XPU_VUN_GELU_ERF, XPU_VT_F32, 3, 4), xpu_vsel(3, 8, 4, 5),
	};
	static const char *rejected[] = { "vdiv.i32 r3, r4, r5", "vtanh.i32 r3, r4",
					  "vexp.i32 r3, r4", "vsel r3, r4, r5" };
	uint64_t bad[] = { xpu_vbin(XPU_VBIN_DIV, XPU_VT_I32, 3, 4, 5),
			   xpu_vun(XPU_VUN_TANH, XPU_VT_I32, 3, 4),
			   xpu_vsel(3, 8, 4, 5) | 1, xpu_vun(13, XPU_VT_F32, 3, 4) };
	char src[4096], *dis, *dis2;
	size_t n = sizeof(text) / sizeof(text[0]), len, s1, s2;
	uint64_t got[32];
	void *img, *img2;

	ASSERT_EQ(n, sizeof(want) / sizeof(want[0]));
	len = snprintf(src, sizeof(src), ".kernel k\n");
	for (size_t i = 0; i < n; i++)
		len += snprintf(src + len, sizeof(src) - len, "\t%s\n", text[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		len += snprintf(src + len, sizeof(src) - len, "\t.word 0x%016llx\n",
				(unsigned long long)bad[i]);
	XOK(asm1(src, &img, &s1));
	ASSERT_EQ((int)(n + 4), words(img, s1, got, 32));
	for (size_t i = 0; i < n; i++) {
		ASSERT_EQ(want[i], got[i]) TH_LOG("'%s'", text[i]);
	}
	XOK(xpu_disassemble(img, s1, &dis));
	for (size_t i = 0; i < n; i++) {
		ASSERT_NE(NULL, strstr(dis, text[i])) TH_LOG("'%s' not in:\n%s", text[i], dis);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char w[64];

		snprintf(w, sizeof(w), ".word 0x%016llx", (unsigned long long)bad[i]);
		ASSERT_NE(NULL, strstr(dis, w)) TH_LOG("'%s' not in:\n%s", w, dis);
	}
	XOK(xpu_assemble(dis, "dis.s", &img2, &s2));
	ASSERT_EQ(s1, s2);
	ASSERT_EQ(0, memcmp(img, img2, s1));
	XOK(xpu_disassemble(img2, s2, &dis2));
	ASSERT_STREQ(dis, dis2);
	for (size_t i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++) {
		void *x;
		size_t xs;

		snprintf(src, sizeof(src), ".kernel k\n %s\n", rejected[i]);
		ASSERT_EQ(XPU_ERROR_INVALID_SOURCE, asm1(src, &x, &xs)) {
			TH_LOG("'%s'", rejected[i]);
		}
	}
	free(img);
	free(img2);
	free(dis);
	free(dis2);
}

/* Every opcode (0x00..0x7f and 0xff) x func4 x each subset of the register
 * fields x small imm values (type / broadcast bits) survives disassembly
 * and reassembly: each defined encoding has exactly one mnemonic (two
 * encodings sharing a name would re-assemble to the first), everything else
 * is .word */
TEST(every_encoding_round_trips)
{
	static const uint32_t imms[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 0x12345678 };
	enum { NI = sizeof(imms) / sizeof(imms[0]), N = 129 * 16 * 16 * NI };
	char *src = malloc((size_t)N * 32 + 64), *dis;
	size_t len, s1, s2;
	void *img1, *img2;
	int insns = 0;

	ASSERT_NE(NULL, src);
	len = sprintf(src, ".kernel all\n");
	for (uint32_t op = 0; op < 129; op++)
		for (uint32_t f = 0; f < 16; f++)
			for (uint32_t regs = 0; regs < 16; regs++)
				for (int i = 0; i < NI; i++) {
					uint64_t w = xpu_insn(op < 128 ? op : 0xff, regs & 1 ? 1 : 0,
							      regs & 2 ? 2 : 0, regs & 4 ? 3 : 0,
							      regs & 8 ? 4 : 0, f, imms[i]);

					len += sprintf(src + len, "\t.word 0x%016llx\n",
						       (unsigned long long)w);
				}
	XOK(asm1(src, &img1, &s1));
	XOK(xpu_disassemble(img1, s1, &dis));
	XOK(xpu_assemble(dis, "dis.s", &img2, &s2));
	ASSERT_EQ(s1, s2);
	ASSERT_EQ(0, memcmp(img1, img2, s1));
	for (char *p = dis; (p = strchr(p, '\n')); p++)
		insns += p[1] == '\t' && p[2] != '.';
	TH_LOG("%d of %d words are instructions", insns, N);
	ASSERT_GT(insns, 1000);
	ASSERT_LT(insns, N / 4);
	free(src);
	free(dis);
	free(img1);
	free(img2);
}

TEST(handwritten_round_trip)
{
	void *img1, *img2;
	size_t s1, s2;
	char *t1, *t2;

	XOK(asm1(handwritten, &img1, &s1));
	XOK(xpu_disassemble(img1, s1, &t1));
	XOK(xpu_assemble(t1, "dis.s", &img2, &s2));
	ASSERT_EQ(s1, s2);
	ASSERT_EQ(0, memcmp(img1, img2, s1));
	XOK(xpu_disassemble(img2, s2, &t2));
	ASSERT_STREQ(t1, t2);
	ASSERT_NE(NULL, strstr(t1, ".arg alpha f32"));
	ASSERT_NE(NULL, strstr(t1, ".spad 65536"));
	ASSERT_NE(NULL, strstr(t1, "bltu r7, r6, L"));
	ASSERT_NE(NULL, strstr(t1, "beq r1, r2, .-5"));
	ASSERT_NE(NULL, strstr(t1, ".word 0xffffffffffffffff"));
	free(img1);
	free(img2);
	free(t1);
	free(t2);
}

TEST(random_words_round_trip)
{
	enum { N = 4000 };
	uint64_t seed = 99, w;
	char *src = malloc(N * 40 + 64), *t1;
	size_t len = 0, s1, s2;
	void *img1, *img2;
	uint64_t got[N];

	len += sprintf(src, ".kernel r\n");
	for (int i = 0; i < N; i++) {
		/* mostly plausible opcodes with random fields, some pure noise */
		static const uint8_t ops[] = { 0x01, 0x02, 0x03, 0x10, 0x11, 0x12, 0x20, 0x21, 0x30,
					       0x31, 0x40, 0x41, 0x42, 0x50, 0x51, 0x60, 0x61, 0x70,
					       0x71, 0x72, 0x73, 0x74, 0x75, 0x00, 0xff };
		w = (uint64_t)rt_rand(&seed) << 32 | rt_rand(&seed);
		if (i % 2 == 0) {
			uint32_t r1 = rt_rand(&seed) % 32, r2 = rt_rand(&seed) % 32, r3 = rt_rand(&seed) % 32;
			uint64_t canon[] = { xpu_alu(rt_rand(&seed) % 15, r1, r2, r3),
					     xpu_addi(r1, r2, (int32_t)rt_rand(&seed)),
					     xpu_ld(rt_rand(&seed) % 4, r1, r2, (int32_t)rt_rand(&seed)),
					     xpu_br(rt_rand(&seed) % 6, r1, r2, (int32_t)rt_rand(&seed)),
					     xpu_dma(rt_rand(&seed) % 8, r1, r2, r3),
					     xpu_vbin(rt_rand(&seed) % 5, rt_rand(&seed) % 8, r1, r2, r3) };

			w = canon[rt_rand(&seed) % 6];
		} else if (i % 4) {
			w &= ~(0xffull << 56);
			w |= (uint64_t)ops[rt_rand(&seed) % sizeof(ops)] << 56;
			if (i % 3)
				w &= ~(0xfull << 32), w |= (uint64_t)(rt_rand(&seed) % 8) << 32;
			if (i % 5 == 1)
				w &= 0xffffffffffull << 24 | 0xff, w &= ~0x1fffffull << 36;
		}
		len += sprintf(src + len, "\t.word 0x%016llx\n", (unsigned long long)w);
	}
	XOK(asm1(src, &img1, &s1));
	XOK(xpu_disassemble(img1, s1, &t1));
	XOK(xpu_assemble(t1, "dis.s", &img2, &s2));
	ASSERT_EQ(s1, s2);
	ASSERT_EQ(0, memcmp(img1, img2, s1));
	ASSERT_EQ(N, words(img2, s2, got, N));
	/* a good share decoded as instructions, not .word */
	{
		int words_left = 0;

		for (char *p = t1; (p = strstr(p, ".word")); p++)
			words_left++;
		ASSERT_LT(words_left, N * 3 / 4);	/* the canonical half decodes */
		TH_LOG("%d of %d random words printed as .word", words_left, N);
	}
	free(src);
	free(t1);
	free(img1);
	free(img2);
}

TEST(syntax_errors_name_line_and_problem)
{
	static const struct { const char *src; const char *msg; } t[] = {
		{ ".kernel k\n  frob r1\n", "t.s:2: unknown instruction 'frob'" },
		{ ".kernel k\n nop\n add r1, r2, r32\n", "t.s:3:" },
		{ ".kernel k\n add r1, r2\n", "takes 3 operands" },
		{ ".kernel k\n beq r1, r2, nowhere\n halt\n", "undefined label 'nowhere'" },
		{ ".kernel k\nx: nop\nx: halt\n", "label 'x' defined twice" },
		{ ".kernel k\n li r1, 0x100000000\n", "out of range" },
		{ ".kernel k\n addi r1, r1, 3000000000\n", "out of range" },
		{ "halt\n", "outside a kernel" },
		{ ".kernel k\n.arg a float\n halt\n", "unknown argument type 'float'" },
		{ ".kernel k\n halt\n.kernel k\n halt\n", "kernel 'k' defined twice" },
		{ ".kernel k\n.end\n", "no instructions" },
		{ ".kernel k\n.bogus 1\n", "unknown directive '.bogus'" },
		{ ".kernel 9k\n", ".kernel takes one name" },
		{ ".kernel k\n ld r1, 8[r2]\n", "expected offset(rN)" },
		{ "", "no kernels" },
		{ ".kernel k\n.arg a u64\n.arg a u64\n halt\n", "argument 'a' declared twice" },
		{ ".kernel k\n.spad -1\n halt\n", ".spad takes a byte count" },
		{ ".kernel k\n li r1, zz\n", "bad immediate 'zz'" },
		{ ".kernel k\n.word\n", ".word takes one" },
		{ ".kernel k\n.arg n u64 8\n halt\n", ".arg n: '8' is not a size" },
		{ ".kernel k\n.arg a buffer 0\n halt\n", ".arg a: '0' is not a size" },
		{ ".kernel k\n.arg a buffer zz\n halt\n", ".arg a: 'zz' is not a size" },
	};
	void *img;
	size_t size;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ASSERT_EQ(XPU_ERROR_INVALID_SOURCE, asm1(t[i].src, &img, &size)) TH_LOG("case %zu", i);
		ASSERT_NE(NULL, strstr(xpu_last_error(), t[i].msg))
			TH_LOG("case %zu: '%s' lacks '%s'", i, xpu_last_error(), t[i].msg);
	}
}

TEST(branch_offsets_and_labels)
{
	const char *src = ".kernel k\n"
			  "a: nop\n"
			  "   beq r0, r0, b\n"
			  "   bne r0, r0, a\n"
			  "b: jal r1, a\n"
			  "   halt\n";
	uint64_t w[8];
	void *img;
	size_t size;

	XOK(asm1(src, &img, &size));
	ASSERT_EQ(5, words(img, size, w, 8));
	ASSERT_EQ(xpu_br(XPU_BR_EQ, 0, 0, 2), w[1]);
	ASSERT_EQ(xpu_br(XPU_BR_NE, 0, 0, -2), w[2]);
	ASSERT_EQ(xpu_jal(1, -3), w[3]);
	free(img);
}

TEST(tools_round_trip)
{
	const char *b = getenv("XPU_BUILD");
	char cmd[1024];
	FILE *f;

	if (!b)
		SKIP(return, "XPU_BUILD not set (the tools are tested from make runtime-host-tests)");
	f = fopen("/tmp/xpu-asm-test.s", "w");
	ASSERT_NE(NULL, f);
	fputs(handwritten, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "%1$s/bin/xpu-as -o /tmp/xpu-asm-test.xpu /tmp/xpu-asm-test.s && "
		 "%1$s/bin/xpu-dis -o /tmp/xpu-asm-test2.s /tmp/xpu-asm-test.xpu && "
		 "%1$s/bin/xpu-as -o /tmp/xpu-asm-test2.xpu /tmp/xpu-asm-test2.s && "
		 "cmp /tmp/xpu-asm-test.xpu /tmp/xpu-asm-test2.xpu && "
		 "%1$s/bin/xpu-cc --target 16,8,65536,16384 -o /tmp/xpu-asm-test3.xpu "
		 "matmul:mm:m=5,k=7,n=9 softmax:sm:rows=2,cols=3 && "
		 "%1$s/bin/xpu-dis /tmp/xpu-asm-test3.xpu >/tmp/xpu-asm-test3.s && "
		 "%1$s/bin/xpu-as -o /tmp/xpu-asm-test4.xpu /tmp/xpu-asm-test3.s && "
		 "cmp /tmp/xpu-asm-test3.xpu /tmp/xpu-asm-test4.xpu && "
		 "! %1$s/bin/xpu-dis /tmp/xpu-asm-test.s 2>/dev/null", b);
	ASSERT_EQ(0, system(cmd)) TH_LOG("%s", cmd);
	unlink("/tmp/xpu-asm-test.s");
	unlink("/tmp/xpu-asm-test2.s");
	unlink("/tmp/xpu-asm-test3.s");
	unlink("/tmp/xpu-asm-test.xpu");
	unlink("/tmp/xpu-asm-test2.xpu");
	unlink("/tmp/xpu-asm-test3.xpu");
	unlink("/tmp/xpu-asm-test4.xpu");
}

/* xpu-cc given a model path that is not a regular file: a clear message
 * (it used to try to read a directory and fail with "Cannot allocate memory") */
TEST(xpu_cc_model_not_a_file)
{
	const char *b = getenv("XPU_BUILD");
	char dir[] = "/tmp/xpu-cc-dir-XXXXXX", model[64], cmd[1024], out[256] = "";
	FILE *p;

	if (!b)
		SKIP(return, "XPU_BUILD not set (the tools are tested from make runtime-host-tests)");
	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(model, sizeof(model), "%s/m.onnx", dir);
	ASSERT_EQ(0, mkdir(model, 0700));
	snprintf(cmd, sizeof(cmd), "%s/bin/xpu-cc --target 16,8,65536,16384 -o %s/m.xpu %s 2>&1",
		 b, dir, model);
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	if (!fgets(out, sizeof(out), p))
		out[0] = 0;
	EXPECT_NE(0, pclose(p));
	EXPECT_NE(NULL, strstr(out, "not a regular file")) TH_LOG("xpu-cc said: %s", out);
	rmdir(model);
	rmdir(dir);
}

/*
 * The encodings pinned in docs/isa.md ("Encoding examples"): the header's
 * helpers, the assembler, the disassembler and the header's field macros all
 * agree with the literal words written there (the engine's decoder is
 * checked against the same table in tests/engine/scalar_test.c).
 */
TEST(encodings_pinned_in_isa_md)
{
	const struct { const char *text; uint64_t helper; } h[] = {
		{ "halt", xpu_halt() },
		{ "li r3, -1", xpu_li(3, -1) },
		{ "ld r3, 16(r1)", xpu_ld(XPU_MEM_W64, 3, 1, 16) },
		{ "dma.l2v.2d r3, r4, r8", xpu_dma(XPU_DMA_LA_TO_VA | XPU_DMA_2D, 3, 4, 8) },
		{ "matmul.bf16 r3, r4, r9", xpu_matmul(XPU_MM_BF16, 3, 4, 9) },
		{ "vadd.f32.row r3, r4, r5",
		  xpu_vbin(XPU_VBIN_ADD, XPU_VT_F32 | XPU_VB_ROW, 3, 4, 5) },
		{ "vqnt.i32 r4, r3, r20, -3", xpu_vqnt(XPU_VT_I32, 4, 3, 20, -3) },
		{ "vsel r3, r4, r5, r6", xpu_vsel(3, 4, 5, 6) },
	};
	struct xpu_isa_example ex[XPU_ISA_EX_MAX];
	const char *doc = xpu_isa_md_path();
	int n, bad = 0;
	char src[4096], *dis, line[96];
	size_t len = 0, size;
	uint64_t got[XPU_ISA_EX_MAX];
	void *img;

	n = xpu_isa_examples(doc, ex, XPU_ISA_EX_MAX, &bad);
	if (n == -1 && getenv("XPU_BUILD")) {
		/* installed beside the tools (the guest: /usr/share/xpu/isa.md) */
		static char inst[512];

		snprintf(inst, sizeof(inst), "%s/share/xpu/isa.md", getenv("XPU_BUILD"));
		doc = inst;
		n = xpu_isa_examples(doc, ex, XPU_ISA_EX_MAX, &bad);
	}
	ASSERT_NE(-1, n) TH_LOG("cannot read %s", doc);
	ASSERT_NE(-2, n) TH_LOG("%s:%d: a row of the encoding examples does not parse", doc, bad);
	/* every helper case is in the document, and every row has a helper */
	ASSERT_EQ((int)(sizeof(h) / sizeof(h[0])), n) TH_LOG("rows in %s's table", doc);
	len += snprintf(src + len, sizeof(src) - len, ".kernel pinned\n");
	for (int i = 0; i < n; i++) {
		int k = -1;

		for (int j = 0; j < n; j++)
			if (!strcmp(h[j].text, ex[i].text))
				k = j;
		ASSERT_GE(k, 0) TH_LOG("'%s' (docs/isa.md) has no helper case here", ex[i].text);
		EXPECT_EQ(ex[i].word, h[k].helper) TH_LOG("helper for '%s'", ex[i].text);
		EXPECT_EQ(ex[i].field[0], XPU_INSN_OP(ex[i].word)) TH_LOG("'%s' opcode", ex[i].text);
		EXPECT_EQ(ex[i].field[1], XPU_INSN_RD(ex[i].word)) TH_LOG("'%s' rd", ex[i].text);
		EXPECT_EQ(ex[i].field[2], XPU_INSN_RS1(ex[i].word)) TH_LOG("'%s' rs1", ex[i].text);
		EXPECT_EQ(ex[i].field[3], XPU_INSN_RS2(ex[i].word)) TH_LOG("'%s' rs2", ex[i].text);
		EXPECT_EQ(ex[i].field[4], XPU_INSN_RS3(ex[i].word)) TH_LOG("'%s' rs3", ex[i].text);
		EXPECT_EQ(ex[i].field[5], XPU_INSN_FUNC(ex[i].word)) TH_LOG("'%s' func4", ex[i].text);
		EXPECT_EQ(ex[i].field[6], XPU_INSN_IMM(ex[i].word)) TH_LOG("'%s' imm32", ex[i].text);
		len += snprintf(src + len, sizeof(src) - len, "\t%s\n", ex[i].text);
	}
	XOK(asm1(src, &img, &size));
	ASSERT_EQ(n, words(img, size, got, XPU_ISA_EX_MAX));
	for (int i = 0; i < n; i++) {
		EXPECT_EQ(ex[i].word, got[i]) TH_LOG("assembled '%s'", ex[i].text);
	}
	XOK(xpu_disassemble(img, size, &dis));
	for (int i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "\t%.63s\n", ex[i].text);
		EXPECT_NE(NULL, strstr(dis, line)) TH_LOG("'%s' not in:\n%s", ex[i].text, dis);
	}
	free(dis);
	free(img);
}

/* ".arg NAME buffer BYTES" records the extent the kernel touches: it
 * survives disassembly, and a launch with a smaller buffer is refused. */
TEST(arg_sizes_round_trip_and_are_checked)
{
	static const char src[] = ".kernel k\n.arg a buffer 4096\n.arg n u64\n halt\n.end\n";
	xpu_buffer *small, *ok;
	xpu_device *dev;
	xpu_module *mod;
	xpu_kernel *k;
	xpu_stream *s;
	char *text;
	void *img;
	size_t size;

	XOK(asm1(src, &img, &size));
	XOK(xpu_disassemble(img, size, &text));
	ASSERT_NE(NULL, strstr(text, ".arg a buffer 4096\n")) TH_LOG("%s", text);
	ASSERT_NE(NULL, strstr(text, ".arg n u64\n"));
	free(text);
	RT_OPEN(dev);
	XOK(xpu_module_load(dev, img, size, &mod));
	free(img);
	XOK(xpu_kernel_create(mod, "k", &k));
	XOK(xpu_stream_create(dev, XPU_QUEUE_ANY, &s));
	XOK(xpu_buffer_alloc(dev, 4095, XPU_MEM_DEVICE, &small));
	XOK(xpu_buffer_alloc(dev, 4096, XPU_MEM_DEVICE, &ok));
	XOK(xpu_kernel_set_arg_u64(k, 1, 0));
	XOK(xpu_kernel_set_arg_buffer(k, 0, small, 0));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_launch(s, k));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "('a'): needs 4096 bytes, the buffer has 4095"));
	XOK(xpu_kernel_set_arg_buffer(k, 0, ok, 0));
	XOK(xpu_launch(s, k));
	XOK(xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
	XOK(xpu_stream_destroy(s));
	xpu_kernel_destroy(k);
	XOK(xpu_module_unload(mod));
	xpu_buffer_free(small);
	xpu_buffer_free(ok);
	xpu_device_close(dev);
}

TEST_HARNESS_MAIN
