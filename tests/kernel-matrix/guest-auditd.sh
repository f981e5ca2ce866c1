# Runs inside the guest: ipsec-auditd on a private bus must re-audit when
# kernel modules are removed and loaded (uevents), and say so on the bus.
# Output: "NAME VALUE" lines for run.sh, then the daemon's log.
BIN=/opt/ia/bin
O="net.ipsecaudit.Auditor1 /net/ipsecaudit/Auditor1 net.ipsecaudit.Auditor1"
printf '%s' '<busconfig><type>custom</type><listen>unix:path=/tmp/bus</listen><auth>EXTERNAL</auth><policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/><allow eavesdrop="true"/></policy></busconfig>' >/tmp/bus.conf
"$BIN/dbus-daemon" --config-file=/tmp/bus.conf --fork --print-address=1 >/tmp/addr 2>/tmp/bus.err ||
        { echo "bus-error $(cat /tmp/bus.err)"; exit 1; }
A=$(head -n 1 /tmp/addr)
"$BIN/dbus-monitor" --address "$A" "type='signal',interface='net.ipsecaudit.Auditor1',member='ReportChanged'" >/tmp/mon 2>&1 &
# --keep-modules: this test is about an administrator removing and loading
# modules the host has, so the first audit leaves esp4 and esp6 loaded.
# Its audits run the ipsec-audit copied beside it.
IPSEC_AUDIT=$BIN/ipsec-audit "$BIN/ipsec-auditd" --bus="$A" --refresh-limit=0 --keep-modules 2>/tmp/auditd.log &
daemon=$!

# proto.esp's verdict as the daemon has it (the third field of GetCapability).
esp() {
        "$BIN/busctl" --address="$A" call $O GetCapability s proto.esp 2>/dev/null | awk -F'"' '{ print $6 }'
}
# wait_esp WANT: polls until the daemon reports WANT (120 s at most: under TCG on a busy
# machine a re-audit alone has taken 30 s), prints the last answer.
wait_esp() {
        i=0
        while [ $i -lt 120 ]; do
                v=$(esp)
                [ "$v" = "$1" ] && break
                sleep 1
                i=$((i + 1))
        done
        echo "$v"
}

# quiet: until the daemon has run no audit for 6 s (an audit is its one child, the
# worker). The administrator's changes below are made at rest: one made while an audit
# runs may come after that audit's ESP trial, and a module loaded then is the audit's
# own as far as /proc/modules can tell (ipsec-auditd(8), BUGS).
quiet() {
        i=0 still=0
        while [ $i -lt 120 ] && [ $still -lt 6 ]; do
                busy=
                for f in /proc/[0-9]*/stat; do
                        read -r _ _ _ ppid _ <"$f" 2>/dev/null && [ "$ppid" = "$daemon" ] && busy=1 && break
                done
                if [ -n "$busy" ]; then still=0; else still=$((still + 1)); fi
                sleep 1
                i=$((i + 1))
        done
}

echo "start $(wait_esp available)"
quiet
echo /bin/false >/proc/sys/kernel/modprobe # nothing may autoload them back
rmmod esp4 esp6 2>&1 | sed 's/^/rmmod-error /'
echo "after-rmmod $(wait_esp unavailable)"
quiet
echo /sbin/modprobe >/proc/sys/kernel/modprobe
modprobe esp4 2>&1 | sed 's/^/modprobe-error /'
echo "after-modprobe $(wait_esp available)"
sleep 1
echo "signals $(grep -c 'member=ReportChanged' /tmp/mon)"
echo "daemon-alive $(kill -0 $daemon 2>/dev/null && echo yes || echo no)"

# What the daemon passes as --absent-module (a module others removed while an audit
# ran): the CLI counts it as not loaded at the start, so that the audit unloads it at
# its end. The daemon is stopped first: it would re-audit on these module events.
# "absent-module" and "absent-control": esp4 still loaded, esp4 in modules_loaded_by_audit.
kill $daemon
wait $daemon 2>/dev/null
esp4_after() {
        echo "$(grep -c '^esp4 ' /proc/modules) $(sed -n '/"modules_loaded_by_audit"/,/]/p' /tmp/absent.json | grep -c '"esp4"')"
}
modprobe esp4
"$BIN/ipsec-audit" --quick --json >/tmp/absent.json 2>/dev/null
echo "absent-control $(esp4_after)"
"$BIN/ipsec-audit" --quick --json --absent-module=esp4 >/tmp/absent.json 2>/dev/null
echo "absent-module $(esp4_after)"
echo "--- log"
cat /tmp/auditd.log
