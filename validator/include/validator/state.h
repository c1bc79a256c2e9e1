// The persisted per-pack state the validator's rules need across rows and institutions. Ingest
// keeps one CodeState per pack identity (ParsedCode::identity), stored as the BLOB
// CodeState::Encode() returns, and hands the current states back in Context for each row. Format:
// docs/rules.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "validator/date.h"
#include "validator/row.h"

namespace validator {

// Persisted in the encoding below; never renumber.
enum class PackStatus : std::uint8_t {
  kUnseen = 0,              // no effective event (never seen, or its only event was voided)
  kInStock = 1,             // held by `holder`: received, counted, or returned by the patient
  kReturnedToSupplier = 2,  // sent back to the supplier by `holder` (3504)
  kDispensed = 3,           // sold as a whole pack by `holder`
  kSplitDispensing = 4,     // opened and sold in parts by `holder`; units_sold_milli so far
  kUnreadable = 255,        // ingest could not decode the stored state; never encoded
};

const char* PackStatusName(PackStatus status);  // "unseen", "in_stock", ...

// The most recent sale of the pack (whole or split). Kept after a sale return as history.
struct SaleRecord {
  std::string institution;  // empty when the pack was never sold
  CivilSeconds time = 0;
  std::string psn_hash;
  std::string bchno;        // fixmedins_bchno of the sale row
  std::uint64_t entry = 0;  // ledger entry index of the sale row
  bool insured = false;     // settled by the fund (mdtrt_setl_type 1)

  bool empty() const { return institution.empty(); }
  bool operator==(const SaleRecord&) const = default;
};

struct CodeState {
  PackStatus status = PackStatus::kUnseen;
  std::string holder;            // institution the status refers to
  bool holder_received = false;  // holder uploaded a receipt (3503) or inventory (3501) with it
  std::int64_t units_sold_milli = 0;  // split dispensing: minimum units sold (thousandths)
  SaleRecord sale;

  // One-step undo for 3507: the event that produced this state and the status it replaced.
  Interface last_event = Interface::kStockChange;
  std::uint64_t last_entry = 0;
  std::int64_t last_units_milli = 0;  // units the last split sale or split return moved
  PackStatus prev_status = PackStatus::kUnseen;
  std::string prev_holder;
  bool prev_holder_received = false;

  // What ingest passes when Decode fails: the row is judged as if the pack were new, with a
  // finding.
  static CodeState Unreadable() {
    CodeState s;
    s.status = PackStatus::kUnreadable;
    return s;
  }

  // Version byte 1, then fixed bytes and length-prefixed varint fields (docs/rules.md).
  std::string Encode() const;
  // nullopt for an unknown version, a truncated or over-long buffer, or an unknown status.
  static std::optional<CodeState> Decode(std::string_view bytes);

  bool operator==(const CodeState&) const = default;
};

inline constexpr std::uint8_t kCodeStateVersion = 1;

}  // namespace validator
