#!/usr/bin/env bash
# A ledger end to end: create, append, checkpoint, prove and verify offline, export, then show that
# tampering is caught. Uses build/drugtrace (run scripts/setup.sh first).
set -euo pipefail
cd "$(dirname "$0")/.."
dt=build/drugtrace
dir=$(mktemp -d /tmp/drugtrace-demo.XXXXXX)
db=$dir/ledger.db
step() { printf '\n== %s\n' "$*"; }

step "create a ledger"
$dt init --db "$db" --origin demo.drugtrace/ledger
key=$($dt key --db "$db")

step "append 100000 entries (batches of 10000) and sign checkpoints"
for batch in $(seq 0 9); do
  seq $((batch * 10000)) $((batch * 10000 + 9999)) |
    sed 's/.*/{"code":"8&","infno":"3505","verdict":"ok"}/' | $dt append --db "$db" --type 1 >/dev/null
  [ "$batch" = 4 ] && $dt checkpoint --db "$db" >"$dir/kept-checkpoint"
done
$dt checkpoint --db "$db" | tee "$dir/checkpoint"

step "prove entry 31337 is in the signed tree, and check it offline"
$dt prove inclusion --db "$db" --index 31337 >"$dir/proof.json"
$dt verify-proof --key "$key" --checkpoint "$dir/checkpoint" "$dir/proof.json"

step "prove the kept checkpoint (50000 entries) is a prefix of today's tree"
$dt prove consistency --db "$db" --old 50000 >"$dir/consistency.json"
$dt verify-proof --key "$key" --checkpoint "$dir/checkpoint" --old-checkpoint "$dir/kept-checkpoint" "$dir/consistency.json"

step "verify everything"
$dt verify --db "$db" --checkpoint "$dir/kept-checkpoint" --key "$key"

step "an insider edits entry 4242 in the database: verify names it"
sqlite3 "$db" "DROP TRIGGER entries_no_update; UPDATE entries SET body = CAST('{\"code\":\"forged\"}' AS BLOB) WHERE idx = 4242;"
if $dt verify --db "$db"; then echo "tampering NOT detected" >&2; exit 1; fi

echo
echo "files are in $dir"
