#!/usr/bin/env bash
# Fetches ACRN's own sample board and scenario files (its configurator's
# misc/config_tools/data) at a pinned commit, for the tests that read them
# (tests/support/acrn_data.h) and for trying ivsim on ACRN's boards.
#
#   scripts/get-acrn-samples.sh [DEST]     # default DEST: acrn-data/ in the source tree
#
# The tests find DEST=acrn-data/ by themselves; elsewhere, point them at it
# with IVSIM_ACRN_DATA=DEST. The files are ACRN's (BSD-3-Clause; its LICENSE
# is fetched beside them) and are not part of this repository.
set -euo pipefail

ACRN_COMMIT=d61d98cf800e3222e627f3a6518ebe8fae37c409  # projectacrn/acrn-hypervisor "hv: use the CONFIG_SERIAL_REG_WIDTH"
# ACRN_BASE_URL: a mirror of the repository at that commit (any URL curl or wget reads, file:// too).
BASE=${ACRN_BASE_URL:-"https://raw.githubusercontent.com/projectacrn/acrn-hypervisor/${ACRN_COMMIT}"}

here=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-"$here/acrn-data"}

# <board>/<file> under misc/config_tools/data: every board and the scenarios made for it.
files=(
  adl-asrock/adl-asrock.xml
  adl-asrock/shared.xml
  cfl-k700-i7/cfl-k700-i7.xml
  cfl-k700-i7/hybrid.xml
  cfl-k700-i7/hybrid_launch_2user_vm.xml
  cfl-k700-i7/hybrid_rt.xml
  cfl-k700-i7/partitioned.xml
  cfl-k700-i7/shared.xml
  cfl-k700-i7/shared_launch_6user_vm.xml
  generic_board/generic_board.xml
  generic_board/hybrid.xml
  generic_board/partitioned.xml
  generic_board/shared.xml
  nuc11tnbi5/hybrid.xml
  nuc11tnbi5/hybrid_launch_2user_vm.xml
  nuc11tnbi5/nuc11tnbi5.xml
  nuc11tnbi5/partitioned.xml
  nuc11tnbi5/shared.xml
  nuc11tnbi5/shared_launch_6user_vm.xml
  qemu/qemu.xml
  qemu/shared.xml
  tgl-vecow-spc-7100-Corei7/hybrid.xml
  tgl-vecow-spc-7100-Corei7/partitioned.xml
  tgl-vecow-spc-7100-Corei7/shared.xml
  tgl-vecow-spc-7100-Corei7/shared_launch_2user_vm.xml
  tgl-vecow-spc-7100-Corei7/tgl-vecow-spc-7100-Corei7.xml
  whl-ipc-i5/hybrid.xml
  whl-ipc-i5/hybrid_rt.xml
  whl-ipc-i5/hybrid_rt_launch_1user_vm_waag.xml
  whl-ipc-i5/partitioned.xml
  whl-ipc-i5/shared.xml
  whl-ipc-i5/shared_launch_1user_vm_hardrt.xml
  whl-ipc-i5/shared_launch_1user_vm_vxworks.xml
  whl-ipc-i5/shared_launch_1user_vm_waag.xml
  whl-ipc-i5/shared_launch_2user_vm.xml
  whl-ipc-i5/shared_launch_6user_vm.xml
  whl-ipc-i5/whl-ipc-i5.xml
)

if command -v curl >/dev/null; then
  get() { curl -fsSL --retry 3 -o "$2" "$1"; }
elif command -v wget >/dev/null; then
  get() { wget -q -O "$2" "$1"; }
else
  echo "get-acrn-samples: needs curl or wget (apt-get install curl)" >&2
  exit 2
fi

# Into a temporary folder first: an interrupted fetch leaves DEST as it was.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/acrn-samples.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
get "$BASE/LICENSE" "$tmp/LICENSE-ACRN"
for f in "${files[@]}"; do
  mkdir -p "$tmp/$(dirname "$f")"
  get "$BASE/misc/config_tools/data/$f" "$tmp/$f"
done
mkdir -p "$dest"
cp -r "$tmp"/. "$dest"/
echo "get-acrn-samples: ${#files[@]} files of ACRN ${ACRN_COMMIT:0:9} in $dest"
if [ "$dest" != "$here/acrn-data" ]; then echo "get-acrn-samples: run the tests with IVSIM_ACRN_DATA=$dest"; fi
