#!/bin/bash
# ipsec-audit check: every built-in profile against the kernel matrix's saved
# reports (tests/fixtures/reports), with the outcome expected beside each
# configuration in tests/kernel-matrix/expect/, and against this machine's own
# report; the exit codes, --list-profiles, local overrides and malformed profiles.
. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

srcdir=${ABS_TOP_SRCDIR:-$(cd "${TESTS_DIR:-$(dirname "$0")}/.." && pwd)}
export IPSEC_AUDIT_PROFILE_PATH="$work/local:$srcdir/profiles"
mkdir -p "$work/local"
builtins="bgp l2tp multicast-group nested-vpn ospfv3"

# check NAME ARGS...: ipsec-audit check ARGS, keeping stdout, stderr and exit code as NAME.*
check_run() {
        local name=$1
        shift
        run_audit "$name" check "$@"
}

exit_for() {
        case $1 in satisfied) echo 0 ;; not_satisfied) echo 1 ;; undecided) echo 3 ;; esac
}

# --- the kernel matrix's reports, expectations from expect/CONFIG ----------------
n_fixtures=0
for report in "$srcdir"/tests/fixtures/reports/*.json; do
        cfg=$(basename "$report" .json)
        cfg=${cfg##*-amd64-}
        expect="$srcdir/tests/kernel-matrix/expect/$cfg"
        [ -f "$expect" ] || continue
        n_fixtures=$((n_fixtures + 1))
        seen=""
        while read -r key name want; do
                [ "$key" = profile ] || continue
                seen="$seen $name"
                check_run "$cfg-$name" --profile "$name" --report "$report" --json
                is "$cfg: $name is $want" "$(jqr "$cfg-$name" .outcome)" "$want"
                is "$cfg: $name exits $(exit_for "$want")" "$(rc "$cfg-$name")" "$(exit_for "$want")"
                check_run "$cfg-$name-text" --profile "$name" --report "$report"
                is "$cfg: $name text says the same" "$(grep '^Result: ' "$work/$cfg-$name-text.out")" \
                        "Result: $(echo "$want" | tr _ ' ')"
        done <"$expect"
        is "$cfg: expect/$cfg names every built-in profile" "$(echo "$seen" | xargs -n1 | sort | xargs)" "$builtins"
done
check "the fixtures cover the kernel matrix's configurations" [ "$n_fixtures" -ge 4 ]

# Unmet means what the report says: a plain requirement is unmet exactly when the
# capability's verdict is below the one required (no variant, no alternatives).
full=$(ls "$srcdir"/tests/fixtures/reports/*-full.json)
noesp=$(ls "$srcdir"/tests/fixtures/reports/*-no-esp.json)
for name in $builtins; do
        check_run "oracle-$name" --profile "$name" --report "$noesp" --json
        got=$(jq -c '[.requirements[] | select(.any_of == null and .variant == null) | [.capability, .met]]' \
                "$work/oracle-$name.out")
        want=$(jq -c --slurpfile r "$noesp" '
                def rank: {"unknown": 0, "unavailable": 1, "partial": 2, "available": 3}[.];
                [.requirements[] | select(.any_of == null and .variant == null)
                 | .capability as $id | .required_verdict as $need
                 | ($r[0].capabilities[] | select(.id == $id) | .verdict) as $v
                 | [$id, (if $v == "unknown" then null else ($v | rank) >= ($need | rank) end)]]' \
                "$work/oracle-$name.out")
        is "no-esp: $name's plain requirements follow the report's verdicts" "$got" "$want"
done

# A required capability that is unknown and nothing unmet: cannot decide (3), met null.
jq '(.capabilities[] | select(.id == "proto.esp") | .verdict) = "unknown"' "$full" >"$work/esp-unknown.json"
check_run undecided --profile ospfv3 --report "$work/esp-unknown.json" --json
is "a required unknown capability: exit 3" "$(rc undecided)" 3
is "... outcome undecided, satisfied false" "$(jqr undecided '[.outcome, .satisfied] | join(" ")')" "undecided false"
is "... that requirement's met is null" "$(jqr undecided '.requirements[0] | [.capability, .met] | tostring')" \
        '["proto.esp",null]'
# Optional items never decide: ospfv3 with AH unknown is still satisfied.
jq '(.capabilities[] | select(.id == "proto.ah") | .verdict) = "unknown"' "$full" >"$work/ah-unknown.json"
check_run optional --profile ospfv3 --report "$work/ah-unknown.json"
is "an optional unknown capability decides nothing: exit 0" "$(rc optional)" 0

# --- this machine's report --------------------------------------------------------
run_audit host --json
for name in $builtins; do
        check_run "host-$name" --profile "$name" --json
        fresh=$(rc "host-$name")
        check "this host: $name answered (exit 0, 1 or 3; got $fresh)" test "$fresh" -le 1 -o "$fresh" -eq 3
        check_run "saved-$name" --profile "$name" --report "$work/host.out" --json
        is "this host: $name on a saved report agrees with a fresh audit" \
                "$(jqr "saved-$name" '[.outcome, [.requirements[] | [.capability, .met]]] | tostring')" \
                "$(jqr "host-$name" '[.outcome, [.requirements[] | [.capability, .met]]] | tostring')"
        diag "this host ($(uname -r)): $name $(jqr "host-$name" .outcome)"
done
# Whatever this kernel has: ESP unavailable in the report means no profile needing ESP can pass.
if [ "$(jq -r '.capabilities[] | select(.id == "proto.esp") | .verdict' "$work/host.out")" = unavailable ]; then
        is "this host has no ESP: ospfv3 is not satisfied" "$(jqr host-ospfv3 .outcome)" not_satisfied
else
        skip "this host has no ESP: ospfv3 is not satisfied" "this kernel's proto.esp is not unavailable"
fi

# --- listing and lookup -----------------------------------------------------------------
check_run list --list-profiles
is "--list-profiles exits 0" "$(rc list)" 0
is "--list-profiles names the built-in profiles" "$(cut -f1 "$work/list.out" | xargs)" "$builtins"
check "--list-profiles gives each one's file" grep -qxF "bgp	$srcdir/profiles/bgp.json" "$work/list.out"
sed 's/"description": "[^"]*"/"description": "local BGP"/' "$srcdir/profiles/bgp.json" >"$work/local/bgp.json"
check_run list-local --list-profiles
check "a local profile of the same name overrides the built-in" grep -qxF "bgp	$work/local/bgp.json" "$work/list-local.out"
check_run local --profile bgp --report "$full" --json
is "check uses the local profile" "$(jqr local '[.file, .description] | join(" ")')" "$work/local/bgp.json local BGP"
cp "$srcdir/profiles/l2tp.json" "$work/mine.json"
check_run byfile --profile "$work/mine.json" --report "$full" --json
is "a profile given as a file is read from it" "$(jqr byfile .profile)" mine

# --- bad input: one line, exit 2 ---------------------------------------------------------
printf '{\n  "schema": "ipsec-audit/profile/v1",\n  "name": "x",,\n}\n' >"$work/syntax.json"
check_run syntax --profile "$work/syntax.json" --report "$full"
is "a syntax error exits 2" "$(rc syntax)" 2
is "a syntax error is one line naming file, line and column" "$(cat "$work/syntax.err")" \
        "ipsec-audit: $work/syntax.json:3:15: quoted object property name expected"
jq '.requirements[2].capability = "selector.port"' "$srcdir/profiles/bgp.json" >"$work/badcap.json"
check_run badcap --profile "$work/badcap.json" --report "$full"
is "an unknown capability exits 2" "$(rc badcap)" 2
is "an unknown capability is named with its JSON pointer" "$(cat "$work/badcap.err")" \
        "ipsec-audit: $work/badcap.json: /requirements/2/capability: unknown capability \"selector.port\""
check_run unknown --profile no-such --report "$full"
is "an unknown profile exits 2" "$(rc unknown)" 2
check "an unknown profile names the search path" grep -qF "no such profile (searched $IPSEC_AUDIT_PROFILE_PATH)" \
        "$work/unknown.err"
check_run missing --profile "$work/none.json" --report "$full"
is "a missing profile file exits 2" "$(rc missing)" 2
check_run notreport --profile bgp --report "$srcdir/profiles/bgp.json"
is "a report file that is not a report exits 2" "$(rc notreport)" 2
check_run noreport --profile bgp --report "$work/nothing.json"
is "an unreadable report file exits 2" "$(rc noreport)" 2
for args in "" "--profile" "--profile bgp --bus --report x" "--list-profiles --json" "--profile bgp stray"; do
        # shellcheck disable=SC2086 # the words are the arguments
        check_run usage $args
        is "usage error '$args' exits 2" "$(rc usage)" 2
done
check_run nobus --profile bgp --bus="unix:path=$work/no-socket"
is "an unreachable daemon exits 4" "$(rc nobus)" 4
check_run help --help
is "check --help exits 0" "$(rc help)" 0
check "check --help documents exit status 3" grep -q "^  3  cannot decide" "$work/help.out"

# The complete example of ipsec-audit-profile(5) is a valid profile that the full kernel satisfies.
sed -n '/^\.SH EXAMPLE$/,/^\.fi$/p' "$srcdir/man/ipsec-audit-profile.5" | sed -n '/^{$/,/^}$/p' >"$work/example.json"
check_run example --profile "$work/example.json" --report "$full" --json
is "the man page's example profile is satisfied on the full kernel" "$(rc example) $(jqr example .outcome)" "0 satisfied"

# The fuzz driver survives the built-in profiles and every malformed file above.
fuzz=${ABS_TOP_BUILDDIR:-$(dirname "$IPSEC_AUDIT")}/tests/fuzz-profile
if [ -x "$fuzz" ]; then
        check "fuzz-profile runs over profiles and malformed files" \
                "$fuzz" "$srcdir"/profiles/*.json "$work/syntax.json" "$work/badcap.json" "$work/local/bgp.json"
else
        skip "fuzz-profile runs over profiles and malformed files" "no fuzz-profile binary (build first)"
fi
done_testing
