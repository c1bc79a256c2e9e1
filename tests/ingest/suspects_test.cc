// Suspect cases built from ledgers filled through the real Processor with hand-made fraud: a 回流
// ring, a code reused at one pharmacy, split sales over capacity, 串换 and a patient over-buying.
// Every expected amount below is computed by hand from the prices in the messages.
#include "ingest/suspects.h"

#include <catch2/catch.hpp>

#include "ingest/json.h"
#include "ingest/processor.h"
#include "ingest/regulator.h"
#include "ingest/suspects_api.h"
#include "ledger/case_store.h"
#include "ledger/ledger.h"
#include "support/temp_dir.h"

namespace {

using ingest::Case;
using ingest::CaseType;
using ingest::Json;

constexpr char kP1[] = "P13080200001";                    // 康宁大药房, 130802
constexpr char kP2[] = "P13080200002";                    // the collector, 130802
constexpr char kP3[] = "P13082100003";                    // sells the boxes again, 130821
constexpr char kAcarbose[] = "XA10BFA001A001010101001";   // codes 8100001..., 30 per box
constexpr char kValsartan[] = "XC09CAV119A001010104532";  // codes 8200002..., 7 per box

std::string RefData() {
  Json doc = {
      {"version", "suspects test"},
      {"drugs",
       {{{"med_list_codg", kAcarbose},
         {"name", "阿卡波糖片"},
         {"codes_required", true},
         {"pack_content", 30},
         {"product_ids", {"8100001"}}},
        {{"med_list_codg", kValsartan},
         {"name", "缬沙坦胶囊"},
         {"codes_required", true},
         {"pack_content", 7},
         {"product_ids", {"8200002"}}}}},
      {"institutions",
       {{{"fixmedins_code", kP1},
         {"fixmedins_name", "康宁大药房"},
         {"institution_class", "retail_pharmacy"},
         {"admdvs", "130802"}},
        {{"fixmedins_code", kP2},
         {"fixmedins_name", "回收药店"},
         {"institution_class", "retail_pharmacy"},
         {"admdvs", "130802"}},
        {{"fixmedins_code", kP3},
         {"fixmedins_name", "承德县药店"},
         {"institution_class", "retail_pharmacy"},
         {"admdvs", "130821"}}}},
      {"policy_calendar",
       {{{"admdvs", ""}, {"institution_class", "retail_pharmacy"}, {"start_date", "2025-03-21"}}}},
      {"no_code_stock", Json::array()}};
  return doc.dump();
}

std::string Code(const char* prefix, int serial) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%013d", prefix, serial);
  return buf;
}

Json CodesJson(const std::vector<std::string>& codes) {
  Json a = Json::array();
  for (const auto& c : codes) a.push_back({{"drug_trac_codg", c}});
  return a;
}

struct Sale {
  Sale(std::string b, std::vector<std::string> c, std::string t)
      : bchno(std::move(b)), codes(std::move(c)), time(std::move(t)) {}
  Sale& Price(std::string p) {
    price = std::move(p);
    return *this;
  }
  Sale& Psn(std::string p) {
    psn = std::move(p);
    return *this;
  }
  // A split sale of `units` minimum units of a drug.
  Sale& Split(std::string d, std::string units) {
    drug = std::move(d);
    count = std::move(units);
    split = true;
    return *this;
  }
  std::string bchno;
  std::vector<std::string> codes;
  std::string time, drug = kAcarbose, price = "36.50", psn = "PSN-A", count;
  bool split = false, insured = true;
};

int msg_seq = 0;

std::string Envelope(const std::string& infno, const std::string& inst, const std::string& array,
                     const Json& row, const std::string& time) {
  Json m = {{"infno", infno},
            {"msgid", "M" + std::to_string(++msg_seq)},
            {"fixmedins_code", inst},
            {"inf_time", time},
            {"opter", "01"},
            {"opter_name", "收银台"},
            {"input", {{array, Json::array({row})}}}};
  return m.dump();
}

std::string Receipt(const std::string& inst, const std::string& bchno, const std::string& drug,
                    const std::vector<std::string>& codes, const std::string& time) {
  Json row = {{"fixmedins_bchno", bchno},     {"med_list_codg", drug},
              {"fixmedins_hilist_id", "H1"},  {"fixmedins_hilist_name", "drug"},
              {"spler_name", "supplier"},     {"purc_retn_cnt", std::to_string(codes.size())},
              {"purc_retn_stoin_time", time}, {"drugtracinfo", CodesJson(codes)}};
  return Envelope("3503", inst, "purcinfo", row, time);
}

