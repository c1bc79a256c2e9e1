// CodeState encoding and the state machine's transitions, including one-step undo by 3507.
#include <catch2/catch.hpp>

#include "validator_fixture.h"

using namespace vt;

namespace {

CodeState Full() {
  CodeState s;
  s.status = PackStatus::kSplitDispensing;
  s.holder = kP1;
  s.holder_received = true;
  s.units_sold_milli = 12500;
  s.sale = {kP1, At("2025-08-01 10:00:00"), std::string(64, 'f'), "B-77", 77, true};
  s.last_event = Interface::kSale;
  s.last_entry = 1ull << 40;
  s.last_units_milli = 500;
  s.prev_status = PackStatus::kInStock;
  s.prev_holder = kP1;
  s.prev_holder_received = true;
  return s;
}

}  // namespace

TEST_CASE("CodeState encodes and decodes losslessly", "[state]") {
  for (const CodeState& s : {CodeState{}, Full()}) {
    const std::string bytes = s.Encode();
    CHECK(static_cast<std::uint8_t>(bytes[0]) == kCodeStateVersion);
    const auto back = CodeState::Decode(bytes);
    REQUIRE(back.has_value());
    CHECK(*back == s);
  }
  CHECK(Full().Encode().size() < 160);  // compact: one short row per pack
}

TEST_CASE("CodeState::Decode rejects damaged bytes", "[state]") {
  const std::string good = Full().Encode();
  for (std::size_t n = 0; n < good.size(); ++n) {
    CHECK_FALSE(CodeState::Decode(std::string_view(good).substr(0, n)).has_value());
  }
  CHECK_FALSE(CodeState::Decode(good + "x").has_value());
  std::string bad_version = good;
  bad_version[0] = 2;
  CHECK_FALSE(CodeState::Decode(bad_version).has_value());
  std::string bad_status = good;
  bad_status[1] = 9;
  CHECK_FALSE(CodeState::Decode(bad_status).has_value());
  std::string bad_flags = good;
  bad_flags[3] = static_cast<char>(0x80);
  CHECK_FALSE(CodeState::Decode(bad_flags).has_value());
  CHECK_FALSE(CodeState::Decode("").has_value());
  CHECK(CodeState::Decode(CodeState::Unreadable().Encode()) == std::nullopt);
}

TEST_CASE("Receipt, sale, return and purchase return move the pack", "[state]") {
  Sim sim;
  const std::string code = CodeA(1);
  sim.Run(Receipt(kP1, {code}));
  REQUIRE(sim.State(code) != nullptr);
  CHECK(sim.State(code)->status == PackStatus::kInStock);
  CHECK(sim.State(code)->holder == kP1);
  CHECK(sim.State(code)->holder_received);

  Row sale = Sale(kP1, {code}, At("2025-08-02 11:00:00"));
  sale.psn_hash = "h:abc";
  sim.Run(sale);
  const CodeState* s = sim.State(code);
  CHECK(s->status == PackStatus::kDispensed);
  CHECK(s->sale.institution == kP1);
  CHECK(s->sale.time == At("2025-08-02 11:00:00"));
  CHECK(s->sale.psn_hash == "h:abc");
  CHECK(s->sale.entry == 2);
  CHECK(s->sale.insured);
  CHECK(s->holder_received);

  sim.Run(SaleReturn(kP1, {code}));
  CHECK(sim.State(code)->status == PackStatus::kInStock);
  CHECK(sim.State(code)->sale.institution == kP1);  // history kept
  sim.Run(PurchaseReturn(kP1, {code}));
  CHECK(sim.State(code)->status == PackStatus::kReturnedToSupplier);
  CHECK_FALSE(sim.State(code)->holder_received);
}

TEST_CASE("Split sales accumulate units, returns give them back", "[state]") {
  Sim sim;
  const std::string code = CodeA(1);
  sim.Run(SplitSale(kP1, {code}, "10"));
  sim.Run(SplitSale(kP1, {code}, "4.5"));
  CHECK(sim.State(code)->status == PackStatus::kSplitDispensing);
  CHECK(sim.State(code)->units_sold_milli == 14500);
  sim.Run(SplitReturn(kP1, {code}, "4.5"));
  CHECK(sim.State(code)->units_sold_milli == 10000);
  sim.Run(SplitReturn(kP1, {code}, "10"));
  CHECK(sim.State(code)->status == PackStatus::kInStock);
  CHECK(sim.State(code)->units_sold_milli == 0);
}

