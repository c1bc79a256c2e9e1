#!/usr/bin/env bash
# Installs every Debian 12 package drugtrace needs (only those missing), then builds into build/.
# Idempotent: safe to run again. Must run as root on a fresh machine (apt-get).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake ninja-build pkg-config libsqlite3-dev libssl-dev nlohmann-json3-dev
  libboost-dev libboost-system-dev catch2 libcli11-dev clang-format sqlite3 python3-cryptography
  json-schema-test-suite libtest-json-schema-acceptance-perl openssl curl ccache libjemalloc-dev
  chromium chromium-driver python3-selenium fonts-noto-cjk)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

build_type=${BUILD_TYPE:-RelWithDebInfo}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$build_type" ${CMAKE_ARGS:-} >/dev/null
cmake --build build -j"$(nproc)"
