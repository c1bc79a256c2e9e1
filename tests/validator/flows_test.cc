// Legal flows raise nothing; property tests over seeded random histories: generated legal flows
// never block, and interleaving independent packs' events changes no pack's findings.
#include <algorithm>
#include <catch2/catch.hpp>
#include <random>

#include "validator_fixture.h"

using namespace vt;

TEST_CASE("Legal flows raise nothing", "[rules]") {
  Sim sim;
  sim.uploads_receipts = true;
  auto clean = [&sim](Row row) {
    const Judgement j = sim.Run(std::move(row));
    INFO(Describe(j));
    CHECK(j.findings.empty());
    CHECK(j.verdict == Verdict::kOk);
  };
  SECTION("sale, return, resale at the same institution") {
    clean(Receipt(kP1, {CodeA(1)}));
    clean(Sale(kP1, {CodeA(1)}));
    clean(SaleReturn(kP1, {CodeA(1)}));
    clean(Sale(kP1, {CodeA(1)}));
  }
  SECTION("split sales within capacity") {
    clean(Receipt(kP1, {CodeA(1)}));
    clean(SplitSale(kP1, {CodeA(1)}, "8"));
    clean(SplitSale(kP1, {CodeA(1)}, "8"));
    clean(SplitSale(kP1, {CodeA(1)}, "8"));
  }
  SECTION("receipt, purchase return, receipt and sale elsewhere") {
    clean(Receipt(kP1, {CodeA(1), CodeA(2)}));
    clean(PurchaseReturn(kP1, {CodeA(1)}));
    clean(Receipt(kH3, {CodeA(1)}));
    clean(Sale(kH3, {CodeA(1)}));
    clean(Sale(kP1, {CodeA(2)}));
  }
  SECTION("a sale returned, sent back to the supplier and sold elsewhere") {
    clean(Receipt(kP1, {Gs1B(7, "270101")}, kT0, kDrugB));
    clean(Sale(kP1, {Gs1B(7, "270101")}, kT0, kDrugB));
    clean(SaleReturn(kP1, {Gs1B(7, "270101")}, kT0, kDrugB));
    clean(PurchaseReturn(kP1, {Gs1B(7, "270101")}, kT0, kDrugB));
    clean(Receipt(kP2, {Gs1B(7, "270101")}, kT0, kDrugB));
    clean(Sale(kP2, {Gs1B(7, "270101")}, kT0, kDrugB));
  }
}

namespace {

const std::vector<std::string> kInstitutions = {kP1, kP2, kH3};

struct Event {
  int pack = 0;
  Row row;
};

// Legal life of one pack: received, sold whole or in parts, returned, sent back, received
// elsewhere; sometimes a step is immediately voided (and the generator forgets it).
std::vector<Event> LegalFlow(int pack, std::mt19937& rng) {
  const bool is_b = pack % 2 == 1;
  const std::string drug = is_b ? kDrugB : kDrugA;
  const int content = is_b ? 10 : 24;
  const std::string code = is_b ? Gs1B(pack, "300101") : CodeA(pack);
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  std::vector<Event> out;
  CivilSeconds t = kT0 + pick(3600);
  int step = 0;
  auto add = [&](Row r) {
    r.fixmedins_bchno = "K" + std::to_string(pack) + "-" + std::to_string(step++);
    r.time = (t += 1 + pick(86400));
    out.push_back({pack, r});
    return r.fixmedins_bchno;
  };
  enum { kStock, kWhole, kSplit, kAway } where = kStock;
  std::string inst = kInstitutions[pick(3)];
  int sold = 0;
  add(Receipt(inst, {code}, 0, drug));
  for (int n = 3 + pick(8); n > 0; --n) {
    const auto saved = std::make_tuple(where, inst, sold);
    std::string bchno;
    const int roll = pick(4);
    if (where == kStock) {
      if (roll == 0) {
        bchno = add(Sale(inst, {code}, 0, drug));
        where = kWhole;
      } else if (roll == 1) {
        bchno = add(PurchaseReturn(inst, {code}, 0, drug));
        where = kAway;
      } else {
        const int u = 1 + pick(content);
        bchno = add(SplitSale(inst, {code}, std::to_string(u).c_str(), 0, drug));
        where = kSplit;
        sold = u;
      }
    } else if (where == kWhole) {
      bchno = add(SaleReturn(inst, {code}, 0, drug));
      where = kStock;
    } else if (where == kSplit) {
      if (roll <= 1 && sold < content) {
        const int u = 1 + pick(content - sold);
        bchno = add(SplitSale(inst, {code}, std::to_string(u).c_str(), 0, drug));
        sold += u;
      } else if (roll == 2) {
        const int u = 1 + pick(sold);
        bchno = add(SplitReturn(inst, {code}, std::to_string(u).c_str(), 0, drug));
        sold -= u;
        if (sold == 0) where = kStock;
      } else {
        bchno = add(SaleReturn(inst, {code}, 0, drug));
        where = kStock;
        sold = 0;
      }
    } else {
      inst = kInstitutions[pick(3)];
      bchno = add(Receipt(inst, {code}, 0, drug));
      where = kStock;
    }
    if (pick(8) == 0) {  // void the step just taken
      add(VoidOf(inst, bchno));
      std::tie(where, inst, sold) = saved;
    }
  }
  return out;
}

// Any sequence of events on one pack, legal or not.
std::vector<Event> RandomFlow(int pack, std::mt19937& rng) {
  const std::string code = CodeA(pack);
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  std::vector<Event> out;
  CivilSeconds t = kT0;
  for (int i = 0, n = 2 + pick(10); i < n; ++i) {
    const std::string& inst = kInstitutions[pick(3)];
    const std::string units = std::to_string(1 + pick(15));
    Row r;
    switch (pick(8)) {
      case 0:
        r = Receipt(inst, {code});
        break;
      case 1:
        r = PurchaseReturn(inst, {code});
        break;
      case 2:
        r = Sale(inst, {code});
        break;
      case 3:
        r = SplitSale(inst, {code}, units.c_str());
        break;
      case 4:
        r = SaleReturn(inst, {code});
        break;
      case 5:
        r = SplitReturn(inst, {code}, units.c_str());
        break;
      case 6:
        r = MakeRow(Interface::kInventory, inst, kDrugA, "1", {code, code});
        break;
      default:
        r = VoidOf(inst, "K" + std::to_string(pack) + "-" + std::to_string(pick(i + 1)));
        break;
    }
    r.fixmedins_bchno = "K" + std::to_string(pack) + "-" + std::to_string(i);
    r.time = (t += pick(120));
    out.push_back({pack, r});
  }
  return out;
}

// Random merge that keeps each pack's own order.
std::vector<Event> Interleave(std::vector<std::vector<Event>> flows, std::mt19937& rng) {
  std::vector<Event> out;
  std::vector<std::size_t> next(flows.size(), 0);
  std::vector<int> bag;
  for (std::size_t i = 0; i < flows.size(); ++i)
    bag.insert(bag.end(), flows[i].size(), static_cast<int>(i));
  std::shuffle(bag.begin(), bag.end(), rng);
  for (int f : bag) out.push_back(flows[f][next[f]++]);
  return out;
}

std::string Signature(const Judgement& j) {
  std::string s = VerdictName(j.verdict);
  for (const Finding& f : j.findings) {
    s += "|" + std::string(RuleName(f.rule)) + "/" + SeverityName(f.severity) + "/" + f.code + "/" +
         f.prior_institution + "/" + std::to_string(f.prior_time) + "/" + f.message_en + "/" +
         f.message_zh;
  }
  return s;
}

}  // namespace

