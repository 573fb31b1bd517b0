/* SPDX-License-Identifier: MIT */
/*
 * XPU data types: the one list. Every component that names an element type
 * (libxpu's props.dtypes bits, the kernel compiler's enum xpu_dtype, the
 * ISA's vector and matrix type codes, the kernel argument kinds that carry a
 * scalar of the type) derives it from XPU_DTYPE_TABLE below, so adding a
 * type is one line here plus tests (tests/runtime/dtype_test.c checks that
 * every path agrees with the table).
 *
 * Columns of X(name, value, bytes, str, abbr, vt, mm, acc, arg, bit, cap):
 *   name   suffix of XPU_DT_<name> (enum xpu_dtype)
 *   value  its value; stable (stored in compiler descriptors and bindings)
 *   bytes  element size
 *   str    the canonical lower-case name (xpu_dtype_name())
 *   abbr   the short name of assembler suffixes, IR dumps and xpu-cc options
 *          (xpu_dtype_from_name() accepts both)
 *   vt     the vector unit's type code (XPU_VT_*, uapi/xpu_isa.h), -1 if the
 *          vector unit has no such type
 *   mm     the matrix unit's input type code (XPU_MM_*), -1 if none
 *   acc    XPU_DT_* value the matrix unit accumulates this input type into,
 *          0 if none
 *   arg    the kernel argument kind (XPU_ARG_*, xpu.h) that passes one
 *          scalar of this type, 0 if none
 *   bit    bit number in xpu_device_props.dtypes, -1 if the type is not a
 *          device compute type (int64, uint8, bool: graph inputs, outputs
 *          and indices only; the device has no arithmetic on them)
 *   cap    XPU_CAP_* (uapi/xpu_hw.h) the device must report for the type
 *
 * The vt/mm/arg/cap columns name macros of other headers; an X() that uses
 * them needs those headers included (the preprocessor expands an argument
 * only where X uses it). Plain C99, shared by libxpu, tools and tests.
 */
#ifndef XPU_DTYPE_H
#define XPU_DTYPE_H

/*   name  value bytes str         abbr    vt          mm           acc         arg          bit cap */
#define XPU_DTYPE_TABLE(X) \
	X(I8,   1,    1,   "int8",     "i8",   -1,         XPU_MM_INT8, XPU_DT_I32, 0,           0,  XPU_CAP_INT8) \
	X(I32,  2,    4,   "int32",    "i32",  XPU_VT_I32, -1,          0,          XPU_ARG_I32, 2,  XPU_CAP_VECTOR) \
	X(F32,  3,    4,   "float32",  "f32",  XPU_VT_F32, -1,          0,          XPU_ARG_F32, 3,  XPU_CAP_VECTOR) \
	X(BF16, 4,    2,   "bfloat16", "bf16", -1,         XPU_MM_BF16, XPU_DT_F32, 0,           1,  XPU_CAP_BF16) \
	X(I64,  5,    8,   "int64",    "i64",  -1,         -1,          0,          XPU_ARG_I64, -1, 0) \
	X(U8,   6,    1,   "uint8",    "u8",   -1,         -1,          0,          0,           -1, 0) \
	X(BOOL, 7,    1,   "bool",     "bool", -1,         -1,          0,          0,           -1, 0)

#define XPU_DTYPE_MAX		7	/* the largest value in the table */

#define XPU_DTYPE_ENUM_(name, value, ...)	XPU_DT_##name = (value),
/* Element types. 0 is never a valid type. */
enum xpu_dtype {
	XPU_DTYPE_TABLE(XPU_DTYPE_ENUM_)
};

#undef XPU_DTYPE_ENUM_

/* XPU_DTYPE_BIT_<name>: the type's bit in xpu_device_props.dtypes (0: none) */
#define XPU_DTYPE_BIT_(name, value, bytes, str, abbr, vt, mm, acc, arg, bit, cap) \
	XPU_DTYPE_BIT_##name = (bit) < 0 ? 0u : 1u << ((bit) < 0 ? 0 : (bit)),
enum xpu_dtype_bit {
	XPU_DTYPE_TABLE(XPU_DTYPE_BIT_)
};

#undef XPU_DTYPE_BIT_

#endif /* XPU_DTYPE_H */
