// The per-pack state machine (docs/rules.md, "State machine"): how each interface moves a pack's
// state, which findings a move raises, and how a 3507 void undoes the move it names.
#include <algorithm>

#include "judge.h"

namespace validator::internal {

namespace {

bool IsSold(const CodeState* s) {
  return s != nullptr &&
         (s->status == PackStatus::kDispensed || s->status == PackStatus::kSplitDispensing);
}

// What a sold pack cannot do now, by the row's interface.
std::string CannotZh(Interface i, bool here) {
  switch (i) {
    case Interface::kSale:
      return here ? "不得再次销售" : "本机构不得再次销售";
    case Interface::kReceipt:
    case Interface::kInventory:
      return here ? "已售出的药品不得再入库；如患者退药，请上传销售退货（3506）"
                  : "已售出的药品不得入库";
    case Interface::kPurchaseReturn:
      return here ? "已售出的药品不得退给供应商；如患者退药，请先上传销售退货（3506）"
                  : "已售出的药品不得退给供应商";
    default:
      return "不得再次使用";
  }
}

std::string CannotEn(Interface i) {
  switch (i) {
    case Interface::kSale:
      return "it cannot be sold again";
    case Interface::kReceipt:
    case Interface::kInventory:
      return "a dispensed pack cannot be taken into stock (if the patient brought it back, upload "
             "a sale return, 3506)";
    case Interface::kPurchaseReturn:
      return "a dispensed pack cannot be returned to the supplier (if the patient brought it back, "
             "upload a sale return, 3506, first)";
    default:
      return "it cannot be used again";
  }
}

std::string Settled(const SaleRecord& sale, bool zh) {
  if (zh) return sale.insured ? "医保结算" : "非医保结算";
  return sale.insured ? "insured" : "not insured";
}

// A second scan of the same pack at the same counter within this window is probably a double scan.
constexpr CivilSeconds kDoubleScanWindow = 60;

}  // namespace

CodeState& Judge::Emit(const Pack& pack) {
  StateUpdate& u = out_.updates.emplace_back();
  u.identity.assign(pack.parsed->identity);
  return u.state;
}

CodeState& Judge::Next(const Pack& pack, PackStatus status, bool received) {
  CodeState& s = Emit(pack);
  if (pack.current != nullptr) s = *pack.current;
  s.prev_status = s.status;
  s.prev_holder.swap(s.holder);
  s.prev_holder_received = s.holder_received;
  s.status = status;
  s.holder.assign(row_.fixmedins_code);
  s.holder_received = received;
  s.last_event = row_.infno;
  s.last_entry = row_.entry_index;
  s.last_units_milli = 0;
  return s;
}

// CODE_REUSED / CODE_RESOLD / SPLIT_OVER_CAPACITY (mixing) for a pack that is sold and not
// returned. True when it raised a block. A split sale of a pack split-dispensing here is left to
// the caller.
bool Judge::RejectIfSold(const Pack& pack, bool is_split_sale) {
  const CodeState* s = pack.current;
  if (!IsSold(s)) return false;
  const SaleRecord& sale = s->sale;
  const bool here = s->holder == row_.fixmedins_code;
  const bool split_here = s->status == PackStatus::kSplitDispensing;
  if (here && split_here && is_split_sale) return false;  // the common case: no message to build
  const std::string when = FormatCivilTime(sale.time);
  if (!here) {
    const std::string& where = sale.institution.empty() ? s->holder : sale.institution;
    const std::string label_zh = InstitutionLabel(where, true);
    const std::string label_en = InstitutionLabel(where, false);
    AddPrior(RuleId::kCodeResold, Severity::kBlock, pack, where, sale.time, sale.entry,
             "回流药风险：该盒药已于 " + when + " 在 " + label_zh + " 售出（" +
                 Settled(sale, true) + "），" + CannotZh(row_.infno, false) +
                 "，请扣下药品并核实来源。",
             "Possible resold drug (回流药): this pack was dispensed at " + label_en + " on " +
                 when + " (" + Settled(sale, false) + "); " + CannotEn(row_.infno) +
                 ". Hold the pack and check where it came from.");
    return true;
  }
  if (row_.infno == Interface::kSale && split_here != is_split_sale) {
    AddPrior(
        RuleId::kSplitOverCapacity, Severity::kBlock, pack, sale.institution, sale.time, sale.entry,
        split_here ? "该盒药已在本机构拆零销售，不能再整盒销售。"
                   : "该盒药已于 " + when + " 在本机构整盒售出，不能再拆零销售。",
        split_here
            ? "This pack is being sold in parts here; it cannot also be sold whole."
            : "This pack was sold whole here on " + when + "; it cannot also be sold in parts.");
    return true;
  }
  // Unsigned difference: exact when row_.time >= sale.time, and never overflows on garbage times.
  const bool double_scan =
      row_.infno == Interface::kSale && row_.time >= sale.time &&
      static_cast<std::uint64_t>(row_.time) - static_cast<std::uint64_t>(sale.time) <=
          static_cast<std::uint64_t>(kDoubleScanWindow);
  AddPrior(RuleId::kCodeReused, Severity::kBlock, pack, sale.institution, sale.time, sale.entry,
           "该盒药已于 " + when + " 在本机构售出且未做销售退货，" + CannotZh(row_.infno, true) +
               "。" + (double_scan ? "（间隔很短，疑似重复扫码，请核对本次是否为另一盒。）" : ""),
           "This pack was already sold here on " + when + " and not returned; " +
               CannotEn(row_.infno) + "." +
               (double_scan ? " (Moments apart: probably the same box scanned twice; check "
                              "whether this is another box.)"
                            : ""));
  return true;
}

std::string Judge::InstitutionLabel(const std::string& code, bool zh) const {
  const Institution* inst = ref_.FindInstitution(code);
  if (inst == nullptr || inst->name.empty()) return (zh ? "机构 " : "institution ") + code;
  return inst->name + (zh ? "（" + code + "）" : " (" + code + ")");
}

void Judge::ReceiveOrCount(const Pack& pack) {
  if (RejectIfSold(pack, false)) return;
  const CodeState* s = pack.current;
  const bool here = s != nullptr && s->holder == row_.fixmedins_code;
  if (s != nullptr && s->status == PackStatus::kInStock) {
    if (!here) {
      AddPrior(RuleId::kAlreadyInStock, Severity::kWarn, pack, s->holder, 0, s->last_entry,
               "该盒药仍在机构 " + s->holder + " 的库存中（未做采购退货），请核实来源。",
               "This pack is still in stock at " + s->holder +
                   " (no purchase return); check where it came from.");
    } else if (row_.infno == Interface::kReceipt) {
      AddPrior(RuleId::kAlreadyInStock, Severity::kWarn, pack, s->holder, 0, s->last_entry,
               "该盒药已在本机构库存中，重复入库。",
               "This pack is already in stock here; it was received twice.");
    } else if (s->holder_received) {
      return;  // counting stock that is already on the books changes nothing
    }
  }
  Next(pack, PackStatus::kInStock, true);
}

void Judge::PurchaseReturn(const Pack& pack) {
  if (RejectIfSold(pack, false)) return;
  const CodeState* s = pack.current;
  const bool in_stock = s != nullptr && s->status == PackStatus::kInStock;
  const bool here = in_stock && s->holder == row_.fixmedins_code;
  if (!here && ctx_.uploads_receipts) {
    Add(RuleId::kNotReceived, Severity::kWarn, &pack,
        in_stock ? "该盒药在机构 " + s->holder + " 的库存中，不在本机构，却由本机构退给供应商。"
                 : std::string("本机构没有该盒药的入库记录，却退给供应商。"),
        in_stock
            ? "This pack is in stock at " + s->holder + ", not here, yet is returned from here."
            : std::string("This pack was never received here, yet is returned to the supplier."));
  }
  Next(pack, PackStatus::kReturnedToSupplier, false);
}

void Judge::CheckReceived(const Pack& pack) {
  const CodeState* s = pack.current;
  if (!ctx_.uploads_receipts) return;
  if (s != nullptr && s->status == PackStatus::kInStock && s->holder == row_.fixmedins_code &&
      s->holder_received) {
    return;
  }
  Add(RuleId::kNotReceived, Severity::kWarn, &pack,
      "本机构没有该盒药的入库（采购）记录，请补传入库信息。",
      "This institution never uploaded a receipt for this pack.");
}

bool Judge::ReceivedHere(const Pack& pack) const {
  const CodeState* s = pack.current;
  return s != nullptr && s->holder == row_.fixmedins_code && s->holder_received;
}

// Assigns in place so the copied record's string buffers are reused (no allocation per sale).
void Judge::RecordSale(SaleRecord& sale) const {
  sale.institution.assign(row_.fixmedins_code);
  sale.time = row_.time;
  sale.psn_hash.assign(row_.psn_hash);
  sale.bchno.assign(row_.fixmedins_bchno);
  sale.entry = row_.entry_index;
  sale.insured = row_.mdtrt_setl_type == SettlementType::kInsured;
}

void Judge::SaleWhole(const Pack& pack) {
  if (RejectIfSold(pack, false)) return;
  CheckReceived(pack);
  CodeState& next = Next(pack, PackStatus::kDispensed, ReceivedHere(pack));
  next.units_sold_milli = 0;
  RecordSale(next.sale);
}

void Judge::SaleSplit(const Pack& pack, std::int64_t units_milli) {
  if (RejectIfSold(pack, true)) return;
  const CodeState* s = pack.current;
  const bool open_here = s != nullptr && s->status == PackStatus::kSplitDispensing;
  const std::int64_t sold = open_here ? s->units_sold_milli : 0;
  const std::int64_t capacity = PackCapacityMilli();
  if (capacity > 0 && sold + units_milli > capacity) {
    const auto q = [](std::int64_t m) { return Quantity{m}.ToString(); };
    Add(RuleId::kSplitOverCapacity, Severity::kBlock, &pack,
        "拆零超量：该盒共 " + q(capacity) + " 个最小单位，已售 " + q(sold) + "，本次 " +
            q(units_milli) + "，超出整盒含量。",
        "Split sale over capacity: the pack holds " + q(capacity) + " units, " + q(sold) +
            " were sold already and this sale adds " + q(units_milli) + ".");
    return;
  }
  if (!open_here) CheckReceived(pack);
  CodeState& next = Next(pack, PackStatus::kSplitDispensing, ReceivedHere(pack));
  next.units_sold_milli = sold + units_milli;
  next.last_units_milli = units_milli;
  RecordSale(next.sale);
}

}  // namespace validator::internal
