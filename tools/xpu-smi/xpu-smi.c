// SPDX-License-Identifier: MIT
/*
 * xpu-smi: list XPU devices. Devices come from libxpu in its order (accel
 * minor, ascending: stable across runs), with their utilisation from
 * xpu_device_get_usage() (the driver's counters; the in-process engine's
 * with XPU_BACKEND=host). libpci adds the XPU functions on the bus that no
 * driver serves, sorted by PCI address, so a missing xpu.ko is visible.
 */
#include <pci/pci.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xpu/xpu.h"
#include "xpu_hw.h"

#define MAX_DEVS 64

static void print_header(void)
{
	printf("%-3s %-14s %-18s %-7s %-9s %-6s %-9s %-6s %s\n", "#", "PCI",
	       "NODE", "HW", "ARRAY", "QUEUES", "HBM", "CLOCK", "UAPI");
}

static void print_usage(xpu_device *dev)
{
	struct xpu_device_usage u = { .size = sizeof(u) };
	double cyc;

	if (xpu_device_get_usage(dev, &u) != XPU_SUCCESS) {
		printf("    usage: unavailable (%s)\n", xpu_last_error());
		return;
	}
	cyc = (double)u.cycles;
	printf("    usage: %llu jobs, %llu modeled cycles, MXU busy %.1f%%, DMA busy %.1f%%, "
	       "%.1f MiB moved, %.3g MACs\n", (unsigned long long)u.jobs,
	       (unsigned long long)u.cycles, cyc > 0 ? 100.0 * u.mxu_busy_cycles / cyc : 0.0,
	       cyc > 0 ? 100.0 * u.dma_busy_cycles / cyc : 0.0, u.dma_bytes / 1048576.0,
	       (double)u.macs);
}

/* One line per device libxpu can open; their PCI addresses go to seen. */
static int list_devices(char seen[][XPU_NAME_MAX], int *nseen)
{
	int n = 0;

	if (xpu_device_count(&n) != XPU_SUCCESS)
		return 0;
	for (int i = 0; i < n; i++) {
		struct xpu_device_props props;
		char hw[24], array[24], hbm[32], clock[24], uapi[24];
		xpu_device *dev;

		if (xpu_device_open(i, &dev) != XPU_SUCCESS) {
			printf("%-3d %-14s %-18s (cannot open: %s)\n", i, "-", "-",
			       xpu_last_error());
			continue;
		}
		xpu_device_get_props(dev, &props);
		if (props.pci_address[0] && *nseen < MAX_DEVS)
			snprintf(seen[(*nseen)++], XPU_NAME_MAX, "%s", props.pci_address);
		snprintf(hw, sizeof(hw), "%u.%u", props.hw_version >> 16,
			 props.hw_version & 0xffff);
		snprintf(array, sizeof(array), "%ux%u", props.array_rows, props.array_cols);
		snprintf(hbm, sizeof(hbm), "%llu MiB", (unsigned long long)(props.hbm_size >> 20));
		snprintf(clock, sizeof(clock), "%u MHz", props.clock_mhz);
		snprintf(uapi, sizeof(uapi), "%u.%u", props.uapi_version >> 16,
			 props.uapi_version & 0xffff);
		printf("%-3d %-14s %-18s %-7s %-9s %-6u %-9s %-6s %s\n", i,
		       props.pci_address[0] ? props.pci_address : "-", props.node, hw, array,
		       props.num_queues, hbm, clock, uapi);
		print_usage(dev);
		xpu_device_close(dev);
	}
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* XPU functions on the PCI bus that libxpu did not list, sorted. */
static int list_unbound(char seen[][XPU_NAME_MAX], int nseen)
{
	char addrs[MAX_DEVS][32];
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
		for (int i = 0; i < nseen; i++)
			known |= strcmp(seen[i], addr) == 0;
		if (!known)
			snprintf(addrs[n++], sizeof(addrs[0]), "%s", addr);
	}
	pci_cleanup(pacc);
	qsort(addrs, n, sizeof(addrs[0]), cmp_str);
	for (int i = 0; i < n; i++)
		printf("%-3s %-14s %-18s (no driver bound: load xpu.ko)\n", "-", addrs[i], "-");
	return n;
}

int main(int argc, char **argv)
{
	char seen[MAX_DEVS][XPU_NAME_MAX];
	int nseen = 0, found;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: xpu-smi\n");
		return 2;
	}
	print_header();
	found = list_devices(seen, &nseen);
	found += list_unbound(seen, nseen);
	if (!found) {
		printf("no XPU device found\n");
		return 1;
	}
	return 0;
}
