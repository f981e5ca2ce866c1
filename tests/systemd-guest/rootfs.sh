#!/bin/bash
# Builds a Debian 12 root filesystem from Debian's archive with mmdebstrap
# (variant minbase) plus PACKAGES, by default what tests/systemd-guest boots:
# systemd as PID 1, the system dbus-daemon, udev, kmod and what ipsec-audit
# links against, plus jq and iproute2 for the guest script; "" for a bare
# minbase system (tests/readme.sh). The tarball is cached by its package list
# and reused between runs.
#
# Usage: rootfs.sh CACHE_DIR [PACKAGE,...]
# Exit status: 0 with the tarball's path on stdout; 1 with the reason on stderr.
set -euo pipefail

cache=$1
suite=bookworm
packages=${2-systemd,systemd-sysv,dbus,udev,kmod,iproute2,libmnl0,libjson-c5,libnl-3-200,libnl-route-3-200,jq,procps}
mkdir -p "$cache"
tar=$cache/rootfs-$suite-$(echo "$packages|1" | md5sum | cut -c1-12).tar
if [ ! -s "$tar" ]; then
        mmdebstrap --variant=minbase ${packages:+--include="$packages"} \
                --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
                --dpkgopt='path-exclude=/usr/share/locale/*' \
                "$suite" "$tar.tmp" http://deb.debian.org/debian >"$cache/mmdebstrap.log" 2>&1 ||
                { echo "mmdebstrap failed: $(tail -n 1 "$cache/mmdebstrap.log")" >&2; rm -f "$tar.tmp"; exit 1; }
        mv "$tar.tmp" "$tar"
fi
echo "$tar"
