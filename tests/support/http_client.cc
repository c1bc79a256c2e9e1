#include "support/http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace testsupport {

namespace {

using Clock = std::chrono::steady_clock;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

int RemainingMs(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

// Waits for `events` on `fd` until `deadline`; false on timeout.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, RemainingMs(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

// Reads the whole response out of `fd` + `buffer`; what follows it stays in `buffer`.
class ResponseReader {
 public:
  ResponseReader(int fd, std::string& buffer, Clock::time_point deadline)
      : fd_(fd), buf_(buffer), deadline_(deadline) {}

  // Appends at least one byte to the buffer; false on EOF/error/timeout (`error_` says which).
  bool Fill() {
    char chunk[65536];
    while (true) {
      if (!WaitFor(fd_, POLLIN, deadline_)) {
        error_ = "timed out waiting for the response";
        return false;
      }
      const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
      if (n > 0) {
        buf_.append(chunk, static_cast<std::size_t>(n));
        return true;
      }
      if (n == 0) {
        eof_ = true;
        error_ = "connection closed by the server";
        return false;
      }
      if (errno == EINTR || errno == EAGAIN) continue;
      error_ = std::string("recv: ") + std::strerror(errno);
      return false;
    }
  }

  // A CRLF-terminated line (without the CRLF) from the front of the buffer.
  bool Line(std::string& out) {
    while (true) {
      const auto p = buf_.find("\r\n");
      if (p != std::string::npos) {
        out = buf_.substr(0, p);
        buf_.erase(0, p + 2);
        return true;
      }
      if (buf_.size() > (1u << 20)) {
        error_ = "response line too long";
        return false;
      }
      if (!Fill()) return false;
    }
  }

  bool Bytes(std::size_t n, std::string& out) {
    while (buf_.size() < n) {
      if (!Fill()) return false;
    }
    out.append(buf_, 0, n);
    buf_.erase(0, n);
    return true;
  }

  bool UntilEof(std::string& out) {
    while (Fill()) {
    }
    if (!eof_) return false;
    out += buf_;
    buf_.clear();
    error_.clear();
    return true;
  }

  bool Chunked(std::string& out) {
    while (true) {
      std::string line;
      if (!Line(line)) return false;
      const std::size_t size = std::strtoull(line.c_str(), nullptr, 16);
      if (size == 0) {
        // Trailers until an empty line.
        do {
          if (!Line(line)) return false;
        } while (!line.empty());
        return true;
      }
      if (!Bytes(size, out)) return false;
      if (!Line(line) || !line.empty()) {
        if (error_.empty()) error_ = "malformed chunk";
        return false;
      }
    }
  }

  const std::string& error() const { return error_; }
  bool eof() const { return eof_; }

 private:
  int fd_;
  std::string& buf_;
  Clock::time_point deadline_;
  std::string error_;
  bool eof_ = false;
};

}  // namespace

std::optional<std::string> HttpResult::Header(std::string_view name) const {
  const std::string n = Lower(name);
  for (const auto& [k, v] : headers) {
    if (k == n) return v;
  }
  return std::nullopt;
}

HttpHeaders Bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

HttpClient::HttpClient(std::string host, std::uint16_t port, std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), timeout_(timeout) {}

HttpClient::~HttpClient() {
  Close();
}

HttpClient::HttpClient(HttpClient&& other) noexcept
    : host_(std::move(other.host_)),
      port_(other.port_),
      timeout_(other.timeout_),
      fd_(other.fd_),
      connections_opened_(other.connections_opened_),
      buffer_(std::move(other.buffer_)) {
  other.fd_ = -1;
}

HttpClient& HttpClient::operator=(HttpClient&& other) noexcept {
  if (this != &other) {
    Close();
    host_ = std::move(other.host_);
    port_ = other.port_;
    timeout_ = other.timeout_;
    fd_ = other.fd_;
    connections_opened_ = other.connections_opened_;
    buffer_ = std::move(other.buffer_);
    other.fd_ = -1;
  }
  return *this;
}

void HttpClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

bool HttpClient::EnsureConnected(std::string& error) {
  if (fd_ >= 0) {
    // A kept-alive connection the server has closed (idle timeout, drain) reads as EOF: only
    // then is it safe to reconnect, since nothing of this request was sent yet.
    // Unsolicited bytes leave the connection in an unknown state: start afresh too.
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 0) > 0 || !buffer_.empty()) Close();
  }
  if (fd_ >= 0) return true;
  buffer_.clear();

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(port_);
  if (const int rc = getaddrinfo(host_.c_str(), port.c_str(), &hints, &res); rc != 0) {
    error = std::string("resolve ") + host_ + ": " + gai_strerror(rc);
    return false;
  }
  const auto deadline = Clock::now() + timeout_;
  error = "no address for " + host_;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    const int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      error = std::string("socket: ") + std::strerror(errno);
      continue;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc < 0 && errno == EINPROGRESS) {
      if (!WaitFor(fd, POLLOUT, deadline)) {
        error = "connect to " + host_ + ":" + port + " timed out";
        ::close(fd);
        continue;
      }
      int so_error = 0;
      socklen_t len = sizeof so_error;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
      if (so_error != 0) {
        errno = so_error;
        rc = -1;
      } else {
        rc = 0;
      }
    }
    if (rc < 0) {
      error = "connect to " + host_ + ":" + port + ": " + std::strerror(errno);
      ::close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fd_ = fd;
    ++connections_opened_;
    break;
  }
  freeaddrinfo(res);
  if (fd_ < 0) return false;
  error.clear();
  return true;
}

