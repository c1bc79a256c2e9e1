#!/usr/bin/env bash
# The whole test suite: setup (packages + build), then every test through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
ctest --test-dir build -j"$(nproc)" --output-on-failure --timeout 600
