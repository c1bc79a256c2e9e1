// Counters for GET /metrics (Prometheus text format 0.0.4). Updated from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "validator/findings.h"

namespace ingest {

class Metrics {
 public:
  void CountRequest(int status);
  void CountRows(const std::size_t (&by_verdict)[3]);
  void CountRule(validator::RuleId rule) { rules_[static_cast<int>(rule)]++; }
  void ObserveCommit(double seconds);
  void SetQueueDepth(std::size_t n) { queue_depth_ = n; }
  void SetLedgerSize(std::uint64_t n) { ledger_size_ = n; }
  void CountReplay() { replays_++; }
  // The writer's WAL (ledger::WalDrainStats): frames in the log, drains run and not completed.
  void SetWal(std::int64_t frames, std::uint64_t drains, std::uint64_t incomplete, double max_ms) {
    wal_frames_ = frames;
    wal_drains_ = drains;
    wal_drains_incomplete_ = incomplete;
    wal_drain_max_us_ = static_cast<std::uint64_t>(max_ms * 1000);
  }
  std::string Render() const;

 private:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02,
                                                      0.05,   0.1,   0.2,   0.5,   1,    2};
  static constexpr std::array<int, 10> kStatuses = {200, 400, 401, 403, 404,
                                                    405, 409, 413, 500, 503};
  std::array<std::atomic<std::uint64_t>, kStatuses.size() + 1> requests_{};  // last: other
  std::array<std::atomic<std::uint64_t>, 3> rows_{};
  std::array<std::atomic<std::uint64_t>, validator::kRuleCount> rules_{};
  std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> commit_buckets_{};
  std::atomic<std::uint64_t> commit_count_{0}, commit_micros_{0}, replays_{0};
  std::atomic<std::size_t> queue_depth_{0};
  std::atomic<std::uint64_t> ledger_size_{0};
  std::atomic<std::int64_t> wal_frames_{0};
  std::atomic<std::uint64_t> wal_drains_{0}, wal_drains_incomplete_{0}, wal_drain_max_us_{0};
};

}  // namespace ingest
