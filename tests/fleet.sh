#!/bin/bash
# Fleet export through tools fleets already run: --format=prometheus through
# promtool, the textfile timer and service through systemd-analyze and their
# own command line, and the Ansible local fact through ansible-core's setup
# module (with and without a running ipsec-auditd).
. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

# --- Prometheus ------------------------------------------------------------------
run_audit prom --format=prometheus
check "--format=prometheus exits 0 or 3" test "$(rc prom)" -eq 0 -o "$(rc prom)" -eq 3
run_audit json --json
if command -v promtool >/dev/null; then
        promtool check metrics <"$work/prom.out" >"$work/promtool.out" 2>&1
        is "promtool check metrics accepts the output, without a lint warning" $? 0
        sed 's/^/# /' "$work/promtool.out"
else
        skip "promtool check metrics" "promtool is not installed (apt-get install prometheus)"
fi
# metric NAME LABEL=VALUE...: the value of the one series with these labels
metric() {
        local name=$1 sel
        shift
        sel=$(printf ',%s' "$@")
        grep "^$name{" "$work/prom.out" | awk -v sel="${sel#,}" '
                { split(sel, want, ","); hit = 1; for (i in want) if (index($0, want[i]) == 0) hit = 0 }
                hit { print $NF }'
}
is "one verdict series per capability and verdict" "$(grep -c '^ipsec_audit_capability_verdict{' "$work/prom.out")" \
        "$(($(jqr json '.capabilities | length') * 4))"
is "exactly one verdict is 1 for every capability" \
        "$(grep '^ipsec_audit_capability_verdict{' "$work/prom.out" | awk '$NF == 1' | wc -l)" "$(jqr json '.capabilities | length')"
mismatch=0
for id in $(jqr json '.capabilities[].id'); do
        v=$(jqr json ".capabilities[] | select(.id == \"$id\") | .verdict")
        [ "$(metric ipsec_audit_capability_verdict "capability=\"$id\"" "verdict=\"$v\"")" = 1 ] || {
                mismatch=1
                diag "$id: --json says $v, the metrics do not"
        }
done
ok $mismatch "every capability's verdict series agrees with --json"
for q in ipsec_available point_to_point vpn multiple_layers verdict; do
        is "Section 4 $q agrees with --json" \
                "$(metric ipsec_audit_section4_verdict "question=\"$q\"" "verdict=\"$(jqr json ".section4.$q")\"")" 1
done
is "the info metric carries the version" \
        "$(metric ipsec_audit_info "version=\"$(jqr json .tool.version)\"")" 1
check "audit duration in seconds" grep -qE '^ipsec_audit_duration_seconds [0-9]+\.[0-9]{3}$' "$work/prom.out"
now=$(date +%s)
ts=$(sed -n 's/^ipsec_audit_timestamp_seconds //p' "$work/prom.out")
check "the audit time is now (within 5 minutes)" test "$((now - ${ts:-0}))" -lt 300

# --- the textfile timer and service ------------------------------------------------
unit=$work/unit
mkdir -p "$unit" "$work/textfile"
sed "s|@bindir@|$(dirname "$IPSEC_AUDIT")|" "$ABS_TOP_SRCDIR/systemd/ipsec-audit-prometheus.service.in" \
        >"$unit/ipsec-audit-prometheus.service"
cp "$ABS_TOP_SRCDIR/systemd/ipsec-audit-prometheus.timer" "$unit/"
verify_units ipsec-audit-prometheus.service "$unit/ipsec-audit-prometheus.service" "$unit/ipsec-audit-prometheus.timer"
# The service's own command line, pointed at a scratch textfile directory.
exec_start=$(sed -n 's/^ExecStart=//p' "$unit/ipsec-audit-prometheus.service" |
        sed "s|/var/lib/prometheus/node-exporter|$work/textfile|")
echo stale >"$work/textfile/ipsec_audit.prom"
$exec_start >"$work/exec.out" 2>"$work/exec.err"
status=$?
check "the service's ExecStart exits with a status the unit counts as success (0 or 3)" \
        test "$status" -eq 0 -o "$status" -eq 3
is "it writes the metrics and nothing else into the textfile directory" "$(ls "$work/textfile")" ipsec_audit.prom
is "the textfile is world-readable (node_exporter runs as its own user)" \
        "$(stat -c %a "$work/textfile/ipsec_audit.prom")" 644
