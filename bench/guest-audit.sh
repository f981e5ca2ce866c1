# Runs in the qemu guest (busybox sh) for bench/qemu-audit.sh: one audit first
# (it loads the modules every later one loads and unloads again), then @ROUNDS@
# rounds of --quick and the full audit in turn, each "NAME wall_ms=..." on the
# data port.
AUDIT=/opt/ia/bin/ipsec-audit
RUSAGE=/opt/ia/bin/rusage
"$AUDIT" --json >/dev/null 2>&1
i=0
while [ $i -lt @ROUNDS@ ]; do
        echo "quick $($RUSAGE $AUDIT --quick --json)"
        echo "full $($RUSAGE $AUDIT --json)"
        i=$((i + 1))
done
