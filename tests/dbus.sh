#!/bin/bash
# ipsec-auditd on a private dbus-daemon, driven by clients this project did not
# write (busctl, gdbus, dbus-monitor): every method, property and signal, the
# bad-id error, Refresh refused to nobody, a client vanishing mid-call, SIGHUP,
# the state file, idle exit, the audit engine it runs (ipsec-audit: what it is
# given, and a missing or failing one), and the GetReport load benchmark.
. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

IPSEC_AUDITD=${IPSEC_AUDITD:-$(dirname "$IPSEC_AUDIT")/ipsec-auditd}
ABS_TOP_BUILDDIR=${ABS_TOP_BUILDDIR:-$(dirname "$IPSEC_AUDIT")}
ABS_TOP_SRCDIR=${ABS_TOP_SRCDIR:-$(cd "${TESTS_DIR:-$(dirname "$0")}/.." && pwd)}
for tool in dbus-daemon dbus-monitor busctl gdbus setpriv; do
        command -v "$tool" >/dev/null || skip_all "$tool is not installed (see .ci/run)"
done
[ -x "$IPSEC_AUDITD" ] || skip_all "no ipsec-auditd binary at $IPSEC_AUDITD (build first)"
[ "$(id -u)" -eq 0 ] || skip_all "needs root: Refresh is for uid 0, and a 'nobody' client needs setpriv"

NAME=net.ipsecaudit.Auditor1
# CheckProfile reads the profiles of this source tree, and one malformed profile of the test's own.
mkdir -p "$work/profiles"
printf '{ "schema": "ipsec-audit/profile/v1",\n  "requirements": [ }\n' >"$work/profiles/broken.json"
export IPSEC_AUDIT_PROFILE_PATH="$ABS_TOP_SRCDIR/profiles:$work/profiles"
OPATH=/net/ipsecaudit/Auditor1
IFACE=net.ipsecaudit.Auditor1

# The bus socket must be reachable by 'nobody'; $work is private.
busdir=$(mktemp -d /tmp/ipsec-auditd-bus.XXXXXX)
chmod 755 "$busdir"
state="$work/state"
mkdir -p "$state"
bus_pid= daemon_pid= monitor_pid=
cleanup() {
        for p in $monitor_pid $daemon_pid $bus_pid; do kill "$p" 2>/dev/null; done
        wait 2>/dev/null
        rm -rf "$busdir" "$work"
}
trap cleanup EXIT

# Bus activation from the shipped activation file, pointed at this build and this bus.
mkdir -p "$busdir/services"
sed -e "s|^Exec=.*|Exec=$IPSEC_AUDITD --bus=unix:path=$busdir/socket --exit-on-idle=1|" \
        -e '/^User=/d' -e '/^SystemdService=/d' \
        "$ABS_TOP_SRCDIR/systemd/net.ipsecaudit.Auditor1.service.in" >"$busdir/services/net.ipsecaudit.Auditor1.service"
private_bus "$busdir" "$busdir/services"
addr=$bus_addr
[ -n "$addr" ] || skip_all "dbus-daemon did not start"
diag "private bus at $addr"

bctl() { busctl --address="$addr" "$@"; }
bcall() { bctl call "$NAME" "$OPATH" "$IFACE" "$@"; }
bjson() { bctl --json=short call "$NAME" "$OPATH" "$IFACE" "$@" | jq -c '.data[0]'; }
# breport METHOD: the report a method returns, as the JSON text itself
breport() { bctl --json=short call "$NAME" "$OPATH" "$IFACE" "$@" | jq -r '.data[0]'; }
prop() { bctl get-property "$NAME" "$OPATH" "$IFACE" "$1" | cut -d' ' -f2- | tr -d '"'; }
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
as_nobody_net_admin() { as_nobody --inh-caps=+net_admin --ambient-caps=+net_admin "$@"; }
audits() { grep -c "done in" "$work/auditd.log"; }

# start_daemon ARGS...: starts ipsec-auditd on the private bus and waits for its name.
start_daemon() {
        "$IPSEC_AUDITD" --bus="$addr" "$@" 2>>"$work/auditd.log" &
        daemon_pid=$!
        gdbus wait --address "$addr" --timeout 10 "$NAME"
}
stop_daemon() {
        kill -TERM "$daemon_pid"
        wait "$daemon_pid"
        echo $? >"$work/daemon.rc"
        daemon_pid=
}
# wait_for FILE PATTERN: up to 10 s
wait_for() {
        for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
        return 1
}

# --- command line ------------------------------------------------------------
"$IPSEC_AUDITD" --help >"$work/help.out" 2>&1
is "--help exits 0" $? 0
check "--help documents the exit codes" grep -q "^  2  invalid command line" "$work/help.out"
is "--version" "$("$IPSEC_AUDITD" --version)" "ipsec-auditd $("$IPSEC_AUDIT" --version | cut -d' ' -f2)"
for bad in --interval=x --exit-on-idle=-1 --refresh-limit=99999 --frobnicate stray; do
        "$IPSEC_AUDITD" "$bad" >/dev/null 2>&1
        is "'$bad' exits 2" $? 2
done
"$IPSEC_AUDITD" --bus="unix:path=$busdir/nothing-here" 2>"$work/nobus.err"
is "an unreachable bus exits 1" $? 1
check "an unreachable bus is named on stderr" grep -q "cannot connect" "$work/nobus.err"
# Under systemd, stderr is the journal stream that JOURNAL_STREAM names: lines carry
# their syslog priority and no name (the journal records the name itself).
: >"$work/journal.err"
JOURNAL_STREAM=$(stat -c %d:%i "$work/journal.err") "$IPSEC_AUDITD" --bus="unix:path=$busdir/nothing-here" \
        2>>"$work/journal.err"