std::string SaleMsg(const std::string& inst, const Sale& s) {
  Json row = {{"fixmedins_bchno", s.bchno},
              {"med_list_codg", s.drug},
              {"fixmedins_hilist_id", "H1"},
              {"fixmedins_hilist_name", "drug"},
              {"rtal_docno", "R" + s.bchno},
              {"sel_retn_cnt", s.count.empty() ? std::to_string(s.codes.size()) : s.count},
              {"sel_retn_time", s.time},
              {"trdn_flag", s.split ? "1" : "0"},
              {"mdtrt_setl_type", s.insured ? 1 : 2},
              {"finl_trns_pric", s.price},
              {"drugtracinfo", CodesJson(s.codes)}};
  if (s.insured) {
    row["setl_id"] = "SET" + s.bchno;
    row["psn_no"] = s.psn;
  }
  return Envelope("3505", inst, "selinfo", row, s.time);
}

struct Fixture {
  testsupport::TempDir dir;
  std::string db = dir.file("l.db");
  std::unique_ptr<ledger::Ledger> ledger;
  std::unique_ptr<ingest::Processor> p;

  Fixture() {
    REQUIRE(ledger::Ledger::Init(db, {}).ok());
    auto l = ledger::Ledger::Open(db);
    REQUIRE(l.ok());
    ledger = std::move(*l);
    auto proc = ingest::Processor::Open(*ledger, db);
    REQUIRE(proc.ok());
    p = std::move(*proc);
    std::string err;
    auto doc = ingest::ParseJson(RefData(), err, {.max_depth = 32});
    REQUIRE(doc);
    REQUIRE(p->ImportRefData(*doc, 1).ok());
  }
  // Sends one message and returns its rows' ledger indexes and verdicts.
  std::vector<std::pair<std::uint64_t, std::string>> Send(const std::string& body) {
    ingest::Submission s;
    ingest::Outcome rejected;
    INFO(body);
    REQUIRE(p->Admit(body, 1000, s, rejected));
    std::vector<ingest::Submission> batch;
    batch.push_back(std::move(s));
    auto out = p->ProcessBatch(batch);
    INFO(out[0].body);
    REQUIRE(out[0].http_status == 200);
    std::vector<std::pair<std::uint64_t, std::string>> rows;
    const Json response = Json::parse(out[0].body);  // kept alive for the loop below
    for (const auto& r : response["output"]["rows"]) {
      rows.emplace_back(r["ledger_index"].get<std::uint64_t>(), r["verdict"].get<std::string>());
    }
    return rows;
  }
  std::uint64_t SendOne(const std::string& body, const std::string& verdict) {
    auto rows = Send(body);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].second == verdict);
    return rows[0].first;
  }
  std::string PsnHash(std::uint64_t entry) {
    auto e = ledger->Get(entry);
    REQUIRE(e.ok());
    return Json::parse(e->bytes)["row"]["psn_hash"].get<std::string>();
  }
};

// Entries of the scenario, by name.
struct Scenario {
  std::uint64_t p1_sale_a = 0, p2_receipt = 0, p3_sale_a1 = 0, p3_sale_a2 = 0;
  std::uint64_t p1_sale_b1 = 0, p1_resale_b1 = 0, p1_split1 = 0, p1_split2 = 0, p3_swap = 0;
  std::uint64_t e_p1 = 0, e_p3 = 0;
  std::string psn_a, psn_c, psn_e;
  std::vector<std::string> a;  // the ring's codes
};

