#!/bin/bash
# The real binary against the real kernel, as root, with iproute2 as an
# independent oracle: whatever `ip xfrm` can or cannot install in a private
# namespace, the audit must say the same. Nothing here assumes which
# transforms this kernel has.
. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root to create network namespaces"
command -v ip >/dev/null || skip_all "iproute2 is not installed"
unshare -n true 2>/dev/null || skip_all "cannot create a network namespace here (unshare -n failed)"

KEY_ENC=0x00112233445566778899aabbccddeeff
KEY_AUTH=0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff

# oracle FAMILY PROTO: how `ip xfrm state add` fares in a fresh namespace: "ok" or the error text.
oracle() {
        local fam=$1 proto=$2 src dst algs
        if [ "$fam" = 4 ]; then src=192.0.2.1 dst=192.0.2.2; else src=2001:db8::1 dst=2001:db8::2; fi
        case $proto in
        esp) algs="enc cbc(aes) $KEY_ENC auth-trunc hmac(sha256) $KEY_AUTH 128" ;;
        ah) algs="auth-trunc hmac(sha256) $KEY_AUTH 128" ;;
        comp) algs="comp deflate" ;;
        esac
        # shellcheck disable=SC2086
        unshare -n ip xfrm state add src $src dst $dst proto $proto spi 0x1000 mode transport $algs 2>&1 && echo ok
}

# check_outcome ID GROUP ORACLE_ANSWER: the audit's check for GROUP matches iproute2's answer.
check_outcome() {
        local id=$1 group=$2 answer=$3 outcome errno
        outcome=$(jqr root "[.capabilities[] | select(.id == \"$id\") | .details.checks[] | select(.group == \"$group\")][0].outcome")
        errno=$(jqr root "[.capabilities[] | select(.id == \"$id\") | .details.checks[] | select(.group == \"$group\")][0].errno")
        case $answer in
        ok) is "$id $group: accepted, as iproute2 found" "$outcome" accepted ;;
        *"Requested type not found"*) is "$id $group: refused with EPROTONOSUPPORT, as iproute2 found" "$outcome/$errno" refused/EPROTONOSUPPORT ;;
        *) is "$id $group: refused, as iproute2 found ($answer)" "$outcome" refused ;;
        esac
}

verdict() { jqr root ".capabilities[] | select(.id == \"$1\") | .verdict"; }
blocked_by() { jqr root ".capabilities[] | select(.id == \"$1\") | (.blocked_by // []) | join(\",\")"; }

run_audit root --json
check "audit as root exits 0 or 3" test "$(rc root)" -eq 0 -o "$(rc root)" -eq 3
is "active probes ran in a private network namespace" "$(jqr root .privilege.sandbox)" netns
is "api.xfrm_netlink is available at api level" "$(jqr root '.capabilities[] | select(.id == "api.xfrm_netlink") | .verdict + "/" + .level')" available/api

esp4=$(oracle 4 esp) esp6=$(oracle 6 esp) ah4=$(oracle 4 ah) ah6=$(oracle 6 ah) comp4=$(oracle 4 comp)
diag "iproute2 says: esp4=$esp4 esp6=$esp6 ah4=$ah4 ah6=$ah6 comp4=$comp4"
check_outcome proto.esp "ESP IPv4" "$esp4"
check_outcome proto.esp "ESP IPv6" "$esp6"
check_outcome proto.ah "AH IPv4" "$ah4"
check_outcome proto.ah "AH IPv6" "$ah6"
check_outcome proto.ipcomp "IPComp IPv4" "$comp4"

pol=$(unshare -n ip xfrm policy add src 192.0.2.1/32 dst 192.0.2.2/32 proto tcp dport 179 dir out \
        tmpl proto esp mode transport 2>&1 && echo ok)
check_outcome selector.ports "TCP IPv4" "$pol"
[ "$pol" = ok ] && is "selector.ports is available at api level" \
        "$(jqr root '.capabilities[] | select(.id == "selector.ports") | .verdict + "/" + .level')" available/api

