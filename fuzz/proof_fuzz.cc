// Proof JSON as `verify-proof` and the regulators' code histories check it
// (ingest::VerifyProofJson) against checkpoints of a fixed 7-entry tree (entries "e0".."e6";
// fuzz/corpus/proof holds real proofs of it). Nothing may crash, and no proof may verify for a leaf
// that is not in the tree.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/json.h"
#include "ingest/proof_json.h"
#include "ledger/checkpoint.h"
#include "ledger/merkle.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

struct Tree {
  std::vector<ledger::Hash> leaves;
  ledger::Checkpoint old_cp, new_cp;  // sizes 3 and 7
};

const Tree& TheTree() {
  static const Tree tree = [] {
    Tree t;
    ledger::merkle::RootBuilder b;
    for (int i = 0; i < 7; ++i) {
      t.leaves.push_back(ledger::LeafHash(ledger::AsBytes("e" + std::to_string(i))));
      b.Add(t.leaves.back());
      if (b.size() == 3) t.old_cp = {"fuzz.drugtrace/ledger", 3, b.Root(), std::nullopt, {}};
    }
    t.new_cp = {"fuzz.drugtrace/ledger", 7, b.Root(), std::nullopt, {}};
    return t;
  }();
  return tree;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto proof = ingest::ParseJson(text, error);
  if (!proof) return 0;
  const Tree& t = TheTree();
  for (const ledger::Checkpoint* cp : {&t.new_cp, &t.old_cp}) {
    const ledger::Status st = ingest::VerifyProofJson(*proof, *cp, &t.old_cp);
    if (!st.ok()) {
      Check(!st.message().empty());
      continue;
    }
    // Soundness: a verified inclusion proof names a real leaf at its index.
    if ((*proof)["type"] == "inclusion") {
      const auto index = (*proof)["leaf_index"].get<std::uint64_t>();
      Check(index < cp->size);
      Check(ledger::HashFromBase64((*proof)["leaf_hash"].get<std::string>()) == t.leaves[index]);
    } else {
      Check((*proof)["old_size"] == t.old_cp.size && (*proof)["new_size"] == cp->size);
    }
  }
  (void)ingest::VerifyProofJson(*proof, t.new_cp, nullptr);
  return 0;
}
