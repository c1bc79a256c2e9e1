#include "ingest/row_facts.h"

#include <algorithm>

#include "validator/date.h"

namespace ingest {

namespace {

bool Has(const validator::Judgement& j, validator::RuleId rule) {
  return std::any_of(j.findings.begin(), j.findings.end(),
                     [rule](const validator::Finding& f) { return f.rule == rule; });
}

ledger::CoverageClass Classify(const validator::PreparedRow& p, const validator::Judgement& j) {
  using validator::Interface;
  using validator::RuleId;
  const validator::Row& row = *p.row;
  if (row.infno != Interface::kSale && row.infno != Interface::kSaleReturn) {
    return ledger::CoverageClass::kNotApplicable;
  }
  if (Has(j, RuleId::kRowInvalid) || Has(j, RuleId::kDrugUnknown) ||
      Has(j, RuleId::kInstitutionUnknown)) {
    return ledger::CoverageClass::kNotApplicable;
  }
  if (j.no_code_draw_milli != 0 || Has(j, RuleId::kNoCodeStock)) {
    return ledger::CoverageClass::kNoCodeStock;
  }
  if (Has(j, RuleId::kCodeMissing) || Has(j, RuleId::kCodeCountShort)) {
    return ledger::CoverageClass::kMissing;
  }
  const bool any_valid = std::any_of(p.codes.begin(), p.codes.end(),
                                     [](const validator::ParsedCode& c) { return c.is_pack(); });
  if (any_valid) return ledger::CoverageClass::kCoded;
  // No code and no finding about it: the drug or the day did not require one.
  return row.codes.empty() ? ledger::CoverageClass::kExempt : ledger::CoverageClass::kMissing;
}

}  // namespace

ledger::RowFact MakeRowFact(const validator::PreparedRow& p, const validator::Judgement& j,
                            const validator::RefData& /*ref*/) {
  const validator::Row& row = *p.row;
  ledger::RowFact f;
  f.entry = row.entry_index;
  f.institution = row.fixmedins_code;
  const validator::Date d = validator::DateOf(row.time);
  f.month = d.year * 100 + d.month;
  f.time = row.time;
  f.infno = static_cast<int>(row.infno);
  f.verdict = static_cast<int>(j.verdict);
  f.settle = static_cast<int>(row.mdtrt_setl_type);
  f.coverage = Classify(p, j);
  f.boxes_milli = row.count.milli;
  // finl_trns_pric is the price per unit sold; the amount is price x count, rounded to the fen.
  f.amount_fen = (row.unit_price_fen * row.count.milli + 500) / 1000;
  f.codes = static_cast<int>(row.codes.size());
  f.drug = row.med_list_codg;
  f.psn_hash = row.psn_hash;
  if (row.infno == validator::Interface::kVoid && p.voided != nullptr) {
    f.target_entry = p.voided->entry_index;
  }
  for (const validator::Finding& finding : j.findings) {
    if (!f.rules.empty()) f.rules += ',';
    f.rules += validator::RuleName(finding.rule);
  }
  return f;
}

}  // namespace ingest