# What follows from the transforms, whichever way the oracle went.
if [ "$esp4" != ok ] && [ "$esp6" != ok ]; then
        is "proto.esp unavailable" "$(verdict proto.esp)" unavailable
        is "proto.esp errno" "$(jqr root '.capabilities[] | select(.id == "proto.esp") | .errno')" EPROTONOSUPPORT
        is "proto.esp carries the kernel's extack text" \
                "$(jqr root '.capabilities[] | select(.id == "proto.esp") | .extack')" "Requested type not found"
        for id in natt.udp_encap sa.multicast mode.beet; do
                is "$id unavailable without ESP" "$(verdict "$id")" unavailable
                is "$id blocked by proto.esp" "$(blocked_by "$id")" proto.esp
        done
        if [ "$ah4" != ok ] && [ "$ah6" != ok ]; then
                is "sa.nested unavailable without ESP and AH" "$(verdict sa.nested)" unavailable
                # ESP in ESP decides; AH bundles are optional variants and block nothing.
                is "sa.nested blocked by the mandatory transform" "$(blocked_by sa.nested)" "proto.esp"
                is "section4.ipsec_available unavailable" "$(jqr root .section4.ipsec_available)" unavailable
                is "section4.verdict unavailable" "$(jqr root .section4.verdict)" unavailable
        else
                is "sa.nested partial with AH only" "$(verdict sa.nested)" partial
                is "section4.verdict partial with AH only" "$(jqr root .section4.verdict)" partial
        fi
else
        check "a proto.esp that works is at least partial" test "$(verdict proto.esp)" = available -o "$(verdict proto.esp)" = partial
        [ "$esp4" = ok ] && [ "$esp6" = ok ] && is "natt.udp_encap available with ESP" "$(verdict natt.udp_encap)" available
fi
is "section4.ipsec_available follows the transforms" "$(jqr root .section4.ipsec_available)" \
        "$( { [ "$esp4" = ok ] && [ "$esp6" = ok ]; } || { [ "$ah4" = ok ] && [ "$ah6" = ok ]; } && echo available ||
            { [ "$esp4$esp6$ah4$ah6" != "${esp4//ok/}${esp6//ok/}${ah4//ok/}${ah6//ok/}" ] && echo partial || echo unavailable; } )"

# Issue 6 probes against the same oracle: algorithms, replay/ESN, ESP in TCP, security contexts, PF_KEY.
# xstate ARGS...: `ip xfrm state add src 192.0.2.1 dst 192.0.2.2 ARGS` in a fresh namespace: "ok" or the error.
xstate() { unshare -n ip xfrm state add src 192.0.2.1 dst 192.0.2.2 "$@" 2>&1 && echo ok; }
# check_alg ID GROUP ANSWER: like check_outcome, and a missing algorithm must be ENOSYS.
check_alg() {
        local errno
        case $3 in
        *"algorithm not found"*)
                errno=$(jqr root "[.capabilities[] | select(.id == \"$1\") | .details.checks[] | select(.group == \"$2\")][0].errno")
                is "$1 $2: ENOSYS, as iproute2 found ($3)" "$errno" ENOSYS ;;
        *) check_outcome "$1" "$2" "$3" ;;
        esac
}
ESP_TR="proto esp spi 0x1 mode transport"
check_alg crypto.algorithms ENCR_AES_GCM_16 \
        "$(xstate $ESP_TR aead 'rfc4106(gcm(aes))' 0x00112233445566778899aabbccddeeff00112233 128)"
check_alg crypto.algorithms ENCR_CHACHA20_POLY1305 \
        "$(xstate $ESP_TR aead 'rfc7539esp(chacha20,poly1305)' ${KEY_AUTH}00112233 128)"
check_alg crypto.algorithms AUTH_HMAC_SHA2_256_128 \
        "$(xstate $ESP_TR enc 'cbc(aes)' $KEY_ENC auth-trunc 'hmac(sha256)' $KEY_AUTH 128)"
check_alg crypto.algorithms ENCR_3DES \
        "$(xstate $ESP_TR enc 'cbc(des3_ede)' ${KEY_ENC}0011223344556677 auth-trunc 'hmac(sha256)' $KEY_AUTH 128)"
check_alg crypto.algorithms IPCOMP_DEFLATE "$(xstate proto comp spi 0x1 mode transport comp deflate)"
check_alg crypto.algorithms IPCOMP_LZS "$(xstate proto comp spi 0x1 mode transport comp lzs)"
check_alg crypto.algorithms "ESP without integrity" "$(xstate $ESP_TR enc 'cbc(aes)' $KEY_ENC)"
noint=$(jqr root '.capabilities[] | select(.id == "crypto.algorithms") | .details.confidentiality_only_esp')
if [ "$(xstate $ESP_TR enc 'cbc(aes)' $KEY_ENC)" = ok ]; then
        is "confidentiality-only ESP is flagged as discouraged" "${noint#*discouraged}" ": RFC 5406 Section 3.1)"
else
        check "confidentiality-only ESP is not reported as accepted ($noint)" test "$noint" != "${noint#refused}" -o "$noint" = untried
fi

