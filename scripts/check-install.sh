#!/usr/bin/env bash
# Checks ivsim as others get it, from a build tree (BUILD, default build):
#  1. `cmake --install` into a scratch prefix; examples/embed, a separate CMake
#     project, find_package(ivsim)s it, builds its own SystemC platform and
#     runs a doorbell round trip;
#  2. `cpack -G DEB` makes the .deb; its Depends are Debian package names;
#     unpacked with dpkg -x into a scratch prefix, its ivsim prints its
#     version and runs the default scenario from an unrelated directory,
#     finding its data beside itself (not in the source tree, not in the
#     current directory).
#   scripts/check-install.sh [BUILD]
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
BUILD=$(cd "${1:-build}" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

echo "== cmake --install, then examples/embed against it"
cmake --install "$BUILD" --prefix "$scratch/prefix" >"$scratch/install.log"
test -f "$scratch/prefix/lib/cmake/ivsim/ivsimConfig.cmake"
test -f "$scratch/prefix/share/ivsim/scenarios/default.yaml"
cmake -S examples/embed -B "$scratch/embed" -DCMAKE_PREFIX_PATH="$scratch/prefix" -DCMAKE_BUILD_TYPE=Release \
  >"$scratch/embed-configure.log" || { cat "$scratch/embed-configure.log"; exit 1; }
cmake --build "$scratch/embed" -j2 >"$scratch/embed-build.log" || { cat "$scratch/embed-build.log"; exit 1; }
(cd "$scratch" && SC_COPYRIGHT_MESSAGE=DISABLE "$scratch/embed/ivsim_embed") | tee "$scratch/embed.out"
grep -q "answer 0x1235" "$scratch/embed.out"

echo "== cpack -G DEB, unpacked with dpkg -x"
(cd "$BUILD" && cpack -G DEB >"$scratch/cpack.log") || { cat "$scratch/cpack.log"; exit 1; }
deb=$(ls -t "$BUILD"/ivsim_*.deb | head -1)
depends=$(dpkg-deb -f "$deb" Depends)
echo "$(basename "$deb"): Depends: $depends"
for p in libsystemc libspdlog libfmt libyaml-cpp libpugixml; do
  echo "$depends" | grep -q "$p" || { echo "Depends lacks $p"; exit 1; }
done
dpkg -x "$deb" "$scratch/deb"
ivsim="$scratch/deb/usr/bin/ivsim"
# Away from the source tree: its data must come from the unpacked share/ivsim.
mkdir -p "$scratch/elsewhere"
cd "$scratch/elsewhere"
unset IVSIM_DATA_DIR
"$ivsim" --version
"$ivsim" --strict show | grep -q "industrial-hmi-rt"
"$ivsim" --strict run --quiet --report report.json
grep -q '"completed"' report.json
# The data it reads is the unpacked copy: rename the copy's default scenario and see the name.
sed -i 's/^name: industrial-hmi-rt/name: unpacked-copy/' "$scratch/deb/usr/share/ivsim/scenarios/default.yaml"
"$ivsim" show | grep -q "unpacked-copy" || { echo "the unpacked ivsim did not read its own share/ivsim"; exit 1; }
echo "check-install: install tree, embed example and .deb all ok"
