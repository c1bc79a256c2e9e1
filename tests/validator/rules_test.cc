// One table per rule: positive cases raise the rule (with the expected severity), negative cases
// (near misses) do not. Each case replays a short history through Sim, then judges the last row.
#include <catch2/catch.hpp>

#include "validator_fixture.h"

using namespace vt;

namespace {

struct Case {
  const char* name;
  std::vector<Row> history;
  Row row;
  bool raised;      // the rule is among the findings
  Verdict verdict;  // of the judged row
  bool uploads_receipts = false;
};

void RunTable(RuleId rule, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    DYNAMIC_SECTION(RuleName(rule) << ": " << c.name) {
      Sim sim;
      sim.uploads_receipts = c.uploads_receipts;
      for (const Row& h : c.history) sim.Run(h);
      const Judgement j = sim.Run(c.row);
      INFO(Describe(j));
      CHECK(Has(j, rule) == c.raised);
      CHECK(j.verdict == c.verdict);
      if (j.verdict == Verdict::kBlock) CHECK(j.updates.empty());
      for (const Finding& f : j.findings) {
        CHECK(!f.message_zh.empty());
        CHECK(!f.message_en.empty());
      }
    }
  }
}

const CivilSeconds kFeb = At("2025-02-01 10:00:00");  // before every enforcement date

}  // namespace

TEST_CASE("CODE_MISSING: no code on a code-required line", "[rules]") {
  RunTable(
      RuleId::kCodeMissing,
      {
          {"sale after enforcement blocks", {}, Sale(kP1, {}), true, Verdict::kBlock},
          {"sale before enforcement warns", {}, Sale(kP1, {}, kFeb), true, Verdict::kWarn},
          {"receipt after enforcement blocks",
           {},
           MakeRow(Interface::kReceipt, kP1, kDrugA, "2", {}),
           true,
           Verdict::kBlock},
          {"level-3 hospital before its 07-01 warns",
           {},
           Sale(kH3, {}, At("2025-06-15 09:00:00")),
           true,
           Verdict::kWarn},
          {"level-3 hospital on 07-01 blocks",
           {},
           Sale(kH3, {}, At("2025-07-01 00:00:00")),
           true,
           Verdict::kBlock},
          {"national default applies without a regional entry",
           {},
           Sale(kPX, {}, At("2025-05-01 09:00:00")),
           true,
           Verdict::kWarn},
          {"无码库 past its sunset blocks",
           {},
           Sale(kP2, {}, At("2026-01-01 09:00:00")),
           true,
           Verdict::kBlock},
          {"无码库 balance too small blocks",
           {},
           MakeRow(Interface::kSale, kP2, kDrugA, "11", {}),
           true,
           Verdict::kBlock},
          {"only malformed codes count as none", {}, Sale(kP1, {"ABC"}), true, Verdict::kBlock},
          {"only a product barcode counts as none", {}, Sale(kP1, {kEanA}), true, Verdict::kBlock},
          {"sale with its code", {}, Sale(kP1, {CodeA(1)}), false, Verdict::kOk},
          {"exempt 中药饮片", {}, Sale(kP1, {}, kT0, kHerb), false, Verdict::kOk},
          {"covered by 无码库", {}, Sale(kP2, {}), false, Verdict::kOk},
          {"inventory of uncoded boxes warns only",
           {},
           MakeRow(Interface::kInventory, kP1, kDrugA, "5", {}),
           true,
           Verdict::kWarn},
          {"inventory within the 无码库 balance",
           {},
           MakeRow(Interface::kInventory, kP2, kDrugA, "5", {}),
           false,
           Verdict::kOk},
          {"sale return without code is not judged for codes",
           {},
           MakeRow(Interface::kSaleReturn, kP1, kDrugA, "1", {}),
           false,
           Verdict::kOk},
      });
}

