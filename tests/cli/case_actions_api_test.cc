// POST /v1/cases/{id}/actions and GET /v1/whoami against the real `drugtrace serve`: the workflow
// over HTTP, clear 4xx for bad bodies and illegal transitions, region scope, the officer's
// identity in the ledger, the audit entries, the security headers on API answers, and
// `serve --console-public-key`.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/daemon.h"
#include "support/http_client.h"
#include "support/process.h"
#include "support/sales.h"

namespace {

using Json = nlohmann::json;
using testsupport::Bearer;
using testsupport::DaemonFixture;
using testsupport::DrugtraceOk;
using testsupport::HttpClient;
using testsupport::HttpResult;
using testsupport::kHospital;
using testsupport::kPharmacy;

// The pharmacy sells two boxes with insurance; the hospital then "receives" them: a collector
// case at the hospital (region 130802).
struct Ring {
  DaemonFixture d;
  std::string regulator, county, terminal;
  HttpClient c;
  std::string collector;

  explicit Ring(const std::vector<std::string>& serve_args = {}) : c("127.0.0.1", 0) {
    terminal = d.CreateToken("terminal", kPharmacy).secret;
    const std::string hospital = d.CreateToken("terminal", kHospital).secret;
    regulator = Label(DrugtraceOk(
        {"token", "create", "--db", d.db(), "--role", "regulator", "--label", "市医保局 张科长"}));
    county = Label(DrugtraceOk({"token", "create", "--db", d.db(), "--role", "regulator",
                                "--region", "130821", "--label", "县医保局"}));
    d.Start(serve_args);
    c = d.Client();
    const std::vector<std::string> codes = {"81000010000000555001", "81000010000000555002"};
    Upload(terminal, testsupport::UploadMessage("3503", "m1", kPharmacy,
                                                testsupport::ReceiptRow("R1", codes)));
    Upload(terminal, testsupport::UploadMessage("3505", "m2", kPharmacy,
                                                testsupport::InsuredSaleRow("S1", codes)));
    Upload(hospital, testsupport::UploadMessage("3503", "m3", kHospital,
                                                testsupport::ReceiptRow("R2", codes)));
    HttpResult r = c.Get("/v1/suspects?type=collector", Bearer(regulator));
    INFO(r.body);
    REQUIRE(r.status == 200);
    const Json cases = Json::parse(r.body)["output"]["cases"];
    REQUIRE(cases.size() == 1);
    collector = cases[0]["id"].get<std::string>();
  }
  static std::string Label(const std::string& out) { return out.substr(0, out.find('\n')); }
  void Upload(const std::string& token, const Json& m) {
    HttpResult r = c.Post("/v1/upload", m.dump(), Bearer(token));
    INFO(r.body);
    REQUIRE(r.status == 200);
  }
  HttpResult Act(const std::string& token, const std::string& body, const std::string& id = "") {
    return c.Post("/v1/cases/" + (id.empty() ? collector : id) + "/actions", body, Bearer(token));
  }
};

void ExpectError(const HttpResult& r, int status, const std::string& fragment) {
  INFO(r.body);
  CHECK(r.status == status);
  const Json j = Json::parse(r.body);
  CHECK(j["infcode"] == -1);
  CHECK(j["err_msg"].get<std::string>().find(fragment) != std::string::npos);
}

}  // namespace

