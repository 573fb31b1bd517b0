#!/bin/sh
# SPDX-License-Identifier: MIT
# The post-training quantiser (xpu-quantize) end to end, TAP on stdout, on
# the host backend: the digits MLP and the CNN of examples/cnn/train.py are
# calibrated on training images (tests/quant/make-calib.py: none of the
# held-out ones), quantised to QDQ int8, compiled with xpu-cc --host and run
# over the held-out set on the host backend by quant-run (quant-run.c). Per
# model it asserts that
#   - the compiled int8 graph runs int8 matmuls: xpu-dis shows matmul.i8
#     (the MXU's int8 mode) in at least as many kernels as there are
#     quantised matmuls (all of different shapes here: identical kernels
#     are shared), fewer bf16 matmuls than the float model's binary, which
#     has no matmul.i8;
#   - the device output equals xpu_model_reference_onnx bit for bit, every image;
#   - the int8 held-out accuracy is within 2 percentage points of the float
#     model's (both compiled by xpu-cc, run on the same backend; printed).
# Then bad input: no calibration data, a calibration file whose arrays do
# not match the model's input names or shapes, a file that is no .npz, and
# an op the calibration interpreter does not know each give exit status 1
# and a message naming the problem, and write no output file.
# Exit status 0 when every test passed.
#   quant-test.sh BUILD DIGITS_CSV
set -u
build=$1 csv=$2
bin="$build/bin" share="$build/share/xpu" w="$build/quant-tests"
here=$(dirname "$0")
py=/usr/bin/python3
n=0

fails=0
ok() {	# ok CONDITION-STATUS NAME [NOTE]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n quant.$2${3:+ # $3}"
	else
		echo "not ok $n quant.$2${3:+ # $3}"
		fails=$((fails + 1))
	fi
}

echo "TAP version 13"
echo "1..18"
rm -rf "$w" && mkdir -p "$w"
if ! $py "$here/make-calib.py" "$csv" "$share/digits-onnx/test.bin" "$w" >"$w/calib.log" 2>&1 ||
   ! $py "$here/quant-check.py" models "$w" >>"$w/calib.log" 2>&1; then
	echo "Bail out! test data: $(tail -1 "$w/calib.log")"
	exit 1
fi
sed 's/^/# /' "$w/calib.log"