is "on a journal stream, a fatal error is one line at priority 3 (err), without a name" \
        "$(cat "$work/journal.err")" "<3>cannot connect to the unix:path=$busdir/nothing-here bus: No such file or directory"

# --- first start: no state --------------------------------------------------
check "the daemon takes its name on the bus" start_daemon --state-dir="$state" --refresh-limit=2

breport GetReport >"$work/report.json"
is "GetReport returns the JSON report" "$(jq -r .schema "$work/report.json")" "ipsec-audit/report/v1"
"$IPSEC_AUDIT" --json >"$work/cli.json" 2>/dev/null
is "GetReport lists the capabilities the CLI measures, with the same verdicts" \
        "$(jq -c '[.capabilities[] | [.id, .verdict]]' "$work/report.json")" \
        "$(jq -c '[.capabilities[] | [.id, .verdict]]' "$work/cli.json")"
is "GetReport has the CLI's Section 4 verdict" "$(jq -r .section4.verdict "$work/report.json")" \
        "$(jq -r .section4.verdict "$work/cli.json")"

bjson GetCapabilities >"$work/caps.json"
is "GetCapabilities has one entry per capability" "$(jq length "$work/caps.json")" \
        "$(jq '.capabilities | length' "$work/report.json")"
is "GetCapabilities entries are (id, section, verdict, level, evidence)" "$(jq -c '.[0]' "$work/caps.json")" \
        "$(jq -c '.capabilities[0] | [.id, .rfc5406_section, .verdict, .level, .evidence]' "$work/report.json")"

is "GetCapability(proto.esp) is the report's entry" "$(bjson GetCapability s proto.esp)" \
        "$(jq -c '.capabilities[] | select(.id == "proto.esp") | [.id, .rfc5406_section, .verdict, .level, .evidence]' "$work/report.json")"
gdbus call --address "$addr" --dest "$NAME" --object-path "$OPATH" --method "$IFACE.GetCapability" "mode.tunnel" \
        >"$work/gdbus-cap.out" 2>&1
check "gdbus reads GetCapability(mode.tunnel)" grep -q "('mode.tunnel', '3.2', '" "$work/gdbus-cap.out"
gdbus call --address "$addr" --dest "$NAME" --object-path "$OPATH" --method "$IFACE.GetCapability" "no.such" \
        >"$work/badid.out" 2>&1
is "an unknown id fails" $? 1
check "an unknown id is InvalidArgs naming the id" \
        grep -q "org.freedesktop.DBus.Error.InvalidArgs: Unknown capability 'no.such'" "$work/badid.out"

# --- CheckProfile: the CLI's answer, from the cached report ----------------------
breport GetReport >"$work/report-now.json"
bctl --json=short call "$NAME" "$OPATH" "$IFACE" CheckProfile s bgp >"$work/checkprofile.json"
"$IPSEC_AUDIT" check --profile bgp --report "$work/report-now.json" --json >"$work/check-cli.json"
is "busctl CheckProfile(bgp): satisfied is the CLI's on the same report" \
        "$(jq -r '.data[0]' "$work/checkprofile.json")" "$(jq -r .satisfied "$work/check-cli.json")"
is "busctl CheckProfile(bgp): every requirement as the CLI judged it" \
        "$(jq -r '.data[1]' "$work/checkprofile.json" | jq -c '[.schema, .outcome, [.requirements[] | [.capability, .met, .why]]]')" \
        "$(jq -c '[.schema, .outcome, [.requirements[] | [.capability, .met, .why]]]' "$work/check-cli.json")"
gdbus call --address "$addr" --dest "$NAME" --object-path "$OPATH" --method "$IFACE.CheckProfile" ospfv3 \
        >"$work/gdbus-profile.out" 2>&1
check "gdbus CheckProfile(ospfv3) returns (b, result)" grep -Eq "^\((true|false), .*ipsec-audit/profile-result/v1" \
        "$work/gdbus-profile.out"
for bad in "no-such-profile:Unknown profile 'no-such-profile'" \
        "../../etc/passwd:Invalid profile name '../../etc/passwd'" \
        "broken:Malformed profile: $work/profiles/broken.json:2:21: unexpected character"; do
        gdbus call --address "$addr" --dest "$NAME" --object-path "$OPATH" --method "$IFACE.CheckProfile" "${bad%%:*}" \
                >"$work/badprofile.out" 2>&1
        check "CheckProfile(${bad%%:*}) is InvalidArgs: ${bad#*:}" \
                grep -qF "org.freedesktop.DBus.Error.InvalidArgs: ${bad#*:}" "$work/badprofile.out"
done

# --- introspection -------------------------------------------------------------
bctl introspect "$NAME" "$OPATH" "$IFACE" >"$work/introspect.out"
for member in .GetReport .GetCapabilities .GetCapability .CheckProfile .Refresh .Version .KernelRelease .Section4Verdict \
        .LastRefreshUSec .AuditDurationUSec .ReportChanged; do
        check "busctl introspect shows $member" grep -q "^$member " "$work/introspect.out"
