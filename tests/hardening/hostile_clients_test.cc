// Issue #7 part 4: hostile clients against the real daemon on loopback. Every attack of
// tests/support/hostile.h runs at once — slow headers, slow bodies, oversized bodies, 2000 idle
// connections, pipelined floods, a terminal token uploading for another institution, replayed and
// altered messages — while an honest terminal uploads. The honest terminal must be answered
// throughout (each request within its 10 s client timeout), each attack must get the answers it
// deserves and no other, and the ledger must hold exactly the honest rows.
// (bench/hostile_bench.cc measures the honest terminals' latency under each attack.)
#include <sys/resource.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon.h"
#include "support/hostile.h"
#include "support/http_client.h"
#include "support/sales.h"

namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using testsupport::Attack;
using testsupport::Attacker;
using testsupport::Bearer;
using testsupport::DaemonFixture;
using testsupport::HttpClient;
using testsupport::kHospital;
using testsupport::kPharmacy;

// Room for 2000 idle connections on both sides (the daemon inherits the limit).
void RaiseDescriptorLimit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < 8192 && r.rlim_max > r.rlim_cur) {
    r.rlim_cur = std::min<rlim_t>(r.rlim_max, 8192);
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

}  // namespace

TEST_CASE("hostile clients: every attack at once, honest terminals are served, nothing is forged",
          "[hardening]") {
  RaiseDescriptorLimit();
  DaemonFixture d;
  const auto pharmacy = d.CreateToken("terminal", kPharmacy);
  d.Start();
  HttpClient honest = d.Client(10s);

  std::set<std::string> honest_bchnos;
  testsupport::AttackTarget target;
  target.port = d.port();
  target.token = pharmacy.secret;
  target.institution = kPharmacy;
  target.other = kHospital;
  target.recorded = testsupport::FreshSale(1, kPharmacy);
  {
    const auto r = honest.Post("/v1/upload", target.recorded.dump(), Bearer(pharmacy.secret));
    REQUIRE(r.status == 200);
    target.recorded_answer = r.body;
    for (const auto& b : testsupport::SaleBchnos(target.recorded)) honest_bchnos.insert(b);
  }

  std::map<Attack, std::unique_ptr<Attacker>> attackers;
  for (Attack a : {Attack::kSlowHeaders, Attack::kSlowBodies, Attack::kOversizedBodies,
                   Attack::kIdleConnections, Attack::kPipelinedFlood, Attack::kWrongInstitution,
                   Attack::kReplayAltered}) {
    attackers[a] = std::make_unique<Attacker>(a, target);
  }

  // Longer than the daemon's 10 s read timeout, so that slow clients are seen cut off.
  const auto until = std::chrono::steady_clock::now() + 13s;
  int honest_messages = 0;
  double worst_ms = 0;
  while (std::chrono::steady_clock::now() < until) {
    const Json m = testsupport::FreshSale(2, kPharmacy);
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = honest.Post("/v1/upload", m.dump(), Bearer(pharmacy.secret));
    worst_ms = std::max(
        worst_ms,
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    INFO(r.status << " " << r.error << " " << r.body);
    REQUIRE(r.status == 200);
    for (const auto& b : testsupport::SaleBchnos(m)) honest_bchnos.insert(b);
    ++honest_messages;
    CHECK(honest.Get("/healthz").status == 200);
    std::this_thread::sleep_for(50ms);
  }
  for (auto& [a, attacker] : attackers) attacker->Stop();

  for (const auto& [a, attacker] : attackers) {
    auto s = attacker->stats();
    INFO(testsupport::AttackName(a) << ": " << s.first_wrong);
    std::cout << "hostile: " << testsupport::AttackName(a) << ": " << s.requests << " requests, "
              << s.connections << " connections, " << s.cut_off << " cut off, answers";
    for (const auto& [status, n] : s.answers) std::cout << " " << status << "x" << n;
    std::cout << "\n";
    CHECK(s.wrong_answers == 0);
    switch (a) {
      case Attack::kSlowHeaders:
      case Attack::kSlowBodies:
        CHECK(s.cut_off > 0);  // the read timeout ended them
        break;
      case Attack::kOversizedBodies:
        CHECK(s.answers[413] > 0);
        break;
      case Attack::kIdleConnections:
        CHECK(s.connections >= 2000);
        break;
      case Attack::kPipelinedFlood:
        CHECK(s.answers[200] > 0);
        CHECK(s.answers[400] > 0);
        CHECK(s.answers[401] > 0);
        break;
      case Attack::kWrongInstitution:
        CHECK(s.answers[403] > 0);
        break;
      case Attack::kReplayAltered:
        CHECK(s.answers[200] > 0);
        CHECK(s.answers[409] > 0);
        break;
      case Attack::kNone:
        break;
    }
  }
  std::cout << "hostile: honest terminal: " << honest_messages << " messages, slowest " << worst_ms
            << " ms\n";
  CHECK(honest_messages > 10);

  // The ledger holds the honest rows, each once, and nothing else from a terminal.
  REQUIRE(d.Stop() == 0);
  const auto verify = d.Verify();
  INFO(verify.out << verify.err);
  REQUIRE(verify.exit_code == 0);
  std::map<std::string, int> found;
  for (const auto& e : d.Export()) {
    if (e.kind() == "upload_row") {
      CHECK(e.institution == kPharmacy);
      ++found[e.entry["row"].value("fixmedins_bchno", "")];
    }
  }
  CHECK(found.size() == honest_bchnos.size());
  for (const auto& [bchno, n] : found) {
    INFO(bchno);
    CHECK(n == 1);
    CHECK(honest_bchnos.count(bchno) == 1);
  }
}
