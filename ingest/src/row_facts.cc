#include "ingest/row_facts.h"

#include <algorithm>

#include "validator/date.h"

namespace ingest {

namespace {

bool Has(const validator::Judgement& j, validator::RuleId rule) {
  return std::any_of(j.findings.begin(), j.findings.end(),
                     [rule](const validator::Finding& f) { return f.rule == rule; });
}

// docs/reports.md, "How a row is classified".
ledger::CoverageClass Classify(const validator::PreparedRow& p, const validator::Judgement& j,
                               const validator::Drug* drug) {
  using validator::Interface;
  using validator::RuleId;
  const validator::Row& row = *p.row;
  if (row.infno != Interface::kSale && row.infno != Interface::kSaleReturn) {
    return ledger::CoverageClass::kNotApplicable;
  }
  // A row that could not be judged, or whose drug is not in the catalogue (so whether it needs
  // codes is unknown), is counted apart.
  if (drug == nullptr || Has(j, RuleId::kRowInvalid) || Has(j, RuleId::kDrugUnknown)) {
    return ledger::CoverageClass::kNotApplicable;
  }
  if (!drug->codes_required) return ledger::CoverageClass::kExempt;
  if (j.no_code_draw_milli != 0 || Has(j, RuleId::kNoCodeStock)) {
    return ledger::CoverageClass::kNoCodeStock;
  }
  if (Has(j, RuleId::kCodeMissing) || Has(j, RuleId::kCodeCountShort)) {
    return ledger::CoverageClass::kMissing;
  }
  // Distinct valid pack codes: one per whole box, or one for a split line (the validator's
  // counting rule; returns are not judged for missing codes, so count here).
  std::vector<std::string_view> ids;
  for (const validator::ParsedCode& c : p.codes) {
    if (c.is_pack() && std::find(ids.begin(), ids.end(), c.identity) == ids.end()) {
      ids.push_back(c.identity);
    }
  }
  const std::int64_t needed = row.trdn_flag ? 1 : std::max<std::int64_t>(1, row.count.CeilWhole());
  return static_cast<std::int64_t>(ids.size()) >= needed ? ledger::CoverageClass::kCoded
                                                         : ledger::CoverageClass::kMissing;
}

// Boxes in thousandths: whole-pack lines count boxes; a split line (trdn_flag=1) counts minimum
// units, converted with the catalogue's pack content (a whole box when the content is unknown).
std::int64_t BoxesMilli(const validator::Row& row, const validator::Drug* drug) {
  if (!row.trdn_flag) return row.count.milli;
  if (drug == nullptr || drug->pack_content <= 0) return 1000;
  return (row.count.milli + drug->pack_content / 2) / drug->pack_content;
}

}  // namespace

ledger::RowFact MakeRowFact(const validator::PreparedRow& p, const validator::Judgement& j,
                            const validator::RefData& ref) {
  const validator::Row& row = *p.row;
  const validator::Drug* drug = ref.FindDrug(row.med_list_codg);
  ledger::RowFact f;
  f.entry = row.entry_index;
  f.institution = row.fixmedins_code;
  const validator::Date d = validator::DateOf(row.time);
  f.month = d.year * 100 + d.month;
  f.time = row.time;
  f.infno = static_cast<int>(row.infno);
  f.verdict = static_cast<int>(j.verdict);
  f.settle = static_cast<int>(row.mdtrt_setl_type);
  f.coverage = Classify(p, j, drug);
  f.boxes_milli = BoxesMilli(row, drug);
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

void AppendUnchangedEvents(const validator::PreparedRow& p, const validator::Judgement& j,
                           std::span<const validator::KnownState> known,
                           std::vector<ledger::CodeEvent>& out) {
  for (const std::string& id : p.identities) {
    const bool moved =
        std::any_of(j.updates.begin(), j.updates.end(),
                    [&id](const validator::StateUpdate& u) { return u.identity == id; });
    if (moved) continue;
    auto it = std::find_if(known.begin(), known.end(),
                           [&id](const validator::KnownState& k) { return k.identity == id; });
    validator::CodeState state;
    if (it != known.end()) {
      // Unreadable states are never encoded; leave such a pack's stored events as they are.
      if (it->state->status == validator::PackStatus::kUnreadable) continue;
      state = *it->state;
    }
    out.push_back({id, p.row->entry_index, state.Encode()});
  }
}

}  // namespace ingest
