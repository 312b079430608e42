#!/usr/bin/env bash
# The soak (`make soak`, not part of `make test`): TOTAL simulated guest
# accesses (default 10^9) split across the shipped default and large
# scenarios, their iterations raised with --set; the ivsim process's RSS
# sampled every second. After warm-up (the first WARMUP_PERCENT of the
# samples, default 10) the RSS must stay flat: its peak no more than
# FLAT_PERCENT (default 5) above its value at the end of warm-up. Writes
# BUILD/soak-SCENARIO.csv (seconds, RSS KiB) and prints start, peak and end.
#   bench/soak.sh [BUILD] [TOTAL]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
TOTAL=${2:-1000000000}
WARMUP_PERCENT=${WARMUP_PERCENT:-10}
FLAT_PERCENT=${FLAT_PERCENT:-5}
IVSIM=$BUILD/sim/ivsim
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

accesses() { sed -n 's/.*"simulated_accesses": *\([0-9]*\).*/\1/p' "$1" | head -1; }
workload_count() { awk '/^[a-z]/ { in_w = ($0 ~ /^workloads:/) } in_w && /^  - / { n++ } END { print n + 0 }' "$1"; }
sets_for() {  # every workload of scenario $1 at $2 iterations
  local n i
  n=$(workload_count "$1")
  for ((i = 0; i < n; i++)); do printf -- '--set workloads[%d].params.iterations=%d ' "$i" "$2"; done
}

status=0
for scenario in default large; do
  file=platforms/scenarios/$scenario.yaml
  # Accesses per iteration, from two short runs (bring-up costs cancel out).
  # shellcheck disable=SC2046
  "$IVSIM" run "$file" $(sets_for "$file" 1000) --quiet --report "$out/a.json" >/dev/null
  # shellcheck disable=SC2046
  "$IVSIM" run "$file" $(sets_for "$file" 3000) --quiet --report "$out/b.json" >/dev/null
  per=$((($(accesses "$out/b.json") - $(accesses "$out/a.json")) / 2000))
  iterations=$((TOTAL / 2 / per))
  [ "$iterations" -le 100000000 ] || iterations=100000000
  csv=$BUILD/soak-$scenario.csv
  echo "seconds,rss_kib" >"$csv"
  # shellcheck disable=SC2046
  "$IVSIM" --strict run "$file" $(sets_for "$file" "$iterations") --quiet --report "$out/soak.json" &
  pid=$!
  t=0
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$rss" ] && echo "$t,$rss" >>"$csv"
    sleep 1
    t=$((t + 1))
  done
  wait "$pid" || { echo "soak: $scenario run failed"; status=1; continue; }
  done_accesses=$(accesses "$out/soak.json")
  summary=$(awk -F, -v w="$WARMUP_PERCENT" -v f="$FLAT_PERCENT" 'NR > 1 { s[++n] = $2 }
    END {
      k = int(n * w / 100); if (k < 1) k = 1
      base = s[k]; peak = 0; for (i = k; i <= n; i++) if (s[i] > peak) peak = s[i]
      growth = (peak - base) * 100.0 / base
      printf "%d samples; RSS first %.1f MiB, after warm-up %.1f MiB, peak %.1f MiB, end %.1f MiB; growth after warm-up %.2f%% %s\n",
        n, s[1] / 1024, base / 1024, peak / 1024, s[n] / 1024, growth, (growth <= f ? "(flat)" : "(NOT FLAT)")
    }' "$csv")
  echo "soak $scenario: $iterations iterations per workload, $done_accesses guest accesses in ${t}s; $summary"
  case "$summary" in *"NOT FLAT"*) status=1 ;; esac
done
exit $status
