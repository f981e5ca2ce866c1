#!/bin/bash
# --quick against the full audit in Debian's stable kernel under qemu (TCG),
# where every IPsec module is there and every datapath flow runs: boots one
# guest with the kernel matrix's tools (tests/kernel-matrix/kernel.sh and
# boot.sh, cached in $KERNEL_MATRIX_CACHE) and runs bench/guest-audit.sh there.
# Prints "kernel RELEASE", "quick MS", "full MS" and "iproute2 MS" (bench/iproute2-quick.sh,
# with bash and ip copied in), the medians of ROUNDS paired rounds, and the
# checks each made ("iproute2-checks checks=N accepted=N ...", "audit-checks N").
#   qemu-audit.sh IPSEC_AUDIT RUSAGE ROUNDS
set -eu
here=$(cd "$(dirname "$0")" && pwd)
matrix=$here/../tests/kernel-matrix
cache=${KERNEL_MATRIX_CACHE:-/var/cache/ipsec-audit/kernel-matrix}
tmp=$(mktemp -d /tmp/ipsec-audit-qemu.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
for tool in qemu-system-x86_64 cpio depmod; do
        command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
tree=$("$matrix/kernel.sh" "$cache" amd64)
mkdir -p "$tmp/bin"
cp "$1" "$tmp/bin/ipsec-audit"
cp "$2" "$tmp/bin/rusage"
# The iproute2 script travels inside the guest script: boot.sh copies binaries.
{
        echo "cat >/tmp/iproute2-quick.sh <<'IPROUTE2_QUICK'"
        cat "$here/iproute2-quick.sh"
        echo "IPROUTE2_QUICK"
        sed "s/@ROUNDS@/$3/" "$here/guest-audit.sh"
} >"$tmp/guest.sh"
"$matrix/boot.sh" --kernel "$tree" --cache "$cache" --copy "$tmp/bin/ipsec-audit" --copy "$tmp/bin/rusage" \
        --copy "$(command -v bash)" --copy "$(command -v ip)" \
        --data "$tmp/guest.out" --console "$tmp/console" "$tmp/guest.sh" ||
        { echo "the guest did not finish (boot.sh exit $?)" >&2; exit 1; }
echo "kernel $(ls "$tree/lib/modules")"
for name in quick full iproute2; do
        sed -n "s/^$name wall_ms=\\([0-9]*\\).*/\\1/p" "$tmp/guest.out" | sort -n |
                awk -v n="$name" '{ v[NR] = $1 } END { if (NR) print n, v[int((NR + 1) / 2)] }'
done
grep -a "^iproute2-checks \|^audit-checks " "$tmp/guest.out"
