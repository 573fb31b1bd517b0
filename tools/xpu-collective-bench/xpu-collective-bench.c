// SPDX-License-Identifier: MIT
/*
 * xpu-collective-bench: collective bandwidth in the style of nccl-tests.
 *
 * For sizes from --min to --max bytes (doubling) it runs one collective on
 * N devices (after a warm-up at the same size) and prints per size: bytes,
 * element count, type, the modeled time (xpu_comm_get_stats: the critical
 * path of the steps' job cycles at the device clock), the algorithm
 * bandwidth algbw = bytes / modeled time, the bus bandwidth busbw = algbw x
 * the nccl-tests factor (all-reduce 2(n-1)/n, reduce-scatter and all-gather
 * (n-1)/n, broadcast 1) and the wall time of the call to the streams'
 * completion (the host's speed at running the modeled devices, not a
 * device figure). Sizes are nccl-tests': the all-reduce and broadcast
 * buffer, the whole gathered/scattered buffer for the other two.
 *
 * Devices: a host-backend fabric by default (xpu_host_fabric_open: N chips
 * joined by --topology); --drm uses the first N /dev/accel devices. With
 * --op all_reduce on 4 devices in a ring it ends with the make bench line
 *   bench: allreduce_busbw_vs_link = R x (goal >= 0.8) [...]
 * comparing the largest size's busbw with the per-direction link bandwidth.
 * --smoke: sizes up to 1 MiB (seconds).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xpu/xpu.h"

#define MAX_DEVS	XPU_HOST_MAX_CHIPS

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xpu-collective-bench [--devices N] [--topology ring|torus2d|mesh|none]\n"
		"       [--torus-x A] [--op all_reduce|reduce_scatter|all_gather|broadcast]\n"
		"       [--dtype float32|bfloat16|int32] [--algo auto|ring|tree|2d]\n"
		"       [--min BYTES] [--max BYTES] [--out-of-place] [--drm] [--smoke]\n"
		"BYTES may end in K, M or G. Defaults: 4 devices, ring, all_reduce, float32,\n"
		"auto, 8 B to 256 MiB, in place, host backend.\n");
}

static int parse_size(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x = strtoull(s, &end, 10);

	if (end == s)
		return -1;
	if (*end == 'K' || *end == 'k')
		x <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		x <<= 20, end++;
	else if (*end == 'G' || *end == 'g')
		x <<= 30, end++;
	if (*end == 'B')
		end++;
	if (*end)
		return -1;
	*v = x;
	return 0;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static const char *op_names[] = { "all_reduce", "reduce_scatter", "all_gather", "broadcast" };
enum { AR, RS, AG, BC };

struct bench {
	int n, op, inplace;
	enum xpu_dtype dt;
	xpu_comm *comm;
	xpu_stream *s[MAX_DEVS];
	xpu_buffer *send[MAX_DEVS], *recv[MAX_DEVS];
};

#define CHECK(call) do { \
	xpu_status st_ = (call); \
	if (st_) { \
		fprintf(stderr, "xpu-collective-bench: %s: %s: %s\n", #call, \
			xpu_status_string(st_), xpu_last_error()); \
		return -1; \
	} \
} while (0)

/* one collective of count elements (per rank for RS/AG), to completion */
static int run(struct bench *b, size_t count, double *wall_us, struct xpu_coll_stats *stats)
{
	double t0 = now_us();

	switch (b->op) {
	case AR:
		CHECK(xpu_all_reduce(b->comm, b->send, b->recv, count, b->dt, XPU_RED_SUM, b->s));
		break;
	case RS:
		CHECK(xpu_reduce_scatter(b->comm, b->send, b->recv, count, b->dt, XPU_RED_SUM, b->s));
		break;
	case AG:
		CHECK(xpu_all_gather(b->comm, b->send, b->recv, count, b->dt, b->s));
		break;
	default:
		CHECK(xpu_broadcast(b->comm, b->send, count, b->dt, 0, b->s));
		break;
	}
	for (int i = 0; i < b->n; i++)
		CHECK(xpu_stream_synchronize(b->s[i], XPU_WAIT_FOREVER));
	*wall_us = now_us() - t0;
	CHECK(xpu_comm_get_stats(b->comm, stats));
	return 0;
}