HttpResult HttpClient::Request(std::string_view method, std::string_view target,
                               std::string_view body, const HttpHeaders& headers) {
  std::string req;
  req.reserve(256 + body.size());
  req.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  req.append("Host: ").append(host_).append(":").append(std::to_string(port_)).append("\r\n");
  bool has_type = false;
  for (const auto& [k, v] : headers) {
    if (Lower(k) == "content-type") has_type = true;
    req.append(k).append(": ").append(v).append("\r\n");
  }
  if (!body.empty() || method == "POST" || method == "PUT") {
    if (!has_type) req.append("Content-Type: application/json\r\n");
    req.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  req.append("\r\n");
  req.append(body);
  return Exchange(req, method == "HEAD");
}

HttpResult HttpClient::Raw(std::string_view raw) {
  return Exchange(raw, false);
}

HttpResult HttpClient::Exchange(std::string_view bytes, bool head_request) {
  HttpResult r;
  if (!EnsureConnected(r.error)) return r;
  const auto deadline = Clock::now() + timeout_;

  // Send everything; a server that answers early (413) and closes may make this fail part-way, so
  // a send error still reads whatever response arrived.
  std::size_t sent = 0;
  std::string send_error;
  while (sent < bytes.size()) {
    if (!WaitFor(fd_, POLLOUT, deadline)) {
      send_error = "timed out sending the request";
      break;
    }
    const ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    send_error = std::string("send: ") + std::strerror(errno);
    break;
  }

  ResponseReader in(fd_, buffer_, deadline);
  std::string line;
  if (!in.Line(line)) {
    r.error = send_error.empty() ? in.error() : send_error + "; " + in.error();
    Close();
    return r;
  }
  // "HTTP/1.1 200 OK"
  const auto sp1 = line.find(' ');
  if (line.rfind("HTTP/1.", 0) != 0 || sp1 == std::string::npos) {
    r.error = "malformed status line: " + line;
    Close();
    return r;
  }
  const bool http10 = line.rfind("HTTP/1.0", 0) == 0;
  const auto sp2 = line.find(' ', sp1 + 1);
  r.status = std::atoi(line.substr(sp1 + 1, sp2 - sp1 - 1).c_str());
  r.reason = sp2 == std::string::npos ? "" : line.substr(sp2 + 1);
  while (true) {
    if (!in.Line(line)) {
      r.error = in.error();
      r.status = 0;
      Close();
      return r;
    }
    if (line.empty()) break;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    r.headers.emplace_back(Lower(line.substr(0, colon)), Trim(line.substr(colon + 1)));
  }

  bool keep_alive = !http10;
  if (auto c = r.Header("connection")) {
    const std::string v = Lower(*c);
    if (v.find("close") != std::string::npos) keep_alive = false;
    if (v.find("keep-alive") != std::string::npos) keep_alive = true;
  }
  const bool no_body = head_request || (r.status >= 100 && r.status < 200) || r.status == 204 ||
                       r.status == 304;
  bool body_ok = true;
  if (!no_body) {
    const auto te = r.Header("transfer-encoding");
    const auto cl = r.Header("content-length");
    if (te && Lower(*te).find("chunked") != std::string::npos) {
      body_ok = in.Chunked(r.body);
    } else if (cl) {
      body_ok = in.Bytes(std::strtoull(cl->c_str(), nullptr, 10), r.body);
    } else {
      body_ok = in.UntilEof(r.body);
      keep_alive = false;
    }
  }
  if (!body_ok) {
    r.error = "incomplete body: " + in.error();
    r.status = 0;
    Close();
    return r;
  }
  if (!keep_alive || !send_error.empty()) Close();
  return r;
}

}  // namespace testsupport
