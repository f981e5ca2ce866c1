#!/bin/bash
# Boots an unpacked Debian kernel under qemu (TCG) with a busybox-static
# initramfs, runs one guest script as root and collects what the script
# writes to /dev/ttyS1 (the console, ttyS0, carries kernel messages).
#
# Usage: boot.sh --kernel TREE --cache DIR [--omit 'mod ...'] [--append ARGS]
#                [--copy /path/binary ...] [--rootfs DIR] --data FILE --console FILE SCRIPT
#
# Copied binaries go to /opt/ia/bin in the guest with the libraries ldd
# names, at their host paths. The guest's busybox sh prefers its own applets
# over PATH, so guest scripts call copied binaries by full path.
# Modules: crypto/, lib/, arch/, the IP and IPsec parts of net/, veth and
# dummy, with their dependency
# closure, minus the omitted modules and everything that depends on them;
# busybox modprobe is /sbin/modprobe, so the kernel autoloads them.
# --rootfs DIR boots DIR, a whole root filesystem with systemd (tests/systemd-guest),
# instead of the busybox one: the modules are added to it, and a unit runs the
# script with sh once the system is up, then powers off.
# Exit status: the script's exit status; 125 when the guest did not finish.
set -euo pipefail

tree="" cache="" omit="" append="" data="" console="" rootfs="" copies=()
while [ $# -gt 0 ]; do
        case $1 in
        --kernel) tree=$2; shift 2 ;;
        --cache) cache=$2; shift 2 ;;
        --omit) omit=$2; shift 2 ;;
        --append) append=$2; shift 2 ;;
        --copy) copies+=("$2"); shift 2 ;;
        --rootfs) rootfs=$2; shift 2 ;;
        --data) data=$2; shift 2 ;;
        --console) console=$2; shift 2 ;;
        --) shift; break ;;
        -*) echo "boot.sh: unknown option $1" >&2; exit 2 ;;
        *) break ;;
        esac