done
check "busctl: Section4Verdict emits changes" grep -q "^.Section4Verdict .*emits-change" "$work/introspect.out"
gdbus introspect --address "$addr" --dest "$NAME" --object-path "$OPATH" >"$work/gintrospect.out"
for sig in "GetReport(out s report);" "GetCapabilities(out a(sssss) capabilities);" "GetCapability(in  s id," \
        "out (sssss) capability);" "Refresh(out s report);" "ReportChanged(s section4_verdict);" \
        "CheckProfile(in  s name," "out b satisfied," "out s result_json);"; do
        check "gdbus introspect shows $sig" grep -qF "$sig" "$work/gintrospect.out"
done

# --- properties ------------------------------------------------------------------
is "Version" "$(prop Version)" "$(jq -r .tool.version "$work/report.json")"
is "KernelRelease is uname -r" "$(prop KernelRelease)" "$(uname -r)"
is "Section4Verdict is the report's" "$(prop Section4Verdict)" "$(jq -r .section4.verdict "$work/report.json")"
last=$(prop LastRefreshUSec)
now=$(($(date +%s) * 1000000))
check "LastRefreshUSec is within a minute of now ($last)" test $((now - last)) -lt 60000000 -a $((now - last)) -gt -60000000
check "AuditDurationUSec is positive ($(prop AuditDurationUSec))" test "$(prop AuditDurationUSec)" -gt 0
gdbus call --address "$addr" --dest "$NAME" --object-path "$OPATH" --method org.freedesktop.DBus.Properties.GetAll \
        "$IFACE" >"$work/getall.out"
check "GetAll through gdbus lists the five properties" \
        test "$(grep -o "'[A-Za-z0-9]*': <" "$work/getall.out" | wc -l)" -eq 5

# --- Refresh, PropertiesChanged, permissions ----------------------------------
gdbus monitor --address "$addr" --dest "$NAME" >"$work/monitor.out" 2>&1 &
monitor_pid=$!
sleep 0.5
n=$(audits)
breport Refresh >"$work/refresh.json"
is "Refresh returns a new report" "$(jq -r .schema "$work/refresh.json")" "ipsec-audit/report/v1"
is "Refresh ran one audit" "$(audits)" $((n + 1))
check "LastRefreshUSec moved forward" test "$(prop LastRefreshUSec)" -gt "$last"
check "PropertiesChanged carried LastRefreshUSec (gdbus monitor)" \
        wait_for "$work/monitor.out" "PropertiesChanged ('$IFACE', {.*'LastRefreshUSec': <uint64 "

as_nobody gdbus call --address "$addr" --dest "$NAME" --object-path "$OPATH" --method "$IFACE.Refresh" \
        >"$work/nobody.out" 2>&1
is "Refresh as nobody fails" $? 1
check "Refresh as nobody is AccessDenied" grep -q "org.freedesktop.DBus.Error.AccessDenied" "$work/nobody.out"
# The daemon's own check, on a bus whose policy lets everything through: only the
# uid the bus reports counts, not capabilities, not a user namespace's root.
as_nobody_net_admin gdbus call --address "$addr" --dest "$NAME" --object-path "$OPATH" --method "$IFACE.Refresh" \
        >"$work/netadmin.out" 2>&1
is "Refresh as nobody with CAP_NET_ADMIN fails (root only, as documented)" $? 1
check "and is AccessDenied from the daemon" grep -q "AccessDenied: Refresh is for root only" "$work/netadmin.out"
if as_nobody unshare -Ur true 2>/dev/null; then
        as_nobody unshare -Ur busctl --address="$addr" call "$NAME" "$OPATH" "$IFACE" Refresh \
                >"$work/userns.out" 2>&1
        is "Refresh as nobody inside unshare -Ur (root in its own user namespace) fails" $? 1
        check "and is refused by the daemon (busctl: $(head -c 200 "$work/userns.out"))" grep -q "Access denied" "$work/userns.out"
else
        skip "Refresh from inside unshare -Ur" "this kernel does not let nobody create a user namespace"
fi
is "nobody may read: GetCapability(proto.esp)" \
        "$(as_nobody busctl --address="$addr" --json=short call "$NAME" "$OPATH" "$IFACE" GetCapability s proto.esp | jq -r '.data[0][2]')" \
        "$(jq -r '.capabilities[] | select(.id == "proto.esp") | .verdict' "$work/report.json")"
is "nobody may read: Section4Verdict" \
        "$(as_nobody busctl --address="$addr" get-property "$NAME" "$OPATH" "$IFACE" Section4Verdict)" \
        "s \"$(jq -r .section4.verdict "$work/report.json")\""

# Within the rate limit (2 s here) concurrent callers wait for, and share, one audit.
bcall Refresh >/dev/null
n=$(audits)
start=$(date +%s%N)
pids=
for i in 1 2 3 4 5 6; do
        breport Refresh >"$work/concurrent.$i" &
        pids="$pids $!"
done
for p in $pids; do wait "$p"; done
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
is "six concurrent Refresh calls shared one audit" "$(audits)" $((n + 1))
is "all six got the same report" "$(md5sum "$work"/concurrent.* | cut -d' ' -f1 | sort -u | wc -l)" 1
check "the shared audit waited for the rate limit (${elapsed_ms} ms)" test "$elapsed_ms" -ge 1000

# A caller that vanishes while its Refresh waits: the daemon finishes the audit and goes on.
n=$(audits)
bctl call "$NAME" "$OPATH" "$IFACE" Refresh >/dev/null 2>&1 &
victim=$!
sleep 0.3
{
        kill -KILL "$victim"
        wait "$victim"
} 2>/dev/null
check "the abandoned Refresh's audit still completes" wait_for "$work/auditd.log" "audit $((n + 1)) done"
check "the daemon survived the vanished client" kill -0 "$daemon_pid"
is "and answers the next call" "$(bjson GetCapability s proto.esp | jq -r '.[0]')" proto.esp

