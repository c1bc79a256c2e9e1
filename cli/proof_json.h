// The proof JSON form printed by 'prove' and checked by 'verify-proof' (docs/ledger-format.md §6).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ledger/hash.h"

namespace cli {

nlohmann::json InclusionProofJson(std::uint64_t index, std::uint64_t tree_size,
                                  const ledger::Hash& leaf_hash,
                                  const std::vector<ledger::Hash>& hashes);
nlohmann::json ConsistencyProofJson(std::uint64_t old_size, std::uint64_t new_size,
                                    const std::vector<ledger::Hash>& hashes);

// The 'verify-proof' subcommand: returns the exit code.
int RunVerifyProof(const std::string& key_text, const std::string& checkpoint_file,
                   const std::string& old_checkpoint_file, const std::string& proof_file);

}  // namespace cli
