#!/bin/bash
# GetReport load on ipsec-auditd: CLIENTS concurrent sd-bus clients making CALLS
# calls in all; prints calls per second and the daemon's VmRSS before and after,
# then the same load of org.freedesktop.DBus.Peer.Ping, which sd-bus answers
# itself (the trivial method on the same bus and daemon: the floor for GetReport).
#
#   bench/dbus-load.sh [CLIENTS [CALLS]]          (defaults: 8 10000)
#
# With DBUS_ADDRESS and DAEMON_PID set it loads that daemon (tests/dbus.sh does);
# otherwise it starts a private dbus-daemon and ./ipsec-auditd from BUILD_DIR
# (default: build). CLIENT names the client binary (bench/dbus-load-client).
set -u
clients=${1:-8}
calls=${2:-10000}
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
CLIENT=${CLIENT:-$build/bench/dbus-load-client}
tmp=$(mktemp -d /tmp/ipsec-auditd-load.XXXXXX)
started=
cleanup() {
        [ -n "$started" ] && kill $started 2>/dev/null
        wait 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT

if [ -z "${DBUS_ADDRESS:-}" ]; then
        . "$here/tests/private-bus.sh"
        private_bus "$tmp"
        started=$bus_pid
        DBUS_ADDRESS=$bus_addr
        [ -n "$DBUS_ADDRESS" ] || { echo "dbus-daemon did not start" >&2; exit 1; }
        # Its audits run this build's ipsec-audit, not an installed one.
        IPSEC_AUDIT=${IPSEC_AUDIT:-$build/ipsec-audit} "$build/ipsec-auditd" --bus="$DBUS_ADDRESS" 2>"$tmp/auditd.log" &
        DAEMON_PID=$!
        started="$DAEMON_PID $started"
        gdbus wait --address "$DBUS_ADDRESS" --timeout 10 net.ipsecaudit.Auditor1 || { echo "daemon did not start" >&2; exit 1; }
fi

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$DAEMON_PID/status"; }
per=$((calls / clients))
total=$((per * clients))

# run_clients N [ping]: CLIENTS concurrent clients of N calls each; 1 if any failed.
run_clients() {
        local pids= status=0
        for i in $(seq "$clients"); do
                "$CLIENT" "$DBUS_ADDRESS" "$@" >"$tmp/client.$i" 2>&1 &
                pids="$pids $!"
        done
        for p in $pids; do wait "$p" || status=1; done
        return $status
}

# One call first, so the first report exists (the daemon may still be auditing).
"$CLIENT" "$DBUS_ADDRESS" 1 >/dev/null || exit 1
# A short warm-up of the same shape: the first burst of concurrent clients raises
# the heap's high-water mark once (about 12 kB); growth after that would be a leak.
rss_start=$(rss)
run_clients 100 || { cat "$tmp"/client.* >&2; exit 1; }
rss_before=$(rss)
start=$(date +%s%N)
run_clients "$per"
status=$?
end=$(date +%s%N)
rss_after=$(rss)
failures=$(cat "$tmp"/client.* | awk -F'failures=' '/failures=/ { split($2, a, " "); n += a[1] } END { print n + 0 }')
grep -h "failed" "$tmp"/client.* | head -n 3 >&2
ms=$(((end - start) / 1000000))
echo "clients=$clients calls=$total failures=$failures elapsed_ms=$ms calls_per_s=$((total * 1000 / (ms > 0 ? ms : 1)))"
echo "daemon_vmrss_kb_start=$rss_start daemon_vmrss_kb_after_warmup=$rss_before daemon_vmrss_kb_after=$rss_after"
echo "rss_growth_kb=$((rss_after - rss_before))"
start=$(date +%s%N)
run_clients "$per" ping
ping_status=$?
end=$(date +%s%N)
ms=$(((end - start) / 1000000))
echo "ping_calls=$total ping_status=$ping_status ping_calls_per_s=$((total * 1000 / (ms > 0 ? ms : 1)))"
[ "$status" -eq 0 ] && [ "$failures" -eq 0 ] && [ "$ping_status" -eq 0 ]
