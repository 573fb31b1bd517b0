# SPDX-License-Identifier: MIT
# The xpu Python package (python/xpu/, ctypes over libxpu): its tests.
# Included by the top-level Makefile after runtime/runtime.mk (uses $(LIBXPU)).
#   python-host-tests  tests/python/test_xpu.py on the host backend, TAP into
#                      $(BUILD)/check/python-host.tap
# Debian's python3 (with python3-numpy, python3-onnx): a python3 earlier in
# PATH (pyenv) may lack numpy.
XPU_PYTHON ?= /usr/bin/python3
PY_TESTS := $(wildcard tests/python/test_*.py)

.PHONY: python-host-tests
python-host-tests: runtime
	@mkdir -p $(BUILD)/check
	@echo "== host: python (xpu package)"
	@XPU_BACKEND=host XPU_LIB=$(abspath $(LIBXPU)) XPU_BUILD=$(abspath $(BUILD)) \
		PYTHONPATH=$(CURDIR)/python PYTHONDONTWRITEBYTECODE=1 \
		$(XPU_PYTHON) tests/python/tap.py $(PY_TESTS) >$(BUILD)/check/python-host.tap 2>&1; \
		echo "python-host exit status $$?" >>$(BUILD)/check/python-host.tap; \
		grep -E "^not ok|^# python:|exit status" $(BUILD)/check/python-host.tap
