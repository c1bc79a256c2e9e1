#include "validator/validator.h"

#include <algorithm>

#include "judge.h"

namespace validator {

namespace internal {

namespace {

std::string Str(std::int64_t n) {
  return std::to_string(n);
}

bool IsStockRow(Interface i) {
  return i == Interface::kInventory || i == Interface::kReceipt ||
         i == Interface::kPurchaseReturn || i == Interface::kSale || i == Interface::kSaleReturn;
}

}  // namespace

Judge::Judge(const PreparedRow& prepared, const RefData& ref, const Context& ctx)
    : prepared_(prepared), row_(*prepared.row), ref_(ref), ctx_(ctx) {}

Finding& Judge::Add(RuleId rule, Severity severity, const Pack* pack, std::string zh,
                    std::string en) {
  Finding& f = out_.findings.emplace_back();
  f.rule = rule;
  f.severity = severity;
  if (pack != nullptr) {
    f.code.assign(pack->raw);
    if (pack->parsed != nullptr) f.identity = pack->parsed->identity;
  }
  f.message_zh = std::move(zh);
  f.message_en = std::move(en);
  return f;
}

Finding& Judge::AddPrior(RuleId rule, Severity severity, const Pack& pack,
                         const std::string& institution, CivilSeconds time, std::uint64_t entry,
                         std::string zh, std::string en) {
  Finding& f = Add(rule, severity, &pack, std::move(zh), std::move(en));
  f.prior_institution = institution;
  f.prior_time = time;
  f.prior_entry = entry;
  return f;
}

Judgement Judge::Run() {
  if (CheckRow()) {
    if (row_.infno == Interface::kVoid) {
      Void();
    } else {
      ScreenCodes();
      if (row_.infno == Interface::kInventory || row_.infno == Interface::kReceipt ||
          row_.infno == Interface::kSale) {
        CheckCodeCount();
      }
      JudgePacks();
    }
  }
  out_.verdict = VerdictOf(out_.findings);
  if (out_.verdict == Verdict::kBlock) {
    out_.updates.clear();
    out_.no_code_draw_milli = 0;
  }
  return std::move(out_);
}

// Institution, drug and quantity. False when the row cannot be judged at all.
bool Judge::CheckRow() {
  const auto infno = static_cast<int>(row_.infno);
  if (infno < 3501 || infno > 3507) {
    Add(RuleId::kRowInvalid, Severity::kWarn, nullptr,
        "未知的接口号 " + Str(infno) + "，本行未校验。",
        "Unknown interface number " + Str(infno) + "; the row was not judged.");
    return false;
  }
  if (row_.infno == Interface::kStockChange) {
    Add(RuleId::kRowInvalid, Severity::kInfo, nullptr, "库存变更（3502）仅记录，不做追溯码校验。",
        "Stock changes (3502) are recorded but not judged.");
    return false;
  }
  if (row_.fixmedins_code.empty()) {
    Add(RuleId::kRowInvalid, Severity::kWarn, nullptr, "缺少定点机构编码，无法校验。",
        "The institution code (fixmedins_code) is missing; the row cannot be judged.");
    return false;
  }
  institution_ = ref_.FindInstitution(row_.fixmedins_code);
  if (institution_ == nullptr) {
    Add(RuleId::kInstitutionUnknown, Severity::kWarn, nullptr,
        "机构 " + row_.fixmedins_code + " 不在基础数据中，无法确定无码不付执行日期。",
        "Institution " + row_.fixmedins_code +
            " is not in the reference data; its enforcement date is unknown.");
  }
  if (!IsStockRow(row_.infno)) return true;
  drug_ = ref_.FindDrug(row_.med_list_codg);
  if (drug_ == nullptr) {
    Add(RuleId::kDrugUnknown, Severity::kWarn, nullptr,
        "医保药品编码 " + row_.med_list_codg +
            " 不在药品目录中，无法核对是否须扫码及码药是否一致。",
        "Drug " + row_.med_list_codg +
            " is not in the catalogue; code requirement, product match and split capacity are "
            "not checked.");
  }
  if (row_.count.milli <= 0) {
    Add(RuleId::kRowInvalid, Severity::kWarn, nullptr, "数量缺失或不大于零，未核对扫码盒数。",
        "The quantity is missing or not positive; the number of codes was not checked.");
  } else if (!row_.trdn_flag && !row_.count.is_whole()) {
    Add(RuleId::kRowInvalid, Severity::kWarn, nullptr,
        "整盒销售的数量 " + row_.count.ToString() + " 不是整数，按向上取整核对。",
        "Whole-pack quantity " + row_.count.ToString() +
            " is not a whole number; it was rounded up for the code count.");
  }
  boxes_ = row_.trdn_flag ? (row_.count.milli > 0 ? 1 : 0) : row_.count.CeilWhole();
  if (row_.count.milli > kMaxCountMilli) {  // keeps every product of counts within int64
    Add(RuleId::kRowInvalid, Severity::kWarn, nullptr,
        "数量 " + row_.count.ToString() + " 过大，按 " + Quantity{kMaxCountMilli}.ToString() +
            " 核对。",
        "Quantity " + row_.count.ToString() + " is implausibly large; it was judged as " +
            Quantity{kMaxCountMilli}.ToString() + ".");
    boxes_ = std::min<std::int64_t>(boxes_, kMaxCountMilli / 1000);
  }
  return true;
}

// Rows carry a handful of codes, except receipts of whole cases: those get a hash set.
const CodeState* Judge::StateOf(std::string_view identity) {
  if (ctx_.states.size() <= kLinearScanLimit) {
    for (const KnownState& k : ctx_.states) {
      if (k.identity == identity) return k.state;
    }
    return nullptr;
  }
  if (state_index_.empty()) {
    for (const KnownState& k : ctx_.states) state_index_.emplace(k.identity, k.state);
  }
  auto it = state_index_.find(identity);
  return it == state_index_.end() ? nullptr : it->second;
}

bool Judge::SeenInRow(std::string_view identity, std::size_t index) {
  if (prepared_.codes.size() > kLinearScanLimit) return !row_seen_.insert(identity).second;
  for (std::size_t i = 0; i < index; ++i) {
    if (prepared_.codes[i].identity == identity) return true;
  }
  return false;
}

void Judge::ScreenCodes() {
  packs_.Reserve(prepared_.codes.size());
  for (std::size_t i = 0; i < prepared_.codes.size(); ++i) {
    const ParsedCode& parsed = prepared_.codes[i];
    Pack probe{row_.codes[i], &parsed, nullptr};
    if (parsed.kind == CodeKind::kProductBarcode) {
      ++unusable_;
      Add(RuleId::kProductBarcodeAsCode, Severity::kWarn, &probe,
          "扫描的是商品条码（" + parsed.product +
              "），不是药品追溯码，不计入扫码；请扫描盒上的追溯码（通常在条形码旁，20 位，以 8 "
              "开头，或二维码）。",
          "This is the product barcode (EAN-13 " + parsed.product +
              "), not a traceability code, and does not count; scan the box's trace code.");
      continue;
    }
    if (!parsed.is_pack()) {
      ++unusable_;
      std::string zh, en;
      UnusableCodeMessages(row_.codes[i], parsed, zh, en);
      Add(RuleId::kCodeMalformed, Severity::kWarn, &probe, std::move(zh), std::move(en));
      continue;
    }
    const bool in_message = ctx_.seen_in_message != nullptr &&
                            ctx_.seen_in_message->contains(std::string_view(parsed.identity));
    if (in_message || SeenInRow(parsed.identity, i)) {
      ++duplicates_;
      Add(RuleId::kDuplicateScan, Severity::kWarn, &probe,
          in_message ? "同一盒药在本次上传中已扫过，只计一次。"
                     : "同一盒药在本行重复扫码，只计一次。",
          in_message ? "The same pack was already scanned earlier in this message; counted once."
                     : "The same pack was scanned twice on this row; counted once.");
      continue;
    }
    ScreenPack(row_.codes[i], parsed);
  }
}

// Product match, expiry and the stored state of one distinct pack.
void Judge::ScreenPack(std::string_view raw, const ParsedCode& parsed) {
  Pack& pack = packs_.Add(Pack{raw, &parsed, StateOf(parsed.identity)});
  if (pack.current != nullptr && pack.current->status == PackStatus::kUnreadable) {
    pack.current = nullptr;
    Add(RuleId::kStateUnreadable, Severity::kWarn, &pack,
        "该追溯码的历史记录无法读取，本次按首次出现校验，请联系管理员。",
        "The stored history of this code could not be read; it was judged as if new.");
  }
  if (drug_ != nullptr && !parsed.product.empty()) {
    // Codes on one row are usually of one product: probe the catalogue once per product.
    if (parsed.product != last_product_) {
      last_product_ = parsed.product;
      last_product_drug_ = ref_.FindDrugByProduct(parsed.product);
    }
    const Drug* coded = last_product_drug_;
    if (coded != nullptr && coded != drug_) {
      Add(RuleId::kProductMismatch, Severity::kBlock, &pack,
          "码药不符：追溯码对应药品 " + coded->med_list_codg + "（" + coded->name +
              "），结算药品为 " + drug_->med_list_codg + "（" + drug_->name + "）。",
          "Product mismatch: the code identifies " + coded->med_list_codg + " (" + coded->name +
              ") but the row bills " + drug_->med_list_codg + " (" + drug_->name + ").");
    }
  }
  if (row_.infno != Interface::kSale) return;
  const std::optional<Date> expiry = parsed.expiry ? parsed.expiry : row_.expy_end;
  if (expiry && DateOf(row_.time) > *expiry) {
    Add(RuleId::kExpiredAtSale, Severity::kBlock, &pack,
        "该盒药已于 " + FormatDate(*expiry) + " 过期，不得销售。",
        "This pack expired on " + FormatDate(*expiry) + " and cannot be sold.");
  }
}

void Judge::JudgePacks() {
  out_.updates.reserve(packs_.size());
  units_left_ = std::clamp<std::int64_t>(row_.count.milli, 0, kMaxCountMilli);
  const std::int64_t capacity = PackCapacityMilli();
  for (std::size_t i = 0; i < packs_.size(); ++i) {
    const Pack& pack = packs_[i];
    const bool last = i + 1 == packs_.size();
    switch (row_.infno) {
      case Interface::kInventory:
      case Interface::kReceipt:
        ReceiveOrCount(pack);
        break;
      case Interface::kPurchaseReturn:
        PurchaseReturn(pack);
        break;
      case Interface::kSaleReturn:
        SaleReturn(pack, last);
        break;
      case Interface::kSale:
        if (!row_.trdn_flag) {
          SaleWhole(pack);
        } else {
          // Split units fill each pack's remaining content in scan order; the last takes the rest.
          std::int64_t take = units_left_;
          if (!last && capacity > 0) {
            const CodeState* s = pack.current;
            const std::int64_t sold =
                s != nullptr && s->status == PackStatus::kSplitDispensing ? s->units_sold_milli : 0;
            take = std::clamp<std::int64_t>(capacity - sold, 0, units_left_);
          }
          units_left_ -= take;
          SaleSplit(pack, take);
        }
        break;
      default:
        break;
    }
  }
}

}  // namespace internal

PreparedRow Prepare(const Row& row, const Row* voided_original) {
  PreparedRow p;
  p.row = &row;
  p.voided = row.infno == Interface::kVoid ? voided_original : nullptr;
  // Reserved so the strings never move: `distinct` holds views of them.
  p.identities.reserve(row.codes.size() + (p.voided != nullptr ? p.voided->codes.size() : 0));
  std::unordered_set<std::string_view> distinct;  // only for rows too long for a linear scan
  auto is_new = [&p, &distinct](std::string_view id) {
    if (p.identities.size() < internal::kLinearScanLimit) {
      return std::find(p.identities.begin(), p.identities.end(), id) == p.identities.end();
    }
    if (distinct.empty()) distinct.insert(p.identities.begin(), p.identities.end());
    return distinct.insert(id).second;
  };
  auto parse_all = [&p, &is_new](const Row& r, std::vector<ParsedCode>& out) {
    out.reserve(r.codes.size());
    for (const std::string& raw : r.codes) {
      ParsedCode& c = out.emplace_back(ParseCode(raw));
      if (c.is_pack() && is_new(c.identity)) p.identities.push_back(c.identity);
    }
  };
  parse_all(row, p.codes);
  if (p.voided != nullptr) parse_all(*p.voided, p.voided_codes);
  return p;
}

Judgement Validate(const PreparedRow& row, const RefData& ref, const Context& ctx) {
  if (row.row == nullptr) {
    Judgement j;
    j.verdict = Verdict::kWarn;
    Finding& f = j.findings.emplace_back();
    f.message_zh = "空行，未校验。";
    f.message_en = "No row was given; nothing was judged.";
    return j;
  }
  return internal::Judge(row, ref, ctx).Run();
}

Judgement Validate(const Row& row, const RefData& ref, const Context& ctx) {
  return Validate(Prepare(row), ref, ctx);
}

std::vector<KnownState> GatherStates(const PreparedRow& row, const StateMap& states) {
  std::vector<KnownState> out;
  out.reserve(row.identities.size());
  for (const std::string& id : row.identities) {
    auto it = states.find(id);
    if (it != states.end()) out.push_back({id, &it->second});
  }
  return out;
}

void ApplyUpdates(const Judgement& judgement, StateMap& states) {
  for (const StateUpdate& u : judgement.updates) states.insert_or_assign(u.identity, u.state);
}

void ApplyUpdates(Judgement&& judgement, StateMap& states) {
  for (StateUpdate& u : judgement.updates) {
    auto it = states.find(u.identity);
    if (it == states.end()) {
      states.emplace(std::move(u.identity), std::move(u.state));
    } else {
      it->second = std::move(u.state);
    }
  }
}

void NoteSeen(const PreparedRow& row, IdentitySet& seen_in_message) {
  for (const ParsedCode& c : row.codes) {
    if (c.is_pack()) seen_in_message.insert(c.identity);
  }
}

}  // namespace validator
