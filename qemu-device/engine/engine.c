// SPDX-License-Identifier: MIT
/*
 * XPU engine: tile life cycle, job setup and the scalar core's interpreter
 * loop. DMA, MXU and VPU instructions are executed in dma.c, mxu.c, vpu.c;
 * their timing is modeled in timing.c.
 */
#include <stdlib.h>
#include "engine_int.h"

/* ---- tile ------------------------------------------------------------------ */
static uint32_t def(uint32_t v, uint32_t d)
{
	return v ? v : d;
}

struct xpu_tile *xpu_tile_new(const struct xpu_engine_config *cfg, const struct xpu_mem *mem)
{
	struct xpu_engine_config c = { 0 };
	struct xpu_tile *t;

	if (cfg)
		c = *cfg;
	c.rows = def(c.rows, XPU_ENG_DEF_ROWS);
	c.cols = def(c.cols, XPU_ENG_DEF_COLS);
	c.spad_bytes = def(c.spad_bytes, XPU_ENG_DEF_SPAD);
	c.acc_bytes = def(c.acc_bytes, XPU_ENG_DEF_ACC);
	c.clock_mhz = def(c.clock_mhz, XPU_ENG_DEF_CLOCK_MHZ);
	c.hbm_gbps = def(c.hbm_gbps, XPU_ENG_DEF_HBM_GBPS);
	c.dma_latency_cycles = def(c.dma_latency_cycles, XPU_ENG_DEF_DMA_LAT);
	c.host_gbps = def(c.host_gbps, XPU_ENG_DEF_HOST_GBPS);
	c.link_gbps = def(c.link_gbps, XPU_ENG_DEF_LINK_GBPS);
	c.link_latency_cycles = def(c.link_latency_cycles, XPU_ENG_DEF_LINK_LAT);
	if (c.rows > 65535 || c.cols > 65535 || c.spad_bytes > XPU_LA_ACC ||
	    c.acc_bytes > XPU_LA_ACC)
		return NULL;
	if (!mem || (!mem->hbm && mem->hbm_size))
		return NULL;

	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cfg = c;
	t->mem = *mem;
	t->sb_nblocks = ((uint64_t)c.spad_bytes >> XPU_SB_SHIFT) + 1 +
			((uint64_t)c.acc_bytes >> XPU_SB_SHIFT) + 1;
	t->spad = calloc(1, c.spad_bytes);
	t->acc = calloc(1, c.acc_bytes);
	t->sb_w = calloc(t->sb_nblocks, sizeof(uint64_t));
	t->sb_r = calloc(t->sb_nblocks, sizeof(uint64_t));
	t->mm_f = calloc(XPU_MM_KB * XPU_MM_NB, sizeof(float));
	t->mm_i = calloc(XPU_MM_KB * XPU_MM_NB, sizeof(int16_t));
	if (!t->spad || !t->acc || !t->sb_w || !t->sb_r || !t->mm_f || !t->mm_i) {
		xpu_tile_free(t);
		return NULL;
	}
	xpu_tile_reset(t);
	return t;
}

void xpu_tile_free(struct xpu_tile *t)
{
	if (!t)
		return;
	free(t->spad);
	free(t->acc);
	free(t->sb_w);
	free(t->sb_r);
	free(t->mm_f);
	free(t->mm_i);
	free(t);
}

void xpu_tile_reset(struct xpu_tile *t)
{
	memset(t->spad, 0, t->cfg.spad_bytes);
	memset(t->acc, 0, t->cfg.acc_bytes);
	xpu_tlb_flush(t);
	t->tlb_root = ~0ull;
	t->tlb_gen_seen = t->mem.tlb_gen ? __atomic_load_n(t->mem.tlb_gen, __ATOMIC_ACQUIRE) : 0;
}

void xpu_tile_get_config(const struct xpu_tile *t, struct xpu_engine_config *cfg)
{
	*cfg = t->cfg;
}

uint8_t *xpu_la_ptr(struct xpu_tile *t, uint64_t la, uint64_t len)
{
	if (la < XPU_LA_ACC) {
		if (la > t->cfg.spad_bytes || len > t->cfg.spad_bytes - la)
			return NULL;
		return t->spad + la;
	}
	la -= XPU_LA_ACC;
	if (la > t->cfg.acc_bytes || len > t->cfg.acc_bytes - la)
		return NULL;
	return t->acc + la;
}

uint8_t *xpu_tile_sram(struct xpu_tile *t, uint64_t local_addr, uint64_t len)
{
	return xpu_la_ptr(t, local_addr, len);
}

