# SPDX-License-Identifier: MIT
"""Tests of the xpu Python package on the host backend (XPU_BACKEND=host) or,
with XPU_TEST_BACKEND=drm, on device 0 through the driver (in the VM:
tools/guest/xpu-python-test.sh); Device.host tests run in both.

Plain unittest (tests/python/tap.py prints TAP for make check). Results are
checked against numpy (exactly where the device is exact: int8 matmul,
int32 elementwise) and, for whole models, against libxpu's CPU reference bit
for bit. Errors must arrive as XpuError subclasses with the status and the
library's detail.
"""

import gc
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
import unittest

import numpy as np

ON_DRM = os.environ.get("XPU_TEST_BACKEND") == "drm"
if not ON_DRM:
    os.environ.setdefault("XPU_BACKEND", "host")    # before libxpu counts devices
import xpu  # noqa: E402

try:
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError:
    onnx = None

RNG = np.random.default_rng(20261201)


def tiny_model():
    """x[N,8] -> Relu(x @ W + b) -> Softmax: MatMul, Add, Relu, Softmax."""
    W = RNG.standard_normal((8, 5)).astype(np.float32)
    b = RNG.standard_normal(5).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["h"]),
         helper.make_node("Add", ["h", "b"], ["h2"]),
         helper.make_node("Relu", ["h2"], ["h3"]),
         helper.make_node("Softmax", ["h3"], ["y"], axis=-1)],
        "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 5])],
        [numpy_helper.from_array(W, "W"), numpy_helper.from_array(b, "b")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), W, b


class Base(unittest.TestCase):
    def setUp(self):
        # a small array so that the shapes below span several tiles; on the
        # driver: the VM's device 0
        self.dev = xpu.Device(0) if ON_DRM else xpu.Device.host(rows=16, cols=16, num_queues=2)

    def tearDown(self):
        self.dev.close()


class TestDevice(Base):
    def test_host_config_reaches_the_device(self):
        # fields after flags (hbm_size) are read only with XPU_HOST_SIZED
        with xpu.Device.host(rows=32, cols=8, num_queues=3, clock_mhz=1250,
                             hbm_size=64 << 20) as d:
            p = d.props
            self.assertEqual((p.array_rows, p.array_cols, p.num_queues, p.clock_mhz,
                              p.hbm_size), (32, 8, 3, 1250, 64 << 20))
            self.assertEqual(d.target, xpu.Target(32, 8, p.spad_size, p.acc_size))
            self.assertIn("hbm_size", p.as_dict())

    def test_bad_host_config(self):
        with self.assertRaises(xpu.InvalidArgumentError) as cm:
            xpu.Device.host(rows=-1)
        self.assertIn("rows", cm.exception.detail)

    def test_usage_counts_jobs(self):
        u0 = self.dev.usage()
        mod = xpu.cc.unary(self.dev, "relu", "float32", 1000)
        x = self.dev.from_numpy(np.ones(1000, np.float32))
        y = self.dev.alloc(4000)
        mod["relu"](x, y)
        u1 = self.dev.usage()
        self.assertGreater(u1["jobs"], u0["jobs"])
        self.assertGreater(u1["cycles"], u0["cycles"])


# Tests of one backend are defined (so collected) only where they apply:
# the summary of either run has no skips.
if not ON_DRM:
    class TestHostBackend(Base):
        """The host backend (XPU_BACKEND=host) only."""

        def test_count_and_default_device(self):
            self.assertEqual(os.environ.get("XPU_BACKEND"), "host")
            self.assertEqual(xpu.device_count(), 1)
            with xpu.Device(0) as d:
                self.assertEqual(d.props.backend, "host")
                self.assertEqual(d.props.node, "host")
            self.assertTrue(d.closed)

        def test_processes_not_supported(self):
            with self.assertRaises(xpu.NotSupportedError) as cm:
                self.dev.processes()
            self.assertEqual(cm.exception.status, xpu.Status.NOT_SUPPORTED)
            self.assertIn("host backend", cm.exception.detail)