Scenario Fill(Fixture& f) {
  Scenario s;
  s.a = {Code("8100001", 1), Code("8100001", 2), Code("8100001", 3)};
  // 回流 ring: P1 sells three boxes to patient A with insurance (3 x 36.50 = 109.50), collector
  // P2 receives the same boxes, P3 sells two of them with insurance again (40.00 each).
  f.SendOne(Receipt(kP1, "R1", kAcarbose, s.a, "2025-08-01 09:00:00"), "ok");
  s.p1_sale_a = f.SendOne(SaleMsg(kP1, Sale("S1", s.a, "2025-08-02 10:00:00")), "ok");
  s.p2_receipt = f.SendOne(Receipt(kP2, "R2", kAcarbose, s.a, "2025-08-05 09:00:00"), "block");
  s.p3_sale_a1 = f.SendOne(
      SaleMsg(kP3, Sale("S2", {s.a[0]}, "2025-08-06 10:00:00").Price("40.00").Psn("PSN-B")),
      "block");
  s.p3_sale_a2 = f.SendOne(
      SaleMsg(kP3, Sale("S3", {s.a[1]}, "2025-08-07 10:00:00").Price("40.00").Psn("PSN-B")),
      "block");
  // A code reused at P1: sold to patient C, sold again two days later (36.50 each).
  const std::string b1 = Code("8100001", 11);
  f.SendOne(Receipt(kP1, "R3", kAcarbose, {b1}, "2025-08-01 09:00:00"), "ok");
  s.p1_sale_b1 =
      f.SendOne(SaleMsg(kP1, Sale("S4", {b1}, "2025-08-10 10:00:00").Psn("PSN-C")), "ok");
  s.p1_resale_b1 =
      f.SendOne(SaleMsg(kP1, Sale("S5", {b1}, "2025-08-12 10:00:00").Psn("PSN-D")), "block");
  // Split sales over capacity at P1: 7 capsules a box, 5 + 5 sold at 2.10 each (10.50 a row).
  const std::string c1 = Code("8200002", 21);
  f.SendOne(Receipt(kP1, "R4", kValsartan, {c1}, "2025-08-01 09:00:00"), "ok");
  s.p1_split1 = f.SendOne(SaleMsg(kP1, Sale("S6", {c1}, "2025-08-13 10:00:00")
                                           .Split(kValsartan, "5")
                                           .Price("2.10")
                                           .Psn("PSN-F")),
                          "ok");
  s.p1_split2 = f.SendOne(SaleMsg(kP1, Sale("S7", {c1}, "2025-08-14 10:00:00")
                                           .Split(kValsartan, "5")
                                           .Price("2.10")
                                           .Psn("PSN-G")),
                          "block");
  // 串换 at P3: a 缬沙坦 box billed as 阿卡波糖 (36.50).
  const std::string d1 = Code("8200002", 31);
  f.SendOne(Receipt(kP3, "R5", kValsartan, {d1}, "2025-08-01 09:00:00"), "ok");
  s.p3_swap =
      f.SendOne(SaleMsg(kP3, Sale("S8", {d1}, "2025-08-15 10:00:00").Psn("PSN-H")), "block");
  // Patient E over-buys 阿卡波糖: 7 boxes at P1 (255.50) and 5 at P3 (182.50) in August.
  std::vector<std::string> e1, e3;
  for (int i = 0; i < 7; ++i) e1.push_back(Code("8100001", 100 + i));
  for (int i = 0; i < 5; ++i) e3.push_back(Code("8100001", 200 + i));
  f.SendOne(Receipt(kP1, "R6", kAcarbose, e1, "2025-08-01 09:00:00"), "ok");
  f.SendOne(Receipt(kP3, "R7", kAcarbose, e3, "2025-08-01 09:00:00"), "ok");
  s.e_p1 = f.SendOne(SaleMsg(kP1, Sale("S9", e1, "2025-08-16 10:00:00").Psn("PSN-E")), "ok");
  s.e_p3 = f.SendOne(SaleMsg(kP3, Sale("S10", e3, "2025-08-20 10:00:00").Psn("PSN-E")), "ok");
  s.psn_a = f.PsnHash(s.p1_sale_a);
  s.psn_c = f.PsnHash(s.p1_sale_b1);
  s.psn_e = f.PsnHash(s.e_p1);
  return s;
}

const Case* Find(const std::vector<Case>& cases, CaseType type, const std::string& key) {
  for (const Case& c : cases) {
    if (c.type == type && c.key == key) return &c;
  }
  return nullptr;
}

std::vector<std::uint64_t> Entries(const Case& c, const std::string& role = "") {
  std::vector<std::uint64_t> out;
  for (const auto& e : c.evidence) {
    if (role.empty() || e.role == role) out.push_back(e.entry);
  }
  return out;
}

ingest::CaseActionRequest Req(const std::string& action, const std::string& actor,
                              const std::string& reason = "", const std::string& assignee = "",
                              std::optional<std::int64_t> recovered = std::nullopt) {
  ingest::CaseActionRequest r;
  r.action = action;
  r.actor = actor;
  r.reason = reason;
  r.assignee = assignee;
  r.recovered_fen = recovered;
  return r;
}

std::vector<Case> Build(Fixture& f, ingest::SuspectQuery q = {}) {
  auto cases = ingest::BuildCases(*f.ledger, q);
  INFO(cases.status().ToString());
  REQUIRE(cases.ok());
  return std::move(*cases);
}

}  // namespace

