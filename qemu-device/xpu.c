/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * XPU: a PCIe AI inference accelerator. This file is the PCIe glue: BAR0
 * registers, the BAR2 HBM aperture, MSI-X and reset. The hardware interface
 * is uapi/xpu_hw.h; docs/hardware.md is its prose reference.
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qapi/error.h"
#include "hw/pci/pci.h"
#include "hw/pci/pcie.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "xpu.h"
#include "trace.h"

static void xpu_update_err_irq(XpuState *s)
{
    uint32_t vec = XPU_MSIX_ERR_VEC(s->num_queues);

    if (!s->err_status) {
        return;
    }
    if (msix_enabled(PCI_DEVICE(s))) {
        trace_xpu_msix(vec);
        msix_notify(PCI_DEVICE(s), vec);
    } else {
        trace_xpu_msix_disabled(vec);
    }
}

void xpu_raise_error(XpuState *s, uint32_t cause, uint32_t queue,
                     uint32_t ctx, uint32_t access, uint64_t va)
{
    trace_xpu_error(cause, queue, ctx, access, va);
    s->err_status |= cause;
    s->err_queue = queue;
    s->err_ctx = ctx;
    s->err_access = access;
    s->err_va = va;
    xpu_update_err_irq(s);
}

static uint64_t xpu_global_read(XpuState *s, hwaddr addr)
{
    uint32_t val;

    switch (addr) {
    case XPU_REG_ID:
        return XPU_ID_MAGIC;
    case XPU_REG_VERSION:
        return (XPU_HW_VERSION_MAJOR << 16) | XPU_HW_VERSION_MINOR;
    case XPU_REG_CAPS:
        return XPU_CAP_INT8 | XPU_CAP_BF16 | XPU_CAP_MMU | XPU_CAP_VECTOR |
               XPU_CAP_ERR_INJECT | (s->num_links ? XPU_CAP_LINK : 0);
    case XPU_REG_ARRAY:
        return (s->rows << 16) | s->cols;
    case XPU_REG_HBM_SIZE_LO:
        return (uint32_t)s->hbm_size;
    case XPU_REG_HBM_SIZE_HI:
        return s->hbm_size >> 32;
    case XPU_REG_NUM_QUEUES:
        return s->num_queues;
    case XPU_REG_CLOCK_MHZ:
        return s->clock_mhz;
    case XPU_REG_SPAD_KIB:
        return s->spad_kib;
    case XPU_REG_ACC_KIB:
        return s->acc_kib;
    case XPU_REG_HBM_GBPS:
        return s->hbm_gbps;
    case XPU_REG_NUM_CTX:
        return s->num_ctx;
    case XPU_REG_STATUS:
        return XPU_STATUS_READY | (s->fatal ? XPU_STATUS_FATAL : 0);
    case XPU_REG_SCRATCH:
        return s->scratch;
    case XPU_REG_ERR_STATUS:
        return s->err_status;
    case XPU_REG_ERR_QUEUE:
        return s->err_queue;
    case XPU_REG_ERR_CTX:
        return s->err_ctx;
    case XPU_REG_ERR_ACCESS:
        return s->err_access;
    case XPU_REG_ERR_VA_LO:
        return (uint32_t)s->err_va;
    case XPU_REG_ERR_VA_HI:
        return s->err_va >> 32;
    }
    if (xpu_link_reg_read(s, addr, &val)) {
        return val;
    }
    if (addr >= XPU_REG_PERF_BASE &&
        addr < XPU_REG_PERF_BASE + XPU_PERF_COUNT * 8) {
        uint64_t v = xpu_perf_read(s, (addr - XPU_REG_PERF_BASE) / 8);

        return (addr & 4) ? v >> 32 : (uint32_t)v;
    }
    if (addr >= XPU_REG_CTX_ROOT_BASE &&
        addr < XPU_REG_CTX_ROOT(s->num_ctx)) {
        uint64_t v = s->ctx_root[(addr - XPU_REG_CTX_ROOT_BASE) / 8];

        return (addr & 4) ? v >> 32 : (uint32_t)v;
    }
    XPU_GUEST_ERR(xpu_err_reg_read, "read of unknown register 0x%"
                  HWADDR_PRIx, addr);
    return 0;
}

