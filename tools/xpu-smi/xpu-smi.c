// SPDX-License-Identifier: MIT
/*
 * xpu-smi: list XPU devices, their utilisation and the processes using them.
 * Devices come from libxpu in its order (accel minor, ascending: stable
 * across runs), with their counters from xpu_device_get_usage() (the
 * driver's; the in-process engine's with XPU_BACKEND=host) and their
 * processes from xpu_device_get_processes() (the driver's fdinfo; xpu-smi's
 * own open of the device is left out). libpci adds the XPU functions on the
 * bus that no driver serves, sorted by PCI address, so a missing xpu.ko is
 * visible.
 *
 * Output: a table (the device line's first columns are index, PCI address,
 * node: scripts read them), or with --json one JSON object per sample. With
 * -l SEC it samples every SEC seconds (-c N: N samples, else until
 * interrupted); from the second sample on, each process's engine use is
 * also given as a share of the device (its engine time over the interval,
 * divided by interval x queues).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pci/pci.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xpu/xpu.h"
#include "xpu_hw.h"

#define MAX_DEVS 64
#define MAX_PROCS 256

struct dev_state {
	xpu_device *dev;
	struct xpu_device_props props;
	char open_error[256];
	/* the previous sample, for per-process shares in loop mode */
	struct xpu_process_usage prev[MAX_PROCS];
	uint32_t nprev;
	double prev_t;
	int have_prev;
};