TEST_CASE("CODE_COUNT_SHORT: fewer codes than whole boxes", "[rules]") {
  RunTable(
      RuleId::kCodeCountShort,
      {
          {"3 boxes, 2 codes",
           {},
           MakeRow(Interface::kSale, kP1, kDrugA, "3", {CodeA(1), CodeA(2)}),
           true,
           Verdict::kBlock},
          {"before enforcement warns",
           {},
           MakeRow(Interface::kSale, kP1, kDrugA, "3", {CodeA(1), CodeA(2)}, kFeb),
           true,
           Verdict::kWarn},
          {"2 boxes, 2 codes",
           {},
           MakeRow(Interface::kSale, kP1, kDrugA, "2", {CodeA(1), CodeA(2)}),
           false,
           Verdict::kOk},
          {"split sale needs one code", {}, SplitSale(kP1, {CodeA(1)}, "20"), false, Verdict::kOk},
          {"short part covered by 无码库",
           {},
           MakeRow(Interface::kSale, kP2, kDrugA, "3", {CodeA(1)}),
           false,
           Verdict::kOk},
      });
}

TEST_CASE("NO_CODE_STOCK: uncoded sale settled from the 无码库", "[rules]") {
  RunTable(RuleId::kNoCodeStock,
           {
               {"one uncoded box", {}, Sale(kP2, {}), true, Verdict::kOk},
               {"before enforcement also draws", {}, Sale(kP2, {}, kFeb), true, Verdict::kOk},
               {"institution without 无码库", {}, Sale(kP1, {}), false, Verdict::kBlock},
               {"other drug", {}, Sale(kP2, {}, kT0, kDrugB), false, Verdict::kBlock},
               {"coded sale draws nothing", {}, Sale(kP2, {CodeA(1)}), false, Verdict::kOk},
           });
}

TEST_CASE("NO_CODE_STOCK draws the balance down until it runs out", "[rules]") {
  Sim sim;
  const Judgement first = sim.Run(MakeRow(Interface::kSale, kP2, kDrugA, "6", {}));
  CHECK(first.no_code_draw_milli == 6000);
  CHECK(sim.Balance(kP2, kDrugA) == 4000);
  const Judgement second = sim.Run(MakeRow(Interface::kSale, kP2, kDrugA, "5", {}));
  CHECK(Has(second, RuleId::kCodeMissing));
  CHECK(second.no_code_draw_milli == 0);
  // A split sale draws a fraction of a box: 12 of 24 tablets = 0.5 box.
  const Judgement split = sim.Run(SplitSale(kP2, {}, "12"));
  CHECK(Has(split, RuleId::kNoCodeStock));
  CHECK(split.no_code_draw_milli == 500);
}

TEST_CASE("CODE_MALFORMED and PRODUCT_BARCODE_AS_CODE", "[rules]") {
  RunTable(RuleId::kCodeMalformed,
           {
               {"garbage", {}, Sale(kP1, {"ABC"}, kFeb), true, Verdict::kWarn},
               {"valid code", {}, Sale(kP1, {CodeA(1)}), false, Verdict::kOk},
           });
  RunTable(RuleId::kProductBarcodeAsCode,
           {
               {"EAN-13 product barcode", {}, Sale(kP1, {kEanA}, kFeb), true, Verdict::kWarn},
               {"EAN-13 next to the real code",
                {},
                MakeRow(Interface::kSale, kP1, kDrugA, "1", {kEanA, CodeA(1)}),
                true,
                Verdict::kWarn},
               {"valid code", {}, Sale(kP1, {CodeA(1)}), false, Verdict::kOk},
           });
}

TEST_CASE("DUPLICATE_SCAN: same pack twice in a row", "[rules]") {
  RunTable(RuleId::kDuplicateScan,
           {
               {"twice in one row, counted once",
                {},
                MakeRow(Interface::kSale, kP1, kDrugA, "1", {CodeA(1), CodeA(1)}),
                true,
                Verdict::kWarn},
               {"counted once leaves a box short",
                {},
                MakeRow(Interface::kSale, kP1, kDrugA, "2", {CodeA(1), CodeA(1)}),
                true,
                Verdict::kBlock},
               {"two different packs",
                {},
                MakeRow(Interface::kSale, kP1, kDrugA, "2", {CodeA(1), CodeA(2)}),
                false,
                Verdict::kOk},
               {"same pack in an earlier message is not a duplicate scan",
                {Receipt(kP1, {CodeA(1)})},
                Sale(kP1, {CodeA(1)}),
                false,
                Verdict::kOk},
           });
}

