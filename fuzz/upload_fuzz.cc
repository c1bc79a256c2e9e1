// An upload body as Processor::Admit takes it: strict JSON parse, the embedded upload schema,
// DecodeMessage and the idempotency digest. Nothing may crash; what is admitted must be coherent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "embedded.h"
#include "ingest/json.h"
#include "ingest/json_schema.h"
#include "ingest/message.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

const ingest::JsonSchema& UploadSchema() {
  static const ingest::JsonSchema schema = [] {
    auto text = drugtrace::embedded::Find("schemas/upload.schema.json");
    Check(text.has_value());
    std::string error;
    auto s = ingest::JsonSchema::Load(ingest::Json::parse(*text), error);
    Check(s.has_value());
    return std::move(*s);
  }();
  return schema;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto json = ingest::ParseJson(body, error);
  if (!json) {
    Check(!error.empty());
    return 0;
  }
  // What ParseJson accepts, its canonical form reproduces (the ledger stores canonical JSON).
  const std::string canonical = ingest::CanonicalJson(*json);
  std::string error2;
  auto reparsed = ingest::ParseJson(canonical, error2, {.max_depth = 64});
  Check(reparsed.has_value() && ingest::CanonicalJson(*reparsed) == canonical);

  if (auto err = UploadSchema().Validate(*json)) {
    Check(!err->ToString().empty());
    return 0;
  }
  ingest::DecodedMessage m;
  ingest::DecodeError derr;
  const bool ok = ingest::DecodeMessage(
      std::move(*json), [](std::string_view p) { return "h" + std::to_string(p.size()); }, m, derr);
  if (!ok) {
    Check(derr.http_status >= 400 && derr.http_status < 500 && !derr.message.empty());
    return 0;
  }
  Check(m.rows.size() == m.raw_rows.size() && m.rows.size() == m.canonical_rows.size());
  (void)ingest::MessageDigest(m);
  return 0;
}
