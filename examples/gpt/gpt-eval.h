/* SPDX-License-Identifier: MIT */
/*
 * eval.bin, written by examples/gpt/export.py and read by xpu-gpt --check:
 * held-out windows of the GPT's test text with PyTorch's fp32 logits for
 * every position. Little-endian, no padding:
 *   struct gpt_eval_hdr; int32 tokens[windows][ctx];
 *   float logits[windows][ctx][vocab]   (logits[w][p] predict token p+1)
 * The check prefills the first `split` tokens of a window and decodes the
 * rest teacher-forced, so both graphs are measured.
 */
#ifndef GPT_EVAL_H
#define GPT_EVAL_H

#include <stdint.h>

#define GPT_EVAL_MAGIC 0x45545047u	/* "GPTE" */

struct gpt_eval_hdr {
	uint32_t magic, version;
	uint32_t windows, ctx, vocab, split;
};

#endif
