// Signed notes and Ed25519 note keys. The PeterNeumann and EnochRoot vectors are the published ones
// from Go's golang.org/x/mod/sumdb/note (note.go package doc and note_test.go).
#include "ledger/note.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "ledger/hash.h"

namespace {

using ledger::Code;
using ledger::OpenNote;
using ledger::ParseNote;
using ledger::SignerKey;
using ledger::SignNote;
using ledger::VerifierKey;

const std::string kPeterVkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const std::string kPeterSkey =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const std::string kEnochVkey = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const std::string kText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
const std::string kPeterSigB64 =
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";
const std::string kPeterSig = "\u2014 PeterNeumann " + kPeterSigB64 + "\n";
const std::string kEnochSig =
    "\u2014 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
    "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";
const std::string kPeterNote = kText + "\n" + kPeterSig;

template <typename T>
std::string CodeOf(const ledger::Result<T>& r) {
  return ledger::CodeName(r.status().code());
}
std::string CodeOf(const ledger::Status& s) {
  return ledger::CodeName(s.code());
}

const char* const kInvalid = ledger::CodeName(Code::kInvalidArgument);
const char* const kCorrupt = ledger::CodeName(Code::kCorruption);

VerifierKey Vkey(const std::string& text) {
  auto v = VerifierKey::Parse(text);
  REQUIRE(v.ok());
  return *v;
}

SignerKey Skey(const std::string& text) {
  auto s = SignerKey::Parse(text);
  REQUIRE(s.ok());
  return *s;
}

// kPeterSig with one byte of the Ed25519 signature changed (same key id, same length).
std::string CorruptedPeterSig() {
  auto raw = ledger::Base64Decode(kPeterSigB64);
  REQUIRE(raw);
  (*raw)[10] ^= 0x01;
  return "\u2014 PeterNeumann " + ledger::Base64Encode(ledger::AsBytes(*raw)) + "\n";
}

}  // namespace

TEST_CASE("Go vectors: verifier and signer keys parse", "[note]") {
  VerifierKey peter = Vkey(kPeterVkey);
  CHECK(peter.name() == "PeterNeumann");
  CHECK(peter.key_id() == 0xc74f20a3u);
  CHECK(peter.ToString() == kPeterVkey);

  SignerKey signer = Skey(kPeterSkey);
  CHECK(signer.ToString() == kPeterSkey);
  CHECK(signer.verifier().ToString() == kPeterVkey);
  CHECK(signer.verifier().public_key() == peter.public_key());

  CHECK(Vkey(kEnochVkey).key_id() == 0xaf0cfe78u);
}

TEST_CASE("key id is SHA-256(name || LF || 0x01 || public key)[:4], big-endian", "[note]") {
  VerifierKey peter = Vkey(kPeterVkey);
  std::string buf = "PeterNeumann\n\x01";
  buf.append(reinterpret_cast<const char*>(peter.public_key().data()), 32);
  ledger::Hash h = ledger::Sha256(ledger::AsBytes(buf));
  CHECK(ledger::ToHex(ledger::Bytes(h.data(), 4)) == "c74f20a3");

  auto gen = SignerKey::Generate("drugtrace.example/log");
  REQUIRE(gen.ok());
  const VerifierKey& v = gen->verifier();
  std::string b2 = "drugtrace.example/log\n\x01";
  b2.append(reinterpret_cast<const char*>(v.public_key().data()), 32);
  ledger::Hash h2 = ledger::Sha256(ledger::AsBytes(b2));
  CHECK(v.key_id() == (std::uint32_t{h2[0]} << 24 | std::uint32_t{h2[1]} << 16 |
                       std::uint32_t{h2[2]} << 8 | h2[3]));
}

TEST_CASE("Go vector: SignNote reproduces the published signed note", "[note]") {
  auto note = SignNote(kText, Skey(kPeterSkey));
  REQUIRE(note.ok());
  CHECK(*note == kPeterNote);
}

TEST_CASE("Go vector: OpenNote verifies the published note", "[note]") {
  auto text = OpenNote(kPeterNote, Vkey(kPeterVkey));
  REQUIRE(text.ok());
  CHECK(*text == kText);

  // Both published signatures verify, each with its own key; each ignores the other's line.
  const std::string both = kText + "\n" + kPeterSig + kEnochSig;
  CHECK(OpenNote(both, Vkey(kPeterVkey)).ok());
  CHECK(OpenNote(both, Vkey(kEnochVkey)).ok());

  auto parsed = ParseNote(both);
  REQUIRE(parsed.ok());
  CHECK(parsed->text == kText);
  REQUIRE(parsed->signatures.size() == 2);
  CHECK(parsed->signatures[0].name == "PeterNeumann");
  CHECK(parsed->signatures[0].key_id == 0xc74f20a3u);
  CHECK(parsed->signatures[0].signature.size() == 64);
  CHECK(parsed->signatures[1].name == "EnochRoot");
  CHECK(parsed->signatures[1].key_id == 0xaf0cfe78u);
}

