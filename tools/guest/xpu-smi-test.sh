#!/bin/sh
# SPDX-License-Identifier: MIT
# xpu-smi-test.sh: xpu-smi and unprivileged access in the guest, as TAP.
# Boot with 2 XPUs, python3 (xpu-vm --python: the JSON is checked with it)
# and the packaged mdev line (--add packaging/udev/xpu.mdev.conf=/etc/xpu.mdev.conf):
#   - devices in index order, in the table and in --json;
#   - every --json sample valid JSON (python3 -m json.tool);
#   - the process list: xpu-busy (every queue of device 0 busy) appears with
#     its name, files, buffers and a growing engine time while its jobs run,
#     its share of the device in loop mode (one tile of N: its jobs share
#     buffers, so they run one at a time), and is gone after it ends;
#   - bad arguments: exit status 2 with a message naming the argument;
#   - /dev/accel/accel* with the udev rule's group and mode (applied with
#     busybox mdev from the packaged line): a user in group xpu opens them,
#     a user outside it gets EACCES, which xpu-smi names.
# shellcheck disable=SC2015,SC2012 # ok/not_ok return 0; ls -ln for modes
n=0 fails=0
tmp=$(mktemp -d)
ok() { n=$((n + 1)); echo "ok $n smi.$1"; }
not_ok() {
	n=$((n + 1)) fails=$((fails + 1))
	echo "not ok $n smi.$1"
	[ -n "$2" ] && printf '%s\n' "$2" | head -25 | sed 's/^/# /'
	return 0
}
echo "TAP version 13"
echo "1..9"

# ---- order ----
out=$(xpu-smi 2>&1)
rows=$(echo "$out" | grep -E '^[0-9]+ ' | awk '{ print $1, $3 }' | tr '\n' ' ')
[ "$rows" = "0 /dev/accel/accel0 1 /dev/accel/accel1 " ] && ok devices_in_index_order ||
	not_ok devices_in_index_order "$out"

xpu-smi --json >"$tmp/one.json" 2>&1
if python3 -m json.tool "$tmp/one.json" >/dev/null 2>"$tmp/err" &&
	python3 - "$tmp/one.json" >"$tmp/err" 2>&1 <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
devs = doc["devices"]
assert [d["index"] for d in devs] == [0, 1], devs
assert [d["node"] for d in devs] == ["/dev/accel/accel0", "/dev/accel/accel1"], devs
for d in devs:
    assert d["queues"] > 0 and d["hbm_bytes"] > 0 and isinstance(d["usage"], dict), d
    assert isinstance(d["processes"], list), d
assert doc["unbound"] == [], doc["unbound"]
EOF
then ok json_valid_and_sorted; else not_ok json_valid_and_sorted "$(cat "$tmp/one.json" "$tmp/err")"; fi

# ---- processes ----
xpu-busy 2000000000 >"$tmp/busy.out" 2>&1 &
busy=$!
i=0
while ! grep -q busy "$tmp/busy.out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
xpu-smi --json -l 0.5 -c 3 >"$tmp/loop.json" 2>&1
text=$(xpu-smi 2>&1)
if python3 - "$tmp/loop.json" "$busy" >"$tmp/err" 2>&1 <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
pid = int(sys.argv[2])
assert len(lines) == 3, "%d samples, not 3" % len(lines)
eng = []
for k, line in enumerate(lines):
    doc = json.loads(line)
    d0, d1 = doc["devices"]
    mine = [p for p in d0["processes"] if p["pid"] == pid]
    assert len(mine) == 1, (pid, d0["processes"])
    p = mine[0]
    assert p["name"] == "xpu-busy" and p["files"] == 1, p
    assert p["hbm_bytes"] == 4096 and p["host_bytes"] == 4096, p
    eng.append(p["engine_ns"])
    if k == 0:
        assert p["engine_share"] is None, p
    else:
        # xpu-busy's jobs share their buffers, so they run one at a time:
        # one tile of the device's queues busy
        share = 1.0 / d0["queues"]
        assert 0.75 * share < p["engine_share"] <= 1.05 * share, p
    assert all(q["pid"] != pid for q in d1["processes"]), d1
    pids = [q["pid"] for q in d0["processes"]]
    assert pids == sorted(pids), pids
