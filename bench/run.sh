#!/bin/bash
# `make bench` (as root): one table of what an audit costs, next to its peers,
# from one run, with the commit and the date. Rows:
#   - ipsec-audit --quick, the full audit and --passive, the iproute2 script
#     with --quick's API-level checks (bench/iproute2-quick.sh) and libreswan's
#     `ipsec verify` for scale (bench/libreswan-verify.sh), wall and CPU time
#     (user and system, of every process of theirs; the kernel's own threads,
#     such as the crypto manager's, are not counted): BENCH_ROUNDS
#     rounds (default 21), each running all of them once, in an order shuffled each round
#     (BENCH_SEED, default 1), so that the ratios to --quick come from paired runs; medians;
#   - with BENCH_QEMU=1, --quick, the full audit and the iproute2 script in
#     Debian's kernel under qemu, where every datapath flow runs
#     (bench/qemu-audit.sh, with the kernel matrix's boot tools): BENCH_QEMU_ROUNDS
#     paired rounds (default 3), medians;
#   - the live inventory at BENCH_COUNTS (default "1000 100000") SAs and
#     policies (bench/inventory.sh);
#   - D-Bus: GetReport calls/s from 8 clients, next to Peer.Ping (answered by
#     sd-bus itself) on the same private bus and daemon, and the daemon's
#     VmRSS once its first report is made (bench/dbus-load.sh).
# IPSEC_AUDIT, RUSAGE, BUILD_DIR: the binaries (make bench sets them).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
IPSEC_AUDIT=${IPSEC_AUDIT:-$BUILD_DIR/ipsec-audit}
RUSAGE=${RUSAGE:-$BUILD_DIR/bench/rusage}
rounds=${BENCH_ROUNDS:-21}
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (network namespaces)" >&2; exit 77; }
[ -x "$IPSEC_AUDIT" ] && [ -x "$RUSAGE" ] || { echo "bench: build first (IPSEC_AUDIT, RUSAGE)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/ipsec-audit-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# field KEY LINE: the number after KEY= in LINE.
field() { sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" <<<"$2" | head -n 1; }
# median FILE: the median of the numbers in FILE, one a line.
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "" }'; }
# ratio A B: A/B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2fx", a / b }'; }
row() { printf "%-58s %8s %8s %12s %10s\n" "$@"; }

verify_err=$("$here/libreswan-verify.sh" --prepare 2>&1 >/dev/null) && verify=yes || verify=
names=(quick full passive iproute2 verify)
# The order is shuffled each round: an audit's namespaces are torn down by kernel workers after
# it has exited, so whichever command follows it pays part of that. Turning a fixed order by one
# each round did not change who follows whom (the order is a cycle): the full audit always came
# right after --quick and paid for its namespaces.
RANDOM=${BENCH_SEED:-1}
for ((i = 0; i < rounds; i++)); do
        order=("${names[@]}")
        for ((j = ${#order[@]} - 1; j > 0; j--)); do
                k=$((RANDOM % (j + 1)))
                t=${order[j]} order[j]=${order[k]} order[k]=$t
        done
        for name in "${order[@]}"; do
                case $name in
                quick) out=$("$RUSAGE" "$IPSEC_AUDIT" --quick --json 2>/dev/null) ;;
                full) out=$("$RUSAGE" "$IPSEC_AUDIT" --json 2>/dev/null) ;;
                passive) out=$("$RUSAGE" "$IPSEC_AUDIT" --passive --json 2>/dev/null) ;;
                iproute2) out=$("$RUSAGE" "$here/iproute2-quick.sh" 2>/dev/null) ;;
                verify) [ -n "$verify" ] || continue
                        out=$("$RUSAGE" "$here/libreswan-verify.sh" 2>/dev/null) ;;
                esac
                field wall_us "$out" >>"$tmp/$name.us"
                field cpu_us "$out" >>"$tmp/$name.cpuus"
                field maxrss_kb "$out" >>"$tmp/$name.kb"
        done
done
# ms: microseconds over 1000, one decimal: ratios come from the microseconds.
ms() { awk -v us="$1" 'BEGIN { if (us == "") print ""; else printf "%.1f", us / 1000 }'; }
for name in "${names[@]}"; do
        [ -s "$tmp/$name.us" ] || continue
        us=$(median "$tmp/$name.us")
        printf -v "${name}_us" %s "$us"
        printf -v "${name}_ms" %s "$(ms "$us")"
        printf -v "${name}_cpu" %s "$(ms "$(median "$tmp/$name.cpuus")")"
        printf -v "${name}_kb" %s "$(median "$tmp/$name.kb")"
done
checks=$("$here/iproute2-quick.sh")
quick_checks=$("$IPSEC_AUDIT" --quick --json | jq '[.capabilities[].details.checks[]?] | length')

