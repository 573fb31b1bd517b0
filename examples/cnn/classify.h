/* SPDX-License-Identifier: MIT */
/*
 * test.bin of the ONNX classifiers (written by examples/cnn/train.py, read
 * by xpu-classify): the held-out images with their labels and PyTorch's
 * fp32 logits. Little-endian, no padding:
 *   struct cls_test_hdr; float x[n][in]; uint8 label[n], zero-padded to a
 *   multiple of 4 bytes; float logits[n][classes]
 */
#ifndef CLASSIFY_H
#define CLASSIFY_H

#include <stdint.h>

#define CLS_TEST_MAGIC 0x54534c43u	/* "CLST" */

struct cls_test_hdr {
	uint32_t magic, version;
	uint32_t n, in, classes, rsvd;
};

#endif
