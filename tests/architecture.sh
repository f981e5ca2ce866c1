#!/bin/bash
# The dependency rule of docs/architecture.md, checked on every #include
# line of the product (src/, probes/, include/): a part includes only the
# public headers (include/) of the parts it may call, and private headers
# (src/PART/*.h) only of its own folder (src/shared's of anyone); one file,
# the netlink transport, talks to the kernel through libmnl's sockets.
# Each rule is also run against a tree that breaks it, so the check is seen
# to fail.
. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

SRCDIR=${ABS_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}

# The part each public header belongs to: a new header gets a line here.
declare -A header_part=(
        [json-util.h]=shared [macro.h]=shared [string-table.h]=shared [string-util.h]=shared [time-util.h]=shared
        [netlink.h]=netlink [nl-route.h]=netlink
        [xfrm.h]=xfrm [pfkey-parse.h]=xfrm
        [inventory.h]=inventory
        [audit.h]=engine [catalogue.h]=engine [crypto-template.h]=engine [host-cause.h]=engine
        [host.h]=engine [module-unload.h]=engine [probe.h]=engine [result.h]=engine
        [sandbox.h]=engine [section4.h]=engine [trial.h]=engine [trial-numbers.h]=engine
        [verdict.h]=engine
        [datapath.h]=datapath [frame-classify.h]=datapath
        [probe-table.h]=probes
        [report.h]=report
        [survey.h]=survey
        [profile.h]=profile
)

# What each part may include besides itself: the layers of docs/architecture.md.
declare -A may_use=(
        [shared]=""
        [netlink]="shared"
        [xfrm]="netlink shared"
        [inventory]="netlink shared"
        [engine]="xfrm inventory netlink shared"
        [datapath]="engine xfrm netlink shared"
        [probes]="engine datapath xfrm netlink shared"
        [report]="engine shared"
        [survey]="report engine shared"
        [profile]="report engine shared"
        [cli]="probes profile survey report engine datapath inventory xfrm netlink shared"
        [daemon]="profile report engine shared"
)

part_of_file() {
        case $1 in
        include/*) echo "${header_part[$(basename "$1")]:-?}" ;;
        probes/*) echo probes ;;
        src/*/*) local p=${1#src/}; echo "${p%%/*}" ;;
        *) echo "?" ;;
        esac
}

# include_violations ROOT: one line per forbidden #include in ROOT's product files.
include_violations() {
        local root=$1 f part inc target allowed
        (cd "$root" && find src probes include -name '*.[ch]' 2>/dev/null | sort) | while read -r f; do
                part=$(part_of_file "$f")
                if [ -z "${may_use[$part]+set}" ]; then
                        echo "$f: belongs to no known part (a new header needs a line in tests/architecture.sh)"
                        continue
                fi
                sed -n 's/^#include "\([^"]*\)".*/\1/p' "$root/$f" | while read -r inc; do
                        [ "$inc" = config.h ] && continue
                        case $inc in
                        */*) target=${inc%%/*} ;;
                        *)
                                if [ -e "$root/$(dirname "$f")/$inc" ] && [ "${f%%/*}" != include ]; then
                                        target=$part
                                elif [ -e "$root/include/$inc" ]; then
                                        target=${header_part[$inc]:-?}
                                else
                                        echo "$f: #include \"$inc\" is neither a public header nor beside it"
                                        continue
                                fi
                                ;;
                        esac
                        # A private header (src/PART/x.h) is its folder's own; src/shared's are everyone's.
                        case $inc in
                        */*)
                                if [ "$target" != "$part" ] && [ "$target" != shared ]; then
                                        echo "$f ($part): #include \"$inc\": a private header of $target"
                                        continue
                                fi
                                ;;
                        esac
                        [ "$target" = "$part" ] && continue
                        allowed=" ${may_use[$part]} "
                        if [ "${allowed/ $target /}" = "$allowed" ]; then
                                echo "$f ($part): #include \"$inc\": $part may not use $target"
                        fi
                done
        done
}

# recv_callers ROOT: the product files that receive from a netlink socket themselves.
recv_callers() {
        (cd "$1" && grep -rl --include='*.c' -e 'mnl_socket_recvfrom' src probes 2>/dev/null | sort)
}

# probe_symbols ROOT: the names probes/ defines for others (functions, probes, the table).
probe_symbols() {
        (cd "$1" && {
                grep -hv '^static' probes/*.c | sed -n 's/^[a-z][^(;=]*[ *]\([a-z_][a-z0-9_]*\)(.*/\1/p'
                sed -n 's/^DEFINE_PROBE(\([a-z0-9_]*\),.*/\1/p' probes/*.c
                sed -n 's/^const Probe \*const \([a-z_]*\)\[\].*/\1/p' probes/*.c
        } | sort -u)
}

