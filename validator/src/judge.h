// Internal: the per-row judging pass behind Validate(). One Judge judges one row; its methods are
// split between validator.cc (row-level checks, code screening, missing codes) and transitions.cc
// (the per-pack state machine and voids).
#pragma once

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "validator/validator.h"

namespace validator::internal {

// A billion boxes or units: beyond any real row, and far from int64 overflow in count arithmetic.
// Larger counts are judged as this (with a ROW_INVALID finding).
inline constexpr std::int64_t kMaxCountMilli = std::int64_t{1'000'000'000} * 1000;

// Above this many codes on a row, duplicate detection switches from a linear scan to a hash set.
inline constexpr std::size_t kLinearScanLimit = 16;

// A distinct, well-formed pack scanned on the row, with its current state.
struct Pack {
  std::string_view raw;
  const ParsedCode* parsed = nullptr;
  const CodeState* current = nullptr;  // nullptr: never seen (or unreadable, reported)
};

// The distinct packs of a row. Most rows carry one to four codes: those stay inline, so judging a
// row allocates only for what it returns. Reserve(n) must precede the adds, with n >= their count.
// CODE_MALFORMED messages for a scanned string that is not a pack code (code_messages.cc).
void UnusableCodeMessages(std::string_view raw, const ParsedCode& parsed, std::string& zh,
                          std::string& en);

class PackList {
 public:
  static constexpr std::size_t kInline = 4;
  void Reserve(std::size_t n) {
    if (n > kInline) heap_.reserve(n);
  }
  Pack& Add(const Pack& pack) {
    if (heap_.capacity() != 0) return heap_.emplace_back(pack);
    inline_[size_] = pack;
    return inline_[size_++];
  }
  std::size_t size() const { return heap_.capacity() != 0 ? heap_.size() : size_; }
  const Pack& operator[](std::size_t i) const {
    return heap_.capacity() != 0 ? heap_[i] : inline_[i];
  }

 private:
  std::array<Pack, kInline> inline_{};
  std::size_t size_ = 0;
  std::vector<Pack> heap_;
};

class Judge {
 public:
  Judge(const PreparedRow& prepared, const RefData& ref, const Context& ctx);
  Judgement Run();

 private:
  // validator.cc
  bool CheckRow();
  void ScreenCodes();
  void ScreenPack(std::string_view raw, const ParsedCode& parsed);
  bool SeenInRow(std::string_view identity, std::size_t index);
  void CheckCodeCount();
  bool CoveredByNoCodeStock(std::int64_t draw_milli, std::string& why_zh, std::string& why_en);
  void JudgePacks();
  const CodeState* StateOf(std::string_view identity);
  // The drug's pack content in thousandths of a minimum unit; 0 when unknown.
  std::int64_t PackCapacityMilli() const {
    if (drug_ == nullptr || drug_->pack_content <= 0) return 0;
    return std::min(drug_->pack_content, kMaxCountMilli / 1000) * 1000;
  }

  // transitions.cc
  void ReceiveOrCount(const Pack& pack);
  void PurchaseReturn(const Pack& pack);
  void SaleWhole(const Pack& pack);
  void SaleSplit(const Pack& pack, std::int64_t units_milli);
  bool RejectIfSold(const Pack& pack, bool is_split_sale);
  void CheckReceived(const Pack& pack);
  bool ReceivedHere(const Pack& pack) const;
  void RecordSale(SaleRecord& sale) const;
  // "康宁大药房（P13080000001）" / "康宁大药房 (P13080000001)"; the code alone when unknown.
  std::string InstitutionLabel(const std::string& code, bool zh) const;

  // returns.cc
  void SaleReturn(const Pack& pack, bool last);
  void Void();
  // Append the pack's new state to the judgement, built in place (no copies of the state's
  // strings): Next moves it to `status` at this row's institution and returns it for the caller to
  // finish; Undo rolls back the move the state's last event made.
  CodeState& Next(const Pack& pack, PackStatus status, bool received);
  void Undo(const Pack& pack);
  CodeState& Emit(const Pack& pack);

  // Findings.
  Finding& Add(RuleId rule, Severity severity, const Pack* pack, std::string zh, std::string en);
  Finding& AddPrior(RuleId rule, Severity severity, const Pack& pack,
                    const std::string& institution, CivilSeconds time, std::uint64_t entry,
                    std::string zh, std::string en);

  const PreparedRow& prepared_;
  const Row& row_;
  const RefData& ref_;
  const Context& ctx_;
  const Institution* institution_ = nullptr;
  const Drug* drug_ = nullptr;
  std::int64_t boxes_ = 0;       // whole boxes the row claims (ceil of count for whole-pack rows)
  std::int64_t units_left_ = 0;  // split rows: units not yet attributed to a pack
  std::int64_t unusable_ = 0;    // scanned strings that are not pack codes (malformed, barcode)
  std::int64_t duplicates_ = 0;  // repeats of a pack already on the row or in the message
  PackList packs_;
  std::string_view last_product_;  // ScreenPack's catalogue probe cache (views into ParsedCodes)
  const Drug* last_product_drug_ = nullptr;
  std::unordered_set<std::string_view> row_seen_;  // rows longer than kLinearScanLimit only
  std::unordered_map<std::string_view, const CodeState*> state_index_;  // likewise
  Judgement out_;
};

}  // namespace validator::internal
