// Ingest load benchmark (issue #4's figures).
//
//   build/bench/ingest_bench [--db PATH] [--prefill N] [--seconds S] [--warmup S] [--rate
//   CODES_PER_S]
//                            [--connections C] [--institutions I] [--skip-baseline]
//
// 1. Prefill: brings the ledger to N entries (default 10M) through the same Processor the daemon
//    uses, in process, printing rows/s and code events/s per million entries (skipped if the ledger
//    already holds N).
// 2. Load: starts the real `drugtrace serve` and drives it over HTTP on loopback at a fixed rate of
//    code events (open loop: latency counts from each request's scheduled time, so a stall cannot
//    hide), for S seconds; prints achieved code events/s, latency percentiles and the daemon's peak
//    RSS.
// 3. Baseline: raw SQLite inserts (text index, batches of 1000, synchronous=FULL) in the same run.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "ingest/json.h"
#include "ingest/processor.h"
#include "ingest/tokens.h"
#include "ledger/ledger.h"
#include "raw_sqlite.h"
#include "workload.h"

namespace {

using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Args {
  std::string db = "/tmp/drugtrace-ingest-bench/ledger.db";
  std::uint64_t prefill = 10000000;
  int seconds = 60;
  int warmup = 0;       // seconds of load before the measured window
  double rate = 32000;  // code events per second
  int connections = 48;
  int institutions = 200;
  bool baseline = true;
};

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int Prefill(const Args& a) {
  std::filesystem::create_directories(std::filesystem::path(a.db).parent_path());
  if (!std::filesystem::exists(a.db)) {
    auto l = ledger::Ledger::Init(a.db, {"bench.drugtrace/ingest"});
    if (!l.ok()) return std::fprintf(stderr, "init: %s\n", l.status().ToString().c_str()), 1;
  }
  auto l = ledger::Ledger::Open(a.db);
  if (!l.ok()) return std::fprintf(stderr, "open: %s\n", l.status().ToString().c_str()), 1;
  auto p = ingest::Processor::Open(**l, a.db);
  if (!p.ok()) return std::fprintf(stderr, "processor: %s\n", p.status().ToString().c_str()), 1;
  if ((*p)->refdata().institution_count() == 0) {
    std::string err;
    auto doc = ingest::ParseJson(bench::RefDataJson(a.institutions), err, {.max_depth = 32});
    auto r = (*p)->ImportRefData(*doc, NowMs());
    if (!r.ok()) return std::fprintf(stderr, "refdata: %s\n", r.status().ToString().c_str()), 1;
  }
  if ((*l)->size() >= a.prefill) {
    std::printf("prefill: ledger already holds %llu entries\n",
                static_cast<unsigned long long>((*l)->size()));
    return 0;
  }
  std::vector<bench::Terminal> terms;
  const std::string tag = "F" + std::to_string((*l)->size()) + "-";
  for (int i = 0; i < a.institutions; ++i) {
    terms.emplace_back(i, 1000 + i + (*l)->size(), ((*l)->size() + 1) * 1000 + i * 5000000000ull,
                       tag);
  }
  std::vector<ingest::Submission> batch;
  auto t0 = Clock::now(), tick = t0;
  std::uint64_t start = (*l)->size(), codes = 0, tick_codes = 0, tick_size = start;
  std::size_t next_term = 0;
  double admit_s = 0, process_s = 0;
  while ((*l)->size() < a.prefill) {
    batch.clear();
    const auto ta = Clock::now();
    for (int k = 0; k < 1000; ++k) {
      auto& t = terms[next_term++ % terms.size()];
      ingest::Submission s;
      ingest::Outcome rej;
      if (!(*p)->Admit(t.Next(), NowMs(), s, rej)) {
        return std::fprintf(stderr, "admit: %s\n", rej.body.c_str()), 1;
      }
      codes += t.codes_in_last();
      batch.push_back(std::move(s));
    }
    admit_s += Since(ta);
    const auto tp = Clock::now();
    auto out = (*p)->ProcessBatch(batch);
    process_s += Since(tp);
    if (out[0].http_status != 200)
      return std::fprintf(stderr, "batch: %s\n", out[0].body.c_str()), 1;
    if ((*l)->size() / 1000000 != tick_size / 1000000 || (*l)->size() >= a.prefill) {
      const double s = Since(tick);
      std::printf("prefill: %9llu entries, last interval %.0f rows/s, %.0f code events/s\n",
                  static_cast<unsigned long long>((*l)->size()), ((*l)->size() - tick_size) / s,
                  (codes - tick_codes) / s);
      std::fflush(stdout);
      tick = Clock::now();
      tick_size = (*l)->size();
      tick_codes = codes;
    }
  }
  std::printf("prefill: admit (parse, schema, decode) %.1f s, judge and record %.1f s\n", admit_s,
              process_s);
  std::printf("prefill: %llu rows, %llu code events in %.1f s (%.0f code events/s)\n",
              static_cast<unsigned long long>((*l)->size() - start),
              static_cast<unsigned long long>(codes), Since(t0), codes / Since(t0));
  return 0;
}

// A minimal blocking HTTP/1.1 keep-alive client for loopback.
class Conn {
 public:
  explicit Conn(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) fd_ = -1;
    int one = 1;
    if (fd_ >= 0) setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Conn() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  // Returns the HTTP status, or -1 on a connection error.
  int Post(const std::string& token, const std::string& body) {
    std::string req =
        "POST /v1/upload HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + token +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n" + body;
    for (std::size_t off = 0; off < req.size();) {
      ssize_t n = ::send(fd_, req.data() + off, req.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return -1;
      off += static_cast<std::size_t>(n);
    }
    buf_.clear();
    std::size_t header_end = std::string::npos, need = 0;
    char tmp[16384];
    while (true) {
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) return -1;
      buf_.append(tmp, static_cast<std::size_t>(n));
      if (header_end == std::string::npos) {
        header_end = buf_.find("\r\n\r\n");
        if (header_end == std::string::npos) continue;
        auto cl = buf_.find("Content-Length: ");
        if (cl == std::string::npos) cl = buf_.find("content-length: ");
        need = header_end + 4 + (cl == std::string::npos ? 0 : std::stoul(buf_.substr(cl + 16)));
      }
      if (buf_.size() >= need) break;
    }
    return std::atoi(buf_.c_str() + 9);
  }

