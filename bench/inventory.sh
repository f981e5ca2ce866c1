#!/bin/bash
# Benchmark of the live inventory (not part of make check): fills a throw-away
# network namespace with N SAs and N policies and compares a whole
# `ipsec-audit --json` run there (wall time, max RSS) with
# `ip -s xfrm state list | wc -l` on the same namespace.
#
# Usage (as root): bench/inventory.sh [COUNT...]     default: 1000 100000
#   IPSEC_AUDIT=path/to/ipsec-audit  RUSAGE=path/to/bench/rusage  (make bench builds it)
#
# SAs: keyed ESP SAs (`ip xfrm state add ... enc cbc(aes) ...`) where the kernel
# has ESP; where it has none (EPROTONOSUPPORT), larval SAs made with
# XFRM_MSG_ALLOCSPI, which need no transform: the dump and its messages are the
# kernel's either way, and the output says which kind was used.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
IPSEC_AUDIT=${IPSEC_AUDIT:-$here/../build/ipsec-audit}
RUSAGE=${RUSAGE:-$here/../build/bench/rusage}
[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces)" >&2; exit 77; }
[ -x "$IPSEC_AUDIT" ] && [ -x "$RUSAGE" ] || { echo "build first: make bench (IPSEC_AUDIT, RUSAGE)" >&2; exit 1; }
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1000 100000)

ns=ipsec-audit-bench-$$
tmp=$(mktemp -d)
trap 'ip netns del "$ns" 2>/dev/null || true; rm -rf "$tmp"' EXIT

# addr I: a distinct IPv4 address for every I below 2^24.
gen() { # gen KIND COUNT
        awk -v kind="$1" -v n="$2" 'BEGIN {
                key = "0x0badc0de112233445566778899aabbcc"
                auth = "0x5eed5eed0123456789abcdef0fedcba98765432101234567deadbeefcafef00d"
                for (i = 0; i < n; i++) {
                        a = sprintf("10.%d.%d.%d", 1 + int(i / 65536), int(i / 256) % 256, i % 256)
                        if (kind == "esp")
                                printf "xfrm state add src 192.0.2.1 dst %s proto esp spi %d mode transport enc cbc(aes) %s auth-trunc hmac(sha256) %s 128\n", a, 4096 + i, key, auth
                        else if (kind == "larval")
                                printf "xfrm state allocspi src 192.0.2.1 dst %s proto esp mode tunnel\n", a
                        else
                                printf "xfrm policy add src 192.0.2.1/32 dst %s/32 dir out tmpl proto esp mode transport\n", a
                }
        }'
}

# audit: the whole audit (every probe, in its own namespaces, plus the inventory);
# passive: --passive, the read-only part (inventory, API and host probes) alone.
printf "%-7s %-7s %9s %9s %9s %9s %10s %10s %9s %9s\n" count sa_kind sad_count spd_count \
        audit_ms audit_kb passive_ms passive_kb ip_s_ms ip_s_kb
for n in "${counts[@]}"; do
        ip netns add "$ns"
        # Larval SAs expire after net.core.xfrm_acq_expires (30 s): long enough to measure.
        ip netns exec "$ns" sysctl -qw net.core.xfrm_acq_expires=86400
        kind=esp
        gen esp 1 >"$tmp/probe"
        ip -n "$ns" -batch "$tmp/probe" >/dev/null 2>&1 || kind=larval
        ip -n "$ns" xfrm state flush
        gen "$kind" "$n" >"$tmp/sa"
        gen policy "$n" >"$tmp/pol"
        ip -n "$ns" -batch "$tmp/sa" >/dev/null
        ip -n "$ns" -batch "$tmp/pol" >/dev/null
        ip netns exec "$ns" "$IPSEC_AUDIT" --json >"$tmp/report.json" || [ $? -eq 3 ]
        sad=$(jq -r .inventory.sad.count "$tmp/report.json")
        spd=$(jq -r .inventory.spd.count "$tmp/report.json")
        audit=$("$RUSAGE" ip netns exec "$ns" "$IPSEC_AUDIT" --json 2>/dev/null)
        passive=$("$RUSAGE" ip netns exec "$ns" "$IPSEC_AUDIT" --passive --json 2>/dev/null)
        list=$("$RUSAGE" ip netns exec "$ns" sh -c 'ip -s xfrm state list | wc -l')
        get() { echo "$1" | sed -n "s/.*$2=\([0-9]*\).*/\1/p"; }
        printf "%-7s %-7s %9s %9s %9s %9s %10s %10s %9s %9s\n" "$n" "$kind" "$sad" "$spd" \
                "$(get "$audit" wall_ms)" "$(get "$audit" maxrss_kb)" "$(get "$passive" wall_ms)" \
                "$(get "$passive" maxrss_kb)" "$(get "$list" wall_ms)" "$(get "$list" maxrss_kb)"
        ip netns del "$ns"
done