# --- SIGHUP ----------------------------------------------------------------------
sleep 2 # past the rate limit
n=$(audits)
before=$(prop LastRefreshUSec)
kill -HUP "$daemon_pid"
check "SIGHUP re-audits" wait_for "$work/auditd.log" "audit $((n + 1)) done"
check "SIGHUP moved LastRefreshUSec" test "$(prop LastRefreshUSec)" -gt "$before"

# --- quiet at rest: no wakeups without --interval -------------------------------
sleep 1
ctx() { awk '/ctxt_switches/ { n += $2 } END { print n }' "/proc/$daemon_pid/status"; }
cpu() { awk '{ print $14 + $15 }' "/proc/$daemon_pid/stat"; }
c0=$(ctx) t0=$(cpu)
sleep 3
is "no wakeups in 3 s at rest (context switches)" "$(ctx)" "$c0"
is "no CPU time in 3 s at rest" "$(cpu)" "$t0"

# --- the state file --------------------------------------------------------------
check "the state file exists" test -f "$state/report.json"
is "the state file is the cached report" "$(jq -c . "$state/report.json")" "$(breport GetReport | jq -c .)"
is "the state file is world-readable" "$(stat -c %a "$state/report.json")" 644
is "no temporary file is left in the state directory" "$(ls -A "$state")" report.json
# A restart restores LastRefreshUSec from the file's mtime, to the microsecond, so it
# never goes back to the report's whole-second generated_at.
is "the state file's mtime is LastRefreshUSec, to the microsecond" \
        "$(stat -c %.6Y "$state/report.json" | tr -d .)" "$(prop LastRefreshUSec)"

# --- ipsec-audit --bus: the daemon's cached report through the CLI -------------
"$IPSEC_AUDIT" --bus="$addr" --json >"$work/cli-bus.json"
is "ipsec-audit --bus --json exits 0 (every capability measured)" $? 0
is "ipsec-audit --bus --json prints GetReport's report" "$(jq -c . "$work/cli-bus.json")" \
        "$(breport GetReport | jq -c .)"
"$IPSEC_AUDIT" --bus="$addr" --verbose >"$work/cli-bus.txt"
is "ipsec-audit --bus (text) exits 0" $? 0
"$IPSEC_AUDIT" --verbose >"$work/cli-local.txt"
is "the text from --bus is the CLI's text for the same verdicts (all but the timing line)" \
        "$(sed 2d "$work/cli-bus.txt" | md5sum)" "$(sed 2d "$work/cli-local.txt" | md5sum)"
"$IPSEC_AUDIT" --bus="$addr" >"$work/cli-bus-brief.txt"
"$IPSEC_AUDIT" >"$work/cli-local-brief.txt"
is "the one-screen text from --bus is the CLI's (all but the header line)" \
        "$(sed 1d "$work/cli-bus-brief.txt" | md5sum)" "$(sed 1d "$work/cli-local-brief.txt" | md5sum)"
check "the text from --bus is dated by the daemon's report" \
        grep -q "$(jq -r .generated_at "$work/cli-bus.json")" "$work/cli-bus.txt"
"$IPSEC_AUDIT" --bus="unix:path=$busdir/nothing-here" >/dev/null 2>"$work/cli-nobus.err"
is "ipsec-audit --bus with no bus exits 1" $? 1
check "and says it cannot connect" grep -q "cannot connect" "$work/cli-nobus.err"
"$IPSEC_AUDIT" --bus="$addr" --passive >/dev/null 2>&1
is "ipsec-audit --bus --passive is a usage error" $? 2
# libsystemd is loaded for --bus only: an audit does not pay for loading it at start.
if command -v readelf >/dev/null; then
        check "ipsec-audit is not linked with libsystemd (bus-util.c loads it for --bus)" \
                bash -c "readelf -d '$IPSEC_AUDIT' | grep -q NEEDED && ! readelf -d '$IPSEC_AUDIT' | grep -q 'NEEDED.*libsystemd'"
else
        skip "ipsec-audit is not linked with libsystemd" "readelf (binutils) is not installed"
fi
libsystemd=$(ldconfig -p | awk '$1 == "libsystemd.so.0" { print $NF; exit }')
if [ -n "$libsystemd" ] && unshare -m true 2>/dev/null; then
        # The real thing, hidden: an empty file in its place in a mount namespace of our own.
        unshare -m bash -c 'mount --bind /dev/null "$1" && shift && exec "$@"' _ "$libsystemd" \
                "$IPSEC_AUDIT" --bus="$addr" --json >"$work/cli-nolib.out" 2>"$work/cli-nolib.err"
        is "without libsystemd, ipsec-audit --bus exits 1" $? 1
        is "and says --bus needs it, in one line" "$(cat "$work/cli-nolib.err")" \
                "ipsec-audit: --bus needs libsystemd.so.0, which cannot be loaded"
        unshare -m bash -c 'mount --bind /dev/null "$1" && shift && exec "$@"' _ "$libsystemd" \
                "$IPSEC_AUDIT" --passive --json >"$work/nolib-audit.json" 2>/dev/null
        is "without libsystemd, an audit still runs (a passive one here)" \
                "$(jq -r .schema "$work/nolib-audit.json")" ipsec-audit/report/v1
else
        skip "ipsec-audit --bus without libsystemd" "no libsystemd.so.0 in ldconfig's cache, or no mount namespace"
        skip "and says --bus needs it" "as above"
        skip "without libsystemd, an audit still runs (a passive one here)" "as above"
