#!/usr/bin/env bash
# `make fuzz [FUZZ_SECONDS=N]`: builds the libFuzzer harnesses of fuzz/ (Swift -sanitize=fuzzer + address) and
# runs each one for N seconds (default 60), one after the other, at nice 10. The committed seeds in
# fuzz/corpus/<harness>/ are read, never written: new inputs go to $FUZZ_WORK/corpus/<harness>/. A crash leaves
# $FUZZ_WORK/crash-<harness>-* and makes this script fail. The last line per harness is libFuzzer's final stats.
#   scripts/fuzz.sh [seconds] [harness...]
set -uo pipefail
cd "${KYR_REPO:-$(dirname "$0")/..}"
SECONDS_EACH=${1:-60}
shift || true
HARNESSES=("$@")
[ ${#HARNESSES[@]} -eq 0 ] && HARNESSES=(FuzzConfig FuzzArgv FuzzJSON FuzzLaunchContext FuzzTTRPC)
SWIFT=${SWIFT:-swift}
FUZZ_WORK=${FUZZ_WORK:-$PWD/.build-fuzz}
mkdir -p "$FUZZ_WORK"

echo "=== building fuzz harnesses (debug, -sanitize=fuzzer,address) into $FUZZ_WORK/build"
nice -n 10 "$SWIFT" build --package-path fuzz --scratch-path "$FUZZ_WORK/build" -c debug \
    --sanitize=fuzzer --sanitize=address >"$FUZZ_WORK/build.log" 2>&1 \
    || { grep -E 'error' "$FUZZ_WORK/build.log" | head -5; echo "fuzz build failed: $FUZZ_WORK/build.log"; exit 1; }
tail -1 "$FUZZ_WORK/build.log"
BIN=$("$SWIFT" build --package-path fuzz --scratch-path "$FUZZ_WORK/build" -c debug --sanitize=fuzzer --sanitize=address --show-bin-path)

status=0
for h in "${HARNESSES[@]}"; do
    mkdir -p "$FUZZ_WORK/corpus/$h"
    log="$FUZZ_WORK/$h.log"
    echo "=== $h: ${SECONDS_EACH}s"
    # -rss_limit_mb: the parsers have explicit size limits; 2 GB would mean one of them is broken.
    nice -n 10 "$BIN/$h" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -rss_limit_mb=2048 -timeout=10 \
        -max_len=65536 -artifact_prefix="$FUZZ_WORK/crash-$h-" "$FUZZ_WORK/corpus/$h" "fuzz/corpus/$h" >"$log" 2>&1
    rc=$?
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^Done [0-9]+ runs' "$log" | sed "s/^/  $h /"
    if [ $rc -ne 0 ]; then
        echo "  $h FAILED (rc=$rc): see $log"; grep -E 'ERROR|Fatal error|==[0-9]+==' "$log" | head -5
        status=1
    fi
done
exit $status