if ON_DRM:
    class TestDriver(Base):
        """Through the driver only (XPU_TEST_BACKEND=drm: the VM)."""

        def test_count_and_devices_on_the_driver(self):
            self.assertNotEqual(os.environ.get("XPU_BACKEND"), "host")
            n = xpu.device_count()
            want = os.environ.get("XPU_EXPECT_DEVICES")
            if want:
                self.assertEqual(n, int(want))
            self.assertGreaterEqual(n, 1)
            nodes = []
            for d in xpu.devices():
                with d:
                    self.assertEqual(d.props.backend, "drm")
                    self.assertTrue(d.props.pci_address)
                    nodes.append(d.props.node)
            self.assertEqual(len(nodes), n)
            self.assertTrue(all(x.startswith("/dev/accel/accel") for x in nodes), nodes)
            self.assertEqual(len(set(nodes)), n)

        def test_processes_through_the_driver(self):
            # this process has the device open, a 1 MiB buffer, a job run
            mod = xpu.cc.unary(self.dev, "relu", "float32", 1000)
            big = self.dev.alloc(1 << 20)
            x = self.dev.from_numpy(np.ones(1000, np.float32))
            y = self.dev.alloc(4000)
            mod["relu"](x, y)
            procs = self.dev.processes()
            self.assertEqual([p.pid for p in procs], sorted(p.pid for p in procs))
            me = [p for p in procs if p.pid == os.getpid()]
            self.assertEqual(len(me), 1, procs)
            me = me[0]
            with open("/proc/self/comm") as f:
                self.assertEqual(me.name, f.read().strip())
            self.assertGreaterEqual(me.files, 1)
            self.assertGreaterEqual(me.hbm_bytes, 1 << 20)
            self.assertGreater(me.cycles, 0)
            self.assertEqual(set(me.as_dict()), {"pid", "name", "files", "engine_ns",
                                                 "cycles", "hbm_bytes", "host_bytes"})
            self.assertEqual(big.nbytes, 1 << 20)


class TestDtypes(unittest.TestCase):
    def test_table(self):
        want = {"int8": (1, np.int8), "int32": (4, np.int32), "float32": (4, np.float32),
                "bfloat16": (2, np.uint16), "int64": (8, np.int64), "uint8": (1, np.uint8),
                "bool": (1, np.bool_)}
        got = {d.name: (d.size, d.numpy.type) for d in xpu.DTYPES.values()}
        self.assertEqual(got, want)
        self.assertEqual(xpu.dtype("bf16").name, "bfloat16")
        self.assertEqual(xpu.dtype(np.float32).value, 3)
        with self.assertRaises(xpu.InvalidArgumentError):
            xpu.dtype("float64")

    def test_bf16_rounding(self):
        # ties go to even; bf16 keeps 7 fraction bits
        x = np.array([1.0, 1 + 2**-8, 1 + 3 * 2**-8, -2.5, 1 + 2**-7], np.float32)
        self.assertEqual(xpu.from_bf16(xpu.to_bf16(x)).tolist(),
                         [1.0, 1.0, 1 + 2**-6, -2.5, 1 + 2**-7])
        self.assertEqual(xpu.to_bf16(np.float32(1.0)).tolist(), 0x3F80)


