# SPDX-License-Identifier: MIT
# Runtime, compiler, tools and examples; included by the top-level Makefile.
# Contract with it:
#   runtime             builds everything below
#   RUNTIME_OUTPUTS     files the guest initramfs depends on
#   runtime-host-tests  runs the host-side tests, TAP into $(BUILD)/check/runtime-*.tap
# Guest image: $(BUILD)/bin -> /usr/bin, $(BUILD)/lib -> /usr/lib,
# $(BUILD)/share -> /usr/share, $(BUILD)/vm-tests/* -> /opt/xpu/tests (run by
# make check inside the VM; they must print TAP).

# 0.2: new entry points (runtime/libxpu.symbols), compatible: soname stays .so.0
XPU_VERSION := 0.2.0
LIBXPU_SONAME := libxpu.so.0
LIBXPU := $(BUILD)/lib/libxpu.so.$(XPU_VERSION)
# libxpu = runtime + kernel compiler + the device engine (host backend)
# the model compiler (runtime/graph/) adds its sources, generated ONNX
# protobuf code, flags and libraries in runtime/graph/graph.mk
include runtime/graph/graph.mk
# the models (GPT, CNN, digits through ONNX): examples/models.mk, included at the end
RUNTIME_SRCS := $(wildcard runtime/lib/*.c runtime/compiler/*.c runtime/graph/*.c) $(GRAPH_GEN_SRCS)
RUNTIME_HDRS := $(wildcard runtime/include/xpu/*.h runtime/lib/*.h runtime/compiler/*.h runtime/graph/*.h \
	uapi/*.h uapi/drm/*.h qemu-device/engine/*.h)
RUNTIME_CFLAGS := $(CFLAGS) -fPIC -fvisibility=hidden -Iruntime/include -Iruntime/lib -Iuapi \
	-Iqemu-device/engine $(DRM_CFLAGS) $(GRAPH_CFLAGS)
RUNTIME_LIBS := $(DRM_LIBS) -lelf -lpthread -lm $(GRAPH_LIBS)
# programs linked against the in-tree libxpu; rpath so they run from $(BUILD)
XPU_PROG_CFLAGS := $(CFLAGS) -Iruntime/include -Iuapi
XPU_PROG_LIBS := -L$(BUILD)/lib -lxpu -Wl,-rpath,'$$ORIGIN/../lib' -lm -lpthread

XPU_TOOLS := $(BUILD)/bin/xpu-smi $(BUILD)/bin/xpu-as $(BUILD)/bin/xpu-dis $(BUILD)/bin/xpu-cc \
	$(BUILD)/bin/xpu-onnx-test

# the post-training int8 quantiser: a Python script (python3-onnx, python3-numpy)
XPU_QUANTIZE := $(BUILD)/bin/xpu-quantize
$(XPU_QUANTIZE): tools/xpu-quantize/xpu-quantize.py
	@mkdir -p $(dir $@)
	install -m 755 $< $@
runtime: $(XPU_QUANTIZE)

# the profiler front end: runs a program with XPU_PROFILE set (runtime/lib/profile.c)
XPU_PROF := $(BUILD)/bin/xpu-prof
$(XPU_PROF): tools/xpu-prof/xpu-prof.py
	@mkdir -p $(dir $@)
	install -m 755 $< $@
runtime: $(XPU_PROF)

XPU_EXAMPLES := $(BUILD)/bin/xpu-digits $(BUILD)/bin/xpu-matmul-demo $(BUILD)/bin/xpu-hello \
	$(BUILD)/bin/xpu-tensor-parallel
DIGITS_SHARE := $(BUILD)/share/xpu/digits
DIGITS_DATA := $(DIGITS_SHARE)/model.bin $(DIGITS_SHARE)/test.bin

# test suites: tests/runtime/<name>_test.c -> runtime-<name>
RT_TEST_NAMES := $(patsubst tests/runtime/%_test.c,%,$(wildcard tests/runtime/*_test.c))
RT_HOST_TESTS := $(patsubst %,$(BUILD)/runtime-tests/runtime-%,$(RT_TEST_NAMES))
RT_VM_TESTS := $(patsubst %,$(BUILD)/vm-tests/runtime-%,$(RT_TEST_NAMES))
RT_TEST_CFLAGS := $(XPU_PROG_CFLAGS) -Itests/runtime -Itests/engine/ref -Iqemu-device/engine \
	-I$(HARNESS) -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare \
	-Wno-clobbered -Wno-misleading-indentation
# the ISA reference calls the engine's numerics, which libxpu does not export
RT_TEST_REF := $(ENGINE_REF) qemu-device/engine/numerics.c
RT_TEST_DEPS := $(wildcard tests/runtime/*.h) $(RT_TEST_REF) qemu-device/engine/numerics.h $(LIBXPU)

RUNTIME_OUTPUTS := $(BUILD)/share/xpu/isa.md $(LIBXPU) $(BUILD)/lib/pkgconfig/libxpu.pc $(XPU_TOOLS) $(XPU_EXAMPLES) \
	$(DIGITS_DATA) $(RT_VM_TESTS)

.PHONY: runtime runtime-host-tests
runtime: $(RUNTIME_OUTPUTS) $(RT_HOST_TESTS)

# The exported symbols are the ABI: runtime/libxpu.symbols lists them and
# check-symbols.sh fails the link (naming the lines to add or remove) when
# the library exports anything else; the library is only installed if so.
LIBXPU_SYMBOLS := runtime/libxpu.symbols

$(LIBXPU): $(RUNTIME_SRCS) $(RUNTIME_HDRS) $(ENGINE_SRCS) $(LIBXPU_SYMBOLS) runtime/check-symbols.sh
	@mkdir -p $(dir $@)
	$(CC) $(RUNTIME_CFLAGS) -shared -Wl,-soname,$(LIBXPU_SONAME) -Wl,--no-undefined -o $@.tmp \
		$(RUNTIME_SRCS) $(ENGINE_SRCS) $(RUNTIME_LIBS)
	runtime/check-symbols.sh $@.tmp $(LIBXPU_SYMBOLS)
	mv -f $@.tmp $@
	ln -sf $(notdir $@) $(BUILD)/lib/$(LIBXPU_SONAME)
	ln -sf $(LIBXPU_SONAME) $(BUILD)/lib/libxpu.so

$(BUILD)/lib/pkgconfig/libxpu.pc: runtime/libxpu.pc.in runtime/runtime.mk
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|/usr|' -e 's|@VERSION@|$(XPU_VERSION)|' $< >$@

$(BUILD)/bin/xpu-smi: tools/xpu-smi/xpu-smi.c $(LIBXPU)
	@mkdir -p $(dir $@)
	$(CC) $(XPU_PROG_CFLAGS) -o $@ $< $(XPU_PROG_LIBS) -lpci

$(BUILD)/bin/xpu-as: tools/xpu-as/xpu-as.c $(LIBXPU)
$(BUILD)/bin/xpu-dis: tools/xpu-dis/xpu-dis.c $(LIBXPU)
$(BUILD)/bin/xpu-cc: tools/xpu-cc/xpu-cc.c $(LIBXPU)
$(BUILD)/bin/xpu-as $(BUILD)/bin/xpu-dis $(BUILD)/bin/xpu-cc:
	@mkdir -p $(dir $@)
	$(CC) $(XPU_PROG_CFLAGS) -o $@ $< $(XPU_PROG_LIBS)

# the ISA document: the VM's asm test reads its pinned encodings there
$(BUILD)/share/xpu/isa.md: docs/isa.md
	@mkdir -p $(dir $@)
	cp $< $@

# the conformance runner reads TensorProto files with the generated ONNX code
$(BUILD)/bin/xpu-onnx-test: tools/xpu-onnx-test/xpu-onnx-test.c $(LIBXPU) $(GRAPH_GEN_SRCS)
	@mkdir -p $(dir $@)
	$(CC) $(XPU_PROG_CFLAGS) $(GRAPH_CFLAGS) -o $@ $< $(GRAPH_GEN_SRCS) $(XPU_PROG_LIBS) $(GRAPH_LIBS)

$(BUILD)/bin/xpu-digits: examples/digits/digits.c examples/digits/digits.h \
		examples/common/example.h $(LIBXPU)
	@mkdir -p $(dir $@)
	$(CC) $(XPU_PROG_CFLAGS) -o $@ $< $(XPU_PROG_LIBS)

$(BUILD)/bin/xpu-matmul-demo: examples/matmul/matmul-demo.c $(LIBXPU)
	@mkdir -p $(dir $@)
	$(CC) $(XPU_PROG_CFLAGS) -o $@ $< $(XPU_PROG_LIBS)

$(BUILD)/bin/xpu-hello: examples/hello/hello.c $(LIBXPU)
	@mkdir -p $(dir $@)
	$(CC) $(XPU_PROG_CFLAGS) -o $@ $< $(XPU_PROG_LIBS)

# the tensor-parallel demo (make run): an int8 matmul split over 4 XPUs, all-reduced
$(BUILD)/bin/xpu-tensor-parallel: examples/tensor-parallel.c examples/common/example.h $(LIBXPU)
	@mkdir -p $(dir $@)
	$(CC) $(XPU_PROG_CFLAGS) -o $@ $< $(XPU_PROG_LIBS)

# the upload bench (issue 11: upload_vs_memcpy, download_vs_memcpy), a guest program
XPU_UPLOAD_BENCH := $(BUILD)/bin/xpu-upload-bench
RUNTIME_OUTPUTS += $(XPU_UPLOAD_BENCH)
runtime: $(XPU_UPLOAD_BENCH)
$(XPU_UPLOAD_BENCH): tests/bench/xpu_upload_bench.c $(LIBXPU)
	@mkdir -p $(dir $@)
	$(CC) $(XPU_PROG_CFLAGS) -o $@ $< $(XPU_PROG_LIBS)

# collective bandwidth, nccl-tests style (issue 13: allreduce_busbw_vs_link);
# host backend by default, --drm in the guest
XPU_COLL_BENCH := $(BUILD)/bin/xpu-collective-bench
RUNTIME_OUTPUTS += $(XPU_COLL_BENCH)
runtime: $(XPU_COLL_BENCH)
$(XPU_COLL_BENCH): tools/xpu-collective-bench/xpu-collective-bench.c $(LIBXPU)
	@mkdir -p $(dir $@)
	$(CC) $(XPU_PROG_CFLAGS) -o $@ $< $(XPU_PROG_LIBS)

# ---- digits: data prep and training on the host at build time ----
$(BUILD)/digits/digits.csv: $(DIGITS_CSV)
	@mkdir -p $(dir $@)
	gzip -dc $< >$@.tmp && mv $@.tmp $@

$(BUILD)/digits/digits-train: examples/digits/train.c examples/digits/digits.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< -lm

$(DIGITS_SHARE)/test.bin: $(DIGITS_SHARE)/model.bin
$(DIGITS_SHARE)/model.bin: $(BUILD)/digits/digits-train $(BUILD)/digits/digits.csv
	@mkdir -p $(dir $@)
	$(BUILD)/digits/digits-train $(BUILD)/digits/digits.csv $(DIGITS_SHARE) >$(BUILD)/digits/train.log
	@tail -1 $(BUILD)/digits/train.log

# ---- tests: host variants (host backend) and VM variants (DRM backend) ----
$(BUILD)/runtime-tests/runtime-%: tests/runtime/%_test.c $(RT_TEST_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(RT_TEST_CFLAGS) -o $@ $< $(RT_TEST_REF) $(XPU_PROG_LIBS)

$(BUILD)/vm-tests/runtime-%: tests/runtime/%_test.c $(RT_TEST_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(RT_TEST_CFLAGS) -DXPU_TEST_DRM=1 -o $@ $< $(RT_TEST_REF) $(XPU_PROG_LIBS)

runtime-host-tests: $(RT_HOST_TESTS) $(XPU_TOOLS) $(XPU_EXAMPLES) $(DIGITS_DATA)
	@mkdir -p $(BUILD)/check
	@for t in $(RT_HOST_TESTS); do \
		n=$$(basename $$t); \
		echo "== host: $$n"; \
		XPU_BUILD=$(BUILD) $$t >$(BUILD)/check/$$n.tap 2>&1; \
		echo "$$n exit status $$?" >>$(BUILD)/check/$$n.tap; \
		grep -E "^not ok" $(BUILD)/check/$$n.tap; \
		grep -E "^# Totals" $(BUILD)/check/$$n.tap; \
	done; true

include examples/models.mk

# ---- install (make install PREFIX=/usr/local DESTDIR=) ----
# Headers go to $(PREFIX)/include/xpu/ together with the uapi header they
# include ("xpu_dtype.h", found next to xpu.h), so <xpu/xpu.h> works with
# -I$(PREFIX)/include. libxpu.pc is generated for PREFIX at install time.
# The tools keep their rpath $ORIGIN/../lib: $(PREFIX)/bin next to
# $(PREFIX)/lib. tools/xpu-vm is not installed: it boots this build tree's
# QEMU, kernel and initramfs.
PREFIX ?= /usr/local
DESTDIR ?=
XPU_BINDIR := $(DESTDIR)$(PREFIX)/bin
XPU_LIBDIR := $(DESTDIR)$(PREFIX)/lib
XPU_INCDIR := $(DESTDIR)$(PREFIX)/include/xpu
XPU_MAN1DIR := $(DESTDIR)$(PREFIX)/share/man/man1
XPU_PUBLIC_HDRS := $(wildcard runtime/include/xpu/*.h) uapi/xpu_dtype.h
XPU_MANPAGES := $(wildcard docs/man/*.1)

.PHONY: install uninstall
install: $(LIBXPU) $(XPU_TOOLS) $(XPU_QUANTIZE) $(XPU_PROF) runtime/libxpu.pc.in
	install -d $(XPU_BINDIR) $(XPU_LIBDIR)/pkgconfig $(XPU_INCDIR) $(XPU_MAN1DIR)
	install -m 644 $(XPU_PUBLIC_HDRS) $(XPU_INCDIR)/
	install -m 755 $(LIBXPU) $(XPU_LIBDIR)/
	ln -sf $(notdir $(LIBXPU)) $(XPU_LIBDIR)/$(LIBXPU_SONAME)
	ln -sf $(LIBXPU_SONAME) $(XPU_LIBDIR)/libxpu.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(XPU_VERSION)|' runtime/libxpu.pc.in \
		>$(XPU_LIBDIR)/pkgconfig/libxpu.pc
	install -m 755 $(XPU_TOOLS) $(XPU_QUANTIZE) $(XPU_PROF) $(XPU_BINDIR)/
	install -m 644 $(XPU_MANPAGES) $(XPU_MAN1DIR)/

uninstall:
	rm -f $(addprefix $(XPU_INCDIR)/,$(notdir $(XPU_PUBLIC_HDRS)))
	-rmdir $(XPU_INCDIR) 2>/dev/null
	rm -f $(XPU_LIBDIR)/$(notdir $(LIBXPU)) $(XPU_LIBDIR)/$(LIBXPU_SONAME) \
		$(XPU_LIBDIR)/libxpu.so $(XPU_LIBDIR)/pkgconfig/libxpu.pc
	rm -f $(addprefix $(XPU_BINDIR)/,$(notdir $(XPU_TOOLS) $(XPU_QUANTIZE) $(XPU_PROF)))
	rm -f $(addprefix $(XPU_MAN1DIR)/,$(notdir $(XPU_MANPAGES)))

# The uninstalled libxpu.pc: the source headers and this build's library
# (with an rpath, so programs run from where they are built):
#   PKG_CONFIG_PATH=$(BUILD)/pkgconfig pkg-config --cflags --libs libxpu
# Not under $(BUILD)/lib, which is the guest's /usr/lib.
XPU_UNINSTALLED_PC := $(BUILD)/pkgconfig/libxpu.pc
$(XPU_UNINSTALLED_PC): runtime/libxpu-uninstalled.pc.in runtime/runtime.mk
	@mkdir -p $(dir $@)
	sed -e 's|@SRCDIR@|$(CURDIR)|' -e 's|@LIBDIR@|$(abspath $(BUILD)/lib)|' \
		-e 's|@VERSION@|$(XPU_VERSION)|' $< >$@
runtime: $(XPU_UNINSTALLED_PC)

# compiled-GEMM schedule bench (make bench line compiled_gemm_vs_stallfree):
# libxpu's host backend, checked against the ISA reference
$(BUILD)/host-bench/gemm-sched-bench: tests/bench/gemm_sched_bench.c $(RT_TEST_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(XPU_PROG_CFLAGS) -Itests/runtime -Itests/engine/ref -Iqemu-device/engine -o $@ $< \
		$(RT_TEST_REF) $(XPU_PROG_LIBS)
