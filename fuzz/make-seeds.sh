#!/usr/bin/env bash
# Makes the seed corpus in fuzz/corpus/ from the project's own inputs: the
# shipped scenarios and ACRN-format files, the test fixtures, the malformed
# inputs of the loader tests (which write them when IVSIM_DUMP_FUZZ_SEEDS is
# set) and, for guest traffic, the model tests' guest programs as operations
# (make-seeds.py). Needs a built unit_tests (BUILD, default build/).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
C=fuzz/corpus
rm -rf "$C"
mkdir -p "$C"/{scenario_yaml,acrn_scenario_xml,board_xml,set_assignments,guest_traffic}

for f in platforms/scenarios/*.yaml tests/data/scenarios/*.yaml; do cp "$f" "$C/scenario_yaml/$(basename "$f")"; done
for d in platforms/acrn/*/; do
  b=$(basename "$d")
  cp "$d/$b.xml" "$C/board_xml/$b.xml"
  for s in "$d"*.xml; do [ "$s" = "$d$b.xml" ] || cp "$s" "$C/acrn_scenario_xml/$b-$(basename "$s")"; done
done
cp tests/data/acrn/board-8cpu.xml "$C/board_xml/"
cp tests/data/acrn/scenario-hybrid.xml tests/data/acrn/scenario-2x.xml tests/data/acrn/launch-2x.xml "$C/acrn_scenario_xml/"

# --set assignments the README and docs show, one per line.
printf '%s\n' 'workloads[0].params.message_bytes=4096' >"$C/set_assignments/docs-message-bytes"
printf '%s\n' 'timing.overrides.c2c_same_die=30' >"$C/set_assignments/docs-c2c-override"
printf '%s\n' 'run.seed=7' 'vms[0].memory_mib=256' 'workloads.0.params.iterations=5' >"$C/set_assignments/tests-several"
printf '%s\n' 'run.seed=3' 'run.seed=0x10' 'vms[2].cpu_affinity=[4, 5]' \
  'timing={profile: tiger-lake-client, overrides: {llc_hit: 12}}' >"$C/set_assignments/tests-flow"
printf '%s\n' 'board=nuc11tnbi5' 'vms[0].cpu_affinity=[3]' >"$C/set_assignments/board"
printf '%s\n' 'ivshmem[0].size_mib=512' 'ivshmem[0].members[1].vbdf="00:0a.0"' >"$C/set_assignments/region"

IVSIM_DUMP_FUZZ_SEEDS="$PWD/$C" "$BUILD/tests/unit_tests" '[scenario_loader],[acrn_xml]' >/dev/null
python3 fuzz/make-seeds.py "$C/guest_traffic"
for t in "$C"/*/; do echo "$(basename "$t"): $(ls "$t" | wc -l) seeds"; done
