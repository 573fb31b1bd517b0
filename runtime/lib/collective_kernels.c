// SPDX-License-Identifier: MIT
/*
 * libxpu collectives: the per-step kernels.
 *
 * A reduction step on rank j is one job: dst = own + peer over `bytes`,
 * where peer is another rank's buffer as seen from j (a peer VA: its loads
 * cross the chip-to-chip link, or PCIe peer-to-peer). The kernel streams the
 * data through the scratchpad in chunks of `chunk` bytes with two buffer
 * sets: while chunk i is added and stored, chunk i+1's own and peer loads
 * are already queued on the DMA unit (the engine's units overlap; the
 * scoreboard orders them), so a step costs about its peer transfer.
 *
 * The add is the vector unit's: int32 wraps, fp32 is one IEEE add with
 * round-to-nearest-even (canonical NaN), bf16 is widened exactly to fp32,
 * added (RNE), and rounded back to bf16 (RNE, NaN -> 0x7fc0) per addition
 * (docs/isa.md, VBIN and VCVT). Each output element is one two-operand add,
 * so the order of a collective's additions is the schedule's alone
 * (collective.c, docs/collectives.md).
 *
 * The kernels are assembly text assembled by libxpu itself (asm.c) and
 * loaded once per rank when the communicator is created.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coll_internal.h"

static const char *const rtype_suffix[COLL_NTYPES] = { "i32", "f32", "bf16" };
/* scratchpad chunks: two sets of (A, B), and for bf16 the two fp32 copies
 * (4 chunks, one set: the vector unit works in order anyway) */
static const unsigned rtype_chunks[COLL_NTYPES] = { 4, 4, 8 };

int coll_rtype(enum xpu_dtype dtype)
{
	switch (dtype) {
	case XPU_DT_I32: return COLL_I32;
	case XPU_DT_F32: return COLL_F32;
	case XPU_DT_BF16: return COLL_BF16;
	default: return -1;
	}
}

uint64_t coll_chunk_bytes(uint32_t spad, int rtype)
{
	uint64_t c = spad / rtype_chunks[rtype];

	/* whole 4 KiB scoreboard blocks when there is room, so the two sets
	 * never share a block (no false hazards between them) */
	return c >= 4096 ? c & ~4095ull : c & ~63ull;
}

/* The element-wise add of chunk r10 bytes at A = r8, B = r8 + C (r7) into A. */
static const char *const op_text[COLL_NTYPES] = {
	"	shri r13, r10, 2\n"
	"	vcfg r14, r13\n"
	"	add r16, r8, r7\n"
	"	vadd.i32 r8, r8, r16\n",

	"	shri r13, r10, 2\n"
	"	vcfg r14, r13\n"
	"	add r16, r8, r7\n"
	"	vadd.f32 r8, r8, r16\n",

	/* fp32 copies F1 = 4C, F2 = 6C (each 2C bytes, after both sets) */
	"	shri r13, r10, 1\n"
	"	vcfg r14, r13\n"
	"	add r16, r8, r7\n"
	"	shli r17, r7, 2\n"
	"	add r18, r17, r7\n"
	"	add r18, r18, r7\n"
	"	vcvt.bf16.f32 r17, r8\n"
	"	vcvt.bf16.f32 r18, r16\n"
	"	vadd.f32 r17, r17, r18\n"
	"	vcvt.f32.bf16 r8, r17\n",
};