struct sample {
	struct xpu_device_usage usage;
	char usage_error[256];
	struct xpu_process_usage procs[MAX_PROCS];
	uint32_t nprocs;		/* entries in procs (self left out) */
	uint32_t nfound;		/* processes found, self left out */
	char procs_error[256];
	int have_usage, have_procs;
	double t;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void take_sample(struct dev_state *d, struct sample *s)
{
	uint32_t n = 0, k = 0;

	memset(s, 0, sizeof(*s));
	s->t = now_s();
	s->usage.size = sizeof(s->usage);
	s->have_usage = xpu_device_get_usage(d->dev, &s->usage) == XPU_SUCCESS;
	if (!s->have_usage)
		snprintf(s->usage_error, sizeof(s->usage_error), "%s", xpu_last_error());
	s->procs[0].size = sizeof(s->procs[0]);
	s->have_procs = xpu_device_get_processes(d->dev, s->procs, MAX_PROCS, &n) == XPU_SUCCESS;
	if (!s->have_procs) {
		snprintf(s->procs_error, sizeof(s->procs_error), "%s", xpu_last_error());
		return;
	}
	for (uint32_t i = 0; i < n && i < MAX_PROCS; i++)
		if (s->procs[i].pid != getpid())
			s->procs[k++] = s->procs[i];
	s->nprocs = k;
	/* every process found but xpu-smi itself */
	s->nfound = n - ((n < MAX_PROCS ? n : MAX_PROCS) - k);
}

/* Share of the device a process used since the previous sample, or -1. */
static double engine_share(const struct dev_state *d, const struct sample *s,
			   const struct xpu_process_usage *p)
{
	double dt = s->t - d->prev_t;

	if (!d->have_prev || dt <= 0)
		return -1;
	for (uint32_t i = 0; i < d->nprev; i++) {
		if (d->prev[i].pid != p->pid)
			continue;
		if (p->engine_ns < d->prev[i].engine_ns)
			return 0;
		return (p->engine_ns - d->prev[i].engine_ns) / 1e9 /
		       (dt * (d->props.num_queues ? d->props.num_queues : 1));
	}
	/* a process new since the last sample: all its time is recent */
	return p->engine_ns / 1e9 / (dt * (d->props.num_queues ? d->props.num_queues : 1));
}

static void remember(struct dev_state *d, const struct sample *s)
{
	memcpy(d->prev, s->procs, s->nprocs * sizeof(s->procs[0]));
	d->nprev = s->nprocs;
	d->prev_t = s->t;
	d->have_prev = 1;
}

/* ---- table ---------------------------------------------------------------- */

static void print_header(void)
{
	printf("%-3s %-14s %-18s %-7s %-9s %-6s %-9s %-6s %s\n", "#", "PCI",
	       "NODE", "HW", "ARRAY", "QUEUES", "HBM", "CLOCK", "UAPI");
}

static void human(char *buf, size_t len, uint64_t bytes)
{
	if (bytes < (1 << 20))
		snprintf(buf, len, "%llu KiB", (unsigned long long)(bytes >> 10));
	else
		snprintf(buf, len, "%.1f MiB", bytes / 1048576.0);
}

static void text_device(int i, const struct dev_state *d, const struct sample *s)
{
	const struct xpu_device_props *p = &d->props;
	char hw[24], array[24], hbm[32], clock[24], uapi[24];
	double cyc;

	if (!d->dev) {
		printf("%-3d %-14s %-18s (cannot open: %s)\n", i, "-", "-", d->open_error);
		return;
	}
	snprintf(hw, sizeof(hw), "%u.%u", p->hw_version >> 16, p->hw_version & 0xffff);
	snprintf(array, sizeof(array), "%ux%u", p->array_rows, p->array_cols);
	snprintf(hbm, sizeof(hbm), "%llu MiB", (unsigned long long)(p->hbm_size >> 20));
	snprintf(clock, sizeof(clock), "%u MHz", p->clock_mhz);
	snprintf(uapi, sizeof(uapi), "%u.%u", p->uapi_version >> 16, p->uapi_version & 0xffff);
	printf("%-3d %-14s %-18s %-7s %-9s %-6u %-9s %-6s %s\n", i,
	       p->pci_address[0] ? p->pci_address : "-", p->node, hw, array, p->num_queues, hbm,
	       clock, uapi);
	if (s->have_usage) {
		cyc = (double)s->usage.cycles;
		printf("    usage: %llu jobs, %llu modeled cycles, MXU busy %.1f%%, DMA busy %.1f%%, "
		       "%.1f MiB moved, %.3g MACs\n", (unsigned long long)s->usage.jobs,
		       (unsigned long long)s->usage.cycles,
		       cyc > 0 ? 100.0 * s->usage.mxu_busy_cycles / cyc : 0.0,
		       cyc > 0 ? 100.0 * s->usage.dma_busy_cycles / cyc : 0.0,
		       s->usage.dma_bytes / 1048576.0, (double)s->usage.macs);
	} else {
		printf("    usage: unavailable (%s)\n", s->usage_error);
	}
	if (!s->have_procs) {
		printf("    processes: unavailable (%s)\n", s->procs_error);
		return;
	}
	if (!s->nprocs) {
		printf("    processes: none\n");
		return;
	}
	printf("    %-8s %-16s %-5s %10s %10s %14s %14s %7s\n", "PID", "NAME", "FILES",
	       "HBM", "HOST-MEM", "ENGINE-TIME", "CYCLES", "ENGINE%");
	for (uint32_t k = 0; k < s->nprocs; k++) {
		const struct xpu_process_usage *q = &s->procs[k];
		double share = engine_share(d, s, q);
		char hbm_s[24], host_s[24], eng[24], pct[16];

		human(hbm_s, sizeof(hbm_s), q->hbm_bytes);
		human(host_s, sizeof(host_s), q->host_bytes);
		snprintf(eng, sizeof(eng), "%.3f s", q->engine_ns / 1e9);
		if (share < 0)
			snprintf(pct, sizeof(pct), "-");
		else
			snprintf(pct, sizeof(pct), "%.1f%%", 100.0 * share);
		printf("    %-8d %-16s %-5u %10s %10s %14s %14llu %7s\n", q->pid,
		       q->name[0] ? q->name : "?", q->files, hbm_s, host_s, eng,
		       (unsigned long long)q->cycles, pct);
	}
	if (s->nfound > s->nprocs)
		printf("    ... %u more processes\n", s->nfound - s->nprocs);
}

/* ---- JSON ----------------------------------------------------------------- */

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* sep (",", or "" first in an object), then "key":"val" */
static void json_kv(const char *sep, const char *key, const char *val)
{
	printf("%s\"%s\":", sep, key);
	json_str(val);
}

static void json_device(int i, const struct dev_state *d, const struct sample *s)
{
	const struct xpu_device_props *p = &d->props;

	printf("{\"index\":%d,", i);
	if (!d->dev) {
		json_kv("", "error", d->open_error);
		putchar('}');
		return;
	}
	json_kv("", "pci_address", p->pci_address);
	json_kv(",", "node", p->node);
	printf(",\"hw_version\":\"%u.%u\",\"array_rows\":%u,\"array_cols\":%u,\"queues\":%u,"
	       "\"hbm_bytes\":%llu,\"clock_mhz\":%u,\"uapi_version\":\"%u.%u\",\"usage\":",
	       p->hw_version >> 16, p->hw_version & 0xffff, p->array_rows, p->array_cols,
	       p->num_queues, (unsigned long long)p->hbm_size, p->clock_mhz,
	       p->uapi_version >> 16, p->uapi_version & 0xffff);
	if (s->have_usage)
		printf("{\"jobs\":%llu,\"cycles\":%llu,\"dma_busy_cycles\":%llu,"
		       "\"mxu_busy_cycles\":%llu,\"vpu_busy_cycles\":%llu,\"dma_bytes\":%llu,"
		       "\"macs\":%llu}", (unsigned long long)s->usage.jobs,
		       (unsigned long long)s->usage.cycles,
		       (unsigned long long)s->usage.dma_busy_cycles,
		       (unsigned long long)s->usage.mxu_busy_cycles,
		       (unsigned long long)s->usage.vpu_busy_cycles,
		       (unsigned long long)s->usage.dma_bytes, (unsigned long long)s->usage.macs);
	else
		printf("null"), json_kv(",", "usage_error", s->usage_error);
	printf(",\"processes\":");
	if (!s->have_procs) {
		printf("null");
		json_kv(",", "processes_error", s->procs_error);
		putchar('}');
		return;
	}
	putchar('[');
	for (uint32_t k = 0; k < s->nprocs; k++) {
		const struct xpu_process_usage *q = &s->procs[k];
		double share = engine_share(d, s, q);

		printf("%s{\"pid\":%d", k ? "," : "", q->pid);
		json_kv(",", "name", q->name);
		printf(",\"files\":%u,\"hbm_bytes\":%llu,\"host_bytes\":%llu,\"engine_ns\":%llu,"
		       "\"cycles\":%llu,\"engine_share\":", q->files,
		       (unsigned long long)q->hbm_bytes, (unsigned long long)q->host_bytes,
		       (unsigned long long)q->engine_ns, (unsigned long long)q->cycles);
		if (share < 0 || !isfinite(share))
			printf("null}");
		else
			printf("%.4f}", share);
	}
	printf("],\"processes_found\":%u}", s->nfound);
}

/* ---- devices no driver serves --------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * Why libxpu did not list the PCI function addr: no driver, another driver,
 * or a node this user cannot open (the udev rule's group, docs/install.md).
 */
static void unbound_reason(const char *addr, char *buf, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *drv;
	ssize_t n;
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", addr);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0) {
		snprintf(buf, len, "no driver bound: load xpu.ko");
		return;
	}
	link[n] = '\0';
	drv = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	if (strcmp(drv, "xpu")) {
		snprintf(buf, len, "bound to driver %s, not xpu", drv);
		return;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/accel", addr);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		int fd;

		if (strncmp(e->d_name, "accel", 5))
			continue;
		snprintf(path, sizeof(path), "/dev/accel/%s", e->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			snprintf(buf, len, "%s opens but libxpu did not list it", path);
		} else {
			snprintf(buf, len, "%s: %s%s", path, strerror(errno),
				 errno == EACCES ? " (join the xpu group: docs/install.md)" : "");
		}
		closedir(d);
		return;
	}
	if (d)
		closedir(d);
	snprintf(buf, len, "xpu driver bound, no accel node");
}

