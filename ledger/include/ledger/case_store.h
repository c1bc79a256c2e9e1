// Reads behind suspect-case building (docs/suspects.md), and the index of case actions.
//
// Suspect cases are derived, not stored: ingest/suspects.h builds them from `row_facts` (written by
// ingest with every upload row) and the evidence entries. What is stored is every regulator action
// on a case: a `case_action` ledger entry (EntryType::kCaseAction) plus one `case_actions` row
// written in the same transaction, so a case's status is the status after its latest action.
//
// All functions use the given ledger's connection: a read-only Ledger is enough for the reads;
// AppendCaseAction needs the writer.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/ingest_store.h"
#include "ledger/ledger.h"
#include "ledger/status.h"

namespace ledger {

// Rows whose business time lies in [time_from, time_to] (civil seconds, inclusive); the months
// bound the index range and must contain that interval (YYYYMM).
struct FactRange {
  int month_from = 0;
  int month_to = 0;
  std::int64_t time_from = 0;
  std::int64_t time_to = 0;
};

// A row fact as ScanRowFacts reads it: the text columns are views into SQLite's current row,
// valid only during the callback (ToFact() copies).
struct RowFactView {
  std::uint64_t entry = 0;
  std::string_view institution;
  int month = 0;
  std::int64_t time = 0;
  int infno = 0;
  int verdict = 0;
  int settle = 0;
  CoverageClass coverage = CoverageClass::kNotApplicable;
  std::int64_t boxes_milli = 0;
  std::int64_t amount_fen = 0;
  int codes = 0;
  std::string_view drug;
  std::string_view psn_hash;
  std::optional<std::uint64_t> target_entry;
  std::string_view rules;
  RowFact ToFact() const;
};

// Which rows ScanRowFacts passes on; the others are skipped inside SQLite, without decoding their
// columns.
enum class FactFilter {
  kAll,
  kWithRules,  // rows with any finding (rules not empty)
  // ... and the insured (settle 1), not blocked sales (3505) of a known person (psn_hash not
  // empty): what suspect building needs.
  kWithRulesOrInsuredPaidSales,
};

// Every row fact whose business time lies in `range` (and that `filter` keeps), in one read of
// the period's rows (in no particular order). A non-ok status from `fn` stops the scan and is
// returned.
Status ScanRowFacts(Ledger& ledger, const FactRange& range,
                    const std::function<Status(const RowFactView&)>& fn,
                    FactFilter filter = FactFilter::kAll);

// Runs `fn` inside one read transaction of the ledger's connection (or inside the transaction
// already open on it): every read in `fn` sees the same snapshot, and SQLite takes its read lock
// once instead of once per statement (suspect building reads thousands of entries one by one).
Status InReadSnapshot(Ledger& ledger, const std::function<Status()>& fn);

// The row facts of the given entries, in the order given; entries without facts are skipped.
Result<std::vector<RowFact>> RowFactsByEntry(Ledger& ledger,
                                             std::span<const std::uint64_t> entries);
// The same as views, one call per entry with facts (the view is valid only during the call): no
// copy of the text columns. A non-ok status from `fn` stops the reads and is returned.
Status ForEachRowFact(Ledger& ledger, std::span<const std::uint64_t> entries,
                      const std::function<Status(const RowFactView&)>& fn);

// The exact bytes of each of `entries` (ascending, distinct), in that order: `fn` gets a view valid
// only during the call. Reads nothing but the entries table's body column: no hash, no copy. A
// dense set (at least a quarter of the entries of its span) is read in one pass over the span,
// a sparse one by primary key. A missing entry is kCorruption naming it.
Status ForEachEntryBody(Ledger& ledger, std::span<const std::uint64_t> entries,
                        const std::function<Status(std::uint64_t, std::string_view)>& fn);

// Those of `entries` that a recorded 3507 voids (through the partial index row_facts_voids).
Result<std::vector<std::uint64_t>> VoidedEntries(Ledger& ledger,
                                                 std::span<const std::uint64_t> entries);

// The latest month (YYYYMM) with any row fact, nullopt for a ledger without upload rows.
Result<std::optional<int>> LatestFactMonth(Ledger& ledger);
// The entry of the reference data in force (the latest recorded), nullopt if none.
Result<std::optional<std::uint64_t>> LatestRefDataEntry(Ledger& ledger);

// One recorded action on a suspect case (its ledger entry holds the same and more).
struct CaseActionRecord {
  std::uint64_t entry = 0;
  std::string case_id;
  std::string action;
  std::string status_before;
  std::string status_after;
  std::string actor;
  std::string reason;
  std::string assignee;
  std::int64_t recovered_fen = 0;
  std::int64_t at_ms = 0;
};

// The actions on one case, oldest first.
Result<std::vector<CaseActionRecord>> CaseActions(Ledger& ledger, std::string_view case_id);
// Every recorded action, oldest first (the table holds only human actions: small).
Result<std::vector<CaseActionRecord>> AllCaseActions(Ledger& ledger);

// Appends `entry` and its index row in one transaction. Inside the transaction (under the write
// lock) `check` receives the case's actions recorded so far and may refuse with a non-ok status,
// which rolls everything back: two regulators acting at once cannot both move a case from the same
// status. `record.entry` is set from the appended index.
Result<std::uint64_t> AppendCaseAction(
    Ledger& ledger, const EntryInput& entry, const CaseActionRecord& record,
    const std::function<Status(const std::vector<CaseActionRecord>&)>& check);

}  // namespace ledger
