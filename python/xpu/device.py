# SPDX-License-Identifier: MIT
"""Devices: enumerate, open (DRM or the in-process host backend), properties,
usage counters, the processes using it, and the factories of everything that lives on a device.

Design: Device owns one xpu_device. Properties are read once with
xpu_device_query_props() (the sized call) into a frozen dataclass; usage is
read on demand. Host-backend devices are opened with a sized
struct xpu_host_config (XPU_HOST_SIZED in flags, size = sizeof), so libxpu
reads every field this package knows.
"""

import ctypes
import dataclasses
import threading

from . import _lib
from ._handle import Handle
from ._lib import LIB
from .errors import bad_argument, check

BACKENDS = {0: "drm", 1: "host"}


class _Record:
    """A dataclass of values read from libxpu; as_dict() for JSON and printing."""

    def as_dict(self):
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class DeviceProps(_Record):
    node: str
    pci_address: str
    backend: str
    uapi_version: int
    hw_version: int
    isa_version: int
    vendor_id: int
    device_id: int
    caps: int
    dtypes: int
    array_rows: int
    array_cols: int
    hbm_size: int
    max_buffer_size: int
    num_queues: int
    num_contexts: int
    clock_mhz: int
    hbm_gbps: int
    spad_size: int
    acc_size: int


@dataclasses.dataclass(frozen=True)
class ProcessUsage(_Record):
    """One process using a device (struct xpu_process_usage): its open files
    on the device, engine time and modeled cycles of its jobs, and its
    buffers' bytes in device HBM and in system memory."""
    pid: int
    name: str
    files: int
    engine_ns: int
    cycles: int
    hbm_bytes: int
    host_bytes: int


@dataclasses.dataclass(frozen=True)
class Target:
    """What the kernel compiler tiles for (struct xpu_cc_target)."""
    rows: int
    cols: int
    spad_size: int
    acc_size: int

    def _c(self):
        return _lib.CcTarget(self.rows, self.cols, self.spad_size, self.acc_size)


def device_count():
    """Number of devices (1 with XPU_BACKEND=host in the environment)."""
    n = ctypes.c_int()
    check(LIB.xpu_device_count(ctypes.byref(n)))
    return n.value


def devices():
    """Open every device."""
    return [Device(i) for i in range(device_count())]


LINK_STATES = {0: "none", 1: "down", 2: "up"}
PEER_PATHS = {0: "none", 1: "link", 2: "pcie", 3: "self"}


def _peer_handle(peer):
    if not isinstance(peer, Device):
        raise bad_argument("peer must be an xpu.Device, not %r" % (peer,))
    return peer.handle