TEST_CASE("case actions api: the workflow over HTTP, recorded with the officer and audited",
          "[regulator]") {
  Ring ring;
  HttpResult inv = ring.Act(ring.regulator, R"({"action":"investigate","reason":"核查"})");
  INFO(inv.body);
  REQUIRE(inv.status == 200);
  const Json out = Json::parse(inv.body)["output"];
  CHECK(out["case_id"] == ring.collector);
  CHECK(out["status_before"] == "open");
  CHECK(out["status_after"] == "investigating");
  const std::string actor = out["actor"].get<std::string>();
  CHECK(actor.find("市医保局 张科长") != std::string::npos);
  CHECK(actor.find("(token ") != std::string::npos);

  ExpectError(ring.Act(ring.regulator, R"({"action":"investigate"})"), 409,
              "investigate is allowed only from open");
  ExpectError(ring.Act(ring.regulator, R"({"action":"confirm"})"), 400, "confirm needs a reason");
  ExpectError(ring.Act(ring.regulator, R"({"action":"confirm","reason":"r","recovered_fen":1.5})"),
              400, "recovered_fen");
  ExpectError(ring.Act(ring.regulator, R"({"action":"close","reason":"r"})"), 400,
              "action \"close\" is unknown");
  ExpectError(ring.Act(ring.regulator, R"({"action":"confirm","why":"r"})"), 400,
              "unknown field \"why\"");
  ExpectError(ring.Act(ring.regulator, R"({"reason":"r"})"), 400, "action: missing");
  ExpectError(ring.Act(ring.regulator, "not json"), 400, "body: not JSON");
  ExpectError(ring.Act(ring.regulator, "[1]"), 400, "must be a JSON object");
  ExpectError(ring.Act(ring.regulator, R"({"action":"assign","assignee":7})"), 400,
              "assignee: must be a string");
  ExpectError(ring.Act(ring.regulator, R"({"action":"annotate","reason":"r"})",
                       "collector-202508-000000000000"),
              404, "no case collector-202508-000000000000");
  ExpectError(ring.Act(ring.regulator, R"({"action":"annotate","reason":"r"})", "42"), 400,
              "is malformed");
  ExpectError(ring.c.Get("/v1/cases/" + ring.collector + "/actions", Bearer(ring.regulator)), 405,
              "use POST");
  ExpectError(ring.Act(ring.terminal, R"({"action":"annotate","reason":"r"})"), 403,
              "terminal tokens");
  ExpectError(ring.Act(ring.county, R"({"action":"annotate","reason":"r"})"), 403,
              "outside this token's region 130821");
  ExpectError(ring.c.Get("/v1/cases/" + ring.collector, Bearer(ring.county)), 403,
              "outside this token's region");
  HttpResult anon = ring.c.Post("/v1/cases/" + ring.collector + "/actions",
                                R"({"action":"annotate","reason":"r"})");
  CHECK(anon.status == 401);

  REQUIRE(ring.Act(ring.regulator, R"({"action":"assign","assignee":"李稽查"})").status == 200);
  HttpResult confirm =
      ring.Act(ring.regulator, R"({"action":"confirm","reason":"承认收购","recovered_fen":7300})");
  INFO(confirm.body);
  REQUIRE(confirm.status == 200);

  HttpResult shown = ring.c.Get("/v1/cases/" + ring.collector, Bearer(ring.regulator));
  REQUIRE(shown.status == 200);
  const Json c = Json::parse(shown.body)["output"];
  CHECK(c["status"] == "confirmed");
  CHECK(c["assignee"] == "李稽查");
  CHECK(c["recovered_fen"] == 7300);
  REQUIRE(c["history"].size() == 3);
  CHECK(c["history"][0]["action"] == "investigate");
  CHECK(c["history"][2]["reason"] == "承认收购");
  CHECK(c["history"][2]["actor"] == actor);

  REQUIRE(ring.d.Stop() == 0);
  CHECK(ring.d.Verify().exit_code == 0);
  // Each accepted action is a case_action entry, followed by the audit entry of its request;
  // refused requests are audited with their status and record no action.
  int actions = 0, audited_ok = 0, audited_conflict = 0;
  std::uint64_t last_action = 0;
  for (const auto& e : ring.d.Export()) {
    if (e.kind() == "case_action") {
      ++actions;
      last_action = e.index;
      CHECK(e.entry["actor"] == actor);
    }
    if (e.kind() == "audit" && e.entry["route"] == "/v1/cases/{}/actions") {
      if (e.entry["status"] == 200) {
        ++audited_ok;
        CHECK(e.index > last_action);
        CHECK(e.entry["method"] == "POST");
      }
      if (e.entry["status"] == 409) ++audited_conflict;
    }
  }
  CHECK(actions == 3);
  CHECK(audited_ok == 3);
  CHECK(audited_conflict == 1);
}

