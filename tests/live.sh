#!/bin/bash
# The host-facing part of the audit against real components, as root, each in a
# throw-away network namespace: a real IKE-port listener (tests/ike-listener),
# a real acquire subscriber (`ip xfrm monitor acquire`), interfaces with
# iproute2 as the oracle, and the live inventory of a namespace whose SPD and
# SAD iproute2 filled (with known keys, which must never appear in a report).
. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root to create network namespaces"
command -v ip >/dev/null || skip_all "iproute2 is not installed"
ip netns add "ipsec-audit-probe-$$" 2>/dev/null || skip_all "cannot create a named network namespace (ip netns add failed)"
ip netns del "ipsec-audit-probe-$$"
LISTENER=${IKE_LISTENER:-$(dirname "$IPSEC_AUDIT")/tests/ike-listener}
[ -x "$LISTENER" ] || skip_all "no tests/ike-listener helper at $LISTENER (build first)"

ns=ipsec-audit-live-$$
pids=()
cleanup() {
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
        wait 2>/dev/null
        ip netns del "$ns" 2>/dev/null
        rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up

# in_ns NAME ARGS...: the audit run inside the test namespace.
in_ns() {
        local name=$1
        shift
        ip netns exec "$ns" "$IPSEC_AUDIT" "$@" >"$work/$name.out" 2>"$work/$name.err"
        echo $? >"$work/$name.rc"
}
cap() { jqr "$1" ".capabilities[] | select(.id == \"$2\") | $3"; }

# --- km.ike_daemon and km.acquire_listener: nothing running yet ---
in_ns empty --json
is "no IKE listener in an empty namespace: unavailable" "$(cap empty km.ike_daemon .verdict)" unavailable
is "the oracle (ss) agrees: no socket on the IKE ports" \
        "$(ip netns exec "$ns" ss -Hlnu 'sport = :500 or sport = :4500' | wc -l)" 0
is "no acquire subscriber in an empty namespace: unavailable" "$(cap empty km.acquire_listener .verdict)" unavailable
check "the evidence says it is a fact about the host" \
        grep -q "a fact about the host" <(cap empty km.ike_daemon .evidence)

# --- a real listener on UDP 500, UDP 4500 (IPv6) and TCP 4500 ---
ip netns exec "$ns" "$LISTENER" >"$work/listener.out" &
lpid=$!
pids+=("$lpid")
for _ in $(seq 50); do grep -q ready "$work/listener.out" 2>/dev/null && break; sleep 0.1; done
check "the stand-in IKE daemon is listening" grep -q ready "$work/listener.out"
in_ns ike --json
is "km.ike_daemon available with a listener" "$(cap ike km.ike_daemon .verdict)" available
is "the listener's sockets are found, with its name and pid" \
        "$(cap ike km.ike_daemon '[.details.checks[] | .group + "=" + .what] | sort | join(",")')" \
        "TCP 4500 IPv4=ike-listener[$lpid] uid 0,UDP 4500 IPv6=ike-listener[$lpid] uid 0,UDP 500 IPv4=ike-listener[$lpid] uid 0"
is "the oracle (ss) lists the same UDP sockets" \
        "$(ip netns exec "$ns" ss -Hlnu 'sport = :500 or sport = :4500' | wc -l)" 2
check "the evidence names the process" grep -q "ike-listener\[$lpid\]" <(cap ike km.ike_daemon .evidence)
in_ns ike-text --verbose
check "the text report names the process" grep -q "ike-listener\[$lpid\]" "$work/ike-text.out"
run_audit host --json
check "the host's own namespace does not see the namespace's listener" \
        test "$(jqr host "[.capabilities[] | select(.id == \"km.ike_daemon\") | .details.checks[] | select(.what | contains(\"[$lpid]\"))] | length")" -eq 0
kill "$lpid"; wait "$lpid" 2>/dev/null

# --- anyone may bind 4500: a listener that cannot install SAs is no IKE daemon (issue 12) ---
# Its name is hostile: it retitles and clears a terminal if printed raw.
hostile=$'\e]0;PWNED\a\e[2J'
cp "$LISTENER" "$work/ike-listener" && chmod 755 "$work" "$work/ike-listener"
ip netns exec "$ns" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
        "$work/ike-listener" --nat-t-only --name="$hostile" >"$work/nobody-listener.out" &
npid=$!
pids+=("$npid")
for _ in $(seq 50); do grep -q ready "$work/nobody-listener.out" 2>/dev/null && break; sleep 0.1; done
check "an unprivileged listener is on UDP and TCP 4500" grep -q ready "$work/nobody-listener.out"
in_ns rogue --json
in_ns rogue-text --color=never --verbose
in_ns rogue-brief --color=never
is "km.ike_daemon: a listener that cannot install SAs is not an IKE daemon" "$(cap rogue km.ike_daemon .verdict)" unavailable
is "its sockets are listed as refused (EPERM), with owner uid 65534" \
        "$(cap rogue km.ike_daemon '[.details.checks[] | .outcome + "/" + .errno + "/" + (.what | sub(".*\\] "; ""))] | unique | join(",")')" \
        "refused/EPERM/uid 65534"
check "the evidence says it is not a key manager" grep -q "Not a key manager" <(cap rogue km.ike_daemon .evidence)
check "the text report carries no raw escape character" bash -c "! grep -q $'\e' '$work/rogue-text.out'"
check "the text report carries no raw BEL character" bash -c "! grep -q $'\a' '$work/rogue-text.out'"
check "the text report shows the name escaped" grep -qF '\x1b]0;PWNED\x07\x1b[2J' "$work/rogue-text.out"
check "the one-screen report carries no raw escape or BEL character" bash -c "! grep -q $'[\e\a]' '$work/rogue-brief.out'"
ip netns exec "$ns" "$LISTENER" --ike-only >"$work/listener2.out" &
lpid=$!
pids+=("$lpid")
for _ in $(seq 50); do grep -q ready "$work/listener2.out" 2>/dev/null && break; sleep 0.1; done
in_ns both --json
is "beside a real daemon (root, CAP_NET_ADMIN), km.ike_daemon is available" "$(cap both km.ike_daemon .verdict)" available
check "the evidence names the daemon and, apart, the stranger" \
        bash -c "grep -q 'by ike-listener\[$lpid\] uid 0.*Not a key manager' <<<\"\$1\"" sh "$(cap both km.ike_daemon .evidence)"
kill "$lpid" "$npid"; wait "$lpid" "$npid" 2>/dev/null

# --- a real acquire subscriber ---
ip netns exec "$ns" ip xfrm monitor acquire >/dev/null &
mpid=$!
pids+=("$mpid")
for _ in $(seq 50); do
        ip netns exec "$ns" awk '$2 == 6 && $4 != "00000000"' /proc/net/netlink | grep -q . && break
        sleep 0.1
done
in_ns acq --json
is "km.acquire_listener available with ip xfrm monitor acquire" "$(cap acq km.acquire_listener .verdict)" available
is "the subscriber is ip, with its pid" "$(cap acq km.acquire_listener '[.details.checks[].what] | join(",")')" "ip[$mpid]"
kill "$mpid"; wait "$mpid" 2>/dev/null
in_ns acq-gone --json
is "and unavailable again once it exits" "$(cap acq-gone km.acquire_listener .verdict)" unavailable

# --- iface.xfrm and iface.vti, with iproute2 as the oracle ---
# iface_oracle TYPE-ARGS...: "ok", or iproute2's error text, in a fresh namespace.
iface_oracle() { unshare -n ip link add ipsa-oracle "$@" 2>&1 && echo ok; }
# iface_check ID GROUP ANSWER
iface_check() {
        local id=$1 group=$2 answer=$3 sel
        sel=".capabilities[] | select(.id == \"$id\") | .details.checks[] | select(.group == \"$group\")"
        case $answer in
        ok) is "$id $group: created and read back, as iproute2 found" "$(jqr empty "$sel | .outcome")" accepted ;;
        *"Unknown device type"*)
                is "$id $group: refused with EOPNOTSUPP, as iproute2 found" \
                        "$(jqr empty "$sel | .outcome + \"/\" + .errno")" refused/EOPNOTSUPP
                is "$id $group: the kernel's extack text is kept" "$(jqr empty "$sel | .extack")" "Unknown device type" ;;
        *) is "$id $group: refused, as iproute2 found ($answer)" "$(jqr empty "$sel | .outcome")" refused ;;
        esac
}
xfrmi=$(iface_oracle type xfrm if_id 7)
vti4=$(iface_oracle type vti local 192.0.2.1 remote 192.0.2.2 key 7)
vti6=$(iface_oracle type vti6 local 2001:db8::1 remote 2001:db8::2 key 7)
diag "iproute2 says: xfrm=$xfrmi vti=$vti4 vti6=$vti6"
iface_check iface.xfrm "xfrm interface" "$xfrmi"
iface_check iface.vti IPv4 "$vti4"
iface_check iface.vti IPv6 "$vti6"
is "iface.xfrm verdict follows the oracle" "$(cap empty iface.xfrm .verdict)" "$([ "$xfrmi" = ok ] && echo available || echo unavailable)"
is "the probe left no interface in the audited namespace" "$(ip -n "$ns" -o link | grep -c ipsa-)" 0

