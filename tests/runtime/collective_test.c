// SPDX-License-Identifier: MIT
/*
 * Collectives (xpu_all_reduce, xpu_reduce_scatter, xpu_all_gather,
 * xpu_broadcast): every operation x dtype (int32, float32, bfloat16) on 2,
 * 3, 4 and 8 ranks, ring / tree / 2-D (tori 2x2, 4x2, 2x4), odd counts (1, 7,
 * not divisible by n, several scratchpad chunks per part), in place and out
 * of place. Results must equal a CPU reference that adds in the order
 * docs/collectives.md documents (written here from that description, not
 * from the library's schedules) bit for bit, and two runs must agree. Bad
 * arguments get their errors.
 *
 * The 2-D order depends on the grid (a x b): the reference takes the grid
 * the documented rule gives for the ranks' devices, found here from their
 * link ports (grid_of_ranks, written from docs/collectives.md "Algorithms"),
 * not from the case's torus_x: in the VM the ranks take whatever devices
 * boot (8 ranks over a 2x2 torus form a 2 x 4 grid, not 4 x 2). AUTO must
 * pick 2-D exactly where that rule finds a torus, the ring elsewhere.
 *
 * Host build: the ranks are chips of a host fabric (xpu_host_fabric_open,
 * small SRAMs so parts span several chunks); the "shared" cases put every
 * rank on one device with a stream each. VM build (XPU_TEST_DRM): the
 * /dev/accel devices, ranks taking them in turn when there are fewer
 * devices than ranks (a VM with one device skips the multi-device cases).
 */
#include <math.h>

#include "rt_test.h"

#define MAXR 8

enum { OP_AR, OP_RS, OP_AG, OP_BC };

struct world {
	int n, shared;
	int nopen;			/* devices opened: open[0 .. nopen) */
	xpu_device *open[MAXR];
	xpu_device *devs[MAXR];
	xpu_stream *s[MAXR];
	xpu_comm *comm;
};

/* 0 ok, 1 skip (*why), -1 error. colmajor (host fabric torus): the ranks
 * numbered along the torus's y (ports 2/3) first, rank x' + y' * (n / tx)
 * on the chip at (y', x'), instead of the fabric's chip order. chips (host
 * fabric): a fabric of that many chips (0: n), ranks taking them in turn. */
static int world_open(struct world *w, int n, enum xpu_topology topo, uint32_t tx, int shared,
		      int colmajor, int chips, const char **why)
{
	memset(w, 0, sizeof(*w));
	w->n = n;
	w->shared = shared;
	*why = "";
#ifdef XPU_TEST_DRM
	int count = 0;

	/* fewer devices than ranks: ranks take the devices in turn (rank i on
	 * device i mod count), so neighbours still cross the links */
	if (xpu_device_count(&count) || count < (shared ? 1 : 2)) {
		*why = "not enough XPU devices in this VM";
		return 1;
	}
	w->nopen = shared ? 1 : count < n ? count : n;
	for (int i = 0; i < w->nopen; i++)
		if (xpu_device_open(i, &w->open[i]))
			return -1;
	for (int i = 0; i < n; i++)
		w->devs[i] = w->open[i % w->nopen];
	(void)topo;
	(void)tx;
	(void)colmajor;
	(void)chips;
#else
	struct xpu_host_config chip[MAXR];

	for (int i = 0; i < MAXR; i++)
		chip[i] = rt_host_config();
	if (shared) {
		w->nopen = 1;
		if (xpu_device_open_host(&chip[0], &w->open[0]))
			return -1;
	} else {
		struct xpu_host_fabric_config fc = {
			.size = sizeof(fc), .num_chips = chips ? chips : n, .topology = topo,
			.torus_x = tx, .chip = chip,
		};

		if (xpu_host_fabric_open(&fc, w->open))
			return -1;
		w->nopen = fc.num_chips;
	}
	for (int i = 0; i < n; i++)
		w->devs[i] = w->open[i % w->nopen];
	if (colmajor && topo == XPU_TOPO_TORUS2D && !shared)
		for (int i = 0; i < n; i++)
			w->devs[i] = w->open[(i % (n / tx)) * tx + i / (n / tx)];
#endif
	for (int i = 0; i < n; i++)
		if (xpu_stream_create(w->devs[i], XPU_QUEUE_ANY, &w->s[i]))
			return -1;
	return xpu_comm_create(w->devs, n, &w->comm) ? -1 : 0;
}

