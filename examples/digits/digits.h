/* SPDX-License-Identifier: MIT */
/*
 * The digits example's files (written by train.c at build time, read by
 * digits.c): a quantised 64-32-10 MLP and the held-out test split. Host
 * byte order (little-endian), no padding surprises: fixed-size fields.
 */
#ifndef DIGITS_H
#define DIGITS_H

#include <stdint.h>

#define DIGITS_IN	64	/* 8x8 pixels, values 0..16 = the int8 input */
#define DIGITS_HIDDEN	32
#define DIGITS_OUT	10
#define DIGITS_MODEL_MAGIC	0x4c444d44	/* "DMDL" */
#define DIGITS_TEST_MAGIC	0x54534454	/* "TDST" */

/*
 * h = relu(x W1 + b1) requantised: q_h = sat(rne(acc1 * scale1)), int8;
 * logits = q_h W2 + b2 (int32); prediction = argmax (first maximum).
 */
struct digits_model {
	uint32_t magic;
	uint32_t in, hidden, out;
	float scale1;				/* acc1 -> q_h */
	float float_accuracy;			/* of the float model on the test split */
	int8_t w1[DIGITS_IN * DIGITS_HIDDEN];	/* row-major [in][hidden] */
	int32_t b1[DIGITS_HIDDEN];
	int8_t w2[DIGITS_HIDDEN * DIGITS_OUT];	/* [hidden][out] */
	int32_t b2[DIGITS_OUT];
};

struct digits_test_hdr {
	uint32_t magic;
	uint32_t n;				/* samples; then int8 x[n][64], uint8 label[n] */
};

#endif