fi

last=$(prop LastRefreshUSec)
stop_daemon
is "SIGTERM exits 0" "$(cat "$work/daemon.rc")" 0

# --- ReportChanged: a cached report whose verdicts differ from the kernel's -----
# An honest difference: the cache claims proto.esp is available; the kernel says
# what it says. The restarted daemon loads the cache, audits, and must signal.
measured_esp=$(jq -r '.capabilities[] | select(.id == "proto.esp") | .verdict' "$state/report.json")
if [ "$measured_esp" = available ]; then fake=unavailable; else fake=available; fi
jq --arg v "$fake" '(.capabilities[] | select(.id == "proto.esp") | .verdict) = $v' \
        "$state/report.json" >"$state/report.json.new" && mv "$state/report.json.new" "$state/report.json"
dbus-monitor --address "$addr" "type='signal',interface='$IFACE',member='ReportChanged'" >"$work/signal.out" 2>&1 &
sigmon=$!
sleep 0.5
check "restarted with the edited state file" start_daemon --state-dir="$state" --refresh-limit=2
check "the daemon loaded the cached report" grep -q "loaded the cached report" "$work/auditd.log"
check "LastRefreshUSec did not go backwards across the restart" test "$(prop LastRefreshUSec)" -ge "$last"
check "ReportChanged was emitted (dbus-monitor)" wait_for "$work/signal.out" "member=ReportChanged"
check "ReportChanged carries the Section 4 verdict" \
        grep -q "string \"$(prop Section4Verdict)\"" "$work/signal.out"
is "the measured verdict replaced the cached one" \
        "$(bjson GetCapability s proto.esp | jq -r '.[2]')" "$measured_esp"
is "and the state file was rewritten with it" \
        "$(jq -r '.capabilities[] | select(.id == "proto.esp") | .verdict' "$state/report.json")" "$measured_esp"
kill "$sigmon" 2>/dev/null

n=$(grep -c "member=ReportChanged" "$work/signal.out")
sleep 2
bcall Refresh >/dev/null
sleep 0.5
is "an audit with unchanged verdicts emits no ReportChanged" "$(grep -c "member=ReportChanged" "$work/signal.out")" "$n"
stop_daemon

echo "not json" >"$state/report.json"
check "a corrupt state file does not stop the daemon" start_daemon --state-dir="$state"
check "the corrupt state file is reported" grep -q "ignoring the state file" "$work/auditd.log"
is "the corrupt state file is replaced by a report" "$(breport GetReport >/dev/null; jq -r .schema "$state/report.json")" \
        "ipsec-audit/report/v1"
stop_daemon

# --- what a writer of the state directory may leave there (issue 12) ----------------------
# A FIFO: opening it for reading would wait for a writer forever, before the bus name.
rm -f "$state/report.json"
mkfifo "$state/report.json"
"$IPSEC_AUDITD" --bus="$addr" --state-dir="$state" 2>>"$work/auditd.log" &
daemon_pid=$!
check "a FIFO as the state file: the daemon still takes its name" gdbus wait --address "$addr" --timeout 10 "$NAME"
check "the FIFO is ignored, not read" grep -q "ignoring the state file in $state: Invalid argument" "$work/auditd.log"
kill -TERM "$daemon_pid"
for _ in $(seq 50); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
check "and SIGTERM stops it" sh -c "! kill -0 $daemon_pid 2>/dev/null"
kill -KILL "$daemon_pid" 2>/dev/null
wait "$daemon_pid" 2>/dev/null
# A valid report padded to 9 MB: no report of ours is that large.
rm -f "$state/report.json"
{ head -c 9000000 /dev/zero | tr '\0' ' '; cat "$work/report.json"; } >"$state/report.json"
check "with a 9 MB state file the daemon starts" start_daemon --state-dir="$state"
check "the 9 MB state file is refused" grep -q "ignoring the state file in $state: File too large" "$work/auditd.log"
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$daemon_pid/status")
check "and the daemon stays small (VmRSS $rss kB < ${RSS_LIMIT_KB:=65536})" test "${rss:-0}" -lt "$RSS_LIMIT_KB"
stop_daemon
# A symlink: followed, it would load (and later replace) a file outside the directory.
rm -f "$state/report.json"
ln -s "$work/report.json" "$state/report.json"
# (No ASan quarantine for this daemon: it would hold the 20 MB buffers below by design.)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0 \
        check "with a symlink as the state file the daemon starts" start_daemon --state-dir="$state"
check "the symlink is not followed" \
        grep -q "ignoring the state file in $state: Too many levels of symbolic links" "$work/auditd.log"

# GetCapability repeats a bounded, escaped part of an unknown id: never 100 kB, never raw escapes.
long_id=$'\e[2J'$(head -c 100000 /dev/zero | tr '\0' x)
bcall GetCapability s "$long_id" >"$work/longid.out" 2>&1
is "a 100 kB unknown id fails" $? 1
check "the error repeats at most 64 bytes of the id ($(wc -c <"$work/longid.out") bytes)" \
        test "$(wc -c <"$work/longid.out")" -lt 200
