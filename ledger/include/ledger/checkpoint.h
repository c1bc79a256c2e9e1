// C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint) note text:
//   <origin>\n<tree size, decimal>\n<base64 root hash>\n[extension lines]
// drugtrace adds one extension line "chain <base64 chain hash of the last entry>"
// (docs/ledger-format.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/hash.h"
#include "ledger/status.h"

namespace ledger {

struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  Hash root{};
  std::optional<Hash> chain_head;       // from the "chain" extension line, when present
  std::vector<std::string> extensions;  // other extension lines, verbatim, without "\n"

  std::string ToNoteText() const;
  static Result<Checkpoint> Parse(std::string_view note_text);
};

}  // namespace ledger