static void world_close(struct world *w)
{
	if (w->comm)
		xpu_comm_destroy(w->comm);
	for (int i = 0; i < w->n; i++)
		if (w->s[i])
			xpu_stream_destroy(w->s[i]);
	for (int i = 0; i < w->nopen; i++)
		if (w->open[i])
			xpu_device_close(w->open[i]);
	memset(w, 0, sizeof(*w));
}

/* ---- element arithmetic: the device's adds, written from docs/isa.md ---- */
static float u2f(uint32_t u)
{
	float f;

	memcpy(&f, &u, 4);
	return f;
}

static uint32_t f2u(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

static uint32_t canon(float f)
{
	return isnan(f) ? 0x7fc00000u : f2u(f);
}

static uint16_t to_bf16(float f)	/* RNE; NaN -> 0x7fc0 */
{
	uint32_t u = f2u(f);

	if ((u & 0x7fffffffu) > 0x7f800000u)
		return 0x7fc0;
	return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
}

static uint32_t add(enum xpu_dtype dt, uint32_t a, uint32_t b)
{
	volatile float fa, fb;

	switch (dt) {
	case XPU_DT_I32:
		return a + b;
	case XPU_DT_F32:
		fa = u2f(a);
		fb = u2f(b);
		return canon(fa + fb);
	default:	/* bf16: widen exactly, one fp32 add, round back */
		fa = u2f(a << 16);
		fb = u2f(b << 16);
		return to_bf16(u2f(canon(fa + fb)));
	}
}

static uint32_t get(const void *p, size_t esz, size_t i)
{
	if (esz == 2)
		return ((const uint16_t *)p)[i];
	return ((const uint32_t *)p)[i];
}

static void put(void *p, size_t esz, size_t i, uint32_t v)
{
	if (esz == 2)
		((uint16_t *)p)[i] = (uint16_t)v;
	else
		((uint32_t *)p)[i] = v;
}

/* Values whose sums depend on the order: mixed magnitudes and signs. */
static uint32_t rand_elem(enum xpu_dtype dt, uint64_t *seed)
{
	uint32_t r = rt_rand(seed);
	float f = (float)((int)(r % 20001) - 10000) * ldexpf(1.0f, (int)(rt_rand(seed) % 24) - 12);

	if (dt == XPU_DT_I32)
		return r ^ (rt_rand(seed) << 16);
	if (dt == XPU_DT_F32)
		return f2u(f);
	return to_bf16(f);
}

/* part c of count split into parts: docs/collectives.md "Parts" */
static size_t poff(size_t count, size_t parts, size_t c)
{
	return c * (count / parts) + (c < count % parts ? c : count % parts);
}

static size_t part_of(size_t count, size_t parts, size_t e)
{
	size_t c = 0;

	while (c + 1 < parts && poff(count, parts, c + 1) <= e)
		c++;
	return c;
}

/* a ring sum of element e over positions: starts at (c+1) mod m, ends at c */
static uint32_t ring_sum(enum xpu_dtype dt, size_t esz, void *const *x, const int *members, int m,
			 size_t c, size_t e)
{
	uint32_t acc = get(x[members[(c + 1) % m]], esz, e);

	for (int k = 2; k <= m; k++)
		acc = add(dt, get(x[members[(c + k) % m]], esz, e), acc);
	return acc;
}

/* tree: T(v) = (x(v) + T(2v+1)) + T(2v+2) */
static uint32_t tree_sum(enum xpu_dtype dt, size_t esz, void *const *x, int n, int v, size_t e)
{
	uint32_t acc = get(x[v], esz, e);

	if (2 * v + 1 < n)
		acc = add(dt, acc, tree_sum(dt, esz, x, n, 2 * v + 1, e));
	if (2 * v + 2 < n)
		acc = add(dt, acc, tree_sum(dt, esz, x, n, 2 * v + 2, e));
	return acc;
}

/*
 * The grid docs/collectives.md "Algorithms" documents for n ranks on devs:
 * the smallest a (2 <= a, b = n / a >= 2) such that every rank y*a + x has
 * port 0 cabled to the chip of rank y*a + (x+1) mod a and port 2 to the chip
 * of rank ((y+1) mod b)*a + x, or the same with ports 0 and 2 swapped for
 * every rank. *torus = 1 if found; else a is the smallest divisor of n with
 * a*a >= n (0 for a prime n), *torus = 0.
 */
static int port_to(xpu_device *d, uint32_t port, uint32_t chip)
{
	struct xpu_link_info li;

	return !xpu_device_get_link_info(d, port, &li) && li.state != XPU_LINK_STATE_NONE &&
	       li.peer_chip == chip;
}

static int grid_of_ranks(xpu_device *const *devs, int n, int *torus)
{
	uint32_t chip[MAXR], nl;
	int links = 1;

	*torus = 0;
	for (int r = 0; r < n; r++)
		if (xpu_device_get_chip_id(devs[r], &chip[r]) ||
		    xpu_device_get_link_count(devs[r], &nl) || nl < 4)
			links = 0;
	for (int a = 2; links && a <= n / 2; a++) {
		int b = n / a;

		if (n % a)
			continue;
		for (uint32_t px = 0; px <= 2; px += 2) {
			int ok = 1;

			for (int r = 0; r < n && ok; r++) {
				int x = r % a, y = r / a;

				ok = port_to(devs[r], px, chip[y * a + (x + 1) % a]) &&
				     port_to(devs[r], 2 - px, chip[((y + 1) % b) * a + x]);
			}
			if (ok) {
				*torus = 1;
				return a;
			}
		}
	}
	for (int a = 2; a < n; a++)
		if (n % a == 0 && a * a >= n)
			return a;
	return 0;
}

/* The all-reduce of element e (of count) in the documented order. */
static uint32_t ref_allreduce(enum xpu_dtype dt, size_t esz, void *const *x, int n,
			      enum xpu_coll_algo algo, int gx, size_t count, size_t e)
{
	int members[MAXR];

	if (algo == XPU_COLL_TREE)
		return tree_sum(dt, esz, x, n, 0, e);
	if (algo == XPU_COLL_2D) {
		int a = gx, b = n / gx;
		size_t c = part_of(count, a, e), o = poff(count, a, c);
		size_t len = poff(count, a, c + 1) - o, d = part_of(len, b, e - o);
		uint32_t rows[MAXR], acc;

		for (int y = 0; y < b; y++) {
			for (int i = 0; i < a; i++)
				members[i] = y * a + i;
			rows[y] = ring_sum(dt, esz, x, members, a, c, e);
		}
		acc = rows[(d + 1) % b];
		for (int k = 2; k <= b; k++)
			acc = add(dt, rows[(d + k) % b], acc);
		return acc;
	}
	for (int i = 0; i < n; i++)
		members[i] = i;
	return ring_sum(dt, esz, x, members, n, part_of(count, n, e), e);
}

struct cas {
	int op;
	int n;
	enum xpu_topology topo;
	uint32_t tx;
	enum xpu_coll_algo algo;
	int shared;
	int colmajor, chips;		/* world_open */
};

/* One collective: inputs, run (twice), compare with the reference. */
static int run_one(struct __test_metadata *_metadata, struct world *w, const struct cas *cs,
		   enum xpu_dtype dt, size_t count, int inplace, uint64_t seed, int root)
{
	int n = w->n;
	size_t esz = xpu_dtype_size(dt);
	size_t in_elems = cs->op == OP_RS ? count * n : count;
	size_t out_elems = cs->op == OP_AG ? count * n : count;
	size_t buf_elems = in_elems > out_elems ? in_elems : out_elems;
	xpu_buffer *send[MAXR] = { 0 }, *recv[MAXR] = { 0 };
	void *x[MAXR] = { 0 }, *got = NULL, *first = NULL;
	struct xpu_coll_stats stats;
	enum xpu_coll_algo ran;
	int ok = 1, torus, gx = grid_of_ranks(w->devs, n, &torus);

	for (int r = 0; r < n; r++) {
		x[r] = calloc(buf_elems ? buf_elems : 1, esz);
		for (size_t i = 0; i < in_elems; i++)
			put(x[r], esz, i, rand_elem(dt, &seed));
	}
	got = calloc(buf_elems ? buf_elems : 1, esz);
	first = calloc(buf_elems ? buf_elems : 1, esz);
	for (int pass = 0; pass < 2 && ok; pass++) {
		for (int r = 0; r < n; r++) {
			size_t sz = (buf_elems ? buf_elems : 1) * esz;

			if (!send[r]) {
				XOK(xpu_buffer_alloc(w->devs[r], sz, XPU_MEM_DEVICE, &send[r]));
				if (inplace || cs->op == OP_BC)
					recv[r] = send[r];
				else
					XOK(xpu_buffer_alloc(w->devs[r], sz, XPU_MEM_DEVICE,
							     &recv[r]));
			}
			/* the input where the operation reads it; recv filled with junk */
			if (recv[r] != send[r]) {
				memset(got, 0xa5, sz);
				XOK(xpu_buffer_write(recv[r], 0, got, sz));
			}
			if (cs->op == OP_AG && inplace) {
				memset(got, 0x5a, sz);
				memcpy((char *)got + r * count * esz, x[r], count * esz);
				XOK(xpu_buffer_write(send[r], 0, got, sz));
			} else if (cs->op == OP_BC && r != root) {
				memset(got, 0x5a, sz);
				XOK(xpu_buffer_write(send[r], 0, got, sz));
			} else if (in_elems) {
				XOK(xpu_buffer_write(send[r], 0, x[r], in_elems * esz));
			}
		}
		switch (cs->op) {
		case OP_AR:
			XOK(xpu_all_reduce(w->comm, send, recv, count, dt, XPU_RED_SUM, w->s));
			break;
		case OP_RS:
			XOK(xpu_reduce_scatter(w->comm, send, recv, count, dt, XPU_RED_SUM, w->s));
			break;
		case OP_AG:
			XOK(xpu_all_gather(w->comm, send, recv, count, dt, w->s));
			break;
		default:
			XOK(xpu_broadcast(w->comm, send, count, dt, root, w->s));
			break;
		}
		for (int r = 0; r < n; r++)
			XOK(xpu_stream_synchronize(w->s[r], 30ull * 1000000000));
		XOK(xpu_comm_get_stats(w->comm, &stats));
		ran = stats.algo;
		if (cs->op == OP_AR) {
			/* AUTO: 2-D exactly where the ranks form a torus; else what was set */
			ASSERT_EQ(cs->algo == XPU_COLL_AUTO ?
				  (torus ? XPU_COLL_2D : XPU_COLL_RING) : cs->algo, ran);
			if (ran == XPU_COLL_2D)
				ASSERT_EQ((uint32_t)(2 * (gx - 1) + 2 * (n / gx - 1)), stats.steps);
		}
		for (int r = 0; r < n && ok; r++) {
			/* in-place reduce-scatter: the rank's own part of the buffer */
			size_t at = cs->op == OP_RS && inplace ? r * count : 0;

			if (out_elems)
				XOK(xpu_buffer_read(recv[r], at * esz, got, out_elems * esz));
			for (size_t e = 0; e < out_elems && ok; e++) {
				uint32_t want;

				if (cs->op == OP_AR)	/* AUTO: what ran (2-D on a torus) */
					want = ref_allreduce(dt, esz, x, n, ran, gx, count, e);
				else if (cs->op == OP_RS) {
					int members[MAXR];

					for (int i = 0; i < n; i++)
						members[i] = i;
					want = ring_sum(dt, esz, x, members, n, r, r * count + e);
				} else if (cs->op == OP_AG)
					want = get(x[e / count], esz, e % count);
				else
					want = get(x[root], esz, e);
				if (get(got, esz, e) != want) {
					TH_LOG("n=%d op=%d algo=%d (grid %d x %d) dt=%s count=%zu "
					       "inplace=%d: rank %d element %zu: got 0x%x, want 0x%x",
					       n, cs->op, (int)ran, gx, gx ? n / gx : 0,
					       xpu_dtype_name(dt), count, inplace, r, e,
					       get(got, esz, e), want);
					ok = 0;
				}
			}
			if (!ok)
				break;
			/* the second run equals the first, bit for bit */
			if (!r && !pass)
				memcpy(first, got, out_elems * esz);
			if (!r && pass)
				ok = !memcmp(first, got, out_elems * esz);
		}
	}
	for (int r = 0; r < n; r++) {
		if (recv[r] && recv[r] != send[r])
			xpu_buffer_free(recv[r]);
		if (send[r])
			xpu_buffer_free(send[r]);
		free(x[r]);
	}
	free(got);
	free(first);
	return ok;
}

/* chunk elements of the test device's reduce kernels: a 64 KiB scratchpad
 * in 4 chunks (4-byte types) or 8 (bf16), as collective_kernels.c sizes them */
static size_t chunk_elems(enum xpu_dtype dt)
{
	return dt == XPU_DT_BF16 ? (8u << 10) / 2 : (16u << 10) / 4;
}

/* Every dtype and count of one case; returns 0, or 1 if it had to skip. */
static int run_cases(struct __test_metadata *_metadata, const struct cas *cs)
{
	static const enum xpu_dtype dts[] = { XPU_DT_I32, XPU_DT_F32, XPU_DT_BF16 };
	struct world w;
	const char *why;
	int rc = world_open(&w, cs->n, cs->topo, cs->tx, cs->shared, cs->colmajor, cs->chips, &why);

	if (rc == 1) {
		world_close(&w);
		ksft_print_msg("%d ranks: skipped: %s\n", cs->n, why);
		return 1;
	}
	ASSERT_EQ(0, rc) TH_LOG("open %d ranks: %s", cs->n, xpu_last_error());
#ifndef XPU_TEST_DRM
	/* the host fabric's torus is found from its links, as it was cabled
	 * (tx chips along x; numbered along y first, n / tx per rank row) */
	if (cs->topo == XPU_TOPO_TORUS2D && !cs->shared) {
		int torus, gx = grid_of_ranks(w.devs, cs->n, &torus);

		ASSERT_TRUE(torus);
		ASSERT_EQ(cs->colmajor ? cs->n / (int)cs->tx : (int)cs->tx, gx);
	}
#endif
	XOK(xpu_comm_set_algorithm(w.comm, cs->algo));
	for (unsigned d = 0; d < sizeof(dts) / sizeof(dts[0]); d++) {
		size_t counts[] = { 1, 7, (size_t)cs->n * 5 + 3,
				    (size_t)cs->n * 3 * chunk_elems(dts[d]) + 5 };

		for (unsigned c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
			size_t count = counts[c];

			/* per-rank counts for gather/scatter: keep them small */
			if (cs->op == OP_RS || cs->op == OP_AG)
				count = c < 3 ? count : 3 * chunk_elems(dts[d]) + 5;
			for (int inplace = 0; inplace < 2; inplace++) {
#ifdef XPU_TEST_DRM
				/* TCG is slow: in place and out of place by turns */
				if (inplace != (int)((c + d) % 2))
					continue;
#endif
				int ok = run_one(_metadata, &w, cs, dts[d], count, inplace,
						 0x1234 + c * 77 + d, (int)(c % cs->n));

				ASSERT_TRUE(ok);
			}
		}
	}
	world_close(&w);
	return 0;
}

FIXTURE(coll) {
};

FIXTURE_SETUP(coll)
{
}

FIXTURE_TEARDOWN(coll)
{
}

/*
 * the cases of a test; it skips only if every case had to (too few devices).
 * Seconds here; minutes on make check-debug's KASAN kernel under TCG (the
 * harness's default limit is 30 s).
 */
#define CASES(name, ...) \
	TEST_F_TIMEOUT(coll, name, 900) \
	{ \
		static const struct cas cases[] = { __VA_ARGS__ }; \
		unsigned i, skipped = 0, total = sizeof(cases) / sizeof(cases[0]); \
		for (i = 0; i < total; i++) \
			skipped += run_cases(_metadata, &cases[i]); \
		if (skipped == total) \
			SKIP(return, "not enough XPU devices for any case"); \
	}

#define RING(op, n) { op, n, XPU_TOPO_RING, 0, XPU_COLL_RING, 0 }
CASES(all_reduce_ring, RING(OP_AR, 2), RING(OP_AR, 3), RING(OP_AR, 4), RING(OP_AR, 8))
CASES(all_reduce_tree,
      { OP_AR, 2, XPU_TOPO_MESH, 0, XPU_COLL_TREE, 0 }, { OP_AR, 3, XPU_TOPO_MESH, 0, XPU_COLL_TREE, 0 },
      { OP_AR, 4, XPU_TOPO_MESH, 0, XPU_COLL_TREE, 0 }, { OP_AR, 8, XPU_TOPO_RING, 0, XPU_COLL_TREE, 0 })
CASES(all_reduce_2d,
      { OP_AR, 4, XPU_TOPO_TORUS2D, 2, XPU_COLL_2D, 0 }, { OP_AR, 8, XPU_TOPO_TORUS2D, 4, XPU_COLL_2D, 0 },
      { OP_AR, 8, XPU_TOPO_TORUS2D, 2, XPU_COLL_AUTO, 0 },
      /* host: ranks along the torus's y: a 4 x 2 grid on the 2x4 torus */
      { OP_AR, 8, XPU_TOPO_TORUS2D, 2, XPU_COLL_AUTO, 0, 1 },
      /* host: 8 ranks over the 4 chips of a 2x2 torus (as in a 4-XPU VM): 2 x 4 */
      { OP_AR, 8, XPU_TOPO_TORUS2D, 2, XPU_COLL_2D, 0, 0, 4 })
CASES(reduce_scatter_ring, RING(OP_RS, 2), RING(OP_RS, 3), RING(OP_RS, 4), RING(OP_RS, 8))
CASES(all_gather_ring, RING(OP_AG, 2), RING(OP_AG, 3), RING(OP_AG, 4), RING(OP_AG, 8))
CASES(broadcast_ring, RING(OP_BC, 2), RING(OP_BC, 3), RING(OP_BC, 4), RING(OP_BC, 8))
CASES(broadcast_tree, { OP_BC, 3, XPU_TOPO_MESH, 0, XPU_COLL_TREE, 0 },
      { OP_BC, 8, XPU_TOPO_RING, 0, XPU_COLL_TREE, 0 })
/* several ranks on one device, a stream each */
CASES(shared_device, { OP_AR, 3, XPU_TOPO_NONE, 0, XPU_COLL_RING, 1 },
      { OP_AR, 4, XPU_TOPO_NONE, 2, XPU_COLL_2D, 1 },
      { OP_AR, 8, XPU_TOPO_NONE, 4, XPU_COLL_2D, 1 }, { OP_RS, 3, XPU_TOPO_NONE, 0, XPU_COLL_RING, 1 },
      { OP_AG, 4, XPU_TOPO_NONE, 0, XPU_COLL_RING, 1 }, { OP_BC, 4, XPU_TOPO_NONE, 0, XPU_COLL_TREE, 1 })

/* The reference's order matters: a plain rank-order sum differs somewhere,
 * so the tests above would catch a library that added in another order. */
TEST(order_is_observable)
{
	uint64_t seed = 99;
	enum { N = 4, COUNT = 4096 };
	static uint32_t x0[N][COUNT];
	void *x[N] = { x0[0], x0[1], x0[2], x0[3] };
	int differ = 0;

	for (int r = 0; r < N; r++)
		for (int e = 0; e < COUNT; e++)
			x0[r][e] = rand_elem(XPU_DT_F32, &seed);
	for (int e = 0; e < COUNT; e++) {
		uint32_t naive = x0[0][e];

		for (int r = 1; r < N; r++)
			naive = add(XPU_DT_F32, naive, x0[r][e]);
		differ += naive != ref_allreduce(XPU_DT_F32, 4, x, N, XPU_COLL_RING, 0, COUNT, e);
	}
	ASSERT_GT(differ, 0);
}

/*
 * stats: what AUTO picks on the ranks' topology (the ring on a ring of links
 * or without links, 2-D with 4 steps on a 2x2 torus: a VM booted with
 * --links torus2d:2x2), then steps, algorithm, link bytes and modeled time
 * of an explicit ring all-reduce.
 */
TEST(stats)
{
	struct world w;
	const char *why;
	struct xpu_coll_stats st;
	xpu_buffer *b[4];
	const size_t count = 64 * 1024;		/* 256 KiB fp32 */
	int rc = world_open(&w, 4, XPU_TOPO_RING, 0, 0, 0, 0, &why), torus, gx;

	if (rc == 1)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, rc) TH_LOG("%s", xpu_last_error());
	gx = grid_of_ranks(w.devs, 4, &torus);
	ASSERT_EQ(2, gx);
#ifndef XPU_TEST_DRM
	ASSERT_FALSE(torus);			/* the host fabric is a ring of 4 */
#endif
	XERR(XPU_ERROR_NOT_READY, xpu_comm_get_stats(w.comm, &st));
	for (int r = 0; r < 4; r++)
		XOK(xpu_buffer_alloc(w.devs[r], count * 4, XPU_MEM_DEVICE, &b[r]));
	/* AUTO */
	XOK(xpu_all_reduce(w.comm, b, b, count, XPU_DT_F32, XPU_RED_SUM, w.s));
	for (int r = 0; r < 4; r++)
		XOK(xpu_stream_synchronize(w.s[r], XPU_WAIT_FOREVER));
	XOK(xpu_comm_get_stats(w.comm, &st));
	ksft_print_msg("AUTO on 4 ranks %s: %s, %u steps\n",
		       torus ? "forming a 2x2 torus" : "not forming a torus",
		       st.algo == XPU_COLL_2D ? "2-D" : st.algo == XPU_COLL_RING ? "ring" : "other",
		       st.steps);
	EXPECT_EQ(torus ? XPU_COLL_2D : XPU_COLL_RING, st.algo);
	EXPECT_EQ(torus ? 4u : 6u, st.steps);
	/* the ring, whatever the links */
	XOK(xpu_comm_set_algorithm(w.comm, XPU_COLL_RING));
	XOK(xpu_all_reduce(w.comm, b, b, count, XPU_DT_F32, XPU_RED_SUM, w.s));
	for (int r = 0; r < 4; r++)
		XOK(xpu_stream_synchronize(w.s[r], XPU_WAIT_FOREVER));
	XOK(xpu_comm_get_stats(w.comm, &st));
	EXPECT_EQ(6u, st.steps);
	EXPECT_EQ(XPU_COLL_RING, st.algo);
	EXPECT_GT(st.modeled_cycles, 0u);
#ifndef XPU_TEST_DRM
	/* 2(n-1) steps of a quarter each, all over links, at 100 GB/s = 100 B/cycle */
	EXPECT_EQ(2ull * 3 * count * 4, st.link_bytes);
	EXPECT_GE(st.modeled_cycles, 6ull * (count * 4 / 4) / 100);
	EXPECT_LT(st.modeled_cycles, 3 * 6ull * (count * 4 / 4) / 100 + 6 * 20000);
	EXPECT_GT(st.modeled_us, 0.0);
#endif
	for (int r = 0; r < 4; r++)
		xpu_buffer_free(b[r]);
	world_close(&w);
}

