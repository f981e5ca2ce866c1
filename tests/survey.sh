#!/bin/bash
# ipsec-audit survey on the kernel matrix's reports and this machine's own:
# counts checked against jq over the same files, every format, every kind of
# bad input, and the HTML page rendered by a real browser (headless Chromium).
. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

fixtures=${TESTS_DIR:-$(dirname "$0")}/fixtures/reports
mkdir -p "$work/in/sub"
cp "$fixtures"/*.json "$work/in/sub/"
"$IPSEC_AUDIT" --json >"$work/in/self.json" 2>/dev/null
is "this machine's report is a v1 report" "$(jq -r .schema "$work/in/self.json")" "ipsec-audit/report/v1"
echo "not a report either" >"$work/in/notes.txt" # not *.json: not read when walking a directory
survey() { run_audit "$@"; }

survey md survey "$work/in"
is "a directory survey exits 0" "$(rc md)" 0
check "the Markdown names the population" grep -q "^5 hosts counted from 5 inputs: 0 malformed" "$work/md.out"
check "stderr is empty when every input counts" test ! -s "$work/md.err"

survey json survey --format=json "$work/in"
is "JSON: the survey's own schema" "$(jqr json .schema)" "ipsec-audit/survey/v1"
is "JSON: five hosts counted" "$(jqr json .inputs.counted)" 5

# The counts, for every capability and verdict, against jq over the same reports.
want=$(jq -s -c '[.[] | .capabilities[] | [.id, .verdict]] | group_by(.) | map(.[0] + [length]) | sort' \
        "$fixtures"/*.json "$work/in/self.json")
got=$(jqr json '[.overall.rows[] | select(.kind == "capability") as $r
        | ("available", "partial", "unavailable", "unknown") as $v
        | select($r[$v].hosts > 0) | [$r.id, $v, $r[$v].hosts]] | sort' | jq -c .)
is "every capability's verdict counts equal jq's over the reports" "$got" "$want"
want=$(jq -s -c '[.[] | .section4 | to_entries[] | select(.key != "summary") | ["section4." + .key, .value]]
        | group_by(.) | map(.[0] + [length]) | sort' "$fixtures"/*.json "$work/in/self.json")
got=$(jqr json '[.overall.rows[] | select(.kind == "section4") as $r
        | ("available", "partial", "unavailable", "unknown") as $v
        | select($r[$v].hosts > 0) | [$r.id, $v, $r[$v].hosts]] | sort' | jq -c .)
is "every Section 4 verdict count equals jq's" "$got" "$want"
is "percentages add up to 100 in every row" \
        "$(jqr json '[.overall.rows[] | .available.percent + .partial.percent + .unavailable.percent + .unknown.percent
                | select(. < 99.8 or . > 100.2)] | length')" 0
is "groups: one per kernel release" "$(jqr json '[.groups[].name] | sort | join(",")')" \
        "$(jq -r -s '[.[].host.kernel_release] | unique | join(",")' "$fixtures"/*.json "$work/in/self.json")"
is "group host counts add up to the total" "$(jqr json '[.groups[].hosts] | add')" 5

survey none survey --format=json --group-by=none "$work/in"
is "--group-by=none: no groups" "$(jqr none '.groups | length')" 0
survey os survey --format=json --group-by=os "$work/in"
check "--group-by=os: reports without an OS name form '(not reported)'" \
        test "$(jqr os '.groups[] | select(.name == "(not reported)") | .hosts')" -ge 4

# Standard input: one report per line, the same numbers as the files.
for f in "$fixtures"/*.json "$work/in/self.json"; do jq -c . "$f"; done >"$work/all.ndjson"
"$IPSEC_AUDIT" survey --format=json - <"$work/all.ndjson" >"$work/stdin.out" 2>"$work/stdin.err"
is "standard input: exit 0" $? 0
is "standard input gives the same overall table as the files" \
        "$(jq -c .overall "$work/stdin.out")" "$(jq -c .overall "$work/json.out")"

# Bad inputs: counted and listed by file, never fatal, never counted as hosts.
mkdir -p "$work/bad"
cp "$fixtures/debian-6.1.0-57-amd64-full.json" "$work/bad/a.json"
cp "$fixtures/debian-6.1.0-57-amd64-full.json" "$work/bad/copy-of-a.json"
head -c 3000 "$fixtures/debian-6.1.0-57-amd64-no-esp.json" >"$work/bad/truncated.json"
jq '.schema = "ipsec-audit/report/v2"' "$fixtures/debian-6.1.0-57-amd64-no-pfkey.json" >"$work/bad/v2.json"
jq '.capabilities[3].verdict = "maybe"' "$fixtures/debian-6.1.0-57-amd64-ipv6-off.json" >"$work/bad/maybe.json"
survey bad survey --format=json "$work/bad" "$work/missing.json"
is "bad inputs: still exit 0" "$(rc bad)" 0
is "bad inputs: one host counted" "$(jqr bad .inputs.counted)" 1
is "bad inputs: counted by kind" "$(jq -c '[.inputs.malformed, .inputs.other_schema, .inputs.duplicate, .inputs.unreadable]' "$work/bad.out")" \
        "[2,1,1,1]"
# Which of the two copies counts depends on the directory's order; the other is the duplicate.
dup=$(jqr bad '.inputs.problems[] | select(.problem == "duplicate") | .input | sub(".*/"; "")')
check "bad inputs: the duplicate is one of the two copies" test "$dup" = a.json -o "$dup" = copy-of-a.json
is "bad inputs: each listed with its file" \
        "$(jqr bad '[.inputs.problems[] | (.input | sub(".*/"; "")) + ":" + .problem] | sort | join(" ")')" \
        "$(printf '%s\n' "$dup:duplicate" maybe.json:malformed missing.json:unreadable truncated.json:malformed \
                v2.json:other_schema | sort | paste -sd' ')"