check "the error shows the id escaped" grep -qF "Unknown capability '\x1b[2Jxxxx" "$work/longid.out"
check "the error carries no raw escape character" sh -c "! grep -q \"\$(printf '\033')\" '$work/longid.out'"
if [ -x "$ABS_TOP_BUILDDIR/bench/dbus-load-client" ]; then
        rss_before=$(awk '/^VmRSS:/ { print $2 }' "/proc/$daemon_pid/status")
        "$ABS_TOP_BUILDDIR/bench/dbus-load-client" "$addr" 2 20000000 >"$work/bigid.out" 2>&1
        is "two 20 MB ids: each refused with a short InvalidArgs" "$(grep -o 'failures=[0-9]*' "$work/bigid.out")" failures=0
        sed 's/^/# /' "$work/bigid.out"
        rss_after=$(awk '/^VmRSS:/ { print $2 }' "/proc/$daemon_pid/status")
        check "and the daemon gives the memory back (VmRSS $rss_before kB before, $rss_after kB after)" \
                test "$rss_after" -lt $((rss_before + 4096))
else
        skip "20 MB ids" "bench/dbus-load-client was not built"
fi
stop_daemon

# --- the daemon under valgrind: start, every method, an audit, SIGTERM ----------------
if ! command -v valgrind >/dev/null; then
        skip "ipsec-auditd under valgrind" "valgrind is not installed (see .ci/run)"
elif ldd "$IPSEC_AUDITD" | grep -q libasan; then
        skip "ipsec-auditd under valgrind" "this build uses ASan, which valgrind cannot run"
else
        valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
                --log-file="$work/vgd.%p" "$IPSEC_AUDITD" --bus="$addr" --state-dir="$state" --refresh-limit=0 \
                2>>"$work/auditd.log" &
        daemon_pid=$!
        check "valgrind: the daemon takes its name" gdbus wait --address "$addr" --timeout 60 "$NAME"
        is "valgrind: GetReport" "$(bctl --timeout=120 --json=short call "$NAME" "$OPATH" "$IFACE" GetReport | jq -r '.data[0]' | jq -r .schema)" \
                "ipsec-audit/report/v1"
        check "valgrind: GetCapabilities" bctl call "$NAME" "$OPATH" "$IFACE" GetCapabilities
        check "valgrind: GetCapability with a hostile id fails cleanly" sh -c "! busctl --address='$addr' call $NAME $OPATH $IFACE GetCapability s \"\$1\" 2>/dev/null" sh "$long_id"
        is "valgrind: Refresh runs an audit" "$(bctl --timeout=120 --json=short call "$NAME" "$OPATH" "$IFACE" Refresh | jq -r '.data[0]' | jq -r .schema)" \
                "ipsec-audit/report/v1"
        stop_daemon
        is "valgrind: SIGTERM: exit 0, not valgrind's 99" "$(cat "$work/daemon.rc")" 0
        is "valgrind: no error and no definite leak in the daemon or its workers ($(ls "$work"/vgd.* | wc -l) processes)" \
                "$(cat "$work"/vgd.* | grep -c '^==[0-9]*==')" 0
        grep -h '^==[0-9]*==' "$work"/vgd.* | head -n 40 | sed 's/^/# /'
fi

# --- kernel module uevents ---------------------------------------------------------
# A module with a uevent file can be made to announce itself again: a real kernel
# uevent (what 'udevadm trigger --subsystem-match=module' does).
module=$(for m in /sys/module/*/uevent; do [ -w "$m" ] && basename "$(dirname "$m")" && break; done 2>/dev/null)
if [ -n "$module" ]; then
        start_daemon --refresh-limit=0
        breport GetReport >/dev/null
        n=$(audits)
        echo add >"/sys/module/$module/uevent"
        check "a module uevent ($module) is seen" wait_for "$work/auditd.log" "kernel module $module: add"
        check "and re-audits after the debounce" wait_for "$work/auditd.log" "audit $((n + 1)) done"
        stop_daemon
else
        skip "module uevent triggers a re-audit" "this kernel has no loaded modules (no /sys/module/*/uevent)"
fi

# --- Refresh during a running audit waits for the next one ------------------------------
# The running audit may already have probed past what the caller changed. strace
# slows every alarm() by 100 ms (a probe's worker arms its timeout with one, and
# disarms it with another), so an audit lasts long enough to call into.
if command -v strace >/dev/null && strace -f -o /dev/null -e trace=alarm -e inject=alarm:delay_exit=1000 true 2>/dev/null; then
        # (Under --enable-sanitizers: LeakSanitizer cannot run under ptrace.)
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
                strace -f -o /dev/null -e trace=alarm -e inject=alarm:delay_exit=100000 \
                "$IPSEC_AUDITD" --bus="$addr" --refresh-limit=0 2>>"$work/auditd.log" &
        daemon_pid=$!
        gdbus wait --address "$addr" --timeout 10 "$NAME"
        breport GetReport >/dev/null
        worker=$(pgrep -P "$daemon_pid" -x ipsec-auditd)
        n=$(audits)
        kill -HUP "$worker" # the daemon under strace
        sleep 0.5
        check "an audit is running" grep -q "re-auditing: SIGHUP" "$work/auditd.log"
        is "the audit started before Refresh has not finished" "$(audits)" "$n"
        breport Refresh >/dev/null
        is "Refresh during an audit is answered by the next audit" "$(audits)" $((n + 2))
        kill "$worker"
        wait "$daemon_pid"
        daemon_pid=
else
        skip "Refresh during a running audit" "strace with syscall delay injection is not available"
fi