check "the textfile holds the metrics" grep -q '^ipsec_audit_section4_verdict{' "$work/textfile/ipsec_audit.prom"
if command -v promtool >/dev/null; then
        check "promtool accepts the textfile" promtool check metrics <"$work/textfile/ipsec_audit.prom"
fi

# --- the Ansible local fact ----------------------------------------------------------
if ! command -v ansible >/dev/null; then
        skip "Ansible local fact" "ansible-core is not installed (apt-get install ansible-core)"
        done_testing
fi
mkdir -p "$work/facts.d" "$work/ansible"
sed "s|@bindir@|$(dirname "$IPSEC_AUDIT")|" "$ABS_TOP_SRCDIR/contrib/ansible/ipsec_audit.fact.in" \
        >"$work/facts.d/ipsec_audit.fact"
chmod +x "$work/facts.d/ipsec_audit.fact"
export ANSIBLE_HOME=$work/ansible ANSIBLE_LOCAL_TEMP=$work/ansible/tmp ANSIBLE_NOCOLOR=1 \
        ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_LOAD_CALLBACK_PLUGINS=1 ANSIBLE_STDOUT_CALLBACK=json
# setup_facts NAME: ansible's setup module on localhost, its ansible_local in $work/NAME.json
setup_facts() {
        ansible all -i localhost, -c local -m setup -a "filter=ansible_local fact_path=$work/facts.d" \
                >"$work/$1.ansible" 2>"$work/$1.ansible-err"
        jq '.plays[0].tasks[0].hosts.localhost.ansible_facts.ansible_local' "$work/$1.ansible" >"$work/$1.json"
}
# No daemon on the (empty) system bus this test points at: the fact runs a passive audit.
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$work/no-bus
setup_facts passive
is "ansible: ansible_local.ipsec_audit is the report" "$(jq -r .ipsec_audit.schema "$work/passive.json")" \
        "ipsec-audit/report/v1"
is "ansible: without ipsec-auditd, the report is a passive audit" \
        "$(jq -r .ipsec_audit.privilege.passive "$work/passive.json")" true
is "ansible: the fact reports this host's kernel" "$(jq -r .ipsec_audit.host.kernel_release "$work/passive.json")" \
        "$(uname -r)"

# A running daemon on a private system bus: the fact returns its cached (active) report.
if ! command -v dbus-daemon >/dev/null || ! command -v busctl >/dev/null || [ ! -x "${IPSEC_AUDITD:-}" ]; then
        skip "ansible: the fact returns the daemon's report" "needs dbus-daemon, busctl and ipsec-auditd"
        done_testing
fi
mkdir -p "$work/bus"
private_bus "$work/bus"
addr=$bus_addr
"$IPSEC_AUDITD" --bus="$addr" 2>"$work/auditd.log" &
daemon_pid=$!
trap 'kill "$daemon_pid" "$bus_pid" 2>/dev/null; rm -rf "$work"' EXIT
if gdbus wait --address "$addr" --timeout 20 net.ipsecaudit.Auditor1 2>/dev/null ||
   busctl --address="$addr" status net.ipsecaudit.Auditor1 >/dev/null 2>&1; then
        export DBUS_SYSTEM_BUS_ADDRESS=$addr
        setup_facts daemon
        busctl --address="$addr" --json=short call net.ipsecaudit.Auditor1 /net/ipsecaudit/Auditor1 \
                net.ipsecaudit.Auditor1 GetReport | jq -r '.data[0]' >"$work/daemon-report.json"
        is "ansible: with ipsec-auditd running, the fact is the daemon's cached report" \
                "$(jq -c '.ipsec_audit | [.generated_at, .privilege.passive]' "$work/daemon.json")" \
                "$(jq -c '[.generated_at, .privilege.passive]' "$work/daemon-report.json")"
        # The daemon's report as metrics, through the same renderer.
        "$IPSEC_AUDIT" --bus="$addr" --format=prometheus >"$work/bus.prom" 2>/dev/null
        is "--bus --format=prometheus: the daemon's Section 4 verdict" \
                "$(grep "^ipsec_audit_section4_verdict{question=\"verdict\"" "$work/bus.prom" | awk '$NF == 1' |
                        sed 's/.*verdict="\([a-z]*\)".*/\1/')" "$(jq -r .section4.verdict "$work/daemon-report.json")"
else
        ok 1 "ipsec-auditd took its name on a private bus"
        sed 's/^/# /' "$work/auditd.log"
fi
done_testing