ESP_SA="$ESP_TR enc cbc(aes) $KEY_ENC auth-trunc hmac(sha256) $KEY_AUTH 128"
# shellcheck disable=SC2086
check_outcome km.replay_esn "replay window IPv4" "$(xstate $ESP_SA replay-window 32)"
# shellcheck disable=SC2086
check_outcome km.replay_esn "ESN IPv4" "$(xstate $ESP_SA replay-window 128 flag esn)"
# shellcheck disable=SC2086
check_outcome natt.tcp_encap IPv4 "$(xstate $ESP_SA encap espintcp 4500 4500 0.0.0.0)"

# A security context survives only where an LSM keeps it: iproute2 shows it as "security context".
ctxpol=$(unshare -n sh -c 'ip xfrm policy add src 192.0.2.1/32 dst 192.0.2.2/32 dir out \
        ctx "system_u:object_r:ipsec_spd_t:s0" tmpl proto esp mode transport && ip xfrm policy' 2>&1)
secctx=$(jqr root '[.capabilities[] | select(.id == "selector.user") | .details.checks[] | select(.group == "security context")][0].outcome')
case $ctxpol in
*"security context"*) is "selector.user keeps XFRMA_SEC_CTX, as iproute2 found" "$secctx" accepted ;;
src*) is "selector.user: XFRMA_SEC_CTX dropped on read-back, as iproute2 found" "$secctx" altered ;;
*) is "selector.user: XFRMA_SEC_CTX refused, as iproute2 found ($ctxpol)" "$secctx" refused ;;
esac
is "selector.user: per-socket policy follows api.socket_policy IPv4" "$secctx/$(jqr root \
        '[.capabilities[] | select(.id == "selector.user") | .details.checks[] | select(.group == "per-socket policy")][0].outcome')" \
        "$secctx/$(jqr root '[.capabilities[] | select(.id == "api.socket_policy") | .details.checks[] | select(.group == "IPv4")][0].outcome')"
is "the selector's user field is reported as not enforced" \
        "$(jqr root '.capabilities[] | select(.id == "selector.user") | .details.selector_user_field | contains("not enforced")')" true

# PF_KEY: the audit's socket autoloads af_key where it exists, and /proc/net/pfkey appears with it.
if [ -e /proc/net/pfkey ]; then
        is "api.pfkey_v2 available where af_key is loaded" "$(verdict api.pfkey_v2)" available
        check "api.pfkey_v2 lists ESP encryption algorithms" test "$(jqr root \
                '.capabilities[] | select(.id == "api.pfkey_v2") | .details.esp_encrypt | length')" -gt 0
else
        is "api.pfkey_v2 unavailable without af_key (no /proc/net/pfkey)" \
                "$(verdict api.pfkey_v2)/$(jqr root '.capabilities[] | select(.id == "api.pfkey_v2") | .errno')" \
                unavailable/EAFNOSUPPORT
fi

# The host's SPD and SAD, byte for byte, around an audit run in that namespace.
ns=ipsec-audit-test-$$
ip netns add "$ns"
trap 'ip netns del "$ns" 2>/dev/null; rm -rf "$work"' EXIT
ip -n "$ns" xfrm policy add src 10.1.0.1/32 dst 10.1.0.2/32 proto tcp dport 443 dir out tmpl proto esp mode transport
ip -n "$ns" xfrm policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir fwd tmpl src 10.9.0.1 dst 10.9.0.2 proto esp mode tunnel
ip -n "$ns" -6 xfrm policy add src 2001:db8:5::1 dst 2001:db8:5::2 proto udp sport 500 dir in priority 7
ip -n "$ns" xfrm state add src 10.1.0.1 dst 10.1.0.2 proto esp spi 0x4242 mode transport \
        enc "cbc(aes)" $KEY_ENC auth-trunc "hmac(sha256)" $KEY_AUTH 128 2>/dev/null &&
        diag "an ESP SA is installed in the test namespace too"
snapshot() {
        {
                ip -n "$ns" -s -s xfrm state
                ip -n "$ns" -s -s xfrm policy
                ip -n "$ns" xfrm state count
                ip -n "$ns" xfrm policy count
                ip -n "$ns" xfrm policy getdefault 2>/dev/null
        } >"$1"
}
snapshot "$work/spd-before"
ip xfrm policy >"$work/host-before"; ip xfrm state >>"$work/host-before"
ip netns exec "$ns" "$IPSEC_AUDIT" --json >"$work/inns.out" 2>/dev/null
snapshot "$work/spd-after"
ip xfrm policy >"$work/host-after"; ip xfrm state >>"$work/host-after"
check "the namespace's SPD and SAD are unchanged by an audit" cmp -s "$work/spd-before" "$work/spd-after"
check "the snapshot holds the policies it should" test "$(grep -c '^src' "$work/spd-before")" -ge 3
check "the host's own SPD and SAD are unchanged" cmp -s "$work/host-before" "$work/host-after"
# (km.* describe the namespace itself, its daemons: they may differ from the host's.)
kernel_verdicts='[.capabilities[] | select(.id | startswith("km.") | not) | .verdict]'
is "the audit inside that namespace reaches the same verdicts" \
        "$(jq -c "$kernel_verdicts" "$work/inns.out")" "$(jqr root "$kernel_verdicts | tostring")"

