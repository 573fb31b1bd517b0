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
#define XPU_META_VERSION	2		/* 2: arguments carry min_size; 1 is still read */
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
	uint16_t arg_size;		/* sizeof(struct xpu_meta_arg) = 16 (version 1: 8) */
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
	uint64_t min_size;		/* buffer arguments: bytes the kernel touches from the
					 * argument's address, checked at launch (0: not
					 * recorded); 0 for other types. Not in version 1. */
};
/* version 1 argument records: name and type only */
#define XPU_META_ARG_SIZE_V1	8

/* Each argument takes one 8-byte slot of the argument block: slot i at
 * args_va + 8*i (r1 = args_va, r2 = args_len = 8 * num_args at job start). */
#define XPU_ARG_SLOT_BYTES	8


/*
 * ---- Model graphs (xpu-cc model.onnx) --------------------------------------
 * A compiled model is a kernel binary with two more sections:
 *   .xpu.graph  SHT_XPU_GRAPH: struct xpu_graph_hdr, then the tensor records,
 *               the launch records, the launch argument records and a string
 *               table (tensor names, and the model's own name at hdr.name)
 *   .xpu.const  SHT_XPU_CONST, align 64: the constant tensors (weights), each
 *               at its tensor's offset; uploaded once when the graph is loaded
 * Memory at run time: one read-only constant buffer (.xpu.const), one arena
 * buffer of hdr.arena_size bytes holding every intermediate tensor at its
 * planned offset (offsets are reused by tensors whose lifetimes do not
 * overlap), and one buffer per graph input and output (bound by the user or
 * allocated by the runtime). A run launches the launch records in order on
 * one stream; launch record i runs kernel .kernel of .xpu.meta with its
 * argument slots filled from its argument records.
 */
#define XPU_SECT_GRAPH		".xpu.graph"
#define XPU_SECT_CONST		".xpu.const"
#define SHT_XPU_GRAPH		0x80005851
#define SHT_XPU_CONST		0x80005852

#define XPU_GRAPH_MAGIC		0x47555058	/* "XPUG" */
#define XPU_GRAPH_VERSION	1
#define XPU_GRAPH_MAX_DIMS	8
#define XPU_GRAPH_MAX_TENSORS	(1u << 20)
#define XPU_GRAPH_MAX_LAUNCHES	(1u << 20)
#define XPU_GRAPH_MAX_ARGS	(1u << 24)	/* launch argument records in total */

struct xpu_graph_hdr {
	uint32_t magic;			/* XPU_GRAPH_MAGIC */
	uint16_t version;		/* XPU_GRAPH_VERSION */
	uint16_t hdr_size;		/* sizeof(struct xpu_graph_hdr) */
	uint16_t tensor_size;		/* sizeof(struct xpu_graph_tensor) */
	uint16_t launch_size;		/* sizeof(struct xpu_graph_launch) */
	uint16_t arg_size;		/* sizeof(struct xpu_graph_arg) */
	uint16_t rsvd0;			/* 0 */
	uint32_t name;			/* string table offset of the model's name */
	uint32_t num_tensors;
	uint32_t num_inputs;		/* tensors with location INPUT, io_index 0.. */
	uint32_t num_outputs;		/* tensors with location OUTPUT, io_index 0.. */
	uint32_t num_launches;
	uint32_t num_args;		/* launch argument records in total */
	uint32_t strtab_size;
	uint32_t flags;			/* XPU_GRAPH_F_* */
	uint64_t const_size;		/* bytes of .xpu.const */
	uint64_t arena_size;		/* bytes of the activation arena */
	uint64_t modeled_cycles;	/* compiler's estimate of one run, 0 if none */
};

#define XPU_GRAPH_F_PREC_MASK	0x3	/* precision the graph was compiled for: */
#define XPU_GRAPH_F_PREC_BF16	0x0	/*   bf16 matmuls, fp32 accumulation */
#define XPU_GRAPH_F_PREC_HIGH	0x1	/*   3 bf16 passes per fp32 matmul */
#define XPU_GRAPH_F_PREC_HIGHEST 0x2	/*   6 bf16 passes per fp32 matmul */

/* where a tensor lives */
#define XPU_GRAPH_LOC_INPUT	1	/* a graph input: its own buffer */
#define XPU_GRAPH_LOC_OUTPUT	2	/* a graph output: its own buffer */
#define XPU_GRAPH_LOC_CONST	3	/* .xpu.const at .offset */
#define XPU_GRAPH_LOC_ARENA	4	/* the arena at .offset */

struct xpu_graph_tensor {
	uint32_t name;			/* string table offset */
	uint32_t dtype;			/* enum xpu_dtype */
	uint32_t location;		/* XPU_GRAPH_LOC_* */
	uint32_t io_index;		/* INPUT/OUTPUT: position in the model's list; else 0 */
	uint32_t ndim;			/* 0..XPU_GRAPH_MAX_DIMS (0: a scalar) */
	uint32_t rsvd;			/* 0 */
	uint64_t dims[XPU_GRAPH_MAX_DIMS]; /* unused dims 0 */
	uint64_t offset;		/* CONST/ARENA: byte offset, multiple of 64 */
	uint64_t size;			/* bytes: product(dims) * dtype size */
	float scale;			/* quantised int8/uint8 tensors: scale (else 0) */
	int32_t zero_point;
};

struct xpu_graph_launch {
	uint32_t kernel;		/* index into .xpu.meta's kernels */
	uint32_t first_arg;		/* index of its first argument record */
	uint32_t num_args;		/* = the kernel's argument count */
	uint32_t node;			/* string table offset: the model node(s) it computes */
};

#define XPU_GRAPH_ARG_TENSOR	1	/* VA of tensor .tensor + .value (byte offset) */
#define XPU_GRAPH_ARG_IMM	2	/* the 8-byte slot value .value */

struct xpu_graph_arg {
	uint32_t kind;			/* XPU_GRAPH_ARG_* */
	uint32_t tensor;		/* TENSOR: tensor index */
	uint64_t value;
};

#endif /* XPU_XPU_ELF_H */
