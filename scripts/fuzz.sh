#!/bin/bash
# Runs the libFuzzer targets built by "make fuzz" side by side, each for
# $FUZZ_SECONDS on a working copy of its seed corpus, and fails on any
# crash, leak, timeout or sanitizer report.
#
#   scripts/fuzz.sh BUILD_DIR SECONDS TARGET...
#
# The committed corpus (t/fuzz/corpus/NAME for fuzz_NAME) is only read:
# it is copied into BUILD_DIR/corpus/NAME, where libFuzzer adds what it
# finds; crashing inputs go to BUILD_DIR/artifacts/.

set -u

build=$1
seconds=$2
shift 2

mkdir -p "$build/artifacts"

export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

pids=()
for t in "$@"; do
    name=${t#fuzz_}
    work=$build/corpus/$name

    mkdir -p "$work"
    cp t/fuzz/corpus/"$name"/* "$work"/

    echo "fuzzing $t for ${seconds}s (log: $build/$t.log)"

    "$build/$t" -max_total_time="$seconds" -max_len=16384 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
        "$work" > "$build/$t.log" 2>&1 &
    pids+=($!)
done

rc=0
i=0
for t in "$@"; do
    if ! wait "${pids[$i]}"; then
        echo "$t: FAILED"
        grep -E -A40 \
            '==ERROR|runtime error|ERROR: libFuzzer|Test unit written' \
            "$build/$t.log" | head -80
        rc=1
    fi

    i=$((i + 1))
done

echo "executions:"
for t in "$@"; do
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/$t.log")
    printf '  %-12s %s\n' "$t" "${n:-none (see $build/$t.log)}"
done

exit $rc
