// `drugtrace demo`: the whole job on a simulated region in one command (issue #6,
// docs/simulate.md): simulate, create a ledger with the region's reference data and a token per
// terminal, start the daemon on a free loopback port, run every terminal concurrently over HTTP
// with the same client as `drugtrace upload`, then summarise, verify the ledger, and write the
// coverage report and the top suspect cases. The daemon is drained on exit and on Ctrl-C.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "common.h"
#include "ingest/daemon.h"
#include "ingest/json.h"
#include "ingest/processor.h"
#include "ingest/tokens.h"
#include "ingest/upload_client.h"
#include "ledger/ledger.h"
#include "simulate/simulate.h"

extern char** environ;

namespace cli {

namespace {

using Clock = std::chrono::steady_clock;

struct DemoArgs {
  std::string dir;
  simulate::Options options;
  int clients = 32;
  int suspects = 10;
};

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Set by the signal thread on SIGINT/SIGTERM; the demo then stops uploading and drains.
std::atomic<bool> g_interrupted{false};

void Step(const std::string& text) {
  std::cout << "\n== " << text << std::endl;
}

// Runs this binary with `args`, its standard output to `out_path` ("" = inherit). Exit status, or
// -1 when it could not be started.
int RunSelf(const std::vector<std::string>& args, const std::string& out_path) {
  std::vector<char*> argv;
  std::string self = "/proc/self/exe";
  argv.push_back(self.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (!out_path.empty()) {
    posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  // The child takes its signals as usual (this process blocks them for its signal thread).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, "/proc/self/exe", &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// GET /metrics from the daemon on loopback; "" on any error.
std::string FetchMetrics(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
    const std::string req = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[16384];
      ssize_t n;
      while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0)
        reply.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  const auto body = reply.find("\r\n\r\n");
  return body == std::string::npos ? "" : reply.substr(body + 4);
}

// Values of `metric{label="x"} N` lines, by x.
std::map<std::string, double> MetricByLabel(const std::string& text, const std::string& metric) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  const std::string prefix = metric + "{";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    const auto q1 = line.find('"'), q2 = line.find('"', q1 + 1), sp = line.rfind(' ');
    if (q1 == std::string::npos || q2 == std::string::npos || sp == std::string::npos) continue;
    out[line.substr(q1 + 1, q2 - q1 - 1)] = std::atof(line.c_str() + sp + 1);
  }
  return out;
}

struct Tally {
  std::atomic<std::size_t> messages{0}, codes{0}, rejected{0}, unsent{0};
  std::mutex mu;
  std::vector<std::string> errors;  // the first few
  void Error(const std::string& e) {
    std::lock_guard<std::mutex> lock(mu);
    if (errors.size() < 5) errors.push_back(e);
  }
};

// Every terminal on its own UploadClient; `clients` threads share them, balanced by code events.
// Upload days are kept in step (a barrier per day), as terminals of a region upload through the
// same days; within a day the terminals run concurrently.
ledger::Status UploadRegion(const simulate::Region& region, std::uint16_t port,
                            const std::vector<std::string>& tokens, int clients, Tally& tally) {
  const std::size_t n = region.terminals.size();
  std::vector<std::unique_ptr<ingest::UploadClient>> uploaders(n);
  for (std::size_t t = 0; t < n; ++t) {
    ingest::UploadOptions o;
    o.server = "http://127.0.0.1:" + std::to_string(port);
    o.token = tokens[t];
    o.give_up_after = std::chrono::milliseconds(300000);
    auto c = ingest::UploadClient::Open(o);
    if (!c.ok()) return c.status();
    uploaders[t] = std::move(*c);
  }
  // Greedy balance: the heaviest terminal to the least-loaded thread.
  std::vector<std::size_t> order(n);
  std::vector<std::size_t> weight(n, 0);
  for (std::size_t t = 0; t < n; ++t) {
    order[t] = t;
    for (const auto& m : region.terminals[t].messages) weight[t] += m.codes + 10;
  }
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return weight[a] != weight[b] ? weight[a] > weight[b] : a < b;
  });
  const int threads = std::max(1, std::min<int>(clients, static_cast<int>(n)));
  std::vector<std::vector<std::size_t>> mine(static_cast<std::size_t>(threads));
  std::vector<std::size_t> load(static_cast<std::size_t>(threads), 0);
  for (std::size_t t : order) {
    const auto w =
        static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    mine[w].push_back(t);
    load[w] += weight[t];
  }
  std::size_t total_messages = 0, total_codes = 0;
  for (const auto& term : region.terminals) {
    total_messages += term.messages.size();
    for (const auto& m : term.messages) total_codes += m.codes;
  }
  const int last_day = region.options.days;  // offline terminals send the last day a day late
  std::atomic<int> days_done{0};
  std::barrier sync(threads, [&]() noexcept { days_done.fetch_add(1); });
  std::atomic<bool> failed{false};
  ledger::Status spool_error;
  std::mutex spool_mu;
  auto worker = [&](std::size_t w) {
    std::vector<std::size_t> next(mine[w].size(), 0);
    for (int day = 0; day <= last_day; ++day) {
      if (g_interrupted || failed) {
        sync.arrive_and_drop();
        return;
      }
      for (std::size_t k = 0; k < mine[w].size() && !g_interrupted; ++k) {
        const std::size_t t = mine[w][k];
        const auto& term = region.terminals[t];
        auto& client = *uploaders[t];
        while (next[k] < term.messages.size() && term.messages[next[k]].upload_day <= day) {
          const auto& m = term.messages[next[k]++];
          auto added = client.Add(term.fixmedins_code, next[k], m.json);
          if (!added.ok() || (added.ok() && *added)) {
            tally.Error(term.fixmedins_code + ": message not queued");
            ++tally.rejected;
          }
        }
        while (!g_interrupted) {
          auto r = client.SendNext();
          if (!r.ok()) {
            std::lock_guard<std::mutex> lock(spool_mu);
            spool_error = r.status();
            failed = true;
            break;
          }
          if (!*r) break;
          const auto& res = **r;
          ++tally.messages;
          tally.codes += term.messages[res.line - 1].codes;
          if (res.status == ingest::UploadStatus::kUnsent) {
            ++tally.unsent;
            tally.Error(term.fixmedins_code + " " + res.msgid + ": " + res.error);
          } else if (!res.accepted()) {
            ++tally.rejected;
            tally.Error(term.fixmedins_code + " " + res.msgid + ": HTTP " +
                        std::to_string(res.http_status) + " " + res.response.substr(0, 300));
          }
        }
      }
      sync.arrive_and_wait();
    }
  };
  std::vector<std::thread> pool;
  const auto t0 = Clock::now();
  for (int w = 0; w < threads; ++w) pool.emplace_back(worker, static_cast<std::size_t>(w));
  const bool tty = isatty(STDERR_FILENO) != 0;
  auto last_print = Clock::now();
  std::size_t last_codes = 0;
  while (days_done.load() <= last_day && !failed) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (g_interrupted) break;
    const auto now = Clock::now();
    if (Seconds(now - last_print) < (tty ? 1.0 : 10.0)) continue;
    const std::size_t codes = tally.codes;
    char line[200];
    std::snprintf(line, sizeof line,
                  "day %2d/%d  messages %zu/%zu  code events %zu/%zu  %.0f code events/s   ",
                  std::min(days_done.load() + 1, last_day), last_day, tally.messages.load(),
                  total_messages, codes, total_codes,
                  static_cast<double>(codes - last_codes) / Seconds(now - last_print));
    std::cerr << (tty ? "\r" : "") << line << (tty ? "" : "\n") << std::flush;
    last_print = now;
    last_codes = codes;
  }
  for (auto& th : pool) th.join();
  if (tty) std::cerr << "\n";
  (void)t0;
  if (failed) return spool_error;
  return ledger::Status::Ok();
}

