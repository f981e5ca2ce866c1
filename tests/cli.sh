#!/bin/bash
# The command line: options, exit codes, error messages, output files.
# Runs as any user; nothing here needs a network namespace.
. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

run_audit help --help
is "--help exits 0" "$(rc help)" 0
check "--help documents every exit code" grep -q "^  4  the report could not be written" "$work/help.out"
check "--help prints nothing on stderr" test ! -s "$work/help.err"

run_audit version --version
check "--version prints the name and version" grep -qx "ipsec-audit [0-9][0-9.]*" "$work/version.out"

run_audit badflag --frobnicate
is "unknown option exits 2" "$(rc badflag)" 2
check "unknown option is named on stderr" grep -q "frobnicate" "$work/badflag.err"
check "unknown option prints no report" test ! -s "$work/badflag.out"
is "unknown option error is two short lines (error, hint)" "$(lines badflag.err)" 2

for bad in "--format=xml" "--timeout=0" "--timeout=12x" "--timeout=-5" "--color=sometimes" "stray-argument" "--output="; do
        run_audit bad "$bad"
        is "'$bad' exits 2" "$(rc bad)" 2
        is "'$bad' gives one error line and the hint" "$(lines bad.err)" 2
done

run_audit nodir --json --output=/nonexistent-dir/report.json
is "unwritable output directory exits 4" "$(rc nodir)" 4
is "unwritable output directory: one line on stderr" "$(head -n 1 "$work/nodir.err")" \
        "ipsec-audit: cannot write report to /nonexistent-dir/report.json: No such file or directory"
check "unwritable output directory: nothing on stdout" test ! -s "$work/nodir.out"

run_audit procfs --output=/proc/version
is "output path on a read-only file system exits 4" "$(rc procfs)" 4

# A directory where the file should go: the rename must fail, and the temp file go.
mkdir -p "$work/target/report.json"
run_audit isdir --json --output="$work/target/report.json"
is "output path that is a directory exits 4" "$(rc isdir)" 4
is "no temporary file is left behind" "$(ls "$work/target")" report.json

echo stale >"$work/report.json"
run_audit tofile --json --output="$work/report.json"
check "--output exits 0 or 3" test "$(rc tofile)" -eq 0 -o "$(rc tofile)" -eq 3
check "--output prints nothing on stdout" test ! -s "$work/tofile.out"
is "--output replaces the file with a JSON report" "$(jq -r .schema "$work/report.json")" "ipsec-audit/report/v1"
is "--output file is world-readable" "$(stat -c %a "$work/report.json")" 644

run_audit json --json
is "--json output is one JSON report" "$(jqr json .schema)" "ipsec-audit/report/v1"
is "--format=json is --json" "$("$IPSEC_AUDIT" --format=json 2>/dev/null | jq -r '.capabilities | length')" \
        "$(jqr json '.capabilities | length')"
is "every capability has the contract's keys" \
        "$(jqr json '[.capabilities[] | select(has("id") and has("rfc5406_section") and has("verdict") and has("level") and has("evidence"))] | length')" \
        "$(jqr json '.capabilities | length')"
is "verdicts are from the contract's set" \
        "$(jqr json '[.capabilities[].verdict | select(. != "available" and . != "partial" and . != "unavailable" and . != "unknown")] | length')" 0
is "every capability that is not available names a remedy" \
        "$(jqr json '[.capabilities[] | select(.verdict != "available" and (.remedy.kernel_config | length) == 0)] | length')" 0
is "modules_loaded_by_audit is a list" "$(jqr json '.modules_loaded_by_audit | type')" array
is "the exit code says whether anything is unknown" \
        "$(jqr json '[.capabilities[] | select(.verdict == "unknown")] | if length > 0 then 3 else 0 end')" "$(rc json)"

run_audit text --color=auto
check "text report has the Section 4 verdict" grep -q "^Section 4 verdict: " "$work/text.out"
check "text report piped has no colour" bash -c "! grep -q $'\033' '$work/text.out'"
run_audit colour --color=always
check "--color=always colours" grep -q $'\033\[' "$work/colour.out"
NO_COLOR=1 run_audit nocolour --color=auto
check "NO_COLOR is respected" bash -c "! grep -q $'\033' '$work/nocolour.out'"

run_audit quiet -q
check "--quiet prints nothing" test ! -s "$work/quiet.out" -a ! -s "$work/quiet.err"

run_audit passive --passive --json
is "--passive exits 3: active probes are unknown" "$(rc passive)" 3
is "--passive is recorded" "$(jqr passive .privilege.passive)" true
is "--passive runs no active probe" \
        "$(jqr passive '[.capabilities[] | select(.id != "api.xfrm_netlink" and (.id | startswith("km.") | not) and .verdict != "unknown")] | length')" 0
is "--passive still reads the live inventory" "$(jqr passive '.inventory.sad | has("count")')" true
check "--passive says why each active probe did not run" \
        test "$(jqr passive '[.capabilities[] | select(.evidence | startswith("Not run: passive"))] | length')" -gt 0
check "--passive still asks the read-only API question" \
        bash -c "jq -e '.capabilities[] | select(.id == \"api.xfrm_netlink\") | .evidence | startswith(\"Not run\") | not' '$work/passive.out' >/dev/null"
check "--passive warns on stderr in one line" test "$(lines passive.err)" -eq 1

done_testing
