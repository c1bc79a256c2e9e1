#include "regulator_service.h"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace ingest {

namespace {

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Query {
  const ApiRoute* route = nullptr;
  ApiRequest request;
  HttpRequest http;  // method, target and remote, for the audit entry (the body is in request)
  Responder respond;
};

class Service final : public RegulatorService {
 public:
  Service(RegulatorServiceOptions options, AuditSink audit, WriteSink write)
      : options_(std::move(options)), audit_(std::move(audit)), write_(std::move(write)) {}
  ~Service() override { Stop(); }

  bool Init(std::string& error) {
    // Open every reader's connection here, so a bad path fails `serve` at once.
    for (int i = 0; i < std::max(1, options_.readers); ++i) {
      auto ctx = ReaderContext::Open(options_.db_path);
      if (!ctx.ok()) {
        error = "regulator reader: " + ctx.status().message();
        return false;
      }
      if (options_.packs) (*ctx)->store().UseSharedPacks(options_.packs);
      contexts_.push_back(std::move(*ctx));
    }
    for (auto& ctx : contexts_) {
      threads_.emplace_back([this, c = ctx.get()] { ReaderLoop(*c); });
    }
    return true;
  }

  RegulatorApi& api() override { return api_; }
  bool Owns(std::string_view path) const override { return api_.Owns(path); }

  void Submit(HttpRequest req, std::optional<Principal> who, Responder respond) override {
    if (!who) {
      return respond(
          RegulatorApi::ToHttp(ApiResult::Error(401, "missing, unknown or revoked bearer token")));
    }
    Query q;
    auto matched = api_.Match(req, *who, q.request);
    q.request.who = *who;
    q.request.body = std::move(req.body);
    q.http.method = std::move(req.method);
    q.http.target = std::move(req.target);
    q.http.remote = std::move(req.remote);
    q.respond = std::move(respond);
    if (auto* refused = std::get_if<ApiResult>(&matched)) {
      return Finish(q, "", *refused);
    }
    q.route = std::get<const ApiRoute*>(matched);
    std::unique_lock lock(mu_);
    if (stopping_ || queue_.size() >= options_.queue_capacity) {
      const bool stopping = stopping_;
      lock.unlock();
      return Finish(q, q.route->pattern,
                    ApiResult::Error(503, stopping ? "shutting down" : "regulator queue is full"));
    }
    queue_.push_back(std::move(q));
    lock.unlock();
    cv_.notify_one();
  }

  void Stop() override {
    std::call_once(stop_once_, [this] {
      {
        std::lock_guard lock(mu_);
        stopping_ = true;
      }
      cv_.notify_all();
      for (auto& t : threads_) {
        if (t.joinable()) t.join();
      }
    });
  }

 private:
  void ReaderLoop(ReaderContext& ctx) {
    // Load the pack index before the first query needs it (nothing to do when it is shared).
    if (auto st = ctx.store().RefreshPacks(); !st.ok()) {
      std::fprintf(stderr, "drugtrace serve: regulator reader: %s\n", st.ToString().c_str());
    }
    while (true) {
      Query q;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and everything answered
        q = std::move(queue_.front());
        queue_.pop_front();
      }
      ApiResult r;
      try {
        r = q.route->handler(q.request, ctx);
      } catch (const std::exception& e) {
        // The session boundary: a handler bug becomes a 500 for this query, not a dead reader.
        r = ApiResult::Error(500, std::string("internal error: ") + e.what());
      }
      Finish(q, q.route->pattern, r);
    }
  }

  // A writing route's step goes to the writer first; its answer is then audited like any other.
  // Otherwise records the audit entry, then answers (503 if the audit could not be recorded: no
  // answer leaves without its record).
  void Finish(Query& q, const std::string& route, const ApiResult& r) {
    if (r.write) {
      auto shared = std::make_shared<Query>(std::move(q));
      return write_(r.write, [this, shared, route](ApiResult answer) {
        answer.write = nullptr;
        Finish(*shared, route, answer);
      });
    }
    ledger::EntryInput entry = AuditEntry(q.request.who, q.http, route, r.status, NowMs());
    HttpResponse answer = RegulatorApi::ToHttp(r);
    audit_(std::move(entry),
           [respond = std::move(q.respond), answer = std::move(answer)](bool recorded) mutable {
             if (recorded) return respond(std::move(answer));
             respond(RegulatorApi::ToHttp(
                 ApiResult::Error(503, "the query could not be recorded in the audit trail")));
           });
  }

  RegulatorServiceOptions options_;
  AuditSink audit_;
  WriteSink write_;
  RegulatorApi api_;
  std::vector<std::unique_ptr<ReaderContext>> contexts_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Query> queue_;
  bool stopping_ = false;
  std::once_flag stop_once_;
};

}  // namespace

std::unique_ptr<RegulatorService> RegulatorService::Start(const RegulatorServiceOptions& options,
                                                          AuditSink audit, WriteSink write,
                                                          std::string& error) {
  auto s = std::make_unique<Service>(options, std::move(audit), std::move(write));
  if (!s->Init(error)) return nullptr;
  return s;
}

}  // namespace ingest