assert eng[0] > 0 and eng[0] < eng[1] < eng[2], eng
print("engine ns", eng)
EOF
then ok json_process_list_while_busy; else not_ok json_process_list_while_busy "$(cat "$tmp/loop.json" "$tmp/err")"; fi
echo "$text" | grep -qE "^    $busy +xpu-busy +1 +4 KiB +4 KiB +[0-9.]+ s " &&
	ok text_process_line || not_ok text_process_line "$text"
kill "$busy"
wait "$busy" 2>/dev/null
out=$(xpu-smi --json 2>&1)
echo "$out" | grep -q "\"pid\":$busy," && not_ok process_gone_after_exit "$out" ||
	ok process_gone_after_exit

# ---- bad arguments ----
bad=""
for args in "-l 0" "-l x" "-c -3" "-c" "--bogus"; do
	# shellcheck disable=SC2086 # the words of each case
	msg=$(xpu-smi $args 2>&1 >/dev/null)
	rc=$?
	first=${args%% *}
	[ $rc = 2 ] && echo "$msg" | grep -q -- "$first" || bad="$bad [$args: rc $rc: $msg]"
done
[ -z "$bad" ] && ok bad_arguments_rejected || not_ok bad_arguments_rejected "$bad"

# ---- unprivileged access: the rule's group and mode ----
if [ ! -f /etc/xpu.mdev.conf ]; then
	not_ok group_member_opens "no /etc/xpu.mdev.conf (boot with --add packaging/udev/xpu.mdev.conf=/etc/xpu.mdev.conf)"
	not_ok non_member_denied "no /etc/xpu.mdev.conf"
	not_ok mode_and_group_applied "no /etc/xpu.mdev.conf"
else
	grep -q '^root:' /etc/passwd 2>/dev/null || echo "root:x:0:0::/root:/bin/sh" >>/etc/passwd
	grep -q '^root:' /etc/group 2>/dev/null || echo "root:x:0:" >>/etc/group
	echo "alice:x:1000:1000::/tmp:/bin/sh" >>/etc/passwd
	echo "bob:x:1001:1001::/tmp:/bin/sh" >>/etc/passwd
	printf 'xpu:x:990:alice\nalice:x:1000:\nbob:x:1001:\n' >>/etc/group
	grep -v '^#' /etc/xpu.mdev.conf >>/etc/mdev.conf
	mdev -s
	modes=$(ls -ln /dev/accel | awk '/accel[0-9]/ { print $1, $4 }' | sort -u | tr '\n' ' ')
	[ "$modes" = "crw-rw---- 990 " ] && ok mode_and_group_applied ||
		not_ok mode_and_group_applied "$(ls -ln /dev/accel)"
	out=$(su -s /bin/sh alice -c 'id; xpu-smi' 2>&1)
	rows=$(echo "$out" | grep -E '^[0-9]+ ' | awk '{ print $1, $3 }' | tr '\n' ' ')
	[ "$rows" = "0 /dev/accel/accel0 1 /dev/accel/accel1 " ] && ok group_member_opens ||
		not_ok group_member_opens "$out"
	out=$(su -s /bin/sh bob -c 'id; xpu-smi; cat /dev/accel/accel0' 2>&1)
	echo "$out" | grep -q '^-  .*/dev/accel/accel0: Permission denied (join the xpu group' &&
		echo "$out" | grep -q "cat: can't open '/dev/accel/accel0': Permission denied" &&
		! echo "$out" | grep -qE '^[0-9]+ ' && ok non_member_denied ||
		not_ok non_member_denied "$out"
fi
rm -rf "$tmp"
echo "# smi: $((n - fails)) of $n passed"
[ $fails = 0 ]