int xpu_extent(uint64_t rows, uint64_t stride, uint64_t row_bytes, uint64_t *out)
{
	uint64_t e;

	if (!rows || !row_bytes) {
		*out = 0;
		return 0;
	}
	if (__builtin_mul_overflow(rows - 1, stride, &e) ||
	    __builtin_add_overflow(e, row_bytes, &e))
		return -1;
	*out = e;
	return 0;
}

/* Between instructions: no work unit (PROGRESS then counts instructions). */
static int poll_abort_only(struct xpu_tile *t)
{
	if (t->ctl && __atomic_load_n(&t->ctl->abort, __ATOMIC_ACQUIRE))
		return XPU_JOB_STATUS_ABORTED;
	return 0;
}

/*
 * Inside DMA, MATMUL and vector operations: a single instruction may run
 * for seconds, so every poll point is also a heartbeat a hang check sees.
 */
int xpu_poll_abort(struct xpu_tile *t)
{
	if (!t->ctl)
		return 0;
	__atomic_store_n(&t->ctl->work, ++t->work, __ATOMIC_RELEASE);
	return poll_abort_only(t);
}

/* ---- decoder ----------------------------------------------------------------
 * Generated from the instruction table in xpu_isa.h: per opcode the bits it
 * may set, the defined func4 values and, for vector ops typed by imm, the
 * element types each func4 value is defined for.
 */
struct op_info {
	uint64_t used;		/* 0: undefined opcode */
	uint16_t fns;		/* bit f: func4 value f is defined */
	uint8_t imm;		/* XPU_IMM_* */
	uint8_t types[16];	/* XPU_TY_* per func4 value */
};

#define FN_BIT(name, value, mn, types)	| (1u << (value))
#define FN_TYPES(name, value, mn, types)	[value] = (types),
#define OP_INFO(name, code, pre, suf, syn, imm, fn)				\
	[code] = { XPU_FIELD_MASK(XPU_OP_FIELDS(syn, imm, fn)), 0 fn(FN_BIT),	\
		   imm, { fn(FN_TYPES) } },

static const struct op_info op_info[256] = { XPU_OPCODES(OP_INFO) };

/* 1 if insn is a defined encoding (else it is BAD_INSN) */
static int decode_ok(uint64_t insn)
{
	const struct op_info *o = &op_info[XPU_INSN_OP(insn)];
	uint32_t f = XPU_INSN_FUNC(insn), imm = XPU_INSN_IMM(insn), type;

	if (!o->used || (insn & ~o->used) || !((o->fns >> f) & 1))
		return 0;
	switch (o->imm) {
	case XPU_IMM_VTYPE:
		type = imm;
		break;
	case XPU_IMM_VBIN:
		if (imm & ~(uint32_t)(XPU_VB_TYPE_MASK | XPU_VB_BCAST_MASK))
			return 0;
		type = imm & XPU_VB_TYPE_MASK;
		break;
	default:
		return 1;
	}
	return type <= XPU_VT_F32 && ((o->types[f] >> type) & 1);
}

/* ---- scalar core ------------------------------------------------------------ */
static int alu(uint32_t f, uint64_t a, uint64_t b, uint64_t *r)
{
	switch (f) {
	case XPU_ALU_ADD: *r = a + b; break;
	case XPU_ALU_SUB: *r = a - b; break;
	case XPU_ALU_MUL: *r = a * b; break;
	case XPU_ALU_AND: *r = a & b; break;
	case XPU_ALU_OR: *r = a | b; break;
	case XPU_ALU_XOR: *r = a ^ b; break;
	case XPU_ALU_SHL: *r = a << (b & 63); break;
	case XPU_ALU_SHR: *r = a >> (b & 63); break;
	case XPU_ALU_SRA:	/* portable arithmetic shift */
		*r = (a >> (b & 63)) | ((a >> 63) ? ~(~0ull >> (b & 63)) : 0);
		break;
	case XPU_ALU_SLT: *r = (int64_t)a < (int64_t)b; break;
	case XPU_ALU_SLTU: *r = a < b; break;
	case XPU_ALU_DIVU: *r = b ? a / b : ~0ull; break;
	case XPU_ALU_REMU: *r = b ? a % b : a; break;
	case XPU_ALU_MIN: *r = (int64_t)a < (int64_t)b ? a : b; break;
	case XPU_ALU_MAX: *r = (int64_t)a > (int64_t)b ? a : b; break;
	default: return XPU_JOB_STATUS_BAD_INSN;
	}
	return 0;
}