TEST_CASE("case actions api: whoami, security headers on API answers, the console key",
          "[regulator]") {
  DaemonFixture other;
  const std::string other_key = DrugtraceOk({"key", "--db", other.db()});
  const std::string key_file = other.dir().file("console.pub");
  testsupport::WriteFile(key_file, other_key);

  DaemonFixture d;
  const std::string own_key = DrugtraceOk({"key", "--db", d.db()});
  const std::string regulator =
      Ring::Label(DrugtraceOk({"token", "create", "--db", d.db(), "--role", "regulator", "--region",
                               "130800", "--label", "市局"}));
  const std::string terminal = d.CreateToken("terminal", kPharmacy).secret;
  d.Start();
  HttpClient c = d.Client();
  HttpResult who = c.Get("/v1/whoami", Bearer(regulator));
  INFO(who.body);
  REQUIRE(who.status == 200);
  Json j = Json::parse(who.body)["output"];
  CHECK(j["role"] == "regulator");
  CHECK(j["label"] == "市局");
  CHECK(j["region"] == "130800");
  CHECK(j["verifier_key"].get<std::string>() + "\n" == own_key);
  ExpectError(c.Get("/v1/whoami", Bearer(terminal)), 403, "terminal tokens");

  for (const char* target : {"/v1/whoami", "/healthz", "/v1/nothing", "/"}) {
    HttpResult r = c.Get(target, Bearer(regulator));
    INFO(target);
    CHECK(r.Header("content-security-policy").value_or("").find("connect-src 'self'") !=
          std::string::npos);
    CHECK(r.Header("content-security-policy").value_or("").find("frame-ancestors 'none'") !=
          std::string::npos);
    CHECK(r.Header("x-content-type-options") == "nosniff");
    CHECK(r.Header("referrer-policy") == "no-referrer");
  }
  REQUIRE(d.Stop() == 0);

  d.Start({"--console-public-key", key_file});
  HttpClient c2 = d.Client();
  who = c2.Get("/v1/whoami", Bearer(regulator));
  REQUIRE(who.status == 200);
  CHECK(Json::parse(who.body)["output"]["verifier_key"].get<std::string>() + "\n" == other_key);
  CHECK(d.Stderr().find("fingerprint (SHA-256)") != std::string::npos);
  REQUIRE(d.Stop() == 0);

  testsupport::WriteFile(key_file, "not a key\n");
  auto bad = testsupport::Drugtrace(
      {"serve", "--db", d.db(), "--listen", "127.0.0.1:0", "--console-public-key", key_file});
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find("--console-public-key") != std::string::npos);
}

TEST_CASE("institution month api: verdict mix, findings and drugs sold without codes",
          "[regulator]") {
  Ring ring;
  // A sale of a code-required drug the pharmacy declared no 无码库 stock of, without any code:
  // CODE_MISSING.
  Json uncoded = testsupport::InsuredSaleRow("S9", {});
  uncoded.erase("drugtracinfo");
  uncoded["sel_retn_cnt"] = "1";
  uncoded["med_list_codg"] = "XC09CAV119A001010104532";
  ring.Upload(ring.terminal, testsupport::UploadMessage("3505", "m9", kPharmacy, uncoded));

  HttpResult r = ring.c.Get(std::string("/v1/institutions/") + kPharmacy + "/month?month=2025-08",
                            Bearer(ring.regulator));
  INFO(r.body);
  REQUIRE(r.status == 200);
  const Json out = Json::parse(r.body)["output"];
  CHECK(out["month"] == "2025-08");
  CHECK(out["institution"]["name"] == "康宁大药房");
  CHECK(out["institution"]["class"] == "retail_pharmacy");
  const Json& v = out["verdicts"];
  // The coded sale S1 was accepted; the uncoded sale S9 was warned or blocked.
  CHECK(v["ok"] == 1);
  CHECK(v["warn"].get<int>() + v["block"].get<int>() == 1);
  bool missing_finding = false;
  for (const auto& f : out["findings"]) missing_finding |= f["rule"] == "CODE_MISSING";
  CHECK(missing_finding);
  REQUIRE(out["missing_code_drugs"].size() == 1);
  CHECK(out["missing_code_drugs"][0]["med_list_codg"] == "XC09CAV119A001010104532");
  CHECK(out["missing_code_drugs"][0]["name"] == "缬沙坦胶囊 80mg×7粒");
  CHECK(out["missing_code_drugs"][0]["infno"] == "3505");
  CHECK(out["missing_code_drugs"][0]["rows"] == 1);

  HttpResult other =
      ring.c.Get(std::string("/v1/institutions/") + kHospital + "/month?month=2025-08",
                 Bearer(ring.regulator));
  REQUIRE(other.status == 200);
  CHECK(Json::parse(other.body)["output"]["missing_code_drugs"].empty());
  ExpectError(ring.c.Get(std::string("/v1/institutions/") + kPharmacy + "/month?month=2025-13",
                         Bearer(ring.regulator)),
              400, "month");
  ExpectError(
      ring.c.Get(std::string("/v1/institutions/") + kPharmacy + "/month", Bearer(ring.regulator)),
      400, "month: missing");
  ExpectError(ring.c.Get(std::string("/v1/institutions/") + kPharmacy + "/month?month=2025-08",
                         Bearer(ring.county)),
              403, "outside this token's region 130821");
}
