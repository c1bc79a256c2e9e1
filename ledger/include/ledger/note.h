// C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys, and the key text forms:
//   verifier key: <name>+<8 hex key id>+<base64(0x01 || 32-byte public key)>
//   signer key:   PRIVATE+KEY+<name>+<8 hex key id>+<base64(0x01 || 32-byte private seed)>
// key id = first 4 bytes (big-endian) of SHA-256(name || "\n" || 0x01 || public key).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"

namespace ledger {

using Signature = std::array<std::uint8_t, 64>;

// Parsing limits: longer notes or texts, or more signature lines, are rejected as malformed.
// Go's golang.org/x/mod/sumdb/note also stops at 100 signatures.
inline constexpr std::size_t kMaxNoteTextBytes = std::size_t{1} << 20;
inline constexpr std::size_t kMaxNoteBytes = std::size_t{2} << 20;  // text + blank + signatures
inline constexpr std::size_t kMaxNoteSignatures = 100;

class VerifierKey {
 public:
  static Result<VerifierKey> Parse(std::string_view text);
  const std::string& name() const { return name_; }
  std::uint32_t key_id() const { return key_id_; }
  const std::array<std::uint8_t, 32>& public_key() const { return public_key_; }
  std::string ToString() const;
  bool Verify(std::string_view message, const Signature& sig) const;

 private:
  friend class SignerKey;
  std::string name_;
  std::uint32_t key_id_ = 0;
  std::array<std::uint8_t, 32> public_key_{};
};

class SignerKey {
 public:
  // A fresh Ed25519 key from the OS random source. `name` must be a valid key name (non-empty, no
  // whitespace, no '+', valid UTF-8).
  static Result<SignerKey> Generate(std::string_view name);
  static Result<SignerKey> Parse(std::string_view text);
  // Copyable; every copy wipes its private seed when destroyed.
  SignerKey() = default;
  SignerKey(const SignerKey&) = default;
  SignerKey& operator=(const SignerKey&) = default;
  ~SignerKey();
  std::string ToString() const;  // the PRIVATE+KEY+... form, no trailing newline
  const VerifierKey& verifier() const { return verifier_; }
  // Ed25519 signature of `message`. OpenSSL fails here only when out of memory; the result is then
  // all zero bytes, which never verify. SignNote reports that failure as a Status instead.
  Signature Sign(std::string_view message) const;

 private:
  VerifierKey verifier_;
  std::array<std::uint8_t, 32> seed_{};
};

struct NoteSignature {
  std::string name;
  std::uint32_t key_id = 0;
  std::vector<std::uint8_t> signature;  // bytes after the key id (64 for Ed25519)
};

struct SignedNote {
  std::string text;  // the signed text, ending in "\n"
  std::vector<NoteSignature> signatures;
};

// Validates `text` as note text (valid UTF-8, ends in a newline, no other control characters).
Status CheckNoteText(std::string_view text);
// text + "\n" + "— <name> <base64(key id || signature)>\n".
Result<std::string> SignNote(std::string_view text, const SignerKey& key);
// Splits a signed note into text and signature lines; does not verify.
Result<SignedNote> ParseNote(std::string_view note);
// Parses and verifies: ok only if a signature line by `key` (name and key id) verifies over the
// text. Returns the note text. Malformed note: InvalidArgument. No line by `key`, or any line by
// `key` that fails to verify: Corruption. Lines by other keys are ignored.
Result<std::string> OpenNote(std::string_view note, const VerifierKey& key);

}  // namespace ledger