TEST_CASE("DUPLICATE_SCAN in a long receipt (hash-set path)", "[rules]") {
  Sim sim;
  std::vector<std::string> codes;
  for (int i = 1; i <= 40; ++i) codes.push_back(CodeA(i));
  sim.Run(Receipt(kP1, codes));
  codes.push_back(CodeA(7));
  std::vector<std::string> more = codes;
  more.push_back(CodeA(100));
  const Judgement j = sim.Run(MakeRow(Interface::kSale, kP1, kDrugA, "41", more));
  INFO(Describe(j));
  CHECK(Has(j, RuleId::kDuplicateScan));
  CHECK(Has(j, RuleId::kCodeCountShort) == false);
  CHECK(j.verdict == Verdict::kWarn);
  CHECK(j.updates.size() == 41);
  CHECK(Has(sim.Run(Sale(kP1, {CodeA(40)})), RuleId::kCodeReused));
}

TEST_CASE("DUPLICATE_SCAN: same pack in two rows of one message", "[rules]") {
  Sim sim;
  auto js = sim.RunMessage({Sale(kP1, {CodeA(1)}), Sale(kP1, {CodeA(1)}), Sale(kP1, {CodeA(2)})});
  CHECK(js[0].findings.empty());
  CHECK(Has(js[1], RuleId::kDuplicateScan));
  CHECK_FALSE(Has(js[1], RuleId::kCodeReused));  // counted once, not as a second sale
  CHECK(js[1].updates.empty());
  CHECK(js[2].findings.empty());
}

TEST_CASE("CODE_REUSED: sold again at the same institution", "[rules]") {
  RunTable(
      RuleId::kCodeReused,
      {
          {"sold twice",
           {Sale(kP1, {CodeA(1)}, At("2025-08-01 09:00:00"))},
           Sale(kP1, {CodeA(1)}),
           true,
           Verdict::kBlock},
          {"sold then received again",
           {Sale(kP1, {CodeA(1)}, At("2025-08-01 09:00:00"))},
           Receipt(kP1, {CodeA(1)}),
           true,
           Verdict::kBlock},
          {"sold then returned to supplier",
           {Sale(kP1, {CodeA(1)}, At("2025-08-01 09:00:00"))},
           PurchaseReturn(kP1, {CodeA(1)}),
           true,
           Verdict::kBlock},
          {"sold, returned, sold again",
           {Sale(kP1, {CodeA(1)}), SaleReturn(kP1, {CodeA(1)})},
           Sale(kP1, {CodeA(1)}),
           false,
           Verdict::kOk},
          {"another pack", {Sale(kP1, {CodeA(1)})}, Sale(kP1, {CodeA(2)}), false, Verdict::kOk},
      });
}

TEST_CASE("CODE_REUSED names the earlier sale and flags a likely double scan", "[rules]") {
  Sim sim;
  sim.Run(Sale(kP1, {CodeA(1)}, At("2025-08-01 09:59:30")));
  const Judgement j = sim.Run(Sale(kP1, {CodeA(1)}));
  const Finding* f = Get(j, RuleId::kCodeReused);
  REQUIRE(f != nullptr);
  CHECK(f->prior_institution == kP1);
  CHECK(f->prior_time == At("2025-08-01 09:59:30"));
  CHECK(f->prior_entry == 1);
  CHECK(f->code == CodeA(1));
  CHECK(f->identity == ParseCode(CodeA(1)).identity);
  CHECK(f->message_zh.find("重复扫码") != std::string::npos);
}

