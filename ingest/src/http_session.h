// Internals of the HTTP layer shared by the listener (http_server.cc) and the connections
// (http_session.cc). Nothing here is visible outside ingest/src.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ingest/http.h"

namespace ingest::http_internal {

// Writes one line to stderr the first time `key` is seen, so that a flood of identical
// connection errors costs one line.
class ErrorLog {
 public:
  void Once(const std::string& key, const std::string& message);
  // Key and message for an error code: "<where>: <category>:<value>".
  void Once(const char* where, const boost::system::error_code& ec);

 private:
  std::mutex mu_;
  std::set<std::string> seen_;
};

// Closed by the server before its io_context is destroyed; a Responder checks it (under `mu`)
// before touching a connection, so a late answer from the handler's thread is dropped safely.
struct Gate {
  std::mutex mu;
  bool open = true;
};

// What a connection needs to know of the connection's side of a request. Implemented by
// the Session template for each stream type.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Any thread: hands the answer to request `seq` to the connection's strand.
  virtual void PostResponse(std::uint64_t seq, HttpResponse response) = 0;
  // Any thread: no new requests; close once the requests already read are answered.
  virtual void PostStop() = 0;
  // Any thread: close now.
  virtual void PostClose() = 0;
  // Only when no network thread runs: drop the self-reference kept for unanswered requests.
  virtual void Abandon() = 0;
};

// State shared by the listener, every connection and every Responder; owned by the server and
// destroyed after its io_context.
struct ServerShared {
  ServerShared(const ServerOptions& o, Handler& h) : options(o), handler(h) {}

  const ServerOptions options;
  Handler& handler;
  std::optional<boost::asio::ssl::context> tls;  // set when serving HTTPS
  std::shared_ptr<Gate> gate = std::make_shared<Gate>();
  ErrorLog log;

  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> connections{0};  // sessions alive
  std::atomic<std::size_t> in_flight{0};    // requests read whose response is not yet written

  // Live sessions, for Stop.
  void Register(const std::shared_ptr<SessionBase>& session);
  void Unregister(const SessionBase* session);
  std::vector<std::shared_ptr<SessionBase>> Sessions();

 private:
  std::mutex sessions_mu_;
  std::unordered_map<const SessionBase*, std::weak_ptr<SessionBase>> sessions_;
};

// {"infcode":-1,"err_msg":"<message>"} with `status`; `message` must need no JSON escaping.
HttpResponse ErrorResponse(int status, std::string_view message);

// The Responder for request `seq` of `session`: posts the answer to the connection's strand if
// the connection and the server (`gate`) still exist; answers 500 if never called; a second call
// is ignored.
Responder MakeResponder(std::weak_ptr<SessionBase> session, std::shared_ptr<Gate> gate,
                        std::uint64_t seq);

// Takes an accepted socket (whose executor is a fresh strand) and runs the connection until it
// closes. `connections` must already count it; the session's destructor uncounts it.
void StartSession(boost::asio::ip::tcp::socket socket, ServerShared& shared);

}  // namespace ingest::http_internal
