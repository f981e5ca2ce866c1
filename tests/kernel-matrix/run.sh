#!/bin/bash
# Kernel matrix (TAP): boots Debian's stable kernel under qemu in each
# configuration of ./configs, runs iproute2 and the freshly built audit in
# the guest, and checks the report against ./expect/NAME and against what
# iproute2 could and could not install in the same guest. The guest audits
# three times in one boot: the later reports must repeat the first one's
# verdicts and levels, and no audit may leave an error, a warning splat or a
# line naming it in the kernel log.
#
# Boots run $KERNEL_MATRIX_JOBS at a time (default 2) and are checked in the
# order of ./configs once all have finished. KERNEL_MATRIX_ONLY="NAME ..."
# boots only those configurations (and "auditd" for the daemon's boot).
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
# Kernel trees by flavour, fetched once each; the generic one is needed for anything to run.
declare -A tree_of kver_of fetch_err
fetch_flavour() {
        [ -n "${tree_of[$1]:-}${fetch_err[$1]:-}" ] && return
        if tree_of[$1]=$("$here/kernel.sh" "$KERNEL_MATRIX_CACHE" "$1" 2>"$work/kernel.err" </dev/null); then
                kver_of[$1]=$(ls "${tree_of[$1]}/lib/modules")
                diag "kernel ${kver_of[$1]} from ${tree_of[$1]}"
        else
                fetch_err[$1]=$(cat "$work/kernel.err")
                tree_of[$1]=""
        fi
}
fetch_flavour amd64
[ -n "${tree_of[amd64]}" ] || skip_all "cannot fetch Debian's kernel: ${fetch_err[amd64]}"
tree=${tree_of[amd64]}
out=${KERNEL_MATRIX_OUT:-$PWD/kernel-matrix}
mkdir -p "$out"
rm -f "$out"/*.args "$out"/*.console.lockup # a run before this one's

# read_config LINE: cfg, omit, append and flavour from one line of ./configs:
#   NAME OMIT APPEND... [FLAVOUR]
# A last column without "=" (kernel parameters here are key=value) names the
# Debian kernel flavour (amd64, the default, or cloud-amd64; "-" for the default).
read_config() {
        local -a f
        local n
        read -r -a f <<<"$1"
        n=${#f[@]}
        cfg=${f[0]} omit=${f[1]:--} flavour=amd64
        if [ "$n" -ge 4 ] && [[ ${f[n - 1]} != *=* ]]; then
                [ "${f[n - 1]}" = - ] || flavour=${f[n - 1]}
                n=$((n - 1))
        fi
        append="${f[*]:2:n-2}"
        [ "$omit" = - ] && omit=""
        [ "$append" = - ] && append=""
}
selected() { [ -z "${KERNEL_MATRIX_ONLY:-}" ] || [[ " $KERNEL_MATRIX_ONLY " == *" $1 "* ]]; }

# boot_in_background NAME ARGS...: boot.sh ARGS in the background, at most
# $KERNEL_MATRIX_JOBS at a time; its exit status lands in $out/NAME.status.
jobs_max=${KERNEL_MATRIX_JOBS:-2}
boot_in_background() {
        local name=$1
        shift
        while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
                wait -n
        done
        rm -f "$out/$name.status"
        printf '%q ' "$@" >"$out/$name.args"
        { "$here/boot.sh" "$@" </dev/null; echo $? >"$out/$name.status"; } &
}

# A guest that died of a soft lockup in the kernel's own text patching (udp_destroy_sock
# dropping a static key while another vCPU runs the patched code: under qemu's TCG, two
# audit workers closing UDP encapsulation sockets side by side have livelocked there, twice
# in many runs) is booted once more. Its first console stays, as NAME.console.lockup, and
# the test says so; a second lockup fails as any boot does.
reboot_after_lockup() {
        local name=$1
        grep -q 'BUG: soft lockup' "$out/$name.console" 2>/dev/null && [ "$(boot_status "$name")" -ne 0 ] ||
                return 0
        mv "$out/$name.console" "$out/$name.console.lockup"
        echo "# $name: soft lockup in the guest's kernel ($(grep -m1 -o 'RIP: 0010:[^ ]*' "$out/$name.console.lockup"));" \
                "booted once more; its console: $out/$name.console.lockup"
        eval "set -- $(cat "$out/$name.args")"
        "$here/boot.sh" "$@" </dev/null
        echo $? >"$out/$name.status"
}
boot_status() { cat "$out/$1.status" 2>/dev/null || echo 125; }

# verdict_of KEY REPORT: a capability's verdict, or a section4 field.
verdict_of() {
        case $1 in
        section4) jq -r '.section4.verdict // "absent"' "$2" ;;
        section4.*) jq -r --arg f "${1#section4.}" '.section4[$f] // "absent"' "$2" ;;
        *) jq -r --arg id "$1" '(.capabilities[] | select(.id == $id) | .verdict) // "absent"' "$2" ;;
        esac
}
# api_verdict_of ID REPORT: the verdict of a capability's required variants at level api (every
# configuration check accepted), leaving out what its packets did.
api_verdict_of() {
        jq -r --arg id "$1" '.capabilities[] | select(.id == $id) | [.details.checks[] | select((.datapath | not) and (.optional | not))]
                | group_by(.group) | map(all(.outcome == "accepted")) as $g
                | if ($g | all) then "available" elif ($g | any) then "partial" else "unavailable" end' "$2"
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
# The last answer counts: where the guest has no XFRM netlink, the PF_KEY client's follow iproute2's.
oracle() { awk -v n="$1" '$1 == "oracle" && $2 == n { a = $3 } END { print a }' "$cfg_out.guest"; }

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
        # iproute2 answers for the configuration only: compare the variants the kernel accepted.
        is "$cfg: $id agrees with iproute2 ($2 $a, $3 $b)" "$(api_verdict_of "$id" "$report")" "$want"
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

# host_kept N INSTALL: audit N left the IPComp SA and the policy in the guest's own namespace
# (installed before it as INSTALL) as they were. That namespace stands for the host's.
host_kept() {
        local n=$1 installed
        installed=$(sed -n "s/^host-xfrm-$2 //p" "$cfg_out.guest")
        if [ "${installed:-0}" -eq 0 ]; then
                skip "$cfg: audit $n left the guest's own SAs and policies as they were" \
                        "iproute2 could install neither an SA nor a policy there"
        else
                is "$cfg: audit $n left the guest's own SAs and policies as they were ($installed)" \
                        "$(sed -n "s/^host-state-$n //p" "$cfg_out.guest")" same
                sed -n "s/^host-diff-$n /#   /p" "$cfg_out.guest"
        fi
}

# Every boot first, two at a time; then the checks, in the order of ./configs.
auditd=$(dirname "$IPSEC_AUDIT")/ipsec-auditd
auditd_tools=$(command -v dbus-daemon busctl dbus-monitor | wc -l)
while read -r line; do
        case $line in '' | '#'*) continue ;; esac
        read_config "$line"
        selected "$cfg" || continue
        fetch_flavour "$flavour"
        [ -n "${tree_of[$flavour]}" ] || continue
        boot_in_background "$cfg" --kernel "${tree_of[$flavour]}" --cache "$KERNEL_MATRIX_CACHE" \
                --omit "${omit//,/ }" --append "$append" \
                --copy "$IPSEC_AUDIT" --copy "$(command -v ip)" --copy "$ABS_TOP_BUILDDIR/tests/pfkey-oracle" \
                --data "$out/$cfg.guest" --console "$out/$cfg.console" "$here/guest.sh"
done <"$here/configs"
if [ -x "$auditd" ] && [ "$auditd_tools" -eq 3 ] && selected auditd; then
        boot_in_background auditd --kernel "$tree" --cache "$KERNEL_MATRIX_CACHE" --copy "$auditd" --copy "$IPSEC_AUDIT" \
                --copy "$(command -v dbus-daemon)" --copy "$(command -v busctl)" --copy "$(command -v dbus-monitor)" \
                --data "$out/auditd.guest" --console "$out/auditd.console" "$here/guest-auditd.sh"
fi
wait
for args in "$out"/*.args; do
        [ -e "$args" ] && reboot_after_lockup "$(basename "$args" .args)"
done

# verdicts_levels REPORT: one "ID VERDICT LEVEL" line per capability, then Section 4's verdict.
verdicts_levels() {
        jq -r '(.capabilities[] | "\(.id) \(.verdict) \(.level)"), "section4 \(.section4.verdict)"' "$1" 2>/dev/null
}

while read -r line; do
        case $line in '' | '#'*) continue ;; esac
        read_config "$line"
        selected "$cfg" || continue
        if [ -z "${tree_of[$flavour]}" ]; then
                skip "$cfg: the guest booted and ran the audit" "cannot fetch Debian's $flavour kernel: ${fetch_err[$flavour]}"
                continue
        fi
        kver=${kver_of[$flavour]}
        cfg_out=$out/$cfg
        report=$cfg_out.json
        status=$(boot_status "$cfg")
        if [ "$status" -ne 0 ]; then
                ok 1 "$cfg: the guest booted and ran the audit (boot.sh exit $status)"
                tail -n 20 "$cfg_out.console" "$cfg_out.guest" 2>/dev/null | sed 's/^/#   /'
                # A lockup's first report and the stacks after it: where the kernel was stuck.
                sed -n '/BUG: soft lockup/,$p' "$cfg_out.console" 2>/dev/null | head -n 120 | sed 's/^/#   /'
                continue
        fi
        ok 0 "$cfg: the guest booted and ran the audit"
        sed -n '/^--- report$/,/^--- end$/p' "$cfg_out.guest" | sed '1d;$d' >"$report"
        # expect/NAME may say "audit-exit 3": a configuration where something cannot be measured.
        want_exit=$(awk '$1 == "audit-exit" { print $2 }' "$here/expect/$cfg")
        want_exit=${want_exit:-0}
        is "$cfg: audit exit status (0: every capability measured; 3: some could not be)" \
                "$(sed -n 's/^audit-exit //p' "$cfg_out.guest")" "$want_exit"
        if ! jq -e . "$report" >/dev/null 2>&1; then
                ok 1 "$cfg: the report is JSON"
                sed -n '/^--- stderr$/,/^--- report$/p' "$cfg_out.guest" | sed 's/^/#   /'
                continue
        fi
        is "$cfg: the report is from the guest's kernel" "$(jq -r .host.kernel_release "$report")" "$kver"
        "$IPSEC_AUDIT" --input="$report" --color=never >"$cfg_out.txt" 2>/dev/null
        one_screen "$cfg: the default text report" "$cfg_out.txt"
        verbose_evidence "$cfg" "$report"
        if python3 -c 'import jsonschema' 2>/dev/null; then
                python3 "$TESTS_DIR/validate-report.py" "$ABS_TOP_SRCDIR/schema/report-v1.schema.json" "$report" \
                        >"$cfg_out.schema" 2>&1
                ok $? "$cfg: the report validates against schema/report-v1.schema.json"
                grep -v '^ok ' "$cfg_out.schema" | sed 's/^/#   /'
        else
                skip "$cfg: the report validates against the schema" "python3-jsonschema is not installed"
        fi
        is "$cfg: the audit ran its probes in a private namespace" "$(jq -r .privilege.sandbox "$report")" netns
        # IPv6 off on the guest's own links (sysctl) is a host fact; the probes' namespaces have it on.
        case " $(sed -n 's/^ipv6-host //p' "$cfg_out.guest") " in
        *" all=1 "*) want=net.ipv6.conf.all.disable_ipv6=1 ;;
        *" default=1 "*) want=net.ipv6.conf.default.disable_ipv6=1 ;;
        *) want="" ;;
        esac
        is "$cfg: host.ipv6_off says what the guest's own links have (${want:-IPv6 on or absent})" \
                "$(jq -r .host.ipv6_off "$report")" "$want"
        if grep -q '^no-autoload' "$here/expect/$cfg"; then
                is "$cfg: the audit loaded no module (loading is disabled)" \
                        "$(jq -r '.modules_loaded_by_audit | length' "$report")" 0
        else
                check "$cfg: the audit loaded modules on demand ($(jq -r '.modules_loaded_by_audit | length' "$report"))" \
                        [ "$(jq -r '.modules_loaded_by_audit | length' "$report")" -gt 0 ]
        fi
        left=$(jq -r '.modules_left_loaded[]' "$report" | sort | tr '\n' ' ')
        is "$cfg: it unloaded them again, but for the modules_left_loaded it reports (${left:-none})" \
                "$(sed -n 's/^modules-after //p' "$cfg_out.guest")" \
                "$(echo $(sed -n 's/^modules-before //p' "$cfg_out.guest") $left | tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' ')"
        # Linux 6.1 never lets sctp go once loaded (its per-namespace control sockets hold
        # it: modprobe sctp; rmmod sctp fails with EAGAIN), nor what it uses: its
        # dependencies and the crc32c driver libcrc32c holds.
        pinned=" sctp $(sed -n 's|^kernel/net/sctp/sctp.ko:||p' "${tree_of[$flavour]}/lib/modules/$kver/modules.dep" |
                tr ' ' '\n' | sed 's|.*/||; s|\.ko.*||; s|-|_|g' | tr '\n' ' ') crc32c_intel crc32c_generic "
        # xfrm6_tunnel is never unloaded (its exit flushes every namespace's SAs), nor what it needs.
        pinned="$pinned xfrm6_tunnel $(sed -n 's|^kernel/net/ipv6/xfrm6_tunnel.ko[^:]*:||p' \
                "${tree_of[$flavour]}/lib/modules/$kver/modules.dep" | tr ' ' '\n' | sed 's|.*/||; s|\.ko.*||' |
                tr '\n' ' ') "
        unexpected=$(for m in $left; do case $pinned in *" $m "*) ;; *) echo "$m" ;; esac; done | tr '\n' ' ')
        is "$cfg: nothing left loaded but what sctp pins and xfrm6_tunnel with what it needs" "$unexpected" ""

        # What this configuration must show (expect/NAME), one line each:
        #   ID VERDICT [EVIDENCE-REGEX]   a capability (or section4[.FIELD])
        #   blocked-by ID [IDS]           its blocked_by list, comma-joined
        #   available-groups ID GROUPS    its variants with every check accepted
        #   level ID LEVEL                how the verdict was reached
        #   template-missing ID NAMES     crypto templates it names as missing
        #   audit-exit N / no-autoload    the audits' exit status; the audit could load no module
        #   remedy ID REGEX               its remedy text follows the cause
        #   loads MODULE / not-loads MODULE   modules_loaded_by_audit
        #   profile NAME OUTCOME          ipsec-audit check --profile NAME on this report
        #   rerun-detail ID KEY REGEX     a detail of ID in audits 2 and 3 of the boot
        #   guest KEY VALUE               guest.sh's "KEY VALUE" line: a fact of the guest the
        #                                 configuration's other lines rest on
        for n in 2 3; do
                sed -n "/^--- report $n\$/,/^--- end $n\$/p" "$cfg_out.guest" | sed '1d;$d' >"$report.$n"
        done
        while read -r key want regex; do
                case $key in '' | '#'*) continue ;; esac
                case $key in
                audit-exit | no-autoload) ;; # read above
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
                template-missing)
                        got=$(jq -r --arg id "$want" '.capabilities[] | select(.id == $id) | .details.template_missing // [] | join(",")' "$report")
                        is "$cfg: $want names the missing crypto template" "$got" "$regex"
                        ;;
                remedy)
                        got=$(jq -r --arg id "$want" '.capabilities[] | select(.id == $id) | .remedy.text // ""' "$report")
                        check "$cfg: $want remedy mentions $regex (got: $got)" eval 'echo "$got" | grep -q -- "$regex"'
                        ;;
                profile)
                        got=$(IPSEC_AUDIT_PROFILE_PATH="$here/../../profiles" "$IPSEC_AUDIT" check --profile "$want" \
                                --report "$report" --json | jq -r .outcome)
                        is "$cfg: profile $want" "$got" "$regex"
                        ;;
                rerun-detail)
                        for n in 2 3; do
                                got=$(jq -r --arg id "$want" --arg k "${regex%% *}" \
                                        '.capabilities[] | select(.id == $id) | .details[$k] // [] | if type == "array" then join(", ") else . end' \
                                        "$report.$n" 2>/dev/null)
                                if echo "$got" | grep -Eq -- "${regex#* }"; then
                                        ok 0 "$cfg: audit $n: $want detail ${regex%% *} matches /${regex#* }/"
                                else
                                        ok 1 "$cfg: audit $n: $want detail ${regex%% *} matches /${regex#* }/"
                                        echo "#   got: '$got'"
                                fi
                        done
                        ;;
                guest)
                        is "$cfg: in the guest, $want" "$(sed -n "s/^$want //p" "$cfg_out.guest" | head -n 1)" "$regex"
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
        check "$cfg: the text report has the live inventory" grep -q "^Live inventory" "$cfg_out.inventory.txt"
        if [ -n "$(sed -n 's/^oracle-api //p' "$cfg_out.guest")" ]; then
                # The inventory reads through XFRM netlink only: without it, it says why it has no count.
                is "$cfg: the inventory has no SAD count without XFRM netlink, and says why" \
                        "$(jq -r '"\(.inventory.sad.count) \(.inventory.sad.errno)"' "$cfg_out.inventory-json" 2>/dev/null)" \
                        "null EPROTONOSUPPORT"
        elif [ "$keyed" -eq 0 ] && [ "$(oracle cbc4)$(oracle gcm4)$(oracle ah4)" = "refusedrefusedrefused" ]; then
                skip "$cfg: the inventory counts the keyed SAs" "iproute2 could install no SA in this configuration"
        else
                is "$cfg: the inventory counts the $keyed keyed SAs" \
                        "$(jq -r .inventory.sad.count "$cfg_out.inventory-json" 2>/dev/null)" "$keyed"
        fi
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
        # RFC 8221's two mandatory suites, each in whichever family has ESP.
        either() { [ "$(oracle "$1")" = ok ] || [ "$(oracle "$2")" = ok ]; }
        # Any accepted algorithm, compression too, makes it partial.
        if [ -n "$(sed -n 's/^oracle-api //p' "$cfg_out.guest")" ]; then
                skip "$cfg: crypto.algorithms against iproute2's suites" "iproute2 cannot ask without XFRM netlink"
        else
                if either cbc4 cbc6 && either gcm4 gcm6; then want=available
                elif either cbc4 cbc6 || either gcm4 gcm6 || either comp4 comp6; then want=partial
                else want=unavailable
                fi
                is "$cfg: crypto.algorithms agrees with iproute2's AES-CBC/HMAC-SHA2-256, AES-GCM and deflate SAs" \
                        "$(verdict_of crypto.algorithms "$report")" "$want"
        fi
        expect_bound mode.tunnel tunnel4
        expect_bound mode.beet beet4
        expect_bound natt.udp_encap natt4
        expect_bound sa.multicast mcast4
        expect_bound km.replay_esn esn4
        expect_bound selector.ports ports4
        expect_bound sa.nested nested4
        expect_bound iface.xfrm xfrmi
        expect_bound iface.vti vti

        # iproute2's ESP in ESP after the audits: the kernel needed an inbound policy for the packet
        # between the layers exactly when audit 3 (same modules loaded) says so in its details.
        if [ "$(oracle nested-esp-mid)" = ok ]; then
                nomid=$(oracle nested-esp-nomid)
                listed=$(jq -r '[.capabilities[] | select(.id == "sa.nested") | .details.inbound_policy_between_layers // []
                        | .[] | select(startswith("ESP in ESP IPv4"))] | length' "$report.3" 2>/dev/null)
                is "$cfg: sa.nested's inbound_policy_between_layers agrees with iproute2 (without that policy: $nomid)" \
                        "$listed" "$([ "$nomid" = ok ] && echo 0 || echo 1)"
        else
                skip "$cfg: sa.nested's inbound_policy_between_layers agrees with iproute2" \
                        "iproute2's ESP in ESP was not carried: $(oracle nested-esp-mid)"
        fi

        # The same boot, audited twice more: modules the first audit loaded change no verdict.
        host_kept 1 1
        for n in 2 3; do
                is "$cfg: audit $n exit status" "$(sed -n "s/^audit-exit-$n //p" "$cfg_out.guest")" "$want_exit"
                host_kept "$n" 2
                want=$(verdicts_levels "$report") got=$(verdicts_levels "$report.$n")
                if [ -n "$got" ] && [ "$got" = "$want" ]; then
                        ok 0 "$cfg: audit $n in the same boot repeats audit 1's verdicts and levels"
                else
                        ok 1 "$cfg: audit $n in the same boot repeats audit 1's verdicts and levels"
                        diff <(echo "$want") <(echo "$got") | grep '^[<>]' | sed 's/^/#   /'
                fi
        done

        # The kernel log: a line naming the audit's process (the netlink parser's complaints do), an
        # error (priority 0-3) or a kernel warning splat. Lower-priority notes are the kernel's own
        # (module banners, crypto self-tests, links coming up; under TCG, "hrtimer: interrupt took").
        for tag in 1 2 3 passive-json passive-text; do
                sed -n "/^--- dmesg $tag\$/,/^--- dmesg /p" "$cfg_out.guest" | sed '1d;$d' >"$cfg_out.dmesg-$tag"
                is "$cfg: audit $tag left no error, warning splat or line naming it in the kernel log" \
                        "$(grep -E '^<[0-3]>|ipsec-audit|WARNING:|BUG:|Call Trace' "$cfg_out.dmesg-$tag")" ""
                sed 's/^/# audit '"$tag"' kernel log: /' "$cfg_out.dmesg-$tag"
        done
        if [ -n "$(sed -n 's/^oracle-api //p' "$cfg_out.guest")" ]; then
                expect_pair api.socket_policy socket4 socket6
        fi
