#include "proof_json.h"

#include <cctype>
#include <iostream>

#include "common.h"
#include "ledger/checkpoint.h"
#include "ledger/note.h"

namespace cli {

using nlohmann::json;

namespace {

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

}  // namespace

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
  if (type != "inclusion" && type != "consistency") {
    return Fail("verify-proof: " + proof_file +
                ": field 'type' must be \"inclusion\" or \"consistency\"");
  }
  ledger::Status st = ingest::VerifyProofJson(p, *cp, old_cp ? &*old_cp : nullptr);
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