std::string MonthOf(const std::string& date) {
  return date.substr(0, 7);
}

int RunDemo(DemoArgs a) {
  if (auto st = simulate::CheckOptions(a.options); !st.ok()) return Fail("demo", st);
  if (a.dir.empty()) {
    char tmpl[] = "/tmp/drugtrace-demo.XXXXXX";
    if (::mkdtemp(tmpl) == nullptr)
      return Fail(std::string("demo: mkdtemp: ") + std::strerror(errno));
    a.dir = tmpl;
  } else if (::mkdir(a.dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Fail("demo: cannot create " + a.dir + ": " + std::strerror(errno));
  }
  const std::string db = a.dir + "/ledger.db";
  if (::access(db.c_str(), F_OK) == 0) {
    return Fail("demo: " + db +
                " already exists; give a new --dir (the demo starts a fresh ledger)");
  }

  // Signals go to one thread; everything started later inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  std::thread([signals]() mutable {
    int sig = 0;
    sigwait(&signals, &sig);
    g_interrupted = true;
    std::cerr << "\ndrugtrace demo: interrupted; stopping the terminals and draining the daemon\n";
  }).detach();

  const auto t_start = Clock::now();
  Step("simulate the region (" + std::to_string(a.options.pharmacies) + " pharmacies, " +
       std::to_string(a.options.hospitals) + " hospitals and clinics, " +
       std::to_string(a.options.days) + " days from " + a.options.start + ", seed " +
       std::to_string(a.options.seed) + ")");
  auto region = simulate::Simulate(a.options);
  if (!region.ok()) return Fail("demo: simulate", region.status());
  const std::string region_dir = a.dir + "/region";
  if (auto st = simulate::WriteRegion(*region, region_dir); !st.ok()) return Fail("demo", st);
  const auto& stats = region->stats;
  std::size_t fraud_rows = 0;
  for (std::size_t f : stats.fraud_rows) fraud_rows += f;
  std::printf(
      "%zu terminals, %zu messages, %zu rows, %zu code events; %zu fraud rows in %zu cases "
      "(%.1f s)\n",
      region->terminals.size(), stats.messages, stats.rows, stats.code_events, fraud_rows,
      region->truth.cases.size(), Seconds(Clock::now() - t_start));
  std::printf(
      "imperfections: %zu boxes not scanned, %zu product barcodes, %zu double scans, %zu GS1 "
      "scans without GS, %zu offline terminal-days\n",
      stats.missing_scans, stats.ean_scans, stats.double_scans, stats.gs_dropped,
      stats.offline_days);

  Step("create the ledger, import the reference data, one terminal token per institution");
  std::vector<std::string> tokens;
  {
    auto l = ledger::Ledger::Init(db, {"demo.drugtrace/ledger"});
    if (!l.ok()) return Fail("demo: init", l.status());
    auto p = ingest::Processor::Open(**l, db);
    if (!p.ok()) return Fail("demo: open", p.status());
    std::string error;
    auto doc =
        ingest::ParseJson(region->refdata_json, error, {.max_depth = 32, .max_string = 1 << 20});
    if (!doc) return Fail("demo: reference data: " + error);
    auto idx = (*p)->ImportRefData(*doc, NowMs());
    if (!idx.ok()) return Fail("demo: reference data", idx.status());
    for (const auto& t : region->terminals) {
      auto tok = ingest::CreateToken((*p)->store(), **l, ingest::Role::kTerminal, t.fixmedins_code,
                                     "", t.name, NowMs());
      if (!tok.ok()) return Fail("demo: token", tok.status());
      tokens.push_back(tok->secret);
    }
    std::printf("ledger %s: %zu drugs, %zu institutions, %zu tokens\n", db.c_str(),
                (*p)->refdata().drug_count(), (*p)->refdata().institution_count(), tokens.size());
  }

  Step("start the daemon on a free loopback port");
  ingest::DaemonOptions dopts;
  dopts.db_path = db;
  dopts.http.address = "127.0.0.1";
  dopts.http.port = 0;
  std::string error;
  auto daemon = ingest::Daemon::Start(dopts, error);
  if (!daemon) return Fail("demo: serve: " + error);
  const std::uint16_t port = daemon->port();
  std::printf("listening on http://127.0.0.1:%u\n", port);

  Step("run the " + std::to_string(region->terminals.size()) + " terminals concurrently (" +
       std::to_string(a.clients) + " connections at a time, day by day)");
  Tally tally;
  const auto t_up = Clock::now();
  ledger::Status up = UploadRegion(*region, port, tokens, a.clients, tally);
  const double upload_s = Seconds(Clock::now() - t_up);
  const std::string metrics = FetchMetrics(port);
  daemon->Stop();
  daemon.reset();
  if (!up.ok()) return Fail("demo: upload", up);
  if (g_interrupted) {
    std::cerr << "drugtrace demo: stopped after " << tally.messages << " messages; the daemon was "
              << "drained and the ledger is in " << db << "\n";
    return 130;
  }

  Step("summary");
  std::printf(
      "%zu messages, %zu code events uploaded in %.1f s: %.0f code events/s, %.0f "
      "messages/s\n",
      tally.messages.load(), tally.codes.load(), upload_s,
      static_cast<double>(tally.codes) / upload_s, static_cast<double>(tally.messages) / upload_s);
  if (tally.rejected + tally.unsent != 0) {
    std::printf("%zu messages rejected, %zu unsent, e.g.:\n", tally.rejected.load(),
                tally.unsent.load());
    for (const auto& e : tally.errors) std::printf("  %s\n", e.c_str());
  }
  const auto verdicts = MetricByLabel(metrics, "drugtrace_rows_total");
  const auto rules = MetricByLabel(metrics, "drugtrace_findings_total");
  double rows = 0;
  for (const auto& [v, c] : verdicts) rows += c;
  std::printf("rows recorded: %.0f (", rows);
  bool first = true;
  for (const char* v : {"ok", "warn", "block"}) {
    auto it = verdicts.find(v);
    std::printf("%s%s %.0f", first ? "" : ", ", v, it == verdicts.end() ? 0.0 : it->second);
    first = false;
  }
  std::printf(")\nfindings by rule:\n");
  std::vector<std::pair<double, std::string>> by_count;
  for (const auto& [r, c] : rules) {
    if (c > 0) by_count.emplace_back(c, r);
  }
  std::sort(by_count.rbegin(), by_count.rend());
  for (const auto& [c, r] : by_count) std::printf("  %-24s %9.0f\n", r.c_str(), c);

  Step("verify the ledger: every hash, link, tree node and signed checkpoint");
  {
    ledger::OpenOptions o;
    o.read_only = true;
    o.load_signer = false;
    auto l = ledger::Ledger::Open(db, o);
    if (!l.ok()) return Fail("demo: verify", l.status());
    const auto tv = Clock::now();
    auto report = (*l)->Verify({});
    if (!report.ok()) return Fail("demo: verify FAILED", report.status());
    std::printf("ok: %llu entries, %llu signed checkpoints verified in %.1f s\n",
                static_cast<unsigned long long>(report->entries),
                static_cast<unsigned long long>(report->checkpoints), Seconds(Clock::now() - tv));
  }

  Step("monthly coverage report and top suspect cases");
  std::set<std::string> months;
  {
    const auto start = *validator::ParseDate(a.options.start);
    const auto d0 = validator::DaysFromCivil(start);
    for (int d = 0; d < a.options.days; ++d) {
      months.insert(MonthOf(validator::FormatDate(validator::CivilFromDays(d0 + d))));
    }
  }
  std::vector<std::string> written;
  for (const std::string& m : months) {
    const std::string out = a.dir + "/coverage-" + m + ".html";
    const int rc = RunSelf(
        {"report", "coverage", "--db", db, "--month", m, "--format", "html", "--out", out}, "");
    if (rc == 0) {
      written.push_back(out + "  (采集率/结算率 per institution, " + m + ")");
    } else {
      std::printf(
          "coverage report for %s: `drugtrace report coverage` failed (exit %d); run it "
          "again with: drugtrace report coverage --db %s --month %s --format html\n",
          m.c_str(), rc, db.c_str(), m.c_str());
    }
  }
  const std::string end_date = validator::FormatDate(validator::CivilFromDays(
      validator::DaysFromCivil(*validator::ParseDate(a.options.start)) + a.options.days - 1));
  const std::string suspects_txt = a.dir + "/suspects.txt", suspects_csv = a.dir + "/suspects.csv";
  const std::vector<std::string> query = {"suspects",      "--db", db,      "--from",
                                          a.options.start, "--to", end_date};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> v = query;
    v.insert(v.end(), extra.begin(), extra.end());
    return v;
  };
  const int rc_txt = RunSelf(with({"--limit", std::to_string(a.suspects)}), suspects_txt);
  const int rc_csv = RunSelf(with({"--format", "csv"}), suspects_csv);
  if (rc_txt == 0 && rc_csv == 0) {
    auto text = ReadInput(suspects_txt);
    if (text) std::cout << *text;
    written.push_back(suspects_txt + "  (top " + std::to_string(a.suspects) + " suspect cases)");
    written.push_back(suspects_csv + "  (every suspect case, for on-site checks)");
  } else {
    std::printf(
        "suspect cases: `drugtrace suspects` failed (exit %d); run it again with: "
        "drugtrace suspects --db %s --from %s --to %s\n",
        rc_txt != 0 ? rc_txt : rc_csv, db.c_str(), a.options.start.c_str(), end_date.c_str());
  }

  Step("files");
  std::printf("ledger          %s (key %s.key)\n", db.c_str(), db.c_str());
  std::printf("region          %s/ (refdata.json, terminals/*.ndjson, truth.json, manifest.json)\n",
              region_dir.c_str());
  for (const auto& w : written) std::printf("report          %s\n", w.c_str());
  std::printf("\ndemo finished in %.1f s\n", Seconds(Clock::now() - t_start));
  return tally.rejected + tally.unsent == 0 ? 0 : kExitFailure;
}

}  // namespace

