#!/bin/bash
# Kernel matrix (TAP): boots Debian's stable kernel under qemu in each
# configuration of ./configs, runs iproute2 and the freshly built audit in
# the guest, and checks the report against ./expect/NAME and against what
# iproute2 could and could not install in the same guest.
#
# Reports and guest output are kept in $KERNEL_MATRIX_OUT (default
# ./kernel-matrix in the build tree); `make kernel-matrix-fixtures` copies the
# reports to tests/fixtures/reports/. The kernel and module archives are
# cached in $KERNEL_MATRIX_CACHE between runs. KERNEL_MATRIX=skip skips it.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

[ "${KERNEL_MATRIX:-}" = skip ] && skip_all "KERNEL_MATRIX=skip in the environment"
for tool in qemu-system-x86_64 cpio depmod dpkg apt-get; do
        command -v "$tool" >/dev/null ||
                skip_all "$tool is not installed (apt-get install qemu-system-x86 cpio kmod)"
done
ldd /bin/busybox >/dev/null 2>&1 && skip_all "/bin/busybox is not static (apt-get install busybox-static)"
[ -x /bin/busybox ] || skip_all "no /bin/busybox (apt-get install busybox-static)"
if [ -z "${KERNEL_MATRIX_CACHE:-}" ]; then
        if [ "$(id -u)" -eq 0 ]; then
                KERNEL_MATRIX_CACHE=/var/cache/ipsec-audit/kernel-matrix
        else
                KERNEL_MATRIX_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/ipsec-audit/kernel-matrix
        fi
fi
tree=$("$here/kernel.sh" "$KERNEL_MATRIX_CACHE" 2>"$work/kernel.err") ||
        skip_all "cannot fetch Debian's kernel: $(cat "$work/kernel.err")"
kver=$(ls "$tree/lib/modules")
out=${KERNEL_MATRIX_OUT:-$PWD/kernel-matrix}
mkdir -p "$out"
diag "kernel $kver from $tree"

