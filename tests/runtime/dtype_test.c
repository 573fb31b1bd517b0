// SPDX-License-Identifier: MIT
/*
 * Data types: the table in uapi/xpu_dtype.h is the one source, and every
 * path that names a type agrees with it: the public queries
 * (xpu_dtype_size/name), props.dtypes and the legacy XPU_DTYPE_* bits, the
 * kernel compiler's accepted types and the ISA type codes it emits (seen
 * through the disassembler), and the kernel argument kinds that carry a
 * scalar of the type.
 */
#include "rt_test.h"

struct row {
	uint32_t value, bytes;
	const char *name, *abbr;
	int vt, mm;
	uint32_t acc, arg;
	int bit;
	uint32_t cap;
};

#define ROW(name_, value_, bytes_, str_, abbr_, vt_, mm_, acc_, arg_, bit_, cap_) \
	{ value_, bytes_, str_, abbr_, vt_, mm_, acc_, arg_, bit_, cap_ },
static const struct row rows[] = { XPU_DTYPE_TABLE(ROW) };
#undef ROW
#define NROWS (sizeof(rows) / sizeof(rows[0]))

static const struct row *row_of(uint32_t v)
{
	for (size_t i = 0; i < NROWS; i++)
		if (rows[i].value == v)
			return &rows[i];
	return NULL;
}

/* assembler suffix of an ISA type code: the short name of its table row
 * ("vadd.i32", "matmul.bf16") */
static const char *vt_suffix(int vt)
{
	for (size_t i = 0; i < NROWS; i++)
		if (rows[i].vt == vt)
			return rows[i].abbr;
	return "?";
}

static const char *mm_suffix(int mm)
{
	for (size_t i = 0; i < NROWS; i++)
		if (rows[i].mm == mm)
			return rows[i].abbr;
	return "?";
}

/* Disassembly of one compiled builder (malloc'ed), NULL on failure. */
static char *disasm(xpu_cc *cc)
{
	void *img;
	size_t size;
	char *src = NULL;

	if (xpu_cc_emit(cc, &img, &size))
		return NULL;
	if (xpu_disassemble(img, size, &src))
		src = NULL;
	free(img);
	return src;
}

static xpu_cc *new_cc(void)
{
	struct xpu_cc_target t = { .rows = 16, .cols = 8, .spad_size = 64 << 10,
				   .acc_size = 16 << 10 };
	xpu_cc *cc = NULL;

	return xpu_cc_create(&t, &cc) ? NULL : cc;
}

TEST(values_are_the_abi)
{
	/* stored in descriptors and bindings: these never change */
	ASSERT_EQ(1, XPU_DT_I8);
	ASSERT_EQ(2, XPU_DT_I32);
	ASSERT_EQ(3, XPU_DT_F32);
	ASSERT_EQ(4, XPU_DT_BF16);
	ASSERT_EQ(5, XPU_DT_I64);
	/* the original props.dtypes bits, now derived from the table */
	ASSERT_EQ(1u << 0, XPU_DTYPE_INT8);
	ASSERT_EQ(1u << 1, XPU_DTYPE_BF16);
	ASSERT_EQ(1u << 2, XPU_DTYPE_INT32);
	ASSERT_EQ(1u << 3, XPU_DTYPE_FP32);
	ASSERT_EQ(0, XPU_DTYPE_BIT_I64);	/* not a device compute type */
}