class TestBuffer(Base):
    def test_numpy_round_trip(self):
        a = RNG.standard_normal((7, 9)).astype(np.float32)
        with self.dev.from_numpy(a) as buf:
            self.assertGreaterEqual(buf.info()["size"], a.nbytes)
            np.testing.assert_array_equal(buf.to_numpy(), a)
            np.testing.assert_array_equal(buf.to_numpy("float32", (63,)), a.ravel())
            buf.write(np.arange(3, dtype=np.float32), offset=8)
            self.assertEqual(buf.to_numpy("float32", 5).tolist()[2:5], [0.0, 1.0, 2.0])
            self.assertEqual(buf.read(4, offset=12), np.float32(1).tobytes())

    def test_out_of_range_and_closed(self):
        buf = self.dev.alloc(64)
        with self.assertRaises(xpu.InvalidArgumentError) as cm:
            buf.write(bytes(65))
        self.assertEqual(cm.exception.status, xpu.Status.INVALID_ARGUMENT)
        self.assertIn("64-byte buffer", cm.exception.detail)
        with self.assertRaises(xpu.InvalidArgumentError):
            buf.to_numpy("float32", (17,))
        with self.assertRaises(xpu.InvalidArgumentError):
            buf.to_numpy("no-such-type")
        self.assertEqual(buf.to_numpy(np.float64, (8,)).shape, (8,))   # any numpy type
        self.dev.close()
        self.assertTrue(buf.closed)
        with self.assertRaises(xpu.InvalidArgumentError):
            buf.read()

    def test_copy(self):
        a = self.dev.from_numpy(np.arange(100, dtype=np.int32))
        b = self.dev.alloc(400)
        b.copy_from(a)
        np.testing.assert_array_equal(b.to_numpy("int32"), np.arange(100))


class TestCompile(Base):
    def test_matmul_int8_vs_numpy(self):
        m, k, n = 37, 70, 45        # not multiples of the 16x16 array
        A = RNG.integers(-128, 128, (m, k), dtype=np.int8)
        B = RNG.integers(-128, 128, (k, n), dtype=np.int8)
        mod = xpu.cc.matmul(self.dev, m, k, n)
        kern = mod["matmul"]
        self.assertEqual([a for a, _ in kern.args], ["a", "b", "c"])
        c = self.dev.alloc(m * n * 4)
        kern(self.dev.from_numpy(A), self.dev.from_numpy(B), c)
        np.testing.assert_array_equal(c.to_numpy("int32", (m, n)),
                                      A.astype(np.int32) @ B.astype(np.int32))

    def test_matmul_bf16_bias_relu(self):
        m, k, n = 9, 33, 20
        A = xpu.to_bf16(RNG.standard_normal((m, k)))
        B = xpu.to_bf16(RNG.standard_normal((k, n)))
        bias = RNG.standard_normal(n).astype(np.float32)
        mod = xpu.cc.matmul(self.dev, m, k, n, in_type="bf16", bias=True, act="relu")
        c = self.dev.alloc(m * n * 4)
        mod["matmul"](self.dev.from_numpy(A), self.dev.from_numpy(B), c,
                      self.dev.from_numpy(bias))
        want = np.maximum(xpu.from_bf16(A).astype(np.float64) @ xpu.from_bf16(B) + bias, 0)
        np.testing.assert_allclose(c.to_numpy("float32", (m, n)), want, rtol=1e-5, atol=1e-5)

    def test_elementwise_softmax_layernorm(self):
        cc = self.dev.compiler()
        cc.binary("add", "add", "int32", 300)
        cc.unary("neg", "neg", "float32", 300)
        cc.softmax("softmax", 6, 50)
        cc.layernorm("ln", 6, 50, 1e-5)
        mod = cc.load(self.dev)
        cc.close()
        self.assertEqual(sorted(mod.kernel_names), ["add", "ln", "neg", "softmax"])
        a = RNG.integers(-1000, 1000, 300).astype(np.int32)
        b = RNG.integers(-1000, 1000, 300).astype(np.int32)
        out = self.dev.alloc(1200)
        mod["add"](self.dev.from_numpy(a), self.dev.from_numpy(b), out)
        np.testing.assert_array_equal(out.to_numpy("int32"), a + b)
        x = RNG.standard_normal((6, 50)).astype(np.float32)
        xb = self.dev.from_numpy(x)
        mod["neg"](xb, out)
        np.testing.assert_array_equal(out.to_numpy("float32", (6, 50)), -x)
        mod["softmax"](xb, out)
        e = np.exp(x - x.max(1, keepdims=True))
        np.testing.assert_allclose(out.to_numpy("float32", (6, 50)),
                                   e / e.sum(1, keepdims=True), rtol=1e-4, atol=1e-7)
        g = RNG.standard_normal(50).astype(np.float32)
        be = RNG.standard_normal(50).astype(np.float32)
        mod["ln"](xb, self.dev.from_numpy(g), self.dev.from_numpy(be), out)
        mu, var = x.mean(1, keepdims=True), x.var(1, keepdims=True)
        np.testing.assert_allclose(out.to_numpy("float32", (6, 50)),
                                   (x - mu) / np.sqrt(var + 1e-5) * g + be,
                                   rtol=1e-4, atol=1e-4)

    def test_estimate(self):
        with self.dev.compiler() as cc:
            cc.matmul("mm", 32, 32, 32)
            est = cc.estimate("mm")
            self.assertEqual(est["macs"], 32 * 32 * 32)
            with self.assertRaises(xpu.NotFoundError):
                cc.estimate("nope")


