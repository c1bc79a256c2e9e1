// Shared helpers for the validator tests: a small reference data set, row builders, and `Sim`, an
// in-memory stand-in for ingest (entry indices, state overlay, 无码库 balances, voided-row
// look-up).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "validator/validator.h"

namespace vt {

using namespace validator;

// Drugs: A and B need codes; HERB is exempt (中药饮片).
inline const std::string kDrugA = "XA10BAA001";  // content 24, prefix 8100001, EAN 6901234567892
inline const std::string kDrugB = "XC09BBB002";  // content 10, GTIN 12345678901231
inline const std::string kHerb = "T000700001";
inline const std::string kEanA = "6901234567892";
// Institutions: P1, P2 retail pharmacies in region 130800 (start 2025-03-21); P2 has 无码库 of A
// (10 boxes, sunset 2026-01-01); H3 a level-3 hospital there (start 2025-07-01); PX a pharmacy in
// region 440100, which has no regional entry (national default 2025-07-01).
inline const std::string kP1 = "P13080000001";
inline const std::string kP2 = "P13080000002";
inline const std::string kH3 = "H13080000003";
inline const std::string kPX = "P44010000009";

inline RefData MakeRef() {
  RefData ref;
  ref.AddDrug({kDrugA, "阿卡波糖片", true, "", 24, {"8100001", kEanA}});
  ref.AddDrug({kDrugB, "缬沙坦胶囊", true, "", 10, {"12345678901231", "8200002"}});
  ref.AddDrug({kHerb, "黄芪饮片", false, "中药饮片", 0, {}});
  ref.AddInstitution({kP1, "康宁大药房", InstitutionClass::kRetailPharmacy, "130800"});
  ref.AddInstitution({kP2, "仁和药店", InstitutionClass::kRetailPharmacy, "130800"});
  ref.AddInstitution({kH3, "市中心医院", InstitutionClass::kLevel3, "130800"});
  ref.AddInstitution({kPX, "远方药房", InstitutionClass::kRetailPharmacy, "440100"});
  ref.AddCalendarEntry({"130800", InstitutionClass::kRetailPharmacy, {2025, 3, 21}});
  ref.AddCalendarEntry({"130800", InstitutionClass::kLevel1, {2025, 5, 1}});
  ref.AddCalendarEntry({"130800", InstitutionClass::kLevel2, {2025, 6, 1}});
  ref.AddCalendarEntry({"130800", InstitutionClass::kLevel3, {2025, 7, 1}});
  ref.AddCalendarEntry({"", InstitutionClass::kRetailPharmacy, {2025, 7, 1}});
  ref.AddNoCodeStock({kP2, kDrugA, Quantity::Whole(10), {2026, 1, 1}});
  return ref;
}

inline std::string Serial9(int n) {
  std::string s = std::to_string(n);
  return std::string(9 - s.size(), '0') + s;
}
// 码上放心 codes of drug A (prefix 8100001) and drug B (prefix 8200002).
inline std::string CodeA(int n) {
  return "8100001" + Serial9(n) + "1234";
}
inline std::string CodeB(int n) {
  return "8200002" + Serial9(n) + "5678";
}
// GS1 human-readable form of drug B with an expiry.
inline std::string Gs1B(int n, const std::string& yymmdd) {
  return "(01)12345678901231(17)" + yymmdd + "(21)SN" + std::to_string(n);
}

inline CivilSeconds At(const char* text) {
  return *ParseCivilTime(text);
}
inline const CivilSeconds kT0 = At("2025-08-01 10:00:00");  // after every enforcement date

inline Row MakeRow(Interface infno, const std::string& inst, const std::string& drug,
                   const char* count, std::vector<std::string> codes, CivilSeconds t = kT0) {
  Row r;
  r.infno = infno;
  r.fixmedins_code = inst;
  r.med_list_codg = drug;
  r.count = *Quantity::Parse(count);
  r.codes = std::move(codes);
  r.time = t;
  r.mdtrt_setl_type = SettlementType::kInsured;
  r.psn_hash = "h:patient-1";
  return r;
}
inline Row Receipt(const std::string& inst, std::vector<std::string> codes, CivilSeconds t = kT0,
                   const std::string& drug = kDrugA) {
  const std::string n = std::to_string(codes.size());
  return MakeRow(Interface::kReceipt, inst, drug, n.c_str(), std::move(codes), t);
}
inline Row Sale(const std::string& inst, std::vector<std::string> codes, CivilSeconds t = kT0,
                const std::string& drug = kDrugA) {
  const std::string n = std::to_string(codes.empty() ? 1 : codes.size());
  return MakeRow(Interface::kSale, inst, drug, n.c_str(), std::move(codes), t);
}
inline Row SplitSale(const std::string& inst, std::vector<std::string> codes, const char* units,
                     CivilSeconds t = kT0, const std::string& drug = kDrugA) {
  Row r = MakeRow(Interface::kSale, inst, drug, units, std::move(codes), t);
  r.trdn_flag = true;
  return r;
}
inline Row SaleReturn(const std::string& inst, std::vector<std::string> codes, CivilSeconds t = kT0,
                      const std::string& drug = kDrugA) {
  const std::string n = std::to_string(codes.size());
  return MakeRow(Interface::kSaleReturn, inst, drug, n.c_str(), std::move(codes), t);
}
inline Row SplitReturn(const std::string& inst, std::vector<std::string> codes, const char* units,
                       CivilSeconds t = kT0, const std::string& drug = kDrugA) {
  Row r = MakeRow(Interface::kSaleReturn, inst, drug, units, std::move(codes), t);
  r.trdn_flag = true;
  return r;
}
inline Row PurchaseReturn(const std::string& inst, std::vector<std::string> codes,
                          CivilSeconds t = kT0, const std::string& drug = kDrugA) {
  const std::string n = std::to_string(codes.size());
  return MakeRow(Interface::kPurchaseReturn, inst, drug, n.c_str(), std::move(codes), t);
}
inline Row VoidOf(const std::string& inst, const std::string& target, CivilSeconds t = kT0) {
  Row r = MakeRow(Interface::kVoid, inst, "", "0", {}, t);
  r.target_bchno = target;
  return r;
}
inline Row WithBchno(Row r, std::string bchno) {
  r.fixmedins_bchno = std::move(bchno);
  return r;
}

inline bool Has(const Judgement& j, RuleId rule) {
  for (const Finding& f : j.findings) {
    if (f.rule == rule) return true;
  }
  return false;
}
inline const Finding* Get(const Judgement& j, RuleId rule) {
  for (const Finding& f : j.findings) {
    if (f.rule == rule) return &f;
  }
  return nullptr;
}
inline std::string Describe(const Judgement& j) {
  std::string out = std::string(VerdictName(j.verdict)) + ":";
  for (const Finding& f : j.findings)
    out += std::string(" ") + RuleName(f.rule) + "/" + SeverityName(f.severity);
  return out;
}

// Plays ingest: numbers rows, keeps states and 无码库 balances, finds voided originals by bchno.
class Sim {
 public:
  explicit Sim(RefData ref = MakeRef()) : ref_(std::move(ref)) {}