TEST_CASE("Property: generated legal flows never block and raise nothing", "[rules]") {
  for (unsigned seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    std::vector<std::vector<Event>> flows;
    for (int pack = 1; pack <= 25; ++pack) flows.push_back(LegalFlow(pack, rng));
    Sim sim;
    sim.uploads_receipts = true;
    for (Event& e : Interleave(flows, rng)) {
      const Judgement j = sim.Run(e.row);
      INFO("seed " << seed << " pack " << e.pack << " row " << e.row.fixmedins_bchno << " "
                   << static_cast<int>(e.row.infno) << " " << Describe(j));
      REQUIRE(j.verdict != Verdict::kBlock);
      REQUIRE(j.findings.empty());
    }
  }
}

TEST_CASE("Property: interleaving independent packs changes no pack's findings", "[rules]") {
  for (unsigned seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    const bool uploads = seed % 2 == 0;
    std::vector<std::vector<Event>> flows;
    std::map<std::string, std::string> alone;  // bchno -> signature
    for (int pack = 1; pack <= 12; ++pack) {
      flows.push_back(RandomFlow(pack, rng));
      Sim sim;
      sim.uploads_receipts = uploads;
      for (const Event& e : flows.back())
        alone[e.row.fixmedins_code + e.row.fixmedins_bchno] = Signature(sim.Run(e.row));
    }
    Sim sim;
    sim.uploads_receipts = uploads;
    for (const Event& e : Interleave(flows, rng)) {
      INFO("seed " << seed << " row " << e.row.fixmedins_bchno);
      CHECK(Signature(sim.Run(e.row)) == alone[e.row.fixmedins_code + e.row.fixmedins_bchno]);
    }
  }
}

TEST_CASE("Garbage rows never throw", "[rules]") {
  std::mt19937 rng(7);
  Sim sim;
  const std::string alphabet = "0123456789()ABCMA.\x1d ]d2-";
  for (int i = 0; i < 2000; ++i) {
    Row r;
    r.infno = static_cast<Interface>(3499 + rng() % 11);
    r.fixmedins_code = rng() % 5 == 0 ? "" : kInstitutions[rng() % 3];
    r.med_list_codg = rng() % 4 == 0 ? "??" : kDrugA;
    r.count = Quantity{static_cast<std::int64_t>(rng() % 5000) - 1000};
    r.trdn_flag = rng() % 2;
    r.time = static_cast<CivilSeconds>(rng()) * (rng() % 2 ? 1 : -1);
    r.target_bchno = "B" + std::to_string(rng() % 50);
    for (int k = static_cast<int>(rng() % 4); k > 0; --k) {
      std::string c;
      for (int n = static_cast<int>(rng() % 30); n > 0; --n)
        c.push_back(alphabet[rng() % alphabet.size()]);
      r.codes.push_back(rng() % 3 == 0 ? CodeA(static_cast<int>(rng() % 5)) : c);
    }
    REQUIRE_NOTHROW(sim.Run(r));
  }
}
