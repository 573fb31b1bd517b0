/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * XPU: runs EXEC jobs on a queue's compute tile. Transitional: until the
 * engine lands, EXEC jobs complete with XPU_JOB_STATUS_BAD_INSN.
 */

#include "qemu/osdep.h"
#include "xpu.h"
#include "xpu-exec.h"

struct XpuExec {
    XpuState *s;
};

XpuExec *xpu_exec_new(XpuState *s, uint32_t queue)
{
    XpuExec *e = g_new0(XpuExec, 1);

    e->s = s;
    return e;
}

void xpu_exec_free(XpuExec *e)
{
    g_free(e);
}

void xpu_exec_reset(XpuExec *e)
{
}

void xpu_exec_inject_dma_error(XpuExec *e)
{
}

void xpu_exec_run(XpuExec *e, uint64_t pt_root, const struct xpu_job_desc *d,
                  XpuRunCtl *ctl, struct xpu_job_record *rec)
{
    rec->status = XPU_JOB_STATUS_BAD_INSN;
}