# verdict_of KEY REPORT: a capability's verdict, or a section4 field.
verdict_of() {
        case $1 in
        section4) jq -r '.section4.verdict // "absent"' "$2" ;;
        section4.*) jq -r --arg f "${1#section4.}" '.section4[$f] // "absent"' "$2" ;;
        *) jq -r --arg id "$1" '(.capabilities[] | select(.id == $id) | .verdict) // "absent"' "$2" ;;
        esac
}
evidence_of() {
        jq -r --arg id "$1" '.capabilities[] | select(.id == $id) | .evidence' "$2"
}
# key_windows FILE...: how many 4-byte windows of guest.sh's keys (hex, any
# case) or the ASCII they spell appear in the files.
key_windows() {
        local key i n=0
        for key in 6b65792d6c65616b2d746573742d3031 6c65616b2d617574682d6b65792d30326c65616b2d617574682d6b65792d3032; do
                for i in $(seq 0 2 $((${#key} - 8))); do
                        grep -qi -- "${key:$i:8}" "$@" && n=$((n + 1))
                done
        done
        grep -q -- "key-leak\\|leak-auth" "$@" && n=$((n + 1))
        echo "$n"
}
oracle() { awk -v n="$1" '$1 == "oracle" && $2 == n { print $3 }' "$cfg_out.guest"; }

# The oracle: the verdict iproute2's answers imply for a two-family pair,
# and the bound one answer puts on a capability.
expect_pair() {
        local id=$1 a b want
        a=$(oracle "$2") b=$(oracle "$3")
        case "$a$b" in
        okok) want=available ;;
        ok*|*ok) want=partial ;;
        *) want=unavailable ;;
        esac
        is "$cfg: $id agrees with iproute2 ($2 $a, $3 $b)" "$(verdict_of "$id" "$report")" "$want"
}
expect_bound() {
        local id=$1 got answer
        answer=$(oracle "$2")
        got=$(verdict_of "$id" "$report")
        if [ "$got" = absent ]; then
                skip "$cfg: $id against iproute2's $2" "$id is not in this build's catalogue"
        elif [ "$answer" = ok ]; then
                check "$cfg: $id not unavailable where iproute2's $2 worked (got $got)" [ "$got" != unavailable ]
        else
                check "$cfg: $id not available where iproute2's $2 was refused (got $got)" [ "$got" != available ]
        fi
}

while read -r cfg omit append; do
        case $cfg in '' | '#'*) continue ;; esac
        [ "$omit" = - ] && omit=""
        [ "$append" = - ] && append=""
        cfg_out=$out/$cfg
        report=$cfg_out.json
        "$here/boot.sh" --kernel "$tree" --cache "$KERNEL_MATRIX_CACHE" \
                --omit "${omit//,/ }" --append "$append" \
                --copy "$IPSEC_AUDIT" --copy "$(command -v ip)" \
                --data "$cfg_out.guest" --console "$cfg_out.console" "$here/guest.sh"
        status=$?
        if [ "$status" -ne 0 ]; then
                ok 1 "$cfg: the guest booted and ran the audit (boot.sh exit $status)"
                tail -n 20 "$cfg_out.console" "$cfg_out.guest" 2>/dev/null | sed 's/^/#   /'
                continue
        fi
        ok 0 "$cfg: the guest booted and ran the audit"
        sed -n '/^--- report$/,/^--- end$/p' "$cfg_out.guest" | sed '1d;$d' >"$report"
        is "$cfg: audit exit status (0: every capability measured)" \
                "$(sed -n 's/^audit-exit //p' "$cfg_out.guest")" 0
        if ! jq -e . "$report" >/dev/null 2>&1; then
                ok 1 "$cfg: the report is JSON"
                sed -n '/^--- stderr$/,/^--- report$/p' "$cfg_out.guest" | sed 's/^/#   /'
                continue
        fi
        is "$cfg: the report is from the guest's kernel" "$(jq -r .host.kernel_release "$report")" "$kver"
        is "$cfg: the audit ran its probes in a private namespace" "$(jq -r .privilege.sandbox "$report")" netns
        check "$cfg: the audit loaded modules on demand ($(jq -r '.modules_loaded_by_audit | length' "$report"))" \
                [ "$(jq -r '.modules_loaded_by_audit | length' "$report")" -gt 0 ]
        left=$(jq -r '.modules_left_loaded[]' "$report" | sort | tr '\n' ' ')
        is "$cfg: it unloaded them again, but for the modules_left_loaded it reports (${left:-none})" \
                "$(sed -n 's/^modules-after //p' "$cfg_out.guest")" \
                "$(echo $(sed -n 's/^modules-before //p' "$cfg_out.guest") $left | tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' ')"
        # Linux 6.1 never lets sctp go once loaded (its per-namespace control sockets hold
        # it: modprobe sctp; rmmod sctp fails with EAGAIN), nor what it uses: its
        # dependencies and the crc32c driver libcrc32c holds.
        pinned=" sctp $(sed -n 's|^kernel/net/sctp/sctp.ko:||p' "$tree/lib/modules/$kver/modules.dep" |
                tr ' ' '\n' | sed 's|.*/||; s|\.ko.*||; s|-|_|g' | tr '\n' ' ') crc32c_intel crc32c_generic "
        unexpected=$(for m in $left; do case $pinned in *" $m "*) ;; *) echo "$m" ;; esac; done | tr '\n' ' ')
        is "$cfg: nothing left loaded but what sctp pins" "$unexpected" ""

        # What this configuration must show (expect/NAME), one line each:
        #   ID VERDICT [EVIDENCE-REGEX]   a capability (or section4[.FIELD])
        #   blocked-by ID [IDS]           its blocked_by list, comma-joined
        #   available-groups ID GROUPS    its variants with every check accepted
        #   level ID LEVEL                how the verdict was reached
        #   loads MODULE / not-loads MODULE   modules_loaded_by_audit
        while read -r key want regex; do
                case $key in '' | '#'*) continue ;; esac
                case $key in
                loads)
                        got=$(jq -r --arg m "$want" '[.modules_loaded_by_audit[] | select(. == $m)] | length' "$report")
                        is "$cfg: the audit loaded module $want" "$got" 1
                        ;;
                blocked-by)
                        got=$(jq -r --arg id "$want" '.capabilities[] | select(.id == $id) | .blocked_by // [] | join(",")' "$report")
                        is "$cfg: $want blocked by" "$got" "$regex"
                        ;;
                level)
                        got=$(jq -r --arg id "$want" '(.capabilities[] | select(.id == $id) | .level) // "absent"' "$report")
                        is "$cfg: $want measured at level" "$got" "$regex"
                        ;;
                available-groups)
                        # The variants whose every check was accepted, from details.checks.
                        got=$(jq -r --arg id "$want" '.capabilities[] | select(.id == $id) | .details.checks
                                | group_by(.group) | map(select(all(.outcome == "accepted")) | .[0].group) | sort | join(",")' "$report")
                        is "$cfg: $want available variants" "$got" "$regex"
                        ;;
                not-loads)
                        got=$(jq -r --arg m "$want" '[.modules_loaded_by_audit[] | select(. == $m)] | length' "$report")
                        is "$cfg: module $want was not loaded" "$got" 0
                        ;;
                *)
                        is "$cfg: $key" "$(verdict_of "$key" "$report")" "$want"
                        if [ -n "$regex" ]; then
                                evidence=$(evidence_of "$key" "$report")
                                if echo "$evidence" | grep -Eq -- "$regex"; then
                                        ok 0 "$cfg: $key evidence matches /$regex/"
                                else
                                        ok 1 "$cfg: $key evidence matches /$regex/"
                                        echo "#   evidence: $evidence"
                                fi
                        fi
                        ;;
                esac
        done <"$here/expect/$cfg"

        # The inventory of keyed SAs iproute2 installed in the guest: counted, never a key byte.
        keyed=$(sed -n 's/^keyed-sas //p' "$cfg_out.guest")
        sed -n '/^--- inventory json$/,/^--- inventory text$/p' "$cfg_out.guest" | sed '1d;$d' >"$cfg_out.inventory-json"
        sed -n '/^--- inventory text$/,/^--- inventory end$/p' "$cfg_out.guest" | sed '1d;$d' >"$cfg_out.inventory.txt"
        is "$cfg: the inventory counts the $keyed keyed SAs" \
                "$(jq -r .inventory.sad.count "$cfg_out.inventory-json" 2>/dev/null)" "$keyed"
        if [ "$keyed" -gt 0 ]; then
                sed -n '/^--- ip state$/,/^--- inventory json$/p' "$cfg_out.guest" >"$cfg_out.ip-state"
                check "$cfg: the key detector finds the keys in iproute2's listing" [ "$(key_windows "$cfg_out.ip-state")" -gt 0 ]
                is "$cfg: no key byte in the JSON or text report" \
                        "$(key_windows "$cfg_out.inventory-json" "$cfg_out.inventory.txt")" 0
        else
                skip "$cfg: no key byte in the reports" "the kernel installed no keyed SA"
        fi

        # iproute2, run in the same guest, must agree.
        expect_pair proto.esp esp4 esp6
        expect_pair proto.ah ah4 ah6
        expect_pair proto.ipcomp comp4 comp6
        expect_bound mode.tunnel tunnel4
        expect_bound mode.beet beet4
        expect_bound natt.udp_encap natt4
        expect_bound sa.multicast mcast4
        expect_bound km.replay_esn esn4
        expect_bound selector.ports ports4
        expect_bound sa.nested nested4
        expect_bound iface.xfrm xfrmi
        expect_bound iface.vti vti