TEST(table_properties)
{
	uint32_t bits = 0;

	ASSERT_EQ(XPU_DTYPE_MAX, NROWS);
	for (size_t i = 0; i < NROWS; i++) {
		const struct row *r = &rows[i];

		/* the public queries are the table */
		ASSERT_EQ(r->bytes, xpu_dtype_size(r->value));
		ASSERT_NE(NULL, xpu_dtype_name(r->value));
		ASSERT_STREQ(r->name, xpu_dtype_name(r->value));
		ASSERT_EQ(r->value, xpu_dtype_from_name(r->name));
		ASSERT_EQ(r->value, xpu_dtype_from_name(r->abbr));
		ASSERT_TRUE(r->bytes == 1 || r->bytes == 2 || r->bytes == 4 || r->bytes == 8);
		for (size_t j = 0; j < i; j++) {
			ASSERT_NE(r->value, rows[j].value);
			ASSERT_NE(0, strcmp(r->name, rows[j].name));
			ASSERT_NE(0, strcmp(r->abbr, rows[j].abbr));
			ASSERT_NE(0, strcmp(r->abbr, rows[j].name));
			ASSERT_NE(0, strcmp(r->name, rows[j].abbr));
		}
		/* a matrix input type accumulates into a vector-unit type */
		if (r->mm >= 0) {
			const struct row *a = row_of(r->acc);

			ASSERT_NE(NULL, a);
			ASSERT_LE(0, a->vt);
			ASSERT_LT(r->bytes, a->bytes);
		} else {
			ASSERT_EQ(0, r->acc);
		}
		/* an argument kind carries exactly one element */
		if (r->arg) {
			ASSERT_LE(r->bytes, XPU_ARG_SLOT_BYTES);
		}
		/* compute types have a props bit; the bits are distinct */
		if (r->bit >= 0) {
			ASSERT_TRUE(r->vt >= 0 || r->mm >= 0);
			ASSERT_EQ(0, bits & (1u << r->bit));
			bits |= 1u << r->bit;
		} else {
			ASSERT_TRUE(r->vt < 0 && r->mm < 0);
		}
	}
	/* invalid values */
	ASSERT_EQ(0, xpu_dtype_size(0));
	ASSERT_EQ(NULL, xpu_dtype_name(0));
	ASSERT_EQ(0, xpu_dtype_size(XPU_DTYPE_MAX + 1));
	ASSERT_EQ(NULL, xpu_dtype_name(XPU_DTYPE_MAX + 1));
	ASSERT_EQ(0, xpu_dtype_size((enum xpu_dtype)-1));
	ASSERT_EQ(NULL, xpu_dtype_name((enum xpu_dtype)0x7fffffff));
	ASSERT_EQ(1, xpu_dtype_size(XPU_DT_I8));
	ASSERT_EQ(2, xpu_dtype_size(XPU_DT_BF16));
	ASSERT_EQ(8, xpu_dtype_size(XPU_DT_I64));
	ASSERT_STREQ("bfloat16", xpu_dtype_name(XPU_DT_BF16));
	ASSERT_EQ(0, xpu_dtype_from_name("float"));
	ASSERT_EQ(0, xpu_dtype_from_name(""));
	ASSERT_EQ(0, xpu_dtype_from_name(NULL));
	ASSERT_EQ(XPU_DT_BF16, xpu_dtype_from_name("bf16"));
}

TEST(props_dtypes_follow_table_and_caps)
{
	struct xpu_device_props p;
	xpu_device *dev;
	uint32_t want = 0;

	RT_OPEN(dev);
	XOK(xpu_device_get_props(dev, &p));
	for (size_t i = 0; i < NROWS; i++)
		if (rows[i].bit >= 0 && (p.caps & rows[i].cap) == rows[i].cap)
			want |= 1u << rows[i].bit;
	ASSERT_EQ(want, p.dtypes);
	/* the XPU device computes with every type the table calls a compute type */
	ASSERT_EQ(XPU_DTYPE_INT8 | XPU_DTYPE_BF16 | XPU_DTYPE_INT32 | XPU_DTYPE_FP32, p.dtypes);
	xpu_device_close(dev);
}

/* Every (in, out) pair: the compiler accepts exactly the table's matrix
 * types and outputs, and emits the table's ISA codes. */