# --- the live inventory ---
KEY_ENC=0x0badc0de11223344556677889900aabb
KEY_AUTH=0x5eed5eed0123456789abcdef0fedcba98765432101234567deadbeefcafef00d
KEY_AEAD=0xfeedfacef00dbabe1357924680acebdf13579bdf
ip -n "$ns" xfrm policy add src 10.1.0.1/32 dst 10.1.0.2/32 proto tcp dport 443 dir out tmpl proto esp mode transport
ip -n "$ns" xfrm policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir fwd tmpl src 10.9.0.1 dst 10.9.0.2 proto esp mode tunnel
ip -n "$ns" -6 xfrm policy add src 2001:db8:5::1 dst 2001:db8:5::2 proto udp sport 500 dir in action block
sas=0
ip -n "$ns" xfrm state add src 10.1.0.1 dst 10.1.0.2 proto esp spi 0x4242 mode transport \
        enc "cbc(aes)" $KEY_ENC auth-trunc "hmac(sha256)" $KEY_AUTH 128 2>/dev/null && sas=$((sas + 1))
ip -n "$ns" -6 xfrm state add src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x4343 mode tunnel \
        aead "rfc4106(gcm(aes))" $KEY_AEAD 128 2>/dev/null && sas=$((sas + 1))
