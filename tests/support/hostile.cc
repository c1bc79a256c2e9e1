#include "support/hostile.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string_view>
#include <vector>

#include "support/http_client.h"
#include "support/sales.h"

namespace testsupport {

namespace {

using namespace std::chrono_literals;

// A blocking TCP connection to 127.0.0.1:port with send/receive timeouts; -1 on failure.
int Connect(std::uint16_t port, std::chrono::milliseconds timeout = 5s) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Closes with a reset: no TIME_WAIT for the thousands of connections an attack opens.
void Abort(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// The status codes of every "HTTP/1.1 NNN" status line in `bytes` (responses carry JSON bodies,
// which never hold that text).
std::vector<int> Statuses(std::string_view bytes) {
  std::vector<int> out;
  constexpr std::string_view kLine = "HTTP/1.1 ";
  for (std::size_t at = bytes.find(kLine); at != std::string_view::npos;
       at = bytes.find(kLine, at + 1)) {
    if (at + kLine.size() + 3 > bytes.size()) break;
    out.push_back(std::atoi(std::string(bytes.substr(at + kLine.size(), 3)).c_str()));
  }
  return out;
}

std::string Head(std::string_view method, std::string_view target, const std::string& token,
                 const std::string& extra) {
  std::string h(method);
  h += " ";
  h += target;
  h += " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!token.empty()) h += "Authorization: Bearer " + token + "\r\n";
  return h + extra + "\r\n";
}

}  // namespace

const char* AttackName(Attack a) {
  switch (a) {
    case Attack::kNone:
      return "none";
    case Attack::kSlowHeaders:
      return "slow headers";
    case Attack::kSlowBodies:
      return "slow bodies";
    case Attack::kOversizedBodies:
      return "oversized bodies";
    case Attack::kIdleConnections:
      return "idle connections";
    case Attack::kPipelinedFlood:
      return "pipelined flood";
    case Attack::kWrongInstitution:
      return "other institution";
    case Attack::kReplayAltered:
      return "replayed/altered";
  }
  return "?";
}

Attacker::Attacker(Attack attack, AttackTarget target)
    : attack_(attack), target_(std::move(target)) {
  thread_ = std::thread([this] { Run(); });
}

Attacker::~Attacker() {
  Stop();
}

void Attacker::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

Attacker::Stats Attacker::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Attacker::Count(int status, bool wrong, const std::string& what) {
  std::lock_guard lock(mu_);
  ++stats_.answers[status];
  if (wrong) {
    ++stats_.wrong_answers;
    if (stats_.first_wrong.empty()) stats_.first_wrong = what;
  }
}

void Attacker::Run() {
  switch (attack_) {
    case Attack::kNone:
      return;
    case Attack::kSlowHeaders:
      return SlowClients(false);
    case Attack::kSlowBodies:
      return SlowClients(true);
    case Attack::kOversizedBodies:
      return Oversized();
    case Attack::kIdleConnections:
      return Idle();
    case Attack::kPipelinedFlood:
      return Flood();
    case Attack::kWrongInstitution:
      return WrongInstitution();
    case Attack::kReplayAltered:
      return ReplayAltered();
  }
}

// Many connections, each sending one byte every 100 ms: of a header line that never ends, or of
// a body far shorter than its Content-Length. The daemon's read timeout must cut them off; each
// is reopened at once.
void Attacker::SlowClients(bool body) {
  constexpr int kConnections = 200;
  const std::string head =
      body ? Head("POST", "/v1/upload", target_.token,
                  "Content-Type: application/json\r\nContent-Length: 100000\r\n")
           : "POST /v1/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  std::vector<int> fds;
  auto open_one = [&]() {
    const int fd = Connect(target_.port, 1s);
    if (fd < 0) return -1;
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    (void)SendAll(fd, head);  // fits in the socket buffer
    std::lock_guard lock(mu_);
    ++stats_.connections;
    ++stats_.requests;
    return fd;
  };
  for (int i = 0; i < kConnections && !stop_; ++i) fds.push_back(open_one());
  while (!stop_) {
    std::this_thread::sleep_for(100ms);
    for (int& fd : fds) {
      if (fd >= 0) {
        char buf[4096];
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        bool closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
        if (n > 0) {
          // An answer before the request was complete (408 or similar), then a close.
          for (int s : Statuses(std::string_view(buf, static_cast<std::size_t>(n)))) {
            Count(s, s < 400, "slow client answered " + std::to_string(s));
          }
          closed = true;
        }
        const char byte = body ? ' ' : 'a';
        if (!closed && ::send(fd, &byte, 1, MSG_NOSIGNAL) < 0 && errno != EAGAIN) closed = true;
        if (!closed) continue;
        {
          std::lock_guard lock(mu_);
          ++stats_.cut_off;
        }
        Abort(fd);
      }
      fd = open_one();
    }
  }
  for (int fd : fds) {
    if (fd >= 0) Abort(fd);
  }
}

// Uploads far beyond the body limit, alternately declared (Content-Length) and chunked, sent as
// fast as the daemon takes them: each must end in 413 (or a close), never in a recorded row.
void Attacker::Oversized() {
  const std::string block(64 << 10, 'x');
  std::string chunk = "10000\r\n" + block + "\r\n";
  constexpr std::size_t kTotal = 64u << 20;
  for (std::uint64_t i = 0; !stop_; ++i) {
    const bool chunked = i % 2 == 1;
    const int fd = Connect(target_.port);
    if (fd < 0) {
      std::this_thread::sleep_for(10ms);
      continue;
    }
    {
      std::lock_guard lock(mu_);
      ++stats_.connections;
      ++stats_.requests;
    }
    const std::string head = Head(
        "POST", "/v1/upload", target_.token,
        chunked ? "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                : "Content-Type: application/json\r\nContent-Length: " + std::to_string(kTotal) +
                      "\r\n");
    bool sent = SendAll(fd, head);
    for (std::size_t done = 0; sent && done < kTotal && !stop_; done += block.size()) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 0) > 0) break;  // answered (413) before the end: stop sending
      sent = SendAll(fd, chunked ? std::string_view(chunk) : std::string_view(block));
    }
    std::string got;
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) {
      got.append(buf, static_cast<std::size_t>(n));
      if (got.find("\r\n\r\n") != std::string::npos) break;
    }
    const auto statuses = Statuses(got);
    if (statuses.empty()) {
      std::lock_guard lock(mu_);
      ++stats_.cut_off;
    }
    for (int s : statuses) Count(s, s < 400, "oversized body answered " + std::to_string(s));
    Abort(fd);
  }
}

