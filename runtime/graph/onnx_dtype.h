/* SPDX-License-Identifier: MIT */
/*
 * The ONNX TensorProto data types that have an XPU dtype: the one table of
 * that mapping, for the importer (xg_dtype_from_onnx() in onnx_import.c)
 * and the conformance runner (tools/xpu-onnx-test), which reads test
 * tensors with the same generated ONNX code.
 */
#ifndef XPU_GRAPH_ONNX_DTYPE_H
#define XPU_GRAPH_ONNX_DTYPE_H

#include <stdint.h>

#include "onnx/onnx.pb-c.h"
#include "xpu_dtype.h"

/* The XPU_DT_* of ONNX data type t, or 0 if it has none. */
static inline uint32_t xg_onnx_dtype(int64_t t)
{
	switch (t) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: return XPU_DT_F32;
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: return XPU_DT_U8;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: return XPU_DT_I8;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return XPU_DT_I32;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: return XPU_DT_I64;
	case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return XPU_DT_BOOL;
	case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16: return XPU_DT_BF16;
	}
	return 0;
}

#endif
