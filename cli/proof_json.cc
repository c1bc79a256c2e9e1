#include "proof_json.h"

#include <cctype>
#include <iostream>

#include "common.h"
#include "ledger/checkpoint.h"
#include "ledger/merkle.h"
#include "ledger/note.h"

namespace cli {

using nlohmann::json;

namespace {

json HashArray(const std::vector<ledger::Hash>& hashes) {
  json out = json::array();
  for (const auto& h : hashes) out.push_back(ledger::Base64Encode(h));
  return out;
}

// Strict field readers: each failure names the field.
ledger::Result<std::uint64_t> Uint(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end())
    return ledger::Status::InvalidArgument(std::string("missing field '") + field + "'");
  if (!it->is_number_unsigned()) {
    return ledger::Status::InvalidArgument(std::string("field '") + field +
                                           "' must be a non-negative integer");
  }
  return it->get<std::uint64_t>();
}

ledger::Result<ledger::Hash> HashField(const json& j, const std::string& where) {
  if (!j.is_string()) return ledger::Status::InvalidArgument(where + " must be a base64 string");
  auto h = ledger::HashFromBase64(j.get<std::string>());
  if (!h) return ledger::Status::InvalidArgument(where + " is not base64 of 32 bytes");
  return *h;
}

ledger::Result<std::vector<ledger::Hash>> Hashes(const json& j) {
  auto it = j.find("hashes");
  if (it == j.end() || !it->is_array()) {
    return ledger::Status::InvalidArgument("field 'hashes' must be an array");
  }
  if (it->size() > 128) return ledger::Status::InvalidArgument("too many proof hashes");
  std::vector<ledger::Hash> out;
  for (std::size_t i = 0; i < it->size(); ++i) {
    auto h = HashField((*it)[i], "hashes[" + std::to_string(i) + "]");
    if (!h.ok()) return h.status();
    out.push_back(*h);
  }
  return out;
}

ledger::Result<ledger::Checkpoint> LoadCheckpoint(const std::string& file,
                                                  const ledger::VerifierKey& key) {
  auto note = ReadInput(file);
  if (!note) return ledger::Status::NotFound("cannot read checkpoint " + file);
  auto text = ledger::OpenNote(*note, key);
  if (!text.ok()) return ledger::Status::Corruption(file + ": " + text.status().message());
  auto cp = ledger::Checkpoint::Parse(*text);
  if (!cp.ok()) return ledger::Status::InvalidArgument(file + ": " + cp.status().message());
  return cp;
}

ledger::Status CheckInclusion(const json& p, const ledger::Checkpoint& cp) {
  auto index = Uint(p, "leaf_index");
  if (!index.ok()) return index.status();
  auto size = Uint(p, "tree_size");
  if (!size.ok()) return size.status();
  if (*size != cp.size) {
    return ledger::Status::InvalidArgument("proof is for tree size " + std::to_string(*size) +
                                           " but the checkpoint is for size " +
                                           std::to_string(cp.size));
  }
  if (!p.contains("leaf_hash")) return ledger::Status::InvalidArgument("missing field 'leaf_hash'");
  auto leaf = HashField(p["leaf_hash"], "leaf_hash");
  if (!leaf.ok()) return leaf.status();
  if (auto e = p.find("entry"); e != p.end()) {
    auto bytes = e->is_string() ? ledger::Base64Decode(e->get<std::string>()) : std::nullopt;
    if (!bytes) return ledger::Status::InvalidArgument("field 'entry' is not base64");
    if (ledger::LeafHash(ledger::AsBytes(*bytes)) != *leaf) {
      return ledger::Status::Corruption("entry bytes do not hash to leaf_hash");
    }
  }
  auto hashes = Hashes(p);
  if (!hashes.ok()) return hashes.status();
  return ledger::merkle::VerifyInclusion(*leaf, *index, *size, *hashes, cp.root);
}

ledger::Status CheckConsistency(const json& p, const ledger::Checkpoint& cp,
                                const ledger::Checkpoint* old_cp) {
  if (old_cp == nullptr) {
    return ledger::Status::InvalidArgument("a consistency proof needs --old-checkpoint");
  }
  if (old_cp->origin != cp.origin) {
    return ledger::Status::InvalidArgument("the two checkpoints have different origins");
  }
  auto old_size = Uint(p, "old_size");
  if (!old_size.ok()) return old_size.status();
  auto new_size = Uint(p, "new_size");
  if (!new_size.ok()) return new_size.status();
  if (*old_size != old_cp->size || *new_size != cp.size) {
    return ledger::Status::InvalidArgument(
        "proof is for sizes " + std::to_string(*old_size) + " -> " + std::to_string(*new_size) +
        " but the checkpoints are for " + std::to_string(old_cp->size) + " -> " +
        std::to_string(cp.size));
  }
  auto hashes = Hashes(p);
  if (!hashes.ok()) return hashes.status();
  return ledger::merkle::VerifyConsistency(*old_size, *new_size, old_cp->root, cp.root, *hashes);
}

}  // namespace

