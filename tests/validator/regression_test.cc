// Regression tests for the bugs found in the validator review; each is named after the bug it pins.
#include <catch2/catch.hpp>
#include <limits>

#include "validator_fixture.h"

using namespace vt;

namespace {

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const CivilSeconds kFeb = At("2025-02-01 10:00:00");  // before every enforcement date
// Drug A's EAN-13 as a GTIN-14 in a GS1 DataMatrix: "0" + EAN-13 (same check digit).
const std::string kGtinA = "0" + kEanA;

}  // namespace

TEST_CASE("Regression: a code without a serial told the pharmacist only 'not a pack code'",
          "[regression]") {
  Sim sim;
  for (const std::string& code : {std::string("(01)12345678901231(17)251231(10)LOT1"),
                                  std::string("MA.156.M0.100003.1000001")}) {
    INFO(code);
    const Judgement j = sim.Run(Sale(kP1, {code}, kFeb, kDrugB));
    const Finding* f = Get(j, RuleId::kCodeMalformed);
    REQUIRE(f != nullptr);
    CHECK(Contains(f->message_zh, "序列号"));
    CHECK(Contains(f->message_zh, "不能作为追溯码"));
    CHECK(Contains(f->message_en, "serial"));
    CHECK_FALSE(Contains(f->message_zh, "not a pack code"));
    CHECK_FALSE(Contains(f->message_zh, "第 1 位"));
  }
}

TEST_CASE("Regression: CODE_MALFORMED gave the pharmacist only the parser's English reason",
          "[regression]") {
  Sim sim;
  const struct {
    std::string code;
    std::string hint;
  } cases[] = {
      {"8100001000000001123", "共 19 位数字"},
      {"71000010000000011234", "应以 8 开头"},
      {"81000\xef\xbc\x91"
       "0000000011234",
       "半角"},
      {"8100001000 0000011234", "空格"},
  };
  for (const auto& c : cases) {
    INFO(c.code);
    const Judgement j = sim.Run(Sale(kP1, {c.code}, kFeb));
    const Finding* f = Get(j, RuleId::kCodeMalformed);
    REQUIRE(f != nullptr);
    CHECK(Contains(f->message_zh, c.hint));
    CHECK(Contains(f->message_zh, "请重新扫码"));
  }
}

TEST_CASE("Regression: CODE_MISSING said no code was sent when invalid codes were sent",
          "[regression]") {
  Sim sim;
  const Judgement bad = sim.Run(Sale(kP1, {"ABC", kEanA}));
  const Finding* f = Get(bad, RuleId::kCodeMissing);
  REQUIRE(f != nullptr);
  CHECK(Contains(f->message_zh, "都不是有效的追溯码"));
  CHECK(f->severity == Severity::kBlock);
  const Judgement none = sim.Run(Sale(kP1, {}));
  CHECK(Contains(Get(none, RuleId::kCodeMissing)->message_zh, "未上传追溯码"));
  const Judgement short_row =
      sim.Run(MakeRow(Interface::kSale, kP1, kDrugA, "2", {CodeA(1), CodeA(1)}, kFeb));
  const Finding* s = Get(short_row, RuleId::kCodeCountShort);
  REQUIRE(s != nullptr);
  CHECK(Contains(s->message_zh, "1 个无效或重复的码不计"));
}

