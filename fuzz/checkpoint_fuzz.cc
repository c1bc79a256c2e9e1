// Checkpoints, signed notes and key texts, as `verify`, `verify-proof` and Ledger::Open read them
// from files someone else may have written.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ledger/checkpoint.h"
#include "ledger/note.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

// The key of the committed corpus's notes (fuzz/corpus/checkpoint), so mutations of a real
// signed note reach the signature check and the checkpoint parser behind it.
constexpr char kSeedKey[] =
    "fuzz.drugtrace/ledger+5838d470+AQ/bo6cQqxq4c3wMRa0LVFROk7+0lIbp+xq8GVuxUsAY";

const ledger::VerifierKey* SeedKey() {
  static const auto key = ledger::VerifierKey::Parse(kSeedKey);
  return key.ok() ? &*key : nullptr;
}

void CheckpointText(std::string_view text) {
  auto cp = ledger::Checkpoint::Parse(text);
  if (!cp.ok()) return;
  // What parses, prints back to text that parses to the same checkpoint.
  const std::string printed = cp->ToNoteText();
  auto again = ledger::Checkpoint::Parse(printed);
  Check(again.ok());
  Check(again->origin == cp->origin && again->size == cp->size && again->root == cp->root &&
        again->chain_head == cp->chain_head && again->extensions == cp->extensions);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckpointText(input);
  auto note = ledger::ParseNote(input);
  if (note.ok()) {
    Check(!note->text.empty() && note->text.back() == '\n');
    CheckpointText(note->text);
  }
  if (const ledger::VerifierKey* key = SeedKey()) {
    auto text = ledger::OpenNote(input, *key);
    if (text.ok()) {
      Check(note.ok() && *text == note->text);
      CheckpointText(*text);
    }
  }
  auto vkey = ledger::VerifierKey::Parse(input);
  if (vkey.ok()) Check(ledger::VerifierKey::Parse(vkey->ToString()).ok());
  auto skey = ledger::SignerKey::Parse(input);
  if (skey.ok()) Check(ledger::SignerKey::Parse(skey->ToString()).ok());
  return 0;
}
