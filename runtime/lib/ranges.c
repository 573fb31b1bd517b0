// SPDX-License-Identifier: MIT
/*
 * libxpu: a first-fit allocator over free ranges, for the host backend's HBM,
 * host bus addresses and device VAs. Callers lock.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int xpu_ranges_init(struct xpu_ranges *rs, uint64_t start, uint64_t len)
{
	rs->cap = 16;
	rs->r = calloc(rs->cap, sizeof(*rs->r));
	if (!rs->r)
		return -1;
	rs->r[0].start = start;
	rs->r[0].len = len;
	rs->n = len ? 1 : 0;
	return 0;
}

void xpu_ranges_fini(struct xpu_ranges *rs)
{
	free(rs->r);
	rs->r = NULL;
	rs->n = rs->cap = 0;
}

static int insert_at(struct xpu_ranges *rs, uint32_t i, uint64_t start, uint64_t len)
{
	if (rs->n == rs->cap) {
		struct xpu_range *r = realloc(rs->r, 2 * rs->cap * sizeof(*r));

		if (!r)
			return -1;
		rs->r = r;
		rs->cap *= 2;
	}
	memmove(&rs->r[i + 1], &rs->r[i], (rs->n - i) * sizeof(*rs->r));
	rs->r[i].start = start;
	rs->r[i].len = len;
	rs->n++;
	return 0;
}

int xpu_ranges_alloc(struct xpu_ranges *rs, uint64_t len, uint64_t align, uint64_t *out)
{
	for (uint32_t i = 0; i < rs->n; i++) {
		struct xpu_range *r = &rs->r[i];
		uint64_t a = (r->start + align - 1) & ~(align - 1);
		uint64_t pre = a - r->start;

		if (a < r->start || pre > r->len || r->len - pre < len)
			continue;
		if (pre && r->len - pre > len) {
			/* split in three: keep the head, the tail goes after it */
			uint64_t tail = a + len, tail_len = r->len - pre - len;

			r->len = pre;
			if (insert_at(rs, i + 1, tail, tail_len))
				return -1;
		} else if (pre) {
			r->len = pre;
		} else {
			r->start += len;
			r->len -= len;
			if (!r->len) {
				memmove(r, r + 1, (rs->n - i - 1) * sizeof(*r));
				rs->n--;
			}
		}
		*out = a;
		return 0;
	}
	return -1;
}

void xpu_ranges_free(struct xpu_ranges *rs, uint64_t start, uint64_t len)
{
	uint32_t i = 0;

	if (!len)
		return;
	while (i < rs->n && rs->r[i].start < start)
		i++;
	/* merge with the previous and/or the next range */
	if (i > 0 && rs->r[i - 1].start + rs->r[i - 1].len == start) {
		rs->r[i - 1].len += len;
		if (i < rs->n && start + len == rs->r[i].start) {
			rs->r[i - 1].len += rs->r[i].len;
			memmove(&rs->r[i], &rs->r[i + 1], (rs->n - i - 1) * sizeof(*rs->r));
			rs->n--;
		}
		return;
	}
	if (i < rs->n && start + len == rs->r[i].start) {
		rs->r[i].start = start;
		rs->r[i].len += len;
		return;
	}
	insert_at(rs, i, start, len);	/* on ENOMEM the range leaks: harmless */
}