TEST_CASE("Regression: VOID_CONFLICT fired for a pack the voided row had not moved",
          "[regression]") {
  SECTION("duplicate scan across the message") {
    Sim sim;
    sim.RunMessage(
        {WithBchno(Sale(kP1, {CodeA(1)}), "S1"),
         WithBchno(MakeRow(Interface::kSale, kP1, kDrugA, "1", {CodeA(1), CodeA(2)}), "S2")});
    const Judgement j = sim.Run(VoidOf(kP1, "S2"));
    INFO(Describe(j));
    CHECK(j.findings.empty());
    REQUIRE(j.updates.size() == 1);
    CHECK(j.updates[0].identity == ParseCode(CodeA(2)).identity);
    CHECK(sim.State(CodeA(1))->status == PackStatus::kDispensed);
  }
  SECTION("a refused sale return") {
    Sim sim;
    sim.Run(Receipt(kP1, {CodeA(1)}));
    sim.Run(WithBchno(SaleReturn(kP1, {CodeA(1)}), "X1"));  // RETURN_WITHOUT_SALE, no move
    const Judgement j = sim.Run(VoidOf(kP1, "X1"));
    INFO(Describe(j));
    CHECK(j.findings.empty());
    CHECK(j.updates.empty());
    CHECK(sim.State(CodeA(1))->status == PackStatus::kInStock);
  }
  SECTION("inventory of stock already on the books") {
    Sim sim;
    sim.Run(Receipt(kP1, {CodeA(1)}));
    sim.Run(WithBchno(MakeRow(Interface::kInventory, kP1, kDrugA, "1", {CodeA(1)}), "I1"));
    const Judgement j = sim.Run(VoidOf(kP1, "I1"));
    CHECK(j.findings.empty());
    CHECK(j.updates.empty());
  }
  SECTION("a pack moved by a later row still conflicts") {
    Sim sim;
    sim.Run(WithBchno(Receipt(kP1, {CodeA(1)}), "R1"));
    sim.Run(Sale(kP1, {CodeA(1)}));
    const Judgement j = sim.Run(VoidOf(kP1, "R1"));
    CHECK(Has(j, RuleId::kVoidConflict));
    CHECK(j.updates.empty());
  }
}

TEST_CASE("Regression: a GS1 GTIN-14 did not find the drug the catalogue lists by its EAN-13",
          "[regression]") {
  const RefData ref = MakeRef();
  CHECK(ref.FindDrugByProduct(kGtinA) == ref.FindDrug(kDrugA));
  CHECK(ref.FindDrugByProduct(kEanA) == ref.FindDrug(kDrugA));
  CHECK(ref.FindDrugByProduct("8100001") == ref.FindDrug(kDrugA));
  CHECK(ref.FindDrugByProduct("16901234567899") == nullptr);  // a case of A: another trade item

  RefData by_gtin;  // the catalogue lists the GTIN-14; a product barcode scan finds it too
  REQUIRE(by_gtin.AddDrug({"D1", "d", true, "", 10, {kGtinA}}));
  CHECK(by_gtin.FindDrugByProduct(kEanA) == by_gtin.FindDrug("D1"));
  CHECK(by_gtin.AddDrug(
      {"D2", "both forms of one product", true, "", 10, {"6901234567885", "06901234567885"}}));
  CHECK_FALSE(by_gtin.AddDrug({"D3", "D1's product as EAN-13", true, "", 10, {kEanA}}));

  Sim sim;
  const std::string pack = "(01)" + kGtinA + "(17)271231(21)SN1";
  CHECK(Has(sim.Run(Sale(kP1, {pack}, kT0, kDrugB)), RuleId::kProductMismatch));
  const Judgement ok = sim.Run(Sale(kP1, {pack}, kT0, kDrugA));
  INFO(Describe(ok));
  CHECK(ok.verdict == Verdict::kOk);
}

TEST_CASE("Regression: a purchase return of a sold pack said it could not be returned 'again'",
          "[regression]") {
  Sim sim;
  sim.Run(Receipt(kP1, {CodeA(1), CodeA(2)}));
  sim.Run(Sale(kP1, {CodeA(1)}, At("2025-08-01 09:00:00")));
  const Judgement here = sim.Run(PurchaseReturn(kP1, {CodeA(1)}));
  const Finding* f = Get(here, RuleId::kCodeReused);
  REQUIRE(f != nullptr);
  CHECK(here.verdict == Verdict::kBlock);
  CHECK(Contains(f->message_zh, "不得退给供应商"));
  CHECK(Contains(f->message_zh, "3506"));
  CHECK_FALSE(Contains(f->message_zh, "再次"));
  CHECK_FALSE(Contains(f->message_zh, "重复扫码"));  // the double-scan hint is for sales only
  const Judgement elsewhere = sim.Run(PurchaseReturn(kP2, {CodeA(1)}));
  const Finding* r = Get(elsewhere, RuleId::kCodeResold);
  REQUIRE(r != nullptr);
  CHECK(Contains(r->message_zh, "不得退给供应商"));
  // The pharmacist's fix works: a sale return first, then the purchase return is accepted.
  sim.Run(SaleReturn(kP1, {CodeA(1)}));
  CHECK(sim.Run(PurchaseReturn(kP1, {CodeA(1)})).verdict == Verdict::kOk);
}