class TestStreamsEvents(Base):
    def test_events_elapsed(self):
        mod = xpu.cc.matmul(self.dev, 64, 64, 64)
        a = self.dev.from_numpy(np.ones((64, 64), np.int8))
        c = self.dev.alloc(64 * 64 * 4)
        s = self.dev.stream()
        start = s.record()
        mod["matmul"].launch(a, a, c, stream=s)
        end = self.dev.event()
        end.record(s)
        end.synchronize(timeout=60)
        self.assertTrue(end.query())
        self.assertTrue(s.query())
        cycles, us = xpu.elapsed(start, end)
        self.assertGreater(cycles, 0)
        self.assertAlmostEqual(us, cycles / self.dev.props.clock_mhz, places=6)
        np.testing.assert_array_equal(c.to_numpy("int32", (64, 64)), np.full((64, 64), 64))

    def test_async_copies(self):
        s = self.dev.stream(queue=1)
        buf = self.dev.alloc(1 << 17)       # > 64 KiB: DMA jobs
        data = RNG.integers(0, 255, 1 << 17, dtype=np.uint8)
        s.write_async(buf, data)
        out = np.zeros_like(data)
        s.read_async(buf, out)
        s.synchronize()
        np.testing.assert_array_equal(out, data)

    def test_bad_queue(self):
        with self.assertRaises(xpu.XpuError) as cm:
            self.dev.stream(queue=99)
        self.assertEqual(cm.exception.status, xpu.Status.INVALID_ARGUMENT)
        self.assertNotEqual(cm.exception.detail, "")


