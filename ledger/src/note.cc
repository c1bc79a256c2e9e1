// C2SP signed notes with Ed25519 (https://c2sp.org/signed-note), wire-compatible with Go's
// golang.org/x/mod/sumdb/note. OpenSSL is used through EVP only; its error queue becomes a Status
// in OpenSslError() and nowhere else.
#include "ledger/note.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>

#include "ledger/hash.h"

namespace ledger {
namespace {

constexpr std::uint8_t kAlgEd25519 = 0x01;  // C2SP signature type byte; never renumber
constexpr std::string_view kSigPrefix = "\xE2\x80\x94 ";  // em dash U+2014, then a space
constexpr std::string_view kSignerPrefix = "PRIVATE+KEY+";
constexpr std::size_t kKeyIdBytes = 4;

using PublicKey = std::array<std::uint8_t, 32>;
using Seed = std::array<std::uint8_t, 32>;

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

// Wipes a string that held private key material when it goes out of scope.
class WipeOnExit {
 public:
  explicit WipeOnExit(std::string& s) : s_(s) {}
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;
  ~WipeOnExit() { OPENSSL_cleanse(s_.data(), s_.size()); }

 private:
  std::string& s_;
};

// The one translation of OpenSSL's error queue into a Status. Drains the queue so that a stale
// error never shows up in a later, unrelated message.
Status OpenSslError(std::string_view what) {
  std::string msg = "OpenSSL: " + std::string(what);
  if (unsigned long err = ERR_get_error(); err != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof buf);
    msg += ": ";
    msg += buf;
  }
  ERR_clear_error();
  return Status::IoError(std::move(msg));
}

// ---- UTF-8 and names ----

// Decodes the UTF-8 sequence at s[i] and advances i past it; returns -1 (and leaves i alone) for an
// invalid, overlong, surrogate or out-of-range sequence.
std::int32_t DecodeRune(std::string_view s, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  std::uint8_t b0 = byte(i);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  std::size_t len;
  std::uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  std::int32_t cp;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return -1;
  }
  if (s.size() - i < len) return -1;
  for (std::size_t k = 1; k < len; ++k) {
    std::uint8_t b = byte(i + k);
    if (k == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80) return -1;
    cp = cp << 6 | (b & 0x3F);
  }
  i += len;
  return cp;
}

// Unicode White_Space, the set Go's unicode.IsSpace tests.
bool IsUnicodeSpace(std::int32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

// Valid UTF-8 without ASCII control characters other than newline (the rule for whole notes).
Status CheckUtf8NoControls(std::string_view s, std::string_view what) {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t at = i;
    std::int32_t cp = DecodeRune(s, i);
    if (cp < 0)
      return Status::InvalidArgument(std::string(what) + ": invalid UTF-8 at byte " +
                                     std::to_string(at));
    if (cp < 0x20 && cp != '\n') {
      return Status::InvalidArgument(std::string(what) + ": control character at byte " +
                                     std::to_string(at));
    }
  }
  return Status::Ok();
}

// Non-empty, valid UTF-8, no Unicode space, no '+'. Control characters are refused as well: a name
// containing one could never appear in a well-formed note.
bool IsValidName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size();) {
    std::int32_t cp = DecodeRune(name, i);
    if (cp < 0x20 || cp == '+' || IsUnicodeSpace(cp)) return false;  // also cp < 0: invalid
  }
  return true;
}

Status CheckName(std::string_view name) {
  if (IsValidName(name)) return Status::Ok();
  return Status::InvalidArgument(
      "invalid key name (must be non-empty UTF-8 without spaces, '+' or control characters)");
}

// ---- Key ids and key text ----

std::uint32_t ReadBigEndian32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

// SHA-256(name || "\n" || 0x01 || public key)[:4], big-endian.
std::uint32_t KeyId(std::string_view name, const PublicKey& public_key) {
  std::string buf(name);
  buf += '\n';
  buf += static_cast<char>(kAlgEd25519);
  buf.append(reinterpret_cast<const char*>(public_key.data()), public_key.size());
  Hash h = Sha256(AsBytes(buf));
  return ReadBigEndian32(h.data());
}