TEST_CASE("suspects: a 回流 ring gives pack chains, a collector, a resale and the patient",
          "[suspects]") {
  Fixture f;
  Scenario s = Fill(f);
  auto cases = Build(f);

  const Case* collector = Find(cases, CaseType::kCollector, kP2);
  REQUIRE(collector != nullptr);
  CHECK(collector->packs == 3);
  CHECK(collector->institutions == std::vector<std::string>{kP2, kP1});
  CHECK(Entries(*collector, "flagged") == std::vector<std::uint64_t>{s.p2_receipt});
  CHECK(Entries(*collector, "prior_sale") == std::vector<std::uint64_t>{s.p1_sale_a});
  CHECK(collector->amount_at_risk_fen == 10950);  // the three insured boxes P1 sold
  CHECK(collector->amount_paid_fen == 10950);
  CHECK(collector->summary_zh.find("回收药店") != std::string::npos);
  CHECK(collector->summary_en.find("collector") != std::string::npos);

  const Case* resale = Find(cases, CaseType::kResale, kP3);
  REQUIRE(resale != nullptr);
  CHECK(resale->packs == 2);
  CHECK(Entries(*resale, "flagged") == std::vector<std::uint64_t>{s.p3_sale_a1, s.p3_sale_a2});
  // Two of P1's three boxes (2/3 of 109.50) and P3's two blocked sales (not paid).
  CHECK(resale->amount_at_risk_fen == 7300 + 4000 + 4000);
  CHECK(resale->amount_paid_fen == 7300);

  // The pack identity of a 码上放心 code is "M" and its 20 digits.
  const Case* chain1 = Find(cases, CaseType::kPackChain, "M" + s.a[0]);
  REQUIRE(chain1 != nullptr);
  CHECK(Entries(*chain1) == std::vector<std::uint64_t>{s.p1_sale_a, s.p2_receipt, s.p3_sale_a1});
  CHECK(chain1->amount_at_risk_fen == 3650 + 4000);
  const Case* chain3 = Find(cases, CaseType::kPackChain, "M" + s.a[2]);
  REQUIRE(chain3 != nullptr);
  CHECK(Entries(*chain3) == std::vector<std::uint64_t>{s.p1_sale_a, s.p2_receipt});
  CHECK(chain3->amount_at_risk_fen == 3650);

  const Case* patient = Find(cases, CaseType::kPatientReturned, s.psn_a);
  REQUIRE(patient != nullptr);
  CHECK(patient->packs == 3);
  CHECK(Entries(*patient, "prior_sale") == std::vector<std::uint64_t>{s.p1_sale_a});
  CHECK(patient->amount_at_risk_fen == 10950 + 8000);
}

TEST_CASE("suspects: reuse, split over capacity, 串换 and over-buying each make their case",
          "[suspects]") {
  Fixture f;
  Scenario s = Fill(f);
  auto cases = Build(f);

  const Case* reuse = Find(cases, CaseType::kCodeReuse, kP1);
  REQUIRE(reuse != nullptr);
  CHECK(Entries(*reuse) == std::vector<std::uint64_t>{s.p1_sale_b1, s.p1_resale_b1});
  CHECK(reuse->amount_at_risk_fen == 7300);
  CHECK(reuse->amount_paid_fen == 3650);
  // One box of patient C's sold again by the pharmacy that sold it: P1's reuse, not C's doing.
  CHECK(Find(cases, CaseType::kPatientReturned, s.psn_c) == nullptr);

  const Case* split = Find(cases, CaseType::kSplitOver, kP1);
  REQUIRE(split != nullptr);
  CHECK(Entries(*split) == std::vector<std::uint64_t>{s.p1_split2});
  CHECK(split->amount_at_risk_fen == 1050);
  CHECK(split->amount_paid_fen == 0);

  const Case* swap = Find(cases, CaseType::kProductSwap, kP3);
  REQUIRE(swap != nullptr);
  CHECK(Entries(*swap) == std::vector<std::uint64_t>{s.p3_swap});
  CHECK(swap->amount_at_risk_fen == 3650);
  CHECK(swap->summary_zh.find("串换") != std::string::npos);

  const Case* overbuy = Find(cases, CaseType::kPatientOverbuy, s.psn_e + "|" + kAcarbose);
  REQUIRE(overbuy != nullptr);
  CHECK(overbuy->packs == 12);
  CHECK(overbuy->institutions.size() == 2);
  CHECK(Entries(*overbuy) == std::vector<std::uint64_t>{s.e_p1, s.e_p3});
  CHECK(overbuy->amount_at_risk_fen == 18250);  // what P3, not the main pharmacy, sold
  // Below the threshold nobody over-buys.
  ingest::SuspectQuery high;
  high.overbuy_boxes_per_month = 13;
  CHECK(Find(Build(f, high), CaseType::kPatientOverbuy, s.psn_e + "|" + kAcarbose) == nullptr);
  // Only patient A's boxes left the counter and came back; B, D, F, G, H bought once each.
  for (const Case& c : cases) {
    if (c.type == CaseType::kPatientReturned) CHECK(c.key == s.psn_a);
  }
}

