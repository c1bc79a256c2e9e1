// Copies the ledger's write-ahead log back into the database file on a thread of its own, so the
// writer's commits never wait for that copy and its fsync (SQLite otherwise does it inside the
// commit that crosses 1,000 WAL pages). Pair with OpenOptions::auto_checkpoint = false on the
// writer's connection.
//
// Checkpoints are PASSIVE: they never block the writer or readers, copy what is not in use, and
// let SQLite restart the log from its beginning once everything was copied. If this thread falls
// far behind, the WAL grows; it is truncated back to journal_size_limit after a restart.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "ledger/status.h"

namespace ledger {

struct WalCheckpointerStats {
  std::uint64_t checkpoints = 0;     // PASSIVE checkpoints run
  std::uint64_t frames_copied = 0;   // WAL frames written back to the database
  std::uint64_t failures = 0;        // checkpoints that returned an error (retried next period)
  std::int64_t last_wal_frames = 0;  // frames in the log at the last checkpoint
};

class WalCheckpointer {
 public:
  // Opens its own connection to `db_path`; checks every `period_ms`.
  static Result<std::unique_ptr<WalCheckpointer>> Start(const std::string& db_path,
                                                        int period_ms = 200);
  ~WalCheckpointer();  // stops the thread after a last checkpoint

  WalCheckpointerStats stats() const;

 private:
  WalCheckpointer() = default;
  void Loop();
  bool RunOnce();

  struct Db;
  std::unique_ptr<Db> db_;
  int period_ms_ = 200;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  WalCheckpointerStats stats_;
  std::thread thread_;
};

}  // namespace ledger