std::string KeyIdHex(std::uint32_t id) {
  const std::uint8_t be[4] = {static_cast<std::uint8_t>(id >> 24),
                              static_cast<std::uint8_t>(id >> 16),
                              static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id)};
  return ToHex(Bytes(be, 4));
}

// Exactly eight lower-case hex digits, the form both we and Go write.
std::optional<std::uint32_t> ParseKeyIdHex(std::string_view hex) {
  if (hex.size() != 8) return std::nullopt;
  std::uint32_t id = 0;
  for (char c : hex) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    id = id << 4 | static_cast<std::uint32_t>(d);
  }
  return id;
}

// "<name>+<8 hex key id>+<base64(0x01 || 32 key bytes)>", the shared tail of both key forms. The
// key bytes are written to `key`; the caller wipes them if they are secret.
struct KeyText {
  std::string_view name;
  std::uint32_t key_id = 0;
};

Status ParseKeyText(std::string_view text, KeyText& out, std::array<std::uint8_t, 32>& key) {
  std::size_t p1 = text.find('+');
  if (p1 == std::string_view::npos) return Status::InvalidArgument("key: missing '+'");
  std::size_t p2 = text.find('+', p1 + 1);
  if (p2 == std::string_view::npos) return Status::InvalidArgument("key: missing second '+'");
  out.name = text.substr(0, p1);
  LEDGER_RETURN_IF_ERROR(CheckName(out.name));
  auto id = ParseKeyIdHex(text.substr(p1 + 1, p2 - p1 - 1));
  if (!id) return Status::InvalidArgument("key: key id is not 8 lower-case hex digits");
  out.key_id = *id;
  auto raw = Base64Decode(text.substr(p2 + 1));
  if (!raw) return Status::InvalidArgument("key: bad base64 key data");
  WipeOnExit wipe(*raw);
  if (raw->size() != 1 + key.size())
    return Status::InvalidArgument("key: key data is not 33 bytes");
  if (static_cast<std::uint8_t>((*raw)[0]) != kAlgEd25519) {
    return Status::InvalidArgument("key: unsupported signature algorithm (want Ed25519, 0x01)");
  }
  std::copy(raw->begin() + 1, raw->end(), key.begin());
  return Status::Ok();
}

std::string EncodeKeyData(const std::array<std::uint8_t, 32>& key) {
  std::array<std::uint8_t, 33> buf;
  buf[0] = kAlgEd25519;
  std::copy(key.begin(), key.end(), buf.begin() + 1);
  std::string out = Base64Encode(Bytes(buf));
  OPENSSL_cleanse(buf.data(), buf.size());
  return out;
}

// ---- Ed25519 through EVP ----

Result<PkeyPtr> PrivateKeyFromSeed(const Seed& seed) {
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  if (!pkey) return OpenSslError("loading Ed25519 private key");
  return pkey;
}

Status DerivePublicKey(const Seed& seed, PublicKey& out) {
  auto pkey = PrivateKeyFromSeed(seed);
  if (!pkey.ok()) return pkey.status();
  std::size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(pkey->get(), out.data(), &len) != 1 || len != out.size()) {
    return OpenSslError("deriving Ed25519 public key");
  }
  return Status::Ok();
}

Result<Signature> SignWithSeed(const Seed& seed, std::string_view message) {
  auto pkey = PrivateKeyFromSeed(seed);
  if (!pkey.ok()) return pkey.status();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return OpenSslError("allocating signing context");
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey->get()) != 1) {
    return OpenSslError("initialising Ed25519 signing");
  }
  Signature sig;
  std::size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), sig.data(), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      len != sig.size()) {
    return OpenSslError("Ed25519 signing");
  }
  return sig;
}

}  // namespace