class Device(Handle):
    """An open XPU: Device(index) or Device.host(rows=..., ...)."""

    _kind = "device"

    def __init__(self, index=0, _handle=None):
        if _handle is None:
            if not isinstance(index, int) or isinstance(index, bool):
                raise bad_argument("device index must be an int, not %r" % (index,))
            h = _lib.H()
            check(LIB.xpu_device_open(index, ctypes.byref(h)))
            _handle = h.value
        super().__init__(_handle)
        self._cprops = _lib.DeviceProps()
        self._cprops.size = ctypes.sizeof(_lib.DeviceProps)
        try:
            check(LIB.xpu_device_query_props(self._h, ctypes.byref(self._cprops)))
        except Exception:
            self.close()
            raise
        p = self._cprops
        self.props = DeviceProps(
            node=p.node.decode(), pci_address=p.pci_address.decode(),
            backend=BACKENDS.get(p.backend, str(p.backend)),
            uapi_version=p.uapi_version, hw_version=p.hw_version,
            isa_version=p.isa_version, vendor_id=p.vendor_id, device_id=p.device_id,
            caps=p.caps, dtypes=p.dtypes, array_rows=p.array_rows,
            array_cols=p.array_cols, hbm_size=p.hbm_size,
            max_buffer_size=p.max_buffer_size, num_queues=p.num_queues,
            num_contexts=p.num_contexts, clock_mhz=p.clock_mhz, hbm_gbps=p.hbm_gbps,
            spad_size=p.spad_size, acc_size=p.acc_size)
        self._default_stream = None
        self._stream_lock = threading.Lock()

    @classmethod
    def host(cls, rows=0, cols=0, spad_size=0, acc_size=0, clock_mhz=0, hbm_gbps=0,
             num_queues=0, hbm_size=0, sync=False):
        """Open an in-process host-backend device; 0 means the default."""
        cfg = _lib.HostConfig()
        for k, v in (("rows", rows), ("cols", cols), ("spad_size", spad_size),
                     ("acc_size", acc_size), ("clock_mhz", clock_mhz),
                     ("hbm_gbps", hbm_gbps), ("num_queues", num_queues),
                     ("hbm_size", hbm_size)):
            if not isinstance(v, int) or v < 0:
                raise bad_argument("host config %s must be a non-negative int, not %r" % (k, v))
            try:
                setattr(cfg, k, v)
            except (TypeError, OverflowError):
                raise bad_argument("host config %s=%r out of range" % (k, v)) from None
            if getattr(cfg, k) != v:
                raise bad_argument("host config %s=%r out of range" % (k, v))
        cfg.flags = _lib.XPU_HOST_SIZED | (_lib.XPU_HOST_SYNC if sync else 0)
        cfg.size = ctypes.sizeof(_lib.HostConfig)
        h = _lib.H()
        check(LIB.xpu_device_open_host(ctypes.byref(cfg), ctypes.byref(h)))
        return cls(_handle=h.value)

    def _release(self, h):
        check(LIB.xpu_device_close(h))

    def __repr__(self):
        state = "closed" if self.closed else self.props.node
        return "<xpu.Device %s %dx%d>" % (state, self.props.array_rows, self.props.array_cols)

    @property
    def target(self):
        t = _lib.CcTarget()
        check(LIB.xpu_cc_target_from_props(ctypes.byref(self._cprops), ctypes.byref(t)))
        return Target(t.rows, t.cols, t.spad_size, t.acc_size)

    def usage(self):
        """Utilisation counters (xpu_device_get_usage) as a dict."""
        u = _lib.DeviceUsage()
        u.size = ctypes.sizeof(u)
        check(LIB.xpu_device_get_usage(self.handle, ctypes.byref(u)))
        return {f: getattr(u, f) for f, _ in _lib.DeviceUsage._fields_
                if f not in ("size", "rsvd")}

    def processes(self):
        """The processes that have this device open (xpu_device_get_processes),
        sorted by pid: a list of ProcessUsage. Only processes whose
        /proc/PID/fd the caller may read are seen. NotSupportedError on the
        host backend (a private in-process device)."""
        n = ctypes.c_uint32()
        cap = 16
        while True:
            arr = (_lib.ProcessUsage * cap)()
            arr[0].size = ctypes.sizeof(_lib.ProcessUsage)
            check(LIB.xpu_device_get_processes(self.handle, arr, cap, ctypes.byref(n)))
            if n.value <= cap:
                break
            cap = n.value + 8     # more opened it meanwhile: read again
        return [ProcessUsage(pid=p.pid, name=p.name.decode(errors="replace"), files=p.files,
                             engine_ns=p.engine_ns, cycles=p.cycles, hbm_bytes=p.hbm_bytes,
                             host_bytes=p.host_bytes)
                for p in arr[:n.value]]

    # ---- links and peers ----------------------------------------------------
    @property
    def chip_id(self):
        """This device's chip id in the link fabric (xpu_device_get_chip_id)."""
        v = ctypes.c_uint32()
        check(LIB.xpu_device_get_chip_id(self.handle, ctypes.byref(v)))
        return v.value

    def links(self):
        """The link ports (xpu_device_get_link_info), one dict each: port,
        state ("none", "down", "up"), peer_index (-1: none), peer_chip,
        peer_port, gbps, latency_cycles and the counters bytes, transfers,
        busy_cycles, errors."""
        n = ctypes.c_uint32()
        check(LIB.xpu_device_get_link_count(self.handle, ctypes.byref(n)))
        out = []
        for p in range(n.value):
            li = _lib.LinkInfo()
            check(LIB.xpu_device_get_link_info(self.handle, p, ctypes.byref(li)))
            d = {f: getattr(li, f) for f, _ in _lib.LinkInfo._fields_ if f != "rsvd"}
            d["state"] = LINK_STATES.get(li.state, str(li.state))
            out.append(d)
        return out

    def can_access_peer(self, peer):
        """How this device's jobs reach peer's memory: "link", "pcie", "self"
        or "none" (xpu_device_can_access_peer)."""
        v = ctypes.c_int()
        check(LIB.xpu_device_can_access_peer(self.handle, _peer_handle(peer), ctypes.byref(v)))
        return PEER_PATHS.get(v.value, str(v.value))

    def enable_peer_access(self, peer):
        """Let this device's streams use peer's buffers (idempotent)."""
        check(LIB.xpu_device_enable_peer_access(self.handle, _peer_handle(peer)))

    # ---- factories -------------------------------------------------------
    def alloc(self, nbytes, flags=0):
        from .memory import Buffer
        return Buffer(self, nbytes, flags)

    def from_numpy(self, array, flags=0):
        """A new buffer holding the array's bytes (C order)."""
        from .memory import Buffer
        return Buffer.from_numpy(self, array, flags)

    def stream(self, queue=None):
        from .stream import Stream
        return Stream(self, queue)

    def event(self):
        from .stream import Event
        return Event(self)

    @property
    def default_stream(self):
        """A stream this object creates on first use (Graph.run's default)."""
        with self._stream_lock:
            if self._default_stream is None or self._default_stream.closed:
                self._default_stream = self.stream()
            return self._default_stream

    def load_module(self, image_or_path):
        """A Module from kernel binary bytes or a file path."""
        from .module import Module
        return Module(self, image_or_path)

    def load_graph(self, image_or_path):
        """A Graph from compiled model bytes (compile_onnx) or a .xpu file path."""
        from .graph import Graph
        return Graph(self, image_or_path)

    def compiler(self):
        """A kernel compiler builder for this device (xpu_cc_create_for_device)."""
        from .cc import Compiler
        return Compiler(self)
