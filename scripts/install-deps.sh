#!/usr/bin/env bash
# Installs the Debian bookworm packages ivsim builds with, only when one is missing.
# Idempotent: a machine that has everything runs no apt-get at all.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libsystemc-dev
  catch2
  libspdlog-dev libfmt-dev
  libyaml-cpp-dev libpugixml-dev
  libcli11-dev nlohmann-json3-dev
  libbenchmark-dev
  # Lua scripted guests (workloads/lua_guest.cpp).
  liblua5.4-dev
  # ivsim plot draws with matplotlib; the Slurm test starts a one-node cluster.
  python3-matplotlib
  munge slurmctld slurmd slurm-client
  # Hardening (docs/hardening.md): clang 14 with libFuzzer and the sanitizer
  # runtimes for the fuzz targets and the sanitizer suite; `file` for cpack's
  # dpkg-shlibdeps step of the .deb.
  clang-14 libclang-rt-14-dev file
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
