#!/bin/bash
# bench/survey.sh COUNT...: for each COUNT, generates COUNT distinct reports
# (bench/survey-generate.py, from the kernel matrix's reports, in a temporary
# directory that is removed afterwards) and measures, on the same file, wall
# time and max RSS of
#   ipsec-audit survey --format=json -    (every table: capabilities, Section 4, per kernel)
#   a jq pipeline counting the same verdicts per capability and Section 4 question
# and checks that the two agree. Run by make bench-survey.
set -eu
IPSEC_AUDIT=${IPSEC_AUDIT:-./ipsec-audit}
RUSAGE=${RUSAGE:-./bench/rusage}
here=$(cd "$(dirname "$0")" && pwd)
FIXTURES=${FIXTURES:-$here/../tests/fixtures/reports}
command -v jq >/dev/null || { echo "bench/survey.sh needs jq" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/survey-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

jq_count='reduce inputs as $r ({};
        reduce (($r.capabilities[] | [.id, .verdict]),
                ($r.section4 | to_entries[] | select(.key != "summary") | ["section4." + .key, .value])) as $x
        (.; .[$x[0]][$x[1]] += 1))'
survey_count='[.overall.rows[] | . as $r | ("available", "partial", "unavailable", "unknown") as $v
        | select($r[$v].hosts > 0) | {key: $r.id, value: {($v): $r[$v].hosts}}]
        | group_by(.key) | map({key: .[0].key, value: (map(.value) | add)}) | from_entries'

# measure NAME COMMAND: prints "NAME wall_ms=N maxrss_kb=N"
measure() {
        local name=$1
        shift
        echo "$name $("$RUSAGE" sh -c "$*" | cut -d' ' -f1,2)"
}

printf '%-9s %-10s %-28s %s\n' reports size "ipsec-audit survey" "jq pipeline"
for n in "$@"; do
        python3 "$here/survey-generate.py" "$n" "$FIXTURES"/*.json >"$tmp/reports.ndjson"
        size=$(du -m "$tmp/reports.ndjson" | cut -f1)
        cat "$tmp/reports.ndjson" >/dev/null # both runs start from the page cache
        s=$(measure survey "'$IPSEC_AUDIT' survey --format=json - <'$tmp/reports.ndjson' >'$tmp/survey.json'")
        j=$(measure jq "jq -n -c '$jq_count' <'$tmp/reports.ndjson' >'$tmp/jq.json'")
        if [ "$(jq -S -c "$survey_count" "$tmp/survey.json")" != "$(jq -S -c . "$tmp/jq.json")" ]; then
                echo "the survey and jq disagree at $n reports" >&2
                exit 1
        fi
        [ "$(jq .inputs.counted "$tmp/survey.json")" = "$n" ] || { echo "the survey did not count $n hosts" >&2; exit 1; }
        printf '%-9s %-10s %-28s %s\n' "$n" "${size} MB" "${s#survey }" "${j#jq }"
done