TEST_CASE("CODE_RESOLD: dispensed elsewhere, appears again (回流药)", "[rules]") {
  RunTable(RuleId::kCodeResold, {
                                    {"sold at P1, sold at P2",
                                     {Sale(kP1, {CodeA(1)})},
                                     Sale(kP2, {CodeA(1)}),
                                     true,
                                     Verdict::kBlock},
                                    {"sold at P1, received at P2",
                                     {Sale(kP1, {CodeA(1)})},
                                     Receipt(kP2, {CodeA(1)}),
                                     true,
                                     Verdict::kBlock},
                                    {"split at P1, split at H3",
                                     {SplitSale(kP1, {CodeA(1)}, "6")},
                                     SplitSale(kH3, {CodeA(1)}, "6"),
                                     true,
                                     Verdict::kBlock},
                                    {"split at P1, counted at P2",
                                     {SplitSale(kP1, {CodeA(1)}, "6")},
                                     MakeRow(Interface::kInventory, kP2, kDrugA, "1", {CodeA(1)}),
                                     true,
                                     Verdict::kBlock},
                                    {"returned and sent back to supplier, received at P2",
                                     {Receipt(kP1, {CodeA(1)}), Sale(kP1, {CodeA(1)}),
                                      SaleReturn(kP1, {CodeA(1)}), PurchaseReturn(kP1, {CodeA(1)})},
                                     Receipt(kP2, {CodeA(1)}),
                                     false,
                                     Verdict::kOk},
                                    {"received at P1, returned, received at P2",
                                     {Receipt(kP1, {CodeA(1)}), PurchaseReturn(kP1, {CodeA(1)})},
                                     Receipt(kP2, {CodeA(1)}),
                                     false,
                                     Verdict::kOk},
                                });
}

TEST_CASE("CODE_RESOLD names the earlier institution and time", "[rules]") {
  Sim sim;
  sim.Run(Sale(kP1, {CodeA(1)}, At("2025-07-20 15:00:00")));
  const Judgement j = sim.Run(Receipt(kP2, {CodeA(1)}));
  const Finding* f = Get(j, RuleId::kCodeResold);
  REQUIRE(f != nullptr);
  CHECK(f->prior_institution == kP1);
  CHECK(f->prior_time == At("2025-07-20 15:00:00"));
  CHECK(f->message_zh.find(kP1) != std::string::npos);
  CHECK(f->message_zh.find("2025-07-20 15:00:00") != std::string::npos);
  CHECK(f->message_en.find("insured") != std::string::npos);
}

TEST_CASE("SPLIT_OVER_CAPACITY: split sales beyond the pack or mixed with a whole sale",
          "[rules]") {
  RunTable(RuleId::kSplitOverCapacity,
           {
               {"20 + 10 of 24",
                {SplitSale(kP1, {CodeA(1)}, "20")},
                SplitSale(kP1, {CodeA(1)}, "10"),
                true,
                Verdict::kBlock},
               {"one split sale over the content",
                {},
                SplitSale(kP1, {CodeA(1)}, "25"),
                true,
                Verdict::kBlock},
               {"whole sale then split",
                {Sale(kP1, {CodeA(1)})},
                SplitSale(kP1, {CodeA(1)}, "1"),
                true,
                Verdict::kBlock},
               {"split then whole sale",
                {SplitSale(kP1, {CodeA(1)}, "1")},
                Sale(kP1, {CodeA(1)}),
                true,
                Verdict::kBlock},
               {"12 + 12 of 24",
                {SplitSale(kP1, {CodeA(1)}, "12")},
                SplitSale(kP1, {CodeA(1)}, "12"),
                false,
                Verdict::kOk},
               {"fractional units within content",
                {SplitSale(kP1, {CodeA(1)}, "0.5")},
                SplitSale(kP1, {CodeA(1)}, "23.5"),
                false,
                Verdict::kOk},
               {"split return makes room",
                {SplitSale(kP1, {CodeA(1)}, "20"), SplitReturn(kP1, {CodeA(1)}, "10")},
                SplitSale(kP1, {CodeA(1)}, "14"),
                false,
                Verdict::kOk},
               {"two packs share a large split sale",
                {},
                SplitSale(kP1, {CodeA(1), CodeA(2)}, "30"),
                false,
                Verdict::kOk},
           });
}

