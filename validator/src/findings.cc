#include "validator/findings.h"

#include <array>

namespace validator {

namespace {

constexpr std::array<const char*, kRuleCount> kRuleNames = {
    "CODE_MISSING",
    "CODE_COUNT_SHORT",
    "NO_CODE_STOCK",
    "CODE_MALFORMED",
    "PRODUCT_BARCODE_AS_CODE",
    "DUPLICATE_SCAN",
    "CODE_REUSED",
    "CODE_RESOLD",
    "SPLIT_OVER_CAPACITY",
    "PRODUCT_MISMATCH",
    "EXPIRED_AT_SALE",
    "NOT_RECEIVED",
    "RETURN_WITHOUT_SALE",
    "VOID_UNKNOWN_ROW",
    "ALREADY_IN_STOCK",
    "VOID_CONFLICT",
    "DRUG_UNKNOWN",
    "INSTITUTION_UNKNOWN",
    "ROW_INVALID",
    "STATE_UNREADABLE",
};

}  // namespace

const char* RuleName(RuleId rule) {
  const auto i = static_cast<std::size_t>(rule);
  return i < kRuleNames.size() ? kRuleNames[i] : "UNKNOWN_RULE";
}

std::optional<RuleId> RuleFromName(std::string_view name) {
  for (std::size_t i = 0; i < kRuleNames.size(); ++i) {
    if (name == kRuleNames[i]) return static_cast<RuleId>(i);
  }
  return std::nullopt;
}

const char* SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarn:
      return "warn";
    case Severity::kBlock:
      return "block";
  }
  return "block";
}

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kOk:
      return "ok";
    case Verdict::kWarn:
      return "warn";
    case Verdict::kBlock:
      return "block";
  }
  return "block";
}

Verdict VerdictOf(const std::vector<Finding>& findings) {
  Verdict v = Verdict::kOk;
  for (const Finding& f : findings) {
    if (f.severity == Severity::kBlock) return Verdict::kBlock;
    if (f.severity == Severity::kWarn) v = Verdict::kWarn;
  }
  return v;
}

}  // namespace validator
