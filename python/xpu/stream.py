# SPDX-License-Identifier: MIT
"""Streams and events: in-order device work, its completion and its modeled
device time.

Design: Stream owns one xpu_stream, Event one xpu_event. Timeouts are
seconds (float) or None for "forever". query() answers True/False (NOT_READY
is an answer, not an error); every other failure raises. read_async() keeps
the destination array alive until the stream is synchronized, since libxpu
fills it later.
"""

import ctypes

import numpy as np

from . import _lib
from ._handle import Handle
from ._lib import LIB
from .errors import Status, bad_argument, check
from .memory import _as_bytes_view


def _timeout_ns(timeout):
    if timeout is None:
        return _lib.XPU_WAIT_FOREVER
    if timeout < 0:
        raise bad_argument("timeout must be >= 0 seconds or None, not %r" % (timeout,))
    return min(int(timeout * 1e9), _lib.XPU_WAIT_FOREVER - 1)


def _done(st):
    """A query's status as an answer: True (done), False (NOT_READY); raises on errors."""
    if st == Status.NOT_READY:
        return False
    check(st)
    return True


class Stream(Handle):
    _kind = "stream"
    _close_rank = 0

    def __init__(self, device, queue=None):
        q = _lib.XPU_QUEUE_ANY if queue is None else queue
        if not isinstance(q, int) or q < 0:
            raise bad_argument("queue must be a non-negative int or None, not %r" % (queue,))
        h = _lib.H()
        check(LIB.xpu_stream_create(device.handle, q, ctypes.byref(h)))
        super().__init__(h.value, device)
        self.device = device
        self._pending = []

    def _release(self, h):
        self._pending = []
        check(LIB.xpu_stream_destroy(h))

    def __repr__(self):
        return "<xpu.Stream%s>" % (" closed" if self.closed else "")

    def synchronize(self, timeout=None):
        """Wait for the stream's work (TimeoutExpiredError after timeout s)."""
        check(LIB.xpu_stream_synchronize(self.handle, _timeout_ns(timeout)))
        self._pending = []

    def query(self):
        """True if all work is done, False if some is pending."""
        return _done(LIB.xpu_stream_query(self.handle))

    def wait_event(self, event):
        """Later work on this stream waits for event's work (device side)."""
        check(LIB.xpu_stream_wait_event(self.handle, event.handle))

    def record(self, event=None):
        """Record event (a new one if None) on this stream; returns it."""
        event = event or Event(self.device)
        event.record(self)
        return event

    def write_async(self, buf, data, offset=0):
        """Stream-ordered copy of host data into buf (data is copied at once)."""
        ptr, n, keep = _as_bytes_view(data)
        buf._range(offset, n, "write")
        check(LIB.xpu_write_async(self.handle, buf.handle, offset, ptr, n))
        del keep

    def read_async(self, buf, array, offset=0):
        """Stream-ordered copy of buf into array, filled once the stream syncs."""
        if not isinstance(array, np.ndarray) or not array.flags.c_contiguous \
                or not array.flags.writeable:
            raise bad_argument("read_async needs a writable C-contiguous numpy array")
        buf._range(offset, array.nbytes, "read")
        check(LIB.xpu_read_async(self.handle, buf.handle, offset,
                                 array.ctypes.data_as(ctypes.c_void_p), array.nbytes))
        self._pending.append(array)
        return array

    def copy_async(self, dst, src, size=None, dst_offset=0, src_offset=0):
        if size is None:
            size = min(dst.nbytes - dst_offset, src.nbytes - src_offset)
        dst._range(dst_offset, size, "copy")
        src._range(src_offset, size, "copy")
        check(LIB.xpu_copy_async(self.handle, dst.handle, dst_offset, src.handle,
                                 src_offset, size))

    def copy_peer_async(self, dst, src, size=None, dst_offset=0, src_offset=0):
        """Stream-ordered copy between buffers of two devices
        (xpu_copy_peer_async): one is this stream's device's, the other a
        peer's it enabled access to (Device.enable_peer_access)."""
        if size is None:
            size = min(dst.nbytes - dst_offset, src.nbytes - src_offset)
        check(LIB.xpu_copy_peer_async(self.handle, dst.handle, dst_offset, src.handle,
                                      src_offset, size))


class Event(Handle):
    _kind = "event"
    _close_rank = 4

    def __init__(self, device):
        h = _lib.H()
        check(LIB.xpu_event_create(device.handle, ctypes.byref(h)))
        super().__init__(h.value, device)
        self.device = device

    def _release(self, h):
        check(LIB.xpu_event_destroy(h))

    def record(self, stream):
        """Capture the stream's work so far."""
        check(LIB.xpu_event_record(self.handle, stream.handle))

    def query(self):
        """True if the captured work is done, False if not."""
        return _done(LIB.xpu_event_query(self.handle))

    def synchronize(self, timeout=None):
        check(LIB.xpu_event_synchronize(self.handle, _timeout_ns(timeout)))

    def elapsed(self, end):
        """(cycles, microseconds) of modeled device time from this event to end."""
        cyc = ctypes.c_uint64()
        us = ctypes.c_double()
        check(LIB.xpu_event_elapsed(self.handle, end.handle, ctypes.byref(cyc),
                                    ctypes.byref(us)))
        return cyc.value, us.value


def elapsed(start, end):
    """(cycles, microseconds) between two completed events of one stream."""
    return start.elapsed(end)
