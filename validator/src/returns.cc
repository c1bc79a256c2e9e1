// Sale returns (3506) re-open a pack sold here; voids (3507) undo the one move the voided row made.
#include <algorithm>

#include "judge.h"

namespace validator::internal {

void Judge::SaleReturn(const Pack& pack, bool last) {
  const CodeState* s = pack.current;
  const bool sold_here =
      s != nullptr && s->holder == row_.fixmedins_code &&
      (s->status == PackStatus::kDispensed || s->status == PackStatus::kSplitDispensing);
  if (!sold_here) {
    const bool elsewhere =
        s != nullptr && !s->sale.empty() && s->sale.institution != row_.fixmedins_code &&
        (s->status == PackStatus::kDispensed || s->status == PackStatus::kSplitDispensing);
    Finding& f = Add(RuleId::kReturnWithoutSale, Severity::kWarn, &pack,
                     elsewhere ? "该盒药由 " + InstitutionLabel(s->sale.institution, true) +
                                     " 售出，不是本机构的销售，不能在本机构退货。"
                               : std::string("本机构没有该盒药未退货的销售记录，退货无对应销售。"),
                     elsewhere ? "This pack was sold by " +
                                     InstitutionLabel(s->sale.institution, false) + ", not here."
                               : std::string("There is no unreturned sale of this pack here."));
    if (elsewhere) {
      f.prior_institution = s->sale.institution;
      f.prior_time = s->sale.time;
      f.prior_entry = s->sale.entry;
    }
    return;
  }
  if (!row_.medins_prod_sel_no.empty() && row_.medins_prod_sel_no != s->sale.bchno) {
    Add(RuleId::kReturnWithoutSale, Severity::kWarn, &pack,
        "退货所指销售 " + row_.medins_prod_sel_no + " 与该盒药最近一次销售 " + s->sale.bchno +
            " 不一致，已按最近一次销售退货。",
        "The return names sale " + row_.medins_prod_sel_no + " but this pack's last sale is " +
            s->sale.bchno + "; the last sale was reversed.");
  }
  const bool split_sold = s->status == PackStatus::kSplitDispensing;
  std::int64_t take = s->units_sold_milli;  // a whole-pack return re-opens everything
  if (row_.trdn_flag) {
    if (!split_sold) {
      Add(RuleId::kReturnWithoutSale, Severity::kWarn, &pack,
          "该盒药是整盒售出的，不能按拆零退货。",
          "This pack was sold whole; it cannot be returned in parts.");
      return;
    }
    take = last ? units_left_ : std::min(units_left_, s->units_sold_milli);
    if (take > s->units_sold_milli) {
      Add(RuleId::kReturnWithoutSale, Severity::kWarn, &pack,
          "拆零退货数量超过该盒已售数量，按已售数量退回。",
          "More units are returned than were sold from this pack; the sold units were returned.");
      take = s->units_sold_milli;
    }
    units_left_ -= std::min(take, units_left_);
  }
  const std::int64_t remaining = s->units_sold_milli - take;
  const bool received = s->holder_received;
  CodeState& next =
      Next(pack, remaining > 0 ? PackStatus::kSplitDispensing : PackStatus::kInStock, received);
  next.units_sold_milli = remaining;
  next.last_units_milli = take;
}

void Judge::Undo(const Pack& pack) {
  const CodeState& s = *pack.current;
  CodeState& u = Emit(pack);
  u = s;
  if (s.last_event == Interface::kSale) {
    u.units_sold_milli = s.status == PackStatus::kSplitDispensing
                             ? std::max<std::int64_t>(s.units_sold_milli - s.last_units_milli, 0)
                             : 0;
    if (s.prev_status != PackStatus::kSplitDispensing) u.sale = SaleRecord{};
  } else if (s.last_event == Interface::kSaleReturn) {
    u.units_sold_milli = s.units_sold_milli + s.last_units_milli;
  }
  u.status = s.prev_status;
  u.holder.swap(u.prev_holder);
  u.holder_received = s.prev_holder_received;
  u.prev_status = PackStatus::kUnseen;
  u.prev_holder.clear();
  u.prev_holder_received = false;
  u.last_event = Interface::kVoid;
  u.last_entry = row_.entry_index;
  u.last_units_milli = 0;
}

void Judge::Void() {
  const Row* original = prepared_.voided;
  if (original == nullptr) {
    Add(RuleId::kVoidUnknownRow, Severity::kWarn, nullptr,
        "要删除的记录 " + row_.target_bchno + " 不存在，删除无效。",
        "The row to void (" + row_.target_bchno + ") was not found; nothing was voided.");
    return;
  }
  if (original->fixmedins_code != row_.fixmedins_code || original->infno == Interface::kVoid ||
      original->infno == Interface::kStockChange) {
    Add(RuleId::kRowInvalid, Severity::kWarn, nullptr,
        "只能删除本机构的进销存记录（非删除记录），本次删除未执行。",
        "Only this institution's own stock, sale or return rows can be voided; nothing was "
        "voided.");
    return;
  }
  if (ctx_.voided_verdict == Verdict::kBlock) return;  // a blocked row changed nothing
  out_.no_code_draw_milli = -ctx_.voided_no_code_draw_milli;
  for (std::size_t i = 0; i < prepared_.voided_codes.size(); ++i) {
    const ParsedCode& parsed = prepared_.voided_codes[i];
    if (!parsed.is_pack()) continue;
    bool repeated = false;
    for (std::size_t j = 0; j < i && !repeated; ++j) {
      repeated = prepared_.voided_codes[j].identity == parsed.identity;
    }
    if (repeated) continue;
    const Pack pack{original->codes[i], &parsed, StateOf(parsed.identity)};
    // Entry indices grow with ledger order. A pack last moved before the voided row (or never) was
    // not moved by it — a duplicate scan, a refused return, stock counted twice: nothing to undo.
    const CodeState* s = pack.current;
    if (s == nullptr ||
        (s->status != PackStatus::kUnreadable && s->last_entry < original->entry_index)) {
      continue;
    }
    if (s->last_entry != original->entry_index || s->status == PackStatus::kUnreadable) {
      Add(RuleId::kVoidConflict, Severity::kWarn, &pack,
          "该盒药在被删除的记录之后又有新的记录（如已售出），本次删除未回退该盒药，请人工核实。",
          "This pack was moved again by a later row (e.g. sold) after the voided row, so the void "
          "did not roll it back; check by hand.");
      continue;
    }
    Undo(pack);
  }
}

}  // namespace validator::internal
