// Ingest's persistent indexes, kept in the ledger database and written in the same SQLite
// transaction as the entries they describe: message ids (idempotency), row keys (fixmedins_bchno),
// the latest state of every pack, 无码库 balances, access tokens and the reference-data entries.
//
// Every table but the balances and tokens is append-only. Look-ups go through in-memory heads
// (16 bytes per message, row and pack) rebuilt from the tables at open, so the write path only ever
// appends: no random B-tree updates, which is what keeps ingest fast as the ledger grows.
// Not thread-safe: owned by the single writer thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/hash.h"
#include "ledger/ledger.h"
#include "ledger/pack_heads.h"
#include "ledger/status.h"

namespace ledger {

struct MessageRecord {
  std::string institution;
  std::string msgid;
  Hash digest{};         // SHA-256 of the message's canonical JSON: same id + other content = 409
  std::string response;  // the response body given, returned again on a retry
};

struct RowRecord {
  std::string institution;
  std::string bchno;  // fixmedins_bchno
  std::uint64_t entry = 0;
};

struct CodeEvent {
  std::string identity;  // canonical pack identity
  std::uint64_t entry = 0;
  std::string state;  // the validator's encoded state after this event
};

struct BalanceChange {
  std::string institution;
  std::string drug;        // med_list_codg
  std::int64_t milli = 0;  // the new balance, thousandths of a box
};

struct TokenRecord {
  Hash hash{};              // SHA-256 of the secret token; the secret itself is never stored
  std::string role;         // "terminal", "regulator", "admin"
  std::string institution;  // terminals
  std::string region;       // regulators limited to a region ("" = all)
  std::string label;
  std::int64_t created_ms = 0;
  bool revoked = false;
};

// How a row counts in the coverage report (docs/reports.md).
enum class CoverageClass : int {
  kNotApplicable = 0,  // not a sale/return, or judged unreadable
  kCoded = 1,          // code required and a valid code scanned
  kMissing = 2,        // code required and none (or no valid one) scanned
  kExempt = 3,         // no code required (policy calendar, drug class, ...)
  kNoCodeStock = 4,    // drawn from the declared 无码库 balance
};

// Compact per-row facts for reports and suspect building, written with the row's entry.
struct RowFact {
  std::uint64_t entry = 0;
  std::string institution;
  int month = 0;          // YYYYMM of the business time
  std::int64_t time = 0;  // business time, civil seconds
  int infno = 0;          // 3501..3507
  int verdict = 0;        // 0 ok, 1 warn, 2 block
  int settle = 0;         // validator::SettlementType as int
  CoverageClass coverage = CoverageClass::kNotApplicable;
  std::int64_t boxes_milli = 0;
  std::int64_t amount_fen = 0;
  int codes = 0;
  std::string drug;
  std::string psn_hash;
  std::optional<std::uint64_t> target_entry;
  std::string rules;  // comma-separated rule ids
};

// Everything one group commit writes besides the entries.
struct IngestWrites {
  std::vector<MessageRecord> messages;
  std::vector<RowRecord> rows;
  std::vector<CodeEvent> code_events;
  std::vector<BalanceChange> balances;
  std::vector<std::string> receipt_uploaders;  // institutions seen uploading receipts (3503)
  std::vector<std::uint64_t> refdata_entries;  // entry indexes holding reference data
  std::vector<RowFact> facts;
  bool empty() const {
    return messages.empty() && rows.empty() && code_events.empty() && balances.empty() &&
           receipt_uploaders.empty() && refdata_entries.empty() && facts.empty();
  }
};

struct IngestStoreStats {
  std::uint64_t messages = 0, rows = 0, packs = 0, code_events = 0;
  std::size_t index_bytes = 0;
  // How the open found the heads: from the heads file (then `heads_file_size` is the ledger size
  // it described and only later rows were scanned), or by scanning the tables (`heads_file_note`
  // says why the file was not used).
  bool heads_from_file = false;
  std::uint64_t heads_file_size = 0;
  std::string heads_file_note;
};

class IngestStore {
 public:
  ~IngestStore();
  // Loads the in-memory heads: from the heads file `<db>.heads` when it describes a prefix of this
  // ledger (heads_file.h), then the rows past it; otherwise a full scan of the tables' keys.
  static Result<std::unique_ptr<IngestStore>> Open(Ledger& ledger);

  // Writes the heads file for the next open (a writer that closes cleanly calls this last).
  Status SaveHeads();

  // The pack heads, for readers on other threads (the daemon's regulator readers).
  std::shared_ptr<const PackHeads> pack_heads() const;

  // Appends `entries` and `writes` in one transaction; entry i gets index ledger.size() + i, which
  // the caller used in `writes`. In-memory heads change only after the commit succeeded.
  Result<std::uint64_t> Commit(std::span<const EntryInput> entries, const IngestWrites& writes);

  // Groups the look-ups of one batch in a single read transaction, so they take the database's
  // shared lock once instead of once per statement. Ended by Commit() or EndReads().
  Status BeginReads();
  void EndReads();

  Result<std::optional<MessageRecord>> FindMessage(std::string_view institution,
                                                   std::string_view msgid);
  Result<std::optional<std::uint64_t>> FindRow(std::string_view institution,
                                               std::string_view bchno);
  // The latest state of a pack, or nullopt if never seen.
  Result<std::optional<std::string>> PackState(std::string_view identity);
  // Every entry index that touched the pack, oldest first.
  Result<std::vector<std::uint64_t>> PackHistory(std::string_view identity);
  Result<std::optional<std::int64_t>> Balance(std::string_view institution, std::string_view drug);
  bool UploadsReceipts(std::string_view institution) const;
  Result<std::vector<std::uint64_t>> RefDataEntries();

  // Tokens are managed by administrators (CLI); their public part is also recorded as ledger
  // entries by the caller.
  Status PutToken(const TokenRecord& token);
  Result<std::optional<TokenRecord>> FindToken(const Hash& hash);
  Result<std::vector<TokenRecord>> Tokens();
  Status RevokeToken(const Hash& hash);

  // Loads what another process appended since (call after Ledger::Refresh() reported a change).
  Status Refresh();

  // Folds the facts committed since the report counters' watermark into the counter tables now
  // (commits do it about once a second, and readers add the rest themselves, so reports never
  // need it; tests and tools use it to fold at a point of their choosing).
  Status FlushCounters();

  IngestStoreStats stats() const;

 private:
  struct Impl;
  explicit IngestStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ledger