done <"$here/configs"

# ipsec-auditd on the full kernel: removing and loading ESP modules (uevents)
# must make it re-audit by itself and announce the change on the bus.
auditd=$(dirname "$IPSEC_AUDIT")/ipsec-auditd
tools=$(command -v dbus-daemon busctl dbus-monitor | wc -l)
if [ ! -x "$auditd" ] || [ "$tools" -ne 3 ]; then
        skip "auditd: re-audits on module uevents" "needs ipsec-auditd, dbus-daemon, busctl and dbus-monitor"
else
        guest=$out/auditd.guest
        "$here/boot.sh" --kernel "$tree" --cache "$KERNEL_MATRIX_CACHE" --copy "$auditd" \
                --copy "$(command -v dbus-daemon)" --copy "$(command -v busctl)" --copy "$(command -v dbus-monitor)" \
                --data "$guest" --console "$out/auditd.console" "$here/guest-auditd.sh"
        status=$?
        ok "$status" "auditd: the guest booted and ran the daemon (boot.sh exit $status)"
        field() { sed -n "s/^$1 //p" "$guest" | head -n 1; }
        is "auditd: proto.esp available after the first audit" "$(field start)" available
        is "auditd: rmmod esp4 esp6 makes it re-audit: proto.esp unavailable" "$(field after-rmmod)" unavailable
        # Known failure, kept visible (TAP TODO: counted as XFAIL, and as XPASS once fixed): the audit
        # that the "add" uevent starts (2 s debounce) still finds no ESP type, while a SIGHUP audit
        # a few seconds later and the CLI do. Cause not found yet; it passed once in five runs
        # after the uevent changes of issue 11.
        tap_n=$((tap_n + 1))
        if [ "$(field after-modprobe)" = available ]; then
                echo "ok $tap_n - auditd: modprobe esp4 makes it re-audit: proto.esp available # TODO race after module add"
        else
                echo "not ok $tap_n - auditd: modprobe esp4 makes it re-audit: proto.esp available # TODO race after module add"
                echo "#   got: '$(field after-modprobe)'"
        fi
        check "auditd: ReportChanged was emitted for the changes" [ "$(field signals)" -ge 2 ]
        is "auditd: the daemon is still running" "$(field daemon-alive)" yes
fi

done_testing
