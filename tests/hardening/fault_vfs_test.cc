// Issue #7 part 2: I/O faults under the real daemon. `drugtrace serve` runs with the
// fault-injecting SQLite VFS (ledger/src/fault_vfs.h, DRUGTRACE_FAULT_VFS naming a control file the
// test rewrites): a full disk, then single failed writes, syncs and locks. The daemon must answer
// 503 with Retry-After for work it could not make durable, keep answering /healthz and replays,
// recover when the fault clears, never acknowledge a row it did not commit, and leave a ledger that
// verifies.
#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon.h"
#include "support/http_client.h"
#include "support/process.h"
#include "support/sales.h"

namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using testsupport::Bearer;
using testsupport::DaemonFixture;
using testsupport::HttpClient;
using testsupport::HttpResult;
using testsupport::kPharmacy;

// A daemon whose SQLite files go through the fault VFS, steered by `control`.
struct FaultyDaemon {
  DaemonFixture d;
  std::string control = d.dir().file("faults");
  std::string terminal;
  std::string regulator;

  FaultyDaemon() {
    terminal = d.CreateToken("terminal", kPharmacy).secret;
    regulator = d.CreateToken("regulator").secret;
    Faults("off");
    d.SetDaemonEnvironment({"DRUGTRACE_FAULT_VFS=" + control});
    d.Start();
    REQUIRE(d.Stderr().find("TESTING FACILITY") != std::string::npos);
  }
  void Faults(const std::string& spec) { testsupport::WriteFile(control, spec + "\n"); }
};

// What a terminal was told about one message.
struct Acked {
  std::vector<std::string> bchnos;
  std::vector<std::uint64_t> indexes;
};

Acked Indexes(const Json& message, const HttpResult& r) {
  Acked a;
  a.bchnos = testsupport::SaleBchnos(message);
  const Json answer = Json::parse(r.body);
  for (const auto& row : answer["output"]["rows"]) a.indexes.push_back(row["ledger_index"]);
  REQUIRE(a.indexes.size() == a.bchnos.size());
  return a;
}

// A refusal for work not made durable: 503, Retry-After, a message saying why.
void ExpectNotDurable(const HttpResult& r) {
  INFO(r.status << " " << r.body);
  REQUIRE(r.status == 503);
  CHECK(r.Header("retry-after") == "1");
  CHECK(r.body.find("infcode") != std::string::npos);
}

// Checks the stopped daemon's ledger: it verifies and holds each acknowledged row exactly once, at
// the index the terminal was told.
void CheckLedger(const DaemonFixture& d, const std::vector<Acked>& acked) {
  const auto verify = d.Verify();
  INFO("verify: " << verify.out << verify.err);
  REQUIRE(verify.exit_code == 0);
  std::map<std::string, std::vector<std::uint64_t>> found;
  for (const auto& e : d.Export()) {
    if (e.kind() == "upload_row")
      found[e.entry["row"].value("fixmedins_bchno", "")].push_back(e.index);
  }
  for (const auto& [bchno, idx] : found) {
    INFO(bchno);
    CHECK(idx.size() == 1);
  }
  for (const auto& a : acked) {
    for (std::size_t i = 0; i < a.bchnos.size(); ++i) {
      INFO(a.bchnos[i]);
      auto it = found.find(a.bchnos[i]);
      REQUIRE(it != found.end());
      CHECK(it->second.front() == a.indexes[i]);
    }
  }
}

}  // namespace

TEST_CASE("fault vfs: a full disk gets 503 + Retry-After, reads go on, recovery records once",
          "[hardening]") {
  FaultyDaemon f;
  HttpClient c = f.d.Client(10s);
  std::vector<Acked> acked;

  const Json m1 = testsupport::FreshSale(2, kPharmacy);
  const HttpResult r1 = c.Post("/v1/upload", m1.dump(), Bearer(f.terminal));
  REQUIRE(r1.status == 200);
  acked.push_back(Indexes(m1, r1));
  const std::string code =
      m1["input"]["selinfo"][0]["drugtracinfo"][0]["drug_trac_codg"].get<std::string>();

  f.Faults("full");
  const Json m2 = testsupport::FreshSale(3, kPharmacy);
  const Json m3 = testsupport::FreshSale(1, kPharmacy);
  for (int attempt = 0; attempt < 3; ++attempt) {
    ExpectNotDurable(c.Post("/v1/upload", m2.dump(), Bearer(f.terminal)));
    ExpectNotDurable(c.Post("/v1/upload", m3.dump(), Bearer(f.terminal)));
  }
  // Reads that need no write go on: health, metrics, and the replay of a recorded message.
  CHECK(c.Get("/healthz").status == 200);
  CHECK(c.Get("/metrics").status == 200);
  const HttpResult replay = c.Post("/v1/upload", m1.dump(), Bearer(f.terminal));
  CHECK(replay.status == 200);
  CHECK(replay.body == r1.body);
  // A regulator query is answered only once its audit entry is recorded (docs/api.md): with the
  // disk full that is a prompt 503 with Retry-After, not a hang and not an unaudited answer.
  const std::string history = "/v1/codes/" + code + "/history";
  ExpectNotDurable(c.Get(history, Bearer(f.regulator)));

  f.Faults("off");  // space returns
  for (const Json* m : {&m2, &m3}) {
    HttpResult r;
    for (int attempt = 0; attempt < 50; ++attempt) {
      r = c.Post("/v1/upload", m->dump(), Bearer(f.terminal));
      if (r.status != 503) break;
      std::this_thread::sleep_for(100ms);
    }
    INFO(r.body);
    REQUIRE(r.status == 200);
    acked.push_back(Indexes(*m, r));
  }
  const HttpResult h = c.Get(history, Bearer(f.regulator));
  INFO(h.body);
  CHECK(h.status == 200);
  REQUIRE(f.d.Stop() == 0);
  CheckLedger(f.d, acked);
}

TEST_CASE("fault vfs: single failed writes, syncs and locks never acknowledge an unrecorded row",
          "[hardening]") {
  FaultyDaemon f;
  HttpClient c = f.d.Client(10s);
  std::vector<Acked> acked;
  int refused = 0;
  for (const char* kind : {"write", "sync", "lock"}) {
    for (int n : {1, 2, 3, 5, 8, 13}) {
      const std::string spec = std::string(kind) + "=" + std::to_string(n);
      INFO(spec);
      f.Faults(spec);
      // Two messages per fault, each sent until it is acknowledged, as a terminal does.
      for (int k = 0; k < 2; ++k) {
        const Json m = testsupport::FreshSale(1 + k, kPharmacy);
        HttpResult r;
        for (int attempt = 0; attempt < 20; ++attempt) {
          r = c.Post("/v1/upload", m.dump(), Bearer(f.terminal));
          if (r.status != 503 && r.status != 0) break;
          if (r.status == 503) {
            ExpectNotDurable(r);
            ++refused;
          }
          c.Close();
          std::this_thread::sleep_for(50ms);
        }
        INFO(r.status << " " << r.error << " " << r.body);
        REQUIRE(r.status == 200);
        acked.push_back(Indexes(m, r));
      }
      CHECK(c.Get("/healthz").status == 200);
    }
  }
  f.Faults("off");
  std::cout << "fault vfs: " << acked.size() << " messages acknowledged, " << refused
            << " answers 503 under injected faults\n";
  CHECK(refused > 0);  // the faults did reach the daemon's commits
  REQUIRE(f.d.Stop() == 0);
  CheckLedger(f.d, acked);
}