# probe_users ROOT: library files under src/ that name something probes/ defines (only programs may).
probe_users() {
        local symbols
        symbols=$(probe_symbols "$1")
        [ -n "$symbols" ] || return 0
        (cd "$1" && grep -rlw --include='*.[ch]' -F "$symbols" src | grep -v '^src/\(cli\|daemon\)/' | sort)
}

# The real tree.
out=$(include_violations "$SRCDIR")
is "every #include follows the dependency rule" "$out" ""
is "one product file receives from netlink sockets: the transport" "$(recv_callers "$SRCDIR")" \
        "src/netlink/netlink.c"
check "probes/ defines the probe table and the probes" grep -qx probe_table <<<"$(probe_symbols "$SRCDIR")"
is "nothing under src/ but the programs calls into probes/" "$(probe_users "$SRCDIR")" ""
is "no product file but the transport calls libmnl's socket functions" \
        "$(cd "$SRCDIR" && grep -rl --include='*.[ch]' -e 'mnl_socket_' src probes | grep -v '^src/netlink/netlink.c$')" ""

# The daemon runs its audits in ipsec-audit (auditd-worker.c): its own image holds
# no probe, no audit engine and no netlink library, which is most of its idle RSS.
IPSEC_AUDITD=${IPSEC_AUDITD:-$(dirname "$IPSEC_AUDIT")/ipsec-auditd}
# netlink_libs BINARY: the libmnl and libnl libraries it loads.
netlink_libs() { ldd "$1" | grep -o 'lib\(mnl\|nl-[a-z0-9-]*\)\.so' | sort -u | tr '\n' ' '; }
# engine_symbols BINARY: the audit engine's and the probes' entry points it holds.
engine_symbols() { nm "$1" | awk '$3 == "audit_run" || $3 == "probe_table" || $3 == "netlink_socket_open" { print $3 }' | sort | tr '\n' ' '; }
if [ ! -x "$IPSEC_AUDITD" ] || [ ! -x "$IPSEC_AUDIT" ]; then
        skip "ipsec-auditd links no netlink library and no engine" "ipsec-audit and ipsec-auditd are not built"
elif ! nm "$IPSEC_AUDITD" | grep -qw main; then
        skip "ipsec-auditd links no netlink library and no engine" "the binaries are stripped: no symbols to look at"
else
        is "ipsec-auditd loads no netlink library" "$(netlink_libs "$IPSEC_AUDITD")" ""
        is "ipsec-auditd holds no audit engine and no probe" "$(engine_symbols "$IPSEC_AUDITD")" ""
        # The same checks on ipsec-audit, which has them all: they can fail.
        check "the check sees ipsec-audit's libmnl ($(netlink_libs "$IPSEC_AUDIT"))" grep -q libmnl <<<"$(netlink_libs "$IPSEC_AUDIT")"
        check "the check sees ipsec-audit's engine ($(engine_symbols "$IPSEC_AUDIT"))" grep -q "audit_run.*probe_table" <<<"$(engine_symbols "$IPSEC_AUDIT")"
fi

# Trees that break each rule: the check must notice.
bad=$work/bad
mkdir -p "$bad/src/report" "$bad/src/xfrm" "$bad/src/engine" "$bad/probes" "$bad/include"
touch "$bad/include/probe-table.h" "$bad/include/report.h" "$bad/src/xfrm/xfrm-internal.h"
printf '#include "report.h"\n#include "probe-table.h"\n' >"$bad/src/report/report-load.c"
printf '#include "xfrm/xfrm-internal.h"\n' >"$bad/probes/socket.c"
printf '#include "report.h"\n' >"$bad/src/engine/audit.c"
out=$(include_violations "$bad")
check "a report file including the probe table is caught" grep -q 'src/report/report-load.c (report).*probe-table.h' <<<"$out"
check "a probe including the XFRM layer's private header is caught" grep -q 'probes/socket.c (probes).*private header of xfrm' <<<"$out"
check "the engine including an upper layer is caught" grep -q 'src/engine/audit.c (engine).*may not use report' <<<"$out"
is "nothing else is reported in the broken tree" "$(wc -l <<<"$out")" 3
mkdir -p "$bad/src/netlink" "$bad/probes"
echo 'n = mnl_socket_recvfrom(s, buf, len);' >"$bad/src/netlink/netlink.c"
echo 'n = mnl_socket_recvfrom(s, buf, len);' >"$bad/probes/km.c"
printf 'const Probe *probe_find(const Probe *const *table, const char *id) {\n' >"$bad/probes/probe-table.c"
printf 'const Probe *p = probe_find(table, id);\n' >"$bad/src/report/report-load.c"
is "a library file calling into probes/ is caught" "$(probe_users "$bad")" "src/report/report-load.c"
is "a second receive loop is caught" "$(recv_callers "$bad" | wc -l)" 2

done_testing
