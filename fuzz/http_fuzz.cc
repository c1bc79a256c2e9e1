// Raw bytes from a terminal, through the real request path: the whole daemon (ingest::Daemon:
// Beast sessions, routes, tokens, admission, the writer thread and SQLite) runs in this process
// on a loopback port with a fresh ledger holding the example reference data and one terminal
// token of P13080200001. Each input is sent on a new connection, which is then half-closed; the
// daemon must answer with well-formed HTTP and close it. "@TOKEN@" in an input is replaced by
// the token's secret, so seeds (and their mutations) get past authentication.
//
// One input's outcome depends on its bytes only, never on the clock:
// - the daemon's read, idle and write timeouts are far longer than any input takes, so no timer
//   of the daemon ever closes a connection here (the half-close is what ends every request;
//   a daemon that failed to close on it would be caught below, not hidden by a timer);
// - the harness waits in short poll slices and counts each slice as at most kSlice, however long
//   it really took, so "no close within kPatience" means kPatience of the process running, not of
//   the wall clock. A fuzzer paused with SIGSTOP (the lead's benchmarks pause every niced
//   process for minutes) or starved of CPU by other work is not mistaken for a daemon that hangs.
//   This check replaces libFuzzer's -timeout for this target (scripts/fuzz.sh passes
//   -timeout=0 for it): libFuzzer's alarm measures wall-clock time.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include "ingest/daemon.h"
#include "ingest/json.h"
#include "ingest/processor.h"
#include "ingest/tokens.h"
#include "ledger/ledger.h"

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "http_fuzz: %s\n", what.c_str());
  std::abort();
}

std::string g_dir;

struct Setup {
  std::uint16_t port = 0;
  std::string token;
};

Setup Prepare() {
  char tmpl[] = "/dev/shm/drugtrace-fuzz-http-XXXXXX";
  char tmpl2[] = "/tmp/drugtrace-fuzz-http-XXXXXX";
  const char* dir = ::mkdtemp(tmpl);
  if (dir == nullptr) dir = ::mkdtemp(tmpl2);
  if (dir == nullptr) Die("cannot create a temporary directory");
  g_dir = dir;
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(g_dir, ec);
  });
  const std::string db = g_dir + "/ledger.db";
  Setup s;
  {
    auto l = ledger::Ledger::Init(db, {"fuzz.drugtrace/http"});
    if (!l.ok()) Die(l.status().ToString());
    auto p = ingest::Processor::Open(**l, db);
    if (!p.ok()) Die(p.status().ToString());
    std::FILE* f = std::fopen(DRUGTRACE_SOURCE_DIR "/schemas/examples/refdata.example.json", "rb");
    if (f == nullptr) Die("cannot read the example reference data");
    std::string text;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
    std::fclose(f);
    std::string error;
    auto doc = ingest::ParseJson(text, error, {.max_depth = 32});
    if (!doc) Die("example reference data: " + error);
    if (auto r = (*p)->ImportRefData(*doc, 1); !r.ok()) Die(r.status().ToString());
    auto t = ingest::CreateToken((*p)->store(), **l, ingest::Role::kTerminal, "P13080200001", "",
                                 "fuzz", 1);
    if (!t.ok()) Die(t.status().ToString());
    s.token = t->secret;
  }
  ingest::DaemonOptions o;
  o.db_path = db;
  o.http.port = 0;
  o.http.threads = 1;
  o.http.body_limit = 64 << 10;
  o.http.header_limit = 4 << 10;
  // No timer of the daemon may end a connection here (see the file comment).
  o.http.read_timeout = std::chrono::hours(1);
  o.http.idle_timeout = std::chrono::hours(1);
  o.http.write_timeout = std::chrono::hours(1);
  o.http.max_pipelined = 4;
  o.queue_capacity = 64;
  o.checkpoint_interval = std::chrono::milliseconds(0);
  std::string error;
  // Never stopped or destroyed: the process ends when fuzzing does.
  static ingest::Daemon* daemon = ingest::Daemon::Start(o, error).release();
  if (daemon == nullptr) Die("daemon did not start: " + error);
  s.port = daemon->port();
  return s;
}