TEST_CASE("Go vectors: mangled keys are rejected", "[note]") {
  // Wrong key length with adjusted key id; unknown algorithm with adjusted key id (note_test.go).
  CHECK(CodeOf(VerifierKey::Parse("PeterNeumann+cc469956+"
                                  "ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")) ==
        kInvalid);
  CHECK(CodeOf(VerifierKey::Parse(
            "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")) == kInvalid);

  // Every proper substring and every single-byte increment fails, as in Go's TestNewVerifier and
  // TestNewSigner.
  for (const std::string& key : {kPeterVkey, kPeterSkey}) {
    const bool is_signer = key == kPeterSkey;
    auto parse_ok = [&](const std::string& s) {
      return is_signer ? SignerKey::Parse(s).ok() : VerifierKey::Parse(s).ok();
    };
    for (std::size_t i = 0; i <= key.size(); ++i) {
      for (std::size_t j = i + 1; j <= key.size(); ++j) {
        if (i == 0 && j == key.size()) continue;
        INFO(key.substr(i, j - i));
        CHECK_FALSE(parse_ok(key.substr(i, j - i)));
      }
    }
    for (std::size_t i = 0; i < key.size(); ++i) {
      std::string m = key;
      ++m[i];
      INFO(m);
      CHECK_FALSE(parse_ok(m));
    }
  }
}

TEST_CASE("key text: other malformed forms", "[note]") {
  const std::vector<std::string> bad = {
      "",
      "PeterNeumann",
      "PeterNeumann+c74f20a3",
      "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  // upper-case hex
      "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
      "PeterNeumann+c74f20a30+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
      "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n",
      "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
      "PeterNeumann+c74f20a3+",
      "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
      "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
      "\xffPeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
      kPeterSkey,  // a signer key is not a verifier key
  };
  for (const std::string& s : bad) {
    INFO(s);
    CHECK(CodeOf(VerifierKey::Parse(s)) == kInvalid);
  }
  CHECK(CodeOf(SignerKey::Parse(kPeterVkey)) == kInvalid);
  CHECK(CodeOf(SignerKey::Parse("PRIVATE+KEY+" + kPeterVkey)) == kInvalid);  // wrong key id
  CHECK(CodeOf(SignerKey::Parse("private+key+PeterNeumann+c74f20a3+"
                                "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")) == kInvalid);
}

TEST_CASE("key names: validity rules", "[note]") {
  for (const std::string name :
       {"a", "drugtrace.example/log", "\u8d8a\u5357", "a-b_c.d/e~f", "rx\U0001F48A"}) {
    INFO(name);
    auto k = SignerKey::Generate(name);
    REQUIRE(k.ok());
    CHECK(k->verifier().name() == name);
  }
  const std::vector<std::string> bad = {
      "",
      "a+b",
      "a b",
      "a\tb",
      "a\nb",
      "a\x01z",
      "\xff",
      "a\xc3",
      "\xc0\xaf",
      "\xed\xa0\x80",
      "a\u00a0b",
      "a\u0085b",
      "a\u2003b",
      "a\u2028b",
      "a\u3000b",
      "a\u1680b",
      "\xf4\x90\x80\x80",
  };
  for (const std::string& name : bad) {
    INFO(ledger::ToHex(ledger::AsBytes(name)));
    CHECK(CodeOf(SignerKey::Generate(name)) == kInvalid);
  }
}

TEST_CASE("generated keys round-trip through their text forms", "[note]") {
  auto gen = SignerKey::Generate("drugtrace.example/log");
  REQUIRE(gen.ok());
  const std::string skey = gen->ToString();
  const std::string vkey = gen->verifier().ToString();
  CHECK(skey.rfind("PRIVATE+KEY+drugtrace.example/log+", 0) == 0);
  CHECK(skey.find('\n') == std::string::npos);

  SignerKey reparsed = Skey(skey);
  CHECK(reparsed.ToString() == skey);
  CHECK(reparsed.verifier().ToString() == vkey);
  VerifierKey v = Vkey(vkey);
  CHECK(v.ToString() == vkey);
  CHECK(v.key_id() == gen->verifier().key_id());

  auto other = SignerKey::Generate("drugtrace.example/log");
  REQUIRE(other.ok());
  CHECK(other->ToString() != skey);  // fresh randomness
}