# --- the first call on a fresh host: answered within the default 25 s client timeout ------
# A 0.6 s delay on every alarm() (two per probe: its worker arms and disarms the probe's
# timeout) makes the first audit last longer than 20 s, with its probes
# run one at a time (IPSEC_AUDIT_PROBE_JOBS=1: side by side, the delays would overlap).
if command -v strace >/dev/null && strace -f -o /dev/null -e trace=alarm -e inject=alarm:delay_exit=1000 true 2>/dev/null; then
        # (Under --enable-sanitizers: LeakSanitizer cannot run under ptrace.)
        IPSEC_AUDIT_PROBE_JOBS=1 ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
                strace -f -o /dev/null -e trace=alarm -e inject=alarm:delay_exit=600000 \
                "$IPSEC_AUDITD" --bus="$addr" 2>>"$work/auditd.log" &
        daemon_pid=$!
        gdbus wait --address "$addr" --timeout 10 "$NAME"
        start=$(date +%s)
        bcall GetReport >"$work/first.out" 2>&1
        is "GetReport during a slow first audit fails" $? 1
        elapsed=$(($(date +%s) - start))
        check "after about 15 s, inside busctl's default 25 s timeout (${elapsed} s)" \
                test "$elapsed" -ge 12 -a "$elapsed" -lt 20
        gdbus call --address "$addr" --dest "$NAME" --object-path "$OPATH" --method "$IFACE.GetReport" \
                >"$work/first-gdbus.out" 2>&1
        check "a later call is told at once that the first audit is running, and since when" \
                grep -q "$IFACE.Error.AuditRunning: The first audit has been running since $(date -u +%Y-%m-%d)T" \
                "$work/first-gdbus.out"
        for _ in $(seq 40); do bcall GetReport >/dev/null 2>&1 && break; sleep 1; done
        breport GetReport >"$work/first.json"
        is "once it is done, GetReport returns the report" "$(jq -r .schema "$work/first.json")" "ipsec-audit/report/v1"
        kill "$(pgrep -P "$daemon_pid" -x ipsec-auditd)"
        wait "$daemon_pid"
        daemon_pid=
else
        skip "the first call during a slow first audit" "strace with syscall delay injection is not available"
fi

# --- the audit engine: ipsec-audit --json, as $IPSEC_AUDIT names it --------------------
# A wrapper records what the daemon gives the engine (arguments, open files), then runs it.
# (In $(...): a redirection of the shell's own would change the descriptors it looks at.)
printf '#!/bin/sh\ncd "%s"\necho "$*" >engine.args\nout=$(readlink /proc/$$/fd/1)\nfds=$(for f in /proc/$$/fd/*; do readlink "$f"; done)\necho "$out" >engine.stdout\necho "$fds" >engine.fds\nexec "%s" "$@"\n' \
        "$work" "$IPSEC_AUDIT" >"$work/engine"
chmod +x "$work/engine"
IPSEC_AUDIT=$work/engine start_daemon --refresh-limit=0 --passive --keep-modules --timeout=7
is "the daemon's options reach the engine as ipsec-audit's" \
        "$(breport GetReport | jq -r .privilege.passive) $(cat "$work/engine.args")" \
        "true --json --passive --keep-modules --timeout=7"
is "the engine inherits none of the daemon's sockets (bus, uevents)" "$(grep -c '^socket:' "$work/engine.fds")" 0
is "its standard output is the pipe the report comes back on" "$(cut -d: -f1 "$work/engine.stdout")" pipe
stop_daemon
# engine_fails WHAT PATH MESSAGE: with IPSEC_AUDIT=PATH, GetReport fails, the daemon logs
# MESSAGE (fixed text), and lives on.
engine_fails() {
        : >"$work/auditd.log"
        IPSEC_AUDIT=$2 start_daemon --refresh-limit=0
        bcall GetReport >"$work/engine-fail.out" 2>&1
        is "$1: GetReport fails" $? 1
        check "$1: the caller is told no audit ran ($(head -c 100 "$work/engine-fail.out"))" \
                grep -q "Audit failed: \|Cannot start an audit: " "$work/engine-fail.out"
        check "$1: the log says why ($(head -n 1 "$work/auditd.log"))" grep -qF "$3" "$work/auditd.log"
        check "$1: the daemon lives on" kill -0 "$daemon_pid"
        stop_daemon
}
esc=$(printf '\033')
engine_fails "a missing engine" "$work/no${esc}such" "cannot run the audit engine $work/no\x1bsuch: No such file or directory"
is "a missing engine: its name reaches the log escaped" "$(grep -c "$esc" "$work/auditd.log")" 0
touch "$work/not-executable"
engine_fails "an engine that is not executable" "$work/not-executable" \
        "cannot run the audit engine $work/not-executable: Permission denied"
printf '#!/bin/sh\nexit 1\n' >"$work/engine-exit1"
chmod +x "$work/engine-exit1"
engine_fails "an engine that exits 1" "$work/engine-exit1" "audit failed: $work/engine-exit1 exited 1 (the audit could not run)"
printf '#!/bin/sh\necho "{"\n' >"$work/engine-garbage"
chmod +x "$work/engine-garbage"
engine_fails "an engine that prints no report" "$work/engine-garbage" \
        "audit failed: $work/engine-garbage exited 0 but wrote no valid report"

# --- idle exit ------------------------------------------------------------------------
check "started with --exit-on-idle=1" start_daemon --exit-on-idle=1
breport GetReport >/dev/null
for _ in $(seq 50); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
wait "$daemon_pid"
is "idle for 1 s: exits 0 by itself" $? 0
daemon_pid=
check "idle exit releases the name" sh -c "! busctl --address='$addr' status '$NAME' >/dev/null 2>&1"

