// Internal: the per-row judging pass behind Validate(). One Judge judges one row; its methods are
// split between validator.cc (row-level checks, code screening, missing codes) and transitions.cc
// (the per-pack state machine and voids).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "validator/validator.h"

namespace validator::internal {

// Above this many codes on a row, duplicate detection switches from a linear scan to a hash set.
inline constexpr std::size_t kLinearScanLimit = 16;

// A distinct, well-formed pack scanned on the row, with its current state.
struct Pack {
  std::string_view raw;
  const ParsedCode* parsed = nullptr;
  const CodeState* current = nullptr;  // nullptr: never seen (or unreadable, reported)
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

  // transitions.cc
  void ReceiveOrCount(const Pack& pack);
  void PurchaseReturn(const Pack& pack);
  void SaleWhole(const Pack& pack);
  void SaleSplit(const Pack& pack, std::int64_t units_milli);
  bool RejectIfSold(const Pack& pack, bool is_split_sale);
  void CheckReceived(const Pack& pack);
  bool ReceivedHere(const Pack& pack) const;
  void RecordSale(SaleRecord& sale) const;

  // returns.cc
  void SaleReturn(const Pack& pack, bool last);
  void Void();
  CodeState Undo(const CodeState& state) const;
  CodeState Next(const Pack& pack, PackStatus status, bool received) const;
  void Emit(const Pack& pack, CodeState state);

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
  std::vector<Pack> packs_;
  std::unordered_set<std::string_view> row_seen_;  // rows longer than kLinearScanLimit only
  std::unordered_map<std::string_view, const CodeState*> state_index_;  // likewise
  Judgement out_;
};

}  // namespace validator::internal
