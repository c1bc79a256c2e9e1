#!/usr/bin/env bash
# drugtrace end to end on the example region (schemas/examples): a ledger, reference data, terminal
# tokens, the daemon on a free loopback port, terminals uploading receipts and sales, the verdicts at
# the counter (including a resold box), then offline verification, proofs, and tampering caught.
# Run scripts/setup.sh first. The simulated region of issue #6 will replace the hand-made messages.
set -euo pipefail
cd "$(dirname "$0")/.."
dt=${DRUGTRACE:-$PWD/build/drugtrace}
dir=$(mktemp -d /tmp/drugtrace-demo.XXXXXX)
db=$dir/ledger.db
step() { printf '\n== %s\n' "$*"; }
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; true; }
trap cleanup EXIT INT TERM

step "create the ledger and import the reference data (catalogue, institutions, policy calendar, 无码库)"
$dt init --db "$db" --origin demo.drugtrace/ledger
$dt refdata import --db "$db" schemas/examples/refdata.example.json
pharmacy=$($dt token create --db "$db" --role terminal --institution P13080200001 --label 康宁大药房 2>/dev/null)
hospital=$($dt token create --db "$db" --role terminal --institution H13080200003 --label 中心医院 2>/dev/null)
key=$($dt key --db "$db")

step "start the daemon"
$dt serve --db "$db" --listen 127.0.0.1:0 --port-file "$dir/port" 2>"$dir/serve.log" &
pid=$!
for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.1; done
url=http://127.0.0.1:$(cat "$dir/port")
echo "listening on $url"

msg() { # infno msgid institution rowjson
  local array=selinfo; [ "$1" = 3503 ] && array=purcinfo
  printf '{"infno":"%s","msgid":"%s","fixmedins_code":"%s","inf_time":"2025-08-01 09:00:00","opter":"01","opter_name":"demo","input":{"%s":[%s]}}\n' "$1" "$2" "$3" "$array" "$4"
}
drug='"med_list_codg":"XA10BFA001A001010101001","fixmedins_hilist_id":"YP1","fixmedins_hilist_name":"阿卡波糖片"'
box='{"drug_trac_codg":"81000010000000000042"}'
receipt="{\"fixmedins_bchno\":\"R1\",$drug,\"spler_name\":\"医药公司\",\"purc_retn_cnt\":\"1\",\"purc_retn_stoin_time\":\"2025-08-01 08:00:00\",\"drugtracinfo\":[$box]}"
sale() { echo "{\"fixmedins_bchno\":\"$1\",$drug,\"rtal_docno\":\"D$1\",\"sel_retn_cnt\":\"1\",\"sel_retn_time\":\"$2\",\"trdn_flag\":\"0\",\"mdtrt_setl_type\":1,\"setl_id\":\"ST$1\",\"psn_no\":\"$3\",\"finl_trns_pric\":\"36.50\",\"drugtracinfo\":[$4]}"; }
{
  msg 3503 demo-1 P13080200001 "$receipt"
  msg 3505 demo-2 P13080200001 "$(sale S1 '2025-08-02 10:00:00' 13000012345678 "$box")"
  msg 3505 demo-3 P13080200001 "$(sale S2 '2025-08-02 10:05:00' 13000087654321 '')"
} >"$dir/pharmacy.ndjson"
msg 3505 demo-4 H13080200003 "$(sale H1 '2025-08-09 15:00:00' 13000055555555 "$box")" >"$dir/hospital.ndjson"

show_verdicts() {
  /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    for row in r["response"]["output"]["rows"]:
        found = "; ".join(f["rule"] + " " + f["message"] for f in row["findings"])
        print("  %s row %s: %s  %s" % (r["msgid"], row["fixmedins_bchno"], row["verdict"], found))'
}

step "the pharmacy uploads a receipt, an insured sale of the box, and a sale without any code"
$dt upload --server "$url" --token "$pharmacy" --spool "$dir/spool-pharmacy" "$dir/pharmacy.ndjson" |
  show_verdicts

step "a week later the same box is sold and settled again at the hospital: 回流药"
$dt upload --server "$url" --token "$hospital" "$dir/hospital.ndjson" |
  show_verdicts

step "metrics"
curl -s "$url/metrics" | grep -E '^drugtrace_(rows_total|findings_total\{rule="(CODE_RESOLD|CODE_MISSING)")'

step "stop the daemon (it drains and signs a last checkpoint)"
kill -TERM "$pid"; wait "$pid"; pid=
$dt checkpoint --db "$db" --list | /usr/bin/python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin)[-1]["note"])' | tee "$dir/checkpoint"

step "prove the hospital's sale is in the signed ledger, offline"
last=$(( $($dt export --db "$db" | wc -l) - 1 ))
$dt prove inclusion --db "$db" --index "$last" >"$dir/proof.json"
$dt verify-proof --key "$key" --checkpoint "$dir/checkpoint" "$dir/proof.json"

step "verify everything, then let an insider rewrite the verdict of the resale"
$dt verify --db "$db" --checkpoint "$dir/checkpoint" --key "$key"
sqlite3 "$db" "DROP TRIGGER entries_no_update; UPDATE entries SET body = CAST(replace(CAST(body AS TEXT), '\"verdict\":\"block\"', '\"verdict\":\"ok\"') AS BLOB) WHERE idx = $last;"
if $dt verify --db "$db"; then echo "tampering NOT detected" >&2; exit 1; fi

echo
echo "files are in $dir"
