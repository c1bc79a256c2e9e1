// A small blocking HTTP/1.1 client over POSIX sockets, for tests that talk to the real daemon:
// keep-alive, Content-Length and chunked bodies, a deadline on every request. No Boost.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace testsupport {

struct HttpResult {
  int status = 0;      // 0: no response (see `error`)
  std::string error;   // transport failure: refused, reset, timeout, malformed response
  std::string reason;  // "OK", "Not Found", ...
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  bool ok() const { return status != 0; }
  // First header with this name (any case), or nullopt.
  std::optional<std::string> Header(std::string_view name) const;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

class HttpClient {
 public:
  HttpClient(std::string host, std::uint16_t port,
             std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~HttpClient();
  HttpClient(HttpClient&& other) noexcept;
  HttpClient& operator=(HttpClient&& other) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One request on the kept-alive connection (connecting first when there is none, or when the
  // server closed the idle one). A request is never re-sent after a failure: the caller decides.
  HttpResult Request(std::string_view method, std::string_view target, std::string_view body = {},
                     const HttpHeaders& headers = {});
  HttpResult Get(std::string_view target, const HttpHeaders& headers = {}) {
    return Request("GET", target, {}, headers);
  }
  HttpResult Post(std::string_view target, std::string_view body, const HttpHeaders& headers = {}) {
    return Request("POST", target, body, headers);
  }
  // Sends `raw` bytes as they are (a hand-made request) and reads one response.
  HttpResult Raw(std::string_view raw);

  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }
  bool connected() const { return fd_ >= 0; }
  // Number of TCP connections opened so far (to check keep-alive).
  int connections_opened() const { return connections_opened_; }
  void Close();

 private:
  bool EnsureConnected(std::string& error);
  HttpResult Exchange(std::string_view request_bytes, bool head_request);

  std::string host_;
  std::uint16_t port_ = 0;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  int connections_opened_ = 0;
  std::string buffer_;  // bytes read past the previous response
};

// "Authorization: Bearer <token>" as a header list.
HttpHeaders Bearer(const std::string& token);

}  // namespace testsupport