// Thousands of connections that never send a byte, reopened whenever the daemon closes one.
void Attacker::Idle() {
  constexpr int kConnections = 2000;
  std::vector<pollfd> fds;
  while (!stop_ && fds.size() < kConnections) {
    const int fd = Connect(target_.port, 1s);
    if (fd < 0) break;
    fds.push_back({fd, POLLIN, 0});
    std::lock_guard lock(mu_);
    ++stats_.connections;
  }
  while (!stop_) {
    if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
    for (auto& p : fds) {
      if (p.revents == 0) continue;
      Abort(p.fd);
      {
        std::lock_guard lock(mu_);
        ++stats_.cut_off;
        ++stats_.connections;
      }
      p.fd = Connect(target_.port, 1s);
      p.revents = 0;
      if (p.fd < 0) p.fd = -1;  // poll ignores negative descriptors
    }
  }
  for (const auto& p : fds) {
    if (p.fd >= 0) Abort(p.fd);
  }
}

// Four connections, each sending 64 requests at once before reading any answer: health checks,
// uploads that are not JSON, uploads without a token. Every request must be answered.
void Attacker::Flood() {
  constexpr int kConnections = 4;
  constexpr int kBatch = 64;
  std::string batch;
  for (int i = 0; i < kBatch; ++i) {
    switch (i % 3) {
      case 0:
        batch += Head("GET", "/healthz", "", "");
        break;
      case 1:
        batch += Head("POST", "/v1/upload", target_.token,
                      "Content-Type: application/json\r\nContent-Length: 9\r\n") +
                 "{\"infno\":";
        break;
      case 2:
        batch += Head("POST", "/v1/upload", "",
                      "Content-Type: application/json\r\nContent-Length: 2\r\n") +
                 "{}";
        break;
    }
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < kConnections; ++t) {
    threads.emplace_back([this, &batch] {
      int fd = -1;
      while (!stop_) {
        if (fd < 0) {
          fd = Connect(target_.port, 10s);
          if (fd < 0) {
            std::this_thread::sleep_for(10ms);
            continue;
          }
          std::lock_guard lock(mu_);
          ++stats_.connections;
        }
        {
          std::lock_guard lock(mu_);
          stats_.requests += kBatch;
        }
        bool ok = SendAll(fd, batch);
        std::string got;
        std::size_t answered = 0;
        char buf[65536];
        while (ok && answered < kBatch) {
          const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
          if (n <= 0) {
            ok = false;
            break;
          }
          got.append(buf, static_cast<std::size_t>(n));
          answered = Statuses(got).size();
        }
        const auto statuses = Statuses(got);
        for (int s : statuses) Count(s, s == 200 ? false : s != 400 && s != 401);
        if (statuses.size() < kBatch) {
          Count(0, true, "pipelined batch: " + std::to_string(statuses.size()) + " of 64 answered");
          Abort(fd);
          fd = -1;
        }
      }
      if (fd >= 0) Abort(fd);
    });
  }
  for (auto& t : threads) t.join();
}

// Sales of another institution under this institution's terminal token: always 403.
void Attacker::WrongInstitution() {
  HttpClient c("127.0.0.1", target_.port, 10s);
  while (!stop_) {
    const auto m = FreshSale(1, target_.other);
    const auto r = c.Post("/v1/upload", m.dump(), Bearer(target_.token));
    {
      std::lock_guard lock(mu_);
      ++stats_.requests;
    }
    Count(r.status, r.status != 403,
          "other institution's sale answered " + std::to_string(r.status) + ": " + r.body);
    if (!r.ok()) c.Close();
  }
}

// A recorded message resent as it is (200, the stored answer, nothing recorded again) and altered
// under the same msgid (409, nothing recorded).
void Attacker::ReplayAltered() {
  HttpClient c("127.0.0.1", target_.port, 10s);
  for (std::uint64_t i = 0; !stop_; ++i) {
    nlohmann::json m = target_.recorded;
    const bool altered = i % 2 == 1;
    if (altered) {
      auto& row = m["input"]["selinfo"][0];
      row["fixmedins_bchno"] = UniqueId("ALTERED-");
      row["finl_trns_pric"] = "0.01";
    }
    const auto r = c.Post("/v1/upload", m.dump(), Bearer(target_.token));
    {
      std::lock_guard lock(mu_);
      ++stats_.requests;
    }
    const bool right =
        altered ? r.status == 409 : r.status == 200 && r.body == target_.recorded_answer;
    Count(r.status, !right,
          std::string(altered ? "altered" : "replayed") + " message answered " +
              std::to_string(r.status) + ": " + r.body);
    if (!r.ok()) c.Close();
  }
}

}  // namespace testsupport
