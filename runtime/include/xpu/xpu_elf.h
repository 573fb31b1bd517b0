/* SPDX-License-Identifier: MIT */
/*
 * XPU kernel binary format (docs/runtime.md, "Binary format").
 *
 * An ELF64 little-endian ET_EXEC file with e_machine = XPU_ELF_MACHINE and
 * e_flags = the ISA version. Sections:
 *   .text       SHT_PROGBITS, AX, align 8: the program text of all kernels
 *               (64-bit XPU instructions), each kernel self-contained
 *   .xpu.meta   SHT_XPU_META: struct xpu_meta_hdr, then the kernel records,
 *               the argument records and a string table
 *   .symtab     one STT_FUNC symbol per kernel (for nm/readelf; the loader
 *               uses .xpu.meta only), with .strtab
 *   .shstrtab
 * All integers are little-endian.
 */
#ifndef XPU_XPU_ELF_H
#define XPU_XPU_ELF_H

#include <stdint.h>

#define XPU_ELF_MACHINE		0x5850		/* "XP", private (not IANA) */
#define XPU_ISA_VERSION_MAJOR	1
#define XPU_ISA_VERSION_MINOR	0
#define XPU_ISA_VERSION		((XPU_ISA_VERSION_MAJOR << 16) | XPU_ISA_VERSION_MINOR)

#define XPU_SECT_TEXT		".text"
#define XPU_SECT_META		".xpu.meta"
#define SHT_XPU_META		0x80005850	/* SHT_LOUSER + "XP" */

#define XPU_META_MAGIC		0x4d555058	/* "XPUM" */
#define XPU_META_VERSION	1
#define XPU_META_MAX_KERNELS	4096
#define XPU_META_MAX_ARGS	64		/* per kernel */
#define XPU_META_NAME_MAX	63		/* bytes, without the NUL */

struct xpu_meta_hdr {
	uint32_t magic;			/* XPU_META_MAGIC */
	uint16_t version;		/* XPU_META_VERSION */
	uint16_t hdr_size;		/* sizeof(struct xpu_meta_hdr) = 32 */
	uint32_t isa_version;		/* major << 16 | minor, = e_flags */
	uint32_t num_kernels;
	uint16_t kernel_size;		/* sizeof(struct xpu_meta_kernel) = 32 */
	uint16_t arg_size;		/* sizeof(struct xpu_meta_arg) = 8 */
	uint32_t num_args;		/* argument records in total */
	uint32_t strtab_size;		/* bytes of strings after the records */
	uint32_t rsvd;			/* 0 */
};

struct xpu_meta_kernel {
	uint32_t name;			/* string table offset */
	uint32_t text_offset;		/* bytes into .text, multiple of 8 */
	uint32_t text_size;		/* bytes, multiple of 8, > 0 */
	uint32_t first_arg;		/* index of its first argument record */
	uint32_t num_args;
	uint32_t spad_size;		/* scratchpad bytes it needs */
	uint32_t acc_size;		/* accumulator bytes it needs */
	uint32_t flags;			/* 0 */
};

struct xpu_meta_arg {
	uint32_t name;			/* string table offset */
	uint32_t type;			/* enum xpu_arg_type (xpu.h) */
};

/* Each argument takes one 8-byte slot of the argument block: slot i at
 * args_va + 8*i (r1 = args_va, r2 = args_len = 8 * num_args at job start). */
#define XPU_ARG_SLOT_BYTES	8

#endif /* XPU_XPU_ELF_H */
