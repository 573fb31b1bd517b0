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

#include <stddef.h>
#include <stdint.h>

#define CLS_TEST_MAGIC 0x54534c43u	/* "CLST" */

struct cls_test_hdr {
	uint32_t magic, version;
	uint32_t n, in, classes, rsvd;
};

/* A test.bin of size bytes starting with h: its header is sane (bounded
 * counts) and the file is exactly as long as the header says; 1 or 0. */
static inline int cls_test_valid(const struct cls_test_hdr *h, size_t size)
{
	return size >= sizeof(*h) && h->magic == CLS_TEST_MAGIC && h->n && h->n <= 1000000 &&
	       h->in && h->in <= 65536 && h->classes && h->classes <= 65536 &&
	       size == sizeof(*h) + (size_t)h->n * 4 * (h->in + h->classes) + ((h->n + 3) & ~3u);
}

#endif
