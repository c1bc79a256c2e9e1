// Pieces of the HTTP layer shared by the listener and the connections: the error log, the
// registry of live connections, error bodies and the Responder handed to the Handler.
#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string_view>

#include "http_session.h"

namespace ingest::http_internal {
namespace {

// Shared by every copy of one Responder: answers once, or 500 when the last copy is dropped.
class ResponderState {
 public:
  ResponderState(std::weak_ptr<SessionBase> session, std::shared_ptr<Gate> gate, std::uint64_t seq)
      : session_(std::move(session)), gate_(std::move(gate)), seq_(seq) {}
  ResponderState(const ResponderState&) = delete;
  ResponderState& operator=(const ResponderState&) = delete;

  ~ResponderState() {
    if (answered_.exchange(true)) return;
    try {
      Deliver(ErrorResponse(500, "the request was not answered"));
    } catch (const std::exception&) {
      // Out of memory while answering a dropped request: the connection closes with the server.
    }
  }

  void Respond(HttpResponse response) {
    if (answered_.exchange(true)) return;  // a second call is ignored
    Deliver(std::move(response));
  }

 private:
  void Deliver(HttpResponse response) {
    std::lock_guard lock(gate_->mu);
    if (!gate_->open) return;
    if (auto session = session_.lock()) session->PostResponse(seq_, std::move(response));
  }

  std::weak_ptr<SessionBase> session_;
  std::shared_ptr<Gate> gate_;
  std::uint64_t seq_;
  std::atomic<bool> answered_{false};
};

}  // namespace

HttpResponse ErrorResponse(int status, std::string_view message) {
  HttpResponse r;
  r.status = status;
  // The same NHSA-style shape as every other refusal; the message is escaped as a JSON string.
  r.body = nlohmann::json{{"infcode", -1}, {"err_msg", message}, {"output", nullptr}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Responder MakeResponder(std::weak_ptr<SessionBase> session, std::shared_ptr<Gate> gate,
                        std::uint64_t seq) {
  auto state = std::make_shared<ResponderState>(std::move(session), std::move(gate), seq);
  return [state](HttpResponse r) { state->Respond(std::move(r)); };
}

void ErrorLog::Once(const std::string& key, const std::string& message) {
  {
    std::lock_guard lock(mu_);
    if (!seen_.insert(key).second) return;
  }
  std::fprintf(stderr, "drugtrace http: %s (further ones not logged)\n", message.c_str());
}

void ErrorLog::Once(const char* where, const boost::system::error_code& ec) {
  Once(std::string(where) + ":" + ec.category().name() + ":" + std::to_string(ec.value()),
       std::string(where) + ": " + ec.message());
}

void ServerShared::Register(const std::shared_ptr<SessionBase>& session) {
  std::lock_guard lock(sessions_mu_);
  sessions_.emplace(session.get(), session);
}

void ServerShared::Unregister(const SessionBase* session) {
  std::lock_guard lock(sessions_mu_);
  sessions_.erase(session);
}

std::vector<std::shared_ptr<SessionBase>> ServerShared::Sessions() {
  std::vector<std::shared_ptr<SessionBase>> out;
  std::lock_guard lock(sessions_mu_);
  out.reserve(sessions_.size());
  for (const auto& [ptr, weak] : sessions_) {
    if (auto s = weak.lock()) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace ingest::http_internal