/* the algorithm that ran and its step count: AUTO (2-D on a torus: the
 * host fabric's 2x2 torus, or a VM's --links torus2d:2x2; else the ring),
 * tree, pipelined ring broadcast */
TEST(stats_algorithms)
{
	struct world w;
	const char *why;
	struct xpu_coll_stats st;
	xpu_buffer *b[4];
	int rc = world_open(&w, 4, XPU_TOPO_TORUS2D, 2, 0, 0, 0, &why), torus;

	if (rc == 1)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, rc) TH_LOG("%s", xpu_last_error());
	ASSERT_EQ(2, grid_of_ranks(w.devs, 4, &torus));
#ifndef XPU_TEST_DRM
	ASSERT_TRUE(torus);			/* the host fabric is a 2x2 torus */
#endif
	for (int r = 0; r < 4; r++)
		XOK(xpu_buffer_alloc(w.devs[r], 4096, XPU_MEM_DEVICE, &b[r]));
	XOK(xpu_all_reduce(w.comm, b, b, 1000, XPU_DT_F32, XPU_RED_SUM, w.s));
	for (int r = 0; r < 4; r++)
		XOK(xpu_stream_synchronize(w.s[r], XPU_WAIT_FOREVER));
	XOK(xpu_comm_get_stats(w.comm, &st));
	EXPECT_EQ(torus ? XPU_COLL_2D : XPU_COLL_RING, st.algo);
	EXPECT_EQ(torus ? 4u : 6u, st.steps);
	XOK(xpu_comm_set_algorithm(w.comm, XPU_COLL_TREE));
	XOK(xpu_all_reduce(w.comm, b, b, 1000, XPU_DT_F32, XPU_RED_SUM, w.s));
	/* not synchronized yet, or already done: never a wrong answer */
	rc = xpu_comm_get_stats(w.comm, &st);
	EXPECT_TRUE(rc == XPU_SUCCESS || rc == XPU_ERROR_NOT_READY);
	for (int r = 0; r < 4; r++)
		XOK(xpu_stream_synchronize(w.s[r], XPU_WAIT_FOREVER));
	XOK(xpu_comm_get_stats(w.comm, &st));
	EXPECT_EQ(XPU_COLL_TREE, st.algo);
	EXPECT_EQ(6u, st.steps);		/* depth 2: 2 x 2 reduce + 2 down */
	EXPECT_GT(st.modeled_cycles, 0u);
	XOK(xpu_comm_set_algorithm(w.comm, XPU_COLL_RING));
	XOK(xpu_broadcast(w.comm, b, 1000, XPU_DT_F32, 1, w.s));
	for (int r = 0; r < 4; r++)
		XOK(xpu_stream_synchronize(w.s[r], XPU_WAIT_FOREVER));
	XOK(xpu_comm_get_stats(w.comm, &st));
	EXPECT_EQ(XPU_COLL_RING, st.algo);
	EXPECT_EQ(3u, st.steps);		/* one piece down a chain of 4 */
	for (int r = 0; r < 4; r++)
		xpu_buffer_free(b[r]);
	world_close(&w);
}

