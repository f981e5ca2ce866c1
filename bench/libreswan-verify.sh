#!/bin/bash
# libreswan's `ipsec verify` from Debian, for scale, without installing it:
# the package is fetched with `apt-get download` and unpacked (dpkg -x) under
# $BENCH_CACHE (default /var/cache/ipsec-audit/bench); verify then runs in a
# private mount and network namespace with the package's /usr and /etc laid
# over the host's (overlayfs, read-only). Nothing is installed, no service
# is created, enabled or started, and the host's IPsec state is not touched.
#   libreswan-verify.sh --prepare   fetch and unpack (once); says why not and fails
#   libreswan-verify.sh --version   the package's version
#   libreswan-verify.sh             run `ipsec verify` (its output on stdout)
set -eu
cache=${BENCH_CACHE:-/var/cache/ipsec-audit/bench}
root=$cache/libreswan
case ${1:-} in
--prepare)
        [ -x "$root/usr/sbin/ipsec" ] && exit 0
        mkdir -p "$cache"
        rm -rf "$root" "$cache"/libreswan_*.deb
        (cd "$cache" && apt-get download libreswan >/dev/null 2>&1) ||
                { echo "apt-get download libreswan failed"; exit 1; }
        dpkg -x "$cache"/libreswan_*.deb "$root"
        ;;
--version)
        basename "$cache"/libreswan_*.deb | sed 's/^libreswan_\([^-+]*\).*/\1/'
        ;;
*)
        exec unshare -m -n --propagation private sh -c "
                mount -t overlay overlay -o lowerdir='$root/usr':/usr /usr &&
                mount -t overlay overlay -o lowerdir='$root/etc':/etc /etc &&
                exec /usr/sbin/ipsec verify"
        ;;
esac
