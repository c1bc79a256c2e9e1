// The 'verify-proof' subcommand. The proof JSON form itself lives in ingest/proof_json.h (shared
// with the regulators' code histories).
#pragma once

#include <string>

#include "ingest/proof_json.h"

namespace cli {

using ingest::ConsistencyProofJson;
using ingest::InclusionProofJson;

// The 'verify-proof' subcommand: returns the exit code.
int RunVerifyProof(const std::string& key_text, const std::string& checkpoint_file,
                   const std::string& old_checkpoint_file, const std::string& proof_file);

}  // namespace cli
