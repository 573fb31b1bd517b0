# SPDX-License-Identifier: MIT
# Fuzzing (issue 10): make fuzz FUZZ_SECONDS=N runs every fuzzer for N
# seconds (tools/xpu-fuzz); fuzz-smoke is make check's short run (the
# ioctl fuzzer's short run is a stream of the VM suite, run-tests.sh). The
# libFuzzer targets of the ONNX importer and the ELF loader are built by
# runtime/graph/graph.mk; the assembler's is here, seeded with the
# disassembly of the ELF seeds. The device fuzzer is the qtest /xpu/fuzz
# (tests/qtest/xpu-test.c), the ioctl fuzzer a guest program.
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 8

$(FUZZ_DIR)/asm_fuzz: tests/fuzz/asm_fuzz.c runtime/lib/asm.c runtime/lib/elf.c runtime/lib/error.c \
		runtime/lib/dtype.c $(wildcard runtime/lib/*.h runtime/include/xpu/*.h uapi/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< runtime/lib/asm.c runtime/lib/elf.c \
		runtime/lib/error.c runtime/lib/dtype.c -lelf

$(FUZZ_DIR)/asm-seeds.stamp: $(FUZZ_DIR)/elf-seeds.stamp $(BUILD)/bin/xpu-dis
	@mkdir -p $(FUZZ_DIR)/asm-seeds
	@for f in $(FUZZ_DIR)/elf-seeds/*.xpu; do \
		$(BUILD)/bin/xpu-dis $$f >$(FUZZ_DIR)/asm-seeds/$$(basename $$f .xpu).s || exit 1; done
	@touch $@

$(BUILD)/bin/xpu-ioctl-fuzz: tests/fuzz/xpu_ioctl_fuzz.c tests/kselftest/xpu_test_util.h \
		uapi/xpu_isa.h uapi/drm/xpu_accel.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iuapi $(DRM_CFLAGS) -o $@ $< $(DRM_LIBS) -lpthread

FUZZ_HOST_TARGETS := $(FUZZ_DIR)/onnx_import_fuzz $(FUZZ_DIR)/onnx-seeds.stamp \
	$(FUZZ_DIR)/elf_fuzz $(FUZZ_DIR)/elf-seeds.stamp $(FUZZ_DIR)/asm_fuzz $(FUZZ_DIR)/asm-seeds.stamp

fuzz: all qtest-bin $(FUZZ_HOST_TARGETS)
	@XPU_QTEST=$(QTEST) tools/xpu-fuzz $(BUILD) $(FUZZ_SECONDS)

fuzz-smoke: all qtest-bin $(FUZZ_HOST_TARGETS)
	@mkdir -p $(BUILD)/check
	@echo "== fuzz: every fuzzer for $(FUZZ_SMOKE_SECONDS) s (make fuzz FUZZ_SECONDS=N runs longer)"
	@XPU_QTEST=$(QTEST) tools/xpu-fuzz $(BUILD) $(FUZZ_SMOKE_SECONDS) --only "onnx elf asm device" \
		--tap $(BUILD)/check/fuzz-smoke.tap >$(BUILD)/check/fuzz-smoke.log 2>&1; \
		echo "fuzz-smoke exit status $$?" >>$(BUILD)/check/fuzz-smoke.tap; \
		grep -E "^fuzz: " $(BUILD)/check/fuzz-smoke.log; grep -E "^not ok" $(BUILD)/check/fuzz-smoke.tap; true