TEST_CASE("VerifierKey::Verify accepts only the exact message and signature", "[note]") {
  SignerKey signer = Skey(kPeterSkey);
  const VerifierKey& v = signer.verifier();
  std::string msg = "hi";
  ledger::Signature sig = signer.Sign(msg);
  CHECK(v.Verify(msg, sig));
  ledger::Signature bad = sig;
  ++bad[0];
  CHECK_FALSE(v.Verify(msg, bad));
  CHECK_FALSE(v.Verify("hj", sig));
  CHECK_FALSE(Vkey(kEnochVkey).Verify(msg, sig));
  CHECK_FALSE(v.Verify(msg, ledger::Signature{}));
}

TEST_CASE("sign then open, including texts with blank lines", "[note]") {
  auto key = SignerKey::Generate("drugtrace.example/log");
  REQUIRE(key.ok());
  for (const std::string text :
       {"one line\n", "a\n\nb\n", "\n", "trailing blank\n\n", "\u836f\u54c1\u8ffd\u6eaf\u7801\n"}) {
    INFO(text);
    auto note = SignNote(text, *key);
    REQUIRE(note.ok());
    auto opened = OpenNote(*note, key->verifier());
    REQUIRE(opened.ok());
    CHECK(*opened == text);
  }
}

TEST_CASE("SignNote rejects bad text and unusable keys", "[note]") {
  SignerKey peter = Skey(kPeterSkey);
  for (const std::string text : {"", "abc", "a\n\x01\n", "a\r\n", "\xff\n", "tab\there\n"}) {
    INFO(ledger::ToHex(ledger::AsBytes(text)));
    CHECK(CodeOf(SignNote(text, peter)) == kInvalid);
    CHECK(CodeOf(ledger::CheckNoteText(text)) == kInvalid);
  }
  CHECK(CodeOf(SignNote(std::string(ledger::kMaxNoteTextBytes, 'x') + "\n", peter)) == kInvalid);
  CHECK(SignNote(std::string(ledger::kMaxNoteTextBytes - 1, 'x') + "\n", peter).ok());
  CHECK(CodeOf(SignNote(kText, SignerKey{})) == kInvalid);  // default key has no name
}

TEST_CASE("tampered text or wrong key fails to open", "[note]") {
  VerifierKey peter = Vkey(kPeterVkey);
  std::string tampered = kPeterNote;
  tampered.replace(tampered.find("problem"), 7, "Problem");
  CHECK(CodeOf(OpenNote(tampered, peter)) == kCorrupt);

  // Signed only by Peter: Enoch's key (and a fresh key with Peter's name) find no signature.
  CHECK(CodeOf(OpenNote(kPeterNote, Vkey(kEnochVkey))) == kCorrupt);
  auto impostor = SignerKey::Generate("PeterNeumann");
  REQUIRE(impostor.ok());
  CHECK(CodeOf(OpenNote(kPeterNote, impostor->verifier())) == kCorrupt);
  CHECK(CodeOf(OpenNote(kText + "\n" + kEnochSig, peter)) == kCorrupt);
}

TEST_CASE("signatures by other keys are ignored, bad ones by the key are fatal", "[note]") {
  VerifierKey peter = Vkey(kPeterVkey);
  // Lines with a matching name but another key id, or another name with Peter's key id, belong to
  // unknown keys: ignored, even when their signature bytes are garbage.
  auto raw = ledger::Base64Decode(kPeterSigB64);
  REQUIRE(raw);
  (*raw)[3] ^= 0x01;  // key id c74f20a2
  const std::string other_id =
      "\u2014 PeterNeumann " + ledger::Base64Encode(ledger::AsBytes(*raw)) + "\n";
  const std::string other_name = "\u2014 CarmenSandiego " + kPeterSigB64 + "\n";
  const std::string enoch_abcd = kEnochSig.substr(0, 60) + "ABCD" + kEnochSig.substr(60);
  CHECK(OpenNote(kText + "\n" + other_id + kPeterSig + other_name + enoch_abcd, peter).ok());
  CHECK(CodeOf(OpenNote(kText + "\n" + other_id + other_name, peter)) == kCorrupt);

  // Duplicate good lines are fine.
  CHECK(OpenNote(kText + "\n" + kPeterSig + kPeterSig + kEnochSig + kEnochSig, peter).ok());

  // A line by the key that fails to verify rejects the note, wherever it is.
  const std::string bad = CorruptedPeterSig();
  CHECK(CodeOf(OpenNote(kText + "\n" + bad, peter)) == kCorrupt);
  CHECK(CodeOf(OpenNote(kText + "\n" + kPeterSig + bad, peter)) == kCorrupt);
  CHECK(CodeOf(OpenNote(kText + "\n" + bad + kPeterSig, peter)) == kCorrupt);
  // Go's "invalid signature" case: four base64 characters inserted (a 67-byte signature).
  CHECK(CodeOf(OpenNote(kText + "\n" + kPeterSig.substr(0, 60) + "ABCD" + kPeterSig.substr(60),
                        peter)) == kCorrupt);
}

