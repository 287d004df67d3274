#!/usr/bin/env bash
# Runs the cargo-fuzz (libFuzzer) targets of fuzz/ one after another, each from the seed corpus
# that scripts/fuzz_corpus.py makes out of the test fixtures, and prints what each run did.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     # default: 1200 s each; workbook figure indicator
#   FUZZ_ARGS="-fork=1 -ignore_ooms=1 -ignore_timeouts=1 -ignore_crashes=1" scripts/fuzz.sh ...
#                                             # go on past a crash (each is still saved) for the whole time
#
# Needs the nightly toolchain (rustup toolchain install nightly) and the fixtures' Python writers
# (.venv of scripts/test.sh, or PYTHON=...). Builds into CARGO_TARGET_DIR (default /work/fuzz-target,
# never the project's target/). Crash inputs land in fuzz/artifacts/TARGET/; replay one with
# `cargo +nightly fuzz run TARGET FILE`, shrink it with `cargo +nightly fuzz tmin TARGET FILE`, and
# keep it in tests/fuzz_regressions/TARGET/ (tests/fuzz_regressions.rs replays them in cargo test).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_EACH=${1:-1200}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(workbook figure indicator)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/fuzz-target}
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
LOGS=${FUZZ_LOGS:-$CARGO_TARGET_DIR/fuzz-logs}
mkdir -p "$LOGS"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "installing cargo-fuzz ..." >&2
    cargo install cargo-fuzz --locked
fi

"$PYTHON" scripts/fuzz_corpus.py fuzz/corpus

# Debug assertions: integer overflow is a crash too, not a silently wrong figure.
echo "building the fuzz targets (nightly, debug assertions) into $CARGO_TARGET_DIR ..." >&2
cargo +nightly fuzz build --debug-assertions

summary=()
for target in "${TARGETS[@]}"; do
    log="$LOGS/$target-$(date +%Y%m%d-%H%M%S).log"
    mkdir -p "fuzz/artifacts/$target"
    before=$(ls "fuzz/artifacts/$target" | wc -l)
    start=$(date +%s)
    echo "fuzzing $target for $SECONDS_EACH s (log: $log) ..." >&2
    status=0
    cargo +nightly fuzz run --debug-assertions "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 ${FUZZ_ARGS:-} \
        >"$log" 2>&1 || status=$?
    elapsed=$(( $(date +%s) - start ))
    after=$(ls "fuzz/artifacts/$target" | wc -l)
    # "#N DONE cov: … ft: … corp: 87/504Kb … exec/s: 9", or in fork mode "#N: cov: … corp: 709 exec/s 30 …"
    last=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: ' | tail -n 1 || true)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -n 1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9/A-Za-z]*\).*/\1/p' <<<"$last")
    [ -z "$execs" ] && execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")
    [ -z "$rate" ] && rate=$(sed -n 's/.* exec\/s:\{0,1\} \([0-9]*\).*/\1/p' <<<"$last")
    crashes=$(( after - before ))
    line=$(printf '%-10s %6ss  execs %-10s exec/s %-6s cov %-6s ft %-7s corpus %-12s rss %sMB  new crashes %s  exit %s' \
        "$target" "$elapsed" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${rss:-?}" "$crashes" "$status")
    echo "$line"
    summary+=("$line")
    if [ "$crashes" -gt 0 ]; then
        ls -t "fuzz/artifacts/$target" | head -n "$crashes" | sed "s|^|    fuzz/artifacts/$target/|"
        grep -m 3 -E 'panicked at|ERROR: libFuzzer|SUMMARY' "$log" | sed 's/^/    /' || true
    fi
done

echo
echo "== $(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD 2>/dev/null || echo '?'), ${SECONDS_EACH}s per target"
printf '%s\n' "${summary[@]}"