std::string Substitute(std::string_view in, const std::string& token) {
  std::string out;
  out.reserve(in.size() + token.size());
  constexpr std::string_view kMark = "@TOKEN@";
  std::size_t pos = 0;
  while (true) {
    const std::size_t at = in.find(kMark, pos);
    out.append(in.substr(pos, at == std::string_view::npos ? in.size() - pos : at - pos));
    if (at == std::string_view::npos) return out;
    out += token;
    pos = at + kMark.size();
  }
}

// Patience for one input, counted in time the process ran (see the file comment).
constexpr std::chrono::milliseconds kSlice{50};
constexpr std::chrono::milliseconds kPatience{20000};

// Waits in slices of at most kSlice until `fd` is ready for `events` or `budget` is spent; a
// slice counts as at most kSlice however long the process was paused or starved meanwhile.
// Returns the revents (0: the budget is spent).
short WaitFor(int fd, short events, std::chrono::milliseconds& budget) {
  while (budget.count() > 0) {
    const auto start = Clock::now();
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(kSlice.count()));
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    budget -= std::clamp(took, std::chrono::milliseconds(1), kSlice);
    if (n > 0) return p.revents;
    if (n < 0 && errno != EINTR) Die(std::string("poll failed: ") + std::strerror(errno));
  }
  return 0;
}

// Sends `request`, half-closes, and returns everything the daemon writes until it closes.
std::string Exchange(std::uint16_t port, const std::string& request) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::chrono::milliseconds budget = kPatience;
  // A failed connect is retried (in slices of the same patience): other programs on the machine
  // can exhaust loopback ports for a moment. The listener's backlog accepts the connection even
  // while the daemon's threads are not running.
  int fd = -1;
  while (true) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) Die(std::string("socket failed: ") + std::strerror(errno));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) break;
    const int err = errno;
    ::close(fd);
    if (budget.count() <= 0) Die(std::string("connect failed: ") + std::strerror(err));
    ::usleep(static_cast<useconds_t>(kSlice.count()) * 1000);
    budget -= kSlice;
  }
  // Non-blocking from here on, so that no call can outwait the patience.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  std::string out;
  char buf[8192];
  // Answers are read while sending, so that a daemon that stops reading until its answers are
  // taken (max_pipelined) cannot deadlock with the harness.
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) break;  // refused
    const short ready = WaitFor(fd, POLLIN | POLLOUT, budget);
    if (ready == 0) {
      Die("the daemon took no more of the request for " + std::to_string(kPatience.count()) +
          " ms of running time");
    }
    if (ready & POLLIN) {
      const ssize_t got = ::recv(fd, buf, sizeof buf, 0);
      if (got > 0) out.append(buf, static_cast<std::size_t>(got));
    }
  }
  ::shutdown(fd, SHUT_WR);
  while (true) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) break;                                                     // closed
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) break;  // reset after answer
    if (WaitFor(fd, POLLIN, budget) == 0) {
      Die("the daemon neither answered nor closed within " + std::to_string(kPatience.count()) +
          " ms of running time (" + std::to_string(out.size()) + " bytes answered)");
    }
  }
  // Close with a reset: no TIME_WAIT, so millions of connections do not exhaust the ports.
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Setup setup = Prepare();
  const std::string request =
      Substitute(std::string_view(reinterpret_cast<const char*>(data), size), setup.token);
  const std::string response = Exchange(setup.port, request);
  // Whatever came back is HTTP: the status line of the first answer (100 Continue included).
  if (!response.empty() && response.rfind("HTTP/1.", 0) != 0) {
    Die("response does not start with a status line: " + response.substr(0, 80));
  }
  return 0;
}