void RegisterDemoCommand(CLI::App& app, int& exit_code) {
  static DemoArgs a;
  auto* d = app.add_subcommand(
      "demo", "Simulate a region and run it end to end: daemon, terminals, verify, reports");
  d->add_option("--dir", a.dir,
                "Directory for the ledger, region and reports (default: a new "
                "/tmp/drugtrace-demo.XXXXXX)");
  d->add_option("--pharmacies", a.options.pharmacies, "Retail pharmacies")->capture_default_str();
  d->add_option("--hospitals", a.options.hospitals, "Hospitals of level 1-3 and clinics")
      ->capture_default_str();
  d->add_option("--days", a.options.days, "Days to simulate")->capture_default_str();
  d->add_option("--seed", a.options.seed, "Seed of the simulation")->capture_default_str();
  d->add_option("--start", a.options.start, "First day, yyyy-MM-dd")->capture_default_str();
  d->add_option("--volume", a.options.volume, "Scale of daily sales")->capture_default_str();
  d->add_option("--clients", a.clients, "Terminals uploading at the same time")
      ->check(CLI::Range(1, 512))
      ->capture_default_str();
  d->add_option("--suspects", a.suspects, "Suspect cases to show")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  d->callback([&] { exit_code = RunDemo(a); });
}

}  // namespace cli
