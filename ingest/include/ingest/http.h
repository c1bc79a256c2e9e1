// The daemon's HTTP layer (Boost.Beast): connections, limits, timeouts, pipelining and TLS. It
// knows nothing of drugtrace: every complete request goes to a Handler, which answers through a
// Responder, possibly later and from another thread (the ledger writer answers after its commit).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ingest {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as sent: "/v1/codes/8612.../history?x=1"
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote;  // "127.0.0.1:53412"

  // First header with this (lower-case) name, or nullopt.
  std::optional<std::string> Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. Retry-After
};

// Called exactly once per request, from any thread.
using Responder = std::function<void(HttpResponse)>;

class Handler {
 public:
  virtual ~Handler() = default;
  virtual void Handle(HttpRequest request, Responder respond) = 0;
};

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;               // 0: pick a free port (see HttpServer::port())
  int threads = 2;                      // network threads; they never touch SQLite
  std::size_t body_limit = 4 << 20;     // 413 beyond this
  std::size_t header_limit = 16 << 10;  // 431 beyond this
  std::chrono::milliseconds read_timeout{
      10000};  // whole request from its first byte; TLS handshake
  std::chrono::milliseconds idle_timeout{60000};   // keep-alive connection with no request
  std::chrono::milliseconds write_timeout{30000};  // one response, to a client that reads slowly
  std::size_t max_pipelined = 16;       // requests read ahead of their responses, per connection
  std::size_t max_connections = 10000;  // beyond this, new connections are closed at once
  // TLS: both set to serve HTTPS.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Responses get these headers too (security headers for the console, server name, ...).
  std::vector<std::pair<std::string, std::string>> default_headers;
};

class HttpServer {
 public:
  // Binds and listens; errors (port in use, bad TLS files) as a message.
  static std::unique_ptr<HttpServer> Create(const ServerOptions& options, Handler& handler,
                                            std::string& error);
  virtual ~HttpServer() = default;
  virtual std::uint16_t port() const = 0;
  // Runs the network threads; returns at once.
  virtual void Start() = 0;
  // Stops accepting, lets requests already read finish and be answered (up to `grace`), then
  // closes every connection and joins the threads.
  virtual void Stop(std::chrono::milliseconds grace) = 0;
};

}  // namespace ingest
