#!/bin/busybox sh
# /init of the MTP test guest: busybox, a few kernel modules, the host's root over 9p.
# The host side (guest.py) writes into WORKDIR/.guest/ before boot:
#   workdir  the work directory's absolute host path (it is shared as the 9p tag "work")
#   env      `export` lines for the command        cmd.sh  the command, run with sh
#   devices  how many MTP devices to wait for     keep    host paths to un-hide, one a line
# and reads back WORKDIR/.guest/rc, the command's exit status. Lines starting with
# "syncgui-guest:" on the console are this script's own.
/bin/busybox --install -s /bin
export PATH=/bin

say() { echo "syncgui-guest: $* (uptime $(cut -d' ' -f1 /proc/uptime) s)"; }
die() {
    echo "syncgui-guest: error: $*"
    sync
    poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r module; do
    insmod "/lib/modules/$module" || die "insmod $module failed"
done </lib/modules/load-order
say "modules loaded"

p9=trans=virtio,version=9p2000.L,msize=262144
# The host's root does not change during a boot: cache=loose halves Python's start-up time.
mount -t 9p -o "$p9,ro,cache=loose" hostroot /mnt/host || die "cannot mount the host's root"
mount -t 9p -o "$p9,cache=mmap" work /mnt/work || die "cannot mount the work directory"
G=/mnt/work/.guest
workdir=$(cat "$G/workdir") || die "no $G/workdir"

mount --bind /mnt/host /newroot || die "cannot bind the host's root"
for dir in tmp run var/tmp; do
    if [ -d "/newroot/$dir" ]; then
        mount -t tmpfs -o mode=1777 tmpfs "/newroot/$dir" || die "cannot mount /$dir"
    fi
done
mount -t proc proc /newroot/proc || die "cannot mount /proc"
mount -t sysfs sysfs /newroot/sys || die "cannot mount /sys"
mount -t devtmpfs devtmpfs /newroot/dev || die "cannot mount /dev"
mkdir -p /newroot/dev/shm && mount -t tmpfs tmpfs /newroot/dev/shm
# Host paths under /tmp, /run or /var/tmp that the command needs (a project or a venv there).
if [ -f "$G/keep" ]; then
    while IFS= read -r path; do
        [ -n "$path" ] || continue
        mkdir -p "/newroot$path" && mount --bind "/mnt/host$path" "/newroot$path" ||
            die "cannot show $path"
    done <"$G/keep"
fi
mkdir -p "/newroot$workdir" && mount --bind /mnt/work "/newroot$workdir" ||
    die "cannot mount the work directory at $workdir"

mtp_devices() {
    n=0
    for dev in /sys/bus/usb/devices/*; do
        if [ "$(cat "$dev/idVendor" 2>/dev/null)" = 46f4 ] &&
            [ "$(cat "$dev/idProduct" 2>/dev/null)" = 0004 ] &&
            [ -n "$(cat "$dev/bConfigurationValue" 2>/dev/null)" ]; then
            n=$((n + 1))
        fi
    done
    echo "$n"
}
want=$(cat "$G/devices" 2>/dev/null || echo 0)
tries=0
while [ "$(mtp_devices)" -lt "$want" ]; do
    tries=$((tries + 1))
    [ "$tries" -le 200 ] || die "$want MTP device(s) expected, $(mtp_devices) enumerated after 20 s"
    sleep 0.1
done
say "$want MTP device(s) ready, command starts"

chroot /newroot /usr/bin/env -i /bin/sh -c \
    '. "$1/.guest/env" && cd "$1" && exec /bin/sh "$1/.guest/cmd.sh"' guest-command "$workdir" \
    </dev/null
rc=$?
say "command exited with $rc"
echo "$rc" >"$G/rc"
sync
poweroff -f
