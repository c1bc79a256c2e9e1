// The daemon's side of the regulator API: a reader thread (or two) with its own read-only ledger
// connection runs the queries, so network threads never touch SQLite and the writer never waits
// for a report. Every answered query is first recorded as an audit entry by the writer thread
// (through AuditSink); the answer is released only once that entry is durable. Routes that write
// (case actions) hand their write step to the writer thread (through WriteSink) first.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "ingest/http.h"
#include "ingest/regulator.h"
#include "ingest/tokens.h"
#include "ledger/pack_heads.h"

namespace ingest {

struct RegulatorServiceOptions {
  std::string db_path;
  int readers = 1;                   // reader threads, each with its own connection
  std::size_t queue_capacity = 256;  // queries waiting for a reader; beyond this, 503
  // The writer's pack heads (IngestStore::pack_heads()); without them every reader loads its own.
  std::shared_ptr<const ledger::PackHeads> packs;
};

class RegulatorService {
 public:
  // Hands an audit entry to the writer; `done(true)` once it is committed, `done(false)` if it
  // could not be recorded. May call `done` on any thread.
  using AuditSink = std::function<void(ledger::EntryInput, std::function<void(bool)>)>;
  // Hands a route's write step to the writer, which runs it on the write connection and calls
  // `done` with its answer (a 503 if the ledger failed or the writer has stopped). The service
  // then records the audit entry as for any query, and answers once that too is durable.
  using WriteSink = std::function<void(WriteStep, std::function<void(ApiResult)>)>;

  // Opens the readers' connections (the pack index loads in the background) and starts them.
  static std::unique_ptr<RegulatorService> Start(const RegulatorServiceOptions& options,
                                                 AuditSink audit, WriteSink write,
                                                 std::string& error);
  virtual ~RegulatorService() = default;

  // The routes; add more before the daemon starts serving.
  virtual RegulatorApi& api() = 0;
  virtual bool Owns(std::string_view path) const = 0;
  // Network thread: checks the token and the route, queues the query. `who` is nullopt for a
  // missing, unknown or revoked token (401, not audited: there is no one to name).
  virtual void Submit(HttpRequest req, std::optional<Principal> who, Responder respond) = 0;
  // Answers what is queued, then joins the readers.
  virtual void Stop() = 0;
};

}  // namespace ingest
