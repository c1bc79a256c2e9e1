#include "ingest/proof_json.h"

#include "ledger/merkle.h"

namespace ingest {

namespace {

using ledger::Result;
using ledger::Status;

Json HashArray(const std::vector<ledger::Hash>& hashes) {
  Json out = Json::array();
  for (const auto& h : hashes) out.push_back(ledger::Base64Encode(h));
  return out;
}

// Strict field readers: each failure names the field.
Result<std::uint64_t> Uint(const Json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end()) return Status::InvalidArgument(std::string("missing field '") + field + "'");
  if (!it->is_number_unsigned()) {
    return Status::InvalidArgument(std::string("field '") + field +
                                   "' must be a non-negative integer");
  }
  return it->get<std::uint64_t>();
}

Result<ledger::Hash> HashField(const Json& j, const std::string& where) {
  if (!j.is_string()) return Status::InvalidArgument(where + " must be a base64 string");
  auto h = ledger::HashFromBase64(j.get<std::string>());
  if (!h) return Status::InvalidArgument(where + " is not base64 of 32 bytes");
  return *h;
}

Result<std::vector<ledger::Hash>> Hashes(const Json& j) {
  auto it = j.find("hashes");
  if (it == j.end() || !it->is_array()) {
    return Status::InvalidArgument("field 'hashes' must be an array");
  }
  if (it->size() > 128) return Status::InvalidArgument("too many proof hashes");
  std::vector<ledger::Hash> out;
  for (std::size_t i = 0; i < it->size(); ++i) {
    auto h = HashField((*it)[i], "hashes[" + std::to_string(i) + "]");
    if (!h.ok()) return h.status();
    out.push_back(*h);
  }
  return out;
}

Status CheckInclusion(const Json& p, const ledger::Checkpoint& cp) {
  auto index = Uint(p, "leaf_index");
  if (!index.ok()) return index.status();
  auto size = Uint(p, "tree_size");
  if (!size.ok()) return size.status();
  if (*size != cp.size) {
    return Status::InvalidArgument("proof is for tree size " + std::to_string(*size) +
                                   " but the checkpoint is for size " + std::to_string(cp.size));
  }
  if (!p.contains("leaf_hash")) return Status::InvalidArgument("missing field 'leaf_hash'");
  auto leaf = HashField(p["leaf_hash"], "leaf_hash");
  if (!leaf.ok()) return leaf.status();
  if (auto e = p.find("entry"); e != p.end()) {
    auto bytes = e->is_string() ? ledger::Base64Decode(e->get<std::string>()) : std::nullopt;
    if (!bytes) return Status::InvalidArgument("field 'entry' is not base64");
    if (ledger::LeafHash(ledger::AsBytes(*bytes)) != *leaf) {
      return Status::Corruption("entry bytes do not hash to leaf_hash");
    }
  }
  auto hashes = Hashes(p);
  if (!hashes.ok()) return hashes.status();
  return ledger::merkle::VerifyInclusion(*leaf, *index, *size, *hashes, cp.root);
}

Status CheckConsistency(const Json& p, const ledger::Checkpoint& cp,
                        const ledger::Checkpoint* old_cp) {
  if (old_cp == nullptr) {
    return Status::InvalidArgument("a consistency proof needs --old-checkpoint");
  }
  if (old_cp->origin != cp.origin) {
    return Status::InvalidArgument("the two checkpoints have different origins");
  }
  auto old_size = Uint(p, "old_size");
  if (!old_size.ok()) return old_size.status();
  auto new_size = Uint(p, "new_size");
  if (!new_size.ok()) return new_size.status();
  if (*old_size != old_cp->size || *new_size != cp.size) {
    return Status::InvalidArgument("proof is for sizes " + std::to_string(*old_size) + " -> " +
                                   std::to_string(*new_size) + " but the checkpoints are for " +
                                   std::to_string(old_cp->size) + " -> " + std::to_string(cp.size));
  }
  auto hashes = Hashes(p);
  if (!hashes.ok()) return hashes.status();
  return ledger::merkle::VerifyConsistency(*old_size, *new_size, old_cp->root, cp.root, *hashes);
}

}  // namespace

Json InclusionProofJson(std::uint64_t index, std::uint64_t tree_size, const ledger::Hash& leaf_hash,
                        const std::vector<ledger::Hash>& hashes,
                        std::optional<std::string_view> entry) {
  Json j = {{"type", "inclusion"},
            {"leaf_index", index},
            {"tree_size", tree_size},
            {"leaf_hash", ledger::Base64Encode(leaf_hash)},
            {"hashes", HashArray(hashes)}};
  if (entry) j["entry"] = ledger::Base64Encode(ledger::AsBytes(*entry));
  return j;
}

Json ConsistencyProofJson(std::uint64_t old_size, std::uint64_t new_size,
                          const std::vector<ledger::Hash>& hashes) {
  return {{"type", "consistency"},
          {"old_size", old_size},
          {"new_size", new_size},
          {"hashes", HashArray(hashes)}};
}

ledger::Status VerifyProofJson(const Json& proof, const ledger::Checkpoint& checkpoint,
                               const ledger::Checkpoint* old_checkpoint) {
  if (!proof.is_object()) return Status::InvalidArgument("a proof must be a JSON object");
  auto type = proof.find("type");
  if (type != proof.end() && *type == "inclusion") return CheckInclusion(proof, checkpoint);
  if (type != proof.end() && *type == "consistency") {
    return CheckConsistency(proof, checkpoint, old_checkpoint);
  }
  return Status::InvalidArgument("field 'type' must be \"inclusion\" or \"consistency\"");
}

}  // namespace ingest
