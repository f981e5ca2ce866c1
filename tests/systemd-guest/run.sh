#!/bin/bash
# The service as a fleet operator runs it (TAP): a Debian 12 root filesystem
# built from Debian's archive (rootfs.sh, cached), the project installed into it
# with make install DESTDIR=, booted with Debian's kernel under qemu
# (../kernel-matrix/kernel.sh and boot.sh --rootfs) with systemd as PID 1 and
# the system dbus-daemon. guest.sh drives it there; this script checks what it
# saw: bus activation, service and CLI agreeing id by id, Refresh refused to
# others, journal priorities, idle exit and re-activation, restart, the module
# set left as found, and the kernel log. SYSTEMD_GUEST=skip, or KERNEL_MATRIX=skip (it
# boots qemu like the matrix, and its guest has no sanitizer runtime), skips it.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

[ "${SYSTEMD_GUEST:-}" = skip ] && skip_all "SYSTEMD_GUEST=skip in the environment"
[ "${KERNEL_MATRIX:-}" = skip ] && skip_all "KERNEL_MATRIX=skip in the environment (no qemu guests)"
[ "$(id -u)" -eq 0 ] || skip_all "needs root: the root filesystem holds files owned by other users"
for tool in mmdebstrap qemu-system-x86_64 cpio depmod dpkg apt-get jq; do
        command -v "$tool" >/dev/null || skip_all "$tool is not installed (see .ci/run)"
done
ABS_TOP_BUILDDIR=${ABS_TOP_BUILDDIR:-$(dirname "$IPSEC_AUDIT")}
cache=${KERNEL_MATRIX_CACHE:-/var/cache/ipsec-audit/kernel-matrix}
tree=$("$here/../kernel-matrix/kernel.sh" "$cache" 2>"$work/kernel.err") ||
        skip_all "cannot fetch Debian's kernel: $(cat "$work/kernel.err")"
tar=$("$here/rootfs.sh" "${SYSTEMD_GUEST_CACHE:-/var/cache/ipsec-audit/systemd-guest}" 2>"$work/rootfs.err") ||
        skip_all "cannot build the Debian 12 root filesystem: $(cat "$work/rootfs.err")"
out=${SYSTEMD_GUEST_OUT:-$PWD/systemd-guest}
mkdir -p "$out"

root=$work/root
mkdir -p "$root"
tar -C "$root" -xf "$tar"
make -C "$ABS_TOP_BUILDDIR" install DESTDIR="$root" >"$out/install.log" 2>&1
ok $? "make install DESTDIR= into the root filesystem"
# 25 minutes: beside the kernel matrix's guests on a loaded 2-core host, one audit in this
# guest took up to 95 s under TCG, and it runs seven (the CLI's and the service's).
KERNEL_MATRIX_TIMEOUT=${SYSTEMD_GUEST_TIMEOUT:-1500} "$here/../kernel-matrix/boot.sh" --kernel "$tree" \
        --cache "$cache" --rootfs "$root" --data "$out/guest" --console "$out/console" "$here/guest.sh"
status=$?
ok "$status" "the guest booted systemd and ran guest.sh (boot.sh exit $status)"
rm -rf "$root"
[ "$status" -eq 0 ] || { tail -n 30 "$out/console" "$out/guest" | sed 's/^/#   /'; done_testing; }

field() { sed -n "s/^$1 //p" "$out/guest" | head -n 1; }
section() { sed -n "/^--- $1\$/,/^--- end\$/p" "$out/guest" | sed '1d;$d' >"$out/$1"; echo "$out/$1"; }
diag "system state: $(field system); CLI exit $(field cli-exit)"
cli=$(section cli) service=$(section service) journal=$(section journal) dmesg=$(section dmesg-new)

# --- bus activation and the first call -------------------------------------------------
is "the service is not running before the first call" "$(field active-before)" inactive
is "the first call started it (bus activation)" "$(field active-after-call)" active
read -r rc secs msg <<<"$(field first-call-exit)"
check "the first call was answered within the client's 25 s default ($secs s: exit $rc ${msg:0:120})" \
        [ "$secs" -lt 25 ]
if [ "$rc" -ne 0 ]; then
        check "an unanswered first call says the first audit is running" grep -q "first audit has been running" <<<"$msg"
