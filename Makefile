# SPDX-License-Identifier: MIT
#
# XPU: make run | make check | make shell | make bench | make lint | make clean
#
# The outer level runs tools/setup-host.sh (apt packages, QEMU source, kernel,
# linux-source files: all cached in $(XPU_CACHE)) and re-invokes make with
# the resolved versions in build/host.mk.

export XPU_CACHE ?= /var/cache/xpu
BUILD ?= build
GOALS := all run check shell bench lint qemu module runtime tests initramfs \
	 host-tests runtime-host-tests examples-host-tests qtest vm-tests \
	 graph-host-tests onnx-host-tests models-host-tests quant-host-tests python-host-tests fuzz-onnx fuzz-elf \
	 summary-selftest install uninstall install-tests vm-add-tests prof-host-tests vm-share-tests \
	 bench-smoke fuzz fuzz-smoke qtest-bin check-debug deb deb-tests smi-vm-tests fabric-vm-tests \
	 lifecycle-100

ifeq ($(XPU_SETUP_DONE),)

.PHONY: $(GOALS) clean distclean
$(GOALS):
	@mkdir -p $(BUILD)
	@tools/setup-host.sh >$(BUILD)/host.mk.tmp && mv $(BUILD)/host.mk.tmp $(BUILD)/host.mk
	@$(MAKE) --no-print-directory XPU_SETUP_DONE=1 $@