TEST_CASE("PRODUCT_MISMATCH: code of another drug (串换)", "[rules]") {
  RunTable(
      RuleId::kProductMismatch,
      {
          {"B's code billed as A", {}, Sale(kP1, {CodeB(1)}), true, Verdict::kBlock},
          {"B's GS1 code billed as A", {}, Sale(kP1, {Gs1B(1, "270101")}), true, Verdict::kBlock},
          {"received under the wrong drug", {}, Receipt(kP1, {CodeB(1)}), true, Verdict::kBlock},
          {"A's code billed as A", {}, Sale(kP1, {CodeA(1)}), false, Verdict::kOk},
          {"B's GS1 code billed as B",
           {},
           Sale(kP1, {Gs1B(1, "270101")}, kT0, kDrugB),
           false,
           Verdict::kOk},
          {"unmapped product is not a mismatch",
           {},
           Sale(kP1, {"8999999" + Serial9(1) + "0000"}),
           false,
           Verdict::kOk},
      });
}

TEST_CASE("EXPIRED_AT_SALE", "[rules]") {
  Row row_expiry = Sale(kP1, {CodeA(1)});
  row_expiry.expy_end = Date{2025, 7, 31};
  Row row_fresh = Sale(kP1, {CodeA(1)});
  row_fresh.expy_end = Date{2025, 8, 1};
  RunTable(RuleId::kExpiredAtSale,
           {
               {"GS1 expiry before the sale",
                {},
                Sale(kP1, {Gs1B(1, "250630")}, kT0, kDrugB),
                true,
                Verdict::kBlock},
               {"GS1 day 00 is the month's last day",
                {},
                Sale(kP1, {Gs1B(1, "250700")}, kT0, kDrugB),
                true,
                Verdict::kBlock},
               {"row expy_end before the sale", {}, row_expiry, true, Verdict::kBlock},
               {"sold on the expiry day", {}, row_fresh, false, Verdict::kOk},
               {"GS1 expiry later",
                {},
                Sale(kP1, {Gs1B(1, "260101")}, kT0, kDrugB),
                false,
                Verdict::kOk},
               {"expired stock may still be received",
                {},
                Receipt(kP1, {Gs1B(1, "250630")}, kT0, kDrugB),
                false,
                Verdict::kOk},
           });
}

TEST_CASE("NOT_RECEIVED: sold where no receipt was uploaded", "[rules]") {
  RunTable(RuleId::kNotReceived,
           {
               {"uploading institution, no receipt",
                {},
                Sale(kP1, {CodeA(1)}),
                true,
                Verdict::kWarn,
                true},
               {"received elsewhere",
                {Receipt(kP2, {CodeA(1)})},
                Sale(kP1, {CodeA(1)}),
                true,
                Verdict::kWarn,
                true},
               {"returned to supplier without receipt",
                {},
                PurchaseReturn(kP1, {CodeA(1)}),
                true,
                Verdict::kWarn,
                true},
               {"received here first",
                {Receipt(kP1, {CodeA(1)})},
                Sale(kP1, {CodeA(1)}),
                false,
                Verdict::kOk,
                true},
               {"institution that does not upload receipts",
                {},
                Sale(kP1, {CodeA(1)}),
                false,
                Verdict::kOk,
                false},
               {"resale after a return keeps the receipt",
                {Receipt(kP1, {CodeA(1)}), Sale(kP1, {CodeA(1)}), SaleReturn(kP1, {CodeA(1)})},
                Sale(kP1, {CodeA(1)}),
                false,
                Verdict::kOk,
                true},
           });
}

