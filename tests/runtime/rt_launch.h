/* SPDX-License-Identifier: MIT */
/*
 * One timed kernel launch through libxpu, shared by the runtime tests
 * (tests/runtime/compiler_test.c) and the compiled-GEMM measurement
 * (tests/runtime/gemm_sched.h, also built into the host bench): the launch
 * between two events on the stream, the result read back, the stream
 * synchronized and the modeled cycles between the events read.
 */
#ifndef RT_LAUNCH_H
#define RT_LAUNCH_H

#include <stdint.h>
#include <stdio.h>

#include "xpu/xpu.h"

/*
 * Launch k (its arguments set) on s between two events, then read size
 * bytes of out (none when out is NULL) into host, wait for all of it and
 * store the modeled cycles of the launch in *cycles (when not NULL).
 * Returns the status; on failure err gets xpu_last_error() (taken before
 * the events are destroyed, which clears it), on success "".
 */
static inline xpu_status rt_launch_timed(xpu_device *dev, xpu_stream *s, xpu_kernel *k,
					 xpu_buffer *out, void *host, size_t size,
					 uint64_t *cycles, char *err, size_t err_len)
{
	xpu_event *e0 = NULL, *e1 = NULL;
	xpu_status st = xpu_event_create(dev, &e0);

	if (!st)
		st = xpu_event_create(dev, &e1);
	if (!st)
		st = xpu_event_record(e0, s);
	if (!st)
		st = xpu_launch(s, k);
	if (!st)
		st = xpu_event_record(e1, s);
	if (!st && out)
		st = xpu_read_async(s, out, 0, host, size);
	if (!st)
		st = xpu_stream_synchronize(s, XPU_WAIT_FOREVER);
	if (!st && cycles)
		st = xpu_event_elapsed(e0, e1, cycles, NULL);
	snprintf(err, err_len, "%s", st ? xpu_last_error() : "");
	if (e0)
		xpu_event_destroy(e0);
	if (e1)
		xpu_event_destroy(e1);
	return st;
}

#endif /* RT_LAUNCH_H */
