// Helpers shared by the suspect-case sources (suspects.cc, suspects_format.cc, case_actions.cc).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ingest/suspects.h"
#include "validator/refdata.h"

namespace ingest::suspects_internal {

// The reference data recorded last (what the processor judges with); empty if none.
ledger::Result<validator::RefData> LoadRefDataInForce(ledger::Ledger& ledger);

// Whether an institution's admdvs lies in a regulator's region: trailing "00" pairs of the scope
// widen it (130800 = 1308xx, 130000 = 13xxxx); "" is everywhere.
bool RegionContains(std::string_view scope, std::string_view admdvs);

// "<type>-<YYYYMM>-<first 12 hex digits of SHA-256(type 0x1F key 0x1F YYYYMM)>".
std::string MakeCaseId(CaseType type, std::string_view key, int month);
struct ParsedCaseId {
  CaseType type;
  int month;
};
std::optional<ParsedCaseId> ParseCaseId(std::string_view id);

// 12345 -> "123.45".
std::string Yuan(std::int64_t fen);

}  // namespace ingest::suspects_internal
