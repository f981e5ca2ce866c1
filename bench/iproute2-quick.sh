#!/bin/bash
# The API-level checks of `ipsec-audit --quick`, made with iproute2 the way a
# careful shell script would: one fresh network namespace per capability
# (unshare -n, as the audit's probes), each SA or policy added with `ip xfrm`
# and read back with `get` (an accepted attribute is not proof: it must come
# back). Prints one line: "checks=N accepted=N refused=N". Run as root; the
# host's own SPD and SAD are never touched.
#
# Covered: SAs of ESP,
# AH and IPComp in transport, tunnel and BEET modes for IPv4 and IPv6; the
# algorithm trials; ESP in UDP and in TCP SAs; replay window and ESN; two-
# template bundles with their inner and outer SAs; port, protocol, bypass and
# multicast policies; xfrm and vti/vti6 interfaces; XFRM netlink itself
# (`ip xfrm state count`, the SAD and SPD info calls).
# Not covered, because iproute2 cannot ask: PF_KEY (socket and SADB_REGISTER),
# socket options (IP_XFRM_POLICY, IPV6_XFRM_POLICY, UDP_ENCAP, the espintcp
# TCP_ULP), security contexts (needs an LSM label), the IKE listener and acquire
# subscriber look-ups (sock_diag, /proc/net/netlink), extended-ACK texts,
# errno names and the modules loaded on demand.
set -u
IP=${IP:-ip}
V4="src 192.0.2.1 dst 192.0.2.2"
V6="src 2001:db8::1 dst 2001:db8::2"
ENC="enc cbc(aes) 0x00112233445566778899aabbccddeeff"
AUTH="auth-trunc hmac(sha256) 0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff 128"
AEAD="aead rfc4106(gcm(aes)) 0x00112233445566778899aabbccddeeff01020304 128"