TEST_CASE("malformed notes are InvalidArgument", "[note]") {
  const std::string no_newline = kPeterSig.substr(0, kPeterSig.size() - 1);
  const std::vector<std::string> bad = {
      // Go's note_test.go badMsgs.
      kText, kText + "\n", kText + "\n" + no_newline, "\x01" + kText + "\n" + kPeterSig,
      "\xff" + kText + "\n" + kPeterSig, kText + "\n" + "\u2014 Bad Name " + kPeterSigB64,
      kText + "\n" + kPeterSig + "Unexpected line.\n",
      // Others.
      "", "\n\n",
      kText + kPeterSig,                                  // no blank line
      kText.substr(0, kText.size() - 1) + kPeterSig,      // text without final newline
      kText + "\n" + kPeterSig + "\n",                    // blank line after the signatures
      kText + "\n- PeterNeumann " + kPeterSigB64 + "\n",  // hyphen, not em dash
      kText + "\n\u2014PeterNeumann " + kPeterSigB64 + "\n", kText + "\n\u2014 PeterNeumann\n",
      kText + "\n\u2014 PeterNeumann \n",
      kText + "\n\u2014  " + kPeterSigB64 + "\n",  // empty name
      kText + "\n\u2014 Peter+Neumann " + kPeterSigB64 + "\n",
      kText + "\n\u2014 PeterNeumann " + kPeterSigB64 + " \n",
      kText + "\n\u2014 PeterNeumann x08go!ZJ\n",  // bad base64
      kText + "\n\u2014 PeterNeumann x08go\n",     // bad base64 length
      kText + "\n\u2014 PeterNeumann x08gow==\n",  // 4 bytes: key id, no signature
      kText + "\n\u2014 PeterNeumann x08go/Z=\n",  // non-canonical padding bits
      kText + "\n\u2014 Peter\xc3\x28Neumann " + kPeterSigB64 + "\n",
      kText + "\n\u2014 Peter\xed\xa0\x80 " + kPeterSigB64 + "\n",  // surrogate
      "a\r\n\n" + kPeterSig,                                        // CR is a control character
      "a\xc0\xaf\n\n" + kPeterSig,                                  // overlong UTF-8
  };
  VerifierKey peter = Vkey(kPeterVkey);
  for (const std::string& note : bad) {
    INFO(ledger::ToHex(ledger::AsBytes(note)));
    CHECK(CodeOf(ParseNote(note)) == kInvalid);
    CHECK(CodeOf(OpenNote(note, peter)) == kInvalid);
  }
}

TEST_CASE("note size and signature count limits", "[note]") {
  VerifierKey peter = Vkey(kPeterVkey);
  std::string sigs;
  for (std::size_t i = 0; i < ledger::kMaxNoteSignatures; ++i) sigs += kPeterSig;
  CHECK(OpenNote(kText + "\n" + sigs, peter).ok());
  CHECK(CodeOf(OpenNote(kText + "\n" + sigs + kPeterSig, peter)) == kInvalid);  // 101, as Go

  const std::string big_text(ledger::kMaxNoteTextBytes, 'x');
  CHECK(CodeOf(ParseNote(big_text + "\n\n" + kPeterSig)) == kInvalid);
  CHECK(CodeOf(ParseNote(std::string(ledger::kMaxNoteBytes, '\n'))) == kInvalid);
  CHECK(CodeOf(ParseNote(std::string(ledger::kMaxNoteBytes + 1, 'x'))) == kInvalid);
}

TEST_CASE("every truncation and single-byte change of a signed note fails without throwing",
          "[note]") {
  VerifierKey peter = Vkey(kPeterVkey);
  for (std::size_t n = 0; n < kPeterNote.size(); ++n) {
    INFO(n);
    CHECK_NOTHROW(ParseNote(kPeterNote.substr(0, n)).ok());
    CHECK_FALSE(OpenNote(kPeterNote.substr(0, n), peter).ok());
  }
  for (std::size_t i = 0; i < kPeterNote.size(); ++i) {
    for (int delta : {1, -1, 0x80}) {
      std::string m = kPeterNote;
      m[i] = static_cast<char>(m[i] + delta);
      INFO(i << " " << delta);
      CHECK_NOTHROW(ParseNote(m).ok());
      CHECK_FALSE(OpenNote(m, peter).ok());
    }
  }
}
