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

// Row facts in `range` whose `rules` column names at least one of `rules` (at most 8 names).
Result<std::vector<RowFact>> FlaggedRowFacts(Ledger& ledger, const FactRange& range,
                                             std::span<const std::string> rules);

// The row facts of the given entries, in the order given; entries without facts are skipped.
Result<std::vector<RowFact>> RowFactsByEntry(Ledger& ledger,
                                             std::span<const std::uint64_t> entries);

// One person's paid insured sales (3505, settlement 1, verdict not block) of one drug in a range,
// when they come from at least two institutions and add up to at least `min_quantity_milli`
// thousandths of a box (row_facts.boxes_milli).
struct PurchaseGroup {
  std::string psn_hash;
  std::string drug;
  std::int64_t quantity_milli = 0;
  std::int64_t amount_fen = 0;
  std::vector<std::uint64_t> entries;  // ascending
};
Result<std::vector<PurchaseGroup>> MultiSourcePurchases(Ledger& ledger, const FactRange& range,
                                                        std::int64_t min_quantity_milli);

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