/* XPU functions on the PCI bus that libxpu did not list, sorted, into out. */
static int find_unbound(const struct dev_state *devs, int ndev, char out[][32])
{
	struct pci_access *pacc = pci_alloc();
	struct pci_dev *p;
	int n = 0;

	pci_init(pacc);
	pci_scan_bus(pacc);
	for (p = pacc->devices; p && n < MAX_DEVS; p = p->next) {
		char addr[32];
		int known = 0;

		pci_fill_info(p, PCI_FILL_IDENT);
		if (p->vendor_id != XPU_PCI_VENDOR_ID || p->device_id != XPU_PCI_DEVICE_ID)
			continue;
		snprintf(addr, sizeof(addr), "%04x:%02x:%02x.%d", p->domain, p->bus, p->dev,
			 p->func);
		for (int i = 0; i < ndev; i++)
			known |= devs[i].dev && strcmp(devs[i].props.pci_address, addr) == 0;
		if (!known)
			snprintf(out[n++], 32, "%s", addr);
	}
	pci_cleanup(pacc);
	qsort(out, n, 32, cmp_str);
	return n;
}

/* ---- main ----------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xpu-smi [--json] [-l SEC [-c N]]\n"
		"  List XPU devices (in accel index order), their utilisation and the\n"
		"  processes using them (pid, name, files, HBM and host memory, engine\n"
		"  time, cycles; from the driver's fdinfo: root sees every process).\n"
		"  --json      one JSON object per sample\n"
		"  -l SEC      sample every SEC seconds (decimals allowed) until interrupted\n"
		"  -c N        stop after N samples (default: 1, or unlimited with -l)\n"
		"  -h, --help  this text\n");
}

/* A positive number from a command-line argument, or exit 2 naming it. */
static double parse_num(const char *opt, const char *v, int integer)
{
	char *end;
	double x;

	if (!v) {
		fprintf(stderr, "xpu-smi: %s needs a value\n", opt);
		exit(2);
	}
	errno = 0;
	x = integer ? (double)strtol(v, &end, 10) : strtod(v, &end);
	if (errno || end == v || *end || !(x > 0) || x > 1e9) {
		fprintf(stderr, "xpu-smi: %s '%s': expected a %s greater than 0\n", opt, v,
			integer ? "whole number" : "number of seconds");
		exit(2);
	}
	return x;
}