 private:
  int fd_ = -1;
  std::string buf_;
};

long PeakRssKb(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

int Load(const Args& a) {
  // Tokens for every institution, created before the daemon starts.
  std::vector<std::string> tokens;
  {
    auto l = ledger::Ledger::Open(a.db);
    if (!l.ok()) return 1;
    auto p = ingest::Processor::Open(**l, a.db);
    if (!p.ok()) return 1;
    for (int i = 0; i < a.institutions; ++i) {
      auto t = ingest::CreateToken((*p)->store(), **l, ingest::Role::kTerminal,
                                   bench::Institution(i), "", "bench", NowMs());
      if (!t.ok()) return std::fprintf(stderr, "token: %s\n", t.status().ToString().c_str()), 1;
      tokens.push_back(t->secret);
    }
  }
  const std::string port_file = a.db + ".port";
  std::filesystem::remove(port_file);
  pid_t pid = fork();
  if (pid == 0) {
    execl(DRUGTRACE_BINARY, DRUGTRACE_BINARY, "serve", "--db", a.db.c_str(), "--listen",
          "127.0.0.1:0", "--port-file", port_file.c_str(), "--slow-commit-ms", "40", nullptr);
    _exit(127);
  }
  // Start-up loads the in-memory heads: a minute or more at tens of millions of entries.
  int port = 0;
  const auto launched = Clock::now();
  while (port == 0 && Since(launched) < 900) {
    std::ifstream f(port_file);
    if (!(f >> port)) port = 0;
    if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (port == 0 && waitpid(pid, nullptr, WNOHANG) == pid) break;
  }
  if (port == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return std::fprintf(stderr, "daemon did not start\n"), 1;
  }
  std::printf("load: daemon ready after %.1f s\n", Since(launched));

  const double msgs_per_s = a.rate / 6.0;  // 3 rows x 2 codes on average
  const double interval = a.connections / msgs_per_s;
  std::atomic<std::uint64_t> codes{0}, ok{0}, errors{0};
  std::mutex mu;
  std::vector<double> latencies;
  std::vector<std::pair<double, double>> timeline;  // (scheduled offset s, latency s)
  const auto start = Clock::now() + std::chrono::milliseconds(200);
  // A warm-up runs the same load first; only the window after it is measured (figures below),
  // while the per-window lines show both.
  const auto measured_from = start + std::chrono::seconds(a.warmup);
  const auto end = measured_from + std::chrono::seconds(a.seconds);
  std::vector<std::thread> threads;
  const std::string tag = "L" + std::to_string(NowMs()) + "-";
  // Fresh codes every run: a run that re-used an earlier run's codes would turn every receipt into
  // ALREADY_IN_STOCK and every sale into a reuse, a workload of verbose warn/block rows no real
  // region has. Codes end in the terminal's number, so each terminal owns the whole serial space;
  // runs take 100,000-serial blocks in [5e8, 9e8), away from the prefill's low serials.
  const std::uint64_t run_base = 500000000ull + (NowMs() / 1000 % 4000) * 100000ull;
  for (int c = 0; c < a.connections; ++c) {
    threads.emplace_back([&, c] {
      std::vector<bench::Terminal> terms;
      std::vector<int> inst;
      for (int i = c; i < a.institutions; i += a.connections) {
        terms.emplace_back(i, NowMs() + i, run_base, tag);
        inst.push_back(i);
      }
      if (terms.empty()) return;
      Conn conn(port);
      std::vector<double> mine;
      std::vector<std::pair<double, double>> mine_timed;
      auto next = start + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(interval * c / a.connections));
      std::size_t k = 0;
      while (next < end) {
        std::this_thread::sleep_until(next);
        auto& t = terms[k % terms.size()];
        const std::string body = t.Next();
        const int status = conn.Post(tokens[inst[k % terms.size()]], body);
        const double lat = std::chrono::duration<double>(Clock::now() - next).count();
        ++k;
        if (status == 200) {
          mine_timed.emplace_back(std::chrono::duration<double>(next - start).count(), lat);
        }
        if (status == 200 && next >= measured_from) {
          ok++;
          codes += t.codes_in_last();
          mine.push_back(lat);
        } else {
          if (next >= measured_from) errors++;  // a warm-up's 503s are not the measurement's
          if (status < 0) break;
        }
        next +=
            std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval));
      }
      std::lock_guard lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
      timeline.insert(timeline.end(), mine_timed.begin(), mine_timed.end());
    });
  }
  // The WAL's size over the run: a log that only grows means checkpoints never let it restart.
  std::vector<std::uintmax_t> wal_sizes;
  std::thread wal_sampler([&] {
    for (auto t = start; t < end; t += std::chrono::seconds(1)) {
      std::this_thread::sleep_until(t);
      std::error_code ec;
      const auto size = std::filesystem::file_size(a.db + "-wal", ec);
      wal_sizes.push_back(ec ? 0 : size);
    }
  });
  for (auto& t : threads) t.join();
  wal_sampler.join();
  // Requests scheduled inside the window may finish after it: the rate counts the real span.
  const double span = std::max(1e-9, Since(measured_from));
  const long rss = PeakRssKb(pid);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies.empty()
               ? 0.0
               : 1e3 * latencies[std::min(latencies.size() - 1,
                                          static_cast<std::size_t>(p * latencies.size()))];
  };
  std::printf(
      "load: target %.0f code events/s for %d s over %d connections, after %d s of "
      "warm-up\n",
      a.rate, a.seconds, a.connections, a.warmup);
  std::printf("load: %llu messages ok, %llu errors, %.0f code events/s achieved\n",
              static_cast<unsigned long long>(ok.load()),
              static_cast<unsigned long long>(errors.load()), codes.load() / span);
  std::printf("load: latency p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms\n", pct(0.5),
              pct(0.99), pct(0.999), latencies.empty() ? 0.0 : 1e3 * latencies.back());
  std::printf("load: daemon peak RSS %.1f MiB\n", rss / 1024.0);
  // Where the tail comes from: latency by 5-second window of scheduled time, with the WAL size.
  constexpr int kWindow = 5;
  std::sort(timeline.begin(), timeline.end());
  for (int w = 0; w * kWindow < a.warmup + a.seconds; ++w) {
    std::vector<double> in;
    for (const auto& [at, lat] : timeline) {
      if (at >= w * kWindow && at < (w + 1) * kWindow) in.push_back(lat);
    }
    if (in.empty()) continue;
    std::sort(in.begin(), in.end());
    const std::size_t wal_at = std::min<std::size_t>(wal_sizes.size(), (w + 1) * kWindow);
    std::printf("load:   %3d-%3d s  p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms  WAL %5.0f MiB\n",
                w * kWindow, (w + 1) * kWindow, 1e3 * in[in.size() / 2],
                1e3 * in[std::min(in.size() - 1, in.size() * 99 / 100)], 1e3 * in.back(),
                wal_at == 0 ? 0.0 : wal_sizes[wal_at - 1] / 1048576.0);
  }
  return errors.load() == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto v = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (k == "--db")
      a.db = v();
    else if (k == "--prefill")
      a.prefill = std::stoull(v());
    else if (k == "--warmup")
      a.warmup = std::stoi(v());
    else if (k == "--seconds")
      a.seconds = std::stoi(v());
    else if (k == "--rate")
      a.rate = std::stod(v());
    else if (k == "--connections")
      a.connections = std::stoi(v());
    else if (k == "--institutions")
      a.institutions = std::stoi(v());
    else if (k == "--skip-baseline")
      a.baseline = false;
    else {
      std::fprintf(stderr, "unknown argument %s (see the comment at the top of ingest_bench.cc)\n",
                   k.c_str());
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  if (int rc = Prefill(a); rc != 0) return rc;
  if (a.seconds > 0) {
    if (int rc = Load(a); rc != 0) return rc;
  }
  if (a.baseline) {
    const double raw = bench::RawSqliteRowsPerSecond(
        (std::filesystem::path(a.db).parent_path() / "raw-baseline.db").string(), 1000000, 1000);
    std::printf("baseline: raw SQLite insert with a random text index %.0f rows/s\n", raw);
  }
  return 0;
}
