// SPDX-License-Identifier: GPL-2.0-only
/*
 * xpu-latency-bench: round trip of an empty job (SUBMIT -> fence signalled
 * -> WAIT_JOB returns) through the driver, against the latency of one 4 KiB
 * O_DIRECT read at queue depth 1 from an NVMe namespace in the same VM boot
 * (tools/xpu-vm --nvme: QEMU's nvme device on a null-co drive), so both
 * devices go through the same guest kernel, vCPUs and QEMU.
 *
 * The two are measured in alternating blocks, so host noise (other VMs,
 * other builds on the two cores) hits both alike, and compared by their
 * medians. Each pair of blocks runs pinned to one CPU, the CPUs taken in
 * turn: under TCG the vCPUs differ (the one that keeps time reads the ACPI
 * PM timer, a port, on every tick), and NVMe completes on the submitting
 * CPU while the XPU's interrupt has one CPU, so a run on one CPU only would
 * say more about that CPU than about the two devices. The job's time is split with the kernel's timestamps of the
 * result (CLOCK_MONOTONIC, as ours): submit_ns (the job allocated in the
 * ioctl), start_ns (doorbell written by run_job) and end_ns (completion
 * interrupt), which tells where the time goes.
 *
 * Prints, last, the line `make bench` collects:
 *   bench: job_vs_nvme_read = <r>x (goal <= 1.0) [<A> us ...; <B> us ...]
 * --smoke runs few iterations (seconds); --nvme-dev PATH reads another
 * block device.
 */
#include <linux/fs.h>
#include <sched.h>
#include "../kselftest/xpu_test_util.h"

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static double median_us(int64_t *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_i64);
	return v[n / 2] / 1000.0;
}

/* One empty job: times of its phases (ns) into the arrays at i. */
struct job_times {
	int64_t *total, *enter, *ioctl, *sched, *dev, *wake;
};

static int run_job(int fd, struct xpu_bo *prog, struct job_times *t, int i)
{
	struct drm_xpu_wait_job w;
	int64_t t0 = xpu_now_ns(), t1, t2, id;

	id = xpu_submit(fd, 0, prog, 8, NULL, 0, &prog->handle, 1, NULL, 0, 0, 0);
	t1 = xpu_now_ns();
	if (id < 0 || xpu_wait(fd, id, 10000, &w) || w.status) {
		fprintf(stderr, "xpu-latency-bench: empty job failed (id %lld, status %u)\n",
			(long long)id, id < 0 ? 0 : w.status);
		return -1;
	}
	t2 = xpu_now_ns();
	if (!t)
		return 0;
	t->total[i] = t2 - t0;
	t->enter[i] = (int64_t)w.submit_ns - t0;
	t->ioctl[i] = t1 - (int64_t)w.submit_ns;
	t->sched[i] = (int64_t)w.start_ns - (int64_t)w.submit_ns;
	t->dev[i] = (int64_t)(w.end_ns - w.start_ns);
	t->wake[i] = t2 - (int64_t)w.end_ns;
	return 0;
}

static uint64_t rng_state = 88172645463325252ull;

/* One 4 KiB O_DIRECT read at a random aligned offset; its time (ns) or -1. */
static int64_t nvme_read(int nfd, void *buf, uint64_t blocks)
{
	off_t off = (off_t)(xpu_xorshift(&rng_state) % blocks) * 4096;
	int64_t t0 = xpu_now_ns();
	ssize_t n = pread(nfd, buf, 4096, off);

	if (n != 4096) {
		fprintf(stderr, "xpu-latency-bench: pread of 4096 bytes at %lld: %s\n",
			(long long)off, n < 0 ? strerror(errno) : "short read");
		return -1;
	}
	return xpu_now_ns() - t0;
}

