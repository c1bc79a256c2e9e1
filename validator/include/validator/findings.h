// What the validator says about a row: findings with stable rule ids, and the verdict. The rule
// ids, their severities and their effect on the verdict are documented in docs/rules.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "validator/date.h"

namespace validator {

// Recorded by ingest with every verdict; bump when any rule's meaning or severity changes.
inline constexpr std::string_view kRuleSetVersion = "2026.11-2";

// Persisted by ingest (as the name, and possibly the number); never renumber, only append.
enum class RuleId : std::uint8_t {
  kCodeMissing = 0,
  kCodeCountShort = 1,
  kNoCodeStock = 2,
  kCodeMalformed = 3,
  kProductBarcodeAsCode = 4,
  kDuplicateScan = 5,
  kCodeReused = 6,
  kCodeResold = 7,
  kSplitOverCapacity = 8,
  kProductMismatch = 9,
  kExpiredAtSale = 10,
  kNotReceived = 11,
  kReturnWithoutSale = 12,
  kVoidUnknownRow = 13,
  kAlreadyInStock = 14,
  kVoidConflict = 15,
  kDrugUnknown = 16,
  kInstitutionUnknown = 17,
  kRowInvalid = 18,
  kStateUnreadable = 19,
};
inline constexpr int kRuleCount = 20;

const char* RuleName(RuleId rule);  // "CODE_MISSING", ...
std::optional<RuleId> RuleFromName(std::string_view name);

// Persisted; never renumber. Ordered: a verdict is the worst severity among the findings.
enum class Severity : std::uint8_t {
  kInfo = 0,   // recorded, verdict stays ok
  kWarn = 1,   // payable / acceptable, but flagged for review
  kBlock = 2,  // a sale is not payable, a receipt is not acceptable
};
const char* SeverityName(Severity severity);  // "info", "warn", "block"

// Persisted; never renumber.
enum class Verdict : std::uint8_t { kOk = 0, kWarn = 1, kBlock = 2 };
const char* VerdictName(Verdict verdict);  // "ok", "warn", "block"

struct Finding {
  RuleId rule = RuleId::kRowInvalid;
  Severity severity = Severity::kWarn;
  std::string code;        // the scanned string the finding concerns (empty for row-level findings)
  std::string identity;    // its canonical pack identity, when it has one
  std::string message_zh;  // for the pharmacist at the counter
  std::string message_en;
  // For CODE_REUSED / CODE_RESOLD / ALREADY_IN_STOCK: the earlier event that conflicts.
  std::string prior_institution;
  CivilSeconds prior_time = 0;
  std::uint64_t prior_entry = 0;
};

Verdict VerdictOf(const std::vector<Finding>& findings);

}  // namespace validator
