#!/usr/bin/env bash
# Installs every Debian 12 package vigil needs to build, test and benchmark.
# Idempotent: packages already present are skipped by apt. Run as root (or with sudo).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git clang-format clang-tidy
  # libraries
  libtbb-dev librocksdb-dev libeigen3-dev libxxhash-dev zlib1g-dev
  libopencv-dev libopencv-contrib-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcpp-httplib-dev nlohmann-json3-dev libcli11-dev
  libssl-dev libsodium-dev
  libopenmpi-dev openmpi-bin
  # benchmark comparison and test helpers
  python3 python3-sklearn python3-numpy
  # review console: front-end packages (npm) and the browser test (headless chromium, CJK fonts)
  nodejs chromium fonts-noto-cjk
)

# npm: Debian's package, unless a Node.js build that bundles npm is installed already.
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
