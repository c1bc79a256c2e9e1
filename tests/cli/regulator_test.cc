// The regulator API end to end: the real `drugtrace serve` on loopback, terminals uploading, a
// regulator reading a code's history (proofs checked offline by `drugtrace verify-proof`) and the
// coverage report; region scope, roles, bad input, and the audit trail read back with
// `drugtrace audit` after the daemon stopped.
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon.h"
#include "support/http_client.h"
#include "support/process.h"

namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using testsupport::Bearer;
using testsupport::DaemonFixture;
using testsupport::Drugtrace;
using testsupport::DrugtraceOk;
using testsupport::HttpClient;
using testsupport::HttpResult;
using testsupport::kHospital;
using testsupport::kPharmacy;

constexpr char kCode[] = "81000010000000777001";  // 阿卡波糖片, unique to this file

Json Message(const std::string& infno, const std::string& inst, const std::string& msgid,
             const std::string& bchno, const std::string& code) {
  Json row = {{"fixmedins_bchno", bchno},
              {"med_list_codg", "XA10BFA001A001010101001"},
              {"fixmedins_hilist_id", "H1"},
              {"fixmedins_hilist_name", "阿卡波糖片"},
              {"drugtracinfo", Json::array({{{"drug_trac_codg", code}}})}};
  if (infno == "3503") {
    row["spler_name"] = "supplier";
    row["purc_retn_cnt"] = "1";
    row["purc_retn_stoin_time"] = "2025-08-01 08:00:00";
  } else {
    row["rtal_docno"] = "RD";
    row["sel_retn_cnt"] = "1";
    row["sel_retn_time"] = "2025-08-02 10:00:00";
    row["trdn_flag"] = "0";
    row["mdtrt_setl_type"] = "2";
    row["finl_trns_pric"] = "10.00";
  }
  return {{"infno", infno},
          {"msgid", msgid},
          {"fixmedins_code", inst},
          {"inf_time", "2025-08-02 10:00:00"},
          {"opter", "01"},
          {"opter_name", "t"},
          {"input", {{infno == "3503" ? "purcinfo" : "selinfo", Json::array({row})}}}};
}

std::string RegionToken(DaemonFixture& d, const std::string& region) {
  const std::string out = DrugtraceOk({"token", "create", "--db", d.db(), "--role", "regulator",
                                       "--region", region, "--label", "县医保局 稽查"});
  return out.substr(0, out.find('\n'));
}

struct Region {
  DaemonFixture d;
  std::string pharmacy, hospital, regulator, county;

  Region() {
    pharmacy = d.CreateToken("terminal", kPharmacy).secret;
    hospital = d.CreateToken("terminal", kHospital).secret;
    regulator = d.CreateToken("regulator").secret;
    county = RegionToken(d, "130821");
    d.Start();
    HttpClient c = d.Client();
    auto up = [&](const std::string& token, const Json& m) {
      HttpResult r = c.Post("/v1/upload", m.dump(), Bearer(token));
      INFO(r.body);
      REQUIRE(r.status == 200);
      return Json::parse(r.body)["output"]["rows"][0];
    };
    up(pharmacy, Message("3503", kPharmacy, "r1", "R1", kCode));
    up(pharmacy, Message("3505", kPharmacy, "s1", "S1", kCode));
    REQUIRE(up(hospital, Message("3505", kHospital, "s2", "S2", kCode))["verdict"] == "block");
  }

  // The history once the daemon's background checkpoint covers every event (signed each second).
  Json ProvenHistory(HttpClient& c) {
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    while (true) {
      HttpResult r = c.Get(std::string("/v1/codes/") + kCode + "/history", Bearer(regulator));
      INFO(r.body);
      REQUIRE(r.status == 200);
      Json out = Json::parse(r.body)["output"];
      if (out["unproven_events"] == 0 && !out["checkpoint"].is_null()) return out;
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(200ms);
    }
  }
};

}  // namespace

