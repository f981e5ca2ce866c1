# Runs inside the guest (busybox sh, as root): the audit first (so that its
# report lists the modules it loaded), then iproute2, each command in a fresh
# network namespace, as the independent oracle. Output, on the data port: the
# audit's exit status, "oracle NAME ok|refused MESSAGE" lines, then the
# audit's stderr and JSON report between markers.
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

echo "release $(uname -r)"
echo "modules-before $(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
"$AUDIT" --json >/tmp/report.json 2>/tmp/audit.err
echo "audit-exit $?"
echo "modules-after $(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
oracle esp4 xfrm state add $V4 proto esp spi 0x100 mode transport $ENC $AUTH
oracle esp6 xfrm state add $V6 proto esp spi 0x100 mode transport $ENC $AUTH
oracle ah4 xfrm state add $V4 proto ah spi 0x100 mode transport $AUTH
oracle ah6 xfrm state add $V6 proto ah spi 0x100 mode transport $AUTH
oracle comp4 xfrm state add $V4 proto comp spi 0x100 mode transport comp deflate
oracle comp6 xfrm state add $V6 proto comp spi 0x100 mode transport comp deflate
oracle tunnel4 xfrm state add $V4 proto esp spi 0x100 mode tunnel $ENC $AUTH
oracle beet4 xfrm state add $V4 proto esp spi 0x100 mode beet $ENC $AUTH
oracle natt4 xfrm state add $V4 proto esp spi 0x100 mode tunnel $ENC $AUTH encap espinudp 4500 4500 0.0.0.0
oracle mcast4 xfrm state add src 192.0.2.1 dst 239.1.1.1 proto esp spi 0x100 mode transport $ENC $AUTH
oracle esn4 xfrm state add $V4 proto esp spi 0x100 mode transport $ENC $AUTH replay-window 32 flag esn
oracle ports4 xfrm policy add src 192.0.2.1/32 dst 192.0.2.2/32 proto 6 dport 179 dir out tmpl proto esp mode transport
oracle nested4 xfrm policy add $V4 dir out tmpl proto esp mode transport tmpl src 198.51.100.1 dst 198.51.100.2 proto esp mode tunnel
oracle xfrmi link add ipsec7 type xfrm dev lo if_id 7
oracle vti link add vti7 type vti local 192.0.2.1 remote 192.0.2.2 key 7

echo "--- stderr"
cat /tmp/audit.err
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
"$AUDIT" --passive --json 2>/dev/null
echo "--- inventory text"
"$AUDIT" --passive --color=never 2>&1
echo "--- inventory end"
