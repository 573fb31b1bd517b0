# SPDX-License-Identifier: MIT
"""Ownership of libxpu handles.

Design: every wrapper object owns exactly one C handle and releases it once
(close(), `with`, or garbage collection). A child (buffer, stream, module,
graph...) keeps its device alive by reference, and the device keeps weak
references to its children so that Device.close() first releases whatever
is still open -- streams first (destroying one waits for its work), then the
rest newest first -- and never frees the device under a live handle: it
also counts its open children, and if some cannot be reached any more (the
garbage collector finalizes a reference cycle in any order, and clears weak
references first), the device's own release waits for the last of them. A
closed object raises InvalidArgumentError naming itself instead of passing
a dangling pointer to C.
"""

import ctypes
import os
import threading
import weakref

from . import _lib
from .errors import bad_argument, check


class Handle:
    _kind = "object"
    _close_rank = 1          # lower closes earlier when the device closes

    def __init__(self, handle, owner=None):
        self._h = handle
        self._owner = owner
        self._children = {}
        self._lock = threading.Lock()
        self._seq = 0
        self._live = 0               # open children
        self._closing = False        # close() called; released when _live is 0
        if owner is not None:
            owner._adopt(self)

    def _adopt(self, child):
        with self._lock:
            self._seq += 1
            self._children[self._seq] = weakref.ref(child)
            self._live += 1
            child._child_key = self._seq

    def _forget(self, child):
        with self._lock:
            self._children.pop(getattr(child, "_child_key", None), None)
            self._live -= 1
            last = self._closing and self._live == 0
        if last:
            self._finish()

    @property
    def handle(self):
        """The C handle (an int); raises if closed."""
        if not self._h or self._closing:
            raise bad_argument("this xpu %s is closed" % self._kind)
        return self._h

    @property
    def closed(self):
        return not self._h or self._closing

    def _release(self, h):
        raise NotImplementedError

    def close(self):
        """Release the handle (and any children still open). Idempotent."""
        if not self._h or self._closing:
            return
        self._closing = True
        with self._lock:
            kids = [(k, r()) for k, r in self._children.items()]
        kids = [(c._close_rank, -k, c) for k, c in kids if c is not None]
        kids.sort(key=lambda t: (t[0], t[1]))
        for _, _, c in kids:
            c.close()
        with self._lock:
            ready = self._live == 0
        if ready:
            self._finish()

    def _finish(self):
        h, self._h = self._h, None
        if not h:
            return
        try:
            self._release(h)
        finally:
            if self._owner is not None:
                self._owner._forget(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            if self._h:
                self.close()
        except Exception:
            pass



class Image(Handle):
    """A module or graph image loaded on a device from a path (str or
    os.PathLike) or from bytes-like data. A subclass names its two loaders
    in _loaders: (load_file(dev, path, &h), load(dev, data, size, &h))."""
    _loaders = None

    def __init__(self, device, image_or_path):
        load_file, load = (getattr(_lib.LIB, f) for f in self._loaders)
        h = _lib.H()
        if isinstance(image_or_path, (str, os.PathLike)):
            check(load_file(device.handle, _lib.cstr(os.fspath(image_or_path)), ctypes.byref(h)))
        else:
            data = bytes(image_or_path)
            check(load(device.handle, data, len(data), ctypes.byref(h)))
        super().__init__(h.value, device)
        self.device = device
