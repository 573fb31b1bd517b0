# SPDX-License-Identifier: MIT
"""Links and peer access from Python (Device.chip_id, links,
can_access_peer, enable_peer_access, Stream.copy_peer_async): on the host
backend a fabric of XPU_HOST_DEVICES chips (a ring of 4, then a mesh of 3),
in the VM (XPU_TEST_BACKEND=drm) the XPUs the guest has."""

import os
import unittest

import numpy as np

ON_DRM = os.environ.get("XPU_TEST_BACKEND") == "drm"
if not ON_DRM:
    os.environ.setdefault("XPU_BACKEND", "host")
import xpu  # noqa: E402


class TestLinks(unittest.TestCase):
    def setUp(self):
        if not ON_DRM:
            os.environ["XPU_HOST_DEVICES"] = "4"
            os.environ["XPU_HOST_TOPOLOGY"] = "ring"
        # every device: a link's peer_index may name any of them
        self.devs = [xpu.Device(i) for i in range(xpu.device_count())]

    def tearDown(self):
        for d in self.devs:
            d.close()
        os.environ.pop("XPU_HOST_DEVICES", None)
        os.environ.pop("XPU_HOST_TOPOLOGY", None)

    def test_topology(self):
        if not ON_DRM:
            self.assertEqual(len(self.devs), 4)
        chips = [d.chip_id for d in self.devs]
        # chip ids are the fabric's: distinct among the chips that have links
        # (a device without link ports reports chip 0)
        linked = [c for d, c in zip(self.devs, chips) if d.links()]
        self.assertEqual(len(set(linked)), len(linked))
        for i, d in enumerate(self.devs):
            self.assertEqual(d.can_access_peer(d), "self")
            for link in d.links():
                if link["state"] == "none":
                    self.assertEqual(link["peer_index"], -1)
                    continue
                peer = self.devs[link["peer_index"]]
                self.assertEqual(peer.chip_id, link["peer_chip"])
                back = peer.links()[link["peer_port"]]
                self.assertEqual(back["peer_chip"], chips[i])
                if link["state"] == "up":
                    self.assertEqual(d.can_access_peer(peer), "link")
        if not ON_DRM:
            # ring: chip i port 0 -> chip i+1 port 1; 0 and 2 only by PCIe
            self.assertEqual([(k["peer_chip"], k["peer_port"]) for k in self.devs[0].links()],
                             [(1, 1), (3, 0)])
            self.assertEqual(self.devs[0].can_access_peer(self.devs[2]), "pcie")
        with self.assertRaises(xpu.InvalidArgumentError):
            self.devs[0].can_access_peer("chip 1")

    def test_copy_peer(self):
        if len(self.devs) < 2:
            self.skipTest("fewer than 2 XPUs")
        a, b = self.devs[0], self.devs[1]
        data = np.arange(10000, dtype=np.int32)
        src = b.from_numpy(data)
        dst = a.alloc(data.nbytes)
        s = a.stream()
        with self.assertRaises(xpu.InvalidArgumentError) as cm:
            s.copy_peer_async(dst, src)
        self.assertIn("enable_peer_access", cm.exception.detail)
        a.enable_peer_access(b)
        s.copy_peer_async(dst, src, size=4 * 9999, dst_offset=4, src_offset=0)
        s.synchronize()
        got = dst.to_numpy("int32", (10000,))
        self.assertTrue(np.array_equal(got[1:], data[:9999]))
        self.assertEqual(got[0], 0)
        s.close()
        src.close()
        dst.close()


if __name__ == "__main__":
    unittest.main()