int main(int argc, char **argv)
{
	static const char *algo_names[] = { "auto", "ring", "tree", "2d" };
	static const char *topo_names[] = { "none", "ring", "torus2d", "mesh" };
	struct bench b = { .n = 4, .op = AR, .inplace = 1, .dt = XPU_DT_F32 };
	enum xpu_topology topo = XPU_TOPO_RING;
	enum xpu_coll_algo algo = XPU_COLL_AUTO;
	uint64_t min = 8, max = 256ull << 20;
	uint32_t torus_x = 0, gbps = 0;
	int drm = 0, smoke = 0, max_set = 0;
	xpu_device *devs[MAX_DEVS] = { 0 };
	double last_busbw = 0;
	uint64_t last_size = 0;
	size_t esz;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int k, found = 0;

		if (!strcmp(a, "--smoke")) {
			smoke = 1;
			continue;
		} else if (!strcmp(a, "--drm")) {
			drm = 1;
			continue;
		} else if (!strcmp(a, "--out-of-place")) {
			b.inplace = 0;
			continue;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		}
		if (!v) {
			fprintf(stderr, "xpu-collective-bench: %s: a value is missing\n", a);
			usage(stderr);
			return 2;
		}
		i++;
		if (!strcmp(a, "--devices")) {
			b.n = atoi(v);
			found = b.n >= 1 && b.n <= MAX_DEVS;
		} else if (!strcmp(a, "--torus-x")) {
			torus_x = (uint32_t)atoi(v);
			found = 1;
		} else if (!strcmp(a, "--min")) {
			found = !parse_size(v, &min);
		} else if (!strcmp(a, "--max")) {
			found = !parse_size(v, &max);
			max_set = 1;
		} else if (!strcmp(a, "--topology")) {
			for (k = 0; k < 4; k++)
				if (!strcmp(v, topo_names[k]))
					topo = (enum xpu_topology)k, found = 1;
		} else if (!strcmp(a, "--op")) {
			for (k = 0; k < 4; k++)
				if (!strcmp(v, op_names[k]))
					b.op = k, found = 1;
		} else if (!strcmp(a, "--algo")) {
			for (k = 0; k < 4; k++)
				if (!strcmp(v, algo_names[k]))
					algo = (enum xpu_coll_algo)k, found = 1;
		} else if (!strcmp(a, "--dtype")) {
			b.dt = xpu_dtype_from_name(v);
			found = b.dt != 0;
		} else {
			fprintf(stderr, "xpu-collective-bench: unknown option %s\n", a);
			usage(stderr);
			return 2;
		}
		if (!found) {
			fprintf(stderr, "xpu-collective-bench: %s %s: bad value\n", a, v);
			usage(stderr);
			return 2;
		}
	}
	if (smoke && !max_set)
		max = 1 << 20;
	esz = xpu_dtype_size(b.dt);
	/* one element per rank at least where each rank holds a part */
	if (min < esz * (b.op == RS || b.op == AG ? b.n : 1))
		min = esz * (b.op == RS || b.op == AG ? b.n : 1);
	if (max < min) {
		fprintf(stderr, "xpu-collective-bench: --max %llu is below --min %llu\n",
			(unsigned long long)max, (unsigned long long)min);
		return 2;
	}
	if (topo == XPU_TOPO_TORUS2D && !torus_x)
		for (torus_x = 2; torus_x < (uint32_t)b.n && (b.n % torus_x ||
			torus_x * torus_x < (uint32_t)b.n); torus_x++)
			;

	if (drm) {
		int count = 0;

		CHECK(xpu_device_count(&count));
		if (count < b.n) {
			fprintf(stderr, "xpu-collective-bench: %d devices wanted, %d present\n", b.n,
				count);
			return 1;
		}
		for (int i = 0; i < b.n; i++)
			CHECK(xpu_device_open(i, &devs[i]));
	} else {
		struct xpu_host_config chip[MAX_DEVS];
		struct xpu_host_fabric_config fc = {
			.size = sizeof(fc), .num_chips = (uint32_t)b.n, .topology = topo,
			.torus_x = torus_x, .chip = chip,
		};

		memset(chip, 0, sizeof(chip));
		for (int i = 0; i < b.n; i++)	/* room for the buffers; allocated lazily */
			chip[i].hbm_size = 2 * max + (64ull << 20);
		CHECK(xpu_host_fabric_open(&fc, devs));
	}
	{
		struct xpu_link_info li;
		uint32_t nl = 0;

		if (!xpu_device_get_link_count(devs[0], &nl) && nl &&
		    !xpu_device_get_link_info(devs[0], 0, &li))
			gbps = li.gbps;
	}
	CHECK(xpu_comm_create(devs, b.n, &b.comm));
	CHECK(xpu_comm_set_algorithm(b.comm, algo));
	for (int i = 0; i < b.n; i++) {
		uint64_t in = b.op == RS ? max : b.op == AG ? max / b.n : max;
		uint64_t out = b.op == RS ? max / b.n : max;

		CHECK(xpu_stream_create(devs[i], XPU_QUEUE_ANY, &b.s[i]));
		if (b.inplace || b.op == BC) {
			CHECK(xpu_buffer_alloc(devs[i], in > out ? in : out, XPU_MEM_DEVICE, &b.send[i]));
			b.recv[i] = b.send[i];
		} else {
			CHECK(xpu_buffer_alloc(devs[i], in, XPU_MEM_DEVICE, &b.send[i]));
			CHECK(xpu_buffer_alloc(devs[i], out, XPU_MEM_DEVICE, &b.recv[i]));
		}
	}

	printf("# xpu-collective-bench: %s, %d devices (%s, %s topology, %u GB/s links), "
	       "%s, %s\n", op_names[b.op], b.n, drm ? "DRM" : "host backend", topo_names[topo],
	       gbps, xpu_dtype_name(b.dt), b.inplace ? "in place" : "out of place");
	printf("# algbw = size / modeled time; busbw = algbw x %s; wall = host time of the "
	       "call to completion\n",
	       b.op == AR ? "2(n-1)/n" : b.op == BC ? "1" : "(n-1)/n");
	printf("#%13s %12s %9s %5s %6s %12s %12s %12s %12s\n", "size(B)", "count", "type", "algo",
	       "steps", "modeled(us)", "algbw(GB/s)", "busbw(GB/s)", "wall(us)");
	for (uint64_t size = min; size <= max; size *= 2) {
		size_t count = size / esz / (b.op == RS || b.op == AG ? b.n : 1);
		struct xpu_coll_stats st;
		double wall, algbw, busbw, factor;

		if (!count)
			continue;
		if (run(&b, count, &wall, &st) || run(&b, count, &wall, &st))
			return 1;
		factor = b.op == AR ? 2.0 * (b.n - 1) / b.n : b.op == BC ? 1.0 :
			 (double)(b.n - 1) / b.n;
		algbw = st.modeled_us > 0 ? (double)size / (st.modeled_us * 1e3) : 0;
		busbw = algbw * factor;
		printf("%14llu %12zu %9s %5s %6u %12.2f %12.3f %12.3f %12.0f\n",
		       (unsigned long long)size, count, xpu_dtype_name(b.dt), algo_names[st.algo],
		       st.steps, st.modeled_us, algbw, busbw, wall);
		fflush(stdout);
		last_busbw = busbw;
		last_size = size;
		if (size > max / 2)
			break;
	}
	if (b.op == AR && b.n == 4 && topo == XPU_TOPO_RING && gbps && last_size) {
		char sz[32];

		if (last_size >= (1u << 20))
			snprintf(sz, sizeof(sz), "%llu MiB", (unsigned long long)(last_size >> 20));
		else
			snprintf(sz, sizeof(sz), "%llu KiB", (unsigned long long)(last_size >> 10));
		printf("bench: allreduce_busbw_vs_link = %.2fx (goal >= 0.8) [%.1f GB/s modeled "
		       "all-reduce %s 4 devices ring; %u GB/s link]\n", last_busbw / gbps,
		       last_busbw, sz, gbps);
	}
	for (int i = 0; i < b.n; i++) {
		if (b.recv[i] != b.send[i])
			xpu_buffer_free(b.recv[i]);
		xpu_buffer_free(b.send[i]);
		xpu_stream_destroy(b.s[i]);
	}
	xpu_comm_destroy(b.comm);
	for (int i = 0; i < b.n; i++)
		xpu_device_close(devs[i]);
	return 0;
}
