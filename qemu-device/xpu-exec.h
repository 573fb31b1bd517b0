/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * XPU: bridge between a hardware queue and its compute tile (the engine in
 * engine/, plain C without QEMU dependencies).
 */
#ifndef HW_MISC_XPU_EXEC_H
#define HW_MISC_XPU_EXEC_H

#include "xpu_engine.h"

typedef struct XpuExec XpuExec;
typedef struct xpu_run_ctl XpuRunCtl;

XpuExec *xpu_exec_new(XpuState *s, uint32_t queue);
void xpu_exec_free(XpuExec *e);
void xpu_exec_reset(XpuExec *e);
void xpu_exec_inject_dma_error(XpuExec *e);
void xpu_exec_run(XpuExec *e, uint64_t pt_root, const struct xpu_job_desc *d,
                  XpuRunCtl *ctl, struct xpu_job_record *rec,
                  struct xpu_job_stats *st);

#endif
