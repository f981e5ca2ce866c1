# Shared TAP helpers for the shell tests (sourced, not run).
# IPSEC_AUDIT names the binary under test; make check sets it. Exported: the
# ipsec-auditd the tests start runs its audits in the same one.

IPSEC_AUDIT=${IPSEC_AUDIT:-$(cd "$(dirname "$0")/.." && pwd)/ipsec-audit}
export IPSEC_AUDIT
tap_n=0
tap_failed=0
work=$(mktemp -d "${TMPDIR:-/tmp}/ipsec-audit-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

# ok STATUS DESCRIPTION: STATUS 0 passes.
ok() {
        tap_n=$((tap_n + 1))
        if [ "$1" -eq 0 ]; then
                echo "ok $tap_n - $2"
        else
                echo "not ok $tap_n - $2"
                tap_failed=1
        fi
}

# check DESCRIPTION COMMAND...: passes if the command succeeds.
check() {
        local desc=$1
        shift
        if "$@"; then ok 0 "$desc"; else ok 1 "$desc"; fi
}

# is DESCRIPTION GOT WANT
is() {
        if [ "$2" = "$3" ]; then
                ok 0 "$1"
        else
                ok 1 "$1"
                echo "#   got:  '$2'"
                echo "#   want: '$3'"
        fi
}

skip() {
        tap_n=$((tap_n + 1))
        echo "ok $tap_n - $1 # SKIP $2"
}

skip_all() {
        echo "1..0 # SKIP $1"
        exit 0
}

diag() {
        echo "# $*"
}

done_testing() {
        echo "1..$tap_n"
        exit $tap_failed
}

# run_audit NAME ARGS...: runs the binary, keeping stdout, stderr and exit code in $work/NAME.*
run_audit() {
        local name=$1
        shift
        "$IPSEC_AUDIT" "$@" >"$work/$name.out" 2>"$work/$name.err"
        echo $? >"$work/$name.rc"
}

rc() { cat "$work/$1.rc"; }
lines() { wc -l <"$work/$1"; }

# jqr NAME FILTER: a raw jq answer about the JSON report in $work/NAME.out
jqr() { jq -r "$2" "$work/$1.out"; }

command -v jq >/dev/null || skip_all "jq is not installed (apt-get install jq)"
[ -x "$IPSEC_AUDIT" ] || skip_all "no ipsec-audit binary at $IPSEC_AUDIT (build first)"

. "$(dirname "${BASH_SOURCE[0]}")/private-bus.sh"

# verify_units NAME UNIT...: systemd-analyze verify on the unit files (which checks ExecStart=
# and, with MANPATH at this tree's pages, Documentation=), then systemd-analyze security on
# the first one; TAP lines naming NAME, or a skip where systemd-analyze cannot run.
verify_units() {
        local name=$1
        shift
        if ! command -v systemd-analyze >/dev/null || ! systemd-analyze --version >/dev/null 2>&1; then
                skip "systemd-analyze verify" "systemd-analyze is not installed or does not run here"
                return
        fi
        mkdir -p "$work/verify-man/man8"
        # ipsec-audit(8) is built (its CAPABILITIES come from the program), the others are sources.
        cp "$ABS_TOP_SRCDIR"/man/*.8 "${ABS_TOP_BUILDDIR:-$(dirname "$IPSEC_AUDIT")}"/man/*.8 "$work/verify-man/man8/"
        # Documentation= is checked with man(1), absent from minimal installs.
        local man_check=--man=yes
        command -v man >/dev/null || { man_check=--man=no; diag "no man(1): Documentation= not checked"; }
        MANPATH="$work/verify-man" systemd-analyze verify "$man_check" "$@" >"$work/verify.out" 2>&1
        is "systemd-analyze verify passes on $name" $? 0
        sed 's/^/# /' "$work/verify.out"
        if systemd-analyze security --offline=yes "$1" >"$work/security.out" 2>&1; then
                diag "$(grep 'Overall exposure' "$work/security.out")"
                check "systemd-analyze security rates $name OK or better" \
                        grep -qE "Overall exposure level .*: [0-9.]+ (OK|SAFE)" "$work/security.out"
        else
                skip "systemd-analyze security" "this systemd-analyze has no --offline"
        fi
}

# one_screen DESC TEXT: the default text report in file TEXT is one screen: at most 40 lines
# and 80 display columns (wc -L in a UTF-8 locale counts wide characters twice), the Section
# 4 verdict in its first 5 lines, and exactly one line per capability of the catalogue
# (ipsec-audit explain lists its ids).
one_screen() {
        local desc=$1 text=$2 ids missing=""
        is "$desc: no colour when not asked" "$(grep -c $'\033' "$text")" 0
        check "$desc: at most 40 lines ($(wc -l <"$text"))" test "$(wc -l <"$text")" -le 40
        check "$desc: at most 80 columns ($(LC_ALL=C.UTF-8 wc -L <"$text"))" \
                test "$(LC_ALL=C.UTF-8 wc -L <"$text")" -le 80
        check "$desc: the Section 4 verdict in the first 5 lines" \
                grep -q '^Section 4 verdict: ' <(head -n 5 "$text")
        ids=$("$IPSEC_AUDIT" explain | awk '{ print $1 }')
        for id in $ids; do
                [ "$(grep -cE "^  \[.\] ${id//./\\.}( |\$)" "$text")" = 1 ] || missing="$missing $id"
        done
        is "$desc: one line for each capability of the catalogue" "${missing:- none}" " none"
        is "$desc: no other capability line" "$(grep -cE '^  \[.\] [a-z_]+\.' "$text")" "$(wc -w <<<"$ids")"
}

# verbose_evidence DESC REPORT: --verbose on the JSON report holds every capability's
# evidence sentence (the text wraps lines: compared with whitespace runs as one space).
verbose_evidence() {
        local desc=$1 report=$2 flat=$work/verbose-flat.txt missing
        "$IPSEC_AUDIT" --input="$report" --verbose --color=never 2>/dev/null | tr -s ' \n' '  ' >"$flat"
        missing=$(jq -r '.capabilities[].evidence' "$report" | tr -s ' ' | while IFS= read -r sentence; do
                grep -qF -- "$sentence" "$flat" || echo "$sentence"
        done)
        is "$desc: --verbose holds every evidence sentence of the JSON" "${missing:-all there}" "all there"
}
