/* SPDX-License-Identifier: MIT */
/*
 * For those who implement struct xpu_mem's host_read / host_write with
 * host_runs set (the runtime's host backend, its fabric's peer-to-peer
 * windows, the engine tests' host memory): one run of bus addresses moved
 * between the engine's buffer and memory that is reached in contiguous
 * pieces, with the contract xpu_engine.h states (a failing piece ends the
 * call with every piece before it moved and nothing after it).
 * Not used by the engine itself; not a public API.
 */
#ifndef XPU_HOST_COPY_H
#define XPU_HOST_COPY_H

#include <stdint.h>
#include <string.h>

/* The memory at bus address 'bus': a pointer to it and, in *n, how many
 * bytes from there (1..len) are contiguous; NULL: a bus error. */
typedef uint8_t *(*xpu_host_piece_fn)(void *opaque, uint64_t bus, uint64_t len, uint64_t *n);

/* len bytes from 'bus' on, to buf (write 0) or from it (write 1), piece by
 * piece: 0, or -1 at the first piece that fails. */
static inline int xpu_host_copy(xpu_host_piece_fn piece, void *opaque, uint64_t bus,
				uint8_t *buf, uint64_t len, int write)
{
	while (len) {
		uint64_t n;
		uint8_t *mem = piece(opaque, bus, len, &n);

		if (!mem)
			return -1;
		if (write)
			memcpy(mem, buf, n);
		else
			memcpy(buf, mem, n);
		bus += n;
		buf += n;
		len -= n;
	}
	return 0;
}

#endif /* XPU_HOST_COPY_H */