TEST_CASE("regulator api: a code history whose proofs verify offline with verify-proof",
          "[regulator]") {
  Region reg;
  HttpClient c = reg.d.Client();
  const Json h = reg.ProvenHistory(c);
  REQUIRE(h["events"].size() == 3);
  CHECK(h["events"][0]["event"] == "receipt");
  CHECK(h["events"][2]["institution"]["code"] == kHospital);
  CHECK(h["events"][2]["verdict"] == "block");
  // The key in the answer is the ledger's own (as printed out of band by `drugtrace key`).
  const std::string key = DrugtraceOk({"key", "--db", reg.d.db()});
  CHECK(key.substr(0, key.find('\n')) == h["verifier_key"]);

  const std::string cp_file = reg.d.dir().file("cp.note");
  testsupport::WriteFile(cp_file, h["checkpoint"]["note"].get<std::string>());
  for (const Json& e : h["events"]) {
    const std::string proof_file = reg.d.dir().file("proof.json");
    testsupport::WriteFile(proof_file, e["proof"].dump());
    auto v = Drugtrace({"verify-proof", "--key", h["verifier_key"].get<std::string>(),
                        "--checkpoint", cp_file, proof_file});
    INFO(v.err);
    CHECK(v.exit_code == 0);
    CHECK(v.out.rfind("ok: entry " + std::to_string(e["ledger_index"].get<std::uint64_t>()), 0) ==
          0);
  }
  // The same proof claiming another position fails.
  Json forged = h["events"][1]["proof"];
  forged["leaf_index"] = h["events"][0]["ledger_index"];
  testsupport::WriteFile(reg.d.dir().file("forged.json"), forged.dump());
  auto bad = Drugtrace({"verify-proof", "--key", h["verifier_key"].get<std::string>(),
                        "--checkpoint", cp_file, reg.d.dir().file("forged.json")});
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("FAILED"));

  // The CLI gives the same history from the database after the daemon stopped.
  REQUIRE(reg.d.Stop() == 0);
  const Json cli = Json::parse(DrugtraceOk({"history", "--db", reg.d.db(), "--json", kCode}));
  REQUIRE(cli["events"].size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(cli["events"][i]["ledger_index"] == h["events"][i]["ledger_index"]);
    CHECK(cli["events"][i]["entry"] == h["events"][i]["entry"]);
  }
  CHECK_THAT(DrugtraceOk({"history", "--db", reg.d.db(), kCode}), Catch::Contains("CODE_RESOLD"));
}

TEST_CASE("regulator api: roles, region scope, bad input, report formats", "[regulator]") {
  Region reg;
  HttpClient c = reg.d.Client();
  const std::string history = std::string("/v1/codes/") + kCode + "/history";
  auto status = [&](const std::string& target, const std::string& token) {
    HttpResult r = token.empty() ? c.Get(target) : c.Get(target, Bearer(token));
    INFO(target << " -> " << r.status << " " << r.body);
    return r;
  };
  CHECK(status(history, "").status == 401);
  CHECK(status(history, reg.pharmacy).status == 403);
  CHECK(status("/v1/reports/coverage?month=2025-08", reg.hospital).status == 403);
  // The county regulator: the pack never touched 130821; another region's report is refused.
  HttpResult scoped = status(history, reg.county);
  CHECK(scoped.status == 403);
  CHECK_THAT(scoped.body, Catch::Contains("130821"));
  CHECK(status("/v1/reports/coverage?month=2025-08&region=130802", reg.county).status == 403);
  HttpResult own = status("/v1/reports/coverage?month=2025-08", reg.county);
  REQUIRE(own.status == 200);
  const Json own_report = Json::parse(own.body)["output"];
  CHECK(own_report["region"] == "130821");
  CHECK(own_report["empty"] == true);
  // Bad input.
  HttpResult bad_month = status("/v1/reports/coverage?month=2025-13", reg.regulator);
  CHECK(bad_month.status == 400);
  CHECK_THAT(bad_month.body, Catch::Contains("01..12"));
  CHECK(status("/v1/reports/coverage", reg.regulator).status == 400);
  HttpResult bad_code = status("/v1/codes/8100001/history", reg.regulator);
  CHECK(bad_code.status == 400);
  CHECK_THAT(bad_code.body, Catch::Contains("malformed"));
  HttpResult unknown = status("/v1/codes/81000010000000999999/history", reg.regulator);
  REQUIRE(unknown.status == 200);
  CHECK(Json::parse(unknown.body)["output"]["events"].empty());
  CHECK(status("/v1/codes/x/history", reg.regulator).status != 404);
  // A GS1 code in its parenthesised form, percent-encoded in the path.
  CHECK(status("/v1/codes/%2801%2912345678901231%2821%29Z9/history", reg.regulator).status == 200);
  // Formats.
  HttpResult csv = status("/v1/reports/coverage?month=2025-08&format=csv", reg.regulator);
  REQUIRE(csv.status == 200);
  CHECK_THAT(csv.Header("content-type").value_or(""), Catch::Contains("text/csv"));
  CHECK_THAT(csv.body, Catch::Contains("2025-08,P13080200001,"));
  HttpResult html = status("/v1/reports/coverage?month=2025-08&format=html", reg.regulator);
  REQUIRE(html.status == 200);
  CHECK_THAT(html.Header("content-type").value_or(""), Catch::Contains("text/html"));
  CHECK_THAT(html.body, Catch::Contains("<svg"));
  HttpResult json = status("/v1/reports/coverage?month=2025-08", reg.regulator);
  REQUIRE(json.status == 200);
  const Json report = Json::parse(json.body)["output"];
  CHECK(report["empty"] == false);
  CHECK(status("/v1/reports/coverage?month=2025-08&format=pdf", reg.regulator).status == 400);
  // The CLI refuses a malformed month too.
  reg.d.Stop();
  auto cli = Drugtrace({"report", "coverage", "--db", reg.d.db(), "--month", "2025/08"});
  CHECK(cli.exit_code == 1);
  CHECK_THAT(cli.err, Catch::Contains("YYYY-MM"));
}