static void xpu_global_write(XpuState *s, hwaddr addr, uint32_t val)
{
    trace_xpu_reg_write(addr, val);
    switch (addr) {
    case XPU_REG_SCRATCH:
        s->scratch = val;
        return;
    case XPU_REG_RESET:
        if (val == XPU_RESET_MAGIC) {
            trace_xpu_device_reset("RESET register");
            xpu_reset_all(s);
        } else {
            XPU_GUEST_ERR(xpu_err_reset_magic, "RESET written with 0x%x, "
                          "not the magic", val);
        }
        return;
    case XPU_REG_ERR_STATUS:
        s->err_status &= ~val;
        return;
    case XPU_REG_MMU_INVALIDATE:
        trace_xpu_mmu_invalidate(val);
        xpu_mmu_invalidate(s, val);
        return;
    case XPU_REG_INJECT:
        if (!xpu_link_inject(s, val & 0xff, (val >> 8) & 0xff)) {
            xpu_inject(s, val & 0xff, (val >> 8) & 0xff);
        }
        return;
    }
    if (xpu_link_reg_write(s, addr, val)) {
        return;
    }
    if (addr >= XPU_REG_CTX_ROOT_BASE &&
        addr < XPU_REG_CTX_ROOT(s->num_ctx)) {
        uint32_t ctx = (addr - XPU_REG_CTX_ROOT_BASE) / 8;
        uint64_t root = s->ctx_root[ctx];

        /* one 64-bit store: workers read the root with qatomic_read() */
        root = deposit64(root, (addr & 4) ? 32 : 0, 32, val);
        qatomic_set(&s->ctx_root[ctx], root);
        if (!(addr & 4) && (val & (XPU_PAGE_SIZE - 1))) {
            XPU_GUEST_ERR(xpu_err_ctx_root, "context %u root 0x%" PRIx64
                          " not 4 KiB aligned: every access will fault",
                          ctx, root);
        }
        trace_xpu_ctx_root(ctx, root);
        return;
    }
    XPU_GUEST_ERR(xpu_err_reg_write, "write of unknown or read-only register "
                  "0x%" HWADDR_PRIx " = 0x%x", addr, val);
}

static uint64_t xpu_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    XpuState *s = opaque;

    if (addr >= XPU_REG_QUEUE_BASE &&
        addr < XPU_REG_Q(s->num_queues, 0)) {
        return xpu_queue_reg_read(s, (addr - XPU_REG_QUEUE_BASE) /
                                  XPU_QUEUE_STRIDE,
                                  addr % XPU_QUEUE_STRIDE);
    }
    return xpu_global_read(s, addr);
}

static void xpu_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                           unsigned size)
{
    XpuState *s = opaque;

    if (addr >= XPU_REG_QUEUE_BASE &&
        addr < XPU_REG_Q(s->num_queues, 0)) {
        xpu_queue_reg_write(s, (addr - XPU_REG_QUEUE_BASE) / XPU_QUEUE_STRIDE,
                            addr % XPU_QUEUE_STRIDE, val);
        return;
    }
    xpu_global_write(s, addr, val);
}

