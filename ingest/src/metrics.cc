#include "metrics.h"

#include <sstream>

namespace ingest {

void Metrics::CountRequest(int status) {
  for (std::size_t i = 0; i < kStatuses.size(); ++i) {
    if (kStatuses[i] == status) {
      requests_[i]++;
      return;
    }
  }
  requests_[kStatuses.size()]++;
}

void Metrics::CountRows(const std::size_t (&by_verdict)[3]) {
  for (int i = 0; i < 3; ++i) rows_[i] += by_verdict[i];
}

void Metrics::ObserveCommit(double seconds) {
  std::size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
  commit_buckets_[i]++;
  commit_count_++;
  commit_micros_ += static_cast<std::uint64_t>(seconds * 1e6);
}

std::string Metrics::Render() const {
  std::ostringstream o;
  o << "# HELP drugtrace_http_requests_total HTTP requests answered, by status.\n"
    << "# TYPE drugtrace_http_requests_total counter\n";
  for (std::size_t i = 0; i < kStatuses.size(); ++i) {
    o << "drugtrace_http_requests_total{status=\"" << kStatuses[i] << "\"} " << requests_[i]
      << "\n";
  }
  o << "drugtrace_http_requests_total{status=\"other\"} " << requests_[kStatuses.size()] << "\n";
  o << "# HELP drugtrace_rows_total Rows recorded, by verdict.\n"
    << "# TYPE drugtrace_rows_total counter\n";
  const char* verdicts[] = {"ok", "warn", "block"};
  for (int i = 0; i < 3; ++i) {
    o << "drugtrace_rows_total{verdict=\"" << verdicts[i] << "\"} " << rows_[i] << "\n";
  }
  o << "# HELP drugtrace_findings_total Findings given, by rule.\n"
    << "# TYPE drugtrace_findings_total counter\n";
  for (int i = 0; i < validator::kRuleCount; ++i) {
    o << "drugtrace_findings_total{rule=\""
      << validator::RuleName(static_cast<validator::RuleId>(i)) << "\"} " << rules_[i] << "\n";
  }
  o << "# HELP drugtrace_replays_total Retried messages answered from the stored response.\n"
    << "# TYPE drugtrace_replays_total counter\n"
    << "drugtrace_replays_total " << replays_ << "\n";
  o << "# HELP drugtrace_queue_depth Messages waiting for the ledger writer.\n"
    << "# TYPE drugtrace_queue_depth gauge\n"
    << "drugtrace_queue_depth " << queue_depth_ << "\n";
  o << "# HELP drugtrace_ledger_entries Entries in the ledger.\n"
    << "# TYPE drugtrace_ledger_entries gauge\n"
    << "drugtrace_ledger_entries " << ledger_size_ << "\n";
  o << "# HELP drugtrace_wal_frames Pages in the writer's write-ahead log after its last commit.\n"
    << "# TYPE drugtrace_wal_frames gauge\n"
    << "drugtrace_wal_frames " << wal_frames_ << "\n";
  o << "# HELP drugtrace_wal_drains_total Checkpoints the writer ran to let the WAL restart.\n"
    << "# TYPE drugtrace_wal_drains_total counter\n"
    << "drugtrace_wal_drains_total " << wal_drains_ << "\n";
  o << "# HELP drugtrace_wal_drains_incomplete_total Of those, ones a reader kept from finishing.\n"
    << "# TYPE drugtrace_wal_drains_incomplete_total counter\n"
    << "drugtrace_wal_drains_incomplete_total " << wal_drains_incomplete_ << "\n";
  o << "# HELP drugtrace_wal_drain_max_seconds The longest drain (it stalls one group commit).\n"
    << "# TYPE drugtrace_wal_drain_max_seconds gauge\n"
    << "drugtrace_wal_drain_max_seconds " << static_cast<double>(wal_drain_max_us_) / 1e6 << "\n";
  o << "# HELP drugtrace_commit_seconds Latency of ledger group commits (synchronous=FULL).\n"
    << "# TYPE drugtrace_commit_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += commit_buckets_[i];
    o << "drugtrace_commit_seconds_bucket{le=\"" << kBuckets[i] << "\"} " << cumulative << "\n";
  }
  cumulative += commit_buckets_[kBuckets.size()];
  o << "drugtrace_commit_seconds_bucket{le=\"+Inf\"} " << cumulative << "\n"
    << "drugtrace_commit_seconds_sum " << static_cast<double>(commit_micros_) / 1e6 << "\n"
    << "drugtrace_commit_seconds_count " << commit_count_ << "\n";
  return o.str();
}

}  // namespace ingest
