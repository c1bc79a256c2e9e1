// CODE_MISSING / CODE_COUNT_SHORT / NO_CODE_STOCK: a code-required line must carry one code per
// whole box (a split line: at least one), unless the institution's 无码库 balance covers the rest.
#include "judge.h"

namespace validator::internal {

namespace {

std::string BoxesText(std::int64_t milli) {
  return Quantity{milli}.ToString();
}

}  // namespace

bool Judge::CoveredByNoCodeStock(std::int64_t draw_milli, std::string& why_zh,
                                 std::string& why_en) {
  const NoCodeStock* stock = ref_.FindNoCodeStock(row_.fixmedins_code, drug_->med_list_codg);
  if (stock == nullptr) return false;
  if (DateOf(row_.time) >= stock->sunset) {
    why_zh = "（无码库已于 " + FormatDate(stock->sunset) + " 停用）";
    why_en = " (the no-code stock ended on " + FormatDate(stock->sunset) + ")";
    return false;
  }
  const std::int64_t balance = ctx_.no_code_balance.value_or(stock->boxes).milli;
  if (balance < draw_milli) {
    why_zh = "（无码库余额 " + BoxesText(balance) + " 盒，不足 " + BoxesText(draw_milli) + " 盒）";
    why_en = " (no-code stock balance " + BoxesText(balance) + " boxes is less than " +
             BoxesText(draw_milli) + ")";
    return false;
  }
  return true;
}

void Judge::CheckCodeCount() {
  if (drug_ == nullptr || !drug_->codes_required || boxes_ <= 0) return;
  const auto have = static_cast<std::int64_t>(packs_.size());
  if (have >= boxes_) return;
  const std::int64_t missing = boxes_ - have;
  std::string why_zh, why_en;
  if (row_.infno == Interface::kInventory) {
    if (CoveredByNoCodeStock(missing * 1000, why_zh, why_en)) return;  // counted, never drawn
  } else if (row_.infno == Interface::kSale) {
    std::int64_t draw = missing * 1000;
    if (row_.trdn_flag && drug_->pack_content > 0) {
      draw = (row_.count.milli + drug_->pack_content - 1) / drug_->pack_content;
    }
    if (CoveredByNoCodeStock(draw, why_zh, why_en)) {
      Add(RuleId::kNoCodeStock, Severity::kInfo, nullptr,
          "无码部分 " + BoxesText(draw) + " 盒由本机构无码库结算，已扣减无码库余额。",
          "The uncoded " + BoxesText(draw) +
              " boxes are settled from this institution's no-code stock, which is drawn down.");
      out_.no_code_draw_milli = draw;
      return;
    }
  }
  std::optional<Date> start;
  if (institution_ != nullptr) {
    start = ref_.EnforcementStart(institution_->region, institution_->institution_class);
  }
  const bool enforced = start && DateOf(row_.time) >= *start;
  const bool inventory = row_.infno == Interface::kInventory;
  const Severity severity = enforced && !inventory ? Severity::kBlock : Severity::kWarn;
  const RuleId rule = have == 0 ? RuleId::kCodeMissing : RuleId::kCodeCountShort;
  std::string zh = have == 0
                       ? std::string("该药品须扫追溯码，本行未上传追溯码")
                       : "本行 " + std::to_string(boxes_) + " 盒只上传了 " + std::to_string(have) +
                             " 个追溯码，缺 " + std::to_string(missing) + " 个";
  std::string en = have == 0 ? std::string("This drug requires traceability codes; none was sent")
                             : "The row has " + std::to_string(boxes_) + " boxes but only " +
                                   std::to_string(have) + " codes";
  const char* effect_zh = row_.infno == Interface::kSale ? "不予医保结算" : "不得入库";
  const char* effect_en = row_.infno == Interface::kSale ? "not payable" : "not acceptable";
  if (severity == Severity::kBlock) {
    zh += "，自 " + FormatDate(*start) + " 起无码" + effect_zh + "。";
    en += std::string("; ") + effect_en + " since " + FormatDate(*start) + ".";
  } else if (start && !enforced) {
    zh += "，" + FormatDate(*start) + " 起将" + effect_zh + "，请尽快扫码。";
    en += std::string("; it becomes ") + effect_en + " on " + FormatDate(*start) + ".";
  } else {
    zh += "，请补扫。";
    en += ".";
  }
  Add(rule, severity, nullptr, zh + why_zh, en + why_en);
}

}  // namespace validator::internal
