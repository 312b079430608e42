#!/usr/bin/env bash
# Rewrites tests/data/golden/*.json: each shipped scenario's report (host
# aside) from the ivsim binary given, as test_golden_reports compares them.
# Run it only for a change meant to alter the model's results, and say in
# the commit what changed and why; a speed change leaves them as they are.
#   scripts/update-golden-reports.sh [build/sim/ivsim]
set -euo pipefail
cd "$(dirname "$0")/.."
ivsim=${1:-build/sim/ivsim}
out=tests/data/golden
mkdir -p "$out"
for f in platforms/scenarios/*.yaml platforms/scenarios/library/*.yaml; do
  name=$(echo "${f#platforms/scenarios/}" | tr / _)
  tmp=$(mktemp)
  "$ivsim" run --quiet --report "$tmp" "$f" >/dev/null
  python3 - "$tmp" "$out/${name%.yaml}.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r.pop("host", None)
with open(sys.argv[2], "w") as f:
    json.dump(r, f, indent=1, sort_keys=True)
    f.write("\n")
PY
  rm -f "$tmp"
done