check "bad inputs: the truncated file's reason says where" \
        grep -q "truncated.json: malformed: not JSON: .* at byte" "$work/bad.err"
check "bad inputs: the wrong verdict is named" grep -q "maybe.json: malformed: not a report: capability verdict 'maybe'" "$work/bad.err"
is "bad inputs: one line on stderr per problem" "$(lines bad.err)" 5
survey badmd survey "$work/bad" "$work/missing.json"
check "Markdown lists the inputs not counted" grep -q "^| .*/v2.json | other_schema | schema 'ipsec-audit/report/v2'" "$work/badmd.out"
printf '%s\n' '{"schema":' '' "$(jq -c . "$fixtures/debian-6.1.0-57-amd64-full.json")" >"$work/lines.ndjson"
"$IPSEC_AUDIT" survey --format=json - <"$work/lines.ndjson" >"$work/lines.out" 2>/dev/null
is "standard input: a bad line is named by its line number, blank lines are skipped" \
        "$(jq -c '[.inputs.counted, .inputs.problems[].input]' "$work/lines.out")" '[1,"-:1"]'

# Symbolic links: followed to a report, listed when broken, never followed to a directory (loops).
mkdir -p "$work/links/d"
cp "$fixtures/debian-6.1.0-57-amd64-full.json" "$work/links/d/"
ln -s d/debian-6.1.0-57-amd64-full.json "$work/links/link.json"
ln -s nowhere "$work/links/broken.json"
ln -s .. "$work/links/d/loop.json"
ln -s .. "$work/links/d/loop"
survey links survey --format=json "$work/links"
is "symbolic links: one host, the linked copy a duplicate, the broken link unreadable" \
        "$(jq -c '[.inputs.read, .inputs.counted, .inputs.duplicate, .inputs.unreadable]' "$work/links.out")" "[3,1,1,1]"

# CSV: a header and one line per group and row.
survey csv survey --format=csv "$work/in"
is "CSV header" "$(head -n 1 "$work/csv.out")" \
        "group_by,group,hosts,row,kind,rfc5406_section,available,partial,unavailable,unknown,available_pct,partial_pct,unavailable_pct,unknown_pct"
is "CSV: a line per row for all hosts and for each group" "$(($(lines csv.out) - 1))" \
        "$(jqr json '(.groups | length + 1) * (.overall.rows | length)')"
is "CSV: a section with a comma is quoted" "$(grep -c '^kernel,all,5,api.xfrm_netlink,capability,"3.4, 4",' "$work/csv.out")" 1