TEST_CASE("suspects: a box sold again by its own counter is the counter's case, not the patient's",
          "[suspects]") {
  Fixture f;
  std::vector<std::string> k;
  for (int i = 0; i < 7; ++i) k.push_back(Code("8100001", 300 + i));
  f.SendOne(Receipt(kP1, "R1", kAcarbose, k, "2025-08-01 09:00:00"), "ok");
  // Patient J: two purchases, both boxes sold again by P1 later (a counter buying back J's boxes).
  const auto j1 = f.SendOne(SaleMsg(kP1, Sale("S1", {k[0]}, "2025-08-02 10:00:00").Psn("J")), "ok");
  const auto j2 = f.SendOne(SaleMsg(kP1, Sale("S2", {k[1]}, "2025-08-05 10:00:00").Psn("J")), "ok");
  // Patient K: the box comes back into P1's stock through a receipt.
  const auto k1 = f.SendOne(SaleMsg(kP1, Sale("S3", {k[2]}, "2025-08-03 10:00:00").Psn("K")), "ok");
  // Patient L: one box whose code P1 scans again for someone else.
  const auto l1 = f.SendOne(SaleMsg(kP1, Sale("S4", {k[3]}, "2025-08-04 10:00:00").Psn("L")), "ok");
  // Patient M: a double scan at the counter, and one box sold again days later.
  const auto m1 = f.SendOne(SaleMsg(kP1, Sale("S5", {k[4]}, "2025-08-06 10:00:00").Psn("M")), "ok");
  const auto m2 = f.SendOne(SaleMsg(kP1, Sale("S6", {k[5]}, "2025-08-07 10:00:00").Psn("M")), "ok");
  const auto j1b =
      f.SendOne(SaleMsg(kP1, Sale("S7", {k[0]}, "2025-08-10 10:00:00").Psn("X1")), "block");
  const auto j2b =
      f.SendOne(SaleMsg(kP1, Sale("S8", {k[1]}, "2025-08-12 10:00:00").Psn("X2")), "block");
  const auto k1b = f.SendOne(Receipt(kP1, "R2", kAcarbose, {k[2]}, "2025-08-09 09:00:00"), "block");
  const auto l1b =
      f.SendOne(SaleMsg(kP1, Sale("S9", {k[3]}, "2025-08-11 10:00:00").Psn("X3")), "block");
  const auto m1b =
      f.SendOne(SaleMsg(kP1, Sale("S10", {k[4]}, "2025-08-06 10:00:30").Psn("X4")), "block");
  const auto m2b =
      f.SendOne(SaleMsg(kP1, Sale("S11", {k[5]}, "2025-08-13 10:00:00").Psn("X5")), "block");
  auto cases = Build(f);

  const Case* j = Find(cases, CaseType::kPatientReturned, f.PsnHash(j1));
  REQUIRE(j != nullptr);
  CHECK(Entries(*j) == std::vector<std::uint64_t>{j1, j2, j1b, j2b});
  CHECK(Entries(*j, "prior_sale") == std::vector<std::uint64_t>{j1, j2});
  const Case* kc = Find(cases, CaseType::kPatientReturned, f.PsnHash(k1));
  REQUIRE(kc != nullptr);
  CHECK(Entries(*kc) == std::vector<std::uint64_t>{k1, k1b});
  CHECK(Find(cases, CaseType::kPatientReturned, f.PsnHash(l1)) == nullptr);
  CHECK(Find(cases, CaseType::kPatientReturned, f.PsnHash(m1)) == nullptr);
  std::size_t patients = 0;
  for (const Case& c : cases) patients += c.type == CaseType::kPatientReturned;
  CHECK(patients == 2);
  // Every one of them is P1's reuse.
  const Case* reuse = Find(cases, CaseType::kCodeReuse, kP1);
  REQUIRE(reuse != nullptr);
  CHECK(Entries(*reuse, "flagged") == std::vector<std::uint64_t>{j1b, j2b, k1b, l1b, m1b, m2b});
  (void)m2;
}

