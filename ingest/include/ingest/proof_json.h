// The JSON form of Merkle proofs (docs/ledger-format.md §6): printed by `drugtrace prove`, returned
// with every event of a code history, and checked by `drugtrace verify-proof`.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "ingest/json.h"
#include "ledger/checkpoint.h"
#include "ledger/hash.h"
#include "ledger/status.h"

namespace ingest {

// {"type":"inclusion","leaf_index","tree_size","leaf_hash","hashes"[,"entry"]}; `entry` (the
// entry bytes, base64) is written when given.
Json InclusionProofJson(std::uint64_t index, std::uint64_t tree_size, const ledger::Hash& leaf_hash,
                        const std::vector<ledger::Hash>& hashes,
                        std::optional<std::string_view> entry = std::nullopt);
// {"type":"consistency","old_size","new_size","hashes"}
Json ConsistencyProofJson(std::uint64_t old_size, std::uint64_t new_size,
                          const std::vector<ledger::Hash>& hashes);

// Checks a proof object against opened, parsed checkpoints (`old_checkpoint` only for consistency
// proofs): every field strictly, the entry bytes when present, then the Merkle path. The error
// names the field or what does not match.
ledger::Status VerifyProofJson(const Json& proof, const ledger::Checkpoint& checkpoint,
                               const ledger::Checkpoint* old_checkpoint);

}  // namespace ingest