TEST_CASE("A void undoes the move of the row it names", "[state]") {
  const std::string code = CodeA(1);
  SECTION("receipt") {
    Sim sim;
    sim.Run(WithBchno(Receipt(kP1, {code}), "R1"));
    CHECK(sim.Run(VoidOf(kP1, "R1")).findings.empty());
    CHECK(sim.State(code)->status == PackStatus::kUnseen);
    CHECK(sim.Run(Receipt(kP2, {code})).findings.empty());
  }
  SECTION("whole sale") {
    Sim sim;
    sim.Run(Receipt(kP1, {code}));
    sim.Run(WithBchno(Sale(kP1, {code}), "S1"));
    sim.Run(VoidOf(kP1, "S1"));
    CHECK(sim.State(code)->status == PackStatus::kInStock);
    CHECK(sim.State(code)->sale.empty());
    CHECK(sim.Run(Sale(kP1, {code})).findings.empty());
  }
  SECTION("split sale") {
    Sim sim;
    sim.Run(SplitSale(kP1, {code}, "10"));
    sim.Run(WithBchno(SplitSale(kP1, {code}, "14"), "S2"));
    sim.Run(VoidOf(kP1, "S2"));
    CHECK(sim.State(code)->status == PackStatus::kSplitDispensing);
    CHECK(sim.State(code)->units_sold_milli == 10000);
  }
  SECTION("sale return") {
    Sim sim;
    sim.Run(Sale(kP1, {code}));
    sim.Run(WithBchno(SaleReturn(kP1, {code}), "T1"));
    sim.Run(VoidOf(kP1, "T1"));
    CHECK(sim.State(code)->status == PackStatus::kDispensed);
    CHECK(Has(sim.Run(Sale(kP2, {code})), RuleId::kCodeResold));
  }
  SECTION("purchase return") {
    Sim sim;
    sim.Run(Receipt(kP1, {code}));
    sim.Run(WithBchno(PurchaseReturn(kP1, {code}), "PR"));
    sim.Run(VoidOf(kP1, "PR"));
    CHECK(sim.State(code)->status == PackStatus::kInStock);
    CHECK(sim.State(code)->holder == kP1);
    CHECK(sim.State(code)->holder_received);
  }
  SECTION("a 无码库 sale's draw is restored") {
    Sim sim;
    sim.Run(WithBchno(MakeRow(Interface::kSale, kP2, kDrugA, "3", {}), "N1"));
    CHECK(sim.Balance(kP2, kDrugA) == 7000);
    const Judgement j = sim.Run(VoidOf(kP2, "N1"));
    CHECK(j.no_code_draw_milli == -3000);
    CHECK(sim.Balance(kP2, kDrugA) == 10000);
  }
}

TEST_CASE("A blocked row leaves every state unchanged", "[state]") {
  Sim sim;
  sim.Run(Sale(kP1, {CodeA(1)}));
  const CodeState before = *sim.State(CodeA(1));
  const Judgement j = sim.Run(MakeRow(Interface::kSale, kP2, kDrugA, "2", {CodeA(2), CodeA(1)}));
  CHECK(j.verdict == Verdict::kBlock);
  CHECK(j.updates.empty());
  CHECK(*sim.State(CodeA(1)) == before);
  CHECK(sim.State(CodeA(2)) == nullptr);
}

TEST_CASE("Prepare lists each pack identity once, including the voided row's", "[state]") {
  Row original = Receipt(kP1, {CodeA(1), CodeA(2)});
  Row row = VoidOf(kP1, "R1");
  row.codes = {CodeA(3), CodeA(3), "junk"};
  const PreparedRow p = Prepare(row, &original);
  REQUIRE(p.identities.size() == 3);
  CHECK(p.identities[0] == ParseCode(CodeA(3)).identity);
  CHECK(p.identities[2] == ParseCode(CodeA(2)).identity);
  IdentitySet seen;
  NoteSeen(p, seen);
  CHECK(seen.size() == 1);
}
