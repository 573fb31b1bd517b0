/* SPDX-License-Identifier: MIT */
/*
 * The vocabulary of examples/gpt/model.py, shared by xpu-gpt and
 * xpu-gpt-tp: 96 fixed ids, 0 = '\n', i = chr(31 + i) for printable ASCII,
 * so the programs need no vocabulary file.
 */
#ifndef XPU_EXAMPLES_GPT_VOCAB_H
#define XPU_EXAMPLES_GPT_VOCAB_H

/* The id of c, or -1 if c is outside the vocabulary. */
static inline int encode_char(char c)
{
	if (c == '\n')
		return 0;
	return c >= 32 && c <= 126 ? c - 31 : -1;
}

static inline char decode_id(int id)
{
	return id == 0 ? '\n' : (char)(31 + id);
}

#endif