TEST_CASE("RETURN_WITHOUT_SALE", "[rules]") {
  Row wrong_ref = SaleReturn(kP1, {CodeA(1)});
  wrong_ref.medins_prod_sel_no = "NOT-THE-SALE";
  RunTable(RuleId::kReturnWithoutSale,
           {
               {"never sold", {}, SaleReturn(kP1, {CodeA(1)}), true, Verdict::kWarn},
               {"sold elsewhere",
                {Sale(kP2, {CodeA(1)})},
                SaleReturn(kP1, {CodeA(1)}),
                true,
                Verdict::kWarn},
               {"returned twice",
                {Sale(kP1, {CodeA(1)}), SaleReturn(kP1, {CodeA(1)})},
                SaleReturn(kP1, {CodeA(1)}),
                true,
                Verdict::kWarn},
               {"names another sale", {Sale(kP1, {CodeA(1)})}, wrong_ref, true, Verdict::kWarn},
               {"more units returned than sold",
                {SplitSale(kP1, {CodeA(1)}, "6")},
                SplitReturn(kP1, {CodeA(1)}, "8"),
                true,
                Verdict::kWarn},
               {"split return of a whole sale",
                {Sale(kP1, {CodeA(1)})},
                SplitReturn(kP1, {CodeA(1)}, "8"),
                true,
                Verdict::kWarn},
               {"return of a sale here",
                {Sale(kP1, {CodeA(1)})},
                SaleReturn(kP1, {CodeA(1)}),
                false,
                Verdict::kOk},
               {"split return within units sold",
                {SplitSale(kP1, {CodeA(1)}, "6")},
                SplitReturn(kP1, {CodeA(1)}, "6"),
                false,
                Verdict::kOk},
           });
}

TEST_CASE("VOID_UNKNOWN_ROW and VOID_CONFLICT", "[rules]") {
  RunTable(RuleId::kVoidUnknownRow,
           {
               {"target not found", {}, VoidOf(kP1, "NOPE"), true, Verdict::kWarn},
               {"target of another institution is not found",
                {WithBchno(Sale(kP2, {CodeA(1)}), "S1")},
                VoidOf(kP1, "S1"),
                true,
                Verdict::kWarn},
               {"target found",
                {WithBchno(Sale(kP1, {CodeA(1)}), "S1")},
                VoidOf(kP1, "S1"),
                false,
                Verdict::kOk},
           });
  RunTable(RuleId::kVoidConflict,
           {
               {"receipt voided after the pack was sold",
                {WithBchno(Receipt(kP1, {CodeA(1)}), "R1"), Sale(kP1, {CodeA(1)})},
                VoidOf(kP1, "R1"),
                true,
                Verdict::kWarn},
               {"receipt voided while still in stock",
                {WithBchno(Receipt(kP1, {CodeA(1)}), "R1")},
                VoidOf(kP1, "R1"),
                false,
                Verdict::kOk},
               {"a blocked row changed nothing to undo",
                {Sale(kP1, {CodeA(1)}), WithBchno(Sale(kP2, {CodeA(1)}), "S2")},
                VoidOf(kP2, "S2"),
                false,
                Verdict::kOk},
           });
}

TEST_CASE("ALREADY_IN_STOCK", "[rules]") {
  RunTable(RuleId::kAlreadyInStock,
           {
               {"received at P1 and P2",
                {Receipt(kP1, {CodeA(1)})},
                Receipt(kP2, {CodeA(1)}),
                true,
                Verdict::kWarn},
               {"received twice here",
                {Receipt(kP1, {CodeA(1)})},
                Receipt(kP1, {CodeA(1)}),
                true,
                Verdict::kWarn},
               {"counting own stock",
                {Receipt(kP1, {CodeA(1)})},
                MakeRow(Interface::kInventory, kP1, kDrugA, "1", {CodeA(1)}),
                false,
                Verdict::kOk},
               {"after purchase return",
                {Receipt(kP1, {CodeA(1)}), PurchaseReturn(kP1, {CodeA(1)})},
                Receipt(kP2, {CodeA(1)}),
                false,
                Verdict::kOk},
           });
}