TEST(matmul_types_follow_table)
{
	for (uint32_t in = 0; in <= XPU_DTYPE_MAX + 1; in++) {
		for (uint32_t out = 0; out <= XPU_DTYPE_MAX + 1; out++) {
			const struct row *ri = row_of(in), *ro = row_of(out), *ra;
			struct xpu_cc_matmul d = { .m = 5, .k = 20, .n = 9, .in_type = in,
						   .out_type = out, .has_bias = 1, .scale = 0.5f };
			int ok = ri && ro && ri->mm >= 0 && (out == ri->acc || out == in);
			char want[32], *src;
			xpu_cc *cc = new_cc();
			xpu_status st;

			ASSERT_NE(NULL, cc);
			st = xpu_cc_matmul(cc, "mm", &d);
			if (!ok) {
				ASSERT_EQ(XPU_ERROR_NOT_SUPPORTED, st) TH_LOG("in %u out %u", in, out);
				ASSERT_NE(0, strlen(xpu_last_error()));
				xpu_cc_destroy(cc);
				continue;
			}
			ASSERT_EQ(XPU_SUCCESS, st) TH_LOG("in %u out %u: %s", in, out,
							  xpu_last_error());
			ra = row_of(ri->acc);
			src = disasm(cc);
			ASSERT_NE(NULL, src);
			snprintf(want, sizeof(want), "matmul.%s", mm_suffix(ri->mm));
			ASSERT_NE(NULL, strstr(src, want)) TH_LOG("%s", want);
			/* the bias is added in the accumulator's vector type */
			snprintf(want, sizeof(want), "vadd.%s", vt_suffix(ra->vt));
			ASSERT_NE(NULL, strstr(src, want)) TH_LOG("%s", want);
			free(src);
			xpu_cc_destroy(cc);
		}
	}
}

TEST(vector_types_follow_table)
{
	for (uint32_t t = 0; t <= XPU_DTYPE_MAX + 1; t++) {
		const struct row *r = row_of(t);
		xpu_cc *cc = new_cc();
		char want[32], *src;
		xpu_status st;

		ASSERT_NE(NULL, cc);
		st = xpu_cc_binary(cc, "add", XPU_BIN_ADD, t, 100);
		if (!r || r->vt < 0) {
			ASSERT_EQ(XPU_ERROR_NOT_SUPPORTED, st) TH_LOG("type %u", t);
			xpu_cc_destroy(cc);
			continue;
		}
		ASSERT_EQ(XPU_SUCCESS, st) TH_LOG("type %u: %s", t, xpu_last_error());
		src = disasm(cc);
		ASSERT_NE(NULL, src);
		snprintf(want, sizeof(want), "vadd.%s", vt_suffix(r->vt));
		ASSERT_NE(NULL, strstr(src, want)) TH_LOG("%s", want);
		free(src);
		xpu_cc_destroy(cc);
	}
}

/* The argument kind of a type takes a value of the type's size. */
TEST(argument_kinds_follow_table)
{
	static const char *const kind_name[] = {
		[XPU_ARG_I64] = "i64", [XPU_ARG_I32] = "i32", [XPU_ARG_F32] = "f32",
	};
	xpu_device *dev;

	RT_OPEN(dev);
	for (size_t i = 0; i < NROWS; i++) {
		const struct row *r = &rows[i];
		struct xpu_arg_info ai;
		uint8_t value[8] = { 0 };
		char src[128];
		xpu_module *mod;
		xpu_kernel *k;

		if (!r->arg)
			continue;
		ASSERT_LT(r->arg, sizeof(kind_name) / sizeof(kind_name[0]));
		ASSERT_NE(NULL, kind_name[r->arg]);
		snprintf(src, sizeof(src), ".kernel k\n.arg x %s\n	halt\n.end\n", kind_name[r->arg]);
		XOK(rt_load_asm(dev, src, &mod));
		XOK(xpu_kernel_create(mod, "k", &k));
		XOK(xpu_kernel_get_arg_info(k, 0, &ai));
		ASSERT_EQ(r->arg, ai.type);
		XOK(xpu_kernel_set_arg(k, 0, r->arg, value, xpu_dtype_size(r->value)));
		XERR(XPU_ERROR_INVALID_ARGUMENT,
		     xpu_kernel_set_arg(k, 0, r->arg, value, xpu_dtype_size(r->value) + 1));
		xpu_kernel_destroy(k);
		xpu_module_unload(mod);
	}
	xpu_device_close(dev);
}

TEST_HARNESS_MAIN
