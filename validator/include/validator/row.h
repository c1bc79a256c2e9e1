// One uploaded 进销存 row as plain data (DOMAIN.md §3). Ingest parses the NHSA JSON message and
// fills this struct; the validator never sees JSON. Every field may be empty or nonsensical: the
// validator judges what it can and reports the rest as findings.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "validator/date.h"

namespace validator {

// NHSA interface numbers (`infno`). The values are the national numbers; never renumber.
enum class Interface : std::uint16_t {
  kInventory = 3501,       // 盘存
  kStockChange = 3502,     // 库存变更 (recorded, not judged)
  kReceipt = 3503,         // 采购
  kPurchaseReturn = 3504,  // 采购退货
  kSale = 3505,            // 销售
  kSaleReturn = 3506,      // 销售退货
  kVoid = 3507,            // 删除 (voids an earlier row of the same institution)
};

// A non-negative decimal quantity with three decimal places, stored as thousandths. Whole-pack rows
// count boxes; split rows (trdn_flag=1) count minimum units (tablets, ampoules, ...).
struct Quantity {
  std::int64_t milli = 0;

  static constexpr Quantity Whole(std::int64_t n) { return {n * 1000}; }
  // "2", "0.5", "12.250"; at most three decimals, no sign, no exponent. nullopt otherwise.
  static std::optional<Quantity> Parse(std::string_view text);
  std::string ToString() const;  // "2", "0.5", "12.25"
  bool is_whole() const { return milli % 1000 == 0; }
  std::int64_t CeilWhole() const { return milli <= 0 ? 0 : milli / 1000 + (milli % 1000 != 0); }
  auto operator<=>(const Quantity&) const = default;
};

enum class SettlementType : std::uint8_t {
  kUnknown = 0,
  kInsured = 1,  // mdtrt_setl_type 1: settled by the fund
  kSelfPay = 2,  // mdtrt_setl_type 2
};

struct Row {
  Interface infno = Interface::kSale;
  std::string fixmedins_code;
  std::string fixmedins_bchno;  // the institution's own row key
  std::string med_list_codg;
  Quantity count;          // sel_retn_cnt / purc_retn_cnt (see Quantity for the unit)
  bool trdn_flag = false;  // 拆零: split sale / split return
  SettlementType mdtrt_setl_type = SettlementType::kUnknown;
  std::string setl_id;
  std::string psn_hash;             // keyed hash of psn_no, never the number itself
  std::int64_t unit_price_fen = 0;  // finl_trns_pric in fen (not used by the current rules)
  CivilSeconds time = 0;            // sel_retn_time / purc_retn_stoin_time
  std::optional<Date> expy_end;     // row-level expiry, used when a code carries none
  std::string medins_prod_sel_no;   // 3506: the sale being returned
  std::string target_bchno;         // 3507: the fixmedins_bchno being voided
  std::vector<std::string> codes;   // drugtracinfo[].drug_trac_codg, as scanned
  // Ledger reference ingest assigns to this row; must grow with ledger order (3507 voids compare
  // it with a pack's last_entry to tell a later move from none).
  std::uint64_t entry_index = 0;
};

}  // namespace validator
