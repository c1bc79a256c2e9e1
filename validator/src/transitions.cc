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

const char* VerbZh(Interface i) {
  switch (i) {
    case Interface::kSale:
      return "销售";
    case Interface::kReceipt:
      return "入库";
    case Interface::kInventory:
      return "盘存入库";
    case Interface::kPurchaseReturn:
      return "退给供应商";
    default:
      return "使用";
  }
}

const char* VerbEn(Interface i) {
  switch (i) {
    case Interface::kSale:
      return "sold";
    case Interface::kReceipt:
      return "received";
    case Interface::kInventory:
      return "counted as stock";
    case Interface::kPurchaseReturn:
      return "returned to the supplier";
    default:
      return "used";
  }
}

std::string Settled(const SaleRecord& sale, bool zh) {
  if (zh) return sale.insured ? "医保结算" : "非医保结算";
  return sale.insured ? "insured" : "not insured";
}

// A second scan of the same pack at the same counter within this window is probably a double scan.
constexpr CivilSeconds kDoubleScanWindow = 60;

}  // namespace

CodeState Judge::Next(const Pack& pack, PackStatus status, bool received) const {
  CodeState s = pack.current != nullptr ? *pack.current : CodeState{};
  s.prev_status = s.status;
  s.prev_holder = s.holder;
  s.prev_holder_received = s.holder_received;
  s.status = status;
  s.holder = row_.fixmedins_code;
  s.holder_received = received;
  s.last_event = row_.infno;
  s.last_entry = row_.entry_index;
  s.last_units_milli = 0;
  return s;
}

void Judge::Emit(const Pack& pack, CodeState state) {
  out_.updates.push_back(StateUpdate{pack.parsed->identity, std::move(state)});
}

// CODE_REUSED / CODE_RESOLD / SPLIT_OVER_CAPACITY (mixing) for a pack that is sold and not
// returned. True when it raised a block. A split sale of a pack split-dispensing here is left to
// the caller.
bool Judge::RejectIfSold(const Pack& pack, bool is_split_sale) {
  const CodeState* s = pack.current;
  if (!IsSold(s)) return false;
  const SaleRecord& sale = s->sale;
  const std::string when = FormatCivilTime(sale.time);
  if (s->holder != row_.fixmedins_code) {
    AddPrior(RuleId::kCodeResold, Severity::kBlock, pack, sale.institution, sale.time, sale.entry,
             "回流药风险：该盒药已于 " + when + " 在机构 " + sale.institution + " 售出（" +
                 Settled(sale, true) + "），不得再次" + VerbZh(row_.infno) + "。",
             "Possible resold drug: this pack was dispensed at " + sale.institution + " on " +
                 when + " (" + Settled(sale, false) + ") and cannot be " + VerbEn(row_.infno) +
                 " again.");
    return true;
  }
  const bool split_here = s->status == PackStatus::kSplitDispensing;
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
  if (split_here && is_split_sale) return false;
  const bool double_scan = row_.time - sale.time >= 0 && row_.time - sale.time <= kDoubleScanWindow;
  AddPrior(RuleId::kCodeReused, Severity::kBlock, pack, sale.institution, sale.time, sale.entry,
           "该盒药已于 " + when + " 在本机构售出且未退货，不得再次" + VerbZh(row_.infno) + "。" +
               (double_scan ? "（疑似重复扫码）" : ""),
           "This pack was already sold here on " + when + " and not returned; it cannot be " +
               VerbEn(row_.infno) + " again." + (double_scan ? " (Probably a double scan.)" : ""));
  return true;
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
  Emit(pack, Next(pack, PackStatus::kInStock, true));
}

void Judge::PurchaseReturn(const Pack& pack) {
  if (RejectIfSold(pack, false)) return;
  const CodeState* s = pack.current;
  const bool in_stock = s != nullptr && s->status == PackStatus::kInStock;
  const bool here = in_stock && s->holder == row_.fixmedins_code;
  if (!here && (ctx_.uploads_receipts || in_stock)) {
    Add(RuleId::kNotReceived, Severity::kWarn, &pack,
        in_stock ? "该盒药在机构 " + s->holder + " 的库存中，不在本机构，却由本机构退给供应商。"
                 : std::string("本机构没有该盒药的入库记录，却退给供应商。"),
        in_stock
            ? "This pack is in stock at " + s->holder + ", not here, yet is returned from here."
            : std::string("This pack was never received here, yet is returned to the supplier."));
  }
  Emit(pack, Next(pack, PackStatus::kReturnedToSupplier, false));
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
  CodeState next = Next(pack, PackStatus::kDispensed, ReceivedHere(pack));
  next.units_sold_milli = 0;
  RecordSale(next.sale);
  Emit(pack, std::move(next));
}

void Judge::SaleSplit(const Pack& pack, std::int64_t units_milli) {
  if (RejectIfSold(pack, true)) return;
  const CodeState* s = pack.current;
  const bool open_here = s != nullptr && s->status == PackStatus::kSplitDispensing;
  const std::int64_t sold = open_here ? s->units_sold_milli : 0;
  const std::int64_t capacity = drug_ != nullptr ? drug_->pack_content * 1000 : 0;
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
  CodeState next = Next(pack, PackStatus::kSplitDispensing, ReceivedHere(pack));
  next.units_sold_milli = sold + units_milli;
  next.last_units_milli = units_milli;
  RecordSale(next.sale);
  Emit(pack, std::move(next));
}

}  // namespace validator::internal