int main(int argc, char **argv)
{
	static struct dev_state devs[MAX_DEVS];
	static struct sample s;
	char unbound[MAX_DEVS][32];
	double interval = 0;
	long count = 0;
	int json = 0, ndev = 0, found = 0, nunbound;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "-l") || !strcmp(argv[i], "--loop")) {
			interval = parse_num(argv[i], argv[i + 1], 0);
			i++;
		} else if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--count")) {
			count = (long)parse_num(argv[i], argv[i + 1], 1);
			i++;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "xpu-smi: unknown argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (!count)
		count = interval > 0 ? -1 : 1;
	if (count > 1 && interval <= 0)
		interval = 1;

	if (xpu_device_count(&ndev) != XPU_SUCCESS)
		ndev = 0;
	if (ndev > MAX_DEVS)
		ndev = MAX_DEVS;
	for (int i = 0; i < ndev; i++) {
		if (xpu_device_open(i, &devs[i].dev) != XPU_SUCCESS) {
			devs[i].dev = NULL;
			snprintf(devs[i].open_error, sizeof(devs[i].open_error), "%s",
				 xpu_last_error());
			continue;
		}
		xpu_device_get_props(devs[i].dev, &devs[i].props);
	}
	nunbound = find_unbound(devs, ndev, unbound);
	found = ndev + nunbound;

	for (long it = 0; count < 0 || it < count; it++) {
		if (it)
			usleep((useconds_t)(interval * 1e6));
		if (json) {
			struct timespec rt;

			clock_gettime(CLOCK_REALTIME, &rt);
			printf("{\"time\":%lld.%03ld,\"devices\":[", (long long)rt.tv_sec,
			       rt.tv_nsec / 1000000);
			for (int i = 0; i < ndev; i++) {
				if (devs[i].dev)
					take_sample(&devs[i], &s);
				printf("%s", i ? "," : "");
				json_device(i, &devs[i], &s);
				if (devs[i].dev)
					remember(&devs[i], &s);
			}
			printf("],\"unbound\":[");
			for (int i = 0; i < nunbound; i++) {
				char why[PATH_MAX + 64];

				unbound_reason(unbound[i], why, sizeof(why));
				printf("%s{", i ? "," : "");
				json_kv("", "pci_address", unbound[i]);
				json_kv(",", "reason", why);
				putchar('}');
			}
			printf("]}\n");
		} else {
			if (interval > 0) {
				time_t t = time(NULL);
				char ts[64];

				strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", localtime(&t));
				printf("%s== %s\n", it ? "\n" : "", ts);
			}
			print_header();
			for (int i = 0; i < ndev; i++) {
				if (devs[i].dev)
					take_sample(&devs[i], &s);
				text_device(i, &devs[i], &s);
				if (devs[i].dev)
					remember(&devs[i], &s);
			}
			for (int i = 0; i < nunbound; i++) {
				char why[PATH_MAX + 64];

				unbound_reason(unbound[i], why, sizeof(why));
				printf("%-3s %-14s %-18s (%s)\n", "-", unbound[i], "-", why);
			}
			if (!found)
				printf("no XPU device found\n");
		}
		fflush(stdout);
	}
	for (int i = 0; i < ndev; i++)
		if (devs[i].dev)
			xpu_device_close(devs[i].dev);
	return found ? 0 : 1;
}
