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

for bad in "--format=xml" "--timeout=0" "--timeout=12x" "--timeout=-5" "--color=sometimes" "stray-argument" "--output=" \
        "--absent-module=" "--absent-module=esp4/../x" "--absent-module=esp 4" \
        "--absent-module=$(printf 'm%.0s' $(seq 56))"; do
        run_audit bad "$bad"
        is "'$bad' exits 2" "$(rc bad)" 2
        is "'$bad' gives one error line and the hint" "$(lines bad.err)" 2
done

run_audit absentinput --absent-module=esp4 --input=-
is "--absent-module with --input (no audit) exits 2" "$(rc absentinput)" 2
check "and says it does not apply" grep -q "absent-module do not apply" "$work/absentinput.err"

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
umask 022
run_audit tofile --json --output="$work/report.json"
check "--output exits 0 or 3" test "$(rc tofile)" -eq 0 -o "$(rc tofile)" -eq 3
check "--output prints nothing on stdout" test ! -s "$work/tofile.out"
is "--output replaces the file with a JSON report" "$(jq -r .schema "$work/report.json")" "ipsec-audit/report/v1"
is "--output file is world-readable under umask 022" "$(stat -c %a "$work/report.json")" 644

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

# --- --output on what is not a plain new file (hostile review, issue 12) ---
(umask 077; run_audit private --passive --json --output="$work/private.json")
is "--output honours the umask (077 gives 600)" "$(stat -c %a "$work/private.json" 2>&1)" 600
long=$work/$(printf 'r%.0s' $(seq 250)).json
run_audit longname --passive --json --output="$long"
is "--output with a 255-byte basename works (no ENAMETOOLONG from a temp suffix)" \
        "$(jq -r .schema "$long" 2>&1)" "ipsec-audit/report/v1"
is "no temporary file is left beside it" "$(ls -A "$work" | grep -c '^\.ipsec-audit\.')" 0

mkfifo "$work/fifo"
timeout 60 cat "$work/fifo" >"$work/fifo.got" &
reader=$!
run_audit fifo --passive --json --output="$work/fifo"
# A replaced FIFO would leave the reader waiting forever: end it either way.
{ sleep 2; kill "$reader" 2>/dev/null; } &
wait "$reader" 2>/dev/null
is "--output to a FIFO writes into it" "$(jq -r .schema "$work/fifo.got" 2>&1)" "ipsec-audit/report/v1"
check "--output to a FIFO leaves it a FIFO" test -p "$work/fifo"

if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
        skip "--output to devices in a private /dev" "needs root and a mount namespace"
        skip "--output through a stranger's symlink in a sticky directory" "needs root (chown)"
else
        # Only ever in a private mount namespace with a tmpfs /dev: a binary with the bug
        # would replace the host's /dev/null or /dev/stdout for everyone.
        unshare -m --propagation private bash -c '
                mount -t tmpfs tmpfs /dev && mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/full c 1 7 &&
                        ln -s /proc/self/fd/1 /dev/stdout || exit 1
                "$1" --passive --output=/dev/null 2>/dev/null; echo "null rc=$?"
                "$1" --passive --output=/dev/full 2>/dev/null; echo "full rc=$?"
                "$1" --passive --json --output=/dev/stdout 2>/dev/null >"$2/stdout-ns.json"; echo "stdout rc=$?"
                echo "null $(stat -c %F /dev/null)"; echo "full $(stat -c %F /dev/full)"
                echo "stdout $(stat -c %F /dev/stdout)"; ls -A /dev | grep -c "\.ipsec-audit\." | sed "s/^/temp /"
        ' sh "$IPSEC_AUDIT" "$work" >"$work/devns.out" 2>&1
        diag "$(tr '\n' ';' <"$work/devns.out")"
        is "--output=/dev/null: written, exit 3 (passive)" "$(sed -n 's/^null rc=//p' "$work/devns.out")" 3
        is "--output=/dev/null stays a character device" \
                "$(sed -n 's/^null \(.*file\)$/\1/p' "$work/devns.out")" "character special file"
        is "--output=/dev/full: exit 4 (ENOSPC), not replaced" "$(sed -n 's/^full rc=//p' "$work/devns.out")" 4
        is "--output=/dev/full stays a character device" \
                "$(sed -n 's/^full \(.*file\)$/\1/p' "$work/devns.out")" "character special file"
        is "--output=/dev/stdout: the report on standard output" \
                "$(jq -r .schema "$work/stdout-ns.json" 2>&1)" "ipsec-audit/report/v1"
        is "--output=/dev/stdout stays a symlink" "$(sed -n 's/^stdout //p' "$work/devns.out" | tail -n 1)" "symbolic link"
        is "no temporary file left in /dev" "$(sed -n 's/^temp //p' "$work/devns.out")" 0

        # fs.protected_symlinks' rule, kept by us too: a stranger's link in /tmp is not followed.
        mkdir -m 1777 "$work/sticky"
        echo keep >"$work/victim"
        ln -s "$work/victim" "$work/sticky/theirs"
        chown -h 65534:65534 "$work/sticky/theirs"
        run_audit sticky --passive --json --output="$work/sticky/theirs"
        is "--output through nobody's symlink in a sticky directory: exit 4" "$(rc sticky)" 4
        is "and the file it points to is untouched" "$(cat "$work/victim")" keep
        check "and the link is still a link" test -L "$work/sticky/theirs"
        ln -s "$work/victim" "$work/sticky/mine"
        run_audit mine --passive --json --output="$work/sticky/mine"
        is "through our own symlink: the file it names is replaced" "$(jq -r .schema "$work/victim" 2>&1)" \
                "ipsec-audit/report/v1"
        check "and the link stays a link" test -L "$work/sticky/mine"
fi

# --- the whole audit under valgrind: the CLI and every forked probe child ---
if ! command -v valgrind >/dev/null; then
        skip "the audit under valgrind" "valgrind is not installed (see .ci/run)"
elif ldd "$IPSEC_AUDIT" | grep -q libasan; then
        skip "the audit under valgrind" "this build uses ASan, which valgrind cannot run"
else
        vg=(valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite)
        "${vg[@]}" --log-file="$work/vg-json.%p" "$IPSEC_AUDIT" --json >"$work/vg-json.out" 2>/dev/null
        check "valgrind: the JSON audit exits 0 or 3, not valgrind's 99" test $? -eq 0 -o $? -eq 3
        "${vg[@]}" --log-file="$work/vg-text.%p" "$IPSEC_AUDIT" --passive >/dev/null 2>&1
        check "valgrind: the passive text audit exits 3" test $? -eq 3
        is "valgrind: no error and no definite leak in the CLI or any probe child ($(ls "$work"/vg-*.[0-9]* | wc -l) processes)" \
                "$(cat "$work"/vg-*.[0-9]* | grep -c '^==[0-9]*==')" 0
        grep -h '^==[0-9]*==' "$work"/vg-*.[0-9]* | head -n 40 | sed 's/^/# /'
fi

done_testing
