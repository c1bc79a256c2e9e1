// Code histories (ingest::CodeHistory): every event of a pack across institutions, in ledger order,
// with the verdict given, and each entry proved against the latest signed checkpoint.
#include <catch2/catch.hpp>

#include "ingest/proof_json.h"
#include "ledger/checkpoint.h"
#include "ledger/hash.h"
#include "ledger/note.h"
#include "regulator_fixture.h"

namespace {

using regtest::Code;
using regtest::Fixture;
using regtest::Json;
using regtest::Row;

// Opens the history's checkpoint with its own key, as an offline verifier would.
ledger::Checkpoint OpenCheckpoint(const Json& h) {
  auto key = ledger::VerifierKey::Parse(h["verifier_key"].get<std::string>());
  REQUIRE(key.ok());
  auto text = ledger::OpenNote(h["checkpoint"]["note"].get<std::string>(), *key);
  REQUIRE(text.ok());
  auto cp = ledger::Checkpoint::Parse(*text);
  REQUIRE(cp.ok());
  return *cp;
}

// Receipt and sale at the pharmacy, then the same box offered for sale at the hospital (回流).
void ResoldPack(Fixture& f, const std::string& code) {
  f.Send(regtest::kPharmacy, {{.infno = "3503", .bchno = "R1", .codes = {code}}});
  f.Send(regtest::kPharmacy, {{.bchno = "S1", .codes = {code}}});
  auto rows = f.Send(regtest::kHospital, {{.bchno = "S9", .codes = {code}}});
  REQUIRE(rows[0]["verdict"] == "block");
}

}  // namespace

TEST_CASE("history: a resold pack's events in ledger order, each proved", "[history]") {
  Fixture f;
  ResoldPack(f, Code(1));
  f.Send(regtest::kPharmacy, {{.bchno = "S2", .codes = {Code(2)}}});  // another pack
  f.Checkpoint();
  auto ctx = f.Reader();
  // A keyboard-wedge scan with whitespace around it names the same pack.
  ingest::ApiResult r = ingest::CodeHistory(*ctx, " " + Code(1) + "\r\n", "");
  REQUIRE(r.status == 200);
  const Json& h = r.output;
  REQUIRE(h["identity"] == "M" + Code(1));
  REQUIRE(h["events"].size() == 3);
  CHECK(h["events"][0]["event"] == "receipt");
  CHECK(h["events"][1]["event"] == "sale");
  CHECK(h["events"][2]["event"] == "sale");
  CHECK(h["events"][0]["verdict"] == "ok");
  CHECK(h["events"][1]["verdict"] == "ok");
  CHECK(h["events"][2]["verdict"] == "block");
  CHECK(h["events"][2]["findings"][0]["rule"] == "CODE_RESOLD");
  CHECK(h["events"][1]["institution"]["name"] == "康宁大药房");
  CHECK(h["events"][1]["institution"]["class"] == "retail_pharmacy");
  CHECK(h["events"][2]["institution"]["name"] == "承德市中心医院");
  CHECK(h["events"][2]["drug"]["name"] == "阿卡波糖片 50mg×30片");
  CHECK(h["withheld_events"] == 0);
  CHECK(h["unproven_events"] == 0);

  const ledger::Checkpoint cp = OpenCheckpoint(h);
  CHECK(cp.size == f.ledger->size());
  std::uint64_t last = 0;
  for (const Json& e : h["events"]) {
    const std::uint64_t index = e["ledger_index"];
    CHECK(index >= last);
    last = index;
    auto stored = f.ledger->Get(index);
    REQUIRE(stored.ok());
    CHECK(ledger::Base64Decode(e["entry"].get<std::string>()) == stored->bytes);
    CHECK(ingest::VerifyProofJson(e["proof"], cp, nullptr).ok());
  }
  // A proof whose entry bytes were altered no longer verifies.
  Json forged = h["events"][1]["proof"];
  std::string bytes = *ledger::Base64Decode(forged["entry"].get<std::string>());
  bytes.replace(bytes.find("\"ok\""), 4, "\"no\"");
  forged["entry"] = ledger::Base64Encode(ledger::AsBytes(bytes));
  CHECK_FALSE(ingest::VerifyProofJson(forged, cp, nullptr).ok());
}