static const MemoryRegionOps xpu_mmio_ops = {
    .read = xpu_mmio_read,
    .write = xpu_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    /* All registers are 32 bit and naturally aligned. */
    .valid = { .min_access_size = 4, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

static bool xpu_check_props(XpuState *s, Error **errp)
{
    if (s->hbm_size < 16 * MiB || s->hbm_size > 64 * GiB ||
        !is_power_of_2(s->hbm_size)) {
        error_setg(errp, "xpu: hbm_size must be a power of two "
                   "between 16M and 64G");
        return false;
    }
    if (s->rows < 1 || s->rows > 1024 || s->cols < 1 || s->cols > 1024) {
        error_setg(errp, "xpu: rows and cols must be 1..1024");
        return false;
    }
    if (s->num_queues < 1 || s->num_queues > XPU_MAX_QUEUES) {
        error_setg(errp, "xpu: queues must be 1..%d", XPU_MAX_QUEUES);
        return false;
    }
    if (s->num_ctx < 1 || s->num_ctx > XPU_MAX_CTX) {
        error_setg(errp, "xpu: contexts must be 1..%d", XPU_MAX_CTX);
        return false;
    }
    if (s->clock_mhz < 1 || s->clock_mhz > 100000 ||
        s->hbm_gbps < 1 || s->hbm_gbps > 1000000) {
        error_setg(errp, "xpu: clock_mhz or hbm_gbps out of range");
        return false;
    }
    if (s->spad_kib < 4 || s->spad_kib > 256 * 1024 ||
        s->acc_kib < 4 || s->acc_kib > 256 * 1024) {
        error_setg(errp, "xpu: spad_kib and acc_kib must be 4..262144");
        return false;
    }
    return true;
}

static void xpu_realize(PCIDevice *pdev, Error **errp)
{
    XpuState *s = XPU(pdev);

    if (!xpu_check_props(s, errp)) {
        return;
    }
    memory_region_init_io(&s->mmio, OBJECT(s), &xpu_mmio_ops, s, "xpu-regs",
                          XPU_REGS_SIZE);
    pci_register_bar(pdev, XPU_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->mmio);

    memory_region_init_ram(&s->hbm, OBJECT(s), "xpu-hbm", s->hbm_size, errp);
    if (*errp) {
        return;
    }
    pci_register_bar(pdev, XPU_BAR_HBM,
                     PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_PREFETCH |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->hbm);
    s->hbm_ptr = memory_region_get_ram_ptr(&s->hbm);
    s->behind_iommu = pci_device_iommu_address_space(pdev) !=
                      &address_space_memory;
    if (!xpu_link_realize(s, errp)) {
        xpu_link_unrealize(s);
        return;
    }

    if (msix_init_exclusive_bar(pdev, s->num_queues + 1, XPU_BAR_MSIX, errp)) {
        xpu_link_unrealize(s);
        return;
    }
    for (uint32_t v = 0; v <= s->num_queues; v++) {
        msix_vector_use(pdev, v);
    }

    if (pcie_endpoint_cap_init(pdev, 0x80) < 0) {
        error_setg(errp, "xpu: cannot add the PCIe capability");
        msix_uninit_exclusive_bar(pdev);
        xpu_link_unrealize(s);
        return;
    }
    pcie_cap_flr_init(pdev);
    if (!xpu_queues_realize(s, errp)) {
        msix_uninit_exclusive_bar(pdev);
        xpu_link_unrealize(s);
    }
}

static void xpu_exit(PCIDevice *pdev)
{
    XpuState *s = XPU(pdev);

    xpu_link_detach(s);         /* peers' transfers first: queues still valid */
    xpu_queues_unrealize(s);
    msix_uninit_exclusive_bar(pdev);
    xpu_link_unrealize(s);
}

void xpu_reset_all(XpuState *s)
{
    xpu_queues_reset(s);
    xpu_link_reset(s);
    for (uint32_t i = 0; i < XPU_MAX_CTX; i++) {
        qatomic_set(&s->ctx_root[i], 0);
    }
    s->err_status = 0;
    s->err_queue = s->err_ctx = s->err_access = 0;
    s->err_va = 0;
    s->scratch = 0;
    s->fatal = false;
    xpu_mmu_invalidate(s, XPU_MMU_INV_ALL);
}

static void xpu_qdev_reset(DeviceState *dev)
{
    trace_xpu_device_reset("system reset or FLR");
    xpu_reset_all(XPU(dev));
}

static void xpu_write_config(PCIDevice *pdev, uint32_t addr, uint32_t val,
                             int len)
{
    pci_default_write_config(pdev, addr, val, len);
    pcie_cap_flr_write_config(pdev, addr, val, len);
}

static Property xpu_properties[] = {
    DEFINE_PROP_SIZE("hbm_size", XpuState, hbm_size, 256 * MiB),
    DEFINE_PROP_UINT32("rows", XpuState, rows, 128),
    DEFINE_PROP_UINT32("cols", XpuState, cols, 128),
    DEFINE_PROP_UINT32("queues", XpuState, num_queues, 4),
    DEFINE_PROP_UINT32("contexts", XpuState, num_ctx, XPU_MAX_CTX),
    DEFINE_PROP_UINT32("clock_mhz", XpuState, clock_mhz, 1000),
    DEFINE_PROP_UINT32("hbm_gbps", XpuState, hbm_gbps, 1600),
    DEFINE_PROP_UINT32("spad_kib", XpuState, spad_kib, 4096),
    DEFINE_PROP_UINT32("acc_kib", XpuState, acc_kib, 1024),
    /* links (1.1): chip-id default automatic (realize order) */
    DEFINE_PROP_UINT32("chip-id", XpuState, chip_id, UINT32_MAX),
    DEFINE_PROP_STRING("links", XpuState, links),
    DEFINE_PROP_UINT32("ports", XpuState, num_links, UINT32_MAX),
    DEFINE_PROP_UINT32("link-gbps", XpuState, link_gbps, 100),
    DEFINE_PROP_UINT32("link-latency", XpuState, link_latency, 1000),
    DEFINE_PROP_END_OF_LIST(),
};

static const VMStateDescription vmstate_xpu = {
    .name = "xpu",
    .unmigratable = 1,
};

static void xpu_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = xpu_realize;
    k->exit = xpu_exit;
    k->config_write = xpu_write_config;
    k->vendor_id = XPU_PCI_VENDOR_ID;
    k->device_id = XPU_PCI_DEVICE_ID;
    k->revision = XPU_PCI_REVISION;
    k->class_id = XPU_PCI_CLASS;
    dc->desc = "XPU AI inference accelerator";
    dc->reset = xpu_qdev_reset;
    dc->vmsd = &vmstate_xpu;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    device_class_set_props(dc, xpu_properties);
}

static const TypeInfo xpu_info = {
    .name = TYPE_XPU,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(XpuState),
    .class_init = xpu_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { },
    },
};

static void xpu_register_types(void)
{
    type_register_static(&xpu_info);
}

type_init(xpu_register_types)
