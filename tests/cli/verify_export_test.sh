#!/usr/bin/env bash
# The independent Python verifier (scripts/verify_export.py) accepts what 'drugtrace export' and
# 'drugtrace checkpoint' produce, and rejects an export or checkpoint altered in any of the ways the
# threat model of docs/ledger-format.md §8 lists.
#   usage: verify_export_test.sh <drugtrace binary> <verify_export.py>
set -euo pipefail

drugtrace=$1
verifier=$2
python=/usr/bin/python3

if ! "$python" -c 'import cryptography.hazmat.primitives.asymmetric.ed25519' 2>/dev/null; then
  echo "FAIL: $python cannot import cryptography (apt-get install python3-cryptography)" >&2
  exit 1
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
db=$dir/ledger.db

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Runs the verifier and expects success.
expect_ok() {
  local out
  out=$("$python" "$verifier" --key "$key" "$@" 2>&1) ||
    fail "verifier rejected a good ledger: $out"
  echo "$out"
}

# Runs the verifier and expects exit status 1 with a one-line error containing $1.
expect_fail() {
  local fragment=$1 out rc=0
  shift
  out=$("$python" "$verifier" --key "$key" "$@" 2>&1) || rc=$?
  [[ $rc -eq 1 ]] || fail "expected exit 1, got $rc for '$fragment': $out"
  [[ $(printf '%s\n' "$out" | wc -l) -eq 1 ]] || fail "expected one line of error, got: $out"
  [[ $out == *"$fragment"* ]] || fail "expected an error containing '$fragment', got: $out"
  echo "rejected as expected: $out"
}

# Rewrites one exported record with a Python expression over `r` (the decoded record).
# recompute=1 also recomputes that record's and all later records' leaf and chain hashes, as an
# operator rewriting history would.
edit_export() {
  local in=$1 out=$2 index=$3 expr=$4 recompute=${5:-0}
  "$python" - "$in" "$out" "$index" "$expr" "$recompute" <<'EOF'
import base64, hashlib, json, sys
src, dst, expr = sys.argv[1], sys.argv[2], sys.argv[4]
index, recompute = int(sys.argv[3]), sys.argv[5] == "1"
records = [json.loads(line) for line in open(src, encoding="utf-8")]
r = records[index]
exec(expr)
if recompute:
    chain = bytes.fromhex(records[index - 1]["chain_hash"]) if index > 0 else bytes(32)
    for rec in records[index:]:
        leaf = hashlib.sha256(b"\x00" + base64.b64decode(rec["entry"])).digest()
        chain = hashlib.sha256(chain + leaf).digest()
        rec["leaf_hash"], rec["chain_hash"] = leaf.hex(), chain.hex()
with open(dst, "w", encoding="utf-8") as f:
    for rec in records:
        f.write(json.dumps(rec) + "\n")
EOF
}

# Signs note text (file $1) with a signer key file ($2, PRIVATE+KEY+<name>+<id>+<base64>) and
# prints the signed note: what an operator holding the key can always do.
sign_note() {
  "$python" - "$1" "$2" <<'EOF'
import base64, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
text = open(sys.argv[1], "rb").read()
_, _, name, key_id, data = open(sys.argv[2]).read().strip().split("+", 4)
seed = base64.b64decode(data)[1:]
sig = Ed25519PrivateKey.from_private_bytes(seed).sign(text)
blob = base64.b64encode(bytes.fromhex(key_id) + sig).decode()
sys.stdout.write(text.decode() + "\n\u2014 " + name + " " + blob + "\n")
EOF
}

"$drugtrace" init --db "$db" --origin test.example/verify-export >/dev/null
key=$("$drugtrace" key --db "$db")

# 300 entries in three batches of different types; 300 is not a power of two, so the tree has a
# ragged right edge.
for batch in 0 1 2; do
  for i in $(seq 0 99); do
    printf '{"batch":%d,"row":%d,"code":"8%019d"}\n' "$batch" "$i" "$((batch * 100 + i))"
  done >"$dir/batch$batch.txt"
  "$drugtrace" append --db "$db" --type "$batch" --institution "H1101050000$batch" \
    "$dir/batch$batch.txt" >/dev/null
done
"$drugtrace" checkpoint --db "$db" >"$dir/cp300.note"
"$drugtrace" export --db "$db" --out "$dir/export.ndjson"
[[ $(wc -l <"$dir/export.ndjson") -eq 300 ]] || fail "export does not hold 300 lines"

echo "== an honest export verifies"
out=$(expect_ok --checkpoint "$dir/cp300.note" "$dir/export.ndjson")
echo "$out"
root=$(sed -n 3p "$dir/cp300.note")
[[ $out == "ok: 300 entries, root $root "* ]] || fail "unexpected success line: $out"

echo "== an export that grew after the checkpoint still verifies against it"
printf 'late entry\n' | "$drugtrace" append --db "$db" - >/dev/null
"$drugtrace" export --db "$db" --out "$dir/export301.ndjson"
out=$(expect_ok --checkpoint "$dir/cp300.note" "$dir/export301.ndjson")
[[ $out == "ok: 301 entries, root $root at size 300 "* ]] || fail "unexpected success line: $out"

echo "== an empty ledger and its checkpoint of size 0 verify"
"$drugtrace" init --db "$dir/empty.db" --origin test.example/empty >/dev/null
"$drugtrace" checkpoint --db "$dir/empty.db" >"$dir/empty.note"
"$drugtrace" export --db "$dir/empty.db" --out "$dir/empty.ndjson"
main_key=$key
key=$("$drugtrace" key --db "$dir/empty.db")
expect_ok --checkpoint "$dir/empty.note" "$dir/empty.ndjson" >/dev/null
key=$main_key