# Options.
for bad in "--format=xml" "--group-by=arch" "--profile=sip" "--frobnicate"; do
        survey opt survey "$bad" "$work/in"
        is "survey '$bad' exits 2" "$(rc opt)" 2
        check "survey '$bad' prints no table" test ! -s "$work/opt.out"
done
survey profile survey --profile=sip "$work/in"
check "--profile of an unknown profile names it" grep -q "sip: no such profile" "$work/profile.err"

# Profile rows: the survey's count of hosts satisfying a profile equals ipsec-audit check on each report.
profiles=$(cd "${TESTS_DIR:-$(dirname "$0")}/../profiles" && pwd)
for name in bgp nested-vpn; do
        want=0
        for f in "$fixtures"/*.json; do
                IPSEC_AUDIT_PROFILE_PATH=$profiles "$IPSEC_AUDIT" check --profile "$name" --report "$f" >/dev/null 2>&1 &&
                        want=$((want + 1))
        done
        IPSEC_AUDIT_PROFILE_PATH=$profiles "$IPSEC_AUDIT" survey --format=json --profile "$name" "$fixtures" \
                >"$work/prof.json" 2>/dev/null
        is "survey --profile $name: hosts satisfying it agree with ipsec-audit check" \
                "$(jq -r --arg id "profile.$name" '.overall.rows[] | select(.id == $id) | .available.hosts' "$work/prof.json")" "$want"
done
survey noinput survey
is "survey without input exits 2" "$(rc noinput)" 2
survey shelp survey --help
is "survey --help exits 0" "$(rc shelp)" 0
check "survey --help documents every format" grep -q "md (Markdown, default), csv, json, or html" "$work/shelp.out"

# HTML: one self-contained page, read by a real browser.
survey html survey --format=html "$work/in" "$work/bad"
is "HTML: exit 0" "$(rc html)" 0
check "HTML: no script" bash -c "! grep -qi '<script' '$work/html.out'"
check "HTML: no external resource (only the SVG namespace names a URL)" \
        bash -c "! grep -o '\\(src\\|href\\)=\"[^\"]*\"\\|https\\?://[^\" ]*' '$work/html.out' | grep -v '^http://www.w3.org/2000/svg$'"
is "HTML: a chart per capability view and per group" "$(grep -c '<svg ' "$work/html.out")" 2
is "HTML: a bar row per survey row in the capability chart" \
        "$(sed -n '/<svg /,/<\/svg>/p' "$work/html.out" | awk '/<\/svg>/{exit} /text-anchor="end"/' | wc -l)" \
        "$(jqr json '.overall.rows | length')"
chromium=$(command -v chromium || command -v chromium-browser)
if [ -z "$chromium" ]; then
        skip "HTML in a browser" "chromium is not installed (apt-get install chromium)"
else
        cp "$work/html.out" "$work/survey.html"
        timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
                --user-data-dir="$work/chromium" --window-size=1000,1400 --screenshot="$work/survey.png" \
                "file://$work/survey.html" >"$work/chromium.log" 2>&1
        check "Chromium renders the page to a screenshot" test -s "$work/survey.png"
        # The chart's colours must be on screen: count pixels of the "available" and "unavailable" fills.
        python3 - "$work/survey.png" >"$work/pixels.out" 2>&1 <<'EOF'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w, h = 8, b"", 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), (depth, ctype)
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw, stride, prev, rows = zlib.decompress(idat), w * bpp, bytearray(w * bpp), []
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
count = lambda rgb: sum(1 for r in rows for x in range(w) if tuple(r[x * bpp:x * bpp + 3]) == rgb)
print(count((0x2e, 0x7d, 0x32)), count((0xc6, 0x28, 0x28)))
EOF
        read -r green red <"$work/pixels.out"
        diag "screenshot $work/survey.png: $green green and $red red pixels"
        check "the screenshot shows green (available) bars" test "${green:-0}" -gt 2000
        check "the screenshot shows red (unavailable) bars" test "${red:-0}" -gt 500
        [ -n "${SURVEY_SCREENSHOT:-}" ] && cp "$work/survey.png" "$SURVEY_SCREENSHOT"
fi
done_testing
