// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: debugfs (/sys/kernel/debug/accel/N/); fdinfo is in
 * xpu_fdinfo.c.
 *
 *   queues     per-queue state and counters (completed: jobs; direct: of
 *              them, the ones SUBMIT ran without the scheduler)
 *   contexts   open files: pid, hardware context, state, mapped buffers
 *   hbm        HBM use
 *   faults     the last hangs, MMU faults and ECC errors
 *   reset      write 1: reset the device (the job running on each queue
 *              completes ABORTED, the ones behind it run: xpu_device_reset())
 *   inject     write "hang Q", "dma Q" or "ecc": error injection in the
 *              device; "badctx Q": the next job on queue Q runs with
 *              hardware context 0, which has no page table (driver side);
 *              "stopdelay MS" (0 .. 10000): the driver waits MS between
 *              deciding to STOP a running job and the STOP (driver side)
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <drm/drm_accel.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_print.h>

#include "xpu_drv.h"
#include "drm/xpu_accel.h"

static int xpu_queues_show(struct seq_file *m, void *unused)
{
	struct xpu_device *xdev = m->private;
	u32 i;

	for (i = 0; i < xdev->num_queues; i++) {
		struct xpu_queue *q = &xdev->queues[i];
		unsigned long flags;
		unsigned int inflight = 0;
		struct xpu_job *job;
		u64 seqno, done;
		int idx;

		spin_lock_irqsave(&q->lock, flags);
		list_for_each_entry(job, &q->inflight, node)
			inflight++;
		seqno = q->seqno;
		done = le64_to_cpu(READ_ONCE(*q->fence_word));
		spin_unlock_irqrestore(&q->lock, flags);
		seq_printf(m, "queue %u: seqno %llu done %llu inflight %u completed %lld direct %lld",
			   i, seqno, done, inflight, atomic64_read(&q->jobs_done),
			   atomic64_read(&q->jobs_direct));
		if (drm_dev_enter(&xdev->drm, &idx)) {
			seq_printf(m, " status 0x%x head %u tail %u progress %u",
				   xpu_read(xdev, XPU_REG_Q(i, XPU_Q_STATUS)),
				   xpu_read(xdev, XPU_REG_Q(i, XPU_Q_HEAD)),
				   xpu_read(xdev, XPU_REG_Q(i, XPU_Q_TAIL)),
				   xpu_read(xdev, XPU_REG_Q(i, XPU_Q_PROGRESS_LO)));
			drm_dev_exit(idx);
		}
		seq_putc(m, '\n');
	}
	seq_printf(m, "hw fences live (all devices) %ld\n", xpu_fences_live_count());
	seq_printf(m, "device resets: %d\n", atomic_read(&xdev->resets));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(xpu_queues);

static int xpu_contexts_show(struct seq_file *m, void *unused)
{
	struct xpu_device *xdev = m->private;
	struct xpu_ctx *ctx;

	mutex_lock(&xdev->ctx_list_lock);
	list_for_each_entry(ctx, &xdev->ctx_list, node) {
		struct xpu_vma *vma;
		unsigned int n = 0;

		mutex_lock(&ctx->vm_lock);
		list_for_each_entry(vma, &ctx->vmas, node)
			n++;
		seq_printf(m, "ctx %u: pid %d state 0x%x resets %u hangs %u buffers %u pt_root 0x%llx\n",
			   ctx->hw_ctx, ctx->pid, atomic_read(&ctx->state),
			   atomic_read(&ctx->resets), atomic_read(&ctx->hangs), n,
			   ctx->pt_root);
		list_for_each_entry(vma, &ctx->vmas, node)
			seq_printf(m, "  va 0x%llx size %zu flags 0x%x\n",
				   vma->va.start, vma->obj->size, xpu_bo_flags(vma->obj));
		mutex_unlock(&ctx->vm_lock);
	}
	mutex_unlock(&xdev->ctx_list_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(xpu_contexts);

static int xpu_hbm_show(struct seq_file *m, void *unused)
{
	struct xpu_device *xdev = m->private;

	mutex_lock(&xdev->hbm_lock);
	seq_printf(m, "total %llu\nused %llu\nfree %llu\n", xdev->hbm_size,
		   xdev->hbm_used, xdev->hbm_size - xdev->hbm_used);
	mutex_unlock(&xdev->hbm_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(xpu_hbm);

static int xpu_windows_show(struct seq_file *m, void *unused)
{
	xpu_link_windows_show(m, m->private);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(xpu_windows);

static int xpu_faults_show(struct seq_file *m, void *unused)
{
	struct xpu_device *xdev = m->private;
	unsigned int n = ARRAY_SIZE(xdev->fault_log), i, first;
	unsigned long flags;

	spin_lock_irqsave(&xdev->fault_lock, flags);
	first = xdev->fault_next > n ? xdev->fault_next - n : 0;
	for (i = first; i < xdev->fault_next; i++)
		seq_printf(m, "%s\n", xdev->fault_log[i % n]);
	spin_unlock_irqrestore(&xdev->fault_lock, flags);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(xpu_faults);

static ssize_t xpu_reset_write(struct file *f, const char __user *buf,
			       size_t len, loff_t *pos)
{
	struct xpu_device *xdev = file_inode(f)->i_private;
	int idx;
	bool on;
	int ret = kstrtobool_from_user(buf, len, &on);

	if (ret)
		return ret;
	if (!on)
		return len;
	if (!drm_dev_enter(&xdev->drm, &idx))
		return -ENODEV;
	xpu_device_reset(xdev, "requested through debugfs");
	drm_dev_exit(idx);
	return len;
}

static const struct file_operations xpu_reset_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = xpu_reset_write,
};

static ssize_t xpu_inject_write(struct file *f, const char __user *ubuf,
				size_t len, loff_t *pos)
{
	struct xpu_device *xdev = file_inode(f)->i_private;
	char buf[32], what[12];
	unsigned int queue = 0;
	u32 code;
	int idx, n;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	n = sscanf(buf, "%11s %u", what, &queue);
	if (n == 2 && !strcmp(what, "stopdelay")) {
		if (queue > 10000)
			return -EINVAL;
		WRITE_ONCE(xdev->inject_stop_delay_ms, queue);
		return len;
	}
	if (n == 2 && (!strcmp(what, "linkdown") || !strcmp(what, "linkcorrupt") ||
		       !strcmp(what, "retrain"))) {
		/* links (1.1): the number is a port */
		if (queue >= xdev->num_links)
			return -EINVAL;
		if (!drm_dev_enter(&xdev->drm, &idx))
			return -ENODEV;
		if (!strcmp(what, "retrain"))
			xpu_write(xdev, XPU_REG_LINK(queue, XPU_LINK_CONTROL), XPU_LCTL_RETRAIN);
		else if (!strcmp(what, "linkdown"))
			xpu_write(xdev, XPU_REG_INJECT, XPU_INJECT_LINK_DOWN | queue << 8);
		else
			xpu_write(xdev, XPU_REG_INJECT, XPU_INJECT_LINK_CORRUPT | queue << 8);
		drm_dev_exit(idx);
		return len;
	}
	if (n < 1 || queue >= xdev->num_queues)
		return -EINVAL;
	if (!strcmp(what, "badctx")) {
		atomic_or(BIT(queue), &xdev->inject_bad_ctx);
		return len;
	}
	if (!strcmp(what, "hang"))
		code = XPU_INJECT_HANG;
	else if (!strcmp(what, "dma"))
		code = XPU_INJECT_DMA;
	else if (!strcmp(what, "ecc"))
		code = XPU_INJECT_ECC;
	else
		return -EINVAL;
	if (!drm_dev_enter(&xdev->drm, &idx))
		return -ENODEV;
	xpu_write(xdev, XPU_REG_INJECT, code | queue << 8);
	drm_dev_exit(idx);
	return len;
}

static const struct file_operations xpu_inject_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = xpu_inject_write,
};

/**
 * xpu_debugfs_init() - create the files under /sys/kernel/debug/accel/N/
 * @xdev: registered device
 */
void xpu_debugfs_init(struct xpu_device *xdev)
{
	struct dentry *root = xdev->drm.accel->debugfs_root;

	if (IS_ERR_OR_NULL(root))
		return;
	debugfs_create_file("queues", 0444, root, xdev, &xpu_queues_fops);
	debugfs_create_file("contexts", 0444, root, xdev, &xpu_contexts_fops);
	debugfs_create_file("hbm", 0444, root, xdev, &xpu_hbm_fops);
	debugfs_create_file("faults", 0444, root, xdev, &xpu_faults_fops);
	debugfs_create_file("windows", 0444, root, xdev, &xpu_windows_fops);
	debugfs_create_file("reset", 0200, root, xdev, &xpu_reset_fops);
	debugfs_create_file("inject", 0200, root, xdev, &xpu_inject_fops);
}
