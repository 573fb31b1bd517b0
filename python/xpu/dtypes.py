# SPDX-License-Identifier: MIT
"""Data types: the library's one table (uapi/xpu_dtype.h) seen from numpy.

Design: the XPU_DT_* values, names and sizes are read from libxpu
(xpu_dtype_name / xpu_dtype_size) at import, not repeated here; only the
numpy storage type of each name is local. bfloat16 has no numpy type: its
raw 16-bit patterns travel as uint16 (to_bf16 / from_bf16 convert, with
round-to-nearest-even as the device does). A table entry without a numpy
mapping, or whose size disagrees with numpy's, fails the import loudly.
"""

import numpy as np

from ._lib import LIB, cstr
from .errors import bad_argument

_NUMPY = {"int8": np.int8, "int32": np.int32, "float32": np.float32,
          "bfloat16": np.uint16, "int64": np.int64, "uint8": np.uint8, "bool": np.bool_}


class DType:
    """One XPU element type: .value (XPU_DT_*), .name, .size, .numpy."""

    __slots__ = ("value", "name", "size", "numpy")

    def __init__(self, value, name, size, npt):
        self.value, self.name, self.size, self.numpy = value, name, size, np.dtype(npt)

    def __repr__(self):
        return "xpu.dtype(%r)" % self.name

    def __eq__(self, other):
        try:
            return dtype(other).value == self.value
        except Exception:
            return NotImplemented

    def __hash__(self):
        return hash(self.value)

    def __int__(self):
        return self.value


def _table():
    out = {}
    v = 1
    while True:
        name = LIB.xpu_dtype_name(v)
        if not name:
            break
        name = name.decode()
        size = LIB.xpu_dtype_size(v)
        if name not in _NUMPY:
            raise ImportError("xpu: libxpu's dtype %r (%d) has no numpy mapping" % (name, v))
        if np.dtype(_NUMPY[name]).itemsize != size:
            raise ImportError("xpu: dtype %r is %d bytes in libxpu, %d in numpy"
                              % (name, size, np.dtype(_NUMPY[name]).itemsize))
        out[v] = DType(v, name, size, _NUMPY[name])
        v += 1
    return out


DTYPES = _table()                       # value -> DType
_BY_NUMPY = {}
for _d in DTYPES.values():
    _BY_NUMPY.setdefault(_d.numpy, _d)  # uint16 -> bfloat16 (the only 16-bit type)


def dtype(x):
    """The DType of a DType, XPU_DT_* value, name ("bf16", "float32") or numpy dtype."""
    if isinstance(x, DType):
        return x
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        if int(x) in DTYPES:
            return DTYPES[int(x)]
        raise bad_argument("no XPU data type has the value %d" % int(x))
    if isinstance(x, str):
        v = LIB.xpu_dtype_from_name(cstr(x))
        if v in DTYPES:
            return DTYPES[v]
    try:
        npt = np.dtype(x)
    except TypeError:
        npt = None
    if npt is not None and npt in _BY_NUMPY:
        return _BY_NUMPY[npt]
    raise bad_argument("not an XPU data type: %r (known: %s)"
                       % (x, ", ".join(d.name for d in DTYPES.values())))


def to_bf16(a):
    """float32 array -> bf16 bit patterns (uint16), round to nearest even."""
    a = np.asarray(a, dtype=np.float32, order="C")
    flat = a.reshape(-1)
    u = flat.view(np.uint32).astype(np.uint64)
    nan = np.isnan(flat)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    r[nan] = ((u[nan] >> 16) | 0x40).astype(np.uint16)   # quiet NaN
    return r.reshape(a.shape)


def from_bf16(a):
    """bf16 bit patterns (uint16) -> float32 (exact)."""
    a = np.asarray(a, dtype=np.uint16, order="C")
    return (a.astype(np.uint32) << 16).view(np.float32)