// ---- VerifierKey ----

Result<VerifierKey> VerifierKey::Parse(std::string_view text) {
  KeyText kt;
  VerifierKey key;
  LEDGER_RETURN_IF_ERROR(ParseKeyText(text, kt, key.public_key_));
  if (KeyId(kt.name, key.public_key_) != kt.key_id) {
    return Status::InvalidArgument("verifier key: key id does not match name and public key");
  }
  key.name_ = std::string(kt.name);
  key.key_id_ = kt.key_id;
  return key;
}

std::string VerifierKey::ToString() const {
  return name_ + "+" + KeyIdHex(key_id_) + "+" + EncodeKeyData(public_key_);
}

bool VerifierKey::Verify(std::string_view message, const Signature& sig) const {
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key_.data(),
                                           public_key_.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok =
      pkey && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), sig.data(), sig.size(),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  if (!ok) ERR_clear_error();  // a bad signature is an answer, not an error to carry around
  return ok;
}

// ---- SignerKey ----

SignerKey::~SignerKey() {
  OPENSSL_cleanse(seed_.data(), seed_.size());
}

Result<SignerKey> SignerKey::Generate(std::string_view name) {
  LEDGER_RETURN_IF_ERROR(CheckName(name));
  SignerKey key;
  if (RAND_bytes(key.seed_.data(), static_cast<int>(key.seed_.size())) != 1) {
    return OpenSslError("reading the random source");
  }
  LEDGER_RETURN_IF_ERROR(DerivePublicKey(key.seed_, key.verifier_.public_key_));
  key.verifier_.name_ = std::string(name);
  key.verifier_.key_id_ = KeyId(name, key.verifier_.public_key_);
  return key;
}

Result<SignerKey> SignerKey::Parse(std::string_view text) {
  if (!text.starts_with(kSignerPrefix)) {
    return Status::InvalidArgument("signer key: does not start with PRIVATE+KEY+");
  }
  KeyText kt;
  SignerKey key;
  LEDGER_RETURN_IF_ERROR(ParseKeyText(text.substr(kSignerPrefix.size()), kt, key.seed_));
  LEDGER_RETURN_IF_ERROR(DerivePublicKey(key.seed_, key.verifier_.public_key_));
  // The key id names the public key, so it can only be checked after deriving it.
  if (KeyId(kt.name, key.verifier_.public_key_) != kt.key_id) {
    return Status::InvalidArgument("signer key: key id does not match name and key");
  }
  key.verifier_.name_ = std::string(kt.name);
  key.verifier_.key_id_ = kt.key_id;
  return key;
}

std::string SignerKey::ToString() const {
  return std::string(kSignerPrefix) + verifier_.name_ + "+" + KeyIdHex(verifier_.key_id_) + "+" +
         EncodeKeyData(seed_);
}

Signature SignerKey::Sign(std::string_view message) const {
  auto sig = SignWithSeed(seed_, message);
  return sig.ok() ? *sig : Signature{};
}

// ---- Notes ----

Status CheckNoteText(std::string_view text) {
  if (text.size() > kMaxNoteTextBytes) return Status::InvalidArgument("note text: too long");
  if (text.empty() || text.back() != '\n') {
    return Status::InvalidArgument("note text: does not end in a newline");
  }
  return CheckUtf8NoControls(text, "note text");
}