fi

# --- the service tells the CLI's truth ----------------------------------------------------
is "the service's report is JSON" "$(jq -r .schema "$service")" ipsec-audit/report/v1
is "service and CLI: the same capabilities, verdicts and levels, id by id" \
        "$(jq -c '[.capabilities[] | [.id, .verdict, .level]]' "$service")" \
        "$(jq -c '[.capabilities[] | [.id, .verdict, .level]]' "$cli")"
is "service and CLI: the same Section 4" "$(jq -c .section4 "$service")" "$(jq -c .section4 "$cli")"
check "the service's datapath checks ran: $(jq '[.capabilities[] | select(.level == "datapath")] | length' "$service") capabilities at level datapath" \
        [ "$(jq '[.capabilities[] | select(.level == "datapath")] | length' "$service")" -gt 0 ]

# --- Refresh --------------------------------------------------------------------------------
read -r rc msg <<<"$(field refresh-user)"
check "Refresh as an unprivileged user is refused ($msg)" [ "$rc" -ne 0 -a -n "$(grep -i 'access denied' <<<"$msg")" ]
read -r rc msg <<<"$(field refresh-userns)"
check "Refresh from inside unshare -Ur is refused ($msg)" [ "$rc" -ne 0 -a -n "$(grep -i 'access denied' <<<"$msg")" ]
is "Refresh as root runs an audit and returns its report" "$(field refresh-root)" "0 ipsec-audit/report/v1"

# --- the module set -------------------------------------------------------------------------
left=$(jq -r '.modules_left_loaded[]' "$cli" | sort | tr '\n' ' ')
is "the CLI unloaded what it loaded, but for the modules_left_loaded it reports (${left:-none})" \
        "$(field modules-after-cli)" \
        "$(echo $(field modules-boot) $left | tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' ')"
around=$(field modules-around-refresh)
is "lsmod is the same before and after the service's audit (Refresh)" "${around#*| }" "${around%| *}"
is "the administrator's rmmod esp4 took effect" "$(field esp4-removed)" 0
is "and the re-audit it caused did not bring esp4 back" "$(field esp4-after-reaudit)" 0

# --- restart, idle exit ---------------------------------------------------------------------
read -r before after <<<"$(field restart-last)"
check "LastRefreshUSec did not go back across systemctl restart ($before -> $after)" [ "$after" -ge "$before" ]
is "the state file is in StateDirectory" "$(field restart-state)" present
is "idle, the service exits by itself" "$(field idle-exit)" inactive
is "and the next call activates it again" "$(field reactivated)" active

# --- the journal ----------------------------------------------------------------------------
diag "journal: $(wc -l <"$journal") lines, by priority: $(jq -r '.[0]' "$journal" | sort | uniq -c | tr -s ' \n' ' ')"
is "no journal line repeats the name the journal records" "$(jq -r '.[1]' "$journal" | grep -c '^ipsec-auditd:')" 0
check "audits are logged at priority 6 (info)" grep -q '^\["6","audit [0-9]* done' "$journal"
check "module events are logged at priority 7 (debug)" grep -q '^\["7","kernel module ' "$journal"
# Every module event of an audit is its own (loads and unloads of what it reports): none may
# start another audit. Only the administrator's modprobe and rmmod, made at rest, do.
is "no audit started another through its own module events" \
        "$(grep -c 're-auditing: kernel modules changed while audit' "$journal")" 0
is "the administrator's modprobe and rmmod each started one audit" \
        "$(grep -c '"re-auditing: kernel modules changed"' "$journal")" 2
is "nothing that reports a failure is logged at info or debug" \
        "$(grep -E '^\["[67]",".*(cannot|failed)' "$journal")" ""

# --- the kernel log -------------------------------------------------------------------------
is "no 'bytes leftover' kernel log line from the audits" "$(grep -c 'bytes leftover after parsing attributes' "$dmesg")" 0
# "hrtimer: interrupt took N ns" is the emulation being slow, not the audit.
is "no other kernel log line at warning or above while the audits ran" \
        "$(grep -v -e 'bytes leftover after parsing attributes' -e 'hrtimer: interrupt took' "$dmesg")" ""
done_testing