# Bus activation: a call with no daemon running starts one (from the activation
# file); idle, it exits; the next call starts it again.
is "an activating call gets the report" "$(breport GetReport | jq -r .schema)" "ipsec-audit/report/v1"
apid=$(busctl --address="$addr" status "$NAME" 2>/dev/null | awk -F= '/^PID=/ { print $2 }')
check "the bus started ipsec-auditd (pid ${apid:-none})" test -n "$apid"
for _ in $(seq 50); do [ -n "$apid" ] && kill -0 "$apid" 2>/dev/null || break; sleep 0.1; done
check "the activated daemon exited after 1 s idle" sh -c "! kill -0 '${apid:-0}' 2>/dev/null"
is "the next call activates it again" "$(bjson GetCapability s proto.esp | jq -r '.[0]')" proto.esp
sleep 2.5
check "and it exits again" sh -c "! busctl --address='$addr' status '$NAME' >/dev/null 2>&1"

# --- load: 10,000 GetReport calls from 8 clients --------------------------------------
if [ -x "$ABS_TOP_BUILDDIR/bench/dbus-load-client" ]; then
        # Under --enable-sanitizers ASan's quarantine holds freed memory back from reuse
        # (RSS would grow by design): without it, RSS growth means what it means unsanitized.
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0 start_daemon
        DBUS_ADDRESS=$addr DAEMON_PID=$daemon_pid CLIENT="$ABS_TOP_BUILDDIR/bench/dbus-load-client" \
                "$SHELL" "$ABS_TOP_SRCDIR/bench/dbus-load.sh" 8 10000 >"$work/load.out" 2>&1
        is "load benchmark exits 0" $? 0
        sed 's/^/# /' "$work/load.out"
        is "10,000 calls, 0 failures" "$(grep -o 'calls=[0-9]* failures=[0-9]*' "$work/load.out" | tail -n 1)" \
                "calls=10000 failures=0"
        check "daemon RSS did not grow" grep -q "^rss_growth_kb=[-0]" "$work/load.out"
        stop_daemon
else
        skip "load benchmark" "bench/dbus-load-client was not built"
fi

# --- the unit: systemd-analyze verify -------------------------------------------------
# verify checks ExecStart= too: point it at this build.
mkdir -p "$work/unit"
sed "s|@sbindir@|$(dirname "$IPSEC_AUDITD")|" "$ABS_TOP_SRCDIR/systemd/ipsec-auditd.service.in" \
        >"$work/unit/ipsec-auditd.service"
verify_units ipsec-auditd.service "$work/unit/ipsec-auditd.service"

# --- the shipped bus policy, on a bus configured like Debian's system bus ----------------
cat >"$busdir/system.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$busdir/system-socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
  </policy>
  <include>$ABS_TOP_SRCDIR/systemd/net.ipsecaudit.Auditor1.conf</include>
</busconfig>
EOF
dbus-daemon --config-file="$busdir/system.conf" --nofork --nopidfile --print-address=3 3>"$busdir/system-address" \
        2>"$work/system-bus.err" &
system_bus=$!
for _ in $(seq 50); do [ -s "$busdir/system-address" ] && break; sleep 0.1; done
saddr=$(head -n 1 "$busdir/system-address")
if [ -n "$saddr" ]; then
        "$IPSEC_AUDITD" --bus="$saddr" 2>>"$work/auditd.log" &
        daemon_pid=$!
        check "policy: root owns $NAME" gdbus wait --address "$saddr" --timeout 10 "$NAME"
        is "policy: nobody may call GetCapability" \
                "$(as_nobody busctl --address="$saddr" --json=short call "$NAME" "$OPATH" "$IFACE" GetCapability s proto.esp | jq -r '.data[0][0]')" \
                proto.esp
        is "policy: nobody may call CheckProfile" \
                "$(as_nobody busctl --address="$saddr" --json=short call "$NAME" "$OPATH" "$IFACE" CheckProfile s l2tp | jq -r '.data[1]' | jq -r .profile)" \
                l2tp
        is "policy: nobody may read properties" \
                "$(as_nobody busctl --address="$saddr" get-property "$NAME" "$OPATH" "$IFACE" Version)" \
                "s \"$(jq -r .tool.version "$work/report.json")\""
        as_nobody gdbus introspect --address "$saddr" --dest "$NAME" --object-path "$OPATH" >"$work/policy-introspect.out" 2>&1
        check "policy: nobody may introspect" grep -q "GetReport(out s report)" "$work/policy-introspect.out"
        as_nobody gdbus call --address "$saddr" --dest "$NAME" --object-path "$OPATH" --method "$IFACE.Refresh" \
                >"$work/policy-refresh.out" 2>&1
        check "policy: the bus itself refuses Refresh from nobody" \
                grep -q "AccessDenied: Rejected send message" "$work/policy-refresh.out"
        as_nobody_net_admin gdbus call --address "$saddr" --dest "$NAME" --object-path "$OPATH" \
                --method "$IFACE.Refresh" >"$work/policy-netadmin.out" 2>&1
        check "policy: the bus refuses Refresh from a non-root caller with CAP_NET_ADMIN" \
                grep -q "AccessDenied: Rejected send message" "$work/policy-netadmin.out"
        is "policy: root may call Refresh" \
                "$(busctl --address="$saddr" --json=short call "$NAME" "$OPATH" "$IFACE" Refresh | jq -r '.data[0]' | jq -r .schema)" \
                "ipsec-audit/report/v1"
        stop_daemon
else
        ok 1 "a bus with the shipped policy starts"
        sed 's/^/# /' "$work/system-bus.err"
fi
kill "$system_bus" 2>/dev/null
done_testing
