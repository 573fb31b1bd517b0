#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A libxpu program for the profiler test (ctypes, no numpy): opens DEVICES
host-backend devices, does COPIES asynchronous buffer writes and reads on a
stream of each (each one a DMA job; xpu_buffer_write/read themselves are CPU
copies on the host backend), prints "jobs N" per device from xpu_device_get_usage, and closes
the devices unless --no-close (then libxpu writes the trace at exit).

  usage_prog.py LIBXPU DEVICES COPIES [--no-close]
"""
import ctypes
import sys


def main():
    lib = ctypes.CDLL(sys.argv[1])
    ndev, copies = int(sys.argv[2]), int(sys.argv[3])
    close = "--no-close" not in sys.argv
    lib.xpu_last_error.restype = ctypes.c_char_p
    P = ctypes.c_void_p

    def check(st, what):
        if st:
            sys.exit("%s: status %d: %s" % (what, st, lib.xpu_last_error().decode()))

    devs = []
    for _ in range(ndev):
        d = P()
        check(lib.xpu_device_open_host(None, ctypes.byref(d)), "xpu_device_open_host")
        devs.append(d)
    for d in devs:
        buf = P()
        check(lib.xpu_buffer_alloc(d, ctypes.c_size_t(1048576), 0, ctypes.byref(buf)),
              "xpu_buffer_alloc")
        data = ctypes.create_string_buffer(b"\x5a" * 1048576)
        back = ctypes.create_string_buffer(1048576)
        stream = P()
        check(lib.xpu_stream_create(d, ctypes.c_uint32(0xffffffff), ctypes.byref(stream)),
              "xpu_stream_create")
        for _ in range(copies):
            check(lib.xpu_write_async(stream, buf, ctypes.c_size_t(0), data,
                                      ctypes.c_size_t(1048576)), "xpu_write_async")
            check(lib.xpu_read_async(stream, buf, ctypes.c_size_t(0), back,
                                     ctypes.c_size_t(1048576)), "xpu_read_async")
        check(lib.xpu_stream_synchronize(stream, ctypes.c_uint64(10 ** 10)),
              "xpu_stream_synchronize")
        check(lib.xpu_stream_destroy(stream), "xpu_stream_destroy")
        if back.raw != data.raw[:1048576]:
            sys.exit("read back differs")
        check(lib.xpu_buffer_free(buf), "xpu_buffer_free")
        u = (ctypes.c_uint64 * 8)()
        ctypes.cast(u, ctypes.POINTER(ctypes.c_uint32))[0] = 64
        check(lib.xpu_device_get_usage(d, u), "xpu_device_get_usage")
        print("jobs %d" % u[1])
        sys.stdout.flush()
    if close:
        for d in devs:
            check(lib.xpu_device_close(d), "xpu_device_close")
    return 0


if __name__ == "__main__":
    sys.exit(main())
