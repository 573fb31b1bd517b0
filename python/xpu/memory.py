# SPDX-License-Identifier: MIT
"""Buffers: device (or device-reachable host) memory, filled from and read
into numpy arrays.

Design: a Buffer owns one xpu_buffer. Host data moves with the synchronous
xpu_buffer_write/read (the asynchronous forms live on Stream). numpy data
goes through a C-contiguous view, never element by element. from_numpy
remembers the array's dtype and shape so to_numpy() without arguments gives
the same array back; explicit dtype/shape always win. Sizes and offsets are
checked here so the error names the Python arguments.
"""

import ctypes

import numpy as np

from . import _lib
from ._handle import Handle
from ._lib import LIB
from .dtypes import dtype as xdtype
from .errors import bad_argument, check

MEM_DEVICE = _lib.XPU_MEM_DEVICE
MEM_HOST = _lib.XPU_MEM_HOST
MEM_READ_ONLY = _lib.XPU_MEM_READ_ONLY


def _np_dtype(dt):
    """numpy dtype of an XPU dtype name/value, or of a numpy dtype."""
    try:
        return xdtype(dt).numpy
    except Exception:
        pass
    try:
        return np.dtype(dt)
    except TypeError:
        raise bad_argument("not an XPU or numpy data type: %r" % (dt,)) from None


def _as_bytes_view(data):
    """(ctypes pointer, nbytes, keepalive) of bytes-like or array data."""
    if isinstance(data, np.ndarray):
        a = np.ascontiguousarray(data)
        return a.ctypes.data_as(ctypes.c_void_p), a.nbytes, a
    mv = memoryview(data).cast("B")
    a = np.frombuffer(mv, dtype=np.uint8) if mv.nbytes else np.empty(0, np.uint8)
    return a.ctypes.data_as(ctypes.c_void_p), a.nbytes, a


class Buffer(Handle):
    _kind = "buffer"
    _close_rank = 5

    def __init__(self, device, nbytes, flags=0):
        if not isinstance(nbytes, (int, np.integer)) or nbytes <= 0:
            raise bad_argument("buffer size must be a positive int, not %r" % (nbytes,))
        h = _lib.H()
        check(LIB.xpu_buffer_alloc(device.handle, int(nbytes), int(flags), ctypes.byref(h)))
        super().__init__(h.value, device)
        self.device = device
        self.nbytes = int(nbytes)
        self.dtype = None
        self.shape = None

    @classmethod
    def from_numpy(cls, device, array, flags=0):
        a = np.ascontiguousarray(array)
        if a.nbytes == 0:
            raise bad_argument("cannot make a buffer of an empty array")
        buf = cls(device, a.nbytes, flags)
        try:
            buf.write(a)
        except Exception:
            buf.close()
            raise
        buf.dtype, buf.shape = a.dtype, a.shape
        return buf

    def _release(self, h):
        check(LIB.xpu_buffer_free(h))

    def __repr__(self):
        return "<xpu.Buffer %d bytes%s>" % (self.nbytes, " closed" if self.closed else "")

    def __len__(self):
        return self.nbytes

    def info(self):
        i = _lib.BufferInfo()
        check(LIB.xpu_buffer_get_info(self.handle, ctypes.byref(i)))
        return {"size": i.size, "va": i.va, "flags": i.flags}

    @property
    def va(self):
        return self.info()["va"]

    def _range(self, offset, size, what):
        if offset < 0 or size < 0 or offset + size > self.nbytes:
            raise bad_argument("%s of %d bytes at offset %d does not fit the %d-byte buffer"
                               % (what, size, offset, self.nbytes))

    def write(self, data, offset=0):
        """Copy bytes-like or array data into the buffer at offset (synchronous)."""
        ptr, n, keep = _as_bytes_view(data)
        self._range(offset, n, "write")
        check(LIB.xpu_buffer_write(self.handle, offset, ptr, n))
        del keep

    def read(self, nbytes=None, offset=0):
        """nbytes (default: the rest of the buffer) from offset, as bytes."""
        if nbytes is None:
            nbytes = self.nbytes - offset
        out = np.empty(nbytes, np.uint8)
        self.read_into(out, offset)
        return out.tobytes()

    def read_into(self, array, offset=0):
        """Fill a writable C-contiguous array from the buffer at offset."""
        if not isinstance(array, np.ndarray) or not array.flags.c_contiguous \
                or not array.flags.writeable:
            raise bad_argument("read_into needs a writable C-contiguous numpy array")
        self._range(offset, array.nbytes, "read")
        check(LIB.xpu_buffer_read(self.handle, offset, array.ctypes.data_as(ctypes.c_void_p),
                                  array.nbytes))
        return array

    def to_numpy(self, dtype=None, shape=None, offset=0):
        """The buffer's contents as a new array of dtype (an XPU dtype name or
        numpy dtype; bfloat16 -> uint16) and shape; by default the dtype and
        shape the buffer was made from (else uint8, whole buffer)."""
        npt = _np_dtype(dtype) if dtype is not None else (self.dtype or np.dtype(np.uint8))
        if shape is None:
            if dtype is None and self.shape is not None:
                shape = self.shape
            else:
                shape = ((self.nbytes - offset) // npt.itemsize,)
        elif isinstance(shape, int):
            shape = (shape,)
        out = np.empty(shape, npt)
        return self.read_into(out, offset)

    def copy_from(self, src, size=None, dst_offset=0, src_offset=0):
        """Device copy from another buffer (synchronous)."""
        if size is None:
            size = min(self.nbytes - dst_offset, src.nbytes - src_offset)
        self._range(dst_offset, size, "copy")
        src._range(src_offset, size, "copy")
        check(LIB.xpu_buffer_copy(self.handle, dst_offset, src.handle, src_offset, size))
