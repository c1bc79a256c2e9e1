// `drugtrace backup` against the real daemon: copies taken while terminals upload all verify,
// and a copy restored in place of a lost ledger serves again, replays what it holds and continues
// the chain.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "ledger/ledger.h"
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
namespace fs = std::filesystem;

struct Sent {
  Json message;
  HttpResult response;
};

// The ledger indexes a 200 answer gave the message's rows (empty when it was not a 200).
std::vector<std::uint64_t> Indexes(const HttpResult& r) {
  std::vector<std::uint64_t> out;
  if (r.status != 200) return out;
  const Json body = Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.contains("output")) return out;
  for (const auto& row : body["output"]["rows"]) out.push_back(row["ledger_index"]);
  return out;
}

std::uint64_t HealthzEntries(HttpClient& c) {
  const HttpResult h = c.Get("/healthz");
  INFO(h.status << " " << h.body << " " << h.error);
  REQUIRE(h.status == 200);
  return Json::parse(h.body)["ledger_entries"].get<std::uint64_t>();
}

// "backup FILE: N entries, ..." -> N.
std::uint64_t BackupEntries(const std::string& out) {
  const auto colon = out.find(": ");
  REQUIRE(colon != std::string::npos);
  return std::stoull(out.substr(colon + 2));
}

}  // namespace

TEST_CASE("backup: copies taken while terminals upload verify, a restored copy continues",
          "[backup]") {
  DaemonFixture d;
  const auto token = d.CreateToken("terminal", kPharmacy);
  d.Start();
  const auto auth = Bearer(token.secret);

  constexpr int kThreads = 3;
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0};
  std::vector<std::vector<Sent>> sent(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c = d.Client(60s);
      for (int i = 0; !stop; ++i) {
        Sent s{testsupport::FreshSale(1 + (i + t) % 3, kPharmacy), {}};
        s.response = c.Post("/v1/upload", s.message.dump(), auth);
        sent[t].push_back(std::move(s));
        ++answered;
      }
    });
  }

  // Three copies while the writer commits; the last one with the keys, for the restore below.
  std::vector<std::uint64_t> sizes;
  std::string restorable;
  for (int i = 0; i < 3; ++i) {
    const int before = answered;
    while (answered < before + 20) std::this_thread::sleep_for(10ms);
    const std::string to = d.dir().file("backup" + std::to_string(i) + ".db");
    std::vector<std::string> args{"backup", "--db", d.db(), "--to", to};
    if (i == 2) args.push_back("--with-keys");
    const auto r = testsupport::Drugtrace(args);
    INFO("backup " << i << " stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("signed checkpoints verified") != std::string::npos);
    CHECK(r.out.find(i == 2 ? "keys copied" : "keys not copied") != std::string::npos);
    sizes.push_back(BackupEntries(r.out));
    if (i > 0) CHECK(sizes[i] >= sizes[i - 1]);
    const auto v = testsupport::Drugtrace({"verify", "--db", to});
    INFO("verify: " << v.out << v.err);
    CHECK(v.exit_code == 0);
    restorable = to;
  }
  stop = true;
  for (auto& t : threads) t.join();
  for (const auto& thread : sent) {
    for (const auto& s : thread) {
      INFO("msgid " << s.message["msgid"] << ": " << s.response.status << " " << s.response.body
                    << s.response.error);
      CHECK(s.response.status == 200);
    }
  }

  // The disk is lost (no drain); the with-keys copy goes back in its place.
  CHECK(d.Kill() == 128 + SIGKILL);
  for (const char* suffix : {"", "-wal", "-shm", ".key", ".hmac"}) fs::remove(d.db() + suffix);
  fs::copy_file(restorable, d.db());
  fs::copy_file(ledger::KeyPathFor(restorable), ledger::KeyPathFor(d.db()));
  fs::copy_file(ledger::HmacKeyPathFor(restorable), ledger::HmacKeyPathFor(d.db()));
  d.Start();
  HttpClient c = d.Client();
  const std::uint64_t restored = HealthzEntries(c);
  CHECK(restored == sizes.back());

  // A message the copy holds is replayed with its original answer; nothing is added.
  const Sent* held = nullptr;
  for (const auto& thread : sent) {
    for (const auto& s : thread) {
      const auto idx = Indexes(s.response);
      if (!idx.empty() && idx.back() < restored) held = &s;
    }
  }
  REQUIRE(held != nullptr);
  const HttpResult replay = c.Post("/v1/upload", held->message.dump(), auth);
  CHECK(replay.status == 200);
  CHECK(replay.body == held->response.body);
  CHECK(HealthzEntries(c) == restored);

  // New uploads continue the chain from the restored size.
  const Json fresh = testsupport::FreshSale(2, kPharmacy);
  const HttpResult r = c.Post("/v1/upload", fresh.dump(), auth);
  INFO(r.body);
  CHECK(Indexes(r) == std::vector<std::uint64_t>{restored, restored + 1});
  REQUIRE(d.Stop() == 0);
  const auto v = d.Verify();
  INFO(v.out << v.err);
  CHECK(v.exit_code == 0);
  // The shutdown checkpoint covers the new rows and extends the restored history (verify proved
  // every stored checkpoint consistent with the entries).
  const Json cps = d.Checkpoints();
  REQUIRE(!cps.empty());
  CHECK(cps.back()["tree_size"] == restored + 2);
}

TEST_CASE("backup: usage and refusals exit 1 naming the file", "[backup]") {
  testsupport::TempDir dir;
  const std::string db = dir.file("l.db");
  testsupport::DrugtraceOk({"init", "--db", db});
  testsupport::DrugtraceOk({"append", "--db", db, "-"}, "one\ntwo\n");
  const std::string to = dir.file("copy.db");
  auto r = testsupport::Drugtrace({"backup", "--db", db, "--to", to});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("backup " + to + ": 2 entries, 0 signed checkpoints verified") == 0);
  CHECK(r.out.find("the source had no signed checkpoint yet") != std::string::npos);

  r = testsupport::Drugtrace({"backup", "--db", db, "--to", to});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find(to + " already exists") != std::string::npos);

  r = testsupport::Drugtrace({"backup", "--db", dir.file("missing.db"), "--to", dir.file("x.db")});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("missing.db") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.file("x.db")));

  r = testsupport::Drugtrace({"backup", "--db", db});
  CHECK(r.exit_code == 2);
}
