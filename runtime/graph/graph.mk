# SPDX-License-Identifier: MIT
# The model compiler (runtime/graph/), included by runtime/runtime.mk.
# Contract: GRAPH_GEN_SRCS (generated C linked into libxpu), GRAPH_CFLAGS,
# GRAPH_LIBS; the rules that generate them.
#
# ONNX's protobuf schema comes from Debian's libonnx-dev; its C code is
# generated here at build time with protoc-c (never copied into the tree).
ONNX_PROTO_DIR := /usr/include
GRAPH_GEN := $(BUILD)/gen
GRAPH_GEN_SRCS := $(GRAPH_GEN)/onnx/onnx.pb-c.c
GRAPH_GEN_HDRS := $(GRAPH_GEN)/onnx/onnx.pb-c.h
GRAPH_CFLAGS := -I$(GRAPH_GEN) -Iruntime/graph
GRAPH_LIBS := -lprotobuf-c
# Debian's python3 (with python3-onnx), whatever python3 comes first in PATH
GRAPH_PYTHON := /usr/bin/python3

$(GRAPH_GEN)/onnx/onnx.pb-c.h: $(GRAPH_GEN)/onnx/onnx.pb-c.c
$(GRAPH_GEN)/onnx/onnx.pb-c.c: $(ONNX_PROTO_DIR)/onnx/onnx.proto
	@mkdir -p $(GRAPH_GEN)
	protoc-c --c_out=$(GRAPH_GEN) -I$(ONNX_PROTO_DIR) onnx/onnx.proto

# libxpu compiles every source in one command: it needs the generated code
$(LIBXPU): $(GRAPH_GEN_SRCS) $(GRAPH_GEN_HDRS)

# ---- host tests of the compiler (tests/graph/) ----------------------------
# tests/graph/<name>_test.c -> $(BUILD)/graph-tests/graph-<name>; they link
# the compiler's stages directly (internal symbols are hidden in libxpu) and
# read the ONNX models tests/graph/models/*.py write into $(BUILD)/graph-tests/.
GRAPH_FRONT_SRCS := runtime/graph/compile.c runtime/graph/graph.c runtime/graph/onnx_import.c runtime/graph/pass_fold.c \
	runtime/graph/pass_shape.c runtime/graph/pass_fuse.c runtime/graph/pass_plan.c \
	runtime/lib/error.c runtime/lib/dtype.c $(GRAPH_GEN_SRCS)