TEST_CASE("Regression: CODE_RESOLD named the earlier institution by code only", "[regression]") {
  Sim sim;
  sim.Run(Sale(kP1, {CodeA(1)}, At("2025-07-20 15:00:00")));
  const Judgement j = sim.Run(Sale(kP2, {CodeA(1)}));
  const Finding* f = Get(j, RuleId::kCodeResold);
  REQUIRE(f != nullptr);
  CHECK(Contains(f->message_zh, "康宁大药房（" + kP1 + "）"));
  CHECK(Contains(f->message_zh, "2025-07-20 15:00:00"));
  CHECK(Contains(f->message_zh, "医保结算"));
  CHECK(Contains(f->message_en, "康宁大药房 (" + kP1 + ")"));
  CHECK(Contains(f->message_en, "2025-07-20 15:00:00"));
  CHECK(f->prior_institution == kP1);
}

TEST_CASE("Regression: NOT_RECEIVED fired for an institution that does not upload receipts",
          "[regression]") {
  Sim sim;
  sim.uploads_receipts = false;
  sim.Run(Receipt(kP2, {CodeA(1)}));
  const Judgement j = sim.Run(PurchaseReturn(kP1, {CodeA(1)}));
  INFO(Describe(j));
  CHECK_FALSE(Has(j, RuleId::kNotReceived));
  Sim uploader;
  uploader.uploads_receipts = true;
  uploader.Run(Receipt(kP2, {CodeA(1)}));
  CHECK(Has(uploader.Run(PurchaseReturn(kP1, {CodeA(1)})), RuleId::kNotReceived));
}

TEST_CASE("Regression: STX/ETX/EOT framing from serial scanners made a code malformed",
          "[regression]") {
  for (const std::string& in :
       {std::string("\x02") + "81234567890123456789\x03", std::string("81234567890123456789\x04"),
        std::string("\x02(01)12345678901231(21)SN1\x03\r\n")}) {
    const ParsedCode p = ParseCode(in);
    INFO(p.reason);
    CHECK(p.is_pack());
    CHECK(Contains(p.note, "trimmed"));
  }
  // Inside a code they are still reported, never dropped.
  const ParsedCode inside = ParseCode(
      "8123456789\x02"
      "123456789");
  CHECK(inside.kind == CodeKind::kMalformed);
  CHECK(inside.position == 10);
}

TEST_CASE("Regression: extreme times and quantities overflowed (UB) instead of being judged",
          "[regression]") {
  Sim sim;
  for (CivilSeconds t : {std::numeric_limits<CivilSeconds>::min(),
                         std::numeric_limits<CivilSeconds>::max(), CivilSeconds{0}}) {
    Row sale = Sale(kP1, {CodeA(7)}, t);
    sale.count = Quantity{std::numeric_limits<std::int64_t>::max()};
    sale.expy_end = Date{2025, 1, 1};
    REQUIRE_NOTHROW(sim.Run(sale));
    REQUIRE_NOTHROW(sim.Run(Sale(kP2, {CodeA(7)}, t)));  // CODE_RESOLD formats the sale time
    CHECK_FALSE(FormatCivilTime(t).empty());
  }
}

TEST_CASE("Regression: a huge split count overflowed the capacity arithmetic", "[regression]") {
  Sim sim;
  Row split = SplitSale(kP1, {CodeA(8)}, "1");
  split.count = Quantity{std::numeric_limits<std::int64_t>::max()};
  const Judgement j = sim.Run(split);
  INFO(Describe(j));
  CHECK(Has(j, RuleId::kRowInvalid));
  CHECK(Has(j, RuleId::kSplitOverCapacity));
  CHECK(j.verdict == Verdict::kBlock);
}