kernel=$(uname -r)
esp=$("$IPSEC_AUDIT" --quick --json | jq -r '.capabilities[] | select(.id == "proto.esp") | .verdict')
echo "ipsec-audit benchmark: commit $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)," \
        "$(date -u +%Y-%m-%dT%H:%MZ), Linux $kernel (proto.esp $esp), $(nproc) cores"
echo "medians of $rounds paired rounds (every command once per round, the order shuffled each round); ratios to --quick from the same rounds"
row "measurement" "wall ms" "cpu ms" "max RSS KiB" "vs --quick"
row "ipsec-audit --quick --json ($quick_checks checks)" "$quick_ms" "$quick_cpu" "$quick_kb" "1.00x"
row "ipsec-audit --json (with the datapath stage)" "$full_ms" "$full_cpu" "$full_kb" "$(ratio "$full_us" "$quick_us")"
row "ipsec-audit --passive --json" "$passive_ms" "$passive_cpu" "$passive_kb" "$(ratio "$passive_us" "$quick_us")"
row "bench/iproute2-quick.sh ($(field checks "$checks") checks, $(field accepted "$checks") accepted)" \
        "$iproute2_ms" "$iproute2_cpu" "$iproute2_kb" "$(ratio "$iproute2_us" "$quick_us")"
if [ -n "$verify" ]; then
        row "libreswan $("$here/libreswan-verify.sh" --version) ipsec verify (for scale)" "$verify_ms" "$verify_cpu" \
                "$verify_kb" "$(ratio "$verify_us" "$quick_us")"
else
        row "libreswan ipsec verify: not run ($verify_err)" "-" "-" "-" "-"
fi
# No schedule of --quick's processes ends before their CPU time over the cores: the bound on the ratio.
cores=$(nproc)
awk -v cpu="$quick_cpu" -v n="$cores" -v ip="$iproute2_us" 'BEGIN { ip /= 1000
        if (cpu > 0) printf "--quick cannot end in less than its cpu ms over %d cores, %.1f ms: at most %.1fx the iproute2 script\n", n, cpu / n, ip / (cpu / n) }'

if [ "${BENCH_QEMU:-}" = 1 ]; then
        # Fewer rounds: the guest has 480 s (boot.sh), and an audit there takes 10-40 s.
        "$here/qemu-audit.sh" "$IPSEC_AUDIT" "$RUSAGE" "${BENCH_QEMU_ROUNDS:-3}" >"$tmp/qemu" 2>"$tmp/qemu.err"
        q() { awk -v k="$1" '$1 == k { print $2 }' "$tmp/qemu"; }
        qk=$(q quick) qf=$(q full) qi=$(q iproute2) qkv=$(q kernel)
        qchecks=$(grep '^iproute2-checks ' "$tmp/qemu")
        if [ -n "$qk" ] && [ -n "$qf" ]; then
                row "qemu TCG, Debian $qkv: --quick ($(q audit-checks) checks)" "$qk" "-" "-" "1.00x"
                row "qemu TCG, Debian $qkv: full audit (every flow runs)" "$qf" "-" "-" "$(ratio "$qf" "$qk")"
                row "qemu TCG: iproute2-quick.sh ($(field checks "$qchecks") checks, $(field accepted "$qchecks") accepted)" \
                        "$qi" "-" "-" "$(ratio "$qi" "$qk")"
        else
                row "qemu: no result ($(tail -n 1 "$tmp/qemu.err"))" "-" "-" "-" "-"
        fi
fi

IPSEC_AUDIT=$IPSEC_AUDIT RUSAGE=$RUSAGE "$here/inventory.sh" ${BENCH_COUNTS:-1000 100000} >"$tmp/inventory" 2>&1
while read -r count kind _ _ audit_ms audit_kb passive_ms passive_kb ip_ms ip_kb; do
        [[ $count =~ ^[0-9]+$ ]] || continue
        row "inventory $count SAs+policies ($kind): whole audit" "$audit_ms" "" "$audit_kb" ""
        row "inventory $count SAs+policies ($kind): --passive" "$passive_ms" "" "$passive_kb" ""
        row "inventory $count: ip -s xfrm state list | wc -l" "$ip_ms" "" "$ip_kb" ""
done <"$tmp/inventory"

if command -v dbus-daemon >/dev/null && command -v gdbus >/dev/null; then
        load=$(BUILD_DIR=$BUILD_DIR "$here/dbus-load.sh" 8 10000 2>/dev/null)
        printf "%-58s %12s\n" "D-Bus, 8 clients, 10,000 calls: GetReport calls/s" "$(field calls_per_s "$load")"
        printf "%-58s %12s\n" "D-Bus, same bus and daemon: Peer.Ping (sd-bus) calls/s" "$(field ping_calls_per_s "$load")"
        printf "%-58s %12s\n" "ipsec-auditd VmRSS KiB, idle after its first report" "$(field daemon_vmrss_kb_start "$load")"
else
        echo "D-Bus rows: not run (dbus-daemon or gdbus missing)"
fi