int main(int argc, char **argv)
{
	const char *nvme_dev = "/dev/nvme0n1";
	int n = 4000, block = 200, warm = 200;
	struct xpu_bo prog;
	uint64_t bytes = 0, v;
	void *buf = NULL;
	int fd, nfd;

	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--smoke")) {
			n = 400;
			block = 50;
			warm = 50;
		} else if (!strcmp(argv[a], "--nvme-dev") && a + 1 < argc) {
			nvme_dev = argv[++a];
		} else {
			fprintf(stderr, "usage: xpu-latency-bench [--smoke] [--nvme-dev PATH]\n");
			return 2;
		}
	}

	fd = xpu_open_nth(0, NULL);
	if (fd < 0) {
		fprintf(stderr, "xpu-latency-bench: no XPU device (/dev/accel/accel*)\n");
		return 1;
	}
	if (xpu_bo_new(fd, 4096, DRM_XPU_BO_HBM, &prog)) {
		perror("xpu-latency-bench: BO_CREATE");
		return 1;
	}
	((uint64_t *)prog.map)[0] = xpu_halt();

	nfd = open(nvme_dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (nfd < 0 || ioctl(nfd, BLKGETSIZE64, &bytes) || bytes < 4096) {
		fprintf(stderr, "xpu-latency-bench: %s: %s (boot the VM with tools/xpu-vm --nvme)\n",
			nvme_dev, nfd < 0 ? strerror(errno) : "cannot read its size");
		return 1;
	}
	if (posix_memalign(&buf, 4096, 4096)) {
		fprintf(stderr, "xpu-latency-bench: out of memory\n");
		return 1;
	}

	int64_t *mem = calloc((size_t)n * 8, sizeof(int64_t));
	struct job_times t = {
		mem, mem + n, mem + 2 * n, mem + 3 * n, mem + 4 * n, mem + 5 * n,
	};
	int64_t *rd = mem + 6 * n, *ioc = mem + 7 * n;

	if (!mem) {
		fprintf(stderr, "xpu-latency-bench: out of memory\n");
		return 1;
	}
	/* warm-up: page tables, caches, the scheduler's and the block layer's */
	for (int i = 0; i < warm; i++)
		if (run_job(fd, &prog, NULL, 0) || nvme_read(nfd, buf, bytes / 4096) < 0)
			return 1;
	/* alternating blocks of jobs and reads, each pair on the next CPU */
	int ncpu = 0, cpus[CPU_SETSIZE];
	cpu_set_t all, one;

	if (sched_getaffinity(0, sizeof(all), &all) == 0)
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &all))
				cpus[ncpu++] = c;
	for (int i = 0; i < n; i += block) {
		if (ncpu > 1) {
			CPU_ZERO(&one);
			CPU_SET(cpus[(i / block) % ncpu], &one);
			if (sched_setaffinity(0, sizeof(one), &one))
				perror("xpu-latency-bench: sched_setaffinity");
		}
		for (int j = i; j < i + block && j < n; j++) {
			int64_t t0 = xpu_now_ns();

			xpu_get_param(fd, DRM_XPU_PARAM_UAPI_VERSION, &v);
			ioc[j] = xpu_now_ns() - t0;
			if (run_job(fd, &prog, &t, j))
				return 1;
		}
		for (int j = i; j < i + block && j < n; j++) {
			rd[j] = nvme_read(nfd, buf, bytes / 4096);
			if (rd[j] < 0)
				return 1;
		}
	}

	double job = median_us(t.total, n), nv = median_us(rd, n);

	printf("empty job round trip (SUBMIT to WAIT_JOB return), median of %d on %d CPU(s): %.1f us\n",
	       n, ncpu > 1 ? ncpu : 1, job);
	printf("  syscall entry to job allocated (submit_ns):  %6.1f us\n", median_us(t.enter, n));
	printf("  job allocated to SUBMIT return:             %6.1f us\n", median_us(t.ioctl, n));
	printf("  job allocated to doorbell (run_job):        %6.1f us\n", median_us(t.sched, n));
	printf("  doorbell to completion interrupt (device):  %6.1f us\n", median_us(t.dev, n));
	printf("  interrupt to WAIT_JOB return (wake-up):     %6.1f us\n", median_us(t.wake, n));
	printf("GET_PARAM ioctl round trip (same run): %.1f us\n", median_us(ioc, n));
	printf("NVMe 4 KiB O_DIRECT QD1 read (%s), median of %d: %.1f us\n", nvme_dev, n, nv);
	printf("bench: job_vs_nvme_read = %.2fx (goal <= 1.0) [%.1f us empty job round trip; "
	       "%.1f us NVMe 4 KiB O_DIRECT QD1 read]\n", job / nv, job, nv);
	free(mem);
	free(buf);
	close(nfd);
	return 0;
}
