/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * XPU accel driver: the SUBMIT ioctl (xpu_submit.c), split into phases
 * around a submit context; the job itself is in xpu_job.c.
 */
#ifndef __XPU_SUBMIT_H__
#define __XPU_SUBMIT_H__

struct drm_device;
struct drm_file;

int xpu_ioctl_submit(struct drm_device *drm, void *data, struct drm_file *file);

#endif /* __XPU_SUBMIT_H__ */
