#!/usr/bin/env bash
# drugtrace end to end on a simulated region: `drugtrace demo` (docs/simulate.md) simulates a month
# of a region's pharmacies and hospitals, starts the daemon on a free loopback port, runs every
# terminal over HTTP, then verifies the ledger and writes the coverage report and the top suspect
# cases. Run scripts/setup.sh first. Arguments go to `drugtrace demo` (e.g. --dir DIR, --days 7).
set -euo pipefail
cd "$(dirname "$0")/.."
dt=${DRUGTRACE:-$PWD/build/drugtrace}
if [ ! -x "$dt" ]; then
  echo "demo: $dt not found; run scripts/setup.sh first (or set DRUGTRACE)" >&2
  exit 1
fi
exec "$dt" demo "$@"