# An unprivileged user gets the same answers through a user namespace, where the kernel allows one.
mkdir "$work/bin" && cp "$IPSEC_AUDIT" "$work/bin/" && chmod 755 "$work" "$work/bin"
if setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Un true 2>/dev/null; then
        setpriv --reuid=65534 --regid=65534 --clear-groups "$work/bin/ipsec-audit" --json >"$work/nobody.out" 2>/dev/null
        is "as nobody, probes run in a user namespace" "$(jqr nobody .privilege.sandbox)" "userns+netns"
        is "as nobody, the verdicts are root's" "$(jqr nobody '[.capabilities[] | .verdict] | tostring')" \
                "$(jqr root '[.capabilities[] | .verdict] | tostring')"
else
        skip "as nobody, probes run in a user namespace" "unprivileged user namespaces are disabled"
fi

# No namespace at all: a user namespace that forbids further ones, with every capability dropped.
if unshare --user --map-root-user true 2>/dev/null; then
        unshare --user --map-root-user sh -c 'echo 0 >/proc/sys/user/max_user_namespaces &&
                exec setpriv --bounding-set=-all --inh-caps=-all "$0" --json' "$work/bin/ipsec-audit" \
                >"$work/noprivs.out" 2>"$work/noprivs.err"
        echo $? >"$work/noprivs.rc"
        is "without namespaces the audit still completes, exit 3" "$(rc noprivs)" 3
        is "the report says no sandbox could be made" "$(jqr noprivs '.privilege.sandbox + "/" + .privilege.sandbox_errno')" host/EPERM
        is "every active probe is unknown, with the reason" \
                "$(jqr noprivs '[.capabilities[] | select(.id != "api.xfrm_netlink" and (.id | startswith("km.") | not)) | select(.verdict != "unknown" or (.evidence | contains("no private network namespace") | not))] | length')" 0
        is "no guess at Section 4" "$(jqr noprivs .section4.verdict)" unknown
        is "stderr says how much is unknown, in one line" "$(lines noprivs.err)" 1
else
        skip "audit without namespaces" "cannot create a user namespace to drop privileges in"
fi

# IPv6 switched off on the host's links by sysctl: a host fact, not a verdict (the probes' new
# namespaces have it on). A namespace of its own stands for such a host.
if [ -e /proc/sys/net/ipv6 ]; then
        unshare -n sh -c 'sysctl -qw net.ipv6.conf.default.disable_ipv6=1 && exec "$0" --passive --json' \
                "$IPSEC_AUDIT" >"$work/v6off.out" 2>/dev/null
        is "IPv6 off by sysctl is a host fact" "$(jqr v6off .host.ipv6_off)" "net.ipv6.conf.default.disable_ipv6=1"
        unshare -n sh -c 'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 && exec "$0" --passive --color=never' \
                "$IPSEC_AUDIT" >"$work/v6off.txt" 2>/dev/null
        is "the text report says it in one line" \
                "$(grep -c "^IPv6 is off on this host's links: net.ipv6.conf.all.disable_ipv6=1\$" "$work/v6off.txt")" 1
        unshare -n "$IPSEC_AUDIT" --passive --json >"$work/v6on.out" 2>/dev/null
        is "with IPv6 on, nothing to say" "$(jqr v6on .host.ipv6_off)" ""
else
        skip "IPv6 off by sysctl is a host fact" "this kernel has no IPv6 (ipv6.disable=1)"
fi

# An audit leaves no line in the kernel log. Run under a name of its own (the kernel names the
# process by its command), so that lines from other programs on this host are not counted.
if dmesg >/dev/null 2>&1; then
        ln -s "$IPSEC_AUDIT" "$work/ia-log-$$"
        dmesg >"$work/dmesg-before"
        "$work/ia-log-$$" --json >/dev/null 2>&1
        dmesg >"$work/dmesg-after"
        is "an audit leaves no line in the kernel log" \
                "$(diff "$work/dmesg-before" "$work/dmesg-after" | grep "^>.*ia-log-$$")" ""
else
        skip "an audit leaves no line in the kernel log" "dmesg cannot read the kernel log here"
fi

done_testing