Result<std::string> SignNote(std::string_view text, const SignerKey& key) {
  LEDGER_RETURN_IF_ERROR(CheckNoteText(text));
  const VerifierKey& v = key.verifier();
  LEDGER_RETURN_IF_ERROR(CheckName(v.name()));  // a default-constructed key has no name
  // Sign() reports an OpenSSL failure as all zero bytes; a real Ed25519 signature never is (its R
  // would be a point of order 4, outside the group generated by the base point).
  Signature sig = key.Sign(text);
  if (sig == Signature{}) return Status::IoError("OpenSSL: Ed25519 signing failed");

  std::array<std::uint8_t, kKeyIdBytes + 64> blob;
  const std::uint32_t id = v.key_id();
  blob[0] = static_cast<std::uint8_t>(id >> 24);
  blob[1] = static_cast<std::uint8_t>(id >> 16);
  blob[2] = static_cast<std::uint8_t>(id >> 8);
  blob[3] = static_cast<std::uint8_t>(id);
  std::copy(sig.begin(), sig.end(), blob.begin() + kKeyIdBytes);

  std::string note(text);
  note += '\n';
  note += kSigPrefix;
  note += v.name();
  note += ' ';
  note += Base64Encode(Bytes(blob));
  note += '\n';
  return note;
}

Result<SignedNote> ParseNote(std::string_view note) {
  if (note.size() > kMaxNoteBytes) return Status::InvalidArgument("note: too long");
  LEDGER_RETURN_IF_ERROR(CheckUtf8NoControls(note, "note"));
  // The text ends at the last blank line; it may itself contain blank lines.
  std::size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) {
    return Status::InvalidArgument("note: no blank line before the signatures");
  }
  SignedNote out;
  std::string_view text = note.substr(0, split + 1);
  std::string_view sigs = note.substr(split + 2);
  if (text.size() > kMaxNoteTextBytes) return Status::InvalidArgument("note: text too long");
  if (sigs.empty()) return Status::InvalidArgument("note: no signature lines");
  if (sigs.back() != '\n') return Status::InvalidArgument("note: last line has no newline");

  while (!sigs.empty()) {
    std::size_t nl = sigs.find('\n');  // found: sigs ends in '\n'
    std::string_view line = sigs.substr(0, nl);
    sigs.remove_prefix(nl + 1);
    if (out.signatures.size() == kMaxNoteSignatures) {
      return Status::InvalidArgument("note: more than " + std::to_string(kMaxNoteSignatures) +
                                     " signatures");
    }
    if (!line.starts_with(kSigPrefix)) {
      return Status::InvalidArgument("note: signature line does not start with an em dash");
    }
    line.remove_prefix(kSigPrefix.size());
    std::size_t space = line.find(' ');
    if (space == std::string_view::npos) {
      return Status::InvalidArgument("note: signature line has no space after the key name");
    }
    std::string_view name = line.substr(0, space);
    if (!IsValidName(name)) return Status::InvalidArgument("note: invalid key name in signature");
    auto raw = Base64Decode(line.substr(space + 1));
    if (!raw) return Status::InvalidArgument("note: bad base64 in signature line");
    if (raw->size() <= kKeyIdBytes) return Status::InvalidArgument("note: signature too short");
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(raw->data());
    out.signatures.push_back(
        NoteSignature{std::string(name), ReadBigEndian32(bytes),
                      std::vector<std::uint8_t>(bytes + 4, bytes + raw->size())});
  }
  out.text = std::string(text);
  return out;
}

Result<std::string> OpenNote(std::string_view note, const VerifierKey& key) {
  auto parsed = ParseNote(note);
  if (!parsed.ok()) return parsed.status();
  const std::string key_text = key.name() + "+" + KeyIdHex(key.key_id());
  bool verified = false;
  // Every line by this key must verify (stricter than Go, which checks only the first one): a
  // forged line next to a good one means something is wrong with the note.
  for (const NoteSignature& s : parsed->signatures) {
    if (s.name != key.name() || s.key_id != key.key_id()) continue;  // other keys: ignored
    Signature sig;
    if (s.signature.size() != sig.size()) {
      return Status::Corruption("note: signature by " + key_text + " has the wrong length");
    }
    std::copy(s.signature.begin(), s.signature.end(), sig.begin());
    if (!key.Verify(parsed->text, sig)) {
      return Status::Corruption("note: invalid signature by " + key_text);
    }
    verified = true;
  }
  if (!verified) return Status::Corruption("note: not signed by " + key_text);
  return std::move(parsed->text);
}

}  // namespace ledger