class TestErrors(Base):
    def test_every_status_maps_to_an_exception(self):
        from xpu.errors import error
        for st in xpu.Status:
            if st == xpu.Status.SUCCESS:
                continue
            e = error(int(st), "what happened")
            self.assertIsInstance(e, xpu.XpuError)
            self.assertEqual((e.status, e.detail), (st, "what happened"))
            self.assertEqual(str(e), "XPU_ERROR_%s (%d): what happened" % (st.name, st))
            self.assertEqual(e.status_string, "XPU_ERROR_" + st.name)
        self.assertIsInstance(error(11, ""), LookupError)
        self.assertIsInstance(error(5, ""), MemoryError)
        self.assertEqual(error(99, "x").status, 99)

    def test_missing_file_is_not_found(self):
        path = os.path.join(tempfile.gettempdir(), "no-such-dir-xpu", "k.xpu")
        for load in (self.dev.load_module, self.dev.load_graph):
            with self.assertRaises(xpu.NotFoundError) as cm:
                load(path)
            e = cm.exception
            self.assertIsInstance(e, xpu.XpuError)
            self.assertEqual(e.status, xpu.Status.NOT_FOUND)
            self.assertEqual((e.status.name, int(e.status)), ("NOT_FOUND", 11))
            self.assertEqual(e.status_string, "XPU_ERROR_NOT_FOUND")
            self.assertIn(path, e.detail)
        with self.assertRaises(xpu.NotFoundError):
            xpu.compile_onnx(path, self.dev)

    def test_library_error_has_detail(self):
        # int32 is not a matmul input type: libxpu rejects it, with a message
        with self.assertRaises(xpu.NotSupportedError) as cm:
            xpu.cc.matmul(self.dev, 4, 4, 4, in_type="int32")
        self.assertEqual(cm.exception.status, xpu.Status.NOT_SUPPORTED)
        self.assertIn("int32", cm.exception.detail)
        self.assertIn(cm.exception.detail, str(cm.exception))

    def test_invalid_binary(self):
        with self.assertRaises(xpu.InvalidBinaryError) as cm:
            self.dev.load_module(b"\x7fELF this is not a kernel binary")
        self.assertEqual(cm.exception.status, xpu.Status.INVALID_BINARY)
        self.assertTrue(cm.exception.detail)

    def test_kernel_arguments_checked(self):
        kern = xpu.cc.unary(self.dev, "relu", "float32", 16)["relu"]
        buf = self.dev.alloc(64)
        with self.assertRaises(xpu.InvalidArgumentError) as cm:
            kern.launch(buf)
        self.assertIn("takes 2 arguments", cm.exception.detail)
        with self.assertRaises(xpu.InvalidArgumentError) as cm:
            kern.set_arg(0, 3)
        self.assertIn("is a buffer", cm.exception.detail)
        with self.assertRaises(xpu.NotFoundError):
            kern.set_arg("nope", buf)
        with self.assertRaises(xpu.NotFoundError):
            kern.module.kernel("nope")