/* One reduce kernel: see the top. Set size = chunks/2 x C. */
static int kernel_text(char *out, size_t size, int t)
{
	return snprintf(out, size,
		".kernel coll_reduce_%s\n"
		".arg dst u64\n.arg own u64\n.arg peer u64\n.arg bytes u64\n.arg chunk u64\n"
		"	ld r3, 0(r1)		# dst\n"
		"	ld r4, 8(r1)		# own\n"
		"	ld r5, 16(r1)		# peer\n"
		"	ld r6, 24(r1)		# bytes left\n"
		"	ld r7, 32(r1)		# chunk C\n"
		"	beq r6, r0, done\n"
		"	li r14, 1\n"
		"	li r8, 0		# this chunk's set\n"
		"	add r9, r7, r7		# the other set\n"
		"	min r10, r6, r7		# this chunk's bytes\n"
		"	dma.v2l r8, r4, r10	# A <- own\n"
		"	add r16, r8, r7\n"
		"	dma.v2l r16, r5, r10	# B <- peer\n"
		"loop:\n"
		"	sub r12, r6, r10	# left after this chunk\n"
		"	li r11, 0\n"
		"	beq r12, r0, compute\n"
		"	min r11, r12, r7	# next chunk: loads into the other set\n"
		"	add r17, r4, r10\n"
		"	dma.v2l r9, r17, r11\n"
		"	add r17, r5, r10\n"
		"	add r18, r9, r7\n"
		"	dma.v2l r18, r17, r11\n"
		"compute:\n"
		"%s"
		"	dma.l2v r3, r8, r10	# dst <- A\n"
		"	add r3, r3, r10\n"
		"	add r4, r4, r10\n"
		"	add r5, r5, r10\n"
		"	addi r6, r12, 0\n"
		"	addi r19, r8, 0		# swap the sets\n"
		"	addi r8, r9, 0\n"
		"	addi r9, r19, 0\n"
		"	addi r10, r11, 0\n"
		"	bne r6, r0, loop\n"
		"done:\n"
		"	halt\n"
		".end\n",
		rtype_suffix[t], op_text[t]);
}

xpu_status coll_kernels_load(xpu_device *dev, struct coll_kernels *k)
{
	char src[8192];
	size_t len = 0, size;
	void *image;
	xpu_status st;

	memset(k, 0, sizeof(*k));
	for (int t = 0; t < COLL_NTYPES; t++) {
		len += (size_t)kernel_text(src + len, sizeof(src) - len, t);
		k->chunk[t] = coll_chunk_bytes(dev->props.spad_size, t);
		if (k->chunk[t] < 64)
			return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
					     "collectives: a %u-byte scratchpad is too small for the "
					     "reduction kernels", dev->props.spad_size);
	}
	st = xpu_assemble(src, "libxpu-collectives.s", &image, &size);
	if (st)
		return st;
	st = xpu_module_load(dev, image, size, &k->mod);
	free(image);
	if (st)
		return st;
	for (int t = 0; t < COLL_NTYPES; t++) {
		char name[32];

		snprintf(name, sizeof(name), "coll_reduce_%s", rtype_suffix[t]);
		for (uint32_t i = 0; i < k->mod->img.num_kernels; i++)
			if (!strcmp(k->mod->img.kernels[i].name, name))
				k->reduce[t] = &k->mod->img.kernels[i];
		if (!k->reduce[t]) {
			coll_kernels_unload(k);
			return xpu_set_error(XPU_ERROR_INVALID_BINARY, "collectives: no kernel %s",
					     name);
		}
	}
	return XPU_SUCCESS;
}

void coll_kernels_unload(struct coll_kernels *k)
{
	if (k->mod)
		xpu_module_unload(k->mod);
	memset(k, 0, sizeof(*k));
}

xpu_status coll_queue_reduce(xpu_stream *s, const struct coll_kernels *k, int rtype,
			     uint64_t dst, uint64_t own, uint64_t peer, uint64_t bytes,
			     xpu_buffer *const *bufs, uint32_t nbufs, const char *what)
{
	uint64_t slots[5] = { dst, own, peer, bytes, k->chunk[rtype] };
	xpu_status st;

	pthread_mutex_lock(&s->lock);
	st = xpu_stream_launch_locked(s, k->mod, k->reduce[rtype], slots, 5, bufs, nbufs, NULL, 0,
				      NULL, what);
	pthread_mutex_unlock(&s->lock);
	return st;
}

xpu_status coll_queue_copy(xpu_stream *s, uint64_t dst, uint64_t src, uint64_t bytes,
			   xpu_buffer *const *bufs, uint32_t nbufs, const char *what)
{
	uint64_t slots[3] = { dst, src, bytes };
	xpu_module *mod;
	xpu_status st = xpu_builtin_module(s->dev, &mod);

	if (st)
		return st;
	pthread_mutex_lock(&s->lock);
	st = xpu_stream_launch_locked(s, mod, &mod->img.kernels[0], slots, 3, bufs, nbufs, NULL, 0,
				      NULL, what);
	pthread_mutex_unlock(&s->lock);
	return st;
}