TEST_CASE("history: any scanned form of a GS1 pack names the same history", "[history]") {
  Fixture f;
  const std::string drug = "XC09CAV119A001010104532";  // 缬沙坦胶囊, GTIN 12345678901231
  f.Send(regtest::kPharmacy,
         {{.bchno = "S1", .drug = drug, .codes = {"(01)12345678901231(21)SER1"}}});
  f.Checkpoint();
  auto ctx = f.Reader();
  auto a = ingest::CodeHistory(*ctx, "(01)12345678901231(21)SER1", "");
  auto b = ingest::CodeHistory(*ctx, "]d2011234567890123121SER1", "");
  REQUIRE(a.status == 200);
  REQUIRE(b.status == 200);
  CHECK(a.output["identity"] == b.output["identity"]);
  REQUIRE(b.output["events"].size() == 1);
  CHECK(b.output["product_drug"]["med_list_codg"] == drug);
}

TEST_CASE("history: unknown code is empty, malformed code is a 400 naming the problem",
          "[history]") {
  Fixture f;
  f.Checkpoint();
  auto ctx = f.Reader();
  auto unknown = ingest::CodeHistory(*ctx, Code(42), "");
  REQUIRE(unknown.status == 200);
  CHECK(unknown.output["events"].empty());
  auto short_code = ingest::CodeHistory(*ctx, "8100001000000000001", "");  // 19 digits
  CHECK(short_code.status == 400);
  CHECK_THAT(short_code.error, Catch::Contains("malformed"));
  auto ean = ingest::CodeHistory(*ctx, "6901234567892", "");
  CHECK(ean.status == 400);
  CHECK_THAT(ean.error, Catch::Contains("product barcode"));
  auto no_serial = ingest::CodeHistory(*ctx, "(01)12345678901231(17)251231(10)L1", "");
  CHECK(no_serial.status == 400);
  CHECK_THAT(no_serial.error, Catch::Contains("serial"));
}

TEST_CASE("history: region scope withholds other regions' events, refuses a pack never seen",
          "[history]") {
  Fixture f;
  ResoldPack(f, Code(1));  // all in 130802
  f.Send(regtest::kCounty, {{.infno = "3503", .bchno = "R7", .codes = {Code(7)}}});  // 130821
  f.Send(regtest::kCounty, {{.bchno = "S7", .codes = {Code(7)}}});
  f.Send(regtest::kPharmacy, {{.bchno = "S8", .codes = {Code(7)}}});  // resold in 130802
  f.Checkpoint();
  auto ctx = f.Reader();
  // Limited to the county: the pharmacy's pack was never there.
  auto refused = ingest::CodeHistory(*ctx, Code(1), "130821");
  CHECK(refused.status == 403);
  // The city covers both districts.
  auto city = ingest::CodeHistory(*ctx, Code(1), "130800");
  REQUIRE(city.status == 200);
  CHECK(city.output["events"].size() == 3);
  // A pack that crossed regions: the county sees its own two events, the third is withheld.
  auto county = ingest::CodeHistory(*ctx, Code(7), "130821");
  REQUIRE(county.status == 200);
  CHECK(county.output["events"].size() == 2);
  CHECK(county.output["withheld_events"] == 1);
  // An unknown pack stays an empty answer, not a refusal.
  CHECK(ingest::CodeHistory(*ctx, Code(99), "130821").status == 200);
}

TEST_CASE("history: voids, returns and events after the checkpoint", "[history]") {
  Fixture f;
  f.Send(regtest::kPharmacy, {{.bchno = "S1", .codes = {Code(3)}}});
  f.Send(regtest::kPharmacy,
         {{.infno = "3506", .bchno = "T1", .codes = {Code(3)}, .returns = "S1"}});
  f.Checkpoint();
  f.Send(regtest::kPharmacy, {{.infno = "3507", .bchno = "T1"}});
  auto ctx = f.Reader();
  auto r = ingest::CodeHistory(*ctx, Code(3), "");
  REQUIRE(r.status == 200);
  const Json& ev = r.output["events"];
  REQUIRE(ev.size() == 3);
  CHECK(ev[0]["event"] == "sale");
  CHECK(ev[1]["event"] == "sale_return");
  CHECK(ev[2]["event"] == "void");
  CHECK(ev[2]["proof"].is_null());  // recorded after the latest checkpoint
  CHECK(r.output["unproven_events"] == 1);
  CHECK_FALSE(ev[1]["proof"].is_null());
}
