// The regulators' read side of the ingest indexes, and the audit trail of their queries.
//
// Reads: a pack's history (every ledger entry that named it, oldest first), the coverage
// aggregate of row_facts for a range of months (from the report counters), an institution's
// findings and missing-code drugs, the latest reference-data entry and the audit
// entries. Writes: audit entries (ledger entries of type kAudit) indexed by time in the same
// transaction. A RegulatorStore works on a read-only Ledger (the daemon's reader thread, the CLI)
// or on the writer's (audit records); it is not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/ingest_store.h"
#include "ledger/ledger.h"
#include "ledger/pack_heads.h"
#include "ledger/status.h"

namespace ledger {

// Sums of the row_facts rows sharing every key column (docs/reports.md).
struct CoverageCell {
  std::string institution;
  int month = 0;  // YYYYMM
  int infno = 0;
  int verdict = 0;
  int settle = 0;
  CoverageClass coverage = CoverageClass::kNotApplicable;
  std::int64_t rows = 0;
  std::int64_t boxes_milli = 0;
  std::int64_t amount_fen = 0;
};

// How often a finding (rule id) was given on an institution's rows of a month.
struct FindingCount {
  std::string rule;
  std::int64_t rows = 0;
};

// An institution's code-required sales (3505) or returns (3506) of one drug, in a month, scanned
// without a valid code; net of voided rows.
struct DrugGap {
  std::string drug;  // med_list_codg
  int infno = 0;
  std::int64_t rows = 0;
  std::int64_t boxes_milli = 0;
  std::int64_t amount_fen = 0;
};

struct AuditIndexRow {
  std::uint64_t entry = 0;
  std::int64_t time_ms = 0;
};

class RegulatorStore {
 public:
  ~RegulatorStore();
  static Result<std::unique_ptr<RegulatorStore>> Open(Ledger& ledger);

  // Loads (first call: the heads file if it describes a prefix of this ledger, else one scan of
  // code_events' keys) or extends the in-memory pack heads. Called by PackHistory; call it early
  // to take the start-up cost before the first query. Nothing to do with shared heads.
  Status RefreshPacks();
  // Reads pack heads from `heads` (the writer's, in the same process) instead of keeping a copy.
  void UseSharedPacks(std::shared_ptr<const PackHeads> heads);
  // Every entry index that named the pack (state changes and, since schema 3, events that left
  // the state unchanged such as a blocked resale), oldest first; empty when never seen.
  Result<std::vector<std::uint64_t>> PackHistory(std::string_view identity);

  // The sales (3505) and sale returns (3506) of months [from_month, to_month] (YYYYMM), summed
  // per cell, minus the rows voided by an effective 3507 (whatever the void's own month); sorted
  // by institution, month and the other key columns. Read from the report counters
  // (ledger/src/fact_counters.h): cost grows with institutions and months, not with rows.
  Result<std::vector<CoverageCell>> Coverage(int from_month, int to_month);
  // The findings given on an institution's rows of a month (every interface), most frequent
  // first. A void does not take back what the counter was told.
  Result<std::vector<FindingCount>> FindingCounts(std::string_view institution, int month);
  // The drugs an institution sold or took back without a valid code in a month, most boxes first.
  Result<std::vector<DrugGap>> MissingCodeDrugs(std::string_view institution, int month);

  // The newest reference-data entry, if any.
  Result<std::optional<std::uint64_t>> LatestRefDataEntry();

  // Audit records with time_ms >= since_ms, oldest first, at most `limit`.
  Result<std::vector<AuditIndexRow>> AuditEntries(std::int64_t since_ms, std::size_t limit);
  // Appends audit entries (type kAudit) durably and indexes each by its event time, in one
  // transaction. Needs a writable Ledger. Returns the first entry's index.
  Result<std::uint64_t> AppendAudit(std::span<const EntryInput> entries);

  std::size_t pack_index_bytes() const;

 private:
  struct Impl;
  explicit RegulatorStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ledger
