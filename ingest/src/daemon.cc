#include "ingest/daemon.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "console_assets.h"
#include "ingest/processor.h"
#include "ingest/suspects_api.h"
#include "ingest/tokens.h"
#include "ledger/ingest_store.h"
#include "ledger/ledger.h"
#include "ledger/regulator_store.h"
#include "ledger/wal_checkpointer.h"
#include "metrics.h"
#include "regulator_service.h"

namespace ingest {

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

HttpResponse JsonResponse(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// A 503 (queue full, stopping, the ledger could not be read or written) is transient: it tells
// the terminal when to try again, as docs/ingest.md promises.
HttpResponse FromOutcome(const Outcome& o) {
  HttpResponse r = JsonResponse(o.http_status, o.body);
  if (r.status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

HttpResponse Error(int status, const std::string& message) {
  return FromOutcome(ErrorOutcome(status, -1, message));
}

// Tokens as the network threads see them: a snapshot refreshed by the writer thread, so that
// authentication never touches SQLite on a network thread.
class TokenCache {
 public:
  using Map = std::unordered_map<std::string, Principal>;  // key: raw SHA-256 of the secret

  void Replace(std::shared_ptr<const Map> map) {
    std::lock_guard lock(mu_);
    map_ = std::move(map);
  }
  std::optional<Principal> Find(std::string_view authorization) const {
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization.substr(0, kBearer.size()) != kBearer) return std::nullopt;
    const ledger::Hash h = ledger::Sha256(ledger::AsBytes(authorization.substr(kBearer.size())));
    std::shared_ptr<const Map> map;
    {
      std::lock_guard lock(mu_);
      map = map_;
    }
    if (!map) return std::nullopt;
    auto it = map->find(std::string(h.begin(), h.end()));
    if (it == map->end()) return std::nullopt;
    return it->second;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Map> map_;
};

struct Job {
  Submission submission;
  Responder respond;
};

// A regulator query's audit entry, to be committed by the writer before the query is answered.
struct AuditJob {
  ledger::EntryInput entry;
  std::function<void(bool)> done;
};

// A writing regulator route's step (a case action), run by the writer on its connection.
struct WriteJob {
  WriteStep step;
  std::function<void(ApiResult)> done;
};

// Sent with every response, API and console alike: no inline script or style, no eval, no
// plug-ins, no framing; a page may only fetch from the daemon itself.
constexpr char kCsp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

class DaemonImpl final : public Daemon, public Handler {
 public:
  ~DaemonImpl() override { Stop(); }

  bool Init(const DaemonOptions& options, std::string& error) {
    options_ = options;
    ledger::OpenOptions open;
    // Sales read the state of packs received long ago: a larger page cache keeps those reads in
    // memory as the ledger grows.
    open.cache_mib = 512;
    // The WAL is copied back by checkpointer_ on its own thread, never inside a group commit.
    open.auto_checkpoint = false;
    open.wal_restart_bytes = options.wal_restart_bytes;
    auto l = ledger::Ledger::Open(options.db_path, open);
    if (!l.ok()) {
      error = l.status().message();
      return false;
    }
    ledger_ = std::move(*l);
    // Every 200 ms: at 50 ms the extra fsyncs of the database file cost a fifth of the commit
    // rate at 20M entries (bench/ingest_bench.cc, docs/ingest.md).
    auto checkpointer = ledger::WalCheckpointer::Start(options.db_path, 200);
    if (!checkpointer.ok()) {
      error = checkpointer.status().message();
      return false;
    }
    checkpointer_ = std::move(*checkpointer);
    const auto load_start = Clock::now();
    auto p = Processor::Open(*ledger_, options.db_path);
    if (!p.ok()) {
      error = p.status().message();
      return false;
    }
    processor_ = std::move(*p);
    const ledger::IngestStoreStats heads = processor_->store().stats();
    std::fprintf(
        stderr,
        "drugtrace serve: indexes of %llu messages, %llu rows, %llu packs loaded in %.1f s "
        "(%s)\n",
        static_cast<unsigned long long>(heads.messages),
        static_cast<unsigned long long>(heads.rows), static_cast<unsigned long long>(heads.packs),
        std::chrono::duration<double>(Clock::now() - load_start).count(),
        heads.heads_from_file ? ("heads file at " + std::to_string(heads.heads_file_size) +
                                 " entries, then the rows after it")
                                    .c_str()
                              : ("scanned the tables: " + heads.heads_file_note).c_str());
    if (!StartRegulators(error)) return false;
    if (auto st = RefreshTokens(); !st.ok()) {
      error = st.message();
      return false;
    }
    metrics_.SetLedgerSize(ledger_->size());
    ledger_size_ = ledger_->size();
    ServerOptions http = options.http;
    http.default_headers.insert(http.default_headers.end(), {{"Content-Security-Policy", kCsp},
                                                             {"X-Content-Type-Options", "nosniff"},
                                                             {"X-Frame-Options", "DENY"},
                                                             {"Referrer-Policy", "no-referrer"}});
    server_ = HttpServer::Create(http, *this, error);
    if (!server_) return false;
    writer_ = std::thread([this] { WriterLoop(); });
    server_->Start();
    return true;
  }

  std::uint16_t port() const override { return server_->port(); }
  std::string console_public_key() const override { return console_key_; }

  void Stop() override {
    std::call_once(stop_once_, [this] {
      if (server_) server_->Stop(options_.drain_grace);  // answers everything already read
      if (regulators_) regulators_->Stop();  // their audit entries are still committed below
      {
        std::lock_guard lock(mu_);
        stopping_ = true;
      }
      cv_.notify_all();
      if (writer_.joinable()) writer_.join();
      // Everything is committed: leave the heads for the next start (heads_file.h).
      if (processor_) {
        const auto t0 = Clock::now();
        if (auto st = processor_->store().SaveHeads(); !st.ok()) {
          std::fprintf(stderr, "drugtrace serve: heads file not written: %s\n",
                       st.ToString().c_str());
        } else {
          std::fprintf(stderr, "drugtrace serve: heads file written in %.1f s\n",
                       std::chrono::duration<double>(Clock::now() - t0).count());
        }
      }
      server_.reset();
      audit_store_.reset();
      processor_.reset();
      checkpointer_.reset();
      ledger_.reset();
    });
  }

  void Handle(HttpRequest req, Responder respond) override {
    auto counted = [this, respond = std::move(respond)](HttpResponse r) {
      metrics_.CountRequest(r.status);
      respond(std::move(r));
    };
    const std::string path = req.target.substr(0, req.target.find('?'));
    if (regulators_->Owns(path)) {
      auto who = tokens_.Find(req.Header("authorization").value_or(""));
      return regulators_->Submit(std::move(req), std::move(who), std::move(counted));
    }
    if (path == "/v1/upload") {
      if (req.method != "POST") return counted(Error(405, "use POST for /v1/upload"));
      return Upload(std::move(req), std::move(counted));
    }
    if (path == "/healthz" && req.method == "GET") {
      return counted(JsonResponse(200, "{\"status\":\"ok\",\"ledger_entries\":" +
                                           std::to_string(ledger_size_.load()) + "}"));
    }
    if (IsConsolePath(path)) return counted(ConsoleAsset(req.method, path));
    if (path == "/metrics" && req.method == "GET") {
      HttpResponse r;
      r.content_type = "text/plain; version=0.0.4";
      r.body = metrics_.Render();
      return counted(std::move(r));
    }
    counted(Error(404, "no such endpoint: " + req.method + " " + path));
  }

 private:
  void Upload(HttpRequest req, Responder respond) {
    auto who = tokens_.Find(req.Header("authorization").value_or(""));
    if (!who) return respond(Error(401, "missing, unknown or revoked bearer token"));
    if (who->role != Role::kTerminal) {
      return respond(Error(403, "only terminal tokens may upload"));
    }
    Job job;
    Outcome rejected;
    if (!processor_->Admit(req.body, NowMs(), job.submission, rejected)) {
      return respond(FromOutcome(rejected));
    }
    const std::string& inst = job.submission.message.envelope.fixmedins_code;
    if (inst != who->institution) {
      return respond(Error(403, "this token uploads for " + who->institution + ", not " + inst));
    }
    job.respond = std::move(respond);
    std::unique_lock lock(mu_);
    if (stopping_ || queue_.size() >= options_.queue_capacity) {
      lock.unlock();
      return job.respond(Error(503, stopping_ ? "shutting down" : "ingest queue is full"));
    }
    queue_.push_back(std::move(job));
    metrics_.SetQueueDepth(queue_.size());
    lock.unlock();
    cv_.notify_one();
  }

  void WriterLoop() {
    auto last_checkpoint = Clock::now();
    auto last_token_refresh = Clock::now();
    std::uint64_t checkpointed_size = ledger_->size();
    std::vector<Job> jobs;
    std::vector<Submission> batch;
    std::vector<AuditJob> audits;
    std::vector<WriteJob> writes;
    while (true) {
      {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, std::chrono::milliseconds(200), [this] {
          return stopping_ || !queue_.empty() || !audits_.empty() || !writes_.empty();
        });
        if (queue_.empty() && audits_.empty() && writes_.empty() && stopping_) {
          writer_done_ = true;  // later audits are refused (503), never left unanswered
          break;
        }
        writes.swap(writes_);
        audits.swap(audits_);
        while (!queue_.empty() && jobs.size() < options_.max_batch) {
          jobs.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
        metrics_.SetQueueDepth(queue_.size());
      }
      if (!jobs.empty()) {
        batch.clear();
        for (auto& j : jobs) batch.push_back(std::move(j.submission));
        const auto t0 = Clock::now();
        std::vector<Outcome> outcomes = processor_->ProcessBatch(batch);
        const auto took = Clock::now() - t0;
        metrics_.ObserveCommit(std::chrono::duration<double>(took).count());
        if (options_.slow_commit_log.count() > 0 && took > options_.slow_commit_log) {
          const Processor::BatchTiming t = processor_->last_batch_timing();
          std::fprintf(stderr,
                       "drugtrace serve: slow group commit: %.0f ms for %zu messages, %zu entries "
                       "(judge %.0f ms, record %.0f ms: of which write lock %.0f ms, entries %.0f "
                       "ms, indexes and counters %.0f ms, COMMIT %.0f ms, WAL drain %.0f ms)\n",
                       std::chrono::duration<double, std::milli>(took).count(), batch.size(),
                       t.entries, t.judge_ms, t.record_ms, t.begin_ms, t.entries_ms, t.indexes_ms,
                       t.sync_ms, t.drain_ms);
        }
        ledger_size_ = ledger_->size();
        metrics_.SetLedgerSize(ledger_->size());
        const ledger::WalDrainStats wal = ledger_->wal_drain_stats();
        metrics_.SetWal(wal.wal_frames, wal.drains, wal.incomplete, wal.max_ms);
        for (std::size_t i = 0; i < jobs.size(); ++i) {
          const Outcome& o = outcomes[i];
          if (o.replayed) metrics_.CountReplay();
          if (o.http_status == 200 && !o.replayed) {
            metrics_.CountRows(o.rows_by_verdict);
            for (auto rule : o.rules) metrics_.CountRule(rule);
          }
          jobs[i].respond(FromOutcome(o));
        }
        jobs.clear();
      }
      if (!writes.empty()) {
        RunWrites(writes);
        // Their audit entries were just handed over: commit them in this round too.
        std::lock_guard lock(mu_);
        for (auto& a : audits_) audits.push_back(std::move(a));
        audits_.clear();
      }
      if (!audits.empty()) CommitAudits(audits);
      const auto now = Clock::now();
      if (options_.checkpoint_interval.count() > 0 &&
          now - last_checkpoint >= options_.checkpoint_interval &&
          ledger_->size() != checkpointed_size) {
        const auto sign_start = Clock::now();
        auto cp = ledger_->SignCheckpoint(NowMs());
        const auto sign_took = Clock::now() - sign_start;
        if (options_.slow_commit_log.count() > 0 && sign_took > options_.slow_commit_log) {
          std::fprintf(stderr, "drugtrace serve: slow checkpoint signing: %.0f ms\n",
                       std::chrono::duration<double, std::milli>(sign_took).count());
        }
        if (cp.ok()) {
          checkpointed_size = cp->checkpoint.size;
        } else {
          std::fprintf(stderr, "drugtrace serve: checkpoint failed: %s\n",
                       cp.status().ToString().c_str());
        }
        last_checkpoint = now;
      }
      if (now - last_token_refresh >= std::chrono::seconds(2)) {
        if (auto st = RefreshTokens(); !st.ok()) {
          std::fprintf(stderr, "drugtrace serve: token refresh failed: %s\n",
                       st.ToString().c_str());
        }
        last_token_refresh = now;
      }
    }
    if (ledger_->size() != checkpointed_size) {
      if (auto cp = ledger_->SignCheckpoint(NowMs()); !cp.ok()) {
        std::fprintf(stderr, "drugtrace serve: final checkpoint failed: %s\n",
                     cp.status().ToString().c_str());
      }
    }
  }

  // The regulator API (ingest/src/regulator_service.h): its reader thread, and its audit entries
  // committed here on the writer thread.
  bool StartRegulators(std::string& error) {
    auto store = ledger::RegulatorStore::Open(*ledger_);
    if (!store.ok()) {
      error = store.status().message();
      return false;
    }
    audit_store_ = std::move(*store);
    RegulatorServiceOptions ro;
    ro.db_path = options_.db_path;
    ro.packs = processor_->store().pack_heads();
    regulators_ = RegulatorService::Start(
        ro,
        [this](ledger::EntryInput e, std::function<void(bool)> done) {
          std::unique_lock lock(mu_);
          if (writer_done_) {
            lock.unlock();
            return done(false);
          }
          audits_.push_back({std::move(e), std::move(done)});
          lock.unlock();
          cv_.notify_one();
        },
        [this](WriteStep step, std::function<void(ApiResult)> done) {
          std::unique_lock lock(mu_);
          if (writer_done_) {
            lock.unlock();
            return done(ApiResult::Error(503, "shutting down"));
          }
          writes_.push_back({std::move(step), std::move(done)});
          lock.unlock();
          cv_.notify_one();
        },
        error);
    if (regulators_ == nullptr) return false;
    AddSuspectRoutes(regulators_->api());
    console_key_ = options_.console_public_key.empty() ? ledger_->verifier().ToString()
                                                       : options_.console_public_key;
    AddWhoamiRoute(regulators_->api(), console_key_);
    return true;
  }

  // Writer thread: each write step on the write connection, in its own transaction; a kBusy (the
  // CLI appended meanwhile) makes the processor catch up, then the step runs once more.
  void RunWrites(std::vector<WriteJob>& writes) {
    for (auto& w : writes) {
      auto result = w.step(*ledger_);
      if (!result.ok() && result.status().code() == ledger::Code::kBusy) {
        std::vector<Submission> none;
        processor_->ProcessBatch(none);
        result = w.step(*ledger_);
      }
      if (!result.ok()) {
        std::fprintf(stderr, "drugtrace serve: regulator write failed: %s\n",
                     result.status().ToString().c_str());
      }
      ledger_size_ = ledger_->size();
      metrics_.SetLedgerSize(ledger_->size());
      w.done(result.ok()
                 ? std::move(*result)
                 : ApiResult::Error(503, "ledger unavailable: " + result.status().message()));
    }
    writes.clear();
  }

  // One transaction for the audit entries gathered since the last; each query is answered after.
  void CommitAudits(std::vector<AuditJob>& audits) {
    std::vector<ledger::EntryInput> entries;
    entries.reserve(audits.size());
    for (auto& a : audits) entries.push_back(std::move(a.entry));
    auto first = audit_store_->AppendAudit(entries);
    if (!first.ok() && first.status().code() == ledger::Code::kBusy) {
      // Another process (the CLI) appended since: an empty batch makes the processor catch up
      // (ledger head, its indexes, reference data) without judging anything; then retry once.
      std::vector<Submission> none;
      processor_->ProcessBatch(none);
      first = audit_store_->AppendAudit(entries);
    }
    if (!first.ok()) {
      std::fprintf(stderr, "drugtrace serve: audit entries not recorded: %s\n",
                   first.status().ToString().c_str());
    }
    ledger_size_ = ledger_->size();
    metrics_.SetLedgerSize(ledger_->size());
    for (auto& a : audits) a.done(first.ok());
    audits.clear();
  }

  ledger::Status RefreshTokens() {
    auto all = processor_->store().Tokens();
    if (!all.ok()) return all.status();
    auto map = std::make_shared<TokenCache::Map>();
    for (const auto& t : *all) {
      if (t.revoked) continue;
      auto role = RoleFromName(t.role);
      if (!role) continue;
      (*map)[std::string(t.hash.begin(), t.hash.end())] =
          Principal{*role, TokenId(t.hash), t.institution, t.region, t.label};
    }
    tokens_.Replace(std::move(map));
    return ledger::Status::Ok();
  }

  DaemonOptions options_;
  std::string console_key_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<ledger::WalCheckpointer> checkpointer_;
  std::unique_ptr<Processor> processor_;
  std::unique_ptr<HttpServer> server_;
  TokenCache tokens_;
  Metrics metrics_;
  std::atomic<std::uint64_t> ledger_size_{0};

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread writer_;
  std::unique_ptr<RegulatorService> regulators_;
  std::unique_ptr<ledger::RegulatorStore> audit_store_;  // writer thread only
  std::vector<AuditJob> audits_;                         // guarded by mu_
  std::vector<WriteJob> writes_;                         // guarded by mu_
  bool writer_done_ = false;                             // guarded by mu_
  std::once_flag stop_once_;
};

}  // namespace

std::unique_ptr<Daemon> Daemon::Start(const DaemonOptions& options, std::string& error) {
  auto d = std::make_unique<DaemonImpl>();
  if (!d->Init(options, error)) return nullptr;
  return d;
}

}  // namespace ingest