json InclusionProofJson(std::uint64_t index, std::uint64_t tree_size, const ledger::Hash& leaf_hash,
                        const std::vector<ledger::Hash>& hashes) {
  return {{"type", "inclusion"},
          {"leaf_index", index},
          {"tree_size", tree_size},
          {"leaf_hash", ledger::Base64Encode(leaf_hash)},
          {"hashes", HashArray(hashes)}};
}

json ConsistencyProofJson(std::uint64_t old_size, std::uint64_t new_size,
                          const std::vector<ledger::Hash>& hashes) {
  return {{"type", "consistency"},
          {"old_size", old_size},
          {"new_size", new_size},
          {"hashes", HashArray(hashes)}};
}

int RunVerifyProof(const std::string& key_text, const std::string& checkpoint_file,
                   const std::string& old_checkpoint_file, const std::string& proof_file) {
  std::string_view trimmed(key_text);
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back()))) {
    trimmed.remove_suffix(1);
  }
  auto key = ledger::VerifierKey::Parse(trimmed);
  if (!key.ok()) return Fail("verify-proof: --key", key.status());
  auto cp = LoadCheckpoint(checkpoint_file, *key);
  if (!cp.ok()) return Fail("verify-proof FAILED: checkpoint", cp.status());
  std::optional<ledger::Checkpoint> old_cp;
  if (!old_checkpoint_file.empty()) {
    auto o = LoadCheckpoint(old_checkpoint_file, *key);
    if (!o.ok()) return Fail("verify-proof FAILED: old checkpoint", o.status());
    old_cp = std::move(*o);
  }
  auto text = ReadInput(proof_file);
  if (!text) return kExitFailure;
  json p = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (p.is_discarded() || !p.is_object())
    return Fail("verify-proof: " + proof_file + " is not a JSON object");
  const std::string type =
      p.contains("type") && p["type"].is_string() ? p["type"].get<std::string>() : "";
  ledger::Status st;
  if (type == "inclusion") {
    st = CheckInclusion(p, *cp);
  } else if (type == "consistency") {
    st = CheckConsistency(p, *cp, old_cp ? &*old_cp : nullptr);
  } else {
    return Fail("verify-proof: " + proof_file +
                ": field 'type' must be \"inclusion\" or \"consistency\"");
  }
  if (!st.ok()) return Fail("verify-proof FAILED", st);
  if (type == "inclusion") {
    std::cout << "ok: entry " << p["leaf_index"] << " is in the tree of size " << cp->size
              << " signed by " << key->name() << "\n";
  } else {
    std::cout << "ok: tree of size " << old_cp->size << " is a prefix of the tree of size "
              << cp->size << " signed by " << key->name() << "\n";
  }
  return 0;
}

}  // namespace cli
