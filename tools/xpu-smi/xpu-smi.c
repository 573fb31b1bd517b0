// SPDX-License-Identifier: MIT
/*
 * xpu-smi: list XPU devices. The PCI side comes from libpci (every XPU
 * function on the bus, bound or not); the device side from libxpu (the
 * driver's view through /dev/accel); utilisation from the driver's sysfs
 * counters (/sys/bus/pci/devices/<pci>/perf/).
 */
#include <pci/pci.h>
#include <stdio.h>
#include <string.h>

#include "xpu/xpu.h"
#include "xpu_hw.h"

/* A counter from the driver's sysfs telemetry, or -1. */
static long long perf(const char *addr, const char *name)
{
	char path[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/perf/%s", addr, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static void print_usage(const char *addr)
{
	long long jobs = perf(addr, "jobs"), cycles = perf(addr, "cycles");
	long long mxu = perf(addr, "mxu_busy_cycles"), dma = perf(addr, "dma_busy_cycles");
	long long bytes = perf(addr, "dma_bytes"), macs = perf(addr, "macs");

	if (jobs < 0)
		return;
	printf("    usage: %lld jobs, %lld modeled cycles, MXU busy %.1f%%, DMA busy %.1f%%, "
	       "%.1f MiB moved, %.3g MACs\n", jobs, cycles,
	       cycles > 0 ? 100.0 * mxu / cycles : 0.0,
	       cycles > 0 ? 100.0 * dma / cycles : 0.0, bytes / 1048576.0, (double)macs);
}

static void print_header(void)
{
	printf("%-3s %-14s %-18s %-7s %-9s %-6s %-9s %-6s %s\n", "#", "PCI",
	       "NODE", "HW", "ARRAY", "QUEUES", "HBM", "CLOCK", "UAPI");
}

static int find_props(const char *addr, struct xpu_device_props *out)
{
	int n = 0;

	if (xpu_device_count(&n) != XPU_SUCCESS)
		return -1;
	for (int i = 0; i < n; i++) {
		xpu_device *dev;
		int match;

		if (xpu_device_open(i, &dev) != XPU_SUCCESS)
			continue;
		xpu_device_get_props(dev, out);
		xpu_device_close(dev);
		match = strcmp(out->pci_address, addr) == 0;
		if (match)
			return i;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct pci_access *pacc;
	struct pci_dev *p;
	int found = 0;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: xpu-smi\n");
		return 2;
	}
	pacc = pci_alloc();
	pci_init(pacc);
	pci_scan_bus(pacc);
	print_header();
	for (p = pacc->devices; p; p = p->next) {
		struct xpu_device_props props;
		char addr[32];
		int idx;

		pci_fill_info(p, PCI_FILL_IDENT);
		if (p->vendor_id != XPU_PCI_VENDOR_ID ||
		    p->device_id != XPU_PCI_DEVICE_ID)
			continue;
		found++;
		snprintf(addr, sizeof(addr), "%04x:%02x:%02x.%d", p->domain,
			 p->bus, p->dev, p->func);
		idx = find_props(addr, &props);
		if (idx < 0) {
			printf("%-3s %-14s %-18s (no driver bound: load xpu.ko)\n",
			       "-", addr, "-");
			continue;
		}
		char hw[24], array[24], hbm[32], clock[24], uapi[24];

		snprintf(hw, sizeof(hw), "%u.%u", props.hw_version >> 16,
			 props.hw_version & 0xffff);
		snprintf(array, sizeof(array), "%ux%u", props.array_rows,
			 props.array_cols);
		snprintf(hbm, sizeof(hbm), "%llu MiB",
			 (unsigned long long)(props.hbm_size >> 20));
		snprintf(clock, sizeof(clock), "%u MHz", props.clock_mhz);
		snprintf(uapi, sizeof(uapi), "%u.%u", props.uapi_version >> 16,
			 props.uapi_version & 0xffff);
		printf("%-3d %-14s %-18s %-7s %-9s %-6u %-9s %-6s %s\n", idx,
		       addr, props.node, hw, array, props.num_queues, hbm,
		       clock, uapi);
		print_usage(addr);
	}
	pci_cleanup(pacc);
	if (!found) {
		printf("no XPU device found on the PCI bus\n");
		return 1;
	}
	return 0;
}
