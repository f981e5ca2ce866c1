#!/bin/bash
# The shipped JSON Schema (schema/report-v1.schema.json) against every report
# the suite has: the kernel matrix's, this machine's in each mode, and the
# kernel matrix run's own if this build has one; and against broken reports,
# which it must reject. Validated by Debian's python3-jsonschema.
. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

schema=$ABS_TOP_SRCDIR/schema/report-v1.schema.json
validate() { python3 "$TESTS_DIR/validate-report.py" "$schema" "$@"; }
python3 -c 'import jsonschema' 2>/dev/null || skip_all "python3-jsonschema is not installed (apt-get install python3-jsonschema)"

validate >"$work/self-check.out"
is "the schema is a valid draft 2020-12 schema" $? 0

reports=("$TESTS_DIR"/fixtures/reports/*.json)
for mode in "" --passive --quick; do
        "$IPSEC_AUDIT" --json $mode >"$work/self$mode.json" 2>/dev/null
        reports+=("$work/self$mode.json")
done
# The kernel matrix's reports from this build's last run, if any.
for f in "$ABS_TOP_BUILDDIR"/kernel-matrix/*.json; do
        [ -f "$f" ] && reports+=("$f")
done
validate "${reports[@]}" >"$work/valid.out"
is "every report validates (${#reports[@]} reports)" $? 0
sed 's/^/# /' "$work/valid.out"

is "the schema's capability ids are the ones this build reports" \
        "$(jq -c '."$defs".capability_id.anyOf[0].enum | sort' "$schema")" \
        "$(jq -c '[.capabilities[].id] | sort' "$work/self.json")"
is "the schema's verdicts are the ones the code knows" \
        "$(jq -c '."$defs".verdict.enum | sort' "$schema")" '["available","partial","unavailable","unknown"]'

# Broken reports: each must be rejected.
base=$TESTS_DIR/fixtures/reports/debian-6.1.0-57-amd64-full.json
n=0
while IFS='|' read -r what filter; do
        n=$((n + 1))
        jq "$filter" "$base" >"$work/broken-$n.json"
        validate "$work/broken-$n.json" >"$work/broken-$n.out"
        is "rejected: $what" $? 1
        sed 's/^/# /' "$work/broken-$n.out"
done <<'EOF'
a verdict outside the enum|.capabilities[0].verdict = "maybe"
a level outside the enum|.capabilities[4].level = "guess"
a capability id of another form|.capabilities[2].id = "Proto ESP"
a capability without a verdict|del(.capabilities[1].verdict)
another schema|.schema = "ipsec-audit/report/v2"
a Section 4 question missing|del(.section4.vpn)
a check outcome outside the enum|.capabilities[0].details.checks[0].outcome = "fine"
a count that is negative|.inventory.sad.count = -1
duration as a string|.duration_ms = "5 s"
no host|del(.host)
EOF

# What v1 allows: new members anywhere, a new capability id of the same form.
jq '.new_member = {"x": 1} | .host.new_fact = "y" | .capabilities[0].new_key = [1]
    | .capabilities += [{"id": "iface.future", "rfc5406_section": "4", "verdict": "available", "level": "api",
                         "evidence": "e", "details": {"checks": []}}]' "$base" >"$work/additions.json"
validate "$work/additions.json" >"$work/additions.out"
is "accepted: members and capabilities added as the compatibility promise allows" $? 0
done_testing