keyed=$sas
# A larval SA (XFRM_MSG_ALLOCSPI) needs no transform: it exists even where ESP does not.
ip -n "$ns" xfrm state allocspi src 10.1.0.5 dst 10.1.0.6 proto esp mode tunnel >/dev/null 2>&1 && sas=$((sas + 1))
diag "SAs installed in the namespace: $sas ($keyed with keys)"
ip -n "$ns" -s -s xfrm state >"$work/sad-before"; ip -n "$ns" -s -s xfrm policy >"$work/spd-before"
in_ns inv --json
in_ns inv-text --verbose
in_ns inv-passive --passive --json
ip -n "$ns" -s -s xfrm state >"$work/sad-after"; ip -n "$ns" -s -s xfrm policy >"$work/spd-after"
is "inventory: SA count is iproute2's" "$(jqr inv .inventory.sad.count)" "$(ip -n "$ns" xfrm state list | grep -c '^src')"
is "inventory: SA count matches our bookkeeping" "$(jqr inv .inventory.sad.count)" "$sas"
is "inventory: GETSADINFO agrees with the dump" "$(jqr inv .inventory.sad.sadinfo.count)" "$sas"
is "inventory: policy count is iproute2's" "$(jqr inv .inventory.spd.count)" "$(ip -n "$ns" xfrm policy list | grep -c '^src')"
is "inventory: policies by direction" "$(jqr inv '.inventory.spd.by_direction | "\(.in)/\(.out)/\(.fwd)"')" 1/1/1
is "inventory: policies by family" "$(jqr inv '.inventory.spd.by_family | "\(.ipv4)/\(.ipv6)"')" 2/1
is "inventory: policies by action" "$(jqr inv '.inventory.spd.by_action | "\(.allow)/\(.block)"')" 2/1
is "inventory: templates by mode" "$(jqr inv '.inventory.spd.templates.by_mode | "\(.transport)/\(.tunnel)"')" 1/1
is "inventory: GETSPDINFO agrees" "$(jqr inv '.inventory.spd.spdinfo | "\(.in)/\(.out)/\(.fwd)"')" 1/1/1
check "inventory: the text report has the section" grep -q "^Live inventory" "$work/inv-text.out"
check "inventory: the text report counts the policies" grep -q "SPD: 3 policies" "$work/inv-text.out"
if [ "$keyed" -gt 0 ]; then
        is "inventory: algorithms in use are named" \
                "$(jqr inv '[.inventory.sad.algorithms[] | .name] | sort | join(",")' | grep -c 'cbc(aes)\|rfc4106')" 1
        # Every output format, every key, as hex in either case and as the raw bytes' hex dump.
        for out in inv.out inv-text.out; do
                for key in $KEY_ENC $KEY_AUTH $KEY_AEAD; do
                        hex=${key#0x}
                        for form in "$hex" "${hex^^}" "${hex:0:16}" "${hex: -16}"; do
                                ! grep -qi -- "$form" "$work/$out" || { ok 1 "no key bytes ($form) in $out"; continue 2; }
                        done
                        ! od -An -tx1 "$work/$out" | tr -d ' \n' | grep -qi "${hex:0:16}" ||
                                { ok 1 "no raw key bytes in $out"; continue; }
                        ok 0 "no byte sequence of key ${hex:0:8}... in $out (hex either case, raw)"
                done
        done
        check "no SPI in any output format" bash -c "! grep -qi '4242\|0x4343' '$work/inv.out' '$work/inv-text.out'"
else
        skip "no key in any output format" "this kernel accepts no keyed SA (ESP is missing); tests/test-inventory covers it"
fi

is "inventory: --passive reads it too" "$(jqr inv-passive .inventory.spd.count)" 3
check "the audits changed no SA they inventoried" cmp -s "$work/sad-before" "$work/sad-after"
check "the audits changed no policy they inventoried" cmp -s "$work/spd-before" "$work/spd-after"

# Without CAP_NET_ADMIN the kernel refuses the dumps: said so, not reported as "no SAs".
mkdir "$work/bin" && cp "$IPSEC_AUDIT" "$work/bin/" && chmod 755 "$work" "$work/bin"
setpriv --reuid=65534 --regid=65534 --clear-groups "$work/bin/ipsec-audit" --passive --json >"$work/nobody.out" 2>/dev/null
is "as nobody, the inventory says EPERM and no count" \
        "$(jqr nobody '[.inventory.sad.errno, .inventory.spd.errno, .inventory.sad.count] | tostring')" '["EPERM","EPERM",null]'

done_testing
