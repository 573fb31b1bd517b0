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

if [ -f /run/cmd.sh ]; then
	sh /run/cmd.sh
	rc=$?
else
	echo "xpu-vm: interactive shell; 'poweroff -f' or exit to quit"
	setsid cttyhack sh
	rc=$?
fi
dmesg >/dev/ttyS1
echo "XPU-EXIT=$rc" >/dev/ttyS1
sync
poweroff -f