echo "== one byte of one entry altered"
edit_export "$dir/export.ndjson" "$dir/bad.ndjson" 123 '
b = bytearray(base64.b64decode(r["entry"])); b[5] ^= 1
r["entry"] = base64.b64encode(bytes(b)).decode()'
expect_fail "entry 123 (line 124): leaf_hash differs" --checkpoint "$dir/cp300.note" \
  "$dir/bad.ndjson"

echo "== one byte altered and every later hash recomputed (a rewritten history)"
edit_export "$dir/export.ndjson" "$dir/bad.ndjson" 123 '
b = bytearray(base64.b64decode(r["entry"])); b[5] ^= 1
r["entry"] = base64.b64encode(bytes(b)).decode()' 1
expect_fail "Merkle root of the first 300 entries differs" --checkpoint "$dir/cp300.note" \
  "$dir/bad.ndjson"

echo "== a stored chain hash altered"
edit_export "$dir/export.ndjson" "$dir/bad.ndjson" 7 'r["chain_hash"] = "00" + r["chain_hash"][2:]'
expect_fail "entry 7 (line 8): chain_hash differs" --checkpoint "$dir/cp300.note" "$dir/bad.ndjson"

echo "== a record deleted"
sed '42d' "$dir/export.ndjson" >"$dir/bad.ndjson"
expect_fail "entry 41 (line 42): index is 42, expected 41" --checkpoint "$dir/cp300.note" \
  "$dir/bad.ndjson"

echo "== two records swapped"
awk 'NR == 10 { held = $0; next } NR == 11 { print; print held; next } 1' "$dir/export.ndjson" \
  >"$dir/bad.ndjson"
expect_fail "entry 9 (line 10): index is 10" --checkpoint "$dir/cp300.note" "$dir/bad.ndjson"

echo "== the tail truncated"
head -n 299 "$dir/export.ndjson" >"$dir/bad.ndjson"
expect_fail "entries were removed from the end" --checkpoint "$dir/cp300.note" "$dir/bad.ndjson"

echo "== the checkpoint's root altered (signature no longer verifies)"
awk 'NR == 3 { c = substr($0, 1, 1); $0 = (c == "A" ? "B" : "A") substr($0, 2) } 1' \
  "$dir/cp300.note" >"$dir/bad.note"
cmp -s "$dir/cp300.note" "$dir/bad.note" && fail "sed did not alter the checkpoint"
expect_fail "invalid signature by test.example/verify-export+" --checkpoint "$dir/bad.note" \
  "$dir/export.ndjson"

echo "== the checkpoint's size altered"
sed '2s/^300$/299/' "$dir/cp300.note" >"$dir/bad.note"
expect_fail "invalid signature" --checkpoint "$dir/bad.note" "$dir/export.ndjson"

echo "== the checkpoint's signature altered"
"$python" - "$dir/cp300.note" "$dir/bad.note" <<'EOF'
import base64, sys
text = open(sys.argv[1], encoding="utf-8").read()
head, _, sig = text.rstrip("\n").rpartition(" ")
raw = bytearray(base64.b64decode(sig)); raw[10] ^= 0x80
sig = base64.b64encode(bytes(raw)).decode()
open(sys.argv[2], "w", encoding="utf-8").write(head + " " + sig + "\n")
EOF
expect_fail "invalid signature" --checkpoint "$dir/bad.note" "$dir/export.ndjson"

echo "== a checkpoint signed by another ledger's key"
expect_fail "not signed by test.example/verify-export+" --checkpoint "$dir/empty.note" \
  "$dir/export.ndjson"

echo "== a checkpoint re-signed with the ledger's key but a wrong chain line"
# The operator holds the signing key, so a signature alone proves nothing about the content.
"$python" - "$dir/cp300.note" "$dir/forged-chain.txt" <<'EOF'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n\n")[0].split("\n")
lines[3] = "chain " + "A" * 43 + "="
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(lines) + "\n")
EOF
sign_note "$dir/forged-chain.txt" "$db.key" >"$dir/bad.note"
expect_fail "chain hash of entry 299 differs" --checkpoint "$dir/bad.note" "$dir/export.ndjson"

echo "== a rebuilt history re-signed with the ledger's own key, against a kept checkpoint"
# The operator rebuilds the ledger with entry 5 changed and signs its checkpoint with the same key.
# On its own the forgery verifies (nothing can tell); the checkpoint kept from before exposes it.
"$drugtrace" init --db "$dir/forged.db" --origin test.example/verify-export >/dev/null
"$python" - "$dir/export.ndjson" "$dir/forged.txt" <<'EOF'
import base64, json, sys
with open(sys.argv[2], "wb") as out:
    for i, line in enumerate(open(sys.argv[1], encoding="utf-8")):
        body = base64.b64decode(json.loads(line)["entry"])
        out.write((body.replace(b'"row":5,', b'"row":6,') if i == 5 else body) + b"\n")
EOF
"$drugtrace" append --db "$dir/forged.db" "$dir/forged.txt" >/dev/null
"$drugtrace" checkpoint --db "$dir/forged.db" | sed '/^$/,$d' >"$dir/forged.txt"
sign_note "$dir/forged.txt" "$db.key" >"$dir/forged.note"
"$drugtrace" export --db "$dir/forged.db" --out "$dir/forged.ndjson"
expect_ok --checkpoint "$dir/forged.note" "$dir/forged.ndjson" >/dev/null
expect_fail "Merkle root of the first 300 entries differs" --checkpoint "$dir/cp300.note" \
  "$dir/forged.ndjson"

echo "PASS"
