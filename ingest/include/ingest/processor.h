// The one path every upload takes, whether from the daemon or `drugtrace ingest`: admit (parse,
// schema-check, decode: any thread), then judge and record (the single writer thread), many
// messages per SQLite transaction. A message is recorded whole or not at all, and its response is
// built before the commit but released only after it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ingest/message.h"
#include "ledger/hash.h"
#include "ledger/ingest_store.h"
#include "ledger/ledger.h"
#include "validator/refdata.h"

namespace ingest {

class JsonSchema;

// What a caller gets back for one message: the HTTP status and the NHSA-style body
// {infcode, err_msg, output}.
struct Outcome {
  int http_status = 200;
  std::string body;
  bool replayed = false;  // an identical retry answered from the stored response
  bool pending = false;   // a retry of a message recorded by the same, not yet committed, batch
  // For metrics.
  std::size_t rows = 0;
  std::size_t rows_by_verdict[3] = {0, 0, 0};
  std::vector<validator::RuleId> rules;
};

Outcome ErrorOutcome(int http_status, int infcode, const std::string& message);

// A message admitted for recording.
struct Submission {
  DecodedMessage message;
  ledger::Hash digest{};  // SHA-256 of the canonical message as received
  std::int64_t received_ms = 0;
};

struct ProcessorOptions {
  std::size_t max_rows_per_message = 500;
};

class Processor {
 public:
  ~Processor();
  // Opens ingest's indexes in `ledger` and loads the latest reference data recorded there.
  static ledger::Result<std::unique_ptr<Processor>> Open(ledger::Ledger& ledger,
                                                         const std::string& db_path,
                                                         const ProcessorOptions& options = {});

  // Thread-safe, no database access: parse, schema-check and decode one request body. On failure
  // returns false with the 400 outcome in `rejected`.
  bool Admit(std::string_view body, std::int64_t received_ms, Submission& out,
             Outcome& rejected) const;

  // Writer thread only. Judges and records the batch in one transaction; outcomes in order.
  std::vector<Outcome> ProcessBatch(std::vector<Submission>& batch);

  // Writer thread only. Validates a reference-data document against its schema, records it as a
  // ledger entry and makes it current. Returns the entry index.
  ledger::Result<std::uint64_t> ImportRefData(const Json& doc, std::int64_t now_ms);

  // Where the last ProcessBatch spent its time (for the daemon's slow-commit log).
  struct BatchTiming {
    double judge_ms = 0;    // look-ups and validation of every message (one read transaction)
    double record_ms = 0;   // IngestStore::Commit: inserts, counters, COMMIT, WAL drain
    double begin_ms = 0;    // of which taking the write lock
    double entries_ms = 0;  // of which inserting the entries (hashes, tree nodes)
    double indexes_ms = 0;  // of which ingest's index rows, facts and report counters
    double sync_ms = 0;     // of which inside SQLite's COMMIT (WAL write + fsync)
    double drain_ms = 0;    // of which the writer's WAL drain after the commit
    std::size_t entries = 0;
  };
  BatchTiming last_batch_timing() const;

  const validator::RefData& refdata() const;
  ledger::IngestStore& store();
  ledger::Ledger& ledger();

 private:
  struct Impl;
  explicit Processor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ingest
