# SPDX-License-Identifier: MIT
# Models through the ONNX path (examples/gpt, examples/cnn, digits as ONNX):
# training with python3-torch at build time (cached in $(XPU_CACHE)),
# export, compilation with xpu-cc, the generation demo and its checks.
# Included at the end of runtime/runtime.mk. Add outputs the guest needs to
# MODEL_OUTPUTS (they are added to RUNTIME_OUTPUTS).
#
# Training and export run through examples/cached.sh: their outputs live in
# $(XPU_CACHE)/models/<step>-<hash of the scripts and data>/ and are copied
# into $(BUILD); a fresh build dir (or CI with the cache) reuses them.
#   $(BUILD)/gpt/train/            model.pt, train.log (GPT, ~2 min cold)
#   $(BUILD)/share/xpu/gpt/        prefill.onnx decode.onnx eval.bin export.log,
#                                  {prefill,decode}-{bf16,highest}.xpu
#   $(BUILD)/share/xpu/gpt/tp4/    the GPT cut into per-rank stage graphs for
#                                  4-way tensor parallelism (export_tp.py, xpu-gpt-tp)
#   $(BUILD)/share/xpu/cnn/        model.onnx test.bin model.xpu   (CNN)
#   $(BUILD)/share/xpu/digits-onnx/ model.onnx test.bin model.xpu  (the MLP)
# The .xpu files are compiled for the host backend's default target, which
# is the QEMU device's configuration too.
MODELS_PYTHON := /usr/bin/python3
MODELS_CACHE := $(XPU_CACHE)/models
GPT_SHARE := $(BUILD)/share/xpu/gpt
GPT_TRAIN_INPUTS := examples/gpt/model.py examples/gpt/train.py /usr/share/games/fortunes
GPT_EXPORT_INPUTS := $(GPT_TRAIN_INPUTS) examples/gpt/export.py examples/gpt/onnx_numpy.py
GPT_XPU := $(foreach g,prefill decode,$(foreach p,bf16 highest,$(GPT_SHARE)/$(g)-$(p).xpu))
CLS_INPUTS := examples/cnn/train.py examples/gpt/onnx_numpy.py $(DIGITS_CSV)
CLS_MODELS := $(BUILD)/share/xpu/cnn $(BUILD)/share/xpu/digits-onnx
CLS_FILES := $(foreach d,$(CLS_MODELS),$(d)/model.onnx $(d)/test.bin $(d)/model.xpu)

GPT_TP := $(GPT_SHARE)/tp4/export.log

MODEL_OUTPUTS := $(BUILD)/bin/xpu-gpt $(BUILD)/bin/xpu-gpt-tp $(BUILD)/bin/xpu-classify \
	$(GPT_XPU) $(GPT_SHARE)/eval.bin $(GPT_TP) $(CLS_FILES)

$(BUILD)/gpt/train/model.pt: examples/gpt/model.py examples/gpt/train.py examples/cached.sh
	@examples/cached.sh $(MODELS_CACHE) gpt-train $(dir $@) $(GPT_TRAIN_INPUTS) -- \
		$(MODELS_PYTHON) examples/gpt/train.py
	@tail -1 $(dir $@)train.log

$(GPT_SHARE)/decode.onnx $(GPT_SHARE)/eval.bin: $(GPT_SHARE)/prefill.onnx
$(GPT_SHARE)/prefill.onnx: $(BUILD)/gpt/train/model.pt examples/gpt/export.py \
		examples/gpt/onnx_numpy.py
	@examples/cached.sh $(MODELS_CACHE) gpt-export $(GPT_SHARE) $(GPT_EXPORT_INPUTS) -- \
		$(MODELS_PYTHON) examples/gpt/export.py $(BUILD)/gpt/train >/dev/null
	@cat $(GPT_SHARE)/export.log
	@touch $@ $(GPT_SHARE)/decode.onnx $(GPT_SHARE)/eval.bin

$(GPT_TP): $(GPT_SHARE)/prefill.onnx examples/gpt/export_tp.py examples/cached.sh
	@examples/cached.sh $(MODELS_CACHE) gpt-export-tp $(GPT_SHARE) $(GPT_EXPORT_INPUTS) \
		examples/gpt/export_tp.py -- $(MODELS_PYTHON) examples/gpt/export_tp.py \
		$(BUILD)/gpt/train $(GPT_SHARE) >/dev/null
	@cat $@
	@touch $@

$(GPT_SHARE)/%-bf16.xpu: $(GPT_SHARE)/%.onnx $(BUILD)/bin/xpu-cc
	$(BUILD)/bin/xpu-cc --host --precision bf16 $< -o $@
$(GPT_SHARE)/%-highest.xpu: $(GPT_SHARE)/%.onnx $(BUILD)/bin/xpu-cc
	$(BUILD)/bin/xpu-cc --host --precision highest $< -o $@

# the CNN and the digits MLP, trained by one script
$(foreach d,$(CLS_MODELS),$(d)/test.bin): $(BUILD)/share/xpu/cnn/model.onnx
$(BUILD)/share/xpu/digits-onnx/model.onnx: $(BUILD)/share/xpu/cnn/model.onnx
$(BUILD)/share/xpu/cnn/model.onnx: examples/cnn/train.py examples/gpt/onnx_numpy.py \
		examples/cached.sh $(DIGITS_CSV)
	@examples/cached.sh $(MODELS_CACHE) classifiers $(BUILD)/share/xpu $(CLS_INPUTS) -- \
		$(MODELS_PYTHON) examples/cnn/train.py $(DIGITS_CSV) >/dev/null
	@cat $(BUILD)/share/xpu/classifiers.log
	@touch $(foreach d,$(CLS_MODELS),$(d)/model.onnx $(d)/test.bin)
$(BUILD)/share/xpu/%/model.xpu: $(BUILD)/share/xpu/%/model.onnx $(BUILD)/bin/xpu-cc
	$(BUILD)/bin/xpu-cc --host $< -o $@

$(BUILD)/bin/xpu-gpt: examples/gpt/gpt-generate.c examples/gpt/gpt-eval.h examples/gpt/gpt-vocab.h \
		examples/gpt/model-load.h examples/common/example.h $(LIBXPU)
	@mkdir -p $(dir $@)
	$(CC) $(XPU_PROG_CFLAGS) -o $@ $< $(XPU_PROG_LIBS)
$(BUILD)/bin/xpu-gpt-tp: examples/gpt/gpt-tp.c examples/gpt/gpt-tp-ref.h examples/gpt/gpt-vocab.h examples/common/example.h $(LIBXPU)
	@mkdir -p $(dir $@)
	$(CC) $(XPU_PROG_CFLAGS) -o $@ $< $(XPU_PROG_LIBS)
$(BUILD)/bin/xpu-classify: examples/cnn/classify.c examples/cnn/classify.h examples/cnn/cls-run.h \
		examples/gpt/model-load.h examples/common/example.h $(LIBXPU)
	@mkdir -p $(dir $@)
	$(CC) $(XPU_PROG_CFLAGS) -Iexamples/gpt -o $@ $< $(XPU_PROG_LIBS)

RUNTIME_OUTPUTS += $(MODEL_OUTPUTS)
runtime: $(MODEL_OUTPUTS)