static int branch_taken(uint32_t f, uint64_t a, uint64_t b, int *taken)
{
	switch (f) {
	case XPU_BR_EQ: *taken = a == b; break;
	case XPU_BR_NE: *taken = a != b; break;
	case XPU_BR_LT: *taken = (int64_t)a < (int64_t)b; break;
	case XPU_BR_GE: *taken = (int64_t)a >= (int64_t)b; break;
	case XPU_BR_LTU: *taken = a < b; break;
	case XPU_BR_GEU: *taken = a >= b; break;
	default: return XPU_JOB_STATUS_BAD_INSN;
	}
	return 0;
}

static int fetch(struct xpu_tile *t, uint64_t va, uint64_t *insn)
{
	uint64_t vpn = va >> XPU_PAGE_SHIFT, dpa;
	int rc;

	if (t->fetch_tag != vpn + 1) {
		rc = xpu_mmu_translate(t, va, XPU_ACCESS_EXEC, &dpa);
		if (rc)
			return rc;
		dpa &= ~(XPU_PAGE_SIZE - 1);
		if (dpa & (XPU_DPA_HOST | XPU_DPA_LINK)) {
			rc = xpu_dpa_read(t, dpa, t->fetch_buf, XPU_PAGE_SIZE);
			if (rc)
				return xpu_link_fail(t, rc, va, XPU_ACCESS_EXEC);
			/* a code page from a peer: the core waits for it */
			t->now = xpu_max64(t->now, xpu_link_sched(t, NULL, 0, NULL, 0));
			t->fetch_ptr = t->fetch_buf;
		} else {
			t->fetch_ptr = t->mem.hbm + dpa;	/* frame checked by the MMU */
		}
		t->fetch_tag = vpn + 1;
	}
	*insn = xpu_ld64(t->fetch_ptr + (va & (XPU_PAGE_SIZE - 1)));
	return 0;
}

static int scalar_mem(struct xpu_tile *t, uint64_t insn, int store)
{
	uint32_t f = XPU_INSN_FUNC(insn);
	uint64_t addr = t->regs[XPU_INSN_RS1(insn)] + (uint64_t)XPU_INSN_SIMM(insn);
	uint64_t size = (f & XPU_MEM_W32) ? 4 : 8;
	uint8_t buf[8];
	uint64_t v = 0;
	int rc;

	if (f & ~(uint32_t)(XPU_MEM_W32 | XPU_MEM_LOCAL))
		return XPU_JOB_STATUS_BAD_INSN;
	if (store) {
		v = t->regs[XPU_INSN_RS2(insn)];
		xpu_st64(buf, v);	/* little-endian: low 4 bytes for W32 */
	}
	if (f & XPU_MEM_LOCAL) {
		uint8_t *p = xpu_la_ptr(t, addr, size);

		if (!p)
			return XPU_JOB_STATUS_SRAM_RANGE;
		t->now = xpu_max64(t->now, xpu_sb_ready(t, addr, size, store));
		if (store)
			memcpy(p, buf, size);
		else
			memcpy(buf, p, size);
	} else {
		/* wait for DMA and links */
		t->now = xpu_max64(t->now, xpu_max64(t->dma_free, xpu_link_free(t)));
		rc = store ? xpu_va_write(t, addr, buf, size) : xpu_va_read(t, addr, buf, size);
		if (rc)
			return rc;
		/* a load or store to a peer's memory: one link transfer */
		t->now = xpu_max64(t->now, xpu_link_sched(t, NULL, 0, NULL, 0));
	}
	if (!store) {
		v = xpu_ld64(buf);
		if (size == 4)
			v &= 0xffffffffull;
		if (XPU_INSN_RD(insn))
			t->regs[XPU_INSN_RD(insn)] = v;
	}
	return 0;
}