clean:
	rm -rf $(BUILD)
	rm -f *.ko *.o *.mod *.mod.c .*.cmd modules.order Module.symvers .module-common.o
	rm -f driver/*.o driver/.*.cmd

distclean: clean
	rm -rf $(XPU_CACHE)

else # ---------------------------------------------------------------------

include $(BUILD)/host.mk

KHDR := /usr/src/linux-headers-$(KVER)
HARNESS := $(LSRC)/tools/testing/selftests
QBUILD := $(XPU_CACHE)/qemu-build-v2-$(notdir $(QSRC:$(XPU_CACHE)/qemu-%=%))
QEMU := $(QBUILD)/qemu-system-x86_64
KERNEL := $(KDIR)/vmlinuz
INITRD := $(BUILD)/initramfs.cpio.gz
# tools/xpu-vm boots these (the artifacts of this $(BUILD), not build/vm.env)
export XPU_QEMU ?= $(QEMU)
export XPU_KERNEL ?= $(KERNEL)
export XPU_INITRD ?= $(abspath $(INITRD))
ONNX_NODE_DIR := /usr/share/libonnx-testdata/data/node
ONNX_VM_STAMP := $(BUILD)/share/xpu/onnx-node/.stamp

CC := gcc
CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -D_GNU_SOURCE
DRM_CFLAGS := $(shell pkg-config --cflags libdrm)
DRM_LIBS := $(shell pkg-config --libs libdrm)

KSELFTESTS := $(patsubst tests/kselftest/%.c,$(BUILD)/kselftest/%,$(wildcard tests/kselftest/*_test.c))
ENGINE_SRCS := $(wildcard qemu-device/engine/*.c)
ENGINE_TESTS := $(patsubst tests/engine/%.c,$(BUILD)/host-tests/%,$(wildcard tests/engine/*_test.c))
ENGINE_REF := $(wildcard tests/engine/ref/*.c)

# The device properties make check boots with, and what the tests expect.
CHECK_XPU_OPTS := rows=64,cols=32,hbm_size=128M,queues=3,clock_mhz=1250
CHECK_ENV := --env XPU_EXPECT_ROWS=64 --env XPU_EXPECT_COLS=32 \
	--env XPU_EXPECT_HBM_SIZE=134217728 --env XPU_EXPECT_QUEUES=3 \
	--env XPU_EXPECT_CLOCK_MHZ=1250 --env XPU_EXPECT_DEVICES=2

.PHONY: $(GOALS) FORCE

all: qemu module runtime tests initramfs

# ---- QEMU with our device (incremental: only changed files are copied) ----
qemu: $(BUILD)/vm.env
$(BUILD)/vm.env: FORCE
	@mkdir -p $(BUILD)
	@flock $(XPU_CACHE)/qemu.lock sh -ec '\
		qemu-device/install-into-qemu.sh $(QSRC); \
		if [ ! -f $(QBUILD)/build.ninja ]; then \
			echo "  CONFIGURE qemu (first build: about 4 minutes)"; \
			mkdir -p $(QBUILD); cd $(QBUILD); \
			$(QSRC)/configure --target-list=x86_64-softmmu \
				--without-default-features --without-default-devices --enable-virtfs --enable-cap-ng --enable-attr \
				--disable-docs --disable-install-blobs >configure.log; \
		fi; \
		ninja -C $(QBUILD) qemu-system-x86_64 >$(QBUILD)/ninja.log 2>&1 || { tail -30 $(QBUILD)/ninja.log; exit 1; }; grep -A4 -E "warning:" $(QBUILD)/ninja.log || true; tail -1 $(QBUILD)/ninja.log'
	@printf 'QEMU=%s\nKERNEL=%s\nINITRD=%s\n' $(QEMU) $(KERNEL) $(abspath $(INITRD)) >$@

# ---- kernel module ----
module: xpu.ko
xpu.ko: FORCE
	@$(MAKE) --no-print-directory -C $(KHDR) M=$(CURDIR) W=1 modules >$(BUILD)/module.log 2>&1 || \
		{ cat $(BUILD)/module.log; exit 1; }
	@grep -i "warning" $(BUILD)/module.log || true

# ---- runtime, compiler, tools, examples (runtime/runtime.mk) ----
include runtime/runtime.mk
# the int8 quantiser's tests (after runtime.mk: they use its rules)
include tests/quant/quant.mk
# the Python package's tests
include python/python.mk
# fuzzing: make fuzz FUZZ_SECONDS=N, and make check's fuzz-smoke
include tests/fuzz/fuzz.mk

# ---- tests ----
tests: $(KSELFTESTS) $(BUILD)/bin/xpu-busy $(BUILD)/bin/xpu-latency-bench $(BUILD)/bin/xpu-ioctl-fuzz \
	$(BUILD)/bin/xpu-dma-bench
# dma_vs_host_memcpy: the guest's DMA job against the host memcpy-bench figure
$(BUILD)/bin/xpu-dma-bench: tests/bench/xpu_dma_bench.c tests/kselftest/xpu_test_util.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iuapi $(DRM_CFLAGS) -o $@ $< $(DRM_LIBS)
$(BUILD)/host-bench/memcpy-bench: tests/bench/memcpy_bench.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<
$(BUILD)/bin/xpu-latency-bench: tests/bench/xpu_latency_bench.c tests/kselftest/xpu_test_util.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iuapi $(DRM_CFLAGS) -o $@ $< $(DRM_LIBS)
$(BUILD)/host-bench/engine-bench: tests/bench/engine_bench.c $(ENGINE_SRCS) $(ENGINE_REF) $(wildcard qemu-device/engine/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I uapi -I qemu-device/engine -I tests/engine/ref -o $@ $< \
		$(ENGINE_SRCS) $(ENGINE_REF) -lopenblas -lm -lpthread

$(BUILD)/bin/xpu-busy: tests/kselftest/xpu_busy.c tests/kselftest/xpu_test_util.h uapi/xpu_isa.h uapi/drm/xpu_accel.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iuapi $(DRM_CFLAGS) -o $@ $< $(DRM_LIBS)

$(BUILD)/kselftest/%: tests/kselftest/%.c tests/kselftest/xpu_test_util.h uapi/xpu_hw.h uapi/xpu_isa.h uapi/drm/xpu_accel.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare -Wno-clobbered -Wno-misleading-indentation \
		-I$(HARNESS) -Iuapi $(DRM_CFLAGS) -o $@ $< $(DRM_LIBS)

$(BUILD)/host-tests/%: tests/engine/%.c $(ENGINE_SRCS) $(ENGINE_REF) $(wildcard qemu-device/engine/*.h tests/engine/*.h tests/engine/ref/*.h uapi/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I uapi -I qemu-device/engine -I tests/engine/ref -I $(HARNESS) \
		-o $@ $< $(ENGINE_SRCS) $(ENGINE_REF) -lm -lpthread

# ---- initramfs ----
initramfs: $(INITRD)
$(INITRD): xpu.ko runtime tests $(RUNTIME_OUTPUTS) $(ONNX_VM_STAMP) tools/mkinitramfs.sh tools/guest-init.sh $(wildcard tools/guest/*) \
	$(wildcard python/xpu/*.py tests/python/*.py)
	tools/mkinitramfs.sh $(KDIR) $(KVER) xpu.ko $(BUILD) $@

# ---- user-facing ----
# four XPUs in a ring of chip-to-chip links (the tensor-parallel demos use them all)
run: all
	tools/xpu-vm --timeout 300 --xpus 4 --links ring --log $(BUILD)/run/console.log -- demo.sh

# Benchmarks (tools/xpu-bench): every figure next to its reference measured
# in the same run, ending with one 'bench: NAME = RATIOx (goal ...)' line per
# figure (docs/performance.md). bench-smoke: the same at small sizes, in make
# check, so that no figure's program can rot (the goals are not checked).
BENCH_HOST := $(BUILD)/host-bench/engine-bench $(BUILD)/host-bench/gemm-sched-bench $(BUILD)/host-bench/memcpy-bench
bench: all $(BENCH_HOST)
	@tools/xpu-bench $(BUILD)

bench-smoke: all $(BENCH_HOST)
	@mkdir -p $(BUILD)/check
	@echo "== bench: smoke run (small sizes: every figure measured, goals not checked)"
	@tools/xpu-bench $(BUILD) --smoke --tap $(BUILD)/check/bench-smoke.tap \
		>$(BUILD)/check/bench-smoke.log 2>&1; \
		echo "bench-smoke exit status $$?" >>$(BUILD)/check/bench-smoke.tap; \
		grep -E "^(not ok|bench-error)" $(BUILD)/check/bench-smoke.tap $(BUILD)/check/bench-smoke.log; \
		tail -1 $(BUILD)/check/bench-smoke.tap

# make shell ADD="./myprog ./data": copied into the guest's /opt/user (xpu-vm --add);
# SHARE="DIR ...": shared read-write at the same paths (xpu-vm --share);
# PYTHON=1: python3 with numpy and the xpu package (xpu-vm --python)
shell: all
	tools/xpu-vm $(addprefix --add ,$(ADD)) $(addprefix --share ,$(SHARE)) $(if $(PYTHON),--python)

host-tests: $(ENGINE_TESTS)
	@mkdir -p $(BUILD)/check
	@rc=0; for t in $(ENGINE_TESTS); do \
		echo "== host: $$t"; \
		$$t >$(BUILD)/check/host-$$(basename $$t).tap 2>&1; \
		echo "host exit status $$?" >>$(BUILD)/check/host-$$(basename $$t).tap; \
		tail -2 $(BUILD)/check/host-$$(basename $$t).tap; \
	done; exit 0

vm-tests: all
	@mkdir -p $(BUILD)/check
	@echo "== vm: kselftests in the guest (2 XPUs in a ring: $(CHECK_XPU_OPTS))"
	@tools/xpu-vm --timeout 600 --xpus 2 --links ring --env XPU_EXPECT_LINKS=ring \
		--xpu-opts $(CHECK_XPU_OPTS) $(CHECK_ENV) \
		--log $(BUILD)/check/vm-console.log -- run-tests.sh >$(BUILD)/check/vm.tap 2>&1; \
		echo "vm exit status $$?" >>$(BUILD)/check/vm.tap; \
		grep -E "^(ok|not ok|# Totals|xpu-vm)" $(BUILD)/check/vm.tap | grep -v "^ok" || true

# Lifecycle x100 in one VM: each round reloads the driver, removes and
# rescans the device with jobs in flight, kills a process mid-job
# (tools/guest/xpu-lifecycle-test.sh --repeat 100: a TAP line per round;
# make check runs 1 round). LIFECYCLE_ROUNDS=N for another count.
LIFECYCLE_ROUNDS ?= 100
lifecycle-100: all
	@mkdir -p $(BUILD)/lifecycle
	@echo "== vm: driver lifecycle, $(LIFECYCLE_ROUNDS) rounds ($(BUILD)/lifecycle/lifecycle.tap)"
	@tools/xpu-vm --timeout $$((300 + $(LIFECYCLE_ROUNDS) * 30)) --xpu-opts $(CHECK_XPU_OPTS) \
		--log $(BUILD)/lifecycle/vm-console.log -- xpu-lifecycle-test.sh --repeat $(LIFECYCLE_ROUNDS) \
		>$(BUILD)/lifecycle/lifecycle.tap 2>&1; \
		echo "lifecycle exit status $$?" >>$(BUILD)/lifecycle/lifecycle.tap; \
		grep -E "^(not ok|# lifecycle:|xpu-vm)|exit status" $(BUILD)/lifecycle/lifecycle.tap; \
		tools/check-summary.sh $(BUILD)/lifecycle

# The profiler (XPU_PROFILE, tools/xpu-prof) over programs on the host backend.
prof-host-tests: runtime
	@mkdir -p $(BUILD)/check
	@echo "== host: profiler (xpu-prof, XPU_PROFILE)"
	@XPU_BACKEND=host PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 tests/prof/prof_host_test.py \
		$(BUILD) >$(BUILD)/check/prof-host.tap 2>&1; \
		echo "prof-host exit status $$?" >>$(BUILD)/check/prof-host.tap; \
		grep -E "^not ok|^# prof:" $(BUILD)/check/prof-host.tap

# The examples on libxpu's host backend (the VM runs them on the device).
examples-host-tests: runtime
	@mkdir -p $(BUILD)/check
	@echo "== host: examples (digits, matmul demo, hello) on the host backend"
	@tools/guest/xpu-examples-test.sh --host $(BUILD)/bin >$(BUILD)/check/examples-host.tap 2>&1; \
		echo "examples-host exit status $$?" >>$(BUILD)/check/examples-host.tap; \
		grep -E "^(ok|not ok)" $(BUILD)/check/examples-host.tap

QTEST := $(QBUILD)/tests/qtest/xpu-test
# the qtest binary alone (make fuzz runs its /xpu/fuzz for longer)
qtest-bin: qemu
	@flock $(XPU_CACHE)/qemu.lock ninja -C $(QBUILD) tests/qtest/xpu-test >$(BUILD)/qtest-build.log 2>&1 || \
		{ tail -30 $(BUILD)/qtest-build.log; exit 1; }
qtest: qemu
	@mkdir -p $(BUILD)/check
	@if ! flock $(XPU_CACHE)/qemu.lock ninja -C $(QBUILD) tests/qtest/xpu-test >$(BUILD)/qtest-build.log 2>&1; then \
		tail -30 $(BUILD)/qtest-build.log; \
		{ echo "Bail out! the qtest binary does not build (see $(BUILD)/qtest-build.log)"; \
		echo "qtest exit status 1"; } >$(BUILD)/check/qtest.tap; exit 1; fi
	@grep -v "^ninja: no work" $(BUILD)/qtest-build.log | tail -2
	@echo "== qtest: $(QTEST)"
	@QTEST_QEMU_BINARY=$(QEMU) $(QTEST) --tap -k >$(BUILD)/check/qtest.tap 2>&1; \
		rc=$$?; echo "qtest exit status $$rc" >>$(BUILD)/check/qtest.tap; \
		grep -E "^(not ok|Bail)" $(BUILD)/check/qtest.tap; tail -1 $(BUILD)/check/qtest.tap

# Kernel-style checks of driver/ and uapi/: checkpatch --strict (from the
# linux-source-6.12 tree), sparse (C=2) and W=1, kernel-doc -Wall, each one
# TAP line. uapi/xpu_hw.h and xpu_isa.h are shared with QEMU and C99
# userspace, and no uapi header can use BIT(): those two checkpatch types are
# off for uapi/, and so are the macro checks an X-macro table trips (one list
# per fact: job statuses, instructions). kernel-doc is the 6.12 script, from
# linux-source-6.12 if extracted there, else from linux-kbuild-6.12.
# lint.libxpu_symbols: libxpu's exports against runtime/libxpu.symbols
# (runtime/check-symbols.sh, also run after every link of libxpu).
CHECKPATCH := perl $(LSRC)/scripts/checkpatch.pl --strict --no-tree --terse
KERNELDOC := perl $(firstword $(wildcard $(LSRC)/scripts/kernel-doc $(KHDR)/scripts/kernel-doc))
lint:
	@mkdir -p $(BUILD)/check
	@{ echo "TAP version 13"; echo "1..5"; \
	out=$$($(CHECKPATCH) -f driver/*.c driver/*.h Kbuild | grep -v '^total'); \
	if [ -z "$$out" ]; then echo "ok 1 lint.checkpatch_driver"; \
	else echo "not ok 1 lint.checkpatch_driver"; echo "$$out" | sed 's/^/# /'; fi; \
	out=$$($(CHECKPATCH) --ignore BIT_MACRO,PREFER_KERNEL_TYPES,LONG_LINE,COMPLEX_MACRO,MACRO_ARG_REUSE,MACRO_ARG_UNUSED \
		-f uapi/xpu_hw.h uapi/xpu_isa.h uapi/xpu_dtype.h uapi/drm/xpu_accel.h | grep -v '^total'); \
	if [ -z "$$out" ]; then echo "ok 2 lint.checkpatch_uapi"; \
	else echo "not ok 2 lint.checkpatch_uapi"; echo "$$out" | sed 's/^/# /'; fi; \
	out=$$($(MAKE) --no-print-directory -C $(KHDR) M=$(CURDIR) W=1 C=2 modules 2>&1 | \
		grep -E 'warning|error'); \
	if [ -z "$$out" ]; then echo "ok 3 lint.sparse_and_w1"; \
	else echo "not ok 3 lint.sparse_and_w1"; echo "$$out" | sed 's/^/# /'; fi; \
	out=$$($(KERNELDOC) -none -Wall driver/*.c driver/*.h uapi/drm/xpu_accel.h 2>&1); \
	if [ -z "$$out" ]; then echo "ok 4 lint.kernel_doc"; \
	else echo "not ok 4 lint.kernel_doc"; echo "$$out" | sed 's/^/# /'; fi; \
	bout=$$($(MAKE) --no-print-directory $(LIBXPU) 2>&1); lib=$(LIBXPU); \
	if [ -f $$lib.tmp ] && { [ ! -f $$lib ] || [ $$lib.tmp -nt $$lib ]; }; then lib=$$lib.tmp; fi; \
	if [ -f $$lib ]; then out=$$(runtime/check-symbols.sh $$lib $(LIBXPU_SYMBOLS) 2>&1); \
	else out="libxpu does not build: $$(echo "$$bout" | grep -m5 -E ' error|Error ')"; fi; \
	if [ -z "$$out" ]; then echo "ok 5 lint.libxpu_symbols"; \
	else echo "not ok 5 lint.libxpu_symbols"; echo "$$out" | sed 's/^/# /'; fi; \
	} >$(BUILD)/check/lint.tap; grep -v "^ok" $(BUILD)/check/lint.tap | grep -v "^TAP\|^1\.\." || true

# ONNX's backend conformance data (libonnx-testdata): every node test whose
# operators the compiler imports, on the host backend; the VM runs the subset
# in tests/onnx/vm-subset.txt through the driver. Known failures are listed
# with their reason in tests/onnx/known-failures.txt (TAP TODO lines).
onnx-host-tests: runtime
	@mkdir -p $(BUILD)/check
	@echo "== host: onnx conformance ($(ONNX_NODE_DIR))"
	@XPU_BACKEND=host $(BUILD)/bin/xpu-onnx-test --known tests/onnx/known-failures.txt \
		$(ONNX_NODE_DIR)/test_* >$(BUILD)/check/onnx-host.tap 2>&1; \
		echo "onnx-host exit status $$?" >>$(BUILD)/check/onnx-host.tap; \
		grep -E "^not ok|^# onnx conformance" $(BUILD)/check/onnx-host.tap | grep -v TODO

# the VM's conformance subset, copied into the guest's /usr/share/xpu/onnx-node
$(ONNX_VM_STAMP): tests/onnx/vm-subset.txt tests/onnx/known-failures.txt
	@rm -rf $(dir $@) && mkdir -p $(dir $@)
	@grep -v '^#' tests/onnx/vm-subset.txt | while read -r t; do \
		[ -n "$$t" ] && cp -r $(ONNX_NODE_DIR)/$$t $(dir $@); done; true
	@cp tests/onnx/known-failures.txt $(BUILD)/share/xpu/onnx-known-failures.txt
	@touch $@

# The models (GPT, CNN, digits through ONNX) on the host backend.
models-host-tests: runtime
	@mkdir -p $(BUILD)/check
	@echo "== host: models through ONNX"
	@tools/guest/xpu-models-test.sh --host $(BUILD) >$(BUILD)/check/models-host.tap 2>&1; \
		echo "models-host exit status $$?" >>$(BUILD)/check/models-host.tap; \
		grep -E "^(ok|not ok)" $(BUILD)/check/models-host.tap

# tools/check-summary.sh's own test: a missing suite, a short plan, a missing
# exit-status line (on the host and in vm.tap's streams) must each fail it.
summary-selftest:
	@mkdir -p $(BUILD)/check
	@echo "== host: tools/check-summary.sh self-test"
	@tests/tools/check-summary-test.sh >$(BUILD)/check/summary-selftest.tap 2>&1; \
		echo "summary-selftest exit status $$?" >>$(BUILD)/check/summary-selftest.tap; \
		grep -E "^(not ok|Bail)" $(BUILD)/check/summary-selftest.tap; \
		tail -1 $(BUILD)/check/summary-selftest.tap

# Every TAP file make check must produce ('exit': with its '<name> exit status
# N' line) and every stream of vm.tap (tools/guest/run-tests.sh), from the
# same variables that choose the tests: a new test file needs no second edit.
# tools/check-summary.sh counts a missing one as a failure.
CHECK_SUITES := lint.tap summary-selftest.tap:exit \
	deb.tap:exit smi-vm.tap:exit fabric-torus-vm.tap:exit fabric-ring-vm.tap:exit \
	$(patsubst $(BUILD)/host-tests/%,host-%.tap:exit,$(ENGINE_TESTS)) \
	$(patsubst %,%.tap:exit,$(notdir $(RT_HOST_TESTS) $(GRAPH_TESTS))) \
	examples-host.tap:exit onnx-host.tap:exit models-host.tap:exit quant-host.tap:exit \
	qtest.tap:exit vm.tap:exit install.tap:exit vm-add.tap:exit python-host.tap:exit \
	prof-host.tap:exit bench-smoke.tap:exit fuzz-smoke.tap:exit \
	vm-share.tap:exit python-vm.tap:exit \
	$(patsubst %,vm.tap/%,$(notdir $(KSELFTESTS) $(RT_VM_TESTS)) xpu-onnx-test \
		xpu-models-test.sh xpu-examples-test.sh xpu-ioctl-fuzz xpu-lifecycle-test.sh)
CHECK_STAGES := lint summary-selftest host-tests runtime-host-tests examples-host-tests \
	graph-host-tests onnx-host-tests models-host-tests quant-host-tests python-host-tests qtest vm-tests \
	install-tests vm-add-tests prof-host-tests bench-smoke fuzz-smoke vm-share-tests \
	deb-tests smi-vm-tests fabric-vm-tests

# Debian 12 packages (packaging/mkdeb.sh, dpkg-deb): libxpu0, libxpu-dev,
# xpu-tools, python3-xpu, xpu-dkms in $(BUILD)/deb/ (docs/install.md)
deb: runtime
	@packaging/mkdeb.sh $(BUILD) $(BUILD)/deb $(XPU_VERSION)

# the packages built, checked (dpkg-deb), installed with apt-get into a
# Debian 12 root (debootstrap, cached in $(XPU_CACHE), an overlay per run):
# DKMS builds xpu.ko for $(KVER), which then drives the device in the VM;
# used there (pkg-config, tools, Python) and purged (tests/packaging/deb-test.sh)
deb-tests: runtime qemu initramfs
	@mkdir -p $(BUILD)/check
	@echo "== host: Debian packages (make deb) installed into a Debian 12 root, DKMS module in the VM, purged"
	@tests/packaging/deb-test.sh $(BUILD) $(XPU_VERSION) $(KHDR) >$(BUILD)/check/deb.tap 2>&1; \
		echo "deb exit status $$?" >>$(BUILD)/check/deb.tap; \
		grep -E "^not ok|^# deb:" $(BUILD)/check/deb.tap

# xpu-smi in the VM (2 XPUs): order, --json checked by python3 (--python),
# the process list with a busy process, loop mode, bad arguments; and the
# udev rule's group and mode (applied with the packaged mdev line): a user in
# group xpu opens /dev/accel, another does not (tools/guest/xpu-smi-test.sh)
smi-vm-tests: qemu initramfs
	@mkdir -p $(BUILD)/check
	@echo "== vm: xpu-smi (processes, --json, -l) and access through the xpu group"
	@tools/xpu-vm --timeout 300 --xpus 2 --xpu-opts queues=3 --python \
		--add packaging/udev/xpu.mdev.conf=/etc/xpu.mdev.conf \
		--log $(BUILD)/check/smi-vm-console.log -- xpu-smi-test.sh \
		>$(BUILD)/check/smi-vm.tap 2>&1; \
		echo "smi-vm exit status $$?" >>$(BUILD)/check/smi-vm.tap; \
		grep -E "^not ok|^# smi:" $(BUILD)/check/smi-vm.tap

# links and collectives on more chips than vm-tests' ring of 2: the
# multi-device suites (tools/guest/xpu-fabric-test.sh: runtime-peer,
# runtime-collective, xpu_link_test, the Python link tests, the
# tensor-parallel demos: the matmul and the GPT) on 4 XPUs as a 2x2 torus and on 8 in a ring
FABRIC_VM = tools/xpu-vm --timeout 900 --python --xpu-opts $(CHECK_XPU_OPTS)
fabric-vm-tests: qemu initramfs
	@mkdir -p $(BUILD)/check
	@echo "== vm: links and collectives on 4 XPUs (2x2 torus) and 8 XPUs (ring)"
	@$(FABRIC_VM) --xpus 4 --links torus2d:2x2 --log $(BUILD)/check/fabric-torus-vm-console.log \
		-- xpu-fabric-test.sh torus2x2 >$(BUILD)/check/fabric-torus-vm.tap 2>&1; \
		echo "fabric-torus-vm exit status $$?" >>$(BUILD)/check/fabric-torus-vm.tap; \
		grep -E "^(ok|not ok)" $(BUILD)/check/fabric-torus-vm.tap
	@$(FABRIC_VM) --xpus 8 --links ring --log $(BUILD)/check/fabric-ring-vm-console.log \
		-- xpu-fabric-test.sh ring8 >$(BUILD)/check/fabric-ring-vm.tap 2>&1; \
		echo "fabric-ring-vm exit status $$?" >>$(BUILD)/check/fabric-ring-vm.tap; \
		grep -E "^(ok|not ok)" $(BUILD)/check/fabric-ring-vm.tap

# make install into a temporary DESTDIR, an outside program built with only
# pkg-config against it and against the uninstalled .pc (tests/install/)
install-tests: runtime
	@mkdir -p $(BUILD)/check
	@echo "== host: make install, an outside program through pkg-config"
	@tests/install/install-test.sh $(BUILD) >$(BUILD)/check/install.tap 2>&1; \
		echo "install exit status $$?" >>$(BUILD)/check/install.tap; \
		grep -E "^not ok|^# install:" $(BUILD)/check/install.tap

# a user's program in the VM: built with pkg-config, run with xpu-vm --add
# (tests/install/vm-add-test.sh: one boot)
vm-add-tests: qemu initramfs
	@mkdir -p $(BUILD)/check
	@echo "== vm: your own program in the VM (xpu-vm --add)"
	@tests/install/vm-add-test.sh $(BUILD) >$(BUILD)/check/vm-add.tap 2>&1; \
		echo "vm-add exit status $$?" >>$(BUILD)/check/vm-add.tap; \
		grep -E "^not ok|^# vm-add:" $(BUILD)/check/vm-add.tap

# a shared directory (xpu-vm --share) and, in the same boot, the Python
# package's tests in the guest through the driver (xpu-vm --python):
# vm-share.tap and python-vm.tap (tests/share/vm-share-test.sh)
vm-share-tests: qemu initramfs
	@mkdir -p $(BUILD)/check
	@echo "== vm: a shared directory (xpu-vm --share), python in the guest (--python)"
	@tests/share/vm-share-test.sh $(BUILD) >$(BUILD)/check/vm-share.tap 2>&1; \
		echo "vm-share exit status $$?" >>$(BUILD)/check/vm-share.tap; \
		grep -E "^not ok|^# vm-share:" $(BUILD)/check/vm-share.tap; \
		grep -sE "^not ok|^# python:|exit status" $(BUILD)/check/python-vm.tap || \
		echo "vm-share-tests: no python-vm.tap"

# The VM suite on a debug kernel (KASAN, lockdep, kmemleak, DMA-API debug,
# UBSAN; built from linux-source-6.12 and cached) behind an intel-iommu, and
# the qtests on an ASan + UBSan QEMU (tools/debug/). Any report fails it.
check-debug: all qtest-bin
	@rm -rf $(BUILD)/check-debug && mkdir -p $(BUILD)/check-debug
	@echo "== check-debug: the VM suite on a debug kernel, the qtests under ASan + UBSan"
	@CHECK_XPU_OPTS=$(CHECK_XPU_OPTS) CHECK_ENV="$(CHECK_ENV)" QSRC=$(QSRC) \
		tools/debug/check-debug.sh $(BUILD) >$(BUILD)/check-debug/debug.tap 2>&1; \
		grep -E "^(not ok|ok [0-9]+ debug\.|# check-debug|# debug kernel|Bail)" $(BUILD)/check-debug/debug.tap
	@tools/check-summary.sh $(BUILD)/check-debug

# -k: a stage that fails to build does not stop the others; the summary counts
# its missing TAP file, and a failed recipe is one 'not ok' more.
check: all
	@rm -rf $(BUILD)/check && mkdir -p $(BUILD)/check
	@printf '%s\n' $(CHECK_SUITES) | sed 's/:/ /' >$(BUILD)/check/expected-suites.txt
	@$(MAKE) -k --no-print-directory $(CHECK_STAGES) || \
		printf '1..1\nnot ok 1 make.stages # a stage recipe failed: make exit status %s\n' $$? \
		>$(BUILD)/check/make-stages.tap
	@tools/check-summary.sh $(BUILD)/check $(BUILD)/check/expected-suites.txt

FORCE:

endif
