// CODE_MISSING / CODE_COUNT_SHORT / NO_CODE_STOCK: a code-required line must carry one code per
// whole box (a split line: at least one), unless the institution's 无码库 balance covers the rest.
#include <algorithm>

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
      const std::int64_t units = std::min(row_.count.milli, kMaxCountMilli);
      draw = units / drug_->pack_content + (units % drug_->pack_content != 0);
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
  const std::int64_t ignored = unusable_ + duplicates_;
  std::string zh, en;
  if (have == 0 && ignored == 0) {
    zh = "该药品须扫追溯码，本行未上传追溯码";
    en = "This drug requires traceability codes; none was sent";
  } else if (have == 0) {
    zh = "该药品须扫追溯码，本行上传的码都不是有效的追溯码";
    en = "This drug requires traceability codes; none of the codes sent is a valid one";
  } else {
    zh = "本行 " + std::to_string(boxes_) + " 盒只有 " + std::to_string(have) +
         " 个有效追溯码，缺 " + std::to_string(missing) + " 个";
    en = "The row has " + std::to_string(boxes_) + " boxes but only " + std::to_string(have) +
         " valid codes";
    if (ignored > 0) {
      zh += "（另有 " + std::to_string(ignored) + " 个无效或重复的码不计）";
      en += " (" + std::to_string(ignored) + " invalid or repeated codes do not count)";
    }
  }
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