TEST_CASE("suspects: ranked by amount at risk, filtered by type, region, status and limit",
          "[suspects]") {
  Fixture f;
  Scenario s = Fill(f);
  auto cases = Build(f);
  REQUIRE(cases.size() >= 4);
  for (std::size_t i = 1; i < cases.size(); ++i) {
    CHECK(cases[i - 1].amount_at_risk_fen >= cases[i].amount_at_risk_fen);
  }
  // By hand: patient A 189.50, patient E 182.50, resale at P3 153.00, collector P2 109.50.
  CHECK(cases[0].type == CaseType::kPatientReturned);
  CHECK(cases[1].type == CaseType::kPatientOverbuy);
  CHECK(cases[2].type == CaseType::kResale);
  CHECK(cases[3].type == CaseType::kCollector);

  ingest::SuspectQuery q;
  q.type = CaseType::kPackChain;
  auto chains = Build(f, q);
  CHECK(chains.size() == 5);  // A1, A2, A3, B1, C1
  for (const Case& c : chains) CHECK(c.type == CaseType::kPackChain);

  ingest::SuspectQuery region;
  region.region = "130821";  // only P3's district
  auto in_region = Build(f, region);
  CHECK(Find(in_region, CaseType::kResale, kP3) != nullptr);
  CHECK(Find(in_region, CaseType::kProductSwap, kP3) != nullptr);
  CHECK(Find(in_region, CaseType::kCollector, kP2) == nullptr);
  CHECK(Find(in_region, CaseType::kCodeReuse, kP1) == nullptr);
  region.region = "130800";  // the city holds all three
  CHECK(Build(f, region).size() == cases.size());
  region.region = "110000";
  CHECK(Build(f, region).empty());

  ingest::SuspectQuery limited;
  limited.limit = 2;
  auto top = Build(f, limited);
  REQUIRE(top.size() == 2);
  CHECK(top[0].id == cases[0].id);
  CHECK(top[1].id == cases[1].id);

  ingest::SuspectQuery outside;
  outside.from = validator::Date{2025, 9, 1};
  outside.to = validator::Date{2025, 9, 30};
  CHECK(Build(f, outside).empty());
  outside.from = validator::Date{2025, 8, 1};
  outside.to = validator::Date{2025, 8, 6};  // up to the ring, before the reuse
  auto early = Build(f, outside);
  CHECK(Find(early, CaseType::kCollector, kP2) != nullptr);
  CHECK(Find(early, CaseType::kCodeReuse, kP1) == nullptr);
  (void)s;
}

TEST_CASE("suspects: bad queries are refused with what is wrong", "[suspects]") {
  Fixture f;
  ingest::SuspectQuery q;
  q.from = validator::Date{2025, 8, 1};
  auto one_side = ingest::BuildCases(*f.ledger, q);
  REQUIRE_FALSE(one_side.ok());
  CHECK(one_side.status().message().find("--to") != std::string::npos);
  q.to = validator::Date{2025, 7, 1};
  auto reversed = ingest::BuildCases(*f.ledger, q);
  REQUIRE_FALSE(reversed.ok());
  CHECK(reversed.status().message().find("after") != std::string::npos);
  auto bad = ingest::ParseQueryDate("2025-02-30", "--from");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("--from") != std::string::npos);
  CHECK_FALSE(ingest::ParseQueryDate("2025-8-1", "--to").ok());
  // A ledger without uploads has no cases.
  auto none = ingest::BuildCases(*f.ledger, {});
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("suspects: ids are stable, the workflow is recorded in the ledger and verifies",
          "[suspects]") {
  Fixture f;
  Fill(f);
  auto first = Build(f);
  const Case* collector = Find(first, CaseType::kCollector, kP2);
  REQUIRE(collector != nullptr);
  const std::string id = collector->id;
  CHECK(id.rfind("collector-202508-", 0) == 0);
  // Built again, and for a period that only overlaps: the same id.
  ingest::SuspectQuery part;
  part.from = validator::Date{2025, 8, 3};
  part.to = validator::Date{2025, 8, 31};
  auto partial = Build(f, part);
  const Case* again = Find(partial, CaseType::kCollector, kP2);
  REQUIRE(again != nullptr);
  CHECK(again->id == id);

  auto act = [&](ingest::CaseActionRequest req) -> ledger::Result<std::uint64_t> {
    req.case_id = id;
    auto p = ingest::PrepareCaseAction(*f.ledger, req, 5000);
    if (!p.ok()) return p.status();
    return ingest::RecordCaseAction(*f.ledger, *p);
  };
  // Not yet investigating: confirm is refused and says why.
  auto early = act(Req("confirm", "张科长", "r"));
  REQUIRE_FALSE(early.ok());
  CHECK(early.status().code() == ledger::Code::kFailedPrecondition);
  CHECK(early.status().message().find("is open") != std::string::npos);
  CHECK_FALSE(act(Req("investigate", "")).ok());
  CHECK_FALSE(act(Req("close", "张科长")).ok());

  const auto size_before = f.ledger->size();
  auto inv = act(Req("investigate", "张科长", "现场核查"));
  REQUIRE(inv.ok());
  CHECK(*inv == size_before);
  auto assign = act(Req("assign", "张科长", "", "李稽查员"));
  REQUIRE(assign.ok());
  CHECK_FALSE(act(Req("investigate", "张科长")).ok());
  CHECK_FALSE(act(Req("confirm", "张科长")).ok());  // no reason
  auto confirm = act(Req("confirm", "张科长", "药店承认收购回流药", "", 10950));
  REQUIRE(confirm.ok());
  CHECK_FALSE(act(Req("dismiss", "张科长", "r")).ok());
  auto more = act(Req("annotate", "王处长", "追回罚款", "", 5000));
  REQUIRE(more.ok());

  // The status follows the case when built again.
  auto rebuilt = Build(f);
  const Case* now = Find(rebuilt, CaseType::kCollector, kP2);
  REQUIRE(now != nullptr);
  CHECK(now->status == ingest::CaseStatus::kConfirmed);
  CHECK(now->recovered_fen == 15950);
  CHECK(now->assignee == "李稽查员");
  ingest::SuspectQuery confirmed;
  confirmed.status = ingest::CaseStatus::kConfirmed;
  auto only = Build(f, confirmed);
  REQUIRE(only.size() == 1);
  CHECK(only[0].id == id);

  auto shown = ingest::ShowCase(*f.ledger, id);
  REQUIRE(shown.ok());
  REQUIRE(shown->history.size() == 4);
  CHECK(shown->history[0].action == "investigate");
  CHECK(shown->history[0].status_before == "open");
  CHECK(shown->history[2].status_after == "confirmed");
  CHECK(shown->history[2].entry == *confirm);

  // Each action is a case_action entry holding what was decided and on which evidence.
  auto e = f.ledger->Get(*confirm);
  REQUIRE(e.ok());
  CHECK(e->type == static_cast<std::uint32_t>(ledger::EntryType::kCaseAction));
  CHECK(e->institution == kP2);
  auto j = Json::parse(e->bytes);
  CHECK(j["kind"] == "case_action");
  CHECK(j["case_id"] == id);
  CHECK(j["status_after"] == "confirmed");
  CHECK(j["recovered_fen"] == 10950);
  CHECK(j["evidence"].size() == collector->evidence.size());
  CHECK(j.dump() == e->bytes);

  auto report = f.ledger->Verify({});
  INFO(report.status().ToString());
  REQUIRE(report.ok());
  CHECK(report->entries == f.ledger->size());
}

