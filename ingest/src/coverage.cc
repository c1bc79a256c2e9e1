// The coverage report's figures: row_facts cells summed per institution, class, region and month
// (docs/reports.md), and their JSON form.
#include "ingest/coverage.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "ingest/regulator.h"

namespace ingest {

namespace {


constexpr int kSaleReturn = 3506;
constexpr int kBlock = 2;
constexpr int kInsured = 1;

int AddMonths(int yyyymm, int delta) {
  int index = (yyyymm / 100) * 12 + (yyyymm % 100 - 1) + delta;
  return (index / 12) * 100 + index % 12 + 1;
}

Measure& ClassMeasure(CoverageFigures::Split& s, ledger::CoverageClass c) {
  switch (c) {
    case ledger::CoverageClass::kCoded:
      return s.coded;
    case ledger::CoverageClass::kMissing:
      return s.missing;
    case ledger::CoverageClass::kExempt:
      return s.exempt;
    case ledger::CoverageClass::kNoCodeStock:
      return s.no_code_stock;
    case ledger::CoverageClass::kNotApplicable:
      break;
  }
  return s.unclassified;
}

// docs/reports.md, "How rows count".
void AddCell(CoverageFigures& f, const ledger::CoverageCell& c) {
  const Measure m{c.rows, c.boxes_milli, c.amount_fen};
  const bool ret = c.infno == kSaleReturn;
  if (c.verdict == kBlock) {
    if (!ret) f.blocked.Add(m);  // a blocked return changed nothing and counts nowhere
    return;
  }
  (ret ? f.returns : f.sales).Add(m);
  // Returns are netted: they count negatively in their own class, lines included.
  const Measure net = ret ? Measure{-m.rows, -m.boxes_milli, -m.amount_fen} : m;
  ClassMeasure(f.all, c.coverage).Add(net);
  if (c.settle == kInsured) ClassMeasure(f.insured, c.coverage).Add(net);
}

std::optional<double> Rate(std::int64_t num, std::int64_t den) {
  if (den <= 0) return std::nullopt;
  return static_cast<double>(num) / static_cast<double>(den);
}

Json RateJson(std::optional<double> r) {
  if (!r) return nullptr;
  return std::round(*r * 10000.0) / 10000.0;
}

Json MeasureJson(const Measure& m) {
  return {{"rows", m.rows}, {"boxes_milli", m.boxes_milli}, {"amount_fen", m.amount_fen}};
}

Json SplitJson(const CoverageFigures::Split& s) {
  return {{"coded", MeasureJson(s.coded)},
          {"missing", MeasureJson(s.missing)},
          {"required", MeasureJson(s.Required())},
          {"exempt", MeasureJson(s.exempt)},
          {"no_code_stock", MeasureJson(s.no_code_stock)},
          {"unclassified", MeasureJson(s.unclassified)}};
}

Json FiguresJson(const CoverageFigures& f) {
  return {{"all", SplitJson(f.all)},
          {"insured", SplitJson(f.insured)},
          {"sales", MeasureJson(f.sales)},
          {"returns", MeasureJson(f.returns)},
          {"blocked", MeasureJson(f.blocked)},
          {"collection_rate_boxes", RateJson(f.CollectionRateBoxes())},
          {"collection_rate_amount", RateJson(f.CollectionRateAmount())},
          {"settlement_rate_boxes", RateJson(f.SettlementRateBoxes())},
          {"settlement_rate_amount", RateJson(f.SettlementRateAmount())}};
}

}  // namespace

void CoverageFigures::Split::Add(const Split& s) {
  coded.Add(s.coded);
  missing.Add(s.missing);
  exempt.Add(s.exempt);
  no_code_stock.Add(s.no_code_stock);
  unclassified.Add(s.unclassified);
}

void CoverageFigures::Add(const CoverageFigures& f) {
  all.Add(f.all);
  insured.Add(f.insured);
  sales.Add(f.sales);
  returns.Add(f.returns);
  blocked.Add(f.blocked);
}

std::optional<double> CoverageFigures::CollectionRateBoxes() const {
  return Rate(all.coded.boxes_milli, all.Required().boxes_milli);
}
std::optional<double> CoverageFigures::CollectionRateAmount() const {
  return Rate(all.coded.amount_fen, all.Required().amount_fen);
}
std::optional<double> CoverageFigures::SettlementRateBoxes() const {
  return Rate(insured.coded.boxes_milli, insured.Required().boxes_milli);
}
std::optional<double> CoverageFigures::SettlementRateAmount() const {
  return Rate(insured.coded.amount_fen, insured.Required().amount_fen);
}

ledger::Result<CoverageReport> BuildCoverage(ledger::RegulatorStore& store,
                                             const validator::RefData& ref,
                                             std::uint64_t ledger_size, const CoverageQuery& q) {
  CoverageReport r;
  r.query = q;
  r.ledger_size = ledger_size;
  const int months = std::max(1, q.trend_months);
  const int from = AddMonths(q.month, -(months - 1));
  auto cells = store.Coverage(from, q.month);
  if (!cells.ok()) return cells.status();

  std::map<std::string, InstitutionCoverage> by_inst;
  std::map<int, CoverageFigures> by_month;
  // Every institution of the reference data in scope is listed, uploads or not.
  ref.ForEachInstitution([&](const validator::Institution& inst) {
    if (!RegionContains(q.region, inst.region)) return;
    InstitutionCoverage& ic = by_inst[inst.fixmedins_code];
    ic.code = inst.fixmedins_code;
    ic.name = inst.name;
    ic.klass = validator::InstitutionClassName(inst.institution_class);
    ic.region = inst.region;
  });
  for (const ledger::CoverageCell& c : *cells) {
    const validator::Institution* inst = ref.FindInstitution(c.institution);
    if (!RegionContains(q.region, inst ? inst->region : "")) continue;
    AddCell(by_month[c.month], c);
    if (c.month != q.month) continue;
    InstitutionCoverage& ic = by_inst[c.institution];
    ic.code = c.institution;
    AddCell(ic.figures, c);
  }
  std::map<std::string, RollUp> classes, regions;
  for (auto& [code, ic] : by_inst) {
    r.total.Add(ic.figures);
    const std::string klass = ic.klass.empty() ? "unknown" : ic.klass;
    const std::string region = ic.region.empty() ? "unknown" : ic.region;
    classes[klass].key = klass;
    classes[klass].institutions++;
    classes[klass].figures.Add(ic.figures);
    regions[region].key = region;
    regions[region].institutions++;
    regions[region].figures.Add(ic.figures);
    r.institutions.push_back(std::move(ic));
  }
  for (auto& [k, v] : classes) r.by_class.push_back(std::move(v));
  for (auto& [k, v] : regions) r.by_region.push_back(std::move(v));
  for (std::size_t i = 0; i < r.institutions.size(); ++i) {
    if (r.institutions[i].figures.CollectionRateBoxes()) r.lowest.push_back(i);
  }
  std::stable_sort(r.lowest.begin(), r.lowest.end(), [&](std::size_t a, std::size_t b) {
    return *r.institutions[a].figures.CollectionRateBoxes() <
           *r.institutions[b].figures.CollectionRateBoxes();
  });
  if (r.lowest.size() > q.lowest) r.lowest.resize(q.lowest);
  for (int m = from; m <= q.month; m = AddMonths(m, 1)) {
    r.trend.push_back({m, by_month[m]});
  }
  return r;
}

bool CoverageReport::empty() const {
  return total.sales.rows == 0 && total.returns.rows == 0 && total.blocked.rows == 0;
}

Json CoverageJson(const CoverageReport& r) {
  Json out = {{"month", FormatMonth(r.query.month)},
              {"region", r.query.region},
              {"ledger_size", r.ledger_size},
              {"definitions", "docs/reports.md"}};
  const bool empty = r.empty();
  out["empty"] = empty;
  if (empty) {
    out["message"] = "no sales or sale returns recorded for " + FormatMonth(r.query.month) +
                     (r.query.region.empty() ? "" : " in region " + r.query.region);
  }
  Json insts = Json::array();
  for (const InstitutionCoverage& ic : r.institutions) {
    Json j = FiguresJson(ic.figures);
    j["fixmedins_code"] = ic.code;
    j["name"] = ic.name.empty() ? Json(nullptr) : Json(ic.name);
    j["class"] = ic.klass.empty() ? Json(nullptr) : Json(ic.klass);
    j["region"] = ic.region.empty() ? Json(nullptr) : Json(ic.region);
    insts.push_back(std::move(j));
  }
  out["institutions"] = std::move(insts);
  auto rollups = [](const std::vector<RollUp>& v, const char* key) {
    Json a = Json::array();
    for (const RollUp& u : v) {
      Json j = FiguresJson(u.figures);
      j[key] = u.key;
      j["institutions"] = u.institutions;
      a.push_back(std::move(j));
    }
    return a;
  };
  out["by_class"] = rollups(r.by_class, "class");
  out["by_region"] = rollups(r.by_region, "region");
  out["total"] = FiguresJson(r.total);
  Json lowest = Json::array();
  for (std::size_t i : r.lowest) {
    const InstitutionCoverage& ic = r.institutions[i];
    lowest.push_back({{"fixmedins_code", ic.code},
                      {"name", ic.name},
                      {"collection_rate_boxes", RateJson(ic.figures.CollectionRateBoxes())},
                      {"settlement_rate_boxes", RateJson(ic.figures.SettlementRateBoxes())}});
  }
  out["lowest"] = std::move(lowest);
  Json trend = Json::array();
  for (const TrendPoint& p : r.trend) {
    trend.push_back({{"month", FormatMonth(p.month)},
                     {"required_boxes_milli", p.figures.all.Required().boxes_milli},
                     {"collection_rate_boxes", RateJson(p.figures.CollectionRateBoxes())},
                     {"collection_rate_amount", RateJson(p.figures.CollectionRateAmount())},
                     {"settlement_rate_boxes", RateJson(p.figures.SettlementRateBoxes())},
                     {"settlement_rate_amount", RateJson(p.figures.SettlementRateAmount())}});
  }
  out["trend"] = std::move(trend);
  return out;
}

}  // namespace ingest
