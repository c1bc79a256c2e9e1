// The real binary: `drugtrace suspects` in its three formats, `case show|act`, and clear errors.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/sales.h"
#include "support/temp_dir.h"

using nlohmann::json;
using testsupport::Drugtrace;
using testsupport::ProcessResult;

namespace {

void ExpectError(const ProcessResult& r, const std::string& fragment) {
  INFO("stderr: " << r.err << "\nstdout: " << r.out);
  CHECK(r.exit_code != 0);
  CHECK(r.exit_code != -1);
  CHECK(r.err.find(fragment) != std::string::npos);
  CHECK(r.out.empty());
}

// The example region's pharmacy sells two boxes with insurance; the hospital H13080200003 then
// "receives" them (a collector), and the pharmacy sells one of them again.
struct CliRing {
  testsupport::TempDir dir;
  std::string db = dir.file("l.db");
  CliRing() {
    REQUIRE(Drugtrace({"init", "--db", db}).exit_code == 0);
    auto ref =
        Drugtrace({"refdata", "import", "--db", db,
                   std::string(DRUGTRACE_SOURCE_DIR) + "/schemas/examples/refdata.example.json"});
    REQUIRE(ref.exit_code == 0);
    const std::vector<std::string> codes = {"81000010000000000001", "81000010000000000002"};
    std::string nd;
    nd += testsupport::UploadMessage("3503", "m1", "P13080200001",
                                     testsupport::ReceiptRow("R1", codes))
              .dump() +
          "\n";
    nd +=
        testsupport::UploadMessage("3505", "m2", "P13080200001",
                                   testsupport::InsuredSaleRow("S1", codes, "2025-08-02 10:00:00"))
            .dump() +
        "\n";
    nd += testsupport::UploadMessage("3503", "m3", "H13080200003",
                                     testsupport::ReceiptRow("R2", codes))
              .dump() +
          "\n";
    nd += testsupport::UploadMessage(
              "3505", "m4", "P13080200001",
              testsupport::InsuredSaleRow("S2", {codes[0]}, "2025-08-09 10:00:00"))
              .dump() +
          "\n";
    testsupport::WriteFile(dir.file("m.ndjson"), nd);
    auto ing = Drugtrace({"ingest", "--db", db, dir.file("m.ndjson")});
    INFO(ing.err << ing.out);
    REQUIRE(ing.exit_code == 0);
  }
  json Cases() {
    auto r = Drugtrace({"suspects", "--db", db, "--format", "json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
  }
  std::string IdOf(const std::string& type) {
    const json all = Cases();
    for (const auto& c : all["cases"]) {
      if (c["type"] == type) return c["id"].get<std::string>();
    }
    FAIL("no case of type " << type);
    return "";
  }
};

}  // namespace

TEST_CASE("cli suspects: table, json and csv list the same ranked cases", "[suspects]") {
  CliRing ring;
  json j = ring.Cases();
  REQUIRE(j["count"].get<int>() >= 3);
  std::vector<std::string> types;
  for (const auto& c : j["cases"]) types.push_back(c["type"].get<std::string>());
  CHECK(std::count(types.begin(), types.end(), "collector") == 1);
  CHECK(std::count(types.begin(), types.end(), "code_reuse") == 1);
  CHECK(std::count(types.begin(), types.end(), "patient_returned") == 1);
  for (std::size_t i = 1; i < j["cases"].size(); ++i) {
    CHECK(j["cases"][i - 1]["amount_at_risk_fen"].get<std::int64_t>() >=
          j["cases"][i]["amount_at_risk_fen"].get<std::int64_t>());
  }

  auto csv = Drugtrace({"suspects", "--db", ring.db, "--format", "csv"});
  REQUIRE(csv.exit_code == 0);
  CHECK(csv.out.rfind("case_id,type,month,status,", 0) == 0);
  CHECK(static_cast<std::size_t>(std::count(csv.out.begin(), csv.out.end(), '\n')) ==
        j["cases"].size() + 1);
  const std::string collector = ring.IdOf("collector");
  // The collector line: both boxes P1 sold with insurance (2 x 36.50), evidence entries listed.
  CHECK(csv.out.find(collector + ",collector,2025-08,open,73.00,73.00,0.00,2,H13080200003;"
                                 "P13080200001,") != std::string::npos);

  auto table = Drugtrace({"suspects", "--db", ring.db});
  REQUIRE(table.exit_code == 0);
  CHECK(table.out.find(collector) != std::string::npos);

  auto filtered = Drugtrace({"suspects", "--db", ring.db, "--type", "collector", "--from",
                             "2025-08-01", "--to", "2025-08-31", "--format", "json"});
  REQUIRE(filtered.exit_code == 0);
  CHECK(json::parse(filtered.out)["count"] == 1);
  auto other_region =
      Drugtrace({"suspects", "--db", ring.db, "--region", "130821", "--format", "json"});
  REQUIRE(other_region.exit_code == 0);
  CHECK(json::parse(other_region.out)["count"] == 0);
}

TEST_CASE("cli suspects: bad dates, types and unknown cases give one clear error", "[suspects]") {
  CliRing ring;
  ExpectError(
      Drugtrace({"suspects", "--db", ring.db, "--from", "2025-13-01", "--to", "2025-08-31"}),
      "--from \"2025-13-01\" is not a date");
  ExpectError(Drugtrace({"suspects", "--db", ring.db, "--from", "2025-08-01"}),
              "--from and --to together");
  ExpectError(
      Drugtrace({"suspects", "--db", ring.db, "--from", "2025-09-01", "--to", "2025-08-01"}),
      "is after --to");
  ExpectError(Drugtrace({"suspects", "--db", ring.db, "--type", "fraud"}), "--type \"fraud\"");
  ExpectError(Drugtrace({"case", "show", "--db", ring.db, "collector-202508-000000000000"}),
              "no case collector-202508-000000000000");
  ExpectError(Drugtrace({"case", "show", "--db", ring.db, "42"}), "is malformed");
  ExpectError(Drugtrace({"case", "act", "--db", ring.db, "resale-202508-0123456789ab", "--action",
                         "investigate", "--actor", "x"}),
              "no case resale-202508-0123456789ab");
  ExpectError(Drugtrace({"suspects", "--db", ring.dir.file("missing.db")}), "missing.db");
}

TEST_CASE("cli case: act moves a case through its workflow, show lists the history", "[suspects]") {
  CliRing ring;
  const std::string id = ring.IdOf("collector");
  auto refused = Drugtrace({"case", "act", "--db", ring.db, id, "--action", "confirm", "--actor",
                            "张科长", "--reason", "r"});
  ExpectError(refused, "is open: confirm is allowed only from investigating");
  auto inv = Drugtrace({"case", "act", "--db", ring.db, id, "--action", "investigate", "--actor",
                        "张科长", "--reason", "核查"});
  INFO(inv.err);
  REQUIRE(inv.exit_code == 0);
  CHECK(inv.out.find("open -> investigating") != std::string::npos);
  ExpectError(Drugtrace({"case", "act", "--db", ring.db, id, "--action", "confirm", "--actor",
                         "张科长", "--reason", "r", "--recovered", "12.345"}),
              "not an amount in yuan");
  auto confirm = Drugtrace({"case", "act", "--db", ring.db, id, "--action", "confirm", "--actor",
                            "张科长", "--reason", "承认收购", "--recovered", "73"});
  REQUIRE(confirm.exit_code == 0);

  auto show = Drugtrace({"case", "show", "--db", ring.db, id, "--format", "json"});
  REQUIRE(show.exit_code == 0);
  json c = json::parse(show.out);
  CHECK(c["status"] == "confirmed");
  CHECK(c["recovered_fen"] == 7300);
  REQUIRE(c["history"].size() == 2);
  CHECK(c["history"][1]["reason"] == "承认收购");
  auto table = Drugtrace({"case", "show", "--db", ring.db, id});
  REQUIRE(table.exit_code == 0);
  CHECK(table.out.find("investigate by 张科长") != std::string::npos);

  auto listed =
      Drugtrace({"suspects", "--db", ring.db, "--status", "confirmed", "--format", "json"});
  REQUIRE(listed.exit_code == 0);
  CHECK(json::parse(listed.out)["cases"][0]["id"] == id);
  auto verify = Drugtrace({"verify", "--db", ring.db});
  INFO(verify.err);
  CHECK(verify.exit_code == 0);
}