TEST_CASE("suspects: a stale prepared action is refused when recorded, unknown cases are clear",
          "[suspects]") {
  Fixture f;
  Fill(f);
  auto cases = Build(f);
  const Case* reuse = Find(cases, CaseType::kCodeReuse, kP1);
  REQUIRE(reuse != nullptr);
  ingest::CaseActionRequest req = Req("investigate", "a");
  req.case_id = reuse->id;
  auto p1 = ingest::PrepareCaseAction(*f.ledger, req, 1);
  auto p2 = ingest::PrepareCaseAction(*f.ledger, req, 2);
  REQUIRE(p1.ok());
  REQUIRE(p2.ok());
  REQUIRE(ingest::RecordCaseAction(*f.ledger, *p1).ok());
  const auto size = f.ledger->size();
  auto second = ingest::RecordCaseAction(*f.ledger, *p2);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().message().find("is now investigating") != std::string::npos);
  CHECK(f.ledger->size() == size);

  auto unknown = ingest::ShowCase(*f.ledger, "collector-202508-000000000000");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().code() == ledger::Code::kNotFound);
  CHECK(unknown.status().message().find("collector-202508-000000000000") != std::string::npos);
  auto malformed = ingest::ShowCase(*f.ledger, "nonsense");
  REQUIRE_FALSE(malformed.ok());
  CHECK(malformed.status().code() == ledger::Code::kInvalidArgument);
  ingest::CaseActionRequest unknown_req = Req("investigate", "a");
  unknown_req.case_id = "resale-202508-0123456789ab";
  auto act_unknown = ingest::PrepareCaseAction(*f.ledger, unknown_req, 1);
  CHECK(act_unknown.status().code() == ledger::Code::kNotFound);
}