TEST(bad_arguments)
{
	struct world w, o;
	const char *why;
	xpu_buffer *b[2], *small[2], *ob = NULL;
	xpu_stream *mixed[2];
	xpu_comm *c = NULL;
	int rc = world_open(&w, 2, XPU_TOPO_RING, 0, 0, 0, 0, &why);

	if (rc == 1)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, rc) TH_LOG("%s", xpu_last_error());
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_comm_create(w.devs, 0, &c));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "n = 0"));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_comm_create(w.devs, -3, &c));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_comm_create(NULL, 2, &c));
	for (int r = 0; r < 2; r++) {
		XOK(xpu_buffer_alloc(w.devs[r], 4096, XPU_MEM_DEVICE, &b[r]));
		XOK(xpu_buffer_alloc(w.devs[r], 64, XPU_MEM_DEVICE, &small[r]));
	}
	/* streams of the wrong ranks */
	mixed[0] = w.s[1];
	mixed[1] = w.s[0];
	XERR(XPU_ERROR_INVALID_ARGUMENT,
	     xpu_all_reduce(w.comm, b, b, 16, XPU_DT_F32, XPU_RED_SUM, mixed));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "streams[0]"));
	/* buffers of the wrong ranks */
	{
		xpu_buffer *swapped[2] = { b[1], b[0] };

		XERR(XPU_ERROR_INVALID_ARGUMENT,
		     xpu_all_reduce(w.comm, swapped, b, 16, XPU_DT_F32, XPU_RED_SUM, w.s));
		EXPECT_NE(NULL, strstr(xpu_last_error(), "send[0]"));
	}
	/* count * size beyond a buffer */
	XERR(XPU_ERROR_INVALID_ARGUMENT,
	     xpu_all_reduce(w.comm, b, small, 1000, XPU_DT_I32, XPU_RED_SUM, w.s));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "recv[0] has 64 bytes, 4000 needed"));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_all_gather(w.comm, b, b, 1000, XPU_DT_F32, w.s));
	XERR(XPU_ERROR_INVALID_ARGUMENT,
	     xpu_reduce_scatter(w.comm, b, b, 1000, XPU_DT_F32, XPU_RED_SUM, w.s));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_all_reduce(w.comm, b, b, SIZE_MAX / 2, XPU_DT_F32,
							XPU_RED_SUM, w.s));
	/* types */
	XERR(XPU_ERROR_NOT_SUPPORTED,
	     xpu_all_reduce(w.comm, b, b, 16, XPU_DT_I8, XPU_RED_SUM, w.s));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "int8"));
	XERR(XPU_ERROR_INVALID_ARGUMENT,
	     xpu_all_reduce(w.comm, b, b, 16, (enum xpu_dtype)99, XPU_RED_SUM, w.s));
	XERR(XPU_ERROR_INVALID_ARGUMENT,
	     xpu_all_reduce(w.comm, b, b, 16, XPU_DT_F32, (enum xpu_redop)3, w.s));
	/* broadcast root, algorithms, NULLs */
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_broadcast(w.comm, b, 16, XPU_DT_F32, 2, w.s));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "root 2"));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_broadcast(w.comm, b, 16, XPU_DT_F32, -1, w.s));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_comm_set_algorithm(w.comm, (enum xpu_coll_algo)7));
	XERR(XPU_ERROR_NOT_SUPPORTED, xpu_comm_set_algorithm(w.comm, XPU_COLL_2D));
	XERR(XPU_ERROR_INVALID_ARGUMENT,
	     xpu_all_reduce(NULL, b, b, 16, XPU_DT_F32, XPU_RED_SUM, w.s));
	XERR(XPU_ERROR_INVALID_ARGUMENT,
	     xpu_all_reduce(w.comm, NULL, b, 16, XPU_DT_F32, XPU_RED_SUM, w.s));
	XERR(XPU_ERROR_INVALID_ARGUMENT,
	     xpu_all_reduce(w.comm, b, b, 16, XPU_DT_F32, XPU_RED_SUM, NULL));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_comm_destroy(NULL));
	/* a buffer of a device outside the communicator */
	rc = world_open(&o, 1, XPU_TOPO_NONE, 0, 1, 0, 0, &why);
	ASSERT_EQ(0, rc);
	XOK(xpu_buffer_alloc(o.devs[0], 4096, XPU_MEM_DEVICE, &ob));
	{
		xpu_buffer *foreign[2] = { b[0], ob };

		XERR(XPU_ERROR_INVALID_ARGUMENT,
		     xpu_all_reduce(w.comm, b, foreign, 16, XPU_DT_F32, XPU_RED_SUM, w.s));
		EXPECT_NE(NULL, strstr(xpu_last_error(), "recv[1]"));
	}
	/* nothing was queued by the refused calls: the streams are fine */
	XOK(xpu_all_reduce(w.comm, b, b, 16, XPU_DT_F32, XPU_RED_SUM, w.s));
	/* every rank's stream before any buffer goes: rank 1's last step reads
	 * b[0] over the link, and freeing b[0] revokes that mapping */
	for (int r = 0; r < 2; r++)
		XOK(xpu_stream_synchronize(w.s[r], XPU_WAIT_FOREVER));
	for (int r = 0; r < 2; r++) {
		xpu_buffer_free(b[r]);
		xpu_buffer_free(small[r]);
	}
	xpu_buffer_free(ob);
	world_close(&o);
	world_close(&w);
}

TEST_HARNESS_MAIN