TEST_CASE("Rows the validator cannot fully judge say why", "[rules]") {
  Row no_inst = Sale("", {CodeA(1)});
  Row zero = Sale(kP1, {CodeA(1)});
  zero.count = Quantity{0};
  Row fractional = Sale(kP1, {CodeA(1)});
  fractional.count = *Quantity::Parse("1.5");
  Row bad_iface = Sale(kP1, {CodeA(1)});
  bad_iface.infno = static_cast<Interface>(4242);
  Row stock_change = Sale(kP1, {CodeA(1)});
  stock_change.infno = Interface::kStockChange;
  RunTable(RuleId::kRowInvalid,
           {
               {"missing institution", {}, no_inst, true, Verdict::kWarn},
               {"zero quantity", {}, zero, true, Verdict::kWarn},
               {"fractional whole-pack quantity",
                {},
                fractional,
                true,
                Verdict::kBlock /* 2 boxes, 1 code */},
               {"unknown interface", {}, bad_iface, true, Verdict::kWarn},
               {"3502 is recorded, not judged", {}, stock_change, true, Verdict::kOk},
               {"void of a void",
                {WithBchno(VoidOf(kP1, "X"), "V1")},
                VoidOf(kP1, "V1"),
                true,
                Verdict::kWarn},
               {"ordinary sale", {}, Sale(kP1, {CodeA(1)}), false, Verdict::kOk},
           });
  RunTable(RuleId::kDrugUnknown,
           {
               {"unknown drug", {}, Sale(kP1, {CodeA(1)}, kT0, "NOSUCHDRUG"), true, Verdict::kWarn},
               {"known drug", {}, Sale(kP1, {CodeA(1)}), false, Verdict::kOk},
           });
  RunTable(RuleId::kInstitutionUnknown,
           {
               {"unknown institution, missing code only warns",
                {},
                Sale("X999", {}),
                true,
                Verdict::kWarn},
               {"known institution", {}, Sale(kP1, {CodeA(1)}), false, Verdict::kOk},
           });
}

TEST_CASE("STATE_UNREADABLE: a corrupt stored state is judged as new", "[rules]") {
  RefData ref = MakeRef();
  const std::string identity = ParseCode(CodeA(1)).identity;
  const CodeState unreadable = CodeState::Unreadable();
  const KnownState known[] = {{identity, &unreadable}};
  Context ctx;
  ctx.states = known;
  const Judgement j = Validate(Sale(kP1, {CodeA(1)}), ref, ctx);
  CHECK(Has(j, RuleId::kStateUnreadable));
  CHECK(j.verdict == Verdict::kWarn);
  REQUIRE(j.updates.size() == 1);
  CHECK(j.updates[0].state.status == PackStatus::kDispensed);
  const Judgement clean = Validate(Sale(kP1, {CodeA(2)}), ref, ctx);
  CHECK_FALSE(Has(clean, RuleId::kStateUnreadable));
}

TEST_CASE("Verdict is the worst severity, rule names are stable", "[rules]") {
  CHECK(VerdictOf({}) == Verdict::kOk);
  std::vector<Finding> fs(2);
  fs[0].severity = Severity::kInfo;
  fs[1].severity = Severity::kWarn;
  CHECK(VerdictOf(fs) == Verdict::kWarn);
  fs[0].severity = Severity::kBlock;
  CHECK(VerdictOf(fs) == Verdict::kBlock);
  CHECK(std::string(RuleName(RuleId::kCodeResold)) == "CODE_RESOLD");
  CHECK(static_cast<int>(RuleId::kStateUnreadable) == 19);
  for (int i = 0; i < kRuleCount; ++i) {
    const auto rule = static_cast<RuleId>(i);
    CHECK(RuleFromName(RuleName(rule)) == rule);
  }
  CHECK_FALSE(RuleFromName("NOPE").has_value());
  CHECK_FALSE(kRuleSetVersion.empty());
}
