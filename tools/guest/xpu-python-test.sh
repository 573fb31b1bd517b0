#!/bin/sh
# SPDX-License-Identifier: MIT
# xpu-python-test.sh: the xpu Python package's tests (tests/python, copied
# to /opt/xpu/python-tests) in the guest, on device 0 through the driver
# (XPU_TEST_BACKEND=drm), as TAP. Needs python3: boot with xpu-vm --python.
# usage: xpu-python-test.sh [TEST.py ...]   (default: every test_*.py)
[ $# -gt 0 ] || set -- /opt/xpu/python-tests/test_*.py
exec env XPU_TEST_BACKEND=drm PYTHONDONTWRITEBYTECODE=1 \
	python3 /opt/xpu/python-tests/tap.py "$@"