done
[ $# -eq 1 ] && [ -n "$tree" ] && [ -n "$cache" ] && [ -n "$data" ] && [ -n "$console" ] ||
        { echo "boot.sh: usage: see the header of $0" >&2; exit 2; }
script=$1

kver=$(ls "$tree/lib/modules")
moddir=$tree/lib/modules/$kver

# The module archive depends only on the kernel and the omitted set: cache it.
omit_norm=$(for m in $omit; do echo "${m//-/_}"; done | sort -u | tr '\n' ' ')
key=$(echo "$kver|$omit_norm|1" | md5sum | cut -c1-12)
modcpio=$cache/modules-$key.cpio
if [ ! -e "$modcpio" ]; then
        stage=$(mktemp -d "$cache/stage.XXXXXX")
        trap 'rm -rf "$stage"' EXIT
        awk -v omit="$omit_norm" '
                function name(p) { sub(/.*\//, "", p); sub(/\.ko.*/, "", p); gsub(/-/, "_", p); return p }
                BEGIN { n = split(omit, o, " "); for (i = 1; i <= n; i++) omitted[o[i]] = 1 }
                {
                        m = $1; sub(/:$/, "", m); mods[m] = 1; deps[m] = ""
                        for (i = 2; i <= NF; i++) deps[m] = deps[m] " " $i
                        if (m ~ /^kernel\/(crypto|lib|arch)\// ||
                            m ~ /^kernel\/net\/(core|ipv4|ipv6|xfrm|key|sctp|dccp|packet|unix|netlink)\// ||
                            m ~ /^kernel\/drivers\/net\/(veth|dummy)\.ko/) want[m] = 1
                }
                END {
                        do { grew = 0
                                for (m in want) { n = split(deps[m], d, " ")
                                        for (i = 1; i <= n; i++) if (!(d[i] in want)) { want[d[i]] = 1; grew = 1 } }
                        } while (grew)
                        for (m in want) if (name(m) in omitted) drop[m] = 1
                        do { grew = 0
                                for (m in want) if (!(m in drop)) { n = split(deps[m], d, " ")
                                        for (i = 1; i <= n; i++) if (d[i] in drop) { drop[m] = 1; grew = 1; break } }
                        } while (grew)
                        for (m in want) if (!(m in drop)) print m
                }' "$moddir/modules.dep" >"$stage/list"
        (cd "$moddir" && while read -r m; do
                mkdir -p "$stage/lib/modules/$kver/$(dirname "$m")"
                cp "$m" "$stage/lib/modules/$kver/$m"
        done <"$stage/list")
        cp "$moddir"/modules.order "$moddir"/modules.builtin "$moddir"/modules.builtin.modinfo "$stage/lib/modules/$kver/"
        rm "$stage/list"
        depmod -b "$stage" "$kver"
        (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$modcpio.tmp"
        mv "$modcpio.tmp" "$modcpio"
        rm -rf "$stage"
        trap - EXIT
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kernel-matrix.XXXXXX")
trap 'rm -rf "$work"' EXIT
memory=1024 init=/init
if [ -n "$rootfs" ]; then
        # cpio keeps the root's own lib -> usr/lib link and puts the modules under it.
        (cd "$rootfs" && cpio -idm --quiet 2>/dev/null) <"$modcpio"
        cp "$script" "$rootfs/guest.sh"
        cat >"$rootfs/etc/systemd/system/boot-sh-guest.service" <<'UNIT'
[Unit]
Description=boot.sh guest script
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'stty -F /dev/ttyS1 raw -echo; sh /guest.sh >/dev/ttyS1 2>&1; echo "=== guest exit status $? ===" >/dev/ttyS1; sync; systemctl poweroff --force --force'

[Install]
WantedBy=multi-user.target
UNIT
        mkdir -p "$rootfs/etc/systemd/system/multi-user.target.wants"
        ln -sf ../boot-sh-guest.service "$rootfs/etc/systemd/system/multi-user.target.wants/boot-sh-guest.service"
        (cd "$rootfs" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$work/initrd"
        init=/sbin/init memory=2048
else
        root=$work/root
        mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,run,etc,root,opt/ia/bin}
        cp /bin/busybox "$root/bin/busybox"
        for a in $("$root/bin/busybox" --list); do
                [ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
        done
        ln -sf /bin/busybox "$root/sbin/modprobe"
        copy_lib() {
                mkdir -p "$root$(dirname "$1")"
                [ -e "$root$1" ] || cp -L "$1" "$root$1"
        }
        for bin in ${copies[@]+"${copies[@]}"}; do
                cp -L "$bin" "$root/opt/ia/bin/"
                ldd "$bin" | awk '/=> \//{print $3} /^\t\/[^ ]+ \(/{print $1}' | while read -r l; do copy_lib "$l"; done
        done
        printf 'root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n' >"$root/etc/passwd"
        printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
        cp "$script" "$root/guest.sh"
        cat >"$root/init" <<'INIT'
#!/bin/busybox sh
export PATH=/bin:/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
echo /sbin/modprobe >/proc/sys/kernel/modprobe
ip link set lo up
stty -F /dev/ttyS1 raw -echo 2>/dev/null
sh /guest.sh >/dev/ttyS1 2>&1
echo "=== guest exit status $? ===" >/dev/ttyS1
sync
poweroff -f
INIT
        chmod +x "$root/init"
        (cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$work/run.cpio"
        cat "$modcpio" "$work/run.cpio" >"$work/initrd"
fi

: >"$data"
# loglevel=5: a soft lockup's stacks (printed at the default level, 4) reach the console, and
# softlockup_panic ends such a boot there and then (panic=-1 reboots, -no-reboot stops qemu)
# instead of at the timeout. The guest's own dmesg keeps every level either way.
timeout "${KERNEL_MATRIX_TIMEOUT:-480}" qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m "$memory" \
        -display none -no-reboot -nodefaults -monitor none \
        -serial "file:$console" -serial "file:$data" \
        -kernel "$tree/boot/vmlinuz-$kver" -initrd "$work/initrd" \
        -append "console=ttyS0 panic=-1 loglevel=5 softlockup_panic=1 softlockup_all_cpu_backtrace=1 no_timer_check rdinit=$init $append" </dev/null >/dev/null 2>&1 || true
sed -i 's/\r$//' "$data" "$console"
status=$(sed -n 's/.*=== guest exit status \([0-9]*\) ===$/\1/p' "$data" | tail -n 1)
[ -n "$status" ] || exit 125
sed -i 's/=== guest exit status [0-9]* ===$//' "$data"
exit "$status"