# Everything below runs inside one namespace per capability: `probe NAME` starts one.
if [ "${1:-}" = --in-namespace ]; then
        shift
        checks=0 accepted=0
        # trial OBJECT KEY ARGS...: `ip xfrm OBJECT add KEY ARGS...`, read back with `get KEY`.
        trial() {
                local object=$1 key=$2
                shift 2
                checks=$((checks + 1))
                "$IP" xfrm "$object" add $key "$@" 2>/dev/null &&
                        "$IP" xfrm "$object" get $key >/dev/null 2>&1 && accepted=$((accepted + 1))
        }
        sa() { trial state "$1 spi $2" "${@:3}"; }     # sa ID SPI ARGS...
        pol() { trial policy "$1 dir $2" "${@:3}"; }   # pol SELECTOR DIR ARGS...
        link() {
                checks=$((checks + 1))
                "$IP" link add "$@" 2>/dev/null && "$IP" link show "$2" >/dev/null 2>&1 && accepted=$((accepted + 1))
        }
        for fam in V4 V6; do
                ids=${!fam}
                case $1 in
                netlink)
                        [ $fam = V6 ] && continue
                        for what in "state count" "state list" "policy count"; do
                                checks=$((checks + 1))
                                "$IP" xfrm $what >/dev/null 2>&1 && accepted=$((accepted + 1))
                        done ;;
                esp) sa "$ids proto esp" 0x100 mode transport $ENC $AUTH ;;
                ah) sa "$ids proto ah" 0x100 mode transport $AUTH ;;
                comp) sa "$ids proto comp" 0x100 mode transport comp deflate ;;
                natt)
                        sa "$ids proto esp" 0x100 mode tunnel $ENC $AUTH encap espinudp 4500 4500 0.0.0.0
                        sa "$ids proto esp" 0x101 mode tunnel $ENC $AUTH encap espintcp 4500 4500 0.0.0.0 ;;
                crypto)
                        [ $fam = V6 ] && continue
                        for aead in "rfc4106(gcm(aes)) 0x00112233445566778899aabbccddeeff01020304 128" \
                                "rfc7539esp(chacha20,poly1305) 0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff01020304 128" \
                                "rfc4309(ccm(aes)) 0x00112233445566778899aabbccddeeff010203 128" \
                                "rfc4543(gcm(aes)) 0x00112233445566778899aabbccddeeff01020304 128"; do
                                sa "$ids proto esp" 0x$((100 + checks)) mode transport aead $aead
                        done
                        for enc in "rfc3686(ctr(aes)) 0x00112233445566778899aabbccddeeff01020304" \
                                "cbc(des3_ede) 0x00112233445566778899aabbccddeeff0011223344556677" \
                                "cbc(camellia) 0x00112233445566778899aabbccddeeff" "ecb(cipher_null)"; do
                                read -r name key <<<"$enc"
                                sa "$ids proto esp" 0x$((100 + checks)) mode transport enc "$name" "$key" $AUTH
                        done
                        for auth in "hmac(sha256) 0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff 128" \
                                "hmac(sha1) 0x00112233445566778899aabbccddeeff00112233 96" \
                                "hmac(sha384) 0x$(printf '%096d' 0) 192" "hmac(sha512) 0x$(printf '%0128d' 0) 256" \
                                "xcbc(aes) 0x00112233445566778899aabbccddeeff 96" \
                                "cmac(aes) 0x00112233445566778899aabbccddeeff 96" \
                                "hmac(md5) 0x00112233445566778899aabbccddeeff 96"; do
                                sa "$ids proto esp" 0x$((100 + checks)) mode transport $ENC auth-trunc $auth
                        done
                        for comp in deflate lzs lzjh; do
                                sa "$ids proto comp" 0x$((100 + checks)) mode transport comp $comp
                        done
                        sa "$ids proto esp" 0x$((100 + checks)) mode transport $ENC ;;
                modes)
                        sa "$ids proto esp" 0x100 mode transport $ENC $AUTH
                        sa "$ids proto ah" 0x100 mode transport $AUTH
                        sa "$ids proto esp" 0x101 mode tunnel $ENC $AUTH
                        sa "$ids proto ah" 0x101 mode tunnel $AUTH
                        sa "$ids proto esp" 0x102 mode beet $ENC $AUTH ;;
                replay)
                        sa "$ids proto esp" 0x100 mode transport $ENC $AUTH replay-window 32
                        sa "$ids proto esp" 0x101 mode transport $ENC $AUTH replay-window 128 flag esn ;;
                nested)
                        if [ $fam = V4 ]; then o="src 198.51.100.1 dst 198.51.100.2" s="192.0.2.1/32" d="192.0.2.2/32"
                        else o="src 2001:db8:1::1 dst 2001:db8:1::2" s="2001:db8::1/128" d="2001:db8::2/128"; fi
                        n=0
                        for pair in "esp esp" "ah esp" "ah ah"; do
                                read -r inner outer <<<"$pair"
                                n=$((n + 1))
                                pol "src $s dst $d proto $((16 + n))" out tmpl $ids proto $inner mode transport \
                                        tmpl $o proto $outer mode tunnel
                                [ $inner = esp ] && sa "$ids proto esp" 0x10$n mode transport $ENC $AUTH ||
                                        sa "$ids proto ah" 0x10$n mode transport $AUTH
                                [ $outer = esp ] && sa "$o proto esp" 0x20$n mode tunnel $ENC $AUTH ||
                                        sa "$o proto ah" 0x20$n mode tunnel $AUTH
                        done ;;
                selectors)
                        if [ $fam = V4 ]; then s="src 192.0.2.1/32 dst 192.0.2.2/32" g=239.1.1.1
                        else s="src 2001:db8::1/128 dst 2001:db8::2/128" g=ff15::1; fi
                        for proto in tcp udp sctp; do
                                pol "$s proto $proto dport 179" out tmpl $ids proto esp mode transport
                                pol "$s proto $proto sport 179" out tmpl $ids proto esp mode transport
                        done
                        pol "$s proto gre" out tmpl $ids proto esp mode transport
                        pol "$s proto tcp dport 1790" out priority 100 tmpl $ids proto esp mode transport
                        pol "$s" out priority 200
                        sa "${ids% dst *} dst $g proto esp" 0x300 mode transport $ENC $AUTH
                        pol "${s% dst *} dst $g" out tmpl ${ids% dst *} dst $g proto esp mode transport ;;
                iface)
                        if [ $fam = V4 ]; then
                                link xfrm7 type xfrm dev lo if_id 7
                                link vti7 type vti local 192.0.2.1 remote 192.0.2.2 key 7
                        else
                                link vti67 type vti6 local 2001:db8::1 remote 2001:db8::2 key 7
                        fi ;;
                esac
        done
        echo "$checks $accepted"
        exit 0
fi

total=0 accepted=0
for probe in netlink esp ah comp natt crypto modes replay nested selectors iface; do
        # No process substitution: a minimal system (the qemu guest) may have no /dev/fd.
        set -- $(unshare -n "$BASH" "$0" --in-namespace "$probe")
        total=$((total + ${1:-0})) accepted=$((accepted + ${2:-0}))
done
echo "checks=$total accepted=$accepted refused=$((total - accepted))"
