// Honest terminals' latency under each hostile-client attack (issue #7 part 4's figures).
//
//   build/bench/hostile_bench [--seconds S] [--terminals N] [--think-ms T]
//
// Starts the real `drugtrace serve` on loopback (a fresh ledger with the example reference data),
// then for each attack of tests/support/hostile.h — and first with no attack — runs the attack,
// lets it settle for a second, and has N honest terminals (default 4) upload one-row sales in a
// closed loop (T ms, default 10, between a terminal's requests) for S seconds (default 10). Prints
// one row per attack: honest requests, their p50/p99/max latency and the p99 relative to no
// attack, plus what the attack did. Latency counts from the moment the request is sent; any
// answer other than 200 to an honest terminal is counted as an error.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon.h"
#include "support/hostile.h"
#include "support/http_client.h"
#include "support/sales.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using testsupport::Attack;

struct Args {
  int seconds = 10;
  int terminals = 4;
  int think_ms = 10;
};

struct Row {
  std::size_t requests = 0;
  std::size_t errors = 0;
  double p50 = 0, p99 = 0, max = 0;  // ms
};

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * v.size()));
  return v[i];
}

Row Honest(const Args& a, std::uint16_t port, const std::string& token) {
  std::mutex mu;
  std::vector<double> latencies;
  std::atomic<std::size_t> errors{0};
  const auto until = Clock::now() + std::chrono::seconds(a.seconds);
  std::vector<std::thread> threads;
  for (int t = 0; t < a.terminals; ++t) {
    threads.emplace_back([&] {
      testsupport::HttpClient c("127.0.0.1", port, 30s);
      std::vector<double> mine;
      while (Clock::now() < until) {
        const std::string body = testsupport::FreshSale(1, testsupport::kPharmacy).dump();
        const auto t0 = Clock::now();
        const auto r = c.Post("/v1/upload", body, testsupport::Bearer(token));
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (r.status != 200) {
          ++errors;
          c.Close();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(a.think_ms));
      }
      std::lock_guard lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  Row r;
  r.requests = latencies.size();
  r.errors = errors;
  r.p50 = Percentile(latencies, 0.50);
  r.p99 = Percentile(latencies, 0.99);
  r.max = latencies.empty() ? 0 : latencies.back();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (k == "--seconds") {
      a.seconds = v;
    } else if (k == "--terminals") {
      a.terminals = v;
    } else if (k == "--think-ms") {
      a.think_ms = v;
    } else {
      std::fprintf(stderr, "usage: %s [--seconds S] [--terminals N] [--think-ms T]\n", argv[0]);
      return 2;
    }
  }
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < 8192 && lim.rlim_max > lim.rlim_cur) {
    lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 8192);
    setrlimit(RLIMIT_NOFILE, &lim);
  }

  testsupport::DaemonFixture d;
  const auto token = d.CreateToken("terminal", testsupport::kPharmacy);
  d.Start();
  testsupport::AttackTarget target;
  target.port = d.port();
  target.token = token.secret;
  target.institution = testsupport::kPharmacy;
  target.other = testsupport::kHospital;
  target.recorded = testsupport::FreshSale(1, testsupport::kPharmacy);
  {
    auto c = d.Client();
    const auto r = c.Post("/v1/upload", target.recorded.dump(), testsupport::Bearer(token.secret));
    if (r.status != 200) {
      std::fprintf(stderr, "hostile_bench: the first upload failed: %d %s\n", r.status,
                   r.body.c_str());
      return 1;
    }
    target.recorded_answer = r.body;
  }

  std::printf("hostile_bench: %d honest terminals, %d ms think time, %d s per attack\n",
              a.terminals, a.think_ms, a.seconds);
  std::printf("%-18s %9s %6s %9s %9s %9s %8s  %s\n", "attack", "requests", "errors", "p50 ms",
              "p99 ms", "max ms", "p99/none", "attack did");
  double baseline = 0;
  for (Attack attack : {Attack::kNone, Attack::kSlowHeaders, Attack::kSlowBodies,
                        Attack::kOversizedBodies, Attack::kIdleConnections, Attack::kPipelinedFlood,
                        Attack::kWrongInstitution, Attack::kReplayAltered}) {
    testsupport::Attacker attacker(attack, target);
    std::this_thread::sleep_for(1s);
    const Row r = Honest(a, d.port(), token.secret);
    attacker.Stop();
    const auto s = attacker.stats();
    if (attack == Attack::kNone) baseline = r.p99;
    std::string did = std::to_string(s.requests) + " req, " + std::to_string(s.connections) +
                      " conn, " + std::to_string(s.cut_off) + " cut off;";
    for (const auto& [status, n] : s.answers) {
      did += " " + std::to_string(status) + "x" + std::to_string(n);
    }
    if (s.wrong_answers != 0) did += "; WRONG: " + s.first_wrong;
    std::printf("%-18s %9zu %6zu %9.2f %9.2f %9.2f %8.2f  %s\n", testsupport::AttackName(attack),
                r.requests, r.errors, r.p50, r.p99, r.max, baseline > 0 ? r.p99 / baseline : 0.0,
                did.c_str());
    std::fflush(stdout);
    std::this_thread::sleep_for(500ms);  // let the daemon close what the attack left
  }
  return d.Stop() == 0 ? 0 : 1;
}
