// A simulated region for demos and detection tests (issue #6, docs/simulate.md): a drug catalogue
// with 三码合一 product ids, institutions of every class with regions, a policy calendar and 无码库
// declarations, and one stream of NHSA-style 进销存 messages per terminal, with realistic scanning
// imperfections and injected fraud whose ground truth is kept apart. Deterministic for a seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/status.h"

namespace simulate {

struct Options {
  int pharmacies = 160;  // retail pharmacies
  int hospitals = 50;    // level-1/2/3 hospitals and clinics (class level1), in fixed shares
  int days = 30;
  std::uint64_t seed = 20250601;
  std::string start = "2025-06-01";  // first simulated day, yyyy-MM-dd
  // Multiplies every institution's daily sales (1 = the default region, about 1.2 M code events
  // for the default size); fraud rates are per sale, so they scale with it.
  double volume = 1.0;
};

// Checks ranges and the start date; the error names the option.
ledger::Status CheckOptions(const Options& options);

// Persisted in truth.json by name; never rename.
enum class FraudType : std::uint8_t {
  kReflux = 0,  // 回流药: a patient's insured boxes bought by a collector and sold again elsewhere
  kSwap = 1,    // 串换: a dearer drug billed than the one the scanned code identifies
  kSplitOver = 2,  // split (拆零) sales of one pack beyond its content
  kReuse = 3,      // one sold box's code scanned again for later sales at the same pharmacy
};
inline constexpr int kFraudTypeCount = 4;
const char* FraudTypeName(FraudType type);  // "reflux", "swap", "split_over", "reuse"
// The validator rule that should flag a fraud row of this type ("CODE_RESOLD", ...).
const char* ExpectedRule(FraudType type);

struct TruthRow {
  std::string institution;  // fixmedins_code
  std::string bchno;        // fixmedins_bchno
  std::string infno;        // "3503" or "3505"
  FraudType type = FraudType::kReflux;
  std::string case_id;
  // True for the rows a validator should flag at upload time. False for rows that belong to a
  // case but were legal when uploaded (a 回流 ring's original insured purchases).
  bool fraud = true;
};

struct TruthCase {
  std::string id;  // "RING-01", "SWAP-P13080200007", "SPLIT-0003", "REUSE-0002"
  FraudType type = FraudType::kReflux;
  std::vector<std::string> institutions;  // where its rows are
  std::vector<std::string> psn_nos;       // patients involved (rings), as uploaded
  std::vector<std::string> codes;         // pack codes involved, as scanned
  std::string description;                // one line, English
};

struct Truth {
  std::vector<TruthRow> rows;
  std::vector<TruthCase> cases;
};

struct Message {
  std::string json;       // one line, no newline
  int upload_day = 0;     // days after Options::start of its inf_time (offline: a day late)
  std::size_t codes = 0;  // drug_trac_codg entries (code events)
};

struct Terminal {
  std::string fixmedins_code;
  std::string name;
  std::string institution_class;  // refdata.schema.json enum
  std::string kind;               // "pharmacy", "hospital" or "clinic"
  std::vector<Message> messages;  // in upload order
};

struct Stats {
  std::size_t messages = 0, rows = 0, code_events = 0;
  std::size_t rows_by_infno[7] = {};  // 3501..3507
  std::size_t missing_scans = 0;      // boxes sold without their code scanned
  std::size_t ean_scans = 0;          // product barcodes scanned instead of the trace code
  std::size_t double_scans = 0;       // a code scanned twice on one row
  std::size_t gs_dropped = 0;         // GS1 scans whose GS separators the scanner dropped
  std::size_t offline_days = 0;       // terminal-days uploaded the next morning
  std::size_t no_code_stock_sales = 0;
  std::size_t fraud_rows[kFraudTypeCount] = {};
};

struct Region {
  Options options;
  std::string refdata_json;  // schemas/refdata.schema.json
  std::vector<Terminal> terminals;
  Truth truth;
  Stats stats;
};

// Builds the whole region in memory.
ledger::Result<Region> Simulate(const Options& options);

// truth.json: the options, every fraud row and case (docs/simulate.md).
std::string TruthJson(const Region& region);
// manifest.json: the terminals, their files, message and code counts, the tokens to create.
std::string ManifestJson(const Region& region);

// Writes DIR/refdata.json, DIR/truth.json, DIR/manifest.json and DIR/terminals/<code>.ndjson
// (creating DIR). Existing files of those names are replaced.
ledger::Status WriteRegion(const Region& region, const std::string& dir);

// All messages of the region in one order that respects every terminal's order and the upload
// days: day by day, terminal by terminal. Pairs of (terminal index, message index).
std::vector<std::pair<std::size_t, std::size_t>> UploadOrder(const Region& region);

}  // namespace simulate