TEST_CASE("suspects: JSON and CSV carry every case with its evidence", "[suspects]") {
  Fixture f;
  Fill(f);
  ingest::SuspectQuery q;
  auto cases = Build(f, q);
  auto j = Json::parse(ingest::CasesJson(cases, q));
  CHECK(j["count"] == cases.size());
  REQUIRE(j["cases"].size() == cases.size());
  CHECK(j["cases"][0]["id"] == cases[0].id);
  CHECK(j["cases"][0]["month"] == "2025-08");
  CHECK(j["cases"][0]["evidence_entries"].size() == cases[0].evidence.size());

  const std::string csv = ingest::CasesCsv(cases);
  std::size_t lines = 0;
  for (std::size_t at = 0; (at = csv.find("\r\n", at)) != std::string::npos; at += 2) ++lines;
  CHECK(lines == cases.size() + 1);
  CHECK(csv.rfind("case_id,type,month,status,amount_at_risk_yuan", 0) == 0);
  const Case* collector = Find(cases, CaseType::kCollector, kP2);
  REQUIRE(collector != nullptr);
  CHECK(csv.find(collector->id + ",collector,2025-08,open,109.50,109.50,0.00,3,") !=
        std::string::npos);

  CHECK(ingest::ParseYuan("109.5").value() == 10950);
  CHECK(ingest::ParseYuan("0.07").value() == 7);
  CHECK_FALSE(ingest::ParseYuan("1.234").ok());
  CHECK_FALSE(ingest::ParseYuan("-3").ok());
  CHECK_FALSE(ingest::ParseYuan("").ok());
}

TEST_CASE("suspects: GET /v1/suspects and /v1/cases/{id} answer through the regulator API",
          "[suspects]") {
  Fixture f;
  Fill(f);
  auto ctx = ingest::ReaderContext::Over(*f.ledger);
  REQUIRE(ctx.ok());
  ingest::RegulatorApi api;
  ingest::AddSuspectRoutes(api);
  auto call = [&](const std::string& target, const std::string& scope = "") {
    ingest::HttpRequest req;
    req.method = "GET";
    req.target = target;
    ingest::Principal who;
    who.role = ingest::Role::kRegulator;
    who.token_id = "0badcafe";
    who.region = scope;
    ingest::ApiRequest out;
    auto m = api.Match(req, who, out);
    REQUIRE(std::holds_alternative<const ingest::ApiRoute*>(m));
    return std::get<const ingest::ApiRoute*>(m)->handler(out, **ctx);
  };
  const auto cases = Build(f);
  REQUIRE_FALSE(cases.empty());

  auto all = call("/v1/suspects");
  REQUIRE(all.status == 200);
  CHECK(all.output["count"] == cases.size());
  CHECK(all.output["cases"][0]["id"] == cases[0].id);

  auto limited = call("/v1/suspects?limit=1&format=csv");
  REQUIRE(limited.status == 200);
  CHECK(limited.raw_content_type == "text/csv; charset=utf-8");
  CHECK(limited.raw == ingest::CasesCsv({cases[0]}));

  auto one = call("/v1/cases/" + cases[0].id);
  REQUIRE(one.status == 200);
  CHECK(one.output["id"] == cases[0].id);

  // A token limited to another region sees none of these cases and may not ask for this one's.
  CHECK(call("/v1/suspects", "990000").output["count"] == 0);
  CHECK(call("/v1/suspects?region=130800", "990000").status == 403);
  CHECK(call("/v1/suspects?type=nonsense").status == 400);
  CHECK(call("/v1/suspects?from=2025-08-01").status == 400);
  CHECK(call("/v1/suspects?limit=-1").status == 400);
  CHECK(call("/v1/cases/no-such-case").status >= 400);
}

TEST_CASE("suspects: ForEachCase gives BuildCases's cases one at a time and stops when told",
          "[suspects]") {
  Fixture f;
  Fill(f);
  ingest::SuspectQuery limited;
  limited.limit = 3;
  ingest::SuspectQuery patients;
  patients.type = CaseType::kPatientReturned;
  for (const ingest::SuspectQuery& q : {ingest::SuspectQuery{}, limited, patients}) {
    const std::vector<Case> built = Build(f, q);
    REQUIRE_FALSE(built.empty());
    std::vector<Case> streamed;
    std::string csv = ingest::CasesCsvHeader();
    auto st = ingest::ForEachCase(*f.ledger, q, [&](Case&& c) {
      csv += ingest::CaseCsvLine(c);
      streamed.push_back(std::move(c));
      return ledger::Status::Ok();
    });
    REQUIRE(st.ok());
    CHECK(ingest::CasesJson(streamed, q) == ingest::CasesJson(built, q));
    CHECK(csv == ingest::CasesCsv(built));
  }
  CHECK(Build(f, limited).size() == 3);
  int calls = 0;
  auto st = ingest::ForEachCase(*f.ledger, {}, [&](Case&&) {
    ++calls;
    return ledger::Status::FailedPrecondition("enough");
  });
  CHECK(st.message() == "enough");
  CHECK(calls == 1);
}
