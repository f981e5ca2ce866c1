#!/bin/bash
# Replays every fuzz target's committed corpus (tests/fuzz-corpus/TARGET: seeds and every
# input that once crashed a parser), so a fixed crash stays fixed in every build;
# under --enable-sanitizers, with ASan and UBSan watching.
. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

ABS_TOP_BUILDDIR=${ABS_TOP_BUILDDIR:-$(dirname "$IPSEC_AUDIT")}
for target in pfkey xfrm sock-diag proc-net uevent frame report profile; do
        bin=$ABS_TOP_BUILDDIR/tests/fuzz-$target
        corpus=$TESTS_DIR/fuzz-corpus/$target
        if [ ! -x "$bin" ]; then
                ok 1 "fuzz-$target is built"
                continue
        fi
        # A libFuzzer build (--enable-fuzzing) runs a corpus once with -runs=0; the plain driver takes paths.
        args=()
        "$bin" -help=1 2>&1 | grep -q libFuzzer && args=(-runs=0)
        out=$("$bin" "${args[@]}" "$corpus" 2>&1)
        rc=$?
        n=$(find "$corpus" -type f | wc -l)
        if [ "$rc" -eq 0 ] && [ "$n" -gt 0 ]; then
                ok 0 "fuzz-$target replays its corpus of $n inputs without a fault"
        else
                ok 1 "fuzz-$target replays its corpus of $n inputs without a fault (exit $rc)"
                printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'
        fi
done
done_testing
