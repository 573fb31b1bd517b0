#!/bin/busybox sh
# SPDX-License-Identifier: MIT
# Guest init for the XPU VM. Loads the driver, runs /run/cmd.sh (added by
# tools/xpu-vm as a second initramfs), then dumps dmesg and the command's exit
# status on the second serial port (ttyS1) for the launcher and powers off.
/bin/busybox --install -s /bin
export PATH=/usr/bin:/bin:/sbin:/usr/sbin LD_LIBRARY_PATH=/usr/lib
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t debugfs debugfs /sys/kernel/debug
[ -f /run/env.sh ] && . /run/env.sh

echo "xpu-vm: modprobe xpu"
if ! modprobe xpu; then
	echo "xpu-vm: modprobe xpu failed"
fi
dmesg | grep -E '\bxpu\b' | sed 's/^/xpu-vm: dmesg: /'
# An NVMe controller (xpu-vm --nvme, the latency benchmark's reference):
# load its driver and wait (up to 5 s) for the namespace's block device.
if grep -qs '^0x010802' /sys/bus/pci/devices/*/class; then
	modprobe nvme || echo "xpu-vm: modprobe nvme failed"
	for _ in $(seq 50); do [ -b /dev/nvme0n1 ] && break; sleep 0.1; done
	[ -b /dev/nvme0n1 ] || echo "xpu-vm: no /dev/nvme0n1 after loading nvme"
fi
# Host directories shared over virtio-9p (xpu-vm --share, --python): one
# 'TAG OPTIONS PATH' line each in /run/shares; --python also builds the
# view python3 runs in (xpu-pyroot). A share that does not mount fails the
# run: the command would write into the guest's RAM instead.
share_rc=0
if [ -f /run/shares ]; then
	{ modprobe 9pnet_virtio && modprobe 9p; } || echo "xpu-vm: modprobe 9p failed"
	while read -r tag opts path; do
		mkdir -p "$path" && mount -t 9p -o "$opts" "$tag" "$path" ||
			{ echo "xpu-vm: cannot mount the shared directory $tag at $path"; share_rc=1; }
	done </run/shares
	if [ -f /run/python ] && [ $share_rc = 0 ]; then
		xpu-pyroot || { echo "xpu-vm: xpu-pyroot failed"; share_rc=1; }
	fi
fi

if [ $share_rc != 0 ]; then
	rc=1
elif [ -f /run/cmd.sh ]; then
	sh /run/cmd.sh
	rc=$?
else
	echo "xpu-vm: interactive shell; 'poweroff -f' or exit to quit"
	[ -f /run/cwd ] && cd "$(cat /run/cwd)"
	setsid cttyhack sh
	rc=$?
fi
dmesg >/dev/ttyS1
echo "XPU-EXIT=$rc" >/dev/ttyS1
sync
[ -f /run/shares ] && umount -a -r -t 9p 2>/dev/null
poweroff -f