static int run_program(struct xpu_tile *t, const struct xpu_job_desc *job)
{
	uint64_t n = job->prog_len / XPU_INSN_BYTES, pc = 0, insn = 0, r;
	uint64_t poll = XPU_POLL_INSNS;
	int64_t target;
	int rc, taken;

	for (;;) {
		if (--poll == 0) {
			poll = XPU_POLL_INSNS;
			if (t->ctl)
				__atomic_store_n(&t->ctl->retired, t->retired, __ATOMIC_RELEASE);
			if ((rc = poll_abort_only(t)))
				return rc;
			t->fetch_tag = 0;	/* re-translate: notices TLB invalidation */
		}
		if (pc >= n)
			return XPU_JOB_STATUS_BAD_INSN;		/* ran off the end */
		rc = fetch(t, job->prog_va + pc * XPU_INSN_BYTES, &insn);
		if (rc)
			return rc;
		if (!decode_ok(insn))
			return XPU_JOB_STATUS_BAD_INSN;
		t->regs[0] = 0;

		switch (XPU_INSN_OP(insn)) {
		case XPU_OP_HALT:
			t->retired++;
			t->now++;
			return 0;
		case XPU_OP_NOP:
			break;
		case XPU_OP_FENCE:
			t->now = xpu_max64(t->now, xpu_max64(t->dma_free,
					   xpu_max64(t->mxu_free, t->vpu_free)));
			t->now = xpu_max64(t->now, xpu_link_free(t));
			break;
		case XPU_OP_LI:
			t->regs[XPU_INSN_RD(insn)] = (uint64_t)XPU_INSN_SIMM(insn);
			break;
		case XPU_OP_LIU:
			t->regs[XPU_INSN_RD(insn)] = XPU_INSN_IMM(insn);
			break;
		case XPU_OP_LIH:
			r = t->regs[XPU_INSN_RD(insn)];
			t->regs[XPU_INSN_RD(insn)] = (r & 0xffffffffull) |
						     ((uint64_t)XPU_INSN_IMM(insn) << 32);
			break;
		case XPU_OP_ALU:
		case XPU_OP_ALUI:
			rc = alu(XPU_INSN_FUNC(insn), t->regs[XPU_INSN_RS1(insn)],
				 XPU_INSN_OP(insn) == XPU_OP_ALU ? t->regs[XPU_INSN_RS2(insn)]
				 : (uint64_t)XPU_INSN_SIMM(insn), &r);
			if (rc)
				return rc;
			t->regs[XPU_INSN_RD(insn)] = r;
			break;
		case XPU_OP_LD:
		case XPU_OP_ST:
			rc = scalar_mem(t, insn, XPU_INSN_OP(insn) == XPU_OP_ST);
			if (rc)
				return rc;
			break;
		case XPU_OP_BR:
			rc = branch_taken(XPU_INSN_FUNC(insn), t->regs[XPU_INSN_RS1(insn)],
					  t->regs[XPU_INSN_RS2(insn)], &taken);
			if (rc)
				return rc;
			target = (int64_t)pc + XPU_INSN_SIMM(insn);
			if (target < 0 || (uint64_t)target >= n)
				return XPU_JOB_STATUS_BAD_INSN;
			t->retired++;
			t->now++;
			pc = taken ? (uint64_t)target : pc + 1;
			continue;
		case XPU_OP_JAL:
			target = (int64_t)pc + XPU_INSN_SIMM(insn);
			if (target < 0 || (uint64_t)target >= n)
				return XPU_JOB_STATUS_BAD_INSN;
			t->regs[XPU_INSN_RD(insn)] = pc + 1;
			t->retired++;
			t->now++;
			pc = (uint64_t)target;
			continue;
		case XPU_OP_JALR:
			r = t->regs[XPU_INSN_RS1(insn)] + (uint64_t)XPU_INSN_SIMM(insn);
			if (r >= n)
				return XPU_JOB_STATUS_BAD_INSN;
			t->regs[XPU_INSN_RD(insn)] = pc + 1;
			t->retired++;
			t->now++;
			pc = r;
			continue;
		case XPU_OP_DCFG:
			t->d_rows = t->regs[XPU_INSN_RS1(insn)];
			t->d_sstride = t->regs[XPU_INSN_RS2(insn)];
			t->d_dstride = t->regs[XPU_INSN_RS3(insn)];
			break;
		case XPU_OP_DMA:
			rc = xpu_exec_dma(t, insn);
			if (rc)
				return rc;
			break;
		case XPU_OP_MCFG:
			if (XPU_INSN_FUNC(insn) == XPU_MCFG_SHAPE) {
				t->m_m = t->regs[XPU_INSN_RS1(insn)];
				t->m_k = t->regs[XPU_INSN_RS2(insn)];
				t->m_n = t->regs[XPU_INSN_RS3(insn)];
			} else if (XPU_INSN_FUNC(insn) == XPU_MCFG_STRIDE) {
				t->m_lda = t->regs[XPU_INSN_RS1(insn)];
				t->m_ldb = t->regs[XPU_INSN_RS2(insn)];
				t->m_ldc = t->regs[XPU_INSN_RS3(insn)];
			} else {
				return XPU_JOB_STATUS_BAD_INSN;
			}
			break;
		case XPU_OP_MATMUL:
			rc = xpu_exec_matmul(t, insn);
			if (rc)
				return rc;
			break;
		case XPU_OP_VCFG:
			t->v_rows = t->regs[XPU_INSN_RS1(insn)];
			t->v_cols = t->regs[XPU_INSN_RS2(insn)];
			break;
		default:	/* vector ops */
			rc = xpu_exec_vpu(t, insn);
			if (rc)
				return rc;
			break;
		}
		t->regs[0] = 0;
		t->retired++;
		t->now++;
		pc++;
	}
}

