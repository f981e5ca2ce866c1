# Runs inside the guest (busybox sh, as root): the audit first (so that its
# report lists the modules it loaded), then iproute2, each command in a fresh
# network namespace, as the independent oracle, then the audit twice more in
# the same boot. Output, on the data port: the audit's exit status, "oracle
# NAME ok|refused MESSAGE" lines, then the audit's stderr and JSON report
# between markers, the two later reports, and the kernel log lines each audit
# added ("--- dmesg TAG", raw: each line starts with its <priority>).
IP=/opt/ia/bin/ip
AUDIT=/opt/ia/bin/ipsec-audit
ENC="enc cbc(aes) 0x00112233445566778899aabbccddeeff"
AUTH="auth-trunc hmac(sha256) 0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff 128"
V4="src 192.0.2.1 dst 192.0.2.2"
V6="src 2001:db8::1 dst 2001:db8::2"

oracle() {
        name=$1
        shift
        if msg=$(unshare -n "$IP" "$@" 2>&1); then
                echo "oracle $name ok"
        else
                echo "oracle $name refused $(echo "$msg" | tr '\n' ' ')"
        fi
}

# ESP as the audit judges it: with whichever suite the kernel has (AES-CBC with
# HMAC-SHA2-256, else AES-GCM), so that a missing crypto template is not
# taken for a missing transform.
AEAD="aead rfc4106(gcm(aes)) 0x00112233445566778899aabbccddeeff01020304 128"
oracle_esp() {
        name=$1
        shift
        if unshare -n "$IP" "$@" $ENC $AUTH >/dev/null 2>&1; then
                echo "oracle $name ok"
        else
                oracle "$name" "$@" $AEAD
        fi
}

# audit TAG OUT ARGS...: one audit; the kernel log lines it added go to /tmp/dmesg.TAG.
audit() {
        tag=$1 out=$2
        shift 2
        dmesg -r >/tmp/dmesg.before
        # Probes get 60 s, not 20: under TCG on a busy machine one can take that long.
        "$AUDIT" --timeout=60 "$@" >"$out" 2>/tmp/audit.$tag.err
        status=$?
        dmesg -r | tail -n +$(($(wc -l </tmp/dmesg.before) + 1)) >/tmp/dmesg.$tag
        return $status
}

# The guest's own namespace stands for the host's real IPsec state: an SA and a policy no audit
# may change. The probes work in private namespaces, but loading or unloading a module acts on
# every namespace (xfrm6_tunnel's exit, run when it is unloaded or fails to load, flushes every
# SA). An IPComp SA: its modules are none the expectations say an audit loads (esp4, ah4, ...).
host_state() {
        "$IP" xfrm state list
        "$IP" xfrm policy list
}
host_install() {
        "$IP" xfrm state flush 2>/dev/null
        "$IP" xfrm policy flush 2>/dev/null
        "$IP" xfrm state add src 203.0.113.1 dst 203.0.113.2 proto comp spi 0x4301 mode transport comp deflate \
                2>/dev/null
        "$IP" xfrm policy add src 203.0.113.1/32 dst 203.0.113.2/32 dir out \
                tmpl src 203.0.113.1 dst 203.0.113.2 proto comp mode transport 2>/dev/null
        host_state >/tmp/host.before
        echo "host-xfrm-$1 $(grep -c '^src' /tmp/host.before)"
}
host_check() {
        host_state >/tmp/host.$1
        if cmp -s /tmp/host.before /tmp/host.$1; then
                echo "host-state-$1 same"
        else
                echo "host-state-$1 changed"
                diff /tmp/host.before /tmp/host.$1 | grep -E '^[-+<>][^-+]' | head -n 8 | sed "s/^/host-diff-$1 /"
        fi
}
host_install 1

echo "release $(uname -r)"
# IPv6 as the guest's own interfaces have it and as a namespace like the audit's gets it: boot-time
# net.ipv6.conf.*.disable_ipv6 reaches new namespaces only with net.core.devconf_inherit_init_net set,
# so the audit's IPv6 verdicts can hold for the kernel while the host's interfaces have no IPv6.
ipv6_conf='echo "all=$(cat /proc/sys/net/ipv6/conf/all/disable_ipv6 2>/dev/null || echo none)" \
        "default=$(cat /proc/sys/net/ipv6/conf/default/disable_ipv6 2>/dev/null || echo none)" \
        "lo-inet6=$('"$IP"' -6 addr show dev lo 2>/dev/null | grep -c inet6)"'
