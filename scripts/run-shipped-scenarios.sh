#!/usr/bin/env bash
# Runs every shipped scenario to its end with the given ivsim binary, strict
# (a SystemC warning fails): the YAML scenarios in platforms/scenarios and
# each ACRN-format scenario in platforms/acrn with its board. `make
# test-asan` runs it with the sanitizer build. Every shipped scenario runs to
# completion, so no guest program is left suspended at exit: these runs keep
# LeakSanitizer on (ASAN_OPTIONS=detect_leaks=1 over sim/asan_options.h's
# default; docs/hardening.md), a check for leaks over whole runs.
#   scripts/run-shipped-scenarios.sh IVSIM
set -euo pipefail
cd "$(dirname "$0")/.."
IVSIM=${1:?usage: scripts/run-shipped-scenarios.sh IVSIM}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
n=0
run() {
  local name=$1
  shift
  local t0=$SECONDS
  if ! "$IVSIM" --strict run "$@" --quiet --report "$out/report.json" >"$out/log" 2>&1; then
    echo "shipped scenario $name FAILED:"
    cat "$out/log"
    exit 1
  fi
  n=$((n + 1))
  echo "shipped scenario $name: ok ($((SECONDS - t0)) s)"
}
for s in platforms/scenarios/*.yaml; do run "$s" "$s"; done
for d in platforms/acrn/*/; do
  b=$(basename "$d")
  for s in "$d"*.xml; do
    [ "$s" = "$d$b.xml" ] || run "$s" --board "$d$b.xml" --scenario "$s"
  done
done
echo "shipped scenarios: $n ran to their end"
