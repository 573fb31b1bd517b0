#!/bin/sh
# SPDX-License-Identifier: MIT
# The models through ONNX as a test, TAP on stdout: the GPT (xpu-gpt
# --check: device == CPU reference bit for bit for prefill and decode, and
# top-1 agreement with PyTorch fp32 >= 99% in bf16 and 100% in highest
# precision), then the CNN and the digits MLP (xpu-classify: >= 90% held-out
# accuracy, >= 99% top-1 agreement with PyTorch, outputs identical to the CPU
# reference), and the GPT split over 4 XPUs (xpu-gpt-tp: the exact split's
# logits and KV caches bit-identical to one XPU in both precisions;
# Megatron's all-reduce split bit-identical to its CPU reference and within
# its drift bound of one XPU; needs 4 devices: the host backend's fabric,
# or a guest with 4 XPUs, else skipped). Used in the guest (DRM backend, files in /usr) and on the host
# (--host: libxpu's host backend, files in BUILD).
#   xpu-models-test.sh [--host] [BUILD]
host=""
[ "$1" = "--host" ] && { host="--host"; shift; }
if [ -n "${1:-}" ]; then
	bin="$1/bin/" share="$1/share/xpu"
else
	bin="" share=/usr/share/xpu
fi
tag=${host:+host.}
echo "TAP version 13"
echo "1..9"

# 1-6: the GPT's own TAP lines, renumbered and tagged
out=$("${bin}xpu-gpt" $host --check --data "$share/gpt" 2>&1)
rc=$?
echo "$out" | grep -vE "^(ok|not ok|TAP version|1\.\.)" | sed -e 's/^# *//' -e 's/^/# /'
n=0
for name in bf16.prefill_equals_cpu_reference bf16.decode_equals_cpu_reference \
	    bf16.top1_agrees_with_pytorch_fp32 highest.prefill_equals_cpu_reference \
	    highest.decode_equals_cpu_reference highest.top1_agrees_with_pytorch_fp32; do
	n=$((n + 1))
	line=$(echo "$out" | grep -E "^(ok|not ok) [0-9]+ gpt\.$name( |$)")
	note=$(echo "$line" | sed -n 's/^[^#]*\(#.*\)$/ \1/p')
	[ -n "$line" ] || note=" # missing (xpu-gpt exit status $rc)"
	if echo "$line" | grep -q "^ok"; then
		echo "ok $n ${tag}models.gpt.$name$note"
	else
		echo "not ok $n ${tag}models.gpt.$name$note"
	fi
done

# 7-8: the classifiers
for m in cnn digits-onnx; do
	n=$((n + 1))
	d="$share/$m"
	out=$("${bin}xpu-classify" $host "$d/model.xpu" "$d/test.bin" "$d/model.onnx" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/# /'
	acc=$(echo "$out" | sed -n 's/^held-out accuracy: \([0-9]*\)\..*/\1/p')
	agr=$(echo "$out" | sed -n 's/^top-1 agreement with PyTorch fp32: \([0-9]*\)\..*/\1/p')
	if [ $rc = 0 ] && echo "$out" | grep -q "identical to the CPU reference.*: OK" &&
	   [ "${acc:-0}" -ge 90 ] && [ "${agr:-0}" -ge 99 ]; then
		echo "ok $n ${tag}models.$m.accuracy_torch_agreement_and_cpu_reference"
	else
		echo "not ok $n ${tag}models.$m.accuracy_torch_agreement_and_cpu_reference"
	fi
done

# 9: tensor parallelism (4 host chips in a ring, or the guest's XPUs)
n=$((n + 1))
name=models.gpt.tensor_parallel_4_xpus_bit_identical
ndev=4
[ -z "$host" ] && ndev=$(ls /dev/accel 2>/dev/null | wc -l)
if [ "$ndev" -lt 4 ]; then
	echo "ok $n ${tag}$name # SKIP $ndev XPUs (fabric-vm-tests runs it on 4 and 8)"
else
	out=$("${bin}xpu-gpt-tp" $host --precision both --tokens 16 --data "$share/gpt" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/# /'
	if [ $rc = 0 ] && [ "$(echo "$out" | grep -c "4 XPUs vs one: bit-identical$")" = 2 ] &&
	   [ "$(echo "$out" | grep -c "vs its CPU reference .*: bit-identical$")" = 2 ] &&
	   [ "$(echo "$out" | grep -c "^drift: Megatron vs one XPU: .* rows)$")" = 2 ]; then
		echo "ok $n ${tag}$name"
	else
		echo "not ok $n ${tag}$name"
	fi
fi
