// `drugtrace serve`: the HTTP routes, authentication, the bounded queue and the single writer
// thread that judges, records (group commit) and answers, and records regulators' case actions
// and audit entries; background checkpoint signing; the console's security headers on every
// response.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "ingest/http.h"
#include "ledger/status.h"

namespace ingest {

struct DaemonOptions {
  std::string db_path;
  ServerOptions http;  // address, port, limits, TLS
  // Messages waiting for the writer; beyond this, uploads get 503 with Retry-After.
  std::size_t queue_capacity = 8192;
  // Messages judged and committed per transaction, at most.
  std::size_t max_batch = 1024;
  // Sign a checkpoint this often when the tree grew (0: never in the background).
  std::chrono::milliseconds checkpoint_interval{1000};
  // How long a drain may take at shutdown before connections are closed.
  std::chrono::milliseconds drain_grace{10000};
  // The verifier key (note.h text form) the console checks checkpoints with, given to it by
  // GET /v1/whoami; empty: the log's own key.
  std::string console_public_key;
  // Log a group commit (judging and recording one batch) that takes longer than this to stderr,
  // with where the time went (0: never).
  std::chrono::milliseconds slow_commit_log{250};
  // ledger::OpenOptions::wal_restart_bytes for the writer.
  std::int64_t wal_restart_bytes = std::int64_t{64} << 20;
};

class Daemon {
 public:
  virtual ~Daemon() = default;
  // Opens the ledger, starts the writer and the network threads. Errors in `error`.
  static std::unique_ptr<Daemon> Start(const DaemonOptions& options, std::string& error);
  virtual std::uint16_t port() const = 0;
  // The verifier key the console is given (DaemonOptions::console_public_key or the log's own).
  virtual std::string console_public_key() const = 0;
  // Drains: stops accepting, finishes and commits queued work, answers it, signs a last checkpoint
  // and closes the ledger.
  virtual void Stop() = 0;
};

}  // namespace ingest
