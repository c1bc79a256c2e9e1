// validator::ParseCode on arbitrary scanner input: never crashes, and what it returns is coherent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "validator/code.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view scanned(reinterpret_cast<const char*>(data), size);
  const validator::ParsedCode c = validator::ParseCode(scanned);
  Check(validator::CodeKindName(c.kind) != nullptr);
  if (c.kind == validator::CodeKind::kMalformed) {
    Check(!c.reason.empty());
    Check(c.position <= size);
    Check(!c.is_pack());
  }
  // Only pack forms carry an identity, and it has one of the documented prefixes.
  if (c.is_pack()) {
    Check(c.kind != validator::CodeKind::kProductBarcode);
    Check(c.identity[0] == 'M' || c.identity[0] == 'G' || c.identity[0] == 'I');
  }
  // Pure: the same input parses the same way.
  const validator::ParsedCode again = validator::ParseCode(scanned);
  Check(again.kind == c.kind && again.identity == c.identity && again.product == c.product &&
        again.reason == c.reason && again.position == c.position);
  return 0;
}