echo "ipv6-host $(sh -c "$ipv6_conf")"
echo "ipv6-netns $(unshare -n sh -c "$IP link set lo up; $ipv6_conf")"
echo "devconf-inherit $(cat /proc/sys/net/core/devconf_inherit_init_net 2>/dev/null || echo none)"
# 1 only in a PREEMPT_RT kernel: the rt configuration's premise.
echo "realtime $(cat /sys/kernel/realtime 2>/dev/null || echo 0)"
echo "modules-before $(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
audit 1 /tmp/report.json --json
echo "audit-exit $?"
host_check 1
echo "modules-after $(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
oracle_esp esp4 xfrm state add $V4 proto esp spi 0x100 mode transport
oracle_esp esp6 xfrm state add $V6 proto esp spi 0x100 mode transport
oracle cbc4 xfrm state add $V4 proto esp spi 0x100 mode transport $ENC $AUTH
oracle cbc6 xfrm state add $V6 proto esp spi 0x100 mode transport $ENC $AUTH
oracle gcm4 xfrm state add $V4 proto esp spi 0x100 mode transport $AEAD
oracle gcm6 xfrm state add $V6 proto esp spi 0x100 mode transport $AEAD
oracle ah4 xfrm state add $V4 proto ah spi 0x100 mode transport $AUTH
oracle ah6 xfrm state add $V6 proto ah spi 0x100 mode transport $AUTH
oracle comp4 xfrm state add $V4 proto comp spi 0x100 mode transport comp deflate
oracle comp6 xfrm state add $V6 proto comp spi 0x100 mode transport comp deflate
oracle_esp tunnel4 xfrm state add $V4 proto esp spi 0x100 mode tunnel
oracle_esp beet4 xfrm state add $V4 proto esp spi 0x100 mode beet
oracle_esp natt4 xfrm state add $V4 proto esp spi 0x100 mode tunnel encap espinudp 4500 4500 0.0.0.0
oracle_esp mcast4 xfrm state add src 192.0.2.1 dst 239.1.1.1 proto esp spi 0x100 mode transport
oracle_esp esn4 xfrm state add $V4 proto esp spi 0x100 mode transport replay-window 32 flag esn
oracle ports4 xfrm policy add src 192.0.2.1/32 dst 192.0.2.2/32 proto 6 dport 179 dir out tmpl proto esp mode transport
oracle nested4 xfrm policy add $V4 dir out tmpl proto esp mode transport tmpl src 198.51.100.1 dst 198.51.100.2 proto esp mode tunnel
oracle xfrmi link add ipsec7 type xfrm dev lo if_id 7
oracle vti link add vti7 type vti local 192.0.2.1 remote 192.0.2.2 key 7
# Without XFRM netlink (no xfrm_user) iproute2 cannot ask: an independent
# PF_KEY client (tests/pfkey-oracle.c) answers after it, and its answers count.
if [ -x /opt/ia/bin/pfkey-oracle ] && ! unshare -n "$IP" xfrm state list >/dev/null 2>&1; then
        echo "oracle-api pf_key_v2"
        /opt/ia/bin/pfkey-oracle
fi

# Two more audits in the same boot: modules the first one loaded must not change a verdict, and
# neither may the order the probes run in, nor running them side by side. The second runs them
# one at a time, shuffled, and keeps the modules it loads; the third, with those modules there,
# four at a time, shuffled. (Loading modules, probes run one at a time: two probes autoloading
# one module race, which is why the audit runs them side by side only where nothing autoloads.)
# The guest's own namespace holds the host's real IPsec state again (the oracles' own module
# loads may have flushed it: with ipv6.disable=1, iproute2's ip link add type xfrm does).
host_install 2
export IPSEC_AUDIT_PROBE_SEED=2 IPSEC_AUDIT_PROBE_JOBS=1
audit 2 /tmp/report.2.json --json --keep-modules
echo "audit-exit-2 $?"
host_check 2
export IPSEC_AUDIT_PROBE_SEED=3 IPSEC_AUDIT_PROBE_JOBS=4
audit 3 /tmp/report.3.json --json
echo "audit-exit-3 $?"
host_check 3
unset IPSEC_AUDIT_PROBE_SEED IPSEC_AUDIT_PROBE_JOBS
"$IP" xfrm state flush 2>/dev/null
"$IP" xfrm policy flush 2>/dev/null