class TestLifetime(unittest.TestCase):
    def test_dropped_objects_release_device_memory(self):
        # 16 MiB of HBM, 64 x 1 MiB buffers dropped at once: leaks would OOM
        with xpu.Device.host(rows=16, cols=16, hbm_size=16 << 20) as d:
            for i in range(64):
                b = d.alloc(1 << 20)
                b.write(np.full(16, i, np.uint8))
                del b
            bufs = [d.alloc(1 << 20) for _ in range(8)]
            with self.assertRaises(xpu.OutOfMemoryError) as cm:
                d.alloc(64 << 20)
            self.assertEqual(cm.exception.status, xpu.Status.OUT_OF_MEMORY)
            del bufs
            gc.collect()

    def _python(self, code, **env):
        e = dict(os.environ)
        e.update(env)
        return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=e,
                              capture_output=True, text=True, timeout=300)

    def test_exit_with_open_handles_in_a_cycle(self):
        # device <-> default stream is a reference cycle; at exit the
        # collector finalizes it in any order: children must go first
        r = self._python("""
            import numpy as np, xpu
            d = xpu.Device(0)
            k = xpu.cc.unary(d, "relu", "float32", 64)["relu"]
            a = d.from_numpy(np.ones(64, np.float32)); b = d.alloc(256)
            k(a, b)
            d.stream().record()
            print(b.to_numpy("float32").sum())
            """)
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "64.0"), r.stderr)

    def test_library_lookup(self):
        lib = xpu.library_path
        build = os.environ.get("XPU_BUILD")
        if build:
            env = {k: v for k, v in os.environ.items() if k != "XPU_LIB"}
            r = subprocess.run([sys.executable, "-c", "import xpu; print(xpu.library_path)"],
                               env=env, capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(os.path.realpath(r.stdout.strip()),
                             os.path.realpath(os.path.join(build, "lib", "libxpu.so.0")))
        missing = os.path.join(os.path.dirname(lib), "no-libxpu.so")
        r = self._python("import xpu", XPU_LIB=missing)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ImportError", r.stderr)
        self.assertIn(missing, r.stderr)


@unittest.skipIf(onnx is None, "python3-onnx is not installed")
class TestOnnx(Base):
    def test_graph_run_equals_reference(self):
        model, W, b = tiny_model()
        image = xpu.compile_onnx(model, self.dev, dims={"N": 3})
        g = self.dev.load_graph(image)
        self.assertEqual([(s.name, s.dtype, s.shape) for s in g.inputs],
                         [("x", "float32", (3, 8))])
        self.assertEqual([(s.name, s.dtype, s.shape) for s in g.outputs],
                         [("y", "float32", (3, 5))])
        for _ in range(2):
            x = RNG.standard_normal((3, 8)).astype(np.float32)
            out = g.run({"x": x})
            ref = xpu.reference_onnx(model.SerializeToString(), {"x": x}, self.dev.target,
                                     dims={"N": 3})
            self.assertEqual(out["y"].tobytes(), ref["y"].tobytes())
            # and close to the fp32 math (bf16 matmul inputs)
            h = np.maximum(x @ W + b, 0)
            e = np.exp(h - h.max(1, keepdims=True))
            np.testing.assert_allclose(out["y"], e / e.sum(1, keepdims=True), atol=0.02)

    def test_one_graph_per_thread(self):
        # the documented model: graphs (and streams) per thread, one device
        model, _, _ = tiny_model()
        image = xpu.compile_onnx(model, self.dev, dims={"N": 4})
        xs = [RNG.standard_normal((4, 8)).astype(np.float32) for _ in range(4)]
        refs = [xpu.reference_onnx(model, {"x": x}, self.dev, dims={"N": 4})["y"] for x in xs]
        results, errors = {}, []

        def work(i):
            try:
                g = self.dev.load_graph(image)
                s = self.dev.stream()
                for _ in range(3):
                    results[i] = g.run({"x": xs[i]}, stream=s)["y"]
            except Exception as e:      # reported below, in the main thread
                errors.append(e)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        for i in range(4):
            self.assertEqual(results[i].tobytes(), refs[i].tobytes())

    def test_graph_input_errors(self):
        model, _, _ = tiny_model()
        g = self.dev.load_graph(xpu.compile_onnx(model, self.dev, dims={"N": 2}))
        with self.assertRaises(xpu.NotFoundError) as cm:
            g.run({"x": np.zeros((2, 8), np.float32), "z": 1})
        self.assertIn("'z'", cm.exception.detail)
        with self.assertRaises(xpu.InvalidArgumentError) as cm:
            g.run({"x": np.zeros((3, 8), np.float32)})
        self.assertIn("shape", cm.exception.detail)
        with self.assertRaises(xpu.InvalidArgumentError):
            g.run({})
        with self.assertRaises(xpu.InvalidArgumentError):
            xpu.compile_onnx(model, self.dev, precision="fp8")

    def test_bad_model_is_an_error(self):
        with self.assertRaises(xpu.XpuError) as cm:
            xpu.compile_onnx(b"not a protobuf at all", self.dev)
        self.assertIn(cm.exception.status, (xpu.Status.INVALID_BINARY,
                                            xpu.Status.NOT_SUPPORTED))
        self.assertTrue(cm.exception.detail)


def one_op(node, ins, outs, inits=()):
    """A model of one ONNX node: ins/outs are (name, elem type, shape)."""
    g = helper.make_graph(
        [node], "one", [helper.make_tensor_value_info(n, t, sh) for n, t, sh in ins],
        [helper.make_tensor_value_info(n, t, sh) for n, t, sh in outs], list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


@unittest.skipIf(onnx is None, "python3-onnx is not installed")
class TestModelKernelExtents(Base):
    """The model compiler's kernels record the bytes each buffer argument
    touches (runtime/compiler/copy.c, graph_vec.c, graph_conv.c, matmul.c's
    xcc_gemm): a launch of a compiled model's kernel with a buffer one
    element short fails naming the argument and both sizes; the exact sizes
    run."""

    def check_kernel(self, model, suffix, want):
        mod = self.dev.load_module(xpu.compile_onnx(model, self.dev))
        names = [n for n in mod.kernel_names if n.endswith(suffix)]
        self.assertEqual(len(names), 1, mod.kernel_names)
        k = mod[names[0]]
        self.assertEqual([a for a, _ in k.args], list(want))
        exact = [self.dev.from_numpy(np.zeros(size, np.uint8)) for size, _ in want.values()]
        for i, (arg, (size, esz)) in enumerate(want.items()):
            short = self.dev.from_numpy(np.zeros(size - esz, np.uint8))
            with self.assertRaises(xpu.InvalidArgumentError) as cm:
                k(*(short if j == i else b for j, b in enumerate(exact)))
            self.assertIn("argument %d ('%s'): needs %d bytes, the buffer has %d"
                          % (i, arg, size, size - esz), cm.exception.detail)
            # the exact size, one element in: short as well
            with self.assertRaises(xpu.InvalidArgumentError):
                k(*((b, esz) if j == i else b for j, b in enumerate(exact)))
        k(*exact)       # zeros: every index in range

    def test_transpose(self):      # cc_copy_strided
        m = one_op(helper.make_node("Transpose", ["x"], ["y"], perm=[1, 0, 2]),
                   [("x", TensorProto.FLOAT, [3, 5, 7])], [("y", TensorProto.FLOAT, [5, 3, 7])])
        self.check_kernel(m, "transpose_0", {"src": (420, 4), "dst": (420, 4)})

    def test_gather(self):         # cc_gather: run-time indices
        m = one_op(helper.make_node("Gather", ["x", "i"], ["y"], axis=0),
                   [("x", TensorProto.FLOAT, [6, 5]), ("i", TensorProto.INT64, [4])],
                   [("y", TensorProto.FLOAT, [4, 5])])
        self.check_kernel(m, "gather_0", {"data": (120, 4), "indices": (32, 8),
                                          "out": (80, 4)})

    def test_gather_constant_indices(self):    # cc_copy_blocks: rows 5 and 0
        m = one_op(helper.make_node("Gather", ["x", "i"], ["y"], axis=0),
                   [("x", TensorProto.FLOAT, [6, 5])], [("y", TensorProto.FLOAT, [2, 5])],
                   [numpy_helper.from_array(np.array([5, 0], np.int64), "i")])
        self.check_kernel(m, "_0", {"src": (120, 4), "dst": (40, 4)})

    def test_broadcast_add(self):  # xcc_ew: x1 is one row
        m = one_op(helper.make_node("Add", ["x", "z"], ["y"]),
                   [("x", TensorProto.FLOAT, [6, 5]), ("z", TensorProto.FLOAT, [1, 5])],
                   [("y", TensorProto.FLOAT, [6, 5])])
        self.check_kernel(m, "ew_0", {"x0": (120, 4), "x1": (20, 4), "y": (120, 4)})

    def test_softmax(self):
        m = one_op(helper.make_node("Softmax", ["x"], ["y"], axis=-1),
                   [("x", TensorProto.FLOAT, [6, 5])], [("y", TensorProto.FLOAT, [6, 5])])
        self.check_kernel(m, "softmax_0", {"x": (120, 4), "y": (120, 4)})

    def test_row_and_middle_reductions(self):
        m = one_op(helper.make_node("ReduceSum", ["x", "ax"], ["y"], keepdims=0),
                   [("x", TensorProto.FLOAT, [6, 5])], [("y", TensorProto.FLOAT, [6])],
                   [numpy_helper.from_array(np.array([1], np.int64), "ax")])
        self.check_kernel(m, "reduce_0", {"x": (120, 4), "y": (24, 4)})
        m = one_op(helper.make_node("ReduceMax", ["x"], ["y"], axes=[1], keepdims=0),
                   [("x", TensorProto.FLOAT, [3, 4, 5])], [("y", TensorProto.FLOAT, [3, 5])])
        self.check_kernel(m, "reduce_0", {"x": (240, 4), "y": (60, 4)})

    def test_layernorm(self):
        m = one_op(helper.make_node("LayerNormalization", ["x", "g", "b"], ["y"], axis=-1),
                   [("x", TensorProto.FLOAT, [6, 5])], [("y", TensorProto.FLOAT, [6, 5])],
                   [numpy_helper.from_array(np.ones(5, np.float32), "g"),
                    numpy_helper.from_array(np.zeros(5, np.float32), "b")])
        self.check_kernel(m, "layernorm_0", {"x": (120, 4), "gamma": (20, 4), "beta": (20, 4),
                                             "y": (120, 4)})

    def test_maxpool(self):        # xcc_pool
        m = one_op(helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2]),
                   [("x", TensorProto.FLOAT, [1, 2, 5, 5])],
                   [("y", TensorProto.FLOAT, [1, 2, 4, 4])])
        self.check_kernel(m, "maxpool_0", {"x": (200, 4), "y": (128, 4)})

    def test_gemm_with_bias(self):     # xcc_split of x to bf16, then xcc_gemm
        m = one_op(helper.make_node("Gemm", ["x", "W", "b"], ["y"]),
                   [("x", TensorProto.FLOAT, [6, 8])], [("y", TensorProto.FLOAT, [6, 5])],
                   [numpy_helper.from_array(np.ones((8, 5), np.float32), "W"),
                    numpy_helper.from_array(np.ones(5, np.float32), "b")])
        self.check_kernel(m, "split_0", {"x": (192, 4), "y": (96, 2)})
        self.check_kernel(m, "gemm_1", {"a": (96, 2), "b": (80, 2), "c": (120, 4),
                                        "bias": (20, 4)})

    def test_batched_matmul(self):     # three products at their offsets
        m = one_op(helper.make_node("MatMul", ["x", "z"], ["y"]),
                   [("x", TensorProto.FLOAT, [3, 6, 8]), ("z", TensorProto.FLOAT, [3, 8, 5])],
                   [("y", TensorProto.FLOAT, [3, 6, 5])])
        self.check_kernel(m, "gemm_2", {"a": (288, 2), "b": (240, 2), "c": (360, 4)})

    def test_conv_im2col(self):    # xcc_im2col: 2 x 3 x 3 taps, 3 x 3 outputs
        w = np.zeros((4, 2, 3, 3), np.float32)
        m = one_op(helper.make_node("Conv", ["x", "w"], ["y"]),
                   [("x", TensorProto.FLOAT, [1, 2, 5, 5])],
                   [("y", TensorProto.FLOAT, [1, 4, 3, 3])], [numpy_helper.from_array(w, "w")])
        self.check_kernel(m, "im2col_0", {"x": (200, 4), "col": (18 * 9 * 4, 4)})


class TestDigits(Base):
    """The digits classifier the build exports to ONNX (examples/)."""

    def test_digits_onnx(self):
        build = os.environ.get("XPU_BUILD", "")
        path = os.path.join(build, "share", "xpu", "digits-onnx", "model.onnx")
        if not build or not os.path.exists(path):
            self.skipTest("no %s (make runtime builds it)" % path)
        for prec in ("bf16", "high"):
            g = self.dev.load_graph(xpu.compile_onnx(path, self.dev, precision=prec))
            self.assertEqual(g.info["precision"], prec)
            (inp,), (outp,) = g.inputs, g.outputs
            x = RNG.random(inp.shape).astype(inp.numpy_dtype) * 16
            out = g.run({inp.name: x})
            ref = xpu.reference_onnx(path, {inp.name: x}, self.dev, precision=prec, graph=g)
            self.assertEqual(out[outp.name].tobytes(), ref[outp.name].tobytes())
            self.assertTrue(np.isfinite(out[outp.name]).all())


if __name__ == "__main__":
    unittest.main()
