# Runs in the qemu guest (busybox sh) for bench/qemu-audit.sh: one audit first
# (it loads the modules every later one loads and unloads again), then @ROUNDS@
# rounds of --quick, the full audit and bench/iproute2-quick.sh in turn (the two
# audits swapped every other round, so that neither always follows the other and
# pays for its namespaces' teardown), each "NAME wall_ms=..." on the data port,
# and the iproute2 script's own line.
BIN=/opt/ia/bin
"$BIN/ipsec-audit" --json >/dev/null 2>&1
i=0
while [ $i -lt @ROUNDS@ ]; do
        if [ $((i % 2)) -eq 0 ]; then
                echo "quick $($BIN/rusage $BIN/ipsec-audit --quick --json)"
                echo "full $($BIN/rusage $BIN/ipsec-audit --json)"
        else
                echo "full $($BIN/rusage $BIN/ipsec-audit --json)"
                echo "quick $($BIN/rusage $BIN/ipsec-audit --quick --json)"
        fi
        echo "iproute2 $(IP=$BIN/ip $BIN/rusage $BIN/bash /tmp/iproute2-quick.sh)"
        i=$((i + 1))
done
echo "iproute2-checks $(IP=$BIN/ip $BIN/bash /tmp/iproute2-quick.sh)"
echo "audit-checks $($BIN/ipsec-audit --quick --json | grep -c '"outcome"')"
