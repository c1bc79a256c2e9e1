// Running totals of row_facts for the regulators' reports (schema 4, docs/reports.md §Storage).
//
// The coverage report, an institution's findings and its missing-code drugs are sums over a month
// of row facts. Summing millions of rows per report (or keeping an index in report order, whose
// inserts land all over a 10M-row B-tree) is what made reports and ingest slow, so ingest keeps
// three small counter tables instead:
//
//   coverage_cells      (month, institution, infno, verdict, settle, coverage) -> rows, boxes, fen
//   finding_cells       (month, institution, rule)                             -> rows
//   missing_drug_cells  (month, institution, drug, infno)                      -> rows, boxes, fen
//
// The writer adds each commit's facts to in-memory deltas and folds them into the tables every
// second or so, in the same transaction as that commit, moving the watermark
// fact_counters_state.through_entry to the commit's last entry. The tables therefore sum exactly
// the facts with entry <= through_entry; readers add the facts past it (a short rowid range) in the
// same read transaction, so a report is exact at any moment and nothing is lost in a crash: the
// facts are the record and the watermark only says how much of them the tables already hold.
//
// coverage_cells and missing_drug_cells count sales (3505) and sale returns (3506) net of the rows
// an effective void (a 3507 that was not blocked) took back, whatever the void's own month.
// finding_cells count every row's findings as given at the counter; a later void does not undo
// what the counter was told.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "ledger/ingest_store.h"
#include "ledger/status.h"
#include "sqlite.h"

namespace ledger::counters {

struct CellKey {
  int month = 0;
  std::string institution;
  int infno = 0, verdict = 0, settle = 0, coverage = 0;
  auto operator<=>(const CellKey&) const = default;
};

struct FindingKey {
  int month = 0;
  std::string institution;
  std::string rule;
  auto operator<=>(const FindingKey&) const = default;
};

struct DrugKey {
  int month = 0;
  std::string institution;
  std::string drug;
  int infno = 0;
  auto operator<=>(const DrugKey&) const = default;
};

struct Sums {
  std::int64_t rows = 0, boxes_milli = 0, amount_fen = 0;
};

// A void that takes a row back: not blocked, and naming its target.
bool IsEffectiveVoid(const RowFact& f);

class Deltas {
 public:
  // A recorded row's own contribution (its findings; if a sale or return, its cell).
  void AddFact(const RowFact& f);
  // A row taken back by an effective void: its cell is subtracted.
  void AddVoided(const RowFact& target);
  void Merge(const Deltas& other);
  void Clear();
  bool empty() const { return cells.empty() && findings.empty() && drugs.empty(); }

  std::map<CellKey, Sums> cells;
  std::map<FindingKey, std::int64_t> findings;
  std::map<DrugKey, Sums> drugs;
  std::uint64_t facts = 0;  // row facts folded in
};

// Reads the facts of the row an effective void takes back (for Deltas::AddVoided); keeps its
// prepared statement. Corruption if the void names an entry without facts.
class VoidTargets {
 public:
  Result<RowFact> Get(sqlite3* db, const RowFact& void_fact);

 private:
  sql::Stmt select_;
  bool ready_ = false;
};

// The last fact entry the tables hold (-1: none yet; a ledger migrated to schema 4 starts there).
Result<std::int64_t> Watermark(sqlite3* db);

// Folds up to `max_facts` (0: all) facts with entry > `after` into `d`, in entry order, looking up
// the target of every effective void (which may be older than `after`). Returns the last entry
// read, or `after` when there were none.
Result<std::int64_t> AggregateTail(sqlite3* db, std::int64_t after, std::size_t max_facts,
                                   Deltas& d);

// Adds `d` to the tables and sets the watermark to `through`; runs inside the caller's write
// transaction. Statements are prepared on first use and kept.
class Writer {
 public:
  Status Apply(sqlite3* db, const Deltas& d, std::int64_t through);

 private:
  sql::Stmt cell_, finding_, drug_, mark_;
  bool ready_ = false;
};

}  // namespace ledger::counters
