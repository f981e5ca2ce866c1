#!/bin/bash
# Probe isolation, on this kernel, as root: each probe runs in a worker process,
# in a network namespace that no other probe uses meanwhile and that was
# flushed and checked after the probe before, in a process whose descriptors
# and signals were reset after it (sandbox.h), so neither the order
# the probes run in nor running them side by side may change a report. The audit runs in the table's order
# one probe at a time, then shuffled (IPSEC_AUDIT_PROBE_SEED) one at a time,
# then shuffled four at a time (IPSEC_AUDIT_PROBE_JOBS), and every report
# must equal the first in everything but its timing fields. The kernel
# matrix does the same in a kernel with every IPsec module (guest.sh).
. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root to create network namespaces"
unshare -n true 2>/dev/null || skip_all "cannot create a network namespace here (unshare -n failed)"

# normalised NAME: the report without its timing fields, keys sorted.
normalised() { jq -S 'del(.generated_at, .duration_ms)' "$work/$1.out"; }

host_state() { ip xfrm state; ip xfrm policy; ip -o link; }
host_state >"$work/host.before" 2>&1

IPSEC_AUDIT_PROBE_JOBS=1 run_audit table --json
normalised table >"$work/table.json"
check "the reference report is JSON with every capability" \
        [ "$(jq '.capabilities | length' "$work/table.json")" -gt 20 ]
for run in "1 11" "1 12" "4 13" "4 14"; do
        read -r jobs seed <<<"$run"
        name=jobs$jobs-seed$seed
        IPSEC_AUDIT_PROBE_JOBS=$jobs IPSEC_AUDIT_PROBE_SEED=$seed run_audit "$name" --json
        normalised "$name" >"$work/$name.json"
        if diff -u "$work/table.json" "$work/$name.json" >"$work/$name.diff"; then
                ok 0 "shuffled (seed $seed), $jobs at a time: the same report"
        else
                ok 1 "shuffled (seed $seed), $jobs at a time: the same report"
                head -n 40 "$work/$name.diff" | sed 's/^/#   /'
        fi
done
# Not vacuous: the probes above did share workers (a process and a namespace per probe would mean none).
if command -v strace >/dev/null; then
        # (Under --enable-sanitizers: LeakSanitizer cannot run under ptrace.) N at a time, N
        # workers with a namespace each, and one worker for the read-only probes in the host's
        # namespace, which, where more than one run at once, then makes a namespace of its own
        # and is one of the N: no worker is replaced, as the one probe that spends its namespace
        # (natt.tcp_encap) starts last. Without workers, every probe would cost a process, and
        # every active one a namespace.
        for jobs in 1 2 4; do
                IPSEC_AUDIT_PROBE_JOBS=$jobs ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
                        strace -f -o "$work/workers.trace" -e trace=clone,clone3,fork,unshare "$IPSEC_AUDIT" \
                        --quick --json >/dev/null 2>&1
                # A call strace shows "<unfinished ...>" has no closing parenthesis on its line.
                made=$(grep -c 'unshare(CLONE_NEWNET' "$work/workers.trace")
                # Successful calls only: a fork that a child's SIGCHLD interrupts is restarted
                # (ERESTARTNOINTR), and strace shows it twice.
                forked=$(grep -cE '(clone|clone3|fork)(\(| resumed>).* = [0-9]+$' "$work/workers.trace")
                processes=$((jobs > 1 ? jobs : 2))
                check "probes $jobs at a time share workers: $forked processes, $made namespaces" \
                        [ "$made" -ge 1 -a "$made" -le "$jobs" -a "$forked" -le "$processes" ]
        done
else
        skip "probes share workers" "strace is not installed"
fi
host_state >"$work/host.after" 2>&1
check "the host's XFRM state, policies and links are as they were" cmp -s "$work/host.before" "$work/host.after"
done_testing