# iproute2's own ESP in ESP, built as sa.nested's flow (inner transport ESP inside null-cipher
# tunnel ESP, one way from na to nb), after the audits: by then they have loaded every module
# they load. "oracle nested-esp-nomid ok" when nb's inner SA counted a ping without an inbound
# policy for the ESP packet between the layers; nested-esp-mid, with one.
nested_esp() {
        name=$1 mid=$2 n=0
        $IP netns add na && $IP netns add nb || { echo "oracle $name refused no namespaces"; return; }
        $IP -n na link add va type veth peer name vb netns nb
        $IP -n na link set va up && $IP -n nb link set vb up
        $IP -n na addr add 192.0.2.1/24 dev va && $IP -n na addr add 198.51.100.1/24 dev va
        $IP -n nb addr add 192.0.2.2/24 dev vb && $IP -n nb addr add 198.51.100.2/24 dev vb
        for ns in na nb; do
                $IP -n $ns xfrm state add $V4 proto esp spi 0x100 reqid 0x100 mode transport $ENC $AUTH
                $IP -n $ns xfrm state add src 198.51.100.1 dst 198.51.100.2 proto esp spi 0x101 reqid 0x101 \
                        mode tunnel enc "ecb(cipher_null)" "" $AUTH
        done
        tmpl="tmpl proto esp mode transport reqid 0x100 tmpl src 198.51.100.1 dst 198.51.100.2 proto esp mode tunnel reqid 0x101"
        $IP -n na xfrm policy add src 192.0.2.1/32 dst 192.0.2.2/32 proto 1 dir out $tmpl
        $IP -n nb xfrm policy add src 192.0.2.1/32 dst 192.0.2.2/32 proto 1 dir in $tmpl
        [ "$mid" = mid ] && $IP -n nb xfrm policy add src 192.0.2.1/32 dst 192.0.2.2/32 proto 50 dir in \
                tmpl src 198.51.100.1 dst 198.51.100.2 proto esp mode tunnel reqid 0x101
        $IP netns exec na ping -c 1 -W 2 192.0.2.2 >/dev/null 2>&1
        n=$($IP -n nb -s xfrm state get $V4 proto esp spi 0x100 |
                sed -n 's/^[[:space:]]*[0-9]*(bytes), \([0-9]*\)(packets).*/\1/p' | head -n 1)
        if [ "${n:-0}" -gt 0 ]; then
                echo "oracle $name ok"
        else
                echo "oracle $name refused inner SA counted no packet; $($IP netns exec nb grep -i nopols /proc/net/xfrm_stat)"
        fi
        $IP netns del na
        $IP netns del nb
}
mkdir -p /var/run/netns
nested_esp nested-esp-nomid nomid
nested_esp nested-esp-mid mid

# Someone's link of a kind whose module an audit is to unload: the module stays, and the link.
# --absent-module makes veth and ip_vti the audit's own to unload (as ipsec-auditd passes the
# modules an administrator removed), so no race is needed. First, with no one's veth anywhere,
# veth goes (the control); then an operator's veth pair in a namespace bound under /run/netns
# keeps veth loaded, while ip_vti, whose only links are its own fallback devices (ip_vti0, in
# every namespace), goes.
if modprobe veth 2>/dev/null && $IP netns add op; then
        "$AUDIT" --quick --json --absent-module=veth >/dev/null 2>&1
        control=$(grep -c '^veth ' /proc/modules)
        if modprobe veth && modprobe ip_vti 2>/dev/null && $IP -n op link add op0 type veth peer name op1; then
                "$AUDIT" --quick --json --absent-module=veth --absent-module=ip_vti >/dev/null 2>&1
                echo "links-kept $control $(grep -c '^veth ' /proc/modules) $(grep -c '^ip_vti ' /proc/modules)" \
                        "$($IP -n op link show op0 >/dev/null 2>&1 && echo op0 || echo no-op0)"
        else
                echo "links-kept untested"
        fi
        $IP netns del op
else
        echo "links-kept untested"
fi

echo "--- stderr"
cat /tmp/audit.1.err
echo "--- report"
cat /tmp/report.json
echo "--- end"

# Key material must never leave the audit: keyed SAs in the guest's own
# namespace (the guest is thrown away), then the read-only inventory.
LEAK_ENC=0x6b65792d6c65616b2d746573742d3031
LEAK_AUTH=0x6c65616b2d617574682d6b65792d30326c65616b2d617574682d6b65792d3032
keyed=0
"$IP" xfrm state add $V4 proto esp spi 0x4201 mode transport enc "cbc(aes)" $LEAK_ENC \
        auth-trunc "hmac(sha256)" $LEAK_AUTH 128 2>/dev/null && keyed=$((keyed + 1))
"$IP" xfrm state add $V6 proto esp spi 0x4202 mode tunnel aead "rfc4106(gcm(aes))" ${LEAK_ENC}01020304 128 \
        2>/dev/null && keyed=$((keyed + 1))
"$IP" xfrm state add $V4 proto ah spi 0x4203 mode transport auth-trunc "hmac(sha256)" $LEAK_AUTH 128 \
        2>/dev/null && keyed=$((keyed + 1))
echo "keyed-sas $keyed"
echo "--- ip state"
"$IP" xfrm state list
echo "--- inventory json"
audit passive-json /tmp/inventory.json --passive --json
cat /tmp/inventory.json
echo "--- inventory text"
audit passive-text /tmp/inventory.txt --passive --color=never --verbose
cat /tmp/inventory.txt /tmp/audit.passive-text.err
echo "--- inventory end"
for n in 2 3; do
        echo "--- report $n"
        cat /tmp/report.$n.json
        echo "--- end $n"
done
for tag in 1 2 3 passive-json passive-text; do
        echo "--- dmesg $tag"
        cat /tmp/dmesg.$tag
done
echo "--- dmesg end"