done <"$here/configs"

# ipsec-auditd on the full kernel: removing and loading ESP modules (uevents)
# must make it re-audit by itself and announce the change on the bus.
if ! selected auditd; then
        :
elif [ ! -x "$auditd" ] || [ "$auditd_tools" -ne 3 ]; then
        skip "auditd: re-audits on module uevents" "needs ipsec-auditd, dbus-daemon, busctl and dbus-monitor"
else
        guest=$out/auditd.guest
        status=$(boot_status auditd)
        ok "$status" "auditd: the guest booted and ran the daemon (boot.sh exit $status)"
        field() { sed -n "s/^$1 //p" "$guest" | head -n 1; }
        is "auditd: proto.esp available after the first audit" "$(field start)" available
        is "auditd: rmmod esp4 esp6 makes it re-audit: proto.esp unavailable" "$(field after-rmmod)" unavailable
        is "auditd: modprobe esp4 makes it re-audit: proto.esp available" "$(field after-modprobe)" available
        # The first audit's own module events (about 130, all of them remembered) start no
        # second audit: three audits, the first and one for each change, each at rest.
        is "auditd: three audits, none started by an audit's own module events" \
                "$(grep -c '^ipsec-auditd: audit [0-9]* done' "$guest")/$(grep -c 'while audit [0-9]* ran' "$guest")" 3/0
        check "auditd: ReportChanged was emitted for the changes" [ "$(field signals)" -ge 2 ]
        is "auditd: the daemon is still running" "$(field daemon-alive)" yes
        is "auditd: esp4 loaded before an audit stays loaded, and is not the audit's" "$(field absent-control)" "1 0"
        is "auditd: with --absent-module=esp4 (as the daemon passes it), the audit counts it as its own and unloads it" \
                "$(field absent-module)" "0 1"
fi

done_testing
