#!/bin/bash
# Fetches Debian's current stable kernel of one flavour (the package
# linux-image-FLAVOUR depends on: amd64, the default, or cloud-amd64, ...) with
# `apt-get download`, unpacks it with `dpkg -x` into the cache, runs depmod on it and
# prints the unpacked tree's path. The tree is reused between runs.
#
# Usage: kernel.sh CACHE_DIR [FLAVOUR]
# Exit status: 0 with the path on stdout; 1 with the reason on stderr.
set -euo pipefail

cache=$1
flavour=${2:-amd64}
mkdir -p "$cache"

# linux-image-6.1.0-57-amd64, not linux-image-6.1.0-57-cloud-amd64: the ABI, then the flavour.
versioned="linux-image-[0-9][0-9.]*-[0-9][0-9]*-$flavour"
# apt-cache exits 100 for a package its lists do not have (a flavour this machine's sources lack,
# or no lists at all): under pipefail that would end the script here with no reason and no fallback.
pkg=$(apt-cache depends "linux-image-$flavour" 2>/dev/null |
        sed -n "s/^ *Depends: \\($versioned\\)\$/\\1/p" | head -n 1) || pkg=""
if [ -z "$pkg" ]; then
        # Offline, or no apt lists: fall back to whatever was unpacked before.
        tree=$(ls -d "$cache"/linux-image-*/ 2>/dev/null | grep -E "/$versioned/\$" | sort -V | tail -n 1) || tree=""
        [ -n "$tree" ] || { echo "apt-cache knows no linux-image-$flavour and nothing is cached" >&2; exit 1; }
        echo "${tree%/}"
        exit 0
fi

tree=$cache/$pkg
if [ ! -e "$tree/.unpacked" ]; then
        debs=$cache/debs
        mkdir -p "$debs"
        if ! ls "$debs/${pkg}_"*.deb >/dev/null 2>&1; then
                (cd "$debs" && apt-get download -q "$pkg" >/dev/null 2>"$debs/download.log") ||
                        { echo "apt-get download $pkg failed: $(tail -n 1 "$debs/download.log")" >&2; exit 1; }
        fi
        rm -rf "$tree"
        dpkg -x "$(ls "$debs/${pkg}_"*.deb | head -n 1)" "$tree"
        # The package ships no modules.dep: the postinst generates it.
        depmod -b "$tree" "$(ls "$tree/lib/modules")"
        touch "$tree/.unpacked"
fi
echo "$tree"