uint32_t xpu_tile_run(struct xpu_tile *t, uint64_t pt_root, const struct xpu_job_desc *job,
		      struct xpu_run_ctl *ctl, struct xpu_job_record *rec,
		      struct xpu_job_stats *stats)
{
	struct xpu_job_record r = { 0 };
	uint32_t status = XPU_JOB_STATUS_OK;

	/* job state */
	t->ctl = ctl;
	t->pt_root = pt_root;
	memset(t->regs, 0, sizeof(t->regs));
	t->fault_va = 0;
	t->fault_access = 0;
	t->d_rows = 1;
	t->d_sstride = t->d_dstride = 0;
	t->m_m = t->m_k = t->m_n = t->m_lda = t->m_ldb = t->m_ldc = 0;
	t->v_rows = t->v_cols = 0;
	t->fetch_tag = 0;
	t->now = t->dma_free = t->mxu_free = t->vpu_free = 0;
	t->dma_busy = t->mxu_busy = t->vpu_busy = t->dma_bytes = t->macs = t->retired = 0;
	memset(t->link_pending, 0, sizeof(t->link_pending));
	memset(t->link_free, 0, sizeof(t->link_free));
	memset(t->port_busy, 0, sizeof(t->port_busy));
	memset(t->port_bytes, 0, sizeof(t->port_bytes));
	t->work = 0;
	memset(t->sb_w, 0, t->sb_nblocks * sizeof(uint64_t));
	memset(t->sb_r, 0, t->sb_nblocks * sizeof(uint64_t));
	if (pt_root != t->tlb_root) {
		xpu_tlb_flush(t);
		t->tlb_root = pt_root;
	}
	if (ctl) {
		__atomic_store_n(&ctl->retired, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&ctl->work, 0, __ATOMIC_RELEASE);
	}

	if (job->op == XPU_JOB_NOP) {
		status = XPU_JOB_STATUS_OK;
	} else if (job->op != XPU_JOB_EXEC || (job->flags & ~XPU_JOB_F_ALL) || (job->prog_va & 7) ||
		   (job->prog_len & 7)) {
		status = XPU_JOB_STATUS_BAD_DESC;
	} else if ((status = poll_abort_only(t)) == 0) {
		t->regs[XPU_GPR_ARGS_VA] = job->args_va;
		t->regs[XPU_GPR_ARGS_LEN] = job->args_len;
		status = (uint32_t)run_program(t, job);
	}

	r.status = status;
	if (status == XPU_JOB_STATUS_MMU_FAULT || status == XPU_JOB_STATUS_LINK_ERROR) {
		r.fault_va = t->fault_va;
		r.fault_access = t->fault_access;
	}
	r.cycles = xpu_max64(xpu_max64(t->now, t->dma_free), xpu_max64(t->mxu_free, t->vpu_free));
	r.cycles = xpu_max64(r.cycles, xpu_link_free(t));
	r.retired = t->retired;
	r.dma_bytes = t->dma_bytes;
	r.macs = t->macs;
	r.cookie = job->cookie;
	if (ctl)
		__atomic_store_n(&ctl->retired, t->retired, __ATOMIC_RELEASE);
	if (rec)
		*rec = r;
	if (stats) {
		stats->cycles = r.cycles;
		stats->dma_busy = t->dma_busy;
		stats->mxu_busy = t->mxu_busy;
		stats->vpu_busy = t->vpu_busy;
		stats->dma_bytes = t->dma_bytes;
		stats->macs = t->macs;
		stats->retired = t->retired;
		stats->link_busy = stats->link_bytes = 0;
		for (int p = 0; p < XPU_MAX_LINKS; p++) {
			stats->port_busy[p] = t->port_busy[p];
			stats->port_bytes[p] = t->port_bytes[p];
			stats->link_busy += t->port_busy[p];
			stats->link_bytes += t->port_bytes[p];
		}
	}
	t->ctl = NULL;
	return status;
}
