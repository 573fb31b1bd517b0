# SPDX-License-Identifier: MIT
# The post-training quantiser (tools/xpu-quantize) on the host backend:
# tests/quant/quant-test.sh quantises the digits MLP and the CNN of
# examples/models.mk, compiles them and runs them with tests/quant/quant-run.c (TAP into
# $(BUILD)/check/quant-host.tap, then "quant-host exit status N").
# Included by the top-level Makefile after runtime/runtime.mk; the
# outer Makefile's GOALS list needs quant-host-tests too.
QUANT_RUN := $(BUILD)/quant/quant-run
QUANT_TEST_DEPS := $(BUILD)/bin/xpu-quantize $(BUILD)/bin/xpu-cc $(BUILD)/bin/xpu-dis $(QUANT_RUN) \
	$(foreach m,cnn digits-onnx,$(BUILD)/share/xpu/$(m)/model.onnx $(BUILD)/share/xpu/$(m)/test.bin) \
	tests/quant/quant-test.sh tests/quant/make-calib.py tests/quant/quant-check.py

# the runner: every held-out image on the host backend vs the CPU reference
$(QUANT_RUN): tests/quant/quant-run.c examples/cnn/classify.h examples/cnn/cls-run.h \
		examples/common/example.h $(LIBXPU)
	@mkdir -p $(dir $@)
	$(CC) $(XPU_PROG_CFLAGS) -Iexamples/cnn -Iexamples/common -o $@ $< -L$(BUILD)/lib -lxpu \
		-Wl,-rpath,'$$ORIGIN/../lib' -lm -lpthread

.PHONY: quant-host-tests
quant-host-tests: $(QUANT_TEST_DEPS)
	@mkdir -p $(BUILD)/check
	@echo "== host: post-training int8 quantisation (xpu-quantize)"
	@tests/quant/quant-test.sh $(BUILD) $(DIGITS_CSV) >$(BUILD)/check/quant-host.tap 2>&1; \
		echo "quant-host exit status $$?" >>$(BUILD)/check/quant-host.tap; \
		grep -E "^(ok|not ok|Bail out)" $(BUILD)/check/quant-host.tap
