#include "ledger/wal_checkpointer.h"

#include <chrono>
#include <cstdio>

#include "sqlite.h"

namespace ledger {

struct WalCheckpointer::Db {
  sql::DbPtr db;
};

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::Start(const std::string& db_path,
                                                                int period_ms) {
  auto db = sql::OpenDb(db_path, /*read_only=*/false, /*create=*/false);
  if (!db.ok()) return db.status();
  // The checkpoint copies pages through this connection's cache; keep it small.
  LEDGER_RETURN_IF_ERROR(sql::Exec(db->get(), "PRAGMA cache_size=-2048"));
  LEDGER_RETURN_IF_ERROR(sql::Exec(db->get(), "PRAGMA synchronous=FULL"));
  std::unique_ptr<WalCheckpointer> c(new WalCheckpointer());
  c->db_ = std::make_unique<Db>();
  c->db_->db = std::move(*db);
  c->period_ms_ = period_ms < 10 ? 10 : period_ms;
  c->thread_ = std::thread([p = c.get()] { p->Loop(); });
  return c;
}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

WalCheckpointerStats WalCheckpointer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool WalCheckpointer::RunOnce() {
  int log = 0, copied = 0;
  const int rc =
      sqlite3_wal_checkpoint_v2(db_->db.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
  std::lock_guard lock(mu_);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
    ++stats_.failures;
    return false;
  }
  ++stats_.checkpoints;
  stats_.last_wal_frames = log;
  if (copied > 0) stats_.frames_copied += static_cast<std::uint64_t>(copied);
  return true;
}

void WalCheckpointer::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(period_ms_), [this] { return stop_; });
    lock.unlock();
    RunOnce();
    lock.lock();
  }
}

}  // namespace ledger
