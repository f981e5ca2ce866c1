#!/bin/bash
# The text report a person reads: the default one screen (on this machine and on
# every saved kernel-matrix report), --verbose with every evidence sentence of the
# JSON, a look at both in a real terminal (tmux), and explain for every capability.
. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

fixtures=${ABS_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/fixtures/reports

# This machine: the audit's own default output, and its JSON read back.
run_audit live --color=never
check "this machine: the audit ran (exit 0 or 3)" test "$(rc live)" -eq 0 -o "$(rc live)" -eq 3
one_screen "this machine" "$work/live.out"
run_audit livejson --json --output="$work/live.json"
"$IPSEC_AUDIT" --input="$work/live.json" >"$work/live-input.out" 2>/dev/null
one_screen "this machine, --input" "$work/live-input.out"
verbose_evidence "this machine" "$work/live.json"

for report in "$fixtures"/*.json; do
        name=$(basename "$report" .json)
        run_audit "$name" --input="$report"
        check "$name: --input renders it (exit 0 or 3)" test "$(rc "$name")" -eq 0 -o "$(rc "$name")" -eq 3
        one_screen "$name" "$work/$name.out"
        verbose_evidence "$name" "$report"
done

# --input takes what --json wrote, or standard input; anything else is exit 1.
is "--input=- reads standard input" "$("$IPSEC_AUDIT" --input=- <"$work/live.json" 2>/dev/null | head -n 2 | tail -n 1)" \
        "$(head -n 2 "$work/live.out" | tail -n 1)"
is "--input with --json prints the same JSON capabilities" \
        "$("$IPSEC_AUDIT" --input="$work/live.json" --json 2>/dev/null | jq -c '[.capabilities[] | [.id, .verdict, .evidence]]')" \
        "$(jq -c '[.capabilities[] | [.id, .verdict, .evidence]]' "$work/live.json")"
echo '{"schema": "something/else"}' >"$work/other.json"
run_audit other --input="$work/other.json"
is "--input of a JSON file that is no report exits 1" "$(rc other)" 1
check "--input of no report says so" grep -q "is not a report" "$work/other.err"
run_audit missing --input="$work/nonexistent.json"
is "--input of a missing file exits 1" "$(rc missing)" 1
run_audit both --input="$work/live.json" --bus
is "--input with --bus is a usage error" "$(rc both)" 2
run_audit passive --input="$work/live.json" --passive
is "--input with --passive is a usage error" "$(rc passive)" 2

# A real terminal 80 columns by 40 lines: the whole report on it, the header on its first
# line, the same text as piped, and colour only where the terminal gets it.
report=$fixtures/debian-6.1.0-57-amd64-no-esp.json
if ! command -v tmux >/dev/null; then
        skip "the report in a real terminal (tmux)" "tmux is not installed (apt-get install tmux)"
else
        "$IPSEC_AUDIT" --input="$report" --color=never >"$work/piped.txt" 2>/dev/null
        for colour in auto never; do
                sock=$work/tmux-$colour.sock
                # tmux itself sets TERM in the pane; NO_COLOR would turn auto off; TMUX (a test run inside
                # tmux) is not this server.
                env -u NO_COLOR -u TMUX tmux -S "$sock" -f /dev/null new-session -d -x 80 -y 40 \
                        "'$IPSEC_AUDIT' --input='$report' --color=$colour; tmux -S '$sock' wait-for -S shown; sleep 60"
                timeout 20 tmux -S "$sock" wait-for shown
                tmux -S "$sock" capture-pane -p -e >"$work/pane-e-$colour.txt"
                tmux -S "$sock" capture-pane -p >"$work/pane-$colour.txt"
                tmux -S "$sock" kill-server 2>/dev/null
                sed -i -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$work/pane-$colour.txt"
                is "terminal, --color=$colour: the header on the first line" \
                        "$(head -n 1 "$work/pane-$colour.txt")" "$(head -n 1 "$work/piped.txt")"
                is "terminal, --color=$colour: the same text as piped, no line wrapped" \
                        "$(diff <(sed 's/ *$//' "$work/piped.txt") "$work/pane-$colour.txt" && echo same)" same
        done
        check "terminal, --color=auto: colour escapes on screen" grep -q $'\033\[' "$work/pane-e-auto.txt"
        is "terminal, --color=never: no escape on screen" "$(grep -c $'\033' "$work/pane-e-never.txt")" 0
fi

# explain: every capability of the catalogue, from the catalogue.
ids=$("$IPSEC_AUDIT" explain | awk '{ print $1 }')
is "explain lists every capability of the JSON report" "$(sort <<<"$ids")" \
        "$(jq -r '.capabilities[].id' "$work/live.json" | sort)"
man=$(dirname "$IPSEC_AUDIT")/man/ipsec-audit.8
for id in $ids; do
        run_audit "explain-$id" explain "$id"
        out=$work/explain-$id.out
        ok "$(rc "explain-$id")" "explain $id exits 0"
        missing=""
        for part in "^$id\$" "^References:" "^Why it matters:" "^How it is measured:" "^What the verdicts mean:" \
                "^  available: " "^  partial: " "^  unavailable: " "^  unknown: " "^Remedy:"; do
                grep -q "$part" "$out" || missing="$missing '$part'"
        done
        is "explain $id has every part" "${missing:- none}" " none"
        check "explain $id: the question is the list's" \
                grep -qF "$(sed -n "s/^$id  *//p" <<<"$("$IPSEC_AUDIT" explain)" | cut -c1-60)" \
                <(tr -s ' \n' '  ' <"$out")
        if [ -f "$man" ]; then
                check "ipsec-audit(8) has $id" grep -qx ".SS $id" "$man"
        fi
done
if [ -f "$man" ]; then
        is "ipsec-audit(8)'s CAPABILITIES section holds every line of explain --man" \
                "$("$IPSEC_AUDIT" explain --man | grep -vxF -f "$man" | head -n 3)" ""
else
        skip "ipsec-audit(8) is explain --man's text" "no generated page at $man"
fi

run_audit typo explain proto.eps
is "explain of an unknown id exits 2" "$(rc typo)" 2
check "explain of an unknown id names the close match" grep -q "did you mean proto.esp?" "$work/typo.err"
check "explain of an unknown id prints nothing on stdout" test ! -s "$work/typo.out"
run_audit part explain selector
check "explain of a part of ids names those ids" grep -q "selector.ports, selector.protocol" "$work/part.err"
run_audit far explain zzzzzz
is "explain of an id close to nothing exits 2" "$(rc far)" 2
check "explain of an id close to nothing names none" bash -c "! grep -q 'did you mean' '$work/far.err'"
run_audit two explain proto.esp proto.ah
is "explain of two ids is a usage error" "$(rc two)" 2

done_testing
