// The hand-written JSON on ingest's hot path must be byte-identical to the canonical form, since
// what is written into ledger entries is hashed and re-checked by independent verifiers.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "ingest/json.h"
#include "ingest/message.h"

namespace {

std::string Quoted(std::string_view s) {
  std::string out;
  ingest::AppendJsonString(out, s);
  return out;
}

}  // namespace

TEST_CASE("AppendJsonString writes what CanonicalJson writes") {
  using namespace std::string_literals;
  std::vector<std::string> samples = {
      "",
      "plain",
      "quote \" and backslash \\",
      "tab\tnewline\ncr\rbs\bff\f",
      "nul \0 unit sep \x1f del \x7f"s,  // 22 bytes: the literal suffix keeps the NUL
      "康宁大药房 ⚕ 𝄞",
      "ends with escape\n"};
  for (int c = 0; c < 0x20; ++c) samples.push_back(std::string(1, static_cast<char>(c)) + "x");
  for (const std::string& s : samples) {
    INFO("sample of " << s.size() << " bytes");
    CHECK(Quoted(s) == ingest::CanonicalJson(ingest::Json(s)));
  }
}

TEST_CASE("FindingsText equals the canonical form of FindingsJson") {
  validator::Finding plain;
  plain.rule = validator::RuleId::kCodeMissing;
  plain.severity = validator::Severity::kBlock;
  plain.message_zh = "无追溯码，不予结算";
  plain.message_en = "no traceability code: \"not payable\"";
  validator::Finding full = plain;
  full.rule = validator::RuleId::kCodeResold;
  full.severity = validator::Severity::kWarn;
  full.code = "81001060000320700039\x1d";
  full.identity = "M81001060000320700039";
  full.prior_institution = "P13080200001";
  full.prior_time = 1'000'000'000;
  full.prior_entry = 12345;
  validator::Finding code_only = plain;
  code_only.code = "x";
  for (const auto& findings : std::vector<std::vector<validator::Finding>>{
           {}, {plain}, {full}, {plain, full, code_only}}) {
    CHECK(ingest::FindingsText(findings) == ingest::CanonicalJson(ingest::FindingsJson(findings)));
  }
}