TEST_CASE("regulator api: every query is recorded in the ledger with who, what and when",
          "[regulator]") {
  Region reg;
  HttpClient c = reg.d.Client();
  const std::string history = std::string("/v1/codes/") + kCode + "/history";
  const auto before = std::chrono::system_clock::now();
  REQUIRE(c.Get(history, Bearer(reg.regulator)).status == 200);
  REQUIRE(c.Get(history, Bearer(reg.county)).status == 403);
  REQUIRE(c.Get("/v1/reports/coverage?month=2025-13", Bearer(reg.regulator)).status == 400);
  REQUIRE(c.Get(history, Bearer(reg.pharmacy)).status == 403);
  REQUIRE(c.Get(history).status == 401);  // no one to name: not recorded
  REQUIRE(reg.d.Stop() == 0);

  const Json audit = Json::parse(DrugtraceOk({"audit", "--db", reg.d.db(), "--json"}));
  REQUIRE(audit.size() == 4);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(before.time_since_epoch()).count();
  for (const Json& a : audit) {
    CHECK(a["kind"] == "audit");
    CHECK(a["time_ms"].get<std::int64_t>() >= ms - 1000);
    CHECK(a["token_id"].get<std::string>().size() == 8);
  }
  CHECK(audit[0]["status"] == 200);
  CHECK(audit[0]["target"] == history);
  CHECK(audit[0]["route"] == "/v1/codes/{}/history");
  CHECK(audit[0]["role"] == "regulator");
  CHECK(audit[1]["status"] == 403);
  CHECK(audit[1]["region"] == "130821");
  CHECK(audit[1]["label"] == "县医保局 稽查");
  CHECK(audit[2]["status"] == 400);
  CHECK(audit[2]["target"] == "/v1/reports/coverage?month=2025-13");
  CHECK(audit[3]["role"] == "terminal");
  // They are ledger entries of type 4, covered by the chain like everything else.
  int type4 = 0;
  for (const auto& e : reg.d.Export()) type4 += e.type == 4 && e.kind() == "audit";
  CHECK(type4 == 4);
  CHECK(reg.d.Verify().exit_code == 0);
  // --since filters by time.
  const Json none =
      Json::parse(DrugtraceOk({"audit", "--db", reg.d.db(), "--json", "--since", "2999-01-01"}));
  CHECK(none.empty());
  CHECK_THAT(DrugtraceOk({"audit", "--db", reg.d.db()}), Catch::Contains("/v1/codes/"));
}