  bool uploads_receipts = false;
  StateMap states;

  Judgement Run(Row row) { return RunIn(std::move(row), nullptr); }

  // All rows as one message: a pack scanned in an earlier row is a DUPLICATE_SCAN.
  std::vector<Judgement> RunMessage(std::vector<Row> rows) {
    IdentitySet seen;
    std::vector<Judgement> out;
    for (Row& r : rows) out.push_back(RunIn(std::move(r), &seen));
    return out;
  }

  std::int64_t Balance(const std::string& inst, const std::string& drug) const {
    auto it = balances_.find(inst + "|" + drug);
    if (it != balances_.end()) return it->second;
    const NoCodeStock* s = ref_.FindNoCodeStock(inst, drug);
    return s ? s->boxes.milli : 0;
  }
  const CodeState* State(const std::string& code) const {
    auto it = states.find(ParseCode(code).identity);
    return it == states.end() ? nullptr : &it->second;
  }
  const RefData& ref() const { return ref_; }

 private:
  struct Stored {
    Row row;
    Judgement judgement;
  };

  Judgement RunIn(Row row, IdentitySet* seen) {
    row.entry_index = ++entries_;
    if (row.fixmedins_bchno.empty()) row.fixmedins_bchno = "B" + std::to_string(row.entry_index);
    Context ctx;
    ctx.seen_in_message = seen;
    ctx.uploads_receipts = uploads_receipts;
    const Row* voided = nullptr;
    if (row.infno == Interface::kVoid) {
      auto it = rows_.find(row.fixmedins_code + "|" + row.target_bchno);
      if (it != rows_.end()) {
        voided = &it->second.row;
        ctx.voided_verdict = it->second.judgement.verdict;
        ctx.voided_no_code_draw_milli = it->second.judgement.no_code_draw_milli;
      }
    }
    const std::string drug = voided ? voided->med_list_codg : row.med_list_codg;
    ctx.no_code_balance = Quantity{Balance(row.fixmedins_code, drug)};
    PreparedRow prepared = Prepare(row, voided);
    const std::vector<KnownState> known = GatherStates(prepared, states);
    ctx.states = known;
    Judgement j = Validate(prepared, ref_, ctx);
    ApplyUpdates(j, states);
    if (seen) NoteSeen(prepared, *seen);
    balances_[row.fixmedins_code + "|" + drug] =
        Balance(row.fixmedins_code, drug) - j.no_code_draw_milli;
    const std::string key = row.fixmedins_code + "|" + row.fixmedins_bchno;
    rows_[key] = Stored{std::move(row), j};
    return j;
  }

  RefData ref_;
  std::uint64_t entries_ = 0;
  std::map<std::string, std::int64_t> balances_;
  std::map<std::string, Stored> rows_;
};

}  // namespace vt