# model dir, calibration file, number of matmuls the quantiser must convert
for spec in digits-onnx:mlp:2 cnn:cnn:1; do
	m=${spec%%:*} rest=${spec#*:}
	c=${rest%%:*} nmm=${rest#*:}
	d="$share/$m" q="$w/$m.int8.onnx"

	# 1. quantise
	"$bin/xpu-quantize" "$d/model.onnx" --calib "$w/calib-$c.npz" -o "$q" >"$w/$m.quant.log" 2>&1
	rc=$?
	sed 's/^/# /' "$w/$m.quant.log"
	grep -q "^xpu-quantize: .*: $nmm MatMul/Gemm node(s) to int8" "$w/$m.quant.log" && [ -s "$q" ]
	ok $(( rc + $? )) "$m.quantise"

	# 2. compile both (the float one for the baseline)
	"$bin/xpu-cc" --host "$d/model.onnx" -o "$w/$m.float.xpu" >"$w/$m.cc.log" 2>&1 &&
		"$bin/xpu-cc" --host "$q" -o "$w/$m.int8.xpu" >>"$w/$m.cc.log" 2>&1
	rc=$?
	[ $rc = 0 ] || sed 's/^/# /' "$w/$m.cc.log"
	ok $rc "$m.compile"

	# 3. int8 matmuls in the binary
	i8=$("$bin/xpu-dis" "$w/$m.int8.xpu" 2>&1 | grep -c "matmul\.i8")
	bf=$("$bin/xpu-dis" "$w/$m.int8.xpu" 2>&1 | grep -c "matmul\.bf16")
	f8=$("$bin/xpu-dis" "$w/$m.float.xpu" 2>&1 | grep -c "matmul\.i8")
	fb=$("$bin/xpu-dis" "$w/$m.float.xpu" 2>&1 | grep -c "matmul\.bf16")
	echo "# $m: float binary: $fb matmul.bf16, $f8 matmul.i8; int8 binary: $bf matmul.bf16, $i8 matmul.i8"
	[ "$i8" -ge "$nmm" ] && [ "$f8" = 0 ] && [ "$fb" -gt "$bf" ]
	ok $? "$m.runs_int8_matmuls" "$i8 matmul.i8 instructions"

	# 4. device == CPU reference for every image; 5. accuracy
	"$build/quant/quant-run" "$w/$m.float.xpu" "$d/model.onnx" "$d/test.bin" >"$w/$m.float.run" 2>&1
	frc=$?
	"$build/quant/quant-run" "$w/$m.int8.xpu" "$q" "$d/test.bin" >"$w/$m.int8.run" 2>&1
	irc=$?
	sed 's/^/# float: /' "$w/$m.float.run"
	sed 's/^/# int8:  /' "$w/$m.int8.run"
	[ $irc = 0 ] && grep -q "^reference: identical for \([0-9]*\) of \1 images" "$w/$m.int8.run"
	ok $? "$m.int8_equals_cpu_reference"
	fa=$(sed -n 's/^accuracy: \([0-9.]*\)%.*/\1/p' "$w/$m.float.run")
	ia=$(sed -n 's/^accuracy: \([0-9.]*\)%.*/\1/p' "$w/$m.int8.run")
	echo "# $m: held-out accuracy float (bf16 matmuls) ${fa:-?}%, int8 ${ia:-?}%"
	[ $frc = 0 ] && [ -n "$fa" ] && [ -n "$ia" ] &&
		awk -v f="$fa" -v i="$ia" 'BEGIN { d = f - i; if (d < 0) d = -d; exit !(d <= 2.0) }'
	ok $? "$m.int8_accuracy_within_2_points" "float ${fa:-?}% int8 ${ia:-?}%"
done

# bad input: exit status 1, the message names the problem, no output file
expect_error() {	# NAME PATTERN ARGS...
	name=$1 pat=$2
	shift 2
	rm -f "$w/bad.onnx"
	"$bin/xpu-quantize" "$@" -o "$w/bad.onnx" >"$w/bad.out" 2>&1
	rc=$?
	sed 's/^/# /' "$w/bad.out"
	[ $rc = 1 ] && grep -q -- "$pat" "$w/bad.out" && [ ! -e "$w/bad.onnx" ]
	ok $? "error.$name"
}
mlp="$share/digits-onnx/model.onnx"
expect_error no_calibration_data "error: no calibration data" "$mlp"
expect_error calibration_names_mismatch \
	"do not match the model's inputs (input); missing: input; not an input: image" \
	"$mlp" --calib "$w/wrong-name.npz"
expect_error calibration_shape_mismatch "array 'input' has shape \[256, 1, 63\]; input 'input' is \[1x64\]" \
	"$mlp" --calib "$w/wrong-shape.npz"
echo "not a numpy archive" >"$w/text.npz"
expect_error calibration_not_npz "calibration file $w/text.npz is not a numpy .npz archive" \
	"$mlp" --calib "$w/text.npz"

# an op the calibration interpreter does not know
expect_error unsupported_op_names_node \
	"node 'odd_one' (Hardmax): the calibration interpreter does not support" \
	"$w/hardmax.onnx" --calib "$w/hardmax.npz"

# the calibration interpreter computes what PyTorch computed
$py "$here/quant-check.py" interp "$bin/xpu-quantize" "$share"
ok $? interpreter_matches_pytorch

# the other paths: a Constant-node weight, a MatMul of two run-time operands
# (stays float), an opset-11 Gemm with alpha/beta/transB (per-tensor weights)
syn() {	# NAME PATTERN I8 BF16: quantise, compile, count the matmul modes
	name=$1 pat=$2
	"$bin/xpu-quantize" "$w/$name.onnx" --calib "$w/$name.npz" -o "$w/$name.int8.onnx" \
		>"$w/$name.log" 2>&1 &&
		"$bin/xpu-cc" --host "$w/$name.int8.onnx" -o "$w/$name.int8.xpu" >>"$w/$name.log" 2>&1
	rc=$?
	sed 's/^/# /' "$w/$name.log"
	i8=$("$bin/xpu-dis" "$w/$name.int8.xpu" 2>&1 | grep -c "matmul\.i8")
	bf=$("$bin/xpu-dis" "$w/$name.int8.xpu" 2>&1 | grep -c "matmul\.bf16")
	echo "# $name: $i8 matmul.i8, $bf matmul.bf16"
	[ $rc = 0 ] && grep -q -- "$pat" "$w/$name.log" && [ "$i8" = "$3" ] && [ "$bf" = "$4" ]
}
syn syn17 "left in float: node 'mm_act' (MatMul)" 1 2
ok $? synthetic.constant_node_weight_and_float_activation_matmul
syn syn11 "node 'gemm' (Gemm): K=16 N=8.* per tensor" 1 0
ok $? synthetic.opset11_gemm_per_tensor_weights
[ $fails = 0 ]
