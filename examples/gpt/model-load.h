/* SPDX-License-Identifier: MIT */
/*
 * Loading a model in the examples (xpu-gpt, xpu-classify): the build
 * compiles each model with `xpu-cc --host`, i.e. for the host backend's
 * default configuration, which is also the QEMU device's default. On a
 * device configured differently (make check's VM uses a 64x32 array) the
 * kernels would be tiled for the wrong array, so the model is compiled from
 * its .onnx for the device at hand instead (xpu_model_compile_onnx takes
 * milliseconds for these models).
 */
#ifndef XPU_EXAMPLES_MODEL_LOAD_H
#define XPU_EXAMPLES_MODEL_LOAD_H

#include <stdio.h>
#include <stdlib.h>

#include "xpu/xpu.h"
#include "xpu/xpu_compiler.h"
#include "xpu/xpu_graph.h"

/* 1 if dev has the configuration `xpu-cc --host` compiles for. */
static inline int model_device_is_default(xpu_device *dev)
{
	struct xpu_device_props p, d;
	xpu_device *h;

	if (xpu_device_get_props(dev, &p) || xpu_device_open_host(NULL, &h))
		return 0;
	if (xpu_device_get_props(h, &d)) {
		xpu_device_close(h);
		return 0;
	}
	xpu_device_close(h);
	return p.array_rows == d.array_rows && p.array_cols == d.array_cols &&
	       p.spad_size == d.spad_size && p.acc_size == d.acc_size;
}

/*
 * The prebuilt xpu_path if the device is the default one (or there is no
 * .onnx), else onnx (size bytes) compiled for dev at `precision`.
 */
static inline xpu_status model_load(xpu_device *dev, const char *xpu_path, const void *onnx,
				    size_t size, uint32_t precision, xpu_graph **g, int *compiled)
{
	struct xpu_model_options opt = { .size = sizeof(opt), .precision = precision };
	struct xpu_device_props p;
	struct xpu_cc_target t;
	xpu_status st;
	void *img;
	size_t isize;

	*compiled = 0;
	if (!onnx || model_device_is_default(dev))
		return xpu_graph_load_file(dev, xpu_path, g);
	st = xpu_device_get_props(dev, &p);
	if (!st)
		st = xpu_cc_target_from_props(&p, &t);
	if (!st)
		st = xpu_model_compile_onnx(onnx, size, &t, &opt, &img, &isize);
	if (st)
		return st;
	st = xpu_graph_load(dev, img, isize, g);
	free(img);
	*compiled = !st;
	return st;
}

#endif
