// SPDX-License-Identifier: MIT
/*
 * Model compiler: the public list of ONNX operator types the importer
 * accepts (graph.h's XG_OP_LIST before the fused forms passes create).
 */
#include <pthread.h>

#include "internal.h"
#include "graph.h"
#include "xpu/xpu_graph.h"

static const char *supported[XG_OP_COUNT + 1];
static pthread_once_t supported_once = PTHREAD_ONCE_INIT;

static void supported_init(void)
{
	int n = 0;

	for (int i = 0; i < XG_OP_COUNT; i++)
		if (xg_op_from_name(xg_op_name(i)) == i)
			supported[n++] = xg_op_name(i);
	supported[n] = NULL;
}

XPU_EXPORT const char *const *xpu_model_supported_ops(void)
{
	pthread_once(&supported_once, supported_init);
	return supported;
}
