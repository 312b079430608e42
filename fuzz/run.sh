#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time, one after another, from
# the seed corpus in fuzz/corpus (read only; what a run adds goes to
# BUILD/fuzz-corpus). Prints how many inputs each target ran. A crash, a
# sanitizer report, a broken isolation check or a hang (an input running
# past -timeout) leaves its reproducer in BUILD/fuzz-artifacts and fails.
# FUZZ_SEED=N fixes libFuzzer's random seed (fuzz-smoke in `make test` does).
#   fuzz/run.sh BUILD SECONDS [TARGET...]
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:?usage: fuzz/run.sh BUILD SECONDS [TARGET...]}
SECONDS_EACH=${2:-60}
shift 2 || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(scenario_yaml acrn_scenario_xml board_xml set_assignments guest_traffic)

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
mkdir -p "$BUILD/fuzz-artifacts"
status=0
summary=""
for t in "${targets[@]}"; do
  bin="$BUILD/fuzz/${t}_fuzzer"
  [ -x "$bin" ] || { echo "fuzz: $bin is not built (make fuzz builds it)"; exit 2; }
  mkdir -p "$BUILD/fuzz-corpus/$t"
  opts=(-max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$BUILD/fuzz-artifacts/$t-")
  [ -z "${FUZZ_SEED:-}" ] || opts+=(-seed="$FUZZ_SEED")
  if [ "$t" = guest_traffic ]; then
    # 256 operations at most; the platform's coroutine stacks rule out LeakSanitizer (docs/hardening.md).
    opts+=(-max_len=4096 -detect_leaks=0)
    asan=detect_leaks=0
  else
    opts+=(-max_len=65536)
    asan=detect_leaks=1
  fi
  log="$BUILD/fuzz-$t.log"
  ASAN_OPTIONS=$asan "$bin" "${opts[@]}" "$BUILD/fuzz-corpus/$t" "fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ $rc -ne 0 ]; then
    status=1
    echo "fuzz: $t FAILED (exit $rc); the end of $log:"
    tail -40 "$log"
  fi
  summary+=$(printf '%-20s %12s executions in %ss%s' "$t" "${execs:-?}" "$SECONDS_EACH" "$([ $rc -ne 0 ] && echo ' FAILED')")$'\n'
done
printf 'fuzz: %s\n' "targets run, each for ${SECONDS_EACH}s:"
printf '%s' "$summary"
exit $status
