// SPDX-License-Identifier: MIT
/*
 * libxpu: data types. One lookup table built from XPU_DTYPE_TABLE
 * (uapi/xpu_dtype.h), indexed by enum xpu_dtype; the public queries, the
 * props.dtypes bits and the compiler's ISA type codes all read it, so no
 * other file translates between type vocabularies by hand.
 */
#include <assert.h>
#include <string.h>

#include "internal.h"

#define ROW(name_, value, bytes_, str, abbr_, vt_, mm_, acc_, arg_, bit_, cap_) \
	[value] = { .bytes = (bytes_), .name = (str), .abbr = (abbr_), .vt = (vt_), .mm = (mm_), \
		    .acc = (acc_), .arg = (arg_), .bit = (bit_), .cap = (cap_) },
static const struct xpu_dtype_desc table[XPU_DTYPE_MAX + 1] = {
	XPU_DTYPE_TABLE(ROW)
};
#undef ROW

/* Compile-time checks of the table: values in range and distinct (a
 * duplicate value would silently overwrite a row), sizes powers of two. */
#define CHECK(name, value, bytes, ...) \
	static_assert((value) > 0 && (value) <= XPU_DTYPE_MAX, #name ": value out of range"); \
	static_assert((bytes) && !((bytes) & ((bytes) - 1)), #name ": size not a power of 2");
XPU_DTYPE_TABLE(CHECK)
#undef CHECK
#define ONE(name, ...) + 1
static_assert(0 XPU_DTYPE_TABLE(ONE) == XPU_DTYPE_MAX,
	      "XPU_DTYPE_MAX must be the number of types (values 1..max, no gaps)");
#undef ONE
#define DISTINCT(name, value, ...) int dtype_value_##value;
struct dtype_values_distinct { XPU_DTYPE_TABLE(DISTINCT) };	/* duplicate member = error */
#undef DISTINCT

const struct xpu_dtype_desc *xpu_dtype_desc(uint32_t type)
{
	if (type == 0 || type > XPU_DTYPE_MAX || !table[type].bytes)
		return NULL;
	return &table[type];
}

uint32_t xpu_arg_dtype(uint32_t arg)
{
	for (uint32_t t = 1; arg && t <= XPU_DTYPE_MAX; t++)
		if (table[t].arg == arg)
			return t;
	return 0;
}

uint32_t xpu_dtype_bits(uint32_t caps)
{
	uint32_t bits = 0;

	for (uint32_t t = 1; t <= XPU_DTYPE_MAX; t++)
		if (table[t].bit >= 0 && (caps & table[t].cap) == table[t].cap)
			bits |= 1u << table[t].bit;
	return bits;
}

XPU_EXPORT size_t xpu_dtype_size(enum xpu_dtype type)
{
	const struct xpu_dtype_desc *d = xpu_dtype_desc(type);

	return d ? d->bytes : 0;
}

XPU_EXPORT const char *xpu_dtype_name(enum xpu_dtype type)
{
	const struct xpu_dtype_desc *d = xpu_dtype_desc(type);

	return d ? d->name : NULL;
}

XPU_EXPORT enum xpu_dtype xpu_dtype_from_name(const char *name)
{
	for (uint32_t t = 1; name && t <= XPU_DTYPE_MAX; t++)
		if (!strcmp(name, table[t].name) || !strcmp(name, table[t].abbr))
			return (enum xpu_dtype)t;
	return (enum xpu_dtype)0;
}