GRAPH_FRONT_HDRS := runtime/graph/graph.h runtime/graph/onnx_dtype.h $(GRAPH_GEN_HDRS) $(wildcard tests/graph/*.h)
GRAPH_TEST_NAMES := $(patsubst tests/graph/%_test.c,%,$(wildcard tests/graph/*_test.c))
GRAPH_TESTS := $(patsubst %,$(BUILD)/graph-tests/graph-%,$(GRAPH_TEST_NAMES))
GRAPH_MODEL_LIB := tests/graph/models/case_files.py
GRAPH_MODEL_SCRIPTS := $(filter-out $(GRAPH_MODEL_LIB),$(wildcard tests/graph/models/*.py))
GRAPH_MODELS_STAMP := $(BUILD)/graph-tests/models.stamp
GRAPH_TEST_CFLAGS := $(CFLAGS) -Iruntime/include -Iruntime/lib -Iruntime/graph -Iuapi \
	-Iqemu-device/engine -I$(GRAPH_GEN) -I$(HARNESS) -Itests/graph \
	-Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare \
	-Wno-clobbered -Wno-misleading-indentation

$(GRAPH_MODELS_STAMP): $(GRAPH_MODEL_SCRIPTS) $(GRAPH_MODEL_LIB)
	@mkdir -p $(dir $@)
	@for s in $(GRAPH_MODEL_SCRIPTS); do \
		$(GRAPH_PYTHON) $$s $(BUILD)/graph-tests || exit 1; done
	@touch $@

# front-end tests (import, passes, plan) link the stages before lowering,
# with ASan and UBSan so that memory and UB bugs fail them; other tests add
# their own rule below
GRAPH_TEST_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
$(BUILD)/graph-tests/graph-%: tests/graph/%_test.c $(GRAPH_FRONT_SRCS) $(GRAPH_FRONT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(GRAPH_TEST_CFLAGS) $(GRAPH_TEST_SAN) -DXG_FRONT_ONLY -o $@ $< $(GRAPH_FRONT_SRCS) \
		-lprotobuf-c -lm -lpthread

.PHONY: graph-host-tests fuzz-onnx
graph-host-tests: $(GRAPH_TESTS) $(GRAPH_MODELS_STAMP)
	@mkdir -p $(BUILD)/check
	@for t in $(GRAPH_TESTS); do \
		n=$$(basename $$t); \
		echo "== host: $$n"; \
		XPU_GRAPH_TESTS=$(BUILD)/graph-tests $$t >$(BUILD)/check/$$n.tap 2>&1; \
		echo "$$n exit status $$?" >>$(BUILD)/check/$$n.tap; \
		grep -E "^not ok" $(BUILD)/check/$$n.tap; \
		grep -E "^# Totals" $(BUILD)/check/$$n.tap; \
	done; true

# ---- libFuzzer targets (clang-14, ASan + UBSan): the ONNX importer and the
# ELF loader; bounded runs from seed corpora generated at build time --------
FUZZ_CC := clang-14
FUZZ_TIME ?= 30
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-DXG_FRONT_ONLY -D_GNU_SOURCE -std=gnu11 -Iruntime/include -Iruntime/lib -Iruntime/graph -Iuapi \
	-Iqemu-device/engine -I$(GRAPH_GEN) $(DRM_CFLAGS)
FUZZ_DIR := $(BUILD)/fuzz
GRAPH_FUZZ_SRCS := runtime/graph/compile.c runtime/graph/graph.c runtime/graph/onnx_import.c runtime/graph/pass_fold.c \
	runtime/graph/pass_shape.c runtime/graph/pass_fuse.c runtime/graph/pass_plan.c runtime/lib/error.c runtime/lib/dtype.c \
	$(GRAPH_GEN_SRCS)

$(FUZZ_DIR)/onnx_import_fuzz: tests/fuzz/onnx_import_fuzz.c $(GRAPH_FUZZ_SRCS) $(GRAPH_FRONT_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(GRAPH_FUZZ_SRCS) -lprotobuf-c -lm

$(FUZZ_DIR)/onnx-seeds.stamp: tests/fuzz/onnx_seeds.py tests/graph/models/front_models.py
	@mkdir -p $(FUZZ_DIR)/onnx-seeds
	$(GRAPH_PYTHON) $< $(FUZZ_DIR)/onnx-seeds
	@touch $@

fuzz-onnx: $(FUZZ_DIR)/onnx_import_fuzz $(FUZZ_DIR)/onnx-seeds.stamp
	@mkdir -p $(FUZZ_DIR)/onnx-corpus $(BUILD)/check
	@$(FUZZ_DIR)/onnx_import_fuzz -max_total_time=$(FUZZ_TIME) -max_len=65536 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix=$(FUZZ_DIR)/onnx- \
		$(FUZZ_DIR)/onnx-corpus $(FUZZ_DIR)/onnx-seeds >$(FUZZ_DIR)/onnx.log 2>&1; rc=$$?; \
		grep -E "^#[0-9]+ +DONE|ERROR|SUMMARY|Done [0-9]+ runs" $(FUZZ_DIR)/onnx.log; \
		echo "fuzz-onnx: exit status $$rc (log $(FUZZ_DIR)/onnx.log)"; exit $$rc

# ---- lowerdata: tests/graph/lower_data_test.c ------------------------------
# It runs compiled graphs on the host backend and calls internal stages, so
# it links every libxpu source (not the .so, whose internal symbols are hidden).
GRAPH_LD_SRCS = $(wildcard runtime/lib/*.c runtime/compiler/*.c runtime/graph/*.c) \
	$(GRAPH_GEN_SRCS) $(ENGINE_SRCS)
$(BUILD)/graph-tests/graph-lower_data: tests/graph/lower_data_test.c $(GRAPH_LD_SRCS) \
		$(GRAPH_FRONT_HDRS) $(wildcard runtime/graph/*.h runtime/lib/*.h runtime/compiler/*.h \
		runtime/include/xpu/*.h tests/runtime/rt_test.h)
	@mkdir -p $(dir $@)
	$(CC) $(GRAPH_TEST_CFLAGS) $(DRM_CFLAGS) -Itests/runtime -o $@ $< $(GRAPH_LD_SRCS) \
		$(DRM_LIBS) -lelf -lprotobuf-c -lm -lpthread

# ---- lowermath: tests/graph/lower_math_test.c runs compiled models on the
# host backend and the CPU reference in one process, so it links every
# libxpu source (the stages' symbols are hidden in libxpu) -----------------
LOWER_MATH_TEST_SRCS := $(wildcard runtime/lib/*.c runtime/compiler/*.c runtime/graph/*.c) \
	$(GRAPH_GEN_SRCS) $(wildcard qemu-device/engine/*.c)
$(BUILD)/graph-tests/graph-lower_math: tests/graph/lower_math_test.c $(LOWER_MATH_TEST_SRCS) \
		$(GRAPH_FRONT_HDRS) $(wildcard runtime/graph/*.h runtime/compiler/*.h runtime/lib/*.h \
		qemu-device/engine/*.h uapi/*.h runtime/include/xpu/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(GRAPH_TEST_CFLAGS) $(DRM_CFLAGS) -o $@ $< $(LOWER_MATH_TEST_SRCS) \
		$(DRM_LIBS) -lelf -lprotobuf-c -lm -lpthread

# the ELF loader (runtime/lib/elf.c), seeded with binaries xpu-cc compiles
# from the front end's test models
ELF_FUZZ_SEED_MODELS := small fuse_matmul fuse_layernorm fuse_gelu fold_chain broadcast fuse_gemm
$(FUZZ_DIR)/elf_fuzz: tests/fuzz/elf_fuzz.c runtime/lib/elf.c runtime/lib/error.c \
		$(wildcard runtime/lib/*.h runtime/include/xpu/*.h uapi/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< runtime/lib/elf.c runtime/lib/error.c -lelf

$(FUZZ_DIR)/elf-seeds.stamp: $(BUILD)/bin/xpu-cc $(GRAPH_MODELS_STAMP)
	@mkdir -p $(FUZZ_DIR)/elf-seeds
	@for m in $(ELF_FUZZ_SEED_MODELS); do \
		$(BUILD)/bin/xpu-cc --host --dim batch=2 $(BUILD)/graph-tests/$$m.onnx \
			-o $(FUZZ_DIR)/elf-seeds/$$m.xpu || exit 1; done
	@touch $@

.PHONY: fuzz-elf
fuzz-elf: $(FUZZ_DIR)/elf_fuzz $(FUZZ_DIR)/elf-seeds.stamp
	@mkdir -p $(FUZZ_DIR)/elf-corpus
	@$(FUZZ_DIR)/elf_fuzz -max_total_time=$(FUZZ_TIME) -max_len=65536 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix=$(FUZZ_DIR)/elf- \
		$(FUZZ_DIR)/elf-corpus $(FUZZ_DIR)/elf-seeds >$(FUZZ_DIR)/elf.log 2>&1; rc=$$?; \
		grep -E "^#[0-9]+ +DONE|ERROR|SUMMARY|Done [0-9]+ runs" $(FUZZ_DIR)/elf.log; \
		echo "fuzz-elf: exit status $$rc (log $(FUZZ_DIR)/elf.log)"; exit $$rc

# ---- front: tests/graph/compile_test.c uses the public API of libxpu.so ---
$(BUILD)/graph-tests/graph-compile: tests/graph/compile_test.c tests/graph/graph_model.h \
		tests/runtime/rt_test.h $(LIBXPU)
	@mkdir -p $(dir $@)
	$(CC) $(XPU_PROG_CFLAGS) -I$(HARNESS) -Itests/runtime -Wno-unused-parameter \
		-Wno-missing-field-initializers -Wno-sign-compare -o $@ $< $(XPU_PROG_LIBS)
